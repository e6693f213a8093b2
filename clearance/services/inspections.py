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
    RESULT_STATUS,
    SPECIALISED_AGENCIES,
    Agency,
    CheckKind,
    CheckStatus,
    InspectionResult,
)
from clearance.models import (
    Check,
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
from clearance.services.opening import _clear_if_done, sequence_inspection_clock
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
        if check.kind == CheckKind.AWAITING_CHANNEL:
            raise Conflict(
                _("Record the VNACCS channel first: customs works on the channel it assigned."),
                code="channel_missing",
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
        if check.agency in SPECIALISED_AGENCIES:
            sequence_inspection_clock(declaration)
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
        check.save(update_fields=["kind"])
        sequence_inspection_clock(declaration)
        check.refresh_from_db(fields=["due_at"])
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
    """Declarations released in the last ``days`` days that cuakhau's rules advise customs to
    audit after clearance (a separate process, not a channel)."""
    if not policy.role_allows(actor, rules.SEE_SELECTIVITY):
        return Clearance.objects.none()
    since = timezone.now() - timedelta(days=days)
    clearances = Clearance.objects.filter(post_clearance_audit=True, opened_at__gte=since)
    if actor.role == Role.CUSTOMS:
        clearances = clearances.filter(declaration__gate_id__in=gate_ids(actor))
    return clearances.select_related(
        "declaration", "declaration__enterprise", "declaration__gate"
    ).order_by("-opened_at")
