from django.contrib import admin

from cuakhau.admin_audit import AuditedAdmin
from gates.models import (
    CapacityPlan,
    ForeignGate,
    ForeignHours,
    Gate,
    HoursException,
    Route,
    TwoWayDelivery,
    WorkingHours,
    Yard,
    YardOperator,
)


class RouteInline(admin.TabularInline):
    model = Route
    extra = 0
    fields = (
        "code",
        "name_vi",
        "name_en",
        "name_zh",
        "border_markers",
        "foreign_gate",
        "is_active",
    )


class YardInline(admin.TabularInline):
    model = Yard
    extra = 0
    fields = ("code", "name", "kind", "route", "vehicle_capacity", "capacity_as_of", "operator")


@admin.register(Gate)
class GateAdmin(AuditedAdmin):
    list_display = (
        "code",
        "name_vi",
        "kind",
        "mode",
        "foreign_gate",
        "closes_on_holidays",
        "is_active",
    )
    list_filter = ("kind", "mode", "is_active")
    search_fields = ("code", "name_vi", "name_en", "name_zh")
    inlines = (RouteInline, YardInline)


@admin.register(ForeignGate)
class ForeignGateAdmin(AuditedAdmin):
    list_display = ("code", "name_vi", "name_zh", "region")
    search_fields = ("code", "name_vi", "name_en", "name_zh")


@admin.register(Route)
class RouteAdmin(AuditedAdmin):
    list_display = ("code", "name_vi", "gate", "border_markers", "foreign_gate", "is_active")
    list_filter = ("gate",)


@admin.register(Yard)
class YardAdmin(AuditedAdmin):
    list_display = ("code", "name", "gate", "route", "kind", "vehicle_capacity", "capacity_as_of")
    list_filter = ("gate", "kind")


@admin.register(WorkingHours)
class WorkingHoursAdmin(AuditedAdmin):
    list_display = (
        "gate",
        "route",
        "flow",
        "weekday",
        "opens",
        "closes",
        "valid_from",
        "valid_until",
    )
    list_filter = ("gate", "flow", "weekday")


@admin.register(YardOperator)
class YardOperatorAdmin(AuditedAdmin):
    list_display = ("code", "name", "tax_code")
    search_fields = ("code", "name", "tax_code")


@admin.register(ForeignHours)
class ForeignHoursAdmin(AuditedAdmin):
    list_display = ("foreign_gate", "weekday", "opens", "closes", "time_zone", "valid_from")
    list_filter = ("foreign_gate",)


@admin.register(HoursException)
class HoursExceptionAdmin(AuditedAdmin):
    list_display = (
        "date",
        "gate",
        "route",
        "flow",
        "closed",
        "pre_registered_only",
        "opens",
        "closes",
        "reason",
    )
    list_filter = ("gate", "closed")
    date_hierarchy = "date"


@admin.register(CapacityPlan)
class CapacityPlanAdmin(AuditedAdmin):
    list_display = ("gate", "route", "flow", "trucks_per_hour", "effective_from", "note")
    list_filter = ("gate", "flow")


@admin.register(TwoWayDelivery)
class TwoWayDeliveryAdmin(AuditedAdmin):
    list_display = (
        "route",
        "starts_on",
        "ends_on",
        "two_way_dwell_hours",
        "other_dwell_hours",
        "one_kind_of_goods",
    )
    list_filter = ("route__gate",)
