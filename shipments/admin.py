from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cuakhau.admin_audit import AuditedAdmin, ReadOnlyAdmin
from shipments.models import (
    Commodity,
    CustomsDeclaration,
    Declaration,
    Driver,
    Enterprise,
    GoodsLine,
    ProcedureCode,
    StateChange,
    Vehicle,
)


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    list_display = ("name", "country", "tax_code", "compliance_class", "is_active")
    list_filter = ("country", "compliance_class", "is_active")
    search_fields = ("name", "tax_code")


@admin.register(Vehicle)
class VehicleAdmin(AuditedAdmin):
    list_display = ("plate", "country", "kind", "enterprise")
    list_filter = ("country", "kind")
    search_fields = ("plate",)
    autocomplete_fields = ("enterprise",)


@admin.register(Driver)
class DriverAdmin(AuditedAdmin):
    list_display = ("full_name", "phone", "preferred_language", "enterprise")
    search_fields = ("full_name", "id_document_number", "phone")
    autocomplete_fields = ("enterprise", "user")


@admin.register(Commodity)
class CommodityAdmin(AuditedAdmin):
    list_display = (
        "code",
        "hs_heading",
        "name_vi",
        "goods_group",
        "perishable",
        "shelf_life_hours",
        "is_active",
    )
    list_filter = ("goods_group", "perishable", "is_active")
    search_fields = ("code", "hs_heading", "name_vi", "name_en", "name_zh")


class GoodsLineInline(admin.TabularInline):
    model = GoodsLine
    extra = 0
    can_delete = False
    readonly_fields = (
        "line_no",
        "commodity",
        "hs_heading",
        "weight_kg",
        "value_usd",
        "description",
    )


class StateChangeInline(admin.TabularInline):
    model = StateChange
    extra = 0
    can_delete = False
    readonly_fields = (
        "transition",
        "from_state",
        "to_state",
        "at",
        "actor_label",
        "location",
        "reason",
    )


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    """Read-only: declarations change only through their services (state machine and audit)."""

    list_display = (
        "reference",
        "enterprise",
        "direction",
        "gate",
        "route",
        "state",
        "planned_arrival",
    )
    list_filter = ("state", "direction", "gate", "perishable")
    search_fields = ("reference", "customs_declarations__number", "vehicle__plate")
    date_hierarchy = "planned_arrival"
    list_select_related = ("enterprise", "gate", "route")
    inlines = (GoodsLineInline, StateChangeInline)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Declaration._meta.fields]


@admin.register(ProcedureCode)
class ProcedureCodeAdmin(AuditedAdmin):
    list_display = ("code", "name_vi", "directions", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_vi", "name_en", "name_zh")


@admin.register(CustomsDeclaration)
class CustomsDeclarationAdmin(ReadOnlyAdmin):
    """Read-only: a channel changes only through clearance's service (rights, reason, audit)."""

    list_display = ("number", "enterprise", "procedure_code", "channel", "registered_on")
    list_filter = ("channel", "procedure_code")
    search_fields = ("number",)
    list_select_related = ("enterprise", "procedure_code")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in CustomsDeclaration._meta.fields]
