"""The Welcome page's docs/facts.md link shows the document shipped with the app, from the source tree and
from an installer's folder (PyInstaller's sys._MEIPASS)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gui.pages.welcome import DocumentDialog, document_path
from gui.qt import QApplication, QDesktopServices, QObject, Qt, Slot
from gui.state import PageId
from gui.wizard import Wizard

REPO = Path(__file__).resolve().parents[2]


class Opened(QObject):
    """Stands in for the desktop's browser and file viewer: records each URL the wizard asks to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot("QUrl")
    def open(self, url) -> None:
        self.urls.append(url.toString())


def first_heading(path: Path) -> str:
    return next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# "))[2:]


def test_the_facts_link_shows_the_shipped_document(qtbot, wizard: Wizard) -> None:
    assert wizard.currentId() == PageId.WELCOME
    opened = Opened()
    for scheme in ("file", "http", "https"):
        QDesktopServices.setUrlHandler(scheme, opened, "open")  # type: ignore[arg-type]  # the stub says bytes; PySide 6.12 takes only str
    try:
        page = wizard.welcome
        wizard.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
        for _ in range(20):  # Tab to the link, as a keyboard user would (the link shows selected); Return follows it
            if QApplication.focusWidget() is page.collected and page.collected.selectedText() == "docs/facts.md":
                break
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        else:
            raise AssertionError("Tab never reached the docs/facts.md link")
        qtbot.keyClick(page.collected, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.facts_dialog is not None and page.facts_dialog.isVisible())
    finally:
        for scheme in ("file", "http", "https"):
            QDesktopServices.unsetUrlHandler(scheme)
    assert wizard.currentId() == PageId.WELCOME  # Return followed the link; it did not press Next
    assert opened.urls == []  # nothing handed to a browser (the repository has no such page)
    dialog = page.facts_dialog
    assert dialog is not None
    text = dialog.browser.toPlainText()
    assert first_heading(REPO / "docs" / "facts.md") in text  # "facts.json — format_version 1"
    assert "| key |" not in text  # rendered as Markdown: the table is a table, not pipes
    assert "server.flavor_evidence" in text
    dialog.close()


def test_the_document_resolves_in_the_source_tree_and_in_an_installer_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert document_path("facts.md") == REPO / "docs" / "facts.md"
    assert document_path("facts.md").is_file()
    bundle = tmp_path / "ps-prechecks-wizard" / "_internal"  # PyInstaller 6's one-folder layout
    (bundle / "docs").mkdir(parents=True)
    (bundle / "docs" / "facts.md").write_text("# Frozen facts\n", encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert document_path("facts.md") == bundle / "docs" / "facts.md"


def test_a_missing_document_says_so_and_what_to_do(qtbot, tmp_path: Path) -> None:
    dialog = DocumentDialog(tmp_path / "docs" / "facts.md")
    qtbot.addWidget(dialog)
    text = dialog.browser.toPlainText()
    assert text.startswith(f"Could not read {tmp_path / 'docs' / 'facts.md'} (No such file or directory)")
    assert "reinstall ps-prechecks" in text
