"""What a dated gate notice (Tết, a closure by the other side) does to trucks: the board
publishes it once (``gates.services.do_add_exception``), and flow acts on it everywhere.

* **Closed**: the day has no hours, so no slot is offered or booked and admission sees no
  capacity (``gates.services.hours_on``).
* **Pre-registered goods only**: only trucks declared or booked by the notice's registration
  deadline (``HoursException.registered_by``; by default the start of its first day, so a notice
  published a week ahead invites registration in between) may cross. Bookings for those days by
  trucks registered later are refused naming the deadline (:func:`refuse_new_booking`); such a
  truck arriving is refused at the yard gate (:func:`guard_arrive`); admission holds the day for
  everyone else (:func:`pre_registered_days`).
* Either way every declarant and driver with a trip planned on those days that is not
  registered in time is told at once, in their language, with the reason, the deadline and where
  to wait (:func:`on_notice`). The public board shows the notice.
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


def registered_in_time(declaration: Declaration, deadline: datetime) -> bool:
    """Whether the trip was declared, or booked, before a notice's registration deadline."""
    return declaration.created_at < deadline or booked_before(declaration, deadline)


def _pre_registered_message(hours: DayHours, gate: Gate, day: date) -> str:
    message = _("%(gate)s takes only goods registered by %(deadline)s on %(day)s (%(reason)s).") % {
        "gate": gate.name,
        "deadline": timezone.localtime(hours.registered_by).strftime("%d/%m/%Y %H:%M")
        if hours.registered_by
        else "",
        "day": day.strftime("%d/%m/%Y"),
        "reason": hours.reason,
    }
    if hours.wait_at:
        message += " " + _("Wait at: %s.") % hours.wait_at
    return message


def refuse_new_booking(declaration: Declaration, starts_at: datetime) -> None:
    """A booking for a day open to pre-registered goods only is refused to a trip declared after
    the notice's registration deadline, once the deadline has passed; before it, booking is
    what registers the truck."""
    day = timezone.localdate(starts_at)
    hours = day_hours(declaration.gate, declaration.flow, day, declaration.route)
    deadline = hours.registered_by
    if deadline is None or timezone.now() < deadline or registered_in_time(declaration, deadline):
        return
    raise Conflict(
        _pre_registered_message(hours, declaration.gate, day),
        code="pre_registered_only",
        fields={"starts_at": [_("Choose a day the notice does not cover.")]},
    )


def pre_registered_days(
    gate: Gate,
    flow: str,
    days: list[date],
    route: Route | None = None,
    declaration: Declaration | None = None,
) -> set[date]:
    """The days open to pre-registered goods only: admission holds them. With ``declaration``:
    only those it may not cross on (it was not registered by the deadline, which has passed)."""
    now = timezone.now()
    out = set()
    for d in days:
        deadline = day_hours(gate, flow, d, route).registered_by
        if deadline is None:
            continue
        if declaration is None or (
            now >= deadline and not registered_in_time(declaration, deadline)
        ):
            out.add(d)
    return out


def guard_arrive(declaration: Declaration, move: Any, actor: User | None) -> None:
    """On a day for pre-registered goods only, a truck without a booking from before the notice
    does not enter the yard: it is sent to wait where the notice says."""
    now = timezone.now()
    day = timezone.localdate(now)
    hours = day_hours(declaration.gate, declaration.flow, day, declaration.route)
    deadline = hours.registered_by
    if deadline is None or registered_in_time(declaration, deadline):
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
    days = sorted({r.date for r in rows})
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
    if first.route_id is not None:
        # A notice for one road concerns the trips on that road.
        trips = trips.filter(route_id=first.route_id)
    told = 0
    for trip in trips:
        if first.pre_registered_only and registered_in_time(trip, first.registration_deadline):
            continue
        compose = _notice_message(trip, rows, days)
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
    trip: Declaration, rows: list[HoursException], days: list[date]
) -> notifications.Compose:
    notice = rows[0]
    windows = ", ".join(
        sorted({f"{r.opens:%H:%M}–{r.closes:%H:%M}" for r in rows if r.opens and r.closes})
    )

    def compose() -> tuple[str, str]:
        values = {
            "gate": trip.gate.name,
            "plate": trip.vehicle.plate,
            "first": days[0].strftime("%d/%m/%Y"),
            "last": days[-1].strftime("%d/%m/%Y"),
            "reason": notice.reason,
            "windows": windows,
            "deadline": timezone.localtime(notice.registration_deadline).strftime("%d/%m/%Y %H:%M"),
        }
        if notice.closed:
            body = _(
                "%(gate)s is closed from %(first)s to %(last)s (%(reason)s). Keep truck "
                "%(plate)s at origin."
            )
        elif notice.pre_registered_only:
            body = _(
                "From %(first)s to %(last)s %(gate)s takes only goods of trucks declared or "
                "booked by %(deadline)s (%(reason)s). Truck %(plate)s is not registered in "
                "time: keep it at origin."
            )
        else:
            body = _(
                "From %(first)s to %(last)s %(gate)s clears goods only %(windows)s "
                "(%(reason)s). Check that truck %(plate)s comes inside those hours."
            )
        text = body % values
        if notice.wait_at:
            text += " " + _("Wait at: %s.") % notice.wait_at
        return _("%(reference)s: gate notice") % {"reference": trip.reference}, text

    return compose
