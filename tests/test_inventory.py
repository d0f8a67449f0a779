"""The inventory collector against real MariaDB servers (and the MySQL-8 stand-in for its column names)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from mysql.connector import errors as mysql_errors

from collectors.connection import ConnectionSpec, open_session
from collectors.inventory import INVENTORY
from collectors.runner import CollectorResult, Runner, RunResult
from collectors.schema import TABLE_SIZES, quote_identifier
from collectors.server import DATABASES, VARIABLES
from tests.helpers import spec_for
from tests.servers import MariaDBServer

PER_TABLE_KEYS = ("charset", "columns", "partition_method", "subpartition_method", "primary_key", "unique_key",
                  "float_primary_key")
COMPLETE = {"complete": True, "missing_privilege": None}


def run(spec: ConnectionSpec, *, with_sizes: bool = True, options: dict[str, Any] | None = None,
        budget: float | None = None) -> tuple[RunResult, CollectorResult, int]:
    """databases (+ table_sizes) + inventory; returns the run, inventory's result, its statement count."""
    inventory = INVENTORY if budget is None else replace(INVENTORY, budget_seconds=budget)
    collectors = [VARIABLES, DATABASES, *([TABLE_SIZES] if with_sizes else []), inventory]
    with open_session(spec) as session:
        result = Runner(session, collectors, options or {}).run()
    by_name = {r.name: r for r in result.results}
    return result, by_name["inventory"], by_name["inventory"].statements


def q(name: str) -> str:
    return quote_identifier(name)


def table_keys(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{t['schema']}.{t['name']}": {k: t[k] for k in PER_TABLE_KEYS} for t in facts["tables"]}


def keys(charset: str = "utf8mb4", columns: int = 1, partition: str | None = None, sub: str | None = None,
         pk: list[str] | None = None, unique: str | None = None, float_pk: list[str] | None = None) -> dict[str, Any]:
    return {"charset": charset, "columns": columns, "partition_method": partition, "subpartition_method": sub,
            "primary_key": pk, "unique_key": unique, "float_primary_key": float_pk or []}


AWKWARD_SCHEMAS = ("app", "geo", "my app", "we`ird", "select", "café", "wide_db")


def build_awkward(server: MariaDBServer) -> None:
    for schema in AWKWARD_SCHEMAS:
        server.admin(f"CREATE DATABASE {q(schema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    for sql in (
        "CREATE TABLE app.customers (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL, UNIQUE KEY uk_email (email))",
        "CREATE TABLE app.orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NULL,"
        " qty INT CHECK (qty < 1000), total INT AS (qty * 2) VIRTUAL,"
        " CONSTRAINT chk_qty CHECK (qty > 0),"
        " CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES app.customers (id)"
        " ON DELETE SET NULL ON UPDATE CASCADE)",
        "CREATE TABLE app.order_lines (id INT PRIMARY KEY, order_id INT NOT NULL, line INT NOT NULL,"
        " CONSTRAINT fk_order FOREIGN KEY (order_id) REFERENCES app.orders (id) ON DELETE CASCADE)",
        "CREATE TABLE app.only_unique (code VARCHAR(10) NOT NULL, other INT, UNIQUE KEY uk_z (other),"
        " UNIQUE KEY uk_code (code))",
        "CREATE TABLE app.nullable_unique (a INT NULL, b INT, UNIQUE KEY uk_a (a))",
        "CREATE TABLE app.text_prefix (t TEXT NOT NULL, UNIQUE KEY uk_t (t(20)))",
        "CREATE TABLE app.text_hash_unique (t TEXT NOT NULL, UNIQUE KEY uk_t (t))",  # MariaDB's long unique
        "CREATE TABLE app.no_key (a INT, b INT)",
        "CREATE TABLE app.float_pk (id INT NOT NULL, price FLOAT NOT NULL, PRIMARY KEY (id, price))",
        "CREATE TABLE app.p_range (id INT NOT NULL, PRIMARY KEY (id)) PARTITION BY RANGE (id)"
        " (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)",
        "CREATE TABLE app.p_list (id INT NOT NULL) PARTITION BY LIST (id)"
        " (PARTITION p0 VALUES IN (1, 2), PARTITION p1 VALUES IN (3))",
        "CREATE TABLE app.p_sub (id INT NOT NULL, d INT NOT NULL, PRIMARY KEY (id, d)) PARTITION BY RANGE (id)"
        " SUBPARTITION BY HASH (d) SUBPARTITIONS 2"
        " (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)",
        "CREATE TABLE app.legacy_ujis (id INT PRIMARY KEY, name VARCHAR(10)) CHARACTER SET ujis",
        "CREATE TABLE app.mixed (id INT PRIMARY KEY, c VARCHAR(10) CHARACTER SET sjis,"
        " d VARCHAR(10) CHARACTER SET cp1251, e VARCHAR(10) CHARACTER SET latin1, f VARBINARY(10), g BLOB,"
        " h VARCHAR(10) CHARACTER SET ascii, i VARCHAR(10) CHARACTER SET utf8mb3)",
        "CREATE TABLE app.`tablé` (id INT PRIMARY KEY, `prix_é` INT)",
        "CREATE VIEW app.v_orders AS SELECT id, qty FROM app.orders",
        "CREATE PROCEDURE app.p_refresh() SELECT 1",
        "CREATE FUNCTION app.f_total() RETURNS INT DETERMINISTIC RETURN 1",
        "CREATE TRIGGER app.trg_audit BEFORE INSERT ON app.orders FOR EACH ROW SET NEW.qty = NEW.qty",
        "CREATE EVENT app.ev_purge ON SCHEDULE EVERY 1 DAY DO DELETE FROM app.no_key WHERE a < 0",
        # JSON (MariaDB: LONGTEXT + CHECK (json_valid(doc))), spatial and fulltext
        "CREATE TABLE geo.docs (id INT PRIMARY KEY, doc JSON)",
        "CREATE TABLE geo.places (id INT PRIMARY KEY, loc POINT NOT NULL, body TEXT,"
        " SPATIAL INDEX sp_loc (loc), FULLTEXT INDEX ft_body (body))",
        # awkward names: space, backtick, reserved words, non-ASCII
        "CREATE TABLE `my app`.`order` (`select` INT PRIMARY KEY, `from` VARCHAR(5) NOT NULL)",
        "CREATE VIEW `my app`.`v w` AS SELECT `select` FROM `my app`.`order`",
        "CREATE TABLE `we``ird`.`t``1` (`c``1` INT NOT NULL, UNIQUE KEY `u``k` (`c``1`))",
        "CREATE TABLE `select`.`from` (`where` INT PRIMARY KEY)",
        "CREATE TABLE `café`.`crème` (id INT PRIMARY KEY, `brûlé` INT)",
        # wider than InnoDB allows (1017 columns); MyISAM takes it on MariaDB
        "CREATE TABLE wide_db.wide (" + ", ".join(f"c{i} INT" for i in range(1100)) + ") ENGINE=MyISAM",
    ):
        server.admin(sql)


def test_inventory_of_awkward_schemas(mariadb_factory) -> None:
    server = mariadb_factory()
    build_awkward(server)
    result, inventory, statements = run(spec_for(server))
    assert inventory.status == "ok" and inventory.reason == ""
    facts = result.facts
    objects = facts["objects"]
    assert objects["views"] == ["app.v_orders", "my app.v w"]
    assert objects["routines"] == [{"name": "app.f_total", "type": "FUNCTION"},
                                   {"name": "app.p_refresh", "type": "PROCEDURE"}]
    assert objects["triggers"] == [{"name": "app.trg_audit", "table": "app.orders"}]
    assert objects["events"] == ["app.ev_purge"]
    assert objects["foreign_keys"] == [
        {"name": "app.order_lines.fk_order", "table": "app.order_lines", "columns": ["order_id"],
         "references": "app.orders", "on_delete": "CASCADE", "on_update": "RESTRICT", "referenced_columns": ["id"]},
        {"name": "app.orders.fk_customer", "table": "app.orders", "columns": ["customer_id"],
         "references": "app.customers", "on_delete": "SET NULL", "on_update": "CASCADE",
         "referenced_columns": ["id"]},
    ]
    # the column-level CHECK is named after its column; MariaDB's automatic JSON check is not listed
    assert objects["check_constraints"] == ["app.orders.chk_qty", "app.orders.qty"]
    assert objects["generated_columns"] == ["app.orders.total"]
    assert objects["non_ascii_identifiers"] == ["app.tablé", "app.tablé.prix_é", "café", "café.crème",
                                                "café.crème.brûlé"]
    assert objects["unsupported_charset_columns"] == [
        {"name": "app.legacy_ujis.name", "charset": "ujis"},
        {"name": "app.mixed.c", "charset": "sjis"},
        {"name": "app.mixed.d", "charset": "cp1251"},
    ]
    assert objects["unsupported_charset_tables"] == [{"name": "app.legacy_ujis", "charset": "ujis"}]
    assert objects["wide_tables"] == [{"name": "wide_db.wide", "columns": 1100}]
    assert objects["user_defined_functions"] == []
    assert facts["object_visibility"] == {"triggers": COMPLETE, "events": COMPLETE, "routines": COMPLETE,
                                          "user_defined_functions": COMPLETE}
    assert facts["inventory"] == {"cut": None, "failed_schemas": []}

    tables = table_keys(facts)
    assert len(tables) == len(facts["tables"]) == 22
    assert tables["app.customers"] == keys(columns=2, pk=["id"], unique="PRIMARY")
    assert tables["app.orders"] == keys(columns=4, pk=["id"], unique="PRIMARY")
    assert tables["app.only_unique"] == keys(columns=2, unique="uk_code")  # uk_z is on a NULLable column
    assert tables["app.nullable_unique"] == keys(columns=2)
    assert tables["app.text_prefix"] == keys(columns=1)
    assert tables["app.text_hash_unique"] == keys(columns=1)
    assert tables["app.no_key"] == keys(columns=2)
    assert tables["app.float_pk"] == keys(columns=2, pk=["id", "price"], unique="PRIMARY", float_pk=["price"])
    assert tables["app.p_range"] == keys(partition="RANGE", pk=["id"], unique="PRIMARY")
    assert tables["app.p_list"] == keys(partition="LIST")
    assert tables["app.p_sub"] == keys(columns=2, partition="RANGE", sub="HASH", pk=["id", "d"], unique="PRIMARY")
    assert tables["app.legacy_ujis"] == keys(charset="ujis", columns=2, pk=["id"], unique="PRIMARY")
    assert tables["app.mixed"] == keys(columns=8, pk=["id"], unique="PRIMARY")
    assert tables["app.tablé"] == keys(columns=2, pk=["id"], unique="PRIMARY")
    assert tables["my app.order"] == keys(columns=2, pk=["select"], unique="PRIMARY")
    assert tables["we`ird.t`1"] == keys(unique="u`k")
    assert tables["select.from"] == keys(pk=["where"], unique="PRIMARY")
    assert tables["café.crème"] == keys(columns=2, pk=["id"], unique="PRIMARY")
    assert tables["wide_db.wide"] == keys(columns=1100)
    # table_sizes' own keys are kept
    orders = next(t for t in facts["tables"] if (t["schema"], t["name"]) == ("app", "orders"))
    assert orders["engine"] == "InnoDB" and orders["collation"] == "utf8mb4_general_ci"

    assert facts["schema_types"]["geo"] == {
        "column_types": {"int": 2, "json": 1, "point": 1, "text": 1},
        "index_types": {"BTREE": 2, "FULLTEXT": 1, "SPATIAL": 1},
        "json_columns": 1, "spatial_columns": 1, "fulltext_indexes": 1,
    }
    assert facts["schema_types"]["wide_db"] == {"column_types": {"int": 1100}, "index_types": {},
                                                "json_columns": 0, "spatial_columns": 0, "fulltext_indexes": 0}
    assert facts["schema_types"]["we`ird"]["index_types"] == {"BTREE": 1}
    assert facts["schema_types"]["app"]["index_types"] == {"BTREE": 16, "HASH": 1}
    assert sorted(facts["schema_types"]) == sorted(AWKWARD_SCHEMAS)
    # a handful of statements per schema, never one per table: COLLATIONS and mysql.func once;
    # COLUMNS, STATISTICS, PARTITIONS, REFERENTIAL_CONSTRAINTS, CHECK_CONSTRAINTS, TRIGGERS per schema
    # (TABLES comes from table_sizes' read, shared), ROUTINES and EVENTS once for every schema,
    # KEY_COLUMN_USAGE only in app (the one with foreign keys), and TABLES' views again in app and my app
    # (the two with views); the small schemas after the third are read several in one statement
    # (collectors.schema.BATCH_TABLES), so at most that many
    assert statements <= 2 + 6 * len(AWKWARD_SCHEMAS) + 2 + 1 + 2


def test_without_table_sizes_the_entries_are_created(mariadb_factory) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE shop")
    server.admin("CREATE TABLE shop.items (id BIGINT PRIMARY KEY, price DOUBLE) CHARACTER SET latin1")
    server.admin("CREATE VIEW shop.v AS SELECT id FROM shop.items")
    result, inventory, _ = run(spec_for(server), with_sizes=False)
    assert inventory.status == "ok"
    assert result.facts["tables"] == [
        {"schema": "shop", "name": "items", "engine": "InnoDB", **keys(charset="latin1", columns=2, pk=["id"],
                                                                        unique="PRIMARY")},
    ]
    assert result.facts["objects"]["views"] == ["shop.v"]


def test_budget_cut_is_recorded(mariadb_factory) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE a1")
    server.admin("CREATE TABLE a1.t (id INT PRIMARY KEY)")
    result, inventory, _ = run(spec_for(server), budget=0.0)
    assert inventory.status == "ok"
    assert inventory.reason == "time budget ran out after 0 of 1 schemas; the rest was not read"
    assert result.facts["inventory"] == {"cut": "time budget ran out after 0 of 1 schemas", "failed_schemas": []}
    # what was not read has no inventory keys (absent, never guessed)
    assert [set(PER_TABLE_KEYS) & set(t) for t in result.facts["tables"]] == [set()]
    assert result.facts["schema_types"] == {}


def test_a_failing_schema_costs_only_that_schema(mariadb_factory) -> None:
    server = mariadb_factory()
    for schema in ("broken", "fine"):
        server.admin(f"CREATE DATABASE {schema}")
        server.admin(f"CREATE TABLE {schema}.t (id INT PRIMARY KEY)")
    with open_session(spec_for(server)) as session:
        real_query = session.query

        def query(sql: str, params: Any = None) -> Any:
            if params == ("broken",) and "information_schema.COLUMNS" in sql:
                raise mysql_errors.DatabaseError(msg="Query execution was interrupted (max_statement_time exceeded)",
                                                 errno=1969)
            return real_query(sql, params)

        session.query = query  # type: ignore[method-assign]
        result = Runner(session, [VARIABLES, DATABASES, TABLE_SIZES, INVENTORY], {}).run()
    inventory = next(r for r in result.results if r.name == "inventory")
    assert inventory.status == "ok"
    assert inventory.reason == "not read: broken (a statement hit the per-statement time limit (errno 1969))"
    assert result.facts["inventory"] == {"cut": None, "failed_schemas": [
        {"name": "broken", "reason": "a statement hit the per-statement time limit (errno 1969)"}]}
    tables = {t["schema"]: t for t in result.facts["tables"]}
    assert "unique_key" not in tables["broken"] and tables["fine"]["unique_key"] == "PRIMARY"
    assert sorted(result.facts["schema_types"]) == ["fine"]


# ---------------------------------------------------------------- visibility


def build_visibility(server: MariaDBServer) -> None:
    for sql in (
        "CREATE DATABASE app",
        "CREATE TABLE app.t (id INT PRIMARY KEY, n INT)",
        "CREATE TABLE app.t2 (id INT PRIMARY KEY, n INT)",
        "CREATE TRIGGER app.trg BEFORE INSERT ON app.t FOR EACH ROW SET NEW.n = 1",
        "CREATE TRIGGER app.trg2 BEFORE INSERT ON app.t2 FOR EACH ROW SET NEW.n = 2",
        "CREATE EVENT app.ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM app.t WHERE id < 0",
        "CREATE PROCEDURE app.pr() SELECT 1",
    ):
        server.admin(sql)


def visible_triggers(server: MariaDBServer, user: str, password: str) -> list[str]:
    connection = server.connect(user, password)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'app'"
                       " ORDER BY TRIGGER_NAME")
        rows: list[Any] = cursor.fetchall()
        return [str(row[0]) for row in rows]
    finally:
        connection.close()


TRIGGERS = [{"name": "app.trg", "table": "app.t"}, {"name": "app.trg2", "table": "app.t2"}]


def test_without_trigger_privilege_triggers_are_incomplete_not_absent(mariadb_factory) -> None:
    server = mariadb_factory()
    build_visibility(server)
    server.create_user("reader", "reader-pw-1", ["SELECT ON app.*"])
    # the documented trap: information_schema filters, it does not refuse
    assert visible_triggers(server, "reader", "reader-pw-1") == []
    result, inventory, _ = run(spec_for(server, user="reader", password="reader-pw-1"))
    facts = result.facts
    assert facts["objects"]["triggers"] == [] and facts["objects"]["events"] == []
    assert facts["objects"]["routines"] == []
    assert facts["object_visibility"] == {
        "triggers": {"complete": False, "missing_privilege": "TRIGGER"},
        "events": {"complete": False, "missing_privilege": "EVENT"},
        "routines": {"complete": False, "missing_privilege": "SELECT on mysql.proc"},
        "user_defined_functions": {"complete": False, "missing_privilege": "SELECT on mysql.func"},
    }
    assert inventory.status == "ok"
    assert inventory.reason == (
        "not visible to this account: triggers (needs TRIGGER), events (needs EVENT),"
        " routines (needs SELECT on mysql.proc); user-defined functions not listed: needs SELECT on mysql.func"
    )
    # the tables themselves are still fully inventoried
    assert table_keys(facts)["app.t"] == keys(charset="latin1", columns=2, pk=["id"], unique="PRIMARY")


def test_with_the_privileges_everything_is_complete_and_listed(mariadb_factory) -> None:
    server = mariadb_factory()
    build_visibility(server)
    server.create_user("full", "full-pw-1", ["SELECT, TRIGGER, EVENT, EXECUTE ON app.*", "SELECT ON mysql.func"])
    assert visible_triggers(server, "full", "full-pw-1") == ["trg", "trg2"]
    result, inventory, _ = run(spec_for(server, user="full", password="full-pw-1"))
    assert (inventory.status, inventory.reason) == ("ok", "")
    objects = result.facts["objects"]
    assert objects["triggers"] == TRIGGERS
    assert objects["events"] == ["app.ev"]
    assert objects["routines"] == [{"name": "app.pr", "type": "PROCEDURE"}]
    assert result.facts["object_visibility"] == {"triggers": COMPLETE, "events": COMPLETE, "routines": COMPLETE,
                                                 "user_defined_functions": COMPLETE}


def test_partial_and_pattern_grants(mariadb_factory) -> None:
    server = mariadb_factory()
    build_visibility(server)
    # TRIGGER on one table shows that table's triggers only: still incomplete
    server.create_user("one_table", "one-pw-1", ["SELECT ON app.*", "TRIGGER ON app.t"])
    assert visible_triggers(server, "one_table", "one-pw-1") == ["trg"]
    result, _, _ = run(spec_for(server, user="one_table", password="one-pw-1"))
    assert result.facts["objects"]["triggers"] == TRIGGERS[:1]
    assert result.facts["object_visibility"]["triggers"] == {"complete": False, "missing_privilege": "TRIGGER"}
    # a schema-name pattern grant covers the schema; SELECT on mysql.proc shows the routines
    server.create_user("pattern", "pattern-pw-1", ["SELECT, TRIGGER ON `a%`.*", "SELECT ON mysql.proc"])
    assert visible_triggers(server, "pattern", "pattern-pw-1") == ["trg", "trg2"]
    result, _, _ = run(spec_for(server, user="pattern", password="pattern-pw-1"))
    assert result.facts["objects"]["triggers"] == TRIGGERS
    assert result.facts["objects"]["routines"] == [{"name": "app.pr", "type": "PROCEDURE"}]
    visibility = result.facts["object_visibility"]
    assert visibility["triggers"] == COMPLETE and visibility["routines"] == COMPLETE
    assert visibility["events"] == {"complete": False, "missing_privilege": "EVENT"}


def test_role_based_grants_are_unknown_not_guessed(mariadb_factory) -> None:
    server = mariadb_factory()
    build_visibility(server)
    server.admin("CREATE ROLE trigger_reader")
    server.admin("GRANT TRIGGER ON app.* TO trigger_reader")
    server.create_user("roled", "roled-pw-1", ["SELECT ON app.*", "EVENT ON *.*", "trigger_reader"])
    server.admin("SET DEFAULT ROLE trigger_reader FOR roled")
    assert visible_triggers(server, "roled", "roled-pw-1") == ["trg", "trg2"]
    result, inventory, _ = run(spec_for(server, user="roled", password="roled-pw-1"))
    visibility = result.facts["object_visibility"]
    assert result.facts["objects"]["triggers"] == TRIGGERS
    assert visibility["triggers"] == {"complete": None, "missing_privilege": None}  # a role may hold it
    assert visibility["events"] == COMPLETE  # held directly: roles only add
    assert "could not tell from the grants whether every one is visible: routines, triggers" in inventory.reason


# ---------------------------------------------------------------- MySQL 8 (stand-in)


@pytest.mark.mysql8
def test_mysql_84_standin_upper_case_columns(mysql_standin) -> None:
    standin = mysql_standin("mysql-8.4")
    spec = ConnectionSpec(host=standin.host, port=standin.port, user=standin.user, password=standin.password)
    result, inventory, statements = run(spec)
    assert standin.unknown == [] and standin.unsupported == [] and standin.errors == []
    assert (inventory.status, inventory.reason) == ("ok", "")
    facts = result.facts
    assert sorted(facts["schema_types"]) == ["sakila", "test"]
    objects = facts["objects"]
    assert objects["views"] == ["sakila.actor_info", "sakila.film_list"]
    assert objects["events"] == ["test.ev_purge"]
    assert len(objects["triggers"]) == 6 and len(objects["routines"]) == 5
    assert objects["foreign_keys"][0] == {
        "name": "sakila.customer.fk_customer_address", "table": "sakila.customer", "columns": ["address_id"],
        "references": "sakila.address", "on_delete": "RESTRICT", "on_update": "CASCADE",
        "referenced_columns": ["address_id"],
    }
    # MySQL: CHECK constraints come from TABLE_CONSTRAINTS (its CHECK_CONSTRAINTS has no TABLE_NAME)
    assert objects["check_constraints"] == ["sakila.payment.payment_chk_amount"]
    assert objects["generated_columns"] == []  # DEFAULT_GENERATED is an expression default, not generated
    assert facts["schema_types"]["test"]["json_columns"] == 1
    tables = table_keys(facts)
    assert tables["test.t_part"] == keys(columns=2, partition="RANGE", pk=["id", "created"], unique="PRIMARY")
    assert tables["sakila.payment"] == keys(columns=3, pk=["payment_id"], unique="PRIMARY")
    assert tables["test.legacy_myisam"] == keys(columns=2)
    assert facts["object_visibility"] == {"triggers": COMPLETE, "events": COMPLETE, "routines": COMPLETE,
                                          "user_defined_functions": COMPLETE}
    # sakila has foreign keys (KEY_COLUMN_USAGE) and views (TABLES again for them); TABLES shared;
    # ROUTINES and EVENTS once for both schemas; PARTITIONS for test alone (sakila has no partitioned table)
    assert statements == 2 + 6 + 6 + 2 + 1
