"""The December 2021 – February 2022 congestion at Lạng Sơn as a scenario.

Every number below is marked in docs/scenarios.md as *observed* (docs/sources.md) or
*assumed*. Daily clearance capacity comes from the observed clearance figures where they exist;
daily arrivals are derived so that the number of stranded trucks at the end of each dated day
follows the observed counts (arrivals = change in the observed stock + trucks cleared), and are
assumed between and after them. Through ``fifo`` the scenario must reproduce the observed counts
within ±15 % (engine/tests/test_reference.py).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

START = datetime(2021, 12, 1, tzinfo=timezone(timedelta(hours=7)))
DAYS = 90  # 1 December 2021 to 28 February 2022
GATES = ("huu-nghi", "tan-thanh", "chi-ma")
#: Shares of the stranded trucks by gate on 16 Dec 2021 (1,263 / 2,601 / 678): observed.
SHARE = {"huu-nghi": 1263 / 4542, "tan-thanh": 2601 / 4542, "chi-ma": 678 / 4542}
#: Yard capacities: Hữu Nghị 600 observed (2021); the others assumed.
YARD = {"huu-nghi": 600, "tan-thanh": 1200, "chi-ma": 400}
#: Goods hours in 2021: 07:00–18:00 (observed, since 2015).
OPEN, CLOSE = 7, 18
#: Transit between gates when a truck diverts (assumed from road distances).
TRANSIT = {
    ("huu-nghi", "tan-thanh"): 1.0,
    ("tan-thanh", "huu-nghi"): 1.0,
    ("huu-nghi", "chi-ma"): 3.0,
    ("chi-ma", "huu-nghi"): 3.0,
    ("tan-thanh", "chi-ma"): 3.5,
    ("chi-ma", "tan-thanh"): 3.5,
}
#: The 2021 fruit (observed) with shelf lives from the commodity catalogue (assumed there).
FRUIT = (
    ("jackfruit", 168, 600),
    ("mango", 240, 800),
    ("dragon-fruit", 240, 900),
    ("watermelon", 336, 250),
    ("banana", 336, 450),
)
PERISHABLE_SHARE = 0.8  # "perishables were ~80% of exports" (observed)
TONNES_PER_TRUCK = 20  # assumed
VND_PER_USD = 23_000  # 2021 exchange rate, rounded (assumed)
NON_PERISHABLE_VALUE_VND = 400_000_000  # assumed

#: Observed stranded trucks at the end of the day (docs/sources.md).
OBSERVED = {
    date(2021, 12, 15): 4300,
    date(2021, 12, 16): 4550,
    date(2021, 12, 18): 4800,
    date(2021, 12, 21): 4461,
    date(2021, 12, 25): 4204,
    date(2022, 1, 2): 2852,
    date(2022, 1, 12): 1548,
    date(2022, 2, 11): 1646,
}
OBSERVED_BY_GATE = {date(2021, 12, 16): {"huu-nghi": 1263, "tan-thanh": 2601, "chi-ma": 678}}
INITIAL_BACKLOG = 1000  # trucks already waiting on 1 Dec (assumed)


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    capacity_per_day: int
    arrivals_per_day: float | None  # None: derived from the observed stock
    perishable_share: float
    note: str


PERIODS = (
    Period(
        date(2021, 12, 1),
        date(2021, 12, 15),
        450,
        None,
        PERISHABLE_SHARE,
        "capacity assumed between ~825/day before the cut (observed) and 300–400/day on 21 Dec",
    ),
    Period(
        date(2021, 12, 16),
        date(2021, 12, 25),
        350,
        None,
        PERISHABLE_SHARE,
        "capacity 300–400/day (observed 21 Dec)",
    ),
    Period(
        date(2021, 12, 26),
        date(2022, 1, 2),
        300,
        None,
        PERISHABLE_SHARE,
        "capacity assumed; provinces asked to stop sending trucks (observed, late Dec)",
    ),
    Period(
        date(2022, 1, 3),
        date(2022, 1, 12),
        243,
        None,
        PERISHABLE_SHARE,
        "capacity derived: 680 arrivals on 5–10 Jan (observed) plus the observed decline",
    ),
    Period(
        date(2022, 1, 13),
        date(2022, 1, 16),
        85,
        196,
        PERISHABLE_SHARE,
        "80–100/day cleared (observed 12 Jan); arrivals derived to meet 11 Feb",
    ),
    Period(
        date(2022, 1, 17),
        date(2022, 1, 30),
        85,
        25,
        0.0,
        "no fresh-fruit trucks accepted from 17 Jan until Tết (observed); 25/day others assumed",
    ),
    Period(
        date(2022, 1, 31),
        date(2022, 2, 6),
        0,
        10,
        0.0,
        "Tết / Spring Festival: gates closed (assumed), few arrivals (assumed)",
    ),
    Period(
        date(2022, 2, 7),
        date(2022, 2, 15),
        80,
        170,
        PERISHABLE_SHARE,
        "70–90/day cleared, 160–180/day arriving (observed 11 Feb)",
    ),
    Period(
        date(2022, 2, 16),
        date(2022, 2, 25),
        80,
        30,
        0.0,
        "no fresh-fruit trucks accepted 16–25 Feb (observed); 30/day others assumed",
    ),
    Period(
        date(2022, 2, 26), date(2022, 2, 28), 80, 170, PERISHABLE_SHARE, "as on 11 Feb (assumed)"
    ),
)


def day_index(day: date) -> int:
    return (day - START.date()).days


def _period(day: date) -> Period:
    return next(p for p in PERIODS if p.first <= day <= p.last)


def _target_stock(day: date) -> float:
    """The observed end-of-day stock, linearly interpolated; before 15 Dec from the assumed
    initial backlog."""
    points = sorted(
        [
            (START.date() - timedelta(days=1), float(INITIAL_BACKLOG)),
            *((d, float(v)) for d, v in OBSERVED.items()),
        ]
    )
    for (d0, v0), (d1, v1) in itertools.pairwise(points):
        if d0 <= day <= d1:
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    raise ValueError(day)


def daily_plan() -> list[dict[str, Any]]:
    """Per day: capacity, arrivals (derived or assumed), perishable share."""
    plan = []
    stock = float(INITIAL_BACKLOG)
    for k in range(DAYS):
        day = START.date() + timedelta(days=k)
        period = _period(day)
        capacity = period.capacity_per_day
        if period.arrivals_per_day is None:
            arrivals = max(0.0, _target_stock(day) - stock + capacity)
        else:
            arrivals = period.arrivals_per_day
        stock = max(0.0, stock + arrivals - capacity)
        plan.append(
            {
                "day": day,
                "capacity": capacity,
                "arrivals": arrivals,
                "perishable_share": period.perishable_share,
                "note": period.note,
            }
        )
    return plan


def _hourly_capacity(per_day: int) -> list[tuple[int, int]]:
    """Spread a day's capacity over the open hours: (hour of day, trucks) pairs."""
    hours = CLOSE - OPEN
    base, extra = divmod(per_day, hours)
    return [(OPEN + k, base + (1 if k < extra else 0)) for k in range(hours)]


def build(seed: int = 2021) -> dict[str, Any]:
    rng = random.Random(seed)
    plan = daily_plan()
    gates = []
    for gate in GATES:
        segments: list[dict[str, int]] = []
        for k, row in enumerate(plan):
            hourly = dict(_hourly_capacity(round(row["capacity"] * SHARE[gate])))
            for hour in range(24):
                per_hour = hourly.get(hour, 0)
                if not segments or segments[-1]["per_hour"] != per_hour:
                    segments.append({"from_hour": k * 24 + hour, "per_hour": per_hour})
        gates.append({"id": gate, "yard_capacity": YARD[gate], "capacity": segments})
    trucks: list[dict[str, Any]] = []

    def add(gate: str, ready: float, perishable: bool) -> None:
        truck: dict[str, Any] = {
            "id": f"{gate}-{len(trucks):05d}",
            "ready_hour": round(ready, 3),
            "gate": gate,
            "alt_gates": [g for g in GATES if g != gate],
            "perishable": perishable,
        }
        if perishable:
            name, shelf, usd_per_tonne = rng.choice(FRUIT)
            truck.update(
                shelf_life_hours=shelf,
                goods=name,
                value_vnd=TONNES_PER_TRUCK * usd_per_tonne * VND_PER_USD,
            )
        else:
            truck.update(goods="other", value_vnd=NON_PERISHABLE_VALUE_VND)
        trucks.append(truck)

    for gate in GATES:
        for _ in range(round(INITIAL_BACKLOG * SHARE[gate])):
            add(gate, rng.uniform(0, 1), rng.random() < PERISHABLE_SHARE)
    carry = dict.fromkeys(GATES, 0.0)
    for k, row in enumerate(plan):
        for gate in GATES:
            expected = row["arrivals"] * SHARE[gate] + carry[gate]
            count = int(expected)
            carry[gate] = expected - count
            for _ in range(count):
                add(gate, k * 24 + rng.uniform(0, 24), rng.random() < row["perishable_share"])
    trucks.sort(key=lambda t: (t["ready_hour"], t["id"]))
    return {
        "name": "lang-son-2021-12",
        "description": "Lạng Sơn border congestion, 1 Dec 2021 – 28 Feb 2022 (docs/scenarios.md)",
        "start": START.isoformat(),
        "horizon_hours": DAYS * 24,
        "gates": gates,
        "diversions": [{"from": a, "to": b, "transit_hours": h} for (a, b), h in TRANSIT.items()],
        "trucks": trucks,
    }


def end_of_day_slot(day: date) -> int:
    """The last slot of a day: where the stranded count of that day is read."""
    return day_index(day) * 24 + 23
