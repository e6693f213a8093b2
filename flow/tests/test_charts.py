"""The gate board and the admission page draw their figures: the yard over the last 48 hours
against its capacity (a yard over capacity marked in colour and in words), the forecast with
held days, and the board's decisions on the same time line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cuakhau.testing import World, declare, walk_to
from flow import board
from flow.choices import AdmissionStatus
from flow.models import AdmissionDecision
from gates.models import Yard
from shipments import services as shipments
from shipments.choices import TruckState

pytestmark = pytest.mark.django_db

STEEL = [
    shipments.LineInput(
        commodity="hot-rolled-steel", hs_heading="7208", weight_kg="25000", value_usd="15000"
    )
]


def _decision(world: World, day_offset: int, **values: object) -> AdmissionDecision:
    fields: dict[str, object] = {
        "gate": world.gates["huu-nghi"],
        "yard": Yard.objects.get(code="huu-nghi-yard"),
        "flow": "exit",
        "day": timezone.localdate() + timedelta(days=day_offset),
        "status": AdmissionStatus.OPEN,
        "expected_queue": 400,
        "expected_queue_high": 520,
        "probability_full": 0.05,
        "yard_capacity": 600,
        "capacity": 500,
        "computed_at": timezone.now(),
    }
    fields.update(values)
    return AdmissionDecision.objects.create(**fields)


def test_the_board_draws_the_yard_and_marks_it_over_capacity(world: World) -> None:
    Yard.objects.filter(code="huu-nghi-yard").update(vehicle_capacity=2)
    for i in range(3):
        walk_to(
            declare(world, route="", vehicle_plate=f"29C-200.0{i}", lines=STEEL),
            world,
            TruckState.ARRIVED,
        )
    _decision(world, 1, status=AdmissionStatus.HELD, expected_queue=700, expected_queue_high=800)
    board.forget("huu-nghi")
    page = Client().get("/flow/board/huu-nghi/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    # The gate's own yard: its count and its forecast; Tân Thanh's yard: its count.
    assert page.count('<figure class="chart"') == 3
    assert '<polyline class="over"' in page or '<circle class="over"' in page
    assert "vượt sức chứa" in page  # said in words, not only in colour
    assert 'class="over-capacity"' in page  # and in the table behind the chart
    assert 'class="mark"' in page  # the held day on the forecast
    zh = Client().get("/flow/board/huu-nghi/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<figure class="chart"' in zh and 'lang="zh-hans"' in zh
    data = Client().get("/api/v1/board/huu-nghi/").json()["gates"][0]
    own = next(y for y in data["yards"] if y["code"] == "huu-nghi-yard")
    assert own["history"][-1][1] == 3 and own["outlook"][0]["held"] is True
    assert own["capacity"] == 2 and own["in_yard"] == 3


def test_admission_draws_each_lane_with_held_days_and_overrides(world: World) -> None:
    _decision(world, -3, expected_queue=300)
    _decision(world, 0)
    _decision(world, 1, status=AdmissionStatus.HELD, expected_queue=650, expected_queue_high=720)
    _decision(
        world,
        2,
        status=AdmissionStatus.OPEN,
        override_reason="Thỏa thuận với phía Trung Quốc",
        overridden_by=world.board,
    )
    web = Client()
    web.force_login(world.board)
    page = web.get("/flow/admission/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    lane = page.split('data-lane="huu-nghi-yard-exit"')[1].split("</figure>")[0]
    assert 'class="band"' in lane and 'class="limit"' in lane
    assert lane.count('<rect class="mark"') == 1 and lane.count('<rect class="override"') == 1
    # The past decision is on the time line too: four days drawn.
    assert lane.count('<circle class="s0"') == 4
