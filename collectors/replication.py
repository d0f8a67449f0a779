"""Processlist (aggregated, never query text), replication role, connected replicas, binary logs.

Each uses the statement the server version supports: MySQL 8.4 removed SHOW SLAVE STATUS,
SHOW SLAVE HOSTS and SHOW MASTER STATUS; MySQL 8.0.22 and MariaDB 10.5 added the new names.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from mysql.connector import errors as mysql_errors

from collectors.base import Collector, Context, Degraded, Requirement
from collectors.connection import ServerIdentity, is_privilege_error, is_unsupported_error
from collectors.numbers import as_int, as_number

GROUP_COLUMNS = ("command", "user", "host", "db", "state")
BINLOG_DUMP_COMMANDS = ("Binlog Dump", "Binlog Dump GTID")


def collect_processlist(ctx: Context) -> None:
    # the INFO column (query text) is never selected
    result = ctx.query(
        "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE FROM information_schema.PROCESSLIST"
        " WHERE ID <> CONNECTION_ID()"
    )
    rows = [
        {"user": r[1], "host": r[2], "db": r[3], "command": r[4], "time": r[5], "state": r[6]}
        for r in result.rows
    ]
    ctx.facts["processlist"] = aggregate_processlist(rows)
    ctx.facts["processlist"]["excludes_own_connection"] = True


def aggregate_processlist(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts and times per command/user/host/db/state, as pt-mysql-summary prints them."""
    groups: dict[str, dict[str, dict[str, int]]] = {c: defaultdict(lambda: {
        "count": 0, "working": 0, "time_sum": 0, "time_max": 0}) for c in GROUP_COLUMNS}
    for row in rows:
        command = str(row.get("command") or "")
        seconds = as_int(row.get("time"), 0)
        working = 0 if command == "Sleep" else 1
        for column in GROUP_COLUMNS:
            value = row.get(column)
            key = "NULL" if value is None else str(value)
            if column == "host" and value is not None:
                key = _host_only(key)
            agg = groups[column][key]
            agg["count"] += 1
            agg["working"] += working
            # as pt-mysql-summary: sleeping threads' time counts only in the Command table
            if working or column == "command":
                agg["time_sum"] += seconds
                agg["time_max"] = max(agg["time_max"], seconds)
    out: dict[str, list[dict[str, Any]]] = {}
    for column, values in groups.items():
        out[column] = [
            {"value": value, **agg}
            for value, agg in sorted(values.items(), key=lambda kv: (-kv[1]["count"], kv[0]))
        ]
    binlog_dumps = sum(g["count"] for g in out["command"] if g["value"] in BINLOG_DUMP_COMMANDS)
    return {"total": len(rows), "groups": out, "binlog_dump_threads": binlog_dumps}


def _host_only(host: str) -> str:
    if host.startswith("["):  # [::1]:port
        return host.split("]", 1)[0] + "]"
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host



def replica_status_statements(server: ServerIdentity) -> tuple[str, ...]:
    """Newest name first; the others are fallbacks for servers that reject it."""
    if server.is_mariadb:
        return ("SHOW ALL REPLICAS STATUS", "SHOW ALL SLAVES STATUS", "SHOW SLAVE STATUS") if server.at_least(
            10, 5, 1) else ("SHOW ALL SLAVES STATUS", "SHOW SLAVE STATUS")
    if server.at_least(8, 0, 22):
        return ("SHOW REPLICA STATUS", "SHOW SLAVE STATUS")
    return ("SHOW SLAVE STATUS", "SHOW REPLICA STATUS")


def replicas_statements(server: ServerIdentity) -> tuple[str, ...]:
    if server.is_mariadb:
        return ("SHOW REPLICA HOSTS", "SHOW SLAVE HOSTS") if server.at_least(10, 5, 1) else ("SHOW SLAVE HOSTS",)
    if server.at_least(8, 0, 22):
        return ("SHOW REPLICAS", "SHOW SLAVE HOSTS")
    return ("SHOW SLAVE HOSTS", "SHOW REPLICAS")


def binlog_status_statements(server: ServerIdentity) -> tuple[str, ...]:
    if server.is_mariadb:
        return ("SHOW BINLOG STATUS", "SHOW MASTER STATUS") if server.at_least(10, 5, 2) else ("SHOW MASTER STATUS",)
    if server.at_least(8, 2, 0):
        return ("SHOW BINARY LOG STATUS", "SHOW MASTER STATUS")
    return ("SHOW MASTER STATUS", "SHOW BINARY LOG STATUS")


def first_supported(ctx: Context, statements: tuple[str, ...]) -> tuple[str, Any]:
    """Run the first statement the server accepts; syntax errors move on to the next name."""
    last: mysql_errors.Error | None = None
    for sql in statements:
        try:
            return sql, ctx.query(sql)
        except mysql_errors.Error as exc:
            if not is_unsupported_error(exc):
                raise
            last = exc
    assert last is not None
    raise last


def _pick(row: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in row:
            return row[name]
    return None


# the statement-based applier's message: Error '<error>' on query. Default database: '<db>'. Query: '<statement>'
_ON_QUERY = re.compile(r"^(?P<head>.*?)'(?P<error>.*?)' on query\. Default database: '(?P<db>[^']*)'\. "
                       r"Query: '(?P<query>.*)$", re.DOTALL)
_APOSTROPHE = re.compile(r"(?<=[A-Za-z])'(?=s\b)")  # "the event's master log": not a quote
_APOSTROPHE_MARK = "\x00"


def _mask_quoted(text: str) -> str:
    """Each ``; ``-separated part with everything from its first quote to its last replaced by ``'?'``: the
    values MySQL puts in quotes (a duplicate key's row values, an account) can hold quotes themselves, so
    quote pairs cannot be trusted; a lone quote (a message cut short) masks the rest of its part."""
    parts = []
    for part in _APOSTROPHE.sub(_APOSTROPHE_MARK, text).split("; "):
        first, last = part.find("'"), part.rfind("'")
        if first >= 0:
            part = part[:first] + "'?'" + (part[last + 1:] if last > first else "")
        parts.append(part)
    return "; ".join(parts).replace(_APOSTROPHE_MARK, "'")


def scrub_replica_error(text: str) -> str:
    """A replica's Last_Error / Last_SQL_Error / Last_IO_Error without the data it quotes: the failing
    statement becomes its fingerprint (literals as ?, as in the slow-log digest) and every quoted value of
    the message (a duplicate key's row values, an account) becomes '?'. The fixed text, the error codes,
    table names and binlog positions are kept: they say why replication stopped."""
    if not text:
        return text
    match = _ON_QUERY.match(text)
    if match is None:
        return _mask_quoted(text)
    from collectors.slowlog import Fingerprinter

    query = match["query"]
    closed = query.endswith("'")
    found = Fingerprinter()(query[:-1] if closed else query, truncated=not closed)
    shape = found.text if found is not None and found.text else "?"
    return (f"{_mask_quoted(match['head'])}'{_mask_quoted(match['error'])}' on query. "
            f"Default database: '{match['db']}'. Query: '{shape}'")


def collect_replication(ctx: Context) -> None:
    replication: dict[str, Any] = {"statements": {}}
    notes: list[str] = []
    sql, result = first_supported(ctx, replica_status_statements(ctx.server))
    replication["statements"]["replica_status"] = sql
    sources = []
    for row in result.dicts():
        sources.append({
            "channel": str(_pick(row, "Channel_Name", "Connection_name", "Channel_name") or ""),
            "source_host": str(_pick(row, "Source_Host", "Master_Host") or ""),
            "source_port": as_int(_pick(row, "Source_Port", "Master_Port"), 0),
            "io_running": str(_pick(row, "Replica_IO_Running", "Slave_IO_Running") or ""),
            "sql_running": str(_pick(row, "Replica_SQL_Running", "Slave_SQL_Running") or ""),
            "seconds_behind": _pick(row, "Seconds_Behind_Source", "Seconds_Behind_Master"),
            "using_gtid": str(_pick(row, "Using_Gtid", "Auto_Position") or "No"),
            # the failing statement's literals (row values) never leave the server
            "last_error": scrub_replica_error(str(_pick(row, "Last_Error") or "")),
        })
    replication["sources"] = sources
    replication["is_replica"] = bool(sources)
    try:
        sql, hosts = first_supported(ctx, replicas_statements(ctx.server))
        replication["statements"]["replicas"] = sql
        replication["replicas"] = [
            {"server_id": as_int(_pick(r, "Server_id", "Server_Id"), 0), "host": str(_pick(r, "Host") or ""),
             "port": as_int(_pick(r, "Port"), 0)}
            for r in hosts.dicts()
        ]
    except mysql_errors.Error as exc:
        replication["replicas"] = []
        # MySQL's SHOW REPLICAS / SHOW SLAVE HOSTS need REPLICATION SLAVE, not REPLICATION CLIENT: say so
        mysql_privilege = is_privilege_error(exc) and not ctx.server.is_mariadb
        need = " (SHOW REPLICAS needs REPLICATION SLAVE)" if mysql_privilege else ""
        notes.append(f"connected replicas not listed (errno {exc.errno}){need}; counted from Binlog Dump threads")
    dumps = ctx.facts.get("processlist", {}).get("binlog_dump_threads")
    replication["binlog_dump_threads"] = dumps
    # SHOW REPLICAS lists only replicas that set report_host; Binlog Dump threads see them all
    listed = len(replication["replicas"]) if "replicas" in replication["statements"] else None  # None: not seen
    counts = [n for n in (listed, dumps) if n is not None]
    replication["replica_count"] = max(counts) if counts else None
    has_replicas = bool(replication["replica_count"])
    replication["role"] = (
        "replica+primary" if sources and has_replicas else "replica" if sources
        else "primary" if has_replicas else "standalone"
    )
    ctx.facts["replication"] = replication
    if notes:
        raise Degraded("; ".join(notes))


def collect_binary_logs(ctx: Context) -> None:
    variables: Mapping[str, str] = ctx.facts.get("variables", {})
    enabled = variables.get("log_bin", "").upper() in ("ON", "1")
    expire = _expire_seconds(variables)
    binlog: dict[str, Any] = {
        "enabled": enabled,
        "format": variables.get("binlog_format") or None,
        "row_image": variables.get("binlog_row_image") or None,
        "gtid_mode": variables.get("gtid_mode") or None,
        "enforce_gtid_consistency": variables.get("enforce_gtid_consistency") or None,
        "expire_seconds": expire,
        "files": [],
        "total_bytes": 0,
        "current": None,
    }
    if ctx.server.is_mariadb:
        binlog["gtid_binlog_pos"] = variables.get("gtid_binlog_pos")
    if enabled:
        try:
            logs = ctx.query("SHOW BINARY LOGS")
            binlog["files"] = [{"name": str(r[0]), "size": as_int(r[1], 0)} for r in logs.rows]
            binlog["total_bytes"] = sum(f["size"] for f in binlog["files"])
            sql, status = first_supported(ctx, binlog_status_statements(ctx.server))
        except mysql_errors.Error as exc:
            if not is_privilege_error(exc):
                raise
            binlog["files"] = None
            binlog["total_bytes"] = None
            ctx.facts["binlog"] = binlog
            raise Degraded(
                "binlog settings read from variables; the list of binary logs needs REPLICATION CLIENT"
            ) from None
        binlog["status_statement"] = sql
        if status.rows:
            row = status.dicts()[0]
            binlog["current"] = {
                "file": str(row.get("File", "")),
                "position": as_int(row.get("Position"), 0),
                "gtid_executed": str(row.get("Executed_Gtid_Set") or ""),
            }
    ctx.facts["binlog"] = binlog


def _expire_seconds(variables: Mapping[str, str]) -> int | None:
    """binlog_expire_logs_seconds wins over expire_logs_days when set (MySQL 8 rules)."""
    seconds = as_number(variables.get("binlog_expire_logs_seconds"))
    days = as_number(variables.get("expire_logs_days"))
    if seconds is not None and seconds > 0:
        return int(seconds)
    if days is not None:
        return int(days * 86400)
    if seconds is not None:
        return int(seconds)
    return None


PROCESS = Requirement("PROCESS", why="to see other sessions in the processlist")
REPLICATION_CLIENT = Requirement(
    "REPLICATION CLIENT", why="SHOW REPLICA STATUS / SHOW BINARY LOGS",
    alternatives=("SUPER", "BINLOG MONITOR", "REPLICATION SLAVE ADMIN"),
)
# MariaDB 10.5.9 moved SHOW SLAVE STATUS from REPLICATION CLIENT to SLAVE MONITOR
SLAVE_MONITOR = Requirement("SLAVE MONITOR", why="SHOW REPLICA STATUS on MariaDB 10.5.9 and later",
                            alternatives=("SUPER", "REPLICA MONITOR"))


def replication_requirements(server: ServerIdentity) -> tuple[Requirement, ...]:
    if server.is_mariadb and server.at_least(10, 5, 9):
        return (SLAVE_MONITOR,)
    return (REPLICATION_CLIENT,)


PROCESSLIST = Collector(
    name="processlist",
    title="Processlist (aggregated)",
    reads=("information_schema.PROCESSLIST without the INFO column",),
    writes=("processlist",),
    samples=("mysql-processlist",),
    collect=collect_processlist,
    requires=(PROCESS,),
    expected_seconds=0.1,
)

REPLICATION = Collector(
    name="replication",
    title="Replication",
    reads=("SHOW REPLICA STATUS or SHOW SLAVE STATUS", "SHOW REPLICAS or SHOW SLAVE HOSTS"),
    writes=("replication",),
    samples=("mysql-replica", "mysql-replicas"),
    collect=collect_replication,
    requires_on=replication_requirements,
    expected_seconds=0.1,
)

BINARY_LOGS = Collector(
    name="binary_logs",
    title="Binary logs",
    reads=("SHOW BINARY LOGS", "SHOW BINARY LOG STATUS or SHOW MASTER STATUS"),
    writes=("binlog",),
    samples=("mysql-master-logs", "mysql-master-status"),
    collect=collect_binary_logs,
    improves_with=(REPLICATION_CLIENT,),
    expected_seconds=0.1,
)
