"""The slow query log in the ``mysql.slow_log`` table (``log_output`` includes TABLE): a digest, never its text.

Read only when the server logs slow queries to the table (``slow_query_log`` ON and ``log_output``
names TABLE). The newest rows first, in pages of PAGE_ROWS up to TABLE_ROWS in all, each page one
statement under the per-statement limit, within the collector's budget. Each row's ``sql_text`` is
fingerprinted here (collectors.slowlog) and dropped: the facts hold the aggregate only. ``user_host``
(account names) is never selected.

mysql.slow_log is a CSV table without indexes: sorting a big one can run into the per-statement
limit, in which case the first page is read again in table order (oldest first) and the digest says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from mysql.connector import errors as mysql_errors

from collectors.base import Collector, Context, Requirement
from collectors.connection import as_text, is_timeout_error
from collectors.numbers import as_int, as_number
from collectors.slowlog import SlowLogDigest, SlowQuery

TABLE_ROWS = 100_000
PAGE_ROWS = 10_000
SQL_TEXT_CHARS = 8_192  # longer statements are fingerprinted from this prefix, marked truncated

SLOW_LOG_SELECT = Requirement(
    "SELECT", on="mysql.slow_log", why="the slow query log, read only when log_output includes TABLE"
)

_COLUMNS = (
    "start_time, UNIX_TIMESTAMP(start_time), query_time, lock_time, rows_sent, rows_examined, db,"
    f" LEFT(sql_text, {SQL_TEXT_CHARS}), LENGTH(sql_text) > {SQL_TEXT_CHARS}"
)


def _seconds(value: Any) -> float:
    """A TIME(6) column (timedelta from the connector, or text such as '00:00:01.500000') in seconds."""
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float | Decimal):
        return float(value)
    text = as_text(value).strip()
    negative = text.startswith("-")
    parts = text.lstrip("-").split(":")
    try:
        seconds = 0.0
        for part in parts:
            seconds = seconds * 60 + float(part)
    except ValueError:
        return 0.0
    return -seconds if negative else seconds



def _setting(ctx: Context, name: str) -> str:
    variables: Mapping[str, Any] = ctx.facts.get("variables") or {}
    if name in variables:
        return str(variables[name])
    value = ctx.session.scalar(f"SELECT @@GLOBAL.{name}")
    return as_text(value)


def table_state(log_output: str, slow_query_log: str) -> str | None:
    """None when the slow log is written to mysql.slow_log, else why there is nothing to read there."""
    outputs = {part.strip().upper() for part in log_output.split(",") if part.strip()}
    if "TABLE" not in outputs:
        where = "a file: pass it with --slow-log FILE" if "FILE" in outputs else "nowhere"
        return f"not read: log_output is {log_output or '(unknown)'} (the slow log goes to {where})"
    if slow_query_log.strip().upper() not in ("ON", "1", "YES", "TRUE"):
        return "not read: slow_query_log is OFF (the server logs no slow queries)"
    return None


def collect_slow_log_table(ctx: Context) -> None:
    slow_log: dict[str, Any] = ctx.facts.setdefault("slow_log", {})
    state = table_state(_setting(ctx, "log_output"), _setting(ctx, "slow_query_log"))
    if state is not None:
        slow_log["table"] = {"status": state, "read": False}
        ctx.notes.append(state)
        return
    digest = SlowLogDigest()
    notes: list[str] = []
    rows_read = 0
    boundary: Any = None  # start_time of the oldest row read so far
    ordered = True
    while rows_read < TABLE_ROWS:
        ctx.cancel.raise_if_cancelled()
        if rows_read and ctx.time_left() < 2:
            notes.append(f"stopped after {rows_read:,} rows: the collector's time budget ran out")
            break
        limit = min(PAGE_ROWS, TABLE_ROWS - rows_read)
        where = " WHERE start_time < %s" if boundary is not None else ""
        try:
            result = ctx.query(f"SELECT {_COLUMNS} FROM mysql.slow_log{where}"
                               f" ORDER BY start_time DESC LIMIT {limit}",
                               (boundary,) if boundary is not None else None)
        except mysql_errors.Error as exc:
            if not is_timeout_error(exc):
                raise
            if rows_read:
                notes.append(f"stopped after {rows_read:,} rows: the next page exceeded the per-statement limit")
                break
            # sorting the whole CSV table took too long: one page in table order instead
            result = ctx.query(f"SELECT {_COLUMNS} FROM mysql.slow_log LIMIT {limit}")
            ordered = False
            notes.append(f"sorting mysql.slow_log exceeded the per-statement limit: read the first {limit:,} rows"
                         " in table order (the oldest), not the newest")
        for start, epoch, query_time, lock_time, sent, examined, db, sql_text, cut in result.rows:
            digest.add(SlowQuery(
                sql=as_text(sql_text),
                query_time=_seconds(query_time),
                lock_time=_seconds(lock_time),
                rows_sent=as_int(sent, 0),
                rows_examined=as_int(examined, 0),
                schema=as_text(db) or None,
                seen=as_number(epoch),
                truncated=bool(as_int(cut, 0)),
            ))
            boundary = start
        rows_read += len(result.rows)
        if not ordered or len(result.rows) < limit or boundary is None:
            break
    else:
        notes.append(f"read the newest {TABLE_ROWS:,} rows only (the table may hold more)")
    slow_log["table"] = {
        "status": "ok",
        "read": True,
        "rows_read": rows_read,
        "row_limit": TABLE_ROWS,
        "newest_first": ordered,
        "notes": notes,
        **digest.as_fact(),
    }
    ctx.notes.extend(notes)


SLOW_LOG_TABLE = Collector(
    name="slow_log_table",
    title="Slow query log (mysql.slow_log table)",
    reads=(
        "@@log_output and @@slow_query_log (from the variables)",
        f"mysql.slow_log when log_output includes TABLE: start_time, query_time, lock_time, rows_sent,"
        f" rows_examined, db and the first {SQL_TEXT_CHARS:,} characters of sql_text (fingerprinted at once,"
        f" never kept), newest first, at most {TABLE_ROWS:,} rows in pages of {PAGE_ROWS:,}; never user_host",
    ),
    writes=("slow_log.table",),
    collect=collect_slow_log_table,
    requires=(SLOW_LOG_SELECT,),
    budget_seconds=60.0,
    expected_seconds=0.05,
)
