"""Enterprises, vehicles, drivers, the commodity catalogue and declarations (tờ khai)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.scoping import RestrictedManager, Scope
from cuakhau.modelbase import Trilingual
from gates.choices import Flow
from shipments.choices import (
    CHANNEL_STRICTNESS,
    ComplianceClass,
    ContainerSize,
    Country,
    CustomsChannel,
    Delivery,
    Direction,
    FruitCodeKind,
    GoodsGroup,
    IdDocumentType,
    Language,
    TruckState,
    VehicleKind,
    WithdrawalReason,
)
from shipments.provinces import province_choices, province_name
from shipments.validators import (
    format_tax_code,
    normalize_cn_credit_code,
    normalize_hs_heading,
    normalize_phone,
    normalize_plate,
    normalize_vn_tax_code,
    ocr_key,
)


class Enterprise(models.Model):
    """An import-export enterprise or customs broker (doanh nghiệp), or a Chinese partner."""

    name = models.CharField(_("name"), max_length=255)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    tax_code = models.CharField(
        _("tax code"),
        max_length=20,
        unique=True,
        help_text=_("Vietnamese tax code (MST) or Chinese unified social credit code."),
    )
    compliance_class = models.CharField(
        _("compliance class"),
        max_length=20,
        choices=ComplianceClass.choices,
        default=ComplianceClass.MODERATE,
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedManager()
    scope = Scope(gate="declarations__gate", enterprise="pk", board_can_change=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def tax_code_display(self) -> str:
        return format_tax_code(self.tax_code, self.country)

    def clean(self) -> None:
        """Forms and the admin store only valid, normalised codes (the API checks the same)."""
        normalise = (
            normalize_vn_tax_code if self.country == Country.VIETNAM else normalize_cn_credit_code
        )
        try:
            self.tax_code = normalise(self.tax_code)
        except ValidationError as exc:
            raise ValidationError({"tax_code": exc.messages}) from exc


class Vehicle(models.Model):
    plate = models.CharField(_("plate"), max_length=20, unique=True)
    ocr_key = models.CharField(
        _("camera key"),
        max_length=20,
        db_index=True,
        editable=False,
        help_text=_("The plate as a camera reads it, confusable characters merged."),
    )
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=VehicleKind.choices)
    payload_kg = models.PositiveIntegerField(_("payload (kg)"), null=True, blank=True)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="vehicles",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedManager()
    scope = Scope(
        gate="declarations__gate",
        enterprise="enterprise",
        driver_user="declarations__driver__user",
        board_can_change=True,
        declarant_can_change=True,
    )

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ("plate",)

    def __str__(self) -> str:
        return self.plate

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.ocr_key = ocr_key(self.plate)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "ocr_key"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            self.plate, self.country = normalize_plate(self.plate)
        except ValidationError as exc:
            raise ValidationError({"plate": exc.messages}) from exc


class Driver(models.Model):
    full_name = models.CharField(_("full name"), max_length=200)
    id_document_type = models.CharField(
        _("identity document"), max_length=20, choices=IdDocumentType.choices
    )
    id_document_number = models.CharField(_("document number"), max_length=30)
    phone = models.CharField(_("phone"), max_length=20, help_text=_("E.164, e.g. +84912345678"))
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=Language.choices, default=Language.VIETNAMESE
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="drivers"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="driver_profile",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedManager()
    scope = Scope(
        gate="declarations__gate",
        enterprise="enterprise",
        driver_user="user",
        board_can_change=True,
        declarant_can_change=True,
    )

    class Meta:
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")
        ordering = ("full_name",)
        constraints = [
            models.UniqueConstraint(
                fields=["id_document_type", "id_document_number"], name="driver_unique_document"
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    def clean(self) -> None:
        try:
            self.phone = normalize_phone(self.phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc


class Commodity(Trilingual):
    """A catalogue entry: goods as declared, by HS heading, with how long they keep."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    hs_heading = models.CharField(_("HS heading"), max_length=4, db_index=True)
    goods_group = models.CharField(_("goods group"), max_length=20, choices=GoodsGroup.choices)
    perishable = models.BooleanField(_("perishable"), default=False)
    shelf_life_hours = models.PositiveIntegerField(
        _("shelf life (hours)"),
        null=True,
        blank=True,
        help_text=_("How long the goods keep in a waiting truck; required for perishables."),
    )
    source = models.TextField(_("source"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("commodity")
        verbose_name_plural = _("commodities")
        ordering = ("hs_heading", "code")
        constraints = [
            models.CheckConstraint(
                condition=Q(perishable=False) | Q(shelf_life_hours__gt=0),
                name="commodity_perishable_has_shelf_life",
            )
        ]

    def clean(self) -> None:
        try:
            self.hs_heading = normalize_hs_heading(self.hs_heading)
        except ValidationError as exc:
            raise ValidationError({"hs_heading": exc.messages}) from exc
        if self.perishable and not self.shelf_life_hours:
            raise ValidationError(
                {"shelf_life_hours": _("A perishable commodity needs its shelf life.")}
            )


class Declaration(models.Model):
    """A truck trip declared before it leaves: the unit the whole platform follows."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="declarations",
    )
    direction = models.CharField(_("direction"), max_length=24, choices=Direction.choices)
    flow = models.CharField(_("crossing"), max_length=10, choices=Flow.choices)
    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.PROTECT, related_name="declarations"
    )
    route = models.ForeignKey(
        "gates.Route",
        verbose_name=_("route"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="declarations",
    )
    vehicle = models.ForeignKey(
        Vehicle, verbose_name=_("vehicle"), on_delete=models.PROTECT, related_name="declarations"
    )
    trailer = models.ForeignKey(
        Vehicle,
        verbose_name=_("trailer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trailer_declarations",
    )
    driver = models.ForeignKey(
        Driver, verbose_name=_("driver"), on_delete=models.PROTECT, related_name="declarations"
    )
    origin_province = models.PositiveSmallIntegerField(
        _("origin province"), choices=province_choices, null=True, blank=True
    )
    container = models.CharField(
        _("container"), max_length=4, choices=ContainerSize.choices, blank=True, default=""
    )
    delivery = models.CharField(
        _("delivery"), max_length=8, choices=Delivery.choices, default=Delivery.BORDER
    )
    planned_arrival = models.DateTimeField(_("planned arrival"))
    two_way = models.BooleanField(
        _("two-way delivery"),
        default=False,
        help_text=_(
            "The truck delivers into the other country's yard and comes back loaded, on a route "
            "in the two-way pilot."
        ),
    )
    perishable = models.BooleanField(_("perishable"), default=False, editable=False)
    shelf_life_hours = models.PositiveIntegerField(
        _("shelf life (hours)"), null=True, blank=True, editable=False
    )
    state = models.CharField(
        _("state"), max_length=12, choices=TruckState.choices, default=TruckState.DECLARED
    )
    withdrawal_reason = models.CharField(
        _("why the truck left the queue"),
        max_length=12,
        choices=WithdrawalReason.choices,
        blank=True,
        default="",
        help_text=_("Given when the declarant withdraws the truck before it crosses."),
    )
    state_changed_at = models.DateTimeField(_("state changed at"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = RestrictedManager()
    scope = Scope(
        gate="gate",
        enterprise="enterprise",
        driver_user="driver__user",
        declarant_can_change=True,
    )

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["gate", "state", "planned_arrival"], name="decl_gate_state_idx"),
            models.Index(fields=["enterprise", "-created_at"], name="decl_enterprise_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=TruckState.values), name="decl_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(container__in=ContainerSize.values), name="decl_container_valid"
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=Delivery.values), name="decl_delivery_valid"
            ),
            models.CheckConstraint(
                condition=Q(withdrawal_reason="") | Q(state=TruckState.CANCELLED),
                name="decl_withdrawal_only_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def origin_province_name(self) -> str:
        return province_name(self.origin_province)

    # A trip carries the goods of one or more VNACCS customs declarations (``CustomsDeclaration``);
    # these read them (prefetch ``customs_declarations`` for lists).
    @property
    def customs_channel(self) -> str:
        """The VNACCS channel code the truck is worked at: the strictest of its declarations'
        (``working_channel``); empty while it cannot be known."""
        return working_channel([cd.channel for cd in self.customs_declarations.all()])

    @property
    def customs_declaration_number(self) -> str:
        """The number of the trip's only customs declaration (the API's field before a trip could
        carry several); with several, the first one added."""
        declarations = sorted(self.customs_declarations.all(), key=lambda cd: cd.pk)
        return declarations[0].number if declarations else ""

    def get_customs_channel_display(self) -> str:
        code = self.customs_channel
        return str(CustomsChannel(code).label) if code else ""


class GoodsLine(models.Model):
    declaration = models.ForeignKey(
        Declaration, verbose_name=_("declaration"), on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveSmallIntegerField(_("line"))
    commodity = models.ForeignKey(
        Commodity, verbose_name=_("commodity"), on_delete=models.PROTECT, related_name="+"
    )
    hs_heading = models.CharField(_("HS heading"), max_length=4)
    description = models.CharField(_("description"), max_length=255, blank=True)
    puc_code = models.CharField(_("growing-area code (PUC)"), max_length=40, blank=True)
    phc_code = models.CharField(_("packing-house code (PHC)"), max_length=40, blank=True)
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=10,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    value_usd = models.DecimalField(
        _("value (USD)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("goods line")
        verbose_name_plural = _("goods lines")
        ordering = ("declaration", "line_no")
        constraints = [
            models.UniqueConstraint(fields=["declaration", "line_no"], name="line_unique_no"),
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="line_weight_positive"),
            models.CheckConstraint(condition=Q(value_usd__gte=0), name="line_value_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}/{self.line_no} {self.hs_heading}"


def working_channel(channels: list[str]) -> str:
    """The channel a truck is worked at, from the VNACCS codes of its customs declarations:
    the strictest (3 over 2 over 1). Red decides at once; otherwise a declaration whose channel
    is not recorded yet leaves it unknown (""), since that one could still be red or yellow."""
    if CustomsChannel.RED in channels:
        return CustomsChannel.RED
    if not channels or "" in channels:
        return ""
    return max(channels, key=CHANNEL_STRICTNESS.__getitem__)


class ProcedureCode(Trilingual):
    """A VNACCS procedure code (mã loại hình: A11, B11, G11…): the customs regime a customs
    declaration is made under, which officers read first. The board keeps the list; each code
    says which of cuakhau's directions (and so which fee rule) it may travel under."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    directions = models.JSONField(
        _("directions"),
        default=list,
        help_text=_("cuakhau's directions a trip under this code may have (the fee follows them)."),
    )
    flow = models.CharField(
        _("crossing"),
        max_length=10,
        choices=Flow.choices,
        blank=True,
        help_text=_("Whether goods under this code enter or leave Vietnam; empty: either."),
    )
    source = models.TextField(_("source"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("procedure code")
        verbose_name_plural = _("procedure codes")
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class CustomsDeclaration(models.Model):
    """A VNACCS customs declaration (tờ khai hải quan): what customs declares and channels. It
    covers a consignment, not a vehicle: one declaration may travel on several trucks, and one
    truck may carry the goods of several declarations (``trips``). The channel is customs'
    decision, recorded once here and applying to every truck under it."""

    number = models.CharField(_("customs declaration number"), max_length=12, unique=True)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="customs_declarations",
    )
    procedure_code = models.ForeignKey(
        ProcedureCode,
        verbose_name=_("procedure code"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty only on declarations recorded before procedure codes were kept."),
    )
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    customs_office = models.CharField(
        _("customs office"),
        max_length=120,
        blank=True,
        help_text=_("The customs office (chi cục) the declaration is registered with."),
    )
    channel = models.CharField(
        _("customs channel (VNACCS)"),
        max_length=1,
        choices=CustomsChannel.choices,
        blank=True,
        default="",
        help_text=_("As VNACCS assigned it, or as customs changed it; empty until recorded."),
    )
    channel_recorded_at = models.DateTimeField(_("channel recorded at"), null=True, blank=True)
    channel_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("channel recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel_recorded_by_label = models.CharField(
        _("channel recorded by"), max_length=150, blank=True
    )
    created_at = models.DateTimeField(_("created at"))
    trips = models.ManyToManyField(
        Declaration,
        verbose_name=_("trips"),
        through="CustomsDeclarationTrip",
        related_name="customs_declarations",
    )

    objects = RestrictedManager()
    scope = Scope(gate="trips__gate", enterprise="enterprise", driver_user="trips__driver__user")

    class Meta:
        verbose_name = _("customs declaration")
        verbose_name_plural = _("customs declarations")
        ordering = ("number",)
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["", *CustomsChannel.values]),
                name="customs_decl_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel="") | Q(channel_recorded_at__isnull=False),
                name="customs_decl_channel_recorded_at",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CustomsDeclarationTrip(models.Model):
    """One truck carrying goods of one customs declaration."""

    customs_declaration = models.ForeignKey(
        CustomsDeclaration,
        verbose_name=_("customs declaration"),
        on_delete=models.CASCADE,
        related_name="trip_links",
    )
    trip = models.ForeignKey(
        Declaration, verbose_name=_("trip"), on_delete=models.CASCADE, related_name="customs_links"
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("truck under a customs declaration")
        verbose_name_plural = _("trucks under customs declarations")
        constraints = [
            models.UniqueConstraint(
                fields=["customs_declaration", "trip"], name="customs_decl_trip_unique"
            )
        ]
        indexes = [models.Index(fields=["trip"], name="customs_decl_trip_idx")]

    def __str__(self) -> str:
        return f"{self.customs_declaration_id} → {self.trip_id}"


class StateChange(models.Model):
    """One step of a truck's life: who moved it, when, where and why."""

    declaration = models.ForeignKey(
        Declaration, verbose_name=_("declaration"), on_delete=models.CASCADE, related_name="history"
    )
    transition = models.CharField(_("transition"), max_length=20)
    from_state = models.CharField(_("from"), max_length=12, choices=TruckState.choices)
    to_state = models.CharField(_("to"), max_length=12, choices=TruckState.choices)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    location = models.CharField(_("where"), max_length=120, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = RestrictedManager()
    scope = Scope(
        gate="declaration__gate",
        enterprise="declaration__enterprise",
        driver_user="declaration__driver__user",
    )

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ("declaration", "at", "pk")
        indexes = [models.Index(fields=["to_state", "at"], name="statechange_to_at_idx")]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.from_state} → {self.to_state}"


class FruitCode(models.Model):
    """A growing-area (PUC) or packing-house (PHC) code registered with China: fresh fruit
    exported to China carries one of each, or the consignment is turned back at the border.
    The board keeps the list (imported from CSV); declarations are checked against it."""

    kind = models.CharField(_("kind"), max_length=3, choices=FruitCodeKind.choices)
    code = models.CharField(_("code"), max_length=40)
    commodity = models.ForeignKey(
        Commodity,
        verbose_name=_("fruit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The fruit the code is registered for; empty: any fruit."),
    )
    holder = models.CharField(_("holder"), max_length=200, blank=True)
    province = models.PositiveSmallIntegerField(
        _("province"), choices=province_choices, null=True, blank=True
    )
    is_active = models.BooleanField(_("valid"), default=True)
    source = models.TextField(_("source"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("registered fruit code")
        verbose_name_plural = _("registered fruit codes")
        ordering = ("kind", "code")
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="fruit_code_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=FruitCodeKind.values), name="fruit_code_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"
