"""What every page shares: typed access to the wizard's state, tasks and log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from gui.qt import QGuiApplication, QHeaderView, QLabel, QPushButton, Qt, QTreeWidget, QWidget, QWizardPage
from gui.state import WizardState
from gui.worker import TaskRunner

if TYPE_CHECKING:
    from gui.wizard import Wizard

log = logging.getLogger("ps_prechecks.gui")


class Page(QWizardPage):
    @property
    def host(self) -> Wizard:
        return cast("Wizard", self.wizard())

    @property
    def state(self) -> WizardState:
        return self.host.state

    @property
    def tasks(self) -> TaskRunner:
        return self.host.tasks


def text_width(widget: QWidget, characters: int) -> int:
    """Room for about this many characters of the widget's font: sizes follow the font the user chose (and
    Qt scales them on a high-DPI screen), where a fixed pixel width would clip a larger font."""
    return widget.fontMetrics().averageCharWidth() * characters


def text_lines(widget: QWidget, lines: int) -> int:
    return widget.fontMetrics().lineSpacing() * lines


def wrapped_label(text: str = "", *, rich: bool = False, selectable: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    flags = Qt.TextInteractionFlag.NoTextInteraction
    if rich:
        label.setOpenExternalLinks(True)
        flags |= Qt.TextInteractionFlag.LinksAccessibleByMouse
        if "<a " in text:  # Tab reaches the link and Return opens it; a label without one takes no Tab stop
            flags |= Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    if selectable:
        flags |= Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
    if flags != Qt.TextInteractionFlag.NoTextInteraction:
        label.setTextInteractionFlags(flags)
    return label


def copy_button(text_for: object, label: str = "Copy", accessible: str = "") -> QPushButton:
    """A button that copies `text_for()` (a callable) to the clipboard."""
    button = QPushButton(label)
    button.setAccessibleName(accessible or label.replace("&", ""))

    def copy() -> None:
        text = text_for() if callable(text_for) else str(text_for)
        QGuiApplication.clipboard().setText(text)

    button.clicked.connect(copy)
    return button


def two_column_tree(headers: list[str], accessible: str) -> QTreeWidget:
    """A tree with a stretching first column (names) and a second sized to its contents (values)."""
    tree = QTreeWidget()
    tree.setColumnCount(2)
    tree.setHeaderLabels(headers)
    tree.setAccessibleName(accessible)
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    return tree
