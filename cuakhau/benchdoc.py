"""docs/benchmarks.md is written by several benchmarks: each replaces only its own section."""

from __future__ import annotations

import re
from pathlib import Path


def replace_section(path: Path, heading: str, text: str) -> None:
    """Put ``text`` (which starts with ``heading``) in place of that section, or at the end."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    parts = re.split(rf"(?m)^{re.escape(heading)}\n", current, maxsplit=1)
    if len(parts) == 1:
        path.write_text(current.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n", encoding="utf-8")
        return
    before, after = parts
    following = re.search(r"(?m)^## ", after)
    rest = after[following.start() :] if following else ""
    body = before.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    path.write_text(body + ("\n" + rest if rest else ""), encoding="utf-8")
