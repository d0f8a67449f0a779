"""Every statement our sessions send is read-only: the server's general log, read after full runs.

The classifier (tests/faults/sqlaudit.py) is proved on a planted list of statements it must refuse,
and on the kinds of statements the tool sends; then every row the general log holds for the tool's
sessions (the main one, the schema walk's read-ahead session and the wizard's Test connection, found
by their account's Connect rows) goes through it, and so does every statement sent to the MySQL 8
stand-in.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from pathlib import Path

import pytest

from collectors.connection import ConnectionSpec
from collectors.probe import probe
from prechecks.collection import RunOptions, collect
from tests.faults.conftest import PlantedFactory
from tests.faults.helpers import FAST, Box, archive_of, assert_no_secrets
from tests.faults.proxy import Proxy
from tests.faults.sqlaudit import tokenize, why_not_allowed, why_not_read_only
from tests.servers import MariaDBServer
from tests.standin.profiles import PROFILE_NAMES

REFUSED = [
    # writes and DDL
    "INSERT INTO t VALUES (1)", "insert into t select * from u", "UPDATE t SET a = 1", "DELETE FROM t",
    "REPLACE INTO t VALUES (1)", "CREATE TABLE x (a INT)", "CREATE TEMPORARY TABLE x (a INT)",
    "CREATE OR REPLACE VIEW v AS SELECT 1", "DROP TABLE t", "ALTER TABLE t ADD c INT", "TRUNCATE t",
    "RENAME TABLE a TO b", "GRANT SELECT ON *.* TO 'u'@'%'", "REVOKE ALL ON *.* FROM 'u'@'%'",
    "CREATE USER 'x'@'%'", "LOAD DATA INFILE '/tmp/x' INTO TABLE t", "HANDLER t OPEN",
    # server state
    "SET GLOBAL max_connections = 1", "set global read_only=1", "SET @@global.max_connections = 1",
    "SET @@GLOBAL.general_log = OFF", "SET SESSION wait_timeout = 1, GLOBAL max_connections = 1",
    "SET PERSIST max_connections = 1", "SET PERSIST_ONLY x = 1", "SET @@persist.x = 1",
    "SET PASSWORD = PASSWORD('x')", "SET PASSWORD FOR 'u'@'%' = 'x'", "SET ROLE admin", "SET DEFAULT ROLE admin",
    "SET STATEMENT max_statement_time = 1 FOR UPDATE t SET a = 1", "SET SESSION TRANSACTION READ WRITE",
    "SET GLOBAL TRANSACTION READ WRITE",
    "LOCK TABLES t READ", "LOCK TABLE t WRITE", "UNLOCK TABLES", "FLUSH TABLES", "FLUSH TABLES WITH READ LOCK",
    "FLUSH LOGS", "flush status", "RESET MASTER", "PURGE BINARY LOGS TO 'mysql-bin.000002'", "KILL 12",
    "KILL QUERY 12", "START SLAVE", "STOP REPLICA", "CHANGE MASTER TO MASTER_HOST = 'x'", "SHUTDOWN",
    "INSTALL SONAME 'ha_connect'", "UNINSTALL PLUGIN audit_log", "ANALYZE TABLE t", "OPTIMIZE TABLE t",
    "REPAIR TABLE t", "CHECK TABLE t", "CACHE INDEX t IN hot", "XA START 'x'", "BINLOG 'AAAA'",
    "DO SLEEP(1)", "PREPARE s FROM 'DROP TABLE t'", "EXECUTE s", "EXPLAIN ANALYZE SELECT 1",
    "BEGIN NOT ATOMIC DELETE FROM t; END", "START TRANSACTION READ WRITE",
    "WITH x AS (SELECT 1) DELETE FROM t",
    # procedures other than the RDS configuration reader
    "CALL mysql.rds_set_configuration('binlog retention hours', 24)", "CALL sys.ps_truncate_all_tables(FALSE)",
    "CALL mysql.rds_show_configuration; DROP TABLE t",
    # reads that lock, wait, write files or change state
    "SELECT * FROM t FOR UPDATE", "SELECT a FROM t WHERE b = 1 FOR SHARE", "SELECT * FROM t LOCK IN SHARE MODE",
    "SELECT 1 INTO OUTFILE '/tmp/x'", "SELECT 1 INTO DUMPFILE '/tmp/x'", "SELECT 1 INTO @x",
    "SELECT GET_LOCK('a', 1)", "select release_lock('a')", "SELECT SLEEP(1)", "SELECT sleep (1)",
    "SELECT BENCHMARK(1000000, MD5('a'))", "SELECT LOAD_FILE('/etc/passwd')", "SELECT NEXTVAL(s)",
    "SELECT NEXT VALUE FOR s", "SELECT SETVAL(s, 10)", "SELECT MASTER_POS_WAIT('f', 4)", "SELECT @a := 1",
    "SELECT * FROM t PROCEDURE ANALYSE()",
    # more than one statement, or code the server runs that a careless reader would skip
    "SELECT 1; DROP TABLE t", "SELECT 1;", "SELECT 1 /*! ; DROP TABLE t */", "SELECT /*!50000 SLEEP(1) */ 1",
    "/*!INSERT INTO t VALUES (1)*/", "SELECT /*M!100000 GET_LOCK('a', 1) */ 1",
    # what cannot be read with certainty
    "SELECT 'unterminated", "SELECT 1 /* unterminated", "", "   ",
    # parentheses around anything but a query
    "(DELETE FROM t)", "((UPDATE t SET a = 1))", "(", "(SELECT 1) INTO OUTFILE '/tmp/x'",
    "(SELECT 1 FOR UPDATE) UNION ALL (SELECT 2)",
]

ACCEPTED = [
    "SELECT @@version, @@version_comment", "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'",
    "SET @@session.autocommit = ON", "SET SESSION TRANSACTION READ ONLY",
    "SET SESSION max_statement_time = 5.000, lock_wait_timeout = 5", "SET SESSION MAX_EXECUTION_TIME = 5000",
    "SET @@local.sql_mode = ''", "SET @x = 1", "SET sql_log_bin = 0", "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SHOW GLOBAL STATUS", "SHOW GRANTS FOR CURRENT_USER()", "SHOW CREATE TABLE `we``ird`.`select`",
    "SHOW CREATE PROCEDURE `p`.`q`", "SHOW ENGINE INNODB STATUS", "SHOW ALL REPLICAS STATUS",
    "USE `odd db`", "use planted_db", "BEGIN", "START TRANSACTION READ ONLY",
    "START TRANSACTION WITH CONSISTENT SNAPSHOT", "COMMIT", "ROLLBACK", "CALL mysql.rds_show_configuration",
    "CALL `mysql`.`rds_show_configuration`()",
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'a; DROP TABLE t'",
    "SELECT 'FOR UPDATE', \"INTO OUTFILE\", `sleep` FROM `insert` -- DROP TABLE t\n",
    "SELECT 'it''s', 'back\\'slash' /* an ordinary comment: DELETE FROM t */ # and another",
    "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_TYPE = 'PROCEDURE'",
    "(SELECT 1)", "(SELECT 'a', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'a') UNION ALL "
    "(SELECT 'b', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'b')",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_the_classifier_refuses(sql: str) -> None:
    assert why_not_read_only(sql) is not None, sql


@pytest.mark.parametrize("sql", ACCEPTED)
def test_the_classifier_accepts(sql: str) -> None:
    assert why_not_read_only(sql) is None, sql


def test_the_classifier_reads_quotes_and_comments() -> None:
    tokens = tokenize("SELECT `a``b`, 'c''d', \"e\\\"f\" -- x\n# y\n/* z */ FROM t")
    assert [(t.kind, t.text) for t in tokens] == [
        ("word", "SELECT"), ("ident", "a`b"), ("op", ","), ("string", "c'd"), ("op", ","), ("string", 'e"f'),
        ("word", "FROM"), ("word", "T")]


@pytest.mark.parametrize(("command", "argument", "allowed"), [
    ("Connect", "u@127.0.0.1 on  using TCP/IP", True), ("Quit", "", True), ("Init DB", "planted_db", True),
    ("Query", "SHOW DATABASES", True), ("Query", "FLUSH TABLES", False), ("Binlog Dump", "", False),
    ("Kill", "12", False), ("Refresh", "", False), ("Shutdown", "", False), ("Prepare", "SELECT 1", False),
])  # fmt: skip
def test_the_general_log_commands(command: str, argument: str, allowed: bool) -> None:
    assert (why_not_allowed(command, argument) is None) is allowed


# --------------------------------------------------------------------------- the general log of real runs


def _general_log(server: MariaDBServer) -> list[tuple[int, str, str]]:
    rows = server.admin("SELECT thread_id, command_type, CONVERT(argument USING utf8mb4) FROM mysql.general_log"
                        " ORDER BY event_time")
    return [(int(r[0]), str(r[1]), "" if r[2] is None else str(r[2])) for r in rows]


def _sessions_of(log: list[tuple[int, str, str]], user: str, after: int) -> dict[int, list[tuple[str, str]]]:
    """Every row of every session that account opened after thread `after`: thread id -> [(command, argument)]."""
    threads = {tid for tid, command, argument in log
               if tid > after and command == "Connect" and argument.startswith(f"{user}@")}
    sessions: dict[int, list[tuple[str, str]]] = {tid: [] for tid in threads}
    for tid, command, argument in log:
        if tid in sessions:
            sessions[tid].append((command, argument))
    return sessions


def _refused(sessions: dict[int, list[tuple[str, str]]]) -> list[tuple[int, str, str, str]]:
    return [(tid, command, argument, why) for tid, rows in sessions.items() for command, argument in rows
            if (why := why_not_allowed(command, argument)) is not None]


def test_every_statement_of_full_runs_is_read_only(planted_server: PlantedFactory, box: Box) -> None:
    planted = planted_server(extra_options={"general-log": "ON", "log-output": "TABLE"})
    server = planted.server
    # one object of every kind, so every SHOW CREATE the schema walk knows is sent
    server._execute([
        "CREATE TRIGGER planted_db.stamp BEFORE INSERT ON planted_db.notes FOR EACH ROW SET NEW.note = 'x'",
        "CREATE EVENT planted_db.tidy ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM planted_db.notes",
        "CREATE FUNCTION planted_db.twice(a INT) RETURNS INT DETERMINISTIC RETURN a * 2",
        "CREATE TABLE extra_1.old_style (id INT PRIMARY KEY) ENGINE=MyISAM",
    ])
    server.create_user("usage_auditor", "Usage-Aud1tor-pw")
    before = int(server.admin("SELECT CONNECTION_ID()")[0][0])  # the planting sessions are not the tool's
    with Proxy(server.host, server.port) as proxy:
        proxy.latency = 0.01  # the walk waits on the network a little: the read-ahead session surely joins in
        full = box.run([f"--defaults-file={planted.client_file}", f"--host={proxy.host}", f"--port={proxy.port}",
                        *FAST, "-o", str(box.out), "--answers", str(box.answers)])
    runs = {planted.user: full,
            "usage_auditor": box.run([f"--host={server.host}", f"--port={server.port}", "--user=usage_auditor",
                                      *FAST, "-o", str(box.out)], password="Usage-Aud1tor-pw")}
    for result in runs.values():
        archive_of(result, box)
    log = _general_log(server)
    for user, result in runs.items():
        sessions = _sessions_of(log, user, before)
        # the main session, and the read-ahead session of the schema walk for the account that sees the
        # four user schemas (the USAGE-only one sees none)
        assert len(sessions) == (2 if user == planted.user else 1), (user, sorted(sessions))
        queries = Counter(tid for tid, rows in sessions.items() for command, _ in rows if command == "Query")
        assert all(queries[tid] > 0 for tid in sessions), (user, queries)
        statements = [argument for rows in sessions.values() for command, argument in rows if command == "Query"]
        assert len(statements) >= (60 if user == planted.user else 15), statements
        assert _refused(sessions) == [], user
        for tid, rows in sessions.items():  # each session is made read-only before it reads anything
            queried = [argument for command, argument in rows if command == "Query"]
            first_read = next(i for i, sql in enumerate(queried) if not sql.startswith(("SET ", "SELECT @@version")))
            assert "SET SESSION TRANSACTION READ ONLY" in queried[:first_read], (user, tid, queried[:first_read + 1])
        assert_no_secrets([box.root], planted.secrets, {"stdout": result.stdout, "stderr": result.stderr})
    everything = " ".join(arg for rows in _sessions_of(log, planted.user, before).values() for _, arg in rows)
    for kind in ("TABLE", "VIEW", "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"):
        assert f"SHOW CREATE {kind}" in everything, kind

    # the wizard's Test connection (and database list): one more session, as read-only
    last = max(_sessions_of(log, planted.user, before))
    spec = ConnectionSpec(host=server.host, port=server.port, user=planted.user, password=planted.password)
    assert "planted_db" in probe(spec).databases
    tested = _sessions_of(_general_log(server), planted.user, last)
    assert len(tested) == 1 and _refused(tested) == []
    assert any(argument == "SHOW DATABASES" for rows in tested.values() for _, argument in rows)

    # the audit itself catches a write: the same account, statements of the refused kinds
    last = max(tested)
    with contextlib.closing(server.connect(planted.user, planted.password)) as connection, \
            connection.cursor() as cursor:
        for sql in ("DO 1", "LOCK TABLES planted_db.notes READ", "UNLOCK TABLES",
                    "SET GLOBAL max_connections = @@GLOBAL.max_connections"):
            cursor.execute(sql)
    caught = {argument for _, _, argument, _ in _refused(_sessions_of(_general_log(server), planted.user, last))}
    assert caught == {"DO 1", "LOCK TABLES planted_db.notes READ", "UNLOCK TABLES",
                      "SET GLOBAL max_connections = @@GLOBAL.max_connections"}


@pytest.mark.mysql8
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_statement_to_the_mysql8_standin_is_read_only(mysql_standin, name: str, tmp_path: Path) -> None:
    """MySQL-only paths (max_execution_time, SHOW REPLICA STATUS, RDS's CALL) through the same classifier."""
    standin = mysql_standin(name)
    spec = ConnectionSpec(host=standin.host, port=standin.port, user=standin.user, password=standin.password)
    collect(spec, RunOptions(sleep=0.1))
    assert standin.statements
    refused = [(sql, why) for sql in standin.statements if (why := why_not_read_only(sql)) is not None]
    assert refused == []
    if name.startswith("rds-"):
        assert any(sql.startswith("CALL mysql.rds_show_configuration") for sql in standin.statements)
