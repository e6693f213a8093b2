"""The same queue model written with SimPy: an independent oracle for ``fifo`` and ``edf``.

Each truck is a process that waits until its ready hour and joins its gate's priority store,
and, when it has a patience, a second process that takes it out of the store when its patience
runs out (reneging, as in SimPy's bank example); each gate is a process that wakes at the start
of every slot and sends up to that slot's capacity of the trucks waiting, lowest key first.
Trucks ready exactly at a slot's start are in time for it, and trucks whose patience ends at a
slot's start are gone before it (their timeouts were scheduled first, so SimPy runs them first).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np
import simpy

from engine.scenario import IntArray, Scenario

Key = Callable[[Scenario, int], tuple[float, ...]]


def fifo_key(sc: Scenario, i: int) -> tuple[float, ...]:
    return (float(sc.ready_hour[i]),)


def edf_key(sc: Scenario, i: int) -> tuple[float, ...]:
    return (float(sc.deadline()[i]), float(sc.ready_hour[i]))


def simulate(scenario: Scenario, key: Key) -> IntArray:
    env = simpy.Environment()
    stores = [simpy.PriorityStore(env) for _ in scenario.gates]
    cross = np.full(scenario.n_trucks, -1, dtype=np.int64)

    def truck(i: int) -> simpy.events.ProcessGenerator:
        yield env.timeout(float(scenario.ready_hour[i]))
        item = simpy.PriorityItem((*key(scenario, i), scenario.truck_ids[i]), i)
        store = stores[int(scenario.gate_index[i])]
        yield store.put(item)
        patience = float(scenario.patience_hours[i])
        if patience < scenario.horizon_hours:
            env.process(renege(store, item, patience))

    def renege(
        store: simpy.PriorityStore, item: simpy.PriorityItem, patience: float
    ) -> simpy.events.ProcessGenerator:
        yield env.timeout(patience)
        if item in store.items and cross[item.item] < 0:
            store.items.remove(item)  # gave up waiting: leaves the queue
            heapq.heapify(store.items)  # a PriorityStore keeps its items as a heap

    def gate(g: int) -> simpy.events.ProcessGenerator:
        store = stores[g]
        for h in range(scenario.horizon_hours):
            # Always yield, even for zero time: trucks due at h were scheduled earlier and go first.
            yield env.timeout(h - env.now)
            room = int(scenario.capacity[g, h])
            while room and store.items:
                item = yield store.get()
                i = item.item
                # A patience that ends exactly at h ends before the slot, even when the renege
                # process was scheduled after this gate's wake-up.
                if scenario.ready_hour[i] + scenario.patience_hours[i] <= h:
                    continue
                cross[i] = h
                room -= 1

    for i in range(scenario.n_trucks):
        env.process(truck(i))
    for g in range(len(scenario.gates)):
        env.process(gate(g))
    env.run(until=scenario.horizon_hours)
    return cross
