"""A dated gate notice acts everywhere at once: slots, the yard gate, admission, the people with
trips planned, and the public board (Tết: pre-registered goods only)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone, translation

from cuakhau.errors import Conflict, InvalidInput
from cuakhau.testing import World, declare, walk_to
from flow import board, services
from flow.tests.conftest import open_hour, set_capacity
from gates import services as gates
from notifications.models import Delivery, Notification
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration

pytestmark = pytest.mark.django_db

STEEL = [
    shipments.LineInput(
        commodity="hot-rolled-steel", hs_heading="7208", weight_kg="25000", value_usd="15000"
    )
]


def _trip(world: World, plate: str, **overrides: object) -> Declaration:
    return declare(world, vehicle_plate=plate, lines=STEEL, **overrides)


def _notice(world: World, first: object, last: object, **values: object) -> list[object]:
    return gates.do_add_exception(
        actor=world.board,
        gate_code="huu-nghi",
        data=gates.ExceptionInput(
            day=first.strftime("%d/%m/%Y"),  # type: ignore[attr-defined]
            last_day=last.strftime("%d/%m/%Y"),  # type: ignore[attr-defined]
            reason="Tết Nguyên đán",
            wait_at="Khu logistics Viettel Lạng Sơn",
            **values,
        ),
    )


def test_pre_registered_only_takes_trucks_registered_by_the_deadline(world: World) -> None:
    """A notice published ahead with a registration deadline: a truck declared before the
    deadline books a slot on a pre-registered day; one declared after it is refused, the
    deadline named; the others are told, the days held for them."""
    gate = world.gates["huu-nghi"]
    set_capacity(gate, "exit", 10, route=gate.routes.get(code="tan-thanh"))
    early = _trip(world, "29C-111.11")
    hour = open_hour(early, after_hours=30)
    day = timezone.localdate(hour)
    world.owner_driver.preferred_language = "zh-hans"
    world.owner_driver.save()
    rows = _notice(
        world,
        day,
        day + timedelta(days=3),
        pre_registered_only=True,
        registered_by=(day - timedelta(days=1)).strftime("%d/%m/%Y"),
    )
    assert len(rows) == 4
    deadline = rows[0].registration_deadline
    assert timezone.localtime(deadline).date() == day
    # Before the deadline, declaring and booking is exactly what the notice asks for.
    assert not Notification.objects.filter(kind="flow.notice").exists()
    # As if the notice had come out a week ago and its deadline had just passed.
    passed = timezone.now() - timedelta(minutes=5)
    for row in rows:
        type(row).objects.filter(pk=row.pk).update(
            published_at=passed - timedelta(days=7), registered_by=passed
        )
    Declaration.objects.filter(pk=early.pk).update(created_at=passed - timedelta(hours=1))
    board.forget("huu-nghi")
    # Declared now, for a day after the notice: it cannot move onto the notice's days.
    late = _trip(world, "29C-222.22", planned_arrival=hour + timedelta(days=4))
    services.do_book(actor=world.owner, reference=early.reference, starts_at=hour)
    with pytest.raises(Conflict) as refused:
        services.do_book(actor=world.owner, reference=late.reference, starts_at=hour)
    assert refused.value.code == "pre_registered_only"
    assert "starts_at" in refused.value.fields
    assert timezone.localtime(passed).strftime("%d/%m/%Y %H:%M") in refused.value.message
    offered = {timezone.localdate(o.starts_at): o.held for o in services.offers(declaration=late)}
    assert offered.get(day) is True
    # Admission holds the days for everyone not registered in time.
    assert services.pre_registered_days(gate, "exit", [day, day + timedelta(days=5)]) == {day}
    # The public board shows the notice with its deadline and where to wait.
    with translation.override("en"):
        lines = board.cards("huu-nghi", fresh=True)[0].notices
    notice = next(line for line in lines if "pre-registered" in line)
    assert day.strftime("%d/%m/%Y") in notice and "Viettel" in notice
    assert timezone.localtime(passed).strftime("%d/%m/%Y %H:%M") in notice


def test_a_closure_tells_declarant_and_driver_in_their_language(world: World) -> None:
    gate = world.gates["huu-nghi"]
    set_capacity(gate, "exit", 10, route=gate.routes.get(code="tan-thanh"))
    world.owner_driver.preferred_language = "zh-hans"
    world.owner_driver.save()
    trip = _trip(world, "29C-222.22")
    day = timezone.localdate(trip.planned_arrival)
    _notice(world, day, day + timedelta(days=1), closed=True)
    told = Notification.objects.filter(kind="flow.notice")
    assert set(told.values_list("declaration_id", flat=True)) == {trip.pk}
    sms = Delivery.objects.get(kind="flow.notice", declaration=trip, address=trip.driver.phone)
    assert sms.language == "zh-hans"
    assert "Viettel" in sms.body and "29C-222.22" in sms.body


def test_on_a_pre_registered_day_the_yard_admits_only_trucks_registered_in_time(
    world: World,
) -> None:
    gate = world.gates["huu-nghi"]
    set_capacity(gate, "exit", 10, route=gate.routes.get(code="tan-thanh"))
    booked = _trip(world, "29C-111.11")
    services.do_book(actor=world.owner, reference=booked.reference, starts_at=open_hour(booked))
    today = timezone.localdate()
    # Declared before the notice, for a later day; it comes today without a booking, and the
    # notice takes only what was registered before it came out.
    walk_in = walk_to(
        _trip(world, "29C-222.22", planned_arrival=timezone.now() + timedelta(days=3)),
        world,
        TruckState.ADMITTED,
    )
    _notice(world, today, today, pre_registered_only=True)
    Declaration.objects.filter(pk=walk_in.pk).update(created_at=timezone.now())
    with pytest.raises(Conflict) as refused:
        shipments.do_transition(declaration_id=walk_in.pk, transition="arrive", actor=world.yard_hn)
    assert refused.value.code == "pre_registered_only"
    walk_in.refresh_from_db()
    assert walk_in.state == TruckState.ADMITTED
    arrived = shipments.do_transition(
        declaration_id=booked.pk, transition="arrive", actor=world.yard_hn
    )
    assert arrived.state == TruckState.ARRIVED


def test_a_closure_tells_every_trip_planned_then(world: World) -> None:
    gate = world.gates["huu-nghi"]
    set_capacity(gate, "exit", 10, route=gate.routes.get(code="tan-thanh"))
    booked = _trip(world, "29C-111.11")
    hour = open_hour(booked, after_hours=30)
    services.do_book(actor=world.owner, reference=booked.reference, starts_at=hour)
    day = timezone.localdate(hour)
    _notice(world, day, day, closed=True)
    assert set(
        Notification.objects.filter(kind="flow.notice").values_list("declaration_id", flat=True)
    ) == {booked.pk}
    assert not gates.hours_on(gate, day)[0].is_open


def test_an_arrival_on_a_closed_or_pre_registered_day_is_refused_by_field(world: World) -> None:
    """Declaring or moving a planned arrival onto a day a notice closes, or opens only to trucks
    registered by a deadline already passed, is refused naming the day and the reason."""
    gate = world.gates["huu-nghi"]
    tz = timezone.get_current_timezone()
    closed_day = timezone.localdate() + timedelta(days=4)
    pre_day = closed_day + timedelta(days=1)
    trip = _trip(world, "29C-333.34")  # declared before the notices
    _notice(world, closed_day, closed_day, closed=True)
    pre = _notice(
        world,
        pre_day,
        pre_day,
        pre_registered_only=True,
        registered_by=(timezone.localdate() - timedelta(days=1)).strftime("%d/%m/%Y"),
    )
    assert pre[0].registration_deadline <= timezone.now()
    at = datetime.combine(closed_day, time(9), tz)
    with pytest.raises(InvalidInput) as refused, translation.override("en"):
        _trip(world, "29C-333.33", planned_arrival=at)
    message = refused.value.fields["planned_arrival"][0]
    assert closed_day.strftime("%d/%m/%Y") in message and "Tết" in message
    # Moving an arrival there: the same, in the declarant's language.
    with pytest.raises(InvalidInput) as moved, translation.override("vi"):
        shipments.do_amend_declaration(
            actor=world.owner,
            reference=trip.reference,
            data=shipments.AmendInput(planned_arrival=at),
        )
    assert "đóng cửa" in moved.value.fields["planned_arrival"][0]
    # A trip declared before the deadline may move onto the pre-registered day; a new one
    # cannot be declared for it.
    on_pre = datetime.combine(pre_day, time(9), tz)
    moved_ok = shipments.do_amend_declaration(
        actor=world.owner,
        reference=trip.reference,
        data=shipments.AmendInput(planned_arrival=on_pre),
    )
    assert timezone.localdate(moved_ok.planned_arrival) == pre_day
    assert not gates.hours_on(gate, closed_day)[0].is_open
    with pytest.raises(InvalidInput) as late:
        _trip(world, "29C-333.35", planned_arrival=on_pre)
    assert "planned_arrival" in late.value.fields
