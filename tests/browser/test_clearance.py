from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from clearance.choices import Agency, CheckStatus, InspectionResult
from clearance.models import Check
from clearance.services import InspectionInput, do_record_inspection
from cuakhau.testing import FRUIT_CODES, World, customs_number, declare, officer_for, walk_to
from shipments import services
from shipments.choices import TruckState
from shipments.models import Declaration
from tests.browser.conftest import screenshot
from tests.browser.test_declarant import _log_in


def _durian_in_yard(world: World, **overrides: object) -> Declaration:
    durian = declare(
        world,
        **overrides,
        lines=[
            services.LineInput(
                commodity="durian",
                hs_heading="0810",
                weight_kg="20000",
                value_usd="70000",
                **FRUIT_CODES,
            )
        ],
    )
    return walk_to(durian, world, TruckState.ARRIVED)


def test_quarantine_officer_passes_a_truck_of_durian(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    world = live_world
    # Registered in VNACCS before it came: yellow, customs checks the documents.
    durian = _durian_in_yard(
        world, customs_declaration_number=customs_number(), customs_channel="2"
    )
    # Customs and the border guard have done their part; quarantine is the last check.
    for check in Check.objects.filter(declaration=durian, status=CheckStatus.OPEN).exclude(
        agency=Agency.PLANT_QUARANTINE
    ):
        do_record_inspection(
            check_id=check.pk,
            actor=officer_for(check, world),
            data=InspectionInput(result=InspectionResult.PASS),
        )
    base = live_server.url
    _log_in(page, base, "quarantine_hn")
    page.goto(f"{base}/clearance/")
    row = page.locator("#worklist tbody tr", has_text=durian.reference)
    expect(row).to_contain_text("Kiểm dịch thực vật")
    expect(row).to_contain_text("dễ hư hỏng")
    row.get_by_role("link", name=durian.reference).click()
    page.wait_for_url(re.compile(rf"/declarations/{durian.reference}/$"))
    expect(page.locator("#state")).to_have_text("Đã vào bãi")
    expect(page.locator("main")).to_contain_text("Sầu riêng")

    form = page.get_by_role("form", name="Ghi kết quả kiểm tra")
    # A failure without a reason is refused in place, and nothing changes.
    form.locator("select[name=result]").select_option("fail")
    form.get_by_role("button", name="Ghi nhận").click()
    expect(page.locator("#clearance-panel .alert.error")).to_contain_text("lý do")
    assert Declaration.objects.get(pk=durian.pk).state == TruckState.ARRIVED

    form = page.get_by_role("form", name="Ghi kết quả kiểm tra")
    form.locator("select[name=result]").select_option("pass")
    form.locator("textarea[name=notes]").fill("Không phát hiện sinh vật gây hại")
    form.locator("input[name=sample_taken]").check()
    form.get_by_role("button", name="Ghi nhận").click()
    expect(page.locator("#state")).to_have_text("Đã thông quan")
    expect(page.locator("tr[data-agency=plant_quarantine]")).to_have_attribute(
        "data-status", "passed"
    )
    expect(page.locator("main")).to_contain_text("Không phát hiện sinh vật gây hại")
    screenshot(page, "quarantine-durian-cleared")
    durian.refresh_from_db()
    assert durian.state == TruckState.CLEARED
    assert durian.history.get(transition="clear").actor_label.startswith("system:clearance")

    # The truck has left the quarantine worklist.
    page.goto(f"{base}/clearance/")
    expect(page.locator("#worklist")).not_to_contain_text(durian.reference)


def test_a_failed_check_stays_failed_after_an_error(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 12, finding 1: the form that comes back with an error keeps "fail" and the notes."""
    world = live_world
    durian = _durian_in_yard(world)
    base = live_server.url
    _log_in(page, base, "quarantine_hn")
    page.goto(f"{base}/declarations/{durian.reference}/")
    form = page.get_by_role("form", name="Ghi kết quả kiểm tra")
    form.locator("select[name=result]").select_option("fail")
    form.locator("input[name=sample_taken]").check()
    form.get_by_role("button", name="Ghi nhận").click()
    expect(page.locator("#clearance-panel .alert.error")).to_contain_text("lý do")

    form = page.get_by_role("form", name="Ghi kết quả kiểm tra")
    expect(form.locator("select[name=result]")).to_have_value("fail")
    expect(form.locator("input[name=sample_taken]")).to_be_checked()
    expect(form.locator("textarea[name=notes]")).to_have_attribute("aria-invalid", "true")
    form.locator("textarea[name=notes]").fill("Phát hiện rệp sáp")
    form.get_by_role("button", name="Ghi nhận").click()
    expect(page.locator("tr[data-agency=plant_quarantine]")).to_have_attribute(
        "data-status", "failed"
    )
    check = Check.objects.get(declaration=durian, agency=Agency.PLANT_QUARANTINE)
    inspection = check.inspections.get()
    assert inspection.result == InspectionResult.FAIL
    assert inspection.notes == "Phát hiện rệp sáp"
    assert inspection.sample_taken


def test_customs_records_the_vnaccs_channel_beside_cuakhaus_advice(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    world = live_world
    durian = _durian_in_yard(world)
    base = live_server.url
    _log_in(page, base, "customs_hn")
    page.goto(f"{base}/declarations/{durian.reference}/")
    panel = page.locator("#clearance-panel")
    expect(page.locator("#channel")).to_have_text("chưa ghi nhận")
    # cuakhau's advice is shown apart, and never called the channel.
    expect(page.locator("#risk-advice")).to_contain_text("không phải là luồng")
    form = page.locator("#record-channel")
    # The number typed with spaces, as it is printed on the declaration; no channel chosen.
    form.locator("input[name=customs_declaration_number]").fill("3001 2345 6789")
    form.get_by_role("button", name="Ghi nhận luồng").click()
    expect(panel.locator(".alert.error")).to_contain_text("mã luồng VNACCS")
    expect(form.locator("select[name=customs_channel]")).to_have_attribute("aria-invalid", "true")
    # What was typed is kept.
    expect(form.locator("input[name=customs_declaration_number]")).to_have_value("3001 2345 6789")
    assert Declaration.objects.get(pk=durian.pk).customs_channel == ""
    form.locator("select[name=customs_channel]").select_option("3")
    # A customs declaration new to the truck needs its procedure code.
    form.get_by_role("button", name="Ghi nhận luồng").click()
    expect(form.locator("select[name=customs_channel]")).not_to_have_attribute(
        "aria-invalid", "true"
    )
    expect(form.locator("select[name=procedure_code]")).to_have_attribute("aria-invalid", "true")
    expect(panel.locator(".alert.error")).to_contain_text("mã loại hình")
    form.locator("select[name=procedure_code]").select_option("B11")
    form.get_by_role("button", name="Ghi nhận luồng").click()
    expect(page.locator("#channel")).to_have_attribute("data-code", "3")
    expect(page.locator("#channel")).to_contain_text("Đỏ")
    expect(page.locator("main")).to_contain_text("300123456789")
    expect(page.locator("tr[data-agency=customs]")).to_contain_text("Kiểm tra thực tế một phần")
    screenshot(page, "customs-records-vnaccs-channel")
    durian.refresh_from_db()
    assert (durian.customs_channel, durian.customs_declaration_number) == ("3", "300123456789")


def test_one_customs_declaration_on_two_trucks_and_two_on_one_truck(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    """Customs records channel 3 once for a lot on two trucks, and both get the red checks; a
    third truck carries two customs declarations (channels 1 and 2) and is worked at 2."""
    world = live_world
    base = live_server.url
    lot = customs_number()
    first, second = (
        walk_to(
            declare(
                world,
                vehicle_plate=plate,
                customs_declaration_number=lot,
                procedure_code="B11",
            ),
            world,
            TruckState.ARRIVED,
        )
        for plate in ("29C-111.11", "29C-222.22")
    )
    _log_in(page, base, "customs_hn")
    page.goto(f"{base}/declarations/{first.reference}/")
    expect(page.locator("#channel")).to_have_attribute("data-code", "")
    customs_table = page.locator("#customs-declarations")
    expect(customs_table).to_contain_text(lot)
    expect(customs_table).to_contain_text("B11")
    # The other truck of the lot is named beside the customs declaration.
    expect(customs_table).to_contain_text("29C-222.22")
    form = page.locator("#record-channel")
    form.locator("select[name=customs_channel]").select_option("3")
    form.get_by_role("button", name="Ghi nhận luồng").click()
    expect(page.locator("#channel")).to_have_attribute("data-code", "3")
    expect(page.locator("tr[data-agency=customs]")).to_contain_text("Kiểm tra thực tế một phần")
    page.get_by_role("link", name="29C-222.22").click()
    page.wait_for_url(re.compile(rf"/declarations/{second.reference}/$"))
    expect(page.locator("#channel")).to_have_attribute("data-code", "3")
    expect(page.locator("#channel")).to_contain_text("Đỏ")
    expect(page.locator("tr[data-agency=customs]")).to_contain_text("Kiểm tra thực tế một phần")
    screenshot(page, "customs-declaration-on-two-trucks")

    # A consolidated load: the declarant adds the second customs declaration VNACCS sent (yellow)
    # to a truck already carrying a green one, before it comes.
    green, yellow = customs_number(), customs_number()
    third = declare(
        world,
        vehicle_plate="29C-333.33",
        customs_declaration_number=green,
        procedure_code="B11",
        customs_channel="1",
    )
    page.context.clear_cookies()
    _log_in(page, base, "owner")
    page.goto(f"{base}/declarations/{third.reference}/")
    expect(page.locator("#channel")).to_have_attribute("data-code", "1")
    form = page.locator("#record-channel")
    form.locator("input[name=customs_declaration_number]").fill(yellow)
    form.locator("select[name=procedure_code]").select_option("B11")
    form.locator("select[name=customs_channel]").select_option("2")
    form.get_by_role("button", name="Ghi nhận luồng").click()
    expect(page.locator("#channel")).to_have_attribute("data-code", "2")
    expect(page.locator("#customs-declarations tbody tr")).to_have_count(2)
    expect(page.locator(f"#customs-declarations tr[data-number='{green}']")).to_have_attribute(
        "data-channel", "1"
    )
    third = walk_to(Declaration.objects.get(pk=third.pk), world, TruckState.ARRIVED)
    page.reload()
    expect(page.locator("tr[data-agency=customs]")).to_contain_text("Kiểm tra hồ sơ")
    # In the yard: the declarant no longer has the form; only customs changes a channel.
    expect(page.locator("#record-channel")).to_have_count(0)
    screenshot(page, "truck-with-two-customs-declarations")
    assert Declaration.objects.get(pk=third.pk).customs_channel == "2"
