"""REST API v1 for enterprises, vehicles, drivers, commodities and declarations."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import GATE_ROLES, Role
from accounts.permissions import EVERY_ROLE, PUBLIC, roles
from cuakhau.api import BoundedDateTimeField, BoundedIsoDateTimeFilter
from cuakhau.requests import actor
from cuakhau.viewsets import RestrictedReadOnlyViewSet
from gates.choices import Flow
from shipments import services
from shipments.choices import (
    ContainerSize,
    Delivery,
    Direction,
    IdDocumentType,
    Language,
    TruckState,
    VehicleKind,
    WithdrawalReason,
)
from shipments.lifecycle import TRANSITIONS
from shipments.models import (
    Commodity,
    CustomsDeclaration,
    Declaration,
    Driver,
    Enterprise,
    ProcedureCode,
    StateChange,
    Vehicle,
)
from shipments.validators import (
    normalize_cn_credit_code,
    normalize_phone,
    normalize_vn_tax_code,
)

STAFF = roles(GATE_ROLES, Role.BOARD)


def _enterprise_field(request: Request) -> Any:
    """The board registers on behalf of an enterprise; declarants always for their own."""
    data = request.data
    return data.get("enterprise") if isinstance(data, dict) else None


class CommoditySerializer(serializers.ModelSerializer[Commodity]):
    class Meta:
        model = Commodity
        fields = (
            "code",
            "hs_heading",
            "name_vi",
            "name_en",
            "name_zh",
            "goods_group",
            "perishable",
            "shelf_life_hours",
            "source",
        )


class CommodityViewSet(RestrictedReadOnlyViewSet):
    """The commodity catalogue by HS heading. Open to everyone."""

    model = Commodity
    serializer_class = CommoditySerializer
    permission_roles = {"list": roles(PUBLIC), "retrieve": roles(PUBLIC)}
    lookup_field = "code"
    pagination_class = None
    filterset_fields = ("hs_heading", "goods_group", "perishable")

    def base_queryset(self) -> QuerySet[Commodity]:
        return Commodity.objects.filter(is_active=True)


class EnterpriseSerializer(serializers.ModelSerializer[Enterprise]):
    class Meta:
        model = Enterprise
        fields = ("id", "name", "country", "tax_code", "compliance_class", "address", "is_active")
        read_only_fields = ("id", "is_active")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        normalise = normalize_vn_tax_code if attrs["country"] == "VN" else normalize_cn_credit_code
        try:
            attrs["tax_code"] = normalise(attrs["tax_code"])
        except Exception as exc:
            raise serializers.ValidationError(
                {"tax_code": list(getattr(exc, "messages", [str(exc)]))}
            ) from exc
        return attrs


class EnterpriseViewSet(mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    """Enterprises: a declarant sees its own, officers those trading through their gates."""

    model = Enterprise
    serializer_class = EnterpriseSerializer
    permission_roles = {
        "list": roles(Role.DECLARANT, STAFF),
        "retrieve": roles(Role.DECLARANT, STAFF),
        "create": roles(Role.BOARD),
    }
    filterset_fields = ("country", "compliance_class")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.do_register_enterprise(
            actor=actor(self.request), **serializer.validated_data
        )


class VehicleSerializer(serializers.ModelSerializer[Vehicle]):
    kind = serializers.ChoiceField(choices=VehicleKind.choices)
    enterprise: serializers.PrimaryKeyRelatedField[Enterprise] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )

    class Meta:
        model = Vehicle
        fields = ("id", "plate", "country", "kind", "payload_kg", "enterprise")
        read_only_fields = ("id", "country", "enterprise")
        extra_kwargs: dict[str, Any] = {"plate": {"validators": []}}


class VehicleViewSet(mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    model = Vehicle
    serializer_class = VehicleSerializer
    permission_roles = {
        "list": roles(Role.DECLARANT, Role.DRIVER, STAFF),
        "retrieve": roles(Role.DECLARANT, Role.DRIVER, STAFF),
        "create": roles(Role.DECLARANT, Role.BOARD),
    }
    filterset_fields = ("country", "kind")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.do_register_vehicle(
            actor=actor(self.request),
            plate=data["plate"],
            kind=data["kind"],
            payload_kg=data.get("payload_kg"),
            enterprise_id=_enterprise_field(self.request),
        )


class DriverSerializer(serializers.ModelSerializer[Driver]):
    id_document_type = serializers.ChoiceField(choices=IdDocumentType.choices)
    preferred_language = serializers.ChoiceField(
        choices=Language.choices, default=Language.VIETNAMESE
    )

    class Meta:
        model = Driver
        fields = (
            "id",
            "full_name",
            "id_document_type",
            "id_document_number",
            "phone",
            "preferred_language",
            "enterprise",
        )
        read_only_fields = ("id", "enterprise")

    def validate_phone(self, value: str) -> str:
        try:
            return normalize_phone(value)
        except Exception as exc:
            raise serializers.ValidationError(list(getattr(exc, "messages", [str(exc)]))) from exc


class DriverViewSet(mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    model = Driver
    serializer_class = DriverSerializer
    permission_roles = {
        "list": roles(Role.DECLARANT, Role.DRIVER, STAFF),
        "retrieve": roles(Role.DECLARANT, Role.DRIVER, STAFF),
        "create": roles(Role.DECLARANT, Role.BOARD),
    }

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.do_register_driver(
            actor=actor(self.request),
            enterprise_id=_enterprise_field(self.request),
            **serializer.validated_data,
        )


class GoodsLineInputSerializer(serializers.Serializer[Any]):
    commodity = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=_("Catalogue code, e.g. dragon-fruit"),
    )
    hs_heading = serializers.CharField(required=False, allow_blank=True, max_length=12)
    weight_kg = serializers.DecimalField(max_digits=10, decimal_places=1, min_value=0)
    value_usd = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    description = serializers.CharField(required=False, allow_blank=True, max_length=255)
    puc_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Fresh fruit exported to China: the registered growing-area code (PUC).",
    )
    phc_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Fresh fruit exported to China: the registered packing-house code (PHC).",
    )


class CustomsDeclarationInputSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(
        max_length=20, help_text="The VNACCS customs declaration number (12 digits)."
    )
    procedure_code = serializers.CharField(
        max_length=3,
        required=False,
        allow_blank=True,
        help_text="The VNACCS procedure code (mã loại hình), e.g. B11; "
        "see GET /api/v1/procedure-codes/. Optional only for transit and transshipment.",
    )
    registered_on = serializers.DateField(required=False, allow_null=True)
    customs_office = serializers.CharField(max_length=120, required=False, allow_blank=True)
    channel = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="The channel VNACCS assigned at registration: 1 green, 2 yellow, 3 red.",
    )


class CustomsDeclarationSerializer(serializers.ModelSerializer[CustomsDeclaration]):
    procedure_code = serializers.CharField(
        source="procedure_code.code", allow_null=True, default=None
    )
    procedure_name = serializers.CharField(
        source="procedure_code.name", allow_null=True, default=None
    )

    class Meta:
        model = CustomsDeclaration
        fields = (
            "number",
            "procedure_code",
            "procedure_name",
            "registered_on",
            "customs_office",
            "channel",
            "channel_recorded_at",
            "channel_recorded_by_label",
        )


class ProcedureCodeSerializer(serializers.ModelSerializer[ProcedureCode]):
    class Meta:
        model = ProcedureCode
        fields = ("code", "name_vi", "name_en", "name_zh", "flow", "directions")


class ProcedureCodeViewSet(RestrictedReadOnlyViewSet):
    """VNACCS procedure codes (mã loại hình) the board keeps, with the directions each fits."""

    model = ProcedureCode
    serializer_class = ProcedureCodeSerializer
    lookup_field = "code"
    permission_roles = {"list": roles(PUBLIC), "retrieve": roles(PUBLIC)}
    pagination_class = None

    def base_queryset(self) -> QuerySet[ProcedureCode]:
        return ProcedureCode.objects.filter(is_active=True).order_by("code")


class DeclarationInputSerializer(serializers.Serializer[Any]):
    direction = serializers.ChoiceField(choices=Direction.choices)
    flow = serializers.ChoiceField(
        choices=Flow.choices,
        required=False,
        allow_blank=True,
        help_text=_("Only for transit and temporary export."),
    )
    gate = serializers.CharField(max_length=40, help_text=_("Gate code, e.g. huu-nghi"))
    route = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text=_("Route code, e.g. tan-thanh")
    )
    vehicle_plate = serializers.CharField(max_length=30)
    trailer_plate = serializers.CharField(max_length=30, required=False, allow_blank=True)
    driver = serializers.IntegerField()
    origin_province = serializers.IntegerField(required=False, allow_null=True)
    planned_arrival = BoundedDateTimeField()
    customs_declaration_number = serializers.CharField(
        max_length=20, required=False, allow_blank=True
    )
    customs_channel = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="The channel VNACCS assigned at registration: 1 green, 2 yellow, 3 red.",
    )
    procedure_code = serializers.CharField(
        max_length=3,
        required=False,
        allow_blank=True,
        help_text="With customs_declaration_number: its VNACCS procedure code, e.g. B11.",
    )
    customs_declarations = CustomsDeclarationInputSerializer(
        many=True,
        required=False,
        help_text="The customs declarations whose goods the truck carries (several for a "
        "consolidated load; one may be on several trucks). Instead of "
        "customs_declaration_number, procedure_code and customs_channel.",
    )
    container = serializers.ChoiceField(
        choices=ContainerSize.choices, required=False, allow_blank=True, default=""
    )
    delivery = serializers.ChoiceField(
        choices=Delivery.choices, required=False, default=Delivery.BORDER
    )
    two_way = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Deliver into the other country's yard and come back loaded: only on the "
        "two-way pilot's routes, with one kind of goods.",
    )
    lines = GoodsLineInputSerializer(many=True)
    confirm_unusual = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Confirms a total weight outside 1,000 kg in a container up to 30,480 kg "
        "(48,000 kg without one), which is otherwise refused as a likely slip.",
    )


class AmendInputSerializer(serializers.Serializer[Any]):
    container = serializers.ChoiceField(
        choices=ContainerSize.choices, required=False, allow_blank=True
    )
    delivery = serializers.ChoiceField(choices=Delivery.choices, required=False)
    lines = GoodsLineInputSerializer(many=True, required=False)
    planned_arrival = BoundedDateTimeField(
        required=False, help_text="Only while the trip has no slot (declared)."
    )
    driver = serializers.IntegerField(
        required=False, min_value=1, help_text="One of the enterprise's drivers."
    )
    trailer_plate = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="The trailer's plate; an empty string removes the trailer.",
    )

    def to_internal_value(self, data: Any) -> Any:
        # A field that cannot be amended is refused by name, never silently ignored.
        if isinstance(data, dict):
            fixed = sorted(set(data) - set(services.AMENDABLE_FIELDS))
            if fixed:
                raise serializers.ValidationError(
                    {
                        name: [
                            _(
                                "This cannot be amended; only %(fields)s can. Cancel the trip "
                                "and declare it again to change it."
                            )
                            % {"fields": ", ".join(services.AMENDABLE_FIELDS)}
                        ]
                        for name in fixed
                    }
                )
        return super().to_internal_value(data)


class GoodsLineSerializer(serializers.Serializer[Any]):
    line_no = serializers.IntegerField()
    commodity = serializers.CharField(source="commodity.code")
    commodity_name = serializers.CharField(source="commodity.name")
    hs_heading = serializers.CharField()
    weight_kg = serializers.DecimalField(max_digits=10, decimal_places=1)
    value_usd = serializers.DecimalField(max_digits=14, decimal_places=2)
    description = serializers.CharField()
    puc_code = serializers.CharField()
    phc_code = serializers.CharField()


class DeclarationSerializer(serializers.ModelSerializer[Declaration]):
    enterprise = serializers.CharField(source="enterprise.name")
    gate = serializers.CharField(source="gate.code")
    route = serializers.CharField(source="route.code", allow_null=True, default=None)
    vehicle_plate = serializers.CharField(source="vehicle.plate")
    trailer_plate = serializers.CharField(source="trailer.plate", allow_null=True, default=None)
    driver_name = serializers.CharField(source="driver.full_name")
    lines = GoodsLineSerializer(many=True)
    customs_declaration_number = serializers.CharField(
        read_only=True,
        help_text="The number of the trip's only customs declaration (with several: the first).",
    )
    customs_channel = serializers.CharField(
        read_only=True,
        help_text="The VNACCS channel the truck is worked at: the strictest of its customs "
        "declarations' (3 over 2 over 1); empty while one is not recorded.",
    )
    customs_declarations = CustomsDeclarationSerializer(many=True, read_only=True)

    class Meta:
        model = Declaration
        fields = (
            "reference",
            "enterprise",
            "direction",
            "flow",
            "gate",
            "route",
            "vehicle_plate",
            "trailer_plate",
            "driver",
            "driver_name",
            "customs_declaration_number",
            "customs_channel",
            "customs_declarations",
            "origin_province",
            "container",
            "delivery",
            "two_way",
            "planned_arrival",
            "perishable",
            "shelf_life_hours",
            "state",
            "state_changed_at",
            "withdrawal_reason",
            "created_at",
            "lines",
        )


class TransitionInputSerializer(serializers.Serializer[Any]):
    transition = serializers.ChoiceField(choices=sorted(TRANSITIONS))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    location = serializers.CharField(required=False, allow_blank=True, max_length=120)
    withdrawal = serializers.ChoiceField(
        choices=WithdrawalReason.choices,
        required=False,
        allow_blank=True,
        help_text="With cancel: why the truck leaves the queue (sold at home, rail, seaport, "
        "another gate, spoiled, other). It counts as the reason.",
    )


class StateChangeSerializer(serializers.ModelSerializer[StateChange]):
    class Meta:
        model = StateChange
        fields = ("transition", "from_state", "to_state", "at", "actor_label", "location", "reason")


class DeclarationFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=TruckState.choices)
    gate = django_filters.CharFilter(field_name="gate__code")
    route = django_filters.CharFilter(field_name="route__code")
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    flow = django_filters.ChoiceFilter(choices=Flow.choices)
    perishable = django_filters.BooleanFilter()
    arrival_after = BoundedIsoDateTimeFilter(field_name="planned_arrival", lookup_expr="gte")
    arrival_before = BoundedIsoDateTimeFilter(field_name="planned_arrival", lookup_expr="lt")
    q = django_filters.CharFilter(
        method="search",
        max_length=40,
        help_text="A reference (or its start), a plate however written, an enterprise's name, "
        "or a customs declaration number (every truck under it).",
    )

    def search(self, queryset: QuerySet[Declaration], name: str, value: str) -> Any:
        return services.search(queryset, value)

    class Meta:
        model = Declaration
        fields: list[str] = []


class DeclarationViewSet(mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    """Declarations (tờ khai) and the moves of a truck's life."""

    model = Declaration
    serializer_class = DeclarationSerializer
    filterset_class = DeclarationFilter
    lookup_field = "reference"
    permission_roles = {
        "list": EVERY_ROLE,
        "retrieve": EVERY_ROLE,
        "history": EVERY_ROLE,
        "create": roles(Role.DECLARANT),
        "transitions": EVERY_ROLE,
        "amend": roles(Role.DECLARANT),
    }

    def base_queryset(self) -> QuerySet[Declaration]:
        return Declaration.objects.select_related(
            "enterprise", "gate", "route", "vehicle", "trailer", "driver"
        ).prefetch_related("lines__commodity", "customs_declarations__procedure_code")

    @extend_schema(request=DeclarationInputSerializer, responses={201: DeclarationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = DeclarationInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        lines = [services.LineInput(**line) for line in data.pop("lines")]
        if "customs_declarations" in data:
            data["customs_declarations"] = [
                services.CustomsDeclarationInput(**item) for item in data["customs_declarations"]
            ]
        declaration = services.do_create_declaration(
            actor=actor(request), data=services.DeclarationInput(lines=lines, **data)
        )
        output = self.get_queryset().get(pk=declaration.pk)
        return Response(DeclarationSerializer(output).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionInputSerializer, responses={200: DeclarationSerializer})
    @action(detail=True, methods=["post"])
    def transitions(self, request: Request, reference: str | None = None) -> Response:
        """Move the truck one step (admit, arrive, clear, call, cross, return, cancel, reject)."""
        declaration = self.get_object()
        incoming = TransitionInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.do_transition(
            declaration_id=declaration.pk, actor=actor(request), **incoming.validated_data
        )
        return Response(DeclarationSerializer(self.get_queryset().get(pk=declaration.pk)).data)

    @extend_schema(request=AmendInputSerializer, responses={200: DeclarationSerializer})
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, reference: str | None = None) -> Response:
        """Change the container, delivery or goods before the truck arrives; fees are reassessed."""
        declaration = self.get_object()
        incoming = AmendInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        lines = data.pop("lines", None)
        services.do_amend_declaration(
            actor=actor(request),
            reference=declaration.reference,
            data=services.AmendInput(
                lines=None if lines is None else [services.LineInput(**line) for line in lines],
                **data,
            ),
        )
        return Response(DeclarationSerializer(self.get_queryset().get(pk=declaration.pk)).data)

    @extend_schema(responses=StateChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, reference: str | None = None) -> Response:
        """Every step of the truck's life: who, when, where and why."""
        declaration = self.get_object()
        changes = declaration.history.order_by("at", "pk")
        return Response(StateChangeSerializer(changes, many=True).data)
