"""CSV cells that a spreadsheet would run as a formula are written as text.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is read by
Excel and LibreOffice as a formula: a reason typed as ``=HYPERLINK("http://…","click")`` runs in
the reader's spreadsheet. Such a cell gets a leading apostrophe, which spreadsheets show as text
(OWASP, "CSV Injection"). Plain numbers (``-5``, ``+84912345678`` is not one) stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def safe_cell(value: Any) -> Any:
    """``value``, made inert if a spreadsheet would take it for a formula."""
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def safe_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: safe_cell(v) for k, v in row.items()}
