"""Runs the collectors in order, one at a time, reporting progress through a plain callback.

The callback is called on the runner's thread; a GUI forwards it across threads with a signal.
One collector failing never stops the others; a lost connection or Cancel ends the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from mysql.connector import errors as mysql_errors

from collectors.base import Collector, Context, Degraded, Skip
from collectors.connection import (
    Cancelled,
    CancelToken,
    ConnectionLost,
    Session,
    is_privilege_error,
    is_timeout_error,
    is_unsupported_error,
)
from collectors.privileges import Grants, PreflightItem, account_literal, preflight, read_grants

EventKind = Literal["started", "finished", "skipped", "failed", "log"]


@dataclass(frozen=True)
class ProgressEvent:
    kind: EventKind
    collector: str
    title: str
    index: int
    total: int
    fraction: float  # 0..1 of the expected work done
    eta_seconds: float | None
    message: str = ""
    seconds: float = 0.0


@dataclass
class CollectorResult:
    name: str
    title: str
    status: Literal["ok", "skipped", "failed"]
    reason: str = ""
    seconds: float = 0.0
    statements: int = 0
    remedy: str = ""

    def as_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "statements": self.statements,
        }
        if self.remedy:
            record["remedy"] = self.remedy
        return record


@dataclass
class RunResult:
    facts: dict[str, Any]
    results: list[CollectorResult]
    artifacts: dict[str, str]
    statements: list[tuple[str, float, int, str | None]]
    grants: Grants | None = None
    preflight: list[PreflightItem] = field(default_factory=list)


class RunAborted(Exception):
    """The run cannot go on (connection lost, cancelled). Nothing should be written."""

    def __init__(self, message: str, remedy: str = "", *, cancelled: bool = False) -> None:
        super().__init__(message)
        self.remedy = remedy
        self.cancelled = cancelled


Progress = Callable[[ProgressEvent], None]


class Runner:
    def __init__(
        self,
        session: Session,
        collectors: Sequence[Collector],
        options: Mapping[str, Any],
        *,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        facts: dict[str, Any] | None = None,
    ) -> None:
        self.session = session
        self.collectors = list(collectors)
        self.options = options
        self.progress = progress or (lambda _event: None)
        self.cancel = cancel or CancelToken()
        self.session.cancel = self.cancel
        self.facts: dict[str, Any] = facts if facts is not None else {}
        self.scratch: dict[str, Any] = {}

    def _emit(self, kind: EventKind, index: int, collector: Collector, done: float, started: float,
              message: str = "", seconds: float = 0.0) -> None:
        total_weight = sum(c.expected_seconds for c in self.collectors) or 1.0
        fraction = min(1.0, done / total_weight)
        elapsed = time.monotonic() - started
        eta = None
        if fraction > 0.02:
            eta = max(0.0, elapsed / fraction * (1 - fraction))
        wait_until = self.scratch.get("wait_until")  # a collector's fixed wait (the --sleep interval)
        if wait_until is not None and fraction < 1.0:
            eta = max(eta or 0.0, wait_until - time.monotonic())
        try:
            self.progress(
                ProgressEvent(kind, collector.name, collector.title, index, len(self.collectors), fraction, eta,
                              message, seconds)
            )
        except Exception:  # noqa: S110 - a broken progress consumer must not break the collection
            pass

    def _preflight(self, started: float) -> tuple[list[PreflightItem], str]:
        grants = read_grants(self.session)
        self.scratch["grants"] = grants  # collectors that list objects say what the account cannot see
        items = preflight(grants, self.collectors, self.session.identity)
        account = account_literal(grants.account)
        by_name = {c.name: c for c in self.collectors}
        for item in items:
            effect = "reads less" if item.partial else "will be skipped"
            self._emit("log", self.collectors.index(by_name[item.collector]), by_name[item.collector], 0.0, started,
                       f"preflight: {effect} ({item.reason}); to fix: {' '.join(item.grant_statements(account))}")
        return items, account

    def run(self) -> RunResult:
        started = time.monotonic()
        self.facts.setdefault("collection", {})["started_at"] = _now()
        items: list[PreflightItem] | None = None
        account = ""
        results: list[CollectorResult] = []
        artifacts: dict[str, str] = {}
        done = 0.0
        for index, collector in enumerate(self.collectors):
            if self.cancel.cancelled:
                raise RunAborted("cancelled by the user", cancelled=True)
            if items is None and collector.needs_grants:
                try:
                    items, account = self._preflight(started)
                except Cancelled:
                    raise RunAborted("cancelled by the user", cancelled=True) from None
                except ConnectionLost as exc:
                    raise RunAborted(f"lost the connection to the server ({exc}); nothing was written",
                                     "check that the server is up and reachable, then run again") from None
            missing = {i.collector: i for i in items or () if not i.partial}
            self._emit("started", index, collector, done, started)
            not_applicable = collector.applies(self.session.identity, self.options)
            if not_applicable is None and collector.name in missing:
                item = missing[collector.name]
                result = CollectorResult(collector.name, collector.title, "skipped", item.reason,
                                         remedy=" ".join(item.grant_statements(account)))
            elif not_applicable is not None:
                result = CollectorResult(collector.name, collector.title, "skipped", not_applicable)
            else:
                result = self._run_one(collector, artifacts)
                partial = next((i for i in items or () if i.partial and i.collector == collector.name), None)
                if partial is not None and result.reason:
                    result.remedy = " ".join(partial.grant_statements(account))
            results.append(result)
            done += collector.expected_seconds
            kind: EventKind = "finished" if result.status == "ok" else result.status
            self._emit(kind, index, collector, done, started, result.reason, result.seconds)
        self.facts["collection"].update(
            {"finished_at": _now(), "collectors": [r.as_dict() for r in results],
             "statement_timeout_seconds": self.session.spec.statement_timeout,
             "safety_notes": list(self.session.safety_notes)}
        )
        statements = [(s.sql, s.seconds, s.rows, s.error) for s in self.session.statements]
        grants = self.scratch.get("grants")
        return RunResult(self.facts, results, artifacts, statements, grants, items or [])

    def _run_one(self, collector: Collector, artifacts: dict[str, str]) -> CollectorResult:
        before = len(self.session.statements)
        t0 = time.monotonic()
        context = Context(self.session, self.facts, self.options, self.cancel, artifacts,
                          deadline=t0 + collector.budget_seconds, log=self._log(collector),
                          scratch=self.scratch)
        status: Literal["ok", "skipped", "failed"] = "ok"
        reason = ""
        try:
            collector.collect(context)
        except Cancelled:
            raise RunAborted("cancelled by the user", cancelled=True) from None
        except ConnectionLost as exc:
            raise RunAborted(
                f"lost the connection to the server ({exc}); nothing was written",
                "check that the server is up and reachable, then run again",
            ) from None
        except Skip as exc:
            status, reason = "skipped", str(exc)
        except Degraded as exc:
            reason = str(exc)
        except mysql_errors.Error as exc:
            status, reason = _describe_error(exc)
            if not self.session.is_alive():
                raise RunAborted(
                    f"lost the connection to the server during {collector.name}; nothing was written",
                    "check that the server is up and reachable, then run again",
                ) from None
        except Exception as exc:  # a bug in one collector must not cost the others
            status, reason = "failed", f"internal error: {type(exc).__name__}: {exc}"
        if context.notes and status == "ok":
            reason = "; ".join(context.notes)
        return CollectorResult(collector.name, collector.title, status, reason, time.monotonic() - t0,
                               len(self.session.statements) - before)

    def _log(self, collector: Collector) -> Callable[[str], None]:
        def log(message: str) -> None:
            self._emit("log", self.collectors.index(collector), collector, 0.0, time.monotonic(), message)

        return log


def _describe_error(exc: mysql_errors.Error) -> tuple[Literal["skipped", "failed"], str]:
    errno = exc.errno
    msg = (getattr(exc, "msg", "") or "").splitlines()[0] if getattr(exc, "msg", "") else ""
    if is_privilege_error(exc):
        return "skipped", f"the account lacks a privilege (errno {errno}: {msg})"
    if is_unsupported_error(exc):
        return "skipped", f"not supported by this server (errno {errno}: {msg})"
    if is_timeout_error(exc):
        return "failed", f"a statement hit the per-statement time limit (errno {errno})"
    return "failed", f"errno {errno}: {msg}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
