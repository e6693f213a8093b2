from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.services import Checkpoint, verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit chain; exit non-zero naming the first broken row. With --checkpoint "
        "FILE (lines written by `cuakhau audit-checkpoint`), also detect rows removed with "
        "their head and a chain hashed again after a change."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--checkpoint", metavar="FILE", action="append", default=[])

    def handle(self, *args: Any, **options: Any) -> None:
        marks: list[Checkpoint] = []
        for name in options["checkpoint"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"no checkpoint file {path}")
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    marks.append(Checkpoint.from_json(line))
                except ValueError as exc:
                    raise CommandError(f"{path}:{number}: not a checkpoint: {exc}") from exc
        count, broken = verify_chain(marks)
        if broken is not None:
            raise CommandError(f"audit chain broken at row #{broken.seq}: {broken.reason}")
        checked = f", checked against {len(marks)} checkpoints" if marks else ""
        self.stdout.write(f"audit chain intact: {count} events verified{checked}")
