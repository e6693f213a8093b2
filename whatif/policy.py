"""Who may use the what-if simulator: see ``accounts/policy.py``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.choices import Role

#: Ask a what-if question, see every run and download its scenarios.
RUN_WHATIF = policy.rule(
    "whatif.run",
    roles={Role.BOARD},
    refusal=_("The what-if simulator is the board's."),
)
