from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowConfig(AppConfig):
    name = "flow"
    verbose_name = _("Vehicle flow control")

    def ready(self) -> None:
        from flow import services, views
        from gates.services import register_notice_hook
        from notifications.dispatch import register_job
        from shipments import lifecycle, panels

        lifecycle.register_guard("arrive", services.guard_arrive)
        lifecycle.register_effect("arrive", services.on_arrive)
        lifecycle.register_effect("cross", services.on_cross)
        lifecycle.register_effect("cancel", services.on_leave)
        lifecycle.register_effect("reject", services.on_leave)
        panels.register(views.booking_panel)
        register_notice_hook(services.on_notice)
        register_job("yard-events", 0, services.process_events)
        register_job("no-shows", 60, services.sweep_no_shows)
        register_job("admission", 3600, services.plan_all_gates)
