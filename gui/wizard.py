"""The wizard window: page ids in an enum, shared state, background tasks joined before it closes."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from gui.pages.attachments import AttachmentsPage
from gui.pages.base import Page, text_lines, text_width
from gui.pages.cloud import CloudPage, route
from gui.pages.collect import CollectPage
from gui.pages.connection import ConnectionPage
from gui.pages.findings import FindingsPage
from gui.pages.options import OptionsPage
from gui.pages.questionnaire import QuestionnairePage
from gui.pages.review import ReviewPage
from gui.pages.save import SavePage
from gui.pages.welcome import WelcomePage
from gui.qt import QApplication, QMessageBox, QSize, Qt, QTimer, QWidget, QWizard
from gui.settings import Keychain, Settings
from gui.state import PageId, WizardState
from gui.worker import TaskQueue, TaskRunner
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
                 drafts_dir: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # the collection's threads (runner, read-ahead, saving) run Python while the window must keep
        # painting: hand the GIL over every 2 ms instead of 5 (benchmarks/wizard_stall.py)
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.002))
        self.state = WizardState()
        self.tasks = TaskRunner(self)
        self.settings = settings or Settings()
        self.keychain = keychain or Keychain()
        self.keychain_calls = TaskQueue(self.tasks)  # keyring calls: in order, never on the GUI thread
        self.setWindowTitle("ps-prechecks: PlanetScale migration prechecks")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.HaveHelpButton, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.HelpButton, "Abo&ut")
        self.helpRequested.connect(self.show_about)
        self.welcome = WelcomePage()
        self.connection = ConnectionPage(self.settings, self.keychain, self.keychain_calls)
        self.options_page = OptionsPage()
        self.collect = CollectPage()
        self.findings = FindingsPage()
        self.questionnaire = QuestionnairePage(drafts_dir)  # its first section; the others follow it, ids from 100
        self.attachments = AttachmentsPage()
        self.review = ReviewPage()
        self.save = SavePage()
        self.cloud = CloudPage(self.settings)  # RDS/Aurora only: nextId routes to it
        for page_id, page in self.pages().items():
            self.setPage(page_id, page)
        self.setStartId(PageId.WELCOME)
        self.currentIdChanged.connect(lambda _id: QTimer.singleShot(0, self, self.focus_current_page))
        self.resize(self.default_size())

    def default_size(self, *, fit_screen: bool = True) -> QSize:
        """About 150 characters by 51 lines of the window's font (900 x 714 at 96 dpi with a 9 pt font; Qt
        scales it on a high-DPI screen), and no more than the screen has room for."""
        wanted = QSize(text_width(self, 150), text_lines(self, 51))
        screen = self.screen()
        if fit_screen and screen is not None:
            wanted = wanted.boundedTo(screen.availableGeometry().size() * 0.95)
        return wanted

    def pages(self) -> dict[int, Page]:
        return {
            PageId.WELCOME: self.welcome, PageId.CONNECTION: self.connection, PageId.OPTIONS: self.options_page,
            PageId.COLLECT: self.collect, PageId.FINDINGS: self.findings, PageId.QUESTIONNAIRE: self.questionnaire,
            **self.questionnaire.more_sections,
            PageId.ATTACHMENTS: self.attachments, PageId.REVIEW: self.review, PageId.SAVE: self.save,
            PageId.CLOUD: self.cloud,
        }

    def nextId(self) -> int:
        # the questionnaire's further sections have ids after SAVE: only its own chain leads to them
        if self.currentId() == PageId.SAVE:
            return -1
        routed = route(self.state, self.currentId(), self.visitedIds())  # the optional Cloud account step
        return super().nextId() if routed is None else routed

    def focus_current_page(self) -> None:
        """Keep the keyboard in the window: QWizard gives a new page's first Tab stop the focus even when that
        one is disabled (no recent connections yet), and the focus then stays on a widget of the hidden page."""
        page, focus = self.currentPage(), QApplication.focusWidget()
        if page is None or (focus is not None and focus.isVisible() and focus.isEnabled() and self.isAncestorOf(focus)):
            return
        candidate: QWidget = page
        for _ in range(len(page.findChildren(QWidget))):  # the page's widgets follow it in the focus chain
            following = candidate.nextInFocusChain()
            if following is None:
                return
            candidate = following
            if (page.isAncestorOf(candidate) and candidate.isVisible() and candidate.isEnabled()
                    and candidate.focusPolicy() & Qt.FocusPolicy.TabFocus):
                candidate.setFocus(Qt.FocusReason.TabFocusReason)
                return
        forward = self.button(QWizard.WizardButton.NextButton)
        (forward if forward.isVisible() else self.button(QWizard.WizardButton.FinishButton)).setFocus()

    def go_back_to(self, page_id: PageId) -> None:
        """Back, page by page, to `page_id` — or as far as the history goes when it was never visited."""
        while self.currentId() > page_id and self.currentId() != -1:
            before = self.currentId()
            self.back()
            if self.currentId() == before:  # nothing further back (the page was skipped): stop here
                break

    def show_about(self) -> None:
        QMessageBox.about(self, "About ps-prechecks", ABOUT)

    def done(self, result: int) -> None:
        """Closing at any page: stop the work in flight and join every thread first."""
        self.keychain_calls.finish()  # a password the user asked to remember is still stored
        self.tasks.join_all()
        self.questionnaire.flush_draft()  # the answers typed in the last half second
        log.info("wizard closed at page %s", self.currentId())
        super().done(result)
