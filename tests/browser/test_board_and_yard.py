"""Issue 12 in Chromium, in Vietnamese: a truck with two open trips is gated in (finding 3), an
existing selectivity rule saves unchanged (finding 2), and the board sets a gate's hours and an
officer's posting without the Django admin, both audited (finding 11)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from clearance.models import SelectivityRule
from cuakhau.testing import World, declare, walk_to
from gates.models import HoursException, WorkingHours
from shipments.choices import TruckState
from shipments.models import Declaration
from tests.browser.conftest import screenshot
from tests.browser.test_declarant import _log_in


def test_the_yard_gates_in_a_truck_that_has_two_open_trips(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    cache.clear()
    base = live_server.url
    admitted = walk_to(declare(live_world), live_world, TruckState.ADMITTED)
    later = declare(live_world, planned_arrival=timezone.now() + timedelta(days=2))
    _log_in(page, base, "yard_hn")
    page.goto(f"{base}/flow/yard/huu-nghi/")
    form = page.get_by_role("form", name="Ghi nhận sự kiện bãi")
    form.locator("select[name=kind]").select_option("gate_in")
    form.locator("input[name=plate]").fill("29c-123.45")
    form.get_by_role("button", name="Ghi nhận").click()
    expect(page.locator(".alert").first).to_contain_text("Đã ghi nhận sự kiện bãi")
    assert Declaration.objects.get(pk=admitted.pk).state == TruckState.ARRIVED
    assert Declaration.objects.get(pk=later.pk).state == TruckState.DECLARED


def test_an_existing_selectivity_rule_saves_unchanged_in_vietnamese(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    base = live_server.url
    rule = SelectivityRule.objects.filter(is_active=True).exclude(rate=1).order_by("code").first()
    assert rule is not None
    before = (rule.rate, rule.channel, list(rule.hs_prefixes), rule.description)
    _log_in(page, base, "customs_admin")
    page.goto(f"{base}/clearance/selectivity/{rule.code}/")
    rate = page.locator("#id_rate")
    assert "," in rate.input_value(), "the rate is shown the Vietnamese way"
    page.locator("#rule-form button.primary").click()
    expect(page.locator(".alert").first).to_be_visible()
    expect(page.locator("#rule-form .alert.error")).to_have_count(0)
    rule.refresh_from_db()
    assert (rule.rate, rule.channel, list(rule.hs_prefixes), rule.description) == before


def test_the_board_sets_a_gates_hours_and_an_officers_posting(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    base = live_server.url
    WorkingHours.objects.filter(gate__code="chi-ma").delete()
    _log_in(page, base, "board")
    page.get_by_role("link", name="Quản trị").first.click()
    page.locator("nav.subnav").get_by_role("link", name="Giờ làm việc cửa khẩu").click()
    page.get_by_role("link", name="Chi Ma").click()
    form = page.get_by_role("form", name="Công bố giờ làm việc trong tuần")
    form.locator("#week-flow").select_option("exit")
    for day in range(6):
        form.locator(f"#opens-{day}").fill("7h")
        form.locator(f"#closes-{day}").fill("19:00")
    form.locator("#opens-6").fill("")
    form.locator("#closes-6").fill("")
    # Forget the source: the error stands by the field, what was typed is kept, and the address
    # bar shows the page, not the POST address.
    form.get_by_role("button", name="Công bố giờ").click()
    expect(page.locator("#week-source")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#week-source ~ ul.errorlist")).to_contain_text("nguồn")
    expect(page.locator("#opens-0")).to_have_value("7h")
    assert page.url.endswith("/gates/hours/chi-ma/"), page.url
    assert not WorkingHours.objects.filter(gate__code="chi-ma").exists()
    page.locator("#week-source").fill("Thông báo của Ban quản lý, 01/12/2026")
    page.get_by_role("button", name="Công bố giờ").click()
    expect(page.locator(".alert.success")).to_contain_text("Đã công bố giờ")
    expect(page.locator("#hours-in-force tbody tr").first).to_contain_text("07:00–19:00")
    assert WorkingHours.objects.filter(gate__code="chi-ma", flow="exit").count() == 6

    # A dated closure (Tết), typed the Vietnamese way.
    day = timezone.localdate() + timedelta(days=5)
    closure = page.get_by_role("form", name="Công bố thay đổi giờ")
    closure.locator("#x-day").fill(day.isoformat())
    closure.locator("#x-closed").check()
    closure.locator("#x-reason").fill("Phía Trung Quốc nghỉ lễ")
    closure.get_by_role("button", name="Công bố thay đổi").click()
    expect(page.locator("#exception-list")).to_contain_text("Phía Trung Quốc nghỉ lễ")
    assert HoursException.objects.filter(gate__code="chi-ma", date=day, closed=True).exists()
    screenshot(page, "board-gate-hours")

    # The officer at Hữu Nghị is posted to Chi Ma instead.
    page.locator("nav.subnav").get_by_role("link", name="Người dùng và phân công").click()
    page.locator("#q").fill("customs_hn")
    page.get_by_role("button", name="Tìm").first.click()
    page.get_by_role("link", name="customs_hn").click()
    edit = page.get_by_role("form", name="Sửa người dùng")
    edit.get_by_label("Hữu Nghị").uncheck()
    edit.get_by_label("Chi Ma").check()
    edit.get_by_role("button", name="Lưu").click()
    expect(page.locator(".alert.success")).to_contain_text("customs_hn")
    expect(page.locator("#user-history")).to_contain_text("Đổi vai trò")
    assert list(live_world.customs_hn.gates.values_list("code", flat=True)) == ["chi-ma"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"gates.hours_published", "gates.hours_exception_published"} <= actions
    assert "accounts.user_changed" in actions
    assert re.search(r"/accounts/users/\d+/$", page.url)
