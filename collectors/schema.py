"""What is stored: table sizes, per-schema object counts, Noteworthy Technologies and schema DDL.

Everything reads information_schema one schema at a time, so each statement stays small and within
the per-statement limit on servers with many tables, and a budget can cut the work between schemas.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from mysql.connector import errors as mysql_errors

from collectors.base import SYSTEM_SCHEMAS, Collector, Context, Degraded, Skip
from collectors.connection import is_privilege_error, is_unsupported_error
from collectors.redact import scrub_literals

SPATIAL_TYPES = (
    "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
    "geometrycollection", "geomcollection",
)


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


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


def schema_tables(ctx: Context, schema: str) -> list[tuple[Any, ...]]:
    """information_schema.TABLES of one schema, every table type: (name, type, engine, rows, data, index,
    row format, create options, collation). Read once per run and shared through ctx.scratch: on a server
    with thousands of tables each such read opens every table (DATA_LENGTH), and four collectors need it."""
    cache: dict[str, list[tuple[Any, ...]]] = ctx.scratch.setdefault("information_schema.TABLES", {})
    rows = cache.get(schema)
    if rows is None:
        rows = ctx.query(_TABLES_SQL, (schema,)).rows
        cache[schema] = rows
    return rows


def collect_table_sizes(ctx: Context) -> None:
    schemas = ctx.user_schemas()
    tables: list[dict[str, Any]] = []
    for done, schema in enumerate(schemas):
        ctx.cancel.raise_if_cancelled()
        if _budget_cut(ctx, done, len(schemas), "table sizes"):
            break
        for name, table_type, engine, rows, data, index, row_format, options, collation in schema_tables(ctx, schema):
            if table_type not in BASE_TABLE_TYPES:
                continue
            tables.append({
                "schema": schema, "name": str(name), "engine": engine or "", "rows": _int(rows),
                "data_bytes": _int(data), "index_bytes": _int(index), "row_format": row_format or "",
                "create_options": options or "", "collation": collation or "",
            })
    tables.sort(key=lambda t: (-(t["data_bytes"] + t["index_bytes"]), t["schema"], t["name"]))
    ctx.facts["tables"] = tables


def collect_schema_inventory(ctx: Context) -> None:
    schemas = ctx.user_schemas()
    inventory: list[dict[str, Any]] = []
    hidden: set[str] = set()
    for done, schema in enumerate(schemas):
        ctx.cancel.raise_if_cancelled()
        if _budget_cut(ctx, done, len(schemas), "schema inventory"):
            break
        entry: dict[str, Any] = {"name": schema, "tables": 0, "views": 0, "routines": 0, "triggers": 0,
                                 "events": 0, "data_bytes": 0, "index_bytes": 0, "engines": {}}
        engines: Counter[str] = Counter()
        for _name, table_type, engine, _rows, data, index, *_ in schema_tables(ctx, schema):
            if table_type == "VIEW":
                entry["views"] += 1
                continue
            if table_type not in BASE_TABLE_TYPES:  # a MariaDB SEQUENCE is no table
                continue
            entry["tables"] += 1
            entry["data_bytes"] += _int(data)
            entry["index_bytes"] += _int(index)
            engines[str(engine or "unknown")] += 1
        entry["engines"] = dict(sorted(engines.items()))
        for key, sql in (
            ("routines", "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s"),
            ("triggers", "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s"),
            ("events", "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s"),
        ):
            try:
                entry[key] = _int(ctx.session.scalar(sql, (schema,)))
            except mysql_errors.Error as exc:
                if not (is_privilege_error(exc) or is_unsupported_error(exc)):
                    raise
                entry[key] = None
                hidden.add(key)
        inventory.append(entry)
    ctx.facts["schemas"] = inventory
    if hidden:
        raise Degraded(f"could not count {', '.join(sorted(hidden))}: not visible to this account")


def collect_technologies(ctx: Context) -> None:
    """Noteworthy Technologies from information_schema and status — never from grepping DDL."""
    schemas = ctx.user_schemas()
    counts: Counter[str] = Counter()
    tables_with: dict[str, set[str]] = {k: set() for k in ("partitioning", "compression")}
    for done, schema in enumerate(schemas):
        ctx.cancel.raise_if_cancelled()
        if _budget_cut(ctx, done, len(schemas), "technologies"):
            break
        shared = ctx.scratch.get("technology_counts", {}).get(schema)
        if shared is not None:  # the inventory read the same STATISTICS, COLUMNS, REFERENTIAL_CONSTRAINTS, PARTITIONS
            for key in ("fulltext", "spatial_index", "spatial_columns", "foreign_keys"):
                counts[key] += shared[key]
            tables_with["partitioning"].update(f"{schema}.{name}" for name in shared["partitioned"])
        else:
            _read_technologies(ctx, schema, counts, tables_with)
        for name, table_type, _engine, _rows, _data, _index, row_format, options, _collation in schema_tables(
                ctx, schema):
            if table_type in BASE_TABLE_TYPES and is_compressed(str(row_format or ""), str(options or "")):
                tables_with["compression"].add(f"{schema}.{name}")
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
        total = sum(_int(status[c]) for c in present)
        tech[key] = {"value": total > 0, "evidence": " + ".join(present) + f" = {total} since startup"}
    ctx.facts["technologies"] = tech
    ctx.facts["technology_objects"] = {k: sorted(v)[:100] for k, v in tables_with.items()}


def _read_technologies(ctx: Context, schema: str, counts: Counter[str], tables_with: dict[str, set[str]]) -> None:
    """What technologies counts in one schema, when the inventory did not read it first."""
    counts["fulltext"] += _int(ctx.session.scalar(
        "SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = %s AND INDEX_TYPE = 'FULLTEXT'", (schema,)))
    counts["spatial_index"] += _int(ctx.session.scalar(
        "SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = %s AND INDEX_TYPE = 'SPATIAL'", (schema,)))
    placeholders = ", ".join(["%s"] * len(SPATIAL_TYPES))
    counts["spatial_columns"] += _int(ctx.session.scalar(
        "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s"
        f" AND DATA_TYPE IN ({placeholders})", (schema, *SPATIAL_TYPES)))
    counts["foreign_keys"] += _int(ctx.session.scalar(
        "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %s",
        (schema,)))
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


def collect_schema_ddl(ctx: Context) -> None:
    """SHOW CREATE for every user object, without data, as a mysqldump --no-data-like text."""
    if not ctx.options.get("schema_ddl", True):
        raise Skip("schema DDL was turned off (--no-schema-ddl)")
    schemas = ctx.user_schemas()
    parts: list[str] = ["-- Schema only (no data), written by ps-prechecks with SHOW CREATE statements\n"]
    objects = 0
    unreadable: Counter[str] = Counter()
    cut = None
    for done, schema in enumerate(schemas):
        if ctx.time_left() <= 0:
            cut = f"time budget ran out after {done} of {len(schemas)} schemas"
            break
        ctx.cancel.raise_if_cancelled()
        q = quote_identifier(schema)
        parts.append(f"\n--\n-- Database: {q}\n--\n\nUSE {q};\n")
        listing = ctx.query(
            "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
            " ORDER BY TABLE_TYPE, TABLE_NAME", (schema,)).rows
        routines = ctx.query(
            "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s"
            " ORDER BY ROUTINE_TYPE, ROUTINE_NAME", (schema,)).rows
        triggers = _optional_names(ctx, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS"
                                        " WHERE TRIGGER_SCHEMA = %s ORDER BY TRIGGER_NAME", schema)
        events = _optional_names(ctx, "SELECT EVENT_NAME FROM information_schema.EVENTS"
                                      " WHERE EVENT_SCHEMA = %s ORDER BY EVENT_NAME", schema)
        work: list[tuple[str, str]] = []
        for name, table_type in listing:
            work.append(("VIEW" if table_type == "VIEW" else "TABLE", str(name)))
        work += [(str(kind), str(name)) for name, kind in routines]
        work += [("TRIGGER", n) for n in triggers] + [("EVENT", n) for n in events]
        for kind, name in work:
            if ctx.time_left() <= 0:
                cut = f"time budget ran out in schema {schema} after {objects} objects"
                break
            ctx.cancel.raise_if_cancelled()
            try:
                result = ctx.query(f"SHOW CREATE {kind} {q}.{quote_identifier(name)}")
            except mysql_errors.Error as exc:
                if is_privilege_error(exc) or is_unsupported_error(exc):
                    unreadable[kind.lower()] += 1
                    continue
                raise
            text = _create_text(kind, result.columns, result.rows)
            if text is None:
                unreadable[kind.lower()] += 1
                continue
            if kind != "TABLE":  # view, routine, trigger and event bodies may hold data literals
                text = scrub_literals(text)
            objects += 1
            parts.append(f"\n{text};\n")
        if cut:
            break
    ddl = "".join(parts)
    if cut:
        ddl += f"\n-- CUT: {cut}. Raise --schema-ddl-budget to read everything.\n"
    ctx.artifacts["mysqldump"] = ddl
    ctx.facts["schema_ddl"] = {"objects": objects, "bytes": len(ddl.encode()), "cut": cut,
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
        return [str(r[0]) for r in ctx.query(sql, (schema,)).rows]
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


TABLE_SIZES = Collector(
    name="table_sizes",
    title="Table sizes",
    reads=("information_schema.TABLES, one schema at a time (shared with the inventories)",),
    writes=("tables",),
    samples=("table-sizes",),
    collect=collect_table_sizes,
    budget_seconds=120,
    expected_seconds=0.5,
)

SCHEMA_INVENTORY = Collector(
    name="schema_inventory",
    title="Schema inventory",
    reads=("information_schema.TABLES, ROUTINES, TRIGGERS, EVENTS, one schema at a time",),
    writes=("schemas",),
    collect=collect_schema_inventory,
    budget_seconds=120,
    expected_seconds=0.3,
)

TECHNOLOGIES = Collector(
    name="technologies",
    title="Noteworthy technologies",
    reads=("information_schema.STATISTICS, COLUMNS, REFERENTIAL_CONSTRAINTS, PARTITIONS, TABLES",
           "status counters Com_lock_tables, Com_xa_start, Com_stmt_prepare"),
    writes=("technologies", "technology_objects"),
    collect=collect_technologies,
    budget_seconds=120,
    expected_seconds=0.5,
)

SCHEMA_DDL = Collector(
    name="schema_ddl",
    title="Schema DDL (no data)",
    reads=("SHOW CREATE TABLE / VIEW / PROCEDURE / FUNCTION / TRIGGER / EVENT for user objects",),
    writes=("schema_ddl",),
    samples=("mysqldump",),
    collect=collect_schema_ddl,
    budget_seconds=60,
    expected_seconds=1.0,
)

__all__ = ["SCHEMA_DDL", "SCHEMA_INVENTORY", "SYSTEM_SCHEMAS", "TABLE_SIZES", "TECHNOLOGIES"]
