"""Booking rules and quotas: green lane and walk-in reserves, one active booking per vehicle,
changes within the rules, and the database refusing what the code would not."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from audit.models import AuditEvent
from cuakhau.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cuakhau.testing import World, declare, run_at_once
from flow import services
from flow.capacity import hourly_capacity
from flow.choices import BookingStatus, Lane
from flow.models import Booking, Slot
from flow.tests.conftest import open_hour, set_capacity
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration, Vehicle

pytestmark = pytest.mark.django_db

STEEL = [
    shipments.LineInput(
        commodity="hot-rolled-steel", hs_heading="7208", weight_kg="25000", value_usd="15000"
    )
]


def _trip(world: World, plate: str, *, perishable: bool = False) -> Declaration:
    lines = None if perishable else STEEL
    return declare(world, vehicle_plate=plate, **({"lines": lines} if lines else {}))


def test_booking_admits_the_trip_and_counts_in_its_lane(world: World) -> None:
    set_capacity(
        world.gates["huu-nghi"],
        "exit",
        10,
        route=world.gates["huu-nghi"].routes.get(code="tan-thanh"),
    )
    fruit = _trip(world, "29C-111.11", perishable=True)
    hour = open_hour(fruit)
    booking = services.do_book(actor=world.owner, reference=fruit.reference, starts_at=hour)
    assert booking.lane == Lane.GREEN
    fruit.refresh_from_db()
    assert fruit.state == TruckState.ADMITTED
    assert fruit.history.get(transition="admit").actor_label == "system:flow (booking)"
    slot = Slot.objects.get(pk=booking.slot_id)
    # 10 an hour: 1 kept for walk-ins, 3 for the green lane.
    assert (slot.capacity, slot.walkin_reserved, slot.green_reserved) == (10, 1, 3)
    assert (slot.booked_green, slot.booked_standard) == (1, 0)
    assert AuditEvent.objects.filter(action="booking.created").count() == 1


def test_quotas_keep_the_green_and_walk_in_places(world: World) -> None:
    route = world.gates["huu-nghi"].routes.get(code="tan-thanh")
    set_capacity(world.gates["huu-nghi"], "exit", 10, route=route)
    standard = [_trip(world, f"29C-2{i:02d}.11") for i in range(8)]
    green = [_trip(world, f"29C-3{i:02d}.11", perishable=True) for i in range(5)]
    hour = open_hour(standard[0])
    outcomes = []
    for d in standard:
        try:
            services.do_book(actor=world.owner, reference=d.reference, starts_at=hour)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
    # Six standard places: 10 minus 3 green minus 1 walk-in.
    assert outcomes == ["ok"] * 6 + ["slot_full"] * 2
    green_outcomes = []
    for d in green:
        try:
            services.do_book(actor=world.owner, reference=d.reference, starts_at=hour)
            green_outcomes.append("ok")
        except Conflict as exc:
            green_outcomes.append(exc.code)
    # Perishables get the three green places; the walk-in place stays free.
    assert green_outcomes == ["ok"] * 3 + ["slot_full"] * 2
    slot = Slot.objects.get(starts_at=hour, route=route)
    assert slot.booked == 9 == Booking.objects.filter(status=BookingStatus.ACTIVE).count()


def test_green_lane_may_take_free_standard_places(world: World) -> None:
    route = world.gates["huu-nghi"].routes.get(code="tan-thanh")
    set_capacity(world.gates["huu-nghi"], "exit", 10, route=route)
    green = [_trip(world, f"29C-4{i:02d}.11", perishable=True) for i in range(10)]
    hour = open_hour(green[0])
    booked = 0
    for d in green:
        try:
            services.do_book(actor=world.owner, reference=d.reference, starts_at=hour)
            booked += 1
        except Conflict:
            pass
    assert booked == 9  # everything but the walk-in place


def test_one_active_booking_per_vehicle_and_trip(world: World) -> None:
    first = _trip(world, "29C-555.55")
    second = _trip(world, "29C-555.55")  # the same truck, a later trip
    hour = open_hour(first)
    # The next open hour after it (late in the day that is tomorrow morning, not hour + 1).
    later = hour + timedelta(hours=1)
    while hourly_capacity(first.gate, first.flow, later, 1, route=first.route)[0] <= 0:
        later += timedelta(hours=1)
    services.do_book(actor=world.owner, reference=first.reference, starts_at=hour)
    with pytest.raises(Conflict) as info:
        services.do_book(actor=world.owner, reference=second.reference, starts_at=later)
    assert info.value.code == "vehicle_booked"
    slot = Slot.objects.filter(starts_at=later).first()
    # The refused booking left no count behind.
    assert slot is None or slot.booked == 0
    with pytest.raises(Conflict):
        services.do_book(actor=world.owner, reference=first.reference, starts_at=hour)


def test_bad_slots_are_refused_with_the_field_named(world: World) -> None:
    trip = _trip(world, "29C-666.66")
    hour = open_hour(trip)
    cases = [
        (None, "starts_at"),
        (hour + timedelta(minutes=30), "starts_at"),
        (timezone.now() - timedelta(hours=2), "starts_at"),
        (hour + timedelta(days=30), "starts_at"),
    ]
    for starts_at, field in cases:
        with pytest.raises(InvalidInput) as info:
            services.do_book(actor=world.owner, reference=trip.reference, starts_at=starts_at)
        assert field in info.value.fields
    # An hour when the gate is closed (03:00).
    night = timezone.localtime(hour).replace(hour=3) + timedelta(days=1)
    with pytest.raises(Conflict) as closed:
        services.do_book(actor=world.owner, reference=trip.reference, starts_at=night)
    assert closed.value.code == "gate_closed"
    assert not Booking.objects.exists()


def test_only_the_enterprise_books_changes_or_cancels(world: World) -> None:
    trip = _trip(world, "29C-777.77")
    hour = open_hour(trip)
    for who in (world.outsider, world.customs_hn):
        with pytest.raises((NotFound, NotAllowed)):
            services.do_book(actor=who, reference=trip.reference, starts_at=hour)
    services.do_book(actor=world.owner, reference=trip.reference, starts_at=hour)
    with pytest.raises(NotFound):
        services.do_cancel_booking(actor=world.outsider, reference=trip.reference)
    with pytest.raises((NotFound, NotAllowed)):
        services.do_rebook(actor=world.outsider, reference=trip.reference, starts_at=hour)
    assert Booking.objects.get().status == BookingStatus.ACTIVE


@override_settings(CUAKHAU_MAX_REBOOKINGS=2)
def test_rebooking_moves_the_place_within_the_limits(world: World) -> None:
    trip = _trip(world, "29C-888.88")
    first = open_hour(trip, after_hours=3)
    later = open_hour(trip, after_hours=(first - timezone.now()).seconds // 3600 + 2)
    services.do_book(actor=world.owner, reference=trip.reference, starts_at=first)
    moved = services.do_rebook(actor=world.owner, reference=trip.reference, starts_at=later)
    assert Slot.objects.get(starts_at=first).booked == 0
    assert Slot.objects.get(pk=moved.slot_id).booked == 1
    with pytest.raises(InvalidInput):
        services.do_rebook(actor=world.owner, reference=trip.reference, starts_at=later)
    services.do_rebook(actor=world.owner, reference=trip.reference, starts_at=first)
    with pytest.raises(Conflict) as limit:
        services.do_rebook(actor=world.owner, reference=trip.reference, starts_at=later)
    assert limit.value.code == "too_many_changes"
    cancelled = services.do_cancel_booking(actor=world.owner, reference=trip.reference)
    assert cancelled.status == BookingStatus.CANCELLED
    assert Slot.objects.get(starts_at=first).booked == 0


def test_cancelling_the_trip_gives_the_slot_back(world: World) -> None:
    trip = _trip(world, "29C-999.99")
    hour = open_hour(trip)
    booking = services.do_book(actor=world.owner, reference=trip.reference, starts_at=hour)
    shipments.do_transition(
        declaration_id=trip.pk, transition="cancel", actor=world.owner, reason="no buyer"
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert Slot.objects.get(pk=booking.slot_id).booked == 0


def test_no_show_loses_the_slot_and_the_board_sees_it(world: World) -> None:
    trip = _trip(world, "29C-123.12")
    hour = open_hour(trip)
    booking = services.do_book(actor=world.owner, reference=trip.reference, starts_at=hour)
    assert services.sweep_no_shows(now=hour + timedelta(minutes=30)) == 0
    assert services.sweep_no_shows(now=hour + timedelta(minutes=61)) == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    assert "60" in booking.close_reason
    trip.refresh_from_db()
    assert trip.state == TruckState.ADMITTED  # a walk-in now
    event = AuditEvent.objects.get(action="booking.no_show")
    assert "late by more than 60 minutes" in event.after["rule"]
    counts = list(services.no_show_counts())
    assert counts[0]["enterprise"] == world.owner_enterprise.pk and counts[0]["no_shows"] == 1
    assert services.sweep_no_shows(now=hour + timedelta(hours=5)) == 0


def test_the_database_refuses_an_overbooked_slot(world: World) -> None:
    trip = _trip(world, "29C-321.32")
    slot = services.slot_for(
        gate=trip.gate, route=trip.route, flow=trip.flow, starts_at=open_hour(trip)
    )
    free = slot.capacity - slot.walkin_reserved - slot.green_reserved
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked_standard=free + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked_green=slot.capacity)
    vehicle = Vehicle.objects.get(plate="29C-321.32")
    Booking.objects.create(
        declaration=trip,
        enterprise=trip.enterprise,
        vehicle=vehicle,
        slot=slot,
        lane=Lane.STANDARD,
        created_at=timezone.now(),
        created_by=world.owner,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            declaration=trip,
            enterprise=trip.enterprise,
            vehicle=vehicle,
            slot=slot,
            lane=Lane.STANDARD,
            created_at=timezone.now(),
            created_by=world.owner,
        )


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_bookers_never_overbook(world: World) -> None:
    """50 declarants book the same hour at once. On PostgreSQL, 50 threads with their own
    connections race for the slot row; SQLite (one writer at a time) runs them in turn."""
    route = world.gates["huu-nghi"].routes.get(code="tan-thanh")
    set_capacity(world.gates["huu-nghi"], "exit", 20, route=route)
    trips = [_trip(world, f"29C-{500 + i:03d}.{i:02d}", perishable=i % 2 == 0) for i in range(50)]
    hour = open_hour(trips[0])
    services.slot_for(gate=trips[0].gate, route=route, flow="exit", starts_at=hour)
    results: dict[str, int] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(50 if connection.vendor == "postgresql" else 1)

    def book(trip: Declaration) -> None:
        try:
            barrier.wait(timeout=30)
            services.do_book(actor=world.owner, reference=trip.reference, starts_at=hour)
            outcome = "ok"
        except Conflict as exc:
            outcome = exc.code
        except BaseException as exc:
            with lock:
                errors.append(exc)
            return
        finally:
            connection.close()
        with lock:
            results[outcome] = results.get(outcome, 0) + 1

    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=book, args=(t,)) for t in trips]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    else:
        for trip in trips:
            book(trip)
    assert not errors, errors
    slot = Slot.objects.get(route=route, flow="exit", starts_at=hour)
    active = Booking.objects.filter(slot=slot, status=BookingStatus.ACTIVE)
    # 20 an hour: 2 walk-in places, 6 green; 12 standard; the green lane can use all 18.
    assert results == {"ok": 18, "slot_full": 32}
    assert slot.booked == active.count() == 18
    assert slot.booked_standard <= 12
    assert active.filter(lane=Lane.GREEN).count() == slot.booked_green
    assert Declaration.objects.filter(state=TruckState.ADMITTED).count() == 18


@pytest.mark.django_db(transaction=True)
def test_booking_and_cancelling_at_once_never_deadlock(world: World) -> None:
    """Issue 11, finding 8: booking took the slot then the audit head, cancelling a trip the
    head then the slot; on PostgreSQL the two could deadlock and the loser got a 500. Now every
    path takes the audit head last. 12 trips book the hour while 12 booked trips are cancelled
    (their slot given back) and 6 move to the hour, all at once; SQLite runs them in turn."""
    route = world.gates["huu-nghi"].routes.get(code="tan-thanh")
    set_capacity(world.gates["huu-nghi"], "exit", 60, route=route)
    booked = [_trip(world, f"29C-{600 + i:03d}.{i:02d}") for i in range(18)]
    fresh = [_trip(world, f"29C-{700 + i:03d}.{i:02d}") for i in range(12)]
    hour = open_hour(booked[0])
    # Another open hour after it (in the evening the first open hour after +2 h and after +4 h
    # can be the same next morning, and the move was refused as "already booked").
    later, after = hour, 4
    while later <= hour:
        later = open_hour(booked[0], after_hours=after)
        after += 1
    for trip in booked:
        services.do_book(actor=world.owner, reference=trip.reference, starts_at=hour)
    jobs = (
        [("book", t) for t in fresh]
        + [("cancel", t) for t in booked[:12]]
        + [("rebook", t) for t in booked[12:]]
    )

    def job(kind: str, trip: Declaration) -> Callable[[], object]:
        if kind == "book":
            return lambda: services.do_book(
                actor=world.owner, reference=trip.reference, starts_at=hour
            )
        if kind == "rebook":
            return lambda: services.do_rebook(
                actor=world.owner, reference=trip.reference, starts_at=later
            )
        return lambda: shipments.do_transition(
            declaration_id=trip.pk, transition="cancel", actor=world.owner, reason="sold"
        )

    errors = run_at_once([job(kind, trip) for kind, trip in jobs])
    assert not errors, errors
    slot = Slot.objects.get(route=route, flow="exit", starts_at=hour)
    moved_to = Slot.objects.get(route=route, flow="exit", starts_at=later)
    assert slot.booked == Booking.objects.filter(slot=slot, status=BookingStatus.ACTIVE).count()
    assert slot.booked == 12  # 18 - 12 cancelled - 6 moved + 12 new
    assert moved_to.booked == 6
    assert Declaration.objects.filter(state=TruckState.CANCELLED).count() == 12
    from audit.services import verify_chain

    assert verify_chain()[1] is None


def test_the_slot_grid_opens_on_the_planned_arrival(world: World) -> None:
    """Issue 12, finding 9: a truck planned two days later was offered today 15:00 first."""
    from flow.views import GRID_DAYS, slot_grid

    trip = declare(world, planned_arrival=timezone.now() + timedelta(days=2, hours=3))
    offers = services.offers(declaration=trip)
    grid = slot_grid(offers, trip.planned_arrival)
    planned_day = timezone.localtime(trip.planned_arrival).date()
    assert len(grid["days"]) <= GRID_DAYS
    assert planned_day in grid["days"]
    assert grid["days"][0] >= planned_day - timedelta(days=1)
    best = min(
        (o for o in offers if o.free > 0 and not o.held),
        key=lambda o: abs((o.starts_at - trip.planned_arrival).total_seconds()),
    )
    assert grid["chosen"] == best.starts_at
    web = Client()
    web.force_login(world.owner)
    html = web.get(f"/declarations/{trip.reference}/").content.decode()
    assert 'id="slot-grid"' in html
    assert html.count(" checked>") == 1


def test_a_cancel_between_the_look_and_the_lock_is_seen_under_the_lock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24, finding 4: do_book checked the trip, then locked it; a cancel in between left a
    cancelled trip holding an active booking and a slot place. The cancel is forced into that
    gap; the booking is refused and nothing is held."""
    trip = declare(world)
    hour = open_hour(trip)
    first_look = services.bookings._check_start

    def cancel_meanwhile(starts_at, declaration):  # type: ignore[no-untyped-def]
        shipments.do_transition(
            declaration_id=declaration.pk,
            transition="cancel",
            actor=world.owner,
            reason="sold at home",
        )
        return first_look(starts_at, declaration)

    monkeypatch.setattr(services.bookings, "_check_start", cancel_meanwhile)
    with pytest.raises(Conflict) as refused:
        services.do_book(actor=world.owner, reference=trip.reference, starts_at=hour)
    assert refused.value.code == "not_bookable"
    trip.refresh_from_db()
    assert trip.state == TruckState.CANCELLED
    assert not Booking.objects.filter(status=BookingStatus.ACTIVE).exists()
    assert not Slot.objects.filter(booked_standard__gt=0).exists()
    assert not Slot.objects.filter(booked_green__gt=0).exists()
