import re

from playwright.sync_api import Page, expect

from cuakhau.testing import World, declare
from fees.models import Receipt
from shipments.services import LineInput
from tests.browser.conftest import screenshot
from tests.browser.test_declarant import _log_in


def test_declarant_sees_the_fee_pays_it_and_verifies_the_receipt(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
) -> None:
    base = live_server.url
    trip = declare(
        live_world,
        lines=[LineInput(commodity="fresh-vegetables", weight_kg="1500", value_usd="900")],
    )
    _log_in(page, base, "owner")
    page.goto(f"{base}/declarations/{trip.reference}/")

    # The fee and how it was assessed, before paying.
    expect(page.locator("#fee-amount")).to_contain_text("100.000 ₫")
    explanation = page.locator("#fee-explanation")
    expect(explanation).to_contain_text("NQ 09/2025")
    expect(explanation).to_contain_text("dưới 2 tấn")
    expect(explanation).to_contain_text("Rau tươi")
    expect(page.locator("#fee-balance")).to_have_text("100.000 ₫")

    # Pay through the demo provider: its checkout page, then back to the trip.
    page.click("#pay")
    page.wait_for_url(re.compile(r"/fees/demo-pay/PAY-[0-9A-F]{16}/$"))
    expect(page.locator("#amount-due")).to_have_text("100.000 ₫")
    page.click("#confirm-payment")
    page.wait_for_url(re.compile(rf"/declarations/{trip.reference}/$"))
    expect(page.locator(".alert[role=status]").first).to_contain_text("Đã nhận thanh toán")
    expect(page.locator("#fee-balance")).to_have_text("0 ₫")
    receipt = Receipt.objects.get(declaration=trip)
    expect(page.locator("#receipts")).to_contain_text(receipt.display_number)

    # The printable receipt carries a QR code of its public verification link.
    page.click(f"#receipts a:has-text('{receipt.display_number}')")
    expect(page.locator("#receipt-number")).to_have_text(receipt.display_number)
    link = page.locator("#verify-link")
    href = link.get_attribute("href") or ""
    assert href.endswith(f"/fees/v/{receipt.token}/")
    expect(page.locator("figure.qr svg title")).to_have_text(href)
    shot = screenshot(page, "receipt")
    assert shot.stat().st_size > 10_000

    # Anyone holding the receipt can check it, and sees nothing private.
    page.click("#verify-link")
    expect(page.locator("#verdict")).to_have_text("Biên lai hợp lệ")
    expect(page.locator("#verified-amount")).to_have_text("100.000 ₫")
    body = page.locator("main")
    expect(body).not_to_contain_text(live_world.owner_enterprise.name)
    expect(body).not_to_contain_text(trip.reference)
    expect(body).not_to_contain_text(live_world.owner_vehicle.plate)

    # A paper receipt is checked by its number and the amount printed on it, typed the
    # Vietnamese way.
    form = page.locator("#verify-by-number form")
    form.locator("#v-number").fill(receipt.display_number)
    form.locator("#v-amount").fill("100.000")
    form.get_by_role("button", name="Kiểm tra").click()
    expect(page.locator("#verdict")).to_have_text("Biên lai hợp lệ")
    page.locator("#v-amount").fill("100,000")
    page.locator("#verify-by-number").get_by_role("button", name="Kiểm tra").click()
    expect(page.locator("#v-amount")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#verify-by-number")).to_contain_text("15.000")
