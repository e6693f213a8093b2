"""Who may do what: one named rule per use case, asked the same way by buttons, forms, the API
and the services.

A :class:`Rule` says, for one use case (``"flow.cancel_booking"``):

- **who**: the roles that may do it (administrators always may);
- **on which rows**: the scope of :meth:`RestrictedQuerySet.restrict` it needs (``view`` or
  ``change``) on the model the use case acts on;
- **in which states**: the states of that row (``state_path`` names the field);
- **when**: an optional predicate for what the three above cannot say (the officer's agency has
  a check on this truck).

Apps declare their rules once, in their own ``policy.py``. Three functions answer every question:

- :func:`restrict` narrows a queryset to the rows the rule allows (role, scope and state; the
  predicate cannot run in SQL, so services still :func:`require` on the row they fetched);
- :func:`require` raises :class:`~cuakhau.errors.NotAllowed` (or ``NotFound`` for a row out of
  the user's scope, so its existence is not revealed) — services call it, and so enforce;
- :func:`allows` says yes or no — templates and views call it to show a button, and the API
  derives its role map from :attr:`Rule.roles`, so none of them can disagree with the service.

Modelled on NetBox's ``RestrictedQuerySet.restrict(user, action)``, with named rules per use
case instead of per-model actions: "change" on a booking meant something different to a
declarant and to a gate officer, which is how any Hữu Nghị officer could cancel any slot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.functional import Promise

from accounts.scoping import Action
from cuakhau.errors import NotAllowed, NotFound

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

Predicate = Callable[["User", Any], bool]


@dataclass(frozen=True)
class Rule:
    name: str
    roles: frozenset[str]
    refusal: str | Promise
    rows: str = Action.VIEW
    states: frozenset[str] = frozenset()
    state_path: str = "state"
    when: Predicate | None = None
    # A condition on the user alone, checked with the role (a declarant must belong to an
    # enterprise): unlike ``when`` it needs no row, so buttons and menus can ask it.
    who: Callable[[User], bool] | None = None
    # Said when the row is in scope and the role fits but the state or the predicate refuses.
    not_now: str | Promise | None = None
    public: bool = field(default=False)


_RULES: dict[str, Rule] = {}


def rule(
    name: str,
    *,
    roles: frozenset[str] | set[str] | tuple[str, ...],
    refusal: str | Promise,
    rows: str = Action.VIEW,
    states: frozenset[str] | set[str] | tuple[str, ...] = (),
    state_path: str = "state",
    when: Predicate | None = None,
    who: Callable[[User], bool] | None = None,
    not_now: str | Promise | None = None,
    public: bool = False,
) -> Rule:
    """Declare a rule (once, at import of the app's ``policy.py``) and return it."""
    if name in _RULES:
        raise ValueError(f"policy rule {name!r} is declared twice")
    declared = Rule(
        name=name,
        roles=frozenset(roles),
        refusal=refusal,
        rows=rows,
        states=frozenset(states),
        state_path=state_path,
        when=when,
        who=who,
        not_now=not_now,
        public=public,
    )
    _RULES[name] = declared
    return declared


def rules() -> dict[str, Rule]:
    return dict(_RULES)


def _signed_in(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def role_allows(user: User | AnonymousUser | None, rule: Rule) -> bool:
    if rule.public:
        return True
    if not _signed_in(user):
        return False
    assert user is not None  # noqa: S101 - narrowed by _signed_in
    if user.has_full_access:  # type: ignore[union-attr]
        return True
    if user.role not in rule.roles:  # type: ignore[union-attr]
        return False
    return rule.who is None or bool(rule.who(user))  # type: ignore[arg-type]


def _state_of(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def _in_scope(user: User, rule: Rule, obj: models.Model) -> bool:
    # One query per (rule, row) and request: the answer is kept on the user object.
    cache: dict[tuple[str, str, Any], bool] = user.__dict__.setdefault("_cuakhau_policy", {})
    key = (rule.rows, obj._meta.label, obj.pk)
    if key not in cache:
        manager = type(obj)._default_manager
        cache[key] = manager.restrict(user, rule.rows).filter(pk=obj.pk).exists()  # type: ignore[attr-defined]
    return cache[key]


def check(user: User | AnonymousUser | None, rule: Rule, obj: Any = None) -> str | None:
    """None when ``user`` may do ``rule`` (on ``obj``), else why not (the message to show)."""
    if not role_allows(user, rule):
        return str(rule.refusal)
    if obj is None:
        return None
    assert user is not None  # noqa: S101 - role_allows refuses None unless public
    if isinstance(obj, models.Model) and _signed_in(user) and not _in_scope(user, rule, obj):  # type: ignore[arg-type]
        return str(rule.refusal)
    if rule.states and _state_of(obj, rule.state_path) not in rule.states:
        return str(rule.not_now or rule.refusal)
    if rule.when is not None and not rule.when(user, obj):  # type: ignore[arg-type]
        return str(rule.not_now or rule.refusal)
    return None


def allows(user: User | AnonymousUser | None, rule: Rule, obj: Any = None) -> bool:
    """For buttons and links: may ``user`` do ``rule`` (on ``obj``) now?"""
    return check(user, rule, obj) is None


def require(user: User | AnonymousUser | None, rule: Rule, obj: Any = None) -> None:
    """For services: raise unless ``user`` may do ``rule`` (on ``obj``).

    A row outside the user's scope is "not found" (its existence is not revealed); a row in
    scope that the role, state or predicate refuses is "not allowed", with the rule's words.
    """
    if not role_allows(user, rule):
        raise NotAllowed(rule.refusal)
    if obj is None:
        return
    if isinstance(obj, models.Model) and _signed_in(user) and not _in_scope(user, rule, obj):  # type: ignore[arg-type]
        raise NotFound(_not_found(obj))
    reason = check(user, rule, obj)
    if reason is not None:
        raise NotAllowed(reason, code="not_allowed_now" if rule.not_now else None)


def _not_found(obj: models.Model) -> str:
    from django.utils.translation import gettext as _

    return _("No such %s.") % obj._meta.verbose_name


def restrict(
    queryset: models.QuerySet[Any],
    user: User | AnonymousUser | None,
    rule: Rule,
    *,
    states: bool = True,
) -> models.QuerySet[Any]:
    """The rows of ``queryset`` on which ``user`` may do ``rule`` (role, scope and state).

    ``states=False`` keeps rows in other states, for a service that explains "not now"
    (a 409 naming the state) rather than "not found"."""
    if not role_allows(user, rule):
        return queryset.none()
    restricted = queryset.restrict(user, rule.rows)  # type: ignore[attr-defined]
    if rule.states and states:
        restricted = restricted.filter(**{f"{rule.state_path}__in": list(rule.states)})
    return restricted
