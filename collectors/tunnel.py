"""SSH tunnel to a server this machine cannot reach directly: MySQL behind a bastion (jump host).

``open_tunnel`` logs in to the bastion once, listens on 127.0.0.1:<free port> here, and forwards each
connection accepted there over its own SSH channel ("direct-tcpip") to the server *as the bastion sees
it* (its private address, or 127.0.0.1 when MySQL runs on the bastion itself). Both sessions of a run
(the collectors' and the schema walk's read-ahead) connect to that local port. ``with`` closes it on
every exit path: the listener, every channel, the SSH connection, and joins our threads.

Why paramiko and not the system ``ssh -N -L`` (which mycli now runs):

* The wizard ships frozen (PyInstaller) for Windows and macOS: paramiko travels inside it, while an
  ``ssh`` binary may be missing (Windows without the OpenSSH feature) or another program (plink).
* A GUI has no terminal. ``ssh`` asks for a new host key's confirmation and a key's passphrase on a TTY
  (or through SSH_ASKPASS helpers that differ per OS). Here an unknown host key is an exception that
  carries the key type and SHA256 fingerprint (the wizard shows a "Trust and connect" dialog, the CLI a
  one-line remedy), and the passphrase (typed, from the system keychain, or from
  ``PS_PRECHECKS_SSH_PASSPHRASE``) stays in this process: never in a child's argv or environment.
* Every stage (TCP to the bastion, SSH handshake, host key, authentication, the channel to MySQL) fails
  with its own exception, each mapped to one stable cause with a remedy; ``ssh`` would leave us parsing
  its (localised) stderr.
* Agent and keys as OpenSSH: the agent (SSH_AUTH_SOCK; on Windows the OpenSSH agent's pipe or Pageant),
  a key file (OpenSSH or PEM: Ed25519, ECDSA, RSA), else the usual ~/.ssh/id_* files.
* Teardown is an object in this process: nothing to orphan when the wizard is killed, and no race
  between ``ssh -L`` binding a local port and us connecting to it (we bind 127.0.0.1:0 and know the port).
* Cancel works as without a tunnel: ``Session.interrupt`` shuts the MySQL socket down here, the forwarder
  sees the end of it and closes that channel.

What this gives up: ~/.ssh/config (Host aliases, ProxyJump), host certificates and second factors.
Their remedy says to open the tunnel yourself (``ssh -N -L 3307:HOST:PORT bastion``) and point
ps-prechecks at 127.0.0.1:3307.

Host keys are checked against ~/.ssh/known_hosts (hashed entries too), the system's ssh_known_hosts and
ps-prechecks' own known_hosts in the user config dir, where keys the user confirmed are recorded (we
never write to ~/.ssh). An unknown key raises :class:`HostKeyUnknown`; a *changed* key is always refused,
and so is a known bastion presenting a key of a type not recorded for it (ssh asks for the recorded types
first, so only a bastion that no longer has its recorded key does that).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import select
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.connection import DEFAULT_CONNECT_TIMEOUT, Cancelled, CancelToken, ConnectionFailed
from collectors.errors import Cause, ConnectionProblem, build_problem, detail

if TYPE_CHECKING:  # paramiko loads when a tunnel is opened, not with every import of this module
    import paramiko

    from collectors.connection import ConnectionSpec

SSH_PASSPHRASE_ENV = "PS_PRECHECKS_SSH_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
ACCEPT_NEW_HOST_KEY_FLAG = "--ssh-accept-new-host-key"
DEFAULT_SSH_PORT = 22
DEFAULT_IDENTITIES = ("id_ed25519", "id_ecdsa", "id_rsa")  # what ssh tries when no key is named
THREAD_PREFIX = "ps-prechecks-ssh"
_POLL = 0.25  # how often the listener and the forwarders look whether the tunnel is closing
_KEEPALIVE = 30  # seconds: keeps NAT and firewalls from dropping an idle tunnel (a long --sleep)

log = logging.getLogger("ps_prechecks.ssh")
# paramiko logs a traceback for every failed handshake: our one-line causes say it instead. A handler
# here keeps Python's last-resort handler from printing those records on a CLI without logging set up.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class SshSpec:
    """The bastion and how to log in to it. The passphrase is never part of repr() or any message."""

    host: str
    port: int = DEFAULT_SSH_PORT
    user: str | None = None  # None: the local login name, as ssh
    key_file: str | None = None  # None: the agent, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa
    passphrase: str | None = field(default=None, repr=False)
    use_agent: bool = True
    accept_new_host_key: bool = False  # record an unknown host key instead of refusing (a changed one: never)

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("the SSH bastion needs a host name")
        if not 0 < int(self.port) < 65536:
            raise ValueError(f"SSH port {self.port} is not a port number (1-65535)")

    @property
    def effective_user(self) -> str:
        if self.user:
            return self.user
        import getpass

        return getpass.getuser()

    @property
    def where(self) -> str:
        """The bastion as messages name it: host, or host:port when the port is not 22."""
        return self.host if self.port == DEFAULT_SSH_PORT else f"{self.host}:{self.port}"

    @property
    def known_hosts_name(self) -> str:
        """The bastion's name in known_hosts, as OpenSSH writes it: ``host`` or ``[host]:port``."""
        return self.host if self.port == DEFAULT_SSH_PORT else f"[{self.host}]:{self.port}"

    def with_passphrase(self, passphrase: str | None) -> SshSpec:
        return replace(self, passphrase=passphrase)


@dataclass(frozen=True)
class HostKey:
    """A bastion's public host key as presented; ``line`` is its known_hosts line."""

    host: str  # known_hosts name: host or [host]:port
    key_type: str  # ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa
    fingerprint: str  # SHA256:..., as ssh-keygen -lf prints it
    public_key: str  # base64

    @property
    def line(self) -> str:
        return f"{self.host} {self.key_type} {self.public_key}"


class HostKeyUnknown(ConnectionFailed):
    """The bastion's host key is in no known_hosts file: ``.host_key`` is what it presented."""

    def __init__(self, problem: ConnectionProblem, host_key: HostKey) -> None:
        super().__init__(problem)
        self.host_key = host_key


# --- known_hosts -------------------------------------------------------------------------------------

def user_known_hosts() -> Path:
    """ps-prechecks' own known_hosts: keys the user confirmed (wizard) or accepted (--ssh-accept-new-host-key)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("ps-prechecks", appauthor=False)) / "known_hosts"


def known_hosts_files() -> list[Path]:
    """Where host keys are looked up: the user's and the system's OpenSSH files, then ps-prechecks' own."""
    system = (Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "ssh" / "ssh_known_hosts"
              if sys.platform == "win32" else Path("/etc/ssh/ssh_known_hosts"))
    return [Path.home() / ".ssh" / "known_hosts", system, user_known_hosts()]


def trust_host_key(key: HostKey, path: Path | None = None) -> Path:
    """Append ``key`` to ps-prechecks' known_hosts (0600); the next connection accepts it. Returns the file."""
    path = path or user_known_hosts()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(key.line + "\n")
    log.info("recorded the SSH host key of %s (%s %s) in %s", key.host, key.key_type, key.fingerprint, path)
    return path


@dataclass(frozen=True)
class _Recorded:
    path: Path
    line: int
    marker: str  # "", "@revoked", "@cert-authority"
    key_type: str
    blob: bytes


def _glob(name: str, pattern: str) -> bool:
    """OpenSSH's host patterns: only * and ? are special ('[host]:port' is literal)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name, re.IGNORECASE) is not None


def _hashed(name: str, entry: str) -> bool:
    parts = entry.split("|")  # |1|salt|hash (HashKnownHosts yes)
    if len(parts) != 4 or parts[1] != "1":
        return False
    try:
        salt, expected = base64.b64decode(parts[2]), base64.b64decode(parts[3])
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(hmac.new(salt, name.encode(), hashlib.sha1).digest(), expected)


def _host_matches(name: str, patterns: str) -> bool:
    matched = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        pattern = pattern[1:] if negated else pattern
        hit = _hashed(name, pattern) if pattern.startswith("|") else _glob(name, pattern)
        if hit and negated:
            return False
        matched = matched or hit
    return matched


def _recorded_keys(name: str, files: Sequence[Path]) -> list[_Recorded]:
    """Every known_hosts line naming ``name``; an unreadable file or a malformed line is passed over."""
    found: list[_Recorded] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for number, raw in enumerate(text.splitlines(), start=1):
            fields = raw.split()
            if not fields or fields[0].startswith("#"):
                continue
            marker = fields.pop(0) if fields[0].startswith("@") else ""
            if len(fields) < 3 or not _host_matches(name, fields[0]):
                continue
            try:
                blob = base64.b64decode(fields[2], validate=True)
            except (binascii.Error, ValueError):
                continue
            found.append(_Recorded(path, number, marker, fields[1], blob))
    return found


def _display(path: Path) -> str:
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home):] if home not in ("", "/") and text.startswith(home + os.sep) else text


# --- problems ---------------------------------------------------------------------------------------

def _bastion_problem(ssh: SshSpec, cause: Cause, variant: str = "", **fields: object) -> ConnectionFailed:
    secrets = [ssh.passphrase] if ssh.passphrase else []
    return ConnectionFailed(build_problem(cause, variant, secrets=secrets, where=ssh.where, **fields))


def _key_problem(ssh: SshSpec, cause: Cause, variant: str = "", **fields: object) -> ConnectionFailed:
    return ConnectionFailed(build_problem(cause, variant, secrets=[ssh.passphrase] if ssh.passphrase else [],
                                          key_file=ssh.key_file, passphrase_env=SSH_PASSPHRASE_ENV, **fields))


def key_is_encrypted(path: str) -> bool:
    """True when the key file exists and needs a passphrase (the CLI then asks for one on a terminal)."""
    import paramiko

    try:
        paramiko.PKey.from_path(os.path.expanduser(path), None)
    except TypeError:  # cryptography: "Key is password-protected, but password was not provided"
        return True
    except (OSError, ValueError, paramiko.SSHException, paramiko.pkey.UnknownKeyType):
        return False
    return False


def agent_holds(path: str) -> bool:
    """True when the running SSH agent holds the key of ``path`` (judged by its .pub file)."""
    import paramiko

    try:
        fields = Path(os.path.expanduser(path) + ".pub").read_text(encoding="utf-8").split()
        blob = base64.b64decode(fields[1], validate=True)
    except (OSError, IndexError, binascii.Error, ValueError):
        return False
    try:
        agent = paramiko.Agent()
    except (paramiko.SSHException, OSError):
        return False
    try:
        return any(key.asbytes() == blob for key in agent.get_keys())
    finally:
        agent.close()


def _load_key(ssh: SshSpec, path: str, *, named: bool) -> tuple[paramiko.PKey | None, ConnectionFailed | None]:
    """(key, None), or (None, why not). A named key that cannot be read at all raises at once; one that
    only lacks its passphrase is returned as a problem, since the agent may hold it."""
    import paramiko

    full = os.path.expanduser(path)
    try:
        return paramiko.PKey.from_path(full, None), None
    except FileNotFoundError:
        if not named:
            return None, None
        raise _key_problem(ssh, Cause.SSH_KEY_UNREADABLE, "missing") from None
    except OSError as exc:
        if not named:
            return None, None
        raise _key_problem(ssh, Cause.SSH_KEY_UNREADABLE, "unreadable", reason=exc.strerror or exc) from None
    except paramiko.pkey.UnknownKeyType:
        if not named:
            return None, None
        raise _key_problem(ssh, Cause.SSH_KEY_UNREADABLE, "key_type") from None
    except (ValueError, paramiko.SSHException):
        if not named:
            return None, None
        raise _key_problem(ssh, Cause.SSH_KEY_UNREADABLE, "not_a_key") from None
    except TypeError:
        pass  # encrypted
    if not ssh.passphrase:
        return None, _key_problem(ssh, Cause.SSH_KEY_ENCRYPTED)
    try:
        # paramiko hands the passphrase to cryptography, which wants bytes (its signature says str)
        return paramiko.PKey.from_path(full, ssh.passphrase.encode()), None  # type: ignore[arg-type]
    except (ValueError, TypeError, paramiko.SSHException):
        problem = _key_problem(ssh, Cause.SSH_KEY_UNREADABLE, "wrong_passphrase")
        if named:
            raise problem from None
        return None, None


# --- the tunnel -------------------------------------------------------------------------------------

class Tunnel:
    """A running tunnel: ``host``:``port`` here reaches ``target`` as the bastion sees it.

    Use it as a context manager (``with open_tunnel(...) as tunnel``); ``close()`` is idempotent and
    safe from any thread (a Cancel)."""

    def __init__(self, transport: paramiko.Transport, ssh: SshSpec, target_host: str, target_port: int,
                 channel_timeout: float) -> None:
        self._transport = transport
        self.ssh = ssh
        self.target_host, self.target_port = target_host, target_port
        self._channel_timeout = channel_timeout
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(_POLL)
        self.host: str = "127.0.0.1"
        self.port: int = int(self._listener.getsockname()[1])
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._open: set[Any] = set()  # local sockets and channels to close on the way out
        self._problem: ConnectionProblem | None = None
        self._start(self._accept, "accept")

    @property
    def local_address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def dropped(self) -> bool:
        """The SSH connection ended without us closing it (bastion gone, sshd killed, network cut)."""
        return not self._closing.is_set() and not self._transport.is_active()

    def dropped_problem(self) -> ConnectionProblem:
        return build_problem(Cause.SSH_DROPPED, where=self.ssh.where)

    def take_problem(self) -> ConnectionProblem | None:
        """Why the last forwarded connection failed (the bastion could not reach the server, or the SSH
        connection dropped), once; None when the tunnel did not see a failure."""
        with self._lock:
            problem, self._problem = self._problem, None
        if problem is None and self.dropped:
            return self.dropped_problem()
        return problem

    def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            leftovers, self._open = list(self._open), set()
        for item in leftovers:
            _close_quietly(item)
        self._transport.close()
        current = threading.current_thread()
        for thread in list(self._threads):
            if thread is not current:
                thread.join(timeout=5)

    def __enter__(self) -> Tunnel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- threads -------------------------------------------------------------------------------------
    def _start(self, target: Any, what: str, *args: Any) -> None:
        thread = threading.Thread(target=self._run, args=(target, *args), name=f"{THREAD_PREFIX}-{what}", daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _run(self, target: Any, *args: Any) -> None:
        try:
            target(*args)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                local, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            if self._closing.is_set():
                _close_quietly(local)
                return
            local.settimeout(None)
            self._start(self._forward, "forward", local, peer)

    def _fail(self, problem: ConnectionProblem) -> None:
        with self._lock:
            self._problem = problem

    def _forward(self, local: socket.socket, peer: tuple[str, int]) -> None:
        import paramiko

        with self._lock:
            self._open.add(local)
        channel: paramiko.Channel | None = None
        try:
            try:
                channel = self._transport.open_channel("direct-tcpip", (self.target_host, self.target_port),
                                                       (peer[0], peer[1]), timeout=self._channel_timeout)
            except paramiko.ChannelException as exc:
                self._fail(self._channel_problem(exc))  # before the local socket closes: the client reads it then
                return
            except (paramiko.SSHException, EOFError, OSError):
                self._fail(self.dropped_problem() if not self._transport.is_active() else build_problem(
                    Cause.SSH_TARGET_REFUSED, "slow", target=self._target, where=self.ssh.where))
                return
            with self._lock:
                if self._closing.is_set():
                    return
                self._open.add(channel)
            self._pump(local, channel)
        finally:
            with self._lock:
                self._open.discard(local)
                if channel is not None:
                    self._open.discard(channel)
            if channel is not None:
                _close_quietly(channel)
            _close_quietly(local)

    def _pump(self, local: socket.socket, channel: paramiko.Channel) -> None:
        """Copy bytes both ways until either end closes (or the tunnel does)."""
        import paramiko

        ends: list[Any] = [local, channel]
        while not self._closing.is_set():
            try:
                readable, _, _ = select.select(ends, [], [], _POLL)
                if local in readable:
                    data = local.recv(65536)
                    if not data:
                        return
                    channel.sendall(data)
                if channel in readable:
                    data = channel.recv(65536)
                    if not data:
                        return
                    local.sendall(data)
            except (OSError, ValueError, EOFError, paramiko.SSHException):
                return  # either end is gone; the other learns it when we close it

    @property
    def _target(self) -> str:
        return f"{self.target_host}:{self.target_port}"

    def _channel_problem(self, exc: Any) -> ConnectionProblem:
        reason = str(getattr(exc, "text", "") or "").strip().rstrip(".")
        code = getattr(exc, "code", None)
        if code == 1:  # SSH_OPEN_ADMINISTRATIVELY_PROHIBITED: AllowTcpForwarding / PermitOpen
            return build_problem(Cause.SSH_FORWARDING_REFUSED, where=self.ssh.where, user=self.ssh.effective_user,
                                 target=self._target, detail=detail(reason))
        return build_problem(Cause.SSH_TARGET_REFUSED, "refused", where=self.ssh.where, target=self._target,
                             detail=detail(reason))


def _close_quietly(item: Any) -> None:
    try:
        item.close()
    except Exception:  # noqa: S110 - closing what the other side already closed has nothing to report
        pass


def open_tunnel(
    ssh: SshSpec,
    target_host: str,
    target_port: int,
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    cancel: CancelToken | None = None,
    known_hosts: Sequence[Path] | None = None,
    store: Path | None = None,
) -> Tunnel:
    """Log in to the bastion and start forwarding 127.0.0.1:<free port> to ``target_host:target_port``.

    Host keys: ``known_hosts`` (default :func:`known_hosts_files`); an unknown key raises
    :class:`HostKeyUnknown`, or with ``ssh.accept_new_host_key`` is recorded in ``store`` (default
    :func:`user_known_hosts`); a changed key raises ConnectionFailed. Every failure is a ConnectionFailed
    with a classified cause; Cancelled when ``cancel`` fires meanwhile. Each stage waits at most what
    is left of ``connect_timeout``.
    """
    import paramiko

    if cancel is not None:
        cancel.raise_if_cancelled()
    deadline = time.monotonic() + connect_timeout

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    files = list(known_hosts) if known_hosts is not None else known_hosts_files()
    key_file, key_problem = _load_key(ssh, ssh.key_file, named=True) if ssh.key_file else (None, None)
    sock = _connect(ssh, connect_timeout)
    try:
        transport = paramiko.Transport(sock)
    except BaseException:
        _close_quietly(sock)
        raise
    transport.banner_timeout = transport.handshake_timeout = transport.auth_timeout = connect_timeout
    aborted = threading.Event()

    def on_cancel() -> None:
        aborted.set()
        transport.close()
        _close_quietly(sock)

    if cancel is not None:
        cancel.on_cancel(on_cancel)
    try:
        recorded = _recorded_keys(ssh.known_hosts_name, files)
        _prefer_known_key_types(transport, recorded)
        try:
            transport.start_client(timeout=left())
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if aborted.is_set():
                raise Cancelled from None
            raise _handshake_problem(ssh, exc, connect_timeout) from None
        try:
            server_key = transport.get_remote_server_key()
        except paramiko.SSHException:  # start_client returns without a word when its time is up
            raise _handshake_problem(ssh, TimeoutError(), connect_timeout) from None
        _check_host_key(ssh, server_key, recorded, store)
        _authenticate(transport, ssh, key_file, key_problem)
        if aborted.is_set():
            raise Cancelled
        transport.set_keepalive(_KEEPALIVE)
        tunnel = Tunnel(transport, ssh, target_host, target_port, left())
    except BaseException as exc:
        transport.close()
        _close_quietly(sock)
        if aborted.is_set() and not isinstance(exc, Cancelled):
            raise Cancelled from None
        raise
    if cancel is not None:
        cancel.on_cancel(tunnel.close)
    return tunnel


def open_tunnel_for(spec: ConnectionSpec, cancel: CancelToken | None = None) -> Tunnel:
    """The tunnel a ConnectionSpec with ``ssh`` needs: to its host and port as the bastion sees them."""
    if spec.ssh is None:
        raise ValueError("this connection does not go through SSH")
    return open_tunnel(spec.ssh, spec.host or "127.0.0.1", spec.port, connect_timeout=spec.connect_timeout,
                       cancel=cancel)


def _connect(ssh: SshSpec, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((ssh.host, ssh.port), timeout=timeout)
    except socket.gaierror:
        raise _bastion_problem(ssh, Cause.SSH_UNKNOWN_HOST) from None
    except TimeoutError:
        raise _bastion_problem(ssh, Cause.SSH_TIMED_OUT, "connect", seconds=f"{timeout:g}") from None
    except ConnectionRefusedError:
        raise _bastion_problem(ssh, Cause.SSH_UNREACHABLE, "refused") from None
    except OSError as exc:
        raise _bastion_problem(ssh, Cause.SSH_UNREACHABLE, "no_route", reason=exc.strerror or exc) from None


def _handshake_problem(ssh: SshSpec, exc: BaseException, timeout: float) -> ConnectionFailed:
    text = str(exc).lower()
    chain: list[BaseException] = [exc]
    while (inner := chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 10:
        chain.append(inner)  # paramiko wraps the socket's timeout in "Error reading SSH protocol banner"
    if "timeout" in text or "timed out" in text or any(isinstance(e, TimeoutError) for e in chain):
        return _bastion_problem(ssh, Cause.SSH_TIMED_OUT, "greeting", seconds=f"{timeout:g}")
    if "banner" in text or "protocol" in text:
        return _bastion_problem(ssh, Cause.SSH_NOT_SSH)
    if "incompatible" in text or "no acceptable" in text or "negotiat" in text:
        return _bastion_problem(ssh, Cause.SSH_NEGOTIATION)
    return _bastion_problem(ssh, Cause.SSH_UNREACHABLE, "closed_in_handshake")


def _prefer_known_key_types(transport: paramiko.Transport, recorded: Sequence[_Recorded]) -> None:
    """Ask for a host key of a type already recorded first, as ssh does: a server with several host keys
    then presents the one we can check instead of one we would call unknown."""
    wanted: list[str] = []
    for entry in recorded:
        if entry.marker:
            continue
        names = ("rsa-sha2-512", "rsa-sha2-256") if entry.key_type == "ssh-rsa" else (entry.key_type,)
        wanted += [n for n in names if n not in wanted]
    options = transport.get_security_options()
    available = list(options.key_types)
    first = [n for n in wanted if n in available]
    if first:
        options.key_types = first + [n for n in available if n not in first]


def _check_host_key(ssh: SshSpec, key: paramiko.PKey, recorded: Sequence[_Recorded], store: Path | None) -> None:
    presented = HostKey(ssh.known_hosts_name, key.get_name(), key.fingerprint, key.get_base64())
    blob = key.asbytes()
    shown = f"{presented.key_type} {presented.fingerprint}"
    if any(r.marker == "@revoked" and r.blob == blob for r in recorded):
        revoked = next(r for r in recorded if r.marker == "@revoked" and r.blob == blob)
        raise ConnectionFailed(build_problem(Cause.SSH_HOST_KEY_CHANGED, "revoked", where=ssh.where, shown=shown,
                                             path=_display(revoked.path), line=revoked.line))
    plain = [r for r in recorded if not r.marker]
    if any(r.blob == blob for r in plain):
        return
    same_type = [r for r in plain if r.key_type == presented.key_type]
    if same_type:
        old = same_type[0]
        raise ConnectionFailed(build_problem(Cause.SSH_HOST_KEY_CHANGED, "changed", where=ssh.where, shown=shown,
                                             path=_display(old.path), line=old.line, name=ssh.known_hosts_name))
    if plain:  # known, but under another key type: OpenSSH would not silently trust it either
        old = plain[0]
        raise ConnectionFailed(build_problem(Cause.SSH_HOST_KEY_CHANGED, "type_changed", where=ssh.where, shown=shown,
                                             path=_display(old.path), line=old.line, old_type=old.key_type,
                                             name=ssh.known_hosts_name))
    if ssh.accept_new_host_key:
        trust_host_key(presented, store)
        return
    raise HostKeyUnknown(build_problem(Cause.SSH_HOST_KEY_UNKNOWN, where=ssh.where, shown=shown,
                                       accept_flag=ACCEPT_NEW_HOST_KEY_FLAG), presented)


def _authenticate(transport: paramiko.Transport, ssh: SshSpec, key_file: paramiko.PKey | None,
                  key_problem: ConnectionFailed | None) -> None:
    """Public-key login: the named key file, the agent's keys, else the default ~/.ssh/id_* files."""
    import paramiko

    user = ssh.effective_user
    keys: list[paramiko.PKey] = [key_file] if key_file is not None else []
    offered = [f"the key {ssh.key_file}"] if key_file is not None else []
    agent: paramiko.Agent | None = None
    if ssh.use_agent:
        try:
            agent = paramiko.Agent()
            agent_keys = list(agent.get_keys())
        except (paramiko.SSHException, OSError):
            agent_keys = []
        keys += agent_keys
        if agent_keys:
            offered.append(f"{len(agent_keys)} key(s) of the SSH agent")
    if not ssh.key_file and not keys:
        for name in DEFAULT_IDENTITIES:
            default, _problem_ignored = _load_key(ssh, str(Path.home() / ".ssh" / name), named=False)
            if default is not None:
                keys.append(default)
                offered.append(f"~/.ssh/{name}")
    try:
        if not keys:
            if key_problem is not None:
                raise key_problem
            raise _bastion_problem(ssh, Cause.SSH_AUTH_FAILED, "no_key")
        for key in keys:
            try:
                further = transport.auth_publickey(user, key)
            except paramiko.BadAuthenticationType as exc:
                allowed = ", ".join(exc.allowed_types) or "none"
                raise _bastion_problem(ssh, Cause.SSH_AUTH_FAILED, "keys_not_accepted", user=user,
                                       allowed=allowed) from None
            except paramiko.AuthenticationException:
                continue
            except (paramiko.SSHException, EOFError, OSError):
                raise _bastion_problem(ssh, Cause.SSH_UNREACHABLE, "closed_in_login") from None
            if transport.is_authenticated():
                return
            raise _bastion_problem(ssh, Cause.SSH_AUTH_FAILED, "second_factor", user=user, methods=", ".join(further))
        if key_problem is not None:
            raise key_problem
        raise _bastion_problem(ssh, Cause.SSH_AUTH_FAILED, "refused", user=user, offered=" and ".join(offered))
    finally:
        if agent is not None:
            agent.close()
