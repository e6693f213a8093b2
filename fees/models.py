"""Fee schedules as dated data, assessments, charges, payments, refunds and e-receipts.

Money is whole VND in ``BigIntegerField`` columns. A schedule's rows are the board's to edit
(audited); an assessment keeps a copy of every figure it used, so editing a schedule never
changes what an old assessment says.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.scoping import RestrictedManager, Scope
from fees.choices import (
    AssessmentStatus,
    ChargeKind,
    ChargeStatus,
    PaymentRequestStatus,
    ReceiptLineKind,
    RefundReason,
    RefundStatus,
    YardUnit,
)
from shipments.choices import GoodsGroup

_TRIP_SCOPE = Scope(
    gate="declaration__gate",
    enterprise="declaration__enterprise",
    driver_user="declaration__driver__user",
)


class FeeSchedule(models.Model):
    """A fee resolution of the provincial People's Council, in force between two dates."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    valid_from = models.DateField(_("in force from"))
    valid_to = models.DateField(_("in force until"), null=True, blank=True)
    cap_vnd = models.BigIntegerField(_("cap per trip (VND)"))
    cap_confirmed = models.BooleanField(
        _("cap confirmed"),
        default=False,
        help_text=_(
            "Reports give VND 5,000,000 as the top of the schedule, not as a stated cap rule: "
            "the cap applies, marked to be confirmed, until the board confirms it."
        ),
    )
    band_limits_kg = models.JSONField(
        _("tonnage band limits (kg)"),
        help_text=_("Ascending upper limits of the tonnage bands, e.g. [2000, 4000, 10000]."),
    )
    center_share_percent = models.DecimalField(
        _("share kept by the Border Gate Management Center (%)"),
        max_digits=5,
        decimal_places=2,
        default=10,
    )
    source = models.TextField(_("source"), blank=True)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        ordering = ("-valid_from",)
        constraints = [
            models.CheckConstraint(condition=Q(cap_vnd__gt=0), name="schedule_cap_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="schedule_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(center_share_percent__gte=0, center_share_percent__lte=100),
                name="schedule_share_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FeeRate(models.Model):
    """The per-trip amount for some regimes and goods groups in one vehicle class."""

    schedule = models.ForeignKey(
        FeeSchedule, verbose_name=_("schedule"), on_delete=models.CASCADE, related_name="rates"
    )
    directions = models.JSONField(_("regimes"))
    goods_groups = models.JSONField(_("goods groups"))
    vehicle_class = models.CharField(_("vehicle class"), max_length=20)
    amount_vnd = models.BigIntegerField(_("amount (VND)"))
    confirmed = models.BooleanField(
        _("confirmed"),
        default=False,
        help_text=_("Read from the resolution; otherwise to be confirmed by the board."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("fee rate")
        verbose_name_plural = _("fee rates")
        ordering = ("schedule", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(amount_vnd__gte=0), name="rate_amount_nonnegative")
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_class}: {self.amount_vnd:,}"


class FeeMultiplier(models.Model):
    """A factor on the rate when its conditions hold (an empty list means any)."""

    schedule = models.ForeignKey(
        FeeSchedule,
        verbose_name=_("schedule"),
        on_delete=models.CASCADE,
        related_name="multipliers",
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    factor = models.DecimalField(_("factor"), max_digits=6, decimal_places=3)
    directions = models.JSONField(_("regimes"), default=list, blank=True)
    goods_groups = models.JSONField(_("goods groups"), default=list, blank=True)
    deliveries = models.JSONField(_("deliveries"), default=list, blank=True)
    confirmed = models.BooleanField(_("confirmed"), default=False)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("fee multiplier")
        verbose_name_plural = _("fee multipliers")
        ordering = ("schedule", "code")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "code"], name="multiplier_unique_code"),
            models.CheckConstraint(condition=Q(factor__gt=0), name="multiplier_factor_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ×{self.factor}"


class FeeReduction(models.Model):
    """A dated percentage off the fee (as during COVID-19), for all or some trips."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    percent = models.DecimalField(_("reduction (%)"), max_digits=5, decimal_places=2)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True)
    directions = models.JSONField(_("regimes"), default=list, blank=True)
    goods_groups = models.JSONField(_("goods groups"), default=list, blank=True)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("fee reduction")
        verbose_name_plural = _("fee reductions")
        ordering = ("-valid_from",)
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gt=0, percent__lte=100), name="reduction_percent_range"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="reduction_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} −{self.percent}%"


class YardRate(models.Model):
    """What a stay in a yard costs, per started hour or day, by vehicle class: the yard
    operator's own price list. Parking is priced by the private yard operators, outside the
    provincial fee resolution, and is not split 10 % / 90 %. (Rates attached to a fee schedule
    are the first wave's, kept for stays already charged with them.)"""

    operator = models.ForeignKey(
        "gates.YardOperator",
        verbose_name=_("yard operator"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="yard_rates",
    )
    schedule = models.ForeignKey(
        FeeSchedule,
        verbose_name=_("schedule"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="yard_rates",
    )
    vehicle_class = models.CharField(_("vehicle class"), max_length=20)
    unit = models.CharField(_("unit"), max_length=4, choices=YardUnit.choices)
    amount_vnd = models.BigIntegerField(_("amount per unit (VND)"))
    free_minutes = models.PositiveIntegerField(_("free minutes"), default=0)
    confirmed = models.BooleanField(_("confirmed"), default=False)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("yard rate")
        verbose_name_plural = _("yard rates")
        ordering = ("operator", "schedule", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "vehicle_class"], name="yard_rate_unique_class"
            ),
            models.UniqueConstraint(
                fields=["operator", "vehicle_class"], name="yard_rate_unique_operator_class"
            ),
            models.CheckConstraint(condition=Q(amount_vnd__gte=0), name="yard_rate_nonnegative"),
            models.CheckConstraint(
                condition=Q(operator__isnull=False) | Q(schedule__isnull=False),
                name="yard_rate_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_class}: {self.amount_vnd:,} {self.get_unit_display()}"


class Assessment(models.Model):
    """The fee of a trip as assessed when it was declared or amended, with its explanation."""

    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    schedule = models.ForeignKey(
        FeeSchedule,
        verbose_name=_("schedule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=AssessmentStatus.choices)
    amount_vnd = models.BigIntegerField(_("amount (VND)"), null=True, blank=True)
    goods_group = models.CharField(
        _("goods group charged"), max_length=20, choices=GoodsGroup.choices, blank=True
    )
    basis = models.JSONField(_("trip as assessed"))
    explanation = models.JSONField(_("explanation"))
    is_current = models.BooleanField(_("current"), default=True)
    assessed_at = models.DateTimeField(_("assessed at"))
    actor_label = models.CharField(_("by"), max_length=150)

    objects = RestrictedManager()
    scope = _TRIP_SCOPE

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ("-assessed_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["declaration"],
                condition=Q(is_current=True),
                name="assessment_one_current",
            ),
            models.CheckConstraint(
                condition=Q(amount_vnd__isnull=True) | Q(amount_vnd__gte=0),
                name="assessment_amount_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.amount_vnd}"


class Charge(models.Model):
    """Money a trip owes: its infrastructure-use fee, or one yard stay."""

    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        related_name="charges",
    )
    kind = models.CharField(_("fee type"), max_length=16, choices=ChargeKind.choices)
    status = models.CharField(
        _("status"), max_length=6, choices=ChargeStatus.choices, default=ChargeStatus.OPEN
    )
    amount_vnd = models.BigIntegerField(_("amount (VND)"))
    goods_group = models.CharField(
        _("goods group"), max_length=20, choices=GoodsGroup.choices, blank=True
    )
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("assessment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    yard_visit = models.OneToOneField(
        "flow.YardVisit",
        verbose_name=_("yard stay"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charge",
    )
    yard_rate = models.ForeignKey(
        YardRate,
        verbose_name=_("yard rate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    units = models.PositiveIntegerField(_("units"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    objects = RestrictedManager()
    scope = _TRIP_SCOPE

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ("declaration", "created_at", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(amount_vnd__gte=0), name="charge_nonnegative"),
            models.UniqueConstraint(
                fields=["declaration"],
                condition=Q(kind=ChargeKind.INFRASTRUCTURE),
                name="charge_one_infrastructure_fee",
            ),
            models.CheckConstraint(
                condition=Q(kind=ChargeKind.YARD, yard_visit__isnull=False)
                | Q(kind=ChargeKind.INFRASTRUCTURE, yard_visit__isnull=True),
                name="charge_yard_has_visit",
            ),
        ]
        indexes = [models.Index(fields=["kind", "status"], name="charge_kind_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_vnd:,}"


class PaymentRequest(models.Model):
    """A declarant's request to pay a trip's balance through a payment provider."""

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    provider = models.CharField(_("provider"), max_length=20)
    amount_vnd = models.BigIntegerField(_("amount (VND)"))
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=PaymentRequestStatus.choices,
        default=PaymentRequestStatus.OPEN,
    )
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = RestrictedManager()
    scope = _TRIP_SCOPE

    class Meta:
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        ordering = ("-requested_at", "-pk")
        constraints = [
            models.CheckConstraint(condition=Q(amount_vnd__gt=0), name="request_amount_positive")
        ]

    def __str__(self) -> str:
        return self.reference


class Payment(models.Model):
    """Money received, as the provider's signed callback reported it: one per transaction."""

    request = models.ForeignKey(
        PaymentRequest,
        verbose_name=_("payment request"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    provider = models.CharField(_("provider"), max_length=20)
    provider_txn_id = models.CharField(_("provider transaction"), max_length=64)
    amount_vnd = models.BigIntegerField(_("amount (VND)"))
    paid_at = models.DateTimeField(_("paid at"))
    received_at = models.DateTimeField(_("received at"))
    payload = models.JSONField(_("callback"), default=dict)

    objects = RestrictedManager()
    scope = _TRIP_SCOPE

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ("-received_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_txn_id"], name="payment_unique_transaction"
            ),
            models.CheckConstraint(condition=Q(amount_vnd__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_txn_id}"


class Refund(models.Model):
    """Money going back to the payer, sent through the provider of the payment it reverses."""

    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    charge = models.ForeignKey(
        Charge,
        verbose_name=_("charge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        help_text=_("Empty when the money refunded was paid in excess of every charge."),
    )
    kind = models.CharField(_("refunded"), max_length=16, choices=ReceiptLineKind.choices)
    amount_vnd = models.BigIntegerField(_("amount (VND)"))
    reason = models.CharField(_("reason"), max_length=10, choices=RefundReason.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    provider_ref = models.CharField(_("provider reference"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Set while a dispatcher is sending the refund to its provider (outside any transaction);
    # a claim older than a few minutes is a dispatcher that died, and the refund is sent again
    # (providers take the refund's id as their idempotency key).
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)

    objects = RestrictedManager()
    scope = _TRIP_SCOPE

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ("-requested_at", "-pk")
        constraints = [
            models.CheckConstraint(condition=Q(amount_vnd__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: −{self.amount_vnd:,}"


class ReceiptSeries(models.Model):
    """The last receipt number of a year; its row is locked to hand out the next one."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("receipt series")
        verbose_name_plural = _("receipt series")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Receipt(models.Model):
    """The e-receipt (biên lai điện tử) for one payment, numbered without gaps per year."""

    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="receipt"
    )
    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.PROTECT, related_name="+"
    )
    amount_vnd = models.BigIntegerField(_("amount (VND)"))
    issued_at = models.DateTimeField(_("issued at"))
    token = models.CharField(_("verification code"), max_length=32, unique=True, editable=False)

    objects = RestrictedManager()
    scope = _TRIP_SCOPE

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ("-year", "-number")
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="receipt_unique_number"),
            models.CheckConstraint(condition=Q(amount_vnd__gt=0), name="receipt_amount_positive"),
        ]
        indexes = [models.Index(fields=["issued_at"], name="receipt_issued_idx")]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.year}-{self.number:07d}"


class ReceiptLine(models.Model):
    """How a receipt's money was allocated: to a charge, or held as credit to refund."""

    receipt = models.ForeignKey(
        Receipt, verbose_name=_("receipt"), on_delete=models.CASCADE, related_name="lines"
    )
    charge = models.ForeignKey(
        Charge,
        verbose_name=_("charge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipt_lines",
    )
    kind = models.CharField(_("fee type"), max_length=16, choices=ReceiptLineKind.choices)
    amount_vnd = models.BigIntegerField(_("amount (VND)"))

    class Meta:
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        ordering = ("receipt", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(amount_vnd__gt=0), name="receipt_line_positive")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_vnd:,}"
