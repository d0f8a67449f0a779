"""A crash never vanishes: an exception escaping a slot, a Python thread or a background task shows the crash
dialog (one at a time, the rest counted) and goes into the wizard's log with its traceback, secrets scrubbed.

pytest-qt fails a test on an exception escaping a slot by installing its own sys.excepthook; these tests
switch that off with its documented marker, qt_no_exception_capture, so the wizard's hook sees them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui import crash
from gui.crash import CrashHandler
from gui.logs import setup_logging
from gui.qt import QApplication, QPushButton, Qt
from gui.worker import TaskRunner
from tests.gui.conftest import wizard_log_handlers

pytestmark = pytest.mark.qt_no_exception_capture

PLANTED = "Pl4nted-s3cret-9f2"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The wizard's log as the app sets it up (with the secret filter), in tmp_path/logs."""
    with wizard_log_handlers({PLANTED}):
        yield setup_logging(tmp_path / "logs")


@pytest.fixture
def quits() -> list[str]:
    return []


@pytest.fixture
def handler(qtbot, log_file: Path, quits: list[str]) -> Iterator[CrashHandler]:
    installed = CrashHandler(log_file, quit_app=lambda: quits.append("quit")).install()
    try:
        yield installed
    finally:
        installed.uninstall()
        if installed.dialog is not None:
            installed.dialog.close()


@pytest.fixture
def faulty_button(qtbot) -> QPushButton:
    """A button whose slot has a bug, with the planted secret in the exception's message."""
    button = QPushButton("Check")
    qtbot.addWidget(button)

    def check_the_answer() -> None:
        raise RuntimeError(f"could not parse the answer for {PLANTED}")

    button.clicked.connect(check_the_answer)
    return button


def shown(handler: CrashHandler) -> bool:
    return handler.dialog is not None and handler.dialog.isVisible()


def test_an_error_in_a_slot_shows_what_happened_and_where_the_log_is(
        qtbot, handler: CrashHandler, faulty_button: QPushButton, log_file: Path, quits: list[str]) -> None:
    qtbot.mouseClick(faulty_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(handler))
    dialog = handler.dialog
    assert dialog is not None
    assert "unexpected error" in dialog.headline.text()
    assert "RuntimeError: could not parse the answer for <redacted>" in dialog.headline.text()
    assert dialog.log_label.text() == f"The details are also in the log: {log_file}"
    details = dialog.details.toPlainText()
    assert "Traceback (most recent call last)" in details
    assert "in check_the_answer" in details
    assert "== Versions ==\nps-prechecks " in details
    assert not dialog.details.isVisible()  # collapsed until asked for
    dialog.details_button.click()
    assert dialog.details.isVisible()
    for text in (dialog.headline.text(), details):
        assert PLANTED not in text
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == details
    logged = log_file.read_text(encoding="utf-8")
    assert "ERROR ps_prechecks.gui.crash: unexpected error: RuntimeError" in logged
    assert "Traceback (most recent call last)" in logged and "in check_the_answer" in logged
    assert PLANTED not in logged
    dialog.quit_button.click()
    assert quits == ["quit"]


def test_a_bug_in_a_background_task_reaches_the_same_dialog(qtbot, handler: CrashHandler, log_file: Path,
                                                            tmp_path: Path) -> None:
    runner = TaskRunner()
    failures: list[BaseException] = []
    try:
        # an expected failure (a file that is not there): the page says it, no dialog
        runner.run_in_background(lambda _task: (tmp_path / "missing").read_bytes(), success=lambda _v: None,
                                 failure=failures.append)
        qtbot.waitUntil(lambda: len(failures) == 1)

        def buggy(_task: object) -> None:
            raise TypeError(f"cannot summarise the run of {PLANTED}")

        runner.run_in_background(buggy, success=lambda _v: None, failure=failures.append)
        qtbot.waitUntil(lambda: shown(handler))
    finally:
        runner.join_all()
    dialog = handler.dialog
    assert dialog is not None
    assert len(failures) == 2  # the page's failure callback ran too: it is usable again
    assert isinstance(failures[0], FileNotFoundError) and isinstance(failures[1], TypeError)
    assert "TypeError: cannot summarise the run of <redacted>" in dialog.headline.text()
    assert dialog.more == 0  # the expected failure was not counted as an error
    details = dialog.details.toPlainText()
    assert "in buggy" in details and "worker.py" in details
    assert PLANTED not in details
    logged = log_file.read_text(encoding="utf-8")
    assert "unexpected error: TypeError" in logged and "in buggy" in logged
    assert "FileNotFoundError" not in logged  # expected: the page's business, not a crash
    assert PLANTED not in logged


def test_an_error_in_a_python_thread_reaches_the_same_dialog(qtbot, handler: CrashHandler, log_file: Path) -> None:
    def read_ahead() -> None:
        raise KeyError(f"schema {PLANTED}")

    thread = threading.Thread(target=read_ahead, name="ps-prechecks-test-thread")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: shown(handler))
    dialog = handler.dialog
    assert dialog is not None
    assert "KeyError: 'schema <redacted>'" in dialog.headline.text()
    details = dialog.details.toPlainText()
    assert "== Thread ==\nps-prechecks-test-thread" in details and "in read_ahead" in details
    assert PLANTED not in details
    assert "in read_ahead" in log_file.read_text(encoding="utf-8")


def test_fifty_errors_show_one_dialog_and_count_the_rest(qtbot, handler: CrashHandler, faulty_button: QPushButton,
                                                         log_file: Path) -> None:
    for _ in range(50):
        qtbot.mouseClick(faulty_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.more == 49)
    dialog = handler.dialog
    assert dialog is not None
    assert handler.dialogs_shown == 1
    assert dialog.more_label.isVisible()
    assert dialog.more_label.text() == "49 more unexpected errors since this one; each is in the log."
    assert log_file.read_text(encoding="utf-8").count("unexpected error: RuntimeError") == 50
    dialog.close_button.click()
    qtbot.waitUntil(lambda: handler.dialog is None)
    qtbot.mouseClick(faulty_button, Qt.MouseButton.LeftButton)  # closed: the next error has a dialog again
    qtbot.waitUntil(lambda: shown(handler))
    assert handler.dialogs_shown == 2
    assert handler.dialog is not None and handler.dialog.more == 0


def test_an_error_in_the_dialog_itself_is_counted_not_shown_again(qtbot, handler: CrashHandler,
                                                                  faulty_button: QPushButton) -> None:
    qtbot.mouseClick(faulty_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(handler))
    dialog = handler.dialog
    assert dialog is not None

    def broken_copy() -> None:
        raise RuntimeError("the clipboard is gone")

    dialog.copy_button.clicked.connect(broken_copy)
    dialog.copy_button.click()
    qtbot.waitUntil(lambda: dialog.more == 1)
    assert handler.dialog is dialog and handler.dialogs_shown == 1


def test_a_dialog_that_cannot_be_built_is_logged_once_per_error(qtbot, handler: CrashHandler,
                                                                faulty_button: QPushButton, log_file: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[str] = []

    def broken_dialog(crash_info: crash.Crash, *_args: object) -> crash.CrashDialog:
        attempts.append(crash_info.summary)
        raise RuntimeError("no screen for the dialog")

    monkeypatch.setattr(crash, "CrashDialog", broken_dialog)
    qtbot.mouseClick(faulty_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "the crash dialog could not be shown" in log_file.read_text(encoding="utf-8"))
    for _ in range(3):  # a failure that came back through the hook would be posted again, and tried again
        QApplication.processEvents()
    assert attempts == ["RuntimeError: could not parse the answer for <redacted>"]
    assert handler.dialog is None
    logged = log_file.read_text(encoding="utf-8")
    assert "RuntimeError: no screen for the dialog" in logged
    assert logged.count("unexpected error:") == 1


def test_the_wizard_installs_the_handler_with_its_log(qtbot, tmp_path: Path, faulty_button: QPushButton,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """gui.app.run: the log set up, the hook installed before the event loop runs (the window and the loop
    stand-ins: the test's own widget and a loop that clicks the faulty button)."""
    import sys

    from gui import app as wizard_app
    from gui import logs, wizard
    from gui.qt import QWidget

    log_dir = tmp_path / "logs"
    real_setup = logs.setup_logging
    monkeypatch.setattr(logs, "setup_logging", lambda: real_setup(log_dir))
    monkeypatch.setattr(wizard, "Wizard", QWidget)
    seen: dict[str, object] = {}

    def event_loop(application: QApplication) -> int:
        handlers = application.findChildren(CrashHandler)
        seen["handlers"] = handlers
        faulty_button.click()
        qtbot.waitUntil(lambda: handlers[0].dialog is not None)
        seen["where"] = handlers[0].dialog.log_label.text()  # type: ignore[union-attr]
        handlers[0].dialog.close()  # type: ignore[union-attr]
        return 0

    monkeypatch.setattr(QApplication, "exec", event_loop)
    previous = sys.excepthook, threading.excepthook
    try:
        with wizard_log_handlers():
            assert wizard_app.run(demo=False) == 0
    finally:
        sys.excepthook, threading.excepthook = previous
        application = QApplication.instance()
        assert application is not None
        for handler in application.findChildren(CrashHandler):
            handler.setParent(None)
            handler.deleteLater()
    assert len(seen["handlers"]) == 1  # type: ignore[arg-type]
    assert seen["where"] == f"The details are also in the log: {log_dir / 'wizard.log'}"
    assert "in check_the_answer" in (log_dir / "wizard.log").read_text(encoding="utf-8")
