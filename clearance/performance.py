"""How clearance performs: hours from arrival at the yard to cleared per channel, hours each
agency's checks took per channel, and the share of each channel over time; for officers (their
gates) and the board (all), on ``/clearance/performance/``."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from clearance.choices import Agency, Channel
from clearance.models import Check, Clearance
from cuakhau.charts import Chart, Series, day_label, render
from gates.models import Gate
from shipments.choices import TruckState
from shipments.models import StateChange

CHANNELS = (Channel.GREEN, Channel.YELLOW, Channel.RED)
CSS = {Channel.GREEN: "s0", Channel.YELLOW: "s2", Channel.RED: "over"}


@dataclass
class AgencyRow:
    agency: str
    channel: str
    checks: int
    median_hours: float | None


@dataclass
class Performance:
    days: list[date]
    #: Per channel, per day: median hours from arrival to cleared (None: none cleared).
    to_clear: dict[str, list[float | None]]
    #: Per channel, per day: trucks cleared.
    cleared: dict[str, list[int]]
    agencies: list[AgencyRow]
    clear_chart: SafeString
    share_chart: SafeString

    def table(self) -> list[tuple[date, list[tuple[int, float | None]]]]:
        """Per day, per channel (green, yellow, red): trucks cleared and median hours."""
        return [
            (day, [(self.cleared[c][i], self.to_clear[c][i]) for c in CHANNELS])
            for i, day in enumerate(self.days)
        ]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def performance(gates: QuerySet[Gate], days: int = 30, now: datetime | None = None) -> Performance:
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), timezone.get_current_timezone())
    span = [first + timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(span)}
    cleared_ids = StateChange.objects.filter(
        to_state=TruckState.CLEARED, at__gte=start, declaration__gate__in=gates
    ).values_list("declaration_id", flat=True)
    channel_of = dict(
        Clearance.objects.filter(declaration_id__in=cleared_ids, channel__in=CHANNELS).values_list(
            "declaration_id", "channel"
        )
    )
    moments: dict[int, dict[str, datetime]] = defaultdict(dict)
    for declaration_id, to_state, at in StateChange.objects.filter(
        declaration_id__in=channel_of, to_state__in=(TruckState.ARRIVED, TruckState.CLEARED)
    ).values_list("declaration_id", "to_state", "at"):
        moments[declaration_id][to_state] = at
    hours: dict[tuple[str, int], list[float]] = defaultdict(list)
    cleared = {c.value: [0] * days for c in CHANNELS}
    for declaration_id, channel in channel_of.items():
        arrived = moments[declaration_id].get(TruckState.ARRIVED)
        done = moments[declaration_id].get(TruckState.CLEARED)
        if done is None or done < start:
            continue
        i = index[timezone.localdate(done)]
        cleared[channel][i] += 1
        if arrived is not None and done >= arrived:
            hours[(channel, i)].append((done - arrived).total_seconds() / 3600)
    to_clear = {c.value: [_median(hours[(c.value, i)]) for i in range(days)] for c in CHANNELS}
    checks: dict[tuple[str, str], list[float]] = defaultdict(list)
    for agency, channel, opened, closed in Check.objects.filter(
        gate__in=gates, closed_at__gte=start, declaration_id__in=channel_of
    ).values_list("agency", "declaration__clearance__channel", "opened_at", "closed_at"):
        checks[(agency, channel)].append((closed - opened).total_seconds() / 3600)
    agencies = [
        AgencyRow(str(Agency(a).label), str(Channel(c).label), len(v), _median(v))
        for (a, c), v in sorted(checks.items())
    ]
    labels = [day_label(d) for d in span]
    clear_chart = render(
        Chart(
            title=_("Hours from arrival at the yard to cleared, by channel (median per day)"),
            description=_("One line per VNACCS channel; the table below has the figures."),
            x_labels=labels,
            series=[Series(str(c.label), to_clear[c.value], CSS[c]) for c in CHANNELS],
        )
    )
    totals = [sum(cleared[c.value][i] for c in CHANNELS) for i in range(days)]
    share_chart = render(
        Chart(
            title=_("Share of each channel among the trucks cleared each day (%)"),
            description=_("Stacked bars adding up to 100 % each day with trucks cleared."),
            x_labels=labels,
            kind="bar",
            ceiling=100,
            series=[
                Series(
                    str(c.label),
                    [
                        100 * cleared[c.value][i] / totals[i] if totals[i] else None
                        for i in range(days)
                    ],
                    CSS[c],
                )
                for c in CHANNELS
            ],
        )
    )
    return Performance(span, to_clear, cleared, agencies, clear_chart, share_chart)
