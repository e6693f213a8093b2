"""The base of every API viewset: scope from ``restrict``, rights from ``permission_roles``."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import viewsets

from accounts.scoping import Action

_CHANGING = {"create", "update", "partial_update", "destroy"}


class RestrictedViewSetMixin:
    """``get_queryset`` returns ``base_queryset`` restricted to the user; never the raw manager."""

    model: type[Model]
    permission_roles: dict[str, frozenset[str]] = {}

    def base_queryset(self) -> QuerySet[Any]:
        return self.model._default_manager.all()

    def get_queryset(self) -> QuerySet[Any]:
        action = Action.CHANGE if getattr(self, "action", None) in _CHANGING else Action.VIEW
        return self.base_queryset().restrict(self.request.user, action)  # type: ignore[attr-defined]


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
