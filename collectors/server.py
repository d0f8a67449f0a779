"""Server identity, global variables, global status (sampled twice) and the database list."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.base import Collector, Context, Skip
from collectors.connection import parse_version
from collectors.numbers import as_int as _int  # the one integer parser (collectors.numbers)
from collectors.redact import REDACTED, has_url_password, is_secret_key


def _on(value: str | None) -> bool:
    return (value or "").strip().upper() in ("ON", "1", "YES", "TRUE")


def _wsrep_active(variables: dict[str, str]) -> bool:
    provider = (variables.get("wsrep_provider") or "").strip().lower()
    return _on(variables.get("wsrep_on")) and provider not in ("", "none")


def identify_flavor(version: str, comment: str, variables: dict[str, str]) -> tuple[str, list[str]]:
    """The server flavor (whose server it is) and what made us say so.

    mysql | mariadb | percona | percona-xtradb-cluster | aurora | tidb | vitess (vtgate: -Vitess in the
    version). Clustering is a separate fact (identify_clustering): a MySQL-wsrep node is mysql, a MariaDB
    Galera node mariadb. A mysqld behind a Vitess tablet (a ``_vt`` schema) keeps its own flavor; its
    platform says vitess.
    """
    low = f"{version} {comment}".lower()
    if "tidb" in low:
        return "tidb", [f"version = {version}"]
    if "vitess" in low:
        return "vitess", [f"version = {version}" if "vitess" in version.lower() else f"version_comment = {comment}"]
    if "mariadb" in low:
        return "mariadb", [f"version = {version}"]
    if variables.get("aurora_version"):
        return "aurora", [f"aurora_version = {variables['aurora_version']}"]
    if "percona xtradb cluster" in low or "pxc_strict_mode" in variables:
        evidence = [f"version_comment = {comment}"] if "percona xtradb cluster" in low else []
        if "pxc_strict_mode" in variables:
            evidence.append(f"pxc_strict_mode = {variables['pxc_strict_mode']}")
        return "percona-xtradb-cluster", evidence
    if "percona" in low:
        return "percona", [f"version_comment = {comment}"]
    return "mysql", [f"version_comment = {comment}" if comment else f"version = {version}"]


def identify_clustering(variables: dict[str, str]) -> tuple[str | None, list[str]]:
    """galera (wsrep on with a provider), group_replication (a group name set) or None, with the evidence."""
    if _wsrep_active(variables):
        return "galera", [f"wsrep_on = {variables.get('wsrep_on')}", "wsrep_provider set"]
    group = (variables.get("group_replication_group_name") or "").strip()
    if group:
        return "group_replication", [f"group_replication_group_name = {group}"]
    return None, []


_AZURE_VARIABLES = ("aad_auth_only", "aad_auth_validate_oids_in_tenant", "aad_auth", "azure_server_name")
# DigitalOcean Managed MySQL answers like any MySQL 8; these are its defaults, not proof
_DO_PORT = 25060


def detect_platform(version: str, variables: dict[str, str], databases: list[str] | None = None,
                    comment: str = "") -> tuple[str, list[str]]:
    """The hosting platform from SQL alone, with the evidence. Unknown -> self-managed.

    ``databases`` (SHOW DATABASES) lets the heuristics that need the schema list speak
    (DigitalOcean's ``defaultdb``, Vitess's ``_vt``); without it they stay silent.
    """
    basedir = variables.get("basedir", "")
    datadir = variables.get("datadir", "")
    low = f"{version} {comment}".lower()
    if variables.get("aurora_version"):
        return "aurora", [f"aurora_version = {variables['aurora_version']}"]
    rds = [f"basedir = {basedir}"] if basedir.startswith("/rdsdbbin/") else []
    rds += [f"datadir = {datadir}"] if datadir.startswith("/rdsdbdata/") else []
    if rds:
        return "rds", rds
    google = [f"version = {version}"] if "-google" in version.lower() else []
    google += [f"variable {k} present" for k in sorted(variables) if k.startswith("cloudsql_")][:3]
    if google:
        return "cloudsql", google
    azure = sorted(k for k in variables if k in _AZURE_VARIABLES or k.startswith("azure_"))
    if azure:
        return "azure", [f"variable {k} present" for k in azure]
    if "vitess" in low or (databases is not None and "_vt" in databases):
        evidence = [f"version = {version}"] if "vitess" in version.lower() else []
        evidence += ["schema _vt exists"] if databases is not None and "_vt" in databases else []
        return "vitess", evidence or [f"version_comment = {comment}"]
    if "tidb" in low and "serverless" in low:
        return "tidb-cloud", [f"version = {version}"]
    signals = []
    if str(variables.get("port", "")) == str(_DO_PORT):
        signals.append(f"heuristic: port = {_DO_PORT} (DigitalOcean's managed MySQL port)")
    if databases is not None and "defaultdb" in databases:
        signals.append("heuristic: database defaultdb exists (DigitalOcean's default database)")
    if _on(variables.get("sql_require_primary_key")) and signals:
        signals.append("heuristic: sql_require_primary_key = ON (DigitalOcean's default)")
    if len(signals) >= 2 and signals[0].startswith("heuristic: port"):
        return "digitalocean", signals
    return "self-managed", ["no hosting platform's variables found"]


def identify(version: str, comment: str, variables: dict[str, str], databases: list[str] | None = None,
             source_host: str | None = None) -> dict[str, Any]:
    """server.flavor / flavor_evidence / clustering / clustering_evidence / platform / platform_evidence from SQL.

    The connection host name only names the platform when SQL was silent (a PlanetScale or
    DigitalOcean endpoint), and says it is the host name.
    """
    flavor, flavor_evidence = identify_flavor(version, comment, variables)
    clustering, clustering_evidence = identify_clustering(variables)
    platform, evidence = detect_platform(version, variables, databases, comment)
    host = (source_host or "").lower().rstrip(".")
    if platform == "vitess" and host.endswith(".psdb.cloud"):
        platform, evidence = "planetscale", [*evidence, "connection host name ends with .psdb.cloud"]
    elif platform == "self-managed" and host.endswith(".db.ondigitalocean.com"):
        platform, evidence = "digitalocean", ["connection host name ends with .db.ondigitalocean.com"]
    return {"flavor": flavor, "flavor_evidence": flavor_evidence, "clustering": clustering,
            "clustering_evidence": clustering_evidence, "platform": platform, "platform_evidence": evidence}


# variables whose value is a list of account names (server_audit_incl_users, audit_log_exclude_accounts)
ACCOUNT_LIST_VARIABLE = re.compile(r"(incl|excl|include|exclude)_(users|accounts)$")


def redact_variables(variables: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Server variables that hold secrets (wsrep_sst_auth, a URL with a password) -> <redacted>."""
    redacted = []
    clean = {}
    for name, value in variables.items():
        # numbers and switches are settings (max_password_errors, *_encryption_key_id), not secrets
        setting = value.replace(".", "", 1).isdigit() or value.upper() in ("ON", "OFF", "YES", "NO")
        names_accounts = ACCOUNT_LIST_VARIABLE.search(name) is not None  # audit include/exclude lists
        if value and ((is_secret_key(name) and not setting) or has_url_password(value) or names_accounts):
            clean[name] = REDACTED
            redacted.append(name)
        else:
            clean[name] = value
    return clean, sorted(redacted)


def collect_variables(ctx: Context) -> None:
    variables, redacted = redact_variables(ctx.query("SHOW GLOBAL VARIABLES").pairs())
    ctx.facts["variables"] = dict(sorted(variables.items()))
    ctx.facts["variables_redacted"] = redacted
    identity = ctx.server
    source_host = (ctx.facts.get("source") or {}).get("host")
    found = identify(identity.version, identity.version_comment, variables, None, source_host)
    row = ctx.query("SELECT CURRENT_USER(), UTC_TIMESTAMP(), NOW()").rows[0]
    ctx.facts.setdefault("server", {}).update({
        "version": identity.version,
        "version_comment": identity.version_comment,
        "version_tuple": list(parse_version(identity.version)),
        "flavor": found["flavor"],
        "flavor_evidence": found["flavor_evidence"],
        "clustering": found["clustering"],
        "clustering_evidence": found["clustering_evidence"],
        "platform": found["platform"],
        "platform_evidence": found["platform_evidence"],
        "hostname": variables.get("hostname", ""),
        "port": _int(variables.get("port")),
        "datadir": variables.get("datadir", ""),
        "basedir": variables.get("basedir", ""),
        "compile_os": variables.get("version_compile_os", ""),
        "compile_machine": variables.get("version_compile_machine", ""),
        "current_user": str(row[0]),
        "utc_time": _iso(row[1]),
        "local_time": _iso(row[2]),
        "time_zone": variables.get("system_time_zone", ""),
    })


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    return str(value)


def collect_status_first(ctx: Context) -> None:
    first = ctx.query("SHOW GLOBAL STATUS").pairs()
    ctx.facts["status"] = {"first": first}
    ctx.shared.status_first_at = time.monotonic()
    ctx.shared.wait_until = ctx.shared.status_first_at + float(ctx.options.get("sleep", 10))
    uptime = _int(first.get("Uptime"))
    server = ctx.facts.setdefault("server", {})
    if uptime is not None:
        server["uptime_seconds"] = uptime
        started = datetime.now(UTC) - timedelta(seconds=uptime)
        server["started_at"] = started.isoformat(timespec="seconds").replace("+00:00", "Z")


def collect_status_second(ctx: Context) -> None:
    """The second sample, --sleep seconds after the first (it needs the status collector); other collectors ran
    in between."""
    status = ctx.facts.get("status")
    first_at = ctx.shared.status_first_at
    if not status or "first" not in status or first_at is None:
        raise Skip("the first status sample was not taken")
    wait = float(ctx.options.get("sleep", 10))
    remaining = first_at + wait - time.monotonic()
    if remaining > 0:
        ctx.log(f"waiting {remaining:.1f} s for the second status sample")
        ctx.cancel.sleep(remaining)
    status["second"] = ctx.query("SHOW GLOBAL STATUS").pairs()
    status["interval_seconds"] = round(time.monotonic() - first_at, 3)
    # the rates (facts' workload.qps_* and rows_*) are derived from the two samples by prechecks.derive


def collect_databases(ctx: Context) -> None:
    databases = [str(row[0]) for row in ctx.query("SHOW DATABASES").rows]
    ctx.facts["databases"] = databases
    # the schema list sharpens the flavor and platform read from the variables (Vitess's _vt,
    # DigitalOcean's defaultdb): refine them now that it is known
    server, variables = ctx.facts.get("server"), ctx.facts.get("variables")
    if isinstance(server, dict) and isinstance(variables, dict) and "flavor" in server:
        source_host = (ctx.facts.get("source") or {}).get("host")
        server.update(identify(str(server.get("version", "")), str(server.get("version_comment", "")),
                               variables, databases, source_host))


VARIABLES = Collector(
    name="variables",
    title="Server variables",
    reads=("SHOW GLOBAL VARIABLES", "SELECT CURRENT_USER(), UTC_TIMESTAMP(), NOW()"),
    writes=("variables", "variables_redacted", "server"),
    samples=("mysql-variables",),
    collect=collect_variables,
    expected_seconds=0.1,
)

STATUS = Collector(
    name="status",
    title="Status counters (first sample)",
    reads=("SHOW GLOBAL STATUS",),
    writes=("status.first",),
    samples=("mysql-status",),
    collect=collect_status_first,
    expected_seconds=0.1,
    needs_grants=False,
)

STATUS_SAMPLE = Collector(
    name="status_sample",
    title="Status counters (second sample, --sleep after the first)",
    reads=("SHOW GLOBAL STATUS",),
    writes=("status.second", "status.interval_seconds"),
    samples=("mysql-status-defer",),
    collect=collect_status_second,
    needs=("status",),
    budget_seconds=3600,
    expected_seconds=1.0,  # rescaled from --sleep by the registry
)

DATABASES = Collector(
    name="databases",
    title="Databases",
    reads=("SHOW DATABASES",),
    writes=("databases", "server.platform", "server.platform_evidence", "server.flavor"),
    samples=("mysql-databases",),
    collect=collect_databases,
    expected_seconds=0.05,
)
