from django.urls import path
from rest_framework.routers import SimpleRouter

from clearance.api import (
    CheckRuleViewSet,
    CheckViewSet,
    ClearanceViewSet,
    DocumentViewSet,
    SelectivityRuleViewSet,
)
from fees.api import (
    FeeRateViewSet,
    FeeReductionViewSet,
    FeeScheduleViewSet,
    PaymentView,
    ReceiptVerifyView,
    ReceiptViewSet,
    ReconciliationView,
    RevenueView,
    TripFeesView,
    payment_callback,
)
from flow.api import (
    AdmissionViewSet,
    BoardGateView,
    BoardView,
    BookingViewSet,
    CallForwardViewSet,
    CapacityView,
    NoShowView,
    SlotOffersView,
    WithdrawalView,
    YardEventViewSet,
)
from flow.views import device_event
from gates.api import CommonHolidayView, GateViewSet
from shipments.api import (
    CommodityViewSet,
    DeclarationViewSet,
    DriverViewSet,
    EnterpriseViewSet,
    ProcedureCodeViewSet,
    VehicleViewSet,
)
from tradestats.api import StatisticsView, TopCommoditiesView

router = SimpleRouter()
router.register("gates", GateViewSet, basename="gate")
router.register("commodities", CommodityViewSet, basename="commodity")
router.register("procedure-codes", ProcedureCodeViewSet, basename="procedure-code")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("vehicles", VehicleViewSet, basename="vehicle")
router.register("drivers", DriverViewSet, basename="driver")
router.register("declarations", DeclarationViewSet, basename="declaration")
router.register("checks", CheckViewSet, basename="check")
router.register("clearances", ClearanceViewSet, basename="clearance")
router.register("documents", DocumentViewSet, basename="document")
router.register("selectivity-rules", SelectivityRuleViewSet, basename="selectivity-rule")
router.register("check-rules", CheckRuleViewSet, basename="check-rule")
router.register("bookings", BookingViewSet, basename="booking")
router.register("yard-events", YardEventViewSet, basename="yard-event")
router.register("call-forward", CallForwardViewSet, basename="call-forward")
router.register("admission", AdmissionViewSet, basename="admission")
router.register("fee-schedules", FeeScheduleViewSet, basename="fee-schedule")
router.register("fee-rates", FeeRateViewSet, basename="fee-rate")
router.register("fee-reductions", FeeReductionViewSet, basename="fee-reduction")
router.register("receipts", ReceiptViewSet, basename="receipt")

urlpatterns = [
    path("holidays/", CommonHolidayView.as_view(), name="holidays"),
    path("slots/", SlotOffersView.as_view(), name="slots"),
    path("capacity/", CapacityView.as_view(), name="capacity"),
    path("no-shows/", NoShowView.as_view(), name="no-shows"),
    path("withdrawals/", WithdrawalView.as_view(), name="withdrawals"),
    path("statistics/", StatisticsView.as_view(), name="statistics"),
    path("statistics/top-commodities/", TopCommoditiesView.as_view(), name="top-commodities"),
    path("board/", BoardView.as_view(), name="board"),
    path("board/<slug:code>/", BoardGateView.as_view(), name="board-gate"),
    path("devices/events/", device_event, name="device-event"),
    path("trip-fees/<str:reference>/", TripFeesView.as_view(), name="trip-fees"),
    path("payments/", PaymentView.as_view(), name="payments"),
    path("payments/callbacks/<slug:provider>/", payment_callback, name="payment-callback"),
    path("receipt-verifications/<str:token>/", ReceiptVerifyView.as_view(), name="receipt-verify"),
    path("revenue/", RevenueView.as_view(), name="revenue"),
    path("reconciliation/", ReconciliationView.as_view(), name="reconciliation"),
    *router.urls,
]
