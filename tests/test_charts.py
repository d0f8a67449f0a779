"""prechecks/charts.py: the SVG charts of history.json (issue 17 item 4), read back as XML: the line has the
points planted, a gap breaks it, the title names the peak, the weekly profile's highest bar is the planted
hour and day, a missing series gives no chart, and nothing in a chart refers outside it or runs."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from collectors.series import bucket, history_document
from prechecks.charts import BUSIEST_COLOUR, MAX_POINTS, bar_chart, format_value, history_charts, line_chart

SVG = "{http://www.w3.org/2000/svg}"
START = 1795392000  # Monday 23 Nov 2026 00:00 UTC
STEP = 300
EXTERNAL = re.compile(r"""(?i)href\s*=\s*["'](?!#)|url\(\s*["']?(?!#)|@import|<script|javascript:""")


def parse(svg: str) -> ET.Element:
    assert svg.startswith("<?xml")
    return ET.fromstring(svg.encode())


def line_paths(root: ET.Element) -> list[list[str]]:
    """Each series' lines (not the axes or guides): one path per piece of line."""
    series = [g for g in root.iter(f"{SVG}g") if "series" in (g.get("class") or "").split()]
    lines = [[p.get("d") or "" for p in g.iter(f"{SVG}path") if "nofill" in (p.get("class") or "").split()]
             for g in series]
    return [line for line in lines if line]


def vertices(pieces: list[str]) -> int:
    return sum(len(re.findall(r"-?[\d.]+", d)) // 2 for d in pieces)


def texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(f"{SVG}text")]


def self_contained(svg: str) -> None:
    assert EXTERNAL.search(svg) is None, EXTERNAL.search(svg)
    root = parse(svg)
    tags = {e.tag.removeprefix(SVG) for e in root.iter()}
    assert not tags & {"script", "foreignObject", "image", "use", "a"}, tags


def week(planted_day: int = 1, planted_hour: int = 14, days: int = 14, gap: range | None = None) -> dict[str, Any]:
    """Two weeks of 5-minute samples: a daily wave, one hour a week four times as busy, an optional gap."""
    series: dict[str, list[list[float]]] = {"q": [], "c": [], "t": [], "cpu": []}
    for i in range(days * 288):
        if gap is not None and i in gap:
            continue
        ts = START + i * STEP
        hour, day = (ts // 3600) % 24, ((ts // 86400) + 3) % 7  # 1 Jan 1970 was a Thursday
        planted = 1000 if (day, hour) == (planted_day, planted_hour) else 0
        value = 100 + 50 * math.sin(hour / 24 * 2 * math.pi) + planted
        series["q"].append([ts, value])
        series["c"].append([ts, 40 + value / 10])
        series["t"].append([ts, 2 + value / 100])
        series["cpu"].append([ts, 10 + value / 10])
    return history_document("prometheus", START, START + days * 86400, STEP, {
        "queries_per_second": ("per_second", series["q"]), "connections": ("count", series["c"]),
        "threads_running": ("count", series["t"]), "cpu_percent": ("percent", series["cpu"])})


def test_a_line_has_every_planted_point_and_its_peak_in_the_title() -> None:
    points = [[START + i * 60, float(i % 7)] for i in range(50)]
    points[23][1] = 123.0
    svg = line_chart("Queries per second", {"queries": points}, "per_second")
    self_contained(svg)
    root = parse(svg)
    (line,) = line_paths(root)
    assert vertices(line) == 50 and len(line) == 1
    title = texts(root)
    assert "Queries per second" in title
    assert "max 123/s (Mon 23 Nov 00:23 UTC)" in title  # the peak and when, in UTC


def test_a_gap_breaks_the_line_and_many_points_are_averaged() -> None:
    points = [[START + i * 60, 1.0 + i % 3] for i in range(100) if not 40 <= i < 60]
    (line,) = line_paths(parse(line_chart("t", {"s": points}, "count")))
    assert len(line) == 2 and vertices(line) == 80  # two pieces, never a line across the gap
    many = [[START + i, float(i)] for i in range(10 * MAX_POINTS)]
    (line,) = line_paths(parse(line_chart("t", {"s": many}, "count")))
    assert len(line) == 1 and MAX_POINTS // 2 < vertices(line) <= MAX_POINTS


def test_history_charts_draw_what_the_document_has_and_only_that() -> None:
    history = week(gap=range(1000, 1100))
    charts = history_charts(history)
    assert sorted(charts) == ["connections.svg", "cpu_percent.svg", "queries_per_second.svg", "weekly_profile.svg"]
    for svg in charts.values():
        self_contained(svg)
    # the peak in the title is history.json's own (from every sample), not the averaged points'
    stats = history["series"]["queries_per_second"]
    assert stats["max"] == 1075 and stats["max_at"] == "2026-11-24T14:00:00Z"
    title = texts(parse(charts["queries_per_second.svg"]))
    assert "max 1,075/s (Tue 24 Nov 14:00 UTC)" in title
    assert any("14 days from prometheus, 23 Nov – 07 Dec 2026 UTC" in t for t in title)
    lines = line_paths(parse(charts["connections.svg"]))
    assert [vertices(line) for line in lines] == [len(bucket(history["series"][name]["points"], MAX_POINTS))
                                                 for name in ("connections", "threads_running")]
    assert [len(line) for line in lines] == [2, 2]  # both broken at the gap

    # a missing series is no chart, not an empty one; a series with no points neither
    del history["series"]["cpu_percent"]
    history["series"]["connections"]["points"] = []
    history["series"]["threads_running"]["points"] = []
    history["weekly_profile"] = None
    assert sorted(history_charts(history)) == ["queries_per_second.svg"]
    assert history_charts({"format_version": 1, "series": {}, "weekly_profile": None}) == {}


def bars(root: ET.Element, chart: int) -> dict[str, tuple[float, str]]:
    """x label -> (bar height, fill) of the chart-th bar chart of a stacked SVG."""
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bars"]
    out = {}
    for bar in groups[chart].iter(f"{SVG}g"):
        rect = bar.find(f"{SVG}rect")
        label = next((d.text for d in bar.iter(f"{SVG}desc") if d.get("class") == "x_label"), None)
        if rect is not None and label is not None:
            out[label] = (float(rect.get("height") or 0), (bar.get("style") or "") + (rect.get("style") or ""))
    return out


@pytest.mark.parametrize(("day", "hour"), [(1, 14), (5, 3)])
def test_the_weekly_profile_busiest_bars_are_the_planted_ones(day: int, hour: int) -> None:
    history = week(planted_day=day, planted_hour=hour)
    profile = history["weekly_profile"]
    assert profile["busiest_hour"] == hour
    root = parse(history_charts(history)["weekly_profile.svg"])
    by_hour, by_day = bars(root, 0), bars(root, 1)
    assert list(by_hour) == [f"{h:02d}" for h in range(24)]
    assert list(by_day) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    tallest_hour = max(by_hour, key=lambda label: by_hour[label][0])
    tallest_day = max(by_day, key=lambda label: by_day[label][0])
    assert tallest_hour == f"{hour:02d}" and tallest_day == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][day]
    coloured = [label for label, (_, style) in {**by_hour, **by_day}.items() if BUSIEST_COLOUR in style]
    assert coloured == [tallest_hour, tallest_day]


def test_a_bar_without_a_value_is_no_bar() -> None:
    root = parse(bar_chart("By hour", ["a", "b", "c"], [1.0, None, 3.0], "per_second"))
    assert sorted(bars(root, 0)) == ["a", "c"]


def test_hostile_text_stays_text() -> None:
    hostile = '<script>alert(1)</script> & "x" <img src=x onerror=alert(2)>'
    points = [[START + i * 60, float(i)] for i in range(10)]
    for svg in (line_chart(hostile, {hostile: points, "b": points}, "count"),
                bar_chart(hostile, [hostile, "b"], [1.0, 2.0], "count")):
        self_contained(svg)
        root = parse(svg)
        assert any(hostile in t for t in texts(root))  # shown as written
        assert "<script>" not in svg and "<img" not in svg


def test_values_read_as_a_dba_reads_them() -> None:
    assert format_value(1234.4, "per_second") == "1,234/s"
    assert format_value(2.5, "per_second") == "2.5/s"
    assert format_value(45, "percent") == "45 %"
    assert format_value(3 * 1024**3, "bytes") == "3.0 GiB"
    assert format_value(12, "count") == "12"


def test_importing_the_charts_leaves_imports_quiet() -> None:
    """pygal's legacy import hook made every later missed import warn on Python 3.11 (an error under the tests'
    filterwarnings, e.g. http.server's mimetypes looking for _winapi after report.html's tests had run)."""
    code = ("import prechecks.charts\ntry:\n    import no_such_module_for_this_test\n"
            "except ModuleNotFoundError:\n    print('quiet')\n")
    result = subprocess.run([sys.executable, "-W", "error::ImportWarning", "-c", code], capture_output=True,
                            text=True, timeout=60, check=False, cwd=Path(__file__).resolve().parents[1])
    assert (result.returncode, result.stdout) == (0, "quiet\n"), result.stderr[-2000:]
