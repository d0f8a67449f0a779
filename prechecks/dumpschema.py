"""The DDL of a ``mysqldump`` sample read into the typed inventory the live collectors fill.

A careful scanner of our own, not a general SQL parser: mysqldump (and our SHOW CREATE dump) writes a small,
regular subset of MySQL — CREATE DATABASE / USE / CREATE TABLE / VIEW / PROCEDURE / FUNCTION / TRIGGER / EVENT /
SEQUENCE, versioned comments (``/*!50001 ... */``, MariaDB's ``/*M!... */``) and DELIMITER changes around
routine bodies. sqlglot was the alternative; it does not know MariaDB's inline JSON CHECKs, versioned comments
or DELIMITER, so the statement boundaries and the column clauses would have needed this code anyway.

What it fills is what collectors/inventory.py and collectors/schema.py write, for the user schemas only (never
mysql, sys, information_schema, performance_schema): ``objects``, ``object_visibility``, ``schema_types``,
``inventory``, and per table the keys ``tables[]`` carries (engine, charset, columns, primary/unique key,
partitioning), counted the way information_schema counts them (a MEMORY table's keys are HASH; a view's
placeholder table is no table; MariaDB's JSON is LONGTEXT with CHECK (json_valid(col))).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from collectors.inventory import MARIADB_ONLY_TYPES, duplicate_enum_values
from collectors.schema import SPATIAL_TYPES, SYSTEM_SCHEMAS, is_compressed

__all__ = ["DumpSchema", "parse_dump", "statements"]

_IDENT = r"(?:`(?:[^`]|``)*`|[A-Za-z0-9_$\u0080-\uffff]+)"
_QUALIFIED = rf"(?P<first>{_IDENT})(?:\s*\.\s*(?P<second>{_IDENT}))?"
_STRING = r"(?:'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\")"
_DEFINER = rf"DEFINER\s*=\s*(?:CURRENT_USER(?:\s*\(\s*\))?|(?:{_IDENT}|{_STRING})(?:\s*@\s*(?:{_IDENT}|{_STRING}))?)"
_PREFIX = rf"(?:OR\s+REPLACE\s+|ALGORITHM\s*=\s*\w+\s+|{_DEFINER}\s+|SQL\s+SECURITY\s+\w+\s+|AGGREGATE\s+)*"

_USE_RE = re.compile(rf"^USE\s+(?P<name>{_IDENT})\s*$", re.I | re.S)
_DATABASE_RE = re.compile(rf"^CREATE\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_IDENT})(?P<rest>.*)$",
                          re.I | re.S)
_TABLE_RE = re.compile(rf"^CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_QUALIFIED}\s*\(",
                       re.I | re.S)
_OBJECT_RE = re.compile(rf"^CREATE\s+{_PREFIX}(?P<kind>VIEW|PROCEDURE|FUNCTION|TRIGGER|EVENT|SEQUENCE)\s+"
                        rf"(?:IF\s+NOT\s+EXISTS\s+)?{_QUALIFIED}(?P<rest>.*)$", re.I | re.S)
_TRIGGER_TABLE_RE = re.compile(rf"^\s*(?:BEFORE|AFTER)\s+(?:INSERT|UPDATE|DELETE)\s+ON\s+{_QUALIFIED}", re.I | re.S)
_CHARSET_RE = re.compile(r"\b(?:CHARACTER\s+SET|CHARSET)\s*=?\s*(\w+)", re.I)
_COLLATE_RE = re.compile(r"\bCOLLATE\s*=?\s*(\w+)", re.I)
_ENGINE_RE = re.compile(r"\bENGINE\s*=\s*(\w+)", re.I)
_ROW_FORMAT_RE = re.compile(r"\bROW_FORMAT\s*=\s*(\w+)", re.I)
_PARTITION_RE = re.compile(r"\bPARTITION\s+BY\s+(LINEAR\s+HASH|LINEAR\s+KEY|RANGE\s+COLUMNS|LIST\s+COLUMNS|RANGE|LIST|"
                           r"HASH|KEY|SYSTEM_TIME)\b", re.I)
_SUBPARTITION_RE = re.compile(r"\bSUBPARTITION\s+BY\s+(LINEAR\s+HASH|LINEAR\s+KEY|HASH|KEY)\b", re.I)
_TYPE_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)(\s+(?:precision|varying))?", re.I)
_INDEX_RE = re.compile(rf"^(?P<kind>PRIMARY\s+KEY|(?:UNIQUE|FULLTEXT|SPATIAL)(?:\s+(?:KEY|INDEX))?|KEY|INDEX)"
                       rf"(?:\s+(?!USING\b)(?P<name>{_IDENT}))?\s*(?P<rest>.*)$", re.I | re.S)
_FOREIGN_RE = re.compile(rf"^(?:CONSTRAINT(?:\s+(?P<name>{_IDENT}))?\s+)?FOREIGN\s+KEY\s*(?:{_IDENT}\s*)?"
                         rf"\((?P<columns>[^)]*)\)\s*REFERENCES\s+{_QUALIFIED}\s*\((?P<referenced>[^)]*)\)(?P<rest>.*)$",
                         re.I | re.S)
_CHECK_RE = re.compile(rf"^(?:CONSTRAINT(?:\s+(?P<name>{_IDENT}))?\s+)?CHECK\s*\((?P<clause>.*)\)\s*(?:NOT\s+)?"
                       r"(?:ENFORCED)?\s*$", re.I | re.S)
_ON_RE = re.compile(r"\bON\s+(DELETE|UPDATE)\s+(CASCADE|SET\s+NULL|SET\s+DEFAULT|NO\s+ACTION|RESTRICT)", re.I)
_GENERATED_RE = re.compile(r"\b(?:GENERATED\s+ALWAYS\s+)?AS\s*\(", re.I)
_STORED_RE = re.compile(r"\b(STORED|PERSISTENT|VIRTUAL)\b", re.I)
_NOT_NULL_RE = re.compile(r"\bNOT\s+NULL\b", re.I)
_INLINE_KEY_RE = re.compile(r"\b(PRIMARY\s+KEY|UNIQUE(?:\s+KEY)?)\b", re.I)
_INLINE_CHECK_RE = re.compile(r"\bCHECK\s*\(", re.I)
_USING_RE = re.compile(r"\bUSING\s+(BTREE|HASH|RTREE)\b", re.I)
_DEFAULT_COLLATIONS = {"latin1": "latin1_swedish_ci", "utf8mb4": "utf8mb4_general_ci", "utf8mb3": "utf8mb3_general_ci",
                       "utf8": "utf8_general_ci", "ascii": "ascii_general_ci", "binary": "binary"}
_TEXT_TYPES = frozenset({"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"})


def unquote(name: str) -> str:
    name = name.strip()
    if name.startswith("`") and name.endswith("`") and len(name) >= 2:
        return name[1:-1].replace("``", "`")
    return name


# ---------------------------------------------------------------------------------------------- statements


def statements(text: str) -> Iterator[str]:
    """The statements of a dump, comments removed and versioned comments opened (their text is SQL the server
    ran), split at the current DELIMITER; quotes and backquotes respected."""
    delimiter = ";"
    buf: list[str] = []
    content = False  # the statement being read has more than blanks (DELIMITER counts only before it starts)
    i, n = 0, len(text)
    versioned = 0

    def special_re(delimiter: str) -> re.Pattern[str]:  # the next character that may matter
        return re.compile("[\n'\"`#/*-]|" + re.escape(delimiter[0]))

    special = special_re(delimiter)
    while i < n:
        if not content and (i == 0 or text[i - 1] == "\n"):
            match = re.match(r"[ \t]*DELIMITER[ \t]+(\S+)[^\n]*", text[i:i + 200], re.I)
            if match:
                delimiter = match.group(1)
                special = special_re(delimiter)
                buf = []
                i += match.end()
                continue
        found = special.search(text, i)
        j = n if found is None else found.start()
        if j > i:  # ordinary text up to the next character that may matter
            chunk = text[i:j]
            content = content or bool(chunk.strip())
            buf.append(chunk)
            i = j
            continue
        c = text[i]
        if c in "'\"`":
            j = i + 1
            while j < n:
                if text[j] == "\\" and c != "`":
                    j += 2
                    continue
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            buf.append(text[i:j + 1])
            content = True
            i = j + 1
            continue
        if c == "-" and text.startswith("--", i) and (i + 2 >= n or text[i + 2] in " \t\r\n"):
            stop = text.find("\n", i)
            i = n if stop < 0 else stop
            continue
        if c == "#":
            stop = text.find("\n", i)
            i = n if stop < 0 else stop
            continue
        if c == "/" and text.startswith("/*", i):
            rest = text[i + 2:i + 4]
            if rest.startswith("!") or rest == "M!":
                j = i + 2 + (2 if rest == "M!" else 1)
                while j < n and text[j].isdigit():
                    j += 1
                versioned += 1
                buf.append(" ")
                i = j
                continue
            stop = text.find("*/", i + 2)
            i = n if stop < 0 else stop + 2
            buf.append(" ")
            continue
        if versioned and c == "*" and text.startswith("*/", i):
            versioned -= 1
            buf.append(" ")
            i += 2
            continue
        if text.startswith(delimiter, i):
            statement = "".join(buf).strip()
            if statement:
                yield statement
            buf = []
            content = False
            i += len(delimiter)
            continue
        buf.append(c)
        content = content or not c.isspace()
        i += 1
    statement = "".join(buf).strip()
    if statement:
        yield statement


def _mask(text: str) -> str:
    """The text with every quoted string and identifier blanked (same length): keywords are searched here, values
    read from the original at the same positions."""
    return re.sub(rf"{_STRING}|`(?:[^`]|``)*`", lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2)
                  + m.group(0)[-1], text)


def _closing(text: str, start: int) -> int:
    """The index of the parenthesis closing the one at ``start`` (in masked text), or -1."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _split_top(text: str) -> list[str]:
    """``text`` split at the commas outside parentheses and quotes."""
    masked = _mask(text)
    parts, depth, start = [], 0, 0
    for index, char in enumerate(masked):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


# ---------------------------------------------------------------------------------------------- the model


@dataclass
class Table:
    schema: str
    name: str
    engine: str | None = None
    charset: str | None = None
    collation: str | None = None
    row_format: str = ""
    options: str = ""
    columns: list[dict[str, Any]] = field(default_factory=list)
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (constraint, clause)
    partition_method: str | None = None
    subpartition_method: str | None = None
    versioned: bool = False


@dataclass
class DumpSchema:
    """Every user object of the dump, per schema, in dump order."""

    schema_charsets: dict[str, str | None] = field(default_factory=dict)  # schema -> default charset
    tables: dict[tuple[str, str], Table] = field(default_factory=dict)
    views: dict[tuple[str, str], None] = field(default_factory=dict)
    routines: dict[tuple[str, str, str], None] = field(default_factory=dict)  # (schema, name, PROCEDURE|FUNCTION)
    triggers: dict[tuple[str, str], str] = field(default_factory=dict)  # (schema, name) -> schema.table
    events: dict[tuple[str, str], None] = field(default_factory=dict)
    sequences: dict[tuple[str, str], None] = field(default_factory=dict)
    unparsed: list[str] = field(default_factory=list)  # "schema.table: why" for a CREATE TABLE not understood

    def schemas(self) -> list[str]:
        return list(self.schema_charsets)


def _user(schema: str | None) -> bool:
    return schema is not None and schema.lower() not in SYSTEM_SCHEMAS


def parse_dump(text: str) -> DumpSchema:
    dump = DumpSchema()
    current: str | None = None
    for statement in statements(text):
        head = statement[:12].upper()
        if head.startswith("USE"):
            match = _USE_RE.match(statement)
            if match:
                current = unquote(match.group("name"))
                if _user(current):
                    dump.schema_charsets.setdefault(current, None)
            continue
        if not head.startswith("CREATE"):
            continue
        match = _DATABASE_RE.match(statement)
        if match:
            name = unquote(match.group("name"))
            if _user(name):
                charset = _CHARSET_RE.search(_mask(match.group("rest")))
                dump.schema_charsets[name] = charset.group(1).lower() if charset else None
            continue
        match = _TABLE_RE.match(statement)
        if match:
            schema, name = _names(match, current)
            if _user(schema) and schema is not None:
                dump.schema_charsets.setdefault(schema, None)
                try:
                    table = _table(schema, name, statement[match.end() - 1:], dump.schema_charsets.get(schema))
                except ValueError as exc:
                    dump.unparsed.append(f"{schema}.{name}: {exc}")
                    continue
                if (schema, name) not in dump.views:  # a view's placeholder table comes first, then the view
                    dump.tables[(schema, name)] = table
            continue
        match = _OBJECT_RE.match(statement)
        if match is None:
            continue
        schema, name = _names(match, current)
        if not _user(schema) or schema is None:
            continue
        kind = match.group("kind").upper()
        if kind == "VIEW":
            dump.views[(schema, name)] = None
            dump.tables.pop((schema, name), None)
        elif kind in ("PROCEDURE", "FUNCTION"):
            if kind == "FUNCTION" and re.search(r"\bSONAME\b", _mask(match.group("rest")), re.I) and not re.search(
                    r"\bBEGIN\b|\bRETURN\b", _mask(match.group("rest")), re.I):
                continue  # a loadable (UDF) function: not a stored routine
            dump.routines[(schema, name, kind)] = None
        elif kind == "TRIGGER":
            on = _TRIGGER_TABLE_RE.match(match.group("rest"))
            if on is not None:
                table_schema, table_name = _names(on, schema)
                dump.triggers[(schema, name)] = f"{table_schema}.{table_name}"
        elif kind == "EVENT":
            dump.events[(schema, name)] = None
        else:
            dump.sequences[(schema, name)] = None
    return dump


def _names(match: re.Match[str], current: str | None) -> tuple[str | None, str]:
    first, second = match.group("first"), match.group("second")
    if second is not None:
        return unquote(first), unquote(second)
    return current, unquote(first)


def _table(schema: str, name: str, rest: str, schema_charset: str | None) -> Table:
    masked = _mask(rest)
    end = _closing(masked, 0)
    if end < 0:
        raise ValueError("no closing parenthesis (the dump is cut short?)")
    body, options = rest[1:end], rest[end + 1:]
    masked_options = masked[end + 1:]
    table = Table(schema, name)
    engine = _ENGINE_RE.search(masked_options)
    table.engine = engine.group(1) if engine else None
    charset = _CHARSET_RE.search(masked_options)
    collation = _COLLATE_RE.search(masked_options)
    table.charset = (charset.group(1).lower() if charset
                     else collation.group(1).split("_", 1)[0].lower() if collation else schema_charset)
    table.collation = (collation.group(1) if collation
                       else _DEFAULT_COLLATIONS.get(table.charset or "", f"{table.charset}_general_ci")
                       if table.charset else None)
    row_format = _ROW_FORMAT_RE.search(masked_options)
    table.row_format = row_format.group(1) if row_format else ""
    table.options = " ".join(masked_options.split())
    partition = _PARTITION_RE.search(masked_options)
    if partition:
        table.partition_method = " ".join(partition.group(1).upper().split())
        sub = _SUBPARTITION_RE.search(masked_options)
        table.subpartition_method = " ".join(sub.group(1).upper().split()) if sub else None
    table.versioned = bool(re.search(r"\bWITH\s+SYSTEM\s+VERSIONING\b", masked_options, re.I))
    del options
    for definition in _split_top(body):
        _definition(table, definition)
    return table


def _definition(table: Table, text: str) -> None:
    masked = _mask(text)
    upper = masked.lstrip().upper()
    if upper.startswith(("PRIMARY", "UNIQUE", "KEY", "INDEX", "FULLTEXT", "SPATIAL")):
        match = _INDEX_RE.match(text.strip())
        if match:
            _index(table, match)
            return
    if upper.startswith(("CONSTRAINT", "FOREIGN", "CHECK")):
        foreign = _FOREIGN_RE.match(text.strip())
        if foreign:
            ref_schema, ref_table = _names(foreign, table.schema)
            rules = {kind.upper(): " ".join(rule.upper().split()) for kind, rule in _ON_RE.findall(_mask(
                foreign.group("rest")))}
            constraint = unquote(foreign.group("name") or f"{table.name}_ibfk_{len(table.foreign_keys) + 1}")
            table.foreign_keys.append({
                "name": f"{table.schema}.{table.name}.{constraint}", "table": f"{table.schema}.{table.name}",
                "columns": [unquote(c) for c in _split_top(foreign.group("columns"))],
                "references": f"{ref_schema}.{ref_table}",
                "referenced_columns": [unquote(c) for c in _split_top(foreign.group("referenced"))],
                "on_delete": rules.get("DELETE", "RESTRICT"), "on_update": rules.get("UPDATE", "RESTRICT"),
            })
            return
        check = _CHECK_RE.match(text.strip())
        if check:
            name = unquote(check.group("name") or f"CONSTRAINT_{len(table.checks) + 1}")
            table.checks.append((name, check.group("clause").strip()))
            return
        if upper.startswith("CONSTRAINT"):  # CONSTRAINT name PRIMARY KEY / UNIQUE KEY ...
            after = re.match(rf"\s*CONSTRAINT(?:\s+{_IDENT})?\s+", text, re.I)
            if after:
                _definition(table, text[after.end():])
                return
    _column(table, text)


def _key_parts(text: str) -> list[tuple[int, str | None, int | None]]:
    parts: list[tuple[int, str | None, int | None]] = []
    for seq, part in enumerate(_split_top(text), 1):
        match = re.match(rf"^({_IDENT})\s*(?:\(\s*(\d+)\s*\))?", part.strip())
        if match is None or part.strip().startswith("("):
            parts.append((seq, None, None))  # a functional key part (MySQL 8)
            continue
        parts.append((seq, unquote(match.group(1)), int(match.group(2)) if match.group(2) else None))
    return parts


def _index(table: Table, match: re.Match[str]) -> None:
    kind = match.group("kind").upper().split()[0]
    rest = match.group("rest")
    masked = _mask(rest)
    start = masked.find("(")
    end = _closing(masked, start) if start >= 0 else -1
    if end < 0:
        raise ValueError(f"an index without its columns: {' '.join(match.group(0).split())[:80]}")
    parts = _key_parts(rest[start + 1:end])
    using = _USING_RE.search(masked)
    if kind in ("FULLTEXT", "SPATIAL"):
        index_type = kind
    elif using:
        index_type = "BTREE" if using.group(1).upper() == "RTREE" and kind != "SPATIAL" else using.group(1).upper()
    elif (table.engine or "").upper() in ("MEMORY", "HEAP"):
        index_type = "HASH"  # information_schema's INDEX_TYPE for a MEMORY table's key without USING
    else:
        index_type = "BTREE"
    if kind == "PRIMARY":
        name = "PRIMARY"
    else:
        name = unquote(match.group("name")) if match.group("name") else (parts[0][1] or "idx")
    table.indexes[name] = {"unique": kind in ("PRIMARY", "UNIQUE"), "type": index_type, "parts": parts}


def _column(table: Table, text: str) -> None:
    match = re.match(rf"^\s*({_IDENT})\s+", text)
    if match is None:
        raise ValueError(f"not a column definition: {' '.join(text.split())[:80]}")
    name = unquote(match.group(1))
    rest = text[match.end():]
    masked = _mask(rest)
    type_match = _TYPE_RE.match(masked)
    if type_match is None:
        raise ValueError(f"column {name} has no type")
    data_type = type_match.group(1).lower()
    if type_match.group(2):
        data_type = {"double": "double", "character": "varchar", "char": "varchar"}.get(data_type, data_type)
    position = type_match.end()
    if masked[position:].lstrip().startswith("("):
        open_at = position + (len(masked[position:]) - len(masked[position:].lstrip()))
        close = _closing(masked, open_at)
        position = close + 1 if close > 0 else position
    after = masked[position:]
    words = re.match(r"(\s+(?:unsigned|signed|zerofill))*", after, re.I)
    type_end = position + (words.end() if words else 0)
    column_type = " ".join(rest[:type_end].split())
    clauses = masked[type_end:]
    charset = _CHARSET_RE.search(clauses)
    collation = _COLLATE_RE.search(clauses)
    column_charset = (charset.group(1).lower() if charset
                      else collation.group(1).split("_", 1)[0].lower() if collation
                      else table.charset if data_type in _TEXT_TYPES else None)
    generated = _GENERATED_RE.search(clauses)
    extra = ""
    if generated:
        stored = _STORED_RE.search(clauses[generated.end():])
        word = stored.group(1).upper() if stored else "VIRTUAL"
        extra = "PERSISTENT" if word == "PERSISTENT" else f"{word} GENERATED"
    elif re.search(r"\bAUTO_INCREMENT\b", clauses, re.I):
        extra = "AUTO_INCREMENT"
    inline = _INLINE_KEY_RE.search(clauses)
    nullable = not _NOT_NULL_RE.search(clauses) and not (inline and inline.group(1).upper().startswith("PRIMARY"))
    table.columns.append({
        "name": name, "position": len(table.columns) + 1, "data_type": data_type,
        "column_type": column_type.lower(), "nullable": nullable, "charset": column_charset, "extra": extra,
        "duplicate_values": bool(duplicate_enum_values(column_type, collation.group(1) if collation
                                                       else table.collation)),
    })
    if inline:
        key = "PRIMARY" if inline.group(1).upper().startswith("PRIMARY") else name
        table.indexes.setdefault(key, {"unique": True, "type": "BTREE", "parts": [(1, name, None)]})
    check = _INLINE_CHECK_RE.search(clauses)
    if check:
        close = _closing(clauses, check.end() - 1)
        if close > 0:  # MariaDB names a column's CHECK after the column
            table.checks.append((name, rest[type_end + check.end():type_end + close].strip()))


# ---------------------------------------------------------------------------------------------- as facts


def technology_counts(dump: DumpSchema) -> dict[str, Any]:
    """What the technologies collector counts, from the dump: per kind, and the tables with partitions or
    compression."""
    fulltext = spatial_index = spatial_columns = foreign_keys = 0
    partitioned: list[str] = []
    compressed: list[str] = []
    for (schema, name), table in dump.tables.items():
        fulltext += sum(1 for i in table.indexes.values() if i["type"] == "FULLTEXT")
        spatial_index += sum(1 for i in table.indexes.values() if i["type"] == "SPATIAL")
        spatial_columns += sum(1 for c in table.columns if c["data_type"] in SPATIAL_TYPES)
        foreign_keys += len(table.foreign_keys)
        if table.partition_method:
            partitioned.append(f"{schema}.{name}")
        if is_compressed(table.row_format, table.options):
            compressed.append(f"{schema}.{name}")
    return {"fulltext": fulltext, "spatial_index": spatial_index, "spatial_columns": spatial_columns,
            "foreign_keys": foreign_keys, "partitioned": sorted(partitioned), "compressed": sorted(compressed)}


def is_mariadb_only_type(data_type: str) -> bool:
    return data_type in MARIADB_ONLY_TYPES


# the lists a dump cannot give, and why (inventory.not_checked: the rules say so instead of passing)
NOT_IN_A_DUMP = {
    "broken_views": "a mysqldump does not say whether a view still resolves",
}


def inventory_facts(dump: DumpSchema, *, events_dumped: bool, triggers_complete: bool | None) -> dict[str, Any]:
    """The facts keys collectors/inventory.py writes (objects, object_visibility, schema_types, inventory) and the
    per-table keys it adds to ``tables`` (under "per_table"), from a parsed dump; summarised by the inventory's
    own code, so both count the same way."""
    from collectors.inventory import _Inventory, _is_json_check, _summarise, _Table

    inv = _Inventory()
    objects = inv.objects
    by_schema: dict[str, dict[str, _Table]] = {schema: {} for schema in dump.schemas()}
    json_checks: dict[str, set[tuple[str, str]]] = {schema: set() for schema in dump.schemas()}
    for (schema, name), table in dump.tables.items():
        dotted = f"{schema}.{name}"
        if table.versioned:
            objects["mariadb_features"].append({"name": dotted, "feature": "system-versioned table"})
        if "uca1400" in (table.collation or "").lower():
            objects["mariadb_features"].append({"name": dotted, "feature": f"collation {table.collation}"})
        live = _Table(name, table.engine or "", table.collation or "")
        live.columns = [dict(c) for c in table.columns]
        live.indexes = {k: {**v, "parts": list(v["parts"])} for k, v in table.indexes.items()}
        live.partition_method, live.subpartition_method = table.partition_method, table.subpartition_method
        by_schema.setdefault(schema, {})[name] = live
        objects["foreign_keys"].extend(table.foreign_keys)
        for constraint, clause in table.checks:
            if _is_json_check(constraint, clause, live):
                json_checks.setdefault(schema, set()).add((name, constraint))
            else:
                objects["check_constraints"].append(f"{dotted}.{constraint}")
    for (schema, name) in dump.views:
        objects["views"].append(f"{schema}.{name}")
        if not name.isascii():
            objects["non_ascii_identifiers"].append(f"{schema}.{name}")
    for (schema, name) in dump.sequences:
        objects["mariadb_features"].append({"name": f"{schema}.{name}", "feature": "sequence"})
    for (schema, name, kind) in dump.routines:
        objects["routines"].append({"name": f"{schema}.{name}", "type": kind})
    for (schema, name), table_name in dump.triggers.items():
        objects["triggers"].append({"name": f"{schema}.{name}", "table": table_name})
    for (schema, name) in dump.events:
        objects["events"].append(f"{schema}.{name}")
    for schema, tables in by_schema.items():
        _summarise(schema, tables, json_checks.get(schema, set()), {}, inv)

    for key in ("views", "events", "check_constraints", "generated_columns", "duplicate_enum_values"):
        objects[key].sort()
    objects["non_ascii_identifiers"] = sorted(set(objects["non_ascii_identifiers"]))
    for key in ("routines", "triggers", "foreign_keys", "unsupported_charset_columns", "unsupported_charset_tables",
                "wide_tables"):
        objects[key].sort(key=lambda item: (item["name"], item.get("type", "")))
    objects["mariadb_features"].sort(key=lambda item: (item["name"], item["feature"]))
    for key in NOT_IN_A_DUMP:
        objects.pop(key, None)
    if not events_dumped:
        objects.pop("events", None)
    # user-defined (loadable) functions live in mysql.func, whose rows a schema-only dump does not hold
    complete = {"complete": True, "missing_privilege": None}
    visibility = {"routines": dict(complete), "events": dict(complete),
                  "user_defined_functions": {"complete": None, "missing_privilege": None},
                  "triggers": dict(complete) if triggers_complete else {"complete": triggers_complete,
                                                                        "missing_privilege": None}}
    not_checked = dict(NOT_IN_A_DUMP)
    if not events_dumped:
        not_checked["events"] = "pt-mysql-summary and the ps-prechecks script dump no events (no --events)"
    not_checked["user_defined_functions"] = "a schema-only mysqldump holds no rows of mysql.func"
    failed = [{"name": entry.split(":", 1)[0], "reason": entry.split(": ", 1)[-1]} for entry in dump.unparsed]
    return {
        "objects": objects, "object_visibility": visibility, "schema_types": inv.schema_types,
        "inventory": {"cut": None, "failed_schemas": failed, "not_checked": dict(sorted(not_checked.items())),
                      "source": "mysqldump sample"},
        "per_table": dict(inv.per_table),
        "engines": {(t["schema"], t["name"]): t["engine"] for t in inv.created},
    }
