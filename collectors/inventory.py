"""Object inventory for PlanetScale readiness: per-table keys, objects, what the account could see.

Reads information_schema one schema at a time (many small schemas several in one statement, see
collectors.schema), a fixed handful of statements per schema (never one per table), so each stays within
the per-statement limit on servers with thousands of tables:

    TABLES, COLUMNS, STATISTICS, PARTITIONS, REFERENTIAL_CONSTRAINTS (+ KEY_COLUMN_USAGE when the
    schema has foreign keys), CHECK_CONSTRAINTS (MariaDB) / TABLE_CONSTRAINTS (MySQL), ROUTINES,
    TRIGGERS, EVENTS

plus information_schema.COLLATIONS and mysql.func once.

information_schema filters rather than refuses: without TRIGGER an account sees no triggers, without
EVENT no events, and routines only with the right privileges. An empty list is therefore never taken
as "none": `object_visibility` says, from the account's grants, whether each list is complete.

MariaDB has no JSON type: `JSON` is LONGTEXT plus an automatic `CHECK (json_valid(col))` named after
the column. Such a column is counted as `json` (in `column_types` and `json_columns`), and that
automatic check is not listed in `check_constraints`; it is listed in `mariadb_features` (with
sequences, system-versioned tables, INET4/INET6/UUID columns and uca1400 table collations), what a
MySQL 8 server has no equivalent for.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mysql.connector import errors as mysql_errors

from collectors.base import Context, Degraded, walking_collector
from collectors.connection import as_text, is_privilege_error, is_timeout_error, is_unsupported_error, shared_text
from collectors.numbers import as_int
from collectors.privileges import Grants
from collectors.schema import (
    EVENTS_SQL,
    ROUTINES_SQL,
    SPATIAL_TYPES,
    TRIGGERS_SQL,
    quote_identifier,
    schema_rows,
    schema_tables,
)

SUPPORTED_CHARSETS = frozenset({"utf8", "utf8mb3", "utf8mb4", "latin1", "ascii", "binary"})
TEXT_BLOB_TYPES = frozenset({
    "tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob", "longblob",
    "json",  # MySQL's JSON cannot be a key part either
})
FLOAT_TYPES = frozenset({"float", "double", "real", "double precision"})
# InnoDB's limit on MySQL 8 is 1017 columns; a wider table (possible on MariaDB) cannot be imported
MAX_COLUMNS = 1017
BASE_TABLE_TYPES = ("BASE TABLE", "SYSTEM VERSIONED")
MARIADB_ONLY_TYPES = frozenset({"inet4", "inet6", "uuid"})  # MariaDB 10.5+/10.7+/10.10+ column types


def _opt(value: Any) -> str | None:
    return None if value is None else as_text(value)



def _non_ascii(name: str) -> bool:
    return not name.isascii()


# ---------------------------------------------------------------------------- grants


_ON_RE = re.compile(
    r"\s+ON\s+(?:(?:TABLE|PROCEDURE|FUNCTION|PACKAGE(?:\s+BODY)?)\s+)?"
    r"(?P<db>`(?:[^`]|``)*`|\*|[^\s.`]+)\.(?P<tbl>\*|`(?:[^`]|``)*`|[^\s`]+)\s+TO\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _GrantLine:
    privileges: frozenset[str]
    db: str  # unquoted; "*" for global
    table: str  # unquoted; "*" for every table
    routine: bool  # ON PROCEDURE / FUNCTION: one routine, not the schema


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] == "`":
        return name[1:-1].replace("``", "`")
    return name


def _grant_lines(grants: Grants) -> list[_GrantLine]:
    """SHOW GRANTS lines with their scope kept (Grants folds table-level grants into the schema)."""
    out = []
    for line in grants.lines:
        text = line.strip()
        if not text.upper().startswith("GRANT "):
            continue
        match = _ON_RE.search(text)
        if not match:
            continue
        privs = {p.strip().upper() for p in re.split(r",(?![^(]*\))", text[6:match.start()])}
        privs = {re.sub(r"\s*\(.*\)$", "", p) for p in privs}
        if "ALL" in privs:
            privs.add("ALL PRIVILEGES")
        routine = bool(re.match(r"\s+ON\s+(PROCEDURE|FUNCTION|PACKAGE)", text[match.start():], re.IGNORECASE))
        out.append(_GrantLine(frozenset(privs), _unquote(match.group("db")), _unquote(match.group("tbl")), routine))
    return out


def _db_pattern_matches(pattern: str, schema: str) -> bool:
    """Schema-level grants take LIKE wildcards (`_`, `%`, `\\` escapes)."""
    regex = []
    escaped = False
    for ch in pattern:
        if escaped:
            regex.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            regex.append(".*")
        elif ch == "_":
            regex.append(".")
        else:
            regex.append(re.escape(ch))
    return re.fullmatch("".join(regex), schema, re.IGNORECASE | re.DOTALL) is not None


class _Privileges:
    def __init__(self, grants: Grants | None) -> None:
        self.grants = grants
        self.lines = _grant_lines(grants) if grants is not None else []
        # True when what SHOW GRANTS printed may not be all the account holds
        self.uncertain = grants is None or not grants.readable or grants.has_roles
        # MySQL partial revokes (REVOKE ... ON `schema`.* lines) can take back what a global grant gives
        self.revokes = grants is not None and any(g.strip().upper().startswith("REVOKE ") for g in grants.lines)

    def _held(self, line: _GrantLine, names: Iterable[str]) -> bool:
        return "ALL PRIVILEGES" in line.privileges or any(n in line.privileges for n in names)

    def globally(self, *names: str) -> bool:
        return any(line.db == "*" and self._held(line, names) for line in self.lines)

    def on_schema(self, schema: str, *names: str) -> bool:
        """Held on *.* or on `schema`.* (not merely on some of its tables or routines)."""
        if self.globally(*names):
            return True
        return any(
            line.table == "*" and not line.routine and line.db != "*" and _db_pattern_matches(line.db, schema)
            and self._held(line, names)
            for line in self.lines
        )

    def on_table(self, schema: str, table: str, *names: str) -> bool:
        if self.globally(*names):
            return True
        return any(
            line.db.lower() == schema.lower() and line.table in ("*", table) and not line.routine
            and self._held(line, names)
            for line in self.lines
        )

    def visibility(self, complete: bool, missing: str) -> dict[str, Any]:
        if complete and not self.revokes:
            return {"complete": True, "missing_privilege": None}
        if self.uncertain or self.revokes:  # roles or unreadable grants may hold it: do not guess
            return {"complete": None, "missing_privilege": None}
        return {"complete": False, "missing_privilege": missing}


# ---------------------------------------------------------------------------- per schema


@dataclass
class _Table:
    name: str
    engine: str
    collation: str
    columns: list[dict[str, Any]] = field(default_factory=list)
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)
    partition_method: str | None = None
    subpartition_method: str | None = None


@dataclass
class _Inventory:
    objects: dict[str, list[Any]] = field(default_factory=lambda: {
        key: [] for key in (
            "views", "routines", "triggers", "events", "foreign_keys", "check_constraints",
            "generated_columns", "non_ascii_identifiers", "unsupported_charset_columns",
            "unsupported_charset_tables", "wide_tables", "mariadb_features", "duplicate_enum_values",
            "broken_views",
        )
    })
    schema_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    per_table: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_checked: dict[str, str] = field(default_factory=dict)  # objects key -> why it was not read


def _charset_of(collation: str, charsets: dict[str, str]) -> str | None:
    if not collation:
        return None
    return charsets.get(collation.lower()) or collation.split("_", 1)[0].lower()


# per schema, each sent once with the schema as its parameter (schema_rows: shared, and read ahead)
_COLUMNS_SQL = ("SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE,"
                " CHARACTER_SET_NAME, EXTRA, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s")
_STATISTICS_SQL = ("SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, INDEX_TYPE"
                   " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s")
# one row per partition (no DISTINCT: a UNION ALL part cannot start with it, and then every schema of a
# schema-per-tenant server cost a statement of its own); the walk keeps one method per table
_PARTITIONS_SQL = ("SELECT TABLE_NAME, PARTITION_METHOD, SUBPARTITION_METHOD"
                   " FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = %s AND PARTITION_NAME IS NOT NULL")
# TABLE_ROWS makes MariaDB open each view, and then TABLE_COMMENT carries error 1356 for a view that no longer
# resolves (MySQL 8 fills it from the data dictionary's view_valid flag): views only, one read per schema
_VIEW_STATE_SQL = ("SELECT TABLE_NAME, TABLE_ROWS, TABLE_COMMENT FROM information_schema.TABLES"
                   " WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'VIEW'")
_INVALID_VIEW = re.compile(r"references invalid table", re.IGNORECASE)
_FOREIGN_KEYS_SQL = ("SELECT CONSTRAINT_NAME, TABLE_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME, UPDATE_RULE,"
                     " DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %s")
_FOREIGN_KEY_COLUMNS_SQL = ("SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, REFERENCED_COLUMN_NAME"
                            " FROM information_schema.KEY_COLUMN_USAGE"
                            " WHERE TABLE_SCHEMA = %s AND REFERENCED_TABLE_NAME IS NOT NULL")


def _read_schema(ctx: Context, schema: str, charsets: dict[str, str], inv: _Inventory) -> None:
    objects = inv.objects
    tables: dict[str, _Table] = {}
    views = 0
    any_partitioned = False
    for name, table_type, engine, *_, options, collation in schema_tables(ctx, schema):  # read once, shared
        name, table_type = as_text(name), as_text(table_type)
        any_partitioned = any_partitioned or "partitioned" in as_text(options).lower()
        if table_type == "VIEW":
            views += 1
            objects["views"].append(f"{schema}.{name}")
            if _non_ascii(name):
                objects["non_ascii_identifiers"].append(f"{schema}.{name}")
        elif table_type in BASE_TABLE_TYPES:
            tables[name] = _Table(shared_text(name), shared_text(as_text(engine)), as_text(collation))
        # what a MySQL server has no equivalent for (readiness: mariadb_features)
        if table_type == "SEQUENCE":
            objects["mariadb_features"].append({"name": f"{schema}.{name}", "feature": "sequence"})
        elif table_type == "SYSTEM VERSIONED":
            objects["mariadb_features"].append({"name": f"{schema}.{name}", "feature": "system-versioned table"})
        if "uca1400" in as_text(collation or "").lower():
            objects["mariadb_features"].append({"name": f"{schema}.{name}",
                                                "feature": f"collation {as_text(collation)}"})

    columns = schema_rows(ctx, schema, _COLUMNS_SQL)
    spatial_columns = 0
    for table_name, column, position, data_type, column_type, nullable, charset, extra, collation in columns:
        data_type = as_text(data_type).lower()
        spatial_columns += data_type in SPATIAL_TYPES  # views' columns too, as technologies counts
        table = tables.get(as_text(table_name))
        if table is None:  # a view's column
            continue
        table.columns.append({
            "name": as_text(column), "position": as_int(position, 0), "data_type": data_type,
            "column_type": as_text(column_type).lower(), "nullable": as_text(nullable).upper() == "YES",
            "charset": _opt(charset), "extra": as_text(extra).upper(),
            # ENUM/SET values keep their case here (column_type above is lower-cased)
            "duplicate_values": bool(duplicate_enum_values(as_text(column_type), _opt(collation))),
        })

    special_indexes: dict[str, set[tuple[str, str]]] = {"FULLTEXT": set(), "SPATIAL": set()}
    for table_name, index, non_unique, seq, column, sub_part, index_type in schema_rows(ctx, schema, _STATISTICS_SQL):
        kind = as_text(index_type).upper()
        if kind in ("FULLTEXT", "SPATIAL"):
            special_indexes[kind].add((as_text(table_name), as_text(index)))
        table = tables.get(as_text(table_name))
        if table is None:
            continue
        entry = table.indexes.setdefault(shared_text(as_text(index)), {  # names kept in the facts: shared
            "unique": as_int(non_unique, 0) == 0, "type": as_text(index_type).upper(), "parts": [],
        })
        entry["parts"].append((as_int(seq, 0), shared_text(_opt(column)), sub_part))

    partitioned: set[str] = set()
    # TABLES says which tables are partitioned (CREATE_OPTIONS "partitioned", on every MySQL and MariaDB): a
    # schema with none is not read again (PARTITIONS opens every table of the schema: 1.1 ms a schema of ten)
    for table_name, method, submethod in schema_rows(ctx, schema, _PARTITIONS_SQL) if any_partitioned else ():
        partitioned.add(as_text(table_name))
        table = tables.get(as_text(table_name))
        if table is not None:
            table.partition_method = _opt(method)
            table.subpartition_method = _opt(submethod)

    foreign_keys: dict[tuple[str, str], dict[str, Any]] = {}
    constraints = schema_rows(ctx, schema, _FOREIGN_KEYS_SQL)
    # what the technologies collector would read again from the same tables: counted here, shared
    ctx.shared.technology_counts[schema] = {
        "fulltext": len(special_indexes["FULLTEXT"]), "spatial_index": len(special_indexes["SPATIAL"]),
        "spatial_columns": spatial_columns, "foreign_keys": len(constraints), "partitioned": partitioned,
    }
    for constraint, table_name, ref_schema, ref_table, on_update, on_delete in constraints:
        table_name, constraint = as_text(table_name), as_text(constraint)
        foreign_keys[(table_name, constraint)] = {
            "name": f"{schema}.{table_name}.{constraint}", "table": f"{schema}.{table_name}", "columns": [],
            "references": f"{as_text(ref_schema) or schema}.{as_text(ref_table)}",
            "on_delete": as_text(on_delete), "on_update": as_text(on_update),
        }
    if foreign_keys:
        parts: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
        for table_name, constraint, column, position, referenced in schema_rows(ctx, schema, _FOREIGN_KEY_COLUMNS_SQL):
            parts.setdefault((as_text(table_name), as_text(constraint)), []).append(
                (as_int(position, 0), as_text(column), as_text(referenced)))
        for key, fk in foreign_keys.items():
            ordered = sorted(parts.get(key, []))
            fk["columns"] = [c for _, c, _r in ordered]
            fk["referenced_columns"] = [r for _, _c, r in ordered]
        objects["foreign_keys"].extend(foreign_keys.values())

    json_checks = _read_checks(ctx, schema, tables, inv)
    if views:
        _read_view_state(ctx, schema, inv)

    for name, routine_type in schema_rows(ctx, schema, ROUTINES_SQL):
        objects["routines"].append({"name": f"{schema}.{as_text(name)}", "type": as_text(routine_type)})
    for name, table_name in schema_rows(ctx, schema, TRIGGERS_SQL):
        objects["triggers"].append({"name": f"{schema}.{as_text(name)}", "table": f"{schema}.{as_text(table_name)}"})
    for (name,) in schema_rows(ctx, schema, EVENTS_SQL):
        objects["events"].append(f"{schema}.{as_text(name)}")

    _summarise(schema, tables, json_checks, charsets, inv)


def _read_checks(ctx: Context, schema: str, tables: dict[str, _Table], inv: _Inventory) -> set[tuple[str, str]]:
    """Lists CHECK constraints; returns the (table, column) pairs of MariaDB's automatic JSON checks."""
    json_checks: set[tuple[str, str]] = set()
    if ctx.server.is_mariadb:
        sql = ("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS"
               " WHERE CONSTRAINT_SCHEMA = %s")
    elif not ctx.server.at_least(8, 0, 16):  # MySQL enforces (and lists) CHECK constraints since 8.0.16
        return json_checks
    else:  # MySQL's CHECK_CONSTRAINTS has no TABLE_NAME; TABLE_CONSTRAINTS has both. Filter on
        # TABLE_SCHEMA: it is the lookup key (a CONSTRAINT_SCHEMA filter reads every schema's tables)
        sql = ("SELECT TABLE_NAME, CONSTRAINT_NAME, NULL FROM information_schema.TABLE_CONSTRAINTS"
               " WHERE TABLE_SCHEMA = %s AND CONSTRAINT_TYPE = 'CHECK'")
    try:
        rows = schema_rows(ctx, schema, sql)
    except mysql_errors.Error as exc:
        if not is_unsupported_error(exc):
            raise
        note = ("information_schema.CHECK_CONSTRAINTS is not available here (MariaDB < 10.2):"
                " CHECK constraints not listed")
        if note not in inv.notes:
            inv.notes.append(note)
        return json_checks
    for table_name, constraint, clause in rows:
        table_name, constraint = as_text(table_name), as_text(constraint)
        table = tables.get(table_name)
        if clause is not None and table is not None and _is_json_check(constraint, as_text(clause), table):
            json_checks.add((table_name, constraint))
            continue
        inv.objects["check_constraints"].append(f"{schema}.{table_name}.{constraint}")
    return json_checks


def _read_view_state(ctx: Context, schema: str, inv: _Inventory) -> None:
    """Lists the views the server cannot resolve any more (error 1356: a missing table, column or function)."""
    try:
        rows = schema_rows(ctx, schema, _VIEW_STATE_SQL)
    except mysql_errors.Error as exc:
        if not (is_privilege_error(exc) or is_unsupported_error(exc) or is_timeout_error(exc)):
            raise
        inv.not_checked.setdefault("broken_views", f"views of {schema} not checked: {_describe(exc)}")
        return
    for name, _rows, comment in rows:
        if _INVALID_VIEW.search(as_text(comment or "")):
            inv.objects["broken_views"].append(f"{schema}.{as_text(name)}")


_ENUM_VALUE = re.compile(r"'((?:[^'\\]|''|\\.)*)'")


def duplicate_enum_values(column_type: str, collation: str | None) -> list[str]:
    """The values an ENUM/SET definition repeats, compared as the column's collation compares them: case-blind
    unless the collation is binary or case-sensitive (`_bin`, `_cs`). Trailing spaces never count (MySQL strips
    them from ENUM/SET values)."""
    head = column_type.split("(", 1)[0].strip().lower()
    if head not in ("enum", "set"):
        return []
    exact = collation is None or collation.lower().endswith(("_bin", "_cs")) or collation.lower() == "binary"
    seen: dict[str, str] = {}
    repeated: list[str] = []
    for match in _ENUM_VALUE.finditer(column_type[column_type.index("("):] if "(" in column_type else ""):
        value = match.group(1).replace("''", "'").rstrip(" ")
        key = value if exact else value.casefold()
        if key in seen and seen[key] not in repeated:
            repeated.append(seen[key])
        seen.setdefault(key, value)
    return repeated


def _is_json_check(constraint: str, clause: str, table: _Table) -> bool:
    """MariaDB's `JSON` column: LONGTEXT with CHECK (json_valid(`col`)) named after the column."""
    expected = f"json_valid({quote_identifier(constraint)})"
    if "".join(clause.split()).lower() != "".join(expected.split()).lower():
        return False
    return any(c["name"] == constraint and c["data_type"] == "longtext" for c in table.columns)


_GENERATED_WORDS = frozenset(("VIRTUAL", "STORED", "PERSISTENT"))


def _is_generated(extra: str) -> bool:
    """EXTRA of a generated column: VIRTUAL/STORED GENERATED (MySQL 5.7+, MariaDB 10.2+), VIRTUAL/PERSISTENT
    (MariaDB 10.1) -- not MySQL 8's DEFAULT_GENERATED, which is a column with an expression default."""
    if not extra:
        return False
    return not _GENERATED_WORDS.isdisjoint(extra.upper().split())


def _qualifies(index: dict[str, Any], columns: dict[str, dict[str, Any]]) -> bool:
    if not index["unique"]:
        return False
    for _seq, column, sub_part in index["parts"]:
        info = columns.get(column) if column is not None else None
        if info is None or sub_part is not None or info["nullable"] or info["data_type"] in TEXT_BLOB_TYPES:
            return False
    return True


def _summarise(schema: str, tables: dict[str, _Table], json_checks: set[tuple[str, str]],
               charsets: dict[str, str], inv: _Inventory) -> None:
    objects = inv.objects
    column_types: Counter[str] = Counter()
    index_types: Counter[str] = Counter()
    json_columns = spatial_columns = fulltext = 0
    if _non_ascii(schema):
        objects["non_ascii_identifiers"].append(schema)
    for table in tables.values():
        dotted = f"{schema}.{table.name}"
        if _non_ascii(table.name):
            objects["non_ascii_identifiers"].append(dotted)
        charset = _charset_of(table.collation, charsets)
        if charset is not None and charset not in SUPPORTED_CHARSETS:
            objects["unsupported_charset_tables"].append({"name": dotted, "charset": charset})
        table.columns.sort(key=lambda c: c["position"])
        by_name = {c["name"]: c for c in table.columns}
        for column in table.columns:
            name = column["name"]
            data_type = column["data_type"]
            if (table.name, name) in json_checks:
                data_type = "json"
                objects["mariadb_features"].append({"name": f"{dotted}.{name}", "feature": "JSON (LONGTEXT)"})
            elif data_type in MARIADB_ONLY_TYPES:
                objects["mariadb_features"].append({"name": f"{dotted}.{name}", "feature": data_type.upper()})
            column_types[data_type] += 1
            json_columns += data_type == "json"
            spatial_columns += data_type in SPATIAL_TYPES
            if _non_ascii(name):
                objects["non_ascii_identifiers"].append(f"{dotted}.{name}")
            if _is_generated(column["extra"]):
                objects["generated_columns"].append(f"{dotted}.{name}")
            if column["duplicate_values"]:
                objects["duplicate_enum_values"].append(f"{dotted}.{name}")
            if column["charset"] is not None and column["charset"].lower() not in SUPPORTED_CHARSETS:
                objects["unsupported_charset_columns"].append(
                    {"name": f"{dotted}.{name}", "charset": column["charset"].lower()})
        if len(table.columns) > MAX_COLUMNS:
            objects["wide_tables"].append({"name": dotted, "columns": len(table.columns)})
        for index in table.indexes.values():
            index["parts"].sort(key=lambda p: p[0])
            index_types[index["type"]] += 1
            fulltext += index["type"] == "FULLTEXT"
        primary = table.indexes.get("PRIMARY")
        primary_key = [c for _s, c, _p in primary["parts"] if c is not None] if primary else None
        unique_key = None
        if primary is not None and _qualifies(primary, by_name):
            unique_key = "PRIMARY"
        else:
            unique_key = next((name for name in sorted(table.indexes)
                               if name != "PRIMARY" and _qualifies(table.indexes[name], by_name)), None)
        float_pk = [c for c in primary_key or [] if by_name.get(c, {}).get("data_type") in FLOAT_TYPES]
        inv.per_table[(schema, table.name)] = {
            "charset": charset, "columns": len(table.columns),
            "partition_method": table.partition_method, "subpartition_method": table.subpartition_method,
            "primary_key": primary_key, "unique_key": unique_key, "float_primary_key": float_pk,
        }
        inv.created.append({"schema": schema, "name": table.name, "engine": table.engine})
    inv.schema_types[schema] = {
        "column_types": dict(sorted(column_types.items())), "index_types": dict(sorted(index_types.items())),
        "json_columns": json_columns, "spatial_columns": spatial_columns, "fulltext_indexes": fulltext,
    }


# ---------------------------------------------------------------------------- the collector


def _collations(ctx: Context) -> dict[str, str]:
    try:
        rows = ctx.query("SELECT COLLATION_NAME, CHARACTER_SET_NAME FROM information_schema.COLLATIONS").rows
    except mysql_errors.Error as exc:
        if not (is_privilege_error(exc) or is_unsupported_error(exc) or is_timeout_error(exc)):
            raise
        return {}  # the collation's prefix names its character set
    return {as_text(c).lower(): as_text(s).lower() for c, s in rows if c is not None and s is not None}


def _user_defined_functions(ctx: Context) -> tuple[list[str], dict[str, Any], str | None]:
    try:
        rows = ctx.query("SELECT name FROM mysql.func").rows
    except mysql_errors.Error as exc:
        if is_privilege_error(exc):
            return [], {"complete": False, "missing_privilege": "SELECT on mysql.func"}, (
                "user-defined functions not listed: needs SELECT on mysql.func")
        if is_unsupported_error(exc) or is_timeout_error(exc):
            return [], {"complete": None, "missing_privilege": None}, (
                f"user-defined functions not listed: mysql.func not readable (errno {exc.errno})")
        raise
    return sorted(as_text(r[0]) for r in rows), {"complete": True, "missing_privilege": None}, None


def _routine_privilege(ctx: Context) -> tuple[tuple[str, ...], str]:
    """Privileges on *.* that show every routine, and the one to name when they are missing."""
    if ctx.server.is_mariadb:
        return ("SELECT",), "SELECT on mysql.proc"
    if ctx.server.at_least(8, 0, 20):
        return ("SHOW_ROUTINE", "SELECT"), "SHOW_ROUTINE"
    return ("SELECT",), "SELECT on *.*"


def _visibility(ctx: Context, privileges: _Privileges, schemas: list[str]) -> dict[str, dict[str, Any]]:
    triggers = all(privileges.on_schema(s, "TRIGGER") for s in schemas)
    events = all(privileges.on_schema(s, "EVENT") for s in schemas)
    global_names, missing = _routine_privilege(ctx)
    routines = privileges.globally(*global_names) or all(
        privileges.on_schema(s, "EXECUTE", "CREATE ROUTINE", "ALTER ROUTINE") for s in schemas)
    if not routines and ctx.server.is_mariadb:
        routines = privileges.on_table("mysql", "proc", "SELECT")
    return {
        "triggers": privileges.visibility(triggers, "TRIGGER"),
        "events": privileges.visibility(events, "EVENT"),
        "routines": privileges.visibility(routines, missing),
    }


@dataclass
class _Walk:
    privileges: _Privileges
    charsets: dict[str, str]
    inv: _Inventory = field(default_factory=_Inventory)
    cut: str | None = None
    failed: list[dict[str, str]] = field(default_factory=list)
    read: list[str] = field(default_factory=list)


def _start(ctx: Context) -> _Walk:
    return _Walk(_Privileges(ctx.shared.grants), _collations(ctx))


def _step(ctx: Context, state: _Walk, schema: str, index: int, total: int) -> bool:
    if ctx.time_left() <= 0:
        state.cut = f"time budget ran out after {index} of {total} schemas"
        return False
    try:
        _read_schema(ctx, schema, state.charsets, state.inv)
    except mysql_errors.Error as exc:  # one schema's failure (a time limit, a broken table) costs that schema
        state.failed.append({"name": schema, "reason": _describe(exc)})
        return True
    state.read.append(schema)
    return True


def _finish(ctx: Context, state: _Walk) -> None:
    privileges, inv, cut, failed, read = state.privileges, state.inv, state.cut, state.failed, state.read
    udfs, udf_visibility, udf_note = _user_defined_functions(ctx)
    visibility = _visibility(ctx, privileges, read)
    visibility["user_defined_functions"] = udf_visibility

    objects = inv.objects
    objects["views"].sort()
    objects["events"].sort()
    objects["check_constraints"].sort()
    objects["generated_columns"].sort()
    objects["duplicate_enum_values"].sort()
    objects["broken_views"].sort()
    for key in inv.not_checked:  # a list not read is absent, never empty: the rule says why
        objects.pop(key, None)
    objects["non_ascii_identifiers"] = sorted(set(objects["non_ascii_identifiers"]))
    for key in ("routines", "triggers", "foreign_keys", "unsupported_charset_columns",
                "unsupported_charset_tables", "wide_tables"):
        objects[key].sort(key=lambda item: (item["name"], item.get("type", "")))
    objects["mariadb_features"].sort(key=lambda item: (item["name"], item["feature"]))
    objects["user_defined_functions"] = udfs

    _update_tables(ctx, inv)
    ctx.facts["objects"] = objects
    ctx.facts["object_visibility"] = visibility
    ctx.facts["schema_types"] = inv.schema_types
    ctx.facts["inventory"] = {"cut": cut, "failed_schemas": failed}
    if inv.not_checked:
        ctx.facts["inventory"]["not_checked"] = dict(sorted(inv.not_checked.items()))

    notes = list(inv.notes) + list(inv.not_checked.values())
    if cut:
        notes.append(f"{cut}; the rest was not read")
    if failed:
        notes.append("not read: " + ", ".join(f"{f['name']} ({f['reason']})" for f in failed))
    hidden = [f"{kind} (needs {v['missing_privilege']})" for kind, v in visibility.items()
              if v["complete"] is False and kind != "user_defined_functions"]
    if hidden:
        notes.append("not visible to this account: " + ", ".join(hidden))
    unknown = sorted(kind for kind, v in visibility.items() if v["complete"] is None)
    if unknown:
        notes.append("could not tell from the grants whether every one is visible: " + ", ".join(unknown))
    if udf_note:
        notes.append(udf_note)
    if notes:
        raise Degraded("; ".join(notes))


def _describe(exc: mysql_errors.Error) -> str:
    if is_timeout_error(exc):
        return f"a statement hit the per-statement time limit (errno {exc.errno})"
    if is_privilege_error(exc):
        return f"access denied (errno {exc.errno})"
    message = (getattr(exc, "msg", "") or "").splitlines()
    return f"errno {exc.errno}: {message[0] if message else type(exc).__name__}"


def _update_tables(ctx: Context, inv: _Inventory) -> None:
    tables = ctx.facts.get("tables")
    if tables is None:
        created = []
        for entry in sorted(inv.created, key=lambda t: (t["schema"], t["name"])):
            created.append({**entry, **inv.per_table[(entry["schema"], entry["name"])]})
        ctx.facts["tables"] = created
        return
    for entry in tables:
        keys = inv.per_table.get((str(entry.get("schema")), str(entry.get("name"))))
        if keys is not None:
            entry.update(keys)


INVENTORY = walking_collector(
    name="inventory",
    title="Object inventory (keys, charsets, partitions, foreign keys, routines, triggers, events)",
    reads=(
        "information_schema.TABLES, COLUMNS, STATISTICS, PARTITIONS, REFERENTIAL_CONSTRAINTS, KEY_COLUMN_USAGE,"
        " CHECK_CONSTRAINTS (MariaDB) / TABLE_CONSTRAINTS (MySQL), TRIGGERS, one schema at a time or small schemas"
        " in batches; ROUTINES and EVENTS once",
        "information_schema.TABLES again for a schema's views: TABLE_COMMENT says which no longer resolve",
        "information_schema.COLLATIONS, once",
        "mysql.func (user-defined functions), when readable",
    ),
    writes=("objects", "object_visibility", "schema_types", "inventory", "tables"),
    start=_start,
    step=_step,
    finish=_finish,
    budget_seconds=120,
    expected_seconds=1.0,
)

__all__ = ["INVENTORY", "MAX_COLUMNS", "SUPPORTED_CHARSETS", "duplicate_enum_values"]
