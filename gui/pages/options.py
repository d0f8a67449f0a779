"""Page 3: which databases, how long to sample, whether to read the schema DDL, what to redact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from collectors.connection import ConnectionFailed
from collectors.probe import Probe, probe
from gui.pages.base import Page, wrapped_label
from gui.qt import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    Qt,
    QtGui,
    QVBoxLayout,
    QWidget,
    Signal,
)
from prechecks.collection import RunOptions
from prechecks.redaction import CLASSES
from prechecks.summary import ALWAYS_REDACTED, REDACTION_CLASSES

SAMPLING_HELP = (
    "The status counters are read twice, this many seconds apart, to measure the query rate. "
    "A longer interval gives a better picture of the server's real load (peaks and averages); "
    "the other parts are read during the interval, so the run takes about this long plus a few seconds."
)
COMPACT_NOTE = ("Secrets are always removed. With a class on, the map from pseudonyms to the real names is saved "
                "next to the archive, never inside it. Review shows every file with your choice applied.")
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
        self.database_list = QListWidget()
        self.database_list.setAccessibleName("Databases to collect")
        self.database_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        db_layout.addWidget(self.database_list, 1)
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
        layout.addWidget(self.redaction)

        self.all_databases.toggled.connect(self._mode_changed)
        self.database_list.itemChanged.connect(lambda _item: self.completeChanged.emit())
        self._mode_changed()

    def _mode_changed(self) -> None:
        self.database_list.setEnabled(self.chosen_databases.isChecked())
        self.completeChanged.emit()

    def _redaction_changed(self, classes: tuple[str, ...]) -> None:
        self.state.redact = classes

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        # Back from Review (which edits the same choice) shows this page without initializePage()
        if self.wizard() is not None:
            self.redaction.set_classes(self.state.redact)
        super().showEvent(event)

    def initializePage(self) -> None:
        self.redaction.set_classes(self.state.redact)
        if len(self.state.kept) > self._servers_kept:  # another server (Add another server): its own choice
            self.state.options = replace(self.state.options, databases=None)
            self.database_list.clear()
            self.all_databases.setChecked(True)
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
        previous = {self.database_list.item(i).text(): self.database_list.item(i).checkState()
                    for i in range(self.database_list.count())}
        self.database_list.blockSignals(True)
        self.database_list.clear()
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            state = previous.get(name, Qt.CheckState.Checked if (not chosen or name in chosen)
                                 else Qt.CheckState.Unchecked)
            item.setCheckState(state)
            self.database_list.addItem(item)
        self.database_list.blockSignals(False)
        self.database_status.setText(f"{len(names)} database(s) on the server, system schemas not listed."
                                     if names else "No user databases found (or the account sees none).")
        self.completeChanged.emit()

    def chosen(self) -> list[str]:
        return [self.database_list.item(i).text() for i in range(self.database_list.count())
                if self.database_list.item(i).checkState() == Qt.CheckState.Checked]

    def isComplete(self) -> bool:
        return self.all_databases.isChecked() or bool(self.chosen())

    def current_options(self) -> RunOptions:
        return replace(self.state.options, sleep=float(self.sampling_interval.value()),
                       databases=None if self.all_databases.isChecked() else self.chosen(),
                       schema_ddl=self.schema_ddl.isChecked())

    def validatePage(self) -> bool:
        self.state.options = self.current_options()
        return True
