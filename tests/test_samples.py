"""prechecks.samples: reading ps-prechecks / pt-mysql-summary samples, writing ours, round trips."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from prechecks.derive import derive
from prechecks.samples import (
    PROCESSLIST_HEADER,
    SamplesError,
    read_config_text,
    read_samples,
    read_schema_ddl,
    write_samples,
)

DATA = Path(__file__).parent / "data" / "samples"
MARIADB = DATA / "ps-prechecks-mariadb-10.11"  # ps-prechecks on MariaDB 10.11
PT55 = DATA / "pt-temp002"  # pt-mysql-summary on Percona Server 5.5
PT80 = DATA / "pt-temp_enc008"  # pt-mysql-summary on Percona Server 8.0.32
ALL_DIRS = [MARIADB, PT55, PT80]


def collectors(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in facts["collection"]["collectors"]}


def group(facts: dict[str, Any], name: str) -> dict[str, tuple[int, int, int, int]]:
    return {
        e["value"]: (e["count"], e["working"], e["time_sum"], e["time_max"])
        for e in facts["processlist"]["groups"][name]
    }


@pytest.fixture
def copy_of(tmp_path):
    def make(source: Path) -> Path:
        target: Path = tmp_path / source.name
        shutil.copytree(source, target)
        for path in target.iterdir():
            path.chmod(0o644)
        return target

    return make


# --------------------------------------------------------------------------- real samples


def test_mariadb_ps_prechecks_sample():
    facts = read_samples(MARIADB)
    server = facts["server"]
    assert server["version"] == "10.11.19-MariaDB-0+deb12u1-log"
    assert server["version_comment"] == "Debian 12"
    assert server["flavor"] == "mariadb"
    assert server["platform"] == "self-managed"
    assert server["hostname"] == "vm"
    assert server["port"] == 3399
    assert server["datadir"] == "/var/lib/mysql/"
    assert server["basedir"] == "/usr/"
    assert server["version_tuple"] == [10, 11, 19]
    assert server["uptime_seconds"] == 14
    assert facts["source"] == {"via": "read-samples", "path": str(MARIADB), "tool": "the ps-prechecks bash script",
                               "captured_at": "2026-11-26 07:46:57", "captured_time_zone": "UTC", "hostname": "vm"}

    assert facts["databases"] == [
        "bacula",
        "cacti",
        "icinga",
        "information_schema",
        "mysql",
        "performance_schema",
        "phpmyadmin",
        "phpmyadmin_cfg",
        "roundcube",
        "sys",
        "wiki",
    ]
    assert facts["variables"]["log_bin"] == "ON"
    assert "pt-summary-internal-current_time" not in facts["variables"]
    assert len(facts["variables"]) == 664 - 8  # eight pt-summary-internal lines dropped

    status = facts["status"]
    assert len(status["first"]) == len(status["second"]) == 562
    assert status["first"]["Questions"] == "1182" and status["second"]["Questions"] == "4088"
    assert status["interval_seconds"] == 1.0  # Uptime 14 -> 15
    # join collapsed "261126  7:46:43"; unchanged values keep the exact text of mysql-status
    assert status["second"]["Innodb_buffer_pool_load_status"] == status["first"]["Innodb_buffer_pool_load_status"]
    assert status["second"]["Ssl_cipher"] == ""

    workload = derive(facts).facts["workload"]  # derived as a live run's are
    assert workload["qps_average_since_start"] == pytest.approx(1182 / 14)
    assert workload["qps_sampled"] == pytest.approx(4088 - 1182)
    # MariaDB 10.11 has no Innodb_rows_* counters: unknown, not zero
    # MariaDB 10.11 has no Innodb_rows_*: Rows_read, and Handler_write + update + delete
    assert workload["rows_read_total"] == 6
    assert workload["rows_written_total"] == 772 + 0 + 0
    assert workload["rows_basis"].startswith("Rows_read")

    tables = facts["tables"]
    assert len(tables) == 277
    assert tables[0] == {  # sizes from table-sizes, engine and keys from the mysqldump sample
        "schema": "icinga",
        "name": "icinga_hoststatus",
        "data_bytes": 311296,
        "index_bytes": 0,
        "rows": 0,
        "engine": "InnoDB", "charset": "latin1", "columns": 51, "partition_method": None,
        "subpartition_method": None, "primary_key": ["hoststatus_id"], "unique_key": "PRIMARY",
        "float_primary_key": [],
    }
    colors = next(t for t in tables if (t["schema"], t["name"]) == ("cacti", "colors"))
    assert (colors["data_bytes"], colors["rows"], colors["engine"]) == (65536, 436, "InnoDB")
    assert sum(t["data_bytes"] for t in tables) == 11764736  # the "Total" line

    assert facts["processlist"]["total"] == 1
    assert group(facts, "command") == {"Query": (1, 1, 0, 0)}
    assert group(facts, "state") == {"starting": (1, 1, 0, 0)}
    assert group(facts, "db") == {"NULL": (1, 1, 0, 0)}

    replication = facts["replication"]
    assert replication["role"] == "standalone"
    assert replication["is_replica"] is False and replication["sources"] == []
    assert replication["replica_count"] is None  # no mysql-replicas file
    assert replication["binlog_dump_threads"] == 0

    binlog = facts["binlog"]
    assert binlog["enabled"] is True and binlog["format"] == "ROW" and binlog["row_image"] == "FULL"
    assert binlog["gtid_mode"] is None and binlog["expire_seconds"] == 0
    assert binlog["files"] == [{"name": "binlog.000001", "size": 433440}]
    assert binlog["current"] == {"file": "binlog.000001", "position": 433440, "gtid_executed": ""}

    assert all(c["status"] == "ok" for c in facts["collection"]["collectors"])
    assert "config_text" not in facts  # the text is read apart (read_config_text), never kept in facts
    assert facts["schema_ddl"]["objects"] > 0 and facts["schema_ddl"]["cut"] is None
    ddl = read_schema_ddl(MARIADB)
    assert ddl is not None and ddl.startswith("/*M!999999\\- enable the sandbox mode */")
    assert "CREATE TABLE `BaseFiles`" in ddl
    config = read_config_text(MARIADB)
    assert config is not None and config.startswith("# The MariaDB configuration file")


def test_pt_mysql_summary_percona_55_sample():
    facts = read_samples(PT55)
    server = facts["server"]
    assert server["version"] == "5.5.20-rel24.1"
    assert server["version_comment"] == "Percona Server with XtraDB (GPL), Release rel24.1, Revision 217"
    assert server["flavor"] == "percona"
    assert server["hostname"] == "hugmeir" and server["port"] == 3306
    assert facts["databases"] == ["information_schema", "bluh", "mysql", "percona", "performance_schema", "test"]

    status = facts["status"]
    assert status["interval_seconds"] == 11.0  # Uptime 94521 -> 94532
    workload = derive(facts).facts["workload"]  # derived as a live run's are
    assert workload["uptime_seconds"] == 94521 and workload["queries_total"] == 4239
    assert workload["qps_average_since_start"] == pytest.approx(4239 / 94521)
    assert workload["qps_sampled"] == pytest.approx((4281 - 4239) / 11)
    assert workload["rows_read_total"] == 0 and workload["rows_written_total"] == 0

    assert group(facts, "command") == {"Query": (1, 1, 0, 0)}
    assert group(facts, "state") == {"NULL": (1, 1, 0, 0)}
    assert group(facts, "user") == {"hugmeir": (1, 1, 0, 0)}

    # empty mysql-slave: not a replica; empty master logs with log_bin OFF
    assert facts["replication"]["role"] == "standalone"
    assert facts["replication"]["statements"] == {}
    binlog = facts["binlog"]
    assert binlog["enabled"] is False and binlog["format"] == "STATEMENT"
    assert binlog["expire_seconds"] == 10 * 86400
    assert binlog["files"] == [] and binlog["total_bytes"] == 0 and binlog["current"] is None

    by_name = collectors(facts)
    assert by_name["table_sizes"]["status"] == "skipped"
    assert by_name["table_sizes"]["reason"] == "the samples directory has no table-sizes file"
    # no table-sizes: the tables are the mysqldump sample's, without sizes (never 0 bytes)
    assert [(t["schema"], t["name"], t["engine"]) for t in facts["tables"]] == [
        ("bluh", "test", "MyISAM"), ("meh", "future`me", "InnoDB"), ("percona", "checksums", "InnoDB")]
    assert all("data_bytes" not in t for t in facts["tables"])
    assert {s["name"]: s["data_bytes"] for s in facts["schemas"]} == {"bluh": None, "meh": None, "percona": None}
    assert facts["inventory"]["failed_schemas"] == [{"name": "test", "reason": "not in the mysqldump sample"}]
    assert by_name["schema_ddl"]["status"] == "ok"
    assert [c["name"] for c in facts["collection"]["collectors"]] == [
        "variables",
        "status",
        "databases",
        "table_sizes",
        "processlist",
        "replication",
        "binary_logs",
        "schema_ddl",
        "config_file",
        "inventory",
        "schema_inventory",
        "technologies",
    ]


def test_pt_mysql_summary_percona_80_sample():
    facts = read_samples(PT80)
    server = facts["server"]
    assert server["version"] == "8.0.32-24"
    assert server["flavor"] == "percona"
    assert server["version_tuple"] == [8, 0, 32]
    assert facts["databases"] == [
        "information_schema",
        "mysql",
        "percona_test",
        "performance_schema",
        "sakila",
        "sys",
        "test",
    ]

    status = facts["status"]
    assert status["interval_seconds"] == 10.0
    # a multi-word value that changed between snapshots would be split using mysql-status;
    # unchanged ones come back verbatim, double blanks included
    assert status["second"]["Ssl_server_not_after"] == "Jul  9 14:25:56 2033 GMT"
    assert status["second"]["Caching_sha2_password_rsa_public_key"].startswith("-----BEGIN PUBLIC KEY-----\nMII")

    workload = derive(facts).facts["workload"]  # derived as a live run's are
    assert workload["qps_average_since_start"] == pytest.approx(24822 / 108232)
    assert workload["qps_sampled"] == pytest.approx(6.3)
    assert workload["rows_read_total"] == 428752
    assert workload["rows_written_total"] == 58104 + 16 + 0
    assert workload["rows_read_per_day"] == pytest.approx(428752 / 108232 * 86400)
    assert workload["rows_written_per_day"] == pytest.approx(58120 / 108232 * 86400)

    # five threads in pt's raw \G processlist, aggregated the way pt-mysql-summary does
    assert facts["processlist"]["total"] == 5
    assert group(facts, "command") == {
        "Sleep": (2, 0, 2520, 2520),
        "Binlog Dump": (1, 1, 108226, 108226),
        "Daemon": (1, 1, 108231, 108231),
        "Query": (1, 1, 0, 0),
    }
    # Time of sleeping threads only counts in the Command group (pt-mysql-summary's rule)
    assert group(facts, "user") == {"msandbox": (4, 2, 108226, 108226), "event_scheduler": (1, 1, 108231, 108231)}
    assert group(facts, "host") == {"localhost": (5, 3, 216457, 108231)}  # ports stripped
    assert group(facts, "state")[""] == (2, 0, 0, 0)
    assert [e["value"] for e in facts["processlist"]["groups"]["command"]] == [
        "Sleep",
        "Binlog Dump",
        "Daemon",
        "Query",
    ]

    replication = facts["replication"]
    assert replication["role"] == "primary"
    assert replication["replica_count"] == 1
    assert replication["replicas"] == [{"server_id": 12346, "host": "127.0.0.1", "port": 12346}]
    assert replication["binlog_dump_threads"] == 1
    assert replication["statements"] == {"replicas": "SHOW SLAVE HOSTS"}

    binlog = facts["binlog"]  # 3-column SHOW MASTER LOGS (Encrypted)
    assert binlog["files"] == [{"name": "mysql-bin.000001", "size": 180}, {"name": "mysql-bin.000002", "size": 3445236}]
    assert binlog["total_bytes"] == 3445416
    assert binlog["current"] == {"file": "mysql-bin.000002", "position": 3445236, "gtid_executed": ""}
    assert binlog["gtid_mode"] == "OFF" and binlog["expire_seconds"] == 2592000

    assert collectors(facts)["schema_ddl"] == {
        "name": "schema_ddl",
        "status": "skipped",
        "reason": "the samples directory has no mysqldump file",
        "seconds": 0.0,
        "statements": 0,
    }
    assert read_schema_ddl(PT80) is None


@pytest.mark.parametrize("directory", ALL_DIRS, ids=lambda d: d.name)
def test_no_query_text_survives(directory: Path):
    facts = read_samples(directory)
    text = json.dumps(facts)
    assert "SHOW FULL PROCESSLIST" not in text
    assert "Info" not in json.dumps(facts["processlist"])


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("directory", ALL_DIRS, ids=lambda d: d.name)
def test_round_trip(directory: Path, tmp_path: Path):
    facts = read_samples(directory)
    out = tmp_path / "ps_samples_20250101-000000"
    names = write_samples(facts, out, schema_ddl=read_schema_ddl(directory), config_text=read_config_text(directory))
    assert sorted(names) == sorted(p.name for p in out.iterdir())
    assert "mysqld-instances" not in names
    for name in names:
        mode = stat.S_IMODE((out / name).stat().st_mode)
        assert mode == 0o600, name
        data = (out / name).read_bytes()
        data.decode("utf-8")
        assert data == b"" or data.endswith(b"\n"), name

    again = read_samples(out)
    for key in sorted(set(facts) | set(again)):
        if key == "source":
            continue
        assert again.get(key) == facts.get(key), key
    assert again["source"]["path"] == str(out)
    assert read_schema_ddl(out) == read_schema_ddl(directory) or (
        read_schema_ddl(out) == (read_schema_ddl(directory) or "") + "\n"
    )

    # the processlist we write is aggregated: no raw \G rows, no Info column
    processlist = (out / "mysql-processlist").read_text()
    assert processlist.splitlines()[0] == PROCESSLIST_HEADER
    assert "Info" not in processlist and "SHOW FULL PROCESSLIST" not in processlist

    # writing what we read a second time gives the same bytes
    out2 = tmp_path / "second"
    write_samples(again, out2, schema_ddl=read_schema_ddl(out), config_text=read_config_text(out))
    for name in names:
        assert (out2 / name).read_bytes() == (out / name).read_bytes(), name


def test_written_formats(tmp_path: Path):
    facts: dict[str, Any] = {
        "variables": {"version": "8.0.36", "Port": "x", "log_bin": "ON", "init_connect": "a\tb\nc"},
        "status": {
            "first": {"Uptime": "100", "Questions": "50", "Ssl_cipher": "", "Tls": "Jul  9 2033"},
            "second": {"Uptime": "110", "Questions": "70", "Ssl_cipher": "", "Tls": "Jul  9 2033"},
            "interval_seconds": 10.0,
        },
        "databases": ["a", "mysql"],
        "tables": [
            {"schema": "a", "name": "small", "data_bytes": 10, "index_bytes": 5, "rows": 1},
            {"schema": "a", "name": "big", "data_bytes": 100, "index_bytes": 20, "rows": 7},
        ],
        "processlist": {
            "total": 2,
            "groups": {
                "command": [{"value": "Sleep", "count": 2, "working": 0, "time_sum": 9, "time_max": 5}],
                "user": [{"value": "app", "count": 2, "working": 0, "time_sum": 0, "time_max": 0}],
                "host": [],
                "db": [],
                "state": [],
            },
        },
        "replication": {
            "role": "replica",
            "is_replica": True,
            "replica_count": 0,
            "replicas": [],
            "sources": [
                {
                    "channel": "",
                    "source_host": "10.0.0.1",
                    "source_port": 3306,
                    "io_running": "Yes",
                    "sql_running": "Yes",
                    "seconds_behind": None,
                    "using_gtid": "1",
                    "last_error": "",
                }
            ],
            "binlog_dump_threads": 0,
            "statements": {"replica_status": "SHOW REPLICA STATUS", "replicas": "SHOW REPLICAS"},
        },
        "binlog": {
            "files": [{"name": "binlog.000001", "size": 433440}],
            "current": {"file": "binlog.000001", "position": 433440, "gtid_executed": "uuid:1-5"},
        },
    }
    names = write_samples(facts, tmp_path / "s", schema_ddl=None, config_text="[mysqld]\nport=3306")
    assert names == [
        "mysql-variables",
        "mysql-status",
        "mysql-status-defer",
        "mysql-databases",
        "table-sizes",
        "mysql-processlist",
        "mysql-replica",
        "mysql-replicas",
        "mysql-master-logs",
        "mysql-master-status",
        "mysql-config-file",
    ]
    d = tmp_path / "s"
    assert (d / "mysql-variables").read_text() == (
        "init_connect\ta\\tb\\nc\nlog_bin\tON\nPort\tx\nversion\t8.0.36\n"
        "internal::status_interval_seconds 10.0\n"  # the measured interval, in pt's internal-line form
    )
    assert (d / "mysql-status").read_text() == "Uptime\t100\nQuestions\t50\nSsl_cipher\t\nTls\tJul  9 2033\n"
    # mysql-status-defer is `join mysql-status <second snapshot>`, as pt-mysql-summary writes it
    assert (d / "mysql-status-defer").read_text() == (
        "Uptime 100 110\nQuestions 50 70\nSsl_cipher  \nTls Jul 9 2033 Jul 9 2033\n"
    )
    assert (d / "table-sizes").read_text() == "Total    135\na.big\t120\t (7 rows)\na.small\t15\t (1 rows)\n"
    assert (d / "mysql-processlist").read_text() == (
        f"{PROCESSLIST_HEADER}\ncommand\tSleep\t2\t0\t9\t5\nuser\tapp\t2\t0\t0\t0\n"
    )
    replica = (d / "mysql-replica").read_text()
    assert replica.startswith("*************************** 1. row ***************************\n")
    assert "         Source_Host: 10.0.0.1\n" in replica
    assert "Seconds_Behind_Source: NULL\n" in replica
    assert (d / "mysql-replicas").read_text() == ""
    assert (d / "mysql-master-logs").read_text() == "binlog.000001\t433440\n"
    assert (d / "mysql-master-status").read_text() == "binlog.000001\t433440\t\t\tuuid:1-5\n"
    assert (d / "mysql-config-file").read_text() == "[mysqld]\nport=3306\n"

    back = read_samples(d)
    assert back["variables"]["init_connect"] == "a\tb\nc"
    assert back["status"]["second"] == facts["status"]["second"]
    assert back["replication"]["sources"] == facts["replication"]["sources"]
    assert back["replication"]["statements"] == {"replica_status": "SHOW REPLICA STATUS"}
    assert back["replication"]["role"] == "replica"
    assert back["binlog"]["current"]["gtid_executed"] == "uuid:1-5"
    assert back["tables"][0] == {"schema": "a", "name": "big", "data_bytes": 120, "index_bytes": 0, "rows": 7}


def test_pt_replica_files(tmp_path: Path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "mysql-slave").write_text(
        "*************************** 1. row ***************************\n"
        "               Slave_IO_State: Waiting for master to send event\n"
        "                  Master_Host: 10.1.2.3\n"
        "                  Master_Port: 3306\n"
        "             Slave_IO_Running: Yes\n"
        "            Slave_SQL_Running: No\n"
        "                   Last_Error: Error 'x': y\n"
        "        Seconds_Behind_Master: NULL\n"
        "            Executed_Gtid_Set: 3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,\n"
        "9E33C80A-71CA-11E1-9E33-C80AA9429562:1-3\n"
        "                   Using_Gtid: Slave_Pos\n"
    )
    (d / "mysql-slave-hosts").write_text(
        "*************************** 1. row ***************************\n"
        " Server_id: 7\n      Host: r1\n      Port: 3307\n Master_id: 1\n"
    )
    facts = read_samples(d)
    assert facts["replication"]["sources"] == [
        {
            "channel": "",
            "source_host": "10.1.2.3",
            "source_port": 3306,
            "io_running": "Yes",
            "sql_running": "No",
            "seconds_behind": None,
            "using_gtid": "Slave_Pos",
            "last_error": "Error 'x': y",
        },
    ]
    assert facts["replication"]["role"] == "replica+primary"
    assert facts["replication"]["replicas"] == [{"server_id": 7, "host": "r1", "port": 3307}]
    assert facts["replication"]["statements"] == {
        "replica_status": "SHOW SLAVE STATUS",
        "replicas": "SHOW SLAVE HOSTS",
    }
    # only replication files: the other collectors are skipped with the missing file named
    by_name = collectors(facts)
    assert by_name["variables"]["reason"] == "the samples directory has no mysql-variables file"
    assert by_name["status"]["reason"] == "the samples directory has no mysql-status file"
    assert by_name["processlist"]["reason"] == "the samples directory has no mysql-processlist file"
    assert "server" not in facts and "workload" not in derive(facts).facts

    out = tmp_path / "out"
    write_samples(facts, out, schema_ddl=None, config_text=None)
    assert "Master_Host: 10.1.2.3" in (out / "mysql-replica").read_text()
    assert read_samples(out)["replication"] == facts["replication"]


def test_raw_processlist_multiline_and_binary_info_is_dropped(tmp_path: Path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "mysql-processlist").write_bytes(
        b"*************************** 1. row ***************************\n"
        b"     Id: 1\n   User: app\n   Host: 10.0.0.9:5123\n     db: shop\nCommand: Query\n"
        b"   Time: 7\n  State: Sending data\n"
        b"   Info: SELECT secret_column\nFROM t WHERE\n   User: evil\n pw = 'hunter2' AND b = '\xff\xfe'\n"
        b"Rows_sent: 0\n"
        b"*************************** 2. row ***************************\n"
        b"     Id: 2\n   User: app\n   Host: 10.0.0.9:5124\n     db: shop\nCommand: Sleep\n"
        b"   Time: 30\n  State: \n   Info: NULL\n"
    )
    facts = read_samples(d)
    assert facts["processlist"]["total"] == 2
    assert group(facts, "user") == {"app": (2, 1, 7, 7)}
    assert group(facts, "host") == {"10.0.0.9": (2, 1, 7, 7)}
    assert group(facts, "command") == {"Sleep": (1, 0, 30, 30), "Query": (1, 1, 7, 7)}
    text = json.dumps(facts)
    for secret in ("secret_column", "hunter2", "evil", "FROM t"):
        assert secret not in text


def test_status_defer_two_column_form(copy_of):
    d = copy_of(PT80)
    (d / "mysql-status-defer").write_text("Uptime\t108242\nQuestions\t24885\n")
    facts = read_samples(d)
    assert facts["status"]["second"] == {"Uptime": "108242", "Questions": "24885"}
    assert facts["status"]["interval_seconds"] == 10.0
    assert derive(facts).facts["workload"]["qps_sampled"] == pytest.approx(6.3)


def test_missing_defer_means_no_sampled_qps(copy_of):
    d = copy_of(PT80)
    (d / "mysql-status-defer").unlink()
    facts = read_samples(d)
    assert facts["status"]["interval_seconds"] is None
    assert "second" not in facts["status"]
    assert derive(facts).facts["workload"]["qps_sampled"] is None
    assert derive(facts).facts["workload"]["qps_average_since_start"] == pytest.approx(24822 / 108232)


# --------------------------------------------------------------------------- corrupt input


def test_truncated_status_is_skipped_and_the_rest_loads(copy_of):
    d = copy_of(MARIADB)
    lines = (d / "mysql-status").read_text().splitlines(keepends=True)
    (d / "mysql-status").write_text("".join(lines[:11]) + "Handler_re")  # half a line 12
    facts = read_samples(d)
    status = collectors(facts)["status"]
    assert status["status"] == "skipped"
    assert status["reason"] == "mysql-status unreadable at line 12 (expected name<TAB>value)"
    assert "status" not in facts and "workload" not in derive(facts).facts
    assert facts["server"]["version"] == "10.11.19-MariaDB-0+deb12u1-log"
    assert "uptime_seconds" not in facts["server"]
    assert len(facts["tables"]) == 277 and facts["processlist"]["total"] == 1


def test_binary_junk_and_non_utf8(copy_of):
    d = copy_of(PT80)
    (d / "mysql-variables").write_bytes(b"version\t8.0\n" + bytes(range(256)) * 4)
    (d / "mysql-databases").write_bytes(b"mysql\nsakila\ncaf\xe9\n")
    (d / "mysql-master-logs").write_bytes(b"mysql-bin.000001\t180\tNo\tjunk\n")
    (d / "mysql-slave-hosts").write_bytes(b"garbage here\n*************************** 1. row ***\n")
    facts = read_samples(d)
    by_name = collectors(facts)
    assert by_name["variables"]["status"] == "skipped"
    assert by_name["variables"]["reason"] == "mysql-variables unreadable at line 2 (binary data)"
    assert by_name["databases"]["status"] == "ok" and by_name["databases"]["reason"] == ""
    assert facts["databases"] == ["mysql", "sakila", "café"]  # a latin1 line is read as latin1, not dropped
    assert by_name["binary_logs"]["status"] == "ok"  # mysql-master-status still read
    assert by_name["binary_logs"]["reason"] == "mysql-master-logs unreadable at line 1 (expected name<TAB>size)"
    assert by_name["replication"]["status"] == "ok"
    assert by_name["replication"]["reason"].startswith("mysql-slave-hosts unreadable at line 1 (expected")
    assert facts["replication"]["replica_count"] is None
    assert "variables" not in facts
    assert facts["binlog"]["files"] is None
    assert facts["binlog"]["current"]["file"] == "mysql-bin.000002"
    assert "enabled" not in facts["binlog"]  # no variables to say
    assert facts["status"]["first"]["Questions"] == "24822"
    assert facts["processlist"]["total"] == 5


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("table-sizes", b"Total    10\na.b\t10\n", "table-sizes unreadable at line 2 (expected schema.table"),
        ("table-sizes", b"a.b\tten\t (1 rows)\n", "table-sizes unreadable at line 1 (expected schema.table"),
        ("mysql-processlist", b"\x00\x01\x02 junk\n", "mysql-processlist unreadable at line 1 (expected a"),
        ("mysql-processlist", b"", "mysql-processlist: the file is empty"),
        (
            "mysql-processlist",
            (PROCESSLIST_HEADER + "\ncommand\tSleep\t2\n").encode(),
            "mysql-processlist unreadable at line 2 (expected group<TAB>value",
        ),
        ("mysql-status-defer", b"Uptime 14 15\nQuestions 11", "mysql-status-defer unreadable at line 2 (expected"),
        ("mysql-master-status", b"binlog.000001\n", "mysql-master-status unreadable at line 1 (expected file"),
        ("mysql-replica", b"Master_Host: x\n", "mysql-replica unreadable at line 1 (expected a '*** 1. row ***'"),
        ("mysql-status", b"", "mysql-status: the file is empty"),
    ],
)
def test_corrupt_file_reasons(copy_of, name: str, content: bytes, reason: str):
    d = copy_of(MARIADB)
    (d / name).write_bytes(content)
    facts = read_samples(d)
    reasons = " | ".join(c["reason"] for c in facts["collection"]["collectors"])
    assert reason in reasons
    assert facts["databases"][0] == "bacula"  # everything else still loads


def test_missing_files_are_skipped_collectors(tmp_path: Path):
    d = tmp_path / "only"
    d.mkdir()
    (d / "mysql-databases").write_text("mysql\n")
    facts = read_samples(d)
    assert facts["databases"] == ["mysql"]
    expected = {
        "variables": "mysql-variables",
        "status": "mysql-status",
        "table_sizes": "table-sizes",
        "processlist": "mysql-processlist",
        "replication": "mysql-replica",
        "binary_logs": "mysql-master-logs",
        "schema_ddl": "mysqldump",
        "config_file": "mysql-config-file",
    }
    by_name = collectors(facts)
    for collector, file in expected.items():
        assert by_name[collector]["status"] == "skipped"
        assert by_name[collector]["reason"] == f"the samples directory has no {file} file"
    assert by_name["databases"]["status"] == "ok"
    for key in ("variables", "status", "server", "workload", "replication", "binlog", "tables", "processlist"):
        assert key not in facts


def test_not_a_samples_directory(tmp_path: Path):
    with pytest.raises(SamplesError, match="no such directory") as missing:
        read_samples(tmp_path / "nope")
    assert "\n" not in str(missing.value) and "ps_samples_" in str(missing.value)

    with pytest.raises(SamplesError, match="is not a samples directory") as empty:
        read_samples(tmp_path)
    assert "\n" not in str(empty.value)

    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(SamplesError, match="is not a samples directory"):
        read_samples(tmp_path)
    with pytest.raises(SamplesError, match="is not a directory"):
        read_samples(tmp_path / "notes.txt")
    assert issubclass(SamplesError, ValueError)
    assert read_config_text(tmp_path) is None and read_schema_ddl(tmp_path / "nope") is None
