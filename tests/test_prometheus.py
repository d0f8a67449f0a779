"""History from Prometheus (collectors/prometheus.py) against a real Prometheus 2 and mysqld_exporter.

One Prometheus per module (tests/prometheus_standin.py): it holds fourteen planted days of ``db-planted:9104``
(backfilled with promtool: a weekly pattern, a 500/s peak, a two-hour hole, two restarts) and scrapes a real
mysqld_exporter in front of a throwaway MariaDB every second. The planted figures are checked against the
planted definition, point by point; the live ones against the server's own Questions counter.
"""

from __future__ import annotations

import gzip
import json
import socket
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from collectors.prometheus import (
    BASIC_ENV,
    KEYRING_SERVICE,
    TOKEN_ENV,
    PrometheusClient,
    PrometheusError,
    PrometheusOptions,
    collect_history,
    credentials,
    keyring_account,
    list_instances,
    parse_match,
    pick_step,
)
from collectors.series import iso
from prechecks import cli
from prechecks.derive import derive
from prechecks.facts import check_facts
from prechecks.prefill import build_answers, prefill
from tests import prometheus_standin as standin
from tests.conftest import InMemoryKeyring
from tests.servers import MariaDBServer, make_tls_files

PLANTED = 'instance="db-planted:9104"'


class Stack:
    def __init__(self, prometheus: standin.Child, exporter: standin.Child, planted: standin.Planted,
                 server: MariaDBServer) -> None:
        self.prometheus = prometheus
        self.exporter = exporter
        self.planted = planted
        self.server = server
        self.live = f'instance="127.0.0.1:{exporter.port}"'

    @property
    def url(self) -> str:
        return self.prometheus.url

    def instant(self, query: str) -> list[dict[str, Any]]:
        address = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
        with urllib.request.urlopen(address, timeout=10) as response:
            return list(json.loads(response.read())["data"]["result"])


@pytest.fixture(scope="module")
def stack(mariadb: MariaDBServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not standin.available():  # as tests/conftest.py does for mariadbd: missing is a failure, not a skip
        pytest.fail(standin.MISSING, pytrace=False)
    with standin.planted_stack(mariadb, tmp_path_factory.mktemp("prometheus")) as (planted, exporter, prometheus):
        yield Stack(prometheus, exporter, planted, mariadb)


def planted_history(stack: Stack, **options: Any) -> dict[str, Any]:
    return collect_history(PrometheusOptions(stack.url, match=PLANTED, **options),
                           end=stack.planted.end.timestamp())


# ------------------------------------------------------------------------------------------ planted history


def test_planted_history_is_read_exactly(stack: Stack) -> None:
    planted = stack.planted
    document = planted_history(stack)
    expected = planted.expected_rates(900)
    assert document["source"] == "prometheus"
    assert document["window"] == {"start": iso(planted.start.timestamp()), "end": iso(planted.end.timestamp()),
                                  "step_seconds": 900}
    qps = document["series"]["queries_per_second"]
    # every point the planted definition gives, at the same time, with the same value; none across the hole or
    # a restart (the hidden restart at 06:10 would read 7.3/s at 06:15 from the raw values)
    assert dict(qps["points"]) == pytest.approx(expected, abs=1e-4)
    assert qps["unit"] == "per_second"
    assert qps["avg"] == round(sum(expected.values()) / len(expected), 4)
    assert qps["max"] == 500
    assert qps["max_at"] == iso((planted.spike[0] + timedelta(minutes=15)).timestamp())
    assert document["resets"] == 2
    gap_start, gap_end = planted.gap
    assert document["gaps"] == [{"start": iso(gap_start.timestamp()), "end": iso(gap_end.timestamp()),
                                 "seconds": 7200}]
    profile = document["weekly_profile"]
    assert profile["series"] == "queries_per_second"
    assert profile["busiest_hour"] == 14
    assert profile["busiest_day"] == "Tuesday"
    # the two Tuesdays' 14:00-14:45 points: 100/s four times, then 100, 500, 500, 500
    assert profile["busiest_hour_of_week"] == {"day": "Tuesday", "hour": 14, "avg": 250}
    shares = planted.shares
    reads, writes = document["series"]["reads_per_second"], document["series"]["writes_per_second"]
    assert reads["max"] == pytest.approx(500 * shares["select"])
    assert writes["max"] == pytest.approx(500 * (shares["insert"] + shares["update"] + shares["delete"]))
    assert reads["avg"] == pytest.approx(qps["avg"] * shares["select"], abs=1e-3)
    busiest = {name for name in document["series"] if name.startswith("com_")}
    assert busiest == {"com_select_per_second", "com_insert_per_second", "com_update_per_second",
                       "com_delete_per_second"}  # show_status never ran: not a busiest command
    assert document["series"]["connections"]["max"] == 120
    assert document["series"]["innodb_data_reads_per_second"]["max"] == 100
    assert document["series"]["cpu_percent"]["max"] == pytest.approx(500 / 600 * 100, abs=1e-3)
    assert document["series"]["cpu_percent"]["unit"] == "percent"
    assert document["series"]["memory_used_bytes"]["avg"] == 5 * 2**30
    assert document["series"]["read_iops"]["max"] == 50
    assert document["series"]["write_iops"]["max"] == 25
    assert document["missing"] == []
    assert all(v >= 0 for series in document["series"].values() for _, v in series["points"])
    json.dumps(document)  # history.json as written


def test_history_fact_and_prefilled_answers(stack: Stack) -> None:
    document = planted_history(stack)
    facts = derive({"format_version": 1, "collection": {"collectors": []}}, history=document).facts
    assert check_facts(facts) == []
    assert "points" not in json.dumps(facts["history"])
    assert facts["history"]["series"]["queries_per_second"]["avg"] == document["series"]["queries_per_second"]["avg"]
    found = prefill(facts)
    average = found["performance.qps_average"]
    assert average.value == round(document["series"]["queries_per_second"]["avg"], 1)
    assert average.fact_path == "history.series.queries_per_second.avg"
    start, end = stack.planted.start, stack.planted.end
    assert average.note.startswith(f"14 days from Prometheus ({start:%Y-%m-%d} 00:00 to {end:%Y-%m-%d} 00:00 UTC, "
                                   "every 15 minutes)")
    assert "1 gap(s) and 2 restart(s) left out" in average.note
    pattern = found["performance.traffic_pattern"]
    assert pattern.fact_path == "history.weekly_profile.busiest_hour"
    assert str(pattern.value).startswith("busiest hour of the week Tuesday 14:00-15:00 UTC (avg 250.0 queries/s)")
    assert "busiest day Tuesday" in str(pattern.value)
    assert "peak 500.0 queries/s at " + iso((stack.planted.spike[0] + timedelta(minutes=15)).timestamp()) \
        in str(pattern.value)
    assert "80% reads, 20% writes on average" in str(pattern.value)
    assert pattern.note.startswith("14 days from Prometheus")
    sources = {a.id: a.source for a in build_answers(facts) if a.answered}
    assert sources["performance.qps_average"] == "prefill:history.series.queries_per_second.avg"
    assert sources["performance.traffic_pattern"] == "prefill:history.weekly_profile.busiest_hour"


def test_without_history_the_answers_come_from_the_status_counters() -> None:
    facts = {"format_version": 1, "collection": {"collectors": []},
             "workload": {"qps_average_since_start": 12.34, "uptime_seconds": 90000},
             "status": {"first": {"Com_select": "80", "Com_insert": "20"}}}
    found = prefill(facts)
    assert found["performance.qps_average"].fact_path == "workload.qps_average_since_start"
    assert found["performance.traffic_pattern"].fact_path == "status.first.Com_select"


# ------------------------------------------------------------------------------------------ live exporter


def test_live_exporter_rates_match_the_servers_counter(stack: Stack) -> None:
    """The real mysqld_exporter scraped every second: the rates over the window add up to the change of
    Questions that Prometheus holds, and that change covers the load we generated."""
    live = stack.live
    questions = f"mysql_global_status_questions{{{live}}}"
    standin.wait_for("three scrapes", lambda: bool(stack.instant(f"count_over_time({questions}[1h]) >= 3")))
    started = time.time()
    load = 1500
    with stack.server.connect() as connection, connection.cursor() as cursor:
        for _ in range(load):
            cursor.execute("SELECT 1")
            cursor.fetchall()
    after = float(stack.server.admin("SHOW GLOBAL STATUS LIKE 'Questions'")[0][1])

    def scraped() -> bool:
        found = stack.instant(questions)
        return bool(found) and float(found[0]["value"][1]) >= after

    standin.wait_for("the load scraped", scraped)
    end = time.time() + 1
    window = end - started + 3
    document = collect_history(PrometheusOptions(stack.url, match=live, days=window / 86400), end=end)
    step = document["window"]["step_seconds"]
    assert step == 1
    qps = document["series"]["queries_per_second"]
    first_t, last_t = qps["points"][0][0] - step, qps["points"][-1][0]

    def value_at(moment: float) -> float:
        address = f"{stack.url}/api/v1/query?" + urllib.parse.urlencode({"query": questions, "time": moment})
        with urllib.request.urlopen(address, timeout=10) as response:
            return float(json.loads(response.read())["data"]["result"][0]["value"][1])

    assert document["resets"] == 0  # nothing restarted
    # a scrape that failed on this busy machine leaves a named gap (usually none): its change is not a rate
    unrated = 0.0
    for gap in document["gaps"]:
        begin, finish = (datetime.fromisoformat(gap[k].replace("Z", "+00:00")).timestamp() for k in ("start", "end"))
        unrated += value_at(finish) - value_at(begin)
    total = sum(v * step for _, v in qps["points"])
    assert total + unrated == pytest.approx(value_at(last_t) - value_at(first_t), abs=1e-6)
    assert total + unrated >= load
    assert sum(v * step for _, v in document["series"]["reads_per_second"]["points"]) + unrated >= load
    assert qps["max"] > 0 and qps["max_at"] >= iso(started)
    assert document["series"]["connections"]["unit"] == "count"
    assert "threads_running" in document["series"]
    assert "innodb_data_reads_per_second" in document["series"]
    missing = {m["series"]: m["reason"] for m in document["missing"]}
    assert set(missing) == {"cpu_percent", "memory_used_bytes", "read_iops", "write_iops"}  # no node_exporter
    assert "node_cpu_seconds_total" in missing["cpu_percent"]
    # the host is not written there as an escaped regular expression (127\.0\.0\.1 would escape --redact ips)
    assert not any("\\" in reason or "127" in reason for reason in missing.values())


def test_the_instances_found_are_listed(stack: Stack) -> None:
    client = PrometheusClient(stack.url)
    found = list_instances(client, window_seconds=40 * 86400)
    assert {labels["instance"] for labels in found} == {"db-planted:9104", f"127.0.0.1:{stack.exporter.port}"}


# ------------------------------------------------------------------------------------------------- faults


def test_several_instances_without_a_match_are_named_with_the_remedy(stack: Stack) -> None:
    with pytest.raises(PrometheusError) as raised:
        collect_history(PrometheusOptions(stack.url, days=40))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("2 MySQL instances in Prometheus: ")
    assert "db-planted:9104 (job mysql)" in message and f"127.0.0.1:{stack.exporter.port} (job mysql)" in message
    assert "--prometheus-match '{instance=" in message


def test_no_matching_instance(stack: Stack) -> None:
    with pytest.raises(PrometheusError) as raised:
        collect_history(PrometheusOptions(stack.url, match='instance="db9:9104"', days=40))
    message = str(raised.value)
    assert message.startswith('no MySQL instance in Prometheus matches {instance="db9:9104"} over the last 40 days')
    assert "db-planted:9104" in message and "fix --prometheus-match" in message


@pytest.mark.parametrize("text", ['instance="db1"', '{instance="db1"', '{instance=db1}', '{1x="a"}',
                                  '{instance="a" job="b"}', '{instance=~"("}', '{instance=="a"}'])
def test_bad_match_syntax_is_refused(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_match(text)
    assert str(raised.value).startswith(f"--prometheus-match {text!r}")


def test_good_matchers_are_normalised() -> None:
    assert parse_match('{ instance = "db1:9104" , job=~"my.*", env!="test\\"x",}') == \
        'instance="db1:9104",job=~"my.*",env!="test\\"x"'
    assert parse_match("{}") == ""


def test_bad_match_on_the_command_line_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        cli.main(["--prometheus", "http://127.0.0.1:1", "--prometheus-match", "instance=db1"])
    assert raised.value.code == 2
    assert "--prometheus-match 'instance=db1' is not a label matcher" in capsys.readouterr().err


def test_unreachable_url_is_one_line() -> None:
    port = standin.free_port()  # nothing listens there
    with pytest.raises(PrometheusError) as raised:
        collect_history(PrometheusOptions(f"http://127.0.0.1:{port}"))
    assert str(raised.value).startswith(f"cannot reach Prometheus at http://127.0.0.1:{port} (")
    assert "check the URL" in str(raised.value)


def test_a_server_that_never_answers_is_bounded_by_the_timeout() -> None:
    with socket.socket() as listener:  # accepts connections (the kernel does) and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(PrometheusError) as raised:
            collect_history(PrometheusOptions(url, timeout=0.3))
    assert str(raised.value).startswith(f"Prometheus at {url} did not answer within")


def test_not_a_prometheus_url(stack: Stack) -> None:
    with pytest.raises(PrometheusError) as raised:
        collect_history(PrometheusOptions(f"{stack.exporter.url}/metrics"))
    assert "Prometheus query API" in str(raised.value)


def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(PrometheusError) as raised:
        PrometheusClient("http://admin:secret@127.0.0.1:9090")
    assert "secret" not in str(raised.value)
    assert BASIC_ENV in str(raised.value)


def test_token_gate_401_403_and_the_token_sent(stack: Stack, monkeypatch: pytest.MonkeyPatch,
                                               in_memory_keyring: InMemoryKeyring) -> None:
    gate = standin.TokenGate(stack.prometheus.port, "tok-3f9a1c")
    try:
        monkeypatch.delenv(TOKEN_ENV, raising=False)
        monkeypatch.delenv(BASIC_ENV, raising=False)
        with pytest.raises(PrometheusError) as raised:
            planted_gate(gate, stack)
        assert str(raised.value) == (f"Prometheus at {gate.url} asks for credentials (HTTP 401) — set {TOKEN_ENV} "
                                     f"(a bearer token) or {BASIC_ENV} (user:password)")
        monkeypatch.setenv(TOKEN_ENV, "wrong-token")
        with pytest.raises(PrometheusError) as raised:
            planted_gate(gate, stack)
        assert str(raised.value).startswith(f"Prometheus at {gate.url} denies access (HTTP 403) with the "
                                            f"credentials from {TOKEN_ENV}")
        assert "wrong-token" not in str(raised.value)
        monkeypatch.setenv(TOKEN_ENV, "tok-3f9a1c")
        assert planted_gate(gate, stack)["series"]["queries_per_second"]["max"] == 500
        assert gate.seen[-1] == "Bearer tok-3f9a1c"
        monkeypatch.delenv(TOKEN_ENV)
        in_memory_keyring.set_password(KEYRING_SERVICE, keyring_account(gate.url + "/"), "tok-3f9a1c")
        assert credentials(gate.url).found_in == f"keychain prometheus {gate.url}"
        assert planted_gate(gate, stack)["series"]["queries_per_second"]["max"] == 500
    finally:
        gate.stop()


def test_tls_is_verified_against_the_system_or_the_given_ca(stack: Stack, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    tls = make_tls_files(tmp_path / "tls")
    gate = standin.TokenGate(stack.prometheus.port, "tok-tls", tls=(tls.server_cert, tls.server_key))
    try:
        monkeypatch.setenv(TOKEN_ENV, "tok-tls")
        with pytest.raises(PrometheusError) as raised:
            planted_gate(gate, stack)
        assert str(raised.value).startswith(f"cannot verify the TLS certificate of {gate.url} (")
        assert str(raised.value).endswith("give its CA with --prometheus-ca FILE")
        assert gate.seen == []  # nothing was sent to a server that could not prove who it is
        found = collect_history(PrometheusOptions(gate.url, match=PLANTED, ca_file=str(tls.ca)),
                                end=stack.planted.end.timestamp())
        assert found["series"]["queries_per_second"]["max"] == 500
        assert gate.seen[-1] == "Bearer tok-tls"
    finally:
        gate.stop()


def test_the_whole_read_has_a_budget() -> None:
    ticks = iter([0.0, 5.0])
    client = PrometheusClient("http://127.0.0.1:1", budget=4.0, clock=lambda: next(ticks))
    with pytest.raises(PrometheusError) as raised:
        client.instant("mysql_up", 0)
    assert str(raised.value) == ("Prometheus at http://127.0.0.1:1 did not answer within 4 s in all — try fewer "
                                 "--history-days, or check the server's load")


def planted_gate(gate: standin.TokenGate, stack: Stack) -> dict[str, Any]:
    return collect_history(PrometheusOptions(gate.url, match=PLANTED), end=stack.planted.end.timestamp())


def test_a_redirect_to_another_host_is_not_followed_with_the_token(stack: Stack,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    gate = standin.TokenGate(stack.prometheus.port, "tok-redirect")
    elsewhere = gate.url.replace("127.0.0.1", "localhost")

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", elsewhere + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

    redirector = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=redirector.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv(TOKEN_ENV, "tok-redirect")
        url = f"http://127.0.0.1:{redirector.server_address[1]}"
        with pytest.raises(PrometheusError) as raised:
            collect_history(PrometheusOptions(url, match=PLANTED))
        assert str(raised.value) == (f"{url}/api/v1/query redirects to another host ({elsewhere}/api/v1/query) — "
                                     "give --prometheus that URL itself")
        assert gate.seen == []
    finally:
        redirector.shutdown()
        redirector.server_close()
        gate.stop()


def test_basic_auth_from_the_environment() -> None:
    found = credentials("http://x", {BASIC_ENV: "reader:pa55word"}, keychain=False)
    assert found.header == "Basic cmVhZGVyOnBhNTV3b3Jk"
    assert {"reader", "pa55word", "cmVhZGVyOnBhNTV3b3Jk"} <= set(found.secrets)
    assert "pa55word" not in repr(found)
    with pytest.raises(PrometheusError):
        credentials("http://x", {BASIC_ENV: "no-colon"}, keychain=False)


def test_the_step_keeps_each_series_small() -> None:
    assert pick_step(14 * 86400) == 900  # 1,345 points
    assert pick_step(86400) == 60
    assert pick_step(60) == 1
    for days in (0.01, 1, 7, 14, 30, 90, 400):
        assert 14 * 86400 / pick_step(14 * 86400) <= 2000
        assert days * 86400 / pick_step(days * 86400) + 1 <= 2000


# ------------------------------------------------------------------------------------------------ the CLI


def test_cli_writes_history_json_and_never_the_token(stack: Stack, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    token = "tok-CLI-77e2b0d4"
    gate = standin.TokenGate(stack.prometheus.port, token)
    try:
        monkeypatch.setenv(TOKEN_ENV, token)
        monkeypatch.setenv("HOME", str(tmp_path))  # no draft or option file of the user's
        output = tmp_path / "out"
        output.mkdir()
        code = cli.main(["--host", "127.0.0.1", "--port", str(stack.server.port), "--user", "root",
                         f"--password={stack.server.root_password}", "--sleep", "0.2", "--no-draft",
                         "--prometheus", gate.url, "--prometheus-match", '{instance="db-planted:9104"}',
                         "--history-days", "40", "--output", str(output)])
        captured = capsys.readouterr()
        assert code == 0, captured.err
    finally:
        gate.stop()
    assert f"Bearer {token}" in gate.seen
    assert "history from Prometheus: " in captured.err
    assert f"the Prometheus credentials ({TOKEN_ENV}) go over plain http to {gate.url}" in captured.err
    archive = Path(captured.out.strip().splitlines()[-1])
    files: dict[str, bytes] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            if handle is not None:
                files[member.name] = handle.read()
    history = json.loads(next(v for k, v in files.items() if k.endswith("/history.json") or k == "history.json"))
    assert history["series"]["queries_per_second"]["max"] == 500
    assert history["series"]["queries_per_second"]["points"]
    facts = json.loads(next(v for k, v in files.items() if k.endswith("facts.json")))
    assert "points" not in json.dumps(facts["history"])
    submission = json.loads(next(v for k, v in files.items() if k.endswith("submission.json")))
    assert "prefill:history.series.queries_per_second.avg" in json.dumps(submission)
    # the token is nowhere: not in any file of the archive, nor next to it, nor on the terminal
    everything = b"".join(files.values()) + gzip.decompress(archive.read_bytes())
    for path in output.rglob("*"):
        if path.is_file():
            everything += path.read_bytes()
    for text in (token.encode(), b"Bearer"):
        assert text not in everything
    assert token not in captured.out + captured.err


def test_cli_prometheus_faults_are_one_line_before_connecting(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    port = standin.free_port()
    # no MySQL server listens on port 1 either: the history is read (and fails) before any connection is tried
    code = cli.main(["--host", "127.0.0.1", "--port", "1", "--prometheus", f"http://127.0.0.1:{port}",
                     "--output", str(tmp_path), "--no-draft"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == cli.EXIT_FAILED
    assert err[-1].startswith(f"ps-prechecks: cannot reach Prometheus at http://127.0.0.1:{port} (")
    assert not any("connecting to" in line for line in err)
    assert list(tmp_path.iterdir()) == []
    code = cli.main(["--prometheus-match", '{instance="db1:9104"}', "--output", str(tmp_path)])
    assert code == cli.EXIT_USAGE
    assert capsys.readouterr().err.strip() == ("ps-prechecks: --prometheus-match and --prometheus-ca need "
                                               "--prometheus URL")


def test_servers_file_reads_each_servers_history(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """--servers with --prometheus: each [[server]]'s prometheus_match picks its series; each folder gets its
    own history.json and its own facts' history."""
    server = stack.server
    servers_file = tmp_path / "servers.toml"
    entry = (f'host = "127.0.0.1"\nport = {server.port}\nuser = "root"\npassword_env = "PW"\n')
    servers_file.write_text(f"[[server]]\nname = \"planted\"\n{entry}prometheus_match = '{{{PLANTED}}}'\n\n"
                            f"[[server]]\nname = \"live\"\n{entry}prometheus_match = '{{{stack.live}}}'\n")
    servers_file.chmod(0o600)
    monkeypatch.setenv("PW", server.root_password)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    output = tmp_path / "out"
    output.mkdir()
    code = cli.main(["--servers", str(servers_file), "--sleep", "0.2", "--no-draft", "--prometheus", stack.url,
                     "--history-days", "40", "--output", str(output)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    files: dict[str, bytes] = {}
    with tarfile.open(Path(captured.out.strip().splitlines()[-1]), "r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            if handle is not None:
                files[member.name] = handle.read()

    def archived(folder: str, name: str) -> Any:
        found = [v for k, v in files.items() if k.endswith(f"/{folder}/{name}") or k == f"{folder}/{name}"]
        assert len(found) == 1, sorted(files)
        return json.loads(found[0])

    assert archived("planted", "history.json")["series"]["queries_per_second"]["max"] == 500
    assert archived("planted", "facts.json")["history"]["resets"] == 2
    # the live server's own series (a minute old: at a 30-minute step the window may not reach them yet)
    live = archived("live", "history.json")
    assert live["series"].get("queries_per_second", {}).get("max") != 500
    assert live["resets"] == 0 and live["gaps"] == []
    assert archived("live", "facts.json")["history"]["window"] == live["window"]
    servers_file.write_text(f"[[server]]\nname = \"bad\"\n{entry}prometheus_match = 'instance=\"x\"'\n")
    assert cli.main(["--servers", str(servers_file), "--prometheus", stack.url]) == cli.EXIT_USAGE
    assert "server 'bad': prometheus_match: 'instance=\"x\"' is not a label matcher" in capsys.readouterr().err
