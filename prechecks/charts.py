"""Charts of the load over days (history.json): one module for the archive's charts/*.svg, report.html and the
wizard, which shows the same SVG text with QtSvg. No Qt here (the command-line tool draws them too).

Drawn with pygal (pure Python, SVG out). Every chart is a standalone SVG document that loads nothing: pygal's
scripts are off (``js=[]``) and its inline configuration script is removed, the styles are inline, the fonts
are the system's, and :func:`_standalone` refuses any ``href``/``url()`` that is not a ``#fragment``. Text
(titles, legends, labels) is escaped by the XML writer, so a name from a server stays text.

* :func:`line_chart` — series of ``[unix_time, value]`` over time (UTC); a gap breaks the line, never bridges it;
* :func:`bar_chart` — one value per label (the weekly profile), the highest bar in a second colour;
* :func:`history_charts` — the charts a history.json document gives, by file name; a chart whose series are
  all missing is absent, not drawn empty.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import statistics
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pygal
from pygal.style import Style

from collectors.series import bucket

# pygal appends a finder for its map plugins (not used here) to sys.meta_path, one with only the legacy
# find_module: on Python 3.11 every import that misses after that (mimetypes' _winapi, an optional module)
# warns "PluginImportFixer.find_spec() not found" (ImportWarning). Taken out again.
sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, pygal.PluginImportFixer)]

__all__ = ["MAX_POINTS", "bar_chart", "format_value", "history_charts", "line_chart"]

MAX_POINTS = 600  # per series on one chart (history.json keeps up to 2,000): enough for 800 pixels
GAP_FACTOR = 3.0  # two points further apart than this many typical steps: a gap, the line breaks there
BUSIEST_COLOUR = "#c0392b"
_COLOURS = ("#1f6fb2", "#e08e0b", "#2e8b57", "#8e44ad", "#7f8c8d")
_FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"  # the system's: no web font

_STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#333333", foreground_strong="#111111",
    foreground_subtle="#999999", opacity="0.9", opacity_hover="0.9", transition="none", colors=_COLOURS,
    font_family=_FONT, label_font_family=_FONT, major_label_font_family=_FONT, value_font_family=_FONT,
    value_label_font_family=_FONT, tooltip_font_family=_FONT, title_font_family=_FONT,
    legend_font_family=_FONT, no_data_font_family=_FONT, title_font_size=15, legend_font_size=12,
    label_font_size=11, major_label_font_size=11,
)
_COMMON: dict[str, Any] = {
    "js": [],  # pygal's tooltips script is fetched from a CDN: never
    "style": _STYLE, "explicit_size": True, "disable_xml_declaration": False, "include_x_axis": True,
    "print_values": False, "show_x_guides": False, "show_y_guides": True, "legend_at_bottom": True,
    "legend_box_size": 10, "truncate_legend": -1, "truncate_label": -1, "margin": 12, "max_scale": 8,
}
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_EXTERNAL = re.compile(r"""(?i)(?:href\s*=\s*["'](?!#)|url\(\s*["']?(?!#)|@import|<script|<foreignObject)""")
_NOFILL = re.compile(r'<path ((?:[^>]*?)class="[^"]*\bnofill\b)')
_ROOT = re.compile(r'<svg [^>]*\bid="([^"]+)"[^>]*>(.*)</svg>', re.S)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def format_value(value: float, unit: str) -> str:
    """A value as a DBA reads it: ``1,234/s``, ``45 %``, ``3.2 GiB``, ``120``."""
    if unit == "percent":
        return f"{value:.0f} %" if abs(value) >= 10 or value == 0 else f"{value:.1f} %"
    if unit in ("bytes", "bytes_per_second"):
        size = float(value)
        for prefix in ("B", "KiB", "MiB", "GiB", "TiB"):
            if abs(size) < 1024 or prefix == "TiB":
                text = f"{size:.0f} {prefix}" if prefix == "B" or abs(size) >= 100 else f"{size:.1f} {prefix}"
                return text + ("/s" if unit == "bytes_per_second" else "")
            size /= 1024
    number = f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.3g}"
    return number + ("/s" if unit == "per_second" else "")


def _when(unix_time: float, *, long: bool = False) -> str:
    return datetime.fromtimestamp(unix_time, UTC).strftime("%a %d %b %H:%M" if long else "%d %b %H:%M")


def _standalone(svg: str, key: str) -> str:
    """pygal's SVG made standalone and reproducible: its configuration script and comments removed (the script
    holds the title as JSON; the comments the date), its random chart id replaced by one from ``key``, and a
    line's "no fill" written as an attribute too (QtSvg does not apply that part of pygal's stylesheet)."""
    svg = _COMMENT.sub("", _SCRIPT.sub("", svg))
    svg = _UUID.sub("c" + hashlib.sha256(key.encode()).hexdigest()[:16], svg)
    svg = _NOFILL.sub(r'<path fill="none" \1', svg)
    found = _EXTERNAL.search(svg)
    if found:  # a pygal change we have not seen: refuse rather than ship a chart that loads something
        raise ValueError(f"chart SVG refers to something outside itself ({found.group()!r})")
    return svg


def _stacked(svgs: Sequence[str], width: int, height: int) -> str:
    """Several charts of ``width`` x ``height`` one above the other in one SVG document (each keeps its own
    stylesheet, scoped by its id)."""
    parts = []
    for index, svg in enumerate(svgs):
        found = _ROOT.search(svg)
        if found is None:
            raise ValueError("chart SVG without its root element")
        parts.append(f'<g id="{found.group(1)}" class="pygal-chart" transform="translate(0,{index * height})">'
                     f"{found.group(2)}</g>")
    total = height * len(svgs)
    return ("<?xml version='1.0' encoding='utf-8'?>\n"
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total}" width="{width}" '
            f'height="{total}">{"".join(parts)}</svg>')


def _points(points: Sequence[Sequence[float]]) -> list[tuple[float, float | None]]:
    """The points to draw (at most MAX_POINTS), with a None where a gap in the samples breaks the line."""
    kept = [(float(t), float(v)) for t, v in bucket(points, MAX_POINTS)]
    if len(kept) < 3:
        return list(kept)
    steps = [b[0] - a[0] for a, b in itertools.pairwise(kept)]
    typical = statistics.median(steps)
    out: list[tuple[float, float | None]] = [kept[0]]
    for (t0, _), point in itertools.pairwise(kept):
        if typical > 0 and point[0] - t0 > GAP_FACTOR * typical:
            out.append(((t0 + point[0]) / 2, None))
        out.append(point)
    return out


_LABEL_STEPS = (3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 28 * 86400)


def _time_labels(first: float, last: float) -> tuple[list[float], str]:
    """At most seven axis labels at whole hours or UTC midnights across [first, last], and their strftime."""
    for step in _LABEL_STEPS:
        labels = list(range(int(-(-first // step) * step), int(last) + 1, step))
        if len(labels) <= 7:
            break
    return [float(t) for t in labels], ("%a %d %b" if step >= 86400 else "%d %b %H:%M")


def line_chart(title: str, series: Mapping[str, Sequence[Sequence[float]]], unit: str, *, width: int = 800,
               height: int = 300, maxima: Mapping[str, tuple[float, float]] | None = None) -> str:
    """A standalone SVG document: each series a line over time (``[unix_time, value]`` points, UTC), the
    title's second line the maximum of each series and when it was (from every point given, or ``maxima``:
    series -> (unix_time, value) when the points were averaged before, as history.json's are)."""
    drawn = {name: _points(points) for name, points in series.items() if points}
    peaks = []
    for name, points in series.items():
        if not points:
            continue
        when, top = (maxima or {}).get(name) or max(((float(t), float(v)) for t, v in points), key=lambda p: p[1])
        label = f"{name} " if len(drawn) > 1 else ""
        peaks.append(f"{label}max {format_value(top, unit)} ({_when(when, long=True)} UTC)")
    times = [t for points in drawn.values() for t, _ in points]
    labels, pattern = _time_labels(min(times), max(times)) if times else ([], "%d %b %H:%M")
    chart = pygal.XY(width=width, height=height, title=title + ("\n" + ", ".join(peaks) if peaks else ""),
                     show_dots=False, allow_interruptions=True, show_legend=len(drawn) > 1,
                     x_value_formatter=lambda t: datetime.fromtimestamp(t, UTC).strftime(pattern),
                     value_formatter=lambda v: format_value(v, unit), x_label_rotation=0,
                     stroke_style={"width": 1.5}, **_COMMON)
    chart.x_labels = labels
    for name, line in drawn.items():
        chart.add(name, line)
    key = json.dumps([title, unit, width, height, list(series), times[:1], times[-1:]])
    return _standalone(chart.render(is_unicode=True), key)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None], unit: str, *, width: int = 800,
              height: int = 300) -> str:
    """A standalone SVG document: one bar per label (None: no bar), the highest bar in a second colour."""
    known = [v for v in values if v is not None]
    top = max(known) if known else None
    chart = pygal.Bar(width=width, height=height, title=title, show_legend=False, x_label_rotation=0,
                      value_formatter=lambda v: format_value(v, unit), **_COMMON)
    chart.x_labels = list(labels)
    busiest = values.index(top) if top is not None else -1
    chart.add(title, [None if v is None else {"value": v, "color": BUSIEST_COLOUR} if i == busiest else v
                      for i, v in enumerate(values)])
    key = json.dumps([title, unit, width, height, list(labels)])
    return _standalone(chart.render(is_unicode=True), key)


# file name, title, unit, series (name in history.json -> legend)
LINE_CHARTS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("queries_per_second.svg", "Queries per second", "per_second",
     (("queries_per_second", "all queries"), ("reads_per_second", "reads (SELECT)"),
      ("writes_per_second", "writes (INSERT, UPDATE, DELETE, REPLACE)"))),
    ("connections.svg", "Connections and threads running", "count",
     (("connections", "connections"), ("threads_running", "threads running"))),
    ("cpu_percent.svg", "CPU", "percent", (("cpu_percent", "CPU"),)),
)
HOURS = tuple(f"{hour:02d}" for hour in range(24))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _window(history: Mapping[str, Any]) -> str:
    """"14 days from prometheus, 22 Nov – 06 Dec 2026": what every chart's title ends with."""
    window = _mapping(history.get("window"))
    source = str(history.get("source") or "history")
    first, last = _stamp(window.get("start")), _stamp(window.get("end"))
    if first is None or last is None:
        return f"from {source}"
    start, end = datetime.fromtimestamp(first, UTC), datetime.fromtimestamp(last, UTC)
    seconds = (end - start).total_seconds()
    span = f"{seconds / 86400:.0f} days" if seconds >= 2 * 86400 else f"{seconds / 3600:.0f} hours"
    return f"{span} from {source}, {start:%d %b} – {end:%d %b %Y} UTC"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _stamp(text: object) -> float | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def history_charts(history: Mapping[str, Any]) -> dict[str, str]:
    """The charts of a history.json document, file name -> SVG: query rate, connections and threads running,
    CPU, and the weekly profile (by hour of day above, by day of week below). Only those it has data for."""
    charts: dict[str, str] = {}
    series = _mapping(history.get("series"))
    window = _window(history)
    for file_name, title, unit, names in LINE_CHARTS:
        drawn: dict[str, Sequence[Sequence[float]]] = {}
        maxima: dict[str, tuple[float, float]] = {}
        for name, legend in names:
            entry = _mapping(series.get(name))
            points = entry.get("points")
            if not isinstance(points, list) or not points:
                continue
            drawn[legend] = points
            when, top = _stamp(entry.get("max_at")), entry.get("max")
            if when is not None and isinstance(top, (int, float)):  # from every sample, not the averaged points
                maxima[legend] = (when, float(top))
        if drawn:
            charts[file_name] = line_chart(f"{title} ({window})", drawn, unit, maxima=maxima)
    profile = history.get("weekly_profile")
    if isinstance(profile, Mapping):
        of = str(profile.get("series") or "queries_per_second")
        unit = str(_mapping(series.get(of)).get("unit") or "per_second")
        bars = []
        for labels, key, by in ((HOURS, "by_hour", "hour of day (UTC)"), (WEEKDAYS, "by_weekday", "day of week")):
            values = profile.get(key)
            if isinstance(values, list) and len(values) == len(labels) and any(v is not None for v in values):
                bars.append(bar_chart(f"Average {of.replace('_', ' ')} by {by}, {window}", labels, values, unit))
        if bars:
            charts["weekly_profile.svg"] = _stacked(bars, 800, 300)
    return charts
