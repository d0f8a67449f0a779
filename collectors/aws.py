"""Amazon RDS / Aurora: the instance facts and two weeks of CloudWatch, read through the AWS API (issue 16).

Read-only by construction: every call this module makes is a Describe/Get/List call named in
:data:`CALLS`, and ``ps-prechecks --aws-policy`` prints exactly those actions as an IAM policy
(:func:`policy_document`). Credentials come from the standard AWS chain through boto3 (``--aws-profile``,
the environment, the SSO cache, an instance role); ``AWS_ENDPOINT_URL`` is honoured as botocore does.
Nothing here stores or returns a credential: the document this builds holds only what AWS answered about
the database.

A missing permission skips one part and names the IAM action; no credentials, a bad or expired token or an
unreachable endpoint ends the cloud part with one skip saying so. The whole part runs under a time budget
(30 s by default): botocore retries throttling with backoff (standard mode, few attempts, short timeouts)
and nothing new is started once the budget is spent.

boto3 is imported only when the cloud part runs: ``ps-prechecks --version`` and the SQL-only run never load it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from collectors.cloudcommon import _Fatal, _number, _p95, _PartSkipped, one_line  # noqa: F401 (one_line: re-exported)

FORMAT_VERSION = 1
DEFAULT_BUDGET = 30.0
WINDOW_DAYS = 14
PERIOD_SECONDS = 3600  # 14 days -> 336 points per series
GIB = 1024**3
MIB = 1024**2

# (service, API operation) -> IAM action. Every call the code makes is here; the policy is built from it.
CALLS: dict[tuple[str, str], str] = {
    ("rds", "DescribeDBInstances"): "rds:DescribeDBInstances",
    ("rds", "DescribeDBClusters"): "rds:DescribeDBClusters",
    ("rds", "DescribeDBClusterEndpoints"): "rds:DescribeDBClusterEndpoints",
    ("rds", "DescribeDBParameters"): "rds:DescribeDBParameters",
    ("ec2", "DescribeInstanceTypes"): "ec2:DescribeInstanceTypes",
    ("cloudwatch", "GetMetricData"): "cloudwatch:GetMetricData",
    ("ce", "GetCostAndUsage"): "ce:GetCostAndUsage",
}

METRICS = ("CPUUtilization", "FreeableMemory", "DatabaseConnections", "ReadIOPS", "WriteIOPS",
           "ReadThroughput", "WriteThroughput", "FreeStorageSpace")
AURORA_METRICS = ("Queries", "DMLThroughput", "SelectThroughput")  # Aurora MySQL publishes these per instance

_ENDPOINT = re.compile(
    r"^(?P<name>[a-z][a-z0-9-]*)\.(?:(?P<kind>cluster-ro|cluster-custom|cluster)-)?(?P<hash>[a-z0-9]+)"
    r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.rds\.amazonaws\.com(?:\.cn)?\.?$")

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
           "Forbidden"}
_BAD_CREDENTIALS = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
                    "SignatureDoesNotMatch", "AuthFailure", "InvalidAccessKeyId", "InvalidToken",
                    "RequestExpired", "IncompleteSignature", "MissingAuthenticationToken"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
              "RequestThrottled", "RequestThrottledException", "SlowDown", "LimitExceededException"}
_NOT_FOUND = {"DBInstanceNotFound", "DBInstanceNotFoundFault", "DBClusterNotFoundFault", "DBClusterNotFound",
              "InvalidInstanceType", "DBClusterEndpointNotFoundFault", "DBParameterGroupNotFound",
              "DBParameterGroupNotFoundFault"}
# The binary log settings of the writer's DB parameter group (what SQL shows as variables, when it could not read
# them). RDS keeps `binlog retention hours` in mysql.rds_configuration, not in a parameter group: no API reads it.
BINLOG_PARAMETERS = ("binlog_format", "binlog_row_image", "binlog_expire_logs_seconds", "expire_logs_days",
                     "gtid-mode", "enforce_gtid_consistency")


@dataclass(frozen=True)
class Endpoint:
    """What an RDS host name says: the instance or cluster (or custom endpoint) name, its kind and region."""

    name: str
    kind: str  # "instance", "cluster", "cluster-ro", "cluster-custom"
    region: str


def parse_endpoint(host: str | None) -> Endpoint | None:
    """``<id>.<hash>.<region>.rds.amazonaws.com`` and Aurora's ``cluster-``/``cluster-ro-``/custom endpoints."""
    if not host:
        return None
    match = _ENDPOINT.match(host.strip().lower())
    if match is None:
        return None
    return Endpoint(match["name"], match["kind"] or "instance", match["region"])


@dataclass(frozen=True)
class CloudOptions:
    """What the user gave (CLI flags or a --servers entry); all optional."""

    profile: str | None = None
    region: str | None = None
    db_instance: str | None = None
    db_cluster: str | None = None
    budget: float = DEFAULT_BUDGET

    @property
    def given(self) -> bool:
        return bool(self.profile or self.region or self.db_instance or self.db_cluster)


def wanted(options: CloudOptions, host: str | None, *, no_cloud: bool = False) -> bool:
    """AWS is touched only when a cloud flag is given or the endpoint is an RDS one (and never with --no-cloud)."""
    return not no_cloud and (options.given or parse_endpoint(host) is not None)


def policy_document() -> dict[str, Any]:
    """The minimal read-only IAM policy: every action this module can call, and only those."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PsPrechecksReadOnly",
            "Effect": "Allow",
            "Action": sorted(set(CALLS.values())),
            "Resource": "*",
        }],
    }


def policy_json() -> str:
    return json.dumps(policy_document(), indent=2) + "\n"


CREDENTIAL_SERVICES = ("sts", "sso", "sso-oidc")  # the credential chain's own calls (SSO cache, role)


def missing_models() -> list[str]:
    """The botocore service models the cloud part needs that are not installed (the frozen bundle ships
    only these); each call of :data:`CALLS` must be an operation of its service's model. No network."""
    import botocore.session
    from botocore.exceptions import DataNotFoundError, UnknownServiceError

    session = botocore.session.get_session()
    missing: list[str] = []
    for service in sorted({s for s, _ in CALLS} | set(CREDENTIAL_SERVICES)):
        try:
            model = session.get_service_model(service)
        except (UnknownServiceError, DataNotFoundError):
            missing.append(service)
            continue
        names = set(model.operation_names)
        missing += [f"{service}:{operation}" for s, operation in CALLS if s == service and operation not in names]
    return missing


@dataclass
class _Run:
    session: Any
    region: str
    deadline: float
    clock: Callable[[], float]
    skipped: list[dict[str, Any]] = field(default_factory=list)
    clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None) -> Any:
        from botocore.config import Config

        region = region or self.region
        key = (service, region)
        if key not in self.clients:
            remaining = max(1.0, self.deadline - self.clock())
            config = Config(
                retries={"mode": "standard", "total_max_attempts": 3},  # two retries with backoff
                connect_timeout=min(3.0, remaining), read_timeout=min(10.0, remaining),
                user_agent_extra="ps-prechecks",
            )
            self.clients[key] = self.session.client(service, region_name=region, config=config)
        return self.clients[key]

    def call(self, service: str, operation: str, region: str | None = None, **params: Any) -> dict[str, Any]:
        """One API call, its failure classified: a part skip (denied, not found) or the end of the cloud part."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            NoRegionError,
            PartialCredentialsError,
            ProfileNotFound,
            ReadTimeoutError,
            SSOError,
            TokenRetrievalError,
            UnauthorizedSSOTokenError,
        )

        action = CALLS[(service, operation)]
        if self.clock() >= self.deadline:
            raise _Fatal("the time budget for the cloud part was spent before this call; the rest is not read",
                         action)
        from botocore import xform_name

        method = getattr(self.client(service, region), xform_name(operation))
        try:
            answer: dict[str, Any] = method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in _DENIED:
                raise _PartSkipped(f"not allowed: the credentials lack {action} (add it: ps-prechecks --aws-policy)",
                                   action) from None
            if code in _BAD_CREDENTIALS:
                raise _Fatal(f"AWS refused the credentials ({code}): log in again (aws sso login, or fresh keys) "
                             "and run again") from None
            if code in _THROTTLED:
                raise _PartSkipped(f"AWS kept throttling {operation} after retries ({code}); run again later",
                                   action) from None
            if code in _NOT_FOUND:
                raise _PartSkipped(f"not found ({code}): check the id and --aws-region", action) from None
            raise _PartSkipped(f"{operation} failed: {code or 'error'}", action) from None
        except NoCredentialsError:
            raise _Fatal("no AWS credentials found: give --aws-profile, set AWS_PROFILE or the AWS_ACCESS_KEY_ID "
                         "variables, or run aws sso login") from None
        except PartialCredentialsError:
            raise _Fatal("the AWS credentials are incomplete (a key without its secret): check the profile or "
                         "environment") from None
        except ProfileNotFound as exc:
            raise _Fatal(f"AWS profile {exc.kwargs.get('profile')!r} is not in ~/.aws/config or credentials: "
                         "check --aws-profile") from None
        except (TokenRetrievalError, UnauthorizedSSOTokenError, SSOError):
            raise _Fatal("the AWS SSO session has expired: run aws sso login and run again") from None
        except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
            raise _Fatal(f"AWS could not be reached ({type(exc).__name__}): check the network or AWS_ENDPOINT_URL"
                         ) from None
        except NoRegionError:
            raise _Fatal("no AWS region: give --aws-region") from None
        except BotoCoreError as exc:
            raise _Fatal(f"AWS call {operation} failed: {type(exc).__name__}") from None
        return answer

    def part(self, name: str, function: Callable[[], Any], default: Any = None) -> Any:
        try:
            return function()
        except _PartSkipped as exc:
            self.skipped.append({"part": name, "reason": exc.reason, "iam_action": exc.iam_action})
            return default


def _instance_fact(db: Mapping[str, Any], role: str) -> dict[str, Any]:
    az = db.get("AvailabilityZone")
    throughput = db.get("StorageThroughput")
    return {
        "id": db.get("DBInstanceIdentifier"),
        "role": role,
        "class": db.get("DBInstanceClass"),
        "vcpu": "unknown",
        "memory_gib": "unknown",
        "engine": db.get("Engine"),
        "engine_version": db.get("EngineVersion"),
        "storage": {
            "type": db.get("StorageType"),
            "allocated_gib": db.get("AllocatedStorage"),
            "iops": db.get("Iops"),
            "throughput_mibps": throughput,
        },
        "multi_az": bool(db.get("MultiAZ")),
        "availability_zone": az,
        "region": az[:-1] if isinstance(az, str) and az else None,
        "cluster": db.get("DBClusterIdentifier"),
        "backup_retention_days": db.get("BackupRetentionPeriod"),
        "performance_insights": bool(db.get("PerformanceInsightsEnabled")),
        "encrypted": bool(db.get("StorageEncrypted")),
        "publicly_accessible": bool(db.get("PubliclyAccessible")),
        "parameter_groups": [g.get("DBParameterGroupName") for g in db.get("DBParameterGroups", [])],
    }


def _arn_region(value: str) -> str | None:
    parts = value.split(":")
    return parts[3] if value.startswith("arn:") and len(parts) > 6 else None


def _arn_id(value: str) -> str:
    return value.rsplit(":", maxsplit=1)[-1] if value.startswith("arn:") else value


def _describe_instance(run: _Run, identifier: str, region: str | None = None) -> dict[str, Any]:
    answer = run.call("rds", "DescribeDBInstances", region=region, DBInstanceIdentifier=identifier)
    found = answer.get("DBInstances") or []
    if not found:
        raise _PartSkipped(f"instance {identifier} not found: check the id and --aws-region",
                           CALLS[("rds", "DescribeDBInstances")])
    return dict(found[0])


def _add_instance(run: _Run, instances: list[dict[str, Any]], part: str, identifier: str, role: str) -> None:
    """One more instance (an id, or an ARN for another region); a failure skips only this one."""

    def read() -> None:
        instances.append(_instance_fact(_describe_instance(run, _arn_id(identifier), _arn_region(identifier)), role))

    run.part(part, read)


def _instances(run: _Run, options: CloudOptions,
               endpoint: Endpoint | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The instances (target first) and the cluster facts (empty for a plain RDS instance)."""
    instance_id = options.db_instance
    cluster_id = options.db_cluster
    if not instance_id and not cluster_id and endpoint is not None:
        if endpoint.kind == "instance":
            instance_id = endpoint.name
        elif endpoint.kind == "cluster-custom":
            answer = run.call("rds", "DescribeDBClusterEndpoints", Filters=[
                {"Name": "db-cluster-endpoint-custom-type", "Values": ["ANY", "READER"]}])
            for item in answer.get("DBClusterEndpoints", []):
                if item.get("DBClusterEndpointIdentifier") == endpoint.name:
                    cluster_id = item.get("DBClusterIdentifier")
            if not cluster_id:
                raise _PartSkipped(f"custom endpoint {endpoint.name} not found: give --aws-db-cluster",
                                   CALLS[("rds", "DescribeDBClusterEndpoints")])
        else:
            cluster_id = endpoint.name
    if not instance_id and not cluster_id:
        raise _PartSkipped("no instance to read: give --aws-db-instance or --aws-db-cluster with --aws-region",
                           None)
    cluster: dict[str, Any] = {}
    instances: list[dict[str, Any]] = []
    if instance_id:
        db = _describe_instance(run, instance_id)
        cluster_id = cluster_id or db.get("DBClusterIdentifier")
        if not cluster_id:
            role = "replica" if db.get("ReadReplicaSourceDBInstanceIdentifier") else "primary"
            instances.append(_instance_fact(db, role))
            if role == "replica":  # its source too: the topology the sizing needs
                source = str(db["ReadReplicaSourceDBInstanceIdentifier"])
                _add_instance(run, instances, f"instance {_arn_id(source)}", source, "primary")
            for replica in db.get("ReadReplicaDBInstanceIdentifiers", []):  # an ARN when in another region
                if _arn_id(replica) != instance_id:
                    _add_instance(run, instances, f"replica {_arn_id(replica)}", str(replica), "replica")
            return instances, cluster
    assert cluster_id is not None
    answer = run.call("rds", "DescribeDBClusters", DBClusterIdentifier=cluster_id)
    clusters = answer.get("DBClusters") or []
    if not clusters:
        raise _PartSkipped(f"cluster {cluster_id} not found", CALLS[("rds", "DescribeDBClusters")])
    found = clusters[0]
    scaling = found.get("ServerlessV2ScalingConfiguration") or {}
    cluster = {
        "id": found.get("DBClusterIdentifier"),
        "engine": found.get("Engine"),
        "engine_version": found.get("EngineVersion"),
        "serverless_v2": {"min_acu": scaling.get("MinCapacity"), "max_acu": scaling.get("MaxCapacity")}
        if scaling else None,
        "multi_az": bool(found.get("MultiAZ")),
        "backup_retention_days": found.get("BackupRetentionPeriod"),
        "encrypted": bool(found.get("StorageEncrypted")),
        "parameter_group": found.get("DBClusterParameterGroup"),
        "read_replicas": [_arn_id(r) for r in found.get("ReadReplicaIdentifiers", [])],
    }
    members = sorted(found.get("DBClusterMembers", []),
                     key=lambda m: (not m.get("IsClusterWriter"), m.get("DBInstanceIdentifier") != instance_id,
                                    m.get("DBInstanceIdentifier") or ""))
    if instance_id:  # the named instance first
        members.sort(key=lambda m: m.get("DBInstanceIdentifier") != instance_id)
    for member in members:
        member_id = str(member.get("DBInstanceIdentifier"))
        role = "writer" if member.get("IsClusterWriter") else "reader"
        _add_instance(run, instances, f"instance {member_id}", member_id, role)
    return instances, cluster


def _class_sizes(run: _Run, instances: list[dict[str, Any]]) -> None:
    """vCPU and memory from EC2 DescribeInstanceTypes (the class without ``db.``); "unknown" otherwise."""
    classes = sorted({str(i["class"]) for i in instances if isinstance(i.get("class"), str)})
    sizes: dict[str, tuple[Any, Any]] = {}
    for name in classes:
        ec2_type = name.removeprefix("db.")
        if name == "db.serverless" or not ec2_type:
            continue

        def read(ec2_type: str = ec2_type, name: str = name) -> None:
            answer = run.call("ec2", "DescribeInstanceTypes", InstanceTypes=[ec2_type])
            for item in answer.get("InstanceTypes", []):
                vcpu = (item.get("VCpuInfo") or {}).get("DefaultVCpus")
                memory = (item.get("MemoryInfo") or {}).get("SizeInMiB")
                sizes[name] = (vcpu if vcpu is not None else "unknown",
                               round(memory / 1024, 2) if memory is not None else "unknown")

        run.part(f"class {name}", read)
    for instance in instances:
        vcpu, memory = sizes.get(str(instance.get("class")), ("unknown", "unknown"))
        instance["vcpu"], instance["memory_gib"] = vcpu, memory


def _parameter_group(run: _Run, instance: Mapping[str, Any]) -> dict[str, Any] | None:
    """The binary log parameters of the instance's DB parameter group (DescribeDBParameters, every page)."""
    groups = [g for g in instance.get("parameter_groups") or [] if isinstance(g, str) and g]
    if not groups:
        return None
    values: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    marker: str | None = None
    while True:
        params: dict[str, Any] = {"DBParameterGroupName": groups[0], "MaxRecords": 100}
        if marker:
            params["Marker"] = marker
        answer = run.call("rds", "DescribeDBParameters", **params)
        for item in answer.get("Parameters", []):
            name = item.get("ParameterName")
            if name in BINLOG_PARAMETERS:
                values[name] = item.get("ParameterValue")
                sources[name] = item.get("Source")
        marker = answer.get("Marker")
        if not marker:
            break
    return {"name": groups[0], "instance": instance.get("id"), "values": values, "sources": sources,
            "not_listed": [n for n in BINLOG_PARAMETERS if n not in values]}


def _metrics(run: _Run, instance_id: str, aurora: bool, now: datetime) -> dict[str, Any]:
    """14 days of hourly CloudWatch for one instance: avg and p95 of the hourly averages, the max and its hour."""
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=WINDOW_DAYS)
    names = METRICS + (AURORA_METRICS if aurora else ())
    queries = []
    for index, name in enumerate(names):
        metric = {"Namespace": "AWS/RDS", "MetricName": name,
                  "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": instance_id}]}
        for stat in ("Average", "Maximum"):
            queries.append({"Id": f"m{index}{stat[:3].lower()}", "ReturnData": True,
                            "MetricStat": {"Metric": metric, "Period": PERIOD_SECONDS, "Stat": stat}})
    results: dict[str, dict[str, Any]] = {}
    token: str | None = None
    while True:
        params: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end,
                                  "ScanBy": "TimestampAscending"}
        if token:
            params["NextToken"] = token
        answer = run.call("cloudwatch", "GetMetricData", **params)
        for item in answer.get("MetricDataResults", []):
            entry = results.setdefault(item["Id"], {"values": [], "timestamps": []})
            entry["values"].extend(item.get("Values", []))
            entry["timestamps"].extend(item.get("Timestamps", []))
        token = answer.get("NextToken")
        if not token:
            break
    series: dict[str, Any] = {}
    points: dict[str, list[list[float]]] = {}
    no_data: list[str] = []
    for index, name in enumerate(names):
        averages = [float(v) for v in results.get(f"m{index}ave", {}).get("values", [])]
        maxima = results.get(f"m{index}max", {"values": [], "timestamps": []})
        if not averages or not maxima["values"]:
            no_data.append(name)
            continue
        top = max(range(len(maxima["values"])), key=lambda i: float(maxima["values"][i]))
        when = maxima["timestamps"][top]
        series[name] = {
            "avg": _number(sum(averages) / len(averages)),
            "p95": _number(_p95(averages)),
            "max": _number(float(maxima["values"][top])),
            "max_at": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(when, datetime) else when,
        }
        stamps = results[f"m{index}ave"]["timestamps"]
        # the hourly averages themselves, for history.json when no Prometheus or watch history is given
        # (collectors/cloudhistory.py); taken out of cloud.json before it is written
        points[name] = [[_stamp(when), _number(float(value))] for when, value in zip(stamps, averages, strict=False)]
        if name == "FreeStorageSpace" and len(averages) > 1:
            days = (stamps[-1] - stamps[0]).total_seconds() / 86400
            if days > 0:  # free space shrinking = data growing
                series[name]["growth_gib_per_day"] = _number((averages[0] - averages[-1]) / GIB / days)
    return {
        "instance": instance_id,
        "window_days": WINDOW_DAYS,
        "period_seconds": PERIOD_SECONDS,
        "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "series": series,
        "no_data": no_data,
        "points": points,
    }


def _stamp(when: Any) -> float:
    """A CloudWatch time stamp (a datetime from boto3, ISO text from a stand-in) as unix time."""
    if isinstance(when, datetime):
        return when.timestamp() if when.tzinfo else when.replace(tzinfo=UTC).timestamp()
    return datetime.fromisoformat(str(when).replace("Z", "+00:00")).timestamp()


def _bill(run: _Run, today: date) -> dict[str, Any]:
    """Cost Explorer, the last full month, Amazon RDS only, by usage type (the itemised bill)."""
    first = today.replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    answer = run.call("ce", "GetCostAndUsage", region="us-east-1",
                      TimePeriod={"Start": start.isoformat(), "End": first.isoformat()},
                      Granularity="MONTHLY", Metrics=["UnblendedCost", "UsageQuantity"],
                      Filter={"Dimensions": {"Key": "SERVICE",
                                             "Values": ["Amazon Relational Database Service"]}},
                      GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
    items: list[dict[str, Any]] = []
    total = 0.0
    unit = None
    for period in answer.get("ResultsByTime", []):
        for group in period.get("Groups", []):
            cost = (group.get("Metrics") or {}).get("UnblendedCost") or {}
            usage = (group.get("Metrics") or {}).get("UsageQuantity") or {}
            amount = float(cost.get("Amount", 0) or 0)
            unit = cost.get("Unit") or unit
            total += amount
            items.append({"usage_type": (group.get("Keys") or [None])[0], "cost": _number(amount),
                          "usage": _number(float(usage.get("Amount", 0) or 0)), "usage_unit": usage.get("Unit")})
    items.sort(key=lambda i: -float(i["cost"]))
    return {"month": start.strftime("%Y-%m"), "service": "Amazon RDS", "currency": unit or "USD",
            "total": _number(total), "items": items}


def collect_cloud(options: CloudOptions, host: str | None = None, *, now: datetime | None = None,
                  clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """The cloud.json document. Never raises for an AWS problem: each is a skip in ``skipped``."""
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    endpoint = parse_endpoint(host)
    region = options.region or (endpoint.region if endpoint else None)
    document: dict[str, Any] = {"format_version": FORMAT_VERSION, "provider": "aws", "region": region,
                                "endpoint": {"host": host, "kind": endpoint.kind, "name": endpoint.name}
                                if endpoint else None,
                                "instances": [], "cluster": None, "metrics": None, "parameter_group": None,
                                "bill": None, "skipped": []}
    now = now or datetime.now(UTC)
    try:
        session = boto3.session.Session(profile_name=options.profile) if options.profile else boto3.session.Session()
    except ProfileNotFound:
        document["skipped"].append({"part": "aws", "reason": f"AWS profile {options.profile!r} is not in "
                                    "~/.aws/config or credentials: check --aws-profile", "iam_action": None})
        return document
    except BotoCoreError as exc:  # a broken ~/.aws/config
        document["skipped"].append({"part": "aws", "reason": f"the AWS configuration could not be read "
                                    f"({type(exc).__name__}): check ~/.aws/config", "iam_action": None})
        return document
    region = region or session.region_name
    document["region"] = region
    if not region:
        document["skipped"].append({"part": "aws", "reason": "no AWS region: give --aws-region (or use the RDS "
                                    "endpoint as --host)", "iam_action": None})
        return document
    run = _Run(session, region, clock() + options.budget, clock)
    try:
        instances, cluster = _instances(run, options, endpoint)
        document["instances"] = instances
        document["cluster"] = cluster or None
        _class_sizes(run, instances)
        if instances:  # the writer's metrics and settings (a replica's endpoint lists its source too)
            target = next((i for i in instances if i.get("role") in ("primary", "writer")), instances[0])
            aurora = str(target.get("engine") or "").startswith("aurora")
            document["metrics"] = run.part("metrics", lambda: {
                **_metrics(run, str(target["id"]), aurora, now), "role": target.get("role")})
            document["parameter_group"] = run.part("parameter group", lambda: _parameter_group(run, target))
        document["bill"] = run.part("bill", lambda: _bill(run, now.date()))
    except _PartSkipped as exc:
        run.skipped.append({"part": "instances", "reason": exc.reason, "iam_action": exc.iam_action})
    except _Fatal as exc:
        run.skipped.append({"part": "aws", "reason": exc.reason, "iam_action": exc.iam_action})
    document["skipped"] = run.skipped
    return document


def check_access(options: CloudOptions, host: str | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> list[dict[str, Any]]:
    """The wizard's *Test access*: one small call per part of the cloud part, each said readable or not.

    Each item is ``{"part", "iam_action", "ok", "reason"}``: ``ok`` False names the IAM action that is missing
    (or why the part cannot be read: not found, throttled). No credentials, a bad token, an unreachable
    endpoint or a missing region end the check with one item saying so (``iam_action`` None). The same
    session, retries, budget and error classification as :func:`collect_cloud`; Describe/Get calls only
    (Cost Explorer charges USD 0.01 per request: the check makes one). Never raises for an AWS problem."""
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    found: list[dict[str, Any]] = []

    def item(part: str, action: str | None, ok: bool, reason: str = "") -> None:
        found.append({"part": part, "iam_action": action, "ok": ok, "reason": reason})

    endpoint = parse_endpoint(host)
    try:
        session = boto3.session.Session(profile_name=options.profile) if options.profile else boto3.session.Session()
    except ProfileNotFound:
        item("aws", None, False, f"AWS profile {options.profile!r} is not in ~/.aws/config or credentials: "
             "choose another profile")
        return found
    except BotoCoreError as exc:
        item("aws", None, False, f"the AWS configuration could not be read ({type(exc).__name__}): "
             "check ~/.aws/config")
        return found
    region = options.region or (endpoint.region if endpoint else None) or session.region_name
    if not region:
        item("aws", None, False, "no AWS region: give the region")
        return found
    run = _Run(session, region, clock() + options.budget, clock)

    def probe(part: str, service: str, operation: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        """``call``: the one run.call (its service and operation spelt out, as everywhere in this module)."""
        action = CALLS[(service, operation)]
        try:
            answer = call()
        except _PartSkipped as exc:
            item(part, exc.iam_action or action, False, exc.reason)
            return None
        item(part, action, True)
        return answer

    try:
        instance_id, cluster_id = options.db_instance, options.db_cluster
        if not instance_id and not cluster_id and endpoint is not None:
            if endpoint.kind == "instance":
                instance_id = endpoint.name
            elif endpoint.kind == "cluster-custom":
                answer = probe(f"custom endpoint {endpoint.name}", "rds", "DescribeDBClusterEndpoints",
                               lambda: run.call("rds", "DescribeDBClusterEndpoints", Filters=[
                                   {"Name": "db-cluster-endpoint-custom-type", "Values": ["ANY", "READER"]}]))
                for entry in (answer or {}).get("DBClusterEndpoints", []):
                    if entry.get("DBClusterEndpointIdentifier") == endpoint.name:
                        cluster_id = entry.get("DBClusterIdentifier")
            else:
                cluster_id = endpoint.name
        if cluster_id:
            named = cluster_id
            answer = probe(f"cluster {named}", "rds", "DescribeDBClusters",
                           lambda: run.call("rds", "DescribeDBClusters", DBClusterIdentifier=named))
            members = ((answer or {}).get("DBClusters") or [{}])[0].get("DBClusterMembers", [])
            writers = [m.get("DBInstanceIdentifier") for m in members if m.get("IsClusterWriter")]
            instance_id = instance_id or (writers[0] if writers else None)
        db_class = None
        if instance_id:
            target = instance_id
            answer = probe(f"instance {target}", "rds", "DescribeDBInstances",
                           lambda: run.call("rds", "DescribeDBInstances", DBInstanceIdentifier=target))
            db_class = ((answer or {}).get("DBInstances") or [{}])[0].get("DBInstanceClass")
            groups = [g.get("DBParameterGroupName") for g in ((answer or {}).get("DBInstances") or [{}])[0].get(
                "DBParameterGroups", []) if g.get("DBParameterGroupName")]
            if groups:  # the binary log settings the cloud part reads from it
                probe("DB parameter group", "rds", "DescribeDBParameters",
                      lambda: run.call("rds", "DescribeDBParameters", DBParameterGroupName=groups[0], MaxRecords=20))
        elif not cluster_id:  # nothing named: can the account list instances at all?
            probe("DB instances", "rds", "DescribeDBInstances",
                  lambda: run.call("rds", "DescribeDBInstances", MaxRecords=20))
        ec2_type = str(db_class).removeprefix("db.") if db_class and db_class != "db.serverless" else None
        sizes: dict[str, Any] = {"InstanceTypes": [ec2_type]} if ec2_type else {"MaxResults": 5}
        probe("vCPU and memory of the class", "ec2", "DescribeInstanceTypes",
              lambda: run.call("ec2", "DescribeInstanceTypes", **sizes))
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        query = {"Id": "cpu", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": "AWS/RDS", "MetricName": "CPUUtilization",
                       "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": instance_id or "-"}]},
            "Period": PERIOD_SECONDS, "Stat": "Average"}}
        probe("CloudWatch metrics", "cloudwatch", "GetMetricData",
              lambda: run.call("cloudwatch", "GetMetricData", StartTime=end - timedelta(hours=1), EndTime=end,
                               MetricDataQueries=[query]))
        first = end.date().replace(day=1)
        start = (first - timedelta(days=1)).replace(day=1)
        probe("last month's RDS bill (Cost Explorer)", "ce", "GetCostAndUsage",
              lambda: run.call("ce", "GetCostAndUsage", region="us-east-1",
                               TimePeriod={"Start": start.isoformat(), "End": first.isoformat()},
                               Granularity="MONTHLY", Metrics=["UnblendedCost"],
                               Filter={"Dimensions": {"Key": "SERVICE",
                                                      "Values": ["Amazon Relational Database Service"]}}))
    except _Fatal as exc:
        item("aws", exc.iam_action, False, exc.reason)
    return found


def document_text(document: Mapping[str, Any]) -> str:
    """cloud.json's text: the CLI's and the wizard's archives hold the same bytes for the same document."""
    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"
