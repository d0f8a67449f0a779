"""Pages 6-8 until their APIs land: say clearly what is coming, keep the flow going."""

from __future__ import annotations

from gui.pages.base import Page, wrapped_label
from gui.qt import QVBoxLayout

COMING = {
    "Questionnaire": "Answering the technical questionnaire here (one page per section, saved as a draft as you "
                     "type) is coming. The archive already holds the answers prefilled from what was collected, "
                     "plus any draft saved for this server with the command line's --answers.",
    "Attachments": "Adding your own files (diagrams, configuration, notes) here is coming; the command line's "
                   "--attach FILE does it today.",
    "Review": "A preview of every file exactly as it will be saved, with redaction choices, is coming. "
              "The archive's manifest lists every file with its checksum.",
}


class ComingPage(Page):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.setTitle(f"{name} (coming)")
        self.setSubTitle("Not part of this version yet.")
        layout = QVBoxLayout(self)
        self.note = wrapped_label(f"Coming: {COMING[name]}")
        self.note.setAccessibleName(f"{name}: coming")
        layout.addWidget(self.note)
        layout.addStretch(1)
