"""Rollups of crossed trips, kept up to date as trucks cross (``services.on_cross``), so the
statistics pages and open data never aggregate the trips themselves.

A trip counts once, in the month and on the day it crossed, under its main commodity (the goods
line of highest declared value, as the fee takes a mixed load). The enterprise is part of the
grain so that every aggregate knows how many enterprises stand behind it (open data suppresses
cells with fewer than three); it is never published.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gates.choices import Flow
from shipments.choices import Direction


class _MonthCell(models.Model):
    """Where and what: a month, gate, road, direction, customs regime and HS heading."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    gate = models.ForeignKey("gates.Gate", on_delete=models.CASCADE, related_name="+")
    route = models.CharField(
        _("route"),
        max_length=40,
        blank=True,
        help_text=_("Route code; empty: the gate's own road."),
    )
    flow = models.CharField(_("crossing"), max_length=10, choices=Flow.choices)
    direction = models.CharField(_("customs regime"), max_length=24, choices=Direction.choices)
    hs_heading = models.CharField(_("HS heading"), max_length=4)

    class Meta:
        abstract = True


class _Amounts(models.Model):
    """What the trucks of a cell carried: how many, how many with perishables, weight, value."""

    trips = models.PositiveIntegerField(_("trucks"), default=0)
    perishable_trips = models.PositiveIntegerField(_("trucks with perishables"), default=0)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=16, decimal_places=1, default=0)
    value_usd = models.DecimalField(_("value (USD)"), max_digits=18, decimal_places=2, default=0)

    class Meta:
        abstract = True


class TradeMonth(_MonthCell, _Amounts):
    enterprise = models.ForeignKey(
        "shipments.Enterprise", on_delete=models.CASCADE, related_name="+"
    )
    fees_vnd = models.BigIntegerField(_("infrastructure fee (VND)"), default=0)

    class Meta:
        verbose_name = _("trade by month")
        verbose_name_plural = _("trade by month")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "gate", "route", "flow", "direction", "hs_heading", "enterprise"],
                name="trade_month_cell",
            )
        ]
        indexes = [models.Index(fields=["month", "gate"], name="trade_month_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.gate_id} {self.flow} {self.hs_heading}: {self.trips}"


class TradeClearance(_MonthCell):
    """How long trucks took from arrival at the yard to cleared, as a histogram per cell:
    medians are read from it (to within a bucket, interpolated), and buckets add up."""

    bucket = models.PositiveSmallIntegerField(_("bucket"))
    trips = models.PositiveIntegerField(_("trucks"), default=0)

    class Meta:
        verbose_name = _("time to clear")
        verbose_name_plural = _("times to clear")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "gate", "route", "flow", "direction", "hs_heading", "bucket"],
                name="trade_clearance_cell",
            )
        ]
        indexes = [models.Index(fields=["month", "gate"], name="trade_clearance_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.gate_id} {self.hs_heading} #{self.bucket}: {self.trips}"


class TradeDay(_Amounts):
    """Trucks per day, gate, direction and enterprise: the daily open data."""

    day = models.DateField(_("day"))
    gate = models.ForeignKey("gates.Gate", on_delete=models.CASCADE, related_name="+")
    flow = models.CharField(_("crossing"), max_length=10, choices=Flow.choices)
    enterprise = models.ForeignKey(
        "shipments.Enterprise", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("trade by day")
        verbose_name_plural = _("trade by day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "gate", "flow", "enterprise"], name="trade_day_cell"
            )
        ]
        indexes = [models.Index(fields=["day", "gate", "flow"], name="trade_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.gate_id} {self.flow}: {self.trips}"
