"""Inspections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.choices import Role
from accounts.models import User
from accounts.scoping import Action, gate_ids
from audit import services as audit
from clearance import policy as rules
from clearance.choices import (
    CHANNEL_CHECK,
    PENDING_STATUSES,
    RESULT_STATUS,
    Agency,
    Channel,
    CheckKind,
    CheckStatus,
    InspectionResult,
)
from clearance.models import (
    Check,
    CheckRule,
    Clearance,
    Inspection,
)
from cuakhau.errors import Conflict, InvalidInput, NotAllowed, NotFound
from notifications import services as notifications
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration

if TYPE_CHECKING:
    pass
from clearance.services.opening import _clear_if_done, _new_check
from clearance.services.time_limits import due_at
from clearance.services.worklists import may_inspect


@dataclass
class InspectionInput:
    result: str
    notes: str = ""
    sample_taken: bool = False
    started_at: datetime | None = None


def _check_inspection(data: InspectionInput, check: Check, now: datetime) -> datetime:
    errors: dict[str, list[str]] = {}
    if data.result not in InspectionResult.values:
        errors["result"] = [
            _("Choose one of: %s.") % ", ".join(str(r.label) for r in InspectionResult)
        ]
    elif data.result != InspectionResult.PASS and not data.notes.strip():
        errors["notes"] = [_("Say what was found: a result other than pass needs its reason.")]
    if len(data.notes) > 4000:
        errors["notes"] = [_("At most 4,000 characters.")]
    started = data.started_at or now
    if started > now + shipments.CLOCK_SKEW:
        errors["started_at"] = [_("The inspection cannot start in the future.")]
    elif started < check.opened_at:
        errors["started_at"] = [_("The inspection cannot start before the check opened.")]
    if errors:
        raise InvalidInput(_("The inspection has errors; see each field."), fields=errors)
    return min(started, now)


def do_record_inspection(*, check_id: int, actor: User, data: InspectionInput) -> Check:
    """Record an officer's finding; pass the last check and the truck is cleared."""
    now = timezone.now()
    with transaction.atomic():
        found = Check.objects.restrict(actor, Action.VIEW).filter(pk=check_id).first()
        if found is None:
            raise NotFound(_("No such check."))
        # Lock the declaration first, then the check: the same order as do_transition's
        # effects, so an inspection racing a cancellation cannot deadlock, and two officers
        # recording on the same truck at once are serialised.
        declaration = (
            Declaration.objects.select_for_update()
            .select_related("gate", "vehicle")
            .get(pk=found.declaration_id)
        )
        check = Check.objects.select_for_update().get(pk=check_id)
        if not may_inspect(actor, check):
            raise NotAllowed(
                _("Only %(agency)s officers at %(gate)s record this check.")
                % {"agency": Agency(check.agency).label, "gate": declaration.gate.name}
            )
        if not check.is_pending:
            raise Conflict(
                _("This check is already closed: %s.") % CheckStatus(check.status).label,
                code="check_closed",
            )
        if declaration.state != TruckState.ARRIVED:
            raise Conflict(
                _("The truck is %s; only a truck in the yard is inspected.")
                % TruckState(declaration.state).label,
                code="not_in_yard",
            )
        started = _check_inspection(data, check, now)
        before = check.status
        inspection = Inspection.objects.create(
            check_record=check,
            result=data.result,
            notes=data.notes.strip(),
            sample_taken=data.sample_taken,
            started_at=started,
            finished_at=now,
            officer=actor,
            officer_label=audit.actor_label_for(actor, ""),
        )
        check.status = RESULT_STATUS[data.result]
        if check.status in (CheckStatus.PASSED, CheckStatus.FAILED):
            check.closed_at = now
        check.save(update_fields=["status", "closed_at"])
        audit.record(
            action="check.inspected",
            obj=check,
            actor=actor,
            before={"status": before},
            after={
                "declaration": declaration.reference,
                "agency": check.agency,
                "result": inspection.result,
                "status": check.status,
                "notes": inspection.notes,
                "sample_taken": inspection.sample_taken,
            },
            at=now,
        )
        if data.result == InspectionResult.FAIL:
            _reject(declaration, check, actor, inspection.notes)
        elif data.result == InspectionResult.PASS:
            _clear_if_done(declaration, actor)
        elif data.result == InspectionResult.TREATMENT:
            _tell_declarant(declaration, check, inspection.notes)
    return check


def _reject(declaration: Declaration, check: Check, actor: User, notes: str) -> None:
    agency = Agency(check.agency).label
    shipments.do_transition(
        declaration_id=declaration.pk,
        transition="reject",
        actor=actor,
        reason=f"{agency}: {notes}",
    )
    notifications.notify(
        recipients=notifications.declarants_of(declaration),
        kind="clearance.rejected",
        compose=lambda: (
            _("%(reference)s rejected by %(agency)s")
            % {"reference": declaration.reference, "agency": Agency(check.agency).label},
            _("Truck %(plate)s was refused at %(gate)s. Reason: %(reason)s")
            % {"plate": declaration.vehicle.plate, "gate": declaration.gate.name, "reason": notes},
        ),
        declaration=declaration,
    )


def _tell_declarant(declaration: Declaration, check: Check, notes: str) -> None:
    notifications.notify(
        recipients=notifications.declarants_of(declaration),
        kind="clearance.treatment",
        compose=lambda: (
            _("%(reference)s: treatment required") % {"reference": declaration.reference},
            _("%(agency)s requires treatment before truck %(plate)s can pass: %(notes)s")
            % {
                "agency": Agency(check.agency).label,
                "plate": declaration.vehicle.plate,
                "notes": notes,
            },
        ),
        declaration=declaration,
    )


def do_escalate_to_full(*, check_id: int, actor: User, reason: str) -> Check:
    """Customs widens a partial physical inspection to a full one; the time limit becomes the
    full inspection's (2 working days by default), counted from when the check opened."""
    if not reason.strip():
        raise InvalidInput(_("Give a reason."), fields={"reason": [_("A reason is required.")]})
    with transaction.atomic():
        found = Check.objects.restrict(actor, Action.VIEW).filter(pk=check_id).first()
        if found is None:
            raise NotFound(_("No such check."))
        declaration = (
            Declaration.objects.select_for_update()
            .select_related("gate")
            .get(pk=found.declaration_id)
        )
        check = Check.objects.select_for_update().get(pk=check_id)
        if check.agency != Agency.CUSTOMS or not may_inspect(actor, check):
            raise NotAllowed(_("Only customs officers at the gate widen an inspection."))
        if check.kind != CheckKind.PARTIAL_INSPECTION or not check.is_pending:
            raise Conflict(
                _("Only a pending partial inspection can become a full one."),
                code="not_partial",
            )
        before = {"kind": check.kind, "due_at": check.due_at.isoformat() if check.due_at else None}
        check.kind = CheckKind.FULL_INSPECTION
        check.due_at = due_at(
            gate=declaration.gate,
            flow=declaration.flow,
            start=check.opened_at,
            kind=CheckKind.FULL_INSPECTION,
        )
        check.save(update_fields=["kind", "due_at"])
        audit.record(
            action="check.escalated",
            obj=check,
            actor=actor,
            before=before,
            after={
                "kind": check.kind,
                "due_at": check.due_at.isoformat() if check.due_at else None,
                "reason": reason.strip(),
            },
        )
    return check


def post_clearance_audits(*, actor: User, days: int = 90) -> QuerySet[Clearance]:
    """Blue-channel declarations released in the last ``days`` days, for customs to audit."""
    if not policy.role_allows(actor, rules.SEE_SELECTIVITY):
        return Clearance.objects.none()
    since = timezone.now() - timedelta(days=days)
    clearances = Clearance.objects.filter(channel=Channel.BLUE, opened_at__gte=since)
    if actor.role == Role.CUSTOMS:
        clearances = clearances.filter(declaration__gate_id__in=gate_ids(actor))
    return clearances.select_related(
        "declaration", "declaration__enterprise", "declaration__gate"
    ).order_by("-opened_at")


def do_override_channel(
    *, declaration_id: int, actor: User, channel: str, reason: str
) -> Clearance:
    """A customs officer changes the channel, with a reason; the customs check follows it."""
    errors: dict[str, list[str]] = {}
    if channel not in Channel.values:
        errors["channel"] = [_("Choose one of: %s.") % ", ".join(Channel.values)]
    if not reason.strip():
        errors["reason"] = [_("A reason is required.")]
    if errors:
        raise InvalidInput(_("The override has errors; see each field."), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        declaration = (
            Declaration.objects.restrict(actor, Action.VIEW)
            .select_for_update()
            .filter(pk=declaration_id)
            .first()
        )
        if declaration is None:
            raise NotFound(_("No such declaration."))
        policy.require(actor, rules.OVERRIDE_CHANNEL, declaration)
        clearance = Clearance.objects.filter(declaration=declaration).first()
        if clearance is None or declaration.state != TruckState.ARRIVED:
            raise Conflict(
                _("The channel can be changed only while the truck waits in the yard."),
                code="not_in_yard",
            )
        if clearance.channel == channel:
            raise InvalidInput(
                _("The declaration is already in that channel."),
                fields={"channel": [_("Choose a different channel.")]},
            )
        customs = Check.objects.select_for_update().filter(
            declaration=declaration, agency=Agency.CUSTOMS
        )
        decided = customs.exclude(status__in=(*PENDING_STATUSES, CheckStatus.WITHDRAWN))
        if decided.filter(inspections__officer__isnull=False).exists():
            raise Conflict(
                _("Customs has already recorded its finding on this truck."),
                code="customs_decided",
            )
        before = clearance.channel
        customs.exclude(status=CheckStatus.WITHDRAWN).update(
            status=CheckStatus.WITHDRAWN, closed_at=now
        )
        rule = CheckRule.objects.filter(agency=Agency.CUSTOMS, is_active=True).first()
        _new_check(
            declaration=declaration,
            agency=Agency.CUSTOMS,
            kind=CHANNEL_CHECK[channel],
            rule=rule,
            at=now,
        )
        clearance.channel = channel
        clearance.override_reason = reason.strip()
        clearance.overridden_by = actor
        clearance.save(update_fields=["channel", "override_reason", "overridden_by"])
        audit.record(
            action="clearance.channel_overridden",
            obj=clearance,
            actor=actor,
            before={"channel": before},
            after={"channel": channel, "reason": reason.strip()},
            at=now,
        )
        _clear_if_done(declaration, actor)
    return clearance
