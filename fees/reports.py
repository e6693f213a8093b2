"""Revenue reports and the reconciliation worklists of the board.

Revenue is money allocated to charges by receipts (by the receipt's day) less refunds of those
charges (by the day they were completed); money paid in excess of every charge is not revenue.
Each day's net is split between the Border Gate Management Center (its share in the schedule in
force that day, 10% under Resolution 09/2025) and the provincial budget (the rest).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from fees.choices import ChargeKind, ChargeStatus, RefundStatus
from fees.models import Charge, FeeSchedule, Payment, ReceiptLine, Refund
from fees.services import CROSSED_STATES
from flow.models import YardVisit
from shipments.models import Declaration

CROSSED = CROSSED_STATES


@dataclass(frozen=True)
class RevenueRow:
    day: date
    gate: str
    kind: str
    goods_group: str
    collected: int
    refunded: int
    net: int
    center: int
    budget: int
    #: Yard parking collected for the yard operators: outside the fee and its split.
    operators: int = 0


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _shares(days: Iterable[date]) -> dict[date, Decimal]:
    schedules = list(FeeSchedule.objects.order_by("valid_from"))
    out: dict[date, Decimal] = {}
    for day in days:
        share = Decimal(10)
        for schedule in schedules:
            if schedule.valid_from <= day and (
                schedule.valid_to is None or day <= schedule.valid_to
            ):
                share = schedule.center_share_percent
        out[day] = share
    return out


def revenue(*, start: date, end: date, gate: str = "") -> list[RevenueRow]:
    """Net revenue by day, gate, fee type and goods group, with the 10% / 90% split of the
    infrastructure-use fee; yard parking is the operators' and reported apart, unsplit."""
    low, high = _bounds(start, end)
    zone = timezone.get_current_timezone()
    lines = ReceiptLine.objects.filter(
        charge__isnull=False, receipt__issued_at__gte=low, receipt__issued_at__lt=high
    )
    refunds = Refund.objects.filter(
        status=RefundStatus.COMPLETED,
        charge__isnull=False,
        completed_at__gte=low,
        completed_at__lt=high,
    )
    if gate:
        lines = lines.filter(receipt__gate__code=gate)
        refunds = refunds.filter(declaration__gate__code=gate)
    totals: dict[tuple[date, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    # Column 0 sums money in by the receipt's day, column 1 money back by the refund's day.
    for column, queryset, at, gate_path in (
        (0, lines, "receipt__issued_at", "receipt__gate__code"),
        (1, refunds, "completed_at", "declaration__gate__code"),
    ):
        for row in (
            queryset.annotate(day=TruncDate(at, tzinfo=zone), gate_code=F(gate_path))
            .values("day", "gate_code", "charge__kind", "charge__goods_group")
            .annotate(total=Sum("amount_vnd"))
        ):
            key = (row["day"], row["gate_code"], row["charge__kind"], row["charge__goods_group"])
            totals[key][column] += int(row["total"])
    shares = _shares({key[0] for key in totals})
    rows = []
    for (day, gate_code, kind, group), (collected, refunded) in sorted(totals.items()):
        net = collected - refunded
        if kind == ChargeKind.YARD:
            # Parking is the yard operator's price, not the resolution's fee: not split.
            rows.append(
                RevenueRow(day, gate_code, kind, group, collected, refunded, net, 0, 0, net)
            )
            continue
        center = int((net * shares[day] / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        rows.append(
            RevenueRow(day, gate_code, kind, group, collected, refunded, net, center, net - center)
        )
    return rows


def outstanding_by_day(*, start: date, end: date, gate: str = "") -> list[tuple[date, int]]:
    """What trips owed at the end of each day: charges raised and not voided by then, less what
    receipts had allocated to them. A charge or payment before ``start`` counts from the first
    day; a voided charge stops counting (its payments were refunded or credited)."""
    _low, high = _bounds(start, end)
    zone = timezone.get_current_timezone()
    days = (end - start).days + 1
    change = [0] * (days + 1)

    def index(day: date | None) -> int:
        if day is None:
            return days
        return min(max((day - start).days, 0), days)

    charges = Charge.objects.filter(created_at__lt=high)
    lines = ReceiptLine.objects.filter(charge__isnull=False, receipt__issued_at__lt=high)
    if gate:
        charges = charges.filter(declaration__gate__code=gate)
        lines = lines.filter(charge__declaration__gate__code=gate)
    for sign, queryset, at, voided in (
        (1, charges, "created_at", "voided_at"),
        (-1, lines, "receipt__issued_at", "charge__voided_at"),
    ):
        for row in (
            queryset.annotate(on=TruncDate(at, tzinfo=zone), off=TruncDate(voided, tzinfo=zone))
            .values("on", "off")
            .annotate(total=Sum("amount_vnd"))
        ):
            first, stop = index(row["on"]), index(row["off"])
            if first < stop:
                change[first] += sign * int(row["total"])
                change[stop] -= sign * int(row["total"])
    out, level = [], 0
    for i in range(days):
        level += change[i]
        out.append((start + timedelta(days=i), level))
    return out


def revenue_totals(rows: Iterable[RevenueRow]) -> dict[str, int]:
    out = {"collected": 0, "refunded": 0, "net": 0, "center": 0, "budget": 0, "operators": 0}
    for row in rows:
        for key in out:
            out[key] += getattr(row, key)
    return out


# --- reconciliation ----------------------------------------------------------------------------


def _allocated() -> Any:
    return Coalesce(
        Subquery(
            ReceiptLine.objects.filter(charge=OuterRef("pk"))
            .order_by()
            .values("charge")
            .annotate(t=Sum("amount_vnd"))
            .values("t")
        ),
        Value(0),
    )


def _refunded() -> Any:
    return Coalesce(
        Subquery(
            Refund.objects.filter(charge=OuterRef("pk"))
            .exclude(status=RefundStatus.FAILED)
            .order_by()
            .values("charge")
            .annotate(t=Sum("amount_vnd"))
            .values("t")
        ),
        Value(0),
    )


def unpaid_charges() -> Any:
    """Open charges with money still owed on them."""
    return (
        Charge.objects.filter(status=ChargeStatus.OPEN)
        .annotate(paid=_allocated() - _refunded())
        .filter(amount_vnd__gt=F("paid"))
    )


@dataclass(frozen=True)
class Owed:
    charged: bool
    due: int
    balance: int


def owed(declaration_ids: Iterable[int]) -> dict[int, Owed]:
    """What each trip is charged and still owes: a worklist in two queries, not a ledger each."""
    ids = list(declaration_ids)
    balances: dict[int, int] = defaultdict(int)
    for declaration_id, amount, paid in (
        unpaid_charges()
        .filter(declaration_id__in=ids)
        .values_list("declaration_id", "amount_vnd", "paid")
    ):
        balances[declaration_id] += amount - paid
    return {
        declaration_id: Owed(True, int(due or 0), balances[declaration_id])
        for declaration_id, due in Charge.objects.filter(declaration_id__in=ids)
        .values("declaration_id")
        .annotate(due=Sum("amount_vnd", filter=Q(status=ChargeStatus.OPEN)))
        .values_list("declaration_id", "due")
    }


NOT_CHARGED = Owed(False, 0, 0)


def crossed_unpaid(gate: str = "") -> Any:
    """Trucks that crossed owing a fee: an unpaid charge, or no infrastructure fee at all."""
    owing = unpaid_charges().filter(declaration=OuterRef("pk"))
    fee = Charge.objects.filter(
        declaration=OuterRef("pk"), kind=ChargeKind.INFRASTRUCTURE, status=ChargeStatus.OPEN
    )
    queryset = (
        Declaration.objects.filter(state__in=CROSSED)
        .filter(Q(Exists(owing)) | ~Q(Exists(fee)))
        .select_related("gate", "enterprise", "vehicle")
        .order_by("-state_changed_at")
    )
    return queryset.filter(gate__code=gate) if gate else queryset


def paid_not_crossed(*, days: int | None = None, gate: str = "") -> Any:
    """Trips holding paid money that have not crossed N days after their last payment."""
    days = days or settings.CUAKHAU_PAID_NOT_CROSSED_DAYS
    before = timezone.now() - timedelta(days=days)
    paid = Payment.objects.filter(declaration=OuterRef("pk")).order_by().values("declaration")
    kept = Coalesce(Subquery(paid.annotate(t=Sum("amount_vnd")).values("t")), Value(0))
    sent = Coalesce(
        Subquery(
            Refund.objects.filter(declaration=OuterRef("pk"))
            .exclude(status=RefundStatus.FAILED)
            .order_by()
            .values("declaration")
            .annotate(t=Sum("amount_vnd"))
            .values("t")
        ),
        Value(0),
    )
    last = Subquery(
        Payment.objects.filter(declaration=OuterRef("pk"))
        .order_by("-received_at")
        .values("received_at")[:1]
    )
    queryset = (
        Declaration.objects.exclude(state__in=CROSSED)
        .annotate(held=kept - sent, last_paid=last)
        .filter(held__gt=0, last_paid__lt=before)
        .select_related("gate", "enterprise", "vehicle")
        .order_by("last_paid")
    )
    return queryset.filter(gate__code=gate) if gate else queryset


def uncharged_yard_stays(gate: str = "") -> Any:
    """Finished yard stays with no charge, past the window in which they are charged by a job."""
    since = timezone.now() - timedelta(hours=settings.CUAKHAU_YARD_CHARGE_WINDOW_HOURS)
    queryset = (
        YardVisit.objects.filter(exited_at__isnull=False, exited_at__lt=since, charge__isnull=True)
        .select_related("declaration__enterprise", "declaration__vehicle", "gate")
        .order_by("-exited_at")
    )
    return queryset.filter(gate__code=gate) if gate else queryset
