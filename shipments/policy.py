"""Who may do what with declarations and master data: see ``accounts/policy.py``.

Truck transitions (admit, arrive, clear, …) keep their roles in ``lifecycle.TRANSITIONS`` and
their conditions in lifecycle guards, which ``lifecycle.available_to`` consults for buttons.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.choices import Role
from accounts.scoping import Action
from shipments.choices import TruckState


def _has_enterprise(user: Any) -> bool:
    return user.enterprise_id is not None


#: Declare a trip (for the declarant's own enterprise).
DECLARE = policy.rule(
    "shipments.declare",
    roles={Role.DECLARANT},
    who=_has_enterprise,
    refusal=_("Only a declarant of an enterprise can make declarations."),
)
#: Amend a trip before the truck reaches the yard (on the Declaration).
AMEND = policy.rule(
    "shipments.amend",
    roles={Role.DECLARANT},
    rows=Action.CHANGE,
    states={TruckState.DECLARED, TruckState.ADMITTED},
    refusal=_("Only the declarant's enterprise can amend a declaration."),
    not_now=_("A declaration can be amended only before the truck reaches the yard."),
)
#: Register vehicles and drivers (the board for any enterprise).
REGISTER_FLEET = policy.rule(
    "shipments.register_fleet",
    roles={Role.DECLARANT, Role.BOARD},
    refusal=_("Only declarants and the board register vehicles and drivers."),
)
#: Register enterprises.
REGISTER_ENTERPRISE = policy.rule(
    "shipments.register_enterprise",
    roles={Role.BOARD},
    refusal=_("Only the gate management board registers enterprises."),
)
#: Keep the list of registered fruit codes (PUC, PHC): import it from CSV.
MANAGE_FRUIT_CODES = policy.rule(
    "shipments.manage_fruit_codes",
    roles={Role.BOARD},
    refusal=_("Only the gate management board keeps the list of fruit codes."),
)
