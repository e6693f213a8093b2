from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClearanceConfig(AppConfig):
    name = "clearance"
    verbose_name = _("Clearance")

    def ready(self) -> None:
        from clearance import services, views
        from shipments import lifecycle, panels

        lifecycle.register_effect("arrive", services.on_arrive)
        lifecycle.register_guard("clear", services.guard_clear)
        lifecycle.register_guard("reject", services.guard_reject)
        lifecycle.register_effect("cancel", services.on_leave)
        lifecycle.register_effect("reject", services.on_leave)
        panels.register(views.clearance_panel)
