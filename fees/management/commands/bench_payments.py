"""Benchmark: payment-provider callbacks over HTTP under the production server.

Run by ``make bench`` against a fresh PostgreSQL database (``CUAKHAU_DATABASE_URL``): it
imports N declared trips with their assessed fees and one open payment request each, starts
``cuakhau serve`` (gunicorn, several worker processes) on a free port, and posts one signed
callback per request, each twice (the replay at a random later moment, often while the first is
still in flight), from C keep-alive connections on this machine. Then it checks that every
payment was recorded once, every trip owes nothing, and the receipts are numbered 1..N with no gap
and no duplicate although several processes issued them at once; and writes the figures into
docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from cuakhau.benchdoc import replace_section
from cuakhau.benchhttp import fleet, import_trips, load, percentile, serving
from cuakhau.bulk import fast_insert
from cuakhau.signing import sign
from fees import demo, providers, services
from fees.models import Charge, Payment, PaymentRequest, Receipt, ReceiptSeries
from gates.models import Gate
from shipments.models import Declaration
from shipments.services import LineInput

SECTION = "## 6. Payment callbacks over HTTP"


class Command(BaseCommand):
    help = "Benchmark payment callbacks over HTTP under gunicorn (see module docstring)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--payments", type=int, default=3000, help="distinct payments")
        parser.add_argument("--warmup", type=int, default=200, help="payments before timing")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
        parser.add_argument("--output", default="docs/benchmarks.md")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("run it on PostgreSQL: set CUAKHAU_DATABASE_URL (make bench does)")
        n, warmup = options["payments"], options["warmup"]
        self.stdout.write(f"setting up {n + warmup} trips with open payment requests …")
        requests = self._setup(n + warmup)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        with serving(options["workers"]) as port:
            load(port, self._posts(requests[:warmup], port), options["connections"])
            posts = self._posts(requests[warmup:], port)
            elapsed = load(port, posts, options["connections"], latencies, statuses)
        self._report(n + warmup, len(posts), elapsed, latencies, statuses, options)

    def _setup(self, n: int) -> list[PaymentRequest]:
        enterprise, driver, vehicles = fleet(
            n,
            name="Bench Payments",
            tax_code="0100112437",
            id_number="001099999998",
            phone="+84912000001",
        )
        now = timezone.now()
        import_trips(
            prefix="BENCHP",
            enterprise=enterprise,
            driver=driver,
            vehicles=vehicles,
            gate=Gate.objects.get(code="huu-nghi"),
            planned_arrival=now + timedelta(hours=6),
            created_at=now - timedelta(hours=1),
            lines=[
                [
                    LineInput(
                        commodity="fresh-vegetables",
                        weight_kg=Decimal(1000 + (i % 20) * 1000),
                        value_usd=Decimal(900),
                    )
                ]
                for i in range(n)
            ],
            steps=[],
        )
        # The fees, assessed with the same computation the live hook uses, in bulk.
        declarations = list(
            Declaration.objects.filter(enterprise=enterprise)
            .select_related("vehicle")
            .order_by("pk")
        )
        schedule = services.schedule_in_force(timezone.localdate(now))
        if schedule is None:
            raise CommandError("no fee schedule in force: run cuakhau load-reference")
        weights = {d.pk: Decimal(1000 + (i % 20) * 1000) for i, d in enumerate(declarations)}
        groups = {d.pk: {"fresh_vegetables"} for d in declarations}
        assessed = demo.assess_in_bulk(
            declarations, groups, weights, schedule, services.table_of(schedule), now
        )
        fast_insert(
            PaymentRequest,
            [
                PaymentRequest(
                    reference=f"PAY-BENCH{d.pk:010d}",
                    declaration_id=d.pk,
                    provider="demo",
                    amount_vnd=assessed[d.pk][0],
                    status="open",
                    requested_at=now,
                    requested_by_id=None,
                )
                for d in declarations
            ],
        )
        return list(PaymentRequest.objects.filter(reference__startswith="PAY-BENCH").order_by("pk"))

    def _posts(self, requests: list[PaymentRequest], port: int) -> list[tuple[bytes, int]]:
        """Each callback twice; the replay lands at a random later position in the stream."""
        secret = providers.demo().secret()
        rng = random.Random(11)  # noqa: S311 - a test schedule, not a secret
        bodies = [
            json.dumps(
                {
                    "request": r.reference,
                    "txn_id": f"BANK-{r.pk:010d}",
                    "status": "succeeded",
                    "amount_vnd": r.amount_vnd,
                    "paid_at": timezone.now().isoformat(),
                }
            ).encode()
            for r in requests
        ]
        pending = sorted(range(len(bodies)), key=lambda i: i + rng.randint(0, 100))
        merged: list[int] = []
        j = 0
        for index in range(len(bodies)):
            merged.append(index)
            while j < len(pending) and pending[j] + 16 <= index:
                merged.append(pending[j])
                j += 1
        merged.extend(pending[j:])
        out = []
        for index in merged:
            body = bodies[index]
            stamp = str(int(time.time()) + 30)
            head = (
                f"POST /api/v1/payments/callbacks/demo/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"X-Cuakhau-Timestamp: {stamp}\r\n"
                f"X-Cuakhau-Signature: {sign(secret, stamp, body)}\r\n\r\n"
            )
            out.append((head.encode() + body, index))
        return out

    def _report(
        self,
        n: int,
        sent: int,
        elapsed: float,
        latencies: list[float],
        statuses: dict[int, int],
        options: dict[str, Any],
    ) -> None:
        bench = Payment.objects.filter(provider_txn_id__startswith="BANK-")
        payments = bench.count()
        numbers = list(Receipt.objects.order_by("year", "number").values_list("number", flat=True))
        gapless = numbers == list(range(1, len(numbers) + 1))
        series = sum(ReceiptSeries.objects.values_list("last_number", flat=True))
        due = Charge.objects.filter(declaration__reference__startswith="BENCHP").aggregate(
            t=Sum("amount_vnd")
        )["t"]
        received = bench.aggregate(t=Sum("amount_vnd"))["t"]
        measured = sent // 2
        lines = [
            SECTION,
            "",
            "Measured by `make bench` (`cuakhau bench-payments`) on"
            f" {timezone.now():%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, PostgreSQL on"
            " the same machine, `cuakhau serve`"
            f" (gunicorn, {options['workers']} workers) and the load generator (asyncio,"
            f" {options['connections']} keep-alive connections) sharing the cores. {n:,} trips"
            f" ({options['warmup']:,} of them for an untimed warm-up) each have an open payment"
            " request; the demo provider's signed callback for each is posted twice, the replay"
            " at a random later moment. Each callback checks the signature and clock, locks the"
            " trip, records the payment once, numbers its receipt from the year's series and"
            " allocates it; a replay gets 200 and changes nothing.",
            "",
            "| figure | value |",
            "|---|---|",
            f"| posts sent (callbacks × 2) | {sent:,} |",
            f"| wall time | {elapsed:.1f} s |",
            f"| posts per second | {sent / elapsed:,.0f} |",
            f"| payments recorded per second | {measured / elapsed:,.0f} |",
            f"| latency p50 | {percentile(latencies, 50) * 1000:.1f} ms |",
            f"| latency p99 | {percentile(latencies, 99) * 1000:.1f} ms |",
            f"| latency max | {max(latencies) * 1000:.1f} ms |",
            "| HTTP statuses | "
            + ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items()))
            + " |",
            f"| payments recorded (expected {n:,}) | {payments:,} |",
            f"| receipts, numbered 1..{len(numbers):,} without gap | {gapless} |",
            f"| series' last number | {series:,} |",
            f"| VND due / received | {due:,} / {received:,} |",
            "",
        ]
        ok = payments == n and len(numbers) == n and gapless and series == n and due == received
        lines.append(
            "None lost, none counted twice, no receipt number skipped or repeated."
            if ok
            else "**Mismatch: payments or receipt numbers were lost or doubled.**"
        )
        lines.append("")
        text = "\n".join(lines)
        self.stdout.write(text)
        replace_section(Path(options["output"]), SECTION, text)
        if not ok:
            raise CommandError("payments or receipt numbers lost or doubled")
