"""Cloud metrics as history (collectors/cloudhistory.py): the hourly points the AWS, Google and Azure parts read
become history.json in the canonical names when there is no Prometheus or watch history.

AWS runs against moto in server mode (tests/aws_standin.py), Google and Azure against the documented-response
stand-ins (tests/cloud_standins.py), with the fixtures and planted series of tests/test_aws.py, test_gcp.py and
test_azure.py. Every expected figure is computed here from what was planted.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from collectors import aws, azure, gcp
from collectors.cloudhistory import history_from_cloud, sources, without_points
from collectors.series import DAYS, iso
from prechecks.facts import check_facts
from tests.aws_standin import MotoServer
from tests.cloud_standins import AzureCloud, GoogleCloud, StandIn
from tests.servers import MariaDBServer
from tests.test_aws import MAX_HOUR, NOW, REGION, _cli_archive, _seed, _seed_aurora_metrics, aws_env, moto  # noqa: F401
from tests.test_azure import NOW as AZURE_NOW
from tests.test_azure import azure_cloud  # noqa: F401
from tests.test_gcp import CONNECTION, google  # noqa: F401
from tests.test_gcp import NOW as GCP_NOW

HOURS = range(1, 25)  # every test module plants hours 1..24 before its NOW, its MAX_HOUR 15 hours back


def _points(series: dict[str, Any]) -> dict[float, float]:
    return {float(t): float(v) for t, v in series["points"]}


def _hour(now: datetime, hours: int) -> float:
    return (now - timedelta(hours=hours)).timestamp()


# ------------------------------------------------------------------------------------------------------------ AWS


def test_aurora_cloudwatch_points_become_history(moto: MotoServer, aws_env: dict[str, str]) -> None:  # noqa: F811
    _seed(moto, aws_env)
    _seed_aurora_metrics(aws_env)
    cloud = aws.collect_cloud(aws.CloudOptions(region=REGION, db_cluster="orders"), now=NOW)
    assert cloud["skipped"] == [] and cloud["metrics"]["instance"] == "orders-1"
    history = history_from_cloud(cloud)
    assert history is not None
    assert history["source"] == "cloudwatch"
    assert history["window"] == {"start": iso((NOW - timedelta(days=14)).timestamp()), "end": iso(NOW.timestamp()),
                                 "step_seconds": 3600}
    # Queries 99 + h per hour, the spike hour the mean of its two samples (300 and 900)
    expected = {_hour(NOW, h): (600.0 if NOW - timedelta(hours=h) == MAX_HOUR else 99.0 + h) for h in HOURS}
    qps = history["series"]["queries_per_second"]
    assert _points(qps) == expected
    assert qps["unit"] == "per_second"
    assert qps["avg"] == round(sum(expected.values()) / 24, 4) == 131.75
    assert qps["max"] == 900 and qps["max_at"] == iso(MAX_HOUR.timestamp())  # CloudWatch's Maximum, not 600
    cpu = history["series"]["cpu_percent"]  # the writer's 40 %, not the reader's 95 %
    assert set(_points(cpu).values()) == {40.0} and len(cpu["points"]) == 24
    assert (cpu["unit"], cpu["avg"], cpu["max"]) == ("percent", 40, 40)
    profile = history["weekly_profile"]
    assert profile["series"] == "queries_per_second"
    assert profile["busiest_hour_of_week"] == {"day": DAYS[MAX_HOUR.weekday()], "hour": MAX_HOUR.hour, "avg": 600}
    assert profile["busiest_hour"] == MAX_HOUR.hour
    assert {m["series"] for m in history["missing"]} == {"connections", "read_iops", "write_iops",
                                                         "reads_per_second", "writes_per_second"}
    problems = check_facts({"history": history | {"series": {  # the facts' history (derive drops the points)
        name: {k: v for k, v in entry.items() if k != "points"} for name, entry in history["series"].items()}}})
    assert problems and not [p for p in problems if p.startswith("facts.history")]  # only the absent sections


def test_rds_mysql_has_no_query_metric_its_weekly_profile_is_cpu(moto: MotoServer,  # noqa: F811
                                                                 aws_env: dict[str, str]) -> None:  # noqa: F811
    _seed(moto, aws_env)
    cloud = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db"), now=NOW)
    history = history_from_cloud(cloud)
    assert history is not None
    cpu = history["series"]["cpu_percent"]
    expected = {_hour(NOW, h): (50.0 if NOW - timedelta(hours=h) == MAX_HOUR else float(h)) for h in HOURS}
    assert _points(cpu) == expected
    assert cpu["avg"] == round(sum(expected.values()) / 24, 4) == 13.9583
    assert (cpu["max"], cpu["max_at"]) == (87.5, iso(MAX_HOUR.timestamp()))
    assert list(history["series"]) == ["cpu_percent"]  # FreeableMemory and FreeStorageSpace have no canonical name
    reasons = {m["series"]: m["reason"] for m in history["missing"]}
    assert reasons["queries_per_second"].startswith("CloudWatch publishes it for Aurora MySQL only")
    profile = history["weekly_profile"]
    assert profile["series"] == "cpu_percent"
    assert profile["busiest_hour_of_week"] == {"day": DAYS[MAX_HOUR.weekday()], "hour": MAX_HOUR.hour, "avg": 50}
    # cloud.json keeps its contract: the same summaries, no points
    stripped = without_points(cloud)
    assert len(cloud["metrics"]["points"]["CPUUtilization"]) == 24
    assert stripped["metrics"] == {k: v for k, v in cloud["metrics"].items() if k != "points"}


def test_a_given_history_wins_over_the_cloud_metrics(moto: MotoServer, aws_env: dict[str, str]) -> None:  # noqa: F811
    _seed(moto, aws_env)
    cloud = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db"), now=NOW)
    watched = {"format_version": 1, "source": "watch", "series": {}}
    history, kept = sources(watched, cloud)
    assert history == watched and kept is not None and kept["provider"] == "aws"
    assert "points" not in kept["metrics"] and "points" in cloud["metrics"]
    history, kept = sources(None, cloud)
    assert history is not None and history["source"] == "cloudwatch"
    assert sources(None, None) == (None, None)
    skipped = {**cloud, "metrics": None}
    assert sources(None, skipped) == (None, skipped)


def test_cli_archive_has_cloudwatch_history_and_charts(mariadb: MariaDBServer, moto: MotoServer,  # noqa: F811
                                                       aws_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    _seed(moto, aws_env)
    files = _cli_archive(mariadb, aws_env, tmp_path, "--aws-region", REGION, "--aws-db-instance", "shop-db")
    history = json.loads(files["history.json"])
    assert history["source"] == "cloudwatch"
    cpu = history["series"]["cpu_percent"]
    assert (cpu["avg"], cpu["p95"], cpu["max"]) == (13.9583, 24, 87.5) and len(cpu["points"]) == 24
    cloud = json.loads(files["cloud.json"])
    assert cloud["metrics"]["series"]["CPUUtilization"]["max"] == 87.5
    assert "points" not in files["cloud.json"].decode()
    charts = sorted(name for name in files if name.startswith("charts/"))
    assert charts == ["charts/cpu_percent.svg", "charts/weekly_profile.svg"]
    assert b"cloudwatch" in files["charts/cpu_percent.svg"]
    facts = json.loads(files["facts.json"])
    assert facts["history"]["source"] == "cloudwatch" and "points" not in json.dumps(facts)
    (cpu_row,) = [r for r in facts["sizing"]["rows"] if r["key"] == "cpu"]  # the same figures, named by the cloud
    assert (cpu_row["source"], cpu_row["number"], cpu_row["window"]) == ("cloud:aws", 24, "14 days")
    assert cpu_row["detail"].startswith("CloudWatch CPUUtilization of the primary shop-db")
    answers = {a["id"]: a for a in json.loads(files["submission.json"])["answers"]}
    pattern = answers["performance.traffic_pattern"]  # the weekly profile of CPU: RDS MySQL has no query metric
    assert pattern["source"] == "prefill:history.weekly_profile.busiest_hour"
    assert f"busiest hour of the week {DAYS[MAX_HOUR.weekday()]} {MAX_HOUR.hour:02d}:00" in pattern["value"]
    assert "queries/s" not in pattern["value"] and "% CPU" in pattern["value"]


# --------------------------------------------------------------------------------------------------- Google, Azure


def test_cloud_monitoring_points_become_history(google: tuple[StandIn, GoogleCloud, dict[str, str]]) -> None:  # noqa: F811
    cloud = gcp.collect_cloud(gcp.GcpOptions(instance=CONNECTION), now=GCP_NOW)
    assert cloud["skipped"] == []
    history = history_from_cloud(cloud)
    assert history is not None and history["source"] == "cloud-monitoring"
    max_hour = GCP_NOW - timedelta(hours=15)
    qps = history["series"]["queries_per_second"]  # mysql/queries (questions was not planted): ALIGN_RATE per s
    assert _points(qps) == {_hour(GCP_NOW, h): (400.0 if h == 15 else 100.0) for h in HOURS}
    assert (qps["avg"], qps["max"], qps["max_at"]) == (112.5, 1200, iso(max_hour.timestamp()))  # 72000 / 60 s
    cpu = history["series"]["cpu_percent"]  # the 0-1 fraction as percent
    assert _points(cpu) == {_hour(GCP_NOW, h): float(h) for h in HOURS}
    assert (cpu["max"], cpu["max_at"]) == (87.5, iso(max_hour.timestamp()))
    connections = history["series"]["connections"]
    assert len(connections["points"]) == 336 and (connections["avg"], connections["max"]) == (20, 90)
    assert history["weekly_profile"]["series"] == "queries_per_second"
    assert history["weekly_profile"]["busiest_hour_of_week"] == {
        "day": DAYS[max_hour.weekday()], "hour": max_hour.hour, "avg": 400}


def test_azure_monitor_points_become_history(azure_cloud: tuple[StandIn, AzureCloud, dict[str, str]]) -> None:  # noqa: F811
    cloud = azure.collect_cloud(azure.AzureOptions(), "shop-db.mysql.database.azure.com", now=AZURE_NOW)
    history = history_from_cloud(cloud)
    assert history is not None and history["source"] == "azure-monitor"
    max_hour = AZURE_NOW - timedelta(hours=15)
    qps = history["series"]["queries_per_second"]  # the hour's total / 3600 s
    assert _points(qps) == {_hour(AZURE_NOW, h): (400.0 if h == 15 else 100.0) for h in HOURS}
    assert (qps["avg"], qps["max"], qps["max_at"]) == (112.5, 1200, iso(max_hour.timestamp()))
    cpu = history["series"]["cpu_percent"]
    assert _points(cpu) == {_hour(AZURE_NOW, h): float(h) for h in HOURS}
    assert (cpu["avg"], cpu["max"]) == (12.5, 87.5)
    assert (history["series"]["connections"]["avg"], history["series"]["connections"]["max"]) == (20, 90)
    assert history["missing"] == []


def test_a_document_without_points_gives_no_history() -> None:
    """A cloud.json written before the collectors kept their points (an earlier capture read back)."""
    cloud = {"provider": "aws", "metrics": {"series": {"CPUUtilization": {"avg": 1, "p95": 1, "max": 1,
                                                                          "max_at": "2026-12-01T00:00:00Z"}}}}
    assert history_from_cloud(cloud) is None
    assert history_from_cloud({"provider": "oracle", "metrics": {"series": {}}}) is None
    assert datetime.now(UTC) > NOW - timedelta(hours=1)


def test_the_wizard_archive_takes_the_same_precedence(mariadb: MariaDBServer, moto: MotoServer,  # noqa: F811
                                                      aws_env: dict[str, str]) -> None:  # noqa: F811
    """gui/submission.py: the Cloud account step's document gives history.json when Collect has no history, and
    the watch's history.json wins over it; cloud.json without the points either way."""
    from gui.submission import Submission, prepare
    from prechecks.collection import RunOptions, collect
    from tests.helpers import spec_for

    _seed(moto, aws_env)
    cloud = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db"), now=NOW)
    result = collect(spec_for(mariadb), RunOptions(sleep=0, schema_ddl=False))
    plain = Submission(result, dict(result.readiness), "20261206-120000", (mariadb.root_password,), {}, {}, (), (),
                       cloud=cloud)
    files = prepare(plain).files
    history = json.loads(files["history.json"])
    assert history == json.loads(json.dumps(history_from_cloud(cloud)))
    assert {"charts/cpu_percent.svg", "charts/weekly_profile.svg"} <= set(files)
    assert "points" not in json.loads(files["cloud.json"])["metrics"]
    assert json.loads(files["facts.json"])["history"]["source"] == "cloudwatch"
    watched = json.dumps({**history, "source": "watch"}, indent=2) + "\n"
    files = prepare(Submission(result, dict(result.readiness), "20261206-120000", (mariadb.root_password,), {}, {},
                               (), (), cloud=cloud, history=watched)).files
    assert files["history.json"].decode() == watched
    assert json.loads(files["facts.json"])["history"]["source"] == "watch"
