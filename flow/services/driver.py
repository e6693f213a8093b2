"""A driver's next trip: which one, where to go, when, and where the truck stands in the queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.scoping import Action
from flow import planning, yards
from flow.choices import AdmissionStatus, BookingStatus
from flow.models import Booking, YardVisit
from flow.services.bookings import decisions_for
from gates.choices import YardKind
from gates.models import Yard
from shipments.choices import TruckState
from shipments.models import Declaration

#: A driver's open trips, the most urgent first: called forward, then waiting in the yard,
#: then on the way with a slot, then declared without one.
URGENCY = (
    TruckState.CALLED,
    TruckState.CLEARED,
    TruckState.ARRIVED,
    TruckState.ADMITTED,
    TruckState.DECLARED,
)


@dataclass
class NextTrip:
    """What the driver's phone shows. ``step`` names what to do now (a template chooses words)."""

    declaration: Declaration
    step: str
    booking: Booking | None = None
    visit: YardVisit | None = None
    #: 1-based place in the call-forward order of cleared trucks at the gate, and its length.
    call_position: int | None = None
    call_queue: int | None = None
    #: Trucks in the yard at the gate (arrived, cleared or called).
    in_yard: int | None = None
    #: When the gate's yard is forecast full on the planned day: the earliest day with room.
    hold_day: date | None = None
    held: bool = False
    #: Where to go: the yard of the trip's own road (the gate's own yard on its own road).
    yards: list[Yard] = field(default_factory=list)
    later: list[Declaration] = field(default_factory=list)


def open_trips(user: User) -> list[Declaration]:
    """The user's trips still to make, most urgent first, then by planned arrival."""
    rank = Case(
        *(When(state=state, then=Value(i)) for i, state in enumerate(URGENCY)),
        output_field=IntegerField(),
    )
    return list(
        Declaration.objects.restrict(user, Action.VIEW)
        .filter(state__in=URGENCY)
        .select_related("gate", "route", "route__foreign_gate", "gate__foreign_gate", "vehicle")
        .select_related("trailer", "driver", "enterprise")
        .annotate(urgency=rank)
        .order_by("urgency", "planned_arrival", "pk")[:20]
    )


def trip_yards(trip: Declaration) -> list[Yard]:
    """The yards a trip goes to: its road's own yards, else the gate's own (the yards of the
    other roads and the holding areas are not where it goes; a notice names where to wait)."""
    waiting = Yard.objects.filter(gate=trip.gate).exclude(kind=YardKind.HOLDING_AREA)
    own = list(waiting.filter(route_id=trip.route_id)) if trip.route_id is not None else []
    return own or list(waiting.filter(route__isnull=True))


def next_trip(user: User, now: datetime | None = None) -> NextTrip | None:
    """The one trip the driver should think about now, with the facts to act on it."""
    trips = open_trips(user)
    if not trips:
        return None
    now = now or timezone.now()
    trip, later = trips[0], trips[1:]
    found = NextTrip(declaration=trip, step=str(trip.state), later=later)
    found.yards = trip_yards(trip)
    found.booking = (
        Booking.objects.filter(declaration=trip, status=BookingStatus.ACTIVE)
        .select_related("slot")
        .first()
    )
    if trip.state in planning.IN_YARD:
        found.visit = (
            YardVisit.objects.filter(declaration=trip, exited_at__isnull=True)
            .select_related("yard")
            .first()
        )
        # The yard's own count (both directions, every road that waits in it), the figure the
        # yard console and the public board show.
        yard = yards.yard_of(trip)
        found.in_yard = (
            yard.in_yard()
            if yard is not None
            else Declaration.objects.filter(gate=trip.gate, state__in=planning.IN_YARD).count()
        )
    if trip.state == TruckState.CLEARED:
        order = planning.call_order(trip.gate, trip.flow, now)
        if trip.pk in order:
            found.call_position = order.index(trip.pk) + 1
            found.call_queue = len(order)
    if trip.state == TruckState.DECLARED:
        day = timezone.localtime(trip.planned_arrival).date()
        decision = decisions_for(trip).filter(day=day).first()
        if decision is not None and decision.status == AdmissionStatus.HELD:
            found.held = True
            found.hold_day = decision.earliest_open_day
    return found
