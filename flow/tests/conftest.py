from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from flow.capacity import hourly_capacity
from gates.models import CapacityPlan, Gate
from shipments.models import Declaration


def open_hour(declaration: Declaration, *, after_hours: int = 2) -> datetime:
    """The first hour, ``after_hours`` or more from now, when the declaration's gate is open."""
    start = timezone.localtime(timezone.now()).replace(minute=0, second=0, microsecond=0)
    start += timedelta(hours=after_hours)
    capacity = hourly_capacity(
        declaration.gate, declaration.flow, start, 24 * 6, route=declaration.route
    )
    for h, value in enumerate(capacity):
        if value > 0:
            return start + timedelta(hours=h)
    raise AssertionError("the gate is closed for six days")


def set_capacity(gate: Gate, flow: str, per_hour: int, route=None) -> None:  # type: ignore[no-untyped-def]
    CapacityPlan.objects.create(
        gate=gate,
        route=route,
        flow=flow,
        trucks_per_hour=per_hour,
        effective_from=timezone.now() - timedelta(hours=1),
        note="test",
    )
