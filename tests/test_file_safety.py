"""Files the tool writes are private and created fresh; files it reads are the ones named (issue 13: 5, 10, 11).

Another user is simulated by a file chown'ed to ``nobody`` when the tests run as root (they do here); as
another user the same files are made by us, which still shows the run writes into nothing it did not create.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from prechecks.attachments import AttachmentError, Attachments, read_attachment
from prechecks.bundle import (
    ArchiveInputs,
    PreparedBundle,
    archive_name,
    archive_path_map,
    build,
    redaction_map_name,
    write_bundle,
)
from prechecks.derive import derive
from prechecks.samples import SamplesError, read_config_text
from prechecks.servers import KEYRING_SERVICE, ServersFileError, load_servers
from tests.helpers import read_archive, server_args
from tests.servers import MariaDBServer
from tests.test_cli import FAST, SAMPLES, Sandbox, archive_of, one_error_line

TS = "2026_01_01_00_00_00"
FACTS: dict[str, Any] = {
    "format_version": 1,
    "source": {"host": "db7.corp.example", "port": 3306, "user": "app_writer", "via": "tcp"},
    "databases": ["shop"],
}


def _content(redact: tuple[str, ...] = ()) -> PreparedBundle:
    return build(derive(FACTS), ArchiveInputs(TS, secrets=["s3cret-pw-value"]), redact)


def _other_users_file(path: Path) -> None:
    """A file as another user leaves it for us: empty, mode 0666, owned by nobody (when we may chown)."""
    path.write_bytes(b"")
    os.chmod(path, 0o666)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)


def _assert_ours_and_private(path: Path) -> None:
    info = path.lstat()
    assert stat.S_ISREG(info.st_mode), f"{path} is not a regular file"
    assert info.st_uid == os.geteuid(), f"{path} is owned by uid {info.st_uid}"
    assert stat.S_IMODE(info.st_mode) == 0o600, f"{path} is {oct(stat.S_IMODE(info.st_mode))}"


# --------------------------------------------------------------------------- 5: the archive and the map


def test_pre_created_partial_files_are_not_written_into(tmp_path: Path) -> None:
    out = tmp_path / "shared-out"
    out.mkdir()
    os.chmod(out, 0o777)  # a folder other users can write in (no sticky bit)
    planted = [out / f".{archive_name(TS)}.partial", out / f".{redaction_map_name(TS)}.partial"]
    for path in planted:  # the names the writer used to open without O_EXCL
        _other_users_file(path)
    try:
        archive = write_bundle(_content(("hostnames", "users")), out)
        assert archive == out / archive_name(TS)
        _assert_ours_and_private(archive)
        _assert_ours_and_private(out / redaction_map_name(TS))
        assert read_archive(archive)["facts.json"]  # a whole archive
        for path in planted:  # left as they were: empty, still the other user's
            assert path.read_bytes() == b""
            assert stat.S_IMODE(path.stat().st_mode) == 0o666
        # nothing else: no temp folder or file left behind
        assert sorted(p.name for p in out.iterdir()) == sorted(
            [archive.name, redaction_map_name(TS), *(p.name for p in planted)])
    finally:
        for path in planted:
            path.unlink(missing_ok=True)


def test_symlinks_at_the_final_names_are_neither_followed_nor_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    for name in (archive_name(TS), redaction_map_name(TS)):
        (out / name).symlink_to(outside)
    archive = write_bundle(_content(("hostnames",)), out)
    assert outside.read_text() == "keep me\n"
    assert archive == out / archive_name(f"{TS}-2")  # the names are taken: the next free one
    _assert_ours_and_private(archive)
    _assert_ours_and_private(archive_path_map(archive))
    for name in (archive_name(TS), redaction_map_name(TS)):  # what was there is still there, as it was
        assert (out / name).is_symlink() and os.readlink(out / name) == str(outside)
    assert json.loads(archive_path_map(archive).read_text())["archive"] == archive.name


def test_archives_of_the_same_second_into_one_folder_each_keep_their_name(tmp_path: Path) -> None:
    """A script running the tool for several servers into one folder: runs ending in the same second share a
    timestamp. Each archive (and its map) gets a name of its own; none replaces another."""
    written = [write_bundle(_content(("hostnames",)), tmp_path) for _ in range(3)]
    assert [p.name for p in written] == [archive_name(TS), archive_name(f"{TS}-2"), archive_name(f"{TS}-3")]
    for archive in written:
        _assert_ours_and_private(archive)
        assert read_archive(archive)["facts.json"]
        assert json.loads(archive_path_map(archive).read_text())["archive"] == archive.name
    # only a map whose name is taken (the archive's is free): both move on to the next name together
    (tmp_path / redaction_map_name(f"{TS}-4")).write_text("someone else's\n")
    fourth = write_bundle(_content(("hostnames",)), tmp_path)
    assert fourth.name == archive_name(f"{TS}-5")
    assert not (tmp_path / archive_name(f"{TS}-4")).exists()
    assert (tmp_path / redaction_map_name(f"{TS}-4")).read_text() == "someone else's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*(p.name for p in [*written, fourth]), *(archive_path_map(p).name for p in [*written, fourth]),
         redaction_map_name(f"{TS}-4")])


def test_every_name_taken_is_one_error_and_leaves_nothing(tmp_path: Path) -> None:
    for n in range(1, 100):
        (tmp_path / archive_name(TS if n == 1 else f"{TS}-{n}")).write_bytes(b"")
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(FileExistsError, match="numbered names are all taken"):
        write_bundle(_content(("hostnames",)), tmp_path)
    assert sorted(os.listdir(tmp_path)) == before


def test_a_failed_write_leaves_nothing_not_even_the_temp_folder(tmp_path: Path) -> None:
    def fail() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_bundle(_content(("hostnames",)), tmp_path, before_rename=fail)
    with pytest.raises(KeyboardInterrupt):
        write_bundle(_content(), tmp_path, before_rename=lambda: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- 10: who can change a --servers file

SERVERS = """
[[server]]
name = "orders"
host = "db1.example"
user = "ps"
keychain = "orders-admin@db1.example:3306"

[[server]]
name = "billing"
host = "db2.example"
user = "ps"
password_env = "BILLING_PW"
"""


def _servers_file(folder: Path, *, mode: int = 0o600, folder_mode: int = 0o700) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "servers.toml"
    path.write_text(SERVERS)
    os.chmod(path, mode)
    os.chmod(folder, folder_mode)
    return path


def _keychain(in_memory_keyring: Any) -> None:
    in_memory_keyring.set_password(KEYRING_SERVICE, "orders-admin@db1.example:3306", "kc-secret")


def test_a_servers_file_only_we_can_change_is_read(tmp_path: Path, in_memory_keyring: Any) -> None:
    _keychain(in_memory_keyring)
    for folder_mode in (0o700, 0o755, 0o1777):  # a sticky folder: others cannot replace our file
        path = _servers_file(tmp_path / f"f{folder_mode:o}", mode=0o644, folder_mode=folder_mode)
        entries = load_servers(path, environ={"BILLING_PW": "env-secret"})
        assert [(e.name, e.spec.password) for e in entries] == [("orders", "kc-secret"), ("billing", "env-secret")]


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_a_servers_file_others_can_write_is_refused(tmp_path: Path, in_memory_keyring: Any, mode: int) -> None:
    _keychain(in_memory_keyring)
    path = _servers_file(tmp_path, mode=mode)
    with pytest.raises(ServersFileError) as caught:
        load_servers(path, environ={"BILLING_PW": "env-secret"})
    assert str(caught.value) == (f"--servers {path}: other users can change it (mode {mode:04o}) and so where the "
                                 f"passwords are sent — run `chmod 600 {path}`")


def test_a_servers_file_in_a_folder_others_can_write_is_refused(tmp_path: Path, in_memory_keyring: Any) -> None:
    _keychain(in_memory_keyring)
    folder = tmp_path / "shared"
    path = _servers_file(folder, folder_mode=0o777)
    with pytest.raises(ServersFileError) as caught:
        load_servers(path, environ={"BILLING_PW": "env-secret"})
    assert str(caught.value) == (f"--servers {path}: other users can change its folder {folder} (mode 0777) and so "
                                 f"where the passwords are sent — run `chmod go-w {folder}`")
    # a link to a good file, from a folder others can write in: they could point it elsewhere
    good = _servers_file(tmp_path / "mine")
    link = folder / "linked.toml"
    link.symlink_to(good)
    with pytest.raises(ServersFileError, match=f"its folder {folder} \\(mode 0777\\)"):
        load_servers(link, environ={"BILLING_PW": "env-secret"})


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_servers_file_another_user_owns_is_refused(tmp_path: Path, in_memory_keyring: Any) -> None:
    _keychain(in_memory_keyring)
    path = _servers_file(tmp_path)
    nobody = pwd.getpwnam("nobody")
    os.chown(path, nobody.pw_uid, nobody.pw_gid)
    me = pwd.getpwuid(os.geteuid()).pw_name
    with pytest.raises(ServersFileError) as caught:
        load_servers(path, environ={"BILLING_PW": "env-secret"})
    assert str(caught.value) == (f"--servers {path}: it belongs to nobody, who can change where the passwords are "
                                 f"sent — run `chown {me} {path}`, or use a copy in a folder of your own")


# --------------------------------------------------------------------------- 11: samples and attachments


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


def test_save_samples_are_0600_in_a_new_0700_folder(mariadb: MariaDBServer, box: Sandbox) -> None:
    saved = box.root / "saved" / "samples"
    previous = os.umask(0o022)  # the common umask: without asking, files would be 0644
    try:
        result = box.run([*server_args(mariadb), *FAST, "-q", "-o", str(box.out), "--save-samples", str(saved)],
                         password=mariadb.root_password)
    finally:
        os.umask(previous)
    archive_of(result)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.lstat().st_mode) for p in saved.iterdir()}
    assert "mysql-variables" in modes and set(modes.values()) == {0o600}, modes
    box.assert_no_temp_files()


def test_save_samples_refuses_a_symlink_in_one_line(mariadb: MariaDBServer, box: Sandbox) -> None:
    outside = box.root / "outside.cnf"
    outside.write_text("[client]\nuser=keep-me\n")
    saved = box.root / "saved"
    saved.mkdir()
    link = saved / "mysql-variables"
    link.symlink_to(outside)
    result = box.run([*server_args(mariadb), *FAST, "-q", "-o", str(box.out), "--save-samples", str(saved)],
                     password=mariadb.root_password)
    line = one_error_line(result)
    (archive,) = box.out.iterdir()
    assert line == (f"ps-prechecks: the archive is written ({archive}) but the samples were not saved: {link} is a "
                    f"symbolic link (to {outside}); the samples are not written through links — remove it or "
                    "choose another --save-samples directory")
    assert outside.read_text() == "[client]\nuser=keep-me\n"
    assert [p.name for p in saved.iterdir()] == ["mysql-variables"]  # nothing written beside it either
    box.assert_no_temp_files()


def _samples_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "ps_samples"
    shutil.copytree(SAMPLES / "ps-prechecks-mariadb-10.11", directory)
    return directory


def test_read_samples_refuses_a_link_that_leaves_the_folder(box: Sandbox) -> None:
    directory = _samples_copy(box.root)
    secret = box.root / "my.cnf"
    secret.write_text("[client]\npassword=outside-secret-value\nuser=someone-else\n")
    link = directory / "mysql-config-file"
    link.unlink(missing_ok=True)
    link.symlink_to(secret)
    result = box.run(["--read-samples", str(directory)])
    line = one_error_line(result)
    assert line == (f"ps-prechecks: {directory}: mysql-config-file is a symbolic link to {secret}, outside the "
                    "samples directory — copy the file into the directory or remove the link")
    assert "someone-else" not in result.stdout + result.stderr
    with pytest.raises(SamplesError, match="is a symbolic link to"):
        read_config_text(directory)


def test_read_samples_follows_a_link_that_stays_in_the_folder(box: Sandbox) -> None:
    directory = _samples_copy(box.root)
    (directory / "mysql-variables").rename(directory / "variables.orig")
    (directory / "mysql-variables").symlink_to("variables.orig")
    plain = box.run(["--read-samples", str(SAMPLES / "ps-prechecks-mariadb-10.11")])
    linked = box.run(["--read-samples", str(directory)])
    assert linked.returncode == 0, linked.stderr

    def report(result: subprocess.CompletedProcess[str], name: str) -> str:  # the last line: the archive's path
        return result.stdout.rsplit("\n", 2)[0].replace(name, "DIR")

    assert report(linked, directory.name) == report(plain, "ps-prechecks-mariadb-10.11")


def test_attach_refuses_a_symlink_and_names_its_target(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "id_rsa"
    outside.parent.mkdir()
    outside.write_text("not meant to be sent\n")
    link = tmp_path / "diagram.png"
    link.symlink_to(outside)
    with pytest.raises(AttachmentError) as caught:
        Attachments().add(link)
    assert str(caught.value) == (f"attachment {link} is a symbolic link to {outside} — attach {outside} itself "
                                 "if that is the file you mean")
    # and a file swapped for a link after it was added is not read through the link either
    real = tmp_path / "notes.txt"
    real.write_text("mine\n")
    attachments = Attachments()
    added = attachments.add(real)
    real.unlink()
    real.symlink_to(outside)
    with pytest.raises(AttachmentError, match="is a symbolic link"):
        read_attachment(added.name, added.path)


def test_cli_attach_symlink_one_line_before_connecting(box: Sandbox) -> None:
    outside = box.root / "private.key"
    outside.write_text("secret\n")
    link = box.root / "bill.pdf"
    link.symlink_to(outside)
    result = box.run(["--host=127.0.0.1", "--port=1", "-q", "-o", str(box.out), "--attach", str(link)])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"ps-prechecks: attachment {link} is a symbolic link to {outside} — "
                                          f"attach {outside} itself if that is the file you mean"]
    assert list(box.out.iterdir()) == []
