"""The public trade statistics page (``/statistics/``): tables, charts and CSV of the rollups."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cuakhau.charts import Chart, Series, month_label
from cuakhau.charts import render as draw
from cuakhau.csvsafe import safe_dict
from cuakhau.errors import DomainError
from gates.choices import Flow
from gates.models import Gate
from shipments.choices import Direction
from tradestats import queries

#: The tables of the page: name → (title, grouping).
TABLES: dict[str, tuple[Any, list[str]]] = {
    "months": (gettext_lazy("By month"), ["month"]),
    "gates": (gettext_lazy("By gate and direction"), ["gate", "flow"]),
    "regimes": (gettext_lazy("By customs regime"), ["direction"]),
    "chapters": (gettext_lazy("By HS chapter"), ["chapter"]),
}


def _month_chart(filters: queries.Filters, year: int) -> str:
    """Trucks per month of the year, stacked by gate."""
    rows = queries.statistics(filters, ["month", "gate"])
    months = [month_label(date(year, m, 1)) for m in range(1, 13)]
    gates: dict[str, list[float | None]] = {}
    labels: dict[str, str] = {}
    for row in rows:
        values = gates.setdefault(row.keys["gate"], [None] * 12)
        values[row.keys["month"].month - 1] = row.trips
        labels[row.keys["gate"]] = row.labels["gate"]
    chart = Chart(
        title=_("Trucks that crossed, by month and gate, %d") % year,
        description=_(
            "Stacked bars: one per month, one colour per gate; the table below has the figures."
        ),
        x_labels=months,
        kind="bar",
        series=[
            Series(labels[code], values, css=f"s{i % 6}")
            for i, (code, values) in enumerate(sorted(gates.items()))
        ],
    )
    return draw(chart)


@require_GET
def statistics_page(request: HttpRequest) -> HttpResponse:
    years = queries.years()
    raw: dict[str, Any] = request.GET.copy()
    if not raw.get("year") and years:
        raw["year"] = str(years[0])
    try:
        filters = queries.Filters.parse(raw)
    except DomainError as exc:
        return render(
            request,
            "tradestats/statistics.html",
            {"error": exc, "years": years, **_choices()},
            status=exc.status,
        )
    table = request.GET.get("csv", "")
    if table in TABLES:
        return _csv(filters, table)
    context: dict[str, Any] = {
        "filters": filters,
        "years": years,
        "total": next(iter(queries.statistics(filters, [])), None),
        "tables": [
            (name, title, queries.statistics(filters, grouping), grouping)
            for name, (title, grouping) in TABLES.items()
        ],
        "top": _top(filters),
        "chart": _month_chart(filters, filters.year) if filters.year else "",
        "minimum": queries.MIN_ENTERPRISES,
        **_choices(),
    }
    return render(request, "tradestats/statistics.html", context)


def _top(filters: queries.Filters) -> list[tuple[str, list[queries.Row]]]:
    names = {g.code: g.name for g in Gate.objects.all()}
    return [
        (names.get(code, code), rows) for code, rows in queries.top_commodities(filters).items()
    ]


def _choices() -> dict[str, Any]:
    return {
        "gates": Gate.objects.filter(is_active=True),
        "flows": Flow.choices,
        "directions": Direction.choices,
    }


def _csv(filters: queries.Filters, table: str) -> HttpResponse:
    _title, grouping = TABLES[table]
    rows = queries.statistics(filters, grouping)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cuakhau-{table}-{filters.year}.csv"'
    fields = [*grouping, *QUERY_FIELDS]
    writer = csv.DictWriter(response, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(safe_dict(row.as_dict()))
    return response


QUERY_FIELDS = (
    "trucks",
    "tonnes",
    "value_usd",
    "infrastructure_fee_vnd",
    "perishable_share",
    "median_hours_to_clear",
    "trucks_change",
    "value_change",
    "suppressed",
)
