from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from flow.demo import DEVICES, device_secret
from shipments.demo import ACCOUNTS, build_demo, demo_exists


class Command(BaseCommand):
    help = "Create demo accounts and DAYS of demo traffic calibrated to Lạng Sơn's figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--end", type=date.fromisoformat, default=None, help="last day (default today)"
        )
        parser.add_argument("--scale", type=float, default=1.0, help="share of the observed volume")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if demo data exists"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_exists():
            if not options["if_empty"]:
                self.stderr.write(
                    "Demo data already exists; start from an empty database to rebuild it."
                )
            self.print_accounts()
            return
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"demo [{time.monotonic() - started:5.1f} s] {message}")
            self.stdout.flush()

        progress(f"building {options['days']} days of demo traffic (about a minute)")
        result = build_demo(
            seed=options["seed"],
            days=options["days"],
            end=options["end"],
            scale=options["scale"],
            progress=progress,
        )
        self.stdout.write(
            f"demo: {result['declarations']} declarations over {options['days']} days "
            f"in {time.monotonic() - started:.1f} s; by state: {result['by_state']}; "
            f"clearance opened for {result['clearances_opened']} trucks in the yards; "
            f"{result['yard_visits']} yard visits, {result['bookings']} bookings, "
            f"{result['reads_to_correct']} camera reads to correct; "
            f"fees assessed for {result.get('fees_assessed', 0)} trips, "
            f"{result.get('payments', 0)} payments receipted, "
            f"{result.get('yard_stays_charged', 0)} yard stays charged; planted for"
            f" reconciliation: {result.get('planted_crossed_unpaid', 0)} crossed unpaid,"
            f" {result.get('planted_paid_not_crossed', 0)} paid not crossed,"
            f" {result.get('planted_uncharged_stays', 0)} uncharged yard stays"
        )
        self.print_accounts()

    def print_accounts(self) -> None:
        self.stdout.write(f"\nDemo accounts (password: {settings.CUAKHAU_DEMO_PASSWORD}):")
        for spec in ACCOUNTS:
            self.stdout.write(f"  {spec.username:<22} {spec.description}")
        self.stdout.write("\nDemo plate cameras (POST /api/v1/devices/events/, see docs/flow.md):")
        for code, gate, _yard, kind in DEVICES:
            self.stdout.write(f"  {code:<22} {gate:<10} {kind:<9} secret {device_secret(code)}")
        self.stdout.write("")
