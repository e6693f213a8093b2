"""Plate cameras: signatures, clocks, replays; reconciliation, corrections, manual events."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from cuakhau.errors import Conflict, InvalidInput, NotAllowed
from cuakhau.signing import sign
from cuakhau.testing import World, declare, pass_checks, walk_to
from flow import board, services
from flow.choices import BookingStatus, EventKind, EventStatus
from flow.models import Booking, Device, PlateEvent, YardVisit
from flow.services import yard_events
from flow.tests.conftest import open_hour
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration

pytestmark = pytest.mark.django_db
URL = "/api/v1/devices/events/"
SECRET = "cam-secret-for-tests-0123456789"


@pytest.fixture
def cameras(world: World) -> dict[str, Device]:
    services._device_cache.clear()
    gate = world.gates["huu-nghi"]
    return {
        kind: Device.objects.create(code=f"cam-hn-{kind}", gate=gate, kind=kind, secret=SECRET)
        for kind in (EventKind.GATE_IN, EventKind.GATE_OUT, EventKind.CROSSING)
    }


def _post(
    device: Device,
    reads: list[dict[str, Any]],
    *,
    event_id: str | None = None,
    secret: str = SECRET,
    timestamp: float | None = None,
    body: bytes | None = None,
    language: str = "en",
) -> Any:
    payload = (
        body
        or json.dumps(
            {
                "event_id": event_id or uuid.uuid4().hex,
                "at": timezone.now().isoformat(),
                "reads": reads,
            }
        ).encode()
    )
    stamp = str(int(timestamp if timestamp is not None else time.time()))
    return Client().post(
        URL,
        payload,
        content_type="application/json",
        HTTP_X_CUAKHAU_DEVICE=device.code,
        HTTP_X_CUAKHAU_TIMESTAMP=stamp,
        HTTP_X_CUAKHAU_SIGNATURE=sign(secret, stamp, payload),
        HTTP_ACCEPT_LANGUAGE=language,
    )


def _admitted(world: World, plate: str = "29C-123.45") -> Declaration:
    return walk_to(declare(world, vehicle_plate=plate), world, TruckState.ADMITTED)


def test_a_signed_gate_in_puts_the_truck_in_the_yard_once(world: World, cameras: dict) -> None:
    declaration = _admitted(world)
    booking_hour = open_hour(declaration)
    Booking.objects.create(
        declaration=declaration,
        enterprise=declaration.enterprise,
        vehicle=declaration.vehicle,
        slot=services.slot_for(
            gate=declaration.gate, route=declaration.route, flow="exit", starts_at=booking_hour
        ),
        lane="green",
        created_at=timezone.now(),
        created_by=world.owner,
    )
    event_id = uuid.uuid4().hex
    first = _post(
        cameras["gate_in"], [{"plate": "29C-I23.4S", "confidence": 0.9}], event_id=event_id
    )
    assert first.status_code == 202, first.content
    assert first.json()["status"] == "received" and first.json()["duplicate"] is False
    assert services.process_events() == 1
    assert PlateEvent.objects.get().status == EventStatus.MATCHED
    declaration.refresh_from_db()
    assert declaration.state == TruckState.ARRIVED
    assert declaration.history.get(transition="arrive").actor_label == "device:cam-hn-gate_in"
    assert YardVisit.objects.filter(declaration=declaration, exited_at__isnull=True).count() == 1
    assert Booking.objects.get(declaration=declaration).status == BookingStatus.USED
    # The same post again (a replay, or the camera retrying): accepted, nothing changes.
    again = _post(
        cameras["gate_in"], [{"plate": "29C-I23.4S", "confidence": 0.9}], event_id=event_id
    )
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert services.process_events() == 0
    assert PlateEvent.objects.count() == 1
    assert YardVisit.objects.count() == 1
    assert declaration.history.filter(transition="arrive").count() == 1


def test_refusals_name_the_problem_and_store_nothing(world: World, cameras: dict) -> None:
    _admitted(world)
    device = cameras["gate_in"]
    reads = [{"plate": "29C-123.45", "confidence": 0.9}]
    bad_signature = _post(device, reads, secret="not-the-secret")
    assert bad_signature.status_code == 401
    assert bad_signature.json()["error"]["code"] == "bad_signature"
    stale = _post(device, reads, timestamp=time.time() - 3600)
    assert stale.status_code == 401
    assert stale.json()["error"]["code"] == "stale_timestamp"
    future = _post(device, reads, timestamp=time.time() + 3600)
    assert future.json()["error"]["code"] == "stale_timestamp"
    device.is_active = False
    device.save()
    services._device_cache.clear()
    unknown = _post(device, reads)
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "device_refused"
    device.is_active = True
    device.save()
    services._device_cache.clear()
    malformed = _post(device, [], body=b'{"event_id": "", "reads": [{"plate": ""}]}')
    assert malformed.status_code == 400
    fields = malformed.json()["error"]["fields"]
    assert {"event_id", "at", "reads[0].plate"} <= set(fields)
    not_json = _post(device, [], body=b"plate=29C")
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "bad_json"
    vi = _post(device, reads, secret="wrong", language="vi")
    assert "chữ ký" in vi.json()["error"]["message"].lower()
    assert PlateEvent.objects.count() == 0
    assert Declaration.objects.get().state == TruckState.ADMITTED


def test_unmatched_reads_wait_for_a_person(world: World, cameras: dict) -> None:
    declaration = _admitted(world)
    response = _post(cameras["gate_in"], [{"plate": "30A-999.99", "confidence": 0.95}])
    assert response.status_code == 202
    services.process_events()
    event = PlateEvent.objects.get()
    assert event.status == EventStatus.UNMATCHED
    assert event.note == "no expected truck has this plate"
    with pytest.raises(NotAllowed):
        services.do_correct_event(
            actor=world.customs_hn, event_id=event.pk, reference=declaration.reference
        )
    with pytest.raises(InvalidInput):
        services.do_correct_event(actor=world.yard_hn, event_id=event.pk, reference="NOPE")
    # Issue 24, finding 1: 30A-999.99 is not a misread of 29C-123.45: assigned only with why.
    with pytest.raises(InvalidInput) as far:
        services.do_correct_event(
            actor=world.yard_hn, event_id=event.pk, reference=declaration.reference
        )
    assert "reason" in far.value.fields and "29C-123.45" in far.value.message
    assert PlateEvent.objects.get().status == EventStatus.UNMATCHED
    services.do_correct_event(
        actor=world.yard_hn,
        event_id=event.pk,
        reference=declaration.reference,
        reason="Plate covered in mud; the driver showed the papers",
    )
    event.refresh_from_db()
    declaration.refresh_from_db()
    assert event.status == EventStatus.CORRECTED and event.resolved_by == world.yard_hn
    assert declaration.state == TruckState.ARRIVED
    corrected = AuditEvent.objects.get(action="yard_event.corrected")
    assert corrected.after["reason"].startswith("Plate covered")
    assert corrected.after["edits_from_read"] > services.MAX_MISREAD_EDITS
    other = _post(cameras["gate_in"], [{"plate": "??", "confidence": 0.1}])
    services.process_events()
    services.do_dismiss_event(
        actor=world.yard_hn, event_id=other.json()["id"], reason="Motorbike, not a truck"
    )
    assert PlateEvent.objects.filter(status=EventStatus.UNMATCHED).count() == 0


def test_a_misread_plate_is_assigned_without_a_reason(world: World, cameras: dict) -> None:
    """A read two look-alike characters off (29C-123.45 read as 29C-128.4S, then a digit
    dropped) is a misread: the operator assigns it without a reason."""
    declaration = _admitted(world)
    assert (
        _post(cameras["gate_in"], [{"plate": "29C-128.4", "confidence": 0.95}]).status_code == 202
    )
    services.process_events()
    event = PlateEvent.objects.get()
    assert event.status == EventStatus.UNMATCHED
    services.do_correct_event(
        actor=world.yard_hn, event_id=event.pk, reference=declaration.reference
    )
    declaration.refresh_from_db()
    assert declaration.state == TruckState.ARRIVED
    corrected = AuditEvent.objects.get(action="yard_event.corrected")
    assert corrected.after["edits_from_read"] <= services.MAX_MISREAD_EDITS
    assert corrected.after["reason"] == ""


def test_manual_gate_in_and_out_and_crossing_by_camera(world: World, cameras: dict) -> None:
    declaration = _admitted(world)
    before = board.cards("huu-nghi", fresh=True)[0].in_yard
    with pytest.raises(NotAllowed):
        services.do_record_yard_event(
            actor=world.customs_hn, gate_code="huu-nghi", kind="gate_in", plate="29C-123.45"
        )
    with pytest.raises(InvalidInput) as unknown:
        services.do_record_yard_event(
            actor=world.yard_hn, gate_code="huu-nghi", kind="gate_in", plate="30A-000.01"
        )
    assert "plate" in unknown.value.fields
    services.do_record_yard_event(
        actor=world.yard_hn, gate_code="huu-nghi", kind="gate_in", plate="29c 12345"
    )
    declaration.refresh_from_db()
    assert declaration.state == TruckState.ARRIVED
    assert board.cards("huu-nghi")[0].in_yard == before + 1
    status = services.yard_status(world.gates["huu-nghi"])
    assert status.in_yard == 1 and status.dwell_hours_now is not None
    pass_checks(declaration, world)
    services.do_call_next(actor=world.yard_hn, gate_code="huu-nghi", count=1)
    declaration.refresh_from_db()
    assert declaration.state == TruckState.CALLED
    _post(cameras["crossing"], [{"plate": "29C-123.45", "confidence": 0.97}])
    services.process_events()
    assert PlateEvent.objects.filter(kind="crossing").get().status == EventStatus.MATCHED
    declaration.refresh_from_db()
    assert declaration.state == TruckState.CROSSED
    visit = YardVisit.objects.get(declaration=declaration)
    assert visit.exited_at is not None and visit.exited_at >= visit.entered_at
    assert services.yard_status(world.gates["huu-nghi"]).in_yard == 0


def test_a_walk_in_without_booking_is_admitted_on_arrival(world: World, cameras: dict) -> None:
    declaration = declare(world, vehicle_plate="29C-765.43")
    _post(cameras["gate_in"], [{"plate": "29C-765.43", "confidence": 0.9}])
    services.process_events()
    assert PlateEvent.objects.get().status == EventStatus.MATCHED
    declaration.refresh_from_db()
    assert declaration.state == TruckState.ARRIVED
    assert YardVisit.objects.get(declaration=declaration).walk_in is True
    assert declaration.history.get(transition="admit").actor_label == "system:flow (walk-in)"


def test_a_camera_event_for_a_truck_that_cannot_move_goes_to_a_person(
    world: World, cameras: dict
) -> None:
    declaration = walk_to(declare(world), world, TruckState.ARRIVED)
    # A crossing camera sees a truck that was never called forward.
    _post(cameras["crossing"], [{"plate": declaration.vehicle.plate, "confidence": 0.9}])
    services.process_events()
    event = PlateEvent.objects.get()
    assert event.status == EventStatus.UNMATCHED
    declaration.refresh_from_db()
    assert declaration.state == TruckState.ARRIVED


def test_events_are_applied_in_the_order_they_were_read(world: World, cameras: dict) -> None:
    declaration = _admitted(world, plate="29C-135.79")
    pass_through = [("gate_in", 0), ("gate_out", 1)]
    for kind, minutes in reversed(pass_through):  # posted out of order
        body = json.dumps(
            {
                "event_id": uuid.uuid4().hex,
                "at": (timezone.now() + timedelta(minutes=minutes)).isoformat(),
                "reads": [{"plate": "29C-135.79", "confidence": 0.9}],
            }
        ).encode()
        _post(cameras[kind], [], body=body)
    assert services.process_events() == 2
    visit = YardVisit.objects.get(declaration=declaration)
    assert visit.exited_at is not None and visit.exited_at > visit.entered_at


def test_an_event_that_fails_does_not_block_the_ones_behind_it(
    world: World, cameras: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _admitted(world, plate="29C-111.22")
    second = _admitted(world, plate="29C-333.44")
    _post(cameras["gate_in"], [{"plate": first.vehicle.plate, "confidence": 0.9}])
    _post(cameras["gate_in"], [{"plate": second.vehicle.plate, "confidence": 0.9}])
    real_apply = yard_events._apply

    def broken_for_the_first(event, declaration_id, yard_id, label):  # type: ignore[no-untyped-def]
        if declaration_id == first.pk:
            raise RuntimeError("disk full")
        return real_apply(event, declaration_id, yard_id, label)

    monkeypatch.setattr(yard_events, "_apply", broken_for_the_first)
    assert services.process_events() == 2
    failed = PlateEvent.objects.get(reads__0__plate=first.vehicle.plate)
    assert failed.status == EventStatus.UNMATCHED and "RuntimeError" in failed.note
    second.refresh_from_db()
    assert second.state == TruckState.ARRIVED


def test_arrivals_recorded_on_the_declaration_page_count_in_the_yard(world: World) -> None:
    declaration = walk_to(declare(world), world, TruckState.ARRIVED)
    visit = YardVisit.objects.get(declaration=declaration)
    assert visit.exited_at is None and visit.walk_in is True
    assert services.yard_status(world.gates["huu-nghi"]).in_yard == 1
    pass_checks(declaration, world)
    for move, who in (("call", world.yard_hn), ("cross", world.guard_hn)):
        shipments.do_transition(declaration_id=declaration.pk, transition=move, actor=who)
    visit.refresh_from_db()
    assert visit.exited_at is not None


def test_a_truck_with_its_next_trip_declared_is_gated_in_for_the_admitted_one(
    world: World, cameras: dict
) -> None:
    """Issue 12, finding 3: the next trip of the same vehicle is not a look-alike plate."""
    admitted = _admitted(world)
    later = declare(world, planned_arrival=timezone.now() + timedelta(days=2))
    services.do_record_yard_event(
        actor=world.yard_hn, gate_code="huu-nghi", kind="gate_in", plate="29C-123.45"
    )
    admitted.refresh_from_db()
    later.refresh_from_db()
    assert admitted.state == TruckState.ARRIVED
    assert later.state == TruckState.DECLARED
    # The camera at gate-out finds the trip in the yard, not the declared one.
    _post(cameras["gate_out"], [{"plate": "29C-123.45", "confidence": 0.95}])
    services.process_events()
    event = PlateEvent.objects.get(kind="gate_out")
    assert event.status == EventStatus.MATCHED
    assert event.declaration_id == admitted.pk


def test_two_open_trips_alike_are_left_to_the_operator_to_choose(world: World) -> None:
    at = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    first, second = (declare(world, planned_arrival=at) for _ in range(2))
    with pytest.raises(InvalidInput) as choose:
        services.do_record_yard_event(
            actor=world.yard_hn, gate_code="huu-nghi", kind="gate_in", plate="29C-123.45"
        )
    assert choose.value.code == "choose_trip"
    assert "reference" in choose.value.fields
    assert not PlateEvent.objects.exists()
    with pytest.raises(InvalidInput):
        services.do_record_yard_event(
            actor=world.yard_hn,
            gate_code="huu-nghi",
            kind="gate_in",
            plate="29C-123.45",
            reference="NOT-A-TRIP",
        )
    services.do_record_yard_event(
        actor=world.yard_hn,
        gate_code="huu-nghi",
        kind="gate_in",
        plate="29C-123.45",
        reference=second.reference,
    )
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.state == TruckState.ARRIVED
    assert first.state == TruckState.DECLARED


def test_the_yard_console_offers_the_trips_to_choose_from(world: World) -> None:
    at = timezone.now().replace(microsecond=0) + timedelta(hours=5)
    trips = [declare(world, planned_arrival=at) for _ in range(2)]
    web = Client()
    web.force_login(world.yard_hn)
    page = web.post(
        "/flow/yard/huu-nghi/action/",
        {"action": "record", "kind": "gate_in", "plate": "29C-123.45"},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="trip-choices"' in html
    assert all(t.reference in html for t in trips)
    # Issue 24, finding 1: each choice says its direction, road and goods, not only its number.
    choices = html.split('id="trip-choices"')[1].split("</fieldset>")[0]
    assert "Xuất khẩu" in choices and "Tân Thanh" in choices and "Thanh long" in choices
    assert 'value="29C-123.45"' in html
    done = web.post(
        "/flow/yard/huu-nghi/action/",
        {
            "action": "record",
            "kind": "gate_in",
            "plate": "29C-123.45",
            "reference": trips[1].reference,
        },
    )
    assert done.status_code == 302
    assert Declaration.objects.get(pk=trips[1].pk).state == TruckState.ARRIVED
    assert Declaration.objects.get(pk=trips[0].pk).state == TruckState.DECLARED


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00+14:00",  # once stored unreadable and stopped the queue
        "9999-12-31T23:59:59-14:00",
        "2020-01-01T08:00:00+07:00",  # once charged a 60,629-hour yard stay
        "2099-01-01T08:00:00+07:00",  # once moved a truck to "arrived" in 2099
        "2026-13-45T99:00:00+07:00",
        "2026-11-30T08:00:00+99:00",
        "2026-11-30T08:00:00",  # no time zone
    ],
)
def test_read_times_outside_the_window_are_refused_and_the_queue_goes_on(
    world: World, cameras: dict, at: str
) -> None:
    declaration = _admitted(world)
    body = json.dumps(
        {"event_id": uuid.uuid4().hex, "at": at, "reads": [{"plate": "29C-123.45"}]}
    ).encode()
    refused = _post(cameras["gate_in"], [], body=body)
    assert refused.status_code == 400, refused.content
    assert "at" in refused.json()["error"]["fields"]
    assert not PlateEvent.objects.exists()
    # A late read within the window is still taken, and the queue applies it.
    late = json.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "at": (timezone.now() - timedelta(hours=2)).isoformat(),
            "reads": [{"plate": "29C-123.45", "confidence": 0.9}],
        }
    ).encode()
    assert _post(cameras["gate_in"], [], body=late).status_code == 202
    services.process_events()
    declaration.refresh_from_db()
    assert declaration.state == TruckState.ARRIVED
    assert Client().get("/api/v1/board/").status_code == 200


def test_a_truck_is_in_one_yard_once(world: World, cameras: dict) -> None:
    """Issue 24, finding 1: a truck with two open trips was gated in twice a minute apart, once
    per trip, and counted twice in the yard. The second gate-in is refused, naming the trip it
    is in, by hand and from a camera alike; the answer to the first names the trip it moved."""
    admitted = _admitted(world)
    later = declare(world, planned_arrival=timezone.now() + timedelta(days=2))
    web = Client()
    web.force_login(world.yard_hn)
    first = web.post(
        "/flow/yard/huu-nghi/action/",
        {"action": "record", "kind": "gate_in", "plate": "29c 12345"},
        follow=True,
    )
    assert admitted.reference in first.content.decode()
    with pytest.raises(Conflict) as twice:
        services.do_record_yard_event(
            actor=world.yard_hn,
            gate_code="huu-nghi",
            kind="gate_in",
            plate="29C-123.45",
            reference=later.reference,
        )
    assert twice.value.code == "already_in_yard"
    assert admitted.reference in twice.value.message
    _post(cameras["gate_in"], [{"plate": "29C-123.45", "confidence": 0.97}])
    services.process_events()
    read = PlateEvent.objects.filter(device__isnull=False, kind="gate_in").get()
    assert read.status == EventStatus.UNMATCHED and admitted.reference in read.note
    later.refresh_from_db()
    assert later.state == TruckState.DECLARED
    assert (
        YardVisit.objects.filter(
            declaration__vehicle__plate="29C-123.45", exited_at__isnull=True
        ).count()
        == 1
    )
