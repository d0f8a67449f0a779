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
from prechecks.prefill import RULES, build_answers, fact_exists, prefill, region_from_host
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
    """At least half of all questions prefilled, even with nothing but this tool connected.

    Measured (questionnaire version 1, 34 questions): 17 (50%) with nothing but this tool connected
    (traffic mix from the Com_* counters included), 18 (53%) with one application connection (its
    driver answers the stack question).
    """
    bare = build_answers(_facts(realworld_server, sleep=1))
    app = realworld_server.connect(database="wiki")
    try:
        with_app = build_answers(_facts(realworld_server, sleep=1))
    finally:
        app.close()
    for answers in (bare, with_app):
        assert len(answers) == len(load_questionnaire().questions)
    assert prefilled_share(bare) >= 0.5, [a.id for a in bare if a.prefilled]
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
