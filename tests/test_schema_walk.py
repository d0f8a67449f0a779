"""The runner's schema walk (collectors.base.SchemaWalk), the read-ahead session and buffered reads.

Real MariaDB servers; the general log (log_output = TABLE) tells which session sent what.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from mysql.connector import errors as mysql_errors
from mysql.connector.network import NetworkBrokerPlain

from collectors.base import Context, Degraded, Skip, walking_collector
from collectors.connection import CancelToken, ConnectionFailed, open_session
from collectors.registry import collectors_for
from collectors.runner import ProgressEvent, RunAborted, Runner
from collectors.schema import _Batches, schema_rows
from prechecks.collection import RunOptions, collect, new_facts
from tests.helpers import spec_for

SCHEMAS = ("walk_a", "walk_b", "walk_c", "walk_d")


@pytest.fixture
def walk_server(mariadb_factory: Any) -> Any:
    server = mariadb_factory(extra_options={"general-log": "ON", "log-output": "TABLE", "max-allowed-packet": "64M"})
    for n, schema in enumerate(SCHEMAS):
        server.admin(f"CREATE DATABASE {schema}")
        for i in range(3 + n):
            server.admin(f"CREATE TABLE {schema}.t{i} (id INT PRIMARY KEY, v VARCHAR(10)) DEFAULT CHARSET=latin1")
        server.admin(f"CREATE VIEW {schema}.v AS SELECT id FROM {schema}.t0")
        server.admin(f"CREATE TRIGGER {schema}.trg BEFORE INSERT ON {schema}.t0 FOR EACH ROW SET NEW.v = 'x'")
    server.admin("CREATE TABLE walk_b.child (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES walk_b.t0 (id)"
                 " ON DELETE CASCADE)")
    return server


def _recorder(name: str, calls: list[tuple[str, str]], *, budget: float = 30.0, fail_on: str = "",
              skip: bool = False, degrade: str = "") -> Any:
    def start(ctx: Context) -> list[str]:
        if skip:
            raise Skip("planted: does not apply")
        return []

    def step(ctx: Context, seen: list[str], schema: str, index: int, total: int) -> bool:
        if ctx.time_left() <= 0:
            ctx.notes.append(f"time budget ran out after {index} of {total} schemas")
            return False
        calls.append((name, schema))
        if schema == fail_on:
            ctx.query("SELECT 1 FROM DUAL WHERE (SELECT 1 UNION SELECT 2) = 1")  # 1242: more than one row
        schema_rows(ctx, schema, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s")
        seen.append(schema)
        return True

    def finish(ctx: Context, seen: list[str]) -> None:
        ctx.facts[name] = list(seen)
        if degrade:
            raise Degraded(degrade)

    return walking_collector(name=name, title=name, reads=("-",), writes=(name,), start=start, step=step,
                             finish=finish, budget_seconds=budget)


def _facts(server: Any) -> dict[str, Any]:
    facts = new_facts(None)
    facts["databases"] = list(SCHEMAS)
    return facts


def test_walking_collectors_take_each_schema_in_turn(walk_server: Any) -> None:
    calls: list[tuple[str, str]] = []
    collectors = [_recorder("one", calls), _recorder("two", calls)]
    with open_session(spec_for(walk_server)) as session:
        result = Runner(session, collectors, {}, facts=_facts(walk_server)).run()
    assert calls == [(name, schema) for schema in SCHEMAS for name in ("one", "two")]
    assert result.facts["one"] == result.facts["two"] == list(SCHEMAS)
    # the shared read was sent once per schema, not once per collector
    tables_reads = [s for s in result.statements if s[0].startswith("SELECT TABLE_NAME FROM information_schema.TABLES")]
    assert len(tables_reads) == len(SCHEMAS)
    assert [r.status for r in result.results] == ["ok", "ok"]


def test_each_walker_keeps_its_own_budget_error_and_outcome(walk_server: Any) -> None:
    calls: list[tuple[str, str]] = []
    collectors = [
        _recorder("skipped", calls, skip=True),
        _recorder("broken", calls, fail_on="walk_b"),
        _recorder("short", calls, budget=0.0),
        _recorder("degraded", calls, degrade="planted: part missing"),
        _recorder("whole", calls),
    ]
    with open_session(spec_for(walk_server)) as session:
        result = Runner(session, collectors, {}, facts=_facts(walk_server)).run()
    by_name = {r.name: r for r in result.results}
    assert by_name["skipped"].status == "skipped" and "planted" in by_name["skipped"].reason
    assert by_name["broken"].status == "failed" and "1242" in by_name["broken"].reason
    assert [s for n, s in calls if n == "broken"] == ["walk_a", "walk_b"]  # stopped at the failure
    assert by_name["short"].status == "ok" and "time budget ran out after 0 of 4 schemas" in by_name["short"].reason
    assert by_name["degraded"].status == "ok" and by_name["degraded"].reason == "planted: part missing"
    assert by_name["whole"].status == "ok" and result.facts["whole"] == list(SCHEMAS)
    assert "broken" not in result.facts and result.facts["short"] == []
    assert [r.name for r in result.results] == [c.name for c in collectors]  # the manifest's order


def _general_log_threads(server: Any, fragment: str) -> list[int]:
    rows = server.admin("SELECT thread_id, CONVERT(argument USING utf8mb4) FROM mysql.general_log"
                        " WHERE command_type = 'Query'")
    return [int(thread) for thread, text in rows if fragment in str(text)]


def test_read_ahead_session_reads_the_next_schema_and_changes_nothing(walk_server: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The same facts with and without the second session; the information_schema reads of the
    later schemas came from a second connection (the general log says which), each sent once.
    Small schemas one at a time here (after three, they would be read in batches: tests/test_tenants.py)."""
    monkeypatch.setattr(_Batches, "size", lambda _self: 1)
    options = {"sleep": 0.1}
    spec = spec_for(walk_server)
    with open_session(spec) as session:
        alone = Runner(session, collectors_for(0.1), options, facts=new_facts(None)).run()
    walk_server.admin("TRUNCATE mysql.general_log")
    events: list[ProgressEvent] = []
    cancel = CancelToken()
    with open_session(spec, cancel) as session:
        ahead = Runner(session, collectors_for(0.1), options, facts=new_facts(None), cancel=cancel,
                       progress=events.append, open_session=lambda: open_session(spec, cancel)).run()
    for key in ("tables", "schemas", "objects", "schema_types", "technologies", "inventory", "schema_ddl"):
        assert ahead.facts[key] == alone.facts[key], key
    assert ahead.artifacts["mysqldump"] == alone.artifacts["mysqldump"]
    # which per-schema reads the second session wins depends on timing (the two meet in the middle): any of them
    threads = {thread for fragment in ("WHERE TABLE_SCHEMA = ", "WHERE CONSTRAINT_SCHEMA = ",
                                       "WHERE EVENT_OBJECT_SCHEMA = ")
               for thread in _general_log_threads(walk_server, fragment)}
    assert len(threads) == 2, threads  # ours and the read-ahead session
    columns_reads = [s for s in ahead.statements if "information_schema.COLUMNS WHERE TABLE_SCHEMA" in s[0]]
    assert len(columns_reads) == len(SCHEMAS)  # each schema once, whichever session sent it
    assert not [t for t in threading.enumerate() if t.name == "ps-prechecks-readahead"]
    assert any(e.kind == "log" and "of 4 schemas" in e.message for e in events)


def test_read_ahead_that_cannot_connect_costs_nothing(walk_server: Any) -> None:
    spec = spec_for(walk_server)

    def refused() -> Any:
        return open_session(replace(spec, password="wrong-planted-pw"))

    events: list[ProgressEvent] = []
    with open_session(spec) as session:
        result = Runner(session, collectors_for(0.1), {"sleep": 0.1}, facts=new_facts(None),
                        progress=events.append, open_session=refused).run()
    statuses = {r.name: r.status for r in result.results}
    assert statuses["inventory"] == statuses["table_sizes"] == statuses["schema_ddl"] == "ok"
    assert {t["schema"] for t in result.facts["tables"]} == set(SCHEMAS)
    assert any("read-ahead off" in e.message for e in events)
    assert all("wrong-planted-pw" not in e.message for e in events)
    with pytest.raises(ConnectionFailed):
        refused()


def test_cancel_during_the_walk_stops_both_sessions(walk_server: Any) -> None:
    spec = spec_for(walk_server)
    cancel = CancelToken()

    def slow_start(ctx: Context) -> None:
        return None

    def slow_step(ctx: Context, _state: None, schema: str, index: int, total: int) -> bool:
        schema_rows(ctx, schema, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s")
        if index == 1:
            threading.Timer(0.2, cancel.cancel).start()
            ctx.query("SELECT SLEEP(5)")
        return True

    slow = walking_collector(name="slow", title="slow", reads=("-",), writes=("x",), start=slow_start,
                             step=slow_step, finish=lambda _ctx, _state: None)
    started = time.monotonic()
    with open_session(spec, cancel) as session, pytest.raises(RunAborted) as aborted:
        Runner(session, [slow], {}, facts=_facts(walk_server), cancel=cancel,
               open_session=lambda: open_session(spec, cancel)).run()
    assert aborted.value.cancelled
    assert time.monotonic() - started < 3
    assert not [t for t in threading.enumerate() if t.name == "ps-prechecks-readahead"]


def test_collect_uses_the_read_ahead_and_matches_a_plain_walk(walk_server: Any) -> None:
    facts = collect(spec_for(walk_server), RunOptions(sleep=0.1)).facts
    objects = facts["objects"]
    assert [fk["name"] for fk in objects["foreign_keys"]] == ["walk_b.child.child_ibfk_1"]
    assert sorted(t["name"] for t in objects["triggers"]) == [f"{s}.trg" for s in SCHEMAS]
    assert facts["schemas"][0]["name"] == "walk_a" and [s["tables"] for s in facts["schemas"]] == [3, 5, 5, 6]


def test_reads_are_buffered_and_whole(walk_server: Any) -> None:
    """The buffered packet reader (collectors.connection._BufferedBroker) is in place on the pinned
    connector, and results crossing many buffer refills and packets of 16 MiB and more come back whole."""
    with open_session(spec_for(walk_server)) as session:
        broker = session._connection._socket._netbroker
        assert type(broker).__name__ == "_BufferedBroker" and isinstance(broker, NetworkBrokerPlain)
        (big,) = session.query("SELECT REPEAT('ab', 9000000)").rows[0]  # 18 MB: two protocol packets
        assert len(big) == 18_000_000 and big[:4] == "abab" and big[-2:] == "ab"
        rows = session.query("SELECT seq, REPEAT('x', seq % 300) FROM walk_a.seq_1_to_20000").rows
        assert len(rows) == 20000 and all(len(text) == seq % 300 for seq, text in rows)
        with pytest.raises(mysql_errors.ProgrammingError):
            session.query("SELECT * FROM no_such_schema_planted.t")
        assert session.scalar("SELECT 41 + 1") == 42  # the stream is still in step after an error
