"""The sizing and pricing inputs table (issue 16 item 5): ``sizing_table(facts, cloud, history) -> dict``.

One row per input PlanetScale prices on (memory, compute, storage, replicas and regions, the sharding signal,
query load, support), each with the source it was measured from and the window it covers. Built once per
server by prechecks.derive from three sources, the best first for every measured row:

1. a workload history (history.json: days of samples from Prometheus, ``watch``, CloudWatch…), by its
   canonical series names (``cpu_percent``, ``queries_per_second``…);
2. the cloud provider (cloud.json: the instance as the API describes it, and its metrics over the window):
   AWS, GCP or Azure, each by the provider's own metric names, mapped in :data:`CLOUD_SERIES`;
3. SQL (the facts the collectors wrote: a buffer pool setting, two status samples seconds apart, the
   counters since start-up), said for what they are.

A row nobody could measure is there all the same, ``"not measured"`` with source ``"none"`` and a detail
saying which flag or source would measure it. A pure function of its inputs; no driver, no SDK.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from collectors.numbers import as_number

FORMAT_VERSION = 1
GIB = 1024**3
DAY = 86400

ROW_KEYS = ("memory", "compute", "cpu", "storage_allocated", "storage_used", "storage_growth", "iops", "replicas",
            "regions", "data_size", "largest_table", "write_rate", "query_load_average", "query_load_peak",
            "connections", "support")
LABELS = {
    "memory": "Memory", "compute": "Compute", "cpu": "CPU utilisation", "storage_allocated": "Storage allocated",
    "storage_used": "Storage used", "storage_growth": "Storage growth", "iops": "IOPS", "replicas": "Replicas",
    "regions": "Regions", "data_size": "Data size (sharding signal)",
    "largest_table": "Largest table (sharding signal)",
    "write_rate": "Write rate (sharding signal)", "query_load_average": "Query load, average",
    "query_load_peak": "Query load, peak", "connections": "Connections", "support": "Support wanted",
}
CLOUD_FLAGS = "--aws-db-instance/--aws-db-cluster (or the GCP/Azure instance flags)"
HISTORY_HINT = "a workload history (Prometheus, watch)"
NOT_MEASURED = {
    "memory": f"the instance's memory is not visible from SQL: {CLOUD_FLAGS} reads the instance class",
    "compute": f"vCPUs are not visible from SQL: {CLOUD_FLAGS} reads the instance class",
    "cpu": f"CPU use is not visible from SQL: {CLOUD_FLAGS} reads 14 days of it, or {HISTORY_HINT}",
    "storage_allocated": f"the allocated disk is not visible from SQL: {CLOUD_FLAGS} reads it",
    "storage_used": "no data and index sizes were collected (the schema inventory did not run)",
    "storage_growth": (f"growth needs days of samples: {CLOUD_FLAGS} reads 14 days of free storage; binary logs "
                       "kept over their whole retention give an upper bound"),
    "iops": f"disk I/O needs two status samples (InnoDB data reads/writes), {CLOUD_FLAGS} or {HISTORY_HINT}",
    "replicas": f"no replication facts were collected: {CLOUD_FLAGS} lists the replicas",
    "regions": f"the region is not visible from SQL: {CLOUD_FLAGS}, or connect through the provider's endpoint",
    "data_size": "no data and index sizes were collected (the schema inventory did not run)",
    "largest_table": "no table sizes were collected (the table_sizes collector did not run)",
    "write_rate": f"needs the status counters (rows written since start-up), {CLOUD_FLAGS} or {HISTORY_HINT}",
    "query_load_average": f"needs the status counters (Questions since start-up), {CLOUD_FLAGS} or {HISTORY_HINT}",
    "query_load_peak": (f"needs two status samples, a query metric of the provider (Aurora's Queries, Cloud SQL's, "
                        f"Azure's) or {HISTORY_HINT}"),
    "connections": f"needs the status counters (Threads_connected), {CLOUD_FLAGS} or {HISTORY_HINT}",
    "support": "a choice, not a measurement: the questionnaire's plan.support answer",
}

# The provider's own metric names for each measured row (contracts: cloud.json "series" keys, verbatim).
_GCP = "cloudsql.googleapis.com/database/"
CLOUD_SERIES: dict[str, dict[str, tuple[str, ...]]] = {
    "aws": {"cpu": ("CPUUtilization",), "memory_free": ("FreeableMemory",), "connections": ("DatabaseConnections",),
            "read_iops": ("ReadIOPS",), "write_iops": ("WriteIOPS",), "read_bytes": ("ReadThroughput",),
            "write_bytes": ("WriteThroughput",), "storage_free": ("FreeStorageSpace",), "queries": ("Queries",),
            "writes": ("DMLThroughput",), "reads": ("SelectThroughput",)},
    "gcp": {"cpu": (f"{_GCP}cpu/utilization",), "memory_used": (f"{_GCP}memory/usage",),
            "memory_percent": (f"{_GCP}memory/utilization",), "storage_used": (f"{_GCP}disk/bytes_used",),
            "read_iops": (f"{_GCP}disk/read_ops_count",), "write_iops": (f"{_GCP}disk/write_ops_count",),
            "connections": (f"{_GCP}network/connections",),
            "queries": (f"{_GCP}mysql/queries", f"{_GCP}mysql/questions")},
    "azure": {"cpu": ("cpu_percent",), "memory_percent": ("memory_percent",), "storage_percent": ("storage_percent",),
              "io_percent": ("io_consumption_percent",), "storage_used": ("storage_used",),
              "connections": ("active_connections",), "queries": ("Queries",)},
}
UNITS = {  # the contract's unit of each mapped metric, when a series does not say it itself
    "CPUUtilization": "percent", "FreeableMemory": "bytes", "DatabaseConnections": "count", "ReadIOPS": "per_second",
    "WriteIOPS": "per_second", "ReadThroughput": "bytes_per_second", "WriteThroughput": "bytes_per_second",
    "FreeStorageSpace": "bytes", "Queries": "per_second", "DMLThroughput": "per_second",
    "SelectThroughput": "per_second", f"{_GCP}cpu/utilization": "percent", f"{_GCP}memory/usage": "bytes",
    f"{_GCP}memory/utilization": "percent", f"{_GCP}disk/bytes_used": "bytes",
    f"{_GCP}disk/read_ops_count": "per_second",
    f"{_GCP}disk/write_ops_count": "per_second", f"{_GCP}network/connections": "count",
    f"{_GCP}mysql/queries": "per_second", f"{_GCP}mysql/questions": "per_second", "cpu_percent": "percent",
    "memory_percent": "percent", "storage_percent": "percent", "io_consumption_percent": "percent",
    "storage_used": "bytes", "active_connections": "count",
}
PROVIDER_NAMES = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Azure"}
METRICS_SERVICE = {"aws": "CloudWatch", "gcp": "Cloud Monitoring", "azure": "Azure Monitor"}
HISTORY_NAMES = {"prometheus": "Prometheus", "watch": "ps-prechecks watch", "cloudwatch": "CloudWatch",
                 "cloud-monitoring": "Cloud Monitoring", "azure-monitor": "Azure Monitor"}
CLOUD_HISTORIES = ("cloudwatch", "cloud-monitoring", "azure-monitor")  # collectors/cloudhistory.py
WRITER_ROLES = ("primary", "writer")
REPLICA_ROLES = ("replica", "reader")


# --------------------------------------------------------------------------------------------- formatting

def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _plain(value: float) -> str:
    """12 -> "12", 13.958 -> "14.0", 1234.5 -> "1,234" (a figure a DBA reads, not a measurement's precision)."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if value == int(value):
        return str(int(value))
    return f"{value:.1f}"


def human_bytes(n: float) -> str:
    """1.5 GiB, 200 GiB, 512 MiB: one decimal at most, none when it is .0."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            if unit == "B":
                return f"{n:.0f} B"
            text = f"{n:,.1f}"
            return f"{text.removesuffix('.0')} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def figure(value: float, unit: str | None) -> str:
    """One value with its unit as the table shows it."""
    if unit == "bytes":
        return human_bytes(value)
    if unit == "bytes_per_second":
        return f"{human_bytes(value)}/s"
    if unit == "bytes_per_day":
        return f"{human_bytes(value)}/day"
    if unit == "percent":
        return f"{_plain(value)} %"
    if unit == "per_second":
        return f"{_plain(value)}/s"
    if unit == "vcpu":
        return f"{_plain(value)} vCPU"
    return _plain(value)


def moment(value: Any) -> str | None:
    """ "2026-11-30T14:00:00Z" -> "2026-11-30 14:00 UTC"."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def duration(seconds: float) -> str:
    if seconds >= DAY:
        days = seconds / DAY
        return f"{_plain(round(days, 1))} day" + ("" if days == 1 else "s")
    if seconds >= 3600:
        return f"{_plain(round(seconds / 3600, 1))} hours"
    return f"{seconds / 60:.0f} minutes" if seconds >= 60 else f"{seconds:.0f} s"


def series_text(series: Mapping[str, Any], unit: str | None) -> str:
    """ "avg 23 %, p95 61 %, max 88 % (2026-11-30 14:00 UTC)" from a series summary (avg, p95, max, max_at)."""
    parts = []
    for key in ("avg", "p95", "max"):
        number = as_number(series.get(key))
        if number is not None:
            parts.append(f"{key} {figure(number, unit)}")
    when = moment(series.get("max_at"))
    text = ", ".join(parts)
    return f"{text} ({when})" if when and as_number(series.get("max")) is not None else text


def _row(key: str, value: str, number: float | int | None, unit: str | None, source: str, detail: str,
         window: str | None) -> dict[str, Any]:
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        number = None
    if isinstance(number, float) and number == int(number) and abs(number) < 2**53:
        number = int(number)
    return {"key": key, "label": LABELS[key], "value": value, "number": number, "unit": unit, "source": source,
            "detail": detail, "window": window}


def not_measured(key: str) -> dict[str, Any]:
    return _row(key, "not measured", None, None, "none", NOT_MEASURED[key], None)


# --------------------------------------------------------------------------------------------- sources

class _Cloud:
    """The cloud document's instance facts and metric series, the provider's names mapped."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.doc = document
        self.provider = str(document.get("provider") or "aws")
        self.source = f"cloud:{self.provider}"
        self.instances = [_map(i) for i in _seq(document.get("instances")) if isinstance(i, Mapping)]
        writers = [i for i in self.instances if i.get("role") in WRITER_ROLES]
        self.target: Mapping[str, Any] = writers[0] if writers else (self.instances[0] if self.instances else {})
        self.metrics = _map(document.get("metrics"))
        self.series = _map(self.metrics.get("series"))
        days = as_number(self.metrics.get("window_days"))
        self.window = f"{_plain(days)} days" if days else None
        self.window_seconds = days * DAY if days else None
        self.names = CLOUD_SERIES.get(self.provider, {})

    def metric(self, role: str) -> tuple[str, Mapping[str, Any], str | None] | None:
        """(provider metric name, its summary, unit) for one role of :data:`CLOUD_SERIES`, or None."""
        for name in self.names.get(role, ()):
            found = self.series.get(name)
            if isinstance(found, Mapping) and as_number(found.get("avg")) is not None:
                return name, found, str(found.get("unit") or UNITS.get(name) or "") or None
        return None

    def metric_detail(self, *names: str) -> str:
        service = METRICS_SERVICE.get(self.provider, "the provider's metrics")
        instance, role = self.metrics.get("instance"), self.metrics.get("role")
        of = (f" of the {role} {instance}" if role else f" of {instance}") if instance else ""  # the writer's
        every = " (hourly averages; max is the highest hourly maximum)" if self.provider == "aws" else ""
        return f"{service} {' + '.join(names)}{of}{every}"

    def instance_detail(self, instance: Mapping[str, Any]) -> str:
        role = f" ({instance.get('role')})" if instance.get("role") else ""
        what = f"{instance.get('id')}{role} {instance.get('class') or ''}".strip()
        if self.provider == "aws":
            return f"RDS DescribeDBInstances {what} + EC2 DescribeInstanceTypes"
        if self.provider == "gcp":
            return f"Cloud SQL Admin instances.get {what}"
        if self.provider == "azure":
            return f"Azure Database for MySQL flexible server {what}"
        return f"{self.provider} instance {what}"


class _History:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.doc = document
        kind = str(document.get("source") or "history")
        self.source = f"history:{kind}"
        self.name = HISTORY_NAMES.get(kind, kind)
        self.series = _map(document.get("series"))
        window = _map(document.get("window"))
        start, end = _parse(window.get("start")), _parse(window.get("end"))
        self.window_seconds = (end - start).total_seconds() if start and end and end > start else None
        self.window = duration(self.window_seconds) if self.window_seconds else None
        self.step = as_number(window.get("step_seconds"))

    def metric(self, name: str) -> tuple[str, Mapping[str, Any], str | None] | None:
        found = self.series.get(name)
        if isinstance(found, Mapping) and as_number(found.get("avg")) is not None:
            return name, found, str(found.get("unit") or "") or None
        return None

    def detail(self, *names: str) -> str:
        step = f", one sample every {_plain(self.step)} s" if self.step else ""
        return f"{self.name} history: {' + '.join(names)}{step}"


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class _Sql:
    def __init__(self, facts: Mapping[str, Any]) -> None:
        self.facts = facts
        self.workload = _map(facts.get("workload"))
        self.variables = _map(facts.get("variables"))
        status = _map(facts.get("status"))
        self.first, self.second = _map(status.get("first")), _map(status.get("second"))
        self.interval = as_number(status.get("interval_seconds"))
        uptime = as_number(self.workload.get("uptime_seconds")) or as_number(_map(facts.get("server")).get(
            "uptime_seconds")) or as_number(self.first.get("Uptime"))
        self.uptime = uptime
        self.since_start = f"since start-up ({duration(uptime)})" if uptime else "since start-up"
        self.sampled = f"{_plain(self.interval)} s" if self.interval else None

    def status(self, name: str) -> float | None:
        for sample in (self.second, self.first):
            value = as_number(sample.get(name))
            if value is not None:
                return value
        return None

    def schema_bytes(self) -> tuple[float, float, int] | None:
        schemas = [s for s in _seq(self.facts.get("schemas")) if isinstance(s, Mapping)]
        if not isinstance(self.facts.get("schemas"), list):
            return None
        data = sum(as_number(s.get("data_bytes")) or 0 for s in schemas)
        index = sum(as_number(s.get("index_bytes")) or 0 for s in schemas)
        return data, index, len(schemas)


# ------------------------------------------------------------------------------------------------ rows

Candidate = Callable[[], dict[str, Any] | None]


def _measured(key: str, source: Any, role_names: Sequence[str], headline: str, *, cloud: bool) -> dict[str, Any] | None:
    """A row from one measured series (history or cloud): ``headline`` (avg, p95 or max) is its number."""
    for role in role_names:
        found = source.metric(role)
        if found is None:
            continue
        name, series, unit = found
        number = as_number(series.get(headline))
        detail = source.metric_detail(name) if cloud else source.detail(name)
        return _row(key, series_text(series, unit), number, unit, source.source, detail, source.window)
    return None


def _summed(key: str, source: Any, read: str, write: str, *, cloud: bool) -> dict[str, Any] | None:
    """Reads and writes side by side (IOPS): the number is the sum of their p95s (an upper bound of the p95 of
    the total, which the summaries cannot give)."""
    reads, writes = source.metric(read), source.metric(write)
    if reads is None or writes is None:
        return None
    (r_name, r_series, unit), (w_name, w_series, _) = reads, writes
    p95s = [as_number(r_series.get("p95")), as_number(w_series.get("p95"))]
    number = sum(p for p in p95s if p is not None) if any(p is not None for p in p95s) else None
    value = f"read {series_text(r_series, unit)}; write {series_text(w_series, unit)}"
    detail = source.metric_detail(r_name, w_name) if cloud else source.detail(r_name, w_name)
    return _row(key, value, number, unit, source.source, detail, source.window)


def sizing_table(facts: Mapping[str, Any], cloud: Mapping[str, Any] | None = None,
                 history: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """facts["sizing"]: every row of :data:`ROW_KEYS` in order, each from the best source there is."""
    c = _Cloud(cloud) if isinstance(cloud, Mapping) and cloud.get("provider") else None
    h = _History(history) if isinstance(history, Mapping) and history.get("series") else None
    if h is not None and c is not None and c.series and history and history.get("source") in CLOUD_HISTORIES:
        h = None  # the cloud document's own points as history: the same figures, its rows name metric and instance
    s = _Sql(facts)
    builders: dict[str, list[Candidate]] = {
        "memory": [lambda: _memory_cloud(c), lambda: _history_row("memory", h, "memory_used_bytes", "p95"),
                   lambda: _memory_sql(s)],
        "compute": [lambda: _compute_cloud(c)],
        "cpu": [lambda: _history_row("cpu", h, "cpu_percent", "p95"), lambda: _cloud_row("cpu", c, ("cpu",), "p95")],
        "storage_allocated": [lambda: _allocated_cloud(c)],
        "storage_used": [lambda: _used_cloud(c), lambda: _used_sql(s)],
        "storage_growth": [lambda: _growth_cloud(c), lambda: _growth_sql(s)],
        "iops": [lambda: _iops_history(h), lambda: _iops_cloud(c), lambda: _iops_sql(s)],
        "replicas": [lambda: _replicas_cloud(c), lambda: _replicas_sql(s)],
        "regions": [lambda: _regions_cloud(c), lambda: _regions_sql(s)],
        "data_size": [lambda: _data_size_sql(s)],
        "largest_table": [lambda: _largest_table_sql(s)],
        "write_rate": [lambda: _history_row("write_rate", h, "writes_per_second", "p95"),
                       lambda: _cloud_row("write_rate", c, ("writes",), "p95"), lambda: _write_rate_sql(s)],
        "query_load_average": [lambda: _history_row("query_load_average", h, "queries_per_second", "avg"),
                               lambda: _cloud_row("query_load_average", c, ("queries",), "avg"),
                               lambda: _qps_average_sql(s)],
        "query_load_peak": [lambda: _history_row("query_load_peak", h, "queries_per_second", "max"),
                            lambda: _cloud_row("query_load_peak", c, ("queries",), "max"),
                            lambda: _qps_peak_sql(s)],
        "connections": [lambda: _history_row("connections", h, "connections", "max"),
                        lambda: _cloud_row("connections", c, ("connections",), "max"), lambda: _connections_sql(s)],
        "support": [],
    }
    rows = []
    for key in ROW_KEYS:
        row = None
        for candidate in builders[key]:
            try:
                row = candidate()
            except (TypeError, ValueError, KeyError, ZeroDivisionError):  # an odd value costs its source only
                row = None
            if row is not None:
                break
        rows.append(row or not_measured(key))
    return {"format_version": FORMAT_VERSION, "rows": rows}


def window_seconds(row: Mapping[str, Any], facts: Mapping[str, Any], cloud: Mapping[str, Any] | None,
                   history: Mapping[str, Any] | None) -> float | None:
    """The seconds a row's window covers, for facts["provenance"] (None for a static fact)."""
    source = str(row.get("source") or "")
    if row.get("window") is None:
        return None
    if source.startswith("history:") and isinstance(history, Mapping):
        return _History(history).window_seconds
    if source.startswith("cloud:") and isinstance(cloud, Mapping):
        return _Cloud(cloud).window_seconds
    if source == "sql":
        sql = _Sql(facts)
        return sql.interval if row.get("window") == sql.sampled else sql.uptime
    return None


def _history_row(key: str, h: _History | None, name: str, headline: str) -> dict[str, Any] | None:
    return None if h is None else _measured(key, h, (name,), headline, cloud=False)


def _cloud_row(key: str, c: _Cloud | None, roles: Sequence[str], headline: str) -> dict[str, Any] | None:
    return None if c is None else _measured(key, c, roles, headline, cloud=True)


def _memory_cloud(c: _Cloud | None) -> dict[str, Any] | None:
    if c is None:
        return None
    gib = as_number(c.target.get("memory_gib"))
    if gib is None:
        return None
    value = f"{human_bytes(gib * GIB)} ({c.target.get('class')})" if c.target.get("class") else human_bytes(gib * GIB)
    return _row("memory", value, gib * GIB, "bytes", c.source, c.instance_detail(c.target), None)


def _memory_sql(s: _Sql) -> dict[str, Any] | None:
    pool = as_number(s.variables.get("innodb_buffer_pool_size"))
    if pool is None:
        return None
    return _row("memory", f"InnoDB buffer pool {human_bytes(pool)} (a setting: the machine's memory is not visible "
                "from SQL)", None, None, "sql", "SHOW GLOBAL VARIABLES innodb_buffer_pool_size", None)


def _compute_cloud(c: _Cloud | None) -> dict[str, Any] | None:
    if c is None:
        return None
    vcpu = as_number(c.target.get("vcpu"))
    if vcpu is None:
        serverless = _map(_map(c.doc.get("cluster")).get("serverless_v2"))
        if serverless:
            value = (f"Aurora Serverless v2, {_plain(as_number(serverless.get('min_acu')) or 0)} to "
                     f"{_plain(as_number(serverless.get('max_acu')) or 0)} ACU")
            return _row("compute", value, None, None, c.source,
                        "RDS DescribeDBClusters ServerlessV2ScalingConfiguration", None)
        return None
    value = f"{figure(vcpu, 'vcpu')} ({c.target.get('class')})" if c.target.get("class") else figure(vcpu, "vcpu")
    return _row("compute", value, vcpu, "vcpu", c.source, c.instance_detail(c.target), None)


def _allocated_cloud(c: _Cloud | None) -> dict[str, Any] | None:
    if c is None or not c.target:
        return None
    storage = _map(c.target.get("storage"))
    gib = as_number(storage.get("allocated_gib"))
    if str(c.target.get("engine") or "").startswith("aurora"):  # AWS says 1 GiB for an Aurora instance
        return _row("storage_allocated", "none: Aurora storage grows with the data (billed by GiB used)", None,
                    None, c.source, c.instance_detail(c.target), None)
    if gib is None:
        return None
    parts = [human_bytes(gib * GIB)]
    if storage.get("type"):
        parts[0] += f" {storage['type']}"
    iops = as_number(storage.get("iops"))
    if iops is not None:
        parts.append(f"{_plain(iops)} provisioned IOPS")
    throughput = as_number(storage.get("throughput_mibps"))
    if throughput is not None:
        parts.append(f"{_plain(throughput)} MiB/s")
    return _row("storage_allocated", ", ".join(parts), gib * GIB, "bytes", c.source, c.instance_detail(c.target), None)


def _used_cloud(c: _Cloud | None) -> dict[str, Any] | None:
    if c is None:
        return None
    used = c.metric("storage_used")
    if used is not None:
        name, series, unit = used
        number = as_number(series.get("max"))
        value = f"{figure(number, unit)} at most" if number is not None else series_text(series, unit)
        return _row("storage_used", value, number, unit, c.source, c.metric_detail(name), c.window)
    free = c.metric("storage_free")
    allocated = as_number(_map(c.target.get("storage")).get("allocated_gib"))
    if free is None or allocated is None or str(c.target.get("engine") or "").startswith("aurora"):
        return None  # Aurora's FreeStorageSpace is the instance's local storage, not the cluster volume
    name, series, _ = free
    average_free = as_number(series.get("avg"))
    if average_free is None:
        return None
    used_bytes = round(max(0.0, allocated * GIB - average_free))  # whole bytes
    return _row("storage_used", f"about {human_bytes(used_bytes)} (allocated minus the average free space)",
                used_bytes, "bytes", c.source, c.metric_detail(name) + " and the allocated storage", c.window)


def _used_sql(s: _Sql) -> dict[str, Any] | None:
    sizes = s.schema_bytes()
    if sizes is None:
        return None
    data, index, _ = sizes
    binlogs = as_number(_map(s.facts.get("binlog")).get("total_bytes"))
    total = data + index + (binlogs or 0)
    value = f"{human_bytes(total)} (data + indexes" + (" + binary logs)" if binlogs else ")")
    detail = "information_schema.TABLES (InnoDB sizes are approximate)" + (
        " + SHOW BINARY LOGS" if binlogs else "") + "; the allocated disk is not visible from SQL"
    return _row("storage_used", value, total, "bytes", "sql", detail, None)


def _growth_cloud(c: _Cloud | None) -> dict[str, Any] | None:
    if c is None:
        return None
    for role in ("storage_used", "storage_free"):
        found = c.metric(role)
        if found is None:
            continue
        name, series, _ = found
        gib = as_number(series.get("growth_gib_per_day"))
        if gib is None:
            continue
        per_day = gib * GIB
        return _row("storage_growth", f"{figure(per_day, 'bytes_per_day')}", per_day, "bytes_per_day", c.source,
                    c.metric_detail(name) + ": change from the first to the last hour", c.window)
    return None


def _growth_sql(s: _Sql) -> dict[str, Any] | None:
    binlog = _map(s.facts.get("binlog"))
    total, retention = as_number(binlog.get("total_bytes")), as_number(binlog.get("expire_seconds"))
    if binlog.get("enabled") is not True or total is None or not retention or retention <= 0 or not s.uptime \
            or s.uptime < retention:
        return None
    per_day = total / retention * DAY
    return _row("storage_growth", f"at most {figure(per_day, 'bytes_per_day')} (binary logs over their retention: "
                "an upper bound, updates and deletes are logged too)", per_day, "bytes_per_day", "sql",
                "SHOW BINARY LOGS total / binlog retention", duration(retention))


def _iops_history(h: _History | None) -> dict[str, Any] | None:
    if h is None:
        return None
    return _summed("iops", h, "read_iops", "write_iops", cloud=False) or _summed(
        "iops", h, "innodb_data_reads_per_second", "innodb_data_writes_per_second", cloud=False)


def _iops_cloud(c: _Cloud | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return _summed("iops", c, "read_iops", "write_iops", cloud=True) or _measured(
        "iops", c, ("io_percent",), "p95", cloud=True)


def _iops_sql(s: _Sql) -> dict[str, Any] | None:
    reads = [as_number(x.get("Innodb_data_reads")) for x in (s.first, s.second)]
    writes = [as_number(x.get("Innodb_data_writes")) for x in (s.first, s.second)]
    if None in reads or None in writes or not s.interval:
        return None
    r = max(0.0, (reads[1] or 0) - (reads[0] or 0)) / s.interval
    w = max(0.0, (writes[1] or 0) - (writes[0] or 0)) / s.interval
    return _row("iops", f"InnoDB data reads {figure(r, 'per_second')}, writes {figure(w, 'per_second')} (sampled: "
                "InnoDB's own I/O requests, not the disk's IOPS or its peak)", r + w, "per_second", "sql",
                "SHOW GLOBAL STATUS Innodb_data_reads/Innodb_data_writes, two samples", s.sampled)


def _replicas_cloud(c: _Cloud | None) -> dict[str, Any] | None:
    if c is None or not c.instances:
        return None
    replicas = [i for i in c.instances if i.get("role") in REPLICA_ROLES]
    kind = "reader" if any(i.get("role") == "reader" for i in replicas) else "replica"
    parts = [f"{len(replicas)} {kind}{'' if len(replicas) == 1 else 's'}"]
    if replicas:
        parts[0] += " (" + ", ".join(f"{i.get('id')} {i.get('class') or ''}".strip() for i in replicas) + ")"
    if c.target.get("multi_az"):
        parts.append("Multi-AZ standby")
    return _row("replicas", "; ".join(parts), len(replicas), "count", c.source,
                f"{PROVIDER_NAMES.get(c.provider, c.provider)}: the instances the API lists with this one", None)


def _replicas_sql(s: _Sql) -> dict[str, Any] | None:
    replication = _map(s.facts.get("replication"))
    count = replication.get("replica_count")
    if not isinstance(count, int) or isinstance(count, bool):
        return None
    role = replication.get("role")
    value = f"{count} replica{'' if count == 1 else 's'} connected" + (f" (this server: {role})" if role else "")
    return _row("replicas", value, count, "count", "sql",
                "SHOW REPLICAS / binlog dump threads: replicas connected at the time", None)


def _regions_cloud(c: _Cloud | None) -> dict[str, Any] | None:
    if c is None:
        return None
    regions: list[str] = []
    zones: list[str] = []
    for instance in c.instances:
        region = instance.get("region") or c.doc.get("region")
        if isinstance(region, str) and region and region not in regions:
            regions.append(region)
        zone = instance.get("availability_zone")
        if isinstance(zone, str) and zone and zone not in zones:
            zones.append(zone)
    if not regions and isinstance(c.doc.get("region"), str):
        regions.append(str(c.doc["region"]))
    if not regions:
        return None
    value = ", ".join(regions) + (f" ({'zone' if len(zones) == 1 else 'zones'} {', '.join(zones)})" if zones else "")
    return _row("regions", value, len(regions), "count", c.source,
                f"{PROVIDER_NAMES.get(c.provider, c.provider)}: the region and zone of each instance", None)


def _regions_sql(s: _Sql) -> dict[str, Any] | None:
    from prechecks.prefill import region_from_host

    host = _map(s.facts.get("source")).get("host")
    found = region_from_host(host) if isinstance(host, str) and host else None
    if found is None:
        return None
    region, kind, _ = found
    return _row("regions", region, 1, "count", "sql", f"the {kind} this tool connected to (its region part)", None)


def _data_size_sql(s: _Sql) -> dict[str, Any] | None:
    sizes = s.schema_bytes()
    if sizes is None:
        return None
    data, index, count = sizes
    value = (f"{human_bytes(data + index)} in {count} schema{'' if count == 1 else 's'} (data {human_bytes(data)} + "
             f"indexes {human_bytes(index)})")
    return _row("data_size", value, data + index, "bytes", "sql", "information_schema.TABLES (InnoDB sizes are "
                "approximate)", None)


def _largest_table_sql(s: _Sql) -> dict[str, Any] | None:
    tables = [t for t in _seq(s.facts.get("tables")) if isinstance(t, Mapping)]
    if not tables:
        return None

    def size(table: Mapping[str, Any]) -> float:
        return (as_number(table.get("data_bytes")) or 0) + (as_number(table.get("index_bytes")) or 0)

    largest = max(tables, key=lambda t: (size(t), str(t.get("schema")), str(t.get("name"))))
    rows = as_number(largest.get("rows"))
    value = f"{largest.get('schema')}.{largest.get('name')} {human_bytes(size(largest))}" + (
        f" (about {rows:,.0f} rows)" if rows is not None else "")
    return _row("largest_table", value, size(largest), "bytes", "sql", "information_schema.TABLES (data + indexes; "
                "row counts are InnoDB's estimate)", None)


def _write_rate_sql(s: _Sql) -> dict[str, Any] | None:
    per_day = as_number(s.workload.get("rows_written_per_day"))
    if per_day is None:
        return None
    per_second = per_day / DAY
    basis = str(s.workload.get("rows_basis") or "").split("; ")
    counters = basis[1] if len(basis) > 1 else "rows written counters"
    return _row("write_rate", f"{figure(per_second, 'per_second')} rows written on average ({per_day:,.0f} a day)",
                per_second, "per_second", "sql", f"SHOW GLOBAL STATUS {counters} / Uptime", s.since_start)


def _qps_average_sql(s: _Sql) -> dict[str, Any] | None:
    qps = as_number(s.workload.get("qps_average_since_start"))
    if qps is None:
        return None
    return _row("query_load_average", f"{figure(qps, 'per_second')} (Questions since start-up)", qps, "per_second",
                "sql", "SHOW GLOBAL STATUS Questions / Uptime", s.since_start)


def _qps_peak_sql(s: _Sql) -> dict[str, Any] | None:
    qps = as_number(s.workload.get("qps_sampled"))
    if qps is None:
        return None
    interval = as_number(s.workload.get("sampled_interval_seconds")) or s.interval
    window = f"{_plain(interval)} s" if interval else s.sampled
    return _row("query_load_peak", f"{figure(qps, 'per_second')} sampled during the run: a lower bound, the real peak "
                "is likely higher", qps, "per_second", "sql", "SHOW GLOBAL STATUS Questions, two samples", window)


def _connections_sql(s: _Sql) -> dict[str, Any] | None:
    connected = s.status("Threads_connected")
    most = as_number(s.first.get("Max_used_connections")) or s.status("Max_used_connections")
    if connected is None and most is None:
        return None
    limit = as_number(s.variables.get("max_connections"))
    parts = []
    if connected is not None:
        parts.append(f"{connected:,.0f} connected during the run")
    if most is not None:
        parts.append(f"at most {most:,.0f} at once")
    value = ", ".join(parts) + (f" (max_connections {limit:,.0f})" if limit is not None else "")
    number = most if most is not None else connected
    window = s.since_start if most is not None else s.sampled
    return _row("connections", value, number, "count", "sql",
                "SHOW GLOBAL STATUS Threads_connected and Max_used_connections", window)


def cloud_names(cloud: Mapping[str, Any] | None) -> list[str]:
    """The bare instance, cluster and endpoint ids a cloud document names: what ``--redact hostnames``
    pseudonymises as it does the endpoint (prechecks.bundle learns them before the text pass)."""
    doc = _map(cloud)
    names: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, str) and value:
            name = value.rsplit(":", 1)[-1] if value.startswith("arn:") else value
            if name and name not in names:
                names.append(name)

    for instance in _seq(doc.get("instances")):
        add(_map(instance).get("id"))
        add(_map(instance).get("cluster"))
    cluster = _map(doc.get("cluster"))
    add(cluster.get("id"))
    for replica in _seq(cluster.get("read_replicas")):
        add(replica)
    add(_map(doc.get("endpoint")).get("name"))
    add(_map(doc.get("metrics")).get("instance"))
    add(_map(doc.get("parameter_group")).get("instance"))
    return names
