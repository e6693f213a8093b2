from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from clearance.reference import load_clearance_rules
from fees import reports, services
from fees.demo import PLANTED_HELD, PLANTED_PARTIAL, PLANTED_STAYS, PLANTED_UNPAID
from fees.models import Assessment, Receipt, ReceiptLine, ReceiptSeries
from fees.reference import load_fee_schedules
from gates.reference import load_gates
from shipments.demo import build_demo
from shipments.models import Declaration
from shipments.reference import load_commodities

pytestmark = pytest.mark.django_db


def test_the_demo_collects_fees_and_plants_each_anomaly_once() -> None:
    load_gates()
    load_commodities()
    load_clearance_rules()
    load_fee_schedules()
    result = build_demo(seed=11, days=12, end=timezone.localdate(), scale=0.05)
    assert result["fees_assessed"] == Declaration.objects.count() == result["declarations"]
    assert Assessment.objects.filter(status="unrated").count() == 0
    assert reports.crossed_unpaid().count() == PLANTED_UNPAID + PLANTED_PARTIAL
    assert reports.paid_not_crossed().count() == PLANTED_HELD
    assert reports.uncharged_yard_stays().count() == PLANTED_STAYS
    # Receipts are numbered 1..n without gaps, and each one's lines add up to its amount.
    numbers = list(Receipt.objects.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert ReceiptSeries.objects.get().last_number == len(numbers) == result["payments"]
    lines = ReceiptLine.objects.aggregate(t=Sum("amount_vnd"))["t"]
    assert lines == Receipt.objects.aggregate(t=Sum("amount_vnd"))["t"]
    # Every other crossed trip owes nothing; revenue adds up to the receipts less refunds.
    crossed = Declaration.objects.filter(state__in=["crossed", "returned"])
    owing = [d for d in crossed if services.ledger(d).balance > 0]
    assert len(owing) == PLANTED_UNPAID + PLANTED_PARTIAL
    today = timezone.localdate()
    rows = reports.revenue(start=today - timedelta(days=40), end=today)
    totals = reports.revenue_totals(rows)
    assert totals["collected"] == lines
    # The fee is split 10 % / 90 %; yard parking goes to the operators, unsplit.
    assert totals["center"] + totals["budget"] + totals["operators"] == totals["net"]
    assert totals["operators"] == sum(r.net for r in rows if r.kind == "yard") > 0
    assert all(r.center == r.budget == 0 for r in rows if r.kind == "yard")
    fee = totals["net"] - totals["operators"]
    assert abs(totals["center"] - fee / 10) <= len(rows)
