"""The 2021–22 congestion as a scenario: dated closures, trucks that give up, and the counts."""

from __future__ import annotations

import numpy as np

from engine import policies
from engine.optimum import optimum
from engine.reference import (
    OBSERVED,
    OBSERVED_BY_GATE,
    REPORTED_CLEARANCE,
    build,
    capacity_on,
    count_hour,
    daily_plan,
    day_index,
    fruit_accepted,
)
from engine.result import summarize, waiting_at
from engine.scenario import parse_scenario


def test_fifo_reproduces_the_twelve_dated_counts_within_15_percent() -> None:
    """Trucks ready and neither crossed nor gone, read when each count was reported."""
    sc = parse_scenario(build())
    outcome = policies.fifo(sc)
    assert len(OBSERVED) == 12
    for day, observed in OBSERVED.items():
        simulated = waiting_at(sc, outcome, count_hour(day))
        assert abs(simulated - observed) <= 0.15 * observed, (day, simulated, observed)
    for day, by_gate in OBSERVED_BY_GATE.items():
        t = count_hour(day)
        waiting = (
            (sc.ready_hour <= t)
            & ~((outcome.cross_hour >= 0) & (outcome.cross_hour < t))
            & ~(sc.leave_hour() <= t)
        )
        for g, gate in enumerate(sc.gate_ids):
            simulated = int(np.count_nonzero(waiting & (sc.gate_index == g)))
            assert abs(simulated - by_gate[gate]) <= 0.15 * by_gate[gate], (day, gate, simulated)


def test_clearance_from_20_december_to_15_january_is_the_reported_80_to_100_a_day() -> None:
    sc = parse_scenario(build())
    outcome = policies.fifo(sc)
    first, last, low, high = REPORTED_CLEARANCE
    start, end = day_index(first) * 24, (day_index(last) + 1) * 24
    days = day_index(last) - day_index(first) + 1
    crossed = np.count_nonzero((outcome.cross_hour >= start) & (outcome.cross_hour < end))
    assert low <= crossed / days <= high


def test_the_closures_are_dated_as_reported() -> None:
    from datetime import date

    assert capacity_on("tan-thanh", date(2021, 12, 18)) == 0  # Pò Chài closed 18 Dec
    assert capacity_on("tan-thanh", date(2022, 1, 24)) == 0
    assert capacity_on("tan-thanh", date(2022, 1, 25)) > 0  # reopened 25 Jan
    assert capacity_on("chi-ma", date(2022, 1, 17)) == 0  # closed from 17 Jan
    tet = [date(2022, 1, 31), *(date(2022, 2, d) for d in range(1, 7))]
    for gate in ("huu-nghi", "tan-thanh", "chi-ma"):
        assert all(capacity_on(gate, day) == 0 for day in tet), gate
    assert not fruit_accepted(date(2022, 1, 17)) and not fruit_accepted(date(2022, 2, 20))
    plan = {row["day"]: row for row in daily_plan()}
    assert plan[date(2022, 1, 20)]["fruit_share"] == 0.0


def test_trucks_gave_up_and_the_optimum_saves_what_can_spoil() -> None:
    sc = parse_scenario(build())
    rows = {name: summarize(sc, run(sc)) for name, run in policies.ONLINE.items()}
    best = summarize(sc, optimum(sc))
    assert rows["fifo"]["left"] > 0.2 * sc.n_trucks  # most of the fall in the stock
    assert rows["fifo"]["spoiled_value_vnd"] > 0  # and the fruit that waited rotted
    # Putting savable perishables first spoils far less than first come, first served.
    assert rows["priority"]["spoiled_value_vnd"] < 0.5 * rows["fifo"]["spoiled_value_vnd"]
    for name, row in rows.items():
        assert best["spoiled_value_vnd"] <= row["spoiled_value_vnd"], name


def test_the_scenario_is_reproducible_and_valid() -> None:
    first, again = build(seed=5), build(seed=5)
    assert first == again
    sc = parse_scenario(first)
    assert sc.n_trucks > 15_000 and sc.horizon_hours == 90 * 24
    assert 0.5 < sc.perishable.mean() < 0.85
    assert np.isfinite(sc.patience_hours).all()
