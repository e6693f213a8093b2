"""Signed HTTP bodies: one scheme for the webhooks we send and for the cameras and payment
providers that post to us. ``X-Cuakhau-Timestamp`` carries Unix seconds and
``X-Cuakhau-Signature`` the hex HMAC-SHA256 of ``timestamp + "." + body`` with a shared secret.
"""

from __future__ import annotations

import hashlib
import hmac
import math

from django.utils import timezone
from django.utils.translation import gettext as _

from cuakhau.errors import DomainError


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def check_signed(
    *,
    secret: str,
    timestamp: str,
    signature: str,
    body: bytes,
    max_skew: int,
    refused: type[DomainError],
) -> None:
    """Raise ``refused`` (code ``bad_signature`` or ``stale_timestamp``) unless the body is
    signed with ``secret`` and the timestamp is within ``max_skew`` seconds of the clock."""
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, (signature or "").strip().lower()):
        raise refused(_("The signature does not match the body."), code="bad_signature")
    try:
        sent = float(timestamp)
    except ValueError:
        sent = math.nan
    if not math.isfinite(sent) or abs(timezone.now().timestamp() - sent) > max_skew:
        raise refused(
            _("The timestamp is more than %d seconds from the server's clock.") % max_skew,
            code="stale_timestamp",
        )


def fingerprint(secret: str) -> str:
    """What pages and the audit log keep of a secret (an API token, a camera's key): enough to
    tell two apart and to match one in hand, never enough to use it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]
