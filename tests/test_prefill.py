"""Prefill rules: facts.json -> answers with provenance, against real servers, plus the platform-specific rules
(hostnames, managed platforms) on facts documents that differ from a real one in one key only.

The share of prefilled questions on the real-world schemas (cacti, MediaWiki, phpMyAdmin) is measured here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from prechecks.collection import RunOptions, collect
from prechecks.prefill import ATTACHMENT_RULES, RULES, build_answers, fact_exists, prefill, region_from_host
from prechecks.questionnaire import load_questionnaire, prefilled_share
from tests import realworld, servers
from tests.helpers import spec_for
from tests.servers import MariaDBServer

GB = 10**9


def _facts(server: MariaDBServer, sleep: float = 0.3) -> dict[str, Any]:
    return collect(spec_for(server), RunOptions(sleep=sleep)).facts


@pytest.fixture(scope="module")
def facts(mariadb: MariaDBServer) -> dict[str, Any]:
    return _facts(mariadb)


def _resolve(facts: dict[str, Any], path: str) -> Any:
    node: Any = facts
    for part in path.split("."):
        assert isinstance(node, dict) and part in node, f"{path} not in facts"
        node = node[part]
    return node


def test_rules_name_real_questions() -> None:
    assert set(RULES) <= set(load_questionnaire().ids)
    assert set(ATTACHMENT_RULES) <= set(load_questionnaire().ids)
    assert not set(RULES) & set(ATTACHMENT_RULES)


def test_every_prefill_names_a_fact_present(facts: dict[str, Any]) -> None:
    found = prefill(facts)
    assert len(found) >= 14, sorted(found)
    for qid, item in found.items():
        _resolve(facts, item.fact_path)
        assert item.confidence in ("measured", "estimate", "heuristic"), qid
        assert item.value not in (None, "", []), qid


def test_values_match_the_facts(facts: dict[str, Any]) -> None:
    found = prefill(facts)
    assert facts["server"]["version"] in str(found["architecture.server_version"].value)
    assert found["architecture.server_version"].fact_path == "server.version"
    assert found["architecture.hosting"].value == "self-managed"
    assert found["architecture.hosting"].confidence == "heuristic"  # "no platform variables" is not proof
    assert found["architecture.instance_count"].value == 1  # standalone, no replica
    assert "standalone" in str(found["architecture.roles"].value)
    pool = int(facts["variables"]["innodb_buffer_pool_size"])
    assert found["architecture.instance_size"].fact_path == "variables.innodb_buffer_pool_size"
    assert str(round(pool / 1024**2, 1)) in str(found["architecture.instance_size"].value)
    average = facts["workload"].get("qps_average_since_start")  # absent while Uptime is still 0
    if average is None:
        assert "performance.qps_average" not in found
    else:
        assert found["performance.qps_average"].value == round(average, 1)
        peak, mean = found["performance.qps_peak"].value, found["performance.qps_average"].value
        assert isinstance(peak, int | float) and isinstance(mean, int | float) and peak >= mean
    assert found["performance.qps_peak"].confidence == "heuristic"
    assert found["security.tls"].value == ("yes" if facts["security"]["tls_in_use"] else "no")
    assert found["architecture.downstream"].fact_path == "workload.binlog_clients"
    threads = facts["status"]["second"]["Threads_running"]
    assert f"Threads_running {threads}" in str(found["performance.cpu"].value)


def test_absent_facts_give_no_answer(facts: dict[str, Any]) -> None:
    assert prefill({}) == {}
    assert prefill({"format_version": 1, "tool": {"name": "ps-prechecks"}}) == {}
    for key, questions in {
        "replication": ("architecture.instance_count", "architecture.roles", "plan.replicas"),
        "workload": ("performance.qps_average", "performance.qps_peak", "architecture.downstream"),
        "security": ("security.tls", "security.encryption_at_rest"),
        "schemas": ("plan.sharding",),
        "status": ("performance.cpu", "performance.memory", "performance.io"),
    }.items():
        partial = {k: v for k, v in facts.items() if k != key}
        found = prefill(partial)
        for qid in questions:
            assert qid not in found, (key, qid)
        for item in found.values():
            assert fact_exists(partial, item.fact_path)


def test_replication_roles_and_counts(replication_pair: tuple[MariaDBServer, MariaDBServer]) -> None:
    primary, replica = replication_pair
    on_primary = prefill(_facts(primary))
    assert on_primary["architecture.instance_count"].value == 2
    assert on_primary["architecture.instance_count"].confidence == "measured"
    assert "primary" in str(on_primary["architecture.roles"].value)
    assert "1 replica" in str(on_primary["architecture.roles"].value)
    assert "today 1 replica" in str(on_primary["plan.replicas"].value)
    downstream = str(on_primary["architecture.downstream"].value)
    assert "binlog readers connected" in downstream and "replica" in downstream
    on_replica = prefill(_facts(replica))
    assert "replica" in str(on_replica["architecture.roles"].value)
    count = on_replica["architecture.instance_count"].value
    assert isinstance(count, int) and count >= 2
    assert on_replica["architecture.instance_count"].confidence == "estimate"


def test_stack_from_client_drivers(mariadb: MariaDBServer) -> None:
    app = mariadb.connect()  # an application's connection, with its driver's connection attributes
    try:
        found = prefill(_facts(mariadb))
    finally:
        app.close()
    stack = found["architecture.stack"]
    assert stack.fact_path == "workload.clients" and "mysql-connector-python" in str(stack.value)


def test_stack_and_pipeline_from_migration_tables(mariadb: MariaDBServer) -> None:
    mariadb.admin("CREATE DATABASE prefill_rails")
    try:
        mariadb.admin("CREATE TABLE prefill_rails.schema_migrations (version VARCHAR(255) PRIMARY KEY)")
        mariadb.admin("CREATE TABLE prefill_rails.ar_internal_metadata (`key` VARCHAR(255) PRIMARY KEY)")
        mariadb.admin("CREATE TABLE prefill_rails._orders_gho (id INT PRIMARY KEY)")
        found = prefill(_facts(mariadb))
    finally:
        mariadb.admin("DROP DATABASE prefill_rails")
    pipeline = found["environments.pipeline"]
    assert pipeline.fact_path == "workload.migration_tables"
    assert "rails" in str(pipeline.value) and "gh-ost" in str(pipeline.value)
    assert "Ruby on Rails" in str(found["architecture.stack"].value)  # with or without client sessions seen


# --------------------------------------------------------------------------- platform-specific rules


@pytest.mark.parametrize(("host", "region"), [
    ("prod.cluster-abc123.us-east-1.rds.amazonaws.com", "us-east-1"),
    ("db1.abcdefg.eu-west-2.rds.amazonaws.com", "eu-west-2"),
    ("mydb.cn-north-1.rds.amazonaws.com.cn", "cn-north-1"),
    ("ip-10-0-1-2.ap-southeast-1.compute.internal", "ap-southeast-1"),
    ("myvm.westeurope.cloudapp.azure.com", "westeurope"),
    ("abc123.myproject.europe-west1.sql.goog", "europe-west1"),
    ("db-mysql-nyc3-12345-do-user-678-0.b.db.ondigitalocean.com", "nyc3"),
])
def test_region_from_endpoint_hostnames(host: str, region: str) -> None:
    found = region_from_host(host)
    assert found is not None and found[0] == region


@pytest.mark.parametrize("host", ["127.0.0.1", "db1.internal", "myserver.mysql.database.azure.com",
                                  "10.1.2.3", "aws.example.com"])
def test_no_region_where_the_name_does_not_encode_one(host: str) -> None:
    assert region_from_host(host) is None


def test_rds_facts(facts: dict[str, Any]) -> None:
    rds = copy.deepcopy(facts)
    rds["source"]["host"] = "orders.c9akciq32.eu-central-1.rds.amazonaws.com"
    rds["server"]["platform"] = "rds"
    rds["server"]["platform_evidence"] = ["variable rds_version present"]
    rds["variables"]["innodb_buffer_pool_size"] = str(48 * 1024**3)
    found = prefill(rds)
    region = found["architecture.regions"]
    assert (region.value, region.fact_path, region.confidence) == ("eu-central-1", "source.host", "measured")
    size = found["architecture.instance_size"]
    assert size.confidence == "estimate" and "instance class is not visible from SQL" in str(size.value)
    assert "64.0 GiB" in str(size.value)  # 48 GiB is 3/4 of 64
    assert found["architecture.hosting"].value == "rds" and found["architecture.hosting"].confidence == "measured"
    # storage encryption of a managed service is not visible from SQL: no answer rather than a wrong "no"
    assert "security.encryption_at_rest" not in found


def test_encryption_at_rest_and_sharding_notice(facts: dict[str, Any]) -> None:
    encrypted = copy.deepcopy(facts)
    encrypted["security"]["encryption_at_rest"]["innodb_encrypt_tables"] = "ON"
    assert prefill(encrypted)["security.encryption_at_rest"].value == "yes"
    assert prefill(encrypted)["security.encryption_at_rest"].confidence == "measured"
    big = copy.deepcopy(facts)
    big["schemas"] = [{"name": "app", "tables": 10, "data_bytes": 400 * GB, "index_bytes": 100 * GB}]
    notice = prefill(big)["plan.sharding"]
    assert "worth discussing" in str(notice.value) and notice.confidence == "heuristic"
    assert "not needed for the data size" in str(prefill(facts)["plan.sharding"].value)


# --------------------------------------------------------------------------- the share, on real-world schemas


@pytest.fixture(scope="module")
def realworld_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    server = servers.start_mariadb(tmp_path_factory.mktemp("prefill-realworld"))
    try:
        realworld.load_schemas(server)
        yield server
    finally:
        servers.discard(server)


def test_prefill_share_on_realworld_schemas(realworld_server: MariaDBServer) -> None:
    """The share of questions prefilled as the archive is built (its attachments known: none here).

    Measured (questionnaire version 2, 44 questions): 20 (45%) with nothing but this tool connected
    (traffic mix from the Com_* counters, "no" for the slow log and the bill included), 21 (48%) with one
    application connection (its driver answers the stack question). Version 1 had 34 questions, 17-18
    prefilled (50-53%); the 10 questions of version 2 are mostly about intent (recovery objectives, target
    region, proof of concept, growth) or tools that show only when they are connected.
    """
    bare = build_answers(_facts(realworld_server, sleep=1), attachments=[])
    app = realworld_server.connect(database="wiki")
    try:
        with_app = build_answers(_facts(realworld_server, sleep=1), attachments=[])
    finally:
        app.close()
    for answers in (bare, with_app):
        assert len(answers) == len(load_questionnaire().questions)
    assert sum(a.prefilled for a in bare) >= 20, [a.id for a in bare if a.prefilled]
    assert prefilled_share(with_app) > prefilled_share(bare), [a.id for a in with_app if a.prefilled]
    print(f"prefilled: {prefilled_share(bare):.0%} bare, {prefilled_share(with_app):.0%} with an application")


def test_traffic_pattern_from_statement_counters() -> None:
    from prechecks.prefill import traffic_pattern

    facts = {"server": {"uptime_seconds": 7200},
             "status": {"first": {"Com_select": "800", "Com_insert": "150", "Com_update": "40", "Com_delete": "10"}}}
    answer = traffic_pattern(facts)
    assert answer is not None
    assert str(answer.value).startswith("80% reads, 20% writes by statement count over the 2.0 hours")
    assert traffic_pattern({"status": {"first": {"Com_select": "0", "Com_insert": "0"}}}) is None
    assert traffic_pattern({"status": {}}) is None  # not measured: no answer


# --------------------------------------------------------------------------- questionnaire version 2 (issue 15)


def test_database_count_from_the_inventory(mariadb: MariaDBServer) -> None:
    for name in ("count_shop", "count_billing"):
        mariadb.admin(f"CREATE DATABASE {name}")
    try:
        facts = _facts(mariadb)
    finally:
        for name in ("count_shop", "count_billing"):
            mariadb.admin(f"DROP DATABASE {name}")
    user_schemas = sorted(s["name"] for s in facts["schemas"])
    assert "count_shop" in user_schemas and "mysql" not in user_schemas
    found = prefill(facts)["architecture.database_count"]
    assert (found.value, found.fact_path, found.confidence) == (len(user_schemas), "schemas", "measured")
    assert "sys not counted" in found.note and "imported into PlanetScale on its own" in found.note
    assert "architecture.database_count" not in prefill({k: v for k, v in facts.items() if k != "schemas"})


def test_data_growth_from_the_binlog_over_its_retention(facts: dict[str, Any]) -> None:
    assert facts["binlog"]["enabled"] is True and facts["binlog"]["expire_seconds"] == 0
    assert "architecture.data_growth" not in prefill(facts)  # never purged: the logs span an unknown time
    kept = copy.deepcopy(facts)
    kept["binlog"].update(expire_seconds=7 * 86400, total_bytes=7 * 2 * 1024**3)  # 14 GiB over a week
    kept["server"]["uptime_seconds"] = 30 * 86400
    growth = prefill(kept)["architecture.data_growth"]
    assert (growth.fact_path, growth.confidence) == ("binlog.total_bytes", "heuristic")
    assert "about 2.0 GiB of changes a day, 60.0 GiB a month" in str(growth.value)
    assert "upper bound" in str(growth.value) and "updates and deletes" in growth.note
    young = copy.deepcopy(kept)
    young["server"]["uptime_seconds"] = 86400  # up one day: its logs may span less than the week
    assert "architecture.data_growth" not in prefill(young)


def test_tooling_from_connected_clients_and_accounts(mariadb: MariaDBServer) -> None:
    mariadb.create_user("pmm_agent_prod", "pmm-pass", ["PROCESS ON *.*"])
    mariadb.admin("CREATE DATABASE percona")
    mariadb.admin("CREATE TABLE percona.heartbeat (ts VARCHAR(26) NOT NULL, server_id INT PRIMARY KEY)")
    sessions = [mariadb.connect(conn_attrs={"program_name": name})
                for name in ("proxysql", "xtrabackup", "orchestrator", "orchestrator")]
    sessions.append(mariadb.connect("pmm_agent_prod", "pmm-pass"))
    try:
        facts = _facts(mariadb)
    finally:
        for session in sessions:
            session.close()
        mariadb.admin("DROP DATABASE percona")
        mariadb.admin("DROP USER 'pmm_agent_prod'@'%'")
    found = prefill(facts)
    monitoring = found["tooling.monitoring"]
    assert monitoring.value == ("seen on the server: PMM (Percona Monitoring and Management) — a connected account "
                                "named like 'pmm' (1 session(s)); pt-heartbeat (probably) — 1 table(s) with "
                                "pt-heartbeat's default name")
    assert (monitoring.fact_path, monitoring.confidence) == ("processlist.groups.user", "heuristic")
    assert "pmm_agent_prod" not in str(monitoring.value)  # the account's name is not written
    proxy = found["tooling.proxy"]
    assert (proxy.value, proxy.fact_path, proxy.confidence) == (
        "seen on the server: ProxySQL — client program proxysql (1 session(s))", "workload.clients", "measured")
    assert found["tooling.backup"].value == ("seen on the server: Percona XtraBackup — client program "
                                                  "xtrabackup (1 session(s))")
    assert found["tooling.failover"].value == ("seen on the server: orchestrator — client program "
                                                    "orchestrator (2 session(s))")
    for item in (monitoring, proxy, found["tooling.backup"], found["tooling.failover"]):
        assert "not visible" in item.note
        assert fact_exists(facts, item.fact_path)


def test_no_tooling_answer_when_none_is_seen(facts: dict[str, Any]) -> None:
    found = prefill(facts)  # only this tool connected, no heartbeat table, self-managed, no Galera
    for qid in ("tooling.monitoring", "tooling.backup", "tooling.proxy", "tooling.failover"):
        assert qid not in found, (qid, found.get(qid))


def test_failover_from_settings_and_platform(facts: dict[str, Any]) -> None:
    galera = copy.deepcopy(facts)
    galera["variables"]["wsrep_on"] = "ON"
    found = prefill(galera)["tooling.failover"]
    assert (found.fact_path, found.confidence) == ("variables.wsrep_on", "measured")
    assert "Galera cluster" in str(found.value) and "wsrep_on = ON" in str(found.value)
    rds = copy.deepcopy(facts)
    rds["server"]["platform"] = "rds"
    found = prefill(rds)["tooling.failover"]
    assert (found.fact_path, found.confidence) == ("server.platform", "heuristic")
    assert "Amazon RDS (Multi-AZ), if it is on" in str(found.value)


def test_slow_log_and_bill_attached(facts: dict[str, Any]) -> None:
    assert facts["slow_log"]["table"]["read"] is False and "files" not in facts["slow_log"]
    unknown = prefill(facts)  # attachments not known yet: no answer rather than a "no" that may turn wrong
    assert "performance.slow_log_attached" not in unknown and "plan.bill_attached" not in unknown
    none = prefill(facts, attachments=[])
    slow = none["performance.slow_log_attached"]
    assert (slow.value, slow.fact_path, slow.confidence) == ("no", "attachments", "measured")
    assert (none["plan.bill_attached"].value, none["plan.bill_attached"].confidence) == ("no", "measured")
    named = prefill(facts, attachments=["aws-invoice-2026-11.pdf", "mysql-slow.log", "diagram.png"])
    assert (named["plan.bill_attached"].value, named["plan.bill_attached"].confidence) == ("yes", "heuristic")
    assert "aws-invoice-2026-11.pdf" in named["plan.bill_attached"].note
    assert named["performance.slow_log_attached"].value == "yes"
    assert "plan.bill_attached" not in prefill(facts, attachments=["diagram.png"])  # its name says nothing
    digested = copy.deepcopy(facts)
    digested["slow_log"]["files"] = {"status": "ok", "read": True, "files": [{"name": "slow.log", "bytes": 10}]}
    found = prefill(digested, attachments=[])["performance.slow_log_attached"]
    assert (found.value, found.fact_path, found.confidence) == ("yes", "slow_log.files", "measured")
    assert "--slow-log" in found.note


def test_several_servers_count_databases_once_and_any_slow_log(facts: dict[str, Any]) -> None:
    from prechecks.prefill import prefill_servers

    primary, analytics = copy.deepcopy(facts), copy.deepcopy(facts)
    primary["schemas"] = [{"name": "shop"}, {"name": "billing"}]  # a replica of it would hold the same two
    analytics["schemas"] = [{"name": "shop"}, {"name": "billing"}, {"name": "events"}]
    analytics["slow_log"]["table"] = {"status": "ok", "read": True}
    found = prefill_servers([("db1", primary), ("db2", analytics)], attachments=[])
    count = found["architecture.database_count"]
    assert (count.value, count.fact_path, count.confidence) == (3, "schemas", "estimate")
    assert "db1: 2; db2: 3" in count.note and "the largest" in count.note
    slow = found["performance.slow_log_attached"]
    assert (slow.value, slow.fact_path) == ("yes", "slow_log.table")  # one server's digest is enough
    assert "db1: no; db2: yes" in slow.note


def test_an_account_named_exactly_like_the_tool_is_not_written(facts: dict[str, Any]) -> None:
    seen = copy.deepcopy(facts)
    seen["processlist"]["groups"]["user"] = [{"value": "monitor", "count": 2},
                                             {"value": "csv-exporter-job", "count": 1}]
    proxy = prefill(seen)["tooling.proxy"]
    assert proxy.value == ("seen on the server: ProxySQL — a connected account with the name this tool usually has "
                           "(2 session(s))")
    assert (proxy.fact_path, proxy.confidence) == ("processlist.groups.user", "heuristic")
    assert "tooling.monitoring" not in prefill(seen)  # "csv-exporter-job" is not mysqld_exporter
