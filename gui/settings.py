"""Recent connections (never a password) and keychain access for the wizard.

Recent connections live in a JSON file in platformdirs' user config dir; passwords only ever go to
the system keychain (keyring), and only when the user ticks "Remember".
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import keyring.errors
import platformdirs

from prechecks.servers import keychain_account, passphrase_keychain_account

log = logging.getLogger("ps_prechecks.gui")

KEYRING_SERVICE = "ps-prechecks"
MAX_RECENT = 8
MAX_CLOUD_ACCOUNTS = 32  # connections whose Cloud account step is remembered


@dataclass(frozen=True)
class RecentConnection:
    """What the Connection page needs to refill its fields. No password, ever."""

    via: str = "tcp"  # tcp | socket | ssh (TCP/IP through an SSH bastion: host and port as the bastion sees them)
    host: str = ""
    port: int = 3306
    socket: str = ""
    user: str = ""
    tls_mode: str = "preferred"
    ssl_ca: str = ""
    # the SSH bastion (via == "ssh"); its key's passphrase only ever goes to the keychain
    ssh_host: str = ""
    ssh_port: int = 22
    ssh_user: str = ""
    ssh_key: str = ""

    @property
    def label(self) -> str:
        where = self.socket if self.via == "socket" else f"{self.host}:{self.port}"
        if self.via == "ssh":
            where += f" via SSH {self.ssh_host}" + (f":{self.ssh_port}" if self.ssh_port != 22 else "")
        return f"{self.user or '(current user)'} @ {where}"

    @property
    def passphrase_keychain_user(self) -> str:
        """The keychain entry of the SSH key's passphrase: one per key file."""
        return passphrase_keychain_user(self.ssh_key)

    @property
    def keychain_user(self) -> str:
        """The password's keychain entry (prechecks.servers reads the same one for `keychain = true`)."""
        if self.via == "socket":
            return keychain_account(user=self.user, host=None, port=None, socket=self.socket)
        return keychain_account(user=self.user, host=self.host, port=self.port, socket=None)


passphrase_keychain_user = passphrase_keychain_account  # --servers files read the wizard's entries


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir("ps-prechecks", appauthor=False))


class Settings:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or config_dir()
        self.path = self.directory / "recent-connections.json"

    def recent(self) -> list[RecentConnection]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        names = {f.name for f in fields(RecentConnection)}
        out = []
        for entry in raw if isinstance(raw, list) else []:
            if isinstance(entry, dict):
                try:
                    out.append(RecentConnection(**{k: v for k, v in entry.items() if k in names}))
                except TypeError:
                    continue
        return out

    def remember(self, connection: RecentConnection) -> None:
        entries = [connection] + [c for c in self.recent() if c != connection]
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump([asdict(c) for c in entries[:MAX_RECENT]], handle, indent=2)
        os.replace(tmp, self.path)


    # -- the wizard's other choices, for the next run (wizard-options.json) ------------------------------
    @property
    def options_path(self) -> Path:
        return self.directory / "wizard-options.json"

    def redaction_map(self) -> str:
        """The earlier redaction map the last run reused or wrote ("" when none): the Options page offers it."""
        try:
            raw = json.loads(self.options_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        value = raw.get("redaction_map") if isinstance(raw, dict) else None
        return value if isinstance(value, str) else ""

    def remember_redaction_map(self, path: str) -> None:
        """Only the path (the map holds the real names and stays where it is); "" forgets it."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.options_path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"redaction_map": path}, handle, indent=2)
            os.replace(tmp, self.options_path)
        except OSError as exc:  # the choice still holds for this run
            log.warning("could not remember the redaction map: %s", exc.strerror or exc)


    # -- the Cloud account step, per connection (cloud-accounts.json): names only, never a credential ---------
    @property
    def cloud_path(self) -> Path:
        return self.directory / "cloud-accounts.json"

    def _cloud_accounts(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.cloud_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return raw if isinstance(raw, dict) else {}

    def cloud_account(self, connection: str) -> dict[str, str]:
        """What the step was given last time for this connection ({"provider": "aws", "profile": ...}); {} when
        nothing."""
        entry = self._cloud_accounts().get(connection)
        if not isinstance(entry, dict):
            return {}
        return {k: v for k, v in entry.items() if isinstance(k, str) and isinstance(v, str)}

    def remember_cloud_account(self, connection: str, provider: str, fields: dict[str, str],
                               names: tuple[str, ...]) -> None:
        """Only the fields the provider names as settings (``names``: profile, region, instance id…): a key or
        token is no field of the step and never reaches this file."""
        accounts = self._cloud_accounts()
        accounts.pop(connection, None)  # the newest last: the oldest go first beyond MAX_CLOUD_ACCOUNTS
        accounts[connection] = {"provider": provider, **{k: str(v) for k, v in fields.items() if k in names}}
        for stale in list(accounts)[:-MAX_CLOUD_ACCOUNTS]:
            del accounts[stale]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.cloud_path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(accounts, handle, indent=2)
            os.replace(tmp, self.cloud_path)
        except OSError as exc:  # the choice still holds for this run
            log.warning("could not remember the cloud account: %s", exc.strerror or exc)


class Keychain:
    """keyring, or a clear 'no keychain' when there is none (the fail backend).

    Every method may block for seconds (D-Bus, a keychain prompt): the wizard calls them through its
    TaskQueue (gui.worker), in a worker thread, never on the GUI thread."""

    def available(self) -> bool:
        try:
            backend: Any = keyring.get_keyring()
        except Exception:
            return False
        if isinstance(backend, keyring.backends.fail.Keyring):
            return False
        # a chainer over no backends is no keychain either
        return not (type(backend).__name__ == "ChainerBackend" and not getattr(backend, "backends", None))

    def get(self, user: str) -> str | None:
        if not self.available():
            return None
        try:
            return keyring.get_password(KEYRING_SERVICE, user)
        except keyring.errors.KeyringError as exc:
            log.warning("keychain read failed: %s", type(exc).__name__)
            return None

    def store(self, user: str, password: str) -> bool:
        """True when stored; False (and the password stays in memory only) when there is no keychain."""
        if not self.available():
            return False
        try:
            keyring.set_password(KEYRING_SERVICE, user, password)
        except keyring.errors.KeyringError as exc:
            log.warning("keychain write failed: %s", type(exc).__name__)
            return False
        return True

    def forget(self, user: str) -> None:
        if not self.available():
            return
        try:
            keyring.delete_password(KEYRING_SERVICE, user)
        except keyring.errors.KeyringError:
            pass
