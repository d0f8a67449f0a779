"""The wizard's "TCP/IP over SSH": a real sshd (tests/sshd.py) in front of a real MariaDB on loopback.

Test connection meets the bastion's unknown host key, shows its SHA256 fingerprint, and "Trust and
connect" records it in ps-prechecks' own known_hosts (in the test's private config dir) and connects.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.tunnel import user_known_hosts
from gui.settings import KEYRING_SERVICE, Settings
from gui.state import PageId
from gui.wizard import Wizard
from tests.conftest import InMemoryKeyring
from tests.gui.conftest import MakeWizard, save_through
from tests.helpers import read_archive
from tests.servers import MariaDBServer
from tests.sshd import PASSPHRASE, SSHD_MISSING, SshServer, client_keys, ensure_sshd, start_sshd, tunnel_threads


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if ensure_sshd() is None:
        pytest.skip(SSHD_MISSING)
    return client_keys(tmp_path_factory.mktemp("ssh-keys"))


@pytest.fixture
def bastion(keys: dict[str, Path], tmp_path: Path) -> Iterator[SshServer]:
    server = start_sshd(tmp_path / "sshd", authorized=[keys["plain"].with_suffix(".pub"),
                                                       keys["encrypted"].with_suffix(".pub")])
    yield server
    server.stop()


def fill_ssh(wizard: Wizard, server: MariaDBServer, bastion: SshServer, key: Path, passphrase: str = "") -> None:
    if wizard.currentId() == PageId.WELCOME:
        wizard.next()
    page = wizard.connection
    page.via_ssh.setChecked(True)
    assert page.ssh_box.isVisible() and page.host_edit.isEnabled()
    page.host_edit.setText("127.0.0.1")  # the server as the bastion sees it
    page.port.setValue(server.port)
    page.user.setText("root")
    page.password.setText(server.root_password)
    page.ssh_host.setText(bastion.host)
    page.ssh_port.setValue(bastion.port)
    page.ssh_user.setText(bastion.user)
    page.ssh_key.setText(str(key))
    page.ssh_passphrase.setText(passphrase)


def test_trust_the_host_key_then_connect_and_collect(qtbot, wizard: Wizard, mariadb: MariaDBServer,
                                                     bastion: SshServer, keys: dict[str, Path], config_dir: Path,
                                                     in_memory_keyring: InMemoryKeyring, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fill_ssh(wizard, mariadb, bastion, keys["encrypted"], PASSPHRASE)
    page = wizard.connection
    qtbot.waitUntil(page.remember_passphrase.isEnabled)  # the keychain has answered
    page.remember_passphrase.setChecked(True)
    assert page.isComplete()
    page.test_button.click()

    qtbot.waitUntil(lambda: page.host_key_dialog is not None and page.host_key_dialog.isVisible(), timeout=20_000)
    dialog = page.host_key_dialog
    assert dialog is not None
    assert f"[127.0.0.1]:{bastion.port}" in dialog.text()
    assert "ssh-ed25519" in dialog.informativeText() and bastion.host_fingerprint in dialog.informativeText()
    assert page.status.text().startswith("Could not connect (ssh host key unknown)")
    assert not user_known_hosts().exists() and bastion.forwarded() == 0
    page.trust_host_key_button.click()

    qtbot.waitUntil(lambda: page.status.text().startswith("Connected"), timeout=20_000)
    assert page.host_key_dialog is None
    assert user_known_hosts().read_text() == bastion.known_hosts_line  # the key, recorded as OpenSSH would
    assert bastion.forwarded() == 1  # Test connection went through the bastion
    entry = (KEYRING_SERVICE, f"ssh key {keys['encrypted']}")
    qtbot.waitUntil(lambda: in_memory_keyring.passwords.get(entry) == PASSPHRASE)
    qtbot.waitUntil(lambda: not tunnel_threads())  # the test's own tunnel closed with its session

    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    recent = (config_dir / "recent-connections.json").read_text()
    assert PASSPHRASE not in recent and mariadb.root_password not in recent
    saved = json.loads(recent)[0]
    assert (saved["via"], saved["ssh_host"], saved["ssh_port"], saved["ssh_user"], saved["ssh_key"]) == (
        "ssh", bastion.host, bastion.port, bastion.user, str(keys["encrypted"]))

    wizard.options_page.sampling_interval.setValue(1)
    wizard.next()
    assert wizard.currentId() == PageId.COLLECT
    qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
    assert wizard.state.result is not None
    assert wizard.state.result.facts["source"]["via"] == "ssh"
    assert bastion.forwarded() >= 2
    qtbot.waitUntil(lambda: not tunnel_threads())  # the run's tunnel closed when collect() returned
    target = tmp_path / "out" / "through_ssh.tgz"
    save_through(qtbot, wizard, target)
    files = read_archive(target)
    assert json.loads(files["facts.json"])["source"]["ssh_host"] == bastion.host
    for secret in (PASSPHRASE, mariadb.root_password, keys["encrypted"].read_text().splitlines()[1]):
        assert not any(secret.encode() in data for data in files.values())
        assert not any(secret in record.getMessage() for record in caplog.records)


def test_cancel_leaves_the_host_key_untrusted(qtbot, wizard: Wizard, mariadb: MariaDBServer, bastion: SshServer,
                                              keys: dict[str, Path]) -> None:
    fill_ssh(wizard, mariadb, bastion, keys["plain"])
    page = wizard.connection
    page.test_button.click()
    qtbot.waitUntil(lambda: page.host_key_dialog is not None and page.host_key_dialog.isVisible(), timeout=20_000)
    dialog = page.host_key_dialog
    assert dialog is not None
    dialog.reject()  # Cancel (and Esc)
    qtbot.waitUntil(lambda: page.host_key_dialog is None)
    assert "was not trusted" in page.status.text()
    assert not user_known_hosts().exists()
    assert wizard.state.probe is None and bastion.forwarded() == 0


def test_a_recent_ssh_connection_refills_its_fields_and_passphrase(
        qtbot, make_wizard: MakeWizard, config_dir: Path, in_memory_keyring: InMemoryKeyring,
        keys: dict[str, Path]) -> None:
    from gui.settings import RecentConnection

    key = str(keys["encrypted"])
    Settings(config_dir).remember(RecentConnection(via="ssh", host="10.0.0.5", port=3307, user="dba",
                                                   ssh_host="bastion.example.com", ssh_port=2222, ssh_user="ops",
                                                   ssh_key=key))
    in_memory_keyring.passwords[(KEYRING_SERVICE, f"ssh key {key}")] = PASSPHRASE
    wizard = make_wizard()
    wizard.next()
    page = wizard.connection
    assert page.recent.itemText(1) == "dba @ 10.0.0.5:3307 via SSH bastion.example.com:2222"
    page.recent.setCurrentIndex(1)
    page.recent.activated.emit(1)
    qtbot.waitUntil(lambda: page.ssh_passphrase.text() == PASSPHRASE)
    assert page.via_ssh.isChecked() and page.ssh_box.isVisible()
    assert (page.ssh_host.text(), page.ssh_port.value(), page.ssh_user.text(), page.ssh_key.text()) == (
        "bastion.example.com", 2222, "ops", key)
    assert page.remember_passphrase.isChecked()
    spec = page.current_spec()
    assert spec.ssh is not None and spec.ssh.passphrase == PASSPHRASE and spec.host == "10.0.0.5"


def test_old_settings_files_still_load(config_dir: Path) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / "recent-connections.json").write_text(json.dumps([{"via": "tcp", "host": "db1", "port": 3306,
                                                                     "socket": "", "user": "u"}]))
    (entry,) = Settings(config_dir).recent()
    assert (entry.host, entry.ssh_host, entry.ssh_port, entry.ssh_key) == ("db1", "", 22, "")
