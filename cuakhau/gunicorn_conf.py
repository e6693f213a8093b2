"""gunicorn settings for ``cuakhau serve``: the web server also starts the outbox worker.

``cuakhau dispatch`` applies camera events, sends notifications, sweeps no-shows and plans
admission. It runs beside gunicorn's workers unless ``CUAKHAU_DISPATCH=0`` (run it as its own
service then, e.g. under systemd, as many as you like).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

_dispatcher: subprocess.Popen[bytes] | None = None


def when_ready(server: Any) -> None:
    global _dispatcher
    if os.environ.get("CUAKHAU_DISPATCH", "1") != "0":
        command = str(Path(sys.executable).with_name("cuakhau"))
        _dispatcher = subprocess.Popen([command, "dispatch"])  # noqa: S603 - our own command


def on_exit(server: Any) -> None:
    if _dispatcher is not None:
        _dispatcher.terminate()
        _dispatcher.wait(timeout=15)
