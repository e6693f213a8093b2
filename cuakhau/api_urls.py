from django.urls import path
from rest_framework.routers import SimpleRouter

from clearance.api import (
    CheckRuleViewSet,
    CheckViewSet,
    ClearanceViewSet,
    DocumentViewSet,
    SelectivityRuleViewSet,
)
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

urlpatterns = [
    path("holidays/", CommonHolidayView.as_view(), name="holidays"),
    *router.urls,
]
