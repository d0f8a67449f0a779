"""The report's Status Counters are the original ps-prechecks script's (issue 19): its counters_pattern, applied as
the script applies it — GNU grep with the pattern as a basic regular expression — to real SHOW GLOBAL STATUS output
of MariaDB (a live throwaway server) and of captures read with --read-samples.

tests/data/ps-prechecks-counters_pattern.txt is the pattern as the script's counters_pattern() echoes it
(planetscale/ps-prechecks, commit f5c7535, file ps-prechecks, lines 1656-1673; see tests/data/README.md).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from prechecks.derive import derive
from prechecks.report import render_report
from tests.servers import MariaDBServer

DATA = Path(__file__).parent / "data"
PATTERN_FILE = DATA / "ps-prechecks-counters_pattern.txt"
SAMPLES = DATA / "samples"
PT = Path("/usr/bin/pt-mysql-summary")
needs_grep = pytest.mark.skipif(shutil.which("grep") is None, reason="grep is not installed")
needs_pt = pytest.mark.skipif(not PT.exists() or shutil.which("bash") is None,
                              reason="Percona Toolkit's pt-mysql-summary is not installed")


def _pattern() -> str:
    return PATTERN_FILE.read_text(encoding="utf-8").strip()


def _grep(names: Iterable[str]) -> list[str]:
    """The names whose status line the script's `grep "${counters_pattern}"` keeps, in their order. The line is
    written as the script's awk writes it (four spaces, the name, the figures): the pattern has no digits, so only
    the name can match."""
    lines = "".join(f"    {name:<35} {1:>11} {1:>11} {1:>11}\n" for name in names)
    result = subprocess.run(["grep", _pattern()], input=lines, capture_output=True, text=True, check=False,
                            env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    assert result.returncode in (0, 1), result.stderr  # 1: no line matched
    return [line.split()[0] for line in result.stdout.splitlines()]


def _scripts_lines(defer: Path) -> list[str]:
    """The original's Status Counters lines for a mysql-status-defer file: format_status_variables' awk (run from
    Percona's pt-mysql-summary, which the original forked: the same awk without the original's date branch and
    four-space indent) piped through grep with the original's pattern."""
    script = f'source {PT}\nformat_status_variables "$1" | grep "$(cat "$2")"'
    result = subprocess.run(["bash", "-c", script, "bash", str(defer), str(PATTERN_FILE)], capture_output=True,
                            text=True, env={**os.environ, "LC_ALL": "C"}, timeout=60, check=False)
    assert result.returncode in (0, 1), result.stderr
    return ["    " + line for line in result.stdout.splitlines()]


def _section(report: str) -> list[str]:
    """The Status Counters lines of a report, without the header line and blank lines."""
    body = report.split("\n## Status Counters", 1)[1].split("\n## ", 1)[0].splitlines()[2:]
    return [line for line in body if line.strip()]


def _dated(first: Mapping[str, Any]) -> set[str]:
    """Variables whose value is a date: only the original prints them (its awk's date branch)."""
    return {name for name, value in first.items() if re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", str(value or ""))}


def test_the_list_is_the_scripts_counters_pattern() -> None:
    from prechecks.report import COUNTERS_PATTERN

    assert tuple(_pattern().split("\\|")) == COUNTERS_PATTERN
    assert len(COUNTERS_PATTERN) == 42 and "Threads_cached" in COUNTERS_PATTERN


def _load(server: MariaDBServer) -> None:
    """Statements that move counters of the original's list our earlier list lacked (TRUNCATE, prepared statements
    closed, range reads and range sorts) and the ones issue 19 names (BEGIN, LOCK/UNLOCK TABLES, Innodb_rows_*)."""
    conn = server.connect()
    try:
        cursor = conn.cursor()
        for sql in ("CREATE DATABASE counters_load", "CREATE TABLE counters_load.t (id INT PRIMARY KEY, v INT)",
                    "INSERT INTO counters_load.t VALUES (1, 3), (2, 2), (3, 1), (4, 0)",
                    "UPDATE counters_load.t SET v = v + 1 WHERE id = 4", "DELETE FROM counters_load.t WHERE id = 4",
                    "SELECT id FROM counters_load.t WHERE id BETWEEN 1 AND 3 ORDER BY v",
                    "BEGIN", "SELECT COUNT(*) FROM counters_load.t", "COMMIT",
                    "LOCK TABLES counters_load.t WRITE", "UNLOCK TABLES", "TRUNCATE TABLE counters_load.t"):
            cursor.execute(sql)
            if sql.startswith("SELECT"):
                cursor.fetchall()
        prepared = conn.cursor(prepared=True)  # the binary protocol: Com_stmt_prepare, _execute, _close
        prepared.execute("SELECT COUNT(*) FROM counters_load.t WHERE id > %s", (0,))
        prepared.fetchall()
        prepared.close()
    finally:
        conn.close()
        server.admin("DROP DATABASE IF EXISTS counters_load")


def _status(server: MariaDBServer) -> dict[str, str]:
    return {str(name): "" if value is None else str(value)
            for name, value in server.admin("SHOW GLOBAL STATUS")}


@needs_grep
@needs_pt
def test_live_mariadb_status_counters_are_what_the_scripts_grep_keeps(mariadb: MariaDBServer,
                                                                      tmp_path: Path) -> None:
    _load(mariadb)
    first = _status(mariadb)
    second = _status(mariadb)
    kept = _grep(first)
    # the pattern is matched inside names, as grep does: MariaDB's own variants come along
    assert {"Aborted_connects_preauth", "Com_insert_select", "Com_delete_multi", "Com_update_multi",
            "Select_range_check", "Threads_cached"} <= set(kept)
    assert "Created_tmp_disk_tables" not in kept
    # the awk takes the interval from the two Uptime values and has no rate while the server has been up less than a
    # second: the samples say 1 s apart, the first from one second of uptime on
    uptime = max(int(first["Uptime"]), 1)
    first["Uptime"], second["Uptime"] = str(uptime), str(uptime + 1)
    defer = tmp_path / "mysql-status-defer"
    defer.write_text("".join(f"{name} {first[name]} {second.get(name, '')}\n" for name in first), encoding="utf-8")
    facts = {"status": {"first": first, "second": second, "interval_seconds": 1}}
    ours = _section(render_report(derive(facts)))
    assert ours == _scripts_lines(defer)
    # the load moved these: counters of the original that the earlier list left out, and those issue 19 names
    shown = {line.split()[0] for line in ours}
    assert {"Com_truncate", "Com_stmt_close", "Com_stmt_prepare", "Select_range", "Sort_range", "Com_begin",
            "Com_lock_tables", "Com_unlock_tables"} <= shown


@needs_grep
@needs_pt
@pytest.mark.parametrize("folder", ["ps-prechecks-mariadb-10.11", "pt-temp_enc008", "pt-temp002"])
def test_read_samples_status_counters_are_what_the_scripts_grep_keeps(folder: str) -> None:
    from prechecks.samples import read_samples

    facts = read_samples(SAMPLES / folder)
    dated = _dated(facts["status"]["first"])
    ours = [line for line in _section(render_report(derive(facts))) if line.split()[0] not in dated]
    expected = _scripts_lines(SAMPLES / folder / "mysql-status-defer")
    assert ours == expected
    assert len(expected) >= 9  # every capture moved some of them


def test_a_date_valued_counter_prints_its_first_value_as_the_script_does() -> None:
    """MySQL 8's Max_used_connections_time (the Percona Server 8.0.32 capture): the original's awk prints the date
    and the time of the first sample, no rates."""
    from prechecks.samples import read_samples

    report = render_report(derive(read_samples(SAMPLES / "pt-temp_enc008")))
    line = next(line for line in _section(report) if line.split()[0] == "Max_used_connections_time")
    assert line == f"    {'Max_used_connections_time':<35} {'2023-07-12':>11} {'17:26:20':>11} "
