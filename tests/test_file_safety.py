"""Files the tool writes are private and created fresh; files it reads are the ones named (issue 13: 5, 10, 11).

Another user is simulated by a file chown'ed to ``nobody`` when the tests run as root (they do here); as
another user the same files are made by us, which still shows the run writes into nothing it did not create.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path
from typing import Any

import pytest

from prechecks.bundle import BundleContent, archive_name, redaction_map_name, write_bundle
from tests.helpers import read_archive

TS = "2026_01_01_00_00_00"
FACTS: dict[str, Any] = {
    "format_version": 1,
    "source": {"host": "db7.corp.example", "port": 3306, "user": "app_writer", "via": "tcp"},
    "databases": ["shop"],
}


def _content() -> BundleContent:
    return BundleContent(timestamp=TS, facts=FACTS, report="# report\n", samples={}, secrets=["s3cret-pw-value"])


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
        archive = write_bundle(_content(), out, redact=("hostnames", "users"))
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


def test_symlinks_at_the_final_names_are_replaced_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    for name in (archive_name(TS), redaction_map_name(TS)):
        (out / name).symlink_to(outside)
    archive = write_bundle(_content(), out, redact=("hostnames",))
    assert outside.read_text() == "keep me\n"
    _assert_ours_and_private(archive)
    _assert_ours_and_private(out / redaction_map_name(TS))


def test_a_failed_write_leaves_nothing_not_even_the_temp_folder(tmp_path: Path) -> None:
    def fail() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_bundle(_content(), tmp_path, redact=("hostnames",), before_rename=fail)
    with pytest.raises(KeyboardInterrupt):
        write_bundle(_content(), tmp_path, before_rename=lambda: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert list(tmp_path.iterdir()) == []
