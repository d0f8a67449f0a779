"""The object and workload readiness rules (prechecks/readiness_objects.py) over facts from real MariaDB runs.

Each rule is failed and passed by a real server. The schema rules read what the inventory collector found;
unsupported_statements and workload_limits read statements really run on the server, as performance_schema's
digests and a slow log file (read as --slow-log reads it) carry them. Two limits cannot be reached in a test
(a statement over 20 s, a transaction open over 20 s): those facts come from a real run with the one number
raised, as test_readiness does for database_size.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prechecks.readiness_objects import RULES, statement_kind
from prechecks.redaction import Redactor
from prechecks.rulespec import RuleSpec
from prechecks.slowlog import files_fact, files_from
from tests.helpers import spec_for
from tests.servers import MariaDBServer
from tests.test_readiness import collect_facts

IDS = ["unsupported_statements", "workload_limits", "duplicate_enum_values", "check_constraint_names",
       "broken_views", "foreign_key_cycles"]
SCHEMA_IDS = IDS[2:]


def checks(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every rule's check over the facts, with the shape every readiness check has."""
    out = {}
    for spec in RULES:
        check = spec.check(facts)
        assert set(check) == {"id", "title", "severity", "status", "objects", "detail", "remediation", "docs"}
        assert check["id"] == spec.id and check["severity"] == spec.severity and check["docs"] == spec.docs
        assert check["status"] in ("pass", "fail", "not_applicable", "skipped")
        assert check["detail"]
        assert bool(check["remediation"]) == (check["status"] == "fail"), check
        json.dumps(check)
        out[spec.id] = check
    return out


def run_as_root(server: MariaDBServer, *statements: str, sql_mode: str | None = None) -> None:
    """Statements on one TCP session as root (so performance_schema and the slow log see an application)."""
    with server.connect() as conn, conn.cursor() as cur:
        if sql_mode is not None:
            cur.execute(f"SET SESSION sql_mode = '{sql_mode}'")
        for sql in statements:
            cur.execute(sql)
            if cur.description is not None:
                cur.fetchall()


def test_rule_table_declares_every_rule() -> None:
    assert [r.id for r in RULES] == IDS
    for rule in RULES:
        assert isinstance(rule, RuleSpec)
        assert rule.docs.startswith("https://planetscale.com/docs/") and rule.quote and rule.passes_when
        assert rule.severity == "warning" and not rule.ours


# ---------------------------------------------------------------- schema rules


def build_offenders(server: MariaDBServer) -> None:
    """One offender or more per schema rule, next to objects that comply (never listed)."""
    server.admin("CREATE DATABASE app CHARACTER SET utf8mb4")
    server.admin("CREATE DATABASE `my app` CHARACTER SET utf8mb4")
    run_as_root(
        server,
        # duplicate_enum_values: case-blind under a _ci collation, exact under _bin; SET too; the empty string
        "CREATE TABLE app.shirts (id INT PRIMARY KEY, size ENUM('small','medium','Medium','large') NOT NULL,"
        " tags SET('a','b','A'), code ENUM('q','Q') COLLATE utf8mb4_bin, fine ENUM('x','y'),"
        " blank ENUM('','x',''))",
        sql_mode="",
    )
    for sql in (
        # check_constraint_names: `<table>_chk_` and more than three characters
        "CREATE TABLE app.c (id INT PRIMARY KEY, CONSTRAINT c_chk_long CHECK (id > 0),"
        " CONSTRAINT c_chk_1 CHECK (id < 100), CONSTRAINT other_chk_long CHECK (id <> 5), CHECK (id <> 7))",
        "CREATE TABLE `my app`.`t.x` (id INT PRIMARY KEY, CONSTRAINT `t.x_chk_abcd` CHECK (id > 0),"
        " CONSTRAINT `t.x_chk_abc` CHECK (id > 1))",
        # broken_views: a dropped table, a renamed column, a view over a broken view; two that resolve
        "CREATE TABLE app.gone (id INT PRIMARY KEY)",
        "CREATE TABLE app.renamed (id INT PRIMARY KEY)",
        "CREATE VIEW app.v_gone AS SELECT id FROM app.gone",
        "CREATE VIEW app.v_column AS SELECT id FROM app.renamed",
        "CREATE VIEW `my app`.`v over` AS SELECT id FROM app.v_gone",
        "CREATE VIEW app.v_ok AS SELECT id, size FROM app.shirts",
        "CREATE VIEW `my app`.`v w` AS SELECT 1 AS x",
        "DROP TABLE app.gone",
        "ALTER TABLE app.renamed CHANGE id id2 INT",
        # foreign_key_cycles: the page's two examples, a cascade that is no cycle, a cycle broken by RESTRICT
        "CREATE TABLE app.employee (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
        " manager_id BIGINT UNSIGNED NOT NULL, KEY idx_manager_id (manager_id),"
        " CONSTRAINT self_referencing_key_with_cascade FOREIGN KEY (manager_id) REFERENCES app.employee (id)"
        " ON DELETE CASCADE)",
        "CREATE TABLE app.t1 (id INT NOT NULL PRIMARY KEY, i INT, KEY i_fk (i))",
        "CREATE TABLE app.t2 (id INT NOT NULL PRIMARY KEY, j INT, KEY j_fk (j))",
        "ALTER TABLE app.t1 ADD CONSTRAINT i_fk FOREIGN KEY (i) REFERENCES app.t2 (j)"
        " ON UPDATE CASCADE ON DELETE SET NULL",
        "ALTER TABLE app.t2 ADD CONSTRAINT j_fk FOREIGN KEY (j) REFERENCES app.t1 (i)"
        " ON UPDATE SET NULL ON DELETE CASCADE",
        "CREATE TABLE app.customers (id INT PRIMARY KEY)",
        "CREATE TABLE app.orders (id INT PRIMARY KEY, customer_id INT,"
        " CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES app.customers (id) ON DELETE CASCADE)",
        "CREATE TABLE app.a (id INT PRIMARY KEY, b_id INT, KEY (b_id))",
        "CREATE TABLE app.b (id INT PRIMARY KEY, a_id INT, KEY (a_id),"
        " CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES app.a (id) ON DELETE CASCADE)",
        "ALTER TABLE app.a ADD CONSTRAINT fk_a_b FOREIGN KEY (b_id) REFERENCES app.b (id) ON DELETE RESTRICT",
    ):
        server.admin(sql)


def test_schema_rules_fail_with_exactly_the_offenders(mariadb_factory) -> None:
    server = mariadb_factory()
    build_offenders(server)
    facts = collect_facts(spec_for(server))
    by_id = checks(facts)
    expected = {
        "duplicate_enum_values": ["app.shirts.blank", "app.shirts.size", "app.shirts.tags"],
        "check_constraint_names": ["app.c.c_chk_long", "my app.t.x.t.x_chk_abcd"],
        "broken_views": ["app.v_column", "app.v_gone", "my app.v over"],
        "foreign_key_cycles": ["app.employee.self_referencing_key_with_cascade", "app.t1.i_fk", "app.t2.j_fk"],
    }
    for rule, objects in expected.items():
        check = by_id[rule]
        assert (check["status"], check["severity"], check["objects"]) == ("fail", "warning", objects), check
    assert "ALTER TABLE `app`.`shirts` MODIFY `blank` ENUM(...)" in by_id["duplicate_enum_values"]["remediation"]
    assert ("ALTER TABLE `app`.`c` DROP CONSTRAINT `c_chk_long`, ADD CONSTRAINT `long_chk`"
            in by_id["check_constraint_names"]["remediation"])
    assert by_id["broken_views"]["detail"].startswith("3 views the server reports error 1356 for")
    assert "DROP VIEW `app`.`v_column`;" in by_id["broken_views"]["remediation"]
    cycles = by_id["foreign_key_cycles"]["detail"]
    assert "app.t1.i_fk (app.t1 -> app.t2, ON DELETE SET NULL, ON UPDATE CASCADE)" in cycles
    assert "fk_customer" not in cycles and "fk_a_b" not in cycles


def test_new_object_lists_are_pseudonymised_with_identifiers_redacted(mariadb_factory) -> None:
    server = mariadb_factory()
    build_offenders(server)
    facts = collect_facts(spec_for(server))
    redactor = Redactor(["identifiers"])
    redactor.learn_facts(facts)
    out = redactor.facts(facts)
    reverse = redactor.mapping()["identifiers"]  # pseudonym -> original

    def original(dotted: str) -> str:
        return ".".join(reverse[part] for part in dotted.split("."))

    for key in ("duplicate_enum_values", "broken_views"):
        assert out["objects"][key] and all(re.fullmatch(r"(?:[a-z]+-\d{3}\.?)+", v) for v in out["objects"][key])
        assert [original(v) for v in out["objects"][key]] == facts["objects"][key]
    t1 = next(k for k in out["objects"]["foreign_keys"] if original(k["name"]) == "app.t1.i_fk")
    assert [reverse[c] for c in t1["referenced_columns"]] == ["j"]
    assert checks(out)["broken_views"]["objects"] == out["objects"]["broken_views"]


def test_schema_rules_pass_on_a_clean_schema(mariadb_factory) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE app CHARACTER SET utf8mb4")
    for sql in (
        "CREATE TABLE app.shirts (id INT PRIMARY KEY, size ENUM('small','medium','large') NOT NULL,"
        " code ENUM('q','Q') COLLATE utf8mb4_bin, tags SET('a','b'))",
        "CREATE TABLE app.c (id INT PRIMARY KEY, CONSTRAINT c_chk_1 CHECK (id > 0),"
        " CONSTRAINT positive CHECK (id > 0))",
        "CREATE VIEW app.v_ok AS SELECT id, size FROM app.shirts",
        "CREATE TABLE app.employee (id INT PRIMARY KEY, manager_id INT, KEY (manager_id),"
        " CONSTRAINT fk_manager FOREIGN KEY (manager_id) REFERENCES app.employee (id) ON DELETE SET NULL)",
        "CREATE TABLE app.orders (id INT PRIMARY KEY, shirt_id INT,"
        " CONSTRAINT fk_shirt FOREIGN KEY (shirt_id) REFERENCES app.shirts (id) ON DELETE CASCADE ON UPDATE CASCADE)",
    ):
        server.admin(sql)
    by_id = checks(collect_facts(spec_for(server)))
    for rule in SCHEMA_IDS:
        assert (by_id[rule]["status"], by_id[rule]["objects"]) == ("pass", []), by_id[rule]


def test_schema_rules_say_why_when_the_inventory_did_not_read(mariadb_factory) -> None:
    server = mariadb_factory()
    facts = collect_facts(spec_for(server))
    without = copy.deepcopy(facts)
    del without["objects"]
    without["collection"]["collectors"] = [c for c in without["collection"]["collectors"] if c["name"] != "inventory"]
    for rule, check in checks(without).items():
        if rule in SCHEMA_IDS:
            assert check["status"] == "skipped"
            assert check["detail"].startswith("the inventory collector did not run"), check
    older = copy.deepcopy(facts)  # facts from before these lists existed: skipped, not passed
    for key in ("duplicate_enum_values", "broken_views"):
        del older["objects"][key]
    by_id = checks(older)
    for rule in ("duplicate_enum_values", "broken_views"):
        assert by_id[rule]["status"] == "skipped"
        assert "an inventory from an older version of this tool" in by_id[rule]["detail"]
    cut = copy.deepcopy(facts)  # a schema the inventory could not read: none found is not a pass
    cut["inventory"]["failed_schemas"] = [{"name": "app", "reason": "access denied (errno 1142)"}]
    for rule, check in checks(cut).items():
        if rule in SCHEMA_IDS:
            assert check["status"] == "skipped" and "schemas not read: app" in check["detail"], check


# ---------------------------------------------------------------- statements and limits


def logged_server(mariadb_factory: Callable[..., MariaDBServer], tmp_path: Path) -> tuple[MariaDBServer, Path]:
    log = tmp_path / "logs" / "mariadb-slow.log"
    log.parent.mkdir()
    server = mariadb_factory(extra_options={"slow-query-log": "OFF", "long-query-time": "0",
                                            "slow-query-log-file": str(log)})
    server.admin("CREATE DATABASE app")  # set-up: in neither the slow log nor the digests
    server.admin("CREATE TABLE app.t (id INT PRIMARY KEY)")
    server.admin("SET GLOBAL slow_query_log = ON")
    # a statement's digest is counted as it ends, which can be after its client has the answer: the one just
    # before TRUNCATE may land after it, so that one is a harmless DO
    server.admin("DO 0")
    server.admin("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
    return server, log


def with_slow_log(facts: dict[str, Any], log: Path) -> dict[str, Any]:
    """The facts as --slow-log FILE makes them."""
    facts.setdefault("slow_log", {})["files"] = files_fact(files_from([log]))
    return facts


def test_unsupported_statements_and_row_limit_fail_from_digests_and_slow_log(mariadb_factory, tmp_path) -> None:
    server, log = logged_server(mariadb_factory, tmp_path)
    data = tmp_path / "ids.txt"
    data.write_text("1\n2\n3\n")
    run_as_root(
        server,
        f"LOAD DATA INFILE '{data}' INTO TABLE app.t",
        "SELECT @n := @n + 1 AS n FROM app.t",
        "SELECT * FROM JSON_TABLE('[1,2]', '$[*]' COLUMNS (x INT PATH '$')) AS jt",
        "CREATE DATABASE scratch",
        "DROP DATABASE scratch",
        "SELECT seq FROM app.seq_1_to_100001",  # 100,001 rows (the Sequence engine)
        "SELECT id FROM app.t WHERE id = 2",
    )
    facts = with_slow_log(collect_facts(spec_for(server)), log)
    by_id = checks(facts)
    statements = by_id["unsupported_statements"]
    assert (statements["status"], statements["severity"]) == ("fail", "warning")
    assert statements["objects"] == sorted(set(statements["objects"]))  # sorted, each statement once
    by_kind: dict[str, list[str]] = {}
    for text in statements["objects"]:
        by_kind.setdefault(str(statement_kind(text)), []).append(text)
    assert by_kind == {
        "LOAD DATA": ["LOAD DATA INFILE ? INTO TABLE `app` . `t`", "LOAD DATA INFILE ? INTO TABLE app.t"],
        ":=": ["SELECT @? := @? + ? AS `n` FROM `app` . `t`", "SELECT @n := @n + ? AS `n` FROM `app`.`t`"],
        "JSON_TABLE": ["SELECT * FROM JSON_TABLE ( ?, ... FIELDS ( `x` INTEGER PATH ? ) ) AS `jt`",
                       "SELECT * FROM JSON_TABLE(?, ? COLUMNS(`x` INT PATH ?)) AS `jt`"],
        "CREATE DATABASE": ["CREATE DATABASE `scratch`", "CREATE SCHEMA `scratch`"],
        "DROP DATABASE": ["DROP DATABASE `scratch`", "DROP SCHEMA `scratch`"],
    }
    assert "Loading data via `LOAD DATA INFILE` is not supported." in statements["detail"]
    assert "LOAD DATA: load files with batched INSERTs" in statements["remediation"]
    limits = by_id["workload_limits"]
    assert limits["status"] == "fail"
    assert limits["objects"] == ["SELECT `seq` FROM `app` . `seq_1_to_100001`",  # the digest
                                 "SELECT `seq` FROM `app`.`seq_1_to_100001`"]  # the slow log's fingerprint
    assert "returned 100,001 rows per execution on average (digest), over 100,000" in limits["detail"]
    assert "returned 100,001 rows per execution on average (slow log files), over 100,000" in limits["detail"]


def test_limits_over_time_come_from_the_longest_run_and_open_transactions(mariadb_factory, tmp_path) -> None:
    server, log = logged_server(mariadb_factory, tmp_path)
    run_as_root(server, "UPDATE app.t SET id = id + 1 WHERE id > 10")
    with server.connect() as open_transaction, open_transaction.cursor() as cur:
        cur.execute("START TRANSACTION")
        cur.execute("INSERT INTO app.t VALUES (42)")  # open while the collectors run
        facts = with_slow_log(collect_facts(spec_for(server)), log)
        cur.execute("ROLLBACK")
    transactions = facts["workload"]["transactions"]
    assert transactions["open"] == 1 and isinstance(transactions["oldest_seconds"], int)
    assert checks(facts)["workload_limits"]["status"] == "pass"
    # raised: a transaction open 35 s, the UPDATE's longest run 25 s in the digests and 950 s in the slow log
    raised = copy.deepcopy(facts)
    raised["workload"]["transactions"]["oldest_seconds"] = 35
    update = "UPDATE `app` . `t` SET ID = ID + ? WHERE ID > ?"
    digest = next(d for d in raised["workload"]["digests"] if d["digest_text"] == update)
    digest["max_seconds"] = 25.0
    fingerprint = next(d for d in raised["slow_log"]["files"]["digests"] if d["fingerprint"].startswith("UPDATE"))
    fingerprint["max_seconds"] = 950.0
    limits = checks(raised)["workload_limits"]
    assert limits["status"] == "fail"
    assert limits["objects"] == sorted([update, fingerprint["fingerprint"]])
    assert "ran 25 s (digest): inside a transaction it exceeds the 20 s transaction limit" in limits["detail"]
    assert "ran 950 s (slow log files), over the 900 s query limit" in limits["detail"]
    assert "a transaction had been open 35 s when INNODB_TRX was read" in limits["detail"]


def test_workload_rules_pass_on_an_ordinary_workload(mariadb_factory, tmp_path) -> None:
    server, log = logged_server(mariadb_factory, tmp_path)
    run_as_root(server, "INSERT INTO app.t VALUES (1), (2)", "SET @n = 1", "SELECT id FROM app.t WHERE id = @n")
    facts = with_slow_log(collect_facts(spec_for(server)), log)
    assert facts["workload"]["digests"] and facts["slow_log"]["files"]["digests"]
    by_id = checks(facts)
    for rule in ("unsupported_statements", "workload_limits"):
        assert (by_id[rule]["status"], by_id[rule]["objects"]) == ("pass", []), by_id[rule]
    assert by_id["unsupported_statements"]["detail"].startswith("none among ")
    assert "the slow log files: " in by_id["unsupported_statements"]["detail"]


def test_workload_rules_skip_when_no_statement_was_read(mariadb_factory) -> None:
    server = mariadb_factory(performance_schema=False)
    facts = collect_facts(spec_for(server))
    assert "digests" not in facts.get("workload", {})
    statements = checks(facts)["unsupported_statements"]
    assert statements["status"] == "skipped"
    assert statements["detail"].startswith("no statements to look at: statement digests (the statement_digests"
                                           " collector was skipped")
    assert "a slow log (none given with --slow-log" in statements["detail"]


@pytest.mark.parametrize(("text", "kind"), [
    ("LOAD DATA LOCAL INFILE ? INTO TABLE t", "LOAD DATA"),
    ("SELECT `a:=b` FROM t", None),  # inside an identifier
    ("SET GLOBAL `time_zone` = ?", "SET GLOBAL time_zone"),
    ("SET @@GLOBAL . sql_mode = ?", "SET GLOBAL sql_mode"),
    ("SET GLOBAL `max_connections` = ?", None),
    ("KILL QUERY ?", "KILL"),
    ("CALL `p` ( ? )", "CALL"),
    ("SELECT json_table_id FROM t", None),
])
def test_statement_kinds(text: str, kind: str | None) -> None:
    assert statement_kind(text) == kind


def test_an_unsupported_statement_outside_the_top_50_digests_is_found(mariadb_factory, tmp_path) -> None:
    server, _log = logged_server(mariadb_factory, tmp_path)
    run_as_root(server, "SET @x := 1")  # microseconds: last by total time
    # 55 distinct statements of tens of milliseconds each fill the top 50 (by total time) many times over
    run_as_root(server, *(f"SELECT COUNT(*) AS c{n} FROM app.seq_1_to_300000 WHERE seq % 7 = 0"  # alias: distinct
                           for n in range(55)))
    facts = collect_facts(spec_for(server))
    workload = facts["workload"]
    assert len(workload["digests"]) == 50
    assert "SET @? := ?" not in [d["digest_text"] for d in workload["digests"]]
    assert [d["digest_text"] for d in workload["notable_digests"]] == ["SET @? := ?"]
    statements = checks(facts)["unsupported_statements"]
    assert (statements["status"], statements["objects"]) == ("fail", ["SET @? := ?"])
    assert "50 top statement digests and 1 more PlanetScale would reject or limit" in statements["detail"]
