"""Admission control from the backlog forecast, call-forward by the engine, the gate board."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from cuakhau.errors import Conflict, InvalidInput, NotAllowed
from cuakhau.testing import FRUIT_CODES, World, declare, pass_checks, walk_to
from engine.policies import priority
from flow import planning, services, yards
from flow.choices import AdmissionStatus
from flow.models import AdmissionDecision
from flow.tests.conftest import set_capacity
from gates.models import CapacityPlan, Gate, Yard
from notifications.models import Delivery, Notification
from shipments.choices import TruckState
from shipments.services import HistoricTrip, LineInput, import_history

pytestmark = pytest.mark.django_db


Steps = Callable[[date, datetime], list[tuple[str, datetime, str]]]


def _arrived(day: date, arrival: datetime) -> list[tuple[str, datetime, str]]:
    return [
        ("admit", arrival - timedelta(hours=2), "system:test"),
        ("arrive", arrival, "system:test"),
    ]


def _trips(
    world: World,
    *,
    days: int,
    per_day: int,
    first_hour: int,
    hours: int,
    steps: Steps,
    today: date | None = None,
    prefix: str = "H",
) -> None:
    """``per_day`` dragon-fruit exits a day through Hữu Nghị over the ``days`` days before
    ``today``, arriving one an hour from ``first_hour`` over ``hours`` hours, then ``steps``."""
    tz = timezone.get_current_timezone()
    today = today or timezone.localdate()
    trips = []
    for d in range(days, 0, -1):
        day = today - timedelta(days=d)
        for i in range(per_day):
            arrival = datetime.combine(day, time(first_hour + i % hours), tz)
            trips.append(
                HistoricTrip(
                    reference=f"{prefix}{d:03d}{i:04d}",
                    enterprise=world.owner_enterprise,
                    direction="export",
                    flow="exit",
                    gate=world.gates["huu-nghi"],
                    route=None,
                    vehicle=world.owner_vehicle,
                    driver=world.owner_driver,
                    origin_province=86,
                    planned_arrival=arrival,
                    customs_declaration_number="",
                    created_at=arrival - timedelta(hours=12),
                    lines=[
                        LineInput(
                            commodity="dragon-fruit",
                            weight_kg=Decimal(15000),
                            value_usd=Decimal(13000),
                        )
                    ],
                    steps=steps(day, arrival),
                )
            )
    import_history(trips=trips, actor_label="system:test")


def _own_yard(gate: Gate) -> yards.YardCount:
    found = yards.yard_count(Yard.objects.get(gate=gate, route__isnull=True, kind="yard"))
    assert found is not None
    return found


def _history(world: World, per_day: int, days: int) -> None:
    """``per_day`` trucks a day declared for Hữu Nghị exits over the last ``days`` days, all
    still in the yard."""
    _trips(world, days=days, per_day=per_day, first_hour=8, hours=10, steps=_arrived)


def test_overflow_forecast_holds_days_advises_and_the_board_can_override(world: World) -> None:
    gate = world.gates["huu-nghi"]
    # A month of 10 trucks a day, all still in the yard (the import left them "arrived"), and
    # the gate closed to exits since yesterday: the 305-place yard overflows at once.
    _history(world, per_day=10, days=30)
    cut = timezone.localtime(timezone.now()).replace(hour=0, minute=0) - timedelta(days=1)
    CapacityPlan.objects.create(
        gate=gate,
        flow="exit",
        trucks_per_hour=0,
        effective_from=cut,
        note="cut",
    )
    for route in gate.routes.all():
        CapacityPlan.objects.create(
            gate=gate,
            route=route,
            flow="exit",
            trucks_per_hour=0,
            effective_from=cut,
            note="cut",
        )
    Yard.objects.filter(gate=gate).update(vehicle_capacity=None)
    Yard.objects.filter(code="huu-nghi-yard").update(vehicle_capacity=305)
    tomorrow = timezone.localdate() + timedelta(days=1)
    # A truck of the gate's own road: it waits in the gate's own yard, the one held.
    planned = declare(
        world,
        route="",
        planned_arrival=datetime.combine(tomorrow, time(9), timezone.get_current_timezone()),
    )
    decisions = services.plan_admission(gate=gate, flow="exit")
    assert len(decisions) == 7
    held = [d for d in decisions if d.status == AdmissionStatus.HELD]
    assert held, [(d.day, d.probability_full, d.expected_queue) for d in decisions]
    assert all(d.probability_full >= 0.5 for d in held)
    tomorrow_decision = AdmissionDecision.objects.get(gate=gate, flow="exit", day=tomorrow)
    assert tomorrow_decision.status == AdmissionStatus.HELD
    # Booking a held day is refused, naming the day and when to come.
    CapacityPlan.objects.create(
        gate=gate,
        route=planned.route,
        flow="exit",
        trucks_per_hour=5,
        effective_from=timezone.now(),
        note="some hours for the test",
    )
    hour = datetime.combine(tomorrow, time(9), timezone.get_current_timezone())
    with pytest.raises(Conflict) as refused:
        services.do_book(actor=world.owner, reference=planned.reference, starts_at=hour)
    assert refused.value.code == "held_at_origin"
    assert "starts_at" in refused.value.fields
    # The declarant of the truck planned for that day was told to wait at origin, once.
    advice = Notification.objects.filter(
        recipient=world.owner, kind="flow.hold", declaration=planned
    )
    assert advice.count() == 1
    services.plan_admission(gate=gate, flow="exit")
    assert advice.count() == 1
    # The board overrides with a written reason; the forecast no longer decides that day.
    with pytest.raises(NotAllowed):
        services.do_override_admission(
            actor=world.yard_hn, decision_id=tomorrow_decision.pk, status="open", reason="x"
        )
    with pytest.raises(InvalidInput):
        services.do_override_admission(
            actor=world.board, decision_id=tomorrow_decision.pk, status="open", reason=""
        )
    services.do_override_admission(
        actor=world.board,
        decision_id=tomorrow_decision.pk,
        status="open",
        reason="Pò Chài agreed to extra hours tomorrow",
    )
    services.plan_admission(gate=gate, flow="exit")
    tomorrow_decision.refresh_from_db()
    assert tomorrow_decision.status == AdmissionStatus.OPEN
    assert AuditEvent.objects.filter(action="admission.overridden").count() == 1
    services.do_book(actor=world.owner, reference=planned.reference, starts_at=hour)


def test_no_decision_without_enough_history(world: World) -> None:
    _history(world, per_day=3, days=10)
    assert services.plan_admission(gate=world.gates["huu-nghi"], flow="exit") == []


def test_call_forward_follows_the_engines_priority_policy(world: World) -> None:
    steel = walk_to(
        declare(
            world,
            vehicle_plate="29C-100.01",
            lines=[
                LineInput(
                    commodity="hot-rolled-steel",
                    hs_heading="7208",
                    weight_kg="20000",
                    value_usd="12000",
                )
            ],
        ),
        world,
        TruckState.ARRIVED,
    )
    lychee = walk_to(
        declare(
            world,
            vehicle_plate="29C-100.02",
            lines=[
                LineInput(
                    commodity="lychee",
                    hs_heading="0810",
                    weight_kg="15000",
                    value_usd="22000",
                    **FRUIT_CODES,
                )
            ],
        ),
        world,
        TruckState.ARRIVED,
    )
    dragon = walk_to(declare(world, vehicle_plate="29C-100.03"), world, TruckState.ARRIVED)
    for d in (steel, dragon, lychee):  # cleared in this order: steel first
        pass_checks(d, world)
    order = planning.call_order(world.gates["huu-nghi"])
    # Perishables first by deadline (lychee keeps 72 h, dragon fruit 240 h), then the steel.
    assert order == [lychee.pk, dragon.pk, steel.pk]
    # The same order the engine's own policy gives on the same trucks.
    trucks = planning._waiting(
        list(type(steel).objects.filter(pk__in=order).order_by("state_changed_at", "pk"))
    )
    scenario = planning.parse_scenario(
        planning._scenario(trucks, timezone.now(), [1] * 4, probe=False)
    )
    crossed = priority(scenario).cross_hour.tolist()
    assert sorted(range(3), key=lambda i: crossed[i]) == [
        [t.declaration_id for t in trucks].index(pk) for pk in order
    ]
    world.owner_driver.preferred_language = "zh-hans"
    world.owner_driver.save()
    called = services.do_call_next(actor=world.yard_hn, gate_code="huu-nghi", count=2)
    assert [d.pk for d in called] == [lychee.pk, dragon.pk]
    sms = Delivery.objects.filter(kind="flow.called").order_by("pk")
    assert sms.count() == 2
    assert all(d.address == world.owner_driver.phone and d.language == "zh-hans" for d in sms)
    assert "边境" in sms[0].body or "口岸" in sms[0].body
    with pytest.raises(NotAllowed):
        services.do_call_next(actor=world.customs_hn, gate_code="huu-nghi", count=1)
    with pytest.raises(InvalidInput):
        services.do_call_next(actor=world.yard_hn, gate_code="huu-nghi", count=0)


def test_capacity_is_published_with_history_and_reason(world: World) -> None:
    start = timezone.now() + timedelta(hours=2)
    with pytest.raises(NotAllowed):
        services.do_publish_capacity(
            actor=world.yard_hn,
            gate_code="huu-nghi",
            route_code="",
            flow="exit",
            trucks_per_hour=10,
            effective_from=start,
            reason="x",
        )
    with pytest.raises(InvalidInput) as bad:
        services.do_publish_capacity(
            actor=world.board,
            gate_code="nowhere",
            route_code="",
            flow="up",
            trucks_per_hour=-3,
            effective_from=timezone.now() - timedelta(days=1),
            reason="",
        )
    assert {"gate", "flow", "trucks_per_hour", "effective_from", "reason"} <= set(bad.value.fields)
    before = CapacityPlan.objects.filter(gate__code="huu-nghi", flow="exit").count()
    services.do_publish_capacity(
        actor=world.board,
        gate_code="huu-nghi",
        route_code="tan-thanh",
        flow="exit",
        trucks_per_hour=4,
        effective_from=start,
        reason="Pò Chài works half days for Spring Festival",
    )
    assert CapacityPlan.objects.filter(gate__code="huu-nghi", flow="exit").count() == before + 1
    event = AuditEvent.objects.get(action="capacity.published")
    assert event.after["trucks_per_hour"] == 4 and "Spring Festival" in event.after["reason"]


def test_the_public_board_page_and_json(world: World) -> None:
    walk_to(declare(world), world, TruckState.ARRIVED)
    web = Client()
    page = web.get("/flow/board/")
    assert page.status_code == 200
    assert 'hx-trigger="every 30s"' in page.content.decode()
    data = web.get("/api/v1/board/huu-nghi/").json()["gates"][0]
    assert data["code"] == "huu-nghi"
    exit_lane = next(lane for lane in data["lanes"] if lane["flow"] == "exit")
    assert exit_lane["in_yard"] == 1
    assert exit_lane["capacity_today"] >= 0
    assert web.get("/api/v1/board/nowhere/").status_code == 404
    assert web.get("/flow/board/nowhere/").status_code == 404


def test_expected_wait_grows_with_the_queue(world: World) -> None:
    gate = world.gates["huu-nghi"]
    # A slow day: 2 trucks an hour on every road, so 40 trucks are a queue.
    set_capacity(gate, "exit", 2)
    for route in gate.routes.all():
        set_capacity(gate, "exit", 2, route=route)
    now = timezone.localtime(timezone.now()).replace(hour=9, minute=0) + timedelta(days=2)
    empty = planning.expected_wait_hours(gate, "exit", now)
    for i in range(40):
        walk_to(declare(world, vehicle_plate=f"29C-2{i:02d}.99"), world, TruckState.ARRIVED)
    busy = planning.expected_wait_hours(gate, "exit", now)
    assert empty is not None and busy is not None
    assert busy > empty


def _yard_days(world: World, days: int, now: datetime) -> None:
    """Ten exits a day over the last ``days`` days, each in the yard from 08:00–12:00 until it
    crosses at 17:00: the yard fills to ten every afternoon and is empty at night."""
    tz = timezone.get_current_timezone()

    def crossed(day: date, arrival: datetime) -> list[tuple[str, datetime, str]]:
        return [
            *_arrived(day, arrival),
            ("clear", arrival + timedelta(hours=2), "system:test"),
            ("call", datetime.combine(day, time(16, 30), tz), "system:test"),
            ("cross", datetime.combine(day, time(17), tz), "system:test"),
        ]

    _trips(
        world,
        days=days,
        per_day=10,
        first_hour=8,
        hours=5,
        steps=crossed,
        today=timezone.localtime(now).date(),
        prefix="Y",
    )


def test_yard_occupancy_is_counted_back_from_the_trucks_history(world: World) -> None:
    tz = timezone.get_current_timezone()
    now = datetime.combine(timezone.localdate(), time(6, 30), tz)
    _yard_days(world, days=3, now=now)
    gate = world.gates["huu-nghi"]
    yard = _own_yard(gate)
    counts = planning.yard_occupancy(yard, now - timedelta(days=2), now, flow="exit")
    by_hour = dict(zip(counts["ds"].dt.strftime("%d %H"), counts["y"], strict=True))
    yesterday = timezone.localtime(now - timedelta(days=1)).strftime("%d")
    # Two arrive at each of 08:00 … 12:00 and all ten cross at 17:00.
    assert by_hour[f"{yesterday} 07"] == 0
    assert by_hour[f"{yesterday} 08"] == 2
    assert by_hour[f"{yesterday} 10"] == 6
    assert by_hour[f"{yesterday} 16"] == 10
    assert by_hour[f"{yesterday} 17"] == 0
    assert counts["y"].max() == 10
    # Hours of the other flow and the other gates do not count.
    assert planning.yard_occupancy(yard, now - timedelta(days=2), now, "entry")["y"].max() == 0
    # The yard's own count is both directions: here, the exits.
    both = planning.yard_occupancy(yard, now - timedelta(days=2), now)
    assert both["y"].tolist() == counts["y"].tolist()


def test_admission_reads_the_hourly_yard_forecast_for_today(world: World) -> None:
    """The daily backlog sees ten trucks a day against a yard of eight and plenty of capacity:
    the yard empties each evening, so it never holds. The yard's own count says it is full
    every afternoon; the hourly queue forecaster sees that for today, and today is held."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    now = datetime.combine(today, time(6, 30), tz)
    _yard_days(world, days=28, now=now)
    gate = world.gates["huu-nghi"]
    Yard.objects.filter(gate=gate).update(vehicle_capacity=None)
    Yard.objects.filter(code="huu-nghi-yard").update(vehicle_capacity=8)
    view = planning.outlook(_own_yard(gate), today, now=now)
    assert view is not None and view.hourly is not None
    afternoon = view.hourly[view.hourly["ds"].dt.hour.between(13, 16)]
    assert afternoon["mean"].min() >= 8, afternoon
    assert float(view.backlog.prob_full[0]) < 0.5
    assert view.day(0).prob_full >= 0.5
    assert view.day(0).p50 >= 8
    # Beyond the next 24 hours the daily forecast decides alone.
    last = len(view.days) - 1
    assert view.day(last).prob_full == float(view.backlog.prob_full[last])
    # Without four days of the yard's count there is no hourly forecast.
    assert planning.yard_forecast(_own_yard(gate), now - timedelta(days=26)) is None
