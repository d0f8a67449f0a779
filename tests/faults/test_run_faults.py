"""Faults during the run: missing privileges, the connection cut (mid-statement, mid-walk, mid-sampling), the
server killed, a statement over its time limit, a crowded processlist, hostile identifiers.

Each ends either with a complete archive that records what failed, or with exit 1 and one line of
cause — remedy; never a partial archive or a temp file, never a planted secret in any output.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import time
from collections.abc import Iterator
from typing import Any

import mysql.connector
import pytest

from tests.faults.conftest import PlantedFactory
from tests.faults.helpers import (
    FAST,
    Box,
    Planted,
    archive_of,
    assert_no_secrets,
    collectors_of,
    manifest_of,
    one_error_line,
    started,
)
from tests.faults.proxy import Proxy
from tests.helpers import read_archive
from tests.servers import MariaDBServer, quote

LOST = re.compile(r"^ps-prechecks: lost the connection to the server .*nothing was written — check that the server "
                  r"is up and reachable, then run again$")


def _outputs(result: Any) -> dict[str, str]:
    return {"stdout": result.stdout, "stderr": result.stderr}


def _samples(files: dict[str, bytes], name: str) -> str:
    return next(data.decode() for path, data in files.items() if path.startswith("ps_samples_") and
                path.endswith(f"/{name}"))


def test_a_normal_run_reaches_every_planted_secret_and_writes_none(shared: Planted, box: Box) -> None:
    """The control: each secret was where the tool reads (so its absence below means something)."""
    result = box.run([*shared.args(), *FAST, "-o", str(box.out), "--answers", str(box.answers)])
    archive = archive_of(result, box)
    box.assert_clean(archive)
    files = read_archive(archive)
    facts = json.loads(files["facts.json"])
    config = _samples(files, "mysql-config-file")
    assert "max_allowed_packet" in config and "password" in config  # the option file, its secrets removed
    commands = {g["value"]: g["count"] for g in facts["processlist"]["groups"]["command"]}
    assert commands.get("Query", 0) >= 1  # the planted query was running
    assert facts["workload"]["digests"]  # the planted query was digested
    assert "VIEW `planted_db`.`flagged`" in _samples(files, "mysqldump")  # its body held a literal
    assert box.drafts(), "the --answers draft was not saved"
    assert assert_no_secrets([box.root], shared.secrets, _outputs(result)) > len(files)


def test_usage_only_account_gets_an_archive_naming_each_skip(planted_server: PlantedFactory, box: Box) -> None:
    planted = planted_server(grants=())  # USAGE only
    result = box.run([*planted.args(), *FAST, "-o", str(box.out), "--answers", str(box.answers)])
    archive = archive_of(result, box)
    box.assert_clean(archive)
    manifest = manifest_of(archive)
    records = {r["name"]: r for r in manifest["collectors"]}
    account = f"'{planted.user}'@'%'"
    skipped = {name: r for name, r in records.items() if r["status"] != "ok"}
    assert {"processlist", "replication", "accounts", "innodb_status", "statement_digests"} <= set(skipped)
    for record in skipped.values():
        assert record["status"] == "skipped", record  # a missing privilege is a skip, never a failure
        need = re.fullmatch(r"needs (.+?) on (\S+) \(.+\)", record["reason"])
        if need:  # the collector and the missing privilege, and the GRANT that gives it
            assert record["remedy"] == f"GRANT {need[1]} ON {need[2]} TO {account};", record
        else:  # not a privilege: said why, no GRANT
            assert record["reason"] and "remedy" not in record, record
    # the preflight (also on stderr before the run) names each collector the account cannot run in full
    preflight = {item["collector"]: item["reason"] for item in manifest["preflight"]}
    assert set(preflight) >= {name for name, r in skipped.items() if "remedy" in r} | {"binary_logs"}
    for name, reason in preflight.items():
        record = records[name]
        if record["status"] == "skipped":
            assert record["reason"] == reason, (record, reason)
        else:  # runs, reads less: the reason says what is missing, the remedy grants it
            privilege = re.search(r"without (.+?) on ", reason)
            assert privilege and privilege[1] in record["reason"], (record, reason)
            assert record["remedy"].startswith(f"GRANT {privilege[1]} ON "), record
        assert f"{name}: preflight: " in result.stderr, name
    assert "Processlist (aggregated): skipped" in result.stderr
    assert_no_secrets([box.root], planted.secrets, _outputs(result))


def test_the_report_names_what_a_usage_only_account_reads_less_of(planted_server: PlantedFactory, box: Box) -> None:
    planted = planted_server(grants=(), sleeper=False)
    result = box.run([*planted.args(), *FAST, "-o", str(box.out)])
    archive = archive_of(result, box)
    files = read_archive(archive)
    record = collectors_of(archive)["binary_logs"]
    assert record["status"] == "ok" and record["remedy"].startswith("GRANT REPLICATION CLIENT ON *.*")
    report = next(data.decode() for name, data in files.items() if name.startswith("ps_report_"))
    assert "GRANT REPLICATION CLIENT ON *.*" in report


# --------------------------------------------------------------------------- the connection cut


@contextlib.contextmanager
def _proxy(server: MariaDBServer) -> Iterator[Proxy]:
    proxy = Proxy(server.host, server.port)
    try:
        yield proxy
    finally:
        proxy.close()


# the walk reads extra_1, extra_2, extra_3, planted_db; by the third the read-ahead session reads the next one
@pytest.mark.parametrize("statement", [b"SHOW GLOBAL VARIABLES", b"SHOW CREATE TABLE `extra_3`"],
                         ids=["variables", "walk"])
def test_connection_cut_mid_statement(shared: Planted, box: Box, statement: bytes) -> None:
    with _proxy(shared.server) as proxy:
        proxy.stall_on(statement)
        args = [f"--defaults-file={shared.client_file}", "--host=127.0.0.1", f"--port={proxy.port}", "--sleep=0.5",
                "-o", str(box.out), "--answers", str(box.answers)]
        with started(box, args) as cli:
            assert proxy.stalled.wait(60), f"the CLI never sent {statement!r}:\n{cli.stderr}"
            if statement.startswith(b"SHOW CREATE TABLE"):  # the schema walk: the read-ahead session is open too
                assert proxy.wait_connections(2), proxy.open_connections
            proxy.cut()
            result = cli.finish(60)
    line = one_error_line(result)
    assert LOST.match(line), line
    assert statement.decode().split(" `")[0] in line  # the statement it was waiting for
    box.assert_clean()
    assert_no_secrets([box.root], shared.secrets, _outputs(result))


@pytest.mark.parametrize("statement", [b"SHOW GLOBAL VARIABLES", b"SHOW CREATE TABLE `extra_3`"],
                         ids=["variables", "walk"])
def test_network_goes_silent_mid_statement(shared: Planted, box: Box, statement: bytes) -> None:
    """The peer stops answering without closing (a firewall drops the flow): the run ends at the client's
    read limit (--statement-timeout + 10 s) with the statement named, not at twice that, and writes nothing."""
    with _proxy(shared.server) as proxy:
        proxy.stall_on(statement)  # its answer never comes; the connection stays open
        args = [f"--defaults-file={shared.client_file}", "--host=127.0.0.1", f"--port={proxy.port}", "--sleep=0.5",
                "--statement-timeout=1", "-o", str(box.out), "--answers", str(box.answers)]
        with started(box, args) as cli:
            assert proxy.stalled.wait(60), f"the CLI never sent {statement!r}:\n{cli.stderr}"
            silent_from = time.monotonic()
            result = cli.finish(60)
            waited = time.monotonic() - silent_from
    line = one_error_line(result)
    assert LOST.match(line), line
    assert "sent nothing for 11 s during: " + statement.decode().split(" `")[0] in line, line
    assert 10 <= waited < 18, waited  # the read limit is 11 s; a second wait would make it 22 s
    box.assert_clean()
    assert_no_secrets([box.root], shared.secrets, _outputs(result))


def test_read_ahead_session_cut_mid_walk_the_walk_goes_on(shared: Planted, box: Box) -> None:
    """Only the second session is cut: the main session reads what it would have read ahead, and the run
    completes."""
    with _proxy(shared.server) as proxy:
        proxy.latency = 0.05  # a slow network: the walk takes seconds
        args = [f"--defaults-file={shared.client_file}", "--host=127.0.0.1", f"--port={proxy.port}", *FAST,
                "-o", str(box.out), "--answers", str(box.answers)]
        with started(box, args) as cli:
            assert proxy.wait_connections(2, timeout=60), cli.stderr
            proxy.cut_one(1)
            result = cli.finish(120)
    archive = archive_of(result, box)
    box.assert_clean(archive)
    records = collectors_of(archive)
    for name in ("table_sizes", "schema_inventory", "inventory", "technologies", "schema_ddl"):
        assert records[name]["status"] == "ok", records[name]
    # nothing was lost with the second session: the same inventory as a run without the cut
    facts = json.loads(read_archive(archive)["facts.json"])
    archive.unlink()
    again = box.run([*shared.args(), *FAST, "-o", str(box.out)])
    whole = json.loads(read_archive(archive_of(again, box))["facts.json"])

    def inventory(facts: dict[str, Any]) -> Any:
        counts = ("tables", "views", "routines", "triggers", "events")
        return ({s["name"]: tuple(s.get(k) for k in counts) for s in facts["schemas"]},
                sorted((t["schema"], t["name"], t.get("unique_key") is not None) for t in facts["tables"]),
                facts["schema_ddl"]["objects"])

    assert inventory(facts) == inventory(whole)
    assert set(inventory(facts)[0]) == {"planted_db", "extra_1", "extra_2", "extra_3"}
    assert_no_secrets([box.root], shared.secrets, _outputs(result))


def test_connection_cut_mid_sampling(shared: Planted, box: Box) -> None:
    with _proxy(shared.server) as proxy:
        args = [f"--defaults-file={shared.client_file}", "--host=127.0.0.1", f"--port={proxy.port}", "--sleep=6",
                "-o", str(box.out), "--answers", str(box.answers)]
        with started(box, args) as cli:
            cli.wait_for(r"status_sample: waiting")
            proxy.cut()
            result = cli.finish(60)
    line = one_error_line(result)
    assert LOST.match(line) and "SHOW GLOBAL STATUS" in line, line
    box.assert_clean()
    assert_no_secrets([box.root], shared.secrets, _outputs(result))


@pytest.mark.parametrize("when", ["mid-walk", "after-variables"])
def test_server_killed_mid_run(planted_server: PlantedFactory, box: Box, when: str) -> None:
    planted = planted_server()
    server = planted.server
    with _proxy(server) as proxy:
        port = proxy.port if when == "mid-walk" else server.port
        args = [f"--defaults-file={planted.client_file}", "--host=127.0.0.1", f"--port={port}", "--sleep=5",
                "-o", str(box.out), "--answers", str(box.answers)]
        with started(box, args) as cli:
            if when == "mid-walk":  # SHOW CREATE TABLE sent, no answer yet; the read-ahead session open
                proxy.stall_on(b"SHOW CREATE TABLE `extra_3`")
                assert proxy.stalled.wait(60), cli.stderr
            else:
                cli.wait_for(r"^\[ 2/\d+\] ")
            server.kill()  # SIGKILL
            assert server._proc.returncode == -signal.SIGKILL
            result = cli.finish(60)
    line = one_error_line(result)
    assert LOST.match(line), line
    box.assert_clean()
    assert_no_secrets([box.root], planted.secrets, _outputs(result))


# --------------------------------------------------------------------------- limits and load


def test_statement_over_its_limit_fails_one_collector_and_the_run_goes_on(shared: Planted, box: Box) -> None:
    # a write lock on the accounts table: the accounts collector's SELECT waits, and the server stops it
    # at --statement-timeout (max_statement_time), long before lock_wait_timeout
    with contextlib.closing(shared.server.connect()) as holder, holder.cursor() as cursor:
        cursor.execute("LOCK TABLES mysql.global_priv WRITE")
        try:
            result = box.run([*shared.args(), *FAST, "--statement-timeout=1", "-o", str(box.out),
                              "--answers", str(box.answers)])
        finally:
            cursor.execute("UNLOCK TABLES")
    archive = archive_of(result, box)
    box.assert_clean(archive)
    records = collectors_of(archive)
    assert records["accounts"]["status"] == "failed", records["accounts"]
    assert records["accounts"]["reason"] == "a statement hit the per-statement time limit (errno 1969)"
    assert "Accounts (counts only, never names): FAILED" in result.stderr
    # the others ran, before and after it
    others = {name: r["status"] for name, r in records.items() if name != "accounts"}
    assert all(status in ("ok", "skipped") for status in others.values()), others
    assert others["plugins"] == others["status_sample"] == others["statement_digests"] == "ok"
    facts = json.loads(read_archive(archive)["facts.json"])
    assert "accounts" not in facts and facts["collection"]["statement_timeout_seconds"] == 1.0
    assert_no_secrets([box.root], shared.secrets, _outputs(result))


def test_a_thousand_idle_connections(planted_server: PlantedFactory, box: Box) -> None:
    planted = planted_server(extra_options={"max_connections": "1200"})
    server = planted.server
    server.create_user("idle_app", "Idle-App-pw-1")
    idle: list[Any] = []
    try:
        for _ in range(1000):
            idle.append(mysql.connector.connect(host=server.host, port=server.port, user="idle_app",
                                                password="Idle-App-pw-1", use_pure=True))
        result = box.run([*planted.args(), *FAST, "-o", str(box.out), "--answers", str(box.answers)])
        still_open = int(server.admin("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'idle_app'")
                         [0][0])
    finally:
        for connection in idle:
            with contextlib.suppress(Exception):
                connection.close()
    assert still_open == 1000
    archive = archive_of(result, box)
    box.assert_clean(archive)
    facts = json.loads(read_archive(archive)["facts.json"])
    processlist = facts["processlist"]
    assert processlist["total"] >= 1001  # the idle ones and the planted query
    users = {g["value"]: g for g in processlist["groups"]["user"]}
    assert users["idle_app"]["count"] == 1000 and users["idle_app"]["working"] == 0
    commands = {g["value"]: g["count"] for g in processlist["groups"]["command"]}
    assert commands["Sleep"] >= 1000
    assert all(r["status"] != "failed" for r in collectors_of(archive).values())
    assert_no_secrets([box.root], planted.secrets, _outputs(result))


# --------------------------------------------------------------------------- hostile identifiers

SCHEMAS = ["sales data", "we`ird", "select", "café ☕", "数据"]


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def test_identifiers_with_spaces_backticks_reserved_words_and_non_ascii(planted_server: PlantedFactory,
                                                                       box: Box) -> None:
    planted = planted_server(schemas=1)
    s = SCHEMAS
    # (schema, table, DDL): no key, a FLOAT key, MyISAM, non-ASCII names, every kind of awkward name
    tables = [
        (s[0], "order items", "(`unit price` DECIMAL(10,2), `note` TEXT)"),
        (s[1], "ta`ble", "(`co``l` INT)"),
        (s[2], "from", "(`where` FLOAT NOT NULL PRIMARY KEY, `group` INT)"),
        (s[3], "tablé", "(`prix_é` INT NOT NULL PRIMARY KEY) ENGINE=MyISAM"),
        (s[4], "表", "(`列` INT, `id` INT NOT NULL PRIMARY KEY)"),
        (s[0], "o'brien \"quoted\"", "(id INT NOT NULL PRIMARY KEY, `back\\slash` INT)"),
        (s[2], "order", "(`key` INT)"),
    ]
    statements = [f"CREATE DATABASE {_q(name)} CHARACTER SET utf8mb4" for name in s]
    statements += [f"CREATE TABLE {_q(schema)}.{_q(table)} {ddl}" for schema, table, ddl in tables]
    statements.append(f"CREATE VIEW {_q(s[3])}.{_q('vue ☕')} AS SELECT 1 AS {_q('ç')}")
    planted.server._execute(statements)
    for schema, table, _ in tables:  # the names as the server spells them
        assert planted.server.admin("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
                                    " AND TABLE_NAME = %s", (schema, table)) == [(1,)], (schema, table)

    result = box.run([*planted.args(), *FAST, "-o", str(box.out), "--answers", str(box.answers)])
    archive = archive_of(result, box)
    box.assert_clean(archive)
    files = read_archive(archive)
    checks = {c["id"]: c for c in json.loads(files["readiness.json"])["checks"]}

    assert set(checks["unique_key"]["objects"]) == {
        f"{s[0]}.order items", f"{s[1]}.ta`ble", f"{s[2]}.order"}, checks["unique_key"]
    assert checks["float_primary_key"]["objects"] == [f"{s[2]}.from.where"], checks["float_primary_key"]
    assert checks["storage_engine"]["objects"] == [f"{s[3]}.tablé"], checks["storage_engine"]
    assert set(checks["non_ascii_identifiers"]["objects"]) == {
        s[3], f"{s[3]}.tablé", f"{s[3]}.tablé.prix_é", f"{s[3]}.vue ☕", s[4], f"{s[4]}.表", f"{s[4]}.表.列",
        # ASCII table names with a space, a backtick or quotes fail the import too (issue 15)
        f"{s[0]}.order items", f"{s[1]}.ta`ble", f"{s[0]}.o'brien \"quoted\"",
    }, checks["non_ascii_identifiers"]
    assert f"{s[3]}.vue ☕" in checks["views"]["objects"]
    # every table is in facts.json, named exactly; and the DDL sample quotes every name right
    facts = json.loads(files["facts.json"])
    listed = {(t["schema"], t["name"]) for t in facts["tables"]}
    assert {(schema, table) for schema, table, _ in tables} <= listed
    dump = _samples(files, "mysqldump")
    for _schema, table, _ in tables:
        assert f"CREATE TABLE {_q(table)}" in dump, table
    assert all(r["status"] != "failed" for r in collectors_of(archive).values())
    assert_no_secrets([box.root], planted.secrets, _outputs(result))
    # the run's own log lines name them too, undamaged
    assert quote(s[0]) not in result.stderr  # no SQL quoting leaks into progress
