"""A policy's outcome per truck, and the summary every policy reports the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.scenario import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NOT_CROSSED = -1


@dataclass
class Outcome:
    """What happened to each truck under one policy.

    ``cross_hour`` is the slot the truck crossed in, or -1. ``gate_index`` is the gate it used
    (its own unless diverted). ``yard_entry`` is when it entered the gate's yard (its ready hour,
    plus any transit after a diversion, plus any hold at origin). ``held_hours`` is time held at
    origin; ``origin_rate`` how fast shelf life runs out there (1.0: as fast as in the yard).
    """

    policy: str
    cross_hour: IntArray
    gate_index: IntArray
    yard_entry: FloatArray
    held_hours: FloatArray
    origin_rate: float = 1.0
    notes: dict[str, Any] = field(default_factory=dict)


def spoiled(scenario: Scenario, outcome: Outcome) -> npt.NDArray[np.bool_]:
    """Perishables whose time waiting reached their shelf life (origin hours weighted)."""
    end = np.where(outcome.cross_hour >= 0, outcome.cross_hour, scenario.horizon_hours).astype(
        np.float64
    )
    waited = end - scenario.ready_hour
    age = waited - outcome.held_hours * (1.0 - outcome.origin_rate)
    return scenario.perishable & (age >= scenario.shelf_life_hours)


def wait_hours(scenario: Scenario, outcome: Outcome) -> FloatArray:
    """Hours from ready to crossing; for a truck never crossed, to the end of the horizon."""
    end = np.where(outcome.cross_hour >= 0, outcome.cross_hour, scenario.horizon_hours)
    return end.astype(np.float64) - scenario.ready_hour


def yard_occupancy(scenario: Scenario, outcome: Outcome) -> IntArray:
    """``occ[g, h]``: trucks in gate g's yard at slot h (entered by h, not crossed before h)."""
    horizon, gates = scenario.horizon_hours, len(scenario.gates)
    occ = np.zeros((gates, horizon), dtype=np.int64)
    entry_slot = np.ceil(outcome.yard_entry).astype(np.int64)
    for g in range(gates):
        mine = outcome.gate_index == g
        entries = np.bincount(np.clip(entry_slot[mine], 0, horizon), minlength=horizon + 1)[
            :horizon
        ]
        crossed = outcome.cross_hour[mine]
        crossed = crossed[crossed >= 0]
        # A truck crossing in slot c is still in the yard at c and gone from c + 1.
        leaves = np.bincount(crossed + 1, minlength=horizon + 2)[:horizon]
        occ[g] = np.cumsum(entries) - np.cumsum(leaves)
    return occ


def summarize(scenario: Scenario, outcome: Outcome) -> dict[str, Any]:
    crossed = outcome.cross_hour >= 0
    waits = wait_hours(scenario, outcome)
    bad = spoiled(scenario, outcome)
    occ = yard_occupancy(scenario, outcome)
    return {
        "crossed": int(crossed.sum()),
        "uncrossed": int((~crossed).sum()),
        "spoiled": int(bad.sum()),
        "spoiled_value_vnd": int(scenario.value_vnd[bad].sum()),
        "mean_wait_hours": round(float(waits.mean()), 3) if len(waits) else 0.0,
        "p95_wait_hours": round(float(np.percentile(waits, 95)), 3) if len(waits) else 0.0,
        "truck_hours_waiting": round(float(waits.sum()), 3),
        "max_yard_occupancy": {
            g.id: int(occ[k].max(initial=0)) for k, g in enumerate(scenario.gates)
        },
        "held_at_origin_hours": round(float(outcome.held_hours.sum()), 3),
    }


def to_json(scenario: Scenario, outcome: Outcome) -> dict[str, Any]:
    waits = wait_hours(scenario, outcome)
    bad = spoiled(scenario, outcome)
    trucks = [
        {
            "id": scenario.truck_ids[i],
            "gate": scenario.gates[int(outcome.gate_index[i])].id,
            "cross_hour": int(outcome.cross_hour[i]) if outcome.cross_hour[i] >= 0 else None,
            "wait_hours": round(float(waits[i]), 4),
            "spoiled": bool(bad[i]),
        }
        for i in range(scenario.n_trucks)
    ]
    body: dict[str, Any] = {
        "policy": outcome.policy,
        "trucks": trucks,
        "summary": summarize(scenario, outcome),
    }
    body["summary"].update(
        {k: v for k, v in outcome.notes.items() if k.endswith("_bound_truck_hours")}
    )
    return body
