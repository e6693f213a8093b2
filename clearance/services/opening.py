"""Opening checks (the arrive effect)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import OFFICER_ROLES, Role
from accounts.models import User
from audit import services as audit
from clearance import selectivity
from clearance.choices import (
    AGENCY_ROLE,
    CHANNEL_CHECK,
    FROM_VNACCS,
    INSPECTIONS,
    PENDING_STATUSES,
    SPECIALISED_AGENCIES,
    Agency,
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
from cuakhau.errors import Conflict, NotAllowed
from notifications import services as notifications
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration

if TYPE_CHECKING:
    from shipments.lifecycle import Transition
from clearance.services.common import SELECTIVITY, SYSTEM
from clearance.services.rules import (
    _selectivity_secret,
    active_selectivity_rules,
    facts_for,
    price_ranges,
    required_check_rules,
)
from clearance.services.time_limits import due_at


def _new_check(
    *,
    declaration: Declaration,
    agency: str,
    kind: str,
    rule: CheckRule | None,
    at: datetime,
) -> Check:
    check = Check(
        declaration=declaration,
        gate_id=declaration.gate_id,
        agency=agency,
        kind=kind,
        rule=rule,
        perishable=declaration.perishable,
        opened_at=at,
    )
    if kind == CheckKind.AWAITING_CHANNEL:
        # No VNACCS channel recorded yet: customs cannot start; no time limit runs.
        check.save()
    elif kind == CheckKind.RELEASE:
        # Green: customs releases on the channel alone; the record says so.
        check.status = CheckStatus.PASSED
        check.closed_at = at
        check.save()
        Inspection.objects.create(
            check_record=check,
            result=InspectionResult.PASS,
            notes=str(gettext_lazy("Green channel (VNACCS 1): released, no inspection.")),
            started_at=at,
            finished_at=at,
            officer_label=SELECTIVITY,
        )
    else:
        check.due_at = due_at(gate=declaration.gate, flow=declaration.flow, start=at, kind=kind)
        check.save()
    return check


def customs_check_kind(channel: str) -> str:
    """The customs check a legal channel opens; waiting while no VNACCS channel is recorded."""
    return CHANNEL_CHECK[channel] if channel else CheckKind.AWAITING_CHANNEL


def sequence_inspection_clock(declaration: Declaration) -> None:
    """A red-channel inspection's time limit runs from the result of the specialised checks
    (plant or animal quarantine): while one is pending the inspection has no due time; once
    the last has its result, the limit counts from then (or from when the inspection opened,
    if later). Runs inside the caller's transaction."""
    checks = list(
        Check.objects.select_for_update()
        .filter(declaration=declaration)
        .exclude(status=CheckStatus.WITHDRAWN)
    )
    specialised = [c for c in checks if c.agency in SPECIALISED_AGENCIES]
    waiting = any(c.is_pending for c in specialised)
    results = [c.closed_at for c in specialised if c.closed_at is not None]
    for check in checks:
        if check.agency != Agency.CUSTOMS or check.kind not in INSPECTIONS or not check.is_pending:
            continue
        due = None
        if not waiting:
            due = due_at(
                gate=declaration.gate,
                flow=declaration.flow,
                start=max([check.opened_at, *results]),
                kind=check.kind,
            )
        if due != check.due_at:
            check.due_at = due
            check.save(update_fields=["due_at"])


def open_checks(declaration: Declaration, at: datetime | None = None) -> Clearance:
    """Open every required check, the customs one on the declaration's VNACCS channel (or
    waiting for it), and record cuakhau's advisory risk result beside it. Runs inside the
    caller's transaction, with the declaration already locked by it."""
    at = at or declaration.state_changed_at
    facts = facts_for(Declaration.objects.filter(pk=declaration.pk))[0]
    assignment = selectivity.assign(
        facts, active_selectivity_rules(), price_ranges(), _selectivity_secret()
    )
    channel = FROM_VNACCS.get(declaration.customs_channel, "")
    clearance = Clearance.objects.create(
        declaration=declaration,
        channel=channel,
        advised_channel=assignment.channel,
        post_clearance_audit=assignment.post_audit,
        explanation=[hit.as_json() for hit in assignment.hits],
        opened_at=at,
    )
    checks = []
    headings = [line.hs_heading for line in facts.lines]
    for rule in required_check_rules(direction=declaration.direction, headings=headings):
        kind = customs_check_kind(channel) if rule.agency == Agency.CUSTOMS else rule.kind
        checks.append(
            _new_check(declaration=declaration, agency=rule.agency, kind=kind, rule=rule, at=at)
        )
    sequence_inspection_clock(declaration)
    audit.record(
        action="clearance.opened",
        obj=clearance,
        actor_label=SYSTEM,
        after={
            "declaration": declaration.reference,
            "channel": channel,
            "advised_channel": assignment.channel,
            "post_clearance_audit": assignment.post_audit,
            "checks": [{"agency": c.agency, "kind": c.kind, "status": c.status} for c in checks],
        },
        at=at,
    )
    return clearance


def on_arrive(declaration: Declaration, move: Transition, actor: User | None) -> None:
    if not Clearance.objects.filter(declaration=declaration).exists():
        open_checks(declaration)


def on_leave(declaration: Declaration, move: Transition, actor: User | None) -> None:
    """A cancelled or rejected truck's pending checks are withdrawn from every worklist."""
    Check.objects.filter(declaration=declaration, status__in=PENDING_STATUSES).update(
        status=CheckStatus.WITHDRAWN, closed_at=declaration.state_changed_at
    )


def guard_clear(declaration: Declaration, move: Transition, actor: User | None) -> None:
    """Cleared means every required check passed: no officer can skip an agency."""
    checks = list(
        Check.objects.filter(declaration=declaration).exclude(status=CheckStatus.WITHDRAWN)
    )
    if not checks:
        raise Conflict(
            _("No clearance checks are open for this truck yet."), code="checks_not_opened"
        )
    waiting = sorted(
        {str(Agency(c.agency).label) for c in checks if c.status != CheckStatus.PASSED}
    )
    if waiting:
        raise Conflict(
            _("Not every required check has passed. Waiting for: %s.") % ", ".join(waiting),
            code="checks_pending",
        )


def guard_reject(declaration: Declaration, move: Transition, actor: User | None) -> None:
    """An agency rejects a truck only through its own check of it.

    Customs may always reject a truck at its gate. Quarantine, the border guard and health may
    reject only a truck their agency has a check on: without this a health officer could reject
    any truck while the board had the health check switched off and no inspection existed.
    """
    if actor is None or actor.has_full_access or actor.role not in OFFICER_ROLES:
        return
    if actor.role == Role.CUSTOMS:
        return
    agencies = [a for a, role in AGENCY_ROLE.items() if role == actor.role]
    has_check = (
        Check.objects.filter(declaration=declaration, agency__in=agencies)
        .exclude(status=CheckStatus.WITHDRAWN)
        .exists()
    )
    if not has_check:
        raise NotAllowed(
            _("Your agency has no check on this truck, so it cannot reject it."),
            code="no_check",
        )


def _clear_if_done(declaration: Declaration, by: User | None) -> bool:
    pending = (
        Check.objects.filter(declaration=declaration)
        .exclude(status__in=(CheckStatus.PASSED, CheckStatus.WITHDRAWN))
        .exists()
    )
    if pending or declaration.state != TruckState.ARRIVED:
        return False
    who = by.get_username() if by is not None else "selectivity"
    shipments.do_transition(
        declaration_id=declaration.pk,
        transition="clear",
        actor=None,
        actor_label=f"{SYSTEM} ({who})",
        reason=_("Every required check passed."),
    )
    notifications.notify(
        recipients=notifications.declarants_of(declaration),
        kind="clearance.cleared",
        compose=lambda: (
            _("%(reference)s cleared") % {"reference": declaration.reference},
            _("Every agency has passed truck %(plate)s. It waits to be called forward.")
            % {"plate": declaration.vehicle.plate},
        ),
        declaration=declaration,
    )
    return True


def open_backlog(*, at: datetime | None = None) -> int:
    """Open checks for trucks already in the yard without them (imported history, the demo)."""
    opened = 0
    waiting = Declaration.objects.filter(state=TruckState.ARRIVED, clearance__isnull=True)
    for declaration in waiting.select_related("gate", "vehicle").iterator():
        with transaction.atomic():
            open_checks(declaration, at=at or declaration.state_changed_at)
        opened += 1
    return opened
