"""Refunds."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit import services as audit
from fees import providers
from fees.choices import (
    RefundStatus,
)
from fees.models import (
    Refund,
)
from fees.services.common import MAX_REFUND_ATTEMPTS

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
