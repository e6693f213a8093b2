"""Generated capacity-cut instances: the overloaded weeks the online policies are judged on.

Three gates run near their capacity; then China cuts it to a fraction for two weeks; 80 % of the
trucks are perishable with shelf lives of 3 to 10 days and values from VND 100 m to 1 bn. The
clairvoyant optimum's spoiled value is the yardstick: ``make bench`` reports each policy's
spoiled value divided by it, per seed.
"""

from __future__ import annotations

import random
from typing import Any

from engine.scenario import Scenario, parse_scenario

GATES = ("huu-nghi", "tan-thanh", "chi-ma")


def capacity_cut(
    seed: int,
    *,
    trucks: int = 9000,
    days: int = 30,
    cut_to: float = 0.25,
    cut_from_day: int = 8,
    cut_days: int = 14,
    load: float = 1.0,
    divert: float = 0.0,
    perishable_share: float = 0.8,
) -> Scenario:
    """``trucks`` arriving uniformly over ``days`` at ``load`` of the normal capacity, which is
    cut to ``cut_to`` of itself for ``cut_days`` from ``cut_from_day``; ``divert`` of the trucks
    may use another gate (2 h away)."""
    rng = random.Random(seed)
    horizon = days * 24
    per_hour = max(1, round(trucks / (len(GATES) * horizon) / load))
    cut = max(0, round(per_hour * cut_to))
    gates: list[dict[str, Any]] = []
    for g in GATES:
        segments = [{"from_hour": 0, "per_hour": per_hour}]
        segments.append({"from_hour": cut_from_day * 24, "per_hour": cut})
        segments.append({"from_hour": (cut_from_day + cut_days) * 24, "per_hour": per_hour})
        gates.append({"id": g, "yard_capacity": None, "capacity": segments})
    rows = []
    for k in range(trucks):
        gate = GATES[k % len(GATES)]
        perishable = rng.random() < perishable_share
        rows.append(
            {
                "id": f"t{k:06d}",
                "ready_hour": rng.uniform(0, horizon - 1),
                "gate": gate,
                "alt_gates": [x for x in GATES if x != gate] if rng.random() < divert else [],
                "perishable": perishable,
                "shelf_life_hours": rng.uniform(72, 240) if perishable else None,
                "value_vnd": rng.randrange(100_000_000, 1_000_000_000),
            }
        )
    return parse_scenario(
        {
            "name": f"capacity-cut-{seed}",
            "horizon_hours": horizon,
            "gates": gates,
            "diversions": [
                {"from": a, "to": b, "transit_hours": 2} for a in GATES for b in GATES if a != b
            ],
            "trucks": rows,
        }
    )
