"""The ``cuakhau`` console command: the single way in.

cuakhau serve [--demo] [--host H] [--port P] [--workers N]
cuakhau demo [--days 30] [--seed 1]
cuakhau load-reference
cuakhau verify-audit [--checkpoint FILE]
cuakhau audit-checkpoint [--append FILE]   the audit chain's head, to keep outside the database
cuakhau dispatch [--once]       the outbox and periodic jobs (camera events, no-shows, admission,
                                yard charges, refunds)
cuakhau bench-events            plate events over HTTP (make bench)
cuakhau bench-payments          payment callbacks over HTTP (make bench)
cuakhau bench-stats             trade statistics on the database at hand (make bench-stats)
cuakhau <any Django management command>
"""

from __future__ import annotations

import os
import sys

ENGINE_COMMANDS = ("simulate", "scenario", "forecast")
ALIASES = {
    "load-reference": "load_reference",
    "verify-audit": "verify_audit",
    "audit-checkpoint": "audit_checkpoint",
    "bench-events": "bench_events",
    "bench-payments": "bench_payments",
    "bench-stats": "bench_stats",
}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cuakhau.settings")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] in ENGINE_COMMANDS:
        from engine.cli import COMMANDS

        try:
            code = COMMANDS[args[1]](args[2:])
        except BrokenPipeError:
            # The reader (``| head``) went away: stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 1
        sys.exit(code)
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cuakhau", *args[1:]])


if __name__ == "__main__":
    main()
