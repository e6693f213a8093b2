from django.urls import path
from rest_framework.routers import SimpleRouter

from clearance.api import (
    CheckRuleViewSet,
    CheckViewSet,
    ClearanceViewSet,
    DocumentViewSet,
    SelectivityRuleViewSet,
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
    YardEventViewSet,
)
from flow.views import device_event
from gates.api import CommonHolidayView, GateViewSet
from shipments.api import (
    CommodityViewSet,
    DeclarationViewSet,
    DriverViewSet,
    EnterpriseViewSet,
    VehicleViewSet,
)

router = SimpleRouter()
router.register("gates", GateViewSet, basename="gate")
router.register("commodities", CommodityViewSet, basename="commodity")
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

urlpatterns = [
    path("holidays/", CommonHolidayView.as_view(), name="holidays"),
    path("slots/", SlotOffersView.as_view(), name="slots"),
    path("capacity/", CapacityView.as_view(), name="capacity"),
    path("no-shows/", NoShowView.as_view(), name="no-shows"),
    path("board/", BoardView.as_view(), name="board"),
    path("board/<slug:code>/", BoardGateView.as_view(), name="board-gate"),
    path("devices/events/", device_event, name="device-event"),
    *router.urls,
]
