"""The questionnaire pages against a real MariaDB run (pytest-qt, offscreen): prefill, autosave, restore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.pages.questionnaire import NOTHING_COLLECTED, QuestionField, SectionPage
from gui.qt import QApplication, Qt, QWidget, QWizard
from gui.state import PageId
from gui.wizard import Wizard
from prechecks import drafts
from prechecks.questionnaire import load_questionnaire
from tests.gui.conftest import MakeWizard, run_to_questionnaire, save_through
from tests.helpers import read_archive
from tests.servers import MariaDBServer

QUESTIONNAIRE = load_questionnaire()


def section_pages(wizard: Wizard) -> list[SectionPage]:
    return [wizard.questionnaire, *wizard.questionnaire.more_sections.values()]


def page_of(wizard: Wizard, question_id: str) -> SectionPage:
    return next(p for p in section_pages(wizard) if p.section.id == question_id.partition(".")[0])


def field(wizard: Wizard, question_id: str) -> QuestionField:
    return next(f for f in page_of(wizard, question_id).fields if f.question.id == question_id)


def go_to_section(wizard: Wizard, section_id: str) -> SectionPage:
    page = page_of(wizard, section_id + ".x")
    while wizard.currentPage() is not page:
        before = wizard.currentId()
        wizard.next()
        assert wizard.currentId() != before, f"stuck at page {before}"
    return page


def draft_file(server: MariaDBServer) -> Path:
    key = drafts.server_key(host=server.host, port=server.port, socket=None, user="root")
    return drafts.draft_path(key)


def draft_answers(server: MariaDBServer) -> dict[str, object]:
    path = draft_file(server)
    return json.loads(path.read_text())["answers"] if path.exists() else {}


def type_into(qtbot, f: QuestionField, text: str) -> None:
    """Replace the field's text by typing, as a user would."""
    f.input.setFocus()
    qtbot.keyClick(f.input, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(f.input, Qt.Key.Key_Delete)
    qtbot.keyClicks(f.input, text)


def mnemonic(label_text: str) -> str:
    at = label_text.replace("&&", "").index("&")
    return label_text.replace("&&", "")[at + 1]


def focus_target(f: QuestionField) -> QWidget:
    """What the label's mnemonic focuses: its buddy, or the buddy's focus proxy (multi-choice: the first box)."""
    buddy = f.label.buddy()
    assert buddy is not None
    return buddy.focusProxy() or buddy


def test_one_page_per_section_chained_to_attachments(wizard: Wizard) -> None:
    pages = section_pages(wizard)
    assert [p.section.id for p in pages] == [s.id for s in QUESTIONNAIRE.sections]
    assert [wizard.page(i) for i in wizard.questionnaire.more_sections] == pages[1:]
    assert [p.nextId() for p in pages] == [*wizard.questionnaire.more_sections, PageId.ATTACHMENTS]
    for n, page in enumerate(pages, start=1):
        assert page.subTitle().startswith(f"Section {n} of {len(pages)}.")
    assert wizard.page(PageId.FINDINGS).nextId() == PageId.QUESTIONNAIRE


def test_every_input_has_a_label_and_an_accessible_name(wizard: Wizard) -> None:
    for page in section_pages(wizard):
        letters = []
        for f in page.fields:
            assert f.input.accessibleName().startswith(f.question.question)
            assert f.label.buddy() is not None
            assert f.help.text() == f.question.help
            if "&" in f.label.text().replace("&&", ""):
                letters.append(mnemonic(f.label.text()).lower())
            assert f.use_collected.accessibleName()
        assert len(letters) == len(set(letters)), f"duplicate mnemonics on {page.section.id}"
        assert not set(letters) & set("bnfu")  # Back, Next, Finish, About
        assert len(letters) >= len(page.fields) - 1


def test_prefilled_fields_say_where_they_came_from(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    run_to_questionnaire(qtbot, wizard, mariadb)
    assert wizard.state.result is not None
    version = wizard.state.result.facts["server"]["version"]
    server_version = field(wizard, "architecture.server_version")
    assert version in server_version.raw()
    assert server_version.note.text().startswith("From the server (server.version, measured): ")
    assert not server_version.use_collected.isVisible()
    hosting = field(wizard, "architecture.hosting")
    assert hosting.raw() == "self-managed"
    assert "server.platform" in hosting.note.text()
    roles = field(wizard, "architecture.roles")
    assert "replication.role" in roles.note.text()
    assert "architecture.server_version" not in wizard.state.answers  # the prefill is not the user's answer

    type_into(qtbot, server_version, "MariaDB 10.11 behind ProxySQL")
    assert wizard.state.answers["architecture.server_version"] == "MariaDB 10.11 behind ProxySQL"
    assert server_version.note.text().startswith("You changed the value collected from the server (server.version:")
    assert server_version.use_collected.isVisible()
    server_version.use_collected.click()
    assert "architecture.server_version" not in wizard.state.answers
    assert version in server_version.raw()
    assert server_version.note.text().startswith("From the server")
    assert not server_version.use_collected.isVisible()

    assert hosting.combo is not None
    hosting.combo.setCurrentIndex(0)  # "(not answered)": the user clears a collected value
    assert wizard.state.answers["architecture.hosting"] is None
    assert hosting.note.text().startswith("You cleared the value collected from the server")


def test_typing_autosaves_the_draft_without_the_password(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    run_to_questionnaire(qtbot, wizard, mariadb)
    page = go_to_section(wizard, "team")
    members = field(wizard, "team.members")
    type_into(qtbot, members, "1 DBA, 12 developers")
    assert not draft_file(mariadb).exists()  # debounced: nothing written while typing
    qtbot.waitUntil(lambda: draft_answers(mariadb).get("team.members") == "1 DBA, 12 developers", timeout=5_000)
    document = json.loads(draft_file(mariadb).read_text())
    assert document["answers"] == {"team.members": "1 DBA, 12 developers"}  # no prefill in a draft
    assert document["server"] == f"root@{mariadb.host}:{mariadb.port}"
    qtbot.waitUntil(lambda: page.draft_status.text().startswith("Draft saved at"), timeout=5_000)

    type_into(qtbot, field(wizard, "team.outcome"), f"fewer failovers; the password is {mariadb.root_password}")
    qtbot.waitUntil(lambda: "team.outcome" in draft_answers(mariadb), timeout=5_000)
    text = draft_file(mariadb).read_text()
    assert mariadb.root_password not in text and "<redacted>" in text
    qtbot.waitUntil(lambda: not wizard.tasks.running, timeout=5_000)  # the save's thread ends on its own


def test_draft_restored_after_the_window_is_closed_and_reopened(qtbot, make_wizard: MakeWizard,
                                                                 mariadb: MariaDBServer, tmp_path: Path) -> None:
    first = make_wizard()
    run_to_questionnaire(qtbot, first, mariadb)
    go_to_section(first, "performance")
    type_into(qtbot, field(first, "performance.qps_peak"), "5,000")
    go_to_section(first, "team")
    type_into(qtbot, field(first, "team.members"), "2 DBAs")
    go_to_section(first, "plan")
    support = field(first, "plan.support")
    assert support.combo is not None
    support.combo.setCurrentIndex(support.combo.findData("business"))
    first.close()  # at once, within the autosave delay: done() writes what was typed
    assert draft_answers(mariadb) == {"performance.qps_peak": 5000, "team.members": "2 DBAs",
                                      "plan.support": "business"}
    assert not first.tasks.running

    second = make_wizard()
    run_to_questionnaire(qtbot, second, mariadb)
    assert second.state.answers == {"performance.qps_peak": 5000, "team.members": "2 DBAs",
                                    "plan.support": "business"}
    assert second.questionnaire.draft_status.text().startswith("Restored 3 answers saved on ")
    go_to_section(second, "performance")
    assert field(second, "performance.qps_peak").raw() == "5000"
    go_to_section(second, "team")
    assert field(second, "team.members").raw() == "2 DBAs"
    type_into(qtbot, field(second, "team.timeline"), "cut-over in September")
    go_to_section(second, "plan")
    assert field(second, "plan.support").raw() == "business"
    target = tmp_path / "out" / "with_answers.tgz"
    save_through(qtbot, second, target)
    submission = json.loads(read_archive(target)["submission.json"])
    answers = {a["id"]: a for a in submission["answers"]}
    assert answers["team.members"]["value"] == "2 DBAs" and answers["team.members"]["source"] == "user"
    assert answers["team.timeline"]["value"] == "cut-over in September"
    assert answers["performance.qps_peak"]["value"] == 5000
    assert answers["plan.support"]["value"] == "business"
    assert answers["architecture.server_version"]["source"] == "prefill:server.version"


def test_required_questions_are_flagged_and_a_bad_number_blocks_next(qtbot, wizard: Wizard,
                                                                     mariadb: MariaDBServer) -> None:
    run_to_questionnaire(qtbot, wizard, mariadb)
    page = go_to_section(wizard, "performance")
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    peak = field(wizard, "performance.qps_peak")
    assert peak.line is not None and peak.line.text()  # prefilled: the sampled rate, a lower bound
    collected = wizard.state.answers.get("performance.qps_peak")
    type_into(qtbot, peak, "lots")
    assert not page.isComplete() and not next_button.isEnabled()
    assert peak.note.text().startswith("Not saved: type a number")
    assert wizard.state.answers.get("performance.qps_peak") == collected  # a bad value is never stored
    wizard.next()
    assert wizard.currentPage() is page
    type_into(qtbot, peak, "1_500")
    assert page.isComplete() and next_button.isEnabled()
    assert wizard.state.answers["performance.qps_peak"] == 1500

    team = go_to_section(wizard, "team")  # nothing prefilled: every required question is open
    assert team.required_status.text().startswith("4 required questions in this section still need an answer.")
    assert all(f.note.text() == "Required: not answered yet." for f in team.fields if f.question.required)
    assert field(wizard, "team.poc_criteria").note.text() == ""  # optional: not flagged
    assert "team.members" in {q.id for q in wizard.questionnaire.missing_required()}
    assert "4 required open" in team.progress.text()
    type_into(qtbot, field(wizard, "team.members"), "3 people")
    assert team.required_status.text().startswith("3 required questions")
    assert field(wizard, "team.members").note.text() == ""
    assert team.isComplete()
    wizard.next()  # open required questions do not hold the user: the archive lists them
    assert wizard.currentPage() is page_of(wizard, "security.x")
    last = go_to_section(wizard, "contact")
    assert "In the whole questionnaire" in last.required_status.text()
    wizard.next()
    assert wizard.currentId() == PageId.ATTACHMENTS


def test_keyboard_only_through_every_section(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    run_to_questionnaire(qtbot, wizard, mariadb)
    typed: dict[str, object] = {}
    for page in section_pages(wizard):
        assert wizard.currentPage() is page
        first = page.fields[0]
        qtbot.keyClick(QApplication.focusWidget() or wizard, Qt.Key(ord(mnemonic(first.label.text()).upper())),
                       Qt.KeyboardModifier.AltModifier)
        focused = QApplication.focusWidget()
        assert focused is focus_target(first), f"Alt+{mnemonic(first.label.text())} on {page.section.id}"
        if first.question.type == "multi-choice":
            qtbot.keyClick(focused, Qt.Key.Key_Space)
            typed[first.question.id] = [first.question.choices[0]]
        else:
            qtbot.keyClick(focused, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            qtbot.keyClicks(focused, f"typed on {page.section.id}")
            typed[first.question.id] = f"typed on {page.section.id}"
        second = page.fields[1]
        for _ in range(12):  # Tab moves on to the next question (past a "Use collected value" button)
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            if QApplication.focusWidget() is focus_target(second):
                break
        assert QApplication.focusWidget() is focus_target(second), f"Tab on {page.section.id}"
        if page is section_pages(wizard)[-1]:
            assert second.line is not None
            qtbot.keyClicks(second.line, "Example Corp")
            qtbot.keyClick(second.line, Qt.Key.Key_Return)  # Next is the default button
        else:
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
            qtbot.waitUntil(lambda page=page: wizard.currentPage() is not page)  # a mnemonic clicks after 100 ms
    assert wizard.currentId() == PageId.ATTACHMENTS
    assert {k: wizard.state.answers[k] for k in typed} == typed
    assert wizard.state.answers["contact.company"] == "Example Corp"
    assert draft_answers(mariadb) == wizard.state.answers  # each section flushed the draft when it was left
    qtbot.keyClick(QApplication.focusWidget() or wizard, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: wizard.currentPage() is section_pages(wizard)[-1])


def test_a_draft_that_cannot_be_saved_is_one_line(qtbot, wizard: Wizard, mariadb: MariaDBServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    run_to_questionnaire(qtbot, wizard, mariadb)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))  # the drafts directory cannot be made
    page = go_to_section(wizard, "team")
    type_into(qtbot, field(wizard, "team.members"), "just me")
    qtbot.waitUntil(lambda: page.draft_status.text().startswith("The draft was not saved"), timeout=5_000)
    assert "\n" not in page.draft_status.text()
    assert wizard.state.answers["team.members"] == "just me"
    wizard.next()  # leaving the section tries again and says so, without a crash
    assert wizard.currentPage() is page_of(wizard, "security.x")
    assert page_of(wizard, "security.x").draft_status.text().startswith("The draft was not saved")


def test_without_a_run_nothing_is_prefilled_and_no_draft_is_written(qtbot, wizard: Wizard,
                                                                    private_home_dirs: Path) -> None:
    wizard.setStartId(PageId.QUESTIONNAIRE)
    wizard.restart()
    assert wizard.currentId() == PageId.QUESTIONNAIRE and wizard.state.result is None
    page = wizard.questionnaire
    assert page.draft_status.text() == NOTHING_COLLECTED
    assert not any(f.note.text().startswith("From the server") for f in page.fields)
    type_into(qtbot, field(wizard, "architecture.roles"), "one primary")
    qtbot.wait(800)
    assert wizard.state.answers == {"architecture.roles": "one primary"}
    assert not list(private_home_dirs.rglob("*.json"))
    wizard.next()
    assert wizard.currentId() == min(wizard.questionnaire.more_sections)


def test_the_draft_key_comes_from_the_facts_source() -> None:
    source = {"host": "db1", "port": 3307, "socket": None, "user": "dba", "via": "tcp", "tls_mode": "preferred"}
    where = drafts.source_where(source)
    assert where == {"host": "db1", "port": 3307, "socket": None, "user": "dba"}
    assert drafts.server_key(**where) == drafts.server_key(host="db1", port=3307, socket=None, user="dba")
    assert drafts.source_where({"via": "read-samples", "path": "/tmp/x"}) is None
    assert drafts.source_where(None) is None


def test_the_new_questions_show_with_what_the_server_showed(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    """Questionnaire version 2 (issue 15): the number of databases, growth, tooling, slow log, proof of concept,
    recovery objectives and target region are on their pages; the prefilled ones say what they rest on."""
    proxy_session = mariadb.connect(conn_attrs={"program_name": "proxysql"})
    try:
        run_to_questionnaire(qtbot, wizard, mariadb)
    finally:
        proxy_session.close()
    facts = wizard.state.result.facts if wizard.state.result is not None else {}
    new = ("architecture.database_count", "architecture.data_growth", "tooling.monitoring", "tooling.backup",
           "tooling.proxy", "tooling.failover", "performance.slow_log_attached", "team.poc_criteria",
           "plan.recovery_objectives", "plan.target_region")
    for qid in new:
        f = field(wizard, qid)
        assert f.label.text().replace("&", "").startswith(QUESTIONNAIRE.question(qid).question), qid
        assert f.help.text() == QUESTIONNAIRE.question(qid).help
    count = field(wizard, "architecture.database_count")
    assert count.raw() == str(len(facts["schemas"]))
    assert count.note.text().startswith("From the server (schemas, measured): the user schemas of this server")
    go_to_section(wizard, "tooling")
    proxy = field(wizard, "tooling.proxy")
    assert proxy.raw() == "seen on the server: ProxySQL — client program proxysql (1 session(s))"
    assert proxy.note.text().startswith("From the server (workload.clients, measured): from the sessions connected")
    assert field(wizard, "tooling.monitoring").raw() == ""  # nothing of the kind connected: no answer
    assert field(wizard, "tooling.monitoring").note.text() == "Required: not answered yet."
    assert "tooling.proxy" not in wizard.state.answers  # the prefill is not the user's answer
