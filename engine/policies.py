"""Online policies: who crosses in each hourly slot, knowing only trucks already ready.

``fifo``      first come, first served per gate: what happened in 2021.
``edf``       the green lane: earliest spoilage deadline first.
``priority``  EDF among perishables that can still be saved, value-aware: every few slots a
              Moore–Hodgson pass over the waiting perishables finds those that cannot all make
              their deadlines with the published capacity and gives up the least valuable ones
              first, so that doomed trucks no longer push savable ones past their deadlines (EDF's
              domino effect under overload). Others then go first come, first served.
``admission`` ``priority`` in the yard, plus hold-at-origin: each day the board announces the
              day's capacity, and trucks that would push the yard over its capacity are told to
              wait at origin and come when there is room.
``divert``    ``priority`` at each gate, plus: a truck with alternative gates goes where its
              expected crossing (queue ahead through the published capacity, plus transit) is
              earliest.
``reserve``   ``divert`` whose choice of which perishables to save also keeps room for the
              perishables expected in the next days (a persistence forecast of the last days),
              checked every open slot: within 1.10× the optimum's spoiled value on the generated
              capacity-cut instances (engine/instances.py, docs/benchmarks.md).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

import numpy as np

from engine.ordering import order, ranks
from engine.result import Outcome
from engine.scenario import IntArray, Scenario

#: How often (in open slots) ``priority`` re-checks which waiting perishables can still be saved.
DOOM_CHECK_EVERY = 3


def fifo(scenario: Scenario) -> Outcome:
    """First come, first served per gate by ``(ready_hour, id)``, computed in closed form.

    With trucks in FIFO order, the number crossed by the end of slot h is
    ``D[h] = min(A[h], D[h-1] + capacity[h])`` where ``A[h]`` counts trucks ready by h; the
    i-th truck crosses in the first slot where ``D`` exceeds i.
    """
    if scenario.reneging:
        # Trucks that give up leave gaps the closed form cannot see: run the queue slot by slot.
        return fifo_by_rank(scenario)
    n, horizon = scenario.n_trucks, scenario.horizon_hours
    cross = np.full(n, -1, dtype=np.int64)
    eligible = np.ceil(scenario.ready_hour).astype(np.int64)
    fifo_order = order([scenario.ready_hour], scenario.truck_ids)
    for g in range(len(scenario.gates)):
        mine = fifo_order[scenario.gate_index[fifo_order] == g]
        if len(mine) == 0:
            continue
        arrived = np.cumsum(np.bincount(eligible[mine], minlength=horizon)[:horizon])
        capacity = scenario.capacity[g].tolist()
        done = np.empty(horizon, dtype=np.int64)
        total = 0
        for h, (a, c) in enumerate(zip(arrived.tolist(), capacity, strict=True)):
            total = min(a, total + c)
            done[h] = total
        slot = np.searchsorted(done, np.arange(len(mine)), side="right")
        cross[mine] = np.where(slot < horizon, slot, -1)
    return _outcome("fifo", scenario, cross)


def edf(scenario: Scenario) -> Outcome:
    """Earliest deadline first, by ``(ready_hour + shelf_life_hours, ready_hour, id)``."""
    rank = ranks(order([scenario.deadline(), scenario.ready_hour], scenario.truck_ids))
    return _outcome("edf", scenario, _by_rank(scenario, rank))


def fifo_by_rank(scenario: Scenario) -> Outcome:
    """FIFO through the same heap loop as ``edf`` (a cross-check of the closed form)."""
    rank = ranks(order([scenario.ready_hour], scenario.truck_ids))
    return _outcome("fifo", scenario, _by_rank(scenario, rank))


def _outcome(policy: str, scenario: Scenario, cross: IntArray) -> Outcome:
    return Outcome(
        policy=policy,
        cross_hour=cross,
        gate_index=scenario.gate_index.copy(),
        yard_entry=scenario.ready_hour.copy(),
        held_hours=np.zeros(scenario.n_trucks),
    )


def _by_rank(scenario: Scenario, rank: IntArray) -> IntArray:
    """Each slot, each gate sends its ready trucks of lowest rank, up to capacity; a truck whose
    patience ran out before the slot began has left and takes no place."""
    n, horizon = scenario.n_trucks, scenario.horizon_hours
    cross = np.full(n, -1, dtype=np.int64)
    truck_of_rank = np.empty(n, dtype=np.int64)
    truck_of_rank[rank] = np.arange(n)
    leave_of_rank = scenario.leave_hour()[truck_of_rank].tolist()
    eligible = np.ceil(scenario.ready_hour).astype(np.int64)
    for g in range(len(scenario.gates)):
        mine = np.flatnonzero(scenario.gate_index == g)
        mine = mine[np.argsort(eligible[mine], kind="stable")]
        arrivals = eligible[mine].tolist()
        arrival_ranks = rank[mine].tolist()
        capacity = scenario.capacity[g].tolist()
        heap: list[int] = []
        crossed_ranks: list[int] = []
        crossed_slots: list[int] = []
        p, count, h = 0, len(mine), 0
        push, pop = heapq.heappush, heapq.heappop
        while h < horizon:
            while p < count and arrivals[p] <= h:
                push(heap, arrival_ranks[p])
                p += 1
            if not heap:
                if p == count:
                    break
                h = arrivals[p]
                continue
            room = capacity[h]
            while room and heap:
                r = pop(heap)
                if leave_of_rank[r] <= h:
                    continue  # gave up before this slot
                crossed_ranks.append(r)
                crossed_slots.append(h)
                room -= 1
            h += 1
        if crossed_ranks:
            cross[truck_of_rank[np.asarray(crossed_ranks, dtype=np.int64)]] = crossed_slots
    return cross


class _General:
    """The slot-by-slot simulation behind ``priority``, ``admission`` and ``divert``."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        admission: bool,
        divert: bool,
        origin_rate: float,
        lookahead_hours: int = 0,
        doom_every: int = DOOM_CHECK_EVERY,
    ) -> None:
        self.sc = scenario
        self.admission, self.divert, self.origin_rate = admission, divert, origin_rate
        self.lookahead = lookahead_hours
        self.doom_every = doom_every
        # Perishables that reached each gate, in order: (ready hour, truck), for the forecast.
        self.seen: list[list[tuple[float, int]]] = [[] for _ in scenario.gates]
        n, horizon, gates = scenario.n_trucks, scenario.horizon_hours, len(scenario.gates)
        self.deadline = scenario.deadline().tolist()
        neg_value = -scenario.value_vnd.astype(np.float64)
        by_deadline = order(
            [scenario.deadline(), neg_value, scenario.ready_hour], scenario.truck_ids
        )
        by_arrival = order([scenario.ready_hour], scenario.truck_ids)
        # rank_*[truck] is its position in the order; by_rank_*[position] is the truck.
        self.rank_p = ranks(by_deadline).tolist()
        self.rank_f = ranks(by_arrival).tolist()
        self.by_rank_p = by_deadline.tolist()
        self.by_rank_f = by_arrival.tolist()
        self.value = scenario.value_vnd.tolist()
        self.perishable = scenario.perishable.tolist()
        self.capacity = scenario.capacity.tolist()
        self.cumcap = np.concatenate(
            [np.zeros((gates, 1), dtype=np.int64), np.cumsum(scenario.capacity, axis=1)], axis=1
        )
        self.cumcap_list = self.cumcap.tolist()
        # Places are counted per yard: gates that share one (a road's entry and exit) fill it
        # together. ``yard_of[g]`` is gate g's yard.
        self.yard_of = scenario.gate_yard
        caps: dict[int, float] = {}
        for g, gate in zip(self.yard_of, scenario.gates, strict=True):
            caps[g] = gate.yard_capacity if gate.yard_capacity is not None else math.inf
        self.yard_cap = [caps[y] for y in range(len(scenario.yard_ids))]
        yards = len(self.yard_cap)
        self.cross = [-1] * n
        self.leave = scenario.leave_hour().tolist()
        self.gone = [False] * n  # gave up waiting
        self.decided = [False] * n  # its gate chosen (counted in ``committed``)
        self.inside = [False] * n  # in a yard (entered, not crossed, not gone)
        self.leaving_at: list[list[int]] = [[] for _ in range(horizon + 1)]
        for i, t in enumerate(self.leave):
            if t <= horizon:
                self.leaving_at[max(0, math.ceil(t))].append(i)
        self.gate = scenario.gate_index.tolist()
        self.entry = scenario.ready_hour.tolist()
        self.held = [0.0] * n
        self.heap_p: list[list[int]] = [[] for _ in range(gates)]
        self.heap_o: list[list[int]] = [[] for _ in range(gates)]
        self.origin: list[list[tuple[int, int]]] = [[] for _ in range(gates)]
        self.occupancy = [0] * yards
        self.committed = [0] * gates  # assigned to the gate and not crossed (diversion estimates)
        self.quota = [math.inf] * gates  # trucks each gate may still admit today
        self.pending: list[list[int]] = [[] for _ in range(horizon + 1)]
        self.open_slots_seen = [0] * gates
        eligible = np.ceil(scenario.ready_hour).astype(np.int64)
        self.ready_at: list[list[int]] = [[] for _ in range(horizon + 1)]
        for i in np.argsort(eligible, kind="stable").tolist():
            self.ready_at[int(eligible[i])].append(i)

    def run(self, policy: str) -> Outcome:
        sc, horizon = self.sc, self.sc.horizon_hours
        gates = range(len(sc.gates))
        for h in range(horizon):
            for i in self.leaving_at[h]:
                self._give_up(i)
            for i in self.ready_at[h]:
                if not self.gone[i]:
                    self._decide(i, h)
            if self.admission and h % 24 == 0:
                self._set_quotas(h)
            for i in self.pending[h]:
                if self.gone[i]:
                    continue
                g = self.gate[i]
                if self.admission:
                    heapq.heappush(self.origin[g], self._origin_key(i, h))
                else:
                    self._enter_yard(i, g, h)
            if self.admission:
                for g in gates:
                    self._admit(g, h)
            for g in gates:
                if self.heap_p[g] or self.heap_o[g]:
                    self._serve(g, h)
        for g in gates:  # still held at origin at the horizon
            for _key, i in self.origin[g]:
                if self.gone[i]:
                    continue
                self.held[i] = horizon - math.ceil(self.entry[i])
                self.entry[i] = float(horizon)
        return Outcome(
            policy=policy,
            cross_hour=np.asarray(self.cross, dtype=np.int64),
            gate_index=np.asarray(self.gate, dtype=np.int64),
            yard_entry=np.asarray(self.entry, dtype=np.float64),
            held_hours=np.asarray(self.held, dtype=np.float64),
            origin_rate=self.origin_rate,
        )

    def _give_up(self, i: int) -> None:
        """Truck ``i``'s patience ran out: it leaves the yard, the origin queue or the road.
        Heaps drop it lazily (skipped when it comes up)."""
        if self.cross[i] >= 0 or self.gone[i]:
            return
        self.gone[i] = True
        g = self.gate[i]
        if self.inside[i]:
            self.inside[i] = False
            self.occupancy[self.yard_of[g]] -= 1
        else:
            # Held at origin, on the way after a diversion, or not even ready for a slot yet:
            # it never entered the yard.
            came = math.ceil(self.entry[i])
            if self.admission:
                self.held[i] = max(0.0, self.leave[i] - came)
            self.entry[i] = float(self.sc.horizon_hours)
        if self.decided[i]:
            self.committed[g] -= 1

    def _decide(self, i: int, h: int) -> None:
        own = self.gate[i]
        choice, arrival = own, h
        alternatives = self.sc.alt_gates[i] if self.divert else ()
        if alternatives:
            best = self._expected_cross(own, h)
            for alt in alternatives:
                entry = self.sc.ready_hour[i] + self.sc.transit(own, alt)
                slot = math.ceil(entry)
                expected = self._expected_cross(alt, slot)
                if expected < best:
                    best, choice, arrival = expected, alt, slot
            if choice != own:
                self.gate[i] = choice
                self.entry[i] = float(self.sc.ready_hour[i] + self.sc.transit(own, choice))
        self.committed[choice] += 1
        self.decided[i] = True
        if arrival < self.sc.horizon_hours:
            self.pending[arrival].append(i)
        else:
            self.entry[i] = float(self.sc.horizon_hours)

    def _expected_cross(self, g: int, slot: int) -> float:
        """The first slot by which the published capacity clears everyone committed, plus one."""
        if slot >= self.sc.horizon_hours:
            return math.inf
        need = self.cumcap[g, slot] + self.committed[g] + 1
        found = int(np.searchsorted(self.cumcap[g], need, side="left"))
        return math.inf if found > self.sc.horizon_hours else float(found - 1)

    def _set_quotas(self, h: int) -> None:
        """At the start of each day each gate may admit what it clears today plus its share of
        its yard's free places, shared in proportion to what each gate sharing the yard clears
        today. A gate alone in its yard admits ``room + today``; in a shared yard a blocked lane
        (exits closed) cannot fill the places the other lane's trucks need to cross."""
        horizon = self.sc.horizon_hours
        gates = range(len(self.sc.gates))
        today = [self.cumcap_list[g][min(h + 24, horizon)] - self.cumcap_list[g][h] for g in gates]
        per_yard = [0] * len(self.yard_cap)
        members = [0] * len(self.yard_cap)
        for g in gates:
            per_yard[self.yard_of[g]] += today[g]
            members[self.yard_of[g]] += 1
        for g in gates:
            y = self.yard_of[g]
            room = self.yard_cap[y] - self.occupancy[y]
            if math.isinf(room):
                self.quota[g] = math.inf
                continue
            share = today[g] / per_yard[y] if per_yard[y] else 1 / members[y]
            self.quota[g] = today[g] + math.floor(room * share)

    def _origin_key(self, i: int, h: int) -> tuple[int, int]:
        """Savable perishables first by deadline, then the rest first come, first served."""
        savable = self.perishable[i] and self.deadline[i] > h
        return (self.rank_p[i] if savable else len(self.rank_p) + self.rank_f[i]), i

    def _admit(self, g: int, h: int) -> None:
        origin, y = self.origin[g], self.yard_of[g]
        while origin and self.occupancy[y] < self.yard_cap[y] and self.quota[g] > 0:
            key, i = heapq.heappop(origin)
            if self.gone[i]:
                continue
            if key < len(self.rank_p) and self.deadline[i] <= h:  # spoiled while held: requeue
                heapq.heappush(origin, self._origin_key(i, h))
                continue
            came = math.ceil(self.entry[i])
            if h > came:
                self.held[i] = float(h - came)
                self.entry[i] = float(h)
            self.quota[g] -= 1
            self._enter_yard(i, g, h)

    def _enter_yard(self, i: int, g: int, h: int) -> None:
        self.occupancy[self.yard_of[g]] += 1
        self.inside[i] = True
        if self.lookahead and self.perishable[i]:
            self.seen[g].append((self.entry[i], i))
        if self.perishable[i] and self.deadline[i] > h:
            heapq.heappush(self.heap_p[g], self.rank_p[i])
        else:
            heapq.heappush(self.heap_o[g], self.rank_f[i])

    def _serve(self, g: int, h: int) -> None:
        heap_p, heap_o, by_p, by_f = self.heap_p[g], self.heap_o[g], self.by_rank_p, self.by_rank_f
        while heap_p and self.deadline[by_p[heap_p[0]]] <= h:  # spoiled while waiting
            i = by_p[heapq.heappop(heap_p)]
            if not self.gone[i]:
                heapq.heappush(heap_o, self.rank_f[i])
        capacity = self.capacity[g][h]
        if capacity == 0:
            return
        self.open_slots_seen[g] += 1
        every = self.doom_every
        if heap_p and len(heap_p) > capacity and self.open_slots_seen[g] % every == 1 % every:
            self._give_up_doomed(g, h)
            heap_p = self.heap_p[g]
        room = capacity
        while room:
            if heap_p:
                i = by_p[heapq.heappop(heap_p)]
            elif heap_o:
                i = by_f[heapq.heappop(heap_o)]
            else:
                break
            if self.gone[i]:
                continue  # gave up before this slot: takes no place
            self.cross[i] = h
            self.inside[i] = False
            self.occupancy[self.yard_of[g]] -= 1
            self.committed[g] -= 1
            room -= 1

    def _give_up_doomed(self, g: int, h: int) -> None:
        """Moore–Hodgson by value: keep the most valuable set that can all meet their deadlines."""
        by_p, cumcap, horizon = self.by_rank_p, self.cumcap_list[g], self.sc.horizon_hours
        kept: list[tuple[int, int]] = []  # min-heap of (value, rank); rank < 0: expected truck
        base = cumcap[h]
        jobs = []
        for r in self.heap_p[g]:
            i = by_p[r]
            if not self.gone[i]:
                jobs.append((math.ceil(min(self.deadline[i], self.leave[i])), r, self.value[i]))
        jobs.sort()
        for k, (last, value) in enumerate(self._expected(g, h)):
            jobs.append((last, -1 - k, value))
        if self.lookahead:
            jobs.sort()
        for last, r, value in jobs:
            heapq.heappush(kept, (value, r))
            if last > horizon:
                continue  # still waiting at the horizon is not spoiled for this truck
            if len(kept) > cumcap[last] - base:
                _v, dropped = heapq.heappop(kept)
                if dropped >= 0:
                    heapq.heappush(self.heap_o[g], self.rank_f[by_p[dropped]])
        self.heap_p[g] = [r for _v, r in kept if r >= 0]
        heapq.heapify(self.heap_p[g])

    def _expected(self, g: int, h: int) -> list[tuple[int, int]]:
        """The perishables expected over the next ``lookahead`` hours: those of the last
        ``lookahead`` hours again, mirrored in time (a persistence forecast). Returned as
        (last slot that saves it, value); they compete for the capacity but never cross."""
        if not self.lookahead:
            return []
        seen = self.seen[g]
        while seen and seen[0][0] < h - self.lookahead:
            seen.pop(0)
        return [
            (math.ceil(2 * h - ready + self.sc.shelf_life_hours[i]), self.value[i])
            for ready, i in seen
        ]


def priority(scenario: Scenario) -> Outcome:
    return _General(scenario, admission=False, divert=False, origin_rate=1.0).run("priority")


def admission(scenario: Scenario, *, origin_rate: float = 1.0) -> Outcome:
    """Hold at origin so that no yard exceeds its capacity; shelf life runs at ``origin_rate``
    there (1.0: as in the yard; 0.5 for goods kept cold at origin)."""
    return _General(scenario, admission=True, divert=False, origin_rate=origin_rate).run(
        "admission"
    )


#: How far ahead ``reserve`` expects perishables to keep coming as they came (chosen on generated
#: capacity-cut instances: 96 h reserved too little, 144 h no better; docs/benchmarks.md).
RESERVE_LOOKAHEAD_HOURS = 120


def reserve(scenario: Scenario, *, lookahead_hours: int = RESERVE_LOOKAHEAD_HOURS) -> Outcome:
    """``priority`` that keeps room for the perishables still to come. In every open slot, the
    most valuable set of waiting perishables it tries to save must fit the published capacity
    together with the perishables expected over the next ``lookahead_hours`` (those of the last
    ``lookahead_hours`` again, mirrored in time), so capacity is not spent on cheap fruit that
    dearer fruit arriving tomorrow will need. Trucks with other gates go where they are expected
    to cross first, as in ``divert``. Non-perishables keep first come, first served."""
    return _General(
        scenario,
        admission=False,
        divert=True,
        origin_rate=1.0,
        lookahead_hours=lookahead_hours,
        doom_every=1,
    ).run("reserve")


def divert(scenario: Scenario) -> Outcome:
    return _General(scenario, admission=False, divert=True, origin_rate=1.0).run("divert")


ONLINE: dict[str, Callable[[Scenario], Outcome]] = {
    "fifo": fifo,
    "edf": edf,
    "priority": priority,
    "admission": admission,
    "divert": divert,
    "reserve": reserve,
}
