"""No-shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from flow.choices import BookingStatus
from flow.models import Booking
from flow.services.common import SYSTEM
from notifications import services as notifications
from shipments.choices import TruckState
from shipments.models import Declaration


def sweep_no_shows(*, now: datetime | None = None) -> int:
    """Bookings whose truck is more than the grace time late lose their slot: the truck joins
    the walk-in queue, the rule and its application are recorded, the declarant is told."""
    now = now or timezone.now()
    grace = timedelta(minutes=settings.CUAKHAU_NO_SHOW_MINUTES)
    late = Booking.objects.filter(
        status=BookingStatus.ACTIVE,
        slot__starts_at__lt=now - grace,
        declaration__state__in=(TruckState.DECLARED, TruckState.ADMITTED),
    ).select_related("declaration", "declaration__vehicle", "slot")
    count = 0
    for booking in late:
        with transaction.atomic():
            locked = Booking.objects.select_for_update().get(pk=booking.pk)
            if locked.status != BookingStatus.ACTIVE:
                continue
            locked.status = BookingStatus.NO_SHOW
            locked.closed_at = now
            locked.close_reason = _("More than %d minutes late: the slot is released.") % (
                settings.CUAKHAU_NO_SHOW_MINUTES
            )
            locked.save(update_fields=["status", "closed_at", "close_reason"])
            audit.record(
                action="booking.no_show",
                obj=locked,
                actor_label=SYSTEM,
                after={
                    "declaration": booking.declaration.reference,
                    "slot": timezone.localtime(booking.slot.starts_at).isoformat(),
                    "rule": f"late by more than {settings.CUAKHAU_NO_SHOW_MINUTES} minutes",
                },
                at=now,
            )
            declaration = booking.declaration
            notifications.notify(
                recipients=notifications.declarants_of(declaration),
                kind="flow.no_show",
                compose=_no_show_message(declaration, booking),
                declaration=declaration,
            )
            count += 1
    return count


def _no_show_message(declaration: Declaration, booking: Booking) -> notifications.Compose:
    def compose() -> tuple[str, str]:
        return (
            _("%s: slot lost") % declaration.reference,
            _(
                "Truck %(plate)s did not arrive within %(minutes)d minutes of its slot "
                "%(slot)s. It can still come as a walk-in, after booked trucks."
            )
            % {
                "plate": declaration.vehicle.plate,
                "minutes": settings.CUAKHAU_NO_SHOW_MINUTES,
                "slot": timezone.localtime(booking.slot.starts_at).strftime("%d/%m %H:%M"),
            },
        )

    return compose


def no_show_counts(*, days: int = 30) -> QuerySet[Any]:
    """Enterprises by no-shows in the last ``days`` days, most first: for the board."""
    since = timezone.now() - timedelta(days=days)
    return (
        Booking.objects.filter(status=BookingStatus.NO_SHOW, closed_at__gte=since)
        .values("enterprise", "enterprise__name")
        .annotate(no_shows=Count("pk"))
        .order_by("-no_shows", "enterprise__name")
    )
