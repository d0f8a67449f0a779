"""The one place figures are derived from what the collectors observed: ``derive(facts) -> Derived``.

Collectors (and ``--read-samples``) write raw observations only: two SHOW GLOBAL STATUS samples and the
seconds between them, the server's uptime. Everything computed from them happens here, once per server
and run, whichever way the facts came (a live run, each server of ``--servers``, a samples folder):

* the workload rates (``workload.qps_*``, ``workload.rows_*``): added to ``facts.workload``, beside what
  the workload collectors wrote there;
* ``provenance``: for each derived figure, which source it comes from and the window it covers, so that a
  later source (cloud metrics, history) can say the same about its own;
* the readiness document (prechecks.readiness.evaluate): what the wizard's Findings page shows and what the
  archive's readiness.json and report hold (redacted by the build, never evaluated again).

No driver is imported here: the report, readiness and prefill work from a facts file alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collectors.numbers import as_int as _int  # the one integer parser (collectors.numbers); no driver

__all__ = ["Derived", "derive", "history_fact", "row_totals", "since_start_sample", "workload_rates"]

# the provenance source of each figure workload_rates computes
SINCE_START = "SHOW GLOBAL STATUS ({sample} sample): Questions / Uptime"
SAMPLED = "SHOW GLOBAL STATUS, two samples: the change in Questions over the measured interval"


@dataclass(frozen=True)
class Derived:
    """One server's facts with every derived figure filled in (what facts.json holds), and its readiness."""

    facts: dict[str, Any]
    readiness: dict[str, Any]


def derive(raw: Mapping[str, Any], *, slow_log_files: Mapping[str, Any] | None = None,
           cloud: Mapping[str, Any] | None = None, history: Mapping[str, Any] | None = None) -> Derived:
    """Every derived figure of one facts document, computed once. ``raw`` is not changed.

    ``slow_log_files``: the digest of slow log files read apart from the server (--slow-log, the wizard's "Add
    slow query log…"; prechecks.slowlog.files_fact), a source beside the collectors': it becomes
    ``slow_log.files`` and the readiness rules on statements read it.

    ``cloud``: the cloud.json document (collectors/aws.py, or GCP/Azure in the same shape), and ``history``:
    a history.json document (days of samples), two more sources: they become ``cloud`` and ``history`` (the
    latter without its points) and, with the SQL facts, the sizing and pricing inputs table ``sizing``
    (prechecks.sizing), each row's source and window in ``provenance`` as ``sizing.<key>``. A document
    derived already keeps the cloud and history it was derived with when none is given.

    The workload rates need the first status sample (``status.first``); without it ``workload`` holds only
    what the workload collectors wrote (or is absent). A facts document that was derived already (read
    back from an archive's facts.json) gives the same figures again."""
    from prechecks.readiness import evaluate

    facts = dict(raw)
    if slow_log_files is not None:
        facts["slow_log"] = {**_map(facts.get("slow_log")), "files": json.loads(json.dumps(slow_log_files,
                                                                                          default=str))}
    if history is not None:
        facts["history"] = history_fact(history)
    status = facts.get("status")
    if isinstance(status, Mapping) and isinstance(status.get("first"), Mapping):
        uptime = _int(_map(facts.get("server")).get("uptime_seconds"))
        if uptime is None:
            uptime = _int(status["first"].get("Uptime"))
        rates = workload_rates(status, uptime)
        # update, not replace: the workload collectors (collectors/workload.py) wrote their keys already
        facts["workload"] = {**_map(facts.get("workload")), **rates}
        sample, _values = since_start_sample(status)  # rates["uptime_seconds"]: the seconds its figures cover
        provenance = {**_map(facts.get("provenance")),
                      **_workload_provenance(rates, rates.get("uptime_seconds"), sample)}
        if provenance:
            facts["provenance"] = provenance
    _sizing(facts, cloud)
    return Derived(facts, evaluate(facts))


def _sizing(facts: dict[str, Any], cloud: Mapping[str, Any] | None) -> None:
    """The cloud document as a source (a JSON copy; the history is facts["history"] already: history_fact), and
    the sizing table from them and the SQL facts, with each row's provenance."""
    from prechecks.sizing import sizing_table, window_seconds

    if cloud is not None:
        facts["cloud"] = json.loads(json.dumps(cloud, default=str))
    cloud_doc, history_doc = _map(facts.get("cloud")) or None, _map(facts.get("history")) or None
    table = sizing_table(facts, cloud_doc, history_doc)
    facts["sizing"] = table
    provenance = {k: v for k, v in _map(facts.get("provenance")).items() if not k.startswith("sizing.")}
    for row in table["rows"]:
        if row["source"] != "none":
            provenance[f"sizing.{row['key']}"] = {
                "source": f"{row['source']}: {row['detail']}",
                "window_seconds": window_seconds(row, facts, cloud_doc, history_doc)}
    facts["provenance"] = provenance


def history_fact(history: Mapping[str, Any]) -> dict[str, Any]:
    """facts["history"]: history.json's document without the ``points`` lists (a copy, JSON types only)."""
    fact: dict[str, Any] = json.loads(json.dumps(history, default=str))
    for series in _map(fact.get("series")).values():
        if isinstance(series, dict):
            series.pop("points", None)
    return fact


def since_start_sample(status: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The status sample the since-start figures divide by its Uptime, and its name: the first, as pt-mysql-summary's
    per-second column, unless the server had been up less than a second then (Uptime 0 gives no rate), then the
    second."""
    first: Mapping[str, Any] = _map(status.get("first"))
    second: Mapping[str, Any] = _map(status.get("second"))
    if _int(first.get("Uptime")) == 0 and (_int(second.get("Uptime")) or 0) > 0:
        return "second", second
    return "first", first


def workload_rates(status: Mapping[str, Any], uptime: int | None) -> dict[str, Any]:
    """Average QPS since start, sampled QPS, rows read/written — from two status samples."""
    first: Mapping[str, Any] = _map(status.get("first"))
    second: Mapping[str, Any] = _map(status.get("second"))
    _sample, latest = since_start_sample(status)

    questions = _int(latest.get("Questions"))
    up = _int(latest.get("Uptime")) or uptime
    workload: dict[str, Any] = {"uptime_seconds": up}  # the seconds the since-start figures cover
    workload["queries_total"] = questions
    if questions is not None and up:
        workload["qps_average_since_start"] = questions / up
    interval = status.get("interval_seconds")
    workload["qps_sampled"] = None
    q1, q2 = _int(first.get("Questions")), _int(second.get("Questions"))
    if q1 is not None and q2 is not None and interval:
        # our own two SHOW STATUS statements and whatever ran between them count too; say so once
        workload["qps_sampled"] = max(0, q2 - q1) / float(interval)
        workload["sampled_interval_seconds"] = interval
    read, written, basis = row_totals(latest)
    workload["rows_read_total"] = read
    workload["rows_written_total"] = written
    workload["rows_basis"] = basis
    if up:
        for key in ("rows_read", "rows_written"):
            total = workload.get(f"{key}_total")
            if total is not None:
                workload[f"{key}_per_day"] = total / up * 86400
    return workload


def row_totals(status: Mapping[str, Any]) -> tuple[int | None, int | None, str]:
    """Rows read and written since startup, and which counters they come from.

    MySQL and Percona count InnoDB rows (Innodb_rows_*); MariaDB 10.11 has no such counters, so
    there rows read is Rows_read and rows written Handler_write + update + delete (MariaDB counts
    internal temporary tables apart, in Handler_tmp_*).
    """
    def num(name: str) -> int | None:
        return _int(status.get(name))

    if num("Innodb_rows_read") is not None:
        parts = [num(f"Innodb_rows_{w}") for w in ("inserted", "updated", "deleted")]
        written = sum(p or 0 for p in parts) if any(p is not None for p in parts) else None
        return num("Innodb_rows_read"), written, "Innodb_rows_read; Innodb_rows_inserted + updated + deleted"
    read = num("Rows_read")
    handler = [num(f"Handler_{w}") for w in ("write", "update", "delete")]
    written = sum(h or 0 for h in handler) if all(h is not None for h in handler) else None
    if read is None and written is None:
        return None, None, "no row counters in the status sample"
    return read, written, "Rows_read; Handler_write + Handler_update + Handler_delete"


def _workload_provenance(rates: Mapping[str, Any], up: int | None, sample: str) -> dict[str, dict[str, Any]]:
    """Where each derived workload figure comes from and the seconds it covers (only the figures there are)."""
    found: dict[str, dict[str, Any]] = {}
    if rates.get("qps_average_since_start") is not None:
        found["workload.qps_average_since_start"] = {"source": SINCE_START.format(sample=sample), "window_seconds": up}
    if rates.get("qps_sampled") is not None:
        found["workload.qps_sampled"] = {"source": SAMPLED, "window_seconds": rates.get("sampled_interval_seconds")}
    # rows_basis: "<rows read counter>; <rows written counters>" (row_totals)
    counters = str(rates.get("rows_basis") or "").split("; ")
    for index, key in enumerate(("rows_read_per_day", "rows_written_per_day")):
        if rates.get(key) is not None and index < len(counters):
            found[f"workload.{key}"] = {"source": f"SHOW GLOBAL STATUS ({sample} sample): {counters[index]} / Uptime",
                                        "window_seconds": up}
    return found


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
