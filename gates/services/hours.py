"""Questions the register answers: when is a gate (or a road) open on a day, in which windows,
what holidays fall on it, what capacity is in force."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gates.choices import Flow
from gates.models import (
    CapacityPlan,
    ForeignHours,
    Gate,
    HoursException,
    Route,
    WorkingHours,
)

if TYPE_CHECKING:
    pass

#: Countries whose public holidays close or slow the gates: Vietnam and the paired side, China.
HOLIDAY_COUNTRIES = ("VN", "CN")


@dataclass(frozen=True)
class Holiday:
    country: str
    day: date
    name: str


#: A window of goods hours on a day, in Vietnam time: (opens, closes); a closing time of 00:00
#: is midnight, the end of the day.
Window = tuple[time, time]


@dataclass(frozen=True)
class DayHours:
    """A gate's (or a road's) goods hours on one day for one flow: any number of windows (Chi Ma
    clears 07:30–11:00 and 13:30–17:00), none when closed."""

    flow: str
    windows: tuple[Window, ...] = ()
    reason: str = ""
    published: bool = True
    #: A "pre-registered goods only" notice covers the day: trucks declared or booked by this
    #: moment may cross; the others wait where the notice says.
    registered_by: datetime | None = None
    wait_at: str = ""
    #: Why the day has no window: "notice", "holiday", "weekday", "other_side" or
    #: "unpublished"; empty when open.
    closed_by: str = ""

    @property
    def is_open(self) -> bool:
        return bool(self.windows)

    @property
    def pre_registered(self) -> bool:
        return self.registered_by is not None

    @property
    def opens(self) -> time | None:
        return self.windows[0][0] if self.windows else None

    @property
    def closes(self) -> time | None:
        return self.windows[-1][1] if self.windows else None

    @property
    def windows_text(self) -> str:
        return ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in self.windows)

    @property
    def flow_label(self) -> str:
        return str(Flow(self.flow).label)

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The windows as aware datetimes on ``day`` (a 00:00 close is the next midnight)."""
        tz = timezone.get_current_timezone()
        out = []
        for opens, closes in self.windows:
            start = datetime.combine(day, opens, tz)
            end = (
                datetime.combine(day + timedelta(days=1), time(0), tz)
                if closes == time(0) or closes <= opens
                else datetime.combine(day, closes, tz)
            )
            out.append((start, end))
        return out


def _holiday_language(country: str, language: str) -> str | None:
    # The holidays package names Vietnam's holidays in vi and en_US, China's also in zh_CN.
    if language.startswith("vi") and country == "VN":
        return "vi"
    if language.startswith("zh") and country == "CN":
        return "zh_CN"
    return "en_US"


@lru_cache(maxsize=64)
def _calendar(country: str, year: int, language: str | None) -> dict[date, str]:
    return dict(holiday_calendars.country_holidays(country, years=year, language=language).items())


def holidays_between(start: date, end: date, language: str | None = None) -> list[Holiday]:
    """Public holidays of Vietnam and China from ``start`` to ``end`` inclusive."""
    language = language or get_language() or "vi"
    found: list[Holiday] = []
    for country in HOLIDAY_COUNTRIES:
        for year in range(start.year, end.year + 1):
            calendar = _calendar(country, year, _holiday_language(country, language))
            found.extend(
                Holiday(country, day, name) for day, name in calendar.items() if start <= day <= end
            )
    return sorted(found, key=lambda h: (h.day, h.country))


def holidays_on(day: date, language: str | None = None) -> list[Holiday]:
    return holidays_between(day, day, language)


def gates_with_hours(day: date, gates: QuerySet[Gate]) -> QuerySet[Gate]:
    """Prefetch what :func:`hours_on` needs for ``day``, so a list of gates costs few queries."""
    return gates.prefetch_related(
        "routes",
        "foreign_gate",
        Prefetch(
            "working_hours",
            queryset=WorkingHours.objects.filter(
                Q(valid_until__isnull=True) | Q(valid_until__gte=day),
                weekday=day.weekday(),
                valid_from__lte=day,
            ).order_by("-valid_from", "opens"),
            to_attr="hours_for_day",
        ),
        Prefetch(
            "working_hours",
            queryset=WorkingHours.objects.filter(
                Q(valid_until__isnull=True) | Q(valid_until__gte=day), valid_from__lte=day
            ).only("pk", "gate_id", "route_id", "flow"),
            to_attr="schedules_for_day",
        ),
        Prefetch(
            "hours_exceptions",
            queryset=HoursException.objects.filter(date=day),
            to_attr="exceptions_for_day",
        ),
    )


def hours_on(
    gate: Gate,
    day: date,
    *,
    route: Route | None = None,
    holidays_today: Sequence[Holiday] | None = None,
) -> list[DayHours]:
    """Goods hours of ``gate`` (or ``route``) on ``day`` for each flow, as windows.

    Precedence: the day's notices (closed, other hours in one or several windows, or
    pre-registered goods only); then a public holiday of either country, if the gate closes
    on holidays; then the weekly hours valid on that day (the route's own, else the gate's;
    every window of the latest schedule). A flow with no published hours is reported closed
    with that reason. The result is cut to the paired foreign gate's windows that day.
    """
    weekly: Iterable[WorkingHours] | None = getattr(gate, "hours_for_day", None)
    if weekly is None:
        weekly = gate.working_hours.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
            weekday=day.weekday(),
            valid_from__lte=day,
        ).order_by("-valid_from", "opens")
    exceptions: Iterable[HoursException] | None = getattr(gate, "exceptions_for_day", None)
    if exceptions is None:
        exceptions = gate.hours_exceptions.filter(date=day)
    if holidays_today is None:
        holidays_today = holidays_on(day)
    route_id = route.pk if route else None
    weekly, exceptions = list(weekly), list(exceptions)
    # Which schedules are in force that day, whatever the weekday: a road (or gate) whose
    # schedule has no window on this weekday is closed that day, not "not published".
    schedules: Iterable[WorkingHours] | None = getattr(gate, "schedules_for_day", None)
    if schedules is None:
        schedules = WorkingHours.objects.filter(gate=gate, valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )
    in_force = {(w.route_id, w.flow) for w in schedules}
    result: list[DayHours] = []
    for flow in Flow:
        notices = _most_specific([e for e in exceptions if e.flow in ("", flow)], route_id)
        scope = route_id if route_id is not None and (route_id, flow) in in_force else None
        scheduled = (scope, flow) in in_force
        schedule = _latest([w for w in weekly if w.flow == flow and w.route_id == scope])
        usual = tuple(sorted((w.opens, w.closes) for w in schedule))
        if notices:
            first = notices[0]
            registered_by = _registered_by(notices)
            if any(n.closed for n in notices):
                result.append(
                    DayHours(flow, (), first.reason, wait_at=first.wait_at, closed_by="notice")
                )
                continue
            given = tuple(sorted((n.opens, n.closes) for n in notices if n.opens and n.closes))
            if given or usual:
                result.append(
                    DayHours(
                        flow,
                        given or usual,
                        first.reason,
                        registered_by=registered_by,
                        wait_at=first.wait_at,
                    )
                )
                continue
        if gate.closes_on_holidays and holidays_today:
            names = "; ".join(h.name for h in holidays_today)
            result.append(DayHours(flow, (), _("Public holiday: %s") % names, closed_by="holiday"))
            continue
        if not usual and scheduled:
            result.append(
                DayHours(flow, (), _("Closed on this day of the week"), closed_by="weekday")
            )
        elif not usual:
            result.append(
                DayHours(
                    flow, (), _("Hours not published"), published=False, closed_by="unpublished"
                )
            )
        else:
            result.append(DayHours(flow, usual))
    return _both_sides(gate, day, route, result)


def _latest(rows: Sequence[WorkingHours]) -> list[WorkingHours]:
    """Every window of the latest schedule among ``rows`` (several rows from one day are one
    day's windows)."""
    if not rows:
        return []
    newest = max(r.valid_from for r in rows)
    return [r for r in rows if r.valid_from == newest]


def _registered_by(notices: Sequence[HoursException]) -> datetime | None:
    """The deadline of a pre-registered-only notice: trucks declared or booked by then cross."""
    deadlines = [n.registration_deadline for n in notices if n.pre_registered_only]
    return min(deadlines) if deadlines else None


def _both_sides(gate: Gate, day: date, route: Route | None, ours: list[DayHours]) -> list[DayHours]:
    """A crossing needs both sides open: each window is cut to the paired foreign gate's windows
    that day (published in its own time zone, shown here in ours). A foreign gate with no
    published hours does not narrow anything."""
    foreign_id = (route.foreign_gate_id if route is not None else None) or gate.foreign_gate_id
    if foreign_id is None or not any(h.is_open for h in ours):
        return ours
    rows = list(
        ForeignHours.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
            foreign_gate_id=foreign_id,
            weekday=day.weekday(),
            valid_from__lte=day,
        ).select_related("foreign_gate")
    )
    if not rows:
        return ours
    newest = max(r.valid_from for r in rows)
    theirs = [r for r in rows if r.valid_from == newest]
    here = timezone.get_current_timezone()
    their_intervals = []
    for row in theirs:
        zone = ZoneInfo(row.time_zone)
        end_day = day + timedelta(days=1) if row.closes == time(0) else day
        their_intervals.append(
            (
                datetime.combine(day, row.opens, zone).astimezone(here),
                datetime.combine(end_day, row.closes, zone).astimezone(here),
            )
        )
    day_start = datetime.combine(day, time(0), here)
    day_end = day_start + timedelta(days=1)
    out = []
    for h in ours:
        if not h.is_open:
            out.append(h)
            continue
        cut: list[Window] = []
        for start, end in h.intervals(day):
            for their_start, their_end in their_intervals:
                a, b = max(start, their_start, day_start), min(end, their_end, day_end)
                if a < b:
                    cut.append((a.astimezone(here).time(), _clock(b.astimezone(here), day_end)))
        if cut:
            out.append(replace(h, windows=tuple(sorted(cut))))
        else:
            reason = _("Closed on the other side (%s)") % theirs[0].foreign_gate
            out.append(replace(h, windows=(), reason=reason, closed_by="other_side"))
    return out


def _clock(moment: datetime, day_end: datetime) -> time:
    return time(0) if moment >= day_end else moment.time()


_Row = TypeVar("_Row", WorkingHours, HoursException)


def _most_specific(rows: Sequence[_Row], route_id: int | None) -> list[_Row]:
    """The route's own rows where it has any, else the gate-wide ones."""
    own = [r for r in rows if route_id is not None and r.route_id == route_id]
    return own or [r for r in rows if r.route_id is None]


def capacity_at(
    gate: Gate, flow: str, when: datetime, *, route: Route | None = None
) -> CapacityPlan | None:
    """The capacity plan in force at ``when``: the latest one that started by then."""
    plans = CapacityPlan.objects.filter(gate=gate, flow=flow, effective_from__lte=when)
    if route is not None:
        own = plans.filter(route=route).order_by("-effective_from").first()
        if own is not None:
            return own
    return plans.filter(route__isnull=True).order_by("-effective_from").first()
