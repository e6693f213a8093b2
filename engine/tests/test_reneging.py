"""Trucks that give up (``patience_hours``): every policy and the optimum respect it, the SimPy
oracle agrees truck by truck, and scenarios without it give exactly what they gave before."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings

from engine import policies
from engine.bench import instance
from engine.optimum import fluid_bound, optimum
from engine.result import Outcome, left_hour, spoiled, summarize, to_json, wait_hours, waiting_at
from engine.scenario import Scenario, parse_scenario
from engine.tests import simpy_oracle
from engine.tests.test_policies import scenarios

BEFORE = Path(__file__).parent / "data" / "outcomes-before-reneging.json"


def _digest(outcome: Outcome) -> str:
    h = hashlib.sha256()
    for arr in (outcome.cross_hour, outcome.gate_index, outcome.yard_entry, outcome.held_hours):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def test_scenarios_without_patience_give_the_same_outcome_truck_by_truck() -> None:
    """Digests of every truck's crossing, gate, yard entry and hold, recorded with the engine
    before reneging existed (commit 15c9cf6), on three generated instances."""
    recorded = json.loads(BEFORE.read_text())
    for label, expected in recorded.items():
        seed, alt, load = (float(part.split("=")[1]) for part in label.split())
        sc = instance(3000, seed=int(seed), alternatives=alt, load=load, horizon=240)
        assert not sc.reneging
        got = {name: _digest(run(sc)) for name, run in policies.ONLINE.items() if name in expected}
        got["optimum"] = _digest(optimum(sc))
        assert got == expected, label  # ``reserve`` came later: it has no recorded digest


@settings(max_examples=200, deadline=None)
@given(scenarios(max_trucks=50, patience=True))
def test_fifo_and_edf_with_reneging_match_the_simpy_oracle(sc: Scenario) -> None:
    assert np.array_equal(
        policies.fifo(sc).cross_hour, simpy_oracle.simulate(sc, simpy_oracle.fifo_key)
    )
    assert np.array_equal(
        policies.edf(sc).cross_hour, simpy_oracle.simulate(sc, simpy_oracle.edf_key)
    )


@settings(max_examples=120, deadline=None)
@given(scenarios(max_trucks=50, alternatives=True, patience=True))
def test_nobody_crosses_after_giving_up_and_the_optimum_is_never_beaten(sc: Scenario) -> None:
    leave = sc.leave_hour()
    best = optimum(sc)
    best_value = summarize(sc, best)["spoiled_value_vnd"]
    bound = fluid_bound(sc)
    for name, run in [*policies.ONLINE.items(), ("optimum", optimum)]:
        outcome = run(sc)
        crossed = outcome.cross_hour >= 0
        assert np.all(outcome.cross_hour[crossed] < leave[crossed]), name
        for g in range(len(sc.gates)):
            used = np.bincount(
                outcome.cross_hour[crossed & (outcome.gate_index == g)], minlength=sc.horizon_hours
            )
            assert np.all(used <= sc.capacity[g]), name
        gone = left_hour(sc, outcome)
        assert np.all(np.isnan(gone[crossed])), name
        # Left and spoiled are apart: a truck that gave up before its shelf life is not spoiled.
        bad = spoiled(sc, outcome)
        early = ~np.isnan(gone) & (sc.patience_hours < sc.shelf_life_hours)
        assert not np.any(bad & early), name
        summary = summarize(sc, outcome)
        assert best_value <= summary["spoiled_value_vnd"], name
        assert bound <= wait_hours(sc, outcome).sum() + 1e-6, name
        assert summary["left"] + summary["spoiled"] + summary["crossed"] <= sc.n_trucks + int(
            np.count_nonzero(bad & crossed)
        ), name


def test_a_truck_gives_up_and_frees_its_place() -> None:
    sc = parse_scenario(
        {
            "name": "t",
            "horizon_hours": 10,
            "gates": [
                {
                    "id": "g",
                    "capacity": [{"from_hour": 0, "per_hour": 0}, {"from_hour": 3, "per_hour": 1}],
                }
            ],
            "trucks": [
                {"id": "a", "ready_hour": 0, "gate": "g", "patience_hours": 2, "value_vnd": 5},
                {
                    "id": "b",
                    "ready_hour": 0.5,
                    "gate": "g",
                    "perishable": True,
                    "shelf_life_hours": 20,
                    "value_vnd": 7,
                },
                {"id": "c", "ready_hour": 1, "gate": "g", "patience_hours": 3},
            ],
        }
    )
    assert sc.reneging
    for run in (policies.fifo, policies.edf, policies.priority, policies.admission, optimum):
        outcome = run(sc)
        # a left at 2, before the gate opened; c's patience ends at 4: it crosses at 3 only if
        # b does not take slot 3 first.
        assert outcome.cross_hour[0] == -1
        body = to_json(sc, outcome)
        assert body["trucks"][0]["left_hour"] == 2.0
        assert body["summary"]["left"] >= 1 and body["summary"]["left_value_vnd"] >= 5
    fifo = policies.fifo(sc)
    assert fifo.cross_hour.tolist() == [-1, 3, -1]  # b came first; c gave up at 4
    assert waiting_at(sc, fifo, 2.5) == 2  # b and c (a is gone)
    assert waiting_at(sc, fifo, 4.0) == 0  # b crossed in slot 3, c left at 4


def test_reading_trucks_column_by_column_gives_the_same_scenario(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The NumPy reading of well-formed trucks and the truck-by-truck loop agree exactly."""
    from engine import reference, scenario

    doc = reference.build(seed=3)
    doc["trucks"][5]["alt_gates"] = [doc["trucks"][5]["gate"], "chi-ma", "chi-ma"]
    doc["trucks"][6]["value_vnd"] = 0
    doc["trucks"][7].pop("patience_hours")
    fast = parse_scenario(doc)
    monkeypatch.setattr(scenario, "_trucks_at_once", lambda *args: None)
    slow = parse_scenario(doc)
    assert fast.truck_ids == slow.truck_ids and fast.alt_gates == slow.alt_gates
    for name in (
        "ready_hour",
        "gate_index",
        "perishable",
        "shelf_life_hours",
        "value_vnd",
        "patience_hours",
        "capacity",
    ):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
