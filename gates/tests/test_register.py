from datetime import date, datetime, time

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from gates.choices import Flow
from gates.models import CapacityPlan, ForeignGate, Gate, HoursException, Route, WorkingHours, Yard
from gates.reference import load_gates, reference_data
from gates.services import capacity_at, holidays_between, hours_on

pytestmark = pytest.mark.django_db


def test_reference_load_is_idempotent_and_sourced() -> None:
    load_gates()
    counts = {
        m: m.objects.count() for m in (ForeignGate, Gate, Route, Yard, WorkingHours, CapacityPlan)
    }
    second = load_gates()
    assert {m: m.objects.count() for m in counts} == counts
    assert not [k for k in second if k.endswith(".created")]
    for model in counts:
        assert not model.objects.filter(source="").exists(), model
    huu_nghi = Gate.objects.get(code="huu-nghi")
    assert {r.code for r in huu_nghi.routes.all()} == {"tan-thanh", "coc-nam"}
    assert Route.objects.get(code="tan-thanh").border_markers == "1088/2–1089"
    assert Route.objects.get(code="coc-nam").border_markers == "1104–1105"
    assert huu_nghi.foreign_gate.name_zh == "友谊关"
    assert Yard.objects.get(code="huu-nghi-yard").vehicle_capacity == 600
    # Unknown figures stay empty rather than invented.
    assert Yard.objects.get(code="chi-ma-yard").vehicle_capacity is None
    assert not WorkingHours.objects.filter(gate__code="chi-ma").exists()
    assert Gate.objects.get(code="dong-dang-rail").mode == "rail"


def test_reference_data_matches_the_facts() -> None:
    observed = reference_data()["observed_daily_trucks"]
    assert observed["huu-nghi"] == {"exit": 262, "entry": 608}
    assert observed["huu-nghi/tan-thanh"] == {"exit": 145, "entry": 438}
    assert observed["chi-ma"] == {"exit": 41, "entry": 189}


def test_weekly_hours_and_history() -> None:
    load_gates()
    gate = Gate.objects.get(code="huu-nghi")
    wednesday = date(2026, 11, 25)
    assert [(h.opens, h.closes) for h in hours_on(gate, wednesday, holidays_today=[])] == [
        (time(7), time(23)),
        (time(7), time(23)),
    ]
    # Before the 2023 extension: 07:00-18:00 on weekdays, closed on Sundays.
    assert hours_on(gate, date(2020, 3, 4), holidays_today=[])[0].closes == time(18)
    assert not hours_on(gate, date(2020, 3, 8), holidays_today=[])[0].is_open


def test_exception_beats_weekly_hours_and_holidays() -> None:
    load_gates()
    gate = Gate.objects.get(code="huu-nghi")
    day = date(2026, 11, 25)
    HoursException.objects.create(
        gate=gate,
        flow=Flow.EXIT,
        date=day,
        closed=True,
        reason="Chinese side closed the lane",
        source="test",
    )
    exit_hours, entry_hours = hours_on(gate, day, holidays_today=[])
    assert not exit_hours.is_open and exit_hours.reason == "Chinese side closed the lane"
    assert entry_hours.is_open


def test_holidays_of_both_countries_close_gates_that_close_on_holidays() -> None:
    load_gates()
    national_day = date(2027, 10, 1)  # China's National Day, not a Vietnamese holiday
    found = holidays_between(national_day, national_day, "en")
    assert {h.country for h in found} == {"CN"}
    na_nua = Gate.objects.get(code="na-nua")
    WorkingHours.objects.create(
        gate=na_nua,
        flow=Flow.EXIT,
        weekday=national_day.weekday(),
        opens=time(7),
        closes=time(17),
        valid_from=date(2020, 1, 1),
        source="test",
    )
    with translation.override("en"):
        closed = hours_on(na_nua, national_day)[0]
    assert not closed.is_open and "National Day" in closed.reason
    # Hữu Nghị agreed in 2025 to work through holidays.
    assert hours_on(Gate.objects.get(code="huu-nghi"), national_day)[0].is_open


def test_tet_is_a_holiday_on_both_sides() -> None:
    countries = {h.country for h in holidays_between(date(2027, 2, 6), date(2027, 2, 6), "vi")}
    assert countries == {"VN", "CN"}


def test_capacity_plan_in_force() -> None:
    load_gates()
    gate = Gate.objects.get(code="huu-nghi")
    route = Route.objects.get(code="tan-thanh")
    when = datetime(2026, 1, 1, 8, tzinfo=timezone.get_current_timezone())
    assert capacity_at(gate, Flow.EXIT, when).trucks_per_hour == 16  # type: ignore[union-attr]
    assert capacity_at(gate, Flow.EXIT, when, route=route).trucks_per_hour == 9  # type: ignore[union-attr]
    CapacityPlan.objects.create(
        gate=gate,
        flow=Flow.EXIT,
        trucks_per_hour=4,
        effective_from=datetime(2025, 12, 31, tzinfo=timezone.get_current_timezone()),
        source="agreement with Youyiguan",
        note="cut",
    )
    assert capacity_at(gate, Flow.EXIT, when).trucks_per_hour == 4  # type: ignore[union-attr]
    assert (
        capacity_at(gate, Flow.EXIT, datetime(2024, 1, 1, tzinfo=timezone.get_current_timezone()))
        is None
    )


def test_public_gate_list_page_and_api(client) -> None:  # type: ignore[no-untyped-def]
    load_gates()
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Huu Nghi" in html and "07:00–23:00" in html and "Tan Thanh" in html
    api = APIClient().get("/api/v1/gates/").json()
    huu_nghi = next(g for g in api if g["code"] == "huu-nghi")
    assert {h["flow"] for h in huu_nghi["hours_today"]} == {"exit", "entry"}
    assert APIClient().post("/api/v1/gates/", {}).status_code in (401, 405)


def test_gate_list_costs_few_queries(client, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    load_gates()
    with django_assert_max_num_queries(8):
        assert client.get("/").status_code == 200


def test_holiday_api_validates_its_input() -> None:
    ok = APIClient().get("/api/v1/holidays/", {"from": "2027-02-01", "to": "2027-02-28"})
    assert ok.status_code == 200 and any(h["country"] == "CN" for h in ok.json())
    bad = APIClient().get("/api/v1/holidays/", {"from": "2027-02-30"})
    assert bad.status_code == 400 and "from" in bad.json()["error"]["fields"]
    backwards = APIClient().get("/api/v1/holidays/", {"from": "2027-02-10", "to": "2027-02-01"})
    assert backwards.status_code == 400 and "to" in backwards.json()["error"]["fields"]
