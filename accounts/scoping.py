"""The one mechanism that restricts what a user may see or touch.

Every model that reaches users declares a :class:`Scope`: the lookup paths from the model to the
gate, the enterprise and the driver it belongs to, and whether it is public. Views, API viewsets
and services obtain querysets only through ``Model.objects.restrict(user, action)``, which
returns nothing unless a rule below grants it (deny by default). Modelled on NetBox's
``RestrictedQuerySet.restrict(user, action)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from django.db import models

from accounts.choices import GATE_ROLES, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class Action(models.TextChoices):
    VIEW = "view"
    CHANGE = "change"


@dataclass(frozen=True)
class Scope:
    """How instances of a model belong to gates, enterprises and drivers.

    ``gate`` and ``enterprise`` are ORM lookup paths to the owning Gate and Enterprise (``"pk"``
    on those models themselves); ``driver_user`` is the path to the user account of the driver
    it concerns. ``None`` means that kind of user has no claim on the model. ``public`` lets
    everyone, anonymous visitors included, view it. ``board_can_change`` lets the gate
    management board change it (master data); otherwise the board sees province-wide.
    """

    gate: str | None = None
    enterprise: str | None = None
    driver_user: str | None = None
    public: bool = False
    board_can_change: bool = False
    declarant_can_change: bool = False


def gate_ids(user: User) -> frozenset[int]:
    """The gates a user is posted at, cached on the user object for the request."""
    cached: frozenset[int] | None = getattr(user, "_cuakhau_gate_ids", None)
    if cached is None:
        cached = frozenset(user.gates.values_list("pk", flat=True))
        user._cuakhau_gate_ids = cached  # type: ignore[attr-defined]
    return cached


class RestrictedQuerySet(models.QuerySet[Any]):
    def restrict(self, user: User | AnonymousUser | None, action: str = Action.VIEW) -> Self:
        scope: Scope | None = getattr(self.model, "scope", None)
        if scope is None:
            return self.none()
        if user is None or not user.is_authenticated:
            return self if (scope.public and action == Action.VIEW) else self.none()
        if not user.is_active:
            return self.none()
        if user.has_full_access:
            return self
        if action == Action.VIEW and scope.public:
            return self
        role = user.role
        if role == Role.BOARD:
            if action == Action.VIEW or scope.board_can_change:
                return self
            return self.none()
        if role in GATE_ROLES:
            return self._through(scope.gate, "__in", gate_ids(user))
        if role == Role.DECLARANT:
            if user.enterprise_id is None:
                return self.none()
            if action == Action.CHANGE and not scope.declarant_can_change:
                return self.none()
            return self._through(scope.enterprise, "", user.enterprise_id)
        if role == Role.DRIVER:
            if action != Action.VIEW:
                return self.none()
            return self._through(scope.driver_user, "", user.pk)
        return self.none()

    def _through(self, path: str | None, suffix: str, value: Any) -> Self:
        if path is None:
            return self.none()
        lookup = {f"{path}{suffix}": value}
        if "__" in path:
            # A path through a to-many relation would duplicate rows; filter by key instead.
            keys = self.model._base_manager.filter(**lookup).values("pk")
            return self.filter(pk__in=keys)
        return self.filter(**lookup)


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    pass
