"""Page 7, Attachments: add (button path, drops on the list and on the page), caps, remove (pytest-qt, offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui.qt import QApplication, Qt, QtCore, QtGui, QUrl, QWidget
from gui.state import PageId
from gui.wizard import Wizard
from prechecks.attachments import Attachments
from tests.gui.submission_helpers import use_private_home


@pytest.fixture(autouse=True)
def private_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return use_private_home(monkeypatch, tmp_path / "home")


@pytest.fixture
def page(wizard: Wizard):
    wizard.setStartId(PageId.ATTACHMENTS)
    wizard.restart()
    assert wizard.currentId() == PageId.ATTACHMENTS
    return wizard.attachments


def _file(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def _names(page) -> list[str]:
    return [page.list.topLevelItem(i).text(0) for i in range(page.list.topLevelItemCount())]


def _drop(target: QWidget, urls: list[QUrl]) -> bool:
    """A drag entering ``target`` and dropping ``urls`` there, as the window system delivers it."""
    mime = QtCore.QMimeData()
    mime.setUrls(urls)
    where = QtCore.QPointF(target.rect().center())
    actions = Qt.DropAction.CopyAction
    enter = QtGui.QDragEnterEvent(target.rect().center(), actions, mime, Qt.MouseButton.LeftButton,
                                  Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QtGui.QDropEvent(where, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()


def test_add_by_the_api_path_shows_name_size_and_total(page, tmp_path: Path, wizard: Wizard) -> None:
    diagram = _file(tmp_path / "in", "diagram v2.png", b"\x89PNG\0" + bytes(range(256)) * 10)
    notes = _file(tmp_path / "in", "notes.txt", b"replicas behind a proxy\n")
    assert page.add_paths([diagram, notes]) == []
    assert _names(page) == ["diagram_v2.png", "notes.txt"]
    assert page.list.topLevelItem(0).text(1) == "2.6 kB"
    assert page.list.topLevelItem(1).text(2) == str(notes)
    assert [a.name for a in wizard.state.attachments] == ["diagram_v2.png", "notes.txt"]
    assert page.total.text().startswith("2 files, 2.6 kB of 100.0 MB allowed in all; at most 25.0 MB per file")
    assert "Added diagram_v2.png, notes.txt." in page.status.text()
    assert page.isComplete()  # optional page
    wizard.next()
    assert wizard.currentId() == PageId.REVIEW


def test_drop_file_urls_on_the_list_and_on_the_page(page, tmp_path: Path, wizard: Wizard) -> None:
    first = _file(tmp_path / "in", "slow.log", b"# Query_time: 12.5\n")
    second = _file(tmp_path / "in", "bill.pdf", b"%PDF-1.4\n")
    assert _drop(page.list.viewport(), [QUrl.fromLocalFile(str(first))])
    assert _names(page) == ["slow.log"]
    assert _drop(page, [QUrl.fromLocalFile(str(second)), QUrl("https://example.com/report.pdf"),
                        QUrl.fromLocalFile(str(tmp_path / "in"))])
    assert _names(page) == ["slow.log", "bill.pdf"]
    lines = page.status.text().splitlines()
    assert lines[0] == "Added bill.pdf."
    assert lines[1] == ("Not added: https://example.com/report.pdf: not a local file; save it first, then add the "
                        "saved file")
    assert lines[2] == f"Not added: attachment {tmp_path / 'in'}: not a file"
    assert [a.path for a in wizard.state.attachments] == [first, second]
    mime = QtCore.QMimeData()
    mime.setText("just text")
    enter = QtGui.QDragEnterEvent(QtCore.QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                  Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(page.list.viewport(), enter)
    assert not enter.isAccepted()  # only files are taken


def test_caps_reject_with_a_visible_message(qtbot, make_wizard, tmp_path: Path) -> None:
    wizard = make_wizard()
    wizard.state.attachments = Attachments(max_file_bytes=2000, max_total_bytes=3000)
    wizard.setStartId(PageId.ATTACHMENTS)
    wizard.restart()
    page = wizard.attachments
    small = _file(tmp_path / "in", "a.sql", b"x" * 1800)
    again = _file(tmp_path / "in", "b.sql", b"y" * 1800)
    big = _file(tmp_path / "in", "c.sql", b"z" * 2600)
    problems = page.add_paths([small, again, big])
    assert _names(page) == ["a.sql"]
    assert problems == [
        f"attachment {again} (1.8 kB) would bring the attachments to 3.6 kB, over the cap of 3.0 kB in all",
        f"attachment {big} is 2.6 kB, over the cap of 2.0 kB per file",
    ]
    assert page.status.isVisible()
    assert page.status.text().splitlines()[1:] == [f"Not added: {p}" for p in problems]
    assert page.total.text().startswith("1 file, 1.8 kB of 3.0 kB allowed in all; at most 2.0 kB per file")
    missing = page.add_paths([tmp_path / "gone.txt"])
    assert missing == [f"attachment {tmp_path / 'gone.txt'}: not a file"]
    assert _names(page) == ["a.sql"]


def test_remove_by_delete_key_and_by_button(qtbot, page, tmp_path: Path, wizard: Wizard) -> None:
    paths = [_file(tmp_path / "in", f"part{i}.txt", f"{i}\n".encode()) for i in range(3)]
    page.add_paths(paths)
    assert len(page.list.selectedItems()) == 3 and page.remove_button.isEnabled()  # the added ones
    page.list.clearSelection()
    assert not page.remove_button.isEnabled()
    page.list.setFocus()
    page.list.setCurrentItem(page.list.topLevelItem(1))
    assert page.remove_button.isEnabled()
    qtbot.keyClick(page.list, Qt.Key.Key_Delete)
    assert _names(page) == ["part0.txt", "part2.txt"]
    assert page.status.text() == "Removed part1.txt."
    assert page.list.currentItem().text(0) == "part2.txt"  # the keyboard stays on the list
    page.list.setCurrentItem(page.list.topLevelItem(0))
    page.remove_button.click()
    assert _names(page) == ["part2.txt"]
    assert [a.name for a in wizard.state.attachments] == ["part2.txt"]


def test_keyboard_and_accessible_names(qtbot, page, wizard: Wizard) -> None:
    for widget in (page.list, page.add_button, page.remove_button, page.total, page.status):
        assert widget.accessibleName()
    assert page.add_button.text() == "&Add files…" and page.remove_button.text() == "&Remove"
    page.list.setFocus()
    qtbot.keyClick(page.list, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.add_button
