"""`--servers FILE`: several servers in one submission, described in TOML.

    [[server]]
    name = "orders-primary"          # folder name in the archive; letters, digits, - _ .
    host = "10.0.0.5"                # or socket = "/run/mysqld/mysqld.sock"
    port = 3306
    user = "ps_prechecks"
    password_env = "ORDERS_PW"       # or password = "..." (the file should then be 0600), or
    keychain = true                  # the system keychain entry the wizard stores (ps-prechecks,
                                     # "user@host:port"), or keychain = "another entry"
    ssl_mode = "REQUIRED"            # DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY
    ssl_ca = "/etc/ssl/ca.pem"       # without ssl_mode: VERIFY_CA, as --ssl-ca alone
    ssh_host = "bastion.example.com" # through an SSH bastion: host and port are then the server as the
    ssh_port = 22                    # bastion sees it; ssh_user (default: your login name) and ssh_key
    ssh_user = "dba"                 # (default: the SSH agent, else ~/.ssh/id_*) as --ssh-user/--ssh-key;
    ssh_key = "~/.ssh/id_ed25519"    # an encrypted key's passphrase: PS_PRECHECKS_SSH_PASSPHRASE, else
                                     # with keychain = true the one the wizard remembered for this key
                                     # file, else a prompt
    ssh_accept_new_host_key = true   # trust this bastion's host key if it is not known yet (after checking
                                     # the fingerprint a run without it printed); per server, never for all
    prometheus_match = '{instance="db1:9104"}'  # with --prometheus: this server's series (--prometheus-match)

Passwords are read into memory only: they are scrubbed from everything the run writes and never
copied to the archive. Every error names the file, the server and the key, with the remedy.

The file says where each password goes: whoever can change it can send a keychain entry or an
environment variable's secret to a host of theirs. So, as ssh does with its config, a file (or folder)
that another user owns or that group or others can write is refused before anything is read from it.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from collectors.connection import TLS_MODES, ConnectionSpec
from collectors.tunnel import SSH_PASSPHRASE_ENV, SshSpec

KEYRING_SERVICE = "ps-prechecks"  # the wizard's keychain entries (gui/settings.py) use the same service
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
KNOWN_KEYS = frozenset({
    "name", "host", "port", "socket", "user", "password", "password_env", "keychain", "ssl_mode", "ssl_ca",
    "ssl_cert", "ssl_key", "ssh_host", "ssh_port", "ssh_user", "ssh_key", "ssh_accept_new_host_key",
    "aws_profile", "aws_region", "aws_db_instance", "aws_db_cluster", "no_cloud",  # as the --aws-* flags
    "gcp_instance", "gcp_credentials", "azure_server", "azure_subscription", "azure_resource_group",  # --gcp/azure-*
    "prometheus_match",  # this server's series in --prometheus, as --prometheus-match
})


class ServersFileError(ValueError):
    """A --servers file that cannot be used; the message is one line with the remedy."""


@dataclass(frozen=True)
class ServerEntry:
    name: str
    spec: ConnectionSpec  # with the password, when one was found
    found_in: str  # "password", "password_env NAME", "keychain ENTRY", "option file", "none"
    ssh: Mapping[str, Any]  # ssh_host, ssh_port, ssh_user, ssh_key when given
    cloud: Mapping[str, Any] = field(default_factory=dict)  # aws_*, gcp_*, azure_*, no_cloud when given
    prometheus_match: str | None = None  # the inside of the braces (collectors.prometheus.parse_match)

    def __repr__(self) -> str:  # the spec's repr never shows the password; say where it came from
        return f"ServerEntry(name={self.name!r}, target={self.spec.target!r}, found_in={self.found_in!r})"


def keychain_account(*, user: str | None, host: str | None, port: int | None, socket: str | None) -> str:
    """The keychain entry's user name, as the wizard stores it: user@host:port, or user@socket."""
    where = socket if socket and not host else f"{host or ''}:{port or 3306}"
    return f"{user or ''}@{where}"


def passphrase_keychain_account(key_file: str) -> str:
    """The keychain entry's user name of an SSH key's passphrase, as the wizard stores it: one per key file."""
    return f"ssh key {os.path.expanduser(key_file)}"


def _keychain_password(account: str) -> str | None:
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(KEYRING_SERVICE, account)
    except keyring.errors.KeyringError:
        return None


def load_servers(path: Path, *, environ: Mapping[str, str] | None = None,
                 defaults: ConnectionSpec | None = None) -> list[ServerEntry]:
    """Read and check a --servers file. ``defaults`` (from the command line's other options) fills what a
    server leaves out: statement and connect timeouts, TLS mode."""
    environ = os.environ if environ is None else environ
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ServersFileError(f"--servers {where}: no such file — check the path") from None
    except OSError as exc:
        raise ServersFileError(f"--servers {where}: cannot read it ({exc.strerror}) — check its permissions") from None
    _check_only_you_can_change(path, where)
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ServersFileError(f"--servers {where}: not valid TOML ({exc}) — see `ps-prechecks --help`") from None
    servers = document.get("server")
    unknown_top = sorted(set(document) - {"server"})
    if unknown_top:
        raise ServersFileError(f"--servers {where}: unknown top-level key(s) {', '.join(unknown_top)} — "
                               "describe each server in a [[server]] table")
    if not isinstance(servers, list) or not servers:
        raise ServersFileError(f"--servers {where}: no [[server]] table — add one per server")
    has_plain_password = any(isinstance(s, dict) and "password" in s for s in servers)
    if has_plain_password and os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ServersFileError(f"--servers {where}: holds a password and other users can read it — "
                               f"run `chmod 600 {where}`, or use password_env / keychain instead")
    entries: list[ServerEntry] = []
    seen: set[str] = set()
    for number, server in enumerate(servers, start=1):
        entry = _entry(server, number, where, environ, defaults or ConnectionSpec())
        if entry.name.lower() in seen:
            raise ServersFileError(f"--servers {where}: server #{number}: the name {entry.name!r} is used twice — "
                                   "give each server its own name")
        seen.add(entry.name.lower())
        entries.append(entry)
    return entries


def _owner_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _check_only_you_can_change(path: Path, where: str) -> None:
    """Refuse the file when another user owns it or its folder, or group/others can write either (ssh's rule).
    A sticky folder (/tmp) is fine: others can write in it but cannot replace our file. Root's own is fine."""
    if os.name != "posix":  # Windows: access is set by ACLs, which the mode bits do not show; not checked
        return
    me = os.geteuid()
    named = Path(os.path.abspath(path))
    real = Path(os.path.realpath(path))
    checks = [(real, None), (real.parent, real.parent)]
    if named.parent != real.parent:  # a symlink: whoever can write its folder can point it elsewhere
        checks.append((named.parent, named.parent))
    for target, folder in checks:
        info = target.stat()
        what = f"its folder {folder}" if folder else "it"
        if info.st_uid not in (me, 0):
            raise ServersFileError(
                f"--servers {where}: {what} belongs to {_owner_name(info.st_uid)}, who can change where the passwords "
                f"are sent — run `chown {_owner_name(me)} {target}`, or use a copy in a folder of your own")
        if folder and info.st_mode & stat.S_ISVTX:
            continue
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            remedy = f"chmod go-w {target}" if folder else f"chmod 600 {where}"
            raise ServersFileError(
                f"--servers {where}: other users can change {what} (mode {stat.S_IMODE(info.st_mode):04o}) and so "
                f"where the passwords are sent — run `{remedy}`")


def _entry(server: Any, number: int, where: str, environ: Mapping[str, str], defaults: ConnectionSpec) -> ServerEntry:
    label = f"--servers {where}: server #{number}"
    if not isinstance(server, dict):
        raise ServersFileError(f"{label}: not a table — write it as [[server]] with key = value lines")
    name = server.get("name")
    if isinstance(name, str):
        label = f"--servers {where}: server {name!r}"
    unknown = sorted(set(server) - KNOWN_KEYS)
    if unknown:
        raise ServersFileError(f"{label}: unknown key(s) {', '.join(unknown)} — the keys are "
                               f"{', '.join(sorted(KNOWN_KEYS))}")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ServersFileError(f"{label}: name must be 1-63 letters, digits, '-', '_' or '.' (it names the "
                               "server's folder in the archive)")

    def text(key: str) -> str | None:
        value = server.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ServersFileError(f"{label}: {key} must be a non-empty string")
        return value

    host, socket_path, user = text("host"), text("socket"), text("user")
    if not host and not socket_path:
        raise ServersFileError(f"{label}: give host (and port) or socket")
    port = server.get("port", 3306)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ServersFileError(f"{label}: port must be a number from 1 to 65535")
    # an entry's own CA file without its own mode asks for the check, as --ssl-ca alone and the mysql client do
    ssl_mode = (text("ssl_mode") or ("verify_ca" if text("ssl_ca") else defaults.tls_mode)).lower()
    if ssl_mode not in TLS_MODES:
        raise ServersFileError(f"{label}: ssl_mode must be one of {', '.join(m.upper() for m in TLS_MODES)}")
    sources = [k for k in ("password", "password_env", "keychain") if k in server]
    if len(sources) > 1:
        raise ServersFileError(f"{label}: give one of password, password_env, keychain (found {', '.join(sources)})")
    password: str | None = None
    found_in = "none"
    if "password" in server:
        password = server["password"]
        if not isinstance(password, str):
            raise ServersFileError(f"{label}: password must be a string")
        found_in = "password"
    elif "password_env" in server:
        variable = text("password_env") or ""
        if variable not in environ:
            raise ServersFileError(f"{label}: the environment variable {variable} (password_env) is not set — "
                                   f"export it before running")
        password, found_in = environ[variable], f"password_env {variable}"
    elif "keychain" in server:
        choice = server["keychain"]
        if choice is False:
            pass
        elif choice is True or isinstance(choice, str):
            account = choice if isinstance(choice, str) else keychain_account(
                user=user, host=host if not socket_path else None, port=port, socket=socket_path)
            password = _keychain_password(account)
            if password is None:
                raise ServersFileError(f"{label}: no password in the system keychain for {account!r} — store it "
                                       "with the wizard (Remember in the system keychain), or use password_env")
            found_in = f"keychain {account}"
        else:
            raise ServersFileError(f"{label}: keychain must be true, false or the entry's name")
    ssh = {k: server[k] for k in ("ssh_host", "ssh_port", "ssh_user", "ssh_key", "ssh_accept_new_host_key")
           if k in server}
    ssh_spec: SshSpec | None = None
    if ssh:
        ssh_host, ssh_key = text("ssh_host"), text("ssh_key")
        if not ssh_host:
            raise ServersFileError(f"{label}: ssh_port, ssh_user, ssh_key and ssh_accept_new_host_key need ssh_host "
                                   "(the bastion)")
        if socket_path and not host:
            raise ServersFileError(f"{label}: a socket cannot be reached through SSH: give host and port as the "
                                   "bastion sees the server (127.0.0.1 when MySQL runs on the bastion)")
        ssh_port = server.get("ssh_port", 22)
        if not isinstance(ssh_port, int) or isinstance(ssh_port, bool) or not 0 < ssh_port < 65536:
            raise ServersFileError(f"{label}: ssh_port must be a number from 1 to 65535")
        accept_new = server.get("ssh_accept_new_host_key", False)
        if not isinstance(accept_new, bool):
            raise ServersFileError(f"{label}: ssh_accept_new_host_key must be true or false")
        passphrase = environ.get(SSH_PASSPHRASE_ENV) or None
        if passphrase is None and ssh_key and server.get("keychain") not in (None, False):
            passphrase = _keychain_password(passphrase_keychain_account(ssh_key))  # None: asked when needed
        ssh_spec = SshSpec(ssh_host, ssh_port, user=text("ssh_user"),
                           key_file=os.path.expanduser(ssh_key) if ssh_key else None, passphrase=passphrase,
                           accept_new_host_key=accept_new)
    spec = replace(
        defaults,
        host=host if not socket_path or host else None,
        port=port,
        socket=socket_path if not host else None,
        user=user,
        password=password,
        tls_mode=ssl_mode,
        ssl_ca=text("ssl_ca"),
        ssl_cert=text("ssl_cert"),
        ssl_key=text("ssl_key"),
        ssh=ssh_spec,
    )
    cloud: dict[str, Any] = {k: text(k) for k in ("aws_profile", "aws_region", "aws_db_instance", "aws_db_cluster",
                                                  "gcp_instance", "gcp_credentials", "azure_server",
                                                  "azure_subscription", "azure_resource_group") if k in server}
    if cloud.get("gcp_credentials"):
        cloud["gcp_credentials"] = os.path.expanduser(cloud["gcp_credentials"])
    if "no_cloud" in server:
        if not isinstance(server["no_cloud"], bool):
            raise ServersFileError(f"{label}: no_cloud must be true or false")
        cloud["no_cloud"] = server["no_cloud"]
    prometheus_match = None
    if "prometheus_match" in server:
        from collectors.prometheus import parse_match

        try:
            prometheus_match = parse_match(text("prometheus_match") or "")
        except ValueError as exc:
            raise ServersFileError(f"{label}: prometheus_match: {str(exc).removeprefix('--prometheus-match ')}") \
                from None
    return ServerEntry(name, spec, found_in, ssh, cloud, prometheus_match)
