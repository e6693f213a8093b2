"""The board publishes hours: weekly schedules (one or several windows a day, for a gate or one
of its roads) and dated notices (closed, other hours, pre-registered goods only with a
registration deadline); audited, with hooks for flow to act on a notice."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from audit import services as audit
from cuakhau.errors import InvalidInput, NotFound
from cuakhau.numbers import ascii_digits, parse_day
from gates import policy as rules
from gates.choices import Flow, Weekday
from gates.models import Gate, HoursException, Route, WorkingHours

if TYPE_CHECKING:
    from accounts.models import User

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
    """A gate's (or one road's) weekly hours for one flow from ``valid_from``: per weekday
    (0 = Monday) the opening and closing times, or both blank when closed that day; a second
    window per day in ``opens_2``/``closes_2`` (Chi Ma's lunch break), or any number of windows
    per day in ``windows`` (a list of seven lists of (opens, closes) pairs), which then replaces
    the other lists."""

    flow: str = ""
    valid_from: Any = None
    opens: Sequence[Any] = ()
    closes: Sequence[Any] = ()
    source: str = ""
    route: str = ""
    opens_2: Sequence[Any] = ()
    closes_2: Sequence[Any] = ()
    windows: Sequence[Sequence[Sequence[Any]]] | None = None


#: At most this many windows a day (a gate with a lunch break and a night window has three).
MAX_WINDOWS = 4


def _gate_for_hours(actor: User, gate_code: str) -> Gate:
    policy.require(actor, rules.MANAGE_HOURS)
    gate = Gate.objects.filter(code=gate_code).first()
    if gate is None:
        raise NotFound(_("No such gate."))
    return gate


def _route_of(gate: Gate, code: Any, errors: dict[str, list[str]]) -> Route | None:
    """The gate's road named ``code`` (blank: the whole gate)."""
    text = str(code or "").strip()
    if not text:
        return None
    route = Route.objects.filter(gate=gate, code=text).first()
    if route is None:
        errors["route"] = [
            _("%(gate)s has no road %(route)r.") % {"gate": gate.name, "route": text}
        ]
    return route


def check_windows(
    pairs: Sequence[Sequence[Any]], field: str, label: str, errors: dict[str, list[str]]
) -> list[tuple[time, time]]:
    """Windows typed as (opens, closes) pairs, blank pairs skipped: each opens before it
    closes, none overlaps another, at most ``MAX_WINDOWS``."""
    out: list[tuple[time, time]] = []
    for pair in pairs:
        raw_open, raw_close = (str(v if v is not None else "").strip() for v in (*pair, "", "")[:2])
        if not raw_open and not raw_close:
            continue
        start, end = parse_clock(raw_open), parse_clock(raw_close)
        if start is None or end is None:
            errors.setdefault(field, []).append(
                _("%s: write both times as HH:MM, e.g. 07:00 and 19:00.") % label
            )
            return []
        if start >= end:
            errors.setdefault(field, []).append(
                _("%s: the gate must open before it closes.") % label
            )
            return []
        out.append((start, end))
    out.sort()
    if len(out) > MAX_WINDOWS:
        errors.setdefault(field, []).append(
            _("%(label)s: at most %(n)d windows a day.") % {"label": label, "n": MAX_WINDOWS}
        )
        return []
    for (_a, first_end), (second_start, _b) in itertools.pairwise(out):
        if second_start < first_end:
            errors.setdefault(field, []).append(_("%s: the windows overlap.") % label)
            return []
    return out


def _hours_row(row: WorkingHours) -> dict[str, Any]:
    return {
        "route": row.route.code if row.route_id and row.route else None,
        "weekday": row.weekday,
        "opens": row.opens.strftime("%H:%M"),
        "closes": row.closes.strftime("%H:%M"),
        "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
    }


def do_set_weekly_hours(*, actor: User, gate_code: str, data: WeekInput) -> list[WorkingHours]:
    """Publish a gate's (or one road's) weekly hours for one flow from a day on (today or
    later), with one or several windows a day.

    The hours in force until then end the day before; hours published earlier for days from
    ``valid_from`` on are replaced. Audited with what was replaced.
    """
    gate = _gate_for_hours(actor, gate_code)
    errors: dict[str, list[str]] = {}
    route = _route_of(gate, data.route, errors)
    if data.flow not in Flow.values:
        errors["flow"] = [_("Choose outbound or inbound.")]
    valid_from = parse_day(data.valid_from)
    if valid_from is None:
        errors["valid_from"] = [_("Give the first day as DD/MM/YYYY.")]
    elif valid_from < timezone.localdate():
        errors["valid_from"] = [_("Hours start today or later; past days keep their hours.")]
    days: list[list[Sequence[Any]]] = []
    if data.windows is not None:
        days = [list(pairs) for pairs in data.windows]
    elif len(data.opens) == 7 and len(data.closes) == 7:
        second = list(data.opens_2) if len(data.opens_2) == 7 else [""] * 7
        second_end = list(data.closes_2) if len(data.closes_2) == 7 else [""] * 7
        days = [[(data.opens[d], data.closes[d]), (second[d], second_end[d])] for d in range(7)]
    week: list[tuple[int, time, time]] = []
    if len(days) != 7:
        errors["opens"] = [_("Give the hours of each of the seven days.")]
    else:
        for weekday, pairs in enumerate(days):
            label = str(Weekday(weekday).label)
            for start, end in check_windows(pairs, f"opens-{weekday}", label, errors):
                week.append((weekday, start, end))
    source = data.source.strip()[:1000]
    if not source:
        errors["source"] = [_("Say where these hours come from (the notice, its date).")]
    if errors:
        raise InvalidInput(_("The hours have errors; see each field."), fields=errors)
    assert valid_from is not None  # noqa: S101 - checked above
    with transaction.atomic():
        current = WorkingHours.objects.select_for_update().filter(
            gate=gate, route=route, flow=data.flow
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
                route=route,
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
                "route": route.code if route else None,
                "flow": data.flow,
                "valid_from": valid_from.isoformat(),
                "week": [_hours_row(r) for r in created],
                "source": source,
            },
        )
    return created


@dataclass
class ExceptionInput:
    """A dated notice: closed all day, other hours (one window in ``opens``/``closes``, or
    several in ``windows``), or open for pre-registered goods only (in the usual hours, or in
    the windows given); for the whole gate or one road (``route``); for one flow or both
    (blank); from ``day`` to ``last_day`` (blank: that day only). A pre-registered notice takes
    trucks declared or booked by ``registered_by`` (a day: by the end of it; blank: by the end
    of the day before the notice starts)."""

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
    route: str = ""
    windows: Sequence[Sequence[Any]] | None = None
    registered_by: Any = None


#: A notice covers at most this many days (Tết closures run a week or two).
MAX_NOTICE_DAYS = 31

#: Called with the rows of a notice just published (flow tells the trucks it holds).
NoticeHook = Callable[[list[HoursException]], object]
_notice_hooks: list[NoticeHook] = []


def register_notice_hook(hook: NoticeHook) -> None:
    _notice_hooks.append(hook)


def _exception_row(row: HoursException) -> dict[str, Any]:
    return {
        "notice": row.notice,
        "route": row.route.code if row.route_id and row.route else None,
        "registered_by": row.registered_by.isoformat() if row.registered_by else None,
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
    """Publish a dated notice (Tết, a notice from the other side, a suspension of some hours):
    closed, other hours in one or several windows, or pre-registered goods only with a
    registration deadline; for the gate or one road; over one day or a run of days; audited.
    One notice per gate or road, flow and day: a new one for the same day replaces the old.
    The hooks (flow) then tell the trucks planned for those days."""
    gate = _gate_for_hours(actor, gate_code)
    errors: dict[str, list[str]] = {}
    route = _route_of(gate, data.route, errors)
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
    pairs = list(data.windows) if data.windows is not None else [(data.opens, data.closes)]
    windows: list[tuple[time, time]] = []
    if not data.closed:
        windows = check_windows(pairs, "opens", str(_("Hours")), errors)
        if not windows and not data.pre_registered_only and "opens" not in errors:
            errors["opens"] = [_("Write both times as HH:MM, or tick 'closed all day'.")]
    deadline = None
    if data.pre_registered_only and day is not None:
        tz = timezone.get_current_timezone()
        deadline = datetime.combine(day, time(0), tz)
        if data.registered_by not in (None, ""):
            by = parse_day(data.registered_by)
            if by is None:
                errors["registered_by"] = [_("Give the registration deadline as DD/MM/YYYY.")]
            elif by >= day:
                errors["registered_by"] = [
                    _("Trucks register before the notice starts: give a day before %s.")
                    % day.strftime("%d/%m/%Y")
                ]
            else:
                deadline = datetime.combine(by + timedelta(days=1), time(0), tz)
    elif data.registered_by not in (None, ""):
        errors["registered_by"] = [
            _("A registration deadline goes with pre-registered goods only.")
        ]
    reason = data.reason.strip()[:300]
    if not reason:
        errors["reason"] = [_("Say why (it is shown to drivers and declarants).")]
    if errors:
        raise InvalidInput(_("The change of hours has errors; see each field."), fields=errors)
    assert day is not None and last is not None  # noqa: S101 - checked above
    now = timezone.now()
    if deadline is not None:
        # What was registered before the notice came out is pre-registered.
        deadline = max(deadline, now)
    days = [day + timedelta(days=i) for i in range((last - day).days + 1)]
    notice = f"N{now:%y%m%d%H%M%S}{secrets.token_hex(2)}"
    with transaction.atomic():
        same = HoursException.objects.select_for_update().filter(
            gate=gate, route=route, flow=data.flow, date__in=days
        )
        replaced = [_exception_row(r) for r in same]
        same.delete()
        common = {
            "gate": gate,
            "route": route,
            "flow": data.flow,
            "closed": data.closed,
            "pre_registered_only": bool(data.pre_registered_only),
            "registered_by": deadline,
            "reason": reason,
            "wait_at": data.wait_at.strip()[:200],
            "published_at": now,
            "source": data.source.strip()[:1000],
            "notice": notice,
        }
        spans: list[tuple[time | None, time | None]] = list(windows) or [(None, None)]
        rows = [
            HoursException.objects.create(date=d, opens=start, closes=end, **common)
            for d in days
            for start, end in spans
        ]
        audit.record(
            action="gates.hours_exception_published",
            obj=gate,
            actor=actor,
            before={"replaced": replaced} if replaced else None,
            after={
                **_exception_row(rows[0]),
                "windows": [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in windows],
                "last_day": last.isoformat(),
            },
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
