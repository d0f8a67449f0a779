"""PlanetScale import readiness: rules over the facts document -> `readiness.json`.

A pure function of the facts (like the report): `evaluate(facts)` never talks to a server, so a
report re-rendered from samples gives the same verdicts. Shape (format_version 1):

    {"format_version": 1,
     "checks": [{"id", "title", "severity": "blocker" | "warning" | "notice",
                 "status": "pass" | "fail" | "not_applicable" | "skipped",
                 "objects": ["schema.table", "schema.table.column", ...], "detail", "remediation", "docs"}]}

Rules:

* `objects` names every offending object, dotted as the server spells it, never quoted, and never
  an object that complies. Settings rules (binlog, GTID, sql_mode, version) list no objects.
* No silent passes. When the facts a rule needs are absent, it is `skipped` and `detail` says which
  collector did not run (or why it was skipped). When the account could not see every object of a
  kind (`object_visibility` complete false: the missing privilege is named; complete null: role-based
  or unreadable grants, "could not tell whether the account sees every trigger"), or part of the
  inventory was not read (time budget, a failing schema), the rule is `skipped` -- unless it already
  found offenders, in which case it fails with those and says the list may be incomplete.
* Severity is fixed per id, except `mysql_version`: blocker for MariaDB, non-MySQL servers and
  versions before 5.7; warning for MySQL after 8.0 (8.4 and the innovation releases), which the
  import documentation does not list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from collectors.numbers import as_int, as_number

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
# every page a check links to: a "see:" line of the report is a link only when it names one of these
DOCS_LINKS = frozenset({DOCS_IMPORTS, DOCS_IMPORT_PERMISSIONS, DOCS_RDS, DOCS_AURORA, DOCS_FOREIGN_KEYS,
                        DOCS_COMPATIBILITY, DOCS_SHARDING})

MIN_RETENTION_HOURS = 48
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
MARIADB_FLAVORS = frozenset({"mariadb", "galera"})
NOT_MYSQL_FLAVORS = frozenset({"tidb", "vitess"})
SHOWN_OBJECTS = 5  # in details; `objects` always has them all


# ---------------------------------------------------------------------------- small accessors


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


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


def _collectors(facts: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    records = _seq(_map(facts.get("collection")).get("collectors"))
    return {str(r.get("name")): r for r in records if isinstance(r, Mapping)}


def _why_absent(facts: Mapping[str, Any], key: str, *collectors: str) -> str:
    """Why facts[key] is absent, from the collectors that write it."""
    records = _collectors(facts)
    for name in collectors:
        record = records.get(name)
        if record is not None and record.get("status") != "ok":
            reason = str(record.get("reason") or "")
            return f"the {name} collector was {record.get('status')}" + (f": {reason}" if reason else "")
    for name in collectors:
        if name in records:
            return f"the {name} collector ran but left no `{key}` in the facts"
    if "collection" not in facts:
        return f"the facts have no `{key}` and no collection record"
    return f"the {collectors[0]} collector did not run (no `{key}` in the facts)"


def _inventory_gaps(facts: Mapping[str, Any]) -> list[str]:
    """What the inventory collector did not read (budget cut, failing schemas)."""
    inventory = _map(facts.get("inventory"))
    gaps = []
    if inventory.get("cut"):
        gaps.append(f"the inventory stopped early ({inventory['cut']})")
    failed = [f for f in _seq(inventory.get("failed_schemas")) if isinstance(f, Mapping)]
    if failed:
        gaps.append("schemas not read: " + ", ".join(f"{f.get('name')} ({f.get('reason')})" for f in failed))
    return gaps


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
    def __init__(self, id: str, title: str, severity: Severity, docs: str) -> None:
        self.id, self.title, self.severity, self.docs = id, title, severity, docs

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
    check = _Check("binlog_enabled", "Binary logging is on (log_bin)", "blocker", DOCS_IMPORTS)
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
            f"MariaDB has no {variable}: its GTIDs (gtid_domain_id-server_id-sequence, gtid_binlog_pos) are not"
            " MySQL's, and PlanetScale's import documents MySQL sources only (see mysql_version).")
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
    return _gtid_check(facts, _Check("gtid_mode", "GTIDs are on (gtid_mode = ON)", "blocker", DOCS_IMPORTS),
                       "gtid_mode")


def check_enforce_gtid_consistency(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _gtid_check(facts, _Check("enforce_gtid_consistency", "enforce_gtid_consistency = ON", "blocker",
                                     DOCS_IMPORTS), "enforce_gtid_consistency")


def check_binlog_format(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("binlog_format", "Binary log format is ROW", "blocker", DOCS_IMPORTS)
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
    check = _Check("binlog_row_image", "Binary log row image is FULL", "blocker", DOCS_IMPORTS)
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
    check = _Check("binlog_retention", f"Binary logs are kept at least {MIN_RETENTION_HOURS} hours", "blocker",
                   DOCS_IMPORTS)
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
    if hours >= MIN_RETENTION_HOURS:
        return check.passed(f"{source}: binary logs are kept {hours:g} hours")
    version = _version(facts)
    if _is_mariadb(facts):
        setting = {"binlog_expire_logs_seconds": str(MIN_RETENTION_HOURS * 3600)} if version and version >= (
            10, 6, 1) else {"expire_logs_days": str(MIN_RETENTION_HOURS // 24)}
    elif version is not None and version >= (8, 0, 1):
        setting = {"binlog_expire_logs_seconds": str(MIN_RETENTION_HOURS * 3600)}
    else:
        setting = {"expire_logs_days": str(MIN_RETENTION_HOURS // 24)}
    return check.result(
        "fail", f"{source}: binary logs are purged after {hours:g} hours; the import needs them for at least"
        f" {MIN_RETENTION_HOURS} hours to copy the data and catch up",
        remediation=_set_settings(facts, setting) + " Make sure the disk can hold that much binary log.",
        docs=_docs_for_platform(facts))


def _rds_retention(check: _Check, facts: Mapping[str, Any], platform: str) -> dict[str, Any]:
    docs = DOCS_AURORA if platform == "aurora" else DOCS_RDS
    name = "Aurora" if platform == "aurora" else "RDS"
    config = facts.get("rds_configuration")
    if not isinstance(config, Mapping):
        return check.result("skipped", f"on {name} the retention is `binlog retention hours` from CALL"
                            " mysql.rds_show_configuration, and " +
                            _why_absent(facts, "rds_configuration", "rds_configuration"), docs=docs)
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


def _sql_modes(value: str) -> list[str]:
    return [m.strip().upper() for m in value.split(",") if m.strip()]


def check_sql_mode(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("sql_mode", "sql_mode has NO_ZERO_IN_DATE, NO_ZERO_DATE and ONLY_FULL_GROUP_BY, and neither"
                   " ANSI_QUOTES nor PIPES_AS_CONCAT", "blocker", DOCS_COMPATIBILITY)
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
    check = _Check("mysql_version", "Server version is a documented import source (MySQL 5.7-8.0)", "blocker",
                   DOCS_COMPATIBILITY)
    server = _map(facts.get("server"))
    version_text = str(server.get("version") or _map(facts.get("variables")).get("version") or "")
    if not version_text:
        return check.skipped(_why_absent(facts, "server", "variables"))
    flavor = str(server.get("flavor") or "")
    if _is_mariadb(facts):
        return check.result(
            "fail", f"MariaDB {version_text}: PlanetScale's import tool documents MySQL 5.7-8.0 sources only. MariaDB"
            " has no gtid_mode and its GTIDs, binary log events and some types (JSON as LONGTEXT, sequences,"
            " system-versioned tables) differ, so the import tool's connection check is expected to reject it.",
            remediation="Plan the move with PlanetScale: usually through a MySQL 8.0 server (dump and load, then"
            " replicate from MariaDB to it while the application still writes) which is then imported, or a"
            " dump-and-load cut-over with downtime.")
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
    check = _Check("unique_key", "Every table has a usable unique key", "blocker", DOCS_IMPORTS)
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
    check = _Check("float_primary_key", "No FLOAT/DOUBLE column in a primary key", "warning", DOCS_IMPORTS)
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
    check = _Check("storage_engine", "Every table uses InnoDB", "blocker", DOCS_COMPATIBILITY)
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
    check = _Check("charset", "Character sets are utf8/utf8mb3/utf8mb4/latin1/ascii", "blocker",
                   DOCS_COMPATIBILITY)
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
        return check.skipped(_why_absent(facts, f"objects.{key}", "inventory"))
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
    return _objects_rule(
        facts, _Check("non_ascii_identifiers", "Schema, table and column names are ASCII", "warning",
                      DOCS_COMPATIBILITY),
        "non_ascii_identifiers", None, _name,
        found="{n} schema, table or column name{s} with non-ASCII characters",
        none="every schema, table and column name is ASCII",
        remediation="Rename them to ASCII names before the import (RENAME TABLE `s`.`tablé` TO `s`.`table`;"
                    " ALTER TABLE ... RENAME COLUMN `prix_é` TO `prix_e`;) and update the application's queries.")


def check_stored_routines(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _objects_rule(
        facts, _Check("stored_routines", "No stored procedures or functions", "warning", DOCS_COMPATIBILITY),
        "routines", "routines", _name,
        found="{n} stored procedure{s}/function{s} (the import does not copy them)",
        none="no stored procedures or functions",
        remediation="Move the logic into the application (or recreate the routines by hand after the import where"
                    " PlanetScale supports them), and change the callers.")


def check_triggers(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _objects_rule(
        facts, _Check("triggers", "No triggers", "warning", DOCS_COMPATIBILITY),
        "triggers", "triggers", _name,
        found="{n} trigger{s} (the import does not copy them; writes after the cut-over would skip their effects)",
        none="no triggers",
        remediation="Move what the triggers do into the application before the cut-over, then DROP TRIGGER them"
                    " (or recreate them by hand after the import where PlanetScale supports them).")


def check_events(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _objects_rule(
        facts, _Check("events", "No scheduled events", "warning", DOCS_COMPATIBILITY),
        "events", "events", _name,
        found="{n} scheduled event{s} (the import does not copy them)",
        none="no scheduled events",
        remediation="Run the jobs from a scheduler outside the database (cron, the application's job runner) and"
                    " ALTER EVENT ... DISABLE; them before the cut-over.")


def check_views(facts: Mapping[str, Any]) -> dict[str, Any]:
    return _objects_rule(
        facts, _Check("views", "No views", "warning", DOCS_COMPATIBILITY),
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
        facts, _Check("foreign_keys", "Foreign key constraints", "warning", DOCS_FOREIGN_KEYS),
        "foreign_keys", None, _name,
        found="{n} foreign key constraint{s}",
        none="no foreign key constraints",
        remediation="Enable foreign key constraint support for the PlanetScale database before the import and meet"
                    " its conditions, or drop the constraints (ALTER TABLE ... DROP FOREIGN KEY ...) and enforce the"
                    " relations in the application.",
        extra=cascades)


def check_partitioning(facts: Mapping[str, Any]) -> dict[str, Any]:
    check = _Check("partitioning", "Partitioning is RANGE, HASH or KEY, without subpartitions", "blocker",
                   DOCS_COMPATIBILITY)

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
    check = _Check("table_count", f"At most {MAX_TABLES_PER_SCHEMA} tables and views per schema", "blocker",
                   DOCS_IMPORTS)
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
    check = _Check("column_count", f"At most {MAX_COLUMNS} columns per table", "blocker", DOCS_COMPATIBILITY)
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
                   "notice", DOCS_SHARDING)
    sizes: dict[str, int] = {}
    schemas = [s for s in _seq(facts.get("schemas")) if isinstance(s, Mapping)]
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
        facts, _Check("user_defined_functions", "No user-defined (loadable) functions", "warning",
                      DOCS_COMPATIBILITY),
        "user_defined_functions", "user_defined_functions", _name,
        found="{n} user-defined function{s} from plugins (mysql.func); PlanetScale cannot load them",
        none="no user-defined functions",
        remediation="Replace calls to them in the application and in views/routines with built-in functions or"
                    " application code.")


RULES = (
    check_binlog_enabled, check_gtid_mode, check_enforce_gtid_consistency, check_binlog_format,
    check_binlog_row_image, check_binlog_retention, check_sql_mode, check_mysql_version,
    check_unique_key, check_float_primary_key, check_storage_engine, check_charset, check_non_ascii_identifiers,
    check_stored_routines, check_triggers, check_events, check_views, check_foreign_keys, check_partitioning,
    check_table_count, check_column_count, check_database_size, check_user_defined_functions,
)


def evaluate(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Every rule over one facts document; a rule that breaks on an odd value says so and is skipped."""
    facts = _map(facts)
    checks = []
    for rule in RULES:
        try:
            checks.append(rule(facts))
        except Exception as exc:  # one odd value must not cost the other rules
            rule_id = rule.__name__.removeprefix("check_")
            checks.append({"id": rule_id, "title": rule_id, "severity": "warning", "status": "skipped", "objects": [],
                           "detail": f"could not evaluate: {type(exc).__name__}: {exc}", "remediation": "",
                           "docs": DOCS_IMPORTS})
    return {"format_version": FORMAT_VERSION, "checks": checks}


def verdict(readiness: Mapping[str, Any]) -> str:
    """One line: "Ready to import" or "N blockers, M warnings" (and what was skipped)."""
    checks = [c for c in _seq(readiness.get("checks")) if isinstance(c, Mapping)]
    failed = [c for c in checks if c.get("status") == "fail"]
    blockers = sum(1 for c in failed if c.get("severity") == "blocker")
    warnings = sum(1 for c in failed if c.get("severity") == "warning")
    notices = sum(1 for c in failed if c.get("severity") == "notice")
    skipped = sum(1 for c in checks if c.get("status") == "skipped")
    if blockers or warnings:
        text = f"{_plural(blockers, 'blocker')}, {_plural(warnings, 'warning')}"
    elif skipped:
        text = "No blockers or warnings found, but not every check could run"
    else:
        text = "Ready to import"
    extras = []
    if notices:
        extras.append(_plural(notices, "notice"))
    if skipped:
        extras.append(f"{skipped} skipped")
    return text + (f" ({', '.join(extras)})" if extras else "")


__all__ = ["DOCS_LINKS", "FORMAT_VERSION", "RULES", "evaluate", "verdict"]
