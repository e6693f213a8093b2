"""Who may do what with fees (payments, schedules, revenue): see ``accounts/policy.py``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.choices import Role
from accounts.scoping import Action

#: Pay a trip's fees (on the Declaration: the enterprise's own trips).
PAY = policy.rule(
    "fees.pay",
    roles={Role.DECLARANT},
    rows=Action.CHANGE,
    refusal=_("Only the declarant's enterprise pays a trip's fees."),
)
#: See a trip's fee, ledger and receipts on its page.
SEE_TRIP_FEES = policy.rule(
    "fees.see_trip_fees",
    roles={Role.DECLARANT, Role.DRIVER, Role.BOARD, Role.YARD_OPERATOR},
    refusal=_("Your role does not see a trip's fees."),
)
#: Change fee schedules, rates and reductions; see revenue and reconciliation; charge stays.
MANAGE_FEES = policy.rule(
    "fees.manage",
    roles={Role.BOARD},
    refusal=_("Only the gate management board manages fees and sees revenue."),
)
