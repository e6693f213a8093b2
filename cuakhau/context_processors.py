from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import GATE_ROLES, OFFICER_ROLES, Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu for the user's role: nobody is shown a link that would be refused."""
    user = getattr(request, "user", None)
    items: list[tuple[str, Any]] = [
        (reverse("home"), _("Gates today")),
        (reverse("flow:board"), _("Gate board")),
        (reverse("fees:schedules"), _("Fees")),
        (reverse("tradestats:statistics"), _("Trade statistics")),
        (reverse("tradestats:open-data"), _("Open data")),
    ]
    if user is not None and user.is_authenticated:
        role = user.role
        if role == Role.DECLARANT:
            items.append((reverse("shipments:declaration-new"), _("New declaration")))
        if role == Role.DRIVER:
            items.append((reverse("flow:my-trip"), _("My next trip")))
        if role in {Role.DECLARANT, Role.DRIVER, Role.BOARD, Role.ADMIN} | GATE_ROLES:
            items.append((reverse("shipments:declaration-list"), _("Declarations")))
        if role in OFFICER_ROLES | {Role.BOARD, Role.ADMIN}:
            items.append((reverse("clearance:worklist"), _("Worklist")))
            items.append((reverse("clearance:performance"), _("Clearance times")))
        if role in {Role.YARD_OPERATOR, Role.BOARD, Role.ADMIN}:
            items.append((reverse("flow:yard"), _("Yard")))
        if role in {Role.BOARD, Role.ADMIN}:
            items.append((reverse("flow:admission"), _("Admission")))
            items.append((reverse("whatif:runs"), _("What-if")))
        if role in {Role.CUSTOMS, Role.CUSTOMS_ADMIN, Role.ADMIN}:
            items.append((reverse("clearance:selectivity"), _("Selectivity")))
        if role in {Role.BOARD, Role.ADMIN}:
            items.append((reverse("fees:revenue"), _("Revenue")))
            # Users, gate hours, check rules and reconciliation: one entry, a sub-menu there.
            items.append((reverse("accounts-users"), _("Management")))
        if role != Role.ADMIN:
            unread = user.notifications.filter(read_at__isnull=True).count()
            label = _("Notifications (%d)") % unread if unread else _("Notifications")
            items.append((reverse("notifications:inbox"), label))
        if user.is_staff:
            items.append((reverse("admin:index"), _("Administration")))
        # The API documentation is for those who connect systems: the board and administrators.
        if role in {Role.BOARD, Role.ADMIN, Role.CUSTOMS_ADMIN}:
            items.append((reverse("swagger-ui"), _("API")))
    manage = (
        management_menu()
        if user is not None and user.is_authenticated and user.role in {Role.BOARD, Role.ADMIN}
        else []
    )
    alerts = []
    if user is not None and user.is_authenticated and user.role == Role.BOARD:
        from flow.services import open_alerts

        alerts = open_alerts()
    return {"nav_items": items, "management_items": manage, "overflow_alerts": alerts}


def management_menu() -> list[tuple[str, Any]]:
    """The board's management pages, shown as a sub-menu on each of them."""
    return [
        (reverse("accounts-users"), _("Users and postings")),
        (reverse("gates:hours"), _("Gate hours")),
        (reverse("flow:cameras"), _("Plate cameras")),
        (reverse("clearance:check-rules"), _("Check rules")),
        (reverse("shipments:fruit-codes"), _("Fruit codes (PUC, PHC)")),
        (reverse("fees:reconciliation"), _("Reconciliation")),
    ]
