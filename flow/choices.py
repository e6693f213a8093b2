from django.db import models
from django.utils.translation import gettext_lazy as _


class Lane(models.TextChoices):
    GREEN = "green", _("Green lane (perishables)")
    STANDARD = "standard", _("Standard")


class BookingStatus(models.TextChoices):
    ACTIVE = "active", _("Booked")
    USED = "used", _("Arrived")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class EventKind(models.TextChoices):
    GATE_IN = "gate_in", _("Gate-in (enters the yard)")
    GATE_OUT = "gate_out", _("Gate-out (leaves the yard)")
    CROSSING = "crossing", _("Crossing the border")


class EventStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not yet processed")
    MATCHED = "matched", _("Matched")
    UNMATCHED = "unmatched", _("To correct")
    CORRECTED = "corrected", _("Corrected by hand")
    DISMISSED = "dismissed", _("Dismissed")


class AdmissionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    HELD = "held", _("Holding trucks at origin")
