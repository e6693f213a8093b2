from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DECLARANT = "declarant", _("Declarant")
    DRIVER = "driver", _("Driver")
    YARD_OPERATOR = "yard_operator", _("Yard operator")
    CUSTOMS = "customs", _("Customs officer")
    QUARANTINE = "quarantine", _("Quarantine officer")
    BORDER_GUARD = "border_guard", _("Border guard")
    HEALTH = "health", _("Health officer")
    CUSTOMS_ADMIN = "customs_admin", _("Customs administrator")
    BOARD = "board", _("Gate management board")
    ADMIN = "admin", _("Administrator")


#: Roles whose work is tied to the gates they are posted at.
GATE_ROLES = frozenset(
    {
        Role.YARD_OPERATOR,
        Role.CUSTOMS,
        Role.QUARANTINE,
        Role.BORDER_GUARD,
        Role.HEALTH,
    }
)
#: Agency officers (everyone at a gate except the yard operator).
OFFICER_ROLES = GATE_ROLES - {Role.YARD_OPERATOR}
