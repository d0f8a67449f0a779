"""Representative data for --self-test and --screenshots: every page filled without a server."""

from __future__ import annotations

from collectors.connection import ServerIdentity
from collectors.privileges import Grants, account_literal, preflight
from collectors.probe import Probe
from collectors.registry import collectors_for
from collectors.runner import CollectorResult, RunResult
from gui.settings import Keychain, RecentConnection
from gui.wizard import Wizard
from prechecks.collection import RunOptions, new_facts, timestamp_now
from prechecks.readiness import DOCS_COMPATIBILITY, DOCS_FOREIGN_KEYS, DOCS_IMPORTS

IDENTITY = ServerIdentity("10.11.9-MariaDB-log", "MariaDB Server", True, (10, 11, 9))
CONNECTION = RecentConnection(via="tcp", host="db1.example.internal", port=3306, user="prechecks",
                              tls_mode="verify_ca", ssl_ca="/etc/ssl/certs/db-ca.pem")
SKIPPED = {"processlist": "needs PROCESS on *.*", "replication": "needs SLAVE MONITOR on *.*",
           "binary_logs": "needs REPLICATION CLIENT on *.*"}
LOG_LINES = (
    "status: first sample taken; the second follows in 10 s",
    "table_sizes: 3 schemas, 41 tables",
    "schema_ddl: 41 tables, 2 views, 1 trigger (0.4 s)",
)


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
    grants = Grants(account="prechecks@%", global_privileges={"SELECT", "SHOW VIEW"})
    items = preflight(grants, collectors_for(10.0), IDENTITY)
    return Probe(IDENTITY, account_literal(grants.account), items, ["analytics", "shop", "wiki"])


def sample_result() -> RunResult:
    results = []
    for n, collector in enumerate(collectors_for(10.0)):
        if collector.name in SKIPPED:
            results.append(CollectorResult(collector.name, collector.title, "skipped", SKIPPED[collector.name]))
        else:
            results.append(CollectorResult(collector.name, collector.title, "ok", "", 0.05 + (n % 5) * 0.11, 2))
    facts = new_facts(None)
    facts["collection"] = {"collectors": [r.as_dict() for r in results]}
    return RunResult(facts, results, {}, [])


def _check(id_: str, title: str, severity: str, status: str, detail: str, objects: tuple[str, ...] = (),
           remediation: str = "", docs: str = DOCS_IMPORTS) -> dict[str, object]:
    return {"id": id_, "title": title, "severity": severity, "status": status, "objects": list(objects),
            "detail": detail, "remediation": remediation, "docs": docs}


def sample_readiness() -> dict[str, object]:
    return {"format_version": 1, "checks": [
        _check("mysql_version", "MySQL version", "blocker", "fail",
               "MariaDB 10.11.9 is not MySQL: PlanetScale imports from MySQL 5.7 to 8.0.",
               remediation="Migrate through a MySQL 8.0 replica, or contact PlanetScale about MariaDB.",
               docs=DOCS_COMPATIBILITY),
        _check("unique_key", "Every table has a primary or unique key", "blocker", "fail",
               "2 tables have no primary key and no unique key: shop.order_events, wiki.searchindex.",
               ("shop.order_events", "wiki.searchindex"),
               "ALTER TABLE `shop`.`order_events` ADD COLUMN id BIGINT AUTO_INCREMENT PRIMARY KEY;"),
        _check("foreign_keys", "Foreign keys", "warning", "fail",
               "1 foreign key with ON DELETE CASCADE: shop.orders.orders_ibfk_1.", ("shop.orders.orders_ibfk_1",),
               "Enable foreign key constraints support on the PlanetScale database before importing.",
               DOCS_FOREIGN_KEYS),
        _check("storage_engine", "InnoDB only", "notice", "fail", "1 table uses MyISAM: shop.legacy_log.",
               ("shop.legacy_log",), "ALTER TABLE `shop`.`legacy_log` ENGINE=InnoDB;"),
        _check("binlog_format", "Binary log format ROW", "blocker", "pass", "binlog_format is ROW."),
        _check("binlog_enabled", "Binary logging enabled", "blocker", "pass", "log_bin is ON."),
        _check("triggers", "Triggers", "warning", "skipped",
               "the account cannot see every trigger: it lacks TRIGGER on *.*"),
    ]}


def fill(wizard: Wizard) -> None:
    """Put representative data where each page reads it, as a finished run would."""
    state = wizard.state
    page = wizard.connection
    page.fill(CONNECTION)
    state.probe = sample_probe()
    state.probed_spec = page.current_spec()
    page.status.setText(f"Connected: MariaDB {IDENTITY.version} as {state.probe.account}.")
    page.show_preflight(state.probe)
    state.spec = state.probed_spec
    state.options = RunOptions()
    state.result = sample_result()
    state.result_for = state.run_key()
    state.timestamp = timestamp_now()
    state.readiness = sample_readiness()
