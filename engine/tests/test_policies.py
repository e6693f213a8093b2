import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import policies
from engine.optimum import fluid_bound, optimum
from engine.result import spoiled, summarize, wait_hours, yard_occupancy
from engine.scenario import Scenario, ScenarioError, parse_scenario
from engine.tests import simpy_oracle


@st.composite
def scenarios(
    draw: st.DrawFn, max_trucks: int = 60, alternatives: bool = False, patience: bool = False
) -> Scenario:
    horizon = draw(st.integers(4, 72))
    gate_ids = [f"g{k}" for k in range(draw(st.integers(1, 3)))]
    gates = []
    for gid in gate_ids:
        starts = sorted(set(draw(st.lists(st.integers(1, horizon - 1), max_size=3))))
        caps = [{"from_hour": 0, "per_hour": draw(st.integers(0, 4))}]
        caps += [{"from_hour": s, "per_hour": draw(st.integers(0, 4))} for s in starts]
        gates.append(
            {
                "id": gid,
                "yard_capacity": draw(st.one_of(st.none(), st.integers(1, 20))),
                "capacity": caps,
            }
        )
    trucks = []
    for k in range(draw(st.integers(0, max_trucks))):
        perishable = draw(st.booleans())
        ready = draw(
            st.one_of(
                st.integers(0, horizon - 1).map(float),
                st.floats(0, horizon - 1e-3, allow_nan=False),
            )
        )
        trucks.append(
            {
                "id": f"t{k:03d}",
                "ready_hour": ready,
                "gate": draw(st.sampled_from(gate_ids)),
                "alt_gates": draw(st.lists(st.sampled_from(gate_ids), max_size=2))
                if alternatives
                else [],
                "perishable": perishable,
                "shelf_life_hours": draw(st.floats(0.5, 48)) if perishable else None,
                "value_vnd": draw(st.integers(0, 10**9)),
            }
        )
        if patience:
            waits = draw(st.one_of(st.none(), st.integers(1, 30).map(float), st.floats(0.1, 40)))
            if waits is not None:
                trucks[-1]["patience_hours"] = waits
    diversions = (
        [
            {"from": a, "to": b, "transit_hours": draw(st.floats(0, 6))}
            for a in gate_ids
            for b in gate_ids
            if a != b
        ]
        if alternatives
        else []
    )
    return parse_scenario(
        {
            "name": "random",
            "horizon_hours": horizon,
            "gates": gates,
            "trucks": trucks,
            "diversions": diversions,
        }
    )


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_fifo_and_edf_match_the_simpy_oracle(sc: Scenario) -> None:
    assert np.array_equal(
        policies.fifo(sc).cross_hour, simpy_oracle.simulate(sc, simpy_oracle.fifo_key)
    )
    assert np.array_equal(
        policies.edf(sc).cross_hour, simpy_oracle.simulate(sc, simpy_oracle.edf_key)
    )
    assert np.array_equal(policies.fifo(sc).cross_hour, policies.fifo_by_rank(sc).cross_hour)


@settings(max_examples=80, deadline=None)
@given(scenarios(alternatives=True))
def test_optimum_is_never_beaten(sc: Scenario) -> None:
    best = optimum(sc)
    best_value = summarize(sc, best)["spoiled_value_vnd"]
    bound = fluid_bound(sc)
    for name, run in policies.ONLINE.items():
        outcome = run(sc)
        summary = summarize(sc, outcome)
        assert best_value <= summary["spoiled_value_vnd"], name
        assert bound <= wait_hours(sc, outcome).sum() + 1e-6, name
    assert bound <= wait_hours(sc, best).sum() + 1e-6


@settings(max_examples=80, deadline=None)
@given(scenarios(alternatives=True))
def test_every_policy_respects_the_semantics(sc: Scenario) -> None:
    for name, run in [*policies.ONLINE.items(), ("optimum", optimum)]:
        outcome = run(sc)
        crossed = outcome.cross_hour >= 0
        # Never before ready (plus transit when diverted), never over a slot's capacity.
        assert np.all(outcome.cross_hour[crossed] >= np.ceil(outcome.yard_entry[crossed] - 1e-9)), (
            name
        )
        for g in range(len(sc.gates)):
            used = np.bincount(
                outcome.cross_hour[crossed & (outcome.gate_index == g)], minlength=sc.horizon_hours
            )
            assert np.all(used <= sc.capacity[g]), name
        moved = outcome.gate_index != sc.gate_index
        if name not in ("divert", "reserve", "optimum"):
            assert not moved.any(), name
        for i in np.flatnonzero(moved):
            assert outcome.gate_index[i] in sc.alt_gates[i]
    held = policies.admission(sc)
    occupancy = yard_occupancy(sc, held)
    for g, gate in enumerate(sc.gates):
        if gate.yard_capacity is not None:
            assert occupancy[g].max(initial=0) <= gate.yard_capacity


def _one_gate(capacity: list[dict], trucks: list[dict], horizon: int = 10) -> Scenario:
    return parse_scenario(
        {
            "name": "t",
            "horizon_hours": horizon,
            "gates": [{"id": "a", "yard_capacity": 2, "capacity": capacity}],
            "trucks": trucks,
        }
    )


def test_slot_semantics_by_hand() -> None:
    sc = _one_gate(
        [
            {"from_hour": 0, "per_hour": 1},
            {"from_hour": 3, "per_hour": 0},
            {"from_hour": 5, "per_hour": 2},
        ],
        [
            {"id": "b", "ready_hour": 0, "gate": "a"},
            {"id": "a", "ready_hour": 0, "gate": "a"},
            {
                "id": "c",
                "ready_hour": 0.5,
                "gate": "a",
                "perishable": True,
                "shelf_life_hours": 1.5,
                "value_vnd": 100,
            },
            {"id": "d", "ready_hour": 9.2, "gate": "a"},
        ],
    )
    fifo = policies.fifo(sc)
    # a and b tie at 0 and go by id; c is ready in slot 1; slots 3-4 are closed; d never crosses.
    assert fifo.cross_hour.tolist() == [1, 0, 2, -1]
    assert spoiled(sc, fifo).tolist() == [False, False, True, False]
    edf = policies.edf(sc)
    # The perishable c (deadline 2.0) overtakes b in slot 1.
    assert edf.cross_hour.tolist() == [2, 0, 1, -1]
    summary = summarize(sc, fifo)
    assert summary["uncrossed"] == 1 and summary["spoiled_value_vnd"] == 100
    assert math.isclose(summary["truck_hours_waiting"], 1 + 0 + 1.5 + (10 - 9.2))
    assert optimum(sc).cross_hour[2] == 1  # the perishable is saved


def test_waiting_at_the_horizon_spoils_only_past_the_shelf_life() -> None:
    sc = _one_gate(
        [{"from_hour": 0, "per_hour": 0}],
        [
            {"id": "x", "ready_hour": 2, "gate": "a", "perishable": True, "shelf_life_hours": 8},
            {"id": "y", "ready_hour": 3, "gate": "a", "perishable": True, "shelf_life_hours": 8},
        ],
    )
    assert spoiled(sc, policies.fifo(sc)).tolist() == [True, False]


def test_admission_holds_at_origin_and_reports_it() -> None:
    trucks = [{"id": f"t{k}", "ready_hour": 0, "gate": "a"} for k in range(6)]
    sc = _one_gate([{"from_hour": 0, "per_hour": 1}], trucks)
    held = policies.admission(sc)
    assert yard_occupancy(sc, held)[0].max() <= 2
    assert summarize(sc, held)["held_at_origin_hours"] > 0
    assert held.cross_hour.tolist() == policies.fifo(sc).cross_hour.tolist()
    slow = policies.admission(sc, origin_rate=0.5)
    assert slow.origin_rate == 0.5


def test_divert_uses_a_faster_gate_after_transit() -> None:
    sc = parse_scenario(
        {
            "name": "d",
            "horizon_hours": 24,
            "gates": [
                {"id": "a", "capacity": [{"from_hour": 0, "per_hour": 1}]},
                {"id": "b", "capacity": [{"from_hour": 0, "per_hour": 10}]},
            ],
            "diversions": [{"from": "a", "to": "b", "transit_hours": 2}],
            "trucks": [
                {"id": f"t{k}", "ready_hour": 0, "gate": "a", "alt_gates": ["b"]} for k in range(8)
            ],
        }
    )
    outcome = policies.divert(sc)
    assert (outcome.gate_index == 1).sum() >= 5
    assert outcome.cross_hour[outcome.gate_index == 1].min() >= 2


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "horizon_hours"),
        ({"horizon_hours": 10, "gates": []}, "gates: must be a non-empty list"),
        (
            {
                "horizon_hours": 10,
                "gates": [{"id": "a", "capacity": [{"from_hour": 2, "per_hour": 1}]}],
                "trucks": [],
            },
            "gates[0] (a).capacity[0].from_hour",
        ),
        (
            {
                "horizon_hours": 10,
                "gates": [{"id": "a", "capacity": [{"from_hour": 0, "per_hour": -1}]}],
                "trucks": [],
            },
            "per_hour",
        ),
        (
            {
                "horizon_hours": 10,
                "gates": [{"id": "a", "capacity": [{"from_hour": 0, "per_hour": 1}]}],
                "trucks": [{"id": "t7", "ready_hour": 12, "gate": "a"}],
            },
            "trucks[0] (t7).ready_hour",
        ),
        (
            {
                "horizon_hours": 10,
                "gates": [{"id": "a", "capacity": [{"from_hour": 0, "per_hour": 1}]}],
                "trucks": [{"id": "t1", "ready_hour": 1, "gate": "b"}],
            },
            "trucks[0] (t1).gate: unknown gate 'b'",
        ),
        (
            {
                "horizon_hours": 10,
                "gates": [{"id": "a", "capacity": [{"from_hour": 0, "per_hour": 1}]}],
                "trucks": [{"id": "t1", "ready_hour": 1, "gate": "a", "perishable": True}],
            },
            "trucks[0] (t1).shelf_life_hours",
        ),
        (
            {
                "horizon_hours": 10,
                "gates": [{"id": "a", "capacity": [{"from_hour": 0, "per_hour": 1}]}],
                "trucks": [
                    {"id": "t1", "ready_hour": 1, "gate": "a"},
                    {"id": "t1", "ready_hour": 2, "gate": "a"},
                ],
            },
            "duplicate truck id",
        ),
    ],
)
def test_scenario_errors_name_the_field_and_truck(doc: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    assert any(message in p for p in info.value.problems), info.value.problems


def test_gates_that_share_a_yard_fill_it_together() -> None:
    """Entry and exit lanes of one road share its yard of 3 places: held at origin together,
    never more than 3 in the yard; the report counts the yard once."""
    gates = [
        {
            "id": f"road/{f}",
            "yard": "road-yard",
            "yard_capacity": 3,
            "capacity": [{"from_hour": 0, "per_hour": 1}],
        }
        for f in ("exit", "entry")
    ]
    trucks = [
        {"id": f"{f}{k}", "ready_hour": 0, "gate": f"road/{f}"}
        for f in ("exit", "entry")
        for k in range(4)
    ]
    sc = parse_scenario({"horizon_hours": 24, "gates": gates, "trucks": trucks})
    held = policies.admission(sc)
    occ = yard_occupancy(sc, held)
    assert occ.sum(axis=0).max() <= 3
    assert summarize(sc, held)["max_yard_occupancy"] == {"road-yard": int(occ.sum(axis=0).max())}
    apart = parse_scenario(
        {"horizon_hours": 24, "gates": [{**g, "yard": ""} for g in gates], "trucks": trucks}
    )
    assert yard_occupancy(apart, policies.admission(apart)).sum(axis=0).max() > 3
    with pytest.raises(ScenarioError, match="same yard_capacity"):
        parse_scenario(
            {
                "horizon_hours": 24,
                "gates": [gates[0], {**gates[1], "yard_capacity": 5}],
                "trucks": trucks,
            }
        )


def test_a_blocked_lane_does_not_starve_the_other_in_a_shared_yard() -> None:
    """Exits are closed, entries clear one an hour, the yard has 3 places: holding at origin
    keeps the exits out so the entries, which can cross, get in (the exits, admitted first,
    once filled the yard and no entry crossed)."""
    gates = [
        {
            "id": "road/exit",
            "yard": "y",
            "yard_capacity": 3,
            "capacity": [{"from_hour": 0, "per_hour": 0}],
        },
        {
            "id": "road/entry",
            "yard": "y",
            "yard_capacity": 3,
            "capacity": [{"from_hour": 0, "per_hour": 1}],
        },
    ]
    trucks = [
        {"id": f"{f}{k}", "ready_hour": 0, "gate": f"road/{f}"}
        for f in ("exit", "entry")
        for k in range(4)
    ]
    sc = parse_scenario({"horizon_hours": 24, "gates": gates, "trucks": trucks})
    held = policies.admission(sc)
    entries = [i for i, t in enumerate(sc.truck_ids) if t.startswith("entry")]
    assert all(held.cross_hour[i] >= 0 for i in entries), held.cross_hour.tolist()
    assert yard_occupancy(sc, held).sum(axis=0).max() <= 3
