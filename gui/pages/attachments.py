"""Page 7: the user's own files for the archive (prechecks.attachments): add, drop, remove, sizes and caps.

Optional: Next is always allowed. A file that cannot be added (too big, over the total, not a file,
unreadable) gets one line saying so; the others are still added.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gui.pages.base import Page, log, wrapped_label
from gui.qt import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QKeySequence,
    QLabel,
    QPushButton,
    Qt,
    QtCore,
    QtGui,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from prechecks.attachments import ARCHIVE_DIR, AttachmentError, format_size
from prechecks.slowlog import DIGEST_JSON, DIGEST_MD, SlowLogError, SlowLogFile, describe, read_slow_log

INTRO = (f"Optional: files you want PlanetScale's engineers to see, such as an architecture diagram or your "
         f"provider's bill. They go into the archive under {ARCHIVE_DIR}/ byte for byte: redaction changes their "
         "names only, never their content, so leave out anything you would not send. A slow query log is better "
         "added with “Add slow query log…”: it is read here and only its digest (statement fingerprints, every "
         "literal replaced) goes into the archive, not the file.")
ROLE = Qt.ItemDataRole.UserRole
DIGEST_ONLY = f"digest only: {DIGEST_MD}, {DIGEST_JSON}"


def dropped_paths(mime: QtCore.QMimeData) -> tuple[list[Path], list[str]]:
    """(local files, one problem line per URL that is not a local file) from a drag's data."""
    paths: list[Path] = []
    problems: list[str] = []
    for url in mime.urls():
        if url.isLocalFile():
            paths.append(Path(url.toLocalFile()))
        else:
            problems.append(f"{url.toDisplayString()}: not a local file; save it first, then add the saved file")
    return paths, problems


def _accept_files(event: QtGui.QDropEvent | QtGui.QDragMoveEvent | QtGui.QDragEnterEvent) -> bool:
    """Take a drag or drop that carries files (URLs); ignore anything else."""
    if event.mimeData().hasUrls():
        event.acceptProposedAction()
        return True
    event.ignore()
    return False


class AttachmentList(QTreeWidget):
    """The attached files. Takes dropped files and the Delete key (Backspace on a Mac keyboard)."""

    files_dropped = Signal(object)  # QMimeData
    delete_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        _accept_files(event)

    def dragMoveEvent(self, event: QtGui.QDragMoveEvent) -> None:
        _accept_files(event)

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        if _accept_files(event):
            self.files_dropped.emit(event.mimeData())

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Backspace:
            self.delete_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class AttachmentsPage(Page):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Attachments")
        self.setSubTitle("Add files by the button or by dropping them here; remove with the Delete key.")
        self.setAcceptDrops(True)  # anywhere on the page, not only on the list
        self._last_folder: Path | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped_label(INTRO))

        label = QLabel("Fi&les to include:")
        layout.addWidget(label)
        self.list = AttachmentList()
        self.list.setColumnCount(3)
        self.list.setHeaderLabels(["Name in the archive", "Size", "From"])
        self.list.setRootIsDecorated(False)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setAccessibleName("Files to include")
        self.list.setAccessibleDescription("Drop files here; Delete removes the selected ones.")
        header = self.list.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        label.setBuddy(self.list)
        self.list.files_dropped.connect(self.add_dropped)
        self.list.delete_pressed.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.list, 1)

        self.total = wrapped_label()
        self.total.setAccessibleName("Total size of the attachments")
        layout.addWidget(self.total)

        buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add files…")
        self.add_button.setAccessibleName("Add files")
        self.add_button.clicked.connect(self.choose_files)
        buttons.addWidget(self.add_button)
        self.slow_log_button = QPushButton("Add &slow query log…")
        self.slow_log_button.setAccessibleName("Add a slow query log (only its digest goes into the archive)")
        self.slow_log_button.clicked.connect(self.choose_slow_log)
        buttons.addWidget(self.slow_log_button)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setAccessibleName("Remove the selected files")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.status = wrapped_label(selectable=True)
        self.status.setAccessibleName("Attachment messages")
        layout.addWidget(self.status)
        QWidget.setTabOrder(self.list, self.add_button)
        QWidget.setTabOrder(self.add_button, self.slow_log_button)
        QWidget.setTabOrder(self.slow_log_button, self.remove_button)

    # -- the page ------------------------------------------------------------------------------
    def initializePage(self) -> None:
        self.status.clear()
        self.refresh()
        if self.state.kept and self.state.result is not None:  # which server wrote a log cannot be told from it
            self.status.setText(f"Several servers: a slow query log added here goes with "
                                f"{self.state.current_name()}, the server collected last, into its folder. Add each "
                                "server's log before adding the next server.")

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        _accept_files(event)

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        if _accept_files(event):
            self.add_dropped(event.mimeData())

    # -- adding and removing -------------------------------------------------------------------
    def choose_files(self) -> None:
        folder = self._last_folder or Path.home()
        names, _filter = QFileDialog.getOpenFileNames(self, "Add files to the archive", str(folder),
                                                      "All files (*)")
        if names:
            self.add_paths([Path(n) for n in names])

    def choose_slow_log(self) -> None:
        folder = self._last_folder or Path.home()
        name, _filter = QFileDialog.getOpenFileName(self, "Add a slow query log (only its digest is archived)",
                                                    str(folder), "Slow query logs (*.log *.log.* *slow*);;"
                                                    "All files (*)")
        if name:
            self.add_slow_log(Path(name))

    def add_slow_log(self, path: Path | str) -> None:
        """Read the log in the background; the page shows what it gave, or why it could not be read."""
        path = Path(path).expanduser()
        self._last_folder = path.parent
        self.slow_log_button.setEnabled(False)
        self.status.setText(f"Reading {path.name}… only its digest will go into the archive, not the file.")

        def done(item: SlowLogFile) -> None:
            self.slow_log_button.setEnabled(True)
            self.state.slow_logs.append(item)
            self.refresh()
            error = f" It could not be read to the end: {item.error}." if item.error else ""
            self.status.setText(f"Read {describe(item)}.{error} Only the digest ({DIGEST_MD}, {DIGEST_JSON}) "
                                "goes into the archive, not the file.")

        def failed(exc: BaseException) -> None:
            self.slow_log_button.setEnabled(True)
            reason = str(exc) if isinstance(exc, SlowLogError) else f"{type(exc).__name__}: {exc}"
            self.status.setText(f"Not added: {reason}")
            log.info("slow log not added: %s", reason)

        self.tasks.run_in_background(lambda task: read_slow_log(path, cancel=task.cancel_token),
                                     success=done, failure=failed)

    def add_dropped(self, mime: QtCore.QMimeData) -> None:
        paths, problems = dropped_paths(mime)
        self.add_paths(paths, problems)

    def add_paths(self, paths: Iterable[Path | str], problems: Iterable[str] = ()) -> list[str]:
        """Add each file; returns (and shows) one line per file that could not be added."""
        lines = list(problems)
        added: list[str] = []
        for path in paths:
            try:
                attachment = self.state.attachments.add(path)
            except AttachmentError as exc:
                lines.append(str(exc))
                continue
            added.append(attachment.name)
            self._last_folder = Path(path).expanduser().parent
        self.refresh(select=added)
        shown = [f"Added {', '.join(added)}."] if added else []
        self.status.setText("\n".join(shown + [f"Not added: {line}" for line in lines]))
        for line in lines:
            log.info("attachment not added: %s", line)
        return lines

    def remove_selected(self) -> None:
        chosen = [item.data(0, ROLE) for item in self.list.selectedItems()]
        if not chosen:
            return
        row = self.list.indexOfTopLevelItem(self.list.selectedItems()[0])
        names = []
        for data in chosen:
            if isinstance(data, SlowLogFile):  # a slow log's digest
                self.state.slow_logs = [item for item in self.state.slow_logs if item is not data]
                names.append(f"the digest of {data.name}")
            else:
                self.state.attachments.remove(data)
                names.append(data)
        self.refresh()
        self.status.setText(f"Removed {', '.join(names)}.")
        if self.list.topLevelItemCount():  # keep the keyboard on the list, at the same row
            item = self.list.topLevelItem(min(row, self.list.topLevelItemCount() - 1))
            if item is not None:
                self.list.setCurrentItem(item)

    # -- showing -------------------------------------------------------------------------------
    def refresh(self, select: Iterable[str] = ()) -> None:
        chosen = set(select)
        attachments = self.state.attachments
        self.list.clear()
        for attachment in attachments:
            item = QTreeWidgetItem([attachment.name, attachment.size_text, str(attachment.path)])
            item.setData(0, ROLE, attachment.name)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(2, str(attachment.path))
            self.list.addTopLevelItem(item)
            item.setSelected(attachment.name in chosen)
        # several servers: the digest goes into the folder of the server collected last
        where = (f"digest only, in {self.state.current_name()}/: {DIGEST_MD}, {DIGEST_JSON}"
                 if self.state.kept and self.state.result is not None else DIGEST_ONLY)
        for slow_log in self.state.slow_logs:
            item = QTreeWidgetItem([f"{slow_log.name} ({where})", slow_log.counts(), str(slow_log.path)])
            item.setData(0, ROLE, slow_log)
            item.setToolTip(0, "Only the digest of this slow query log goes into the archive, not the file")
            item.setToolTip(1, slow_log.summary())
            item.setToolTip(2, str(slow_log.path))
            self.list.addTopLevelItem(item)
        count = len(attachments)
        files = "no files" if not count else f"{count} file" + ("" if count == 1 else "s")
        self.total.setText(f"{files}, {format_size(attachments.total_bytes)} of "
                           f"{format_size(attachments.max_total_bytes)} allowed in all; at most "
                           f"{format_size(attachments.max_file_bytes)} per file.")
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.remove_button.setEnabled(bool(self.list.selectedItems()))
