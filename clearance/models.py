"""Agency checks on a declaration, the rules that decide them, and the documents behind them.

A declaration arriving at the yard gets one :class:`Clearance` (its customs channel) and one
:class:`Check` per agency that must look at it; each officer's finding is an :class:`Inspection`.
Which checks and which channel are data (:class:`CheckRule`, :class:`SelectivityRule`), edited
by the board and the customs administrator without code changes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import RestrictedManager, Scope
from clearance.choices import (
    PENDING_STATUSES,
    Agency,
    Channel,
    CheckKind,
    CheckStatus,
    DocumentType,
    InspectionResult,
    LimitUnit,
    RuleTarget,
)
from cuakhau.modelbase import Sourced, Trilingual


class Criteria(models.Model):
    """What a rule applies to. Every list empty means every declaration; lists combine by AND.

    ``hs_prefixes`` match the start of a goods line's HS heading ("08" is chapter 8, "0810" one
    heading); a declaration matches when any of its lines does.
    """

    hs_prefixes = models.JSONField(_("HS chapters or headings"), default=list, blank=True)
    directions = models.JSONField(_("directions"), default=list, blank=True)

    class Meta:
        abstract = True


class CheckRule(Criteria, Trilingual, Sourced):
    """Which agency must check which declarations: the board's data, not code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    agency = models.CharField(_("agency"), max_length=20, choices=Agency.choices)
    kind = models.CharField(
        _("check"),
        max_length=20,
        choices=CheckKind.choices,
        help_text=_("For customs the channel decides the check; this names the default."),
    )
    is_active = models.BooleanField(
        _("in force"), default=True, help_text=_("The board switches the health check on here.")
    )

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("check rule")
        verbose_name_plural = _("check rules")
        ordering = ("agency", "code")

    def __str__(self) -> str:
        return self.name


class DocumentRequirement(Criteria, Trilingual, Sourced):
    """One line of the required-documents checklist for a direction and kind of goods."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    document_type = models.CharField(
        _("document type"), max_length=30, choices=DocumentType.choices
    )
    confirmed = models.BooleanField(
        _("confirmed"),
        default=False,
        help_text=_("Unticked: shipped as inferred, to be confirmed by the board."),
    )
    is_active = models.BooleanField(_("in force"), default=True)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name


class TimeLimit(Sourced):
    """How long an agency may take over a kind of check, counted from when it opens."""

    kind = models.CharField(_("check"), max_length=20, choices=CheckKind.choices, unique=True)
    amount = models.PositiveSmallIntegerField(_("amount"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=16, choices=LimitUnit.choices)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ("kind",)
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="limit_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount} {self.get_unit_display()}"


class ReferencePrice(Sourced):
    """The usual customs value of a commodity, per tonne; values outside it are a risk sign."""

    commodity = models.OneToOneField(
        "shipments.Commodity",
        verbose_name=_("commodity"),
        on_delete=models.CASCADE,
        related_name="reference_price",
    )
    min_usd_per_tonne = models.DecimalField(
        _("lowest USD per tonne"), max_digits=12, decimal_places=2
    )
    max_usd_per_tonne = models.DecimalField(
        _("highest USD per tonne"), max_digits=12, decimal_places=2
    )

    objects = RestrictedManager()
    scope = Scope(board_can_change=True)

    class Meta:
        verbose_name = _("reference price")
        verbose_name_plural = _("reference prices")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_usd_per_tonne__gte=0)
                & Q(max_usd_per_tonne__gte=models.F("min_usd_per_tonne")),
                name="refprice_range_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.commodity}: {self.min_usd_per_tonne}–{self.max_usd_per_tonne} USD/t"


class SelectivityRule(Criteria):
    """A selectivity rule (tiêu chí phân luồng) of cuakhau's advisory risk assessment: what it
    selects, for which channel or for post-clearance audit, how often.

    A matching declaration is selected when its own draw for this rule falls below ``rate``; a
    rule with no criteria selects from every declaration, which is how the minimum random
    selection rate is set. The strictest selected channel wins; nothing selected means green.
    The result is advice shown to the officer: the legal channel is the one VNACCS assigned.
    """

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Fixed once saved: each declaration's draw for a rule is keyed by it."),
    )
    description = models.CharField(_("description"), max_length=300)
    channel = models.CharField(_("selects for"), max_length=10, choices=RuleTarget.choices)
    rate = models.DecimalField(
        _("selection rate"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Share of matching declarations selected, from 0 to 1."),
    )
    compliance_classes = models.JSONField(_("compliance classes"), default=list, blank=True)
    origin_provinces = models.JSONField(_("origin provinces"), default=list, blank=True)
    value_outside_range = models.BooleanField(
        _("value outside reference range"),
        default=False,
        help_text=_("Match only declarations with a line valued outside its reference price."),
    )
    is_active = models.BooleanField(_("in force"), default=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("selectivity rule")
        verbose_name_plural = _("selectivity rules")
        ordering = ("code",)
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=1), name="selectivity_rate_share"
            ),
            models.CheckConstraint(
                condition=~Q(channel=Channel.GREEN), name="selectivity_not_green"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_random(self) -> bool:
        return not (
            self.hs_prefixes
            or self.directions
            or self.compliance_classes
            or self.origin_provinces
            or self.value_outside_range
        )


class Clearance(models.Model):
    """A declaration's clearance record: its customs channel and why."""

    declaration = models.OneToOneField(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.CASCADE,
        related_name="clearance",
    )
    channel = models.CharField(
        _("customs channel (VNACCS)"),
        max_length=10,
        choices=Channel.choices,
        blank=True,
        help_text=_("The declaration's VNACCS channel; empty while it is not recorded."),
    )
    advised_channel = models.CharField(
        _("cuakhau's risk advice"),
        max_length=10,
        choices=Channel.choices,
        help_text=_("What cuakhau's selectivity rules would have chosen: advice, not the channel."),
    )
    post_clearance_audit = models.BooleanField(_("advised for post-clearance audit"), default=False)
    explanation = models.JSONField(
        _("explanation"),
        default=list,
        help_text=_("Each matching selectivity rule, its rate and this declaration's draw."),
    )
    opened_at = models.DateTimeField(_("opened at"))
    override_reason = models.TextField(_("override reason"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = RestrictedManager()
    scope = Scope(gate="declaration__gate", enterprise="declaration__enterprise")

    class Meta:
        verbose_name = _("clearance")
        verbose_name_plural = _("clearances")

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.channel}"


class Check(models.Model):
    """One agency's check of one declaration, with its time limit."""

    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.CASCADE,
        related_name="checks",
    )
    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.CharField(_("agency"), max_length=20, choices=Agency.choices)
    kind = models.CharField(_("check"), max_length=20, choices=CheckKind.choices)
    rule = models.ForeignKey(
        CheckRule,
        verbose_name=_("required by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CheckStatus.choices, default=CheckStatus.OPEN
    )
    perishable = models.BooleanField(_("perishable"), default=False)
    opened_at = models.DateTimeField(_("opened at"))
    due_at = models.DateTimeField(_("due by"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = RestrictedManager()
    scope = Scope(gate="gate", enterprise="declaration__enterprise")

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        ordering = ("-perishable", "opened_at", "pk")
        indexes = [
            models.Index(
                fields=["agency", "gate", "status", "opened_at"], name="check_worklist_idx"
            )
        ]
        constraints = [
            # At most one pending check per agency and declaration, whatever races.
            models.UniqueConstraint(
                fields=["declaration", "agency"],
                condition=Q(status__in=sorted(PENDING_STATUSES)),
                name="check_one_pending_per_agency",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CheckStatus.values), name="check_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.agency} {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES

    def is_overdue(self, now: Any = None) -> bool:
        return bool(self.is_pending and self.due_at and self.due_at < (now or timezone.now()))


class Inspection(models.Model):
    """An officer's finding on a check (kết quả kiểm tra)."""

    check_record = models.ForeignKey(
        Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="inspections"
    )
    result = models.CharField(_("result"), max_length=10, choices=InspectionResult.choices)
    notes = models.TextField(_("notes"), blank=True)
    sample_taken = models.BooleanField(_("sample taken"), default=False)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    officer_label = models.CharField(_("officer"), max_length=150)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ("check_record", "finished_at", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__gte=models.F("started_at")),
                name="inspection_finishes_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.check_record_id}: {self.result}"


def _document_path(instance: Document, filename: str) -> str:
    """Stored under a generated name: the uploader's file name never reaches the disk."""
    suffix = PurePath(filename).suffix.lower()
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Document(models.Model):
    """A file attached to a declaration: seen only by its declarant and the gate's agencies."""

    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    document_type = models.CharField(
        _("document type"), max_length=30, choices=DocumentType.choices
    )
    file = models.FileField(_("file"), upload_to=_document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ("declaration", "uploaded_at", "pk")

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.document_type} {self.original_name}"
