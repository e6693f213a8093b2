from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradeStatsConfig(AppConfig):
    name = "tradestats"
    verbose_name = _("Trade statistics and open data")

    def ready(self) -> None:
        from shipments import lifecycle
        from tradestats import rollups

        # A trip enters the statistics when it crosses (live, or imported as history).
        lifecycle.register_effect("cross", rollups.on_cross)
        lifecycle.register_imported(rollups.add_crossed)
