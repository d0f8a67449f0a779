"""The golden comparison's normaliser: what varies between two runs on the real-world schemas, and nothing else.

tests/test_golden.py runs the CLI once on cacti, MediaWiki and phpMyAdmin (tests/realworld.py) and compares
facts.json, the report, readiness.json, submission.json and freeform_questions.md with the copies stored in
tests/data/golden/, after both went through :func:`normalise`. Everything not named by a rule below is compared
exactly. The rules are deliberately narrow: each names one field (or one line of one section) and says why it
varies, so that a new volatile field shows up as a diff instead of being swallowed by a broad pattern. A rule that
matches nothing in a run is reported too (it is stale, or the field it names has gone).

A volatile value becomes a placeholder that keeps its kind: ``"<timestamp>"``, ``"<status counter>"``, and for a
number or a boolean its JSON type as well (``"<duration: float>"``), so a figure that turns from a number into a
string, or disappears, or gains a key, is still a diff. ``null`` stays ``null``. The throwaway server's directory
and socket directory are replaced wherever they appear (``<server dir>/data/``). The JSON files are rewritten with
sorted keys: the order of an object's keys is not a figure.

Nothing here imports pytest.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The archive's files the comparison covers, in the order the test reports them. The report's name carries the run's
# timestamp (ps_report_<ts>.md); it is stored as report.md.
JSON_FILES = ("facts.json", "readiness.json", "submission.json")
TEXT_FILES = ("report.md", "freeform_questions.md")
FILES = JSON_FILES + TEXT_FILES


@dataclass(frozen=True)
class Machine:
    """What belongs to this machine and this throwaway server rather than to the schemas: substituted exactly."""

    server_dir: str  # the server's base directory: datadir, tmpdir, pid file, error log, binlog basename
    socket_dir: str  # the directory of its Unix socket (/tmp/psm-*)

    def substitutions(self) -> list[tuple[str, str]]:
        return [(self.server_dir.rstrip("/"), "<server dir>"), (self.socket_dir.rstrip("/"), "<socket dir>")]


# ------------------------------------------------------------------------------------------------------ JSON rules


@dataclass(frozen=True)
class JsonRule:
    """``path`` in ``file``: dotted keys; ``*`` is every key of a mapping, ``[*]`` every item of a list and
    ``[id=x]`` the items whose "id" is x (any field name). Without ``sub`` the value becomes ``<tag>``; with
    ``sub`` (regex, replacement) only the matched parts of a string are replaced. ``summary`` replaces the
    value by what it returns (for a list whose membership varies)."""

    file: str
    path: str
    tag: str
    why: str
    sub: tuple[str, str] | None = None
    summary: Callable[[Any], Any] | None = None
    any_number: bool = False  # int and float alike (a questionnaire number is written as 463 or 463.5)


def placeholder(tag: str, value: Any, any_number: bool = False) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return f"<{tag}>"
    kind = {bool: "bool", int: "int", float: "float"}.get(type(value), type(value).__name__)
    if any_number and kind in ("int", "float"):
        kind = "number"
    return f"<{tag}: {kind}>"


def digest_summary(digests: Any) -> Any:
    """The top digests' shape without the list itself: how many, and the keys every entry has."""
    if not isinstance(digests, list):
        return digests
    key_sets = Counter(tuple(sorted(d)) if isinstance(d, dict) else (type(d).__name__,) for d in digests)
    return {"entries": len(digests), "keys of each entry": [list(keys) for keys in sorted(key_sets)]}


def notable_summary(digests: Any) -> Any:
    """Which statements fall outside the top 50 varies with timing (and may be none): kept, that every entry
    has a digest's keys."""
    if not isinstance(digests, list):
        return digests
    odd = sorted({tuple(sorted(d)) if isinstance(d, dict) else (type(d).__name__,) for d in digests} - {_DIGEST_KEYS})
    return {"entries": "<varies with timing>", "entries with other keys than a digest's": [list(k) for k in odd]}


_DIGEST_KEYS = ("avg_seconds", "count", "digest_text", "first_seen", "last_seen", "max_seconds", "rows_examined",
                "rows_sent", "schema", "total_seconds", "truncated")


def transactions_summary(value: Any) -> Any:
    """INNODB_TRX at one moment: its keys are kept, not the numbers."""
    if isinstance(value, dict) and set(value) == {"open", "oldest_seconds"}:
        return {"open": "<open transactions at the moment>", "oldest_seconds": "<seconds or null>"}
    return value


_TIME = "<timestamp>"
_N = r"[0-9][0-9,]*(?:\.[0-9]+)?"  # a number as the prefill writes it: 1,197.1
_UPTIME = rf"{_N} (?:seconds|minutes|hours|days)"  # prechecks.prefill._duration: "2 seconds", "1.5 hours"

# Volatile because of timing, the throwaway server or the machine. Grouped by file; every path is a single field.
JSON_RULES: tuple[JsonRule, ...] = (
    # --- facts.json: when the run happened and how long each step took
    JsonRule("facts.json", "collected_at", "timestamp", "wall-clock time of the run"),
    JsonRule("facts.json", "collection.started_at", "timestamp", "wall-clock time of the run"),
    JsonRule("facts.json", "collection.finished_at", "timestamp", "wall-clock time of the run"),
    JsonRule("facts.json", "collection.collectors[*].seconds", "duration", "how long each collector took"),
    # the schema walk reads the next schema ahead on a second session (collectors.readahead); a statement it
    # answered first is not counted to the collector, one the collector sent itself is: a race
    *(JsonRule("facts.json", f"collection.collectors[name={name}].statements", "statement count",
               "per-schema reads answered by the read-ahead session are not counted (which session got there "
               "first varies)") for name in ("table_sizes", "schema_inventory", "inventory", "schema_ddl")),
    JsonRule("facts.json", "tool.version", "tool version", "the tool's own version moves with every release"),
    # --- the throwaway server: its clock, start, port, random id, and the machine it runs on
    JsonRule("facts.json", "server.local_time", "timestamp", "the server's clock at the run"),
    JsonRule("facts.json", "server.utc_time", "timestamp", "the server's clock at the run"),
    JsonRule("facts.json", "server.started_at", "timestamp", "the throwaway server's start time"),
    JsonRule("facts.json", "server.uptime_seconds", "uptime", "seconds since the throwaway server started"),
    JsonRule("facts.json", "server.port", "port", "a free port picked for each throwaway server"),
    JsonRule("facts.json", "server.hostname", "hostname", "the machine's name"),
    JsonRule("facts.json", "server.time_zone", "time zone", "the machine's time zone (system_time_zone)"),
    JsonRule("facts.json", "source.port", "port", "a free port picked for each throwaway server"),
    JsonRule("facts.json", "variables.port", "port", "a free port picked for each throwaway server"),
    JsonRule("facts.json", "variables.report_port", "port", "defaults to the server's port"),
    JsonRule("facts.json", "variables.server_uid", "server uid", "random for every new data directory"),
    JsonRule("facts.json", "variables.hostname", "hostname", "the machine's name"),
    JsonRule("facts.json", "variables.wsrep_node_name", "hostname", "defaults to the machine's name"),
    JsonRule("facts.json", "variables.general_log_file", "hostname", "named after the machine: <hostname>.log",
             sub=(r"^[^/]+(?=\.log$)", "<hostname>")),
    JsonRule("facts.json", "variables.slow_query_log_file", "hostname",
             "named after the machine: <hostname>-slow.log", sub=(r"^[^/]+(?=-slow\.log$)", "<hostname>")),
    JsonRule("facts.json", "variables.system_time_zone", "time zone", "the machine's time zone"),
    JsonRule("facts.json", "variables.thread_pool_size", "cpu count", "defaults to the machine's CPU count"),
    JsonRule("facts.json", "variables.open_files_limit", "open files limit", "the machine's ulimit -n"),
    JsonRule("facts.json", "variables.version_ssl_library", "openssl version",
             "the machine's OpenSSL package, updated apart from MariaDB"),
    # --- the server's status counters and what is computed from them (keys kept, values not)
    JsonRule("facts.json", "status.first.*", "status counter", "SHOW GLOBAL STATUS moves with timing and load"),
    JsonRule("facts.json", "status.second.*", "status counter", "SHOW GLOBAL STATUS moves with timing and load"),
    JsonRule("facts.json", "status.interval_seconds", "duration", "measured time between the two samples"),
    JsonRule("facts.json", "workload.uptime_seconds", "uptime", "seconds since the throwaway server started"),
    JsonRule("facts.json", "workload.sampled_interval_seconds", "duration", "measured time between the samples"),
    JsonRule("facts.json", "workload.queries_total", "status counter", "Questions"),
    JsonRule("facts.json", "workload.qps_average_since_start", "rate", "Questions / Uptime"),
    JsonRule("facts.json", "workload.qps_sampled", "rate", "Questions over the sampled interval"),
    JsonRule("facts.json", "workload.rows_read_total", "status counter", "Rows_read"),
    JsonRule("facts.json", "workload.rows_written_total", "status counter", "Handler_write + _update + _delete"),
    JsonRule("facts.json", "workload.rows_read_per_day", "rate", "Rows_read / Uptime"),
    JsonRule("facts.json", "workload.rows_written_per_day", "rate", "rows written / Uptime"),
    JsonRule("facts.json", "provenance.*.window_seconds", "duration",
             "the seconds a derived figure covers: the server's uptime or the measured interval between the samples"),
    JsonRule("facts.json", "workload.digests", "digests",
             "the top 50 of the statement digests by server time (SUM_TIMER_WAIT): which ones, their order and "
             "timings vary; kept: how many, and every entry's keys", summary=digest_summary),
    JsonRule("facts.json", "workload.digest_rows", "status counter",
             "rows of the digest table in use when read: every statement shape that ran before on the server"),
    JsonRule("facts.json", "workload.notable_digests", "digests",
             "statements beyond the top 50 that PlanetScale rejects or limits: which fall outside the top 50 varies"
             " with timing; kept: every entry has a digest's keys", summary=notable_summary),
    # --- readiness.json: the two rules over the statements say how many they looked at beyond the top 50; which
    # statements fall outside the top 50 varies with timing (workload.notable_digests above): the three CREATE
    # SCHEMA of the load take 0.2-2 ms, the 50th digest 7-16 ms, and one slowed by a busy disk enters the top 50
    *(JsonRule("readiness.json", f"checks[id={check}].detail", "digest count",
               "the statements outside the top 50 digests that PlanetScale would reject or limit: how many varies "
               "with timing", sub=(r"(?<= top statement digests and )[0-9]+(?= more PlanetScale would reject or "
                                   r"limit)", "<n>"))
      for check in ("unsupported_statements", "workload_limits")),
    JsonRule("facts.json", "workload.transactions", "open transactions",
             "information_schema.INNODB_TRX at the moment it was read", summary=transactions_summary),
    # --- SHOW ENGINE INNODB STATUS: a snapshot of the engine's moving state
    *(JsonRule("facts.json", f"innodb_status.{name}", "innodb state", "InnoDB's state at the moment it was read")
      for name in ("buffer_pool_database_pages", "buffer_pool_free_pages", "buffer_pool_hit_rate",
                   "buffer_pool_modified_pages", "checkpoint_age", "history_list_length", "last_checkpoint",
                   "log_flushed_up_to", "log_sequence_number", "trx_id_counter")),
    # the background work after the load (statistics recalculation, purge, page flushing) runs its own
    # transactions and I/O: how many are listed at the moment varies (seen: transactions 2 or 3)
    *(JsonRule("facts.json", f"innodb_status.{name}", "innodb state", "InnoDB's background transactions and I/O "
               "at the moment it was read") for name in ("transactions", "transactions_active", "read_views_open",
                                                          "pending_reads", "pending_writes", "pending_fsyncs")),
    JsonRule("facts.json", "innodb_status.per_second_window_seconds", "duration",
             "the window InnoDB's per-second averages cover (seconds since its last report)"),
    # --- facts.json sizing: the rows computed from the status counters (SQL only: no cloud, no history here)
    *(rule for key in ("iops", "write_rate", "query_load_average", "query_load_peak", "connections") for rule in (
        JsonRule("facts.json", f"sizing.rows[key={key}].value", "rate", "computed from the status counters",
                 sub=(_N, "<n>")),
        JsonRule("facts.json", f"sizing.rows[key={key}].number", "rate", "computed from the status counters (a "
                 "whole number is written as an int)", any_number=True),
        JsonRule("facts.json", f"sizing.rows[key={key}].window", "duration",
                 "the uptime or the measured interval between the two status samples", sub=(_N, "<n>")))),
    # --- submission.json: the prefilled answers computed from the status counters
    JsonRule("submission.json", "answers[id=performance.qps_average].value", "rate", "Questions / Uptime",
             any_number=True),
    JsonRule("submission.json", "answers[id=performance.qps_peak].value", "rate", "Questions over the interval",
             any_number=True),
    JsonRule("submission.json", "answers[id=performance.traffic_pattern].value", "status counter",
             "read/write shares and counts from Com_*, over the uptime",
             sub=(rf"^{_N}% reads, {_N}% writes by statement count over the {_UPTIME} since the server started "
                  rf"\({_N} SELECT, {_N} INSERT/UPDATE/DELETE/REPLACE\)$",
                  "<n>% reads, <n>% writes by statement count over the <uptime> since the server started "
                  "(<n> SELECT, <n> INSERT/UPDATE/DELETE/REPLACE)")),
    JsonRule("submission.json", "answers[id=performance.cpu].value", "status counter",
             "Threads_running, Threads_connected and Max_used_connections",
             sub=(rf"^Threads_running {_N} during the run (.*); {_N} connection\(s\) of max_connections ({_N}); "
                  rf"at most {_N} at once since start",
                  r"Threads_running <n> during the run \1; <n> connection(s) of max_connections \2; "
                  "at most <n> at once since start")),
    JsonRule("submission.json", "answers[id=performance.memory].value", "innodb state",
             "buffer pool pages in use and the hit rate at the moment",
             sub=(rf"^InnoDB buffer pool: {_N} of ({_N}) pages hold data \({_N}%\), {_N} free; hit rate {_N}%",
                  r"InnoDB buffer pool: <n> of \1 pages hold data (<n>%), <n> free; hit rate <n>%")),
    JsonRule("submission.json", "answers[id=performance.io].value", "rate",
             "Innodb_data_reads/writes over the interval and the uptime",
             sub=(rf"^InnoDB data reads {_N}/s and writes {_N}/s sampled over {_N} s; {_N} reads/s and {_N} writes/s",
                  "InnoDB data reads <n>/s and writes <n>/s sampled over <n> s; <n> reads/s and <n> writes/s")),
)


def _tokens(path: str) -> list[str]:
    """Split a path: a.b[id=x.y].c gives a, b, [id=x.y], c (a selector's value may hold dots)."""
    return re.findall(r"\[[^\]]*\]|[^.\[]+", path)


def _select(node: Any, tokens: list[str]) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every value the path names."""
    if not tokens:
        return
    token, rest = tokens[0], tokens[1:]
    if token.startswith("["):
        if not isinstance(node, list):
            return
        inner = token[1:-1]
        if inner == "*":
            keys: list[Any] = list(range(len(node)))
        else:
            field_name, _, wanted = inner.partition("=")
            keys = [i for i, item in enumerate(node) if isinstance(item, dict) and item.get(field_name) == wanted]
    else:
        if not isinstance(node, dict):
            return
        keys = list(node) if token == "*" else [token] if token in node else []
    for key in keys:
        if rest:
            yield from _select(node[key], rest)
        else:
            yield node, key


def _replace_machine(value: Any, machine: Machine, hits: Counter[str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace_machine(v, machine, hits) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_machine(v, machine, hits) for v in value]
    if isinstance(value, str):
        for old, new in machine.substitutions():
            if old in value:
                hits[new] += 1
                value = value.replace(old, new)
    return value


def normalise_json(name: str, document: Any, machine: Machine, hits: Counter[str]) -> Any:
    document = _replace_machine(document, machine, hits)
    for rule in JSON_RULES:
        if rule.file != name:
            continue
        for container, key in list(_select(document, _tokens(rule.path))):
            value = container[key]
            if rule.summary is not None:
                container[key] = rule.summary(value)
            elif rule.sub is not None:
                if not isinstance(value, str):
                    continue
                value, count = re.subn(rule.sub[0], rule.sub[1], value)
                if not count:
                    continue
                container[key] = value
            else:
                container[key] = placeholder(rule.tag, value, rule.any_number)
            hits[_rule_id(rule)] += 1
    return document


# ------------------------------------------------------------------------------------------------------ text rules


@dataclass(frozen=True)
class TextRule:
    """In ``file``, a line under the heading ``scope`` (a regex matched at the start of the last heading line
    seen; None: anywhere) that fully matches ``pattern`` is rewritten to ``replacement`` (re.sub syntax)."""

    file: str
    scope: str | None
    pattern: str
    replacement: str
    why: str
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern))


# what starts a scope: the report's "## Title", the questionnaire's "`question.id`" line
HEADINGS = {"report.md": re.compile(r"^## "), "freeform_questions.md": re.compile(r"^`[a-z_]+\.[a-z_]+`$")}
_NV = r"^(\s*{name} \| )"  # a report's name | value line, right-aligned names

TEXT_RULES: tuple[TextRule, ...] = (
    TextRule("report.md", r"## PlanetScale Migration Pre-Check Report", _NV.format(name="System time") + r".+ UTC$",
             r"\1" + _TIME + " UTC", "wall-clock time of the run"),
    # Summary: status counters and the rates from them
    *(TextRule("report.md", "## Summary$", _NV.format(name=re.escape(name)) + _N + "$", r"\1<" + tag + ">",
               "computed from the status counters and the uptime")
      for name, tag in (("Rows written since startup", "status counter"), ("Rows read since startup", "status counter"),
                        ("Daily average rows written", "rate"), ("Daily average rows read", "rate"),
                        ("Queries per second (average)", "rate"), ("Queries per second (sampled)", "rate"))),
    # Sizing and pricing inputs: the rows computed from the status counters, and their windows
    TextRule("report.md", "## Sizing and pricing inputs$", rf"^(\s*IOPS \| InnoDB data reads ){_N}/s, writes {_N}/s "
             r"(\(sampled.*)$", r"\1<n>/s, writes <n>/s \2", "Innodb_data_reads/writes over the interval"),
    TextRule("report.md", "## Sizing and pricing inputs$", rf"^(\s*Write rate \(sharding signal\) \| ){_N}/s rows "
             rf"written on average \({_N} a day\)$", r"\1<n>/s rows written on average (<n> a day)",
             "rows written over the uptime"),
    TextRule("report.md", "## Sizing and pricing inputs$", rf"^(\s*Query load, (?:average|peak) \| ){_N}/s (.*)$",
             r"\1<n>/s \2", "Questions over the uptime or the interval"),
    TextRule("report.md", "## Sizing and pricing inputs$", rf"^(\s*Connections \| ){_N} connected during the run, "
             rf"at most {_N} at once (.*)$", r"\1<n> connected during the run, at most <n> at once \2",
             "Threads_connected and Max_used_connections"),
    TextRule("report.md", "## Sizing and pricing inputs$", rf"^(    from sql, window )(?:{_N} s|since start-up "
             rf"\({_UPTIME}\)|since start-up \({_N} s\))(: .*)$", r"\1<window>\2",
             "the uptime or the measured interval between the two status samples"),
    TextRule("report.md", None, r"^## Report On Port [0-9]+$", "## Report On Port <port>",
             "a free port picked for each throwaway server"),
    TextRule("report.md", "## Report On Port", _NV.format(name="Time") + r"[0-9-]+ [0-9:]+ \([A-Za-z0-9_/+:-]+\)$",
             r"\1" + _TIME + " (<time zone>)", "the server's clock at the run, in the machine's time zone"),
    TextRule("report.md", "## Report On Port", _NV.format(name="Hostname") + r".+$", r"\1<hostname>",
             "the machine's name"),
    TextRule("report.md", "## Report On Port", _NV.format(name="Started") + r"[0-9-]+ [0-9:]+ (\S+) \(up [0-9+:]+\)$",
             r"\1" + _TIME + r" \2 (up <uptime>)", "the throwaway server's start and uptime"),
    TextRule("report.md", "## Report On Port", _NV.format(name="Processes") + r"[0-9]+ connected, [0-9]+ running$",
             r"\1<n> connected, <n> running", "Threads_connected and Threads_running"),
    # Status Counters: the names shown are compared, their three rates are not
    TextRule("report.md", None, r"^## Status Counters \(Wait [0-9.]+ Seconds\)$",
             "## Status Counters (Wait <interval> Seconds)", "measured time between the two status samples"),
    TextRule("report.md", "## Status Counters", r"^(\s*Variable\s+Per day\s+Per second\s+)[0-9.]+ secs$",
             r"\1<interval> secs", "measured time between the two status samples"),
    TextRule("report.md", "## Status Counters", r"^(\s*[A-Z][A-Za-z_]+)\s+[0-9 ]+$", r"\1 <per day, per second, "
             r"per interval>", "the counters' rates over the uptime and the interval (a zero rate shows blank)"),
    # the questionnaire's prefilled answers computed from status counters (submission.json has the same values)
    TextRule("freeform_questions.md", "`performance.traffic_pattern`",
             rf"^> {_N}% reads, {_N}% writes by statement count over the {_UPTIME} since the server started "
             rf"\({_N} SELECT, {_N} INSERT/UPDATE/DELETE/REPLACE\)$",
             "> <n>% reads, <n>% writes by statement count over the <uptime> since the server started "
             "(<n> SELECT, <n> INSERT/UPDATE/DELETE/REPLACE)", "read/write shares and counts from Com_*"),
    TextRule("freeform_questions.md", "`performance.qps_average`", rf"^> {_N} queries/s$", "> <rate> queries/s",
             "Questions / Uptime"),
    TextRule("freeform_questions.md", "`performance.qps_average`",
             rf"^(_\(prefilled from .*\): Questions since the server started) {_UPTIME} ago (.*)$",
             r"\1 <uptime> ago \2", "the throwaway server's uptime"),
    TextRule("freeform_questions.md", "`performance.qps_peak`", rf"^> {_N} queries/s$", "> <rate> queries/s",
             "Questions over the sampled interval"),
    TextRule("freeform_questions.md", "`performance.qps_peak`",
             rf"^(_\(prefilled from .*\): a lower bound: the rate sampled over) {_N} s (.*)$",
             r"\1 <interval> \2", "measured time between the two status samples"),
    TextRule("freeform_questions.md", "`performance.cpu`",
             rf"^> Threads_running {_N} during the run (.*); {_N} connection\(s\) of max_connections ({_N}); "
             rf"at most {_N} at once since start (.*)$",
             r"> Threads_running <n> during the run \1; <n> connection(s) of max_connections \2; "
             r"at most <n> at once since start \3", "Threads_running, Threads_connected and Max_used_connections"),
    TextRule("freeform_questions.md", "`performance.memory`",
             rf"^> InnoDB buffer pool: {_N} of ({_N}) pages hold data \({_N}%\), {_N} free; hit rate {_N}% (.*)$",
             r"> InnoDB buffer pool: <n> of \1 pages hold data (<n>%), <n> free; hit rate <n>% \2",
             "buffer pool pages in use and the hit rate at the moment"),
    TextRule("freeform_questions.md", "`performance.io`",
             rf"^> InnoDB data reads {_N}/s and writes {_N}/s sampled over {_N} s; {_N} reads/s and {_N} writes/s "
             "(.*)$",
             r"> InnoDB data reads <n>/s and writes <n>/s sampled over <n> s; <n> reads/s and <n> writes/s \1",
             "Innodb_data_reads/writes over the interval and the uptime"),
)


@dataclass(frozen=True)
class GaugeLine:
    """In ``file``, the section whose heading starts with ``scope``: the line of the gauge ``name``, printed only
    when the gauge is not 0 at the moment it was read, is written as :meth:`line` whether the run printed it or
    not, at its place in the server's (alphabetical) order. Applies whenever the section has its header line."""

    file: str
    scope: str
    name: str
    why: str

    def line(self) -> str:
        return f"    {self.name} <printed only when not 0 at the first sample>"


# the original's Status Counters include this gauge (its counters_pattern): kept in the report, its line normalised
GAUGE_LINES: tuple[GaugeLine, ...] = (
    GaugeLine("report.md", "## Status Counters", "Threads_cached",
              "threads parked in the server's thread cache at the first status sample: a session that has just "
              "ended (the collection's read-ahead session, the test's own admin sessions) is parked or not yet, so "
              "it is 0 or 1 and its line (printed only when not 0) comes and goes"),
)
_COUNTER_LINE = re.compile(r"^\s+([A-Z][A-Za-z0-9_]*)\s")


def _gauge_line(rule: GaugeLine, lines: list[str], hits: Counter[str]) -> list[str]:
    heading = HEADINGS[rule.file]
    start = next((i for i, line in enumerate(lines) if line.startswith(rule.scope)), None)
    if start is None or start + 1 >= len(lines) or not re.match(r"^\s+Variable\s", lines[start + 1]):
        return lines
    end = next((i for i in range(start + 1, len(lines)) if heading.match(lines[i])), len(lines))
    body = [line for line in lines[start + 2:end]
            if not ((m := _COUNTER_LINE.match(line)) and m.group(1) == rule.name)]
    place = 0
    for i, line in enumerate(body):
        m = _COUNTER_LINE.match(line)
        if m and m.group(1).lower() < rule.name.lower():
            place = i + 1
    body.insert(place, rule.line())
    hits[_rule_id(rule)] += 1
    return lines[:start + 2] + body + lines[end:]


def normalise_text(name: str, text: str, machine: Machine, hits: Counter[str]) -> str:
    for old, new in machine.substitutions():
        if old in text:
            hits[new] += text.count(old)
            text = text.replace(old, new)
    heading_re = HEADINGS[name]
    rules = [r for r in TEXT_RULES if r.file == name]
    heading: str | None = None
    out = []
    for line in text.split("\n"):
        if heading_re.match(line):
            heading = line
        for rule in rules:
            if rule.scope is not None and (heading is None or not re.match(rule.scope, heading)):
                continue
            new, count = rule.compiled.subn(rule.replacement, line)
            if count and rule.compiled.fullmatch(line):
                hits[_rule_id(rule)] += 1
                line = new
                break
        out.append(line)
    for gauge in GAUGE_LINES:
        if gauge.file == name:
            out = _gauge_line(gauge, out, hits)
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------------ both


def _rule_id(rule: JsonRule | TextRule | GaugeLine) -> str:
    if isinstance(rule, JsonRule):
        return f"{rule.file}: {rule.path}"
    if isinstance(rule, GaugeLine):
        return f"{rule.file}: {rule.scope}: the line of {rule.name}, present or not"
    return f"{rule.file}: {rule.scope or '(anywhere)'}: {rule.pattern}"


def all_rule_ids() -> list[str]:
    return ([_rule_id(rule) for rule in JSON_RULES] + [_rule_id(rule) for rule in TEXT_RULES]
            + [_rule_id(rule) for rule in GAUGE_LINES] + ["<server dir>", "<socket dir>"])


def normalise(raw: Mapping[str, str], machine: Machine) -> tuple[dict[str, str], Counter[str]]:
    """The archive's files (name -> text, the report as report.md) normalised, and how often each rule hit."""
    hits: Counter[str] = Counter()
    out: dict[str, str] = {}
    for name in FILES:
        if name not in raw:
            continue
        if name in JSON_FILES:
            document = normalise_json(name, json.loads(raw[name]), machine, hits)
            out[name] = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        else:
            out[name] = normalise_text(name, raw[name], machine, hits)
    return out, hits


def unused_rules(hits: Counter[str]) -> list[str]:
    return [rule for rule in all_rule_ids() if not hits[rule]]


def write_golden(directory: Path, files: Mapping[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
