"""A replica's last error never carries the failing statement's literals (issue 13, finding 7).

A real primary/replica pair (tests/servers.py) is broken by a duplicate key whose row holds a secret-looking
value; the replica's Last_Error then quotes the key's value and the whole INSERT. The collected facts and the
archive keep the cause (the errno's fixed text, the statement's shape) and none of the values.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from collectors.replication import scrub_replica_error
from prechecks.bundle import ArchiveInputs, build
from prechecks.collection import RunOptions, collect
from prechecks.derive import derive
from tests import servers
from tests.helpers import spec_for

KEY = "k-3141592653"  # the duplicate key's value: quoted by "Duplicate entry"
SECRET = "card-4111111111111111"  # another value of the row: quoted by the statement


def _wait_sql_error(replica: servers.MariaDBServer, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = replica.admin_dicts("SHOW SLAVE STATUS")
        if rows and rows[0].get("Last_SQL_Errno"):
            return rows[0]
        time.sleep(0.05)
    raise AssertionError("the replica did not stop on the duplicate key")


def test_a_real_replica_error_keeps_its_cause_and_loses_its_literals(tmp_path: Path) -> None:
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    primary, replica = servers.start_replication_pair(tmp_path)
    try:
        primary.admin("CREATE DATABASE shop")
        primary.admin("CREATE TABLE shop.cards (k VARCHAR(40) PRIMARY KEY, number VARCHAR(40))")
        deadline = time.monotonic() + 30
        while not replica.admin("SHOW TABLES IN shop") and time.monotonic() < deadline:
            time.sleep(0.05)
        replica.admin(f"INSERT INTO shop.cards VALUES ('{KEY}', 'on the replica only')")
        primary._execute(["SET SESSION binlog_format = 'STATEMENT'",  # the statement is logged as it is
                          f"INSERT INTO shop.cards VALUES ('{KEY}', '{SECRET}')"])
        status = _wait_sql_error(replica)
        raw = str(status["Last_Error"])
        assert KEY in raw and SECRET in raw and status["Last_SQL_Errno"] == 1062  # what the server says

        facts = collect(spec_for(replica), RunOptions(sleep=0.1)).facts
        (source,) = facts["replication"]["sources"]
        assert source["sql_running"] == "No"
        assert source["last_error"] == ("Error 'Duplicate entry '?'' on query. Default database: ''. "
                                        "Query: 'INSERT INTO `shop`.`cards` VALUES (?, ?)'")
        files = build(derive(facts), ArchiveInputs("t")).files
        for name, data in files.items():
            assert KEY.encode() not in data and SECRET.encode() not in data, name
        assert b"Duplicate entry '?'" in files["facts.json"]
    finally:
        servers.stop_all([replica, primary])


@pytest.mark.parametrize(("raw", "clean"), [
    # MySQL 5.7 / MariaDB, statement-based: the key's value and the statement
    ("Error 'Duplicate entry '42-secret' for key 'PRIMARY'' on query. Default database: 'shop'. "
     "Query: 'INSERT INTO t VALUES (42,'secret')'",
     "Error 'Duplicate entry '?'' on query. Default database: 'shop'. Query: 'INSERT INTO `t` VALUES (?, ?)'"),
    # MySQL 8.0, row-based: the key's value, not the apostrophe of "event's"
    ("Could not execute Write_rows event on table shop.t; Duplicate entry '42-secret' for key 't.PRIMARY', "
     "Error_code: 1062; handler error HA_ERR_FOUND_DUPP_KEY; the event's master log binlog.000001, end_log_pos 1234",
     "Could not execute Write_rows event on table shop.t; Duplicate entry '?', Error_code: 1062; handler error "
     "HA_ERR_FOUND_DUPP_KEY; the event's master log binlog.000001, end_log_pos 1234"),
    # a value holding quotes cannot end the masking early
    ("Could not execute Update_rows event on table shop.t; Duplicate entry 'a' for key 'b' secret' for key "
     "'PRIMARY', Error_code: 1062",
     "Could not execute Update_rows event on table shop.t; Duplicate entry '?', Error_code: 1062"),
    # a statement cut short (Last_Error holds 1024 characters at most)
    ("Error 'Duplicate entry 'x' for key 'PRIMARY'' on query. Default database: 'shop'. "
     "Query: 'INSERT INTO t VALUES (1,'secret-but-cu",
     "Error 'Duplicate entry '?'' on query. Default database: 'shop'. Query: 'INSERT INTO t VALUES (?,? …'"),
    # the I/O thread: the account it logs in as
    ("error connecting to master 'repl@10.0.0.5:3306' - retry-time: 60 maximum-retries: 86400 message: "
     "Access denied for user 'repl'@'10.0.0.5' (using password: YES)",
     "error connecting to master '?' (using password: YES)"),
    ("", ""),
    ("error connecting to db-src-1", "error connecting to db-src-1"),
], ids=["statement", "row-event", "quoted-quote", "cut-short", "io-thread", "empty", "no-quotes"])
def test_replica_error_texts_of_each_server(raw: str, clean: str) -> None:
    assert scrub_replica_error(raw) == clean
    assert scrub_replica_error(clean) == clean  # the redactor's last line runs it again
    assert "secret" not in clean
