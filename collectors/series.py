"""Time series of load over days, one model for every source (Prometheus/PMM, watch mode, cloud metrics).

Pure functions, no driver, no SDK: a source hands ``[(unix_time, value), ...]`` lists to these and writes the
``history.json`` document (docs/facts.md, "history.json"):

* :func:`counter_rates` turns a cumulative counter (``Questions``, ``mysql_global_status_questions``) into a
  per-second rate. A counter that goes down (the server or the exporter restarted) or two samples further apart
  than ``max_gap`` seconds give no rate for that interval: the reset or the gap is counted and named, never
  averaged over (a rate across a restart would be negative or wrong; across a gap it would hide the peak).
* :func:`summarise` gives avg, p95, p99, max and when the max was (nearest-rank percentiles).
* :func:`weekly_profile` averages a rate by hour of day and day of week (UTC) and names the busiest.
* :func:`history_document` puts it together, the figures computed from every point, the points kept for charts
  averaged into at most ``max_points`` buckets.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["FORMAT_VERSION", "Gap", "Rates", "bucket", "counter_rates", "history_document", "iso",
           "summarise", "weekly_profile"]

FORMAT_VERSION = 1
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
Point = tuple[float, float]


def iso(unix_time: float) -> str:
    """``2026-11-22T14:00:00Z`` (UTC, whole seconds): how every time in history.json is written."""
    return datetime.fromtimestamp(unix_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(points: Iterable[Sequence[float | None]]) -> list[Point]:
    """Sorted by time, one value per time (the last), None and NaN dropped."""
    by_time: dict[float, float] = {}
    for t, v in points:
        if t is None or v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        by_time[float(t)] = float(v)
    return sorted(by_time.items())


@dataclass(frozen=True)
class Gap:
    """Two consecutive samples too far apart to give a rate: nothing is known between them."""

    start: float
    end: float

    def as_dict(self) -> dict[str, Any]:
        return {"start": iso(self.start), "end": iso(self.end), "seconds": round(self.end - self.start)}


@dataclass
class Rates:
    """A counter's per-second rate, each point stamped at the end of its interval, and what gave no rate."""

    points: list[Point] = field(default_factory=list)
    resets: list[float] = field(default_factory=list)  # the times the counter went down (a restart)
    gaps: list[Gap] = field(default_factory=list)


def counter_rates(points: Iterable[Sequence[float | None]], *, max_gap: float | None = None) -> Rates:
    """The per-second rate of a cumulative counter between consecutive samples.

    An interval where the counter went down is a reset (the server or exporter restarted): no rate, the time
    recorded. An interval longer than ``max_gap`` seconds is a gap: no rate, the interval recorded."""
    out = Rates()
    samples = _clean(points)
    for (t0, v0), (t1, v1) in itertools.pairwise(samples):
        if v1 < v0:
            out.resets.append(t1)
        elif max_gap is not None and t1 - t0 > max_gap:
            out.gaps.append(Gap(t0, t1))
        else:
            out.points.append((t1, (v1 - v0) / (t1 - t0)))
    return out


def _rank(ordered: Sequence[float], fraction: float) -> float:
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _number(value: float) -> float | int:
    rounded = round(value, 4)
    return int(rounded) if rounded == int(rounded) else rounded


def summarise(points: Iterable[Sequence[float | None]]) -> dict[str, Any] | None:
    """avg, p95, p99 (nearest rank), max and ``max_at`` (the first time it was reached); None without points."""
    samples = _clean(points)
    if not samples:
        return None
    values = [v for _, v in samples]
    ordered = sorted(values)
    top = max(range(len(samples)), key=lambda i: (samples[i][1], -i))
    return {"avg": _number(sum(values) / len(values)), "p95": _number(_rank(ordered, 0.95)),
            "p99": _number(_rank(ordered, 0.99)), "max": _number(samples[top][1]), "max_at": iso(samples[top][0])}


def bucket(points: Iterable[Sequence[float | None]], max_points: int) -> list[list[float]]:
    """At most ``max_points`` points: consecutive points averaged into equal time buckets (for charts)."""
    samples = _clean(points)
    if len(samples) <= max_points or max_points < 1:
        return [[_number(t), _number(v)] for t, v in samples]
    start, end = samples[0][0], samples[-1][0]
    width = (end - start) / max_points or 1.0
    sums: dict[int, list[float]] = {}
    for t, v in samples:
        slot = sums.setdefault(min(int((t - start) / width), max_points - 1), [0.0, 0.0, 0.0])
        slot[0] += t
        slot[1] += v
        slot[2] += 1
    return [[_number(s[0] / s[2]), _number(s[1] / s[2])] for _, s in sorted(sums.items())]


def weekly_profile(points: Iterable[Sequence[float | None]], series: str) -> dict[str, Any] | None:
    """The average of a rate by hour of day and by day of week (UTC), and the busiest of each."""
    samples = _clean(points)
    if not samples:
        return None
    hours: dict[int, list[float]] = {}
    days: dict[int, list[float]] = {}
    week: dict[tuple[int, int], list[float]] = {}
    for t, v in samples:
        moment = datetime.fromtimestamp(t, UTC)
        hours.setdefault(moment.hour, []).append(v)
        days.setdefault(moment.weekday(), []).append(v)
        week.setdefault((moment.weekday(), moment.hour), []).append(v)

    def mean(values: list[float] | None) -> float | None:
        return _number(sum(values) / len(values)) if values else None

    by_hour = [mean(hours.get(h)) for h in range(24)]
    by_weekday = [mean(days.get(d)) for d in range(7)]
    busiest_hour = max((h for h in range(24) if by_hour[h] is not None), key=lambda h: by_hour[h] or 0.0)
    busiest_day = max((d for d in range(7) if by_weekday[d] is not None), key=lambda d: by_weekday[d] or 0.0)
    (day, hour), values = max(week.items(), key=lambda item: sum(item[1]) / len(item[1]))
    return {"series": series, "timezone": "UTC", "by_hour": by_hour, "by_weekday": by_weekday,
            "busiest_hour": busiest_hour, "busiest_day": DAYS[busiest_day],
            "busiest_hour_of_week": {"day": DAYS[day], "hour": hour, "avg": mean(values)}}


def history_document(source: str, start: float, end: float, step_seconds: float,
                     series: Mapping[str, tuple[str, Iterable[Sequence[float | None]]]], *,
                     profile_series: str = "queries_per_second", missing: Sequence[Mapping[str, str]] = (),
                     gaps: Sequence[Mapping[str, Any]] = (), resets: int = 0,
                     max_points: int = 2000) -> dict[str, Any]:
    """history.json: ``series`` maps a canonical name (docs/facts.md) to ``(unit, points)``. A series with no
    point is listed under ``missing`` (with why), not written empty."""
    out: dict[str, Any] = {}
    missing_out = [dict(m) for m in missing]
    profile = None
    for name, (unit, points) in series.items():
        samples = _clean(points)
        stats = summarise(samples)
        if stats is None:
            if not any(m.get("series") == name for m in missing_out):
                missing_out.append({"series": name, "reason": "no sample in the window"})
            continue
        out[name] = {"unit": unit, **stats, "points": bucket(samples, max_points)}
        if name == profile_series:
            profile = weekly_profile(samples, name)
    return {"format_version": FORMAT_VERSION, "source": source,
            "window": {"start": iso(start), "end": iso(end), "step_seconds": _number(step_seconds)},
            "series": out, "weekly_profile": profile, "missing": missing_out, "gaps": [dict(g) for g in gaps],
            "resets": resets}
