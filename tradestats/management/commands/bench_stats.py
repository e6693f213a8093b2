"""Time every trade statistics page and API call on the database at hand (a year of demo
traffic on PostgreSQL under ``make bench-stats``), in process through Django's test client, and
write the figures to docs/benchmarks.md."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.test import Client
from django.utils import timezone

from cuakhau.benchdoc import replace_section
from shipments.choices import TruckState
from shipments.models import Declaration, StateChange
from tradestats import queries
from tradestats.models import TradeClearance, TradeDay, TradeMonth
from tradestats.opendata import DATASETS

SECTION = "## 8. Trade statistics on a year of traffic"
GOAL_SECONDS = 1.0


class Command(BaseCommand):
    help = "Time the trade statistics pages, API and open data on this database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--output", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        years = queries.years()
        if not years:
            self.stderr.write("no trade in the rollups: build a demo first")
            return
        year = years[0]
        urls = [
            f"/statistics/?year={year}",
            f"/statistics/?year={year}&gate=huu-nghi&flow=exit",
            f"/statistics/?year={year}&csv=chapters",
            f"/api/v1/statistics/?year={year}&group_by=gate,month",
            f"/api/v1/statistics/?year={year}&group_by=gate,flow,direction,heading",
            "/api/v1/statistics/?group_by=year,chapter",
            f"/api/v1/statistics/top-commodities/?year={year}",
            *[f"/open-data/{name}.csv" for name in DATASETS],
            "/open-data/datapackage.json",
        ]
        client = Client(HTTP_ACCEPT_LANGUAGE="vi")
        rows = []
        for url in urls:
            client.get(url)  # warm the caches and the connection
            seconds = []
            for _ in range(options["runs"]):
                start = time.perf_counter()
                response = client.get(url)
                seconds.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {response.status_code}")
            rows.append((url, statistics.median(seconds), max(seconds), len(response.content)))
            self.stdout.write(f"{url}: median {statistics.median(seconds):.3f} s")
        # The baseline the rollups replace: the gate × month table aggregated from the trips.
        raw_seconds = []
        for _ in range(3):
            start = time.perf_counter()
            list(
                StateChange.objects.filter(to_state=TruckState.CROSSED, at__year=year)
                .values("declaration__gate__code", month=TruncMonth("at"))
                .annotate(n=Count("pk"), value=Sum("declaration__lines__value_usd"))
            )
            raw_seconds.append(time.perf_counter() - start)
        raw = statistics.median(raw_seconds)
        rolled = next(m for u, m, _s, _b in rows if "group_by=gate,month" in u)
        trips = Declaration.objects.count()
        crossed = sum(TradeMonth.objects.values_list("trips", flat=True))
        text = "\n".join(
            [
                SECTION,
                "",
                f"Measured by `cuakhau bench-stats` (the last step of `make bench-stats`) on"
                f" {timezone.now():%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores,"
                f" {connection.vendor} on the same machine, in process through Django's test"
                f" client (URL routing, queries, templates; no network), {options['runs']} runs"
                f" each after one warm-up, on a year of demo traffic (`cuakhau demo --days 365`):"
                f" {trips:,} declarations, {crossed:,} of them crossed and counted; the rollups"
                f" hold {TradeMonth.objects.count():,} month rows,"
                f" {TradeDay.objects.count():,} day rows and"
                f" {TradeClearance.objects.count():,} time-to-clear rows. Goal: every page and"
                f" call under {GOAL_SECONDS:.0f} s.",
                "",
                "| request | median | slowest | bytes |",
                "|---|---|---|---|",
                *[
                    f"| `{url}` | {median * 1000:.0f} ms | {slowest * 1000:.0f} ms | {size:,} |"
                    for url, median, slowest, size in rows
                ],
                "",
                f"Baseline in the same process: the gate × month table aggregated from the trips"
                f" themselves (crossings joined to their goods lines, no rollup) takes"
                f" {raw * 1000:,.0f} ms (median of 3); the API call from the rollups"
                f" {rolled * 1000:,.0f} ms, {raw / rolled:,.0f}× faster.",
                "",
                "All under the goal."
                if all(slowest < GOAL_SECONDS for _u, _m, slowest, _s in rows)
                else "**Some requests are over the goal** (see the slowest column).",
            ]
        )
        if options["output"]:
            replace_section(Path(options["output"]), SECTION, text)
        self.stdout.write(text)
