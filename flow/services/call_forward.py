"""Call-forward."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from cuakhau.errors import InvalidInput, NotAllowed, NotFound
from flow import board, planning
from flow import policy as rules
from gates.models import Gate
from notifications import services as notifications
from shipments import services as shipments
from shipments.models import Declaration


def do_call_next(*, actor: User, gate_code: str, count: Any) -> list[Declaration]:
    """Call the next ``count`` cleared trucks in the engine's order; each driver is told."""
    gate = Gate.objects.filter(code=gate_code).first()
    if gate is None:
        raise NotFound(_("No such gate."))
    if not policy.allows(actor, rules.CALL_FORWARD, gate):
        raise NotAllowed(_("Only the yard operators at %s and the board call trucks.") % gate.name)
    try:
        n = int(str(count).strip())
    except ValueError:
        n = 0
    if not 1 <= n <= 100:
        raise InvalidInput(
            _("Call 1 to 100 trucks at a time."),
            fields={"count": [_("Give a number from 1 to 100.")]},
        )
    called: list[Declaration] = []
    board.forget(gate.code)
    for declaration_id in planning.call_order(gate)[:n]:
        with transaction.atomic():
            declaration = shipments.do_transition(
                declaration_id=declaration_id, transition="call", actor=actor, location=gate.name
            )
            _tell_driver(declaration)
        called.append(declaration)
    return called


def _tell_driver(declaration: Declaration) -> None:
    driver = declaration.driver
    notifications.send_to_driver(
        driver=driver,
        kind="flow.called",
        declaration=declaration,
        compose=lambda: (
            _("%s: go to the border now") % declaration.reference,
            _("Truck %(plate)s is called forward at %(gate)s. Drive to the border control now.")
            % {"plate": declaration.vehicle.plate, "gate": declaration.gate.name},
        ),
    )
