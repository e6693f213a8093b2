"""Payments through the provider callback, receipts, refunds, yard charges, revenue and the
reconciliation worklists."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
import segno
from django.db import connection
from django.test import Client
from django.utils import timezone

from conftest import client_for
from cuakhau.errors import Conflict, NotAllowed
from cuakhau.testing import FRUIT_CODES, World, declare, run_at_once, walk_to
from fees import reports, services
from fees.choices import PaymentRequestStatus, ReceiptLineKind, RefundReason, RefundStatus
from fees.models import Charge, Payment, PaymentRequest, Receipt, ReceiptSeries, Refund
from fees.testing import callback_body, pay, signed_headers
from flow.models import YardVisit
from shipments.models import Declaration
from shipments.services import LineInput

pytestmark = pytest.mark.django_db
CALLBACK = "/api/v1/payments/callbacks/demo/"


def _veg(world: World, **kwargs: object) -> Declaration:
    return declare(
        world,
        lines=[LineInput(commodity="fresh-vegetables", weight_kg="1500", value_usd="900")],
        **kwargs,
    )


def _request(world: World, declaration: Declaration) -> PaymentRequest:
    return services.do_request_payment(
        actor=world.owner, reference=declaration.reference, provider="demo"
    )


def _post(body: bytes, **headers: str):  # type: ignore[no-untyped-def]
    return client_for(None).generic("POST", CALLBACK, body, "application/json", **headers)


def test_a_signed_callback_records_the_payment_and_issues_a_receipt(world: World) -> None:
    declaration = _veg(world)
    request = _request(world, declaration)
    assert request.amount_vnd == 100_000
    body = callback_body(request, txn_id="T-1")
    response = _post(body, **signed_headers(body))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "paid" and data["duplicate"] is False
    receipt = Receipt.objects.get()
    assert data["receipt"] == receipt.display_number == f"{receipt.year}-0000001"
    assert [(line.kind, line.amount_vnd) for line in receipt.lines.all()] == [
        ("infrastructure", 100_000)
    ]
    assert services.ledger(declaration).balance == 0


def test_a_replayed_callback_changes_nothing(world: World) -> None:
    request = _request(world, _veg(world))
    body = callback_body(request, txn_id="T-2")
    first = _post(body, **signed_headers(body))
    time.sleep(1)
    again = _post(body, **signed_headers(body))
    assert first.status_code == 201
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["receipt"] == first.json()["receipt"]
    assert Payment.objects.count() == Receipt.objects.count() == 1
    assert ReceiptSeries.objects.get().last_number == 1


def test_a_reused_transaction_id_with_other_details_is_a_conflict(world: World) -> None:
    request = _request(world, _veg(world))
    body = callback_body(request, txn_id="T-3")
    _post(body, **signed_headers(body))
    forged = callback_body(request, txn_id="T-3", amount_vnd=1)
    response = _post(forged, **signed_headers(forged))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transaction_mismatch"
    assert Payment.objects.get().amount_vnd == 100_000


def test_bad_signatures_stale_clocks_and_bad_bodies_are_refused(world: World) -> None:
    request = _request(world, _veg(world))
    body = callback_body(request, txn_id="T-4")
    wrong_key = _post(body, **signed_headers(body, secret="not-the-secret"))
    tampered = _post(body.replace(b"100000", b"999999"), **signed_headers(body))
    stale = _post(body, **signed_headers(body, at=time.time() - 3600))
    unsigned = _post(body)
    assert [r.status_code for r in (wrong_key, tampered, stale, unsigned)] == [401] * 4
    assert stale.json()["error"]["code"] == "stale_timestamp"
    assert wrong_key.json()["error"]["code"] == "bad_signature"
    malformed = callback_body(request, txn_id="", amount_vnd=-5, status="maybe", paid_at="soon")
    response = _post(malformed, **signed_headers(malformed))
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"txn_id", "status", "paid_at"}
    negative = callback_body(request, txn_id="T-5", amount_vnd=-5)
    response = _post(negative, **signed_headers(negative))
    assert response.status_code == 400 and "amount_vnd" in response.json()["error"]["fields"]
    unknown = callback_body(request, txn_id="T-6").replace(request.reference.encode(), b"PAY-NOPE")
    assert _post(unknown, **signed_headers(unknown)).status_code == 404
    assert not Payment.objects.exists() and not Receipt.objects.exists()


def test_callback_errors_speak_the_callers_language(world: World) -> None:
    request = _request(world, _veg(world))
    body = callback_body(request, txn_id="T-7")
    response = client_for(None).generic(
        "POST",
        CALLBACK,
        body,
        "application/json",
        HTTP_ACCEPT_LANGUAGE="vi",
        **signed_headers(body, secret="x"),
    )
    assert "chữ ký" in response.json()["error"]["message"].lower()


def test_partial_payments_leave_a_balance_and_a_second_payment_settles_it(world: World) -> None:
    declaration = _veg(world)
    first = pay(declaration, world.owner, amount_vnd=40_000)
    assert first.request.status == PaymentRequestStatus.PARTIAL
    assert services.ledger(declaration).balance == 60_000
    second = pay(declaration, world.owner)
    assert second.request.amount_vnd == 60_000
    assert services.ledger(declaration).balance == 0
    numbers = sorted(r.number for r in Receipt.objects.all())
    assert numbers == [1, 2]
    with pytest.raises(Conflict) as caught:
        _request(world, declaration)
    assert caught.value.code == "nothing_due"


def test_a_duplicate_payment_is_refunded_as_overpaid(world: World) -> None:
    declaration = _veg(world)
    request = _request(world, declaration)
    for txn in ("BANK-A", "BANK-B"):  # the bank charged the payer twice
        body = callback_body(request, txn_id=txn)
        assert _post(body, **signed_headers(body)).status_code == 201
    second = Receipt.objects.get(payment__provider_txn_id="BANK-B")
    assert [(line.kind, line.amount_vnd) for line in second.lines.all()] == [
        (ReceiptLineKind.CREDIT, 100_000)
    ]
    refund = Refund.objects.get()
    assert (refund.amount_vnd, refund.reason, refund.kind) == (
        100_000,
        RefundReason.OVERPAID,
        ReceiptLineKind.CREDIT,
    )
    assert services.process_refunds() == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED and refund.provider_ref.startswith("DEMO-R-")
    book = services.ledger(declaration)
    assert (book.paid, book.refunded, book.balance, book.credit) == (200_000, 100_000, 0, 0)
    # Issue 24, finding 9: the page listed "paid in excess" as a fee type the API left out.
    # Both now give the same facts: no fee type, VND 100,000 paid in excess, refunded.
    api = Client().get(f"/api/v1/receipt-verifications/{second.token}/").json()
    assert (api["fee_types"], api["excess_vnd"], api["refunded_vnd"]) == ([], 100_000, 100_000)
    page = Client().get(f"/fees/v/{second.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="verified-excess"' in page and "100.000 ₫" in page
    assert "Paid in excess, to be refunded" not in page.split('id="verified-excess"')[0]
    first = Receipt.objects.get(payment__provider_txn_id="BANK-A")
    api = Client().get(f"/api/v1/receipt-verifications/{first.token}/").json()
    page = Client().get(f"/fees/v/{first.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert api["fee_types"] == ["infrastructure"] and api["excess_vnd"] == 0
    assert "Infrastructure-use fee" in page and 'id="verified-excess"' not in page


def test_a_failed_payment_changes_no_money(world: World) -> None:
    declaration = _veg(world)
    request = _request(world, declaration)
    body = callback_body(request, txn_id="T-9", status="failed")
    response = _post(body, **signed_headers(body))
    assert response.status_code == 200 and response.json()["status"] == "failed"
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.FAILED
    assert services.ledger(declaration).balance == 100_000


def test_only_the_declarant_pays(world: World) -> None:
    declaration = _veg(world)
    with pytest.raises(NotAllowed):
        services.do_request_payment(
            actor=world.board, reference=declaration.reference, provider="demo"
        )
    response = client_for(world.owner).post(
        "/api/v1/payments/", {"declaration": declaration.reference, "provider": "paypal"}
    )
    assert response.status_code == 400
    assert "provider" in response.json()["error"]["fields"]
    assert not PaymentRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_receipt_numbers_have_no_gaps_or_duplicates_under_concurrency(world: World) -> None:
    """20 payments at once. On PostgreSQL 20 threads race for the series row with their own
    connections; SQLite (one writer at a time) runs them in turn."""
    trips = [_veg(world) for _ in range(20)]
    requests = [_request(world, trip) for trip in trips]

    def report(request: PaymentRequest) -> None:
        body = callback_body(request)
        headers = signed_headers(body)
        services.receive_callback(
            provider="demo",
            timestamp=headers["HTTP_X_CUAKHAU_TIMESTAMP"],
            signature=headers["HTTP_X_CUAKHAU_SIGNATURE"],
            body=body,
        )

    errors = run_at_once([lambda r=r: report(r) for r in requests])
    assert not errors, errors
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 21))
    assert ReceiptSeries.objects.get().last_number == 20


def test_yard_stays_are_charged_by_the_hour_after_the_free_time(world: World) -> None:
    declaration = walk_to(_veg(world), world, "arrived")
    visit = YardVisit.objects.get(declaration=declaration)
    now = timezone.now()
    visit.entered_at, visit.exited_at = now - timedelta(hours=5, minutes=10), now
    visit.save()
    assert services.charge_recent_yard_stays(now=now) == 1
    charge = Charge.objects.get(yard_visit=visit)
    # Under 2 t: VND 10,000 an hour after two free hours; 5 h 10 min is 4 started hours.
    assert (charge.units, charge.amount_vnd) == (4, 40_000)
    assert services.charge_recent_yard_stays(now=now) == 0
    assert services.ledger(declaration).balance == 140_000


def test_old_uncharged_stays_wait_for_the_board(world: World) -> None:
    declaration = walk_to(_veg(world), world, "arrived")
    visit = YardVisit.objects.get(declaration=declaration)
    visit.entered_at = timezone.now() - timedelta(days=5)
    visit.exited_at = timezone.now() - timedelta(days=4)
    visit.save()
    assert services.charge_recent_yard_stays() == 0
    assert list(reports.uncharged_yard_stays()) == [visit]
    with pytest.raises(NotAllowed):
        services.do_charge_yard_stay(actor=world.yard_hn, visit_id=visit.pk)
    charge = services.do_charge_yard_stay(actor=world.board, visit_id=visit.pk)
    assert charge.amount_vnd == 22 * 10_000
    assert not reports.uncharged_yard_stays().exists()


def test_revenue_by_gate_day_fee_type_and_goods_group_with_the_split(world: World) -> None:
    paid = _veg(world)
    pay(paid, world.owner)
    cancelled = declare(
        world,
        lines=[
            LineInput(commodity="dragon-fruit", weight_kg="1500", value_usd="900", **FRUIT_CODES)
        ],
    )
    pay(cancelled, world.owner)
    from shipments import services as shipments

    shipments.do_transition(
        declaration_id=cancelled.pk, transition="cancel", actor=world.owner, reason="x"
    )
    services.process_refunds()
    today = timezone.localdate()
    rows = reports.revenue(start=today, end=today)
    by_group = {r.goods_group: r for r in rows}
    veg = by_group["fresh_vegetables"]
    assert (veg.gate, veg.kind, veg.collected, veg.net, veg.center, veg.budget) == (
        "huu-nghi",
        "infrastructure",
        100_000,
        100_000,
        10_000,
        90_000,
    )
    fruit = by_group["fresh_fruit"]
    assert (fruit.collected, fruit.refunded, fruit.net) == (100_000, 100_000, 0)
    assert reports.revenue(start=today, end=today, gate="chi-ma") == []
    web = Client()
    web.force_login(world.board)
    response = web.get(f"/fees/revenue/?start={today}&end={today}&format=csv")
    assert response.status_code == 200
    # The CSV speaks the reader's language: names, not internal codes (issue 12, finding 12).
    text = response.content.decode()
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["Nhóm hàng"]: r["Thực thu (VND)"] for r in table} == {
        "Trái cây tươi": "0",
        "Rau tươi": "100000",
    }
    assert {r["Cửa khẩu"] for r in table} == {"Hữu Nghị"}
    assert "fresh_" not in text and "huu-nghi" not in text and "infrastructure" not in text
    html = web.get(f"/fees/revenue/?start={today}&end={today}").content.decode()
    assert "Rau tươi" in html and "Phí sử dụng công trình kết cấu hạ tầng" in html
    assert "10.000 ₫" in html and "90.000 ₫" in html
    bad = client_for(world.board).get("/api/v1/revenue/?start=2026-13-01&end=2026-01-01")
    assert bad.status_code == 400 and "start" in bad.json()["error"]["fields"]


def test_reconciliation_lists_each_anomaly(world: World) -> None:
    crossed = walk_to(_veg(world), world, "crossed")
    paid_crossed = _veg(world)
    pay(paid_crossed, world.owner)
    paid_crossed = walk_to(paid_crossed, world, "crossed")
    stale = _veg(world)
    old = pay(stale, world.owner)
    Payment.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=10))
    fresh = _veg(world)
    pay(fresh, world.owner)
    assert list(reports.crossed_unpaid()) == [crossed]
    assert list(reports.paid_not_crossed()) == [stale]
    assert list(reports.paid_not_crossed(days=30)) == []
    web = Client()
    web.force_login(world.board)
    page = web.get("/fees/reconciliation/")
    html = page.content.decode()
    assert crossed.reference in html and stale.reference in html
    assert paid_crossed.reference not in html and fresh.reference not in html
    api = client_for(world.board).get("/api/v1/reconciliation/").json()
    assert [i["declaration"] for i in api["crossed_unpaid"]] == [crossed.reference]
    assert api["crossed_unpaid"][0]["amount_vnd"] == services.ledger(crossed).balance == 100_000
    row = html[html.index(crossed.reference) :].split("</tr>")[0]
    assert row.count("100.000 ₫") == 2  # due and still owed
    assert [i["declaration"] for i in api["paid_not_crossed"]] == [stale.reference]


def test_the_verification_page_confirms_without_private_data(world: World) -> None:
    declaration = _veg(world)
    pay(declaration, world.owner)
    receipt = Receipt.objects.get()
    page = Client().get(f"/fees/v/{receipt.token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert receipt.display_number in html and "100.000" in html
    for private in (
        declaration.reference,
        world.owner_enterprise.name,
        world.owner_vehicle.plate,
        world.owner_driver.full_name,
    ):
        assert private not in html
    assert Client().get("/fees/v/forged-code/").status_code == 404
    web = Client()
    web.force_login(world.owner)
    printable = web.get(f"/fees/receipts/{receipt.token}/")
    assert printable.status_code == 200
    verify_url = f"http://testserver/fees/v/{receipt.token}/"
    assert segno.make(verify_url, error="m").svg_inline(scale=4, border=2, title=verify_url) in (
        printable.content.decode()
    )
    assert f"/fees/v/{receipt.token}/" in printable.content.decode()
    web.force_login(world.outsider)
    assert web.get(f"/fees/receipts/{receipt.token}/").status_code == 404
    # Issue 24, finding 5: officers at the gate did not see a trip's fees on its page but read
    # the receipt (payer, tax code) here. The fees rule now decides both.
    for officer in (world.customs_hn, world.quarantine_hn, world.guard_hn):
        web.force_login(officer)
        assert web.get(f"/fees/receipts/{receipt.token}/").status_code == 404
    web.force_login(world.yard_hn)
    assert web.get(f"/fees/receipts/{receipt.token}/").status_code == 200


def test_the_demo_checkout_is_for_the_payer_only(world: World) -> None:
    declaration = _veg(world)
    request = _request(world, declaration)
    url = f"/fees/demo-pay/{request.reference}/"
    for user, status in ((world.board, 403), (world.outsider, 404)):
        web = Client()
        web.force_login(user)
        assert web.post(url, {"action": "pay", "amount": "100000"}).status_code == status
    web = Client()
    web.force_login(world.owner)
    assert web.post(url, {"action": "pay", "amount": "1.5"}).status_code == 400
    assert not Payment.objects.exists()
    assert web.post(url, {"action": "pay", "amount": "40.000"}).status_code == 302
    assert services.ledger(declaration).balance == 60_000
    assert web.post(url, {"action": "pay"}).status_code == 409


def test_paying_when_nothing_is_due_explains_itself_on_the_page(world: World) -> None:
    declaration = _veg(world)
    pay(declaration, world.owner)
    web = Client()
    web.force_login(world.owner)
    response = web.post(
        f"/fees/declarations/{declaration.reference}/pay/", {"provider": "demo"}, follow=True
    )
    assert response.status_code == 200
    assert "Chuyến hàng này không còn khoản phải nộp." in response.content.decode()
    assert PaymentRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_of_one_demo_checkout_pay_once(world: World) -> None:
    """Issue 11, finding 5: ten confirms of one checkout once gave seven receipts.

    On PostgreSQL ten threads confirm at once, each with its own connection; SQLite (one writer
    at a time) runs them in turn. Either way: one payment, one receipt, the rest refused."""
    declaration = _veg(world)
    request = _request(world, declaration)
    url = f"/fees/demo-pay/{request.reference}/"
    count = 10
    statuses: list[int] = []

    def confirm() -> None:
        web = Client()
        web.force_login(world.owner)
        statuses.append(web.post(url, {"action": "pay"}).status_code)

    errors = run_at_once([confirm] * count)
    assert not errors, errors
    assert len(statuses) == count
    assert all(s in (302, 409) for s in statuses), statuses
    assert Payment.objects.filter(request=request).count() == 1
    assert Receipt.objects.filter(declaration=declaration).count() == 1
    assert services.ledger(declaration).balance == 0


def test_demo_payments_are_off_unless_asked_for_and_deploy_checks_warn(settings) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    from fees.checks import demo_payments_off

    env = {k: v for k, v in os.environ.items() if k != "CUAKHAU_DEMO_PAYMENTS"}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from fees import providers; "
            "print(providers.get('demo') is None)",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "cuakhau.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "True", probe.stderr
    settings.CUAKHAU_DEMO_PAYMENTS = True
    assert [w.id for w in demo_payments_off()] == ["cuakhau.W101"]
    settings.CUAKHAU_DEMO_PAYMENTS = False
    assert demo_payments_off() == []


@pytest.mark.django_db(transaction=True)
def test_refunds_call_the_provider_with_no_transaction_open(world: World) -> None:
    """Issue 11, finding 8: the refund provider was called inside a locking transaction."""
    from fees import providers

    declaration = _veg(world)
    request = _request(world, declaration)
    for txn in ("BANK-A", "BANK-B"):
        body = callback_body(request, txn_id=txn)
        assert _post(body, **signed_headers(body)).status_code == 201
    seen: list[tuple[bool, str | None]] = []

    class WatchingBank(providers.DemoProvider):
        def refund(self, refund: Refund) -> providers.RefundOutcome:
            seen.append((connection.in_atomic_block, Refund.objects.get(pk=refund.pk).status))
            if len(seen) == 1:
                raise providers.ProviderError("bank timeout")
            return super().refund(refund)

    original = providers.get("demo")
    providers.register(WatchingBank())
    try:
        assert services.process_refunds() == 0  # the bank timed out: tried again later
        refund = Refund.objects.get()
        assert (refund.status, refund.attempts, refund.claimed_at) == (
            RefundStatus.REQUESTED,
            1,
            None,
        )
        assert refund.last_error == "bank timeout"
        assert services.process_refunds() == 1
    finally:
        providers.register(original)  # type: ignore[arg-type]
    assert seen == [(False, RefundStatus.REQUESTED), (False, RefundStatus.REQUESTED)]
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED and refund.attempts == 2


def test_a_charge_says_due_part_paid_then_paid(world: World) -> None:
    """Issue 12, finding 5: a fully paid charge still said "Due"."""
    declaration = _veg(world)
    web = Client()
    web.force_login(world.owner)
    url = f"/declarations/{declaration.reference}/"

    def state() -> str:
        html = web.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
        start = html.index('data-state="') + len('data-state="')
        return html[start : html.index('"', start)]

    assert state() == "due"
    request = _request(world, declaration)
    web.post(f"/fees/demo-pay/{request.reference}/", {"action": "pay", "amount": "40.000"})
    assert state() == "part_paid"
    assert "Đã thanh toán một phần" in web.get(url).content.decode()
    pay(declaration, world.owner)
    assert state() == "paid"
    assert ">Đã thanh toán<" in web.get(url).content.decode()


def test_yard_parking_is_each_operators_price_and_outside_the_split(world: World) -> None:
    """Yard parking is priced by the private yard operators (Bảo Nguyên at Tân Thanh, Hữu
    Nghị Xuân Cương), outside Resolution 09/2025 and its 10 % / 90 % split (laodong.vn,
    vietnam.vn; docs/sources.md, "Infrastructure-use fee")."""
    from fees.models import YardRate
    from gates.models import Yard

    # The same truck class costs what each operator asks: double at the Tân Thanh yard.
    tan_thanh = Yard.objects.get(code="tan-thanh-yard")
    YardRate.objects.filter(operator=tan_thanh.operator).update(amount_vnd=20_000)
    declaration = walk_to(_veg(world), world, "arrived")
    visit = YardVisit.objects.get(declaration=declaration)
    now = timezone.now()
    visit.yard = tan_thanh
    visit.entered_at, visit.exited_at = now - timedelta(hours=5, minutes=10), now
    visit.save()
    assert services.charge_recent_yard_stays(now=now) == 1
    charge = Charge.objects.get(yard_visit=visit)
    assert charge.yard_rate.operator.name == "Công ty CP Bảo Nguyên"  # type: ignore[union-attr]
    assert (charge.units, charge.amount_vnd) == (4, 80_000)
    # A yard whose operator is not known has no price: the stay waits for the board.
    unknown = walk_to(_veg(world, vehicle_plate="29C-555.55"), world, "arrived")
    other = YardVisit.objects.get(declaration=unknown)
    other.yard = Yard.objects.get(code="coc-nam-yard")
    other.entered_at, other.exited_at = now - timedelta(hours=3), now
    other.save()
    assert services.charge_recent_yard_stays(now=now) == 0
    # Paid, the fee is split and the parking is reported apart, unsplit.
    pay(declaration, world.owner)
    today = timezone.localdate()
    rows = reports.revenue(start=today, end=today)
    parking = next(r for r in rows if r.kind == "yard")
    assert (parking.net, parking.center, parking.budget, parking.operators) == (
        80_000,
        0,
        0,
        80_000,
    )
    fee = next(r for r in rows if r.kind == "infrastructure")
    assert (fee.center, fee.budget, fee.operators) == (10_000, 90_000, 0)


def test_the_revenue_page_draws_collections_and_what_trips_owe(world: World) -> None:
    """Issue 16: daily collections by gate and fee type, and the amount owed over time."""
    paid, unpaid = _veg(world), _veg(world, vehicle_plate="29C-321.00")
    pay(paid, world.owner)
    today = timezone.localdate()
    owed = reports.outstanding_by_day(start=today - timedelta(days=2), end=today)
    # Two charges raised today, one paid: 100,000 owed at the end of today, nothing before.
    assert owed == [
        (today - timedelta(days=2), 0),
        (today - timedelta(days=1), 0),
        (today, 100_000),
    ]
    from shipments import services as shipments

    shipments.do_transition(
        declaration_id=unpaid.pk, transition="cancel", actor=world.owner, reason="x"
    )
    assert reports.outstanding_by_day(start=today, end=today) == [(today, 0)]
    web = Client()
    web.force_login(world.board)
    html = web.get(
        f"/fees/revenue/?start={today - timedelta(days=2)}&end={today}",
        HTTP_ACCEPT_LANGUAGE="vi",
    ).content.decode()
    charts = html.split('id="revenue-charts"')[1].split("</section>")[0]
    assert charts.count('<figure class="chart"') == 2
    assert '<rect class="s0"' in charts  # today's collections drawn as a bar
    assert 'id="outstanding"' in charts


def test_a_paper_receipt_is_verified_by_its_number_and_amount(world: World) -> None:
    """Issue 24, finding 9: /fees/v/ was a 404, so a paper receipt could not be checked by its
    number. Number and amount together confirm it (a number alone could be walked through)."""
    declaration = _veg(world)
    pay(declaration, world.owner)
    receipt = Receipt.objects.get()
    visitor = Client()
    assert visitor.get("/fees/v/").status_code == 200
    found = visitor.get("/fees/v/", {"number": receipt.display_number, "amount": "100.000"})
    html = found.content.decode()
    assert found.status_code == 200 and 'id="verified-amount"' in html
    assert receipt.display_number in html and declaration.reference not in html
    # Typed as people write it: spaces, a slash, leading zeros dropped.
    loose = f"{receipt.year} / {receipt.number}"
    assert visitor.get("/fees/v/", {"number": loose, "amount": "100000"}).status_code == 200
    wrong = visitor.get("/fees/v/", {"number": receipt.display_number, "amount": "90.000"})
    assert wrong.status_code == 404
    bad = visitor.get("/fees/v/", {"number": "abc", "amount": "100,000"})
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.content.decode()
