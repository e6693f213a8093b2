"""REST API v1 for flow control: slots and bookings, yard events, call-forward, admission,
capacity and the public gate board. Plate cameras post to ``flow.views.device_event``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import policy
from accounts.choices import Role
from accounts.permissions import PUBLIC, roles
from cuakhau.api import BoundedDateTimeField
from cuakhau.errors import NotFound
from cuakhau.requests import actor
from cuakhau.viewsets import RestrictedReadOnlyViewSet
from flow import board, planning, services
from flow import policy as rules
from flow.choices import AdmissionStatus, EventKind
from flow.models import AdmissionDecision, Booking, PlateEvent
from gates.choices import Flow
from gates.models import Gate
from shipments.models import Declaration

GATE_CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="gate code")


class BookingSerializer(serializers.ModelSerializer[Booking]):
    declaration = serializers.CharField(source="declaration.reference", read_only=True)
    plate = serializers.CharField(source="vehicle.plate", read_only=True)
    gate = serializers.CharField(source="slot.gate.code", read_only=True)
    starts_at = serializers.DateTimeField(source="slot.starts_at", read_only=True)

    class Meta:
        model = Booking
        fields = (
            "id",
            "declaration",
            "plate",
            "gate",
            "starts_at",
            "lane",
            "status",
            "created_at",
            "closed_at",
            "close_reason",
        )


class BookInputSerializer(serializers.Serializer[Any]):
    declaration = serializers.CharField(max_length=20)
    starts_at = BoundedDateTimeField()


class RebookInputSerializer(serializers.Serializer[Any]):
    starts_at = BoundedDateTimeField()


class CancelInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class BookingViewSet(mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    """Crossing slot bookings, by declaration reference (one active booking per trip)."""

    model = Booking
    serializer_class = BookingSerializer
    lookup_field = "declaration__reference"
    lookup_url_kwarg = "reference"
    permission_roles = {
        "list": rules.SEE_BOOKINGS.roles,
        "retrieve": rules.SEE_BOOKINGS.roles,
        "create": rules.BOOK.roles,
        "cancel": rules.CHANGE_BOOKING.roles,
        "rebook": rules.CHANGE_BOOKING.roles,
    }
    filterset_fields = ("status", "lane")

    def base_queryset(self) -> QuerySet[Booking]:
        return Booking.objects.select_related("declaration", "vehicle", "slot__gate")

    def get_object(self) -> Booking:
        booking = (
            self.get_queryset()
            .filter(declaration__reference=self.kwargs["reference"])
            .order_by("-created_at")
            .first()
        )
        if booking is None:
            raise NotFound(_("This declaration has no booking."))
        return booking

    @extend_schema(request=BookInputSerializer, responses={201: BookingSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = BookInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        booking = services.do_book(
            actor=actor(request),
            reference=incoming.validated_data["declaration"],
            starts_at=incoming.validated_data["starts_at"],
        )
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelInputSerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, reference: str | None = None) -> Response:
        incoming = CancelInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        booking = services.do_cancel_booking(
            actor=actor(request), reference=str(reference), **incoming.validated_data
        )
        return Response(BookingSerializer(booking).data)

    @extend_schema(request=RebookInputSerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def rebook(self, request: Request, reference: str | None = None) -> Response:
        incoming = RebookInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        booking = services.do_rebook(
            actor=actor(request),
            reference=str(reference),
            starts_at=incoming.validated_data["starts_at"],
        )
        return Response(BookingSerializer(booking).data)


class OfferSerializer(serializers.Serializer[Any]):
    starts_at = BoundedDateTimeField()
    capacity = serializers.IntegerField()
    free = serializers.IntegerField()
    held = serializers.BooleanField()
    opens_at = serializers.DateTimeField(
        allow_null=True, help_text="When the gate opens within this hour (its windows)."
    )
    closes_at = serializers.DateTimeField(
        allow_null=True, help_text="When the gate closes within this hour (its windows)."
    )


class SlotOffersView(APIView):
    """Bookable hours for one of your declarations (``?declaration=REF``)."""

    permission_roles = {"retrieve": roles(Role.DECLARANT)}

    @extend_schema(
        parameters=[OpenApiParameter("declaration", str, required=True)],
        responses=OfferSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        declaration = (
            Declaration.objects.restrict(actor(request))
            .select_related("gate", "route")
            .filter(reference=request.query_params.get("declaration", ""))
            .first()
        )
        if declaration is None:
            raise NotFound(_("No such declaration."))
        offers = services.offers(declaration=declaration)
        return Response(OfferSerializer(offers, many=True).data)


class PlateEventSerializer(serializers.ModelSerializer[PlateEvent]):
    gate = serializers.CharField(source="gate.code", read_only=True)
    device = serializers.CharField(source="device.code", read_only=True, default=None)
    declaration = serializers.CharField(
        source="declaration.reference", read_only=True, default=None
    )

    class Meta:
        model = PlateEvent
        fields = (
            "id",
            "device",
            "event_id",
            "gate",
            "kind",
            "at",
            "reads",
            "status",
            "declaration",
            "note",
        )


class ManualEventSerializer(serializers.Serializer[Any]):
    gate = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=[EventKind.GATE_IN, EventKind.GATE_OUT])
    plate = serializers.CharField(max_length=20)
    reference = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="The trip, when the truck has several open trips at the gate.",
    )


class CorrectSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(max_length=20)
    reason = serializers.CharField(
        max_length=300,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required when the trip's plate is not one the camera could have misread.",
    )


class DismissSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


class YardEventViewSet(mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    """Yard events at the caller's gates; ``?status=unmatched`` is the correction list."""

    model = PlateEvent
    serializer_class = PlateEventSerializer
    filterset_fields = ("status", "kind")
    permission_roles = {
        "list": rules.SEE_YARD.roles,
        "retrieve": rules.SEE_YARD.roles,
        "create": rules.WORK_YARD.roles,
        "correct": rules.WORK_YARD.roles,
        "dismiss": rules.WORK_YARD.roles,
    }

    def base_queryset(self) -> QuerySet[PlateEvent]:
        return PlateEvent.objects.select_related("gate", "device", "declaration")

    @extend_schema(request=ManualEventSerializer, responses={201: PlateEventSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a gate-in or gate-out by hand."""
        incoming = ManualEventSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        event = services.do_record_yard_event(
            actor=actor(request),
            gate_code=incoming.validated_data["gate"],
            kind=incoming.validated_data["kind"],
            plate=incoming.validated_data["plate"],
            reference=incoming.validated_data["reference"],
        )
        return Response(PlateEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CorrectSerializer, responses={200: PlateEventSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str | None = None) -> Response:
        incoming = CorrectSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        event = services.do_correct_event(
            actor=actor(request), event_id=int(self.get_object().pk), **incoming.validated_data
        )
        return Response(PlateEventSerializer(event).data)

    @extend_schema(request=DismissSerializer, responses={200: PlateEventSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        incoming = DismissSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        event = services.do_dismiss_event(
            actor=actor(request), event_id=int(self.get_object().pk), **incoming.validated_data
        )
        return Response(PlateEventSerializer(event).data)


class CallInputSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(min_value=1, max_value=100)


class CalledSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    plate = serializers.CharField(source="vehicle.plate")
    perishable = serializers.BooleanField()
    state = serializers.CharField()


class CallForwardViewSet(viewsets.ViewSet):
    """Per gate, the order in which cleared trucks go to the border (the engine's green lane)."""

    lookup_field = "code"
    permission_roles = {"retrieve": rules.SEE_YARD.roles, "call": rules.CALL_FORWARD.roles}

    def _gate(self, code: str) -> Gate:
        gate = Gate.objects.filter(code=code, is_active=True).first()
        if gate is None:
            raise NotFound(_("No such gate."))
        return gate

    @extend_schema(parameters=[GATE_CODE], responses=CalledSerializer(many=True))
    def retrieve(self, request: Request, code: str | None = None) -> Response:
        gate = self._gate(str(code))
        user = actor(request)
        if not policy.allows(user, rules.SEE_YARD, gate):
            raise NotFound(_("No such gate."))
        order = planning.call_order(gate)
        rows = {d.pk: d for d in Declaration.objects.filter(pk__in=order).select_related("vehicle")}
        return Response(CalledSerializer([rows[pk] for pk in order], many=True).data)

    @extend_schema(
        parameters=[GATE_CODE], request=CallInputSerializer, responses=CalledSerializer(many=True)
    )
    @action(detail=True, methods=["post"])
    def call(self, request: Request, code: str | None = None) -> Response:
        """Call the next N trucks; each driver is told in their language."""
        incoming = CallInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        called = services.do_call_next(
            actor=actor(request), gate_code=str(code), count=incoming.validated_data["count"]
        )
        return Response(CalledSerializer(called, many=True).data)


class AdmissionSerializer(serializers.ModelSerializer[AdmissionDecision]):
    gate = serializers.CharField(source="gate.code", read_only=True)
    yard = serializers.CharField(
        source="yard.code",
        read_only=True,
        help_text="The yard judged, counted over both directions and every road that waits in it.",
    )

    class Meta:
        model = AdmissionDecision
        fields = (
            "id",
            "gate",
            "flow",
            "day",
            "status",
            "expected_queue",
            "expected_queue_high",
            "probability_full",
            "yard",
            "yard_capacity",
            "in_yard",
            "capacity",
            "earliest_open_day",
            "computed_at",
            "override_reason",
        )


class OverrideSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=AdmissionStatus.choices)
    reason = serializers.CharField(max_length=1000)


class AdmissionViewSet(RestrictedReadOnlyViewSet):
    """Admission decisions from today on: which days each gate holds trucks at origin."""

    model = AdmissionDecision
    serializer_class = AdmissionSerializer
    filterset_fields = ("status", "flow")
    permission_roles = {
        "list": roles(PUBLIC),
        "retrieve": roles(PUBLIC),
        "override": rules.MANAGE_ADMISSION.roles,
    }

    def base_queryset(self) -> QuerySet[AdmissionDecision]:
        return AdmissionDecision.objects.filter(day__gte=timezone.localdate()).select_related(
            "gate", "yard"
        )

    @extend_schema(request=OverrideSerializer, responses={200: AdmissionSerializer})
    @action(detail=True, methods=["post"])
    def override(self, request: Request, pk: str | None = None) -> Response:
        """Open or hold a day against the forecast, with a written reason (audited)."""
        incoming = OverrideSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        decision = services.do_override_admission(
            actor=actor(request), decision_id=int(self.get_object().pk), **incoming.validated_data
        )
        return Response(AdmissionSerializer(decision).data)


class CapacityInputSerializer(serializers.Serializer[Any]):
    gate = serializers.CharField(max_length=40)
    route = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    flow = serializers.ChoiceField(choices=Flow.choices)
    trucks_per_hour = serializers.IntegerField(min_value=0, max_value=1000)
    effective_from = BoundedDateTimeField()
    reason = serializers.CharField(max_length=300)


class CapacityView(APIView):
    """The board announces a gate's capacity from a given time on."""

    permission_roles = {"post": rules.MANAGE_ADMISSION.roles}

    @extend_schema(request=CapacityInputSerializer, responses={201: CapacityInputSerializer})
    def post(self, request: Request) -> Response:
        incoming = CapacityInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        services.do_publish_capacity(
            actor=actor(request),
            gate_code=data["gate"],
            route_code=data["route"],
            flow=data["flow"],
            trucks_per_hour=data["trucks_per_hour"],
            effective_from=data["effective_from"],
            reason=data["reason"],
        )
        return Response(CapacityInputSerializer(data).data, status=status.HTTP_201_CREATED)


class NoShowSerializer(serializers.Serializer[Any]):
    enterprise = serializers.IntegerField()
    enterprise__name = serializers.CharField()
    no_shows = serializers.IntegerField()


class NoShowView(APIView):
    """Enterprises by no-shows in the last 30 days, for the board."""

    permission_roles = {"retrieve": rules.MANAGE_ADMISSION.roles}

    @extend_schema(responses=NoShowSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(NoShowSerializer(services.no_show_counts(), many=True).data)


class WithdrawalSerializer(serializers.Serializer[Any]):
    gate = serializers.CharField(source="gate.code")
    flow = serializers.CharField()
    before_yard = serializers.IntegerField()
    from_yard = serializers.IntegerField()
    due = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    daily_leave_rate = serializers.FloatField()
    by_reason = serializers.DictField(child=serializers.IntegerField())


class WithdrawalView(APIView):
    """Trucks withdrawn before crossing in the last 28 days, per gate and direction, by reason
    ("" when none was given), and the daily leave rate the backlog forecast uses; for the
    board."""

    permission_roles = {"retrieve": rules.MANAGE_ADMISSION.roles}

    @extend_schema(responses=WithdrawalSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(WithdrawalSerializer(services.withdrawal_counts(), many=True).data)


class BoardView(APIView):
    """The public gate board as JSON: per gate and direction, the queue, expected wait, today's
    capacity and hours, days held at origin, notices."""

    permission_roles = {"retrieve": roles(PUBLIC)}
    authentication_classes: list[Any] = []

    @extend_schema(responses={200: dict})
    def get(self, request: Request, code: str | None = None) -> Response:
        cards = board.cards(code)
        if code and not cards:
            raise NotFound(_("No such gate."))
        return Response({"gates": [board.as_json(card) for card in cards]})


class BoardGateView(BoardView):
    """One gate of the public board as JSON."""

    @extend_schema(
        operation_id="v1_board_gate_retrieve", parameters=[GATE_CODE], responses={200: dict}
    )
    def get(self, request: Request, code: str | None = None) -> Response:
        return super().get(request, code)
