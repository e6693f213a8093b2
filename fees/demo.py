"""Fees' part of the demo: every imported trip assessed with the shipped schedule, paid and
receipted as a month of real collection would be, yard stays of the last days charged, and a few
anomalies planted for the board's reconciliation worklists.

Written in bulk after the traffic import (``shipments.demo.build_demo``): the same pure
:func:`fees.tariff.assess` the live service uses computes every amount; only the rows are
inserted in batches, as ``import_history`` does for declarations.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import services as audit
from cuakhau.bulk import fast_insert
from fees import services, tariff
from fees.choices import (
    YARD_UNIT_MINUTES,
    AssessmentStatus,
    ChargeKind,
    ChargeStatus,
    PaymentRequestStatus,
    ReceiptLineKind,
    RefundReason,
    RefundStatus,
)
from fees.models import (
    Assessment,
    Charge,
    Payment,
    PaymentRequest,
    Receipt,
    ReceiptLine,
    ReceiptSeries,
    Refund,
    YardRate,
)
from flow.models import YardVisit
from gates.models import Yard
from shipments.choices import TruckState
from shipments.models import Declaration, GoodsLine, StateChange

LABEL = "system:demo (fees)"
CROSSED = services.CROSSED_STATES
LEFT = {TruckState.CANCELLED, TruckState.REJECTED}
#: How many of each anomaly the demo plants for the reconciliation worklists.
PLANTED_UNPAID, PLANTED_PARTIAL, PLANTED_HELD, PLANTED_STAYS = 8, 3, 4, 6
#: Closed yard stays are made for trips that crossed in the last days.
YARD_DAYS = 3


class _Book:
    """Rows to insert, and the receipt numbers handed out in time order."""

    def __init__(self) -> None:
        self.requests: list[PaymentRequest] = []
        self.payments: list[tuple[Payment, Sequence[tuple[Any, str, int]]]] = []
        self.refunds: list[tuple[int, str, int, str, str, datetime]] = []

    def pay(
        self, declaration: Any, at: datetime, parts: Sequence[tuple[Any, str, int]], amount: int
    ) -> str:
        reference = f"PAY-{secrets.token_hex(8).upper()}"
        self.requests.append(
            PaymentRequest(
                reference=reference,
                declaration_id=declaration.pk,
                provider="demo",
                amount_vnd=sum(p[2] for p in parts),
                status=PaymentRequestStatus.PAID
                if amount >= sum(p[2] for p in parts)
                else PaymentRequestStatus.PARTIAL,
                requested_at=at - timedelta(minutes=2),
                requested_by_id=None,
            )
        )
        txn = f"DEMO-{secrets.token_hex(8).upper()}"
        payment = Payment(
            declaration_id=declaration.pk,
            provider="demo",
            provider_txn_id=txn,
            amount_vnd=amount,
            paid_at=at,
            received_at=at,
            payload={"request": reference, "txn_id": txn, "demo": True},
        )
        payment.request_reference = reference  # type: ignore[attr-defined]
        payment.gate_id = declaration.gate_id  # type: ignore[attr-defined]
        self.payments.append((payment, parts))
        return txn


def build_fees_demo(*, seed: int, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311 - demo data
    schedule = services.schedule_in_force(timezone.localdate(now))
    if schedule is None:
        return {"fees_assessed": 0}
    table = services.table_of(schedule)
    with transaction.atomic():
        declarations = list(
            Declaration.objects.exclude(assessments__isnull=False)
            .select_related("vehicle")
            .order_by("created_at", "pk")
        )
        groups: dict[int, set[str]] = defaultdict(set)
        weights: dict[int, Decimal] = defaultdict(Decimal)
        for declaration_id, group, weight in GoodsLine.objects.filter(
            declaration__in=[d.pk for d in declarations]
        ).values_list("declaration_id", "commodity__goods_group", "weight_kg"):
            groups[declaration_id].add(group)
            weights[declaration_id] += weight
        assessed = assess_in_bulk(declarations, groups, weights, schedule, table, now)
        stays = _closed_stays(now)
        yard = _charge_stays(stays, schedule, table, weights, declarations, now)
        book = _Book()
        planted = _pay(declarations, assessed, yard, book, rng, now)
        _insert_money(book, now)
        audit.record(
            action="fees.demo_loaded",
            object_type="fees",
            object_id="demo",
            actor_label=LABEL,
            after={"assessed": len(assessed), "payments": len(book.payments), **planted},
        )
    return {
        "fees_assessed": len(assessed),
        "payments": len(book.payments),
        "yard_stays_charged": len(yard),
        **planted,
    }


def assess_in_bulk(
    declarations: list[Declaration],
    groups: dict[int, set[str]],
    weights: dict[int, Decimal],
    schedule: Any,
    table: tariff.Table,
    now: datetime,
) -> dict[int, tuple[int, str]]:
    """Assess every trip; returns declaration id → (amount, goods group)."""
    rows: list[Assessment] = []
    out: dict[int, tuple[int, str]] = {}
    for declaration in declarations:
        payload = declaration.vehicle.payload_kg
        basis = services.TripBasis(
            tariff.Trip(
                day=timezone.localdate(declaration.planned_arrival),
                direction=declaration.direction,
                delivery=declaration.delivery,
                container=declaration.container,
                tonnage_kg=Decimal(payload) if payload else weights[declaration.pk],
                goods_groups=frozenset(groups[declaration.pk]),
            ),
            "payload" if payload else "goods",
        )
        fields = services.compute(schedule, table, basis)
        rows.append(
            Assessment(
                declaration_id=declaration.pk,
                schedule_id=schedule.pk,
                basis=basis.as_json(),
                is_current=True,
                assessed_at=declaration.created_at,
                actor_label=LABEL,
                **{k: v for k, v in fields.items() if k != "schedule"},
            )
        )
        if fields["status"] == AssessmentStatus.ASSESSED:
            out[declaration.pk] = (fields["amount_vnd"], fields["goods_group"])
    fast_insert(Assessment, rows)
    ids = dict(
        Assessment.objects.filter(declaration__in=list(out)).values_list("declaration_id", "pk")
    )
    fast_insert(
        Charge,
        [
            Charge(
                declaration_id=declaration.pk,
                kind=ChargeKind.INFRASTRUCTURE,
                status=ChargeStatus.VOID if declaration.state in LEFT else ChargeStatus.OPEN,
                amount_vnd=out[declaration.pk][0],
                goods_group=out[declaration.pk][1],
                assessment_id=ids[declaration.pk],
                created_at=declaration.created_at,
                voided_at=declaration.state_changed_at if declaration.state in LEFT else None,
            )
            for declaration in declarations
            if declaration.pk in out
        ],
    )
    return out


def _closed_stays(now: datetime) -> list[YardVisit]:
    """Trips that crossed in the last days stayed in their gate's yard from arrival to call."""
    since = now - timedelta(days=YARD_DAYS)
    moments: dict[int, dict[str, datetime]] = defaultdict(dict)
    for declaration_id, transition, at in StateChange.objects.filter(
        transition__in=("arrive", "cross"), declaration__state_changed_at__gte=since
    ).values_list("declaration_id", "transition", "at"):
        moments[declaration_id][transition] = at
    gates = dict(Declaration.objects.filter(pk__in=list(moments)).values_list("pk", "gate_id"))
    # Stays are charged at the yard operator's prices: only yards whose operator is known.
    with_yard: dict[int, int] = {}
    for gate_id, yard_id in (
        Yard.objects.filter(operator__isnull=False).order_by("pk").values_list("gate_id", "pk")
    ):
        with_yard.setdefault(gate_id, yard_id)
    visits = [
        YardVisit(
            declaration_id=declaration_id,
            gate_id=gates[declaration_id],
            yard_id=with_yard[gates[declaration_id]],
            entered_at=steps["arrive"],
            exited_at=steps["cross"],
            walk_in=False,
        )
        for declaration_id, steps in moments.items()
        if "arrive" in steps and "cross" in steps and gates[declaration_id] in with_yard
    ]
    fast_insert(YardVisit, visits)
    return list(
        YardVisit.objects.filter(exited_at__isnull=False, charge__isnull=True)
        .select_related("declaration")
        .order_by("exited_at", "pk")
    )


def _charge_stays(
    stays: list[YardVisit],
    schedule: Any,
    table: tariff.Table,
    weights: dict[int, Decimal],
    declarations: list[Declaration],
    now: datetime,
) -> dict[int, list[tuple[int, int]]]:
    """Charge every stay but the planted ones; returns declaration id → [(visit id, amount)]."""
    # Each yard's operator prices its parking (YardRate per operator).
    rates = {
        (r.operator_id, r.vehicle_class): r for r in YardRate.objects.filter(operator__isnull=False)
    }
    operator_of = dict(Yard.objects.values_list("pk", "operator_id"))
    payloads = {d.pk: d.vehicle.payload_kg for d in declarations}
    old = [v for v in stays if v.exited_at and v.exited_at < now - timedelta(hours=50)]
    planted = {v.pk for v in old[-PLANTED_STAYS:]}
    charges: list[Charge] = []
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for visit in stays:
        if visit.pk in planted or visit.exited_at is None:
            continue
        declaration = visit.declaration
        payload = payloads.get(declaration.pk) or declaration.vehicle.payload_kg
        klass = tariff.vehicle_class(
            container=declaration.container,
            tonnage_kg=Decimal(payload) if payload else weights[declaration.pk],
            limits_kg=table.band_limits_kg,
        )
        rate = rates.get((operator_of.get(visit.yard_id), klass))
        if rate is None:
            continue
        minutes = int((visit.exited_at - visit.entered_at).total_seconds() // 60)
        units = tariff.yard_units(
            minutes,
            tariff.YardRate(
                rate.pk, klass, YARD_UNIT_MINUTES[rate.unit], rate.amount_vnd, rate.free_minutes
            ),
        )
        charges.append(
            Charge(
                declaration_id=declaration.pk,
                kind=ChargeKind.YARD,
                status=ChargeStatus.OPEN,
                amount_vnd=units * rate.amount_vnd,
                goods_group="",
                yard_visit_id=visit.pk,
                yard_rate_id=rate.pk,
                units=units,
                created_at=visit.exited_at,
            )
        )
    fast_insert(Charge, charges)
    for declaration_id, visit_id, amount in Charge.objects.filter(
        kind=ChargeKind.YARD, yard_visit__in=[c.yard_visit_id for c in charges]
    ).values_list("declaration_id", "yard_visit_id", "amount_vnd"):
        out[declaration_id].append((visit_id, amount))
    return out


def _pay(
    declarations: list[Declaration],
    assessed: dict[int, tuple[int, str]],
    yard: dict[int, list[tuple[int, int]]],
    book: _Book,
    rng: random.Random,
    now: datetime,
) -> dict[str, int]:
    """Who paid what and when; plants the worklists' anomalies (the last eligible trips)."""
    fees = dict(
        Charge.objects.filter(kind=ChargeKind.INFRASTRUCTURE).values_list("declaration_id", "pk")
    )
    yard_ids = dict(Charge.objects.filter(kind=ChargeKind.YARD).values_list("yard_visit_id", "pk"))
    crossed = [d for d in declarations if d.state in CROSSED and d.pk in assessed]
    unpaid = {d.pk for d in crossed[-PLANTED_UNPAID:]}
    partial = {d.pk for d in crossed[-(PLANTED_UNPAID + PLANTED_PARTIAL) : -PLANTED_UNPAID]}
    cutoff = now - timedelta(days=settings.CUAKHAU_PAID_NOT_CROSSED_DAYS + 1)
    left = [d for d in declarations if d.state in LEFT and d.pk in assessed]
    held = {d.pk for d in [d for d in left if d.state_changed_at < cutoff][-PLANTED_HELD:]}
    for declaration in declarations:
        if declaration.pk not in assessed:
            continue
        amount = assessed[declaration.pk][0]
        fee = (fees[declaration.pk], ChargeKind.INFRASTRUCTURE, amount)
        paid_at = min(
            declaration.created_at + timedelta(minutes=rng.uniform(3, 90)),
            declaration.state_changed_at,
            now,
        )
        if declaration.state in CROSSED:
            if declaration.pk in unpaid:
                continue
            share = amount // 2 if declaration.pk in partial else amount
            book.pay(declaration, paid_at, [fee], share)
            stays = yard.get(declaration.pk, [])
            if stays and declaration.pk not in partial:
                parts = [(yard_ids[v], ChargeKind.YARD, a) for v, a in stays if a > 0]
                if parts:
                    out_at = min(declaration.state_changed_at + timedelta(minutes=5), now)
                    book.pay(declaration, out_at, parts, sum(p[2] for p in parts))
        elif declaration.state in LEFT:
            if rng.random() < 0.5 and declaration.pk not in held:
                continue
            txn = book.pay(declaration, paid_at, [fee], amount)
            status = RefundStatus.FAILED if declaration.pk in held else RefundStatus.COMPLETED
            book.refunds.append(
                (
                    declaration.pk,
                    txn,
                    amount,
                    status,
                    RefundReason.CANCELLED,
                    declaration.state_changed_at,
                )
            )
        elif rng.random() < 0.5:
            book.pay(declaration, paid_at, [fee], amount)
    return {
        "planted_crossed_unpaid": len(unpaid) + len(partial),
        "planted_paid_not_crossed": len(held),
        "planted_uncharged_stays": PLANTED_STAYS,
    }


def _insert_money(book: _Book, now: datetime) -> None:
    fast_insert(PaymentRequest, book.requests)
    requests = dict(
        PaymentRequest.objects.filter(
            reference__in=[r.reference for r in book.requests]
        ).values_list("reference", "pk")
    )
    payments = []
    for payment, _parts in book.payments:
        payment.request_id = requests[payment.request_reference]  # type: ignore[attr-defined]
        payments.append(payment)
    fast_insert(Payment, payments)
    payment_ids = dict(Payment.objects.filter(provider="demo").values_list("provider_txn_id", "pk"))
    # Receipts are numbered per year in the order the money came in, as the live series does.
    ordered = sorted(book.payments, key=lambda item: (item[0].received_at, item[0].provider_txn_id))
    last: dict[int, int] = dict(ReceiptSeries.objects.values_list("year", "last_number"))
    receipts: list[Receipt] = []
    lines: list[tuple[tuple[int, int], Sequence[tuple[Any, str, int]], int]] = []
    for payment, parts in ordered:
        year = timezone.localtime(payment.received_at).year
        last[year] = last.get(year, 0) + 1
        receipts.append(
            Receipt(
                year=year,
                number=last[year],
                payment_id=payment_ids[payment.provider_txn_id],
                declaration_id=payment.declaration_id,
                gate_id=payment.gate_id,  # type: ignore[attr-defined]
                amount_vnd=payment.amount_vnd,
                issued_at=payment.received_at,
                token=secrets.token_urlsafe(16),
            )
        )
        lines.append(((year, last[year]), parts, payment.amount_vnd))
    fast_insert(Receipt, receipts)
    for year, number in last.items():
        ReceiptSeries.objects.update_or_create(year=year, defaults={"last_number": number})
    receipt_ids = {(y, n): pk for y, n, pk in Receipt.objects.values_list("year", "number", "pk")}
    rows: list[ReceiptLine] = []
    for key, parts, amount in lines:
        for charge_id, kind, due in parts:
            take = min(amount, due)
            if take > 0:
                rows.append(
                    ReceiptLine(
                        receipt_id=receipt_ids[key], charge_id=charge_id, kind=kind, amount_vnd=take
                    )
                )
            amount -= take
        if amount > 0:
            rows.append(
                ReceiptLine(
                    receipt_id=receipt_ids[key],
                    charge_id=None,
                    kind=ReceiptLineKind.CREDIT,
                    amount_vnd=amount,
                )
            )
    fast_insert(ReceiptLine, rows)
    fees = dict(
        Charge.objects.filter(kind=ChargeKind.INFRASTRUCTURE).values_list("declaration_id", "pk")
    )
    fast_insert(
        Refund,
        [
            Refund(
                declaration_id=declaration_id,
                payment_id=payment_ids[txn],
                charge_id=fees[declaration_id],
                kind=ReceiptLineKind.INFRASTRUCTURE,
                amount_vnd=amount,
                reason=reason,
                status=status,
                provider_ref="" if status == RefundStatus.FAILED else f"DEMO-R-{txn[5:]}",
                attempts=5 if status == RefundStatus.FAILED else 1,
                last_error="the payer's account is closed" if status == RefundStatus.FAILED else "",
                requested_at=at,
                completed_at=None if status == RefundStatus.FAILED else at + timedelta(hours=2),
            )
            for declaration_id, txn, amount, status, reason, at in book.refunds
        ],
    )
