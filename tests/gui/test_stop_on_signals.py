"""gui.app.stop_on_signals under a storm of SIGTERMs that arrive while the main thread writes log lines.

Python runs a signal handler between any two steps of the main thread, also inside a log line's write
(BufferedWriter checks for signals while it holds its lock). A handler that logs there loses its line to
"reentrant call inside BufferedWriter" — CI once lost the wizard's "SIGINT: closing the wizard" that way. Here
a second thread sends the signals while the main thread logs in a loop; every signal must reach `stop`, from
the event loop, and every line `stop` writes must be in the file, with no logging error.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

import pytest

from gui.app import stop_on_signals

SIGNALS = 300


def test_every_signal_reaches_stop_from_the_loop_and_its_line_is_written(
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("tests.stop_on_signals")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    path = tmp_path / "signals.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    errors: list[str] = []
    monkeypatch.setattr(handler, "handleError", lambda record: errors.append(record.getMessage()))
    logger.addHandler(handler)
    stopped: list[int] = []
    in_handler: list[bool] = []

    def stop(signum: int) -> None:
        stopped.append(signum)
        logger.info("%s: closing", signal.Signals(signum).name)

    main = threading.get_ident()
    before = signal.getsignal(signal.SIGTERM)
    try:
        with stop_on_signals(stop) as received:
            sent = 0

            def storm() -> None:
                nonlocal sent
                for _ in range(SIGNALS):
                    signal.pthread_kill(main, signal.SIGTERM)
                    sent += 1
                    time.sleep(0.0005)

            sender = threading.Thread(target=storm)
            sender.start()
            written = 0
            while sender.is_alive():
                logger.info("line %d %s", written, "x" * 200)  # the main thread busy writing when a signal comes
                written += 1
            sender.join()
            in_handler.append(bool(stopped))  # nothing may run stop() before the loop does
            # The wake-up socket fills up during the storm (a byte per signal, nobody reading): not a signal lost.
            qtbot.waitUntil(lambda: len(stopped) == len(received), timeout=5000)
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert sent == SIGNALS and written > 0
    assert received, "no SIGTERM reached the handler"
    assert in_handler == [False], "stop() ran inside the signal handler, not from the event loop"
    assert stopped == [signal.SIGTERM] * len(received)
    assert errors == []
    lines = path.read_text(encoding="utf-8").splitlines()
    assert sum(line == "SIGTERM: closing" for line in lines) == len(stopped)
    print(f"{sent} sent, {len(received)} handled by Python, {len(stopped)} stop() calls, {written} lines")
    assert sum(line.startswith("line ") for line in lines) == written
    assert signal.getsignal(signal.SIGTERM) == before  # the handler given back
