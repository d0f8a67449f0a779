"""The stand-in answers like the servers it stands in for (tested through mysql-connector, pure)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import mysql.connector
import pytest

from tests.standin.mysql8 import MySQLStandIn
from tests.standin.profiles import (
    PROFILE_NAMES,
    REPLICA_STATUS_COLUMNS_80,
    SECRET_LITERAL,
    STANDIN_PASSWORD,
    get_profile,
)

pytestmark = pytest.mark.mysql8


@contextmanager
def connect(standin: MySQLStandIn, **overrides: Any) -> Iterator[Any]:
    kwargs = {**standin.connect_kwargs(), **overrides}
    conn = mysql.connector.connect(**kwargs)
    try:
        yield conn
    finally:
        conn.close()


def query(conn: Any, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = conn.cursor()
    try:
        cur.execute(sql)
        rows = cur.fetchall()
        return list(cur.column_names), rows
    finally:
        cur.close()


def error_of(conn: Any, sql: str) -> mysql.connector.Error:
    with pytest.raises(mysql.connector.Error) as info:
        query(conn, sql)
    return info.value


EXPECTED_VERSIONS = {
    "percona-8.0.32": "8.0.32-24",
    "mysql-8.4": "8.4.3",
    "mysql-8.0-replica": "8.0.36",
    "mysql-5.7": "5.7.44-log",
    "aurora-mysql-3": "8.0.32",
    "rds-mysql-8.0": "8.0.35",
    "cloudsql-mysql-8.0": "8.0.31-google",
    "azure-mysql-8.0": "8.0.37",
    "digitalocean-mysql-8": "8.0.35",
    "tidb-7.5": "8.0.11-TiDB-v7.5.1",
    "vitess-19": "8.0.34-Vitess",
    "pxc-8.0": "8.0.35-27.1",
    "mysql-wsrep-8.0": "8.0.35",
}


def test_every_profile_has_an_expected_version():
    assert set(EXPECTED_VERSIONS) == set(PROFILE_NAMES)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_version_and_basic_statements(mysql_standin, name):
    standin = mysql_standin(name)
    with connect(standin) as conn:
        assert conn.server_info == EXPECTED_VERSIONS[name]
        cols, rows = query(conn, "SELECT @@version, @@GLOBAL.version_comment AS vc, VERSION(), CURRENT_USER()")
        assert cols == ["@@version", "vc", "VERSION()", "CURRENT_USER()"]
        assert rows == [(EXPECTED_VERSIONS[name], standin.profile.version_comment, EXPECTED_VERSIONS[name], "root@%")]
        query(conn, "SET SESSION TRANSACTION READ ONLY")
        query(conn, "SET SESSION max_execution_time = 5000")
        query(conn, "SET SESSION lock_wait_timeout = 5")
        query(conn, "SET autocommit = 1")
        assert query(conn, "SELECT @@session.max_execution_time, @@transaction_read_only")[1] == [(5000, 1)]
        _, dbs = query(conn, "SHOW DATABASES")
        assert ("mysql",) in dbs
        _, variables = query(conn, "SHOW GLOBAL VARIABLES")
        assert dict(variables)["version"] == EXPECTED_VERSIONS[name]
        _, grants = query(conn, "SHOW GRANTS FOR CURRENT_USER()")
        assert grants and grants[0][0].startswith("GRANT ")
        assert error_of(conn, "SET GLOBAL read_only = ON").errno == 1227
    assert standin.unknown == []


def test_auth_plugins(mysql_standin):
    sha2 = mysql_standin("mysql-8.4")  # caching_sha2_password by default, like MySQL 8.4
    native = mysql_standin("percona-8.0.32")  # the capture's default_authentication_plugin
    assert sha2.profile.auth_plugin == "caching_sha2_password"
    assert native.profile.auth_plugin == "mysql_native_password"
    for standin in (sha2, native):
        for plugin in ("mysql_native_password", "caching_sha2_password"):
            with connect(standin, auth_plugin=plugin) as conn:
                assert query(conn, "SELECT 1")[1] == [(1,)]
        with pytest.raises(mysql.connector.Error) as info:
            mysql.connector.connect(**{**standin.connect_kwargs(), "password": STANDIN_PASSWORD + "x"})
        assert info.value.errno == 1045


def test_mysql_84_uses_new_replication_statements(mysql_standin):
    standin = mysql_standin("mysql-8.4")
    with connect(standin) as conn:
        for old in ("SHOW SLAVE STATUS", "SHOW SLAVE HOSTS", "SHOW MASTER STATUS"):
            err = error_of(conn, old)
            assert err.errno == 1064
            assert err.sqlstate == "42000"
            assert "You have an error in your SQL syntax" in str(err.msg)
            assert f"near '{old[5:]}' at line 1" in str(err.msg)
        cols, rows = query(conn, "SHOW REPLICA STATUS")
        assert cols == list(REPLICA_STATUS_COLUMNS_80) and rows == []
        cols, _ = query(conn, "SHOW REPLICAS")
        assert cols == ["Server_Id", "Host", "Port", "Source_Id", "Replica_UUID"]
        cols, rows = query(conn, "SHOW BINARY LOG STATUS")
        assert cols[:2] == ["File", "Position"] and len(rows) == 1
        _, variables = query(conn, "SHOW GLOBAL VARIABLES")
        names = dict(variables)
        assert names["binlog_expire_logs_seconds"] == "2592000"
        assert names["gtid_mode"] == "ON" and names["enforce_gtid_consistency"] == "ON"
        assert "log_replica_updates" in names
        assert not {"expire_logs_days", "query_cache_type", "have_query_cache", "log_slave_updates"} & set(names)


def test_mysql_57_uses_old_replication_statements(mysql_standin):
    standin = mysql_standin("mysql-5.7")
    with connect(standin) as conn:
        for new in ("SHOW REPLICA STATUS", "SHOW REPLICAS", "SHOW BINARY LOG STATUS"):
            assert error_of(conn, new).errno == 1064
        cols, _ = query(conn, "SHOW SLAVE STATUS")
        assert cols[:2] == ["Slave_IO_State", "Master_Host"]
        _, hosts = query(conn, "SHOW SLAVE HOSTS")
        assert hosts == [(12346, "127.0.0.1", 12346, 12345, "05c34f44-20c0-11ee-ad4c-7404f1a10a4a")]
        cols, rows = query(conn, "SHOW MASTER STATUS")
        assert rows[0][:2] == ("mysql-bin.000002", 3445236)
        assert query(conn, "SELECT @@expire_logs_days")[1] == [(7,)]
        assert error_of(conn, "SELECT @@binlog_expire_logs_seconds").errno == 1193


def test_replica_profile_old_and_new_column_names(mysql_standin):
    standin = mysql_standin("mysql-8.0-replica")
    with connect(standin) as conn:
        new_cols, new_rows = query(conn, "SHOW REPLICA STATUS")
        old_cols, old_rows = query(conn, "show  slave status;")
        assert new_rows == old_rows and len(new_rows) == 1
        new = dict(zip(new_cols, new_rows[0], strict=True))
        old = dict(zip(old_cols, old_rows[0], strict=True))
        assert new["Replica_IO_Running"] == new["Replica_SQL_Running"] == "Yes"
        assert new["Source_Host"] == old["Master_Host"] == "db-1.internal"
        assert new["Source_Port"] == old["Master_Port"] == 3306
        assert new["Seconds_Behind_Source"] == old["Seconds_Behind_Master"] == 0
        assert new["Auto_Position"] == 1 and new["Executed_Gtid_Set"]
        assert old["Slave_IO_Running"] == "Yes" and "Get_master_public_key" in old
        assert query(conn, "SELECT @@read_only, @@super_read_only")[1] == [(1, 1)]


def test_percona_replication_capture(mysql_standin):
    standin = mysql_standin("percona-8.0.32")
    with connect(standin) as conn:
        cols, rows = query(conn, "SHOW REPLICAS")
        assert cols == ["Server_Id", "Host", "Port", "Source_Id", "Replica_UUID"]
        assert rows == [(12346, "127.0.0.1", 12346, 12345, "05c34f44-20c0-11ee-ad4c-7404f1a10a4a")]
        assert query(conn, "SHOW MASTER STATUS")[1] == [("mysql-bin.000002", 3445236, "", "", "")]
        logs = [("mysql-bin.000001", 180, "No"), ("mysql-bin.000002", 3445236, "No")]
        assert query(conn, "SHOW BINARY LOGS")[1] == logs
        assert query(conn, "SHOW REPLICA STATUS")[1] == []
        assert error_of(conn, "SHOW BINARY LOG STATUS").errno == 1064


def test_global_status_two_snapshots(mysql_standin):
    standin = mysql_standin("percona-8.0.32")
    with connect(standin) as conn:
        first = dict(query(conn, "SHOW GLOBAL STATUS")[1])
        second = dict(query(conn, "SHOW GLOBAL STATUS")[1])
        third = dict(query(conn, "SHOW GLOBAL STATUS")[1])
        assert int(second["Questions"]) > int(first["Questions"])
        assert int(second["Com_select"]) > int(first["Com_select"])
        assert int(second["Uptime"]) > int(first["Uptime"])
        assert third == second
    with connect(standin) as conn:  # a new connection starts again at the first snapshot
        assert query(conn, "SHOW GLOBAL STATUS LIKE 'Questions'")[1] == [("Questions", first["Questions"])]


def test_rds_show_configuration(mysql_standin):
    rds = mysql_standin("rds-mysql-8.0")
    plain = mysql_standin("mysql-8.4")
    with connect(rds) as conn:
        cols, rows = query(conn, "CALL mysql.rds_show_configuration")
        assert cols == ["name", "value", "description"]
        assert rows[0][:2] == ("binlog retention hours", None)
        assert query(conn, "SELECT @@basedir, @@datadir")[1] == [("/rdsdbbin/mysql-8.0.35.R2/", "/rdsdbdata/db/")]
    with connect(plain) as conn:
        assert error_of(conn, "CALL mysql.rds_show_configuration").errno == 1305


def test_platform_markers(mysql_standin):
    with connect(mysql_standin("aurora-mysql-3")) as conn:
        assert query(conn, "SELECT @@aurora_version, AURORA_VERSION()")[1] == [("3.05.2", "3.05.2")]
        assert "mysql_aurora.3.05.2" in query(conn, "SELECT @@basedir")[1][0][0]
    with connect(mysql_standin("azure-mysql-8.0")) as conn:
        assert query(conn, "SHOW GLOBAL VARIABLES LIKE 'aad_auth%'")[1][0][0] == "aad_auth_only"
    with connect(mysql_standin("digitalocean-mysql-8")) as conn:
        assert query(conn, "SELECT @@port, @@sql_require_primary_key")[1] == [(25060, 1)]
        assert ("defaultdb",) in query(conn, "SHOW DATABASES")[1]
    with connect(mysql_standin("cloudsql-mysql-8.0")) as conn:
        assert query(conn, "SELECT @@version")[1] == [("8.0.31-google",)]
    with connect(mysql_standin("mysql-8.4")) as conn:
        assert error_of(conn, "SELECT @@aurora_version").errno == 1193


def test_processlist_carries_a_secret_query_text(mysql_standin):
    standin = mysql_standin("percona-8.0.32")
    with connect(standin) as conn:
        cols, rows = query(conn, "SHOW FULL PROCESSLIST")
        assert cols[:8] == ["Id", "User", "Host", "db", "Command", "Time", "State", "Info"]
        assert any(SECRET_LITERAL in (r[7] or "") for r in rows)
        cols, rows = query(conn, "SELECT ID, USER, COMMAND, TIME, INFO FROM information_schema.PROCESSLIST")
        assert cols == ["ID", "USER", "COMMAND", "TIME", "INFO"]
        assert any(SECRET_LITERAL in (r[4] or "") for r in rows)


def test_information_schema_queries(mysql_standin):
    standin = mysql_standin("mysql-8.4")
    system = "('mysql','sys','information_schema','performance_schema')"
    with connect(standin) as conn:
        cols, rows = query(
            conn,
            "SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH "
            f"FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN {system} AND TABLE_TYPE = 'BASE TABLE'",
        )
        assert cols == ["TABLE_SCHEMA", "TABLE_NAME", "ENGINE", "TABLE_ROWS", "DATA_LENGTH", "INDEX_LENGTH"]
        assert {r[0] for r in rows} == {"sakila", "test"}
        assert ("test", "legacy_myisam", "MyISAM", 10, 130, 1024) in rows
        cols, rows = query(
            conn,
            "select table_schema as s, count(*) as n from information_schema.tables "
            f"where table_schema not in {system} group by table_schema order by s",
        )
        assert cols == ["s", "n"] and rows == [("sakila", 8), ("test", 3)]
        for table in ("ROUTINES", "TRIGGERS", "EVENTS", "VIEWS", "COLUMNS", "STATISTICS", "PARTITIONS",
                      "REFERENTIAL_CONSTRAINTS", "PLUGINS", "ENGINES"):  # fmt: skip
            cols, rows = query(conn, f"SELECT * FROM information_schema.{table}")
            assert rows, table
            assert all(c == c.upper() for c in cols), table
        assert query(conn, "SELECT VARIABLE_VALUE FROM performance_schema.global_variables "
                           "WHERE VARIABLE_NAME = 'version'")[1] == [("8.4.3",)]  # fmt: skip
        assert error_of(conn, "SELECT COUNT(*) FROM sakila.actor").errno == 1146
    assert standin.unsupported == []


def test_statements_recorded_and_unknown_statements(mysql_standin):
    standin = mysql_standin("mysql-8.0-replica")
    with connect(standin) as conn:
        query(conn, "SELECT NOW(), UNIX_TIMESTAMP()")
        err = error_of(conn, "FROBNICATE THE SERVER")
        assert err.errno == 1064
        assert str(err.msg).startswith("You have an error in your SQL syntax; check the manual that corresponds")
        assert query(conn, "SELECT 1")[1] == [(1,)]  # the server survived
    assert "SELECT NOW(), UNIX_TIMESTAMP()" in standin.statements
    assert standin.statements.index("SELECT NOW(), UNIX_TIMESTAMP()") < standin.statements.index("SELECT 1")
    assert standin.unknown == ["FROBNICATE THE SERVER"]
    assert ("FROBNICATE THE SERVER", 1064, err.msg) in standin.errors


def test_context_manager_and_profiles_are_independent():
    with MySQLStandIn("percona-8.0.32") as standin:
        standin.profile.variables["version"] = "changed"
        assert standin.port > 0
        assert "not a MySQL" in repr(standin)
    assert standin._loop is None
    assert get_profile("percona-8.0.32").version == "8.0.32-24"
