"""Connection spec and safe sessions: the only way this program talks to a server.

Every session is made read-only and time-bounded the moment it opens, and records every statement
it sends so the manifest can list them.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mysql.connector import errors as mysql_errors
from mysql.connector.authentication import MySQLAuthenticator
from mysql.connector.connection import MySQLConnection
from mysql.connector.constants import FieldFlag, FieldType
from mysql.connector.conversion import MySQLConverter
from mysql.connector.network import MySQLTCPSocket, MySQLUnixSocket, NetworkBrokerPlain
from mysql.connector.plugins import get_auth_plugin

from collectors.errors import (
    ConnectionProblem,
    Refusal,
    ca_file_unreadable,
    classify_connection_error,
    clear_text_refused,
    client_cert_unusable,
    no_ca_file,
    tls_not_offered,
)

if TYPE_CHECKING:  # collectors.tunnel imports this module; it is loaded only for a connection through SSH
    from collectors.tunnel import SshSpec, Tunnel

TLS_MODES = ("disabled", "preferred", "required", "verify_ca", "verify_identity")
ENCRYPTED_MODES = ("required", "verify_ca", "verify_identity")  # no TLS, no login
VERIFYING_MODES = ("verify_ca", "verify_identity")  # the certificate is checked against --ssl-ca alone
DEFAULT_STATEMENT_TIMEOUT = 5.0
DEFAULT_CONNECT_TIMEOUT = 10.0
LOCK_WAIT_TIMEOUT = 5

# errnos that mean the statement was refused for want of a privilege
PRIVILEGE_ERRNOS = frozenset({1044, 1045, 1142, 1143, 1227, 1370, 3530, 1356, 1449})
# errnos that mean the connection itself is gone
CONNECTION_LOST_ERRNOS = frozenset({2006, 2013, 2055, 2014, 4031, 1927, 1053})
# errnos that mean the statement ran out of its time limit (MySQL 3024, MariaDB 1969)
STATEMENT_TIMEOUT_ERRNOS = frozenset({3024, 1969, 1028})
# the server does not know this statement or variable (syntax, unknown system variable, unknown table)
UNSUPPORTED_ERRNOS = frozenset({1064, 1193, 1146, 1109, 1054, 1049, 1235, 1289})


class ConnectionFailed(Exception):
    """Could not open a session; `.problem` carries the stable cause and remedy."""

    def __init__(self, problem: ConnectionProblem) -> None:
        super().__init__(problem.one_line())
        self.problem = problem


class ConnectionLost(Exception):
    """The server went away in the middle of the run."""


class Cancelled(Exception):
    """The user asked to stop."""


class CancelToken:
    """Cooperative cancellation shared by the runner, the collectors and the session."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._on_cancel: list[Any] = []

    def cancel(self) -> None:
        self._event.set()
        for callback in list(self._on_cancel):
            try:
                callback()
            except Exception:  # noqa: S112 - interrupting a socket may race with its close
                continue

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled

    def sleep(self, seconds: float) -> None:
        """Sleep, waking at once when cancelled."""
        if self._event.wait(max(0.0, seconds)):
            raise Cancelled

    def on_cancel(self, callback: Any) -> None:
        self._on_cancel.append(callback)


@dataclass(frozen=True)
class ConnectionSpec:
    """Where and how to connect. The password is never part of repr() or any message."""

    host: str | None = None
    port: int = 3306
    socket: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_mode: str = "preferred"
    ssl_ca: str | None = None
    ssl_cert: str | None = None
    ssl_key: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT
    database: str | None = None
    # through an SSH bastion: host and port are then the server as the bastion sees it
    ssh: SshSpec | None = None

    def __post_init__(self) -> None:
        if self.tls_mode not in TLS_MODES:
            raise ValueError(f"unknown TLS mode {self.tls_mode!r}: use one of {', '.join(TLS_MODES)}")
        if self.ssh is not None and self.socket and not self.host:
            raise ValueError("a Unix socket cannot be reached through SSH: give the host and port as the bastion "
                             "sees the server (127.0.0.1 when MySQL runs on the bastion)")

    @property
    def target(self) -> str:
        if self.socket and not self.host:
            return f"socket {self.socket}"
        where = f"{self.host or 'localhost'}:{self.port}"
        return f"{where} (via SSH {self.ssh.where})" if self.ssh is not None else where

    @property
    def secrets(self) -> list[str]:
        """The password and the SSH key's passphrase: scrubbed from every message and file."""
        return [s for s in (self.password, self.ssh.passphrase if self.ssh else None) if s]

    @property
    def effective_user(self) -> str:
        if self.user:
            return self.user
        import getpass

        return getpass.getuser()

    def with_password(self, password: str | None) -> ConnectionSpec:
        return replace(self, password=password)

    @property
    def read_limit(self) -> int:
        """Seconds the client waits for any answer: past it the session is given up (Session.query)."""
        return int(self.statement_timeout + 10)

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for mysql.connector.connect (use_pure, no C extension)."""
        kwargs: dict[str, Any] = {
            "user": self.effective_user,
            "password": self.password or "",
            "connection_timeout": max(1, int(round(self.connect_timeout))),
            "use_pure": True,
            "converter_class": PlannedConverter,
            "autocommit": True,
            "get_warnings": False,
            "raise_on_warnings": False,
            "charset": "utf8mb4",
            "use_unicode": True,
            "allow_local_infile": False,
        }
        # a client-side read limit backs the server's statement limit for statements it does not
        # cover (SHOW, and servers without one)
        kwargs["read_timeout"] = self.read_limit
        if self.socket and (not self.host or self.host == "localhost"):
            kwargs["unix_socket"] = self.socket
        else:
            kwargs["host"] = self.host or "127.0.0.1"
            kwargs["port"] = int(self.port)
        if self.tls_mode == "disabled":
            kwargs["ssl_disabled"] = True
        else:
            if self.ssl_ca:
                kwargs["ssl_ca"] = self.ssl_ca
            if self.ssl_cert:
                kwargs["ssl_cert"] = self.ssl_cert
            if self.ssl_key:
                kwargs["ssl_key"] = self.ssl_key
            if self.tls_mode in ("verify_ca", "verify_identity"):
                kwargs["ssl_verify_cert"] = True
            if self.tls_mode == "verify_identity":
                kwargs["ssl_verify_identity"] = True
        return kwargs


@dataclass
class StatementRecord:
    sql: str
    seconds: float
    rows: int
    error: str | None = None


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]

    def pairs(self) -> dict[str, str]:
        """Two-column results (SHOW VARIABLES / STATUS) as a name -> value dict."""
        return {str(row[0]): as_text(row[1]) for row in self.rows}


def shared_text(value: Any) -> Any:
    """A text kept in the facts for every table (a name, an engine, a collation), one object for every equal
    text (sys.intern): a schema-per-tenant server has the same table names, engines and keys in each of its
    thousands of schemas, and each row had its own copy (636,000 texts, 36 MB at 10,000 schemas). Anything
    but a str is given back as it is."""
    return sys.intern(value) if type(value) is str else value


def as_text(value: Any) -> str:
    """A column value as text: NULL is "", bytes are decoded (undecodable bytes replaced)."""
    if type(value) is str:  # the usual case first: called for every value of big information_schema reads
        return value
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return str(value)


def parse_version(version: str) -> tuple[int, int, int]:
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        match2 = re.match(r"(\d+)\.(\d+)", version)
        if not match2:
            return (0, 0, 0)
        return (int(match2.group(1)), int(match2.group(2)), 0)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)))


@dataclass(frozen=True)
class ServerIdentity:
    version: str
    version_comment: str
    is_mariadb: bool
    version_tuple: tuple[int, int, int]

    def at_least(self, *version: int) -> bool:
        return self.version_tuple >= tuple(version)


class Session:
    """One read-only, time-bounded session. Not thread-safe: one collector thread uses it."""

    def __init__(self, connection: Any, spec: ConnectionSpec, identity: ServerIdentity) -> None:
        self._connection = connection
        self.spec = spec
        self.identity = identity
        self.statements: list[StatementRecord] = []
        self.safety_notes: list[str] = []
        self.cancel: CancelToken | None = None
        # one cursor for the session: connection.cursor() pings the server first, a round trip per
        # statement (2 s of 20,000 SHOW CREATE TABLE); a cursor that saw an error is replaced
        self._cursor: Any = None
        self.own_tunnel: Tunnel | None = None  # opened for this session alone (Test connection): closed with it

    # -- statements --------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> QueryResult:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        started = time.monotonic()
        cursor = self._cursor
        try:
            if params is None and _ONE_RESULT.match(sql):
                columns, rows = self._one_result(sql)
            else:
                if cursor is None:
                    cursor = self._cursor = self._connection.cursor()
                cursor.execute(sql, tuple(params) if params is not None else None)
                if cursor.description:
                    columns = tuple(str(d[0]) for d in cursor.description)
                    rows = [tuple(r) for r in cursor.fetchall()]
                else:
                    columns, rows = (), []
                # a CALL sends its rows and then one more result: read it, or the next statement of
                # this session would get it instead of its own
                while cursor.nextset():
                    if cursor.description:
                        cursor.fetchall()
        except mysql_errors.Error as exc:
            self._drop_cursor()
            self.statements.append(
                StatementRecord(sql, time.monotonic() - started, 0, f"{exc.errno or ''} {type(exc).__name__}")
            )
            if self.cancel is not None and self.cancel.cancelled:
                raise Cancelled from exc
            if isinstance(exc, mysql_errors.ReadTimeoutError | mysql_errors.WriteTimeoutError):
                # nothing within the read limit (a network that went silent, a server that hangs): an
                # answer coming later would be read as the next statement's, so the session ends here
                raise ConnectionLost(f"the server sent nothing for {self.spec.read_limit} s during: "
                                     f"{_abbrev(sql)}") from exc
            if _is_connection_lost(exc):
                raise ConnectionLost(
                    f"the server closed the connection during: {_abbrev(sql)} (errno {exc.errno})"
                ) from exc
            raise
        except BaseException:
            self._drop_cursor()
            raise
        self.statements.append(StatementRecord(sql, time.monotonic() - started, len(rows)))
        return QueryResult(columns, rows)

    def _one_result(self, sql: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """A SELECT or SHOW without parameters, straight through the connection: the cursor's statement
        splitting and bookkeeping cost 13 % of the 20,000 SHOW CREATE TABLE of a big server."""
        connection = self._connection
        connection.handle_unread_result()
        result = connection.cmd_query(sql)
        if "columns" not in result:
            return (), []
        columns = tuple(str(c[0]) for c in result["columns"])
        rows, _eof = connection.get_rows()
        if connection.unread_result or getattr(connection, "_have_next_result", False):
            raise mysql_errors.InterfaceError(f"more than one result for {_abbrev(sql)}")
        return columns, rows

    def _drop_cursor(self) -> None:
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            try:
                cursor.close()
            except Exception:  # noqa: S110 - a cursor of a broken connection has nothing to close
                pass

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        result = self.query(sql, params)
        return result.rows[0][0] if result.rows else None

    def interrupt(self) -> None:
        """Break a statement in flight from another thread (Cancel): shut the socket down."""
        sock = getattr(getattr(self._connection, "_socket", None), "sock", None)
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def is_alive(self) -> bool:
        try:
            return bool(self._connection.is_connected())
        except Exception:
            return False

    def close(self) -> None:
        self._drop_cursor()
        try:
            self._connection.close()
        except Exception:  # noqa: S110 - closing a dead connection has nothing to report
            pass
        if self.own_tunnel is not None:
            self.own_tunnel.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _abbrev(sql: str) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= 60 else sql[:57] + "..."


def _is_connection_lost(exc: mysql_errors.Error) -> bool:
    if exc.errno in CONNECTION_LOST_ERRNOS:
        return True
    return isinstance(exc, mysql_errors.OperationalError | mysql_errors.InterfaceError) and exc.errno in (
        None,
        -1,
        2055,
    )


def is_privilege_error(exc: BaseException) -> bool:
    return isinstance(exc, mysql_errors.Error) and exc.errno in PRIVILEGE_ERRNOS


def is_unsupported_error(exc: BaseException) -> bool:
    return isinstance(exc, mysql_errors.Error) and exc.errno in UNSUPPORTED_ERRNOS


def is_timeout_error(exc: BaseException) -> bool:
    return isinstance(exc, mysql_errors.Error) and exc.errno in STATEMENT_TIMEOUT_ERRNOS


class _BufferedBroker(NetworkBrokerPlain):
    """The pure connector reads every packet with two recv calls (header, then payload): 16,000
    system calls for an 8,000-row information_schema result. This reads up to 64 KiB at a time and
    cuts packets from the buffer; everything else (timeouts, errors, packet numbers) as the original."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._offset = 0

    def _take(self, sock: socket.socket, size: int) -> bytearray:
        while len(self._buffer) - self._offset < size:
            if self._offset:
                del self._buffer[:self._offset]
                self._offset = 0
            chunk = sock.recv(max(65536, size - len(self._buffer)))
            if not chunk:
                raise mysql_errors.InterfaceError(errno=2013)
            self._buffer += chunk
        data = self._buffer[self._offset:self._offset + size]
        self._offset += size
        return data

    def recv(self, sock: socket.socket, address: str) -> bytearray:
        try:
            header = self._take(sock, 4)
            self._pktnr = header[3]
            return header + self._take(sock, header[0] | header[1] << 8 | header[2] << 16)
        except TimeoutError as err:
            raise mysql_errors.ReadTimeoutError(errno=3024, msg=err.strerror) from err
        except OSError as err:
            raise mysql_errors.OperationalError(errno=2055, values=(address, str(err))) from err


# statements that answer with exactly one result set (or an error): Session._one_result
_ONE_RESULT = re.compile(r"\s*(?:SELECT|SHOW)\s", re.IGNORECASE)


class PlannedConverter(MySQLConverter):
    """The connector's own conversions, with each column's decided once per result set instead of once
    per value: a 1,000-table schema's COLUMNS read is 10,000 rows x 12 values, and the per-value type
    dispatch of MySQLConverter.row_to_python was a fifth of the client's CPU on a 20,000-table server.
    Text columns are decoded here the way _string_to_python decodes them; every other type goes to the
    connector's method for it. Any conversion error is raised by the original, with its message."""

    _plan_for: Any = None
    _plan: tuple[Any, ...] = ()

    def row_to_python(self, row: Any, fields: Any) -> tuple[Any, ...]:
        if fields is not self._plan_for:  # get_rows passes one list for every row of a result
            self._plan = tuple(self._column_plan(field) for field in fields)
            self._plan_for = fields
        try:
            plan = self._plan
            return tuple(None if value is None else convert(value) for convert, value in zip(plan, row, strict=True))
        except (ValueError, TypeError):
            return super().row_to_python(row, fields)  # raises with the field named

    def _column_plan(self, field: Any) -> Any:
        """value (bytes, never None) -> Python value, for one column (see row_to_python)."""
        if not self._cache_field_types:  # filled as MySQLConverter.row_to_python fills it
            self._cache_field_types = {}
            for name, info in FieldType.desc.items():
                found = getattr(self, f"_{name.lower()}_to_python", None)
                if found is not None:
                    self._cache_field_types[info[0]] = found
        method = self._cache_field_types.get(field[1])
        if method is None:  # a type the connector has no method for: it tries utf-8
            return _decoder("utf-8")
        if getattr(method, "__func__", None) is not MySQLConverter._string_to_python:
            return lambda value: method(value, field)
        # _string_to_python's decisions, taken once: binary connection, JSON, SET, binary collation
        if self.charset == "binary":
            return lambda value: value
        if field[1] == FieldType.JSON and self.use_unicode:
            charset = self.charset
            return lambda value: value.decode(charset)
        if field[7] & FieldFlag.SET or field[8] == 63 or not self.use_unicode:
            return lambda value: method(value, field)
        return _decoder(self.charset or "utf-8")


def _decoder(charset: str) -> Any:
    def decode(value: bytes) -> Any:
        try:
            return value.decode(charset)
        except UnicodeDecodeError:  # as the connector: the bytes as they came
            return value

    return decode


def _buffer_reads(connection: Any) -> None:
    """Install _BufferedBroker on a connected, uncompressed pure-Python connection (else leave it)."""
    channel = getattr(connection, "_socket", None)
    if channel is not None and type(getattr(channel, "_netbroker", None)) is NetworkBrokerPlain:
        channel._netbroker = _BufferedBroker()


def _tls_context(spec: ConnectionSpec) -> ssl.SSLContext | None:
    """The TLS settings of a connection, built before anything is sent (None: DISABLED).

    VERIFY_CA and VERIFY_IDENTITY trust the certificates of --ssl-ca and nothing else: the connector's
    own context also loads the system's store, so any public CA's certificate for any name passed.
    PREFERRED and REQUIRED encrypt without checking the certificate. Raises _Refused (a CA file that
    cannot be read, a verifying mode without one)."""
    if spec.tls_mode == "disabled":
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # starts with no CA at all: none is loaded by default
    context.check_hostname = spec.tls_mode == "verify_identity"
    if spec.tls_mode in VERIFYING_MODES:
        if not spec.ssl_ca:
            raise _Refused(no_ca_file(spec.tls_mode))
        context.verify_mode = ssl.CERT_REQUIRED
        try:
            context.load_verify_locations(cafile=spec.ssl_ca)
        except (OSError, ssl.SSLError) as exc:
            raise _Refused(ca_file_unreadable(spec.ssl_ca, exc)) from None
    else:
        context.verify_mode = ssl.CERT_NONE
    if spec.ssl_cert:
        try:
            context.load_cert_chain(spec.ssl_cert, spec.ssl_key)
        except (OSError, ssl.SSLError) as exc:
            raise _Refused(client_cert_unusable(spec.ssl_cert, exc)) from None
    return context


class _Refused(Exception):
    """The connection stopped itself before the password (or, under REQUIRED and stronger, the login)
    could leave unencrypted; ``.refusal`` is the problem from collectors.errors, without the target yet."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.cause)
        self.refusal = refusal

    def connection_problem(self, target: str) -> ConnectionProblem:
        return self.refusal.problem(target)


def _encrypted(channel: Any) -> bool:
    """The client's own view: is this socket wrapped in TLS (whatever the server says about itself)?"""
    return isinstance(getattr(channel, "sock", None), ssl.SSLSocket)


def _reveals_password(plugin: str, auth_data: bytes) -> bool:
    """Would the connector's answer with this plugin to this request carry the password itself?

    Only two plugins answer with a hash of the password and the server's nonce: mysql_native_password
    always, caching_sha2_password unless the server asks for "perform full authentication" (0x04),
    when the connector sends the password as it is (it has no RSA key exchange, and a key sent by an
    unauthenticated server could be a man in the middle's). Every other plugin counts as revealing it."""
    if plugin == "mysql_native_password":
        return False
    if plugin == "caching_sha2_password":
        return auth_data == b"\x04"
    return True


class _HashOnly:
    """An authentication plugin of the connector that may answer only with a hash of the password: used
    on a channel that is not encrypted. Each request is checked before the plugin sees it."""

    def __init__(self, plugin: Any) -> None:
        self._plugin = plugin

    def __getattr__(self, name: str) -> Any:
        return getattr(self._plugin, name)

    def _check(self, auth_data: bytes) -> None:
        if getattr(self._plugin, "_password", "") and _reveals_password(self._plugin.name, bytes(auth_data)):
            raise _Refused(clear_text_refused(self._plugin.name))

    def auth_response(self, auth_data: bytes, **kwargs: Any) -> Any:
        self._check(auth_data)
        return self._plugin.auth_response(auth_data, **kwargs)

    def auth_more_response(self, sock: Any, auth_data: bytes, **kwargs: Any) -> Any:
        self._check(auth_data)
        return self._plugin.auth_more_response(sock, auth_data, **kwargs)

    def auth_switch_response(self, sock: Any, auth_data: bytes, **kwargs: Any) -> Any:
        self._check(auth_data)
        return self._plugin.auth_switch_response(sock, auth_data, **kwargs)


class _Authenticator(MySQLAuthenticator):
    """The connector's login, which never lets the password leave unencrypted.

    Decided from the client's own view of this very connection (the socket it holds), not from a
    separate probe or from what the server says: under REQUIRED and stronger nothing is sent unless the
    socket is TLS; on a channel that is neither TLS nor a local Unix socket every step of every plugin
    (the first answer, an auth switch, "more data") is checked before the plugin answers."""

    def __init__(self, tls_mode: str) -> None:
        super().__init__()
        self._tls_mode = tls_mode
        self._clear = False

    def authenticate(self, sock: Any, handshake: Any, *args: Any, **kwargs: Any) -> bytes:
        if self._tls_mode in ENCRYPTED_MODES and not _encrypted(sock):
            raise _Refused(tls_not_offered(self._tls_mode, unix_socket=isinstance(sock, MySQLUnixSocket)))
        self._clear = not _encrypted(sock) and not isinstance(sock, MySQLUnixSocket)
        plugin = kwargs.get("auth_plugin") or (handshake or {}).get("auth_plugin") or ""
        if self._clear and kwargs.get("password1") and plugin:
            get_auth_plugin(plugin)  # a plugin the connector lacks: its own error, and nothing is sent
            if _reveals_password(plugin, bytes((handshake or {}).get("auth_data") or b"")):
                raise _Refused(clear_text_refused(plugin))
        return super().authenticate(sock, handshake, *args, **kwargs)

    def _guarded(self) -> None:
        if self._clear and self._auth_strategy is not None and not isinstance(self._auth_strategy, _HashOnly):
            self._auth_strategy = _HashOnly(self._auth_strategy)  # type: ignore[assignment]

    def _handle_server_response(self, sock: Any, pkt: bytes) -> bytes | None:
        self._guarded()  # the plugin of the first answer, before "more data" reaches it
        return super()._handle_server_response(sock, pkt)

    def _switch_auth_strategy(self, *args: Any, **kwargs: Any) -> None:
        super()._switch_auth_strategy(*args, **kwargs)
        self._guarded()  # the plugin the server switched to, before it answers


class _TlsSocket(MySQLTCPSocket):
    """A TCP channel whose TLS context is the one _tls_context() built from the spec (only --ssl-ca)."""

    def __init__(self, context: ssl.SSLContext | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._context = context

    def build_ssl_context(self, *_args: Any, **_kwargs: Any) -> Any:  # the spec's settings, not the connector's
        if self._context is None:  # DISABLED never asks for TLS
            raise mysql_errors.InterfaceError("TLS is disabled for this connection")
        return self._context


class _SafeConnection(MySQLConnection):
    """The pure-Python connection with _Authenticator and _TlsSocket. Through an SSH tunnel the TCP socket
    goes to the tunnel's local port while server_host stays the host the DBA typed: the one TLS checks
    the certificate against (VERIFY_IDENTITY works through SSH)."""

    def __init__(self, spec: ConnectionSpec, context: ssl.SSLContext | None, endpoint: tuple[str, int] | None,
                 **kwargs: Any) -> None:
        self._spec_tls_mode = spec.tls_mode
        self._context = context
        self._endpoint = endpoint
        super().__init__(**kwargs)

    def _open_connection(self) -> None:
        # set here, not in __init__: the connector's __init__ makes its own, and connects before it returns
        self._authenticator = _Authenticator(self._spec_tls_mode)
        super()._open_connection()

    def _get_connection(self) -> Any:
        if self._unix_socket and os.name == "posix":
            return super()._get_connection()
        host, port = self._endpoint or (self.server_host, self.server_port)
        channel = _TlsSocket(self._context, host=host, port=port, force_ipv6=self._force_ipv6)
        channel.set_connection_timeout(self._connection_timeout)
        return channel


def _connect(spec: ConnectionSpec, tunnel: Tunnel | None) -> Any:
    context = _tls_context(spec)
    kwargs = spec.as_kwargs()
    kwargs.pop("use_pure", None)  # _SafeConnection is the pure-Python connection
    # certificate checks are the context's (_tls_context); the connector's own "SSL is required" check
    # would only say, in other words and for fewer modes, what _Authenticator says
    kwargs.pop("ssl_verify_cert", None)
    kwargs.pop("ssl_verify_identity", None)
    return _SafeConnection(spec, context, tunnel.local_address if tunnel is not None else None, **kwargs)


def open_session(spec: ConnectionSpec, cancel: CancelToken | None = None, *, tunnel: Tunnel | None = None) -> Session:
    """Connect and make the session safe. Raises ConnectionFailed with a classified cause.

    A spec with ``ssh`` connects through ``tunnel`` (collect() opens one per run for both sessions);
    without one, the session opens its own and closes it with itself (Test connection)."""
    if spec.ssh is not None and tunnel is None:
        from collectors.tunnel import open_tunnel_for

        own = open_tunnel_for(spec, cancel)
        try:
            session = open_session(spec, cancel, tunnel=own)
        except BaseException:
            own.close()
            raise
        session.own_tunnel = own
        return session
    secrets = spec.secrets
    tls_used = spec.tls_mode != "disabled"

    def failed(exc: BaseException, **kw: Any) -> ConnectionFailed:
        # through SSH, a refused or dropped channel is the cause; the driver only saw its connection end
        problem = tunnel.take_problem() if tunnel is not None else None
        return ConnectionFailed(problem or classify_connection_error(
            exc, target=spec.target, user=spec.effective_user, secrets=secrets, **kw))

    try:
        connection = _connect(spec, tunnel)
    except _Refused as exc:  # stopped by this program before the password could leave unencrypted
        raise ConnectionFailed(exc.connection_problem(spec.target)) from None
    except Exception as exc:
        raise failed(exc, tls_used=tls_used) from None
    _buffer_reads(connection)
    try:
        session = _make_safe(connection, spec)
    except ConnectionFailed:
        connection.close()
        raise
    except mysql_errors.Error as exc:
        connection.close()
        raise failed(exc) from None
    session.cancel = cancel
    if cancel is not None:
        cancel.on_cancel(session.interrupt)
    return session


def _make_safe(connection: Any, spec: ConnectionSpec) -> Session:
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT @@version, @@version_comment")
        row = cursor.fetchone()
    finally:
        cursor.close()
    version = str(row[0]) if row else ""
    comment = str(row[1]) if row and row[1] is not None else ""
    identity = ServerIdentity(version, comment, "mariadb" in version.lower(), parse_version(version))
    session = Session(connection, spec, identity)
    session.statements.append(StatementRecord("SELECT @@version, @@version_comment", 0.0, 1))
    limit = spec.statement_timeout
    settings: list[tuple[str, str]] = [("SET SESSION TRANSACTION READ ONLY", "read-only transactions")]
    if identity.is_mariadb and identity.at_least(10, 1, 1):
        limit_sql = f"max_statement_time = {limit:.3f}"
    elif not identity.is_mariadb and identity.at_least(5, 7, 8):
        limit_sql = f"max_execution_time = {int(limit * 1000)}"
    else:
        limit_sql = ""
        session.safety_notes.append(
            f"the server has no per-statement limit; a client-side read limit of {int(limit + 10)} s applies"
        )
    lock_sql = f"lock_wait_timeout = {LOCK_WAIT_TIMEOUT}"
    # one round trip for both limits; set apart only if the server refuses the pair
    settings.append((f"SET SESSION {', '.join(p for p in (limit_sql, lock_sql) if p)}", "time limits"))
    for sql, what in settings:
        try:
            session.query(sql)
        except ConnectionLost:
            raise
        except mysql_errors.Error as exc:
            if not (limit_sql and "," in sql):
                session.safety_notes.append(f"could not set {what} ({sql}): errno {exc.errno}")
                continue
            for part in (limit_sql, lock_sql):
                try:
                    session.query(f"SET SESSION {part}")
                except mysql_errors.Error as inner:
                    session.safety_notes.append(f"could not set SET SESSION {part}: errno {inner.errno}")
    return session
