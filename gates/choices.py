from django.db import models
from django.utils.translation import gettext_lazy as _


class GateKind(models.TextChoices):
    INTERNATIONAL = "international", _("International gate")
    MAIN = "main", _("Main gate")
    AUXILIARY = "auxiliary", _("Auxiliary gate")


class TransportMode(models.TextChoices):
    ROAD = "road", _("Road")
    RAIL = "rail", _("Rail")


class YardKind(models.TextChoices):
    YARD = "yard", _("Yard")
    GATHERING_POINT = "gathering_point", _("Gathering point")
    BONDED_WAREHOUSE = "bonded_warehouse", _("Bonded warehouse")
    HOLDING_AREA = "holding_area", _("Holding area (trucks wait here, away from the border)")


class Flow(models.TextChoices):
    """The way a truck crosses the border at the gate."""

    EXIT = "exit", _("Outbound (Vietnam to China)")
    ENTRY = "entry", _("Inbound (China to Vietnam)")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")
