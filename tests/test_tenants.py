"""Schema per tenant (issue 18): many small schemas, each read by its lookup key, none read again per schema.

Real MariaDB servers. The general log (log_output = TABLE) gives what the walk sent, with the schema
names in it; MariaDB's EXPLAIN says of each information_schema read how many schemas it looked at
("Scanned 1 database" / "Scanned all databases").
"""

from __future__ import annotations

from typing import Any

import pytest

from collectors import schema as schema_module
from collectors.connection import open_session
from collectors.registry import collectors_for
from collectors.runner import Runner
from prechecks.collection import RunOptions, collect, new_facts
from prechecks.readiness import evaluate
from tests.helpers import spec_for

TENANTS = [f"tenant_{n:02d}" for n in range(8)]


def _tenant_ddl(schema: str) -> list[str]:
    return [
        f"CREATE DATABASE {schema}",
        f"CREATE TABLE {schema}.accounts (id INT PRIMARY KEY, name VARCHAR(20))",
        f"CREATE TABLE {schema}.orders (id INT PRIMARY KEY, account INT,"
        f" FOREIGN KEY (account) REFERENCES {schema}.accounts (id))",
        f"CREATE TABLE {schema}.audit (at DATETIME, what VARCHAR(20))",  # no primary key
        f"CREATE VIEW {schema}.v_accounts AS SELECT id FROM {schema}.accounts",
        f"CREATE TRIGGER {schema}.trg BEFORE INSERT ON {schema}.orders FOR EACH ROW SET NEW.account = NEW.account",
        f"CREATE PROCEDURE {schema}.p_count() SELECT COUNT(*) FROM {schema}.orders",
        f"CREATE EVENT {schema}.ev ON SCHEDULE EVERY 1 DAY DISABLE"
        f" DO DELETE FROM {schema}.audit WHERE at < '2000-01-01'",
    ]


@pytest.fixture
def tenant_server(mariadb_factory: Any) -> Any:
    server = mariadb_factory(extra_options={"general-log": "ON", "log-output": "TABLE"})
    for schema in TENANTS:
        for sql in _tenant_ddl(schema):
            server.admin(sql)
    return server


def _walking() -> list[Any]:
    return [c for c in collectors_for(0.1) if c.walk is not None]


def test_each_tenant_is_read_by_its_lookup_key_and_whole_server_reads_are_sent_once(tenant_server: Any) -> None:
    """No per-schema read makes the server look through every schema (that made the walk grow with the
    square of the schemas: 41 ms a TRIGGERS read at 1,000 schemas, 80 ms at 2,000), and ROUTINES and EVENTS,
    which MariaDB answers by reading all of mysql.proc and mysql.event whatever the filter, are read once."""
    tenant_server.admin("TRUNCATE mysql.general_log")
    with open_session(spec_for(tenant_server)) as session:
        result = Runner(session, _walking(), {"sleep": 0.1}, facts={**new_facts(None), "databases": TENANTS}).run()
    assert {r.name: r.status for r in result.results} == {c.name: "ok" for c in _walking()}
    objects = result.facts["objects"]
    assert sorted(t["name"] for t in objects["triggers"]) == [f"{s}.trg" for s in TENANTS]
    assert objects["routines"] == [{"name": f"{s}.p_count", "type": "PROCEDURE"} for s in TENANTS]
    assert objects["events"] == [f"{s}.ev" for s in TENANTS]
    assert [s["routines"] for s in result.facts["schemas"]] == [1] * len(TENANTS)
    assert [s["events"] for s in result.facts["schemas"]] == [1] * len(TENANTS)

    sent = [str(text) for (text,) in tenant_server.admin(
        "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log WHERE command_type = 'Query'"
        " AND argument LIKE '%information\\_schema.%' AND argument NOT LIKE 'EXPLAIN %'")]
    reads = [sql for sql in sent if sql.lstrip().upper().startswith("SELECT")]
    assert any("information_schema.TRIGGERS" in sql for sql in reads)
    scanned_all = []
    for sql in reads:
        for row in tenant_server.admin_dicts(f"EXPLAIN {sql}"):
            if "Scanned all databases" in str(row.get("Extra") or ""):
                scanned_all.append(sql)
    assert scanned_all == []
    for table in ("information_schema.ROUTINES", "information_schema.EVENTS"):
        assert len([sql for sql in reads if table in sql]) == 1, table


def test_a_cut_schema_ddl_leaves_every_tenant_in_the_inventory_and_the_verdicts(tenant_server: Any) -> None:
    """The DDL sample may be cut by its budget; the inventory may not: every schema is counted and every
    readiness rule on schema objects decides (none is skipped for want of the inventory)."""
    run = collect(spec_for(tenant_server), RunOptions(sleep=0.1, schema_ddl_budget=0.0))
    facts = run.facts
    assert facts["schema_ddl"]["cut"] and "time budget ran out" in facts["schema_ddl"]["cut"]
    assert "-- CUT:" in run.artifacts["mysqldump"]
    assert facts["inventory"] == {"cut": None, "failed_schemas": []}
    assert [s["name"] for s in facts["schemas"]] == TENANTS
    assert sorted(facts["schema_types"]) == TENANTS
    assert len([t for t in facts["tables"] if t["schema"] in TENANTS]) == 3 * len(TENANTS)
    checks = {c["id"]: c for c in evaluate(facts)["checks"]}
    for rule in ("unique_key", "foreign_keys", "triggers", "stored_routines", "events", "views"):
        assert checks[rule]["status"] == "fail", (rule, checks[rule])
    for rule in ("table_count", "empty_schemas", "storage_engine", "charset", "column_count"):
        assert checks[rule]["status"] == "pass", (rule, checks[rule])
    assert sorted(checks["unique_key"]["objects"]) == [f"{s}.audit" for s in TENANTS]
    assert sorted(checks["triggers"]["objects"]) == [f"{s}.trg" for s in TENANTS]


def _walk(server: Any, *, batched: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[str]]:
    server.admin("TRUNCATE mysql.general_log")
    with monkeypatch.context() as patch:
        if not batched:
            patch.setattr(schema_module._Batches, "size", lambda _self: 1)
        spec = spec_for(server)
        with open_session(spec) as session:
            result = Runner(session, _walking(), {"sleep": 0.1}, facts={**new_facts(None), "databases": TENANTS},
                            open_session=lambda: open_session(spec)).run()
    sent = [str(text) for (text,) in server.admin(
        "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log WHERE command_type = 'Query'"
        " AND argument LIKE '%information\\_schema.COLUMNS%'")]
    return result, sent


def test_small_schemas_are_read_in_batches_with_the_facts_of_a_walk_one_at_a_time(
        tenant_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    alone, alone_sent = _walk(tenant_server, batched=False, monkeypatch=monkeypatch)
    batched, batched_sent = _walk(tenant_server, batched=True, monkeypatch=monkeypatch)
    for key in ("tables", "schemas", "objects", "schema_types", "technologies", "inventory", "schema_ddl"):
        assert batched.facts[key] == alone.facts[key], key
    assert batched.artifacts["mysqldump"] == alone.artifacts["mysqldump"]
    assert len(alone_sent) == len(TENANTS)
    # the first three schemas tell the size (3 tables each), the later ones come several in one statement
    # (one or two may be read ahead on the second session first); each schema in exactly one statement
    assert len(batched_sent) < len(TENANTS)
    assert [sum(f"'{schema}'" in sql for sql in batched_sent) for schema in TENANTS] == [1] * len(TENANTS)
    assert any(sql.count(" UNION ALL ") >= 2 for sql in batched_sent)


def test_schemas_per_statement_follow_the_tables_per_schema() -> None:
    batches = schema_module._Batches(["a"], {"a": 0})
    assert batches.size() == 1  # nothing seen yet: one at a time
    for _ in range(3):
        batches.seen(10)
    assert batches.size() == min(schema_module.MAX_BATCH, schema_module.BATCH_TABLES // 10)
    for _ in range(16):
        batches.seen(1000)  # large schemas: one at a time again
    assert batches.size() == 1
    for _ in range(16):
        batches.seen(0)  # empty schemas: the most in one statement
    assert batches.size() == schema_module.MAX_BATCH


def test_the_next_batch_comes_from_the_second_session_and_each_schema_is_read_once(
        tenant_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of two: while the walk works through one, the read-ahead session is given the next; whichever
    session sends it, every schema is read once and the facts are those of a walk one schema at a time."""
    alone, _sent = _walk(tenant_server, batched=False, monkeypatch=monkeypatch)
    real_size = schema_module._Batches.size
    monkeypatch.setattr(schema_module._Batches, "size", lambda self: min(2, real_size(self)))
    pairs, sent = _walk(tenant_server, batched=True, monkeypatch=monkeypatch)
    for key in ("tables", "schemas", "objects", "schema_types", "technologies", "inventory", "schema_ddl"):
        assert pairs.facts[key] == alone.facts[key], key
    assert pairs.artifacts["mysqldump"] == alone.artifacts["mysqldump"]
    assert [sum(f"'{schema}'" in sql for sql in sent) for schema in TENANTS] == [1] * len(TENANTS)
    assert sum(" UNION ALL " in sql for sql in sent) >= 2
