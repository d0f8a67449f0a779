"""Page 8: the archive before it is saved: every file exactly as it will be written, redaction applied.

The files are prepared in a worker (gui.submission.prepare) and kept in state.prepared, which Save
writes byte for byte. Toggling a redaction class prepares again; one preparation runs at a time and
a result made for older choices (another submission_key) is dropped.
"""

from __future__ import annotations

import json
from typing import Any

from gui.pages.base import Page, log, text_lines, text_width, two_column_tree, wrapped_label
from gui.pages.options import RedactionChoices
from gui.qt import (
    QByteArray,
    QCheckBox,
    QFontDatabase,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QSvgWidget,
    Qt,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from gui.submission import prepare, snapshot
from gui.worker import Task
from prechecks.attachments import AttachmentError, format_size
from prechecks.bundle import PreparedBundle, PreviewFile
from prechecks.html import report_body  # the report.html layout, for the rendered view
from prechecks.summary import REDACTION_CLASSES

ROLE = Qt.ItemDataRole.UserRole
SHOWN_CHARS = 2_000_000  # a bigger text file is shown in part: the archive still holds all of it
Prepared = tuple[PreparedBundle, list[PreviewFile]]


class ReviewPage(Page):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Review the archive")
        self.setSubTitle("Every file exactly as it will be saved, redaction applied. Nothing is written yet.")
        self._preparing: Task | None = None
        self._shown_key: tuple[Any, ...] | None = None  # the submission the tree shows
        self._files: dict[str, PreviewFile] = {}
        self._current: str | None = None
        layout = QVBoxLayout(self)
        self.summary = wrapped_label(selectable=True)
        self.summary.setAccessibleName("Archive summary")
        layout.addWidget(self.summary)
        self.sizing = sizing_tree()  # facts["sizing"]: the pricing inputs as the archive holds them
        layout.addWidget(self.sizing)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        tree_label = QLabel("Fi&les in the archive:")
        left_layout.addWidget(tree_label)
        self.tree = two_column_tree(["File", "Size"], "Files in the archive")
        tree_label.setBuddy(self.tree)
        self.tree.currentItemChanged.connect(lambda current, _previous: self._item_chosen(current))
        left_layout.addWidget(self.tree, 1)
        splitter.addWidget(left)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.file_heading = wrapped_label(selectable=True)  # a row of its own: room for the SHA-256 in one piece
        self.file_heading.setAccessibleName("Selected file")
        right_layout.addWidget(self.file_heading)
        heading = QHBoxLayout()
        heading.addStretch(1)
        self.rendered_toggle = QCheckBox("Show rendered (&Markdown)")
        self.rendered_toggle.setAccessibleName("Show the Markdown rendered")
        self.rendered_toggle.setToolTip("Off: the file's text exactly as saved. On: the same text laid out.")
        self.rendered_toggle.setChecked(True)
        self.rendered_toggle.toggled.connect(lambda _on: self._show_file(self._current))
        heading.addWidget(self.rendered_toggle)
        right_layout.addLayout(heading)
        self.content = QPlainTextEdit()
        self.content.setReadOnly(True)
        self.content.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.content.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.content.setAccessibleName("File content as saved")
        right_layout.addWidget(self.content, 1)
        self.rendered = QTextBrowser()
        self.rendered.setOpenExternalLinks(True)
        self.rendered.setAccessibleName("File content, rendered")
        right_layout.addWidget(self.rendered, 1)
        self.rendered.hide()
        self.chart = QSvgWidget()  # a chart (charts/*.svg) drawn as the archive's report.html shows it
        self.chart.renderer().setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        self.chart.setAccessibleName("Chart, rendered")
        right_layout.addWidget(self.chart, 1)
        self.chart.hide()
        splitter.addWidget(right)
        left.setMinimumWidth(text_width(left, 58))  # the file names whole, not only their first letters
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        self.redaction = RedactionChoices({"hostnames": "H", "ips": "I", "users": "A", "identifiers": "S"},
                                          detailed=True)
        self.redaction.changed.connect(self._redaction_changed)
        layout.addWidget(self.redaction)
        QWidget.setTabOrder(self.tree, self.rendered_toggle)
        QWidget.setTabOrder(self.rendered_toggle, self.content)
        QWidget.setTabOrder(self.content, self.rendered)
        QWidget.setTabOrder(self.rendered, self.redaction.boxes["hostnames"])

    # -- preparing -----------------------------------------------------------------------------
    def initializePage(self) -> None:
        self.redaction.set_classes(self.state.redact)
        self.refresh()

    @property
    def ready(self) -> bool:
        """The tree shows what Save will write for the current choices."""
        state = self.state
        return (self._preparing is None and state.prepared is not None and self._shown_key is not None
                and state.prepared_for == self._shown_key == state.submission_key())

    def _redaction_changed(self, classes: tuple[str, ...]) -> None:
        self.state.redact = classes
        self.refresh()

    def refresh(self) -> None:
        """Prepare the archive's files for the current choices, unless the tree already shows them."""
        if self.ready:
            return
        self.summary.setText("Preparing the archive's files (redaction applied)…")
        if self._preparing is None:  # else the running one ends, sees the choices changed and starts again
            self._start()

    def _start(self) -> None:
        state = self.state
        if state.result is None:
            self.summary.setText("Nothing was collected yet: go back to the collection.")
            return
        submission = snapshot(state)

        def op(_task: Task) -> Prepared:
            prepared = prepare(submission)
            return prepared, prepared.preview()

        self._preparing = self.tasks.run_in_background(
            op, success=lambda value: self._prepared(submission.key, value),
            failure=lambda exc: self._failed(submission.key, exc))

    def _outdated(self, key: tuple[Any, ...]) -> bool:
        """A result for older choices: dropped, and the current ones prepared if the page is showing."""
        if key == self.state.submission_key():
            return False
        if self.host.currentPage() is self:
            self._start()
        return True

    def _prepared(self, key: tuple[Any, ...], value: Prepared) -> None:
        self._preparing = None
        if self._outdated(key):
            return
        prepared, files = value
        self.state.prepared, self.state.prepared_for = prepared, key
        self._shown_key = key
        self.show_prepared(prepared, files)

    def _failed(self, key: tuple[Any, ...], exc: BaseException) -> None:
        self._preparing = None
        if self._outdated(key):
            return
        self._shown_key = None
        reason = str(exc) if isinstance(exc, (AttachmentError, OSError)) else f"{type(exc).__name__}: {exc}"
        hint = " Go back to Attachments and remove or replace it." if isinstance(exc, AttachmentError) else ""
        self.summary.setText(f"Could not prepare the archive: {reason}.{hint}")
        log.error("review: could not prepare the archive: %s", reason)

    # -- showing -------------------------------------------------------------------------------
    def show_prepared(self, prepared: PreparedBundle, files: list[PreviewFile]) -> None:
        manifest = _manifest(prepared)
        listed = [f for f in manifest.get("files", []) if isinstance(f, dict)]
        total = sum(int(f.get("size", 0)) for f in listed)
        lines = [f"The archive holds {len(files)} files: manifest.json lists the other {len(listed)}, "
                 f"{format_size(total)} before compression, each with its size and SHA-256."]
        if prepared.redactor.classes:
            counts = prepared.redactor.counts()
            replaced = ", ".join(f"{REDACTION_CLASSES[c].label.lower()} ({counts.get(c, 0)})"
                                 for c in prepared.redactor.classes)
            lines.append(f"Replaced by pseudonyms: {replaced}. The redaction map (pseudonym → real name) is "
                         "saved next to the archive, never inside it.")
        else:
            lines.append("No names are replaced: host names, addresses, accounts and schema names appear as on "
                         "the server. Secrets are always removed.")
        self.summary.setText("\n".join(lines))
        show_sizing(self.sizing, prepared)
        self._files = {f.path: f for f in files}
        self._fill_tree(files)

    def _fill_tree(self, files: list[PreviewFile]) -> None:
        keep = self._current if self._current in self._files else None
        self.tree.blockSignals(True)
        self.tree.clear()
        folders: dict[str, QTreeWidgetItem] = {}
        sizes: dict[str, int] = {}
        chosen: QTreeWidgetItem | None = None
        for file in files:
            parts = file.path.split("/")
            parent: QTreeWidgetItem | None = None
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                sizes[folder] = sizes.get(folder, 0) + file.size
                if folder not in folders:
                    node = QTreeWidgetItem([parts[depth - 1] + "/", ""])
                    if parent is None:
                        self.tree.addTopLevelItem(node)
                    else:
                        parent.addChild(node)
                    folders[folder] = node
                parent = folders[folder]
            item = QTreeWidgetItem([parts[-1], format_size(file.size)])
            item.setData(0, ROLE, file.path)
            item.setToolTip(0, file.path)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if parent is None:
                self.tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
            is_report = file.path.rsplit("/", 1)[-1].startswith("ps_report_")  # in a server's folder too
            if file.path == keep or (keep is None and chosen is None and is_report):
                chosen = item
        for folder, node in folders.items():
            node.setText(1, format_size(sizes[folder]))
            node.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.tree.expandAll()
        self.tree.blockSignals(False)
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
        self._item_chosen(chosen)

    def _item_chosen(self, item: QTreeWidgetItem | None) -> None:
        path = item.data(0, ROLE) if item is not None else None
        self._show_file(path if isinstance(path, str) else None)

    def _show_file(self, path: str | None) -> None:
        self._current = path
        file = self._files.get(path) if path is not None else None
        markdown = file is not None and file.text is not None and file.path.endswith(".md")
        chart = file is not None and file.text is not None and file.path.endswith(".svg")
        self.rendered_toggle.setVisible(markdown or chart)
        if file is None:
            self.file_heading.setText("Select a file to see its content.")
            self.content.setPlainText("")
            self._show_rendered(False)
            return
        self.file_heading.setText(f"{file.path}: {format_size(file.size)} ({file.size} bytes), "
                                  f"SHA-256 {file.sha256}")
        if file.text is None:
            self.content.setPlainText(f"Binary file, {file.size} bytes, SHA-256 {file.sha256}. "
                                      "It is saved unchanged; its content is not shown here.")
        elif len(file.text) > SHOWN_CHARS:
            self.content.setPlainText(file.text[:SHOWN_CHARS] + f"\n[… shown up to {SHOWN_CHARS} characters of "
                                      f"{len(file.text)}: the archive holds the whole file]")
        else:
            self.content.setPlainText(file.text)
        if markdown and self.rendered_toggle.isChecked():
            report = file.path.rsplit("/", 1)[-1].startswith("ps_report_")
            if report:  # the report's own layout, made readable
                self.rendered.setHtml(report_body(file.text or ""))
            else:
                self.rendered.setMarkdown(file.text or "")
            self._show_rendered(True)
        elif chart and self.rendered_toggle.isChecked():
            self.chart.load(QByteArray((file.text or "").encode("utf-8")))
            self._show_rendered(False, chart=True)
        else:
            self._show_rendered(False)

    def _show_rendered(self, rendered: bool, *, chart: bool = False) -> None:
        self.rendered.setVisible(rendered)
        self.chart.setVisible(chart)
        self.content.setVisible(not rendered and not chart)


SIZING_COLUMNS = ["Input", "Value", "Source", "Window"]


def sizing_tree() -> QTreeWidget:
    tree = QTreeWidget()
    tree.setColumnCount(len(SIZING_COLUMNS))
    tree.setHeaderLabels(SIZING_COLUMNS)
    tree.setAccessibleName("Sizing and pricing inputs")
    tree.setToolTip("Sizing and pricing inputs (facts.json \"sizing\"): each value with where it comes from")
    tree.setMaximumHeight(text_lines(tree, 12))
    tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    tree.hide()
    return tree


def show_sizing(tree: QTreeWidget, prepared: PreparedBundle) -> None:
    """The sizing rows of every facts.json of the archive (one per server folder), as saved (redaction applied);
    the table is hidden when no facts document has one."""
    tables: list[tuple[str, list[dict[str, Any]]]] = []
    for path, data in sorted(prepared.files.items()):
        if path.rsplit("/", 1)[-1] != "facts.json":
            continue
        try:
            sizing = json.loads(data).get("sizing")
        except (ValueError, AttributeError):
            continue
        rows = sizing.get("rows") if isinstance(sizing, dict) else None
        if isinstance(rows, list):
            tables.append((path.rpartition("/")[0], [r for r in rows if isinstance(r, dict)]))
    tree.clear()
    for folder, rows in tables:
        parent: QTreeWidgetItem | None = None
        if len(tables) > 1:
            parent = QTreeWidgetItem([folder or "(top level)", "", "", ""])
            tree.addTopLevelItem(parent)
        for row in rows:
            window = row.get("window")
            item = QTreeWidgetItem([str(row.get("label") or row.get("key") or ""), str(row.get("value") or ""),
                                    str(row.get("source") or ""), "" if window is None else str(window)])
            if row.get("detail"):
                for column in range(len(SIZING_COLUMNS)):
                    item.setToolTip(column, str(row["detail"]))
            if parent is None:
                tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
    tree.expandAll()
    tree.setVisible(bool(tables))


def _manifest(prepared: PreparedBundle) -> dict[str, Any]:
    try:
        document = json.loads(prepared.files.get("manifest.json", b"{}"))
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
