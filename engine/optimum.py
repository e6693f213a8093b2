"""The clairvoyant optimum and the fluid bound: what no online policy can beat.

``optimum`` knows every truck in advance. It minimises first the value of spoiled trucks, then
the hours waited, in two exact steps:

1. **Which perishables to save.** Perishables that can still spoil within the horizon are
   matched to (gate, slot) pairs inside their freshness window by min-cost flow (OR-Tools), each
   match worth its value; capacity per slot bounds the matches. This is the whole spoilage
   question: every other truck can only take capacity the saved ones leave.
2. **Who crosses when.** Without diversion, any schedule that never leaves a slot idle while
   trucks wait has the same total waiting time at a gate, so the saved set goes earliest
   deadline first (which meets every deadline of a feasible set of unit jobs) and everyone
   else fills the remaining capacity first come, first served. With diversion the choice of
   gate changes waiting, so a second min-cost flow assigns every truck (saved ones inside their
   windows) through a per-gate *waiting chain* whose arcs cost one hour each.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict

import numpy as np
from ortools.graph.python import min_cost_flow

from engine.ordering import order, ranks
from engine.result import Outcome
from engine.scenario import BoolArray, IntArray, Scenario

#: Arc costs must stay below about 2^63 / (2.4 × nodes) for OR-Tools' cost scaling.
COST_BUDGET = 2**56


def _solve(
    tails: list[int], heads: list[int], caps: list[int], costs: list[int], supplies: IntArray
) -> IntArray:
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.asarray(tails, dtype=np.int64),
        np.asarray(heads, dtype=np.int64),
        np.asarray(caps, dtype=np.int64),
        np.asarray(costs, dtype=np.int64),
    )
    flow.set_nodes_supplies(np.arange(len(supplies), dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not solve to optimality ({status})")
    result: IntArray = flow.flows(np.arange(len(tails), dtype=np.int64))
    return result


def _options(scenario: Scenario, i: int, use_alternatives: bool) -> list[tuple[int, int]]:
    """(gate, first slot) the truck could use: its own, and alternatives after transit."""
    own = int(scenario.gate_index[i])
    ready = float(scenario.ready_hour[i])
    found = [(own, math.ceil(ready))]
    if use_alternatives:
        found += [(x, math.ceil(ready + scenario.transit(own, x))) for x in scenario.alt_gates[i]]
    return found


def save_perishables(
    scenario: Scenario, *, use_alternatives: bool = True
) -> tuple[BoolArray, IntArray]:
    """Step 1: the most valuable set of perishables that can all cross before spoiling.

    Returns ``(saved, gate)`` with the gate each saved truck is matched to.
    """
    n, horizon, gates = scenario.n_trucks, scenario.horizon_hours, len(scenario.gates)
    deadline = scenario.deadline()
    at_risk = np.flatnonzero(scenario.perishable & (np.ceil(deadline) <= horizon))
    saved = np.zeros(n, dtype=np.bool_)
    gate = scenario.gate_index.copy()
    if len(at_risk) == 0:
        return saved, gate
    k = len(at_risk)

    def slot_node(g: int, h: int) -> int:
        return k + g * horizon + h

    sink = k + gates * horizon
    top = int(scenario.value_vnd[at_risk].max(initial=1)) or 1
    unit = max(1, math.ceil(top / (COST_BUDGET // (sink + 1))))
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []
    match: list[tuple[int, int]] = []  # (truck, gate) for arcs that save a truck
    capacity = scenario.capacity
    for node, i in enumerate(at_risk.tolist()):
        tails.append(node)
        heads.append(sink)
        caps.append(1)
        costs.append(0)
        match.append((-1, -1))
        worth = -(int(scenario.value_vnd[i]) // unit + 1)  # +1: a worthless truck still counts
        last = math.ceil(deadline[i])
        for g, first in _options(scenario, i, use_alternatives):
            for h in range(first, min(last, horizon)):
                if capacity[g, h]:
                    tails.append(node)
                    heads.append(slot_node(g, h))
                    caps.append(1)
                    costs.append(worth)
                    match.append((i, g))
    for g in range(gates):
        for h in range(horizon):
            if capacity[g, h]:
                tails.append(slot_node(g, h))
                heads.append(sink)
                caps.append(int(capacity[g, h]))
                costs.append(0)
                match.append((-1, -1))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:k] = 1
    supplies[sink] = -k
    flows = _solve(tails, heads, caps, costs, supplies)
    for a in np.flatnonzero(flows).tolist():
        i, g = match[a]
        if i >= 0:
            saved[i] = True
            gate[i] = g
    return saved, gate


def optimum(scenario: Scenario, *, use_alternatives: bool = True) -> Outcome:
    use_alternatives = use_alternatives and any(scenario.alt_gates)
    saved, gate = save_perishables(scenario, use_alternatives=use_alternatives)
    if use_alternatives:
        cross, gate = _schedule_with_diversion(scenario, saved, gate)
    else:
        cross = _schedule_one_gate_each(scenario, saved)
    entry = scenario.ready_hour.copy()
    for i in np.flatnonzero(gate != scenario.gate_index).tolist():
        entry[i] += scenario.transit(int(scenario.gate_index[i]), int(gate[i]))
    outcome = Outcome(
        policy="optimum",
        cross_hour=cross,
        gate_index=gate,
        yard_entry=entry,
        held_hours=np.zeros(scenario.n_trucks),
    )
    outcome.notes["fluid_bound_truck_hours"] = round(fluid_bound(scenario), 3)
    outcome.notes["saved_perishables"] = int(saved.sum())
    return outcome


def _schedule_one_gate_each(scenario: Scenario, saved: BoolArray) -> IntArray:
    """Saved trucks earliest deadline first, then everyone else first come, first served."""
    n, horizon = scenario.n_trucks, scenario.horizon_hours
    rank_d = ranks(order([scenario.deadline(), scenario.ready_hour], scenario.truck_ids)).tolist()
    rank_f = ranks(order([scenario.ready_hour], scenario.truck_ids)).tolist()
    by_d = [0] * n
    by_f = [0] * n
    for i in range(n):
        by_d[rank_d[i]] = i
        by_f[rank_f[i]] = i
    cross = np.full(n, -1, dtype=np.int64)
    eligible = np.ceil(scenario.ready_hour).astype(np.int64)
    saved_list = saved.tolist()
    for g in range(len(scenario.gates)):
        mine = np.flatnonzero(scenario.gate_index == g)
        mine = mine[np.argsort(eligible[mine], kind="stable")].tolist()
        capacity = scenario.capacity[g].tolist()
        first: list[int] = []
        rest: list[int] = []
        p = 0
        for h in range(horizon):
            while p < len(mine) and eligible[mine[p]] <= h:
                i = mine[p]
                heapq.heappush(first, rank_d[i]) if saved_list[i] else heapq.heappush(
                    rest, rank_f[i]
                )
                p += 1
            for _ in range(capacity[h]):
                if first:
                    cross[by_d[heapq.heappop(first)]] = h
                elif rest:
                    cross[by_f[heapq.heappop(rest)]] = h
                else:
                    break
    return cross


def _schedule_with_diversion(
    scenario: Scenario, saved: BoolArray, gate: IntArray
) -> tuple[IntArray, IntArray]:
    """All trucks by min-cost flow on waiting hours; saved ones stay inside their windows."""
    n, horizon, gates = scenario.n_trucks, scenario.horizon_hours, len(scenario.gates)

    def slot_node(g: int, h: int) -> int:
        return n + g * horizon + h

    def chain_node(g: int, h: int) -> int:
        return n + gates * horizon + g * (horizon + 1) + h

    sink = n + gates * horizon + gates * (horizon + 1)
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []
    kinds: list[tuple[int, int, int]] = []

    def arc(
        t: int, hd: int, cap: int, cost: int, kind: tuple[int, int, int] = (-1, -1, -3)
    ) -> None:
        tails.append(t)
        heads.append(hd)
        caps.append(cap)
        costs.append(cost)
        kinds.append(kind)

    capacity = scenario.capacity
    chain_exit: dict[tuple[int, int], int] = {}
    for g in range(gates):
        for h in range(horizon):
            if capacity[g, h]:
                arc(slot_node(g, h), sink, int(capacity[g, h]), 0)
                chain_exit[(g, h)] = len(tails)
                arc(chain_node(g, h), slot_node(g, h), n, 0)
            arc(chain_node(g, h), chain_node(g, h + 1), n, 1)
        arc(chain_node(g, horizon), sink, n, 0)
    deadline = scenario.deadline()
    for i in range(n):
        ref = math.ceil(float(scenario.ready_hour[i]))
        for x, first in _options(scenario, i, True):
            if saved[i]:
                for h in range(first, min(math.ceil(deadline[i]), horizon)):
                    if capacity[x, h]:
                        arc(i, slot_node(x, h), 1, h - ref, (i, x, h))
            elif first >= horizon:
                arc(i, chain_node(x, horizon), 1, horizon - ref, (i, x, -2))
            else:
                arc(i, chain_node(x, first), 1, first - ref, (i, x, -1))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    flows = _solve(tails, heads, caps, costs, supplies)
    cross = np.full(n, -1, dtype=np.int64)
    gate = scenario.gate_index.copy()
    entrants: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a in np.flatnonzero(flows).tolist():
        i, x, h = kinds[a]
        if i < 0:
            continue
        gate[i] = x
        if h >= 0:
            cross[i] = h
        elif h == -1:
            entrants[x].append((heads[a] - chain_node(x, 0), i))
    for x, joined in entrants.items():
        joined.sort()
        leaving = [
            h
            for h in range(horizon)
            if (x, h) in chain_exit
            for _ in range(int(flows[chain_exit[(x, h)]]))
        ]
        for (entered, i), h in zip(joined, leaving, strict=False):
            if h < entered:
                raise RuntimeError("chain matching let a truck leave before it joined")
            cross[i] = h
    return cross, gate


def fluid_bound(scenario: Scenario) -> float:
    """A lower bound on total truck-hours waited under any policy.

    Gates linked by alternatives are pooled as one gate with no transit, and every slot's
    capacity serves whatever has arrived: the smallest backlog any schedule could have after
    each slot. Summed over slots, plus each truck's wait to its first slot, it bounds
    ``truck_hours_waiting`` from below.
    """
    horizon = scenario.horizon_hours
    parent = list(range(len(scenario.gates)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, alts in enumerate(scenario.alt_gates):
        for a in alts:
            parent[find(a)] = find(int(scenario.gate_index[i]))
    groups = np.asarray([find(g) for g in range(len(scenario.gates))])
    eligible = np.ceil(scenario.ready_hour).astype(np.int64)
    total = float((eligible - scenario.ready_hour).sum())
    for root in np.unique(groups).tolist():
        member_gates = np.flatnonzero(groups == root)
        mine = np.isin(scenario.gate_index, member_gates)
        arrivals = np.bincount(eligible[mine], minlength=horizon)[:horizon].tolist()
        capacity = scenario.capacity[member_gates].sum(axis=0).tolist()
        backlog = 0
        for a, c in zip(arrivals, capacity, strict=True):
            backlog = max(0, backlog + a - c)
            total += backlog
    return total
