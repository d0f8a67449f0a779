"""The Markdown report (`ps_report_<ts>.md`): a pure function of the derived facts (prechecks.derive).

Sections follow the original ps-prechecks script (a fork of pt-mysql-summary) in order and
layout: `name | value` lines with the name right-aligned to 35 columns, pre-formatted tables
indented by four spaces. Any facts key may be missing; a section without its data says why,
using the owning collector's entry in `collection.collectors`. Query text never appears here (the slow
log section shows fingerprints: every literal replaced by ``?``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.numbers import as_number as _num  # the one number parser (collectors.numbers)
from prechecks.derive import Derived
from prechecks.escape import markdown, markdown_prose, visible
from prechecks.fuzzy import format_status_variables, fuzz, fuzzy_formula, fuzzy_pct, secs_to_time, shorten

__all__ = ["render_report"]

NAME_WIDTH = 35
INDENT = "    "
NOT_ON_SERVER = "(not on this server)"

# Which collector writes which facts key, for the "Not collected: ..." lines.
OWNERS: Mapping[str, tuple[str, ...]] = {
    "variables": ("variables",),
    "status": ("status",),
    "databases": ("schema_inventory", "table_sizes"),
    "schemas": ("schema_inventory", "table_sizes"),
    "tables": ("table_sizes", "schema_inventory"),
    "processlist": ("processlist",),
    "replication": ("replication",),
    "binlog": ("binary_logs",),
    "technologies": ("technologies",),
    "config_file": ("config_file",),
    "schema_ddl": ("schema_ddl",),
}

# The original report's Noteworthy Variables, in its order: shown as they are, then as sizes.
NOTEWORTHY_PLAIN = (
    "auto_increment_increment", "auto_increment_offset", "character_set_server",
    "collation_server", "default_storage_engine", "innodb_adaptive_checkpoint",
    "innodb_adaptive_flushing", "innodb_buffer_pool_instances", "innodb_flush_log_at_trx_commit",
    "innodb_flush_method", "innodb_io_capacity", "innodb_io_capacity_max",
    "innodb_log_files_in_group", "innodb_read_io_threads", "innodb_thread_concurrency",
    "innodb_write_io_threads", "log_queries_not_using_indexes", "log_slow_queries",
    "long_query_time", "max_connections", "optimizer_switch", "performance_schema", "sql_mode",
    "tx_isolation",
)
# pt and the original list `bulk_insert_buffer`, which no server has: the variable is *_size.
NOTEWORTHY_SIZES = (
    "bulk_insert_buffer_size", "innodb_buffer_pool_size", "innodb_log_file_size",
    "innodb_log_buffer_size", "join_buffer_size", "max_allowed_packet", "max_heap_table_size",
    "read_buffer_size", "read_rnd_buffer_size", "sort_buffer_size", "thread_stack",
    "tmp_table_size",
)
# A variable gone from newer servers, and the one that took its place.
SUCCESSORS: Mapping[str, str] = {
    "tx_isolation": "transaction_isolation",
    "log_slow_queries": "slow_query_log",
}

TECHNOLOGIES: tuple[tuple[str, str], ...] = (
    ("fulltext", "Full Text Indexing"),
    ("geospatial", "Geospatial Types"),
    ("foreign_keys", "Foreign Keys"),
    ("partitioning", "Partitioning"),
    ("compression", "InnoDB Compression"),
    ("ssl", "SSL"),
    ("lock_tables", "Explicit LOCK TABLES"),
    ("xa", "XA Transactions"),
    ("prepared_statements", "Prepared Statements"),
)

PROCESSLIST_GROUPS: tuple[tuple[str, str], ...] = (
    ("command", "Command"), ("user", "User"), ("host", "Host"), ("db", "db"), ("state", "State"),
)

# The original ps-prechecks script's counters_pattern(), word for word and in its order (planetscale/ps-prechecks,
# commit f5c7535, ps-prechecks lines 1656-1673; tests/data/ps-prechecks-counters_pattern.txt is the same list as the
# script echoes it). The script greps its status lines with these joined by \|: a counter is shown when its name
# CONTAINS one of them, so Com_insert brings Com_insert_select, Com_delete Com_delete_multi, Aborted_connects
# MariaDB's Aborted_connects_preauth. The gauges (Threads_*, Max_used_connections) are kept although pt's
# noncounters_pattern() would drop them. A counter whose first value is 0 prints no line, as in pt and the
# original: Threads_cached (threads parked for reuse at that moment) comes and goes from one run to the next.
COUNTERS_PATTERN = (
    "Aborted_connects", "Bytes_received", "Bytes_sent", "Com_begin", "Com_commit", "Com_delete",
    "Com_insert", "Com_insert_select", "Com_kill", "Com_rollback", "Com_select", "Com_set_option", "Com_stmt_execute",
    "Com_stmt_close", "Com_lock_tables", "Com_stmt_prepare", "Com_unlock_tables", "Com_truncate", "Com_update",
    "Connections", "Innodb_rows_deleted", "Innodb_rows_inserted", "Innodb_rows_read", "Innodb_rows_updated",
    "Max_used_connections", "Max_used_connections_time", "Queries", "Questions", "Select_full_join",
    "Select_full_range_join", "Select_scan", "Select_range", "Select_range_check", "Sort_range", "Sort_rows",
    "Sort_scan", "Slow_queries", "Ssl_accepts", "Threads_cached", "Threads_connected", "Threads_created",
    "Threads_running",
)
_DATE_VALUE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # the original's awk: $2 ~ /^[0-9]{4}-[0-9]{2}-[0-9]{2}.*$/


def status_counter_names(status: Mapping[str, Any]) -> list[str]:
    """The variables of one SHOW GLOBAL STATUS sample the original's `grep "$(counters_pattern)"` keeps, in the
    server's order (whether each then prints a line depends on its value, as in the original)."""
    return [name for name in status if any(word in name for word in COUNTERS_PATTERN)]

Lines = list[str]
Section = Callable[[Mapping[str, Any], int], tuple[str, Lines]]


# --------------------------------------------------------------------------- small accessors

def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _int_text(value: float) -> str:
    return str(round(value))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def name_val(name: str, value: object) -> str:
    """pt-mysql-summary: name_val() with NAME_VAL_LEN 35."""
    return f"{name:>{NAME_WIDTH}} | {value}"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _collectors(facts: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in _seq(_map(facts.get("collection")).get("collectors")) if isinstance(c, Mapping)]


def _why_missing(facts: Mapping[str, Any], key: str) -> str:
    """One line saying why facts[key] is absent, from the collector that owns the key."""
    owners = OWNERS.get(key, (key,))
    records = {str(c.get("name")): c for c in _collectors(facts)}
    for name in owners:
        record = records.get(name)
        if record is not None and record.get("status") != "ok":
            status = _text(record.get("status")) or "not run"
            reason = _text(record.get("reason"))
            return f"Not collected: {status} — {markdown_prose(reason)}" if reason else f"Not collected: {status}"
    for name in owners:
        if name in records:
            return f"Not collected: the {name} collector ran but left no `{key}` in the facts"
    if "collection" not in facts:
        return f"Not collected: no `{key}`, and the facts document has no collection record"
    return f"Not collected: the {owners[0]} collector did not run"


def _variables(facts: Mapping[str, Any]) -> Mapping[str, Any] | None:
    value = facts.get("variables")
    return value if isinstance(value, Mapping) else None


def _status(facts: Mapping[str, Any], which: str = "first") -> Mapping[str, Any] | None:
    value = _map(facts.get("status")).get(which)
    return value if isinstance(value, Mapping) else None


def _uptime(facts: Mapping[str, Any]) -> float | None:
    """Seconds the server had been up at the first status sample."""
    first = _status(facts) or {}
    for value in (first.get("Uptime"), _map(facts.get("server")).get("uptime_seconds"),
                  _map(facts.get("workload")).get("uptime_seconds")):
        number = _num(value)
        if number is not None:
            return number
    return None


# --------------------------------------------------------------------------- sections

def _title(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    moment = _parse_time(facts.get("collected_at"))
    when = (f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment
            else "(not recorded: the facts document has no collected_at)")
    source = _map(facts.get("source"))
    if moment is None and source.get("via") == "read-samples":
        when = "(not a live run: an earlier capture, see Source)"
    lines = [name_val("System time", when)]
    if source.get("via") == "read-samples":  # not a live run: say whose capture, when and where
        taken = _text(source.get("captured_at")) or "(its date is not in the samples)"
        if source.get("captured_at") and source.get("captured_time_zone"):
            taken += f" ({_text(source.get('captured_time_zone'))})"
        host = _text(source.get("hostname")) or "(host not in the samples)"
        lines.append(name_val("Source", f"an earlier capture, {markdown(_text(source.get('path')))}, written by "
                              f"{_text(source.get('tool')) or 'an unknown tool'}: taken {taken} on {markdown(host)}"))
    return "PlanetScale Migration Pre-Check Report", lines


READINESS_SHOWN = 3  # objects named per check line; readiness.json has them all
READINESS_MARKS = {"pass": "ok", "fail": "FAIL", "skipped": "skipped", "not_applicable": "n/a"}


def _readiness(readiness: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    """The verdict, then one line per check of the derived readiness document (prechecks/readiness.py, evaluated
    once by prechecks.derive); remediation under each failure. Given the readiness document, not the facts."""
    from prechecks.readiness import verdict

    lines = [name_val("Verdict", verdict(readiness))]
    for check in readiness["checks"]:
        status = _text(check.get("status"))
        mark = READINESS_MARKS.get(status, status)
        if status == "fail":
            mark = f"{mark} ({_text(check.get('severity'))})"
        value = _text(check.get("title"))
        objects = [markdown(_text(o)) for o in _seq(check.get("objects"))]
        if objects:
            shown = ", ".join(objects[:READINESS_SHOWN])
            more = f", +{len(objects) - READINESS_SHOWN} more" if len(objects) > READINESS_SHOWN else ""
            value += f" — {len(objects)}: {shown}{more}"
        elif status in ("fail", "skipped", "not_applicable"):
            value += f" — {markdown_prose(_text(check.get('detail')))}"
        lines.append(name_val(f"{mark} {_text(check.get('id'))}", value))
        if status == "fail" and check.get("remediation"):
            lines.append(f"{INDENT}fix: {markdown_prose(_text(check.get('remediation')))}")
            lines.append(f"{INDENT}see: {_text(check.get('docs'))}")
    return "PlanetScale import readiness", lines


def _collection(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    collection = facts.get("collection")
    if not isinstance(collection, Mapping):
        return "Collection", ["Not recorded: the facts document has no collection record"]
    records = _collectors(facts)
    lines = []
    for record in records:
        status = _text(record.get("status"))
        reason = markdown_prose(_text(record.get("reason")))
        if status == "ok" and not reason:
            continue
        label = "ok, read less" if status == "ok" else status  # ran, but part of it is missing: say why
        text = f"{label} — {reason}" if reason else label
        remedy = markdown_prose(_text(record.get("remedy")))
        if remedy:
            text += f"; to fix: {remedy}"
        lines.append(name_val(_text(record.get("name")) or "?", text))
    if not lines:
        lines.append(name_val("Collectors", f"all {len(records)} ran ok"))
    if collection.get("error"):
        lines.append(name_val("Error", markdown_prose(_text(collection.get("error")))))
    for note in collection.get("notes") or []:
        lines.append(name_val("Note", markdown_prose(_text(note))))
    footprint = digest_footprint(facts)
    if footprint:
        lines.append(name_val("Left on the server", markdown_prose(footprint)))
    return "Collection", lines


def digest_footprint(facts: Mapping[str, Any]) -> str | None:
    """What this run's SHOW CREATE statements did to the server's statement-digest table, when they filled it.

    The digests are read before the schema walk; each SHOW CREATE the walk then sends is a digest row of its own
    (names are not normalised), so on a server of many tables the walk can take every row that was free. The
    statements the application runs for the first time after that are counted only in the table's overflow row
    until it is truncated: a read-only tool cannot prevent it, so the report says so and how to undo it."""
    workload, ddl = _map(facts.get("workload")), _map(facts.get("schema_ddl"))
    size = _num(_map(facts.get("variables")).get("performance_schema_digests_size"))
    in_use, objects = _num(workload.get("digest_rows")), _num(ddl.get("objects"))
    if size is None or size <= 0 or in_use is None or not objects:
        return None
    free = size - in_use
    if free <= 0 or objects < free:  # full before the run (its overflow is in the notes above), or rows left
        return None
    return (f"this run's {_int_text(objects)} SHOW CREATE statements (a statement digest each: names are not "
            f"normalised) took the last {_int_text(free)} free rows of the {_int_text(size)} of "
            "performance_schema.events_statements_summary_by_digest. Statements the "
            "application runs for the first time from now on are counted only in its overflow row (DIGEST NULL), "
            "which tools that read it (PMM Query Analytics, sys.statement_analysis) show as one line, until it is "
            "emptied: TRUNCATE TABLE performance_schema.events_statements_summary_by_digest (as a user with DROP "
            "on it) once you no longer need today's figures")


def _workload(facts: Mapping[str, Any]) -> dict[str, Any]:
    """facts.workload as prechecks.derive computed it (the report computes no figure of its own)."""
    return dict(_map(facts.get("workload")))


def _summary(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    workload = _workload(facts)
    if not workload:
        return "Summary", [_why_missing(facts, "status")]
    read, written = _num(workload.get("rows_read_total")), _num(workload.get("rows_written_total"))
    basis = _text(workload.get("rows_basis"))

    def total(value: float | None) -> str:
        return "(unknown: this server has none of the counters used)" if value is None else _int_text(value)

    def per_day(given: Any) -> str:
        number = _num(given)
        return "(unknown)" if number is None else _int_text(number)

    lines = [
        name_val("Rows written since startup", total(written)),
        name_val("Rows read since startup", total(read)),
        name_val("Daily average rows written", per_day(workload.get("rows_written_per_day"))),
        name_val("Daily average rows read", per_day(workload.get("rows_read_per_day"))),
    ]
    if basis:
        lines.append(name_val("Rows counted from", basis))
    qps_avg = _num(workload.get("qps_average_since_start"))
    qps_now = _num(workload.get("qps_sampled"))
    if qps_avg is not None:
        lines.append(name_val("Queries per second (average)", f"{qps_avg:.1f}"))
    if qps_now is not None:
        lines.append(name_val("Queries per second (sampled)", f"{qps_now:.1f}"))
    return "Summary", lines


def _table_information(facts: Mapping[str, Any], top: int) -> tuple[str, Lines]:
    title = f"Table Information (top {top}, approx. row counts)"
    tables = facts.get("tables")
    if not isinstance(tables, list):
        return title, [_why_missing(facts, "tables")]

    def size(table: Mapping[str, Any]) -> float:
        return (_num(table.get("data_bytes")) or 0) + (_num(table.get("index_bytes")) or 0)

    rows = [t for t in tables if isinstance(t, Mapping)]
    if not rows:
        return title, ["No user base tables on this server"]
    rows.sort(key=lambda t: (-size(t), _text(t.get("schema")), _text(t.get("name"))))
    lines = [name_val(f"{shorten(sum(size(t) for t in rows), 0)} ", "Total")]
    for table in rows[:top]:
        count = _num(table.get("rows"))
        approx = "?" if count is None else _int_text(count)
        lines.append(name_val(f"{shorten(size(table), 0)} ({approx} rows)",
                              f"{markdown(_text(table.get('schema')))}.{markdown(_text(table.get('name')))}"))
    return title, lines


def _replication_text(facts: Mapping[str, Any]) -> str:
    replication = facts.get("replication")
    if not isinstance(replication, Mapping):
        return "(" + _why_missing(facts, "replication").replace("Not collected", "not collected", 1) + ")"
    sources = [s for s in _seq(replication.get("sources")) if isinstance(s, Mapping)]
    parts = []
    for source in sources:
        behind = source.get("seconds_behind")
        lag = "lag unknown" if behind is None else f"{behind} s behind"
        channel = _text(source.get("channel"))
        where = f"{markdown(_text(source.get('source_host')))}:{_text(source.get('source_port'))}"
        if channel:
            where += f" (channel {markdown(channel)})"
        state = f"IO {_text(source.get('io_running')) or '?'}, SQL {_text(source.get('sql_running')) or '?'}"
        parts.append(f"{where} ({state}, {lag})")
    is_replica = bool(replication.get("is_replica")) or bool(parts)
    text = ("Is a replica of " + "; ".join(parts)) if parts else (
        "Is a replica" if is_replica else "Is not a replica")
    count = replication.get("replica_count")
    if count is None:
        count = replication.get("binlog_dump_threads")
    if count is None:
        text += ", replicas connected unknown"
    elif not is_replica or count:
        text += f", has {count} replicas connected"
    return text


def _report_on_port(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    server = _map(facts.get("server"))
    variables = _variables(facts)
    var = variables or {}
    source = _map(facts.get("source"))
    port = server.get("port") or var.get("port") or source.get("port")
    title = f"Report On Port {port}" if port else "Report On Port (unknown)"
    if not server and variables is None:
        return title, [_why_missing(facts, "variables")]
    unknown = "(not collected)"

    # pt prints CURRENT_USER() and the server's NOW() with its time zone; the variables
    # collector records them as server.current_user / local_time / time_zone when it can
    user = _text(server.get("current_user"))
    if not user and source.get("user"):
        host = _text(source.get("host")) or ("localhost" if source.get("socket") else "")
        user = f"{_text(source.get('user'))}@{host}"
    moment = _parse_time(facts.get("collected_at"))
    time_zone = _text(var.get("time_zone"))
    if time_zone in ("", "SYSTEM"):
        time_zone = _text(var.get("system_time_zone") or server.get("time_zone")) or time_zone
    if server.get("local_time"):
        when = f"{_text(server.get('local_time'))} ({time_zone or 'server time zone unknown'})"
    elif moment:
        when = f"{moment:%Y-%m-%d %H:%M:%S} UTC"
        if time_zone:
            when += f" (server time zone: {time_zone})"
    else:
        when = unknown

    uptime = _num(server.get("uptime_seconds"))
    if uptime is None:
        uptime = _uptime(facts)
    started = _parse_time(server.get("started_at"))
    if started is None and moment is not None and uptime is not None:
        started = moment - timedelta(seconds=uptime)
    started_text = f"{started:%Y-%m-%d %H:%M} UTC" if started else ""
    if not started_text and server.get("started_local"):  # a capture's: the server's clock, as pt prints it
        started_text = _text(server.get("started_local"))
    if uptime is not None:
        started_text = f"{started_text} (up {secs_to_time(uptime)})".strip()
    started_text = started_text or unknown

    databases = facts.get("databases")
    first = _status(facts)
    if first is not None and "Threads_connected" in first and "Threads_running" in first:
        processes = f"{fuzz(first['Threads_connected'])} connected, {fuzz(first['Threads_running'])} running"
    else:
        processes = "(" + _why_missing(facts, "status").replace("Not collected", "not collected", 1) + ")"
    version = " ".join(x for x in (_text(server.get("version") or var.get("version")),
                                   _text(server.get("version_comment") or var.get("version_comment"))) if x)
    built = " ".join(x for x in (_text(server.get("compile_os") or var.get("version_compile_os")),
                                 _text(server.get("compile_machine") or var.get("version_compile_machine")))
                     if x)
    platform = _text(server.get("platform"))
    evidence = [str(e) for e in _seq(server.get("platform_evidence")) if e]
    if platform and evidence:
        platform += f" ({'; '.join(evidence)})"
    lines = [
        name_val("User", user or unknown),
        name_val("Time", when),
        name_val("Hostname", _text(server.get("hostname") or var.get("hostname")) or unknown),
        name_val("Version", version or unknown),
        name_val("Built On", built or unknown),
        name_val("Cloud Platform", platform or unknown),
        name_val("Started", started_text),
        name_val("Databases", len(databases) if isinstance(databases, list) else unknown),
        name_val("Datadir", _text(server.get("datadir") or var.get("datadir")) or unknown),
        name_val("Processes", processes),
        name_val("Replication", _replication_text(facts)),
    ]
    return title, lines


def _variable_value(variables: Mapping[str, Any], name: str, *, as_size: bool) -> str:
    if name not in variables or variables[name] is None:
        successor = SUCCESSORS.get(name)
        if successor and successor in variables:
            return f"{NOT_ON_SERVER[:-1]}; {successor} = {_text(variables[successor])})"
        return NOT_ON_SERVER
    value = _text(variables[name])
    if value == "":
        return "(empty)"
    if as_size and value.isdigit():
        return shorten(value, 0)  # pt: section_noteworthy_variables, shorten ... 0
    return value


def _noteworthy_variables(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    variables = _variables(facts)
    if variables is None:
        return "Noteworthy Variables", [_why_missing(facts, "variables")]
    lines = [name_val(n, _variable_value(variables, n, as_size=False)) for n in NOTEWORTHY_PLAIN]
    lines += [name_val(n, _variable_value(variables, n, as_size=True)) for n in NOTEWORTHY_SIZES]
    return "Noteworthy Variables", lines


def _technology_value(entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return "Unknown — not determined by this run"
    value = entry.get("value")
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    evidence = _text(entry.get("evidence")) or "no evidence recorded"
    return f"Unknown — {evidence}"


def _noteworthy_technologies(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    technologies = facts.get("technologies")
    if not isinstance(technologies, Mapping):
        return "Noteworthy Technologies", [_why_missing(facts, "technologies")]
    lines = [name_val(label, _technology_value(technologies.get(key))) for key, label in TECHNOLOGIES]
    known = {key for key, _ in TECHNOLOGIES}
    for key, entry in technologies.items():
        if key not in known:
            lines.append(name_val(str(key).replace("_", " ").capitalize(), _technology_value(entry)))
    return "Noteworthy Technologies", lines


def _processlist(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    """pt-mysql-summary: summarize_processlist() — five fuzzed group tables, lines sorted."""
    processlist = facts.get("processlist")
    if not isinstance(processlist, Mapping):
        return "Processlist", [_why_missing(facts, "processlist")]
    groups = _map(processlist.get("groups"))
    lines: Lines = []
    if _num(processlist.get("total")) == 0:
        own = " other than this tool's own" if processlist.get("excludes_own_connection") else ""
        return "Processlist", [f"No sessions{own} were connected."]
    for key, label in PROCESSLIST_GROUPS:
        lines.append("")
        lines.append(INDENT + f"{label:<30} {'COUNT(*)':>8} {'Working':>7} {'SUM(Time)':>9} {'MAX(Time)':>9}")
        lines.append(INDENT + "------------------------------ -------- ------- --------- ---------")
        rows = []
        for entry in _seq(groups.get(key)):
            if not isinstance(entry, Mapping):
                continue
            value = "NULL" if entry.get("value") is None else markdown(str(entry.get("value"))[:30])
            numbers = [int(fuzzy_formula(_num(entry.get(f)) or 0.0))
                       for f in ("count", "working", "time_sum", "time_max")]
            rows.append(INDENT + f"{value:<30} {numbers[0]:>8d} {numbers[1]:>7d} "
                        f"{numbers[2]:>9d} {numbers[3]:>9d}")
        lines.extend(sorted(rows))  # pt pipes each table through `sort`
    lines.append("")
    return "Processlist", lines


def _seconds_label(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.2f}"


def _status_counters(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    status = _map(facts.get("status"))
    first, second = _status(facts), _status(facts, "second")
    interval = _num(status.get("interval_seconds"))
    if interval is None and first is not None and second is not None:
        before, after = _num(first.get("Uptime")), _num(second.get("Uptime"))
        if before is not None and after is not None:
            interval = after - before  # pt's udiff
    title = f"Status Counters (Wait {_seconds_label(interval)} Seconds)" if interval else "Status Counters"
    if first is None:
        return title, [_why_missing(facts, "status")]
    uptime = _uptime(facts) or 0.0
    lines = format_status_variables(first, second or {}, uptime=uptime, interval=interval or 0.0,
                                    names=[], skip_noncounters=False)  # the header line
    for name in status_counter_names(first):
        value = _text(first.get(name))
        if _DATE_VALUE.match(value):  # the original prints a date-valued variable's first value as it is
            date, _, clock = value.partition(" ")
            lines.append(f"{name:<35} {date:>11} {clock.split(' ')[0]:>11} ")
            continue
        lines += format_status_variables(first, second or {}, uptime=uptime, interval=interval or 0.0,
                                         names=(name,), skip_noncounters=False)[1:]
    body = [INDENT + line for line in lines]
    if second is None:
        body.append("Only one status sample was taken: the last column is empty")
    return title, body


def _galera(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    """pt-mysql-summary: section_percona_xtradb_cluster()."""
    title = "Galera / Percona XtraDB Cluster"
    variables = _variables(facts)
    if variables is None:
        return title, [_why_missing(facts, "variables")]
    if "wsrep_on" not in variables:
        return title, [name_val("wsrep_on", NOT_ON_SERVER)]
    if _text(variables.get("wsrep_on")).upper() != "ON":
        return title, [name_val("wsrep_on", _text(variables.get("wsrep_on")) or "OFF")]
    first = _status(facts)

    def var(name: str) -> str:
        return _text(variables.get(name))

    def stat(name: str) -> str:
        return "(not collected)" if first is None else _text(first.get(name))

    options = dict(re.findall(r"(\S+)\s*=\s*(\S*)(?:;|$)", var("wsrep_provider_options")))
    threads = "wsrep_slave_threads" if "wsrep_slave_threads" in variables else "wsrep_applier_threads"
    lines = [
        name_val("Cluster Name", var("wsrep_cluster_name")),
        name_val("Cluster Address", var("wsrep_cluster_address")),
        name_val("Cluster Size", stat("wsrep_cluster_size")),
        name_val("Cluster Nodes", stat("wsrep_incoming_addresses")),
        name_val("Node Name", var("wsrep_node_name")),
        name_val("Node Status", stat("wsrep_cluster_status")),
        name_val("SST Method", var("wsrep_sst_method")),
        name_val("Slave Threads", var(threads)),
        name_val("Ignore Split Brain", options.get("pc.ignore_sb", "")),
        name_val("Ignore Quorum", options.get("pc.ignore_quorum", "")),
        name_val("gcache Size", options.get("gcache.size", "")),
        name_val("gcache Directory", options.get("gcache.dir", "")),
        name_val("gcache Name", options.get("gcache.name", "")),
    ]
    return title, lines


def _query_cache(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    """pt-mysql-summary: the Query cache lines of report_mysql_summary()."""
    title = "Query cache"
    variables = _variables(facts)
    if variables is None:
        return title, [_why_missing(facts, "variables")]
    if _text(variables.get("have_query_cache")).upper() != "YES":
        return title, [name_val("query_cache", "not on this server")]
    size = _text(variables.get("query_cache_size")) or "0"
    lines = [name_val("query_cache_type", _text(variables.get("query_cache_type"))),
             name_val("Size", shorten(size, 1))]
    first = _status(facts)
    if first is None:
        reason = _why_missing(facts, "status")
        return title, [*lines, name_val("Usage", reason), name_val("HitToInsertRatio", reason)]
    used = (_num(size) or 0) - (_num(first.get("Qcache_free_memory")) or 0)
    lines.append(name_val("Usage", fuzzy_pct(used, size)))
    lines.append(name_val("HitToInsertRatio",
                          fuzzy_pct(_text(first.get("Qcache_hits")), _text(first.get("Qcache_inserts")))))
    return title, lines


def pretty_print_cnf(text: str) -> Lines:
    """pt-mysql-summary: pretty_print_cnf_file() — settings as `name = value`, groups spaced."""
    out: Lines = []
    for line in text.splitlines():
        if not re.match(r"\s*[a-zA-Z[]", line):
            continue
        setting = re.search(r"\s*(.*?)\s*=\s*(.*)\s*$", line)
        if setting:
            out.append(f"{setting.group(1):<35} = {setting.group(2)}")
        elif re.search(r"\s*\[", line):
            out.extend(["", line])
        else:
            out.append(line)
    return out


def _configuration_file(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    title = "Configuration File"
    config = facts.get("config_file")
    if not isinstance(config, Mapping):
        return title, [_why_missing(facts, "config_file")]
    path = _text(config.get("path"))
    lines = [name_val("Config File", path or "Cannot autodetect or find, giving up")]
    lines += [INDENT + line if line else "" for line in pretty_print_cnf(_text(config.get("text")))]
    return title, lines


SCHEMA_ROWS = 40  # more schemas than this (a schema per tenant): counts, the largest and the odd ones, not a row each
_SCHEMA_COUNTS = ("Tables", "Views", "Routines", "Triggers", "Events")


def _schema_size(schema: Mapping[str, Any]) -> float:
    return (_num(schema.get("data_bytes")) or 0) + (_num(schema.get("index_bytes")) or 0)


def _schema_rows(rows: list[Mapping[str, Any]]) -> Lines:
    """The Database / Tables / ... / Engines table, one row per schema given."""
    width = max(len("Database"), *(len(markdown(_text(s.get("name")))) for s in rows))
    header = f"{'Database':<{width}} " + " ".join(f"{c:>8}" for c in _SCHEMA_COUNTS)
    header += f" {'Data':>7} {'Index':>7}  Engines"
    lines = [INDENT + header]
    for schema in rows:
        numbers = " ".join(f"{_int_text(_num(schema.get(c.lower())) or 0):>8}" for c in _SCHEMA_COUNTS)
        engines = _map(schema.get("engines"))
        engine_text = ", ".join(
            f"{name} {_int_text(_num(n) or 0)}"
            for name, n in sorted(engines.items(), key=lambda item: (-(_num(item[1]) or 0), item[0])))
        line = (f"{markdown(_text(schema.get('name'))):<{width}} {numbers}"
                f" {shorten(_num(schema.get('data_bytes')) or 0, 0):>7}"
                f" {shorten(_num(schema.get('index_bytes')) or 0, 0):>7}  {engine_text}")
        lines.append(INDENT + line.rstrip())
    return lines


def _some(names: list[str], shown: int = 5) -> str:
    text = ", ".join(markdown(n) for n in names[:shown])
    return text + (f" and {_int_text(len(names) - shown)} more" if len(names) > shown else "")


def _schema_overview(rows: list[Mapping[str, Any]], top: int) -> Lines:
    """Many schemas: the totals, how the schemas differ, the largest ``top`` and the odd ones out."""
    totals = {c: sum(_num(s.get(c.lower())) or 0 for s in rows) for c in _SCHEMA_COUNTS}
    tables = sorted(_num(s.get("tables")) or 0 for s in rows)
    engines: dict[str, float] = {}
    for schema in rows:
        for name, n in _map(schema.get("engines")).items():
            engines[str(name)] = engines.get(str(name), 0) + (_num(n) or 0)
    ordered = sorted(engines.items(), key=lambda item: (-item[1], item[0]))
    lines = [
        name_val("Schemas", f"{_int_text(len(rows))}: " + ", ".join(
            f"{_int_text(totals[c])} {c.lower()}" for c in _SCHEMA_COUNTS)),
        name_val("Data / Index", f"{shorten(sum(_num(s.get('data_bytes')) or 0 for s in rows), 0)} / "
                 f"{shorten(sum(_num(s.get('index_bytes')) or 0 for s in rows), 0)}"),
        name_val("Tables per schema", f"min {_int_text(tables[0])}, median {_int_text(tables[len(tables) // 2])}, "
                 f"max {_int_text(tables[-1])}"),
        name_val("Engines", ", ".join(f"{markdown(name)} {_int_text(n)}" for name, n in ordered) or "none"),
    ]
    empty = [_text(s.get("name")) for s in rows if not (_num(s.get("tables")) or 0)]
    if empty:
        lines.append(name_val("Without a table", f"{_int_text(len(empty))}: {_some(empty)}"))
    if len(ordered) > 1:
        main = ordered[0][0]
        other = [_text(s.get("name")) for s in rows if set(_map(s.get("engines"))) - {main}]
        lines.append(name_val(f"Not only {markdown(main)}", f"{_int_text(len(other))}: {_some(other)}"))
    for label, key in (("With routines", "routines"), ("With triggers", "triggers"), ("With events", "events")):
        having = [_text(s.get("name")) for s in rows if _num(s.get(key))]
        if having:
            lines.append(name_val(label, f"{_int_text(len(having))}: {_some(having)}"))
    most = sorted(rows, key=lambda s: (-(_num(s.get("tables")) or 0), _text(s.get("name"))))[:5]
    lines.append(name_val("Most tables", ", ".join(
        f"{markdown(_text(s.get('name')))} ({_int_text(_num(s.get('tables')) or 0)})" for s in most)))
    largest = sorted(rows, key=lambda s: (-_schema_size(s), _text(s.get("name"))))[:top]
    lines += ["", INDENT + f"The {len(largest)} largest (data + index); every schema is in facts.json (schemas):",
              *_schema_rows(largest), ""]
    return lines


def _schema(facts: Mapping[str, Any], top: int) -> tuple[str, Lines]:
    title = "Schema"
    schemas = facts.get("schemas")
    lines: Lines = []
    if not isinstance(schemas, list):
        lines.append(_why_missing(facts, "schemas"))
    elif not any(isinstance(s, Mapping) for s in schemas):
        lines.append("No user schemas on this server")
    else:
        rows = sorted((s for s in schemas if isinstance(s, Mapping)), key=lambda s: _text(s.get("name")))
        if len(rows) > SCHEMA_ROWS:
            lines += _schema_overview(rows, max(1, min(top, SCHEMA_ROWS)))
        else:
            width = max(len("Database"), *(len(markdown(_text(s.get("name")))) for s in rows))
            lines += ["", *_schema_rows(rows), ""]
            lines += _schema_types(facts, [_text(s.get("name")) for s in rows], width)
    ddl = facts.get("schema_ddl")
    if isinstance(ddl, Mapping):
        cut = ddl.get("cut")
        note = f"; cut short: {markdown_prose(cut)}" if isinstance(cut, str) and cut else "; cut short" if cut else ""
        count = _num(ddl.get("bytes")) or 0
        size = f"{int(count)} bytes" if count < 1024 else shorten(count, 1)
        objects = _text(ddl.get("objects"))
        lines.append(name_val("DDL in the mysqldump sample", f"{objects} objects, {size}{note}"))
    else:
        lines.append(name_val("DDL in the mysqldump sample", _why_missing(facts, "schema_ddl")))
    return title, lines


def _schema_types(facts: Mapping[str, Any], names: list[str], width: int) -> Lines:
    """pt-mysql-summary's further Schema tables, from the inventory: foreign keys and partitioned tables, index
    types, column types (their names written downwards, as pt does), one row per schema, blank for none."""
    types = _map(facts.get("schema_types"))
    if not types:
        return []
    objects = _map(facts.get("objects"))
    foreign: dict[str, int] = {}
    for fk in _seq(objects.get("foreign_keys")):
        schema = _text(_map(fk).get("table")).split(".", 1)[0]
        foreign[schema] = foreign.get(schema, 0) + 1
    partitioned: dict[str, int] = {}
    for table in _seq(facts.get("tables")):
        if isinstance(table, Mapping) and table.get("partition_method"):
            partitioned[_text(table.get("schema"))] = partitioned.get(_text(table.get("schema")), 0) + 1

    def cell(value: float | None, size: int) -> str:
        return f"{_int_text(value):>{size}}" if value else " " * size

    lines: Lines = [INDENT + f"{'Database':<{width}} {'FKs':>5} {'Partn':>5}"]
    lines += [INDENT + f"{markdown(n):<{width}} {cell(foreign.get(n), 5)} {cell(partitioned.get(n), 5)}".rstrip()
              for n in names]
    lines.append("")
    for key, vertical in (("index_types", False), ("column_types", True)):
        kinds = sorted({str(k) for n in names for k in _map(_map(types.get(n)).get(key))})
        if not kinds:
            continue
        size = 5 if vertical else max(6, *(len(k) + 1 for k in kinds))
        if vertical:
            depth = max(len(k) for k in kinds)
            for row in range(depth):
                lines.append(INDENT + " " * width + "".join(f"{k[row] if row < len(k) else '':>{size}}"
                                                             for k in kinds).rstrip())
            lines.append(INDENT + f"{'Database':<{width}}" + "".join(f"{'====':>{size}}" for _ in kinds))
        else:
            lines.append(INDENT + f"{'Database':<{width}}" + "".join(f"{k:>{size}}" for k in kinds))
        for name in names:
            counts = _map(_map(types.get(name)).get(key))
            lines.append((INDENT + f"{markdown(name):<{width}}"
                          + "".join(cell(_num(counts.get(k)), size) for k in kinds)).rstrip())
        lines.append("")
    return lines


def _binary_logging(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    title = "Binary Logging"
    binlog = facts.get("binlog")
    if not isinstance(binlog, Mapping):
        return title, [_why_missing(facts, "binlog")]
    variables = _variables(facts) or {}
    if binlog.get("enabled") is False:
        return title, [name_val("log_bin", "OFF (binary logging is disabled)")]
    files = [f for f in _seq(binlog.get("files")) if isinstance(f, Mapping)]
    total = _num(binlog.get("total_bytes"))
    if total is None:
        total = sum(_num(f.get("size")) or 0 for f in files)
    lines = [  # pt-mysql-summary: summarize_binlogs()
        name_val("Binlogs", len(files)),
        name_val("Zero-Sized", sum(1 for f in files if _num(f.get("size")) == 0)),
        name_val("Total Size", shorten(f"{total:.0f}", 1)),
        name_val("binlog_format", _text(binlog.get("format")) or NOT_ON_SERVER),
        name_val("binlog_row_image", _text(binlog.get("row_image")) or NOT_ON_SERVER),
    ]
    gtid_mode = binlog.get("gtid_mode")
    if gtid_mode is None and "gtid_current_pos" in variables:
        position = _text(variables["gtid_current_pos"])
        gtid_text = f"{NOT_ON_SERVER[:-1]}; MariaDB GTID, gtid_current_pos = {position})"
    else:
        gtid_text = _text(gtid_mode) or NOT_ON_SERVER
    lines.append(name_val("gtid_mode", gtid_text))
    enforce = _text(binlog.get("enforce_gtid_consistency")) or NOT_ON_SERVER
    lines.append(name_val("enforce_gtid_consistency", enforce))
    expire = _num(binlog.get("expire_seconds"))
    if expire is None:
        expire_text = "unknown"
    elif expire == 0:
        expire_text = "0 (never purged automatically)"
    else:
        expire_text = f"{_int_text(expire)} s ({expire / 86400:.1f} days)"
    lines.append(name_val("Binlog retention", expire_text))
    for name in ("expire_logs_days", "binlog_expire_logs_seconds", "sync_binlog"):
        lines.append(name_val(name, _text(variables[name]) if name in variables
                              else NOT_ON_SERVER if variables else "(not collected)"))
    current = _map(binlog.get("current"))
    if current:
        text = f"{_text(current.get('file'))} at {_text(current.get('position'))}"
        if current.get("gtid_executed"):
            text += f" (gtid_executed {_text(current.get('gtid_executed'))})"
        lines.append(name_val("Current file", text))
    return title, lines


SIZING_TITLE = "Sizing and pricing inputs"


def _sizing(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    """facts["sizing"] (prechecks.sizing, built by prechecks.derive): each input PlanetScale prices on and its value,
    then (indented) the source it was measured from, the window that covers and how; a row nobody measured says
    what would measure it."""
    sizing = facts.get("sizing")
    rows = [_map(r) for r in _seq(_map(sizing).get("rows")) if isinstance(r, Mapping)]
    if not rows:
        return SIZING_TITLE, ["Not built: the facts document has no sizing table (derived by an older version)"]
    lines = ["What PlanetScale prices on: each value, then where it was measured and over which window (a workload "
             "history before the cloud's metrics before SQL). facts.json \"sizing\" has each figure as a number."]
    for row in rows:
        lines.append(name_val(_text(row.get("label")), markdown(_text(row.get("value")))))
        source = _text(row.get("source"))
        if source == "none":
            lines.append(f"{INDENT}not measured: {markdown_prose(_text(row.get('detail')))}")
            continue
        window = f", window {markdown(_text(row['window']))}" if row.get("window") else ""
        lines.append(f"{INDENT}from {markdown(source)}{window}: {markdown_prose(_text(row.get('detail')))}")
    return SIZING_TITLE, lines


SECTIONS: tuple[tuple[str, Section], ...] = (
    ("PlanetScale Migration Pre-Check Report", _title),
    (SIZING_TITLE, _sizing),  # the sizing and pricing inputs head the report (issue 16)
    ("PlanetScale import readiness", _readiness),
    ("Collection", _collection),
    ("Summary", _summary),
    ("Table Information", _table_information),
    ("Report On Port", _report_on_port),
    ("Noteworthy Variables", _noteworthy_variables),
    ("Noteworthy Technologies", _noteworthy_technologies),
    ("Processlist", _processlist),
    ("Status Counters", _status_counters),
    ("Galera / Percona XtraDB Cluster", _galera),
    ("Query cache", _query_cache),
    ("Configuration File", _configuration_file),
    ("Schema", _schema),
    ("Binary Logging", _binary_logging),
)


def _slow_log(facts: Mapping[str, Any], _top: int) -> tuple[str, Lines]:
    """One summary per source read, its top statements by total time (fingerprints), and the files."""
    from collectors.slowlog import summary_line
    from prechecks.slowlog import DIGEST_JSON, DIGEST_MD, REPORT_TOP, sources

    slow_log = _map(facts.get("slow_log"))
    lines: Lines = []
    read = sources(facts)
    for title, source in read:
        lines.append(name_val(title, summary_line(source)))
        for rank, digest in enumerate([_map(d) for d in _seq(source.get("digests"))][:REPORT_TOP], 1):
            text = " ".join(_text(digest.get("fingerprint")).split())
            shown = text if len(text) <= 90 else text[:89] + "…"
            total = _num(digest.get("total_seconds")) or 0.0
            lines.append(f"{INDENT}{rank:2d}. {_text(digest.get('id'))} {_int_text(_num(digest.get('count')) or 0):>8}"
                         f" x {total:>10.3f} s  {shown}")
    table = _map(slow_log.get("table"))
    if table and not table.get("read"):
        lines.append(name_val("mysql.slow_log table", _text(table.get("status"))))
    if not slow_log.get("files"):
        lines.append(name_val("Slow log files", "none given (ps-prechecks --slow-log FILE, or Add slow query log… "
                              "in the wizard)"))
    if read:
        lines.append(name_val("Every fingerprint", f"{DIGEST_MD} and {DIGEST_JSON}"))
    return "Slow query log digest", lines


# Shown only when their facts key is there (a run that knows about them): older facts and samples
# render as before.
OPTIONAL_SECTIONS: tuple[tuple[str, str, Section], ...] = (
    ("Slow query log digest", "slow_log", _slow_log),
)


def render_report(derived: Derived, *, top_tables: int = 20, config_text: str | None = None) -> str:
    """The ps_report_<ts>.md text for one server's derived facts and readiness; never raises on a partial one.

    ``config_text`` is the server's option file, already redacted: it is shown in the report but
    never stored in the facts.
    """
    facts = _map(derived.facts)
    if config_text is not None and isinstance(facts.get("config_file"), Mapping):
        facts = {**facts, "config_file": {**facts["config_file"], "text": config_text}}
    blocks = []
    chosen = [*SECTIONS, *((title, section) for title, key, section in OPTIONAL_SECTIONS if key in facts)]
    for fallback_title, section in chosen:
        try:
            # the readiness section shows the derived readiness document; every other section the facts
            title, body = section(derived.readiness if section is _readiness else facts, top_tables)
        except Exception as exc:  # one odd value must not cost the whole report
            problem = markdown_prose(f"{type(exc).__name__}: {exc}")
            title, body = fallback_title, [f"Could not render this section: {problem}"]
        # each line of a section is one line: a name or value holding a line break cannot add a heading
        # or a "see:" link of its own (names are escaped where they are put; this is the last line)
        blocks.append("\n".join([f"## {visible(title)}", *(visible(line, keep_tabs=True) for line in body)]))
    blocks.append("## The End")
    return "\n\n".join(blocks) + "\n"


def render_cloud_section(cloud: Mapping[str, Any]) -> str:
    """The report's "Cloud (AWS)" / "Cloud (Google Cloud SQL)" / "Cloud (Azure)" section from a cloud.json
    document (collectors/aws.py, gcp.py, azure.py); every cloud value escaped as any server value is. Never
    raises on a partial document."""
    doc = _map(cloud)
    title, api, monitor, grant = _CLOUD_PROVIDERS.get(str(doc.get("provider") or "aws"), _CLOUD_PROVIDERS["aws"])
    lines = [f"From the {api} in {markdown(doc.get('region') or 'an unknown region')} (cloud.json has every "
             "value; docs/facts.md explains them)."]
    instances = [i for i in doc.get("instances") or [] if isinstance(i, Mapping)]
    if instances:
        lines += ["", "| instance | role | class | vCPU | memory GiB | engine | storage | allocated GiB | IOPS | "
                  "Multi-AZ | zone |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for item in instances:
            storage = _map(item.get("storage"))
            cells = [item.get("id"), item.get("role"), item.get("class"), item.get("vcpu"), item.get("memory_gib"),
                     f"{item.get('engine') or ''} {item.get('engine_version') or ''}".strip(), storage.get("type"),
                     storage.get("allocated_gib"), storage.get("iops"), "yes" if item.get("multi_az") else "no",
                     item.get("availability_zone")]
            lines.append("| " + " | ".join(markdown("" if c is None else c) for c in cells) + " |")
    metrics = _map(doc.get("metrics"))
    series = _map(metrics.get("series"))
    if series:
        keys = ("avg", "p95", "max", "max_at") + (("unit",) if title != "AWS" else ())
        lines += ["", f"{monitor} for {markdown(metrics.get('instance'))} over {markdown(metrics.get('window_days'))} "
                  "days, hourly: avg and p95 of the hourly averages, the highest hourly maximum and its hour (UTC).",
                  "", "| metric | avg | p95 | max | max at |" + (" unit |" if "unit" in keys else ""),
                  "|---|---|---|---|---|" + ("---|" if "unit" in keys else "")]
        for name, values in series.items():
            cells = [name, *(_map(values).get(k) for k in keys)]
            lines.append("| " + " | ".join(markdown("" if c is None else c) for c in cells) + " |")
    bill = _map(doc.get("bill"))
    if bill:
        lines += ["", f"RDS bill for {markdown(bill.get('month'))}: {markdown(bill.get('total'))} "
                  f"{markdown(bill.get('currency'))}, by usage type:", "", "| usage type | cost | usage |",
                  "|---|---|---|"]
        for item in [i for i in bill.get("items") or [] if isinstance(i, Mapping)]:
            lines.append(f"| {markdown(item.get('usage_type'))} | {markdown(item.get('cost'))} | "
                         f"{markdown(item.get('usage'))} {markdown(item.get('usage_unit') or '')} |")
    skipped = [s for s in doc.get("skipped") or [] if isinstance(s, Mapping)]
    if skipped:
        lines += ["", "Not read:"]
        for item in skipped:
            action = f" ({grant} {markdown(item['iam_action'])})" if item.get("iam_action") else ""
            lines.append(f"- {markdown(item.get('part'))}: {markdown_prose(item.get('reason'))}{action}")
    return "\n".join([f"## Cloud ({title})", *(visible(line) for line in lines)])


# provider -> (the section's title, whose API, whose metrics, what a skip names)
_CLOUD_PROVIDERS = {"aws": ("AWS", "AWS API", "CloudWatch", "IAM action"),
                    "gcp": ("Google Cloud SQL", "Cloud SQL Admin API", "Cloud Monitoring", "role"),
                    "azure": ("Azure", "Azure Resource Manager API", "Azure Monitor", "role")}
