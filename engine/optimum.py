"""The clairvoyant optimum and the fluid bound: what no online policy can beat.

``optimum`` knows every truck in advance. It minimises first the value of spoiled trucks, then
the hours waited, in two exact steps, each a min-cost flow (OR-Tools):

1. **Which perishables to save.** Perishables that could spoil within the horizon are matched to
   (gate, slot) pairs inside their freshness window, each match worth the truck's value, with
   each slot's capacity as the bound. Every other truck can only take the capacity they leave.
2. **Who crosses when, and where.** Without diversion, any schedule that never leaves a slot
   idle while trucks wait has the same total waiting at a gate, so the saved trucks go earliest
   deadline first (which meets every deadline of a feasible set of unit jobs) and the others
   fill the remaining capacity first come, first served. With diversion, the gate matters: a
   second flow, whose slot arcs cost their hour, picks each truck's gate (saved trucks inside
   their windows), and each gate is then scheduled earliest deadline first.

A truck reaches the slots of its window through a segment tree over the hours of each gate: it
links to the O(log H) tree nodes that cover its window, and tree arcs lead down to the slots.
That keeps the network to a few dozen arcs per truck instead of one per hour of its window.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from engine.ordering import order, ranks
from engine.result import Outcome
from engine.scenario import BoolArray, IntArray, Scenario

#: Arc costs must stay below about 2^63 / (2.4 × nodes) for OR-Tools' cost scaling.
COST_BUDGET = 2**56


class _Network:
    """Arcs for one min-cost flow, with a segment tree of slots per gate."""

    def __init__(self, scenario: Scenario, trucks: int, slot_cost: bool) -> None:
        self.sc = scenario
        self.horizon = scenario.horizon_hours
        self.size = 1 << max(1, (self.horizon - 1).bit_length())
        self.trucks = trucks
        self.tree_base = trucks
        self.sink = trucks + len(scenario.gates) * 2 * self.size
        self.tails: list[int] = []
        self.heads: list[int] = []
        self.caps: list[int] = []
        self.costs: list[int] = []
        for g in range(len(scenario.gates)):
            base = self._node(g, 0)
            for node in range(1, self.size):
                for child in (2 * node, 2 * node + 1):
                    self.arc(base + node, base + child, trucks, 0)
            for h in range(self.horizon):
                cap = int(scenario.capacity[g, h])
                if cap:
                    self.arc(base + self.size + h, self.sink, cap, h if slot_cost else 0)

    def _node(self, g: int, node: int) -> int:
        return self.tree_base + g * 2 * self.size + node

    def arc(self, tail: int, head: int, cap: int, cost: int) -> int:
        self.tails.append(tail)
        self.heads.append(head)
        self.caps.append(cap)
        self.costs.append(cost)
        return len(self.tails) - 1

    def window(self, truck: int, g: int, first: int, last: int, cost: int) -> list[int]:
        """Arcs from a truck to the tree nodes covering slots [first, last) of gate g."""
        made = []
        lo, hi = first + self.size, min(last, self.horizon) + self.size
        while lo < hi:
            if lo & 1:
                made.append(self.arc(truck, self._node(g, lo), 1, cost))
                lo += 1
            if hi & 1:
                hi -= 1
                made.append(self.arc(truck, self._node(g, hi), 1, cost))
            lo >>= 1
            hi >>= 1
        return made

    def solve(self) -> IntArray:
        supplies = np.zeros(self.sink + 1, dtype=np.int64)
        supplies[: self.trucks] = 1
        supplies[self.sink] = -self.trucks
        return _solve(self.tails, self.heads, self.caps, self.costs, supplies)


def _solve(
    tails: list[int], heads: list[int], caps: list[int], costs: list[int], supplies: IntArray
) -> IntArray:
    # Imported here: OR-Tools takes a twentieth of a second to load, which every engine command
    # would pay otherwise.
    from ortools.graph.python import min_cost_flow

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
    horizon = scenario.horizon_hours
    deadline = scenario.deadline()
    # A truck that gives up before its goods spoil is never spoiled at the border.
    spoils_first = deadline <= scenario.leave_hour()
    at_risk = np.flatnonzero(
        scenario.perishable & spoils_first & (np.ceil(deadline) <= horizon)
    ).tolist()
    saved = np.zeros(scenario.n_trucks, dtype=np.bool_)
    gate = scenario.gate_index.copy()
    if not at_risk:
        return saved, gate
    net = _Network(scenario, len(at_risk), slot_cost=False)
    top = int(scenario.value_vnd[at_risk].max(initial=1)) or 1
    unit = max(1, math.ceil(top / (COST_BUDGET // (net.sink + 1))))
    owner: dict[int, tuple[int, int]] = {}
    for node, i in enumerate(at_risk):
        net.arc(node, net.sink, 1, 0)  # not saved
        worth = -(int(scenario.value_vnd[i]) // unit + 1)  # +1: a worthless truck still counts
        last = math.ceil(deadline[i])
        for g, first in _options(scenario, i, use_alternatives):
            for a in net.window(node, g, first, last, worth):
                owner[a] = (i, g)
    flows = net.solve()
    for a in np.flatnonzero(flows).tolist():
        if a in owner:
            i, g = owner[a]
            saved[i] = True
            gate[i] = g
    return saved, gate


def optimum(scenario: Scenario, *, use_alternatives: bool = True) -> Outcome:
    use_alternatives = use_alternatives and any(scenario.alt_gates)
    saved, gate = save_perishables(scenario, use_alternatives=use_alternatives)
    served = np.ones(scenario.n_trucks, dtype=np.bool_)
    if use_alternatives:
        gate, served = _choose_gates(scenario, saved)
    cross = _schedule(scenario, saved, gate, served)
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


def _choose_gates(scenario: Scenario, saved: BoolArray) -> tuple[IntArray, BoolArray]:
    """Step 2 with diversion: each truck's gate, minimising total hours waited."""
    n, horizon = scenario.n_trucks, scenario.horizon_hours
    net = _Network(scenario, n, slot_cost=True)
    deadline = scenario.deadline()
    # A truck that gives up stops waiting then: it must cross in a slot before it leaves.
    gives_up = np.minimum(np.ceil(scenario.leave_hour()), horizon).astype(np.int64).tolist()
    owner: dict[int, int] = {}
    for i in range(n):
        last = math.ceil(deadline[i]) if saved[i] else gives_up[i]
        if not saved[i]:
            net.arc(i, net.sink, 1, gives_up[i])  # still waiting at the horizon, or gone
        for g, first in _options(scenario, i, True):
            for a in net.window(i, g, first, last, 0):
                owner[a] = g
    flows = net.solve()
    gate = scenario.gate_index.copy()
    served = np.zeros(n, dtype=np.bool_)
    for a in np.flatnonzero(flows).tolist():
        if a in owner:
            i = net.tails[a]
            gate[i] = owner[a]
            served[i] = True
    return gate, served


def _schedule(scenario: Scenario, saved: BoolArray, gate: IntArray, served: BoolArray) -> IntArray:
    """Per gate: saved trucks earliest deadline first, then the others first come first served.

    Trucks the flow left unserved (only with diversion) wait to the horizon.
    """
    n, horizon = scenario.n_trucks, scenario.horizon_hours
    leave = scenario.leave_hour().tolist()
    by_deadline = order([scenario.deadline(), scenario.ready_hour], scenario.truck_ids)
    by_arrival = order([scenario.ready_hour], scenario.truck_ids)
    rank_d, rank_f = ranks(by_deadline).tolist(), ranks(by_arrival).tolist()
    by_d, by_f = by_deadline.tolist(), by_arrival.tolist()
    cross = np.full(n, -1, dtype=np.int64)
    first_slot = np.ceil(
        scenario.ready_hour
        + np.asarray(
            [
                scenario.transit(int(scenario.gate_index[i]), int(gate[i]))
                if gate[i] != scenario.gate_index[i]
                else 0.0
                for i in range(n)
            ]
        )
    ).astype(np.int64)
    saved_list = saved.tolist()
    for g in range(len(scenario.gates)):
        mine = np.flatnonzero((gate == g) & served)
        mine = mine[np.argsort(first_slot[mine], kind="stable")].tolist()
        capacity = scenario.capacity[g].tolist()
        urgent: list[int] = []
        rest: list[int] = []
        p = 0
        for h in range(horizon):
            while p < len(mine) and first_slot[mine[p]] <= h:
                i = mine[p]
                if saved_list[i]:
                    heapq.heappush(urgent, rank_d[i])
                else:
                    heapq.heappush(rest, rank_f[i])
                p += 1
            room = capacity[h]
            while room:
                if urgent:
                    i = by_d[heapq.heappop(urgent)]
                elif rest:
                    i = by_f[heapq.heappop(rest)]
                    if leave[i] <= h:
                        continue  # gave up before this slot
                else:
                    break
                cross[i] = h
                room -= 1
    return cross


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
    leave = scenario.leave_hour()
    # Waiting before the first slot counts only up to when a truck gives up.
    total = float((np.minimum(eligible, leave) - scenario.ready_hour).sum())
    # Backlog after slot h: trucks still there at h + 1. At most those whose patience ends in
    # (h, h + 1] can have left during it (a truck is gone from slot ceil(leave) on).
    # A truck gone before its first slot never joins the backlog.
    gone_after = np.ceil(leave) - 1
    stays = leave > eligible
    for root in np.unique(groups).tolist():
        member_gates = np.flatnonzero(groups == root)
        mine = np.isin(scenario.gate_index, member_gates) & stays
        arrivals = np.bincount(eligible[mine], minlength=horizon)[:horizon].tolist()
        quitting = gone_after[mine & (leave <= horizon)].astype(np.int64)
        quits = np.bincount(np.clip(quitting, 0, horizon), minlength=horizon + 1)[:horizon].tolist()
        capacity = scenario.capacity[member_gates].sum(axis=0).tolist()
        backlog = 0
        for a, c, q in zip(arrivals, capacity, quits, strict=True):
            backlog = max(0, backlog + a - c - q)
            total += backlog
    return total
