"""Charts as server-rendered SVG (issue 15): no chart library, nothing to load, they
print and work with JavaScript off.

Each chart is a pure function of its numbers returning SVG markup with a <title> and a
<desc> (named by `aria-labelledby`); the page puts the same numbers in a table for
screen readers beside it. Sizes are in a viewBox, so the chart scales with its box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 600, 200, 24


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _head(chart_id: str, title: str, desc: str, width: int, height: int, css: str) -> str:
    return (
        f'<svg class="chart {css}" id="{chart_id}" viewBox="0 0 {width} {height}" role="img"'
        f' aria-labelledby="{chart_id}-t {chart_id}-d" preserveAspectRatio="none"'
        f' xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>'
    )


def _y(value: float, top: float) -> float:
    inner = HEIGHT - 2 * PAD
    return round(HEIGHT - PAD - (value / top) * inner if top else HEIGHT - PAD, 1)


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    *,
    line: Sequence[int] = (),
    ceiling: int | None = None,
) -> Markup:
    """Bars (one per label), and optionally a line over them (e.g. the cumulative sales)
    against a ceiling drawn dashed (e.g. the capacity)."""
    top = max([1, *(b.value for b in bars), *line, *([ceiling] if ceiling else [])])
    parts = [_head(chart_id, title, desc, WIDTH, HEIGHT, "bars")]
    parts.append(
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}"'
        f' y2="{HEIGHT - PAD}"/>'
    )
    if bars:
        step = (WIDTH - 2 * PAD) / len(bars)
        for i, b in enumerate(bars):
            x = round(PAD + i * step + step * 0.15, 1)
            y = _y(max(b.value, 0), top)
            parts.append(
                f'<rect class="bar" x="{x}" y="{y}" width="{round(step * 0.7, 1)}"'
                f' height="{round(HEIGHT - PAD - y, 1)}"/>'
            )
        if len(bars) <= 14:
            for i, b in enumerate(bars):
                x = round(PAD + (i + 0.5) * step, 1)
                parts.append(
                    f'<text class="tick" x="{x}" y="{HEIGHT - 6}" text-anchor="middle">'
                    f"{escape(b.label)}</text>"
                )
        if line:
            points = " ".join(
                f"{round(PAD + (i + 0.5) * step, 1)},{_y(v, top)}" for i, v in enumerate(line)
            )
            parts.append(f'<polyline class="line" points="{points}"/>')
    if ceiling:
        y = _y(ceiling, top)
        parts.append(
            f'<line class="ceiling" x1="{PAD}" y1="{y}" x2="{WIDTH - PAD}" y2="{y}"/>'
            f'<text class="tick" x="{WIDTH - PAD}" y="{max(y - 4, 10)}" text-anchor="end">'
            f"capacity {ceiling}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)


def sparkline(chart_id: str, title: str, values: Sequence[int]) -> Markup:
    """A small line of cumulative values, for a row of a list."""
    width, height = 100, 24
    top = max([1, *values])
    if len(values) < 2:
        values = [0, *values] if values else [0, 0]
    step = (width - 4) / (len(values) - 1)
    points = " ".join(
        f"{round(2 + i * step, 1)},{round(height - 2 - v / top * (height - 4), 1)}"
        for i, v in enumerate(values)
    )
    desc = f"{values[-1]} in all" if values else "none yet"
    return Markup(  # noqa: S704 (title escaped, the rest numbers)
        _head(chart_id, title, desc, width, height, "spark")
        + f'<polyline class="line" points="{points}"/></svg>'
    )
