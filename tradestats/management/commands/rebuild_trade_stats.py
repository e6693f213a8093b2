from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tradestats.rollups import rebuild


class Command(BaseCommand):
    help = "Recompute the trade statistics rollups from the trips that crossed."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"trade statistics: {rebuild():,} trips counted")
