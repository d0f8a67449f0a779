"""Page 1: what will happen, how long it takes, the risk notice, what is and is never collected."""

from __future__ import annotations

from gui.pages.base import Page, wrapped_label
from gui.qt import QGroupBox, QVBoxLayout

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
    'Everything is listed in <a href="https://github.com/planetscale/ps-prechecks/blob/main/docs/facts.md">'
    "docs/facts.md</a>, and you can inspect the archive before you send it."
)


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
        collected_layout.addWidget(wrapped_label(COLLECTED, rich=True))
        layout.addWidget(collected)
        layout.addStretch(1)
