from django.contrib import admin

from audit.models import AuditEvent
from cuakhau.admin_audit import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the admin can look at the trail but never add, change or delete a row."""

    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "request_id")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
