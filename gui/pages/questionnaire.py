"""Page placeholder: being built."""

from __future__ import annotations

from gui.pages.coming import ComingPage


class QuestionnairePage(ComingPage):
    def __init__(self) -> None:
        super().__init__("Questionnaire")
