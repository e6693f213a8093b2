"""The thin adapter between the database and the planning engine.

Flow control asks the engine three things, and never reimplements its rules: the call-forward
order of the cleared trucks at a gate (``engine.policies.priority``: the green lane), the
expected wait of a truck joining the queue now (the same policy), and the backlog the yard will
hold in the coming days: day by day from forecast arrivals (``engine.forecast.forecast`` +
``backlog``), and hour by hour from the yard's own count (``engine.queues.queue_forecast``, the
forecaster built for queue lengths) over the next 24 hours.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from engine.forecast import Backlog, backlog, forecast
from engine.policies import priority
from engine.queues import queue_forecast
from engine.scenario import parse_scenario
from gates.models import CapacityPlan, Gate, Route, Yard
from gates.services import hours_on
from shipments.choices import TruckState
from shipments.models import Declaration, GoodsLine, StateChange

#: VND per USD for the value at risk of waiting goods (order of magnitude is what matters).
VND_PER_USD = 25_000
IN_YARD = (TruckState.ARRIVED, TruckState.CLEARED, TruckState.CALLED)
#: Forecasts need three weeks of daily history (AutoETS with a weekly season).
MIN_HISTORY_DAYS = 21
HISTORY_DAYS = 56
#: The hour-by-hour yard forecast reads the last two weeks of the yard's count, and needs four
#: days of it (the queue forecaster backtests its models on whole days).
HOUR = timedelta(hours=1)
YARD_HISTORY_DAYS = 14
MIN_YARD_HOURS = 4 * 24
YARD_HORIZON_HOURS = 24
#: Trucks giving up: the daily leave rate is read from this many days of history, and capped
#: (a handful of leavers from a nearly empty yard is not a law of the queue).
LEAVE_HISTORY_DAYS = 28
MAX_LEAVE_RATE = 0.5


def _open_parts(
    gate: Gate, flow: str, start: datetime, hours: int, route: Route | None = None
) -> list[list[tuple[datetime, datetime]]]:
    """For each of the next ``hours`` hours from ``start`` (on the hour), its parts inside the
    day's windows of goods hours."""
    tz = timezone.get_current_timezone()
    first = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    windows: dict[date, list[tuple[datetime, datetime]]] = {}
    out: list[list[tuple[datetime, datetime]]] = []
    for h in range(hours):
        moment = first + timedelta(hours=h)
        day = moment.date()
        if day not in windows:
            today = next(x for x in hours_on(gate, day, route=route) if x.flow == flow)
            windows[day] = today.intervals(day)
        out.append(
            [
                (max(a, moment), min(b, moment + HOUR))
                for a, b in windows[day]
                if max(a, moment) < min(b, moment + HOUR)
            ]
        )
    return out


def open_spans(
    gate: Gate, flow: str, start: datetime, hours: int, route: Route | None = None
) -> list[tuple[datetime, datetime] | None]:
    """For each of the next ``hours`` hours from ``start`` (on the hour), from when to when it
    is inside the day's windows of goods hours (Chi Ma's 07:00 hour from 07:30), or None."""
    return [
        (parts[0][0], parts[-1][1]) if parts else None
        for parts in _open_parts(gate, flow, start, hours, route)
    ]


def hourly_capacity(
    gate: Gate, flow: str, start: datetime, hours: int, route: Route | None = None
) -> list[int]:
    """Trucks per hour the gate (or the route, where it has its own plans) clears in each of the
    next ``hours`` hours, within the day's windows of goods hours (an hour partly open clears
    its share); 0 when closed."""
    tz = timezone.get_current_timezone()
    first = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    last = first + timedelta(hours=hours)
    candidates = CapacityPlan.objects.filter(gate=gate, flow=flow, effective_from__lt=last)
    plans = []
    if route is not None:
        plans = list(candidates.filter(route=route).order_by("effective_from"))
    if not plans:
        plans = list(candidates.filter(route__isnull=True).order_by("effective_from"))
    starts = [p.effective_from for p in plans]
    out: list[int] = []
    for h, parts in enumerate(_open_parts(gate, flow, first, hours, route)):
        index = bisect_right(starts, first + timedelta(hours=h)) - 1
        if index < 0 or not parts:
            out.append(0)
        else:
            # An hour the gate is open for only part of (Chi Ma opens at 07:30; a short break
            # inside an hour) clears that share of the hourly capacity.
            seconds = sum((b - a).total_seconds() for a, b in parts)
            out.append(int(plans[index].trucks_per_hour * min(seconds, 3600.0) / 3600))
    return out


def total_capacity(gate: Gate, flow: str, start: datetime, hours: int) -> list[int]:
    """The gate's own capacity plus that of each of its routes with plans of their own: what
    the whole crossing point clears, for queues counted over all its routes."""
    total = hourly_capacity(gate, flow, start, hours)
    routes = Route.objects.filter(gate=gate, is_active=True, capacityplan__flow=flow).distinct()
    for route in routes:
        own = hourly_capacity(gate, flow, start, hours, route=route)
        total = [a + b for a, b in zip(total, own, strict=True)]
    return total


def _segments(per_hour: Sequence[int]) -> list[dict[str, int]]:
    segments: list[dict[str, int]] = []
    for h, value in enumerate(per_hour):
        if not segments or segments[-1]["per_hour"] != value:
            segments.append({"from_hour": h, "per_hour": int(value)})
    return segments


@dataclass(frozen=True)
class Waiting:
    declaration_id: int
    reference: str
    since: datetime
    perishable: bool
    deadline: datetime | None
    value_vnd: int


def _waiting(declarations: Sequence[Declaration]) -> list[Waiting]:
    values = dict(
        GoodsLine.objects.filter(declaration__in=[d.pk for d in declarations])
        .values_list("declaration")
        .annotate(total=Sum("value_usd"))
        .values_list("declaration", "total")
    )
    arrived = dict(
        Declaration.objects.filter(
            pk__in=[d.pk for d in declarations], history__transition="arrive"
        ).values_list("pk", "history__at")
    )
    out = []
    for d in declarations:
        since = arrived.get(d.pk, d.state_changed_at)
        deadline = (
            since + timedelta(hours=d.shelf_life_hours)
            if d.perishable and d.shelf_life_hours
            else None
        )
        usd = values.get(d.pk) or Decimal(0)
        out.append(
            Waiting(d.pk, d.reference, since, d.perishable, deadline, int(usd * VND_PER_USD))
        )
    return out


def _scenario(
    trucks: Sequence[Waiting], now: datetime, capacity: Sequence[int], probe: bool
) -> dict[str, object]:
    """Trucks already waiting are ready at hour 0; a perishable's shelf life is what is left."""
    rows: list[dict[str, object]] = []
    for t in trucks:
        row: dict[str, object] = {
            "id": t.reference,
            "ready_hour": 0,
            "gate": "gate",
            "perishable": t.perishable,
            "value_vnd": t.value_vnd,
        }
        if t.perishable and t.deadline is not None:
            row["shelf_life_hours"] = max((t.deadline - now).total_seconds() / 3600, 0.01)
        elif t.perishable:
            row["perishable"] = False
        rows.append(row)
    if probe:
        rows.append({"id": "~probe", "ready_hour": 0, "gate": "gate"})
    return {
        "name": "call-forward",
        "horizon_hours": len(capacity),
        "gates": [{"id": "gate", "yard_capacity": None, "capacity": _segments(capacity)}],
        "trucks": rows,
    }


def call_order(gate: Gate, flow: str | None = None, now: datetime | None = None) -> list[int]:
    """Declaration ids of the cleared trucks at ``gate`` in the order they should be called:
    the engine's ``priority`` policy (savable perishables by deadline, then first come)."""
    now = now or timezone.now()
    cleared = Declaration.objects.filter(gate=gate, state=TruckState.CLEARED)
    if flow:
        cleared = cleared.filter(flow=flow)
    trucks = _waiting(list(cleared.order_by("state_changed_at", "pk")))
    if not trucks:
        return []
    # One slot per truck, in the order it would cross; the horizon covers every truck.
    scenario = parse_scenario(_scenario(trucks, now, [1] * (len(trucks) + 1), probe=False))
    outcome = priority(scenario)
    ranked = sorted(range(len(trucks)), key=lambda i: (int(outcome.cross_hour[i]), i))
    return [trucks[i].declaration_id for i in ranked]


def expected_wait_hours(gate: Gate, flow: str, now: datetime | None = None) -> float | None:
    """How long a truck (not perishable) joining the yard now would wait to cross, by the
    engine's ``priority`` policy over the published capacity of the next week."""
    now = now or timezone.now()
    queue = list(
        Declaration.objects.filter(gate=gate, flow=flow, state__in=IN_YARD).order_by(
            "state_changed_at", "pk"
        )
    )
    capacity = total_capacity(gate, flow, now, 24 * 7)
    if not any(capacity):
        return None
    scenario = parse_scenario(_scenario(_waiting(queue), now, capacity, probe=True))
    outcome = priority(scenario)
    hour = int(outcome.cross_hour[-1])
    if hour < 0:
        return None
    # The first hour is already under way: count it from now, not from its start.
    into_hour = (now - now.replace(minute=0, second=0, microsecond=0)).total_seconds() / 3600
    return max(0.0, hour + 1 - into_hour)


def yard_capacity(gate: Gate) -> int | None:
    total = Yard.objects.filter(gate=gate, vehicle_capacity__isnull=False).aggregate(
        n=Sum("vehicle_capacity")
    )["n"]
    return int(total) if total else None


def _counted_roads(gate: Gate) -> set[int | None]:
    """The roads (route ids; ``None`` for the gate's own) whose yards publish a capacity."""
    return set(
        Yard.objects.filter(gate=gate, vehicle_capacity__isnull=False).values_list(
            "route_id", flat=True
        )
    )


def in_yard_scope(gate: Gate, prefix: str = "") -> Q:
    """The trucks that count against the gate's published yard capacity: those of the roads
    (the gate's own, ``route`` empty, or a route) whose yards publish one. Hữu Nghị's 600
    places are its own yard's; Tân Thanh's and Cốc Nam's trucks wait in their routes' yards,
    whose capacity is not published, and are not counted against it."""
    routes = _counted_roads(gate)
    scope = Q(**{f"{prefix}route_id__in": [r for r in routes if r is not None]})
    if None in routes:
        scope |= Q(**{f"{prefix}route__isnull": True})
    return scope


def yard_capacity_per_hour(gate: Gate, flow: str, start: datetime, hours: int) -> list[int]:
    """What the roads counted against the yard clear each hour (see :func:`in_yard_scope`)."""
    total = [0] * hours
    for route_id in _counted_roads(gate):
        route = Route.objects.get(pk=route_id) if route_id is not None else None
        own = hourly_capacity(gate, flow, start, hours, route=route)
        total = [a + b for a, b in zip(total, own, strict=True)]
    return total


def daily_arrivals(
    gate: Gate, flow: str, first: date, last: date, roads: Q | None = None
) -> pd.DataFrame:
    """Trucks declared to arrive each day on the roads counted against the yard (or on
    ``roads``), cancelled ones excluded, one row per day."""
    tz = timezone.get_current_timezone()
    counts = dict(
        Declaration.objects.filter(
            in_yard_scope(gate) if roads is None else roads,
            gate=gate,
            flow=flow,
            planned_arrival__gte=datetime.combine(first, datetime.min.time(), tz),
            planned_arrival__lt=datetime.combine(last + timedelta(days=1), datetime.min.time(), tz),
        )
        .exclude(state=TruckState.CANCELLED)
        .annotate(day=TruncDate("planned_arrival", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days = pd.date_range(first, last, freq="D")
    return pd.DataFrame(
        {
            "unique_id": f"{gate.code}/{flow}",
            "ds": days,
            "y": [counts.get(d.date(), 0) for d in days],
        }
    )


def _yard_changes(gate: Gate, flow: str, start: datetime, now: datetime) -> QuerySet[StateChange]:
    """The recorded steps, from ``start`` to ``now``, of the trucks counted against the yard."""
    return StateChange.objects.filter(
        in_yard_scope(gate, "declaration__"),
        declaration__gate=gate,
        declaration__flow=flow,
        at__gte=start,
        at__lte=now,
    )


def yard_occupancy(gate: Gate, flow: str, start: datetime, now: datetime) -> pd.DataFrame:
    """Trucks in the gate's yards with a published capacity (:func:`in_yard_scope`) for
    ``flow`` at each whole hour from ``start`` to ``now``, one row per hour
    (``unique_id, ds, y``), as the yard's camera count would read.

    Counted backwards from the trucks in the yard now: at hour ``t`` the yard held today's
    count, less the trucks that arrived after ``t``, plus those that left after ``t`` (crossed,
    turned back or cancelled from the yard), from the trucks' recorded history."""
    in_yard = Declaration.objects.filter(
        in_yard_scope(gate), gate=gate, flow=flow, state__in=IN_YARD
    ).count()
    changes = _yard_changes(gate, flow, start, now)
    arrived = np.sort(
        np.array(
            [
                at.timestamp()
                for at in changes.filter(to_state=TruckState.ARRIVED).values_list("at", flat=True)
            ],
            dtype=float,
        )
    )
    left = np.sort(
        np.array(
            [
                at.timestamp()
                for at in changes.filter(
                    Q(from_state__in=IN_YARD) & ~Q(to_state__in=IN_YARD)
                ).values_list("at", flat=True)
            ],
            dtype=float,
        )
    )
    tz = timezone.get_current_timezone()
    first = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    stamps = pd.date_range(first, now.astimezone(tz), freq="h")
    moments = np.array([t.timestamp() for t in stamps], dtype=float)
    after_arrivals = len(arrived) - np.searchsorted(arrived, moments, side="right")
    after_departures = len(left) - np.searchsorted(left, moments, side="right")
    counts = (in_yard - after_arrivals + after_departures).clip(min=0)
    return pd.DataFrame(
        {
            "unique_id": f"{gate.code}/{flow}",
            "ds": stamps.tz_localize(None),
            "y": counts.astype(float),
        }
    )


def yard_forecast(gate: Gate, flow: str, now: datetime) -> pd.DataFrame | None:
    """The yard's count over the next 24 hours by the queue forecaster, with its 80 % and 95 %
    intervals (local wall-clock ``ds``); ``None`` before the yard has four days of history."""
    history = yard_occupancy(gate, flow, now - timedelta(days=YARD_HISTORY_DAYS), now)
    nonzero = np.flatnonzero(history["y"].to_numpy() > 0)
    if len(nonzero) == 0 or len(history) - int(nonzero[0]) < MIN_YARD_HOURS:
        return None
    rows, _models = queue_forecast(history.iloc[int(nonzero[0]) :], YARD_HORIZON_HOURS)
    return rows


def leave_rate(gate: Gate, flow: str, now: datetime) -> float:
    """The daily chance that a truck waiting in the yard gives up (withdrawn by its declarant:
    sold at home, sent by rail or a port), over the last four weeks: trucks cancelled from the
    yard divided by the truck-days spent in it (:func:`yard_occupancy`)."""
    start = now - timedelta(days=LEAVE_HISTORY_DAYS)
    left = (
        _yard_changes(gate, flow, start, now)
        .filter(from_state__in=IN_YARD, to_state=TruckState.CANCELLED)
        .count()
    )
    if not left:
        return 0.0
    truck_days = float(yard_occupancy(gate, flow, start, now)["y"].sum()) / 24
    return min(MAX_LEAVE_RATE, left / truck_days) if truck_days > 0 else 0.0


@dataclass(frozen=True)
class DayView:
    """One day of the outlook, from both forecasts: the larger of each."""

    p50: float
    p90: float
    prob_full: float


@dataclass(frozen=True)
class Outlook:
    """The backlog forecast behind a gate's admission decisions."""

    days: list[date]
    capacity: list[int]
    yard_capacity: int
    initial_queue: int
    backlog: Backlog
    hourly: pd.DataFrame | None = None
    #: Daily chance that a waiting truck gives up, from recent withdrawals (:func:`leave_rate`).
    leave_rate: float = 0.0

    def day(self, i: int) -> DayView:
        """Day ``i`` as admission control reads it. The daily backlog forecast gives the
        median, 90th percentile and chance of a full yard; where the hour-by-hour yard forecast
        covers the day, its peak raises them: its median peak, the top of its 80 % interval (a
        90th percentile), and a chance of at least 50 %, 10 % or 2.5 % when the median, the
        80 % or the 95 % interval's top reaches the yard's capacity in some hour (a lower bound
        read from the forecaster's own quantiles)."""
        p50 = float(self.backlog.p50[i])
        p90 = float(self.backlog.p90[i])
        prob = float(self.backlog.prob_full[i])
        if self.hourly is not None:
            hours = self.hourly[self.hourly["ds"].dt.date == self.days[i]]
            if len(hours):
                p50 = max(p50, float(hours["mean"].max()))
                p90 = max(p90, float(hours["hi80"].max()))
                for column, chance in (("mean", 0.5), ("hi80", 0.1), ("hi95", 0.025)):
                    if float(hours[column].max()) >= self.yard_capacity:
                        prob = max(prob, chance)
                        break
        return DayView(p50, p90, prob)


def arrival_forecast(
    gate: Gate, flow: str, today: date, horizon: int, roads: Q | None = None
) -> pd.DataFrame | None:
    """Trucks expected to arrive each day from ``today`` on (``mean``, ``lo80``, ``hi80`` …),
    from the last eight weeks of declarations; ``None`` under three weeks of history."""
    history = daily_arrivals(
        gate, flow, today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1), roads
    )
    nonzero = np.flatnonzero(history["y"].to_numpy() > 0)
    if len(nonzero) == 0 or len(history) - int(nonzero[0]) < MIN_HISTORY_DAYS:
        return None
    return forecast(history.iloc[int(nonzero[0]) :], horizon)


def outlook(
    gate: Gate, flow: str, today: date, horizon: int = 7, now: datetime | None = None
) -> Outlook | None:
    """Forecast arrivals for ``today`` and the next days from the last eight weeks of
    declarations, and push them through the announced capacity into the yard; forecast the
    yard's count hour by hour over the next 24 hours from its history.
    ``None`` when the gate publishes no yard capacity or has under three weeks of history."""
    limit = yard_capacity(gate)
    if limit is None:
        return None
    rows = arrival_forecast(gate, flow, today, horizon)
    if rows is None:
        return None
    tz = timezone.get_current_timezone()
    days = [today + timedelta(days=i) for i in range(horizon)]
    capacity = [
        sum(yard_capacity_per_hour(gate, flow, datetime.combine(d, datetime.min.time(), tz), 24))
        for d in days
    ]
    queue = Declaration.objects.filter(
        in_yard_scope(gate), gate=gate, flow=flow, state__in=IN_YARD
    ).count()
    now = now or timezone.now()
    rate = leave_rate(gate, flow, now)
    result = backlog(rows, capacity, initial_queue=queue, yard_capacity=limit, leave_rate=rate)
    hourly = yard_forecast(gate, flow, now) if now.astimezone(tz).date() == today else None
    return Outlook(days, capacity, limit, queue, result, hourly, rate)
