"""What the HTTP benchmarks share (``cuakhau bench-events``, ``cuakhau bench-payments``): the
production server on a free port, a keep-alive load generator, percentiles, and a fleet of
trucks imported in bulk."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.core.management.base import CommandError

from gates.models import Gate
from shipments.models import Driver, Enterprise, Vehicle
from shipments.services import HistoricTrip, LineInput, import_history
from shipments.validators import ocr_key

Post = tuple[bytes, int]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(1.0)
                return
        except OSError:
            time.sleep(0.2)
    raise CommandError("the server did not start")


@contextmanager
def serving(workers: int) -> Iterator[int]:
    """``cuakhau serve`` (gunicorn, no dispatch worker) on a free port, stopped on exit."""
    port = _free_port()
    env = {**os.environ, "CUAKHAU_WORKERS": str(workers), "CUAKHAU_DISPATCH": "0"}
    command = str(Path(sys.executable).with_name("cuakhau"))
    server = subprocess.Popen(  # noqa: S603 - our own command
        [command, "serve", "--no-prepare", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(port)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


async def _client(
    port: int, queue: list[Post], latencies: list[float], statuses: dict[int, int]
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


def load(
    port: int,
    posts: Sequence[Post],
    clients: int,
    latencies: list[float] | None = None,
    statuses: dict[int, int] | None = None,
) -> float:
    """Send ``posts`` in order from ``clients`` keep-alive connections; the wall time taken."""
    queue = list(reversed(posts))
    times = latencies if latencies is not None else []
    counts = statuses if statuses is not None else {}

    async def run() -> None:
        await asyncio.gather(*(_client(port, queue, times, counts) for _ in range(clients)))

    started = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - started


def fleet(
    n: int, *, name: str, tax_code: str, id_number: str, phone: str
) -> tuple[Enterprise, Driver, list[Vehicle]]:
    """An enterprise with one driver and ``n`` trucks, registered in bulk."""
    enterprise = Enterprise.objects.create(name=name, country="VN", tax_code=tax_code)
    driver = Driver.objects.create(
        full_name="Bench Driver",
        id_document_type="cccd",
        id_document_number=id_number,
        phone=phone,
        enterprise=enterprise,
    )
    plates = [f"{29 + i // 90000}C-{(i % 90000) // 100 + 100:03d}.{i % 100:02d}" for i in range(n)]
    Vehicle.objects.bulk_create(
        [
            Vehicle(plate=p, ocr_key=ocr_key(p), country="VN", kind="truck", enterprise=enterprise)
            for p in plates
        ]
    )
    by_plate = {v.plate: v for v in Vehicle.objects.filter(enterprise=enterprise)}
    return enterprise, driver, [by_plate[p] for p in plates]


def import_trips(
    *,
    prefix: str,
    enterprise: Enterprise,
    driver: Driver,
    vehicles: Sequence[Vehicle],
    gate: Gate,
    planned_arrival: datetime,
    created_at: datetime,
    lines: Sequence[Sequence[LineInput]],
    steps: Sequence[tuple[str, datetime, str]],
) -> None:
    """One export trip per vehicle (``lines[i]`` its goods), written by ``import_history``."""
    trips = [
        HistoricTrip(
            reference=f"{prefix}{i:07d}",
            enterprise=enterprise,
            direction="export",
            flow="exit",
            gate=gate,
            route=None,
            vehicle=vehicle,
            driver=driver,
            origin_province=None,
            planned_arrival=planned_arrival,
            customs_declaration_number="",
            created_at=created_at,
            lines=lines[i],
            steps=steps,
        )
        for i, vehicle in enumerate(vehicles)
    ]
    for start in range(0, len(trips), 2000):
        import_history(trips=trips[start : start + 2000], actor_label="system:bench")
