"""Amounts of VND as people read them."""

from __future__ import annotations


def vnd(amount: int | None) -> str:
    """12345678 → "12.345.678 ₫" (Vietnamese grouping, whatever the page's language)."""
    return "—" if amount is None else f"{amount:,}".replace(",", ".") + " ₫"
