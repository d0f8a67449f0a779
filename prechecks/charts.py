"""Charts as standalone SVG documents (no Qt: the CLI uses them too; the wizard shows the same text with QtSvg).

Minimal stand-in with only :func:`line_chart`, per the shared contract (issue 17, item 4): the full module
(bar charts, the history's charts) comes from the charts branch and replaces this one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from xml.sax.saxutils import escape

__all__ = ["line_chart"]

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def line_chart(title: str, series: Mapping[str, Sequence[Sequence[float]]], unit: str, *, width: int = 800,
               height: int = 300) -> str:
    """One polyline per series over time (points ``[unix_time, value]``), a title, the value range and the time
    range as text. No script, no external reference; every text escaped."""
    left, right, top, bottom = 60, 10, 30, 40
    plot_w, plot_h = max(1, width - left - right), max(1, height - top - bottom)
    points = {name: [(float(p[0]), float(p[1])) for p in pts if len(p) >= 2] for name, pts in series.items()}
    every = [p for pts in points.values() for p in pts]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
             f'<text x="{left}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    if every:
        t0, t1 = min(t for t, _ in every), max(t for t, _ in every)
        high = max(v for _, v in every)
        low = min(0.0, *(v for _, v in every))
        span_t, span_v = (t1 - t0) or 1.0, (high - low) or 1.0

        def x(t: float) -> float:
            return left + (t - t0) / span_t * plot_w

        def y(v: float) -> float:
            return top + plot_h - (v - low) / span_v * plot_h

        parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
                     'stroke="#888888"/>')
        parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#888888"/>')
        parts.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{escape(_number(high))}</text>')
        parts.append(f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">{escape(_number(low))}</text>')
        parts.append(f'<text x="{left}" y="{height - 22}">{escape(_time(t0))}</text>')
        parts.append(f'<text x="{left + plot_w}" y="{height - 22}" text-anchor="end">{escape(_time(t1))}</text>')
        for index, (name, pts) in enumerate(points.items()):
            colour = COLOURS[index % len(COLOURS)]
            if pts:
                path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in sorted(pts))
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>')
            parts.append(f'<text x="{left + 10 + index * 180}" y="{height - 6}" fill="{colour}">'
                         f'{escape(name)} ({escape(unit)})</text>')
    else:
        parts.append(f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle">no data yet</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _time(unix_time: float) -> str:
    return datetime.fromtimestamp(unix_time, UTC).strftime("%Y-%m-%d %H:%M UTC")
