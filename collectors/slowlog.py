"""Slow query digests: every statement reduced to a fingerprint (no literal left), aggregated per fingerprint.

Shared by the two sources of slow queries: the ``mysql.slow_log`` table (collectors.slowlog_table) and
slow log files (prechecks.slowlog, which parses the file format and feeds :class:`SlowLogDigest`).

A fingerprint is made in two steps, and nothing but the second step's output is ever kept:

1. a regex pass (:func:`strip_literals`) replaces every quoted string (escapes and doubled quotes
   included, with any charset introducer or x/b/n prefix), number, hex and bit literal by ``?`` and drops
   comments (``/* user data */`` may hold data); IN lists and VALUES rows are collapsed to one; then
   :func:`collectors.workload.scrub_digest_text` keeps only the verb of statements that name accounts
   (GRANT, CREATE USER, SET PASSWORD...) and turns account names into ``?@?``;
2. that text is parsed by sqlglot (MySQL dialect) and printed again: keywords in capitals, identifiers
   in backquotes, layout normalised; any literal left in the tree becomes ``?``. A statement sqlglot
   cannot parse (or keeps as an opaque command) keeps the text of step 1 (counted as ``fallback``).

The result is checked for anything literal-like (a quote, a comment, a number outside an identifier);
a statement that fails the check is counted as ``unparsed``, without its text. Both steps are cached by
the text of step 1 (statements that differ only in their literals are parsed once).

Memory is bounded: at most ``max_fingerprints`` distinct fingerprints are kept (the statements of any
further one are counted under ``other``), fingerprint texts are cut at MAX_FINGERPRINT_CHARS, schemas
per fingerprint at SCHEMAS_PER_FINGERPRINT, and the parse cache at CACHE_SIZE entries.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collectors.numbers import as_int
from collectors.workload import scrub_digest_text

MAX_FINGERPRINTS = 10_000
TOP_DIGESTS = 50
MAX_FINGERPRINT_CHARS = 2_000  # the stored text is cut here; the id is taken from the whole
MAX_PARSE_CHARS = 20_000  # longer statements are fingerprinted by the regex pass alone
SCHEMAS_PER_FINGERPRINT = 10
CACHE_SIZE = 20_000
WITHHELD_MARK = "(text withheld: it can name accounts)"
CUT_MARK = " …"

# One pass over the statement: runs of harmless text (words, backquoted names, spaces, punctuation that
# starts no literal or comment) are kept in one match, for speed; comments become a space and literals
# (strings with any charset introducer or x/b/n prefix, hex, bit, numbers) become ?. Text that matches
# none of these is kept as it is (the check below rejects anything literal-like that got through).
_KEEP = (r"(?:[^\W\d][\w$]*|\$[\w$]*)(?![\w$'\"])|`(?:[^`]|``)*`|\s+|\.(?!\d)|-(?!-(?=\s|\Z))|/(?!\*)"
         r"|[(),;=<>!+*%&|^~:@?\[\]{}\\]")
_SCRUB = re.compile(
    r"(?P<keep>(?:" + _KEEP + r")+)"
    r"|(?P<comment>/\*.*?(?:\*/|\Z)|--(?=\s|\Z)[^\n]*|\#[^\n]*)"
    r"|(?P<literal>(?:_[A-Za-z0-9]+\s*|(?<![\w$])[xXbBnN])?'(?:[^'\\]|\\.|'')*(?:'|\Z)"
    r"|\"(?:[^\"\\]|\\.|\"\")*(?:\"|\Z)"
    r"|(?<![\w$])0[xXbB][0-9A-Fa-f]+(?![\w$])"
    r"|(?<![\w$@])(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w$]))",
    re.DOTALL,
)
_IN_LIST = re.compile(r"\bIN\s*\(\s*\?(?:\s*,\s*\?)+\s*\)", re.IGNORECASE)
_ROW = r"\((?:[^()]|\([^()]*\))*\)"
_VALUES_ROWS = re.compile(r"(\bVALUES?\s*)(" + _ROW + r")(?:\s*,\s*" + _ROW + r")+", re.IGNORECASE)
_BACKQUOTED = re.compile(r"`(?:[^`]|``)*`")
# what a literal or a comment looks like once the backquoted identifiers are set aside
_LEFTOVER = re.compile(
    r"['\"]|/\*|\*/|--(?=\s|$)|#"
    r"|(?<![\w$])0[xXbB][0-9A-Fa-f]+"
    r"|(?<![\w$@])(?:\d+(?:\.\d*)?|\.\d+)(?![\w$])"
)
_ADMIN_COMMAND = re.compile(r"^[A-Za-z][A-Za-z _]{0,40}$")


def fingerprint_id(text: str) -> str:
    """A stable short id of a fingerprint: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def is_scrubbed(text: str) -> bool:
    """True when ``text`` holds nothing that looks like a literal or a comment (identifiers aside)."""
    return _LEFTOVER.search(_BACKQUOTED.sub("``", text)) is None


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    return match.group() if kind == "keep" else " " if kind == "comment" else "?"


def strip_literals(text: str) -> str:
    """Every literal -> ``?``, every comment -> a space, whitespace collapsed (names and keywords kept)."""
    return " ".join(_SCRUB.sub(_replace, text).split())


def collapse_lists(text: str) -> str:
    """``IN (?, ?, ?)`` -> ``IN (?)``; ``VALUES (?, ?), (?, ?)`` -> ``VALUES (?, ?)``."""
    text = _IN_LIST.sub("IN (?)", text)
    return _VALUES_ROWS.sub(lambda m: m.group(1) + m.group(2), text)


@dataclass(frozen=True)
class Fingerprint:
    text: str
    method: str  # "sqlglot", "fallback" (regex pass only), "withheld", "admin"
    truncated: bool = False  # the statement was cut before it reached us (a prefix was fingerprinted)

    @property
    def id(self) -> str:
        return fingerprint_id(self.text)


# a statement of a shape not seen before, when the digest is full: counted as other, never looked at
UNSEEN = Fingerprint("", "unseen")


def _load_sqlglot() -> Any:
    try:
        import sqlglot
        import sqlglot.dialects.mysql  # sqlglot loads dialects by name: a bundler (PyInstaller) sees this one
    except ImportError:  # the regex pass alone still removes every literal
        return None
    # sqlglot logs a warning for each statement it keeps as an opaque Command: not for our users
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    return sqlglot


class Fingerprinter:
    """statement text -> Fingerprint (None: no safe fingerprint). Caches by the scrubbed shape."""

    def __init__(self, *, use_sqlglot: bool = True, cache_size: int = CACHE_SIZE) -> None:
        self._use_sqlglot = use_sqlglot
        self._loaded: Any = None  # sqlglot, imported on the first statement (0.4 s: not for an empty log)
        self._cache: OrderedDict[str, Fingerprint | None] = OrderedDict()
        self._cache_size = cache_size

    @property
    def _sqlglot(self) -> Any:
        if self._use_sqlglot and self._loaded is None:
            self._loaded = _load_sqlglot()
            self._use_sqlglot = self._loaded is not None
        return self._loaded

    @property
    def uses_sqlglot(self) -> bool:
        return self._sqlglot is not None

    def __call__(self, sql: str, *, truncated: bool = False, parse: bool = True) -> Fingerprint | None:
        """``truncated``: ``sql`` is a prefix (fingerprinted by the regex pass, marked as cut).
        ``parse=False``: a shape not seen before is not looked at (UNSEEN is returned)."""
        shape = collapse_lists(strip_literals(sql)).rstrip("; ").strip()
        if not shape:
            return None
        if truncated:
            found = self._checked(shape)
            if found is None or found.method == "withheld":
                return found
            return Fingerprint(found.text + CUT_MARK, "fallback", truncated=True)
        if shape in self._cache:
            self._cache.move_to_end(shape)
            return self._cache[shape]
        if not parse:
            return UNSEEN
        found = self._normalise(shape)
        self._cache[shape] = found
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return found

    def _checked(self, shape: str) -> Fingerprint | None:
        """The regex fingerprint: verbs-only for statements that name accounts, accounts as ``?@?``,
        checked for leftovers (None when anything literal-like remains)."""
        text = scrub_digest_text(shape)  # idempotent on literals; adds the account rules
        if text.endswith(WITHHELD_MARK):
            return Fingerprint(text, "withheld")
        if not text or not is_scrubbed(text):
            return None
        return Fingerprint(text, "fallback")

    def _normalise(self, shape: str) -> Fingerprint | None:
        checked = self._checked(shape)
        if checked is None or checked.method == "withheld":
            return checked
        shape = checked.text
        if self._sqlglot is not None and len(shape) <= MAX_PARSE_CHARS:
            text = self._parsed(shape)
            if text is not None and is_scrubbed(text):
                return Fingerprint(text, "sqlglot")
        return Fingerprint(shape, "fallback")

    def _parsed(self, shape: str) -> str | None:
        sqlglot = self._sqlglot
        exp = sqlglot.exp
        try:
            trees = sqlglot.parse(shape, read="mysql")
            if not trees or any(t is None or isinstance(t, exp.Command) for t in trees):
                return None  # kept as opaque text by sqlglot: the regex pass says as much
            out = []
            for tree in trees:
                _placeholders(tree, exp)
                out.append(tree.sql(dialect="mysql"))
        except Exception:  # any parser or generator error: the regex pass stands
            return None
        text = "; ".join(t for t in out if t)
        return " ".join(text.split()) or None


def _placeholders(tree: Any, exp: Any) -> None:
    """Every literal -> ?, IN lists and VALUES rows collapsed, identifiers quoted (variables not)."""
    literal_types = tuple(getattr(exp, name) for name in
                          ("Literal", "HexString", "BitString", "ByteString", "National", "RawString")
                          if hasattr(exp, name))
    for node in list(tree.find_all(*literal_types)):
        node.replace(exp.Placeholder())
    for node in tree.find_all(exp.In):
        if len(node.args.get("expressions") or ()) > 1:
            node.set("expressions", [exp.Placeholder()])
    for node in tree.find_all(exp.Values):
        rows = node.args.get("expressions") or []
        if len(rows) > 1:
            node.set("expressions", rows[:1])
    variables = (exp.SessionParameter, exp.Parameter)
    for ident in tree.find_all(exp.Identifier):
        ident.set("quoted", ident.find_ancestor(*variables) is None)


def admin_fingerprint(command: str) -> Fingerprint | None:
    """``# administrator command: Quit;`` -> ``administrator command: Quit`` (the command's name only)."""
    name = " ".join(command.strip().rstrip(";").split())
    if not _ADMIN_COMMAND.match(name):
        return None
    return Fingerprint(f"administrator command: {name}", "admin")


# --------------------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class SlowQuery:
    """One logged statement, as a source read it. ``sql`` never leaves the digest."""

    sql: str
    query_time: float = 0.0
    lock_time: float = 0.0
    rows_sent: int = 0
    rows_examined: int = 0
    schema: str | None = None
    seen: float | None = None  # Unix time (UTC)
    admin_command: str | None = None
    truncated: bool = False


@dataclass
class DigestEntry:
    fingerprint: Fingerprint
    count: int = 0
    query_time_total: float = 0.0
    query_time_max: float = 0.0
    lock_time_total: float = 0.0
    rows_examined_total: int = 0
    rows_examined_max: int = 0
    rows_sent_total: int = 0
    first_seen: float | None = None
    last_seen: float | None = None
    schemas: set[str] = field(default_factory=set)
    schemas_cut: bool = False

    def add(self, query: SlowQuery) -> None:
        self.count += 1
        self.query_time_total += query.query_time
        self.query_time_max = max(self.query_time_max, query.query_time)
        self.lock_time_total += query.lock_time
        self.rows_examined_total += query.rows_examined
        self.rows_examined_max = max(self.rows_examined_max, query.rows_examined)
        self.rows_sent_total += query.rows_sent
        self._seen(query.seen, query.seen)
        if query.schema:
            self._schemas((query.schema,))

    def merge(self, other: DigestEntry) -> None:
        self.count += other.count
        self.query_time_total += other.query_time_total
        self.query_time_max = max(self.query_time_max, other.query_time_max)
        self.lock_time_total += other.lock_time_total
        self.rows_examined_total += other.rows_examined_total
        self.rows_examined_max = max(self.rows_examined_max, other.rows_examined_max)
        self.rows_sent_total += other.rows_sent_total
        self._seen(other.first_seen, other.last_seen)
        self._schemas(other.schemas)
        self.schemas_cut = self.schemas_cut or other.schemas_cut

    def _seen(self, first: float | None, last: float | None) -> None:
        if first is not None and (self.first_seen is None or first < self.first_seen):
            self.first_seen = first
        if last is not None and (self.last_seen is None or last > self.last_seen):
            self.last_seen = last

    def _schemas(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self.schemas:
                continue
            if len(self.schemas) >= SCHEMAS_PER_FINGERPRINT:
                self.schemas_cut = True
                return
            self.schemas.add(name)

    def as_fact(self) -> dict[str, Any]:
        text = self.fingerprint.text
        cut = len(text) > MAX_FINGERPRINT_CHARS
        count = max(self.count, 1)
        return {
            "id": self.fingerprint.id,
            "fingerprint": text[:MAX_FINGERPRINT_CHARS].rstrip() + CUT_MARK if cut else text,
            "method": self.fingerprint.method,
            "truncated": self.fingerprint.truncated or cut,
            "count": self.count,
            "total_seconds": round(self.query_time_total, 6),
            "avg_seconds": round(self.query_time_total / count, 6),
            "max_seconds": round(self.query_time_max, 6),
            "lock_total_seconds": round(self.lock_time_total, 6),
            "lock_avg_seconds": round(self.lock_time_total / count, 6),
            "rows_examined": self.rows_examined_total,
            "rows_examined_avg": round(self.rows_examined_total / count, 1),
            "rows_examined_max": self.rows_examined_max,
            "rows_sent": self.rows_sent_total,
            "rows_sent_avg": round(self.rows_sent_total / count, 1),
            "first_seen": format_time(self.first_seen),
            "last_seen": format_time(self.last_seen),
            "schemas": sorted(self.schemas) + (["(more)"] if self.schemas_cut else []),
        }


def format_time(moment: float | None) -> str | None:
    if moment is None:
        return None
    try:
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


class SlowLogDigest:
    """Slow queries aggregated per fingerprint, in bounded memory; ``as_fact()`` is what gets written."""

    def __init__(self, *, max_fingerprints: int = MAX_FINGERPRINTS, fingerprinter: Fingerprinter | None = None) -> None:
        self.max_fingerprints = max_fingerprints
        self.fingerprinter = fingerprinter or Fingerprinter()
        self.entries: dict[str, DigestEntry] = {}  # fingerprint text -> entry
        self.statements = 0  # every statement read, whatever became of it
        self.unparsed = 0  # no safe fingerprint: counted, never kept
        self.fallback = 0  # fingerprinted by the regex pass alone (sqlglot could not parse it)
        self.corrupt = 0  # entries of a log file that were truncated or garbled: skipped
        self.other_statements = 0  # beyond max_fingerprints: counted, not kept
        self.other_seconds = 0.0
        self.query_time_total = 0.0
        self.first_seen: float | None = None
        self.last_seen: float | None = None

    def add(self, query: SlowQuery) -> Fingerprint | None:
        self.statements += 1
        self.query_time_total += query.query_time
        if query.seen is not None:
            self.first_seen = query.seen if self.first_seen is None else min(self.first_seen, query.seen)
            self.last_seen = query.seen if self.last_seen is None else max(self.last_seen, query.seen)
        full = len(self.entries) >= self.max_fingerprints
        if query.admin_command is not None:
            found = admin_fingerprint(query.admin_command)
        else:  # once full, a shape never seen is not parsed: it could only be counted as other
            found = self.fingerprinter(query.sql, truncated=query.truncated, parse=not full)
        if found is None:
            self.unparsed += 1
            return None
        entry = self.entries.get(found.text) if found is not UNSEEN else None
        if entry is None:
            if full:
                self.other_statements += 1
                self.other_seconds += query.query_time
                return found
            entry = self.entries[found.text] = DigestEntry(found)
        if found.method == "fallback":
            self.fallback += 1
        entry.add(query)
        return found

    def merge(self, other: SlowLogDigest) -> None:
        """Add another digest's counts (e.g. the next file of a rotated log)."""
        self.statements += other.statements
        self.unparsed += other.unparsed
        self.fallback += other.fallback
        self.corrupt += other.corrupt
        self.other_statements += other.other_statements
        self.other_seconds += other.other_seconds
        self.query_time_total += other.query_time_total
        for moment in (other.first_seen, other.last_seen):
            if moment is not None:
                self.first_seen = moment if self.first_seen is None else min(self.first_seen, moment)
                self.last_seen = moment if self.last_seen is None else max(self.last_seen, moment)
        for text, theirs in other.entries.items():
            mine = self.entries.get(text)
            if mine is None:
                if len(self.entries) >= self.max_fingerprints:
                    self.other_statements += theirs.count
                    self.other_seconds += theirs.query_time_total
                    continue
                mine = self.entries[text] = DigestEntry(theirs.fingerprint)
            mine.merge(theirs)

    def top(self, limit: int = TOP_DIGESTS) -> list[DigestEntry]:
        """The fingerprints with the most total query time (then the most executions)."""
        ranked = sorted(self.entries.values(),
                        key=lambda e: (-e.query_time_total, -e.count, e.fingerprint.id))
        return ranked[:limit]

    def as_fact(self, limit: int = TOP_DIGESTS) -> dict[str, Any]:
        return {
            "statements": self.statements,
            "fingerprints": len(self.entries),
            "unparsed": self.unparsed,
            "fallback": self.fallback,
            "corrupt_entries": self.corrupt,
            "other": {"statements": self.other_statements, "total_seconds": round(self.other_seconds, 6)},
            "max_fingerprints": self.max_fingerprints,
            "total_seconds": round(self.query_time_total, 6),
            "first_seen": format_time(self.first_seen),
            "last_seen": format_time(self.last_seen),
            "top": limit,
            "digests": [entry.as_fact() for entry in self.top(limit)],
        }


def summary_line(fact: Mapping[str, Any]) -> str:
    """``12,345 statements, 87 fingerprints, 3 unparsed`` (+ what was skipped or cut), from as_fact()."""
    parts = [f"{as_int(fact.get('statements'), 0):,} statements",
             f"{as_int(fact.get('fingerprints'), 0):,} fingerprints",
             f"{as_int(fact.get('unparsed'), 0):,} unparsed"]
    corrupt = as_int(fact.get("corrupt_entries"), 0)
    if corrupt:
        parts.append(f"{corrupt:,} truncated or corrupt entries skipped")
    other = as_int((fact.get("other") or {}).get("statements"), 0) if isinstance(fact.get("other"), Mapping) else 0
    if other:
        parts.append(f"{other:,} more statements beyond the first {as_int(fact.get('max_fingerprints'), 0):,} "
                     "fingerprints, counted as other")
    return ", ".join(parts)


