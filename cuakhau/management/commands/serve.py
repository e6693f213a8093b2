from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Prepare the database, static files and translations, then serve the platform with "
        "gunicorn (DEBUG off). With --demo, load demo accounts and traffic first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo", action="store_true", help="load demo accounts and 30 days of traffic"
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("CUAKHAU_WORKERS", "3"))
        )
        parser.add_argument("--no-prepare", action="store_true", help="skip migrate/collectstatic")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG:
            self.stderr.write(self.style.WARNING("CUAKHAU_DEBUG is on: never expose this server."))
        if not options["no_prepare"]:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("compile_translations", verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
            call_command("load_reference", verbosity=0)
            if options["demo"]:
                call_command("demo", if_empty=True)
        if options["demo"]:
            # The demo's payments go through the demo provider (no money); a production start
            # without --demo never registers it unless CUAKHAU_DEMO_PAYMENTS says so.
            os.environ.setdefault("CUAKHAU_DEMO_PAYMENTS", "1")
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which(
            "gunicorn"
        )
        if gunicorn is None:
            raise CommandError("gunicorn is not installed in this environment")
        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"cuakhau serving at http://{bind}/"))
        sys.stdout.flush()
        os.execv(  # noqa: S606 - replace this process with the production server
            gunicorn,
            [
                gunicorn,
                "cuakhau.wsgi:application",
                "--config",
                "python:cuakhau.gunicorn_conf",
                "--bind",
                bind,
                "--workers",
                str(options["workers"]),
                # Threads per worker keep connections alive (the gate board polls, cameras
                # post continuously) without a process per connection.
                "--worker-class",
                "gthread",
                "--threads",
                os.environ.get("CUAKHAU_THREADS", "4"),
                "--keep-alive",
                "5",
                "--access-logfile",
                "-",
                "--timeout",
                "60",
            ],
        )
