"""Worklists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from accounts import policy
from accounts.choices import OFFICER_ROLES
from accounts.models import User
from accounts.scoping import Action
from clearance import policy as rules
from clearance.choices import (
    PENDING_STATUSES,
    Agency,
    agencies_of,
)
from clearance.models import (
    Check,
)
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration

if TYPE_CHECKING:
    pass


def worklist(*, actor: User, gate: str = "", agency: str = "", text: str = "") -> QuerySet[Check]:
    """What waits for the actor's agency at the actor's gates: perishable first, then oldest;
    ``text`` narrows it to a plate, reference, enterprise or customs number (as on
    declarations)."""
    checks = Check.objects.restrict(actor, Action.VIEW).filter(
        status__in=PENDING_STATUSES, declaration__state=TruckState.ARRIVED
    )
    if not policy.role_allows(actor, rules.SEE_WORKLIST):
        return checks.none()
    if actor.role in OFFICER_ROLES:
        checks = checks.filter(agency__in=agencies_of(actor.role))
    if gate:
        checks = checks.filter(gate__code=gate)
    if agency in Agency.values:
        checks = checks.filter(agency=agency)
    checks = matching(checks, text)
    return (
        checks.select_related(
            "declaration", "declaration__vehicle", "declaration__enterprise", "gate"
        )
        .prefetch_related("declaration__customs_declarations__procedure_code")
        .order_by("-perishable", "opened_at", "pk")
    )


def matching(checks: QuerySet[Check], text: str) -> QuerySet[Check]:
    """The checks of trucks matching what a person typed (plate however written, reference,
    enterprise, customs number): the declarations' own search."""
    if not text.strip():
        return checks
    found = shipments.search(Declaration.objects.all(), text[:40]).values("pk")
    return checks.filter(declaration_id__in=found)


def checks_of(declaration: Declaration) -> QuerySet[Check]:
    return declaration.checks.prefetch_related("inspections").order_by("agency", "opened_at", "pk")


def may_inspect(actor: User, check: Check) -> bool:
    return policy.allows(actor, rules.INSPECT, check)
