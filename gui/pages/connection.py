"""Page 2: where the server is, who we are, TLS; Test connection and the privilege preflight.

Test connection (and Next, which tests first when the fields changed) runs `collectors.probe` in
the background; a failure shows the classified cause and remedy, a success lists the parts the
account cannot run with the GRANT that fixes each.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from collectors.connection import TLS_MODES, ConnectionFailed, ConnectionSpec
from collectors.errors import scrub
from collectors.optionfiles import OptionFileError, read_option_files
from collectors.probe import Probe, probe
from gui.logs import SECRETS
from gui.pages.base import Page, copy_button, log, wrapped_label
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
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from gui.settings import Keychain, RecentConnection, Settings
from gui.worker import Task

TLS_LABELS = {
    "disabled": "Disabled: no encryption",
    "preferred": "Preferred: encrypted when the server offers it, certificate not verified",
    "required": "Required: encrypted, certificate not verified",
    "verify_ca": "Verify CA: encrypted, certificate checked against the CA file",
    "verify_identity": "Verify identity: as Verify CA, and the host name must match",
}
NO_KEYCHAIN = ("No system keychain was found on this computer: the password is kept in memory for this "
               "session only, and never written to disk.")
KEYCHAIN = "Stored in your system keychain (service \"ps-prechecks\"), never in a file."


class ConnectionPage(Page):
    def __init__(self, settings: Settings, keychain: Keychain) -> None:
        super().__init__()
        self.settings = settings
        self.keychain = keychain
        self._testing: Task | None = None
        self._advance_after_test = False
        self.setTitle("Connect to the server")
        self.setSubTitle("Use an account with read access; the test shows what it cannot see and how to fix it.")

        outer = QVBoxLayout(self)
        form = QFormLayout()
        self.recent = QComboBox()
        self.recent.setAccessibleName("Recent connections")
        self._recent_label = QLabel("R&ecent connections:")
        self._recent_label.setBuddy(self.recent)
        form.addRow(self._recent_label, self.recent)

        via = QWidget()
        via_layout = QHBoxLayout(via)
        via_layout.setContentsMargins(0, 0, 0, 0)
        self.via_tcp = QRadioButton("&TCP/IP")
        self.via_socket = QRadioButton("Local soc&ket")
        self.via_tcp.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.via_tcp)
        group.addButton(self.via_socket)
        via_layout.addWidget(self.via_tcp)
        via_layout.addWidget(self.via_socket)
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
        self.remember = QCheckBox("&Remember in the system keychain")
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
        ca_row = QWidget()
        ca_layout = QHBoxLayout(ca_row)
        ca_layout.setContentsMargins(0, 0, 0, 0)
        ca_layout.addWidget(self.ssl_ca, 1)
        self.ca_browse = QPushButton("Se&lect…")
        self.ca_browse.setAccessibleName("Select CA file")
        self.ca_browse.clicked.connect(self._pick_ca)
        ca_layout.addWidget(self.ca_browse)

        for text, widget in (("&Host:", self.host_edit), ("P&ort:", self.port), ("Socket &path:", self.socket_edit),
                             ("&User:", self.user), ("Pass&word:", self.password), ("TLS &mode:", self.tls_mode),
                             ("&CA file:", ca_row)):
            label = QLabel(text)
            label.setBuddy(self.ssl_ca if widget is ca_row else widget)
            form.addRow(label, widget)
            if widget is self.password:
                form.addRow("", self.remember)
                form.addRow("", self.keychain_note)
        outer.addLayout(form)

        buttons = QHBoxLayout()
        self.import_default = QPushButton("I&mport from ~/.my.cnf")
        self.import_default.clicked.connect(lambda: self.import_option_file(Path.home() / ".my.cnf"))
        self.import_other = QPushButton("Import option &file…")
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
        self.preflight.setMinimumHeight(110)
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

        self.via_tcp.toggled.connect(self._via_changed)
        self.recent.activated.connect(self._recent_chosen)
        for edit in (self.host_edit, self.socket_edit, self.user):
            edit.textChanged.connect(self.completeChanged)
        self._via_changed()
        self._keychain_changed()
        self._load_recent()
        self.import_default.setEnabled((Path.home() / ".my.cnf").is_file())

    # -- fields ----------------------------------------------------------------------------------
    def _via_changed(self) -> None:
        tcp = self.via_tcp.isChecked()
        self.host_edit.setEnabled(tcp)
        self.port.setEnabled(tcp)
        self.socket_edit.setEnabled(not tcp)
        self.completeChanged.emit()

    def _keychain_changed(self) -> None:
        available = self.keychain.available()
        self.keychain_available = available
        self.remember.setEnabled(available)
        if not available:
            self.remember.setChecked(False)
        self.keychain_note.setText(KEYCHAIN if available else NO_KEYCHAIN)

    def isComplete(self) -> bool:  # the fields are prefilled: registerField("x*") would call them empty
        if self.via_tcp.isChecked():
            return bool(self.host_edit.text().strip())
        return bool(self.socket_edit.text().strip())

    def current_spec(self) -> ConnectionSpec:
        spec = ConnectionSpec(
            user=self.user.text().strip() or None,
            password=self.password.text() or None,
            tls_mode=str(self.tls_mode.currentData()),
            ssl_ca=self.ssl_ca.text().strip() or None,
        )
        if self.via_socket.isChecked():
            return replace(spec, host=None, socket=self.socket_edit.text().strip())
        return replace(spec, host=self.host_edit.text().strip(), port=self.port.value())

    def current_recent(self) -> RecentConnection:
        return RecentConnection(
            via="socket" if self.via_socket.isChecked() else "tcp", host=self.host_edit.text().strip(),
            port=self.port.value(), socket=self.socket_edit.text().strip(), user=self.user.text().strip(),
            tls_mode=str(self.tls_mode.currentData()), ssl_ca=self.ssl_ca.text().strip(),
        )

    def fill(self, connection: RecentConnection, password: str | None = None) -> None:
        (self.via_socket if connection.via == "socket" else self.via_tcp).setChecked(True)
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
        stored = self.keychain.get(entry.keychain_user) if self.keychain_available else None
        self.password.clear()
        self.fill(entry, stored)
        self.remember.setChecked(stored is not None)

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
        if self._testing is not None:
            self._advance_after_test = self._advance_after_test or advance
            return
        spec = self.current_spec()
        if spec.password:
            SECRETS.secrets = {spec.password}
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
        advance, self._advance_after_test = self._advance_after_test, False
        if advance and not result.preflight and self.host.currentPage() is self:
            self.host.next()

    def _test_failed(self, spec: ConnectionSpec, exc: BaseException) -> None:
        self._testing = None
        self._advance_after_test = False
        self.test_button.setEnabled(True)
        self.state.probe = self.state.probed_spec = None
        self.preflight_box.setVisible(False)
        secrets = [spec.password] if spec.password else []
        if isinstance(exc, ConnectionFailed):
            problem = exc.problem
            self.status.setText(f"Could not connect ({problem.cause.replace('_', ' ')}): {problem.message}")
            self.remedy.setText(f"What to do: {problem.remedy}" if problem.remedy else "")
            log.warning("test connection failed: %s", problem.one_line())
        else:
            self.status.setText(scrub(f"Could not connect: {type(exc).__name__}: {exc}", secrets))
            self.remedy.setText("What to do: check the host, port and TLS settings, then test again.")
            log.warning("test connection failed: %s", type(exc).__name__)

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
        if spec.password and self.remember.isChecked():
            if not self.keychain.store(recent.keychain_user, spec.password):
                self._keychain_changed()
                self.keychain_note.setText(NO_KEYCHAIN)
        elif not self.remember.isChecked() and self.keychain_available:
            self.keychain.forget(recent.keychain_user)
        return True
