"""Issue 12, finding 7: the driver's "next trip" page (where, when, the slot, the QR ticket, the
queue position), and a driver's list that starts with the trips still to make."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cuakhau.testing import World, declare, walk_to
from flow import services, yards
from flow.choices import AdmissionStatus
from flow.models import AdmissionDecision
from flow.tests.conftest import open_hour, set_capacity
from shipments.choices import TruckState

pytestmark = pytest.mark.django_db


def _page(world: World) -> str:
    client = Client()
    client.force_login(world.driver_user)
    response = client.get("/flow/trip/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_driver_without_trips_is_told_so(world: World) -> None:
    html = _page(world)
    assert 'id="no-trip"' in html and 'id="next-trip"' not in html
    assert services.next_trip(world.driver_user) is None


def test_the_truck_in_the_yard_comes_before_trips_still_to_come(world: World) -> None:
    done = walk_to(declare(world, vehicle_plate="29C-100.01"), world, TruckState.RETURNED)
    later = declare(world, vehicle_plate="29C-100.02")
    cleared = walk_to(declare(world, vehicle_plate="29C-100.03"), world, TruckState.CLEARED)

    found = services.next_trip(world.driver_user)
    assert found is not None
    assert found.declaration == cleared
    assert (found.call_position, found.call_queue) == (1, 1)
    assert found.in_yard == 1
    assert [d.pk for d in found.later] == [later.pk]

    html = _page(world)
    assert "29C-100.03" in html and cleared.reference in html
    # The ticket is a QR code of the trip's page, drawn inline (no image request).
    assert "<svg" in html and f"/declarations/{cleared.reference}/" in html
    assert done.reference not in html


def test_a_booked_trip_says_when_to_come(world: World) -> None:
    gate = world.gates["huu-nghi"]
    set_capacity(gate, "exit", 10, route=gate.routes.get(code="tan-thanh"))
    trip = declare(world)
    hour = open_hour(trip)
    services.do_book(actor=world.owner, reference=trip.reference, starts_at=hour)
    found = services.next_trip(world.driver_user)
    assert found is not None and found.booking is not None
    assert found.booking.slot.starts_at == hour
    assert found.yards, "the page says which yard to go to"
    html = _page(world)
    assert timezone.localtime(hour).strftime("%d/%m/%Y %H:%M") in html


def test_the_driver_is_sent_to_the_trips_own_yard(world: World) -> None:
    """A trip on Tân Thanh goes to Tân Thanh's yard; one on Hữu Nghị's own road to Hữu Nghị's,
    not to all five yards and holding areas of the gate."""
    tan_thanh = declare(world)
    assert [y.code for y in services.trip_yards(tan_thanh)] == ["tan-thanh-yard"]
    own_road = declare(world, route="", vehicle_plate="29C-100.09")
    assert [y.code for y in services.trip_yards(own_road)] == ["huu-nghi-yard"]
    html = _page(world)
    assert "Bãi xe Tân Thanh" in html and "Khu logistics Viettel" not in html


def test_a_held_day_tells_the_driver_to_stay_at_origin_and_until_when(world: World) -> None:
    trip = declare(world)
    day = timezone.localtime(trip.planned_arrival).date()
    yard = yards.yard_of(trip)
    assert yard is not None and yard.code == "tan-thanh-yard"
    AdmissionDecision.objects.create(
        gate=trip.gate,
        yard=yard.yard,
        flow=trip.flow,
        day=day,
        status=AdmissionStatus.HELD,
        expected_queue=700,
        expected_queue_high=800,
        probability_full=0.9,
        yard_capacity=600,
        capacity=500,
        earliest_open_day=day + timedelta(days=2),
        computed_at=timezone.now(),
    )
    found = services.next_trip(world.driver_user)
    assert found is not None and found.held
    assert found.hold_day == day + timedelta(days=2)
    assert (day + timedelta(days=2)).strftime("%d/%m/%Y") in _page(world)


def test_only_drivers_have_a_next_trip_page(world: World) -> None:
    client = Client()
    client.force_login(world.owner)
    assert client.get("/flow/trip/").status_code == 403
    assert Client().get("/flow/trip/").status_code == 302


def test_a_drivers_list_starts_with_the_trips_still_to_make(world: World) -> None:
    done = walk_to(declare(world, vehicle_plate="29C-100.01"), world, TruckState.RETURNED)
    coming = declare(world, vehicle_plate="29C-100.02")
    client = Client()
    client.force_login(world.driver_user)
    html = client.get("/declarations/").content.decode()
    assert html.index(coming.reference) < html.index(done.reference)
