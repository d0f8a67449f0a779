"""Our real collectors, report and CLI on MySQL-8-only paths, against the protocol-level stand-in.

The stand-in (tests/standin/) answers result sets captured from real servers; it is NOT a MySQL.
These tests check what we *send* (``standin.statements``: the version-appropriate replication and
binlog statements, the session safety statements, nothing the stand-in cannot answer) and what we
make of the answers (facts, report, archive).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from collectors.connection import ConnectionSpec
from collectors.registry import ALL_COLLECTORS
from collectors.runner import RunResult
from prechecks.collection import RunOptions, collect
from prechecks.derive import derive
from prechecks.report import SECTIONS, render_report
from tests.helpers import archive_json, read_archive, run_cli
from tests.standin.mysql8 import MySQLStandIn
from tests.standin.profiles import (
    PROFILE_NAMES,
    REPLICA_STATUS_COLUMNS_80,
    SECRET_LITERAL,
    ResultSetData,
    ServerError,
    get_profile,
)

pytestmark = pytest.mark.mysql8

REPLICA_STATUS_NAMES = ("SHOW REPLICA STATUS", "SHOW SLAVE STATUS")
REPLICAS_NAMES = ("SHOW REPLICAS", "SHOW SLAVE HOSTS")
BINLOG_STATUS_NAMES = ("SHOW BINARY LOG STATUS", "SHOW MASTER STATUS")
REMOVED_IN_84 = ("SHOW SLAVE STATUS", "SHOW SLAVE HOSTS", "SHOW MASTER STATUS")
SAFETY_STATEMENTS = (
    "SET SESSION TRANSACTION READ ONLY",
    "SET SESSION MAX_EXECUTION_TIME = 5000, LOCK_WAIT_TIMEOUT = 5",
)
NOT_A_REPLICA = "Is not a replica, has 1 replicas connected"
# the Replication line of the report for each profile
REPLICATION_LINE = dict.fromkeys(PROFILE_NAMES, NOT_A_REPLICA) | {
    "mysql-8.0-replica": "Is a replica of db-1.internal:3306 (IO Yes, SQL Yes, 0 s behind)",
}


# ---------------------------------------------------------------- helpers


def norm(sql: str) -> str:
    return " ".join(sql.split()).rstrip(";").upper()


def sent(standin: MySQLStandIn) -> list[str]:
    return [norm(s) for s in standin.statements]


def first_of(statements: list[str], names: tuple[str, ...]) -> str:
    return next(s for s in statements if s in names)


def run(standin: MySQLStandIn, **spec: Any) -> RunResult:
    connection = ConnectionSpec(host=standin.host, port=standin.port, user=standin.user,
                                password=standin.password, **spec)
    return collect(connection, RunOptions(sleep=0.1))


def statuses(result: RunResult) -> dict[str, tuple[str, str]]:
    return {r.name: (r.status, r.reason) for r in result.results}


def assert_every_collector_accounted_for(result: RunResult) -> None:
    recorded = statuses(result)
    assert set(recorded) == {c.name for c in ALL_COLLECTORS}
    for name, (status, reason) in recorded.items():
        assert status == "ok" or reason, f"{name} ended {status} without a reason"
        assert "internal error" not in reason, f"{name}: {reason}"


def replication_line(report: str) -> str:
    match = re.search(r"^\s*Replication \| (.*)$", report, re.M)
    assert match, "no Replication line in the report"
    return match.group(1)


# ---------------------------------------------------------------- MySQL 8.4


def test_mysql_84_sends_only_the_new_statement_names(mysql_standin) -> None:
    standin = mysql_standin("mysql-8.4")
    result = run(standin)
    statements = sent(standin)
    for name in ("SHOW REPLICA STATUS", "SHOW REPLICAS", "SHOW BINARY LOG STATUS"):
        assert name in statements
    for removed in REMOVED_IN_84:
        assert removed not in statements, f"{removed} was removed in MySQL 8.4 and must not be sent"
    # the session is made safe before the first collector statement
    first_show = next(i for i, s in enumerate(statements) if s.startswith("SHOW"))
    for safety in SAFETY_STATEMENTS:
        assert safety in statements[:first_show], safety
    assert all(s.split(" ", 1)[0] in ("SELECT", "SHOW", "SET") for s in statements), "only read statements"
    assert result.facts["collection"]["safety_notes"] == []
    assert_every_collector_accounted_for(result)
    assert standin.errors == [] and standin.unknown == [] and standin.unsupported == []

    facts = result.facts
    assert facts["server"]["flavor"] == "mysql"
    assert facts["server"]["version_tuple"][:2] == [8, 4]
    assert facts["replication"]["statements"] == {"replica_status": "SHOW REPLICA STATUS",
                                                   "replicas": "SHOW REPLICAS"}
    binlog = facts["binlog"]
    assert binlog["gtid_mode"] == "ON" and binlog["enforce_gtid_consistency"] == "ON"
    assert binlog["status_statement"] == "SHOW BINARY LOG STATUS"
    assert binlog["current"]["gtid_executed"] == standin.profile.variables["gtid_executed"]
    # 8.4 removed expire_logs_days: retention comes from binlog_expire_logs_seconds alone
    assert binlog["expire_seconds"] == 2592000
    # 8.4 removed have_ssl; the TLS context in use (Current_tls_*) still says the server offers TLS
    assert "have_ssl" not in facts["variables"]
    assert facts["technologies"]["ssl"]["value"] is True
    assert "Current_tls_cert" in facts["technologies"]["ssl"]["evidence"]


def test_statement_limit_follows_the_option(mysql_standin) -> None:
    standin = mysql_standin("mysql-8.4")
    result = run(standin, statement_timeout=2.5)
    assert "SET SESSION MAX_EXECUTION_TIME = 2500, LOCK_WAIT_TIMEOUT = 5" in sent(standin)
    assert result.facts["collection"]["statement_timeout_seconds"] == 2.5


# ---------------------------------------------------------------- MySQL 5.7


def test_mysql_57_sends_the_old_names_first(mysql_standin) -> None:
    standin = mysql_standin("mysql-5.7")
    result = run(standin)
    statements = sent(standin)
    assert first_of(statements, REPLICA_STATUS_NAMES) == "SHOW SLAVE STATUS"
    assert first_of(statements, REPLICAS_NAMES) == "SHOW SLAVE HOSTS"
    assert first_of(statements, BINLOG_STATUS_NAMES) == "SHOW MASTER STATUS"
    # the old names answer, so the new ones (a syntax error on 5.7) are never tried
    for new in ("SHOW REPLICA STATUS", "SHOW REPLICAS", "SHOW BINARY LOG STATUS"):
        assert new not in statements
    assert "SET SESSION MAX_EXECUTION_TIME = 5000, LOCK_WAIT_TIMEOUT = 5" in statements  # 5.7.8+ have it
    assert_every_collector_accounted_for(result)
    assert standin.errors == [] and standin.unknown == []

    facts = result.facts
    assert facts["server"]["version_tuple"] == [5, 7, 44]
    assert facts["replication"]["statements"] == {"replica_status": "SHOW SLAVE STATUS",
                                                   "replicas": "SHOW SLAVE HOSTS"}
    assert facts["replication"]["role"] == "primary"
    assert facts["replication"]["replicas"] == [{"server_id": 12346, "host": "127.0.0.1", "port": 12346}]
    assert facts["binlog"]["status_statement"] == "SHOW MASTER STATUS"
    assert facts["binlog"]["expire_seconds"] == 7 * 86400  # expire_logs_days = 7
    assert facts["binlog"]["gtid_mode"] == "OFF"


# ---------------------------------------------------------------- Percona Server 8.0.32 (captured)


def test_percona_8032_replicas_binlog_and_processlist(mysql_standin) -> None:
    standin = mysql_standin("percona-8.0.32")
    result = run(standin)
    statements = sent(standin)
    assert first_of(statements, REPLICA_STATUS_NAMES) == "SHOW REPLICA STATUS"  # 8.0.22+
    assert first_of(statements, REPLICAS_NAMES) == "SHOW REPLICAS"
    # SHOW BINARY LOG STATUS arrived in 8.2: 8.0.32 is asked SHOW MASTER STATUS, and only that
    assert first_of(statements, BINLOG_STATUS_NAMES) == "SHOW MASTER STATUS"
    assert "SHOW BINARY LOG STATUS" not in statements
    assert_every_collector_accounted_for(result)
    assert standin.errors == [] and standin.unknown == []

    facts = result.facts
    assert facts["server"]["flavor"] == "percona"
    assert facts["server"]["version_tuple"] == [8, 0, 32]
    replication = facts["replication"]
    assert replication["replicas"] == [{"server_id": 12346, "host": "127.0.0.1", "port": 12346}]
    assert replication["binlog_dump_threads"] == 1
    assert replication["replica_count"] == 1
    assert replication["role"] == "primary" and replication["is_replica"] is False
    assert facts["binlog"]["current"] == {"file": "mysql-bin.000002", "position": 3445236, "gtid_executed": ""}

    processlist = facts["processlist"]
    assert processlist["total"] == len(standin.profile.processlist.rows)
    assert set(processlist["groups"]) == {"command", "user", "host", "db", "state"}
    commands = {g["value"]: g["count"] for g in processlist["groups"]["command"]}
    assert commands["Binlog Dump"] == 1 and commands["Query"] == 2
    hosts = {g["value"] for g in processlist["groups"]["host"]}
    assert "10.0.0.7" in hosts and not any(":" in h for h in hosts)  # ports stripped
    # the query text (and the literal in it) never reaches the facts or the report
    assert not any("INFO" in s.split(" FROM ")[0] for s in statements if "PROCESSLIST" in s)
    assert SECRET_LITERAL not in json.dumps(facts)
    assert SECRET_LITERAL not in render_report(derive(facts))


def test_cli_archive_from_percona_has_no_query_text_or_password(mysql_standin, tmp_path: Path) -> None:
    standin = mysql_standin("percona-8.0.32")
    out = tmp_path / "out"
    out.mkdir()
    args = [f"--host={standin.host}", f"--port={standin.port}", f"--user={standin.user}", "--sleep=0.2",
            f"--output={out}"]
    assert not any(standin.password in a for a in args)  # the password travels in MYSQL_PWD only
    proc = run_cli(args, password=standin.password, env={"HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert standin.password not in proc.stdout + proc.stderr
    archive = Path(proc.stdout.strip().splitlines()[-1])
    assert archive.parent == out and archive.name.startswith("ps_archive_") and archive.is_file()
    files = read_archive(archive)
    for name, data in files.items():
        assert SECRET_LITERAL.encode() not in data, f"query text leaked into {name}"
        assert standin.password.encode() not in data, f"the password leaked into {name}"
    facts = archive_json(files, "facts.json")
    assert facts["server"]["flavor"] == "percona"
    assert facts["replication"]["role"] == "primary"
    names = {Path(n).name for n in files}
    assert {"facts.json", "manifest.json", "mysql-processlist", "mysql-master-status", "mysqldump"} <= names
    manifest = archive_json(files, "manifest.json")
    for record in manifest["collectors"]:
        assert record["status"] == "ok" or record["reason"], record
    assert standin.unknown == []


# ---------------------------------------------------------------- MySQL 8.0 replica


def test_mysql_80_replica_reads_the_new_column_names(mysql_standin) -> None:
    standin = mysql_standin("mysql-8.0-replica")
    result = run(standin)
    statements = sent(standin)
    assert first_of(statements, REPLICA_STATUS_NAMES) == "SHOW REPLICA STATUS"
    assert "SHOW SLAVE STATUS" not in statements
    assert_every_collector_accounted_for(result)
    assert standin.unknown == []
    replication = result.facts["replication"]
    assert replication["role"] == "replica" and replication["is_replica"] is True
    assert replication["replica_count"] == 0
    assert replication["sources"] == [{
        "channel": "", "source_host": "db-1.internal", "source_port": 3306, "io_running": "Yes",
        "sql_running": "Yes", "seconds_behind": 0, "using_gtid": "1", "last_error": "",
    }]
    assert replication_line(render_report(derive(result.facts))) == REPLICATION_LINE["mysql-8.0-replica"]


def _replica_with_channels() -> Any:
    """The replica profile with two channels, lagging and broken, answering only the new names."""
    profile = get_profile("mysql-8.0-replica")
    (base,) = profile.responses["SHOW REPLICA STATUS"].rows  # type: ignore[union-attr]
    col = {c: i for i, c in enumerate(REPLICA_STATUS_COLUMNS_80)}

    def channel(name: str, host: str, lag: int | None, sql_running: str, error: str) -> tuple[object, ...]:
        row = list(base)
        row[col["Channel_Name"]], row[col["Source_Host"]] = name, host
        row[col["Seconds_Behind_Source"]], row[col["Replica_SQL_Running"]] = lag, sql_running
        row[col["Last_Error"]] = error
        return tuple(row)

    profile.responses["SHOW REPLICA STATUS"] = ResultSetData(REPLICA_STATUS_COLUMNS_80, (
        channel("orders", "db-1.internal", 42, "Yes", ""),
        channel("audit", "db-9.internal", None, "No", "Error 'Duplicate entry '7' for key 'PRIMARY'' on query. "
                "Default database: 'audit'. Query: 'INSERT INTO log VALUES (7, 'x')'"),
    ))  # fmt: skip
    return profile


def test_replica_channels_lag_and_errors(mysql_standin) -> None:
    standin = mysql_standin(_replica_with_channels())
    result = run(standin)
    sources = result.facts["replication"]["sources"]
    assert [(s["channel"], s["source_host"], s["seconds_behind"], s["sql_running"]) for s in sources] == [
        ("orders", "db-1.internal", 42, "Yes"), ("audit", "db-9.internal", None, "No")]
    assert sources[1]["last_error"] == ("Error 'Duplicate entry '?'' on query. Default database: 'audit'. "
                                        "Query: 'INSERT INTO `log` VALUES (?, ?)'")  # the row's values removed
    line = replication_line(render_report(derive(result.facts)))
    assert line == ("Is a replica of db-1.internal:3306 (channel orders) (IO Yes, SQL Yes, 42 s behind); "
                    "db-9.internal:3306 (channel audit) (IO Yes, SQL No, lag unknown)")


# ---------------------------------------------------------------- platforms


@pytest.mark.parametrize(("name", "platform", "flavor"), [
    ("aurora-mysql-3", "aurora", "aurora"),
    ("rds-mysql-8.0", "rds", "mysql"),
    ("cloudsql-mysql-8.0", "cloudsql", "mysql"),
    ("azure-mysql-8.0", "azure", "mysql"),
    ("percona-8.0.32", "self-managed", "percona"),
    ("mysql-8.4", "self-managed", "mysql"),
])  # fmt: skip
def test_platform_detection(mysql_standin, name: str, platform: str, flavor: str) -> None:
    standin = mysql_standin(name)
    server = run(standin).facts["server"]
    assert (server["platform"], server["flavor"]) == (platform, flavor)
    assert server["platform_evidence"] and all(isinstance(e, str) and e for e in server["platform_evidence"])
    assert server["version"] == standin.profile.version


# ---------------------------------------------------------------- every profile: full run and report


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_full_run_and_report(mysql_standin, name: str) -> None:
    standin = mysql_standin(name)
    result = run(standin)
    assert_every_collector_accounted_for(result)
    # everything we send, the stand-in can answer: no unknown statement, no query it could not run
    assert standin.unknown == []
    assert standin.unsupported == []
    assert standin.errors == []
    assert result.facts["schema_ddl"]["objects"] > 0 and result.facts["schema_ddl"]["unreadable"] == {}
    report = render_report(derive(result.facts))
    for title, _section in SECTIONS:
        assert re.search(rf"^## {re.escape(title)}", report, re.M), f"section {title!r} missing"
    assert "internal error" not in report
    assert "Could not render" not in report
    assert SECRET_LITERAL not in report
    assert replication_line(report) == REPLICATION_LINE[name]


# ---------------------------------------------------------------- what the server does not know


def test_unknown_statement_skips_one_collector_and_the_run_goes_on(mysql_standin) -> None:
    profile = get_profile("mysql-8.4")
    del profile.responses["SHOW BINARY LOGS"], profile.responses["SHOW MASTER LOGS"]
    standin = mysql_standin(profile)
    result = run(standin)
    assert standin.unknown == ["SHOW BINARY LOGS"]
    recorded = statuses(result)
    status, reason = recorded["binary_logs"]
    assert status == "skipped" and "not supported by this server (errno 1064" in reason
    expected_not_ok = ("binary_logs", "config_file", "rds_configuration")
    assert all(s == "ok" for n, (s, _r) in recorded.items() if n not in expected_not_ok)
    assert "binlog" not in result.facts
    report = render_report(derive(result.facts))
    assert "Not collected: skipped — not supported by this server (errno 1064" in report
    assert "internal error" not in report


def test_no_replica_status_statement_at_all(mysql_standin) -> None:
    profile = get_profile("mysql-8.0-replica")
    del profile.responses["SHOW REPLICA STATUS"], profile.responses["SHOW SLAVE STATUS"]
    standin = mysql_standin(profile)
    result = run(standin)
    assert standin.unknown == ["SHOW REPLICA STATUS", "SHOW SLAVE STATUS"]  # new name first, then the old
    status, reason = statuses(result)["replication"]
    assert status == "skipped" and "errno 1064" in reason
    assert statuses(result)["status_sample"][0] == "ok"
    assert replication_line(render_report(derive(result.facts))).startswith("(not collected: skipped")


def test_show_replicas_denied_degrades_and_names_the_privilege(mysql_standin) -> None:
    profile = get_profile("mysql-8.4")
    profile.responses["SHOW REPLICAS"] = ServerError(
        1227, "Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s) for this operation")
    standin = mysql_standin(profile)
    result = run(standin)
    assert "SHOW SLAVE HOSTS" not in sent(standin)  # a privilege error is not a reason to try the old name
    status, reason = statuses(result)["replication"]
    assert status == "ok" and "errno 1227" in reason and "REPLICATION SLAVE" in reason
    replication = result.facts["replication"]
    assert replication["replicas"] == [] and replication["replica_count"] == 1  # from the Binlog Dump thread
    assert replication["role"] == "primary"


def test_replica_count_unknown_when_neither_source_is_visible(mysql_standin) -> None:
    profile = get_profile("mysql-8.4")
    profile.grants = ["GRANT SELECT, SHOW VIEW, REPLICATION CLIENT ON *.* TO `root`@`%`"]  # no PROCESS
    profile.responses["SHOW REPLICAS"] = ServerError(
        1227, "Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s) for this operation")
    standin = mysql_standin(profile)
    result = run(standin)
    assert statuses(result)["processlist"][0] == "skipped"
    replication = result.facts["replication"]
    assert replication["binlog_dump_threads"] is None
    assert replication["replica_count"] is None  # not seen, so not 0
    assert replication_line(render_report(derive(result.facts))) == "Is not a replica, replicas connected unknown"


def test_privileges_through_a_role_do_not_skip_collectors(mysql_standin) -> None:
    profile = get_profile("mysql-8.4")
    profile.grants = ["GRANT USAGE ON *.* TO `root`@`%`", "GRANT `monitoring`@`%` TO `root`@`%`"]
    standin = mysql_standin(profile)
    recorded = statuses(run(standin))
    assert recorded["processlist"][0] == "ok"
    assert recorded["replication"][0] == "ok"
