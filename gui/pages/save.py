"""Page 9: save the archive atomically (prechecks.bundle.write_bundle), then open its folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from gui.pages.base import Page, log, wrapped_label
from gui.qt import QDesktopServices, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QUrl, QVBoxLayout
from gui.submission import save_archive, snapshot
from gui.worker import Task
from prechecks.bundle import archive_name


def default_directory() -> Path:
    documents = Path(platformdirs.user_documents_dir())
    return documents if documents.is_dir() else Path.home()


class SavePage(Page):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Save the archive")
        self.setSubTitle("One file to upload to PlanetScale; nothing is sent anywhere by this tool.")
        self._saving: Task | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped_label(
            "The archive holds the report, the raw samples, facts.json, readiness.json and a manifest with "
            "every file's checksum. Your password is in none of them."))
        row = QHBoxLayout()
        label = QLabel("Save &as:")
        self.path = QLineEdit()
        self.path.setAccessibleName("Archive file name")
        label.setBuddy(self.path)
        row.addWidget(label)
        row.addWidget(self.path, 1)
        self.choose = QPushButton("C&hoose…")
        self.choose.setAccessibleName("Choose where to save")
        self.choose.clicked.connect(self._choose)
        row.addWidget(self.choose)
        layout.addLayout(row)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("&Save archive")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.save_button)
        self.open_folder = QPushButton("&Open containing folder")
        self.open_folder.setEnabled(False)
        self.open_folder.clicked.connect(self._open_folder)
        buttons.addWidget(self.open_folder)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = wrapped_label(selectable=True)
        self.status.setAccessibleName("Save status")
        layout.addWidget(self.status)
        layout.addStretch(1)

    def initializePage(self) -> None:
        if self.state.archive is not None:
            self.path.setText(str(self.state.archive))
        elif not self.path.text() or Path(self.path.text()).name != archive_name(self.state.timestamp):
            self.path.setText(str(default_directory() / archive_name(self.state.timestamp)))
        self.save_button.setDefault(self.state.archive is None)

    def isComplete(self) -> bool:
        return self.state.archive is not None

    def _choose(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Save the archive", self.path.text(),
                                                    "Archives (*.tgz);;All files (*)")
        if path:
            self.path.setText(path)

    def save(self) -> None:
        state = self.state
        if state.result is None or self._saving is not None:
            return
        target = Path(self.path.text()).expanduser()
        if not target.parent.is_dir():
            self.status.setText(f"The folder {target.parent} does not exist: choose another place.")
            return
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        submission = snapshot(state)
        prepared = state.prepared if state.prepared_for == submission.key else None
        self._saving = self.tasks.run_in_background(
            lambda _task: save_archive(submission, target, prepared),
            success=self._saved, failure=self._failed,
        )

    def _saved(self, path: Path) -> None:
        self._saving = None
        self.state.archive = path
        size = path.stat().st_size
        self.status.setText(f"Saved: {path} ({size / 1024:.0f} KiB). Upload this file to PlanetScale.")
        log.info("archive saved: %s", path)
        self.save_button.setEnabled(True)
        self.save_button.setDefault(False)
        self.open_folder.setEnabled(True)
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self._saving = None
        self.save_button.setEnabled(True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self.status.setText(f"Could not save: {reason}. Nothing partial was left; free some space or "
                            "choose another folder.")
        log.warning("save failed: %s", reason)

    def _open_folder(self) -> None:
        if self.state.archive is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.state.archive.parent)))
