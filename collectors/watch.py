"""Watch mode: days of ``SHOW GLOBAL STATUS`` for a server that keeps no history (issue 17, item 2).

One statement per interval on a read-only, time-bounded session (collectors.connection.open_session), each
sample appended to a local journal (JSON lines) before the next is taken, so that

* a dropped connection reconnects with backoff: the samples already written stay, the time without any is
  recorded (``lost`` then ``session`` lines) and gives no rate;
* a stopped run resumes from its journal (``--watch-resume FILE``): the journal names the server, and a
  journal of another server is refused;
* a stop (Ctrl-C, the wizard's Stop) ends the watch early: what was sampled still becomes history.json.

The journal (docs/facts.md, "The watch journal") holds only the status counters history.json needs, never a
credential. Its first line describes the watch; every line is flushed and fsync'd as it is written. A run killed
in the middle of a write leaves a last line cut short: it is read up to the last whole line, and says so.

:func:`history_from_journal` turns the samples into history.json (source ``"watch"``) with
collectors.series: a server restart (its start time moved) and the time between two sessions give no rate, and
are named in ``gaps``; restarts are counted in ``resets``.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysql.connector import errors as mysql_errors

from collectors.connection import (
    Cancelled,
    CancelToken,
    ConnectionFailed,
    ConnectionLost,
    ConnectionSpec,
    Session,
    open_session,
)
from collectors.series import Gap, counter_rates, history_document, iso

__all__ = [
    "DEFAULT_INTERVAL", "JOURNAL_DIR", "MIN_INTERVAL", "Journal", "JournalError", "JournalWriter", "WatchOutcome",
    "WatchUsageError", "history_from_journal", "journal_path", "kept_status", "parse_duration", "parse_interval",
    "read_journal", "run_watch", "server_identity",
]

JOURNAL_FORMAT = 1
DEFAULT_INTERVAL = 60.0
MIN_INTERVAL = 1.0  # one SHOW GLOBAL STATUS a second: the shortest interval that means anything for rates
MAX_DURATION = 31 * 86400
JOURNAL_DIR = "ps-prechecks-watch"  # beside the archive (--output), 0700; each journal in it 0600
STATEMENT = "SHOW GLOBAL STATUS"
# the counters history.json needs (docs/facts.md, "history.json"); every non-zero Com_* besides
GAUGES = {"Threads_connected": "connections", "Threads_running": "threads_running"}
COUNTERS = {"Questions": "queries_per_second", "Com_select": "reads_per_second",
            "Innodb_data_reads": "innodb_data_reads_per_second",
            "Innodb_data_writes": "innodb_data_writes_per_second"}
WRITES = ("Com_insert", "Com_update", "Com_delete", "Com_replace", "Com_update_multi", "Com_delete_multi")
KEPT = frozenset({"Uptime", *GAUGES, *COUNTERS})
BUSIEST_COMMANDS = 5  # com_<command>_per_second for this many of the busiest commands
NOT_IN_STATUS = {  # canonical series SHOW GLOBAL STATUS cannot give
    "cpu_percent": "SHOW GLOBAL STATUS has no CPU figure: --prometheus with node_exporter, or the cloud's metrics",
    "memory_used_bytes": "SHOW GLOBAL STATUS has no memory figure: --prometheus with node_exporter, or the cloud's "
                         "metrics",
    "read_iops": "SHOW GLOBAL STATUS has no disk IOPS: --prometheus with node_exporter, or the cloud's metrics",
    "write_iops": "SHOW GLOBAL STATUS has no disk IOPS: --prometheus with node_exporter, or the cloud's metrics",
}
RESTART_TOLERANCE = 1.5  # seconds (+ the answers' time): a start time (sample time - Uptime) that moved is a restart
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class WatchUsageError(ValueError):
    """A --watch / --watch-interval / --watch-resume value that cannot be used: one line, with the remedy."""


class JournalError(ValueError):
    """A journal that cannot be read or resumed: one line, with the remedy."""


# -- flags ---------------------------------------------------------------------------------------------------

def parse_duration(text: str, flag: str = "--watch") -> float:
    """``90m``, ``24h``, ``7d``, ``1d12h`` (s, m, h, d) -> seconds. Anything else is refused in one line."""
    value = (text or "").strip().lower()
    if not value or _DURATION.sub("", value) != "":
        raise WatchUsageError(f"{flag} {text!r}: give a duration such as 90m, 24h or 7d (units s, m, h, d)")
    seconds = float(sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(value)))
    if seconds <= 0:
        raise WatchUsageError(f"{flag} {text!r}: give a duration longer than zero, such as 90m, 24h or 7d")
    if seconds > MAX_DURATION:
        raise WatchUsageError(f"{flag} {text!r}: at most 31d — watch for a month or less, or use --prometheus "
                              "for a longer history")
    return seconds


def parse_interval(text: str) -> float:
    """``--watch-interval``: seconds (``60``) or a duration (``5m``); at least MIN_INTERVAL."""
    value = (text or "").strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        seconds = parse_duration(value, "--watch-interval")
    if not math.isfinite(seconds) or seconds < MIN_INTERVAL:
        raise WatchUsageError(f"--watch-interval {text!r}: give at least {MIN_INTERVAL:.0f} s (one SHOW GLOBAL "
                              "STATUS per interval; 60 s, the default, is plenty for days)")
    if seconds > 86400:
        raise WatchUsageError(f"--watch-interval {text!r}: at most 1d between samples — 60 s, the default, is "
                              "usual")
    return seconds


def describe_seconds(seconds: float) -> str:
    """7d, 24h, 1h30m, 90 s: how a DBA writes a duration."""
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0m"


# -- the journal ---------------------------------------------------------------------------------------------

def journal_path(output: Path, timestamp: str) -> Path:
    """Where a new journal goes: ``<output>/ps-prechecks-watch/watch_<timestamp>.jsonl``."""
    return Path(output) / JOURNAL_DIR / f"watch_{timestamp}.jsonl"


def _private_dir(directory: Path) -> None:
    """The journal's folder, 0700; an existing one must be a real folder of this user (made 0700 if looser)."""
    if directory.is_symlink():
        raise JournalError(f"{directory} is a symbolic link: the watch journal is not written through links — "
                           "remove it or choose another --output directory")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise JournalError(f"{directory} belongs to another user: the watch journal is not written there — "
                           "choose another --output directory")
    if info.st_mode & 0o077:
        directory.chmod(0o700)


@dataclass
class Journal:
    """A journal read back: the watch's description, every record in order, and what could not be read."""

    path: Path
    header: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    cut_short: bool = False  # the last line was cut in the middle (a run killed during a write)
    whole_bytes: int = 0  # the bytes up to the end of the last whole line
    skipped: int = 0  # lines in the middle that were not JSON

    @property
    def samples(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("type") == "sample"]

    @property
    def start(self) -> float:
        return float(self.header["start"])

    @property
    def until(self) -> float:
        return self.start + float(self.header["duration_seconds"])

    @property
    def interval(self) -> float:
        return float(self.header["interval_seconds"])

    def notes(self) -> list[str]:
        out = []
        if self.cut_short:
            out.append(f"the journal's last line was cut short (the run was stopped while writing it): read up to "
                       f"the last whole line, {len(self.samples)} samples")
        if self.skipped:
            out.append(f"{self.skipped} line(s) of the journal were not JSON and were skipped")
        return out


def read_journal(path: Path) -> Journal:
    """Every whole line of a journal. Raises JournalError (one line) for a file that is not a watch journal."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JournalError(f"cannot read the watch journal {path}: {exc.strerror or exc} — give the file the "
                           "watch printed (journal: ...)") from None
    cut_short = bool(data) and not data.endswith(b"\n")
    whole = data[:data.rfind(b"\n") + 1] if cut_short else data
    lines = whole.split(b"\n")[:-1] if whole else []
    records: list[dict[str, Any]] = []
    skipped = 0
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            skipped += 1
    if not records or records[0].get("type") != "watch" or records[0].get("format_version") != JOURNAL_FORMAT:
        raise JournalError(f"{path} is not a ps-prechecks watch journal (its first line does not describe a watch) "
                           "— give the file the watch printed (journal: ...), or start a new watch with --watch")
    header = records[0]
    for key in ("start", "duration_seconds", "interval_seconds", "server"):
        if key not in header:
            raise JournalError(f"{path}: the watch's first line has no {key!r} — start a new watch with --watch")
    return Journal(path, header, records[1:], cut_short=cut_short, whole_bytes=len(whole), skipped=skipped)


class JournalWriter:
    """Appends records, one JSON line each, flushed and fsync'd before append() returns."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def create(cls, path: Path, header: Mapping[str, Any]) -> JournalWriter:
        path = Path(path)
        _private_dir(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0),
                         0o600)
        except FileExistsError:
            raise JournalError(f"{path} exists already — resume it with --watch-resume {path}, or remove it") from None
        writer = cls(path, fd)
        writer.append({"type": "watch", "format_version": JOURNAL_FORMAT, **header})
        _sync_dir(path.parent)  # the new file's name survives a crash too
        return writer

    @classmethod
    def resume(cls, journal: Journal) -> JournalWriter:
        """Append to a journal read with read_journal(); a line cut short is cut off first."""
        path = journal.path
        if path.is_symlink():
            raise JournalError(f"{path} is a symbolic link: the watch journal is not written through links — give "
                               "the file itself")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
            if journal.cut_short:
                os.ftruncate(fd, journal.whole_bytes)
        except OSError as exc:
            raise JournalError(f"cannot append to the watch journal {path}: {exc.strerror or exc} — check its "
                               "permissions") from None
        return cls(path, fd)

    def append(self, record: Mapping[str, Any]) -> None:
        line = (json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n").encode()
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _sync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- sampling ------------------------------------------------------------------------------------------------

def kept_status(status: Mapping[str, str]) -> dict[str, int]:
    """The counters history.json needs, as integers: KEPT, and every Com_* that is not zero."""
    out: dict[str, int] = {}
    for name, text in status.items():
        if name in KEPT or name.startswith("Com_"):
            try:
                value = int(text)
            except (TypeError, ValueError):
                continue
            if value or name in KEPT:
                out[name] = value
    return out


def server_identity(session: Session) -> dict[str, Any]:
    """What names the server across reconnections and resumes: its host name, port and server id (and on MySQL
    its server_uuid). One statement when a session opens, never per sample."""
    mysql = not session.identity.is_mariadb
    sql = "SELECT @@hostname, @@port, @@server_id" + (", @@server_uuid" if mysql else "")
    row = session.query(sql).rows[0]
    identity: dict[str, Any] = {"hostname": str(row[0]), "port": int(row[1]), "server_id": int(row[2]),
                                "version": session.identity.version}
    if mysql and row[3] is not None:
        identity["server_uuid"] = str(row[3])
    return identity


def same_server(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    keys = ("hostname", "port", "server_id", "server_uuid")
    return all(a.get(k) == b.get(k) for k in keys)


def describe_server(identity: Mapping[str, Any]) -> str:
    return f"{identity.get('hostname')}:{identity.get('port')} (server_id {identity.get('server_id')})"


class _OtherServer(Exception):
    """After a reconnection another server answered at the same address."""


@dataclass
class WatchOutcome:
    """How a watch ended, and the journal as it is now (the samples of earlier runs of a resumed one too)."""

    reason: str  # "finished" (its planned end), "stopped" (Ctrl-C, Stop, another server, a journal write failed)
    message: str
    journal: Journal
    samples_taken: int  # by this run


Opener = Callable[[ConnectionSpec, CancelToken], Session]


def _default_open(spec: ConnectionSpec, cancel: CancelToken) -> Session:
    return open_session(spec, cancel)


def run_watch(spec: ConnectionSpec, writer: JournalWriter, journal: Journal, *, cancel: CancelToken,
              on_sample: Callable[[dict[str, Any]], None] | None = None,
              on_event: Callable[[str], None] | None = None, open_: Opener = _default_open,
              clock: Callable[[], float] = time.time) -> WatchOutcome:
    """Sample until the journal's end time, ``cancel`` or Ctrl-C. Each record goes to ``writer`` (on disk) and
    ``journal.records`` (in memory) before the next sample. ``on_sample`` gets each sample record, ``on_event``
    each line worth telling the DBA (lost, reconnected). Raises ConnectionFailed when the very first session
    cannot open, JournalError when the server is not the journal's."""
    say = on_event or (lambda _text: None)
    taken = 0
    expected = journal.header["server"]

    def record(item: dict[str, Any]) -> None:
        writer.append(item)
        journal.records.append(item)

    def connect(first: bool) -> Session | None:
        """A session to the journal's server; None when the watch ended meanwhile (time or cancel)."""
        delay = BACKOFF_FIRST
        while True:
            try:
                session = open_(spec, cancel)
                identity = server_identity(session)
            except ConnectionFailed as exc:
                if first:
                    raise
                if clock() + delay > journal.until:
                    return None
                say(f"cannot reconnect yet ({exc.problem.one_line()}); next attempt in {delay:.0f} s")
            except (ConnectionLost, mysql_errors.Error) as exc:
                if first and not isinstance(exc, ConnectionLost):
                    raise
                if clock() + delay > journal.until:
                    return None
                say(f"lost the new session at once ({exc}); next attempt in {delay:.0f} s")
            else:
                if not same_server(identity, expected):
                    session.close()
                    text = (f"{spec.target} is now {describe_server(identity)}, not {describe_server(expected)} "
                            "whose samples the journal holds")
                    if first:
                        raise JournalError(f"{text} — give the server the watch was started on, or start a new "
                                           "watch with --watch")
                    raise _OtherServer(f"{text} (a failover?): the watch stopped there, its samples so far are kept")
                record({"type": "session", "t": round(clock(), 3)})
                return session
            cancel.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    session: Session | None = None
    try:
        session = connect(first=True)
        next_at = clock()
        while session is not None:
            now = clock()
            if now > journal.until + 0.5:
                break
            if next_at > now:
                cancel.sleep(min(next_at, journal.until) - now)
            started = clock()
            try:
                status = session.query(STATEMENT).pairs()
            except (ConnectionLost, mysql_errors.Error) as exc:  # any failure: a new session, the samples kept
                record({"type": "lost", "t": round(clock(), 3), "reason": str(exc)})
                say(f"lost the connection ({exc}); reconnecting with backoff, the samples so far are kept")
                session.close()
                session = connect(first=False)
                if session is not None:
                    say("reconnected; watching again")
                next_at = clock()
                continue
            sample = {"type": "sample", "t": round(started, 3), "seconds": round(clock() - started, 4),
                      "status": kept_status(status)}
            record(sample)
            taken += 1
            if on_sample is not None:
                on_sample(sample)
            next_at += journal.interval
            next_at = max(next_at, clock())  # a slow answer: no burst of catching-up samples
            if next_at > journal.until + 0.5:
                break
        reason, message = "finished", "the watch reached its end"
    except (Cancelled, KeyboardInterrupt):
        reason, message = "stopped", "the watch was stopped before its end"
    except _OtherServer as exc:  # not this server's samples: the watch ends with what it has
        reason, message = "stopped", str(exc)
        say(message)
    except OSError as exc:  # the journal cannot be written (a full disk): the samples so far are in memory
        reason = "stopped"
        message = (f"could not write the watch journal {writer.path}: {exc.strerror or exc} — the watch stopped "
                   "there; the archive is written from the samples so far")
        say(message)
    finally:
        if session is not None:
            session.close()
    try:
        record({"type": "end", "t": round(clock(), 3), "reason": reason})
    except OSError:
        pass
    try:  # the file is what a resume reads: a Ctrl-C between a line's write and its copy in memory lost neither
        journal.records = read_journal(journal.path).records
    except JournalError:
        pass
    return WatchOutcome(reason, message, journal, taken)


def new_header(spec: ConnectionSpec, identity: Mapping[str, Any], *, duration: float, interval: float,
               start: float) -> dict[str, Any]:
    """The journal's first line: what is watched, from when, for how long, how often (no credential)."""
    from prechecks import __version__

    return {"tool": f"ps-prechecks {__version__}", "target": spec.target, "server": dict(identity),
            "start": round(start, 3), "started_at": iso(start), "duration_seconds": duration,
            "interval_seconds": interval, "statement": STATEMENT}


def identify(spec: ConnectionSpec, cancel: CancelToken | None = None, open_: Opener = _default_open) -> dict[str, Any]:
    """The server's identity (one short session): the journal names it, and a resume checks it first."""
    session = open_(spec, cancel or CancelToken())
    try:
        return server_identity(session)
    finally:
        session.close()


# -- history.json --------------------------------------------------------------------------------------------

@dataclass
class _Segment:
    """Samples of one session: rates are computed within it, never across two."""

    samples: list[dict[str, Any]]
    before: str | None = None  # why there was no sample between the previous segment and this one


def _segments(journal: Journal) -> list[_Segment]:
    out: list[_Segment] = []
    current: list[dict[str, Any]] = []
    reason: str | None = None
    pending: str | None = None
    for item in journal.records:
        kind = item.get("type")
        if kind == "sample" and isinstance(item.get("status"), dict) and isinstance(item.get("t"), int | float):
            current.append(item)
        elif kind == "lost":
            pending = f"connection lost: {item.get('reason', '')}".strip()
        elif kind == "end":
            pending = pending or "the watch was stopped, then resumed (--watch-resume)"
        elif kind == "session":
            if current:
                out.append(_Segment(current, reason))
                current = []
                reason = pending or "the watch was not running (stopped or killed, then resumed with --watch-resume)"
            pending = None
    if current:
        out.append(_Segment(current, reason))
    return out


def _points(samples: Iterable[Mapping[str, Any]], value: Callable[[Mapping[str, int]], float | None]
            ) -> list[tuple[float, float | None]]:
    return [(float(s["t"]), value(s["status"])) for s in samples]


def _counter(name: str) -> Callable[[Mapping[str, int]], float | None]:
    def read(status: Mapping[str, int]) -> float | None:
        if name.startswith("Com_"):
            return float(status.get(name, 0))  # a Com_* not written was zero
        found = status.get(name)
        return float(found) if found is not None else None
    return read


def _sum(names: Sequence[str]) -> Callable[[Mapping[str, int]], float | None]:
    return lambda status: float(sum(status.get(n, 0) for n in names))


def history_from_journal(journal: Journal) -> dict[str, Any]:
    """history.json (source "watch") from a journal's samples: rates within each session only; a restart (the
    server's start time moved), a reconnection or a resume is a gap, named; restarts are counted in resets."""
    segments = _segments(journal)
    interval = journal.interval
    max_gap = interval * 3 + 5  # a sample late by more than two intervals: the time between is a gap
    gaps: list[dict[str, Any]] = []
    resets = 0
    previous: _Segment | None = None
    for segment in segments:
        if previous is not None:
            last, first = previous.samples[-1], segment.samples[0]
            restarted = _restarted(last, first)
            reason = (f"the server restarted (up {first['status'].get('Uptime')} s at "
                      f"{iso(float(first['t']))}): counters started again from zero") if restarted else segment.before
            resets += int(restarted)
            gaps.append({**Gap(float(last["t"]), float(first["t"])).as_dict(), "reason": reason or "no sample"})
        previous = segment

    series: dict[str, tuple[str, list[tuple[float, float]]]] = {}

    def rate(name: str, read: Callable[[Mapping[str, int]], float | None], *, named: bool = False) -> None:
        nonlocal resets
        points: list[tuple[float, float]] = []
        for segment in segments:
            rates = counter_rates(_points(segment.samples, read), max_gap=max_gap)
            points += rates.points
            if named:  # the gaps and resets inside a session, counted once (every series has the same times)
                resets += len(rates.resets)
                late = f"no sample for more than {max_gap:.0f} s"
                gaps.extend({**g.as_dict(), "reason": late} for g in rates.gaps)
                down = "the counters went down without a restart (FLUSH STATUS?)"
                gaps.extend({"start": iso(t), "end": iso(t), "seconds": 0, "reason": down} for t in rates.resets)
        series[name] = ("per_second", points)

    rate("queries_per_second", _counter("Questions"), named=True)
    rate("reads_per_second", _counter("Com_select"))
    rate("writes_per_second", _sum(WRITES))
    for name, canonical in COUNTERS.items():
        if canonical not in series:
            rate(canonical, _counter(name))
    for command in _busiest_commands(segments):
        rate(f"com_{command.removeprefix('Com_').lower()}_per_second", _counter(command))
    for name, canonical in GAUGES.items():
        series[canonical] = ("count", [(t, v) for t, v in _points(
            (s for seg in segments for s in seg.samples), _counter(name)) if v is not None])
    missing = [{"series": name, "reason": reason} for name, reason in NOT_IN_STATUS.items()]
    samples = [s for seg in segments for s in seg.samples]
    start = float(samples[0]["t"]) if samples else journal.start
    end = float(samples[-1]["t"]) if samples else journal.start
    document = history_document("watch", start, end, interval, series, missing=missing,
                                gaps=sorted(gaps, key=lambda g: g["start"]), resets=resets)
    ended = [r for r in journal.records if r.get("type") == "end"]
    document["watch"] = {"statement": STATEMENT, "samples": len(samples), "interval_seconds": interval,
                         "planned_seconds": float(journal.header["duration_seconds"]),
                         "stopped_early": bool(ended) and ended[-1].get("reason") == "stopped"}
    return document


def _restarted(last: Mapping[str, Any], first: Mapping[str, Any]) -> bool:
    """Did the server start again between two samples? Its Uptime went down, or its start time (sample time -
    Uptime) moved by more than Uptime's whole seconds and the two answers' time can explain."""
    up0, up1 = last["status"].get("Uptime"), first["status"].get("Uptime")
    if up0 is None or up1 is None:
        return False
    tolerance = RESTART_TOLERANCE + float(last.get("seconds") or 0) + float(first.get("seconds") or 0)
    return bool(up1 < up0 or abs((float(first["t"]) - up1) - (float(last["t"]) - up0)) > tolerance)


def _busiest_commands(segments: Sequence[_Segment]) -> list[str]:
    """The Com_* counters that grew the most over the watch (within sessions), busiest first."""
    totals: dict[str, float] = {}
    for segment in segments:
        for a, b in zip(segment.samples, segment.samples[1:], strict=False):
            for name, value in b["status"].items():
                if name.startswith("Com_"):
                    grown = value - a["status"].get(name, 0)
                    if grown > 0:
                        totals[name] = totals.get(name, 0) + grown
    ranked = sorted(totals, key=lambda n: (-totals[n], n))
    return ranked[:BUSIEST_COMMANDS]


def summary_line(document: Mapping[str, Any]) -> str:
    """One line about a watch's history: samples, window, average and peak QPS, gaps and restarts."""
    qps = (document.get("series") or {}).get("queries_per_second")
    window = document.get("window") or {}
    figures = (f"queries/s avg {qps['avg']}, peak {qps['max']} at {qps['max_at']}" if qps
               else "too few samples for a rate")
    gaps, resets = len(document.get("gaps") or []), document.get("resets", 0)
    samples = (document.get("watch") or {}).get("samples", 0)
    return (f"{samples} samples from {window.get('start')} to {window.get('end')}: {figures}; "
            f"{gaps} gap(s), {resets} restart(s)/counter reset(s)")
