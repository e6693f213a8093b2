from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Walk the audit chain; exit non-zero naming the first broken row."

    def handle(self, *args: Any, **options: Any) -> None:
        count, broken = verify_chain()
        if broken is not None:
            raise CommandError(f"audit chain broken at row #{broken.seq}: {broken.reason}")
        self.stdout.write(f"audit chain intact: {count} events verified")
