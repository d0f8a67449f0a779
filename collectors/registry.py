"""The collectors in the order they run.

The first status sample is taken early and the second last, so the --sleep interval overlaps the
other collectors instead of adding to the run time.
"""

from __future__ import annotations

from dataclasses import replace

from collectors.base import Collector
from collectors.host import CONFIG_FILE
from collectors.inventory import INVENTORY
from collectors.platform_config import RDS_CONFIGURATION
from collectors.replication import BINARY_LOGS, PROCESSLIST, REPLICATION
from collectors.schema import SCHEMA_DDL, SCHEMA_INVENTORY, TABLE_SIZES, TECHNOLOGIES
from collectors.security import SECURITY_COLLECTORS
from collectors.server import DATABASES, STATUS, STATUS_SAMPLE, VARIABLES
from collectors.slowlog_table import SLOW_LOG_TABLE
from collectors.workload import BINLOG_CLIENTS, CLIENTS, DIGESTS, MIGRATION_TABLES

ALL_COLLECTORS: tuple[Collector, ...] = (
    STATUS,  # first: the --sleep interval starts here and overlaps everything else
    VARIABLES,
    DATABASES,
    RDS_CONFIGURATION,  # RDS/Aurora only: binlog retention hours
    PROCESSLIST,
    REPLICATION,
    BINARY_LOGS,
    BINLOG_CLIENTS,  # after replication: it tells replicas from CDC tools by the replicas listed
    # before the schema walk: its SHOW CREATE statements (a digest each: names are not normalised) would otherwise
    # be read as the application's, take the digest table's free rows and, with long_query_time 0, fill slow_log
    DIGESTS,
    SLOW_LOG_TABLE,  # mysql.slow_log when log_output includes TABLE: fingerprints only
    TABLE_SIZES,
    SCHEMA_INVENTORY,
    INVENTORY,  # after table_sizes: it adds keys to the tables listed there
    TECHNOLOGIES,
    SCHEMA_DDL,
    *SECURITY_COLLECTORS,
    CLIENTS,
    MIGRATION_TABLES,
    CONFIG_FILE,
    STATUS_SAMPLE,
)


def collectors_for(sleep: float, *, schema_ddl_budget: float | None = None) -> list[Collector]:
    """The collectors for one run, with the sampling wait and DDL budget set from the options."""
    chosen = []
    for collector in ALL_COLLECTORS:
        if collector is STATUS_SAMPLE:
            collector = replace(collector, expected_seconds=max(0.1, sleep), budget_seconds=sleep + 60)
        if collector is SCHEMA_DDL and schema_ddl_budget is not None:
            collector = replace(collector, budget_seconds=schema_ddl_budget)
        chosen.append(collector)
    return chosen
