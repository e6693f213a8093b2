from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from audit import services as audit
from clearance.reference import load_clearance_rules
from cuakhau.reference import ACTOR, ReferenceSync
from fees.reference import load_fee_schedules
from gates.reference import load_gates
from shipments.reference import load_commodities, load_procedure_codes


class Command(BaseCommand):
    help = (
        "Load Lạng Sơn's gates, routes, yards, hours, capacity plans, commodities, procedure codes,"
        " clearance"
        " rules and fee schedules. Creates what is missing and never overwrites what exists;"
        " --update lists where existing rows differ from the shipped data, --update --apply"
        " writes the shipped values (audited)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="list every field of an existing row that differs from the shipped data",
        )
        parser.add_argument(
            "--apply",
            action="store_true",
            help="with --update: write the shipped values over the listed ones, audited",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["apply"] and not options["update"]:
            raise CommandError("--apply goes with --update: look at the differences first.")
        sync = ReferenceSync(apply=options["apply"])
        with transaction.atomic():
            load_gates(sync)
            load_commodities(sync)
            load_procedure_codes(sync)
            load_clearance_rules(sync)
            load_fee_schedules(sync)
            audit.record(
                action="reference.loaded",
                object_type="reference",
                object_id="lang-son",
                after=dict(sorted(sync.counts.items())),
                actor_label=ACTOR,
            )
        for key, value in sorted(sync.counts.items()):
            self.stdout.write(f"  {key}: {value}")
        if options["update"]:
            for difference in sync.differences:
                self.stdout.write(f"  {'updated' if options['apply'] else 'differs'}: {difference}")
        elif sync.differences:
            rows = sum(v for k, v in sync.counts.items() if k.endswith(".differs"))
            self.stdout.write(
                f"  {rows} existing rows differ from the shipped data and were kept;"
                " `cuakhau load_reference --update` lists them."
            )
        self.stdout.write(self.style.SUCCESS("reference data loaded"))
