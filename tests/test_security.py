"""accounts / security / plugins / innodb_status: real MariaDB servers and the MySQL-8 stand-in.

The rule under test everywhere: counts and numbers only. No account name and no query text may
reach the facts (the account statements aggregate in SQL, so names never even reach Python).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from mysql.connector import errors as mysql_errors
from sqlglot import expressions as exp

from collectors.base import Collector
from collectors.connection import ConnectionSpec, open_session
from collectors.runner import Runner, RunResult
from collectors.security import (
    ACCOUNTS,
    INNODB_STATUS,
    MARIADB_GLOBAL_PRIV_SQL,
    MYSQL_SQL,
    MYSQL_WITH_ROLES_SQL,
    PLUGINS,
    SECURITY,
    SECURITY_COLLECTORS,
    parse_innodb_status,
)
from collectors.server import DATABASES, STATUS, VARIABLES
from tests.helpers import REPO, spec_for
from tests.standin.mysql8 import MySQLStandIn
from tests.standin.profiles import (
    MYSQL_ACCOUNTS_EXPECTED,
    MYSQL_USERS,
    PLANTED_ACCOUNT,
    ResultSetData,
    get_profile,
)

FACTS_DOC = (REPO / "docs" / "facts.md").read_text(encoding="utf-8")
BASE = (STATUS, VARIABLES, DATABASES)
PLANTED = ("planted_acct_nopw", "planted_acct_locked", "planted_acct_tls", "planted_acct_sock",
           "planted_acct_lockednopw", "planted_role_x")


def run(spec: ConnectionSpec, collectors: tuple[Collector, ...] = (*BASE, *SECURITY_COLLECTORS)) -> RunResult:
    with open_session(spec) as session:
        return Runner(session, collectors, {}).run()


def by_name(result: RunResult) -> dict[str, Any]:
    return {r.name: r for r in result.results}


def security_of(spec: ConnectionSpec) -> dict[str, Any]:
    result = run(spec, (*BASE, SECURITY))
    assert by_name(result)["security"].status == "ok", by_name(result)["security"].reason
    security: dict[str, Any] = result.facts["security"]
    return security


def standin_spec(standin: MySQLStandIn) -> ConnectionSpec:
    return ConnectionSpec(host=standin.host, port=standin.port, user=standin.user, password=standin.password)


# ---------------------------------------------------------------- declarations


@pytest.mark.parametrize("collector", SECURITY_COLLECTORS, ids=lambda c: c.name)
def test_collectors_are_declared_completely(collector: Collector) -> None:
    assert collector.name.isidentifier() and collector.name == collector.name.lower()
    assert collector.title and collector.reads and collector.writes == (collector.name,)
    assert 0 < collector.expected_seconds <= collector.budget_seconds
    assert f"`{collector.name}`" in FACTS_DOC  # a row of the docs/facts.md table


def test_account_statements_select_no_names() -> None:
    for sql in (MARIADB_GLOBAL_PRIV_SQL, MYSQL_SQL, MYSQL_WITH_ROLES_SQL):
        select = sqlglot.parse_one(sql, read="mysql")
        assert isinstance(select, exp.Select)
        for projection in select.expressions:
            names = {c.name.lower() for c in projection.find_all(exp.Column)}
            if names & {"user", "host"}:
                # User and Host only inside an aggregate: SUM(CASE WHEN ... THEN 1 ELSE 0 END)
                assert isinstance(projection.unalias(), exp.AggFunc), projection.sql()
        grouped = {c.name.lower() for g in select.args["group"].expressions for c in g.find_all(exp.Column)}
        assert not grouped & {"user", "host"}, sql


# ---------------------------------------------------------------- accounts on a real MariaDB


def _plant_accounts(server: Any) -> None:
    for sql in (
        "CREATE USER 'planted_acct_nopw'@'%'",
        "CREATE USER 'planted_acct_locked'@'localhost' IDENTIFIED BY 'pw-1'",
        "ALTER USER 'planted_acct_locked'@'localhost' ACCOUNT LOCK",
        "CREATE USER 'planted_acct_tls'@'10.0.%' IDENTIFIED BY 'pw-2' REQUIRE SSL",
        "CREATE USER 'planted_acct_sock'@'localhost' IDENTIFIED VIA unix_socket",
        "CREATE USER 'planted_acct_lockednopw'@'%' ACCOUNT LOCK",
        "CREATE ROLE planted_role_x",
    ):
        server.admin(sql)


def test_accounts_counts_are_exact_and_carry_no_names(mariadb_factory) -> None:
    server = mariadb_factory()
    _plant_accounts(server)
    result = run(spec_for(server))
    assert {r.name: r.status for r in result.results} == dict.fromkeys(
        ("status", "variables", "databases", "accounts", "plugins", "security", "innodb_status"), "ok")
    # the template has root@localhost, root@127.0.0.1, root@::1 and the locked mariadb.sys
    assert result.facts["accounts"] == {
        "total": 9, "without_password": 1, "wildcard_host": 3, "locked": 3, "require_tls": 1,
        "internal": 1, "roles": 1, "plugins": {"mysql_native_password": 8, "unix_socket": 1},
        "source": "mysql.global_priv",
    }  # fmt: skip
    dumped = json.dumps(result.facts)
    for name in (*PLANTED, "mariadb.sys"):
        assert name not in dumped, f"account name {name!r} leaked into the facts"
    sent = [s[0] for s in result.statements]
    assert any("mysql.global_priv" in s for s in sent)
    assert not any(name in s for s in sent for name in PLANTED)


def test_usage_only_account_skips_with_the_grants_that_fix_it(mariadb_factory) -> None:
    server = mariadb_factory()
    server.create_user("usage_x", "usage-pw-9", [])
    spec = spec_for(server, user="usage_x", password="usage-pw-9")
    first = run(spec)
    results = by_name(first)
    assert results["accounts"].status == "skipped"
    assert results["accounts"].remedy == "GRANT SELECT ON mysql.global_priv TO 'usage_x'@'%';"
    assert results["innodb_status"].status == "skipped"
    assert results["innodb_status"].remedy == "GRANT PROCESS ON *.* TO 'usage_x'@'%';"
    assert "accounts" not in first.facts and "innodb_status" not in first.facts
    # security runs, and says what the missing PROCESS costs it
    assert results["security"].status == "ok"
    assert "needs PROCESS" in results["security"].reason
    assert results["security"].remedy == "GRANT PROCESS ON *.* TO 'usage_x'@'%';"
    assert first.facts["security"]["encryption_at_rest"]["encrypted_tables"] is None
    assert results["plugins"].status == "ok"

    for grant in sorted({g for item in first.preflight for g in item.grant_statements("'usage_x'@'%'")}):
        server.admin(grant)
    second = run(spec)
    assert second.preflight == []
    assert all(r.status == "ok" and r.reason == "" for r in second.results), [
        (r.name, r.reason) for r in second.results]
    assert second.facts["accounts"]["total"] == 5  # the template's four and usage_x
    assert second.facts["security"]["encryption_at_rest"]["encrypted_tables"] == 0


# ---------------------------------------------------------------- TLS, encryption, audit


def _ssl_version(connection: Any) -> str:
    cursor = connection.cursor()
    cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
    value = cursor.fetchall()[0][1]
    cursor.close()
    return str(value or "")


def test_tls_in_use_counts_other_clients_not_ourselves(mariadb_factory) -> None:
    server = mariadb_factory(tls=True)
    # our own TLS session does not make TLS "in use"
    before = security_of(spec_for(server, tls_mode="required"))
    assert before["tls_available"] is True and before["tls_evidence"] == "have_ssl = YES"
    assert before["this_session_tls"] and before["this_session_tls"].startswith("TLS")
    assert before["ssl_accepts"] == 1 and before["tls_in_use"] is False

    assert server.tls is not None
    client = server.connect(ssl_ca=str(server.tls.ca))
    try:
        assert _ssl_version(client).startswith("TLS")
        after = security_of(spec_for(server, tls_mode="disabled"))
    finally:
        client.close()
    assert after["this_session_tls"] is None
    assert after["ssl_accepts"] == 2 and after["tls_in_use"] is True
    assert after["require_secure_transport"] == "OFF"


def test_plain_server_has_no_tls(mariadb) -> None:
    security = security_of(spec_for(mariadb))
    assert security["tls_available"] is False and security["tls_in_use"] is False
    assert security["encryption_at_rest"]["innodb_encrypt_tables"] == "OFF"
    assert security["encryption_at_rest"]["key_management_plugins"] == []
    assert security["audit_plugins"] == []


def test_encryption_at_rest_and_audit_plugin(mariadb_factory, tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("1;" + "a1" * 32 + "\n")
    server = mariadb_factory(extra_options={
        "plugin-load-add": "server_audit=server_audit.so;file_key_management=file_key_management.so",
        "file-key-management-filename": str(keys),
        "innodb-encrypt-tables": "ON",
        "innodb-encryption-threads": "1",
        "server-audit-logging": "ON",
        "server-audit-file-path": str(tmp_path / "audit.log"),
    })  # fmt: skip
    server.admin("CREATE DATABASE IF NOT EXISTS enc")
    server.admin("CREATE TABLE enc.t1 (id INT PRIMARY KEY) ENGINE=InnoDB")
    server.admin("CREATE TABLE enc.t2 (id INT PRIMARY KEY) ENGINE=InnoDB")
    result = run(spec_for(server))
    security = result.facts["security"]
    at_rest = security["encryption_at_rest"]
    assert at_rest["innodb_encrypt_tables"] == "ON"
    assert at_rest["key_management_plugins"] == ["file_key_management"]
    assert at_rest["encrypted_tables"] >= 2
    assert at_rest["encrypted_tables_source"] == "information_schema.INNODB_TABLESPACES_ENCRYPTION"
    assert security["audit_plugins"] == ["SERVER_AUDIT"]
    plugins = {p["name"]: p for p in result.facts["plugins"]}
    assert plugins["SERVER_AUDIT"] == {"name": "SERVER_AUDIT", "status": "ACTIVE", "type": "AUDIT",
                                       "library": "server_audit.so"}
    assert plugins["InnoDB"]["library"] is None


# ---------------------------------------------------------------- InnoDB status


def test_innodb_status_after_a_deadlock_has_no_query_text(mariadb_factory) -> None:
    literal = "planted-deadlock-literal-5521"
    server = mariadb_factory()
    server.admin("CREATE DATABASE IF NOT EXISTS dl")
    server.admin("CREATE TABLE dl.t (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB")
    server.admin("INSERT INTO dl.t VALUES (1, 'a'), (2, 'b')")
    a, b = server.connect(), server.connect()
    errors: list[int] = []

    def run_quietly(connection: Any, sql: str) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
        except mysql_errors.Error as exc:
            errors.append(int(exc.errno or 0))
        finally:
            cursor.close()

    try:
        run_quietly(a, "START TRANSACTION")
        run_quietly(b, "START TRANSACTION")
        run_quietly(a, f"UPDATE dl.t SET v = '{literal}' WHERE id = 1")
        run_quietly(b, f"UPDATE dl.t SET v = '{literal}' WHERE id = 2")
        waiter = threading.Thread(target=run_quietly, args=(a, f"UPDATE dl.t SET v = '{literal}' WHERE id = 2"))
        waiter.start()
        time.sleep(0.5)  # a now waits for b's lock
        run_quietly(b, f"UPDATE dl.t SET v = '{literal}' WHERE id = 1")  # the cycle: one of them is the victim
        waiter.join(timeout=30)
    finally:
        for connection in (a, b):
            run_quietly(connection, "ROLLBACK")
            connection.close()
    assert 1213 in errors, errors  # ER_LOCK_DEADLOCK
    raw = str(server.admin("SHOW ENGINE INNODB STATUS")[0][2])
    assert "LATEST DETECTED DEADLOCK" in raw and literal in raw  # the text we must not copy

    result = run(spec_for(server), (*BASE, INNODB_STATUS))
    status = result.facts["innodb_status"]
    assert status["deadlocks_seen"] is True
    assert status["latest_deadlock_at"] and len(status["latest_deadlock_at"]) == 19
    assert isinstance(status["history_list_length"], int)
    assert isinstance(status["log_sequence_number"], int) and status["log_sequence_number"] > 0
    assert status["read_views_open"] is not None
    assert literal not in json.dumps(result.facts)
    assert "UPDATE" not in json.dumps(status)
    for key, value in status.items():
        assert value is None or isinstance(value, bool | int | float) or key == "latest_deadlock_at", key


def test_parse_innodb_status_reads_numbers_from_their_own_sections() -> None:
    text = """
=====================================
2026-01-02 03:04:05 0x7f INNODB MONITOR OUTPUT
=====================================
Per second averages calculated from the last 7 seconds
------------------------
LATEST DETECTED DEADLOCK
------------------------
2026-01-02 03:00:00 0x7f0
*** (1) TRANSACTION:
TRANSACTION 1234, ACTIVE 3 sec starting index read
History list length 424242
UPDATE t SET secret = 'top-secret-9' WHERE id = 1
------------
TRANSACTIONS
------------
Trx id counter 1300
History list length 17
LIST OF TRANSACTIONS FOR EACH SESSION:
---TRANSACTION 1290, ACTIVE 12 sec
LOCK WAIT 2 lock struct(s), heap size 1128, 1 row lock(s)
MySQL thread id 9, OS thread handle 1, query id 55 localhost root updating
UPDATE t SET secret = 'top-secret-9' WHERE id = 2
---TRANSACTION 1291, not started
--------
FILE I/O
--------
Pending flushes (fsync): 3
---
LOG
---
Log sequence number 5000
Log flushed up to   4900
Last checkpoint at  4000
----------------------
BUFFER POOL AND MEMORY
----------------------
Buffer pool size   2028
Free buffers       100
Database pages     1900
Modified db pages  12
Pending reads 2
Pending writes: LRU 1, flush list 4
Buffer pool hit rate 990 / 1000, young-making rate 0 / 1000 not 0 / 1000
--------------
ROW OPERATIONS
--------------
3 read views open inside InnoDB
----------------------------
END OF INNODB MONITOR OUTPUT
============================
"""
    parsed = parse_innodb_status(text)
    assert parsed["deadlocks_seen"] is True and parsed["latest_deadlock_at"] == "2026-01-02 03:00:00"
    assert parsed["history_list_length"] == 17  # not the line planted in the deadlock text
    assert (parsed["transactions"], parsed["transactions_active"], parsed["transactions_lock_wait"]) == (2, 1, 1)
    assert parsed["checkpoint_age"] == 1000 and parsed["pending_fsyncs"] == 3
    assert (parsed["pending_reads"], parsed["pending_writes"]) == (2, 5)
    assert parsed["buffer_pool_hit_rate"] == 0.99 and parsed["read_views_open"] == 3
    assert parsed["per_second_window_seconds"] == 7
    assert "top-secret-9" not in json.dumps(parsed)
    assert parse_innodb_status("")["deadlocks_seen"] is False


# ---------------------------------------------------------------- MySQL 8 / 5.7 (stand-in)


@pytest.mark.mysql8
@pytest.mark.parametrize("name", ["mysql-8.4", "percona-8.0.32", "aurora-mysql-3", "mysql-5.7"])
def test_mysql_accounts_from_the_standin(mysql_standin, name: str) -> None:
    standin = mysql_standin(name)
    result = run(standin_spec(standin))
    assert standin.unknown == [] and standin.unsupported == [] and standin.errors == []
    expected = dict(MYSQL_ACCOUNTS_EXPECTED, source="mysql.user")
    sent = " ".join(standin.statements)
    if name == "mysql-5.7":  # no roles before 8.0: mysql.role_edges is not asked
        expected["roles"] = 0
        assert "role_edges" not in sent
    else:
        assert "mysql.role_edges" in sent
    assert result.facts["accounts"] == expected
    dumped = json.dumps(result.facts)
    for user in {str(u[1]) for u in MYSQL_USERS}:
        assert f'"{user}"' not in dumped and PLANTED_ACCOUNT not in dumped, user


@pytest.mark.mysql8
def test_unreadable_role_edges_counts_roles_as_accounts(mysql_standin) -> None:
    profile = get_profile("mysql-8.4")
    del profile.info_schema["mysql.role_edges"]
    standin = mysql_standin(profile)
    result = run(standin_spec(standin), (*BASE, ACCOUNTS))
    accounts = result.facts["accounts"]
    assert accounts["roles"] is None and accounts["total"] == 11  # the ten accounts and the role
    assert "roles not counted" in by_name(result)["accounts"].reason
    assert len(standin.unknown) == 1 and "role_edges" in standin.unknown[0]


@pytest.mark.mysql8
def test_mysql_security_plugins_and_innodb_status_from_the_standin(mysql_standin) -> None:
    standin = mysql_standin("mysql-8.4")
    result = run(standin_spec(standin), (*BASE, PLUGINS, SECURITY, INNODB_STATUS))
    assert standin.unknown == [] and standin.unsupported == []
    security = result.facts["security"]
    # 8.4 has no have_ssl: the TLS context says TLS is offered; the capture counted 4 TLS accepts
    assert security["tls_available"] is True and "Current_tls_cert" in security["tls_evidence"]
    assert security["ssl_accepts"] == 4 and security["tls_in_use"] is True
    at_rest = security["encryption_at_rest"]
    assert at_rest["encrypted_tables"] == 1 and at_rest["keyring_plugins"] == ["keyring_file"]
    assert at_rest["default_table_encryption"] == "OFF"
    assert security["audit_plugins"] == []  # sha2_cache_cleaner is an AUDIT-type plugin, not an audit log
    status = result.facts["innodb_status"]
    assert status["history_list_length"] == 9 and status["buffer_pool_hit_rate"] == 0.951
    assert status["checkpoint_age"] == 70611 and status["deadlocks_seen"] is False
    assert any(p["name"] == "keyring_file" and p["library"] == "keyring_file.so" for p in result.facts["plugins"])


@pytest.mark.mysql8
def test_audit_log_plugin_is_reported(mysql_standin) -> None:
    profile = get_profile("percona-8.0.32")
    plugins = profile.responses["SHOW PLUGINS"]
    assert isinstance(plugins, ResultSetData)
    profile.responses["SHOW PLUGINS"] = ResultSetData(
        plugins.columns, (*plugins.rows, ("audit_log", "ACTIVE", "AUDIT", "audit_log.so", "GPL")))
    standin = mysql_standin(profile)
    security = run(standin_spec(standin), (*BASE, SECURITY)).facts["security"]
    assert security["audit_plugins"] == ["audit_log"]
