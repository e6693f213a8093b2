"""Time limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from clearance.choices import (
    LimitUnit,
)
from clearance.models import (
    TimeLimit,
)
from gates.models import Gate
from gates.services import hours_on

if TYPE_CHECKING:
    pass


def due_at(*, gate: Gate, flow: str, start: datetime, kind: str) -> datetime | None:
    """When a check opened at ``start`` falls due, counting the gate's working hours.

    Red channel inspections run on working time (8 working hours for a partial inspection, 2
    working days for a full one, by default): hours outside the gate's goods hours for the
    truck's flow, holidays and closures do not count. Where a gate publishes no hours, the
    limit runs on the calendar.
    """
    limit = TimeLimit.objects.filter(kind=kind).first()
    if limit is None:
        return None
    if limit.unit == LimitUnit.HOURS:
        return start + timedelta(hours=limit.amount)
    tz = timezone.get_current_timezone()
    local = start.astimezone(tz)
    remaining = timedelta(hours=limit.amount)
    days_left = limit.amount
    day = local.date()
    for _step in range(120):
        today = next(h for h in hours_on(gate, day) if h.flow == flow)
        if not today.published:
            span = timedelta(hours=limit.amount)
            return start + (span * 24 if limit.unit == LimitUnit.WORKING_DAYS else span)
        counted = False
        for opens, closes in today.intervals(day):
            begin = max(opens, local)
            if begin >= closes:
                continue
            if limit.unit == LimitUnit.WORKING_HOURS:
                if begin + remaining <= closes:
                    return begin + remaining
                remaining -= closes - begin
            elif not counted:
                counted = True
                days_left -= 1
            if limit.unit != LimitUnit.WORKING_HOURS and days_left == 0:
                last = today.intervals(day)[-1][1]
                return last
        day += timedelta(days=1)
    return None
