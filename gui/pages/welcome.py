"""Page 1: what will happen, how long it takes, the risk notice, what is and is never collected.

docs/facts.md (every key the archive's facts.json holds) ships with the app and is shown in a window of
its own, rendered: the same on every system, offline, and no .md file handed to whatever program
(or none) the desktop associates with it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gui.pages.base import Page, wrapped_label
from gui.qt import QGroupBox, QTextBrowser, QtWidgets, QVBoxLayout, QWidget

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
        layout.addStretch(1)

    def show_facts(self, _link: str = FACTS_LINK) -> None:
        """docs/facts.md in its own window (not modal: the DBA can read it beside the wizard)."""
        if self.facts_dialog is None:
            self.facts_dialog = DocumentDialog(document_path("facts.md"), self)
        self.facts_dialog.show()
        self.facts_dialog.raise_()
        self.facts_dialog.activateWindow()
