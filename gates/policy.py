"""Who may change the gate register (hours, dated closures): see ``accounts/policy.py``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.choices import Role

#: Publish a gate's weekly goods hours and its dated exceptions (closures, other hours).
MANAGE_HOURS = policy.rule(
    "gates.manage_hours",
    roles={Role.BOARD},
    refusal=_("Only the gate management board publishes gate hours."),
)
