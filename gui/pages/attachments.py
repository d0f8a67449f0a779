"""Page placeholder: being built."""

from __future__ import annotations

from gui.pages.coming import ComingPage


class AttachmentsPage(ComingPage):
    def __init__(self) -> None:
        super().__init__("Attachments")
