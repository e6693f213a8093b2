"""One yard, one count: every reader counts a yard over every road and both directions that
wait in it (issue 23, "One yard, three numbers")."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cuakhau.testing import World, declare, walk_to
from flow import services, yards
from flow.choices import AdmissionStatus
from flow.models import AdmissionDecision
from flow.tests.test_admission_and_call import _yard_days
from gates.models import CapacityPlan, Yard
from notifications.models import Notification
from shipments.choices import TruckState
from shipments.services import LineInput
from whatif.scenario import live_scenario

pytestmark = pytest.mark.django_db

STEEL = [
    LineInput(commodity="hot-rolled-steel", hs_heading="7208", weight_kg="25000", value_usd="15000")
]


def _in_yard(world: World, plate: str, **overrides: object) -> None:
    walk_to(
        declare(world, vehicle_plate=plate, lines=STEEL, **overrides), world, TruckState.ARRIVED
    )


def _traffic(world: World) -> None:
    """In Hữu Nghị's own yard: two exits and one entry of the gate's own road. In Tân Thanh's
    yard: two exits. In Cốc Nam's (no published capacity): one."""
    _in_yard(world, "29C-310.01", route="")
    _in_yard(world, "29C-310.02", route="")
    _in_yard(world, "29C-310.03", route="", direction="import")
    _in_yard(world, "29C-310.04", route="tan-thanh")
    _in_yard(world, "29C-310.05", route="tan-thanh")
    _in_yard(world, "29C-310.06", route="coc-nam")


def test_console_board_admission_and_whatif_show_the_same_count(world: World) -> None:
    gate = world.gates["huu-nghi"]
    _yard_days(world, days=28, now=timezone.now())  # crossed long ago: history, not in the yard
    _traffic(world)
    # The yard console.
    status = services.yard_status(gate)
    console = {y.code: y.in_yard for y in status.yards}
    assert console == {"huu-nghi-yard": 3, "tan-thanh-yard": 2}
    assert status.in_yard == 6  # every road of the gate
    web = Client()
    web.force_login(world.yard_hn)
    page = web.get("/flow/yard/huu-nghi/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    own_load = page.split('data-yard="huu-nghi-yard">')[1].split("</span>")[0]
    assert "Bãi xe cửa khẩu Hữu Nghị" in own_load and "3" in own_load and "450" in own_load
    # The public board's JSON: the same count, and its last hour is that count.
    board = Client().get("/api/v1/board/huu-nghi/").json()["gates"][0]
    shown = {y["code"]: (y["in_yard"], y["history"][-1][1]) for y in board["yards"]}
    assert shown == {"huu-nghi-yard": (3, 3), "tan-thanh-yard": (2, 2)}
    # Admission: the decisions of the gate's own yard record the same count, both directions.
    services.plan_admission(gate=gate)
    own = AdmissionDecision.objects.filter(yard__code="huu-nghi-yard")
    assert own.exists() and set(own.values_list("in_yard", flat=True)) == {3}
    assert set(own.values_list("flow", flat=True)) == {"exit", "entry"}
    api = Client().get("/api/v1/admission/").json()
    rows = api["results"] if isinstance(api, dict) else api
    assert {r["in_yard"] for r in rows if r["yard"] == "huu-nghi-yard"} == {3}
    # The what-if's live state.
    doc = live_scenario(timezone.now(), 3)
    assert doc["whatif"]["in_yard"]["huu-nghi-yard"] == 3
    assert doc["whatif"]["in_yard"]["tan-thanh-yard"] == 2
    ids = {g["id"]: g.get("yard") for g in doc["gates"]}
    assert ids["huu-nghi/exit"] == ids["huu-nghi/entry"] == "huu-nghi-yard"


def test_a_yard_is_held_by_both_directions_together(world: World) -> None:
    """Three exits and two entries in a yard of four places: neither direction alone fills
    it, together they do, and nothing crosses in the next days: both directions are held."""
    gate = world.gates["huu-nghi"]
    _yard_days(world, days=28, now=timezone.now())
    for i in range(3):
        _in_yard(world, f"29C-320.0{i}", route="")
    for i in range(2):
        _in_yard(world, f"29C-321.0{i}", route="", direction="import")
    Yard.objects.filter(code="huu-nghi-yard").update(vehicle_capacity=4)
    for flow in ("exit", "entry"):
        CapacityPlan.objects.create(
            gate=gate,
            flow=flow,
            trucks_per_hour=0,
            effective_from=timezone.now() - timedelta(minutes=1),
            note="closed for the test",
        )
    decisions = services.plan_admission(gate=gate)
    today = timezone.localdate()
    first = {d.flow: d for d in decisions if d.day == today and d.yard.code == "huu-nghi-yard"}
    assert first["exit"].status == first["entry"].status == AdmissionStatus.HELD
    assert first["entry"].in_yard == 5 and first["entry"].probability_full >= 0.5
    # A truck of Tân Thanh's road waits in Tân Thanh's yard: Hữu Nghị's hold is not its hold,
    # nor is it told to wait at origin; a truck of the gate's own road planned today is.
    tan_thanh = declare(world, vehicle_plate="29C-322.01", planned_arrival=_today_at(17))
    own_road = declare(world, vehicle_plate="29C-322.02", route="", planned_arrival=_today_at(17))
    assert yards.yard_of(tan_thanh).code == "tan-thanh-yard"  # type: ignore[union-attr]
    assert not services.decisions_for(tan_thanh).filter(status=AdmissionStatus.HELD).exists()
    services.plan_admission(gate=gate)
    told = set(
        Notification.objects.filter(kind="flow.hold").values_list("declaration_id", flat=True)
    )
    assert own_road.pk in told and tan_thanh.pk not in told


def _today_at(hour: int) -> datetime:
    """Later today (or, past that hour, an hour from now): a trip planned for today."""
    at = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return max(at, timezone.now() + timedelta(hours=1))


def test_holding_areas_are_not_part_of_a_yards_count(world: World) -> None:
    counted = {y.code for y in yards.yard_counts(world.gates["huu-nghi"])}
    assert "tan-my-non-tariff-zone" not in counted
    assert "huu-nghi-yard" in counted
    assert Yard.objects.get(code="tan-my-non-tariff-zone").vehicle_capacity == 800
