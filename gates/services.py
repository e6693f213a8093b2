"""Questions the register answers: when is a gate open on a day, what holidays fall on it, what
capacity is in force."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts import policy
from audit import services as audit
from cuakhau.errors import InvalidInput, NotFound
from cuakhau.numbers import ascii_digits, parse_day
from gates import policy as rules
from gates.choices import Flow, Weekday
from gates.models import (
    CapacityPlan,
    ForeignHours,
    Gate,
    HoursException,
    Route,
    WorkingHours,
)

if TYPE_CHECKING:
    from accounts.models import User

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
    #: When a "pre-registered goods only" notice covers the day: its publication time (only
    #: trucks booked before it may cross) and where the others wait.
    pre_registered_since: datetime | None = None
    wait_at: str = ""

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
        if exception is not None and exception.closed:
            result.append(DayHours(flow, None, None, exception.reason, wait_at=exception.wait_at))
            continue
        if exception is not None and exception.opens is not None:
            result.append(
                DayHours(
                    flow,
                    exception.opens,
                    exception.closes,
                    exception.reason,
                    pre_registered_since=_since(exception),
                    wait_at=exception.wait_at,
                )
            )
            continue
        if gate.closes_on_holidays and holidays_today:
            names = "; ".join(h.name for h in holidays_today)
            result.append(DayHours(flow, None, None, _("Public holiday: %s") % names))
            continue
        rows = [w for w in weekly if w.flow == flow]
        row = _most_specific(rows, route_id)
        if row is None:
            result.append(DayHours(flow, None, None, _("Hours not published"), published=False))
        elif exception is not None:
            # Pre-registered goods only, in the usual hours.
            result.append(
                DayHours(
                    flow,
                    row.opens,
                    row.closes,
                    exception.reason,
                    pre_registered_since=_since(exception),
                    wait_at=exception.wait_at,
                )
            )
        else:
            result.append(DayHours(flow, row.opens, row.closes))
    return _both_sides(gate, day, route, result)


def _both_sides(gate: Gate, day: date, route: Route | None, ours: list[DayHours]) -> list[DayHours]:
    """A crossing needs both sides open: each open window is cut to the paired foreign gate's
    hours that day (published in its own time zone, shown here in ours). A foreign gate with no
    published hours does not narrow anything."""
    foreign_id = (route.foreign_gate_id if route is not None else None) or gate.foreign_gate_id
    if foreign_id is None or not any(h.is_open for h in ours):
        return ours
    theirs = (
        ForeignHours.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
            foreign_gate_id=foreign_id,
            weekday=day.weekday(),
            valid_from__lte=day,
        )
        .order_by("-valid_from")
        .first()
    )
    if theirs is None:
        return ours
    here = timezone.get_current_timezone()
    zone = ZoneInfo(theirs.time_zone)
    opens = datetime.combine(day, theirs.opens, zone).astimezone(here)
    end_day = day + timedelta(days=1) if theirs.closes == time(0) else day
    closes = datetime.combine(end_day, theirs.closes, zone).astimezone(here)
    out = []
    for h in ours:
        if not h.is_open or h.opens is None or h.closes is None:
            out.append(h)
            continue
        start = max(h.opens, opens.time()) if opens.date() == day else h.opens
        end = min(h.closes, closes.time()) if closes.date() == day else h.closes
        if start >= end:
            reason = _("Closed on the other side (%s)") % theirs.foreign_gate
            out.append(replace(h, opens=None, closes=None, reason=reason))
        else:
            out.append(replace(h, opens=start, closes=end))
    return out


def _since(exception: HoursException) -> datetime | None:
    return exception.published_at if exception.pre_registered_only else None


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


# --- the board publishes hours -----------------------------------------------------------------

_CLOCK = re.compile(r"^(\d{1,2})(?:[:hH.](\d{2})?)?$")


def parse_clock(raw: Any) -> time | None:
    """A time of day as people write it at the gates: ``07:00``, ``7:00``, ``7h``, ``7h30``."""
    text = ascii_digits(str(raw if raw is not None else "")).strip()
    found = _CLOCK.match(text)
    if found is None:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if hour == 24 and minute == 0:
        return time(23, 59)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


@dataclass
class WeekInput:
    """A gate's weekly hours for one flow from ``valid_from``: per weekday (0 = Monday) the
    opening and closing times, or both blank when the gate is closed that day."""

    flow: str = ""
    valid_from: Any = None
    opens: Sequence[Any] = ()
    closes: Sequence[Any] = ()
    source: str = ""


def _gate_for_hours(actor: User, gate_code: str) -> Gate:
    policy.require(actor, rules.MANAGE_HOURS)
    gate = Gate.objects.filter(code=gate_code).first()
    if gate is None:
        raise NotFound(_("No such gate."))
    return gate


def _hours_row(row: WorkingHours) -> dict[str, Any]:
    return {
        "weekday": row.weekday,
        "opens": row.opens.strftime("%H:%M"),
        "closes": row.closes.strftime("%H:%M"),
        "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
    }


def do_set_weekly_hours(*, actor: User, gate_code: str, data: WeekInput) -> list[WorkingHours]:
    """Publish a gate's weekly hours for one flow from a day on (today or later).

    The hours in force until then end the day before; hours published earlier for days from
    ``valid_from`` on are replaced. Audited with what was replaced.
    """
    gate = _gate_for_hours(actor, gate_code)
    errors: dict[str, list[str]] = {}
    if data.flow not in Flow.values:
        errors["flow"] = [_("Choose outbound or inbound.")]
    valid_from = parse_day(data.valid_from)
    if valid_from is None:
        errors["valid_from"] = [_("Give the first day as DD/MM/YYYY.")]
    elif valid_from < timezone.localdate():
        errors["valid_from"] = [_("Hours start today or later; past days keep their hours.")]
    week: list[tuple[int, time, time]] = []
    opens, closes = list(data.opens), list(data.closes)
    if len(opens) != 7 or len(closes) != 7:
        errors["opens"] = [_("Give the hours of each of the seven days.")]
    else:
        for weekday in range(7):
            raw_open, raw_close = str(opens[weekday]).strip(), str(closes[weekday]).strip()
            if not raw_open and not raw_close:
                continue  # closed that day
            start, end = parse_clock(raw_open), parse_clock(raw_close)
            label = str(Weekday(weekday).label)
            if start is None or end is None:
                errors.setdefault(f"opens-{weekday}", []).append(
                    _("%s: write both times as HH:MM, e.g. 07:00 and 19:00.") % label
                )
            elif start >= end:
                errors.setdefault(f"opens-{weekday}", []).append(
                    _("%s: the gate must open before it closes.") % label
                )
            else:
                week.append((weekday, start, end))
    source = data.source.strip()[:1000]
    if not source:
        errors["source"] = [_("Say where these hours come from (the notice, its date).")]
    if errors:
        raise InvalidInput(_("The hours have errors; see each field."), fields=errors)
    assert valid_from is not None  # noqa: S101 - checked above
    with transaction.atomic():
        current = WorkingHours.objects.select_for_update().filter(
            gate=gate, route__isnull=True, flow=data.flow
        )
        replaced = [_hours_row(r) for r in current.filter(valid_from__gte=valid_from)]
        current.filter(valid_from__gte=valid_from).delete()
        ended = list(
            current.filter(
                Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from),
                valid_from__lt=valid_from,
            )
        )
        for row in ended:
            row.valid_until = valid_from - timedelta(days=1)
            row.save(update_fields=["valid_until"])
        created = WorkingHours.objects.bulk_create(
            WorkingHours(
                gate=gate,
                flow=data.flow,
                weekday=weekday,
                opens=start,
                closes=end,
                valid_from=valid_from,
                source=source,
            )
            for weekday, start, end in week
        )
        audit.record(
            action="gates.hours_published",
            obj=gate,
            actor=actor,
            before={"replaced": replaced, "ended": [_hours_row(r) for r in ended]},
            after={
                "flow": data.flow,
                "valid_from": valid_from.isoformat(),
                "week": [_hours_row(r) for r in created],
                "source": source,
            },
        )
    return created


@dataclass
class ExceptionInput:
    """A dated notice: closed all day, other hours, or open for pre-registered goods only (in
    the usual hours, or in the hours given); for one flow or both (blank); from ``day`` to
    ``last_day`` (blank: that day only)."""

    day: Any = None
    flow: str = ""
    closed: bool = False
    opens: Any = ""
    closes: Any = ""
    reason: str = ""
    source: str = ""
    last_day: Any = None
    pre_registered_only: bool = False
    wait_at: str = ""


#: A notice covers at most this many days (Tết closures run a week or two).
MAX_NOTICE_DAYS = 31

#: Called with the rows of a notice just published (flow tells the trucks it holds).
NoticeHook = Callable[[list[HoursException]], object]
_notice_hooks: list[NoticeHook] = []


def register_notice_hook(hook: NoticeHook) -> None:
    _notice_hooks.append(hook)


def _exception_row(row: HoursException) -> dict[str, Any]:
    return {
        "date": row.date.isoformat(),
        "flow": row.flow,
        "closed": row.closed,
        "pre_registered_only": row.pre_registered_only,
        "wait_at": row.wait_at,
        "opens": row.opens.strftime("%H:%M") if row.opens else None,
        "closes": row.closes.strftime("%H:%M") if row.closes else None,
        "reason": row.reason,
    }


def do_add_exception(*, actor: User, gate_code: str, data: ExceptionInput) -> list[HoursException]:
    """Publish a dated notice (Tết, a notice from the other side): closed, other hours, or
    pre-registered goods only, over one day or a run of days; audited. One notice per gate,
    flow and day: a new one for the same day replaces the old. The hooks (flow) then tell the
    trucks planned for those days."""
    gate = _gate_for_hours(actor, gate_code)
    errors: dict[str, list[str]] = {}
    day = parse_day(data.day)
    if day is None:
        errors["day"] = [_("Give the day as DD/MM/YYYY.")]
    last = day
    if data.last_day not in (None, ""):
        last = parse_day(data.last_day)
        if last is None:
            errors["last_day"] = [_("Give the last day as DD/MM/YYYY, or leave it empty.")]
        elif day is not None and not day <= last <= day + timedelta(days=MAX_NOTICE_DAYS - 1):
            errors["last_day"] = [
                _("The last day is the first day or up to %d days after it.")
                % (MAX_NOTICE_DAYS - 1)
            ]
    if data.flow not in ("", *Flow.values):
        errors["flow"] = [_("Choose outbound, inbound or both.")]
    if data.closed and data.pre_registered_only:
        errors["pre_registered_only"] = [
            _("A closed gate takes no goods: choose closed or pre-registered goods only.")
        ]
    start = end = None
    given = str(data.opens or "").strip() or str(data.closes or "").strip()
    if not data.closed and (given or not data.pre_registered_only):
        start, end = parse_clock(data.opens), parse_clock(data.closes)
        if start is None or end is None:
            errors["opens"] = [_("Write both times as HH:MM, or tick 'closed all day'.")]
        elif start >= end:
            errors["opens"] = [_("The gate must open before it closes.")]
    reason = data.reason.strip()[:300]
    if not reason:
        errors["reason"] = [_("Say why (it is shown to drivers and declarants).")]
    if errors:
        raise InvalidInput(_("The change of hours has errors; see each field."), fields=errors)
    assert day is not None and last is not None  # noqa: S101 - checked above
    now = timezone.now()
    days = [day + timedelta(days=i) for i in range((last - day).days + 1)]
    with transaction.atomic():
        same = HoursException.objects.select_for_update().filter(
            gate=gate, route__isnull=True, flow=data.flow, date__in=days
        )
        replaced = [_exception_row(r) for r in same]
        same.delete()
        rows = [
            HoursException.objects.create(
                gate=gate,
                flow=data.flow,
                date=d,
                closed=data.closed,
                opens=start,
                closes=end,
                pre_registered_only=bool(data.pre_registered_only),
                reason=reason,
                wait_at=data.wait_at.strip()[:200],
                published_at=now,
                source=data.source.strip()[:1000],
            )
            for d in days
        ]
        audit.record(
            action="gates.hours_exception_published",
            obj=gate,
            actor=actor,
            before={"replaced": replaced} if replaced else None,
            after={**_exception_row(rows[0]), "last_day": last.isoformat()},
        )
        for hook in _notice_hooks:
            hook(rows)
    return rows


def do_remove_exception(*, actor: User, gate_code: str, exception_id: int) -> None:
    """Withdraw a dated exception (published by mistake, or the closure was lifted); audited."""
    gate = _gate_for_hours(actor, gate_code)
    with transaction.atomic():
        exception = (
            HoursException.objects.select_for_update().filter(gate=gate, pk=exception_id).first()
        )
        if exception is None:
            raise NotFound(_("No such change of hours at this gate."))
        before = _exception_row(exception)
        exception.delete()
        audit.record(action="gates.hours_exception_withdrawn", obj=gate, actor=actor, before=before)
