"""Page 3: which databases, how long to sample, whether to read the schema DDL, what to redact."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from collectors.connection import ConnectionFailed
from collectors.probe import Probe, probe
from gui.pages.base import Page, log, wrapped_label
from gui.qt import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    Qt,
    QtCore,
    QtGui,
    QtWidgets,
    QVBoxLayout,
    QWidget,
    Signal,
)
from gui.state import PrometheusChoice
from gui.worker import Task
from prechecks.collection import RunOptions
from prechecks.redaction import CLASSES, EarlierMap, RedactionMapError, load_map
from prechecks.summary import ALWAYS_REDACTED, REDACTION_CLASSES

SAMPLING_HELP = (
    "The status counters are read twice, this many seconds apart, to measure the query rate. "
    "A longer interval gives a better picture of the server's real load (peaks and averages); "
    "the other parts are read during the interval, so the run takes about this long plus a few seconds."
)
COMPACT_NOTE = ("Secrets are always removed. With a class on, the map from pseudonyms to the real names is saved "
                "next to the archive, never inside it. Review shows every file with your choice applied.")
NO_EARLIER_MAP = "none: pseudonyms are numbered from 001"
DDL_HELP = ("The CREATE statements of every table, view and routine (no rows): PlanetScale's engineers use "
            "them to plan the schema. It has its own 60 s budget and says what it cut.")


class RedactionChoices(QGroupBox):
    """One checkbox per optional redaction class (Options and Review both show it).

    ``detailed``: each box with its description beside it, two to a row (Review, which has the room);
    otherwise a compact 2 x 2 grid whose labels name the pseudonym, the description in the tooltip and
    the accessible description (Options). ``changed`` carries the chosen classes in
    prechecks.redaction.CLASSES order; set_classes() does not emit it, so a page can show the state
    without writing it back."""

    changed = Signal(tuple)

    def __init__(self, mnemonics: Mapping[str, str] | None = None, *, detailed: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__("Redaction: replace names with pseudonyms, the same in every file", parent)
        grid = QGridLayout(self)
        grid.addWidget(wrapped_label(ALWAYS_REDACTED if detailed else COMPACT_NOTE), 0, 0, 1, 4)
        self.boxes: dict[str, QCheckBox] = {}
        for index, name in enumerate(CLASSES):
            words = REDACTION_CLASSES[name]
            letter = (mnemonics or {}).get(name, "")
            label = words.label.replace(letter, f"&{letter}", 1) if letter else words.label
            box = QCheckBox(label if detailed else f"{label} → {words.pseudonyms}…")
            box.setAccessibleName(f"Redact {words.label.lower()}")
            box.setAccessibleDescription(words.description)
            box.setToolTip(words.description)
            box.toggled.connect(lambda _checked: self.changed.emit(self.classes()))
            self.boxes[name] = box
            row, column = 1 + index // 2, (index % 2) * 2
            if detailed:
                grid.addWidget(box, row, column, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(wrapped_label(words.description), row, column + 1, Qt.AlignmentFlag.AlignTop)
            else:
                grid.addWidget(box, row, column, 1, 2)
        if detailed:
            grid.setColumnStretch(1, 1)
            grid.setColumnStretch(3, 1)

    def classes(self) -> tuple[str, ...]:
        return tuple(name for name in CLASSES if self.boxes[name].isChecked())

    def set_classes(self, classes: tuple[str, ...]) -> None:
        for name, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(name in classes)
            box.blockSignals(False)


class EarlierMapChoice(QWidget):
    """Reuse names from an earlier run's redaction map: the same name gets the same pseudonym as in that
    archive, a new name the next free number. The classes ticked above decide what is replaced."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Earlier map:"))
        self.path = QLineEdit()  # read-only: a long path scrolls instead of widening the window
        self.path.setReadOnly(True)
        self.path.setPlaceholderText(NO_EARLIER_MAP)
        self.path.setAccessibleName("Earlier redaction map")
        row.addWidget(self.path, 1)
        self.choose = QPushButton("Reuse names from an &earlier map…")
        self.choose.setAccessibleName("Reuse names from an earlier redaction map")
        self.choose.setToolTip("The map an earlier run saved next to its archive (…redaction-map.json): each name "
                               "it holds gets the same pseudonym again")
        row.addWidget(self.choose)
        self.clear = QPushButton("C&lear")
        self.clear.setAccessibleName("Clear the earlier redaction map")
        self.clear.setEnabled(False)
        row.addWidget(self.clear)
        layout.addLayout(row)
        self.status = wrapped_label()
        self.status.setVisible(False)
        layout.addWidget(self.status)

    def show_map(self, earlier: EarlierMap | None, note: str = "", *, clearable: bool = False) -> None:
        self.path.setText(str(earlier.path) if earlier else "")
        self.path.setCursorPosition(0)
        self.clear.setEnabled(earlier is not None or clearable)
        self.status.setText(note)
        self.status.setVisible(bool(note))


HISTORY_HELP = "Days of load instead of seconds, read-only; leave the URL empty to skip."
HISTORY_TIP = ("The Prometheus or PMM that scrapes this server's mysqld_exporter: its history goes into the archive "
               "(history.json, charts). An empty token uses PS_PRECHECKS_PROMETHEUS_TOKEN or the keychain.")


def _credentials(url: str, token: str) -> Any:
    """The token typed on the page, else the environment or the keychain as ``ps-prechecks --prometheus`` reads."""
    from collectors.prometheus import Credentials, credentials

    return Credentials(f"Bearer {token}", "the token given on the Options page") if token else credentials(url)


def find_instances(choice: PrometheusChoice) -> list[tuple[str, str]]:
    """(label, matcher) of each MySQL instance the store has over the window; in a worker (network)."""
    from collectors.prometheus import PrometheusClient, instance_label, instance_matcher, list_instances

    client = PrometheusClient(choice.url, auth=_credentials(choice.url, choice.token), ca_file=choice.ca_file or None)
    return [(instance_label(labels), instance_matcher(labels))
            for labels in list_instances(client, window_seconds=choice.days * 86400)]


def read_history(choice: PrometheusChoice, task: Task) -> tuple[str | None, tuple[str, ...]]:
    """During Collect, in its worker after the SQL part: history.json's text (None when it could not be read, said
    in the log in one line) and the credentials' secrets."""
    from collectors.prometheus import PrometheusClient, PrometheusError, PrometheusOptions, collect_history, one_line
    from collectors.runner import ProgressEvent

    def line(message: str) -> None:
        task.emit_progress(ProgressEvent("log", "prometheus", "History (Prometheus)", 0, 1, 1.0, None, message))

    secrets: tuple[str, ...] = ()
    line(f"reading {choice.days:g} days of history from {choice.url} (read-only)")
    try:
        auth = _credentials(choice.url, choice.token)
        secrets = tuple(auth.secrets)
        options = PrometheusOptions(choice.url, match=choice.match, days=choice.days, ca_file=choice.ca_file or None)
        client = PrometheusClient(choice.url, auth=auth, ca_file=options.ca_file)
        document = collect_history(options, client=client)
    except PrometheusError as exc:
        line(f"not read: {exc}")
        log.warning("prometheus history not read: %s", exc)
        return None, secrets
    line(one_line(document))
    return json.dumps(document, indent=1, sort_keys=True) + "\n", secrets


class HistorySource(QGroupBox):
    """History from Prometheus or PMM: URL, token, CA file, days; Find instances lists the MySQL instances the
    store has and the one picked is read during Collect (read_history)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("History from Prometheus or PMM (optional)", parent)
        grid = QGridLayout(self)
        self.url = QLineEdit()
        self.url.setPlaceholderText("http://prometheus:9090 (PMM: https://pmm-server/prometheus)")
        self.url.setAccessibleName("Prometheus or PMM URL")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("bearer token (optional)")
        self.token.setAccessibleName("Prometheus bearer token")
        self.remember = QCheckBox("Remember the token in the keychain")
        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText("CA file (PEM) for a private certificate, optional")
        self.ca_file.setAccessibleName("Prometheus CA file")
        browse = QPushButton("&Give a CA file…")
        browse.clicked.connect(self._choose_ca)
        self.days = QSpinBox()
        self.days.setRange(1, 400)
        self.days.setValue(14)
        self.days.setSuffix(" days")
        self.days.setAccessibleName("Days of history")
        self.find_button = QPushButton("Find M&ySQL instances")
        self.instances = QComboBox()
        self.instances.setAccessibleName("MySQL instance in Prometheus")
        self.instances.setEnabled(False)
        self.status = wrapped_label(HISTORY_HELP, selectable=True)
        self.status.setAccessibleName("Prometheus history status")
        self.setToolTip(HISTORY_TIP)
        for row, (label, widget, extra) in enumerate((("&Prometheus URL:", self.url, None),
                                                      ("Token:", self.token, self.remember),
                                                      ("CA file:", self.ca_file, browse))):
            caption = QLabel(label)
            caption.setBuddy(widget)
            grid.addWidget(caption, row, 0)
            grid.addWidget(widget, row, 1, 1, 1 if extra is not None else 2)
            if extra is not None:
                grid.addWidget(extra, row, 2)
        window = QLabel("&Window:")
        window.setBuddy(self.days)
        grid.addWidget(window, 3, 0)
        line = QHBoxLayout()
        line.addWidget(self.days)
        line.addWidget(self.find_button)
        line.addWidget(self.instances, 1)
        grid.addLayout(line, 3, 1, 1, 2)
        grid.addWidget(self.status, 4, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        self.url.textChanged.connect(self._forget_instances)

    def _choose_ca(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "CA certificate", str(Path.home()),
                                                    "Certificates (*.pem *.crt);;All files (*)")
        if path:
            self.ca_file.setText(path)

    def _forget_instances(self) -> None:
        self.instances.clear()
        self.instances.setEnabled(False)

    def choice(self) -> PrometheusChoice | None:
        url = self.url.text().strip()
        if not url:
            return None
        match = str(self.instances.currentData() or "") if self.instances.count() else ""
        return PrometheusChoice(url, match, float(self.days.value()), self.ca_file.text().strip(),
                                self.token.text().strip())

    def show_instances(self, found: list[tuple[str, str]]) -> None:
        self.find_button.setEnabled(True)
        self.instances.clear()
        for label, matcher in found:
            self.instances.addItem(label, matcher)
        self.instances.setEnabled(bool(found))
        self.status.setText(f"{len(found)} MySQL instance(s) found: pick this server's; it is read during Collect."
                            if found else "No MySQL instance (mysql_up) in that store over the window: is "
                            "mysqld_exporter scraped by it?")

    def show_problem(self, exc: BaseException) -> None:
        """One line: the collector's cause, its remedy in the page's words when it names the command line's."""
        from collectors.prometheus import TOKEN_ENV

        self.find_button.setEnabled(True)
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "(HTTP 401)" in text and not self.token.text().strip():
            text = f"{text.split(' — ')[0]} — give its bearer token above (or set {TOKEN_ENV})"
        self.status.setText(text)
class _Ticks(QtCore.QIdentityProxyModel):
    """A tick box on every row of the model below, the ticks kept by name in ``unticked`` (a set): the rows
    are never asked one by one in Python, only the few the view draws and the one the DBA clicks."""

    def __init__(self, unticked: set[str], changed: Callable[[], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.unticked = unticked
        self._changed = changed

    def flags(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex) -> Qt.ItemFlag:
        return (super().flags(index) | Qt.ItemFlag.ItemIsUserCheckable) & ~Qt.ItemFlag.ItemIsEditable

    def data(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.CheckStateRole and index.isValid():
            name = super().data(index, Qt.ItemDataRole.DisplayRole)
            return Qt.CheckState.Unchecked if name in self.unticked else Qt.CheckState.Checked
        return super().data(index, role)

    def setData(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        name = str(super().data(index, Qt.ItemDataRole.DisplayRole))
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
        if checked:
            self.unticked.discard(name)
        else:
            self.unticked.add(name)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self._changed()
        return True

    def refresh(self) -> None:
        """Every row's tick drawn again (after Tick/Untick shown): one signal, not one per row."""
        rows = self.rowCount()
        if rows:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, 0), [Qt.ItemDataRole.CheckStateRole])


class DatabaseList(QWidget):
    """The "Only these" list: a filter box over a checkable list that stays quick with 10,000 databases.

    The names live in a QStringListModel, a QSortFilterProxyModel filters them (in Qt, not row by row in
    Python), and a thin proxy on top adds the tick boxes, kept by name (``unticked``): loading, filtering and
    Tick/Untick shown each cost a few calls, whatever the number of databases, and the choice holds through
    any filter."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        label = QLabel("Names &containing:")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("part of a database name")
        self.filter.setAccessibleName("Filter the databases")
        self.filter.setClearButtonEnabled(True)
        label.setBuddy(self.filter)
        row.addWidget(label)
        row.addWidget(self.filter, 1)
        self.tick_shown = QPushButton("Tic&k shown")
        self.tick_shown.setAccessibleName("Tick every database the filter shows")
        self.untick_shown = QPushButton("Untick shown")
        self.untick_shown.setAccessibleName("Untick every database the filter shows")
        row.addWidget(self.tick_shown)
        row.addWidget(self.untick_shown)
        layout.addLayout(row)
        self.names: list[str] = []
        self.unticked: set[str] = set()
        self.model = QtCore.QStringListModel(self)
        self.proxy = QtCore.QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.ticks = _Ticks(self.unticked, self.changed.emit, self)
        self.ticks.setSourceModel(self.proxy)
        self.view = QtWidgets.QListView()
        self.view.setModel(self.ticks)
        self.view.setUniformItemSizes(True)  # rows are not measured one by one
        self.view.setAccessibleName("Databases to collect")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        layout.addWidget(self.view, 1)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.tick_shown.clicked.connect(lambda: self._tick_shown(True))
        self.untick_shown.clicked.connect(lambda: self._tick_shown(False))

    def show_names(self, names: list[str], unticked: set[str]) -> None:
        self.names = list(names)
        self.unticked.clear()
        self.unticked.update(unticked)  # the same set the tick proxy reads
        self.model.setStringList(self.names)
        self.changed.emit()

    def shown(self) -> list[str]:
        """The names the filter shows, as the proxy matches them (case-blind substring)."""
        text = self.filter.text().casefold()
        return [n for n in self.names if text in n.casefold()]

    def _tick_shown(self, tick: bool) -> None:
        shown = self.shown()
        if tick:
            self.unticked.difference_update(shown)
        else:
            self.unticked.update(shown)
        self.ticks.refresh()
        self.changed.emit()

    def ticked(self) -> int:
        return len(self.names) - len(self.unticked)

    def chosen(self) -> list[str]:
        return [n for n in self.names if n not in self.unticked]


class OptionsPage(Page):
    def __init__(self) -> None:
        super().__init__()
        self._servers_kept = 0  # len(state.kept) the database choice was made for
        self.setTitle("What to collect")
        self.setSubTitle("The defaults suit most servers.")
        self._loading = False
        layout = QVBoxLayout(self)

        databases = QGroupBox("Databases")
        db_layout = QVBoxLayout(databases)
        self.all_databases = QRadioButton("&All databases (system schemas are always read for settings only)")
        self.chosen_databases = QRadioButton("&Only these:")
        self.all_databases.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.all_databases)
        group.addButton(self.chosen_databases)
        db_layout.addWidget(self.all_databases)
        db_layout.addWidget(self.chosen_databases)
        self.databases = DatabaseList()
        self.database_list = self.databases.view
        self.database_filter = self.databases.filter
        db_layout.addWidget(self.databases, 1)
        row = QHBoxLayout()
        self.database_status = wrapped_label()
        row.addWidget(self.database_status, 1)
        self.refresh = QPushButton("&Refresh list")
        self.refresh.clicked.connect(self.load_databases)
        row.addWidget(self.refresh)
        db_layout.addLayout(row)
        layout.addWidget(databases, 1)

        sampling = QGroupBox("Sampling")
        sampling_layout = QVBoxLayout(sampling)
        line = QHBoxLayout()
        label = QLabel("&Sampling interval:")
        self.sampling_interval = QSpinBox()
        self.sampling_interval.setRange(1, 3600)
        self.sampling_interval.setValue(10)
        self.sampling_interval.setSuffix(" s")
        self.sampling_interval.setAccessibleName("Sampling interval in seconds")
        label.setBuddy(self.sampling_interval)
        line.addWidget(label)
        line.addWidget(self.sampling_interval)
        line.addStretch(1)
        sampling_layout.addLayout(line)
        sampling_layout.addWidget(wrapped_label(SAMPLING_HELP))
        layout.addWidget(sampling)

        ddl = QGroupBox("Schema definitions")
        ddl_layout = QVBoxLayout(ddl)
        self.schema_ddl = QCheckBox("Include the schema &DDL (CREATE statements, no data)")
        self.schema_ddl.setChecked(True)
        ddl_layout.addWidget(self.schema_ddl)
        ddl_layout.addWidget(wrapped_label(DDL_HELP))
        layout.addWidget(ddl)

        # what is collected is the same either way: the classes change only the archive (Review shows it)
        self.redaction = RedactionChoices({"hostnames": "H", "ips": "I", "users": "t", "identifiers": "m"})
        self.redaction.changed.connect(self._redaction_changed)
        self.earlier = EarlierMapChoice()
        self.earlier.choose.clicked.connect(self.choose_map)
        self.earlier.clear.clicked.connect(self.clear_map)
        grid = self.redaction.layout()
        assert isinstance(grid, QGridLayout)
        grid.addWidget(self.earlier, grid.rowCount(), 0, 1, 4)
        layout.addWidget(self.redaction)
        self.history = HistorySource()
        self.history.find_button.clicked.connect(self.find_instances)
        layout.addWidget(self.history)
        self._map_restored = False  # the remembered map is offered once, when the page first shows
        self._map_problem = ""  # why the last map chosen (or remembered) is not used, until another choice
        self._remembered_unusable = False  # Clear forgets it

        self.all_databases.toggled.connect(self._mode_changed)
        self.databases.changed.connect(self._choice_changed)
        self._mode_changed()

    def _mode_changed(self) -> None:
        self.databases.setEnabled(self.chosen_databases.isChecked())
        self.completeChanged.emit()

    def _choice_changed(self) -> None:
        total, ticked = len(self.databases.names), self.databases.ticked()
        if total:
            self.database_status.setText(f"{total} database(s) on the server, {ticked} ticked; system schemas not "
                                         "listed.")
        self.completeChanged.emit()

    def _redaction_changed(self, classes: tuple[str, ...]) -> None:
        self.state.redact = classes
        self._show_map()

    # -- the earlier redaction map -------------------------------------------------------------------
    def choose_map(self) -> None:
        current = self.state.earlier_map
        folder = current.path.parent if current is not None else Path.home()
        path, _filter = QFileDialog.getOpenFileName(
            self, "Earlier redaction map", str(folder), "Redaction maps (*.redaction-map.json);;All files (*)")
        if path:
            self.use_map(Path(path))

    def use_map(self, path: Path, *, remembered: bool = False) -> bool:
        """Read and check the map; on success it is used for this archive and remembered for the next run.
        A map that cannot be used changes nothing and says why (the previous choice stays)."""
        try:
            earlier = load_map(path, option="")
        except RedactionMapError as exc:
            prefix = "The remembered map cannot be used: " if remembered else "Not used: "
            self._map_problem = prefix + str(exc) + ("; choose it again or Clear." if remembered else "")
            self._remembered_unusable = self._remembered_unusable or remembered
            self._show_map()
            return False
        self._map_problem, self._remembered_unusable = "", False
        self.state.earlier_map = earlier
        if not self.state.redact:  # the map decides the names, the classes what is replaced: tick the map's
            self.state.redact = earlier.classes
            self.redaction.set_classes(earlier.classes)
        if not remembered:
            self.host.settings.remember_redaction_map(str(earlier.path))
        self._show_map()
        return True

    def clear_map(self) -> None:
        self.state.earlier_map = None
        self._map_problem, self._remembered_unusable = "", False
        self.host.settings.remember_redaction_map("")
        self._show_map()

    def _show_map(self) -> None:
        earlier = self.state.earlier_map if self.wizard() is not None else None
        notes = [self._map_problem] if self._map_problem else []
        if earlier is not None:
            if earlier.mode & 0o077:
                notes.append(f"Other users can read this map (mode {earlier.mode:o}) and it holds the real names: "
                             "chmod 600 it.")
            dropped = earlier.dropped(self.state.redact)
            if not self.state.redact:
                notes.append("No class is ticked: nothing is replaced, the map is not used.")
            elif dropped:
                words = ", ".join(REDACTION_CLASSES[c].label.lower() for c in dropped)
                notes.append(f"The earlier archive also replaced {words}; unticked here, they appear in clear.")
            if not notes:
                notes.append(f"Its {earlier.size()} names keep their pseudonyms; new names take the next numbers.")
        self.earlier.show_map(earlier, "\n".join(notes), clearable=self._remembered_unusable)

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        # Back from Review (which edits the same choice) shows this page without initializePage()
        if self.wizard() is not None:
            self.redaction.set_classes(self.state.redact)
            self._show_map()
        super().showEvent(event)

    def initializePage(self) -> None:
        if not self._map_restored:
            self._map_restored = True
            remembered = self.host.settings.redaction_map()
            if remembered and self.state.earlier_map is None:
                self.use_map(Path(remembered), remembered=True)
        self.redaction.set_classes(self.state.redact)
        self._show_map()
        if len(self.state.kept) > self._servers_kept:  # another server (Add another server): its own choice
            self.state.options = replace(self.state.options, databases=None)
            self.databases.show_names([], set())
            self.all_databases.setChecked(True)
            if self.history.instances.count():  # the instance picked was the kept server's
                self.history._forget_instances()
                self.history.status.setText("Another server: Find MySQL instances again and pick this one's.")
        self._servers_kept = len(self.state.kept)
        probe_result = self.state.probe
        if self.state.probed_spec is not None and self.state.probed_spec == self.state.spec and probe_result:
            self.show_databases(probe_result.databases)
        else:
            self.load_databases()

    def load_databases(self) -> None:
        spec = self.state.spec
        if spec is None or self._loading:
            return
        self._loading = True
        self.refresh.setEnabled(False)
        self.database_status.setText("Reading the list of databases (SHOW DATABASES)…")
        self.tasks.run_in_background(lambda task: probe(spec, task.cancel_token), success=self._loaded,
                                     failure=self._failed)

    def _loaded(self, result: Probe) -> None:
        self._loading = False
        self.refresh.setEnabled(True)
        self.state.probe = result
        self.state.probed_spec = self.state.spec
        self.show_databases(result.databases)

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        self.refresh.setEnabled(True)
        text = exc.problem.one_line() if isinstance(exc, ConnectionFailed) else type(exc).__name__
        self.database_status.setText(f"Could not read the list: {text}")

    def show_databases(self, names: list[str]) -> None:
        chosen = set(self.state.options.databases or ())
        known = set(self.databases.names)
        # a name listed before keeps its tick; a new one is ticked unless an earlier choice left it out
        unticked = {n for n in names if (n in self.databases.unticked if n in known
                                         else bool(chosen) and n not in chosen)}
        self.databases.show_names(names, unticked)
        if not names:
            self.database_status.setText("No user databases found (or the account sees none).")
        self._choice_changed()

    def chosen(self) -> list[str]:
        return self.databases.chosen()

    def isComplete(self) -> bool:
        return self.all_databases.isChecked() or bool(self.chosen())

    def current_options(self) -> RunOptions:
        return replace(self.state.options, sleep=float(self.sampling_interval.value()),
                       databases=None if self.all_databases.isChecked() else self.chosen(),
                       schema_ddl=self.schema_ddl.isChecked())

    # -- the history from Prometheus or PMM --------------------------------------------------------------------
    def find_instances(self) -> None:
        choice = self.history.choice()
        if choice is None:
            self.history.status.setText("Give the Prometheus or PMM URL first.")
            return
        self.history.find_button.setEnabled(False)
        self.history.status.setText(f"Looking for MySQL instances in {choice.url}…")
        self.tasks.run_in_background(lambda _task: find_instances(choice), success=self.history.show_instances,
                                     failure=self.history.show_problem)

    def _keep_history_choice(self) -> None:
        """The choice for Collect; the token's secrets for the redactor and the log; the keychain when asked."""
        from gui.logs import SECRETS

        choice = self.history.choice()
        self.state.prometheus = choice
        self.state.prometheus_secrets = tuple(_credentials(choice.url, choice.token).secrets) if (
            choice is not None and choice.token) else ()
        SECRETS.secrets |= set(self.state.prometheus_secrets)
        if choice is not None and choice.token and self.history.remember.isChecked():
            from collectors.prometheus import keyring_account

            entry, token, keychain = keyring_account(choice.url), choice.token, self.host.keychain
            self.host.keychain_calls.run(lambda: keychain.store(entry, token), success=lambda _stored: None)

    def validatePage(self) -> bool:
        self.state.options = self.current_options()
        self._keep_history_choice()
        return True
