from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.dispatch import JOBS, dispatch_once, run_ready_tasks, task_worker

log = logging.getLogger("cuakhau.dispatch")


class Command(BaseCommand):
    help = (
        "Send queued notifications (SMS, webhooks, console) with retries and backoff, and run "
        "the periodic jobs (no-show sweep, admission planning), and the background tasks "
        "(what-if runs, in a thread of their own). Loops until stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["once"]:
            # A what-if run takes minutes: it runs beside deliveries, never in their way.
            worker = task_worker(worker_id=f"dispatch-{os.getpid()}")
            threading.Thread(target=worker.run, name="tasks", daemon=True).start()
        while True:
            counts = dispatch_once()
            if any(counts.values()):
                self.stdout.write(f"deliveries: {counts}")
            now = time.monotonic()
            for job in JOBS:
                if options["once"] or now - job.last >= job.every_seconds:
                    job.last = now
                    try:
                        result = job.run()
                    except Exception:
                        # One failing job must not stop deliveries; it is logged and retried.
                        log.exception("job %s failed", job.name)
                    else:
                        if result or options["once"]:
                            self.stdout.write(f"{job.name}: {result}")
            if options["once"]:
                ran = run_ready_tasks(worker_id=f"dispatch-{os.getpid()}")
                if ran:
                    self.stdout.write(f"tasks: {ran}")
                return
            time.sleep(options["interval"])
