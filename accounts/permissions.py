"""Role-based permission for the REST API: deny unless the viewset grants the action."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.choices import Role

#: Marker for actions open to everyone, anonymous visitors included.
PUBLIC = "public"
EVERY_ROLE = frozenset(Role)


def roles(*names: Iterable[str] | str) -> frozenset[str]:
    out: set[str] = set()
    for name in names:
        out.update([name] if isinstance(name, str) else name)
    return frozenset(out)


class RolePermission(BasePermission):
    """Allow a request only if ``view.permission_roles[view.action]`` names the user's role.

    Superusers and administrators pass. An action missing from the map is refused, so a new
    endpoint is closed until someone decides who may use it. Row-level scope is applied
    separately by ``RestrictedQuerySet.restrict`` in the viewset's ``get_queryset``.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        allowed: frozenset[str] = getattr(view, "permission_roles", {}).get(
            getattr(view, "action", None) or _action_for(request), frozenset()
        )
        if PUBLIC in allowed:
            return True
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        if user.has_full_access:
            return True
        return user.role in allowed


def _action_for(request: Request) -> str:
    # Plain APIViews have no ``action``; map the method the way routers do.
    return {"GET": "retrieve", "HEAD": "retrieve", "OPTIONS": "metadata"}.get(
        request.method or "", (request.method or "").lower()
    )
