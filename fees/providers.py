"""Payment providers behind one small interface, so a bank or wallet plugs in without touching
the ledger.

A provider takes the payer to its own checkout (``checkout_url``), reports each transaction with
a signed callback to ``POST /api/v1/fees/callbacks/<code>/`` (handled by
:func:`fees.services.receive_callback`, idempotent by its transaction id) and sends refunds back
(``refund``, called by the ``refunds`` job of ``cuakhau dispatch``).

The demo provider completes payments locally: its checkout page is part of this app, and it
reports the outcome through the very same signed callback path as a real provider would.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cuakhau.signing import sign

if TYPE_CHECKING:
    from fees.models import PaymentRequest, Refund


class ProviderError(Exception):
    """The provider could not do it now; the job tries again later."""


@dataclass(frozen=True)
class RefundOutcome:
    completed: bool
    provider_ref: str = ""


class Provider(Protocol):
    code: str
    label: str

    def secret(self) -> str: ...

    def checkout_url(self, request: PaymentRequest) -> str: ...

    def refund(self, refund: Refund) -> RefundOutcome:
        """Send ``refund``; called outside any transaction and possibly more than once for one
        refund (after a crash): use ``refund.pk`` as the provider's idempotency key."""
        ...


@dataclass(frozen=True)
class SignedCallback:
    timestamp: str
    signature: str
    body: bytes


class DemoProvider:
    code = "demo"
    label = "Demo payment (no real money)"

    def secret(self) -> str:
        configured: str = settings.CUAKHAU_DEMO_PAYMENT_SECRET
        if configured:
            return configured
        return hashlib.sha256(f"{settings.SECRET_KEY}:demo-payments".encode()).hexdigest()

    def checkout_url(self, request: PaymentRequest) -> str:
        return reverse("fees:demo-checkout", args=[request.reference])

    def refund(self, refund: Refund) -> RefundOutcome:
        return RefundOutcome(completed=True, provider_ref=f"DEMO-R-{secrets.token_hex(6).upper()}")

    def callback(
        self, request: PaymentRequest, *, amount_vnd: int, succeeded: bool
    ) -> SignedCallback:
        """What the demo's bank would post back after the payer confirmed or declined."""
        body = json.dumps(
            {
                "request": request.reference,
                # One transaction per checkout: a second confirm of the same checkout (a double
                # click, two tabs, a retry) is the same transaction, so the unique
                # (provider, txn id) constraint lets only one payment and one receipt through.
                "txn_id": f"DEMO-{request.reference}{'' if succeeded else '-DECLINED'}",
                "status": "succeeded" if succeeded else "failed",
                "amount_vnd": amount_vnd,
                "paid_at": timezone.now().isoformat(),
            }
        ).encode()
        timestamp = str(int(time.time()))
        return SignedCallback(timestamp, sign(self.secret(), timestamp, body), body)


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    _PROVIDERS[provider.code] = provider


def get(code: str) -> Provider | None:
    return _PROVIDERS.get(code)


def codes() -> list[str]:
    return sorted(_PROVIDERS)


def demo() -> DemoProvider:
    provider = _PROVIDERS.get(DemoProvider.code)
    if not isinstance(provider, DemoProvider):
        raise ProviderError("the demo provider is off (CUAKHAU_DEMO_PAYMENTS=0)")
    return provider
