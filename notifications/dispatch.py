"""The worker behind ``cuakhau dispatch``: sends what the outbox holds, with retries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from notifications.channels import CHANNELS, DeliveryError
from notifications.models import Delivery, DeliveryStatus

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at an hour: attempt ``n`` waits 30 s × 2^(n−1)."""
    return timedelta(
        seconds=min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    )


#: A claimed delivery is left alone by other workers this long, then retried if unsent.
LEASE = timedelta(minutes=5)


def dispatch_once(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Send every due delivery once; returns how many were sent, retried and given up.

    Rows are claimed in a short transaction (skip-locked where the database can, so several
    workers share the outbox) and sent outside it: a slow gateway never holds a lock.
    """
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    with transaction.atomic():
        due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        batch = list(due.order_by("next_attempt_at", "pk")[:limit])
        Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(next_attempt_at=now + LEASE)
    for delivery in Delivery.objects.filter(pk__in=[d.pk for d in batch]).select_related("webhook"):
        channel = CHANNELS.get(delivery.channel)
        delivery.attempts += 1
        try:
            if channel is None:
                raise DeliveryError(f"unknown channel {delivery.channel!r}")
            channel.send(delivery)
        except DeliveryError as exc:
            delivery.last_error = str(exc)[:2000]
            if delivery.attempts >= MAX_ATTEMPTS or channel is None:
                delivery.status = DeliveryStatus.FAILED
                counts["failed"] += 1
            else:
                delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
                counts["retry"] += 1
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
            counts["sent"] += 1
        delivery.save(
            update_fields=["attempts", "status", "next_attempt_at", "last_error", "sent_at"]
        )
    return counts


@dataclass
class Job:
    """Periodic work the dispatch loop also runs (no-show sweeps, admission planning)."""

    name: str
    every_seconds: float
    run: Callable[[], object]
    last: float = float("-inf")


JOBS: list[Job] = []


def register_job(name: str, every_seconds: float, run: Callable[[], object]) -> None:
    if all(job.name != name for job in JOBS):
        JOBS.append(Job(name, every_seconds, run))


def task_worker(*, worker_id: str) -> Any:
    """The database task worker (django-tasks-db) for every queue, polling every second until
    the process ends: for a thread of its own (it recycles its own database connections)."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run_ready_tasks(*, worker_id: str) -> int:
    """Run the background tasks that are ready, one after another, in this thread; return how
    many ran. Unlike the worker's loop it leaves the caller's database connection alone
    (``dispatch --once``, tests)."""
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = task_worker(worker_id=worker_id)
    done = 0
    while True:
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        with exclusive_transaction(ready.db):
            result = ready.get_locked()
            if result is not None:
                result.claim(worker_id)
        if result is None:
            return done
        worker.run_task(result)
        done += 1
