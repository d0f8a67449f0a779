"""Raw samples directory: write it from facts, read it back into facts.

The directory uses ps-prechecks' (and pt-mysql-summary's) file names and formats, so
PlanetScale engineers read it as they always have, and ``--read-samples DIR`` re-renders a
report from it: ours, or one written by ps-prechecks or pt-mysql-summary.

Formats (what ``mysql -ss`` prints, which is what both bash tools capture):

* ``mysql-variables``, ``mysql-status``: ``name<TAB>value`` per line. Values are escaped the way
  ``mysql`` batch mode escapes them (``\\n``, ``\\t``, ``\\0``, ``\\\\``). pt-mysql-summary
  appends ``pt-summary-internal-*`` and ``internal::*`` lines (space separated) to
  ``mysql-variables``; they are not server variables and are ignored.
* ``mysql-status-defer``: the output of ``join mysql-status <second snapshot>``: ``name first
  second`` separated by single spaces, runs of blanks inside a value collapsed to one space and
  an empty value becoming an empty field (``Ssl_cipher  ``). A value with spaces is therefore
  ambiguous on its own; it is split using the first snapshot from ``mysql-status``.
  A 2-column ``name<TAB>value`` file (the second snapshot alone) is accepted as well.
* ``mysql-processlist``: ours is aggregated only (``group<TAB>value<TAB>count<TAB>working<TAB>
  time_sum<TAB>time_max`` with a header); pt-mysql-summary's and ps-prechecks' is the raw
  ``SHOW FULL PROCESSLIST\\G``, which is aggregated on reading and whose Info (query text) is
  dropped, never kept.
* ``mysql-replica`` / ``mysql-slave``, ``mysql-replicas`` / ``mysql-slave-hosts``: vertical
  (``\\G``) rows.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from collectors.numbers import as_int as _int_or_none  # the one integer parser (collectors.numbers)
from collectors.numbers import as_number
from collectors.replication import BINLOG_DUMP_COMMANDS, aggregate_processlist
from collectors.server import identify

__all__ = [
    "SamplesError",
    "decode_text",
    "is_tarball",
    "open_capture",
    "read_config_text",
    "read_samples",
    "read_schema_ddl",
    "save_sample_files",
    "write_samples",
]

PROCESSLIST_HEADER = "group\tvalue\tcount\tworking\ttime_sum\ttime_max"
PROCESSLIST_GROUPS = ("command", "user", "host", "db", "state")
_PT_PROCESSLIST_COLUMNS = {"Command": "command", "User": "user", "Host": "host", "db": "db", "State": "state"}

# Files that make a directory recognisably a samples directory.
_KNOWN_FILES = (
    "mysql-variables",
    "mysql-status",
    "mysql-status-defer",
    "mysql-databases",
    "table-sizes",
    "mysql-processlist",
    "mysql-replica",
    "mysql-slave",
    "mysql-replicas",
    "mysql-slave-hosts",
    "mysql-master-logs",
    "mysql-master-status",
    "mysqldump",
    "mysql-config-file",
)

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:$-]*$")
_ROW_SEPARATOR_RE = re.compile(r"^\*+ \d+\. row \*+$")
_VERTICAL_FIELD_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$")
_TABLE_ROWS_RE = re.compile(r"^\s*\((\d+|NULL) rows\)\s*$")
_TOTAL_RE = re.compile(r"^Total\s+(\d+)\s*$")
_VERSION_RE = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_PT_INTERNAL_PREFIXES = ("pt-summary-internal-", "internal::")
INTERVAL_LINE = "internal::status_interval_seconds"
_SEPARATOR_STARS = "*" * 27


_NL = b"\n"


class SamplesError(ValueError):
    """The directory given to ``--read-samples`` cannot be read as a samples directory."""


class _Unreadable(Exception):
    """A sample file is corrupt; the message says where and why (goes into the reason)."""


class _Empty(_Unreadable):
    """A sample file that must have content is empty."""


# ---------------------------------------------------------------------------
# mysql batch-mode escaping


def _escape(value: object) -> str:
    if value is None:
        return "NULL"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\0", "\\0")


_UNESCAPES = {"n": "\n", "t": "\t", "0": "\0", "\\": "\\"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return re.sub(r"\\([nt0\\])", lambda m: _UNESCAPES[m.group(1)], text)


# ---------------------------------------------------------------------------
# writing


def _write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, 0600, never through a symlink (O_NOFOLLOW: a link put there now fails)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):  # a file an earlier run left 0644
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data)
    finally:
        if fd >= 0:
            os.close(fd)


def save_sample_files(directory: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write sample files (name -> bytes) into ``directory``: a new folder is made 0700, every file 0600.

    A symlink at a file's path is refused (SamplesError, one line) before any file is written: the
    samples go where the folder is, not wherever a link points.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in files:
        path = directory / name
        if path.is_symlink():
            raise SamplesError(f"{path} is a symbolic link (to {os.readlink(path)}); the samples are not written "
                               "through links — remove it or choose another --save-samples directory")
    for name, data in files.items():
        _write_file(directory / name, data)
    return list(files)


def _lines(lines: Iterable[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _vertical(rows: Sequence[Sequence[tuple[str, object]]]) -> str:
    out: list[str] = []
    for number, row in enumerate(rows, 1):
        out.append(f"{_SEPARATOR_STARS} {number}. row {_SEPARATOR_STARS}")
        width = max((len(key) for key, _ in row), default=0)
        for key, value in row:
            shown = "NULL" if value is None else str(value).replace("\n", " ")
            out.append(f"{key:>{width}}: {shown}")
    return _lines(out)


def _join_field(value: object) -> str:
    """A value as ``join`` prints it: escaped, blanks collapsed, empty stays empty."""
    return " ".join(_escape(value).split())


def _size(table: Mapping[str, Any]) -> int | None:
    data, index = table.get("data_bytes"), table.get("index_bytes")
    if data is None and index is None:
        return None
    return int(data or 0) + int(index or 0)


def _replica_status_rows(replication: Mapping[str, Any]) -> list[list[tuple[str, object]]]:
    statement = str((replication.get("statements") or {}).get("replica_status") or "SHOW REPLICA STATUS")
    old = "SLAVE" in statement.upper()
    all_sources = "ALL" in statement.upper()
    rows: list[list[tuple[str, object]]] = []
    for source in replication.get("sources") or []:
        row: list[tuple[str, object]] = []
        if all_sources:
            row.append(("Connection_name", source.get("channel", "")))
        prefix, io_name, sql_name, behind = (
            ("Master", "Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master")
            if old
            else ("Source", "Replica_IO_Running", "Replica_SQL_Running", "Seconds_Behind_Source")
        )
        row += [
            (f"{prefix}_Host", source.get("source_host", "")),
            (f"{prefix}_Port", source.get("source_port")),
            (io_name, source.get("io_running", "")),
            (sql_name, source.get("sql_running", "")),
            ("Last_Error", source.get("last_error", "")),
            (behind, source.get("seconds_behind")),
        ]
        using_gtid = source.get("using_gtid")
        if using_gtid is not None:
            row.append(("Auto_Position" if str(using_gtid) in ("0", "1") else "Using_Gtid", using_gtid))
        if not all_sources:
            row.append(("Channel_Name", source.get("channel", "")))
        rows.append(row)
    return rows


def _replicas_rows(replication: Mapping[str, Any]) -> list[list[tuple[str, object]]]:
    statement = str((replication.get("statements") or {}).get("replicas") or "SHOW REPLICAS")
    server_id = "Server_id" if "SLAVE" in statement.upper() else "Server_Id"
    return [
        [
            (server_id, replica.get("server_id")),
            ("Host", replica.get("host", "")),
            ("Port", replica.get("port")),
        ]
        for replica in replication.get("replicas") or []
    ]


def write_samples(
    facts: Mapping[str, Any], directory: Path, *, schema_ddl: str | None, config_text: str | None
) -> list[str]:
    """Write the sample files the facts support into ``directory``; return the names written."""
    files = render_samples(facts, schema_ddl=schema_ddl, config_text=config_text)
    return save_sample_files(directory, {name: text.encode("utf-8", errors="backslashreplace")
                                         for name, text in files.items()})


def _internal_lines(facts: Mapping[str, Any]) -> list[str]:
    """The header values as pt-mysql-summary's ``pt-summary-internal-*`` lines, so that they survive --read-samples
    (ours, pt's and the bash tool's reader alike)."""
    server: Mapping[str, Any] = facts["server"] if isinstance(facts.get("server"), Mapping) else {}
    config: Mapping[str, Any] = facts["config_file"] if isinstance(facts.get("config_file"), Mapping) else {}
    values = {"user": server.get("current_user"), "now": server.get("local_time"),
              "current_time": server.get("started_local"), "Config_File_path": config.get("path")}
    lines = [f"pt-summary-internal-{name}    {' '.join(str(value).split())}" for name, value in values.items()
             if isinstance(value, str) and value.strip() and not value.startswith("(")]
    visibility = facts.get("object_visibility")
    triggers = (facts.get("objects") or {}).get("triggers") if isinstance(facts.get("objects"), Mapping) else None
    if (isinstance(visibility, Mapping) and (visibility.get("triggers") or {}).get("complete") is True
            and isinstance(triggers, list)):  # pt's count of every trigger: a dump holding them all says so again
        lines.append(f"pt-summary-internal-trigger_count    {len(triggers)}")
    return lines


def render_samples(
    facts: Mapping[str, Any], *, schema_ddl: str | None, config_text: str | None
) -> dict[str, str]:
    """The sample files the facts support, name -> text (newline-terminated), in writing order."""
    written: dict[str, str] = {}

    def put(name: str, text: str) -> None:
        written[name] = text + "\n" if text and not text.endswith("\n") else text

    variables = facts.get("variables")
    if isinstance(variables, Mapping):
        names = sorted(variables, key=lambda n: (str(n).lower(), str(n)))
        lines = [f"{name}\t{_escape(variables[name])}" for name in names]
        interval = (facts.get("status") or {}).get("interval_seconds")
        if interval:  # pt's own internal-line form: the measured interval survives --read-samples
            lines.append(f"{INTERVAL_LINE} {float(interval)!r}")
        lines += _internal_lines(facts)
        put("mysql-variables", _lines(lines))

    status = facts.get("status")
    if isinstance(status, Mapping) and isinstance(status.get("first"), Mapping):
        first: Mapping[str, Any] = status["first"]
        put("mysql-status", _lines(f"{name}\t{_escape(value)}" for name, value in first.items()))
        second = status.get("second")
        if isinstance(second, Mapping):
            put(
                "mysql-status-defer",
                _lines(
                    f"{name} {_join_field(value)} {_join_field(second[name])}"
                    for name, value in first.items()
                    if name in second
                ),
            )

    databases = facts.get("databases")
    if isinstance(databases, list):
        put("mysql-databases", _lines(_escape(db) for db in databases))

    tables = facts.get("tables")
    if isinstance(tables, list) and (not tables or any("data_bytes" in t for t in tables)):
        # tables known from a mysqldump sample alone have no sizes: no table-sizes file is made up for them
        tables = [t for t in tables if "data_bytes" in t]
        ordered = sorted(tables, key=lambda t: -(_size(t) or 0))  # stable: ties keep their order
        total = sum(_size(t) or 0 for t in ordered)
        lines = [f"Total    {total}"]
        for table in ordered:
            size = _size(table)
            rows = table.get("rows")
            lines.append(
                f"{_escape(table.get('schema', ''))}.{_escape(table.get('name', ''))}\t"
                f"{'NULL' if size is None else size}\t ({'NULL' if rows is None else int(rows)} rows)"
            )
        put("table-sizes", _lines(lines))

    processlist = facts.get("processlist")
    if isinstance(processlist, Mapping):
        groups = processlist.get("groups") or {}
        lines = [PROCESSLIST_HEADER]
        for group in PROCESSLIST_GROUPS:
            for entry in groups.get(group) or []:
                lines.append(
                    "\t".join(
                        [
                            group,
                            _escape(entry.get("value", "")),
                            str(int(entry.get("count") or 0)),
                            str(int(entry.get("working") or 0)),
                            str(int(entry.get("time_sum") or 0)),
                            str(int(entry.get("time_max") or 0)),
                        ]
                    )
                )
        put("mysql-processlist", _lines(lines))

    replication = facts.get("replication")
    if isinstance(replication, Mapping):
        put("mysql-replica", _vertical(_replica_status_rows(replication)))
        if isinstance(replication.get("replicas"), list):
            put("mysql-replicas", _vertical(_replicas_rows(replication)))

    binlog = facts.get("binlog")
    if isinstance(binlog, Mapping):
        files = binlog.get("files")
        if isinstance(files, list):
            put(
                "mysql-master-logs",
                _lines(f"{_escape(f.get('name', ''))}\t{int(f.get('size') or 0)}" for f in files),
            )
        current = binlog.get("current")
        if isinstance(current, Mapping):
            put(
                "mysql-master-status",
                f"{_escape(current.get('file', ''))}\t{int(current.get('position') or 0)}\t\t\t"
                f"{_escape(current.get('gtid_executed') or '')}\n",
            )
        elif isinstance(files, list):
            put("mysql-master-status", "")

    if schema_ddl is not None:
        put("mysqldump", schema_ddl)
    if config_text is not None:
        put("mysql-config-file", config_text)
    return written


# ---------------------------------------------------------------------------
# reading: file level


def decode_line(raw: bytes) -> str:
    """One line of a capture as text: UTF-8, else latin1 (captures from latin1 servers are real). Per line, so
    one odd byte costs nothing else; latin1 maps every byte, so nothing is ever dropped or replaced."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def decode_text(data: bytes) -> str:
    """A whole capture file as text, decoded line by line (decode_line); CRLF line ends become LF."""
    return "\n".join(decode_line(line).removesuffix("\r") for line in data.split(_NL))


def _decode_lines(data: bytes, *, strict: bool) -> list[str]:
    raw = data.split(_NL)
    if raw and raw[-1] == b"":
        raw.pop()
    lines: list[str] = []
    for number, line in enumerate(raw, 1):
        if strict and b"\0" in line:
            raise _Unreadable(f"line {number}: binary data")
        lines.append(decode_line(line).removesuffix("\r"))
    return lines


def _file_lines(path: Path, *, strict: bool = True) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Unreadable(exc.strerror or type(exc).__name__) from None
    return _decode_lines(data, strict=strict)


def _measured_interval(path: Path | None) -> float | None:
    """The interval ps-prechecks measured between the status samples (its internal:: line)."""
    if path is None:
        return None
    try:
        lines = _file_lines(path, strict=False)
    except _Unreadable:
        return None
    for line in lines:
        if line.startswith(INTERVAL_LINE + " "):
            seconds = as_number(line.split(" ", 1)[1])  # "inf", "nan" or 0 in a corrupt file: not measured
            return float(seconds) if seconds is not None and 0 < seconds < 1e9 else None
    return None


def _pt_internal(path: Path | None) -> dict[str, str]:
    """The ``pt-summary-internal-*`` lines pt-mysql-summary and the bash ps-prechecks append to mysql-variables
    (name, blanks, value): who ran it (user), the server's clock then (now), when the server started
    (current_time), the option file's path (Config_File_path)..."""
    if path is None:
        return {}
    try:
        lines = _file_lines(path, strict=False)
    except _Unreadable:
        return {}
    values: dict[str, str] = {}
    prefix = "pt-summary-internal-"
    for line in lines:
        if line.startswith(prefix):
            name, _, value = line[len(prefix):].partition(" ")
            values[name] = value.strip()
    return values


def _tool(directory: Path, internal: Mapping[str, str]) -> str:
    """Which tool wrote the folder, from the files only it writes."""
    processlist = directory / "mysql-processlist"
    try:
        with processlist.open("rb") as handle:
            ours = handle.readline().rstrip(b"\r\n") == PROCESSLIST_HEADER.encode()
    except OSError:
        ours = False
    if ours or (not internal and (directory / "mysql-replica").is_file()):
        return "ps-prechecks"
    if (directory / "mysql-replica").is_file():
        return "the ps-prechecks bash script"
    return "pt-mysql-summary" if internal or (directory / "mysql-slave").is_file() else "an unknown tool"


def _parse_name_value(lines: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith(_PT_INTERNAL_PREFIXES):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not _NAME_RE.match(parts[0]):
            raise _Unreadable(f"line {number}: expected name<TAB>value")
        values[parts[0]] = _unescape(parts[1])
    return values


def _parse_status_defer(lines: Sequence[str], first: Mapping[str, str]) -> dict[str, str]:
    """The second snapshot from ``mysql-status-defer`` (join output, or name<TAB>value)."""
    if any("\t" in line for line in lines):
        return _parse_name_value(lines)
    second: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        name, *rest = line.split(" ")
        if not _NAME_RE.match(name) or not rest:
            raise _Unreadable(f"line {number}: expected name first second")
        value: str | None = None
        if name in first:
            tokens = _escape(first[name]).split() or [""]
            if rest[: len(tokens)] == tokens and len(rest) > len(tokens):
                value = " ".join(rest[len(tokens) :])
        if value is None and len(rest) == 2:
            value = rest[1]
        if value is None and len(rest) % 2 == 0 and rest[: len(rest) // 2] == rest[len(rest) // 2 :]:
            value = " ".join(rest[len(rest) // 2 :])
        if value is None:
            if len(rest) < 2:
                raise _Unreadable(f"line {number}: expected name first second")
            continue  # a multi-word value that cannot be split unambiguously
        if name in first and " ".join(_escape(first[name]).split()) == value:
            second[name] = first[name]  # unchanged: keep the exact blanks join collapsed
        else:
            second[name] = _unescape(value)
    return second


def _parse_vertical(lines: Sequence[str], *, stop_at: str | None = None) -> list[dict[str, str]]:
    """Rows of ``\\G`` output. After the ``stop_at`` column, the rest of the row is skipped."""
    rows: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    skipping = False
    last_key: str | None = None
    for number, line in enumerate(lines, 1):
        if _ROW_SEPARATOR_RE.match(line):
            current = {}
            rows.append(current)
            skipping = False
            last_key = None
            continue
        if current is None:
            if not line.strip():
                continue
            raise _Unreadable(f"line {number}: expected a '*** 1. row ***' line")
        if skipping:
            continue
        match = _VERTICAL_FIELD_RE.match(line)
        if match:
            key = match.group(1)
            if key == stop_at:
                skipping = True
                continue
            current[key] = match.group(2) or ""
            last_key = key
        elif last_key is not None:
            current[last_key] += "\n" + line  # a multi-line value (e.g. Executed_Gtid_Set)
        else:
            raise _Unreadable(f"line {number}: expected Column: value")
    return rows


def _group_list(acc: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {"value": value, "count": c, "working": w, "time_sum": s, "time_max": m} for value, (c, w, s, m) in acc.items()
    ]
    entries.sort(key=lambda e: (-e["count"], e["value"]))
    return entries


def _aggregate_pt_processlist(lines: Sequence[str]) -> dict[str, Any]:
    """Aggregate raw ``SHOW FULL PROCESSLIST\\G`` like pt-mysql-summary; Info is never kept."""
    rows = [
        {group: row.get(column, "NULL").strip() for column, group in _PT_PROCESSLIST_COLUMNS.items()}
        | {"time": _int_or_none(row.get("Time"))}
        for row in _parse_vertical(lines, stop_at="Info")
        if "Command" in row  # a row cut short (truncated file) is left out
    ]
    for row in rows:
        if row.get("db") == "NULL":
            row["db"] = None
    aggregated = aggregate_processlist(rows)
    aggregated.pop("binlog_dump_threads", None)
    return aggregated


def _read_aggregated_processlist(lines: Sequence[str]) -> dict[str, Any]:
    accs: dict[str, dict[str, list[int]]] = {group: {} for group in PROCESSLIST_GROUPS}
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        parts = line.split("\t")
        numbers = [_int_or_none(p) for p in parts[2:]]
        if len(parts) != 6 or parts[0] not in accs or any(n is None for n in numbers):
            raise _Unreadable(
                f"line {number}: expected group<TAB>value<TAB>count<TAB>working<TAB>time_sum<TAB>time_max"
            )
        accs[parts[0]][_unescape(parts[1])] = [n or 0 for n in numbers]
    groups = {group: _group_list(acc) for group, acc in accs.items()}
    return {"total": sum(e["count"] for e in groups["command"]), "groups": groups}


def _parse_processlist(lines: Sequence[str]) -> dict[str, Any]:
    if lines and lines[0] == PROCESSLIST_HEADER:
        return _read_aggregated_processlist(lines)
    return _aggregate_pt_processlist(lines)


def _parse_table_sizes(lines: Sequence[str]) -> list[dict[str, Any]]:
    tables: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or _TOTAL_RE.match(line):
            continue
        parts = line.split("\t")
        rows_match = _TABLE_ROWS_RE.match(parts[2]) if len(parts) == 3 else None
        size = parts[1].strip() if len(parts) == 3 else ""
        if rows_match is None or "." not in parts[0] or not (size.isdigit() or size == "NULL"):
            raise _Unreadable(f"line {number}: expected schema.table<TAB>bytes<TAB> (N rows)")
        schema, _, name = parts[0].partition(".")
        tables.append(
            {
                "schema": _unescape(schema),
                "name": _unescape(name),
                "data_bytes": None if size == "NULL" else int(size),
                "index_bytes": 0,
                "rows": _int_or_none(rows_match.group(1)),
            }
        )
    return tables


def _parse_master_logs(lines: Sequence[str]) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) not in (2, 3) or not parts[1].strip().isdigit() or not parts[0]:
            raise _Unreadable(f"line {number}: expected name<TAB>size")
        files.append({"name": _unescape(parts[0]), "size": int(parts[1])})
    return files


def _parse_master_status(lines: Sequence[str]) -> dict[str, Any] | None:
    content = [line for line in lines if line.strip()]
    if not content:
        return None
    parts = content[0].split("\t")
    if len(content) != 1 or len(parts) < 2 or not parts[1].strip().isdigit():
        raise _Unreadable("line 1: expected file<TAB>position<TAB>do_db<TAB>ignore_db<TAB>gtid_executed")
    return {
        "file": _unescape(parts[0]),
        "position": int(parts[1]),
        "gtid_executed": _unescape(parts[4]) if len(parts) > 4 else "",
    }


# ---------------------------------------------------------------------------
# reading: derived facts


def _first_of(row: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if name in row:
            return row[name]
    return None


def _source_from_row(row: Mapping[str, str]) -> dict[str, Any]:
    behind = _first_of(row, "Seconds_Behind_Source", "Seconds_Behind_Master")
    return {
        "channel": _first_of(row, "Channel_Name", "Connection_name") or "",
        "source_host": _first_of(row, "Source_Host", "Master_Host") or "",
        "source_port": _int_or_none(_first_of(row, "Source_Port", "Master_Port")),
        "io_running": _first_of(row, "Replica_IO_Running", "Slave_IO_Running") or "",
        "sql_running": _first_of(row, "Replica_SQL_Running", "Slave_SQL_Running") or "",
        "seconds_behind": _int_or_none(behind) if behind not in (None, "NULL") else None,
        "using_gtid": _first_of(row, "Using_Gtid", "Auto_Position"),
        "last_error": row.get("Last_Error", ""),
    }


def _replica_statement(rows: Sequence[Mapping[str, str]]) -> str | None:
    if not rows:
        return None
    if "Connection_name" in rows[0]:
        return "SHOW ALL SLAVES STATUS"
    return "SHOW REPLICA STATUS" if "Source_Host" in rows[0] else "SHOW SLAVE STATUS"


def _replicas_statement(rows: Sequence[Mapping[str, str]]) -> str | None:
    if not rows:
        return None
    return "SHOW REPLICAS" if "Server_Id" in rows[0] or "Replica_UUID" in rows[0] else "SHOW SLAVE HOSTS"


def _role(is_replica: bool, downstream: int | None) -> str:
    if is_replica:
        return "replica+primary" if downstream else "replica"
    return "primary" if downstream else "standalone"


def _server(variables: Mapping[str, str] | None, first: Mapping[str, str] | None) -> dict[str, Any]:
    server: dict[str, Any] = {}
    if variables is not None:
        version = variables.get("version", "")
        comment = variables.get("version_comment", "")
        identity = identify(version, comment, dict(variables), None)
        server.update(
            {
                "version": version,
                "version_comment": comment,
                **identity,
                "hostname": variables.get("hostname", ""),
                "port": _int_or_none(variables.get("port")),
                "datadir": variables.get("datadir", ""),
                "basedir": variables.get("basedir", ""),
            }
        )
        match = _VERSION_RE.search(version)
        if match:
            server["version_tuple"] = [int(part) for part in match.groups()]
    if first is not None:
        server["uptime_seconds"] = _int_or_none(first.get("Uptime"))
    return server


def _expire_seconds(variables: Mapping[str, str]) -> int | None:
    seconds = _int_or_none(variables.get("binlog_expire_logs_seconds"))
    if seconds:
        return seconds
    days_text = variables.get("expire_logs_days")
    if days_text is not None:
        days = as_number(days_text) or 0.0
        if 0 < days < 1e12:  # "inf" or "1e309" in a corrupt file has no day count
            return round(days * 86400)
    if seconds is not None or days_text is not None:
        return 0
    return None


def _binlog(
    variables: Mapping[str, str] | None, files: list[dict[str, Any]] | None, current: dict[str, Any] | None
) -> dict[str, Any]:
    binlog: dict[str, Any] = {}
    if variables is not None:
        log_bin = variables.get("log_bin")
        binlog.update(
            {
                "enabled": None if log_bin is None else log_bin.upper() in ("ON", "1"),
                "format": variables.get("binlog_format"),
                "row_image": variables.get("binlog_row_image"),
                "gtid_mode": variables.get("gtid_mode"),
                "enforce_gtid_consistency": variables.get("enforce_gtid_consistency"),
                "expire_seconds": _expire_seconds(variables),
            }
        )
    binlog["files"] = files
    binlog["total_bytes"] = None if files is None else sum(f["size"] for f in files)
    binlog["current"] = current
    return binlog


def _collector(name: str, status: str = "ok", reason: str = "") -> dict[str, Any]:
    return {"name": name, "status": status, "reason": reason, "seconds": 0.0, "statements": 0}


class _Loader:
    """Reads files of one directory, remembering why a file could not be used."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: dict[str, str] = {}
        self.damaged: list[str] = []  # files there but not usable (not missing ones): what could not be judged

    def find(self, *names: str) -> str | None:
        for name in names:
            if (self.directory / name).is_file():
                return name
        return None

    def load(self, name: str, parse: Callable[[list[str]], Any], *, strict: bool = True) -> Any:
        """Parsed content, or None when the file is missing or unreadable (see ``problems``)."""
        path = self.directory / name
        if not path.is_file():
            self.problems[name] = f"the samples directory has no {name} file"
            return None
        try:
            lines = _file_lines(path, strict=strict)
            value = parse(lines)
            if lines and not _ends_with_newline(path):  # a cut in a value parses, wrong: skip it as any cut
                raise _Unreadable(f"line {len(lines)}: cut short, no newline at the end")
        except _Empty:
            self.problems[name] = f"{name}: the file is empty"
            self.damaged.append(self.problems[name])
            return None
        except _Unreadable as exc:
            self.problems[name] = unreadable_text(name, str(exc))
            self.damaged.append(self.problems[name])
            return None
        return value


_AT_LINE_RE = re.compile(r"^line (\d+): (.*)$", re.S)


def unreadable_text(name: str, problem: str) -> str:
    """"mysql-variables unreadable at line 3 (binary data)": the file, the line and why, in one line."""
    match = _AT_LINE_RE.match(problem)
    if match:
        return f"{name} unreadable at line {match.group(1)} ({match.group(2)})"
    return f"{name} unreadable ({problem})"


def _ends_with_newline(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == _NL
    except OSError:
        return True


def _check_directory(directory: Path) -> None:
    if not directory.exists():
        raise SamplesError(
            f"{directory}: no such directory — pass --read-samples the ps_samples_<ts>/ directory "
            "unpacked from a ps-prechecks tarball or written by pt-mysql-summary --save-samples"
        )
    if not directory.is_dir():
        raise SamplesError(
            f"{directory} is not a directory — unpack the tarball and pass its ps_samples_<ts>/ directory"
        )
    if not any((directory / name).is_file() for name in _KNOWN_FILES):
        raise SamplesError(
            f"{directory} is not a samples directory (no mysql-variables, mysql-status or other sample "
            "file in it) — pass the ps_samples_<ts>/ directory written by ps-prechecks or pt-mysql-summary"
        )
    for name in _KNOWN_FILES:
        _check_link(directory, name)


def _check_link(directory: Path, name: str) -> None:
    """A sample file that is a symlink to something outside the samples directory is refused: the folder
    often comes from elsewhere (a tarball, another host's pt-mysql-summary) and the report prints what it
    reads, so a link could print any file we can read (a mysql-config-file link to ~/.my.cnf). A link that
    stays inside the folder is read as the file it points to."""
    path = directory / name
    if not path.is_symlink():
        return
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(os.path.realpath(directory)):
        raise SamplesError(f"{directory}: {name} is a symbolic link to {target}, outside the samples "
                           "directory — copy the file into the directory or remove the link")


def read_samples(directory: Path) -> dict[str, Any]:
    """A facts document built from whichever sample files exist in ``directory``: what the files hold, as a
    live run's collectors would have written it (the workload rates are prechecks.derive's, as for a live run).

    Raises SamplesError when ``directory`` is missing or holds no sample file. A corrupt file is
    skipped (``collection.collectors`` says why) and everything else still loads.
    """
    directory = Path(directory)
    _check_directory(directory)
    loader = _Loader(directory)
    collectors: list[dict[str, Any]] = []
    facts: dict[str, Any] = {"format_version": 1, "source": {"via": "read-samples", "path": str(directory)}}

    def note(collector: str, *files: str, loaded: bool) -> None:
        reasons = [loader.problems[f] for f in files if f in loader.problems]
        if loaded:
            collectors.append(_collector(collector, reason="; ".join(reasons)))
        else:
            collectors.append(_collector(collector, "skipped", "; ".join(reasons)))

    def non_empty(parse: Callable[[list[str]], Any]) -> Callable[[list[str]], Any]:
        def wrapped(lines: list[str]) -> Any:
            if not any(line.strip() for line in lines):
                raise _Empty
            return parse(lines)

        return wrapped

    # variables
    variables: dict[str, str] | None = loader.load("mysql-variables", non_empty(_parse_name_value))
    if variables is not None:
        facts["variables"] = variables
    note("variables", "mysql-variables", loaded=variables is not None)

    # status
    first: dict[str, str] | None = loader.load("mysql-status", non_empty(_parse_name_value))
    second: dict[str, str] | None = None
    interval: float | None = None
    if first is not None:
        if loader.find("mysql-status-defer"):
            second = loader.load("mysql-status-defer", lambda lines: _parse_status_defer(lines, first or {}))
        status: dict[str, Any] = {"first": first}
        if second is not None:
            status["second"] = second
            up1, up2 = _int_or_none(first.get("Uptime")), _int_or_none(second.get("Uptime"))
            found = loader.find("mysql-variables")
            interval = _measured_interval(loader.directory / found if found else None)
            if interval is None and up1 is not None and up2 is not None and up2 > up1:
                interval = float(up2 - up1)  # pt's whole-second measure, when ours is not there
        status["interval_seconds"] = interval
        facts["status"] = status
    note("status", "mysql-status", "mysql-status-defer", loaded=first is not None)

    server = _server(variables, first)
    found = loader.find("mysql-variables")
    internal = _pt_internal(loader.directory / found if found and variables is not None else None)
    if internal.get("user"):  # pt's CURRENT_USER() and NOW(), as a live run records them
        server["current_user"] = internal["user"]
    if internal.get("now"):
        server["local_time"] = internal["now"]
    if internal.get("current_time"):  # pt's NOW() - INTERVAL Uptime SECOND, to the minute
        server["started_local"] = internal["current_time"]
    if server:
        facts["server"] = server
    time_zone = (variables or {}).get("time_zone", "")
    if time_zone in ("", "SYSTEM"):
        time_zone = (variables or {}).get("system_time_zone", "") or time_zone
    facts["source"].update({"tool": _tool(directory, internal), "captured_at": internal.get("now"),
                            "captured_time_zone": time_zone or None,
                            "hostname": (variables or {}).get("hostname") or None})

    # databases
    databases: list[str] | None = loader.load(
        "mysql-databases", lambda lines: [_unescape(line) for line in lines if line.strip()]
    )
    if databases is not None:
        facts["databases"] = databases
    note("databases", "mysql-databases", loaded=databases is not None)

    # table sizes
    tables: list[dict[str, Any]] | None = loader.load("table-sizes", _parse_table_sizes)
    if tables is not None:
        facts["tables"] = tables
    note("table_sizes", "table-sizes", loaded=tables is not None)

    # processlist (lenient decoding: raw Info may hold any bytes; it is dropped anyway)
    processlist: dict[str, Any] | None = loader.load("mysql-processlist", non_empty(_parse_processlist), strict=False)
    if processlist is not None:
        facts["processlist"] = processlist
    note("processlist", "mysql-processlist", loaded=processlist is not None)

    # replication
    replica_file = loader.find("mysql-replica", "mysql-slave") or "mysql-replica"
    replicas_file = loader.find("mysql-replicas", "mysql-slave-hosts")
    source_rows: list[dict[str, str]] | None = loader.load(replica_file, _parse_vertical)
    if source_rows is not None:
        replica_rows: list[dict[str, str]] | None = None
        if replicas_file is not None:
            replica_rows = loader.load(replicas_file, _parse_vertical)
        sources = [_source_from_row(row) for row in source_rows]
        replicas = (
            None
            if replica_rows is None
            else [
                {
                    "server_id": _int_or_none(_first_of(row, "Server_id", "Server_Id")),
                    "host": row.get("Host", ""),
                    "port": _int_or_none(row.get("Port")),
                }
                for row in replica_rows
            ]
        )
        dump_threads = None
        if processlist is not None:
            dump_threads = sum(
                e["count"] for e in processlist["groups"]["command"] if e["value"] in BINLOG_DUMP_COMMANDS
            )
        replica_count = None if replicas is None else len(replicas)
        downstream = replica_count if replica_count else dump_threads
        statements: dict[str, str] = {}
        replica_statement = _replica_statement(source_rows)
        if replica_statement:
            statements["replica_status"] = replica_statement
        replicas_statement = _replicas_statement(replica_rows or [])
        if replicas_statement:
            statements["replicas"] = replicas_statement
        facts["replication"] = {
            "role": _role(bool(sources), downstream),
            "is_replica": bool(sources),
            "sources": sources,
            "replica_count": replica_count,
            "replicas": replicas,
            "binlog_dump_threads": dump_threads,
            "statements": statements,
        }
    note(
        "replication",
        replica_file,
        *([replicas_file] if replicas_file else []),
        loaded=source_rows is not None,
    )

    # binary logs
    has_binlog_files = bool(loader.find("mysql-master-logs", "mysql-master-status"))
    files: list[dict[str, Any]] | None = None
    current: dict[str, Any] | None = None
    if has_binlog_files or variables is not None:
        files = loader.load("mysql-master-logs", _parse_master_logs) if has_binlog_files else None
        if loader.find("mysql-master-status"):
            current = loader.load("mysql-master-status", _parse_master_status)
        facts["binlog"] = _binlog(variables, files, current)
    if has_binlog_files:
        binlog_names = [n for n in ("mysql-master-logs", "mysql-master-status") if loader.find(n)]
        note(
            "binary_logs",
            "mysql-master-logs",
            "mysql-master-status",
            loaded=any(n not in loader.problems for n in binlog_names),
        )
    else:
        collectors.append(_collector("binary_logs", "skipped", "the samples directory has no mysql-master-logs file"))

    for collector, name in (("schema_ddl", "mysqldump"), ("config_file", "mysql-config-file")):
        if (directory / name).is_file():
            collectors.append(_collector(collector))
        else:
            collectors.append(_collector(collector, "skipped", f"the samples directory has no {name} file"))
    ddl = read_schema_ddl(directory)
    if ddl is not None:  # what the report says of the mysqldump sample, and the inventory from its DDL
        cut = next((line[len("-- CUT:"):].strip() for line in ddl.splitlines() if line.startswith("-- CUT:")), None)
        collectors.extend(_from_dump(facts, ddl, cut=cut, internal=internal))
    else:
        reason = "the samples directory has no mysqldump file: tables, keys and objects are not known"
        collectors.extend(_collector(name, "skipped", reason) for name in ("inventory", "schema_inventory"))
        technologies = _technologies(None, facts)
        if technologies:
            facts["technologies"] = technologies
            collectors.append(_collector("technologies", reason="no mysqldump file: the schema's technologies "
                                         "(full-text, spatial, foreign keys, partitions, compression) are unknown"))
    if (directory / "mysql-config-file").is_file():
        path = internal.get("Config_File_path") or "(the samples directory's mysql-config-file)"
        facts["config_file"] = {"path": path, "found_by": "read-samples"}

    if loader.damaged:  # what could not be judged: the readiness verdict says so (never a cleaner one)
        facts["source"]["unreadable"] = list(loader.damaged)
    facts["collection"] = {"collectors": collectors, "started_at": None, "finished_at": None, "error": None}
    return facts


# ---------------------------------------------------------------------------
# a capture given as a tarball (ps_archive_*.tgz of ours or of the bash ps-prechecks)

MEMBER_CAP = 1024 * 1024 * 1024  # bytes per file: a schema-only mysqldump of 100,000 tables is far below
TOTAL_CAP = 4 * MEMBER_CAP  # bytes in all
MEMBERS_CAP = 10_000  # files and folders: a capture has a few dozen
TARBALL_SUFFIXES = (".tgz", ".tar.gz", ".tar")


def is_tarball(path: Path) -> bool:
    return Path(path).is_file() and Path(path).name.lower().endswith(TARBALL_SUFFIXES)


def _refuse(tarball: Path, why: str) -> SamplesError:
    return SamplesError(f"{tarball}: {why}; nothing was extracted — unpack it yourself, check what it holds, and "
                        "pass --read-samples the ps_samples_<ts>/ folder")


def _check_member(tarball: Path, member: tarfile.TarInfo) -> None:
    """Our own checks, before the standard library's data filter: a capture holds plain files and folders only,
    every one inside the archive's own tree, none absurdly large."""
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts or "\\" in name:
        raise _refuse(tarball, f"member {name!r} points outside the folder it would be unpacked in")
    if member.issym() or member.islnk():
        raise _refuse(tarball, f"member {name!r} is a link (to {member.linkname!r}); a capture holds plain files only")
    if not (member.isfile() or member.isdir()):
        raise _refuse(tarball, f"member {name!r} is a device, FIFO or other special file; a capture holds plain "
                      "files only")
    if member.size > MEMBER_CAP:
        raise _refuse(tarball, f"member {name!r} is {member.size} bytes, more than the {MEMBER_CAP} a sample file "
                      "may be")


def _sample_folders(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder in sorted([root, *(p for p in root.rglob("*") if p.is_dir() and not p.is_symlink())]):
        if any((folder / name).is_file() for name in _KNOWN_FILES):
            found.append(folder)
    return found


def _extract(tarball: Path, target: Path) -> Path:
    """Unpack ``tarball`` into ``target`` (a fresh private folder) and return its one samples folder."""
    total = count = 0
    try:
        with tarfile.open(tarball, "r:*") as tar:
            for member in tar:  # streamed: the checks come before a byte of the member is written
                count += 1
                if count > MEMBERS_CAP:
                    raise _refuse(tarball, f"it holds more than {MEMBERS_CAP} files")
                _check_member(tarball, member)
                total += member.size
                if total > TOTAL_CAP:
                    raise _refuse(tarball, f"its files add up to more than {TOTAL_CAP} bytes")
                tar.extract(member, target, set_attrs=False, filter="data")
    except tarfile.FilterError as exc:  # the standard library's data filter, behind our own checks
        raise _refuse(tarball, f"a member is refused by the tar data filter ({exc})") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        # tarfile's own message lists every method it tried, on several lines: one line, the first
        why = (str(exc).splitlines() or [""])[0].rstrip(":") or type(exc).__name__
        raise SamplesError(f"{tarball}: not a readable tar archive, or a damaged one ({why}) — copy it again from "
                           "where it was written, or pass its unpacked ps_samples_<ts>/ folder") from None
    folders = _sample_folders(target)
    if not folders:
        raise SamplesError(f"{tarball} holds no samples folder (no mysql-variables, mysql-status or other sample "
                           "file) — pass a ps_archive_<ts>.tgz written by ps-prechecks, or a samples folder")
    if len(folders) > 1:
        names = ", ".join(str(f.relative_to(target)) for f in folders)
        raise SamplesError(f"{tarball} holds {len(folders)} samples folders ({names}) — unpack it and pass "
                           "--read-samples the folder of the server you mean")
    return folders[0]


@contextlib.contextmanager
def open_capture(path: Path) -> Iterator[Path]:
    """The samples folder of a capture: ``path`` itself when it is a folder, else the one inside the tarball
    ``path`` (.tgz, .tar.gz, .tar), unpacked into a private temporary folder (0700) that is removed on every way
    out, Ctrl-C included. Raises SamplesError (one line: cause and remedy)."""
    path = Path(path)
    if not is_tarball(path):
        yield path
        return
    temp = Path(tempfile.mkdtemp(prefix="ps-prechecks-capture-"))
    try:
        yield _extract(path, temp)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


OUR_DUMP_HEADER = "-- Schema only (no data), written by ps-prechecks"  # collectors/schema.py's first line


def _from_dump(facts: dict[str, Any], ddl: str, *, cut: str | None, internal: Mapping[str, str]) -> list[
        dict[str, Any]]:
    """The inventory, schema counts and technologies from the mysqldump sample, as the live collectors write them;
    returns their collection records."""
    from prechecks.dumpschema import inventory_facts, parse_dump, technology_counts

    dump = parse_dump(ddl)
    objects = len(dump.tables) + len(dump.views) + len(dump.routines) + len(dump.triggers) + len(dump.events) + len(
        dump.sequences)
    facts["schema_ddl"] = {"objects": objects, "bytes": len(ddl.encode()), "cut": cut}
    # our schema_ddl collector dumps events (SHOW CREATE EVENT); pt and the bash script run mysqldump without
    # --events. Told by the dump's own first line, not by who wrote the folder: ours may hold a pt dump read back
    ours = ddl.lstrip().startswith(OUR_DUMP_HEADER)
    trigger_count = _int_or_none(internal.get("trigger_count"))
    triggers_complete = True if ours else (None if trigger_count is None else trigger_count <= len(dump.triggers))
    inventory = inventory_facts(dump, events_dumped=ours, triggers_complete=triggers_complete)
    for key in ("objects", "object_visibility", "schema_types", "inventory"):
        facts[key] = inventory[key]
    per_table, engines = inventory["per_table"], inventory["engines"]
    tables = facts.get("tables")
    if isinstance(tables, list):  # table-sizes: sizes and rows; the dump adds engine and keys
        seen: set[tuple[str, str]] = set()
        for entry in tables:
            pair = (str(entry.get("schema")), str(entry.get("name")))
            seen.add(pair)
            if pair in per_table:
                entry.update({"engine": engines.get(pair), **per_table[pair]})
        for pair in sorted(set(per_table) - seen):
            tables.append({"schema": pair[0], "name": pair[1], "rows": None, "data_bytes": None, "index_bytes": None,
                           "engine": engines.get(pair), **per_table[pair]})
    else:
        facts["tables"] = [{"schema": k[0], "name": k[1], "engine": engines.get(k), **per_table[k]}
                           for k in sorted(per_table)]
    sizes: dict[str, int] = {}
    sized = any("data_bytes" in entry for entry in facts["tables"])  # a table-sizes file was read
    for entry in facts["tables"]:
        sizes[str(entry.get("schema"))] = sizes.get(str(entry.get("schema")), 0) + int(entry.get("data_bytes") or 0)
    names = dump.schemas()
    system = ("mysql", "information_schema", "performance_schema", "sys")
    missing = [name for name in facts.get("databases") or [] if name.lower() not in system and name not in names]
    if missing:  # listed by mysql-databases, absent from the dump: not known, never "empty" or "clean"
        facts["inventory"]["failed_schemas"] += [{"name": name, "reason": "not in the mysqldump sample"}
                                                 for name in missing]
    schemas = []
    for name in sorted(names):
        engine_counts: dict[str, int] = {}
        for (schema, _table), engine in engines.items():
            if schema == name:
                engine_counts[str(engine or "unknown")] = engine_counts.get(str(engine or "unknown"), 0) + 1
        schemas.append({
            "name": name, "tables": sum(1 for s, _ in per_table if s == name),
            "views": sum(1 for s, _ in dump.views if s == name),
            "routines": sum(1 for s, _, _k in dump.routines if s == name),
            "triggers": sum(1 for s, _ in dump.triggers if s == name),
            "events": sum(1 for s, _ in dump.events if s == name) if ours else None,
            "data_bytes": sizes.get(name, 0) if sized else None, "index_bytes": 0 if sized else None,
            "engines": dict(sorted(engine_counts.items())),
        })
    facts["schemas"] = schemas
    facts["technologies"] = _technologies(technology_counts(dump), facts)
    facts["technology_objects"] = {"partitioning": technology_counts(dump)["partitioned"][:100],
                                   "compression": technology_counts(dump)["compressed"][:100]}
    gaps = [f"{key.replace('_', ' ')}: {why}" for key, why in facts["inventory"]["not_checked"].items()]
    if dump.unparsed:
        gaps.append("not understood: " + "; ".join(dump.unparsed[:5]))
    if missing:
        gaps.append(f"schemas not in the dump: {', '.join(missing)}")
    if cut:
        gaps.append(f"the dump was cut short ({cut})")
    reason = "read from the mysqldump sample; not known from it: " + "; ".join(gaps)
    schema_reason = "" if ours else "events are not in this dump (no --events): not counted"
    return [_collector("inventory", reason=reason),  # as a live collector that could not read everything
            _collector("schema_inventory", reason=schema_reason),
            _collector("technologies", reason="the schema's from the mysqldump sample, the rest from mysql-status")]


def _technologies(counts: Mapping[str, Any] | None, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Noteworthy Technologies as the live technologies collector words them: the schema's from the dump (counted
    on the parsed DDL, not grepped: pt's grep takes ROW_FORMAT=DYNAMIC for compression and a POINT in a comment for
    geospatial), SSL and the statement kinds from mysql-status."""
    tech: dict[str, dict[str, Any]] = {}
    if counts is not None:
        spatial = counts["spatial_columns"] + counts["spatial_index"]
        tech["fulltext"] = {"value": counts["fulltext"] > 0,
                            "evidence": f"{counts['fulltext']} FULLTEXT indexes (mysqldump)"}
        tech["geospatial"] = {"value": spatial > 0, "evidence": f"{counts['spatial_columns']} spatial columns, "
                              f"{counts['spatial_index']} SPATIAL indexes (mysqldump)"}
        tech["foreign_keys"] = {"value": counts["foreign_keys"] > 0,
                                "evidence": f"{counts['foreign_keys']} foreign keys (mysqldump)"}
        tech["partitioning"] = {"value": bool(counts["partitioned"]),
                                "evidence": f"{len(counts['partitioned'])} partitioned tables (mysqldump)"}
        tech["compression"] = {"value": bool(counts["compressed"]), "evidence": f"{len(counts['compressed'])} tables "
                               "with ROW_FORMAT=COMPRESSED, KEY_BLOCK_SIZE or PAGE_COMPRESSED (mysqldump)"}
    status = (facts.get("status") or {}).get("first")
    if not isinstance(status, Mapping):
        return tech
    variables = facts.get("variables") or {}
    have_ssl = variables.get("have_ssl") or variables.get("have_openssl")
    accepts = status.get("Ssl_accepts")
    if accepts is not None or have_ssl is not None:  # pt: Ssl_accepts > 0
        tech["ssl"] = {"value": (_int_or_none(accepts) or 0) > 0,
                       "evidence": f"Ssl_accepts = {accepts or 'n/a'}, have_ssl = {have_ssl or 'n/a'}"}
    else:
        tech["ssl"] = {"value": None, "evidence": "neither have_ssl nor Ssl_accepts is in the samples"}
    for key, counters in (("lock_tables", ("Com_lock_tables",)), ("xa", ("Com_xa_start",)),
                          ("prepared_statements", ("Com_stmt_prepare", "Com_prepare_sql"))):
        present = [c for c in counters if c in status]
        if not present:
            tech[key] = {"value": None, "evidence": f"{' / '.join(counters)} not in mysql-status"}
            continue
        total = sum(_int_or_none(status[c]) or 0 for c in present)
        tech[key] = {"value": total > 0, "evidence": " + ".join(present) + f" = {total} since startup (mysql-status)"}
    return tech


def _read_whole(directory: Path, name: str) -> str | None:
    _check_link(Path(directory), name)
    path = Path(directory) / name
    if not path.is_file():
        return None
    try:
        return decode_text(path.read_bytes())
    except OSError:
        return None


def read_config_text(directory: Path) -> str | None:
    """The ``mysql-config-file`` sample as text (each line UTF-8, else latin1), or None; SamplesError for a
    symlink out of the directory."""
    return _read_whole(directory, "mysql-config-file")


def read_schema_ddl(directory: Path) -> str | None:
    """The ``mysqldump`` sample as text (each line UTF-8, else latin1), or None; SamplesError for a symlink out
    of the directory."""
    return _read_whole(directory, "mysqldump")
