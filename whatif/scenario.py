"""From the live state to engine scenarios: what is in the yards, declared and booked now, the
trucks the forecast expects on top, and the published capacity, hours and closures; then the
board's changes applied to a copy (the variant).

Each (gate, direction) is one engine gate, ``"huu-nghi/exit"``: capacity is published per
direction. A gate's yard limit is given to each of its directions (a yard shared by both flows
is compared with each flow's trucks; the engine has no shared yards).
"""

from __future__ import annotations

import copy
import math
import zlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cuakhau.errors import InvalidInput
from cuakhau.numbers import NumberError, parse_day, parse_decimal
from flow import planning
from flow.yards import Road, roads, yard_counts
from gates.choices import Flow
from shipments.choices import TruckState
from shipments.models import Declaration, GoodsLine

MIN_DAYS, MAX_DAYS = 3, 14
#: Hours a truck sent to Chi Ma instead takes to get there (inferred: about 100 km by road).
CHI_MA_TRANSIT_HOURS = 3.0
DIVERT_TO = ("chi-ma", "rail")
#: Truck loads a day the railway through Đồng Đăng takes: inferred, no capacity is published.
#: Đồng Đăng station handled over 400,000 t in Jan–Oct 2021 (haiquanonline.com.vn), about
#: 1,300 t a day, some 53 loads of 25 t; ×1.15 for a demonstrated peak, as the road plans.
RAIL_TRUCKLOADS_PER_DAY = 60
VND_PER_USD = planning.VND_PER_USD
NOT_ARRIVED = (TruckState.DECLARED, TruckState.ADMITTED)


@dataclass
class CapacityChange:
    """The gate clears ``percent`` of its published capacity in one direction from ``first``
    to ``last`` (0 closes it; 130 is more hours or lanes)."""

    gate: str
    flow: str
    first: date
    last: date
    percent: int


@dataclass
class Diversion:
    """``percent`` of the trucks due at the gate in one direction from ``first`` to ``last``
    go to Chi Ma or by rail instead."""

    gate: str
    flow: str
    first: date
    last: date
    percent: int
    to: str


@dataclass
class StopPerishables:
    """The gate takes no perishables in one direction from ``first`` on (they are not sent)."""

    gate: str
    flow: str
    first: date


@dataclass
class Spec:
    horizon_days: int = 7
    capacity: list[CapacityChange] = field(default_factory=list)
    diversions: list[Diversion] = field(default_factory=list)
    stop_perishables: list[StopPerishables] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        return plain(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Spec:
        return cls(
            horizon_days=int(data["horizon_days"]),
            capacity=[
                CapacityChange(
                    c["gate"],
                    c["flow"],
                    date.fromisoformat(c["first"]),
                    date.fromisoformat(c["last"]),
                    int(c["percent"]),
                )
                for c in data.get("capacity", [])
            ],
            diversions=[
                Diversion(
                    d["gate"],
                    d["flow"],
                    date.fromisoformat(d["first"]),
                    date.fromisoformat(d["last"]),
                    int(d["percent"]),
                    d["to"],
                )
                for d in data.get("diversions", [])
            ],
            stop_perishables=[
                StopPerishables(s["gate"], s["flow"], date.fromisoformat(s["first"]))
                for s in data.get("stop_perishables", [])
            ],
        )


def parse_form(data: Any, *, language: str, today: date) -> tuple[str, Spec]:
    """The what-if form (numbers and dates the Vietnamese way on a Vietnamese page): the run's
    name and its changes; every bad field is named, and at least one change is required."""
    errors: dict[str, list[str]] = {}
    gates = {road.code for road in roads()}

    def text(name: str) -> str:
        return str(data.get(name, "") or "").strip()

    def number(name: str, low: int, high: int) -> int | None:
        raw = text(name)
        try:
            value = parse_decimal(raw, language=language, places=0)
        except NumberError as exc:
            errors[name] = [str(exc)]
            return None
        if not low <= value <= high:
            errors[name] = [
                _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            ]
            return None
        return int(value)

    def day(name: str, required: bool = True) -> date | None:
        raw = text(name)
        if not raw and not required:
            return None
        try:
            value = parse_day(raw)
        except ValueError as exc:
            errors[name] = [str(exc)]
            return None
        if value is None:
            errors[name] = [_("Give a day as dd/mm/yyyy.")]
            return None
        return value

    def lane(prefix: str) -> tuple[str, str]:
        gate, flow = text(f"{prefix}_gate"), text(f"{prefix}_flow")
        if gate not in gates:
            errors[f"{prefix}_gate"] = [_("Choose a gate or route.")]
        if flow not in Flow.values:
            errors[f"{prefix}_flow"] = [_("Choose a direction.")]
        return gate, flow

    name = text("name")[:120]
    if not name:
        errors["name"] = [_("Name the run, e.g. “Tân Thanh exports closed 7 days”.")]
    horizon = number("horizon_days", MIN_DAYS, MAX_DAYS) if text("horizon_days") else 7
    spec = Spec(horizon_days=horizon or 7)
    last_day = today + timedelta(days=spec.horizon_days - 1)

    def period(prefix: str) -> tuple[date, date] | None:
        first, last = day(f"{prefix}_first"), day(f"{prefix}_last")
        if first is None or last is None:
            return None
        if last < first:
            errors[f"{prefix}_last"] = [_("The last day comes before the first.")]
            return None
        if last < today or first > last_day:
            errors[f"{prefix}_first"] = [_("The period is outside the days simulated.")]
            return None
        return first, last

    if data.get("capacity_on"):
        gate, flow = lane("capacity")
        percent = number("capacity_percent", 0, 300)
        dates = period("capacity")
        if dates and percent is not None:
            spec.capacity.append(CapacityChange(gate, flow, dates[0], dates[1], percent))
    if data.get("divert_on"):
        gate, flow = lane("divert")
        percent = number("divert_percent", 1, 100)
        to = text("divert_to")
        if to not in DIVERT_TO:
            errors["divert_to"] = [_("Choose Chi Ma or the railway.")]
        elif gate == "chi-ma" and to == "chi-ma":
            errors["divert_to"] = [_("Trucks already at Chi Ma cannot be sent to Chi Ma.")]
        dates = period("divert")
        if dates and to == "chi-ma" and flow in Flow.values and not _chi_ma_open(flow, today, spec):
            errors["divert_to"] = [
                _(
                    "Chi Ma publishes no crossing capacity in these days, so it cannot take "
                    "diverted trucks: publish its hours and capacity first."
                )
            ]
        if dates and percent is not None and to in DIVERT_TO and "divert_to" not in errors:
            spec.diversions.append(Diversion(gate, flow, dates[0], dates[1], percent, to))
    if data.get("perishables_on"):
        gate, flow = lane("perishables")
        first = day("perishables_first")
        if first is not None:
            spec.stop_perishables.append(StopPerishables(gate, flow, first))
    if not errors and not (spec.capacity or spec.diversions or spec.stop_perishables):
        errors["changes"] = [_("Choose at least one change to simulate.")]
    if errors:
        raise InvalidInput(_("The what-if has errors; see each field."), fields=errors)
    return name, spec


def _chi_ma_open(flow: str, today: date, spec: Spec) -> bool:
    road = next((r for r in roads() if r.code == "chi-ma"), None)
    return road is not None and any(road.capacity(flow, _day_start(today), spec.horizon_days * 24))


def _segments(per_hour: list[int]) -> list[dict[str, int]]:
    return planning._segments(per_hour)


def _hourly(segments: list[dict[str, int]], hours: int) -> list[int]:
    out = [0] * hours
    for k, seg in enumerate(segments):
        end = segments[k + 1]["from_hour"] if k + 1 < len(segments) else hours
        for h in range(seg["from_hour"], min(end, hours)):
            out[h] = seg["per_hour"]
    return out


def _hour_of(moment: datetime, start: datetime) -> float:
    return (moment - start).total_seconds() / 3600


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def live_scenario(start: datetime, horizon_days: int) -> dict[str, Any]:
    """The baseline: today's live state and what the forecast expects, as a scenario. It runs
    from the current hour to the end of the last day simulated (today and the next
    ``horizon_days - 1`` days, the days the form's changes may name), so a change "to the last
    day" covers every hour simulated, whatever the hour the run starts."""
    tz = timezone.get_current_timezone()
    start = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    end = datetime.combine(start.date() + timedelta(days=horizon_days), time.min, tz)
    hours = max(1, round((end - start).total_seconds() / 3600))
    gates_out: list[dict[str, Any]] = []
    trucks: list[dict[str, Any]] = []
    forecast_trucks = 0
    left_out: dict[str, int] = {}
    yard_of_road = {road.key: y for y in yard_counts(counted=False) for road in y.roads}
    #: Trucks in each yard at the start, both directions (the yard console's and the public
    #: board's figure), those of roads left out included.
    in_yard: dict[str, int] = {}
    for road in roads():
        for flow in Flow.values:
            gid = f"{road.code}/{flow}"
            capacity = road.capacity(flow, start, hours)
            live = list(
                Declaration.objects.filter(road.trucks(), flow=flow)
                .filter(
                    Q(state__in=planning.IN_YARD)
                    | Q(state__in=NOT_ARRIVED, planned_arrival__lt=end)
                )
                .order_by("planned_arrival", "pk")
            )
            here = yard_of_road.get(road.key)
            if here is not None:
                in_yard[here.code] = in_yard.get(here.code, 0) + sum(
                    1 for d in live if d.state in planning.IN_YARD
                )
            if not any(capacity):
                # A road that publishes no capacity in these days (an auxiliary gate without
                # hours): its trucks could only wait and spoil, whatever the policy.
                # They are left out and counted, not blamed on the policies.
                if live:
                    left_out[gid] = len(live)
                continue
            gate: dict[str, Any] = {
                "id": gid,
                "yard_capacity": here.capacity if here is not None else None,
                "capacity": _segments(capacity),
            }
            if here is not None:
                # Both directions of every road that waits in a yard share its places.
                gate["yard"] = here.code
            gates_out.append(gate)
            trucks.extend(_live_trucks(live, gid, start))
            extra = _forecast_trucks(road, flow, gid, start, horizon_days, live, capacity)
            forecast_trucks += len(extra)
            trucks.extend(extra)
    return {
        "name": f"live {start:%Y-%m-%d %H:00}",
        "start": start.isoformat(),
        "horizon_hours": hours,
        "gates": gates_out,
        "diversions": [],
        "trucks": trucks,
        "whatif": {
            "declared": len(trucks) - forecast_trucks,
            "forecast": forecast_trucks,
            "left_out_no_capacity": left_out,
            "in_yard": in_yard,
        },
    }


def _live_trucks(live: list[Declaration], gid: str, start: datetime) -> list[dict[str, Any]]:
    values = dict(
        GoodsLine.objects.filter(declaration__in=live)
        .values_list("declaration")
        .annotate(total=Sum("value_usd"))
        .values_list("declaration", "total")
    )
    waiting = {
        w.declaration_id: w
        for w in planning._waiting([d for d in live if d.state in planning.IN_YARD])
    }
    rows = []
    for d in live:
        value = int((values.get(d.pk) or Decimal(0)) * VND_PER_USD)
        row: dict[str, Any] = {"id": d.reference, "gate": gid, "value_vnd": value}
        if d.pk in waiting:
            row["ready_hour"] = 0
            deadline = waiting[d.pk].deadline
            if d.perishable and deadline is not None:
                row["perishable"] = True
                row["shelf_life_hours"] = max(_hour_of(deadline, start), 0.01)
        else:
            row["ready_hour"] = max(0.0, round(_hour_of(d.planned_arrival, start), 4))
            if d.perishable and d.shelf_life_hours:
                row["perishable"] = True
                row["shelf_life_hours"] = float(d.shelf_life_hours)
        rows.append(row)
    return rows


def _forecast_trucks(
    road: Road,
    flow: str,
    gid: str,
    start: datetime,
    days: int,
    live: list[Declaration],
    capacity: list[int],
) -> list[dict[str, Any]]:
    """Trucks the forecast expects each day beyond those already declared for it, spread over
    the day's open hours, with the mix of goods the gate saw in the last four weeks."""
    rows = planning.arrival_forecast(road.trucks() & Q(flow=flow), gid, start.date(), days)
    if rows is None:
        return []
    declared: dict[date, int] = defaultdict(int)
    for d in live:
        if d.state in NOT_ARRIVED:
            declared[timezone.localdate(d.planned_arrival)] += 1
    mix = _mix(road, flow, start)
    out: list[dict[str, Any]] = []
    for i, mean in enumerate(rows.sort_values("ds")["mean"].to_numpy()):
        day = start.date() + timedelta(days=i)
        extra = max(0, round(float(mean)) - declared[day])
        first = max(0.0, _hour_of(_day_start(day), start))
        last = min(int(first) + 24, len(capacity))
        open_hours = [h for h in range(int(first), last) if capacity[h]]
        span = open_hours or list(range(int(first), last))
        if not span:
            continue
        for k in range(extra):
            hour = span[0] + (span[-1] + 1 - span[0]) * (k + 0.5) / extra
            row: dict[str, Any] = {
                "id": f"~{gid}/{day:%m%d}/{k}",
                "gate": gid,
                "ready_hour": round(hour, 4),
                "value_vnd": mix["value_other"],
                "source": "forecast",
            }
            if int((k + 1) * mix["perishable_share"]) > int(k * mix["perishable_share"]):
                row.update(
                    perishable=True,
                    shelf_life_hours=mix["shelf_life_hours"],
                    value_vnd=mix["value_perishable"],
                )
            out.append(row)
    return out


def _mix(road: Road, flow: str, start: datetime) -> dict[str, Any]:
    recent = Declaration.objects.filter(
        road.trucks(), flow=flow, planned_arrival__gte=start - timedelta(days=28),
        planned_arrival__lt=start,
    ).exclude(state=TruckState.CANCELLED)  # fmt: skip
    counts = recent.aggregate(
        n=Count("pk"), p=Count("pk", filter=Q(perishable=True)), shelf=Avg("shelf_life_hours")
    )
    value = {
        perishable: float(v or 0) * VND_PER_USD / max(n, 1)
        for perishable, v, n in (
            (flag, recent.filter(perishable=flag).aggregate(v=Sum("lines__value_usd"))["v"],
             recent.filter(perishable=flag).count())
            for flag in (True, False)
        )
    }  # fmt: skip
    return {
        "perishable_share": (counts["p"] / counts["n"]) if counts["n"] else 0.0,
        "shelf_life_hours": float(counts["shelf"] or 240),
        "value_perishable": int(value[True]),
        "value_other": int(value[False]),
    }


def _share(truck_id: str, percent: int) -> bool:
    """A stable choice of ``percent`` % of the trucks, by their id."""
    return zlib.crc32(truck_id.encode()) % 100 < percent


def apply(spec: Spec, baseline: dict[str, Any]) -> dict[str, Any]:
    """The variant: the baseline with the board's changes."""
    doc = copy.deepcopy(baseline)
    start = datetime.fromisoformat(doc["start"])
    hours = doc["horizon_hours"]
    notes = {"diverted_to_chi_ma": 0, "sent_by_rail": 0, "perishables_not_sent": 0}

    def window(first: date, last: date) -> tuple[float, float]:
        return _hour_of(_day_start(first), start), _hour_of(
            _day_start(last + timedelta(days=1)), start
        )

    gates = {g["id"]: g for g in doc["gates"]}
    for change in spec.capacity:
        gate = gates.get(f"{change.gate}/{change.flow}")
        if gate is None:
            continue
        per_hour = _hourly(gate["capacity"], hours)
        low, high = window(change.first, change.last)
        for h in range(max(0, int(low)), min(hours, int(high))):
            per_hour[h] = int(per_hour[h] * change.percent / 100 + 0.5)
        gate["capacity"] = _segments(per_hour)
    # What each target can still take, day by day (diversions stop at it and are counted): Chi
    # Ma's capacity that day less its own trucks ready that day; the railway's daily loads.
    days = max(1, math.ceil(hours / 24))
    room: dict[str, list[int]] = {"rail": [RAIL_TRUCKLOADS_PER_DAY] * days}
    for flow in Flow.values:
        target = f"chi-ma/{flow}"
        if target in gates:
            per_hour = _hourly(gates[target]["capacity"], hours)
            left = [sum(per_hour[d * 24 : (d + 1) * 24]) for d in range(days)]
            for truck in doc["trucks"]:
                if truck["gate"] == target:
                    day = min(days - 1, int(truck["ready_hour"] // 24))
                    left[day] -= 1
            room[target] = left
    kept = []
    for truck in doc["trucks"]:
        drop = False
        for d in spec.diversions:
            low, high = window(d.first, d.last)
            if (
                truck["gate"] == f"{d.gate}/{d.flow}"
                and low <= truck["ready_hour"] < high
                and _share(truck["id"], d.percent)
            ):
                target = f"chi-ma/{d.flow}" if d.to == "chi-ma" else "rail"
                ready = truck["ready_hour"] + (CHI_MA_TRANSIT_HOURS if d.to == "chi-ma" else 0)
                day = min(days - 1, int(min(ready, hours - 0.001) // 24))
                if target not in room or room[target][day] <= 0:
                    # No capacity left there that day (or none published): the truck stays
                    # where it was, and is counted.
                    notes["not_diverted"] = notes.get("not_diverted", 0) + 1
                elif d.to == "rail":
                    room[target][day] -= 1
                    drop = True
                    notes["sent_by_rail"] += 1
                else:
                    room[target][day] -= 1
                    truck["gate"] = target
                    truck["ready_hour"] = min(ready, hours - 0.001)
                    notes["diverted_to_chi_ma"] += 1
                break
        for s in spec.stop_perishables:
            low, _high = window(s.first, s.first)
            if (
                not drop
                and truck.get("perishable")
                and truck["gate"] == f"{s.gate}/{s.flow}"
                and truck["ready_hour"] >= low
            ):
                drop = True
                notes["perishables_not_sent"] += 1
        if not drop:
            kept.append(truck)
    doc["trucks"] = kept
    doc["name"] = f"{doc['name']} (variant)"
    doc["whatif"] = {**doc.get("whatif", {}), **notes}
    return doc
