"""The charts of the gate board and the admission page, from what those pages already compute
(``board.Card``; the admission decisions), drawn by ``cuakhau.charts``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cuakhau.charts import Band, Chart, Line, Mark, Series, day_label, hour_label, render
from flow.board import Card, YardCard
from flow.choices import AdmissionStatus
from flow.models import AdmissionDecision
from gates.choices import Flow


def yard_chart(card: Card, yard: YardCard) -> SafeString:
    """Trucks in one yard hour by hour over the last 48 hours against its capacity; the hours
    over capacity are drawn in the warning colour and marked."""
    if not yard.history:
        return SafeString("")
    labels = [hour_label(datetime.fromisoformat(hour)) for hour, _n in yard.history]
    counts = [n for _h, n in yard.history]
    over = [n if n > yard.capacity else None for n in counts]
    marks = [Mark(i, _("over capacity")) for i, n in enumerate(counts) if n > yard.capacity]
    return render(
        Chart(
            title=_("%(yard)s: trucks in the yard, last 48 hours") % {"yard": yard.name},
            description=_(
                "Line: trucks in the yard each hour, both directions; dashed line: the yard's "
                "capacity; red: hours over capacity."
            ),
            x_labels=labels,
            series=[
                Series(_("Trucks in the yard"), counts, "s0"),
                Series(_("Over capacity"), over, "over"),
            ],
            lines=[Line(_("Capacity"), yard.capacity)],
            marks=marks,
        )
    )


def outlook_chart(card: Card, yard: YardCard) -> SafeString:
    """The next days' forecast of trucks waiting in one yard (both directions) against its
    capacity; days held at origin marked, per direction."""
    if not yard.outlook:
        return SafeString("")
    days = sorted({row["day"] for row in yard.outlook})
    labels = [day_label(date.fromisoformat(d)) for d in days]
    total = {row["day"]: row["median"] for row in yard.outlook}
    held = {row["day"] for row in yard.outlook if row["held"]}
    return render(
        Chart(
            title=_("%(yard)s: trucks waiting in the next days (forecast)") % {"yard": yard.name},
            description=_(
                "The median forecast of trucks waiting in the yard each day, both directions; "
                "dashed line: the yard's capacity; shaded days: trucks held at origin."
            ),
            x_labels=labels,
            series=[Series(_("Trucks waiting (median)"), [total.get(d) for d in days], "s0")],
            lines=[Line(_("Capacity"), yard.capacity)],
            marks=[Mark(i, _("held at origin")) for i, d in enumerate(days) if d in held],
        )
    )


def board_charts(card: Card) -> list[tuple[YardCard, SafeString, SafeString]]:
    """Each counted yard of a gate card with its two charts."""
    return [(y, yard_chart(card, y), outlook_chart(card, y)) for y in card.yards]


def admission_charts(decisions: Sequence[AdmissionDecision]) -> list[tuple[str, str, SafeString]]:
    """Per yard and direction: the yard's backlog forecast (both directions; median, up to the
    90th percentile) against its capacity day by day, that direction's held days and the
    board's overrides on the same line."""
    groups: dict[tuple[int, str], list[AdmissionDecision]] = defaultdict(list)
    for decision in decisions:
        groups[(decision.yard_id, decision.flow)].append(decision)
    charts = []
    for (_yard_id, flow), rows in groups.items():
        rows.sort(key=lambda d: d.day)
        yard = rows[0].yard
        labels = [day_label(d.day) for d in rows]
        marks = [
            Mark(i, _("held at origin"))
            for i, d in enumerate(rows)
            if d.status == AdmissionStatus.HELD
        ] + [
            Mark(i, _("decided by the board"), "override")
            for i, d in enumerate(rows)
            if d.override_reason
        ]
        chart = Chart(
            title=_("%(yard)s, %(flow)s: trucks waiting, forecast against the yard")
            % {"yard": yard.name, "flow": Flow(flow).label},
            description=_(
                "Line: the median forecast of trucks waiting in the yard each day, both "
                "directions; band: up to the 90th "
                "percentile; dashed line: the yard's capacity; red days: held at origin; blue "
                "days: decided by the board."
            ),
            x_labels=labels,
            series=[Series(_("Median forecast"), [d.expected_queue for d in rows], "s0")],
            bands=[
                Band(
                    _("Up to the 90th percentile"),
                    [d.expected_queue for d in rows],
                    [d.expected_queue_high for d in rows],
                )
            ],
            lines=[Line(_("Yard capacity"), rows[-1].yard_capacity)],
            marks=marks,
        )
        charts.append((f"{yard.code}-{flow}", str(chart.title), render(chart)))
    return charts
