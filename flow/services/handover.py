"""The two-way delivery pilot's time limits: trucks that stay too long on the other side.

On a route in the pilot (``gates.TwoWayDelivery``) a two-way truck may stay a set number of hours
in the other country's yard (36 in the Lạng Sơn pilot) and any other truck must leave within a
shorter time (24). A Vietnamese export truck stays in China's yard; a Chinese import truck stays
in Vietnam's. cuakhau does not see the unloading, so it counts from the crossing, which makes
the list an early warning: a truck on it has been across at least that long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from gates.models import Gate, TwoWayDelivery
from shipments.choices import TruckState
from shipments.models import Declaration


@dataclass(frozen=True)
class Overstay:
    declaration: Declaration
    crossed_at: datetime
    limit_hours: int
    hours_across: float

    @property
    def over_hours(self) -> float:
        return self.hours_across - self.limit_hours


def overstays(gate: Gate, now: datetime | None = None) -> list[Overstay]:
    """Trucks of ``gate`` that crossed on a pilot route and have not come back within the
    rule's limit (two-way or not), longest over first."""
    now = now or timezone.now()
    rules: dict[int, list[TwoWayDelivery]] = {}
    for rule in TwoWayDelivery.objects.filter(route__gate=gate):
        rules.setdefault(rule.route_id, []).append(rule)
    if not rules:
        return []
    shortest = min(r.other_dwell_hours for group in rules.values() for r in group)
    found: list[Overstay] = []
    for trip in (
        Declaration.objects.filter(
            gate=gate,
            route_id__in=rules,
            state=TruckState.CROSSED,
            state_changed_at__lte=now - timedelta(hours=min(shortest, 1_000)),
        )
        .select_related("vehicle", "route", "enterprise")
        .order_by("state_changed_at")
    ):
        crossed_at = trip.state_changed_at
        day = timezone.localdate(crossed_at)
        rule = next((r for r in rules[trip.route_id] if r.in_force(day)), None)
        if rule is None:
            continue
        limit = rule.two_way_dwell_hours if trip.two_way else rule.other_dwell_hours
        hours = (now - crossed_at).total_seconds() / 3600
        if hours > limit:
            found.append(Overstay(trip, crossed_at, limit, hours))
    return sorted(found, key=lambda o: -o.over_hours)
