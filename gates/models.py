"""The gate register: gates, their routes and foreign pairs, yards, hours and capacity plans."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import RestrictedManager, Scope
from cuakhau.modelbase import Sourced, Trilingual
from gates.choices import Flow, GateKind, TransportMode, Weekday, YardKind


class ForeignGate(Sourced, Trilingual):
    """The gate across the border that a Vietnamese gate or route is paired with."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    country = models.CharField(_("country"), max_length=2, default="CN")
    region = models.CharField(_("region"), max_length=100, blank=True)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("foreign gate")
        verbose_name_plural = _("foreign gates")
        ordering = ("code",)


class Gate(Sourced, Trilingual):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=GateKind.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=TransportMode.choices)
    border_marker = models.CharField(_("border marker"), max_length=40, blank=True)
    foreign_gate = models.ForeignKey(
        ForeignGate,
        verbose_name=_("paired foreign gate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vietnamese_gates",
    )
    closes_on_holidays = models.BooleanField(
        _("closes on public holidays"),
        default=True,
        help_text=_("Unset where the gate pair agreed to work through holidays."),
    )
    main_goods = models.TextField(_("main goods"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    objects = RestrictedManager()
    scope = Scope(gate="pk", public=True, board_can_change=True)

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        ordering = ("sort_order", "code")


class Route(Sourced, Trilingual):
    """A freight route (lối mở) between border markers that belongs to a gate."""

    gate = models.ForeignKey(
        Gate, verbose_name=_("gate"), on_delete=models.PROTECT, related_name="routes"
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    border_markers = models.CharField(_("border markers"), max_length=40, blank=True)
    foreign_gate = models.ForeignKey(
        ForeignGate,
        verbose_name=_("paired foreign gate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vietnamese_routes",
    )
    main_goods = models.TextField(_("main goods"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()
    scope = Scope(gate="gate", public=True, board_can_change=True)

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ("gate__sort_order", "code")


class YardOperator(Sourced):
    """A company that runs yards (Bảo Nguyên at Tân Thanh, Hữu Nghị Xuân Cương) and prices
    parking in them itself, outside the provincial infrastructure-use fee."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    tax_code = models.CharField(
        _("tax code"), max_length=20, blank=True, help_text=_("Empty while not confirmed.")
    )

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("yard operator")
        verbose_name_plural = _("yard operators")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Yard(Sourced):
    """A yard (bãi), gathering point (điểm tập kết) or bonded warehouse (kho ngoại quan)."""

    gate = models.ForeignKey(
        Gate, verbose_name=_("gate"), on_delete=models.PROTECT, related_name="yards"
    )
    route = models.ForeignKey(
        Route,
        verbose_name=_("route"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="yards",
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=YardKind.choices)
    vehicle_capacity = models.PositiveIntegerField(
        _("vehicle capacity"), null=True, blank=True, help_text=_("Empty when not published.")
    )
    capacity_as_of = models.DateField(
        _("capacity as of"),
        null=True,
        blank=True,
        help_text=_("The date of the source that gives the capacity."),
    )
    operator = models.ForeignKey(
        YardOperator,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="yards",
    )

    objects = RestrictedManager()
    scope = Scope(gate="gate", public=True, board_can_change=True)

    class Meta:
        verbose_name = _("yard")
        verbose_name_plural = _("yards")
        ordering = ("gate__sort_order", "code")
        constraints = [
            models.CheckConstraint(
                condition=Q(vehicle_capacity__isnull=True) | Q(vehicle_capacity__gt=0),
                name="yard_capacity_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(Sourced):
    """Weekly opening hours for goods at a gate (or one of its routes), per crossing flow."""

    gate = models.ForeignKey(
        Gate, verbose_name=_("gate"), on_delete=models.CASCADE, related_name="working_hours"
    )
    route = models.ForeignKey(
        Route, verbose_name=_("route"), on_delete=models.CASCADE, null=True, blank=True
    )
    flow = models.CharField(_("flow"), max_length=10, choices=Flow.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = RestrictedManager()
    scope = Scope(gate="gate", public=True, board_can_change=True)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ("gate", "flow", "weekday", "valid_from")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=F("closes")), name="hours_open_before_close"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="hours_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gate} {self.get_flow_display()} {self.get_weekday_display()}"


class ForeignHours(Sourced):
    """The paired foreign gate's weekly hours for goods, as that side publishes them: in its own
    time zone (China: Asia/Shanghai, UTC+8). A crossing needs both sides open, so the bookable
    window is the intersection with the Vietnamese gate's hours (``gates.services.hours_on``)."""

    foreign_gate = models.ForeignKey(
        ForeignGate, verbose_name=_("foreign gate"), on_delete=models.CASCADE, related_name="hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens (their local time)"))
    closes = models.TimeField(_("closes (their local time)"))
    time_zone = models.CharField(_("time zone"), max_length=40, default="Asia/Shanghai")
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = RestrictedManager()
    scope = Scope(public=True, board_can_change=True)

    class Meta:
        verbose_name = _("foreign gate hours")
        verbose_name_plural = _("foreign gate hours")
        ordering = ("foreign_gate", "weekday", "valid_from")
        constraints = [
            # 00:00 as the closing time is midnight, the end of the day.
            models.CheckConstraint(
                condition=Q(opens__lt=F("closes")) | Q(closes=datetime.time(0)),
                name="foreign_hours_open_before_close",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="foreign_hours_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.foreign_gate} {self.get_weekday_display()}"


class HoursException(Sourced):
    """A dated change to the weekly hours: a closure, shorter or longer hours."""

    gate = models.ForeignKey(
        Gate, verbose_name=_("gate"), on_delete=models.CASCADE, related_name="hours_exceptions"
    )
    route = models.ForeignKey(
        Route, verbose_name=_("route"), on_delete=models.CASCADE, null=True, blank=True
    )
    flow = models.CharField(
        _("flow"), max_length=10, choices=Flow.choices, blank=True, help_text=_("Empty: both.")
    )
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=False)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    pre_registered_only = models.BooleanField(
        _("pre-registered goods only"),
        default=False,
        help_text=_("Only trucks declared or booked by the registration deadline may cross."),
    )
    registered_by = models.DateTimeField(
        _("registered by"),
        null=True,
        blank=True,
        help_text=_(
            "Pre-registered goods only: trucks declared or booked before this moment may cross "
            "(by default the start of the notice's first day). Empty on notices published before "
            "deadlines were kept: their publication time."
        ),
    )
    notice = models.CharField(
        _("notice"),
        max_length=24,
        blank=True,
        db_index=True,
        help_text=_("The notice this row belongs to: one notice covers days and windows."),
    )
    reason = models.CharField(_("reason"), max_length=300)
    wait_at = models.CharField(
        _("where to wait"),
        max_length=200,
        blank=True,
        help_text=_("Where held trucks wait, e.g. a logistics park."),
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    objects = RestrictedManager()
    scope = Scope(gate="gate", public=True, board_can_change=True)

    class Meta:
        verbose_name = _("hours exception")
        verbose_name_plural = _("hours exceptions")
        ordering = ("date", "gate")
        constraints = [
            models.CheckConstraint(
                condition=Q(closed=True, opens__isnull=True, closes__isnull=True)
                | Q(closed=False, opens__lt=F("closes"))
                | Q(
                    closed=False,
                    pre_registered_only=True,
                    opens__isnull=True,
                    closes__isnull=True,
                ),
                name="exception_closed_or_hours",
            ),
            models.CheckConstraint(
                condition=Q(closed=False) | Q(pre_registered_only=False),
                name="exception_closed_not_pre_registered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gate} {self.date}: {self.reason}"

    @property
    def registration_deadline(self) -> datetime.datetime:
        """Trucks declared or booked before this moment may cross on a pre-registered day: the
        deadline given, and never before the notice was published (what was registered before
        a notice came out is pre-registered)."""
        if self.registered_by is None:
            return self.published_at
        return max(self.registered_by, self.published_at)


class CapacityPlan(Sourced):
    """Trucks per hour a gate (or route) clears in one flow, in force from a given time."""

    gate = models.ForeignKey(
        Gate, verbose_name=_("gate"), on_delete=models.CASCADE, related_name="capacity_plans"
    )
    route = models.ForeignKey(
        Route, verbose_name=_("route"), on_delete=models.CASCADE, null=True, blank=True
    )
    flow = models.CharField(_("flow"), max_length=10, choices=Flow.choices)
    trucks_per_hour = models.PositiveIntegerField(_("trucks per hour"))
    effective_from = models.DateTimeField(_("effective from"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = RestrictedManager()
    scope = Scope(gate="gate", public=True, board_can_change=True)

    class Meta:
        verbose_name = _("capacity plan")
        verbose_name_plural = _("capacity plans")
        ordering = ("gate", "route", "flow", "-effective_from")
        constraints = [
            models.UniqueConstraint(
                fields=["gate", "flow", "effective_from"],
                condition=Q(route__isnull=True),
                name="capacity_plan_gate_unique_start",
            ),
            models.UniqueConstraint(
                fields=["route", "flow", "effective_from"],
                condition=Q(route__isnull=False),
                name="capacity_plan_route_unique_start",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.gate} {self.flow} {self.trucks_per_hour}/h from {self.effective_from:%Y-%m-%d}"
        )


class TwoWayDelivery(Sourced):
    """A route where trucks may deliver into the other country's yard and come back loaded
    (giao nhận hai chiều), with the pilot's limits: how long a two-way truck may stay in the
    other country's yard, how soon the others must leave, one owner's goods and one kind of
    goods per truck (no mixed loads)."""

    route = models.ForeignKey(
        Route, verbose_name=_("route"), on_delete=models.CASCADE, related_name="two_way_rules"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("Empty while the pilot runs.")
    )
    two_way_dwell_hours = models.PositiveSmallIntegerField(
        _("two-way truck's stay in the other country's yard (hours)")
    )
    other_dwell_hours = models.PositiveSmallIntegerField(
        _("other trucks' stay after delivery (hours)")
    )
    one_owner = models.BooleanField(_("one owner's goods per truck"), default=True)
    one_kind_of_goods = models.BooleanField(
        _("one kind of goods per truck (no mixed loads)"), default=True
    )

    objects = RestrictedManager()
    scope = Scope(gate="route__gate", public=True, board_can_change=True)

    class Meta:
        verbose_name = _("two-way delivery rule")
        verbose_name_plural = _("two-way delivery rules")
        ordering = ("route", "-starts_on")
        constraints = [
            models.UniqueConstraint(fields=["route", "starts_on"], name="two_way_unique_start"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="two_way_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route} two-way from {self.starts_on:%Y-%m-%d}"

    def in_force(self, day: datetime.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
