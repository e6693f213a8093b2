"""Moving a truck through its lifecycle, searching declarations, finding one a user may see."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scoping import Action
from audit import services as audit
from cuakhau.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cuakhau.numbers import ascii_digits
from shipments import lifecycle
from shipments.choices import (
    TruckState,
    WithdrawalReason,
)
from shipments.models import (
    CustomsDeclarationTrip,
    Declaration,
    Enterprise,
    StateChange,
    Vehicle,
)
from shipments.validators import (
    ocr_key,
)


def check_transition(
    *, declaration: Declaration, transition: str, actor: User | None, reason: str
) -> lifecycle.Transition:
    move = lifecycle.TRANSITIONS.get(transition)
    if move is None:
        raise InvalidInput(
            _("Unknown transition %r.") % transition,
            fields={"transition": [_("Choose one of: %s.") % ", ".join(lifecycle.TRANSITIONS)]},
        )
    if actor is not None and not (actor.has_full_access or actor.role in move.roles):
        raise NotAllowed(_("Your role cannot do this: %s.") % move.label)
    if declaration.state not in move.sources:
        raise Conflict(
            _("A declaration that is %(state)s cannot move to %(target)s.")
            % {
                "state": TruckState(declaration.state).label,
                "target": TruckState(move.target).label,
            },
            code="invalid_transition",
        )
    if move.needs_reason and not reason.strip():
        raise InvalidInput(_("Give a reason."), fields={"reason": [_("A reason is required.")]})
    for guard in lifecycle.guards_for(transition):
        guard(declaration, move, actor)
    return move


def do_transition(
    *,
    declaration_id: int,
    transition: str,
    actor: User | None,
    actor_label: str = "",
    reason: str = "",
    location: str = "",
    at: datetime | None = None,
    withdrawal: str = "",
) -> Declaration:
    """Move a declaration one step. ``actor`` None means a system or device named by the label.
    ``withdrawal`` says why a cancelled truck leaves the queue (``WithdrawalReason``); it
    counts as the cancellation's reason."""
    _check_withdrawal(transition, withdrawal)
    with transaction.atomic():
        # Lock the declaration: two officers acting at once must not both move it from the
        # same state (one would overwrite the other's transition).
        queryset = Declaration.objects.select_for_update()
        if actor is not None:
            queryset = queryset.restrict(actor, Action.VIEW)
        declaration = queryset.filter(pk=declaration_id).first()
        if declaration is None:
            raise NotFound(_("No such declaration."))
        move = check_transition(
            declaration=declaration,
            transition=transition,
            actor=actor,
            reason=reason or withdrawal,
        )
        if withdrawal and not reason.strip():
            reason = str(WithdrawalReason(withdrawal).label)
        label = audit.actor_label_for(actor, actor_label)
        when = at or timezone.now()
        before = declaration.state
        declaration.state = move.target
        declaration.state_changed_at = when
        declaration.withdrawal_reason = withdrawal
        declaration.save(update_fields=["state", "state_changed_at", "withdrawal_reason"])
        StateChange.objects.create(
            declaration=declaration,
            transition=move.name,
            from_state=before,
            to_state=move.target,
            at=when,
            actor=actor,
            actor_label=label,
            location=location,
            reason=reason.strip(),
        )
        for effect in lifecycle.effects_for(transition):
            effect(declaration, move, actor)
        # The audit head is locked last, after the effects' rows (a cancelled trip's slot):
        # taking it first while a booking holds the slot and waits for the head deadlocked.
        audit.record(
            action=f"declaration.{move.name}",
            obj=declaration,
            actor=actor,
            actor_label=label,
            before={"state": before},
            after={
                "state": move.target,
                "reason": reason.strip(),
                "location": location,
                **({"withdrawal": withdrawal} if withdrawal else {}),
            },
            at=when,
        )
    return declaration


def _check_withdrawal(transition: str, withdrawal: str) -> None:
    if not withdrawal:
        return
    if transition != "cancel":
        raise InvalidInput(
            _("A reason for leaving the queue goes with a cancellation only."),
            fields={"withdrawal": [_("Only when the truck is cancelled.")]},
        )
    if withdrawal not in WithdrawalReason.values:
        raise InvalidInput(
            _("Unknown reason for leaving the queue."),
            fields={"withdrawal": [_("Choose one of: %s.") % ", ".join(WithdrawalReason.values)]},
        )


def search(queryset: QuerySet[Declaration], text: str) -> QuerySet[Declaration]:
    """Declarations matching what a person typed: a reference (or its start), a plate however
    written or misread (compared on the camera key, so "29c 12345", "29C-123.45" and
    "29C12345" find the same truck), an enterprise's name, or a VNACCS customs declaration number
    (every truck under it).

    Plates and enterprises are looked up first in their own small tables, and the declarations
    then through their indexed foreign keys, which keeps a search fast on 60,000 trips.
    """
    query = ascii_digits(text or "").strip()
    if not query:
        return queryset
    match = Q(reference__istartswith=query) | Q(
        pk__in=CustomsDeclarationTrip.objects.filter(customs_declaration__number=query).values(
            "trip_id"
        )
    )
    key = ocr_key(query)
    if len(key) >= 3:
        vehicles = Vehicle.objects.filter(ocr_key__contains=key).values("pk")
        match |= Q(vehicle_id__in=vehicles) | Q(trailer_id__in=vehicles)
    if len(query) >= 3:
        match |= Q(enterprise_id__in=Enterprise.objects.filter(name__icontains=query).values("pk"))
    return queryset.filter(match)


def visible_declaration(*, actor: User, reference: str) -> Declaration:
    declaration = (
        Declaration.objects.restrict(actor, Action.VIEW)
        .select_related("enterprise", "gate", "route", "vehicle", "trailer", "driver")
        .prefetch_related("customs_declarations__procedure_code")
        .filter(reference=reference)
        .first()
    )
    if declaration is None:
        raise NotFound(_("No such declaration."))
    return declaration
