from datetime import date, datetime, time

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from gates.choices import Flow
from gates.models import (
    CapacityPlan,
    ForeignGate,
    ForeignHours,
    Gate,
    HoursException,
    Route,
    WorkingHours,
    Yard,
)
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
    assert {r.code for r in huu_nghi.routes.all()} == {
        "tan-thanh",
        "coc-nam",
        "huu-nghi-freight",
        "tan-thanh-2",
    }
    assert Route.objects.get(code="huu-nghi-freight").border_markers == "1119–1120"
    assert Route.objects.get(code="tan-thanh-2").border_markers == "1090–1091"
    assert set(Yard.objects.filter(kind="holding_area").values_list("code", flat=True)) == {
        "tan-my-non-tariff-zone",
        "viettel-logistics-park",
    }
    # Yard capacities from a dated public source (VNS, 9 Jun 2023); the 600 had none.
    hn_yard = Yard.objects.get(code="huu-nghi-yard")
    assert (hn_yard.vehicle_capacity, hn_yard.capacity_as_of) == (450, date(2023, 6, 9))
    assert "Việt Nam News" in hn_yard.source
    assert Yard.objects.get(code="tan-my-non-tariff-zone").vehicle_capacity == 800
    assert all(
        y.capacity_as_of is not None for y in Yard.objects.filter(vehicle_capacity__isnull=False)
    )
    assert Route.objects.get(code="tan-thanh").border_markers == "1088/2–1089"
    assert Route.objects.get(code="coc-nam").border_markers == "1104–1105"
    assert huu_nghi.foreign_gate.name_zh == "友谊关"
    # Unknown figures stay empty rather than invented.
    assert Yard.objects.get(code="chi-ma-yard").vehicle_capacity is None
    # Chi Ma, the main gate, has its published hours: two windows a day from 1 Dec 2023.
    chi_ma = Gate.objects.get(code="chi-ma")
    assert [(h.windows) for h in hours_on(chi_ma, date(2026, 11, 25), holidays_today=[])] == [
        ((time(7, 30), time(11)), (time(13, 30), time(17))),
    ] * 2
    assert hours_on(chi_ma, date(2020, 5, 1), holidays_today=[])[0].windows == (
        (time(7), time(17)),
    )
    assert Gate.objects.get(code="binh-nghi").foreign_gate.name_zh == "平而关"
    assert Gate.objects.get(code="dong-dang-rail").mode == "rail"


def test_reference_data_matches_the_facts() -> None:
    observed = reference_data()["observed_daily_trucks"]
    assert observed["huu-nghi"] == {"exit": 262, "entry": 608}
    assert observed["huu-nghi/tan-thanh"] == {"exit": 145, "entry": 438}
    assert observed["chi-ma"] == {"exit": 41, "entry": 189}


def test_capacity_is_what_the_gates_demonstrated_not_the_mean_traffic() -> None:
    """The observed July 2025 means are traffic, not capacity: a border planned at its mean
    holds trucks every day above it. The plans are demonstrated peaks (Hữu Nghị ~1,000 a day
    in May 2024 against 870 observed), so an ordinary day fits with room to spare."""
    load_gates()
    data = reference_data()
    observed = data["observed_daily_trucks"]
    for plan in data["capacity_plans"]:
        key = plan["gate"] + (f"/{plan['route']}" if plan["route"] else "")
        # 07:00–18:00 at Hữu Nghị; Chi Ma's two windows make 7 hours.
        hours = 7 if plan["gate"] == "chi-ma" else 11
        per_day = plan["trucks_per_hour"] * hours
        mean = observed[key][plan["flow"]]
        assert 1.1 * mean <= per_day <= 2.2 * mean, (key, plan["flow"], per_day, mean)
        assert "observed" in plan["source"]


def test_weekly_hours_and_history() -> None:
    """The dated schedules of the facts: 07:00–16:30 before 1 Jul 2015, 07:00–18:00 after,
    the 2023 fruit season to 23:00 with weekends, every day since the April 2025 agreement."""
    load_gates()
    gate = Gate.objects.get(code="huu-nghi")
    wednesday = date(2026, 11, 25)
    assert [(h.opens, h.closes) for h in hours_on(gate, wednesday, holidays_today=[])] == [
        (time(7), time(18)),
        (time(7), time(18)),
    ]
    assert hours_on(gate, date(2026, 11, 29), holidays_today=[])[0].is_open  # a Sunday
    assert hours_on(gate, date(2015, 6, 30), holidays_today=[])[0].closes == time(16, 30)
    assert hours_on(gate, date(2015, 7, 1), holidays_today=[])[0].closes == time(18)
    assert not hours_on(gate, date(2020, 3, 8), holidays_today=[])[0].is_open  # Sunday, 2020
    # The 2023 season was a seasonal measure, not a standing schedule.
    assert hours_on(gate, date(2023, 7, 9), holidays_today=[])[0].closes == time(23)
    assert hours_on(gate, date(2023, 11, 8), holidays_today=[])[0].closes == time(18)


def test_a_crossing_needs_both_sides_open() -> None:
    """China publishes its hours in Beijing time (UTC+8): Hữu Nghị Quan 08:00–19:00 is
    07:00–18:00 in Lạng Sơn. Where their window is narrower, the crossing window is too."""
    load_gates()
    gate = Gate.objects.get(code="huu-nghi")
    day = date(2026, 11, 25)
    hours = hours_on(gate, day, holidays_today=[])
    assert (hours[0].opens, hours[0].closes) == (time(7), time(18))
    # Their side closing early that day narrows the window (a notice they publish).
    ForeignHours.objects.filter(foreign_gate__code="youyiguan").update(closes=time(17))
    assert hours_on(gate, day, holidays_today=[])[0].closes == time(16)
    # Pò Chài (Tân Thanh) takes goods until 20:00 Beijing time (19:00 here), but the
    # Vietnamese side closes at 18:00: the window is 07:00–18:00.
    tan_thanh = Route.objects.get(code="tan-thanh")
    on_route = hours_on(gate, day, route=tan_thanh, holidays_today=[])
    assert (on_route[0].opens, on_route[0].closes) == (time(7), time(18))
    ForeignHours.objects.filter(foreign_gate__code="puzhai").update(opens=time(21), closes=time(22))
    closed = hours_on(gate, day, route=tan_thanh, holidays_today=[])[0]
    assert not closed.is_open and "Pò Chài" in closed.reason


def test_the_shipped_tet_notices() -> None:
    load_gates()
    gate = Gate.objects.get(code="huu-nghi")
    # 2024: closed 10–13 Feb, pre-registered goods only 14–17 Feb, open again on the 18th.
    assert not hours_on(gate, date(2024, 2, 12), holidays_today=[])[0].is_open
    pre = hours_on(gate, date(2024, 2, 15), holidays_today=[])[0]
    assert pre.is_open and pre.registered_by is not None
    assert hours_on(gate, date(2024, 2, 18), holidays_today=[])[0].registered_by is None
    chi_ma = Gate.objects.get(code="chi-ma")
    assert (
        HoursException.objects.filter(
            gate=chi_ma, pre_registered_only=True, date__year=2024
        ).count()
        == 8
    )
    assert not hours_on(gate, date(2025, 1, 29), holidays_today=[])[0].is_open
    # 2023: every Lạng Sơn road gate stopped 21–27 Jan.
    for code in ("huu-nghi", "chi-ma", "na-nua", "binh-nghi", "na-hinh", "po-nhung"):
        stopped = Gate.objects.get(code=code)
        assert not hours_on(stopped, date(2023, 1, 24), holidays_today=[])[0].is_open, code
    # 2026 (notice of 7 Feb): Hữu Nghị's freight roads closed 15–18 Feb, pre-registered only
    # 19–23 Feb (registered by the end of the 18th); Chi Ma pre-registered only 15–23 Feb; Na
    # Hình closed 15–23 Feb.
    for road in [None, *gate.routes.all()]:
        assert not hours_on(gate, date(2026, 2, 16), route=road, holidays_today=[])[0].is_open
        tet = hours_on(gate, date(2026, 2, 20), route=road, holidays_today=[])[0]
        assert tet.is_open and tet.registered_by is not None
        assert timezone.localtime(tet.registered_by).date() == date(2026, 2, 19)
    assert hours_on(chi_ma, date(2026, 2, 15), holidays_today=[])[0].pre_registered
    assert not hours_on(chi_ma, date(2026, 2, 24), holidays_today=[])[0].pre_registered
    na_hinh = Gate.objects.get(code="na-hinh")
    assert HoursException.objects.filter(gate=na_hinh, date__year=2026, closed=True).count() == 9
    # An hour-level suspension (16 Apr 2025): two windows, and where trucks wait.
    suspended = hours_on(gate, date(2025, 4, 16), holidays_today=[])[0]
    assert suspended.windows == ((time(9), time(12, 30)), (time(14), time(18)))
    assert "Viettel" in suspended.wait_at


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
    assert capacity_at(gate, Flow.EXIT, when).trucks_per_hour == 27  # type: ignore[union-attr]
    assert capacity_at(gate, Flow.EXIT, when, route=route).trucks_per_hour == 27  # type: ignore[union-attr]
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
    assert "Huu Nghi" in html and "07:00–18:00" in html and "Tan Thanh" in html
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
