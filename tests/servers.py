"""Throwaway real MariaDB servers for the tests.

Every server is a child ``mariadbd`` on 127.0.0.1 with a fresh data directory, copied from a
template that ``mariadb-install-db`` initialises once per process (a copy takes ~0.05 s, an
install ~0.8 s). Nothing here imports pytest: ``tests/conftest.py`` wraps it in fixtures.

Reaping: every started server is in a registry; ``shutdown_all()`` (called by conftest at the end
of the session) and an ``atexit`` hook kill leftovers and remove the template and socket
directories. On Linux, servers started from the main thread also get ``PR_SET_PDEATHSIG=SIGKILL``,
so they die with the test process even when it is killed; /tmp/psm-* directories left by a killed
run are swept by the next one.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket as _socketmod
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import mysql.connector
from mysql.connector.abstracts import MySQLConnectionAbstract

from prechecks.demo import find_binary

__all__ = [
    "MARIADB_MISSING",
    "MariaDBFactory",
    "MariaDBServer",
    "TLSFiles",
    "discard",
    "make_tls_files",
    "mariadb_available",
    "shutdown_all",
    "start_mariadb",
    "start_replication_pair",
    "stop_all",
]

MARIADB_MISSING = "mariadbd not found: run scripts/test as root (it apt-installs mariadb-server)"

# Small InnoDB files: both the template install and every server get these.
_INNODB_OPTIONS = ("--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M")
# Run by mariadb-install-db after the system tables exist: drop the root@<hostname> account
# (ignored with --skip-name-resolve, and it would warn in every error log).
_TEMPLATE_SQL = """\
DELETE FROM mysql.global_priv WHERE Host NOT IN ('localhost', '127.0.0.1', '::1');
DELETE FROM mysql.proxies_priv WHERE Host NOT IN ('localhost', '127.0.0.1', '::1');
"""
_OWNER_FILE = "owner.pid"
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 60.0
_REPLICATION_TIMEOUT = 30.0


def mariadb_available() -> bool:
    """True when ``mariadbd`` and ``mariadb-install-db`` are installed."""
    return find_binary("mariadbd") is not None and find_binary("mariadb-install-db") is not None


def _require(name: str) -> str:
    path = find_binary(name)
    if path is None:
        raise RuntimeError(MARIADB_MISSING if name != "mariadb" else f"{name} client not found")
    return path


def quote(value: str) -> str:
    """A MariaDB string literal (default sql_mode: backslash escapes on)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no {path.name})"
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class TLSFiles:
    ca: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


_OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str | Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl CLI not found (apt-get install openssl)")
    result = subprocess.run(
        [openssl, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def make_tls_files(directory: Path) -> TLSFiles:
    """A CA, a server cert (CN and SAN 127.0.0.1, SAN localhost) and a client cert; P-256 keys."""
    directory.mkdir(parents=True, exist_ok=True)
    cnf = directory / "openssl.cnf"
    cnf.write_text(_OPENSSL_CNF)
    files = TLSFiles(
        ca=directory / "ca.pem",
        ca_key=directory / "ca-key.pem",
        server_cert=directory / "server-cert.pem",
        server_key=directory / "server-key.pem",
        client_cert=directory / "client-cert.pem",
        client_key=directory / "client-key.pem",
    )
    for key in (files.ca_key, files.server_key, files.client_key):
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
        key.chmod(0o600)
    _openssl(
        "req", "-new", "-x509", "-config", cnf, "-extensions", "v3_ca", "-key", files.ca_key,
        "-subj", "/CN=ps-prechecks test CA", "-days", "3650", "-out", files.ca,
    )  # fmt: skip
    for cert, key, cn, ext in (
        (files.server_cert, files.server_key, "127.0.0.1", "v3_server"),
        (files.client_cert, files.client_key, "ps-prechecks test client", "v3_client"),
    ):
        csr = cert.with_suffix(".csr")
        _openssl("req", "-new", "-config", cnf, "-key", key, "-subj", f"/CN={cn}", "-out", csr)
        _openssl(
            "x509", "-req", "-in", csr, "-CA", files.ca, "-CAkey", files.ca_key,
            "-set_serial", f"0x{secrets.token_hex(8)}", "-days", "3650",
            "-extfile", cnf, "-extensions", ext, "-out", cert,
        )  # fmt: skip
        csr.unlink()
    return files


# --------------------------------------------------------------------------- registry


class _State:
    template_root: Path | None = None  # holds data/, the initialised datadir to copy
    owner_pid = os.getpid()


_lock = threading.RLock()
_live: set[MariaDBServer] = set()
_state = _State()


def _short_tmp() -> str:
    # AF_UNIX paths are limited to 107 bytes: keep sockets in /tmp/psm-XXXXXXXX/.
    return "/tmp" if Path("/tmp").is_dir() else tempfile.gettempdir()


def _owned_tmpdir(prefix: str) -> Path:
    """A new /tmp/<prefix>XXXXXXXX directory tagged with this process's pid (see _sweep_stale)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=_short_tmp()))
    (path / _OWNER_FILE).write_text(str(os.getpid()))
    return path


def _sweep_stale() -> None:
    """Remove /tmp/psm-* directories left by test processes that died without cleaning up."""
    for path in Path(_short_tmp()).glob("psm-*"):
        try:
            owner = int((path / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:  # alive, someone else's
            pass


def _template_datadir() -> Path:
    """The initialised datadir to copy; made once per process."""
    with _lock:
        if _state.template_root is not None:
            return _state.template_root / "data"
        _sweep_stale()
        root = _owned_tmpdir("psm-tpl-")
        extra = root / "template.sql"
        extra.write_text(_TEMPLATE_SQL)
        command = [
            _require("mariadb-install-db"),
            "--no-defaults",
            f"--datadir={root / 'data'}",
            f"--tmpdir={root}",  # its temporary tables in /tmp failed 3 bootstraps in 16 beside other test runs
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            f"--extra-file={extra}",
            *_INNODB_OPTIONS,
        ]
        if os.geteuid() == 0:
            command.append("--user=root")
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0:
            shutil.rmtree(root, ignore_errors=True)
            output = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
            raise RuntimeError(f"mariadb-install-db failed (exit {result.returncode}):\n{output}")
        _state.template_root = root
        return root / "data"


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _pdeathsig_hook() -> Callable[[], None] | None:
    # The signal fires when the *thread* that forked ends, so only for servers started from the
    # main thread (a worker thread's servers rely on stop(), the fixtures and atexit).
    if sys.platform == "linux" and threading.current_thread() is threading.main_thread():
        return _set_pdeathsig
    return None


def stop_all(servers: Iterable[MariaDBServer]) -> None:
    """Clean shutdown of several servers in parallel (SIGTERM all, then wait for each)."""
    pending = list(servers)
    for server in pending:
        server._terminate()
    for server in pending:
        server.stop()


def discard(server: MariaDBServer) -> None:
    """Stop the server and delete its data directory (its logs stay for post-mortems)."""
    server.stop()
    shutil.rmtree(server.datadir, ignore_errors=True)


def shutdown_all() -> None:
    """Kill every server still running and remove the template; safe to call more than once."""
    if os.getpid() != _state.owner_pid:  # a forked child must not touch its parent's servers
        return
    with _lock:
        leftovers = list(_live)
        for server in leftovers:
            server.kill()
        if _state.template_root is not None:
            shutil.rmtree(_state.template_root, ignore_errors=True)
            _state.template_root = None


atexit.register(shutdown_all)


# --------------------------------------------------------------------------- the server

_Result = tuple[tuple[str, ...], list[tuple[Any, ...]]]


@dataclass(eq=False)
class MariaDBServer:
    host: str
    port: int
    socket: str
    datadir: Path
    root_password: str
    tls: TLSFiles | None
    error_log: Path
    general_log: Path | None
    pid: int
    base_dir: Path
    client_defaults_file: Path  # [client] options file (0600): root, password, socket
    _proc: subprocess.Popen[bytes] = field(repr=False)
    _socket_dir: Path = field(repr=False)
    _terminating: bool = field(default=False, repr=False)

    # -- connections

    def connect(self, user: str = "root", password: str | None = None, **kw: Any) -> MySQLConnectionAbstract:
        """A pure-Python mysql.connector connection over TCP (autocommit on); ``kw`` overrides."""
        if password is None:
            password = self.root_password if user == "root" else ""
        options: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": user,
            "password": password,
            "autocommit": True,
            "connection_timeout": 10,
        }
        options.update(kw)
        options["use_pure"] = True
        return cast(MySQLConnectionAbstract, mysql.connector.connect(**options))

    def _connect_admin(self) -> MySQLConnectionAbstract:
        return self.connect(unix_socket=self.socket)

    def _execute(
        self, statements: Sequence[str | tuple[str, Any]], *, log_bin: bool = True
    ) -> list[_Result | None]:
        """Run statements as root over the socket; each result: (column names, rows) or None."""
        results: list[_Result | None] = []
        with self._connect_admin() as conn, conn.cursor() as cur:
            if not log_bin:
                cur.execute("SET SESSION sql_log_bin = 0")
            for statement in statements:
                sql, params = statement if isinstance(statement, tuple) else (statement, None)
                cur.execute(sql, cast(Any, params))
                if cur.description is not None:
                    names = tuple(d[0] for d in cur.description or ())
                    results.append((names, [tuple(row) for row in cur.fetchall()]))
                else:
                    results.append(None)
        return results

    def admin(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement as root over the socket; the rows fetched, [] without a result set."""
        (result,) = self._execute([(sql, params)])
        return [] if result is None else result[1]

    def admin_dicts(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        """Like admin(), rows as {column: value}."""
        (result,) = self._execute([(sql, params)])
        if result is None:
            return []
        names, rows = result
        return [dict(zip(names, row, strict=True)) for row in rows]

    def create_user(
        self, name: str, password: str, grants: Sequence[str] = (), host: str = "%"
    ) -> None:
        """CREATE USER plus one GRANT per item, e.g. ``"PROCESS ON *.*"``."""
        account = f"{quote(name)}@{quote(host)}"
        statements = [f"CREATE USER {account} IDENTIFIED BY {quote(password)}"]
        statements += [f"GRANT {grant} TO {account}" for grant in grants]
        self._execute(statements)

    def load_sql_file(self, path: Path, database: str | None = None) -> None:
        """Feed a SQL file to the ``mariadb`` client as root (password via a 0600 defaults file)."""
        command = [_require("mariadb"), f"--defaults-file={self.client_defaults_file}", "--batch"]
        if database is not None:
            command.append(database)
        with Path(path).open("rb") as stdin:
            result = subprocess.run(command, stdin=stdin, capture_output=True, timeout=600, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"loading {path} failed (exit {result.returncode}): "
                f"{result.stderr.decode(errors='replace').strip()}"
            )

    # -- lifecycle

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def _terminate(self) -> None:
        if self._proc.poll() is None and not self._terminating:
            self._proc.send_signal(signal.SIGTERM)
            self._terminating = True

    def stop(self) -> None:
        """Clean shutdown (SIGTERM) and wait; SIGKILL after a minute. Idempotent."""
        if self._proc.poll() is None:
            self._terminate()
            try:
                self._proc.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._forget()

    def kill(self) -> None:
        """SIGKILL and reap. Idempotent."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._forget()

    def _forget(self) -> None:
        shutil.rmtree(self._socket_dir, ignore_errors=True)
        with _lock:
            _live.discard(self)


MariaDBFactory = Callable[..., MariaDBServer]


def _free_port() -> int:
    with _socketmod.socket(_socketmod.AF_INET, _socketmod.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], sock: str, error_log: Path, stderr_log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise _StartError(
                f"mariadbd exited with {proc.returncode} during startup; error log tail:\n"
                f"{_tail(error_log)}\n{_tail(stderr_log, 10)}",
                port_in_use="Address already in use" in _tail(error_log, 200),
            )
        if os.path.exists(sock):
            try:
                conn = mysql.connector.connect(
                    unix_socket=sock, user="root", password="", use_pure=True, connection_timeout=5
                )
            except mysql.connector.Error:
                pass
            else:
                conn.close()
                return
        if time.monotonic() > deadline:
            raise _StartError(
                f"mariadbd not ready after {_START_TIMEOUT:.0f} s; error log tail:\n{_tail(error_log)}"
            )
        time.sleep(0.02)


class _StartError(RuntimeError):
    def __init__(self, message: str, *, port_in_use: bool = False) -> None:
        super().__init__(message)
        self.port_in_use = port_in_use


def start_mariadb(
    base_dir: Path,
    *,
    log_bin: bool = True,
    binlog_format: str = "ROW",
    gtid_strict: bool = False,
    performance_schema: bool = True,
    sql_mode: str | None = None,
    tls: bool = False,
    require_secure_transport: bool = False,
    server_id: int = 1,
    general_log: bool = False,
    extra_options: Mapping[str, str | None] = {},
    defaults_file: Path | None = None,
) -> MariaDBServer:
    """Start a fresh server with its files under ``base_dir`` (a new or empty directory).

    ``defaults_file`` replaces ``--no-defaults`` with ``--defaults-file=`` (the file must not set
    options that conflict with the ones given here).

    ``require_secure_transport`` implies ``tls``. ``extra_options`` are mariadbd options
    (``{"max_connections": "20", "skip-ssl": None}``); they come last, so they win.
    """
    mariadbd = _require("mariadbd")
    base_dir = Path(base_dir).resolve()
    base_dir.mkdir(parents=True, exist_ok=True)
    datadir = base_dir / "data"
    if datadir.exists():
        raise FileExistsError(f"{datadir} exists: give every server its own base_dir")
    template = _template_datadir()
    subprocess.run(["cp", "-a", str(template), str(datadir)], check=True, timeout=120)

    tls_files = make_tls_files(base_dir / "tls") if (tls or require_secure_transport) else None
    error_log = base_dir / "error.log"
    stderr_log = base_dir / "mariadbd.stderr"
    general_log_path = base_dir / "general.log" if general_log else None
    root_password = secrets.token_urlsafe(18)
    # a tmpdir of its own: mariadbd deletes the #sql* files of its tmpdir when it starts, so with /tmp shared a
    # server starting (another test process, another checkout's suite) deleted the temporary tables of one at
    # work: mariadb-install-db failed "Error on delete of '/tmp/#sql-temptable-...MAI'" 6 times in 40
    tmpdir = base_dir / "tmp"
    tmpdir.mkdir(exist_ok=True)
    options = [
        f"--datadir={datadir}",
        f"--tmpdir={tmpdir}",
        f"--pid-file={base_dir / 'mariadbd.pid'}",
        f"--log-error={error_log}",
        "--bind-address=127.0.0.1",
        "--skip-name-resolve",
        *_INNODB_OPTIONS,
        f"--server-id={server_id}",
        f"--binlog-format={binlog_format}",
        f"--gtid-strict-mode={'ON' if gtid_strict else 'OFF'}",
        f"--performance-schema={'ON' if performance_schema else 'OFF'}",
        "--log-bin=mysql-bin" if log_bin else "--skip-log-bin",
    ]
    if os.geteuid() == 0:
        options.append("--user=root")
    if sql_mode is not None:
        options.append(f"--sql-mode={sql_mode}")
    if general_log_path is not None:
        options += ["--general-log=ON", f"--general-log-file={general_log_path}", "--log-output=FILE"]
    if tls_files is not None:
        options += [
            f"--ssl-ca={tls_files.ca}",
            f"--ssl-cert={tls_files.server_cert}",
            f"--ssl-key={tls_files.server_key}",
        ]
    if require_secure_transport:
        options.append("--require-secure-transport=ON")
    for name, value in extra_options.items():
        options.append(f"--{name.lstrip('-')}" + ("" if value is None else f"={value}"))

    for attempt in range(3):
        socket_dir = _owned_tmpdir("psm-")
        sock = str(socket_dir / "mariadb.sock")
        port = _free_port()
        first = f"--defaults-file={defaults_file}" if defaults_file is not None else "--no-defaults"
        command = [mariadbd, first, f"--port={port}", f"--socket={sock}", *options]
        with stderr_log.open("ab") as stderr:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                preexec_fn=_pdeathsig_hook(),  # noqa: PLW1509
            )
        server = MariaDBServer(
            host="127.0.0.1",
            port=port,
            socket=sock,
            datadir=datadir,
            root_password=root_password,
            tls=tls_files,
            error_log=error_log,
            general_log=general_log_path,
            pid=proc.pid,
            base_dir=base_dir,
            client_defaults_file=base_dir / "client.cnf",
            _proc=proc,
            _socket_dir=socket_dir,
        )
        with _lock:
            _live.add(server)
        try:
            _wait_ready(proc, sock, error_log, stderr_log)
        except _StartError as exc:
            server.kill()
            if exc.port_in_use and attempt < 2:
                continue
            raise
        except BaseException:
            server.kill()
            raise
        break

    try:
        _secure_root(server)
    except BaseException:
        server.kill()
        raise
    return server


def _secure_root(server: MariaDBServer) -> None:
    """Give every root account the random password (not binlogged) and write the client file."""
    with (
        contextlib.closing(
            mysql.connector.connect(
                unix_socket=server.socket, user="root", password="", use_pure=True, autocommit=True
            )
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("SELECT Host FROM mysql.global_priv WHERE User = 'root'")
        hosts = [str(row[0]) for row in cast(list[tuple[Any, ...]], cur.fetchall())]
        for host in hosts:
            cur.execute(f"ALTER USER 'root'@{quote(host)} IDENTIFIED BY {quote(server.root_password)}")
    fd = os.open(server.client_defaults_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as cnf:
        cnf.write(f"[client]\nuser=root\npassword={server.root_password}\nsocket={server.socket}\n")


def start_replication_pair(base_dir: Path) -> tuple[MariaDBServer, MariaDBServer]:
    """A primary and a GTID replica (slave_pos) on loopback, both threads running."""
    base_dir = Path(base_dir)
    primary = start_mariadb(base_dir / "primary", server_id=1)
    try:
        replica = start_mariadb(
            base_dir / "replica", server_id=2, extra_options={"relay-log": "relay-bin"}
        )
    except BaseException:
        primary.stop()
        raise
    try:
        repl_password = secrets.token_urlsafe(18)
        primary._execute(
            [
                f"CREATE USER 'repl'@'%' IDENTIFIED BY {quote(repl_password)}",
                "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'",
            ],
            log_bin=False,
        )
        replica._execute(
            [
                f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, "
                f"MASTER_USER='repl', MASTER_PASSWORD={quote(repl_password)}, "
                "MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos",
                "START SLAVE",
            ]
        )
        _wait_replicating(replica, _REPLICATION_TIMEOUT)
    except BaseException:
        stop_all([replica, primary])
        raise
    return primary, replica


def _wait_replicating(replica: MariaDBServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        rows = replica.admin_dicts("SHOW SLAVE STATUS")
        status = rows[0] if rows else {}
        if status.get("Slave_IO_Running") == "Yes" and status.get("Slave_SQL_Running") == "Yes":
            return
        time.sleep(0.05)
    raise RuntimeError(
        f"replica not running after {timeout:.0f} s: "
        f"Slave_IO_Running={status.get('Slave_IO_Running')!r} "
        f"Slave_SQL_Running={status.get('Slave_SQL_Running')!r} "
        f"Last_IO_Error={status.get('Last_IO_Error')!r} Last_SQL_Error={status.get('Last_SQL_Error')!r}"
    )
