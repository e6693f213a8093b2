from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cuakhau.views import healthz
from gates.views import GateListView

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's page carries an inline <style>; its script is served apart (split view).
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="swagger-ui",
    ),
    path("api/v1/", include("cuakhau.api_urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("declarations/", include("shipments.urls")),
    path("clearance/", include("clearance.urls")),
    path("notifications/", include("notifications.urls")),
    path("flow/", include("flow.urls")),
    path("fees/", include("fees.urls")),
    path("gates/", include("gates.urls")),
    path("whatif/", include("whatif.urls")),
    path("", include("tradestats.urls")),
    path("", GateListView.as_view(), name="home"),
]

handler404 = "cuakhau.errorpages.not_found"
handler403 = "cuakhau.errorpages.forbidden"
handler400 = "cuakhau.errorpages.bad_request"
handler500 = "cuakhau.errorpages.server_error"
