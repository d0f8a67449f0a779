"""Real-world schemas nobody on this team wrote (cacti, MediaWiki, phpMyAdmin), for tests and benchmarks.

``fetch_schemas()`` fetches them from their Debian packages (tests/fetch_real_schemas.py) once into a cache
directory and reuses it; ``load_schemas(server)`` loads them: cacti.sql into `cacti`, mediawiki.sql into
`wiki`, and phpmyadmin.sql, which creates its own `phpmyadmin`. Nothing here imports pytest.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from tests.fetch_real_schemas import OUTPUTS, fetch
from tests.servers import MariaDBServer

SCHEMA_FILES = OUTPUTS  # cacti.sql, mediawiki.sql, phpmyadmin.sql
# file -> the database it is loaded into (None: the file creates its own)
LOAD_INTO: dict[str, str | None] = {"cacti.sql": "cacti", "mediawiki.sql": "wiki", "phpmyadmin.sql": None}
DATABASES = ("cacti", "wiki", "phpmyadmin")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ps-prechecks-tests" / "real-schemas"


def _complete(directory: Path) -> bool:
    return all((directory / name).is_file() and (directory / name).stat().st_size > 0 for name in SCHEMA_FILES)


def fetch_schemas(directory: Path | None = None) -> Path:
    """The directory holding the three .sql files, downloading them (once) when missing.

    The download goes to a temp dir beside the cache and is renamed into place, so a killed run
    never leaves a half-filled cache. A failure raises fetch_real_schemas.FetchError (one line).
    """
    directory = directory or cache_dir()
    if _complete(directory):
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".real-schemas-", dir=directory.parent))
    try:
        fetch(staging)
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def load_schemas(server: MariaDBServer, directory: Path | None = None) -> None:
    """Load the three schemas into the server as root (over its socket)."""
    directory = fetch_schemas(directory)
    for name, database in LOAD_INTO.items():
        if database is not None:
            server.admin(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        server.load_sql_file(directory / name, database)
