"""Page 8, Review: the preview is the saved archive, byte for byte, with and without redaction (pytest-qt,
offscreen, a real MariaDB)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gui.qt import QApplication, Qt, QTreeWidgetItem, QWidget
from gui.state import PageId
from gui.wizard import Wizard
from prechecks.bundle import redaction_map_name
from prechecks.collection import RunOptions, collect
from prechecks.escape import visible
from prechecks.html import report_body as report_html  # the report layout of report.html and Review
from prechecks.readiness import DOCS_IMPORTS, DOCS_LINKS
from tests.gui.conftest import fill_connection
from tests.gui.submission_helpers import (
    COLUMN,
    SCHEMA,
    TABLE,
    collected,
    open_at,
    prepared_files,
    use_private_home,
)
from tests.helpers import read_archive, spec_for
from tests.servers import MariaDBFactory, MariaDBServer
from tests.test_hostile_names import MAIN, SEE, TABLES, make_hostile


@pytest.fixture(autouse=True)
def private_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return use_private_home(monkeypatch, tmp_path / "home")


def _file_items(page) -> dict[str, QTreeWidgetItem]:
    out: dict[str, QTreeWidgetItem] = {}
    stack = [page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        path = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(path, str):
            out[path] = item
        stack.extend(item.child(i) for i in range(item.childCount()))
    return out


def _shown(qtbot, page) -> dict[str, str]:
    """Select every file of the tree as a user would; what the raw preview shows, per path."""
    page.rendered_toggle.setChecked(False)
    shown: dict[str, str] = {}
    for path, item in _file_items(page).items():
        page.tree.setCurrentItem(item)
        assert page.content.isVisible()
        assert page.file_heading.text().startswith(f"{path}: ")
        shown[path] = page.content.toPlainText()
    return shown


def _assert_preview_is_archive(qtbot, page, archive: Path) -> dict[str, bytes]:
    saved = read_archive(archive)
    prepared = page.state.prepared
    assert prepared is not None
    assert prepared.files == saved  # every member, byte for byte, and no other
    shown = _shown(qtbot, page)
    assert set(shown) == set(saved)
    for path, data in saved.items():
        if b"\0" in data:  # binary: the preview names its size and checksum instead
            assert f"{len(data)} bytes" in shown[path]
            assert prepared.preview()[sorted(saved).index(path)].sha256 in shown[path]
        else:
            assert shown[path].encode() == data, path
    return saved


def _classes(wizard: Wizard) -> tuple[str, ...]:
    """The redaction classes of what Review prepared (and Save writes)."""
    prepared = wizard.state.prepared
    assert prepared is not None
    return prepared.redactor.classes


def _wait_ready(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page.ready, timeout=30_000)


def _save(qtbot, wizard: Wizard, target: Path) -> Path:
    assert wizard.currentId() == PageId.SAVE
    wizard.save.path.setText(str(target))
    wizard.save.save_button.click()
    qtbot.waitUntil(lambda: wizard.state.archive is not None, timeout=30_000)
    return target


def test_review_preview_is_the_saved_archive_byte_for_byte(qtbot, wizard: Wizard, mariadb: MariaDBServer,
                                                           tmp_path: Path) -> None:
    """The whole way through the wizard, an attachment added, saved without and then with a redaction class."""
    fill_connection(wizard, mariadb)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    wizard.options_page.sampling_interval.setValue(1)
    wizard.next()
    qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
    while wizard.currentId() != PageId.ATTACHMENTS:
        wizard.next()
    attached = tmp_path / "in" / "topology.bin"
    attached.parent.mkdir()
    attached.write_bytes(b"\x00\x01binary\xff" * 300)
    notes = tmp_path / "in" / "notes.md"
    notes.write_text("# Notes\n\nThe primary is `db1`; tabs\tand trailing spaces stay.  \n")
    assert wizard.attachments.add_paths([attached, notes]) == []
    wizard.next()
    page = wizard.review
    assert wizard.currentId() == PageId.REVIEW
    _wait_ready(qtbot, page)
    assert "The archive holds" in page.summary.text() and "No names are replaced" in page.summary.text()
    wizard.next()
    out = tmp_path / "out"
    out.mkdir()
    plain = _save(qtbot, wizard, out / "plain.tgz")
    wizard.back()  # the same Review, nothing changed: no new preparation, the same bytes
    assert wizard.currentId() == PageId.REVIEW and page.ready
    saved = _assert_preview_is_archive(qtbot, page, plain)
    assert saved["attachments/topology.bin"] == attached.read_bytes()
    assert saved["attachments/notes.md"] == notes.read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["plain.tgz"]  # no map without a class

    page.redaction.boxes["hostnames"].click()
    assert wizard.state.redact == ("hostnames",)
    _wait_ready(qtbot, page)
    assert "redaction map" in page.summary.text() and "never inside it" in page.summary.text()
    wizard.next()
    redacted = _save(qtbot, wizard, out / "redacted.tgz")
    wizard.back()
    _wait_ready(qtbot, page)
    saved = _assert_preview_is_archive(qtbot, page, redacted)
    facts = json.loads(saved["facts.json"])
    assert facts["server"]["hostname"] == "host-001"
    assert json.loads(saved["manifest.json"])["redaction"]["classes"] == ["hostnames"]
    assert sorted(p.name for p in out.iterdir()) == ["plain.tgz", "redacted.redaction-map.json", "redacted.tgz"]
    assert not any(name.endswith("redaction-map.json") for name in saved)
    assert redaction_map_name(wizard.state.timestamp) not in saved
    wizard.go_back_to(PageId.OPTIONS)  # the Options page shows the choice made on Review
    assert wizard.currentId() == PageId.OPTIONS
    assert wizard.options_page.redaction.classes() == ("hostnames",)


def test_toggling_a_class_changes_the_preview_and_the_saved_archive(qtbot, wizard: Wizard, mariadb: MariaDBServer,
                                                                    tmp_path: Path) -> None:
    open_at(wizard, collected(mariadb), PageId.REVIEW)
    page = wizard.review
    _wait_ready(qtbot, page)
    report = next(p for p in _file_items(page) if p.startswith("ps_report_"))
    assert page._current == report  # the report is shown first
    shown = _shown(qtbot, page)
    assert SCHEMA in shown["facts.json"] and TABLE in shown["facts.json"]
    assert SCHEMA in shown[report]

    box = page.redaction.boxes["identifiers"]
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)  # the keyboard way
    assert wizard.state.redact == ("identifiers",)
    assert "Preparing" in page.summary.text()
    _wait_ready(qtbot, page)
    shown = _shown(qtbot, page)
    for path, text in shown.items():
        for name in (SCHEMA, TABLE, COLUMN):
            assert name not in text, f"{name} still in {path}"
            assert name not in path
    assert "schema-" in shown["facts.json"] and "table-" in shown["facts.json"]
    assert "Replaced by pseudonyms: schema and object names (" in page.summary.text()

    wizard.next()
    target = tmp_path / "out" / "with-identifiers.tgz"
    target.parent.mkdir()
    _save(qtbot, wizard, target)
    saved = read_archive(target)
    assert saved == prepared_files(wizard)
    assert not any(SCHEMA.encode() in data or TABLE.encode() in data for data in saved.values())
    redaction_map = json.loads((target.parent / "with-identifiers.redaction-map.json").read_text())
    assert SCHEMA in redaction_map["map"]["identifiers"].values()


def test_a_newer_toggle_drops_the_older_result(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    open_at(wizard, collected(mariadb), PageId.REVIEW)
    page = wizard.review
    _wait_ready(qtbot, page)
    box = page.redaction.boxes["identifiers"]
    box.click()  # prepares with identifiers…
    box.click()  # …and before that ends, without: that result is dropped
    assert not page.ready
    _wait_ready(qtbot, page)
    assert wizard.state.redact == ()
    assert _classes(wizard) == ()
    assert SCHEMA.encode() in prepared_files(wizard)["facts.json"]
    assert not wizard.tasks.running


def test_report_rendered_and_raw(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    open_at(wizard, collected(mariadb), PageId.REVIEW)
    page = wizard.review
    _wait_ready(qtbot, page)
    report = next(p for p in _file_items(page) if p.startswith("ps_report_"))
    page.tree.setCurrentItem(_file_items(page)[report])
    assert page.rendered_toggle.isVisible() and page.rendered_toggle.isChecked()
    assert page.rendered.isVisible() and not page.content.isVisible()
    rendered = page.rendered.toPlainText()
    assert "PlanetScale import readiness" in rendered and "Verdict" in rendered
    assert "## " not in rendered and " | " not in rendered  # laid out: headings and tables, no markers
    page.tree.setCurrentItem(_file_items(page)["freeform_questions.md"])
    assert page.rendered.isVisible() and "# " not in page.rendered.toPlainText()  # plain Markdown
    page.tree.setCurrentItem(_file_items(page)[report])
    page.rendered_toggle.setChecked(False)
    assert page.content.isVisible() and not page.rendered.isVisible()
    assert page.content.toPlainText().encode() == prepared_files(wizard)[report]
    page.tree.setCurrentItem(_file_items(page)["facts.json"])
    assert not page.rendered_toggle.isVisible()


def test_keyboard_and_accessible_names(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    open_at(wizard, collected(mariadb), PageId.REVIEW)
    page = wizard.review
    _wait_ready(qtbot, page)
    widgets = [page.tree, page.content, page.rendered, page.rendered_toggle, page.summary,
               *page.redaction.boxes.values()]
    assert all(w.accessibleName() for w in widgets)
    assert [b.text() for b in page.redaction.boxes.values()] == [
        "&Host names", "&IP addresses", "&Account names", "&Schema and object names"]
    page.tree.setFocus()
    seen: list[QWidget] = []
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        assert focused is not None
        seen.append(focused)
        if focused is page.redaction.boxes["hostnames"]:
            break
    assert seen[-1] is page.redaction.boxes["hostnames"], [w.accessibleName() for w in seen]
    wizard.activateWindow()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is page.tree  # the tree's label mnemonic
    qtbot.keyClick(page.tree, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)  # "&IP addresses"
    qtbot.waitUntil(lambda: wizard.state.redact == ("ips",), timeout=2_000)
    _wait_ready(qtbot, page)
    assert _classes(wizard) == ("ips",)


def test_report_layout_for_reading() -> None:
    text = ("## Readiness\n"
            "            Verdict | 1 blocker <b>\n"
            "  FAIL (blocker) sql_mode | missing `A|B`\n"
            "    fix: SET GLOBAL sql_mode = 'X';\n"
            f"    see: {DOCS_IMPORTS}\n"
            "  FAIL (blocker) engine | 1: s.\\[x\\](http:\\/\\/evil.example)\n"
            "    see: https://evil.example/x\n"
            "\n"
            "## Status Counters\n"
            "    Variable     Per day\n"
            "    Queries          100\n"
            "\n"
            "Nothing else.\n")
    assert report_html(text) == (
        "<h3>Readiness</h3>"
        '<table cellspacing="0" cellpadding="3">'
        '<tr><td align="right" valign="top">Verdict</td><td>1 blocker &lt;b&gt;</td></tr>'
        '<tr><td align="right" valign="top"><b>FAIL (blocker) sql_mode</b></td><td>missing <code>A|B</code></td></tr>'
        '<tr><td align="right" valign="top"><i>fix</i></td><td>SET GLOBAL sql_mode = &#x27;X&#x27;;</td></tr>'
        f'<tr><td align="right" valign="top"><i>see</i></td><td><a href="{DOCS_IMPORTS}">'
        f"{DOCS_IMPORTS}</a></td></tr>"
        '<tr><td align="right" valign="top"><b>FAIL (blocker) engine</b></td><td>1: s.[x](http://evil.example)</td></tr>'
        '<tr><td align="right" valign="top"><i>see</i></td><td>https://evil.example/x</td></tr>'
        "</table>"
        "<h3>Status Counters</h3>"
        "<pre>Variable     Per day\nQueries          100\n</pre>"
        "<p>Nothing else.</p>"
    )


def test_options_and_review_edit_the_same_choice(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    result = collected(mariadb)
    open_at(wizard, result, PageId.OPTIONS)
    options = wizard.options_page.redaction
    assert all(box.accessibleName() and box.toolTip() for box in options.boxes.values())
    options.boxes["users"].click()
    assert list(wizard.state.redact) == ["users"]
    wizard.state.result = result  # as after the run; the review follows
    wizard.setStartId(PageId.ATTACHMENTS)
    wizard.restart()
    wizard.next()
    page = wizard.review
    assert page.redaction.classes() == ("users",)
    _wait_ready(qtbot, page)
    assert _classes(wizard) == ("users",)
    page.redaction.boxes["ips"].click()
    assert list(wizard.state.redact) == ["ips", "users"]
    _wait_ready(qtbot, page)
    assert _classes(wizard) == ("ips", "users")


def test_an_attachment_gone_before_review_is_said_plainly(qtbot, wizard: Wizard, mariadb: MariaDBServer,
                                                          tmp_path: Path) -> None:
    result = collected(mariadb)
    open_at(wizard, result, PageId.ATTACHMENTS)
    gone = tmp_path / "gone.log"
    gone.write_text("slow queries\n")
    assert wizard.attachments.add_paths([gone]) == []
    gone.unlink()
    wizard.next()
    page = wizard.review
    qtbot.waitUntil(lambda: page.summary.text().startswith("Could not prepare the archive:"), timeout=30_000)
    assert f"attachment {gone}: cannot read it" in page.summary.text()
    assert "Go back to Attachments" in page.summary.text() and not page.ready
    wizard.back()
    wizard.attachments.list.selectAll()
    wizard.attachments.remove_selected()
    wizard.next()
    _wait_ready(qtbot, page)
    assert not any(path.startswith("attachments/") for path in prepared_files(wizard))


def _hrefs(html_text: str) -> list[str]:
    return re.findall(r"<a\s[^>]*href=\"([^\"]*)\"", html_text)


def test_hostile_names_make_no_link_of_their_own(qtbot, wizard: Wizard, mariadb_factory: MariaDBFactory) -> None:
    """Issue 13: names holding a line break, link or HTML syntax or a bidi override, on Review and Findings."""
    server = mariadb_factory()
    make_hostile(server)
    result = collect(spec_for(server), RunOptions(sleep=0.2))
    open_at(wizard, result, PageId.REVIEW)
    page = wizard.review
    _wait_ready(qtbot, page)
    items = _file_items(page)
    report = next(p for p in items if p.startswith("ps_report_"))
    page.tree.setCurrentItem(items[report])
    assert page.rendered.isVisible()
    hrefs = _hrefs(page.rendered.document().toHtml())
    assert hrefs and set(hrefs) <= DOCS_LINKS, hrefs  # the failed checks' docs pages, and nothing else
    shown = re.sub(" +", " ", page.rendered.toPlainText())  # a table cell's runs of blanks are one
    for name in [*(f"{MAIN}.{t}" for t in TABLES), f"shop.{SEE}"]:  # one line each, as on the server, no link
        assert re.sub(" +", " ", visible(name)) in shown, name
    assert "\u202e" not in shown and "<U+202E>evil" in shown
    # the same file through Qt's own Markdown reader (GitHub dialect: autolinks on)
    as_markdown = page.rendered.document().clone()
    as_markdown.setMarkdown(prepared_files(wizard)[report].decode())
    assert set(_hrefs(as_markdown.toHtml())) <= DOCS_LINKS
    for path in (p for p in items if p.endswith(".md") and p != report):  # the other Markdown files
        page.tree.setCurrentItem(items[path])
        assert not [h for h in _hrefs(page.rendered.document().toHtml()) if "evil" in h], path

    open_at(wizard, result, PageId.FINDINGS)
    findings = wizard.findings
    groups = [findings.tree.topLevelItem(i) for i in range(findings.tree.topLevelItemCount())]
    checks = [item for group in groups if group is not None for item in map(group.child, range(group.childCount()))
              if item is not None and isinstance(item.data(0, Qt.ItemDataRole.UserRole), dict)]
    engine = next(i for i in checks if i.data(0, Qt.ItemDataRole.UserRole)["id"] == "unique_key")
    findings.tree.setCurrentItem(engine)
    detail = findings.detail.document()
    assert set(_hrefs(detail.toHtml())) <= DOCS_LINKS
    text = detail.toPlainText()
    assert visible(f"{MAIN}.{TABLES[0]}") in text and "\u202e" not in text
    assert findings.remediation_text() == engine.data(0, Qt.ItemDataRole.UserRole)["remediation"]  # copied exactly


def test_a_chart_is_drawn(qtbot, wizard: Wizard, mariadb: MariaDBServer) -> None:
    """charts/*.svg (an archive with history.json) is drawn on Review as report.html draws it: the weekly
    profile's busiest bars in their colour."""
    from prechecks.bundle import ArchiveInputs, build
    from prechecks.charts import BUSIEST_COLOUR
    from prechecks.derive import derive
    from tests.test_report_html import FACTS, history

    open_at(wizard, collected(mariadb), PageId.REVIEW)
    page = wizard.review
    _wait_ready(qtbot, page)
    prepared = build(derive(FACTS), ArchiveInputs("2026_12_06_00_00_00",
                                                  extra_files={"history.json": json.dumps(history())}))
    page.show_prepared(prepared, prepared.preview())
    page.tree.setCurrentItem(_file_items(page)["charts/weekly_profile.svg"])
    assert page.rendered_toggle.isVisible() and page.rendered_toggle.isChecked()
    assert page.chart.isVisible() and not page.content.isVisible() and not page.rendered.isVisible()
    assert page.chart.renderer().isValid()
    image = page.chart.grab().toImage()
    red = (int(BUSIEST_COLOUR[1:3], 16), int(BUSIEST_COLOUR[3:5], 16), int(BUSIEST_COLOUR[5:7], 16))
    hits = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            colour = image.pixelColor(x, y)
            hits += max(abs(colour.red() - red[0]), abs(colour.green() - red[1]), abs(colour.blue() - red[2])) < 24
    assert hits > 50
    page.rendered_toggle.setChecked(False)  # the SVG's text, as saved
    assert page.content.isVisible() and not page.chart.isVisible()
    assert page.content.toPlainText().encode() == prepared.files["charts/weekly_profile.svg"]
