"""Who may do what in clearance (checks, channels, documents, rules): see ``accounts/policy.py``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.choices import OFFICER_ROLES, Role
from clearance.choices import AGENCY_ROLE
from shipments.choices import TruckState


def _own_agency(user: Any, check: Any) -> bool:
    return bool(user.has_full_access or AGENCY_ROLE[check.agency] == user.role)


#: See a truck's clearance panel: its channel, checks and documents (on the Declaration).
SEE_CLEARANCE = policy.rule(
    "clearance.see",
    roles={Role.DECLARANT, Role.BOARD, *OFFICER_ROLES},
    refusal=_("Your role does not see clearance."),
)
#: Attach a document to a truck's file (on the Declaration: the enterprise's own, or a truck at
#: the officer's gate).
ATTACH_DOCUMENT = policy.rule(
    "clearance.attach_document",
    roles={Role.DECLARANT, *OFFICER_ROLES},
    refusal=_("Only the declarant's enterprise and the officers at the gate attach documents."),
)
#: Record an inspection or widen it (on the Check: an officer of its agency at its gate).
INSPECT = policy.rule(
    "clearance.inspect",
    roles=OFFICER_ROLES,
    when=_own_agency,
    refusal=_("Only an officer of this check's agency at this gate records it."),
)
#: Record the channel VNACCS sent for a customs declaration of the trip (on the Declaration: the
#: enterprise's own): the declarant, once, while none is recorded and before the truck reaches
#: the yard (the service checks the customs declaration's other trucks).
RECORD_CHANNEL = policy.rule(
    "clearance.record_channel",
    roles={Role.DECLARANT},
    states={TruckState.DECLARED, TruckState.ADMITTED},
    refusal=_("Only the declarant and customs officers record the VNACCS channel."),
    not_now=_("The truck has reached the yard: only customs records or changes its channel."),
)
#: Record or change (chuyển luồng) the channel of a customs declaration of a truck at the
#: officer's gate, until the truck is cleared.
CHANGE_CHANNEL = policy.rule(
    "clearance.change_channel",
    roles={Role.CUSTOMS},
    states={TruckState.DECLARED, TruckState.ADMITTED, TruckState.ARRIVED},
    refusal=_("Only customs officers change a customs channel."),
    not_now=_("The channel is recorded until the truck is cleared."),
)
#: Which selectivity rules picked a truck: customs' business, not the declarant's.
SEE_CHANNEL_REASONS = policy.rule(
    "clearance.see_channel_reasons",
    roles={Role.CUSTOMS, Role.BOARD},
    refusal=_("Only customs and the board see why a channel was drawn."),
)
#: The worklist of checks waiting at the officer's gates.
SEE_WORKLIST = policy.rule(
    "clearance.see_worklist",
    roles={Role.BOARD, *OFFICER_ROLES},
    refusal=_("The worklist is for agency officers and the board."),
)
#: Read the selectivity rules and the post-clearance audit list.
SEE_SELECTIVITY = policy.rule(
    "clearance.see_selectivity",
    roles={Role.CUSTOMS, Role.CUSTOMS_ADMIN},
    refusal=_("Selectivity rules are for customs."),
)
#: Create, change and preview selectivity rules.
EDIT_SELECTIVITY = policy.rule(
    "clearance.edit_selectivity",
    roles={Role.CUSTOMS_ADMIN},
    refusal=_("Only the customs administrator edits selectivity rules."),
)
#: Switch a check on or off (the health check in an epidemic).
SWITCH_CHECK_RULE = policy.rule(
    "clearance.switch_check_rule",
    roles={Role.BOARD},
    refusal=_("Only the gate management board switches checks on or off."),
)
