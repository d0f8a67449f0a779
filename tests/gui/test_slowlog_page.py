"""Page 7, Attachments: "Add slow query log…" reads the log in the background, shows what it gave, and only
its digest reaches the archive that Review prepares and Save writes (pytest-qt, offscreen, a real MariaDB)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui.qt import QFileDialog
from gui.state import PageId
from gui.wizard import Wizard
from prechecks.slowlog import DIGEST_JSON, DIGEST_MD
from tests.gui.submission_helpers import collected, open_at, prepared_files, use_private_home
from tests.servers import MariaDBServer
from tests.test_slowlog import PLANTED, write_sample


@pytest.fixture(autouse=True)
def private_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return use_private_home(monkeypatch, tmp_path / "home")


def _rows(page) -> list[tuple[str, str, str]]:
    return [tuple(page.list.topLevelItem(i).text(c) for c in range(3)) for i in range(page.list.topLevelItemCount())]


def test_add_slow_query_log_puts_only_its_digest_in_the_archive(qtbot, wizard: Wizard, mariadb: MariaDBServer,
                                                                  tmp_path: Path, monkeypatch) -> None:
    open_at(wizard, collected(mariadb), PageId.ATTACHMENTS)
    page = wizard.attachments
    log = write_sample(tmp_path / "in")
    # the button path: the file dialog answers with the sample
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args, **_kw: (str(log), ""))
    page.slow_log_button.click()
    assert not page.slow_log_button.isEnabled()  # one read at a time
    qtbot.waitUntil(lambda: bool(wizard.state.slow_logs), timeout=30_000)
    assert page.slow_log_button.isEnabled()
    status = page.status.text()
    assert "mysql-slow.log: 7 statements, 5 fingerprints, 0 unparsed" in status
    assert f"Only the digest ({DIGEST_MD}, {DIGEST_JSON}) goes into the archive, not the file." in status
    (name, summary, source), = _rows(page)
    assert name == f"mysql-slow.log (digest only: {DIGEST_MD}, {DIGEST_JSON})"
    assert summary.startswith("7 statements, 5 fingerprints, 0 unparsed") and source == str(log)
    assert list(wizard.state.attachments) == []  # the file is not an attachment

    wizard.next()
    assert wizard.currentId() == PageId.REVIEW
    qtbot.waitUntil(lambda: wizard.review.ready, timeout=30_000)
    files = prepared_files(wizard)
    assert DIGEST_MD in files and DIGEST_JSON in files
    assert "SELECT * FROM `orders` WHERE `customer_email` = ? AND `id` = ?" in files[DIGEST_MD].decode()
    assert not any(path.startswith("attachments/") for path in files)
    for path, data in files.items():
        text = data.decode("utf-8", "replace")
        for literal in PLANTED:
            assert literal not in text, (literal, path)

    # removed again: no digest in what Review prepares
    wizard.back()
    assert wizard.currentId() == PageId.ATTACHMENTS
    item = page.list.topLevelItem(0)
    assert item is not None
    item.setSelected(True)
    page.remove_selected()
    assert wizard.state.slow_logs == [] and _rows(page) == []
    assert "Removed the digest of mysql-slow.log." in page.status.text()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.review.ready, timeout=30_000)
    assert DIGEST_MD not in prepared_files(wizard)


def test_a_file_that_is_not_a_slow_log_is_not_added(qtbot, wizard: Wizard, tmp_path: Path) -> None:
    wizard.setStartId(PageId.ATTACHMENTS)
    wizard.restart()
    page = wizard.attachments
    notes = write_sample(tmp_path / "in", "replicas behind a proxy\n", "notes.txt")
    page.add_slow_log(notes)
    qtbot.waitUntil(lambda: page.status.text().startswith("Not added:"), timeout=30_000)
    assert "does not look like a MySQL/MariaDB slow query log" in page.status.text()
    assert wizard.state.slow_logs == [] and page.slow_log_button.isEnabled()
    page.add_slow_log(tmp_path / "missing.log")
    qtbot.waitUntil(lambda: "no such file" in page.status.text(), timeout=30_000)
