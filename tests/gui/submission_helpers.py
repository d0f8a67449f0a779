"""Shared by the tests of pages 7-9 (attachments, review, save): one real run, a private home, navigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui.state import PageId
from gui.wizard import Wizard
from prechecks.collection import Collected, RunOptions, collect, timestamp_now
from tests.helpers import spec_for
from tests.servers import MariaDBServer

# a schema only these tests create: its names must vanish from every file when identifiers are redacted
SCHEMA, TABLE, COLUMN = "pelican_shop", "pelican_orders", "pelican_weight"
_runs: dict[tuple[str, int], Collected] = {}


def use_private_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """Drafts, documents and settings under ``home``, never the real home directory."""
    for name in ("config", "data", "cache", "state", "Documents"):
        (home / name).mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(home / "Documents"))
    return home


def collected(server: MariaDBServer) -> Collected:
    """One real run per server for the session, with the pelican schema in it (dropped right after)."""
    key = (server.host, server.port)
    if key not in _runs:
        server.admin(f"CREATE DATABASE IF NOT EXISTS {SCHEMA}")
        try:
            server.admin(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{TABLE} "
                         f"(id INT PRIMARY KEY, {COLUMN} DECIMAL(8,2) NOT NULL DEFAULT 0)")
            _runs[key] = collect(spec_for(server), RunOptions(sleep=0.2))
        finally:
            server.admin(f"DROP DATABASE IF EXISTS {SCHEMA}")
    return _runs[key]


def open_at(wizard: Wizard, result: Collected, page_id: PageId) -> None:
    """The wizard as after a finished run (what the Collect page leaves), showing ``page_id``."""
    state = wizard.state
    state.result, state.timestamp, state.readiness = result, timestamp_now(), result.readiness
    state.result_for = None
    wizard.setStartId(page_id)
    wizard.restart()
    assert wizard.currentId() == page_id


def prepared_files(wizard: Wizard) -> dict[str, bytes]:
    """What Review prepared and Save writes."""
    prepared = wizard.state.prepared
    assert prepared is not None
    return dict(prepared.files)
