"""Test helpers: a provider's signed callback, and paying a trip the way a payer would."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from django.utils import timezone

from accounts.models import User
from cuakhau.signing import sign
from fees import providers, services
from fees.models import Payment, PaymentRequest
from shipments.models import Declaration


def callback_body(
    request: PaymentRequest,
    *,
    amount_vnd: int | None = None,
    txn_id: str | None = None,
    status: str = "succeeded",
    **extra: Any,
) -> bytes:
    return json.dumps(
        {
            "request": request.reference,
            "txn_id": f"T-{secrets.token_hex(6)}" if txn_id is None else txn_id,
            "status": status,
            "amount_vnd": request.amount_vnd if amount_vnd is None else amount_vnd,
            "paid_at": timezone.now().isoformat(),
            **extra,
        }
    ).encode()


def signed_headers(
    body: bytes, *, at: float | None = None, secret: str | None = None
) -> dict[str, str]:
    timestamp = str(int(at if at is not None else time.time()))
    key = secret if secret is not None else providers.demo().secret()
    return {
        "HTTP_X_CUAKHAU_TIMESTAMP": timestamp,
        "HTTP_X_CUAKHAU_SIGNATURE": sign(key, timestamp, body),
    }


def pay(
    declaration: Declaration, payer: User, *, amount_vnd: int | None = None, txn_id: str = ""
) -> Payment:
    """Open a payment request for the balance and have the demo provider report it paid."""
    request = services.do_request_payment(
        actor=payer, reference=declaration.reference, provider="demo"
    )
    body = callback_body(request, amount_vnd=amount_vnd, txn_id=txn_id or None)
    headers = signed_headers(body)
    result = services.receive_callback(
        provider="demo",
        timestamp=headers["HTTP_X_CUAKHAU_TIMESTAMP"],
        signature=headers["HTTP_X_CUAKHAU_SIGNATURE"],
        body=body,
    )
    assert result.payment is not None  # noqa: S101 - a helper for tests
    return result.payment
