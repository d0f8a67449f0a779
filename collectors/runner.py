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

from collectors.base import READAHEAD, SCHEMA_SCRATCH, Collector, Context, Degraded, SchemaWalk, Shared, Skip
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
from collectors.readahead import ReadAhead

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


Status = Literal["ok", "skipped", "failed"]


@dataclass
class CollectorResult:
    name: str
    title: str
    status: Status
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


@dataclass
class _Walker:
    """A walking collector's progress through the schemas."""

    collector: Collector
    walk: SchemaWalk
    index: int
    context: Context
    result: CollectorResult | None  # set when it will not (or no longer) run
    state: Any = None
    active: bool = True
    status: Status = "ok"
    reason: str = ""
    seconds: float = 0.0
    statements: int = 0

    def __post_init__(self) -> None:
        self.active = self.result is None


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
        open_session: Callable[[], Session] | None = None,
    ) -> None:
        self.session = session
        # a second session for reading the next schema ahead during a walk (collectors.readahead)
        self.open_session = open_session
        self.collectors = list(collectors)
        self.options = options
        self.progress = progress or (lambda _event: None)
        self.cancel = cancel or CancelToken()
        self.session.cancel = self.cancel
        self.facts: dict[str, Any] = facts if facts is not None else {}
        self.scratch: dict[str, Any] = {}  # the schema walk's per-schema caches (collectors.base.SCHEMA_SCRATCH)
        self.shared = Shared()  # what the collectors hand each other, typed
        self.outcomes: dict[str, CollectorResult] = {}  # name -> result of each collector that has finished
        check_needs(self.collectors)

    def _emit(self, kind: EventKind, index: int, collector: Collector, done: float, started: float,
              message: str = "", seconds: float = 0.0) -> None:
        total_weight = sum(c.expected_seconds for c in self.collectors) or 1.0
        fraction = min(1.0, done / total_weight)
        elapsed = time.monotonic() - started
        eta = None
        if fraction > 0.02:
            eta = max(0.0, elapsed / fraction * (1 - fraction))
        wait_until = self.shared.wait_until  # a collector's fixed wait (the --sleep interval)
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
        self.shared.grants = grants  # collectors that list objects say what the account cannot see
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
        index = 0
        while index < len(self.collectors):
            collector = self.collectors[index]
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
            if collector.walk is not None:  # this and the walking collectors after it: one pass over the schemas
                group = [collector]
                while index + len(group) < len(self.collectors) and self.collectors[index + len(group)].walk:
                    group.append(self.collectors[index + len(group)])
                done = self._walk(index, group, items or [], account, artifacts, results, done, started)
                index += len(group)
                continue
            self._emit("started", index, collector, done, started)
            result = self._not_running(collector, items or [], account)
            if result is None:
                result = self._run_one(collector, artifacts)
                self._add_remedy(result, items or [], account)
            results.append(result)
            self.outcomes[collector.name] = result
            done += collector.expected_seconds
            kind: EventKind = "finished" if result.status == "ok" else result.status
            self._emit(kind, index, collector, done, started, result.reason, result.seconds)
            index += 1
        self.facts["collection"].update(
            {"finished_at": _now(), "collectors": [r.as_dict() for r in results],
             "statement_timeout_seconds": self.session.spec.statement_timeout,
             "safety_notes": list(self.session.safety_notes)}
        )
        statements = [(s.sql, s.seconds, s.rows, s.error) for s in self.session.statements]
        return RunResult(self.facts, results, artifacts, statements, self.shared.grants, items or [])

    def _not_running(self, collector: Collector, items: list[PreflightItem], account: str) -> CollectorResult | None:
        """The result of a collector that does not run here (a collector it needs did not run, not applicable,
        or a missing privilege)."""
        unmet = self._unmet_need(collector)
        if unmet is not None:
            return CollectorResult(collector.name, collector.title, "skipped", unmet)
        not_applicable = collector.applies(self.session.identity, self.options)
        if not_applicable is not None:
            return CollectorResult(collector.name, collector.title, "skipped", not_applicable)
        item = next((i for i in items if not i.partial and i.collector == collector.name), None)
        if item is not None:
            return CollectorResult(collector.name, collector.title, "skipped", item.reason,
                                   remedy=" ".join(item.grant_statements(account)))
        return None

    def _unmet_need(self, collector: Collector) -> str | None:
        """Why ``collector`` cannot run for want of a collector it needs, or None when each of them ran."""
        for need in collector.needs:
            outcome = self.outcomes.get(need)
            if outcome is None:
                return f"needs the {need} collector, which is not part of this run"
            if outcome.status != "ok":
                return f"needs the {need} collector, which was {outcome.status}" + (
                    f" ({outcome.reason})" if outcome.reason else "")
        return None

    @staticmethod
    def _add_remedy(result: CollectorResult, items: list[PreflightItem], account: str) -> None:
        partial = next((i for i in items if i.partial and i.collector == result.name), None)
        if partial is not None and result.reason:
            result.remedy = " ".join(partial.grant_statements(account))

    def _context(self, collector: Collector, artifacts: dict[str, str]) -> Context:
        return Context(self.session, self.facts, self.options, self.cancel, artifacts,
                       deadline=time.monotonic() + collector.budget_seconds, log=self._log(collector),
                       scratch=self.scratch, shared=self.shared)

    def _run_one(self, collector: Collector, artifacts: dict[str, str]) -> CollectorResult:
        before = len(self.session.statements)
        t0 = time.monotonic()
        context = self._context(collector, artifacts)
        status, reason = self._guarded(collector, lambda: collector.collect(context))
        if status == "ok":
            reason = _with_notes(context, reason)
        return CollectorResult(collector.name, collector.title, status, reason, time.monotonic() - t0,
                               len(self.session.statements) - before)

    def _guarded(self, collector: Collector, work: Callable[[], object]) -> tuple[Status, str]:
        """Run one collector's work: its outcome, or RunAborted when the run cannot go on."""
        try:
            work()
        except Cancelled:
            raise RunAborted("cancelled by the user", cancelled=True) from None
        except ConnectionLost as exc:
            raise RunAborted(
                f"lost the connection to the server ({exc}); nothing was written",
                "check that the server is up and reachable, then run again",
            ) from None
        except Skip as exc:
            return "skipped", str(exc)
        except Degraded as exc:
            return "ok", str(exc)
        except mysql_errors.Error as exc:
            if not self.session.is_alive():
                raise RunAborted(
                    f"lost the connection to the server during {collector.name}; nothing was written",
                    "check that the server is up and reachable, then run again",
                ) from None
            return _describe_error(exc)
        except Exception as exc:  # a bug in one collector must not cost the others
            return "failed", f"internal error: {type(exc).__name__}: {exc}"
        return "ok", ""

    def _walk(self, first: int, group: list[Collector], items: list[PreflightItem], account: str,
              artifacts: dict[str, str], results: list[CollectorResult], done: float, started: float) -> float:
        """Run consecutive walking collectors schema by schema: every collector's step for one schema,
        then the next schema (each schema's tables are opened once, while they are in the table cache).
        Each collector keeps its own budget, statement count, outcome and error isolation."""
        walkers: list[_Walker] = []
        for offset, collector in enumerate(group):
            self._emit("started", first + offset, collector, done, started)
            result = self._not_running(collector, items, account)
            assert collector.walk is not None
            walker = _Walker(collector, collector.walk, first + offset, self._context(collector, artifacts), result)
            if result is None:
                self._walk_call(walker, "start")
            walkers.append(walker)
        schemas = self.user_schemas()
        readahead = None
        if self.open_session is not None and len(schemas) > 2 and any(w.active for w in walkers):
            readahead = ReadAhead(self.open_session, self.cancel, self._log(group[0]))
            self.scratch[READAHEAD] = readahead
        try:
            self._walk_schemas(walkers, group, schemas, readahead, first, done, started)
        finally:
            if readahead is not None:
                self.scratch.pop(READAHEAD, None)
                self.session.statements.extend(readahead.close())
        for walker in walkers:
            if walker.result is None:
                self._walk_call(walker, "finish")
            result = walker.result or CollectorResult(
                walker.collector.name, walker.collector.title, walker.status,
                _with_notes(walker.context, walker.reason) if walker.status == "ok" else walker.reason,
                walker.seconds, walker.statements)
            if walker.result is None:
                self._add_remedy(result, items, account)
            results.append(result)
            self.outcomes[walker.collector.name] = result
            done += walker.collector.expected_seconds
            kind: EventKind = "finished" if result.status == "ok" else result.status
            self._emit(kind, walker.index, walker.collector, done, started, result.reason, result.seconds)
        return done

    def _walk_schemas(self, walkers: list[_Walker], group: list[Collector], schemas: list[str],
                      readahead: ReadAhead | None, first: int, done: float, started: float) -> None:
        weight = sum(c.expected_seconds for c in group)
        last_log = time.monotonic()
        asked: set[str] = set()  # schemas the read-ahead was given
        for position, schema in enumerate(schemas):
            if self.cancel.cancelled:
                raise RunAborted("cancelled by the user", cancelled=True)
            if readahead is not None:
                # this schema too when it was not asked for (the statements are learnt from the first):
                # the reader then shares its reads from the other end
                for ahead in schemas[position:position + 2]:
                    if ahead not in asked and readahead.ahead(ahead):
                        asked.add(ahead)
            for walker in walkers:
                if walker.active:
                    self._walk_call(walker, "step", schema, position, len(schemas))
            self.scratch.pop(SCHEMA_SCRATCH, None)  # what the steps shared about this schema
            if time.monotonic() - last_log >= 1.0 or position == len(schemas) - 1:
                last_log = time.monotonic()
                self._emit("log", first, group[0], done + weight * (position + 1) / len(schemas), started,
                           f"read {position + 1} of {len(schemas)} schemas")
            if not any(w.active for w in walkers):
                break

    def user_schemas(self) -> list[str]:
        return Context(self.session, self.facts, self.options, self.cancel).user_schemas()

    def _walk_call(self, walker: _Walker, phase: Literal["start", "step", "finish"], schema: str = "",
                   position: int = 0, total: int = 0) -> None:
        """One phase of one walking collector, on its own budget (less the time it has used so far)."""
        walk, context = walker.walk, walker.context

        def work() -> None:
            if phase == "start":
                walker.state = walk.start(context)
            elif phase == "step":
                walker.active = bool(walk.step(context, walker.state, schema, position, total))
            else:
                walk.finish(context, walker.state)

        before = len(self.session.statements)
        t0 = time.monotonic()
        walker.context.deadline = t0 + walker.collector.budget_seconds - walker.seconds
        status, reason = self._guarded(walker.collector, work)
        walker.seconds += time.monotonic() - t0
        walker.statements += len(self.session.statements) - before
        if status != "ok" or reason:  # skipped, failed, or finished with a reason: no further steps
            walker.status, walker.reason, walker.active = status, reason, False
            if status != "ok":
                walker.result = CollectorResult(walker.collector.name, walker.collector.title, status, reason,
                                                walker.seconds, walker.statements)

    def _log(self, collector: Collector) -> Callable[[str], None]:
        def log(message: str) -> None:
            self._emit("log", self.collectors.index(collector), collector, 0.0, time.monotonic(), message)

        return log


def check_needs(collectors: Sequence[Collector]) -> None:
    """Each collector's ``needs`` comes before it in ``collectors`` (one that is not listed at all only skips its
    user when the run gets there). Raises ValueError naming the first collector listed after its user."""
    position = {collector.name: index for index, collector in enumerate(collectors)}
    for index, collector in enumerate(collectors):
        for need in collector.needs:
            if position.get(need, -1) > index:
                raise ValueError(f"collector {collector.name} needs {need}, which is listed after it: "
                                 f"list {need} first")


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


def _with_notes(context: Context, reason: str) -> str:
    """What a collector that ran says: its notes (e.g. a budget cut-off), then what it raised Degraded with."""
    return "; ".join([*context.notes, reason] if reason else context.notes)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
