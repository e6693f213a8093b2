"""Payments."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.scoping import Action
from audit import services as audit
from cuakhau.errors import Conflict, InvalidInput, NotFound
from cuakhau.numbers import check_moment
from cuakhau.signing import check_signed
from fees import policy as rules
from fees import providers
from fees.choices import (
    AssessmentStatus,
    PaymentRequestStatus,
    ReceiptLineKind,
    RefundStatus,
)
from fees.models import (
    Assessment,
    Payment,
    PaymentRequest,
    Receipt,
    ReceiptLine,
    ReceiptSeries,
    Refund,
)
from fees.services.common import CallbackRefused
from fees.services.ledger import _settle, ledger
from shipments.models import Declaration


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
    policy.require(actor, rules.PAY)
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
    try:
        paid_at = parse_datetime(str(data.get("paid_at", ""))) if data.get("paid_at") else None
    except (ValueError, OverflowError):
        paid_at = None
    if paid_at is None or timezone.is_naive(paid_at):
        errors["paid_at"] = [_("Give the payment time as ISO 8601 with its time zone.")]
    elif problem := check_moment(paid_at):
        errors["paid_at"] = [problem]
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


@dataclass(frozen=True)
class Verification:
    """What the public may learn of a receipt (page and API alike): that it exists, its number,
    day, gate and amount, the fee types it paid, what of it was paid in excess of every charge
    (held to be refunded), and what has been refunded. Never the payer or the trip."""

    receipt: Receipt
    fee_types: list[str]
    excess_vnd: int
    refunded_vnd: int


def verification(receipt: Receipt) -> Verification:
    lines = list(receipt.lines.all())
    refunded = sum(
        r.amount_vnd
        for r in Refund.objects.filter(payment_id=receipt.payment_id, status=RefundStatus.COMPLETED)
    )
    return Verification(
        receipt=receipt,
        fee_types=sorted({line.kind for line in lines if line.kind != ReceiptLineKind.CREDIT}),
        excess_vnd=sum(line.amount_vnd for line in lines if line.kind == ReceiptLineKind.CREDIT),
        refunded_vnd=refunded,
    )
