"""One collection from a live server, end to end: session, collectors, derived facts, the archive's inputs.

The CLI and the wizard both call this; neither talks to the collectors directly.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.connection import Cancelled, CancelToken, ConnectionSpec, open_session
from collectors.registry import collectors_for
from collectors.runner import Progress, RunAborted, Runner, RunResult
from prechecks import __version__

if TYPE_CHECKING:  # the bundle, questionnaire and redaction load after the run, not before it
    from prechecks.bundle import ArchiveInputs
    from prechecks.derive import Derived
    from prechecks.questionnaire import Value

FACTS_FORMAT_VERSION = 1


@dataclass
class RunOptions:
    sleep: float = 10.0
    databases: list[str] | None = None
    schema_ddl: bool = True
    schema_ddl_budget: float = 60.0
    top_tables: int = 20
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_mapping(self) -> dict[str, Any]:
        return {"sleep": self.sleep, "databases": self.databases, "schema_ddl": self.schema_ddl, **self.extra}


def timestamp_now() -> str:
    return datetime.now(UTC).strftime("%Y_%m_%d_%H_%M_%S")


def new_facts(spec: ConnectionSpec | None) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "format_version": FACTS_FORMAT_VERSION,
        "tool": {"name": "ps-prechecks", "version": __version__},
        "collected_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    if spec is not None:
        facts["source"] = {
            "host": spec.host if not (spec.socket and not spec.host) else None,
            "port": spec.port if spec.host or not spec.socket else None,
            "socket": spec.socket,
            "user": spec.effective_user,
            "via": "tcp" if spec.host or not spec.socket else "socket",
            "tls_mode": spec.tls_mode,
        }
        if spec.ssh is not None:  # host and port are the server as the bastion sees it
            facts["source"].update({"via": "ssh", "ssh_host": spec.ssh.host, "ssh_port": spec.ssh.port,
                                    "ssh_user": spec.ssh.effective_user})
    return facts


class _FullGcPauses:
    """``with no_full_gc_pauses():`` — the cyclic garbage collector off for a run, and what the run kept
    frozen afterwards.

    A run keeps nearly everything it reads, so the heap only grows, and each full collection walks all
    of it while holding the GIL: on 20 x 1,000 tables twelve of them, up to 140 ms each (the wizard's
    window froze that long; the CLI lost about a second). The run makes next to no reference cycles,
    and reference counting frees the rest as before. Frozen, the run's objects are not walked by later
    collections either (they are still freed when no longer referenced). Runs in several threads may
    overlap: the collector is back on when the last one ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._was_enabled = True

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._runs == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._runs += 1
        try:
            yield
        finally:
            with self._lock:
                self._runs -= 1
                if self._runs == 0:
                    gc.freeze()
                    if self._was_enabled:
                        gc.enable()


no_full_gc_pauses = _FullGcPauses()


@dataclass
class Collected(RunResult):
    """A run's result with its facts derived (prechecks.derive, once): ``facts`` is what facts.json holds and
    ``readiness`` what the Findings page, readiness.json and the report show."""

    readiness: dict[str, Any] = field(default_factory=dict)

    @property
    def derived(self) -> Derived:
        from prechecks.derive import Derived

        return Derived(self.facts, self.readiness)


def derived_result(result: RunResult) -> Collected:
    """The run's observations through prechecks.derive (the workload rates, provenance, readiness)."""
    from prechecks.derive import derive

    derived = derive(result.facts)
    return Collected(derived.facts, result.results, result.artifacts, result.statements, result.grants,
                     result.preflight, readiness=derived.readiness)


def collect(
    spec: ConnectionSpec,
    options: RunOptions,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Collected:
    """Connect, run every collector, return the derived facts. Raises ConnectionFailed / RunAborted.

    Through SSH (``spec.ssh``) one tunnel serves the run: both sessions connect through it, and it is
    closed on every way out (success, failure, Cancel, Ctrl-C). A tunnel that drops ends the run as a
    lost connection does, saying it was the tunnel."""
    cancel = cancel or CancelToken()
    with ExitStack() as stack:
        stack.enter_context(no_full_gc_pauses())
        tunnel = None
        if spec.ssh is not None:
            from collectors.tunnel import open_tunnel_for

            try:
                tunnel = stack.enter_context(open_tunnel_for(spec, cancel))
            except Cancelled:
                raise RunAborted("cancelled by the user", cancelled=True) from None
        session = stack.enter_context(open_session(spec, cancel, tunnel=tunnel))
        runner = Runner(
            session,
            collectors_for(options.sleep, schema_ddl_budget=options.schema_ddl_budget),
            options.as_mapping(),
            progress=progress,
            cancel=cancel,
            facts=new_facts(spec),
            open_session=lambda: open_session(spec, cancel, tunnel=tunnel),
        )
        try:
            result = runner.run()
        except RunAborted as exc:
            if tunnel is None or exc.cancelled or not tunnel.dropped:
                raise
            assert spec.ssh is not None
            raise RunAborted(f"lost the SSH tunnel through {spec.ssh.where} (the bastion closed the connection); "
                             "nothing was written",
                             "check that the bastion and its sshd are up and reachable from here, then run again"
                             ) from None
    return derived_result(result)  # after the session is closed: deriving needs no server


def archive_inputs(
    result: RunResult,
    timestamp: str,
    *,
    secrets: Sequence[str],
    top_tables: int = 20,
    answers: Mapping[str, Value] | None = None,
    draft: Mapping[str, Value] | None = None,
    attachments: Mapping[str, Path] | None = None,
    questionnaire: bool = True,
) -> ArchiveInputs:
    """What goes into the archive besides the derived facts (prechecks.bundle.build takes both).

    The questionnaire's answers are the prefill from the facts, under the ``draft``, under ``answers``
    (the user's); ``attachments`` (safe name -> file, see prechecks.attachments) go under attachments/.
    ``slow_log_files`` (prechecks.slowlog.files_fact) becomes ``slow_log.files`` of the archive's facts
    (the run's own facts are not changed): the digest files and the report's section come from it.
    """
    from prechecks.bundle import ArchiveInputs
    from prechecks.redaction import secret_warnings

    samples = {k: v for k, v in result.artifacts.items() if k in ("mysqldump", "mysql-config-file")}
    return ArchiveInputs(
        timestamp=timestamp,
        samples=samples,
        secrets=list(secrets),
        notes=secret_warnings(list(secrets), result.facts),  # a common password: what it means for redaction
        answers=answers,
        draft=draft,
        questionnaire=questionnaire,
        attachments=dict(attachments or {}),
        top_tables=top_tables,
        manifest_extra=manifest_extra(result),
    )


def manifest_extra(result: RunResult) -> dict[str, Any]:
    """Which statements were sent (ours only), the slowest first, for the DBA's audit."""
    statements = result.statements
    slowest = sorted(statements, key=lambda s: -s[1])[:20]
    return {
        "statements": {
            "count": len(statements),
            "errors": sum(1 for s in statements if s[3]),
            "longest_seconds": round(slowest[0][1], 3) if slowest else 0.0,
            "slowest": [{"sql": s[0], "seconds": round(s[1], 4), "rows": s[2], "error": s[3]} for s in slowest],
        },
        "preflight": [
            {"collector": item.collector, "reason": item.reason} for item in result.preflight
        ],
    }
