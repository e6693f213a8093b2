"""The revenue page's charts: daily net collections by gate and fee type, and what trips owed
at the end of each day, in millions of VND (``cuakhau.charts``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cuakhau.charts import Chart, Series, day_label, render, round_nice
from cuakhau.numbers import format_decimal
from fees.choices import ChargeKind
from fees.reports import RevenueRow


def _millions(value: float) -> str:
    return format_decimal(round_nice(value))


def collections_chart(
    rows: Sequence[RevenueRow], start: date, end: date, gate_names: dict[str, str]
) -> SafeString:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    stacks: dict[tuple[str, str], list[float | None]] = defaultdict(lambda: [None] * len(days))
    for row in rows:
        values = stacks[(row.gate, row.kind)]
        values[index[row.day]] = (values[index[row.day]] or 0) + row.net / 1e6
    series = [
        Series(
            f"{gate_names.get(gate, gate)} · {ChargeKind(kind).label}",
            values,
            f"s{i % 6}",
        )
        for i, ((gate, kind), values) in enumerate(sorted(stacks.items()))
    ]
    return render(
        Chart(
            title=_("Net collections per day, by gate and fee type (million VND)"),
            description=_(
                "Stacked bars: one per day, one colour per gate and fee type; the table below "
                "has the figures in VND."
            ),
            x_labels=[day_label(d) for d in days],
            series=series,
            kind="bar",
            number=_millions,
        )
    )


def outstanding_chart(outstanding: Sequence[tuple[date, int]]) -> SafeString:
    return render(
        Chart(
            title=_("Owed by trips at the end of each day (million VND)"),
            description=_(
                "Charges raised and not voided, less what receipts allocated to them, day by day."
            ),
            x_labels=[day_label(d) for d, _n in outstanding],
            series=[Series(_("Owed"), [n / 1e6 for _d, n in outstanding], "s2")],
            number=_millions,
        )
    )
