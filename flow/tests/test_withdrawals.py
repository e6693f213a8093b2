"""Trucks that give up (issue 15 §6): a declarant withdraws a truck from the queue with a reason
(sold at home, sent by rail or a port); the slot is released, the fee follows the refund rules,
and withdrawals feed the board's statistics and the backlog forecast's leave rate."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from conftest import client_for
from cuakhau.errors import InvalidInput
from cuakhau.testing import World, declare, walk_to
from engine.forecast import backlog
from flow import planning, services
from flow.choices import BookingStatus
from flow.models import Booking
from flow.tests.conftest import open_hour, set_capacity
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration, StateChange

pytestmark = pytest.mark.django_db

STEEL = [
    shipments.LineInput(
        commodity="hot-rolled-steel", hs_heading="7208", weight_kg="25000", value_usd="15000"
    )
]


def _cancel(world: World, trip: Declaration, **extra: str) -> Declaration:
    return shipments.do_transition(
        declaration_id=trip.pk, transition="cancel", actor=world.owner, **extra
    )


def test_a_withdrawal_gives_the_slot_back_and_records_its_reason(world: World) -> None:
    gate = world.gates["huu-nghi"]
    set_capacity(gate, "exit", 10, route=gate.routes.get(code="tan-thanh"))
    trip = declare(world)
    services.do_book(actor=world.owner, reference=trip.reference, starts_at=open_hour(trip))
    _cancel(world, trip, withdrawal="rail")
    trip.refresh_from_db()
    assert (trip.state, trip.withdrawal_reason) == (TruckState.CANCELLED, "rail")
    assert Booking.objects.get(declaration=trip).status == BookingStatus.CANCELLED
    # The reason code stands in for the free text, in the history and the audit log.
    change = StateChange.objects.get(declaration=trip, to_state=TruckState.CANCELLED)
    assert change.reason == "Chuyển sang đường sắt"
    event = AuditEvent.objects.get(action="declaration.cancel", object_id=str(trip.pk))
    assert event.after["withdrawal"] == "rail"


def test_a_bad_withdrawal_is_refused_by_field_and_changes_nothing(world: World) -> None:
    trip = declare(world)
    with pytest.raises(InvalidInput) as unknown:
        _cancel(world, trip, withdrawal="teleported")
    assert "withdrawal" in unknown.value.fields
    with pytest.raises(InvalidInput) as wrong_move:
        shipments.do_transition(
            declaration_id=trip.pk, transition="admit", actor=world.board, withdrawal="rail"
        )
    assert "withdrawal" in wrong_move.value.fields
    trip.refresh_from_db()
    assert (trip.state, trip.withdrawal_reason) == (TruckState.DECLARED, "")
    # The database itself keeps a reason off a truck that was not cancelled.
    with transaction.atomic(), pytest.raises(IntegrityError):
        Declaration.objects.filter(pk=trip.pk).update(withdrawal_reason="rail")


def test_the_api_and_the_page_take_the_reason(world: World) -> None:
    first, second = declare(world), declare(world, vehicle_plate="29C-777.77")
    api = client_for(world.owner)
    refused = api.post(
        f"/api/v1/declarations/{first.reference}/transitions/",
        {"transition": "cancel", "withdrawal": "teleported"},
        format="json",
    )
    assert refused.status_code == 400 and "withdrawal" in refused.json()["error"]["fields"]
    done = api.post(
        f"/api/v1/declarations/{first.reference}/transitions/",
        {"transition": "cancel", "withdrawal": "sold_at_home"},
        format="json",
    )
    assert done.status_code == 200 and done.json()["withdrawal_reason"] == "sold_at_home"
    web = Client()
    web.force_login(world.owner)
    page = web.get(f"/declarations/{second.reference}/").content.decode()
    assert 'name="withdrawal"' in page and "Gửi qua cảng biển" in page
    posted = web.post(
        f"/declarations/{second.reference}/transition/",
        {"transition": "cancel", "withdrawal": "seaport"},
    )
    assert posted.status_code == 302
    second.refresh_from_db()
    assert second.withdrawal_reason == "seaport"


def _yard_history(world: World) -> list[Declaration]:
    """Four trucks reached Hữu Nghị's own yard ten days ago; two were withdrawn from it five
    days ago, two are still there."""
    now = timezone.now()
    trips = [
        walk_to(
            declare(world, route="", vehicle_plate=f"29C-100.0{i}", lines=STEEL),
            world,
            TruckState.ARRIVED,
        )
        for i in range(4)
    ]
    for trip in trips[:2]:
        _cancel(world, trip, withdrawal="sold_at_home")
    StateChange.objects.filter(declaration__in=trips, to_state=TruckState.ARRIVED).update(
        at=now - timedelta(days=10)
    )
    StateChange.objects.filter(declaration__in=trips, to_state=TruckState.CANCELLED).update(
        at=now - timedelta(days=5)
    )
    return trips


def test_the_leave_rate_is_withdrawals_from_the_yard_per_truck_day(world: World) -> None:
    _yard_history(world)
    gate = world.gates["huu-nghi"]
    # 4 trucks for 5 days and 2 for the next 5: 30 truck-days, 2 left.
    now = timezone.now()
    assert planning.leave_rate(Q(gate=gate, flow="exit"), now) == pytest.approx(2 / 30, rel=0.02)
    assert planning.leave_rate(Q(gate=gate, flow="entry"), now) == 0.0


def test_the_board_sees_withdrawals_by_gate_and_reason(world: World) -> None:
    _yard_history(world)
    _cancel(world, declare(world, vehicle_plate="29C-888.88"), withdrawal="rail")
    _cancel(world, declare(world, vehicle_plate="29C-999.99"), reason="wrong truck")
    rows = {(r.gate.code, r.flow): r for r in services.withdrawal_counts()}
    exits = rows[("huu-nghi", "exit")]
    assert (exits.before_yard, exits.from_yard) == (2, 2)
    assert exits.by_reason == {"sold_at_home": 2, "rail": 1, "": 1}
    assert exits.daily_leave_rate == pytest.approx(2 / 30, rel=0.02)
    assert ("huu-nghi", "entry") not in rows
    board = client_for(world.board).get("/api/v1/withdrawals/")
    assert board.status_code == 200
    assert board.json()[0]["by_reason"]["sold_at_home"] == 2
    web = Client()
    web.force_login(world.board)
    table = web.get("/flow/admission/").content.decode().split('id="withdrawals"')[1]
    assert "Hàng đã bán trong nước: 2" in table.split("</table>")[0]


def test_trucks_that_give_up_shrink_the_forecast_backlog() -> None:
    rows = pd.DataFrame(
        {
            "unique_id": "g",
            "ds": pd.date_range("2026-12-01", periods=7, freq="D"),
            "mean": 120.0,
            "lo80": 100.0,
            "hi80": 140.0,
        }
    )
    stay = backlog(rows, [100] * 7, initial_queue=400, yard_capacity=600)
    leave = backlog(rows, [100] * 7, initial_queue=400, yard_capacity=600, leave_rate=0.1)
    # Without leavers the queue grows 20 a day; with a tenth leaving daily it shrinks.
    assert stay.p50[-1] == pytest.approx(540, abs=15)
    assert leave.p50[-1] < 300
    assert all(a <= b for a, b in zip(leave.p50, stay.p50, strict=True))
