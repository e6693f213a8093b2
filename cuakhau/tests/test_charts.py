"""Server-drawn SVG charts: readable by screen readers, escaped, nothing inline that the CSP
refuses, numbers in the reader's language."""

from __future__ import annotations

import re

from django.utils import translation

from cuakhau.charts import Band, Chart, Line, Mark, Series, render


def _chart(**overrides: object) -> Chart:
    values: dict[str, object] = {
        "title": "Hữu Nghị <yard>",
        "description": "Trucks & capacity",
        "x_labels": ["01/12", "02/12", "03/12"],
        "series": [Series("Trucks", [500, 650, None], "s0")],
        "bands": [Band("90th", [500, 650, None], [550, 700, None])],
        "lines": [Line("Capacity", 600)],
        "marks": [Mark(1, "held at origin")],
    }
    values.update(overrides)
    return Chart(**values)  # type: ignore[arg-type]


def test_a_chart_has_a_title_a_description_and_escapes_text() -> None:
    svg = str(render(_chart()))
    assert '<svg viewBox="0 0 720 260" role="img"' in svg
    assert "<title id=" in svg and "Hữu Nghị &lt;yard&gt;" in svg and "<yard>" not in svg
    assert "Trucks &amp; capacity" in svg
    assert 'class="limit"' in svg and 'class="mark"' in svg and 'class="band"' in svg
    # The gap (None) breaks the line: one polyline of two points, no point for the third day.
    assert len(re.findall(r"<polyline", svg)) == 1
    assert svg.count('<circle class="s0"') == 2


def test_no_inline_style_or_script() -> None:
    svg = str(render(_chart(kind="bar", series=[Series("a", [1, 2, 3]), Series("b", [3, 0, 1])])))
    assert "style=" not in svg and "<script" not in svg and "<style" not in svg
    # Stacked bars: five non-empty segments, each with its own accessible title.
    assert len(re.findall(r'<rect class="s0"', svg)) == 5


def test_numbers_on_the_axis_follow_the_language() -> None:
    chart = _chart(series=[Series("Trucks", [12000, 18000, 16000])], lines=[], bands=[])
    with translation.override("vi"):
        assert "20.000" in str(render(chart))
    with translation.override("en"):
        assert "20,000" in str(render(chart))


def test_an_empty_chart_draws_nothing() -> None:
    assert str(render(_chart(x_labels=[], series=[]))) == ""


def test_dates_on_the_axes_follow_the_language() -> None:
    from datetime import date, datetime

    from cuakhau.charts import day_label, hour_label, month_label

    with translation.override("vi"):
        assert day_label(date(2026, 12, 2)) == "02/12"
        assert hour_label(datetime(2026, 12, 2, 14)) == "02/12 14h"
        assert month_label(date(2026, 12, 1)) == "12/2026"
    with translation.override("zh-hans"):
        assert day_label(date(2026, 12, 2)) == "12月2日"
        assert hour_label(datetime(2026, 12, 2, 14)) == "12月2日 14时"
        assert month_label(date(2026, 12, 1)) == "2026年12月"
