"""`ps-prechecks-wizard`: the desktop wizard, plus --self-test, --screenshots DIR, --demo, --version."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from prechecks import __version__

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
    app.setApplicationName("ps-prechecks")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("ps-prechecks-wizard")  # Wayland takes the window's icon from this .desktop entry
    app.setWindowIcon(QtGui.QIcon(str(resources.files("resources").joinpath("icon.svg"))))
    return app


def visit_every_page(on_page: Callable[[object, object], None] | None = None) -> list[str]:
    """Build the wizard with representative data and press Next through every page."""
    from gui.qt import QApplication
    from gui.sample import LOG_LINES, MemoryKeychain, fill
    from gui.settings import Settings
    from gui.state import PageId
    from gui.wizard import Wizard

    with tempfile.TemporaryDirectory(prefix="ps-prechecks-selftest-") as scratch:
        wizard = Wizard(settings=Settings(Path(scratch)), keychain=MemoryKeychain())
        try:
            fill(wizard)
            wizard.show()
            visited: list[str] = []
            while True:
                QApplication.processEvents()
                current = wizard.currentId()
                page_id = PageId(current) if current in set(PageId) else current  # questionnaire sections 2..n
                if page_id == PageId.COLLECT:
                    for line in LOG_LINES:
                        wizard.collect.log_pane.appendPlainText(line)
                name = getattr(page_id, "name", f"QUESTIONNAIRE_{current}")
                visited.append(name)
                if on_page is not None:
                    on_page(page_id, wizard)
                if page_id == PageId.SAVE:
                    break
                wizard.next()
                if wizard.currentId() == page_id:
                    raise RuntimeError(f"self-test: could not leave page {name}")
            expected = [p.name for p in PageId]
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


def screenshots(directory: Path) -> int:
    from gui.qt import QApplication

    _application()
    directory.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []

    def grab(page_id: object, wizard: object) -> None:
        from gui.wizard import Wizard

        assert isinstance(wizard, Wizard)
        QApplication.processEvents()
        path = directory / f"{int(page_id):02d}-{str(getattr(page_id, 'name', page_id)).lower()}.png"  # type: ignore[call-overload]
        wizard.grab().save(str(path))
        saved.append(path)

    visit_every_page(grab)
    for path in saved:
        print(path)
    return 0


def run(demo: bool) -> int:
    from gui.logs import SECRETS, setup_logging
    from gui.qt import QApplication
    from gui.settings import RecentConnection
    from gui.wizard import Wizard

    app = _application()
    assert isinstance(app, QApplication)
    log_file = setup_logging()
    log.info("ps-prechecks-wizard %s started (log: %s)", __version__, log_file)
    server = None
    try:
        if demo:
            from prechecks.demo import DemoServer, DemoUnavailable

            try:
                server = DemoServer().start()
            except DemoUnavailable as exc:
                print(f"ps-prechecks-wizard: --demo: {exc}", file=sys.stderr)
                return 1
            SECRETS.secrets = {server.password}
        wizard = Wizard()
        if server is not None:
            wizard.connection.fill(RecentConnection(host=server.host, port=server.port, user=server.user),
                                   server.password)
            wizard.setWindowTitle(wizard.windowTitle() + " (demo server)")
        wizard.show()
        return int(app.exec())
    finally:
        if server is not None:
            server.stop()


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
