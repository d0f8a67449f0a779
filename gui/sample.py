"""Representative data for --self-test and --screenshots: every page filled without a server.

A made-up production primary (db1.example.internal, MariaDB 10.11, two replicas, three schemas) with
facts for every questionnaire prefill rule, a few answers typed by the DBA and one attachment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collectors.connection import ConnectionSpec, ServerIdentity
from collectors.privileges import Grants, account_literal, preflight
from collectors.probe import Probe
from collectors.registry import collectors_for
from collectors.runner import CollectorResult, RunResult
from gui.settings import Keychain, RecentConnection
from gui.wizard import Wizard
from prechecks.collection import Collected, RunOptions, derived_result, new_facts, timestamp_now

IDENTITY = ServerIdentity("10.11.9-MariaDB-log", "MariaDB Server", True, (10, 11, 9))
CONNECTION = RecentConnection(via="tcp", host="db1.example.internal", port=3306, user="prechecks",
                              tls_mode="verify_ca", ssl_ca="/etc/ssl/certs/db-ca.pem")
PRIVILEGES = {"SELECT", "SHOW VIEW", "REPLICATION CLIENT", "SLAVE MONITOR"}  # no PROCESS: the preflight says so
TYPED_IN = "not-a-real-one-2026"  # the Connection page's password field: shown as dots
GIB = 1024**3
SCHEMAS = (  # name, tables, data bytes, index bytes
    ("shop", 23, 38.2 * GIB, 9.1 * GIB),
    ("analytics", 12, 12.4 * GIB, 2.2 * GIB),
    ("wiki", 6, 1.3 * GIB, 0.4 * GIB),
)
TABLES = (  # schema, name, engine, rows, data bytes, index bytes
    ("shop", "orders", "InnoDB", 182_400_000, 14.8 * GIB, 3.9 * GIB),
    ("shop", "order_events", "InnoDB", 611_000_000, 11.2 * GIB, 0.0),
    ("analytics", "page_views", "InnoDB", 402_000_000, 9.6 * GIB, 1.7 * GIB),
    ("shop", "customers", "InnoDB", 4_100_000, 2.1 * GIB, 1.2 * GIB),
    ("wiki", "searchindex", "InnoDB", 2_300_000, 0.9 * GIB, 0.2 * GIB),
    ("shop", "legacy_log", "MyISAM", 9_800_000, 0.7 * GIB, 0.1 * GIB),
)
ANSWERS = {  # what a DBA typed on the questionnaire pages
    "architecture.regions": "eu-west-1 (Dublin), one replica in eu-central-1 for reporting",
    "performance.traffic_pattern": "Office hours in Europe; nightly batch at 02:00; 5x the load on Black Friday",
    "team.members": "2 DBAs, 14 developers in 3 teams",
    "team.timeline": "Cut-over before the end of Q3",
    "plan.support": "business",
    "contact.name": "Alex Example",
    "contact.company": "Example Shop Ltd",
}
ATTACHMENT_NAME = "architecture-diagram.txt"
ATTACHMENT_TEXT = ("app (Rails, 12 pods) -> ProxySQL -> db1 (primary)\n"
                   "                                 -> db2, db3 (replicas; db3 feeds the warehouse via Debezium)\n")


class MemoryKeychain(Keychain):
    """A keychain that exists but keeps nothing outside this process (self-test, screenshots)."""

    def __init__(self) -> None:
        self.passwords: dict[str, str] = {}

    def available(self) -> bool:
        return True

    def get(self, user: str) -> str | None:
        return self.passwords.get(user)

    def store(self, user: str, password: str) -> bool:
        self.passwords[user] = password
        return True

    def forget(self, user: str) -> None:
        self.passwords.pop(user, None)


def sample_probe() -> Probe:
    grants = Grants(account="prechecks@%", global_privileges=PRIVILEGES)
    items = preflight(grants, collectors_for(10.0), IDENTITY)
    return Probe(IDENTITY, account_literal(grants.account), items, ["analytics", "shop", "wiki"])


def _status(uptime: int, questions: int, reads: int, writes: int) -> dict[str, str]:
    counters = {
        "Uptime": uptime, "Questions": questions, "Com_select": questions * 71 // 100,
        "Com_insert": questions * 12 // 100, "Com_update": questions * 9 // 100, "Com_delete": questions // 100,
        "Com_replace": 0, "Threads_running": 6, "Threads_connected": 212, "Max_used_connections": 480,
        "Innodb_buffer_pool_pages_total": 3_145_728, "Innodb_buffer_pool_pages_data": 3_011_204,
        "Innodb_buffer_pool_pages_free": 8_192, "Innodb_data_reads": reads, "Innodb_data_writes": writes,
        "Bytes_received": questions * 310, "Bytes_sent": questions * 2_900, "Connections": 1_920_443,
    }
    return {name: str(value) for name, value in counters.items()}


def sample_facts(spec: ConnectionSpec) -> dict[str, Any]:
    """facts.json of the made-up server: enough for the report's main sections and every prefill rule."""
    uptime = 41 * 86400 + 7 * 3600
    questions = int(uptime * 1240.4)
    facts = new_facts(spec)
    facts.update({
        "server": {"uptime_seconds": uptime, "version": IDENTITY.version, "version_comment": IDENTITY.version_comment,
                   "version_tuple": list(IDENTITY.version_tuple), "flavor": "mariadb",
                   "flavor_evidence": [f"version = {IDENTITY.version}"], "platform": "self-managed",
                   "platform_evidence": ["no hosting platform's variables found"],
                   "hostname": "db1", "port": 3306, "datadir": "/var/lib/mysql/", "time_zone": "UTC"},
        "variables": {"version": IDENTITY.version, "innodb_buffer_pool_size": str(48 * GIB),
                      "max_connections": "1000", "binlog_format": "ROW", "binlog_row_image": "FULL", "log_bin": "ON",
                      "binlog_expire_logs_seconds": str(7 * 86400), "innodb_file_per_table": "ON",
                      "character_set_server": "utf8mb4", "collation_server": "utf8mb4_general_ci",
                      "transaction_isolation": "REPEATABLE-READ",
                      "sql_mode": "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ONLY_FULL_GROUP_BY,"
                                  "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"},
        "status": {"first": _status(uptime, questions, 88_120_443, 1_203_991_220),
                   "second": _status(uptime + 10, questions + 18_700, 88_121_203, 1_204_016_110),
                   "interval_seconds": 10.0},
        "databases": ["analytics", "information_schema", "mysql", "performance_schema", "shop", "sys", "wiki"],
        "schemas": [{"name": name, "tables": tables, "data_bytes": int(data), "index_bytes": int(index)}
                    for name, tables, data, index in SCHEMAS],
        "tables": [{"schema": schema, "name": name, "engine": engine, "rows": rows, "data_bytes": int(data),
                    "index_bytes": int(index), "columns": 6 + len(name), "float_primary_key": [],
                    "partition_method": None, "subpartition_method": None,
                    "unique_key": None if name == "order_events" else {"name": "PRIMARY", "columns": ["id"]}}
                   for schema, name, engine, rows, data, index in TABLES],
        "objects": {"views": [{"name": "shop.big_orders"}], "routines": [], "events": [],
                    "triggers": [{"name": "shop.orders_audit"}],
                    "foreign_keys": [{"name": "shop.orders.orders_ibfk_1", "table": "shop.orders",
                                      "references": "shop.customers", "on_delete": "CASCADE",
                                      "on_update": "RESTRICT"}],
                    "check_constraints": [], "generated_columns": [], "non_ascii_identifiers": [],
                    "unsupported_charset_columns": [], "unsupported_charset_tables": [], "wide_tables": [],
                    "user_defined_functions": []},
        "object_visibility": {kind: {"complete": True}
                              for kind in ("triggers", "events", "routines", "user_defined_functions")},
        "inventory": {"cut": None, "failed_schemas": []},
        "replication": {"sources": [], "is_replica": False, "binlog_dump_threads": 2, "replica_count": 2,
                        "role": "primary", "replicas": [{"host": "db2.example.internal", "port": 3306},
                                                        {"host": "db3.example.internal", "port": 3306}]},
        "binlog": {"enabled": True, "format": "ROW", "row_image": "FULL", "expire_seconds": 7 * 86400,
                   "files": [{"name": f"mysql-bin.{n:06d}", "size": 1_073_741_824} for n in range(4182, 4190)],
                   "total_bytes": 8 * 1_073_741_824},
        "workload": {
            "clients": {"drivers": {"mysql2 (Ruby)": 180, "MariaDB Connector/J": 24, "libmariadb": 8},
                        "programs": {"puma": 180, "sidekiq": 24, "mysqld_exporter": 2}},
            "migration_tables": [{"schema": "shop", "table": "schema_migrations", "tool": "rails"},
                                 {"schema": "shop", "table": "_orders_gho", "tool": "gh-ost"}],
            "uptime_seconds": uptime, "queries_total": questions, "qps_average_since_start": 1240.4,
            "qps_sampled": 1870.0, "sampled_interval_seconds": 10.0,
        },
        "security": {"tls_available": True, "ssl_accepts": 412_233, "tls_in_use": True,
                     "require_secure_transport": "OFF",
                     "encryption_at_rest": {"innodb_encrypt_tables": "OFF", "encrypted_tables": 0},
                     "audit_plugins": []},
    })
    return facts


def sample_result(spec: ConnectionSpec | None = None) -> Collected:
    skipped = {item.collector: item.reason for item in sample_probe().preflight if not item.partial}
    results = []
    for n, collector in enumerate(collectors_for(10.0)):
        if collector.name in skipped:
            results.append(CollectorResult(collector.name, collector.title, "skipped", skipped[collector.name]))
        else:
            results.append(CollectorResult(collector.name, collector.title, "ok", "", 0.05 + (n % 5) * 0.11, 2))
    facts = sample_facts(spec) if spec is not None else new_facts(None)
    facts["collection"] = {"collectors": [r.as_dict() for r in results]}
    return derived_result(RunResult(facts, results, {}, []))  # derived as a live run's are


def log_lines(result: RunResult) -> list[str]:
    """The Collect page's log of the run, as its progress events write it."""
    total = len(result.results)
    return [f"[{n}/{total}] {r.title}: {r.status}" + (f" ({r.reason})" if r.reason else "")
            for n, r in enumerate(result.results, start=1)]


def fill(wizard: Wizard, scratch: Path) -> None:
    """Put representative data where each page reads it, as a finished run and a DBA would; files in `scratch`."""
    state = wizard.state
    page = wizard.connection
    page.fill(CONNECTION, TYPED_IN)
    state.probe = sample_probe()
    state.probed_spec = page.current_spec()
    page.status.setText(f"Connected: MariaDB {IDENTITY.version} as {state.probe.account}.")
    page.show_preflight(state.probe)
    state.spec = state.probed_spec
    state.options = RunOptions()
    state.result = result = sample_result(state.spec)
    state.result_for = state.run_key()
    state.timestamp = timestamp_now()
    state.readiness = result.readiness  # what the archive's readiness.json will say
    state.answers.update(ANSWERS)
    (scratch / ATTACHMENT_NAME).write_text(ATTACHMENT_TEXT, encoding="utf-8")  # added on the Attachments page
