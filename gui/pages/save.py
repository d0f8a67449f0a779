"""Page 9: save the archive atomically (prechecks.bundle.write_bundle), then: open its folder, copy an
e-mail text about it (prechecks.summary), open the technical questionnaire form the archive is uploaded at the
end of (resources/links.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from gui.pages.base import Page, copy_button, log, wrapped_label
from gui.qt import (
    QDesktopServices,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QUrl,
    QVBoxLayout,
)
from gui.submission import Submission, prepare, save_archive, snapshot
from gui.worker import Task
from prechecks.attachments import format_size
from prechecks.bundle import PreparedBundle, archive_name
from prechecks.summary import ArchiveFile, email_text, upload_url


def default_directory() -> Path:
    documents = Path(platformdirs.user_documents_dir())
    return documents if documents.is_dir() else Path.home()


@dataclass(frozen=True)
class Saved:
    path: Path
    prepared: PreparedBundle  # the bytes written
    archive: ArchiveFile
    email: str
    redaction_map: Path | None


def save_and_describe(submission: Submission, target: Path, prepared: PreparedBundle | None) -> Saved:
    """The worker's part: write the archive, checksum the file on disk, write the e-mail text about it."""
    prepared = prepared or prepare(submission)
    path = save_archive(submission, target, prepared)
    archive = ArchiveFile.of(path)
    redaction_map = path.with_name(path.name.removesuffix(".tgz") + ".redaction-map.json")
    return Saved(path, prepared, archive, email_text(prepared.files, archive),
                 redaction_map if prepared.redactor.classes and redaction_map.exists() else None)


class SavePage(Page):
    sent_status: QLabel  # made below the button whose click writes it

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Save the archive")
        self.setSubTitle("One file for PlanetScale: upload it at the end of the technical questionnaire form, or "
                         "e-mail it to your solutions rep. This tool sends nothing anywhere.")
        self._saving: Task | None = None
        self._saved: Saved | None = None
        self._saved_key: tuple[Any, ...] | None = None
        self._follows_wizard = False
        self.upload_url = upload_url()
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
        self.save_button.setAccessibleName("Save the archive")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.save_button)
        self.open_folder = QPushButton("&Open containing folder")
        self.open_folder.setAccessibleName("Open the folder that holds the archive")
        self.open_folder.setEnabled(False)
        self.open_folder.clicked.connect(self._open_folder)
        buttons.addWidget(self.open_folder)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = wrapped_label(selectable=True)
        self.status.setAccessibleName("Save status")
        layout.addWidget(self.status)

        layout.addSpacing(12)
        layout.addWidget(wrapped_label(
            "Then send it, either way: upload the archive at the end of PlanetScale's technical questionnaire "
            "form, or attach it to an e-mail to your PlanetScale solutions rep. The e-mail text sums up the "
            "submission (server, readiness, questionnaire, the archive's size and SHA-256, what was redacted)."))
        after = QHBoxLayout()
        self.copy_email = copy_button(self.email_text, "Copy e-&mail text", "Copy the e-mail text")
        self.copy_email.setEnabled(False)
        self.copy_email.clicked.connect(lambda: self.sent_status.setText(
            "E-mail text copied to the clipboard: paste it into your e-mail to PlanetScale."))
        after.addWidget(self.copy_email)
        self.open_upload = QPushButton("Open the u&pload form")
        self.open_upload.setAccessibleName("Open the technical questionnaire form, where the archive is uploaded, "
                                           "in the browser")
        self.open_upload.setToolTip(self.upload_url)
        self.open_upload.setEnabled(False)
        self.open_upload.clicked.connect(self._open_upload)
        after.addWidget(self.open_upload)
        after.addStretch(1)
        layout.addLayout(after)
        self.upload_link = wrapped_label(f"Technical questionnaire form (upload the archive at its end): "
                                         f"{self.upload_url}", selectable=True)
        self.upload_link.setAccessibleName("Upload form address")
        layout.addWidget(self.upload_link)
        self.sent_status = wrapped_label(selectable=True)
        self.sent_status.setAccessibleName("Sending status")
        layout.addWidget(self.sent_status)
        layout.addStretch(1)

    def initializePage(self) -> None:
        if not self._follows_wizard:  # connected once; this page switch emits it too, after this call
            self.host.currentIdChanged.connect(self._take_default)
            self._follows_wizard = True
        state = self.state
        saved = self._saved
        if saved is not None and (state.archive != saved.path or self._saved_key != state.submission_key()):
            # back, a change (or a new run), and here again: the saved file is not what Review showed
            self._forget_saved()
            self.status.setText(f"The submission changed after you saved {saved.path.name}: save again to "
                                "include the changes.")
        if state.archive is not None:
            self.path.setText(str(state.archive))
        elif not self.path.text() or Path(self.path.text()).name != archive_name(state.timestamp):
            self.path.setText(str(default_directory() / archive_name(state.timestamp)))

    def _take_default(self, _page_id: int = -1) -> None:
        """Enter saves until the archive is saved. QWizard makes Finish (disabled until then) the default button
        when it switches pages, after initializePage(), and emits currentIdChanged after that, in the same call:
        so the Save button takes it back before any key is handled. (A zero timer did it later: a Return that
        came before the timer ran pressed the disabled Finish, and nothing was saved.)"""
        if self.state.archive is None and self.host.currentPage() is self:
            self.save_button.setDefault(True)

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
        self._forget_saved()
        self.status.setText("Saving…")
        submission = snapshot(state)
        prepared = state.prepared if state.prepared_for == submission.key else None
        self._saving = self.tasks.run_in_background(
            lambda _task: save_and_describe(submission, target, prepared),
            success=lambda saved: self._done_saving(submission.key, saved), failure=self._failed,
        )

    def _forget_saved(self) -> None:
        self.state.archive = None
        self._saved = self._saved_key = None
        for button in (self.open_folder, self.copy_email, self.open_upload):
            button.setEnabled(False)
        self.completeChanged.emit()

    def _done_saving(self, key: tuple[Any, ...], saved: Saved) -> None:
        self._saving = None
        state = self.state
        state.archive, self._saved, self._saved_key = saved.path, saved, key
        state.prepared, state.prepared_for = saved.prepared, key
        lines = [f"Saved: {saved.path} ({format_size(saved.archive.size)}), SHA-256 {saved.archive.sha256}. "
                 "Upload this file at the end of the technical questionnaire form, or e-mail it to your "
                 "PlanetScale solutions rep."]
        if saved.redaction_map is not None:
            lines.append(f"The redaction map is next to it: {saved.redaction_map}. Keep it private; do not send it.")
            if state.earlier_map is not None:  # it holds the earlier map's names too: the next run reuses it
                self.host.settings.remember_redaction_map(str(saved.redaction_map))
                lines.append("It holds the earlier map's names too; the next run reuses it.")
        self.status.setText("\n".join(lines))
        log.info("archive saved: %s", saved.path)
        self.save_button.setEnabled(True)
        self.save_button.setDefault(False)  # Enter: Finish, which the wizard makes the default again
        for button in (self.open_folder, self.copy_email, self.open_upload):
            button.setEnabled(True)
        self.copy_email.setFocus()  # the next thing to do; Enter on it copies
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self._saving = None
        self.save_button.setEnabled(True)
        self._take_default()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self.status.setText(f"Could not save: {reason}. Nothing partial was left; free some space or "
                            "choose another folder.")
        log.warning("save failed: %s", reason)

    def _open_folder(self) -> None:
        if self.state.archive is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.state.archive.parent)))

    def email_text(self) -> str:
        return self._saved.email if self._saved is not None else ""

    def _open_upload(self) -> None:
        if not QDesktopServices.openUrl(QUrl(self.upload_url)):
            self.sent_status.setText(f"Could not open a browser: open {self.upload_url} yourself, or e-mail "
                                     "the archive to your PlanetScale solutions rep.")
