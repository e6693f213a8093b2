"""The customs channel as VNACCS assigned it: recorded on the declaration, audited.

VNACCS assigns the channel when the declaration is registered, before the truck arrives; the
trader cannot choose it. The declarant (on the page or through the API) records the customs
declaration number and its channel code 1, 2 or 3, or the customs officer at the gate enters it.
Recording it after arrival opens the customs check on that channel; a change while customs has
not recorded its finding re-opens the check on the new one. cuakhau's own selectivity result is
advice shown beside it (``Clearance.advised_channel``), never the channel.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.choices import Role
from accounts.models import User
from accounts.scoping import Action, gate_ids
from audit import services as audit
from clearance import policy as rules
from clearance.choices import FROM_VNACCS, PENDING_STATUSES, Agency, CheckKind, CheckStatus
from clearance.models import Check, CheckRule, Clearance
from clearance.services.opening import (
    _clear_if_done,
    _new_check,
    customs_check_kind,
    sequence_inspection_clock,
)
from cuakhau.errors import Conflict, InvalidInput, NotFound
from shipments.choices import CustomsChannel
from shipments.models import Declaration
from shipments.validators import normalize_customs_number


def check_channel_input(
    *, channel: Any, number: Any, current_number: str
) -> tuple[str, str, dict[str, list[str]]]:
    """The channel code and the customs declaration number, or the errors naming each field.
    A channel needs a number: VNACCS assigns one at registration."""
    errors: dict[str, list[str]] = {}
    code = str(channel if channel is not None else "").strip()
    if code not in CustomsChannel.values:
        errors["customs_channel"] = [
            _("Give the channel code VNACCS assigned: 1 (green), 2 (yellow) or 3 (red).")
        ]
    raw = str(number if number is not None else "").strip()
    clean = current_number
    if raw:
        try:
            clean = normalize_customs_number(raw)
        except ValidationError as exc:
            errors["customs_declaration_number"] = list(exc.messages)
    elif not current_number:
        errors["customs_declaration_number"] = [
            _("Give the customs declaration number the channel was assigned to (12 digits).")
        ]
    return code, clean, errors


def do_record_customs_channel(
    *, actor: User, reference: str, channel: Any, number: Any = "", reason: str = ""
) -> Declaration:
    """Record (or correct) the VNACCS channel of a declaration, with its customs declaration
    number; a correction needs a reason. Audited as ``declaration.customs_channel``."""
    now = timezone.now()
    with transaction.atomic():
        declaration = (
            Declaration.objects.restrict(actor, Action.VIEW)
            .select_for_update()
            .select_related("gate")
            .filter(reference=reference)
            .first()
        )
        if declaration is None:
            raise NotFound(_("No such declaration."))
        policy.require(actor, rules.RECORD_CHANNEL, declaration)
        code, clean, errors = check_channel_input(
            channel=channel, number=number, current_number=declaration.customs_declaration_number
        )
        before = {
            "customs_channel": declaration.customs_channel,
            "customs_declaration_number": declaration.customs_declaration_number,
        }
        correcting = bool(declaration.customs_channel)
        if correcting and not reason.strip() and not errors:
            errors["reason"] = [_("Say why the recorded channel changes.")]
        if errors:
            raise InvalidInput(_("The channel has errors; see each field."), fields=errors)
        if code == declaration.customs_channel and clean == declaration.customs_declaration_number:
            raise InvalidInput(
                _("This channel is already recorded."),
                fields={"customs_channel": [_("Choose a different channel.")]},
            )
        clearance = Clearance.objects.select_for_update().filter(declaration=declaration).first()
        if clearance is not None:
            _reopen_customs(declaration, clearance, FROM_VNACCS[code], actor, now, reason)
        declaration.customs_channel = code
        declaration.customs_declaration_number = clean
        try:
            with transaction.atomic():
                declaration.save(update_fields=["customs_channel", "customs_declaration_number"])
        except IntegrityError as exc:
            raise InvalidInput(
                _("The channel has errors; see each field."),
                fields={
                    "customs_declaration_number": [
                        _("Another declaration has this customs declaration number.")
                    ]
                },
            ) from exc
        audit.record(
            action="declaration.customs_channel",
            obj=declaration,
            actor=actor,
            before=before,
            after={
                "customs_channel": code,
                "customs_declaration_number": clean,
                "reason": reason.strip(),
            },
            at=now,
        )
        if clearance is not None:
            _clear_if_done(declaration, actor)
    return declaration


def _reopen_customs(
    declaration: Declaration,
    clearance: Clearance,
    channel: str,
    actor: User,
    now: Any,
    reason: str,
) -> None:
    """The customs check follows the recorded channel while customs has not decided."""
    customs = Check.objects.select_for_update().filter(
        declaration=declaration, agency=Agency.CUSTOMS
    )
    decided = customs.exclude(status__in=(*PENDING_STATUSES, CheckStatus.WITHDRAWN))
    if decided.filter(inspections__officer__isnull=False).exists():
        raise Conflict(
            _("Customs has already recorded its finding on this truck."),
            code="customs_decided",
        )
    open_checks = list(customs.exclude(status=CheckStatus.WITHDRAWN))
    if open_checks:
        # A check that was waiting for the channel is replaced, not kept as withdrawn history:
        # nothing happened on it. One opened on another channel is withdrawn, and stays listed.
        waiting = [c for c in open_checks if c.kind == CheckKind.AWAITING_CHANNEL]
        Check.objects.filter(pk__in=[c.pk for c in waiting]).delete()
        Check.objects.filter(pk__in=[c.pk for c in open_checks if c not in waiting]).update(
            status=CheckStatus.WITHDRAWN, closed_at=now
        )
        rule = next((c.rule for c in open_checks if c.rule_id), None) or (
            CheckRule.objects.filter(agency=Agency.CUSTOMS, is_active=True).first()
        )
        _new_check(
            declaration=declaration,
            agency=Agency.CUSTOMS,
            kind=customs_check_kind(channel),
            rule=rule,
            at=now,
        )
        sequence_inspection_clock(declaration)
    clearance.channel = channel
    # The panel says who recorded a correction and why (the audit log has every recording).
    clearance.override_reason = reason.strip()[:1000]
    clearance.overridden_by = actor if actor.role == Role.CUSTOMS else None
    clearance.save(update_fields=["channel", "override_reason", "overridden_by"])


def waiting_for_channel(*, actor: User) -> QuerySet[Check]:
    """Customs checks at the actor's gates that cannot start: no VNACCS channel recorded."""
    checks = Check.objects.filter(
        agency=Agency.CUSTOMS, kind=CheckKind.AWAITING_CHANNEL, status__in=PENDING_STATUSES
    )
    if actor.role == Role.CUSTOMS:
        checks = checks.filter(gate_id__in=gate_ids(actor))
    return checks.select_related("declaration", "declaration__vehicle").order_by("opened_at")


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
