"""The AWS cloud part (collectors/aws.py) against moto in server mode: real botocore over HTTP on 127.0.0.1.

Faults that moto cannot produce on demand (AccessDenied for one action, throttling, an expired token) come
from tests/aws_standin.FaultProxy, a STAND-IN in front of moto that answers one action with that error.
Nothing here leaves the loopback: every test runs with AWS_ENDPOINT_URL on 127.0.0.1, the instance-metadata
probe off, and a socket guard that fails the test on any connect beyond 127.0.0.0/8.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors import aws
from tests.aws_standin import FaultProxy, MotoServer, free_port, moto_env, start_moto
from tests.helpers import CLI, REPO, cloud_cli_env, loopback_only, read_archive, server_args
from tests.servers import MariaDBServer

REGION = "eu-west-1"
GIB = 1024**3
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
MAX_HOUR = NOW - timedelta(hours=15)


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = start_moto(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def aws_env(moto: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Fake keys, config files in tmp_path, moto as the endpoint; and no connect beyond the loopback."""
    env = moto_env(moto, tmp_path, monkeypatch, {"AWS_ACCESS_KEY_ID": "AKIATESTFAKE000001",
                                                 "AWS_SECRET_ACCESS_KEY": "fake-secret-for-moto",
                                                 "AWS_DEFAULT_REGION": REGION})
    outside = loopback_only(monkeypatch)
    yield env
    assert outside == [], f"connects beyond the loopback were attempted: {outside}"


def _client(service: str, env: dict[str, str], region: str = REGION) -> Any:
    import boto3

    return boto3.client(service, region_name=region, endpoint_url=env["AWS_ENDPOINT_URL"],
                        aws_access_key_id="AKIATESTFAKE000001", aws_secret_access_key="fake-secret-for-moto")


def _seed(moto: MotoServer, env: dict[str, str]) -> None:
    """An RDS MySQL instance with a read replica, an Aurora cluster with a writer and two readers,
    hourly CloudWatch series with a known maximum, and last month's RDS bill."""
    rds = _client("rds", env)
    rds.create_db_instance(DBInstanceIdentifier="shop-db", DBInstanceClass="db.r6g.large", Engine="mysql",
                           EngineVersion="8.0.35", AllocatedStorage=200, StorageType="io1", Iops=3000,
                           MasterUsername="admin", MasterUserPassword="moto-master-pw-1", MultiAZ=True,
                           AvailabilityZone="eu-west-1a", BackupRetentionPeriod=7, StorageEncrypted=True)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="shop-db-replica", SourceDBInstanceIdentifier="shop-db",
                                        DBInstanceClass="db.r6g.large", AvailabilityZone="eu-west-1b")
    rds.create_db_cluster(DBClusterIdentifier="orders", Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.05.2",
                          MasterUsername="admin", MasterUserPassword="moto-master-pw-2")
    for name in ("orders-1", "orders-2", "orders-3"):
        rds.create_db_instance(DBInstanceIdentifier=name, DBClusterIdentifier="orders", Engine="aurora-mysql",
                               DBInstanceClass="db.r6g.xlarge")
    cloudwatch = _client("cloudwatch", env)
    dimension = [{"Name": "DBInstanceIdentifier", "Value": "shop-db"}]
    data = []
    for hour in range(1, 25):  # CPU: hours 1..24 before now hold 1..24 %, hour 15 holds 12.5 and 87.5 instead
        stamp = NOW - timedelta(hours=hour)
        if stamp == MAX_HOUR:
            data += [{"MetricName": "CPUUtilization", "Dimensions": dimension, "Value": v, "Unit": "Percent",
                      "Timestamp": stamp + timedelta(minutes=m)} for m, v in ((5, 12.5), (35, 87.5))]
        else:
            data.append({"MetricName": "CPUUtilization", "Dimensions": dimension, "Timestamp": stamp,
                         "Value": float(hour), "Unit": "Percent"})
    for hour in range(49):  # free storage: 100 GiB two days ago, one GiB less each day since
        stamp = NOW - timedelta(hours=48 - hour) - timedelta(hours=1)
        data.append({"MetricName": "FreeStorageSpace", "Dimensions": dimension, "Timestamp": stamp,
                     "Value": float(100 * GIB - hour * GIB // 24), "Unit": "Bytes"})
    for start in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=data[start:start + 500])
    import urllib.request

    groups = [{"Keys": ["EU-InstanceUsage:db.r6g.large"],
               "Metrics": {"UnblendedCost": {"Amount": "310.25", "Unit": "USD"},
                           "UsageQuantity": {"Amount": "1488", "Unit": "Hrs"}}},
              {"Keys": ["EU-RDS:PIOPS-Storage"],
               "Metrics": {"UnblendedCost": {"Amount": "48.5", "Unit": "USD"},
                           "UsageQuantity": {"Amount": "400", "Unit": "GB-Mo"}}}]
    body = json.dumps({"results": [{"ResultsByTime": [{"TimePeriod": {"Start": "2026-11-01", "End": "2026-12-01"},
                                                        "Total": {}, "Groups": groups, "Estimated": False}]}]})
    request = urllib.request.Request(f"{moto.url}/moto-api/static/ce/cost-and-usage-results", data=body.encode(),
                                     method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201


def test_endpoint_parsing() -> None:
    assert aws.parse_endpoint("shop-db.c9akciq32.eu-west-1.rds.amazonaws.com") == aws.Endpoint(
        "shop-db", "instance", "eu-west-1")
    assert aws.parse_endpoint("orders.cluster-c9akciq32.us-east-2.rds.amazonaws.com") == aws.Endpoint(
        "orders", "cluster", "us-east-2")
    assert aws.parse_endpoint("orders.cluster-ro-c9akciq32.us-east-2.rds.amazonaws.com") == aws.Endpoint(
        "orders", "cluster-ro", "us-east-2")
    assert aws.parse_endpoint("analytics.cluster-custom-c9akciq32.ap-southeast-1.rds.amazonaws.com") == aws.Endpoint(
        "analytics", "cluster-custom", "ap-southeast-1")
    assert aws.parse_endpoint("db.c9akciq32.cn-north-1.rds.amazonaws.com.cn") == aws.Endpoint(
        "db", "instance", "cn-north-1")
    for host in ("127.0.0.1", "db1.internal", "shop-db.eu-west-1.rds.amazonaws.com", "", None,
                 "x.c9.eu-west-1.rds.amazonaws.com.evil.example"):
        assert aws.parse_endpoint(host) is None
    assert not aws.wanted(aws.CloudOptions(), "127.0.0.1")
    assert aws.wanted(aws.CloudOptions(), "shop-db.c9akciq32.eu-west-1.rds.amazonaws.com")
    assert not aws.wanted(aws.CloudOptions(), "shop-db.c9akciq32.eu-west-1.rds.amazonaws.com", no_cloud=True)
    assert aws.wanted(aws.CloudOptions(region="eu-west-1"), "127.0.0.1")


def _called_operations() -> set[tuple[Any, Any]]:
    """Every (service, operation) collectors/aws.py passes to _Run.call, read from its source."""
    tree = ast.parse((REPO / "collectors" / "aws.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "call":
            service, operation = node.args[0], node.args[1]
            assert isinstance(service, ast.Constant) and isinstance(operation, ast.Constant)
            found.add((service.value, operation.value))
    return found


def test_policy_names_exactly_the_actions_called() -> None:
    called = _called_operations()
    assert len(called) == 7
    actions = aws.policy_document()["Statement"][0]["Action"]
    assert sorted(actions) == sorted({aws.CALLS[c] for c in called})
    assert all(a.split(":")[1].startswith(("Describe", "Get", "List")) for a in actions)
    out = subprocess.run([*CLI, "--aws-policy"], capture_output=True, text=True, check=True, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert json.loads(out.stdout) == aws.policy_document()


def test_every_call_is_an_operation_of_the_installed_models(monkeypatch: pytest.MonkeyPatch) -> None:
    assert aws.missing_models() == []
    monkeypatch.setitem(aws.CALLS, ("rds", "DescribeNoSuchThing"), "rds:DescribeNoSuchThing")
    assert aws.missing_models() == ["rds:DescribeNoSuchThing"]


def test_version_does_not_import_boto3() -> None:
    code = "import sys; from prechecks import cli\ntry: cli.main(['--version'])\nexcept SystemExit: pass\n" \
           "print(sorted(m for m in sys.modules if m.startswith(('boto3', 'botocore'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                         timeout=60)
    assert out.stdout.strip().endswith("[]")


def test_rds_instance_with_replica(moto: MotoServer, aws_env: dict[str, str]) -> None:
    _seed(moto, aws_env)
    started = time.monotonic()
    doc = aws.collect_cloud(aws.CloudOptions(), "shop-db.c9akciq32.eu-west-1.rds.amazonaws.com", now=NOW)
    seconds = time.monotonic() - started
    assert seconds < 5, f"the cloud part took {seconds:.1f} s against moto"
    assert doc["format_version"] == 1 and doc["provider"] == "aws" and doc["region"] == "eu-west-1"
    assert doc["skipped"] == []
    primary, replica = doc["instances"]
    assert primary == {
        "id": "shop-db", "role": "primary", "class": "db.r6g.large", "vcpu": 2, "memory_gib": 16.0,
        "engine": "mysql", "engine_version": "8.0.35",
        "storage": {"type": "io1", "allocated_gib": 200, "iops": 3000, "throughput_mibps": None},
        "multi_az": True, "availability_zone": "eu-west-1a", "region": "eu-west-1", "cluster": None,
        "backup_retention_days": 7, "performance_insights": False, "encrypted": True,
        "publicly_accessible": False, "parameter_groups": ["default.mysql8.0"],
    }
    assert (replica["id"], replica["role"], replica["class"], replica["vcpu"], replica["memory_gib"]) == (
        "shop-db-replica", "replica", "db.r6g.large", 2, 16.0)
    metrics = doc["metrics"]
    assert (metrics["instance"], metrics["window_days"], metrics["period_seconds"]) == ("shop-db", 14, 3600)
    # hourly averages 1..24 with hour 15's average (12.5+87.5)/2 = 50: avg 335/24, p95 the 23rd of 24 sorted = 24
    assert metrics["series"]["CPUUtilization"] == {
        "avg": 13.9583, "p95": 24, "max": 87.5, "max_at": MAX_HOUR.strftime("%Y-%m-%dT%H:%M:%SZ")}
    free = metrics["series"]["FreeStorageSpace"]
    assert free["max"] == 100 * GIB and free["growth_gib_per_day"] == 1
    assert "ReadIOPS" in metrics["no_data"] and "Queries" not in metrics["no_data"]  # Aurora's only on Aurora
    assert doc["bill"] == {"month": (NOW.date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
                           "service": "Amazon RDS", "currency": "USD", "total": 358.75, "items": [
        {"usage_type": "EU-InstanceUsage:db.r6g.large", "cost": 310.25, "usage": 1488, "usage_unit": "Hrs"},
        {"usage_type": "EU-RDS:PIOPS-Storage", "cost": 48.5, "usage": 400, "usage_unit": "GB-Mo"}]}


def test_aurora_cluster_from_reader_endpoint(moto: MotoServer, aws_env: dict[str, str]) -> None:
    _seed(moto, aws_env)
    doc = aws.collect_cloud(aws.CloudOptions(), "orders.cluster-ro-c9akciq32.eu-west-1.rds.amazonaws.com", now=NOW)
    assert doc["endpoint"] == {"host": "orders.cluster-ro-c9akciq32.eu-west-1.rds.amazonaws.com", "kind": "cluster-ro",
                               "name": "orders"}
    assert [(i["id"], i["role"], i["vcpu"], i["memory_gib"]) for i in doc["instances"]] == [
        ("orders-1", "writer", 4, 32.0), ("orders-2", "reader", 4, 32.0), ("orders-3", "reader", 4, 32.0)]
    assert doc["cluster"]["id"] == "orders" and doc["cluster"]["engine"] == "aurora-mysql"
    assert doc["metrics"]["instance"] == "orders-1"
    assert "Queries" in doc["metrics"]["no_data"]  # asked for on Aurora (none put here)
    assert doc["skipped"] == []


def test_unknown_instance_is_a_named_skip(moto: MotoServer, aws_env: dict[str, str]) -> None:
    doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="no-such-db"), None, now=NOW)
    assert doc["instances"] == [] and doc["metrics"] is None
    (skip,) = doc["skipped"]
    assert skip["part"] == "instances" and skip["iam_action"] == "rds:DescribeDBInstances"
    assert skip["reason"].startswith("not found (DBInstanceNotFound")


def test_unknown_class_says_unknown(moto: MotoServer, aws_env: dict[str, str]) -> None:
    rds = _client("rds", aws_env)
    rds.create_db_instance(DBInstanceIdentifier="odd", DBInstanceClass="db.z9q.huge", Engine="mysql",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="moto-master-pw-3")
    doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="odd"), None, now=NOW)
    assert (doc["instances"][0]["vcpu"], doc["instances"][0]["memory_gib"]) == ("unknown", "unknown")
    assert [s["part"] for s in doc["skipped"]] == ["class db.z9q.huge"]
    assert doc["skipped"][0]["iam_action"] == "ec2:DescribeInstanceTypes"


@pytest.mark.parametrize(("action", "part", "iam_action"), [
    ("DescribeDBInstances", "instances", "rds:DescribeDBInstances"),
    ("DescribeInstanceTypes", "class db.r6g.large", "ec2:DescribeInstanceTypes"),
    ("GetMetricData", "metrics", "cloudwatch:GetMetricData"),
    ("GetCostAndUsage", "bill", "ce:GetCostAndUsage"),
    ("DescribeDBParameters", "parameter group", "rds:DescribeDBParameters"),
])
def test_access_denied_skips_one_part_naming_the_action(moto: MotoServer, aws_env: dict[str, str],
                                                        monkeypatch: pytest.MonkeyPatch, action: str, part: str,
                                                        iam_action: str) -> None:
    _seed(moto, aws_env)
    code = "UnauthorizedOperation" if action == "DescribeInstanceTypes" else (
        "AccessDeniedException" if action == "GetCostAndUsage" else "AccessDenied")
    proxy = FaultProxy(moto.port, action, code)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db"), None, now=NOW)
    finally:
        proxy.close()
    assert [(s["part"], s["iam_action"]) for s in doc["skipped"]] == [(part, iam_action)]
    assert doc["skipped"][0]["reason"] == (f"not allowed: the credentials lack {iam_action} (add it: "
                                           "ps-prechecks --aws-policy)")
    assert proxy.seen[action] == 1  # a denial is not retried
    if action != "DescribeDBInstances":  # the other parts are still read
        assert doc["instances"][0]["id"] == "shop-db"
        assert (doc["metrics"] is None) == (action == "GetMetricData")
        assert (doc["bill"] is None) == (action == "GetCostAndUsage")


def test_throttling_is_retried_within_the_budget(moto: MotoServer, aws_env: dict[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(moto, aws_env)
    proxy = FaultProxy(moto.port, "DescribeDBInstances", "Throttling", times=2)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db"), None, now=NOW)
    finally:
        proxy.close()
    assert doc["skipped"] == [] and doc["instances"][0]["id"] == "shop-db"
    assert proxy.seen["DescribeDBInstances"] == 2 + 2  # two throttled, then shop-db and its replica


def test_throttling_that_persists_is_a_named_skip(moto: MotoServer, aws_env: dict[str, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(moto, aws_env)
    proxy = FaultProxy(moto.port, "GetMetricData", "ThrottlingException")
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db"), None, now=NOW)
    finally:
        proxy.close()
    assert [(s["part"], s["iam_action"]) for s in doc["skipped"]] == [("metrics", "cloudwatch:GetMetricData")]
    assert "kept throttling GetMetricData" in doc["skipped"][0]["reason"]
    assert proxy.seen["GetMetricData"] == 3  # botocore standard mode, total_max_attempts 3


def test_spent_budget_stops_the_cloud_part(moto: MotoServer, aws_env: dict[str, str]) -> None:
    _seed(moto, aws_env)
    ticks = iter([0.0, 0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0])
    doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db", budget=30), None, now=NOW,
                            clock=lambda: next(ticks))
    assert doc["skipped"][-1]["part"] == "aws"
    assert doc["skipped"][-1]["reason"].startswith("the time budget for the cloud part was spent")


def test_expired_token_is_one_line(moto: MotoServer, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = FaultProxy(moto.port, "DescribeDBInstances", "ExpiredToken")
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "expired-session-token")
    try:
        doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db"), None, now=NOW)
    finally:
        proxy.close()
    assert doc["skipped"] == [{"part": "aws", "iam_action": None, "reason": "AWS refused the credentials "
                               "(ExpiredToken): log in again (aws sso login, or fresh keys) and run again"}]


def test_no_credentials_is_one_line(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db"), None, now=NOW)
    assert doc["skipped"] == [{"part": "aws", "iam_action": None, "reason": "no AWS credentials found: give "
                               "--aws-profile, set AWS_PROFILE or the AWS_ACCESS_KEY_ID variables, or run aws sso "
                               "login"}]


def test_unknown_profile_is_one_line(aws_env: dict[str, str]) -> None:
    doc = aws.collect_cloud(aws.CloudOptions(profile="nope", region=REGION, db_instance="shop-db"), None, now=NOW)
    assert doc["skipped"][0]["reason"] == ("AWS profile 'nope' is not in ~/.aws/config or credentials: "
                                           "check --aws-profile")


def test_unreachable_endpoint_is_bounded(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    started = time.monotonic()
    doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="shop-db"), None, now=NOW)
    assert time.monotonic() - started < 30
    assert doc["skipped"] == [{"part": "aws", "iam_action": None, "reason": "AWS could not be reached "
                               "(EndpointConnectionError): check the network or AWS_ENDPOINT_URL"}]


def test_cli_archive_holds_cloud_json_and_no_credential(mariadb: MariaDBServer, moto: MotoServer,
                                                        aws_env: dict[str, str], tmp_path: Path) -> None:
    _seed(moto, aws_env)
    planted = {"AWS_ACCESS_KEY_ID": "AKIAPLANTEDKEY7Q3Z9X", "AWS_SECRET_ACCESS_KEY": "planted/Secret+Key/9f8e7d6c5b",
               "AWS_SESSION_TOKEN": "PlantedSessionToken//FwoGZXIvYXdzEBYaD"}
    env = cloud_cli_env({**aws_env, **planted, "MYSQL_PWD": mariadb.root_password}, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([*CLI, *server_args(mariadb), "--sleep=0", "--no-schema-ddl", "--output", str(out),
                           "--aws-region", REGION, "--aws-db-instance", "shop-db"],
                          capture_output=True, text=True, env=env, timeout=180, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "ps-prechecks: cloud: 2 instance(s) read in eu-west-1\n" in proc.stderr
    archive = Path(proc.stdout.strip().splitlines()[-1])
    files = read_archive(archive)
    doc = json.loads(files["cloud.json"])
    assert [i["id"] for i in doc["instances"]] == ["shop-db", "shop-db-replica"]
    assert doc["metrics"]["series"]["CPUUtilization"]["max"] == 87.5
    assert doc["bill"]["total"] == 358.75
    (report_name,) = [n for n in files if n.startswith("ps_report_")]
    report = files[report_name].decode()
    section = report[report.index("## Cloud (AWS)"):report.index("## The End")]
    assert "| shop-db | primary | db.r6g.large | 2 | 16.0 | mysql 8.0.35 | io1 | 200 | 3000 | yes | eu-west-1a |" \
        in section
    assert "| shop-db-replica | replica | db.r6g.large | 2 | 16.0 |" in section
    assert f"| CPUUtilization | 13.9583 | 24 | 87.5 | {MAX_HOUR:%Y-%m-%dT%H:%M:%SZ} |" in section
    assert ": 358.75 USD, by usage type:" in section
    assert "| EU-InstanceUsage:db.r6g.large | 310.25 | 1488 Hrs |" in section
    everything = [proc.stdout, proc.stderr, *(b.decode("utf-8", "replace") for b in files.values())]
    for path in (tmp_path / "home").rglob("*"):  # drafts, logs, settings
        if path.is_file():
            everything.append(path.read_text(errors="replace"))
    for path in out.iterdir():
        if path.is_file() and path != archive:
            everything.append(path.read_text(errors="replace"))
    for secret in planted.values():
        assert not [text for text in everything if secret in text], secret


def test_cli_without_credentials_still_writes_the_sql_archive(mariadb: MariaDBServer, aws_env: dict[str, str],
                                                              tmp_path: Path) -> None:
    env = cloud_cli_env({**aws_env, "MYSQL_PWD": mariadb.root_password}, tmp_path)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(key)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([*CLI, *server_args(mariadb), "--sleep=0", "--no-schema-ddl", "--output", str(out),
                           "--aws-region", REGION, "--aws-db-instance", "shop-db"],
                          capture_output=True, text=True, env=env, timeout=180, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert ("ps-prechecks: cloud: 0 instance(s) read in eu-west-1; skipped aws: no AWS credentials found: give "
            "--aws-profile, set AWS_PROFILE or the AWS_ACCESS_KEY_ID variables, or run aws sso login\n") in proc.stderr
    files = read_archive(Path(proc.stdout.strip().splitlines()[-1]))
    assert "facts.json" in files and "manifest.json" in files
    assert json.loads(files["cloud.json"])["skipped"][0]["part"] == "aws"
    (report_name,) = [n for n in files if n.startswith("ps_report_")]
    assert ("- aws: no AWS credentials found: give --aws-profile, set AWS_PROFILE or the AWS_ACCESS_KEY_ID "
            "variables, or run aws sso login\n") in files[report_name].decode()


def test_cli_without_cloud_flags_touches_no_aws(mariadb: MariaDBServer, tmp_path: Path) -> None:
    env = cloud_cli_env({"MYSQL_PWD": mariadb.root_password, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([*CLI, *server_args(mariadb), "--sleep=0", "--no-schema-ddl", "--output", str(out)],
                          capture_output=True, text=True, env=env, timeout=180, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "cloud:" not in proc.stderr
    assert not [n for n in read_archive(Path(proc.stdout.strip().splitlines()[-1])) if n.endswith("cloud.json")]


def test_no_credentials_in_an_empty_network_namespace(tmp_path: Path) -> None:
    """The credential chain with nothing configured, run where only a loopback exists (unshare -n): the
    metadata probe is off, so the answer is the one line at once, not a wait on 169.254.169.254."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("unshare -n needs root (the socket guard of the other tests still applies)")
    (tmp_path / "empty").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=str(tmp_path / "empty"), HOME=str(tmp_path),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "empty"), PYTHONPATH=str(REPO))
    code = ("import json; from collectors import aws; print(json.dumps(aws.collect_cloud(aws.CloudOptions(), "
            "'shop-db.c9akciq32.eu-west-1.rds.amazonaws.com')['skipped']))")
    started = time.monotonic()
    proc = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up; exec "$0" -c "$1"', sys.executable,
                           code], capture_output=True, text=True, env=env, timeout=60, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 20
    assert json.loads(proc.stdout) == [{"part": "aws", "iam_action": None, "reason": "no AWS credentials found: give "
                                        "--aws-profile, set AWS_PROFILE or the AWS_ACCESS_KEY_ID variables, or run "
                                        "aws sso login"}]


def test_cloud_json_goes_through_the_redaction_pass() -> None:
    """cloud.json is an archive file like any other: with --redact hostnames the endpoint is a pseudonym,
    and the secrets are scrubbed from it."""
    from prechecks.bundle import ArchiveInputs, build
    from prechecks.derive import derive

    host = "shop-db.c9akciq32.eu-west-1.rds.amazonaws.com"
    cloud = json.dumps({"format_version": 1, "endpoint": {"host": host, "kind": "instance", "name": "shop-db"},
                        "note": "pw s3cr3t-value-123", "region": "eu-west-1",
                        "skipped": [{"part": "bill", "reason": f"{host} said s3cr3t-value-123", "iam_action": None}]})
    inputs = ArchiveInputs("2026_12_06_00_00_00", extra_files={"cloud.json": cloud}, secrets=["s3cr3t-value-123"])
    files = build(derive({"source": {"host": host, "port": 3306}}), inputs, ("hostnames",)).files
    text = files["cloud.json"].decode()
    report = files["ps_report_2026_12_06_00_00_00.md"].decode()
    assert "## Cloud (AWS)" in report and "- bill: host" in report
    for name in ("cloud.json", "ps_report_2026_12_06_00_00_00.md"):
        assert host not in files[name].decode() and "s3cr3t-value-123" not in files[name].decode()
    assert json.loads(text)["endpoint"]["host"].startswith("host")


def test_servers_entries_take_the_aws_keys(mariadb: MariaDBServer, moto: MotoServer, aws_env: dict[str, str],
                                           tmp_path: Path) -> None:
    _seed(moto, aws_env)
    servers = tmp_path / "servers.toml"
    servers.write_text(f'''
        [[server]]
        name = "shop"
        host = "{mariadb.host}"
        port = {mariadb.port}
        user = "root"
        password_env = "SHOP_PW"
        aws_region = "{REGION}"
        aws_db_instance = "shop-db"

        [[server]]
        name = "plain"
        host = "{mariadb.host}"
        port = {mariadb.port}
        user = "root"
        password_env = "SHOP_PW"
        aws_db_instance = "shop-db"
        no_cloud = true
    ''')
    servers.chmod(0o600)
    env = cloud_cli_env({**aws_env, "SHOP_PW": mariadb.root_password}, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([*CLI, "--servers", str(servers), "--sleep=0", "--no-schema-ddl", "--output", str(out)],
                          capture_output=True, text=True, env=env, timeout=180, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "ps-prechecks: server shop: cloud: 2 instance(s) read in eu-west-1\n" in proc.stderr
    files = read_archive(Path(proc.stdout.strip().splitlines()[-1]))
    assert [i["id"] for i in json.loads(files["shop/cloud.json"])["instances"]] == ["shop-db", "shop-db-replica"]
    assert "plain/cloud.json" not in files and "plain/facts.json" in files
    sizing = {r["key"]: r for r in json.loads(files["shop/facts.json"])["sizing"]["rows"]}
    assert (sizing["memory"]["value"], sizing["memory"]["source"]) == ("16 GiB (db.r6g.large)", "cloud:aws")
    plain = {r["key"]: r for r in json.loads(files["plain/facts.json"])["sizing"]["rows"]}
    assert plain["memory"]["source"] == "sql" and plain["compute"]["source"] == "none"


def test_servers_file_refuses_a_bad_no_cloud(tmp_path: Path) -> None:
    from prechecks.servers import ServersFileError, load_servers

    servers = tmp_path / "servers.toml"
    servers.write_text('[[server]]\nname = "a"\nhost = "db1"\nno_cloud = "yes"\n')
    servers.chmod(0o600)
    with pytest.raises(ServersFileError, match=r"server 'a': no_cloud must be true or false"):
        load_servers(servers)


# ----------------------------------------------------------------- the sizing table and the prefill from cloud.json


def _seed_aurora_metrics(env: dict[str, str]) -> None:
    """The Aurora writer orders-1: Queries/s 100..123 over the last 24 hours with one spike of 900 (and 300 in
    the same hour), CPU 40 % flat; a reader gets a higher CPU that must not be read as the writer's."""
    cloudwatch = _client("cloudwatch", env)
    data = []
    for hour in range(1, 25):
        stamp = NOW - timedelta(hours=hour)
        for instance, cpu in (("orders-1", 40.0), ("orders-2", 95.0)):
            data.append({"MetricName": "CPUUtilization", "Timestamp": stamp, "Value": cpu, "Unit": "Percent",
                         "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": instance}]})
        dimension = [{"Name": "DBInstanceIdentifier", "Value": "orders-1"}]
        if stamp == MAX_HOUR:
            data += [{"MetricName": "Queries", "Dimensions": dimension, "Value": v, "Unit": "Count/Second",
                      "Timestamp": stamp + timedelta(minutes=m)} for m, v in ((5, 300.0), (35, 900.0))]
        else:
            data.append({"MetricName": "Queries", "Dimensions": dimension, "Timestamp": stamp,
                         "Value": float(99 + hour), "Unit": "Count/Second"})
    cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=data)


def _cli_archive(mariadb: MariaDBServer, env: dict[str, str], tmp_path: Path, *flags: str) -> dict[str, bytes]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    proc = subprocess.run([*CLI, *server_args(mariadb), "--sleep=0", "--no-schema-ddl", "--output", str(out), *flags],
                          capture_output=True, text=True, env=cloud_cli_env({**env, "MYSQL_PWD": mariadb.root_password},
                                                                       tmp_path),
                          timeout=180, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return read_archive(Path(proc.stdout.strip().splitlines()[-1]))


def _rows(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = facts["sizing"]["rows"]
    assert [r["key"] for r in rows] == ["memory", "compute", "cpu", "storage_allocated", "storage_used",
                                        "storage_growth", "iops", "replicas", "regions", "data_size", "largest_table",
                                        "write_rate", "query_load_average", "query_load_peak", "connections",
                                        "support"]
    return {r["key"]: r for r in rows}


def _answers(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in json.loads(files["submission.json"])["answers"]}


def _report(files: dict[str, bytes]) -> str:
    (name,) = [n for n in files if n.startswith("ps_report_")]
    return files[name].decode()


def test_rds_with_replica_sizing_report_and_prefill(mariadb: MariaDBServer, moto: MotoServer,
                                                    aws_env: dict[str, str], tmp_path: Path) -> None:
    _seed(moto, aws_env)
    files = _cli_archive(mariadb, aws_env, tmp_path, "--aws-region", REGION, "--aws-db-instance", "shop-db")
    facts = json.loads(files["facts.json"])
    rows = _rows(facts)
    detail = "RDS DescribeDBInstances shop-db (primary) db.r6g.large + EC2 DescribeInstanceTypes"
    cloudwatch = "(hourly averages; max is the highest hourly maximum)"
    when = f"{MAX_HOUR:%Y-%m-%d %H:%M} UTC"
    # free storage: 49 hourly values 100 GiB - n/24 GiB (n = 0..48, in whole bytes): on average 99 GiB free
    assert rows["memory"] == {"key": "memory", "label": "Memory", "value": "16 GiB (db.r6g.large)",
                              "number": 16 * GIB, "unit": "bytes", "source": "cloud:aws", "detail": detail,
                              "window": None}
    assert (rows["compute"]["value"], rows["compute"]["number"], rows["compute"]["unit"]) == (
        "2 vCPU (db.r6g.large)", 2, "vcpu")
    assert rows["cpu"] == {"key": "cpu", "label": "CPU utilisation",
                           "value": f"avg 14.0 %, p95 24 %, max 87.5 % ({when})", "number": 24, "unit": "percent",
                           "source": "cloud:aws",
                           "detail": f"CloudWatch CPUUtilization of the primary shop-db {cloudwatch}",
                           "window": "14 days"}
    assert (rows["storage_allocated"]["value"], rows["storage_allocated"]["number"]) == (
        "200 GiB io1, 3,000 provisioned IOPS", 200 * GIB)
    assert (rows["storage_used"]["value"], rows["storage_used"]["number"], rows["storage_used"]["window"]) == (
        "about 101 GiB (allocated minus the average free space)", 101 * GIB, "14 days")
    assert (rows["storage_growth"]["value"], rows["storage_growth"]["number"], rows["storage_growth"]["source"]) == (
        "1 GiB/day", GIB, "cloud:aws")
    assert (rows["replicas"]["value"], rows["replicas"]["number"]) == (
        "1 replica (shop-db-replica db.r6g.large); Multi-AZ standby", 1)
    assert rows["regions"]["value"] == "eu-west-1 (zones eu-west-1a, eu-west-1b)"
    # no IOPS, connection or query metric was put: those rows come from SQL, said for what they are
    for key in ("iops", "query_load_average", "query_load_peak", "connections", "data_size"):
        assert rows[key]["source"] == "sql", key
    assert rows["query_load_peak"]["value"].endswith("sampled during the run: a lower bound, the real peak is "
                                                     "likely higher")
    assert rows["query_load_average"]["number"] == pytest.approx(facts["workload"]["qps_average_since_start"])
    assert rows["support"]["source"] == "none" and rows["support"]["value"] == "not measured"
    assert facts["provenance"]["sizing.cpu"] == {
        "source": f"cloud:aws: CloudWatch CPUUtilization of the primary shop-db {cloudwatch}",
        "window_seconds": 14 * 86400}
    assert facts["cloud"]["metrics"]["role"] == "primary"

    report = _report(files)
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["## PlanetScale Migration Pre-Check Report", "## Sizing and pricing inputs",
                            "## PlanetScale import readiness"]
    section = report[report.index("## Sizing and pricing inputs"):report.index("## PlanetScale import readiness")]
    assert "                             Memory | 16 GiB (db.r6g.large)\n" \
           f"    from cloud:aws: {detail}\n" in section
    assert f"                    CPU utilisation | avg 14.0 %, p95 24 %, max 87.5 % ({when})\n" \
           f"    from cloud:aws, window 14 days: CloudWatch CPUUtilization of the primary shop-db " \
           f"{cloudwatch}\n" in section
    assert "## Cloud (AWS)" in report  # kept

    answers = _answers(files)
    assert answers["architecture.instance_size"]["value"] == (
        "primary db.r6g.large (2 vCPU, 16 GiB memory); 1 × replica: db.r6g.large (2 vCPU, 16 GiB memory)")
    assert answers["architecture.instance_size"]["source"] == "prefill:cloud.instances[0].class"
    assert answers["architecture.instance_count"]["value"] == 2
    assert answers["architecture.instance_count"]["source"] == "prefill:cloud.instances"
    assert answers["architecture.disk"]["value"] == (
        "allocated 200 GiB io1, 3000 provisioned IOPS; used about 101 GiB (allocated minus the average free space) "
        "over 14 days")
    assert answers["architecture.disk"]["source"] == "prefill:cloud.instances[0].storage.allocated_gib"
    assert (answers["architecture.regions"]["value"], answers["architecture.regions"]["source"]) == (
        "eu-west-1 (zones eu-west-1a, eu-west-1b)", "prefill:cloud.region")
    assert answers["performance.cpu"]["value"] == (
        f"CPUUtilization avg 14.0 %, p95 24 %, max 87.5 % ({when}) on 2 vCPU (db.r6g.large)")
    assert answers["performance.cpu"]["source"] == "prefill:cloud.metrics.series.CPUUtilization.p95"
    assert answers["performance.memory"]["value"] == "16 GiB on the instance"
    assert answers["plan.replicas"]["value"] == "today 1 read replica(s) in eu-west-1, and a Multi-AZ standby"
    assert (answers["plan.bill_attached"]["value"], answers["plan.bill_attached"]["source"]) == (
        "yes", "prefill:cloud.bill")
    # RDS MySQL publishes no query metric: the peak stays the SQL lower bound
    assert answers["performance.qps_peak"]["source"] in ("prefill:workload.qps_sampled",
                                                        "prefill:workload.qps_average_since_start")
    questions = files["freeform_questions.md"].decode()
    assert ("_(prefilled from cloud.metrics.series.CPUUtilization.p95, measured): 14 days of CloudWatch: avg and "
            "p95 of the averages, the highest maximum and when_") in questions


def test_aurora_with_two_readers_sizing_report_and_prefill(mariadb: MariaDBServer, moto: MotoServer,
                                                           aws_env: dict[str, str], tmp_path: Path) -> None:
    _seed(moto, aws_env)
    _seed_aurora_metrics(aws_env)
    files = _cli_archive(mariadb, aws_env, tmp_path, "--aws-region", REGION, "--aws-db-cluster", "orders")
    facts = json.loads(files["facts.json"])
    rows = _rows(facts)
    when = f"{MAX_HOUR:%Y-%m-%d %H:%M} UTC"
    assert facts["cloud"]["metrics"]["instance"] == "orders-1"  # the writer's, not a reader's 95 %
    assert (rows["memory"]["value"], rows["memory"]["number"]) == ("32 GiB (db.r6g.xlarge)", 32 * GIB)
    assert rows["compute"]["value"] == "4 vCPU (db.r6g.xlarge)"
    assert (rows["cpu"]["value"], rows["cpu"]["number"]) == (
        f"avg 40 %, p95 40 %, max 40 % ({(NOW - timedelta(hours=24)):%Y-%m-%d %H:%M} UTC)", 40)
    assert rows["storage_allocated"]["value"] == "none: Aurora storage grows with the data (billed by GiB used)"
    assert rows["storage_used"]["source"] == "sql"  # Aurora's FreeStorageSpace is not the cluster volume
    assert (rows["replicas"]["value"], rows["replicas"]["number"]) == (
        "2 readers (orders-2 db.r6g.xlarge, orders-3 db.r6g.xlarge)", 2)
    # Queries: hourly averages 100..123 without hour 15 (114), whose average is (300+900)/2 = 600
    average = (sum(range(100, 124)) - 114 + 600) / 24
    assert rows["query_load_average"] == {
        "key": "query_load_average", "label": "Query load, average",
        "value": f"avg {average:,.0f}/s, p95 123/s, max 900/s ({when})", "number": round(average, 4),
        "unit": "per_second", "source": "cloud:aws",
        "detail": "CloudWatch Queries of the writer orders-1 (hourly averages; max is the highest hourly maximum)",
        "window": "14 days"}
    assert (rows["query_load_peak"]["number"], rows["query_load_peak"]["source"]) == (900, "cloud:aws")
    report = _report(files)
    assert f"                   Query load, peak | avg {average:,.0f}/s, p95 123/s, max 900/s ({when})\n" in report
    answers = _answers(files)
    assert answers["performance.qps_peak"] == {
        "id": "performance.qps_peak", "section": "performance",
        "question": answers["performance.qps_peak"]["question"], "value": 900.0,
        "source": "prefill:cloud.metrics.series.Queries.max", "confidence": "measured"}
    assert answers["architecture.instance_count"]["value"] == 3
    assert answers["architecture.instance_size"]["value"] == (
        "writer db.r6g.xlarge (4 vCPU, 32 GiB memory); 2 × reader: db.r6g.xlarge (4 vCPU, 32 GiB memory)")
    assert answers["plan.replicas"]["value"] == "today 2 reader(s) in eu-west-1"
    assert answers["architecture.disk"]["value"].startswith("Aurora storage (nothing allocated: it grows with the "
                                                            "data); used ")


def test_metrics_are_the_writers_when_connected_to_a_replica(moto: MotoServer, aws_env: dict[str, str]) -> None:
    _seed(moto, aws_env)
    doc = aws.collect_cloud(aws.CloudOptions(), "shop-db-replica.c9akciq32.eu-west-1.rds.amazonaws.com", now=NOW)
    assert [(i["id"], i["role"]) for i in doc["instances"]] == [("shop-db-replica", "replica"), ("shop-db", "primary")]
    assert (doc["metrics"]["instance"], doc["metrics"]["role"]) == ("shop-db", "primary")
    assert doc["metrics"]["series"]["CPUUtilization"]["max"] == 87.5


def test_parameter_group_binlog_settings(moto: MotoServer, aws_env: dict[str, str]) -> None:
    rds = _client("rds", aws_env)
    rds.create_db_parameter_group(DBParameterGroupName="shop-params", DBParameterGroupFamily="mysql8.0",
                                  Description="binlog settings")
    rds.modify_db_parameter_group(DBParameterGroupName="shop-params", Parameters=[
        {"ParameterName": name, "ParameterValue": value, "ApplyMethod": "immediate"}
        for name, value in (("binlog_format", "ROW"), ("binlog_row_image", "full"), ("max_connections", "500"))])
    rds.create_db_instance(DBInstanceIdentifier="pg-db", DBInstanceClass="db.r6g.large", Engine="mysql",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="moto-master-pw-4",
                           DBParameterGroupName="shop-params")
    doc = aws.collect_cloud(aws.CloudOptions(region=REGION, db_instance="pg-db"), None, now=NOW)
    group = doc["parameter_group"]
    assert (group["name"], group["instance"]) == ("shop-params", "pg-db")
    assert group["values"] == {"binlog_format": "ROW", "binlog_row_image": "full"}  # only the binlog settings
    assert group["not_listed"] == ["binlog_expire_logs_seconds", "expire_logs_days", "gtid-mode",
                                   "enforce_gtid_consistency"]
    # where SQL could not read mysql.rds_configuration, the retention rule says what the group holds
    from prechecks.readiness import check_binlog_retention

    check = check_binlog_retention({"server": {"platform": "rds"}, "cloud": doc,
                                    "collection": {"collectors": [{"name": "rds_configuration", "status": "skipped",
                                                                   "reason": "the account may not run it"}]}})
    assert check["status"] == "skipped"
    assert check["detail"].endswith(
        "; the DB parameter group shop-params (read from AWS: rds:DescribeDBParameters) does not hold the retention, "
        "RDS keeps it only there; it sets binlog_format = ROW, binlog_row_image = full: grant EXECUTE ON PROCEDURE "
        "mysql.rds_show_configuration to read it")
