"""What the Cloud account page's tests (AWS, Google, Azure) share: a connection spec for an address and the step
opened for it, a spy on which thread a call runs on, the rows of a tree, the files under a folder, the flow to the
step a detected platform offers, the Review page's sizing rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gui.qt import QApplication, QThread, QTreeWidget
from gui.state import PageId
from gui.wizard import Wizard
from tests.gui.conftest import to_options
from tests.servers import MariaDBServer


def spec_for_host(host: str) -> Any:
    from collectors.connection import ConnectionSpec

    return ConnectionSpec(host=host, port=3306, user="admin")


def open_the_cloud_step(wizard: Wizard, host: str) -> None:
    """The wizard started again on the Cloud account step, for a connection to ``host``."""
    wizard.state.spec = spec_for_host(host)
    wizard.setStartId(PageId.CLOUD)
    wizard.restart()


def calls_on_the_gui_thread(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[bool]:
    """Spy on ``owner.name``: one entry per call, True when it ran on the GUI thread."""
    app = QApplication.instance()
    assert app is not None
    threads: list[bool] = []
    original = getattr(owner, name)

    def spy(*args: Any) -> Any:
        threads.append(QThread.currentThread() is app.thread())
        return original(*args)

    monkeypatch.setattr(owner, name, spy)
    return threads


def tree_rows(tree: QTreeWidget) -> list[list[str]]:
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return [[item.text(c) for c in range(tree.columnCount())] for item in items if item is not None]


def file_texts(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


def collect_to_the_cloud_step(qtbot, wizard: Wizard, server: MariaDBServer, platform: str) -> Any:
    """Connect, collect, and go on to the Cloud account step the server's detected ``platform`` offers after Collect
    (the address says nothing); the page."""
    to_options(qtbot, wizard, server, server.host)
    wizard.next()
    assert wizard.currentId() == PageId.COLLECT
    qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
    assert wizard.state.result is not None and wizard.state.result.facts["server"]["platform"] == platform
    wizard.next()
    assert wizard.currentId() == PageId.CLOUD
    return wizard.cloud


def review_sizing(qtbot, wizard: Wizard) -> dict[str, list[str]]:
    """Next to Review, wait for it, and its sizing table: label -> [value, source, window]."""
    while wizard.currentId() != PageId.REVIEW:
        wizard.next()
    review = wizard.review
    qtbot.waitUntil(lambda: review.ready, timeout=60_000)
    return {row[0]: row[1:] for row in tree_rows(review.sizing)}
