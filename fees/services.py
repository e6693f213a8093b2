"""Fees: assessment, the trip's ledger, payments, refunds, receipts, yard charges, board edits.

The ledger of a trip is its charges (the infrastructure-use fee, one per trip, and one charge per
yard stay), the money received (payments, each allocated to charges by its receipt's lines, any
excess held as credit) and the money sent back (refunds). Every change ends with
:func:`_settle`, which requests a refund for whatever a trip has paid beyond what it owes, so no
money is ever kept without a charge behind it.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import User
from accounts.scoping import Action
from audit import services as audit
from cuakhau.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from cuakhau.numbers import NumberError, ascii_digits, parse_decimal
from cuakhau.signing import check_signed
from fees import providers, tariff
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
    FeeMultiplier,
    FeeRate,
    FeeReduction,
    FeeSchedule,
    Payment,
    PaymentRequest,
    Receipt,
    ReceiptLine,
    ReceiptSeries,
    Refund,
    YardRate,
)
from flow.models import YardVisit
from shipments.choices import TERMINAL_STATES, Direction, GoodsGroup, TruckState
from shipments.lifecycle import Transition
from shipments.models import Declaration

log = logging.getLogger(__name__)

#: States in which a trip has used the border: its fee stays due.
CROSSED_STATES = frozenset({TruckState.CROSSED, TruckState.RETURNED})
#: Refund attempts before a refund is left to the board as failed.
MAX_REFUND_ATTEMPTS = 5


class CallbackRefused(DomainError):
    status = 401
    code = "unauthenticated"


# --- schedules and the fee table ------------------------------------------------------------


def schedule_in_force(day: date) -> FeeSchedule | None:
    return (
        FeeSchedule.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
        .first()
    )


def table_of(schedule: FeeSchedule) -> tariff.Table:
    """The pure fee table of a schedule, with every reduction (each says when it applies)."""
    return tariff.Table(
        schedule_id=schedule.pk,
        cap_vnd=schedule.cap_vnd,
        band_limits_kg=tuple(int(v) for v in schedule.band_limits_kg),
        rates=tuple(
            tariff.Rate(
                id=r.pk,
                directions=frozenset(r.directions),
                goods_groups=frozenset(r.goods_groups),
                vehicle_class=r.vehicle_class,
                amount_vnd=r.amount_vnd,
                confirmed=r.confirmed,
            )
            for r in schedule.rates.order_by("pk")
        ),
        multipliers=tuple(
            tariff.Multiplier(
                id=m.pk,
                code=m.code,
                factor=m.factor,
                directions=frozenset(m.directions),
                goods_groups=frozenset(m.goods_groups),
                deliveries=frozenset(m.deliveries),
            )
            for m in schedule.multipliers.order_by("pk")
        ),
        reductions=tuple(
            tariff.Reduction(
                id=r.pk,
                code=r.code,
                percent=r.percent,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
                directions=frozenset(r.directions),
                goods_groups=frozenset(r.goods_groups),
            )
            for r in FeeReduction.objects.order_by("pk")
        ),
    )


def class_label(code: str) -> str:
    """``0-2000`` → "under 2 t"; ``2000-4000`` → "2 t to under 4 t"; ``40ft`` → container."""
    if code == "20ft":
        return _("20 ft container")
    if code == "40ft":
        return _("40 ft container")

    def tonnes(kg: str) -> str:
        return f"{int(kg) / 1000:g}"

    if code.endswith("+"):
        return _("%s t and over") % tonnes(code[:-1])
    low, _sep, high = code.partition("-")
    if low == "0":
        return _("under %s t") % tonnes(high)
    return _("%(low)s t to under %(high)s t") % {"low": tonnes(low), "high": tonnes(high)}


# --- assessment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TripBasis:
    trip: tariff.Trip
    tonnage_source: str

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.trip.day.isoformat(),
            "direction": self.trip.direction,
            "delivery": self.trip.delivery,
            "container": self.trip.container,
            "tonnage_kg": str(self.trip.tonnage_kg),
            "tonnage_source": self.tonnage_source,
            "goods_groups": sorted(self.trip.goods_groups),
        }


def trip_basis(declaration: Declaration) -> TripBasis:
    """What the fee depends on: the day of arrival, regime, delivery, container, tonnage, goods.

    The tonnage band is the vehicle's registered payload where it is known (the legal basis),
    otherwise the declared weight of the goods.
    """
    lines = list(declaration.lines.select_related("commodity"))
    payload = declaration.vehicle.payload_kg
    if payload:
        tonnage, source = Decimal(payload), "payload"
    else:
        tonnage, source = sum((ln.weight_kg for ln in lines), Decimal(0)), "goods"
    return TripBasis(
        tariff.Trip(
            day=timezone.localdate(declaration.planned_arrival),
            direction=declaration.direction,
            delivery=declaration.delivery,
            container=declaration.container,
            tonnage_kg=tonnage,
            goods_groups=frozenset(ln.commodity.goods_group for ln in lines),
        ),
        source,
    )


def compute(
    schedule: FeeSchedule | None, table: tariff.Table | None, basis: TripBasis
) -> dict[str, Any]:
    """The fields of an assessment for ``basis`` (no database writes)."""
    if schedule is None or table is None:
        return {
            "schedule": None,
            "status": AssessmentStatus.UNRATED,
            "amount_vnd": None,
            "goods_group": "",
            "explanation": {"missing": "schedule"},
        }
    try:
        result = tariff.assess(table, basis.trip)
    except tariff.NoRate as exc:
        return {
            "schedule": schedule,
            "status": AssessmentStatus.UNRATED,
            "amount_vnd": None,
            "goods_group": "",
            "explanation": {"missing": "rate", "keys": [list(k) for k in exc.missing]},
        }
    multipliers = {m.id: m for m in table.multipliers}
    reductions = {r.id: r for r in table.reductions}
    return {
        "schedule": schedule,
        "status": AssessmentStatus.ASSESSED,
        "amount_vnd": result.amount_vnd,
        "goods_group": result.chosen.goods_group,
        "explanation": {
            "schedule": {"id": schedule.pk, "code": schedule.code, "name": schedule.name},
            "vehicle_class": result.vehicle_class,
            "candidates": [
                {
                    "goods_group": c.goods_group,
                    "rate_id": c.rate_id,
                    "base_vnd": c.base_vnd,
                    "confirmed": c.confirmed,
                    "multipliers": [
                        {
                            "id": i,
                            "code": multipliers[i].code,
                            "factor": str(multipliers[i].factor),
                        }
                        for i in c.multiplier_ids
                    ],
                    "amount": str(c.amount),
                    "chosen": c is result.chosen,
                }
                for c in result.candidates
            ],
            "cap_vnd": table.cap_vnd,
            "capped": result.capped,
            "reduction": (
                {
                    "id": result.reduction_id,
                    "code": reductions[result.reduction_id].code,
                    "percent": str(result.reduction_percent),
                }
                if result.reduction_id is not None
                else None
            ),
            "amount_vnd": result.amount_vnd,
            "confirmed": result.confirmed,
        },
    }


def assess_declaration(declaration: Declaration, *, actor_label: str) -> Assessment:
    """Assess (or reassess) a trip and bring its fee charge in line; call inside a transaction."""
    basis = trip_basis(declaration)
    schedule = schedule_in_force(basis.trip.day)
    fields = compute(schedule, table_of(schedule) if schedule else None, basis)
    now = timezone.now()
    Assessment.objects.filter(declaration=declaration, is_current=True).update(is_current=False)
    assessment = Assessment.objects.create(
        declaration=declaration,
        basis=basis.as_json(),
        is_current=True,
        assessed_at=now,
        actor_label=actor_label,
        **fields,
    )
    charge = Charge.objects.filter(declaration=declaration, kind=ChargeKind.INFRASTRUCTURE).first()
    amount = assessment.amount_vnd
    if amount is None:
        # Unrated: nothing is due until the board sets the rate (the trip is reassessed then).
        if charge is not None and charge.status == ChargeStatus.OPEN:
            charge.status, charge.voided_at, charge.assessment = ChargeStatus.VOID, now, assessment
            charge.save(update_fields=["status", "voided_at", "assessment"])
    elif charge is None:
        Charge.objects.create(
            declaration=declaration,
            kind=ChargeKind.INFRASTRUCTURE,
            amount_vnd=amount,
            goods_group=assessment.goods_group,
            assessment=assessment,
            created_at=now,
        )
    else:
        charge.amount_vnd, charge.goods_group, charge.assessment = (
            amount,
            assessment.goods_group,
            assessment,
        )
        charge.status, charge.voided_at = ChargeStatus.OPEN, None
        charge.save(
            update_fields=["amount_vnd", "goods_group", "assessment", "status", "voided_at"]
        )
    audit.record(
        action="fees.assessed",
        obj=declaration,
        actor_label=actor_label,
        after={
            "assessment": assessment.pk,
            "schedule": schedule.pk if schedule else None,
            "status": assessment.status,
            "amount_vnd": assessment.amount_vnd,
        },
        at=now,
    )
    _settle(declaration, now)
    return assessment


def on_declared(declaration: Declaration, actor: User | None) -> None:
    """Hook run when a declaration is made or amended."""
    assess_declaration(declaration, actor_label=audit.actor_label_for(actor, "system:fees"))


def on_leave(declaration: Declaration, move: Transition, actor: User | None) -> None:
    """A cancelled or rejected trip owes no infrastructure fee: void it and refund what was paid.

    Yard stays it already made remain due.
    """
    now = timezone.now()
    voided = Charge.objects.filter(
        declaration=declaration, kind=ChargeKind.INFRASTRUCTURE, status=ChargeStatus.OPEN
    ).update(status=ChargeStatus.VOID, voided_at=now)
    if voided:
        _settle(declaration, now, reason=RefundReason.CANCELLED)


# --- the ledger ------------------------------------------------------------------------------


@dataclass
class ChargeLine:
    charge: Charge
    allocated: int
    refunded: int

    @property
    def due(self) -> int:
        return self.charge.amount_vnd if self.charge.status == ChargeStatus.OPEN else 0

    @property
    def outstanding(self) -> int:
        """Still to pay on this charge; negative when more was paid than it now says."""
        return self.due - (self.allocated - self.refunded)


@dataclass
class Ledger:
    charges: list[ChargeLine]
    credit: int
    paid: int
    refunded: int
    refunds_pending: int
    due: int = field(init=False)
    balance: int = field(init=False)

    def __post_init__(self) -> None:
        self.due = sum(line.due for line in self.charges)
        self.balance = sum(max(0, line.outstanding) for line in self.charges)


def ledger(declaration: Declaration) -> Ledger:
    charges = list(Charge.objects.filter(declaration=declaration).order_by("created_at", "pk"))
    allocated = dict(
        ReceiptLine.objects.filter(charge__declaration=declaration)
        .values_list("charge_id")
        .annotate(total=Sum("amount_vnd"))
        .values_list("charge_id", "total")
    )
    live_refunds = Refund.objects.filter(declaration=declaration).exclude(
        status=RefundStatus.FAILED
    )
    refunded = dict(
        live_refunds.filter(charge__isnull=False)
        .values_list("charge_id")
        .annotate(total=Sum("amount_vnd"))
        .values_list("charge_id", "total")
    )
    credit_in = (
        ReceiptLine.objects.filter(
            receipt__declaration=declaration, kind=ReceiptLineKind.CREDIT
        ).aggregate(total=Sum("amount_vnd"))["total"]
        or 0
    )
    credit_out = (
        live_refunds.filter(kind=ReceiptLineKind.CREDIT).aggregate(total=Sum("amount_vnd"))["total"]
        or 0
    )
    paid = Payment.objects.filter(declaration=declaration).aggregate(total=Sum("amount_vnd"))
    totals = live_refunds.aggregate(
        done=Sum("amount_vnd", filter=Q(status=RefundStatus.COMPLETED)),
        pending=Sum("amount_vnd", filter=Q(status=RefundStatus.REQUESTED)),
    )
    return Ledger(
        charges=[
            ChargeLine(c, int(allocated.get(c.pk, 0)), int(refunded.get(c.pk, 0))) for c in charges
        ],
        credit=int(credit_in) - int(credit_out),
        paid=int(paid["total"] or 0),
        refunded=int(totals["done"] or 0),
        refunds_pending=int(totals["pending"] or 0),
    )


def _settle(
    declaration: Declaration, now: datetime, *, reason: str = RefundReason.REDUCED
) -> list[Refund]:
    """Request a refund of everything paid beyond what is owed (charge by charge, then credit)."""
    book = ledger(declaration)
    owed: list[tuple[Charge | None, str, int, str]] = [
        (
            line.charge,
            line.charge.kind,
            -line.outstanding,
            RefundReason.CANCELLED if line.charge.status == ChargeStatus.VOID else reason,
        )
        for line in book.charges
        if line.outstanding < 0
    ]
    if book.credit > 0:
        owed.append((None, ReceiptLineKind.CREDIT, book.credit, RefundReason.OVERPAID))
    refunds: list[Refund] = []
    if not owed:
        return refunds
    payments = list(Payment.objects.filter(declaration=declaration).order_by("-received_at", "-pk"))
    room = {
        p.pk: p.amount_vnd
        - int(
            p.refunds.exclude(status=RefundStatus.FAILED).aggregate(t=Sum("amount_vnd"))["t"] or 0
        )
        for p in payments
    }
    for charge, kind, amount, why in owed:
        for payment in payments:
            if amount <= 0:
                break
            take = min(amount, room[payment.pk])
            if take <= 0:
                continue
            room[payment.pk] -= take
            amount -= take
            refund = Refund.objects.create(
                declaration=declaration,
                payment=payment,
                charge=charge,
                kind=kind,
                amount_vnd=take,
                reason=why,
                requested_at=now,
            )
            refunds.append(refund)
            audit.record(
                action="fees.refund_requested",
                obj=refund,
                actor_label="system:fees",
                after={
                    "declaration": declaration.pk,
                    "payment": payment.pk,
                    "amount_vnd": take,
                    "reason": why,
                },
                at=now,
            )
    return refunds


# --- payments --------------------------------------------------------------------------------


def _payable(actor: User, reference: str) -> Declaration:
    declaration = (
        Declaration.objects.restrict(actor, Action.VIEW)
        .select_for_update(of=("self",))
        .filter(reference=reference)
        .first()
    )
    if declaration is None:
        raise NotFound(_("No such declaration."))
    return declaration


def do_request_payment(*, actor: User, reference: str, provider: str) -> PaymentRequest:
    """Open a payment of the trip's balance with ``provider``; the declarant then pays there."""
    if actor.role != Role.DECLARANT and not actor.has_full_access:
        raise NotAllowed(_("Only the declarant's enterprise pays a trip's fees."))
    adapter = providers.get(provider)
    if adapter is None:
        raise InvalidInput(
            _("Unknown payment provider."),
            fields={"provider": [_("Choose one of: %s.") % ", ".join(providers.codes())]},
        )
    with transaction.atomic():
        declaration = _payable(actor, reference)
        current = Assessment.objects.filter(declaration=declaration, is_current=True).first()
        if current is not None and current.status == AssessmentStatus.UNRATED:
            raise Conflict(
                _("The fee of this trip cannot be assessed yet: the board must set its rate."),
                code="unrated",
            )
        balance = ledger(declaration).balance
        if balance <= 0:
            raise Conflict(_("Nothing is due on this trip."), code="nothing_due")
        request = PaymentRequest.objects.create(
            reference=f"PAY-{secrets.token_hex(8).upper()}",
            declaration=declaration,
            provider=adapter.code,
            amount_vnd=balance,
            requested_at=timezone.now(),
            requested_by=actor,
        )
        audit.record(
            action="fees.payment_requested",
            obj=request,
            actor=actor,
            after={"declaration": declaration.pk, "amount_vnd": balance, "provider": provider},
        )
    return request


@dataclass(frozen=True)
class CallbackResult:
    payment: Payment | None
    request: PaymentRequest
    duplicate: bool


def _parse_callback(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(_("The body is not JSON."), fields={"body": [_("Send JSON.")]}) from None
    if not isinstance(data, dict):
        raise InvalidInput(_("The body must be a JSON object."), fields={"body": [_("Send JSON.")]})
    errors: dict[str, list[str]] = {}
    request_ref = data.get("request")
    if not isinstance(request_ref, str) or not request_ref:
        errors["request"] = [_("Give the payment request reference.")]
    txn = data.get("txn_id")
    if not isinstance(txn, str) or not 1 <= len(txn) <= 64:
        errors["txn_id"] = [_("Give the provider's transaction id (1 to 64 characters).")]
    status = data.get("status")
    if status not in ("succeeded", "failed"):
        errors["status"] = [_("Choose one of: %s.") % "succeeded, failed"]
    amount = data.get("amount_vnd")
    if status == "succeeded" and (
        isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount < 10**13
    ):
        errors["amount_vnd"] = [_("Give the amount received in whole đồng, more than 0.")]
    paid_at = parse_datetime(str(data.get("paid_at", ""))) if data.get("paid_at") else None
    if paid_at is None or timezone.is_naive(paid_at):
        errors["paid_at"] = [_("Give the payment time as ISO 8601 with its time zone.")]
    if errors:
        raise InvalidInput(_("The callback has errors; see each field."), fields=errors)
    return {**data, "paid_at": paid_at}


def receive_callback(
    *, provider: str, timestamp: str, signature: str, body: bytes
) -> CallbackResult:
    """A provider reports a transaction. Signed; idempotent by the provider's transaction id."""
    adapter = providers.get(provider)
    if adapter is None:
        raise NotFound(_("Unknown payment provider."))
    check_signed(
        secret=adapter.secret(),
        timestamp=timestamp,
        signature=signature,
        body=body,
        max_skew=settings.CUAKHAU_PAYMENT_MAX_SKEW_SECONDS,
        refused=CallbackRefused,
    )
    data = _parse_callback(body)
    with transaction.atomic():
        request = (
            PaymentRequest.objects.select_related("declaration")
            .filter(reference=data["request"], provider=adapter.code)
            .first()
        )
        if request is None:
            raise NotFound(
                _("No such payment request."),
                fields={"request": [_("No such payment request.")]},
            )
        # Serialise everything that touches this trip's money on its declaration row.
        declaration = (
            Declaration.objects.select_for_update(of=("self",))
            .filter(pk=request.declaration_id)
            .get()
        )
        existing = Payment.objects.filter(
            provider=adapter.code, provider_txn_id=data["txn_id"]
        ).first()
        if existing is not None:
            if existing.request_id != request.pk or existing.amount_vnd != data.get("amount_vnd"):
                raise Conflict(
                    _("This transaction id was already reported with other details."),
                    code="transaction_mismatch",
                    fields={"txn_id": [_("Already used.")]},
                )
            return CallbackResult(existing, request, duplicate=True)
        if data["status"] == "failed":
            if request.status == PaymentRequestStatus.OPEN:
                request.status = PaymentRequestStatus.FAILED
                request.save(update_fields=["status"])
                audit.record(
                    action="fees.payment_failed",
                    obj=request,
                    actor_label=f"system:{adapter.code}",
                    after={"txn_id": data["txn_id"]},
                )
            return CallbackResult(None, request, duplicate=False)
        now = timezone.now()
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    request=request,
                    declaration=declaration,
                    provider=adapter.code,
                    provider_txn_id=data["txn_id"],
                    amount_vnd=data["amount_vnd"],
                    paid_at=data["paid_at"],
                    received_at=now,
                    payload={k: v for k, v in data.items() if k != "paid_at"}
                    | {"paid_at": data["paid_at"].isoformat()},
                )
        except IntegrityError:
            # A copy of this callback won the race between our check and the insert.
            existing = Payment.objects.get(provider=adapter.code, provider_txn_id=data["txn_id"])
            return CallbackResult(existing, request, duplicate=True)
        received = Payment.objects.filter(request=request).aggregate(t=Sum("amount_vnd"))["t"] or 0
        request.status = (
            PaymentRequestStatus.PAID
            if received >= request.amount_vnd
            else PaymentRequestStatus.PARTIAL
        )
        request.save(update_fields=["status"])
        # Allocate before taking the year's receipt number: the series row is locked until
        # commit, so everything after it is kept short.
        lines, unsettled = _allocation(payment, declaration)
        year = timezone.localtime(now).year
        receipt = Receipt.objects.create(
            year=year,
            number=next_receipt_number(year),
            payment=payment,
            declaration=declaration,
            gate_id=declaration.gate_id,
            amount_vnd=payment.amount_vnd,
            issued_at=now,
            token=secrets.token_urlsafe(16),
        )
        for line in lines:
            line.receipt = receipt
        ReceiptLine.objects.bulk_create(lines)
        audit.record(
            action="fees.payment_received",
            obj=payment,
            actor_label=f"system:{adapter.code}",
            after={
                "declaration": declaration.pk,
                "request": request.reference,
                "txn_id": payment.provider_txn_id,
                "amount_vnd": payment.amount_vnd,
                "receipt": receipt.display_number,
            },
            at=now,
        )
        if unsettled:
            _settle(declaration, now)
    return CallbackResult(payment, request, duplicate=False)


def next_receipt_number(year: int) -> int:
    """The next number of ``year``'s series, locked so that concurrent payments never share one
    and a rolled-back payment gives its number back (no gaps)."""
    series = ReceiptSeries.objects.select_for_update().filter(year=year).first()
    if series is None:
        try:
            with transaction.atomic():
                ReceiptSeries.objects.create(year=year, last_number=0)
        except IntegrityError:
            pass  # a concurrent payment opened the year's series a moment ago
        series = ReceiptSeries.objects.select_for_update().get(year=year)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return series.last_number


def _allocation(payment: Payment, declaration: Declaration) -> tuple[list[ReceiptLine], bool]:
    """The receipt lines of ``payment`` (open charges first, the rest as credit), and whether the
    trip's ledger then needs settling (credit to refund, or a charge paid beyond its amount)."""
    book = ledger(declaration)
    remaining = payment.amount_vnd
    lines: list[ReceiptLine] = []
    for line in book.charges:
        take = min(remaining, line.outstanding)
        if take > 0:
            lines.append(ReceiptLine(charge=line.charge, kind=line.charge.kind, amount_vnd=take))
            remaining -= take
    if remaining > 0:
        lines.append(ReceiptLine(kind=ReceiptLineKind.CREDIT, amount_vnd=remaining))
    unsettled = remaining > 0 or book.credit > 0 or any(c.outstanding < 0 for c in book.charges)
    return lines, unsettled


# --- refunds ---------------------------------------------------------------------------------


REFUND_CLAIM_MINUTES = 10


def process_refunds(*, limit: int = 100) -> int:
    """Send requested refunds to their providers (a ``cuakhau dispatch`` job).

    Each refund is claimed in a short transaction, sent to its provider with no transaction
    open and no row locked (a slow bank must not hold locks that payments wait for), and its
    outcome recorded in a second short transaction.
    """
    done = 0
    now = timezone.now()
    stale = now - timedelta(minutes=REFUND_CLAIM_MINUTES)
    pending = list(
        Refund.objects.filter(status=RefundStatus.REQUESTED, attempts__lt=MAX_REFUND_ATTEMPTS)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("requested_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in pending:
        refund = _claim_refund(pk, stale)
        if refund is None:
            continue
        adapter = providers.get(refund.payment.provider)
        outcome: providers.RefundOutcome | None = None
        error = ""
        try:
            if adapter is None:
                raise providers.ProviderError(f"provider {refund.payment.provider} is gone")
            outcome = adapter.refund(refund)
        except providers.ProviderError as exc:
            error = str(exc)[:300]
        if _record_refund_outcome(pk, outcome, error):
            done += 1
    return done


def _claim_refund(pk: int, stale: datetime) -> Refund | None:
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("payment")
            .filter(pk=pk, status=RefundStatus.REQUESTED)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
            .first()
        )
        if refund is None:
            return None
        refund.attempts += 1
        refund.claimed_at = timezone.now()
        refund.save(update_fields=["attempts", "claimed_at"])
    return refund


def _record_refund_outcome(pk: int, outcome: providers.RefundOutcome | None, error: str) -> bool:
    with transaction.atomic():
        refund = Refund.objects.select_for_update(of=("self",)).select_related("payment").get(pk=pk)
        refund.claimed_at = None
        if outcome is None:
            refund.last_error = error
            if refund.attempts >= MAX_REFUND_ATTEMPTS:
                refund.status = RefundStatus.FAILED
            refund.save(update_fields=["last_error", "status", "claimed_at"])
            return False
        refund.provider_ref = outcome.provider_ref
        if outcome.completed:
            refund.status, refund.completed_at = RefundStatus.COMPLETED, timezone.now()
        refund.save(
            update_fields=["last_error", "status", "provider_ref", "completed_at", "claimed_at"]
        )
        if outcome.completed:
            audit.record(
                action="fees.refund_completed",
                obj=refund,
                actor_label=f"system:{refund.payment.provider}",
                after={"amount_vnd": refund.amount_vnd, "provider_ref": outcome.provider_ref},
            )
        return outcome.completed


# --- yard charges ----------------------------------------------------------------------------


def _yard_rate_for(declaration: Declaration, day: date) -> tuple[YardRate | None, str]:
    schedule = schedule_in_force(day)
    basis = trip_basis(declaration)
    limits = schedule.band_limits_kg if schedule else []
    klass = tariff.vehicle_class(
        container=basis.trip.container, tonnage_kg=basis.trip.tonnage_kg, limits_kg=limits
    )
    if schedule is None:
        return None, klass
    return schedule.yard_rates.filter(vehicle_class=klass).first(), klass


def charge_yard_stay(visit: YardVisit, *, actor_label: str) -> Charge:
    """Charge one finished yard stay at the yard rate in force on its gate-out day."""
    if visit.exited_at is None:
        raise Conflict(_("The truck is still in the yard."), code="still_in_yard")
    if Charge.objects.filter(yard_visit=visit).exists():
        raise Conflict(_("This yard stay is already charged."), code="already_charged")
    declaration = visit.declaration
    rate, klass = _yard_rate_for(declaration, timezone.localdate(visit.exited_at))
    if rate is None:
        raise Conflict(
            _("No yard rate covers vehicle class %s: the board must set one.") % class_label(klass),
            code="no_yard_rate",
        )
    minutes = int((visit.exited_at - visit.entered_at).total_seconds() // 60)
    units = tariff.yard_units(
        minutes,
        tariff.YardRate(
            id=rate.pk,
            vehicle_class=rate.vehicle_class,
            unit_minutes=YARD_UNIT_MINUTES[rate.unit],
            amount_vnd=rate.amount_vnd,
            free_minutes=rate.free_minutes,
        ),
    )
    fee = Charge.objects.filter(declaration=declaration, kind=ChargeKind.INFRASTRUCTURE).first()
    charge = Charge.objects.create(
        declaration=declaration,
        kind=ChargeKind.YARD,
        amount_vnd=units * rate.amount_vnd,
        goods_group=fee.goods_group if fee else "",
        yard_visit=visit,
        yard_rate=rate,
        units=units,
        created_at=timezone.now(),
    )
    audit.record(
        action="fees.yard_charged",
        obj=charge,
        actor_label=actor_label,
        after={
            "declaration": declaration.pk,
            "visit": visit.pk,
            "minutes": minutes,
            "units": units,
            "amount_vnd": charge.amount_vnd,
        },
    )
    return charge


def charge_recent_yard_stays(*, now: datetime | None = None, limit: int = 500) -> int:
    """Charge the stays that ended within the window (a ``cuakhau dispatch`` job).

    Older uncharged stays are not charged blindly: they wait on the board's worklist.
    """
    now = now or timezone.now()
    since = now - timedelta(hours=settings.CUAKHAU_YARD_CHARGE_WINDOW_HOURS)
    visits = (
        YardVisit.objects.filter(exited_at__gte=since, exited_at__lte=now, charge__isnull=True)
        .select_related("declaration__vehicle")
        .order_by("exited_at", "pk")[:limit]
    )
    charged = 0
    for visit in visits:
        try:
            with transaction.atomic():
                Declaration.objects.select_for_update(of=("self",)).filter(
                    pk=visit.declaration_id
                ).get()
                charge_yard_stay(visit, actor_label="system:fees")
        except DomainError as exc:
            log.debug("yard stay %s not charged: %s", visit.pk, exc.message)
            continue
        charged += 1
    return charged


def do_charge_yard_stay(*, actor: User, visit_id: int) -> Charge:
    """The board charges a stay from the reconciliation worklist."""
    if actor.role != Role.BOARD and not actor.has_full_access:
        raise NotAllowed(_("Only the board charges yard stays by hand."))
    with transaction.atomic():
        visit = YardVisit.objects.select_related("declaration__vehicle").filter(pk=visit_id).first()
        if visit is None:
            raise NotFound(_("No such yard stay."))
        Declaration.objects.select_for_update(of=("self",)).filter(pk=visit.declaration_id).get()
        return charge_yard_stay(visit, actor_label=audit.actor_label_for(actor, ""))


# --- board edits -----------------------------------------------------------------------------


def _board(actor: User) -> None:
    if actor.role != Role.BOARD and not actor.has_full_access:
        raise NotAllowed(_("Only the gate management board changes fee schedules."))


_AMOUNT = re.compile(r"^(\d{1,3}([.,\s]\d{3})+|\d{1,13})$")


def parse_amount(raw: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    """Whole đồng, with or without thousands separators (100000, 100.000, 100,000)."""
    text = ascii_digits(str(raw if raw is not None else "")).strip()
    if isinstance(raw, bool) or not _AMOUNT.match(text):
        errors.setdefault(name, []).append(_("Give an amount in whole đồng, 0 or more."))
        return None
    value = int(re.sub(r"\D", "", text))
    if value >= 10**13:
        errors.setdefault(name, []).append(_("Give an amount in whole đồng, 0 or more."))
        return None
    return value


def do_set_rate(*, actor: User, rate_id: int, amount_vnd: Any, confirmed: bool) -> FeeRate:
    """The board sets a per-trip rate (audited); unrated trips that it now covers are assessed."""
    _board(actor)
    errors: dict[str, list[str]] = {}
    amount = parse_amount(amount_vnd, "amount_vnd", errors)
    if errors or amount is None:
        raise InvalidInput(_("The rate has errors; see each field."), fields=errors)
    with transaction.atomic():
        rate = FeeRate.objects.select_for_update().filter(pk=rate_id).first()
        if rate is None:
            raise NotFound(_("No such rate."))
        before = {"amount_vnd": rate.amount_vnd, "confirmed": rate.confirmed}
        rate.amount_vnd, rate.confirmed = amount, confirmed
        rate.save(update_fields=["amount_vnd", "confirmed"])
        audit.record(
            action="fees.rate_changed",
            obj=rate,
            actor=actor,
            before=before,
            after={"amount_vnd": amount, "confirmed": confirmed},
        )
        reassess_unrated(actor=actor)
    return rate


def reassess_unrated(*, actor: User | None) -> int:
    """Assess again the live trips whose fee had no rate (after the board set one)."""
    declarations = Declaration.objects.filter(
        assessments__is_current=True, assessments__status=AssessmentStatus.UNRATED
    ).exclude(state__in=TERMINAL_STATES)
    label = audit.actor_label_for(actor, "system:fees")
    count = 0
    for pk in list(declarations.values_list("pk", flat=True)):
        with transaction.atomic():
            declaration = (
                Declaration.objects.select_for_update(of=("self",))
                .select_related("vehicle")
                .get(pk=pk)
            )
            assess_declaration(declaration, actor_label=label)
        count += 1
    return count


@dataclass
class ReductionInput:
    code: str = ""
    name: str = ""
    legal_basis: str = ""
    percent: Any = None
    valid_from: Any = None
    valid_to: Any = None
    directions: Sequence[str] = ()
    goods_groups: Sequence[str] = ()
    # A language code when a person typed the percentage in a form; None for the API.
    number_language: str | None = None


MAX_DAYS = 3660


def parse_days(raw: Any) -> int | None:
    """A number of days from a query string (blank: None); 1 to about ten years, else 400."""
    text = ascii_digits(str(raw or "")).strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text[:6]) <= MAX_DAYS or len(text) > 6:
        raise InvalidInput(
            _("Give a whole number of days."),
            fields={"days": [_("Give a whole number of days, 1 to %d.") % MAX_DAYS]},
        )
    return int(text)


def parse_day(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


def do_save_reduction(
    *, actor: User, data: ReductionInput, reduction_id: int | None = None
) -> FeeReduction:
    """Create or change a dated reduction (audited). It applies to trips assessed from now on."""
    _board(actor)
    errors: dict[str, list[str]] = {}
    code = data.code.strip().lower()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
        errors["code"] = [_("Give a short code: letters, digits and dashes.")]
    elif FeeReduction.objects.filter(code=code).exclude(pk=reduction_id).exists():
        errors["code"] = [_("This code is already used.")]
    if not data.name.strip():
        errors["name"] = [_("Give the reduction a name.")]
    try:
        percent = parse_decimal(data.percent, language=data.number_language, places=2)
    except NumberError as exc:
        percent, errors["percent"] = Decimal(-1), [exc.message]
    if "percent" not in errors and not 0 < percent <= 100:
        errors["percent"] = [_("Give a percentage above 0 and at most 100.")]
    start = parse_day(data.valid_from)
    if start is None:
        errors["valid_from"] = [_("Give the first day as YYYY-MM-DD.")]
    end = None
    if data.valid_to not in (None, ""):
        end = parse_day(data.valid_to)
        if end is None:
            errors["valid_to"] = [_("Give the last day as YYYY-MM-DD, or leave it empty.")]
        elif start is not None and end < start:
            errors["valid_to"] = [_("The last day is before the first.")]
    bad = [d for d in data.directions if d not in Direction.values]
    if bad:
        errors["directions"] = [_("Unknown regime: %s.") % ", ".join(bad)]
    bad = [g for g in data.goods_groups if g not in GoodsGroup.values]
    if bad:
        errors["goods_groups"] = [_("Unknown goods group: %s.") % ", ".join(bad)]
    if errors:
        raise InvalidInput(_("The reduction has errors; see each field."), fields=errors)
    values = {
        "code": code,
        "name": data.name.strip()[:200],
        "legal_basis": data.legal_basis.strip()[:200],
        "percent": percent,
        "valid_from": start,
        "valid_to": end,
        "directions": sorted(set(data.directions)),
        "goods_groups": sorted(set(data.goods_groups)),
    }
    with transaction.atomic():
        if reduction_id is None:
            reduction = FeeReduction.objects.create(**values)
            before = None
        else:
            found = FeeReduction.objects.select_for_update().filter(pk=reduction_id).first()
            if found is None:
                raise NotFound(_("No such reduction."))
            reduction = found
            before = {k: getattr(reduction, k) for k in values}
            for key, value in values.items():
                setattr(reduction, key, value)
            reduction.save()
        audit.record(
            action="fees.reduction_saved",
            obj=reduction,
            actor=actor,
            before=before,
            after=values,
        )
    return reduction


def do_new_schedule(
    *,
    actor: User,
    from_schedule: int,
    code: str,
    name: str,
    legal_basis: str,
    valid_from: Any,
) -> FeeSchedule:
    """A new resolution: copy a schedule's rows into a new one in force from ``valid_from``.

    The schedule it replaces ends the day before. The board then edits the copy's rates.
    """
    _board(actor)
    errors: dict[str, list[str]] = {}
    code = code.strip().lower()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
        errors["code"] = [_("Give a short code: letters, digits and dashes.")]
    elif FeeSchedule.objects.filter(code=code).exists():
        errors["code"] = [_("This code is already used.")]
    if not name.strip():
        errors["name"] = [_("Give the schedule a name.")]
    if not legal_basis.strip():
        errors["legal_basis"] = [_("Name the resolution it implements.")]
    start = parse_day(valid_from)
    source = FeeSchedule.objects.filter(pk=from_schedule).first()
    if source is None:
        errors["from_schedule"] = [_("No such schedule.")]
    if start is None:
        errors["valid_from"] = [_("Give the first day as YYYY-MM-DD.")]
    elif start <= timezone.localdate():
        errors["valid_from"] = [_("A new schedule starts tomorrow at the earliest.")]
    elif FeeSchedule.objects.filter(valid_from__gte=start).exists():
        errors["valid_from"] = [_("Another schedule starts on or after this day.")]
    if errors:
        raise InvalidInput(_("The schedule has errors; see each field."), fields=errors)
    assert source is not None and start is not None  # noqa: S101
    with transaction.atomic():
        FeeSchedule.objects.filter(valid_from__lt=start).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=start)
        ).update(valid_to=start - timedelta(days=1))
        schedule = FeeSchedule.objects.create(
            code=code,
            name=name.strip()[:200],
            legal_basis=legal_basis.strip()[:200],
            valid_from=start,
            cap_vnd=source.cap_vnd,
            band_limits_kg=source.band_limits_kg,
            center_share_percent=source.center_share_percent,
            source=_("copied from %s") % source.code,
        )
        # Every row of the source, as a new unconfirmed row of the new schedule.
        for model in (FeeRate, FeeMultiplier, YardRate):
            rows = list(model.objects.filter(schedule=source).order_by("pk"))
            for row in rows:
                row.pk, row.schedule, row.confirmed = None, schedule, False
            model.objects.bulk_create(rows)
        audit.record(
            action="fees.schedule_created",
            obj=schedule,
            actor=actor,
            after={"code": code, "from": source.code, "valid_from": start},
        )
    return schedule
