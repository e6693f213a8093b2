"""The outbox worker against a real HTTP server on this machine: retries, backoff, signatures."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from cuakhau.signing import sign
from cuakhau.testing import World, declare
from notifications import services
from notifications.dispatch import MAX_ATTEMPTS, backoff, dispatch_once
from notifications.models import Delivery, DeliveryStatus, Notification, Webhook

pytestmark = pytest.mark.django_db


class Gateway:
    """A tiny HTTP endpoint that fails the first ``fail`` requests, then accepts."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.requests: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"headers": dict(self.headers), "body": body})
                status = 500 if len(gateway.requests) <= gateway.fail else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky() -> Iterator[Gateway]:
    gateway = Gateway(fail=2)
    yield gateway
    gateway.close()


def _compose() -> tuple[str, str]:
    return "Xe đã thông quan", "Xe 29C-123.45 đã được thông quan."


def test_webhook_is_retried_with_backoff_and_signed(world: World, flaky: Gateway) -> None:
    declaration = declare(world)
    Webhook.objects.create(
        enterprise=world.owner_enterprise, url=flaky.url, secret="enterprise-secret"
    )
    services.notify(
        recipients=[world.owner], kind="test", compose=_compose, declaration=declaration
    )
    delivery = Delivery.objects.get(channel="webhook")
    now = timezone.now()
    assert dispatch_once(now=now) == {"sent": 0, "retry": 1, "failed": 0}
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at >= now + backoff(1) - timedelta(seconds=1)
    # Not due yet: nothing is sent.
    assert dispatch_once(now=now + timedelta(seconds=5)) == {"sent": 0, "retry": 0, "failed": 0}
    assert dispatch_once(now=now + timedelta(seconds=31))["retry"] == 1
    assert dispatch_once(now=now + timedelta(minutes=5))["sent"] == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3
    assert len(flaky.requests) == 3
    last = flaky.requests[-1]
    headers = {k.lower(): v for k, v in last["headers"].items()}
    assert headers["x-cuakhau-signature"] == sign(
        "enterprise-secret", headers["x-cuakhau-timestamp"], last["body"]
    )
    payload = json.loads(last["body"])
    assert payload["kind"] == "test" and payload["declaration"] == declaration.reference
    # The inbox got it too.
    assert Notification.objects.filter(recipient=world.owner, kind="test").count() == 1


def test_backoff_doubles_and_gives_up(world: World) -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20).total_seconds() == 3600
    Webhook.objects.create(
        enterprise=world.owner_enterprise, url="http://127.0.0.1:9/nothing", secret="s"
    )
    services.notify(recipients=[], kind="test", compose=_compose, declaration=declare(world))
    moment = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        moment += timedelta(hours=2)
        dispatch_once(now=moment)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == MAX_ATTEMPTS


def test_sms_to_the_driver_in_their_language_through_the_gateway(world: World) -> None:
    gateway = Gateway(fail=0)
    try:
        world.outsider_driver.preferred_language = "zh-hans"
        with override_settings(
            CUAKHAU_SMS_GATEWAY_URL=gateway.url, CUAKHAU_SMS_GATEWAY_TOKEN="token-1"
        ):
            from django.utils.translation import gettext as _

            services.send_to_driver(
                driver=world.outsider_driver,
                kind="test",
                compose=lambda: (_("Notifications"), _("Notifications")),
                declaration=None,
            )
            call_command("dispatch", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    finally:
        gateway.close()
    delivery = Delivery.objects.get()
    assert delivery.channel == "sms" and delivery.status == DeliveryStatus.SENT
    assert delivery.language == "zh-hans" and delivery.body == "通知"
    sent = json.loads(gateway.requests[0]["body"])
    assert sent == {"to": world.outsider_driver.phone, "text": "通知"}
    headers = {k.lower(): v for k, v in gateway.requests[0]["headers"].items()}
    assert headers["authorization"] == "Bearer token-1"


def test_without_a_gateway_messages_go_to_the_console(world: World) -> None:
    services.send_to_driver(
        driver=world.owner_driver, kind="test", compose=_compose, declaration=None
    )
    assert dispatch_once() == {"sent": 1, "retry": 0, "failed": 0}
    assert Delivery.objects.get().channel == "console"
