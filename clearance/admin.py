from django.contrib import admin

from clearance.models import (
    Check,
    CheckRule,
    Clearance,
    Document,
    DocumentRequirement,
    ReferencePrice,
    SelectivityRule,
    TimeLimit,
)
from cuakhau.admin_audit import AuditedAdmin, ReadOnlyAdmin


@admin.register(CheckRule)
class CheckRuleAdmin(AuditedAdmin):
    list_display = ("code", "agency", "kind", "is_active")
    list_filter = ("agency", "is_active")


@admin.register(DocumentRequirement)
class DocumentRequirementAdmin(AuditedAdmin):
    list_display = ("code", "document_type", "confirmed", "is_active")
    list_filter = ("confirmed", "is_active")


@admin.register(TimeLimit)
class TimeLimitAdmin(AuditedAdmin):
    list_display = ("kind", "amount", "unit")


@admin.register(ReferencePrice)
class ReferencePriceAdmin(AuditedAdmin):
    list_display = ("commodity", "min_usd_per_tonne", "max_usd_per_tonne")


@admin.register(SelectivityRule)
class SelectivityRuleAdmin(ReadOnlyAdmin):
    list_display = ("code", "channel", "rate", "is_active", "updated_at")


@admin.register(Clearance)
class ClearanceAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "channel", "advised_channel", "opened_at")
    list_filter = ("channel",)


@admin.register(Check)
class CheckAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "gate", "agency", "kind", "status", "opened_at", "due_at")
    list_filter = ("agency", "status", "gate")


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "document_type", "original_name", "size", "uploaded_at")
