"""The SSH tunnel against a real OpenSSH server (tests/sshd.py) in front of a real MariaDB on loopback.

The server is named as the bastion sees it (127.0.0.1:<port>); sshd's log proves each MySQL
connection went through it (one "server_request_direct_tcpip" per forwarded connection), and killing
sshd mid-run ends the run. Every CLI run gets its own HOME, TMPDIR and config dir, so the user's
~/.ssh/known_hosts is neither read nor written, and no SSH agent is used unless a test starts one.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from collectors.connection import CancelToken, ConnectionFailed, ConnectionSpec, open_session
from collectors.probe import probe
from collectors.runner import RunAborted
from collectors.tunnel import HostKeyUnknown, SshSpec, open_tunnel, trust_host_key, user_known_hosts
from prechecks.collection import RunOptions, collect
from tests import servers
from tests.helpers import archive_json, read_archive
from tests.servers import MariaDBServer
from tests.sshd import (
    PASSPHRASE,
    SSHD_MISSING,
    SshServer,
    client_keys,
    ensure_sshd,
    keygen,
    start_sshd,
    tunnel_threads,
)
from tests.test_cli import (
    Sandbox,
    answer_on_a_terminal,
    archive_of,
    assert_secret_absent,
    kill_in_the_sleep,
    one_error_line,
)

FAST = ["--sleep=0.2"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def sshd_binary() -> str:
    found = ensure_sshd()
    if found is None:
        pytest.skip(SSHD_MISSING)
    return found


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Client keys: ``plain`` and ``encrypted`` are authorised on the bastions, ``stranger`` is not."""
    return client_keys(tmp_path_factory.mktemp("ssh-keys"))


@pytest.fixture
def bastion(sshd_binary: str, keys: dict[str, Path], tmp_path: Path) -> Iterator[SshServer]:
    server = start_sshd(tmp_path / "sshd", authorized=[keys["plain"].with_suffix(".pub"),
                                                       keys["encrypted"].with_suffix(".pub")])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    """MariaDB on 127.0.0.1 only (--bind-address), with four schemas: the schema walk then opens its second
    (read-ahead) session, so a run makes two connections through the tunnel."""
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    server = servers.start_mariadb(tmp_path_factory.mktemp("ssh-db"))
    for number in range(4):
        server.admin(f"CREATE DATABASE shop{number}")
        server.admin(f"CREATE TABLE shop{number}.orders (id INT PRIMARY KEY, total DECIMAL(10,2))")
    yield server
    server.stop()
    servers.discard(server)


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """A CLI sandbox; the test process itself also gets the private HOME and config dir (known_hosts)."""
    sandbox = Sandbox(tmp_path / "box")
    (sandbox.home / ".ssh").mkdir(mode=0o700)
    monkeypatch.setenv("HOME", str(sandbox.home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(sandbox.home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(sandbox.home / ".local" / "share"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.delenv("PS_PRECHECKS_SSH_PASSPHRASE", raising=False)
    return sandbox


def know(box: Sandbox, bastion: SshServer) -> None:
    """Record the bastion's host key in the sandbox's ~/.ssh/known_hosts, as `ssh` once would have."""
    with (box.home / ".ssh" / "known_hosts").open("a") as handle:
        handle.write(bastion.known_hosts_line)


def tunnel_args(bastion: SshServer, db: MariaDBServer, key: Path, *extra: str) -> list[str]:
    return ["--ssh-host", bastion.host, "--ssh-port", str(bastion.port), "--ssh-key", str(key),
            "--host", "127.0.0.1", "--port", str(db.port), "--user", "root", *extra]


def listening_ports() -> set[int]:
    """The TCP ports this process listens on (its sockets' inodes looked up in /proc/net/tcp)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
            ports.add(int(fields[1].split(":")[1], 16))
    return ports


def collect_until_the_sleep(spec: ConnectionSpec, options: RunOptions, cancel: CancelToken | None = None
                            ) -> tuple[threading.Thread, list[BaseException]]:
    """collect() in a thread, returned once it waits for the second status sample; the list gets
    what the run raised."""
    events: list[str] = []
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            collect(spec, options, cancel=cancel, progress=lambda e: events.append(e.message))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    wait_for(lambda: any("waiting" in m for m in events), timeout=30)
    return worker, outcome


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def temp_entries() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir() if "prechecks" in p.name}


# --------------------------------------------------------------------------- the CLI end to end


def test_cli_through_the_tunnel_writes_a_complete_archive(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                                          keys: dict[str, Path]) -> None:
    know(box, bastion)
    result = box.run([*tunnel_args(bastion, db, keys["plain"]), *FAST, "-o", str(box.out)],
                     password=db.root_password)
    archive = archive_of(result)
    assert sorted(p.name for p in box.out.iterdir()) == [archive.name]
    box.assert_no_temp_files()
    assert f"connecting to 127.0.0.1:{db.port} (via SSH 127.0.0.1:{bastion.port}) as root" in result.stderr
    files = read_archive(archive)
    facts = archive_json(files, "facts.json")
    assert facts["source"] == {"host": "127.0.0.1", "port": db.port, "socket": None, "user": "root", "via": "ssh",
                               "tls_mode": "preferred", "ssh_host": "127.0.0.1", "ssh_port": bastion.port,
                               "ssh_user": bastion.user}
    assert facts["databases"] and {"shop0", "shop3"} <= set(facts["databases"])
    manifest = archive_json(files, "manifest.json")
    assert all(c["status"] != "failed" for c in manifest["collectors"]), manifest["collectors"]
    # both sessions (the collectors' and the schema walk's read-ahead) went through the bastion to the server
    log = bastion.log.read_text()
    targets = re.findall(r"server_request_direct_tcpip: originator \S+ port \d+, target (\S+) port (\d+)", log)
    assert len(targets) >= 2 and set(targets) == {("127.0.0.1", str(db.port))}, targets
    assert_secret_absent(db.root_password, result, archive)
    private_key = keys["plain"].read_text().splitlines()[1]  # a line of the key's base64 body
    assert_secret_absent(private_key, result, archive)


def test_unknown_host_key_stops_with_its_fingerprint(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                                     keys: dict[str, Path]) -> None:
    result = box.run([*tunnel_args(bastion, db, keys["plain"]), *FAST, "-q", "-o", str(box.out)],
                     password=db.root_password)
    line = one_error_line(result)
    assert f"its host key is not known yet (ssh-ed25519 {bastion.host_fingerprint})" in line
    assert "--ssh-accept-new-host-key" in line and "ssh to the bastion once" in line
    assert list(box.out.iterdir()) == []
    assert bastion.forwarded() == 0  # refused before logging in: nothing reached MySQL
    assert not user_known_hosts().exists()
    box.assert_no_temp_files()


def test_accepting_a_new_host_key_records_it_and_later_runs_need_no_flag(
        bastion: SshServer, db: MariaDBServer, box: Sandbox, keys: dict[str, Path]) -> None:
    first = box.run([*tunnel_args(bastion, db, keys["plain"], "--ssh-accept-new-host-key"), *FAST, "-o",
                     str(box.out)], password=db.root_password)
    archive_of(first)
    recorded = user_known_hosts().read_text()
    assert recorded.startswith(f"[127.0.0.1]:{bastion.port} ssh-ed25519 ")
    assert recorded.split()[2] == bastion.known_hosts_line.split()[2]
    assert oct(user_known_hosts().stat().st_mode & 0o777) == "0o600"
    assert not (box.home / ".ssh" / "known_hosts").exists()  # ~/.ssh is never written
    second = box.run([*tunnel_args(bastion, db, keys["plain"]), *FAST, "-o", str(box.out)],
                     password=db.root_password)
    archive_of(second)


@pytest.mark.parametrize("accept_new", [False, True], ids=["plain", "with-accept-new"])
def test_changed_host_key_is_always_refused(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                            keys: dict[str, Path], accept_new: bool) -> None:
    know(box, bastion)
    bastion.new_host_key()  # "rebuilt": the recorded key no longer matches
    extra = ["--ssh-accept-new-host-key"] if accept_new else []
    result = box.run([*tunnel_args(bastion, db, keys["plain"], *extra), *FAST, "-q", "-o", str(box.out)],
                     password=db.root_password)
    line = one_error_line(result)
    assert f"its host key has CHANGED (now ssh-ed25519 {bastion.host_fingerprint}; ~/.ssh/known_hosts line 1" in line
    assert f"ssh-keygen -R '[127.0.0.1]:{bastion.port}' -f ~/.ssh/known_hosts" in line
    assert list(box.out.iterdir()) == [] and bastion.forwarded() == 0
    assert not user_known_hosts().exists()


@pytest.mark.parametrize("accept_new", [False, True], ids=["plain", "with-accept-new"])
def test_a_known_bastion_presenting_a_key_of_another_type_is_refused(
        bastion: SshServer, db: MariaDBServer, box: Sandbox, keys: dict[str, Path], accept_new: bool) -> None:
    """known_hosts holds an RSA key for the bastion; it presents its ed25519 key: a possible key change, refused
    like a changed key (not offered as "unknown", not accepted by --ssh-accept-new-host-key)."""
    rsa = keygen(box.root / "old_rsa_host_key", kind="rsa").with_suffix(".pub")
    kind, blob = rsa.read_text().split()[:2]
    (box.home / ".ssh" / "known_hosts").write_text(f"[{bastion.host}]:{bastion.port} {kind} {blob}\n")
    extra = ["--ssh-accept-new-host-key"] if accept_new else []
    result = box.run([*tunnel_args(bastion, db, keys["plain"], *extra), *FAST, "-q", "-o", str(box.out)],
                     password=db.root_password)
    line = one_error_line(result)
    assert (f"its host key has CHANGED type (now ssh-ed25519 {bastion.host_fingerprint}; ~/.ssh/known_hosts line 1 "
            "holds its ssh-rsa key") in line
    assert f"ssh-keygen -R '[127.0.0.1]:{bastion.port}' -f ~/.ssh/known_hosts" in line
    assert "not known yet" not in line and "--ssh-accept-new-host-key" not in line
    assert list(box.out.iterdir()) == [] and bastion.forwarded() == 0
    assert not user_known_hosts().exists()


def test_a_key_the_bastion_does_not_know_is_one_line(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                                     keys: dict[str, Path]) -> None:
    know(box, bastion)
    result = box.run([*tunnel_args(bastion, db, keys["stranger"]), *FAST, "-q", "-o", str(box.out)],
                     password=db.root_password)
    line = one_error_line(result)
    assert line == (f"ps-prechecks: cannot reach the SSH bastion 127.0.0.1:{bastion.port}: it refused {bastion.user} "
                    f"with the key {keys['stranger']} — check --ssh-user and --ssh-key, and that the key's .pub "
                    f"line is in ~{bastion.user}/.ssh/authorized_keys on the bastion")
    assert list(box.out.iterdir()) == []


def test_bastion_unreachable_is_one_line_within_the_connect_timeout(db: MariaDBServer, box: Sandbox,
                                                                    keys: dict[str, Path]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    started = time.monotonic()
    result = box.run(["--ssh-host", "127.0.0.1", "--ssh-port", str(port), "--ssh-key", str(keys["plain"]),
                      "--port", str(db.port), "--user", "root", "--connect-timeout=3", "-q", "-o", str(box.out)],
                     password=db.root_password)
    line = one_error_line(result)
    assert line.startswith(f"ps-prechecks: cannot reach the SSH bastion 127.0.0.1:{port}: nothing is listening there")
    assert time.monotonic() - started < 10
    # a port that accepts but never speaks SSH: the connect timeout bounds the wait
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        result = box.run(["--ssh-host", "127.0.0.1", "--ssh-port", str(silent.getsockname()[1]), "--ssh-key",
                          str(keys["plain"]), "--port", str(db.port), "--connect-timeout=2", "-q", "-o", str(box.out)],
                         password=db.root_password)
    line = one_error_line(result)
    assert "no SSH greeting within the connect timeout (2 s)" in line
    assert time.monotonic() - started < 2 + 6  # the interpreter's start-up on top of the 2 s
    assert list(box.out.iterdir()) == []


def test_sshd_killed_mid_run_ends_the_run_with_one_line(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                                        keys: dict[str, Path]) -> None:
    know(box, bastion)
    result = kill_in_the_sleep(box, [*tunnel_args(bastion, db, keys["plain"]), "--sleep=1.5", "-o", str(box.out)],
                               db.root_password, bastion.kill)
    line = one_error_line(result, quiet=False)
    assert line == (f"ps-prechecks: lost the SSH tunnel through 127.0.0.1:{bastion.port} (the bastion closed the "
                    "connection); nothing was written — check that the bastion and its sshd are up and reachable "
                    "from here, then run again")
    assert list(box.out.iterdir()) == []
    box.assert_no_temp_files()


def test_encrypted_key_with_its_passphrase_from_the_environment(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                                                keys: dict[str, Path]) -> None:
    know(box, bastion)
    args = [*tunnel_args(bastion, db, keys["encrypted"]), *FAST, "-o", str(box.out)]
    without = box.run([*args, "-q"], password=db.root_password)  # no terminal to ask on, no variable
    line = one_error_line(without)
    assert line == (f"ps-prechecks: cannot use the SSH key {keys['encrypted']}: it is encrypted and no passphrase "
                    "was given — run in a terminal to be asked for it, set PS_PRECHECKS_SSH_PASSPHRASE, or add the "
                    "key to your SSH agent (ssh-add)")
    wrong = box.run([*args, "-q"], env=box.env(db.root_password, PS_PRECHECKS_SSH_PASSPHRASE="not it at all"))
    assert one_error_line(wrong).endswith("the passphrase is wrong — check the passphrase (or "
                                          "PS_PRECHECKS_SSH_PASSPHRASE)")
    assert bastion.forwarded() == 0
    result = box.run(args, env=box.env(db.root_password, PS_PRECHECKS_SSH_PASSPHRASE=PASSPHRASE))
    archive = archive_of(result)
    assert_secret_absent(PASSPHRASE, result, archive)
    assert_secret_absent(keys["encrypted"].read_text().splitlines()[1], result, archive)
    assert archive_json(read_archive(archive), "facts.json")["source"]["via"] == "ssh"


def test_servers_file_entries_go_through_their_bastion(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                                       keys: dict[str, Path]) -> None:
    know(box, bastion)
    servers_file = box.root / "servers.toml"
    servers_file.write_text(f"""
[[server]]
name = "behind-bastion"
host = "127.0.0.1"
port = {db.port}
user = "root"
password_env = "DB_PW"
ssh_host = "{bastion.host}"
ssh_port = {bastion.port}
ssh_key = "{keys['encrypted']}"
""")
    result = box.run(["--servers", str(servers_file), *FAST, "-o", str(box.out)],
                     env=box.env(DB_PW=db.root_password, PS_PRECHECKS_SSH_PASSPHRASE=PASSPHRASE))
    archive = archive_of(result)
    facts = archive_json(read_archive(archive), "behind-bastion/facts.json")
    assert facts["source"]["via"] == "ssh" and facts["source"]["ssh_port"] == bastion.port
    assert bastion.forwarded() >= 1
    assert_secret_absent(PASSPHRASE, result, archive)
    assert_secret_absent(db.root_password, result, archive)


def test_servers_file_accepts_a_new_host_key_only_for_the_server_that_says_so(
        bastion: SshServer, db: MariaDBServer, box: Sandbox, keys: dict[str, Path], tmp_path: Path) -> None:
    """Two bastions, neither known: ssh_accept_new_host_key = true on the first records its key only; the
    second stays refused with its fingerprint. The command-line flag, which would trust both, is refused."""
    other = start_sshd(tmp_path / "sshd-2", authorized=[keys["plain"].with_suffix(".pub")])
    try:
        servers_file = box.root / "servers.toml"
        entry = """
[[server]]
name = "{name}"
host = "127.0.0.1"
port = {db_port}
user = "root"
password_env = "DB_PW"
ssh_host = "127.0.0.1"
ssh_port = {ssh_port}
ssh_key = "{key}"
"""
        servers_file.write_text(
            entry.format(name="checked", db_port=db.port, ssh_port=bastion.port, key=keys["plain"])
            + "ssh_accept_new_host_key = true\n"
            + entry.format(name="unchecked", db_port=db.port, ssh_port=other.port, key=keys["plain"]))
        refused = box.run(["--servers", str(servers_file), "--ssh-accept-new-host-key", *FAST, "-o", str(box.out)],
                          env=box.env(DB_PW=db.root_password))
        assert refused.returncode == 2 and refused.stdout == "", refused.stderr
        assert refused.stderr.startswith("ps-prechecks: --ssh-accept-new-host-key cannot be used with --servers: "
                                         "write ssh_accept_new_host_key = true in the [[server]]")
        assert not user_known_hosts().exists() and bastion.forwarded() == 0 and other.forwarded() == 0

        result = box.run(["--servers", str(servers_file), *FAST, "-o", str(box.out)],
                         env=box.env(DB_PW=db.root_password))
        assert result.returncode == 3, result.stderr
        assert (f"server unchecked not collected: cannot connect through the SSH bastion 127.0.0.1:{other.port}: "
                f"its host key is not known yet (ssh-ed25519 {other.host_fingerprint})") in result.stderr
        files = read_archive(Path(result.stdout.strip()))
        assert "checked/facts.json" in files and "unchecked/facts.json" not in files
        recorded = user_known_hosts().read_text().splitlines()
        assert [line.split()[0] for line in recorded] == [f"[127.0.0.1]:{bastion.port}"]
        assert recorded[0].split()[2] == bastion.known_hosts_line.split()[2]
        assert bastion.forwarded() >= 1 and other.forwarded() == 0
    finally:
        other.stop()


# --------------------------------------------------------------------------- in process: teardown, causes


def spec_through(bastion: SshServer, db: MariaDBServer, key: Path, **ssh: Any) -> ConnectionSpec:
    return ConnectionSpec(host="127.0.0.1", port=db.port, user="root", password=db.root_password,
                          ssh=SshSpec(bastion.host, bastion.port, key_file=str(key), **ssh))


def test_sessions_connect_to_the_local_end_of_the_tunnel(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                                         keys: dict[str, Path]) -> None:
    know(box, bastion)
    spec = spec_through(bastion, db, keys["plain"])
    with open_tunnel(spec.ssh, "127.0.0.1", db.port) as tunnel:  # type: ignore[arg-type]
        assert tunnel.port in listening_ports()
        with open_session(spec, tunnel=tunnel) as first, open_session(spec, tunnel=tunnel) as second:
            for session in (first, second):
                assert session._connection._socket.sock.getpeername() == tunnel.local_address
                assert session.scalar("SELECT 1") == 1
        assert bastion.forwarded() == 2
    assert tunnel.port not in listening_ports()
    wait_for(lambda: not tunnel_threads())


def test_probe_opens_and_closes_its_own_tunnel(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                               keys: dict[str, Path]) -> None:
    know(box, bastion)
    before = listening_ports()
    result = probe(spec_through(bastion, db, keys["plain"]))
    assert result.identity.is_mariadb and result.account.startswith("'root'@")
    assert listening_ports() == before
    wait_for(lambda: not tunnel_threads())


def test_tunnel_dropped_mid_run_leaves_no_listener_and_no_thread(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                                                 keys: dict[str, Path]) -> None:
    know(box, bastion)
    before = listening_ports()
    worker, outcome = collect_until_the_sleep(spec_through(bastion, db, keys["plain"]), RunOptions(sleep=1.5))
    assert tunnel_threads() and len(listening_ports()) == len(before) + 1
    bastion.kill()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], RunAborted), outcome
    assert str(outcome[0]).startswith(f"lost the SSH tunnel through 127.0.0.1:{bastion.port}")
    assert listening_ports() == before
    wait_for(lambda: not tunnel_threads())


def test_cancel_through_the_tunnel(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                   keys: dict[str, Path]) -> None:
    know(box, bastion)
    before = listening_ports()
    cancel = CancelToken()
    worker, outcome = collect_until_the_sleep(spec_through(bastion, db, keys["plain"]), RunOptions(sleep=600),
                                              cancel)
    started = time.monotonic()
    cancel.cancel()
    worker.join(timeout=10)
    assert time.monotonic() - started < 3
    assert isinstance(outcome[0], RunAborted) and outcome[0].cancelled
    assert listening_ports() == before
    wait_for(lambda: not tunnel_threads())


def test_target_refused_by_the_bastion(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                       keys: dict[str, Path]) -> None:
    know(box, bastion)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    spec = replace(spec_through(bastion, db, keys["plain"]), port=port)
    with pytest.raises(ConnectionFailed) as failed:
        collect(spec, RunOptions(sleep=0.2))
    assert failed.value.problem.cause == "ssh_target_refused"
    assert str(failed.value).startswith(f"cannot connect to 127.0.0.1:{port} through the SSH bastion "
                                        f"127.0.0.1:{bastion.port}: the bastion could not connect to it")
    assert "as the bastion sees the server" in failed.value.problem.remedy
    wait_for(lambda: not tunnel_threads())


def test_forwarding_forbidden_on_the_bastion(sshd_binary: str, keys: dict[str, Path], db: MariaDBServer,
                                             box: Sandbox, tmp_path: Path) -> None:
    strict = start_sshd(tmp_path / "strict", authorized=[keys["plain"].with_suffix(".pub")],
                        options={"AllowTcpForwarding": "no"})
    try:
        know(box, strict)
        with pytest.raises(ConnectionFailed) as failed:
            probe(spec_through(strict, db, keys["plain"]))
    finally:
        strict.stop()
    assert failed.value.problem.cause == "ssh_forwarding_refused"
    assert "AllowTcpForwarding yes" in failed.value.problem.remedy


def test_the_mysql_port_given_as_the_ssh_port(db: MariaDBServer, box: Sandbox, keys: dict[str, Path]) -> None:
    spec = ConnectionSpec(host="127.0.0.1", port=db.port, user="root",
                          ssh=SshSpec("127.0.0.1", db.port, key_file=str(keys["plain"])), connect_timeout=3)
    with pytest.raises(ConnectionFailed) as failed:
        probe(spec)
    assert failed.value.problem.cause == "ssh_not_ssh"
    assert "not the MySQL port" in failed.value.problem.remedy


def test_unknown_host_key_carries_the_key_and_trusting_it_lets_the_next_attempt_in(
        bastion: SshServer, db: MariaDBServer, box: Sandbox, keys: dict[str, Path]) -> None:
    spec = spec_through(bastion, db, keys["plain"])
    with pytest.raises(HostKeyUnknown) as unknown:
        probe(spec)
    key = unknown.value.host_key
    assert (key.host, key.key_type, key.fingerprint) == (f"[127.0.0.1]:{bastion.port}", "ssh-ed25519",
                                                         bastion.host_fingerprint)
    assert trust_host_key(key) == user_known_hosts()
    assert probe(spec).identity.is_mariadb


def test_hashed_known_hosts_and_revoked_keys(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                             keys: dict[str, Path]) -> None:
    known = box.home / ".ssh" / "known_hosts"
    know(box, bastion)
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)  # HashKnownHosts
    assert known.read_text().startswith("|1|")
    spec = spec_through(bastion, db, keys["plain"])
    assert probe(spec).identity.is_mariadb
    known.write_text(f"@revoked * {' '.join(bastion.known_hosts_line.split()[1:])}\n" + known.read_text())
    with pytest.raises(ConnectionFailed) as failed:
        probe(spec)
    assert failed.value.problem.cause == "ssh_host_key_changed" and "@revoked" in str(failed.value)


def test_the_ssh_agent_logs_in_without_a_key_file(bastion: SshServer, db: MariaDBServer, box: Sandbox,
                                                  keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    know(box, bastion)
    sock = box.root / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        wait_for(sock.exists)
        env = dict(os.environ, SSH_AUTH_SOCK=str(sock), SSH_ASKPASS_REQUIRE="never")
        subprocess.run(["ssh-add", str(keys["plain"])], env=env, check=True, capture_output=True, timeout=30)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        spec = replace(spec_through(bastion, db, keys["plain"]),
                       ssh=SshSpec(bastion.host, bastion.port))  # no key file: the agent's key
        assert probe(spec).identity.is_mariadb
    finally:
        agent.kill()
        agent.wait()


def test_ssh_spec_keeps_the_passphrase_out_of_repr() -> None:
    spec = ConnectionSpec(host="10.0.0.5", password="db-pw-123456",
                          ssh=SshSpec("bastion", key_file="/k", passphrase=PASSPHRASE))
    assert PASSPHRASE not in repr(spec) and "db-pw-123456" not in repr(spec)
    assert spec.secrets == ["db-pw-123456", PASSPHRASE]
    assert spec.target == "10.0.0.5:3306 (via SSH bastion)"
    with pytest.raises(ValueError, match="socket cannot be reached through SSH"):
        ConnectionSpec(socket="/run/mysqld/mysqld.sock", ssh=SshSpec("bastion"))


def test_redaction_covers_the_bastion() -> None:
    from prechecks.collection import new_facts
    from prechecks.redaction import Redactor

    spec = ConnectionSpec(host="db-private.internal", user="dba",
                          ssh=SshSpec("bastion.example.com", 2222, user="opsuser", passphrase=PASSPHRASE))
    facts = new_facts(spec)
    assert facts["source"]["via"] == "ssh" and PASSPHRASE not in repr(facts)
    redactor = Redactor(["hostnames", "users"])
    redactor.learn_facts(facts)
    source = redactor.facts(facts)["source"]
    assert source["ssh_host"].startswith("host-") and source["host"].startswith("host-")
    assert source["ssh_user"].startswith("user-") and source["user"].startswith("user-")
    assert source["ssh_port"] == 2222


@pytest.mark.parametrize(("args", "message"), [
    (["--ssh-key", "/k"], "need --ssh-host"),
    (["--ssh-accept-new-host-key"], "need --ssh-host"),
    (["--ssh-host", "bastion", "--socket", "/run/mysqld/mysqld.sock"], "--socket cannot be used with --ssh-host"),
    (["--ssh-host", "bastion", "--ssh-port", "0"], "give a port number from 1 to 65535"),
], ids=["key-alone", "accept-alone", "socket", "port"])
def test_ssh_option_mistakes_are_usage_errors(box: Sandbox, args: list[str], message: str) -> None:
    result = box.run([*args, "-o", str(box.out)])
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("ps-prechecks: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_encrypted_key_passphrase_asked_on_the_terminal_is_not_echoed(
        bastion: SshServer, db: MariaDBServer, box: Sandbox, keys: dict[str, Path]) -> None:
    know(box, bastion)
    result, tty = answer_on_a_terminal([*tunnel_args(bastion, db, keys["encrypted"]), *FAST, "-o", str(box.out)],
                                       f"Enter passphrase for SSH key {keys['encrypted']}:", PASSPHRASE,
                                       env=box.env(db.root_password), cwd=box.root)
    archive = archive_of(result)
    assert PASSPHRASE.encode() not in tty  # not echoed
    assert_secret_absent(PASSPHRASE, result, archive)
