"""What the public gate board shows, for the page and the JSON alike.

Per gate and direction: trucks in the yard (the queue), the expected wait of a truck joining
it now (the engine's ``priority`` policy over the published capacity), today's capacity and
hours, days the gate holds trucks at origin, and the board's notices. Computed at most every
30 seconds per gate and process: the board refreshes itself and many watch it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from flow import planning, yards
from flow.capacity import total_capacity
from flow.choices import AdmissionStatus
from flow.models import AdmissionDecision, Notice
from gates.choices import Flow
from gates.models import Gate, HoursException
from gates.services import hours_on
from shipments.models import Declaration

CACHE_SECONDS = 30
HISTORY_HOURS = 48
OUTLOOK_DAYS = 7


@dataclass
class Lane:
    flow: str
    flow_label: str
    in_yard: int
    expected_wait_hours: float | None
    capacity_today: int
    capacity_now_per_hour: int
    opens: str | None
    closes: str | None
    hours_note: str
    held_days: list[str]
    #: Every window of the day's goods hours: [["07:30", "11:00"], ["13:30", "17:00"]].
    windows: list[list[str]] = field(default_factory=list)


@dataclass
class YardCard:
    """One yard with a published capacity: its count over both directions and every road
    that waits in it (``flow.yards``), the figure the yard console and admission show."""

    code: str
    name: str
    capacity: int
    #: The date of the source that gives the capacity.
    capacity_as_of: str | None
    in_yard: int
    #: The roads whose trucks wait here (gate or route codes).
    roads: list[str]
    #: Trucks in the yard hour by hour over the last 48 hours: (local hour
    #: "YYYY-MM-DDTHH:00", trucks); the last point is the live count.
    history: list[tuple[str, int]] = field(default_factory=list)
    #: The admission forecast for the next days, per direction: day, median and 90th
    #: percentile of the trucks waiting in the yard (both directions), and whether held.
    outlook: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Card:
    code: str
    name: str
    #: Trucks in the gate's yards, every road and direction.
    in_yard: int
    lanes: list[Lane]
    notices: list[str]
    computed_at: str
    #: The gate's yards with a published capacity, each counted once.
    yards: list[YardCard] = field(default_factory=list)


def _yard_card(yard: yards.YardCount, now: datetime) -> YardCard:
    today = timezone.localdate(now)
    live = yard.in_yard()
    frame = planning.yard_occupancy(yard, now - timedelta(hours=HISTORY_HOURS), now)
    history = {
        ds.strftime("%Y-%m-%dT%H:00"): int(y) for ds, y in zip(frame["ds"], frame["y"], strict=True)
    }
    # The last point is now: the live count, not the count at the last whole hour.
    history[timezone.localtime(now).strftime("%Y-%m-%dT%H:00")] = live
    outlook = [
        {
            "day": d.day.isoformat(),
            "flow": d.flow,
            "flow_label": str(Flow(d.flow).label),
            "median": round(d.expected_queue, 1),
            "p90": round(d.expected_queue_high, 1),
            "held": d.status == AdmissionStatus.HELD,
        }
        for d in AdmissionDecision.objects.filter(
            yard=yard.yard, day__gte=today, day__lt=today + timedelta(days=OUTLOOK_DAYS)
        ).order_by("day", "flow")
    ]
    assert yard.capacity is not None  # noqa: S101 (yard_counts gives counted yards only)
    return YardCard(
        code=yard.code,
        name=yard.yard.name,
        capacity=yard.capacity,
        capacity_as_of=yard.yard.capacity_as_of.isoformat() if yard.yard.capacity_as_of else None,
        in_yard=live,
        roads=[road.code for road in yard.roads],
        history=sorted(history.items()),
        outlook=outlook,
    )


def _card(gate: Gate, now: datetime) -> Card:
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    counts = dict(
        Declaration.objects.filter(gate=gate, state__in=planning.IN_YARD)
        .values_list("flow")
        .annotate(n=Count("pk"))
        .values_list("flow", "n")
    )
    held = {
        (d.flow, d.day)
        for d in AdmissionDecision.objects.filter(
            gate=gate, day__gte=today, status=AdmissionStatus.HELD
        )
    }
    day_hours = {h.flow: h for h in hours_on(gate, today)}
    lanes = []
    for flow in Flow:
        hours = day_hours[flow]
        day = total_capacity(gate, flow, datetime.combine(today, datetime.min.time(), tz), 24)
        lanes.append(
            Lane(
                flow=flow.value,
                flow_label=str(flow.label),
                in_yard=counts.get(flow.value, 0),
                expected_wait_hours=(
                    round(w, 1)
                    if (w := planning.expected_wait_hours(gate, flow, now)) is not None
                    else None
                ),
                capacity_today=sum(day),
                capacity_now_per_hour=day[timezone.localtime(now).hour],
                opens=hours.opens.strftime("%H:%M") if hours.opens else None,
                closes=hours.closes.strftime("%H:%M") if hours.closes else None,
                hours_note=str(hours.reason),
                windows=[[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in hours.windows],
                held_days=sorted({d.isoformat() for f, d in held if f == flow.value}),
            )
        )
    notices = _dated_notices(gate, today) + [
        n.text
        for n in Notice.objects.filter(gate=gate, starts_at__lte=now).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )
    ]
    return Card(
        code=gate.code,
        name=gate.name,
        in_yard=sum(lane.in_yard for lane in lanes),
        lanes=lanes,
        notices=notices,
        computed_at=now.isoformat(),
        yards=[_yard_card(y, now) for y in yards.yard_counts(gate)],
    )


#: How far ahead the board shows dated notices (closures, pre-registered goods only).
NOTICE_DAYS_AHEAD = 14


def _notice_key(row: HoursException) -> tuple[Any, ...]:
    return (row.published_at, row.route_id, row.flow, row.reason)


def _dated_notices(gate: Gate, today: date) -> list[str]:
    """The gate's dated notices from today on, one line per notice (a run of days with the same
    notice is one line, its windows together): closed, pre-registered goods only with the
    registration deadline, or other hours; the road it concerns; where to wait."""
    rows = list(
        HoursException.objects.filter(
            gate=gate, date__gte=today, date__lte=today + timedelta(days=NOTICE_DAYS_AHEAD)
        )
        .select_related("route")
        .order_by("published_at", "route_id", "flow", "date", "opens")
    )
    days: dict[tuple[Any, ...], dict[date, list[HoursException]]] = {}
    for row in rows:
        days.setdefault(_notice_key(row), {}).setdefault(row.date, []).append(row)
    lines = []
    for by_day in days.values():
        runs: list[list[date]] = []
        for day in sorted(by_day):
            if runs and day == runs[-1][-1] + timedelta(days=1):
                runs[-1].append(day)
            else:
                runs.append([day])
        for run in runs:
            first = by_day[run[0]][0]
            windows = ", ".join(
                f"{r.opens:%H:%M}–{r.closes:%H:%M}" for r in by_day[run[0]] if r.opens and r.closes
            )
            lines.append(_notice_line(first, run[0], run[-1], windows))
    return lines


def _notice_line(first: HoursException, start: date, end: date, windows: str) -> str:
    values = {
        "first": start.strftime("%d/%m/%Y"),
        "last": end.strftime("%d/%m/%Y"),
        "flow": str(Flow(first.flow).label) if first.flow else _("both directions"),
        "reason": first.reason,
    }
    if first.route is not None:
        values["flow"] = f"{first.route.name}, {values['flow']}"
    if first.closed:
        text = _("%(first)s–%(last)s, %(flow)s: closed (%(reason)s).") % values
    elif first.pre_registered_only:
        text = _(
            "%(first)s–%(last)s, %(flow)s: pre-registered goods only; trucks not declared or "
            "booked by %(deadline)s are not admitted (%(reason)s)."
        ) % {
            **values,
            "deadline": timezone.localtime(first.registration_deadline).strftime("%d/%m/%Y %H:%M"),
        }
        if windows:
            text += " " + _("Hours: %s.") % windows
    else:
        text = _("%(first)s–%(last)s, %(flow)s: hours %(windows)s (%(reason)s).") % {
            **values,
            "windows": windows,
        }
    if first.wait_at:
        text += " " + _("Wait at: %s.") % first.wait_at
    return text


def cards(code: str | None = None, *, fresh: bool = False) -> list[Card]:
    gates = Gate.objects.filter(is_active=True, mode="road").order_by("sort_order", "code")
    if code:
        gates = gates.filter(code=code)
    now = timezone.now()
    language = translation.get_language() or "vi"
    out = []
    for gate in gates:
        key = f"flow.board.{gate.code}.{language}"
        card = None if fresh else cache.get(key)
        if card is None:
            card = _card(gate, now)
            cache.set(key, card, CACHE_SECONDS)
        out.append(card)
    return out


def forget(gate_code: str) -> None:
    """Drop a gate's cached card (after a yard event): the next view recomputes it."""
    for language in ("vi", "en", "zh-hans"):
        cache.delete(f"flow.board.{gate_code}.{language}")


def as_json(card: Card) -> dict[str, Any]:
    return asdict(card)
