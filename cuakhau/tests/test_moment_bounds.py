"""Issue 24, finding 6: date-times the API bounds gave a 500 on web forms and device events (a
+16:00 offset PostgreSQL cannot store, the years 1 and 9999). Every path keeps the same bounds
(``cuakhau.numbers.parse_moment`` / ``check_moment``), answers 4xx naming the field, and stores
nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from datetime import timezone as tz

import pytest
from django.test import Client
from django.utils import timezone

from cuakhau.numbers import parse_moment
from cuakhau.testing import World, declaration_payload, declare, walk_to
from flow.models import Booking, PlateEvent
from flow.tests.test_yard_events import _post, cameras  # noqa: F401 (a fixture)
from gates.models import CapacityPlan
from shipments.choices import TruckState
from shipments.models import Declaration

pytestmark = pytest.mark.django_db

OUT_OF_BOUNDS = [
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "2026-12-10T10:00:00+16:00",
    "2026-12-10T10:00:00-15:30",
]


def _in_16(hours: float) -> str:
    """A real moment written at +16:00, an offset no place uses."""
    return (timezone.now() + timedelta(hours=hours)).astimezone(tz(timedelta(hours=16))).isoformat()


def test_parse_moment_keeps_the_apis_bounds() -> None:
    moment, problem = parse_moment("2026-12-10T10:00")
    assert problem is None and moment is not None and moment.tzinfo is UTC
    assert moment == datetime(2026, 12, 10, 3, tzinfo=UTC)  # Hanoi time, UTC+7
    assert parse_moment("2026-12-10T10:00+07:00")[0] == moment
    assert parse_moment("") == (None, None)
    assert parse_moment("not a time") == (None, None)
    for raw in OUT_OF_BOUNDS:
        value, problem = parse_moment(raw)
        assert value is None and problem, raw


@pytest.mark.parametrize("raw", [*OUT_OF_BOUNDS, "NOW+16"])
def test_booking_form_refuses_out_of_bounds_hours(world: World, raw: str) -> None:
    trip = walk_to(declare(world), world, TruckState.ADMITTED)
    web = Client()
    web.force_login(world.owner)
    answer = web.post(
        f"/flow/declarations/{trip.reference}/booking/",
        {"action": "book", "starts_at": _in_16(30) if raw == "NOW+16" else raw},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert answer.status_code == 400, answer.content.decode()[:500]
    page = answer.content.decode()
    assert "múi giờ" in page or "năm 2000" in page
    assert not Booking.objects.exists()


@pytest.mark.parametrize("raw", [*OUT_OF_BOUNDS, "NOW+16"])
def test_declaration_form_refuses_an_out_of_bounds_arrival(world: World, raw: str) -> None:
    web = Client()
    web.force_login(world.owner)
    body = declaration_payload(world)
    line = body.pop("lines")[0]
    form = {
        "direction": body["direction"],
        "gate_route": f"{body['gate']}/{body['route']}",
        "vehicle_plate": body["vehicle_plate"],
        "driver": str(body["driver"]),
        "origin_province": str(body["origin_province"]),
        "planned_arrival": _in_16(20) if raw == "NOW+16" else raw,
        "lines-0-commodity": line["commodity"],
        "lines-0-weight_kg": "18.000",
        "lines-0-value_usd": "16.200",
        "lines-0-puc_code": line["puc_code"],
        "lines-0-phc_code": line["phc_code"],
    }
    answer = web.post("/declarations/new/", form, HTTP_ACCEPT_LANGUAGE="vi")
    assert answer.status_code == 400, answer.content.decode()[:500]
    assert "id_planned_arrival" in answer.content.decode()
    assert not Declaration.objects.exists()
    # The same form with a real time is taken.
    form["planned_arrival"] = timezone.localtime(timezone.now() + timedelta(hours=20)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    assert web.post("/declarations/new/", form).status_code == 302
    # And an amendment keeps the same bounds.
    trip = Declaration.objects.get()
    amend = web.post(
        f"/declarations/{trip.reference}/amend/",
        {"planned_arrival": _in_16(30) if raw == "NOW+16" else raw},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert amend.status_code == 400
    trip.refresh_from_db()
    assert abs(trip.planned_arrival - timezone.now() - timedelta(hours=20)) < timedelta(hours=1)


@pytest.mark.parametrize("raw", [*OUT_OF_BOUNDS, "NOW+16"])
def test_capacity_publishing_refuses_an_out_of_bounds_start(world: World, raw: str) -> None:
    web = Client()
    web.force_login(world.board)
    before = CapacityPlan.objects.count()
    answer = web.post(
        "/flow/admission/action/",
        {
            "action": "publish",
            "gate_route": "huu-nghi",
            "flow": "exit",
            "trucks_per_hour": "20",
            "effective_from": _in_16(2) if raw == "NOW+16" else raw,
            "reason": "thỏa thuận",
        },
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert answer.status_code == 400, answer.content.decode()[:500]
    assert CapacityPlan.objects.count() == before


def test_a_device_read_at_plus_16_is_refused(world: World, cameras: dict) -> None:  # noqa: F811
    body = json.dumps(
        {"event_id": uuid.uuid4().hex, "at": _in_16(-0.1), "reads": [{"plate": "29C-123.45"}]}
    ).encode()
    refused = _post(cameras["gate_in"], [], body=body)
    assert refused.status_code == 400, refused.content
    assert "at" in refused.json()["error"]["fields"]
    assert not PlateEvent.objects.exists()
