"""prechecks.report.render_report: every section, partial facts, and pt-mysql-summary's layouts."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from prechecks.derive import derive
from prechecks.report import SECTIONS, pretty_print_cnf, render_report

PT = Path("/usr/bin/pt-mysql-summary")
SAMPLES = Path(__file__).parent / "data" / "samples"
MARIADB_SAMPLE = SAMPLES / "ps-prechecks-mariadb-10.11"
needs_pt = pytest.mark.skipif(
    not PT.exists() or shutil.which("bash") is None,
    reason="Percona Toolkit's pt-mysql-summary is not installed",
)

HEADINGS = [
    "## PlanetScale Migration Pre-Check Report",
    "## Sizing and pricing inputs",
    "## PlanetScale import readiness",
    "## Collection",
    "## Summary",
    "## Table Information (top 20, approx. row counts)",
    "## Report On Port 3306",
    "## Noteworthy Variables",
    "## Noteworthy Technologies",
    "## Processlist",
    "## Status Counters (Wait 10 Seconds)",
    "## Galera / Percona XtraDB Cluster",
    "## Query cache",
    "## Configuration File",
    "## Schema",
    "## Binary Logging",
    "## The End",
]

# The Status Counters lines of the original report for the MariaDB sample (--sleep 1), copied
# from tests/data/samples/ps-prechecks-mariadb-10.11.report.md.
ORIGINAL_STATUS_LINES = """\
    Bytes_received                       1500000000       17500      200000
    Bytes_sent                            450000000        5000      900000
    Com_insert                              4500000          50            
    Com_select                                70000                     600
    Com_set_option                            35000                    1500
    Connections                              100000           1          10
    Max_used_connections                       6000                        
    Queries                                 7000000          90        3000
    Questions                               7000000          80        3000
    Select_scan                               45000                     700
    Sort_rows                               1750000          20        2500
    Sort_scan                                 12500                     300
    Threads_connected                          6000                        
    Threads_created                            6000                        
    Threads_running                            6000                        """.splitlines()  # noqa: W291


def _group(value: str, count: int, working: int, time_sum: int, time_max: int) -> dict[str, Any]:
    return {"value": value, "count": count, "working": working, "time_sum": time_sum, "time_max": time_max}


def _collectors(**statuses: tuple[str, str]) -> list[dict[str, Any]]:
    names = ["variables", "status", "schema_inventory", "table_sizes", "processlist", "replication",
             "binary_logs", "technologies", "config_file", "schema_ddl"]
    out = []
    for name in names:
        status, reason = statuses.get(name, ("ok", ""))
        out.append({"name": name, "status": status, "reason": reason, "seconds": 0.01, "statements": 1})
    return out


def full_facts() -> dict[str, Any]:
    """A hand-built facts document with every key of docs/facts.md."""
    tables = [
        {"schema": "shop", "name": f"t{i:02d}", "engine": "InnoDB", "rows": 1000 * i,
         "data_bytes": 16384 * (i + 1), "index_bytes": 16384, "row_format": "Dynamic", "create_options": ""}
        for i in range(25)
    ]
    tables.append({"schema": "logs", "name": "big", "engine": "InnoDB", "rows": None,
                   "data_bytes": 3 * 1024 ** 3, "index_bytes": 512 * 1024 ** 2,
                   "row_format": "Compressed", "create_options": "row_format=COMPRESSED"})
    first = {"Uptime": "86400", "Questions": "8640000", "Queries": "9000000", "Com_select": "4320000",
             "Com_insert": "864", "Bytes_sent": "0", "Threads_connected": "12", "Threads_running": "3",
             "Innodb_rows_read": "1000000", "Innodb_rows_inserted": "100", "Innodb_rows_updated": "20",
             "Innodb_rows_deleted": "3", "Qcache_free_memory": "524288", "Qcache_hits": "300",
             "Qcache_inserts": "1000", "wsrep_cluster_size": "3", "wsrep_incoming_addresses": "a,b,c",
             "wsrep_cluster_status": "Primary"}
    second = {**first, "Uptime": "86410", "Questions": "8641000", "Queries": "9001000",
              "Com_select": "4320500", "Com_insert": "864"}
    variables = {
        "port": "3306", "hostname": "db1", "version": "10.6.16-MariaDB-log", "version_comment": "MariaDB Server",
        "version_compile_os": "Linux", "version_compile_machine": "x86_64", "datadir": "/var/lib/mysql/",
        "time_zone": "SYSTEM", "system_time_zone": "UTC",
        "auto_increment_increment": "1", "auto_increment_offset": "1", "character_set_server": "utf8mb4",
        "collation_server": "utf8mb4_general_ci", "default_storage_engine": "InnoDB",
        "innodb_buffer_pool_size": "268435456", "innodb_log_file_size": "100663296",
        "innodb_log_buffer_size": "16777216", "join_buffer_size": "262144", "max_allowed_packet": "16777216",
        "sort_buffer_size": "2097152", "thread_stack": "299008", "tmp_table_size": "16777216",
        "bulk_insert_buffer_size": "8388608", "sql_mode": "STRICT_TRANS_TABLES", "init_connect": "",
        "transaction_isolation": "READ-COMMITTED", "slow_query_log": "ON",
        "wsrep_on": "ON", "wsrep_cluster_name": "galera1", "wsrep_cluster_address": "gcomm://a,b,c",
        "wsrep_node_name": "db1", "wsrep_sst_method": "mariabackup", "wsrep_slave_threads": "4",
        "wsrep_provider_options": "gcache.dir = /var/lib/mysql/; gcache.name = galera.cache; "
                                  "gcache.size = 128M; pc.ignore_quorum = false; pc.ignore_sb = false",
        "have_query_cache": "YES", "query_cache_type": "ON", "query_cache_size": "1048576",
        "expire_logs_days": "10", "binlog_expire_logs_seconds": "864000", "sync_binlog": "1",
        "gtid_current_pos": "0-1-100",
    }
    return {
        "format_version": 1,
        "tool": {"name": "ps-prechecks", "version": "0.1.0"},
        "collected_at": "2026-11-26T07:46:57+00:00",
        "source": {"host": "db1.example", "port": 3306, "socket": None, "user": "checker", "via": "tcp"},
        "server": {"version": "10.6.16-MariaDB-log", "version_comment": "MariaDB Server", "flavor": "mariadb",
                   "platform": "rds", "platform_evidence": ["basedir /rdsdbbin"], "hostname": "db1",
                   "port": 3306, "datadir": "/var/lib/mysql/", "basedir": "/rdsdbbin/",
                   "uptime_seconds": 86400, "started_at": "2026-11-25T07:46:57+00:00",
                   "version_tuple": [10, 6, 16]},
        "variables": variables,
        "status": {"first": first, "second": second, "interval_seconds": 10.0},
        "databases": ["information_schema", "logs", "mysql", "performance_schema", "shop", "sys"],
        "schemas": [
            {"name": "shop", "tables": 25, "views": 2, "routines": 1, "triggers": 0, "events": 0,
             "data_bytes": 5 * 1024 ** 2, "index_bytes": 400 * 1024, "engines": {"InnoDB": 25}},
            {"name": "logs", "tables": 1, "views": 0, "routines": 0, "triggers": 3, "events": 1,
             "data_bytes": 3 * 1024 ** 3, "index_bytes": 512 * 1024 ** 2, "engines": {"InnoDB": 1}},
        ],
        "tables": tables,
        "processlist": {"total": 14, "groups": {
            "command": [_group("Sleep", 12, 0, 5012, 900), _group("Query", 2, 2, 3, 3)],
            "user": [_group("app", 13, 1, 5014, 900), _group("checker", 1, 1, 0, 0)],
            "host": [_group("10.0.0.5", 13, 1, 5014, 900), _group("localhost", 1, 1, 0, 0)],
            "db": [_group("shop", 13, 1, 5014, 900), _group("NULL", 1, 1, 0, 0)],
            "state": [_group("", 12, 0, 5012, 900), _group("Sending data", 1, 1, 3, 3),
                      _group("starting", 1, 1, 0, 0)],
        }},
        "replication": {"role": "replica", "is_replica": True, "replica_count": 0, "replicas": [],
                        "binlog_dump_threads": 0,
                        "sources": [{"channel": "", "source_host": "10.0.0.1", "source_port": 3306,
                                     "io_running": "Yes", "sql_running": "Yes", "seconds_behind": 0,
                                     "using_gtid": "Slave_Pos", "last_error": ""}],
                        "statements": {"replica_status": "SHOW REPLICA STATUS"}},
        "binlog": {"enabled": True, "format": "ROW", "row_image": "FULL", "gtid_mode": None,
                   "enforce_gtid_consistency": None, "expire_seconds": 864000,
                   "files": [{"name": "binlog.000001", "size": 1073741824}, {"name": "binlog.000002", "size": 0},
                             {"name": "binlog.000003", "size": 433440}],
                   "total_bytes": 1074175264,
                   "current": {"file": "binlog.000003", "position": 433440, "gtid_executed": ""}},
        "technologies": {
            "fulltext": {"value": True, "evidence": "3 FULLTEXT indexes"},
            "geospatial": {"value": False, "evidence": "no spatial columns"},
            "foreign_keys": {"value": True, "evidence": "4 foreign keys"},
            "partitioning": {"value": False, "evidence": ""},
            "compression": {"value": True, "evidence": "1 table with ROW_FORMAT=COMPRESSED"},
            "ssl": {"value": False, "evidence": "Ssl_accepts = 0"},
            "lock_tables": {"value": None, "evidence": "Com_lock_tables not readable"},
            "xa": {"value": False, "evidence": "Com_xa_start = 0"},
            "prepared_statements": {"value": True, "evidence": "Com_stmt_prepare = 12"},
        },
        "workload": {"uptime_seconds": 86400, "queries_total": 8640000, "qps_average_since_start": 100.0,
                     "qps_sampled": 100.0, "rows_read_total": 1000000, "rows_written_total": 123,
                     "rows_read_per_day": 1000000.0, "rows_written_per_day": 123.0},
        "schema_ddl": {"objects": 31, "bytes": 48000, "cut": ""},
        "config_file": {"path": "/etc/mysql/my.cnf", "redacted": ["mysqld.password"]},
        "collection": {"collectors": _collectors(technologies=("failed", "lost connection to server")),
                       "started_at": "2026-11-26T07:46:57+00:00",
                       "finished_at": "2026-11-26T07:47:10+00:00", "error": None},
    }


def section(report: str, heading_start: str) -> list[str]:
    """The body lines of the section whose heading starts with heading_start."""
    lines = report.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {heading_start}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start + 1:end]


def test_full_facts_render_every_section_in_order():
    report = render_report(derive(full_facts()))
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings == HEADINGS
    assert "Could not render" not in report
    assert "Not collected" not in report
    assert report.endswith("## The End\n")
    # the name | value layout: names right-aligned to 35 columns
    for line in report.splitlines():
        if " | " in line and not line.startswith("    "):
            assert line.index(" | ") >= 35, line


def test_collection_lists_only_collectors_that_are_not_ok():
    body = section(render_report(derive(full_facts())), "Collection")
    assert body == ["                       technologies | failed — lost connection to server", ""]


def test_summary_and_tables():
    report = render_report(derive(full_facts()))
    assert section(report, "Summary")[:7] == [  # derived from the status samples (prechecks.derive)
        "         Rows written since startup | 123",
        "            Rows read since startup | 1000000",
        "         Daily average rows written | 123",
        "            Daily average rows read | 1000000",
        "                  Rows counted from | Innodb_rows_read; Innodb_rows_inserted + updated + deleted",
        "       Queries per second (average) | 100.0",
        "       Queries per second (sampled) | 100.0",
    ]
    tables = section(report, "Table Information")
    assert tables[0] == "                                4G  | Total"
    assert tables[1] == "                        4G (? rows) | logs.big"
    assert tables[2] == "                  416k (24000 rows) | shop.t24"
    assert len([line for line in tables if " | " in line]) == 21  # Total + top 20


def test_top_tables_is_honoured():
    tables = section(render_report(derive(full_facts()), top_tables=3), "Table Information (top 3")
    assert len([line for line in tables if " | " in line]) == 4


def test_report_on_port():
    body = section(render_report(derive(full_facts())), "Report On Port 3306")
    assert body[:11] == [
        "                               User | checker@db1.example",
        "                               Time | 2026-11-26 07:46:57 UTC (server time zone: UTC)",
        "                           Hostname | db1",
        "                            Version | 10.6.16-MariaDB-log MariaDB Server",
        "                           Built On | Linux x86_64",
        "                     Cloud Platform | rds (basedir /rdsdbbin)",
        "                            Started | 2026-11-25 07:46 UTC (up 1+00:00:00)",
        "                          Databases | 6",
        "                            Datadir | /var/lib/mysql/",
        "                          Processes | 10 connected, 3 running",
        "                        Replication | Is a replica of 10.0.0.1:3306 (IO Yes, SQL Yes, 0 s behind)",
    ]


def test_report_on_port_uses_the_servers_own_user_and_clock():
    facts = full_facts()
    facts["server"].update({"current_user": "checker@%", "local_time": "2026-11-26 08:46:57",
                            "time_zone": "CET", "compile_os": "debian-linux-gnu"})
    facts["variables"]["system_time_zone"] = "CET"
    body = section(render_report(derive(facts)), "Report On Port")
    assert body[0] == "                               User | checker@%"
    assert body[1] == "                               Time | 2026-11-26 08:46:57 (CET)"
    assert body[4] == "                           Built On | debian-linux-gnu x86_64"


def test_replication_texts():
    facts = full_facts()
    facts["replication"] = {"role": "primary", "is_replica": False, "sources": [], "replica_count": 2}
    body = section(render_report(derive(facts)), "Report On Port")
    assert "                        Replication | Is not a replica, has 2 replicas connected" in body
    facts["replication"] = {"role": "replica+primary", "is_replica": True, "replica_count": 1, "sources": [
        {"channel": "east", "source_host": "10.0.0.1", "source_port": 3306, "io_running": "No",
         "sql_running": "Yes", "seconds_behind": None}]}
    body = section(render_report(derive(facts)), "Report On Port")
    assert ("                        Replication | Is a replica of 10.0.0.1:3306 (channel east) "
            "(IO No, SQL Yes, lag unknown), has 1 replicas connected") in body


def test_noteworthy_variables():
    body = section(render_report(derive(full_facts())), "Noteworthy Variables")
    assert "           innodb_adaptive_flushing | (not on this server)" in body
    assert "                       tx_isolation | (not on this server; transaction_isolation = READ-COMMITTED)" in body
    assert "                   log_slow_queries | (not on this server; slow_query_log = ON)" in body
    assert "            innodb_buffer_pool_size | 256M" in body
    assert "               innodb_log_file_size | 96M" in body
    assert "                   join_buffer_size | 256k" in body
    assert "                       thread_stack | 292k" in body
    assert "            bulk_insert_buffer_size | 8M" in body
    assert "                   read_buffer_size | (not on this server)" in body
    assert all(line.split(" | ", 1)[1].strip() for line in body if " | " in line)  # never blank


def test_noteworthy_technologies_lines():
    body = section(render_report(derive(full_facts())), "Noteworthy Technologies")
    assert body[:9] == [
        "                 Full Text Indexing | Yes",
        "                   Geospatial Types | No",
        "                       Foreign Keys | Yes",
        "                       Partitioning | No",
        "                 InnoDB Compression | Yes",
        "                                SSL | No",
        "               Explicit LOCK TABLES | Unknown — Com_lock_tables not readable",
        "                    XA Transactions | No",
        "                Prepared Statements | Yes",
    ]


def test_processlist_layout():
    body = section(render_report(derive(full_facts())), "Processlist")
    assert body[:5] == [
        "",
        "    Command                        COUNT(*) Working SUM(Time) MAX(Time)",
        "    ------------------------------ -------- ------- --------- ---------",
        "    Query                                 2       2         3         3",
        "    Sleep                                10       0      5000       900",  # fuzzed as pt does
    ]
    state = body[body.index("    State                          COUNT(*) Working SUM(Time) MAX(Time)"):]
    assert state[2:5] == [
        "                                         10       0      5000       900",
        "    Sending data                          1       1         3         3",
        "    starting                              1       1         0         0",
    ]


def test_status_counters_section():
    body = section(render_report(derive(full_facts())), "Status Counters")
    assert body[0] == "    Variable                                Per day  Per second     10 secs"
    assert "    Questions                               9000000         100         100" in body
    assert not any("Bytes_sent" in line for line in body)  # 0 prints nothing, as in pt


CONFIG_TEXT = ("# comment\n[mysqld]\nport = 3306\npassword = <redacted>\n"
               "skip-name-resolve\n!includedir /etc/mysql/conf.d/\n")


def test_galera_query_cache_config_schema_binlog():
    report = render_report(derive(full_facts()), config_text=CONFIG_TEXT)
    galera = section(report, "Galera")
    assert "                       Cluster Name | galera1" in galera
    assert "                       Cluster Size | 3" in galera
    assert "                        gcache Size | 128M" in galera
    assert "                   gcache Directory | /var/lib/mysql/" in galera
    assert "                 Ignore Split Brain | false" in galera
    assert section(report, "Query cache")[:4] == [
        "                   query_cache_type | ON",
        "                               Size | 1.0M",
        "                              Usage | 50%",
        "                   HitToInsertRatio | 30%",
    ]
    assert section(report, "Configuration File")[:5] == [
        "                        Config File | /etc/mysql/my.cnf",
        "",
        "    [mysqld]",
        "    port                                = 3306",
        "    password                            = <redacted>",
    ]
    schema = section(report, "Schema")
    assert schema[1].split() == ["Database", "Tables", "Views", "Routines", "Triggers", "Events",
                                 "Data", "Index", "Engines"]
    assert schema[2].split() == ["logs", "1", "0", "0", "3", "1", "3G", "512M", "InnoDB", "1"]
    assert schema[3].split() == ["shop", "25", "2", "1", "0", "0", "5M", "400k", "InnoDB", "25"]
    assert "        DDL in the mysqldump sample | 31 objects, 46.9k" in schema
    binlog = section(report, "Binary Logging")
    assert binlog[:5] == [
        "                            Binlogs | 3",
        "                         Zero-Sized | 1",
        "                         Total Size | 1.0G",
        "                      binlog_format | ROW",
        "                   binlog_row_image | FULL",
    ]
    gtid = "                          gtid_mode | (not on this server; MariaDB GTID, gtid_current_pos = 0-1-100)"
    assert gtid in binlog
    assert "                   Binlog retention | 864000 s (10.0 days)" in binlog
    assert "                       Current file | binlog.000003 at 433440" in binlog


def test_mysql8_shapes():
    facts = full_facts()
    variables = facts["variables"]
    for name in ("have_query_cache", "query_cache_type", "query_cache_size", "wsrep_on"):
        variables.pop(name)
    report = render_report(derive(facts))
    assert section(report, "Query cache")[0] == "                        query_cache | not on this server"
    assert section(report, "Galera")[0] == "                           wsrep_on | (not on this server)"
    facts["binlog"]["enabled"] = False
    assert section(render_report(derive(facts)), "Binary Logging")[0].endswith("| OFF (binary logging is disabled)")


def test_every_section_says_why_when_only_collection_is_there():
    reasons = {
        "variables": ("failed", "Access denied; you need (at least one of) the PROCESS privilege(s)"),
        "status": ("skipped", "needs PROCESS (GRANT PROCESS ON *.* TO ...)"),
        "schema_inventory": ("skipped", "time budget spent"),
        "table_sizes": ("skipped", "time budget spent"),
        "processlist": ("skipped", "the samples directory has no mysql-processlist file"),
        "replication": ("failed", "SHOW REPLICA STATUS: denied"),
        "binary_logs": ("skipped", "binary logging is off"),
        "technologies": ("failed", "timeout"),
        "config_file": ("skipped", "the server is not on this machine"),
        "schema_ddl": ("skipped", "--no-schema-ddl"),
    }
    facts = {"collection": {"collectors": _collectors(**reasons), "error": None}}
    report = render_report(derive(facts))
    assert "Could not render" not in report
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert len(headings) == len(SECTIONS) + 1
    expected_first_line = {
        "Summary": "Not collected: skipped — needs PROCESS (GRANT PROCESS ON *.* TO ...)",
        "Table Information": "Not collected: skipped — time budget spent",
        "Report On Port": "Not collected: failed — Access denied; you need (at least one of) the PROCESS privilege(s)",
        "Noteworthy Variables": "Not collected: failed — Access denied; you need (at least one of) "
                                "the PROCESS privilege(s)",
        "Noteworthy Technologies": "Not collected: failed — timeout",
        "Processlist": "Not collected: skipped — the samples directory has no mysql-processlist file",
        "Status Counters": "Not collected: skipped — needs PROCESS (GRANT PROCESS ON *.* TO ...)",
        "Galera": "Not collected: failed — Access denied; you need (at least one of) the PROCESS privilege(s)",
        "Query cache": "Not collected: failed — Access denied; you need (at least one of) the PROCESS privilege(s)",
        "Configuration File": "Not collected: skipped — the server is not on this machine",
        "Schema": "Not collected: skipped — time budget spent",
        "Binary Logging": "Not collected: skipped — binary logging is off",
    }
    for heading, first_line in expected_first_line.items():
        assert section(report, heading)[0] == first_line, heading
    assert "        DDL in the mysqldump sample | Not collected: skipped — --no-schema-ddl" in section(report, "Schema")
    # every section says something
    for heading in headings[:-1]:
        assert any(line.strip() for line in section(report, heading[3:])), heading


def test_empty_document_and_unrun_collectors_do_not_crash():
    report = render_report(derive({}))
    assert "Could not render" not in report
    assert "Not recorded: the facts document has no collection record" in report
    report = render_report(derive({"collection": {"collectors": []}}))
    assert section(report, "Processlist")[0] == "Not collected: the processlist collector did not run"


@pytest.mark.parametrize("key", sorted(full_facts()))
def test_any_single_missing_key_still_renders(key):
    facts = full_facts()
    del facts[key]
    report = render_report(derive(facts))
    assert "Could not render" not in report
    assert report.count("\n## ") == len(SECTIONS)


@pytest.mark.parametrize("path", [("status", "second"), ("status", "interval_seconds"), ("server", "port"),
                                  ("workload", "rows_read_total"), ("binlog", "files"), ("source", "user"),
                                  ("processlist", "groups"), ("replication", "sources")])
def test_missing_nested_keys_still_render(path):
    facts = full_facts()
    del facts[path[0]][path[1]]
    assert "Could not render" not in render_report(derive(facts))


def test_odd_values_are_contained_to_their_section():
    facts = full_facts()
    facts["tables"] = [{"schema": "a", "name": "b", "data_bytes": "lots", "index_bytes": None, "rows": "x"}]
    facts["processlist"]["groups"]["command"] = [{"value": None, "count": "3"}]
    facts["technologies"] = {"fulltext": "yes"}
    report = render_report(derive(facts))
    assert "Could not render" not in report
    assert "                 Full Text Indexing | Unknown — not determined by this run" in report


# ----------------------------------------------------------------- the original report's lines


def _defer(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    first: dict[str, str] = {}
    second: dict[str, str] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 3:
            first[fields[0]], second[fields[0]] = fields[1], fields[2]
    return first, second


def _mariadb_sample_facts() -> dict[str, Any]:
    if not MARIADB_SAMPLE.exists():
        pytest.skip(f"{MARIADB_SAMPLE} is missing")
    first, second = _defer(MARIADB_SAMPLE / "mysql-status-defer")
    variables = dict(line.split("\t", 1) for line in (MARIADB_SAMPLE / "mysql-variables").read_text().splitlines()
                     if "\t" in line)
    return {"status": {"first": first, "second": second, "interval_seconds": 1},
            "variables": variables, "server": {"uptime_seconds": 14, "port": 3399}}


def test_status_counters_equal_the_original_report():
    body = section(render_report(derive(_mariadb_sample_facts())), "Status Counters (Wait 1 Seconds)")
    assert body[0] == "    Variable                                Per day  Per second      1 secs"
    assert [line for line in body[1:] if line] == ORIGINAL_STATUS_LINES


def test_query_cache_and_galera_equal_the_original_report():
    report = render_report(derive(_mariadb_sample_facts()))
    assert section(report, "Query cache")[:4] == [
        "                   query_cache_type | OFF",
        "                               Size | 1.0M",
        "                              Usage | 1%",
        "                   HitToInsertRatio | 0%",
    ]
    assert section(report, "Galera")[0] == "                           wsrep_on | OFF"


def test_rows_on_mariadb_come_from_rows_read_and_handler_counters():
    # MariaDB 10.11 has no Innodb_rows_*: the original printed a blank "Rows read" here
    body = section(render_report(derive(_mariadb_sample_facts())), "Summary")
    assert body[:5] == [
        "         Rows written since startup | 772",
        "            Rows read since startup | 6",
        "         Daily average rows written | 4764343",  # 772 / (14 / 86400)
        "            Daily average rows read | 37029",
        "                  Rows counted from | Rows_read; Handler_write + Handler_update + Handler_delete",
    ]
    facts = _mariadb_sample_facts()
    del facts["status"]["first"]["Rows_read"]
    body = section(render_report(derive(facts)), "Summary")
    # no guess from other counters: say it is unknown
    assert body[1] == "            Rows read since startup | (unknown: this server has none of the counters used)"


def test_rows_basis_from_workload_is_shown():
    facts = full_facts()
    facts["workload"]["rows_basis"] = "Innodb_rows_read; Innodb_rows_inserted + updated + deleted"
    body = section(render_report(derive(facts)), "Summary")
    assert "                  Rows counted from | Innodb_rows_read; Innodb_rows_inserted + updated + deleted" in body
    del facts["workload"]
    body = section(render_report(derive(facts)), "Summary")
    assert body[1] == "            Rows read since startup | 1000000"
    assert "                  Rows counted from | Innodb_rows_read; Innodb_rows_inserted + updated + deleted" in body


# ----------------------------------------------------------------- pt-mysql-summary, live


def _run_pt(script: str) -> str:
    env = {**os.environ, "LC_ALL": "C"}
    return subprocess.run(["bash", "-c", f"source {PT}\n{script}"], capture_output=True, text=True,
                          env=env, timeout=60, check=True).stdout


def _pt_aggregate(text: str) -> dict[str, list[dict[str, Any]]]:
    """SHOW FULL PROCESSLIST\\G aggregated the way summarize_processlist()'s awk does it."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for param in ("Command", "User", "Host", "db", "State"):
        count: dict[str, int] = defaultdict(int)
        sleep: dict[str, int] = defaultdict(int)
        total: dict[str, int] = defaultdict(int)
        longest: dict[str, int] = defaultdict(int)
        p, t, c = "", 0, ""
        for raw in text.splitlines():
            line = raw[:80]
            fields = line.split()
            if not fields:
                continue
            if fields[0] == f"{param}:":
                p = line[line.index(":") + 2:]
                p = p.split(":", 1)[0][:30]
            if fields[0] == "Time:":
                t = 0 if fields[1] == "NULL" else int(fields[1])
            if fields[0] == "Command:":
                c = fields[1]
            if fields[0] == "Info:":
                count[p] += 1
                sleep[p] += c == "Sleep"
                if param == "Command" or c != "Sleep":
                    total[p] += t
                    longest[p] = max(longest[p], t)
        groups[param.lower()] = [_group(v, count[v], count[v] - sleep[v], total[v], longest[v]) for v in count]
    return groups


PROCESSLIST_G = "".join(
    f"*************************** {i + 1}. row ***************************\n"
    f"     Id: {i + 1}\n   User: {user}\n   Host: {host}\n     db: {db}\nCommand: {command}\n"
    f"   Time: {time}\n  State: {state}\n   Info: NULL\n"
    for i, (user, host, db, command, time, state) in enumerate(
        [("app", "10.0.0.5:50001", "shop", "Sleep", 900, ""), ("app", "10.0.0.5:50002", "shop", "Sleep", 12, ""),
         ("app", "10.0.0.6:50003", "shop", "Query", 3, "Sending data"),
         ("a_very_long_user_name_that_goes_past_thirty", "localhost", "NULL", "Query", 0, "starting"),
         ("repl", "10.0.0.9:40000", "NULL", "Binlog Dump", 86400, "Master has sent all binlog to slave"),
         *[("app", f"10.0.0.7:{50100 + n}", "shop", "Sleep", n * 7, "") for n in range(20)]]
    )
)


@needs_pt
def test_processlist_matches_pt_live(tmp_path):
    path = tmp_path / "mysql-processlist"
    path.write_text(PROCESSLIST_G)
    expected = _run_pt(f'summarize_processlist "{path}"').splitlines()
    facts = {"processlist": {"total": 25, "groups": _pt_aggregate(PROCESSLIST_G)}}
    body = section(render_report(derive(facts)), "Processlist")
    ours = [line[2:] if line else line for line in body]  # pt indents by 2, the report by 4
    assert ours[:-1] == expected


@needs_pt
def test_config_pretty_print_matches_pt_live(tmp_path):
    text = (Path(__file__).parent / "data" / "pt-mysql-summary-mysql-config-file")
    sample = text.read_text() if text.exists() else "[mysqld]\nport=3306\n"
    sample += "\n  [client]\n  user   =  x  \nskip-networking\n# c = d\n!include /x\n"
    path = tmp_path / "my.cnf"
    path.write_text(sample)
    expected = _run_pt(f'pretty_print_cnf_file "{path}"').split("\n")
    assert pretty_print_cnf(sample) == expected[:-1]


@needs_pt
def test_galera_provider_options_match_pt_live(tmp_path):
    facts = full_facts()
    options = facts["variables"]["wsrep_provider_options"] + "; evs.keepalive_period = PT1S;"
    facts["variables"]["wsrep_provider_options"] = options
    path = tmp_path / "mysql-variables"
    path.write_text(f"wsrep_provider_options\t{options}\n")
    keys = ["pc.ignore_sb", "pc.ignore_quorum", "gcache.size", "gcache.dir", "gcache.name"]
    expected = _run_pt("\n".join(f'parse_wsrep_provider_options {k} "{path}"' for k in keys)).splitlines()
    galera = section(render_report(derive(facts)), "Galera")
    assert [line.split(" | ", 1)[1] for line in galera[8:13]] == expected


@needs_pt
def test_started_and_processes_match_pt_live():
    facts = copy.deepcopy(full_facts())
    expected = _run_pt("secs_to_time 86400; echo; fuzz 12; fuzz 3").split("\n")
    body = section(render_report(derive(facts)), "Report On Port")
    assert f"(up {expected[0]})" in body[6]
    assert body[9].endswith(f"| {expected[1]} connected, {expected[2]} running")


def test_rendering_samples_read_back():
    samples = pytest.importorskip("prechecks.samples")
    if not MARIADB_SAMPLE.exists():
        pytest.skip(f"{MARIADB_SAMPLE} is missing")
    report = render_report(derive(samples.read_samples(MARIADB_SAMPLE)))
    assert "Could not render" not in report
    assert "SHOW FULL PROCESSLIST" not in report  # the sample's Info column never reaches the report
    assert [line for line in section(report, "Status Counters")[1:] if line] == ORIGINAL_STATUS_LINES
