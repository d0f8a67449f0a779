"""Our report against pt-mysql-summary's, run one after the other against the same real MariaDB.

Every figure both reports print must agree; where they legitimately differ, the difference is
asserted explicitly with the reason. COMPARED records what was compared (printed at the end).

Status Counters rule: pt's report and ours are taken a few seconds apart, so the server's Uptime
differs and some counters move (Questions, Bytes_*, Com_select, ...). For every counter both print:
  1. each tool's line must equal pt's formula (format_status_variables) applied to that tool's own
     raw samples — pt's saved mysql-status / mysql-status-defer, our facts.json — so both format
     the same way;
  2. a counter that did not move between the runs (same first-sample value in both) must print the
     same line in both when the two first samples have the same Uptime, and otherwise Per day and
     Per second figures that are pt's formula over the same value with each run's Uptime;
  3. write counters (Com_insert, Com_update, Com_delete, Com_create_table, ...) must not move at
     all: neither tool writes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from mysql.connector.abstracts import MySQLConnectionAbstract

from prechecks.fuzzy import format_status_variables, fuzzy_formula
from prechecks.samples import read_samples
from tests import realworld, servers
from tests.helpers import read_archive, run_cli
from tests.servers import MariaDBServer

PT = "pt-mysql-summary"
PT_MISSING = "pt-mysql-summary not found: apt-get install percona-toolkit (scripts/test installs it)"
IDLE_USER, IDLE_DB, IDLE_SESSIONS = "idle_app", "wiki", 3
COMPARED: list[str] = []
# counters only a writing client moves: neither tool may change them
WRITE_COUNTERS = ("Com_insert", "Com_update", "Com_delete", "Com_replace", "Com_create_table",
                  "Com_create_db", "Com_alter_table", "Com_drop_table", "Com_alter_user", "Handler_delete")


def compared(name: str) -> None:
    if name not in COMPARED:
        COMPARED.append(name)


@pytest.fixture(scope="module", autouse=True)
def _print_compared() -> Iterator[None]:
    yield
    print("\nCOMPARED with pt-mysql-summary:", ", ".join(COMPARED))


@pytest.fixture(scope="module")
def realworld_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    """A MariaDB with the real-world schemas and IDLE_SESSIONS idle clients (stable processlist rows)."""
    if shutil.which(PT) is None:
        pytest.fail(PT_MISSING, pytrace=False)
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    server = servers.start_mariadb(tmp_path_factory.mktemp("vs-pt"))
    idle: list[MySQLConnectionAbstract] = []
    try:
        realworld.load_schemas(server)
        server.create_user(IDLE_USER, "idle-pass-1", [f"SELECT ON {IDLE_DB}.*"])
        idle = [server.connect(IDLE_USER, "idle-pass-1", database=IDLE_DB) for _ in range(IDLE_SESSIONS)]
        yield server
    finally:
        for conn in idle:
            conn.close()
        servers.discard(server)


# --------------------------------------------------------------------------- the two runs


@dataclass
class Runs:
    pt: str  # pt-mysql-summary's report
    pt_samples: dict[str, Any]  # pt's saved samples, read back as facts
    ours: str  # our report
    facts: dict[str, Any]
    seconds_apart: float  # start of pt's run to the end of ours


@pytest.fixture(scope="module")
def runs(realworld_server: MariaDBServer, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    server = realworld_server
    pt_samples = tmp_path_factory.mktemp("pt-samples") / "samples"  # pt wants to create it
    out = tmp_path_factory.mktemp("ours")
    start = time.monotonic()
    pt = subprocess.run(
        [PT, "--sleep=1", f"--save-samples={pt_samples}", "--", f"--defaults-file={server.client_defaults_file}"],
        capture_output=True, text=True, timeout=120, check=False)
    assert pt.returncode == 0, pt.stderr
    # the same option file (root over the same socket), so User, Host and Processes mean the same
    ours = run_cli([f"--defaults-file={server.client_defaults_file}", "--sleep=1", "--output", str(out)])
    assert ours.returncode == 0, ours.stderr
    apart = time.monotonic() - start
    files = read_archive(Path(ours.stdout.strip().splitlines()[-1]))
    report = next(v.decode() for k, v in files.items() if re.fullmatch(r"ps_report_[0-9_]+\.md", k))
    return Runs(pt=pt.stdout, pt_samples=read_samples(pt_samples), ours=report,
                facts=json.loads(files["facts.json"]), seconds_apart=apart)


# --------------------------------------------------------------------------- parsing


def pt_sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = re.match(r"^# (.+?) #+$", line)
        if match:
            current = out.setdefault(match.group(1), [])
        elif current is not None:
            current.append(line)
    return out


def our_sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = out.setdefault(line[3:], [])
        elif current is not None:
            current.append(line)
    return out


def find(sections: dict[str, list[str]], prefix: str) -> tuple[str, list[str]]:
    hits = [(t, b) for t, b in sections.items() if t.startswith(prefix)]
    assert len(hits) == 1, (prefix, list(sections))
    return hits[0]


def name_values(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        match = re.match(r"^\s*(\S.*?) \| ?(.*)$", line)
        if match:
            out[match.group(1).strip()] = match.group(2).rstrip()
    return out


def table_rows(lines: list[str]) -> dict[str, dict[str, tuple[int, ...]]]:
    """Processlist tables: group -> value -> (count, working, sum, max)."""
    out: dict[str, dict[str, tuple[int, ...]]] = {}
    group = None
    for line in lines:
        body = line[2:] if line.startswith("  ") and not line.startswith("    ") else line[4:]
        header = re.match(r"^(\S+)\s+COUNT\(\*\)", body)
        if header:
            group = header.group(1)
            out[group] = {}
            continue
        if group is None or not body.strip() or body.startswith("-----"):
            continue
        numbers = body[30:].split()
        if len(numbers) == 4 and all(n.isdigit() for n in numbers):
            out[group][body[:30].strip()] = tuple(int(n) for n in numbers)
    return out


def status_lines(lines: list[str]) -> tuple[str, dict[str, str]]:
    """(header line, name -> the whole line), indentation removed."""
    stripped = [line.strip() for line in lines if line.strip()]
    header = next(line for line in stripped if line.startswith("Variable "))
    return " ".join(header.split()), {line.split()[0]: line for line in stripped if not line.startswith("Variable ")}


# --------------------------------------------------------------------------- tests


def test_report_on_port(runs: Runs) -> None:
    pt_title, pt_body = find(pt_sections(runs.pt), "Report On Port")
    our_title, our_body = find(our_sections(runs.ours), "Report On Port")
    compared("Report On Port (port)")
    assert our_title == pt_title
    pt, ours = name_values(pt_body), name_values(our_body)
    for name in ("User", "Hostname", "Version", "Built On", "Databases", "Datadir", "Processes"):
        compared(name)
        assert ours[name] == pt[name], (name, ours[name], pt[name])

    compared("Time")  # both print the server's NOW() and its zone; taken seconds apart
    pt_time = re.fullmatch(r"(\S+ \S+) \((.*)\)", pt["Time"])
    our_time = re.fullmatch(r"(\S+ \S+) \((.*)\)", ours["Time"])
    assert pt_time and our_time, (pt["Time"], ours["Time"])
    assert our_time.group(2) == pt_time.group(2)
    delta = (datetime.fromisoformat(our_time.group(1)) - datetime.fromisoformat(pt_time.group(1))).total_seconds()
    assert 0 <= delta <= runs.seconds_apart + 1

    compared("Started")  # ours says the zone (UTC); pt prints the same minute without it
    pt_started = re.fullmatch(r"(\S+ \S+) \(up (\d+)\+(\d+):(\d+):(\d+)\)", pt["Started"])
    our_started = re.fullmatch(r"(\S+ \S+) UTC \(up (\d+)\+(\d+):(\d+):(\d+)\)", ours["Started"])
    assert pt_started and our_started, (pt["Started"], ours["Started"])
    start_delta = abs((datetime.fromisoformat(our_started.group(1))
                       - datetime.fromisoformat(pt_started.group(1))).total_seconds())
    assert start_delta <= 60  # minute resolution; a second either side can cross a minute

    def seconds(match: re.Match[str]) -> int:
        d, h, m, s = (int(match.group(i)) for i in range(2, 6))
        return ((d * 24 + h) * 60 + m) * 60 + s

    assert 0 <= seconds(our_started) - seconds(pt_started) <= runs.seconds_apart + 1

    compared("Replication")  # same meaning; we say replica where pt says slave
    assert ours["Replication"] == pt["Replication"].replace("slaves", "replicas").replace("slave", "replica")

    # lines only we print: pt has no cloud detection; pt prints Pidfile, which we do not collect
    assert "Cloud Platform" in ours and "Cloud Platform" not in pt
    assert "Pidfile" in pt and "Pidfile" not in ours


# pt-mysql-summary's Noteworthy Variables names that ours spells differently or splits
PT_ONLY_VARIABLES = {
    "Auto-Inc Incr/Offset",  # compared below against our two lines
    "bulk_insert_buffer",  # no such variable (pt prints "0.00"); ours shows bulk_insert_buffer_size
    "flush_time", "init_connect", "init_file", "log", "log_error", "log_warnings", "log_slave_updates",
}  # the rest are pt-only lines the original ps-prechecks report dropped


def test_noteworthy_variables(runs: Runs) -> None:
    _, pt_body = find(pt_sections(runs.pt), "Noteworthy Variables")
    _, our_body = find(our_sections(runs.ours), "Noteworthy Variables")
    pt, ours = name_values(pt_body), name_values(our_body)
    common = sorted(set(pt) & set(ours))
    assert len(common) >= 10, common
    for name in common:
        compared(f"Noteworthy Variables: {name}")
        if name == "log_slow_queries":
            # gone from MariaDB 10.11: pt prints a blank, we say so and show its successor
            assert pt[name] == ""
            assert ours[name].startswith("(not on this server; slow_query_log = ")
            continue
        assert ours[name] == pt[name], (name, ours[name], pt[name])
    compared("Noteworthy Variables: Auto-Inc Incr/Offset")
    assert pt["Auto-Inc Incr/Offset"] == f"{ours['auto_increment_increment']}/{ours['auto_increment_offset']}"
    assert pt["bulk_insert_buffer"] == "0.00"  # pt's typo for a variable that does not exist
    assert "bulk_insert_buffer_size" in ours
    assert set(pt) - set(ours) <= PT_ONLY_VARIABLES, set(pt) - set(ours) - PT_ONLY_VARIABLES


def test_noteworthy_technologies(runs: Runs) -> None:
    _, pt_body = find(pt_sections(runs.pt), "Noteworthy Technologies")
    _, our_body = find(our_sections(runs.ours), "Noteworthy Technologies")
    pt, ours = name_values(pt_body), name_values(our_body)
    for name in ("SSL", "Explicit LOCK TABLES", "XA Transactions", "Prepared Statements"):
        compared(f"Noteworthy Technologies: {name}")
        assert ours[name] == pt[name], (name, ours[name], pt[name])
    # pt without --databases does not look at the schema, so it prints no Full Text / Geospatial /
    # Foreign Keys / Partitioning / Compression lines; ours always does (test_realworld checks them)
    assert "Full Text Indexing" in ours and "Full Text Indexing" not in pt


def test_processlist(runs: Runs) -> None:
    _, pt_body = find(pt_sections(runs.pt), "Processlist")
    _, our_body = find(our_sections(runs.ours), "Processlist")
    pt, ours = table_rows(pt_body), table_rows(our_body)
    assert list(pt) == list(ours) == ["Command", "User", "Host", "db", "State"]
    # pt lists its own connection (root over the socket, running SHOW FULL PROCESSLIST); we leave
    # ours out. Take one from pt's row for it, then every row must agree; times only within the
    # seconds between the runs (idle sessions' Time grows).
    own = {"Command": "Query", "User": "root", "Host": "localhost", "db": "NULL"}
    for group in pt:
        compared(f"Processlist: {group}")
        expected = dict(pt[group])
        if group in own:
            count, working, *_ = expected.pop(own[group])
            assert (count, working) == (1, 1), (group, pt[group])
        else:  # State of pt's own query ("starting", "Filling schema table", ...): one running row
            running = [v for v, row in expected.items() if row[1] == 1 and row[0] == 1]
            assert running, pt[group]
            expected.pop(running[0])
        assert set(ours[group]) == set(expected), (group, ours[group], expected)
        for value, row in expected.items():
            assert ours[group][value][:2] == row[:2], (group, value, ours[group][value], row)
            for ours_t, pt_t in zip(ours[group][value][2:], row[2:], strict=True):
                assert pt_t <= ours_t <= fuzzy_formula(pt_t + (runs.seconds_apart + 1) * IDLE_SESSIONS) * 1.25
    assert ours["User"][IDLE_USER][:2] == (IDLE_SESSIONS, 0)
    assert ours["db"][IDLE_DB][:2] == (IDLE_SESSIONS, 0)


def _raw_status(runs: Runs) -> tuple[dict[str, Any], dict[str, Any]]:
    return runs.pt_samples["status"], runs.facts["status"]


def test_status_counters(runs: Runs) -> None:
    pt_title, pt_body = find(pt_sections(runs.pt), "Status Counters")
    our_title, our_body = find(our_sections(runs.ours), "Status Counters")
    # pt's title shows --sleep and its column the Uptime difference; ours shows the measured interval
    assert pt_title == "Status Counters (Wait 1 Seconds)"
    assert re.fullmatch(r"Status Counters \(Wait 1(\.\d\d)? Seconds\)", our_title), our_title
    pt_header, pt_lines = status_lines(pt_body)
    our_header, our_lines = status_lines(our_body)
    assert pt_header.split()[:5] == our_header.split()[:5] == ["Variable", "Per", "day", "Per", "second"]

    pt_status, our_status = _raw_status(runs)
    pt_first, pt_second = pt_status["first"], pt_status["second"]
    our_first, our_second = our_status["first"], our_status["second"]
    pt_udiff = int(pt_second["Uptime"]) - int(pt_first["Uptime"])

    def line(first: dict[str, str], second: dict[str, str], interval: float, name: str) -> str | None:
        out = format_status_variables(first, second, uptime=float(first["Uptime"]), interval=interval,
                                      names=[name], skip_noncounters=False)
        return " ".join(out[1].split()) if len(out) > 1 else None

    common = sorted(set(pt_lines) & set(our_lines))
    assert {"Questions", "Queries", "Bytes_received", "Bytes_sent", "Connections"} <= set(common), common
    for name in common:
        compared(f"Status Counters: {name}")
        pt_line, our_line = " ".join(pt_lines[name].split()), " ".join(our_lines[name].split())
        # rule 1: each tool formats its own raw samples with pt's formula
        assert pt_line == line(pt_first, pt_second, pt_udiff, name), (name, pt_line)
        assert our_line == line(our_first, our_second, float(our_status["interval_seconds"]), name), name
        # rule 2: a counter that did not move prints the same figures up to the Uptime difference
        if pt_first[name] == our_first[name]:
            if pt_first["Uptime"] == our_first["Uptime"]:
                assert our_line.split()[:3] == pt_line.split()[:3], name
            else:
                value, up = float(our_first[name]), float(our_first["Uptime"])
                assert our_line.split()[1] == f"{fuzzy_formula(value / up * 86400):.0f}", name
    # rule 3: neither tool writes
    for name in WRITE_COUNTERS:
        if name in pt_first:
            compared(f"Status Counters (raw, unmoved): {name}")
            assert pt_first[name] == our_first[name] == our_second[name], name

    # pt leaves out gauges (its noncounters_pattern); ours keeps the three the original shows
    gauges = {"Threads_connected", "Threads_running", "Max_used_connections"}
    assert not gauges & set(pt_lines)
    assert gauges & set(our_lines)


def test_query_cache(runs: Runs) -> None:
    _, pt_body = find(pt_sections(runs.pt), "Query cache")
    _, our_body = find(our_sections(runs.ours), "Query cache")
    pt, ours = name_values(pt_body), name_values(our_body)
    for name in ("query_cache_type", "Size", "Usage", "HitToInsertRatio"):
        compared(f"Query cache: {name}")
        assert ours[name] == pt[name], (name, ours[name], pt[name])


def test_galera(runs: Runs) -> None:
    compared("Galera / Percona XtraDB Cluster")
    _, pt_body = find(pt_sections(runs.pt), "Percona XtraDB Cluster")
    _, our_body = find(our_sections(runs.ours), "Galera")
    # pt prints nothing when wsrep_on is OFF (its `grep -i on` on "OFF" finds nothing); we say OFF
    assert [line for line in pt_body if line.strip()] == []
    assert runs.facts["variables"].get("wsrep_on", "OFF") == "OFF"
    assert name_values(our_body) == {"wsrep_on": "OFF"}


def test_binary_logging(runs: Runs) -> None:
    _, pt_body = find(pt_sections(runs.pt), "Binary Logging")
    _, our_body = find(our_sections(runs.ours), "Binary Logging")
    pt, ours = name_values(pt_body), name_values(our_body)
    common = sorted(set(pt) & set(ours))
    assert {"Binlogs", "Zero-Sized", "Total Size", "binlog_format", "expire_logs_days", "sync_binlog"} <= set(common)
    for name in common:
        compared(f"Binary Logging: {name}")
        assert ours[name] == pt[name], (name, ours[name], pt[name])
    # pt's server_id, binlog_do_db and binlog_ignore_db are not in the original report's section
    assert set(pt) - set(ours) == {"server_id", "binlog_do_db", "binlog_ignore_db"}


def test_configuration_file(runs: Runs) -> None:
    compared("Configuration File")
    _, pt_body = find(pt_sections(runs.pt), "Configuration File")
    _, our_body = find(our_sections(runs.ours), "Configuration File")
    pt, ours = name_values(pt_body), name_values(our_body)
    pt_path = pt.get("Config File", "")
    if "Config File" in ours:
        assert ours["Config File"] == pt_path
        return
    # the test servers start with --no-defaults: they read no option file. pt does not look at the
    # server's command line and names the first default file it finds; we say why there is none
    assert "--no-defaults" in "\n".join(our_body)
    assert pt_path in ("", "Cannot autodetect or find, giving up") or Path(pt_path).is_file()
