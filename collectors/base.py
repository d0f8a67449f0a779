"""The collector unit: a small declarative description plus one function that does the work.

Modelled on sos' Plugin minus the inheritance: class attributes become dataclass fields, and the
runner, not the collector, decides whether it may run and records why it did not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from collectors.connection import CancelToken, QueryResult, ServerIdentity, Session

if TYPE_CHECKING:
    from collectors.privileges import Grants

# schemas that belong to the server itself; never counted as user data
SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")


@dataclass(frozen=True)
class Requirement:
    """A privilege a collector needs, with the statement that grants it."""

    privilege: str  # as SHOW GRANTS spells it, e.g. "PROCESS", "REPLICATION CLIENT"
    on: str = "*.*"
    why: str = ""
    # other privileges that also satisfy it (MariaDB 10.5 split REPLICATION CLIENT, SUPER covers it)
    alternatives: tuple[str, ...] = ()

    def grant(self, account: str = "'user'@'host'") -> str:
        return f"GRANT {self.privilege} ON {self.on} TO {account};"


class Skip(Exception):
    """Raised by a collector to say it cannot run here, with the reason."""


class Degraded(Exception):
    """Raised after a collector wrote what it could: it ran, but part of it is missing."""


@dataclass
class Shared:
    """What the collectors of one run hand each other, each with a name and a type (never written out).

    A collector that cannot work without another's result declares it (``Collector.needs``); these are the
    values that travel with it, or that a collector reuses when another read them already."""

    # monotonic time of the first SHOW GLOBAL STATUS (status): the second sample waits --sleep from it
    # (status_sample, which needs status) and the option file collector dates the server's start with it
    status_first_at: float | None = None
    # monotonic time the second status sample is due: the runner's ETA never promises less
    wait_until: float | None = None
    # the account's grants, read by the runner before the first collector that needs any (preflight): the
    # inventory says what the account cannot see
    grants: Grants | None = None
    # SHOW PLUGINS, read once for the security collectors (plugins, audit, authentication)
    plugins: list[dict[str, Any]] | None = None
    # schema -> what the inventory counted that the technologies collector would read again (FULLTEXT and
    # SPATIAL indexes, spatial columns, foreign keys, partitioned tables); a schema absent: it reads them itself
    technology_counts: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Context:
    """What a collector sees: the session, the facts so far, options, and a place for artifacts."""

    session: Session
    facts: dict[str, Any]
    options: Mapping[str, Any]
    cancel: CancelToken
    artifacts: dict[str, str] = field(default_factory=dict)
    deadline: float = 0.0  # monotonic time by which this collector should stop
    notes: list[str] = field(default_factory=list)
    # per-schema caches of a schema walk (SCHEMA_SCRATCH, the read-ahead handle READAHEAD), never written out;
    # what collectors hand each other goes in ``shared``, typed
    scratch: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = lambda _message: None
    shared: Shared = field(default_factory=Shared)

    @property
    def server(self) -> ServerIdentity:
        return self.session.identity

    def query(self, sql: str, params: tuple[Any, ...] | None = None) -> QueryResult:
        return self.session.query(sql, params)

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def user_schemas(self) -> list[str]:
        """The schemas to look into: --databases if given, else every non-system schema."""
        chosen = self.options.get("databases")
        databases = [str(d) for d in self.facts.get("databases", [])]
        if chosen:
            wanted = set(chosen)
            return [d for d in databases if d in wanted] or list(chosen)
        return [d for d in databases if d.lower() not in SYSTEM_SCHEMAS]


@dataclass(frozen=True)
class SchemaWalk:
    """A collector that reads the user schemas one at a time, in three steps.

    The runner walks the schemas once for every run of consecutive walking collectors: each schema
    gets every collector's statements before the next schema starts, so its tables are opened once
    (information_schema and SHOW CREATE open every table; on a server with more tables than the
    table cache holds, a second pass over all schemas would open each table again). Outside the
    runner (a collector alone) `walk_alone` does the same for one collector.

    start(ctx) -> state; step(ctx, state, schema, index, total) -> False to stop early (its budget
    ran out: it records why itself); finish(ctx, state) writes the facts and may raise Degraded.
    """

    start: Callable[[Context], Any]
    step: Callable[[Context, Any, str, int, int], bool]
    finish: Callable[[Context, Any], None]


def walk_alone(walk: SchemaWalk) -> Callable[[Context], None]:
    """The collect function of a walking collector run on its own."""

    def collect(ctx: Context) -> None:
        state = walk.start(ctx)
        schemas = ctx.user_schemas()
        for index, schema in enumerate(schemas):
            ctx.cancel.raise_if_cancelled()
            try:
                if not walk.step(ctx, state, schema, index, len(schemas)):
                    break
            finally:
                ctx.scratch.pop(SCHEMA_SCRATCH, None)
        walk.finish(ctx, state)

    return collect


# ctx.scratch key of the runner's collectors.readahead.ReadAhead during a walk
READAHEAD = "readahead"
# ctx.scratch key of what the walking collectors share about the schema being read; dropped after it
SCHEMA_SCRATCH = "schema"


def schema_scratch(ctx: Context, schema: str) -> dict[str, Any]:
    """Reads shared by the collectors for the schema being walked (kept for one schema only)."""
    shared: dict[str, Any] = ctx.scratch.setdefault(SCHEMA_SCRATCH, {})
    if shared.get("name") != schema:
        shared.clear()
        shared["name"] = schema
    return shared


@dataclass(frozen=True)
class Collector:
    name: str
    title: str
    reads: tuple[str, ...]  # what it sends or reads, for the DBA and the manifest
    writes: tuple[str, ...]  # facts keys it sets
    collect: Callable[[Context], None]
    samples: tuple[str, ...] = ()  # sample files that come from what it writes
    requires: tuple[Requirement, ...] = ()
    # returns None when the collector applies to this server, else the reason it does not
    applies: Callable[[ServerIdentity, Mapping[str, Any]], str | None] = lambda _server, _options: None
    budget_seconds: float = 30.0
    expected_seconds: float = 0.2  # for progress and ETA
    # privileges that depend on the server (MariaDB 10.5.9 split REPLICATION CLIENT in three)
    requires_on: Callable[[ServerIdentity], tuple[Requirement, ...]] | None = None
    # False only for collectors that need no privilege and must start at once (the first status
    # sample starts the --sleep interval); the runner reads the grants before the first other one
    needs_grants: bool = True
    # without these it still runs, but part of what it reads is missing (said in its reason)
    improves_with: tuple[Requirement, ...] = ()
    # reads one schema at a time: the runner interleaves consecutive walking collectors per schema
    walk: SchemaWalk | None = None
    # collectors (by name) whose result this one cannot work without: listed before it (the runner refuses a
    # list where one comes after), and when one of them did not run, this one is skipped saying which
    needs: tuple[str, ...] = ()

    def requirements(self, server: ServerIdentity) -> tuple[Requirement, ...]:
        return self.requires + (self.requires_on(server) if self.requires_on else ())


def walking_collector(*, start: Callable[[Context], Any], step: Callable[[Context, Any, str, int, int], bool],
                      finish: Callable[[Context, Any], None], **fields: Any) -> Collector:
    """A Collector that reads one schema at a time (see SchemaWalk)."""
    walk = SchemaWalk(start, step, finish)
    return Collector(collect=walk_alone(walk), walk=walk, **fields)
