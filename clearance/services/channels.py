"""The customs channel as VNACCS assigned it, recorded on the customs declaration, audited.

VNACCS assigns the channel when the customs declaration is registered, before the truck arrives;
the trader cannot choose it. The declarant records the code it received (1, 2 or 3) once, while
none is recorded and before a truck under that customs declaration reaches the yard; after that
only customs records or changes it (chuyển luồng, with a reason), and the declarant is told. The
channel applies to every truck under the customs declaration, and a truck is worked at the
strictest of its customs declarations' channels (``shipments.models.working_channel``). Which
checks a change opens or leaves is ``rework_customs_check``. cuakhau's own selectivity result is
advice shown beside it (``Clearance.advised_channel``), never the channel.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.choices import Role
from accounts.models import User
from accounts.scoping import Action, gate_ids
from audit import services as audit
from clearance import policy as rules
from clearance.choices import FROM_VNACCS, Agency, CheckKind, CheckStatus
from clearance.models import Check, CheckRule, Clearance
from clearance.services.opening import (
    _clear_if_done,
    _new_check,
    customs_check_kind,
    sequence_inspection_clock,
)
from cuakhau.errors import InvalidInput, NotAllowed, NotFound
from notifications import services as notifications
from shipments.choices import CustomsChannel, TruckState
from shipments.models import CustomsDeclaration, CustomsDeclarationTrip, Declaration
from shipments.services import customs
from shipments.validators import normalize_customs_number

#: How strict each customs check is: a stricter channel adds a stricter check.
_KIND_STRICTNESS: dict[str, int] = {
    CheckKind.RELEASE: 1,
    CheckKind.DOCUMENTS: 2,
    CheckKind.PARTIAL_INSPECTION: 3,
    CheckKind.FULL_INSPECTION: 3,
}


def _is_customs(actor: User) -> bool:
    return actor.has_full_access or actor.role == Role.CUSTOMS


def do_record_customs_channel(
    *,
    actor: User,
    reference: str,
    channel: Any,
    number: Any = "",
    reason: str = "",
    procedure_code: Any = "",
    registered_on: Any = None,
    customs_office: Any = "",
) -> Declaration:
    """Record the VNACCS channel of one of the trip's customs declarations (named by ``number``;
    blank: the trip's only one), adding that customs declaration to the trip when it is not on it
    yet. The channel applies to every truck under the customs declaration.

    The declarant records it once, while none is recorded and before any truck under it reaches
    the yard; after that only customs records or changes it (chuyển luồng), a change with a
    reason, and the declarant is told. Audited as ``customs_declaration.channel``.
    """
    now = timezone.now()
    with transaction.atomic():
        trip = (
            Declaration.objects.restrict(actor, Action.VIEW)
            .select_related("gate")
            .filter(reference=reference)
            .first()
        )
        if trip is None:
            raise NotFound(_("No such declaration."))
        as_customs = _is_customs(actor)
        policy.require(actor, rules.CHANGE_CHANNEL if as_customs else rules.RECORD_CHANNEL, trip)
        code = ""
        errors: dict[str, list[str]] = {}
        try:
            code = customs.check_channel_code(channel)
        except ValidationError as exc:
            errors["customs_channel"] = list(exc.messages)
        if not code and not errors:
            errors["customs_channel"] = [customs.channel_code_error()]
        record, attach = _customs_declaration_for(
            trip,
            number=number,
            procedure_code=procedure_code,
            registered_on=registered_on,
            customs_office=customs_office,
            errors=errors,
        )
        if errors:
            raise InvalidInput(_("The channel has errors; see each field."), fields=errors)
        # Lock order: the trips under the customs declaration (the declaration rows, by key),
        # then the customs declaration, then checks; the audit head last.
        trip_ids = {trip.pk}
        if record is not None:
            trip_ids |= set(record.trips.values_list("pk", flat=True))
        trips = list(
            Declaration.objects.select_for_update(of=("self",))
            .select_related("gate", "vehicle")
            .filter(pk__in=trip_ids)
            .order_by("pk")
        )
        trip = next(t for t in trips if t.pk == trip.pk)
        policy.require(actor, rules.CHANGE_CHANNEL if as_customs else rules.RECORD_CHANNEL, trip)
        if record is not None:
            record = CustomsDeclaration.objects.select_for_update().get(pk=record.pk)
        previous = record.channel if record is not None else ""
        before = customs.customs_snapshot(record) if record is not None else None
        linked = record is not None and trip.pk in set(record.trips.values_list("pk", flat=True))
        if previous == code and linked:
            errors["customs_channel"] = [_("This channel is already recorded.")]
        elif previous != code and not as_customs:
            _check_declarant_may_record(record, trips)
        elif previous != code and previous and not reason.strip():
            errors["reason"] = [_("Say why the recorded channel changes.")]
        if errors:
            raise InvalidInput(_("The channel has errors; see each field."), fields=errors)
        created = record is None
        if record is None:
            assert attach is not None  # noqa: S101 - _customs_declaration_for returns one
            record, _linked = customs.attach_customs_declaration(
                trip=trip, clean=attach, actor=actor, at=now
            )
            record = CustomsDeclaration.objects.select_for_update().get(pk=record.pk)
        elif not linked:
            # A customs declaration already recorded on other trucks: this truck carries it too.
            CustomsDeclarationTrip.objects.create(
                customs_declaration=record, trip=trip, added_at=now
            )
        changes = created or record.channel != code
        if record.channel != code:
            record.channel = code
            record.channel_recorded_at = now
            record.channel_recorded_by = actor
            record.channel_recorded_by_label = (
                f"{actor.get_username()} ({actor.get_role_display()})"
            )
            record.save(
                update_fields=[
                    "channel",
                    "channel_recorded_at",
                    "channel_recorded_by",
                    "channel_recorded_by_label",
                ]
            )
        under_ids = set(record.trips.values_list("pk", flat=True))
        # A channel recorded or changed reaches every truck under the customs declaration; a
        # truck only added to one already channelled is the only one whose checks may move.
        under = [t for t in trips if t.pk in under_ids and (changes or t.pk == trip.pk)]
        reworked = []
        for each in under:
            clearance = Clearance.objects.select_for_update().filter(declaration=each).first()
            if clearance is None or each.state != TruckState.ARRIVED:
                continue
            rework_customs_check(each, clearance, actor=actor, at=now, reason=reason)
            reworked.append(each)
        audit.record(
            action="customs_declaration.channel" if changes else "customs_declaration.linked",
            obj=record,
            actor=actor,
            before=before,
            after={
                **customs.customs_snapshot(record),
                "reason": reason.strip(),
                "trips": [t.reference for t in under],
            },
            at=now,
        )
        for each in reworked:
            _clear_if_done(each, actor)
        if as_customs and previous and changes:
            _tell_declarants(trip, record, previous, reason.strip(), under)
    return trip


def _customs_declaration_for(
    trip: Declaration,
    *,
    number: Any,
    procedure_code: Any,
    registered_on: Any,
    customs_office: Any,
    errors: dict[str, list[str]],
) -> tuple[CustomsDeclaration | None, customs.CleanCustomsDeclaration | None]:
    """The customs declaration the channel is for: one of the trip's (by number, or its only
    one), or one to add to the trip (returned as its checked input)."""
    mine = customs.customs_declarations_of(trip)
    raw = str(number if number is not None else "").strip()
    if not raw:
        if len(mine) == 1:
            return mine[0], None
        errors["customs_declaration_number"] = [
            customs.number_needed_error()
            if not mine
            else _("The truck carries several customs declarations: say which one.")
        ]
        return None, None
    try:
        clean_number = normalize_customs_number(raw)
    except ValidationError as exc:
        errors["customs_declaration_number"] = list(exc.messages)
        return None, None
    for record in mine:
        if record.number == clean_number:
            return record, None
    checked, problems = customs.check_customs_declaration(
        customs.CustomsDeclarationInput(
            number=clean_number,
            procedure_code=procedure_code,
            registered_on=registered_on,
            customs_office=customs_office,
        ),
        enterprise_id=trip.enterprise_id,
        direction=trip.direction,
        flow=trip.flow,
    )
    for name, messages in problems.items():
        errors.setdefault(name, []).extend(messages)
    if checked is None:
        return None, None
    if len(mine) >= customs.MAX_CUSTOMS_DECLARATIONS:
        errors["customs_declaration_number"] = [
            _("A truck carries at most %d customs declarations.") % customs.MAX_CUSTOMS_DECLARATIONS
        ]
        return None, None
    if checked.existing is not None:
        return checked.existing, None
    return None, checked


def _check_declarant_may_record(
    record: CustomsDeclaration | None, trips: list[Declaration]
) -> None:
    """The declarant records the channel VNACCS sent once, before any truck under it reaches
    the yard; changing a recorded channel is customs' act (chuyển luồng)."""
    if record is not None and record.channel:
        raise NotAllowed(
            _(
                "Customs declaration %(number)s has channel %(channel)s recorded; only customs "
                "changes a recorded channel."
            )
            % {"number": record.number, "channel": record.get_channel_display()}
        )
    if any(t.state not in customs.BEFORE_YARD and t.state not in customs.LEFT for t in trips):
        raise NotAllowed(
            _("A truck under this customs declaration is at the yard: customs records its channel.")
        )


def rework_customs_check(
    trip: Declaration, clearance: Clearance, *, actor: User, at: datetime, reason: str
) -> None:
    """Work a truck in the yard at its customs declarations' strictest channel.

    A check customs has started (closed, or with an officer's finding) is never changed. A
    stricter channel replaces a pending check no one has started (withdrawn, and still listed)
    with the stricter one, or adds it beside a started one; a lower channel withdraws nothing:
    customs decides what happens to the check it opened. A check that was only waiting for the
    channel is replaced, since nothing happened on it."""
    code = trip.customs_channel
    channel = FROM_VNACCS.get(code, "")
    checks = list(
        Check.objects.select_for_update()
        .filter(declaration=trip, agency=Agency.CUSTOMS)
        .exclude(status=CheckStatus.WITHDRAWN)
        .prefetch_related("inspections")
    )
    if not channel or not checks:
        return
    waiting = [c for c in checks if c.kind == CheckKind.AWAITING_CHANNEL]
    worked = [c for c in checks if c.kind != CheckKind.AWAITING_CHANNEL]
    target = customs_check_kind(channel)
    strictest = max((_KIND_STRICTNESS.get(c.kind, 0) for c in worked), default=0)
    if _KIND_STRICTNESS[target] > strictest:
        unstarted = [c for c in worked if c.is_pending and not _started(c)]
        Check.objects.filter(pk__in=[c.pk for c in unstarted]).update(
            status=CheckStatus.WITHDRAWN, closed_at=at
        )
        rule = next((c.rule for c in checks if c.rule_id), None) or (
            CheckRule.objects.filter(agency=Agency.CUSTOMS, is_active=True).first()
        )
        Check.objects.filter(pk__in=[c.pk for c in waiting]).delete()
        _new_check(declaration=trip, agency=Agency.CUSTOMS, kind=target, rule=rule, at=at)
        sequence_inspection_clock(trip)
    clearance.channel = channel
    # The panel says who recorded a change and why (the audit log has every recording).
    clearance.override_reason = reason.strip()[:1000]
    clearance.overridden_by = actor if _is_customs(actor) else None
    clearance.save(update_fields=["channel", "override_reason", "overridden_by"])


def _started(check: Check) -> bool:
    """Customs has started a check when an officer recorded a finding on it."""
    return any(i.officer_id is not None for i in check.inspections.all())


def _tell_declarants(
    trip: Declaration,
    record: CustomsDeclaration,
    previous: str,
    reason: str,
    under: list[Declaration],
) -> None:
    plates = ", ".join(sorted({t.vehicle.plate for t in under}))
    old = CustomsChannel(previous)
    new = CustomsChannel(record.channel)
    notifications.notify(
        recipients=notifications.declarants_of(trip),
        kind="clearance.channel_changed",
        compose=lambda: (
            _("Customs declaration %(number)s: channel changed") % {"number": record.number},
            _(
                "Customs changed the channel of customs declaration %(number)s from "
                "%(old)s to %(new)s (trucks %(plates)s). Reason: %(reason)s"
            )
            % {
                "number": record.number,
                "old": old.label,
                "new": new.label,
                "plates": plates,
                "reason": reason,
            },
        ),
        declaration=trip,
    )


def advice_report(*, actor: User, days: int = 90) -> dict[str, Any]:
    """Where cuakhau's advisory risk result and the VNACCS channel disagree, over the last
    ``days`` days: a table of counts (VNACCS channel × advice) and the disagreeing trucks."""
    policy.require(actor, rules.SEE_SELECTIVITY)
    since = timezone.now() - timedelta(days=days)
    rows = Clearance.objects.filter(opened_at__gte=since).exclude(channel="")
    if actor.role == Role.CUSTOMS:
        rows = rows.filter(declaration__gate_id__in=gate_ids(actor))
    counts = {
        (r["channel"], r["advised_channel"]): r["n"]
        for r in rows.values("channel", "advised_channel").annotate(n=Count("pk"))
    }
    total = sum(counts.values())
    agree = sum(n for (legal, advised), n in counts.items() if legal == advised)
    disagreeing = (
        rows.exclude(channel=F("advised_channel"))
        .select_related("declaration", "declaration__gate")
        .order_by("-opened_at")[:200]
    )
    return {
        "days": days,
        "total": total,
        "agree": agree,
        "share_agree": agree / total if total else None,
        "counts": counts,
        "disagreeing": list(disagreeing),
    }
