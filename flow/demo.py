"""Flow control's part of the demo: cameras, bookings, trucks in the yards, reads to correct.

Written in bulk after the traffic import (``shipments.demo.build_demo``), with the same rules as
the live services: slots keep their green-lane and walk-in reserves, and every truck already in a
yard has its open visit.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flow import planning, services
from flow.choices import BookingStatus, EventKind, EventStatus, Lane
from flow.models import Booking, Device, Notice, PlateEvent, YardVisit
from flow.yards import yard_counts
from gates.models import Gate, Yard
from shipments.choices import TruckState
from shipments.models import Declaration

DEVICES = (
    ("cam-huunghi-in", "huu-nghi", "huu-nghi-yard", EventKind.GATE_IN),
    ("cam-huunghi-out", "huu-nghi", "huu-nghi-yard", EventKind.GATE_OUT),
    ("cam-huunghi-border", "huu-nghi", None, EventKind.CROSSING),
    ("cam-chima-in", "chi-ma", "chi-ma-yard", EventKind.GATE_IN),
)


def device_secret(code: str) -> str:
    """Demo secrets follow from the demo password, so they can be printed and reproduced."""
    return hashlib.sha256(f"{settings.CUAKHAU_DEMO_PASSWORD}:{code}".encode()).hexdigest()[:32]


def build_flow_demo(*, seed: int, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311 - demo data
    gates = {g.code: g for g in Gate.objects.all()}
    yards = {y.code: y for y in Yard.objects.all()}
    with transaction.atomic():
        for code, gate, yard, kind in DEVICES:
            Device.objects.get_or_create(
                code=code,
                defaults={
                    "gate": gates[gate],
                    "yard": yards.get(yard) if yard else None,
                    "kind": kind,
                    "secret": device_secret(code),
                },
            )
        visits = _yard_visits(now, yards)
        bookings = _bookings(now, rng)
        unmatched = _reads_to_correct(now, gates["huu-nghi"], rng)
        Notice.objects.get_or_create(
            gate=gates["huu-nghi"],
            text_vi="Tuyến Tân Thanh ưu tiên xe vải thiều và thanh long tươi từ 6:00 (luồng xanh).",
            defaults={
                "text_en": "Tân Thanh route: fresh lychee and dragon fruit first from 06:00 "
                "(green lane).",
                "text_zh": "新清通道：06:00 起荔枝和火龙果等生鲜优先（绿色通道）。",
                "starts_at": now - timedelta(days=1),
            },
        )
    return {"yard_visits": visits, "bookings": bookings, "reads_to_correct": unmatched}


def _yard_visits(now: datetime, yards: dict[str, Yard]) -> int:
    """Every truck the import left in a yard gets its open visit, from its arrival."""
    waiting = Declaration.objects.filter(state__in=planning.IN_YARD).exclude(
        pk__in=YardVisit.objects.filter(exited_at__isnull=True).values("declaration_id")
    )
    arrived_at = dict(
        Declaration.objects.filter(
            pk__in=waiting.values("pk"), history__transition="arrive"
        ).values_list("pk", "history__at")
    )
    # Each truck's visit is in the yard its road's trucks wait in (flow.yards), never in a
    # holding area.
    by_road = {road.key: y.yard for y in yard_counts(counted=False) for road in y.roads}
    own_roads = {route for _gate, route in by_road if route is not None}
    rows = [
        YardVisit(
            declaration_id=d.pk,
            gate_id=d.gate_id,
            yard=by_road.get((d.gate_id, d.route_id if d.route_id in own_roads else None)),
            entered_at=arrived_at.get(d.pk, d.state_changed_at),
        )
        for d in waiting.only("pk", "gate_id", "route_id", "state_changed_at")
    ]
    YardVisit.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _bookings(now: datetime, rng: random.Random) -> int:
    """Admitted trucks coming in the next days hold a slot at their planned hour, where the
    gate is open and the slot has room; as live bookings would."""
    horizon = now + timedelta(days=settings.CUAKHAU_BOOKING_DAYS_AHEAD)
    coming = (
        Declaration.objects.filter(
            state=TruckState.ADMITTED, planned_arrival__gte=now, planned_arrival__lt=horizon
        )
        .exclude(bookings__status=BookingStatus.ACTIVE)
        .select_related("gate", "route", "vehicle")
        .order_by("planned_arrival", "pk")
    )
    made = 0
    booked_vehicles: set[int] = set(
        Booking.objects.filter(status=BookingStatus.ACTIVE).values_list("vehicle_id", flat=True)
    )
    actor = None
    for declaration in coming:
        if declaration.vehicle_id in booked_vehicles or rng.random() < 0.15:
            continue  # one booking per vehicle; some trucks come as walk-ins
        hour = services._hour(declaration.planned_arrival)
        slot = services.slot_for(
            gate=declaration.gate, route=declaration.route, flow=declaration.flow, starts_at=hour
        )
        lane = Lane.GREEN if declaration.perishable else Lane.STANDARD
        free = slot.free_green if lane == Lane.GREEN else slot.free_standard
        if slot.capacity <= 0 or free <= 0:
            continue
        column = "booked_green" if lane == Lane.GREEN else "booked_standard"
        setattr(slot, column, getattr(slot, column) + 1)
        slot.save(update_fields=[column])
        if actor is None:
            from accounts.models import User

            actor = User.objects.get(username="declarant")
        Booking.objects.create(
            declaration=declaration,
            enterprise_id=declaration.enterprise_id,
            vehicle_id=declaration.vehicle_id,
            slot=slot,
            lane=lane,
            created_at=declaration.created_at,
            created_by=actor,
        )
        booked_vehicles.add(declaration.vehicle_id)
        made += 1
    return made


def _reads_to_correct(now: datetime, gate: Gate, rng: random.Random) -> int:
    """A few camera reads no expected truck matches: the yard console's correction list."""
    device = Device.objects.get(code="cam-huunghi-in")
    reads = [
        [{"plate": "29C-1?3.45", "confidence": 0.41}],
        [{"plate": "98H-55", "confidence": 0.35}],
        [{"plate": "桂A·8O8?1", "confidence": 0.52}, {"plate": "桂A·BOB21", "confidence": 0.48}],
        [{"plate": "20C-OO7.1S", "confidence": 0.6}],
    ]
    made = 0
    for i, read in enumerate(reads):
        _event, created = PlateEvent.objects.get_or_create(
            device=device,
            event_id=f"demo-unmatched-{i}",
            defaults={
                "gate": gate,
                "kind": EventKind.GATE_IN,
                "at": now - timedelta(minutes=rng.randint(5, 240)),
                "reads": read,
                "status": EventStatus.UNMATCHED,
                "note": "no expected truck has this plate",
                "received_at": now,
            },
        )
        made += created
    return made
