from django.urls import path
from rest_framework.routers import SimpleRouter

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

urlpatterns = [
    path("holidays/", CommonHolidayView.as_view(), name="holidays"),
    *router.urls,
]
