"""Tests of the throwaway-server fixtures themselves (tests/servers.py, tests/conftest.py)."""

from __future__ import annotations

import os
import socket
import stat
import time

import keyring
import keyring.errors
import mysql.connector
import pytest

from tests import servers


def _poll(condition, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_mariadb_available():
    assert servers.mariadb_available()


def test_default_server_answers(mariadb):
    (version,) = mariadb.admin("SELECT VERSION()")[0]
    assert "MariaDB" in version
    with mariadb.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT CURRENT_USER(), @@log_bin, @@binlog_format, @@performance_schema, @@general_log")
        assert cur.fetchall() == [("root@127.0.0.1", 1, "ROW", 1, 0)]
    assert mariadb.admin("DO 1") == []
    assert len(mariadb.socket) < 100
    assert mariadb.general_log is None and mariadb.tls is None


def test_root_needs_the_password(mariadb):
    with pytest.raises(mysql.connector.Error) as excinfo:
        mariadb.connect(password="wrong")
    assert excinfo.value.errno == 1045
    with pytest.raises(mysql.connector.Error):
        mariadb.connect(password="")


def test_options_take_effect(mariadb_factory):
    server = mariadb_factory(
        log_bin=False,
        performance_schema=False,
        sql_mode="ANSI_QUOTES,NO_ZERO_DATE",
        server_id=42,
        gtid_strict=True,
        binlog_format="MIXED",
        general_log=True,
        extra_options={"max_connections": "17", "skip-ssl": None},
    )
    rows = server.admin(
        "SELECT @@log_bin, @@performance_schema, @@GLOBAL.sql_mode, @@server_id, @@gtid_strict_mode,"
        " @@binlog_format, @@general_log, @@max_connections, @@have_ssl"
    )
    assert rows == [(0, 0, "ANSI_QUOTES,NO_ZERO_DATE", 42, 1, "MIXED", 1, 17, "DISABLED")]
    server.admin("SELECT 'general-log-marker'")
    assert server.general_log is not None
    assert _poll(lambda: "general-log-marker" in server.general_log.read_text())


def test_tls_required(mariadb_factory):
    server = mariadb_factory(tls=True, require_secure_transport=True)
    tls = server.tls
    assert tls is not None
    assert server.admin("SELECT @@require_secure_transport, @@have_ssl") == [(1, "YES")]

    with pytest.raises(mysql.connector.Error) as excinfo:
        server.connect(ssl_disabled=True)
    # MariaDB refuses a plain connection under require_secure_transport with a plain 1045
    # "Access denied" (MySQL would say 3159); the same password works over TLS below.
    assert excinfo.value.errno == 1045

    verified = {"ssl_ca": str(tls.ca), "ssl_verify_cert": True, "ssl_verify_identity": True}
    with server.connect(**verified) as conn, conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
        (_, version) = cur.fetchone()
        assert version.startswith("TLS")

    server.create_user("tlsuser", "pw-1", ["USAGE ON *.*"])
    server.admin("ALTER USER 'tlsuser'@'%' REQUIRE X509")
    with pytest.raises(mysql.connector.Error):
        server.connect("tlsuser", "pw-1", **verified)
    client = {"ssl_cert": str(tls.client_cert), "ssl_key": str(tls.client_key)}
    with server.connect("tlsuser", "pw-1", **verified, **client) as conn, conn.cursor() as cur:
        cur.execute("SELECT CURRENT_USER()")
        assert cur.fetchall() == [("tlsuser@%",)]


def test_create_user_grants(mariadb_factory):
    server = mariadb_factory()
    server.create_user(
        "checker", "s3cr'et", ["SELECT ON *.*", "PROCESS ON *.*", "REPLICATION CLIENT ON *.*"]
    )
    grants = server.admin("SHOW GRANTS FOR 'checker'@'%'")
    assert len(grants) == 1
    assert grants[0][0].startswith("GRANT SELECT, PROCESS, BINLOG MONITOR ON *.* TO `checker`@`%`")
    with server.connect("checker", "s3cr'et") as conn, conn.cursor() as cur:
        cur.execute("SELECT CURRENT_USER()")
        assert cur.fetchall() == [("checker@%",)]


def test_load_sql_file(mariadb_factory, tmp_path):
    server = mariadb_factory()
    server.admin("CREATE DATABASE app")
    sql = tmp_path / "load.sql"
    sql.write_text("CREATE TABLE t (id INT PRIMARY KEY, s TEXT);\nINSERT INTO t VALUES (1, 'a'), (2, 'b');\n")
    server.load_sql_file(sql, database="app")
    assert server.admin("SELECT COUNT(*) FROM app.t") == [(2,)]
    assert stat.S_IMODE(server.client_defaults_file.stat().st_mode) == 0o600
    sql.write_text("THIS IS NOT SQL;\n")
    with pytest.raises(RuntimeError, match="syntax"):
        server.load_sql_file(sql)


def test_a_temporary_table_survives_another_server_starting(mariadb_factory):
    """mariadbd deletes the #sql* files of its tmpdir when it starts: each server has its own (a shared /tmp
    made mariadb-install-db and queries of servers at work fail while other test runs started servers)."""
    first = mariadb_factory()
    with first.connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE test.scratch (id INT) ENGINE=MyISAM")  # files in the tmpdir
        cur.execute("INSERT INTO test.scratch VALUES (1), (2)")
        mariadb_factory()
        cur.execute("SELECT COUNT(*) FROM test.scratch")
        assert cur.fetchall() == [(2,)]
        cur.execute("DROP TEMPORARY TABLE test.scratch")  # its files deleted: "Unknown table 'test.scratch'"


def test_replication_pair(replication_pair):
    primary, replica = replication_pair
    (status,) = replica.admin_dicts("SHOW SLAVE STATUS")
    assert status["Slave_IO_Running"] == "Yes"
    assert status["Slave_SQL_Running"] == "Yes"
    assert status["Using_Gtid"] == "Slave_Pos"
    assert replica.admin("SELECT @@server_id") == [(2,)]

    primary.admin("CREATE DATABASE IF NOT EXISTS repl_check")
    primary.admin("CREATE TABLE IF NOT EXISTS repl_check.t (id INT PRIMARY KEY)")
    primary.admin("INSERT INTO repl_check.t VALUES (%s)", (int(time.time() * 1000) % 1_000_000,))
    wanted = primary.admin("SELECT id FROM repl_check.t")

    def caught_up():
        try:
            return replica.admin("SELECT id FROM repl_check.t") == wanted
        except mysql.connector.Error:  # database or table not replicated yet
            return False

    assert _poll(caught_up), replica.admin_dicts("SHOW SLAVE STATUS")


def test_kill_closes_port(mariadb_factory):
    server = mariadb_factory()
    assert _port_open(server.port)
    server.kill()
    assert not server.running
    assert not _port_open(server.port)
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)
    assert not os.path.exists(os.path.dirname(server.socket))
    server.kill()  # idempotent
    server.stop()


def test_stop_is_clean(mariadb_factory):
    server = mariadb_factory()
    server.stop()
    assert not server.running
    assert not _port_open(server.port)
    assert "Shutdown complete" in server.error_log.read_text()
    assert not os.path.exists(os.path.dirname(server.socket))


def test_in_memory_keyring(in_memory_keyring):
    keyring.set_password("svc", "alice", "pw")
    assert keyring.get_password("svc", "alice") == "pw"
    assert in_memory_keyring.passwords == {("svc", "alice"): "pw"}
    keyring.delete_password("svc", "alice")
    assert keyring.get_password("svc", "alice") is None
    with pytest.raises(keyring.errors.PasswordDeleteError):
        keyring.delete_password("svc", "alice")
    assert keyring.get_keyring() is in_memory_keyring
