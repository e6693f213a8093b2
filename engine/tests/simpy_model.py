"""A plain SimPy model of the same queue, reading the same scenario file and writing each truck's
crossing as JSON: the yardstick for ``cuakhau simulate`` end to end (``make bench``).

    python -m engine.tests.simpy_model SCENARIO.json > result.json
"""

from __future__ import annotations

import json
import sys

import simpy


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        doc = json.load(handle)
    env = simpy.Environment()
    gates = {g["id"]: g for g in doc["gates"]}
    stores = {gid: simpy.PriorityStore(env) for gid in gates}
    cross: dict[str, int | None] = {t["id"]: None for t in doc["trucks"]}
    horizon = doc["horizon_hours"]

    def per_hour(gate: dict, h: int) -> int:
        value = 0
        for segment in gate["capacity"]:
            if segment["from_hour"] <= h:
                value = segment["per_hour"]
        return value

    def arrivals() -> simpy.events.ProcessGenerator:
        # One process walks the trucks in order of readiness (cheaper than a process a truck).
        for t in sorted(doc["trucks"], key=lambda t: (t["ready_hour"], t["id"])):
            if t["ready_hour"] > env.now:
                yield env.timeout(t["ready_hour"] - env.now)
            stores[t["gate"]].put(simpy.PriorityItem((t["ready_hour"], t["id"]), t["id"]))

    def gate(gid: str) -> simpy.events.ProcessGenerator:
        store = stores[gid]
        for h in range(horizon):
            yield env.timeout(h - env.now)
            for _ in range(per_hour(gates[gid], h)):
                if not store.items:
                    break
                item = yield store.get()
                cross[item.item] = h

    env.process(arrivals())
    for gid in gates:
        env.process(gate(gid))
    env.run(until=horizon)
    json.dump([{"id": k, "cross_hour": v} for k, v in cross.items()], sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
