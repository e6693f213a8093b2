"""Vehicle flow control: crossing slots and bookings, yard visits from plate cameras, and the
daily admission decisions that hold trucks at origin before the yard fills."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.scoping import RestrictedManager, Scope
from flow.choices import AdmissionStatus, BookingStatus, EventKind, EventStatus, Lane
from gates.choices import Flow


class Slot(models.Model):
    """One hour of crossing capacity at a gate (or route) in one direction.

    Created when first asked for, with the capacity plan in force then. Quotas: ``green_reserved``
    places are kept for perishables and ``walkin_reserved`` for trucks without a booking; the
    database refuses any booking beyond them, whatever the code path or the concurrency.
    """

    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.PROTECT, related_name="+"
    )
    route = models.ForeignKey(
        "gates.Route",
        verbose_name=_("route"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    flow = models.CharField(_("direction"), max_length=10, choices=Flow.choices)
    starts_at = models.DateTimeField(_("starts at"))
    capacity = models.PositiveIntegerField(_("trucks"))
    green_reserved = models.PositiveIntegerField(_("reserved for the green lane"))
    walkin_reserved = models.PositiveIntegerField(_("reserved for walk-ins"))
    booked_green = models.PositiveIntegerField(_("green-lane bookings"), default=0)
    booked_standard = models.PositiveIntegerField(_("standard bookings"), default=0)

    objects = RestrictedManager()
    scope = Scope(gate="gate", public=True)

    class Meta:
        verbose_name = _("crossing slot")
        verbose_name_plural = _("crossing slots")
        ordering = ("gate", "route", "flow", "starts_at")
        constraints = [
            models.UniqueConstraint(
                fields=["gate", "flow", "starts_at"],
                condition=Q(route__isnull=True),
                name="slot_gate_unique_hour",
            ),
            models.UniqueConstraint(
                fields=["route", "flow", "starts_at"],
                condition=Q(route__isnull=False),
                name="slot_route_unique_hour",
            ),
            models.CheckConstraint(
                condition=Q(green_reserved__lte=F("capacity") - F("walkin_reserved")),
                name="slot_reserves_within_capacity",
            ),
            # Never overbooked: standard bookings stay out of both reserves, and green-lane
            # bookings may also take standard places that are still free.
            models.CheckConstraint(
                condition=Q(
                    booked_standard__lte=F("capacity") - F("walkin_reserved") - F("green_reserved")
                ),
                name="slot_standard_within_quota",
            ),
            models.CheckConstraint(
                condition=Q(
                    booked_green__lte=F("capacity") - F("walkin_reserved") - F("booked_standard")
                ),
                name="slot_never_overbooked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gate_id}/{self.route_id or '-'} {self.flow} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def booked(self) -> int:
        return self.booked_green + self.booked_standard

    @property
    def free_standard(self) -> int:
        """Standard places: outside both reserves, and not taken by green-lane overflow."""
        own = self.capacity - self.walkin_reserved - self.green_reserved - self.booked_standard
        return max(0, min(own, self.free_green))

    @property
    def free_green(self) -> int:
        return max(0, self.capacity - self.walkin_reserved - self.booked)


class Booking(models.Model):
    """A declared trip's crossing slot. One active booking per vehicle and per declaration."""

    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    enterprise = models.ForeignKey(
        "shipments.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT
    )
    vehicle = models.ForeignKey(
        "shipments.Vehicle", verbose_name=_("vehicle"), on_delete=models.PROTECT
    )
    slot = models.ForeignKey(
        Slot, verbose_name=_("slot"), on_delete=models.PROTECT, related_name="bookings"
    )
    lane = models.CharField(_("lane"), max_length=10, choices=Lane.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("booked at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=300, blank=True)

    objects = RestrictedManager()
    scope = Scope(
        gate="slot__gate",
        enterprise="enterprise",
        driver_user="declaration__driver__user",
        declarant_can_change=True,
    )

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ("slot__starts_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=Q(status="active"),
                name="booking_one_active_per_vehicle",
            ),
            models.UniqueConstraint(
                fields=["declaration"],
                condition=Q(status="active"),
                name="booking_one_active_per_declaration",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BookingStatus.values), name="booking_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} @ {self.slot}"


class Device(models.Model):
    """A plate camera at a yard or the border line, signing its posts with its own secret."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.PROTECT, related_name="+"
    )
    yard = models.ForeignKey(
        "gates.Yard",
        verbose_name=_("yard"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("reads"), max_length=10, choices=EventKind.choices)
    secret = models.CharField(
        _("shared secret"),
        max_length=128,
        help_text=_("HMAC-SHA256 key the device signs with; rotate by saving a new one."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("plate camera")
        verbose_name_plural = _("plate cameras")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class PlateEvent(models.Model):
    """One event posted by a camera (or recorded by a yard operator), stored once."""

    device = models.ForeignKey(
        Device,
        verbose_name=_("camera"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    event_id = models.CharField(_("event id"), max_length=64)
    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=10, choices=EventKind.choices)
    at = models.DateTimeField(_("time"))
    reads = models.JSONField(_("plate reads"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=EventStatus.choices)
    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = RestrictedManager()
    scope = Scope(gate="gate")

    class Meta:
        verbose_name = _("plate event")
        verbose_name_plural = _("plate events")
        ordering = ("-at", "-pk")
        constraints = [
            # A replayed post finds its first copy here and changes nothing.
            models.UniqueConstraint(fields=["device", "event_id"], name="event_once_per_device")
        ]
        indexes = [models.Index(fields=["gate", "status", "at"], name="event_gate_status_idx")]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.event_id}"


class YardVisit(models.Model):
    """A truck's stay in a gate's yard, from gate-in to gate-out: occupancy and dwell time."""

    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.PROTECT,
        related_name="yard_visits",
    )
    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.PROTECT, related_name="+"
    )
    yard = models.ForeignKey(
        "gates.Yard",
        verbose_name=_("yard"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("gate-in"))
    exited_at = models.DateTimeField(_("gate-out"), null=True, blank=True)
    walk_in = models.BooleanField(_("walk-in"), default=False)

    objects = RestrictedManager()
    scope = Scope(gate="gate", enterprise="declaration__enterprise")

    class Meta:
        verbose_name = _("yard visit")
        verbose_name_plural = _("yard visits")
        ordering = ("-entered_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["declaration"],
                condition=Q(exited_at__isnull=True),
                name="visit_one_open_per_declaration",
            ),
            models.CheckConstraint(
                condition=Q(exited_at__isnull=True) | Q(exited_at__gte=F("entered_at")),
                name="visit_exit_after_entry",
            ),
        ]
        indexes = [models.Index(fields=["gate", "exited_at"], name="visit_gate_open_idx")]

    def __str__(self) -> str:
        return f"{self.declaration_id} in {self.gate_id}"


class AdmissionDecision(models.Model):
    """Whether a gate takes new bookings for a day, from the backlog forecast or the board."""

    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.PROTECT, related_name="+"
    )
    yard = models.ForeignKey(
        "gates.Yard",
        verbose_name=_("yard"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The yard held by its count over both directions and all its roads."),
    )
    flow = models.CharField(_("direction"), max_length=10, choices=Flow.choices)
    day = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=10, choices=AdmissionStatus.choices)
    expected_queue = models.FloatField(_("expected trucks waiting (median)"))
    expected_queue_high = models.FloatField(_("expected trucks waiting (90th percentile)"))
    probability_full = models.FloatField(_("chance the yard is full"))
    yard_capacity = models.PositiveIntegerField(_("yard capacity"))
    in_yard = models.PositiveIntegerField(
        _("trucks in the yard"),
        default=0,
        help_text=_("Both directions, when the decision was computed."),
    )
    capacity = models.PositiveIntegerField(_("announced capacity (trucks/day)"))
    earliest_open_day = models.DateField(_("earliest day with room"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
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
    scope = Scope(gate="gate", public=True)

    class Meta:
        verbose_name = _("admission decision")
        verbose_name_plural = _("admission decisions")
        ordering = ("gate", "flow", "day")
        constraints = [
            models.UniqueConstraint(
                fields=["yard", "flow", "day"], name="admission_once_a_day_per_yard"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gate_id} {self.flow} {self.day}: {self.status}"

    @property
    def overridden(self) -> bool:
        return self.overridden_by_id is not None


class Notice(models.Model):
    """A notice the board posts on a gate's public board (closure, hours, advice)."""

    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.CASCADE, related_name="+"
    )
    text_vi = models.CharField(_("text (Vietnamese)"), max_length=500)
    text_en = models.CharField(_("text (English)"), max_length=500, blank=True)
    text_zh = models.CharField(_("text (Chinese)"), max_length=500, blank=True)
    starts_at = models.DateTimeField(_("shown from"))
    ends_at = models.DateTimeField(_("shown until"), null=True, blank=True)

    objects = RestrictedManager()
    scope = Scope(gate="gate", public=True, board_can_change=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ("-starts_at",)

    def __str__(self) -> str:
        return self.text_vi[:60]

    @property
    def text(self) -> str:
        language = (get_language() or "vi").lower()
        if language.startswith("zh"):
            return self.text_zh or self.text_vi
        if language.startswith("en"):
            return self.text_en or self.text_vi
        return self.text_vi


class AlertSettings(models.Model):
    """How far ahead the board wants to be warned that a yard will overflow (one row)."""

    horizon_days = models.PositiveSmallIntegerField(
        _("warn this many days ahead"),
        default=3,
        help_text=_("From 1 to 7: the admission forecast covers seven days."),
    )
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_days__gte=1, horizon_days__lte=7),
                name="alert_horizon_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.horizon_days} days"


class OverflowAlert(models.Model):
    """The forecast says a gate's yard will be full in one direction within the board's
    horizon: one alert per gate and direction until the board acknowledges it."""

    gate = models.ForeignKey(
        "gates.Gate", verbose_name=_("gate"), on_delete=models.PROTECT, related_name="+"
    )
    flow = models.CharField(_("direction"), max_length=10, choices=Flow.choices)
    first_full_day = models.DateField(_("first day the yard is likely full"))
    probability_full = models.FloatField(_("chance the yard is full that day"))
    expected_queue = models.FloatField(_("expected trucks waiting that day (median)"))
    yard_capacity = models.PositiveIntegerField(_("yard capacity"))
    raised_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(_("updated at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("overflow alert")
        verbose_name_plural = _("overflow alerts")
        ordering = ("-raised_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["gate", "flow"],
                condition=Q(acknowledged_at__isnull=True),
                name="one_open_alert_per_lane",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gate_id} {self.flow} full {self.first_full_day}"
