"""Watch mode (collectors/watch.py, ``--watch``): real MariaDB servers, the real CLI in a subprocess.

The faults of the issue: the server killed and restarted mid-watch (the watch reconnects, the restart is named and
gives no rate), the tool killed with SIGKILL and resumed (no sample it had written is lost), Ctrl-C (the archive is
still written), a journal cut in the middle of a line. Waits are on events (samples in the journal), never on time.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import mysql.connector
import pytest

from collectors.connection import CancelToken
from collectors.watch import (
    Journal,
    JournalWriter,
    WatchUsageError,
    history_from_journal,
    identify,
    journal_path,
    new_header,
    parse_duration,
    parse_interval,
    read_journal,
    run_watch,
)
from tests.helpers import REPO, read_archive, spec_for
from tests.servers import MariaDBFactory, MariaDBServer

CLI = [sys.executable, "-m", "prechecks.cli"]
WAIT = 120.0  # seconds an expected event may take on a busy machine before the test gives up


# --------------------------------------------------------------------------- helpers

def env_for(tmp_path: Path, server: MariaDBServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MYSQL_PWD", "MYSQL_TEST_LOGIN_FILE", "MYSQL_HOME")}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), PYTHONPATH=str(REPO), LC_ALL="C.UTF-8", MYSQL_PWD=server.root_password)
    return env


def server_args(server: MariaDBServer) -> list[str]:
    return [f"--host={server.host}", f"--port={server.port}", "--user=root", "--no-draft", "--sleep=0.2"]


def start_cli(tmp_path: Path, server: MariaDBServer, args: list[str]) -> subprocess.Popen[bytes]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return subprocess.Popen([*CLI, *server_args(server), "--output", str(out), *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_for(tmp_path, server),
                            cwd=tmp_path)


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the CLI did not exit") from None
    return proc.returncode, out.decode(), err.decode()


def wait_for(what: str, condition: Callable[[], Any], proc: subprocess.Popen[bytes] | None = None) -> Any:
    """Poll until ``condition()`` is truthy (an event, not a time: the limit only ends a hung test)."""
    deadline = time.monotonic() + WAIT
    while True:
        found = condition()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the CLI exited ({proc.returncode}) before {what}: "
                                 f"{proc.stderr.read().decode() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {WAIT:.0f} s")
        time.sleep(0.05)


def journal_in(out: Path) -> Path | None:
    found = sorted((out / "ps-prechecks-watch").glob("watch_*.jsonl")) if (out / "ps-prechecks-watch").is_dir() else []
    return found[0] if found else None


def sample_lines(path: Path) -> list[bytes]:
    """The whole sample lines of a journal, as bytes."""
    data = path.read_bytes()
    lines = data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]
    return [line for line in lines if b'"type":"sample"' in line]


def history_of(stdout: str) -> dict[str, Any]:
    files = read_archive(Path(stdout.strip().splitlines()[-1]))
    (name,) = [n for n in files if n.endswith("/history.json") or n == "history.json"]
    return dict(json.loads(files[name]))


def rate_points(document: dict[str, Any]) -> list[tuple[str, float, float]]:
    return [(name, float(t), float(v)) for name, item in document["series"].items() if item["unit"] == "per_second"
            for t, v in item["points"]]


def restart(server: MariaDBServer) -> None:
    """SIGKILL mariadbd and start it again on the same data directory and port (its own command line)."""
    command = [part.decode() for part in Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")[:-1]]
    server._proc.kill()
    server._proc.wait()
    Path(server.socket).unlink(missing_ok=True)
    with (server.base_dir / "mariadbd.stderr").open("ab") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    server._proc, server.pid = proc, proc.pid

    def up() -> bool:
        try:
            server.connect().close()
        except mysql.connector.Error:
            return False
        return True

    wait_for("restarted server", up)


def new_journal(tmp_path: Path, server: MariaDBServer, *, duration: float, interval: float = 1.0
                ) -> tuple[JournalWriter, Journal]:
    spec = spec_for(server)
    header = new_header(spec, identify(spec), duration=duration, interval=interval, start=time.time())
    writer = JournalWriter.create(journal_path(tmp_path, "test"), header)
    return writer, Journal(writer.path, {"type": "watch", "format_version": 1, **header})


# --------------------------------------------------------------------------- flags

@pytest.mark.parametrize(("text", "seconds"), [("90m", 5400), ("24h", 86400), ("7d", 604800), ("1d12h", 129600),
                                               (" 45S ", 45)])
def test_durations_a_dba_writes_are_read(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["7", "7x", "-1h", "0h", "", "1.5h", "h", "32d", "1 d", "7d-"])
def test_anything_else_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(WatchUsageError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"--watch {text!r}: ")
    assert "90m, 24h or 7d" in message or "at most 31d" in message


def test_interval_in_seconds_or_as_a_duration_at_least_one_second() -> None:
    assert parse_interval("60") == 60 and parse_interval("5m") == 300 and parse_interval("1") == 1
    for text in ("0.5", "0", "nan", "-3", "fast"):
        with pytest.raises(WatchUsageError):
            parse_interval(text)


def test_cli_refuses_a_bad_duration_before_connecting(tmp_path: Path) -> None:
    result = subprocess.run([*CLI, "--host=127.0.0.1", "--port=1", "--watch=7x", "--output", str(tmp_path)],
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
                            cwd=tmp_path, timeout=WAIT, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ps-prechecks: --watch '7x': give a duration such as 90m, 24h or 7d (units s, m, h, d)"]


@pytest.mark.parametrize(("args", "line"), [
    (["--watch-interval=5"], "ps-prechecks: --watch-interval needs --watch DURATION (or --watch-resume FILE)"),
    (["--watch=1h", "--watch-interval=0.5"], "ps-prechecks: --watch-interval '0.5': give at least 1 s (one SHOW "
     "GLOBAL STATUS per interval; 60 s, the default, is plenty for days)"),
    (["--watch-resume=j.jsonl", "--watch=1h"], "ps-prechecks: --watch-resume goes on with the journal's own duration "
     "and interval: leave out --watch and --watch-interval"),
    (["--watch=1h", "--servers=servers.toml"], "ps-prechecks: --watch watches one server: run ps-prechecks --watch "
     "for each server of the file"),
])
def test_cli_refuses_flags_that_do_not_go_together(tmp_path: Path, args: list[str], line: str) -> None:
    result = subprocess.run([*CLI, *args, "--output", str(tmp_path)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path, timeout=WAIT, check=False)
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, [line])


# --------------------------------------------------------------------------- the journal

def _journal_text(tmp_path: Path) -> Path:
    path = tmp_path / "j.jsonl"
    header = {"type": "watch", "format_version": 1, "start": 1000.0, "duration_seconds": 3600,
              "interval_seconds": 60, "server": {"hostname": "db1", "port": 3306, "server_id": 1}}
    lines = [header, {"type": "session", "t": 1000.0}]
    lines += [{"type": "sample", "t": 1000.0 + 60 * i, "status": {"Uptime": 500 + 60 * i, "Questions": 6000 * i}}
              for i in range(4)]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_a_journal_cut_mid_line_is_read_to_the_last_whole_line_and_says_so(tmp_path: Path) -> None:
    path = _journal_text(tmp_path)
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"type":"sample","t":1240.0,"status":{"Upt')  # killed during this write
    journal = read_journal(path)
    assert len(journal.samples) == 4 and journal.cut_short
    assert journal.notes() == ["the journal's last line was cut short (the run was stopped while writing it): read "
                               "up to the last whole line, 4 samples"]
    writer = JournalWriter.resume(journal)  # the cut line is cut off before anything is appended
    writer.append({"type": "sample", "t": 1300.0, "status": {"Uptime": 800, "Questions": 30000}})
    writer.close()
    again = read_journal(path)
    assert not again.cut_short and again.skipped == 0 and len(again.samples) == 5
    assert path.read_bytes().startswith(whole)


def test_not_a_journal_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(ValueError, match=r"is not a ps-prechecks watch journal .* start a new watch with --watch"):
        read_journal(path)


def test_history_names_a_restart_and_the_time_a_stopped_watch_was_not_running(tmp_path: Path) -> None:
    path = _journal_text(tmp_path)
    later = [{"type": "lost", "t": 1200.0, "reason": "the server closed the connection"},
             {"type": "session", "t": 1290.0},  # restarted: up 30 s at 1300
             *({"type": "sample", "t": 1300.0 + 60 * i, "status": {"Uptime": 30 + 60 * i, "Questions": 100 + 1200 * i}}
               for i in range(3)),
             {"type": "session", "t": 1900.0},  # a resume: the same server, no sample in between
             *({"type": "sample", "t": 1900.0 + 60 * i, "status": {"Uptime": 630 + 60 * i,
                                                                    "Questions": 20000 + 3000 * i}}
               for i in range(2))]
    with path.open("a") as handle:
        handle.write("".join(json.dumps(x) + "\n" for x in later))
    document = history_from_journal(read_journal(path))
    qps = document["series"]["queries_per_second"]
    assert [v for _t, v in qps["points"]] == [100, 100, 100, 20, 20, 50]  # none across the restart or the gap
    assert qps["max"] == 100 and document["resets"] == 1
    assert [(g["start"], g["end"], g["reason"][:24]) for g in document["gaps"]] == [
        ("1970-01-01T00:19:40Z", "1970-01-01T00:21:40Z", "the server restarted (up"),
        ("1970-01-01T00:23:40Z", "1970-01-01T00:31:40Z", "the watch was not runnin")]
    assert {m["series"] for m in document["missing"]} >= {"cpu_percent", "memory_used_bytes"}
    assert document["source"] == "watch" and document["watch"]["samples"] == 9


# --------------------------------------------------------------------------- real servers

def test_server_killed_and_restarted_mid_watch(mariadb_factory: MariaDBFactory, tmp_path: Path) -> None:
    server = mariadb_factory()
    writer, journal = new_journal(tmp_path, server, duration=3600)
    samples: queue.Queue[dict[str, Any]] = queue.Queue()
    events: list[str] = []
    cancel = CancelToken()
    done: list[Any] = []
    thread = threading.Thread(target=lambda: done.append(run_watch(
        spec_for(server, connect_timeout=5), writer, journal, cancel=cancel, on_sample=samples.put,
        on_event=events.append)))
    thread.start()
    try:
        for _ in range(2):
            samples.get(timeout=WAIT)
        with server.connect() as conn, conn.cursor() as cursor:  # Questions well above what a new server starts at
            for _ in range(300):
                cursor.execute("DO 1")
        before = samples.get(timeout=WAIT)
        restart(server)
        after = [samples.get(timeout=WAIT) for _ in range(3)]
    finally:
        cancel.cancel()
        thread.join(WAIT)
    writer.close()
    assert done and done[0].reason == "stopped"
    kinds = [r["type"] for r in read_journal(journal.path).records]
    assert kinds.count("lost") == 1 and kinds.count("session") == 2, kinds
    assert any(e.startswith("reconnected") for e in events), events
    first_after = next(r for r in journal.records if r["type"] == "sample" and r["t"] > before["t"]
                       and r["status"]["Uptime"] < before["status"]["Uptime"])
    last_before = max((r for r in journal.samples if r["t"] < first_after["t"]), key=lambda r: r["t"])
    assert first_after["status"]["Questions"] < last_before["status"]["Questions"]  # the counter did go down
    assert after[-1]["t"] > first_after["t"]
    document = history_from_journal(journal)
    assert document["resets"] == 1
    assert [g["reason"].startswith("the server restarted") for g in document["gaps"]] == [True]
    points = rate_points(document)
    assert points and all(v >= 0 for _n, _t, v in points)
    assert not [p for p in points if last_before["t"] < p[1] <= first_after["t"]]  # no rate spans the restart


def test_another_server_after_a_reconnection_ends_the_watch_with_its_samples(mariadb_factory: MariaDBFactory,
                                                                            tmp_path: Path) -> None:
    """A failover: the address answers again, but it is another server. Its counters are not the journal's."""
    first = mariadb_factory()
    first.create_user("watcher", "watch-pw", ["PROCESS ON *.*"])
    spec = spec_for(first, user="watcher", password="watch-pw", connect_timeout=5)
    header = new_header(spec, identify(spec), duration=3600, interval=1, start=time.time())
    writer = JournalWriter.create(journal_path(tmp_path, "failover"), header)
    journal = Journal(writer.path, {"type": "watch", "format_version": 1, **header})
    samples: queue.Queue[dict[str, Any]] = queue.Queue()
    events: list[str] = []
    done: list[Any] = []
    thread = threading.Thread(target=lambda: done.append(run_watch(
        spec, writer, journal, cancel=CancelToken(), on_sample=samples.put, on_event=events.append)))
    thread.start()
    try:
        for _ in range(2):
            samples.get(timeout=WAIT)
        first.kill()
        other = mariadb_factory(server_id=2, extra_options={"port": str(first.port)})  # the same address
        other.create_user("watcher", "watch-pw", ["PROCESS ON *.*"])
    finally:
        thread.join(WAIT)
    writer.close()
    assert done, "the watch did not end by itself"
    outcome = done[0]
    assert outcome.reason == "stopped" and "(server_id 2), not " in outcome.message
    assert "(a failover?)" in outcome.message
    assert outcome.message in events
    assert len(outcome.journal.samples) == outcome.samples_taken >= 2
    assert history_from_journal(outcome.journal)["watch"]["samples"] == outcome.samples_taken


def test_one_statement_per_interval(mariadb_factory: MariaDBFactory, tmp_path: Path) -> None:
    """The watch sends SHOW GLOBAL STATUS once per sample, nothing else per interval; the server's own time for it
    (performance_schema's digest) is printed for the record."""
    server = mariadb_factory()
    writer, journal = new_journal(tmp_path, server, duration=4)
    outcome = run_watch(spec_for(server), writer, journal, cancel=CancelToken())
    writer.close()
    assert outcome.reason == "finished" and outcome.samples_taken == len(journal.samples) >= 3
    rows = server.admin("SELECT DIGEST_TEXT, COUNT_STAR, AVG_TIMER_WAIT, MAX_TIMER_WAIT FROM "
                        "performance_schema.events_statements_summary_by_digest WHERE DIGEST_TEXT LIKE 'SHOW%'")
    assert [(str(r[0]).strip(), int(r[1])) for r in rows] == [("SHOW GLOBAL STATUS", outcome.samples_taken)]
    print(f"server time per SHOW GLOBAL STATUS: avg {int(rows[0][2]) / 1e9:.2f} ms, max {int(rows[0][3]) / 1e9:.2f} "
          f"ms over {outcome.samples_taken} samples")


def test_ctrl_c_right_after_a_sample_was_written_keeps_it_in_the_history(mariadb: MariaDBServer,
                                                                        tmp_path: Path) -> None:
    """The signal lands between the journal's write and the sample's copy in memory: the history still has every
    sample the journal has (the file is what a resume reads)."""

    class InterruptedAfterThirdSample(JournalWriter):
        written = 0

        def append(self, record: Mapping[str, Any]) -> None:
            super().append(record)
            if record.get("type") == "sample":
                self.written += 1
                if self.written == 3:
                    raise KeyboardInterrupt

    writer, journal = new_journal(tmp_path, mariadb, duration=3600)
    writer.__class__ = InterruptedAfterThirdSample
    outcome = run_watch(spec_for(mariadb), writer, journal, cancel=CancelToken())
    writer.close()
    assert outcome.reason == "stopped"
    assert len(sample_lines(journal.path)) == 3 == len(outcome.journal.samples)
    assert history_from_journal(outcome.journal)["watch"]["samples"] == 3


def test_ctrl_c_ends_the_watch_and_the_archive_is_written(mariadb_factory: MariaDBFactory, tmp_path: Path) -> None:
    server = mariadb_factory()
    proc = start_cli(tmp_path, server, ["--watch=1h", "--watch-interval=1"])
    out = tmp_path / "out"
    path = wait_for("journal", lambda: journal_in(out), proc)
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    wait_for("two samples", lambda: len(sample_lines(path)) >= 2, proc)
    proc.send_signal(signal.SIGINT)
    code, stdout, stderr = finish(proc)
    assert code == 0, stderr
    assert "watch stopped after" in stderr and "was removed: the archive holds its samples" in stderr
    document = history_of(stdout)
    assert document["source"] == "watch" and document["watch"]["stopped_early"] is True
    assert document["watch"]["samples"] >= 2 and document["series"]["connections"]["max"] >= 1
    assert not path.exists()
    assert server.root_password not in json.dumps(document)


def test_the_tool_killed_and_resumed_loses_no_sample(mariadb_factory: MariaDBFactory, tmp_path: Path) -> None:
    server = mariadb_factory()
    proc = start_cli(tmp_path, server, ["--watch=1h", "--watch-interval=1"])
    path = wait_for("journal", lambda: journal_in(tmp_path / "out"), proc)
    wait_for("three samples", lambda: len(sample_lines(path)) >= 3, proc)
    proc.kill()  # SIGKILL: no handler runs
    finish(proc)
    written = sample_lines(path)
    whole = path.read_bytes()
    assert whole.endswith(b"\n")
    with path.open("ab") as handle:  # as a kill in the middle of a write leaves it
        handle.write(b'{"seconds":0.001,"status":{"Com_select":4')
    resumed = start_cli(tmp_path, server, [f"--watch-resume={path}"])
    wait_for("two more samples", lambda: len(sample_lines(path)) >= len(written) + 2, resumed)
    resumed.send_signal(signal.SIGINT)
    code, stdout, stderr = finish(resumed)
    assert code == 0, stderr
    assert "the journal's last line was cut short" in stderr
    assert f"the watch journal {path} is kept (you named it)" in stderr
    after = read_journal(path)
    assert not after.cut_short and after.skipped == 0
    assert sample_lines(path)[:len(written)] == written  # every sample written before the kill, unchanged
    assert path.read_bytes().startswith(whole)
    document = history_of(stdout)
    assert document["watch"]["samples"] == len(after.samples) >= len(written) + 2
    assert [g["reason"] for g in document["gaps"]] == [
        "the watch was not running (stopped or killed, then resumed with --watch-resume)"]
    assert all(v >= 0 for _n, _t, v in rate_points(document))


def test_a_journal_of_another_server_is_refused(mariadb_factory: MariaDBFactory, tmp_path: Path) -> None:
    first, other = mariadb_factory(), mariadb_factory()
    writer, journal = new_journal(tmp_path, first, duration=3600)
    writer.close()
    proc = start_cli(tmp_path, other, [f"--watch-resume={journal.path}"])
    code, stdout, stderr = finish(proc)
    assert code == 1 and stdout == ""
    (line,) = stderr.strip().splitlines()
    host = socket.gethostname()  # @@hostname
    assert line == (f"ps-prechecks: --watch-resume {journal.path}: the journal is of {host}:{first.port} "
                    f"(server_id 1), but 127.0.0.1:{other.port} is {host}:{other.port} (server_id 1) — "
                    "connect to the server the watch was started on, or start a new watch with --watch")
