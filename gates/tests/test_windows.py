"""Hours as windows (issue 23): several windows a day, for a gate or one road, in each side's
own time zone; notices per road with windows; Chi Ma bookable inside its windows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone, translation

from audit.models import AuditEvent
from conftest import client_for
from cuakhau.errors import InvalidInput
from cuakhau.testing import World, declare
from flow import board
from flow import services as flow
from flow.capacity import hourly_capacity, open_spans
from gates import services
from gates.models import HoursException, WorkingHours
from shipments import services as shipments

pytestmark = pytest.mark.django_db

STEEL = [
    shipments.LineInput(
        commodity="hot-rolled-steel", hs_heading="7208", weight_kg="25000", value_usd="15000"
    )
]
TWO_WINDOWS = [["07:30", "11:00"], ["13:30", "17:00"]]


def _next(weekday: int) -> date:
    """The next ``weekday`` at least two days from today (so slots are bookable)."""
    day = timezone.localdate() + timedelta(days=2)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def test_chi_ma_is_open_in_its_two_windows_and_clears_its_share_of_each_hour(
    world: World,
) -> None:
    chi_ma = world.gates["chi-ma"]
    day = _next(2)
    exit_hours = services.hours_on(chi_ma, day, holidays_today=[])[0]
    assert exit_hours.windows == ((time(7, 30), time(11)), (time(13, 30), time(17)))
    assert exit_hours.windows_text == "07:30–11:00, 13:30–17:00"
    start = datetime.combine(day, time(0), timezone.get_current_timezone())
    per_hour = hourly_capacity(chi_ma, "entry", start, 24)
    # 31 an hour at the plan: half of it from 07:30 and from 13:30, none over lunch.
    assert per_hour[6:18] == [0, 15, 31, 31, 31, 0, 0, 15, 31, 31, 31, 0]
    spans = open_spans(chi_ma, "entry", start, 24)
    assert spans[7] is not None and timezone.localtime(spans[7][0]).time() == time(7, 30)
    assert spans[11] is None and spans[12] is None


def test_a_chi_ma_export_is_offered_slots_only_inside_the_windows_and_books_one(
    world: World,
) -> None:
    trip = declare(
        world,
        gate="chi-ma",
        route="",
        vehicle_plate="29C-555.55",
        lines=STEEL,
        planned_arrival=timezone.now() + timedelta(days=2),
    )
    offers = flow.offers(declaration=trip)
    assert offers
    for offer in offers:
        assert offer.opens_at is not None and offer.closes_at is not None
        opens, closes = (timezone.localtime(t).time() for t in (offer.opens_at, offer.closes_at))
        assert time(7, 30) <= opens and (closes <= time(11) or time(13, 30) <= opens), offer
        assert closes <= time(17) or closes == time(0), offer
    hour = next(o.starts_at for o in offers if o.free > 0 and not o.held)
    booked = flow.do_book(actor=world.owner, reference=trip.reference, starts_at=hour)
    assert booked.slot.starts_at == hour
    # An hour outside the windows cannot be booked.
    lunch = timezone.localtime(hour).replace(hour=12)
    if lunch <= timezone.now():
        lunch += timedelta(days=1)
    with pytest.raises(Exception) as closed:
        flow.do_book(actor=world.owner, reference=trip.reference, starts_at=lunch)
    assert getattr(closed.value, "status", 400) in (400, 409)


def test_the_board_publishes_two_windows_a_day_for_a_road_through_the_api(world: World) -> None:
    monday = _next(0)
    week = [TWO_WINDOWS] * 5 + [[], []]
    body = {
        "flow": "exit",
        "valid_from": monday.isoformat(),
        "route": "tan-thanh",
        "windows": week,
        "source": "test: the board's notice",
    }
    for who in (world.owner, world.customs_hn, None):
        refused = client_for(who).post("/api/v1/gates/huu-nghi/hours/", body, format="json")
        assert refused.status_code in (401, 403), who
    done = client_for(world.board).post("/api/v1/gates/huu-nghi/hours/", body, format="json")
    assert done.status_code == 200, done.json()
    exit_hours = next(h for h in done.json() if h["flow"] == "exit")
    assert exit_hours["windows"] == TWO_WINDOWS
    gate = world.gates["huu-nghi"]
    tan_thanh = gate.routes.get(code="tan-thanh")
    assert services.hours_on(gate, monday, route=tan_thanh, holidays_today=[])[0].windows == (
        (time(7, 30), time(11)),
        (time(13, 30), time(17)),
    )
    # The road's own hours replace the gate's on that road only; its weekend is closed.
    assert services.hours_on(gate, monday, holidays_today=[])[0].windows == ((time(7), time(18)),)
    assert not services.hours_on(
        gate, monday + timedelta(days=5), route=tan_thanh, holidays_today=[]
    )[0].is_open
    assert WorkingHours.objects.filter(route=tan_thanh, valid_from=monday).count() == 10
    event = AuditEvent.objects.filter(action="gates.hours_published").latest("seq")
    assert event.after["route"] == "tan-thanh" and len(event.after["week"]) == 10
    got = client_for(None).get(
        "/api/v1/gates/huu-nghi/hours/", {"day": monday.isoformat(), "route": "tan-thanh"}
    )
    assert got.status_code == 200 and got.json()[0]["windows"] == TWO_WINDOWS
    # Overlapping windows, an unknown road and a bad time are refused by field, nothing saved.
    bad = dict(body, windows=[[["07:00", "12:00"], ["11:00", "17:00"]]] + [[]] * 6)
    refused = client_for(world.board).post("/api/v1/gates/huu-nghi/hours/", bad, format="json")
    assert refused.status_code == 400 and "opens-0" in refused.json()["error"]["fields"]
    nowhere = dict(body, route="nowhere")
    refused = client_for(world.board).post("/api/v1/gates/huu-nghi/hours/", nowhere, format="json")
    assert refused.status_code == 400 and "route" in refused.json()["error"]["fields"]
    assert WorkingHours.objects.filter(route=tan_thanh, valid_from=monday).count() == 10


def test_a_road_only_two_window_suspension(world: World) -> None:
    """Hữu Nghị on 16 Apr 2025: closed 07:00–09:00 and 12:30–14:00, trucks sent to the Viettel
    park; entered for one road, it leaves the others as they were."""
    day = _next(3)
    body = {
        "day": day.isoformat(),
        "route": "huu-nghi-freight",
        "windows": [["09:00", "12:30"], ["14:00", "18:00"]],
        "reason": "Phía Trung Quốc tạm dừng thông quan 07:00–09:00 và 12:30–14:00",
        "wait_at": "Khu logistics Viettel Lạng Sơn",
    }
    assert (
        client_for(world.owner)
        .post("/api/v1/gates/huu-nghi/notices/", body, format="json")
        .status_code
        == 403
    )
    done = client_for(world.board).post("/api/v1/gates/huu-nghi/notices/", body, format="json")
    assert done.status_code == 201, done.json()
    assert len(done.json()) == 2 and {r["route"] for r in done.json()} == {"huu-nghi-freight"}
    gate = world.gates["huu-nghi"]
    freight = gate.routes.get(code="huu-nghi-freight")
    hours = services.hours_on(gate, day, route=freight, holidays_today=[])[0]
    assert hours.windows == ((time(9), time(12, 30)), (time(14), time(18)))
    assert "Viettel" in hours.wait_at
    assert services.hours_on(gate, day, holidays_today=[])[0].windows == ((time(7), time(18)),)
    start = datetime.combine(day, time(0), timezone.get_current_timezone())
    capacity = hourly_capacity(gate, "exit", start, 24, route=freight)
    plan = hourly_capacity(gate, "exit", start, 24)
    assert capacity[7] == capacity[8] == 0 and capacity[12] == plan[12] // 2
    # The public board lists it with both windows and the road.
    with translation.override("vi"):
        lines = board.cards("huu-nghi", fresh=True)[0].notices
    line = next(x for x in lines if "09:00–12:30, 14:00–18:00" in x)
    assert freight.name in line and "Viettel" in line
    # A closing before it opens, or a deadline on a notice that is not pre-registered, is
    # refused by field.
    with pytest.raises(InvalidInput) as refused:
        services.do_add_exception(
            actor=world.board,
            gate_code="huu-nghi",
            data=services.ExceptionInput(
                day=day, windows=[("12:00", "09:00")], reason="x", registered_by=day
            ),
        )
    assert {"opens", "registered_by"} <= set(refused.value.fields)
    assert HoursException.objects.filter(gate=gate, date=day).count() == 2


def test_a_pre_registered_notice_defaults_its_deadline_to_the_day_before(world: World) -> None:
    first = timezone.localdate() + timedelta(days=7)
    rows = services.do_add_exception(
        actor=world.board,
        gate_code="chi-ma",
        data=services.ExceptionInput(
            day=first.strftime("%d/%m/%Y"),
            last_day=(first + timedelta(days=2)).strftime("%d/%m/%Y"),
            pre_registered_only=True,
            reason="Tết",
        ),
    )
    assert len(rows) == 3
    deadline = timezone.localtime(rows[0].registration_deadline)
    assert (deadline.date(), deadline.time()) == (first, time(0))
    hours = services.hours_on(world.gates["chi-ma"], first, holidays_today=[])[0]
    # In the usual windows, for the pre-registered.
    assert hours.windows == ((time(7, 30), time(11)), (time(13, 30), time(17)))
    assert hours.registered_by == rows[0].registration_deadline
    with pytest.raises(InvalidInput) as late:
        services.do_add_exception(
            actor=world.board,
            gate_code="chi-ma",
            data=services.ExceptionInput(
                day=first, pre_registered_only=True, reason="Tết", registered_by=first
            ),
        )
    assert "registered_by" in late.value.fields


def test_a_short_break_inside_an_hour_clears_only_the_open_minutes(world: World) -> None:
    day = _next(4)
    services.do_add_exception(
        actor=world.board,
        gate_code="huu-nghi",
        data=services.ExceptionInput(
            day=day, windows=[("07:00", "11:15"), ("11:45", "17:00")], reason="giờ nghỉ ngắn"
        ),
    )
    start = datetime.combine(day, time(0), timezone.get_current_timezone())
    per_hour = hourly_capacity(world.gates["huu-nghi"], "exit", start, 24)
    # 27 an hour (Hữu Nghị Quan is open 07:00–18:00 our time): the 11:00 hour is open 30
    # minutes of 60.
    assert per_hour[10:13] == [27, 13, 27]
    span = open_spans(world.gates["huu-nghi"], "exit", start, 24)[11]
    assert span is not None
    assert [timezone.localtime(t).time() for t in span] == [time(11), time(12)]
