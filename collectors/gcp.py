"""Google Cloud SQL for MySQL: the instance facts and two weeks of Cloud Monitoring, read through the Google
APIs (issue 20).

Read-only by construction: the calls are the Cloud SQL Admin API v1 ``instances.get`` / ``instances.list``
and the Cloud Monitoring API v3 ``projects.timeSeries.list``, named in :data:`CALLS` with the IAM permission
each needs; ``ps-prechecks --gcp-policy`` prints them with the predefined roles that hold them
(roles/cloudsql.viewer, roles/monitoring.viewer). Credentials come from Application Default Credentials
(``gcloud auth application-default login``, GOOGLE_APPLICATION_CREDENTIALS, the metadata server on Google
Cloud) or ``--gcp-credentials FILE``; nothing here stores or returns one.

The library is google-api-python-client with the discovery documents it ships (static discovery: no
discovery call; the frozen bundle keeps only sqladmin v1 and monitoring v3) over google-auth. The API
endpoints can be moved as gcloud's own overrides do: CLOUDSDK_API_ENDPOINT_OVERRIDES_SQLADMIN and
CLOUDSDK_API_ENDPOINT_OVERRIDES_MONITORING (the tests point them at a local stand-in).

A missing permission skips one part and names the role; no credentials, refused credentials or an
unreachable API ends the cloud part with one skip. HTTP 429 is retried with backoff inside the time budget
(30 s by default, collectors/cloudcommon.py). The SDK is imported only when the cloud part runs.
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
PERIOD_SECONDS = 3600  # 14 days -> 336 points per series
SAMPLE_SECONDS = 60  # Cloud SQL samples its metrics every 60 s (cloud.google.com/monitoring/api/metrics_gcp_c)
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
ENDPOINT_ENV = {"sqladmin": "CLOUDSDK_API_ENDPOINT_OVERRIDES_SQLADMIN",
                "monitoring": "CLOUDSDK_API_ENDPOINT_OVERRIDES_MONITORING"}

# (API, method) -> (IAM permission, the predefined role that grants it). Every call the code makes is here.
CALLS: dict[tuple[str, str], tuple[str, str]] = {
    ("sqladmin", "instances.get"): ("cloudsql.instances.get", "roles/cloudsql.viewer"),
    ("sqladmin", "instances.list"): ("cloudsql.instances.list", "roles/cloudsql.viewer"),
    ("monitoring", "timeSeries.list"): ("monitoring.timeSeries.list", "roles/monitoring.viewer"),
}

PREFIX = "cloudsql.googleapis.com/"
# metric (cloud.json's series name without the prefix) -> (kind, unit, scale). "delta" metrics are counts per
# sample: the hourly mean is ALIGN_RATE (per second), the peak the largest sample / SAMPLE_SECONDS.
METRICS: dict[str, tuple[str, str, float]] = {
    "database/cpu/utilization": ("gauge", "percent", 100.0),  # a fraction 0-1: x100
    "database/memory/usage": ("gauge", "bytes", 1.0),
    "database/memory/utilization": ("gauge", "percent", 100.0),
    "database/disk/bytes_used": ("gauge", "bytes", 1.0),
    "database/disk/read_ops_count": ("delta", "per_second", 1.0),
    "database/disk/write_ops_count": ("delta", "per_second", 1.0),
    "database/network/connections": ("gauge", "count", 1.0),
    "database/mysql/queries": ("delta", "per_second", 1.0),
    "database/mysql/questions": ("delta", "per_second", 1.0),
}

# Predefined tiers: vCPU and memory GiB, from "Machine types" in cloud.google.com/sql/docs/mysql/instance-settings
# (shared-core and legacy N1 tiers) and cloud.google.com/sql/docs/mysql/machine-series-overview (Enterprise Plus
# db-perf-optimized-N-<vCPU>, 8 GiB per vCPU). db-custom-<vCPU>-<MiB> is parsed from the name.
_SHARED_TIERS: dict[str, tuple[float, float]] = {"db-f1-micro": (0.2, 0.6), "db-g1-small": (0.5, 1.7)}
_N1_GIB_PER_VCPU = {"standard": 3.75, "highmem": 6.5}
_TIER_CUSTOM = re.compile(r"^db-(?:[a-z0-9]+-)?custom-(?P<vcpu>\d+)-(?P<mib>\d+)$")
_TIER_N1 = re.compile(r"^db-n1-(?P<kind>standard|highmem)-(?P<vcpu>\d+)$")
_TIER_PERF = re.compile(r"^db-perf-optimized-n-(?P<vcpu>\d+)$")
_CONNECTION = re.compile(r"^(?P<project>(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]):(?P<region>[a-z]+-[a-z]+\d+)"
                         r":(?P<instance>[a-z][a-z0-9-]{0,97})$")


def tier_size(tier: str | None) -> tuple[float | int | str, float | int | str]:
    """(vCPU, memory GiB) of a Cloud SQL tier; "unknown" for a tier the table does not hold."""
    name = (tier or "").lower()
    if name in _SHARED_TIERS:
        return _SHARED_TIERS[name]
    if match := _TIER_CUSTOM.match(name):
        mib = int(match["mib"])
        return int(match["vcpu"]), (mib // 1024 if mib % 1024 == 0 else round(mib / 1024, 2))
    if match := _TIER_N1.match(name):
        vcpu = int(match["vcpu"])
        return vcpu, _N1_GIB_PER_VCPU[match["kind"]] * vcpu
    if match := _TIER_PERF.match(name):
        vcpu = int(match["vcpu"])
        return vcpu, 8 * vcpu
    return "unknown", "unknown"


@dataclass(frozen=True)
class ConnectionName:
    project: str
    region: str
    instance: str

    def __str__(self) -> str:
        return f"{self.project}:{self.region}:{self.instance}"


def parse_connection_name(value: str | None) -> ConnectionName | None:
    """``PROJECT:REGION:INSTANCE`` (a domain-scoped project ``example.com:proj`` too), as the console shows it."""
    match = _CONNECTION.match((value or "").strip())
    return ConnectionName(match["project"], match["region"], match["instance"]) if match else None


@dataclass(frozen=True)
class GcpOptions:
    instance: str | None = None  # the connection name
    credentials: str | None = None  # a credentials file (service account key, or ADC user credentials)
    budget: float = DEFAULT_BUDGET

    @property
    def given(self) -> bool:
        return bool(self.instance or self.credentials)


def wanted(options: GcpOptions, *, no_cloud: bool = False) -> bool:
    """Google is touched only when a --gcp-* flag is given (a Cloud SQL endpoint does not name the instance)."""
    return not no_cloud and options.given


def policy_text() -> str:
    """What to grant: the predefined roles, and a custom role with exactly the permissions called."""
    roles = sorted({role for _, role in CALLS.values()})
    permissions = sorted({permission for permission, _ in CALLS.values()})
    lines = ["# ps-prechecks reads Cloud SQL and Cloud Monitoring read-only. Grant, on the instance's project,",
             f"# the predefined roles {' and '.join(roles)}:",
             *[f"#   gcloud projects add-iam-policy-binding PROJECT --member=user:EMAIL --role={r}" for r in roles],
             "# or this custom role with only the permissions used:",
             "#   gcloud iam roles create psPrechecksReadOnly --project=PROJECT --file=THIS_FILE",
             "title: ps-prechecks read-only",
             "description: Cloud SQL instance facts and Cloud Monitoring metrics for ps-prechecks",
             "stage: GA",
             "includedPermissions:",
             *[f"- {p}" for p in permissions]]
    return "\n".join(lines) + "\n"


class _Run(Budget):
    services: dict[str, Any]

    def close(self) -> None:
        """Close the HTTP connections (httplib2 keeps them open otherwise)."""
        for service in getattr(self, "services", {}).values():
            service.close()

    def call(self, api: str, method: str, request: Any) -> dict[str, Any]:
        """One API call, 429 retried inside the budget, its failure classified (a part skip or the end)."""
        from googleapiclient.errors import HttpError

        permission, role = CALLS[(api, method)]

        def once() -> dict[str, Any]:
            try:
                answer: dict[str, Any] = request.execute(num_retries=0)
            except HttpError as exc:
                if exc.resp.status == 429:
                    after = exc.resp.get("retry-after")
                    raise Throttled(float(after) if after and after.isdigit() else None) from None
                raise
            return answer

        try:
            return self.retrying(once, on_give_up=lambda: PartSkipped(
                f"Google kept answering 429 (too many requests) to {method} after retries; run again later", role))
        except HttpError as exc:
            status = exc.resp.status
            message = _error_message(exc)
            if status == 403:
                raise PartSkipped(f"not allowed: the credentials lack {permission} (grant {role}: "
                                  "ps-prechecks --gcp-policy)", role) from None
            if status == 404:
                raise PartSkipped(f"not found: {message or 'no such instance'}; check --gcp-instance "
                                  "PROJECT:REGION:INSTANCE", role) from None
            if status == 401:
                raise Fatal("Google refused the credentials (401): run gcloud auth application-default login "
                            "or give another --gcp-credentials file") from None
            raise PartSkipped(f"{method} failed: HTTP {status} {message}".strip(), role) from None
        except Fatal:
            raise
        except PartSkipped:
            raise
        except Exception as exc:
            raise _transport_failure(exc) from None


def _error_message(exc: Any) -> str:
    try:
        body = json.loads(exc.content.decode("utf-8", "replace"))
        return str((body.get("error") or {}).get("message") or "")[:200]
    except (ValueError, AttributeError):
        return ""


def _transport_failure(exc: Exception) -> Fatal:
    from google.auth.exceptions import DefaultCredentialsError, RefreshError

    if isinstance(exc, RefreshError):
        return Fatal("Google refused the credentials (the token could not be refreshed): run gcloud auth "
                     "application-default login, or check the --gcp-credentials file")
    if isinstance(exc, DefaultCredentialsError):
        return Fatal(_NO_CREDENTIALS)
    return Fatal(f"Google's API could not be reached ({type(exc).__name__}): check the network or proxy")


_NO_CREDENTIALS = ("no Google credentials found: run gcloud auth application-default login, or give "
                   "--gcp-credentials FILE (a service account key)")


def _credentials(options: GcpOptions) -> Any:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    if options.credentials:
        return _credentials_file(options.credentials)
    try:
        credentials, _ = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError:
        raise Fatal(_NO_CREDENTIALS) from None
    return credentials


def _credentials_file(path: str) -> Any:
    """A service account key or gcloud's application-default user credentials; other kinds (external
    accounts, whose file names URLs to call) are refused, as google-auth advises for a file from a user."""
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
        kind = info.get("type") if isinstance(info, dict) else None
        if kind == "service_account":
            return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=list(SCOPES))
        if kind == "authorized_user":
            return user_credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
                info, scopes=list(SCOPES))
        reason = f"its type is {kind!r}" if kind else "it is not a credentials file"
    except OSError as exc:
        reason = exc.strerror or "it cannot be read"
    except ValueError:
        reason = "it is not a credentials file"
    raise Fatal(f"--gcp-credentials {path} cannot be used ({reason}): give a service account key (JSON) or "
                "the file of gcloud auth application-default login")


def _services(credentials: Any, timeout: float) -> dict[str, Any]:
    import google_auth_httplib2
    import httplib2
    from googleapiclient.discovery import build

    services = {}
    for api, version in (("sqladmin", "v1"), ("monitoring", "v3")):
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        override = os.environ.get(ENDPOINT_ENV[api])
        services[api] = build(api, version, http=http, static_discovery=True, cache_discovery=False,
                              client_options={"api_endpoint": override} if override else None)
    return services


def _engine(version: str | None) -> tuple[str | None, str | None]:
    """``MYSQL_8_0_35`` -> ("mysql", "8.0.35")."""
    if not version:
        return None, None
    engine, _, rest = version.partition("_")
    return engine.lower(), rest.replace("_", ".") or None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _instance_fact(db: Mapping[str, Any], role: str) -> dict[str, Any]:
    settings = db.get("settings") or {}
    tier = settings.get("tier")
    vcpu, memory = tier_size(tier)
    engine, engine_version = _engine(db.get("databaseVersion"))
    backup = settings.get("backupConfiguration") or {}
    retention = backup.get("backupRetentionSettings") or {}
    ip = settings.get("ipConfiguration") or {}
    window = settings.get("maintenanceWindow") or {}
    auto_resize_limit = _int(settings.get("storageAutoResizeLimit"))
    return {
        "id": db.get("name"),
        "role": role,
        "class": tier,
        "vcpu": vcpu,
        "memory_gib": memory,
        "engine": engine,
        "engine_version": engine_version,
        "storage": {
            "type": settings.get("dataDiskType"),
            "allocated_gib": _int(settings.get("dataDiskSizeGb")),
            "iops": _int(settings.get("dataDiskProvisionedIops")),
            "throughput_mibps": _int(settings.get("dataDiskProvisionedThroughput")),
        },
        "multi_az": settings.get("availabilityType") == "REGIONAL",
        "availability_zone": db.get("gceZone"),
        "region": db.get("region"),
        "connection_name": db.get("connectionName"),
        "database_version": db.get("databaseVersion"),
        "edition": settings.get("edition"),
        "availability_type": settings.get("availabilityType"),
        "secondary_zone": db.get("secondaryGceZone"),
        "storage_auto_resize": bool(settings.get("storageAutoResize")),
        "storage_auto_resize_limit_gib": auto_resize_limit or None,  # 0 is "no limit"
        "backup": {
            "enabled": bool(backup.get("enabled")),
            "binary_log_enabled": bool(backup.get("binaryLogEnabled")),
            "point_in_time_recovery": bool(backup.get("pointInTimeRecoveryEnabled")),
            "start_time": backup.get("startTime"),
            "retained_backups": _int(retention.get("retainedBackups")),
            "transaction_log_retention_days": _int(backup.get("transactionLogRetentionDays")),
        },
        "database_flags": {f.get("name"): f.get("value") for f in settings.get("databaseFlags") or []
                           if isinstance(f, Mapping)},
        "ip_configuration": {
            "public_ip": bool(ip.get("ipv4Enabled")),
            "private_network": ip.get("privateNetwork"),
            "require_ssl": bool(ip.get("requireSsl")),
            "ssl_mode": ip.get("sslMode"),
            "authorized_networks": [n.get("value") for n in ip.get("authorizedNetworks") or []
                                    if isinstance(n, Mapping)],
        },
        "maintenance_window": {"day": window.get("day"), "hour": window.get("hour")} if window else None,
        "replica_names": list(db.get("replicaNames") or []),
        "master_instance": db.get("masterInstanceName"),
    }


def _get_instance(run: _Run, project: str, name: str) -> dict[str, Any]:
    sql = run.services["sqladmin"]
    return run.call("sqladmin", "instances.get", sql.instances().get(project=project, instance=name))


def _instances(run: _Run, target: ConnectionName) -> list[dict[str, Any]]:
    """The instance named, its primary when it is a replica, and its replicas (each a part of its own)."""
    db = _get_instance(run, target.project, target.instance)
    is_replica = db.get("instanceType") == "READ_REPLICA_INSTANCE"
    instances = [_instance_fact(db, "replica" if is_replica else "primary")]
    others: list[tuple[str, str, str]] = []
    if is_replica and db.get("masterInstanceName"):
        project, _, name = str(db["masterInstanceName"]).rpartition(":")
        others.append((project or target.project, name, "primary"))
    others += [(target.project, str(name), "replica") for name in db.get("replicaNames") or []]
    for project, name, role in others:
        def read(project: str = project, name: str = name, role: str = role) -> None:
            instances.append(_instance_fact(_get_instance(run, project, name), role))

        run.part(f"{role} {name}", read)
    return instances


def list_instances(options: GcpOptions, project: str, *, clock: Callable[[], float] = time.monotonic
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The project's Cloud SQL instances (every page), for the wizard: (name, connection_name, region, tier,
    database_version) each, and the skips. Never raises for a Google problem."""
    run = _Run(clock() + options.budget, clock)
    found: list[dict[str, Any]] = []
    try:
        run.services = _services(_credentials(options), min(10.0, options.budget))
        sql = run.services["sqladmin"]

        def read() -> None:
            request = sql.instances().list(project=project)
            while request is not None:
                answer = run.call("sqladmin", "instances.list", request)
                found.extend({"name": item.get("name"), "connection_name": item.get("connectionName"),
                              "region": item.get("region"), "tier": (item.get("settings") or {}).get("tier"),
                              "database_version": item.get("databaseVersion")} for item in answer.get("items", []))
                request = sql.instances().list_next(request, answer)

        run.part("instances", read)
    except Fatal as exc:
        run.skipped.append({"part": "gcp", "reason": exc.reason, "iam_action": exc.iam_action})
    finally:
        run.close()
    return found, run.skipped


def _series(run: _Run, project: str, instance: str, metric: str, aligner: str, start: datetime,
            end: datetime) -> list[tuple[datetime, float]]:
    """Every page of one metric's hourly points for one instance: (the hour it began, value)."""
    monitoring = run.services["monitoring"]
    query = {"name": f"projects/{project}",
             "filter": f'metric.type = "{PREFIX}{metric}" AND resource.type = "cloudsql_database" AND '
                       f'resource.labels.database_id = "{project}:{instance}"',
             "interval_startTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "interval_endTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "aggregation_alignmentPeriod": f"{PERIOD_SECONDS}s", "aggregation_perSeriesAligner": aligner,
             "view": "FULL"}
    points: list[tuple[datetime, float]] = []
    request = monitoring.projects().timeSeries().list(**query)
    while request is not None:
        answer = run.call("monitoring", "timeSeries.list", request)
        for series in answer.get("timeSeries", []):
            for point in series.get("points", []):
                value = point.get("value") or {}
                raw = value.get("doubleValue", value.get("int64Value"))
                stamp = (point.get("interval") or {}).get("endTime")
                if raw is None or not stamp:
                    continue
                when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) - timedelta(seconds=PERIOD_SECONDS)
                points.append((when, float(raw)))
        request = monitoring.projects().timeSeries().list_next(request, answer)
    return sorted(points)


def _metrics(run: _Run, project: str, instance: str, now: datetime) -> dict[str, Any]:
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=WINDOW_DAYS)
    series: dict[str, Any] = {}
    points: dict[str, list[list[float]]] = {}  # the hourly means, for history.json (collectors/cloudhistory.py)
    no_data: list[str] = []
    for metric, (kind, unit, scale) in METRICS.items():
        run.check(CALLS[("monitoring", "timeSeries.list")][1])
        if kind == "delta":
            averages = _series(run, project, instance, metric, "ALIGN_RATE", start, end)
            maxima = [(w, v / SAMPLE_SECONDS) for w, v in _series(run, project, instance, metric, "ALIGN_MAX",
                                                                   start, end)]
        else:
            averages = _series(run, project, instance, metric, "ALIGN_MEAN", start, end)
            maxima = _series(run, project, instance, metric, "ALIGN_MAX", start, end)
        summary = summarise([(w, v * scale) for w, v in averages], [(w, v * scale) for w, v in maxima], unit,
                            growth=metric == "database/disk/bytes_used")
        if summary is None:
            no_data.append(PREFIX + metric)
        else:
            series[PREFIX + metric] = summary
            points[PREFIX + metric] = [[w.timestamp(), round(v * scale, 4)] for w, v in averages]
    return {"instance": instance, "window_days": WINDOW_DAYS, "period_seconds": PERIOD_SECONDS,
            "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "series": series, "no_data": no_data, "points": points}


def collect_cloud(options: GcpOptions, *, now: datetime | None = None,
                  clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """The cloud.json document for a Cloud SQL instance. Never raises for a Google problem: each is a skip."""
    target = parse_connection_name(options.instance)
    document: dict[str, Any] = {"format_version": FORMAT_VERSION, "provider": "gcp",
                                "region": target.region if target else None,
                                "project": target.project if target else None,
                                "connection_name": str(target) if target else options.instance,
                                "instances": [], "metrics": None, "bill": None, "skipped": []}
    if target is None:
        document["skipped"].append({"part": "gcp", "iam_action": None, "reason": (
            f"--gcp-instance {options.instance!r} is not a connection name: give PROJECT:REGION:INSTANCE (the "
            "console's Connection name)" if options.instance else
            "no instance to read: give --gcp-instance PROJECT:REGION:INSTANCE")})
        return document
    now = now or datetime.now(UTC)
    run = _Run(clock() + options.budget, clock)
    try:
        credentials = _credentials(options)
        run.services = _services(credentials, max(1.0, min(10.0, options.budget)))
        instances = _instances(run, target)
        document["instances"] = instances
        document["metrics"] = run.part("metrics", lambda: _metrics(run, target.project, target.instance, now))
    except PartSkipped as exc:
        run.skipped.append({"part": "instances", "reason": exc.reason, "iam_action": exc.iam_action})
    except Fatal as exc:
        run.skipped.append({"part": "gcp", "reason": exc.reason, "iam_action": exc.iam_action})
    except Exception as exc:  # the transport's own errors (refused, unreachable) end the part in one line
        failure = _transport_failure(exc)
        run.skipped.append({"part": "gcp", "reason": failure.reason, "iam_action": None})
    finally:
        run.close()
    document["skipped"] = run.skipped
    return document


def check_access(options: GcpOptions, project: str | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> list[dict[str, Any]]:
    """The wizard's *Test access*: one small call per part, each said readable or not.

    Each item is ``{"part", "iam_action", "ok", "reason"}`` as collectors.aws.check_access gives them, with the
    predefined role as ``iam_action`` (roles/cloudsql.viewer, roles/monitoring.viewer). The instance is read with
    instances.get (the project's instances.list when no instance is named), the metrics with one
    timeSeries.list of the last hour's CPU. No credentials, refused credentials or an unreachable API end the
    check with one item (``iam_action`` None). Never raises for a Google problem."""
    found: list[dict[str, Any]] = []

    def item(part: str, role: str | None, ok: bool, reason: str = "") -> None:
        found.append({"part": part, "iam_action": role, "ok": ok, "reason": reason})

    target = parse_connection_name(options.instance)
    project = target.project if target else project
    if not project:
        item("gcp", None, False, "no project: give the project ID, or the connection name PROJECT:REGION:INSTANCE")
        return found
    run = _Run(clock() + options.budget, clock)

    def probe(part: str, api: str, method: str, request: Callable[[], Any]) -> None:
        role = CALLS[(api, method)][1]
        try:
            run.call(api, method, request())
        except PartSkipped as exc:
            item(part, exc.iam_action or role, False, exc.reason)
            return
        item(part, role, True)

    try:
        run.services = _services(_credentials(options), max(1.0, min(10.0, options.budget)))
        sql = run.services["sqladmin"]
        if target is not None:
            probe(f"instance {target.instance}", "sqladmin", "instances.get",
                  lambda: sql.instances().get(project=target.project, instance=target.instance))
        else:
            probe(f"Cloud SQL instances of {project}", "sqladmin", "instances.list",
                  lambda: sql.instances().list(project=project, maxResults=1))
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        database = f'resource.labels.database_id = "{project}:{target.instance}"' if target else \
            'resource.type = "cloudsql_database"'
        query = {"name": f"projects/{project}",
                 "filter": f'metric.type = "{PREFIX}database/cpu/utilization" AND {database}',
                 "interval_startTime": (end - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "interval_endTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "pageSize": 1, "view": "HEADERS"}
        monitoring = run.services["monitoring"]
        probe("Cloud Monitoring metrics", "monitoring", "timeSeries.list",
              lambda: monitoring.projects().timeSeries().list(**query))
    except Fatal as exc:
        item("gcp", exc.iam_action, False, exc.reason)
    except Exception as exc:  # the transport's own errors (refused, unreachable)
        item("gcp", None, False, _transport_failure(exc).reason)
    finally:
        run.close()
    return found
