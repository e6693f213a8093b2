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
    A truck that gave up waiting (``Scenario.patience_hours``) never crosses; when it left
    follows from the scenario (:func:`left_hour`).
    """

    policy: str
    cross_hour: IntArray
    gate_index: IntArray
    yard_entry: FloatArray
    held_hours: FloatArray
    origin_rate: float = 1.0
    notes: dict[str, Any] = field(default_factory=dict)


def left_hour(scenario: Scenario, outcome: Outcome) -> FloatArray:
    """When each truck that never crossed gave up and left (nan: it crossed, or was still
    waiting at the end of the horizon)."""
    leave = scenario.leave_hour()
    gone = (outcome.cross_hour < 0) & (leave <= scenario.horizon_hours)
    return np.where(gone, leave, np.nan)


def _end_of_wait(scenario: Scenario, outcome: Outcome) -> FloatArray:
    """When each truck stopped waiting: its crossing slot, when it left, or the horizon."""
    leave = np.minimum(scenario.leave_hour(), float(scenario.horizon_hours))
    crossed = outcome.cross_hour >= 0
    return np.where(crossed, outcome.cross_hour.astype(np.float64), leave)


def spoiled(scenario: Scenario, outcome: Outcome) -> npt.NDArray[np.bool_]:
    """Perishables whose time waiting reached their shelf life (origin hours weighted). A truck
    that gave up before then is not spoiled at the border: it left (see :func:`left_hour`)."""
    waited = _end_of_wait(scenario, outcome) - scenario.ready_hour
    age = waited - outcome.held_hours * (1.0 - outcome.origin_rate)
    return scenario.perishable & (age >= scenario.shelf_life_hours)


def wait_hours(scenario: Scenario, outcome: Outcome) -> FloatArray:
    """Hours from ready to crossing; for a truck that gave up, to when it left; for one still
    waiting, to the end of the horizon."""
    return _end_of_wait(scenario, outcome) - scenario.ready_hour


def waiting_at(scenario: Scenario, outcome: Outcome, hour: float) -> int:
    """Trucks stranded at ``hour``: ready by then, neither crossed (in a slot before it) nor gone.
    This is the stock the press counted."""
    ready = scenario.ready_hour <= hour
    crossed = (outcome.cross_hour >= 0) & (outcome.cross_hour < hour)
    gone = scenario.leave_hour() <= hour
    return int(np.count_nonzero(ready & ~crossed & ~gone))


def yard_occupancy(scenario: Scenario, outcome: Outcome) -> IntArray:
    """``occ[g, h]``: trucks in gate g's yard at slot h (entered by h, not crossed before h, not
    gone: a truck that gives up at hour t is gone from slot ceil(t))."""
    horizon, gates = scenario.horizon_hours, len(scenario.gates)
    occ = np.zeros((gates, horizon), dtype=np.int64)
    entry_slot = np.ceil(outcome.yard_entry).astype(np.int64)
    gone = left_hour(scenario, outcome)
    gone_slot = np.where(np.isnan(gone), horizon + 1, np.ceil(np.nan_to_num(gone))).astype(np.int64)
    for g in range(gates):
        mine = outcome.gate_index == g
        inside = mine & (entry_slot < gone_slot)  # a truck that gave up at origin never entered
        entries = np.bincount(np.clip(entry_slot[inside], 0, horizon), minlength=horizon + 1)[
            :horizon
        ]
        crossed = outcome.cross_hour[inside]
        crossed = crossed[crossed >= 0]
        # A truck crossing in slot c is still in the yard at c and gone from c + 1.
        leaves = np.bincount(crossed + 1, minlength=horizon + 2)[:horizon]
        left = gone_slot[inside & (outcome.cross_hour < 0)]
        leaves += np.bincount(np.clip(left, 0, horizon + 1), minlength=horizon + 2)[:horizon]
        occ[g] = np.cumsum(entries) - np.cumsum(leaves)
    return occ


def shared_yard_occupancy(scenario: Scenario, occ: IntArray) -> IntArray:
    """``by_yard[y, h]``: trucks in yard y at slot h, over every gate that waits in it, from
    :func:`yard_occupancy`'s per-gate counts; rows follow ``scenario.yard_ids``."""
    by_yard = np.zeros((len(scenario.yard_ids), occ.shape[1]), dtype=np.int64)
    np.add.at(by_yard, np.asarray(scenario.gate_yard, dtype=np.int64), occ)
    return by_yard


def summarize(scenario: Scenario, outcome: Outcome) -> dict[str, Any]:
    crossed = outcome.cross_hour >= 0
    waits = wait_hours(scenario, outcome)
    bad = spoiled(scenario, outcome)
    occ = yard_occupancy(scenario, outcome)
    by_yard = shared_yard_occupancy(scenario, occ)
    gone = ~np.isnan(left_hour(scenario, outcome)) & ~bad
    return {
        "crossed": int(crossed.sum()),
        "uncrossed": int((~crossed).sum()),
        "spoiled": int(bad.sum()),
        "spoiled_value_vnd": int(scenario.value_vnd[bad].sum()),
        # Trucks that gave up before spoiling: their goods go back to be sold at home, at a loss
        # that is not the border's spoilage (reported apart, never added to it).
        "left": int(gone.sum()),
        "left_value_vnd": int(scenario.value_vnd[gone].sum()),
        "mean_wait_hours": round(float(waits.mean()), 3) if len(waits) else 0.0,
        "p95_wait_hours": round(float(np.percentile(waits, 95)), 3) if len(waits) else 0.0,
        "truck_hours_waiting": round(float(waits.sum()), 3),
        # Per yard (gates that share one are counted together; by default each gate's yard
        # is its own and keyed by the gate's id).
        "max_yard_occupancy": {
            yard: int(by_yard[k].max(initial=0)) for k, yard in enumerate(scenario.yard_ids)
        },
        "held_at_origin_hours": round(float(outcome.held_hours.sum()), 3),
    }


def to_json(scenario: Scenario, outcome: Outcome) -> dict[str, Any]:
    # Column by column in NumPy, then one pass of zip: a loop over trucks indexing arrays cost
    # a second per 200,000 trucks.
    waits = np.round(wait_hours(scenario, outcome), 4).tolist()
    bad = spoiled(scenario, outcome).tolist()
    gone_hours = left_hour(scenario, outcome)
    gone = [None if x != x else x for x in np.round(gone_hours, 4).tolist()]  # nan → None
    gate_ids = np.asarray(scenario.gate_ids, dtype=object)[outcome.gate_index].tolist()
    cross = [None if c < 0 else c for c in outcome.cross_hour.tolist()]
    trucks = [
        {"id": i, "gate": g, "cross_hour": c, "wait_hours": w, "spoiled": b, "left_hour": x}
        for i, g, c, w, b, x in zip(
            scenario.truck_ids, gate_ids, cross, waits, bad, gone, strict=True
        )
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
