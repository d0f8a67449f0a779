"""Page 2: where the server is, who we are, TLS; Test connection and the privilege preflight.

Test connection (and Next, which tests first when the fields changed) runs `collectors.probe` in
the background; a failure shows the classified cause and remedy, a success lists the parts the
account cannot run with the GRANT that fixes each.

Every keychain call (is there one, read the saved password, store it, forget it) can block for seconds
(D-Bus, a macOS keychain prompt): they run one at a time, in the order asked, in a worker (TaskQueue).

TCP/IP over SSH: the bastion's fields (no secret is saved with them; the key's passphrase may go to the
keychain); a bastion whose host key is not known yet asks "Trust and connect" with its SHA256 fingerprint.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from collectors.connection import TLS_MODES, ConnectionFailed, ConnectionSpec
from collectors.errors import Cause, scrub
from collectors.optionfiles import OptionFileError, read_option_files
from collectors.probe import Probe, probe
from collectors.tunnel import HostKey, HostKeyUnknown, SshSpec, trust_host_key, user_known_hosts
from gui.logs import SECRETS
from gui.pages.base import Page, copy_button, log, text_lines, wrapped_label
from gui.qt import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    Qt,
    QtGui,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from gui.settings import Keychain, RecentConnection, Settings, passphrase_keychain_user
from gui.state import PageId
from gui.worker import Task, TaskQueue
from prechecks.multi import server_verdict

TLS_LABELS = {
    "disabled": "Disabled: no encryption",
    "preferred": "Preferred: encrypted when the server offers it, certificate not verified",
    "required": "Required: encrypted, certificate not verified",
    "verify_ca": "Verify CA: encrypted, certificate checked against this CA file only",
    "verify_identity": "Verify identity: as Verify CA, and the host name must match",
}
NO_KEYCHAIN = ("No system keychain was found on this computer: the password is kept in memory for this "
               "session only, and never written to disk.")
KEYCHAIN = "Stored in your system keychain (service \"ps-prechecks\"), never in a file."
KEYCHAIN_CHECKING = "Looking for a system keychain…"
KEYCHAIN_READING = "Reading the saved password from the system keychain…"
KEYCHAIN_REFUSED = ("The system keychain did not store the password (locked, or access denied): it is kept in "
                    "memory for this session only, and never written to disk.")
WAITING_FOR_KEYCHAIN = "Waiting for the saved password from the system keychain, then testing…"


def keychain_user(spec: ConnectionSpec) -> str:
    """The keychain entry's user name for a connection (RecentConnection.keychain_user of the same fields)."""
    if spec.socket and not spec.host:
        return RecentConnection(via="socket", socket=spec.socket, user=spec.user or "").keychain_user
    return RecentConnection(host=spec.host or "", port=spec.port, user=spec.user or "").keychain_user


def file_row(edit: QLineEdit, text: str, accessible: str, pick: Callable[[], None]) -> tuple[QWidget, QPushButton]:
    """A file name field with its browse button beside it, as one form row."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = QPushButton(text)
    button.setAccessibleName(accessible)
    button.clicked.connect(pick)
    layout.addWidget(button)
    return row, button


class _Remembered:
    """One secret a Remember box keeps in the system keychain, through the page's keychain queue.
    ``stored``: (entry, secret) the keychain holds as far as we know, so Next does not store it again."""

    def __init__(self, page: ConnectionPage, box: QCheckBox, refused: Callable[[], None] = lambda: None) -> None:
        self.page, self.box, self.refused = page, box, refused
        self.stored: tuple[str, str] | None = None

    def sync(self, user: str, secret: str | None, *, forget: bool) -> None:
        """Box ticked: store the secret (once per entry and secret). Unticked and `forget`: remove the entry."""
        page = self.page
        if self.box.isChecked() and secret:
            if self.stored == (user, secret):
                return
            self.stored = (user, secret)
            page.keychain_calls.run(lambda: page.keychain.store(user, secret),
                                    success=lambda stored: self._done(user, stored),
                                    failure=lambda _exc: self._done(user, False))
        elif forget and not self.box.isChecked():
            if self.stored is not None and self.stored[0] == user:
                self.stored = None
            page.keychain_calls.run(lambda: page.keychain.forget(user), success=lambda _value: None)

    def _done(self, user: str, stored: bool) -> None:
        if stored:
            return
        if self.stored is not None and self.stored[0] == user:
            self.stored = None
        self.box.setChecked(False)
        self.page.keychain_note.setText(KEYCHAIN_REFUSED)
        self.refused()


class ConnectionPage(Page):
    def __init__(self, settings: Settings, keychain: Keychain, keychain_calls: TaskQueue) -> None:
        super().__init__()
        self.settings = settings
        self.keychain = keychain
        self.keychain_calls = keychain_calls  # every keyring call goes through it, never on the GUI thread
        self.keychain_available: bool | None = None  # None: still looking
        self._lookup = 0  # bumped by each recent connection picked: an older lookup's answer is dropped
        self._looking_up = False
        self._test_after_lookup: bool | None = None  # Test (False) or Next (True) pressed while looking up
        self._testing: Task | None = None
        self._advance_after_test = False
        self.host_key_dialog: QMessageBox | None = None  # open while the user decides on an unknown host key
        self.setTitle("Connect to the server")
        self.setSubTitle("Use an account with read access; the test shows what it cannot see and how to fix it.")

        outer = QVBoxLayout(self)
        form = QFormLayout()
        self.recent = QComboBox()
        self.recent.setAccessibleName("Recent connections")
        self._recent_label = QLabel("Recent connect&ions:")
        self._recent_label.setBuddy(self.recent)
        form.addRow(self._recent_label, self.recent)

        via = QWidget()
        via_layout = QHBoxLayout(via)
        via_layout.setContentsMargins(0, 0, 0, 0)
        self.via_tcp = QRadioButton("&TCP/IP")
        self.via_socket = QRadioButton("Local soc&ket")
        self.via_ssh = QRadioButton("TCP/IP o&ver SSH")
        self.via_tcp.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.via_tcp)
        group.addButton(self.via_socket)
        group.addButton(self.via_ssh)
        via_layout.addWidget(self.via_tcp)
        via_layout.addWidget(self.via_socket)
        via_layout.addWidget(self.via_ssh)
        via_layout.addStretch(1)
        form.addRow("Connect via:", via)

        self.host_edit = QLineEdit("127.0.0.1")
        self.host_edit.setAccessibleName("Host")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(3306)
        self.port.setAccessibleName("Port")
        self.socket_edit = QLineEdit()
        self.socket_edit.setAccessibleName("Socket path")
        self.socket_edit.setPlaceholderText("/run/mysqld/mysqld.sock")
        self.user = QLineEdit()
        self.user.setAccessibleName("User")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.remember = QCheckBox("Re&member in the system keychain")
        self.keychain_note = wrapped_label()
        self.keychain_note.setAccessibleName("Keychain status")
        self.tls_mode = QComboBox()
        for mode in TLS_MODES:
            self.tls_mode.addItem(TLS_LABELS[mode], mode)
        self.tls_mode.setCurrentIndex(TLS_MODES.index("preferred"))
        self.tls_mode.setAccessibleName("TLS mode")
        self.ssl_ca = QLineEdit()
        self.ssl_ca.setAccessibleName("CA file")
        self.ssl_ca.setPlaceholderText("PEM file of the certificate authority (for Verify CA / identity)")
        ca_row, self.ca_browse = file_row(self.ssl_ca, "Se&lect…", "Select CA file", self._pick_ca)

        for text, widget in (("&Host:", self.host_edit), ("P&ort:", self.port), ("Socket &path:", self.socket_edit),
                             ("Us&er:", self.user), ("Pass&word:", self.password), ("TLS mo&de:", self.tls_mode),
                             ("&CA file:", ca_row)):
            label = QLabel(text)
            label.setBuddy(self.ssl_ca if widget is ca_row else widget)
            form.addRow(label, widget)
            if widget is self.password:
                form.addRow("", self.remember)
                form.addRow("", self.keychain_note)
        outer.addLayout(form)
        self.ssh_box = self._build_ssh_box()
        outer.addWidget(self.ssh_box)

        buttons = QHBoxLayout()
        self.import_default = QPushButton("Import from ~/.m&y.cnf")
        self.import_default.clicked.connect(lambda: self.import_option_file(Path.home() / ".my.cnf"))
        self.import_other = QPushButton("Impo&rt option file…")
        self.import_other.clicked.connect(self._pick_option_file)
        self.test_button = QPushButton("Te&st connection")
        self.test_button.clicked.connect(lambda: self.test_connection(advance=False))
        for button in (self.import_default, self.import_other):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        outer.addLayout(buttons)

        self.status = wrapped_label(selectable=True)
        self.status.setAccessibleName("Connection status")
        outer.addWidget(self.status)
        self.remedy = wrapped_label(selectable=True)
        self.remedy.setAccessibleName("Remedy")
        outer.addWidget(self.remedy)

        self.preflight_box = QGroupBox("Privilege preflight")
        box_layout = QVBoxLayout(self.preflight_box)
        self.preflight_summary = wrapped_label()
        box_layout.addWidget(self.preflight_summary)
        self.preflight = QTreeWidget()
        self.preflight.setColumnCount(4)
        self.preflight.setHeaderLabels(["Part", "Effect", "GRANT that fixes it", ""])
        self.preflight.setRootIsDecorated(False)
        self.preflight.setAccessibleName("Privilege preflight")
        self.preflight.setMinimumHeight(text_lines(self.preflight, 8))
        box_layout.addWidget(self.preflight)
        self.preflight_reason = wrapped_label(selectable=True)
        self.preflight_reason.setAccessibleName("Why the selected part is affected")
        box_layout.addWidget(self.preflight_reason)
        self.preflight.currentItemChanged.connect(
            lambda current, _previous: self.preflight_reason.setText(current.toolTip(0) if current else ""))
        self.copy_all = copy_button(self.all_grants, "Copy all &GRANTs", "Copy all GRANT statements")
        box_layout.addWidget(self.copy_all)
        self.preflight_box.setVisible(False)
        outer.addWidget(self.preflight_box, 1)

        # the servers already in the archive; made last, so it comes last in the Tab order
        self.submission_box = QWidget()
        submission_layout = QHBoxLayout(self.submission_box)
        submission_layout.setContentsMargins(0, 0, 0, 0)
        self.submission_note = wrapped_label(selectable=True)
        self.submission_note.setAccessibleName("Servers already in the archive")
        submission_layout.addWidget(self.submission_note, 1)
        self.go_on_without = QPushButton("Go on without another server")
        self.go_on_without.setAccessibleName("Go on without another server: back to the findings")
        self.go_on_without.clicked.connect(self.resume_last_kept)
        submission_layout.addWidget(self.go_on_without, 0, Qt.AlignmentFlag.AlignTop)
        self.submission_box.setVisible(False)
        outer.insertWidget(0, self.submission_box)
        self._resuming = False  # "Go on without another server": Next goes straight to Findings

        self.via_tcp.toggled.connect(self._via_changed)
        self.via_ssh.toggled.connect(self._via_changed)
        self.recent.activated.connect(self._recent_chosen)
        for edit in (self.host_edit, self.socket_edit, self.user):
            edit.textChanged.connect(self.completeChanged)
        # what Remember keeps in the keychain: the password (per user@server) and the SSH key's passphrase
        self.password_memory = _Remembered(self, self.remember, self._recheck_keychain)
        self.passphrase_memory = _Remembered(self, self.remember_passphrase)
        self._via_changed()
        self._load_recent()
        self.check_keychain()
        self.import_default.setEnabled((Path.home() / ".my.cnf").is_file())

    # -- several servers in one archive ------------------------------------------------------------
    def showEvent(self, event: QtGui.QShowEvent) -> None:
        # Findings' "Add another server" comes back here with Back, which calls no initializePage()
        if self.wizard() is not None:
            self.show_submission()
        super().showEvent(event)

    def show_submission(self) -> None:
        state = self.state
        self.submission_box.setVisible(bool(state.kept))
        if not state.kept:
            return
        held = "; ".join(f"{k.name} ({server_verdict(k.readiness)})" for k in state.kept)
        if state.result is None and state.probe is None:  # what the last test said was about the kept server
            self.status.clear()
            self.remedy.clear()
            self.preflight_box.setVisible(False)
        if state.result is None:
            self.submission_note.setText(f"Adding a server. Already in the archive: {held}. Connect to the next "
                                         "server.")
        else:
            self.submission_note.setText(f"Also in the archive: {held}. Another connection here replaces the run "
                                         f"of {state.current_name()} only.")
        self.go_on_without.setVisible(state.result is None)
        names = ", ".join(k.name for k in state.kept)
        self.go_on_without.setToolTip(f"Back to the findings of {state.kept[-1].name}; the archive holds {names}.")

    def resume_last_kept(self) -> None:
        """No other server after all: the last kept one is the current server again, shown on Findings."""
        state = self.state
        if not state.kept or state.result is not None or self._testing is not None:
            return
        kept = state.resume_last_kept()
        log.info("connection: no other server; back to the findings of %s", kept.name)
        self._resuming = True
        try:
            self.host.next()
        finally:
            self._resuming = False

    def nextId(self) -> int:
        return int(PageId.FINDINGS) if self._resuming else int(PageId.OPTIONS)

    # -- fields ----------------------------------------------------------------------------------
    def _build_ssh_box(self) -> QGroupBox:
        """TCP/IP over SSH: the bastion and how to log in to it (keys only: the file, else the SSH agent)."""
        box = QGroupBox("SSH bastion")
        form = QFormLayout(box)
        note = wrapped_label()
        note.setText("Host and port above name the MySQL server as the bastion sees it (127.0.0.1 when MySQL "
                     "runs on the bastion). Its host key is checked against ~/.ssh/known_hosts.")
        form.addRow(note)
        self.ssh_host = QLineEdit()
        self.ssh_host.setAccessibleName("SSH bastion host")
        self.ssh_host.setPlaceholderText("bastion.example.com")
        self.ssh_port = QSpinBox()
        self.ssh_port.setRange(1, 65535)
        self.ssh_port.setValue(22)
        self.ssh_port.setAccessibleName("SSH port")
        self.ssh_user = QLineEdit()
        self.ssh_user.setAccessibleName("SSH user")
        self.ssh_user.setPlaceholderText(f"{getpass.getuser()} (your login name)")
        self.ssh_key = QLineEdit()
        self.ssh_key.setAccessibleName("SSH key file")
        self.ssh_key.setPlaceholderText("your SSH agent's keys, else ~/.ssh/id_ed25519, id_ecdsa or id_rsa")
        key_row, self.ssh_key_browse = file_row(self.ssh_key, "Choose…", "Choose SSH key file", self._pick_ssh_key)
        self.ssh_passphrase = QLineEdit()
        self.ssh_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.ssh_passphrase.setAccessibleName("SSH key passphrase")
        self.ssh_passphrase.setPlaceholderText("only for an encrypted key")
        self.remember_passphrase = QCheckBox("Remember the passphrase in the system keychain")
        for text, widget, buddy in (("B&astion host:", self.ssh_host, self.ssh_host),
                                    ("Bastion port:", self.ssh_port, self.ssh_port),
                                    ("Bastion user:", self.ssh_user, self.ssh_user),
                                    ("Key file:", key_row, self.ssh_key),
                                    ("Key passphrase:", self.ssh_passphrase, self.ssh_passphrase)):
            label = QLabel(text)
            label.setBuddy(buddy)
            form.addRow(label, widget)
        form.addRow("", self.remember_passphrase)
        self.ssh_host.textChanged.connect(self.completeChanged)
        return box

    def _pick_ssh_key(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "SSH private key", str(Path.home() / ".ssh"),
                                                    "All files (*)")
        if path:
            self.ssh_key.setText(path)

    def _via_changed(self) -> None:
        tcp = not self.via_socket.isChecked()  # TCP/IP, directly or over SSH
        self.host_edit.setEnabled(tcp)
        self.port.setEnabled(tcp)
        self.socket_edit.setEnabled(not tcp)
        self.ssh_box.setVisible(self.via_ssh.isChecked())
        self.completeChanged.emit()

    # -- the keychain (every call in the background, in order) --------------------------------------
    def check_keychain(self) -> None:
        """Is there a system keychain? Remember stays off until the answer is in."""
        self.keychain_available = None
        self.remember.setEnabled(False)
        self.remember_passphrase.setEnabled(False)
        self.keychain_note.setText(KEYCHAIN_CHECKING)
        self.keychain_calls.run(self.keychain.available, success=self._keychain_checked,
                                failure=lambda _exc: self._keychain_checked(False))

    def _keychain_checked(self, available: bool) -> None:
        self.keychain_available = available
        self.remember.setEnabled(available)
        self.remember_passphrase.setEnabled(available)
        if not available:
            self.remember.setChecked(False)
            self.remember_passphrase.setChecked(False)
        if not self._looking_up:
            self.keychain_note.setText(KEYCHAIN if available else NO_KEYCHAIN)

    def _read_stored_password(self, entry: RecentConnection) -> None:
        self._lookup += 1
        lookup, user = self._lookup, entry.keychain_user
        self._looking_up = True
        self.keychain_note.setText(KEYCHAIN_READING)
        self.keychain_calls.run(lambda: self.keychain.get(user),
                                success=lambda password: self._stored_password(lookup, user, password),
                                failure=lambda _exc: self._stored_password(lookup, user, None))

    def _stored_password(self, lookup: int, user: str, password: str | None) -> None:
        if lookup != self._lookup:  # another connection was picked meanwhile: its own lookup follows
            return
        self._looking_up = False
        self.keychain_note.setText(KEYCHAIN if self.keychain_available else NO_KEYCHAIN)
        # the fields still name that entry and the user has not typed a password meanwhile
        if password is not None and self.current_recent().keychain_user == user and not self.password.text():
            self.password.setText(password)
            self.remember.setChecked(True)
            self.password_memory.stored = (user, password)
        pending, self._test_after_lookup = self._test_after_lookup, None
        if pending is not None:
            self.test_connection(advance=pending)

    def _sync_keychain(self, spec: ConnectionSpec, *, forget: bool) -> None:
        """Remember ticked: store the password (once per entry and password). Unticked and `forget`: remove it."""
        if self.keychain_available:
            self.password_memory.sync(keychain_user(spec), spec.password, forget=forget)

    def _recheck_keychain(self) -> None:
        """A refused write may mean the keychain went away: look again."""

        def checked(available: bool) -> None:
            self.keychain_available = available
            self.remember.setEnabled(available)
            if not available:
                self.keychain_note.setText(NO_KEYCHAIN)

        self.keychain_calls.run(self.keychain.available, success=checked, failure=lambda _exc: checked(False))

    # the SSH key's passphrase: read when a recent connection is picked, kept when Remember is ticked
    def _read_stored_passphrase(self, entry: RecentConnection) -> None:
        key, user = entry.ssh_key, entry.passphrase_keychain_user
        self.keychain_calls.run(lambda: self.keychain.get(user),
                                success=lambda passphrase: self._stored_passphrase(key, user, passphrase),
                                failure=lambda _exc: None)

    def _stored_passphrase(self, key: str, user: str, passphrase: str | None) -> None:
        if passphrase is not None and self.ssh_key.text().strip() == key and not self.ssh_passphrase.text():
            self.ssh_passphrase.setText(passphrase)
            self.remember_passphrase.setChecked(True)
            self.passphrase_memory.stored = (user, passphrase)

    def _sync_passphrase(self, spec: ConnectionSpec, *, forget: bool) -> None:
        """As _sync_keychain, for the SSH key's passphrase (one keychain entry per key file)."""
        ssh = spec.ssh
        if self.keychain_available and ssh is not None and ssh.key_file:
            self.passphrase_memory.sync(passphrase_keychain_user(ssh.key_file), ssh.passphrase, forget=forget)

    def isComplete(self) -> bool:  # the fields are prefilled: registerField("x*") would call them empty
        if self.via_ssh.isChecked():
            return bool(self.host_edit.text().strip()) and bool(self.ssh_host.text().strip())
        if self.via_tcp.isChecked():
            return bool(self.host_edit.text().strip())
        return bool(self.socket_edit.text().strip())

    def current_ssh(self) -> SshSpec | None:
        """The bastion of "TCP/IP over SSH"; None for the other ways, or while its host is empty."""
        host = self.ssh_host.text().strip()
        if not self.via_ssh.isChecked() or not host:
            return None
        key = self.ssh_key.text().strip()
        return SshSpec(host, self.ssh_port.value(), user=self.ssh_user.text().strip() or None,
                       key_file=os.path.expanduser(key) if key else None,
                       passphrase=self.ssh_passphrase.text() or None)

    def current_spec(self) -> ConnectionSpec:
        spec = ConnectionSpec(
            user=self.user.text().strip() or None,
            password=self.password.text() or None,
            tls_mode=str(self.tls_mode.currentData()),
            ssl_ca=self.ssl_ca.text().strip() or None,
        )
        if self.via_socket.isChecked():
            return replace(spec, host=None, socket=self.socket_edit.text().strip())
        return replace(spec, host=self.host_edit.text().strip(), port=self.port.value(), ssh=self.current_ssh())

    def current_recent(self) -> RecentConnection:
        via = "socket" if self.via_socket.isChecked() else "ssh" if self.via_ssh.isChecked() else "tcp"
        return RecentConnection(
            via=via, host=self.host_edit.text().strip(),
            port=self.port.value(), socket=self.socket_edit.text().strip(), user=self.user.text().strip(),
            tls_mode=str(self.tls_mode.currentData()), ssl_ca=self.ssl_ca.text().strip(),
            ssh_host=self.ssh_host.text().strip(), ssh_port=self.ssh_port.value(),
            ssh_user=self.ssh_user.text().strip(), ssh_key=self.ssh_key.text().strip(),  # never the passphrase
        )

    def fill(self, connection: RecentConnection, password: str | None = None) -> None:
        via = {"socket": self.via_socket, "ssh": self.via_ssh}.get(connection.via, self.via_tcp)
        via.setChecked(True)
        self.ssh_host.setText(connection.ssh_host)
        self.ssh_port.setValue(connection.ssh_port)
        self.ssh_user.setText(connection.ssh_user)
        self.ssh_key.setText(connection.ssh_key)
        self.host_edit.setText(connection.host)
        self.port.setValue(connection.port)
        self.socket_edit.setText(connection.socket)
        self.user.setText(connection.user)
        index = self.tls_mode.findData(connection.tls_mode)
        self.tls_mode.setCurrentIndex(index if index >= 0 else TLS_MODES.index("preferred"))
        self.ssl_ca.setText(connection.ssl_ca)
        if password is not None:
            self.password.setText(password)
        self._via_changed()

    def _load_recent(self) -> None:
        self.recent.clear()
        self._recent_entries = self.settings.recent()
        self.recent.addItem("(new connection)" if self._recent_entries else "(none yet)")
        for entry in self._recent_entries:
            self.recent.addItem(entry.label)
        self.recent.setEnabled(bool(self._recent_entries))

    def _recent_chosen(self, index: int) -> None:
        if index <= 0 or index > len(self._recent_entries):
            return
        entry = self._recent_entries[index - 1]
        self.password.clear()
        self.remember.setChecked(False)
        self.ssh_passphrase.clear()
        self.remember_passphrase.setChecked(False)
        self.fill(entry)
        if self.keychain_available is not False:  # None: the check is queued first, the lookup waits for it
            if entry.via == "ssh" and entry.ssh_key:  # queued first: in the field before a pending test runs
                self._read_stored_passphrase(entry)
            self._read_stored_password(entry)  # the password follows when the keychain answers

    def _pick_ca(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "CA certificate", str(Path.home()),
                                                    "Certificates (*.pem *.crt *.cer);;All files (*)")
        if path:
            self.ssl_ca.setText(path)
            if self.tls_mode.currentData() in ("disabled", "preferred", "required"):
                self.tls_mode.setCurrentIndex(TLS_MODES.index("verify_ca"))

    def _pick_option_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "MySQL option file", str(Path.home()),
                                                    "Option files (*.cnf *.ini);;All files (*)")
        if path:
            self.import_option_file(Path(path))

    def import_option_file(self, path: Path) -> None:
        """Fill the fields from an option file's [client] groups, as the mysql client reads them."""
        try:
            values = read_option_files([path])
        except OptionFileError as exc:
            self.status.setText(str(exc))
            self.remedy.clear()
            return
        taken = []
        if values.get("socket") and not values.get("host"):
            self.via_socket.setChecked(True)
            self.socket_edit.setText(values["socket"])
            taken.append("socket")
        if values.get("host"):
            if values["host"] == "localhost" and values.get("socket"):
                self.via_socket.setChecked(True)
                self.socket_edit.setText(values["socket"])
                taken.append("socket")
            else:
                if not self.via_ssh.isChecked():  # over SSH the option file's host is the one the bastion sees
                    self.via_tcp.setChecked(True)
                self.host_edit.setText(values["host"])
                taken.append("host")
        if values.get("port", "").isdigit():
            self.port.setValue(int(values["port"]))
            taken.append("port")
        if values.get("user"):
            self.user.setText(values["user"])
            taken.append("user")
        if values.get("password"):
            self.password.setText(values["password"])
            taken.append("password")
        if values.get("ssl_ca"):
            self.ssl_ca.setText(values["ssl_ca"])
            taken.append("ssl-ca")
        mode = values.get("ssl_mode", "").strip().lower().replace("-", "_")
        if mode in TLS_MODES:
            self.tls_mode.setCurrentIndex(TLS_MODES.index(mode))
            taken.append("ssl-mode")
        elif values.get("ssl_ca"):
            self.tls_mode.setCurrentIndex(TLS_MODES.index("verify_ca"))
        self._via_changed()
        what = ", ".join(taken) if taken else "nothing (no [client] options found)"
        self.status.setText(f"Imported from {path}: {what}.")
        self.remedy.setText("\n".join(values.warnings))

    # -- Test connection ---------------------------------------------------------------------------
    def test_connection(self, *, advance: bool) -> None:
        if self._looking_up:  # the saved password is on its way: test with it
            self._test_after_lookup = bool(self._test_after_lookup) or advance
            self.status.setText(WAITING_FOR_KEYCHAIN)
            return
        if self._testing is not None:
            self._advance_after_test = self._advance_after_test or advance
            return
        if self.via_ssh.isChecked() and not self.ssh_host.text().strip():
            self.status.setText("Give the SSH bastion's host name (or choose TCP/IP to connect directly).")
            self.remedy.clear()
            return
        spec = self.current_spec()
        if spec.secrets:  # and the kept servers' secrets: their runs are still in this archive
            SECRETS.secrets = set(spec.secrets) | set(self.state.kept_secrets)
        self._advance_after_test = advance
        self.status.setText(f"Connecting to {spec.target} as {spec.effective_user}…")
        self.remedy.clear()
        self.test_button.setEnabled(False)
        log.info("test connection: %s as %s (TLS %s)", spec.target, spec.effective_user, spec.tls_mode)
        self._testing = self.tasks.run_in_background(
            lambda task: probe(spec, task.cancel_token),
            success=lambda result: self._tested(spec, result),
            failure=lambda exc: self._test_failed(spec, exc),
        )

    def _tested(self, spec: ConnectionSpec, result: Probe) -> None:
        self._testing = None
        self.test_button.setEnabled(True)
        self.state.probe, self.state.probed_spec = result, spec
        flavor = "MariaDB" if result.identity.is_mariadb else "MySQL"
        self.status.setText(f"Connected: {flavor} {result.identity.version} as {result.account}.")
        self.remedy.setText("\n".join(result.safety_notes))
        log.info("connected: %s %s", flavor, result.identity.version)
        self.show_preflight(result)
        self._sync_keychain(spec, forget=False)  # the password works: keep it if Remember is ticked
        self._sync_passphrase(spec, forget=False)
        advance, self._advance_after_test = self._advance_after_test, False
        if advance and not result.preflight and self.host.currentPage() is self:
            self.host.next()

    def _test_failed(self, spec: ConnectionSpec, exc: BaseException) -> None:
        self._testing = None
        advance, self._advance_after_test = self._advance_after_test, False
        self.test_button.setEnabled(True)
        self.state.probe = self.state.probed_spec = None
        self.preflight_box.setVisible(False)
        secrets = spec.secrets
        if isinstance(exc, ConnectionFailed):
            problem = exc.problem
            self.status.setText(f"Could not connect ({problem.cause.replace('_', ' ')}): {problem.message}")
            self.remedy.setText(f"What to do: {problem.remedy}" if problem.remedy else "")
            log.warning("test connection failed: %s", problem.one_line())
            if isinstance(exc, HostKeyUnknown):
                self.remedy.setText("Check the fingerprint, then trust the key to connect.")
                self.ask_to_trust(exc.host_key, advance)
            elif problem.cause == Cause.SSH_KEY_ENCRYPTED:  # the CLI's remedy names its prompt and variable
                self.remedy.setText("What to do: type the key's passphrase in Key passphrase, or add the key to "
                                    "your SSH agent (ssh-add).")
        else:
            self.status.setText(scrub(f"Could not connect: {type(exc).__name__}: {exc}", secrets))
            self.remedy.setText("What to do: check the host, port and TLS settings, then test again.")
            log.warning("test connection failed: %s", type(exc).__name__)

    def ask_to_trust(self, key: HostKey, advance: bool) -> None:
        """The bastion's host key is in no known_hosts: show its fingerprint; "Trust and connect" records it in
        ps-prechecks' own known_hosts and tests again. Window-modal, not a nested event loop."""
        dialog = QMessageBox(QMessageBox.Icon.Warning, "Unknown SSH host key",
                             f"This computer has not connected to the SSH bastion {key.host} before.",
                             QMessageBox.StandardButton.NoButton, self)
        dialog.setInformativeText(
            f"It presents this {key.key_type} host key:\n\n{key.fingerprint}\n\n"
            "Compare it with the fingerprint the bastion's administrator gives you (ssh-keygen -lf on its host "
            f"key). Trust it only if they match: it is then recorded in {user_known_hosts()}.")
        dialog.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.trust_host_key_button = dialog.addButton("Trust and connect", QMessageBox.ButtonRole.AcceptRole)
        dialog.setDefaultButton(dialog.addButton(QMessageBox.StandardButton.Cancel))
        dialog.finished.connect(lambda _result: self._host_key_answered(dialog, key, advance))
        self.host_key_dialog = dialog
        dialog.open()

    def _host_key_answered(self, dialog: QMessageBox, key: HostKey, advance: bool) -> None:
        self.host_key_dialog = None
        dialog.deleteLater()
        if dialog.clickedButton() is not self.trust_host_key_button:
            self.status.setText(f"Not connected: the host key of the SSH bastion {key.host} was not trusted.")
            return
        try:
            path = trust_host_key(key)
        except OSError as exc:
            self.status.setText(f"Could not record the host key in {user_known_hosts()}: {exc.strerror or exc}")
            return
        log.info("trusted the SSH host key of %s (%s %s), recorded in %s", key.host, key.key_type, key.fingerprint,
                 path)
        self.test_connection(advance=advance)

    def show_preflight(self, result: Probe) -> None:
        self.preflight.clear()
        self.preflight_box.setVisible(True)
        skipped = [i for i in result.preflight if not i.partial]
        partial = [i for i in result.preflight if i.partial]
        if not result.preflight:
            self.preflight_summary.setText("The account can run every part of the collection.")
        else:
            self.preflight_summary.setText(
                f"{len(skipped)} part(s) will be skipped and {len(partial)} will read less with this account. "
                "Grant what is missing (the GRANTs below, run by an administrator) and test again, "
                "or press Next to go on without them."
            )
        for item in result.preflight:
            grants = " ".join(item.grant_statements(result.account))
            row = QTreeWidgetItem([item.title, "reads less" if item.partial else "skipped", grants, ""])
            for column in range(3):
                row.setToolTip(column, f"{item.title}: {item.reason}")
            self.preflight.addTopLevelItem(row)
            self.preflight.setItemWidget(row, 3, copy_button(grants, "Copy", f"Copy GRANT for {item.title}"))
        for column in range(4):
            self.preflight.resizeColumnToContents(column)
        first = self.preflight.topLevelItem(0)
        if first is not None:
            self.preflight.setCurrentItem(first)
        self.copy_all.setEnabled(bool(result.preflight))

    def all_grants(self) -> str:
        result = self.state.probe
        if result is None:
            return ""
        statements: list[str] = []
        for item in result.preflight:
            statements += [s for s in item.grant_statements(result.account) if s not in statements]
        return "\n".join(statements)

    # -- Next --------------------------------------------------------------------------------------
    def validatePage(self) -> bool:
        if self._resuming:  # the kept server's connection and run are back: nothing to test
            return True
        spec = self.current_spec()
        if self.state.probe is None or self.state.probed_spec != spec:
            self.test_connection(advance=True)  # Next tests first, and goes on by itself when all is well
            return False
        self.state.spec = spec
        recent = self.current_recent()
        try:
            self.settings.remember(recent)  # never the password
        except OSError as exc:
            log.warning("could not save recent connections: %s", exc.strerror or exc)
        self._sync_keychain(spec, forget=True)  # in the background: Next does not wait for the keychain
        self._sync_passphrase(spec, forget=True)
        return True
