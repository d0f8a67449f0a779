"""The wizard against real MariaDB servers (pytest-qt, offscreen)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from gui.logs import SecretFilter, setup_logging
from gui.pages.connection import KEYCHAIN_READING, KEYCHAIN_REFUSED, NO_KEYCHAIN, WAITING_FOR_KEYCHAIN
from gui.qt import QApplication, QThread, QTimer
from gui.settings import KEYRING_SERVICE, RecentConnection, Settings
from gui.state import PageId
from gui.wizard import Wizard
from gui.worker import TaskQueue, TaskRunner
from tests.conftest import InMemoryKeyring
from tests.gui.conftest import MakeWizard, fill_connection, save_through
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
    out = tmp_path / "out"
    target = out / "my_archive.tgz"
    save_through(qtbot, wizard, target)
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
        qtbot.waitUntil(lambda: page.keychain_note.text() == NO_KEYCHAIN)  # the keychain is asked in a worker
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
    qtbot.waitUntil(wizard.connection.remember.isEnabled)  # once the keychain has answered
    wizard.connection.remember.setChecked(True)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    key = (KEYRING_SERVICE, f"root@{mariadb.host}:{mariadb.port}")
    qtbot.waitUntil(lambda: in_memory_keyring.passwords.get(key) == mariadb.root_password)
    wizard.close()
    again = make_wizard()
    again.next()
    page = again.connection
    assert page.recent.count() == 2 and page.recent.isEnabled()
    page.recent.setCurrentIndex(1)
    page.recent.activated.emit(1)
    assert page.port.value() == mariadb.port  # the fields at once, the password when the keychain answers
    qtbot.waitUntil(lambda: page.password.text() == mariadb.root_password)
    assert page.remember.isChecked()


class RecordingKeyring(InMemoryKeyring):
    """A real keyring backend that notes the thread of every call and can hold a read, as a slow D-Bus
    or a keychain prompt would."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, threading.Thread]] = []
        self.reads_go = threading.Event()
        self.reads_go.set()

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(("get", threading.current_thread()))
        self.reads_go.wait(10)
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", threading.current_thread()))
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", threading.current_thread()))
        super().delete_password(service, username)


class RefusingKeyring(InMemoryKeyring):
    """A keychain that is there but will not store (locked, or the user denied the prompt)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


for _backend in (RecordingKeyring, RefusingKeyring):  # not for keyring's own backend detection
    getattr(KeyringBackend, "_classes", set()).discard(_backend)


def test_keychain_calls_run_off_the_gui_thread(qtbot, make_wizard: MakeWizard, mariadb: MariaDBServer,
                                               config_dir: Path) -> None:
    backend = RecordingKeyring()
    keyring.set_keyring(backend)  # the in_memory_keyring fixture puts the previous one back
    key = (KEYRING_SERVICE, f"root@{mariadb.host}:{mariadb.port}")
    backend.passwords[key] = mariadb.root_password
    Settings(config_dir).remember(RecentConnection(host=mariadb.host, port=mariadb.port, user="root"))
    wizard = make_wizard()
    wizard.next()
    page = wizard.connection
    qtbot.waitUntil(page.remember.isEnabled)

    backend.reads_go.clear()  # the keychain takes its time to answer
    page.recent.setCurrentIndex(1)
    page.recent.activated.emit(1)
    assert page.port.value() == mariadb.port and page.password.text() == ""  # the fields at once
    assert page.keychain_note.text() == KEYCHAIN_READING
    page.test_button.click()  # waits for the password instead of testing without it
    assert page.status.text() == WAITING_FOR_KEYCHAIN
    ticks: list[int] = []
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: ticks.append(1))
    heartbeat.start(10)
    qtbot.waitUntil(lambda: bool(backend.calls) and len(ticks) >= 10)  # the window goes on while the keychain reads
    heartbeat.stop()
    assert page.password.text() == "" and page._testing is None
    backend.reads_go.set()
    qtbot.waitUntil(lambda: page.password.text() == mariadb.root_password)
    assert page.remember.isChecked()
    qtbot.waitUntil(lambda: page.status.text().startswith("Connected"), timeout=20_000)  # then the test ran

    page.remember.setChecked(False)
    wizard.next()  # Next does not wait for the keychain: the password is removed in the background
    assert wizard.currentId() == PageId.OPTIONS
    qtbot.waitUntil(lambda: key not in backend.passwords)
    wizard.back()
    page.remember.setChecked(True)
    wizard.next()
    qtbot.waitUntil(lambda: backend.passwords.get(key) == mariadb.root_password)
    assert [kind for kind, _thread in backend.calls] == ["get", "delete", "set"]
    assert all(thread is not threading.main_thread() for _kind, thread in backend.calls)


def test_a_keychain_that_refuses_keeps_the_password_in_memory(qtbot, make_wizard: MakeWizard,
                                                              mariadb: MariaDBServer, config_dir: Path) -> None:
    keyring.set_keyring(RefusingKeyring())
    wizard = make_wizard()
    fill_connection(wizard, mariadb)
    page = wizard.connection
    qtbot.waitUntil(page.remember.isEnabled)
    page.remember.setChecked(True)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    qtbot.waitUntil(lambda: page.keychain_note.text() == KEYCHAIN_REFUSED)
    assert "kept in memory" in KEYCHAIN_REFUSED
    assert not page.remember.isChecked() and page.remember.isEnabled()  # the user may try again
    assert wizard.state.spec is not None and wizard.state.spec.password == mariadb.root_password
    for path in config_dir.rglob("*"):
        if path.is_file():
            assert mariadb.root_password not in path.read_text()


def test_closing_runs_the_queued_keychain_calls_in_a_worker(qtbot) -> None:
    runner = TaskRunner()
    calls = TaskQueue(runner)
    done: list[tuple[str, threading.Thread]] = []
    gate = threading.Event()

    def slow() -> None:
        gate.wait(5)
        done.append(("first", threading.current_thread()))

    calls.run(slow, success=lambda _value: None)
    calls.run(lambda: done.append(("queued", threading.current_thread())), success=lambda _value: None)
    assert calls.busy and not done
    threading.Timer(0.05, gate.set).start()
    calls.finish()  # the window closes: the first call ends, the queued one still runs, both off this thread
    runner.join_all()
    assert [name for name, _thread in done] == ["first", "queued"]
    assert all(thread is not threading.main_thread() for _name, thread in done)
    assert not runner.running


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


def test_screenshots_subprocess(tmp_path: Path) -> None:
    """--screenshots: one small PNG per page (the README shows them), every questionnaire section included."""
    from gui.qt import QImage
    from prechecks.questionnaire import load_questionnaire

    shots = tmp_path / "shots"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "gui.app", "--screenshots", str(shots)], capture_output=True,
                            text=True, env=env, cwd=REPO, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in shots.iterdir())
    assert names == sorted(Path(line).name for line in result.stdout.split())
    sections = [s.id for s in load_questionnaire().sections]
    assert names == [f"{n:02d}-{page}.png" for n, page in enumerate(
        ["welcome", "connection", "options", "collect", "findings", *(f"questionnaire-{s}" for s in sections),
         "attachments", "review", "save"])]
    for name in names:
        image = QImage(str(shots / name))
        assert (image.width(), image.height()) >= (800, 600), name
        assert (shots / name).stat().st_size <= 150_000, name
    # what the README shows: the wizard's pages, and report.html's two pictures (tests/test_report_html.py makes them)
    shown = {p.name for p in (REPO / "docs" / "screenshots").iterdir()}
    report_html = {"16-report-html.png", "17-report-html-charts.png"}
    assert shown - report_html == set(names) and report_html <= shown


@pytest.mark.parametrize("flag", ["--version"])
def test_version_flag(flag: str) -> None:
    from prechecks import __version__

    result = subprocess.run([sys.executable, "-m", "gui.app", flag], capture_output=True, text=True,
                            cwd=REPO, timeout=60, check=False)
    assert result.returncode == 0 and __version__ in result.stdout


def test_go_back_to_a_page_not_in_the_history_stops(qtbot, wizard: Wizard) -> None:
    """go_back_to goes back as far as the history goes (it looped for ever when the page was never visited)."""
    wizard.setStartId(PageId.ATTACHMENTS)
    wizard.restart()
    assert wizard.currentId() == PageId.ATTACHMENTS and wizard.visitedIds() == [PageId.ATTACHMENTS]
    wizard.go_back_to(PageId.CONNECTION)
    assert wizard.currentId() == PageId.ATTACHMENTS
