"""REST API v1 for clearance: worklists, inspections, channels, documents and the rules."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import policy
from accounts.choices import OFFICER_ROLES, Role
from accounts.permissions import EVERY_ROLE, PUBLIC, roles
from clearance import policy as rules
from clearance import services
from clearance.choices import Agency, DocumentType, InspectionResult, RuleTarget
from clearance.models import Check, CheckRule, Clearance, Document, Inspection, SelectivityRule
from cuakhau.api import BoundedDateTimeField
from cuakhau.errors import NotFound
from cuakhau.requests import actor
from cuakhau.viewsets import RestrictedReadOnlyViewSet
from shipments.api import CustomsDeclarationSerializer
from shipments.models import Declaration

WORKLIST_ROLES = roles(OFFICER_ROLES, Role.BOARD)


def _field(request: Request, name: str) -> Any:
    data = request.data
    value = data.get(name, "") if isinstance(data, dict) else ""
    return value if isinstance(value, str) else ""


RULE_READERS = roles(Role.CUSTOMS, Role.CUSTOMS_ADMIN)


class InspectionSerializer(serializers.ModelSerializer[Inspection]):
    class Meta:
        model = Inspection
        fields = ("result", "notes", "sample_taken", "started_at", "finished_at", "officer_label")


class CheckSerializer(serializers.ModelSerializer[Check]):
    declaration = serializers.CharField(source="declaration.reference", read_only=True)
    plate = serializers.CharField(source="declaration.vehicle.plate", read_only=True)
    gate = serializers.CharField(source="gate.code", read_only=True)
    inspections = InspectionSerializer(many=True, read_only=True)
    customs_declarations = CustomsDeclarationSerializer(
        source="declaration.customs_declarations", many=True, read_only=True
    )
    customs_channel = serializers.CharField(
        source="declaration.customs_channel",
        read_only=True,
        help_text="The VNACCS channel the truck is worked at: its customs declarations' strictest.",
    )

    class Meta:
        model = Check
        fields = (
            "id",
            "declaration",
            "plate",
            "customs_declarations",
            "customs_channel",
            "gate",
            "agency",
            "kind",
            "status",
            "perishable",
            "opened_at",
            "due_at",
            "closed_at",
            "inspections",
        )


class EscalateInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class InspectionInputSerializer(serializers.Serializer[Any]):
    result = serializers.ChoiceField(choices=InspectionResult.choices)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    sample_taken = serializers.BooleanField(required=False, default=False)
    started_at = BoundedDateTimeField(required=False)


class CheckFilter(django_filters.FilterSet):
    gate = django_filters.CharFilter(field_name="gate__code")
    agency = django_filters.ChoiceFilter(choices=Agency.choices)
    q = django_filters.CharFilter(
        method="search",
        max_length=40,
        help_text="A plate (however written), reference, enterprise name or customs number.",
    )

    def search(self, queryset: QuerySet[Check], name: str, value: str) -> Any:
        return services.matching(queryset, value)

    class Meta:
        model = Check
        fields: list[str] = []


class CheckViewSet(RestrictedReadOnlyViewSet):
    """Worklists: the checks waiting for the caller's agency at the caller's gates."""

    model = Check
    serializer_class = CheckSerializer
    filterset_class = CheckFilter
    permission_roles = {
        "list": WORKLIST_ROLES,
        "retrieve": WORKLIST_ROLES,
        "inspections": roles(OFFICER_ROLES),
        "escalate": roles(Role.CUSTOMS),
    }

    def get_queryset(self) -> QuerySet[Check]:
        if getattr(self, "swagger_fake_view", False):
            return Check.objects.none()
        if self.action == "list":
            return services.worklist(actor=actor(self.request)).prefetch_related("inspections")
        return (
            super()
            .get_queryset()
            .select_related("declaration__vehicle", "gate")
            .prefetch_related("declaration__customs_declarations__procedure_code")
        )

    @extend_schema(request=InspectionInputSerializer, responses={201: CheckSerializer})
    @action(detail=True, methods=["post"])
    def inspections(self, request: Request, pk: str | None = None) -> Response:
        """Record a finding: pass, fail (rejects the truck), treatment required, re-inspect."""
        incoming = InspectionInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        check = services.do_record_inspection(
            check_id=int(self.get_object().pk),
            actor=actor(request),
            data=services.InspectionInput(**incoming.validated_data),
        )
        output = Check.objects.prefetch_related("inspections").get(pk=check.pk)
        return Response(CheckSerializer(output).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EscalateInputSerializer, responses={200: CheckSerializer})
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """Widen a pending partial physical inspection to a full one (customs, with a reason)."""
        incoming = EscalateInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        check = services.do_escalate_to_full(
            check_id=int(self.get_object().pk), actor=actor(request), **incoming.validated_data
        )
        output = Check.objects.prefetch_related("inspections").get(pk=check.pk)
        return Response(CheckSerializer(output).data)


class DocumentSerializer(serializers.ModelSerializer[Document]):
    declaration = serializers.CharField(source="declaration.reference", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)

    class Meta:
        model = Document
        fields = (
            "id",
            "declaration",
            "document_type",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "uploaded_by",
        )


class ClearanceSerializer(serializers.ModelSerializer[Clearance]):
    declaration = serializers.CharField(source="declaration.reference", read_only=True)
    checks = serializers.SerializerMethodField()

    class Meta:
        model = Clearance
        fields: tuple[str, ...] = (
            "declaration",
            "channel",
            "opened_at",
            "override_reason",
            "checks",
        )

    def get_checks(self, clearance: Clearance) -> Any:
        checks = (
            services.checks_of(clearance.declaration)
            .select_related("declaration__vehicle", "gate")
            .prefetch_related("declaration__customs_declarations__procedure_code")
        )
        return CheckSerializer(checks, many=True).data


class ClearanceOfficerSerializer(ClearanceSerializer):
    """Customs sees which rules selected the declaration; the declarant does not."""

    class Meta(ClearanceSerializer.Meta):
        fields = (
            *ClearanceSerializer.Meta.fields,
            "advised_channel",
            "post_clearance_audit",
            "explanation",
        )


class ChannelInputSerializer(serializers.Serializer[Any]):
    """Shapes only; the service checks the values and names the field it rejects."""

    customs_channel = serializers.CharField(
        help_text="The VNACCS channel code: 1 green, 2 yellow, 3 red."
    )
    customs_declaration_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Which of the truck's customs declarations (blank: its only one); a number "
        "not on the truck yet is added to it.",
    )
    procedure_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=3,
        help_text="For a customs declaration added to the truck: its VNACCS procedure code.",
    )
    registered_on = serializers.DateField(required=False, allow_null=True)
    customs_office = serializers.CharField(required=False, allow_blank=True, max_length=120)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Required when customs changes a recorded channel (chuyển luồng).",
    )


class ChannelRecordSerializer(serializers.ModelSerializer[Declaration]):
    """A trip's VNACCS channel: the one it is worked at, and each customs declaration's."""

    declaration = serializers.CharField(source="reference", read_only=True)
    customs_channel = serializers.CharField(read_only=True)
    customs_declaration_number = serializers.CharField(read_only=True)
    customs_declarations = CustomsDeclarationSerializer(many=True, read_only=True)

    class Meta:
        model = Declaration
        fields = (
            "declaration",
            "customs_channel",
            "customs_declaration_number",
            "customs_declarations",
        )


class DocumentInputSerializer(serializers.Serializer[Any]):
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    file = serializers.FileField()


class ClearanceViewSet(viewsets.GenericViewSet[Declaration]):
    """A declaration's clearance: channel, checks and documents, by declaration reference."""

    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    parser_classes = (JSONParser, MultiPartParser, FormParser)
    permission_roles = {
        "retrieve": roles(Role.DECLARANT, OFFICER_ROLES, Role.BOARD),
        "channel": rules.RECORD_CHANNEL.roles | rules.CHANGE_CHANNEL.roles,
        "documents": roles(Role.DECLARANT, OFFICER_ROLES),
    }
    serializer_class = ClearanceSerializer  # type: ignore[assignment]
    queryset = Declaration.objects.none()

    def _declaration(self) -> Declaration:
        user = actor(self.request)
        declaration = Declaration.objects.filter(reference=self.kwargs["reference"]).first()
        if declaration is None or not policy.allows(user, rules.SEE_CLEARANCE, declaration):
            raise NotFound(_("No such declaration."))
        return declaration

    def _clearance_data(self, declaration: Declaration) -> dict[str, Any]:
        clearance = Clearance.objects.filter(declaration=declaration).first()
        if clearance is None:
            raise NotFound(_("Checks open when the truck arrives at the yard."))
        user = actor(self.request)
        officer = policy.role_allows(user, rules.SEE_CHANNEL_REASONS)
        serializer = ClearanceOfficerSerializer if officer else ClearanceSerializer
        return dict(serializer(clearance).data)

    def retrieve(self, request: Request, reference: str | None = None) -> Response:
        return Response(self._clearance_data(self._declaration()))

    @extend_schema(request=ChannelInputSerializer, responses={200: ChannelRecordSerializer})
    @action(detail=True, methods=["post"])
    def channel(self, request: Request, reference: str | None = None) -> Response:
        """Record the VNACCS channel (1, 2, 3) of one of the truck's customs declarations, which
        applies to every truck under it. The declarant records it once, before the truck reaches
        the yard; customs records or changes it until the truck is cleared, a change with a
        reason (audited, and the declarant is told)."""
        declaration = self._declaration()
        incoming = ChannelInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        services.do_record_customs_channel(
            actor=actor(request),
            reference=declaration.reference,
            channel=data["customs_channel"],
            number=data.get("customs_declaration_number", ""),
            reason=data.get("reason", ""),
            procedure_code=data.get("procedure_code", ""),
            registered_on=data.get("registered_on"),
            customs_office=data.get("customs_office", ""),
        )
        recorded = Declaration.objects.prefetch_related("customs_declarations__procedure_code").get(
            pk=declaration.pk
        )
        return Response(ChannelRecordSerializer(recorded).data)

    @extend_schema(methods=["GET"], request=None, responses={200: DocumentSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=DocumentInputSerializer, responses={201: DocumentSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def documents(self, request: Request, reference: str | None = None) -> Response:
        """The declaration's documents; POST multipart (document_type, file) to attach one."""
        user = actor(request)
        if request.method == "POST":
            document = services.do_upload_document(
                reference=str(reference),
                actor=user,
                document_type=str(_field(request, "document_type")),
                upload=request.FILES.get("file"),
            )
            return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)
        declaration = self._declaration()
        documents = services.documents_visible(user).filter(declaration=declaration)
        return Response(DocumentSerializer(documents, many=True).data)


class DocumentViewSet(viewsets.GenericViewSet[Document]):
    permission_roles = {"retrieve": roles(Role.DECLARANT, OFFICER_ROLES), "file": EVERY_ROLE}
    serializer_class = DocumentSerializer

    def get_queryset(self) -> QuerySet[Document]:
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        return services.documents_visible(actor(self.request))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(DocumentSerializer(self.get_object()).data)

    @extend_schema(responses={200: OpenApiResponse(description="The file itself.")})
    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> FileResponse:
        document = self.get_object()
        response = FileResponse(
            document.file.open("rb"),
            content_type=document.content_type,
            as_attachment=True,
            filename=document.original_name,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class SelectivityRuleSerializer(serializers.ModelSerializer[SelectivityRule]):
    channel = serializers.ChoiceField(choices=RuleTarget.choices, read_only=True)
    updated_by = serializers.CharField(source="updated_by.username", read_only=True, default="")

    class Meta:
        model = SelectivityRule
        fields = (
            "code",
            "description",
            "channel",
            "rate",
            "compliance_classes",
            "hs_prefixes",
            "directions",
            "origin_provinces",
            "value_outside_range",
            "is_active",
            "updated_at",
            "updated_by",
        )
        read_only_fields = ("updated_at", "updated_by")


class RuleInputSerializer(serializers.Serializer[Any]):
    """Shapes only; the service checks every value and names the field it rejects."""

    code = serializers.CharField(required=False, allow_blank=True, max_length=40)
    description = serializers.CharField(allow_blank=True, max_length=300)
    channel = serializers.CharField()
    rate = serializers.CharField()
    compliance_classes = serializers.ListField(child=serializers.CharField(), required=False)
    hs_prefixes = serializers.ListField(child=serializers.CharField(), required=False)
    directions = serializers.ListField(child=serializers.CharField(), required=False)
    origin_provinces = serializers.ListField(child=serializers.CharField(), required=False)
    value_outside_range = serializers.BooleanField(required=False, default=False)
    is_active = serializers.BooleanField(required=False, default=True)


class ShareSerializer(serializers.Serializer[Any]):
    green = serializers.FloatField()
    yellow = serializers.FloatField()
    red = serializers.FloatField()


class PreviewSerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField()
    count = serializers.IntegerField()
    current = ShareSerializer()
    proposed = ShareSerializer()
    expected = ShareSerializer()
    changed = serializers.IntegerField()
    random_rate = serializers.FloatField()


class SelectivityRuleViewSet(viewsets.GenericViewSet[SelectivityRule]):
    """Customs selectivity rules; the customs administrator edits them (audited)."""

    lookup_field = "code"
    serializer_class = SelectivityRuleSerializer
    queryset = SelectivityRule.objects.order_by("code")
    pagination_class = None
    permission_roles = {
        "list": RULE_READERS,
        "retrieve": RULE_READERS,
        "create": roles(Role.CUSTOMS_ADMIN),
        "update": roles(Role.CUSTOMS_ADMIN),
        "preview": roles(Role.CUSTOMS_ADMIN),
    }

    def list(self, request: Request) -> Response:
        return Response(SelectivityRuleSerializer(self.get_queryset(), many=True).data)

    def retrieve(self, request: Request, code: str | None = None) -> Response:
        return Response(SelectivityRuleSerializer(self.get_object()).data)

    def _input(self, request: Request, code: str | None) -> services.RuleInput:
        incoming = RuleInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        if code is not None:
            data["code"] = code
        data.setdefault("code", "")
        return services.RuleInput(**data)

    @extend_schema(request=RuleInputSerializer, responses={201: SelectivityRuleSerializer})
    def create(self, request: Request) -> Response:
        rule = services.do_save_rule(
            actor=actor(request), data=self._input(request, None), creating=True
        )
        return Response(SelectivityRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RuleInputSerializer, responses={200: SelectivityRuleSerializer})
    def update(self, request: Request, code: str | None = None) -> Response:
        existing = self.get_object()
        rule = services.do_save_rule(
            actor=actor(request), data=self._input(request, existing.code), creating=False
        )
        return Response(SelectivityRuleSerializer(rule).data)

    @extend_schema(request=RuleInputSerializer, responses={200: PreviewSerializer})
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """Shares per channel over the last 30 days, now and with this rule as given."""
        preview = services.preview_rule(
            actor=actor(request), data=self._input(request, _field(request, "code") or None)
        )
        return Response(
            {
                "days": preview.days,
                "count": preview.count,
                "current": preview.current.drawn,
                "proposed": preview.proposed.drawn,
                "expected": preview.proposed.expected,
                "changed": preview.changed,
                "random_rate": preview.random_rate,
            }
        )


class CheckRuleSerializer(serializers.ModelSerializer[CheckRule]):
    class Meta:
        model = CheckRule
        fields = (
            "code",
            "agency",
            "kind",
            "name_vi",
            "name_en",
            "name_zh",
            "hs_prefixes",
            "directions",
            "is_active",
            "source",
        )


class SwitchInputSerializer(serializers.Serializer[Any]):
    is_active = serializers.BooleanField()
    reason = serializers.CharField(max_length=500)


class CheckRuleViewSet(RestrictedReadOnlyViewSet):
    """Which agencies check which declarations. Public; the board switches rules on and off."""

    model = CheckRule
    serializer_class = CheckRuleSerializer
    lookup_field = "code"
    pagination_class = None
    permission_roles = {
        "list": roles(PUBLIC),
        "retrieve": roles(PUBLIC),
        "switch": roles(Role.BOARD),
    }

    @extend_schema(request=SwitchInputSerializer, responses={200: CheckRuleSerializer})
    @action(detail=True, methods=["post"])
    def switch(self, request: Request, code: str | None = None) -> Response:
        incoming = SwitchInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rule = services.do_set_check_rule(
            actor=actor(request),
            code=str(code),
            active=incoming.validated_data["is_active"],
            reason=incoming.validated_data["reason"],
        )
        return Response(CheckRuleSerializer(rule).data)
