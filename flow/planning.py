"""The thin adapter between the database and the planning engine.

Flow control asks the engine three things, and never reimplements its rules: the call-forward
order of the cleared trucks at a gate (``engine.policies.priority``: the green lane), the
expected wait of a truck joining the queue now (the same policy), and the backlog the yard will
hold in the coming days: day by day from forecast arrivals (``engine.forecast.forecast`` +
``backlog``), and hour by hour from the yard's own count (``engine.queues.queue_forecast``, the
forecaster built for queue lengths) over the next 24 hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from engine.forecast import Backlog, BacklogLane, forecast, shared_backlog
from engine.policies import priority
from engine.queues import queue_forecast
from engine.scenario import parse_scenario
from flow.capacity import total_capacity
from flow.yards import IN_YARD, YardCount
from gates.choices import Flow
from gates.models import Gate
from shipments.choices import TruckState
from shipments.models import Declaration, GoodsLine, StateChange

#: VND per USD for the value at risk of waiting goods (order of magnitude is what matters).
VND_PER_USD = 25_000
#: Forecasts need three weeks of daily history (AutoETS with a weekly season).
MIN_HISTORY_DAYS = 21
HISTORY_DAYS = 56
#: The hour-by-hour yard forecast reads the last two weeks of the yard's count, and needs four
#: days of it (the queue forecaster backtests its models on whole days).
YARD_HISTORY_DAYS = 14
MIN_YARD_HOURS = 4 * 24
YARD_HORIZON_HOURS = 24
#: Trucks giving up: the daily leave rate is read from this many days of history, and capped
#: (a handful of leavers from a nearly empty yard is not a law of the queue).
LEAVE_HISTORY_DAYS = 28
MAX_LEAVE_RATE = 0.5


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


def daily_arrivals(trucks: Q, uid: str, first: date, last: date) -> pd.DataFrame:
    """Trucks of ``trucks`` (a road's or a yard's, in one direction) declared to arrive each
    day, cancelled ones excluded, one row per day."""
    tz = timezone.get_current_timezone()
    counts = dict(
        Declaration.objects.filter(
            trucks,
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
        {"unique_id": uid, "ds": days, "y": [counts.get(d.date(), 0) for d in days]}
    )


def _changes(trucks: Q, start: datetime, now: datetime) -> QuerySet[StateChange]:
    """The recorded steps, from ``start`` to ``now``, of the trucks of ``trucks`` (a Q on the
    declaration, reached through ``declaration__``)."""
    return StateChange.objects.filter(
        declaration__in=Declaration.objects.filter(trucks), at__gte=start, at__lte=now
    )


def occupancy(trucks: Q, uid: str, start: datetime, now: datetime) -> pd.DataFrame:
    """Trucks of ``trucks`` in the yard at each whole hour from ``start`` to ``now``, one row
    per hour (``unique_id, ds, y``), as the yard's camera count would read.

    Counted backwards from the trucks in the yard now: at hour ``t`` the yard held today's
    count, less the trucks that arrived after ``t``, plus those that left after ``t`` (crossed,
    turned back or cancelled from the yard), from the trucks' recorded history."""
    in_yard = Declaration.objects.filter(trucks, state__in=IN_YARD).count()
    changes = _changes(trucks, start, now)
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
        {"unique_id": uid, "ds": stamps.tz_localize(None), "y": counts.astype(float)}
    )


def yard_occupancy(
    yard: YardCount, start: datetime, now: datetime, flow: str | None = None
) -> pd.DataFrame:
    """The yard's count hour by hour (:func:`occupancy`) over every road and both directions
    that wait in it, or one direction's share of it."""
    trucks = yard.trucks() & Q(flow=flow) if flow else yard.trucks()
    return occupancy(trucks, f"{yard.code}/{flow}" if flow else yard.code, start, now)


def yard_forecast(yard: YardCount, now: datetime) -> pd.DataFrame | None:
    """The yard's count over the next 24 hours by the queue forecaster, with its 80 % and 95 %
    intervals (local wall-clock ``ds``); ``None`` before the yard has four days of history."""
    history = yard_occupancy(yard, now - timedelta(days=YARD_HISTORY_DAYS), now)
    nonzero = np.flatnonzero(history["y"].to_numpy() > 0)
    if len(nonzero) == 0 or len(history) - int(nonzero[0]) < MIN_YARD_HOURS:
        return None
    rows, _models = queue_forecast(history.iloc[int(nonzero[0]) :], YARD_HORIZON_HOURS)
    return rows


def leave_rate(trucks: Q, now: datetime) -> float:
    """The daily chance that a truck of ``trucks`` waiting in the yard gives up (withdrawn by
    its declarant: sold at home, sent by rail or a port), over the last four weeks: trucks
    cancelled from the yard divided by the truck-days spent in it (:func:`occupancy`)."""
    start = now - timedelta(days=LEAVE_HISTORY_DAYS)
    left = (
        _changes(trucks, start, now)
        .filter(from_state__in=IN_YARD, to_state=TruckState.CANCELLED)
        .count()
    )
    if not left:
        return 0.0
    truck_days = float(occupancy(trucks, "leave", start, now)["y"].sum()) / 24
    return min(MAX_LEAVE_RATE, left / truck_days) if truck_days > 0 else 0.0


@dataclass(frozen=True)
class DayView:
    """One day of the outlook, from both forecasts: the larger of each."""

    p50: float
    p90: float
    prob_full: float


@dataclass(frozen=True)
class Outlook:
    """The backlog forecast of one yard, over both directions, behind admission decisions."""

    yard: YardCount
    days: list[date]
    #: What each direction clears each day.
    capacity: dict[str, list[int]]
    yard_capacity: int
    #: Trucks in the yard now, both directions (the figure the console and the board show).
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


def arrival_forecast(trucks: Q, uid: str, today: date, horizon: int) -> pd.DataFrame | None:
    """Trucks of ``trucks`` (one direction) expected to arrive each day from ``today`` on
    (``mean``, ``lo80``, ``hi80`` …), from the last eight weeks of declarations; ``None``
    under three weeks of history."""
    history = daily_arrivals(
        trucks, uid, today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1)
    )
    nonzero = np.flatnonzero(history["y"].to_numpy() > 0)
    if len(nonzero) == 0 or len(history) - int(nonzero[0]) < MIN_HISTORY_DAYS:
        return None
    return forecast(history.iloc[int(nonzero[0]) :], horizon)


def _no_arrivals(uid: str, days: list[date]) -> pd.DataFrame:
    zero = [0.0] * len(days)
    return pd.DataFrame(
        {"unique_id": uid, "ds": pd.to_datetime(days), "mean": zero, "lo80": zero, "hi80": zero}
    )


def outlook(
    yard: YardCount, today: date, horizon: int = 7, now: datetime | None = None
) -> Outlook | None:
    """Forecast each direction's arrivals at the yard's roads for ``today`` and the next days
    from the last eight weeks of declarations, push each through its direction's capacity, and
    count the yard as their sum; forecast the yard's count hour by hour over the next 24 hours
    from its history. ``None`` when the yard publishes no capacity or neither direction has
    three weeks of history (a direction without history brings no new trucks)."""
    if yard.capacity is None:
        return None
    tz = timezone.get_current_timezone()
    days = [today + timedelta(days=i) for i in range(horizon)]
    now = now or timezone.now()
    lanes: list[BacklogLane] = []
    capacity: dict[str, list[int]] = {}
    known = False
    for flow in Flow.values:
        trucks = yard.trucks() & Q(flow=flow)
        rows = arrival_forecast(trucks, f"{yard.code}/{flow}", today, horizon)
        known = known or rows is not None
        capacity[flow] = [
            sum(yard.clearance(flow, datetime.combine(d, datetime.min.time(), tz), 24))
            for d in days
        ]
        lanes.append(
            BacklogLane(
                rows if rows is not None else _no_arrivals(f"{yard.code}/{flow}", days),
                capacity[flow],
                yard.in_yard(flow),
            )
        )
    if not known:
        return None
    rate = leave_rate(yard.trucks(), now)
    result = shared_backlog(lanes, yard_capacity=yard.capacity, leave_rate=rate)
    hourly = yard_forecast(yard, now) if now.astimezone(tz).date() == today else None
    queue = sum(lane.initial_queue for lane in lanes)
    return Outlook(yard, days, capacity, yard.capacity, queue, result, hourly, rate)
