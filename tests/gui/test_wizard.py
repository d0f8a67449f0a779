"""The wizard against real MariaDB servers (pytest-qt, offscreen)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from gui.logs import SecretFilter, setup_logging
from gui.pages.connection import NO_KEYCHAIN
from gui.qt import QApplication, Qt, QThread
from gui.settings import KEYRING_SERVICE, Settings
from gui.state import PageId
from gui.wizard import Wizard
from tests.gui.conftest import MakeWizard, fill_connection
from tests.helpers import REPO, read_archive
from tests.servers import MariaDBServer


def _temp_entries() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir() if "prechecks" in p.name and "demo" not in p.name}


def _row_state(page, index: int) -> str:
    row = page.table.topLevelItem(index)
    return row.text(1) if row is not None else ""


def _to_collect(qtbot, wizard: Wizard, server: MariaDBServer, sleep: int) -> None:
    fill_connection(wizard, server)
    wizard.next()  # tests the connection, then goes on by itself (root: nothing missing)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    wizard.options_page.sampling_interval.setValue(sleep)
    wizard.next()
    assert wizard.currentId() == PageId.COLLECT


def test_full_run_to_saved_tarball(qtbot, wizard: Wizard, mariadb: MariaDBServer, tmp_path: Path,
                                   config_dir: Path) -> None:
    threads: list[bool] = []
    _to_collect(qtbot, wizard, mariadb, sleep=1)
    page = wizard.collect
    original = page.on_event

    app = QApplication.instance()
    assert app is not None and page.task is not None

    def spy(event):
        threads.append(QThread.currentThread() is app.thread())
        original(event)

    page.task._progress = spy  # progress is delivered on the GUI thread
    assert not page.isComplete()
    qtbot.waitUntil(page.isComplete, timeout=90_000)
    assert threads and all(threads)
    assert "Done" in page.headline.text()
    assert wizard.state.result is not None
    assert page.table.topLevelItemCount() == len(wizard.state.result.results)
    wizard.next()
    assert wizard.currentId() == PageId.FINDINGS
    assert wizard.findings.verdict.text()
    assert wizard.findings.tree.topLevelItemCount() > 0
    while wizard.currentId() != PageId.SAVE:
        before = wizard.currentId()
        wizard.next()
        assert wizard.currentId() != before, f"stuck at {PageId(before).name}"
    out = tmp_path / "out"
    out.mkdir()
    target = out / "my_archive.tgz"
    wizard.save.path.setText(str(target))
    wizard.save.save_button.click()
    qtbot.waitUntil(lambda: wizard.state.archive is not None, timeout=30_000)
    assert wizard.save.isComplete()
    assert sorted(p.name for p in out.iterdir()) == ["my_archive.tgz"]  # no partial file left

    files = read_archive(target)
    ts = wizard.state.timestamp
    assert {"facts.json", "readiness.json", "manifest.json", f"ps_report_{ts}.md"} <= set(files)
    assert b"# Questionnaire" in files["freeform_questions.md"] or files["freeform_questions.md"].strip()
    facts = json.loads(files["facts.json"])
    assert facts["source"]["port"] == mariadb.port
    manifest = json.loads(files["manifest.json"])
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json"}
    for path, entry in listed.items():
        assert entry["size"] == len(files[path])
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()
    password = mariadb.root_password.encode()
    assert not any(password in data for data in files.values())
    recent = (config_dir / "recent-connections.json").read_text()
    assert mariadb.root_password not in recent
    assert json.loads(recent)[0]["port"] == mariadb.port


def test_cancel_during_collection(qtbot, wizard: Wizard, mariadb: MariaDBServer, tmp_path: Path) -> None:
    before = _temp_entries()
    _to_collect(qtbot, wizard, mariadb, sleep=600)
    page = wizard.collect
    task = page.task
    assert task is not None
    # wait until the run is inside the sampling interval (the first collectors have finished)
    qtbot.waitUntil(lambda: _row_state(page, 1) in ("ok", "skipped"), timeout=30_000)
    started = time.monotonic()
    page.cancel_button.click()
    qtbot.waitUntil(task.isFinished, timeout=5_000)
    assert time.monotonic() - started < 1.5
    qtbot.waitUntil(lambda: "Cancelled" in page.headline.text(), timeout=2_000)
    assert not page.isComplete()
    assert not wizard.tasks.running
    assert wizard.state.result is None and wizard.state.archive is None
    assert _temp_entries() <= before
    assert not list(tmp_path.rglob("*.tgz")) and not list(tmp_path.rglob("*.partial"))


def test_close_during_collection_joins_the_thread(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    _to_collect(qtbot, wizard, mariadb, sleep=600)
    task = wizard.collect.task
    assert task is not None and task.isRunning()
    started = time.monotonic()
    wizard.reject()  # Escape / the window's close button
    assert task.isFinished()
    assert time.monotonic() - started < 1.5


def test_lost_connection_offers_the_way_back(qtbot, wizard: Wizard, mariadb_factory) -> None:
    server = mariadb_factory()
    _to_collect(qtbot, wizard, server, sleep=5)
    page = wizard.collect
    qtbot.waitUntil(lambda: _row_state(page, 0) == "ok", timeout=30_000)
    server.kill()
    qtbot.waitUntil(page.back_to_connection.isVisible, timeout=30_000)
    assert "The run stopped" in page.headline.text() and "What to do" in page.headline.text()
    assert not page.isComplete()
    page.back_to_connection.click()
    assert wizard.currentId() == PageId.CONNECTION


def test_wrong_password_shows_the_remedy(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    fill_connection(wizard, mariadb, password="not-the-password-42")
    page = wizard.connection
    page.test_button.click()
    qtbot.waitUntil(lambda: page.status.text().startswith("Could not connect"), timeout=20_000)
    assert "access denied" in page.status.text()
    assert page.remedy.text().startswith("What to do:")
    assert "password" in page.remedy.text().lower()
    assert "not-the-password-42" not in page.status.text() + page.remedy.text()
    wizard.next()  # Next tests again and stays
    qtbot.waitUntil(lambda: page._testing is None, timeout=20_000)
    assert wizard.currentId() == PageId.CONNECTION


def test_no_keychain_keeps_the_password_in_memory(qtbot, mariadb: MariaDBServer, config_dir: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        wizard = Wizard(settings=Settings(config_dir))
        qtbot.addWidget(wizard)
        wizard.show()
        fill_connection(wizard, mariadb)
        page = wizard.connection
        assert page.keychain_note.text() == NO_KEYCHAIN
        assert not page.remember.isEnabled() and not page.remember.isChecked()
        wizard.next()
        qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
        assert wizard.state.spec is not None
        assert wizard.state.spec.password == mariadb.root_password  # in memory only
        for path in config_dir.rglob("*"):
            if path.is_file():
                assert mariadb.root_password not in path.read_text()
        wizard.close()
    finally:
        keyring.set_keyring(previous)


def test_keychain_remembers_and_refills(qtbot, make_wizard: MakeWizard, mariadb: MariaDBServer, in_memory_keyring
                                        ) -> None:
    wizard = make_wizard()
    fill_connection(wizard, mariadb)
    wizard.connection.remember.setChecked(True)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    key = (KEYRING_SERVICE, f"root@{mariadb.host}:{mariadb.port}")
    assert in_memory_keyring.passwords[key] == mariadb.root_password
    wizard.close()
    again = make_wizard()
    again.next()
    page = again.connection
    assert page.recent.count() == 2 and page.recent.isEnabled()
    page.recent.setCurrentIndex(1)
    page.recent.activated.emit(1)
    assert page.port.value() == mariadb.port
    assert page.password.text() == mariadb.root_password
    assert page.remember.isChecked()


def test_preflight_lists_missing_grants_for_a_usage_only_account(qtbot, wizard: Wizard, mariadb: MariaDBServer
                                                                 ) -> None:
    mariadb.create_user("gui_usage_only", "usage-pass-1")  # USAGE only
    try:
        fill_connection(wizard, mariadb, user="gui_usage_only", password="usage-pass-1")
        page = wizard.connection
        wizard.next()  # tests; with missing grants it stays to show them
        qtbot.waitUntil(lambda: page.preflight_box.isVisible() and page.preflight.topLevelItemCount() > 0,
                        timeout=20_000)
        assert wizard.currentId() == PageId.CONNECTION
        rows = [page.preflight.topLevelItem(i) for i in range(page.preflight.topLevelItemCount())]
        grants = [row.text(2) for row in rows if row is not None]
        assert "GRANT PROCESS ON *.* TO 'gui_usage_only'@'%';" in grants
        assert any(row.text(1) == "skipped" for row in rows if row is not None)
        assert "GRANT PROCESS ON *.* TO 'gui_usage_only'@'%';" in page.all_grants().splitlines()
        page.copy_all.click()
        assert "GRANT PROCESS" in QApplication.clipboard().text()
        wizard.next()  # the second Next goes on without them
        assert wizard.currentId() == PageId.OPTIONS
    finally:
        mariadb.admin("DROP USER 'gui_usage_only'@'%'")


def _tab_to(qtbot, wizard: Wizard, widget, limit: int = 60) -> None:
    for _ in range(limit):
        if QApplication.focusWidget() is widget:
            return
        qtbot.keyClick(QApplication.focusWidget() or wizard, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {widget.accessibleName() or widget}")


def _type(qtbot, widget, text: str) -> None:
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def test_keyboard_only_through_pages_1_to_5(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    wizard.activateWindow()
    wizard.setFocus()
    qtbot.keyClick(QApplication.focusWidget() or wizard, Qt.Key.Key_Return)
    assert wizard.currentId() == PageId.CONNECTION
    page = wizard.connection
    for widget, text in ((page.host_edit, mariadb.host), (page.port, str(mariadb.port)), (page.user, "root"),
                         (page.password, mariadb.root_password)):
        _tab_to(qtbot, wizard, widget)
        _type(qtbot, widget, text)
    assert page.port.value() == mariadb.port
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # Next: test, then on
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    options = wizard.options_page
    _tab_to(qtbot, wizard, options.sampling_interval)
    _type(qtbot, options.sampling_interval, "1")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert wizard.currentId() == PageId.COLLECT
    assert wizard.state.options.sleep == 1.0
    qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
    qtbot.keyClick(QApplication.focusWidget() or wizard, Qt.Key.Key_Return)
    assert wizard.currentId() == PageId.FINDINGS
    assert wizard.findings.verdict.text()


def test_inputs_have_accessible_names_and_labels(wizard: Wizard) -> None:
    page = wizard.connection
    for widget in (page.host_edit, page.port, page.socket_edit, page.user, page.password, page.tls_mode,
                   page.ssl_ca, wizard.options_page.sampling_interval, wizard.options_page.database_list):
        assert widget.accessibleName()


def test_log_filter_never_writes_the_password(tmp_path: Path) -> None:
    path = setup_logging(tmp_path)
    logger = logging.getLogger("ps_prechecks")
    handler = logger.handlers[-1]
    secret_filter = next(f for f in handler.filters if isinstance(f, SecretFilter))
    secret_filter.secrets = {"s3cr3t-Pa55"}
    try:
        logger.info("connecting with s3cr3t-Pa55 and password=other-one")
        try:
            raise ValueError("boom s3cr3t-Pa55")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = path.read_text()
    assert "s3cr3t-Pa55" not in text and "other-one" not in text
    assert "<redacted>" in text and "boom" in text


def test_self_test_subprocess() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "gui.app", "--self-test"], capture_output=True, text=True,
                            env=env, cwd=REPO, timeout=60, check=False)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "self-test: ok" in result.stdout
    assert took < 10


@pytest.mark.parametrize("flag", ["--version"])
def test_version_flag(flag: str) -> None:
    from prechecks import __version__

    result = subprocess.run([sys.executable, "-m", "gui.app", flag], capture_output=True, text=True,
                            cwd=REPO, timeout=60, check=False)
    assert result.returncode == 0 and __version__ in result.stdout
