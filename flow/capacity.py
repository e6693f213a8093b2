"""What a gate or road clears hour by hour: its capacity plans within the day's windows of
goods hours (``gates.services.hours_on``). The bottom of flow planning: yards and the engine
adapter read it, it reads only the gate register."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, timedelta

from django.utils import timezone

from gates.models import CapacityPlan, Gate, Route
from gates.services import hours_on

HOUR = timedelta(hours=1)


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
