"""`ps-prechecks-wizard`: the desktop wizard, plus --self-test, --screenshots DIR, --demo, --version."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from prechecks import __version__

if TYPE_CHECKING:
    from types import FrameType

    from gui.qt import QImage

log = logging.getLogger("ps_prechecks.gui")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ps-prechecks-wizard",
                                     description="Guided pre-migration checks of a MySQL/MariaDB server.")
    parser.add_argument("--self-test", action="store_true",
                        help="build the wizard, visit every page with representative data, check fonts, exit")
    parser.add_argument("--screenshots", metavar="DIR", help="save one PNG per page into DIR and exit")
    parser.add_argument("--demo", action="store_true",
                        help="start a throwaway local MariaDB with a sample schema (removed on exit)")
    parser.add_argument("--version", action="version", version=f"ps-prechecks-wizard {__version__}")
    return parser


def _application() -> object:
    from importlib import resources

    from gui.qt import QApplication, QtGui

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "ps-prechecks-wizard"])
    assert isinstance(app, QApplication)  # a QCoreApplication made elsewhere cannot show a window
    app.setApplicationName("ps-prechecks")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("ps-prechecks-wizard")  # Wayland takes the window's icon from this .desktop entry
    app.setWindowIcon(QtGui.QIcon(str(resources.files("resources").joinpath("icon.svg"))))
    return app


def wait_until(condition: Callable[[], object], what: str, seconds: float = 15.0) -> None:
    """Run the event loop until `condition()` holds (the work of a page runs in worker threads)."""
    from gui.qt import QApplication

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not done after {seconds:.0f} s")
        QApplication.processEvents()
        time.sleep(0.005)


PageVisitor = Callable[[int, str, object], None]  # (position, file-name slug, wizard)


def visit_every_page(on_page: PageVisitor | None = None, *, screenshot_size: bool = False) -> list[str]:
    """Build the wizard with representative data (gui.sample) and press Next through every page, as a DBA
    would use it: the attachment added, the archive previewed on Review and saved on Save (in a temp dir)."""
    from gui.qt import QApplication
    from gui.sample import ATTACHMENT_NAME, MemoryKeychain, fill, log_lines
    from gui.settings import Settings
    from gui.state import PageId
    from gui.wizard import Wizard
    from prechecks.bundle import archive_name

    with tempfile.TemporaryDirectory(prefix="ps-prechecks-selftest-") as scratch:
        scratch_dir = Path(scratch)
        wizard = Wizard(settings=Settings(scratch_dir), keychain=MemoryKeychain(), drafts_dir=scratch_dir / "drafts")
        try:
            fill(wizard, scratch_dir)
            if screenshot_size:  # the nominal size, whatever the (offscreen) screen is
                wizard.resize(wizard.default_size(fit_screen=False))
            wizard.show()
            wait_until(lambda: wizard.connection.keychain_available is not None, "the keychain check")
            visited: list[str] = []
            while True:
                QApplication.processEvents()
                current = wizard.currentId()
                page_id = PageId(current) if current in set(PageId) else current  # questionnaire sections 2..n
                page = wizard.currentPage()
                section = getattr(page, "section", None)
                if page_id == PageId.COLLECT and wizard.state.result is not None:
                    for line in log_lines(wizard.state.result):
                        wizard.collect.log_pane.appendPlainText(line)
                elif page_id == PageId.ATTACHMENTS:
                    if wizard.attachments.add_paths([scratch_dir / ATTACHMENT_NAME]):
                        raise RuntimeError("self-test: the sample attachment was not added")
                elif page_id == PageId.REVIEW:
                    wait_until(lambda: wizard.review.ready, "Review preparing the archive")
                elif page_id == PageId.SAVE:
                    documents = scratch_dir / "Documents"
                    documents.mkdir()
                    wizard.save.path.setText(str(documents / archive_name(wizard.state.timestamp)))
                    wizard.save.save_button.click()
                    wait_until(lambda: wizard.state.archive is not None, "Save writing the archive")
                name = getattr(page_id, "name", f"QUESTIONNAIRE_{current}")
                slug = f"questionnaire-{section.id}" if section is not None else name.lower()
                visited.append(name)
                if on_page is not None:
                    QApplication.processEvents()
                    on_page(len(visited) - 1, slug, wizard)
                if page_id == PageId.SAVE:
                    break
                wizard.next()
                if wizard.currentId() == page_id:
                    raise RuntimeError(f"self-test: could not leave page {name}")
            expected = [p.name for p in PageId if p != PageId.CLOUD]  # optional: RDS/Aurora only, not the sample
            expected[PageId.ATTACHMENTS:PageId.ATTACHMENTS] = [f"QUESTIONNAIRE_{i}"
                                                               for i in wizard.questionnaire.more_sections]
            if visited != expected:
                raise RuntimeError(f"self-test: visited {visited}, expected {expected}")
        finally:
            wizard.close()
            wizard.deleteLater()
    return visited


def self_test() -> int:
    from gui.qt import QFontDatabase

    started = time.monotonic()
    _application()
    families = QFontDatabase.families()
    if not families:
        print("self-test: no fonts found: every glyph would be a box (install a font, e.g. fonts-dejavu-core)",
              file=sys.stderr)
        return 1
    try:
        visited = visit_every_page()
    except Exception as exc:
        print(f"self-test: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"self-test: ok: {len(visited)} pages, {len(families)} font families, "
          f"{time.monotonic() - started:.1f} s")
    return 0


def with_palette(image: QImage) -> QImage:
    """The image in 256 colours, the most frequent ones kept exact: a window is flat fills and anti-aliased text,
    so it looks the same at a third of the size of a true-colour PNG (the README's screenshots stay small)."""
    from collections import Counter

    from gui.qt import QImage, Qt

    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    common = [colour for colour, _count in Counter(memoryview(rgb.constBits()).cast("I")).most_common(256)]
    return rgb.convertToFormat(QImage.Format.Format_Indexed8, common, Qt.ImageConversionFlag.ThresholdDither)


def screenshots(directory: Path) -> int:
    """One PNG per page, NN-<page>.png, at the wizard's default size (for the README)."""
    _application()
    directory.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []

    def grab(position: int, slug: str, wizard: object) -> None:
        from gui.wizard import Wizard

        assert isinstance(wizard, Wizard)
        path = directory / f"{position:02d}-{slug}.png"
        image = with_palette(wizard.grab().toImage())
        if not image.save(str(path), quality=0):  # PNG from the suffix; quality 0: the strongest compression
            raise RuntimeError(f"could not write {path}")
        saved.append(path)

    visit_every_page(grab, screenshot_size=True)
    for path in saved:
        print(path)
    return 0


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[int], None]) -> Iterator[list[int]]:
    """SIGTERM and SIGINT call `stop(signum)` from Qt's event loop, also while it waits; yields the signals received.

    The handler itself only notes the signal: Python runs it between any two steps of the main thread, also inside
    a log line's write (BufferedWriter checks for signals while it holds its lock), and a log line written from
    there is lost to "reentrant call inside BufferedWriter" — seen when a SIGINT came just after "wizard shown".
    signal.set_wakeup_fd makes the C-level handler write into a socket that a QSocketNotifier watches, which wakes
    the loop (waiting for events it runs no Python code; the handler has run by the time the slot's Python does);
    the slot calls `stop` there for each signal noted. Before
    the loop runs (the demo server still starting) the caller reads the yielded list."""
    from gui.qt import QtCore

    received: list[int] = []
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    notifier = QtCore.QSocketNotifier(reader.fileno(), QtCore.QSocketNotifier.Type.Read)

    handled = 0

    def drain() -> None:
        nonlocal handled
        with contextlib.suppress(OSError):
            while reader.recv(64):  # a wake-up, not a count: a full socket drops bytes, the handler notes them all
                pass
        while handled < len(received):
            handled += 1
            stop(received[handled - 1])

    def note(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)  # nothing more: see above

    notifier.activated.connect(drain)
    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    previous = {signum: signal.signal(signum, note) for signum in STOP_SIGNALS}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(previous_fd)
        notifier.setEnabled(False)
        notifier.deleteLater()
        reader.close()
        writer.close()


def run(demo: bool) -> int:
    """The wizard (with --demo, against a throwaway server stopped and removed on the way out: also when
    SIGTERM or SIGINT ends it, which close the wizard as its window's Cancel does)."""
    from gui import crash
    from gui.logs import SECRETS, setup_logging
    from gui.qt import QApplication, QTimer
    from gui.settings import RecentConnection
    from gui.wizard import Wizard

    app = _application()
    assert isinstance(app, QApplication)
    log_file = setup_logging()
    log.info("ps-prechecks-wizard %s started (log: %s)", __version__, log_file)
    crash.install(log_file, parent=app)  # an error in a slot, a thread or a task: logged and shown, never lost
    server = None
    wizard: Wizard | None = None
    closed: list[bool] = []

    def close() -> None:
        if wizard is None or closed:
            return
        closed.append(True)
        wizard.reject()  # done(): the work in flight stopped, its threads joined, the draft written
        app.quit()

    def stop(signum: int) -> None:  # from the event loop, the window up
        log.info("%s: closing the wizard", signal.Signals(signum).name)
        close()

    # A signal while the demo server is still starting is only noted: run() ends once start() is done, so nothing it
    # started is broken off half-way.
    with stop_on_signals(stop) as stopped_by:  # until the demo server is gone too
        try:
            if demo:
                from prechecks.demo import DemoServer, DemoUnavailable

                server = DemoServer()
                try:
                    server.start()
                except DemoUnavailable as exc:
                    print(f"ps-prechecks-wizard: --demo: {exc}", file=sys.stderr)
                    return 1
                SECRETS.secrets = {server.password}
                log.info("demo server on %s:%s, its files in %s", server.host, server.port, server.root)
            if stopped_by:
                log.info("%s: closing the wizard", signal.Signals(stopped_by[0]).name)
                return 128 + stopped_by[0]
            wizard = Wizard()
            if server is not None:
                wizard.connection.fill(RecentConnection(host=server.host, port=server.port, user=server.user),
                                       server.password)
                wizard.setWindowTitle(wizard.windowTitle() + " (demo server)")
            wizard.show()
            QTimer.singleShot(0, lambda: log.info("wizard shown"))
            if stopped_by:  # while the window was being built (its stop() found no window to close)
                QTimer.singleShot(0, close)
            code = int(app.exec())
            return 128 + stopped_by[0] if stopped_by else code
        finally:
            if server is not None:
                server.stop()
                log.info("demo server stopped and removed")


def no_display_reason() -> str | None:
    """Why a window cannot open here (a Linux box with no X11/Wayland), or None."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.self_test or args.screenshots:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # both run without a screen
    if args.self_test:
        return self_test()
    if args.screenshots:
        return screenshots(Path(args.screenshots))
    reason = no_display_reason()
    if reason is not None:  # Qt would abort with a core dump; say it in one line instead
        print(f"ps-prechecks-wizard: {reason} — run it on a desktop, or use the command-line tool: "
              "ps-prechecks --help", file=sys.stderr)
        return 1
    return run(args.demo)


if __name__ == "__main__":
    sys.exit(main())
