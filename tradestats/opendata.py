"""Open data: daily and monthly datasets at stable URLs, as CSV and JSON, described by a
Frictionless Data Package (``/open-data/datapackage.json``) with its licence and field
definitions.

Nothing identifies an enterprise, a vehicle or a person: the trade datasets are built from the
rollups, whose enterprise column is only counted, and a row behind which fewer than
``queries.MIN_ENTERPRISES`` enterprises stand has its figures withheld (empty, ``suppressed``
true). Hours, capacity and closures are the gates' published rules.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cuakhau.csvsafe import safe_cell
from gates.models import CapacityPlan, ForeignHours, HoursException, WorkingHours, Yard
from tradestats import queries
from tradestats.models import TradeDay

LICENSE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Dataset:
    name: str
    title: Any
    description: Any
    fields: tuple[Field, ...]
    rows: Callable[[], Iterator[dict[str, Any]]]
    primary_key: tuple[str, ...] = ()


def _traffic_daily() -> Iterator[dict[str, Any]]:
    for row in (
        TradeDay.objects.values("day", "gate__code", "flow")
        .annotate(
            trucks=Sum("trips"),
            perishable=Sum("perishable_trips"),
            weight=Sum("weight_kg"),
            value=Sum("value_usd"),
            enterprises=Count("enterprise", distinct=True),
        )
        .order_by("day", "gate__code", "flow")
    ):
        hidden = row["enterprises"] < queries.MIN_ENTERPRISES
        yield {
            "date": row["day"].isoformat(),
            "gate": row["gate__code"],
            "direction": row["flow"],
            "trucks": None if hidden else row["trucks"],
            "perishable_trucks": None if hidden else row["perishable"],
            "tonnes": None if hidden else round(float(row["weight"]) / 1000, 1),
            "value_usd": None if hidden else round(float(row["value"]), 2),
            "suppressed": hidden,
        }


def _commodities_monthly() -> Iterator[dict[str, Any]]:
    grouping = ["month", "gate", "flow", "direction", "heading"]
    for row in queries.statistics(queries.Filters(), grouping):
        yield {
            "month": f"{row.keys['month']:%Y-%m}",
            "gate": row.keys["gate"],
            "direction": row.keys["flow"],
            "customs_regime": row.keys["direction"],
            "hs_chapter": row.keys["heading"][:2],
            "hs_heading": row.keys["heading"],
            "trucks": row.trips,
            "tonnes": None if row.tonnes is None else float(row.tonnes),
            "value_usd": None if row.value_usd is None else float(row.value_usd),
            "perishable_share": None
            if row.perishable_share is None
            else round(row.perishable_share, 4),
            "median_hours_to_clear": row.median_clear_hours,
            "suppressed": row.suppressed,
        }


def _hours() -> Iterator[dict[str, Any]]:
    for h in WorkingHours.objects.select_related("gate", "route").order_by(
        "gate__sort_order", "route", "flow", "valid_from", "weekday"
    ):
        yield {
            "side": "vn",
            "gate": h.gate.code,
            "route": h.route.code if h.route else "",
            "direction": h.flow,
            "weekday": h.weekday,
            "opens": h.opens.isoformat("minutes"),
            "closes": h.closes.isoformat("minutes"),
            "time_zone": "Asia/Ho_Chi_Minh",
            "valid_from": h.valid_from.isoformat(),
            "valid_until": h.valid_until.isoformat() if h.valid_until else None,
            "source": h.source,
        }
    for f in ForeignHours.objects.select_related("foreign_gate").order_by(
        "foreign_gate__code", "valid_from", "weekday"
    ):
        yield {
            "side": "cn",
            "gate": f.foreign_gate.code,
            "route": "",
            "direction": "",
            "weekday": f.weekday,
            "opens": f.opens.isoformat("minutes"),
            "closes": f.closes.isoformat("minutes"),
            "time_zone": f.time_zone,
            "valid_from": f.valid_from.isoformat(),
            "valid_until": f.valid_until.isoformat() if f.valid_until else None,
            "source": f.source,
        }


def _capacity() -> Iterator[dict[str, Any]]:
    for plan in CapacityPlan.objects.select_related("gate", "route").order_by(
        "gate__sort_order", "route", "flow", "effective_from"
    ):
        yield {
            "kind": "crossing",
            "gate": plan.gate.code,
            "route": plan.route.code if plan.route else "",
            "yard": "",
            "direction": plan.flow,
            "per_hour": plan.trucks_per_hour,
            "places": None,
            "effective_from": plan.effective_from.isoformat(),
            "source": plan.source,
        }
    for yard in Yard.objects.select_related("gate", "route").order_by("gate__sort_order", "code"):
        yield {
            "kind": "yard",
            "gate": yard.gate.code,
            "route": yard.route.code if yard.route else "",
            "yard": yard.code,
            "direction": "",
            "per_hour": None,
            "places": yard.vehicle_capacity,
            # A yard's places are as of its source's date.
            "effective_from": (
                datetime.combine(
                    yard.capacity_as_of, time.min, timezone.get_current_timezone()
                ).isoformat()
                if yard.capacity_as_of
                else None
            ),
            "source": yard.source,
        }


def _closures() -> Iterator[dict[str, Any]]:
    for n in HoursException.objects.select_related("gate", "route").order_by(
        "date", "gate__sort_order", "flow"
    ):
        kind = "closed" if n.closed else "pre_registered" if n.pre_registered_only else "hours"
        yield {
            "date": n.date.isoformat(),
            "gate": n.gate.code,
            "route": n.route.code if n.route else "",
            "direction": n.flow or "",
            "kind": kind,
            "opens": n.opens.isoformat("minutes") if n.opens else None,
            "closes": n.closes.isoformat("minutes") if n.closes else None,
            "reason": n.reason,
            "wait_at": n.wait_at,
            "published_at": n.published_at.isoformat(),
            "source": n.source,
        }


_GATE = Field("gate", "string", "Gate code, as in /api/v1/gates/ (a Chinese gate's for side cn)")
_DIRECTION = Field("direction", "string", "exit (leaving Vietnam) or entry; empty: both")
_SUPPRESSED = Field(
    "suppressed", "boolean", "true: fewer than three enterprises; the figures are withheld"
)
_SOURCE = Field("source", "string", "Where the figure comes from")

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "traffic-daily",
            _("Trucks per day, gate and direction"),
            _("Trucks that crossed each day, with tonnage and declared value."),
            (
                Field("date", "date", "Day of crossing (Asia/Ho_Chi_Minh)"),
                _GATE,
                _DIRECTION,
                Field("trucks", "integer", "Trucks that crossed"),
                Field("perishable_trucks", "integer", "Of which carrying perishable goods"),
                Field("tonnes", "number", "Declared weight of the goods, tonnes"),
                Field("value_usd", "number", "Declared value of the goods, US dollars"),
                _SUPPRESSED,
            ),
            _traffic_daily,
            ("date", "gate", "direction"),
        ),
        Dataset(
            "commodities-monthly",
            _("Trade by month, gate and commodity"),
            _("Trucks, tonnage and value by HS heading of the main goods, with time to clear."),
            (
                Field("month", "yearmonth", "Month of crossing"),
                _GATE,
                _DIRECTION,
                Field("customs_regime", "string", "export, import, temp_import_reexport, …"),
                Field("hs_chapter", "string", "HS chapter (2 digits)"),
                Field("hs_heading", "string", "HS heading (4 digits) of the line of highest value"),
                Field("trucks", "integer", "Trucks that crossed"),
                Field("tonnes", "number", "Declared weight, tonnes"),
                Field("value_usd", "number", "Declared value, US dollars"),
                Field("perishable_share", "number", "Share of the trucks carrying perishables"),
                Field(
                    "median_hours_to_clear",
                    "number",
                    "Median hours from arrival at the yard to cleared (from a histogram)",
                ),
                _SUPPRESSED,
            ),
            _commodities_monthly,
        ),
        Dataset(
            "hours",
            _("Working hours of both sides"),
            _("Dated weekly hours of each gate, and of the paired Chinese gates in Beijing time."),
            (
                Field("side", "string", "vn or cn"),
                _GATE,
                Field("route", "string", "Route code; empty: the whole gate"),
                _DIRECTION,
                Field("weekday", "integer", "0 Monday … 6 Sunday"),
                Field("opens", "string", "HH:MM local time"),
                Field("closes", "string", "HH:MM local time; 00:00 is midnight"),
                Field("time_zone", "string", "IANA time zone of opens and closes"),
                Field("valid_from", "date", "First day in force"),
                Field("valid_until", "date", "Last day in force; empty: still in force"),
                _SOURCE,
            ),
            _hours,
        ),
        Dataset(
            "capacity",
            _("Crossing capacity and yard places"),
            _("Published crossing capacity per hour, and places in the yards."),
            (
                Field("kind", "string", "crossing or yard"),
                _GATE,
                Field("route", "string", "Route code; empty: the gate's own road"),
                Field("yard", "string", "Yard code, for kind yard"),
                _DIRECTION,
                Field("per_hour", "integer", "Trucks per hour (crossing)"),
                Field("places", "integer", "Trucks the yard holds; empty: not published"),
                Field("effective_from", "datetime", "In force from"),
                _SOURCE,
            ),
            _capacity,
        ),
        Dataset(
            "closures",
            _("Closures and notices"),
            _("Dated notices: closed, pre-registered goods only, or other hours."),
            (
                Field("date", "date", "Day the notice applies to"),
                _GATE,
                Field("route", "string", "Route code; empty: the whole gate"),
                _DIRECTION,
                Field("kind", "string", "closed, pre_registered or hours"),
                Field("opens", "string", "HH:MM, for kind hours"),
                Field("closes", "string", "HH:MM, for kind hours"),
                Field("reason", "string", "Why, as published"),
                Field("wait_at", "string", "Where trucks should wait"),
                Field("published_at", "datetime", "When the notice was published"),
                _SOURCE,
            ),
            _closures,
        ),
    )
}


def csv_text(dataset: Dataset) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f.name for f in dataset.fields], lineterminator="\n")
    writer.writeheader()
    for row in dataset.rows():
        writer.writerow(
            {
                k: (
                    "true"
                    if v is True
                    else "false"
                    if v is False
                    else ""
                    if v is None
                    else safe_cell(v)
                )
                for k, v in row.items()
            }
        )
    return out.getvalue()


def descriptor(request: HttpRequest | None = None) -> dict[str, Any]:
    """The Frictionless Data Package describing every dataset (its CSV form)."""
    home = (
        {"homepage": request.build_absolute_uri(reverse("tradestats:open-data"))}
        if request is not None
        else {}
    )
    return {
        **home,
        "name": "cuakhau-lang-son",
        "title": "Lạng Sơn border gates: traffic, trade, hours, capacity and closures",
        "description": "Open data of cuakhau, the digital border gate platform of Lạng Sơn. "
        "Cells behind fewer than three enterprises are suppressed.",
        "licenses": [LICENSE],
        "resources": [
            {
                "name": d.name,
                "title": str(d.title),
                "description": str(d.description),
                "path": f"{d.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": {
                    "fields": [
                        {"name": f.name, "type": f.type, "description": f.description}
                        for f in d.fields
                    ],
                    **({"primaryKey": list(d.primary_key)} if d.primary_key else {}),
                },
            }
            for d in DATASETS.values()
        ],
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tradestats/open_data.html",
        {"datasets": DATASETS.values(), "license": LICENSE, "minimum": queries.MIN_ENTERPRISES},
    )


@require_GET
def datapackage(request: HttpRequest) -> JsonResponse:
    return JsonResponse(descriptor(request), json_dumps_params={"ensure_ascii": False})


@require_GET
def dataset(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    found = DATASETS.get(name)
    if found is None or fmt not in ("csv", "json"):
        raise Http404(_("No such dataset."))
    if fmt == "json":
        return JsonResponse(
            {"name": found.name, "license": LICENSE["name"], "rows": list(found.rows())},
            json_dumps_params={"ensure_ascii": False},
        )
    response = HttpResponse(csv_text(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{found.name}.csv"'
    return response
