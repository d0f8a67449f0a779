"""Prefill: rules that turn facts.json into questionnaire answers, with provenance and a confidence.

Each rule reads one question's facts and returns a :class:`~prechecks.questionnaire.Prefill` naming the
fact path it rests on (a dotted path into facts.json that exists in it), or None when the facts are not
there: nothing is guessed that was not measured. Confidence: ``measured`` (read from the server as is),
``estimate`` (derived with a stated rule of thumb) or ``heuristic`` (a hint, partial by nature).

A pure function of the facts, like the report: an old facts.json gives the same prefill.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from collectors.numbers import as_int, as_number
from prechecks.questionnaire import (
    NO,
    YES,
    Answer,
    Confidence,
    Prefill,
    Question,
    Questionnaire,
    Value,
    load_questionnaire,
    merge_answers,
    questionnaire_outputs,
)

GiB = 1024**3
MANAGED_PLATFORMS = ("rds", "aurora", "cloudsql", "azure", "digitalocean", "planetscale", "tidb-cloud")
SHARDING_NOTICE_BYTES = 250 * 10**9  # the readiness rule database_size uses the same threshold per schema
BUFFER_POOL_SHARE = 0.75  # the usual rule of thumb, and RDS/Aurora's default: 3/4 of the instance memory
SMALL_BUFFER_POOL = 1 * GiB
SHORT_UPTIME = 86400

Rule = Callable[[Mapping[str, Any]], Prefill | None]


_PATH_PART = re.compile(r'\.?(?:\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.\[\]]+))')


def _path_parts(path: str) -> list[str | int] | None:
    """``cloud.instances[0].class`` -> ["cloud", "instances", 0, "class"]; a key holding dots or slashes is
    quoted: ``cloud.metrics.series["cloudsql.googleapis.com/database/cpu/utilization"].p95``."""
    parts: list[str | int] = []
    at = 0
    while at < len(path):
        match = _PATH_PART.match(path, at)
        if match is None or match.end() == at:
            return None
        quoted, index, plain = match.groups()
        parts.append(int(index) if index is not None else (plain if plain is not None else
                                                             re.sub(r"\\(.)", r"\1", quoted)))
        at = match.end()
    return parts


def _walk(facts: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    node: Any = facts
    parts = _path_parts(path)
    if not parts:
        return False, None
    for part in parts:
        found = (isinstance(part, int) and isinstance(node, list) and part < len(node)) or (
            isinstance(part, str) and isinstance(node, Mapping) and part in node)
        if not found:
            return False, None
        node = node[part]
    return True, node


def fact(facts: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of facts.json (``status.second.Threads_running``, ``cloud.instances[0].class``),
    or None."""
    return _walk(facts, path)[1]


def fact_exists(facts: Mapping[str, Any], path: str) -> bool:
    return _walk(facts, path)[0]


def key_path(*parts: str | int) -> str:
    """The path of :func:`fact` for these keys and indexes (a key with a dot, slash or bracket is quoted)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[^.\[\]\"/]+", part):
            out += f".{part}" if out else part
        else:
            out += '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return out


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover - the loop always returns


def _status(facts: Mapping[str, Any], name: str) -> tuple[float | None, str]:
    """A status counter from the second sample (the first when there is no second), and its path."""
    for sample in ("second", "first"):
        path = f"status.{sample}.{name}"
        value = as_number(fact(facts, path))
        if value is not None:
            return value, path
    return None, ""


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes" if seconds >= 60 else f"{seconds:.0f} seconds"


# --------------------------------------------------------------------------------------------- rules

FLAVOR_NAMES = {"mysql": "MySQL", "mariadb": "MariaDB", "percona": "Percona Server for MySQL",
                "percona-xtradb-cluster": "Percona XtraDB Cluster", "galera": "MySQL/MariaDB with Galera",
                "aurora": "Aurora MySQL", "tidb": "TiDB", "vitess": "Vitess"}


def server_version(facts: Mapping[str, Any]) -> Prefill | None:
    version = fact(facts, "server.version")
    if not version:
        return None
    flavor = fact(facts, "server.flavor")
    comment = fact(facts, "server.version_comment")
    platform = fact(facts, "server.platform")
    value = f"{FLAVOR_NAMES.get(str(flavor), 'MySQL-compatible server')} {version}"
    if comment:
        value += f" ({comment})"
    note = ", ".join(x for x in (f"flavor {flavor}" if flavor else "", f"platform {platform}" if platform else "") if x)
    return Prefill(value, "server.version", "measured", note)


def hosting(facts: Mapping[str, Any]) -> Prefill | None:
    platform = fact(facts, "server.platform")
    if not platform:
        return None
    evidence = fact(facts, "server.platform_evidence") or []
    heuristic = platform == "self-managed" or any(str(e).startswith("heuristic:") for e in evidence)
    note = "; ".join(str(e) for e in evidence[:3])
    if platform == "self-managed":
        note = (note + "; " if note else "") + "no managed platform recognised: check if it is a managed service"
    return Prefill(str(platform), "server.platform", "heuristic" if heuristic else "measured", note)


def instance_count(facts: Mapping[str, Any]) -> Prefill | None:
    role = fact(facts, "replication.role")
    replicas = fact(facts, "replication.replica_count")
    sources = fact(facts, "replication.sources") or []
    path = "replication.replica_count"
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        threads = fact(facts, "replication.binlog_dump_threads")
        if not isinstance(threads, int) or isinstance(threads, bool) or role is None:
            return None
        replicas, path = threads, "replication.binlog_dump_threads"
    count = 1 + replicas + (len(sources) if isinstance(sources, list) else 0)
    seen = f"this server and the {replicas} replica(s) connected to it"
    if sources:
        seen += f", plus its {len(sources)} source(s)"
        return Prefill(count, path, "estimate",
                       f"{seen}; other replicas of the same source and other applications' databases are not "
                       "visible from here")
    return Prefill(count, path, "measured", f"{seen}; other applications' databases are not visible from here")


def roles(facts: Mapping[str, Any]) -> Prefill | None:
    role = fact(facts, "replication.role")
    if not role:
        return None
    replicas = fact(facts, "replication.replica_count")
    sources = fact(facts, "replication.sources") or []
    parts: list[str] = []
    if role == "standalone":
        parts.append("this server is standalone: it replicates from no source and no replica is connected")
    else:
        parts.append(f"this server is a {role}")
    if sources:
        where = ", ".join(f"{s.get('source_host')}:{s.get('source_port')}" for s in sources[:5] if isinstance(s, dict))
        parts.append(f"replicating from {where}")
    if isinstance(replicas, int) and replicas:
        parts.append(f"{replicas} replica(s) read from it")
    return Prefill("; ".join(parts), "replication.role", "measured",
                   "what this server sees; analytics replicas and other applications' databases are for you to add")


def instance_size(facts: Mapping[str, Any]) -> Prefill | None:
    pool = as_number(fact(facts, "variables.innodb_buffer_pool_size"))
    if not pool:
        return None
    platform = fact(facts, "server.platform")
    value = f"InnoDB buffer pool {human_bytes(pool)}"
    if pool < SMALL_BUFFER_POOL:
        return Prefill(value + " (a small setting that says little about the machine's memory)",
                       "variables.innodb_buffer_pool_size", "measured",
                       "vCPUs and memory are not visible from SQL")
    memory = pool / BUFFER_POOL_SHARE
    if platform in ("rds", "aurora"):
        value += (f"; the instance class is not visible from SQL, but the default parameter group sizes the pool at "
                  f"3/4 of the instance memory: about {human_bytes(memory)} of memory (estimate)")
    else:
        value += (f"; if the pool is about 3/4 of the memory, as usual, the machine has about {human_bytes(memory)} "
                  "(estimate)")
    return Prefill(value, "variables.innodb_buffer_pool_size", "estimate",
                   "memory estimated from the buffer pool; vCPUs are not visible from SQL")


def disk(facts: Mapping[str, Any]) -> Prefill | None:
    schemas = fact(facts, "schemas")
    binlog_bytes = as_number(fact(facts, "binlog.total_bytes"))
    if not isinstance(schemas, list):
        if binlog_bytes is None:
            return None
        return Prefill(f"binary logs {human_bytes(binlog_bytes)}; data size not collected", "binlog.total_bytes",
                       "measured", "allocated disk and IOPS are not visible from SQL")
    data = sum(as_number(s.get("data_bytes")) or 0 for s in schemas if isinstance(s, dict))
    index = sum(as_number(s.get("index_bytes")) or 0 for s in schemas if isinstance(s, dict))
    tables = sum(as_int(s.get("tables"), 0) for s in schemas if isinstance(s, dict))
    value = (f"used: data {human_bytes(data)} + indexes {human_bytes(index)} = {human_bytes(data + index)} "
             f"in {len(schemas)} schema(s), {tables} table(s)")
    if binlog_bytes is not None:
        value += f"; binary logs {human_bytes(binlog_bytes)}"
    return Prefill(value, "schemas", "measured",
                   "sizes from information_schema (InnoDB's are approximate); allocated disk and IOPS are not "
                   "visible from SQL")


_REGION_PATTERNS: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    # (host name pattern with a "region" group, what it is, the platforms it confirms)
    (re.compile(r"\.(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d)\.rds\.amazonaws\.com(?:\.cn)?$"), "Amazon RDS endpoint",
     ("rds", "aurora")),
    (re.compile(r"\.(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d)\.compute\.(?:amazonaws\.com|internal)$"),
     "Amazon EC2 host name", ()),
    (re.compile(r"^ip-[\d-]+\.(?P<region>[a-z]{2}-[a-z]+-\d)\.compute\.internal$"), "Amazon EC2 host name", ()),
    (re.compile(r"\.(?P<region>[a-z]+\d*)\.cloudapp\.azure\.com$"), "Azure host name", ("azure",)),
    (re.compile(r"\.(?P<region>[a-z]+(?:-[a-z]+)*\d)\.sql\.goog\.?$"), "Cloud SQL DNS name", ("cloudsql",)),
    (re.compile(r"^db-[a-z]+-(?P<region>[a-z]{3}\d)-.*\.db\.ondigitalocean\.com$"), "DigitalOcean endpoint",
     ("digitalocean",)),
)


def region_from_host(host: str) -> tuple[str, str, tuple[str, ...]] | None:
    """(region, what kind of name encoded it, platforms it confirms) from a host name, or None."""
    name = host.strip().lower()
    for pattern, kind, platforms in _REGION_PATTERNS:
        match = pattern.search(name)
        if match:
            return match.group("region"), kind, platforms
    return None


def regions(facts: Mapping[str, Any]) -> Prefill | None:
    platform = fact(facts, "server.platform")
    for path in ("source.host", "server.hostname"):
        host = fact(facts, path)
        if not isinstance(host, str) or not host:
            continue
        found = region_from_host(host)
        if found is None:
            continue
        region, kind, platforms = found
        confidence: Confidence = "measured" if platform in platforms else "heuristic"
        return Prefill(region, path, confidence,
                       f"from the {kind} this tool connected through; replicas elsewhere are not visible"
                       if path == "source.host" else f"from the server's {kind}")
    return None


# what a migration table says about the stack
STACK_HINTS = {"rails": "Ruby on Rails", "rails or dbmate": "Ruby on Rails or dbmate", "django": "Django (Python)",
               "alembic": "SQLAlchemy/Alembic (Python)", "flyway": "Flyway (JVM)", "liquibase": "Liquibase (JVM)",
               "laravel": "Laravel (PHP)", "doctrine": "Doctrine (PHP)", "yii": "Yii (PHP)", "phinx": "Phinx (PHP)",
               "knex": "Knex (Node.js)", "sequelize": "Sequelize (Node.js)", "typeorm": "TypeORM (Node.js)",
               "prisma": "Prisma (Node.js)", "mikro-orm": "MikroORM (Node.js)", "drizzle": "Drizzle (Node.js)",
               "entity-framework": "Entity Framework (.NET)", "goose": "goose (Go)", "sql-migrate": "sql-migrate (Go)",
               "diesel": "Diesel (Rust)", "sqlx": "SQLx (Rust)", "play-evolutions": "Play (Scala/Java)",
               "sqlalchemy-migrate": "sqlalchemy-migrate (Python)", "atlas": "Atlas"}
NOT_SET = "(not set)"  # collectors.workload's name for a session without the attribute
ONLINE_SCHEMA_TOOLS = ("gh-ost", "spirit", "pt-online-schema-change", "vitess", "fb-osc", "lhm")


def _counts(mapping: Any, limit: int = 8) -> str:
    if not isinstance(mapping, Mapping):
        return ""
    items = sorted(((str(k), v) for k, v in mapping.items() if k != NOT_SET),
                   key=lambda kv: (-int(kv[1] or 0), kv[0]))
    return ", ".join(f"{k} ({v})" for k, v in items[:limit])


def stack(facts: Mapping[str, Any]) -> Prefill | None:
    clients = fact(facts, "workload.clients")
    tools = sorted({str(t.get("tool")) for t in fact(facts, "workload.migration_tables") or []
                    if isinstance(t, dict) and t.get("tool")})
    frameworks = [STACK_HINTS[t] for t in tools if t in STACK_HINTS]
    parts: list[str] = []
    drivers = _counts(clients.get("drivers")) if isinstance(clients, Mapping) else ""
    programs = _counts(clients.get("programs")) if isinstance(clients, Mapping) else ""
    if drivers or programs:
        if drivers:
            parts.append(f"drivers seen: {drivers}")
        if programs:
            parts.append(f"client programs: {programs}")
        if frameworks:
            parts.append(f"migration tables suggest {', '.join(frameworks)}")
        return Prefill("; ".join(parts), "workload.clients", "measured",
                       "sessions connected during the run (connection attributes), counts in brackets; "
                       "caches and poolers are not visible")
    if frameworks:
        return Prefill(f"migration tables suggest {', '.join(frameworks)}", "workload.migration_tables", "heuristic",
                       "from the names of schema-migration tables; no client sessions were seen")
    return None


def database_count(facts: Mapping[str, Any]) -> Prefill | None:
    schemas = fact(facts, "schemas")
    if not isinstance(schemas, list):
        return None
    note = ("the user schemas of this server (information_schema, mysql, performance_schema and sys not counted); "
            "each is imported into PlanetScale on its own; other instances' schemas are for you to add")
    failed = fact(facts, "inventory.failed_schemas")
    if isinstance(failed, list) and failed:
        note += f"; {len(failed)} of them could not be read in full (the report's Inventory says why)"
    return Prefill(len(schemas), "schemas", "measured", note)


def data_growth(facts: Mapping[str, Any]) -> Prefill | None:
    """The binary logs' size over their retention: the volume of changes a day, an upper bound on growth.

    Only when the logs can span the whole retention (the server has run at least that long): a younger
    server's logs cover an unknown span, and a rate from them would be a guess.
    """
    if fact(facts, "binlog.enabled") is not True:
        return None
    total = as_number(fact(facts, "binlog.total_bytes"))
    retention = as_number(fact(facts, "binlog.expire_seconds"))
    uptime = as_number(fact(facts, "server.uptime_seconds"))
    if total is None or not retention or retention <= 0 or uptime is None or uptime < retention:
        return None
    per_day = total / retention * 86400
    value = (f"binary logs: {human_bytes(total)} kept over {_duration(retention)} (their retention), about "
             f"{human_bytes(per_day)} of changes a day, {human_bytes(per_day * 30)} a month: an upper bound on "
             "growth, please add the real figure")
    return Prefill(value, "binlog.total_bytes", "heuristic",
                   "updates and deletes are written to the binary log too (in ROW format with whole rows), so the "
                   "data grows by less than this; compare today's size (architecture.disk) with last month's")


# Tools that show themselves on the server: (question, tool, pattern on a lower-cased client program name
# (program_name connection attribute), driver name (_client_name) or connected account name). First match wins
# per name and question. The account names only ever pick a tool: they are not written anywhere.
TOOL_SIGNS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (qid, tool, re.compile(pattern)) for qid, tool, pattern in (
        ("tooling.monitoring", "PMM (Percona Monitoring and Management)", r"pmm"),
        ("tooling.monitoring", "Prometheus mysqld_exporter", r"mysqld[-_]?exporter|^exporter$|prometheus"),
        ("tooling.monitoring", "pt-heartbeat", r"pt[-_]heartbeat"),
        ("tooling.monitoring", "Datadog", r"datadog"),
        ("tooling.monitoring", "New Relic", r"new[-_]?relic"),
        ("tooling.monitoring", "Zabbix", r"zabbix"),
        ("tooling.monitoring", "Nagios or Icinga", r"nagios|icinga"),
        ("tooling.monitoring", "Telegraf", r"telegraf"),
        ("tooling.monitoring", "SolarWinds DPM (VividCortex)", r"vividcortex|solarwinds"),
        ("tooling.backup", "Percona XtraBackup", r"xtrabackup|bkpuser"),
        ("tooling.backup", "MariaDB Backup", r"mariabackup|mariadb[-_]backup"),
        ("tooling.backup", "MySQL Enterprise Backup", r"mysqlbackup"),
        ("tooling.backup", "mydumper", r"mydumper|myloader"),
        ("tooling.backup", "mysqldump", r"mysqldump|mariadb[-_]dump"),
        ("tooling.backup", "a backup job", r"backup"),
        ("tooling.proxy", "ProxySQL", r"proxysql|^monitor$"),
        ("tooling.proxy", "MariaDB MaxScale", r"maxscale"),
        ("tooling.proxy", "HAProxy", r"haproxy"),
        ("tooling.failover", "orchestrator", r"orchestrator"),
        ("tooling.failover", "MHA (Master High Availability)", r"(?<![a-z])mha(?![a-z])|masterha"),
        ("tooling.failover", "MariaDB MaxScale (its monitor can fail over automatically)", r"maxscale"),
        ("tooling.failover", "replication-manager", r"replication[-_]manager|repman"),
    )
)
HEARTBEAT_TABLE = "heartbeat"  # pt-heartbeat's default table name
MANAGED_FAILOVER = {"rds": "Amazon RDS (Multi-AZ)", "aurora": "Aurora (its replicas)",
                    "cloudsql": "Cloud SQL (high availability)", "azure": "Azure Database (zone-redundant HA)",
                    "digitalocean": "DigitalOcean (standby nodes)"}


def _names(facts: Mapping[str, Any]) -> list[tuple[str, str, str, int]]:
    """(name, what kind of name, fact path, sessions) of every client program, driver and connected account."""
    out: list[tuple[str, str, str, int]] = []
    clients = fact(facts, "workload.clients")
    if isinstance(clients, Mapping):
        for key, kind in (("programs", "client program"), ("drivers", "driver")):
            named = clients.get(key)
            if isinstance(named, Mapping):
                out += [(str(n), kind, "workload.clients", as_int(c, 0)) for n, c in named.items() if n != NOT_SET]
    users = fact(facts, "processlist.groups.user")
    if isinstance(users, list):
        out += [(str(u.get("value") or ""), "account", "processlist.groups.user", as_int(u.get("count"), 0))
                for u in users if isinstance(u, Mapping)]
    return out


def _tooling(facts: Mapping[str, Any], qid: str) -> Prefill | None:
    seen: dict[str, list[str]] = {}  # tool -> what showed it
    paths: list[str] = []
    heuristic = False
    for name, kind, path, sessions in _names(facts):
        low = name.lower()
        for question, tool, pattern in TOOL_SIGNS:
            match = pattern.search(low) if question == qid else None
            if match is None:
                continue
            if kind == "account":  # the account's name stays here: only the part that names the tool is said
                fragment = match.group(0)
                what = (f"a connected account named like '{fragment}'" if fragment != low
                        else "a connected account with the name this tool usually has") + f" ({sessions} session(s))"
                heuristic = True
            else:
                what = f"{kind} {name} ({sessions} session(s))"
            seen.setdefault(tool, []).append(what)
            paths.append(path)
            break
    readers = fact(facts, "workload.binlog_clients")
    if qid == "tooling.backup" and isinstance(readers, list):
        streams = sum(as_int(r.get("count"), 1) for r in readers
                      if isinstance(r, Mapping) and r.get("tool") == "mysqlbinlog")
        if streams:
            seen.setdefault("binary logs streamed with mysqlbinlog (a binlog backup)", []).append(
                f"{streams} binlog reader(s) named mysqlbinlog")
            paths.append("workload.binlog_clients")
    if qid == "tooling.monitoring" and "pt-heartbeat" not in seen:
        tables = fact(facts, "tables")
        count = sum(1 for t in tables or [] if isinstance(t, Mapping) and str(t.get("name")).lower() == HEARTBEAT_TABLE)
        if count:
            seen["pt-heartbeat (probably)"] = [f"{count} table(s) with pt-heartbeat's default name"]
            paths.append("tables")
            heuristic = True
    if qid == "tooling.failover":
        wsrep = str(fact(facts, "variables.wsrep_on") or "").upper()
        if wsrep in ("ON", "1"):
            seen["a Galera cluster (every node takes writes; clients move to another node)"] = ["wsrep_on = ON"]
            paths.append("variables.wsrep_on")
        group = fact(facts, "variables.group_replication_group_name")
        if isinstance(group, str) and group.strip():
            seen["MySQL Group Replication"] = ["group_replication_group_name is set"]
            paths.append("variables.group_replication_group_name")
        platform = fact(facts, "server.platform")
        if platform in MANAGED_FAILOVER:
            seen[f"the platform's own failover: {MANAGED_FAILOVER[str(platform)]}, if it is on"] = [
                f"platform {platform}; whether it is on is not visible from SQL"]
            paths.append("server.platform")
            heuristic = True
    if not seen:
        return None
    value = "seen on the server: " + "; ".join(f"{tool} — {', '.join(what)}" for tool, what in seen.items())
    return Prefill(value, paths[0], "heuristic" if heuristic else "measured",
                   "from the sessions connected during the run (connection attributes, processlist accounts) and the "
                   "server's settings; tools not connected at the time, and agents that only read the host, are not "
                   "visible: please complete")


def monitoring(facts: Mapping[str, Any]) -> Prefill | None:
    return _tooling(facts, "tooling.monitoring")


def backup(facts: Mapping[str, Any]) -> Prefill | None:
    return _tooling(facts, "tooling.backup")


def proxy(facts: Mapping[str, Any]) -> Prefill | None:
    return _tooling(facts, "tooling.proxy")


def failover(facts: Mapping[str, Any]) -> Prefill | None:
    return _tooling(facts, "tooling.failover")


def downstream(facts: Mapping[str, Any]) -> Prefill | None:
    readers = fact(facts, "workload.binlog_clients")
    if not isinstance(readers, list):
        return None
    if not readers:
        return Prefill("no binlog reader (replica or CDC tool) was connected during the run",
                       "workload.binlog_clients", "measured",
                       "ETL jobs that read with queries, and CDC tools not connected at the time, are not visible")
    parts = []
    for r in readers[:10]:
        if not isinstance(r, dict):
            continue
        what = r.get("tool") or r.get("kind") or "unknown"
        kind = f" {r.get('kind')}" if r.get("tool") and r.get("kind") else ""
        parts.append(f"{what}{kind} from {r.get('host') or 'unknown host'} ({r.get('count', 1)})")
    return Prefill("binlog readers connected: " + "; ".join(parts), "workload.binlog_clients", "measured",
                   "ETL jobs that read with queries are not visible")


HISTORY_SOURCES = {"prometheus": "Prometheus", "watch": "watching the server", "cloudwatch": "CloudWatch",
                   "cloud-monitoring": "Cloud Monitoring", "azure-monitor": "Azure Monitor"}


def _cloud_first(facts: Mapping[str, Any]) -> bool:
    """The history is the cloud document's own metric points (collectors/cloudhistory.py): the same figures, which
    the cloud's series name by metric and instance, so those answer first."""
    from prechecks.sizing import CLOUD_HISTORIES

    return fact(facts, "history.source") in CLOUD_HISTORIES and fact_exists(facts, "cloud")


def _order(facts: Mapping[str, Any], history: list[str], cloud: list[str]) -> list[tuple[str, list[str]]]:
    both = [("history", history), ("cloud", cloud)]
    return both[::-1] if _cloud_first(facts) else both


def history_caption(facts: Mapping[str, Any]) -> str | None:
    """"14 days from Prometheus (2026-11-22 to 2026-12-06 UTC, every 15 min)": where facts["history"] comes from."""
    window = fact(facts, "history.window")
    if not isinstance(window, Mapping):
        return None
    from datetime import datetime

    try:
        start = datetime.fromisoformat(str(window.get("start")).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(window.get("end")).replace("Z", "+00:00"))
    except ValueError:
        return None
    source = str(fact(facts, "history.source") or "history")
    days = (end - start).total_seconds() / 86400
    span = f"{days:.0f} days" if days >= 1.95 else _duration((end - start).total_seconds())
    step = as_number(window.get("step_seconds"))
    every = f", every {_duration(step)}" if step else ""
    return (f"{span} from {HISTORY_SOURCES.get(source, source)} ({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} "
            f"UTC{every})")


def qps_average(facts: Mapping[str, Any]) -> Prefill | None:
    history = as_number(fact(facts, "history.series.queries_per_second.avg"))
    caption = history_caption(facts)
    if history is not None and caption:
        resets, gaps = as_int(fact(facts, "history.resets")) or 0, fact(facts, "history.gaps") or []
        left_out = (f"; {len(gaps)} gap(s) and {resets} restart(s) left out of the rate" if gaps or resets else "")
        from prechecks.sizing import CLOUD_HISTORIES

        rate = ("the provider's query rate (hourly averages)" if fact(facts, "history.source") in CLOUD_HISTORIES
                else "Questions per second")
        return Prefill(round(history, 1), "history.series.queries_per_second.avg", "measured",
                       f"{caption}: the average of {rate}{left_out}")
    qps = as_number(fact(facts, "workload.qps_average_since_start"))
    if qps is None:
        return None
    uptime = as_number(fact(facts, "workload.uptime_seconds")) or as_number(fact(facts, "server.uptime_seconds"))
    note = "Questions since the server started"
    if uptime:
        note += f" {_duration(uptime)} ago"
        if uptime < SHORT_UPTIME:
            note += " (less than a day: it may miss the daily cycle)"
    return Prefill(round(qps, 1), "workload.qps_average_since_start", "measured", note)


def qps_peak(facts: Mapping[str, Any]) -> Prefill | None:
    sampled = as_number(fact(facts, "workload.qps_sampled"))
    if sampled is None:
        return None
    average = as_number(fact(facts, "workload.qps_average_since_start"))
    interval = as_number(fact(facts, "workload.sampled_interval_seconds")) or as_number(
        fact(facts, "status.interval_seconds"))
    over = f" over {interval:.0f} s" if interval else ""
    if average is not None and average > sampled:
        return Prefill(round(average, 1), "workload.qps_average_since_start", "heuristic",
                       f"a lower bound: the average since start, above the {sampled:.1f} queries/s sampled{over} "
                       "during the run; the real peak is higher")
    return Prefill(round(sampled, 1), "workload.qps_sampled", "heuristic",
                   f"a lower bound: the rate sampled{over} during the run; the real peak is likely higher")


def cpu(facts: Mapping[str, Any]) -> Prefill | None:
    running, path = _status(facts, "Threads_running")
    if running is None:
        return None
    parts = [f"Threads_running {running:.0f} during the run (statements executing at once, this tool's included)"]
    connected, _ = _status(facts, "Threads_connected")
    max_conn = as_number(fact(facts, "variables.max_connections"))
    max_used, _ = _status(facts, "Max_used_connections")
    if connected is not None:
        parts.append(f"{connected:.0f} connection(s)" + (f" of max_connections {max_conn:.0f}" if max_conn else ""))
    if max_used is not None:
        parts.append(f"at most {max_used:.0f} at once since start (Max_used_connections)")
    return Prefill("; ".join(parts), path, "heuristic", "CPU use itself is not visible from SQL: add it from "
                   "your monitoring")


def memory(facts: Mapping[str, Any]) -> Prefill | None:
    data, path = _status(facts, "Innodb_buffer_pool_pages_data")
    total, _ = _status(facts, "Innodb_buffer_pool_pages_total")
    if data is None or not total:
        return None
    free, _ = _status(facts, "Innodb_buffer_pool_pages_free")
    value = f"InnoDB buffer pool: {data:.0f} of {total:.0f} pages hold data ({100 * data / total:.0f}%)"
    if free is not None:
        value += f", {free:.0f} free"
    hit = as_number(fact(facts, "innodb_status.buffer_pool_hit_rate"))
    if hit is not None:
        value += f"; hit rate {100 * hit:.1f}% at the time"
    return Prefill(value, path, "measured", "the memory use of the machine is not visible from SQL")


def io(facts: Mapping[str, Any]) -> Prefill | None:
    writes_path = "status.second.Innodb_data_writes"
    first_r = as_number(fact(facts, "status.first.Innodb_data_reads"))
    first_w = as_number(fact(facts, "status.first.Innodb_data_writes"))
    second_r = as_number(fact(facts, "status.second.Innodb_data_reads"))
    second_w = as_number(fact(facts, "status.second.Innodb_data_writes"))
    interval = as_number(fact(facts, "status.interval_seconds"))
    uptime = as_number(fact(facts, "status.second.Uptime")) or as_number(fact(facts, "server.uptime_seconds"))
    if second_r is None or second_w is None:
        return None
    parts = []
    if interval and first_r is not None and first_w is not None:
        parts.append(f"InnoDB data reads {(second_r - first_r) / interval:.1f}/s and writes "
                     f"{(second_w - first_w) / interval:.1f}/s sampled over {interval:.0f} s")
    if uptime:
        parts.append(f"{second_r / uptime:.1f} reads/s and {second_w / uptime:.1f} writes/s on average since start")
    if not parts:
        return None
    return Prefill("; ".join(parts), writes_path, "measured",
                   "InnoDB's own I/O requests (Innodb_data_reads/writes); the disk's IOPS and peaks are not visible "
                   "from SQL")


READ_COUNTERS = ("Com_select",)
WRITE_COUNTERS = ("Com_insert", "Com_insert_select", "Com_update", "Com_update_multi", "Com_delete",
                  "Com_delete_multi", "Com_replace", "Com_replace_select")


def traffic_pattern(facts: Mapping[str, Any]) -> Prefill | None:
    """The busiest hours and days and the read/write mix over days (facts["history"]), else the read/write mix
    of statements since start from the Com_* counters of the first sample."""
    from_history = _history_traffic_pattern(facts)
    if from_history is not None:
        return from_history
    reads = [as_number(fact(facts, f"status.first.{name}")) for name in READ_COUNTERS]
    writes = [as_number(fact(facts, f"status.first.{name}")) for name in WRITE_COUNTERS]
    if any(r is None for r in reads) or all(w is None for w in writes):
        return None
    read_total = sum(r or 0 for r in reads)
    write_total = sum(w or 0 for w in writes)
    if read_total + write_total == 0:
        return None
    share = read_total / (read_total + write_total) * 100
    uptime = as_number(fact(facts, "server.uptime_seconds"))
    since = f" over the {_duration(uptime)} since the server started" if uptime else " since the server started"
    value = (f"{share:.0f}% reads, {100 - share:.0f}% writes by statement count{since} "
             f"({read_total:.0f} SELECT, {write_total:.0f} INSERT/UPDATE/DELETE/REPLACE)")
    return Prefill(value, "status.first.Com_select", "measured",
                   "from the Com_* counters; daily or weekly peaks need your monitoring: please add them")


def _history_traffic_pattern(facts: Mapping[str, Any]) -> Prefill | None:
    profile = fact(facts, "history.weekly_profile")
    caption = history_caption(facts)
    if not isinstance(profile, Mapping) or caption is None:
        return None
    by_hour = [as_number(v) for v in profile.get("by_hour") or []]
    by_day = [as_number(v) for v in profile.get("by_weekday") or []]
    week = profile.get("busiest_hour_of_week") or {}
    hour = as_int(profile.get("busiest_hour"))
    if hour is None or not isinstance(week, Mapping):
        return None
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    cpu = profile.get("series") == "cpu_percent"  # a provider with no query rate (RDS MySQL): the CPU's week
    unit, per = (" % CPU", " %") if cpu else (" queries/s", "/s")
    parts = [f"busiest hour of the week {week.get('day')} {as_int(week.get('hour')) or 0:02d}:00-"
             f"{(as_int(week.get('hour')) or 0) + 1:02d}:00 UTC (avg {as_number(week.get('avg')) or 0:.1f}{unit})"]
    hours = [(h, v) for h, v in enumerate(by_hour) if v is not None]
    if hours:
        quiet = min(hours, key=lambda item: item[1])
        parts.append(f"by hour of day busiest {hour:02d}:00 (avg {by_hour[hour] or 0:.1f}{per}), quietest "
                     f"{quiet[0]:02d}:00 ({quiet[1]:.1f}{per})")
    known_days = [(d, v) for d, v in enumerate(by_day[:7]) if v is not None]
    if known_days:
        busy, quiet_day = max(known_days, key=lambda i: i[1]), min(known_days, key=lambda i: i[1])
        parts.append(f"busiest day {days[busy[0]]} (avg {busy[1]:.1f}{per}), quietest {days[quiet_day[0]]} "
                     f"({quiet_day[1]:.1f}{per})")
    peak, peak_at = as_number(fact(facts, "history.series.queries_per_second.max")), fact(
        facts, "history.series.queries_per_second.max_at")
    if peak is not None:
        parts.append(f"peak {peak:.1f} queries/s at {peak_at}")
    reads = fact(facts, "history.series.reads_per_second")
    writes = fact(facts, "history.series.writes_per_second")
    if isinstance(reads, Mapping) and isinstance(writes, Mapping):
        read_avg, write_avg = as_number(reads.get("avg")) or 0.0, as_number(writes.get("avg")) or 0.0
        if read_avg + write_avg > 0:
            share = read_avg / (read_avg + write_avg) * 100
            parts.append(f"read/write mix {share:.0f}% reads, {100 - share:.0f}% writes on average (reads avg "
                         f"{read_avg:.1f}/s, max {as_number(reads.get('max')) or 0:.1f}/s at {reads.get('max_at')}; "
                         f"writes avg {write_avg:.1f}/s, max {as_number(writes.get('max')) or 0:.1f}/s at "
                         f"{writes.get('max_at')})")
    what = "CPU utilisation" if cpu else "queries per second"
    return Prefill("; ".join(parts), "history.weekly_profile.busiest_hour", "measured",
                   f"{caption}: {what} by hour and weekday (UTC), SELECT vs INSERT/UPDATE/DELETE/REPLACE")


def tls(facts: Mapping[str, Any]) -> Prefill | None:
    in_use = fact(facts, "security.tls_in_use")
    if not isinstance(in_use, bool):
        return None
    require = fact(facts, "security.require_secure_transport")
    accepts = fact(facts, "security.ssl_accepts")
    note = f"TLS connections accepted since start: {accepts}" if accepts is not None else ""
    if require is not None:
        note += f"{'; ' if note else ''}require_secure_transport = {require}"
    if in_use:
        note += "; whether every application uses it is not visible"
    else:
        note += "; no TLS connection since start besides this tool's own"
    return Prefill(YES if in_use else NO, "security.tls_in_use", "measured", note)


def encryption_at_rest(facts: Mapping[str, Any]) -> Prefill | None:
    enc = fact(facts, "security.encryption_at_rest")
    if not isinstance(enc, Mapping):
        return None
    platform = fact(facts, "server.platform")
    tables = enc.get("encrypted_tables")
    switches = [k for k in ("innodb_encrypt_tables", "default_table_encryption")
                if str(enc.get(k, "")).upper() in ("ON", "FORCE", "1")]
    if switches or (isinstance(tables, int) and tables > 0):
        what = ", ".join(f"{k} = {enc[k]}" for k in switches)
        if isinstance(tables, int):
            what += f"{'; ' if what else ''}{tables} encrypted tablespace(s)"
        return Prefill(YES, "security.encryption_at_rest", "measured", f"database-level encryption: {what}")
    if platform in MANAGED_PLATFORMS:
        return None  # storage encryption of a managed service is not visible from SQL: leave it to the user
    return Prefill(NO, "security.encryption_at_rest", "heuristic",
                   "no database-level (InnoDB) encryption is on; disk or volume encryption is not visible from SQL")


def sharding(facts: Mapping[str, Any]) -> Prefill | None:
    schemas = fact(facts, "schemas")
    if not isinstance(schemas, list):
        return None
    sizes = [((as_number(s.get("data_bytes")) or 0) + (as_number(s.get("index_bytes")) or 0), str(s.get("name")))
             for s in schemas if isinstance(s, dict)]
    total = sum(size for size, _ in sizes)
    largest = max(sizes, default=(0.0, ""))
    total_gb = total / 10**9
    if largest[0] > SHARDING_NOTICE_BYTES or total > SHARDING_NOTICE_BYTES:
        value = (f"worth discussing: {total_gb:,.0f} GB in total, the largest schema {largest[0] / 10**9:,.0f} GB; "
                 "beyond about 250 GB per database sharding is worth a look")
    else:
        value = (f"not needed for the data size: {human_bytes(total)} in total, under the 250 GB per database where "
                 "sharding starts to be worth a look; write load may still call for it")
    return Prefill(value, "schemas", "heuristic", "from the data and index size of the user schemas")


def replicas_wanted(facts: Mapping[str, Any]) -> Prefill | None:
    replicas = fact(facts, "replication.replica_count")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        return None
    return Prefill(f"today {replicas} replica(s) read from this server", "replication.replica_count", "estimate",
                   "what runs today, as a starting point; read-only regions are for you to add")


def schema_changes(facts: Mapping[str, Any]) -> Prefill | None:
    found = [t for t in fact(facts, "workload.migration_tables") or [] if isinstance(t, dict) and t.get("tool")]
    if not found:
        return None
    tools = sorted({str(t["tool"]) for t in found})
    osc = [t for t in tools if t.split(" ")[0] in ONLINE_SCHEMA_TOOLS]
    migrations = [t for t in tools if t not in osc]
    parts = []
    if migrations:
        parts.append(f"schema migrations by {', '.join(migrations)}")
    if osc:
        parts.append(f"online schema change leftovers of {', '.join(osc)}")
    return Prefill("; ".join(parts) + " (tables found in the schemas)", "workload.migration_tables", "heuristic",
                   f"{len(found)} bookkeeping table(s); the deployment pipeline is for you to describe")


RULES: dict[str, Rule] = {
    "architecture.server_version": server_version,
    "architecture.hosting": hosting,
    "architecture.instance_count": instance_count,
    "architecture.database_count": database_count,
    "architecture.roles": roles,
    "architecture.instance_size": instance_size,
    "architecture.disk": disk,
    "architecture.data_growth": data_growth,
    "architecture.regions": regions,
    "architecture.stack": stack,
    "architecture.downstream": downstream,
    "tooling.monitoring": monitoring,
    "tooling.backup": backup,
    "tooling.proxy": proxy,
    "tooling.failover": failover,
    "performance.traffic_pattern": traffic_pattern,
    "performance.qps_average": qps_average,
    "performance.qps_peak": qps_peak,
    "performance.cpu": cpu,
    "performance.memory": memory,
    "performance.io": io,
    "environments.pipeline": schema_changes,
    "security.tls": tls,
    "security.encryption_at_rest": encryption_at_rest,
    "plan.sharding": sharding,
    "plan.replicas": replicas_wanted,
}


# ------------------------------------------------------------------------ from the cloud and the history
# When derive() was given a cloud document (facts "cloud", cloud.json) or a workload history (facts "history"),
# these answer first; the SQL rules above answer when they find nothing. The fact path names the cloud value
# (``cloud.instances[0].class``) and the note says the window ("14 days of CloudWatch").

CLOUD_SERVICES = {"aws": ("RDS", "CloudWatch"), "gcp": ("Cloud SQL", "Cloud Monitoring"),
                  "azure": ("Azure Database for MySQL", "Azure Monitor")}


def _cloud(facts: Mapping[str, Any]) -> tuple[Mapping[str, Any], str, list[Mapping[str, Any]], int] | None:
    """(cloud document, provider, instances, index of the writer) when derive() was given one with instances."""
    cloud = fact(facts, "cloud")
    if not isinstance(cloud, Mapping):
        return None
    instances = [i for i in cloud.get("instances") or [] if isinstance(i, Mapping)]
    if not instances:
        return None
    writer = next((n for n, i in enumerate(instances) if i.get("role") in ("primary", "writer")), 0)
    return cloud, str(cloud.get("provider") or "aws"), instances, writer


def _window(facts: Mapping[str, Any], source: str) -> str:
    """ "14 days of CloudWatch" for a cloud series, "14 days of Prometheus history" for a history one."""
    from prechecks.sizing import _History

    if source == "history":
        history = fact(facts, "history")
        found = _History(history) if isinstance(history, Mapping) else None
        name = found.name if found else "history"
        return f"{found.window} of {name} history" if found and found.window else f"the {name} history"
    days = as_number(fact(facts, "cloud.metrics.window_days"))
    service = CLOUD_SERVICES.get(str(fact(facts, "cloud.provider") or "aws"), ("", "the provider's metrics"))[1]
    return f"{days:g} days of {service}" if days else service


def _series(facts: Mapping[str, Any], source: str,
            names: Sequence[str]) -> tuple[str, Mapping[str, Any], str, str] | None:
    """(fact path of the series, its summary, its unit, its name) of the first of ``names`` with data."""
    from prechecks.sizing import UNITS

    for name in names:
        path = key_path(source, *(("metrics", "series") if source == "cloud" else ("series",)), name)
        series = fact(facts, path)
        if isinstance(series, Mapping) and as_number(series.get("avg")) is not None:
            return path, series, str(series.get("unit") or UNITS.get(name) or ""), name
    return None


def _cloud_names(facts: Mapping[str, Any], role: str) -> list[str]:
    from prechecks.sizing import CLOUD_SERIES

    return list(CLOUD_SERIES.get(str(fact(facts, "cloud.provider") or "aws"), {}).get(role, ()))


def _class_text(instance: Mapping[str, Any]) -> str:
    vcpu, memory = instance.get("vcpu"), instance.get("memory_gib")
    sizes = ", ".join(x for x in (f"{vcpu} vCPU" if as_number(vcpu) is not None else "",
                                  f"{memory:g} GiB memory" if isinstance(memory, int | float) else "") if x)
    return f"{instance.get('class')}" + (f" ({sizes})" if sizes else " (vCPU and memory unknown)")


def cloud_instance_size(facts: Mapping[str, Any]) -> Prefill | None:
    found = _cloud(facts)
    if found is None:
        return None
    _cloud_doc, provider, instances, writer = found
    if not instances[writer].get("class"):
        return None
    parts = [f"{instances[writer].get('role') or 'instance'} {_class_text(instances[writer])}"]
    others: dict[str, int] = {}
    for index, instance in enumerate(instances):
        if index != writer:
            key = f"{instance.get('role') or 'instance'}: {_class_text(instance)}"
            others[key] = others.get(key, 0) + 1
    parts += [f"{count} × {what}" for what, count in others.items()]
    serverless = fact(facts, "cloud.cluster.serverless_v2")
    if isinstance(serverless, Mapping):
        parts.append(f"Serverless v2 {serverless.get('min_acu')}–{serverless.get('max_acu')} ACU")
    service = CLOUD_SERVICES.get(provider, (provider, ""))[0]
    return Prefill("; ".join(parts), key_path("cloud", "instances", writer, "class"), "measured",
                   f"the instance classes {service} reports (cloud.json), read at the run")


def cloud_disk(facts: Mapping[str, Any]) -> Prefill | None:
    found = _cloud(facts)
    if found is None:
        return None
    _cloud_doc, _provider, instances, writer = found
    storage = instances[writer].get("storage")
    if not isinstance(storage, Mapping):
        return None
    aurora = str(instances[writer].get("engine") or "").startswith("aurora")
    allocated = None if aurora else as_number(storage.get("allocated_gib"))  # AWS says 1 GiB for Aurora
    parts = []
    if allocated is not None:
        what = f"allocated {allocated:g} GiB" + (f" {storage['type']}" if storage.get("type") else "")
        if as_number(storage.get("iops")) is not None:
            what += f", {as_number(storage.get('iops')):g} provisioned IOPS"
        if as_number(storage.get("throughput_mibps")) is not None:
            what += f", {as_number(storage.get('throughput_mibps')):g} MiB/s"
        parts.append(what)
    elif aurora:
        parts.append("Aurora storage (nothing allocated: it grows with the data)")
    else:
        return None
    used = next((r for r in fact(facts, "sizing.rows") or [] if isinstance(r, Mapping)
                 and r.get("key") == "storage_used" and r.get("source") != "none"), None)
    if used is not None:
        parts.append(f"used {used.get('value')}" + (f" over {used['window']}" if used.get("window") else ""))
    window = _window(facts, "cloud") if used is not None and str(used.get("source")).startswith("cloud:") else ""
    return Prefill("; ".join(parts), key_path("cloud", "instances", writer, "storage", "allocated_gib")
                   if allocated is not None else key_path("cloud", "instances", writer, "storage"), "measured",
                   "the writer's storage as the provider reports it (cloud.json)" + (f"; used from {window}"
                                                                                    if window else ""))


def cloud_regions(facts: Mapping[str, Any]) -> Prefill | None:
    found = _cloud(facts)
    if found is None:
        return None
    cloud, _provider, instances, _writer = found
    regions: list[str] = []
    for instance in instances:
        region = instance.get("region") or cloud.get("region")
        if isinstance(region, str) and region and region not in regions:
            regions.append(region)
    if not regions:
        return None
    zones = sorted({str(i["availability_zone"]) for i in instances if isinstance(i.get("availability_zone"), str)})
    value = ", ".join(regions) + (f" (zones {', '.join(zones)})" if zones else "")
    path = "cloud.region" if fact(facts, "cloud.region") else key_path("cloud", "instances", 0, "region")
    return Prefill(value, path, "measured", f"the region and zone of each of the {len(instances)} instance(s) the "
                   "provider lists (cloud.json); other applications' databases are for you to add")


def cloud_instance_count(facts: Mapping[str, Any]) -> Prefill | None:
    found = _cloud(facts)
    if found is None:
        return None
    _cloud_doc, _provider, instances, writer = found
    roles: dict[str, int] = {}
    for instance in instances:
        role = str(instance.get("role") or "instance")
        roles[role] = roles.get(role, 0) + 1
    note = ", ".join(f"{n} {role}" for role, n in roles.items()) + " as the provider lists them (cloud.json)"
    if instances[writer].get("multi_az"):
        note += "; plus a Multi-AZ standby that takes no traffic"
    return Prefill(len(instances), "cloud.instances", "measured",
                   note + "; other applications' databases are for you to add")


def _utilisation(facts: Mapping[str, Any], history_name: str, cloud_role: str) -> tuple[str, str, str, str] | None:
    """(text, fact path, unit, window) of a series from the history, else from the cloud."""
    from prechecks.sizing import series_text

    for source, names in _order(facts, [history_name], _cloud_names(facts, cloud_role)):
        if not fact_exists(facts, source):
            continue
        found = _series(facts, source, names)
        if found is not None:
            path, series, unit, name = found
            return f"{name} {series_text(series, unit or None)}", path + ".p95", unit, _window(facts, source)
    return None


def cloud_cpu(facts: Mapping[str, Any]) -> Prefill | None:
    found = _utilisation(facts, "cpu_percent", "cpu")
    if found is None:
        return None
    text, path, _unit, window = found
    vcpu = fact(facts, "sizing.rows")
    compute = next((r.get("value") for r in vcpu or [] if isinstance(r, Mapping) and r.get("key") == "compute"
                    and r.get("source") != "none"), None)
    value = text + (f" on {compute}" if compute else "")
    return Prefill(value, path, "measured", f"{window}: avg and p95 of the averages, the highest maximum and when")


def cloud_memory(facts: Mapping[str, Any]) -> Prefill | None:
    found = _cloud(facts)
    memory = None
    path = ""
    if found is not None:
        _doc, _provider, instances, writer = found
        if isinstance(instances[writer].get("memory_gib"), int | float):
            memory = f"{instances[writer]['memory_gib']:g} GiB on the instance"
            path = key_path("cloud", "instances", writer, "memory_gib")
    usage = None
    for history_name, role in (("memory_used_bytes", "memory_used"), ("", "memory_free"), ("", "memory_percent")):
        usage = _utilisation(facts, history_name or "-", role)
        if usage is not None:
            break
    if memory is None and usage is None:
        return None
    parts = [p for p in (memory, usage[0] if usage else None) if p]
    note = (f"{usage[3]}: avg and p95 of the averages, the highest maximum and when" if usage
            else "the instance's memory as the provider reports it (cloud.json)")
    return Prefill("; ".join(parts), usage[1] if usage and not path else path, "measured", note)


def cloud_io(facts: Mapping[str, Any]) -> Prefill | None:
    parts = []
    path = ""
    window = ""
    for history_name, role in (("read_iops", "read_iops"), ("write_iops", "write_iops"),
                               ("", "read_bytes"), ("", "write_bytes"), ("", "io_percent")):
        found = _utilisation(facts, history_name or "-", role)
        if found is not None:
            parts.append(found[0])
            path, window = path or found[1], window or found[3]
    if not parts:
        return None
    return Prefill("; ".join(parts), path, "measured", f"{window}: avg and p95 of the averages, the highest maximum "
                   "and when; the provisioned IOPS are in architecture.disk")


def cloud_qps_peak(facts: Mapping[str, Any]) -> Prefill | None:
    """Only where a query metric exists (history queries_per_second, Aurora's Queries, Cloud SQL's, Azure's)."""
    from prechecks.sizing import moment

    for source, names in _order(facts, ["queries_per_second"], _cloud_names(facts, "queries")):
        if not fact_exists(facts, source):
            continue
        found = _series(facts, source, names)
        if found is None or as_number(found[1].get("max")) is None:
            continue
        path, series, _unit, name = found
        peak = as_number(series.get("max"))
        assert peak is not None
        when = moment(series.get("max_at"))
        return Prefill(round(peak, 1), path + ".max", "measured",
                       f"the highest {name} over {_window(facts, source)}" + (f", at {when}" if when else ""))
    return None


def cloud_replicas(facts: Mapping[str, Any]) -> Prefill | None:
    found = _cloud(facts)
    if found is None:
        return None
    cloud, _provider, instances, writer = found
    replicas = [i for i in instances if i.get("role") in ("replica", "reader")]
    regions = sorted({str(i.get("region") or cloud.get("region")) for i in replicas})
    kind = "reader" if any(i.get("role") == "reader" for i in replicas) else "read replica"
    value = f"today {len(replicas)} {kind}(s)" + (f" in {', '.join(regions)}" if replicas else "")
    if instances[writer].get("multi_az"):
        value += ", and a Multi-AZ standby"
    return Prefill(value, "cloud.instances", "estimate", "what runs today as the provider lists it (cloud.json), as a "
                   "starting point; read-only regions are for you to add")


CLOUD_RULES: dict[str, Rule] = {
    "architecture.instance_count": cloud_instance_count,
    "architecture.instance_size": cloud_instance_size,
    "architecture.disk": cloud_disk,
    "architecture.regions": cloud_regions,
    "performance.cpu": cloud_cpu,
    "performance.memory": cloud_memory,
    "performance.io": cloud_io,
    "performance.qps_peak": cloud_qps_peak,
    "plan.replicas": cloud_replicas,
}


# ------------------------------------------------------------------------ what the archive carries
# These rules read the archive's attachments (their safe names, as attachments/ holds them) besides the facts.
# A prefill resting on the attachments names ATTACHMENTS as its source: the manifest lists that folder.
ATTACHMENTS = "attachments"
SLOW_LOG_NAME = re.compile(r"slow", re.IGNORECASE)
BILL_NAME = re.compile(r"bill|invoice|cost|receipt|rechnung|facture", re.IGNORECASE)


def slow_log_attached(facts: Mapping[str, Any], attachments: Sequence[str] | None) -> Prefill | None:
    files = fact(facts, "slow_log.files")
    if isinstance(files, Mapping) and files.get("read"):
        names = [f for f in files.get("files") or [] if isinstance(f, Mapping)]
        return Prefill(YES, "slow_log.files", "measured",
                       f"the digest of {len(names)} slow log file(s) given with --slow-log (slow-log-digest.md); "
                       "the log itself is not in the archive")
    table = fact(facts, "slow_log.table")
    if isinstance(table, Mapping) and table.get("read"):
        return Prefill(YES, "slow_log.table", "measured",
                       "the digest of the server's mysql.slow_log table (slow-log-digest.md)")
    if attachments is None:  # not known yet (the wizard's questionnaire comes before its attachments)
        return None
    named = [a for a in attachments if SLOW_LOG_NAME.search(a)]
    if named:
        return Prefill(YES, ATTACHMENTS, "heuristic", f"attached: {', '.join(named)} (by its name)")
    return Prefill(NO, ATTACHMENTS, "measured",
                   "no --slow-log file, no slow_log table digest and no attachment named like a slow log")


def bill_attached(facts: Mapping[str, Any], attachments: Sequence[str] | None) -> Prefill | None:
    bill = fact(facts, "cloud.bill")
    if isinstance(bill, Mapping) and bill.get("items"):
        return Prefill(YES, "cloud.bill", "measured",
                       f"the itemised {bill.get('service') or 'database'} bill for {bill.get('month')} read from the "
                       f"provider ({bill.get('total')} {bill.get('currency') or ''}, cloud.json)".replace(" ,", ","))
    if attachments is None:
        return None
    named = [a for a in attachments if BILL_NAME.search(a)]
    if named:
        return Prefill(YES, ATTACHMENTS, "heuristic", f"attached: {', '.join(named)} (by its name)")
    if not attachments:
        return Prefill(NO, ATTACHMENTS, "measured", "nothing is attached (--attach, or the Attachments page)")
    return None  # files whose names say nothing: the user knows


AttachmentRule = Callable[[Mapping[str, Any], Sequence[str] | None], Prefill | None]
ATTACHMENT_RULES: dict[str, AttachmentRule] = {
    "performance.slow_log_attached": slow_log_attached,
    "plan.bill_attached": bill_attached,
}

def prefill(facts: Mapping[str, Any], questionnaire: Questionnaire | None = None, *,
            attachments: Sequence[str] | None = None) -> dict[str, Prefill]:
    """question id -> Prefill for every rule whose facts are there (and whose question exists).

    ``attachments``: the safe names of the archive's attachments; None when not known yet (then the rules
    that read them answer only from the facts)."""
    from prechecks.questionnaire import QuestionnaireError, coerce_value

    questionnaire = questionnaire or load_questionnaire()
    out: dict[str, Prefill] = {}
    for question in questionnaire.questions:
        rule = RULES.get(question.id)
        attachment_rule = ATTACHMENT_RULES.get(question.id)
        cloud_rule = CLOUD_RULES.get(question.id)
        found = cloud_rule(facts) if cloud_rule is not None else None
        if found is not None:
            pass
        elif rule is not None:
            found = rule(facts)
        elif attachment_rule is not None:
            found = attachment_rule(facts, attachments)
        else:
            continue
        if found is None or found.value is None:
            continue
        if not (fact_exists(facts, found.fact_path) or (found.fact_path == ATTACHMENTS and attachments is not None)):
            continue
        try:
            found.value = coerce_value(question, found.value)
        except QuestionnaireError:  # e.g. a platform that is not among the choices
            continue
        out[question.id] = found
    return out


def build_answers(facts: Mapping[str, Any], *, draft: Mapping[str, Value] | None = None,
                  answers: Mapping[str, Value] | None = None, questionnaire: Questionnaire | None = None,
                  attachments: Sequence[str] | None = None) -> list[Answer]:
    """Every question's answer: prefill from ``facts`` (and ``attachments``) < ``draft`` < ``answers`` (the user's)."""
    questionnaire = questionnaire or load_questionnaire()
    return merge_answers(questionnaire, prefill(facts, questionnaire, attachments=attachments), draft, answers)


# ------------------------------------------------------------------------------ several servers

_CONFIDENCE_ORDER = ("measured", "estimate", "heuristic")


def _weakest(found: list[tuple[str, Prefill]]) -> Confidence:
    ranks = [_CONFIDENCE_ORDER.index(p.confidence) if p.confidence in _CONFIDENCE_ORDER else 0 for _, p in found]
    return cast("Confidence", _CONFIDENCE_ORDER[max(ranks)])


def _per_server(found: list[tuple[str, Prefill]]) -> str:
    return "; ".join(f"{name}: {p.value}" for name, p in found)


def _combined(question: Question, found: list[tuple[str, Prefill]], servers: Sequence[tuple[str, Mapping[str, Any]]]) \
        -> Prefill:
    """One answer from each server's prefill for one question (see prefill_servers)."""
    first = found[0][1]
    confidence = _weakest(found)
    values = [p.value for _, p in found]
    same = all(v == values[0] for v in values)
    qid = question.id
    if qid == "architecture.instance_count":
        counts = [int(v) for v in values if isinstance(v, int | float)]
        value = max([len(servers), *counts])
        return Prefill(value, first.fact_path, "estimate",
                       f"{len(servers)} server(s) collected; each one's count: {_per_server(found)} (servers of one "
                       "replication topology count each other, so this is the larger of the two — add other "
                       "clusters' instances)")
    if qid == "architecture.database_count":
        counts = [int(v) for v in values if isinstance(v, int | float)]
        return Prefill(max(counts), first.fact_path, "estimate",
                       f"each server's count: {_per_server(found)} (servers of one replication topology hold the same "
                       "schemas, so this is the largest — add the others' if they hold different ones)")
    if qid == "performance.slow_log_attached" and YES in values:  # one server's digest is enough
        yes = next(p for _, p in found if p.value == YES)
        return Prefill(YES, yes.fact_path, yes.confidence, "per server: " + _per_server(found))
    if qid in ("performance.qps_average", "performance.qps_peak"):
        numbers = [float(v) for v in values if isinstance(v, int | float)]
        return Prefill(round(sum(numbers)), first.fact_path, "estimate",
                       f"the sum over {len(found)} server(s) ({_per_server(found)}); each was sampled over its own "
                       "interval, so for peaks this is an upper bound of a common peak")
    if qid == "architecture.disk":
        total = 0.0
        for _name, facts in servers:
            schemas = fact(facts, "schemas")
            if isinstance(schemas, list):
                total += sum((as_number(s.get("data_bytes")) or 0) + (as_number(s.get("index_bytes")) or 0)
                             for s in schemas if isinstance(s, dict))
        return Prefill(f"total data + indexes over {len(servers)} server(s): {human_bytes(total)}; "
                       + _per_server(found), first.fact_path, confidence, first.note)
    if same:
        return Prefill(values[0], first.fact_path, confidence,
                       first.note if len(found) == 1 else f"the same on {', '.join(n for n, _ in found)}")
    if question.type == "yes-no":  # no on any server is the answer that matters for planning
        return Prefill(NO, first.fact_path, confidence, "differs: " + _per_server(found))
    if question.type == "text":
        return Prefill(_per_server(found), first.fact_path, confidence, "per server")
    return Prefill(values[0], first.fact_path, confidence,
                   f"from {found[0][0]}; differs between servers: {_per_server(found)}")


def prefill_servers(servers: Sequence[tuple[str, Mapping[str, Any]]],
                    questionnaire: Questionnaire | None = None, *,
                    attachments: Sequence[str] | None = None) -> dict[str, Prefill]:
    """The prefill of one questionnaire for several servers (name, facts): counts and sizes added up,
    equal answers kept, differing ones listed per server (see docs/questionnaire.md)."""
    questionnaire = questionnaire or load_questionnaire()
    if len(servers) == 1:
        return prefill(servers[0][1], questionnaire, attachments=attachments)
    each = [(name, prefill(facts, questionnaire, attachments=attachments)) for name, facts in servers]
    out: dict[str, Prefill] = {}
    from prechecks.questionnaire import QuestionnaireError, coerce_value

    for question in questionnaire.questions:
        found = [(name, found[question.id]) for name, found in each if question.id in found]
        if not found:
            continue
        combined = _combined(question, found, servers)
        try:
            combined.value = coerce_value(question, combined.value)
        except QuestionnaireError:
            continue
        out[question.id] = combined
    return out


def servers_questionnaire_files(servers: Sequence[tuple[str, Mapping[str, Any]]], *,
                                draft: Mapping[str, Value] | None = None, answers: Mapping[str, Value] | None = None,
                                attachments: list[str] | None = None,
                                questionnaire: Questionnaire | None = None) -> dict[str, str]:
    """freeform_questions.md and submission.json for a submission of several servers (prefill_servers)."""
    questionnaire = questionnaire or load_questionnaire()
    merged = merge_answers(questionnaire, prefill_servers(servers, questionnaire, attachments=attachments or []),
                           draft, answers)
    return questionnaire_outputs(questionnaire, merged, facts=servers[0][1] if len(servers) == 1 else None,
                                 attachments=attachments or [])
