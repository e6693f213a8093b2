"""The charts of the gate board and the admission page, from what those pages already compute
(``board.Card``; the admission decisions), drawn by ``cuakhau.charts``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cuakhau.charts import Band, Chart, Line, Mark, Series, day_label, hour_label, render
from flow.board import Card
from flow.choices import AdmissionStatus
from flow.models import AdmissionDecision
from gates.choices import Flow


def yard_chart(card: Card) -> SafeString:
    """Trucks in the yard hour by hour over the last 48 hours against its capacity; the hours
    over capacity are drawn in the warning colour and marked."""
    if not card.yard_history or card.yard_capacity is None:
        return SafeString("")
    labels = [hour_label(datetime.fromisoformat(hour)) for hour, _n in card.yard_history]
    counts = [n for _h, n in card.yard_history]
    over = [n if n > card.yard_capacity else None for n in counts]
    marks = [Mark(i, _("over capacity")) for i, n in enumerate(counts) if n > card.yard_capacity]
    return render(
        Chart(
            title=_("%(gate)s: trucks in the yard, last 48 hours") % {"gate": card.name},
            description=_(
                "Line: trucks in the yard each hour; dashed line: the yard's capacity; red: "
                "hours over capacity."
            ),
            x_labels=labels,
            series=[
                Series(_("Trucks in the yard"), counts, "s0"),
                Series(_("Over capacity"), over, "over"),
            ],
            lines=[Line(_("Capacity"), card.yard_capacity)],
            marks=marks,
        )
    )


def outlook_chart(card: Card) -> SafeString:
    """The next days' forecast of trucks waiting, per direction, against the yard's capacity;
    days held at origin marked."""
    if not card.outlook:
        return SafeString("")
    days = sorted({row["day"] for row in card.outlook})
    labels = [day_label(date.fromisoformat(d)) for d in days]
    by_flow: dict[str, dict[str, float]] = defaultdict(dict)
    held = set()
    for row in card.outlook:
        by_flow[row["flow"]][row["day"]] = row["median"]
        if row["held"]:
            held.add(row["day"])
    return render(
        Chart(
            title=_("%(gate)s: trucks waiting in the next days (forecast)") % {"gate": card.name},
            description=_(
                "One line per direction: the median forecast of trucks waiting each day; dashed "
                "line: the yard's capacity; shaded days: trucks held at origin."
            ),
            x_labels=labels,
            series=[
                Series(str(Flow(flow).label), [values.get(d) for d in days], f"s{i}")
                for i, (flow, values) in enumerate(sorted(by_flow.items()))
            ],
            lines=[Line(_("Capacity"), card.yard_capacity)] if card.yard_capacity else [],
            marks=[Mark(i, _("held at origin")) for i, d in enumerate(days) if d in held],
        )
    )


def admission_charts(decisions: Sequence[AdmissionDecision]) -> list[tuple[str, str, SafeString]]:
    """Per gate and direction: the backlog forecast (median, up to the 90th percentile) against
    the yard's capacity day by day, held days and the board's overrides on the same line."""
    groups: dict[tuple[int, str], list[AdmissionDecision]] = defaultdict(list)
    for decision in decisions:
        groups[(decision.gate_id, decision.flow)].append(decision)
    charts = []
    for (_gate_id, flow), rows in groups.items():
        rows.sort(key=lambda d: d.day)
        gate = rows[0].gate
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
            title=_("%(gate)s, %(flow)s: trucks waiting, forecast against the yard")
            % {"gate": gate.name, "flow": Flow(flow).label},
            description=_(
                "Line: the median forecast of trucks waiting each day; band: up to the 90th "
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
        charts.append((f"{gate.code}-{flow}", str(chart.title), render(chart)))
    return charts
