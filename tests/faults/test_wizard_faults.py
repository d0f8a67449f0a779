"""The wizard under faults (pytest-qt, offscreen), at the worst moment: mid schema walk, a statement in
flight on the main session and the read-ahead session open (a proxy holds the statement's answer).

tests/gui/test_wizard.py has the simpler cases (the server killed after the first collector, closing
during the sampling wait); these add the walk, the read-ahead thread, temp files and the planted secrets
in the wizard's log, settings and drafts.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui.logs import setup_logging
from gui.state import PageId
from gui.wizard import Wizard
from tests.faults.conftest import PlantedFactory
from tests.faults.helpers import Planted, assert_no_secrets
from tests.faults.proxy import Proxy
from tests.gui import conftest as gui

# the wizard fixtures of tests/gui (private HOME and XDG dirs, settings, in-memory keyring), shared, not copied
wizard, make_wizard, config_dir, private_home_dirs = gui.wizard, gui.make_wizard, gui.config_dir, gui.private_home_dirs

STALL = b"SHOW CREATE TABLE `extra_3`"  # the third of four schemas: the read-ahead session reads the fourth


def _readahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ps-prechecks-readahead" and t.is_alive()]


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    return tmp


@pytest.fixture
def wizard_log(tmp_path: Path) -> Iterator[Path]:
    """The wizard's log file, as the app sets it up (with the secret filter), in tmp_path/logs."""
    with gui.wizard_log_handlers():
        yield setup_logging(tmp_path / "logs")


@pytest.fixture
def walking(planted_server: PlantedFactory) -> Iterator[tuple[Planted, Proxy]]:
    planted = planted_server()
    proxy = Proxy(planted.server.host, planted.server.port)
    try:
        yield planted, proxy
    finally:
        proxy.close()


def _collect_until_stalled(qtbot, wizard: Wizard, planted: Planted, proxy: Proxy) -> None:
    gui.fill_connection(wizard, planted.server, user=planted.user, password=planted.password)
    wizard.connection.port.setValue(proxy.port)
    wizard.next()  # tests the connection, then goes on by itself (every privilege: nothing missing)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=30_000)
    wizard.options_page.sampling_interval.setValue(1)
    proxy.stall_on(STALL)
    wizard.next()
    assert wizard.currentId() == PageId.COLLECT
    qtbot.waitUntil(proxy.stalled.is_set, timeout=60_000)
    assert _readahead_threads(), "the read-ahead session is not running"
    assert proxy.wait_connections(2), proxy.open_connections


def _scan(planted: Planted, tmp_path: Path, wizard: Wizard) -> None:
    assert Path(os.environ["HOME"]) == tmp_path / "home"  # tests/gui's private HOME and XDG dirs are in force
    page = wizard.collect
    texts = {"headline": page.headline.text(), "log pane": page.log_pane.toPlainText()}
    assert assert_no_secrets([tmp_path / "logs", tmp_path / "config", tmp_path / "xdg", tmp_path / "home",
                              tmp_path / "tmp"], planted.secrets, texts) > 0


def test_server_dies_mid_walk(qtbot, wizard: Wizard, walking: tuple[Planted, Proxy], wizard_log: Path,
                              private_tmp: Path, tmp_path: Path) -> None:
    planted, proxy = walking
    _collect_until_stalled(qtbot, wizard, planted, proxy)
    page = wizard.collect
    planted.server.kill()  # SIGKILL; the proxy closes the client side as the server's side goes
    qtbot.waitUntil(page.back_to_connection.isVisible, timeout=60_000)
    headline = page.headline.text()
    assert headline.startswith("The run stopped: lost the connection to the server"), headline
    assert "What to do: check that the server is up and reachable" in headline
    assert not page.isComplete() and wizard.state.result is None
    qtbot.waitUntil(lambda: not _readahead_threads(), timeout=20_000)
    assert not wizard.tasks.running
    assert sorted(private_tmp.iterdir()) == []
    assert not list(tmp_path.rglob("*.partial")) and not list(tmp_path.rglob("*.tgz"))
    assert "collection aborted: lost the connection" in wizard_log.read_text()
    page.back_to_connection.click()
    assert wizard.currentId() == PageId.CONNECTION
    _scan(planted, tmp_path, wizard)


def test_closing_the_window_mid_walk_joins_every_thread(qtbot, wizard: Wizard, walking: tuple[Planted, Proxy],
                                                        wizard_log: Path, private_tmp: Path, tmp_path: Path) -> None:
    planted, proxy = walking
    _collect_until_stalled(qtbot, wizard, planted, proxy)
    task = wizard.collect.task
    assert task is not None and task.isRunning()
    started = time.monotonic()
    wizard.reject()  # Escape / the window's close button: cancel, then join
    took = time.monotonic() - started
    assert task.isFinished() and not wizard.tasks.running
    assert took < 15, f"closing took {took:.1f} s"
    # the read-ahead thread is joined by the run's own clean-up, which the joined task waited for
    assert _readahead_threads() == []
    assert sorted(private_tmp.iterdir()) == []
    assert not list(tmp_path.rglob("*.partial")) and not list(tmp_path.rglob("*.tgz"))
    # the server saw both sessions go
    qtbot.waitUntil(lambda: proxy.open_connections == 0, timeout=20_000)
    assert "wizard closed" in wizard_log.read_text()
    _scan(planted, tmp_path, wizard)


def test_cancel_mid_walk_stops_both_sessions(qtbot, wizard: Wizard, walking: tuple[Planted, Proxy],
                                             wizard_log: Path, private_tmp: Path, tmp_path: Path) -> None:
    planted, proxy = walking
    _collect_until_stalled(qtbot, wizard, planted, proxy)
    page = wizard.collect
    task = page.task
    assert task is not None
    page.cancel_button.click()
    qtbot.waitUntil(task.isFinished, timeout=15_000)
    qtbot.waitUntil(lambda: "Cancelled" in page.headline.text(), timeout=5_000)
    assert not page.isComplete() and wizard.state.result is None
    assert _readahead_threads() == [] and not wizard.tasks.running
    qtbot.waitUntil(lambda: proxy.open_connections == 0, timeout=20_000)
    assert sorted(private_tmp.iterdir()) == []
    assert not list(tmp_path.rglob("*.partial")) and not list(tmp_path.rglob("*.tgz"))
    _scan(planted, tmp_path, wizard)
