"""A crash never vanishes: an exception that escapes a Qt slot (PySide6 hands it to sys.excepthook), a Python
thread (threading.excepthook) or a background task (gui.worker, for a bug rather than a failure the page
explains) is written to the wizard's log with its traceback and shown in a dialog: what happened in one line,
the traceback with the secrets scrubbed, where the log is, and Copy details, Close and Quit. On Windows the
wizard has no console: without this an error there left no trace at all.

After qutebrowser's crash handling (misc/crashsignal.py, misc/crashdialog.py, earlyinit's excepthook): the
details are gathered section by section, each on its own, so gathering never fails; one dialog at a time (the
errors that follow while it is open are counted, each is in the log); the hook only logs and posts, the dialog
is built later on the GUI thread, and a dialog that cannot be built is logged, never retried in a loop.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from collectors.errors import scrub
from collectors.redact import scrub_text
from gui.logs import SECRETS
from gui.qt import (
    QApplication,
    QFontDatabase,
    QLabel,
    QObject,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QtGui,
    QtWidgets,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)
from prechecks import __version__

log = logging.getLogger("ps_prechecks.gui.crash")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
SUMMARY_CHARS = 300


@dataclass(frozen=True)
class Crash:
    """One unexpected error, scrubbed: `summary` is one line (type and message), `details` every section."""

    summary: str
    details: str


def scrubbed(text: str, secrets: Iterable[str]) -> str:
    """`text` without the secrets the wizard knows, nor anything shaped like password=... (as the log's filter)."""
    known = sorted(secrets)
    return scrub(scrub_text(text, known), known)


def _section(title: str, gather: Callable[[], str]) -> str:
    try:
        body = gather()
    except Exception as exc:  # gathering never fails: the section says why it is missing
        body = f"(could not be gathered: {type(exc).__name__}: {exc})"
    return f"== {title} ==\n{body.rstrip()}\n"


def _versions() -> str:
    from gui.qt import QtCore

    return (f"ps-prechecks {__version__}, Python {platform.python_version()}, Qt {QtCore.qVersion()}, "
            f"{platform.platform()}")


def _summary(exc_info: ExcInfo) -> str:
    exc_type, exc, _tb = exc_info
    message = str(exc).strip().splitlines()
    line = f"{exc_type.__name__}: {message[0]}" if message else exc_type.__name__
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "…"


def gather(exc_info: ExcInfo, thread: str, log_file: Path | None, secrets: Iterable[str]) -> Crash:
    """The crash's summary and details, scrubbed of `secrets`; every part that cannot be had says so instead."""
    known = list(secrets)
    try:
        summary = _summary(exc_info)
    except Exception:
        summary = getattr(exc_info[0], "__name__", "unknown error")
    details = "\n".join([
        _section("Error", lambda: "".join(traceback.format_exception(*exc_info))),
        _section("Thread", lambda: thread),
        _section("Versions", _versions),
        _section("Log file", lambda: str(log_file) if log_file is not None else "(none: not logging to a file)"),
    ])
    return Crash(scrubbed(summary, known), scrubbed(details, known))


class CrashDialog(QtWidgets.QDialog):
    """What happened, where the log is, the details (collapsed), Copy details, Quit and Close."""

    def __init__(self, crash: Crash, log_file: Path | None, quit_app: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.crash = crash
        self.more = 0
        self.setWindowTitle("ps-prechecks: unexpected error")
        self.headline = QLabel(f"The wizard hit an unexpected error (a bug in ps-prechecks): {crash.summary}")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        bold = self.headline.font()
        bold.setBold(True)
        self.headline.setFont(bold)
        self.remedy = QLabel("It may keep working: finish or save what you can, and Quit and start it again if it "
                             "misbehaves. Copy the details into your report to whoever gave you ps-prechecks.")
        self.remedy.setWordWrap(True)
        where = (f"The details are also in the log: {log_file}" if log_file is not None
                 else "The details were printed on the terminal (no log file).")
        self.log_label = QLabel(where)
        self.log_label.setWordWrap(True)
        self.log_label.setTextFormat(Qt.TextFormat.PlainText)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                               | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.more_label = QLabel()
        self.more_label.setVisible(False)
        self.details = QPlainTextEdit(crash.details)
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setVisible(False)
        self.details.setAccessibleName("Error details")
        buttons = QtWidgets.QDialogButtonBox(self)
        self.details_button = QPushButton("Show &details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._show_details)
        self.copy_button = QPushButton("&Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        self.quit_button = QPushButton("&Quit")
        self.quit_button.clicked.connect(quit_app)
        buttons.addButton(self.details_button, QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.quit_button, QtWidgets.QDialogButtonBox.ButtonRole.DestructiveRole)
        self.close_button = buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.close_button.setDefault(True)
        buttons.rejected.connect(self.reject)
        self._layout = QVBoxLayout(self)
        for widget in (self.headline, self.remedy, self.log_label, self.more_label, self.details):
            self._layout.addWidget(widget)
        self._layout.addWidget(buttons)
        self.resize(720, 200)

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if not self.details.isVisible():
            self._compact()

    def _compact(self) -> None:
        """As tall as the wrapped text needs, at least 720 px wide (the sizes are right once shown: styled)."""
        width = max(self.width(), 720)
        self.resize(width, self._layout.totalHeightForWidth(width))

    def _show_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setText("Hide &details" if shown else "Show &details")
        if shown:
            self.resize(max(self.width(), 900), max(self.height(), 560))
        else:
            self._compact()

    def copy_details(self) -> None:
        QApplication.clipboard().setText(self.crash.details)
        self.copy_button.setText("&Copied")

    def count_another(self) -> None:
        """Another unexpected error while this dialog is open: counted here, its details are in the log."""
        self.more += 1
        self.more_label.setText(f"{self.more} more unexpected error{'s' if self.more > 1 else ''} since this one; "
                                "each is in the log.")
        if not self.more_label.isVisible():
            self.more_label.setVisible(True)
            if not self.details.isVisible():
                self._compact()


def quit_application() -> None:
    """Close every window (the wizard joins its threads as it closes), then leave the event loop."""
    QApplication.closeAllWindows()
    QApplication.quit()


Hook = Callable[[type[BaseException], BaseException, TracebackType | None], object]
ThreadHook = Callable[[threading.ExceptHookArgs], object]


class CrashHandler(QObject):
    """Installed once by the wizard (`install`); the hooks may run on any thread, the dialog is shown on the
    GUI thread through a queued signal."""

    _crashed = Signal(object)  # a Crash

    def __init__(self, log_file: Path | None, *, secrets: Callable[[], Iterable[str]] | None = None,
                 quit_app: Callable[[], None] = quit_application, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self._secrets = secrets or (lambda: SECRETS.secrets)
        self._quit = quit_app
        self.dialog: CrashDialog | None = None
        self.dialogs_shown = 0
        self._previous: tuple[Hook, ThreadHook] | None = None
        self._crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> CrashHandler:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        return self

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    # -- the hooks (any thread) -------------------------------------------------------------------------
    def excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        self.handle((exc_type, exc, tb), threading.current_thread().name)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:  # as Python's own hook: a thread that calls sys.exit() is no error
            return
        exc = args.exc_value if args.exc_value is not None else args.exc_type()
        self.handle((args.exc_type, exc, args.exc_traceback), args.thread.name if args.thread else "unknown")

    def handle(self, exc_info: ExcInfo, thread: str) -> None:
        """Log the error with its traceback and post it to the GUI thread. Never raises: if this fails,
        Python's own hook prints the original error."""
        try:
            if issubclass(exc_info[0], KeyboardInterrupt):  # Ctrl+C on the terminal: no bug to report
                sys.__excepthook__(*exc_info)
                return
            crash = gather(exc_info, thread, self.log_file, self._secrets())
            log.error("unexpected error: %s\n%s", crash.summary, crash.details)
            if sys.stderr is not None:  # None in the windowed Windows and macOS builds
                print(crash.details, file=sys.stderr, flush=True)
            self._crashed.emit(crash)
        except Exception:
            sys.__excepthook__(*exc_info)

    # -- the dialog (GUI thread) -------------------------------------------------------------------------
    @Slot(object)
    def _show(self, crash: Crash) -> None:
        """One dialog at a time; never raises (an exception here would come back through the hook)."""
        try:
            if self.dialog is not None:
                self.dialog.count_another()
                return
            dialog = CrashDialog(crash, self.log_file, self._quit)
            dialog.finished.connect(self._closed)
            self.dialog = dialog
            self.dialogs_shown += 1
            dialog.show()
            dialog.raise_()
            dialog.activateWindow()
        except Exception:
            self.dialog = None
            log.exception("the crash dialog could not be shown; the error is in the log above")  # logging never raises

    @Slot()
    def _closed(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()


def install(log_file: Path | None, parent: QObject | None = None) -> CrashHandler:
    """The wizard's crash handler, on sys.excepthook and threading.excepthook."""
    return CrashHandler(log_file, parent=parent).install()
