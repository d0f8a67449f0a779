"""PlanetScale import readiness (prechecks/readiness.py) over facts from real collections.

Every rule is failed and passed by a real server: MariaDB servers for the settings MariaDB has and
for the schema rules (awkward names included), the MySQL-8 stand-in for GTIDs, versions and RDS /
Aurora binlog retention. `database_size` is the one rule whose failing input is not built on a
server (250 GB): its facts come from a real run with one schema's byte counts raised.
"""

from __future__ import annotations

import copy
import json
import tarfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from collectors.base import Collector
from collectors.connection import ConnectionSpec, open_session
from collectors.inventory import INVENTORY
from collectors.platform_config import RDS_CONFIGURATION
from collectors.registry import collectors_for
from collectors.runner import Runner
from collectors.schema import quote_identifier
from collectors.server import DATABASES, VARIABLES
from prechecks.bundle import ArchiveInputs, build, write_bundle
from prechecks.collection import new_facts
from prechecks.derive import derive
from prechecks.readiness import (
    DOCS_AURORA,
    DOCS_FOREIGN_KEYS,
    DOCS_LINKS,
    DOCS_MARIADB,
    DOCS_RDS,
    DOCS_SYSTEM_LIMITS,
    RULE_SPECS,
    evaluate,
    verdict,
)
from prechecks.report import render_report
from tests.helpers import read_archive, spec_for
from tests.servers import MariaDBServer
from tests.standin.profiles import RDS_CONFIGURATION as RDS_ROWS
from tests.standin.profiles import ResultSetData, get_profile

IDS = [
    "binlog_enabled", "gtid_mode", "enforce_gtid_consistency", "binlog_format", "binlog_row_image",
    "binlog_retention", "sql_mode", "mysql_version", "unique_key", "float_primary_key", "storage_engine",
    "charset", "non_ascii_identifiers", "stored_routines", "triggers", "events", "views", "foreign_keys",
    "partitioning", "table_count", "column_count", "database_size", "user_defined_functions",
    "time_zone", "empty_schemas", "multiple_schemas", "large_tables", "reachability", "import_account",
    "mariadb_features", "unsupported_statements", "workload_limits", "duplicate_enum_values",
    "check_constraint_names", "broken_views", "foreign_key_cycles",
]
SCHEMA_IDS = IDS[8:23]
GOOD_SQL_MODE = "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO"


def q(name: str) -> str:
    return quote_identifier(name)


def collectors() -> list[Collector]:
    """The full registry (sleep 0), plus inventory and rds_configuration when it does not list them yet."""
    chosen = collectors_for(0.0)
    names = {c.name for c in chosen}
    missing = [c for c in (INVENTORY, RDS_CONFIGURATION) if c.name not in names]
    at = next(i for i, c in enumerate(chosen) if c.name == "status_sample")
    chosen[at:at] = missing
    return chosen


def collect_facts(spec: ConnectionSpec, *, inventory_budget: float | None = None) -> dict[str, Any]:
    chosen = collectors()
    if inventory_budget is not None:
        chosen = [replace(c, budget_seconds=inventory_budget) if c.name == "inventory" else c for c in chosen]
    with open_session(spec) as session:
        result = Runner(session, chosen, {"sleep": 0, "schema_ddl": False}, facts=new_facts(spec)).run()
    return result.facts


def checks(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    readiness = evaluate(facts)
    assert readiness["format_version"] == 1
    assert [c["id"] for c in readiness["checks"]] == IDS
    for check in readiness["checks"]:
        assert set(check) == {"id", "title", "severity", "status", "objects", "detail", "remediation", "docs",
                              "source"}
        assert check["source"] in ("docs", "ours")
        assert check["severity"] in ("blocker", "warning", "notice")
        assert check["status"] in ("pass", "fail", "not_applicable", "skipped")
        assert check["docs"].startswith("https://planetscale.com/docs/")
        assert check["detail"]
        if check["status"] == "fail":
            assert check["remediation"], check["id"]
        else:
            assert check["remediation"] == "", check["id"]
    json.dumps(readiness)  # plain JSON
    return {c["id"]: c for c in readiness["checks"]}


def standin_spec(standin: Any) -> ConnectionSpec:
    return ConnectionSpec(host=standin.host, port=standin.port, user=standin.user, password=standin.password)


# ---------------------------------------------------------------- settings (MariaDB)


def test_settings_pass_on_a_well_configured_mariadb(mariadb_factory) -> None:
    server = mariadb_factory(sql_mode=GOOD_SQL_MODE, extra_options={"expire-logs-days": "3"})
    by_id = checks(collect_facts(spec_for(server)))
    for rule in ("binlog_enabled", "binlog_format", "binlog_row_image", "binlog_retention", "sql_mode"):
        assert by_id[rule]["status"] == "pass", by_id[rule]
        assert by_id[rule]["objects"] == []
    assert by_id["binlog_retention"]["detail"] == "binlog_expire_logs_seconds = 259200: binary logs are kept 72 hours"
    # MariaDB has no gtid_mode / enforce_gtid_consistency: not applicable, with the reason
    for rule in ("gtid_mode", "enforce_gtid_consistency"):
        assert by_id[rule]["status"] == "not_applicable"
        assert by_id[rule]["detail"].startswith(f"MariaDB has no {rule}")
    # MariaDB is an import source: a notice that names PlanetScale's MariaDB migration guide, no blocker
    version = by_id["mysql_version"]
    assert (version["status"], version["severity"], version["docs"]) == ("fail", "notice", DOCS_MARIADB)
    assert version["detail"].startswith("MariaDB 10.11.") and "MariaDB migration guide" in version["detail"]
    assert by_id["gtid_mode"]["docs"] == DOCS_MARIADB
    assert facts_blockers(by_id) == []


def facts_blockers(by_id: dict[str, dict[str, Any]]) -> list[str]:
    return [i for i, c in by_id.items() if c["status"] == "fail" and c["severity"] == "blocker"]


@pytest.mark.parametrize(("days", "status"), [("2", "fail"), ("2.01", "pass")])
def test_retention_must_be_more_than_48_hours_as_the_import_checks_it(mariadb_factory, days: str,
                                                                      status: str) -> None:
    # the import reads expire_logs_days > 2: exactly 48 hours is refused
    server = mariadb_factory(extra_options={"expire-logs-days": days})
    retention = checks(collect_facts(spec_for(server)))["binlog_retention"]
    assert (retention["status"], retention["objects"]) == (status, [])
    if status == "fail":
        assert retention["detail"] == (
            "binlog_expire_logs_seconds = 172800: binary logs are purged after 48 hours; the import checks for more"
            " than 48 hours (expire_logs_days > 2 or binlog_expire_logs_seconds > 172800)")
        assert retention["remediation"].startswith("SET GLOBAL binlog_expire_logs_seconds = 259200;")


def test_default_retention_zero_is_a_pass_with_the_caveat(mariadb_factory) -> None:
    server = mariadb_factory()
    retention = checks(collect_facts(spec_for(server)))["binlog_retention"]
    assert retention["status"] == "pass"
    assert "never purged automatically" in retention["detail"]


def test_settings_fail_with_the_set_that_fixes_them(mariadb_factory) -> None:
    server = mariadb_factory(
        binlog_format="STATEMENT", sql_mode="ANSI_QUOTES,PIPES_AS_CONCAT,STRICT_TRANS_TABLES",
        extra_options={"binlog-row-image": "MINIMAL", "expire-logs-days": "1"},
    )
    by_id = checks(collect_facts(spec_for(server)))
    fmt = by_id["binlog_format"]
    assert (fmt["status"], fmt["severity"], fmt["objects"]) == ("fail", "blocker", [])
    assert fmt["detail"].startswith("binlog_format = STATEMENT")
    assert fmt["remediation"].startswith("SET GLOBAL binlog_format = 'ROW'; Then add `binlog_format = ROW`")
    image = by_id["binlog_row_image"]
    assert image["status"] == "fail" and image["detail"].startswith("binlog_row_image = MINIMAL")
    assert "SET GLOBAL binlog_row_image = 'FULL';" in image["remediation"]
    retention = by_id["binlog_retention"]
    assert retention["status"] == "fail"
    assert retention["detail"].startswith("binlog_expire_logs_seconds = 86400: binary logs are purged after 24 hours")
    assert retention["remediation"].startswith("SET GLOBAL binlog_expire_logs_seconds = 259200;")
    mode = by_id["sql_mode"]
    assert mode["status"] == "fail"
    assert mode["detail"] == ("sql_mode = PIPES_AS_CONCAT,ANSI_QUOTES,STRICT_TRANS_TABLES: missing NO_ZERO_IN_DATE,"
                              " NO_ZERO_DATE, ONLY_FULL_GROUP_BY; unsupported ANSI_QUOTES, PIPES_AS_CONCAT")
    assert mode["remediation"].startswith(
        "SET GLOBAL sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ONLY_FULL_GROUP_BY';")


def test_binlog_off_fails(mariadb_factory) -> None:
    server = mariadb_factory(log_bin=False)
    enabled = checks(collect_facts(spec_for(server)))["binlog_enabled"]
    assert (enabled["status"], enabled["severity"]) == ("fail", "blocker")
    assert enabled["detail"].startswith("log_bin = OFF")
    assert "log_bin = mysql-bin" in enabled["remediation"] and "restart" in enabled["remediation"]


# ---------------------------------------------------------------- schema rules (MariaDB)


CLEAN_SCHEMAS = ("app", "my app", "we`ird", "select")


def build_clean(server: MariaDBServer) -> None:
    """Every schema rule passes, with awkward (but ASCII) names and every supported feature."""
    for schema in CLEAN_SCHEMAS:
        server.admin(f"CREATE DATABASE {q(schema)} CHARACTER SET utf8mb4")
    for sql in (
        "CREATE TABLE app.customers (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL, UNIQUE KEY uk_email (email))",
        "CREATE TABLE app.only_unique (code VARCHAR(10) NOT NULL, note TEXT, UNIQUE KEY uk_code (code))",
        "CREATE TABLE app.latin (id INT PRIMARY KEY, a VARCHAR(5) CHARACTER SET latin1,"
        " b VARCHAR(5) CHARACTER SET ascii, c VARBINARY(5), d BLOB) CHARACTER SET latin1",
        "CREATE TABLE app.p_range (id INT NOT NULL PRIMARY KEY) PARTITION BY RANGE (id)"
        " (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)",
        "CREATE TABLE app.p_hash (id INT NOT NULL PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2",
        "CREATE TABLE app.p_key (id INT NOT NULL PRIMARY KEY) PARTITION BY KEY (id) PARTITIONS 2",
        "CREATE TABLE app.decimal_pk (price DECIMAL(10,2) NOT NULL PRIMARY KEY, ratio DOUBLE)",
        "CREATE TABLE app.wide_ok (" + ", ".join(f"c{i} INT" for i in range(1016)) + ", id INT PRIMARY KEY)",
        "CREATE TABLE `my app`.`order` (`select` INT PRIMARY KEY, `from` VARCHAR(5) NOT NULL)",
        "CREATE TABLE `we``ird`.`t1` (`c``1` INT NOT NULL, UNIQUE KEY `u``k` (`c``1`))",
        "CREATE TABLE `select`.`from` (`where` INT PRIMARY KEY)",
        "CREATE TABLE app.`Dollar$_1` (id INT PRIMARY KEY)",
    ):
        server.admin(sql)


def test_every_schema_rule_passes_on_a_clean_schema(mariadb_factory) -> None:
    server = mariadb_factory()
    build_clean(server)
    facts = collect_facts(spec_for(server))
    assert facts["object_visibility"]["triggers"]["complete"] is True
    by_id = checks(facts)
    for rule in SCHEMA_IDS:
        assert (by_id[rule]["status"], by_id[rule]["objects"]) == ("pass", []), by_id[rule]
    assert by_id["table_count"]["detail"] == "no schema has more than 2048 tables and views (largest: 9)"


DIRTY_SCHEMAS = ("app", "my app", "we`ird", "select", "café", "legacy")


def build_dirty(server: MariaDBServer) -> None:
    """Every schema rule fails, next to objects that comply (which must never be listed)."""
    for schema in DIRTY_SCHEMAS:
        server.admin(f"CREATE DATABASE {q(schema)} CHARACTER SET utf8mb4")
    for sql in (
        # unique_key: compliant ones, then the offenders
        "CREATE TABLE app.customers (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL, UNIQUE KEY uk_email (email))",
        "CREATE TABLE app.only_unique (code VARCHAR(10) NOT NULL, other INT, UNIQUE KEY uk_z (other),"
        " UNIQUE KEY uk_code (code))",
        "CREATE TABLE app.no_key (a INT, b INT)",
        "CREATE TABLE app.nullable_unique (a INT NULL, b INT, UNIQUE KEY uk_a (a))",
        "CREATE TABLE app.text_prefix (t TEXT NOT NULL, UNIQUE KEY uk_t (t(20)))",
        "CREATE TABLE `my app`.`no key here` (`select` INT, `from` INT)",
        "CREATE TABLE `we``ird`.`t``1` (`c``1` INT)",
        # float_primary_key
        "CREATE TABLE app.float_pk (id INT NOT NULL, price FLOAT NOT NULL, PRIMARY KEY (id, price))",
        "CREATE TABLE `select`.`where` (`double` DOUBLE NOT NULL PRIMARY KEY, ok DOUBLE)",
        # storage_engine
        "CREATE TABLE legacy.m (id INT PRIMARY KEY) ENGINE=MyISAM",
        "CREATE TABLE legacy.`a ria` (id INT PRIMARY KEY) ENGINE=Aria",
        "CREATE TABLE legacy.fine (id INT PRIMARY KEY) ENGINE=InnoDB",
        # charset (binary strings and latin1/ascii are fine)
        "CREATE TABLE legacy.ujis_t (id INT PRIMARY KEY, name VARCHAR(10)) CHARACTER SET ujis",
        "CREATE TABLE legacy.mixed (id INT PRIMARY KEY, c VARCHAR(10) CHARACTER SET sjis,"
        " e VARCHAR(10) CHARACTER SET latin1, f VARBINARY(10), g BLOB, h VARCHAR(10) CHARACTER SET ascii)",
        # non_ascii_identifiers
        "CREATE TABLE `café`.`crème` (id INT PRIMARY KEY, `brûlé` INT, plain INT)",
        "CREATE TABLE app.`tablé` (id INT PRIMARY KEY)",
        "CREATE TABLE app.`special-table-name` (id INT PRIMARY KEY)",
        # partitioning
        "CREATE TABLE app.p_range (id INT NOT NULL PRIMARY KEY) PARTITION BY RANGE (id)"
        " (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)",
        "CREATE TABLE app.p_list (id INT NOT NULL PRIMARY KEY) PARTITION BY LIST (id)"
        " (PARTITION p0 VALUES IN (1, 2), PARTITION p1 VALUES IN (3))",
        "CREATE TABLE app.p_sub (id INT NOT NULL, d INT NOT NULL, PRIMARY KEY (id, d)) PARTITION BY RANGE (id)"
        " SUBPARTITION BY HASH (d) SUBPARTITIONS 2"
        " (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)",
        # column_count: 1018 columns (MyISAM takes it on MariaDB); 1017 is fine
        "CREATE TABLE legacy.wide (" + ", ".join(f"c{i} INT" for i in range(1017)) + ", id INT PRIMARY KEY)"
        " ENGINE=MyISAM",
        "CREATE TABLE app.wide_ok (" + ", ".join(f"c{i} INT" for i in range(1016)) + ", id INT PRIMARY KEY)",
        # foreign keys: CASCADE, SET NULL and a plain one
        "CREATE TABLE app.orders (id INT PRIMARY KEY, customer_id INT NULL,"
        " CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES app.customers (id)"
        " ON DELETE SET NULL ON UPDATE CASCADE)",
        "CREATE TABLE app.order_lines (id INT PRIMARY KEY, order_id INT NOT NULL,"
        " CONSTRAINT fk_order FOREIGN KEY (order_id) REFERENCES app.orders (id) ON DELETE CASCADE)",
        "CREATE TABLE `my app`.`pay ment` (id INT PRIMARY KEY, customer_id INT NOT NULL,"
        " CONSTRAINT `fk plain` FOREIGN KEY (customer_id) REFERENCES app.customers (id))",
        # stored code and views
        "CREATE VIEW app.v_orders AS SELECT id FROM app.orders",
        "CREATE VIEW `my app`.`v w` AS SELECT 1 AS `one`",
        "CREATE PROCEDURE app.p_refresh() SELECT 1",
        "CREATE FUNCTION `my app`.`f unc`() RETURNS INT DETERMINISTIC RETURN 1",
        "CREATE TRIGGER app.trg_audit BEFORE INSERT ON app.orders FOR EACH ROW SET NEW.id = NEW.id",
        "CREATE TRIGGER `we``ird`.`trg``1` BEFORE INSERT ON `we``ird`.`t``1` FOR EACH ROW SET NEW.`c``1` = 1",
        "CREATE EVENT app.ev_purge ON SCHEDULE EVERY 1 DAY DO DELETE FROM app.no_key WHERE a < 0",
        "CREATE EVENT `select`.`event` ON SCHEDULE EVERY 1 DAY DO SELECT 1",
        # a user-defined function as mysql.func lists it (no shared library is loaded by a row)
        "INSERT INTO mysql.func (name, ret, dl, type) VALUES ('metaphon', 0, 'udf_example.so', 'function')",
    ):
        server.admin(sql)


def test_every_schema_rule_fails_with_exactly_the_offenders(mariadb_factory) -> None:
    server = mariadb_factory()
    build_dirty(server)
    facts = collect_facts(spec_for(server))
    by_id = checks(facts)
    expected = {
        "unique_key": ["app.no_key", "app.nullable_unique", "app.text_prefix", "my app.no key here", "we`ird.t`1"],
        "float_primary_key": ["app.float_pk.price", "select.where.double"],
        "storage_engine": ["legacy.a ria", "legacy.m", "legacy.wide"],
        "charset": ["legacy.mixed.c", "legacy.ujis_t", "legacy.ujis_t.name"],
        "non_ascii_identifiers": ["app.special-table-name", "app.tablé", "café", "café.crème", "café.crème.brûlé",
                                  "legacy.a ria", "my app.no key here", "my app.pay ment", "we`ird.t`1"],
        "stored_routines": ["app.p_refresh", "my app.f unc"],
        "triggers": ["app.trg_audit", "we`ird.trg`1"],
        "events": ["app.ev_purge", "select.event"],
        "views": ["app.v_orders", "my app.v w"],
        "foreign_keys": ["app.order_lines.fk_order", "app.orders.fk_customer", "my app.pay ment.fk plain"],
        "partitioning": ["app.p_list", "app.p_sub"],
        "column_count": ["legacy.wide"],
        "user_defined_functions": ["metaphon"],
    }
    for rule, objects in expected.items():
        assert (by_id[rule]["status"], by_id[rule]["objects"]) == ("fail", objects), by_id[rule]
    assert by_id["table_count"]["status"] == "pass" and by_id["database_size"]["status"] == "pass"

    assert {r: by_id[r]["severity"] for r in expected} == {
        "unique_key": "blocker", "float_primary_key": "notice", "storage_engine": "blocker", "charset": "blocker",
        "non_ascii_identifiers": "blocker", "stored_routines": "warning", "triggers": "warning",
        "events": "warning", "views": "warning", "foreign_keys": "warning", "partitioning": "blocker",
        "column_count": "blocker", "user_defined_functions": "warning",
    }
    assert by_id["float_primary_key"]["source"] == "ours"
    for rule in ("stored_routines", "triggers"):
        assert "cannot be recreated after the import" in by_id[rule]["remediation"]
        assert "where PlanetScale supports them" not in by_id[rule]["remediation"]
    assert by_id["views"]["docs"] == "https://planetscale.com/docs/vitess/imports/database-imports"
    assert by_id["partitioning"]["docs"].endswith("/schema-lint-errors/unsupported-partitioning-feature")
    assert by_id["column_count"]["docs"] == DOCS_SYSTEM_LIMITS
    # remediations name the object, quoted for the server
    assert "ALTER TABLE `app`.`no_key` ADD COLUMN id BIGINT" in by_id["unique_key"]["remediation"]
    assert by_id["storage_engine"]["remediation"].startswith("ALTER TABLE `legacy`.`a ria` ENGINE=InnoDB;")
    assert by_id["storage_engine"]["detail"].startswith("3 tables not on InnoDB (Aria, MyISAM)")
    assert by_id["charset"]["remediation"].startswith("ALTER TABLE `legacy`.`ujis_t` CONVERT TO CHARACTER SET utf8mb4;")
    assert "sjis, ujis" in by_id["charset"]["detail"]
    assert by_id["partitioning"]["remediation"].startswith("ALTER TABLE `app`.`p_list` REMOVE PARTITIONING;")
    assert "app.p_list (LIST); app.p_sub (RANGE, SUBPARTITION BY HASH)" in by_id["partitioning"]["detail"]
    assert "legacy.wide: 1018 columns" in by_id["column_count"]["detail"]
    # foreign keys: the conditions, and the CASCADE / SET NULL relations named (not the plain one)
    fks = by_id["foreign_keys"]
    assert fks["docs"] == DOCS_FOREIGN_KEYS
    for condition in ("unsharded", "whole database", "cannot be resumed", "replica"):
        assert condition in fks["detail"]
    assert ("2 relations cascade (their changes are not in the binary log): app.order_lines.fk_order"
            " (app.order_lines -> app.orders ON DELETE CASCADE); app.orders.fk_customer (app.orders -> app.customers"
            " ON DELETE SET NULL, ON UPDATE CASCADE)") in fks["detail"]
    assert "fk plain (" not in fks["detail"]

    # the report: the section right after the title and the sizing inputs, verdict first, then one line per check
    report = render_report(derive(facts))
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings[:4] == ["## PlanetScale Migration Pre-Check Report", "## Sizing and pricing inputs",
                            "## PlanetScale import readiness", "## Collection"]
    lines = report.split("## PlanetScale import readiness\n", 1)[1].split("\n## ", 1)[0].splitlines()
    blockers = sum(1 for c in by_id.values() if c["status"] == "fail" and c["severity"] == "blocker")
    warnings = sum(1 for c in by_id.values() if c["status"] == "fail" and c["severity"] == "warning")
    notices = sum(1 for c in by_id.values() if c["status"] == "fail" and c["severity"] == "notice")
    assert lines[0] == f"{'Verdict':>35} | {blockers} blockers, {warnings} warnings ({notices} notices)"
    assert f"{'FAIL (blocker) unique_key':>35} | Every table has a usable unique key — 5: app.no_key," \
           " app.nullable_unique, app.text_prefix, +2 more" in lines
    assert f"{'ok table_count':>35} | At most 2048 tables and views per schema" in lines
    assert "    fix: ALTER TABLE `legacy`.`a ria` ENGINE=InnoDB;" in "\n".join(lines)
    skipped = [c["id"] for c in by_id.values() if c["status"] == "skipped"]
    assert skipped == []
    assert verdict(evaluate(facts)) == f"{blockers} blockers, {warnings} warnings ({notices} notices)"


def test_verdict_line() -> None:
    def check(status: str, severity: str = "blocker") -> dict[str, Any]:
        return {"status": status, "severity": severity}

    assert verdict({"checks": [check("pass"), check("not_applicable")]}) == "Ready to import"
    assert verdict({"checks": [check("pass"), check("fail", "notice")]}) == "Ready to import (1 notice)"
    assert verdict({"checks": [check("fail"), check("fail", "warning"), check("fail", "warning"),
                               check("skipped")]}) == "1 blocker, 2 warnings (1 skipped)"
    assert verdict({"checks": [check("pass"), check("skipped")]}) == (
        "No blockers or warnings found, but not every check could run (1 skipped)")


def test_table_count_over_2048_tables_and_views(mariadb_factory) -> None:
    server = mariadb_factory()
    statements = ["CREATE DATABASE many", "CREATE DATABASE `edge case`", "CREATE TABLE many.t (id INT PRIMARY KEY)",
                  "CREATE TABLE `edge case`.t (id INT PRIMARY KEY)"]
    # views are cheap to create: 1 table + 2048 views = 2049 (too many); 1 + 2047 = 2048 (the limit)
    statements += [f"CREATE VIEW many.v{i} AS SELECT id FROM many.t" for i in range(2048)]
    statements += [f"CREATE VIEW `edge case`.v{i} AS SELECT id FROM `edge case`.t" for i in range(2047)]
    server._execute(statements)
    # 4,095 views in two schemas: a loaded machine must not turn a slow information_schema read into a
    # statement time-out (this test checks the rule, not the speed)
    by_id = checks(collect_facts(spec_for(server, statement_timeout=60)))
    count = by_id["table_count"]
    assert (count["status"], count["severity"], count["objects"]) == ("fail", "blocker", ["many"])
    assert count["detail"] == "1 schema with more than 2048 tables and views: many. many: 2049"
    assert len(by_id["views"]["objects"]) == 2048 + 2047


def test_database_size_notice_from_a_real_run_with_raised_sizes(mariadb_factory) -> None:
    # 250 GB cannot be built here: the facts of a real run, with one schema's bytes raised
    server = mariadb_factory()
    server.admin("CREATE DATABASE big")
    server.admin("CREATE DATABASE small")
    server.admin("CREATE TABLE big.t (id INT PRIMARY KEY)")
    server.admin("CREATE TABLE small.t (id INT PRIMARY KEY)")
    facts = collect_facts(spec_for(server))
    assert checks(facts)["database_size"]["status"] == "pass"
    grown = copy.deepcopy(facts)
    entry = next(s for s in grown["schemas"] if s["name"] == "big")
    entry["data_bytes"], entry["index_bytes"] = 280 * 10**9, 20 * 10**9
    size = checks(grown)["database_size"]
    assert (size["status"], size["severity"], size["objects"]) == ("fail", "notice", ["big"])
    assert size["detail"].startswith("1 schema above 250.0 GB: big: 300.0 GB (300.0 GB in all)")


# ---------------------------------------------------------------- what the account cannot see


def build_hidden(server: MariaDBServer) -> None:
    for sql in (
        "CREATE DATABASE app",
        "CREATE TABLE app.t (id INT PRIMARY KEY, n INT)",
        "CREATE TRIGGER app.trg BEFORE INSERT ON app.t FOR EACH ROW SET NEW.n = 1",
        "CREATE EVENT app.ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM app.t WHERE id < 0",
        "CREATE PROCEDURE app.pr() SELECT 1",
    ):
        server.admin(sql)


def test_objects_the_account_cannot_see_skip_their_rule(mariadb_factory) -> None:
    server = mariadb_factory()
    build_hidden(server)
    server.create_user("reader", "reader-pw-1", ["SELECT ON app.*"])
    by_id = checks(collect_facts(spec_for(server, user="reader", password="reader-pw-1")))
    for rule, privilege in (("triggers", "TRIGGER"), ("events", "EVENT"), ("stored_routines", "SELECT on mysql.proc"),
                            ("user_defined_functions", "SELECT on mysql.func")):
        check = by_id[rule]
        assert (check["status"], check["objects"]) == ("skipped", []), check
        assert f"it lacks {privilege}" in check["detail"], check
    # with the privileges, the same schema fails the rules with the objects
    server.create_user("full", "full-pw-1", ["SELECT, TRIGGER, EVENT ON app.*", "SELECT ON mysql.proc",
                                             "SELECT ON mysql.func"])
    by_id = checks(collect_facts(spec_for(server, user="full", password="full-pw-1")))
    assert (by_id["triggers"]["status"], by_id["triggers"]["objects"]) == ("fail", ["app.trg"])
    assert (by_id["events"]["status"], by_id["events"]["objects"]) == ("fail", ["app.ev"])
    assert (by_id["stored_routines"]["status"], by_id["stored_routines"]["objects"]) == ("fail", ["app.pr"])
    assert by_id["user_defined_functions"]["status"] == "pass"


def test_role_based_grants_are_skipped_not_passed(mariadb_factory) -> None:
    server = mariadb_factory()
    for sql in ("CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, n INT)",
                "CREATE ROLE trigger_reader", "GRANT TRIGGER ON app.* TO trigger_reader"):
        server.admin(sql)
    server.create_user("roled", "roled-pw-1", ["SELECT ON app.*", "trigger_reader"])
    server.admin("SET DEFAULT ROLE trigger_reader FOR roled")
    # no trigger exists, and the role may or may not show them all: not a pass
    triggers = checks(collect_facts(spec_for(server, user="roled", password="roled-pw-1")))["triggers"]
    assert triggers["status"] == "skipped"
    assert triggers["detail"].startswith("none found among what was read, but could not tell whether the account"
                                         " sees every trigger")


def test_found_objects_still_fail_when_the_list_may_be_incomplete(mariadb_factory) -> None:
    server = mariadb_factory()
    for sql in ("CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, n INT)",
                "CREATE TABLE app.t2 (id INT PRIMARY KEY, n INT)",
                "CREATE TRIGGER app.trg BEFORE INSERT ON app.t FOR EACH ROW SET NEW.n = 1",
                "CREATE TRIGGER app.trg2 BEFORE INSERT ON app.t2 FOR EACH ROW SET NEW.n = 2"):
        server.admin(sql)
    server.create_user("one_table", "one-pw-1", ["SELECT ON app.*", "TRIGGER ON app.t"])
    triggers = checks(collect_facts(spec_for(server, user="one_table", password="one-pw-1")))["triggers"]
    assert (triggers["status"], triggers["objects"]) == ("fail", ["app.trg"])
    assert "The list may be incomplete: the account cannot see every trigger: it lacks TRIGGER" in triggers["detail"]


def test_rules_without_their_collector_are_skipped_naming_it(mariadb_factory) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE app")
    server.admin("CREATE TABLE app.t (a INT)")
    spec = spec_for(server)
    with open_session(spec) as session:  # no inventory, no table sizes
        facts = Runner(session, [VARIABLES, DATABASES], {}, facts=new_facts(spec)).run().facts
    by_id = checks(facts)
    for rule in ("unique_key", "float_primary_key", "charset", "triggers", "partitioning", "column_count",
                 "user_defined_functions"):
        assert by_id[rule]["status"] == "skipped", by_id[rule]
        assert "the inventory collector did not run" in by_id[rule]["detail"], by_id[rule]
    assert by_id["binlog_format"]["status"] == "pass"
    assert checks({})["binlog_format"]["detail"] == "the facts have no `variables` and no collection record"
    # a collector that was skipped: its reason is given
    skipped = copy.deepcopy(facts)
    skipped["collection"]["collectors"].append({"name": "inventory", "status": "skipped",
                                                "reason": "the account lacks a privilege (errno 1142: denied)"})
    assert checks(skipped)["unique_key"]["detail"] == (
        "the inventory collector was skipped: the account lacks a privilege (errno 1142: denied)")


def test_a_budget_cut_inventory_is_not_a_pass(mariadb_factory) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE app")
    server.admin("CREATE TABLE app.t (id INT PRIMARY KEY)")
    server.admin("CREATE TRIGGER app.trg BEFORE INSERT ON app.t FOR EACH ROW SET NEW.id = NEW.id")
    facts = collect_facts(spec_for(server), inventory_budget=0.0)  # the real cut: nothing was read
    assert facts["inventory"]["cut"] == "time budget ran out after 0 of 1 schemas"
    by_id = checks(facts)
    for rule in ("unique_key", "triggers", "charset", "partitioning"):
        assert by_id[rule]["status"] == "skipped", by_id[rule]
        assert "the inventory stopped early (time budget ran out after 0 of 1 schemas)" in by_id[rule]["detail"]
    assert by_id["unique_key"]["detail"] == (
        "none found among what was read, but 1 table not inventoried (app.t); the inventory stopped early"
        " (time budget ran out after 0 of 1 schemas)")


# ---------------------------------------------------------------- MySQL 8 stand-in: GTIDs, versions, RDS


@pytest.mark.mysql8
def test_mysql_84_gtids_on_and_version_warning(mysql_standin) -> None:
    standin = mysql_standin("mysql-8.4")
    by_id = checks(collect_facts(standin_spec(standin)))
    assert by_id["gtid_mode"]["status"] == "pass" and by_id["enforce_gtid_consistency"]["status"] == "pass"
    version = by_id["mysql_version"]
    assert (version["status"], version["severity"]) == ("fail", "warning")
    assert version["detail"].startswith("8.4.3: newer than 8.0") and "confirm with PlanetScale" in version["detail"]
    assert by_id["binlog_retention"]["detail"] == "binlog_expire_logs_seconds = 2592000: binary logs are kept 720 hours"
    assert by_id["sql_mode"]["status"] == "pass"


@pytest.mark.mysql8
def test_mysql_57_gtids_off_fail_with_the_online_procedure(mysql_standin) -> None:
    standin = mysql_standin("mysql-5.7")
    by_id = checks(collect_facts(standin_spec(standin)))
    assert by_id["mysql_version"]["status"] == "pass"
    gtid = by_id["gtid_mode"]
    assert (gtid["status"], gtid["detail"]) == ("fail", "gtid_mode = OFF: the import needs GTID-based replication")
    assert "SET GLOBAL gtid_mode = OFF_PERMISSIVE;" in gtid["remediation"]
    assert by_id["binlog_retention"]["detail"] == "expire_logs_days = 7: binary logs are kept 168 hours"


def rds_profile(hours: str | None, name: str = "rds-mysql-8.0") -> Any:
    profile = get_profile(name)
    rows = tuple(((r[0], hours, r[2]) if r[0] == "binlog retention hours" else r) for r in RDS_ROWS.rows)
    profile.responses["CALL MYSQL.RDS_SHOW_CONFIGURATION"] = ResultSetData(RDS_ROWS.columns, rows)
    return profile


@pytest.mark.mysql8
@pytest.mark.parametrize(("hours", "status"), [(None, "fail"), ("24", "fail"), ("72", "pass")])
def test_rds_binlog_retention_hours(mysql_standin, hours: str | None, status: str) -> None:
    standin = mysql_standin(rds_profile(hours))
    facts = collect_facts(standin_spec(standin))
    assert facts["server"]["platform"] == "rds"
    assert facts["rds_configuration"] == {"binlog retention hours": hours, "source delay": "0", "target delay": "0"}
    by_id = checks(facts)
    retention = by_id["binlog_retention"]
    assert (retention["status"], retention["docs"]) == (status, DOCS_RDS)
    if hours is None:
        assert retention["detail"].startswith("binlog retention hours is NULL: RDS purges binary logs")
    elif status == "fail":
        assert retention["detail"] == "binlog retention hours = 24: fewer than 48"
    else:
        assert retention["detail"] == "binlog retention hours = 72"
    if status == "fail":
        assert retention["remediation"].startswith("CALL mysql.rds_set_configuration('binlog retention hours', 48);")
    # the other settings' fixes name the RDS parameter group
    assert by_id["gtid_mode"]["remediation"].startswith("In the DB instance's custom DB parameter group")


@pytest.mark.mysql8
def test_aurora_retention_and_skipped_without_the_collector(mysql_standin) -> None:
    standin = mysql_standin("aurora-mysql-3")
    facts = collect_facts(standin_spec(standin))
    retention = checks(facts)["binlog_retention"]
    assert (retention["status"], retention["docs"]) == ("fail", DOCS_AURORA)
    assert retention["detail"].startswith("binlog retention hours is NULL: Aurora purges")
    # without rds_configuration the rule says why it could not run
    del facts["rds_configuration"]
    for record in facts["collection"]["collectors"]:
        if record["name"] == "rds_configuration":
            record.update(status="skipped", reason="the account may not run mysql.rds_show_configuration")
    retention = checks(facts)["binlog_retention"]
    assert retention["status"] == "skipped"
    assert retention["detail"].endswith(
        "the rds_configuration collector was skipped: the account may not run mysql.rds_show_configuration")


def test_rds_configuration_is_skipped_off_rds_and_reads_the_call_on_a_real_server(mariadb_factory) -> None:
    server = mariadb_factory()
    facts = collect_facts(spec_for(server))
    record = next(r for r in facts["collection"]["collectors"] if r["name"] == "rds_configuration")
    assert record["status"] == "skipped" and "self-managed" in record["reason"]
    assert "rds_configuration" not in facts
    # the CALL over the real protocol: a stand-in procedure with RDS's result set, platform taken as rds
    server.admin("CREATE PROCEDURE mysql.rds_show_configuration() SELECT 'binlog retention hours' AS name,"
                 " '72' AS value, 'hours' AS description UNION ALL SELECT 'source delay', '0', 'seconds'")
    spec = spec_for(server)
    with open_session(spec) as session:
        result = Runner(session, [RDS_CONFIGURATION], {}, facts={"server": {"platform": "rds"}}).run()
        assert session.query("SELECT 1").rows == [(1,)]  # the CALL left nothing unread behind
    assert result.results[0].status == "ok", result.results[0]
    assert result.facts["rds_configuration"] == {"binlog retention hours": "72", "source delay": "0"}


# ---------------------------------------------------------------- the bundle


def test_readiness_json_is_in_the_archive_and_the_manifest(mariadb_factory, tmp_path: Path) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE app")
    server.admin("CREATE TABLE app.`no key` (a INT)")
    facts = collect_facts(spec_for(server))
    archive = write_bundle(build(derive(facts), ArchiveInputs("2026_01_01_00_00_00")), tmp_path)
    with tarfile.open(archive, "r:gz") as tar:
        assert "readiness.json" in tar.getnames()
    files = read_archive(archive)
    readiness = json.loads(files["readiness.json"])
    assert readiness == json.loads(json.dumps(evaluate(json.loads(files["facts.json"]))))
    unique = next(c for c in readiness["checks"] if c["id"] == "unique_key")
    assert unique["objects"] == ["app.no key"]
    manifest = json.loads(files["manifest.json"])
    assert "readiness.json" in {f["path"] for f in manifest["files"]}


# ---------------------------------------------------------------- issue 15: every rule traceable, new rules


def test_every_rule_names_its_page_and_sentence_or_is_a_caution_of_ours() -> None:
    from prechecks.rulesdoc import problems

    assert [s.id for s in RULE_SPECS] == IDS
    assert problems(RULE_SPECS) == []
    for spec in RULE_SPECS:
        if spec.ours:
            assert spec.severity in ("notice", "warning"), spec.id
        else:
            assert spec.docs.startswith("https://planetscale.com/docs/") and spec.docs in DOCS_LINKS, spec.id
    # the check itself fails on a rule without them
    from prechecks.rulespec import RuleSpec

    bare = RuleSpec("x", "blocker", "", "", "", lambda facts: {})
    ours_blocker = RuleSpec("y", "blocker", "", "why", "when", lambda facts: {}, ours=True)
    assert problems([bare, ours_blocker]) == [
        "x: no quote (the sentence it enforces, or for a caution of ours why we raise it)", "x: no passes_when",
        "x: no planetscale.com documentation page (docs = '')", "y: a caution of ours cannot be a blocker"]


def test_readiness_rules_page_is_what_the_generator_writes() -> None:
    from prechecks.rulesdoc import DOC_PATH, render

    assert DOC_PATH.read_text(encoding="utf-8") == render(), "run: python -m prechecks.rulesdoc"
    for spec in RULE_SPECS:
        assert f"| `{spec.id}` | {spec.severity} |" in render()


def test_every_check_links_a_page_the_report_makes_a_link(mariadb_factory) -> None:
    server = mariadb_factory()
    for check in evaluate(collect_facts(spec_for(server)))["checks"]:
        assert check["docs"] in DOCS_LINKS, check


@pytest.mark.parametrize(("zone", "status"), [("+02:00", "fail"), ("+00:00", "pass")])
def test_time_zone(mariadb_factory, zone: str, status: str) -> None:
    server = mariadb_factory(extra_options={"default-time-zone": zone})
    check = checks(collect_facts(spec_for(server)))["time_zone"]
    assert (check["status"], check["severity"], check["objects"], check["source"]) == (status, "warning", [], "ours")
    assert check["detail"].startswith(f"time_zone = {zone}")


def test_empty_and_multiple_schemas(mariadb_factory) -> None:
    server = mariadb_factory()
    for sql in ("CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY)", "CREATE DATABASE `empty one`",
                "CREATE DATABASE only_views", "CREATE VIEW only_views.v AS SELECT 1 AS one"):
        server.admin(sql)
    facts = collect_facts(spec_for(server))
    by_id = checks(facts)
    empty = by_id["empty_schemas"]
    assert (empty["status"], empty["severity"], empty["objects"]) == ("fail", "warning", ["empty one", "only_views"])
    several = by_id["multiple_schemas"]
    assert (several["status"], several["severity"]) == ("fail", "notice")
    assert several["objects"] == sorted(d for d in facts["databases"]
                                        if d not in ("information_schema", "mysql", "performance_schema", "sys"))
    assert {"app", "empty one", "only_views"} <= set(several["objects"])
    assert f"this server means {len(several['objects'])} imports" in several["detail"]
    # one schema with a table: both pass
    server.admin("DROP DATABASE `empty one`")
    server.admin("DROP DATABASE only_views")
    for extra in set(several["objects"]) - {"app", "empty one", "only_views"}:
        server.admin(f"DROP DATABASE {q(extra)}")
    by_id = checks(collect_facts(spec_for(server)))
    assert (by_id["empty_schemas"]["status"], by_id["multiple_schemas"]["status"]) == ("pass", "pass")


def test_large_tables_from_a_real_run_with_raised_sizes(mariadb_factory) -> None:
    # 4 TB cannot be built here: the facts of a real run, with one table's bytes raised
    server = mariadb_factory()
    for sql in ("CREATE DATABASE app", "CREATE TABLE app.big (id INT PRIMARY KEY)",
                "CREATE TABLE app.small (id INT PRIMARY KEY)"):
        server.admin(sql)
    facts = collect_facts(spec_for(server))
    large = checks(facts)["large_tables"]
    assert (large["status"], large["objects"]) == ("pass", [])
    assert large["docs"] == DOCS_SYSTEM_LIMITS
    grown = copy.deepcopy(facts)
    entry = next(t for t in grown["tables"] if t["name"] == "big")
    entry["data_bytes"], entry["index_bytes"] = 4_100 * 10**9, 100 * 10**9
    large = checks(grown)["large_tables"]
    assert (large["status"], large["severity"], large["objects"]) == ("fail", "notice", ["app.big"])
    assert large["detail"] == "1 table above 4,000.0 GB, more than one shard's disk: app.big: 4,200.0 GB"


def test_reachability(mariadb_factory) -> None:
    server = mariadb_factory()
    facts = collect_facts(spec_for(server))
    reach = checks(facts)["reachability"]
    assert (reach["status"], reach["severity"], reach["objects"]) == ("fail", "notice", [])
    assert reach["detail"].startswith("127.0.0.1 is a loopback address: the import connects from PlanetScale")
    for host, status in (("10.1.2.3", "fail"), ("db.corp", "fail"), ("db.example.com", "pass"),
                         ("198.51.100.7", "fail"), ("8.8.4.4", "pass")):
        moved = copy.deepcopy(facts)
        moved["source"]["host"] = host
        assert checks(moved)["reachability"]["status"] == status, host
    tunnelled = copy.deepcopy(facts)
    tunnelled["source"].update(via="ssh", ssh_host="bastion.example.com")
    assert checks(tunnelled)["reachability"]["detail"].startswith("it was reached through SSH via bastion.example.com")


def test_import_account_passes_on_mariadb_naming_the_grants(mariadb_factory) -> None:
    server = mariadb_factory()
    account = checks(collect_facts(spec_for(server)))["import_account"]
    assert (account["status"], account["docs"]) == ("pass", "https://planetscale.com/docs/vitess/imports/"
                                                             "import-tool-user-requirements")
    grant = "GRANT PROCESS, REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.* TO 'ps_import'@'%';"
    assert grant in account["detail"]


@pytest.mark.mysql8
def test_import_account_on_cloudsql_warns_about_cloudsqlsuperuser(mysql_standin) -> None:
    facts = collect_facts(standin_spec(mysql_standin("cloudsql-mysql-8.0")))
    assert facts["server"]["platform"] == "cloudsql"
    account = checks(facts)["import_account"]
    assert (account["status"], account["severity"], account["objects"]) == ("fail", "notice", [])
    assert "cloudsqlsuperuser" in account["detail"]
    assert account["remediation"].startswith("Create the import's account with SQL, not in the console")


def test_mariadb_features_fail_with_exactly_the_objects(mariadb_factory) -> None:
    server = mariadb_factory()
    for sql in (
        "CREATE DATABASE app",
        "CREATE TABLE app.plain (id INT PRIMARY KEY, ip VARBINARY(16), doc LONGTEXT)",
        "CREATE SEQUENCE app.order_seq",
        "CREATE TABLE app.history (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING",
        "CREATE TABLE app.net (id INT PRIMARY KEY, a4 INET4, a6 INET6, u UUID, doc JSON)",
    ):
        server.admin(sql)
    facts = collect_facts(spec_for(server))
    features = checks(facts)["mariadb_features"]
    assert (features["status"], features["severity"]) == ("fail", "warning")
    assert features["objects"] == ["app.history", "app.net.a4", "app.net.a6", "app.net.doc", "app.net.u",
                                   "app.order_seq"]
    assert facts["objects"]["mariadb_features"] == [
        {"name": "app.history", "feature": "system-versioned table"},
        {"name": "app.net.a4", "feature": "INET4"}, {"name": "app.net.a6", "feature": "INET6"},
        {"name": "app.net.doc", "feature": "JSON (LONGTEXT)"}, {"name": "app.net.u", "feature": "UUID"},
        {"name": "app.order_seq", "feature": "sequence"}]
    # without them it passes
    for sql in ("DROP SEQUENCE app.order_seq", "DROP TABLE app.history", "DROP TABLE app.net"):
        server.admin(sql)
    features = checks(collect_facts(spec_for(server)))["mariadb_features"]
    assert (features["status"], features["objects"]) == ("pass", [])


@pytest.mark.mysql8
def test_mysql_wsrep_gets_a_mysql_verdict_with_the_gtid_rules(mysql_standin) -> None:
    facts = collect_facts(standin_spec(mysql_standin("mysql-wsrep-8.0")))
    assert (facts["server"]["flavor"], facts["server"]["clustering"]) == ("mysql", "galera")
    by_id = checks(facts)
    for rule in ("gtid_mode", "enforce_gtid_consistency"):
        assert (by_id[rule]["status"], by_id[rule]["severity"]) == ("fail", "blocker"), by_id[rule]
    assert by_id["gtid_mode"]["detail"] == "gtid_mode = OFF: the import needs GTID-based replication"
    assert by_id["mysql_version"]["status"] == "pass"
    assert by_id["mariadb_features"]["status"] == "not_applicable"


@pytest.mark.mysql8
@pytest.mark.parametrize(("seconds", "status"), [("86400", "fail"), ("259200", "pass")])
def test_digitalocean_retention_names_what_the_platform_accepts(mysql_standin, seconds: str, status: str) -> None:
    profile = get_profile("digitalocean-mysql-8")
    profile.variables["binlog_expire_logs_seconds"] = seconds
    facts = collect_facts(standin_spec(mysql_standin(profile)))
    assert facts["server"]["platform"] == "digitalocean"
    retention = checks(facts)["binlog_retention"]
    assert (retention["status"], retention["objects"]) == (status, [])
    if status == "fail":
        assert retention["detail"].endswith(
            "DigitalOcean accepts at most binlog_expire_logs_seconds = 86400 (24 hours)")
        # no value the platform refuses
        assert "259200" not in retention["remediation"] and "172800" not in retention["remediation"]
        assert retention["remediation"].startswith("Set binlog_expire_logs_seconds = 86400 (DigitalOcean's maximum)")
