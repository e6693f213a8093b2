"""Numbers on pages in the reader's language: "18.000" in Vietnamese, "18,000" in English."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from cuakhau.numbers import format_decimal

register = template.Library()


@register.filter
def num(value: Any, places: int = 0) -> str:
    """``value`` rounded to ``places`` decimals, grouped by thousands; "—" when missing."""
    if value is None or value == "":
        return "—"
    quantum = Decimal(1).scaleb(-int(places))
    return format_decimal(Decimal(str(value)).quantize(quantum))


@register.filter
def pct(value: Any, places: int = 0) -> str:
    """A share (0.25) as a percentage ("25 %"), "—" when missing."""
    if value is None or value == "":
        return "—"
    return f"{num(Decimal(str(value)) * 100, places)} %"


@register.filter
def change(value: Any) -> str:
    """A relative change (0.12) as a signed percentage ("+12 %"), "—" when missing."""
    if value is None or value == "":
        return "—"
    sign = "+" if value > 0 else ""
    return f"{sign}{num(Decimal(str(value)) * 100, 1)} %"


@register.filter
def billions(value: Any) -> str:
    """VND as billions with two decimals ("34,25" in Vietnamese)."""
    if value is None or value == "":
        return "—"
    return num(Decimal(str(value)) / Decimal(1_000_000_000), 2)
