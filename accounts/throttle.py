"""Login throttling with a limit per kind of pressure (a django-axes handler).

django-axes compares the failures of every lockout parameter set with one limit. Three sets
count here, each with its own limit:

- one username from one address (``CUAKHAU_LOGIN_FAILURE_LIMIT``, 5): someone mistyping, or
  guessing one password;
- one address across usernames (``CUAKHAU_LOGIN_IP_FAILURE_LIMIT``, 20): password spraying,
  which the first set alone never stopped; higher, because a border office's staff share one
  address;
- one username across addresses (``CUAKHAU_LOGIN_USER_FAILURE_LIMIT``, 10): a guess at one
  account from many machines.

Each set's failures are scaled to the first limit, so axes' own comparison applies them all.

A successful login forgets only the failures of the username that logged in. axes would
forget every failure from the address too, so a sprayer who owns one account could log in
with it between batches of guesses and start each batch afresh.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

LOCKOUT_PARAMETERS: list[Any] = [["username", "ip_address"], "ip_address", "username"]


def _limits() -> list[int]:
    return [
        int(settings.AXES_FAILURE_LIMIT),
        int(settings.CUAKHAU_LOGIN_IP_FAILURE_LIMIT),
        int(settings.CUAKHAU_LOGIN_USER_FAILURE_LIMIT),
    ]


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        base, *_rest = limits = _limits()
        worst = 0
        for attempts, limit in zip(
            self.get_user_attempts(request, credentials), limits, strict=False
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            worst = max(worst, failures * base // max(limit, 1))
        return worst

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """After a successful login: this username's failures only, never the address's."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _rows = AccessAttempt.objects.filter(username=username).delete()
        return int(count)
