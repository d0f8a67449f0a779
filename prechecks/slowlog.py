"""Slow query log files -> a digest of fingerprints; the digest files of the archive.

The file format of MySQL 5.6-8.x and MariaDB 10.x is read as a stream, one entry at a time:

    # Time: 2024-05-01T10:00:00.123456Z            (MariaDB: "# Time: 240501 10:00:00", not on every entry)
    # User@Host: app[app] @ web1 [10.0.0.5]  Id: 42  (read to find the entry's start, never kept)
    # Thread_id: 42  Schema: shop  QC_hit: No       (MariaDB; more "# Key: value" lines may follow)
    # Query_time: 1.5  Lock_time: 0.0001  Rows_sent: 1  Rows_examined: 100000
    use shop;                                         (only when the default schema changed)
    SET timestamp=1714557600;
    SELECT ... ;                                      (one or more lines; the server always ends it with ";")

plus ``# administrator command: Quit;`` in place of a statement, and the start banner the server writes
whenever it (re)opens the log (``mariadbd, Version: ... started with:`` / ``Tcp port: ...`` /
``Time Id Command Argument``), also in the middle of a file. An entry cut short (a statement without its
closing ``;``, a header without a statement, lines outside any entry) is counted as corrupt and skipped.

Each statement is fingerprinted at once (collectors.slowlog) and only the aggregate is kept, so memory
stays bounded however big the log; gzip-compressed logs are read as they are. The account (``User@Host``)
is never kept. The digest goes into the facts (``slow_log.files``) and, rendered by
:func:`digest_files`, into ``slow-log-digest.md`` and ``slow-log-digest.json``; the log itself never
goes into the archive unless the user attaches it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from calendar import timegm
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from collectors.base import SYSTEM_SCHEMAS
from collectors.connection import CancelToken
from collectors.numbers import as_int, as_number
from collectors.slowlog import (
    TOP_DIGESTS,
    Fingerprinter,
    SlowLogDigest,
    SlowQuery,
    fingerprint_id,
    summary_line,
)
from prechecks.escape import markdown, markdown_prose, visible
from prechecks.redaction import Redactor

DIGEST_MD = "slow-log-digest.md"
DIGEST_JSON = "slow-log-digest.json"
DIGEST_FORMAT_VERSION = 1
SNIFF_BYTES = 1_000_000  # a slow log shows an entry header within this much
MAX_LINE_BYTES = 1 << 20  # a longer line is read in pieces
MAX_STATEMENT_CHARS = 1 << 20  # a longer statement is fingerprinted from this prefix, marked truncated
REPORT_TOP = 10

# the lines the server writes when it (re)opens the log
_BANNER = re.compile(r"^(?:\S.*, Version: .*started with:\s*|Tcp port: \d+\s+Unix socket: .*"
                     r"|Time\s+Id\s+Command\s+Argument\s*)$")
_HEADER = re.compile(r"^# (?P<key>[A-Za-z_@]+(?: command)?):(?P<rest>.*)$")
_ENTRY_START = frozenset({"Time", "User@Host", "Thread_id", "Query_time"})
_USE = re.compile(r"^use\s+(?P<schema>`(?:[^`]|``)+`|[^\s;`]+)\s*;\s*$", re.IGNORECASE)
_SET_TIMESTAMP = re.compile(r"^SET\s+timestamp\s*=\s*(?P<epoch>\d+(?:\.\d+)?)\s*;\s*$", re.IGNORECASE)
_MYSQL_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_MARIADB_TIME = re.compile(r"^(\d{2})(\d{2})(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2})$")
_COMPRESSED = ((b"BZh", "bzip2", "bunzip2"), (b"\xfd7zXZ\x00", "xz", "unxz"), (b"\x28\xb5\x2f\xfd", "zstd", "unzstd"))


class SlowLogError(ValueError):
    """A slow log that cannot be read: one line with the cause and the remedy."""


# --------------------------------------------------------------------------------------- reading


def _open(path: Path) -> IO[bytes]:
    """The file's bytes (gunzipped on the fly); SlowLogError names the cause and the remedy."""
    shown = str(path)
    try:
        if path.is_dir():
            raise SlowLogError(f"slow log {shown} is a directory — pass the log file itself (slow_query_log_file)")
        raw = path.open("rb")
    except FileNotFoundError:
        raise SlowLogError(f"slow log {shown}: no such file — check the path (the server's slow_query_log_file "
                           "variable names it)") from None
    except PermissionError:
        raise SlowLogError(f"slow log {shown}: permission denied — run as a user who can read it (often mysql "
                           "or root), or copy it somewhere readable") from None
    except OSError as exc:
        raise SlowLogError(f"slow log {shown}: cannot read it ({exc.strerror or exc}) — check the file") from None
    magic = raw.read(6)
    raw.seek(0)
    if magic[:2] == b"\x1f\x8b":
        raw.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    for prefix, kind, tool in _COMPRESSED:
        if magic.startswith(prefix):
            raw.close()
            raise SlowLogError(f"slow log {shown} is {kind}-compressed — decompress it first ({tool} {shown})")
    return raw


def check_slow_log(path: Path | str) -> None:
    """Cheap check before any work: the file exists, is readable, and looks like a slow log."""
    path = Path(path).expanduser()
    with _open(path) as handle:
        try:
            head = handle.read(SNIFF_BYTES)
        except (OSError, EOFError) as exc:
            raise SlowLogError(f"slow log {path}: cannot read it ({exc}) — check the file") from None
    lines = [line for line in head.decode("utf-8", "replace").splitlines() if line.strip()]
    if len(head) == SNIFF_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut
    if any(line.startswith(("# Query_time:", "# User@Host:")) for line in lines):
        return
    if all(_BANNER.match(line) for line in lines):  # empty, or a log the server has just (re)opened
        return
    raise SlowLogError(f"{path} does not look like a MySQL/MariaDB slow query log (no '# Query_time:' or "
                       f"'# User@Host:' line in its first {SNIFF_BYTES // 1_000_000} MB) — pass the file the server's "
                       "slow_query_log_file variable names (not the general or error log)")


def _lines(handle: IO[bytes], consumed: list[int]) -> Iterator[tuple[str, bool]]:
    """(line without its end, continues the previous piece): lines longer than MAX_LINE_BYTES come in pieces.

    ``consumed[0]`` counts the bytes read (uncompressed), for progress.
    """
    continued = False
    while True:
        raw = handle.readline(MAX_LINE_BYTES)
        if not raw:
            return
        consumed[0] += len(raw)
        ended = raw.endswith(b"\n")
        yield raw.rstrip(b"\r\n").decode("utf-8", "replace"), continued
        continued = not ended


def _header_fields(rest: str) -> dict[str, str]:
    """``Thread_id: 8  Schema:   QC_hit: No`` -> {"Thread_id": "8", "Schema": "", "QC_hit": "No"}."""
    fields: dict[str, str] = {}
    tokens = rest.split()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.endswith(":") and len(token) > 1:
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is not None and not following.endswith(":"):
                fields[token[:-1]] = following
                index += 2
                continue
            fields[token[:-1]] = ""
        index += 1
    return fields


def _time_header(value: str) -> float | None:
    """``# Time:`` as Unix time: MySQL 5.7+ ISO (UTC), or MariaDB/MySQL 5.6 ``YYMMDD H:MM:SS`` (server time)."""
    value = value.strip()
    match = _MYSQL_TIME.match(value)
    if match:
        try:
            moment = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
        except ValueError:
            return None
        return float(timegm(moment.timetuple()))
    match = _MARIADB_TIME.match(value)
    if match:
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
        try:
            moment = datetime(2000 + year, month, day, hour, minute, second)
        except ValueError:
            return None
        return float(timegm(moment.timetuple()))
    return None


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") and name.endswith("`") else name


def _starts_another(key: str, seen: set[str]) -> bool:
    """Whether header ``key`` begins a new entry, after an entry with the headers ``seen`` and no statement."""
    if key == "Time":  # always the first line of an entry
        return bool(seen)
    if key == "User@Host":  # first, or right after # Time:
        return bool(seen - {"Time"})
    return key in _ENTRY_START and key in seen


@dataclass
class _Entry:
    headers: dict[str, str] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    body: list[str] = field(default_factory=list)
    body_chars: int = 0
    oversize: bool = False
    timestamp: float | None = None
    time_header: str | None = None
    admin: str | None = None
    schema: str | None = None


@dataclass
class SlowLogFile:
    """One parsed file: its digest and what was read."""

    name: str  # the file's base name, for the digest
    path: Path
    size: int
    digest: SlowLogDigest
    entries: int = 0  # complete entries read (each a statement or an administrator command)
    error: str | None = None  # the file could not be read to the end: why (what was read is kept)

    def summary(self) -> str:
        return summary_line(self.digest.as_fact(limit=0))

    def counts(self) -> str:
        """``7 statements, 5 fingerprints, 0 unparsed``: the short form of summary()."""
        digest = self.digest
        return f"{digest.statements:,} statements, {len(digest.entries):,} fingerprints, {digest.unparsed:,} unparsed"

    def as_fact(self) -> dict[str, Any]:
        fact: dict[str, Any] = {"name": self.name, "bytes": self.size, "entries": self.entries,
                                "statements": self.digest.statements, "unparsed": self.digest.unparsed,
                                "corrupt_entries": self.digest.corrupt}
        if self.error:
            fact["error"] = self.error
        return fact


class _Parser:
    """The entry state machine; feeds every complete entry to the digest."""

    def __init__(self, digest: SlowLogDigest) -> None:
        self.digest = digest
        self.entry: _Entry | None = None
        self.schema: str | None = None  # the last `use db;` (the server writes it only when it changes)
        self.orphan = False  # inside lines that belong to no entry
        self.entries = 0

    def feed(self, line: str, continued: bool) -> None:
        entry = self.entry
        if continued:  # a piece of a very long line: always statement text
            if entry is not None and entry.body:
                self._body(entry, line)
            return
        if _BANNER.match(line):
            self.finish()
            return
        header = _HEADER.match(line) if line.startswith("# ") else None
        if header is not None:
            key, rest = header.group("key"), header.group("rest")
            if entry is not None and entry.body and key not in _ENTRY_START:
                self._body(entry, line)  # a comment line inside a statement
                return
            if entry is not None and (entry.body or entry.admin is not None):
                self.finish()  # the next entry starts
                entry = None
            if key == "administrator command":
                if entry is None:
                    entry = self.entry = _Entry()
                entry.admin = rest.strip()
                return
            if entry is not None and _starts_another(key, entry.keys):
                self.finish()  # the entry before never got its statement: counted as corrupt
                entry = None
            if entry is None:
                entry = self.entry = _Entry()
                self.orphan = False
            entry.keys.add(key)
            if key == "Time":
                entry.time_header = rest  # parsed only if the entry has no SET timestamp
            elif key not in ("User@Host", "explain"):  # the account is never read; explain is a plan
                entry.headers.update(_header_fields(f"{key}:{rest}"))
            return
        if entry is None or entry.admin is not None:
            if line.strip() and line.strip() != "#" and not self.orphan:
                self.orphan = True  # text outside any entry (a log cut at its start, or garbage)
                self.digest.corrupt += 1
            return
        if not entry.body:
            if line.strip() in ("", "#"):
                return
            use = _USE.match(line) if entry.timestamp is None else None
            if use is not None:
                entry.schema = self.schema = _unquote(use.group("schema"))
                return
            stamp = _SET_TIMESTAMP.match(line)
            if stamp is not None:
                entry.timestamp = float(stamp.group("epoch"))
                return
        self._body(entry, line)

    @staticmethod
    def _body(entry: _Entry, line: str) -> None:
        if entry.oversize:
            return
        room = MAX_STATEMENT_CHARS - entry.body_chars
        if len(line) >= room:
            line, entry.oversize = line[:room], True
        entry.body.append(line)
        entry.body_chars += len(line) + 1

    def finish(self) -> None:
        """The current entry is complete (or cut short): add it to the digest, or count it as corrupt."""
        entry, self.entry = self.entry, None
        self.orphan = False
        if entry is None:
            return
        headers = entry.headers
        sql = "\n".join(entry.body).rstrip()
        complete = entry.admin is not None or (bool(sql) and (sql.endswith(";") or entry.oversize))
        if "Query_time" not in headers or not complete:
            self.digest.corrupt += 1
            return
        self.entries += 1
        # MariaDB names the schema in every header (empty: none); MySQL writes `use db;` when it changes
        schema = headers.get("Schema", entry.schema or self.schema)
        self.digest.add(SlowQuery(
            sql=sql,
            query_time=float(as_number(headers.get("Query_time")) or 0),
            lock_time=float(as_number(headers.get("Lock_time")) or 0),
            rows_sent=as_int(headers.get("Rows_sent"), 0),
            rows_examined=as_int(headers.get("Rows_examined"), 0),
            schema=schema or None,
            seen=entry.timestamp if entry.timestamp is not None else _time_header(entry.time_header or ""),
            admin_command=entry.admin,
            truncated=entry.oversize,
        ))


def read_slow_log(
    path: Path | str,
    *,
    digest: SlowLogDigest | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SlowLogFile:
    """Parse one slow log file into a digest (a new one, or ``digest`` to add to).

    Raises SlowLogError when the file cannot be opened or is not a slow log. A read error half-way
    keeps what was read and says so in ``error``. ``progress(bytes_read, size)`` is called now and then;
    ``cancel`` is checked as often (collectors.connection.Cancelled).
    """
    path = Path(path).expanduser()
    check_slow_log(path)
    digest = digest if digest is not None else SlowLogDigest(fingerprinter=Fingerprinter())
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    parser = _Parser(digest)
    error: str | None = None
    consumed = [0]
    with _open(path) as handle:
        try:
            for number, (line, continued) in enumerate(_lines(handle, consumed), 1):
                parser.feed(line, continued)
                if number % 20_000 == 0:
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    if progress is not None:
                        progress(consumed[0], size)
        except (OSError, EOFError) as exc:  # a disk error, a gzip file cut short
            error = f"read stopped after {consumed[0]:,} bytes: {exc}"
            parser.entry = None  # the entry being read is incomplete: not counted either way
            digest.corrupt += 1
        parser.finish()
    if progress is not None:
        progress(size, size)
    return SlowLogFile(path.name, path, size, digest, parser.entries, error)


# --------------------------------------------------------------------------------------- the facts


def files_fact(files: Sequence[SlowLogFile]) -> dict[str, Any]:
    """``slow_log.files``: the files' digests merged into one (rotated logs of one server add up)."""
    merged = SlowLogDigest(fingerprinter=files[0].digest.fingerprinter) if files else SlowLogDigest()
    for item in files:
        merged.merge(item.digest)
    return {"status": "ok", "read": True, "files": [f.as_fact() for f in files], **merged.as_fact()}


def sources(facts: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(title, digest) of every source that was read: the files first, then the table."""
    slow_log = facts.get("slow_log")
    if not isinstance(slow_log, Mapping):
        return []
    out = []
    for key, title in (("files", "Slow log files"), ("table", "mysql.slow_log table")):
        source = slow_log.get(key)
        if isinstance(source, Mapping) and source.get("read"):
            out.append((title, source))
    return out


def redact_slow_log(facts: dict[str, Any], redactor: Redactor) -> None:
    """Names in the digests through the redactor (prechecks.redaction.Redactor), before its facts pass.

    Fingerprints go through its SQL pass (names learnt unless only system schemas ran them; any quoted
    literal, of which there should be none, becomes '?'), schemas through ``ident``; the ids are then
    taken again from the text shown, so no id can confirm a guessed original name.
    """
    slow_log = facts.get("slow_log")
    if not isinstance(slow_log, dict):
        return
    for source in slow_log.values():
        if not isinstance(source, dict):
            continue
        for digest in source.get("digests") or []:
            if not isinstance(digest, dict):
                continue
            schemas = [str(s) for s in digest.get("schemas") or []]
            learn = not schemas or any(s.lower() not in SYSTEM_SCHEMAS and s != "(more)" for s in schemas)
            digest["schemas"] = [s if s == "(more)" else redactor.ident(s, "schema") for s in schemas]
            if isinstance(digest.get("fingerprint"), str):
                digest["fingerprint"] = redactor.sql(digest["fingerprint"], literals=True, learn=learn)
                digest["id"] = fingerprint_id(digest["fingerprint"])


# --------------------------------------------------------------------------------------- the files


def digest_files(facts: Mapping[str, Any]) -> dict[str, str]:
    """``slow-log-digest.md`` and ``.json`` from the (redacted) facts; none when no source was read."""
    read = sources(facts)
    if not read:
        return {}
    document = {
        "format_version": DIGEST_FORMAT_VERSION,
        "note": ("fingerprints: every literal replaced by ?, comments removed, IN lists and VALUES rows collapsed; "
                 "statements that name accounts keep their verb only; times in UTC"),
        "sources": [{"source": "files" if title.startswith("Slow log files") else "table", **source}
                    for title, source in read],
    }
    return {DIGEST_JSON: json.dumps(document, indent=2) + "\n", DIGEST_MD: render_markdown(read)}


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _seconds(value: Any) -> str:
    number = as_number(value)
    if number is None:
        return "?"
    if number < 0.01:  # lock times are often microseconds
        return f"{number:.6f}"
    return f"{number:.3f}" if number < 100 else f"{number:,.0f}"


def render_markdown(read: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    lines = ["# Slow query log digest", "",
             "Statements reduced to fingerprints: every literal is `?`, comments are removed, IN lists and "
             "VALUES rows are collapsed to one; statements that name accounts keep their verb only. Ranked by "
             "total query time. Times in UTC.", ""]
    for title, source in read:
        lines += [f"## {title}", "", f"- {summary_line(source)}"]
        for item in source.get("files") or []:
            if isinstance(item, Mapping):
                error = f"; {item['error']}" if item.get("error") else ""
                lines.append(f"- file `{visible(item.get('name'))}`: {item.get('bytes', 0):,} bytes, "
                             f"{item.get('statements', 0):,} statements{markdown_prose(error)}")
        if source.get("rows_read") is not None:
            lines.append(f"- rows read: {source.get('rows_read'):,} (newest first: "
                         f"{'yes' if source.get('newest_first') else 'no'})")
        for note in source.get("notes") or []:
            lines.append(f"- {markdown_prose(note)}")
        lines.append(f"- from {source.get('first_seen') or '?'} to {source.get('last_seen') or '?'}, "
                     f"{_seconds(source.get('total_seconds'))} s of query time in all")
        digests = [d for d in source.get("digests") or [] if isinstance(d, Mapping)]
        lines.append("")
        if not digests:
            lines += ["No statement to show.", ""]
            continue
        lines += [f"Top {len(digests)} by total query time:", "",
                  "| # | id | count | total s | avg s | max s | avg lock s | avg rows examined | avg rows sent |",
                  "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for rank, d in enumerate(digests, 1):
            lines.append(f"| {rank} | `{d.get('id')}` | {d.get('count', 0):,} | {_seconds(d.get('total_seconds'))} | "
                         f"{_seconds(d.get('avg_seconds'))} | {_seconds(d.get('max_seconds'))} | "
                         f"{_seconds(d.get('lock_avg_seconds'))} | {d.get('rows_examined_avg', 0):,} | "
                         f"{d.get('rows_sent_avg', 0):,} |")
        lines.append("")
        for rank, d in enumerate(digests, 1):
            schemas = ", ".join(markdown(s) for s in d.get("schemas") or []) or "(none)"
            text = str(d.get("fingerprint", ""))
            fence = _fence(text)
            lines += [f"### {rank}. `{d.get('id')}`", "",
                      f"{d.get('count', 0):,} time{'' if d.get('count') == 1 else 's'}, "
                      f"{_seconds(d.get('total_seconds'))} s in all (max "
                      f"{_seconds(d.get('max_seconds'))} s); rows examined {d.get('rows_examined', 0):,}, sent "
                      f"{d.get('rows_sent', 0):,}; seen {d.get('first_seen') or '?'} to {d.get('last_seen') or '?'}; "
                      f"schemas: {schemas}" + ("; statement cut before it was logged" if d.get("truncated") else ""),
                      "", f"{fence}sql", text, fence, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def describe(item: SlowLogFile) -> str:
    """One line for the user: what the file gave and that only the digest goes into the archive."""
    error = f"; {item.error}" if item.error else ""
    return f"{item.name}: {item.summary()}{error}"


def files_from(paths: Sequence[Path | str], *, cancel: CancelToken | None = None,
               progress: Callable[[str, int, int], None] | None = None) -> list[SlowLogFile]:
    """Parse each file with one shared fingerprint cache (the same shapes recur across rotated logs).

    A file that can no longer be opened comes back with its ``error`` set and an empty digest.
    """
    fingerprinter = Fingerprinter()
    out = []
    for path in paths:
        shown = os.path.basename(str(path))
        report = (lambda done, size, name=shown: progress(name, done, size)) if progress else None
        digest = SlowLogDigest(fingerprinter=fingerprinter)
        try:
            out.append(read_slow_log(path, digest=digest, cancel=cancel, progress=report))
        except SlowLogError as exc:  # checked before the run, gone or changed since: say so, go on
            out.append(SlowLogFile(shown, Path(path), 0, digest, error=str(exc)))
    return out


__all__ = ["DIGEST_JSON", "DIGEST_MD", "TOP_DIGESTS", "SlowLogError", "SlowLogFile", "check_slow_log",
           "describe", "digest_files", "files_fact", "files_from", "read_slow_log", "redact_slow_log",
           "sources"]
