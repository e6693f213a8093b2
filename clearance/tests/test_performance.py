"""Clearance times (issue 16): hours from arrival to cleared per channel, each agency's check
times, and each channel's share per day, for officers of the gate and the board."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clearance import performance
from cuakhau.testing import World, declare, pass_checks, record_channel, walk_to
from gates.models import Gate
from shipments.choices import TruckState
from shipments.models import StateChange

pytestmark = pytest.mark.django_db


def test_hours_to_clear_and_channel_shares(world: World) -> None:
    green = walk_to(declare(world), world, TruckState.ARRIVED)
    record_channel(green, world, "1")
    pass_checks(green, world)
    yellow = walk_to(declare(world, vehicle_plate="29C-404.04"), world, TruckState.ARRIVED)
    record_channel(yellow, world, "2")
    pass_checks(yellow, world)
    now = timezone.now()
    for trip, hours in ((green, 2), (yellow, 6)):
        StateChange.objects.filter(declaration=trip, to_state=TruckState.ARRIVED).update(
            at=now - timedelta(hours=hours)
        )
    result = performance.performance(Gate.objects.filter(code="huu-nghi"), days=7, now=now)
    assert result.to_clear["green"][-1] == pytest.approx(2, abs=0.1)
    assert result.to_clear["yellow"][-1] == pytest.approx(6, abs=0.1)
    assert (result.cleared["green"][-1], result.cleared["yellow"][-1]) == (1, 1)
    assert {row.agency for row in result.agencies} >= {"Hải quan"}
    # Chi Ma's officer sees Chi Ma only: nothing here.
    other = performance.performance(Gate.objects.filter(code="chi-ma"), days=7, now=now)
    assert sum(other.cleared["green"]) == 0
    web = Client()
    web.force_login(world.board)
    page = web.get("/clearance/performance/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    charts = page.split('id="clearance-charts"')[1].split("</section>")[0]
    assert charts.count('<figure class="chart"') == 2
    assert '<rect class="s0"' in charts and '<rect class="s2"' in charts  # 50 % green, 50 % yellow
