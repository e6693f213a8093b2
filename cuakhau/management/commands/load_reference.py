from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from audit import services as audit
from clearance.reference import load_clearance_rules
from fees.reference import load_fee_schedules
from gates.reference import load_gates
from shipments.reference import load_commodities


class Command(BaseCommand):
    help = (
        "Load Lạng Sơn's gates, routes, yards, hours, capacity plans, commodities and"
        " clearance rules and fee schedules (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            counts = (
                load_gates() + load_commodities() + load_clearance_rules() + load_fee_schedules()
            )
            audit.record(
                action="reference.loaded",
                object_type="reference",
                object_id="lang-son",
                after=dict(sorted(counts.items())),
                actor_label="system:load-reference",
            )
        for key, value in sorted(counts.items()):
            self.stdout.write(f"  {key}: {value}")
        self.stdout.write(self.style.SUCCESS("reference data loaded"))
