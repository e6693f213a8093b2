"""Benchmark: plate-camera events posted over HTTP to the platform under its production server.

Run by ``make bench`` against a fresh PostgreSQL database (``CUAKHAU_DATABASE_URL``): it
declares and admits N trucks at Hữu Nghị, starts ``cuakhau serve`` (gunicorn) on a free port,
and posts one signed gate-in event per truck, each event twice (the replay at a random later
moment, sometimes while the first is still in flight), from C keep-alive connections on this
same machine. Then it checks that every event was stored once, every truck arrived once and
has one yard visit, and writes the figures into docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import signal
import socket
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
from cuakhau.signing import sign
from flow.models import Device, PlateEvent, YardVisit
from gates.models import Gate
from shipments.models import Declaration, Driver, Enterprise, StateChange, Vehicle
from shipments.services import HistoricTrip, LineInput, import_history
from shipments.validators import ocr_key

SECTION = "## 5. Plate events over HTTP"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _client(
    port: int, queue: list[tuple[bytes, int]], latencies: list[float], statuses: dict[int, int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            request, _index = queue.pop()
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            close = False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _sep, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
                if name.lower() == "connection" and "close" in value.lower():
                    close = True
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


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
        port = _free_port()
        # The server alone: the dispatch workers are started (and timed) after the load.
        env = {**os.environ, "CUAKHAU_WORKERS": str(options["workers"]), "CUAKHAU_DISPATCH": "0"}
        command = str(Path(sys.executable).with_name("cuakhau"))
        server = subprocess.Popen(  # noqa: S603 - our own command
            [command, "serve", "--no-prepare", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._wait_for(port)
            # Warm-up (not timed): every worker thread imports, connects and fills its caches.
            warm = list(reversed(self._requests(device, bodies[:warmup], port)))
            asyncio.run(self._load(port, warm, [], {}, options["connections"]))
            requests = self._requests(device, bodies[warmup:], port)
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            queue = list(reversed(requests))
            started = time.perf_counter()
            asyncio.run(self._load(port, queue, latencies, statuses, options["connections"]))
            elapsed = time.perf_counter() - started
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if options["processors"] == 0:
            stored = PlateEvent.objects.filter(device__code="cam-bench-in").count()
            self.stdout.write(
                f"tuning run: {len(requests) / elapsed:,.0f} posts/s, "
                f"p50 {_percentile(latencies, 50) * 1000:.1f} ms, "
                f"p99 {_percentile(latencies, 99) * 1000:.1f} ms, stored {stored:,}"
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
        enterprise = Enterprise.objects.create(
            name="Bench Logistics", country="VN", tax_code="0100112437"
        )
        driver = Driver.objects.create(
            full_name="Bench Driver",
            id_document_type="cccd",
            id_document_number="001099999999",
            phone="+84912000000",
            enterprise=enterprise,
        )
        plates = [
            f"{29 + i // 90000}C-{(i % 90000) // 100 + 100:03d}.{i % 100:02d}" for i in range(n)
        ]
        Vehicle.objects.bulk_create(
            [
                Vehicle(
                    plate=p, ocr_key=ocr_key(p), country="VN", kind="truck", enterprise=enterprise
                )
                for p in plates
            ]
        )
        vehicles = {v.plate: v for v in Vehicle.objects.filter(enterprise=enterprise)}
        now = timezone.now()
        trips = [
            HistoricTrip(
                reference=f"BENCH{i:07d}",
                enterprise=enterprise,
                direction="export",
                flow="exit",
                gate=gate,
                route=None,
                vehicle=vehicles[plate],
                driver=driver,
                origin_province=None,
                planned_arrival=now,
                customs_declaration_number="",
                created_at=now - timedelta(hours=3),
                lines=[
                    LineInput(
                        commodity="dragon-fruit", weight_kg=Decimal(15000), value_usd=Decimal(13500)
                    )
                ],
                steps=[("admit", now - timedelta(hours=2), "system:bench")],
            )
            for i, plate in enumerate(plates)
        ]
        for start in range(0, n, 2000):
            import_history(trips=trips[start : start + 2000], actor_label="system:bench")
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

    async def _load(
        self,
        port: int,
        queue: list[tuple[bytes, int]],
        latencies: list[float],
        statuses: dict[int, int],
        clients: int,
    ) -> None:
        await asyncio.gather(*(_client(port, queue, latencies, statuses) for _ in range(clients)))

    def _wait_for(self, port: int) -> None:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    time.sleep(1.0)
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError("the server did not start")

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
            f"| latency p50 | {_percentile(latencies, 50) * 1000:.1f} ms |",
            f"| latency p99 | {_percentile(latencies, 99) * 1000:.1f} ms |",
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
