"""What a dated gate notice (Tết, a closure by the other side) does to trucks: the board
publishes it once (``gates.services.do_add_exception``), and flow acts on it everywhere.

* **Closed**: the day has no hours, so no slot is offered or booked and admission sees no
  capacity (``gates.services.hours_on``).
* **Pre-registered goods only**: only trucks booked before the notice was published may cross.
  New bookings and rebookings for those days are refused (:func:`refuse_new_booking`); a truck
  arriving without such a booking is refused at the yard gate (:func:`guard_arrive`);
  admission holds the day.
* Either way every declarant and driver with a trip planned on those days and no booking from
  before the notice is told at once, in their language, with the reason and where to wait
  (:func:`on_notice`). The public board shows the notice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cuakhau.errors import Conflict
from flow import board
from flow.choices import BookingStatus
from flow.models import Booking
from gates.models import Gate, HoursException, Route
from gates.services import DayHours, hours_on
from notifications import services as notifications
from shipments.choices import TruckState
from shipments.models import Declaration


def day_hours(gate: Gate, flow: str, day: date, route: Route | None = None) -> DayHours:
    return next(h for h in hours_on(gate, day, route=route) if h.flow == flow)


def booked_before(declaration: Declaration, since: datetime) -> bool:
    """Whether the trip holds (or used) a booking made before ``since``."""
    return Booking.objects.filter(
        declaration=declaration,
        status__in=(BookingStatus.ACTIVE, BookingStatus.USED),
        created_at__lt=since,
    ).exists()


def _pre_registered_message(hours: DayHours, gate: Gate, day: date) -> str:
    message = _(
        "%(gate)s takes only goods registered before the notice of %(since)s on %(day)s "
        "(%(reason)s)."
    ) % {
        "gate": gate.name,
        "since": timezone.localtime(hours.pre_registered_since).strftime("%d/%m/%Y %H:%M")
        if hours.pre_registered_since
        else "",
        "day": day.strftime("%d/%m/%Y"),
        "reason": hours.reason,
    }
    if hours.wait_at:
        message += " " + _("Wait at: %s.") % hours.wait_at
    return message


def refuse_new_booking(declaration: Declaration, starts_at: datetime) -> None:
    """A booking made now for a day open to pre-registered goods only is refused."""
    day = timezone.localdate(starts_at)
    hours = day_hours(declaration.gate, declaration.flow, day, declaration.route)
    if hours.pre_registered_since is None:
        return
    raise Conflict(
        _pre_registered_message(hours, declaration.gate, day),
        code="pre_registered_only",
        fields={"starts_at": [_("Choose a day the notice does not cover.")]},
    )


def pre_registered_days(
    gate: Gate, flow: str, days: list[date], route: Route | None = None
) -> set[date]:
    """The days open to pre-registered goods only: admission holds them, slots are not offered."""
    return {d for d in days if day_hours(gate, flow, d, route).pre_registered_since is not None}


def guard_arrive(declaration: Declaration, move: Any, actor: User | None) -> None:
    """On a day for pre-registered goods only, a truck without a booking from before the notice
    does not enter the yard: it is sent to wait where the notice says."""
    now = timezone.now()
    day = timezone.localdate(now)
    hours = day_hours(declaration.gate, declaration.flow, day, declaration.route)
    since = hours.pre_registered_since
    if since is None or booked_before(declaration, since):
        return
    raise Conflict(
        _pre_registered_message(hours, declaration.gate, day), code="pre_registered_only"
    )


def on_notice(rows: list[HoursException]) -> int:
    """Tell every declarant and driver with a trip planned on the notice's days, and no booking
    from before it, what the notice says; once per trip and notice. Returns how many trips."""
    if not rows:
        return 0
    first = rows[0]
    board.forget(first.gate.code)
    tz = timezone.get_current_timezone()
    days = sorted(r.date for r in rows)
    start = datetime.combine(days[0], datetime.min.time(), tz)
    end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tz)
    # Trips planned on those days, and trips booked into them.
    trips = (
        Declaration.objects.filter(
            gate=first.gate, state__in=(TruckState.DECLARED, TruckState.ADMITTED)
        )
        .filter(
            Q(planned_arrival__gte=start, planned_arrival__lt=end)
            | Q(
                bookings__status=BookingStatus.ACTIVE,
                bookings__slot__starts_at__gte=start,
                bookings__slot__starts_at__lt=end,
            )
        )
        .distinct()
        .select_related("gate", "vehicle", "driver", "driver__user")
    )
    if first.flow:
        trips = trips.filter(flow=first.flow)
    told = 0
    for trip in trips:
        if not first.closed and booked_before(trip, first.published_at):
            continue
        compose = _notice_message(trip, first, days)
        notifications.notify(
            recipients=notifications.declarants_of(trip),
            kind="flow.notice",
            compose=compose,
            declaration=trip,
        )
        notifications.send_to_driver(
            driver=trip.driver, kind="flow.notice", compose=compose, declaration=trip
        )
        told += 1
    return told


def _notice_message(
    trip: Declaration, notice: HoursException, days: list[date]
) -> notifications.Compose:
    def compose() -> tuple[str, str]:
        values = {
            "gate": trip.gate.name,
            "plate": trip.vehicle.plate,
            "first": days[0].strftime("%d/%m/%Y"),
            "last": days[-1].strftime("%d/%m/%Y"),
            "reason": notice.reason,
        }
        if notice.closed:
            body = _(
                "%(gate)s is closed from %(first)s to %(last)s (%(reason)s). Keep truck "
                "%(plate)s at origin."
            )
        else:
            body = _(
                "%(gate)s takes only goods registered before this notice from %(first)s to "
                "%(last)s (%(reason)s). Truck %(plate)s is not registered: keep it at origin."
            )
        text = body % values
        if notice.wait_at:
            text += " " + _("Wait at: %s.") % notice.wait_at
        return _("%(reference)s: gate notice") % {"reference": trip.reference}, text

    return compose
