"""The wizard window: page ids in an enum, shared state, background tasks joined before it closes."""

from __future__ import annotations

import logging

from gui.pages.attachments import AttachmentsPage
from gui.pages.base import Page
from gui.pages.collect import CollectPage
from gui.pages.connection import ConnectionPage
from gui.pages.findings import FindingsPage
from gui.pages.options import OptionsPage
from gui.pages.questionnaire import QuestionnairePage
from gui.pages.review import ReviewPage
from gui.pages.save import SavePage
from gui.pages.welcome import WelcomePage
from gui.qt import QMessageBox, QWidget, QWizard
from gui.settings import Keychain, Settings
from gui.state import PageId, WizardState
from gui.worker import TaskRunner
from prechecks import __version__

log = logging.getLogger("ps_prechecks.gui")

ABOUT = (
    f"<h3>ps-prechecks {__version__}</h3>"
    "<p>Read-only pre-migration checks of a MySQL or MariaDB server for PlanetScale: "
    "the report, the readiness findings and one upload-ready archive.</p>"
    "<p>License: GPL-2.0-only.</p>"
)


class Wizard(QWizard):
    def __init__(self, *, settings: Settings | None = None, keychain: Keychain | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = WizardState()
        self.tasks = TaskRunner(self)
        self.settings = settings or Settings()
        self.keychain = keychain or Keychain()
        self.setWindowTitle("ps-prechecks: PlanetScale migration prechecks")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.HaveHelpButton, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.HelpButton, "Abo&ut")
        self.helpRequested.connect(self.show_about)
        self.welcome = WelcomePage()
        self.connection = ConnectionPage(self.settings, self.keychain)
        self.options_page = OptionsPage()
        self.collect = CollectPage()
        self.findings = FindingsPage()
        self.questionnaire = QuestionnairePage()  # its first section; the others follow it, ids from 100
        self.attachments = AttachmentsPage()
        self.review = ReviewPage()
        self.save = SavePage()
        for page_id, page in self.pages().items():
            self.setPage(page_id, page)
        self.setStartId(PageId.WELCOME)
        self.resize(900, 680)

    def pages(self) -> dict[int, Page]:
        return {
            PageId.WELCOME: self.welcome, PageId.CONNECTION: self.connection, PageId.OPTIONS: self.options_page,
            PageId.COLLECT: self.collect, PageId.FINDINGS: self.findings, PageId.QUESTIONNAIRE: self.questionnaire,
            **self.questionnaire.more_sections,
            PageId.ATTACHMENTS: self.attachments, PageId.REVIEW: self.review, PageId.SAVE: self.save,
        }

    def nextId(self) -> int:
        # the questionnaire's further sections have ids after SAVE: only its own chain leads to them
        return -1 if self.currentId() == PageId.SAVE else super().nextId()

    def go_back_to(self, page_id: PageId) -> None:
        while self.currentId() > page_id and self.currentId() != -1:
            self.back()

    def show_about(self) -> None:
        QMessageBox.about(self, "About ps-prechecks", ABOUT)

    def done(self, result: int) -> None:
        """Closing at any page: stop the work in flight and join every thread first."""
        self.tasks.join_all()
        self.questionnaire.flush_draft()  # the answers typed in the last half second
        log.info("wizard closed at page %s", self.currentId())
        super().done(result)
