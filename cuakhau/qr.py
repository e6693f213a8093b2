"""QR codes drawn on the server as inline SVG (segno): no script, no image, works offline."""

from __future__ import annotations

import segno


def qr_svg(text: str) -> str:
    """An SVG QR code of ``text`` (medium error correction), titled with the text itself."""
    return segno.make(text, error="m").svg_inline(scale=4, border=2, title=text)
