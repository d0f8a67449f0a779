"""Readiness rules over the schema's objects and the workload the server has seen (issue 15, part 2).

Six rules, each a :class:`~prechecks.rulespec.RuleSpec` whose check turns the facts into one readiness.json
check (the keys and the house rules of :mod:`prechecks.readiness`: objects name every offender and only
offenders; facts absent -> ``skipped`` naming the collector; a partial read -> ``skipped``, or a fail that
says its list may be incomplete):

* ``unsupported_statements``: statements PlanetScale's MySQL-compatibility page does not support, found in
  performance_schema's statement digests and in slow-log fingerprints. ``objects`` are the statements
  (digest texts and fingerprints: literals already ``?``).
* ``workload_limits``: the system-limits page's query, transaction, row and connection limits against what
  the server shows (digests' longest run and rows per execution, the slow log, the processlist, InnoDB's
  open transactions). ``objects`` are the statements over a limit.
* ``duplicate_enum_values``, ``check_constraint_names``, ``broken_views``, ``foreign_key_cycles``: schema
  lint errors PlanetScale raises on deploy requests, from the inventory collector's objects.

Every rule is a warning: none of them stops the import itself; each makes a statement or a later schema
change fail on PlanetScale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from collectors.numbers import as_int, as_number
from prechecks.rulespec import RuleSpec, Severity
from prechecks.rulespec import as_list as _seq
from prechecks.rulespec import as_map as _map
from prechecks.rulespec import inventory_gaps as _inventory_gaps
from prechecks.rulespec import why_absent as _why_absent

DOCS_COMPATIBILITY = "https://planetscale.com/docs/vitess/mysql-compatibility"
DOCS_LIMITS = "https://planetscale.com/docs/vitess/troubleshooting/planetscale-system-limits"
DOCS_ENUM = "https://planetscale.com/docs/vitess/schema-changes/schema-lint-errors/duplicate-enum-value"
DOCS_UNSUPPORTED_FEATURE = "https://planetscale.com/docs/vitess/schema-changes/schema-lint-errors/unsupported-feature"
DOCS_VIEW = "https://planetscale.com/docs/vitess/schema-changes/schema-lint-errors/invalid-table-referenced-in-view"
DOCS_FOREIGN_KEYS = "https://planetscale.com/docs/vitess/foreign-key-constraints"

QUERY_LIMIT_SECONDS = 900  # "Per-query autocommit timeout | 900s"
TRANSACTION_LIMIT_SECONDS = 20  # "Per-transaction timeout | 20s"
ROWS_LIMIT = 100_000  # "Per-query rows returned, updated, or deleted | 100k"
CONNECTION_LIMIT_SECONDS = 24 * 3600  # "held open longer than 24 hours"
CHECK_SUFFIX_LIMIT = 3  # "no more than three characters after a `<table>_chk_` prefix"
SHOWN = 5  # offenders named in a detail; `objects` has them all

# processlist commands of client connections (replication, event scheduler and binlog threads run for ever)
CLIENT_COMMANDS = frozenset({"Sleep", "Query", "Execute", "Prepare", "Fetch"})


# ---------------------------------------------------------------------------- small helpers








def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _shown(items: Sequence[str], limit: int = SHOWN) -> str:
    if len(items) <= limit:
        return "; ".join(items)
    return "; ".join(items[:limit]) + f"; and {len(items) - limit} more"


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _result(spec_id: str, title: str, status: str, detail: str, *, docs: str, objects: Iterable[str] = (),
            remediation: str = "", severity: Severity = "warning") -> dict[str, Any]:
    return {"id": spec_id, "title": title, "severity": severity, "status": status, "objects": list(objects),
            "detail": detail, "remediation": remediation if status == "fail" else "", "docs": docs}











def _objects_list(facts: Mapping[str, Any], key: str) -> tuple[list[Any] | None, str]:
    """facts.objects[key], or None and why it is absent (the inventory's own reason when it gave one)."""
    objects = facts.get("objects")
    if isinstance(objects, Mapping) and isinstance(objects.get(key), list):
        return list(objects[key]), ""
    reason = _map(_map(facts.get("inventory")).get("not_checked")).get(key)
    if reason:
        return None, f"the inventory collector did not read them: {reason}"
    if isinstance(objects, Mapping):
        return None, f"the facts have no objects.{key} (an inventory from an older version of this tool)"
    return None, _why_absent(facts, f"objects.{key}", "inventory")


def _finish(spec_id: str, title: str, docs: str, offenders: list[str], caveats: list[str], *, found: str,
            none: str, remediation: str, extra: str = "") -> dict[str, Any]:
    """fail with the offenders; pass when none and nothing was missed; skipped when none but something was."""
    caveat = "; ".join(caveats)
    if offenders:
        detail = f"{found}: {_shown(offenders)}" + (f". {extra}" if extra else "")
        if caveat:
            detail += f". The list may be incomplete: {caveat}"
        return _result(spec_id, title, "fail", detail, docs=docs, objects=offenders, remediation=remediation)
    if caveat:
        return _result(spec_id, title, "skipped", f"none found among what was read, but {caveat}", docs=docs)
    return _result(spec_id, title, "pass", none, docs=docs)


def _tables_by_prefix(facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(schema, table) pairs, longest dotted name first: splits `schema.table.rest` when names hold dots."""
    pairs = {(str(t.get("schema")), str(t.get("name"))) for t in _seq(facts.get("tables")) if isinstance(t, Mapping)}
    return sorted(pairs, key=lambda p: (-len(p[0]) - len(p[1]), p))


def _split_three(dotted: str, tables: list[tuple[str, str]]) -> tuple[str, str, str]:
    for schema, table in tables:
        prefix = f"{schema}.{table}."
        if dotted.startswith(prefix):
            return schema, table, dotted[len(prefix):]
    schema, _, rest = dotted.partition(".")
    table, _, last = rest.partition(".")
    return schema, table, last


# ---------------------------------------------------------------------------- the workload's statements


_BACKQUOTED = re.compile(r"`(?:[^`]|``)*`")

# (kind, pattern on the text with identifiers blanked, the page's sentence, what to do instead); the two SET
# GLOBAL kinds are told by _set_global_kind (digests backquote the variable's name)
UNSUPPORTED: tuple[tuple[str, re.Pattern[str], str, str], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE | re.DOTALL), sentence, fix) for kind, pattern, sentence, fix in (
        ("LOAD DATA", r"^\s*LOAD\s+DATA\b", "Loading data via `LOAD DATA INFILE` is not supported.",
         "load files with batched INSERTs (or import them with the import tool)"),
        (":=", r":=", "The `:=` assignment operator is not yet supported.",
         "assign variables with SET @v = ... in a statement of its own, or use window functions (ROW_NUMBER())"),
        ("JSON_TABLE", r"\bJSON_TABLE\s*\(", "The `JSON_TABLE` function is not yet supported.",
         "unnest JSON in the application or with the other JSON functions"),
        ("CREATE DATABASE", r"^\s*CREATE\s+(?:DATABASE|SCHEMA)\b",
         "You cannot `CREATE` a logical database within a PlanetScale Vitess database.",
         "create databases with the PlanetScale CLI or console, not from the application (nothing to change when"
         " it was a one-off provisioning step)"),
        ("DROP DATABASE", r"^\s*DROP\s+(?:DATABASE|SCHEMA)\b",
         "You cannot `DROP` a logical database within a PlanetScale Vitess database.",
         "drop databases with the PlanetScale CLI or console, not from the application (nothing to change when it"
         " was a one-off clean-up)"),
        ("KILL", r"^\s*KILL\b", "We do not support killing queries or shards from the command line.",
         "stop runaway queries with query timeouts (SELECT /*vt+ QUERY_TIMEOUT_MS=... */) instead of KILL"),
        ("CALL", r"^\s*CALL\b", "We do not support any form of stored routines.",
         "move the procedures' logic into the application"),
        ("SET GLOBAL time_zone", r"^\s*SET\s+GLOBAL\s+TIME_ZONE\b",
         "The global time zone is set to UTC and can not be modified.",
         "set the time zone per session (SET time_zone = ...) or keep times in UTC"),
        ("SET GLOBAL sql_mode", r"^\s*SET\s+(?:GLOBAL\s+|@@GLOBAL\s*\.\s*)SQL_MODE\b",
         "The global SQL mode can not be changed permanently. Set each new session’s mode instead with"
         " `SET sql_mode`.", "set sql_mode per session (SET sql_mode = ...)"),
    )
)


def _set_global_kind(text: str) -> str | None:
    """SET GLOBAL `time_zone` / `sql_mode`: the names are backquoted in digests, so look inside the quotes."""
    match = re.match(r"^\s*SET\s+(?:GLOBAL\s+|@@GLOBAL\s*\.\s*)`?(\w+)`?", text, re.IGNORECASE)
    if not match:
        return None
    name = match.group(1).lower()
    return {"time_zone": "SET GLOBAL time_zone", "sql_mode": "SET GLOBAL sql_mode"}.get(name)


def statement_kind(text: str) -> str | None:
    """The unsupported statement a digest text or fingerprint is (``LOAD DATA``, ``:=``, ...), or None."""
    return _set_global_kind(text) or _statement_kind_without_set(text)


def _statement_kind_without_set(text: str) -> str | None:
    bare = _BACKQUOTED.sub("``", text)
    for kind, pattern, _sentence, _fix in UNSUPPORTED:
        if kind.startswith("SET GLOBAL"):
            continue
        if pattern.search(bare):
            return kind
    return None


def _workload_statements(facts: Mapping[str, Any]) -> tuple[list[tuple[str, Mapping[str, Any]]], list[str], list[str]]:
    """([(source, digest entry)], what was read, what was missing) from the digests and the slow logs."""
    workload = _map(facts.get("workload"))
    entries: list[tuple[str, Mapping[str, Any]]] = []
    read: list[str] = []
    missing: list[str] = []
    if isinstance(workload.get("digests"), list):
        digests = [d for d in _seq(workload.get("digests")) if isinstance(d, Mapping)]
        notable = [d for d in _seq(workload.get("notable_digests")) if isinstance(d, Mapping)]
        entries += [("digest", d) for d in digests + notable]
        what = f"{_plural(len(digests), 'top statement digest')}"
        if "notable_digests" in workload:
            what += f" and {len(notable)} more PlanetScale would reject or limit"
        else:
            what += " (only the top ones: the facts have no workload.notable_digests)"
        read.append(what)
        status = str(workload.get("digests_status") or "")
        if status and status != "ok":
            read.append(f"digests: {status}")
    else:
        missing.append("statement digests (" + _why_absent(facts, "workload.digests", "statement_digests") + ")")
    slow = _map(facts.get("slow_log"))
    for source in ("table", "files"):
        fact = _map(slow.get(source))
        if not fact.get("read"):
            continue
        digests = [d for d in _seq(fact.get("digests")) if isinstance(d, Mapping)]
        entries += [(f"slow log {source}", d) for d in digests]
        kept = as_int(fact.get("fingerprints"), len(digests))
        what = f"the slow log {'table' if source == 'table' else 'files'}: {_plural(len(digests), 'fingerprint')}"
        if kept > len(digests):
            what += f" (the {len(digests)} with the most time of {kept})"
        read.append(what)
    if not any(_map(slow.get(s)).get("read") for s in ("table", "files")):
        missing.append("a slow log (none given with --slow-log, and no mysql.slow_log table read)")
    return entries, read, missing


def _text(entry: Mapping[str, Any]) -> str:
    return str(entry.get("digest_text") if "digest_text" in entry else entry.get("fingerprint") or "")


def check_unsupported_statements(facts: Mapping[str, Any]) -> dict[str, Any]:
    spec_id, title = "unsupported_statements", "No statements PlanetScale does not support"
    entries, read, missing = _workload_statements(facts)
    if not read:
        return _result(spec_id, title, "skipped", "no statements to look at: " + "; ".join(missing),
                       docs=DOCS_COMPATIBILITY)
    found: dict[str, str] = {}  # statement text -> kind
    for _source, entry in entries:
        text = _text(entry)
        kind = statement_kind(text) if text else None
        if kind:
            found[text] = kind
    looked = "; ".join(read) + (f"; not read: {'; '.join(missing)}" if missing else "")
    if not found:
        return _result(spec_id, title, "pass", f"none among {looked}", docs=DOCS_COMPATIBILITY)
    offenders = sorted(found)
    kinds = sorted(set(found.values()), key=[u[0] for u in UNSUPPORTED].index)
    counts = ", ".join(f"{k} ({sum(1 for v in found.values() if v == k)})" for k in kinds)
    sentences = " ".join(dict.fromkeys(u[2] for u in UNSUPPORTED if u[0] in kinds))
    fixes = "; ".join(f"{u[0]}: {u[3]}" for u in UNSUPPORTED if u[0] in kinds)
    return _result(
        spec_id, title, "fail",
        f"{_plural(len(offenders), 'statement')} PlanetScale does not support ({counts}): {_shown(offenders)}."
        f" PlanetScale: {sentences} Looked at {looked}",
        docs=DOCS_COMPATIBILITY, objects=offenders,
        remediation=f"Change the application before the cut-over: {fixes}.")


def _seconds(value: Any) -> float:
    number = as_number(value)
    return float(number) if number is not None else 0.0


def check_workload_limits(facts: Mapping[str, Any]) -> dict[str, Any]:
    spec_id, title = "workload_limits", "The workload fits PlanetScale's query, transaction and connection limits"
    entries, read, missing = _workload_statements(facts)
    processlist = facts.get("processlist")
    transactions = _map(_map(facts.get("workload")).get("transactions"))
    if isinstance(processlist, Mapping):
        read.append("the processlist")
    else:
        missing.append("the processlist (" + _why_absent(facts, "processlist", "processlist") + ")")
    if transactions:
        read.append("InnoDB's open transactions")
    else:
        missing.append("open transactions (" + _why_absent(facts, "workload.transactions", "binlog_clients") + ")")
    if not read:
        return _result(spec_id, title, "skipped", "nothing to measure: " + "; ".join(missing), docs=DOCS_LIMITS)

    over: dict[str, list[str]] = {}  # statement text -> what it exceeds
    for source, entry in entries:
        text = _text(entry)
        if not text:
            continue
        longest = _seconds(entry.get("max_seconds"))
        count = max(as_int(entry.get("count"), 0), 1)
        rows = as_int(entry.get("rows_sent"), 0) / count
        reasons = []
        if longest > QUERY_LIMIT_SECONDS:
            reasons.append(f"ran {longest:,.0f} s ({source}), over the {QUERY_LIMIT_SECONDS} s query limit")
        elif longest > TRANSACTION_LIMIT_SECONDS:
            reasons.append(f"ran {longest:,.0f} s ({source}): inside a transaction it exceeds the"
                           f" {TRANSACTION_LIMIT_SECONDS} s transaction limit")
        if rows > ROWS_LIMIT:
            reasons.append(f"returned {rows:,.0f} rows per execution on average ({source}), over {ROWS_LIMIT:,}")
        if reasons:
            over.setdefault(text, []).extend(reasons)
    server_side: list[str] = []
    if isinstance(processlist, Mapping):
        for group in _seq(_map(processlist.get("groups")).get("command")):
            group = _map(group)
            command, longest = str(group.get("value") or ""), as_int(group.get("time_max"), 0)
            if command in ("Query", "Execute", "Fetch") and longest > QUERY_LIMIT_SECONDS:
                server_side.append(f"a statement had been running {longest:,} s when the processlist was read"
                                   f" (over the {QUERY_LIMIT_SECONDS} s query limit)")
            elif command in CLIENT_COMMANDS and longest > CONNECTION_LIMIT_SECONDS:
                server_side.append(f"a connection had been {'idle' if command == 'Sleep' else 'busy'} {longest:,} s"
                                   " (so open at least that long; PlanetScale may close connections after 24 hours)")
    oldest = transactions.get("oldest_seconds")
    if oldest is not None and as_int(oldest, 0) > TRANSACTION_LIMIT_SECONDS:
        server_side.append(f"a transaction had been open {as_int(oldest, 0):,} s when INNODB_TRX was read"
                           f" (over the {TRANSACTION_LIMIT_SECONDS} s transaction limit)")
    looked = "; ".join(read) + (f"; not read: {'; '.join(missing)}" if missing else "")
    unmeasured = "result sizes in bytes (the 64 MiB limit) are not measured by the server"
    if not over and not server_side:
        return _result(spec_id, title, "pass",
                       f"no statement over {TRANSACTION_LIMIT_SECONDS} s or {ROWS_LIMIT:,} rows, no connection over"
                       f" 24 hours, no transaction over {TRANSACTION_LIMIT_SECONDS} s among {looked}; {unmeasured}",
                       docs=DOCS_LIMITS)
    offenders = sorted(over)
    parts = [f"{text} ({'; '.join(over[text])})" for text in offenders]
    detail = "; ".join(filter(None, [
        f"{_plural(len(offenders), 'statement')} over PlanetScale's limits: {_shown(parts)}" if offenders else "",
        "; ".join(server_side)]))
    return _result(
        spec_id, title, "fail", f"{detail}. Looked at {looked}; {unmeasured}", docs=DOCS_LIMITS, objects=offenders,
        remediation="Before the cut-over: page large results (LIMIT with a key range), split long writes into"
                    f" batches that commit within {TRANSACTION_LIMIT_SECONDS} s, move long reports to a replica or an"
                    " analytics copy (PlanetScale Connect), and have the connection pool recycle connections at"
                    " least daily (e.g. a maximum lifetime of a few hours).")


# ---------------------------------------------------------------------------- schema objects


def check_duplicate_enum_values(facts: Mapping[str, Any]) -> dict[str, Any]:
    spec_id, title = "duplicate_enum_values", "No ENUM or SET column lists a value twice"
    columns, why = _objects_list(facts, "duplicate_enum_values")
    if columns is None:
        return _result(spec_id, title, "skipped", why, docs=DOCS_ENUM)
    offenders = sorted(str(c) for c in columns)
    tables = _tables_by_prefix(facts)
    example = "`schema`.`table`"
    if offenders:
        schema, table, column = _split_three(offenders[0], tables)
        example = f"{_quote(schema)}.{_quote(table)} MODIFY {_quote(column)}"
    return _finish(
        spec_id, title, DOCS_ENUM, offenders, _inventory_gaps(facts),
        found=f"{_plural(len(offenders), 'ENUM/SET column')} listing a value more than once (compared as the"
              " column's collation compares: case-blind unless it is _bin or _cs)",
        none="no ENUM or SET column lists a value twice",
        remediation="First UPDATE the rows that hold the repeated value to the copy you keep (SELECT col + 0 shows"
                    f" the stored position), then list each value once: ALTER TABLE {example} ENUM(...) with the"
                    " same NULL/DEFAULT as before.")


def check_check_constraint_names(facts: Mapping[str, Any]) -> dict[str, Any]:
    spec_id, title = "check_constraint_names", "CHECK constraint names survive PlanetScale's table renames"
    names, why = _objects_list(facts, "check_constraints")
    if names is None:
        return _result(spec_id, title, "skipped", why, docs=DOCS_UNSUPPORTED_FEATURE)
    tables = _tables_by_prefix(facts)
    offenders = []
    for dotted in (str(n) for n in names):
        _schema, table, constraint = _split_three(dotted, tables)
        prefix = f"{table}_chk_"
        if constraint.lower().startswith(prefix.lower()) and len(constraint) - len(prefix) > CHECK_SUFFIX_LIMIT:
            offenders.append(dotted)
    offenders.sort()
    example = "`schema`.`table` DROP CONSTRAINT `table_chk_long`, ADD CONSTRAINT `long_chk` CHECK (...)"
    if offenders:
        schema, table, constraint = _split_three(offenders[0], tables)
        example = (f"{_quote(schema)}.{_quote(table)} DROP CONSTRAINT {_quote(constraint)},"
                   f" ADD CONSTRAINT {_quote(constraint[len(table) + len('_chk_'):] + '_chk')} CHECK (...)")
    # MySQL before 8.0.16 parses CHECK clauses and keeps none: an empty list there is the truth
    return _finish(
        spec_id, title, DOCS_UNSUPPORTED_FEATURE, offenders, _inventory_gaps(facts),
        found=f"{_plural(len(offenders), 'CHECK constraint')} named `<table>_chk_` and more than {CHECK_SUFFIX_LIMIT}"
              " characters: MySQL renames such a constraint with its table, and the name outgrows 64 characters"
              " when PlanetScale's schema changes rename the table",
        none=f"no CHECK constraint is named `<table>_chk_` followed by more than {CHECK_SUFFIX_LIMIT} characters",
        remediation=f"Rename each listed constraint so it does not start with its table's name and `_chk_`: ALTER"
                    f" TABLE {example} (same expression; on MySQL before 8.0.19 use DROP CHECK).")


def check_broken_views(facts: Mapping[str, Any]) -> dict[str, Any]:
    spec_id, title = "broken_views", "Every view still resolves (no view over a missing table)"
    views, why = _objects_list(facts, "broken_views")
    if views is None:
        return _result(spec_id, title, "skipped", why, docs=DOCS_VIEW)
    offenders = sorted(str(v) for v in views)
    example = "`schema`.`view`"
    if offenders:
        schema, _, view = offenders[0].partition(".")
        for name in sorted({str(s) for s in _seq(facts.get("databases"))}, key=len, reverse=True):
            if offenders[0].startswith(name + "."):
                schema, view = name, offenders[0][len(name) + 1:]
                break
        example = f"{_quote(schema)}.{_quote(view)}"
    return _finish(
        spec_id, title, DOCS_VIEW, offenders, _inventory_gaps(facts),
        found=f"{_plural(len(offenders), 'view')} the server reports error 1356 for (a table, column or function it"
              " reads is missing, or its definer/invoker lacks rights to it)",
        none="every view resolves (the server reports no error 1356 for any)",
        remediation=f"If nothing uses the view: DROP VIEW {example}; otherwise CREATE OR REPLACE VIEW {example} AS ..."
                    " over tables and columns that exist (SHOW CREATE VIEW gives the old definition); a view that"
                    " fails only for its definer's rights needs that account's grants fixed.")


def _cyclic_edges(edges: Sequence[tuple[Any, Any, str]]) -> set[str]:
    """The labels of the edges that lie on a cycle (both ends in one strongly connected component)."""
    graph: dict[Any, list[Any]] = {}
    for source, target, _label in edges:
        graph.setdefault(source, []).append(target)
        graph.setdefault(target, [])
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    component: dict[Any, int] = {}
    stack: list[Any] = []
    on_stack: set[Any] = set()
    counter = 0
    for root, targets in graph.items():
        if root in index:
            continue
        work = [(root, iter(targets))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[node]
                    if member == node:
                        break
    return {label for source, target, label in edges if component[source] == component[target]}


def check_foreign_key_cycles(facts: Mapping[str, Any]) -> dict[str, Any]:
    spec_id, title = "foreign_key_cycles", "No cycle of cascading foreign keys"
    keys, why = _objects_list(facts, "foreign_keys")
    if keys is None:
        return _result(spec_id, title, "skipped", why, docs=DOCS_FOREIGN_KEYS)
    foreign_keys = [k for k in keys if isinstance(k, Mapping)]
    cascading = {"CASCADE", "SET NULL"}
    # the page's first case: every key of the cycle is ON DELETE CASCADE (tables as the nodes)
    delete_edges = [(str(k.get("table")), str(k.get("references")), str(k.get("name"))) for k in foreign_keys
                    if str(k.get("on_delete") or "").upper() == "CASCADE"]
    offenders = _cyclic_edges(delete_edges)
    # the second: every rule SET NULL or CASCADE, and the columns loop back to themselves (columns as the nodes)
    caveats = _inventory_gaps(facts)
    column_edges = []
    without_columns = 0
    for key in foreign_keys:
        rules = {str(key.get("on_delete") or "").upper(), str(key.get("on_update") or "").upper()}
        if not rules <= cascading:
            continue
        referenced = _seq(key.get("referenced_columns"))
        if not referenced:
            without_columns += 1
            continue
        for column, target in zip(_seq(key.get("columns")), referenced, strict=False):
            column_edges.append(((str(key.get("table")), str(column)), (str(key.get("references")), str(target)),
                                 str(key.get("name"))))
    offenders |= _cyclic_edges(column_edges)
    if without_columns:
        caveats.append(f"{_plural(without_columns, 'foreign key')} with SET NULL/CASCADE rules carry no referenced"
                       " columns (facts from an older version of this tool): column loops not checked for them")
    listed = sorted(offenders)
    by_name = {str(k.get("name")): k for k in foreign_keys}
    chains = [f"{name} ({by_name[name].get('table')} -> {by_name[name].get('references')}, ON DELETE"
              f" {by_name[name].get('on_delete')}, ON UPDATE {by_name[name].get('on_update')})" for name in listed]
    example = "`schema`.`table` DROP FOREIGN KEY `fk`, ADD CONSTRAINT `fk` FOREIGN KEY (...) REFERENCES ..."
    if listed:
        key = by_name[listed[0]]
        table = str(key.get("table"))
        constraint = listed[0][len(table) + 1:] if listed[0].startswith(table + ".") else listed[0]
        schema, _, bare = table.partition(".")
        columns = ", ".join(_quote(str(c)) for c in _seq(key.get("columns")))
        example = (f"{_quote(schema)}.{_quote(bare)} DROP FOREIGN KEY {_quote(constraint)}, ADD CONSTRAINT"
                   f" {_quote(constraint)} FOREIGN KEY ({columns}) REFERENCES ... ON DELETE RESTRICT"
                   " ON UPDATE RESTRICT")
    return _finish(
        spec_id, title, DOCS_FOREIGN_KEYS, listed, caveats,
        found=f"{_plural(len(listed), 'foreign key')} on a cycle PlanetScale rejects queries for (all ON DELETE"
              " CASCADE, or all SET NULL/CASCADE with columns referencing themselves round the loop)",
        extra="; ".join(chains),
        none="no cycle of ON DELETE CASCADE foreign keys, and no SET NULL/CASCADE loop of columns",
        remediation=f"Break each cycle: make one of its keys RESTRICT and do that delete or update in the application"
                    f" (ALTER TABLE {example}), or drop the key and keep an index on its columns.")


# ---------------------------------------------------------------------------- the rule table


RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        id="unsupported_statements", severity="warning", docs=DOCS_COMPATIBILITY,
        quote="Loading data via `LOAD DATA INFILE` is not supported. / The `:=` assignment operator is not yet"
              " supported. / The `JSON_TABLE` function is not yet supported. / You cannot `CREATE` a logical"
              " database within a PlanetScale Vitess database. / You cannot `DROP` a logical database within a"
              " PlanetScale Vitess database. / We do not support killing queries or shards from the command line.",
        passes_when="No statement digest or slow-log fingerprint is a LOAD DATA, a := assignment, a JSON_TABLE, a"
                    " CREATE/DROP DATABASE, a KILL, a CALL or a SET GLOBAL time_zone/sql_mode.",
        check=check_unsupported_statements),
    RuleSpec(
        id="workload_limits", severity="warning", docs=DOCS_LIMITS,
        quote="Per-query rows returned, updated, or deleted | 100k / Per-query result set total size | 64 MiB /"
              " Per-query autocommit timeout | 900s / Per-transaction timeout | 20s / Database client connections"
              " that are held open longer than 24 hours may be terminated unexpectedly.",
        passes_when="No statement ran over 20 s or returned over 100,000 rows per execution, no open transaction is"
                    " older than 20 s and no client connection has been open over 24 hours.",
        check=check_workload_limits),
    RuleSpec(
        id="duplicate_enum_values", severity="warning", docs=DOCS_ENUM,
        quote="`DUPLICATE_ENUM_VALUE` means an `ENUM` column definition contains the same value more than once.",
        passes_when="Every ENUM and SET column lists each value once (under the column's collation).",
        check=check_duplicate_enum_values),
    RuleSpec(
        id="check_constraint_names", severity="warning", docs=DOCS_UNSUPPORTED_FEATURE,
        quote="For older MySQL versions, avoid long generated check names and avoid names with more than three"
              " characters after a `<table>_chk_` prefix.",
        passes_when="No CHECK constraint is named after its table with `_chk_` and more than three characters.",
        check=check_check_constraint_names),
    RuleSpec(
        id="broken_views", severity="warning", docs=DOCS_VIEW,
        quote="`INVALID_TABLE_REFERENCED_IN_VIEW` means a view references a table or entity that Vitess cannot"
              " resolve in the resulting schema.",
        passes_when="The server reports no view as invalid (error 1356).",
        check=check_broken_views),
    RuleSpec(
        id="foreign_key_cycles", severity="warning", docs=DOCS_FOREIGN_KEYS,
        quote="There is no restriction to the schema design, but in some scenarios queries will be rejected: / A"
              " cycle where the participating foreign keys all have `ON DELETE CASCADE` rule. / A cycle where all"
              " rules are either `SET NULL` or `CASCADE`, and the loop ends up having columns reference themselves.",
        passes_when="No foreign-key cycle is all ON DELETE CASCADE, and no loop of SET NULL/CASCADE keys leads a"
                    " column back to itself.",
        check=check_foreign_key_cycles),
)

__all__ = ["RULES", "statement_kind"]
