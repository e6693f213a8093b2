from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import PUBLIC, roles
from cuakhau.errors import InvalidInput
from cuakhau.viewsets import RestrictedReadOnlyViewSet
from gates.models import ForeignGate, Gate, Route, Yard
from gates.services import gates_with_hours, holidays_between, holidays_on, hours_on

READ_PUBLIC = {"list": roles(PUBLIC), "retrieve": roles(PUBLIC)}


class ForeignGateSerializer(serializers.ModelSerializer[ForeignGate]):
    class Meta:
        model = ForeignGate
        fields = ("code", "name_vi", "name_en", "name_zh", "country", "region")


class RouteSerializer(serializers.ModelSerializer[Route]):
    foreign_gate = ForeignGateSerializer(read_only=True)

    class Meta:
        model = Route
        fields = (
            "code",
            "name_vi",
            "name_en",
            "name_zh",
            "border_markers",
            "foreign_gate",
            "main_goods",
            "source",
        )


class YardSerializer(serializers.ModelSerializer[Yard]):
    operator = serializers.CharField(source="operator.name", default="", read_only=True)

    class Meta:
        model = Yard
        fields = ("code", "name", "kind", "vehicle_capacity", "operator", "source")


class DayHoursSerializer(serializers.Serializer[Any]):
    flow = serializers.CharField()
    opens = serializers.TimeField(allow_null=True)
    closes = serializers.TimeField(allow_null=True)
    is_open = serializers.BooleanField()
    published = serializers.BooleanField(help_text="False when the gate has published no hours")
    reason = serializers.CharField()


class HolidaySerializer(serializers.Serializer[Any]):
    country = serializers.CharField()
    day = serializers.DateField()
    name = serializers.CharField()


class GateSerializer(serializers.ModelSerializer[Gate]):
    foreign_gate = ForeignGateSerializer(read_only=True)
    routes = RouteSerializer(many=True, read_only=True)
    yards = YardSerializer(many=True, read_only=True)
    hours_today = serializers.SerializerMethodField()

    class Meta:
        model = Gate
        fields = (
            "code",
            "name_vi",
            "name_en",
            "name_zh",
            "kind",
            "mode",
            "border_marker",
            "foreign_gate",
            "routes",
            "yards",
            "closes_on_holidays",
            "main_goods",
            "hours_today",
            "source",
        )

    @extend_schema_field(DayHoursSerializer(many=True))
    def get_hours_today(self, gate: Gate) -> list[dict[str, Any]]:
        day = self.context["day"]
        hours = hours_on(gate, day, holidays_today=self.context["holidays"])
        return DayHoursSerializer(hours, many=True).data  # type: ignore[return-value]


class GateViewSet(RestrictedReadOnlyViewSet):
    """The gate register with each gate's goods hours today. Open to everyone."""

    model = Gate
    serializer_class = GateSerializer
    permission_roles = READ_PUBLIC
    lookup_field = "code"
    pagination_class = None

    def base_queryset(self) -> QuerySet[Gate]:
        day = timezone.localdate()
        return gates_with_hours(day, Gate.objects.filter(is_active=True)).prefetch_related(
            "routes__foreign_gate", "yards"
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        day = timezone.localdate()
        context.update(day=day, holidays=holidays_on(day))
        return context


class CommonHolidayView(APIView):
    """Public holidays of Vietnam and China in a date range (at most 366 days)."""

    permission_roles = {"retrieve": roles(PUBLIC)}

    @extend_schema(
        parameters=[
            OpenApiParameter("from", date, description="First day (default: today)"),
            OpenApiParameter("to", date, description="Last day (default: 30 days on)"),
        ],
        responses=HolidaySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        today = timezone.localdate()
        fields: dict[str, list[str]] = {}
        bounds: dict[str, date] = {}
        for name, default in (("from", today), ("to", date.fromordinal(today.toordinal() + 30))):
            raw = request.query_params.get(name)
            try:
                bounds[name] = date.fromisoformat(raw) if raw else default
            except ValueError:
                fields[name] = [_("Give a date as YYYY-MM-DD.")]
        if not fields and bounds["to"] < bounds["from"]:
            fields["to"] = [_("The end comes before the start.")]
        if not fields and (bounds["to"] - bounds["from"]).days > 366:
            fields["to"] = [_("Ask for at most 366 days.")]
        if fields:
            raise InvalidInput(_("The request has errors; see each field."), fields=fields)
        found = holidays_between(bounds["from"], bounds["to"])
        return Response(HolidaySerializer(found, many=True).data)
