"""The December 2021 – February 2022 congestion at Lạng Sơn as a scenario, from the sources.

Every number is marked in docs/scenarios.md as *observed* (with its source in docs/sources.md)
or *inferred*. The gates' export clearance per day is dated as reported: Tân Thanh (Pò Chài)
closed 18 Dec – 24 Jan, Chi Ma (Ái Điểm) blocked in mid-December and closed again from the
afternoon of 17 Jan, Hữu Nghị 60–70 a day and Chi Ma 20–30 a day in early January, everything
shut for Tết (31 Jan – 6 Feb). Trucks give up: each has a patience drawn by its goods, and the
stock of stranded trucks falls mostly because they do, as the press reported.

Arrivals are derived, not guessed: :func:`daily_plan` runs a day-by-day cohort model of the
three queues (first come, first served, with the same patience distributions) and, each day,
lets in just enough trucks for the stranded count at the end of the day to meet the observed
counts (linearly interpolated between them). No fresh fruit arrives while China refused it
(17 Jan until Tết; 16 Feb on). Run through the engine's ``fifo`` hour by hour, the scenario
reproduces the twelve dated counts within 15 % (engine/tests/test_reference.py).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

START = datetime(2021, 12, 1, tzinfo=timezone(timedelta(hours=7)))
DAYS = 90  # 1 December 2021 to 28 February 2022
GATES = ("huu-nghi", "tan-thanh", "chi-ma")
#: Shares of the stranded trucks by gate on 16 Dec 2021 (1,263 / 2,601 / 678): observed.
SHARE = {"huu-nghi": 1263 / 4542, "tan-thanh": 2601 / 4542, "chi-ma": 678 / 4542}
#: Yard capacities: Hữu Nghị 600 (the platform's working figure, no public source); the others
#: inferred. Only ``admission`` uses them.
YARD = {"huu-nghi": 600, "tan-thanh": 1200, "chi-ma": 400}
#: Goods hours in 2021: 07:00–18:00 Hanoi time (observed, since 1 Jul 2015).
OPEN, CLOSE = 7, 18
#: Transit between gates when a truck diverts (inferred from road distances).
TRANSIT = {
    ("huu-nghi", "tan-thanh"): 1.0,
    ("tan-thanh", "huu-nghi"): 1.0,
    ("huu-nghi", "chi-ma"): 3.0,
    ("chi-ma", "huu-nghi"): 3.0,
    ("tan-thanh", "chi-ma"): 3.5,
    ("chi-ma", "tan-thanh"): 3.5,
}
#: The 2021 fruit (observed: jackfruit, mango, dragon fruit, watermelon, banana) with shelf lives
#: in hours and USD per tonne (inferred, as in the commodity catalogue).
FRUIT = (
    ("jackfruit", 168, 600),
    ("mango", 240, 800),
    ("dragon-fruit", 240, 900),
    ("watermelon", 336, 250),
    ("banana", 336, 450),
)
TONNES_PER_TRUCK = 20  # inferred
VND_PER_USD = 23_000  # 2021 exchange rate, rounded (inferred)
NON_PERISHABLE_VALUE_VND = 400_000_000  # inferred
#: Share of fruit among arriving trucks when fruit is accepted: the stranded trucks were 60 %
#: fruit on 2 Jan and 85 % on 11 Feb (observed); 75 % is inferred between them.
FRUIT_SHARE = 0.75
#: Patience, in days, drawn uniformly per truck (inferred, calibrated on the counts): fruit
#: drivers gave up within one to three weeks ("turning back every day to sell in Vietnam",
#: waits of 17 to 40 days reported by those who stayed); other goods waited longer.
PATIENCE_DAYS = {"fruit": (4.0, 20.0), "other": (10.0, 30.0)}
#: When China stopped accepting fresh fruit (observed: 17 Jan until Tết, 16 Feb on), the fruit
#: trucks still waiting could no longer cross: each leaves within this many days of the ban
#: (uniformly, inferred), unless its patience ran out first.
FRUIT_BANS = (date(2022, 1, 17), date(2022, 2, 16))
WITHDRAWAL_DAYS = 7.0
#: Chi Ma closed from the afternoon of 17 Jan with 442 trucks waiting (observed) and no reopening
#: was announced: its trucks withdraw the same way (to other gates or home; inferred).
CLOSED_FOR_GOOD = {"chi-ma": date(2022, 1, 17)}

#: Observed stranded trucks in Lạng Sơn (docs/sources.md). Counts are read at the end of the day,
#: except 24 Jan 2022, reported at 08:00. 27 Dec was "more than 4,000".
OBSERVED = {
    date(2021, 12, 15): 4300,
    date(2021, 12, 16): 4550,
    date(2021, 12, 18): 4800,
    date(2021, 12, 21): 4461,
    date(2021, 12, 25): 4204,
    date(2021, 12, 27): 4000,
    date(2021, 12, 31): 3000,
    date(2022, 1, 2): 2852,
    date(2022, 1, 12): 1548,
    date(2022, 1, 17): 1300,
    date(2022, 1, 24): 355,
    date(2022, 2, 11): 1646,
}
READ_AT_HOUR = {date(2022, 1, 24): 8}
OBSERVED_BY_GATE = {date(2021, 12, 16): {"huu-nghi": 1263, "tan-thanh": 2601, "chi-ma": 678}}
#: Reported export clearance 20 Dec – 15 Jan: 80–100 trucks a day (observed, 27 Dec and 12 Jan).
REPORTED_CLEARANCE = (date(2021, 12, 20), date(2022, 1, 15), 80, 100)
INITIAL_BACKLOG = 1500  # trucks already waiting on 1 Dec (inferred)
#: Arrivals after the last count: 160–180 a day (observed 11 Feb) until the fruit ban of 16 Feb,
#: then other goods only, 30 a day (inferred).
ARRIVALS_AFTER_LAST_COUNT = 170
ARRIVALS_WITHOUT_FRUIT = 30


@dataclass(frozen=True)
class Capacity:
    """Export trucks a day a gate clears from ``first`` to ``last`` (inclusive)."""

    gate: str
    first: date
    last: date
    per_day: int
    note: str


CAPACITY = (
    # Hữu Nghị
    Capacity("huu-nghi", date(2021, 12, 1), date(2021, 12, 13), 150, "before the cut (inferred)"),
    Capacity(
        "huu-nghi", date(2021, 12, 14), date(2022, 1, 30), 65, "60–70 a day (observed, 2 Jan)"
    ),
    Capacity("huu-nghi", date(2022, 1, 31), date(2022, 2, 6), 0, "Tết: Guangxi closed (observed)"),
    Capacity(
        "huu-nghi",
        date(2022, 2, 7),
        date(2022, 2, 28),
        50,
        "with Tân Thanh, 70–90 a day in all (observed 11 Feb); the split inferred",
    ),
    # Tân Thanh (Pò Chài)
    Capacity("tan-thanh", date(2021, 12, 1), date(2021, 12, 13), 200, "before the cut (inferred)"),
    Capacity("tan-thanh", date(2021, 12, 14), date(2021, 12, 17), 100, "slowdown (inferred)"),
    Capacity(
        "tan-thanh", date(2021, 12, 18), date(2022, 1, 24), 0, "Pò Chài closed 18 Dec (observed)"
    ),
    Capacity(
        "tan-thanh",
        date(2022, 1, 25),
        date(2022, 1, 30),
        30,
        "reopened 25 Jan (observed); rate inferred",
    ),
    Capacity("tan-thanh", date(2022, 1, 31), date(2022, 2, 6), 0, "Tết (observed)"),
    Capacity(
        "tan-thanh", date(2022, 2, 7), date(2022, 2, 28), 30, "70–90 a day in all (observed 11 Feb)"
    ),
    # Chi Ma (Ái Điểm)
    Capacity("chi-ma", date(2021, 12, 1), date(2021, 12, 13), 60, "before the cut (inferred)"),
    Capacity(
        "chi-ma",
        date(2021, 12, 14),
        date(2021, 12, 24),
        0,
        "blocked in mid-December (observed); dates inferred",
    ),
    Capacity("chi-ma", date(2021, 12, 25), date(2022, 1, 16), 25, "20–30 a day (observed, 2 Jan)"),
    Capacity(
        "chi-ma",
        date(2022, 1, 17),
        date(2022, 2, 28),
        0,
        "closed from the afternoon of 17 Jan (observed); no reopening reported before March",
    ),
)


def day_index(day: date) -> int:
    return (day - START.date()).days


def _day(k: int) -> date:
    return START.date() + timedelta(days=k)


def capacity_on(gate: str, day: date) -> int:
    return next(c.per_day for c in CAPACITY if c.gate == gate and c.first <= day <= c.last)


def fruit_accepted(day: date) -> bool:
    """China refused fresh fruit from 17 Jan until Tết and from 16 Feb (observed)."""
    return not (date(2022, 1, 17) <= day <= date(2022, 2, 6) or day >= date(2022, 2, 16))


def _next_count(day: date) -> tuple[date, float] | None:
    """The first observed count on or after ``day``."""
    later = sorted((d, float(v)) for d, v in OBSERVED.items() if d >= day)
    return later[0] if later else None


def _gate_shares(day: date) -> dict[str, float]:
    """Where new trucks go: as the stock was split on 16 Dec while all three gates took trucks;
    afterwards in proportion to what each gate clears (inferred); Hữu Nghị when all are shut."""
    if day <= date(2021, 12, 17):
        return dict(SHARE)
    cleared = {g: capacity_on(g, day) for g in GATES}
    total = sum(cleared.values())
    if total == 0:
        return {"huu-nghi": 1.0, "tan-thanh": 0.0, "chi-ma": 0.0}
    return {g: cleared[g] / total for g in GATES}


def _staying(kind: str, age: float) -> float:
    """Share of a cohort still waiting after ``age`` days (uniform patience)."""
    low, high = PATIENCE_DAYS[kind]
    return min(1.0, max(0.0, (high - age) / (high - low)))


def _ban_after(born: float, gate: str, fruit: bool) -> date | None:
    """The first event after a truck arrived that it could not wait through: a fruit ban (for
    fruit), its gate closing with no reopening in sight."""
    start = START.date()
    events = [
        *(FRUIT_BANS if fruit else ()),
        *([CLOSED_FOR_GOOD[gate]] if gate in CLOSED_FOR_GOOD else []),
    ]
    return min((b for b in events if start + timedelta(days=born) < b), default=None)


def _withdrawing(born: int, k: int, gate: str, fruit: bool) -> float:
    """Share of a cohort (arrived on day ``born``) still there at the start of day ``k`` that
    stays through it, given the withdrawal after a ban or a closure."""
    ban = _ban_after(born, gate, fruit)
    if ban is None:
        return 1.0
    since = k - day_index(ban) - 1  # the trucks learn of it during the day; they go after

    def left_by(t: float) -> float:
        return min(1.0, max(0.0, t / WITHDRAWAL_DAYS))

    before, after = 1.0 - left_by(since), 1.0 - left_by(since + 1)
    return after / before if before > 0 else 0.0


class _Cohorts:
    """The day-level model: per gate, first-come-first-served cohorts by arrival day and goods,
    each thinning as its patience runs out."""

    def __init__(self) -> None:
        self.queues: dict[str, deque[list[Any]]] = {g: deque() for g in GATES}

    def add(self, gate: str, day: int, fruit: float, other: float) -> None:
        if fruit:
            self.queues[gate].append([day, "fruit", fruit])
        if other:
            self.queues[gate].append([day, "other", other])

    def step(self, k: int) -> None:
        """Day ``k``: trucks give up (at the ages reached by the end of the day), then each gate
        clears its capacity, oldest first."""
        day = _day(k)
        for gate, queue in self.queues.items():
            for cohort in queue:
                born, kind = cohort[0], cohort[1]
                before, after = _staying(kind, k - born), _staying(kind, k - born + 1)
                cohort[2] *= after / before if before > 0 else 0.0
                cohort[2] *= _withdrawing(born, k, gate, kind == "fruit")
            room = float(capacity_on(gate, day))
            while queue and room > 0:
                take = min(room, queue[0][2])
                queue[0][2] -= take
                room -= take
                if queue[0][2] <= 1e-9:
                    queue.popleft()

    def stock(self, gate: str | None = None) -> float:
        queues = [self.queues[gate]] if gate else list(self.queues.values())
        return float(sum(c[2] for q in queues for c in q))


def daily_plan() -> list[dict[str, Any]]:
    """Per day: each gate's capacity, the trucks arriving and whether fruit was accepted.

    While fruit is accepted and a count lies ahead, arrivals are derived: just enough for the
    model's stock to follow a straight line from the day before to the next count. While fruit
    was refused (and at Tết) only other goods came, ``ARRIVALS_WITHOUT_FRUIT`` a day (inferred),
    and the counts of those weeks are checks, not targets. After the last count, arrivals are
    as reported on 11 Feb.
    """
    model = _Cohorts()
    for gate in GATES:
        backlog = INITIAL_BACKLOG * SHARE[gate]
        model.add(gate, -1, backlog * FRUIT_SHARE, backlog * (1 - FRUIT_SHARE))
    plan = []
    split_until = max(OBSERVED_BY_GATE)
    for k in range(DAYS):
        day = _day(k)
        before = {g: model.stock(g) for g in GATES}
        model.step(k)
        ahead = _next_count(day)
        shares = _gate_shares(day)
        if not fruit_accepted(day):
            per_gate = {g: ARRIVALS_WITHOUT_FRUIT * shares[g] for g in GATES}
        elif ahead is None:
            per_gate = {g: ARRIVALS_AFTER_LAST_COUNT * shares[g] for g in GATES}
        else:
            count_day, count = ahead
            days_left = (count_day - day).days + 1
            if day <= split_until:
                # Each gate follows its own share of the counts (the split observed on 16 Dec).
                goals = {g: count * SHARE[g] for g in GATES}
                per_gate = {
                    g: max(0.0, before[g] + (goals[g] - before[g]) / days_left - model.stock(g))
                    for g in GATES
                }
            else:
                total = sum(before.values())
                target = total + (count - total) / days_left
                arrivals = max(0.0, target - model.stock())
                per_gate = {g: arrivals * shares[g] for g in GATES}
        arrivals = sum(per_gate.values())
        shares = {g: per_gate[g] / arrivals if arrivals else shares[g] for g in GATES}
        fruit_share = FRUIT_SHARE if fruit_accepted(day) else 0.0
        for gate in GATES:
            n = per_gate[gate]
            model.add(gate, k, n * fruit_share, n * (1 - fruit_share))
        plan.append(
            {
                "day": day,
                "capacity": {g: capacity_on(g, day) for g in GATES},
                "arrivals": arrivals,
                "shares": shares,
                "fruit_share": fruit_share,
                "model_stock": model.stock(),
            }
        )
    return plan


def _hourly_capacity(per_day: int) -> dict[int, int]:
    """A day's capacity spread over the open hours: {hour of day: trucks}."""
    hours = CLOSE - OPEN
    base, extra = divmod(per_day, hours)
    return {OPEN + k: base + (1 if k < extra else 0) for k in range(hours)}


def build(seed: int = 2021) -> dict[str, Any]:
    rng = random.Random(seed)
    plan = daily_plan()
    gates = []
    for gate in GATES:
        segments: list[dict[str, int]] = []
        for k, row in enumerate(plan):
            hourly = _hourly_capacity(row["capacity"][gate])
            for hour in range(24):
                per_hour = hourly.get(hour, 0)
                if not segments or segments[-1]["per_hour"] != per_hour:
                    segments.append({"from_hour": k * 24 + hour, "per_hour": per_hour})
        gates.append({"id": gate, "yard_capacity": YARD[gate], "capacity": segments})
    trucks: list[dict[str, Any]] = []

    def add(gate: str, ready: float, fruit: bool) -> None:
        kind = "fruit" if fruit else "other"
        low, high = PATIENCE_DAYS[kind]
        patience = rng.uniform(low, high) * 24
        withdraw = rng.uniform(0, WITHDRAWAL_DAYS) * 24
        ban = _ban_after(ready / 24, gate, fruit)
        if ban is not None:
            patience = min(patience, (day_index(ban) + 1) * 24 + withdraw - ready)
        truck: dict[str, Any] = {
            "id": f"{gate}-{len(trucks):05d}",
            "ready_hour": round(ready, 3),
            "gate": gate,
            "alt_gates": [g for g in GATES if g != gate],
            "perishable": fruit,
            "patience_hours": round(max(patience, 0.01), 2),
        }
        if fruit:
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
            add(gate, rng.uniform(0, 1), rng.random() < FRUIT_SHARE)
    carry = dict.fromkeys(GATES, 0.0)
    for k, row in enumerate(plan):
        for gate in GATES:
            expected = row["arrivals"] * row["shares"][gate] + carry[gate]
            count = int(expected)
            carry[gate] = expected - count
            for _ in range(count):
                add(gate, k * 24 + rng.uniform(0, 24), rng.random() < row["fruit_share"])
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


def count_hour(day: date) -> int:
    """The hour a day's count is read at: its end, or the reported time (24 Jan: 08:00)."""
    return day_index(day) * 24 + READ_AT_HOUR.get(day, 24)


def end_of_day_slot(day: date) -> int:
    """The last slot of a day."""
    return day_index(day) * 24 + 23
