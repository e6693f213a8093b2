"""Capacity publishing and admission control."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from audit import services as audit
from cuakhau.errors import Conflict, InvalidInput, NotFound
from flow import planning, yards
from flow import policy as rules
from flow.choices import AdmissionStatus, BookingStatus
from flow.models import AdmissionDecision, Slot
from flow.services.alerts import raise_alerts
from flow.services.bookings import _quotas
from flow.services.common import SYSTEM
from flow.services.notices import pre_registered_days
from gates.choices import Flow
from gates.models import CapacityPlan, Gate, Route, Yard
from notifications import services as notifications
from shipments.choices import TruckState
from shipments.models import Declaration


def do_publish_capacity(
    *,
    actor: User,
    gate_code: str,
    route_code: str,
    flow: str,
    trucks_per_hour: Any,
    effective_from: datetime | None,
    reason: str,
) -> CapacityPlan:
    """The board announces a gate's capacity from a time on; earlier plans stay as history."""
    policy.require(actor, rules.MANAGE_ADMISSION)
    errors: dict[str, list[str]] = {}
    gate = Gate.objects.filter(code=gate_code, is_active=True).first()
    if gate is None:
        errors["gate"] = [_("Choose a gate from the list.")]
    route = None
    if gate is not None and route_code:
        route = Route.objects.filter(gate=gate, code=route_code).first()
        if route is None:
            errors["route"] = [_("This route does not belong to the gate.")]
    if flow not in Flow.values:
        errors["flow"] = [_("Choose entry or exit.")]
    try:
        per_hour = int(str(trucks_per_hour).strip())
    except ValueError:
        per_hour = -1
    if not 0 <= per_hour <= 1000:
        errors["trucks_per_hour"] = [_("Give a whole number of trucks per hour, 0 to 1,000.")]
    if effective_from is None:
        errors["effective_from"] = [_("Give the date and time it applies from.")]
    elif effective_from < timezone.now() - timedelta(minutes=5):
        errors["effective_from"] = [_("Capacity is announced for now or later, not the past.")]
    if not reason.strip():
        errors["reason"] = [_("Say why: an agreement with the paired gate, a holiday, a closure.")]
    if errors:
        raise InvalidInput(_("The announcement has errors; see each field."), fields=errors)
    assert gate is not None and effective_from is not None  # noqa: S101 (checked just above)
    with transaction.atomic():
        try:
            with transaction.atomic():
                plan = CapacityPlan.objects.create(
                    gate=gate,
                    route=route,
                    flow=flow,
                    trucks_per_hour=per_hour,
                    effective_from=effective_from,
                    note=reason.strip()[:300],
                    source=f"announced by the board ({actor.get_username()})",
                )
        except IntegrityError as exc:
            raise Conflict(
                _("A capacity already starts at that time; choose another time."),
                code="duplicate_start",
            ) from exc
        resized = _resize_future_slots(gate, route, flow, effective_from, per_hour)
        audit.record(
            action="capacity.published",
            obj=plan,
            actor=actor,
            after={
                "gate": gate.code,
                "route": route.code if route else None,
                "flow": flow,
                "trucks_per_hour": per_hour,
                "effective_from": effective_from.isoformat(),
                "reason": reason.strip(),
                "slots_resized": resized,
            },
        )
    return plan


def _resize_future_slots(
    gate: Gate, route: Route | None, flow: str, start: datetime, per_hour: int
) -> int:
    """Slots not yet started follow the new capacity. A cut never cancels a booking: a slot
    keeps at least what is booked in it (and stops taking new bookings)."""
    resized = 0
    # Ordered by time, not by the model's default (gate, route…): ordering by the nullable route
    # would join its table, and PostgreSQL cannot lock the nullable side of an outer join.
    slots = (
        Slot.objects.select_for_update()
        .filter(gate=gate, route=route, flow=flow, starts_at__gte=start)
        .order_by("starts_at")
    )
    for slot in slots:
        if slot.capacity == 0:
            continue  # closed hours stay closed
        green, walkin = _quotas(per_hour)
        capacity = max(per_hour, slot.booked + walkin)
        green = max(0, min(green, capacity - walkin - slot.booked_standard))
        Slot.objects.filter(pk=slot.pk).update(
            capacity=capacity, green_reserved=green, walkin_reserved=walkin
        )
        resized += 1
    return resized


def plan_admission(
    *, gate: Gate, flow: str | None = None, today: date | None = None
) -> list[AdmissionDecision]:
    """Decide, from the engine's backlog forecast, which of the next days each of the gate's
    yards with a published capacity holds trucks at origin, and advise the declarants of
    trucks planned for those days. A yard is judged by its count over both directions and
    every road that waits in it, so both directions are held when it is likely full; a notice
    for pre-registered goods only holds its own days and direction. Returns the decisions
    (``flow``: only that direction's)."""
    decisions = []
    for yard in yards.yard_counts(gate):
        decisions.extend(_plan_yard(yard, today or timezone.localdate()))
    return [d for d in decisions if flow is None or d.flow == flow]


def _plan_yard(yard: yards.YardCount, today: date) -> list[AdmissionDecision]:
    view = planning.outlook(yard, today)
    if view is None:
        return []
    gate = yard.yard.gate
    now = timezone.now()
    decisions = []
    with transaction.atomic():
        seen = [view.day(i) for i in range(len(view.days))]
        for flow in Flow.values:
            # A notice for pre-registered goods only holds its days, whatever the forecast says.
            noticed = pre_registered_days(gate, flow, view.days)
            for i, day in enumerate(view.days):
                held = seen[i].prob_full >= 0.5 or day in noticed
                earliest = next(
                    (
                        d
                        for d, s in zip(view.days[i:], seen[i:], strict=True)
                        if s.prob_full < 0.5 and d not in noticed
                    ),
                    None,
                )
                values = {
                    "gate": gate,
                    "expected_queue": seen[i].p50,
                    "expected_queue_high": seen[i].p90,
                    "probability_full": seen[i].prob_full,
                    "yard_capacity": view.yard_capacity,
                    "in_yard": view.initial_queue,
                    "capacity": int(view.capacity[flow][i]),
                    "earliest_open_day": earliest,
                    "computed_at": now,
                }
                decisions.append(_decide(yard.yard, flow, day, held, values))
        audit.record(
            action="admission.planned",
            object_type="gates.yard",
            object_id=str(yard.yard.pk),
            actor_label=SYSTEM,
            after={
                "gate": gate.code,
                "yard": yard.code,
                "yard_capacity": view.yard_capacity,
                "in_yard": view.initial_queue,
                "days": [
                    {
                        "day": d.day.isoformat(),
                        "flow": d.flow,
                        "status": d.status,
                        "p_full": d.probability_full,
                    }
                    for d in decisions
                ],
            },
            at=now,
        )
        for decision in decisions:
            if decision.status == AdmissionStatus.HELD:
                _advise_hold(decision)
        for flow in Flow.values:
            raise_alerts([d for d in decisions if d.flow == flow])
    return decisions


def _decide(
    yard: Yard, flow: str, day: date, held: bool, values: dict[str, Any]
) -> AdmissionDecision:
    status = AdmissionStatus.HELD if held else AdmissionStatus.OPEN
    decision = (
        AdmissionDecision.objects.select_for_update(of=("self",))
        .filter(yard=yard, flow=flow, day=day)
        .first()
    )
    if decision is None:
        return AdmissionDecision.objects.create(
            yard=yard, flow=flow, day=day, status=status, **values
        )
    for name, value in values.items():
        setattr(decision, name, value)
    if not decision.overridden:
        # The board's written decision stands until the board changes it.
        decision.status = status
    decision.save()
    return decision


def plan_all_gates() -> dict[str, str]:
    """Admission decisions for every yard with a published capacity and history."""
    done: dict[str, str] = {}
    for gate in Gate.objects.filter(is_active=True, mode="road"):
        for decision_flow, group in _by_yard_and_flow(plan_admission(gate=gate)).items():
            held = [d.day.isoformat() for d in group if d.status == AdmissionStatus.HELD]
            done[decision_flow] = f"held {', '.join(held)}" if held else "open"
    return done


def _by_yard_and_flow(
    decisions: list[AdmissionDecision],
) -> dict[str, list[AdmissionDecision]]:
    groups: dict[str, list[AdmissionDecision]] = {}
    for d in decisions:
        groups.setdefault(f"{d.yard.code}/{d.flow}", []).append(d)
    return groups


def _advise_hold(decision: AdmissionDecision) -> int:
    """Tell each declarant with a truck planned for a held day, without a booking, to wait at
    origin and when to come; once per declaration."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(decision.day, datetime.min.time(), tz)
    # Only the trucks that would wait in the held yard: a full Hữu Nghị yard holds no truck of
    # the Tân Thanh road, which waits in its own.
    yard = yards.yard_count(decision.yard)
    waiting_here = yard.trucks() if yard is not None else Q(gate=decision.gate)
    affected = (
        Declaration.objects.filter(
            waiting_here,
            flow=decision.flow,
            state=TruckState.DECLARED,
            planned_arrival__gte=start,
            planned_arrival__lt=start + timedelta(days=1),
        )
        .exclude(bookings__status=BookingStatus.ACTIVE)
        .select_related("gate", "vehicle")
    )
    advised = set(
        notifications.Notification.objects.filter(
            kind="flow.hold", declaration__in=affected
        ).values_list("declaration_id", flat=True)
    )
    count = 0
    for declaration in affected:
        if declaration.pk in advised:
            continue
        when = (
            decision.earliest_open_day.strftime("%d/%m/%Y") if decision.earliest_open_day else None
        )
        notifications.notify(
            recipients=notifications.declarants_of(declaration),
            kind="flow.hold",
            compose=_hold_message(declaration, decision, when),
            declaration=declaration,
        )
        count += 1
    return count


def _hold_message(
    declaration: Declaration, decision: AdmissionDecision, when: str | None
) -> notifications.Compose:
    def compose() -> tuple[str, str]:
        values = {
            "gate": declaration.gate.name,
            "day": decision.day.strftime("%d/%m/%Y"),
            "plate": declaration.vehicle.plate,
            "when": when or "",
        }
        if when:
            body = _(
                "%(gate)s expects its yard to be full on %(day)s. Keep truck %(plate)s at "
                "origin; the earliest day with room is %(when)s. Book a slot for that day."
            )
        else:
            body = _(
                "%(gate)s expects its yard to be full on %(day)s. Keep truck %(plate)s at "
                "origin; we will tell you when there is room."
            )
        return _("%(reference)s: hold at origin") % {"reference": declaration.reference}, (
            body % values
        )

    return compose


def do_override_admission(
    *, actor: User, decision_id: int, status: str, reason: str
) -> AdmissionDecision:
    policy.require(actor, rules.MANAGE_ADMISSION)
    errors: dict[str, list[str]] = {}
    if status not in AdmissionStatus.values:
        errors["status"] = [_("Choose open or held.")]
    if not reason.strip():
        errors["reason"] = [_("A written reason is required.")]
    if errors:
        raise InvalidInput(_("The override has errors; see each field."), fields=errors)
    with transaction.atomic():
        decision = (
            AdmissionDecision.objects.select_for_update(of=("self",)).filter(pk=decision_id).first()
        )
        if decision is None:
            raise NotFound(_("No such admission decision."))
        before = decision.status
        decision.status = status
        decision.override_reason = reason.strip()
        decision.overridden_by = actor
        decision.save(update_fields=["status", "override_reason", "overridden_by"])
        audit.record(
            action="admission.overridden",
            obj=decision,
            actor=actor,
            before={"status": before},
            after={"status": status, "reason": reason.strip(), "day": decision.day.isoformat()},
        )
        if status == AdmissionStatus.HELD:
            _advise_hold(decision)
    return decision
