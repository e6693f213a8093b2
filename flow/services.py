"""Use cases of vehicle flow control.

Booking (``do_book``, ``do_cancel_booking``, ``do_rebook``), no-shows (``sweep_no_shows``),
admission control (``plan_admission``, ``do_override_admission``), capacity publishing
(``do_publish_capacity``), yard events from cameras and operators (``ingest_device_event``,
``do_record_yard_event``, ``do_correct_event``, ``do_dismiss_event``) and call-forward
(``do_call_next``). Arguments are keyword-only; each ``do_*`` owns its transaction.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.scoping import Action
from audit import services as audit
from cuakhau.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from cuakhau.signing import check_signed
from flow import board, planning
from flow import policy as rules
from flow.choices import AdmissionStatus, BookingStatus, EventKind, EventStatus, Lane
from flow.models import AdmissionDecision, Booking, Device, PlateEvent, Slot, YardVisit
from flow.plates import Candidate, Read, reconcile
from gates.choices import Flow
from gates.models import CapacityPlan, Gate, Route
from notifications import services as notifications
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration
from shipments.validators import ocr_key

SYSTEM = "system:flow"
log = logging.getLogger("cuakhau.flow")

# --- slots and bookings -----------------------------------------------------------------------


def _hour(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(minute=0, second=0, microsecond=0)


def _quotas(capacity: int) -> tuple[int, int]:
    """Places kept for the green lane and for walk-ins out of an hour's capacity."""
    walkin = math.ceil(capacity * float(settings.CUAKHAU_WALKIN_SHARE))
    green = min(capacity - walkin, math.ceil(capacity * float(settings.CUAKHAU_GREEN_LANE_SHARE)))
    return max(green, 0), walkin


def slot_for(*, gate: Gate, route: Route | None, flow: str, starts_at: datetime) -> Slot:
    """The slot for that hour, created with the capacity in force if nobody asked before."""
    lookup = {"gate": gate, "route": route, "flow": flow, "starts_at": starts_at}
    slot = Slot.objects.filter(**lookup).first()
    if slot is not None:
        return slot
    capacity = planning.hourly_capacity(gate, flow, starts_at, 1, route=route)[0]
    green, walkin = _quotas(capacity)
    try:
        with transaction.atomic():
            return Slot.objects.create(
                **lookup, capacity=capacity, green_reserved=green, walkin_reserved=walkin
            )
    except IntegrityError:
        # Someone created it between our read and our insert: theirs is as good as ours.
        return Slot.objects.get(**lookup)


@dataclass(frozen=True)
class SlotOffer:
    starts_at: datetime
    capacity: int
    free: int
    held: bool


def offers(*, declaration: Declaration, days: int | None = None) -> list[SlotOffer]:
    """Bookable hours for a declaration from the next hour to the booking horizon."""
    days = days or settings.CUAKHAU_BOOKING_DAYS_AHEAD
    start = _hour(timezone.now()) + timedelta(hours=1)
    hours = days * 24
    capacity = planning.hourly_capacity(
        declaration.gate, declaration.flow, start, hours, route=declaration.route
    )
    existing = {
        s.starts_at: s
        for s in Slot.objects.filter(
            gate=declaration.gate,
            route=declaration.route,
            flow=declaration.flow,
            starts_at__gte=start,
            starts_at__lt=start + timedelta(hours=hours),
        )
    }
    held = _held_days(declaration.gate, declaration.flow)
    green = declaration.perishable
    out = []
    for h, cap in enumerate(capacity):
        if cap <= 0:
            continue
        moment = start + timedelta(hours=h)
        slot = existing.get(moment)
        if slot is not None:
            free = slot.free_green if green else slot.free_standard
        else:
            g, w = _quotas(cap)
            free = cap - w if green else cap - w - g
        out.append(SlotOffer(moment, cap, free, timezone.localdate(moment) in held))
    return out


def _held_days(gate: Gate, flow: str) -> set[date]:
    return set(
        AdmissionDecision.objects.filter(
            gate=gate, flow=flow, status=AdmissionStatus.HELD, day__gte=timezone.localdate()
        ).values_list("day", flat=True)
    )


def _bookable(actor: User, reference: str) -> Declaration:
    policy.require(actor, rules.BOOK)
    declaration = (
        policy.restrict(Declaration.objects.all(), actor, rules.BOOK, states=False)
        .select_related("gate", "route", "vehicle")
        .filter(reference=reference)
        .first()
    )
    if declaration is None:
        raise NotFound(_("No such declaration."))
    if declaration.state not in (TruckState.DECLARED, TruckState.ADMITTED):
        raise Conflict(
            _("A declaration that is %s cannot book a slot.") % TruckState(declaration.state).label,
            code="not_bookable",
        )
    return declaration


def _check_start(starts_at: datetime | None, declaration: Declaration) -> datetime:
    if starts_at is None:
        raise InvalidInput(
            _("Choose a slot."), fields={"starts_at": [_("Give the hour the slot starts.")]}
        )
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    if starts_at != _hour(starts_at):
        raise InvalidInput(
            _("Slots start on the hour."),
            fields={"starts_at": [_("Choose a whole hour, e.g. 08:00.")]},
        )
    now = timezone.now()
    horizon = settings.CUAKHAU_BOOKING_DAYS_AHEAD
    if starts_at <= now:
        raise InvalidInput(
            _("That slot has started already."),
            fields={"starts_at": [_("Choose a slot in the future.")]},
        )
    if starts_at > now + timedelta(days=horizon):
        raise InvalidInput(
            _("Slots can be booked at most %d days ahead.") % horizon,
            fields={"starts_at": [_("Choose a slot within %d days.") % horizon]},
        )
    decision = AdmissionDecision.objects.filter(
        gate=declaration.gate,
        flow=declaration.flow,
        day=timezone.localdate(starts_at),
        status=AdmissionStatus.HELD,
    ).first()
    if decision is not None:
        when = (
            decision.earliest_open_day.strftime("%d/%m/%Y")
            if decision.earliest_open_day
            else _("not yet known")
        )
        raise Conflict(
            _(
                "%(gate)s is holding trucks at origin on %(day)s: its yard is expected to be "
                "full. The earliest day with room is %(when)s."
            )
            % {
                "gate": declaration.gate.name,
                "day": decision.day.strftime("%d/%m/%Y"),
                "when": when,
            },
            code="held_at_origin",
            fields={"starts_at": [_("Choose a day from %s.") % when]},
        )
    return starts_at


def _take(slot: Slot, lane: str) -> None:
    """Count one booking in a slot locked by the caller, or refuse if its quota is used up."""
    free = slot.free_green if lane == Lane.GREEN else slot.free_standard
    if free <= 0:
        raise Conflict(
            _("This slot is full; choose another hour."),
            code="slot_full",
            fields={
                "starts_at": [
                    _("No place left at %s.")
                    % timezone.localtime(slot.starts_at).strftime("%d/%m %H:%M")
                ]
            },
        )
    column = "booked_green" if lane == Lane.GREEN else "booked_standard"
    try:
        with transaction.atomic():
            Slot.objects.filter(pk=slot.pk).update(**{column: F(column) + 1})
    except IntegrityError as exc:
        # The CHECK constraints disagree with the count we read: the slot is full after all.
        raise Conflict(_("This slot is full; choose another hour."), code="slot_full") from exc


def _release(booking: Booking) -> None:
    column = "booked_green" if booking.lane == Lane.GREEN else "booked_standard"
    Slot.objects.filter(pk=booking.slot_id).update(**{column: F(column) - 1})


def _lane(declaration: Declaration) -> str:
    return Lane.GREEN if declaration.perishable else Lane.STANDARD


def _book_locked(
    *, actor: User, declaration: Declaration, starts_at: datetime, now: datetime
) -> Booking:
    slot = slot_for(
        gate=declaration.gate, route=declaration.route, flow=declaration.flow, starts_at=starts_at
    )
    # Lock the slot row: concurrent bookers of one hour queue here, so the count each one sees
    # is the count it updates. The CHECK constraints back this up if any path forgets.
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if slot.capacity <= 0:
        raise Conflict(
            _("The gate is closed at that hour."),
            code="gate_closed",
            fields={"starts_at": [_("Choose an hour when the gate is open.")]},
        )
    lane = _lane(declaration)
    _take(slot, lane)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                declaration=declaration,
                enterprise_id=declaration.enterprise_id,
                vehicle_id=declaration.vehicle_id,
                slot=slot,
                lane=lane,
                created_at=now,
                created_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("Vehicle %s already has an active booking; cancel or change it first.")
            % declaration.vehicle.plate,
            code="vehicle_booked",
        ) from exc
    audit.record(
        action="booking.created",
        obj=booking,
        actor=actor,
        after={
            "declaration": declaration.reference,
            "slot": timezone.localtime(slot.starts_at).isoformat(),
            "gate": declaration.gate.code,
            "lane": lane,
        },
        at=now,
    )
    return booking


def do_book(*, actor: User, reference: str, starts_at: datetime | None) -> Booking:
    """Book a crossing slot for a declared trip; the trip is admitted with it."""
    declaration = _bookable(actor, reference)
    starts_at = _check_start(starts_at, declaration)
    now = timezone.now()
    with transaction.atomic():
        # Declaration first, then slot: the order every path takes (lifecycle effects included).
        Declaration.objects.select_for_update().get(pk=declaration.pk)
        booking = _book_locked(actor=actor, declaration=declaration, starts_at=starts_at, now=now)
        if declaration.state == TruckState.DECLARED:
            shipments.do_transition(
                declaration_id=declaration.pk,
                transition="admit",
                actor=None,
                actor_label=f"{SYSTEM} (booking)",
                reason=_("Slot booked for %s.")
                % timezone.localtime(starts_at).strftime("%d/%m/%Y %H:%M"),
            )
    return booking


def _active_booking(actor: User, reference: str) -> Booking:
    policy.require(actor, rules.CHANGE_BOOKING)
    booking = (
        policy.restrict(Booking.objects.all(), actor, rules.CHANGE_BOOKING)
        .select_related("slot", "declaration", "declaration__gate", "declaration__route")
        .filter(declaration__reference=reference, status=BookingStatus.ACTIVE)
        .first()
    )
    if booking is None:
        raise NotFound(_("This declaration has no active booking."))
    return booking


def _check_cutoff(booking: Booking, now: datetime) -> None:
    cutoff = booking.slot.starts_at - timedelta(minutes=settings.CUAKHAU_REBOOK_CUTOFF_MINUTES)
    if now > cutoff:
        raise Conflict(
            _("Bookings can be changed until %d minutes before the slot.")
            % settings.CUAKHAU_REBOOK_CUTOFF_MINUTES,
            code="too_late",
        )


def do_cancel_booking(*, actor: User, reference: str, reason: str = "") -> Booking:
    now = timezone.now()
    with transaction.atomic():
        booking = _active_booking(actor, reference)
        Declaration.objects.select_for_update().get(pk=booking.declaration_id)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != BookingStatus.ACTIVE:
            raise Conflict(_("This booking is no longer active."), code="booking_closed")
        Slot.objects.select_for_update().get(pk=booking.slot_id)
        _release(booking)
        booking.status = BookingStatus.CANCELLED
        booking.closed_at = now
        booking.close_reason = reason.strip()[:300]
        booking.save(update_fields=["status", "closed_at", "close_reason"])
        audit.record(
            action="booking.cancelled",
            obj=booking,
            actor=actor,
            after={"reason": booking.close_reason},
            at=now,
        )
    return booking


def do_rebook(*, actor: User, reference: str, starts_at: datetime | None) -> Booking:
    """Move an active booking to another hour: both or neither."""
    declaration = _bookable(actor, reference)
    starts_at = _check_start(starts_at, declaration)
    now = timezone.now()
    with transaction.atomic():
        Declaration.objects.select_for_update().get(pk=declaration.pk)
        old = _active_booking(actor, reference)
        _check_cutoff(old, now)
        changes = Booking.objects.filter(
            declaration=declaration, status=BookingStatus.CANCELLED, close_reason="rebooked"
        ).count()
        if changes >= settings.CUAKHAU_MAX_REBOOKINGS:
            raise Conflict(
                _("This trip has been rebooked %d times, the most allowed.") % changes,
                code="too_many_changes",
            )
        if timezone.localtime(old.slot.starts_at) == starts_at:
            raise InvalidInput(
                _("That is the slot already booked."),
                fields={"starts_at": [_("Choose a different hour.")]},
            )
        old = Booking.objects.select_for_update().get(pk=old.pk)
        new_slot = slot_for(
            gate=declaration.gate,
            route=declaration.route,
            flow=declaration.flow,
            starts_at=starts_at,
        )
        # Both slots locked at once in key order: two trucks swapping hours would otherwise
        # each hold one slot and wait for the other's.
        list(
            Slot.objects.select_for_update()
            .filter(pk__in=[old.slot_id, new_slot.pk])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        _release(old)
        old.status = BookingStatus.CANCELLED
        old.closed_at = now
        old.close_reason = "rebooked"
        old.save(update_fields=["status", "closed_at", "close_reason"])
        return _book_locked(actor=actor, declaration=declaration, starts_at=starts_at, now=now)


def on_leave(declaration: Declaration, move: Any, actor: User | None) -> None:
    """A cancelled or rejected trip gives its slot back."""
    for booking in Booking.objects.select_for_update().filter(
        declaration=declaration, status=BookingStatus.ACTIVE
    ):
        Slot.objects.select_for_update().get(pk=booking.slot_id)
        _release(booking)
        booking.status = BookingStatus.CANCELLED
        booking.closed_at = declaration.state_changed_at
        booking.close_reason = TruckState(declaration.state).label[:300]
        booking.save(update_fields=["status", "closed_at", "close_reason"])


def on_arrive(declaration: Declaration, move: Any, actor: User | None) -> None:
    """An arrival recorded on the declaration's page, not by a camera, opens the yard visit too:
    occupancy and dwell count every truck in the yard however it was recorded."""
    if not YardVisit.objects.filter(declaration=declaration, exited_at__isnull=True).exists():
        YardVisit.objects.create(
            declaration=declaration,
            gate_id=declaration.gate_id,
            entered_at=declaration.state_changed_at,
            walk_in=not Booking.objects.filter(
                declaration=declaration, status=BookingStatus.ACTIVE
            ).update(status=BookingStatus.USED, closed_at=declaration.state_changed_at),
        )
    board.forget(declaration.gate.code)


def on_cross(declaration: Declaration, move: Any, actor: User | None) -> None:
    YardVisit.objects.filter(declaration=declaration, exited_at__isnull=True).update(
        exited_at=declaration.state_changed_at
    )
    board.forget(declaration.gate.code)


# --- no-shows ---------------------------------------------------------------------------------


def sweep_no_shows(*, now: datetime | None = None) -> int:
    """Bookings whose truck is more than the grace time late lose their slot: the truck joins
    the walk-in queue, the rule and its application are recorded, the declarant is told."""
    now = now or timezone.now()
    grace = timedelta(minutes=settings.CUAKHAU_NO_SHOW_MINUTES)
    late = Booking.objects.filter(
        status=BookingStatus.ACTIVE,
        slot__starts_at__lt=now - grace,
        declaration__state__in=(TruckState.DECLARED, TruckState.ADMITTED),
    ).select_related("declaration", "declaration__vehicle", "slot")
    count = 0
    for booking in late:
        with transaction.atomic():
            locked = Booking.objects.select_for_update().get(pk=booking.pk)
            if locked.status != BookingStatus.ACTIVE:
                continue
            locked.status = BookingStatus.NO_SHOW
            locked.closed_at = now
            locked.close_reason = _("More than %d minutes late: the slot is released.") % (
                settings.CUAKHAU_NO_SHOW_MINUTES
            )
            locked.save(update_fields=["status", "closed_at", "close_reason"])
            audit.record(
                action="booking.no_show",
                obj=locked,
                actor_label=SYSTEM,
                after={
                    "declaration": booking.declaration.reference,
                    "slot": timezone.localtime(booking.slot.starts_at).isoformat(),
                    "rule": f"late by more than {settings.CUAKHAU_NO_SHOW_MINUTES} minutes",
                },
                at=now,
            )
            declaration = booking.declaration
            notifications.notify(
                recipients=notifications.declarants_of(declaration),
                kind="flow.no_show",
                compose=_no_show_message(declaration, booking),
                declaration=declaration,
            )
            count += 1
    return count


def _no_show_message(declaration: Declaration, booking: Booking) -> notifications.Compose:
    def compose() -> tuple[str, str]:
        return (
            _("%s: slot lost") % declaration.reference,
            _(
                "Truck %(plate)s did not arrive within %(minutes)d minutes of its slot "
                "%(slot)s. It can still come as a walk-in, after booked trucks."
            )
            % {
                "plate": declaration.vehicle.plate,
                "minutes": settings.CUAKHAU_NO_SHOW_MINUTES,
                "slot": timezone.localtime(booking.slot.starts_at).strftime("%d/%m %H:%M"),
            },
        )

    return compose


def no_show_counts(*, days: int = 30) -> QuerySet[Any]:
    """Enterprises by no-shows in the last ``days`` days, most first: for the board."""
    since = timezone.now() - timedelta(days=days)
    return (
        Booking.objects.filter(status=BookingStatus.NO_SHOW, closed_at__gte=since)
        .values("enterprise", "enterprise__name")
        .annotate(no_shows=Count("pk"))
        .order_by("-no_shows", "enterprise__name")
    )


# --- capacity publishing and admission control ------------------------------------------------


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


def plan_admission(*, gate: Gate, flow: str, today: date | None = None) -> list[AdmissionDecision]:
    """Decide, from the engine's backlog forecast, which of the next days the gate holds trucks
    at origin, and advise the declarants of trucks planned for those days."""
    today = today or timezone.localdate()
    view = planning.outlook(gate, flow, today)
    if view is None:
        return []
    now = timezone.now()
    decisions = []
    with transaction.atomic():
        for i, day in enumerate(view.days):
            prob = float(view.backlog.prob_full[i])
            held = prob >= 0.5
            earliest = next(
                (
                    d
                    for d, p in zip(view.days[i:], view.backlog.prob_full[i:], strict=True)
                    if p < 0.5
                ),
                None,
            )
            decision = (
                AdmissionDecision.objects.select_for_update(of=("self",))
                .filter(gate=gate, flow=flow, day=day)
                .first()
            )
            values = {
                "expected_queue": float(view.backlog.p50[i]),
                "expected_queue_high": float(view.backlog.p90[i]),
                "probability_full": prob,
                "yard_capacity": view.yard_capacity,
                "capacity": int(view.capacity[i]),
                "earliest_open_day": earliest,
                "computed_at": now,
            }
            if decision is None:
                decision = AdmissionDecision.objects.create(
                    gate=gate,
                    flow=flow,
                    day=day,
                    status=AdmissionStatus.HELD if held else AdmissionStatus.OPEN,
                    **values,
                )
            else:
                for name, value in values.items():
                    setattr(decision, name, value)
                if not decision.overridden:
                    # The board's written decision stands until the board changes it.
                    decision.status = AdmissionStatus.HELD if held else AdmissionStatus.OPEN
                decision.save()
            decisions.append(decision)
        audit.record(
            action="admission.planned",
            object_type="gates.gate",
            object_id=str(gate.pk),
            actor_label=SYSTEM,
            after={
                "flow": flow,
                "yard_capacity": view.yard_capacity,
                "in_yard": view.initial_queue,
                "days": [
                    {"day": d.day.isoformat(), "status": d.status, "p_full": d.probability_full}
                    for d in decisions
                ],
            },
            at=now,
        )
        for decision in decisions:
            if decision.status == AdmissionStatus.HELD:
                _advise_hold(decision)
    return decisions


def plan_all_gates() -> dict[str, str]:
    """Admission decisions for every road gate and direction with a yard limit and history."""
    done: dict[str, str] = {}
    for gate in Gate.objects.filter(is_active=True, mode="road"):
        for flow in Flow.values:
            decisions = plan_admission(gate=gate, flow=flow)
            if decisions:
                held = [d.day.isoformat() for d in decisions if d.status == AdmissionStatus.HELD]
                done[f"{gate.code}/{flow}"] = f"held {', '.join(held)}" if held else "open"
    return done


def _advise_hold(decision: AdmissionDecision) -> int:
    """Tell each declarant with a truck planned for a held day, without a booking, to wait at
    origin and when to come; once per declaration."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(decision.day, datetime.min.time(), tz)
    affected = (
        Declaration.objects.filter(
            gate=decision.gate,
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


# --- yard events ------------------------------------------------------------------------------

#: Which trucks a camera of each kind may be looking at.
EXPECTED_STATES: dict[str, tuple[str, ...]] = {
    EventKind.GATE_IN: (TruckState.ADMITTED, TruckState.DECLARED),
    EventKind.GATE_OUT: (
        TruckState.ARRIVED,
        TruckState.CLEARED,
        TruckState.CALLED,
        TruckState.CROSSED,
    ),
    EventKind.CROSSING: (TruckState.CALLED,),
}


class DeviceRefused(DomainError):
    status = 401
    code = "device_refused"


@dataclass(frozen=True)
class Ingested:
    """What the endpoint answers: the stored event's id, or ``None`` for a replay."""

    event_id: str
    pk: int | None

    @property
    def duplicate(self) -> bool:
        return self.pk is None


def _read_time(raw: Any, errors: dict[str, list[str]]) -> datetime | None:
    """The read time of a camera event, refused unless it is within a window of the server clock.

    The signature's clock check covers only when the request was sent: a signed body may still
    say 0001-01-01T00:00:00+14:00 (stored as a timestamp that cannot be read back, which once
    stopped the whole queue) or 2020 (which charged a 60,000-hour yard stay). A camera that
    buffered its reads while offline may send them late, up to the configured age.
    """
    try:
        at = parse_datetime(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    except (ValueError, OverflowError):
        at = None
    if at is None or timezone.is_naive(at):
        errors["at"] = [_("Give the time of the read with its time zone (ISO 8601).")]
        return None
    now = timezone.now()
    oldest = now - timedelta(hours=settings.CUAKHAU_DEVICE_READ_MAX_AGE_HOURS)
    latest = now + timedelta(seconds=settings.CUAKHAU_DEVICE_MAX_SKEW_SECONDS)
    try:
        within = oldest <= at <= latest
    except OverflowError:
        within = False
    if not within:
        errors["at"] = [
            _(
                "The read time must be between %(hours)d hours ago and %(seconds)d seconds "
                "from now (server clock %(now)s)."
            )
            % {
                "hours": settings.CUAKHAU_DEVICE_READ_MAX_AGE_HOURS,
                "seconds": settings.CUAKHAU_DEVICE_MAX_SKEW_SECONDS,
                "now": now.isoformat(timespec="seconds"),
            }
        ]
        return None
    return at


def _parse_event(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(_("The body is not JSON."), code="bad_json") from exc
    if not isinstance(data, dict):
        raise InvalidInput(_("The body must be a JSON object."), code="bad_json")
    errors: dict[str, list[str]] = {}
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 64:
        errors["event_id"] = [_("Give a unique id of 1 to 64 characters.")]
    at = _read_time(data.get("at"), errors)
    reads = data.get("reads")
    parsed: list[Read] = []
    if not isinstance(reads, list) or not 1 <= len(reads) <= 10:
        errors["reads"] = [_("Give 1 to 10 plate reads.")]
    else:
        for i, raw in enumerate(reads):
            plate = raw.get("plate") if isinstance(raw, dict) else None
            confidence = raw.get("confidence", 1.0) if isinstance(raw, dict) else None
            if not isinstance(plate, str) or not 1 <= len(plate.strip()) <= 20:
                errors[f"reads[{i}].plate"] = [_("Give the plate as read, 1 to 20 characters.")]
            elif not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
                errors[f"reads[{i}].confidence"] = [_("Give a confidence from 0 to 1.")]
            else:
                parsed.append(Read(plate.strip(), float(confidence)))
    if errors:
        raise InvalidInput(_("The event has errors; see each field."), fields=errors)
    return {"event_id": event_id, "at": at, "reads": parsed}


_device_cache: dict[str, tuple[float, Device | None]] = {}
DEVICE_CACHE_SECONDS = 30.0


def _device(code: str) -> Device | None:
    """Devices change rarely and post often: keep them for half a minute per process."""
    now = timezone.now().timestamp()
    hit = _device_cache.get(code)
    if hit is not None and now - hit[0] < DEVICE_CACHE_SECONDS:
        return hit[1]
    device = Device.objects.select_related("gate", "yard").filter(code=code, is_active=True).first()
    _device_cache[code] = (now, device)
    return device


def ingest_device_event(
    *, device_code: str, timestamp: str, signature: str, body: bytes
) -> Ingested:
    """Accept a camera's post once: signature, clock, then the event id makes replays harmless."""
    device = _device(device_code)
    if device is None:
        raise DeviceRefused(_("Unknown or inactive device."))
    check_signed(
        secret=device.secret,
        timestamp=timestamp,
        signature=signature,
        body=body,
        max_skew=settings.CUAKHAU_DEVICE_MAX_SKEW_SECONDS,
        refused=DeviceRefused,
    )
    data = _parse_event(body)
    values = {
        "device_id": device.pk,
        "event_id": data["event_id"],
        "gate_id": device.gate_id,
        "kind": device.kind,
        "at": data["at"],
        "reads": [{"plate": r.plate, "confidence": r.confidence} for r in data["reads"]],
        "status": EventStatus.RECEIVED,
        "note": "",
        "received_at": timezone.now(),
    }
    return Ingested(data["event_id"], _insert_once(values))


def _insert_once(values: dict[str, Any]) -> int | None:
    """One ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (PostgreSQL and SQLite alike): the
    unique (device, event id) constraint makes a replay harmless however many copies race in,
    without an error that would spoil a surrounding transaction. ``None`` for a replay."""
    meta = PlateEvent._meta
    columns, params = [], []
    for name, value in values.items():
        field = meta.get_field(
            name.removesuffix("_id") if name in ("device_id", "gate_id") else name
        )
        assert isinstance(field, models.Field) and field.column  # noqa: S101 - concrete columns
        columns.append(connection.ops.quote_name(field.column))
        params.append(field.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608 - names from the model, values bound
        "ON CONFLICT (device_id, event_id) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def process_events(*, limit: int = 500) -> int:
    """Reconcile and apply received camera events, oldest reading first (``cuakhau dispatch``
    runs this on every pass). Each event in its own transaction; a failing one is marked for a
    person and the rest go on."""
    done = 0
    while done < limit:
        with transaction.atomic():
            queue = PlateEvent.objects.filter(status=EventStatus.RECEIVED).order_by("at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                # Two workers never process the same event.
                queue = queue.select_for_update(skip_locked=True, of=("self",))
            else:
                queue = queue.select_for_update()
            event = queue.select_related("device", "gate").first()
            if event is None:
                break
            reads = [
                Read(str(r.get("plate", "")), float(r.get("confidence", 0))) for r in event.reads
            ]
            label = f"device:{event.device.code}" if event.device else SYSTEM
            try:
                with transaction.atomic():
                    _match_and_apply(
                        event, reads, event.device.yard_id if event.device else None, label
                    )
            except DomainError as exc:
                # The truck cannot take this step (e.g. cancelled meanwhile): a person decides.
                event.status = EventStatus.UNMATCHED
                event.note = str(exc.message)[:300]
                event.save(update_fields=["status", "note"])
            except Exception as exc:
                # Never let one bad event block the queue behind it: log it, hand it to a person.
                log.exception("yard event %s could not be applied", event.pk)
                event.status = EventStatus.UNMATCHED
                event.note = f"processing failed: {exc.__class__.__name__}"[:300]
                event.save(update_fields=["status", "note"])
            else:
                if event.status == EventStatus.RECEIVED:
                    event.status = EventStatus.UNMATCHED
                    event.save(update_fields=["status"])
        done += 1
    return done


def expected_trips(
    *, gate_id: int, kind: str, keys: Iterable[str], at: datetime
) -> list[Candidate]:
    """The open trips at a gate that an event of ``kind`` with these plate keys may be about.

    One vehicle often has two open trips at one gate (the next trip is declared before this one
    crosses). Each candidate's rank says which trip the event is about: at gate-in the admitted
    trip (it holds the slot) before one only declared, then the planned arrival nearest the read;
    at gate-out the trip still in the yard.
    """
    rows = Declaration.objects.filter(
        gate_id=gate_id, state__in=EXPECTED_STATES[kind], vehicle__ocr_key__in=list(keys)
    ).values_list("pk", "vehicle__plate", "state", "planned_arrival")
    in_yard = set(
        YardVisit.objects.filter(
            declaration_id__in=[row[0] for row in rows], exited_at__isnull=True
        ).values_list("declaration_id", flat=True)
    )
    order = {state: i for i, state in enumerate(EXPECTED_STATES[kind])}
    candidates = []
    for pk, plate, state, planned in rows:
        distance = abs((planned - at).total_seconds()) if planned else float("inf")
        if kind == EventKind.GATE_IN:
            rank: tuple[float, ...] = (order[state], distance)
        else:
            rank = (0 if pk in in_yard else 1, order[state], distance)
        candidates.append(Candidate(pk, plate, rank))
    return candidates


def _match_and_apply(
    event: PlateEvent, reads: Sequence[Read], yard_id: int | None, label: str
) -> None:
    keys = {ocr_key(r.plate) for r in reads}
    candidates = expected_trips(gate_id=event.gate_id, kind=event.kind, keys=keys, at=event.at)
    match = reconcile(reads, candidates)
    if match.declaration_id is None:
        event.note = match.reason
        event.save(update_fields=["note"])
        return
    _apply(event, match.declaration_id, yard_id, label)
    event.status = EventStatus.MATCHED
    event.declaration_id = match.declaration_id
    event.save(update_fields=["status", "declaration", "note"])


def _apply(event: PlateEvent, declaration_id: int, yard_id: int | None, label: str) -> None:
    """What a matched event means for the truck: in the yard, out of it, across the border."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
    board.forget(event.gate.code)
    if event.kind == EventKind.GATE_IN:
        walk_in = not Booking.objects.filter(
            declaration=declaration, status=BookingStatus.ACTIVE
        ).update(status=BookingStatus.USED, closed_at=event.at)
        if declaration.state == TruckState.DECLARED:
            shipments.do_transition(
                declaration_id=declaration.pk,
                transition="admit",
                actor=None,
                actor_label=f"{SYSTEM} (walk-in)",
                reason=_("Arrived without a booking: walk-in."),
                at=event.at,
            )
        if not YardVisit.objects.filter(declaration=declaration, exited_at__isnull=True).exists():
            YardVisit.objects.create(
                declaration=declaration,
                gate_id=event.gate_id,
                yard_id=yard_id,
                entered_at=event.at,
                walk_in=walk_in,
            )
        if declaration.state in (TruckState.DECLARED, TruckState.ADMITTED):
            shipments.do_transition(
                declaration_id=declaration.pk,
                transition="arrive",
                actor=None,
                actor_label=label,
                location=event.gate.name if event.gate_id else "",
                at=max(event.at, declaration.state_changed_at),
            )
    elif event.kind == EventKind.GATE_OUT:
        YardVisit.objects.filter(declaration=declaration, exited_at__isnull=True).update(
            exited_at=event.at
        )
    elif event.kind == EventKind.CROSSING:
        YardVisit.objects.filter(declaration=declaration, exited_at__isnull=True).update(
            exited_at=event.at
        )
        if declaration.state == TruckState.CALLED:
            shipments.do_transition(
                declaration_id=declaration.pk,
                transition="cross",
                actor=None,
                actor_label=label,
                at=max(event.at, declaration.state_changed_at),
            )


def _yard_staff(actor: User, gate: Gate) -> None:
    if not policy.allows(actor, rules.WORK_YARD, gate):
        # Gates are public: say who may, rather than "not found".
        raise NotAllowed(_("Only yard operators at %s record yard events.") % gate.name)


def do_record_yard_event(
    *, actor: User, gate_code: str, kind: str, plate: str, reference: str = ""
) -> PlateEvent:
    """A yard operator records a gate-in or gate-out by hand, from the plate they see.

    When the truck has several open trips at the gate and the rules cannot tell which one the
    event is about, the error names them and the operator picks one (``reference``).
    """
    gate = Gate.objects.filter(code=gate_code).first()
    if gate is None:
        raise NotFound(_("No such gate."))
    _yard_staff(actor, gate)
    errors: dict[str, list[str]] = {}
    if kind not in (EventKind.GATE_IN, EventKind.GATE_OUT):
        errors["kind"] = [_("Choose gate-in or gate-out.")]
    if not plate.strip():
        errors["plate"] = [_("Type the plate.")]
    if errors:
        raise InvalidInput(_("The yard event has errors; see each field."), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        event = PlateEvent.objects.create(
            device=None,
            event_id=f"manual-{uuid.uuid4().hex}",
            gate=gate,
            kind=kind,
            at=now,
            reads=[{"plate": plate.strip(), "confidence": 1.0}],
            status=EventStatus.UNMATCHED,
            received_at=now,
            resolved_by=actor,
        )
        label = f"user:{actor.get_username()}"
        if reference.strip():
            chosen = [
                c
                for c in expected_trips(
                    gate_id=gate.pk, kind=kind, keys={ocr_key(plate.strip())}, at=now
                )
                if c.declaration_id
                in Declaration.objects.filter(reference=reference.strip().upper()).values_list(
                    "pk", flat=True
                )
            ]
            if not chosen:
                raise InvalidInput(
                    _("Trip %(reference)s is not expected at %(gate)s with plate %(plate)s.")
                    % {"reference": reference.strip(), "gate": gate.name, "plate": plate.strip()},
                    fields={"reference": [_("Choose one of the trips listed.")]},
                )
            _apply(event, chosen[0].declaration_id, None, label)
            event.status = EventStatus.MATCHED
            event.declaration_id = chosen[0].declaration_id
            event.save(update_fields=["status", "declaration"])
        else:
            _match_and_apply(event, [Read(plate.strip(), 1.0)], None, label)
        if event.status != EventStatus.MATCHED and event.note.startswith("several open trips"):
            raise InvalidInput(
                _("Truck %(plate)s has several open trips at %(gate)s: choose the trip.")
                % {"gate": gate.name, "plate": plate.strip()},
                fields={"reference": [_("Choose the trip this truck came for.")]},
                code="choose_trip",
            )
        if event.status != EventStatus.MATCHED:
            raise InvalidInput(
                _("No truck expected at %(gate)s has plate %(plate)s.")
                % {"gate": gate.name, "plate": plate.strip()},
                fields={"plate": [_("Check the plate, or the truck's declaration.")]},
            )
        audit.record(
            action=f"yard.{kind}",
            obj=event,
            actor=actor,
            after={"plate": plate.strip(), "declaration": event.declaration_id},
            at=now,
        )
    return event


def do_correct_event(*, actor: User, event_id: int, reference: str) -> PlateEvent:
    """An operator resolves an unmatched read by naming the truck it was."""
    with transaction.atomic():
        event = (
            PlateEvent.objects.restrict(actor, Action.VIEW)
            .select_for_update()
            .filter(pk=event_id)
            .first()
        )
        if event is None:
            raise NotFound(_("No such event."))
        _yard_staff(actor, event.gate)
        if event.status != EventStatus.UNMATCHED:
            raise Conflict(_("This event is already resolved."), code="event_resolved")
        declaration = Declaration.objects.filter(
            reference=reference.strip(), gate=event.gate, state__in=EXPECTED_STATES[event.kind]
        ).first()
        if declaration is None:
            raise InvalidInput(
                _("No truck expected here has that declaration."),
                fields={"reference": [_("Give the reference of a truck expected at this gate.")]},
            )
        _apply(
            event,
            declaration.pk,
            event.device.yard_id if event.device else None,
            f"user:{actor.get_username()}",
        )
        event.status = EventStatus.CORRECTED
        event.declaration = declaration
        event.resolved_by = actor
        event.save(update_fields=["status", "declaration", "resolved_by"])
        audit.record(
            action="yard_event.corrected",
            obj=event,
            actor=actor,
            after={"declaration": declaration.reference, "reads": event.reads},
        )
    return event


def do_dismiss_event(*, actor: User, event_id: int, reason: str) -> PlateEvent:
    if not reason.strip():
        raise InvalidInput(_("Give a reason."), fields={"reason": [_("A reason is required.")]})
    with transaction.atomic():
        event = (
            PlateEvent.objects.restrict(actor, Action.VIEW)
            .select_for_update()
            .filter(pk=event_id)
            .first()
        )
        if event is None:
            raise NotFound(_("No such event."))
        _yard_staff(actor, event.gate)
        if event.status != EventStatus.UNMATCHED:
            raise Conflict(_("This event is already resolved."), code="event_resolved")
        event.status = EventStatus.DISMISSED
        event.note = reason.strip()[:300]
        event.resolved_by = actor
        event.save(update_fields=["status", "note", "resolved_by"])
        audit.record(
            action="yard_event.dismissed", obj=event, actor=actor, after={"reason": event.note}
        )
    return event


@dataclass(frozen=True)
class YardStatus:
    gate: Gate
    in_yard: int
    capacity: int | None
    dwell_hours_now: float | None
    dwell_hours_today: float | None
    unmatched: int


def yard_status(gate: Gate) -> YardStatus:
    now = timezone.now()
    open_visits = YardVisit.objects.filter(gate=gate, exited_at__isnull=True)
    in_yard = open_visits.count()
    dwell_now = None
    if in_yard:
        total = sum(
            (now - v).total_seconds() for v in open_visits.values_list("entered_at", flat=True)
        )
        dwell_now = total / in_yard / 3600
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    closed = list(
        YardVisit.objects.filter(gate=gate, exited_at__gte=start).values_list(
            "entered_at", "exited_at"
        )
    )
    dwell_today = (
        sum((b - a).total_seconds() for a, b in closed) / len(closed) / 3600 if closed else None
    )
    return YardStatus(
        gate=gate,
        in_yard=in_yard,
        capacity=planning.yard_capacity(gate),
        dwell_hours_now=dwell_now,
        dwell_hours_today=dwell_today,
        unmatched=PlateEvent.objects.filter(gate=gate, status=EventStatus.UNMATCHED).count(),
    )


# --- call-forward -----------------------------------------------------------------------------


def do_call_next(*, actor: User, gate_code: str, count: Any) -> list[Declaration]:
    """Call the next ``count`` cleared trucks in the engine's order; each driver is told."""
    gate = Gate.objects.filter(code=gate_code).first()
    if gate is None:
        raise NotFound(_("No such gate."))
    if not policy.allows(actor, rules.CALL_FORWARD, gate):
        raise NotAllowed(_("Only the yard operators at %s and the board call trucks.") % gate.name)
    try:
        n = int(str(count).strip())
    except ValueError:
        n = 0
    if not 1 <= n <= 100:
        raise InvalidInput(
            _("Call 1 to 100 trucks at a time."),
            fields={"count": [_("Give a number from 1 to 100.")]},
        )
    called: list[Declaration] = []
    board.forget(gate.code)
    for declaration_id in planning.call_order(gate)[:n]:
        with transaction.atomic():
            declaration = shipments.do_transition(
                declaration_id=declaration_id, transition="call", actor=actor, location=gate.name
            )
            _tell_driver(declaration)
        called.append(declaration)
    return called


def _tell_driver(declaration: Declaration) -> None:
    driver = declaration.driver
    notifications.send_to_driver(
        driver=driver,
        kind="flow.called",
        declaration=declaration,
        compose=lambda: (
            _("%s: go to the border now") % declaration.reference,
            _("Truck %(plate)s is called forward at %(gate)s. Drive to the border control now.")
            % {"plate": declaration.vehicle.plate, "gate": declaration.gate.name},
        ),
    )
