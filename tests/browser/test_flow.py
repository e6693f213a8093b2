from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from cuakhau.testing import World, declare
from flow.choices import BookingStatus
from flow.models import Booking
from gates.models import HoursException
from notifications.models import Delivery, Notification
from shipments.choices import TruckState
from shipments.models import Declaration
from tests.browser.conftest import screenshot
from tests.browser.test_declarant import _log_in


def test_declarant_books_yard_records_gate_in_and_the_board_counts_it(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    cache.clear()
    trip = declare(live_world, vehicle_plate="29C-246.80")
    base = live_server.url

    # The public board before: nobody in Hữu Nghị's yard.
    page.goto(f"{base}/flow/board/huu-nghi/")
    queue = page.locator("#gate-huu-nghi .queue")
    expect(queue).to_have_text("0")

    # The declarant books the first free hour on the declaration's page.
    _log_in(page, base, "owner")
    page.goto(f"{base}/declarations/{trip.reference}/")
    expect(page.locator("#booking")).to_contain_text("Chưa đặt khung giờ")
    form = page.get_by_role("form", name="Đặt khung giờ")
    # The hour nearest the planned arrival is chosen in the day × hour grid.
    chosen = form.locator("#slot-grid input[name=starts_at]:checked")
    expect(chosen).to_have_count(1)
    form.get_by_role("button", name="Đặt lịch").click()
    expect(page.locator("#booking")).to_contain_text("Đã đặt")
    expect(page.locator("#state")).to_have_text("Được chấp nhận")
    assert Booking.objects.get(declaration=trip).status == BookingStatus.ACTIVE
    page.get_by_role("button", name="Đăng xuất").click()

    # The yard operator records the truck's gate-in from the plate, as typed at the gate.
    _log_in(page, base, "yard_hn")
    page.goto(f"{base}/flow/yard/huu-nghi/")
    form = page.get_by_role("form", name="Ghi nhận sự kiện bãi")
    form.locator("select[name=kind]").select_option("gate_in")
    form.locator("input[name=plate]").fill("29c 24680")
    form.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_url(re.compile(r"/flow/yard/huu-nghi/$"))
    expect(page.locator(".alert.success, .alert")).to_contain_text("Đã ghi nhận sự kiện bãi")
    expect(page.locator("#in-yard")).to_have_text("1")
    assert Declaration.objects.get(pk=trip.pk).state == TruckState.ARRIVED
    assert Booking.objects.get(declaration=trip).status == BookingStatus.USED

    # The public board counts it (its refresh is a plain GET of the cards).
    page.goto(f"{base}/flow/board/huu-nghi/")
    expect(page.locator("#gate-huu-nghi .queue")).to_have_text("1")
    expect(page.locator("#gate-huu-nghi tr[data-flow=exit] .lane-queue")).to_have_text("1")
    screenshot(page, "gate-board")


def test_a_tet_notice_for_pre_registered_goods_reaches_board_drivers_and_slots(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    cache.clear()
    tz = timezone.get_current_timezone()
    tomorrow = timezone.localdate() + timedelta(days=1)
    trip = declare(
        live_world,
        vehicle_plate="29C-246.80",
        planned_arrival=datetime.combine(tomorrow, time(9), tz),
    )
    base = live_server.url

    # The board publishes the notice, typed in Vietnamese, for two days from tomorrow.
    _log_in(page, base, "board")
    page.goto(f"{base}/gates/hours/huu-nghi/")
    notice = page.get_by_role("form", name="Công bố thay đổi giờ")
    notice.locator("#x-day").fill(tomorrow.isoformat())
    notice.locator("#x-last-day").fill((tomorrow + timedelta(days=1)).isoformat())
    notice.locator("#x-pre").check()
    notice.locator("#x-reason").fill("Tết Nguyên đán")
    notice.locator("#x-wait").fill("Khu logistics Viettel Lạng Sơn")
    notice.get_by_role("button", name="Công bố thay đổi").click()
    expect(page.locator("#exception-list")).to_contain_text("chỉ hàng đã đăng ký trước")
    published = HoursException.objects.filter(
        gate__code="huu-nghi", pre_registered_only=True, date__gte=tomorrow
    )
    assert published.count() == 2
    page.get_by_role("button", name="Đăng xuất").click()

    # The public board says it, with where to wait.
    page.goto(f"{base}/flow/board/huu-nghi/")
    card = page.locator("#gate-huu-nghi")
    expect(card).to_contain_text("chỉ thông quan hàng đã đăng ký trước")
    expect(card).to_contain_text("Khu logistics Viettel Lạng Sơn")
    screenshot(page, "board-tet-notice")

    # The declarant of the truck planned for tomorrow was told, and cannot book those days.
    _log_in(page, base, "owner")
    page.goto(f"{base}/notifications/")
    expect(page.locator("main")).to_contain_text(f"{trip.reference}: thông báo của cửa khẩu")
    page.goto(f"{base}/declarations/{trip.reference}/")
    grid = page.locator("#slot-grid")
    expect(grid).to_be_visible()
    expect(grid.locator("thead")).to_contain_text(tomorrow.strftime("%d/%m"))
    assert grid.locator(f"input[value^='{tomorrow.isoformat()}']").count() == 0
    # The grid shows four days from the day before the planned arrival; the one after the
    # notice is bookable again.
    after = (tomorrow + timedelta(days=2)).isoformat()
    assert grid.locator(f"input[value^='{after}']").count() > 0
    assert Notification.objects.filter(kind="flow.notice", declaration=trip).exists()
    assert Delivery.objects.filter(kind="flow.notice", declaration=trip).exists()
