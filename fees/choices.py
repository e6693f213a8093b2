from django.db import models
from django.utils.translation import gettext_lazy as _


class ChargeKind(models.TextChoices):
    """A fee type, as revenue reports split it."""

    INFRASTRUCTURE = "infrastructure", _("Infrastructure-use fee")
    YARD = "yard", _("Yard charge")


class ChargeStatus(models.TextChoices):
    OPEN = "open", _("Due")
    VOID = "void", _("Void")


class AssessmentStatus(models.TextChoices):
    ASSESSED = "assessed", _("Assessed")
    UNRATED = "unrated", _("No rate: the board must set one")


class YardUnit(models.TextChoices):
    HOUR = "hour", _("per hour")
    DAY = "day", _("per day")


YARD_UNIT_MINUTES: dict[str, int] = {YardUnit.HOUR: 60, YardUnit.DAY: 24 * 60}


class PaymentRequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for payment")
    PAID = "paid", _("Paid")
    PARTIAL = "partial", _("Partly paid")
    FAILED = "failed", _("Failed")


class RefundReason(models.TextChoices):
    CANCELLED = "cancelled", _("Trip cancelled or rejected")
    REDUCED = "reduced", _("Fee reduced after an amendment")
    OVERPAID = "overpaid", _("Paid more than due")


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    COMPLETED = "completed", _("Refunded")
    FAILED = "failed", _("Failed")


class ReceiptLineKind(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", _("Infrastructure-use fee")
    YARD = "yard", _("Yard charge")
    CREDIT = "credit", _("Paid in excess, to be refunded")
