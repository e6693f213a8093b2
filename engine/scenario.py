"""The scenario: the engine's public contract (documented in docs/engine.md).

A scenario is a JSON document: gates with piecewise-constant hourly capacity and a yard capacity,
trucks with the hour they are ready to cross. :func:`parse_scenario` turns it into typed,
validated objects and NumPy arrays, or raises :class:`ScenarioError` listing every problem with
the path of the field and, for trucks, their id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeGuard

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MAX_HORIZON_HOURS = 24 * 366 * 2


class ScenarioError(ValueError):
    """Every problem found in a scenario, each as ``path: message``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = "; ".join(self.problems[:20])
        more = f" (and {len(self.problems) - 20} more)" if len(self.problems) > 20 else ""
        super().__init__(f"invalid scenario: {shown}{more}")


@dataclass(frozen=True)
class Gate:
    id: str
    yard_capacity: int | None
    capacity: tuple[tuple[int, int], ...]  # (from_hour, per_hour), sorted, first at 0
    #: The yard this gate's trucks wait in; gates that name the same yard (a road's entry and
    #: exit lanes) share its places. Defaults to the gate's own id: a yard of its own.
    yard: str = ""

    @property
    def yard_id(self) -> str:
        return self.yard or self.id


@dataclass(frozen=True)
class Diversion:
    origin: str
    target: str
    transit_hours: float


@dataclass
class Scenario:
    """A validated scenario with column arrays for fast simulation.

    Trucks are kept in input order; ``gate_index[i]`` indexes ``gates``. ``capacity[g, h]`` is the
    number of trucks gate ``g`` can send in slot ``h``.
    """

    name: str
    start: datetime | None
    horizon_hours: int
    gates: list[Gate]
    truck_ids: list[str]
    ready_hour: FloatArray
    gate_index: IntArray
    perishable: BoolArray
    shelf_life_hours: FloatArray  # inf for non-perishables
    value_vnd: IntArray
    alt_gates: list[tuple[int, ...]]
    diversions: dict[tuple[int, int], float] = field(default_factory=dict)
    capacity: IntArray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    #: Hours a truck waits (in the yard or held at origin) before it gives up; inf: never.
    patience_hours: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))

    def __post_init__(self) -> None:
        if len(self.patience_hours) != len(self.truck_ids):
            self.patience_hours = np.full(len(self.truck_ids), np.inf, dtype=np.float64)

    @property
    def n_trucks(self) -> int:
        return len(self.truck_ids)

    @property
    def gate_ids(self) -> list[str]:
        return [g.id for g in self.gates]

    @property
    def yard_ids(self) -> list[str]:
        """Each yard once, in the order of its first gate."""
        return list(dict.fromkeys(g.yard_id for g in self.gates))

    @property
    def gate_yard(self) -> list[int]:
        """``gate_yard[g]``: the index in :attr:`yard_ids` of gate ``g``'s yard."""
        index = {y: k for k, y in enumerate(self.yard_ids)}
        return [index[g.yard_id] for g in self.gates]

    def deadline(self) -> FloatArray:
        """The hour from which a perishable truck is spoiled (inf for the others)."""
        return self.ready_hour + self.shelf_life_hours

    def leave_hour(self) -> FloatArray:
        """The hour a truck still waiting gives up and leaves (inf: it never does). It must
        cross in a slot that starts before then."""
        return self.ready_hour + self.patience_hours

    @property
    def reneging(self) -> bool:
        """Whether any truck can give up within the horizon."""
        return bool(np.any(self.leave_hour() < self.horizon_hours))

    def transit(self, origin: int, target: int) -> float:
        return self.diversions.get((origin, target), 0.0)


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_scenario(doc: Mapping[str, Any]) -> Scenario:
    problems: list[str] = []
    if not isinstance(doc, Mapping):
        raise ScenarioError(["(document): must be a JSON object"])
    name = doc.get("name", "")
    if not isinstance(name, str):
        problems.append("name: must be a string")
        name = ""
    start: datetime | None = None
    if "start" in doc:
        try:
            start = datetime.fromisoformat(str(doc["start"]))
            if start.tzinfo is None:
                problems.append("start: give a time zone, e.g. 2021-12-01T00:00:00+07:00")
        except ValueError:
            problems.append("start: must be an ISO 8601 date-time")
    horizon = doc.get("horizon_hours")
    if (
        not isinstance(horizon, int)
        or isinstance(horizon, bool)
        or not 1 <= horizon <= MAX_HORIZON_HOURS
    ):
        problems.append(f"horizon_hours: must be a whole number from 1 to {MAX_HORIZON_HOURS}")
        horizon = 1

    gates: list[Gate] = []
    raw_gates = doc.get("gates")
    if not isinstance(raw_gates, list) or not raw_gates:
        problems.append("gates: must be a non-empty list")
        raw_gates = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_gates):
        where = f"gates[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: must be an object")
            continue
        gid = raw.get("id")
        if not isinstance(gid, str) or not gid:
            problems.append(f"{where}.id: must be a non-empty string")
            continue
        where = f"gates[{i}] ({gid})"
        if gid in seen:
            problems.append(f"{where}.id: duplicate gate id")
        seen.add(gid)
        yard = raw.get("yard_capacity")
        if yard is not None and (not isinstance(yard, int) or isinstance(yard, bool) or yard < 0):
            problems.append(f"{where}.yard_capacity: must be a whole number ≥ 0 or null")
            yard = None
        segments: list[tuple[int, int]] = []
        raw_cap = raw.get("capacity")
        if not isinstance(raw_cap, list) or not raw_cap:
            problems.append(
                f"{where}.capacity: must be a non-empty list of {{from_hour, per_hour}}"
            )
            raw_cap = []
        for j, seg in enumerate(raw_cap):
            at = f"{where}.capacity[{j}]"
            if not isinstance(seg, Mapping):
                problems.append(f"{at}: must be an object")
                continue
            fh, ph = seg.get("from_hour"), seg.get("per_hour")
            if not isinstance(fh, int) or isinstance(fh, bool) or fh < 0:
                problems.append(f"{at}.from_hour: must be a whole number ≥ 0")
                continue
            if not isinstance(ph, int) or isinstance(ph, bool) or ph < 0:
                problems.append(f"{at}.per_hour: must be a whole number ≥ 0")
                continue
            if segments and fh <= segments[-1][0]:
                problems.append(f"{at}.from_hour: must be greater than the previous entry's")
                continue
            segments.append((fh, ph))
        if segments and segments[0][0] != 0:
            problems.append(f"{where}.capacity[0].from_hour: the first entry must start at hour 0")
        shared = raw.get("yard", "")
        if not isinstance(shared, str):
            problems.append(f"{where}.yard: must be a string (the id of a yard gates share)")
            shared = ""
        gates.append(Gate(gid, yard, tuple(segments), shared))
    places: dict[str, int | None] = {}
    for shares in gates:
        if shares.yard_id in places and places[shares.yard_id] != shares.yard_capacity:
            problems.append(
                f"gates ({shares.id}).yard_capacity: gates sharing yard {shares.yard_id!r} "
                "must give the same yard_capacity"
            )
        places.setdefault(shares.yard_id, shares.yard_capacity)
    gate_pos = {g.id: k for k, g in enumerate(gates)}

    diversions: dict[tuple[int, int], float] = {}
    for i, raw in enumerate(doc.get("diversions", []) or []):
        at = f"diversions[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{at}: must be an object")
            continue
        origin, target, hours = raw.get("from"), raw.get("to"), raw.get("transit_hours", 0)
        if origin not in gate_pos:
            problems.append(f"{at}.from: unknown gate {origin!r}")
        elif target not in gate_pos:
            problems.append(f"{at}.to: unknown gate {target!r}")
        elif not _number(hours) or hours < 0:
            problems.append(f"{at}.transit_hours: must be a number ≥ 0")
        else:
            diversions[(gate_pos[origin], gate_pos[target])] = float(hours)

    raw_trucks = doc.get("trucks")
    if not isinstance(raw_trucks, list):
        problems.append("trucks: must be a list")
        raw_trucks = []
    fast = None if problems else _trucks_at_once(raw_trucks, horizon, gate_pos)
    if fast is not None:
        return _assemble(name, start, horizon, gates, diversions, *fast)
    n = len(raw_trucks)
    ids: list[str] = []
    ready = np.zeros(n, dtype=np.float64)
    gate_index = np.zeros(n, dtype=np.int64)
    perishable = np.zeros(n, dtype=np.bool_)
    shelf = np.full(n, np.inf, dtype=np.float64)
    value = np.zeros(n, dtype=np.int64)
    patience = np.full(n, np.inf, dtype=np.float64)
    alts: list[tuple[int, ...]] = []
    seen_ids: set[str] = set()
    for i, raw in enumerate(raw_trucks):
        if not isinstance(raw, Mapping):
            problems.append(f"trucks[{i}]: must be an object")
            ids.append(f"#{i}")
            alts.append(())
            continue
        tid = raw.get("id")
        if not isinstance(tid, str) or not tid:
            problems.append(f"trucks[{i}].id: must be a non-empty string")
            tid = f"#{i}"
        where = f"trucks[{i}] ({tid})"
        if tid in seen_ids:
            problems.append(f"{where}.id: duplicate truck id")
        seen_ids.add(tid)
        ids.append(tid)
        r = raw.get("ready_hour")
        if not _number(r) or r < 0 or r >= horizon:
            problems.append(f"{where}.ready_hour: must be a number from 0 to below horizon_hours")
        else:
            ready[i] = float(r)
        g = raw.get("gate")
        if g not in gate_pos:
            problems.append(f"{where}.gate: unknown gate {g!r}")
        else:
            gate_index[i] = gate_pos[g]
        own: list[int] = []
        raw_alts = raw.get("alt_gates", []) or []
        if not isinstance(raw_alts, list):
            problems.append(f"{where}.alt_gates: must be a list of gate ids")
            raw_alts = []
        for a in raw_alts:
            if a not in gate_pos:
                problems.append(f"{where}.alt_gates: unknown gate {a!r}")
            elif a != g and gate_pos[a] not in own:
                own.append(gate_pos[a])
        alts.append(tuple(own))
        p = raw.get("perishable", False)
        if not isinstance(p, bool):
            problems.append(f"{where}.perishable: must be true or false")
            p = False
        perishable[i] = p
        life = raw.get("shelf_life_hours")
        if p:
            if not _number(life) or life <= 0:
                problems.append(f"{where}.shelf_life_hours: a perishable truck needs a number > 0")
            else:
                shelf[i] = float(life)
        v = raw.get("value_vnd", 0)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            problems.append(f"{where}.value_vnd: must be a whole number of đồng ≥ 0")
        else:
            value[i] = v
        wait = raw.get("patience_hours")
        if wait is not None:
            if not _number(wait) or wait <= 0:
                problems.append(f"{where}.patience_hours: must be a number > 0, or absent")
            else:
                patience[i] = float(wait)
    if problems:
        raise ScenarioError(problems)
    return _assemble(
        name,
        start,
        horizon,
        gates,
        diversions,
        ids,
        ready,
        gate_index,
        perishable,
        shelf,
        value,
        alts,
        patience,
    )


def _assemble(
    name: str,
    start: datetime | None,
    horizon: int,
    gates: list[Gate],
    diversions: dict[tuple[int, int], float],
    ids: list[str],
    ready: FloatArray,
    gate_index: IntArray,
    perishable: BoolArray,
    shelf: FloatArray,
    value: IntArray,
    alts: list[tuple[int, ...]],
    patience: FloatArray,
) -> Scenario:
    capacity = np.zeros((len(gates), horizon), dtype=np.int64)
    for k, gate in enumerate(gates):
        bounds = [s[0] for s in gate.capacity[1:]] + [horizon]
        for (fh, ph), until in zip(gate.capacity, bounds, strict=True):
            capacity[k, min(fh, horizon) : min(until, horizon)] = ph
    return Scenario(
        name=name,
        start=start,
        horizon_hours=horizon,
        gates=gates,
        truck_ids=ids,
        ready_hour=ready,
        gate_index=gate_index,
        perishable=perishable,
        shelf_life_hours=shelf,
        value_vnd=value,
        alt_gates=alts,
        diversions=diversions,
        capacity=capacity,
        patience_hours=patience,
    )


_Columns = tuple[
    list[str],
    FloatArray,
    IntArray,
    BoolArray,
    FloatArray,
    IntArray,
    list[tuple[int, ...]],
    FloatArray,
]


def _trucks_at_once(raw: list[Any], horizon: int, gate_pos: dict[str, int]) -> _Columns | None:
    """The trucks column by column, checked with NumPy; None as soon as anything is irregular,
    and the truck-by-truck loop of :func:`parse_scenario` then finds and words every problem.

    Types are checked a column at a time (``set(map(type, column))`` runs in C), so a
    well-formed scenario of 200,000 trucks is read several times faster than truck by truck."""
    numbers = {float, int}
    if set(map(type, raw)) - {dict}:
        return None
    n = len(raw)
    try:
        ids = [t["id"] for t in raw]
        ready_raw = [t["ready_hour"] for t in raw]
        gates = [gate_pos[t["gate"]] for t in raw]
    except (KeyError, TypeError):  # a field missing, or an unhashable gate
        return None
    id_set = set(ids)
    if set(map(type, ids)) - {str} or len(id_set) != n or "" in id_set:
        return None
    if set(map(type, ready_raw)) - numbers:
        return None
    ready = np.asarray(ready_raw, dtype=np.float64)
    if n and not (np.isfinite(ready).all() and ready.min() >= 0 and ready.max() < horizon):
        return None
    gate_index = np.asarray(gates, dtype=np.int64)
    flags = [t.get("perishable", False) for t in raw]
    if set(map(type, flags)) - {bool}:
        return None
    perishable = np.asarray(flags, dtype=np.bool_)
    shelf = np.full(n, np.inf, dtype=np.float64)
    wanted = np.flatnonzero(perishable).tolist()
    life = [raw[i].get("shelf_life_hours") for i in wanted]
    if set(map(type, life)) - numbers:
        return None
    if wanted:
        shelf[wanted] = life
        if not (np.isfinite(shelf[wanted]).all() and shelf[wanted].min() > 0):
            return None
    values = [t.get("value_vnd", 0) for t in raw]
    if set(map(type, values)) - {int}:
        return None
    value = np.asarray(values, dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
    if n and value.min() < 0:
        return None
    waits = [t.get("patience_hours") for t in raw]
    patience = np.full(n, np.inf, dtype=np.float64)
    kinds = set(map(type, waits))
    if kinds - numbers - {type(None)}:
        return None
    if kinds - {type(None)}:
        given = [i for i, x in enumerate(waits) if x is not None]
        patience[given] = [waits[i] for i in given]
        if not (np.isfinite(patience[given]).all() and patience[given].min() > 0):
            return None
    alts: list[tuple[int, ...]] = [()] * n
    listed_all = [t.get("alt_gates") for t in raw]
    for i in [i for i, x in enumerate(listed_all) if x]:
        listed = listed_all[i]
        if type(listed) is not list:
            return None
        own: list[int] = []
        for a in listed:
            k = gate_pos.get(a) if type(a) is str else None
            if k is None:
                return None
            if k != gates[i] and k not in own:
                own.append(k)
        alts[i] = tuple(own)
    if any(x is not None and x != [] and not x for x in listed_all):
        return None  # a falsy value other than null or []: the loop says what it makes of it
    return ids, ready, gate_index, perishable, shelf, value, alts, patience
