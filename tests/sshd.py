"""Throwaway real OpenSSH servers (bastions) for the SSH tunnel tests.

Each is ``sshd -D -f <config>`` on a free 127.0.0.1 port with a host key and an authorised client key
made by ssh-keygen in its own directory: no system configuration is read or changed (as root, sshd
needs its privilege separation directory /run/sshd, which is created when missing, as the package's
service would). The log is at DEBUG1 level, so a test can count the forwarded connections
("server_request_direct_tcpip") and prove that traffic went through the bastion.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import _pdeathsig_hook

PASSPHRASE = "correct horse battery staple 42"  # of the "encrypted" client key
SSHD_MISSING = ("sshd not found: run scripts/test as root (it apt-installs openssh-server), or "
                "apt-get install openssh-server")
_START_TIMEOUT = 20.0


def sshd_binary() -> str | None:
    for path in ("/usr/sbin/sshd", shutil.which("sshd")):
        if path and os.access(path, os.X_OK):
            return os.path.abspath(path)  # sshd re-executes itself: it must be started by its absolute path
    return None


def ensure_sshd() -> str | None:
    """sshd's path, installing openssh-server with apt when root and it is missing; None when impossible."""
    found = sshd_binary()
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False, timeout=600, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "openssh-server"],
                   capture_output=True, check=False, timeout=900, env=env)
    return sshd_binary()


def keygen(path: Path, *, passphrase: str = "", kind: str = "ed25519") -> Path:
    """A new key pair: ``path`` (private) and ``path.pub``."""
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", "ps-prechecks-test", "-f", str(path)],
                   check=True, capture_output=True, timeout=60)
    return path


def client_keys(base: Path) -> dict[str, Path]:
    """``plain``, ``encrypted`` (with PASSPHRASE) and ``stranger`` (which no bastion authorises) key pairs."""
    return {"plain": keygen(base / "id_plain"), "encrypted": keygen(base / "id_encrypted", passphrase=PASSPHRASE),
            "stranger": keygen(base / "id_stranger")}


def tunnel_threads() -> list[threading.Thread]:
    """The live threads of SSH tunnels in this process: ours (forwarders, listener) and paramiko's transports."""
    import paramiko

    from collectors.tunnel import THREAD_PREFIX

    return [t for t in threading.enumerate()
            if t.is_alive() and (t.name.startswith(THREAD_PREFIX) or isinstance(t, paramiko.Transport))]


def fingerprint(public_key: Path) -> str:
    """SHA256:... of a .pub file, as ssh-keygen -lf prints it."""
    out = subprocess.run(["ssh-keygen", "-lf", str(public_key)], check=True, capture_output=True, text=True,
                         timeout=60).stdout
    return out.split()[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in _children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


@dataclass(eq=False)
class SshServer:
    host: str
    port: int
    base: Path
    user: str
    host_key: Path
    client_key: Path
    log: Path
    _config: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def host_fingerprint(self) -> str:
        return fingerprint(self.host_key.with_suffix(".pub"))

    @property
    def known_hosts_line(self) -> str:
        kind, key = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"[{self.host}]:{self.port} {kind} {key}\n"

    def forwarded(self) -> int:
        """How many direct-tcpip channels (forwarded connections) sshd has opened so far."""
        try:
            return self.log.read_text(errors="replace").count("server_request_direct_tcpip")
        except OSError:
            return 0

    def start(self) -> None:
        binary = sshd_binary()
        assert binary is not None, SSHD_MISSING
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        with (self.base / "sshd.stderr").open("ab") as stderr:
            self._proc = subprocess.Popen([binary, "-D", "-f", str(self._config), "-E", str(self.log)],
                                          stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                                          preexec_fn=_pdeathsig_hook())  # noqa: PLW1509
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"sshd exited with {self._proc.returncode}: "
                                   f"{(self.base / 'sshd.stderr').read_text(errors='replace')[-2000:]}"
                                   f"{self.log.read_text(errors='replace')[-2000:] if self.log.exists() else ''}")
            try:
                with socket.create_connection((self.host, self.port), timeout=2) as probe:
                    if probe.recv(64).startswith(b"SSH-"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("sshd did not answer within 20 s")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL sshd and every process it started (the per-connection sshd's): every tunnel drops."""
        if self._proc is None:
            return
        for pid in [*_descendants(self._proc.pid), self._proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._proc.wait(timeout=30)
        self._proc = None

    def stop(self) -> None:
        self.kill()

    def new_host_key(self) -> None:
        """The bastion "rebuilt": a new host key of the same type, sshd restarted on the same port."""
        self.kill()
        for path in (self.host_key, self.host_key.with_suffix(".pub")):
            path.unlink()
        keygen(self.host_key)
        self.start()


def start_sshd(base: Path, *, authorized: list[Path], options: dict[str, str] | None = None) -> SshServer:
    """sshd on a free loopback port, letting the current user in with the keys of ``authorized`` (.pub files)."""
    base.mkdir(parents=True, exist_ok=True)
    host_key = keygen(base / "ssh_host_ed25519_key")
    client_key = authorized[0].with_suffix("") if authorized else base / "none"
    (base / "authorized_keys").write_text("".join(p.read_text() for p in authorized))
    import getpass

    user = getpass.getuser()
    settings = {
        "ListenAddress": "127.0.0.1",
        "HostKey": str(host_key),
        "PidFile": str(base / "sshd.pid"),
        "AuthorizedKeysFile": str(base / "authorized_keys"),
        "PermitRootLogin": "prohibit-password",
        "StrictModes": "no",
        "UsePAM": "no",
        "PasswordAuthentication": "no",
        "KbdInteractiveAuthentication": "no",
        "AllowTcpForwarding": "yes",
        "AllowAgentForwarding": "no",
        "X11Forwarding": "no",
        "PrintMotd": "no",
        "LogLevel": "DEBUG1",
        **(options or {}),
    }
    for attempt in range(3):
        port = _free_port()
        config = base / "sshd_config"
        config.write_text(f"Port {port}\n" + "".join(f"{k} {v}\n" for k, v in settings.items()))
        server = SshServer("127.0.0.1", port, base, user, host_key, client_key, base / "sshd.log", config)
        try:
            server.start()
        except RuntimeError:
            if attempt == 2:
                raise
            continue
        return server
    raise AssertionError("unreachable")
