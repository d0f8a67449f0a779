"""The Azure flexible server part (collectors/azure.py): azure-identity, azure-mgmt-mysqlflexibleservers and
azure-mgmt-monitor, unchanged, over real HTTPS against tests/cloud_standins.AzureCloud, a STAND-IN answering
Resource Manager's and Microsoft Entra ID's documented responses (no emulator exists for them). TLS comes
from a throwaway CA made in the test, trusted by this process only (REQUESTS_CA_BUNDLE / SSL_CERT_FILE);
the credential is EnvironmentCredential's client secret against the stand-in authority
(AZURE_AUTHORITY_HOST, instance discovery off), and AZURE_TOKEN_CREDENTIALS leaves managed identity and
the developer tools out of the chain. A socket guard fails the test on any connect beyond 127.0.0.0/8.
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

from collectors import azure
from tests.cloud_standins import AzureCloud, StandIn, azure_denied, azure_throttled, throwaway_tls
from tests.helpers import CLI, REPO, cloud_cli_env, loopback_only, read_archive, server_args
from tests.servers import MariaDBServer

SUBSCRIPTION = "6f1c2d3e-0000-4000-8000-00000000a2b1"
TENANT = "7a0b1c2d-0000-4000-8000-00000000e7e7"
GROUP = "shop-rg"
GIB = 1024**3
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
MAX_HOUR = NOW - timedelta(hours=15)
SECRET = "Planted~Secret.Az8Q~d3f4g5h6j7k8l9"


def _server(name: str, sku: str, tier: str, *, source: str | None = None, group: str = GROUP) -> dict[str, Any]:
    """A Server as learn.microsoft.com/rest/api/mysql/flexibleserver/servers/get documents it."""
    rid = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.DBforMySQL/"
           f"flexibleServers/{name}")
    properties: dict[str, Any] = {
        "administratorLogin": "shopadmin", "version": "8.0.21", "state": "Ready",
        "fullyQualifiedDomainName": f"{name}.mysql.database.azure.com", "availabilityZone": "1",
        "storage": {"storageSizeGB": 512, "iops": 2400, "autoGrow": "Enabled", "autoIoScaling": "Disabled",
                    "storageSku": "Premium_LRS", "logOnDisk": "Disabled"},
        "backup": {"backupRetentionDays": 14, "geoRedundantBackup": "Enabled",
                   "earliestRestoreDate": "2026-11-22T00:00:00+00:00"},
        "highAvailability": {"mode": "ZoneRedundant" if source is None else "Disabled",
                             "state": "Healthy" if source is None else "NotEnabled",
                             "standbyAvailabilityZone": "2" if source is None else ""},
        "network": {"publicNetworkAccess": "Enabled"},
        "replicationRole": "Source" if source is None else "Replica",
        "replicaCapacity": 10,
        "maintenanceWindow": {"customWindow": "Disabled", "startHour": 0, "startMinute": 0, "dayOfWeek": 0},
    }
    if source:
        properties["sourceServerResourceId"] = source
    return {"sku": {"name": sku, "tier": tier}, "systemData": {"createdAt": "2025-01-10T08:00:00Z"},
            "properties": properties, "location": "westeurope", "tags": {}, "id": rid, "name": name,
            "type": "Microsoft.DBforMySQL/flexibleServers"}


def _seed(cloud: AzureCloud) -> None:
    """shop-db (Standard_D4ds_v4) with a read replica (Standard_E2ds_v4), three more servers in another group
    for paging, 25 server parameters (two user-set) and hourly metrics with a known peak."""
    primary = _server("shop-db", "Standard_D4ds_v4", "GeneralPurpose")
    cloud.servers[(SUBSCRIPTION, GROUP, "shop-db")] = primary
    cloud.servers[(SUBSCRIPTION, GROUP, "shop-db-replica")] = _server(
        "shop-db-replica", "Standard_E2ds_v4", "MemoryOptimized", source=primary["id"])
    for name in ("a-analytics", "b-staging", "c-test"):
        cloud.servers[(SUBSCRIPTION, "other-rg", name)] = _server(name, "Standard_B1ms", "Burstable", group="other-rg")
    parameters = [{"name": f"param_{i:02}", "properties": {"value": "OFF", "source": "system-default",
                                                           "defaultValue": "OFF", "dataType": "Enumeration"}}
                  for i in range(23)]
    parameters += [{"name": "long_query_time", "properties": {"value": "2", "source": "user-override"}},
                   {"name": "binlog_expire_logs_seconds", "properties": {"value": "172800", "source":
                                                                         "user-override"}}]
    for item in parameters:
        item["id"] = f"{primary['id']}/configurations/{item['name']}"
        item["type"] = "Microsoft.DBforMySQL/flexibleServers/configurations"
    cloud.parameters[primary["id"]] = parameters
    resource = primary["id"].lower()
    hours = [NOW - timedelta(hours=h) for h in range(1, 25)]
    cloud.metrics[(resource, "cpu_percent")] = [
        (w, {"average": float(h), "maximum": 87.5 if w == MAX_HOUR else 50.0}) for h, w in enumerate(hours, 1)]
    cloud.metrics[(resource, "Queries")] = [
        (w, {"total": 1440000.0 if w == MAX_HOUR else 360000.0, "maximum": 72000.0 if w == MAX_HOUR else 9000.0})
        for w in hours]
    grow = [NOW - timedelta(hours=49 - h) for h in range(49)]
    cloud.metrics[(resource, "storage_used")] = [
        (w, {"average": float(10 * GIB + i * GIB // 24), "maximum": float(10 * GIB + i * GIB // 24)})
        for i, w in enumerate(grow)]
    cloud.metrics[(resource, "active_connections")] = [(w, {"average": 20.0, "maximum": 90.0 if w == MAX_HOUR
                                                            else 30.0}) for w in hours]


@pytest.fixture
def azure_cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StandIn, AzureCloud,
                                                                                   dict[str, str]]]:
    context, ca_file = throwaway_tls(tmp_path)
    cloud = AzureCloud(TENANT, "2b3c4d5e-0000-4000-8000-00000000c11e", SECRET)
    stand_in = StandIn(cloud.route, tls=context)
    cloud.base = stand_in.url
    for key in list(os.environ):
        if key.startswith(("AZURE_", "MSI_", "IDENTITY_")) or key in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
            monkeypatch.delenv(key)
    env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": cloud.client_id, "AZURE_CLIENT_SECRET": SECRET,
           "AZURE_AUTHORITY_HOST": stand_in.url, "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
           "PS_PRECHECKS_AZURE_ENDPOINT": stand_in.url, "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
           "REQUESTS_CA_BUNDLE": str(ca_file), "SSL_CERT_FILE": str(ca_file),
           "AZURE_CONFIG_DIR": str(tmp_path / "azure-cli"), "IDENTITY_ENDPOINT": "http://127.0.0.1:9/msi",
           "IMDS_ENDPOINT": "http://127.0.0.1:9"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    outside = loopback_only(monkeypatch)
    _seed(cloud)
    yield stand_in, cloud, env
    stand_in.close()
    assert outside == [], f"connects beyond the loopback were attempted: {outside}"


def test_hosts_and_skus() -> None:
    assert azure.parse_host("shop-db.mysql.database.azure.com") == "shop-db"
    assert azure.parse_host("Shop-DB.mysql.database.chinacloudapi.cn") == "shop-db"
    for host in ("shop-db.postgres.database.azure.com", "127.0.0.1", "", None,
                 "shop-db.mysql.database.azure.com.evil.example"):
        assert azure.parse_host(host) is None
    assert azure.sku_size("Standard_D4ds_v4") == (4, 16)
    assert azure.sku_size("Standard_E2ds_v4") == (2, 16)
    assert azure.sku_size("Standard_E64ds_v4") == (64, 504)
    assert azure.sku_size("Standard_B1ms") == (1, 2)
    assert azure.sku_size("Standard_M128s") == ("unknown", "unknown")


def test_server_replica_parameters_and_metrics(azure_cloud: tuple[StandIn, AzureCloud, dict[str, str]]) -> None:
    stand_in, _, _ = azure_cloud
    doc = azure.collect_cloud(azure.AzureOptions(), "shop-db.mysql.database.azure.com", now=NOW)
    assert doc["skipped"] == []
    assert (doc["provider"], doc["region"], doc["resource_group"]) == ("azure", "westeurope", GROUP)
    primary, replica = doc["instances"]
    assert {k: primary[k] for k in ("id", "role", "class", "vcpu", "memory_gib", "engine", "engine_version",
                                    "storage", "multi_az", "availability_zone")} == {
        "id": "shop-db", "role": "primary", "class": "Standard_D4ds_v4", "vcpu": 4, "memory_gib": 16,
        "engine": "mysql", "engine_version": "8.0.21",
        "storage": {"type": "Premium_LRS", "allocated_gib": 512, "iops": 2400, "throughput_mibps": None},
        "multi_az": True, "availability_zone": "1"}
    assert primary["high_availability"] == {"mode": "ZoneRedundant", "state": "Healthy",
                                            "standby_availability_zone": "2"}
    assert (primary["backup_retention_days"], primary["geo_redundant_backup"], primary["storage_auto_grow"],
            primary["public_network_access"]) == (14, True, True, True)
    assert (replica["id"], replica["role"], replica["vcpu"], replica["memory_gib"], replica["multi_az"]) == (
        "shop-db-replica", "replica", 2, 16, False)
    assert doc["server_parameters"] == {"long_query_time": "2", "binlog_expire_logs_seconds": "172800"}
    series = doc["metrics"]["series"]
    when = MAX_HOUR.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert series["cpu_percent"] == {"avg": 12.5, "p95": 23, "max": 87.5, "max_at": when, "unit": "percent"}
    assert series["Queries"] == {"avg": 112.5, "p95": 100, "max": 1200, "max_at": when, "unit": "per_second"}
    assert series["storage_used"]["growth_gib_per_day"] == 1
    assert series["active_connections"] == {"avg": 20, "p95": 20, "max": 90, "max_at": when, "unit": "count"}
    assert doc["metrics"]["no_data"] == ["memory_percent", "storage_percent", "io_consumption_percent"]
    # the resource group found by listing the subscription's servers, every page (5 servers, 2 a page)
    assert stand_in.seen["servers.list"] == 3
    assert stand_in.seen["configurations.list_by_server"] == 13  # 25 parameters, 2 a page
    assert stand_in.seen["token"] == 1


def test_the_replica_named_reads_its_primary(azure_cloud: tuple[StandIn, AzureCloud, dict[str, str]]) -> None:
    doc = azure.collect_cloud(azure.AzureOptions(server="shop-db-replica", resource_group=GROUP), now=NOW)
    assert [(i["id"], i["role"]) for i in doc["instances"]] == [("shop-db-replica", "replica"), ("shop-db", "primary")]


@pytest.mark.parametrize(("operation", "part", "role", "action"), [
    ("servers.get", "instances", "Reader", "Microsoft.DBforMySQL/flexibleServers/read"),
    ("configurations.list_by_server", "server parameters", "Reader",
     "Microsoft.DBforMySQL/flexibleServers/configurations/read"),
    ("metrics.list", "metrics", "Monitoring Reader", "Microsoft.Insights/Metrics/Read"),
])
def test_denied_is_a_named_skip(azure_cloud: tuple[StandIn, AzureCloud, dict[str, str]], operation: str, part: str,
                                role: str, action: str) -> None:
    stand_in, _, _ = azure_cloud
    stand_in.fail(operation, azure_denied(action))
    doc = azure.collect_cloud(azure.AzureOptions(server="shop-db", resource_group=GROUP), now=NOW)
    assert doc["skipped"] == [{"part": part, "iam_action": role, "reason": f"not allowed: the credentials lack "
                               f"{action} (grant {role}: ps-prechecks --azure-policy)"}]
    assert stand_in.seen[operation] == 1
    if operation != "servers.get":
        assert [i["id"] for i in doc["instances"]] == ["shop-db", "shop-db-replica"]


def test_429_is_retried_within_the_budget(azure_cloud: tuple[StandIn, AzureCloud, dict[str, str]]) -> None:
    stand_in, _, _ = azure_cloud
    stand_in.fail("servers.get", azure_throttled(), times=2)
    doc = azure.collect_cloud(azure.AzureOptions(server="shop-db", resource_group=GROUP), now=NOW)
    assert doc["skipped"] == [] and [i["id"] for i in doc["instances"]] == ["shop-db", "shop-db-replica"]
    assert stand_in.seen["servers.get"] == 3


def test_429_that_persists_is_a_named_skip(azure_cloud: tuple[StandIn, AzureCloud, dict[str, str]]) -> None:
    stand_in, _, _ = azure_cloud
    stand_in.fail("metrics.list", azure_throttled())
    doc = azure.collect_cloud(azure.AzureOptions(server="shop-db", resource_group=GROUP), now=NOW)
    assert doc["skipped"] == [{"part": "metrics", "iam_action": "Monitoring Reader", "reason": "Azure kept "
                               "answering 429 (too many requests) to metrics.list after retries; run again later"}]
    assert stand_in.seen["metrics.list"] == 3


def test_server_that_does_not_exist(azure_cloud: tuple[StandIn, AzureCloud, dict[str, str]]) -> None:
    doc = azure.collect_cloud(azure.AzureOptions(server="nope", resource_group=GROUP), now=NOW)
    assert doc["instances"] == [] and doc["metrics"] is None
    assert doc["skipped"] == [{"part": "instances", "iam_action": "Reader", "reason": "not found (ResourceNotFound):"
                               " check --azure-server, --azure-resource-group and --azure-subscription"}]
    doc = azure.collect_cloud(azure.AzureOptions(server="nope"), now=NOW)  # not in any group either
    assert doc["skipped"] == [{"part": "instances", "iam_action": "Reader", "reason": "no flexible server named "
                               "nope in the subscription: check --azure-server and --azure-subscription"}]


def test_wrong_secret_is_one_line(azure_cloud: tuple[StandIn, AzureCloud, dict[str, str]],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    doc = azure.collect_cloud(azure.AzureOptions(server="shop-db", resource_group=GROUP), now=NOW)
    assert doc["skipped"] == [{"part": "azure", "iam_action": None, "reason": "Azure refused the credentials: check "
                               "the client secret or run az login again, and run again"}]


def test_policy_is_a_custom_role_of_the_actions_called() -> None:
    role = json.loads(azure.policy_json())
    assert role["Actions"] == ["Microsoft.DBforMySQL/flexibleServers/configurations/read",
                               "Microsoft.DBforMySQL/flexibleServers/read",
                               "Microsoft.DBforMySQL/flexibleServers/replicas/read", "Microsoft.Insights/Metrics/Read"]
    assert "Reader and Monitoring Reader" in role["Description"]


def test_cli_archive_holds_cloud_json_and_no_credential(mariadb: MariaDBServer,
                                                        azure_cloud: tuple[StandIn, AzureCloud, dict[str, str]],
                                                        tmp_path: Path) -> None:
    stand_in, cloud, aenv = azure_cloud
    env = cloud_cli_env({**aenv, "MYSQL_PWD": mariadb.root_password}, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([*CLI, *server_args(mariadb), "--sleep=0", "--no-schema-ddl", "--output", str(out),
                           "--azure-server", "shop-db", "--azure-resource-group", GROUP],
                          capture_output=True, text=True, env=env, timeout=180, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "ps-prechecks: cloud: 2 instance(s) read in westeurope\n" in proc.stderr
    archive = Path(proc.stdout.strip().splitlines()[-1])
    files = read_archive(archive)
    doc = json.loads(files["cloud.json"])
    assert doc["provider"] == "azure" and [i["id"] for i in doc["instances"]] == ["shop-db", "shop-db-replica"]
    (report_name,) = [n for n in files if n.startswith("ps_report_")]
    report = files[report_name].decode()
    section = report[report.index("## Cloud (Azure)"):report.index("## The End")]
    assert ("| shop-db | primary | Standard_D4ds_v4 | 4 | 16 | mysql 8.0.21 | Premium_LRS | 512 | 2400 | yes | 1 |"
            in section)
    when = MAX_HOUR.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"| Queries | 112.5 | 100 | 1200 | {when} | per_second |" in section
    everything = [proc.stdout, proc.stderr, *(b.decode("utf-8", "replace") for b in files.values())]
    for path in (tmp_path / "home").rglob("*"):  # drafts, logs, settings
        if path.is_file():
            everything.append(path.read_text(errors="replace"))
    for path in out.iterdir():
        if path.is_file() and path != archive:
            everything.append(path.read_text(errors="replace"))
    assert cloud.tokens and stand_in.seen["token"] == 1
    for secret in [SECRET, *cloud.tokens]:
        assert not [text for text in everything if secret in text], secret


def test_cli_without_cloud_flags_imports_no_sdk(mariadb: MariaDBServer, tmp_path: Path) -> None:
    """A plain run (no cloud flag, not a provider's endpoint) loads no cloud SDK and writes no cloud.json:
    the run's own modules are listed at exit through a sitecustomize on PYTHONPATH."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import atexit, sys, os\n"
        "atexit.register(lambda: open(os.environ['MODULES_OUT'], 'w').write('\\n'.join(sorted(sys.modules))))\n")
    env = cloud_cli_env({"MYSQL_PWD": mariadb.root_password, "MODULES_OUT": str(tmp_path / "modules.txt")}, tmp_path)
    env["PYTHONPATH"] = f"{hook}{os.pathsep}{REPO}"
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([*CLI, *server_args(mariadb), "--sleep=0", "--no-schema-ddl", "--output", str(out)],
                          capture_output=True, text=True, env=env, timeout=180, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    modules = (tmp_path / "modules.txt").read_text().split()
    assert "prechecks.bundle" in modules  # the hook saw the run, to the archive
    assert [m for m in modules if m.split(".")[0] in ("azure", "msal", "google", "googleapiclient", "httplib2",
                                                      "boto3", "botocore")] == []
    assert not [n for n in read_archive(Path(proc.stdout.strip().splitlines()[-1])) if n.endswith("cloud.json")]


def test_no_credentials_in_an_empty_network_namespace(tmp_path: Path) -> None:
    """The default chain with nothing configured and managed identity left out, where only a loopback
    exists: the one line at once."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("unshare -n needs root (the socket guard of the other tests still applies)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MSI_", "IDENTITY_"))}
    env.update(AZURE_TOKEN_CREDENTIALS="EnvironmentCredential", HOME=str(tmp_path), PYTHONPATH=str(REPO),
               AZURE_CONFIG_DIR=str(tmp_path / "azure-cli"))
    code = ("import json; from collectors import azure; print(json.dumps(azure.collect_cloud(azure.AzureOptions("
            f"server='shop-db', subscription={SUBSCRIPTION!r}, resource_group='rg'))['skipped']))")
    proc = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up; exec "$0" -c "$1"', sys.executable,
                           code], capture_output=True, text=True, env=env, timeout=60, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"part": "azure", "iam_action": None, "reason": "no Azure credentials found: "
                                        "run az login, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                                        "AZURE_CLIENT_SECRET"}]
