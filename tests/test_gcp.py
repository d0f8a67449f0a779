"""The Google Cloud SQL part (collectors/gcp.py): google-api-python-client and google-auth, unchanged, over
real HTTP against tests/cloud_standins.GoogleCloud, a STAND-IN answering the Cloud SQL Admin and Cloud
Monitoring APIs' documented responses (no emulator exists for them). The credentials are a service-account key
made in tmp_path whose token_uri is the stand-in: google-auth signs its JWT and the stand-in checks the
signature. Nothing leaves the loopback: the metadata server checks are off (NO_GCE_CHECK) or pointed at a
closed loopback port, and a socket guard fails the test on any connect beyond 127.0.0.0/8.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors import gcp
from tests.cloud_standins import GoogleCloud, StandIn, google_denied, google_throttled, service_account_file
from tests.helpers import CLI, REPO, cloud_cli_env, loopback_only, read_archive, server_args
from tests.servers import MariaDBServer

PROJECT = "shop-prod"
GIB = 1024**3
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
MAX_HOUR = NOW - timedelta(hours=15)
CONNECTION = f"{PROJECT}:europe-west1:shop-db"


def _instance(name: str, tier: str, *, replica_of: str | None = None, replicas: list[str] | None = None
              ) -> dict[str, Any]:
    """A DatabaseInstance as cloud.google.com/sql/docs/mysql/admin-api/rest/v1/instances#DatabaseInstance
    documents it (the fields ps-prechecks reads, plus a few it does not)."""
    body: dict[str, Any] = {
        "kind": "sql#instance", "state": "RUNNABLE", "databaseVersion": "MYSQL_8_0_35",
        "settings": {
            "kind": "sql#settings", "tier": tier, "edition": "ENTERPRISE", "availabilityType":
            "REGIONAL" if replica_of is None else "ZONAL", "pricingPlan": "PER_USE", "activationPolicy": "ALWAYS",
            "dataDiskType": "PD_SSD", "dataDiskSizeGb": "250", "storageAutoResize": True,
            "storageAutoResizeLimit": "1000", "settingsVersion": "12",
            "ipConfiguration": {"ipv4Enabled": True, "requireSsl": True, "sslMode":
                                "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
                                "authorizedNetworks": [{"value": "203.0.113.0/24", "name": "office",
                                                        "kind": "sql#aclEntry"}]},
            "backupConfiguration": {"enabled": True, "binaryLogEnabled": True, "startTime": "03:00",
                                    "kind": "sql#backupConfiguration", "transactionLogRetentionDays": 7,
                                    "pointInTimeRecoveryEnabled": True,
                                    "backupRetentionSettings": {"retentionUnit": "COUNT", "retainedBackups": 14}},
            "databaseFlags": [{"name": "long_query_time", "value": "2"}, {"name": "slow_query_log", "value": "on"}],
            "maintenanceWindow": {"kind": "sql#maintenanceWindow", "hour": 3, "day": 7},
        },
        "project": PROJECT, "name": name, "connectionName": f"{PROJECT}:europe-west1:{name}",
        "region": "europe-west1", "gceZone": "europe-west1-b" if replica_of is None else "europe-west1-c",
        "instanceType": "CLOUD_SQL_INSTANCE" if replica_of is None else "READ_REPLICA_INSTANCE",
        "backendType": "SECOND_GEN", "ipAddresses": [{"type": "PRIMARY", "ipAddress": "198.51.100.7"}],
        "serviceAccountEmailAddress": "p1234-abcd@gcp-sa-cloud-sql.iam.gserviceaccount.com",
    }
    if replica_of is None:
        body["secondaryGceZone"] = "europe-west1-d"
    else:
        body["masterInstanceName"] = f"{PROJECT}:{replica_of}"
    if replicas:
        body["replicaNames"] = replicas
    return body


def _seed(cloud: GoogleCloud) -> None:
    """shop-db (db-custom-4-16384) with a read replica (db-n1-standard-2), two more instances for paging,
    and 24 hourly points of CPU and queries with a known peak, 49 of disk bytes growing 1 GiB a day."""
    cloud.instances[(PROJECT, "shop-db")] = _instance("shop-db", "db-custom-4-16384", replicas=["shop-db-replica"])
    cloud.instances[(PROJECT, "shop-db-replica")] = _instance("shop-db-replica", "db-n1-standard-2",
                                                              replica_of="shop-db")
    cloud.instances[(PROJECT, "analytics")] = _instance("analytics", "db-perf-optimized-N-8")
    cloud.instances[(PROJECT, "staging")] = _instance("staging", "db-g1-small")
    database = f"{PROJECT}:shop-db"
    cpu = "cloudsql.googleapis.com/database/cpu/utilization"
    queries = "cloudsql.googleapis.com/database/mysql/queries"
    disk = "cloudsql.googleapis.com/database/disk/bytes_used"
    hours = [NOW - timedelta(hours=h) for h in range(1, 25)]
    cloud.points[(database, cpu, "ALIGN_MEAN")] = [(w, h / 100) for h, w in enumerate(hours, 1)]
    cloud.points[(database, cpu, "ALIGN_MAX")] = [(w, 0.875 if w == MAX_HOUR else 0.5) for w in hours]
    cloud.points[(database, queries, "ALIGN_RATE")] = [(w, 400.0 if w == MAX_HOUR else 100.0) for w in hours]
    cloud.points[(database, queries, "ALIGN_MAX")] = [(w, 72000 if w == MAX_HOUR else 9000) for w in hours]
    grow = [NOW - timedelta(hours=49 - h) for h in range(49)]
    cloud.points[(database, disk, "ALIGN_MEAN")] = [(w, 10 * GIB + i * GIB // 24) for i, w in enumerate(grow)]
    cloud.points[(database, disk, "ALIGN_MAX")] = [(w, 10 * GIB + i * GIB // 24) for i, w in enumerate(grow)]
    # 340 points of connections: more than one timeSeries.list page (200 points) each
    many = [NOW - timedelta(hours=h) for h in range(1, 341)]
    connections = "cloudsql.googleapis.com/database/network/connections"
    cloud.points[(database, connections, "ALIGN_MEAN")] = [(w, 20.0) for w in many]
    cloud.points[(database, connections, "ALIGN_MAX")] = [(w, 90 if w == MAX_HOUR else 30) for w in many]


@pytest.fixture
def google(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StandIn, GoogleCloud, dict[str, str]]]:
    cloud = GoogleCloud()
    stand_in = StandIn(cloud.route)
    key_file, _, public_key = service_account_file(tmp_path, f"{stand_in.url}/token")
    cloud.public_key = public_key
    cloud.client_email = json.loads(key_file.read_text())["client_email"]
    for key in list(os.environ):
        if key.startswith(("GOOGLE_", "CLOUDSDK_", "GCE_")):
            monkeypatch.delenv(key)
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file), "NO_GCE_CHECK": "True",
           "GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9",
           "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
           "CLOUDSDK_API_ENDPOINT_OVERRIDES_SQLADMIN": f"{stand_in.url}/",
           "CLOUDSDK_API_ENDPOINT_OVERRIDES_MONITORING": f"{stand_in.url}/"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    outside = loopback_only(monkeypatch)
    _seed(cloud)
    yield stand_in, cloud, env
    stand_in.close()
    assert outside == [], f"connects beyond the loopback were attempted: {outside}"


def test_connection_names_and_tiers() -> None:
    assert gcp.parse_connection_name("shop-prod:europe-west1:shop-db") == gcp.ConnectionName(
        "shop-prod", "europe-west1", "shop-db")
    assert gcp.parse_connection_name("example.com:shop-prod:us-central1:db1") == gcp.ConnectionName(
        "example.com:shop-prod", "us-central1", "db1")
    for bad in ("shop-db", "shop-prod:shop-db", "", None, "shop-prod:europe-west1:Shop_DB"):
        assert gcp.parse_connection_name(bad) is None
    assert gcp.tier_size("db-custom-4-16384") == (4, 16)
    assert gcp.tier_size("db-custom-2-7680") == (2, 7.5)
    assert gcp.tier_size("db-n1-standard-2") == (2, 7.5)
    assert gcp.tier_size("db-n1-highmem-4") == (4, 26.0)
    assert gcp.tier_size("db-f1-micro") == (0.2, 0.6)
    assert gcp.tier_size("db-perf-optimized-N-8") == (8, 64)
    assert gcp.tier_size("db-something-new") == ("unknown", "unknown")


def test_instance_replica_and_metrics(google: tuple[StandIn, GoogleCloud, dict[str, str]]) -> None:
    stand_in, _, _ = google
    doc = gcp.collect_cloud(gcp.GcpOptions(instance=CONNECTION), now=NOW)
    assert doc["skipped"] == []
    assert (doc["provider"], doc["region"], doc["project"]) == ("gcp", "europe-west1", PROJECT)
    primary, replica = doc["instances"]
    assert {k: primary[k] for k in ("id", "role", "class", "vcpu", "memory_gib", "engine", "engine_version",
                                    "storage", "multi_az", "availability_zone")} == {
        "id": "shop-db", "role": "primary", "class": "db-custom-4-16384", "vcpu": 4, "memory_gib": 16,
        "engine": "mysql", "engine_version": "8.0.35",
        "storage": {"type": "PD_SSD", "allocated_gib": 250, "iops": None, "throughput_mibps": None},
        "multi_az": True, "availability_zone": "europe-west1-b"}
    assert primary["storage_auto_resize_limit_gib"] == 1000 and primary["secondary_zone"] == "europe-west1-d"
    assert primary["backup"] == {"enabled": True, "binary_log_enabled": True, "point_in_time_recovery": True,
                                 "start_time": "03:00", "retained_backups": 14, "transaction_log_retention_days": 7}
    assert primary["database_flags"] == {"long_query_time": "2", "slow_query_log": "on"}
    assert primary["ip_configuration"]["authorized_networks"] == ["203.0.113.0/24"]
    assert primary["maintenance_window"] == {"day": 7, "hour": 3}
    assert (replica["id"], replica["role"], replica["vcpu"], replica["memory_gib"], replica["multi_az"]) == (
        "shop-db-replica", "replica", 2, 7.5, False)
    series = doc["metrics"]["series"]
    when = MAX_HOUR.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert series["cloudsql.googleapis.com/database/cpu/utilization"] == {
        "avg": 12.5, "p95": 23, "max": 87.5, "max_at": when, "unit": "percent"}
    assert series["cloudsql.googleapis.com/database/mysql/queries"] == {
        "avg": 112.5, "p95": 100, "max": 1200, "max_at": when, "unit": "per_second"}
    assert series["cloudsql.googleapis.com/database/disk/bytes_used"]["growth_gib_per_day"] == 1
    assert series["cloudsql.googleapis.com/database/network/connections"] == {
        "avg": 20, "p95": 20, "max": 90, "max_at": when, "unit": "count"}
    assert "cloudsql.googleapis.com/database/mysql/questions" in doc["metrics"]["no_data"]
    assert stand_in.seen["token"] == 1  # one token for the whole run
    # 9 metrics x 2 aligners, and one more page for each aligner of connections (340 points, 200 a page)
    assert stand_in.seen["timeSeries.list"] == 9 * 2 + 2


def test_instances_list_every_page(google: tuple[StandIn, GoogleCloud, dict[str, str]]) -> None:
    stand_in, _, _ = google
    found, skipped = gcp.list_instances(gcp.GcpOptions(), PROJECT)
    assert skipped == []
    assert [(i["name"], i["tier"]) for i in found] == [
        ("analytics", "db-perf-optimized-N-8"), ("shop-db", "db-custom-4-16384"),
        ("shop-db-replica", "db-n1-standard-2"), ("staging", "db-g1-small")]
    assert stand_in.seen["instances.list"] == 2


@pytest.mark.parametrize(("operation", "part", "role"), [
    ("instances.get", "instances", "roles/cloudsql.viewer"),
    ("timeSeries.list", "metrics", "roles/monitoring.viewer"),
])
def test_denied_is_a_named_skip(google: tuple[StandIn, GoogleCloud, dict[str, str]], operation: str, part: str,
                                role: str) -> None:
    stand_in, _, _ = google
    stand_in.fail(operation, google_denied())
    doc = gcp.collect_cloud(gcp.GcpOptions(instance=CONNECTION), now=NOW)
    permission = {"instances.get": "cloudsql.instances.get", "timeSeries.list": "monitoring.timeSeries.list"}
    assert doc["skipped"] == [{"part": part, "iam_action": role, "reason": f"not allowed: the credentials lack "
                               f"{permission[operation]} (grant {role}: ps-prechecks --gcp-policy)"}]
    assert stand_in.seen[operation] == 1  # a denial is not retried
    if operation == "timeSeries.list":
        assert [i["id"] for i in doc["instances"]] == ["shop-db", "shop-db-replica"] and doc["metrics"] is None


def test_429_is_retried_within_the_budget(google: tuple[StandIn, GoogleCloud, dict[str, str]]) -> None:
    stand_in, _, _ = google
    stand_in.fail("instances.get", google_throttled(), times=2)
    doc = gcp.collect_cloud(gcp.GcpOptions(instance=CONNECTION), now=NOW)
    assert doc["skipped"] == [] and [i["id"] for i in doc["instances"]] == ["shop-db", "shop-db-replica"]
    assert stand_in.seen["instances.get"] == 2 + 2  # two 429s, then shop-db and its replica


def test_429_that_persists_is_a_named_skip(google: tuple[StandIn, GoogleCloud, dict[str, str]]) -> None:
    stand_in, _, _ = google
    stand_in.fail("timeSeries.list", google_throttled())
    doc = gcp.collect_cloud(gcp.GcpOptions(instance=CONNECTION), now=NOW)
    assert doc["skipped"] == [{"part": "metrics", "iam_action": "roles/monitoring.viewer", "reason": "Google kept "
                               "answering 429 (too many requests) to timeSeries.list after retries; run again later"}]
    assert stand_in.seen["timeSeries.list"] == 3


def test_instance_that_does_not_exist(google: tuple[StandIn, GoogleCloud, dict[str, str]]) -> None:
    doc = gcp.collect_cloud(gcp.GcpOptions(instance=f"{PROJECT}:europe-west1:nope"), now=NOW)
    assert doc["instances"] == [] and doc["metrics"] is None
    assert doc["skipped"] == [{"part": "instances", "iam_action": "roles/cloudsql.viewer", "reason": "not found: "
                               "The Cloud SQL instance does not exist.; check --gcp-instance PROJECT:REGION:INSTANCE"}]


def test_refused_key_is_one_line(google: tuple[StandIn, GoogleCloud, dict[str, str]], tmp_path: Path) -> None:
    """A key the token endpoint refuses (its signature does not match the key Google holds)."""
    other = tmp_path / "other"
    other.mkdir()
    stand_in, _, _ = google
    key_file, _, _ = service_account_file(other, f"{stand_in.url}/token", "revoked-key")
    doc = gcp.collect_cloud(gcp.GcpOptions(instance=CONNECTION, credentials=str(key_file)), now=NOW)
    assert doc["skipped"] == [{"part": "gcp", "iam_action": None, "reason": "Google refused the credentials (the "
                               "token could not be refreshed): run gcloud auth application-default login, or check "
                               "the --gcp-credentials file"}]


def test_bad_connection_name_touches_nothing(google: tuple[StandIn, GoogleCloud, dict[str, str]]) -> None:
    stand_in, _, _ = google
    doc = gcp.collect_cloud(gcp.GcpOptions(instance="shop-db"), now=NOW)
    assert doc["skipped"][0]["reason"].startswith("--gcp-instance 'shop-db' is not a connection name")
    assert sum(stand_in.seen.values()) == 0


def test_policy_names_roles_and_permissions() -> None:
    text = gcp.policy_text()
    assert "roles/cloudsql.viewer and roles/monitoring.viewer" in text
    assert text.endswith("includedPermissions:\n- cloudsql.instances.get\n- cloudsql.instances.list\n"
                         "- monitoring.timeSeries.list\n")


def test_cli_archive_holds_cloud_json_and_no_credential(mariadb: MariaDBServer,
                                                        google: tuple[StandIn, GoogleCloud, dict[str, str]],
                                                        tmp_path: Path) -> None:
    _, _, genv = google
    key_file = Path(genv["GOOGLE_APPLICATION_CREDENTIALS"])
    info = json.loads(key_file.read_text())
    planted = [info["private_key"].splitlines()[5], info["private_key_id"]]  # a line of the key, and its id
    env = cloud_cli_env({k: v for k, v in genv.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"} |
                   {"MYSQL_PWD": mariadb.root_password}, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([*CLI, *server_args(mariadb), "--sleep=0", "--no-schema-ddl", "--output", str(out),
                           "--gcp-instance", CONNECTION, "--gcp-credentials", str(key_file)],
                          capture_output=True, text=True, env=env, timeout=180, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "ps-prechecks: cloud: 2 instance(s) read in europe-west1\n" in proc.stderr
    archive = Path(proc.stdout.strip().splitlines()[-1])
    files = read_archive(archive)
    doc = json.loads(files["cloud.json"])
    assert doc["provider"] == "gcp" and [i["id"] for i in doc["instances"]] == ["shop-db", "shop-db-replica"]
    (report_name,) = [n for n in files if n.startswith("ps_report_")]
    report = files[report_name].decode()
    section = report[report.index("## Cloud (Google Cloud SQL)"):report.index("## The End")]
    assert ("| shop-db | primary | db-custom-4-16384 | 4 | 16 | mysql 8.0.35 | PD_SSD | 250 |  | yes | "
            "europe-west1-b |") in section
    when = MAX_HOUR.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"| cloudsql.googleapis.com/database/mysql/queries | 112.5 | 100 | 1200 | {when} | per_second |" in section
    everything = [proc.stdout, proc.stderr, *(b.decode("utf-8", "replace") for b in files.values())]
    for path in (tmp_path / "home").rglob("*"):  # drafts, logs, settings
        if path.is_file():
            everything.append(path.read_text(errors="replace"))
    for path in out.iterdir():
        if path.is_file() and path != archive:
            everything.append(path.read_text(errors="replace"))
    assert str(key_file) not in files["cloud.json"].decode()
    for secret in planted:
        assert not [text for text in everything if secret in text], secret


def test_cli_without_cloud_flags_imports_no_google_sdk(tmp_path: Path) -> None:
    """A run without a --gcp-* flag never loads the SDK (nor does --version, nor --help)."""
    code = ("import sys; from prechecks import cli; cli.build_parser(); "
            "from collectors import cloudcommon; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('google', 'googleapiclient', 'httplib2', 'azure', 'msal', 'boto3', 'botocore')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_no_credentials_in_an_empty_network_namespace(tmp_path: Path) -> None:
    """Application Default Credentials with nothing configured, where only a loopback exists: the metadata
    server check is off (NO_GCE_CHECK), so the answer is the one line at once."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("unshare -n needs root (the socket guard of the other tests still applies)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "CLOUDSDK_", "GCE_"))}
    env.update(NO_GCE_CHECK="True", GCE_METADATA_HOST="127.0.0.1:9", GCE_METADATA_IP="127.0.0.1:9",
               HOME=str(tmp_path), CLOUDSDK_CONFIG=str(tmp_path / "gcloud"), PYTHONPATH=str(REPO))
    code = ("import json; from collectors import gcp; print(json.dumps(gcp.collect_cloud(gcp.GcpOptions("
            f"instance={CONNECTION!r}))['skipped']))")
    proc = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up; exec "$0" -c "$1"', sys.executable,
                           code], capture_output=True, text=True, env=env, timeout=60, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"part": "gcp", "iam_action": None, "reason": "no Google credentials found: "
                                        "run gcloud auth application-default login, or give --gcp-credentials FILE "
                                        "(a service account key)"}]


def test_servers_entries_take_the_gcp_and_azure_keys(tmp_path: Path) -> None:
    from prechecks.servers import load_servers

    servers = tmp_path / "servers.toml"
    servers.write_text('[[server]]\nname = "shop"\nhost = "10.0.0.5"\ngcp_instance = "shop-prod:europe-west1:shop-db"'
                       '\ngcp_credentials = "~/keys/sa.json"\n\n[[server]]\nname = "az"\n'
                       'host = "shop-db.mysql.database.azure.com"\nazure_subscription = "sub-1"\n'
                       'azure_resource_group = "shop-rg"\nazure_server = "shop-db"\n')
    servers.chmod(0o600)
    shop, az = load_servers(servers)
    assert dict(shop.cloud) == {"gcp_instance": "shop-prod:europe-west1:shop-db",
                                "gcp_credentials": os.path.expanduser("~/keys/sa.json")}
    assert dict(az.cloud) == {"azure_server": "shop-db", "azure_subscription": "sub-1",
                              "azure_resource_group": "shop-rg"}


def test_cli_prints_the_policies_without_a_connection() -> None:
    for flag, expected in (("--gcp-policy", gcp.policy_text()), ("--azure-policy", None)):
        proc = subprocess.run([*CLI, flag], capture_output=True, text=True, check=False, cwd=REPO, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        assert proc.returncode == 0, proc.stderr
        if expected is not None:
            assert proc.stdout == expected
        else:
            assert json.loads(proc.stdout)["Actions"][-1] == "Microsoft.Insights/Metrics/Read"


def test_report_section_names_the_provider_and_the_role() -> None:
    from prechecks.report import render_cloud_section

    section = render_cloud_section({
        "provider": "gcp", "region": "europe-west1", "instances": [],
        "metrics": {"instance": "shop-db", "window_days": 14, "series": {
            "cloudsql.googleapis.com/database/cpu/utilization": {"avg": 12.5, "p95": 23, "max": 87.5,
                                                                 "max_at": "2026-12-06T06:00:00Z", "unit": "percent"}}},
        "skipped": [{"part": "replica shop-db-replica", "reason": "not allowed",
                     "iam_action": "roles/cloudsql.viewer"}]})
    assert section.startswith("## Cloud (Google Cloud SQL)\nFrom the Cloud SQL Admin API in europe-west1")
    assert "Cloud Monitoring for shop-db over 14 days" in section
    assert ("| cloudsql.googleapis.com/database/cpu/utilization | 12.5 | 23 | 87.5 | 2026-12-06T06:00:00Z | "
            "percent |") in section
    assert "- replica shop-db-replica: not allowed (role roles/cloudsql.viewer)" in section
