"""A throwaway local MariaDB with a small sample schema, for `ps-prechecks-wizard --demo` and the
benchmarks: a fresh data directory in a temp dir, 127.0.0.1 on a free port, removed on stop().

A trimmed copy of what tests/servers.py does for the tests (which are not installed with the app).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

_SEARCH_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/bin", "/usr/local/bin")
START_TIMEOUT = 60.0

SAMPLE_SCHEMA = (
    "CREATE DATABASE shop",
    "CREATE TABLE shop.customers (id INT PRIMARY KEY AUTO_INCREMENT, email VARCHAR(190) NOT NULL UNIQUE, "
    "name VARCHAR(100), created_at DATETIME DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB",
    "CREATE TABLE shop.orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL, "
    "total DECIMAL(10,2), FOREIGN KEY (customer_id) REFERENCES shop.customers(id) ON DELETE CASCADE) ENGINE=InnoDB",
    "CREATE TABLE shop.order_events (order_id BIGINT, event VARCHAR(40), at DATETIME) ENGINE=InnoDB",
    "CREATE TABLE shop.legacy_log (id INT PRIMARY KEY, line TEXT) ENGINE=MyISAM",
    "CREATE VIEW shop.big_orders AS SELECT id, total FROM shop.orders WHERE total > 100",
    "CREATE TRIGGER shop.orders_audit AFTER INSERT ON shop.orders FOR EACH ROW "
    "INSERT INTO shop.order_events VALUES (NEW.id, 'created', NOW())",
    "INSERT INTO shop.customers (email, name) VALUES ('ada@example.com', 'Ada'), ('alan@example.com', 'Alan')",
    "INSERT INTO shop.orders (customer_id, total) VALUES (1, 120.50), (2, 35.00)",
)


class DemoUnavailable(RuntimeError):
    """mariadbd / mariadb-install-db are not installed, or the server did not start."""


def find_binary(name: str) -> str | None:
    """A MariaDB program on PATH or in the usual sbin/libexec folders, or None."""
    found = shutil.which(name)
    if found:
        return found
    for directory in _SEARCH_DIRS:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def available() -> bool:
    return find_binary("mariadbd") is not None and find_binary("mariadb-install-db") is not None


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _kill_group(leader: subprocess.Popen[str]) -> None:
    """SIGKILL a process group and wait until none of it runs: a killed mariadbd --bootstrap may write a file
    more before it dies, and would leave it in a folder removed just before (up to 10 s, then go on)."""
    if not hasattr(os, "killpg"):  # Windows: no process groups to speak of
        leader.kill()
        leader.wait()
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(leader.pid, signal.SIGKILL)
    leader.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(leader.pid, 0)  # a zombie not yet reaped by init answers too: hence the deadline
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)


class DemoServer:
    """`with DemoServer() as demo:` -> demo.host, demo.port, demo.user, demo.password."""

    def __init__(self, *, extra_schemas: int = 0, tables_per_schema: int = 10) -> None:
        self.extra_schemas = extra_schemas
        self.tables_per_schema = tables_per_schema
        self.host = "127.0.0.1"
        self.port = 0
        self.user = "root"
        self.password = secrets.token_urlsafe(18)
        self.root: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> str:
        assert self.root is not None
        return str(self.root / "mariadb.sock")

    def start(self) -> DemoServer:
        mariadbd, install_db = find_binary("mariadbd"), find_binary("mariadb-install-db")
        if mariadbd is None or install_db is None:
            raise DemoUnavailable("mariadbd is not installed (apt-get install mariadb-server)")
        self.root = Path(tempfile.mkdtemp(prefix="ps-prechecks-demo-"))
        try:
            self._install(install_db)
            self._launch(mariadbd)
            self._prepare()
        except BaseException:
            self.stop()
            raise
        return self

    def _install(self, install_db: str) -> None:
        assert self.root is not None
        (self.root / "tmp").mkdir()  # private: other servers on this machine use /tmp's names too
        command = [install_db, "--no-defaults", f"--datadir={self.root / 'data'}", f"--tmpdir={self.root / 'tmp'}",
                   "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
                   "--innodb-buffer-pool-size=32M"]
        if os.geteuid() == 0:
            command.append("--user=root")
        # its own session: Ctrl+C in the terminal reaches the wizard alone (which lets the start finish, then
        # removes it all); and when it must be stopped (the time-out, Ctrl+C in a benchmark) its whole group
        # goes: it is a shell script that runs mariadbd --bootstrap, which killing the script alone leaves behind
        install = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        try:
            _out, err = install.communicate(timeout=300)
        except BaseException:
            _kill_group(install)
            raise
        if install.returncode != 0:
            raise DemoUnavailable(f"mariadb-install-db failed: {err.strip()[-400:]}")

    def _launch(self, mariadbd: str) -> None:
        assert self.root is not None
        self.port = _free_port()
        command = [mariadbd, "--no-defaults", f"--datadir={self.root / 'data'}", f"--port={self.port}",
                   f"--tmpdir={self.root / 'tmp'}", f"--socket={self.socket_path}",
                   f"--pid-file={self.root / 'mariadbd.pid'}",
                   f"--log-error={self.root / 'error.log'}", "--bind-address=127.0.0.1", "--skip-name-resolve",
                   "--innodb-buffer-pool-size=32M", "--server-id=1", "--log-bin=mysql-bin", "--binlog-format=ROW"]
        if os.geteuid() == 0:
            command.append("--user=root")
        # its own session: Ctrl+C in the terminal reaches the wizard, which stops this server in order
        self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise DemoUnavailable(f"mariadbd exited at start: see {self.root / 'error.log'}")
            try:
                with contextlib.closing(socket.socket(socket.AF_UNIX)) as probe:
                    probe.connect(self.socket_path)
                return
            except OSError:
                time.sleep(0.05)
        raise DemoUnavailable("mariadbd did not start within a minute")

    def _connect(self, password: str) -> Any:
        import mysql.connector

        return mysql.connector.connect(unix_socket=self.socket_path, user="root", password=password,
                                       use_pure=True, autocommit=True)

    def _prepare(self) -> None:
        connection = self._connect("")
        try:
            cursor = connection.cursor()
            # root@<hostname> cannot be altered with --skip-name-resolve (and is useless here)
            cursor.execute("DELETE FROM mysql.global_priv WHERE Host NOT IN ('localhost', '127.0.0.1', '::1')")
            cursor.execute("FLUSH PRIVILEGES")
            cursor.execute("SELECT Host FROM mysql.global_priv WHERE User = 'root'")
            hosts = [str(row[0]) for row in cursor.fetchall()]
            for host in hosts:
                cursor.execute("ALTER USER 'root'@%s IDENTIFIED BY %s", (host, self.password))
            for statement in SAMPLE_SCHEMA:
                cursor.execute(statement)
            for n in range(self.extra_schemas):
                cursor.execute(f"CREATE DATABASE app{n:02d}")
                for t in range(self.tables_per_schema):
                    cursor.execute(f"CREATE TABLE app{n:02d}.t{t:03d} (id INT PRIMARY KEY, a VARCHAR(40), "
                                   f"b DATETIME, c DECIMAL(10,2), KEY (a)) ENGINE=InnoDB")
            cursor.close()
        finally:
            connection.close()

    def stop(self) -> None:
        """Shut the server down and remove its files. Idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
