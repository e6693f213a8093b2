"""Admin changes to master data are audited like any other change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest

from audit import services as audit
from cuakhau.requests import actor
from cuakhau.signing import fingerprint


class AuditMixin:
    """Writes an audit event, with the old and new values, for every save and delete in the
    admin: of the object (after its many-to-many fields, such as a user's gate postings, are
    saved) and of each row of its inlines (a gate's routes and yards)."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            old = type(obj)._base_manager.filter(pk=obj.pk).first()
            before = _plain(old) if old is not None else None
        request._audit_before = before  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The admin's change view runs in one transaction: the audit row commits with the save.
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        obj = form.instance
        audit.record(
            action=f"{obj._meta.model_name}.{'changed' if change else 'created'}",
            obj=obj,
            actor=actor(request),
            before=getattr(request, "_audit_before", None),
            after=_plain(obj),
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        befores = {}
        for inline_form in formset.forms:
            row = inline_form.instance
            if row.pk is not None:
                old = type(row)._base_manager.filter(pk=row.pk).first()
                if old is not None:
                    befores[row.pk] = _plain(old)
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        who = actor(request)
        for row in formset.new_objects:
            audit.record(
                action=f"{row._meta.model_name}.created", obj=row, actor=who, after=_plain(row)
            )
        for row, _fields in formset.changed_objects:
            audit.record(
                action=f"{row._meta.model_name}.changed",
                obj=row,
                actor=who,
                before=befores.get(row.pk),
                after=_plain(row),
            )
        for row in formset.deleted_objects:
            audit.record(
                action=f"{row._meta.model_name}.deleted",
                object_type=row._meta.label_lower,
                object_id=str(befores.get(row.pk, {}).get("id", "")),
                actor=who,
                before=befores.get(row.pk),
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        with transaction.atomic():
            before = _plain(obj)
            ref = audit.object_ref(obj)
            super().delete_model(request, obj)  # type: ignore[misc]
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


class AuditedAdmin(AuditMixin, admin.ModelAdmin):
    """A model admin whose every change is audited."""


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records changed only through their use cases (the audit trail, the state machine,
    rule floors): the admin may look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


#: Never written to the audit log as they are: a fingerprint shows that one changed.
SECRET_FIELDS = frozenset({"password", "secret"})


def _plain(obj: models.Model) -> dict[str, Any]:
    data = model_to_dict(obj)
    for name in SECRET_FIELDS & data.keys():
        data[name] = f"fingerprint {fingerprint(str(data[name]))}" if data[name] else ""
    data["id"] = obj.pk
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
