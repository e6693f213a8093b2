"""A dated gate notice acts everywhere at once: slots, the yard gate, admission, the people with
trips planned, and the public board (Tết: pre-registered goods only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from cuakhau.errors import Conflict
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


def test_pre_registered_only_keeps_earlier_bookings_and_holds_the_rest(world: World) -> None:
    gate = world.gates["huu-nghi"]
    set_capacity(gate, "exit", 10, route=gate.routes.get(code="tan-thanh"))
    booked = _trip(world, "29C-111.11")
    hour = open_hour(booked, after_hours=30)
    services.do_book(actor=world.owner, reference=booked.reference, starts_at=hour)
    day = timezone.localdate(hour)
    world.owner_driver.preferred_language = "zh-hans"
    world.owner_driver.save()
    late = _trip(world, "29C-222.22", planned_arrival=hour)

    rows = _notice(world, day, day + timedelta(days=3), pre_registered_only=True)
    assert len(rows) == 4

    # The truck not booked before the notice is told, declarant and driver, in their language.
    told = Notification.objects.filter(kind="flow.notice")
    assert set(told.values_list("declaration_id", flat=True)) == {late.pk}
    sms = Delivery.objects.get(kind="flow.notice", declaration=late, address=late.driver.phone)
    assert sms.language == "zh-hans"
    assert "Viettel" in sms.body and "29C-222.22" in sms.body
    # New bookings for those days are refused, naming the notice; the days are not offered.
    with pytest.raises(Conflict) as refused:
        services.do_book(actor=world.owner, reference=late.reference, starts_at=hour)
    assert refused.value.code == "pre_registered_only"
    assert "starts_at" in refused.value.fields
    offered = {timezone.localdate(o.starts_at): o.held for o in services.offers(declaration=late)}
    assert offered.get(day) is True
    # Admission holds them.
    assert services.pre_registered_days(gate, "exit", [day, day + timedelta(days=5)]) == {day}
    # The public board shows the notice with where to wait.
    with translation.override("en"):
        lines = board.cards("huu-nghi", fresh=True)[0].notices
    notice = next(line for line in lines if "pre-registered" in line)
    assert day.strftime("%d/%m/%Y") in notice and "Viettel" in notice


def test_on_a_pre_registered_day_the_yard_admits_only_trucks_booked_before(
    world: World,
) -> None:
    gate = world.gates["huu-nghi"]
    set_capacity(gate, "exit", 10, route=gate.routes.get(code="tan-thanh"))
    booked = _trip(world, "29C-111.11")
    services.do_book(actor=world.owner, reference=booked.reference, starts_at=open_hour(booked))
    walk_in = walk_to(_trip(world, "29C-222.22"), world, TruckState.ADMITTED)
    today = timezone.localdate()
    _notice(world, today, today, pre_registered_only=True)
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
