"""Background work for the wizard, after Anki's QueryOp: one call runs an op off the GUI thread and
hands its result (or exception) back to callbacks that run on the GUI thread.

Widgets are only ever touched by those callbacks. A QThread destroyed while running aborts the
process, so every task is joined when it ends and `join_all()` is called before the window goes.
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from collections.abc import Callable
from typing import Any

from collectors.connection import CancelToken
from collectors.runner import ProgressEvent
from gui.qt import QObject, QThread, Signal, Slot

log = logging.getLogger("ps_prechecks.gui")

# What a bug in ps-prechecks raises, as opposed to what a server, a network, a disk or the DBA's input causes
# (ConnectionFailed, RunAborted, OSError, the driver's errors, ValueError for input): the page still says it
# failed, and the bug also goes to sys.excepthook, the wizard's crash dialog (gui/crash.py), with its traceback.
BUGS: tuple[type[BaseException], ...] = (
    AssertionError, AttributeError, ImportError, LookupError, NameError, NotImplementedError, RecursionError,
    SyntaxError, SystemError, TypeError, ZeroDivisionError,
)


def is_bug(exc: BaseException) -> bool:
    return isinstance(exc, BUGS)


def report_bug(exc: BaseException) -> None:
    """On the GUI thread: the same path as an exception escaping a slot (the crash handler, once installed)."""
    sys.excepthook(type(exc), exc, exc.__traceback__)


Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class Task(QThread):
    """Runs `op(task)` in its own thread; the op reads `task.cancel_token` and calls `task.emit_progress`.

    The signals are delivered to this object, which lives on the GUI thread, so the callbacks run
    there (a queued connection across threads)."""

    _delivered = Signal(object, object)  # (value, exception)
    _progressed = Signal(object)

    def __init__(self, op: Callable[[Task], Any], success: Success, failure: Failure,
                 progress: Callable[[Any], None] | None, parent: TaskRunner) -> None:
        super().__init__(parent)
        self._runner = parent
        self.cancel_token = CancelToken()
        self._op = op
        self._success = success
        self._failure = failure
        self._progress = progress
        self.outcome: str = "running"  # running | succeeded | failed
        self._delivered.connect(self._deliver)
        self._progressed.connect(self._forward_progress)

    def emit_progress(self, event: ProgressEvent) -> None:
        """Called on the worker thread (the runner's progress callback)."""
        self._progressed.emit(event)

    def emit_update(self, value: Any) -> None:
        """Called on the worker thread: any value for the progress callback (a watch's samples, one by one)."""
        self._progressed.emit(value)

    def run(self) -> None:  # the worker thread
        try:
            value = self._op(self)
        except BaseException as exc:  # every failure goes back to the page, never into Qt
            self._delivered.emit(None, exc)
            return
        self._delivered.emit(value, None)

    @Slot(object)
    def _forward_progress(self, event: Any) -> None:
        if self._progress is not None:
            self._progress(event)

    @Slot(object, object)
    def _deliver(self, value: Any, exc: BaseException | None) -> None:
        self.wait()  # run() has returned: the thread ends at once
        self._runner.forget(self)
        if exc is None:
            self.outcome = "succeeded"
            self._success(value)
        else:
            self.outcome = "failed"
            try:
                self._failure(exc)  # the page says it failed and is usable again
            finally:
                if is_bug(exc):
                    report_bug(exc)

    def cancel(self) -> None:
        self.cancel_token.cancel()


class TaskRunner(QObject):
    """Owns every running task; the wizard calls `join_all()` before it closes."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[Task] = set()

    def run_in_background(self, op: Callable[[Task], Any], *, success: Success,
                          failure: Failure | None = None,
                          progress: Callable[[Any], None] | None = None) -> Task:
        task = Task(op, success, failure or self.log_failure, progress, self)
        self._tasks.add(task)
        task.start()
        return task

    def forget(self, task: Task) -> None:
        self._tasks.discard(task)

    @staticmethod
    def log_failure(exc: BaseException) -> None:
        log.error("background task failed: %s: %s", type(exc).__name__, exc)

    @property
    def running(self) -> list[Task]:
        return [t for t in self._tasks if t.isRunning()]

    def join_all(self, *, cancel: bool = True) -> None:
        """Cancel (cooperatively) and wait for every task: no thread outlives the window."""
        for task in list(self._tasks):
            if cancel:
                task.cancel()
        for task in list(self._tasks):
            task.wait()
        self._tasks.clear()


class TaskQueue(QObject):
    """Calls that must not overlap and must run in the order asked (the keychain's), each off the GUI thread.

    One task at a time on the runner; the next starts once the previous one has delivered, so a callback
    (say, the stored password filling the field) runs before the next call (say, storing a new one) starts.
    """

    def __init__(self, runner: TaskRunner) -> None:
        super().__init__(runner)
        self._runner = runner
        self._queue: deque[tuple[Callable[[], Any], Success, Failure]] = deque()
        self._current: Task | None = None

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    def run(self, call: Callable[[], Any], *, success: Success, failure: Failure | None = None) -> None:
        """Queue `call()`; `success(value)` or `failure(exc)` runs on the GUI thread when it returns."""
        self._queue.append((call, success, failure or self._runner.log_failure))
        self._start_next()

    def _start_next(self) -> None:
        if self._current is not None or not self._queue:
            return
        call, success, failure = self._queue.popleft()
        started: list[Task] = []

        def settle(callback: Callable[[Any], None], value: Any) -> None:
            if started and self._current is started[0]:  # not a task finish() already waited for
                self._current = None
            try:
                callback(value)
            finally:
                self._start_next()

        task = self._runner.run_in_background(lambda _task: call(), success=lambda value: settle(success, value),
                                              failure=lambda exc: settle(failure, exc))
        started.append(task)
        self._current = task

    def finish(self) -> None:
        """The window closes: wait for the call in flight, then make the queued ones (a password the user
        asked to remember) in a worker too, and wait for them; their callbacks no longer run."""
        pending = [call for call, _success, _failure in self._queue]
        self._queue.clear()
        current, self._current = self._current, None
        if current is not None:
            current.wait()
        if not pending:
            return

        def run_all(_task: Task) -> None:
            for call in pending:
                try:
                    call()
                except Exception as exc:
                    self._runner.log_failure(exc)

        self._runner.run_in_background(run_all, success=lambda _value: None).wait()
