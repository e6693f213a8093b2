"""How a delivery leaves the platform: one small class per channel (cf. healthchecks'
``hc/integrations``). A channel raises :class:`DeliveryError` to have the worker retry later.

- ``console``: writes the message to the log (the demo, and development).
- ``sms``: an SMS gateway over HTTP: POST JSON ``{"to", "text"}`` with a bearer token to
  ``CUAKHAU_SMS_GATEWAY_URL``; any 2xx is accepted.
- ``webhook``: POST the JSON payload to the enterprise's URL, signed like device posts:
  ``X-Cuakhau-Timestamp`` and ``X-Cuakhau-Signature`` = hex HMAC-SHA256 of ``timestamp.body``.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import ClassVar

from django.conf import settings

from cuakhau.signing import sign
from notifications.models import Delivery

log = logging.getLogger("cuakhau.notifications")


class DeliveryError(Exception):
    pass


class Channel:
    name: ClassVar[str]

    def send(self, delivery: Delivery) -> None:
        raise NotImplementedError


class ConsoleChannel(Channel):
    name = "console"

    def send(self, delivery: Delivery) -> None:
        log.info("[%s → %s] %s: %s", self.name, delivery.address, delivery.subject, delivery.body)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"not an HTTP URL: {url!r}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"{url}: {exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from {url}")


class SmsGatewayChannel(Channel):
    name = "sms"

    def send(self, delivery: Delivery) -> None:
        url = settings.CUAKHAU_SMS_GATEWAY_URL
        if not url:
            raise DeliveryError("CUAKHAU_SMS_GATEWAY_URL is not set")
        body = json.dumps({"to": delivery.address, "text": delivery.body}).encode()
        headers = {"Content-Type": "application/json"}
        if settings.CUAKHAU_SMS_GATEWAY_TOKEN:
            headers["Authorization"] = f"Bearer {settings.CUAKHAU_SMS_GATEWAY_TOKEN}"
        _post(url, body, headers, settings.CUAKHAU_DELIVERY_TIMEOUT_SECONDS)


class WebhookChannel(Channel):
    name = "webhook"

    def send(self, delivery: Delivery) -> None:
        if delivery.webhook is None:
            raise DeliveryError("the webhook was removed")
        body = json.dumps(delivery.payload, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Cuakhau-Timestamp": timestamp,
            "X-Cuakhau-Signature": sign(delivery.webhook.secret, timestamp, body),
            "X-Cuakhau-Delivery": str(delivery.pk),
        }
        _post(delivery.address, body, headers, settings.CUAKHAU_DELIVERY_TIMEOUT_SECONDS)


CHANNELS: dict[str, Channel] = {
    c.name: c for c in (ConsoleChannel(), SmsGatewayChannel(), WebhookChannel())
}
