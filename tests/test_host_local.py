"""The server's option file is read only when the server is shown to run on this machine (issue 13, finding 6).

Two real MariaDB servers, A and B, each with its own option file holding a marker. Over A's socket, or over
TCP through a loopback proxy to A (127.0.0.1, as a port-forward looks), A's option file is read: its socket,
or its pid file, start time and datadir, are evidence. When A's pid file names B's process instead (what a
port-forward to a remote server with the same paths as a server here looks like), or the connection goes
through SSH, nothing of this machine is read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors import host
from collectors.connection import ConnectionSpec
from collectors.tunnel import SshSpec
from prechecks.collection import RunOptions, collect
from tests import servers
from tests.faults.proxy import Proxy
from tests.servers import MariaDBServer

MARKER_A = "# option file of server A"
MARKER_B = "# option file of server B"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MariaDBServer, MariaDBServer]]:
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    base = tmp_path_factory.mktemp("host-local")
    started: list[MariaDBServer] = []
    try:
        for name, marker in (("a", MARKER_A), ("b", MARKER_B)):
            config = base / f"{name}.cnf"
            config.write_text(f"{marker}\n[mysqld]\nmax_connections = 77\n", encoding="utf-8")
            started.append(servers.start_mariadb(base / name, defaults_file=config))
        yield started[0], started[1]
    finally:
        servers.stop_all(started)
        for server in started:
            servers.discard(server)


def _run(spec: ConnectionSpec) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    result = collect(spec, RunOptions(sleep=0.1, schema_ddl=False))
    (record,) = [r.as_dict() for r in result.results if r.name == "config_file"]
    return result.facts, result.artifacts, record


def _through(proxy: Proxy, server: MariaDBServer) -> ConnectionSpec:
    return ConnectionSpec(host="127.0.0.1", port=proxy.port, user="root", password=server.root_password,
                          tls_mode="disabled")


def test_over_the_servers_socket_its_option_file_is_read(pair) -> None:
    a, _b = pair
    facts, artifacts, record = _run(ConnectionSpec(socket=a.socket, user="root", password=a.root_password))
    assert record["status"] == "ok", record
    assert MARKER_A in artifacts["mysql-config-file"] and MARKER_B not in artifacts["mysql-config-file"]
    assert facts["config_file"]["local_evidence"] == f"connected over its Unix socket {facts['variables']['socket']}"


def test_over_tcp_the_pid_file_start_time_and_datadir_are_the_evidence(pair) -> None:
    a, _b = pair
    with Proxy(a.host, a.port) as proxy:
        facts, artifacts, record = _run(_through(proxy, a))
    assert record["status"] == "ok", record
    assert MARKER_A in artifacts["mysql-config-file"]
    assert facts["config_file"]["local_evidence"].endswith(
        "of its pid file runs here, in its datadir, and started when the server did")


def test_a_forward_to_a_server_whose_paths_point_at_another_server_here_reads_nothing(pair) -> None:
    """A's pid file names B's process: the evidence points at another server of this machine."""
    a, b = pair
    a_pid_file = Path(a.admin("SELECT @@pid_file")[0][0])
    b_pid = Path(b.admin("SELECT @@pid_file")[0][0]).read_text().strip()
    a_pid = a_pid_file.read_text()
    a_pid_file.write_text(f"{b_pid}\n")
    try:
        with Proxy(a.host, a.port) as proxy:
            facts, artifacts, record = _run(_through(proxy, a))
    finally:
        a_pid_file.write_text(a_pid)
    assert record["status"] == "skipped", record
    assert record["reason"] == (f"no evidence that the server runs on this machine (127.0.0.1:{proxy.port} may be "
                                f"forwarded elsewhere): process {b_pid} of its pid file here does not run in its "
                                f"datadir {facts['variables']['datadir']}: its option file is not read (run "
                                "ps-prechecks on the server's machine, over its socket, to include it)")
    assert "mysql-config-file" not in artifacts and "config_file" not in facts  # neither B's file nor /etc/my.cnf


def test_a_server_started_at_another_time_is_not_this_one(pair) -> None:
    """Same pid file, same datadir, but the server says it started an hour before the process did."""
    a, _b = pair
    variables = {k: str(v) for k, v in a.admin_dicts(
        "SELECT @@pid_file AS pid_file, @@datadir AS datadir, @@socket AS socket")[0].items()}
    uptime = int(a.admin("SHOW GLOBAL STATUS LIKE 'Uptime'")[0][1])
    started = time.time() - uptime
    tcp = ConnectionSpec(host="127.0.0.1", port=a.port, user="root")
    assert host.local_evidence(tcp, variables, started)[0] is True
    local, why = host.local_evidence(tcp, variables, started - 3600)
    assert local is False and "did not start when the server did" in why


def test_through_ssh_nothing_is_local_even_when_every_path_matches(pair) -> None:
    a, _b = pair
    variables = {k: str(v) for k, v in a.admin_dicts(
        "SELECT @@pid_file AS pid_file, @@datadir AS datadir, @@socket AS socket")[0].items()}
    started = time.time() - int(a.admin("SHOW GLOBAL STATUS LIKE 'Uptime'")[0][1])
    via_ssh = ConnectionSpec(host="127.0.0.1", port=a.port, user="root", ssh=SshSpec("bastion.example.com"))
    local, why = host.local_evidence(via_ssh, variables, started)
    assert local is False
    assert why == "the server is reached through the SSH bastion, so its files are on another machine"
