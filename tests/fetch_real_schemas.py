"""Fetch three real-world MySQL schemas nobody on this team wrote, from their Debian packages, for the tests.

    python -m tests.fetch_real_schemas DEST_DIR     -> DEST_DIR/cacti.sql, mediawiki.sql, phpmyadmin.sql

`apt-get download` fetches the packages (nothing is installed) into a temporary folder; `dpkg-deb
--fsys-tarfile` gives each one's file tree, and only its .sql file is kept (a symlink in the package is
followed inside it). What each file is, and how tests/realworld.py loads it:

- cacti.sql (cacti): tables with data rows, MEMORY and InnoDB tables; loaded into a database of ours.
- mediawiki.sql (mediawiki, maintenance/tables-generated.sql): MediaWiki fills in its `/*_*/` table prefix
  and `/*$wgDBTableOptions*/` when it installs; here the prefix is dropped and the options are
  ENGINE=InnoDB, DEFAULT CHARSET=binary (one MyISAM table stays, as MediaWiki wrote it).
- phpmyadmin.sql (phpmyadmin, sql/create_tables.sql): creates its own database `phpmyadmin`.

Needs apt-get and dpkg-deb (Debian, Ubuntu). When apt cannot find a package (no package lists yet), runs
`apt-get update` once and tries again. Nothing here imports pytest.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

TIMEOUT = 300  # seconds for one apt-get or dpkg-deb call


def _as_is(sql: bytes) -> bytes:
    return sql


def mediawiki_loadable(sql: bytes) -> bytes:
    """MediaWiki's file as its installer would run it with no table prefix and InnoDB, binary table options."""
    return sql.replace(b"/*_*/", b"").replace(b"/*$wgDBTableOptions*/", b"ENGINE=InnoDB, DEFAULT CHARSET=binary")


@dataclass(frozen=True)
class Source:
    package: str
    member: str  # the file's path inside the package
    output: str  # its name in the destination folder
    rewrite: Callable[[bytes], bytes] = _as_is


SOURCES = (
    Source("cacti", "usr/share/doc/cacti/cacti.sql", "cacti.sql"),
    Source("mediawiki", "usr/share/mediawiki/maintenance/tables-generated.sql", "mediawiki.sql", mediawiki_loadable),
    Source("phpmyadmin", "usr/share/doc/phpmyadmin/examples/create_tables.sql", "phpmyadmin.sql"),
)
OUTPUTS = tuple(source.output for source in SOURCES)


class FetchError(RuntimeError):
    """One line: what failed and what to do about it."""


def _last_line(output: bytes) -> str:
    lines = [line.strip() for line in output.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    if shutil.which(args[0]) is None:
        raise FetchError(f"{args[0]} not found: the real-world schemas come from Debian packages, "
                         "run the tests on Debian or Ubuntu")
    try:
        return subprocess.run(args, cwd=cwd, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"{' '.join(args)} took over {TIMEOUT} s: check the machine's Debian package mirror") from exc


def download(packages: list[str], into: Path) -> dict[str, Path]:
    """package -> its .deb in `into`; `apt-get update` once if apt cannot find them."""
    result = _run(["apt-get", "download", *packages], cwd=into)
    if result.returncode != 0:
        update = _run(["apt-get", "update", "-q"])
        if update.returncode != 0:
            raise FetchError(f"apt-get download {' '.join(packages)} failed ({_last_line(result.stderr)}) and so did "
                             f"apt-get update ({_last_line(update.stderr)}): run the tests as root, or run "
                             "sudo apt-get update first")
        result = _run(["apt-get", "download", *packages], cwd=into)
        if result.returncode != 0:
            raise FetchError(f"apt-get download {' '.join(packages)} failed: {_last_line(result.stderr)}")
    debs: dict[str, Path] = {}
    for package in packages:
        found = sorted(into.glob(f"{package}_*.deb"))
        if not found:
            raise FetchError(f"apt-get download left no {package}_*.deb in {into}")
        debs[package] = found[-1]
    return debs


def member_bytes(deb: Path, member: str, scratch: Path) -> bytes:
    """One file of a .deb's file tree, a symlink followed inside the package (cacti's doc file is one)."""
    tree = scratch / (deb.name + ".tar")
    with tree.open("wb") as out:
        try:
            result = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=out, stderr=subprocess.PIPE,
                                    timeout=TIMEOUT, check=False)
        except FileNotFoundError as exc:
            raise FetchError("dpkg-deb not found: the real-world schemas come from Debian packages, run the tests "
                             "on Debian or Ubuntu") from exc
    if result.returncode != 0:
        raise FetchError(f"dpkg-deb --fsys-tarfile {deb.name} failed: {_last_line(result.stderr)}")
    try:
        with tarfile.open(tree) as tar:
            names = {PurePosixPath(name.removeprefix("./")).as_posix(): name for name in tar.getnames()}
            path = PurePosixPath(member)
            for _ in range(10):  # a link to a link, at most this deep
                name = names.get(path.as_posix())
                if name is None:
                    raise FetchError(f"{deb.name} has no /{path}: the package changed, update "
                                     "tests/fetch_real_schemas.py")
                entry = tar.getmember(name)
                if entry.issym():
                    path = _resolve(path.parent / entry.linkname)
                    continue
                handle = tar.extractfile(entry)
                if handle is None:
                    raise FetchError(f"/{path} in {deb.name} is not a regular file")
                return handle.read()
            raise FetchError(f"/{member} in {deb.name}: too many symlinks")
    finally:
        tree.unlink()


def _resolve(path: PurePosixPath) -> PurePosixPath:
    """`..` taken out, as the link would be followed (the tree is relative to /)."""
    parts: list[str] = []
    for part in path.parts:
        if part in ("", ".", "/"):
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return PurePosixPath(*parts)


def fetch(dest: Path, sources: tuple[Source, ...] = SOURCES) -> list[Path]:
    """Write each source's file into `dest` (made if missing); the files written."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="real-schemas-") as work:
        scratch = Path(work)
        debs = download(sorted({source.package for source in sources}), scratch)
        written = []
        for source in sources:
            target = dest / source.output
            target.write_bytes(source.rewrite(member_bytes(debs[source.package], source.member, scratch)))
            written.append(target)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.fetch_real_schemas DEST_DIR", file=sys.stderr)
        return 2
    try:
        written = fetch(Path(argv[0]))
    except FetchError as exc:
        print(f"fetch_real_schemas: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
