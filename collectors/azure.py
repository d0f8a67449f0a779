"""Azure Database for MySQL - Flexible Server: the server facts and two weeks of Azure Monitor metrics, read
through Azure Resource Manager (issue 20).

Read-only by construction: the calls are the flexible servers' Get / List, their replicas and server
parameters (azure-mgmt-mysqlflexibleservers) and Azure Monitor's Metrics - List (azure-mgmt-monitor), named
in :data:`CALLS` with the permission each needs and the built-in role that holds it (Reader, Monitoring
Reader); ``ps-prechecks --azure-policy`` prints a custom role with exactly those actions. Credentials come
from azure-identity's DefaultAzureCredential (the environment, workload identity, managed identity, az login,
...); nothing here stores or returns one.

The server is named by ``--azure-server`` or the ``NAME.mysql.database.azure.com`` endpoint; the subscription by
``--azure-subscription`` or AZURE_SUBSCRIPTION_ID; the resource group by ``--azure-resource-group``, else it is
found by listing the subscription's flexible servers. ``AZURE_CLOUD`` picks a national cloud as azure-core does;
PS_PRECHECKS_AZURE_ENDPOINT moves Resource Manager elsewhere (a private cloud, the tests' stand-in).

A missing permission skips one part and names the role; no credentials, refused credentials or an
unreachable endpoint ends the cloud part with one skip. HTTP 429 is retried with backoff (or Retry-After)
inside the time budget (collectors/cloudcommon.py). The SDKs are imported only when the cloud part runs.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.cloudcommon import DEFAULT_BUDGET, WINDOW_DAYS, Budget, Fatal, PartSkipped, Throttled, summarise

FORMAT_VERSION = 1
PERIOD = "PT1H"
PERIOD_SECONDS = 3600
SAMPLE_SECONDS = 60  # Azure Monitor's finest grain for these metrics: Maximum of a count is of one minute
ENDPOINT_ENV = "PS_PRECHECKS_AZURE_ENDPOINT"
NAMESPACE = "Microsoft.DBforMySQL/flexibleServers"

# operation -> (the Azure RBAC action it needs, the built-in role that grants it). Every call is here.
CALLS: dict[str, tuple[str, str]] = {
    "servers.get": ("Microsoft.DBforMySQL/flexibleServers/read", "Reader"),
    "servers.list": ("Microsoft.DBforMySQL/flexibleServers/read", "Reader"),
    "replicas.list_by_server": ("Microsoft.DBforMySQL/flexibleServers/replicas/read", "Reader"),
    "configurations.list_by_server": ("Microsoft.DBforMySQL/flexibleServers/configurations/read", "Reader"),
    "metrics.list": ("Microsoft.Insights/Metrics/Read", "Monitoring Reader"),
}

# Azure Monitor metric -> (unit, how the hourly figures become it): "percent"/"count"/"bytes" from the
# Average and Maximum aggregations; Queries is a count: Total / 3600 s for the average rate, the largest
# one-minute count / 60 s for the peak (learn.microsoft.com/azure/mysql/flexible-server/concepts-monitoring).
METRICS: dict[str, str] = {
    "cpu_percent": "percent",
    "memory_percent": "percent",
    "storage_percent": "percent",
    "io_consumption_percent": "percent",
    "storage_used": "bytes",
    "active_connections": "count",
    "Queries": "per_second",
}

# Compute sizes, learn.microsoft.com/azure/mysql/flexible-server/concepts-service-tiers-storage
# ("Service tiers, size, and server types"): Burstable from this table, General Purpose (D-series) 4 GiB per
# vCore, Business Critical (E-series) 8 GiB per vCore but for the sizes listed.
_BURSTABLE: dict[str, tuple[int, int]] = {
    "Standard_B1s": (1, 1), "Standard_B1ms": (1, 2), "Standard_B2s": (2, 4), "Standard_B2ms": (2, 8),
    "Standard_B4ms": (4, 16), "Standard_B8ms": (8, 32), "Standard_B12ms": (12, 48), "Standard_B16ms": (16, 64),
    "Standard_B20ms": (20, 80),
}
_MEMORY_EXCEPTIONS = {"Standard_E64ds_v4": 504, "Standard_E80ids_v4": 504, "Standard_E96ds_v5": 672,
                      "Standard_E96ads_v5": 672}
_SKU = re.compile(r"^Standard_(?P<family>[DE])(?P<vcpu>\d+)[a-z]*_v[45]$")
_HOST = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.mysql\.database\."
                   r"(?:azure\.com|chinacloudapi\.cn|usgovcloudapi\.net)\.?$")
_RESOURCE_GROUP = re.compile(r"/resourceGroups/(?P<group>[^/]+)/", re.IGNORECASE)


def sku_size(sku: str | None) -> tuple[int | str, int | str]:
    """(vCores, memory GiB) of a flexible server's compute size; "unknown" for one the table does not hold."""
    name = sku or ""
    if name in _BURSTABLE:
        return _BURSTABLE[name]
    match = _SKU.match(name)
    if match is None:
        return "unknown", "unknown"
    vcpu = int(match["vcpu"])
    memory = _MEMORY_EXCEPTIONS.get(name, vcpu * (4 if match["family"] == "D" else 8))
    return vcpu, memory


def parse_host(host: str | None) -> str | None:
    """The server name of ``NAME.mysql.database.azure.com`` (and the national clouds' domains)."""
    match = _HOST.match((host or "").strip().lower())
    return match["name"] if match else None


@dataclass(frozen=True)
class AzureOptions:
    server: str | None = None
    subscription: str | None = None
    resource_group: str | None = None
    budget: float = DEFAULT_BUDGET

    @property
    def given(self) -> bool:
        return bool(self.server or self.subscription or self.resource_group)


def wanted(options: AzureOptions, host: str | None, *, no_cloud: bool = False) -> bool:
    """Azure is touched only when an --azure-* flag is given or the endpoint is a flexible server's."""
    return not no_cloud and (options.given or parse_host(host) is not None)


def policy_json() -> str:
    """A custom role with exactly the actions called (az role definition create --role-definition @FILE);
    the built-in Reader and Monitoring Reader roles hold them too."""
    actions = sorted({action for action, _ in CALLS.values()})
    role = {"Name": "ps-prechecks read-only",
            "Description": "Reads an Azure Database for MySQL flexible server and its Azure Monitor metrics for "
                           "ps-prechecks (or grant the built-in roles Reader and Monitoring Reader)",
            "IsCustom": True, "Actions": actions, "NotActions": [], "DataActions": [], "NotDataActions": [],
            "AssignableScopes": ["/subscriptions/SUBSCRIPTION_ID"]}
    return json.dumps(role, indent=2) + "\n"


class _Run(Budget):
    mysql: Any
    monitor: Any

    def call(self, operation: str, function: Callable[[], Any]) -> Any:
        """One SDK call (a pager is read whole), 429 retried inside the budget, its failure classified."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ServiceRequestError,
            ServiceResponseError,
        )

        action, role = CALLS[operation]

        def once() -> Any:
            try:
                return function()
            except HttpResponseError as exc:
                if exc.status_code == 429:
                    headers = getattr(exc.response, "headers", None) or {}
                    after = headers.get("Retry-After")
                    raise Throttled(float(after) if after and after.isdigit() else None) from None
                raise

        try:
            return self.retrying(once, on_give_up=lambda: PartSkipped(
                f"Azure kept answering 429 (too many requests) to {operation} after retries; run again later", role))
        except ClientAuthenticationError as exc:
            if exc.status_code == 401:
                raise Fatal(_REFUSED) from None
            if exc.status_code is None:  # no token from the credential chain
                raise _credential_failure(exc) from None
            raise
        except HttpResponseError as exc:
            code = _error_code(exc)
            if exc.status_code == 403:
                raise PartSkipped(f"not allowed: the credentials lack {action} (grant {role}: "
                                  "ps-prechecks --azure-policy)", role) from None
            if exc.status_code == 404:
                raise PartSkipped(f"not found ({code or 'ResourceNotFound'}): check --azure-server, "
                                  "--azure-resource-group and --azure-subscription", role) from None
            raise PartSkipped(f"{operation} failed: HTTP {exc.status_code} {code}".strip(), role) from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise Fatal(f"Azure could not be reached ({type(exc).__name__}): check the network or proxy") from None


def _error_code(exc: Any) -> str:
    error = getattr(exc, "error", None)
    return str(getattr(error, "code", "") or "")


_NO_CREDENTIALS = ("no Azure credentials found: run az login, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                   "AZURE_CLIENT_SECRET")


_REFUSED = "Azure refused the credentials: check the client secret or run az login again, and run again"


def _credential_failure(exc: Exception) -> Fatal:
    text = str(exc)
    if "AADSTS" in text or "invalid_client" in text or "unauthorized_client" in text:
        return Fatal(_REFUSED)
    return Fatal(_NO_CREDENTIALS)


def _credential() -> Any:
    from azure.identity import DefaultAzureCredential

    authority = os.environ.get("AZURE_AUTHORITY_HOST", "")
    host = authority.removeprefix("https://").split("/", 1)[0]
    well_known = {"", "login.microsoftonline.com", "login.chinacloudapi.cn", "login.microsoftonline.us"}
    # instance discovery asks login.microsoftonline.com about an authority it does not know: off for a private one
    extra = {} if host in well_known else {"disable_instance_discovery": True}
    return DefaultAzureCredential(**extra)


def _clients(credential: Any, subscription: str, budget: Budget) -> tuple[Any, Any]:
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.mgmt.mysqlflexibleservers import MySQLManagementClient

    endpoint = os.environ.get(ENDPOINT_ENV)
    remaining = max(1.0, budget.remaining())
    options: dict[str, Any] = {"retry_total": 0, "connection_timeout": min(3.0, remaining),
                               "read_timeout": min(10.0, remaining), "user_agent": "ps-prechecks"}
    if endpoint:
        options |= {"base_url": endpoint.rstrip("/"), "credential_scopes": [endpoint.rstrip("/") + "/.default"]}
    return (MySQLManagementClient(credential, subscription, **options),
            MonitorManagementClient(credential, subscription, **options))


def _server_fact(server: Mapping[str, Any], role: str) -> dict[str, Any]:
    sku = server.get("sku") or {}
    storage = server.get("storage") or {}
    ha = server.get("high_availability") or {}
    backup = server.get("backup") or {}
    network = server.get("network") or {}
    vcpu, memory = sku_size(sku.get("name"))
    zone = server.get("availability_zone")
    return {
        "id": server.get("name"),
        "role": role,
        "class": sku.get("name"),
        "vcpu": vcpu,
        "memory_gib": memory,
        "engine": "mysql",
        "engine_version": server.get("version"),
        "storage": {
            "type": storage.get("storage_sku"),
            "allocated_gib": storage.get("storage_size_gb"),
            "iops": storage.get("iops"),
            "throughput_mibps": None,
        },
        "multi_az": ha.get("mode") in ("ZoneRedundant", "SameZone"),
        "availability_zone": zone,
        "region": server.get("location"),
        "resource_id": server.get("id"),
        "tier": sku.get("tier"),
        "storage_auto_grow": storage.get("auto_grow") == "Enabled",
        "storage_auto_io_scaling": storage.get("auto_io_scaling") == "Enabled",
        "high_availability": {"mode": ha.get("mode"), "state": ha.get("state"),
                              "standby_availability_zone": ha.get("standby_availability_zone")},
        "replication_role": server.get("replication_role"),
        "backup_retention_days": backup.get("backup_retention_days"),
        "geo_redundant_backup": backup.get("geo_redundant_backup") == "Enabled",
        "public_network_access": network.get("public_network_access") == "Enabled",
        "source_server": (server.get("source_server_resource_id") or "").rsplit("/", 1)[-1] or None,
    }


def _parameters(items: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The server parameters a user changed (source user-override), name -> value."""
    return {str(item.get("name")): item.get("value") for item in items if item.get("source") == "user-override"}


def _find_group(run: _Run, server: str) -> str:
    servers = run.call("servers.list", lambda: [s.as_dict() for s in run.mysql.servers.list()])
    for item in servers:
        if str(item.get("name", "")).lower() == server.lower():
            match = _RESOURCE_GROUP.search(str(item.get("id", "")))
            if match:
                return match["group"]
    raise PartSkipped(f"no flexible server named {server} in the subscription: check --azure-server and "
                      "--azure-subscription", CALLS["servers.list"][1])


def _when(value: Any) -> datetime | None:
    """A point's time stamp (as_dict gives it back as ISO 8601 text), in UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _metrics(run: _Run, resource_id: str, name: str, now: datetime) -> dict[str, Any]:
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=WINDOW_DAYS)
    answer = run.call("metrics.list", lambda: run.monitor.metrics.list(
        resource_id, timespan=f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}", interval=PERIOD,
        metricnames=",".join(METRICS), aggregation="Average,Maximum,Total", metricnamespace=NAMESPACE).as_dict())
    series: dict[str, Any] = {}
    hourly: dict[str, list[list[float]]] = {}  # the hourly means, for history.json (collectors/cloudhistory.py)
    no_data: list[str] = []
    found = {str((m.get("name") or {}).get("value")): m for m in answer.get("value") or []}
    for metric, unit in METRICS.items():
        points = [p for t in (found.get(metric) or {}).get("timeseries") or [] for p in t.get("data") or []]
        averages: list[tuple[datetime, float]] = []
        maxima: list[tuple[datetime, float]] = []
        for point in points:
            when = _when(point.get("time_stamp"))
            if when is None:
                continue
            if unit == "per_second":
                if point.get("total") is not None:
                    averages.append((when, float(point["total"]) / PERIOD_SECONDS))
                if point.get("maximum") is not None:
                    maxima.append((when, float(point["maximum"]) / SAMPLE_SECONDS))
            else:
                if point.get("average") is not None:
                    averages.append((when, float(point["average"])))
                if point.get("maximum") is not None:
                    maxima.append((when, float(point["maximum"])))
        summary = summarise(averages, maxima, unit, growth=metric == "storage_used")
        if summary is None:
            no_data.append(metric)
        else:
            series[metric] = summary
            hourly[metric] = [[w.timestamp(), round(v, 4)] for w, v in sorted(averages)]
    return {"instance": name, "window_days": WINDOW_DAYS, "period_seconds": PERIOD_SECONDS,
            "start": f"{start:%Y-%m-%dT%H:%M:%SZ}", "end": f"{end:%Y-%m-%dT%H:%M:%SZ}", "series": series,
            "no_data": no_data, "points": hourly}


def collect_cloud(options: AzureOptions, host: str | None = None, *, now: datetime | None = None,
                  clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """The cloud.json document for a flexible server. Never raises for an Azure problem: each is a skip."""
    name = options.server or parse_host(host)
    subscription = options.subscription or os.environ.get("AZURE_SUBSCRIPTION_ID")
    document: dict[str, Any] = {"format_version": FORMAT_VERSION, "provider": "azure", "region": None,
                                "subscription": subscription, "resource_group": options.resource_group,
                                "endpoint": {"host": host, "name": parse_host(host)} if parse_host(host) else None,
                                "instances": [], "server_parameters": None, "metrics": None, "bill": None,
                                "skipped": []}
    if not name or not subscription:
        document["skipped"].append({"part": "azure", "iam_action": None, "reason": (
            "no server to read: give --azure-server (or the NAME.mysql.database.azure.com endpoint as --host)"
            if not name else "no subscription: give --azure-subscription (or set AZURE_SUBSCRIPTION_ID)")})
        return document
    now = now or datetime.now(UTC)
    run = _Run(clock() + options.budget, clock)
    credential = None
    try:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            credential = _credential()
            run.mysql, run.monitor = _clients(credential, subscription, run)
            group = options.resource_group or _find_group(run, name)
            document["resource_group"] = group
            server = run.call("servers.get", lambda: run.mysql.servers.get(group, name).as_dict())
        except ClientAuthenticationError as exc:
            raise _credential_failure(exc) from None
        target = _server_fact(server, "replica" if server.get("replication_role") == "Replica" else "primary")
        document["region"] = target["region"]
        instances = [target]
        if target["role"] == "replica" and server.get("source_server_resource_id"):
            source_id = str(server["source_server_resource_id"])
            source_group = (_RESOURCE_GROUP.search(source_id + "/") or {"group": group})["group"]

            def source() -> None:
                found = run.call("servers.get", lambda: run.mysql.servers.get(
                    source_group, source_id.rsplit("/", 1)[-1]).as_dict())
                instances.append(_server_fact(found, "primary"))

            run.part(f"primary {source_id.rsplit('/', 1)[-1]}", source)
        else:
            def replicas() -> None:
                for item in run.call("replicas.list_by_server", lambda: [
                        r.as_dict() for r in run.mysql.replicas.list_by_server(group, name)]):
                    instances.append(_server_fact(item, "replica"))

            run.part("replicas", replicas)
        document["instances"] = instances
        document["server_parameters"] = run.part("server parameters", lambda: _parameters(run.call(
            "configurations.list_by_server",
            lambda: [c.as_dict() for c in run.mysql.configurations.list_by_server(group, name)])))
        document["metrics"] = run.part("metrics", lambda: _metrics(run, str(server.get("id")), name, now))
    except PartSkipped as exc:
        run.skipped.append({"part": "instances", "reason": exc.reason, "iam_action": exc.iam_action})
    except Fatal as exc:
        run.skipped.append({"part": "azure", "reason": exc.reason, "iam_action": exc.iam_action})
    finally:
        for client in (getattr(run, "mysql", None), getattr(run, "monitor", None), credential):
            if client is not None:
                client.close()
    document["skipped"] = run.skipped
    return document


def check_access(options: AzureOptions, host: str | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> list[dict[str, Any]]:
    """The wizard's *Test access*: one small call per part, each said readable or not.

    Each item is ``{"part", "iam_action", "ok", "reason"}`` as collectors.aws.check_access gives them, with the
    built-in role as ``iam_action`` (Reader, Monitoring Reader). Without a resource group the subscription's
    flexible servers are listed to find it: that item also holds ``"resource_group"`` (the group found, or
    None). The server is read with Get, its parameters with the first page of their list, the metrics with
    one Metrics - List of the last hour's cpu_percent. No credentials, refused credentials or an unreachable
    endpoint end the check with one item (``iam_action`` None). Never raises for an Azure problem."""
    found: list[dict[str, Any]] = []

    def item(part: str, role: str | None, ok: bool, reason: str = "", **extra: Any) -> None:
        found.append({"part": part, "iam_action": role, "ok": ok, "reason": reason, **extra})

    name = options.server or parse_host(host)
    subscription = options.subscription or os.environ.get("AZURE_SUBSCRIPTION_ID")
    if not name or not subscription:
        item("azure", None, False, "no server name: give the server (NAME of NAME.mysql.database.azure.com)"
             if not name else "no subscription: give the subscription ID (or set AZURE_SUBSCRIPTION_ID)")
        return found
    run = _Run(clock() + options.budget, clock)
    credential = None

    def probe(part: str, operation: str, function: Callable[[], Any]) -> Any:
        role = CALLS[operation][1]
        try:
            answer = run.call(operation, function)
        except PartSkipped as exc:
            item(part, exc.iam_action or role, False, exc.reason)
            return None
        item(part, role, True)
        return answer

    try:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            credential = _credential()
            run.mysql, run.monitor = _clients(credential, subscription, run)
            group = options.resource_group
            if not group:
                role = CALLS["servers.list"][1]
                try:
                    group = _find_group(run, name)
                except PartSkipped as exc:
                    item("resource group", exc.iam_action or role, False, exc.reason, resource_group=None)
                else:
                    item("resource group", role, True, f"found: {group}", resource_group=group)
            if group:
                known = group
                server = probe(f"server {name}", "servers.get",
                               lambda: run.mysql.servers.get(known, name).as_dict())
                probe("server parameters", "configurations.list_by_server",
                      lambda: next(iter(run.mysql.configurations.list_by_server(known, name)), None))
                resource = str((server or {}).get("id") or f"/subscriptions/{subscription}/resourceGroups/{known}/"
                               f"providers/{NAMESPACE}/{name}")
                end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
                start = end - timedelta(hours=1)
                probe("Azure Monitor metrics", "metrics.list", lambda: run.monitor.metrics.list(
                    resource, timespan=f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}", interval=PERIOD,
                    metricnames="cpu_percent", aggregation="Average", metricnamespace=NAMESPACE))
        except ClientAuthenticationError as exc:
            raise _credential_failure(exc) from None
    except Fatal as exc:
        item("azure", exc.iam_action, False, exc.reason)
    finally:
        for client in (getattr(run, "mysql", None), getattr(run, "monitor", None), credential):
            if client is not None:
                client.close()
    return found
