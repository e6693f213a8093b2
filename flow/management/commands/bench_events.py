"""Benchmark: plate-camera events posted over HTTP to the platform under its production server.

Run by ``make bench`` against a fresh PostgreSQL database (``CUAKHAU_DATABASE_URL``): it
declares and admits N trucks at Hữu Nghị, starts ``cuakhau serve`` (gunicorn) on a free port,
and posts one signed gate-in event per truck, each event twice (the replay at a random later
moment, sometimes while the first is still in flight), from C keep-alive connections on this
same machine. Then it checks that every event was stored once, every truck arrived once and
has one yard visit, and writes the figures into docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from cuakhau.benchdoc import replace_section
from cuakhau.benchhttp import fleet, import_trips, load, percentile, serving
from cuakhau.signing import sign
from flow.models import Device, PlateEvent, YardVisit
from gates.models import Gate
from shipments.models import Declaration, StateChange
from shipments.services import LineInput

SECTION = "## 5. Plate events over HTTP"


class Command(BaseCommand):
    help = "Benchmark plate-camera events over HTTP under gunicorn (see module docstring)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=6000, help="distinct events (trucks)")
        parser.add_argument("--warmup", type=int, default=300, help="events before timing")
        parser.add_argument("--connections", type=int, default=24)
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
        parser.add_argument(
            "--processors",
            type=int,
            default=2,
            help="dispatch workers (0: measure ingestion only, write nothing)",
        )
        parser.add_argument("--output", default="docs/benchmarks.md")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("run it on PostgreSQL: set CUAKHAU_DATABASE_URL (make bench does)")
        n, warmup = options["events"], options["warmup"]
        self.stdout.write(f"setting up {n + warmup} admitted trucks …")
        device, bodies = self._setup(n + warmup)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        # The server alone: the dispatch workers are started (and timed) after the load.
        with serving(options["workers"]) as port:
            # Warm-up (not timed): every worker thread imports, connects and fills its caches.
            load(port, self._requests(device, bodies[:warmup], port), options["connections"])
            requests = self._requests(device, bodies[warmup:], port)
            elapsed = load(port, requests, options["connections"], latencies, statuses)
        if options["processors"] == 0:
            stored = PlateEvent.objects.filter(device__code="cam-bench-in").count()
            self.stdout.write(
                f"tuning run: {len(requests) / elapsed:,.0f} posts/s, "
                f"p50 {percentile(latencies, 50) * 1000:.1f} ms, "
                f"p99 {percentile(latencies, 99) * 1000:.1f} ms, stored {stored:,}"
            )
            return
        drained = self._drain(options["processors"])
        self._report(n + warmup, len(requests), elapsed, latencies, statuses, drained, options)

    def _drain(self, processes: int) -> float:
        """Start ``processes`` ``cuakhau dispatch`` workers and time them applying every event."""
        command = str(Path(sys.executable).with_name("cuakhau"))
        started = time.perf_counter()
        workers = [
            subprocess.Popen(  # noqa: S603 - our own command
                [command, "dispatch", "--interval", "0.1"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(processes)
        ]
        try:
            while PlateEvent.objects.filter(status="received").exists():
                time.sleep(0.5)
            return time.perf_counter() - started
        finally:
            for worker in workers:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)

    def _setup(self, n: int) -> tuple[Device, list[bytes]]:
        gate = Gate.objects.get(code="huu-nghi")
        enterprise, driver, vehicles = fleet(
            n,
            name="Bench Logistics",
            tax_code="0100112437",
            id_number="001099999999",
            phone="+84912000000",
        )
        plates = [v.plate for v in vehicles]
        now = timezone.now()
        fruit = [
            LineInput(commodity="dragon-fruit", weight_kg=Decimal(15000), value_usd=Decimal(13500))
        ]
        import_trips(
            prefix="BENCH",
            enterprise=enterprise,
            driver=driver,
            vehicles=vehicles,
            gate=gate,
            planned_arrival=now,
            created_at=now - timedelta(hours=3),
            lines=[fruit] * n,
            steps=[("admit", now - timedelta(hours=2), "system:bench")],
        )
        device = Device.objects.create(
            code="cam-bench-in", gate=gate, kind="gate_in", secret=secrets.token_hex(32)
        )
        bodies = [
            json.dumps(
                {
                    "event_id": uuid.uuid4().hex,
                    "at": now.isoformat(),
                    # Cameras misread: half the reads lose separators or confuse 1/I, 5/S, 0/O.
                    "reads": [{"plate": _misread(plate, i), "confidence": 0.9}],
                }
            ).encode()
            for i, plate in enumerate(plates)
        ]
        return device, bodies

    def _requests(self, device: Device, bodies: list[bytes], port: int) -> list[tuple[bytes, int]]:
        """Each event twice; the replay lands at a random later position in the stream."""
        order: list[int] = []
        rng = random.Random(7)  # noqa: S311 - a test schedule, not a secret
        for index in range(len(bodies)):
            order.append(index)
        replays = list(range(len(bodies)))
        rng.shuffle(replays)
        merged: list[int] = []
        pending = sorted(replays, key=lambda i: i + rng.randint(0, 200))
        j = 0
        for index in order:
            merged.append(index)
            while j < len(pending) and pending[j] + 24 <= index:
                merged.append(pending[j])
                j += 1
        merged.extend(pending[j:])
        out = []
        for index in merged:
            body = bodies[index]
            stamp = str(int(time.time()) + 60)  # signed now, sent within the allowed skew
            head = (
                f"POST /api/v1/devices/events/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"X-Cuakhau-Device: {device.code}\r\nX-Cuakhau-Timestamp: {stamp}\r\n"
                f"X-Cuakhau-Signature: {sign(device.secret, stamp, body)}\r\n\r\n"
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
        drained: float,
        options: dict[str, Any],
    ) -> None:
        stored = PlateEvent.objects.filter(device__code="cam-bench-in").count()
        matched = PlateEvent.objects.filter(device__code="cam-bench-in", status="matched").count()
        arrived = Declaration.objects.filter(reference__startswith="BENCH", state="arrived").count()
        arrivals = StateChange.objects.filter(
            declaration__reference__startswith="BENCH", transition="arrive"
        ).count()
        visits = YardVisit.objects.filter(declaration__reference__startswith="BENCH").count()
        lines = [
            SECTION,
            "",
            "Measured by `make bench` (`cuakhau bench-events`) on "
            f"{timezone.now():%Y-%m-%d %H:%M} UTC "
            f"on {os.cpu_count()} cores, PostgreSQL on the same machine, `cuakhau serve` "
            f"(gunicorn, {options['workers']} workers) and the load generator (asyncio, "
            f"{options['connections']} keep-alive connections) sharing the two cores. Each of "
            f"{n:,} trucks admitted at Hữu Nghị ({options['warmup']} of them for an untimed "
            "warm-up) gets one signed gate-in event (HMAC, timestamp, "
            "event id; half the reads misread the plate), and every event is posted twice, the "
            "replay at a random later moment. The endpoint checks the signature and clock and "
            "stores the event once (202; a replay gets 200 and changes nothing). Then "
            f"{options['processors']} `cuakhau dispatch` workers apply them, as in production: "
            "reconcile the read, open the yard visit, move the truck to `arrived` (audit chain, "
            "state change) and open its clearance checks and customs channel.",
            "",
            "| figure | value |",
            "|---|---|",
            f"| posts sent (events × 2) | {sent:,} |",
            f"| wall time | {elapsed:.1f} s |",
            f"| posts per second | {sent / elapsed:,.0f} |",
            f"| distinct events per second | {sent / 2 / elapsed:,.0f} |",
            f"| latency p50 | {percentile(latencies, 50) * 1000:.1f} ms |",
            f"| latency p99 | {percentile(latencies, 99) * 1000:.1f} ms |",
            f"| latency max | {max(latencies) * 1000:.1f} ms |",
            f"| HTTP statuses | {', '.join(f'{k}: {v:,}' for k, v in sorted(statuses.items()))} |",
            f"| applied by the workers in | {drained:.1f} s ({n / drained:,.0f} events/s) |",
            f"| events stored (expected {n:,}) | {stored:,} |",
            f"| matched | {matched:,} |",
            "| trucks arrived / arrive transitions / yard visits | "
            f"{arrived:,} / {arrivals:,} / {visits:,} |",
            "",
        ]
        ok = stored == n and arrived == n and arrivals == n and visits == n
        lines.append(
            "None lost, none counted twice."
            if ok
            else "**Mismatch: some events were lost or counted twice.**"
        )
        lines.append("")
        text = "\n".join(lines)
        self.stdout.write(text)
        replace_section(Path(options["output"]), SECTION, text)
        if not ok:
            raise CommandError("events lost or counted twice")


def _misread(plate: str, i: int) -> str:
    if i % 2:
        return plate
    return plate.replace("-", "").replace(".", "").replace("1", "I").replace("5", "S")
