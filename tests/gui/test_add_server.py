"""Findings' "Add another server…": several servers in one archive from the wizard (pytest-qt, offscreen,
real MariaDB servers). The archive has the layout of `ps-prechecks --servers`: one folder per server, one
servers.md, one questionnaire prefilled from all of them, one manifest; no password of any server in it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gui.qt import QApplication, QInputDialog, QKeySequence, Qt, QTreeWidget, QTreeWidgetItem
from gui.state import PageId
from gui.wizard import Wizard
from prechecks.collection import RunOptions, collect
from prechecks.multi import server_name
from prechecks.readiness import verdict
from prechecks.servers import NAME_PATTERN
from prechecks.slowlog import DIGEST_JSON, DIGEST_MD, read_slow_log
from tests.gui.conftest import fill_connection, run_to_findings, save_through
from tests.gui.submission_helpers import collected, open_at, prepared_files
from tests.gui.test_keyboard import assert_unique_mnemonics
from tests.helpers import read_archive, spec_for
from tests.servers import MariaDBServer
from tests.test_slowlog import write_sample


def _row(tree: QTreeWidget, index: int) -> QTreeWidgetItem:
    item = tree.topLevelItem(index)
    assert item is not None
    return item


def _folder_files(files: dict[str, bytes], folder: str, timestamp: str) -> set[str]:
    return {path.removeprefix(f"{folder}/") for path in files if path.startswith(f"{folder}/")} & {
        f"ps_report_{timestamp}.md", "facts.json", "readiness.json"}


def test_two_servers_collected_in_turn_make_one_archive(qtbot, wizard: Wizard, mariadb_factory, tmp_path: Path
                                                        ) -> None:
    first, second = mariadb_factory(), mariadb_factory()
    first_name, second_name = f"{first.host}-{first.port}", f"{second.host}-{second.port}"
    state, findings, connection = wizard.state, wizard.findings, wizard.connection

    run_to_findings(qtbot, wizard, first)
    assert findings.add_server.isVisible() and findings.add_server.isEnabled()
    assert findings.add_server.accessibleName() == "Add another server to this archive"
    assert QKeySequence.mnemonic(findings.add_server.text()).toString() == "Alt+A"
    assert_unique_mnemonics(wizard)
    assert not findings.servers_box.isVisible()  # one server: the page is as before
    first_result = state.result
    assert first_result is not None

    # Add, then change one's mind: "Go on without another server" brings the first one back, unchanged
    findings.add_server.click()
    assert wizard.currentId() == PageId.CONNECTION
    assert [k.name for k in state.kept] == [first_name] and state.result is None
    assert connection.submission_box.isVisible() and connection.go_on_without.isVisible()
    assert first_name in connection.submission_note.text()
    assert connection.status.text() == "" and state.probe is None  # the first server's test is not this one's
    assert_unique_mnemonics(wizard)
    connection.go_on_without.click()
    assert wizard.currentId() == PageId.FINDINGS
    assert state.kept == [] and state.result is first_result
    assert not findings.servers_box.isVisible()

    # the first server's "Only these databases" choice is not carried to the next server
    wizard.options_page.chosen_databases.setChecked(True)
    state.options = replace(state.options, databases=["only_on_the_first"])

    # Add again, by the keyboard this time (Alt+A)
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    findings.tree.setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.CONNECTION)
    assert [k.name for k in state.kept] == [first_name]
    assert state.kept[0].result is first_result and state.kept[0].secrets == [first.root_password]

    # the second server; Back from its Options page keeps the first one
    fill_connection(wizard, second)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    assert wizard.options_page.all_databases.isChecked() and state.options.databases is None
    wizard.back()
    assert wizard.currentId() == PageId.CONNECTION and [k.name for k in state.kept] == [first_name]
    assert connection.go_on_without.isVisible()  # nothing collected from the second server yet
    wizard.next()
    assert wizard.currentId() == PageId.OPTIONS
    wizard.options_page.sampling_interval.setValue(1)
    wizard.next()
    qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
    wizard.next()
    assert wizard.currentId() == PageId.FINDINGS

    # Findings lists both, each with its verdict; no "same server" warning for two servers
    assert findings.servers_box.isVisible()
    rows = [(_row(findings.servers, i).text(0), _row(findings.servers, i).text(1))
            for i in range(findings.servers.topLevelItemCount())]
    assert [name for name, _verdict in rows] == [first_name, f"{second_name} (shown above)"]
    assert all("blocker" in verdict_line for _name, verdict_line in rows)
    assert findings.verdict.text().startswith(f"{second_name}: ")
    assert not findings.duplicate.isVisible()
    assert_unique_mnemonics(wizard)
    assert set(state.secrets) == {first.root_password, second.root_password}

    # the questionnaire's prefill comes from both servers
    wizard.next()
    assert wizard.currentId() == PageId.QUESTIONNAIRE
    session = wizard.questionnaire.session
    count = session.prefills["architecture.instance_count"]
    assert count.value == 2 and first_name in count.note and second_name in count.note
    instance_field = next(f for f in wizard.questionnaire.fields if f.question.id == "architecture.instance_count")
    assert instance_field.raw() == "2"

    target = tmp_path / "out" / "two.tgz"
    save_through(qtbot, wizard, target)

    files = read_archive(target)
    ts = state.timestamp
    for folder, server in ((first_name, first), (second_name, second)):
        assert _folder_files(files, folder, ts) == {f"ps_report_{ts}.md", "facts.json", "readiness.json"}, folder
        facts = json.loads(files[f"{folder}/facts.json"])
        assert facts["source"]["port"] == server.port
        assert "checks" in json.loads(files[f"{folder}/readiness.json"])
        assert f"{folder}/manifest.json" not in files and f"{folder}/submission.json" not in files
    assert not {"facts.json", "readiness.json"} & set(files)  # nothing of one server at the top
    assert [p for p in files if p.endswith("manifest.json")] == ["manifest.json"]
    assert [p for p in files if p.endswith("servers.md")] == ["servers.md"]
    servers_md = files["servers.md"].decode()
    assert f"| {first_name} |" in servers_md and f"| {second_name} |" in servers_md
    manifest = json.loads(files["manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(files) - {"manifest.json"}
    assert [s["name"] for s in manifest["servers"]] == [first_name, second_name]
    answers = {a["id"]: a for a in json.loads(files["submission.json"])["answers"]}
    assert answers["architecture.instance_count"]["value"] == 2
    assert "2 server(s) collected" in files["freeform_questions.md"].decode()
    passwords = (first.root_password.encode(), second.root_password.encode())
    for path, data in files.items():
        assert not any(p in data for p in passwords), path
    for path in tmp_path.rglob("*"):  # drafts, settings, the archive: no password on disk
        if path.is_file():
            assert not any(p in path.read_bytes() for p in passwords), path
    email = wizard.save.email_text()
    assert "Servers: 2" in email and first_name in email and second_name in email


def test_remove_a_kept_server_and_the_archive_follows(qtbot, wizard: Wizard, mariadb: MariaDBServer,
                                                      tmp_path: Path) -> None:
    """The same server collected twice: Findings warns; removing the kept run brings back the one-server archive.
    Every change of the kept servers changes submission_key(), so Review prepares again."""
    state = wizard.state
    earlier = collected(mariadb)
    spec = spec_for(mariadb)
    state.result, state.readiness, state.timestamp = earlier, earlier.readiness, "20260101_000000"
    state.result_for = (spec, 0.2, (), True)  # what the Collect page records: the spec first
    state.slow_logs = [read_slow_log(write_sample(tmp_path / "in"))]  # read for the server collected first
    alone = state.submission_key()
    kept = state.keep_current()
    with_kept = state.submission_key()
    assert with_kept != alone
    assert kept.secrets == [mariadb.root_password] and kept.slow_logs and state.slow_logs == []

    again = collect(spec, RunOptions(sleep=0.2))  # the same server, a second time
    open_at(wizard, again, PageId.FINDINGS)
    findings = wizard.findings
    name = f"{mariadb.host}-{mariadb.port}"
    assert kept.name == name and state.current_name() == f"{name}-2"
    assert findings.servers.topLevelItemCount() == 2
    assert findings.duplicate.isVisible()
    assert f"{name}-2 is the server already in the archive as {name}" in findings.duplicate.text()
    assert "datadir" in findings.duplicate.text()
    assert findings.remove_server.isEnabled()  # the kept one is selected first

    # Review: two folders, the slow log's digest in the folder of the server it was read for
    open_at(wizard, again, PageId.REVIEW)
    qtbot.waitUntil(lambda: wizard.review.ready, timeout=30_000)
    files = prepared_files(wizard)
    assert {f"{name}/facts.json", f"{name}-2/facts.json", "servers.md"} <= set(files)
    assert f"{name}/{DIGEST_MD}" in files and f"{name}/{DIGEST_JSON}" in files
    assert not any(p.endswith(DIGEST_MD) for p in files if not p.startswith(f"{name}/"))
    assert mariadb.root_password.encode() not in b"".join(files.values())
    assert state.prepared_for == state.submission_key() == wizard.review._shown_key
    shown = wizard.review.tree.currentItem()  # a server's report is open, as a one-server archive's report is
    assert shown is not None and shown.toolTip(0).split("/")[0] in (name, f"{name}-2"), shown and shown.toolTip(0)
    assert shown.toolTip(0).split("/")[1].startswith("ps_report_")

    # remove the kept server on Findings (the current one cannot be removed there)
    open_at(wizard, again, PageId.FINDINGS)
    wizard.review.refresh()  # prepared for this timestamp, as Review would have
    qtbot.waitUntil(lambda: wizard.review.ready, timeout=30_000)
    before = state.submission_key()
    findings.servers.setCurrentItem(_row(findings.servers, 1))
    assert not findings.remove_server.isEnabled()
    findings.remove_selected_server()
    assert len(state.kept) == 1 and state.submission_key() == before
    findings.servers.setCurrentItem(_row(findings.servers, 0))
    findings.remove_server.click()
    assert state.kept == []
    assert findings.servers_status.text() == f"Removed {name} with its slow log digest from the archive."
    assert not findings.servers_box.isVisible() and not findings.duplicate.isVisible()
    assert findings.verdict.text() == verdict(state.readiness or {}) + "."  # no server's name with one server
    assert state.submission_key() != before == state.prepared_for
    assert not wizard.review.ready  # what Review prepared is for the two servers: it prepares again
    assert state.current_name() == name  # the name is free again

    # Review sees the change and prepares the one-server archive
    open_at(wizard, again, PageId.REVIEW)
    qtbot.waitUntil(lambda: wizard.review.ready, timeout=30_000)
    files = prepared_files(wizard)
    assert "facts.json" in files and "servers.md" not in files
    assert not any("/" in p and p.split("/", 1)[0].startswith(name) for p in files)


def test_rename_servers_in_the_archive(qtbot, wizard: Wizard, mariadb: MariaDBServer,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Rename… on Findings gives a kept server and the current one the folder names a DBA chooses; a name a
    --servers file would refuse, or one taken (without case), is refused with the reason; the archive's
    folders and submission_key() follow."""
    state = wizard.state
    spec = spec_for(mariadb)
    result = collected(mariadb)
    state.result, state.readiness, state.timestamp = result, result.readiness, "20260101_000000"
    state.result_for = (spec, 0.2, (), True)
    state.keep_current()
    open_at(wizard, collected(mariadb), PageId.FINDINGS)
    findings = wizard.findings
    answers: list[str] = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *_args, **_kw: (answers.pop(0), True))

    before = state.submission_key()
    findings.servers.setCurrentItem(_row(findings.servers, 0))  # the kept one
    assert findings.rename_server.isEnabled()
    answers.append("orders-primary")
    findings.rename_server.click()
    assert [k.name for k in state.kept] == ["orders-primary"] and state.submission_key() != before
    assert findings.servers_status.text().endswith("is now orders-primary in the archive.")

    findings.servers.setCurrentItem(_row(findings.servers, 1))  # the current one
    for refused, reason in (("Orders-Primary", "is taken by another server"), ("bad name!", "cannot be a folder")):
        answers.append(refused)
        findings.rename_server.click()
        assert reason in findings.servers_status.text() and state.current_label == ""
    answers.append("orders-replica")
    findings.rename_server.click()
    assert state.current_name() == "orders-replica"
    assert [_row(findings.servers, i).text(0) for i in range(2)] == ["orders-primary", "orders-replica (shown above)"]
    assert findings.verdict.text().startswith("orders-replica: ")

    open_at(wizard, collected(mariadb), PageId.REVIEW)
    qtbot.waitUntil(lambda: wizard.review.ready, timeout=30_000)
    files = prepared_files(wizard)
    assert {"orders-primary/facts.json", "orders-replica/facts.json"} <= set(files)
    assert b"orders-primary" in files["servers.md"] and b"orders-replica" in files["servers.md"]
    # keeping the current server takes its name along; the next one starts from its connection's
    state.keep_current()
    assert [k.name for k in state.kept] == ["orders-primary", "orders-replica"] and state.current_label == ""


@pytest.mark.parametrize(("source", "taken", "expected"), [
    ({"via": "tcp", "host": "db1.example.com", "port": 3306}, [], "db1.example.com"),
    ({"via": "tcp", "host": "10.0.0.5", "port": 3307}, [], "10.0.0.5-3307"),
    ({"via": "tcp", "host": "db1", "port": 3306}, ["DB1", "db1-2"], "db1-3"),  # case does not make it unique
    ({"via": "socket", "socket": "/run/mysqld/mysqld.sock"}, [], "mysqld"),
    ({"via": "ssh", "host": "127.0.0.1", "port": 3306, "ssh_host": "bastion.example.com"}, [], "bastion.example.com"),
    ({"via": "ssh", "host": "db-internal", "port": 3306, "ssh_host": "bastion"}, [], "db-internal"),
    ({"via": "tcp", "host": "::1", "port": 3306}, [], "localhost"),
    ({"via": "tcp", "host": "fe80::1%eth0", "port": 3306}, [], "fe80-1-eth0"),
    ({}, [], "server"),
    ({"via": "tcp", "host": "h" * 80, "port": 3306}, ["h" * 63], "h" * 61 + "-2"),
])
def test_server_names_come_from_the_connection(source: dict[str, Any], taken: list[str], expected: str) -> None:
    name = server_name(source, taken)
    assert name == expected
    assert NAME_PATTERN.match(name)  # what a --servers file accepts as a name
