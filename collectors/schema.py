"""What is stored: table sizes, per-schema object counts, Noteworthy Technologies and schema DDL.

Everything reads information_schema one schema at a time, or many small schemas in one statement of a
few hundred tables (a schema per tenant), so each statement stays small and within the per-statement
limit on servers with many tables, and a budget can cut the work between schemas. ROUTINES and EVENTS,
which MariaDB answers by reading all of mysql.proc and mysql.event, are read once for the whole walk.
"""

from __future__ import annotations

import functools
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from mysql.connector import errors as mysql_errors

from collectors.base import READAHEAD, SYSTEM_SCHEMAS, Context, Degraded, Skip, schema_scratch, walking_collector
from collectors.connection import as_text, is_privilege_error, is_timeout_error, is_unsupported_error, shared_text
from collectors.numbers import as_int
from collectors.readahead import BATCH, ReadAhead
from collectors.redact import scrub_literals
from prechecks.escape import sql_comment, sql_identifier

SPATIAL_TYPES = (
    "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
    "geometrycollection", "geomcollection",
)


quote_identifier = sql_identifier


def _budget_cut(ctx: Context, done: int, total: int, what: str) -> bool:
    """True when the collector's budget ran out; records the cut-off."""
    if ctx.time_left() > 0:
        return False
    ctx.notes.append(f"time budget ran out after {done} of {total} schemas ({what}); the rest was not read")
    return True


_TABLES_SQL = (
    "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, ROW_FORMAT, CREATE_OPTIONS,"
    " TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
)
BASE_TABLE_TYPES = ("BASE TABLE", "SYSTEM VERSIONED")


def schema_rows(ctx: Context, schema: str, sql: str) -> list[tuple[Any, ...]]:
    """One per-schema read (``sql`` takes the schema as its only parameter) shared by the walking
    collectors: sent once while the schema is walked; its rows, or its error, are kept for the others.
    ROUTINES and EVENTS are read once for the whole walk instead (see _WHOLE_SERVER)."""
    shared = schema_scratch(ctx, schema)
    hit = shared.get(sql)
    if hit is None and sql in _WHOLE_SERVER:
        hit = _whole_server_rows(ctx, schema, sql)
    if hit is None:
        batches = _batches(ctx)
        hit = batches.rows(ctx, schema, sql)
        if hit is None:
            readahead: ReadAhead | None = ctx.scratch.get(READAHEAD)
            hit = readahead.take(schema, sql) if readahead is not None else None
            if hit is None:
                try:
                    hit = ctx.query(sql, (schema,)).rows
                except mysql_errors.Error as exc:
                    hit = exc
            if readahead is not None and not batches.batching(sql):
                readahead.learn(sql)
            if sql == _TABLES_SQL and not isinstance(hit, mysql_errors.Error):
                batches.seen(len(hit))
        shared[sql] = hit
    if isinstance(hit, mysql_errors.Error):
        raise hit
    rows: list[tuple[Any, ...]] = hit
    return rows


# Many small schemas (a schema per tenant) are read in batches: one statement for the next schemas of the walk,
# a UNION ALL of the per-schema statement, each part filtered on its one schema (MariaDB's lookup key: EXPLAIN
# says "Scanned 1 database" for each part; `TABLE_SCHEMA IN (...)` makes it look through every schema on the
# server, which grows with the server). 100 small schemas cost 3.6 ms each one at a time, 1.3 ms each in
# batches of 50 (COLUMNS, 10 tables each, 2,000 schemas). How many schemas go in one statement follows the
# tables per schema seen so far (the last 16 schemas): about BATCH_TABLES tables a statement, so a schema of a
# thousand tables is still read on its own, and every statement stays far inside the per-statement limit.
BATCH_TABLES = 400
MAX_BATCH = 50
_BATCH_KEY = "schema batches"


@dataclass
class _Batches:
    schemas: list[str]
    order: dict[str, int]
    recent: deque[int] = field(default_factory=lambda: deque(maxlen=16))  # tables of the last schemas read
    limit: int = MAX_BATCH  # halved after a batch hit the time limit
    cached: dict[tuple[str, str], list[tuple[Any, ...]]] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)  # statements read one schema at a time from now on
    # (first schema, statement) -> the schemas of the batch the second session was given, starting there
    submitted: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def seen(self, tables: int) -> None:
        self.recent.append(tables)

    def size(self) -> int:
        """Schemas per statement now: 1 until three schemas were read, and for large schemas."""
        if len(self.recent) < 3:
            return 1
        average = max(1.0, sum(self.recent) / len(self.recent))
        return max(1, min(self.limit, int(BATCH_TABLES // average)))

    def batching(self, sql: str) -> bool:
        """True when ``sql`` is read for several schemas at once now."""
        return self.size() > 1 and sql not in self.refused and _batchable(sql)

    def rows(self, ctx: Context, schema: str, sql: str) -> list[tuple[Any, ...]] | None:
        """``schema``'s rows of ``sql``, read in one statement with the next schemas of the walk; None: read it
        alone (a large schema, a statement that cannot be batched or whose batch failed). While the walk works
        through one batch, the second session (the read-ahead) reads the next."""
        key = (schema, sql)
        if key in self.cached:
            return self.cached.pop(key)
        position = self.order.get(schema)
        if position is None or not self.batching(sql):
            return None
        readahead: ReadAhead | None = ctx.scratch.get(READAHEAD)
        if readahead is not None:
            readahead.forget(sql)  # read in batches from now on, not ahead one schema at a time as well
            if readahead.holds(schema, sql):
                return None  # the second session has it already: take it from there
        # what earlier schemas did not ask for (a view check for a schema without views) is dropped
        self.cached = {k: v for k, v in self.cached.items() if self.order.get(k[0], -1) >= position}
        window = self.submitted.pop(key, None)
        rows = None
        if window is not None and readahead is not None:
            rows = readahead.take(BATCH, _batch_key(sql, schema))
        if rows is None:
            size = self.size()
            window = [s for s in self.schemas[position:position + size]
                      if (s, sql) not in self.cached and (readahead is None or not readahead.holds(s, sql))]
            if len(window) < 2 or window[0] != schema:  # the last schema of the walk
                return None
            try:
                rows = ctx.query(*_batch_statement(sql, window)).rows
            except mysql_errors.Error as exc:
                if is_timeout_error(exc):
                    self.limit = max(1, size // 2)
                else:
                    self.refused.add(sql)
                return None  # this schema is read alone, and gets its own error if it has one
        assert window is not None
        grouped: dict[str, list[tuple[Any, ...]]] = {s: [] for s in window}
        for tag, *rest in rows:
            part_rows = grouped.get(as_text(tag))
            if part_rows is None:  # the server changed the name on the way back: do not guess
                self.refused.add(sql)
                return None
            part_rows.append(tuple(rest))
        if sql == _TABLES_SQL:
            for part_rows in grouped.values():
                self.seen(len(part_rows))
        for other in window[1:]:
            self.cached[(other, sql)] = grouped[other]
        if readahead is not None:
            self._send_next(readahead, sql, self.order[window[-1]] + 1)
        return grouped[schema]

    def _send_next(self, readahead: ReadAhead, sql: str, start: int) -> None:
        """The batch after this one, sent on the second session now."""
        window = [s for s in self.schemas[start:start + self.size()] if (s, sql) not in self.cached]
        if len(window) >= 2 and readahead.submit(_batch_key(sql, window[0]), *_batch_statement(sql, window)):
            self.submitted[(window[0], sql)] = window


def _batch_key(sql: str, first: str) -> str:
    return f"{first}\0{sql}"


def _batch_statement(sql: str, window: list[str]) -> tuple[str, tuple[str, ...]]:
    """``sql`` for every schema of ``window``: a UNION ALL of it, each part tagged with its schema."""
    return _union_of(sql, len(window)), tuple(p for s in window for p in (s, s))


@functools.lru_cache(maxsize=256)
def _union_of(sql: str, parts: int) -> str:
    """One text for every batch of the same statement and size: the session's record of each statement holds
    it, and a walk of 10,000 schemas sends hundreds of these (15 MB of copies of tens of texts)."""
    part = "(SELECT %s, " + sql[len("SELECT "):] + ")"
    return " UNION ALL ".join([part] * parts)


def _batchable(sql: str) -> bool:
    # ORDER BY is not kept inside a UNION part: such a statement is read one schema at a time
    return sql.startswith("SELECT ") and sql.count("%s") == 1 and " ORDER BY " not in sql


def _batches(ctx: Context) -> _Batches:
    batches: _Batches | None = ctx.scratch.get(_BATCH_KEY)
    if batches is None:
        schemas = ctx.user_schemas()
        batches = ctx.scratch[_BATCH_KEY] = _Batches(schemas, {s: i for i, s in enumerate(schemas)})
    return batches


def schema_tables(ctx: Context, schema: str) -> list[tuple[Any, ...]]:
    """information_schema.TABLES of one schema, every table type: (name, type, engine, rows, data, index,
    row format, create options, collation). Sent once per schema and shared: on a server with thousands
    of tables each such read opens every table (DATA_LENGTH), and four collectors need it."""
    return schema_rows(ctx, schema, _TABLES_SQL)


ROUTINES_SQL = ("SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s"
                " ORDER BY ROUTINE_TYPE, ROUTINE_NAME")
# TRIGGERS reads every table's trigger file: one read per schema, shared by three collectors. Filtered on
# EVENT_OBJECT_SCHEMA (a trigger always lives in its table's schema): that is MariaDB's lookup key for it, a
# TRIGGER_SCHEMA filter reads the trigger files of every schema on the server (41 ms a schema at 1,000 schemas,
# 80 ms at 2,000: the whole walk grew with the square of the schemas)
# No ORDER BY, so that small schemas read it in batches (a UNION part keeps no order): the DDL sorts the names.
TRIGGERS_SQL = ("SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS"
                " WHERE EVENT_OBJECT_SCHEMA = %s")
EVENTS_SQL = "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s ORDER BY EVENT_NAME"

# MariaDB answers ROUTINES and EVENTS by reading all of mysql.proc / mysql.event, whatever the schema filter
# (EXPLAIN: no "Scanned 1 database"): one read per schema costs the whole table each time, and on a server
# with a schema per tenant (a routine or an event in each) the walk grew with the square of the schemas. So
# they are read once for the whole walk, the rows kept by schema; when that read fails (a time limit, a
# privilege), each schema is read on its own as before and gets its own error. Same columns, same order.
_WHOLE_SERVER = {
    ROUTINES_SQL: ("SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES"
                   " ORDER BY ROUTINE_SCHEMA, ROUTINE_TYPE, ROUTINE_NAME"),
    EVENTS_SQL: "SELECT EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS ORDER BY EVENT_SCHEMA, EVENT_NAME",
}
_WHOLE_KEY = "whole-server reads"


def _whole_server_rows(ctx: Context, schema: str, sql: str) -> list[tuple[Any, ...]] | None:
    """``schema``'s rows of a whole-server read (sent at the first schema that needs it), or None: read it alone."""
    reads: dict[str, dict[str, list[tuple[Any, ...]]] | None] = ctx.scratch.setdefault(_WHOLE_KEY, {})
    if sql not in reads:
        try:
            rows = ctx.query(_WHOLE_SERVER[sql]).rows
        except mysql_errors.Error:
            reads[sql] = None  # each schema on its own: its error, if any, is that schema's
        else:
            by_schema: dict[str, list[tuple[Any, ...]]] = {}
            for owner, *rest in rows:
                by_schema.setdefault(as_text(owner), []).append(tuple(rest))
            reads[sql] = by_schema
    found = reads[sql]
    if found is None:
        return None
    return found.get(schema, [])


def _start_table_sizes(_ctx: Context) -> list[dict[str, Any]]:
    return []


def _table_sizes_step(ctx: Context, tables: list[dict[str, Any]], schema: str, index: int, total: int) -> bool:
    if _budget_cut(ctx, index, total, "table sizes"):
        return False
    for name, table_type, engine, rows, data, index_bytes, row_format, options, collation in schema_tables(ctx, schema):
        if table_type not in BASE_TABLE_TYPES:
            continue
        tables.append({  # the texts shared: a schema-per-tenant server repeats the same ones in every schema
            "schema": schema, "name": shared_text(str(name)), "engine": shared_text(engine or ""),
            "rows": as_int(rows, 0), "data_bytes": as_int(data, 0), "index_bytes": as_int(index_bytes, 0),
            "row_format": shared_text(row_format or ""), "create_options": shared_text(options or ""),
            "collation": shared_text(collation or ""),
        })
    return True


def _finish_table_sizes(ctx: Context, tables: list[dict[str, Any]]) -> None:
    tables.sort(key=lambda t: (-(t["data_bytes"] + t["index_bytes"]), t["schema"], t["name"]))
    ctx.facts["tables"] = tables


@dataclass
class _SchemaCounts:
    inventory: list[dict[str, Any]] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)


def _schema_inventory_step(ctx: Context, state: _SchemaCounts, schema: str, index: int, total: int) -> bool:
    if _budget_cut(ctx, index, total, "schema inventory"):
        return False
    entry: dict[str, Any] = {"name": schema, "tables": 0, "views": 0, "routines": 0, "triggers": 0,
                             "events": 0, "data_bytes": 0, "index_bytes": 0, "engines": {}}
    engines: Counter[str] = Counter()
    for _name, table_type, engine, _rows, data, index_bytes, *_ in schema_tables(ctx, schema):
        if table_type == "VIEW":
            entry["views"] += 1
            continue
        if table_type not in BASE_TABLE_TYPES:  # a MariaDB SEQUENCE is no table
            continue
        entry["tables"] += 1
        entry["data_bytes"] += as_int(data, 0)
        entry["index_bytes"] += as_int(index_bytes, 0)
        engines[str(engine or "unknown")] += 1
    entry["engines"] = dict(sorted(engines.items()))
    for key, sql in (("routines", ROUTINES_SQL), ("triggers", TRIGGERS_SQL), ("events", EVENTS_SQL)):
        try:
            entry[key] = len(schema_rows(ctx, schema, sql))
        except mysql_errors.Error as exc:
            if not (is_privilege_error(exc) or is_unsupported_error(exc)):
                raise
            entry[key] = None
            state.hidden.add(key)
    state.inventory.append(entry)
    return True


def _finish_schema_inventory(ctx: Context, state: _SchemaCounts) -> None:
    ctx.facts["schemas"] = state.inventory
    if state.hidden:
        raise Degraded(f"could not count {', '.join(sorted(state.hidden))}: not visible to this account")


@dataclass
class _Technologies:
    counts: Counter[str] = field(default_factory=Counter)
    tables_with: dict[str, set[str]] = field(default_factory=lambda: {"partitioning": set(), "compression": set()})


def _technologies_step(ctx: Context, state: _Technologies, schema: str, index: int, total: int) -> bool:
    if _budget_cut(ctx, index, total, "technologies"):
        return False
    counts, tables_with = state.counts, state.tables_with
    shared = ctx.shared.technology_counts.get(schema)
    if shared is not None:  # the inventory read the same STATISTICS, COLUMNS, REFERENTIAL_CONSTRAINTS, PARTITIONS
        for key in ("fulltext", "spatial_index", "spatial_columns", "foreign_keys"):
            counts[key] += shared[key]
        tables_with["partitioning"].update(f"{schema}.{name}" for name in shared["partitioned"])
    else:
        _read_technologies(ctx, schema, counts, tables_with)
    for name, table_type, _engine, _rows, _data, _index, row_format, options, _collation in schema_tables(ctx, schema):
        if table_type in BASE_TABLE_TYPES and is_compressed(str(row_format or ""), str(options or "")):
            tables_with["compression"].add(f"{schema}.{name}")
    return True


def _finish_technologies(ctx: Context, state: _Technologies) -> None:
    """Noteworthy Technologies from information_schema and status — never from grepping DDL."""
    counts, tables_with = state.counts, state.tables_with
    status = ctx.facts.get("status", {}).get("first", {})
    variables = ctx.facts.get("variables", {})
    tech: dict[str, dict[str, Any]] = {}
    tech["fulltext"] = _yes_no(counts["fulltext"], "FULLTEXT indexes (information_schema.STATISTICS)")
    spatial = counts["spatial_columns"] + counts["spatial_index"]
    tech["geospatial"] = {
        "value": spatial > 0,
        "evidence": f"{counts['spatial_columns']} spatial columns, {counts['spatial_index']} SPATIAL indexes"
        " (information_schema.COLUMNS, STATISTICS)",
    }
    tech["foreign_keys"] = _yes_no(counts["foreign_keys"],
                                   "foreign keys (information_schema.REFERENTIAL_CONSTRAINTS)")
    tech["partitioning"] = _yes_no(len(tables_with["partitioning"]),
                                   "partitioned tables (information_schema.PARTITIONS)")
    tech["compression"] = _yes_no(
        len(tables_with["compression"]),
        "tables with ROW_FORMAT=COMPRESSED, KEY_BLOCK_SIZE or PAGE_COMPRESSED (information_schema.TABLES)",
    )
    have_ssl = variables.get("have_ssl") or variables.get("have_openssl")
    accepts = status.get("Ssl_accepts")
    tls_cert, tls_version = status.get("Current_tls_cert"), status.get("Current_tls_version")
    if have_ssl is None and tls_cert is not None:  # MySQL 8.4 removed have_ssl: the TLS context in use says it
        tech["ssl"] = {"value": bool(tls_cert and tls_version),
                       "evidence": f"Current_tls_cert = {tls_cert or '(none)'}, Current_tls_version = "
                       f"{tls_version or '(none)'}, Ssl_accepts = {accepts or 'n/a'}"}
    elif have_ssl is not None or accepts is not None:
        tech["ssl"] = {"value": (have_ssl or "").upper() == "YES",
                       "evidence": f"have_ssl = {have_ssl or 'n/a'}, Ssl_accepts = {accepts or 'n/a'}"}
    else:
        tech["ssl"] = {"value": None, "evidence": "neither have_ssl nor Ssl_accepts was available"}
    for key, counters in (
        ("lock_tables", ("Com_lock_tables",)),
        ("xa", ("Com_xa_start",)),
        ("prepared_statements", ("Com_stmt_prepare", "Com_prepare_sql")),
    ):
        present = [c for c in counters if c in status]
        if not present:
            tech[key] = {"value": None, "evidence": f"{' / '.join(counters)} not in the status sample"}
            continue
        total = sum(as_int(status[c], 0) for c in present)
        tech[key] = {"value": total > 0, "evidence": " + ".join(present) + f" = {total} since startup"}
    ctx.facts["technologies"] = tech
    ctx.facts["technology_objects"] = {k: sorted(v)[:100] for k, v in tables_with.items()}


def _read_technologies(ctx: Context, schema: str, counts: Counter[str], tables_with: dict[str, set[str]]) -> None:
    """What technologies counts in one schema, when the inventory did not read it first."""
    counts["fulltext"] += as_int(ctx.session.scalar(
        "SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = %s AND INDEX_TYPE = 'FULLTEXT'", (schema,)), 0)
    counts["spatial_index"] += as_int(ctx.session.scalar(
        "SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = %s AND INDEX_TYPE = 'SPATIAL'", (schema,)), 0)
    placeholders = ", ".join(["%s"] * len(SPATIAL_TYPES))
    counts["spatial_columns"] += as_int(ctx.session.scalar(
        "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s"
        f" AND DATA_TYPE IN ({placeholders})", (schema, *SPATIAL_TYPES)), 0)
    counts["foreign_keys"] += as_int(ctx.session.scalar(
        "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %s",
        (schema,)), 0)
    for (name,) in ctx.query(
        "SELECT DISTINCT TABLE_NAME FROM information_schema.PARTITIONS"
        " WHERE TABLE_SCHEMA = %s AND PARTITION_NAME IS NOT NULL", (schema,)).rows:
        tables_with["partitioning"].add(f"{schema}.{name}")


def is_compressed(row_format: str, create_options: str) -> bool:
    options = create_options.lower()
    return (
        row_format.lower() == "compressed"
        or "key_block_size" in options
        or "page_compressed" in options
        or "row_format=compressed" in options
    )


def _yes_no(count: int, what: str) -> dict[str, Any]:
    return {"value": count > 0, "evidence": f"{count} {what}"}


_DDL_BLOCK = 1 << 20  # characters of statements joined into one text as the walk goes


@dataclass
class _Ddl:
    """The sample as the walk writes it: statements joined a MiB at a time (a text each held 57 bytes of its own
    besides, and 95,000 of them were joined at the end next to the whole: twice the sample at once)."""

    blocks: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=lambda: [
        "-- Schema only (no data), written by ps-prechecks with SHOW CREATE statements\n"])
    pending: int = 0  # characters in parts
    utf8_bytes: int = 0  # the sample's size in UTF-8, counted as it grows
    objects: int = 0
    unreadable: Counter[str] = field(default_factory=Counter)
    cut: str | None = None

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pending += len(text)
        if self.pending >= _DDL_BLOCK:
            self._close_block()

    def _close_block(self) -> None:
        block = "".join(self.parts)
        self.utf8_bytes += len(block) if block.isascii() else len(block.encode())
        self.blocks.append(block)
        self.parts.clear()
        self.pending = 0

    def text(self, end: str) -> str:
        """The whole sample with ``end`` after it; the blocks are let go."""
        self.add(end)
        self._close_block()
        whole = "".join(self.blocks)
        self.blocks.clear()
        return whole


def _start_schema_ddl(ctx: Context) -> _Ddl:
    if not ctx.options.get("schema_ddl", True):
        raise Skip("schema DDL was turned off (--no-schema-ddl)")
    return _Ddl()


def _schema_ddl_step(ctx: Context, state: _Ddl, schema: str, index: int, total: int) -> bool:
    """SHOW CREATE for every user object of one schema, without data, as mysqldump --no-data would."""
    if ctx.time_left() <= 0:
        state.cut = f"time budget ran out after {index} of {total} schemas"
        return False
    q = quote_identifier(schema)
    # the name is quoted in the USE statement, and escaped in the comment: a newline there would end it
    state.add(f"\n--\n-- Database: {sql_comment(q)}\n--\n\nUSE {q};\n")
    listing = sorted(((str(table_type), str(name)) for name, table_type, *_ in schema_tables(ctx, schema)))
    work: list[tuple[str, str]] = [("VIEW" if table_type == "VIEW" else "TABLE", name) for table_type, name in listing]
    work += [(str(kind), str(name)) for name, kind in schema_rows(ctx, schema, ROUTINES_SQL)]
    work += [("TRIGGER", n) for n in sorted(_optional_names(ctx, TRIGGERS_SQL, schema))]
    work += [("EVENT", n) for n in _optional_names(ctx, EVENTS_SQL, schema)]
    for kind, name in work:
        if ctx.time_left() <= 0:
            state.cut = f"time budget ran out in schema {schema} after {state.objects} objects"
            return False
        ctx.cancel.raise_if_cancelled()
        try:
            result = ctx.query(f"SHOW CREATE {kind} {q}.{quote_identifier(name)}")
        except mysql_errors.Error as exc:
            if is_privilege_error(exc) or is_unsupported_error(exc):
                state.unreadable[kind.lower()] += 1
                continue
            raise
        text = _create_text(kind, result.columns, result.rows)
        if text is None:
            state.unreadable[kind.lower()] += 1
            continue
        if kind != "TABLE":  # view, routine, trigger and event bodies may hold data literals
            text = scrub_literals(text)
        state.objects += 1
        state.add(f"\n{text};\n")
    return True


def _finish_schema_ddl(ctx: Context, state: _Ddl) -> None:
    cut, unreadable = state.cut, state.unreadable
    ddl = state.text(f"\n-- CUT: {sql_comment(cut)}. Raise --schema-ddl-budget to read everything.\n" if cut else "")
    ctx.artifacts["mysqldump"] = ddl
    ctx.facts["schema_ddl"] = {"objects": state.objects, "bytes": state.utf8_bytes, "cut": cut,
                               "unreadable": dict(unreadable)}
    notes = []
    if cut:
        notes.append(cut)
    if unreadable:
        notes.append("not readable with this account: " + ", ".join(f"{n} {k}" for k, n in unreadable.items()))
    if notes:
        raise Degraded("; ".join(notes))


def _optional_names(ctx: Context, sql: str, schema: str) -> list[str]:
    try:
        return [str(r[0]) for r in schema_rows(ctx, schema, sql)]
    except mysql_errors.Error as exc:
        if is_privilege_error(exc) or is_unsupported_error(exc):
            return []
        raise


# the column holding the statement in each SHOW CREATE result
_CREATE_COLUMNS = {
    "TABLE": "Create Table", "VIEW": "Create View", "PROCEDURE": "Create Procedure",
    "FUNCTION": "Create Function", "TRIGGER": "SQL Original Statement", "EVENT": "Create Event",
}


def _create_text(kind: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str | None:
    if not rows:
        return None
    wanted = _CREATE_COLUMNS.get(kind)
    row = rows[0]
    for index, column in enumerate(columns):
        if column == wanted or (kind == "TABLE" and column == "Create View"):
            value = row[index]
            if value is None:  # routine body hidden without SHOW_ROUTINE / SELECT on mysql.proc
                return None
            return value.decode() if isinstance(value, bytes | bytearray) else str(value)
    return None


TABLE_SIZES = walking_collector(
    name="table_sizes",
    title="Table sizes",
    reads=("information_schema.TABLES, one schema at a time or small schemas in batches (shared with the"
           " inventories)",),
    writes=("tables",),
    samples=("table-sizes",),
    start=_start_table_sizes,
    step=_table_sizes_step,
    finish=_finish_table_sizes,
    budget_seconds=120,
    expected_seconds=0.5,
)

SCHEMA_INVENTORY = walking_collector(
    name="schema_inventory",
    title="Schema inventory",
    reads=("information_schema.TABLES and TRIGGERS, one schema at a time or small schemas in batches;"
           " ROUTINES and EVENTS once",),
    writes=("schemas",),
    start=lambda _ctx: _SchemaCounts(),
    step=_schema_inventory_step,
    finish=_finish_schema_inventory,
    budget_seconds=120,
    expected_seconds=0.3,
)

TECHNOLOGIES = walking_collector(
    name="technologies",
    title="Noteworthy technologies",
    reads=("information_schema.STATISTICS, COLUMNS, REFERENTIAL_CONSTRAINTS, PARTITIONS, TABLES",
           "status counters Com_lock_tables, Com_xa_start, Com_stmt_prepare"),
    writes=("technologies", "technology_objects"),
    start=lambda _ctx: _Technologies(),
    step=_technologies_step,
    finish=_finish_technologies,
    budget_seconds=120,
    expected_seconds=0.5,
)

SCHEMA_DDL = walking_collector(
    name="schema_ddl",
    title="Schema DDL (no data)",
    reads=("SHOW CREATE TABLE / VIEW / PROCEDURE / FUNCTION / TRIGGER / EVENT for user objects",),
    writes=("schema_ddl",),
    samples=("mysqldump",),
    start=_start_schema_ddl,
    step=_schema_ddl_step,
    finish=_finish_schema_ddl,
    budget_seconds=60,
    expected_seconds=1.0,
)

__all__ = ["SCHEMA_DDL", "SCHEMA_INVENTORY", "SYSTEM_SCHEMAS", "TABLE_SIZES", "TECHNOLOGIES"]
