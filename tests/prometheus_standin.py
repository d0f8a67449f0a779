"""Prometheus in tests: the real Debian ``prometheus`` and ``prometheus-mysqld-exporter`` as child processes on
127.0.0.1, days of planted history backfilled with ``promtool tsdb create-blocks-from openmetrics``, and a
STAND-IN token gate.

* :func:`start_exporter` runs mysqld_exporter against a throwaway MariaDB (tests/servers.py) over its socket.
* :class:`Planted` is a known history for one instance (``db-planted:9104``, its node ``db-planted:9100``): a
  weekly pattern, one spike (the peak and when), a hole of two hours (a gap) and two server restarts (one the
  counter shows by going down at a step, one it hides by climbing past its old value within a step). It writes
  the OpenMetrics file and says, from its own definition, what each step's rate is.
* :func:`start_prometheus` backfills that file into a fresh data directory and starts Prometheus (own port, own
  storage, scrape_interval 1 s); ready when ``/-/ready`` answers 200, not after a sleep.
* :class:`TokenGate` is a STAND-IN, not Prometheus: a tiny HTTP server in front of the real one that demands
  ``Authorization: Bearer <token>`` (401 without one, 403 with another), forwards the rest unchanged and records
  every Authorization header it saw, so a test proves the token was sent.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.servers import MariaDBServer

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
EXPORTER = shutil.which("prometheus-mysqld-exporter") or "/usr/bin/prometheus-mysqld-exporter"
MISSING = ("prometheus, promtool or prometheus-mysqld-exporter not found: run scripts/test as root (it "
           "apt-installs prometheus and prometheus-mysqld-exporter)")
STARTUP = 60.0
SLOT = 300  # the planted samples are 5 minutes apart
PLANTED_INSTANCE = "db-planted:9104"
PLANTED_NODE = "db-planted:9100"


def available() -> bool:
    return all(os.access(p, os.X_OK) for p in (PROMETHEUS, PROMTOOL, EXPORTER))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except OSError:
        return 0, b""


def wait_for(what: str, check: Callable[[], bool], process: subprocess.Popen[bytes] | None = None,
             log: Path | None = None, timeout: float = STARTUP) -> None:
    """Poll ``check`` until true (a readiness condition, never a fixed sleep); a dead process fails at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{what}: the process exited ({process.returncode}): {tail}")
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s")


@dataclass
class Child:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_exporter(server: MariaDBServer, base: Path) -> Child:
    """mysqld_exporter 0.14 (DATA_SOURCE_NAME) for ``server`` over its socket, as root, on its own port."""
    port = free_port()
    log = base / "exporter.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "DATA_SOURCE_NAME": f"root:{server.root_password}@unix({server.socket})/"}
    with log.open("wb") as output:
        process = subprocess.Popen([EXPORTER, f"--web.listen-address=127.0.0.1:{port}",
                                    f"--config.my-cnf={base / 'absent.cnf'}"],
                                   stdout=output, stderr=subprocess.STDOUT, env=env)
    child = Child(process, port, log)
    wait_for("mysqld_exporter", lambda: b"mysql_up 1" in _get(f"{child.url}/metrics")[1], process, log)
    return child


def start_prometheus(base: Path, targets: list[str], openmetrics: Path | None = None) -> Child:
    """Prometheus with its own storage under ``base``, scraping ``targets`` every second; ``openmetrics``
    backfilled into that storage first with promtool."""
    data = base / "data"
    data.mkdir(parents=True)
    if openmetrics is not None:
        result = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "-q", str(openmetrics),
                                 str(data)], capture_output=True, timeout=300, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"promtool failed: {result.stderr.decode(errors='replace')[-2000:]}")
    config = base / "prometheus.yml"
    listed = ", ".join(f"'{t}'" for t in targets)
    config.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1m\nscrape_configs:\n"
                      f"  - job_name: mysql\n    static_configs:\n      - targets: [{listed}]\n")
    port = free_port()
    log = base / "prometheus.log"
    with log.open("wb") as output:
        process = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={data}",
                                    f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=3650d",
                                    "--log.level=warn"], stdout=output, stderr=subprocess.STDOUT,
                                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    child = Child(process, port, log)
    wait_for("prometheus", lambda: _get(f"{child.url}/-/ready")[0] == 200, process, log)
    return child


# ------------------------------------------------------------------------------------------ planted history


def monday_before(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


@dataclass
class Planted:
    """Fourteen days of one MySQL instance's load, Monday 00:00 UTC ``start`` to the Monday two weeks later.

    The rate of each 5-minute slot (the slot ending at the sample's time): weekdays 09:00-17:00 100 queries/s,
    other hours 20/s, weekends 10/s; the second Tuesday 14:00-15:00 500/s (the peak). No sample in the first
    Wednesday's 03:00-05:00 (a hole); the server restarts at the second Thursday's 06:00 (every counter back to
    0) and again at 06:10 (back to 600: the counter then passes its old value at the next step)."""

    start: datetime
    shares: dict[str, float] = field(default_factory=lambda: {"select": 0.8, "insert": 0.1, "update": 0.07,
                                                               "delete": 0.03})

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=14)

    @property
    def spike(self) -> tuple[datetime, datetime]:
        day = self.start + timedelta(days=8, hours=14)
        return day, day + timedelta(hours=1)

    @property
    def gap(self) -> tuple[datetime, datetime]:
        day = self.start + timedelta(days=2, hours=3)
        return day, day + timedelta(hours=2)

    @property
    def restarts(self) -> list[tuple[datetime, float]]:
        """(sample time, the counter's value there as a share of the per-slot count) of each restart."""
        day = self.start + timedelta(days=10, hours=6)
        return [(day, 0.0), (day + timedelta(minutes=10), 600.0)]

    def rate(self, slot_end: datetime) -> float:
        """queries/s during the 5 minutes ending at ``slot_end``."""
        begin = slot_end - timedelta(seconds=SLOT)
        if self.spike[0] <= begin < self.spike[1]:
            return 500.0
        if begin.weekday() >= 5:
            return 10.0
        return 100.0 if 9 <= begin.hour < 17 else 20.0

    def sample_times(self) -> Iterator[datetime]:
        moment = self.start - timedelta(hours=1)
        while moment <= self.end:
            yield moment
            moment += timedelta(seconds=SLOT)

    def in_gap(self, moment: datetime) -> bool:
        return self.gap[0] < moment < self.gap[1]

    def openmetrics(self) -> str:
        """The OpenMetrics text promtool backfills: every family's samples together, times in seconds."""
        times = list(self.sample_times())
        restarts = dict(self.restarts)
        families: dict[str, list[str]] = {}

        def counter(name: str, labels: str, per_query: float) -> None:
            value, lines = 0.0, families.setdefault(name, [])
            for moment in times:
                if moment in restarts:
                    value = restarts[moment] * per_query
                elif moment != times[0]:
                    value += self.rate(moment) * SLOT * per_query
                if not self.in_gap(moment):
                    lines.append(f"{name}{{{labels}}} {value:.1f} {moment.timestamp():.0f}")

        def gauge(name: str, labels: str, value_at: Callable[[datetime], float]) -> None:
            lines = families.setdefault(name, [])
            for moment in times:
                if not self.in_gap(moment):
                    lines.append(f"{name}{{{labels}}} {value_at(moment)} {moment.timestamp():.0f}")

        mysql = f'instance="{PLANTED_INSTANCE}",job="mysql"'
        node = f'instance="{PLANTED_NODE}",job="node"'
        gauge("mysql_up", mysql, lambda _m: 1)
        counter("mysql_global_status_questions", mysql, 1.0)
        for command, share in self.shares.items():
            counter("mysql_global_status_commands_total", f'{mysql},command="{command}"', share)
        counter("mysql_global_status_commands_total", f'{mysql},command="show_status"', 0.0)
        gauge("mysql_global_status_threads_connected", mysql, lambda m: 120 if self.rate(m) >= 500 else 40)
        gauge("mysql_global_status_threads_running", mysql, lambda m: self.rate(m) / 20)
        counter("mysql_global_status_innodb_data_reads", mysql, 0.2)
        counter("mysql_global_status_innodb_data_writes", mysql, 0.1)
        for cpu in ("0", "1"):  # idle seconds per CPU: busy = rate / 600 of each second
            name = "node_cpu_seconds_total"
            value, lines = 0.0, families.setdefault(name, [])
            for moment in times:
                value += (1 - self.rate(moment) / 600) * SLOT
                if not self.in_gap(moment):
                    lines.append(f'{name}{{{node},cpu="{cpu}",mode="idle"}} {value:.1f} {moment.timestamp():.0f}')
        gauge("node_memory_MemTotal_bytes", node, lambda _m: 8 * 2**30)
        gauge("node_memory_MemAvailable_bytes", node, lambda _m: 3 * 2**30)
        for name, per in (("node_disk_reads_completed_total", 0.1), ("node_disk_writes_completed_total", 0.05)):
            value, lines = 0.0, families.setdefault(name, [])
            for moment in times:
                value += self.rate(moment) * SLOT * per
                if not self.in_gap(moment):
                    lines.append(f'{name}{{{node},device="sda"}} {value:.1f} {moment.timestamp():.0f}')
        out = []
        for name, lines in families.items():
            out.append(f"# TYPE {name} {'counter' if name.endswith('_total') else 'gauge'}")
            out.extend(lines)
        return "\n".join(out) + "\n# EOF\n"

    def expected_rates(self, step: int = 900) -> dict[float, float]:
        """From the definition: each step's queries/s (the mean of its slots' rates), stamped at its end; no rate
        for a step with a hole or a restart in it."""
        out: dict[float, float] = {}
        moment = self.start + timedelta(seconds=step)
        restarts = [t for t, _ in self.restarts]
        while moment <= self.end:
            begin = moment - timedelta(seconds=step)
            slots = [begin + timedelta(seconds=SLOT * (i + 1)) for i in range(step // SLOT)]
            if not any(self.in_gap(s) or s == self.gap[1] for s in slots) and not any(
                    begin < r <= moment for r in restarts):
                out[moment.timestamp()] = sum(self.rate(s) for s in slots) / len(slots)
            moment += timedelta(seconds=step)
        return out


# ------------------------------------------------------------------------------------------- the stand-in


class TokenGate:
    """STAND-IN (not Prometheus): demands ``Authorization: Bearer <token>`` and forwards to ``upstream``."""

    def __init__(self, upstream_port: int, token: str, *, tls: tuple[Path, Path] | None = None) -> None:
        """``tls``: (certificate, key) to answer HTTPS with."""
        self.upstream_port = upstream_port
        self.token = token
        self.seen: list[str | None] = []  # every Authorization header received (None: none)
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

            def do_GET(self) -> None:
                gate.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        given = request.headers.get("Authorization")
        self.seen.append(given)
        if given != f"Bearer {self.token}":
            code = 401 if given is None else 403
            body = b'{"status":"error","errorType":"unauthorized","error":"no"}'
            request.send_response(code)
            if code == 401:
                request.send_header("WWW-Authenticate", 'Bearer realm="stand-in"')
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
            return
        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        connection.request("GET", request.path)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        request.send_response(answer.status)
        request.send_header("Content-Type", answer.getheader("Content-Type") or "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def planted_stack(server: MariaDBServer, base: Path) -> Iterator[tuple[Planted, Child, Child]]:
    """A Prometheus holding 14 planted days (ended 7 to 14 days ago) and scraping a real mysqld_exporter in front of
    ``server``, once the exporter's first scrape is in: (planted, exporter, prometheus); both stopped on exit."""
    planted = Planted(monday_before(datetime.now(UTC)) - timedelta(days=21))
    metrics = base / "planted.om"
    metrics.write_text(planted.openmetrics())
    exporter = start_exporter(server, base)
    try:
        prometheus = start_prometheus(base / "prom", [f"127.0.0.1:{exporter.port}"], metrics)
        try:
            live = f'mysql_up{{instance="127.0.0.1:{exporter.port}"}}'
            wait_for("the first scrape", lambda: b'"result":[{' in _get(
                f"{prometheus.url}/api/v1/query?query={live}")[1])
            yield planted, exporter, prometheus
        finally:
            prometheus.stop()
    finally:
        exporter.stop()
