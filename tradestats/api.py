"""Trade statistics in the API: the same figures as ``/statistics/``, public."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import PUBLIC, roles
from tradestats import queries

_FILTERS = [
    OpenApiParameter("year", OpenApiTypes.INT, description="e.g. 2026; adds the change on 2025"),
    OpenApiParameter("gate", OpenApiTypes.STR, description="gate code, e.g. huu-nghi"),
    OpenApiParameter("route", OpenApiTypes.STR, description="route code, e.g. tan-thanh"),
    OpenApiParameter("flow", OpenApiTypes.STR, enum=["exit", "entry"]),
    OpenApiParameter("direction", OpenApiTypes.STR, description="customs regime, e.g. export"),
    OpenApiParameter("chapter", OpenApiTypes.STR, description="HS chapter, 2 digits"),
    OpenApiParameter("heading", OpenApiTypes.STR, description="HS heading, 4 digits"),
]


class StatisticsView(APIView):
    """Trucks, tonnes, declared value, infrastructure fee, perishable share and median hours
    to clear, grouped by ``group_by`` (comma-separated: gate, route, flow, direction, chapter,
    heading, month, year). A row behind fewer than three enterprises is withheld
    (``suppressed``: true, figures null)."""

    permission_roles = {"retrieve": roles(PUBLIC)}
    authentication_classes: list[Any] = []

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", OpenApiTypes.STR, description="e.g. gate,month"),
            *_FILTERS,
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        filters = queries.Filters.parse(request.query_params)
        raw = str(request.query_params.get("group_by", "") or "")
        group_by = [g.strip() for g in raw.split(",") if g.strip()]
        rows = queries.statistics(filters, group_by)
        return Response(
            {
                "year": filters.year,
                "group_by": group_by,
                "minimum_enterprises": queries.MIN_ENTERPRISES,
                "rows": [row.as_dict() for row in rows],
            }
        )


class TopCommoditiesView(APIView):
    """Per gate, the HS headings of highest declared value (withheld cells left out)."""

    permission_roles = {"retrieve": roles(PUBLIC)}
    authentication_classes: list[Any] = []

    @extend_schema(parameters=_FILTERS, responses={200: dict})
    def get(self, request: Request) -> Response:
        filters = queries.Filters.parse(request.query_params)
        return Response(
            {
                "year": filters.year,
                "gates": {
                    gate: [row.as_dict() for row in rows]
                    for gate, rows in queries.top_commodities(filters).items()
                },
            }
        )
