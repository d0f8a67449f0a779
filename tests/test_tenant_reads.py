"""Schema per tenant (issue 18): every per-schema information_schema read of the inventory goes in batches.

A real MariaDB with the general log as a table: what the walk sent, with the schema names in it. A read
that cannot be put in a UNION ALL batch (a `SELECT DISTINCT` part is not valid SQL there) is sent once
per schema, and 2,000 tenants then cost 2,000 statements of it.
"""

from __future__ import annotations

from typing import Any

import pytest

from collectors.connection import open_session
from collectors.registry import collectors_for
from collectors.runner import Runner
from prechecks.collection import new_facts
from tests.helpers import spec_for

TENANTS = [f"tenant_{n:02d}" for n in range(12)]
# read once for the whole walk or once per run, not per schema
_ONCE = ("information_schema.ROUTINES", "information_schema.EVENTS", "information_schema.COLLATIONS",
         "information_schema.SCHEMATA")


@pytest.fixture
def tenant_server(mariadb_factory: Any) -> Any:
    server = mariadb_factory(extra_options={"general-log": "ON", "log-output": "TABLE"})
    for schema in TENANTS:
        server.admin(f"CREATE DATABASE {schema}")
        server.admin(f"CREATE TABLE {schema}.accounts (id INT PRIMARY KEY, name VARCHAR(20))")
        server.admin(f"CREATE TABLE {schema}.orders (id INT PRIMARY KEY, account INT,"
                     f" FOREIGN KEY (account) REFERENCES {schema}.accounts (id))")
        server.admin(f"CREATE TABLE {schema}.events (id INT, at DATETIME) PARTITION BY HASH (id) PARTITIONS 2")
        server.admin(f"CREATE VIEW {schema}.v_accounts AS SELECT id FROM {schema}.accounts")
    return server


def test_every_per_schema_read_of_the_inventory_is_sent_in_batches(tenant_server: Any) -> None:
    walking = [c for c in collectors_for(0.1) if c.walk is not None]
    tenant_server.admin("TRUNCATE mysql.general_log")
    with open_session(spec_for(tenant_server)) as session:
        result = Runner(session, walking, {"sleep": 0.1}, facts={**new_facts(None), "databases": TENANTS}).run()
    assert {r.name: r.status for r in result.results} == {c.name: "ok" for c in walking}
    # the partitioned table of every tenant is known (PARTITIONS was read for each)
    assert [(t["schema"], t["partition_method"]) for t in result.facts["tables"]
            if t["name"] == "events"] == [(s, "HASH") for s in TENANTS]

    sent = [str(text) for (text,) in tenant_server.admin(
        "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log WHERE command_type = 'Query'"
        " AND argument LIKE '%information\\_schema.%'")]
    per_table: dict[str, int] = {}
    for sql in sent:
        for table in ("TABLES", "COLUMNS", "STATISTICS", "PARTITIONS", "REFERENTIAL_CONSTRAINTS",
                      "KEY_COLUMN_USAGE", "CHECK_CONSTRAINTS", "TRIGGERS"):
            if f"information_schema.{table} " in sql and not any(once in sql for once in _ONCE):
                per_table[table] = per_table.get(table, 0) + 1
    assert "PARTITIONS" in per_table and "COLUMNS" in per_table
    # the first three schemas are read alone (they tell the batch size); the nine after, several a statement
    assert {table: count for table, count in per_table.items() if count >= len(TENANTS)} == {}
