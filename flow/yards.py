"""Roads and the yards their trucks wait in: one count per yard.

A *road* is where trucks queue and cross with a capacity of their own: a gate's own road, or
one of its routes with capacity plans of its own (Tân Thanh, Cốc Nam). Each road's trucks wait
in one yard: the route's own yard where it has one, otherwise the gate's own yard. A yard is
counted over every road and both directions that wait in it, and every reader (the yard
console, the public board, admission control, the what-if) counts it here, so they show the
same figure for the same hour. Holding areas (the non-tariff zone, the logistics park) keep
trucks back from the border and are not part of a yard's count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from flow.capacity import hourly_capacity
from gates.choices import YardKind
from gates.models import Gate, Route, Yard
from shipments.choices import TruckState
from shipments.models import Declaration

#: A truck is in the yard from its gate-in until it crosses, turns back or is withdrawn.
IN_YARD = (TruckState.ARRIVED, TruckState.CLEARED, TruckState.CALLED)


def _own_roads(gate: Gate) -> list[int]:
    return list(
        Route.objects.filter(gate=gate, capacityplan__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Road:
    """A gate's own road (``route`` None) or one of its routes with capacity plans of its own;
    its code is the gate's or the route's."""

    code: str
    name: str
    gate: Gate
    route: Route | None

    @property
    def key(self) -> tuple[int, int | None]:
        return (self.gate.pk, self.route.pk if self.route is not None else None)

    def trucks(self, prefix: str = "") -> Q:
        """The trucks of this road (``prefix`` reaches the declaration from another model)."""
        if self.route is not None:
            return Q(**{f"{prefix}gate": self.gate, f"{prefix}route": self.route})
        return Q(**{f"{prefix}gate": self.gate}) & ~Q(
            **{f"{prefix}route__in": _own_roads(self.gate)}
        )

    def capacity(self, flow: str, start: datetime, hours: int) -> list[int]:
        return hourly_capacity(self.gate, flow, start, hours, route=self.route)

    def yard(self) -> Yard | None:
        """The yard this road's trucks wait in: the route's own, else the gate's own."""
        waiting = Yard.objects.filter(gate=self.gate).exclude(kind=YardKind.HOLDING_AREA)
        if self.route is not None:
            own = waiting.filter(route=self.route).order_by("code").first()
            if own is not None:
                return own
        return waiting.filter(route__isnull=True).order_by("code").first()


def roads(gate: Gate | None = None) -> list[Road]:
    """Every active road gate's roads, the gate's own first."""
    gates = Gate.objects.filter(is_active=True, mode="road").order_by("sort_order", "code")
    if gate is not None:
        gates = gates.filter(pk=gate.pk)
    out = []
    for g in gates:
        out.append(Road(g.code, str(g.name), g, None))
        for route in (
            Route.objects.filter(gate=g, is_active=True, capacityplan__isnull=False)
            .distinct()
            .order_by("code")
        ):
            out.append(Road(route.code, f"{g.name} — {route.name}", g, route))
    return out


def road_of(declaration: Declaration) -> Road:
    """The road a truck queues on."""
    route = declaration.route
    if route is not None and route.pk in _own_roads(declaration.gate):
        return Road(route.code, f"{declaration.gate.name} — {route.name}", declaration.gate, route)
    gate = declaration.gate
    return Road(gate.code, str(gate.name), gate, None)


@dataclass(frozen=True)
class YardCount:
    """A yard and the roads whose trucks wait in it."""

    yard: Yard
    roads: tuple[Road, ...]

    @property
    def code(self) -> str:
        return self.yard.code

    @property
    def capacity(self) -> int | None:
        return self.yard.vehicle_capacity

    def trucks(self, prefix: str = "") -> Q:
        scope = Q(pk__in=[])
        for road in self.roads:
            scope |= road.trucks(prefix)
        return scope

    def in_yard(self, flow: str | None = None) -> int:
        """Trucks in the yard now, both directions unless ``flow`` is given."""
        trucks = Declaration.objects.filter(self.trucks(), state__in=IN_YARD)
        return (trucks.filter(flow=flow) if flow else trucks).count()

    def clearance(self, flow: str, start: datetime, hours: int) -> list[int]:
        """What the yard's roads clear in ``flow`` each hour."""
        total = [0] * hours
        for road in self.roads:
            total = [a + b for a, b in zip(total, road.capacity(flow, start, hours), strict=True)]
        return total


def yard_counts(gate: Gate | None = None, *, counted: bool = True) -> list[YardCount]:
    """The yards trucks wait in, each with its roads; ``counted``: only those that publish a
    capacity (the yards admission control holds by)."""
    by_yard: dict[int, tuple[Yard, list[Road]]] = {}
    for road in roads(gate):
        yard = road.yard()
        if yard is None:
            continue
        by_yard.setdefault(yard.pk, (yard, []))[1].append(road)
    out = [YardCount(yard, tuple(rs)) for yard, rs in by_yard.values()]
    if counted:
        out = [y for y in out if y.capacity is not None]
    return sorted(out, key=lambda y: (y.yard.gate.sort_order, y.yard.gate.code, y.code))


def yard_count(yard: Yard) -> YardCount | None:
    """One yard's count (``None`` for a holding area or a yard no road waits in)."""
    return next((y for y in yard_counts(yard.gate, counted=False) if y.yard.pk == yard.pk), None)


def yard_of(declaration: Declaration) -> YardCount | None:
    """The yard a truck waits in, with the roads it shares it with."""
    road = road_of(declaration)
    return next(
        (
            y
            for y in yard_counts(declaration.gate, counted=False)
            if road.key in {r.key for r in y.roads}
        ),
        None,
    )
