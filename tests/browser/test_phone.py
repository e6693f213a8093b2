"""Issue 12, finding 7: on a 390 px phone no page scrolls sideways and the header stays small."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from cuakhau.testing import World, declare, walk_to
from shipments.choices import TruckState
from tests.browser.conftest import screenshot
from tests.browser.test_declarant import _log_in


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url}: the page is {width} px wide on a 390 px screen"


def test_driver_and_public_pages_fit_a_phone(
    phone: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    base = live_server.url
    trip = walk_to(declare(live_world), live_world, TruckState.ADMITTED)
    phone.goto(f"{base}/flow/board/")
    _no_sideways_scroll(phone)
    # Issue 24, finding 8: the board's figures were in a sideways scroller; its lanes stack,
    # each figure beside its header, all of them on the screen.
    lanes = phone.locator("#gate-huu-nghi table.stack")
    assert lanes.evaluate("t => t.scrollWidth <= t.clientWidth"), "the lanes scroll sideways"
    # Chart ticks readable: at least 7.5 px on the screen (they were about 6 px).
    tick = phone.locator("#gate-huu-nghi figure.chart text.tick").first
    expect(tick).to_be_visible()
    height = tick.evaluate("t => t.getBoundingClientRect().height")
    assert height >= 7.5, f"chart ticks are {height:.1f} px high on a phone"
    queue = phone.locator('#gate-huu-nghi tr[data-flow="exit"] td.lane-queue')
    expect(queue).to_be_visible()
    box = queue.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390, box
    header = phone.locator("header.topbar").bounding_box()
    assert header is not None and header["height"] < 844 * 0.2, header
    # The menu is behind a button, and opens.
    nav = phone.locator("#main-nav")
    expect(nav).to_be_hidden()
    phone.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    screenshot(phone, "phone-board")

    _log_in(phone, base, "driver")
    # The driver lands on the next trip: the plate, what to do now, the slot and the QR ticket.
    phone.goto(f"{base}/accounts/home/")
    phone.wait_for_url(f"{base}/flow/trip/")
    card = phone.locator("#next-trip")
    expect(card).to_contain_text(trip.vehicle.plate)
    expect(card).to_contain_text(trip.reference)
    expect(phone.locator("#what-now")).to_be_visible()
    ticket = phone.locator("#ticket svg")
    expect(ticket).to_be_visible()
    box = ticket.bounding_box()
    assert box is not None and box["width"] >= 150, f"a QR code a scanner can read: {box}"
    _no_sideways_scroll(phone)
    screenshot(phone, "phone-next-trip")
    for url in ("/declarations/", f"/declarations/{trip.reference}/"):
        phone.goto(f"{base}{url}")
        _no_sideways_scroll(phone)
    screenshot(phone, "phone-driver-trip")


def test_the_yard_console_fits_a_phone(
    phone: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 24, finding 8: the yard console was 918 px wide on a 390 px phone."""
    base = live_server.url
    walk_to(declare(live_world), live_world, TruckState.ARRIVED)
    _log_in(phone, base, "yard_hn")
    phone.goto(f"{base}/flow/yard/huu-nghi/")
    expect(phone.locator("#in-yard")).to_have_text("1")
    _no_sideways_scroll(phone)
    screenshot(phone, "phone-yard")
