"""Charts drawn on the server as SVG: no script, nothing inline that the Content-Security-Policy
refuses (colours come from classes in ``site.css``), readable on a phone at the border gate and
by a screen reader (each chart has a title and a description, and its page a table of the
same figures).

Why not a JavaScript library: Plotly, served from its Python package, needs inline styles that
our ``style-src 'self'`` refuses (plotly.js issues 2355 and 7543) and weighs several megabytes;
the charts the board and the public need are lines, bands and bars over days or months, which
a few dozen lines of SVG draw in the reader's own number and date formats.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from cuakhau.numbers import format_decimal

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 44


@dataclass
class Series:
    name: str
    values: Sequence[float | None]
    #: CSS class: s0…s5 for the palette, or a meaning (over, held, band).
    css: str = "s0"


@dataclass
class Band:
    """A shaded interval (a forecast's 80 % band) between two series of values."""

    name: str
    low: Sequence[float | None]
    high: Sequence[float | None]
    css: str = "band"


@dataclass
class Line:
    """A horizontal line: a yard's capacity."""

    name: str
    value: float
    css: str = "limit"


@dataclass
class Mark:
    """An x position shaded across the plot (a held day, an hour over capacity)."""

    index: int
    name: str
    css: str = "mark"


@dataclass
class Chart:
    title: str
    description: str
    x_labels: Sequence[str]
    series: list[Series] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    kind: str = "line"  # or "bar" (stacked)
    #: The top of the value axis when it is fixed (100 for shares in %); else a round step.
    ceiling: float | None = None
    number: Callable[[float], str] = field(default=lambda v: format_decimal(round_nice(v)))


def _chinese() -> bool:
    return (get_language() or "vi").lower().startswith("zh")


def day_label(day: date) -> str:
    """A day on an axis, the reader's way: "02/12" in Vietnamese and English, "12月2日" in
    Chinese (day before month would be misread there)."""
    return f"{day.month}月{day.day}日" if _chinese() else f"{day:%d/%m}"


def hour_label(moment: datetime) -> str:
    """An hour on an axis: "02/12 14h", or "12月2日 14时"."""
    return f"{day_label(moment.date())} {moment.hour:02d}{'时' if _chinese() else 'h'}"


def month_label(month: date) -> str:
    """A month: "12/2026", or "2026年12月"."""
    return f"{month.year}年{month.month}月" if _chinese() else f"{month:%m/%Y}"


def round_nice(value: float) -> Decimal:
    if abs(value) >= 100:
        return Decimal(round(value))
    if abs(value) >= 1 or value == 0:
        return Decimal(str(round(value, 1)))
    return Decimal(str(round(value, 2)))


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × a power of ten at or above ``value`` (at least 0.25)."""
    if value <= 0.25:
        return 0.25
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def render(chart: Chart) -> SafeString:
    n = len(chart.x_labels)
    if n == 0:
        return mark_safe("")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if chart.kind == "bar":
        tops = [
            sum(v or 0 for v in values)
            for values in zip(*(s.values for s in chart.series), strict=True)
        ]
    else:
        tops = [v for s in chart.series for v in s.values if v is not None]
        tops += [v for b in chart.bands for v in b.high if v is not None]
    tops += [line.value for line in chart.lines]
    # Four gridlines at a round step: 0, 250, 500, 750, 1,000 rather than 0, 1.2, 2.5…
    step = _nice_ceiling(max(tops, default=0) * 1.05 / 4)
    ceiling = chart.ceiling or step * 4
    slot = plot_w / n

    def x(i: float) -> float:
        return LEFT + slot * (i + 0.5)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / ceiling)

    parts: list[str] = []
    # Held days and other marks behind everything else.
    for mark in chart.marks:
        parts.append(
            f'<rect class="{escape(mark.css)}" x="{LEFT + slot * mark.index:.1f}" y="{TOP}" '
            f'width="{slot:.1f}" height="{plot_h}"><title>{escape(mark.name)} · '
            f"{escape(chart.x_labels[mark.index])}</title></rect>"
        )
    for k in range(5):
        value = ceiling * k / 4
        parts.append(
            f'<line class="gridline" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/><text class="tick" x="{LEFT - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{escape(chart.number(value))}</text>'
        )
    # As many labels as fit side by side (about 6.5 px a character at 11 px).
    widest = max(len(label) for label in chart.x_labels) * 6.5 + 12
    every = max(1, math.ceil(n / max(1, int(plot_w // widest))))
    for i, label in enumerate(chart.x_labels):
        if i % every == 0:
            # Every other label is marked: a phone shows the ticks larger and half as many
            # (site.css), so they stay readable and do not overlap.
            odd = " odd" if (i // every) % 2 else ""
            parts.append(
                f'<text class="tick x{odd}" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for band in chart.bands:
        upper = [(x(i), y(v)) for i, v in enumerate(band.high) if v is not None]
        lower = [(x(i), y(v)) for i, v in enumerate(band.low) if v is not None]
        if upper and lower:
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in upper + lower[::-1])
            parts.append(
                f'<polygon class="{band.css}" points="{points}"><title>{escape(band.name)}'
                "</title></polygon>"
            )
    if chart.kind == "bar":
        base = [0.0] * n
        width = slot * 0.7
        for s in chart.series:
            for i, v in enumerate(s.values):
                if not v:
                    continue
                parts.append(
                    f'<rect class="{s.css}" x="{x(i) - width / 2:.1f}" y="{y(base[i] + v):.1f}" '
                    f'width="{width:.1f}" height="{y(base[i]) - y(base[i] + v):.1f}">'
                    f"<title>{escape(s.name)} · {escape(chart.x_labels[i])}: "
                    f"{escape(chart.number(v))}</title></rect>"
                )
                base[i] += v
    else:
        for s in chart.series:
            runs: list[list[tuple[float, float]]] = [[]]
            for i, v in enumerate(s.values):
                if v is None:
                    runs.append([])
                else:
                    runs[-1].append((x(i), y(v)))
            for run in runs:
                if len(run) > 1:
                    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
                    parts.append(f'<polyline class="{s.css}" points="{points}"/>')
                for a, b in run:
                    parts.append(f'<circle class="{s.css}" cx="{a:.1f}" cy="{b:.1f}" r="2.5"/>')
    for line in chart.lines:
        parts.append(
            f'<line class="{line.css}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(line.value):.1f}" '
            f'y2="{y(line.value):.1f}"/><text class="{line.css}-label" x="{WIDTH - RIGHT}" '
            f'y="{y(line.value) - 4:.1f}" text-anchor="end">{escape(line.name)}: '
            f"{escape(chart.number(line.value))}</text>"
        )
    legend = [(s.name, s.css) for s in chart.series] + [(b.name, b.css) for b in chart.bands]
    legend += list(dict.fromkeys((mark.name, mark.css) for mark in chart.marks))
    keys = "".join(
        f'<li><span class="key {escape(css)}" aria-hidden="true"></span>{escape(name)}</li>'
        for name, css in legend
    )
    title_id = f"chart-{zlib.crc32(chart.title.encode()):08x}"
    return mark_safe(  # noqa: S308 - every text above is escaped; the rest is numbers
        f'<figure class="chart" data-chart="{escape(chart.kind)}">'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{title_id}-t '
        f'{title_id}-d" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{title_id}-t">{escape(chart.title)}</title>'
        f'<desc id="{title_id}-d">{escape(chart.description)}</desc>'
        f"{''.join(parts)}</svg>"
        f'<figcaption><strong>{escape(chart.title)}</strong><ul class="legend">{keys}</ul>'
        f"</figcaption></figure>"
    )
