from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.services import Checkpoint, checkpoint


class Command(BaseCommand):
    help = (
        "Print the audit chain's head (sequence number, hash, time) as one JSON line, or append "
        "it to FILE. Keep the lines outside the database (or publish them daily): "
        "`verify-audit --checkpoint FILE` then detects truncation and re-hashing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--append", metavar="FILE", help="append the line to FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options.get("append")
        previous = None
        if target:
            path = Path(target)
            if path.exists():
                lines = [line for line in path.read_text().splitlines() if line.strip()]
                try:
                    previous = Checkpoint.from_json(lines[-1]) if lines else None
                except ValueError as exc:
                    raise CommandError(f"{path}: the last line is not a checkpoint: {exc}") from exc
        mark = checkpoint(previous)
        if target:
            with Path(target).open("a") as out:
                out.write(mark.to_json() + "\n")
        self.stdout.write(mark.to_json())
