"""collectors/workload.py against real MariaDB servers and the MySQL-8 stand-in.

Digests, client programs and drivers, migration tools' tables, binlog readers: what they find, and
that no query literal or account name reaches the facts.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from collectors.base import Collector
from collectors.connection import ConnectionSpec, open_session
from collectors.replication import PROCESSLIST, REPLICATION
from collectors.runner import Runner, RunResult
from collectors.server import DATABASES, STATUS, STATUS_SAMPLE, VARIABLES
from collectors.workload import (
    BINLOG_CLIENTS,
    CLIENTS,
    DIGESTS,
    MIGRATION_TABLES,
    WORKLOAD_COLLECTORS,
    classify_binlog_client,
    scrub_digest_text,
)
from prechecks.derive import derive
from tests.helpers import spec_for
from tests.servers import MariaDBServer, quote
from tests.standin.profiles import SECRET_LITERAL

PLANTED_TEXT = "planted-literal-5151"
PLANTED_NUMBER = "123456789"


def run(spec: ConnectionSpec, *collectors: Collector, options: dict[str, Any] | None = None) -> RunResult:
    with open_session(spec) as session:
        return Runner(session, list(collectors), options or {"sleep": 0.0}).run()


def status(result: RunResult, name: str) -> tuple[str, str]:
    found = next(r for r in result.results if r.name == name)
    return found.status, found.reason


# ---------------------------------------------------------------- digests


def test_digests_carry_shapes_never_literals(mariadb_factory) -> None:
    server = mariadb_factory(performance_schema=True)
    server.admin("CREATE DATABASE wl")
    server.admin("CREATE TABLE wl.orders (id INT PRIMARY KEY, note VARCHAR(64), qty INT)")
    client = server.connect(database="wl")
    cursor = client.cursor()
    for _ in range(3):
        cursor.execute(f"SELECT id FROM orders WHERE note = '{PLANTED_TEXT}' AND qty = {PLANTED_NUMBER}")
        cursor.fetchall()
    cursor.execute(f"SELECT id FROM orders WHERE id IN (1, 2, {PLANTED_NUMBER})")
    cursor.fetchall()
    cursor.close()
    client.close()
    server.admin(f"CREATE USER 'wl_bob'@'%' IDENTIFIED BY {quote(PLANTED_TEXT)}")
    server.admin("GRANT SELECT ON wl.* TO `wl_bob`@`%`")

    result = run(spec_for(server), VARIABLES, DIGESTS)
    assert status(result, "statement_digests") == ("ok", "")
    workload = result.facts["workload"]
    assert workload["digests_status"] == "ok"
    assert workload["digests_overflow"] is None
    by_text = {d["digest_text"]: d for d in workload["digests"]}
    shape = "SELECT ID FROM `orders` WHERE `note` = ? AND `qty` = ?"  # MariaDB spells keywords-as-names so
    assert shape in by_text, list(by_text)
    assert by_text[shape]["schema"] == "wl"
    assert by_text[shape]["count"] == 3
    assert by_text[shape]["rows_sent"] == 0 and by_text[shape]["rows_examined"] == 0
    assert by_text[shape]["truncated"] is False
    assert 0 < by_text[shape]["avg_seconds"] <= by_text[shape]["total_seconds"] < 10
    assert by_text["SELECT ID FROM `orders` WHERE ID IN (...)"]["count"] == 1
    # statements that name accounts keep their verb only
    assert "GRANT … (text withheld: it can name accounts)" in by_text
    assert "CREATE SYSTEM_USER … (text withheld: it can name accounts)" in by_text
    assert len(workload["digests"]) <= 50
    dumped = json.dumps(result.facts)
    for secret in (PLANTED_TEXT, PLANTED_NUMBER, "wl_bob"):
        assert secret not in dumped


def test_digests_are_read_before_the_walk_which_says_when_it_filled_them(mariadb_factory, tmp_path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A digest table of 150 rows and a schema of 140 tables: the run reads the digests before its SHOW CREATE
    statements (none of them among the top, no overflow yet), and its 140 SHOW CREATE then take the free rows:
    the report's Collection section and the CLI say so and how to undo it, and the server shows it."""
    from prechecks.cli import main
    from prechecks.collection import RunOptions, collect
    from prechecks.report import digest_footprint, render_report

    server = mariadb_factory(extra_options={"performance-schema-digests-size": "150"})
    server._execute(["CREATE DATABASE fp", *(f"CREATE TABLE fp.t{i:03d} (id INT PRIMARY KEY)" for i in range(140))])
    server.admin("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
    server.admin("SELECT COUNT(*) FROM fp.t000")  # an application's statement

    derived = derive(collect(spec_for(server), RunOptions(sleep=0.1)).facts)
    facts, workload = derived.facts, derived.facts["workload"]
    texts = [d["digest_text"] for d in workload["digests"]]
    assert not [t for t in texts if t.upper().startswith("SHOW CREATE")], texts
    assert any("fp" in t and "t000" in t for t in texts), texts
    assert workload["digests_overflow"] is None and workload["digests_status"] == "ok"
    in_use = workload["digest_rows"]
    assert isinstance(in_use, int) and 0 < in_use < 60, in_use
    assert facts["schema_ddl"]["objects"] == 140
    lost = server.admin("SELECT COUNT_STAR FROM performance_schema.events_statements_summary_by_digest"
                        " WHERE DIGEST IS NULL")
    assert lost and lost[0][0] > 0  # what the note says happened: the walk's statements overflowed
    line = next(li for li in render_report(derived).splitlines() if "Left on the server" in li)
    assert "this run's 140 SHOW CREATE statements" in line
    assert f"took the last {150 - in_use} free rows of the 150" in line
    assert "TRUNCATE TABLE performance_schema.events_statements_summary_by_digest" in line

    # the CLI says it too, even with --quiet
    server.admin("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
    assert main([f"--defaults-file={server.client_defaults_file}", "--sleep=0.1", "--quiet", "--no-draft",
                 "-o", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "ps-prechecks: note: this run's 140 SHOW CREATE statements" in err, err

    # a table with room left, or full before the run: no such line
    roomy = {**facts, "variables": {**facts["variables"], "performance_schema_digests_size": "5000"}}
    full = {**facts, "workload": {**workload, "digest_rows": 150}}
    assert digest_footprint(facts) is not None
    assert digest_footprint(roomy) is None and digest_footprint(full) is None


def test_digests_and_clients_skip_when_performance_schema_is_off(mariadb_factory) -> None:
    server = mariadb_factory(performance_schema=False)
    result = run(spec_for(server), VARIABLES, DIGESTS, CLIENTS)
    assert status(result, "statement_digests") == ("skipped", "performance_schema is OFF")
    assert status(result, "clients") == ("skipped", "performance_schema is OFF")
    assert result.facts["workload"] == {"digests_status": "performance_schema is OFF"}
    # without the variables collector it asks the server itself
    alone = run(spec_for(server), DIGESTS)
    assert status(alone, "statement_digests") == ("skipped", "performance_schema is OFF")


def test_derived_rates_keep_the_workload_keys(mariadb) -> None:
    result = run(spec_for(mariadb), VARIABLES, STATUS, DIGESTS, STATUS_SAMPLE)
    assert "qps_sampled" not in result.facts["workload"]  # the collectors observe; prechecks.derive computes
    workload = derive(result.facts).facts["workload"]
    assert workload["digests_status"] == "ok" and workload["digests"]
    assert "qps_sampled" in workload and "rows_read_total" in workload


def test_digests_need_select_on_performance_schema(mariadb) -> None:
    user = "wl_nops"
    mariadb.create_user(user, "pw-wl-1")
    try:
        result = run(spec_for(mariadb, user=user, password="pw-wl-1"), DIGESTS, CLIENTS)
        for name in ("statement_digests", "clients"):
            found = next(r for r in result.results if r.name == name)
            assert found.status == "skipped"
            assert found.reason == ("needs SELECT on performance_schema.* "
                                    "(statement digests and connection attributes)")
            assert found.remedy == f"GRANT SELECT ON performance_schema.* TO '{user}'@'%';"
        assert "workload" not in result.facts
    finally:
        mariadb.admin(f"DROP USER IF EXISTS '{user}'@'%'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT * FROM `t` WHERE `a` = ? ", "SELECT * FROM `t` WHERE `a` = ?"),
        # cut in the middle of a string (performance_schema_max_digest_length)
        (f"SELECT * FROM `t` WHERE `a` = '{PLANTED_TEXT}", "SELECT * FROM `t` WHERE `a` = ?"),
        (f"SELECT * FROM `t` WHERE `a` = '{PLANTED_TEXT}' AND `b` = {PLANTED_NUMBER}",
         "SELECT * FROM `t` WHERE `a` = ? AND `b` = ?"),
        (f"SELECT \"{PLANTED_TEXT}\" , _utf8mb4'x' , x'0A' , 0x1F , 1.5e3 , .5 , N'it''s'",
         "SELECT ? , ? , ? , ? , ? , ? , ?"),
        # identifiers stay, digits in them too; comments go
        ("SELECT `2024_orders` . `c1` , t1 /* 'a' 42 */ FROM `x` -- 77", "SELECT `2024_orders` . `c1` , t1 FROM `x`"),
        ("SELECT @@`version` , @`uv` , ? @ ?", "SELECT @@`version` , @`uv` , ?@?"),
        ("CREATE DEFINER = `bob` @`%` VIEW `v` AS SELECT ?", "CREATE DEFINER = ?@? VIEW `v` AS SELECT ?"),
        ("CREATE VIEW `v` AS SELECT ? FROM `t` WHERE `u` = `bob` @`%`",
         "CREATE VIEW `v` AS SELECT ? FROM `t` WHERE `u` = ?@?"),
        ("GRANT SELECT ON `app` . * TO `bob` @`%` ", "GRANT … (text withheld: it can name accounts)"),
        ("ALTER USER `bob` @`%` IDENTIFIED BY ?", "ALTER USER … (text withheld: it can name accounts)"),
        ("set password for `bob` = ?", "SET PASSWORD … (text withheld: it can name accounts)"),
        ("SHOW GRANTS FOR `bob` @`%`", "SHOW GRANTS … (text withheld: it can name accounts)"),
        ("SELECT * FROM `t` WHERE `id` IN (...)", "SELECT * FROM `t` WHERE `id` IN (...)"),
        ("SELECT * FROM `t` WHERE `a` = ? AND `b` ...", "SELECT * FROM `t` WHERE `a` = ? AND `b` ..."),
    ],
)
def test_scrub_digest_text(text: str, expected: str) -> None:
    assert scrub_digest_text(text) == expected


# ---------------------------------------------------------------- clients


def test_clients_count_programs_and_drivers(mariadb_factory) -> None:
    server = mariadb_factory(performance_schema=True)
    billing = server.connect(conn_attrs={"program_name": "billing-api"})
    plain = server.connect()
    try:
        result = run(spec_for(server), CLIENTS)
    finally:
        billing.close()
        plain.close()
    assert status(result, "clients") == ("ok", "")
    clients = result.facts["workload"]["clients"]
    assert clients["programs"]["billing-api"] == 1
    assert clients["programs"]["(not set)"] >= 1  # plain, and the fixture's admin connection
    assert "mysql-connector-python" in clients["drivers"]
    assert clients["drivers"]["mysql-connector-python"] == clients["sessions"]  # ours is not counted
    assert sum(clients["driver_versions"]["mysql-connector-python"].values()) == clients["sessions"]
    assert list(clients) == ["sessions", "programs", "drivers", "driver_versions"]


# ---------------------------------------------------------------- migration tables


def test_migration_tables_are_found_by_name_and_columns(mariadb) -> None:
    schemas = ("wl_rails", "wl_php")
    for schema in schemas:
        mariadb.admin(f"DROP DATABASE IF EXISTS {schema}")
        mariadb.admin(f"CREATE DATABASE {schema}")
    try:
        for ddl in (
            "CREATE TABLE wl_rails.flyway_schema_history (installed_rank INT PRIMARY KEY, version VARCHAR(50))",
            "CREATE TABLE wl_rails.alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
            "CREATE TABLE wl_rails.django_migrations (id INT PRIMARY KEY, app VARCHAR(255), name VARCHAR(255))",
            "CREATE TABLE wl_rails.schema_migrations (version VARCHAR(255) PRIMARY KEY)",
            "CREATE TABLE wl_rails.ar_internal_metadata (`key` VARCHAR(255) PRIMARY KEY, value VARCHAR(255))",
            "CREATE TABLE wl_rails.orders (id INT PRIMARY KEY)",
            "CREATE TABLE wl_rails._orders_gho (id INT PRIMARY KEY)",
            "CREATE TABLE wl_rails.model (id INT PRIMARY KEY)",  # ends in "del", not a leftover
            # a table merely called "migrations" is not Laravel's
            "CREATE TABLE wl_rails.migrations (id INT PRIMARY KEY, title VARCHAR(20))",
            "CREATE TABLE wl_php.migrations (id INT PRIMARY KEY, migration VARCHAR(255), batch INT)",
            "CREATE TABLE wl_php.schema_migrations (version BIGINT PRIMARY KEY, dirty BOOLEAN)",
            "CREATE TABLE wl_php.users (id INT PRIMARY KEY)",
            "CREATE TABLE wl_php._users_new (id INT PRIMARY KEY)",
            "CREATE TABLE wl_php._users_old (id INT PRIMARY KEY)",
            "CREATE TRIGGER wl_php.pt_osc_wl_php_users_ins AFTER INSERT ON wl_php.users FOR EACH ROW "
            "REPLACE INTO wl_php._users_new (id) VALUES (NEW.id)",
            "CREATE TABLE wl_php._cart_old (id INT PRIMARY KEY)",
            "CREATE TABLE wl_php._vt_hld_6ace8bcef73211ea87e9f875a4d24e90_20200915120410 (id INT PRIMARY KEY)",
        ):
            mariadb.admin(ddl)
        with open_session(spec_for(mariadb)) as session:
            before = len(session.statements)
            result = Runner(session, [MIGRATION_TABLES], {"databases": list(schemas)}).run()
            sent = [s.sql for s in session.statements[before:] if "SHOW GRANTS" not in s.sql
                    and "CURRENT_USER()" not in s.sql]
    finally:
        for schema in schemas:
            mariadb.admin(f"DROP DATABASE IF EXISTS {schema}")
    assert status(result, "migration_tables") == ("ok", "")
    assert result.facts["workload"]["migration_tables"] == [
        {"table": "wl_php._cart_old", "tool": "pt-online-schema-change (by name; no pt_osc triggers)"},
        {"table": "wl_php._users_new", "tool": "pt-online-schema-change"},
        {"table": "wl_php._users_old", "tool": "pt-online-schema-change"},
        {"table": "wl_php._vt_hld_6ace8bcef73211ea87e9f875a4d24e90_20200915120410", "tool": "vitess"},
        {"table": "wl_php.migrations", "tool": "laravel"},
        {"table": "wl_php.schema_migrations", "tool": "golang-migrate"},
        {"table": "wl_rails._orders_gho", "tool": "gh-ost"},
        {"table": "wl_rails.alembic_version", "tool": "alembic"},
        {"table": "wl_rails.ar_internal_metadata", "tool": "rails"},
        {"table": "wl_rails.django_migrations", "tool": "django"},
        {"table": "wl_rails.flyway_schema_history", "tool": "flyway"},
        {"table": "wl_rails.schema_migrations", "tool": "rails"},
    ]
    # the tables' rows are never read: every statement goes to information_schema
    # tables, columns (one statement per schema with an ambiguous name), pt_osc triggers
    assert len(sent) == 4 and all("FROM information_schema." in sql for sql in sent)


# ---------------------------------------------------------------- binlog clients


def test_binlog_clients_see_a_connected_replica(replication_pair) -> None:
    primary, _replica = replication_pair
    result = run(spec_for(primary), REPLICATION, BINLOG_CLIENTS)
    assert status(result, "binlog_clients") == ("ok", "")
    assert result.facts["workload"]["binlog_clients"] == [
        {"kind": "replica", "tool": None, "host": "127.0.0.1", "count": 1},
    ]
    assert '"repl"' not in json.dumps(result.facts)  # the replica's user name


def _wait_for_binlog_dump(server: MariaDBServer, user: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = server.admin(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%%' AND USER = %s",
            (user,),
        )
        if rows[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError(f"no Binlog Dump thread for {user} after {timeout} s")


def test_binlog_clients_name_a_cdc_tool_never_its_user(mariadb_factory) -> None:
    primary = mariadb_factory(server_id=21)
    reader = mariadb_factory(server_id=22, extra_options={"relay-log": "relay-bin"})
    password = "dbz-pw-9173"
    primary.admin(f"CREATE USER 'debezium'@'%' IDENTIFIED BY {quote(password)}")
    primary.admin("GRANT REPLICATION SLAVE ON *.* TO 'debezium'@'%'")
    reader.admin(
        f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, MASTER_USER='debezium', "
        f"MASTER_PASSWORD={quote(password)}, MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos"
    )
    reader.admin("START SLAVE")
    _wait_for_binlog_dump(primary, "debezium")
    result = run(spec_for(primary), VARIABLES, DATABASES, PROCESSLIST, REPLICATION, BINLOG_CLIENTS)
    assert status(result, "binlog_clients") == ("ok", "")
    assert result.facts["workload"]["binlog_clients"] == [
        {"kind": "cdc", "tool": "debezium", "host": "127.0.0.1", "count": 1},
    ]
    # the user name reaches the workload facts only as the derived tool
    assert json.dumps(result.facts["workload"]).count("debezium") == 1
    assert password not in json.dumps(result.facts)
    reader.admin("STOP SLAVE")


@pytest.mark.parametrize(
    ("user", "host", "attrs", "replica_hosts", "expected"),
    [
        ("debezium", "10.0.0.5", {}, [], ("cdc", "debezium")),
        ("app", "10.0.0.5", {"program_name": "maxwell"}, [], ("cdc", "maxwell")),
        ("fivetran_user", "10.0.0.5", {}, [], ("cdc", "fivetran")),
        ("dms_user", "10.0.0.5", {}, [], ("cdc", "aws-dms")),
        ("admsys", "10.0.0.5", {}, [], ("unknown", None)),  # "dms" inside a word is not DMS
        ("vt_filtered", "10.0.0.5", {}, [], ("cdc", "vitess-vreplication")),
        ("vt_repl", "10.0.0.5", {}, [], ("replica", None)),
        ("x", "10.0.0.5", {"program_name": "mysqld", "_client_role": "binary_log_listener"}, [], ("replica", None)),
        ("x", "10.0.0.5", {"program_name": "mysqlbinlog"}, [], ("unknown", "mysqlbinlog")),
        ("x", "10.0.0.6", {}, ["10.0.0.6"], ("replica", None)),
        ("replicator", "10.0.0.7", {}, [], ("replica", None)),
        ("x", "10.0.0.8", {}, ["10.0.0.6"], ("unknown", None)),
    ],
)
def test_classify_binlog_client(user: str, host: str, attrs: dict[str, str], replica_hosts: list[str],
                                expected: tuple[str, str | None]) -> None:
    assert classify_binlog_client(user, host, attrs, replica_hosts) == expected


# ---------------------------------------------------------------- MySQL 8 stand-in


def test_standin_answers_every_workload_statement(mysql_standin) -> None:
    standin = mysql_standin("mysql-8.4")
    spec = ConnectionSpec(host=standin.host, port=standin.port, user=standin.user, password=standin.password)
    result = run(spec, VARIABLES, DATABASES, REPLICATION, *WORKLOAD_COLLECTORS)
    assert standin.unknown == [] and standin.unsupported == []
    names = [c.name for c in WORKLOAD_COLLECTORS]
    assert {r.name: r.status for r in result.results if r.name in names} == dict.fromkeys(names, "ok")
    workload = result.facts["workload"]
    assert workload["digests_status"].startswith("digest table full (performance_schema_digests_size = 10000): 1234 ")
    assert workload["digests_overflow"] == {"count": 1234, "since": "2024-11-02 08:00:00"}
    assert [d["digest_text"] for d in workload["digests"]] == [
        "SELECT `c` . `customer_id` , `c` . `email` FROM `sakila` . `customer` `c` WHERE `c` . `email` = ?",
        "UPDATE `rental` SET `return_date` = NOW ( ) WHERE `rental_id` = ?",
        "SELECT * FROM `film` WHERE `title` = ? ...",  # a literal left behind, scrubbed
        "GRANT … (text withheld: it can name accounts)",
    ]
    first = workload["digests"][0]
    assert first == {
        "digest_text": first["digest_text"], "schema": "sakila", "count": 4200, "total_seconds": 12.5,
        "avg_seconds": 0.002976, "max_seconds": 0.002976, "rows_examined": 4200, "rows_sent": 4200,
        "first_seen": "2024-11-01 09:00:00", "last_seen": "2024-11-03 17:30:00", "truncated": False,
    }
    assert workload["digests"][2]["truncated"] is True
    assert workload["clients"] == {
        "sessions": 4,
        "programs": {"(not set)": 2, "billing-api": 1, "mysqld": 1},
        "drivers": {"libmysql": 2, "mysql-connector-java": 1, "mysql-connector-python": 1},
        "driver_versions": {"libmysql": {"8": 2}, "mysql-connector-java": {"8": 1}, "mysql-connector-python": {"9": 1}},
    }
    assert workload["migration_tables"] == []
    assert workload["binlog_clients"] == [{"kind": "replica", "tool": None, "host": "localhost", "count": 1}]
    assert workload["notable_digests"] == []  # nothing beyond the top is unsupported or over a limit
    assert workload["transactions"] == {"open": 0, "oldest_seconds": None}
    dumped = json.dumps(result.facts)
    assert SECRET_LITERAL not in dumped
