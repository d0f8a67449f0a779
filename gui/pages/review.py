"""Page placeholder: being built."""

from __future__ import annotations

from gui.pages.coming import ComingPage


class ReviewPage(ComingPage):
    def __init__(self) -> None:
        super().__init__("Review")
