"""Where each role starts its day."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from accounts.choices import OFFICER_ROLES, Role

#: The page a role works from, opened after login.
HOMES: dict[str, str] = {
    Role.DECLARANT: "shipments:declaration-list",
    Role.DRIVER: "flow:my-trip",
    Role.YARD_OPERATOR: "flow:yard",
    **dict.fromkeys(OFFICER_ROLES, "clearance:worklist"),
    Role.CUSTOMS_ADMIN: "clearance:selectivity",
    Role.BOARD: "flow:admission",
    Role.ADMIN: "flow:admission",
}


@login_required
@require_GET
def role_home(request: HttpRequest) -> HttpResponse:
    """After login, each user lands on their own work, not the public gates page."""
    return redirect(HOMES.get(getattr(request.user, "role", ""), "home"))
