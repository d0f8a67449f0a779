"""--servers FILE: the TOML file's checks, and one archive for several real servers."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path
from typing import Any

import keyring
import pytest

from collectors.connection import ConnectionSpec
from collectors.tunnel import SSH_PASSPHRASE_ENV
from prechecks.bundle import write_bundle
from prechecks.collection import RunOptions
from prechecks.multi import collect_servers, prepare_servers_bundle
from prechecks.servers import KEYRING_SERVICE, ServersFileError, keychain_account, load_servers
from tests.helpers import read_archive


def _write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "servers.toml"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_a_complete_file_reads_every_way_to_give_a_password(tmp_path: Path, in_memory_keyring: Any) -> None:
    keyring.set_password(KEYRING_SERVICE, keychain_account(user="kc", host="db3", port=3307, socket=None),
                         "from-keychain-pw")
    path = _write(tmp_path, """
        [[server]]
        name = "orders-primary"
        host = "db1"
        user = "ps"
        password = "inline-pw"
        ssl_mode = "VERIFY_CA"
        ssl_ca = "/etc/ssl/ca.pem"

        [[server]]
        name = "orders.replica_1"
        socket = "/run/mysqld/mysqld.sock"
        user = "ps"
        password_env = "REPLICA_PW"

        [[server]]
        name = "analytics"
        host = "db3"
        port = 3307
        user = "kc"
        keychain = true
        ssh_host = "bastion.example.com"
        ssh_user = "dba"
    """.replace("\n        ", "\n"))
    entries = load_servers(path, environ={"REPLICA_PW": "env-pw"}, defaults=ConnectionSpec(statement_timeout=7))
    assert [e.name for e in entries] == ["orders-primary", "orders.replica_1", "analytics"]
    primary, replica, analytics = entries
    assert (primary.spec.host, primary.spec.port, primary.spec.tls_mode, primary.spec.ssl_ca) == (
        "db1", 3306, "verify_ca", "/etc/ssl/ca.pem")
    assert primary.spec.password == "inline-pw" and primary.found_in == "password"
    assert replica.spec.socket == "/run/mysqld/mysqld.sock" and replica.spec.host is None
    assert replica.spec.password == "env-pw" and replica.found_in == "password_env REPLICA_PW"
    assert analytics.spec.password == "from-keychain-pw" and analytics.found_in == "keychain kc@db3:3307"
    assert analytics.ssh == {"ssh_host": "bastion.example.com", "ssh_user": "dba"}
    assert all(e.spec.statement_timeout == 7 for e in entries)
    for entry in entries:  # no password in any repr
        assert "pw" not in repr(entry).replace("password", "")


@pytest.mark.parametrize(("text", "expected"), [
    ('[[server]]\nname = "a"\nhost = "h"\n[[server]]\nname = "A"\nhost = "h2"\n', "used twice"),
    ('[[server]]\nname = "a b"\nhost = "h"\n', "name must be"),
    ('[[server]]\nname = "a"\n', "give host (and port) or socket"),
    ('[[server]]\nname = "a"\nhost = "h"\nport = 70000\n', "port must be"),
    ('[[server]]\nname = "a"\nhost = "h"\npasword = "x"\n', "unknown key(s) pasword"),
    ('[[server]]\nname = "a"\nhost = "h"\nssl_mode = "MAYBE"\n', "ssl_mode must be one of"),
    ('[[server]]\nname = "a"\nhost = "h"\npassword_env = "NOT_SET_PLANTED"\n',
     "NOT_SET_PLANTED (password_env) is not set"),
    ('[[server]]\nname = "a"\nhost = "h"\npassword = "x"\npassword_env = "Y"\n', "give one of password"),
    ('servers = 1\n', "unknown top-level key(s) servers"),
    ('[server]\nname = "a"\n', "no [[server]] table"),
    ('[[server]\nname = "a"\n', "not valid TOML"),
])
def test_bad_files_say_what_and_how_to_fix_in_one_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ServersFileError) as caught:
        load_servers(_write(tmp_path, text), environ={})
    message = str(caught.value)
    assert expected in message and "\n" not in message and str(tmp_path) in message


def test_a_password_in_a_readable_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[server]]\nname = "a"\nhost = "h"\npassword = "planted-pw-1"\n', mode=0o644)
    with pytest.raises(ServersFileError, match="chmod 600") as caught:
        load_servers(path, environ={})
    assert "planted-pw-1" not in str(caught.value)
    with pytest.raises(ServersFileError, match="no such file"):
        load_servers(tmp_path / "missing.toml")


def test_keychain_without_an_entry_says_how_to_store_one(tmp_path: Path, in_memory_keyring: Any) -> None:
    path = _write(tmp_path, '[[server]]\nname = "a"\nhost = "h"\nuser = "u"\nkeychain = true\n')
    with pytest.raises(ServersFileError, match="no password in the system keychain for 'u@h:3306'"):
        load_servers(path, environ={})


def test_ssh_passphrase_from_the_wizards_keychain_entry(tmp_path: Path, in_memory_keyring: Any) -> None:
    """keychain = true also reads the passphrase the wizard remembered for the key file (the same entry
    gui.settings writes); the environment variable wins; without either it is left to the prompt."""
    from gui.settings import RecentConnection

    key = tmp_path / "id_ed25519"
    wizard_entry = RecentConnection(via="ssh", host="10.0.0.5", user="u", ssh_host="bastion", ssh_key=str(key))
    keyring.set_password(KEYRING_SERVICE, wizard_entry.passphrase_keychain_user, "planted-passphrase")
    keyring.set_password(KEYRING_SERVICE, wizard_entry.keychain_user, "planted-pw")
    text = (f'[[server]]\nname = "a"\nhost = "10.0.0.5"\nuser = "u"\nkeychain = true\nssh_host = "bastion"\n'
            f'ssh_key = "{key}"\n')
    (entry,) = load_servers(_write(tmp_path, text), environ={})
    assert entry.spec.password == "planted-pw"
    assert entry.spec.ssh is not None and entry.spec.ssh.passphrase == "planted-passphrase"
    (entry,) = load_servers(_write(tmp_path, text), environ={SSH_PASSPHRASE_ENV: "from-env"})
    assert entry.spec.ssh is not None and entry.spec.ssh.passphrase == "from-env"
    without = text.replace("keychain = true", 'password = "p"')
    (entry,) = load_servers(_write(tmp_path, without), environ={})
    assert entry.spec.ssh is not None and entry.spec.ssh.passphrase is None  # asked for when the key needs it


def _two_up_one_down(tmp_path: Path, *up: tuple[str, Any, str], down: str = "down") -> Path:
    """A servers file: each (name, server, password variable) as root, then one server nothing listens for."""
    lines: list[str] = []
    for name, server, variable in up:
        lines += ['[[server]]', f'name = "{name}"', f'host = "{server.host}"', f'port = {server.port}',
                  'user = "root"', f'password_env = "{variable}"']
    lines += ['[[server]]', f'name = "{down}"', 'host = "127.0.0.1"', 'port = 1', 'user = "root"']
    return _write(tmp_path, "\n".join(lines) + "\n")


def test_two_servers_one_archive_and_one_down(mariadb_factory: Any, tmp_path: Path) -> None:
    """Two real servers and one that is not there: one archive, a folder per collected server, one
    manifest, one questionnaire prefilled from both, the missing one named with its cause."""
    first, second = mariadb_factory(), mariadb_factory()
    first.admin("CREATE DATABASE shop")
    first.admin("CREATE TABLE shop.orders (id INT PRIMARY KEY, note TEXT)")
    second.admin("CREATE DATABASE stats")
    second.admin("CREATE TABLE stats.hits (id INT)")  # no unique key: a readiness failure on this one only
    path = _two_up_one_down(tmp_path, ("shop", first, "SHOP_PW"), ("stats", second, "STATS_PW"), down="gone")
    entries = load_servers(path, environ={"SHOP_PW": first.root_password, "STATS_PW": second.root_password})
    parts = collect_servers(entries, RunOptions(sleep=0.1), "2026_01_02_03_04_05")
    assert [p.name for p in parts] == ["shop", "stats", "gone"]
    assert parts[2].derived is None and "nothing is listening there" in parts[2].error
    secrets = [first.root_password, second.root_password]
    prepared = prepare_servers_bundle(parts, "2026_01_02_03_04_05", secrets=secrets)
    archive = write_bundle(prepared, tmp_path)
    files = read_archive(archive)
    for name in ("shop", "stats"):
        for member in ("facts.json", "readiness.json", "ps_report_2026_01_02_03_04_05.md",
                       "ps_samples_2026_01_02_03_04_05/mysql-variables"):
            assert f"{name}/{member}" in files, f"{name}/{member}"
    assert not any(p.startswith("gone/") for p in files)
    assert {"manifest.json", "servers.md", "freeform_questions.md", "submission.json"} <= set(files)
    assert not [p for p in files if p.endswith("manifest.json") and p != "manifest.json"]
    manifest = json.loads(files["manifest.json"])
    listed = {f["path"] for f in manifest["files"]}
    assert listed == set(files) - {"manifest.json"}
    gone = next(s for s in manifest["servers"] if s["name"] == "gone")
    assert gone["collected"] is False and gone["error"] and gone["remedy"]
    servers_md = files["servers.md"].decode()
    assert "| stats |" in servers_md and "blocker" in servers_md and "not collected" in servers_md
    stats_readiness = json.loads(files["stats/readiness.json"])
    unique = next(c for c in stats_readiness["checks"] if c["id"] == "unique_key")
    assert unique["status"] == "fail" and unique["objects"] == ["stats.hits"]
    shop_readiness = json.loads(files["shop/readiness.json"])
    assert next(c for c in shop_readiness["checks"] if c["id"] == "unique_key")["status"] == "pass"
    submission = json.loads(files["submission.json"])
    answers = {a["id"]: a for a in submission["answers"]} if isinstance(submission.get("answers"), list) \
        else submission["answers"]
    count = answers["architecture.instance_count"]
    assert (count["value"] if isinstance(count, dict) else count) == 2
    version = answers["architecture.server_version"]
    text = json.dumps(version)
    assert "MariaDB" in text
    for data in files.values():  # neither password anywhere
        for secret in secrets:
            assert secret.encode() not in data
    with tarfile.open(archive) as tar:
        assert all(not m.name.startswith("/") and ".." not in m.name for m in tar.getmembers())


def test_cli_servers_file_end_to_end(mariadb_factory: Any, tmp_path: Path) -> None:
    """ps-prechecks --servers: passwords from the environment (never argv), exit 3 with one server down,
    each missing server named on stderr with its cause, the archive holds both collected servers."""
    from tests.helpers import run_cli

    first, second = mariadb_factory(), mariadb_factory()
    path = _two_up_one_down(tmp_path, ("one", first, "ONE_PW"), ("two", second, "TWO_PW"))
    out = tmp_path / "out"
    out.mkdir()
    env = {"ONE_PW": first.root_password, "TWO_PW": second.root_password, "HOME": str(tmp_path)}
    done = run_cli(["--servers", str(path), "--sleep=0.1", "--output", str(out)], env=env)
    assert done.returncode == 3, done.stderr
    assert "server down not collected: cannot connect to 127.0.0.1:1" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("send the archive: upload it at the end of PlanetScale's "
                                                   "technical questionnaire form (https://docs.google.com/forms/")
    archive = Path(done.stdout.strip())
    assert archive.parent == out and [p.name for p in out.iterdir()] == [archive.name]
    files = read_archive(archive)
    assert "one/facts.json" in files and "two/facts.json" in files and "servers.md" in files
    for data in [*files.values(), done.stdout.encode(), done.stderr.encode()]:
        assert first.root_password.encode() not in data and second.root_password.encode() not in data
    usage = run_cli(["--servers", str(path), "--host=db1"], env=env)
    assert usage.returncode == 2 and "--servers names every server" in usage.stderr
    everything_down = _write(tmp_path, '[[server]]\nname = "down"\nhost = "127.0.0.1"\nport = 1\n')
    failed = run_cli(["--servers", str(everything_down), "--sleep=0.1", "--output", str(out)], env=env)
    assert failed.returncode == 1 and "nothing was written" in failed.stderr
    assert [p.name for p in out.iterdir()] == [archive.name]


def test_a_ca_file_without_a_mode_means_verify_ca_as_on_the_command_line(tmp_path: Path) -> None:
    path = _write(tmp_path, """
        [[server]]
        name = "checked"
        host = "db1"
        ssl_ca = "/etc/ssl/ca.pem"

        [[server]]
        name = "encrypted"
        host = "db2"
        ssl_mode = "REQUIRED"
        ssl_ca = "/etc/ssl/ca.pem"

        [[server]]
        name = "default"
        host = "db3"
    """.replace("\n        ", "\n"))
    checked, encrypted, default = load_servers(path, environ={}, defaults=ConnectionSpec(tls_mode="preferred"))
    assert (checked.spec.tls_mode, encrypted.spec.tls_mode, default.spec.tls_mode) == (
        "verify_ca", "required", "preferred")
