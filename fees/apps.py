from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "fees"
    verbose_name = _("Fees")

    def ready(self) -> None:
        from django.conf import settings

        from fees import checks, providers, services, views  # noqa: F401 - checks register
        from notifications.dispatch import register_job
        from shipments import lifecycle, panels

        if settings.CUAKHAU_DEMO_PAYMENTS:
            providers.register(providers.DemoProvider())
        lifecycle.register_declared(services.on_declared)
        lifecycle.register_effect("cancel", services.on_leave)
        lifecycle.register_effect("reject", services.on_leave)
        panels.register(views.fees_panel)
        register_job("yard-charges", 60, services.charge_recent_yard_stays)
        register_job("refunds", 30, services.process_refunds)
