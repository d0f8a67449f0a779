"""The wizard's longest event-loop stall during a collection (target: <= 50 ms).

A 10 ms QTimer heartbeat runs on the GUI thread while the wizard collects from a throwaway
MariaDB with some schemas (prechecks.demo); the longest gap between two beats, minus the 10 ms
period, is how long the window could not repaint or react.

    .venv/bin/python benchmarks/wizard_stall.py [--schemas 20] [--tables 25] [--sleep 3] [--runs 3]
    .venv/bin/python benchmarks/wizard_stall.py --big --tables 1000 --runs 2   # the 20 x 1,000 server
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gui.qt import QApplication, Qt, QtCore, QTimer
from gui.sample import MemoryKeychain
from gui.settings import RecentConnection, Settings
from gui.state import PageId
from gui.wizard import Wizard
from prechecks.demo import DemoServer, available

HEARTBEAT_MS = 10


class Heartbeat:
    """A 10 ms timer on the GUI thread; ``gaps`` holds the milliseconds between its ticks."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last) * 1000)
        self.last = now

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()


class Watchdog:
    """--diagnose: a thread that looks every 2 ms whether the heartbeat is late, and then keeps where
    every thread was (the GUI thread's stack says whether it was busy in Python or waiting for the GIL)."""

    def __init__(self, heartbeat: Heartbeat, late_ms: float = 25.0) -> None:
        self.heartbeat, self.late = heartbeat, late_ms / 1000
        self.main = threading.main_thread().ident
        self.seen: list[tuple[float, str]] = []  # (ms late, stacks)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)

    def _watch(self) -> None:
        sampled_for = 0.0
        while not self.stop.wait(0.002):
            last = self.heartbeat.last
            late = time.perf_counter() - last
            if late > self.late and last != sampled_for:
                sampled_for = last
                names = {t.ident: t.name for t in threading.enumerate()}
                stacks = []
                for ident, frame in sys._current_frames().items():
                    if ident == threading.get_ident():
                        continue
                    where = "".join(traceback.format_stack(frame, limit=6))
                    stacks.append(f"--- {'GUI thread' if ident == self.main else names.get(ident, ident)}\n{where}")
                self.seen.append((late * 1000, "\n".join(stacks)))

    def report(self) -> None:
        for late, stacks in sorted(self.seen, reverse=True)[:3]:
            print(f"=== heartbeat {late:.1f} ms late; where every thread was:\n{stacks}")


TARGET_MS = 50.0


@dataclass(frozen=True)
class Target:
    """The server the wizard collects from (TCP, an account that may read everything)."""

    host: str
    port: int
    user: str
    password: str


@contextmanager
def demo_target(schemas: int, tables: int) -> Iterator[Target]:
    print(f"starting a throwaway MariaDB with {schemas} x {tables} tables (+ the sample shop schema)")
    with DemoServer(extra_schemas=schemas, tables_per_schema=tables) as server:
        yield Target(server.host, server.port, server.user, server.password)


@contextmanager
def big_target(schemas: int, tables: int) -> Iterator[Target]:
    """benchmarks/big_server.py's server (its build, 4 clients at once), as root over TCP."""
    from benchmarks._common import tear_down
    from benchmarks.big_server import start_big

    work = Path(tempfile.mkdtemp(prefix="ps-bench-stall-"))
    try:
        server, _objects, _seconds = start_big(work, schemas, tables)
        yield Target(server.host, server.port, "root", server.root_password)
    finally:
        tear_down(None, work)


def wait_until(app: QApplication, condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the wizard did not get there in time")
        app.processEvents()
        time.sleep(0.002)


def one_run(app: QApplication, server: Target, sleep: int, scratch: Path,
            diagnose: bool = False) -> tuple[float, float, float]:
    """(longest stall ms, p99 gap ms, collection seconds)"""
    wizard = Wizard(settings=Settings(scratch), keychain=MemoryKeychain())
    wizard.show()
    wizard.next()
    wizard.connection.fill(RecentConnection(host=server.host, port=server.port, user=server.user), server.password)
    wizard.next()
    wait_until(app, lambda: wizard.currentId() == PageId.OPTIONS, 30)
    wizard.options_page.sampling_interval.setValue(sleep)

    heartbeat = Heartbeat()
    started = time.monotonic()
    wizard.next()  # starts the collection
    heartbeat.start()
    watchdog = Watchdog(heartbeat) if diagnose else None
    if watchdog is not None:
        watchdog.thread.start()
    # run the real event loop (not processEvents polling) until the run ends
    loop = QtCore.QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: loop.quit() if wizard.collect.isComplete() or wizard.collect.task is None else None)
    poll.start()
    loop.exec()
    heartbeat.timer.stop()
    poll.stop()
    if watchdog is not None:
        watchdog.stop.set()
        watchdog.thread.join()
        watchdog.report()
    took = time.monotonic() - started
    if not wizard.collect.isComplete():
        raise RuntimeError(f"the collection did not finish: {wizard.collect.headline.text()}")
    wizard.close()
    wizard.deleteLater()
    # delete it now: processEvents() leaves deferred deletes alone, and the next run's event loop would
    # spend ~45 ms destroying this window (measured) inside the next collection's first beat
    app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    app.processEvents()
    stalls = [g - HEARTBEAT_MS for g in heartbeat.gaps]
    return max(stalls), statistics.quantiles(stalls, n=100)[98], took


def idle_stall(seconds: float) -> float:
    """The same heartbeat with no collection: the machine's own noise floor."""
    heartbeat = Heartbeat()
    loop = QtCore.QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    heartbeat.start()
    loop.exec()
    heartbeat.timer.stop()
    return max(heartbeat.gaps) - HEARTBEAT_MS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=int, default=20)
    parser.add_argument("--tables", type=int, default=25, help="tables per schema")
    parser.add_argument("--sleep", type=int, default=3, help="sampling interval of each run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="sys.setswitchinterval for this run (default: what the wizard sets)")
    parser.add_argument("--big", action="store_true",
                        help="collect from benchmarks/big_server.py's server instead (give --tables 1000: "
                             "20 x 1,000 tables with views, routines, triggers, events)")
    parser.add_argument("--diagnose", action="store_true",
                        help="print where every thread was when the heartbeat was over 25 ms late")
    args = parser.parse_args()
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    if not available():
        print("wizard_stall: mariadbd is not installed (apt-get install mariadb-server)", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    target = big_target if args.big else demo_target
    with target(args.schemas, args.tables) as server, \
            tempfile.TemporaryDirectory(prefix="ps-prechecks-bench-") as scratch:
        idle = idle_stall(args.sleep)
        print(f"idle (no collection): longest stall {idle:.1f} ms  (the machine's noise floor)")
        worst = []
        for n in range(args.runs):
            stall, p99, took = one_run(app, server, args.sleep, Path(scratch), args.diagnose)
            worst.append(stall)
            print(f"run {n + 1}: longest stall {stall:.1f} ms, p99 {p99:.1f} ms, collection {took:.1f} s")
    longest = max(worst)
    verdict = "met" if longest <= TARGET_MS else "NOT met"
    print(f"longest event-loop stall during a collection: {longest:.1f} ms (target <= {TARGET_MS:.0f} ms: {verdict})")
    return 0 if longest <= TARGET_MS else 2


if __name__ == "__main__":
    sys.exit(main())
