"""tests/fetch_real_schemas.py and the cache of tests/realworld.py, with real .deb files built here by dpkg-deb
and an apt-get stand-in on PATH that hands them out (the real download runs in test_realworld)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests import fetch_real_schemas, realworld
from tests.fetch_real_schemas import FetchError, Source, fetch, mediawiki_loadable, member_bytes

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb (Debian, Ubuntu) is needed")

MEDIAWIKI_LINE = b"CREATE TABLE /*_*/page (page_id INT UNSIGNED NOT NULL) /*$wgDBTableOptions*/;\n"
CACTI_SQL = b"CREATE TABLE host (id MEDIUMINT UNSIGNED NOT NULL) ENGINE=InnoDB;\n"
PMA_SQL = b"CREATE DATABASE IF NOT EXISTS `phpmyadmin`;\n"


def build_deb(root: Path, package: str, files: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    """A real .deb of `package` holding `files` (path in the package -> content) and symlinks (path -> target)."""
    tree = root / f"{package}-tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: tests <tests@example.com>\n"
        f"Description: test package\n")
    for name, content in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(content)
    for name, target in (links or {}).items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).symlink_to(target)
    deb = root / f"{package}_1.0-1_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(tree), str(deb)], check=True,
                   capture_output=True)
    return deb


@pytest.fixture
def debs(tmp_path: Path) -> Path:
    """The three packages as the real ones lay them out (cacti's and phpMyAdmin's files are symlinks)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    build_deb(folder, "cacti", {"usr/share/cacti/conf_templates/cacti.sql": CACTI_SQL},
              {"usr/share/doc/cacti/cacti.sql": "../../cacti/conf_templates/cacti.sql"})
    build_deb(folder, "mediawiki", {"usr/share/mediawiki/maintenance/tables-generated.sql": MEDIAWIKI_LINE})
    build_deb(folder, "phpmyadmin", {"usr/share/phpmyadmin/sql/create_tables.sql": PMA_SQL},
              {"usr/share/doc/phpmyadmin/examples/create_tables.sql": "../../../phpmyadmin/sql/create_tables.sql"})
    return folder


def fake_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror: Path, *, lists: bool = True) -> Path:
    """An apt-get on PATH: `download` copies the packages from `mirror` into the current folder, and fails
    until `update` has run when `lists` is False (a fresh machine); every call is logged. The log's path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-calls"
    state = tmp_path / "apt-updated"
    if lists:
        state.touch()
    script = bin_dir / "apt-get"
    script.write_text(f"""#!{sys.executable}
import shutil, sys
from pathlib import Path
with open({str(calls)!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
if sys.argv[1] == "update":
    Path({str(state)!r}).touch()
    sys.exit(0)
if not Path({str(state)!r}).exists():
    print("E: Unable to locate package " + sys.argv[2], file=sys.stderr)
    sys.exit(100)
for package in sys.argv[2:]:
    shutil.copy(Path({str(mirror)!r}) / (package + "_1.0-1_all.deb"), ".")
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_mediawiki_is_made_loadable() -> None:
    assert mediawiki_loadable(MEDIAWIKI_LINE) == (
        b"CREATE TABLE page (page_id INT UNSIGNED NOT NULL) ENGINE=InnoDB, DEFAULT CHARSET=binary;\n")


def test_a_member_is_read_through_its_symlinks(debs: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    deb = debs / "cacti_1.0-1_all.deb"
    assert member_bytes(deb, "usr/share/doc/cacti/cacti.sql", scratch) == CACTI_SQL  # a link in the package
    assert member_bytes(deb, "usr/share/cacti/conf_templates/cacti.sql", scratch) == CACTI_SQL
    with pytest.raises(FetchError, match=r"has no /usr/share/doc/cacti/cacti\.sql\.gz: the package changed"):
        member_bytes(deb, "usr/share/doc/cacti/cacti.sql.gz", scratch)
    assert list(scratch.iterdir()) == []  # the unpacked file tree is not left behind


def test_fetch_writes_the_three_files(debs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_apt(tmp_path, monkeypatch, debs)
    dest = tmp_path / "out"
    written = fetch(dest)
    assert [p.name for p in written] == ["cacti.sql", "mediawiki.sql", "phpmyadmin.sql"]
    assert (dest / "cacti.sql").read_bytes() == CACTI_SQL
    assert (dest / "mediawiki.sql").read_bytes() == mediawiki_loadable(MEDIAWIKI_LINE)
    assert (dest / "phpmyadmin.sql").read_bytes() == PMA_SQL
    assert calls.read_text() == "download cacti mediawiki phpmyadmin\n"


def test_fetch_on_a_fresh_machine_updates_the_package_lists_once(debs: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_apt(tmp_path, monkeypatch, debs, lists=False)
    fetch(tmp_path / "out")
    assert calls.read_text().splitlines() == ["download cacti mediawiki phpmyadmin", "update -q",
                                              "download cacti mediawiki phpmyadmin"]


def test_a_package_without_the_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    build_deb(mirror, "cacti", {"usr/share/doc/cacti/README": b"moved\n"})
    fake_apt(tmp_path, monkeypatch, mirror)
    sources = (Source("cacti", "usr/share/doc/cacti/cacti.sql", "cacti.sql"),)
    with pytest.raises(FetchError) as raised:
        fetch(tmp_path / "out", sources)
    assert str(raised.value) == ("cacti_1.0-1_all.deb has no /usr/share/doc/cacti/cacti.sql: the package changed, "
                                 "update tests/fetch_real_schemas.py")


def test_the_command_line(debs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    fake_apt(tmp_path, monkeypatch, debs)
    assert fetch_real_schemas.main([str(tmp_path / "out")]) == 0
    assert f"{tmp_path / 'out' / 'mediawiki.sql'} (" in capsys.readouterr().out
    assert fetch_real_schemas.main([]) == 2
    assert capsys.readouterr().err == "usage: python -m tests.fetch_real_schemas DEST_DIR\n"
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert fetch_real_schemas.main([str(tmp_path / "again")]) == 1
    assert capsys.readouterr().err == ("fetch_real_schemas: apt-get not found: the real-world schemas come from "
                                       "Debian packages, run the tests on Debian or Ubuntu\n")


def test_the_cache_is_filled_once_and_never_half(debs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_apt(tmp_path, monkeypatch, debs)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = realworld.cache_dir()
    assert cache == tmp_path / "cache" / "ps-prechecks-tests" / "real-schemas"
    assert realworld.fetch_schemas() == cache
    assert sorted(p.name for p in cache.iterdir()) == ["cacti.sql", "mediawiki.sql", "phpmyadmin.sql"]
    assert realworld.fetch_schemas() == cache  # from the cache: apt-get not asked again
    assert calls.read_text().count("download") == 1

    (debs / "phpmyadmin_1.0-1_all.deb").unlink()  # the next download fails half-way
    (cache / "phpmyadmin.sql").unlink()
    with pytest.raises(FetchError, match=r"^apt-get download cacti mediawiki phpmyadmin failed: "):
        realworld.fetch_schemas()
    assert sorted(p.name for p in cache.parent.iterdir()) == ["real-schemas"]  # no staging folder left
    assert not (cache / "phpmyadmin.sql").exists()
