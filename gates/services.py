"""Questions the register answers: when is a gate open on a day, what holidays fall on it, what
capacity is in force."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import TypeVar

import holidays as holiday_calendars
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gates.choices import Flow
from gates.models import CapacityPlan, Gate, HoursException, Route, WorkingHours

#: Countries whose public holidays close or slow the gates: Vietnam and the paired side, China.
HOLIDAY_COUNTRIES = ("VN", "CN")


@dataclass(frozen=True)
class Holiday:
    country: str
    day: date
    name: str


@dataclass(frozen=True)
class DayHours:
    flow: str
    opens: time | None
    closes: time | None
    reason: str = ""
    published: bool = True

    @property
    def is_open(self) -> bool:
        return self.opens is not None

    @property
    def flow_label(self) -> str:
        return str(Flow(self.flow).label)


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
            ).order_by("-valid_from"),
            to_attr="hours_for_day",
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
    """Goods hours of ``gate`` (or ``route``) on ``day`` for each flow.

    Precedence: a dated exception; then a public holiday of either country, if the gate closes
    on holidays; then the weekly hours valid on that day (the route's own, else the gate's).
    A flow with no published hours is reported closed with that reason.
    """
    weekly: Iterable[WorkingHours] | None = getattr(gate, "hours_for_day", None)
    if weekly is None:
        weekly = gate.working_hours.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
            weekday=day.weekday(),
            valid_from__lte=day,
        ).order_by("-valid_from")
    exceptions: Iterable[HoursException] | None = getattr(gate, "exceptions_for_day", None)
    if exceptions is None:
        exceptions = gate.hours_exceptions.filter(date=day)
    if holidays_today is None:
        holidays_today = holidays_on(day)
    route_id = route.pk if route else None
    result: list[DayHours] = []
    for flow in Flow:
        exception = _most_specific([e for e in exceptions if e.flow in ("", flow)], route_id)
        if exception is not None:
            if exception.closed:
                result.append(DayHours(flow, None, None, exception.reason))
            else:
                result.append(DayHours(flow, exception.opens, exception.closes, exception.reason))
            continue
        if gate.closes_on_holidays and holidays_today:
            names = "; ".join(h.name for h in holidays_today)
            result.append(DayHours(flow, None, None, _("Public holiday: %s") % names))
            continue
        rows = [w for w in weekly if w.flow == flow]
        row = _most_specific(rows, route_id)
        if row is None:
            result.append(DayHours(flow, None, None, _("Hours not published"), published=False))
        else:
            result.append(DayHours(flow, row.opens, row.closes))
    return result


_Row = TypeVar("_Row", WorkingHours, HoursException)


def _most_specific(rows: Sequence[_Row], route_id: int | None) -> _Row | None:
    own = [r for r in rows if route_id is not None and r.route_id == route_id]
    gate_wide = [r for r in rows if r.route_id is None]
    chosen = own or gate_wide
    return chosen[0] if chosen else None


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
