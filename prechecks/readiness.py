"""PlanetScale import readiness: rules over the facts document -> `readiness.json`.

A pure function of the facts (like the report): `evaluate(facts)` never talks to a server, so a
report re-rendered from samples gives the same verdicts. Shape (format_version 1):

    {"format_version": 1,
     "checks": [{"id", "title", "severity": "blocker" | "warning" | "notice",
                 "status": "pass" | "fail" | "not_applicable" | "skipped",
                 "objects": ["schema.table", "schema.table.column", ...], "detail", "remediation", "docs",
                 "source": "docs" | "ours"}]}

Rules:

* `objects` names every offending object, dotted as the server spells it, never quoted, and never
  an object that complies. Settings rules (binlog, GTID, sql_mode, version) list no objects.
* No silent passes. When the facts a rule needs are absent, it is `skipped` and `detail` says which
  collector did not run (or why it was skipped). When the account could not see every object of a
  kind (`object_visibility` complete false: the missing privilege is named; complete null: role-based
  or unreadable grants, "could not tell whether the account sees every trigger"), or part of the
  inventory was not read (time budget, a failing schema), the rule is `skipped` -- unless it already
  found offenders, in which case it fails with those and says the list may be incomplete.
* Severity is fixed per id, except `mysql_version`: blocker for non-MySQL servers and versions before
  5.7; warning for MySQL after 8.0 (8.4 and the innovation releases), which the import documentation
  does not list; notice for MariaDB (PlanetScale's MariaDB migration guide).
* Every rule is one `RuleSpec` in `RULE_SPECS`: its page and the sentence it enforces, or a caution of
  ours (`ours`, never a blocker). Each check carries `source`: "docs" or "ours". docs/readiness-rules.md
  is generated from the table (prechecks/rulesdoc.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from collectors.numbers import as_int, as_number
from prechecks import readiness_objects
from prechecks.rulespec import RuleSpec
from prechecks.rulespec import as_list as _seq
from prechecks.rulespec import as_map as _map
from prechecks.rulespec import inventory_gaps as _inventory_gaps
from prechecks.rulespec import why_absent as _why_absent

FORMAT_VERSION = 1

Severity = Literal["blocker", "warning", "notice"]
Status = Literal["pass", "fail", "not_applicable", "skipped"]

DOCS_IMPORTS = "https://planetscale.com/docs/vitess/imports/database-imports"
DOCS_IMPORT_PERMISSIONS = "https://planetscale.com/docs/vitess/imports/import-tool-user-requirements"
DOCS_RDS = "https://planetscale.com/docs/vitess/imports/aws-rds-migration-guide"
DOCS_AURORA = "https://planetscale.com/docs/vitess/imports/amazon-aurora-migration-guide"
DOCS_FOREIGN_KEYS = "https://planetscale.com/docs/vitess/foreign-key-constraints"
DOCS_COMPATIBILITY = "https://planetscale.com/docs/vitess/mysql-compatibility"
DOCS_SHARDING = "https://planetscale.com/docs/vitess/sharding"
DOCS_MARIADB = "https://planetscale.com/docs/vitess/imports/mariadb-migration-guide"
DOCS_SYSTEM_LIMITS = "https://planetscale.com/docs/vitess/troubleshooting/planetscale-system-limits"
DOCS_UNSUPPORTED_FEATURE = "https://planetscale.com/docs/vitess/schema-changes/schema-lint-errors/unsupported-feature"
DOCS_PARTITIONING = "https://planetscale.com/docs/vitess/schema-changes/schema-lint-errors/unsupported-partitioning-feature"

MIN_RETENTION_HOURS = 48  # the import checks for MORE than this (expire_logs_days > 2, ... > 172800 seconds)
DIGITALOCEAN_MAX_RETENTION_SECONDS = 86400  # DigitalOcean refuses a larger binlog_expire_logs_seconds
REQUIRED_SQL_MODES = ("NO_ZERO_IN_DATE", "NO_ZERO_DATE", "ONLY_FULL_GROUP_BY")
UNSUPPORTED_SQL_MODES = ("ANSI_QUOTES", "PIPES_AS_CONCAT")
# sql_mode combinations that switch the unsupported modes on (SHOW VARIABLES expands them on MySQL
# and MariaDB, but a hand-written facts document may carry the short name)
_COMBINATION_MODES = {
    "ANSI": ("REAL_AS_FLOAT", "PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE", "ONLY_FULL_GROUP_BY"),
    "DB2": ("PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE"),
    "MAXDB": ("PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE"),
    "MSSQL": ("PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE"),
    "ORACLE": ("PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE"),
    "POSTGRESQL": ("PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE"),
}
SUPPORTED_PARTITION_METHODS = frozenset({"RANGE", "RANGE COLUMNS", "HASH", "LINEAR HASH", "KEY", "LINEAR KEY"})
MAX_TABLES_PER_SCHEMA = 2048  # tables + views
MAX_COLUMNS = 1017  # InnoDB's limit on MySQL 8
SHARDING_BYTES = 250 * 10**9  # ~250 GB: PlanetScale recommends sharding above it
MARIADB_FLAVORS = frozenset({"mariadb"})  # a Galera node is clustering (server.clustering), not a flavor
SHARD_DISK_BYTES = 4 * 10**12  # 4 TB of disk per shard
UTC_ZONES = frozenset({"UTC", "+00:00", "-00:00", "GMT", "ETC/UTC", "ETC/GMT", "Z", "UCT", "ETC/UCT",
                       "COORDINATED UNIVERSAL TIME", "ZULU", "ETC/ZULU", "UNIVERSAL", "ETC/UNIVERSAL"})
SYSTEM_SCHEMAS = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
# a table name the import handles: letters, digits, _ and $ (what MySQL accepts unquoted)
PLAIN_NAME = re.compile(r"[A-Za-z0-9_$]+")
NOT_MYSQL_FLAVORS = frozenset({"tidb", "vitess"})
SHOWN_OBJECTS = 5  # in details; `objects` always has them all


# ---------------------------------------------------------------------------- small accessors








def _on(value: Any) -> bool:
    return str(value or "").strip().upper() in ("ON", "1", "YES", "TRUE")


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _split_table(dotted: str, facts: Mapping[str, Any]) -> tuple[str, str]:
    """schema and table of a dotted `schema.table` name; the schema list disambiguates dots in names."""
    for schema in sorted(_schema_names(facts), key=len, reverse=True):
        if dotted.startswith(schema + "."):
            return schema, dotted[len(schema) + 1:]
    schema, _, table = dotted.partition(".")
    return schema, table


def _schema_names(facts: Mapping[str, Any]) -> set[str]:
    names = {str(t.get("schema")) for t in _tables(facts) if t.get("schema") is not None}
    names |= {str(s.get("name")) for s in _seq(facts.get("schemas")) if isinstance(s, Mapping)}
    names |= {str(d) for d in _seq(facts.get("databases"))}
    return names


def _qualified(dotted: str, facts: Mapping[str, Any]) -> str:
    schema, table = _split_table(dotted, facts)
    return f"{_quote(schema)}.{_quote(table)}"


def _tables(facts: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [t for t in _seq(facts.get("tables")) if isinstance(t, Mapping)]


def _dotted(table: Mapping[str, Any]) -> str:
    return f"{table.get('schema')}.{table.get('name')}"


def _shown(objects: Sequence[str], limit: int = SHOWN_OBJECTS) -> str:
    if len(objects) <= limit:
        return ", ".join(objects)
    return ", ".join(objects[:limit]) + f" and {len(objects) - limit} more"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _gib(size: float) -> str:
    return f"{size / 10**9:,.1f} GB"


# ---------------------------------------------------------------------------- what is missing











_KIND_WORDS = {
    "triggers": "trigger", "events": "event", "routines": "stored routine",
    "user_defined_functions": "user-defined function",
}


def _visibility_gap(facts: Mapping[str, Any], kind: str) -> str | None:
    """None when the account saw every object of this kind; else a sentence naming what is missing."""
    entry = _map(_map(facts.get("object_visibility")).get(kind))
    word = _KIND_WORDS.get(kind, kind)
    if not entry:
        return f"the facts do not say whether the account sees every {word} (no object_visibility.{kind})"
    complete = entry.get("complete")
    if complete is True:
        return None
    if complete is False:
        missing = entry.get("missing_privilege") or "a privilege"
        return f"the account cannot see every {word}: it lacks {missing}"
    return (f"could not tell whether the account sees every {word} (role-based or unreadable grants);"
            f" run again with an account that holds the privilege directly")


# ---------------------------------------------------------------------------- checks


class _Check:
    def __init__(self, id: str, title: str, severity: Severity, docs: str | None = None) -> None:
        self.id, self.title, self.severity = id, title, severity
        self.docs = docs or _spec_docs(id)

    def result(self, status: Status, detail: str, *, objects: Iterable[str] = (), remediation: str = "",
               severity: Severity | None = None, docs: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "severity": severity or self.severity, "status": status,
            "objects": list(objects), "detail": detail, "remediation": remediation if status == "fail" else "",
            "docs": docs or self.docs,
        }

    def passed(self, detail: str) -> dict[str, Any]:
        return self.result("pass", detail)

    def skipped(self, detail: str) -> dict[str, Any]:
        return self.result("skipped", detail)


def _platform(facts: Mapping[str, Any]) -> str:
    return str(_map(facts.get("server")).get("platform") or "self-managed")


def _is_mariadb(facts: Mapping[str, Any]) -> bool:
    server = _map(facts.get("server"))
    if str(server.get("flavor") or "") in MARIADB_FLAVORS:
        return True
    text = f"{server.get('version') or ''} {server.get('version_comment') or ''}"
    text += f" {_map(facts.get('variables')).get('version') or ''}"
    return "mariadb" in text.lower()


def _version(facts: Mapping[str, Any]) -> tuple[int, int, int] | None:
    server = _map(facts.get("server"))
    parts = _seq(server.get("version_tuple"))
    if len(parts) >= 2 and all(isinstance(p, int) for p in parts):
        return (parts[0], parts[1], parts[2] if len(parts) > 2 else 0)
    text = str(server.get("version") or _map(facts.get("variables")).get("version") or "")
    numbers = []
    for piece in text.split("-", 1)[0].split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        numbers.append(int(digits))
    if len(numbers) < 2:
        return None
    return (numbers[0], numbers[1], numbers[2] if len(numbers) > 2 else 0)


def _docs_for_platform(facts: Mapping[str, Any]) -> str:
    return {"rds": DOCS_RDS, "aurora": DOCS_AURORA}.get(_platform(facts), DOCS_IMPORTS)


def _set_settings(facts: Mapping[str, Any], settings: Mapping[str, str], *, restart: bool = False) -> str:
    """How to change server settings on this platform: the SET, the parameter group, the flags."""
    platform = _platform(facts)
    pairs = ", ".join(f"{name} = {value}" for name, value in settings.items())
    if platform == "rds":
        return (f"In the DB instance's custom DB parameter group (the default group cannot be edited) set {pairs};"
                " apply it to the instance and reboot it if a parameter is static.")
    if platform == "aurora":
        return (f"In the Aurora DB cluster parameter group set {pairs}; apply it to the cluster and reboot the"
                " writer instance.")
    if platform == "cloudsql":
        flags = ",".join(f"{name}={value}" for name, value in settings.items())
        return f"Set the database flags: gcloud sql instances patch INSTANCE --database-flags={flags}"
    if platform == "azure":
        return "; ".join(f"az mysql flexible-server parameter set --resource-group RG --server-name SERVER"
                         f" --name {name} --value {value}" for name, value in settings.items())
    if platform in ("digitalocean", "tidb-cloud", "planetscale", "vitess"):
        return f"Ask the provider (or use its control panel) to set {pairs}."
    option_file = "add " + ", ".join(f"`{name} = {value}`" for name, value in settings.items()) + \
        " under [mysqld] in the server's option file"
    if restart:
        return f"{option_file[0].upper()}{option_file[1:]} and restart the server."
    version = _version(facts)
    if not _is_mariadb(facts) and version is not None and version >= (8, 0, 0):
        sets = " ".join(f"SET PERSIST {name} = {_sql_value(value)};" for name, value in settings.items())
        return f"{sets} (SET PERSIST also writes mysqld-auto.cnf, so it survives a restart)."
    sets = " ".join(f"SET GLOBAL {name} = {_sql_value(value)};" for name, value in settings.items())
    return f"{sets} Then {option_file} so it survives a restart."


def _sql_value(value: str) -> str:
    return value if value.replace(".", "", 1).isdigit() or value.upper() in ("ON", "OFF") else f"'{value}'"


def _needs_variables(facts: Mapping[str, Any]) -> Mapping[str, Any] | None:
    variables = facts.get("variables")
    return variables if isinstance(variables, Mapping) else None


def check_binlog_enabled(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("binlog_enabled", "Binary logging is on (log_bin)", "blocker")
    variables = _needs_variables(facts)
    if variables is None:
        return check.skipped(_why_absent(facts, "variables", "variables"))
    value = variables.get("log_bin")
    if value is None:
        return check.result("fail", "the server has no log_bin variable: binary logging cannot be confirmed",
                            remediation=_enable_binlog(facts), docs=_docs_for_platform(facts))
    if _on(value):
        return check.passed(f"log_bin = {value}")
    return check.result("fail", f"log_bin = {value}: the import replicates from the binary log, so it must be on",
                        remediation=_enable_binlog(facts), docs=_docs_for_platform(facts))


def _enable_binlog(facts: Mapping[str, Any]) -> str:
    platform = _platform(facts)
    if platform == "rds":
        return ("Turn on automated backups (a backup retention period of 1 day or more) for the DB instance:"
                " RDS for MySQL writes binary logs only then.")
    if platform == "aurora":
        return ("In the Aurora DB cluster parameter group set binlog_format = ROW and reboot the writer instance:"
                " Aurora MySQL writes binary logs only when binlog_format is set.")
    if platform == "cloudsql":
        return "Enable point-in-time recovery on the instance: Cloud SQL writes binary logs only then."
    if _is_mariadb(facts):
        return ("Add `log_bin = mysql-bin` and a unique `server_id` under [mysqld] in the option file and restart"
                " the server (log_bin cannot be changed at runtime).")
    return ("Remove `skip-log-bin` / `disable-log-bin` from the option file (MySQL 8 logs by default; on 5.7 add"
            " `log_bin = mysql-bin` and a unique `server_id`) and restart the server: log_bin cannot be changed"
            " at runtime.")


def _gtid_check(facts: Mapping[str, Any], check: _Check, variable: str) -> dict[str, Any]:
    variables = _needs_variables(facts)
    if variables is None:
        return check.skipped(_why_absent(facts, "variables", "variables"))
    if _is_mariadb(facts):
        return check.result(
            "not_applicable",
            f"MariaDB has no {variable} (its GTIDs are gtid_domain_id-server_id-sequence); PlanetScale's MariaDB"
            " migration guide leaves the GTID settings out", docs=DOCS_MARIADB)
    value = variables.get(variable)
    if value is None:
        return check.result("fail", f"the server has no {variable} variable (MySQL before 5.6 has no GTIDs)",
                            remediation="Upgrade to MySQL 5.7 or 8.0 and turn GTIDs on.",
                            docs=_docs_for_platform(facts))
    if str(value).strip().upper() == "ON":
        return check.passed(f"{variable} = {value}")
    return check.result("fail", f"{variable} = {value}: the import needs GTID-based replication",
                        remediation=_enable_gtid(facts), docs=_docs_for_platform(facts))


def _enable_gtid(facts: Mapping[str, Any]) -> str:
    if _platform(facts) in ("rds", "aurora", "cloudsql", "azure", "digitalocean"):
        return _set_settings(facts, {"enforce_gtid_consistency": "ON", "gtid_mode": "ON"})
    return ("Online, in this order (wait until the status variable Ongoing_anonymous_transaction_count is 0 before"
            " the last step): SET GLOBAL enforce_gtid_consistency = WARN; (check the error log for warnings)"
            " SET GLOBAL enforce_gtid_consistency = ON; SET GLOBAL gtid_mode = OFF_PERMISSIVE;"
            " SET GLOBAL gtid_mode = ON_PERMISSIVE; SET GLOBAL gtid_mode = ON; then add `gtid_mode = ON` and"
            " `enforce_gtid_consistency = ON` under [mysqld] in the option file (or use SET PERSIST on MySQL 8).")


def check_gtid_mode(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _gtid_check(facts, _Check("gtid_mode", "GTIDs are on (gtid_mode = ON)", "blocker"),
                       "gtid_mode")


def check_enforce_gtid_consistency(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _gtid_check(facts, _Check("enforce_gtid_consistency", "enforce_gtid_consistency = ON", "blocker"),
                       "enforce_gtid_consistency")


def check_binlog_format(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("binlog_format", "Binary log format is ROW", "blocker")
    variables = _needs_variables(facts)
    if variables is None:
        return check.skipped(_why_absent(facts, "variables", "variables"))
    value = variables.get("binlog_format")
    if str(value or "").upper() == "ROW":
        return check.passed(f"binlog_format = {value}")
    return check.result("fail", f"binlog_format = {value}: the import reads row events only",
                        remediation=_set_settings(facts, {"binlog_format": "ROW"}) +
                        " Sessions opened before the change keep the old format: reconnect the applications.",
                        docs=_docs_for_platform(facts))


def check_binlog_row_image(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("binlog_row_image", "Binary log row image is FULL", "blocker")
    variables = _needs_variables(facts)
    if variables is None:
        return check.skipped(_why_absent(facts, "variables", "variables"))
    value = variables.get("binlog_row_image")
    if value is None:
        return check.passed("no binlog_row_image variable: servers before it (MySQL 5.5, MariaDB 10.1.5) always log"
                            " full row images")
    if str(value).upper() == "FULL":
        return check.passed(f"binlog_row_image = {value}")
    return check.result("fail", f"binlog_row_image = {value}: the import needs every column of every changed row",
                        remediation=_set_settings(facts, {"binlog_row_image": "FULL"}),
                        docs=_docs_for_platform(facts))


def check_binlog_retention(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("binlog_retention", f"Binary logs are kept more than {MIN_RETENTION_HOURS} hours", "blocker")
    platform = _platform(facts)
    if platform in ("rds", "aurora"):
        return _rds_retention(check, facts, platform)
    variables = _needs_variables(facts)
    if variables is None:
        return check.skipped(_why_absent(facts, "variables", "variables"))
    seconds_text, days_text = variables.get("binlog_expire_logs_seconds"), variables.get("expire_logs_days")
    seconds, days = as_number(seconds_text), as_number(days_text)
    if seconds is None and days is None:
        return check.skipped("the server has neither binlog_expire_logs_seconds nor expire_logs_days")
    auto_purge = variables.get("binlog_expire_logs_auto_purge")
    if auto_purge is not None and not _on(auto_purge):
        return check.passed("binlog_expire_logs_auto_purge = OFF: binary logs are never purged automatically;"
                            " nothing may purge them by hand during the import, and the disk must hold them")
    # MySQL 8: a non-zero binlog_expire_logs_seconds wins; MariaDB 10.6+: the two are aliases
    if seconds:
        effective, source = seconds, f"binlog_expire_logs_seconds = {seconds_text}"
    elif days:
        effective, source = days * 86400, f"expire_logs_days = {days_text}"
    else:
        names = " and ".join(n for n, v in (("binlog_expire_logs_seconds", seconds), ("expire_logs_days", days))
                             if v is not None)
        return check.passed(f"{names} = 0: binary logs are never purged automatically; nothing may purge them by"
                            " hand during the import, and the disk must hold them")
    hours = effective / 3600
    if hours > MIN_RETENTION_HOURS:
        return check.passed(f"{source}: binary logs are kept {hours:g} hours")
    found = (f"{source}: binary logs are purged after {hours:g} hours; the import checks for more than"
             f" {MIN_RETENTION_HOURS} hours (expire_logs_days > 2 or binlog_expire_logs_seconds > 172800)")
    if platform == "digitalocean":
        return check.result(
            "fail", found + f"; DigitalOcean accepts at most binlog_expire_logs_seconds = "
            f"{DIGITALOCEAN_MAX_RETENTION_SECONDS} (24 hours)",
            remediation=f"Set binlog_expire_logs_seconds = {DIGITALOCEAN_MAX_RETENTION_SECONDS} (DigitalOcean's"
            " maximum) in the cluster's MySQL configuration, and plan the import with PlanetScale: the import"
            " must copy the data and catch up within those 24 hours, or be arranged with PlanetScale support.")
    days = MIN_RETENTION_HOURS // 24 + 1  # 3 days: the troubleshooting page's suggestion, more than 48 hours
    version = _version(facts)
    if _is_mariadb(facts):
        setting = {"binlog_expire_logs_seconds": str(days * 86400)} if version and version >= (
            10, 6, 1) else {"expire_logs_days": str(days)}
    elif version is not None and version >= (8, 0, 1):
        setting = {"binlog_expire_logs_seconds": str(days * 86400)}
    else:
        setting = {"expire_logs_days": str(days)}
    return check.result(
        "fail", found, remediation=_set_settings(facts, setting) + " Make sure the disk can hold that much binary log.",
        docs=_docs_for_platform(facts))


def _rds_retention(check: _Check, facts: Mapping[str, Any], platform: str) -> dict[str, Any]:
    docs = DOCS_AURORA if platform == "aurora" else DOCS_RDS
    name = "Aurora" if platform == "aurora" else "RDS"
    config = facts.get("rds_configuration")
    if not isinstance(config, Mapping):
        return check.result("skipped", f"on {name} the retention is `binlog retention hours` from CALL"
                            " mysql.rds_show_configuration, and " +
                            _why_absent(facts, "rds_configuration", "rds_configuration") +
                            _parameter_group_note(facts), docs=docs)
    remediation = (f"CALL mysql.rds_set_configuration('binlog retention hours', {MIN_RETENTION_HOURS});"
                   " (as the master user; make sure the storage can hold that much binary log)")
    if "binlog retention hours" not in config:
        return check.result("skipped", "CALL mysql.rds_show_configuration returned no `binlog retention hours`",
                            docs=docs)
    value = config.get("binlog retention hours")
    if value is None:
        return check.result("fail", f"binlog retention hours is NULL: {name} purges binary logs as soon as it can"
                            " (within minutes), so the import cannot catch up", remediation=remediation, docs=docs)
    hours = as_number(value)
    if hours is None:
        return check.result("skipped", f"binlog retention hours = {value!r} is not a number", docs=docs)
    if hours >= MIN_RETENTION_HOURS:
        return check.result("pass", f"binlog retention hours = {value}", docs=docs)
    return check.result("fail", f"binlog retention hours = {value}: fewer than {MIN_RETENTION_HOURS}",
                        remediation=remediation, docs=docs)


def _parameter_group_note(facts: Mapping[str, Any]) -> str:
    """What the DB parameter group read from AWS (cloud.json, collectors/aws.py) says where SQL could not read the
    retention: its binary log settings, and that the retention itself is not among them."""
    cloud = facts.get("cloud")
    group = cloud.get("parameter_group") if isinstance(cloud, Mapping) else None
    if not isinstance(group, Mapping):
        return ""
    values: Mapping[str, Any] = group["values"] if isinstance(group.get("values"), Mapping) else {}
    shown = ", ".join(f"{k} = {v}" for k, v in sorted(values.items()) if v is not None)
    return (f"; the DB parameter group {group.get('name')} (read from AWS: rds:DescribeDBParameters) does not hold"
            " the retention, RDS keeps it only there" + (f"; it sets {shown}" if shown else "") +
            ": grant EXECUTE ON PROCEDURE mysql.rds_show_configuration to read it")


def _sql_modes(value: str) -> list[str]:
    return [m.strip().upper() for m in value.split(",") if m.strip()]


def check_sql_mode(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("sql_mode", "sql_mode has NO_ZERO_IN_DATE, NO_ZERO_DATE and ONLY_FULL_GROUP_BY, and neither"
                   " ANSI_QUOTES nor PIPES_AS_CONCAT", "blocker")
    variables = _needs_variables(facts)
    if variables is None:
        return check.skipped(_why_absent(facts, "variables", "variables"))
    value = variables.get("sql_mode")
    if value is None:
        return check.skipped("the server's variables have no sql_mode")
    modes = _sql_modes(str(value))
    effective = set(modes)
    for mode in modes:
        effective.update(_COMBINATION_MODES.get(mode, ()))
    if "TRADITIONAL" in effective:
        effective.update(("NO_ZERO_IN_DATE", "NO_ZERO_DATE"))
    missing = [m for m in REQUIRED_SQL_MODES if m not in effective]
    unsupported = [m for m in UNSUPPORTED_SQL_MODES if m in effective]
    shown = str(value) or "(empty)"
    if not missing and not unsupported:
        return check.passed(f"sql_mode = {shown}")
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unsupported:
        problems.append("unsupported " + ", ".join(unsupported))
    kept = [m for m in modes if m not in UNSUPPORTED_SQL_MODES and m not in _COMBINATION_MODES]
    wanted = ",".join(kept + [m for m in REQUIRED_SQL_MODES if m not in kept])
    remediation = _set_settings(facts, {"sql_mode": wanted})
    if missing:
        remediation += (" Before that, look for zero dates ('0000-00-00', or a zero month or day) in DATE/DATETIME"
                        " columns and test the application's GROUP BY queries under ONLY_FULL_GROUP_BY.")
    if unsupported:
        remediation += (" Rewrite queries that quote identifiers with double quotes or concatenate with || (use"
                        " backticks and CONCAT()).")
    return check.result("fail", f"sql_mode = {shown}: " + "; ".join(problems), remediation=remediation)


def check_mysql_version(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("mysql_version", "Server version is a documented import source (MySQL 5.7-8.0, or MariaDB)",
                   "blocker")
    server = _map(facts.get("server"))
    version_text = str(server.get("version") or _map(facts.get("variables")).get("version") or "")
    if not version_text:
        return check.skipped(_why_absent(facts, "server", "variables"))
    flavor = str(server.get("flavor") or "")
    if _is_mariadb(facts):
        return check.result(
            "fail", f"MariaDB {version_text}: the import tool accepts MariaDB; follow PlanetScale's MariaDB migration"
            " guide (tested on MariaDB 10.6): set binlog_format, log_bin and sql_mode, and leave the GTID settings"
            " out. MariaDB-only objects are listed by mariadb_features.",
            severity="notice", docs=DOCS_MARIADB,
            remediation="Prepare the server as PlanetScale's MariaDB migration guide says before starting the import.")
    if flavor in NOT_MYSQL_FLAVORS:
        return check.result("fail", f"{flavor} {version_text}: not a MySQL server; the import tool needs MySQL 5.7-8.0",
                            remediation="Plan the move with PlanetScale (dump and load, or an intermediate MySQL"
                            " 8.0 server).")
    version = _version(facts)
    if version is None:
        return check.skipped(f"could not read a version number from {version_text!r}")
    if (5, 7) <= version[:2] <= (8, 0):
        return check.passed(f"{version_text}: within the documented 5.7-8.0 range")
    if version[:2] < (5, 7):
        return check.result("fail", f"{version_text}: older than 5.7, the oldest documented import source",
                            remediation="Upgrade the server (or a replica of it) to MySQL 8.0 and import from that.")
    return check.result(
        "fail", f"{version_text}: newer than 8.0. The import documentation lists 5.7-8.0 sources; 8.4 (and the 8.1-8.3"
        " innovation releases) removed statements older tools use (SHOW MASTER STATUS, SHOW SLAVE STATUS) and"
        " changed defaults (mysql_native_password off), so confirm with PlanetScale that the import tool accepts"
        " this version before planning on it.",
        severity="warning",
        remediation="Confirm with PlanetScale support that this version is accepted as an import source; if it is"
        " not, import from a MySQL 8.0 replica of this server or use dump and load.")


# ------------------------------------------------------------------------- inventory-based rules


def _table_rule(facts: Mapping[str, Any], check: _Check, key: str, collectors: tuple[str, ...],
                offends: Any) -> tuple[dict[str, Any] | None, list[str], list[str]]:
    """(early result, offending dotted names, caveats) for a rule over tables[] entries carrying `key`."""
    tables = _tables(facts)
    if "tables" not in facts:
        return check.skipped(_why_absent(facts, "tables", *collectors)), [], []
    known = [t for t in tables if key in t]
    unknown = [t for t in tables if key not in t]
    if tables and not known and not _inventory_gaps(facts):
        return check.skipped(_why_absent(facts, f"tables[].{key}", *collectors)), [], []
    offenders = [_dotted(t) for t in known if offends(t)]
    caveats = []
    if unknown:
        names = _shown(sorted(_dotted(t) for t in unknown))
        caveats.append(f"{_plural(len(unknown), 'table')} not inventoried ({names})")
    caveats.extend(_inventory_gaps(facts))
    return None, sorted(offenders), caveats


def _finish(check: _Check, offenders: list[str], caveats: list[str], *, found: str, none: str, remediation: str,
            extra: str = "") -> dict[str, Any]:
    """fail with the offenders; pass when none and nothing was missed; skipped when none but something was."""
    caveat = "; ".join(caveats)
    if offenders:
        detail = f"{found}: {_shown(offenders)}" + (f". {extra}" if extra else "")
        if caveat:
            detail += f". The list may be incomplete: {caveat}"
        return check.result("fail", detail, objects=offenders, remediation=remediation)
    if caveat:
        return check.skipped(f"none found among what was read, but {caveat}")
    return check.passed(none)


def check_unique_key(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("unique_key", "Every table has a usable unique key", "blocker")
    early, offenders, caveats = _table_rule(facts, check, "unique_key", ("inventory",),
                                            lambda t: t.get("unique_key") is None)
    if early:
        return early
    example = _qualified(offenders[0], facts) if offenders else "`schema`.`table`"
    return _finish(
        check, offenders, caveats,
        found=f"{_plural(len(offenders), 'table')} without a PRIMARY or UNIQUE key whose columns are all NOT NULL,"
              " none TEXT/BLOB, none a prefix",
        none="every table has a qualifying PRIMARY or UNIQUE key",
        remediation=f"Give each listed table a primary key, e.g. ALTER TABLE {example} ADD COLUMN id BIGINT"
                    " UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY; or make an existing unique key qualify"
                    f" (ALTER TABLE {example} MODIFY the key's columns NOT NULL, drop prefix lengths).")


def check_float_primary_key(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("float_primary_key", "No FLOAT/DOUBLE column in a primary key", "notice")
    early, tables, caveats = _table_rule(facts, check, "float_primary_key", ("inventory",),
                                         lambda t: bool(_seq(t.get("float_primary_key"))))
    if early:
        return early
    by_name = {_dotted(t): t for t in _tables(facts)}
    columns = sorted(f"{name}.{c}" for name in tables for c in _seq(by_name[name].get("float_primary_key")))
    example = _qualified(tables[0], facts) if tables else "`schema`.`table`"
    return _finish(
        check, columns, caveats,
        found=f"{_plural(len(columns), 'primary-key column')} of type FLOAT/DOUBLE (approximate values: rows cannot"
              " be matched reliably while the import copies and replicates)",
        none="no primary key has a FLOAT/DOUBLE column",
        remediation=f"Change the column to DECIMAL (ALTER TABLE {example} MODIFY col DECIMAL(p,s) NOT NULL) or key the"
                    " table on another column.")


def check_storage_engine(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("storage_engine", "Every table uses InnoDB", "blocker")
    early, offenders, caveats = _table_rule(
        facts, check, "engine", ("table_sizes", "inventory"),
        lambda t: bool(t.get("engine")) and str(t.get("engine")).lower() != "innodb")
    if early:
        return early
    by_name = {_dotted(t): t for t in _tables(facts)}
    engines = sorted({str(by_name[o].get("engine")) for o in offenders})
    example = _qualified(offenders[0], facts) if offenders else "`schema`.`table`"
    return _finish(check, offenders, [c for c in caveats if not c.startswith("the inventory") and
                                      not c.startswith("schemas not read")],
                   found=f"{_plural(len(offenders), 'table')} not on InnoDB ({', '.join(engines)})",
                   none="every table uses InnoDB",
                   remediation=f"ALTER TABLE {example} ENGINE=InnoDB; for each listed table (check FULLTEXT/SPATIAL"
                               " indexes and row sizes first on MyISAM/Aria tables).")


def check_charset(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("charset", "Character sets are utf8/utf8mb3/utf8mb4/latin1/ascii", "blocker")
    objects = facts.get("objects")
    if not isinstance(objects, Mapping):
        return check.skipped(_why_absent(facts, "objects", "inventory"))
    found = [e for key in ("unsupported_charset_tables", "unsupported_charset_columns")
             for e in _seq(objects.get(key)) if isinstance(e, Mapping)]
    offenders = sorted(str(e.get("name")) for e in found)
    charsets = sorted({str(e.get("charset")) for e in found})
    tables = sorted({str(e.get("name")) for e in _seq(objects.get("unsupported_charset_tables"))
                     if isinstance(e, Mapping)})
    example = _qualified(tables[0], facts) if tables else (
        _qualified(offenders[0].rsplit(".", 1)[0], facts) if offenders else "`schema`.`table`")
    return _finish(check, offenders, _inventory_gaps(facts),
                   found=f"{_plural(len(offenders), 'table or column', 'tables or columns')} in {', '.join(charsets)}",
                   none="every table and column uses a supported character set (binary strings are fine)",
                   remediation=f"ALTER TABLE {example} CONVERT TO CHARACTER SET utf8mb4; for each listed table (for a"
                               " column: ALTER TABLE ... MODIFY col ... CHARACTER SET utf8mb4); check first that the"
                               " data converts without loss.")


def _objects_rule(facts: Mapping[str, Any], check: _Check, key: str, visibility: str | None,
                  names: Any, *, found: str, none: str, remediation: str, extra: Any = None) -> dict[str, Any]:
    objects = facts.get("objects")
    if not isinstance(objects, Mapping) or key not in objects:
        reason = _map(_map(facts.get("inventory")).get("not_checked")).get(key)  # e.g. not in a mysqldump sample
        return check.skipped(f"the inventory did not read them: {reason}" if reason
                             else _why_absent(facts, f"objects.{key}", "inventory"))
    offenders = sorted(names(e) for e in _seq(objects.get(key)))
    caveats = _inventory_gaps(facts)
    if visibility is not None:
        gap = _visibility_gap(facts, visibility)
        if gap is not None:
            caveats.insert(0, gap)
    found = found.format(n=len(offenders), s="" if len(offenders) == 1 else "s")
    return _finish(check, offenders, caveats, found=found, none=none, remediation=remediation,
                   extra=extra(objects) if extra else "")


def _name(entry: Any) -> str:
    return str(entry.get("name")) if isinstance(entry, Mapping) else str(entry)


def check_non_ascii_identifiers(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("non_ascii_identifiers", "Names are ASCII, and table names only letters, digits, _ and $",
                   "blocker")
    objects = facts.get("objects")
    if not isinstance(objects, Mapping) or "non_ascii_identifiers" not in objects:
        return check.skipped(_why_absent(facts, "objects.non_ascii_identifiers", "inventory"))
    offenders = {_name(e) for e in _seq(objects.get("non_ascii_identifiers"))}
    # ASCII punctuation (a `-`, a space, a dot) in a table name fails the import as well
    punctuated = {_dotted(t) for t in _tables(facts)
                  if str(t.get("name")).isascii() and not PLAIN_NAME.fullmatch(str(t.get("name")))}
    found = sorted(offenders | punctuated)
    extra = (f"{_plural(len(punctuated), 'table name')} with characters other than letters, digits, _ and $:"
             f" {_shown(sorted(punctuated))}") if punctuated else ""
    return _finish(check, found, _inventory_gaps(facts),
                   found=f"{_plural(len(found), 'name')} the import cannot take (non-ASCII, or punctuation in a"
                         " table name)",
                   none="every schema, table and column name is ASCII, and table names are letters, digits, _ and $",
                   extra=extra,
                   remediation="Rename them before the import (RENAME TABLE `s`.`tablé` TO `s`.`table`; RENAME TABLE"
                               " `s`.`special-table` TO `s`.`special_table`; ALTER TABLE ... RENAME COLUMN `prix_é` TO"
                               " `prix_e`;) and update the application's queries.")


def check_stored_routines(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _objects_rule(
        facts, _Check("stored_routines", "No stored procedures or functions", "warning"),
        "routines", "routines", _name,
        found="{n} stored procedure{s}/function{s} (PlanetScale does not support stored routines)",
        none="no stored procedures or functions",
        remediation="Move the logic into the application and change the callers before the cut-over: PlanetScale"
                    " does not support stored routines, so they cannot be recreated after the import.")


def check_triggers(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _objects_rule(
        facts, _Check("triggers", "No triggers", "warning"),
        "triggers", "triggers", _name,
        found="{n} trigger{s} (PlanetScale does not run them; writes after the cut-over would skip their effects)",
        none="no triggers",
        remediation="Move what the triggers do into the application before the cut-over, then DROP TRIGGER them:"
                    " PlanetScale does not support triggers, so they cannot be recreated after the import.")


def check_events(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _objects_rule(
        facts, _Check("events", "No scheduled events", "warning"),
        "events", "events", _name,
        found="{n} scheduled event{s} (PlanetScale does not run scheduled events)",
        none="no scheduled events",
        remediation="Run the jobs from a scheduler outside the database (cron, the application's job runner) and"
                    " ALTER EVENT ... DISABLE; them before the cut-over.")


def check_views(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _objects_rule(
        facts, _Check("views", "No views", "warning"),
        "views", None, _name,
        found="{n} view{s} (the import does not copy them)",
        none="no views",
        remediation="Recreate the views by hand after the import (SHOW CREATE VIEW on the source gives the"
                    " statement; drop DEFINER and SQL SECURITY clauses).")


def check_foreign_keys(facts: Mapping[str, Any]) -> dict[str, Any]:
    def cascades(objects: Mapping[str, Any]) -> str:
        relations = []
        for fk in _seq(objects.get("foreign_keys")):
            if not isinstance(fk, Mapping):
                continue
            actions = [f"ON {what.upper()} {fk.get(f'on_{what}')}" for what in ("delete", "update")
                       if str(fk.get(f"on_{what}") or "").upper() in ("CASCADE", "SET NULL")]
            if actions:
                relations.append(f"{fk.get('name')} ({fk.get('table')} -> {fk.get('references')} {', '.join(actions)})")
        conditions = ("Supported with conditions: the PlanetScale database stays unsharded, the whole database is"
                      " imported at once, an interrupted import cannot be resumed (it restarts), and the import"
                      " should read from a replica")
        if not relations:
            return conditions
        return (conditions + f". {_plural(len(relations), 'relation')} cascade (their changes are not in the binary"
                " log): " + "; ".join(sorted(relations)))

    return _objects_rule(
        facts, _Check("foreign_keys", "Foreign key constraints", "warning"),
        "foreign_keys", None, _name,
        found="{n} foreign key constraint{s}",
        none="no foreign key constraints",
        remediation="Enable foreign key constraint support for the PlanetScale database before the import and meet"
                    " its conditions, or drop the constraints (ALTER TABLE ... DROP FOREIGN KEY ...) and enforce the"
                    " relations in the application.",
        extra=cascades)


def check_partitioning(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("partitioning", "Partitioning is RANGE, HASH or KEY, without subpartitions", "blocker")

    def bad(table: Mapping[str, Any]) -> bool:
        method = table.get("partition_method")
        unsupported = method is not None and str(method).upper() not in SUPPORTED_PARTITION_METHODS
        return unsupported or table.get("subpartition_method") is not None

    early, offenders, caveats = _table_rule(facts, check, "partition_method", ("inventory",), bad)
    if early:
        return early
    by_name = {_dotted(t): t for t in _tables(facts)}
    kinds = []
    for name in offenders:
        entry = by_name[name]
        sub = entry.get("subpartition_method")
        kinds.append(f"{name} ({entry.get('partition_method')}" + (f", SUBPARTITION BY {sub})" if sub else ")"))
    example = _qualified(offenders[0], facts) if offenders else "`schema`.`table`"
    return _finish(check, offenders, caveats,
                   found=f"{_plural(len(offenders), 'table')} with LIST partitioning or subpartitions",
                   none="no LIST partitioning and no subpartitions",
                   extra="; ".join(kinds),
                   remediation=f"ALTER TABLE {example} REMOVE PARTITIONING; or re-partition it BY RANGE, HASH or KEY"
                               " without subpartitions.")


def check_table_count(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("table_count", f"At most {MAX_TABLES_PER_SCHEMA} tables and views per schema", "blocker")
    counts: dict[str, int] = {}
    schemas = [s for s in _seq(facts.get("schemas")) if isinstance(s, Mapping)]
    caveats: list[str] = []
    if schemas:
        for entry in schemas:
            counts[str(entry.get("name"))] = as_int(entry.get("tables"), 0) + as_int(entry.get("views"), 0)
    elif "tables" in facts and isinstance(_map(facts.get("objects")).get("views"), list):
        for table in _tables(facts):
            counts[str(table.get("schema"))] = counts.get(str(table.get("schema")), 0) + 1
        for view in _seq(_map(facts.get("objects")).get("views")):
            schema, _ = _split_table(str(view), facts)
            counts[schema] = counts.get(schema, 0) + 1
        caveats = _inventory_gaps(facts)
    else:
        return check.skipped(_why_absent(facts, "schemas", "schema_inventory", "inventory"))
    offenders = sorted(s for s, n in counts.items() if n > MAX_TABLES_PER_SCHEMA)
    return _finish(check, offenders, caveats,
                   found=f"{_plural(len(offenders), 'schema')} with more than {MAX_TABLES_PER_SCHEMA} tables and views",
                   extra=", ".join(f"{s}: {counts[s]}" for s in offenders),
                   none=f"no schema has more than {MAX_TABLES_PER_SCHEMA} tables and views"
                        f" (largest: {max(counts.values(), default=0)})",
                   remediation="Split the schema (move groups of tables to separate schemas, imported as separate"
                               " PlanetScale databases or keyspaces), or drop unused tables; talk to PlanetScale"
                               " about the limit.")


def check_column_count(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("column_count", f"At most {MAX_COLUMNS} columns per table", "blocker")
    early, offenders, caveats = _table_rule(facts, check, "columns", ("inventory",),
                                            lambda t: as_int(t.get("columns"), 0) > MAX_COLUMNS)
    if early:
        return early
    by_name = {_dotted(t): t for t in _tables(facts)}
    example = _qualified(offenders[0], facts) if offenders else "`schema`.`table`"
    return _finish(check, offenders, caveats,
                   found=f"{_plural(len(offenders), 'table')} wider than InnoDB's {MAX_COLUMNS} columns",
                   extra=", ".join(f"{o}: {by_name[o].get('columns')} columns" for o in offenders),
                   none=f"no table has more than {MAX_COLUMNS} columns",
                   remediation=f"Split {example} (and any other listed table) into tables of at most {MAX_COLUMNS}"
                               " columns sharing the primary key.")


def check_database_size(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("database_size", "Schema size below ~250 GB (above it, PlanetScale recommends sharding)",
                   "notice")
    sizes: dict[str, int] = {}
    # a schema whose size is not known (null: --read-samples without table-sizes) is never counted as 0 bytes
    schemas = [s for s in _seq(facts.get("schemas")) if isinstance(s, Mapping) and s.get("data_bytes") is not None]
    if schemas:
        for entry in schemas:
            sizes[str(entry.get("name"))] = as_int(entry.get("data_bytes"), 0) + as_int(entry.get("index_bytes"), 0)
    elif "tables" in facts and any("data_bytes" in t for t in _tables(facts)):
        for table in _tables(facts):
            schema = str(table.get("schema"))
            sizes[schema] = sizes.get(schema, 0) + as_int(table.get("data_bytes"), 0) + as_int(
                table.get("index_bytes"), 0)
    else:
        return check.skipped(_why_absent(facts, "schemas", "schema_inventory", "table_sizes"))
    total = sum(sizes.values())
    offenders = sorted(s for s, n in sizes.items() if n > SHARDING_BYTES)
    if not offenders:
        return check.passed(f"{_gib(total)} of data and indexes in all; no schema above {_gib(SHARDING_BYTES)}")
    return check.result(
        "fail", f"{_plural(len(offenders), 'schema')} above {_gib(SHARDING_BYTES)}: "
        + ", ".join(f"{s}: {_gib(sizes[s])}" for s in offenders) + f" ({_gib(total)} in all)",
        objects=offenders,
        remediation="Plan sharding with PlanetScale: pick sharding keys for the largest tables before the import;"
                    " an unsharded import of this size still works but takes longer.")


def check_user_defined_functions(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _objects_rule(
        facts, _Check("user_defined_functions", "No user-defined (loadable) functions", "warning"),
        "user_defined_functions", "user_defined_functions", _name,
        found="{n} user-defined function{s} from plugins (mysql.func); PlanetScale cannot load them",
        none="no user-defined functions",
        remediation="Replace calls to them in the application and in views/routines with built-in functions or"
                    " application code.")


# ------------------------------------------------------------------------- rules from issue 15


def _user_schemas(facts: Mapping[str, Any]) -> list[str] | None:
    """The schemas an import would move (system schemas left out); None when the facts do not say."""
    names: set[str] = set()
    if isinstance(facts.get("databases"), list):
        names = {str(d) for d in _seq(facts.get("databases"))}
    elif isinstance(facts.get("schemas"), list):
        names = {str(s.get("name")) for s in _seq(facts.get("schemas")) if isinstance(s, Mapping)}
    else:
        return None
    return sorted(n for n in names if n.lower() not in SYSTEM_SCHEMAS)


def check_time_zone(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("time_zone", "The server's time zone is UTC", "warning")
    variables = _needs_variables(facts)
    if variables is None:
        return check.skipped(_why_absent(facts, "variables", "variables"))
    zone = str(variables.get("time_zone") or "").strip()
    if not zone:
        return check.skipped("the server's variables have no time_zone")
    shown = f"time_zone = {zone}"
    if zone.upper() == "SYSTEM":
        system = str(variables.get("system_time_zone") or "").strip()
        if not system:
            return check.skipped("time_zone = SYSTEM and the variables have no system_time_zone")
        zone, shown = system, f"time_zone = SYSTEM, system_time_zone = {system}"
    if zone.upper() in UTC_ZONES:
        return check.passed(shown)
    return check.result(
        "fail", f"{shown}: PlanetScale runs in UTC, so NOW(), CURRENT_TIMESTAMP and DATETIME defaults will read"
        " differently after the cut-over",
        remediation="Check which columns hold local times (DATETIME filled by NOW() or by the application) and how the"
        " application reads them; convert them or set the session time zone in the application's connections"
        " (SET time_zone = ...) before the cut-over.")


def check_empty_schemas(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("empty_schemas", "Every schema to import has a table", "warning")
    schemas = [s for s in _seq(facts.get("schemas")) if isinstance(s, Mapping)]
    if schemas:
        counts = {str(s.get("name")): as_int(s.get("tables"), 0) for s in schemas}
    elif "tables" in facts and _user_schemas(facts) is not None:
        counts = dict.fromkeys(_user_schemas(facts) or [], 0)
        for table in _tables(facts):
            counts[str(table.get("schema"))] = counts.get(str(table.get("schema")), 0) + 1
    else:
        return check.skipped(_why_absent(facts, "schemas", "schema_inventory", "inventory"))
    empty = sorted(n for n, c in counts.items() if c == 0 and n.lower() not in SYSTEM_SCHEMAS)
    # a schema the inventory could not read (or a mysqldump sample left out) may be empty too: never "every"
    return _finish(check, empty, _inventory_gaps(facts),
                   found=f"{_plural(len(empty), 'schema')} without a table (an import of it has nothing to copy)",
                   none="every schema has at least one table",
                   remediation="Leave the empty schemas out of the import plan (import only schemas that hold"
                               " tables), or drop them if nothing uses them.")


def check_multiple_schemas(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("multiple_schemas", "One import per schema: how many this server means", "notice")
    schemas = _user_schemas(facts)
    if schemas is None:
        return check.skipped(_why_absent(facts, "databases", "databases"))
    if len(schemas) <= 1:
        return check.passed(f"{_plural(len(schemas), 'schema')} to import: one import at most")
    return check.result(
        "fail", f"{len(schemas)} schemas: the import tool moves one database per import, so this server means"
        f" {len(schemas)} imports (or fewer, if some schemas are left behind)", objects=schemas,
        remediation="Plan one PlanetScale database (one import) per schema, or merge schemas that the application"
        " uses together into one before the import.")


def check_large_tables(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("large_tables", "No table larger than a shard's 4 TB of disk", "notice")
    tables = [t for t in _tables(facts) if "data_bytes" in t]
    if not tables:
        return check.skipped(_why_absent(facts, "tables", "table_sizes", "inventory"))

    def size(table: Mapping[str, Any]) -> int:
        return as_int(table.get("data_bytes"), 0) + as_int(table.get("index_bytes"), 0)

    largest = max(tables, key=size)
    offenders = sorted(_dotted(t) for t in tables if size(t) > SHARD_DISK_BYTES)
    if not offenders:
        return check.passed(f"the largest table is {_dotted(largest)} ({_gib(size(largest))}); below the"
                            f" {_gib(SHARD_DISK_BYTES)} a shard's disk holds")
    by_name = {_dotted(t): t for t in tables}
    return check.result(
        "fail", f"{_plural(len(offenders), 'table')} above {_gib(SHARD_DISK_BYTES)}, more than one shard's disk: "
        + ", ".join(f"{o}: {_gib(size(by_name[o]))}" for o in offenders), objects=offenders,
        remediation="Plan sharding with PlanetScale before the import: a table this large must be spread over"
        " several shards (pick its sharding key), or archive old rows first.")


_PRIVATE_SUFFIXES = (".local", ".internal", ".lan", ".localdomain", ".intranet", ".corp", ".home.arpa")


def _private_host(host: str) -> str | None:
    """Why PlanetScale could not reach this host name as given; None when it may be public."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if not name:
        return None
    if name == "localhost":
        return "localhost"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if "." not in name:
            return "a host name without a domain"
        suffix = next((s for s in _PRIVATE_SUFFIXES if name.endswith(s)), None)
        return f"a private domain ({suffix})" if suffix else None
    if address.is_loopback:
        return "a loopback address"
    if address.is_private or address.is_link_local:
        return "a private address"
    return None


def check_reachability(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("reachability", "The import can reach the server from the internet", "notice")
    source = _map(facts.get("source"))
    via = str(source.get("via") or "")
    if not source or via == "read-samples":
        return check.skipped("the facts do not say how the server was reached (no source, or --read-samples)")
    host = str(source.get("host") or "")
    if via == "ssh":
        why = f"it was reached through SSH via {source.get('ssh_host')}"
    elif via == "socket" or (not host and source.get("socket")):
        why = "it was reached through a local socket"
    else:
        reason = _private_host(host)
        if reason is None:
            return check.passed(f"connected to {host}, which may be a public endpoint; the import connects from"
                                " PlanetScale's addresses, so allow them through the firewall")
        why = f"{host} is {reason}"
    return check.result(
        "fail", f"{why}: the import connects from PlanetScale to an internet-accessible server",
        remediation="Give the import a public endpoint (a public address or a load balancer with TLS, open only to"
        " PlanetScale's import IP addresses), or ask PlanetScale about a private connection method.")


IMPORT_GRANTS = ("PROCESS, REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.*",
                 "SELECT, INSERT, UPDATE, DELETE, LOCK TABLES, SHOW VIEW ON <DATABASE_NAME>.*",
                 "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER ON `ps\\_import\\_%`.*")


def check_import_account(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("import_account", "An account for the import with the documented grants", "notice")
    if "server" not in facts:
        return check.skipped(_why_absent(facts, "server", "variables"))
    grants = " ".join(f"GRANT {g} TO 'ps_import'@'%';" for g in IMPORT_GRANTS)
    if _platform(facts) == "cloudsql":
        return check.result(
            "fail", "Cloud SQL: an import account that holds cloudsqlsuperuser (every account made in the console or"
            " with gcloud does) makes the import fail",
            remediation="Create the import's account with SQL, not in the console, and give it only the documented"
            f" grants: CREATE USER 'ps_import'@'%' IDENTIFIED BY '...'; {grants}")
    return check.passed(f"give the import its own account with the documented grants: {grants}")


def check_mariadb_features(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("mariadb_features", "No MariaDB-only objects (sequences, system versioning, INET/UUID types,"
                   " uca1400 collations, JSON as LONGTEXT)", "warning")
    if not _is_mariadb(facts):
        return check.result("not_applicable", "not a MariaDB server")
    objects = facts.get("objects")
    if not isinstance(objects, Mapping) or "mariadb_features" not in objects:
        return check.skipped(_why_absent(facts, "objects.mariadb_features", "inventory"))
    entries = [e for e in _seq(objects.get("mariadb_features")) if isinstance(e, Mapping)]
    offenders = sorted({str(e.get("name")) for e in entries})
    kinds: dict[str, list[str]] = {}
    for entry in entries:
        kinds.setdefault(str(entry.get("feature")), []).append(str(entry.get("name")))
    extra = "; ".join(f"{kind}: {_shown(sorted(names))}" for kind, names in sorted(kinds.items()))
    return _finish(check, offenders, _inventory_gaps(facts),
                   found=f"{_plural(len(offenders), 'object')} using what MySQL 8 does not have", extra=extra,
                   none="no sequences, system-versioned tables, INET4/INET6/UUID columns, uca1400 collations or"
                        " JSON columns",
                   remediation="Before the import: replace sequences with AUTO_INCREMENT columns, ALTER TABLE ... DROP"
                               " SYSTEM VERSIONING, store INET4/INET6/UUID as VARBINARY(16) or CHAR(36), convert"
                               " uca1400 collations to utf8mb4_unicode_ci; JSON columns arrive as LONGTEXT (convert"
                               " them to JSON on PlanetScale if the application needs JSON).")


def _spec(id: str, severity: Severity, docs: str, quote: str, passes_when: str, check: Any, *,
          ours: bool = False, verified: bool = False) -> RuleSpec:
    return RuleSpec(id=id, severity=severity, docs=docs, quote=quote, passes_when=passes_when, check=check,
                    ours=ours, verified=verified)


_IMPORTS_REACHABLE = "an existing internet-accessible MySQL or MariaDB database"
_ROUTINES = "We do not support any form of stored routines"

# The rule table: every rule, the page that states it and the sentence it enforces (verified: checked verbatim
# against a stored copy of the page; otherwise the sentence as issue 15 quotes the page). Order = readiness.json's.
RULE_SPECS: tuple[RuleSpec, ...] = (
    _spec("binlog_enabled", "blocker", DOCS_IMPORTS,
          "The import replicates from the source's binary log: binary logging (log_bin) must be on.",
          "log_bin = ON (or the binary log found on disk).", check_binlog_enabled),
    _spec("gtid_mode", "blocker", DOCS_IMPORTS,
          "gtid_mode must be ON (MySQL); the MariaDB migration guide skips the GTID parameters.",
          "gtid_mode = ON on MySQL; not applicable on MariaDB.", check_gtid_mode),
    _spec("enforce_gtid_consistency", "blocker", DOCS_IMPORTS,
          "enforce_gtid_consistency must be ON (MySQL); the MariaDB migration guide skips the GTID parameters.",
          "enforce_gtid_consistency = ON on MySQL; not applicable on MariaDB.", check_enforce_gtid_consistency),
    _spec("binlog_format", "blocker", DOCS_IMPORTS, "binlog_format must be ROW.", "binlog_format = ROW.",
          check_binlog_format),
    _spec("binlog_row_image", "blocker", DOCS_IMPORTS,
          "The import reads full row images from the binary log (binlog_row_image = FULL).",
          "binlog_row_image = FULL, or a server without the variable (always full).", check_binlog_row_image),
    _spec("binlog_retention", "blocker", DOCS_IMPORTS,
          "The import checks expire_logs_days > 2 or binlog_expire_logs_seconds > 172800; the troubleshooting page"
          " says \"at least 48 hours\" and suggests expire_logs_days = 3. We follow the import's own check (more than"
          " 48 hours): a server at exactly 48 hours is refused by it.",
          "Binary logs kept more than 48 hours (RDS/Aurora: binlog retention hours >= 48), or never purged"
          " automatically.", check_binlog_retention),
    _spec("sql_mode", "blocker", DOCS_COMPATIBILITY,
          "sql_mode must include NO_ZERO_IN_DATE, NO_ZERO_DATE and ONLY_FULL_GROUP_BY; ANSI_QUOTES and"
          " PIPES_AS_CONCAT are not supported.",
          "sql_mode has the three modes and neither ANSI_QUOTES nor PIPES_AS_CONCAT.", check_sql_mode),
    _spec("mysql_version", "blocker", DOCS_COMPATIBILITY,
          "If you're importing an existing database, PlanetScale supports MySQL database versions 5.7 through 8.0.",
          "MySQL 5.7-8.0 (8.4 and later: a warning); MariaDB: a notice naming the MariaDB migration guide, whose"
          " import page accepts \"" + _IMPORTS_REACHABLE + "\".", check_mysql_version, verified=True),
    _spec("unique_key", "blocker", DOCS_IMPORTS,
          "Every table must have a unique, not-null key (a primary key, or a unique key whose columns are all NOT"
          " NULL).", "Every table has a qualifying PRIMARY or UNIQUE key.", check_unique_key),
    _spec("float_primary_key", "notice", "",
          "A caution of ours, no page states it: FLOAT/DOUBLE values are approximate, so a row keyed by one can fail"
          " to match while the import copies and replicates.",
          "No FLOAT/DOUBLE column in any primary key.", check_float_primary_key, ours=True),
    _spec("storage_engine", "blocker", DOCS_UNSUPPORTED_FEATURE, "Non-InnoDB storage engines, such as `MyISAM`.",
          "Every table uses InnoDB.", check_storage_engine, verified=True),
    _spec("charset", "blocker", DOCS_COMPATIBILITY,
          "PlanetScale supports `utf8`, `utf8mb4`, and `utf8mb3`, character sets. We also support `latin1` and"
          " `ascii` character sets, but do not recommend them.",
          "Every table and column uses utf8/utf8mb3/utf8mb4/latin1/ascii (binary strings are fine).", check_charset,
          verified=True),
    _spec("non_ascii_identifiers", "blocker", DOCS_IMPORTS,
          "The import fails on table names with non-ASCII characters, and on ASCII punctuation such as `-` in a"
          " table name (the troubleshooting page's `special-table-name`).",
          "Every name is ASCII and every table name is letters, digits, _ and $.", check_non_ascii_identifiers),
    _spec("stored_routines", "warning", DOCS_COMPATIBILITY, _ROUTINES + ".",
          "No stored procedures or functions (move them into the application).", check_stored_routines),
    _spec("triggers", "warning", DOCS_COMPATIBILITY, _ROUTINES + " (triggers are stored programs).",
          "No triggers (move them into the application).", check_triggers),
    _spec("events", "warning", DOCS_COMPATIBILITY, _ROUTINES + " (events are stored programs).",
          "No scheduled events (run the jobs outside the database).", check_events),
    _spec("views", "warning", DOCS_IMPORTS, "The import copies tables; views are not imported.",
          "No views, or the views recreated by hand after the import.", check_views),
    _spec("foreign_keys", "warning", DOCS_FOREIGN_KEYS,
          "Foreign key constraints are supported with limitations: the database stays unsharded and the import"
          " needs foreign key support enabled.",
          "No foreign keys, or foreign key support enabled and its conditions met.", check_foreign_keys),
    _spec("partitioning", "blocker", DOCS_PARTITIONING,
          "Use only supported partitioning types: `RANGE`, `HASH`, or `KEY`. Remove `LIST` partitioning,"
          " subpartitioning, and non-InnoDB partition engines.",
          "No LIST partitioning and no subpartitions.", check_partitioning, verified=True),
    _spec("table_count", "blocker", DOCS_SYSTEM_LIMITS,
          "Database schemas are limited to a total of 2048 tables, including views.",
          "At most 2048 tables and views in every schema.", check_table_count, verified=True),
    _spec("column_count", "blocker", DOCS_SYSTEM_LIMITS,
          "Individual tables are limited to a maximum of 1017 columns each.",
          "At most 1017 columns in every table.", check_column_count, verified=True),
    _spec("database_size", "notice", DOCS_SHARDING,
          "Above roughly 250 GB, PlanetScale recommends sharding.",
          "No schema above ~250 GB of data and indexes.", check_database_size),
    _spec("user_defined_functions", "warning", "",
          "A caution of ours: a loadable function (mysql.func) lives in a plugin on the source server, and a"
          " managed PlanetScale database cannot load plugins.",
          "No user-defined (loadable) functions.", check_user_defined_functions, ours=True),
    _spec("time_zone", "warning", "",
          "A caution of ours: PlanetScale databases run in UTC; a source in another zone reads NOW(),"
          " CURRENT_TIMESTAMP and DATETIME defaults differently after the cut-over.",
          "time_zone (or system_time_zone under SYSTEM) is UTC.", check_time_zone, ours=True),
    _spec("empty_schemas", "warning", "",
          "A caution of ours: a schema without tables gives an import nothing to copy; leave it out of the plan.",
          "Every schema to import has at least one table.", check_empty_schemas, ours=True),
    _spec("multiple_schemas", "notice", DOCS_IMPORTS,
          "The import tool imports one database at a time.",
          "At most one schema outside the system schemas (otherwise one import per schema).",
          check_multiple_schemas),
    _spec("large_tables", "notice", DOCS_SYSTEM_LIMITS,
          "Each shard has at most 4 TB of disk.", "No table above 4 TB of data and indexes.", check_large_tables),
    _spec("reachability", "notice", DOCS_IMPORTS,
          "The import tool connects to " + _IMPORTS_REACHABLE + ".",
          "Connected directly (not through SSH or a socket) to a host that is not a private or loopback address.",
          check_reachability),
    _spec("import_account", "notice", DOCS_IMPORT_PERMISSIONS,
          "When importing a database using our Import tool, you will need to connect to your existing database"
          " with a user that has the proper permissions to set up the necessary configurations to start importing"
          " data.",
          "Not Cloud SQL, where an import account holding cloudsqlsuperuser makes the import fail (issue 15; not"
          " on this page); the documented grants are named either way.", check_import_account, verified=True),
    _spec("mariadb_features", "warning", DOCS_MARIADB,
          "The MariaDB migration guide (tested on MariaDB 10.6) imports into MySQL 8: MariaDB-only objects"
          " (sequences, system-versioned tables, INET4/INET6/UUID, uca1400 collations) have no MySQL equivalent, and"
          " MariaDB's JSON is LONGTEXT.",
          "Not MariaDB, or no sequences, system-versioned tables, INET4/INET6/UUID columns, uca1400 collations or JSON"
          " columns.", check_mariadb_features),
    # the schema's objects and the workload (unsupported_statements, workload_limits, duplicate_enum_values,
    # check_constraint_names, broken_views, foreign_key_cycles): prechecks/readiness_objects.py
    *readiness_objects.RULES,
)

RULES = tuple(spec.check for spec in RULE_SPECS)
_SPECS = {spec.id: spec for spec in RULE_SPECS}
# every page a check links to: a "see:" line of the report is a link only when it names one of these
DOCS_LINKS = frozenset({DOCS_IMPORTS, DOCS_IMPORT_PERMISSIONS, DOCS_RDS, DOCS_AURORA, DOCS_FOREIGN_KEYS,
                        DOCS_COMPATIBILITY, DOCS_SHARDING, DOCS_MARIADB} | {s.docs for s in RULE_SPECS if s.docs})


def _spec_docs(rule_id: str) -> str:
    """The page a rule's result links to: its own page, or for a caution of ours the import page."""
    spec = _SPECS.get(rule_id)
    return (spec.docs if spec is not None and spec.docs else DOCS_IMPORTS)


def evaluate(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Every rule over one facts document; a rule that breaks on an odd value says so and is skipped.

    Each check carries `source`: "docs" (a planetscale.com page states the rule) or "ours" (a caution of ours).
    """
    facts = _map(facts)
    checks = []
    for spec in RULE_SPECS:
        try:
            result = spec.check(facts)
        except Exception as exc:  # one odd value must not cost the other rules
            result = {"id": spec.id, "title": spec.id, "severity": spec.severity, "status": "skipped",
                      "objects": [], "detail": f"could not evaluate: {type(exc).__name__}: {exc}",
                      "remediation": "", "docs": _spec_docs(spec.id)}
        result["source"] = "ours" if spec.ours else "docs"
        checks.append(result)
    document: dict[str, Any] = {"format_version": FORMAT_VERSION, "checks": checks}
    unreadable = [str(u) for u in _seq(_map(facts.get("source")).get("unreadable"))]
    if unreadable:  # a damaged capture (--read-samples): the verdict says what could not be judged
        document["unreadable"] = unreadable
    return document


def verdict(readiness: Mapping[str, Any]) -> str:
    """One line: "Ready to import" or "N blockers, M warnings" (and what was skipped)."""
    checks = [c for c in _seq(readiness.get("checks")) if isinstance(c, Mapping)]
    failed = [c for c in checks if c.get("status") == "fail"]
    blockers = sum(1 for c in failed if c.get("severity") == "blocker")
    warnings = sum(1 for c in failed if c.get("severity") == "warning")
    notices = sum(1 for c in failed if c.get("severity") == "notice")
    skipped = sum(1 for c in checks if c.get("status") == "skipped")
    unreadable = [str(u) for u in _seq(readiness.get("unreadable"))]
    if blockers or warnings:
        text = f"{_plural(blockers, 'blocker')}, {_plural(warnings, 'warning')}"
    elif unreadable:  # never "no blockers" from a capture that could not be read whole
        text = "Not judged: part of the capture could not be read"
    elif skipped:
        text = "No blockers or warnings found, but not every check could run"
    else:
        text = "Ready to import"
    extras = []
    if notices:
        extras.append(_plural(notices, "notice"))
    if skipped:
        extras.append(f"{skipped} skipped")
    text += f" ({', '.join(extras)})" if extras else ""
    if unreadable:
        text += (f"; not judged: {'; '.join(unreadable)} — the checks that need them are skipped, capture those "
                 "files again")
    return text


__all__ = ["DOCS_LINKS", "FORMAT_VERSION", "RULES", "RULE_SPECS", "evaluate", "verdict"]
