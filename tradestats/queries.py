"""Trade statistics read from the rollups: trucks, tonnage, declared value, infrastructure fee,
perishable share and median time to clear, grouped by any of gate, route, direction (crossing),
customs regime, HS chapter or heading, month and year, with the change on the year before.

Cells behind which fewer than ``MIN_ENTERPRISES`` enterprises stand are suppressed (their
figures are withheld, the row kept and marked), so no enterprise's trade can be read off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear, Substr
from django.utils.translation import gettext as _

from cuakhau.charts import month_label
from cuakhau.errors import InvalidInput
from gates.choices import Flow
from gates.models import Gate
from shipments.choices import Direction
from shipments.models import Commodity
from tradestats.models import TradeClearance, TradeMonth
from tradestats.rollups import CLEAR_EDGES

MIN_ENTERPRISES = 3
#: What a table may be grouped by → the rollup expression behind it.
DIMENSIONS: dict[str, Any] = {
    "gate": F("gate__code"),
    "route": F("route"),
    "flow": F("flow"),
    "direction": F("direction"),
    "chapter": Substr("hs_heading", 1, 2),
    "heading": F("hs_heading"),
    "month": F("month"),
    "year": ExtractYear("month"),
}


@dataclass
class Filters:
    year: int | None = None
    gate: str = ""
    route: str = ""
    flow: str = ""
    direction: str = ""
    chapter: str = ""
    heading: str = ""

    @classmethod
    def parse(cls, raw: Any) -> Filters:
        """From query parameters; a bad value is refused naming its field."""
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        year = str(raw.get("year", "") or "").strip()
        if year:
            if not year.isdigit() or not 2000 <= int(year) <= 2100:
                errors["year"] = [_("Give a year such as 2026.")]
            else:
                values["year"] = int(year)
        gate = str(raw.get("gate", "") or "").strip()
        if gate and not Gate.objects.filter(code=gate).exists():
            errors["gate"] = [_("Unknown gate %r.") % gate]
        values["gate"] = gate
        flow = str(raw.get("flow", "") or "").strip()
        if flow and flow not in Flow.values:
            errors["flow"] = [_("Choose one of: %s.") % ", ".join(Flow.values)]
        values["flow"] = flow
        direction = str(raw.get("direction", "") or "").strip()
        if direction and direction not in Direction.values:
            errors["direction"] = [_("Choose one of: %s.") % ", ".join(Direction.values)]
        values["direction"] = direction
        for name, digits in (("chapter", 2), ("heading", 4)):
            code = str(raw.get(name, "") or "").strip()
            if code and not (code.isdigit() and len(code) == digits):
                errors[name] = [_("Give %d digits.") % digits]
            values[name] = code
        values["route"] = str(raw.get("route", "") or "").strip()[:40]
        if errors:
            raise InvalidInput(_("The filters have errors; see each field."), fields=errors)
        return cls(**values)

    def q(self, year: int | None = None) -> Q:
        q = Q()
        year = year if year is not None else self.year
        if year is not None:
            q &= Q(month__gte=date(year, 1, 1), month__lt=date(year + 1, 1, 1))
        if self.gate:
            q &= Q(gate__code=self.gate)
        if self.route:
            q &= Q(route=self.route)
        if self.flow:
            q &= Q(flow=self.flow)
        if self.direction:
            q &= Q(direction=self.direction)
        if self.heading:
            q &= Q(hs_heading=self.heading)
        elif self.chapter:
            q &= Q(hs_heading__startswith=self.chapter)
        return q


@dataclass
class Row:
    keys: dict[str, Any]
    trips: int | None
    tonnes: Decimal | None
    value_usd: Decimal | None
    fees_vnd: int | None
    perishable_share: float | None
    median_clear_hours: float | None
    enterprises: int
    suppressed: bool = False
    previous_trips: int | None = None
    previous_value_usd: Decimal | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def trips_change(self) -> float | None:
        if self.trips is None or not self.previous_trips:
            return None
        return self.trips / self.previous_trips - 1

    @property
    def value_change(self) -> float | None:
        if self.value_usd is None or not self.previous_value_usd:
            return None
        return float(self.value_usd / self.previous_value_usd) - 1

    def as_dict(self) -> dict[str, Any]:
        return {
            **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.keys.items()},
            "trucks": self.trips,
            "tonnes": None if self.tonnes is None else float(self.tonnes),
            "value_usd": None if self.value_usd is None else float(self.value_usd),
            "infrastructure_fee_vnd": self.fees_vnd,
            "perishable_share": self.perishable_share,
            "median_hours_to_clear": self.median_clear_hours,
            "suppressed": self.suppressed,
            "trucks_change": self.trips_change,
            "value_change": self.value_change,
        }


def _grouping(group_by: Sequence[str]) -> list[str]:
    unknown = [g for g in group_by if g not in DIMENSIONS]
    if unknown or len(set(group_by)) != len(group_by):
        raise InvalidInput(
            _("Group by some of: %s.") % ", ".join(DIMENSIONS),
            fields={"group_by": [_("Group by some of: %s.") % ", ".join(DIMENSIONS)]},
        )
    return list(group_by)


def _annotated(queryset: QuerySet[Any], group_by: Sequence[str]) -> QuerySet[Any]:
    return queryset.annotate(**{f"k_{g}": DIMENSIONS[g] for g in group_by}).values(
        *[f"k_{g}" for g in group_by]
    )


def median_from(buckets: dict[int, int]) -> float | None:
    """The median of a time-to-clear histogram, interpolated inside its bucket."""
    total = sum(buckets.values())
    if not total:
        return None
    half, seen = total / 2, 0
    for bucket in sorted(buckets):
        n = buckets[bucket]
        if seen + n >= half:
            low = CLEAR_EDGES[bucket - 1] if bucket > 0 else 0.0
            high = CLEAR_EDGES[bucket] if bucket < len(CLEAR_EDGES) else low * 1.5
            return round(low + (high - low) * (half - seen) / n, 2)
        seen += n
    return None


def _medians(filters: Filters, group_by: Sequence[str]) -> dict[tuple[Any, ...], float | None]:
    keys = list(group_by)
    rows = (
        TradeClearance.objects.filter(filters.q())
        .annotate(**{f"k_{g}": DIMENSIONS[g] for g in keys})
        .values(*[f"k_{g}" for g in keys], "bucket")
        .annotate(n=Sum("trips"))
        .order_by()
    )
    hist: dict[tuple[Any, ...], dict[int, int]] = defaultdict(dict)
    for row in rows:
        key = tuple(row[f"k_{g}"] for g in keys)
        hist[key][row["bucket"]] = hist[key].get(row["bucket"], 0) + int(row["n"])
    return {key: median_from(buckets) for key, buckets in hist.items()}


_MEASURES = {
    "trips": Sum("trips"),
    "perishable": Sum("perishable_trips"),
    "weight": Sum("weight_kg"),
    "value": Sum("value_usd"),
    "fees": Sum("fees_vnd"),
    "enterprises": Count("enterprise", distinct=True),
}


def _sums(filters: Filters, group_by: Sequence[str], year: int | None = None) -> list[dict]:
    cells = TradeMonth.objects.filter(filters.q(year))
    if not group_by:
        total = cells.aggregate(**_MEASURES)
        return [total] if total["trips"] else []
    return list(
        _annotated(cells, group_by).annotate(**_MEASURES).order_by(*[f"k_{g}" for g in group_by])
    )


def statistics(filters: Filters, group_by: Sequence[str]) -> list[Row]:
    """One row per group (one row in all when ``group_by`` is empty), each with its change on
    the year before when a year is chosen."""
    group_by = _grouping(group_by)
    current = _sums(filters, group_by)
    medians = _medians(filters, group_by)
    previous: dict[tuple[Any, ...], dict] = {}
    if filters.year is not None:
        shifted = [g for g in group_by if g != "year"]
        for row in _sums(filters, shifted, filters.year - 1):
            key = tuple(
                row[f"k_{g}"].replace(year=filters.year) if g == "month" else row[f"k_{g}"]
                for g in shifted
            )
            previous[key] = row
    rows = []
    for row in current:
        key = tuple(row[f"k_{g}"] for g in group_by)
        before = previous.get(tuple(row[f"k_{g}"] for g in group_by if g != "year"))
        hidden = row["enterprises"] < MIN_ENTERPRISES
        trips = int(row["trips"] or 0)
        rows.append(
            Row(
                keys=dict(zip(group_by, key, strict=True)),
                trips=None if hidden else trips,
                tonnes=None if hidden else (row["weight"] / 1000).quantize(Decimal("0.1")),
                value_usd=None if hidden else row["value"],
                fees_vnd=None if hidden else int(row["fees"] or 0),
                perishable_share=None if hidden or not trips else row["perishable"] / trips,
                median_clear_hours=None if hidden else medians.get(key),
                enterprises=row["enterprises"],
                suppressed=hidden,
                previous_trips=None
                if hidden or before is None or before["enterprises"] < MIN_ENTERPRISES
                else int(before["trips"]),
                previous_value_usd=None
                if hidden or before is None or before["enterprises"] < MIN_ENTERPRISES
                else before["value"],
            )
        )
    _label(rows)
    return rows


def top_commodities(filters: Filters, per_gate: int = 5) -> dict[str, list[Row]]:
    """Per gate, the HS headings of highest declared value (suppressed cells left out)."""
    by_gate: dict[str, list[Row]] = defaultdict(list)
    for row in statistics(filters, ["gate", "heading"]):
        if not row.suppressed:
            by_gate[row.keys["gate"]].append(row)
    return {
        gate: sorted(rows, key=lambda r: -(r.value_usd or 0))[:per_gate]
        for gate, rows in by_gate.items()
    }


def years() -> list[int]:
    """The years with trade in the rollups, newest first."""
    return sorted({d.year for d in TradeMonth.objects.dates("month", "year")}, reverse=True)


def _label(rows: list[Row]) -> None:
    """Readable names beside the codes, in the active language."""
    gates = {g.code: g.name for g in Gate.objects.all()}
    headings: dict[str, list[str]] = defaultdict(list)
    for commodity in Commodity.objects.all():
        headings[commodity.hs_heading].append(str(commodity.name))
    for row in rows:
        for key, value in row.keys.items():
            if key == "gate":
                row.labels[key] = gates.get(value, value)
            elif key == "flow":
                row.labels[key] = str(Flow(value).label) if value in Flow.values else value
            elif key == "direction":
                row.labels[key] = (
                    str(Direction(value).label) if value in Direction.values else value
                )
            elif key == "heading":
                row.labels[key] = f"{value} — {', '.join(sorted(headings.get(value, [])))}"
            elif key == "chapter":
                row.labels[key] = _("Chapter %s") % value
            elif key == "month":
                row.labels[key] = month_label(value)
            else:
                row.labels[key] = str(value) if value else _("gate's own road")
