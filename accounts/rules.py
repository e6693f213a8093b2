"""Who may manage people and their access (users, gate postings, API tokens): see ``policy.py``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.choices import Role

#: Create users, change their role, enterprise and gate postings, deactivate them, issue and
#: revoke their API tokens. Administrators and superusers stay in the Django admin's hands.
MANAGE_USERS = policy.rule(
    "accounts.manage_users",
    roles={Role.BOARD},
    refusal=_("Only the gate management board manages users and their access."),
)
