"""Page 9, Save: default place, then the folder, the e-mail text and the upload form (pytest-qt, offscreen,
a real MariaDB)."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest

from gui.qt import QApplication, QDesktopServices, QObject, Qt, QUrl, Slot
from gui.state import PageId
from gui.wizard import Wizard
from prechecks.summary import ArchiveFile, email_text
from tests.gui.submission_helpers import collected, open_at, prepared_files, use_private_home
from tests.helpers import REPO, read_archive
from tests.servers import MariaDBServer


@pytest.fixture(autouse=True)
def private_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return use_private_home(monkeypatch, tmp_path / "home")


class OpenedUrls(QObject):
    """Takes the URLs QDesktopServices.openUrl would hand to the desktop (Qt's own URL-handler hook)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened():
    receiver = OpenedUrls()
    for scheme in ("https", "file"):
        QDesktopServices.setUrlHandler(scheme, receiver, "open")  # type: ignore[arg-type]  # str at run time
    yield receiver
    for scheme in ("https", "file"):
        QDesktopServices.unsetUrlHandler(scheme)


def _save_default(qtbot, wizard: Wizard) -> Path:
    page = wizard.save
    page.save_button.click()
    qtbot.waitUntil(lambda: wizard.state.archive is not None, timeout=30_000)
    assert wizard.state.archive is not None
    return wizard.state.archive


def test_default_place_then_email_text_and_upload_page(qtbot, wizard: Wizard, mariadb: MariaDBServer,
                                                       private_home: Path, opened: OpenedUrls) -> None:
    open_at(wizard, collected(mariadb), PageId.SAVE)
    page = wizard.save
    expected = private_home / "Documents" / f"ps_archive_{wizard.state.timestamp}.tgz"
    assert page.path.text() == str(expected)
    qtbot.waitUntil(page.save_button.isDefault)
    after = (page.open_folder, page.copy_email, page.open_upload)
    assert not any(button.isEnabled() for button in after)  # only after a successful save
    assert not page.isComplete()

    path = _save_default(qtbot, wizard)
    assert path == expected and page.isComplete()
    assert all(button.isEnabled() for button in after)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest in page.status.text()

    QApplication.clipboard().clear()
    page.copy_email.click()
    text = QApplication.clipboard().text()
    assert text == email_text(read_archive(path), ArchiveFile.of(path))
    assert f"Archive: {path.name}, " in text and f"SHA-256: {digest}" in text
    assert "Server: MariaDB " in text
    assert mariadb.root_password not in text
    assert "copied" in page.sent_status.text()

    page.open_upload.click()
    page.open_folder.click()
    links = tomllib.loads((REPO / "resources" / "links.toml").read_text())
    assert [u.toString() for u in opened.urls] == [links["upload_url"], QUrl.fromLocalFile(str(path.parent)).toString()]
    assert page.open_upload.toolTip() == links["upload_url"]
    assert links["upload_url"] in page.upload_link.text()
    assert opened.urls[0].host() == "docs.google.com" and opened.urls[0].path().startswith("/forms/")
    assert page.upload_link.text().startswith("Technical questionnaire form (upload the archive at its end): ")
    assert "solutions rep" in page.status.text() and "questionnaire form" in page.status.text()  # both ways


def test_a_change_after_saving_asks_to_save_again(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    open_at(wizard, collected(mariadb), PageId.REVIEW)
    qtbot.waitUntil(lambda: wizard.review.ready, timeout=30_000)
    wizard.next()
    first = _save_default(qtbot, wizard)
    page = wizard.save
    wizard.back()
    wizard.review.redaction.boxes["ips"].click()
    qtbot.waitUntil(lambda: wizard.review.ready, timeout=30_000)
    wizard.next()
    assert "save again" in page.status.text()
    assert wizard.state.archive is None and not page.isComplete()
    assert not page.copy_email.isEnabled()
    qtbot.waitUntil(page.save_button.isDefault)
    assert page.path.text() == str(first)
    again = _save_default(qtbot, wizard)
    assert again == first
    assert read_archive(again) == prepared_files(wizard)
    assert page.copy_email.isEnabled()
    assert "ip addresses" in page.email_text()


def test_keyboard_and_accessible_names(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    open_at(wizard, collected(mariadb), PageId.SAVE)
    page = wizard.save
    for widget in (page.path, page.choose, page.save_button, page.open_folder, page.copy_email, page.open_upload,
                   page.status, page.sent_status, page.upload_link):
        assert widget.accessibleName()
    mnemonics = [b.text() for b in (page.save_button, page.open_folder, page.copy_email, page.open_upload)]
    letters = [t[t.index("&") + 1].lower() for t in mnemonics]
    assert len(set(letters)) == len(letters)
    qtbot.waitUntil(page.save_button.isDefault)
    page.path.setFocus()
    qtbot.keyClick(page.path, Qt.Key.Key_Return)  # Enter saves: the default button
    qtbot.waitUntil(lambda: wizard.state.archive is not None, timeout=30_000)
    assert QApplication.focusWidget() is page.copy_email
