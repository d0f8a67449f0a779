"""The collection engine against real MariaDB servers: safety, preflight, runner, collectors."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mysql.connector import errors as mysql_errors

from collectors.base import Collector, Context, Requirement, Skip
from collectors.connection import CancelToken, ConnectionFailed, open_session
from collectors.registry import ALL_COLLECTORS, collectors_for
from collectors.runner import ProgressEvent, RunAborted, Runner, check_needs
from prechecks.collection import RunOptions, collect, new_facts
from prechecks.derive import derive, since_start_sample, workload_rates
from tests.helpers import REPO, spec_for

FACTS_DOC = (REPO / "docs" / "facts.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- conformance


@pytest.mark.parametrize("collector", ALL_COLLECTORS, ids=lambda c: c.name)
def test_every_collector_is_declared_completely(collector: Collector) -> None:
    assert collector.name.isidentifier() and collector.name == collector.name.lower()
    assert collector.title and collector.reads and collector.writes
    assert 0 < collector.expected_seconds <= collector.budget_seconds
    for key in collector.writes:
        top = key.split(".")[0]
        assert f"`{top}" in FACTS_DOC, f"{collector.name} writes {key!r}, which docs/facts.md does not document"
    for requirement in collector.requires:
        assert requirement.grant("'u'@'%'").startswith(f"GRANT {requirement.privilege} ON ")


def test_collector_names_are_unique() -> None:
    names = [c.name for c in ALL_COLLECTORS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("chosen", [ALL_COLLECTORS, collectors_for(0.5, schema_ddl_budget=5.0)],
                         ids=["registry", "collectors_for"])
def test_every_need_is_registered_before_its_user(chosen: tuple[Collector, ...] | list[Collector]) -> None:
    names = [c.name for c in chosen]
    declared = [(c.name, need) for c in chosen for need in c.needs]
    assert ("status_sample", "status") in declared and ("config_file", "variables") in declared
    for user, need in declared:
        assert need in names, f"{user} needs {need}, which is not a registered collector"
        assert names.index(need) < names.index(user), f"{user} needs {need}, which is registered after it"
    check_needs(chosen)  # what the runner checks when it starts


def test_a_need_listed_after_its_user_is_refused() -> None:
    first = Collector("first", "First", ("-",), ("a",), lambda ctx: None)
    second = Collector("second", "Second", ("-",), ("b",), lambda ctx: None, needs=("first",))
    check_needs([first, second])
    check_needs([second])  # not listed at all: the run skips it when it gets there
    with pytest.raises(ValueError, match="collector second needs first, which is listed after it: list first first"):
        check_needs([second, first])


def test_a_collector_whose_need_did_not_run_is_skipped_naming_it(mariadb) -> None:
    ran: list[str] = []

    def skipped(ctx: Context) -> None:
        raise Skip("planted reason")

    def fine(ctx: Context) -> None:
        ran.append("fine")
        ctx.facts["fine"] = True

    def after(ctx: Context) -> None:
        ran.append("after")

    chosen = [Collector("first", "First", ("-",), ("a",), skipped),
              Collector("fine", "Fine", ("-",), ("fine",), fine),
              Collector("after_first", "After first", ("-",), ("b",), after, needs=("first",)),
              Collector("after_fine", "After fine", ("-",), ("c",), after, needs=("fine",)),
              Collector("after_absent", "After absent", ("-",), ("d",), after, needs=("absent",))]
    with open_session(spec_for(mariadb)) as session:
        result = Runner(session, chosen, {}).run()
    outcome = {r.name: (r.status, r.reason) for r in result.results}
    assert outcome["after_first"] == ("skipped", "needs the first collector, which was skipped (planted reason)")
    assert outcome["after_fine"] == ("ok", "")
    assert outcome["after_absent"] == ("skipped", "needs the absent collector, which is not part of this run")
    assert ran == ["fine", "after"]  # only the one whose need ran


def test_full_run_writes_every_declared_key(mariadb) -> None:
    result = collect(spec_for(mariadb), RunOptions(sleep=0.2))
    statuses = {r.name: r for r in result.results}
    assert set(statuses) == {c.name for c in ALL_COLLECTORS}
    for collector in ALL_COLLECTORS:
        if statuses[collector.name].status != "ok":
            assert statuses[collector.name].reason, f"{collector.name} not ok without a reason"
            continue
        for key in collector.writes:
            node: Any = result.facts
            for part in key.split("."):
                assert part in node, f"{collector.name} declared {key} but did not write it"
                node = node[part]
    # on this server only the option file is out of reach (started with --no-defaults), and the
    # RDS configuration does not apply
    assert [r.name for r in result.results if r.status != "ok"] == ["rds_configuration", "config_file"]
    assert "only on Amazon RDS and Aurora" in statuses["rds_configuration"].reason
    assert "--no-defaults" in statuses["config_file"].reason


# ---------------------------------------------------------------- safety


def test_session_is_read_only_and_time_bounded(mariadb) -> None:
    mariadb.admin("CREATE DATABASE IF NOT EXISTS safety")
    mariadb.admin("CREATE TABLE IF NOT EXISTS safety.t (id INT PRIMARY KEY)")
    with open_session(spec_for(mariadb, statement_timeout=2.5)) as session:
        assert session.scalar("SELECT @@session.tx_read_only") == 1
        assert float(session.scalar("SELECT @@session.max_statement_time")) == pytest.approx(2.5)
        assert int(session.scalar("SELECT @@session.lock_wait_timeout")) == 5
        with pytest.raises(mysql_errors.Error) as caught:
            session.query("INSERT INTO safety.t VALUES (1)")
        assert caught.value.errno == 1792  # cannot execute statement in a READ ONLY transaction
        assert session.safety_notes == []
    assert mariadb.admin("SELECT COUNT(*) FROM safety.t") == [(0,)]


def test_statement_limit_degrades_one_collector_and_the_run_goes_on(mariadb) -> None:
    def slow(ctx: Context) -> None:
        ctx.query("SELECT COUNT(*) FROM information_schema.COLUMNS a, information_schema.COLUMNS b,"
                  " information_schema.COLUMNS c")

    def quick(ctx: Context) -> None:
        ctx.facts["quick"] = ctx.session.scalar("SELECT 1")

    collectors = [
        Collector("slow_one", "Slow", ("a cross join",), ("slow",), slow, expected_seconds=1),
        Collector("quick_one", "Quick", ("SELECT 1",), ("quick",), quick),
    ]
    with open_session(spec_for(mariadb, statement_timeout=0.5)) as session:
        started = time.monotonic()
        result = Runner(session, collectors, {}).run()
        elapsed = time.monotonic() - started
    by_name = {r.name: r for r in result.results}
    assert by_name["slow_one"].status == "failed"
    assert "time limit" in by_name["slow_one"].reason
    assert by_name["quick_one"].status == "ok" and result.facts["quick"] == 1
    assert elapsed < 5


def test_password_never_in_repr_or_failure(mariadb) -> None:
    spec = spec_for(mariadb, user="root", password="Wr0ng-planted-pw")
    assert "Wr0ng-planted-pw" not in repr(spec)
    with pytest.raises(ConnectionFailed) as caught:
        open_session(spec)
    assert caught.value.problem.cause == "access_denied"
    assert "Wr0ng-planted-pw" not in str(caught.value)
    assert "Wr0ng-planted-pw" not in caught.value.problem.remedy


# ---------------------------------------------------------------- privileges


def test_usage_only_account_skips_with_grants_and_completes(mariadb) -> None:
    mariadb.create_user("usage_only", "usage-pw-1", [])
    result = collect(spec_for(mariadb, user="usage_only", password="usage-pw-1"), RunOptions(sleep=0.1))
    by_name = {r.name: r for r in result.results}
    assert by_name["processlist"].status == "skipped"
    assert "PROCESS" in by_name["processlist"].reason
    assert by_name["processlist"].remedy == "GRANT PROCESS ON *.* TO 'usage_only'@'%';"
    assert by_name["replication"].status == "skipped"
    # MariaDB 10.5.9+ moved SHOW SLAVE STATUS to SLAVE MONITOR
    assert by_name["replication"].remedy == "GRANT SLAVE MONITOR ON *.* TO 'usage_only'@'%';"
    assert by_name["variables"].status == "ok" and by_name["status_sample"].status == "ok"
    # binlog settings still come from the variables; the file list needs the privilege
    assert result.facts["binlog"]["format"] == "ROW"
    assert "REPLICATION CLIENT" in by_name["binary_logs"].reason
    assert "processlist" not in result.facts


def test_preflight_grants_are_exactly_what_the_server_wants(mariadb) -> None:
    """Granting what preflight prints makes every collector it named run: it agrees with the server."""
    mariadb.create_user("granted", "granted-pw-1", [])
    spec = spec_for(mariadb, user="granted", password="granted-pw-1")
    first = collect(spec, RunOptions(sleep=0.1))
    named = {item.collector for item in first.preflight}
    assert {"processlist", "replication", "binary_logs"} <= named
    grants = {g for item in first.preflight for g in item.grant_statements("'granted'@'%'")}
    for grant in sorted(grants):
        mariadb.admin(grant)
    second = collect(spec, RunOptions(sleep=0.1))
    by_name = {r.name: r for r in second.results}
    assert second.preflight == []
    for name in named:
        assert by_name[name].status == "ok", (name, by_name[name].reason)
    assert by_name["binary_logs"].status == "ok" and by_name["binary_logs"].reason == ""


# ---------------------------------------------------------------- runner


def test_progress_events_and_eta(mariadb) -> None:
    events: list[ProgressEvent] = []
    collect(spec_for(mariadb), RunOptions(sleep=0.3), progress=events.append)
    kinds = [e.kind for e in events if e.kind != "log"]
    assert kinds.count("started") == len(ALL_COLLECTORS)
    assert kinds.count("started") == sum(kinds.count(k) for k in ("finished", "skipped", "failed"))
    fractions = [e.fraction for e in events if e.kind in ("finished", "skipped", "failed")]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert any(e.eta_seconds is not None for e in events)


def test_cancel_takes_effect_within_a_second(mariadb) -> None:
    cancel = CancelToken()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            collect(spec_for(mariadb), RunOptions(sleep=30), cancel=cancel)
        except RunAborted as exc:
            outcome["aborted"] = exc
            outcome["at"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(1.0)  # well inside the 30 s sampling wait
    asked = time.monotonic()
    cancel.cancel()
    thread.join(5)
    assert not thread.is_alive()
    assert outcome["aborted"].cancelled
    assert outcome["at"] - asked < 1.0


def test_cancel_interrupts_a_running_statement(mariadb) -> None:
    def sleeper(ctx: Context) -> None:
        ctx.query("SELECT SLEEP(4)")

    cancel = CancelToken()
    with open_session(spec_for(mariadb, statement_timeout=10), cancel) as session:
        runner = Runner(session, [Collector("sleeper", "Sleeper", ("SLEEP",), ("x",), sleeper)], {},
                        cancel=cancel)
        timer = threading.Timer(0.5, cancel.cancel)
        timer.start()
        started = time.monotonic()
        with pytest.raises(RunAborted) as caught:
            runner.run()
        assert time.monotonic() - started < 1.6
        assert caught.value.cancelled


def test_lost_connection_ends_the_run_clearly(mariadb_factory) -> None:
    server = mariadb_factory()

    def kill_server(ctx: Context) -> None:
        server.kill()

    def after(ctx: Context) -> None:
        ctx.query("SELECT 1")

    with open_session(spec_for(server)) as session:
        runner = Runner(session, [
            Collector("killer", "Kill", ("-",), ("x",), kill_server),
            Collector("after", "After", ("SELECT 1",), ("y",), after),
        ], {})
        with pytest.raises(RunAborted) as caught:
            runner.run()
    assert "lost the connection" in str(caught.value)
    assert not caught.value.cancelled


def test_one_broken_collector_does_not_stop_the_others(mariadb) -> None:
    def broken(ctx: Context) -> None:
        raise ZeroDivisionError("planted")

    def fine(ctx: Context) -> None:
        ctx.facts["fine"] = True

    with open_session(spec_for(mariadb)) as session:
        result = Runner(session, [Collector("broken", "B", ("-",), ("b",), broken),
                                  Collector("fine", "F", ("-",), ("fine",), fine)], {}).run()
    assert [r.status for r in result.results] == ["failed", "ok"]
    assert "ZeroDivisionError" in result.results[0].reason


def test_requirement_missing_skips_before_any_statement(mariadb) -> None:
    mariadb.create_user("noproc", "noproc-pw-1", [])
    calls: list[str] = []

    def needs_process(ctx: Context) -> None:
        calls.append("ran")

    collector = Collector("needs_process", "Needs PROCESS", ("-",), ("x",), needs_process,
                          requires=(Requirement("PROCESS"),))
    with open_session(spec_for(mariadb, user="noproc", password="noproc-pw-1")) as session:
        result = Runner(session, [collector], {}).run()
    assert calls == []
    assert result.results[0].status == "skipped"


# ---------------------------------------------------------------- collectors


def test_processlist_is_aggregated_and_never_carries_query_text(mariadb) -> None:
    planted = "planted-literal-7781"
    blocker = mariadb.connect()
    thread = threading.Thread(target=lambda: _run_quietly(blocker, f"SELECT SLEEP(3), '{planted}'"))
    thread.start()
    try:
        time.sleep(0.3)
        result = collect(spec_for(mariadb), RunOptions(sleep=0.1))
    finally:
        thread.join()
        blocker.close()
    processlist = result.facts["processlist"]
    commands = {g["value"]: g for g in processlist["groups"]["command"]}
    assert commands["Query"]["count"] >= 1 and commands["Query"]["time_max"] >= 0
    assert planted not in repr(result.facts)


def _run_quietly(connection: Any, sql: str) -> None:
    cursor = connection.cursor()
    cursor.execute(sql)
    cursor.fetchall()
    cursor.close()


def test_replication_roles_on_a_real_pair(replication_pair) -> None:
    primary, replica = replication_pair
    replica_facts = collect(spec_for(replica), RunOptions(sleep=0.1)).facts
    repl = replica_facts["replication"]
    assert repl["is_replica"] and repl["role"] in ("replica", "replica+primary")
    assert repl["sources"][0]["source_port"] == primary.port
    assert repl["sources"][0]["io_running"] == "Yes" and repl["sources"][0]["sql_running"] == "Yes"
    primary_facts = collect(spec_for(primary), RunOptions(sleep=0.1)).facts
    assert primary_facts["replication"]["role"] == "primary"
    assert primary_facts["replication"]["replica_count"] == 1
    assert primary_facts["replication"]["binlog_dump_threads"] == 1


def test_binlog_settings_follow_server_options(mariadb_factory) -> None:
    server = mariadb_factory(log_bin=False)
    facts = collect(spec_for(server), RunOptions(sleep=0.1)).facts
    assert facts["binlog"]["enabled"] is False and facts["binlog"]["files"] == []
    server2 = mariadb_factory(binlog_format="MIXED", extra_options={"expire_logs_days": "3"})
    facts2 = collect(spec_for(server2), RunOptions(sleep=0.1)).facts
    assert facts2["binlog"]["enabled"] is True and facts2["binlog"]["format"] == "MIXED"
    assert facts2["binlog"]["expire_seconds"] == 3 * 86400
    assert facts2["binlog"]["total_bytes"] == sum(f["size"] for f in facts2["binlog"]["files"]) > 0
    assert facts2["binlog"]["gtid_mode"] is None  # MariaDB has no gtid_mode variable


def test_technologies_count_what_is_really_there(mariadb_factory) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE tech")
    server.admin("CREATE TABLE tech.plain (id INT PRIMARY KEY, note VARCHAR(10)) ROW_FORMAT=COMPACT")
    server.admin("CREATE TABLE tech.compact_comment (id INT PRIMARY KEY) COMMENT 'COMPRESSED GEOMETRY'")
    facts = collect(spec_for(server), RunOptions(sleep=0.1)).facts
    tech = facts["technologies"]
    for key in ("fulltext", "geospatial", "foreign_keys", "partitioning", "compression"):
        assert tech[key]["value"] is False, (key, tech[key])
    server.admin("CREATE TABLE tech.c (id INT PRIMARY KEY) ROW_FORMAT=COMPRESSED KEY_BLOCK_SIZE=8")
    server.admin("CREATE TABLE tech.g (id INT PRIMARY KEY, p POINT NOT NULL, SPATIAL KEY (p))")
    server.admin("CREATE TABLE tech.f (id INT PRIMARY KEY, body TEXT, FULLTEXT KEY (body))")
    server.admin("CREATE TABLE tech.child (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES tech.plain (id))")
    server.admin("CREATE TABLE tech.p (id INT PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2")
    facts = collect(spec_for(server), RunOptions(sleep=0.1)).facts
    tech = facts["technologies"]
    for key in ("fulltext", "geospatial", "foreign_keys", "partitioning", "compression"):
        assert tech[key]["value"] is True, (key, tech[key])
    assert facts["technology_objects"]["compression"] == ["tech.c"]
    assert facts["technology_objects"]["partitioning"] == ["tech.p"]


def test_schema_counts_and_ddl(mariadb_factory) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE `odd schema`")
    server.admin("CREATE TABLE `odd schema`.`we``ird tab` (id INT PRIMARY KEY)")
    server.admin("CREATE TABLE `odd schema`.`select` (id INT PRIMARY KEY, v INT)")
    server.admin("CREATE TABLE `odd schema`.`tablé` (id INT PRIMARY KEY) ENGINE=MyISAM")
    server.admin("CREATE VIEW `odd schema`.v AS SELECT id FROM `odd schema`.`select`")
    server.admin("CREATE PROCEDURE `odd schema`.p() SELECT 1")
    server.admin("CREATE TRIGGER `odd schema`.trg BEFORE INSERT ON `odd schema`.`select` FOR EACH ROW SET NEW.v = 1")
    server.admin("CREATE EVENT `odd schema`.ev ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1")
    result = collect(spec_for(server), RunOptions(sleep=0.1))
    schemas = {s["name"]: s for s in result.facts["schemas"]}
    odd = schemas["odd schema"]
    assert (odd["tables"], odd["views"], odd["routines"], odd["triggers"], odd["events"]) == (3, 1, 1, 1, 1)
    assert odd["engines"] == {"InnoDB": 2, "MyISAM": 1}
    names = {(t["schema"], t["name"]) for t in result.facts["tables"]}
    assert {("odd schema", "we`ird tab"), ("odd schema", "select"), ("odd schema", "tablé")} <= names
    ddl = result.artifacts["mysqldump"]
    for fragment in ("CREATE TABLE `we``ird tab`", "CREATE TABLE `select`", "CREATE TABLE `tablé`",
                     "VIEW `odd schema`.`v`", "PROCEDURE `p`", "trg BEFORE INSERT", "EVENT `ev`"):
        assert fragment in ddl, fragment
    assert result.facts["schema_ddl"]["objects"] == 7 and result.facts["schema_ddl"]["cut"] is None


def test_schema_ddl_budget_cut_is_stated(mariadb_factory) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE many")
    for i in range(30):
        server.admin(f"CREATE TABLE many.t{i} (id INT PRIMARY KEY)")
    with open_session(spec_for(server)) as session:
        collectors = [replace(c, budget_seconds=0.0) if c.name == "schema_ddl" else c
                      for c in collectors_for(0.1)]
        result = Runner(session, collectors, {"sleep": 0.1}, facts=new_facts(None)).run()
    status = {r.name: r for r in result.results}["schema_ddl"]
    assert status.status == "ok" and "time budget ran out" in status.reason
    assert result.facts["schema_ddl"]["cut"]
    assert "-- CUT:" in result.artifacts["mysqldump"]


def test_databases_option_limits_the_inventory(mariadb_factory) -> None:
    server = mariadb_factory()
    for name in ("keep_me", "skip_me"):
        server.admin(f"CREATE DATABASE {name}")
        server.admin(f"CREATE TABLE {name}.t (id INT PRIMARY KEY)")
    facts = collect(spec_for(server), RunOptions(sleep=0.1, databases=["keep_me"])).facts
    assert [s["name"] for s in facts["schemas"]] == ["keep_me"]
    assert {t["schema"] for t in facts["tables"]} == {"keep_me"}


def test_workload_from_two_samples(mariadb) -> None:
    facts = collect(spec_for(mariadb), RunOptions(sleep=0.5)).facts
    status = facts["status"]
    assert status["interval_seconds"] >= 0.5
    workload = facts["workload"]
    which, since_start = since_start_sample(status)  # the first sample, the second if the server was not up a second
    first_up, second_up = int(status["first"]["Uptime"]), int(status["second"]["Uptime"])
    assert which == ("second" if first_up == 0 and second_up > 0 else "first") and since_start is status[which]
    questions, uptime = int(since_start["Questions"]), int(since_start["Uptime"])
    assert workload["queries_total"] == questions
    if uptime:
        assert workload["qps_average_since_start"] == pytest.approx(questions / uptime, rel=1e-3)
        source = facts["provenance"]["workload.qps_average_since_start"]["source"]
        assert source == f"SHOW GLOBAL STATUS ({which} sample): Questions / Uptime"
    else:  # up less than a second at both samples: no rate rather than a division by zero
        assert "qps_average_since_start" not in workload
    delta = int(status["second"]["Questions"]) - int(status["first"]["Questions"])
    assert workload["qps_sampled"] == pytest.approx(delta / status["interval_seconds"], rel=1e-3)
    assert facts["server"]["flavor"] == "mariadb" and facts["server"]["platform"] == "self-managed"


def test_since_start_rates_of_a_server_up_less_than_a_second() -> None:
    """Uptime 0 in the first sample (a server started less than a second before): the since-start rates come
    from the second sample rather than being left out; with no second sample there is no rate."""
    status: dict[str, Any] = {"first": {"Questions": "40", "Uptime": "0", "Handler_write": "700", "Handler_update": "0",
                        "Handler_delete": "0", "Rows_read": "10"},
              "second": {"Questions": "90", "Uptime": "2", "Handler_write": "800", "Handler_update": "0",
                         "Handler_delete": "0", "Rows_read": "12"},
              "interval_seconds": 1.0}
    rates = workload_rates(status, 0)
    assert rates["qps_average_since_start"] == 45.0 and rates["queries_total"] == 90 and rates["uptime_seconds"] == 2
    derived = derive({"status": status, "server": {"uptime_seconds": 0}}).facts
    assert derived["provenance"]["workload.qps_average_since_start"] == {
        "source": "SHOW GLOBAL STATUS (second sample): Questions / Uptime", "window_seconds": 2}
    assert derived["provenance"]["sizing.query_load_average"]["window_seconds"] == 2
    assert rates["rows_written_per_day"] == 800 / 2 * 86400
    assert rates["qps_sampled"] == 50.0
    alone = workload_rates({"first": status["first"]}, 0)
    assert "qps_average_since_start" not in alone and alone["qps_sampled"] is None
    older = {**status, "first": {**status["first"], "Uptime": "5"}}
    assert workload_rates(older, 5)["qps_average_since_start"] == 8.0  # the first sample when it has an Uptime


def test_tls_required_mode_refuses_an_unencrypted_server(mariadb) -> None:
    with pytest.raises(ConnectionFailed) as caught:
        open_session(spec_for(mariadb, tls_mode="required"))
    assert caught.value.problem.cause in ("tls_required", "tls_failed")


def test_verify_ca_with_the_test_ca(mariadb_factory) -> None:
    server = mariadb_factory(tls=True, require_secure_transport=True)
    assert server.tls is not None
    with open_session(spec_for(server, tls_mode="verify_identity", ssl_ca=str(server.tls.ca))) as session:
        assert session.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").pairs()["Ssl_cipher"]
    with pytest.raises(ConnectionFailed) as caught:
        open_session(spec_for(server, tls_mode="disabled"))
    # MariaDB answers 1045 (access denied) where MySQL says 3159; the remedy names the setting
    assert caught.value.problem.cause in ("tls_required", "access_denied")
    assert "require_secure_transport" in caught.value.problem.one_line()


def test_unused_path_is_not_needed(tmp_path: Path) -> None:
    """The engine imports no Qt (the CLI and every core test run without it)."""
    import subprocess
    import sys

    code = ("import sys, prechecks.cli, prechecks.collection, collectors.registry;"
            " print('PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"


def test_schema_ddl_scrubs_literals_of_views_and_routines(mariadb_factory) -> None:
    server = mariadb_factory()
    server.admin("CREATE DATABASE lit")
    server.admin("CREATE TABLE lit.t (id INT PRIMARY KEY, s VARCHAR(20) DEFAULT 'kept-default')")
    server.admin("CREATE VIEW lit.v AS SELECT id FROM lit.t WHERE s = 'planted-view-literal'")
    server.admin("CREATE PROCEDURE lit.p() SELECT 'planted-proc-literal'")
    ddl = collect(spec_for(server), RunOptions(sleep=0.1)).artifacts["mysqldump"]
    assert "kept-default" in ddl  # CREATE TABLE keeps its defaults: schema, not data
    assert "planted-view-literal" not in ddl and "planted-proc-literal" not in ddl
    assert "VIEW `lit`.`v`" in ddl and "PROCEDURE `p`" in ddl


def test_server_lost_before_the_grants_are_read_ends_the_run_clearly(mariadb_factory) -> None:
    """The first status sample runs before preflight; a server dying right after it is a RunAborted."""
    server = mariadb_factory()

    def first_then_kill(ctx: Context) -> None:
        ctx.query("SHOW GLOBAL STATUS")
        server.kill()

    with open_session(spec_for(server)) as session:
        runner = Runner(session, [
            Collector("first", "First", ("SHOW GLOBAL STATUS",), ("x",), first_then_kill, needs_grants=False),
            Collector("after", "After", ("SELECT 1",), ("y",), lambda ctx: None),
        ], {})
        with pytest.raises(RunAborted) as caught:
            runner.run()
    assert "lost the connection" in str(caught.value) and not caught.value.cancelled
