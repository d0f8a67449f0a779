"""Page 1: what will happen, how long it takes, the risk notice, what is and is never collected.

docs/facts.md (every key the archive's facts.json holds) ships with the app and is shown in a window of
its own, rendered: the same on every system, offline, and no .md file handed to whatever program
(or none) the desktop associates with it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from gui.pages.base import Page, wrapped_label
from gui.qt import QFileDialog, QGroupBox, QHBoxLayout, QPushButton, QTextBrowser, QtWidgets, QVBoxLayout, QWidget
from gui.state import PageId

log = logging.getLogger("ps_prechecks.gui")
CAPTURE = "capture"  # result_for[0] of a run read from an earlier capture, not collected
CAPTURE_FILTER = "Earlier captures (ps_archive_*.tgz *.tgz *.tar.gz *.tar mysql-variables mysql-status);;All files (*)"

FACTS_LINK = "facts.md"

WHAT_HAPPENS = (
    "This wizard connects to one MySQL or MariaDB server, reads what PlanetScale's engineers need to "
    "plan your migration, shows the import-readiness findings and saves one archive "
    "(<code>ps_archive_&lt;timestamp&gt;.tgz</code>) for you to review and upload.<br><br>"
    "A run takes the <b>sampling interval</b> (10 s by default) plus a few seconds to a minute, "
    "depending on how many schemas and tables the server has."
)

RISK = (
    "<b>Read-only.</b> Every session is set to read-only, sends only SELECT, SHOW and session SET "
    "statements, and each statement has a 5 s server-side limit.<br>"
    "<b>Be careful anyway:</b> run it first against a replica or a non-production server, and make sure "
    "you have working backups before you point any new tool at production."
)

COLLECTED = (
    "<b>Collected:</b> server version and variables, status counters (two samples), schema and table "
    "sizes, the schema definitions (DDL, no rows), replication and binary log state, an aggregated "
    "processlist, statement digests, account counts, the server's option file with its secrets removed."
    "<br><b>Never collected:</b> table rows, query text from the processlist, passwords (yours is kept "
    "out of every file and log; option-file passwords are removed). "
    f'Everything is listed in <a href="{FACTS_LINK}">docs/facts.md</a>, and you can inspect the archive before '
    "you send it."
)


def document_path(name: str) -> Path:
    """docs/<name> as shipped: in the installers' folder (PyInstaller's sys._MEIPASS, also inside the .deb and
    the macOS .app), else in the source tree the wizard runs from."""
    frozen = getattr(sys, "_MEIPASS", None)
    base = Path(frozen) if frozen else Path(__file__).resolve().parents[2]
    return base / "docs" / name


class DocumentDialog(QtWidgets.QDialog):
    """A Markdown document of docs/, rendered, with a Close button; links to web pages open in the browser."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{path.name} — ps-prechecks")
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        try:
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
        except OSError as exc:
            self.browser.setPlainText(f"Could not read {path} ({exc.strerror or exc}): the installation is "
                                      "incomplete; reinstall ps-prechecks, or read docs/facts.md in its source.")
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(900, 700)


class WelcomePage(Page):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Check a MySQL or MariaDB server before migrating to PlanetScale")
        self.setSubTitle("About a minute; nothing on the server is changed.")
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped_label(WHAT_HAPPENS, rich=True))
        risk = QGroupBox("Before you start")
        risk_layout = QVBoxLayout(risk)
        self.risk_notice = wrapped_label(RISK, rich=True)
        self.risk_notice.setAccessibleName("Risk notice")
        risk_layout.addWidget(self.risk_notice)
        layout.addWidget(risk)
        collected = QGroupBox("What is collected")
        collected_layout = QVBoxLayout(collected)
        self.collected = wrapped_label(COLLECTED, rich=True)
        self.collected.setOpenExternalLinks(False)  # the link shows the document shipped with the app
        self.collected.linkActivated.connect(self.show_facts)
        self.facts_dialog: DocumentDialog | None = None
        collected_layout.addWidget(self.collected)
        layout.addWidget(collected)
        earlier = QHBoxLayout()
        self.open_capture_button = QPushButton("Open an earlier &capture…")
        self.open_capture_button.setToolTip("A ps_archive_<timestamp>.tgz, or a file of a samples folder written by "
                                            "ps-prechecks or pt-mysql-summary: no connection, straight to the findings")
        self.open_capture_button.clicked.connect(self.choose_capture)
        earlier.addWidget(self.open_capture_button)
        earlier.addStretch(1)
        layout.addLayout(earlier)
        self.capture_status = wrapped_label()
        self.capture_status.setAccessibleName("Earlier capture")
        layout.addWidget(self.capture_status)
        layout.addStretch(1)

    def choose_capture(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Open an earlier capture", "", CAPTURE_FILTER)
        if chosen:
            self.open_capture(Path(chosen))

    def open_capture(self, path: Path) -> bool:
        """Read a capture (a tarball, or a samples folder given by one of its files) and go to Findings, skipping
        Connection and Collect; the archive is then built from it as from a live run. False, with the one-line
        cause and remedy on the page, when it cannot be read."""
        from collectors.runner import RunResult
        from prechecks.collection import derived_result, timestamp_now
        from prechecks.samples import (
            SamplesError,
            is_tarball,
            read_config_text,
            read_samples,
            read_schema_ddl,
        )
        from prechecks.samples import open_capture as unpacked

        given = path if path.is_dir() or is_tarball(path) else path.parent
        try:
            with unpacked(given) as folder:
                facts = read_samples(folder)
                texts = {"mysqldump": read_schema_ddl(folder), "mysql-config-file": read_config_text(folder)}
        except SamplesError as exc:
            self.capture_status.setText(str(exc))
            return False
        facts["source"] = {**facts["source"], "path": given.name}
        result = derived_result(RunResult(facts, [], {k: v for k, v in texts.items() if v is not None}, []))
        state = self.state
        state.result, state.result_for, state.readiness = result, (CAPTURE, str(given)), result.derived.readiness
        state.timestamp = timestamp_now()
        self.capture_status.setText(f"Read {given.name}: the findings follow.")
        log.info("welcome: an earlier capture read instead of a connection")
        self.host.next()
        return True

    def nextId(self) -> int:
        result_for = self.state.result_for
        if result_for is not None and result_for[0] == CAPTURE:  # no connection to make, nothing to collect
            return PageId.FINDINGS
        return super().nextId()

    def show_facts(self, _link: str = FACTS_LINK) -> None:
        """docs/facts.md in its own window (not modal: the DBA can read it beside the wizard)."""
        if self.facts_dialog is None:
            self.facts_dialog = DocumentDialog(document_path("facts.md"), self)
        self.facts_dialog.show()
        self.facts_dialog.raise_()
        self.facts_dialog.activateWindow()
