"""Workload: top statement digests, client programs and drivers, migration tools' tables, binlog readers.

Nothing here ships query literals, account names or secrets:

* digests come from performance_schema's DIGEST_TEXT (literals already ``?``), and are scrubbed again
  (:func:`scrub_digest_text`): quoted strings, numbers, hex/bit literals and comments left behind
  (truncated text, an odd statement) become ``?``; account names (``DEFINER = `bob`@`%```) become
  ``?@?``; statements that name accounts (GRANT, CREATE USER, SET PASSWORD, ...) keep their verb only;
* connection attributes are read by name (program_name, _client_name, _client_version, _client_role):
  never the others, which any client may fill with anything;
* migration tables are found by name in information_schema; their rows are never read;
* binlog readers are described by kind, tool and host; the user name is only used to derive the tool.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from mysql.connector import errors as mysql_errors

from collectors.base import SYSTEM_SCHEMAS, Collector, Context, Degraded, Requirement, Skip
from collectors.connection import as_text
from collectors.numbers import as_int
from collectors.redact import REDACTED, has_url_password
from collectors.replication import BINLOG_DUMP_COMMANDS, PROCESS

TOP_DIGESTS = 50
PICOSECONDS = 1e12
# one row per session and attribute name; beyond this the counts are cut (and say so)
CONNECT_ATTR_ROWS = 30000
MAX_VALUE_CHARS = 100
MAX_DISTINCT_VALUES = 100
OTHER = "(other)"
NOT_SET = "(not set)"
MIGRATION_ROWS = 2000
COLUMN_CHECK_SCHEMAS = 50  # information_schema.COLUMNS is read for at most this many schemas

PERFORMANCE_SCHEMA_SELECT = Requirement(
    "SELECT", on="performance_schema.*", why="statement digests and connection attributes"
)

# -------------------------------------------------------------------------------------------- helpers


def performance_schema_state(ctx: Context) -> str | None:
    """None when performance_schema is ON, else why it cannot be read."""
    variables: Mapping[str, str] = ctx.facts.get("variables", {})
    value = variables.get("performance_schema")
    if value is None:
        try:
            value = str(ctx.session.scalar("SELECT @@GLOBAL.performance_schema"))
        except mysql_errors.Error as exc:
            return f"performance_schema unavailable (errno {exc.errno})"
    if str(value).upper() in ("ON", "1", "YES", "TRUE"):
        return None
    return "performance_schema is OFF"


def _workload(ctx: Context) -> dict[str, Any]:
    workload: dict[str, Any] = ctx.facts.setdefault("workload", {})
    return workload



def _time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    return as_text(value)


def _seconds(picoseconds: Any) -> float:
    return round(as_int(picoseconds, 0) / PICOSECONDS, 6)


def host_only(host: str) -> str:
    """'10.0.0.5:51234' -> '10.0.0.5'; '[::1]:3306' -> '[::1]'; a bare IPv6 address is kept."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def _clean_value(value: Any) -> str:
    """A free-text attribute value, fit for the facts: bounded, and never a URL password."""
    text = " ".join(as_text(value).split())
    if has_url_password(text):
        return REDACTED
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _bounded(counts: Counter[str]) -> dict[str, int]:
    """Counts sorted by count then name; beyond MAX_DISTINCT_VALUES the rest go under (other)."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    out = dict(ordered[:MAX_DISTINCT_VALUES])
    rest = sum(n for _name, n in ordered[MAX_DISTINCT_VALUES:])
    if rest:
        out[OTHER] = out.get(OTHER, 0) + rest
    return out


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


# -------------------------------------------------------------------------------------------- digests

_IDENT = r"`(?:[^`]|``)*`"
_TOKEN = re.compile(
    r"(?P<ident>" + _IDENT + r")"
    r"|(?P<comment>/\*.*?(?:\*/|\Z)|--[ \t][^\n]*|\#[^\n]*)"
    r"|(?P<string>(?:_[A-Za-z0-9]+\s*|(?<![\w$])[xXbBnN])?'(?:[^'\\]|\\.|'')*(?:'|\Z)"
    r"|\"(?:[^\"\\]|\\.|\"\")*(?:\"|\Z))"
    r"|(?P<hex>(?<![\w$])0[xXbB][0-9A-Fa-f]+(?![\w$]))"
    r"|(?P<number>(?<![\w$@])(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w$]))",
    re.DOTALL,
)
_ACCOUNT = re.compile(r"(?:" + _IDENT + r"|\?)\s*@\s*(?:" + _IDENT + r"|\?|[\w.%-]+)")
_DEFINER = re.compile(r"\bDEFINER\s*=\s*(?:" + _IDENT + r"|\?|[\w.%-]+)(?:\s*@\s*(?:" + _IDENT + r"|\?|[\w.%-]+))?",
                      re.IGNORECASE)
# statements whose text names accounts or carries credentials: only their verb is kept
_WITHHELD = re.compile(
    r"^\s*(?P<verb>(?:CREATE|ALTER|DROP|RENAME)\s+(?:USER|ROLE|SYSTEM_USER|SERVER)"
    r"|GRANT|REVOKE|SET\s+(?:PASSWORD|DEFAULT\s+ROLE|ROLE)|SHOW\s+GRANTS|SHOW\s+CREATE\s+USER"
    r"|CHANGE\s+(?:MASTER|REPLICATION\s+SOURCE))\b",
    re.IGNORECASE,
)


def scrub_digest_text(text: str) -> str:
    """DIGEST_TEXT with anything that still looks like a literal or an account name replaced by ``?``.

    performance_schema already replaces literals, but the text can be cut in the middle of a
    string (performance_schema_max_digest_length) and account names are identifiers, not literals.
    Backquoted identifiers are kept (``t1``, ``2024_orders``).
    """
    withheld = _WITHHELD.match(text)
    if withheld:
        verb = " ".join(withheld.group("verb").upper().split())
        return f"{verb} … (text withheld: it can name accounts)"

    def replace(match: re.Match[str]) -> str:
        kind = match.lastgroup
        if kind == "ident":
            return match.group(0)
        if kind == "comment":
            return " "
        return "?"

    scrubbed = _TOKEN.sub(replace, text)
    scrubbed = _DEFINER.sub("DEFINER = ?@?", scrubbed)
    scrubbed = _ACCOUNT.sub("?@?", scrubbed)
    return " ".join(scrubbed.split())


_DIGEST_COLUMNS = ("SCHEMA_NAME, DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, AVG_TIMER_WAIT, MAX_TIMER_WAIT,"
                   " SUM_ROWS_EXAMINED, SUM_ROWS_SENT, FIRST_SEEN, LAST_SEEN")
# statements PlanetScale does not support (its MySQL-compatibility page) or limits (its system-limits page: a
# query over 900 s, a transaction over 20 s -- a statement over 20 s cannot fit in one -- or 100,000 rows a query)
NOTABLE_LIMIT_SECONDS = 20
NOTABLE_ROWS = 100_000
_NOTABLE_CONDITION = (
    "DIGEST IS NOT NULL AND (DIGEST_TEXT LIKE 'LOAD DATA%' OR DIGEST_TEXT LIKE '%:=%'"
    " OR DIGEST_TEXT LIKE '%JSON_TABLE%' OR DIGEST_TEXT LIKE 'CREATE DATABASE%' OR DIGEST_TEXT LIKE 'CREATE SCHEMA%'"
    " OR DIGEST_TEXT LIKE 'DROP DATABASE%' OR DIGEST_TEXT LIKE 'DROP SCHEMA%' OR DIGEST_TEXT LIKE 'KILL%'"
    " OR DIGEST_TEXT LIKE 'CALL%' OR DIGEST_TEXT LIKE 'SET%GLOBAL%time_zone%'"
    " OR DIGEST_TEXT LIKE 'SET%GLOBAL%sql_mode%'"
    f" OR MAX_TIMER_WAIT > {NOTABLE_LIMIT_SECONDS * 10**12}"
    f" OR SUM_ROWS_SENT > {NOTABLE_ROWS} * COUNT_STAR)"
)


def _digest_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    digests = []
    for row in rows:
        if row.get("DIGEST") is None:  # the overflow row, read below
            continue
        raw = as_text(row.get("DIGEST_TEXT"))
        stripped = raw.rstrip()
        digests.append({
            "digest": as_text(row.get("DIGEST")),  # to tell the two reads apart; not kept
            "digest_text": scrub_digest_text(raw),
            "schema": None if row.get("SCHEMA_NAME") is None else as_text(row.get("SCHEMA_NAME")),
            "count": as_int(row.get("COUNT_STAR"), 0),
            "total_seconds": _seconds(row.get("SUM_TIMER_WAIT")),
            "avg_seconds": _seconds(row.get("AVG_TIMER_WAIT")),
            "max_seconds": _seconds(row.get("MAX_TIMER_WAIT")),
            "rows_examined": as_int(row.get("SUM_ROWS_EXAMINED"), 0),
            "rows_sent": as_int(row.get("SUM_ROWS_SENT"), 0),
            "first_seen": _time(row.get("FIRST_SEEN")),
            "last_seen": _time(row.get("LAST_SEEN")),
            # cut at performance_schema_max_digest_length; "(...)" is a collapsed IN list, not a cut
            "truncated": stripped.endswith("...") and not stripped.endswith("(...)"),
        })
    return digests


def collect_digests(ctx: Context) -> None:
    workload = _workload(ctx)
    off = performance_schema_state(ctx)
    if off:
        workload["digests_status"] = off
        raise Skip(off)
    variables: Mapping[str, str] = ctx.facts.get("variables", {})
    size = variables.get("performance_schema_digests_size")
    if size is not None and as_int(size, 0) == 0:
        workload["digests"] = []
        workload["digests_status"] = "performance_schema_digests_size is 0: statement digests are disabled"
        raise Skip(workload["digests_status"])
    chosen = list(ctx.options.get("databases") or ())
    # --databases narrows the submission to those schemas: the digests too
    where = f" WHERE SCHEMA_NAME IN ({', '.join(['%s'] * len(chosen))})" if chosen else ""
    result = ctx.query(
        f"SELECT {_DIGEST_COLUMNS} FROM performance_schema.events_statements_summary_by_digest"
        f"{where} ORDER BY SUM_TIMER_WAIT DESC LIMIT {TOP_DIGESTS}",
        tuple(chosen) or None,
    )
    digests = _digest_rows(result.dicts())
    workload["digests"] = digests
    # beyond the top: the statements PlanetScale rejects or limits, however rarely they run
    seen = {d["digest"] for d in digests}
    notable_where = ("" if not chosen else where[len(" WHERE "):] + " AND ") + _NOTABLE_CONDITION
    try:
        notable = ctx.query(
            f"SELECT {_DIGEST_COLUMNS} FROM performance_schema.events_statements_summary_by_digest"
            f" WHERE {notable_where} ORDER BY SUM_TIMER_WAIT DESC LIMIT {TOP_DIGESTS}",
            tuple(chosen) or None,
        )
    except mysql_errors.Error as exc:
        ctx.notes.append(f"statements PlanetScale limits not looked up beyond the top {TOP_DIGESTS}"
                         f" (errno {exc.errno})")
    else:
        workload["notable_digests"] = [d for d in _digest_rows(notable.dicts()) if d["digest"] not in seen]
        for entry in workload["notable_digests"]:
            del entry["digest"]
    for entry in digests:
        del entry["digest"]
    # the rows in use (what this run's own statements may take of the free ones: see the report's Collection) and
    # the overflow row, where statements go once every row is taken
    overflow = ctx.query(
        "SELECT COUNT(*), SUM(CASE WHEN DIGEST IS NULL THEN COUNT_STAR END),"
        " MAX(CASE WHEN DIGEST IS NULL THEN FIRST_SEEN END)"
        " FROM performance_schema.events_statements_summary_by_digest"
    )
    in_use, lost, first_lost = overflow.rows[0] if overflow.rows else (None, None, None)
    workload["digest_rows"] = as_int(in_use)
    workload["digests_overflow"] = None
    if as_int(lost, 0) > 0:
        count = as_int(lost, 0)
        since = _time(first_lost)
        workload["digests_overflow"] = {"count": count, "since": since}
        limit = f" (performance_schema_digests_size = {size})" if size is not None else ""
        workload["digests_status"] = (
            f"digest table full{limit}: {count} statement executions since {since} were not summarised"
            " by digest, so the top statements may miss some"
        )
        ctx.notes.append(workload["digests_status"])
        return
    if not digests:
        consumer = ctx.query(
            "SELECT ENABLED FROM performance_schema.setup_consumers WHERE NAME = 'statements_digest'"
        )
        if consumer.rows and as_text(consumer.rows[0][0]).upper() != "YES":
            workload["digests_status"] = (
                "the statements_digest consumer is disabled (performance_schema.setup_consumers)")
        else:
            workload["digests_status"] = "no statements summarised yet (the digest table is empty)"
        ctx.notes.append(workload["digests_status"])
        return
    workload["digests_status"] = "ok"


# -------------------------------------------------------------------------------------------- clients

CLIENT_ATTRS = ("program_name", "_client_name", "_client_version")


def _major(version: str) -> str:
    match = re.search(r"\d+", version)
    return match.group(0) if match else "?"


def collect_clients(ctx: Context) -> None:
    workload = _workload(ctx)
    off = performance_schema_state(ctx)
    if off:
        raise Skip(off)
    result = ctx.query(
        "SELECT PROCESSLIST_ID, ATTR_NAME, ATTR_VALUE FROM performance_schema.session_connect_attrs"
        f" WHERE ATTR_NAME IN ({_placeholders(CLIENT_ATTRS)}) AND PROCESSLIST_ID <> CONNECTION_ID()"
        f" LIMIT {CONNECT_ATTR_ROWS}",
        CLIENT_ATTRS,
    )
    sessions: dict[int, dict[str, str]] = defaultdict(dict)
    for pid, name, value in result.rows:
        sessions[as_int(pid, 0)][as_text(name)] = as_text(value)
    programs: Counter[str] = Counter()
    drivers: Counter[str] = Counter()
    versions: dict[str, Counter[str]] = defaultdict(Counter)
    for attrs in sessions.values():
        programs[_clean_value(attrs["program_name"]) if attrs.get("program_name") else NOT_SET] += 1
        driver = _clean_value(attrs["_client_name"]) if attrs.get("_client_name") else NOT_SET
        drivers[driver] += 1
        if attrs.get("_client_version"):
            versions[driver][_major(attrs["_client_version"])] += 1
    bounded_drivers = _bounded(drivers)
    workload["clients"] = {
        "sessions": len(sessions),
        "programs": _bounded(programs),
        "drivers": bounded_drivers,
        "driver_versions": {d: _bounded(v) for d, v in sorted(versions.items()) if d in bounded_drivers},
    }
    if len(result.rows) >= CONNECT_ATTR_ROWS:
        ctx.notes.append(f"connection attributes cut at {CONNECT_ATTR_ROWS} rows")


# -------------------------------------------------------------------------------------------- migration tables

# lower-case table name -> tool; None: decided from the columns (see _tool_from_columns)
MIGRATION_TABLE_NAMES: dict[str, str | None] = {
    "schema_migrations": None,
    "ar_internal_metadata": "rails",
    "flyway_schema_history": "flyway",
    "schema_version": None,  # Flyway before 5.0, when it has installed_rank
    "databasechangelog": "liquibase",
    "databasechangeloglock": "liquibase",
    "alembic_version": "alembic",
    "django_migrations": "django",
    "knex_migrations": "knex",
    "knex_migrations_lock": "knex",
    "doctrine_migration_versions": "doctrine",
    "migration_versions": "doctrine",
    "migrations": None,  # Laravel (id, migration, batch) or TypeORM (id, timestamp, name)
    "migration": None,  # Yii (version, apply_time)
    "_prisma_migrations": "prisma",
    "__efmigrationshistory": "entity-framework",
    "goose_db_version": "goose",
    "gorp_migrations": "sql-migrate",
    "sequelizemeta": "sequelize",
    "phinxlog": "phinx",
    "mikro_orm_migrations": "mikro-orm",
    "typeorm_metadata": "typeorm",
    "__diesel_schema_migrations": "diesel",
    "_sqlx_migrations": "sqlx",
    "__drizzle_migrations": "drizzle",
    "atlas_schema_revisions": "atlas",
    "migrate_version": "sqlalchemy-migrate",
    "play_evolutions": "play-evolutions",
}

# leftovers of online schema change tools: (regex on the name, tool); group "base" is the original table
_OSC_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^_(?P<base>.+)_(?:gho|ghc|del)$"), "gh-ost"),
    (re.compile(r"^_(?P<base>.+)_chkpnt$"), "spirit"),
    (re.compile(r"^_(?P<base>.+)_(?:new|old)$"), "pt-online-schema-change"),
    (re.compile(r"^_vt_.+$", re.IGNORECASE), "vitess"),
    (re.compile(r"^_.+_vrepl$"), "vitess"),
    (re.compile(r"^__osc_(?:new|old|chg)_(?P<base>.+)$"), "fb-osc"),
    (re.compile(r"^lhm[an]_(?P<base>.+)$"), "lhm"),
)
_OSC_CONDITION = (
    "(LEFT(TABLE_NAME, 1) = '_' AND (RIGHT(TABLE_NAME, 4) IN ('_gho', '_ghc', '_del', '_new', '_old')"
    " OR RIGHT(TABLE_NAME, 7) = '_chkpnt' OR RIGHT(TABLE_NAME, 6) = '_vrepl' OR LEFT(TABLE_NAME, 4) = '_vt_'"
    " OR LEFT(TABLE_NAME, 6) = '__osc_'))"
    " OR LEFT(TABLE_NAME, 5) IN ('lhma_', 'lhmn_')"
)


def _tool_from_columns(name: str, columns: set[str] | None, schema_tables: set[str]) -> str | None:
    """The tool behind an ambiguous table name; None when it is not a migration table."""
    if name == "schema_migrations":
        generic = "schema_migrations (Rails, golang-migrate, dbmate…)"
        if columns is None:
            return generic
        if "dirty" in columns:
            return "golang-migrate"
        if "inserted_at" in columns:
            return "ecto"
        if "filename" in columns:
            return "sequel"
        if columns == {"version"}:
            return "rails" if "ar_internal_metadata" in schema_tables else "rails or dbmate"
        return generic
    if columns is None:
        return None
    if name == "migrations":
        if {"id", "migration", "batch"} <= columns:
            return "laravel"
        if {"id", "timestamp", "name"} <= columns:
            return "typeorm"
        return None
    if name == "migration":
        return "yii" if {"version", "apply_time"} <= columns else None
    if name == "schema_version":
        return "flyway" if {"installed_rank", "version", "checksum"} <= columns else None
    return None


def _schema_filter(ctx: Context) -> tuple[str, tuple[str, ...]]:
    chosen = ctx.options.get("databases")
    if chosen:
        names = tuple(str(d) for d in chosen)
        return f"TABLE_SCHEMA IN ({_placeholders(names)})", names
    return f"TABLE_SCHEMA NOT IN ({_placeholders(SYSTEM_SCHEMAS)})", SYSTEM_SCHEMAS


def collect_migration_tables(ctx: Context) -> None:
    workload = _workload(ctx)
    where, params = _schema_filter(ctx)
    names = tuple(MIGRATION_TABLE_NAMES)
    # only the name columns: information_schema opens no table to answer
    result = ctx.query(
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
        f" WHERE {where} AND (LOWER(TABLE_NAME) IN ({_placeholders(names)}) OR {_OSC_CONDITION})"
        f" ORDER BY TABLE_SCHEMA, TABLE_NAME LIMIT {MIGRATION_ROWS}",
        (*params, *names),
    )
    found = [(as_text(s), as_text(t)) for s, t in result.rows]
    if len(found) >= MIGRATION_ROWS:
        ctx.notes.append(f"migration tables cut at {MIGRATION_ROWS}")
    by_schema: dict[str, set[str]] = defaultdict(set)
    for schema, table in found:
        by_schema[schema].add(table.lower())

    ambiguous = [(s, t) for s, t in found if t.lower() in MIGRATION_TABLE_NAMES and
                 MIGRATION_TABLE_NAMES[t.lower()] is None]
    columns = _columns_of(ctx, ambiguous)
    pt_osc = _pt_osc_trigger_tables(ctx, [(s, t) for s, t in found if re.match(r"^_.+_(?:new|old)$", t)])

    out = []
    for schema, table in found:
        low = table.lower()
        tool: str | None
        if low in MIGRATION_TABLE_NAMES:
            tool = MIGRATION_TABLE_NAMES[low] or _tool_from_columns(
                low, columns.get((schema, table)), by_schema[schema])
        else:
            tool = _osc_tool(schema, table, by_schema[schema], pt_osc)
        if tool:
            out.append({"table": f"{schema}.{table}", "tool": tool})
    workload["migration_tables"] = sorted(out, key=lambda e: (e["table"], e["tool"]))


def _osc_tool(schema: str, table: str, schema_tables: set[str], pt_osc: set[tuple[str, str]]) -> str | None:
    for pattern, tool in _OSC_PATTERNS:
        match = pattern.match(table)
        if not match:
            continue
        if tool == "pt-online-schema-change":
            base = match.group("base")
            if f"_{base}_chkpnt".lower() in schema_tables:
                return "spirit"
            if (schema, base) in pt_osc:
                return tool
            return f"{tool} (by name; no pt_osc triggers)"
        return tool
    return None


def _columns_of(ctx: Context, tables: Sequence[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """Column names (lower case) of the given tables, one statement per schema, bounded."""
    per_schema: dict[str, list[str]] = defaultdict(list)
    for schema, table in tables:
        per_schema[schema].append(table)
    out: dict[tuple[str, str], set[str]] = {}
    for index, (schema, names) in enumerate(sorted(per_schema.items())):
        if index >= COLUMN_CHECK_SCHEMAS or ctx.time_left() < 1:
            ctx.notes.append(f"columns of migration tables checked in {index} of {len(per_schema)} schemas")
            break
        try:
            result = ctx.query(
                "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
                f" WHERE TABLE_SCHEMA = %s AND TABLE_NAME IN ({_placeholders(names)})",
                (schema, *names),
            )
        except mysql_errors.Error as exc:
            ctx.notes.append(f"columns of migration tables not read (errno {exc.errno})")
            break
        for table, column in result.rows:
            out.setdefault((schema, as_text(table)), set()).add(as_text(column).lower())
    return out


def _pt_osc_trigger_tables(ctx: Context, tables: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """(schema, table) pairs that carry pt-online-schema-change's triggers (pt_osc_*)."""
    schemas = sorted({s for s, _t in tables})
    if not schemas:
        return set()
    try:
        result = ctx.query(
            "SELECT TRIGGER_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS"
            f" WHERE TRIGGER_SCHEMA IN ({_placeholders(schemas)}) AND LEFT(TRIGGER_NAME, 7) = 'pt_osc_'",
            tuple(schemas),
        )
    except mysql_errors.Error as exc:
        ctx.notes.append(f"pt-online-schema-change triggers not read (errno {exc.errno})")
        return set()
    return {(as_text(s), as_text(t)) for s, t in result.rows}


# -------------------------------------------------------------------------------------------- binlog clients

# (tool, pattern on the lower-cased user name, program_name or _client_name); first match wins
CDC_TOOLS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (tool, re.compile(pattern)) for tool, pattern in (
        ("debezium", r"debezium|(?<![a-z0-9])dbz(?![a-z])"),
        ("maxwell", r"maxwell"),
        ("canal", r"canal"),
        ("fivetran", r"fivetran"),
        ("airbyte", r"airbyte"),
        ("stitch", r"stitch"),
        ("aws-dms", r"(?<![a-z0-9])dms(?![a-z0-9])|aws[-_]?dms"),
        ("striim", r"striim"),
        ("qlik-replicate", r"qlik|attunity"),
        ("hevo", r"hevo"),
        ("gh-ost", r"gh-?ost"),
        ("planetscale", r"planetscale|pscale"),
        ("vitess-vreplication", r"vreplication|vt_filtered"),
        ("goldengate", r"goldengate|ggadmin|(?<![a-z0-9])ogg(?![a-z0-9])"),
        ("tungsten", r"tungsten"),
        ("flink-cdc", r"flink"),
        ("google-datastream", r"datastream"),
        ("estuary", r"estuary"),
        ("streamsets", r"streamsets"),
        ("arcion", r"arcion"),
        ("rivery", r"rivery"),
        ("matillion", r"matillion"),
        ("meltano", r"meltano"),
        ("ticdc", r"ticdc|tidb|(?<![a-z0-9])dm[-_]worker"),
        ("kafka-connect", r"kafka"),
        ("spirit", r"(?<![a-z0-9])spirit(?![a-z0-9])"),
    )
)
_REPLICA_USER = re.compile(r"repl|slave|(?<![a-z0-9])rpl(?![a-z0-9])")
_REPLICA_PROGRAMS = ("mysqld", "mariadbd")
_BINLOG_TOOLS = ("mysqlbinlog", "mariadb-binlog")
BINLOG_ATTRS = ("program_name", "_client_name", "_client_role")


def cdc_tool(*names: str) -> str | None:
    for name in names:
        low = name.lower()
        for tool, pattern in CDC_TOOLS:
            if pattern.search(low):
                return tool
    return None


def classify_binlog_client(user: str, host: str, attrs: Mapping[str, str],
                           replica_hosts: Iterable[str]) -> tuple[str, str | None]:
    """(kind, tool): "cdc" by a known tool's name, "replica" by program, host or user, else "unknown"."""
    program = attrs.get("program_name", "")
    tool = cdc_tool(user, program, attrs.get("_client_name", ""))
    if tool:
        return "cdc", tool
    if program.startswith(_BINLOG_TOOLS):  # a binlog stream, e.g. a binlog backup
        return "unknown", "mysqlbinlog"
    if program in _REPLICA_PROGRAMS or attrs.get("_client_role") == "binary_log_listener":
        return "replica", None
    if host and host in set(replica_hosts):
        return "replica", None
    if _REPLICA_USER.search(user.lower()):
        return "replica", None
    return "unknown", None


def _open_transactions(ctx: Context, notes: list[str]) -> dict[str, Any] | None:
    """How many InnoDB transactions are open and how long the oldest has run (PlanetScale ends one at 20 s)."""
    try:
        rows = ctx.query("SELECT COUNT(*), MIN(trx_started), NOW() FROM information_schema.INNODB_TRX").rows
    except mysql_errors.Error as exc:
        notes.append(f"open transactions not read (errno {exc.errno})")
        return None
    count, started, now = rows[0] if rows else (0, None, None)
    oldest = None
    try:
        if started is not None and now is not None:
            begun, current = (v if isinstance(v, datetime) else datetime.fromisoformat(as_text(v))
                              for v in (started, now))
            oldest = max(int((current - begun).total_seconds()), 0)
    except ValueError:
        notes.append(f"open transactions: could not read a start time from {as_text(started)!r}")
    return {"open": as_int(count, 0), "oldest_seconds": oldest}


def collect_binlog_clients(ctx: Context) -> None:
    workload = _workload(ctx)
    result = ctx.query(
        "SELECT ID, HOST, USER FROM information_schema.PROCESSLIST"
        f" WHERE COMMAND IN ({_placeholders(BINLOG_DUMP_COMMANDS)})",
        BINLOG_DUMP_COMMANDS,
    )
    threads = [(as_int(i, 0), host_only(as_text(h)), as_text(u)) for i, h, u in result.rows]
    attrs: dict[int, dict[str, str]] = defaultdict(dict)
    notes = []
    if threads and performance_schema_state(ctx) is None:
        ids = tuple(i for i, _h, _u in threads)
        try:
            rows = ctx.query(
                "SELECT PROCESSLIST_ID, ATTR_NAME, ATTR_VALUE FROM performance_schema.session_connect_attrs"
                f" WHERE PROCESSLIST_ID IN ({_placeholders(ids)})"
                f" AND ATTR_NAME IN ({_placeholders(BINLOG_ATTRS)})",
                (*ids, *BINLOG_ATTRS),
            ).rows
        except mysql_errors.Error as exc:
            rows = []
            notes.append(f"connection attributes of binlog readers not read (errno {exc.errno})")
        for pid, name, value in rows:
            attrs[as_int(pid, 0)][as_text(name)] = as_text(value)
    replicas = ctx.facts.get("replication", {}).get("replicas") or []
    replica_hosts = [str(r.get("host") or "") for r in replicas if r.get("host")]
    counts: Counter[tuple[str, str | None, str]] = Counter()
    for pid, host, user in threads:
        kind, tool = classify_binlog_client(user, host, attrs.get(pid, {}), replica_hosts)
        counts[(kind, tool, host)] += 1  # the user name stops here: only the derived tool goes on
    transactions = _open_transactions(ctx, notes)
    if transactions is not None:
        workload["transactions"] = transactions
    workload["binlog_clients"] = [
        {"kind": kind, "tool": tool, "host": host, "count": n}
        for (kind, tool, host), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][2],
                                                                               kv[0][1] or ""))
    ]
    if notes:
        raise Degraded("; ".join(notes))


# -------------------------------------------------------------------------------------------- collectors

DIGESTS = Collector(
    name="statement_digests",
    title="Top statements (performance_schema digests)",
    reads=(
        "performance_schema.events_statements_summary_by_digest: DIGEST_TEXT (literals as ?), counts, times,"
        f" rows; top {TOP_DIGESTS} by total time",
        f"the same table again: up to {TOP_DIGESTS} more statements PlanetScale does not support (LOAD DATA, :=,"
        " JSON_TABLE, CREATE/DROP DATABASE, KILL, CALL, SET GLOBAL time_zone/sql_mode) or that exceed its limits"
        " (over 20 s, over 100,000 rows)",
        "performance_schema.setup_consumers (only when no digest is found)",
    ),
    writes=("workload.digests", "workload.notable_digests", "workload.digests_status", "workload.digests_overflow"),
    collect=collect_digests,
    requires=(PERFORMANCE_SCHEMA_SELECT,),
    expected_seconds=0.1,
)

CLIENTS = Collector(
    name="clients",
    title="Client programs and drivers (connection attributes)",
    reads=("performance_schema.session_connect_attrs: program_name, _client_name, _client_version only",),
    writes=("workload.clients",),
    collect=collect_clients,
    requires=(PERFORMANCE_SCHEMA_SELECT,),
    expected_seconds=0.05,
)

MIGRATION_TABLES = Collector(
    name="migration_tables",
    title="Schema migration tools' tables",
    reads=(
        "information_schema.TABLES: TABLE_SCHEMA, TABLE_NAME of well-known migration and online-DDL tables",
        "information_schema.COLUMNS of ambiguous ones (schema_migrations, migrations)",
        "information_schema.TRIGGERS named pt_osc_* (only when _*_new/_*_old tables exist)",
    ),
    writes=("workload.migration_tables",),
    collect=collect_migration_tables,
    expected_seconds=0.1,
)

BINLOG_CLIENTS = Collector(
    name="binlog_clients",
    title="Binlog readers (replicas and CDC tools)",
    reads=(
        "information_schema.PROCESSLIST: ID, HOST, USER of Binlog Dump threads",
        "performance_schema.session_connect_attrs of those threads: program_name, _client_name, _client_role",
        "information_schema.INNODB_TRX: how many transactions are open and the oldest one's age",
    ),
    writes=("workload.binlog_clients", "workload.transactions"),
    collect=collect_binlog_clients,
    requires=(PROCESS,),
    improves_with=(PERFORMANCE_SCHEMA_SELECT,),
    expected_seconds=0.05,
)

WORKLOAD_COLLECTORS: tuple[Collector, ...] = (DIGESTS, CLIENTS, MIGRATION_TABLES, BINLOG_CLIENTS)
