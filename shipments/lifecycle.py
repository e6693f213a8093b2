"""A truck's life as an explicit state machine, with hooks for the apps that come later.

    declared → admitted → arrived → cleared → called → crossed → returned
    (any state before crossed) → cancelled | rejected, with a reason

The table below is the only place that says which move is allowed and who may make it. Other
apps plug in without editing it: a *guard* may refuse a move (fees: "not paid"; flow: "no slot"),
an *effect* runs after the move inside the same transaction (notify the driver, open the
agency checks). Register both from an ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.choices import OFFICER_ROLES, Role
from shipments.choices import TruckState

if TYPE_CHECKING:
    from accounts.models import User
    from shipments.models import Declaration

S = TruckState


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    label: str | Promise
    needs_reason: bool = False


_BEFORE_CROSSING = frozenset({S.DECLARED, S.ADMITTED, S.ARRIVED, S.CLEARED, S.CALLED})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "admit", frozenset({S.DECLARED}), S.ADMITTED, frozenset({Role.BOARD}), _("Admit")
        ),
        Transition(
            "arrive",
            frozenset({S.ADMITTED}),
            S.ARRIVED,
            frozenset({Role.YARD_OPERATOR}),
            _("Record arrival at yard"),
        ),
        Transition(
            "clear", frozenset({S.ARRIVED}), S.CLEARED, frozenset({Role.CUSTOMS}), _("Clear")
        ),
        Transition(
            "call",
            frozenset({S.CLEARED}),
            S.CALLED,
            frozenset({Role.YARD_OPERATOR, Role.BOARD}),
            _("Call forward"),
        ),
        Transition(
            "cross",
            frozenset({S.CALLED}),
            S.CROSSED,
            frozenset({Role.BORDER_GUARD}),
            _("Record crossing"),
        ),
        Transition(
            "return",
            frozenset({S.CROSSED}),
            S.RETURNED,
            frozenset({Role.BORDER_GUARD, Role.YARD_OPERATOR}),
            _("Record return empty"),
        ),
        Transition(
            "cancel",
            _BEFORE_CROSSING,
            S.CANCELLED,
            frozenset({Role.DECLARANT, Role.BOARD}),
            _("Cancel"),
            needs_reason=True,
        ),
        Transition(
            "reject",
            _BEFORE_CROSSING,
            S.REJECTED,
            frozenset(OFFICER_ROLES | {Role.BOARD}),
            _("Reject"),
            needs_reason=True,
        ),
    )
}

#: The allowed moves, derived from the table: state → states reachable in one step.
ALLOWED: dict[str, frozenset[str]] = {
    state: frozenset(t.target for t in TRANSITIONS.values() if state in t.sources)
    for state in S.values
}

Guard = Callable[["Declaration", Transition, "User | None"], None]
#: Runs when a declaration is made or amended, inside the same transaction (fees: assess it).
Declared = Callable[["Declaration", "User | None"], None]
_declared: list[Declared] = []
#: Runs after past trips were imported in bulk (``services.import_history``), with their ids,
#: inside the same transaction (trade statistics: count the ones that crossed).
Imported = Callable[[list[int]], None]
_imported: list[Imported] = []
Effect = Callable[["Declaration", Transition, "User | None"], None]
_guards: dict[str, list[Guard]] = {name: [] for name in TRANSITIONS}
_effects: dict[str, list[Effect]] = {name: [] for name in TRANSITIONS}


def register_guard(transition: str, guard: Guard) -> None:
    """``guard`` raises a :class:`cuakhau.errors.DomainError` to refuse the move."""
    _guards[transition].append(guard)


def register_effect(transition: str, effect: Effect) -> None:
    """``effect`` runs after the move, inside the same transaction; raising undoes the move."""
    _effects[transition].append(effect)


def register_declared(hook: Declared) -> None:
    """``hook`` runs after a declaration is saved, made or amended; raising undoes the save."""
    _declared.append(hook)


def register_imported(hook: Imported) -> None:
    """``hook`` runs after past trips were imported in bulk; guards and effects do not."""
    _imported.append(hook)


def imported_hooks() -> tuple[Imported, ...]:
    return tuple(_imported)


def declared_hooks() -> tuple[Declared, ...]:
    return tuple(_declared)


def guards_for(transition: str) -> tuple[Guard, ...]:
    return tuple(_guards[transition])


def effects_for(transition: str) -> tuple[Effect, ...]:
    return tuple(_effects[transition])


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]


def available_to(declaration: Declaration, user: User) -> list[Transition]:
    """The moves a user may make on a declaration now: by role, and no guard that depends only
    on who asks refuses (a guard refusing with ``NotAllowed``). Guards that refuse because of
    the truck's state (``Conflict``: "checks pending") still show the button, whose answer then
    explains what is missing."""
    from cuakhau.errors import DomainError, NotAllowed

    moves = []
    for move in transitions_from(declaration.state):
        if not (user.has_full_access or user.role in move.roles):
            continue
        refused_for_who = False
        for guard in guards_for(move.name):
            try:
                guard(declaration, move, user)
            except NotAllowed:
                refused_for_who = True
                break
            except DomainError:
                continue  # explained when the button is used
        if not refused_for_who:
            moves.append(move)
    return moves
