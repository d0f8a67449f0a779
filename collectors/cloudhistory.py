"""Cloud metrics as history: the hourly points a cloud part read (collectors/aws.py, gcp.py, azure.py) become
history.json when nothing better is given, and :func:`sources` decides which history an archive gets.

The cloud collectors keep each series' hourly averages in ``metrics["points"]`` (``{metric: [[unix_time,
value], ...]}``, no second API call). Those points are not part of cloud.json (docs/facts.md):
:func:`sources` takes them out and, when there is no Prometheus or watch history, writes them as history.json
in the canonical names (``CPUUtilization`` -> ``cpu_percent``, ...) through collectors.series.history_document,
so an AWS-, GCP- or Azure-only prospect gets charts and a weekly profile too. Precedence, in one place (the CLI
and the wizard both call :func:`sources`): a Prometheus or watch history (days of samples of the server itself)
> the cloud's metrics > none. Pure functions: no SDK, no network.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from collectors.series import history_document

__all__ = ["CANONICAL", "SOURCES", "history_from_cloud", "sources", "without_points"]

# history.json's "source" per provider
SOURCES = {"aws": "cloudwatch", "gcp": "cloud-monitoring", "azure": "azure-monitor"}

_GCP = "cloudsql.googleapis.com/database/"
# provider metric name (cloud.json's, verbatim) -> (canonical history.json name, unit). Where two provider metrics
# give the same canonical series, the first listed that has points wins (GCP: questions, the rate of Questions,
# before queries).
CANONICAL: dict[str, dict[str, tuple[str, str]]] = {
    "aws": {
        "CPUUtilization": ("cpu_percent", "percent"),
        "DatabaseConnections": ("connections", "count"),
        "ReadIOPS": ("read_iops", "per_second"),
        "WriteIOPS": ("write_iops", "per_second"),
        "Queries": ("queries_per_second", "per_second"),  # Aurora MySQL only
        "SelectThroughput": ("reads_per_second", "per_second"),  # Aurora MySQL only
        "DMLThroughput": ("writes_per_second", "per_second"),  # Aurora MySQL only
    },
    "gcp": {
        _GCP + "cpu/utilization": ("cpu_percent", "percent"),
        _GCP + "memory/usage": ("memory_used_bytes", "bytes"),
        _GCP + "network/connections": ("connections", "count"),
        _GCP + "disk/read_ops_count": ("read_iops", "per_second"),
        _GCP + "disk/write_ops_count": ("write_iops", "per_second"),
        _GCP + "mysql/questions": ("queries_per_second", "per_second"),
        _GCP + "mysql/queries": ("queries_per_second", "per_second"),
    },
    "azure": {
        "cpu_percent": ("cpu_percent", "percent"),
        "active_connections": ("connections", "count"),
        "Queries": ("queries_per_second", "per_second"),
    },
}
# why a canonical series has no cloud counterpart at all (named in history.json's "missing", not guessed)
_AURORA_ONLY = "CloudWatch publishes it for Aurora MySQL only: give --prometheus or --watch for RDS MySQL"
_NOT_PUBLISHED = {("aws", "queries_per_second"): _AURORA_ONLY, ("aws", "reads_per_second"): _AURORA_ONLY,
                  ("aws", "writes_per_second"): _AURORA_ONLY}


def without_points(cloud: Mapping[str, Any]) -> dict[str, Any]:
    """cloud.json's document: a deep copy with the metrics' ``points`` taken out."""
    document = copy.deepcopy(dict(cloud))
    if isinstance(document.get("metrics"), dict):
        document["metrics"].pop("points", None)
    return document


def _stamp(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def history_from_cloud(cloud: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """history.json's document from a cloud document's metric points, or None when it has none (a skipped
    metrics part, or a document read before the collectors kept their points)."""
    if not isinstance(cloud, Mapping):
        return None
    provider = str(cloud.get("provider") or "")
    metrics = cloud.get("metrics")
    if provider not in CANONICAL or not isinstance(metrics, Mapping) or not isinstance(metrics.get("series"), Mapping):
        return None
    found: Mapping[str, Any] = metrics["series"]
    given = metrics.get("points")
    all_points: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    series: dict[str, tuple[str, list[list[float]]]] = {}
    taken: dict[str, Mapping[str, Any]] = {}  # canonical name -> the provider series it was taken from
    for metric, (name, unit) in CANONICAL[provider].items():
        entry, points = found.get(metric), all_points.get(metric)
        if name not in series and isinstance(entry, Mapping) and isinstance(points, list) and points:
            series[name] = (unit, [[float(t), float(v)] for t, v in points])
            taken[name] = entry
    if not series:
        return None
    missing = []
    for name in dict.fromkeys(n for n, _ in CANONICAL[provider].values()):
        if name not in series:
            reason = _NOT_PUBLISHED.get((provider, name)) or "no data point in the provider's metrics for the window"
            missing.append({"series": name, "reason": reason})
    times = [t for _unit, points in series.values() for t, _v in points]
    start = _stamp(metrics.get("start")) or min(times)
    end = _stamp(metrics.get("end")) or max(times)
    step = metrics.get("period_seconds") or 3600
    # the weekly profile of the query rate; of CPU when the provider has no query rate (RDS MySQL)
    profile = "queries_per_second" if "queries_per_second" in series else "cpu_percent"
    document = history_document(SOURCES[provider], start, end, float(step), series, profile_series=profile,
                                missing=missing)
    for name, entry in taken.items():  # the peak is the provider's highest maximum, not the highest hourly average
        out = document["series"].get(name)
        top = entry.get("max")
        if out is not None and isinstance(top, (int, float)) and top >= out["max"] and entry.get("max_at"):
            out["max"], out["max_at"] = top, entry["max_at"]
    return document


def sources(history: Mapping[str, Any] | None,
            cloud: Mapping[str, Any] | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(history.json's document, cloud.json's document) for one server's archive and derive: ``history`` (from
    Prometheus or the watch) when given, else the cloud metrics' points as history; cloud.json without points."""
    cloud_out = without_points(cloud) if isinstance(cloud, Mapping) else None
    if history is not None:
        return dict(history), cloud_out
    return history_from_cloud(cloud), cloud_out
