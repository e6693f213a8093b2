"""Issue 16 in Chromium: the board, admission, revenue, clearance and statistics pages draw
their charts (shapes laid out on screen, not only markup) in Vietnamese and in Chinese, under
the Content-Security-Policy, with the over-capacity yard marked in colour and in words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from cuakhau.testing import World, declare, walk_to
from fees.testing import pay
from flow.choices import AdmissionStatus
from flow.models import AdmissionDecision
from gates.models import Yard
from shipments import services as shipments
from shipments.choices import TruckState
from tests.browser.conftest import screenshot
from tests.browser.test_declarant import _log_in
from tradestats.tests.test_statistics import _three_enterprises

STEEL = [
    shipments.LineInput(
        commodity="hot-rolled-steel", hs_heading="7208", weight_kg="25000", value_usd="15000"
    )
]


@pytest.fixture(params=["vi", "zh-hans"])
def language_page(request, browser: Browser) -> Iterator[tuple[str, Page]]:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale="vi-VN" if request.param == "vi" else "zh-CN",
        extra_http_headers={"Accept-Language": request.param},
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield request.param, page
    context.close()
    assert not violations, violations


def _drawn(page: Page, scope: str) -> int:
    """Charts in ``scope`` whose shapes have a size on screen."""
    charts = page.locator(f"{scope} figure.chart svg")
    expect(charts.first).to_be_visible()
    drawn = 0
    for i in range(charts.count()):
        shapes = charts.nth(i).locator("polyline, rect, circle")
        if shapes.count() and (box := shapes.first.bounding_box()) and box["width"] > 0:
            drawn += 1
    return drawn


def _world(world: World) -> None:
    cache.clear()
    _three_enterprises(world)
    Yard.objects.filter(code="huu-nghi-yard").update(vehicle_capacity=2)
    for i in range(3):
        walk_to(
            declare(world, route="", vehicle_plate=f"29C-600.0{i}", lines=STEEL),
            world,
            TruckState.ARRIVED,
        )
    pay(declare(world, vehicle_plate="29C-700.01", lines=STEEL), world.owner)
    today = timezone.localdate()
    for offset, status in ((-2, AdmissionStatus.OPEN), (0, AdmissionStatus.OPEN), (1, "held")):
        AdmissionDecision.objects.create(
            gate=world.gates["huu-nghi"],
            yard=Yard.objects.get(code="huu-nghi-yard"),
            flow="exit",
            day=today + timedelta(days=offset),
            status=status,
            expected_queue=300 + 200 * offset,
            expected_queue_high=400 + 200 * offset,
            probability_full=0.6 if status == "held" else 0.05,
            yard_capacity=600,
            capacity=500,
            computed_at=timezone.now(),
        )


def test_the_decision_pages_draw_their_charts(
    language_page: tuple[str, Page],
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    language, page = language_page
    base = live_server.url
    _world(live_world)
    page.goto(f"{base}/flow/board/huu-nghi/")
    # Hữu Nghị's own yard: its count and forecast; Tân Thanh's yard: its count.
    assert _drawn(page, "#gate-huu-nghi") == 3
    over = page.locator('#gate-huu-nghi .yard-load.over[data-yard="huu-nghi-yard"]')
    expect(over).to_be_visible()
    expect(over).to_contain_text("vượt sức chứa" if language == "vi" else "超出容量")
    assert page.locator("#gate-huu-nghi figure.chart .over").count() > 0
    screenshot(page, f"charts-board-{language}")
    year = timezone.localdate().year
    page.goto(f"{base}/statistics/?year={year}")
    assert _drawn(page, "#month-chart") == 1
    expect(page.locator("#table-gates")).to_contain_text("Hữu Nghị" if language == "vi" else "友谊")
    _log_in(page, base, "board")
    page.goto(f"{base}/flow/admission/")
    assert _drawn(page, "#admission-charts") >= 1
    lane = page.locator('#admission-charts [data-lane="huu-nghi-yard-exit"] rect.mark')
    expect(lane).to_have_count(1)
    page.goto(f"{base}/fees/revenue/")
    assert _drawn(page, "#revenue-charts") == 2
    page.goto(f"{base}/clearance/performance/")
    assert _drawn(page, "#clearance-charts") == 2
    screenshot(page, f"charts-clearance-{language}")
