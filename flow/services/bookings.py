"""Slots and bookings."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from audit import services as audit
from cuakhau.errors import Conflict, InvalidInput, NotFound
from flow import board, yards
from flow import policy as rules
from flow.capacity import hourly_capacity, open_spans
from flow.choices import AdmissionStatus, BookingStatus, Lane
from flow.models import AdmissionDecision, Booking, Slot, YardVisit
from flow.services.common import SYSTEM
from flow.services.notices import pre_registered_days, refuse_new_booking
from gates.models import Gate, Route
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration


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
    capacity = hourly_capacity(gate, flow, starts_at, 1, route=route)[0]
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
    #: The part of the hour inside the gate's windows (Chi Ma's 07:00 slot opens at 07:30).
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def offers(*, declaration: Declaration, days: int | None = None) -> list[SlotOffer]:
    """Bookable hours for a declaration from the next hour to the booking horizon."""
    days = days or settings.CUAKHAU_BOOKING_DAYS_AHEAD
    start = _hour(timezone.now()) + timedelta(hours=1)
    hours = days * 24
    capacity = hourly_capacity(
        declaration.gate, declaration.flow, start, hours, route=declaration.route
    )
    spans = open_spans(declaration.gate, declaration.flow, start, hours, route=declaration.route)
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
    held = _held_days(declaration)
    days_ahead = sorted({timezone.localdate(start + timedelta(hours=h)) for h in range(hours)})
    noticed = pre_registered_days(declaration.gate, declaration.flow, days_ahead, declaration.route)
    # A pre-registered day is held for the others; a trip registered in time may still come.
    held -= noticed - _held_by_forecast(declaration)
    held |= pre_registered_days(
        declaration.gate, declaration.flow, days_ahead, declaration.route, declaration
    )
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
        span = spans[h]
        out.append(
            SlotOffer(
                moment,
                cap,
                free,
                timezone.localdate(moment) in held,
                opens_at=span[0] if span else None,
                closes_at=span[1] if span else None,
            )
        )
    return out


def decisions_for(declaration: Declaration) -> QuerySet[AdmissionDecision]:
    """The admission decisions that apply to a truck: its yard's, in its direction (none when
    its yard publishes no capacity)."""
    yard = yards.yard_of(declaration)
    if yard is None:
        return AdmissionDecision.objects.none()
    return AdmissionDecision.objects.filter(yard=yard.yard, flow=declaration.flow)


def _held_days(declaration: Declaration) -> set[date]:
    return set(
        decisions_for(declaration)
        .filter(status=AdmissionStatus.HELD, day__gte=timezone.localdate())
        .values_list("day", flat=True)
    )


def _held_by_forecast(declaration: Declaration) -> set[date]:
    """Held days the yard forecast (or the board) holds, whatever notices say."""
    return set(
        decisions_for(declaration)
        .filter(status=AdmissionStatus.HELD)
        .filter(day__gte=timezone.localdate())
        .filter(Q(probability_full__gte=0.5) | Q(overridden_by__isnull=False))
        .values_list("day", flat=True)
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


def _lock_bookable(declaration: Declaration) -> str:
    """Lock the trip's row and check, under the lock, that it may still book: its state as it
    is now (a cancel between the first look and the lock is seen here, not after)."""
    state = (
        Declaration.objects.select_for_update()
        .filter(pk=declaration.pk)
        .values_list("state", flat=True)
        .get()
    )
    if state not in (TruckState.DECLARED, TruckState.ADMITTED):
        raise Conflict(
            _("A declaration that is %s cannot book a slot.") % TruckState(state).label,
            code="not_bookable",
        )
    return str(state)


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
    refuse_new_booking(declaration, starts_at)
    decision = (
        decisions_for(declaration)
        .filter(day=timezone.localdate(starts_at), status=AdmissionStatus.HELD)
        .first()
    )
    if decision is not None and not _noticed_only(decision, declaration):
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


def _noticed_only(decision: AdmissionDecision, declaration: Declaration) -> bool:
    """A day held only for a pre-registered notice (not by the forecast or the board) still takes
    the trips registered in time (``refuse_new_booking`` has let this one through)."""
    if decision.overridden or decision.probability_full >= 0.5:
        return False
    return bool(
        pre_registered_days(declaration.gate, declaration.flow, [decision.day], declaration.route)
    )


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
        # What was read before the lock may have changed (a cancel in between): look again.
        declaration.state = _lock_bookable(declaration)
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
        declaration.state = _lock_bookable(declaration)
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
