"""Accounts (counts only), TLS / encryption / audit, the plugin list, and InnoDB status numbers.

Nothing here may carry an account name or query text into the facts:

* ``accounts`` aggregates in SQL (COUNT / SUM ... GROUP BY role, plugin): no User or Host value
  is ever selected, so names do not even reach Python. The statements name only our own literals.
* ``innodb_status`` parses numbers out of SHOW ENGINE INNODB STATUS; the deadlock, foreign-key and
  transaction sections (which quote statements) give booleans and counts only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mysql.connector import errors as mysql_errors

from collectors.base import Collector, Context, Requirement, Skip
from collectors.connection import ServerIdentity, is_privilege_error, is_unsupported_error
from collectors.numbers import as_int

# ---------------------------------------------------------------------------------- accounts

# plugins whose secret is a password: an empty authentication string means "no password"
# ('' is the pre-plugin default: native password). Socket, PAM, LDAP, GSSAPI... authenticate
# elsewhere, so an empty string there is normal.
PASSWORD_PLUGINS = (
    "", "mysql_native_password", "mysql_old_password", "caching_sha2_password", "sha256_password",
    "ed25519", "parsec",
)  # fmt: skip
# accounts the server creates for itself (locked, no login)
INTERNAL_ACCOUNTS = ("mysql.sys", "mysql.session", "mysql.infoschema", "mariadb.sys")

_IN_PASSWORD_PLUGINS = "(" + ", ".join(f"'{p}'" for p in PASSWORD_PLUGINS) + ")"
_IN_INTERNAL = "(" + ", ".join(f"'{a}'" for a in INTERNAL_ACCOUNTS) + ")"


def _aggregate(source: str, *, role: str, plugin: str, auth: str, locked: str, tls: str, host: str,
               user: str, group_by: str) -> str:
    """One statement: per (is_role, plugin) the account counts. Selects no User or Host value."""
    return (
        f"SELECT {role} AS is_role, {plugin} AS plugin, COUNT(*) AS accounts, "
        f"SUM(CASE WHEN {plugin} IN {_IN_PASSWORD_PLUGINS} AND {auth} = '' AND NOT ({locked}) "
        "THEN 1 ELSE 0 END) AS without_password, "
        f"SUM(CASE WHEN LOCATE('%', {host}) > 0 THEN 1 ELSE 0 END) AS wildcard_host, "
        f"SUM(CASE WHEN {locked} THEN 1 ELSE 0 END) AS locked, "
        f"SUM(CASE WHEN {tls} THEN 1 ELSE 0 END) AS require_tls, "
        f"SUM(CASE WHEN {user} IN {_IN_INTERNAL} THEN 1 ELSE 0 END) AS internal "
        f"FROM {source} GROUP BY {group_by}"
    )


def _jv(key: str) -> str:
    return f"IFNULL(JSON_VALUE(Priv, '$.{key}'), '')"


# MariaDB 10.4+: mysql.user is a view over mysql.global_priv (JSON in Priv)
MARIADB_GLOBAL_PRIV_SQL = _aggregate(
    "mysql.global_priv",
    role=f"CASE WHEN {_jv('is_role')} IN ('1', 'true') THEN 1 ELSE 0 END",
    plugin=_jv("plugin"),
    auth=_jv("authentication_string"),
    locked=f"{_jv('account_locked')} IN ('1', 'true')",  # JSON_VALUE(true): '1' (10.11), 'true' (older)
    tls=f"{_jv('ssl_type')} NOT IN ('', '0')",
    host="Host", user="User",
    group_by="1, 2",
)
# MariaDB 10.0-10.3: a real mysql.user table, no account locking
MARIADB_USER_TABLE_SQL = _aggregate(
    "mysql.user",
    role="CASE WHEN is_role = 'Y' THEN 1 ELSE 0 END",
    plugin="IFNULL(plugin, '')",
    auth="CONCAT(IFNULL(Password, ''), IFNULL(authentication_string, ''))",
    locked="1 = 0",
    tls="IFNULL(ssl_type, '') <> ''",
    host="Host", user="User",
    group_by="1, 2",
)
_MYSQL_COLUMNS = {
    "plugin": "IFNULL(u.plugin, '')",
    "auth": "IFNULL(u.authentication_string, '')",
    "locked": "u.account_locked = 'Y'",
    "tls": "IFNULL(u.ssl_type, '') <> ''",
    "host": "u.Host",
    "user": "u.User",
}
# MySQL 8: an account that is granted to another (mysql.role_edges) is a role, not a login
MYSQL_WITH_ROLES_SQL = _aggregate(
    "mysql.user u LEFT JOIN (SELECT DISTINCT FROM_USER, FROM_HOST FROM mysql.role_edges) r "
    "ON r.FROM_USER = u.User AND r.FROM_HOST = u.Host",
    role="CASE WHEN r.FROM_USER IS NULL THEN 0 ELSE 1 END",
    group_by="CASE WHEN r.FROM_USER IS NULL THEN 0 ELSE 1 END, IFNULL(u.plugin, '')",
    **_MYSQL_COLUMNS,
)
MYSQL_SQL = _aggregate("mysql.user u", role="0", group_by="IFNULL(u.plugin, '')", **_MYSQL_COLUMNS)


def _accounts_table(server: ServerIdentity) -> str:
    return "mysql.global_priv" if server.is_mariadb and server.at_least(10, 4) else "mysql.user"


def accounts_requirements(server: ServerIdentity) -> tuple[Requirement, ...]:
    return (Requirement("SELECT", on=_accounts_table(server), why="account counts, never names"),)



def summarize_accounts(rows: Iterable[dict[str, Any]], *, roles_known: bool, locking_known: bool) -> dict[str, Any]:
    """Per (is_role, plugin) count rows -> the ``accounts`` fact (roles apart from accounts)."""
    out: dict[str, Any] = {"total": 0, "without_password": 0, "wildcard_host": 0, "locked": 0,
                           "require_tls": 0, "internal": 0, "roles": 0, "plugins": {}}
    plugins: dict[str, int] = {}
    for row in rows:
        if as_int(row.get("is_role"), 0):
            out["roles"] += as_int(row.get("accounts"), 0)
            continue
        for key in ("without_password", "wildcard_host", "locked", "require_tls", "internal"):
            out[key] += as_int(row.get(key), 0)
        count = as_int(row.get("accounts"), 0)
        out["total"] += count
        plugin = _text(row.get("plugin")) or "(default)"
        plugins[plugin] = plugins.get(plugin, 0) + count
    out["plugins"] = dict(sorted(plugins.items(), key=lambda kv: (-kv[1], kv[0])))
    if not roles_known:
        out["roles"] = None
    if not locking_known:
        out["locked"] = None
    return out


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def collect_accounts(ctx: Context) -> None:
    server = ctx.server
    roles_known, locking_known = True, True
    if server.is_mariadb:
        if server.at_least(10, 4):
            result = ctx.query(MARIADB_GLOBAL_PRIV_SQL)
        else:
            result = ctx.query(MARIADB_USER_TABLE_SQL)
            locking_known = False
            ctx.notes.append("account locking is not recorded before MariaDB 10.4")
    elif server.at_least(8, 0):
        try:
            result = ctx.query(MYSQL_WITH_ROLES_SQL)
        except mysql_errors.Error as exc:
            if not (is_privilege_error(exc) or is_unsupported_error(exc)):
                raise
            result = ctx.query(MYSQL_SQL)
            roles_known = False
            ctx.notes.append(f"roles not counted: mysql.role_edges unreadable (errno {exc.errno}); "
                             "roles are counted as accounts")
    else:
        result = ctx.query(MYSQL_SQL)  # MySQL 5.7 has no roles
    ctx.facts["accounts"] = summarize_accounts(result.dicts(), roles_known=roles_known, locking_known=locking_known)
    ctx.facts["accounts"]["source"] = _accounts_table(server)


# ---------------------------------------------------------------------------------- plugins


def _plugins(ctx: Context) -> list[dict[str, Any]]:
    plugins = ctx.facts.get("plugins")
    if isinstance(plugins, list):
        return plugins
    cached = ctx.shared.plugins
    if cached is not None:
        return cached
    rows = ctx.query("SHOW PLUGINS").rows
    found = [
        {"name": _text(r[0]), "status": _text(r[1]), "type": _text(r[2]),
         "library": _text(r[3]) if len(r) > 3 and r[3] is not None else None}
        for r in rows
    ]
    ctx.shared.plugins = found
    return found


def collect_plugins(ctx: Context) -> None:
    ctx.facts["plugins"] = _plugins(ctx)


# ---------------------------------------------------------------------------------- security

AUDIT_PLUGIN_NAMES = ("server_audit", "audit_log", "audit_log_filter", "mysql_audit", "aws_audit")
MARIADB_ENCRYPTION_VARIABLES = (
    "innodb_encrypt_tables", "innodb_encryption_threads", "innodb_encrypt_log", "innodb_encrypt_temporary_tables",
    "encrypt_binlog", "encrypt_tmp_files", "encrypt_tmp_disk_tables", "aria_encrypt_tables",
)  # fmt: skip
MYSQL_ENCRYPTION_VARIABLES = (
    "default_table_encryption", "innodb_redo_log_encrypt", "innodb_undo_log_encrypt", "binlog_encryption",
    "table_encryption_privilege_check", "innodb_sys_tablespace_encrypt", "innodb_encrypt_tables",
)  # fmt: skip
MARIADB_ENCRYPTED_TABLES_SQL = (
    "SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
    "WHERE ENCRYPTION_SCHEME <> 0 AND NAME LIKE '%/%'"
)
MYSQL_ENCRYPTED_TABLES_SQL = (
    "SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES WHERE ENCRYPTION = 'Y' AND NAME LIKE '%/%'"
)
TLS_STATUS_SQL = (
    "SHOW GLOBAL STATUS WHERE Variable_name IN "
    "('Ssl_accepts', 'Ssl_finished_accepts', 'Current_tls_cert', 'Current_tls_version')"
)


def audit_plugins(plugins: Iterable[dict[str, Any]]) -> list[str]:
    found = []
    for p in plugins:
        name, kind, status = str(p.get("name", "")), str(p.get("type", "")), str(p.get("status", ""))
        if status.upper() != "ACTIVE":
            continue
        # AUDIT-type plugins also do housekeeping (sha2_cache_cleaner, mysqlx_cache_cleaner)
        if name.lower() in AUDIT_PLUGIN_NAMES or (kind.upper() == "AUDIT" and "audit" in name.lower()):
            found.append(name)
    return sorted(set(found))


def _tls(variables: dict[str, str], status: dict[str, str], own_tls: str) -> dict[str, Any]:
    have_ssl = variables.get("have_ssl")
    cert, version = status.get("Current_tls_cert"), status.get("Current_tls_version")
    if have_ssl is not None:
        available: bool | None = have_ssl.upper() == "YES"
        evidence = f"have_ssl = {have_ssl}"
    elif cert is not None:  # MySQL 8.4 removed have_ssl: the TLS context in use says it
        available = bool(cert and version)
        evidence = f"Current_tls_cert = {cert or '(none)'}, Current_tls_version = {version or '(none)'}"
    else:
        available, evidence = None, "neither have_ssl nor Current_tls_* was available"
    accepts = status.get("Ssl_accepts")
    ssl_accepts = int(accepts) if accepts and accepts.isdigit() else None
    # our own session counts in Ssl_accepts when it uses TLS: only others' connections say "in use"
    others = None if ssl_accepts is None else max(0, ssl_accepts - (1 if own_tls else 0))
    return {
        "tls_available": available,
        "tls_evidence": evidence,
        "ssl_accepts": ssl_accepts,
        "this_session_tls": own_tls or None,
        "tls_in_use": None if others is None else others > 0,
        "tls_in_use_basis": "Ssl_accepts since startup, minus this tool's own TLS session",
    }


def _encryption(ctx: Context, variables: dict[str, str], plugins: list[dict[str, Any]]) -> dict[str, Any]:
    server = ctx.server
    names = MARIADB_ENCRYPTION_VARIABLES if server.is_mariadb else MYSQL_ENCRYPTION_VARIABLES
    out: dict[str, Any] = {name: variables[name] for name in names if name in variables}
    active = [p for p in plugins if str(p.get("status", "")).upper() == "ACTIVE"]
    if server.is_mariadb:
        out["key_management_plugins"] = sorted(str(p["name"]) for p in active
                                               if str(p.get("type", "")).upper() == "ENCRYPTION")
        sql: str | None = MARIADB_ENCRYPTED_TABLES_SQL
        table = "information_schema.INNODB_TABLESPACES_ENCRYPTION"
    else:
        out["keyring_plugins"] = sorted(str(p["name"]) for p in active
                                        if str(p.get("name", "")).lower().startswith("keyring"))
        sql = MYSQL_ENCRYPTED_TABLES_SQL if server.at_least(8, 0, 13) else None
        table = "information_schema.INNODB_TABLESPACES (ENCRYPTION)"
    out["encrypted_tables"] = None
    out["encrypted_tables_source"] = table
    if sql is None:
        ctx.notes.append(f"encrypted tables not counted: {table} needs MySQL 8.0.13 or later")
        return out
    try:
        out["encrypted_tables"] = as_int(ctx.session.scalar(sql), 0)
    except mysql_errors.Error as exc:
        if is_privilege_error(exc):
            ctx.notes.append(f"encrypted tables not counted: {table} needs PROCESS (errno {exc.errno})")
        elif is_unsupported_error(exc) or exc.errno in (1109, 1146, 1054):
            ctx.notes.append(f"encrypted tables not counted: {table} is not on this server (errno {exc.errno})")
        else:
            raise
    return out


def collect_security(ctx: Context) -> None:
    variables = ctx.facts.get("variables")
    if not isinstance(variables, dict):
        variables = ctx.query("SHOW GLOBAL VARIABLES").pairs()
    status = ctx.query(TLS_STATUS_SQL).pairs()
    own = ctx.query("SHOW SESSION STATUS LIKE 'Ssl_version'").pairs().get("Ssl_version", "")
    try:
        plugins = _plugins(ctx)
    except mysql_errors.Error as exc:
        if not (is_privilege_error(exc) or is_unsupported_error(exc)):
            raise
        plugins = []
        ctx.notes.append(f"SHOW PLUGINS failed (errno {exc.errno}): audit and keyring plugins unknown")
    security: dict[str, Any] = _tls(variables, status, own)
    security["require_secure_transport"] = variables.get("require_secure_transport")
    security["encryption_at_rest"] = _encryption(ctx, variables, plugins)
    security["audit_plugins"] = audit_plugins(plugins)
    if _on(variables.get("server_audit_logging")) and not any(
            p.lower() == "server_audit" for p in security["audit_plugins"]):
        # Aurora's advanced auditing has the variable but no plugin
        security["audit_plugins"].append("server_audit_logging = ON (no plugin: Aurora advanced auditing)")
    ctx.facts["security"] = security


def _on(value: str | None) -> bool:
    return (value or "").strip().upper() in ("ON", "1", "YES", "TRUE")


# ---------------------------------------------------------------------------------- InnoDB status

_HEADER = re.compile(r"^-{3,}\s*\n([A-Z][A-Z /,()-]+?)\s*\n-{3,}\s*$", re.M)


def _sections(text: str) -> dict[str, str]:
    """SHOW ENGINE INNODB STATUS -> {section title: body}."""
    found = list(_HEADER.finditer(text))
    out: dict[str, str] = {}
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        out[m.group(1).strip()] = text[m.end():end]
    return out


def _first_int(pattern: str, text: str) -> int | None:
    m = re.search(pattern, text, re.M)
    return int(m.group(1)) if m else None


def _sum_ints(text: str) -> int:
    return sum(int(n) for n in re.findall(r"\d+", text))


def parse_innodb_status(text: str) -> dict[str, Any]:
    """Numbers (and two booleans) from SHOW ENGINE INNODB STATUS; never a word of its text."""
    sections = _sections(text)
    out: dict[str, Any] = {}
    window = re.search(r"^Per second averages calculated from the last (\d+) seconds", text, re.M)
    out["per_second_window_seconds"] = int(window.group(1)) if window else None

    deadlock = sections.get("LATEST DETECTED DEADLOCK")
    out["deadlocks_seen"] = deadlock is not None
    when = re.match(r"\s*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", deadlock or "")
    out["latest_deadlock_at"] = when.group(1) if when else None
    out["foreign_key_errors_seen"] = "LATEST FOREIGN KEY ERROR" in sections

    trx = sections.get("TRANSACTIONS", "")
    out["trx_id_counter"] = _first_int(r"^Trx id counter (\d+)", trx)
    out["history_list_length"] = _first_int(r"^History list length (\d+)", trx)
    listed = re.findall(r"^---TRANSACTION [^\n]*", trx, re.M)
    out["transactions"] = len(listed)
    out["transactions_active"] = sum(1 for line in listed if ", ACTIVE" in line)
    out["transactions_lock_wait"] = len(re.findall(r"^LOCK WAIT \d+ lock struct", trx, re.M))

    io = sections.get("FILE I/O", "")
    aio = re.search(r"^Pending normal aio reads:([^\n]*?)aio writes:([^\n]*)$", io, re.M)
    out["pending_aio_reads"] = _sum_ints(aio.group(1)) if aio else None
    out["pending_aio_writes"] = _sum_ints(aio.group(2)) if aio else None
    fsync = re.search(r"^Pending flushes \(fsync\)(?: log: (\d+); buffer pool: (\d+)|: (\d+))", io, re.M)
    out["pending_fsyncs"] = _sum_ints(" ".join(g for g in fsync.groups() if g)) if fsync else None

    log = sections.get("LOG", "")
    lsn = _first_int(r"^Log sequence number\s+(\d+)", log)
    checkpoint = _first_int(r"^Last checkpoint at\s+(\d+)", log)
    out["log_sequence_number"] = lsn
    out["log_flushed_up_to"] = _first_int(r"^Log flushed up to\s+(\d+)", log)
    out["last_checkpoint"] = checkpoint
    age = _first_int(r"^Checkpoint age\s+(\d+)", log)
    out["checkpoint_age"] = age if age is not None else (lsn - checkpoint if lsn is not None and checkpoint is not None
                                                          else None)
    out["max_checkpoint_age"] = _first_int(r"^Max checkpoint age\s+(\d+)", log)

    pool = sections.get("BUFFER POOL AND MEMORY", "")
    out["buffer_pool_pages"] = _first_int(r"^Buffer pool size\s+(\d+)$", pool)
    out["buffer_pool_free_pages"] = _first_int(r"^Free buffers\s+(\d+)", pool)
    out["buffer_pool_database_pages"] = _first_int(r"^Database pages\s+(\d+)", pool)
    out["buffer_pool_modified_pages"] = _first_int(r"^Modified db pages\s+(\d+)", pool)
    out["pending_reads"] = _first_int(r"^Pending reads:?\s+(\d+)", pool)
    writes = re.search(r"^Pending writes: ([^\n]*)$", pool, re.M)
    out["pending_writes"] = _sum_ints(writes.group(1)) if writes else None
    hit = re.search(r"^Buffer pool hit rate (\d+) / (\d+)", pool, re.M)
    out["buffer_pool_hit_rate"] = round(int(hit.group(1)) / int(hit.group(2)), 4) if hit and int(hit.group(2)) else None

    rows = sections.get("ROW OPERATIONS", "")
    queries = re.search(r"^(\d+) queries inside InnoDB, (\d+) queries in queue", rows, re.M)
    out["queries_inside"] = int(queries.group(1)) if queries else None
    out["queries_in_queue"] = int(queries.group(2)) if queries else None
    out["read_views_open"] = _first_int(r"^(\d+) read views open inside InnoDB", rows)
    out["rw_transactions_active"] = _first_int(r"^(\d+) RW transactions active inside InnoDB", rows)
    return out


def collect_innodb_status(ctx: Context) -> None:
    result = ctx.query("SHOW ENGINE INNODB STATUS")
    if not result.rows:
        raise Skip("SHOW ENGINE INNODB STATUS returned nothing (InnoDB not loaded?)")
    row = result.rows[0]
    text = _text(row[2] if len(row) > 2 else row[-1])
    if "INNODB MONITOR OUTPUT" not in text:
        raise Skip("SHOW ENGINE INNODB STATUS did not return the InnoDB monitor output")
    ctx.facts["innodb_status"] = parse_innodb_status(text)


# ---------------------------------------------------------------------------------- collectors

ACCOUNTS = Collector(
    name="accounts",
    title="Accounts (counts only, never names)",
    reads=("mysql.global_priv (MariaDB 10.4+) or mysql.user, aggregated: COUNT/SUM per role and plugin",
           "mysql.role_edges (MySQL 8, roles)"),
    writes=("accounts",),
    collect=collect_accounts,
    requires_on=accounts_requirements,
    budget_seconds=20.0,
    expected_seconds=0.05,
)

PLUGINS = Collector(
    name="plugins",
    title="Plugins",
    reads=("SHOW PLUGINS",),
    writes=("plugins",),
    collect=collect_plugins,
    budget_seconds=20.0,
    expected_seconds=0.05,
)

SECURITY = Collector(
    name="security",
    title="TLS, encryption at rest, audit plugins",
    reads=(TLS_STATUS_SQL, "SHOW SESSION STATUS LIKE 'Ssl_version'", "SHOW PLUGINS (unless the plugins collector ran)",
           "information_schema.INNODB_TABLESPACES_ENCRYPTION (MariaDB) / INNODB_TABLESPACES (MySQL 8): COUNT(*)"),
    writes=("security",),
    collect=collect_security,
    improves_with=(Requirement("PROCESS", why="count of encrypted tablespaces"),),
    budget_seconds=20.0,
    expected_seconds=0.1,
)

INNODB_STATUS = Collector(
    name="innodb_status",
    title="InnoDB status (numbers only)",
    reads=("SHOW ENGINE INNODB STATUS",),
    writes=("innodb_status",),
    collect=collect_innodb_status,
    requires=(Requirement("PROCESS", why="SHOW ENGINE INNODB STATUS"),),
    budget_seconds=20.0,
    expected_seconds=0.05,
)

SECURITY_COLLECTORS: tuple[Collector, ...] = (ACCOUNTS, PLUGINS, SECURITY, INNODB_STATUS)
