from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from cuakhau.testing import World, declare
from flow.choices import BookingStatus
from flow.models import Booking
from gates.models import HoursException, WorkingHours
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration
from tests.browser.conftest import screenshot
from tests.browser.test_declarant import _log_in

STEEL = [
    shipments.LineInput(
        commodity="hot-rolled-steel", hs_heading="7208", weight_kg="25000", value_usd="15000"
    )
]


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
    """The board publishes "pre-registered goods only" for two days from tomorrow with a
    registration deadline already passed (a notice of a week ago): a truck registered before it
    books its slot on those days; one declared after it cannot, and the deadline is named."""
    cache.clear()
    tz = timezone.get_current_timezone()
    tomorrow = timezone.localdate() + timedelta(days=1)
    registered = declare(
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
    notice.locator("#x-registered-by").fill((tomorrow - timedelta(days=2)).isoformat())
    notice.locator("#x-reason").fill("Tết Nguyên đán")
    notice.locator("#x-wait").fill("Khu logistics Viettel Lạng Sơn")
    notice.get_by_role("button", name="Công bố thay đổi").click()
    expect(page.locator("#exception-list")).to_contain_text("chỉ hàng đã đăng ký trước")
    published = HoursException.objects.filter(
        gate__code="huu-nghi", pre_registered_only=True, date__gte=tomorrow
    )
    assert published.count() == 2
    deadline = timezone.localtime(published.first().registration_deadline)
    page.get_by_role("button", name="Đăng xuất").click()

    # The public board says it, with the deadline and where to wait.
    page.goto(f"{base}/flow/board/huu-nghi/")
    card = page.locator("#gate-huu-nghi")
    expect(card).to_contain_text("chỉ thông quan hàng đã đăng ký trước")
    expect(card).to_contain_text(deadline.strftime("%d/%m/%Y %H:%M"))
    expect(card).to_contain_text("Khu logistics Viettel Lạng Sơn")
    screenshot(page, "board-tet-notice")

    # A truck declared after the notice is not pre-registered: it cannot be declared for the
    # notice's days, and declared for the day after, it is offered no slot on them.
    second = tomorrow + timedelta(days=1)
    late = declare(
        live_world,
        vehicle_plate="29C-246.81",
        planned_arrival=datetime.combine(second + timedelta(days=1), time(9), tz),
    )
    _log_in(page, base, "owner")
    page.goto(f"{base}/declarations/{late.reference}/")
    grid = page.locator("#slot-grid")
    expect(grid).to_be_visible()
    expect(grid.locator("thead")).to_contain_text(second.strftime("%d/%m"))
    assert grid.locator(f"input[value^='{second.isoformat()}']").count() == 0
    # The grid shows four days from the day before the planned arrival; the one after the
    # notice is bookable again.
    after = (second + timedelta(days=1)).isoformat()
    assert grid.locator(f"input[value^='{after}']").count() > 0
    # The truck registered before the notice books on the notice's first day.
    page.goto(f"{base}/declarations/{registered.reference}/")
    form = page.get_by_role("form", name="Đặt khung giờ")
    form.locator(f"#slot-grid input[value^='{tomorrow.isoformat()}']").first.check()
    form.get_by_role("button", name="Đặt lịch").click()
    expect(page.locator("#booking")).to_contain_text("Đã đặt")
    booking = Booking.objects.get(declaration=registered)
    assert timezone.localdate(booking.slot.starts_at) == tomorrow


def test_chi_ma_two_windows_a_road_suspension_and_a_booking_inside_the_windows(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    """The board enters Chi Ma's two-window day and a two-window suspension on one road of Hữu
    Nghị, in Vietnamese; a Chi Ma export is offered slots only inside the windows and books one;
    the public board shows both windows in Vietnamese and Chinese."""
    cache.clear()
    base = live_server.url
    WorkingHours.objects.filter(gate__code="chi-ma").delete()
    _log_in(page, base, "board")
    page.goto(f"{base}/gates/hours/chi-ma/")
    for flow in ("exit", "entry"):
        form = page.get_by_role("form", name="Công bố giờ làm việc trong tuần")
        form.locator("#week-flow").select_option(flow)
        for day in range(7):
            form.locator(f"#opens-{day}").fill("7h30")
            form.locator(f"#closes-{day}").fill("11:00")
            form.locator(f"#opens_2-{day}").fill("13h30")
            form.locator(f"#closes_2-{day}").fill("17:00")
        form.locator("#week-source").fill("Thông báo ngày 01/12/2023")
        form.get_by_role("button", name="Công bố giờ").click()
        expect(page.locator(".alert.success")).to_contain_text("Đã công bố giờ")
    expect(page.locator("#hours-in-force tbody tr").first).to_contain_text(
        "07:30–11:00, 13:30–17:00"
    )
    assert WorkingHours.objects.filter(gate__code="chi-ma").count() == 28

    # A suspension of some hours on one road of Hữu Nghị, for a day in the coming week.
    day = timezone.localdate() + timedelta(days=3)
    page.goto(f"{base}/gates/hours/huu-nghi/")
    notice = page.get_by_role("form", name="Công bố thay đổi giờ")
    notice.locator("#x-day").fill(day.isoformat())
    notice.locator("#x-route").select_option("huu-nghi-freight")
    notice.locator("#x-opens").fill("9h")
    notice.locator("#x-closes").fill("12:30")
    notice.locator("#x-opens-2").fill("14:00")
    notice.locator("#x-closes-2").fill("18:00")
    notice.locator("#x-reason").fill("Phía Trung Quốc tạm dừng 07:00–09:00 và 12:30–14:00")
    notice.get_by_role("button", name="Công bố thay đổi").click()
    rows = page.locator("#exception-list tr[data-route=huu-nghi-freight]")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("09:00–12:30")
    assert HoursException.objects.filter(route__code="huu-nghi-freight", date=day).count() == 2
    page.get_by_role("button", name="Đăng xuất").click()

    # A Chi Ma export is offered hours only inside the windows, and books one.
    trip = declare(
        live_world,
        gate="chi-ma",
        route="",
        vehicle_plate="29C-135.79",
        lines=STEEL,
        planned_arrival=timezone.now() + timedelta(days=2),
    )
    _log_in(page, base, "owner")
    page.goto(f"{base}/declarations/{trip.reference}/")
    slots = page.locator("#slot-grid label.slot")
    expect(slots.first).to_be_visible()
    for opens, closes in zip(
        slots.evaluate_all("ls => ls.map(l => l.dataset.opens)"),
        slots.evaluate_all("ls => ls.map(l => l.dataset.closes)"),
        strict=True,
    ):
        assert opens >= "07:30" and (closes <= "11:00" or opens >= "13:30"), (opens, closes)
        assert closes <= "17:00", (opens, closes)
    expect(page.locator("#slot-grid")).to_contain_text("từ 07:30")
    form = page.get_by_role("form", name="Đặt khung giờ")
    form.get_by_role("button", name="Đặt lịch").click()
    expect(page.locator("#booking")).to_contain_text("Đã đặt")
    booked = timezone.localtime(Booking.objects.get(declaration=trip).slot.starts_at)
    assert booked.hour in (7, 8, 9, 10, 13, 14, 15, 16)

    # The public board shows Chi Ma's two windows, in Vietnamese and in Chinese.
    page.goto(f"{base}/flow/board/chi-ma/")
    windows = page.locator("#gate-chi-ma tr[data-flow=exit] .windows")
    expect(windows).to_have_text("07:30–11:00, 13:30–17:00")
    screenshot(page, "board-chi-ma-two-windows")
    page.select_option("#language", "zh-hans")
    expect(page.locator("#gate-chi-ma tr[data-flow=exit] .windows")).to_have_text(
        "07:30–11:00, 13:30–17:00"
    )
    screenshot(page, "board-chi-ma-two-windows-zh")
