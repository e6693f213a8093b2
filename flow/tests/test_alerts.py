"""Overflow alerts (issue 16 §3): the forecast says a yard will be full within the board's
horizon; the board gets one notification per gate and direction, not one per truck and not one
per hourly plan, and a banner on its pages until it acknowledges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from cuakhau.errors import InvalidInput, NotAllowed
from cuakhau.testing import World
from flow import services
from flow.choices import AdmissionStatus
from flow.models import AdmissionDecision, OverflowAlert
from gates.models import Yard
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _plan(world: World, flow: str, full_on: int | None) -> list[AdmissionDecision]:
    """Seven days of decisions, the yard likely full from day ``full_on`` (None: never)."""
    today = timezone.localdate()
    rows = []
    for i in range(7):
        full = full_on is not None and i >= full_on
        rows.append(
            AdmissionDecision.objects.update_or_create(
                gate=world.gates["huu-nghi"],
                yard=Yard.objects.get(code="huu-nghi-yard"),
                flow=flow,
                day=today + timedelta(days=i),
                defaults={
                    "status": AdmissionStatus.HELD if full else AdmissionStatus.OPEN,
                    "expected_queue": 700 if full else 300,
                    "expected_queue_high": 800 if full else 400,
                    "probability_full": 0.8 if full else 0.02,
                    "yard_capacity": 600,
                    "capacity": 500,
                    "computed_at": timezone.now(),
                },
            )[0]
        )
    return rows


def test_one_alert_per_gate_and_direction_within_the_horizon(world: World) -> None:
    # Full in five days: beyond the default three-day horizon, no alert.
    assert services.raise_alerts(_plan(world, "exit", 5)) is None
    # Full in two days: the board is told once.
    alert = services.raise_alerts(_plan(world, "exit", 2))
    assert alert is not None and alert.first_full_day == timezone.localdate() + timedelta(days=2)
    boards = Notification.objects.filter(kind="flow.overflow")
    assert boards.count() == 1 and boards.get().recipient == world.board
    assert "Hữu Nghị" in boards.get().subject
    # The next hourly plan, now full from tomorrow: the alert moves, nobody is told again.
    services.raise_alerts(_plan(world, "exit", 1))
    assert OverflowAlert.objects.get().first_full_day == timezone.localdate() + timedelta(days=1)
    assert boards.count() == 1
    # The other direction is its own alert.
    services.raise_alerts(_plan(world, "entry", 0))
    assert OverflowAlert.objects.count() == 2 and boards.count() == 2


def test_the_banner_stays_until_the_board_acknowledges(world: World) -> None:
    alert = services.raise_alerts(_plan(world, "exit", 1))
    assert alert is not None
    web = Client()
    web.force_login(world.board)
    page = web.get("/fees/revenue/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert 'class="alert warning overflow-alert"' in page and "Hữu Nghị" in page
    owner = Client()
    owner.force_login(world.owner)
    assert "overflow-alert" not in owner.get("/declarations/").content.decode()
    with pytest.raises(NotAllowed):
        services.do_acknowledge_alert(actor=world.owner, alert_id=alert.pk)
    bad = web.post("/flow/admission/action/", {"action": "acknowledge", "alert": "x"})
    assert bad.status_code == 400 and "overflow-alert" in bad.content.decode()
    done = web.post("/flow/admission/action/", {"action": "acknowledge", "alert": alert.pk})
    assert done.status_code == 302
    assert "overflow-alert" not in web.get("/fees/revenue/").content.decode()
    assert AuditEvent.objects.filter(action="flow.overflow_alert_acknowledged").count() == 1
    # Still full at the next plan: a new alert, told again (the board closed the last one).
    services.raise_alerts(_plan(world, "exit", 1))
    assert Notification.objects.filter(kind="flow.overflow").count() == 2


def test_the_board_sets_the_horizon_and_a_bad_one_is_refused_by_field(world: World) -> None:
    web = Client()
    web.force_login(world.board)
    refused = web.post(
        "/flow/admission/action/",
        {"action": "horizon", "horizon_days": "9"},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert refused.status_code == 400 and 'data-field="horizon_days"' in refused.content.decode()
    assert services.settings_row().horizon_days == 3
    assert (
        web.post("/flow/admission/action/", {"action": "horizon", "horizon_days": "6"}).status_code
        == 302
    )
    assert services.settings_row().horizon_days == 6
    assert services.raise_alerts(_plan(world, "exit", 5)) is not None
    with pytest.raises(InvalidInput):
        services.do_set_alert_horizon(actor=world.board, days="abc")
