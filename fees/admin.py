from django.contrib import admin

from cuakhau.admin_audit import AuditedAdmin, ReadOnlyAdmin
from fees.models import (
    Assessment,
    Charge,
    FeeMultiplier,
    FeeRate,
    FeeReduction,
    FeeSchedule,
    Payment,
    PaymentRequest,
    Receipt,
    Refund,
    YardRate,
)


@admin.register(FeeSchedule)
class FeeScheduleAdmin(AuditedAdmin):
    list_display = ("code", "name", "valid_from", "valid_to", "cap_vnd")


@admin.register(FeeRate)
class FeeRateAdmin(AuditedAdmin):
    list_display = ("schedule", "vehicle_class", "directions", "goods_groups", "amount_vnd")
    list_filter = ("schedule", "confirmed", "vehicle_class")


@admin.register(FeeMultiplier)
class FeeMultiplierAdmin(AuditedAdmin):
    list_display = ("schedule", "code", "factor", "confirmed")


@admin.register(FeeReduction)
class FeeReductionAdmin(AuditedAdmin):
    list_display = ("code", "percent", "valid_from", "valid_to")


@admin.register(YardRate)
class YardRateAdmin(AuditedAdmin):
    list_display = ("schedule", "vehicle_class", "unit", "amount_vnd", "free_minutes")


# Money rows change only through the services (callbacks, refunds): read-only here.
@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "status", "amount_vnd", "is_current", "assessed_at")


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "kind", "amount_vnd", "status")
    list_filter = ("kind", "status")


@admin.register(PaymentRequest)
class PaymentRequestAdmin(ReadOnlyAdmin):
    list_display = ("reference", "declaration", "provider", "amount_vnd", "status")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("provider_txn_id", "declaration", "provider", "amount_vnd", "received_at")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "amount_vnd", "reason", "status", "requested_at")


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("display_number", "declaration", "amount_vnd", "issued_at")
