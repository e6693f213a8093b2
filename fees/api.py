"""REST API v1 for fees: schedules, reductions, a trip's fees, payments, receipts, revenue and
reconciliation. The provider callback is a plain signed endpoint (:func:`payment_callback`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Role
from accounts.permissions import PUBLIC, roles
from cuakhau.api import error_body
from cuakhau.errors import DomainError, InvalidInput, NotFound
from cuakhau.requests import actor
from cuakhau.viewsets import RestrictedReadOnlyViewSet
from fees import policy as rules
from fees import providers, reports, services
from fees.models import (
    Assessment,
    FeeMultiplier,
    FeeRate,
    FeeReduction,
    FeeSchedule,
    Receipt,
    YardRate,
)
from fees.views import explain
from gates.models import Gate
from shipments.models import Declaration

BOARD = roles(Role.BOARD)


class FeeRateSerializer(serializers.ModelSerializer[FeeRate]):
    class Meta:
        model = FeeRate
        fields = (
            "id",
            "directions",
            "goods_groups",
            "vehicle_class",
            "amount_vnd",
            "confirmed",
            "note",
        )


class FeeMultiplierSerializer(serializers.ModelSerializer[FeeMultiplier]):
    class Meta:
        model = FeeMultiplier
        fields = ("id", "code", "name", "factor", "directions", "goods_groups", "deliveries")


class YardRateSerializer(serializers.ModelSerializer[YardRate]):
    class Meta:
        model = YardRate
        fields = ("id", "vehicle_class", "unit", "amount_vnd", "free_minutes", "confirmed")


class FeeScheduleSerializer(serializers.ModelSerializer[FeeSchedule]):
    rates = FeeRateSerializer(many=True)
    multipliers = FeeMultiplierSerializer(many=True)
    yard_rates = YardRateSerializer(many=True)

    class Meta:
        model = FeeSchedule
        fields = (
            "code",
            "name",
            "legal_basis",
            "valid_from",
            "valid_to",
            "cap_vnd",
            "band_limits_kg",
            "center_share_percent",
            "source",
            "rates",
            "multipliers",
            "yard_rates",
        )


class FeeScheduleViewSet(RestrictedReadOnlyViewSet):
    """Fee schedules in force and past, with their rates (public, as the resolutions are)."""

    model = FeeSchedule
    serializer_class = FeeScheduleSerializer
    lookup_field = "code"
    permission_roles = {"list": frozenset({PUBLIC}), "retrieve": frozenset({PUBLIC})}
    pagination_class = None

    def base_queryset(self) -> QuerySet[FeeSchedule]:
        return FeeSchedule.objects.prefetch_related("rates", "multipliers", "yard_rates")


class RateInputSerializer(serializers.Serializer[Any]):
    amount_vnd = serializers.IntegerField(min_value=0, max_value=10**13 - 1)
    confirmed = serializers.BooleanField()


class FeeRateViewSet(mixins.UpdateModelMixin, RestrictedReadOnlyViewSet):
    """One rate of a schedule; the board changes its amount (audited)."""

    model = FeeRate
    serializer_class = FeeRateSerializer
    permission_roles = {
        "list": frozenset({PUBLIC}),
        "retrieve": frozenset({PUBLIC}),
        "update": BOARD,
        "partial_update": BOARD,
    }
    http_method_names = ["get", "put", "head", "options"]

    @extend_schema(request=RateInputSerializer, responses={200: FeeRateSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rate = self.get_object()
        incoming = RateInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        saved = services.do_set_rate(
            actor=actor(request), rate_id=rate.pk, **incoming.validated_data
        )
        return Response(FeeRateSerializer(saved).data)


class FeeReductionSerializer(serializers.ModelSerializer[FeeReduction]):
    class Meta:
        model = FeeReduction
        fields = (
            "id",
            "code",
            "name",
            "legal_basis",
            "percent",
            "valid_from",
            "valid_to",
            "directions",
            "goods_groups",
        )


class ReductionInputSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    legal_basis = serializers.CharField(max_length=200, required=False, allow_blank=True)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True)
    directions = serializers.ListField(child=serializers.CharField(), required=False)
    goods_groups = serializers.ListField(child=serializers.CharField(), required=False)


class FeeReductionViewSet(mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    """Dated reductions of the fee; the board adds them (audited)."""

    model = FeeReduction
    serializer_class = FeeReductionSerializer
    permission_roles = {
        "list": frozenset({PUBLIC}),
        "retrieve": frozenset({PUBLIC}),
        "create": BOARD,
    }

    @extend_schema(request=ReductionInputSerializer, responses={201: FeeReductionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = ReductionInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        reduction = services.do_save_reduction(
            actor=actor(request), data=services.ReductionInput(**incoming.validated_data)
        )
        return Response(FeeReductionSerializer(reduction).data, status=status.HTTP_201_CREATED)


# --- a trip's fees ---------------------------------------------------------------------------


class ChargeOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="charge.pk")
    kind = serializers.CharField(source="charge.kind")
    status = serializers.CharField(source="charge.status")
    amount_vnd = serializers.IntegerField(source="charge.amount_vnd")
    units = serializers.IntegerField(source="charge.units", allow_null=True)
    paid_vnd = serializers.IntegerField(source="allocated")
    refunded_vnd = serializers.IntegerField(source="refunded")
    outstanding_vnd = serializers.IntegerField(source="outstanding")


class ReceiptSerializer(serializers.ModelSerializer[Receipt]):
    number = serializers.CharField(source="display_number")
    declaration = serializers.CharField(source="declaration.reference")
    gate = serializers.CharField(source="gate.code")
    verify_path = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = ("number", "declaration", "gate", "amount_vnd", "issued_at", "verify_path")

    def get_verify_path(self, obj: Receipt) -> str:
        from django.urls import reverse

        return reverse("fees:verify", args=[obj.token])


class TripFeesSerializer(serializers.Serializer[Any]):
    declaration = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    fee_vnd = serializers.IntegerField(allow_null=True)
    explanation = serializers.ListField(child=serializers.CharField())
    basis = serializers.DictField(allow_null=True)
    charges = ChargeOutSerializer(many=True)
    due_vnd = serializers.IntegerField()
    paid_vnd = serializers.IntegerField()
    refunded_vnd = serializers.IntegerField()
    refunds_pending_vnd = serializers.IntegerField()
    balance_vnd = serializers.IntegerField()
    receipts = ReceiptSerializer(many=True)


class TripFeesView(APIView):
    """A trip's fee, how it was assessed, its charges, payments, refunds and receipts."""

    # The fees rule, as the declaration page applies it: customs, quarantine and the border
    # guard work the checks and do not see what an enterprise paid.
    permission_roles = {"retrieve": rules.SEE_TRIP_FEES.roles}

    @extend_schema(responses=TripFeesSerializer)
    def get(self, request: Request, reference: str) -> Response:
        declaration = (
            Declaration.objects.restrict(actor(request)).filter(reference=reference).first()
        )
        if declaration is None:
            raise NotFound(_("No such declaration."))
        assessment = Assessment.objects.filter(declaration=declaration, is_current=True).first()
        book = services.ledger(declaration)
        return Response(
            TripFeesSerializer(
                {
                    "declaration": declaration.reference,
                    "status": assessment.status if assessment else None,
                    "fee_vnd": assessment.amount_vnd if assessment else None,
                    "explanation": explain(assessment) if assessment else [],
                    "basis": assessment.basis if assessment else None,
                    "charges": book.charges,
                    "due_vnd": book.due,
                    "paid_vnd": book.paid,
                    "refunded_vnd": book.refunded,
                    "refunds_pending_vnd": book.refunds_pending,
                    "balance_vnd": book.balance,
                    "receipts": declaration.receipts.select_related("gate", "declaration"),
                }
            ).data
        )


class PaymentInputSerializer(serializers.Serializer[Any]):
    declaration = serializers.CharField(max_length=20)
    provider = serializers.CharField(max_length=20, required=False, default="demo")


class PaymentOutSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    declaration = serializers.CharField(source="declaration.reference")
    provider = serializers.CharField()
    amount_vnd = serializers.IntegerField()
    status = serializers.CharField()
    checkout_url = serializers.CharField()


class PaymentView(APIView):
    """Open a payment of a trip's balance; pay at ``checkout_url``."""

    permission_roles = {"post": roles(Role.DECLARANT)}

    @extend_schema(request=PaymentInputSerializer, responses={201: PaymentOutSerializer})
    def post(self, request: Request) -> Response:
        incoming = PaymentInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        payment = services.do_request_payment(
            actor=actor(request), reference=data["declaration"], provider=data["provider"]
        )
        adapter = providers.get(payment.provider)
        assert adapter is not None  # noqa: S101 - checked by the service
        payment.checkout_url = request.build_absolute_uri(adapter.checkout_url(payment))  # type: ignore[attr-defined]
        return Response(PaymentOutSerializer(payment).data, status=status.HTTP_201_CREATED)


@csrf_exempt
@require_POST
def payment_callback(request: HttpRequest, provider: str) -> JsonResponse:
    """``POST /api/v1/payments/callbacks/<provider>/``: a provider reports a transaction.

    Headers ``X-Cuakhau-Timestamp`` (Unix seconds) and ``X-Cuakhau-Signature`` (hex
    HMAC-SHA256 of ``timestamp.body`` with the provider's secret). Body: ``request`` (our
    payment request reference), ``txn_id``, ``status`` (``succeeded`` | ``failed``),
    ``amount_vnd`` and ``paid_at``. 201 with the receipt for a new payment, 200 for a replay
    of one already recorded (nothing changes) or a failure, 401 for a bad signature or stale
    timestamp, 400 for a malformed body, 409 for a transaction id reused with other details.
    """
    try:
        result = services.receive_callback(
            provider=provider,
            timestamp=request.headers.get("X-Cuakhau-Timestamp", ""),
            signature=request.headers.get("X-Cuakhau-Signature", ""),
            body=request.body,
        )
    except DomainError as exc:
        return JsonResponse(error_body(exc.code, str(exc.message), exc.fields), status=exc.status)
    if result.payment is None:
        return JsonResponse({"request": result.request.reference, "status": "failed"}, status=200)
    receipt = result.payment.receipt
    return JsonResponse(
        {
            "request": result.request.reference,
            "status": result.request.status,
            "txn_id": result.payment.provider_txn_id,
            "amount_vnd": result.payment.amount_vnd,
            "receipt": receipt.display_number,
            "duplicate": result.duplicate,
        },
        status=200 if result.duplicate else 201,
    )


class ReceiptViewSet(RestrictedReadOnlyViewSet):
    """E-receipts of the trips the caller may see."""

    model = Receipt
    serializer_class = ReceiptSerializer
    lookup_field = "token"
    permission_roles = {
        "list": rules.SEE_TRIP_FEES.roles,
        "retrieve": rules.SEE_TRIP_FEES.roles,
    }

    def base_queryset(self) -> QuerySet[Receipt]:
        return Receipt.objects.select_related("gate", "declaration")


class VerificationSerializer(serializers.Serializer[Any]):
    valid = serializers.BooleanField()
    number = serializers.CharField()
    issued_at = serializers.DateTimeField()
    gate = serializers.CharField()
    amount_vnd = serializers.IntegerField()
    refunded_vnd = serializers.IntegerField()
    excess_vnd = serializers.IntegerField(
        help_text="Paid in excess of every charge, held to be refunded (part of amount_vnd)."
    )
    fee_types = serializers.ListField(child=serializers.CharField())


class ReceiptVerifyView(APIView):
    """Public: confirm a receipt by its code, without the payer or the trip."""

    permission_roles = {"retrieve": frozenset({PUBLIC})}

    @extend_schema(responses=VerificationSerializer)
    def get(self, request: Request, token: str) -> Response:
        found = Receipt.objects.select_related("gate").filter(token=token).first()
        if found is None:
            raise NotFound(_("No receipt has this code."))
        checked = services.verification(found)
        return Response(
            VerificationSerializer(
                {
                    "valid": True,
                    "number": found.display_number,
                    "issued_at": found.issued_at,
                    "gate": found.gate.code,
                    "amount_vnd": found.amount_vnd,
                    "refunded_vnd": checked.refunded_vnd,
                    "excess_vnd": checked.excess_vnd,
                    "fee_types": checked.fee_types,
                }
            ).data
        )


# --- the board ---------------------------------------------------------------------------------


class RevenueRowSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    gate = serializers.CharField()
    kind = serializers.CharField()
    goods_group = serializers.CharField()
    collected = serializers.IntegerField()
    refunded = serializers.IntegerField()
    net = serializers.IntegerField()
    center = serializers.IntegerField()
    budget = serializers.IntegerField()


def _period(request: Request) -> tuple[Any, Any, str]:
    start = services.parse_day(request.query_params.get("start", ""))
    end = services.parse_day(request.query_params.get("end", ""))
    gate = request.query_params.get("gate", "")
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["start"] = [_("Give the first day as YYYY-MM-DD.")]
    if end is None:
        errors["end"] = [_("Give the last day as YYYY-MM-DD.")]
    if start and end and start > end:
        errors["start"] = [_("The first day is after the last.")]
    elif start and end and (end - start).days > 366:
        errors["start"] = [_("Report at most one year at a time.")]
    if gate and not Gate.objects.filter(code=gate).exists():
        errors["gate"] = [_("Unknown gate %r.") % gate]
    if errors:
        raise InvalidInput(_("The period has errors; see each field."), fields=errors)
    return start, end, gate


class RevenueView(APIView):
    """Net fee revenue by day, gate, fee type and goods group, with the 10% / 90% split."""

    permission_roles = {"retrieve": BOARD}

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, required=True),
            OpenApiParameter("end", str, required=True),
            OpenApiParameter("gate", str),
        ],
        responses=RevenueRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        start, end, gate = _period(request)
        rows = reports.revenue(start=start, end=end, gate=gate)
        return Response(RevenueRowSerializer(rows, many=True).data)


class WorklistItemSerializer(serializers.Serializer[Any]):
    declaration = serializers.CharField()
    gate = serializers.CharField()
    state = serializers.CharField()
    at = serializers.DateTimeField(allow_null=True)
    amount_vnd = serializers.IntegerField(allow_null=True)


class ReconciliationSerializer(serializers.Serializer[Any]):
    crossed_unpaid = WorklistItemSerializer(many=True)
    paid_not_crossed = WorklistItemSerializer(many=True)
    uncharged_yard_stays = WorklistItemSerializer(many=True)


class ReconciliationView(APIView):
    """The board's three worklists (at most 500 items each, newest first)."""

    permission_roles = {"retrieve": BOARD}

    @extend_schema(
        parameters=[OpenApiParameter("gate", str), OpenApiParameter("days", int)],
        responses=ReconciliationSerializer,
    )
    def get(self, request: Request) -> Response:
        gate = request.query_params.get("gate", "")
        days = services.parse_days(request.query_params.get("days", ""))
        trips = list(reports.crossed_unpaid(gate)[:500])
        owed = reports.owed(d.pk for d in trips)
        crossed = [
            {
                "declaration": d.reference,
                "gate": d.gate.code,
                "state": d.state,
                "at": d.state_changed_at,
                "amount_vnd": owed.get(d.pk, reports.NOT_CHARGED).balance,
            }
            for d in trips
        ]
        paid = [
            {
                "declaration": d.reference,
                "gate": d.gate.code,
                "state": d.state,
                "at": d.last_paid,
                "amount_vnd": d.held,
            }
            for d in reports.paid_not_crossed(days=days, gate=gate)[:500]
        ]
        stays = [
            {
                "declaration": v.declaration.reference,
                "gate": v.gate.code,
                "state": v.declaration.state,
                "at": v.exited_at,
                "amount_vnd": None,
            }
            for v in reports.uncharged_yard_stays(gate)[:500]
        ]
        return Response(
            ReconciliationSerializer(
                {"crossed_unpaid": crossed, "paid_not_crossed": paid, "uncharged_yard_stays": stays}
            ).data
        )
