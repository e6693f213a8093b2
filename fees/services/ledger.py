"""The ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from fees.choices import (
    ChargeStatus,
    ReceiptLineKind,
    RefundReason,
    RefundStatus,
)
from fees.models import (
    Charge,
    Payment,
    ReceiptLine,
    Refund,
)
from shipments.models import Declaration


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

    @property
    def state(self) -> str:
        """What the payer sees: void, paid, part paid or due (a charge is stored open or void;
        whether it is paid follows from the receipts allocated to it)."""
        if self.charge.status == ChargeStatus.VOID:
            return "void"
        if self.outstanding <= 0:
            return "paid"
        return "part_paid" if self.allocated - self.refunded > 0 else "due"

    @property
    def state_label(self) -> str:
        return str(CHARGE_STATES[self.state])


CHARGE_STATES = {
    "due": _("Due"),
    "part_paid": _("Part paid"),
    "paid": _("Paid"),
    "void": _("Void"),
}


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
