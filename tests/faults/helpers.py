"""What every fault test needs: a private sandbox for the CLI, a way to watch it run, the two endings
a fault may have (a complete archive, or one line of cause and remedy), a server with planted secrets,
and `assert_no_secrets`, which looks for them in every file and every tar member.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import secrets as _secrets
import signal
import subprocess
import sys
import tarfile
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mysql.connector

from tests.helpers import REPO, read_archive
from tests.servers import MariaDBServer, quote

_SCRIPT = Path(sys.executable).with_name("ps-prechecks")
CLI = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "prechecks.cli"]
FAST = ["--sleep=0.2"]
ARCHIVE = re.compile(r"^ps_archive_\d{4}(_\d\d){5}\.tgz$")


# --------------------------------------------------------------------------- the sandbox


class Box:
    """A private HOME, TMPDIR and output directory for CLI runs; inputs live outside it (they may hold
    the secrets on purpose), so everything under `root` can be scanned for them."""

    def __init__(self, root: Path, inputs: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.tmp = root / "tmp"
        self.out = root / "out"
        self.inputs = inputs
        for path in (self.home, self.tmp, self.out, self.inputs):
            path.mkdir(parents=True, exist_ok=True)
        self.answers = inputs / "answers.json"  # makes the CLI save a draft under HOME
        self.answers.write_text(json.dumps({"architecture.instance_count": 3}))

    def env(self, password: str | None = None, **extra: str) -> dict[str, str]:
        drop = ("MYSQL_PWD", "MYSQL_TEST_LOGIN_FILE", "MYSQL_HOME", "PYTHONWARNINGS")
        env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("XDG_")}
        env.update(HOME=str(self.home), TMPDIR=str(self.tmp), PYTHONPATH=str(REPO), LC_ALL="C.UTF-8",
                   PYTHONDONTWRITEBYTECODE="1")
        if password is not None:
            env["MYSQL_PWD"] = password
        env.update(extra)
        return env

    def run(self, args: list[str], *, password: str | None = None, timeout: float = 120,
            **popen: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, *args], capture_output=True, text=True, env=self.env(password),
                              timeout=timeout, check=False, cwd=self.root, stdin=subprocess.DEVNULL, **popen)

    def start(self, args: list[str], *, password: str | None = None, **popen: Any) -> Running:
        return Running(subprocess.Popen([*CLI, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=self.env(password), cwd=self.root, **popen))

    def drafts(self) -> list[Path]:
        return sorted((self.home / ".local" / "share" / "ps-prechecks" / "drafts").glob("*.json"))

    def assert_clean(self, archive: Path | None = None) -> None:
        """No temp file, no partial archive; the output directory holds the archive or nothing."""
        assert sorted(self.tmp.iterdir()) == [], f"temp files left behind: {sorted(self.tmp.iterdir())}"
        assert sorted(self.out.iterdir()) == ([archive] if archive else []), sorted(self.out.iterdir())
        leftovers = [p for p in self.root.rglob("*") if p.name.endswith((".partial", ".tmp"))]
        assert leftovers == [], f"partial files left behind: {leftovers}"


class Running:
    """A CLI child whose stderr is read as it comes, so a test can act on a progress line."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self._err = bytearray()
        self._out = bytearray()
        self._changed = threading.Condition()
        assert proc.stderr is not None and proc.stdout is not None
        self._readers = [threading.Thread(target=self._pump, args=(proc.stderr, self._err), daemon=True),
                         threading.Thread(target=self._pump, args=(proc.stdout, self._out), daemon=True)]
        for reader in self._readers:
            reader.start()

    def _pump(self, stream: Any, into: bytearray) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            with self._changed:
                into += chunk
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def stderr(self) -> str:
        with self._changed:
            return self._err.decode(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """The first match of `pattern` (a regex) on stderr; fails if the child ends or time runs out."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                match = re.search(pattern, self._err.decode(errors="replace"), re.M)
                if match:
                    return match
                left = deadline - time.monotonic()
                if self.proc.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise AssertionError(f"the CLI ended (exit {self.proc.returncode}) before {pattern!r}:\n"
                                         f"{self._err.decode(errors='replace')}")
                if left <= 0:
                    raise AssertionError(f"no {pattern!r} on stderr after {timeout} s:\n"
                                         f"{self._err.decode(errors='replace')}")
                self._changed.wait(min(left, 0.2))

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def finish(self, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the CLI did not exit within {timeout} s:\n{self.stderr}") from None
        self._close()
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, self._out.decode(errors="replace"),
                                           self.stderr)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close()

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def started(box: Box, args: list[str], **kw: Any) -> Any:
    """`box.start(...)`, killed on the way out whatever happened."""
    running = box.start(args, **kw)
    try:
        yield running
    finally:
        running.kill()


# --------------------------------------------------------------------------- the two endings


def archive_of(result: subprocess.CompletedProcess[str], box: Box) -> Path:
    """Exit 0, the archive's path as the last line of stdout, a complete and verified archive."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    path = Path(result.stdout.rstrip("\n").splitlines()[-1])
    assert path.parent == box.out and ARCHIVE.match(path.name), path
    files = read_archive(path)
    manifest = json.loads(files["manifest.json"])
    assert {entry["path"] for entry in manifest["files"]} == set(files) - {"manifest.json"}
    return path


def one_error_line(result: subprocess.CompletedProcess[str], *, code: int = 1) -> str:
    """A non-zero exit, nothing on stdout, and one error line (after any progress) saying cause — remedy."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("ps-prechecks:") and "warning:" not in line
              and "restored" not in line]
    assert errors == [lines[-1]], lines
    line = lines[-1]
    assert " — " in line, f"no remedy after the cause: {line}"
    return line


def interrupted(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 130 and the one line saying whether anything was written."""
    assert result.returncode == 130, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    line = result.stderr.splitlines()[-1]
    assert line.startswith("ps-prechecks: interrupted — "), line
    return line


def manifest_of(archive: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(read_archive(archive)["manifest.json"])
    return manifest


def collectors_of(archive: Path) -> dict[str, dict[str, Any]]:
    return {record["name"]: record for record in manifest_of(archive)["collectors"]}


# --------------------------------------------------------------------------- secrets


def assert_no_secrets(paths: Iterable[Path], secrets: Iterable[str], texts: Mapping[str, str] | None = None) -> int:
    """Fail if any secret is in a text, a file name, a file's bytes, its gunzipped bytes, or a tar member
    (name and content, recursively). Returns how many files and members were read."""
    needles = [s for s in secrets if s]
    for secret in needles:
        assert len(secret) >= 8 and secret.isascii(), f"a planted secret must be distinctive: {secret!r}"
    for label, text in (texts or {}).items():
        for secret in needles:
            assert secret not in text, f"secret {secret!r} in {label}"
    encoded = [(s, s.encode()) for s in needles]
    count = 0
    for root in paths:
        root = Path(root)
        if not root.exists():
            continue
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            for secret in needles:
                assert secret not in str(path), f"secret {secret!r} in the file name {path}"
            if path.is_file() and not path.is_symlink():
                count += _scan(path.read_bytes(), str(path), encoded)
    return count


def _scan(data: bytes, label: str, needles: list[tuple[str, bytes]], depth: int = 0) -> int:
    for secret, needle in needles:
        assert needle not in data, f"secret {secret!r} in {label}"
    count = 1
    if depth > 3:
        return count
    if data[:2] == b"\x1f\x8b":
        try:
            inner = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            inner = None
        if inner is not None:
            count += _scan(inner, f"{label} (gunzipped)", needles, depth + 1)
        return count
    if len(data) >= 512 and data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar.getmembers():
                for secret, _needle in needles:
                    assert secret not in member.name, f"secret {secret!r} in the member name {label}:{member.name}"
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None:
                    count += _scan(handle.read(), f"{label}:{member.name}", needles, depth + 1)
    return count


# --------------------------------------------------------------------------- a server with planted secrets


def token(prefix: str) -> str:
    """A distinctive ASCII secret (no character that JSON, SQL or a shell would escape)."""
    return f"{prefix}-{_secrets.token_hex(6)}"


def write_private(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def server_option_file(directory: Path, config_secret: str) -> Path:
    """A server option file with a password line the config collector reads (mariadbd ignores [client])."""
    directory.mkdir(parents=True, exist_ok=True)
    return write_private(directory / "server.cnf", (
        "[client]\n"
        f"password = {config_secret}\n"
        "[mysqldump]\n"
        "user = backup\n"
        f"password = \"{config_secret}\"\n"
        "[mysqld]\n"
        "max_allowed_packet = 32M\n"
    ))


@dataclass
class Planted:
    """A server and an account with secrets planted where the tool looks: the account's password, a query
    literal (sent before the run, so in the digests, and running in the processlist during it), literals in
    a view and a routine, and a password in the server's option file."""

    server: MariaDBServer
    user: str
    password: str
    literal: str
    ddl_literal: str
    config_secret: str
    client_file: Path  # [client] user and password, for --defaults-file
    _sleeper: threading.Thread | None = field(default=None, repr=False)
    _sleeper_id: int | None = field(default=None, repr=False)

    @property
    def secrets(self) -> list[str]:
        return [self.password, self.literal, self.ddl_literal, self.config_secret]

    def args(self, *, via_option_file: bool = True) -> list[str]:
        """Connection options; the password comes from the option file (or pass it as MYSQL_PWD)."""
        where = [f"--host={self.server.host}", f"--port={self.server.port}"]
        return [f"--defaults-file={self.client_file}", *where] if via_option_file else [*where, f"--user={self.user}"]

    def start_sleeper(self) -> None:
        """A query with the literal in the processlist for as long as the server lives (or stop())."""
        connection = self.server.connect()
        ready = threading.Event()

        def run() -> None:
            try:
                with contextlib.closing(connection), connection.cursor() as cursor:
                    cursor.execute("SELECT CONNECTION_ID()")
                    row: Any = cursor.fetchone()
                    self._sleeper_id = int(row[0]) if row else None
                    ready.set()
                    cursor.execute(f"SELECT SLEEP(3600) AS waiting, {quote(self.literal)} AS planted")
                    cursor.fetchall()
            except Exception:  # the server was killed or the query ended
                pass
            finally:
                ready.set()

        self._sleeper = threading.Thread(target=run, name="planted-sleeper", daemon=True)
        self._sleeper.start()
        ready.wait(20)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the query is running
            rows = self.server.admin("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE %s",
                                     (f"%{self.literal}%",))
            if rows and int(rows[0][0]) >= 1:
                return
            time.sleep(0.05)
        raise AssertionError("the planted query never showed up in the processlist")

    def stop(self) -> None:
        if self._sleeper is None:
            return
        if self.server.running and self._sleeper_id is not None:
            with contextlib.suppress(mysql.connector.Error):
                self.server.admin(f"KILL {int(self._sleeper_id)}")
        self._sleeper.join(10)
        self._sleeper = None


def plant(server: MariaDBServer, inputs: Path, config_secret: str, *,
          grants: tuple[str, ...] = ("ALL PRIVILEGES ON *.*",), schemas: int = 4, sleeper: bool = True) -> Planted:
    """Plant the secrets on `server` (started with server_option_file(..., config_secret))."""
    user = f"pl_{_secrets.token_hex(3)}"
    planted = Planted(server, user, token("Pw"), token("QueryLiteral"), token("DdlLiteral"), config_secret,
                      write_private(inputs / f"{user}.cnf", ""))
    write_private(planted.client_file, f"[client]\nuser = {user}\npassword = {planted.password}\n")
    server.create_user(user, planted.password, grants)
    statements = [
        "CREATE DATABASE IF NOT EXISTS planted_db",
        "CREATE TABLE IF NOT EXISTS planted_db.notes (id INT PRIMARY KEY, note VARCHAR(64))",
        "CREATE OR REPLACE VIEW planted_db.flagged AS SELECT id FROM planted_db.notes"
        f" WHERE note = {quote(planted.ddl_literal)}",
        f"CREATE OR REPLACE PROCEDURE planted_db.flag() SELECT {quote(planted.ddl_literal)}",
    ]
    for index in range(1, schemas):  # more than two schemas: the read-ahead session joins the walk
        statements += [f"CREATE DATABASE IF NOT EXISTS extra_{index}",
                       f"CREATE TABLE IF NOT EXISTS extra_{index}.items (id INT PRIMARY KEY, name VARCHAR(20))"]
    server._execute(statements)
    # the literal in the statement digests
    with contextlib.closing(server.connect()) as connection, connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(f"SELECT COUNT(*) FROM planted_db.notes WHERE note = {quote(planted.literal)}")
            cursor.fetchall()
    if sleeper:
        planted.start_sleeper()
    return planted


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
