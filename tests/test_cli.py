"""End-to-end tests of the real ``ps-prechecks`` command, run as a subprocess against real servers.

Every run gets its own HOME (no stray ~/.my.cnf or ~/.mylogin.cnf) and its own empty TMPDIR, so a
test can say "no temp files were left" by checking that TMPDIR is empty again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gzip
import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors.optionfiles import encrypt_login_file
from prechecks import __version__
from prechecks.bundle import ArchiveInputs, PreparedBundle, build, write_bundle
from prechecks.derive import derive
from tests.helpers import REPO, read_archive, server_args
from tests.servers import MariaDBFactory, MariaDBServer, make_tls_files

_SCRIPT = Path(sys.executable).with_name("ps-prechecks")
# the installed console script when there is one, else the module (same main())
CLI = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "prechecks.cli"]
SAMPLES = REPO / "tests" / "data" / "samples"
FAST = ["--sleep=0.2"]


# --------------------------------------------------------------------------- helpers


class Sandbox:
    """A private HOME, TMPDIR and output directory for one CLI run (or several)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.tmp = root / "tmp"
        self.out = root / "out"
        for path in (self.home, self.tmp, self.out):
            path.mkdir(parents=True, exist_ok=True)

    def env(self, password: str | None = None, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("MYSQL_PWD", "MYSQL_TEST_LOGIN_FILE", "MYSQL_HOME", "PYTHONWARNINGS")}
        env.update(HOME=str(self.home), TMPDIR=str(self.tmp), PYTHONPATH=str(REPO), LC_ALL="C.UTF-8")
        if password is not None:
            env["MYSQL_PWD"] = password
        env.update(extra)
        return env

    def run(self, args: list[str], *, password: str | None = None, env: dict[str, str] | None = None,
            input: str | None = None, timeout: float = 60, **popen: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env or self.env(password),
                              input=input, timeout=timeout, check=False, cwd=self.root, **popen)

    def assert_no_temp_files(self) -> None:
        assert sorted(self.tmp.iterdir()) == [], "temp files left behind"


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


def archive_of(result: subprocess.CompletedProcess[str]) -> Path:
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.rstrip("\n").splitlines()[-1])
    assert path.is_file() and path.name.startswith("ps_archive_") and path.name.endswith(".tgz")
    return path


def one_error_line(result: subprocess.CompletedProcess[str], *, quiet: bool = True, sep: str = " — ") -> str:
    """Exit 1, nothing on stdout, and exactly one line on stderr (after the progress lines)."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    if quiet:
        assert len(lines) == 1, lines
    else:  # progress lines and warnings, then the error
        errors = [line for line in lines
                  if line.startswith("ps-prechecks:") and not line.startswith("ps-prechecks: warning:")]
        assert errors == [lines[-1]], lines
    line = lines[-1]
    assert line.startswith("ps-prechecks: ") and sep in line, line  # cause — remedy
    return line


def assert_secret_absent(secret: str, result: subprocess.CompletedProcess[str], archive: Path | None) -> None:
    assert len(secret) >= 8
    assert secret not in result.stdout
    assert secret not in result.stderr
    if archive is None:
        return
    raw = archive.read_bytes()
    needle = secret.encode()
    assert needle not in raw
    assert needle not in gzip.decompress(raw)  # every byte of the tar stream, headers included
    for name, data in read_archive(archive).items():
        assert needle not in data, name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_until(proc: subprocess.Popen[bytes], needle: bytes, timeout: float) -> bytes:
    """Read the child's stderr as it comes until ``needle`` shows up; fail after ``timeout``."""
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {needle!r} on stderr after {timeout} s: {seen!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"stderr closed before {needle!r} (exit {proc.wait()}): {seen!r}")
            seen += chunk
    return seen


def popen(box: Sandbox, args: list[str], *, password: str | None = None,
          env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*CLI, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env or box.env(password), cwd=box.root)


def finish(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, str, str, float]:
    """Wait for the child; (exit status, stdout, the rest of stderr, seconds waited)."""
    started = time.monotonic()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"the CLI did not exit within {timeout} s") from None
    return proc.returncode, out.decode(), err.decode(), time.monotonic() - started


# --------------------------------------------------------------------------- a normal run


@pytest.mark.parametrize("dashdash", [False, True], ids=["plain", "after-dashdash"])
def test_run_writes_one_archive_with_manifest(mariadb: MariaDBServer, box: Sandbox, dashdash: bool) -> None:
    args = [*server_args(mariadb), *FAST, "--output", str(box.out)]
    result = box.run(["--", *args] if dashdash else args, password=mariadb.root_password)
    archive = archive_of(result)
    assert archive.parent == box.out
    assert sorted(p.name for p in box.out.iterdir()) == [archive.name]  # no .partial, nothing else
    box.assert_no_temp_files()
    # progress on stderr, only the path on stdout
    assert result.stdout == f"{archive}\n"
    assert f"connecting to {mariadb.host}:{mariadb.port} as root" in result.stderr
    assert "[ 1/" in result.stderr and "done:" in result.stderr
    assert result.stderr.splitlines()[-1] == (  # the last words: where the archive goes, both ways
        "send the archive: upload it at the end of PlanetScale's technical questionnaire form "
        "(https://docs.google.com/forms/d/e/1FAIpQLSdzmtLykP8hAAqOLfAaIDy1-B5_2XFXSa1-Q5RJgX8ZvOcIvA/viewform), "
        "or e-mail it to your PlanetScale solutions rep")
    assert_secret_absent(mariadb.root_password, result, archive)

    ts = archive.name[len("ps_archive_"):-len(".tgz")]
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
    top = {m.name.split("/")[0] for m in members}
    assert top == {f"ps_report_{ts}.md", f"ps_samples_{ts}", "freeform_questions.md", "submission.json",
                   "facts.json", "readiness.json", "manifest.json", "report.html"}  # attachments/ only with --attach
    assert all(not m.name.startswith(("/", "..")) and ".." not in m.name.split("/") for m in members)
    assert next(m for m in members if m.name == f"ps_samples_{ts}").isdir()

    files = read_archive(archive)
    manifest = json.loads(files["manifest.json"])
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json"}
    for path, data in files.items():
        if path == "manifest.json":
            continue
        assert listed[path]["size"] == len(data), path
        assert listed[path]["sha256"] == hashlib.sha256(data).hexdigest(), path
    assert f"ps_samples_{ts}/mysql-variables" in listed and f"ps_samples_{ts}/mysql-status" in listed
    assert manifest["collectors"], "no collector records"
    for record in manifest["collectors"]:
        assert {"name", "status", "reason", "seconds"} <= set(record), record
        assert record["status"] in ("ok", "skipped", "failed")
        assert isinstance(record["seconds"], int | float) and record["seconds"] >= 0
        assert record["status"] == "ok" or record["reason"], record  # every skip says why
    facts = json.loads(files["facts.json"])
    assert facts["source"]["port"] == mariadb.port and facts["source"]["user"] == "root"
    assert files[f"ps_report_{ts}.md"].startswith(b"#")


def test_entry_point_is_the_installed_script() -> None:
    assert _SCRIPT.is_file(), "the ps-prechecks console script is not installed in the venv"


# --------------------------------------------------------------------------- password sources


def _tcp(server: MariaDBServer) -> list[str]:
    return [f"--host={server.host}", f"--port={server.port}"]


def test_password_from_mysql_pwd(mariadb: MariaDBServer, box: Sandbox) -> None:
    result = box.run([*server_args(mariadb), *FAST, "-o", str(box.out)], password=mariadb.root_password)
    assert "warning" not in result.stderr.lower()
    assert_secret_absent(mariadb.root_password, result, archive_of(result))
    box.assert_no_temp_files()


def test_password_from_defaults_file(mariadb: MariaDBServer, box: Sandbox) -> None:
    cnf = box.root / "client.cnf"
    fd = os.open(cnf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"[client]\nuser = root\npassword = \"{mariadb.root_password}\"\n")
    result = box.run([f"--defaults-file={cnf}", *_tcp(mariadb), *FAST, "-o", str(box.out)])
    assert_secret_absent(mariadb.root_password, result, archive_of(result))


def test_password_from_home_my_cnf(mariadb: MariaDBServer, box: Sandbox) -> None:
    cnf = box.home / ".my.cnf"
    cnf.write_text(f"[client]\nuser=root\npassword={mariadb.root_password}\nhost={mariadb.host}\n"
                   f"port={mariadb.port}\n")
    cnf.chmod(0o600)
    result = box.run([*FAST, "--output", str(box.out)])  # everything from ~/.my.cnf
    archive = archive_of(result)
    assert f"connecting to {mariadb.host}:{mariadb.port} as root" in result.stderr
    assert_secret_absent(mariadb.root_password, result, archive)


def test_password_from_login_path(mariadb: MariaDBServer, box: Sandbox) -> None:
    login = box.home / ".mylogin.cnf"
    login.write_bytes(encrypt_login_file(
        "[client]\nuser = nobody\n"
        f"[prod]\nuser = root\npassword = {mariadb.root_password}\nhost = {mariadb.host}\nport = {mariadb.port}\n"
    ))
    login.chmod(0o600)
    env = box.env(MYSQL_TEST_LOGIN_FILE=str(login))
    result = box.run(["--login-path=prod", *FAST, "-o", str(box.out)], env=env)
    archive = archive_of(result)
    assert f"connecting to {mariadb.host}:{mariadb.port} as root" in result.stderr
    assert_secret_absent(mariadb.root_password, result, archive)


def test_ask_pass_from_stdin_without_a_terminal(mariadb: MariaDBServer, box: Sandbox) -> None:
    # no controlling terminal (new session): getpass falls back to reading stdin
    result = box.run([*server_args(mariadb), "--ask-pass", *FAST, "-o", str(box.out)],
                     input=mariadb.root_password + "\n", start_new_session=True)
    archive = archive_of(result)
    assert "Enter password:" in result.stderr
    assert_secret_absent(mariadb.root_password, result, archive)


def answer_on_a_terminal(args: list[str], prompt: str, answer: str, *, env: dict[str, str],
                         cwd: Path) -> tuple[subprocess.CompletedProcess[str], bytes]:
    """Run the CLI in a new session whose controlling terminal is a pty; type `answer` at `prompt`.
    Returns the finished process and every byte the terminal showed (to check nothing was echoed)."""
    master, slave = os.openpty()

    def controlling_tty() -> None:  # runs in the child: a new session whose terminal is the pty
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        proc = subprocess.Popen(
            [*CLI, *args], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
            preexec_fn=controlling_tty,  # noqa: PLW1509 - no threads are started by the tests using it
        )
        os.close(slave)
        slave = -1
        tty = b""
        deadline = time.monotonic() + 20
        while prompt.encode() not in tty:
            assert time.monotonic() < deadline, f"no prompt on the terminal: {tty!r}"
            if select.select([master], [], [], 0.5)[0]:
                tty += os.read(master, 4096)
        os.write(master, answer.encode() + b"\n")
        code, out, err, _ = finish(proc, 60)
        with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
            while select.select([master], [], [], 0.2)[0]:
                chunk = os.read(master, 4096)
                if not chunk:
                    break
                tty += chunk
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    return subprocess.CompletedProcess(proc.args, code, out, err), tty


def test_ask_pass_from_a_terminal_is_not_echoed(mariadb: MariaDBServer, box: Sandbox) -> None:
    result, tty = answer_on_a_terminal([*server_args(mariadb), "--ask-pass", *FAST, "-o", str(box.out)],
                                       "Enter password:", mariadb.root_password, env=box.env(), cwd=box.root)
    archive = archive_of(result)
    assert mariadb.root_password.encode() not in tty  # not echoed
    assert "Enter password:" not in result.stderr  # the prompt went to the terminal
    assert_secret_absent(mariadb.root_password, result, archive)


def test_password_on_the_command_line_warns(mariadb: MariaDBServer, box: Sandbox) -> None:
    result = box.run([*server_args(mariadb), f"--password={mariadb.root_password}", *FAST, "-o", str(box.out)])
    archive = archive_of(result)
    warnings = [line for line in result.stderr.splitlines() if "warning" in line.lower()]
    assert len(warnings) == 1 and "command line" in warnings[0] and "--ask-pass" in warnings[0]
    assert_secret_absent(mariadb.root_password, result, archive)


# --------------------------------------------------------------------------- failures: exit 1, one line


def test_unreachable_port_fails_fast(box: Sandbox) -> None:
    port = free_port()
    started = time.monotonic()
    result = box.run(["--host=127.0.0.1", f"--port={port}", "--user=root", "-q", "-o", str(box.out)],
                     password="irrelevant-pw", timeout=30)
    assert time.monotonic() - started < 10
    line = one_error_line(result)
    assert f"cannot connect to 127.0.0.1:{port}: nothing is listening there" in line
    assert "check the host, port" in line
    assert list(box.out.iterdir()) == []
    box.assert_no_temp_files()


def test_unreachable_port_progress_then_one_line(box: Sandbox) -> None:
    port = free_port()
    result = box.run(["--host=127.0.0.1", f"--port={port}", "--user=root", "-o", str(box.out)])
    line = one_error_line(result, quiet=False)
    assert result.stderr.splitlines() == [f"ps-prechecks {__version__}: connecting to 127.0.0.1:{port} as root", line]


def test_unknown_host(box: Sandbox) -> None:
    result = box.run(["--host=no-such-host.invalid", "--user=root", "-q", "-o", str(box.out)], timeout=30)
    line = one_error_line(result)
    assert "no-such-host.invalid" in line and "does not resolve" in line and "check the host name" in line
    assert list(box.out.iterdir()) == []
    box.assert_no_temp_files()


def test_wrong_password_is_never_echoed(mariadb: MariaDBServer, box: Sandbox) -> None:
    wrong = "Wr0ng-Pa55word-zq7"
    result = box.run([*server_args(mariadb), "-q", "-o", str(box.out)], password=wrong)
    line = one_error_line(result)
    assert "access denied for user 'root'" in line and "check the user name and password" in line
    assert_secret_absent(wrong, result, None)
    assert list(box.out.iterdir()) == []
    box.assert_no_temp_files()


def test_ssl_required_against_a_server_without_tls(mariadb: MariaDBServer, box: Sandbox) -> None:
    assert mariadb.tls is None
    result = box.run([*server_args(mariadb), "--ssl-mode=REQUIRED", "-q", "-o", str(box.out)],
                     password=mariadb.root_password)
    line = one_error_line(result)
    assert "TLS" in line and "did not offer TLS" in line and "--ssl-mode=PREFERRED" in line
    assert_secret_absent(mariadb.root_password, result, None)
    assert list(box.out.iterdir()) == []
    box.assert_no_temp_files()


def test_tls(mariadb_factory: MariaDBFactory, box: Sandbox) -> None:
    server = mariadb_factory(require_secure_transport=True)
    assert server.tls is not None
    base = [*server_args(server), "-o", str(box.out)]

    # DISABLED against require_secure_transport: MariaDB says "access denied"; the remedy names TLS
    result = box.run([*base, "--ssl-mode=DISABLED", "-q"], password=server.root_password)
    line = one_error_line(result)
    assert "access denied" in line and "require_secure_transport" in line and "TLS" in line
    assert list(box.out.iterdir()) == []

    # VERIFY_CA with the server's CA, VERIFY_IDENTITY too (the certificate names 127.0.0.1)
    for mode in ("VERIFY_CA", "verify-identity"):
        result = box.run([*base, f"--ssl-mode={mode}", f"--ssl-ca={server.tls.ca}", *FAST],
                         password=server.root_password)
        archive = archive_of(result)
        facts = json.loads(read_archive(archive)["facts.json"])
        assert facts["source"]["tls_mode"] == mode.lower().replace("-", "_")
        assert_secret_absent(server.root_password, result, archive)
        archive.unlink()

    # VERIFY_CA with a CA that did not sign the server's certificate
    other = make_tls_files(box.root / "other-ca")
    result = box.run([*base, "--ssl-mode=VERIFY_CA", f"--ssl-ca={other.ca}", "-q"], password=server.root_password)
    line = one_error_line(result)
    assert "TLS handshake failed" in line and "--ssl-ca" in line
    assert list(box.out.iterdir()) == []
    box.assert_no_temp_files()


def test_output_dir_missing(box: Sandbox) -> None:
    missing = box.root / "nope"
    result = box.run(["--host=127.0.0.1", "--port=1", "-o", str(missing)])
    line = one_error_line(result)
    assert f"output directory {missing} does not exist" in line and "create it" in line
    assert not missing.exists()
    box.assert_no_temp_files()


@pytest.mark.parametrize(
    "args",
    [["--port=abc"], ["--no-such-option"], ["--sleep"], ["--ssl-mode=bogus"]],
    ids=["port", "unknown", "missing-value", "ssl-mode"],
)
def test_bad_options_exit_2(box: Sandbox, args: list[str]) -> None:
    result = box.run(args)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "usage: ps-prechecks" in result.stderr and "error:" in result.stderr
    if args == ["--ssl-mode=bogus"]:
        error = result.stderr.splitlines()[-1]
        for mode in ("DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"):
            assert mode in error
    assert list(box.out.iterdir()) == []


# --------------------------------------------------------------------------- privileges


def test_usage_only_account(mariadb_factory: MariaDBFactory, box: Sandbox) -> None:
    server = mariadb_factory()
    password = "Us4ge-Only-pw-k3q"
    server.create_user("usage_only", password)  # GRANT USAGE only
    result = box.run([*server_args(server, "usage_only"), *FAST, "-o", str(box.out)], password=password)
    archive = archive_of(result)
    assert_secret_absent(password, result, archive)
    manifest = json.loads(read_archive(archive)["manifest.json"])
    records = {r["name"]: r for r in manifest["collectors"]}
    account = "'usage_only'@'%'"
    # each skipped collector: the missing privilege in the reason, the GRANT that fixes it as the remedy
    for name, privilege in (("processlist", "PROCESS"), ("replication", "SLAVE MONITOR")):
        record = records[name]
        assert record["status"] == "skipped", record
        assert f"needs {privilege} on *.*" in record["reason"], record
        assert record["remedy"] == f"GRANT {privilege} ON *.* TO {account};", record
    # reads less without REPLICATION CLIENT, and says which GRANT gives the rest
    assert records["binary_logs"]["remedy"] == f"GRANT REPLICATION CLIENT ON *.* TO {account};"
    assert "REPLICATION CLIENT" in records["binary_logs"]["reason"]
    assert {"processlist", "replication", "binary_logs"} <= {i["collector"] for i in manifest["preflight"]}
    # everything that is skipped says why; only privilege skips carry a GRANT
    for record in records.values():
        assert record["status"] == "ok" or record["reason"], record
        assert "remedy" not in record or record["remedy"].startswith("GRANT "), record
    assert records["variables"]["status"] == records["status"]["status"] == "ok"
    # skips are also on stderr, and the run still counts as a success
    assert "Processlist (aggregated): skipped" in result.stderr


# --------------------------------------------------------------------------- interrupts


def _interrupted_cleanly(box: Sandbox, code: int, out: str, err: str, waited: float) -> None:
    assert code == 130, (code, err)
    assert waited < 2, f"took {waited:.2f} s to stop"
    assert out == ""
    assert err.splitlines()[-1] == "ps-prechecks: interrupted — nothing was written"
    assert "Traceback" not in err
    assert list(box.out.iterdir()) == []  # no archive, no .partial
    box.assert_no_temp_files()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_the_sleep(mariadb: MariaDBServer, box: Sandbox, sig: signal.Signals) -> None:
    proc = popen(box, [*server_args(mariadb), "--sleep=20", "-o", str(box.out)], password=mariadb.root_password)
    try:
        seen = read_until(proc, b"status_sample: waiting", 30)
        assert b"[ 1/" in seen
        proc.send_signal(sig)
        code, out, err, waited = finish(proc, 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _interrupted_cleanly(box, code, out, err, waited)


def test_sigint_while_connecting(box: Sandbox) -> None:
    # a listener that never sends the handshake: the CLI waits in connect()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        port = silent.getsockname()[1]
        proc = popen(box, ["--host=127.0.0.1", f"--port={port}", "--user=root", "-o", str(box.out)],
                     password="irrelevant-pw")
        try:
            read_until(proc, b"connecting to", 30)
            time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
            code, out, err, waited = finish(proc, 10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    _interrupted_cleanly(box, code, out, err, waited)
    assert "[ 1/" not in err


def _content(ts: str = "2026_01_02_03_04_05") -> PreparedBundle:
    return build(derive({"format_version": 1, "variables": {"version": "10.11.0"}}),
                 ArchiveInputs(ts, samples={"mysqldump": "CREATE TABLE t (a int);\n"}, secrets=["s3cret-value"]))


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def test_interrupt_just_before_the_rename_leaves_nothing(tmp_path: Path, private_tmp: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    seen: list[tuple[str, list[str], str]] = []

    def interrupt() -> None:  # the partial exists at this point, in its private folder
        seen.extend((p.name, sorted(f.name for f in p.iterdir()), oct(p.stat().st_mode & 0o777)) for p in out.iterdir())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_bundle(_content(), out, before_rename=interrupt)
    [(folder, inside, mode)] = seen
    assert folder.startswith(".ps_archive_2026_01_02_03_04_05.tgz.") and folder.endswith(".partial")
    assert (inside, mode) == (["ps_archive_2026_01_02_03_04_05.tgz"], "0o700")
    assert list(out.iterdir()) == []
    assert list(private_tmp.iterdir()) == []


def test_interrupt_while_writing_the_tarball_leaves_nothing(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prechecks.bundle as bundle

    out = tmp_path / "out"
    out.mkdir()
    calls = 0
    original = bundle._member

    def interrupt_on_third(path: str, size: int | None) -> tarfile.TarInfo:
        nonlocal calls
        calls += 1
        if calls == 3:  # the partial archive exists by now, half written
            assert any(p.name.endswith(".partial") for p in out.iterdir())
            raise KeyboardInterrupt
        return original(path, size)

    monkeypatch.setattr(bundle, "_member", interrupt_on_third)
    with pytest.raises(KeyboardInterrupt):
        write_bundle(_content(), out)
    assert calls == 3
    assert list(out.iterdir()) == []
    assert list(private_tmp.iterdir()) == []


def test_bundle_written_normally_leaves_no_staging(tmp_path: Path, private_tmp: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    archive = write_bundle(_content(), out)
    assert [p.name for p in out.iterdir()] == [archive.name]
    assert list(private_tmp.iterdir()) == []
    assert all(b"s3cret-value" not in data for data in read_archive(archive).values())


# --------------------------------------------------------------------------- lost connection, disk full


def kill_in_the_sleep(box: Sandbox, args: list[str], password: str,
                      kill: Callable[[], None]) -> subprocess.CompletedProcess[str]:
    """Run the CLI with `args` (give --sleep), call `kill` once it waits for the second status sample,
    and return how it ended (killed itself if it has not ended 30 s later)."""
    proc = popen(box, args, password=password)
    try:
        read_until(proc, b"status_sample: waiting", 30)
        kill()
        code, out, err, _ = finish(proc, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, code, out, err)


def test_connection_lost_during_the_sleep(mariadb_factory: MariaDBFactory, box: Sandbox) -> None:
    server = mariadb_factory()
    result = kill_in_the_sleep(box, [*server_args(server), "--sleep=1.5", "-o", str(box.out)],
                               server.root_password, server.kill)
    line = one_error_line(result, quiet=False)
    assert line.startswith("ps-prechecks: lost the connection to the server")
    assert "nothing was written" in line and "check that the server is up" in line
    assert_secret_absent(server.root_password, result, None)
    assert list(box.out.iterdir()) == []
    box.assert_no_temp_files()


@contextlib.contextmanager
def tiny_tmpfs(path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted at `path` (made here), unmounted after; skips where mounting is not allowed."""
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(path)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False, capture_output=True)


@contextlib.contextmanager
def full_tmpfs(path: Path) -> Iterator[Path]:
    """A tiny_tmpfs filled to the last byte by a file named ballast."""
    with tiny_tmpfs(path):
        fd = os.open(path / "ballast", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * 4096):
                    pass
        finally:
            os.close(fd)
        with pytest.raises(OSError) as probe:
            (path / "probe").write_bytes(b"x" * 8192)
        assert probe.value.errno == errno.ENOSPC
        (path / "probe").unlink(missing_ok=True)
        yield path


def test_disk_full_while_writing_the_archive(mariadb: MariaDBServer, box: Sandbox) -> None:
    with full_tmpfs(box.root / "full") as full:
        result = box.run([*server_args(mariadb), *FAST, "-o", str(full)], password=mariadb.root_password)
        line = one_error_line(result, quiet=False)
        assert f"could not write the archive in {full}" in line and "No space left on device" in line
        assert "free some space or choose another --output directory" in line
        assert sorted(p.name for p in full.iterdir()) == ["ballast"]  # no partial
        assert_secret_absent(mariadb.root_password, result, None)
    box.assert_no_temp_files()


# --------------------------------------------------------------------------- --read-samples


def test_read_samples_prints_a_report_without_secrets(box: Sandbox) -> None:
    directory = SAMPLES / "pt-temp002"
    result = box.run(["--read-samples", str(directory)])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("#") and len(result.stdout.splitlines()) > 20
    processlist = (directory / "mysql-processlist").read_text()
    infos = [line.split("Info:", 1)[1].strip() for line in processlist.splitlines() if "Info:" in line]
    queries = [info for info in infos if info and info != "NULL"]
    assert queries, "the fixture has query text to hide"
    for query in queries:
        assert query not in result.stdout
    config = (directory / "mysql-config-file").read_text()
    passwords = [line.split("=", 1)[1].strip() for line in config.splitlines()
                 if line.strip().lower().startswith("password")]
    assert passwords
    for password in passwords:
        assert password not in result.stdout
    assert list(box.out.iterdir()) == []
    box.assert_no_temp_files()


def test_read_samples_missing_and_empty_directories(box: Sandbox) -> None:
    missing = box.root / "no-samples-here"
    line = one_error_line(box.run(["--read-samples", str(missing)]))
    assert f"{missing}: no such directory — pass --read-samples the ps_samples_<ts>/ directory" in line
    empty = box.root / "empty"
    empty.mkdir()
    line = one_error_line(box.run(["--read-samples", str(empty)]))
    assert f"{empty} is not a samples directory" in line and "pass the ps_samples_<ts>/ directory" in line
    assert list(box.out.iterdir()) == []
    box.assert_no_temp_files()


# --------------------------------------------------------------------------- what to collect


def test_save_samples(mariadb: MariaDBServer, box: Sandbox) -> None:
    saved = box.root / "saved" / "samples"
    result = box.run([*server_args(mariadb), *FAST, "-o", str(box.out), "--save-samples", str(saved)],
                     password=mariadb.root_password)
    archive = archive_of(result)
    ts = archive.name[len("ps_archive_"):-len(".tgz")]
    prefix = f"ps_samples_{ts}/"
    in_archive = {name[len(prefix):]: data for name, data in read_archive(archive).items() if name.startswith(prefix)}
    on_disk = {p.name: p.read_bytes() for p in saved.iterdir()}
    assert in_archive and on_disk == in_archive
    box.assert_no_temp_files()
    # and they read back
    again = box.run(["--read-samples", str(saved)])
    assert again.returncode == 0 and again.stdout.startswith("#")


def test_databases_limits_the_inventory(mariadb_factory: MariaDBFactory, box: Sandbox) -> None:
    server = mariadb_factory()
    server._execute([
        "CREATE DATABASE wanted_db", "CREATE TABLE wanted_db.kept_table (id INT PRIMARY KEY)",
        "CREATE DATABASE other_db", "CREATE TABLE other_db.left_out_table (id INT PRIMARY KEY)",
    ])
    result = box.run([*server_args(server), *FAST, "-o", str(box.out), "--databases=wanted_db"],
                     password=server.root_password)
    files = read_archive(archive_of(result))
    ts = next(n for n in files if n.startswith("ps_samples_")).split("/")[0]
    dump = files[f"{ts}/mysqldump"].decode()
    assert "kept_table" in dump and "left_out_table" not in dump
    sizes = files[f"{ts}/table-sizes"].decode()
    assert "wanted_db" in sizes and "other_db" not in sizes
    facts = files["facts.json"].decode()
    assert "kept_table" in facts and "left_out_table" not in facts

    # without --databases both are there
    result = box.run([*server_args(server), *FAST, "-o", str(box.root)], password=server.root_password)
    files = read_archive(archive_of(result))
    dump = next(data for name, data in files.items() if name.endswith("/mysqldump")).decode()
    assert "kept_table" in dump and "left_out_table" in dump


def test_no_schema_ddl(mariadb: MariaDBServer, box: Sandbox) -> None:
    result = box.run([*server_args(mariadb), *FAST, "-o", str(box.out), "--no-schema-ddl"],
                     password=mariadb.root_password)
    files = read_archive(archive_of(result))
    dump = next((data for name, data in files.items() if name.endswith("/mysqldump")), b"")
    assert b"CREATE TABLE" not in dump and b"CREATE DATABASE" not in dump
    manifest = json.loads(files["manifest.json"])
    record = next(r for r in manifest["collectors"] if r["name"] == "schema_ddl")
    assert record["status"] == "skipped" and "--no-schema-ddl" in record["reason"], record


# --------------------------------------------------------------------------- help and version


def test_help(box: Sandbox) -> None:
    result = box.run(["--help"])
    assert result.returncode == 0 and result.stderr == ""
    assert "--ask-pass" in result.stdout and "usage: ps-prechecks" in result.stdout
    assert "--host HOST, -h HOST" in result.stdout


def test_dash_h_is_host(mariadb: MariaDBServer, box: Sandbox) -> None:
    result = box.run(["-h", mariadb.host, "-P", str(mariadb.port), "-uroot", *FAST, "-o", str(box.out)],
                     password=mariadb.root_password)
    assert "usage:" not in result.stdout
    archive_of(result)
    # -h without a value is an error, not help
    result = box.run(["-h"])
    assert result.returncode == 2 and "argument --host/-h: expected one argument" in result.stderr


def test_version(box: Sandbox) -> None:
    result = box.run(["--version"])
    assert result.returncode == 0
    assert result.stdout == f"ps-prechecks {__version__}\n"


# --------------------------------------------------------------------------- option and input errors


def test_ask_pass_with_nothing_to_read(box: Sandbox) -> None:
    result = box.run(["--host=127.0.0.1", "--port=1", "--ask-pass", "-o", str(box.out)], input="",
                     start_new_session=True)
    line = one_error_line(result, quiet=False)
    assert line == ("ps-prechecks: --ask-pass: no password was entered (end of input) — type it at the prompt, "
                    "pipe it on stdin, or use an option file")
    assert "cannot connect" not in result.stderr  # it stopped before connecting
    box.assert_no_temp_files()


def test_missing_defaults_file(box: Sandbox) -> None:
    missing = box.root / "nope.cnf"
    line = one_error_line(box.run([f"--defaults-file={missing}", "--host=127.0.0.1", "--port=1", "-q"]))
    assert line == f"ps-prechecks: cannot read option file {missing}: No such file — check the --defaults-file path"


def test_garbled_login_path_file(box: Sandbox) -> None:
    login = box.home / ".mylogin.cnf"
    login.write_bytes(b"not an obfuscated login file")
    result = box.run(["--login-path=prod", "--host=127.0.0.1", "--port=1", "-q"],
                     env=box.env(MYSQL_TEST_LOGIN_FILE=str(login)))
    line = one_error_line(result)
    assert str(login) in line and "mysql_config_editor" in line


def test_world_writable_my_cnf_is_ignored_and_said(mariadb: MariaDBServer, box: Sandbox) -> None:
    cnf = box.home / ".my.cnf"
    cnf.write_text(f"[client]\npassword={mariadb.root_password}\n")
    cnf.chmod(0o666)
    result = box.run([*server_args(mariadb), "-q", "-o", str(box.out)])
    line = one_error_line(result, quiet=False)
    assert "access denied for user 'root'" in line
    assert result.stderr.splitlines()[0] == (
        f"ps-prechecks: warning: {cnf}: world-writable option file ignored (as the mysql client does)")
    assert_secret_absent(mariadb.root_password, result, None)


def test_save_samples_into_a_file_fails_before_connecting(box: Sandbox) -> None:
    target = box.root / "a-file"
    target.write_text("x")
    result = box.run(["--host=127.0.0.1", f"--port={free_port()}", "--save-samples", str(target), "-q",
                      "-o", str(box.out)])
    line = one_error_line(result)
    assert line == f"ps-prechecks: --save-samples {target} is not a directory — pass a directory (new or existing)"
    assert list(box.out.iterdir()) == []


def test_read_samples_md_writes_the_report(box: Sandbox) -> None:
    result = box.run(["--read-samples", str(SAMPLES / "pt-temp002"), "--md", "-o", str(box.out)])
    assert result.returncode == 0, result.stderr
    written = Path(result.stdout.splitlines()[-1])
    assert written.parent == box.out and written.name.startswith("ps_report_") and written.suffix == ".md"
    assert written.read_text() + "\n" + str(written) + "\n" == result.stdout
    missing = box.root / "missing"
    line = one_error_line(box.run(["--read-samples", str(SAMPLES / "pt-temp002"), "--md", "-o", str(missing)]))
    assert line.startswith(f"ps-prechecks: could not write {missing}/ps_report_") and "--output" in line
    assert not missing.exists()
