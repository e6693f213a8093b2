from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import PUBLIC, roles
from cuakhau.errors import InvalidInput
from cuakhau.numbers import parse_day
from cuakhau.requests import actor
from cuakhau.viewsets import RestrictedReadOnlyViewSet
from gates import policy as rules
from gates import services
from gates.models import ForeignGate, Gate, HoursException, Route, Yard
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
        fields = (
            "code",
            "name",
            "kind",
            "vehicle_capacity",
            "capacity_as_of",
            "operator",
            "source",
        )


class DayHoursSerializer(serializers.Serializer[Any]):
    flow = serializers.CharField()
    opens = serializers.TimeField(allow_null=True, help_text="The first window's opening time.")
    closes = serializers.TimeField(allow_null=True, help_text="The last window's closing time.")
    windows = serializers.SerializerMethodField(
        help_text="Every window of goods hours that day, in Vietnam time: [[opens, closes], ...]."
    )
    is_open = serializers.BooleanField()
    published = serializers.BooleanField(help_text="False when the gate has published no hours")
    reason = serializers.CharField()
    registered_by = serializers.DateTimeField(
        allow_null=True,
        help_text="Pre-registered goods only: trucks declared or booked before this may cross.",
    )
    wait_at = serializers.CharField()

    def get_windows(self, hours: Any) -> list[list[str]]:
        return [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in hours.windows]


def _window() -> serializers.ListField:
    """One window: [opens, closes] as HH:MM."""
    return serializers.ListField(
        child=serializers.CharField(max_length=8, allow_blank=True), min_length=2, max_length=2
    )


class WeekInputSerializer(serializers.Serializer[Any]):
    """Shapes only; the service checks the values and names the field it rejects."""

    flow = serializers.CharField(max_length=10)
    valid_from = serializers.DateField()
    route = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="A road of the gate; blank: all."
    )
    windows = serializers.ListField(
        child=serializers.ListField(child=_window(), max_length=8),
        min_length=7,
        max_length=7,
        help_text="Seven days from Monday, each a list of [opens, closes] windows "
        '(e.g. [["07:30", "11:00"], ["13:30", "17:00"]]); an empty list: closed that day.',
    )
    # A field named like Field.source: DRF takes declared fields off the class, so it is safe.
    source = serializers.CharField(max_length=1000)  # type: ignore[assignment]


class NoticeInputSerializer(serializers.Serializer[Any]):
    """Shapes only; the service checks the values and names the field it rejects."""

    day = serializers.DateField()
    last_day = serializers.DateField(required=False, allow_null=True)
    route = serializers.CharField(max_length=40, required=False, allow_blank=True)
    flow = serializers.CharField(max_length=10, required=False, allow_blank=True)
    closed = serializers.BooleanField(required=False, default=False)
    pre_registered_only = serializers.BooleanField(required=False, default=False)
    registered_by = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Pre-registered goods only: trucks declared or booked by the end of this day "
        "may cross (default: the day before the notice starts).",
    )
    windows = serializers.ListField(
        child=_window(),
        required=False,
        max_length=8,
        help_text='The hours open those days: [["09:00", "12:30"], ["14:00", "18:00"]].',
    )
    reason = serializers.CharField(max_length=300)
    wait_at = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=1000, required=False, allow_blank=True
    )


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


class NoticeSerializer(serializers.ModelSerializer[HoursException]):
    route = serializers.CharField(source="route.code", allow_null=True, default=None)

    class Meta:
        model = HoursException
        fields = (
            "notice",
            "date",
            "route",
            "flow",
            "closed",
            "opens",
            "closes",
            "pre_registered_only",
            "registered_by",
            "reason",
            "wait_at",
            "published_at",
        )


class GateViewSet(RestrictedReadOnlyViewSet):
    """The gate register with each gate's goods hours today. Open to everyone."""

    model = Gate
    serializer_class = GateSerializer
    permission_roles = {
        **READ_PUBLIC,
        "hours": roles(PUBLIC),
        "notices": rules.MANAGE_HOURS.roles,
    }
    lookup_field = "code"
    pagination_class = None

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter("day", date, description="The day (default: today)"),
            OpenApiParameter("route", str, description="A road of the gate (default: the gate)"),
        ],
        responses=DayHoursSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"], request=WeekInputSerializer, responses=DayHoursSerializer(many=True)
    )
    @action(detail=True, methods=["get", "post"])
    def hours(self, request: Request, code: str | None = None) -> Response:
        """The gate's (or a road's) windows of goods hours on a day, both sides of the border
        considered; POST (the board) publishes weekly hours with one or several windows a day,
        for the gate or one road, from a day on (audited)."""
        gate = self.get_object()
        if request.method == "POST":
            incoming = WeekInputSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            services.do_set_weekly_hours(
                actor=actor(request),
                gate_code=gate.code,
                data=services.WeekInput(
                    flow=data["flow"],
                    valid_from=data["valid_from"],
                    route=data.get("route", ""),
                    windows=data["windows"],
                    source=data["source"],
                ),
            )
            day, route = data["valid_from"], data.get("route", "")
        else:
            raw = request.query_params.get("day", "")
            parsed = parse_day(raw) if raw else timezone.localdate()
            if parsed is None:
                raise InvalidInput(
                    _("The request has errors; see each field."),
                    fields={"day": [_("Give a date as YYYY-MM-DD.")]},
                )
            day, route = parsed, request.query_params.get("route", "")
        road = Route.objects.filter(gate=gate, code=route).first() if route else None
        if route and road is None:
            raise InvalidInput(
                _("The request has errors; see each field."),
                fields={
                    "route": [
                        _("%(gate)s has no road %(route)r.") % {"gate": gate.name, "route": route}
                    ]
                },
            )
        # A fresh gate: the list's prefetch holds today's hours only.
        hours = services.hours_on(Gate.objects.get(pk=gate.pk), day, route=road)
        return Response(DayHoursSerializer(hours, many=True).data)

    @extend_schema(request=NoticeInputSerializer, responses={201: NoticeSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def notices(self, request: Request, code: str | None = None) -> Response:
        """Publish a dated notice (the board): closed, other hours in one or several windows, or
        pre-registered goods only with a registration deadline; for the gate or one road, one
        direction or both, over a run of days (audited; trucks planned then are told)."""
        gate = self.get_object()
        incoming = NoticeInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        rows = services.do_add_exception(
            actor=actor(request),
            gate_code=gate.code,
            data=services.ExceptionInput(
                day=data["day"],
                last_day=data.get("last_day"),
                route=data.get("route", ""),
                flow=data.get("flow", ""),
                closed=data["closed"],
                pre_registered_only=data["pre_registered_only"],
                registered_by=data.get("registered_by"),
                windows=data.get("windows"),
                reason=data["reason"],
                wait_at=data.get("wait_at", ""),
                source=data.get("source", ""),
            ),
        )
        return Response(NoticeSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

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
