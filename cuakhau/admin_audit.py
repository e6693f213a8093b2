"""Admin changes to master data are audited like any other change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest

from audit import services as audit
from cuakhau.requests import actor


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit event, with the old and new values, for every save and delete."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            old = type(obj)._base_manager.filter(pk=obj.pk).first()
            before = _plain(old) if old is not None else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit.record(
                action=f"{obj._meta.model_name}.{'changed' if change else 'created'}",
                obj=obj,
                actor=actor(request),
                before=before,
                after=_plain(obj),
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        with transaction.atomic():
            before = _plain(obj)
            ref = audit.object_ref(obj)
            super().delete_model(request, obj)
            audit.record(
                action=f"{obj._meta.model_name}.deleted",
                object_type=ref[0],
                object_id=ref[1],
                actor=actor(request),
                before=before,
            )

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records changed only through their use cases (the audit trail, the state machine,
    rule floors): the admin may look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _plain(obj: models.Model) -> dict[str, Any]:
    data = model_to_dict(obj)
    return {
        k: (
            list(v.values_list("pk", flat=True))
            if hasattr(v, "values_list")
            else [getattr(i, "pk", i) for i in v]
            if isinstance(v, list)
            else v
        )
        for k, v in data.items()
    }
