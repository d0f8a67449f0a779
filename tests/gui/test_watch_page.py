"""Collect: Keep watching — the watch runs in a worker, the live chart follows each sample, the wizard can go on
meanwhile, Stop puts the samples into the archive as history.json (pytest-qt, offscreen, a real MariaDB)."""

from __future__ import annotations

import json
from pathlib import Path

from collectors.watch import read_journal
from gui.state import PageId
from gui.submission import prepare, snapshot
from gui.wizard import Wizard
from tests.gui.conftest import fill_connection, save_through
from tests.gui.submission_helpers import collected
from tests.helpers import read_archive
from tests.servers import MariaDBServer
from tests.test_charts import line_paths, parse, vertices


def _chart_points(svg: str) -> int:
    """The vertices of the chart's lines (prechecks.charts draws each piece of a series as one path)."""
    return sum(vertices(line) for line in line_paths(parse(svg))) if svg else 0


def test_keep_watching_draws_each_sample_and_stop_puts_history_into_the_archive(
        qtbot, wizard: Wizard, mariadb: MariaDBServer, private_home_dirs: Path, tmp_path: Path) -> None:
    fill_connection(wizard, mariadb)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    wizard.options_page.sampling_interval.setValue(1)
    wizard.next()
    page = wizard.collect
    qtbot.waitUntil(page.isComplete, timeout=90_000)
    assert page.watch_box.isVisible() and not page.watch_chart.isVisible()

    page.watch_for.setCurrentIndex(page.watch_for.findData("1h"))
    page.watch_every.setValue(1)
    page.watch_button.click()
    assert page.watching and not page.watch_button.isEnabled() and page.stop_watch_button.isEnabled()
    qtbot.waitUntil(lambda: len(page.watch_samples) >= 3, timeout=60_000)
    drawn = _chart_points(page.watch_svg)
    assert drawn >= 2 and page.watch_chart.renderer().isValid()
    qtbot.waitUntil(lambda: _chart_points(page.watch_svg) > drawn, timeout=60_000)  # the next sample is drawn
    assert "samples, the last at" in page.watch_status.text()
    journal = page.watch_journal
    assert journal is not None and journal.is_relative_to(private_home_dirs) and journal.stat().st_mode & 0o777 == 0o600

    wizard.next()  # the watch can be left running while the DBA goes on
    assert wizard.currentId() == PageId.FINDINGS and page.watching
    seen = len(page.watch_samples)
    qtbot.waitUntil(lambda: len(page.watch_samples) > seen, timeout=60_000)
    page.stop_watch_button.click()
    qtbot.waitUntil(lambda: wizard.state.history is not None, timeout=60_000)
    assert not page.watching and page.watch_button.isEnabled() and not page.stop_watch_button.isEnabled()
    assert "history.json when you save" in page.watch_status.text()
    document = json.loads(wizard.state.history or "")
    assert document["source"] == "watch" and document["watch"]["stopped_early"] is True
    assert document["watch"]["samples"] == len(page.watch_samples) >= 4
    assert document["series"]["queries_per_second"]["max"] > 0

    target = tmp_path / "out" / "watched.tgz"
    save_through(qtbot, wizard, target)
    files = read_archive(target)
    (name,) = [n for n in files if n.endswith("history.json")]
    assert json.loads(files[name]) == document
    assert mariadb.root_password.encode() not in files[name]
    assert journal.exists()
    wizard.close()  # the archive holds the samples: their journal goes with the window
    assert not journal.exists()


def _collected_and_watching(qtbot, wizard: Wizard, server: MariaDBServer) -> None:
    fill_connection(wizard, server)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    wizard.options_page.sampling_interval.setValue(1)
    wizard.next()
    page = wizard.collect
    qtbot.waitUntil(page.isComplete, timeout=90_000)
    page.watch_every.setValue(1)
    page.watch_button.click()
    qtbot.waitUntil(lambda: len(page.watch_samples) >= 2, timeout=60_000)


def test_a_new_run_stops_the_watch_and_does_not_take_its_samples(qtbot, wizard: Wizard,
                                                                   mariadb: MariaDBServer) -> None:
    _collected_and_watching(qtbot, wizard, mariadb)
    page = wizard.collect
    page.run_again.click()  # the watch was of the run this one replaces
    qtbot.waitUntil(lambda: page.watch_task is None and page.isComplete(), timeout=90_000)
    assert wizard.state.history is None and not page.watching
    assert page.watch_journal is not None and len(read_journal(page.watch_journal).samples) >= 2  # kept on disk
    wizard.close()
    assert page.watch_journal.exists()  # in no archive: the journal stays


def test_a_server_kept_by_add_another_server_keeps_its_watch(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    _collected_and_watching(qtbot, wizard, mariadb)
    page = wizard.collect
    kept = wizard.state.keep_current()  # what Findings' "Add another server…" does
    page.stop_watch_button.click()
    qtbot.waitUntil(lambda: page.watch_task is None, timeout=60_000)
    assert wizard.state.history is None
    (server,) = wizard.state.kept
    assert server.result is kept.result and server.history is not None
    assert json.loads(server.history)["watch"]["samples"] == len(page.watch_samples)
    state = wizard.state  # a second server collected: the archive has the watch in the first one's folder only
    second = collected(mariadb)
    state.result, state.readiness, state.timestamp, state.current_label = second, second.readiness, "t", "second"
    files = prepare(snapshot(state)).files
    assert [name for name in files if name.endswith("history.json")] == [f"{server.name}/history.json"]
    assert json.loads(files[f"{server.name}/history.json"]) == json.loads(server.history)


def test_the_live_chart_of_a_long_watch_stays_small_and_skips_a_restart(wizard: Wizard) -> None:
    page = wizard.collect
    page.watch_samples, page.watch_rates, page.watch_interval = [], [], 60.0
    for i in range(1500):  # a day at 60 s, a restart after the 1000th sample
        uptime, questions = (1000 + 60 * i, 600 * i) if i < 1000 else (60 * (i - 999), 300 * (i - 999))
        page.on_watch_update({"type": "sample", "t": 1.8e9 + 60 * i, "seconds": 0.001,
                              "status": {"Uptime": uptime, "Questions": questions}})
    assert len(page.watch_rates) == 1498  # every pair but the one across the restart
    assert {v for _t, v in page.watch_rates} == {10.0, 5.0}
    assert _chart_points(page.watch_svg) == 600
    assert "queries/s now" in page.watch_status.text()
