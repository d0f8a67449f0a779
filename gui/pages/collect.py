"""Page 4: the collection, in a worker thread; one row per collector, progress, ETA, log, Cancel.

The runner's progress callback runs on the worker thread and only emits a signal; every widget
update happens here, on the GUI thread. Cancel sets the CancelToken, which wakes the sampling wait
and breaks a statement in flight, so the run ends within a second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import platformdirs

from collectors.connection import ConnectionFailed, ConnectionSpec
from collectors.registry import collectors_for
from collectors.runner import CollectorResult, ProgressEvent, RunAborted, RunResult
from collectors.series import bucket, counter_rates
from gui.pages.base import Page, log, wrapped_label
from gui.pages.cloud import read_cloud, store_read
from gui.pages.options import read_history
from gui.qt import (
    QByteArray,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QSvgWidget,
    Qt,
    QTimer,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)
from gui.state import CloudChoice, PageId
from gui.worker import Task
from prechecks.charts import line_chart
from prechecks.collection import collect, timestamp_now

STATE_WORDS = {"started": "running…", "finished": "ok", "skipped": "skipped", "failed": "failed"}
FITTED_COLUMNS = (0, 1, 2)  # Part, State, Time: as wide as their contents
REDRAW_MS = 100  # progress is drawn at most ten times a second
CHART_POINTS = 600  # the live chart averages days of samples into this many points


class CollectPage(Page):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Collecting")
        self.setSubTitle("Read-only; you can cancel at any time and nothing is written.")
        self.task: Task | None = None
        self._done = False
        self._rows: dict[str, QTreeWidgetItem] = {}
        self._started = 0.0
        self._eta: float | None = None
        self._eta_at = 0.0

        layout = QVBoxLayout(self)
        self.headline = wrapped_label()
        self.headline.setAccessibleName("Collection status")
        layout.addWidget(self.headline)
        bar_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName("Overall progress")
        self.progress.setTextVisible(False)
        bar_row.addWidget(self.progress, 1)
        self.eta = QLabel()
        self.eta.setAccessibleName("Time left")
        # a fixed size: its text changes every second, and a label that may change size has the whole
        # wizard laid out again each time (15 ms of the window's time, measured)
        self.eta.setFixedSize(self.eta.fontMetrics().horizontalAdvance("9999 s elapsed, about 999 s left") + 8,
                              self.eta.sizeHint().height())
        bar_row.addWidget(self.eta)
        layout.addLayout(bar_row)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTreeWidget()
        self.table.setColumnCount(4)
        self.table.setHeaderLabels(["Part", "State", "Time", "Why"])
        self.table.setRootIsDecorated(False)
        self.table.setAccessibleName("Collectors")
        header = self.table.header()
        for column in FITTED_COLUMNS:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        splitter.addWidget(self.table)
        self.log_pane = QPlainTextEdit()
        self.log_pane.setReadOnly(True)
        self.log_pane.setMaximumBlockCount(5000)
        self.log_pane.setAccessibleName("Collection log")
        self.log_pane.setPlaceholderText("Log")
        splitter.addWidget(self.log_pane)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        layout.addWidget(self._watch_panel())

        buttons = QHBoxLayout()
        self.back_to_connection = QPushButton("Back to &Connection")
        self.back_to_connection.setVisible(False)
        self.back_to_connection.clicked.connect(lambda: self.host.go_back_to(PageId.CONNECTION))
        buttons.addWidget(self.back_to_connection)
        buttons.addStretch(1)
        self.run_again = QPushButton("Run a&gain")
        self.run_again.setEnabled(False)
        self.run_again.clicked.connect(self.start)
        buttons.addWidget(self.run_again)
        self.cancel_button = QPushButton("C&ancel collection")
        self.cancel_button.setAccessibleName("Cancel collection")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._tick)
        # progress events are drawn in batches: drawn one at a time, each with its own row, log line,
        # scroll and progress updates, a burst of events kept the GUI thread busy for 30 ms and more
        # (benchmarks/wizard_stall.py)
        self._pending: list[ProgressEvent] = []
        self.redraw = QTimer(self)
        self.redraw.setSingleShot(True)
        self.redraw.setInterval(REDRAW_MS)
        self.redraw.timeout.connect(self.draw_pending)

    def _watch_panel(self) -> QGroupBox:
        """Keep watching: after a run, one SHOW GLOBAL STATUS per interval for hours or days (collectors.watch), a
        live chart of the query rate, Stop; the samples go into the archive as history.json."""
        self.watch_task: Task | None = None
        self.watched: RunResult | None = None
        self.watch_samples: list[dict[str, Any]] = []
        self.watch_rates: list[tuple[float, float]] = []  # the live chart's: queries per second between samples
        self.watch_interval = 60.0
        self.watch_svg = ""
        self.watch_journal: Path | None = None
        self.journals: dict[Path, str] = {}  # each ended watch's journal -> its history.json text
        self._follows_wizard = False
        self.watch_dir = Path(platformdirs.user_state_dir("ps-prechecks", appauthor=False))
        box = QGroupBox("Keep watching: days of load for a server with no monitoring history")
        box.setVisible(False)
        column = QVBoxLayout(box)
        row = QHBoxLayout()
        label = QLabel("Fo&r:")
        self.watch_for = QComboBox()
        for text, value in (("1 hour", "1h"), ("24 hours", "24h"), ("7 days", "7d")):
            self.watch_for.addItem(text, value)
        self.watch_for.setCurrentIndex(1)
        self.watch_for.setAccessibleName("How long to watch")
        label.setBuddy(self.watch_for)
        row.addWidget(label)
        row.addWidget(self.watch_for)
        every = QLabel("&every")
        self.watch_every = QSpinBox()
        self.watch_every.setRange(1, 3600)
        self.watch_every.setValue(60)
        self.watch_every.setSuffix(" s")
        self.watch_every.setAccessibleName("Seconds between two samples")
        every.setBuddy(self.watch_every)
        row.addWidget(every)
        row.addWidget(self.watch_every)
        self.watch_button = QPushButton("Keep &watching")
        self.watch_button.setAccessibleName("Keep watching the server")
        self.watch_button.clicked.connect(self.start_watch)
        row.addWidget(self.watch_button)
        self.stop_watch_button = QPushButton("S&top watching")
        self.stop_watch_button.setAccessibleName("Stop watching")
        self.stop_watch_button.setEnabled(False)
        self.stop_watch_button.clicked.connect(self.stop_watch)
        row.addWidget(self.stop_watch_button)
        row.addStretch(1)
        column.addLayout(row)
        self.watch_status = wrapped_label("One SHOW GLOBAL STATUS per interval, read-only; you can go on through "
                                          "the wizard meanwhile. Stop puts the samples into the archive "
                                          "(history.json).", selectable=True)
        self.watch_status.setAccessibleName("Watch status")
        column.addWidget(self.watch_status)
        self.watch_chart = QSvgWidget()
        self.watch_chart.setAccessibleName("Queries per second while watching")
        self.watch_chart.setMinimumHeight(150)
        self.watch_chart.setVisible(False)
        column.addWidget(self.watch_chart)
        self.watch_box = box
        return box

    @property
    def watching(self) -> bool:
        return self.watch_task is not None and self.watch_task.isRunning()

    def start_watch(self) -> None:
        """Watch the server of the finished run in a worker; each sample comes back to on_watch_update."""
        from collectors.watch import (
            Journal,
            JournalWriter,
            history_from_journal,
            identify,
            journal_path,
            new_header,
            parse_duration,
            run_watch,
        )

        state = self.state
        ran_with = state.result_for[0] if state.result_for else None
        spec = ran_with if isinstance(ran_with, ConnectionSpec) else state.spec
        if state.result is None or spec is None or self.watching:
            return
        duration, interval = parse_duration(self.watch_for.currentData()), float(self.watch_every.value())
        path = journal_path(self.watch_dir, timestamp_now())
        state.history = None  # the archive gets this watch's samples once it stops
        self.watched = state.result  # whose samples they are, should another run or server come meanwhile
        self.watch_samples, self.watch_rates, self.watch_interval = [], [], interval
        self.watch_journal = None
        self.watch_button.setEnabled(False)
        self.stop_watch_button.setEnabled(True)
        self.watch_chart.setVisible(True)
        self._draw_watch()
        self.watch_status.setText(f"Watching {spec.target}: one SHOW GLOBAL STATUS every {interval:g} s for "
                                  f"{self.watch_for.currentText()}…")
        log.info("watch started: %s every %g s for %s", spec.target, interval, self.watch_for.currentText())

        def op(task: Task) -> tuple[Any, str, dict[str, Any]]:
            header = new_header(spec, identify(spec, task.cancel_token), duration=duration, interval=interval,
                                start=time.time())
            writer = JournalWriter.create(path, header)
            journal = Journal(writer.path, {"type": "watch", "format_version": 1, **header})
            task.emit_update(("journal", writer.path))
            try:
                outcome = run_watch(spec, writer, journal, cancel=task.cancel_token, on_sample=task.emit_update,
                                    on_event=lambda text: task.emit_update(("event", text)))
            finally:
                writer.close()
            document = history_from_journal(journal)
            return outcome, json.dumps(document, indent=2, sort_keys=True) + "\n", document

        self.watch_task = self.tasks.run_in_background(op, progress=self.on_watch_update,
                                                       success=self._watch_ended, failure=self._watch_failed)

    def stop_watch(self) -> None:
        if self.watching and self.watch_task is not None:
            self.stop_watch_button.setEnabled(False)
            self.watch_status.setText("Stopping the watch…")
            self.watch_task.cancel()

    def stop_watch_and_join(self) -> None:
        if self.watch_task is not None:
            self.watch_task.cancel()
            self.watch_task.wait()

    def on_watch_update(self, value: Any) -> None:
        """A sample (dict), the journal's path or a line about the connection, from the watch's worker."""
        if isinstance(value, tuple) and value[0] == "journal":
            self.watch_journal = Path(value[1])
            return
        if isinstance(value, tuple):
            self.watch_status.setText(f"Watching: {value[1]}")
            log.info("watch: %s", value[1])
            return
        self.watch_samples.append(value)
        rate = self._add_rate()
        self._draw_watch()
        now = f"; {rate:,.1f} queries/s now" if rate is not None else ""
        self.watch_status.setText(
            f"Watching: {len(self.watch_samples)} samples, the last at {time.strftime('%H:%M:%S')}{now}. You can go "
            f"on through the wizard; Stop puts the samples into the archive (history.json). Journal: "
            f"{self.watch_journal}")

    def _add_rate(self) -> float | None:
        """The query rate since the sample before the newest, added to the chart's points (one pair per sample:
        days of samples are not gone through again each time); None across a restart or a gap."""
        if len(self.watch_samples) < 2:
            return None
        before, last = self.watch_samples[-2], self.watch_samples[-1]
        if last["status"].get("Uptime", 0) < before["status"].get("Uptime", 0):
            return None  # the server restarted in between
        pair = [(float(s["t"]), s["status"].get("Questions")) for s in (before, last)]
        rates = counter_rates(pair, max_gap=self.watch_interval * 3 + 5).points
        self.watch_rates.extend(rates)
        return rates[0][1] if rates else None

    def _draw_watch(self) -> None:
        points = bucket(self.watch_rates, CHART_POINTS)
        self.watch_svg = line_chart("Queries per second (watching)", {"queries_per_second": points}, "per_second",
                                    width=800, height=200)
        self.watch_chart.load(QByteArray(self.watch_svg.encode()))

    def _watch_ended(self, value: tuple[Any, str, dict[str, Any]]) -> None:
        from collectors.watch import summary_line

        outcome, text, document = value
        self.watch_task = None
        self._keep_history(text)
        self.watch_button.setEnabled(True)
        self.stop_watch_button.setEnabled(False)
        self.watch_status.setText(f"{outcome.message[:1].upper()}{outcome.message[1:]}: {summary_line(document)}. "
                                  "They go into the archive as history.json when you save.")
        log.info("watch ended: %s", summary_line(document))

    def _keep_history(self, text: str) -> None:
        """history.json for the run that was watched: the current one, a server kept by "Add another server", or
        none (a new run replaced it: its journal stays on disk)."""
        state = self.state
        if self.watch_journal is not None:
            self.journals[self.watch_journal] = text
        if state.result is not None and state.result is self.watched:
            state.history = text
            return
        for index, kept in enumerate(state.kept):
            if kept.result is self.watched:
                state.kept[index] = replace(kept, history=text)
                return
        log.info("watch ended after its run was replaced: its samples stay in %s", self.watch_journal)

    def _forget_journals(self, _result: int = 0) -> None:
        """The window closed: a journal whose samples are in the archive just saved is removed; any other stays
        (its samples are nowhere else; ps-prechecks --watch-resume FILE writes an archive from it)."""
        state = self.state
        if state.archive is None or state.prepared_for != state.submission_key():
            return  # not saved, or changed since
        archived = [state.history, *(k.history for k in state.kept)]
        for path, text in list(self.journals.items()):
            if any(text is h for h in archived):
                try:
                    path.unlink()
                except OSError:
                    continue
                del self.journals[path]
                log.info("watch journal %s removed: the saved archive holds its samples", path)

    def _watch_failed(self, exc: BaseException) -> None:
        self.watch_task = None
        self.watch_button.setEnabled(True)
        self.stop_watch_button.setEnabled(False)
        problem = exc.problem.one_line() if isinstance(exc, ConnectionFailed) else str(exc)
        kept = f" The samples so far are in {self.watch_journal}." if self.watch_journal else ""
        self.watch_status.setText(f"The watch stopped: {problem}.{kept}")
        log.warning("watch failed: %s: %s", type(exc).__name__, exc)

    # -- lifecycle -----------------------------------------------------------------------------
    def initializePage(self) -> None:
        if not self._follows_wizard:  # connected once
            self.host.finished.connect(self._forget_journals)
            self._follows_wizard = True
        state = self.state
        if state.result is not None and state.result_for == state.run_key():
            self.show_result(state.result)  # back and next again: keep the run
        else:
            self.start()

    def cleanupPage(self) -> None:  # Back: stop a run in flight and wait for its thread
        self.stop_and_join()

    def stop_and_join(self) -> None:
        self.stop_watch_and_join()
        if self.task is not None:
            self.task.cancel()
            self.task.wait()

    def isComplete(self) -> bool:
        return self._done

    def _set_done(self, done: bool) -> None:
        self._done = done
        self.completeChanged.emit()

    def _reset_rows(self, sleep: float) -> None:
        self.table.clear()
        self._rows = {}
        for collector in collectors_for(sleep):
            row = QTreeWidgetItem([collector.title, "waiting", "", ""])
            self._rows[collector.name] = row
            self.table.addTopLevelItem(row)

    def start(self) -> None:
        state = self.state
        spec, options = state.spec, state.options
        if spec is None or (self.task is not None and self.task.isRunning()):
            return
        self.stop_watch_and_join()  # a new run: the watch was of the last one
        self.watch_box.setVisible(False)
        self._set_done(False)
        if state.result_for is None or state.result_for[0] != spec:
            state.current_label = ""  # another server: its folder name comes from its own connection
        state.result = state.readiness = None
        state.archive = state.history = None
        state.timestamp = timestamp_now()
        self._reset_rows(options.sleep)
        self.redraw.stop()
        self._pending = []  # a cancelled run's last events are not this run's
        self.log_pane.clear()
        self._set_progress(0)
        self.back_to_connection.setVisible(False)
        self.run_again.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.headline.setText(f"Collecting from {spec.target} as {spec.effective_user}…")
        self._started = time.monotonic()
        self._eta = options.sleep + 5
        self._eta_at = self._started
        self._tick()
        self.ticker.start()
        key = state.run_key()
        log.info("collection started: %s, sampling %.0f s", spec.target, options.sleep)

        cloud = state.cloud  # the Cloud account step's choice: read after the SQL part (gui/pages/cloud.py)
        prometheus = state.prometheus  # Options: the history from Prometheus or PMM, read after the cloud part

        def op(task: Task) -> tuple[RunResult, dict[str, Any], dict[str, Any] | None, Any]:
            result = collect(spec, options, progress=task.emit_progress, cancel=task.cancel_token)
            document = read_cloud(cloud, task) if cloud is not None else None
            history = read_history(prometheus, task) if prometheus is not None else None
            return result, result.readiness, document, history  # derived once by collect(), off the GUI thread

        self.task = self.tasks.run_in_background(
            op, progress=self.on_event, success=lambda value: self._succeeded(key, value, cloud),
            failure=self._failed,
        )

    def cancel(self) -> None:
        if self.task is not None and self.task.isRunning():
            self.cancel_button.setEnabled(False)
            self.headline.setText("Cancelling…")
            log.info("collection cancelled by the user")
            self.task.cancel()

    # -- events (GUI thread) -------------------------------------------------------------------
    def on_event(self, event: ProgressEvent) -> None:
        """A progress event from the worker (delivered on the GUI thread): drawn with the others of the
        next tenth of a second (draw_pending)."""
        self._pending.append(event)
        if not self.redraw.isActive():
            self.redraw.start()

    def draw_pending(self) -> None:
        """Every event since the last redraw in one pass: each row set once to its newest state, the
        log lines appended together, one scroll and one progress update."""
        events, self._pending = self._pending, []
        if not events:
            return
        lines: list[str] = []
        newest: dict[str, ProgressEvent] = {}
        for event in events:
            if event.kind == "log":
                lines.append(f"{event.title}: {event.message}")
                continue
            if event.collector in self._rows:
                newest.pop(event.collector, None)  # re-inserted: the last row touched is scrolled to
                newest[event.collector] = event
            if event.kind != "started":
                word = STATE_WORDS[event.kind]
                lines.append(f"[{event.index + 1}/{event.total}] {event.title}: {word}"
                             + (f" ({event.message})" if event.message else ""))
                log.info("%s: %s %s", event.collector, word, event.message)
        row = None
        with self._rows_changing():
            for name, event in newest.items():
                row = self._rows[name]
                row.setText(1, STATE_WORDS[event.kind])
                if event.kind != "started":
                    row.setText(2, f"{event.seconds:.2f} s")
                    row.setText(3, event.message)
                    row.setToolTip(3, event.message)
                    if event.kind == "failed":
                        row.setForeground(1, Qt.GlobalColor.red)
        if row is not None:
            self.table.scrollToItem(row)
        if lines:
            self.log_pane.appendPlainText("\n".join(lines))
        progress = [e for e in events if e.kind != "log"]
        if progress:
            value = int(progress[-1].fraction * 1000)
            if abs(value - self.progress.value()) >= 5 or value == 1000:  # a repaint per 0.5 %, not per event
                self._set_progress(value)
            self._eta, self._eta_at = progress[-1].eta_seconds, time.monotonic()
            self._tick()

    def _set_progress(self, value: int) -> None:
        """QProgressBar.setValue repaints at once (5 ms of the window's time each, measured): with
        updates off the bar is painted with everything else in the next paint pass instead."""
        self.progress.setUpdatesEnabled(False)
        self.progress.setValue(value)
        self.progress.setUpdatesEnabled(True)  # schedules the repaint

    @contextmanager
    def _rows_changing(self) -> Iterator[None]:
        """Row texts set with the columns sized once afterwards: sized to their contents on every
        change, a redraw of 20 rows took 20-30 ms of the window's time (measured)."""
        header = self.table.header()
        for column in FITTED_COLUMNS:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        try:
            yield
        finally:
            for column in FITTED_COLUMNS:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def _tick(self) -> None:
        elapsed = time.monotonic() - self._started
        if self._eta is None:
            self.eta.setText(f"{elapsed:.0f} s elapsed")
            return
        left = max(0.0, self._eta - (time.monotonic() - self._eta_at))
        self.eta.setText(f"{elapsed:.0f} s elapsed, about {left:.0f} s left")

    def _finish(self) -> None:
        self.redraw.stop()
        self.draw_pending()  # the run's last events come before its outcome
        self.task = None
        self.ticker.stop()
        self.cancel_button.setEnabled(False)
        self.run_again.setEnabled(True)

    def _succeeded(self, key: tuple[Any, ...],
                   value: tuple[RunResult, dict[str, Any], dict[str, Any] | None, Any],
                   cloud: CloudChoice | None = None) -> None:
        self._finish()
        result, readiness, document, history = value
        self.state.result, self.state.result_for, self.state.readiness = result, key, readiness
        store_read(self.state, cloud, document)
        if history is not None:  # Prometheus: history.json's text (None when it could not be read) and secrets
            self.state.history = history[0]
            self.state.prometheus_secrets = tuple(dict.fromkeys([*self.state.prometheus_secrets, *history[1]]))
        self.show_result(result, seconds=time.monotonic() - self._started)
        log.info("collection finished")

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        self._set_progress(0)
        self.eta.clear()
        if isinstance(exc, RunAborted) and exc.cancelled:
            self.headline.setText("Cancelled: nothing was written. Run again, or go back to change the options.")
        elif isinstance(exc, RunAborted):
            self.headline.setText(f"The run stopped: {exc}.\nWhat to do: {exc.remedy or 'run again'}.")
            self.back_to_connection.setVisible(True)
            self.back_to_connection.setFocus()
            log.warning("collection aborted: %s", exc)
        elif isinstance(exc, ConnectionFailed):
            self.headline.setText(f"Could not connect: {exc.problem.message}.\n"
                                  f"What to do: {exc.problem.remedy}.")
            self.back_to_connection.setVisible(True)
            self.back_to_connection.setFocus()
            log.warning("collection could not connect: %s", exc.problem.one_line())
        else:
            self.headline.setText(f"The run failed: {type(exc).__name__}: {exc}. Nothing was written.")
            log.error("collection failed: %s: %s", type(exc).__name__, exc)
        self._set_done(False)

    def show_result(self, result: RunResult, seconds: float | None = None) -> None:
        """Rows, bar and headline for a finished run (also when coming back to the page)."""
        self._finish()
        if not self._rows or set(self._rows) != {r.name for r in result.results}:
            self.table.clear()
            self._rows = {}
        for item in result.results:
            self._show_row(item)
        self._set_progress(1000)
        ok = sum(1 for r in result.results if r.status == "ok")
        skipped = sum(1 for r in result.results if r.status == "skipped")
        failed = sum(1 for r in result.results if r.status == "failed")
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        self.headline.setText(f"Done{took}: {ok} parts ok, {skipped} skipped, {failed} failed "
                              "(each with its reason below). Next: the findings.")
        self.eta.setText("finished")
        self.watch_box.setVisible(True)
        self._watch_or_prometheus()
        self._set_done(True)

    def _watch_or_prometheus(self) -> None:
        """One history.json per server: with Prometheus chosen on Options, the history comes from there."""
        chosen = self.state.prometheus is not None
        if chosen and not self.watching:
            self.watch_button.setEnabled(False)
            read = "read" if self.state.history is not None else "not read (see the log above)"
            self.watch_status.setText(f"The history comes from Prometheus ({read}), chosen on the Options page: "
                                      "keep watching is off. Clear the URL there to watch this server instead.")
        elif not chosen and not self.watching:
            self.watch_button.setEnabled(True)

    def _show_row(self, item: CollectorResult) -> None:
        row = self._rows.get(item.name)
        if row is None:
            row = QTreeWidgetItem([item.title, "", "", ""])
            self._rows[item.name] = row
            self.table.addTopLevelItem(row)
        word = {"ok": "ok", "skipped": "skipped", "failed": "failed"}[item.status]
        reason = item.reason + (f" — to fix: {item.remedy}" if item.remedy else "")
        row.setText(1, word)
        row.setText(2, f"{item.seconds:.2f} s")
        row.setText(3, reason)
        row.setToolTip(3, reason)
