"""The sizing and pricing inputs table (prechecks/sizing.py, built by prechecks.derive) and the prefill from it.

SQL only on a real MariaDB; a workload history, and GCP- and Azure-shaped cloud documents, built by hand per the
contracts (docs/facts.md: cloud.json, history.json), since their collectors land in other branches. The AWS
cases run on moto in tests/test_aws.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from prechecks.collection import Collected, RunOptions, collect, timestamp_now
from prechecks.derive import derive
from prechecks.prefill import prefill
from prechecks.report import render_report
from prechecks.sizing import ROW_KEYS
from tests.helpers import spec_for
from tests.servers import MariaDBServer

GIB = 1024**3
WINDOW = {"start": "2026-11-22T00:00:00Z", "end": "2026-12-06T00:00:00Z", "step_seconds": 60}


def _rows(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = facts["sizing"]["rows"]
    assert facts["sizing"]["format_version"] == 1
    assert [r["key"] for r in rows] == list(ROW_KEYS)
    return {r["key"]: r for r in rows}


def _series(avg: float, p95: float, maximum: float, unit: str, when: str = "2026-11-30T14:00:00Z",
            **extra: Any) -> dict[str, Any]:
    return {"avg": avg, "p95": p95, "max": maximum, "max_at": when, "unit": unit, **extra}


AWS_CLOUD: dict[str, Any] = {
    "format_version": 1, "provider": "aws", "region": "eu-west-1",
    "instances": [{"id": "orders-1", "role": "writer", "class": "db.r6g.xlarge", "vcpu": 4, "memory_gib": 32.0,
                   "engine": "aurora-mysql", "engine_version": "8.0.mysql_aurora.3.05.2",
                   "storage": {"type": "aurora", "allocated_gib": 1, "iops": None, "throughput_mibps": None},
                   "multi_az": False, "availability_zone": "eu-west-1a", "region": "eu-west-1"}],
    "metrics": {"instance": "orders-1", "window_days": 14, "series": {
        "CPUUtilization": _series(23, 61, 88, "percent"),
        "Queries": _series(1200, 2500, 4000.5, "per_second", "2026-12-01T09:00:00Z")}},
    "bill": None, "skipped": []}

GCP_CLOUD: dict[str, Any] = {
    "format_version": 1, "provider": "gcp", "region": "europe-west1",
    "instances": [
        {"id": "shop-sql", "role": "primary", "class": "db-custom-8-32768", "vcpu": 8, "memory_gib": 32,
         "engine": "MYSQL_8_0", "engine_version": "8.0.31",
         "storage": {"type": "PD_SSD", "allocated_gib": 500, "iops": None, "throughput_mibps": None},
         "multi_az": True, "availability_zone": "europe-west1-b", "region": "europe-west1"},
        {"id": "shop-sql-replica", "role": "replica", "class": "db-custom-4-16384", "vcpu": 4, "memory_gib": 16,
         "engine": "MYSQL_8_0", "engine_version": "8.0.31",
         "storage": {"type": "PD_SSD", "allocated_gib": 500, "iops": None, "throughput_mibps": None},
         "multi_az": False, "availability_zone": "us-central1-a", "region": "us-central1"}],
    "metrics": {"window_days": 14, "series": {
        "cloudsql.googleapis.com/database/cpu/utilization": _series(35.5, 70, 96, "percent"),
        "cloudsql.googleapis.com/database/disk/bytes_used": _series(180 * GIB, 190 * GIB, 200 * GIB, "bytes",
                                                                    growth_gib_per_day=1.5),
        "cloudsql.googleapis.com/database/disk/read_ops_count": _series(100, 300, 900, "per_second"),
        "cloudsql.googleapis.com/database/disk/write_ops_count": _series(50, 150, 400, "per_second"),
        "cloudsql.googleapis.com/database/network/connections": _series(80, 120, 210, "count"),
        "cloudsql.googleapis.com/database/mysql/questions": _series(700, 1500, 2200, "per_second",
                                                                     "2026-12-02T10:00:00Z")}},
    "bill": None, "skipped": [{"part": "metrics mysql/queries", "reason": "no data", "iam_action": None}]}

AZURE_CLOUD: dict[str, Any] = {
    "format_version": 1, "provider": "azure", "region": "westeurope",
    "instances": [{"id": "shop-flex", "role": "primary", "class": "Standard_D4ds_v4", "vcpu": 4, "memory_gib": 16,
                   "engine": "mysql", "engine_version": "8.0.21",
                   "storage": {"type": "Premium_LRS", "allocated_gib": 256, "iops": 1280, "throughput_mibps": None},
                   "multi_az": False, "availability_zone": "1"}],
    "metrics": {"window_days": 14, "series": {
        "cpu_percent": _series(12, 30, 55, "percent"),
        "io_consumption_percent": _series(5, 9, 40, "percent"),
        "storage_used": _series(60 * GIB, 61 * GIB, 62 * GIB, "bytes", growth_gib_per_day=0.25),
        "active_connections": _series(20, 35, 64, "count"),
        "Queries": _series(300, 450, 800, "per_second", "2026-12-03T11:00:00Z")}},
    "bill": None, "skipped": []}

HISTORY: dict[str, Any] = {
    "format_version": 1, "source": "prometheus", "window": WINDOW,
    "series": {
        "cpu_percent": {**_series(41, 77.5, 99, "percent", "2026-11-28T20:00:00Z"), "p99": 95,
                        "points": [[1764000000, 41.0], [1764000060, 42.0]]},
        "queries_per_second": {**_series(1500, 3900, 5200, "per_second", "2026-11-25T14:00:00Z"), "p99": 4800,
                               "points": [[1764000000, 1500.0]]},
        "connections": _series(150, 210, 260, "count", "2026-11-25T14:05:00Z", p99=240)},
    "missing": [], "gaps": [], "resets": 0}


@pytest.fixture(scope="module")
def live_run(mariadb: MariaDBServer) -> Collected:
    return collect(spec_for(mariadb), RunOptions(sleep=0.3))


@pytest.fixture(scope="module")
def live_facts(live_run: Collected) -> dict[str, Any]:
    return live_run.facts


def test_sql_only_table_from_a_live_server(live_facts: dict[str, Any]) -> None:
    facts = derive(live_facts).facts
    rows = _rows(facts)
    for key in ("compute", "cpu", "storage_allocated", "support"):
        assert (rows[key]["value"], rows[key]["source"], rows[key]["number"]) == ("not measured", "none", None), key
    assert "--aws-db-instance" in rows["compute"]["detail"]
    # the buffer pool, said for what it is, never taken for the machine's memory
    pool = int(live_facts["variables"]["innodb_buffer_pool_size"])
    assert rows["memory"]["source"] == "sql" and rows["memory"]["number"] is None
    assert rows["memory"]["value"].startswith(f"InnoDB buffer pool {pool // 1024**2} MiB (a setting")
    workload = facts["workload"]
    if workload.get("qps_average_since_start") is None:  # a server up for less than a second has no average yet
        assert int(live_facts["status"]["first"]["Uptime"]) == 0
        assert (rows["query_load_average"]["value"], rows["query_load_average"]["source"]) == ("not measured", "none")
    else:
        assert rows["query_load_average"]["number"] == pytest.approx(workload["qps_average_since_start"])
        assert rows["query_load_average"]["window"].startswith("since start-up (")
    assert rows["query_load_peak"]["number"] == pytest.approx(workload["qps_sampled"])
    assert rows["query_load_peak"]["window"] == f"{workload['sampled_interval_seconds']:.1f} s"
    assert rows["query_load_peak"]["value"].endswith("a lower bound, the real peak is likely higher")
    sizes = sum(s["data_bytes"] + s["index_bytes"] for s in live_facts["schemas"])
    assert (rows["data_size"]["number"], rows["data_size"]["source"]) == (sizes, "sql")
    assert rows["connections"]["number"] == int(live_facts["status"]["first"]["Max_used_connections"])
    assert rows["iops"]["source"] == "sql" and rows["iops"]["window"] == rows["query_load_peak"]["window"]
    # each measured row has its provenance
    assert facts["provenance"]["sizing.query_load_peak"] == {
        "source": "sql: SHOW GLOBAL STATUS Questions, two samples",
        "window_seconds": live_facts["status"]["interval_seconds"]}
    assert "sizing.cpu" not in facts["provenance"]
    report = render_report(derive(live_facts))
    assert "                    CPU utilisation | not measured\n    not measured: CPU use is not visible from SQL" \
        in report
    # the SQL prefill stays when there is no cloud
    found = prefill(facts)
    assert found["architecture.instance_size"].fact_path == "variables.innodb_buffer_pool_size"
    assert found["performance.qps_peak"].fact_path in ("workload.qps_sampled", "workload.qps_average_since_start")


def test_history_overrides_the_cloud_for_cpu_and_query_rows() -> None:
    facts = derive({"format_version": 1, "collection": {"collectors": []}}, cloud=AWS_CLOUD, history=HISTORY).facts
    rows = _rows(facts)
    assert rows["cpu"] == {"key": "cpu", "label": "CPU utilisation",
                           "value": "avg 41 %, p95 77.5 %, max 99 % (2026-11-28 20:00 UTC)", "number": 77.5,
                           "unit": "percent", "source": "history:prometheus",
                           "detail": "Prometheus history: cpu_percent, one sample every 60 s", "window": "14 days"}
    assert rows["query_load_average"]["value"] == "avg 1,500/s, p95 3,900/s, max 5,200/s (2026-11-25 14:00 UTC)"
    assert (rows["query_load_average"]["number"], rows["query_load_average"]["source"]) == (1500, "history:prometheus")
    assert (rows["query_load_peak"]["number"], rows["query_load_peak"]["source"]) == (5200, "history:prometheus")
    assert (rows["connections"]["number"], rows["connections"]["source"]) == (260, "history:prometheus")
    # what the history has no series for still comes from the cloud
    assert (rows["memory"]["value"], rows["memory"]["source"]) == ("32 GiB (db.r6g.xlarge)", "cloud:aws")
    assert facts["provenance"]["sizing.cpu"] == {
        "source": "history:prometheus: Prometheus history: cpu_percent, one sample every 60 s",
        "window_seconds": 14 * 86400}
    assert "points" not in facts["history"]["series"]["cpu_percent"]  # the days of samples stay in history.json
    found = prefill(facts)
    assert (found["performance.qps_peak"].value, found["performance.qps_peak"].fact_path) == (
        5200.0, "history.series.queries_per_second.max")
    assert found["performance.qps_peak"].note == ("the highest queries_per_second over 14 days of Prometheus history, "
                                                  "at 2026-11-25 14:00 UTC")
    assert found["performance.cpu"].fact_path == "history.series.cpu_percent.p95"
    assert found["performance.cpu"].value == ("cpu_percent avg 41 %, p95 77.5 %, max 99 % (2026-11-28 20:00 UTC) on "
                                              "4 vCPU (db.r6g.xlarge)")
    # without the history the cloud's metric answers
    cloud_only = derive({"format_version": 1, "collection": {"collectors": []}}, cloud=AWS_CLOUD).facts
    assert _rows(cloud_only)["cpu"]["source"] == "cloud:aws"
    assert prefill(cloud_only)["performance.qps_peak"].fact_path == "cloud.metrics.series.Queries.max"


def test_gcp_shaped_cloud_document() -> None:
    facts = derive({"format_version": 1, "collection": {"collectors": []}}, cloud=GCP_CLOUD).facts
    rows = _rows(facts)
    instance = "Cloud SQL Admin instances.get shop-sql (primary) db-custom-8-32768"
    assert (rows["memory"]["value"], rows["memory"]["number"], rows["memory"]["detail"]) == (
        "32 GiB (db-custom-8-32768)", 32 * GIB, instance)
    assert (rows["compute"]["number"], rows["compute"]["source"]) == (8, "cloud:gcp")
    assert rows["cpu"] == {"key": "cpu", "label": "CPU utilisation",
                           "value": "avg 35.5 %, p95 70 %, max 96 % (2026-11-30 14:00 UTC)", "number": 70,
                           "unit": "percent", "source": "cloud:gcp",
                           "detail": "Cloud Monitoring cloudsql.googleapis.com/database/cpu/utilization",
                           "window": "14 days"}
    assert (rows["storage_allocated"]["value"], rows["storage_allocated"]["number"]) == ("500 GiB PD_SSD", 500 * GIB)
    assert (rows["storage_used"]["value"], rows["storage_used"]["number"]) == ("200 GiB at most", 200 * GIB)
    assert (rows["storage_growth"]["value"], rows["storage_growth"]["number"]) == ("1.5 GiB/day", 1.5 * GIB)
    assert (rows["iops"]["number"], rows["iops"]["unit"]) == (450, "per_second")
    assert rows["iops"]["value"] == ("read avg 100/s, p95 300/s, max 900/s (2026-11-30 14:00 UTC); write avg 50/s, "
                                     "p95 150/s, max 400/s (2026-11-30 14:00 UTC)")
    assert (rows["replicas"]["value"], rows["replicas"]["number"]) == (
        "1 replica (shop-sql-replica db-custom-4-16384); Multi-AZ standby", 1)
    assert (rows["regions"]["value"], rows["regions"]["number"]) == (
        "europe-west1, us-central1 (zones europe-west1-b, us-central1-a)", 2)
    assert (rows["connections"]["number"], rows["connections"]["source"]) == (210, "cloud:gcp")
    # mysql/queries had no data: mysql/questions is the query metric
    assert (rows["query_load_peak"]["number"], rows["query_load_peak"]["detail"]) == (
        2200, "Cloud Monitoring cloudsql.googleapis.com/database/mysql/questions")
    found = prefill(facts)
    assert (found["performance.qps_peak"].value, found["performance.qps_peak"].fact_path) == (
        2200.0, 'cloud.metrics.series["cloudsql.googleapis.com/database/mysql/questions"].max')
    assert found["performance.qps_peak"].note == ("the highest cloudsql.googleapis.com/database/mysql/questions over "
                                                  "14 days of Cloud Monitoring, at 2026-12-02 10:00 UTC")
    assert found["architecture.regions"].value == "europe-west1, us-central1 (zones europe-west1-b, us-central1-a)"
    assert found["architecture.instance_size"].value == (
        "primary db-custom-8-32768 (8 vCPU, 32 GiB memory); 1 × replica: db-custom-4-16384 (4 vCPU, 16 GiB memory)")
    assert found["architecture.disk"].value == "allocated 500 GiB PD_SSD; used 200 GiB at most over 14 days"
    assert found["performance.io"].fact_path == (
        'cloud.metrics.series["cloudsql.googleapis.com/database/disk/read_ops_count"].p95')
    assert "plan.bill_attached" not in found  # no bill in the document, nothing attached known yet


def test_azure_shaped_cloud_document() -> None:
    facts = derive({"format_version": 1, "collection": {"collectors": []}}, cloud=AZURE_CLOUD).facts
    rows = _rows(facts)
    assert (rows["memory"]["value"], rows["memory"]["detail"]) == (
        "16 GiB (Standard_D4ds_v4)", "Azure Database for MySQL flexible server shop-flex (primary) Standard_D4ds_v4")
    assert rows["storage_allocated"]["value"] == "256 GiB Premium_LRS, 1,280 provisioned IOPS"
    assert (rows["cpu"]["number"], rows["cpu"]["detail"]) == (30, "Azure Monitor cpu_percent")
    assert (rows["iops"]["value"], rows["iops"]["unit"], rows["iops"]["number"]) == (
        "avg 5 %, p95 9 %, max 40 % (2026-11-30 14:00 UTC)", "percent", 9)
    assert (rows["storage_used"]["number"], rows["storage_growth"]["value"]) == (62 * GIB, "256 MiB/day")
    assert (rows["connections"]["number"], rows["query_load_average"]["number"], rows["query_load_peak"]["number"]) \
        == (64, 300, 800)
    assert rows["regions"]["value"] == "westeurope (zone 1)"
    assert (rows["replicas"]["value"], rows["replicas"]["number"]) == ("0 replicas", 0)
    found = prefill(facts)
    assert (found["performance.qps_peak"].value, found["performance.qps_peak"].fact_path) == (
        800.0, "cloud.metrics.series.Queries.max")
    assert found["architecture.instance_count"].value == 1


def test_a_derived_document_keeps_its_sources() -> None:
    """facts.json read back and derived again (no cloud given) gives the same table."""
    first = derive({"format_version": 1, "collection": {"collectors": []}}, cloud=GCP_CLOUD, history=HISTORY).facts
    again = derive(json.loads(json.dumps(first))).facts
    assert again["sizing"] == first["sizing"] and again["provenance"] == first["provenance"]


def test_odd_values_cost_only_their_row() -> None:
    cloud = json.loads(json.dumps(AWS_CLOUD))
    cloud["instances"][0]["memory_gib"] = "unknown"
    cloud["instances"][0]["vcpu"] = "unknown"
    cloud["metrics"]["series"]["CPUUtilization"] = {"avg": "n/a"}
    rows = _rows(derive({"format_version": 1, "collection": {"collectors": []}}, cloud=cloud).facts)
    assert rows["memory"]["source"] == rows["compute"]["source"] == rows["cpu"]["source"] == "none"
    assert rows["query_load_peak"]["number"] == 4000.5


def test_redacted_hostnames_hide_the_instance_ids_everywhere() -> None:
    """With --redact hostnames the bare instance and cluster ids are pseudonyms in every file, the same one in
    cloud.json, facts.json (its cloud and sizing) and the report, like the endpoint."""
    from prechecks.bundle import ArchiveInputs, build

    host = "shop-db.c9akciq32.eu-west-1.rds.amazonaws.com"
    cloud = json.loads(json.dumps(GCP_CLOUD))
    cloud.update(provider="aws", endpoint={"host": host, "kind": "instance", "name": "shop-db"},
                 cluster={"id": "shop-cluster", "read_replicas": ["arn:aws:rds:us-east-1:1:db:shop-db-far"]})
    cloud["instances"][0]["id"], cloud["instances"][1]["id"] = "shop-db", "shop-db-replica"
    cloud["metrics"]["instance"] = "shop-db"
    text = json.dumps(cloud)
    raw = {"format_version": 1, "source": {"host": host, "port": 3306}, "collection": {"collectors": []}}
    inputs = ArchiveInputs("2026_12_06_00_00_00", extra_files={"cloud.json": text})
    prepared = build(derive(raw, cloud=cloud), inputs, ("hostnames",))
    everything = "\n".join(data.decode() for data in prepared.files.values())
    for name in ("shop-db", "shop-db-replica", "shop-cluster", "shop-db-far", host):
        assert name not in everything, name
    archived = json.loads(prepared.files["cloud.json"])
    facts = json.loads(prepared.files["facts.json"])
    pseudonym = archived["instances"][0]["id"]
    assert pseudonym.startswith("host-") and facts["cloud"]["instances"][0]["id"] == pseudonym
    assert archived["metrics"]["instance"] == pseudonym
    replica = archived["instances"][1]["id"]
    rows = {r["key"]: r for r in facts["sizing"]["rows"]}
    assert rows["replicas"]["value"] == f"1 replica ({replica} db-custom-4-16384); Multi-AZ standby"
    report = prepared.files["ps_report_2026_12_06_00_00_00.md"].decode()
    assert f"RDS DescribeDBInstances {pseudonym} (primary)" in report
    # without the class, the ids stay
    plain = build(derive(raw, cloud=cloud), inputs, ())
    assert json.loads(plain.files["cloud.json"])["instances"][0]["id"] == "shop-db"


def test_the_wizards_submission_passes_the_cloud_document(live_run: Collected) -> None:
    """gui/submission.py: Submission(cloud=...) is the one parameter the Cloud account step passes: the document
    goes to derive (the sizing table, the prefill) and into the archive as cloud.json."""
    from gui.submission import Submission, prepare

    def submission(cloud: dict[str, Any] | None) -> Submission:
        return Submission(live_run, dict(live_run.readiness), timestamp_now(), (), {}, {}, (), (), cloud=cloud)

    files = prepare(submission(GCP_CLOUD)).files
    assert json.loads(files["cloud.json"]) == GCP_CLOUD
    rows = _rows(json.loads(files["facts.json"]))
    assert (rows["memory"]["source"], rows["cpu"]["number"]) == ("cloud:gcp", 70)
    answers = {a["id"]: a for a in json.loads(files["submission.json"])["answers"]}
    assert (answers["performance.qps_peak"]["value"], answers["performance.qps_peak"]["source"]) == (
        2200.0, 'prefill:cloud.metrics.series["cloudsql.googleapis.com/database/mysql/questions"].max')
    without = prepare(submission(None)).files
    assert "cloud.json" not in without
    assert _rows(json.loads(without["facts.json"]))["memory"]["source"] == "sql"
