"""Options page: "Reuse names from an earlier map…" reaches the archive, and the next run is offered the new map
(pytest-qt, offscreen, a real MariaDB)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.pages.options import NO_EARLIER_MAP
from gui.qt import QFileDialog
from gui.state import PageId
from tests.gui.conftest import MakeWizard
from tests.gui.submission_helpers import COLUMN, SCHEMA, TABLE, collected, open_at, prepared_files
from tests.helpers import read_archive
from tests.servers import MariaDBServer

EARLIER_ARCHIVE = "ps_archive_2026_01_02_03_04_05.tgz"


def _earlier_map(folder: Path) -> Path:
    """A map as an earlier run wrote it: the pelican schema and table under numbers a fresh run would not give."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / EARLIER_ARCHIVE.replace(".tgz", ".redaction-map.json")
    path.write_text(json.dumps({
        "format_version": 1, "archive": EARLIER_ARCHIVE, "classes": ["identifiers"],
        "map": {"identifiers": {"schema-007": SCHEMA, "table-012": TABLE, "schema-003": "gone_schema"}}}),
        encoding="utf-8")
    path.chmod(0o600)
    return path


def _choose(monkeypatch: pytest.MonkeyPatch, wizard, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args, **_kw: (str(path), ""))
    wizard.options_page.earlier.choose.click()


def test_the_earlier_map_chosen_on_options_names_the_archive(qtbot, make_wizard: MakeWizard, mariadb: MariaDBServer,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = collected(mariadb)
    earlier = _earlier_map(tmp_path / "maps")
    wizard = make_wizard()
    open_at(wizard, result, PageId.OPTIONS)
    page = wizard.options_page
    assert page.earlier.path.text() == "" and page.earlier.path.placeholderText() == NO_EARLIER_MAP
    assert not page.earlier.clear.isEnabled()

    # a file that is not a map changes nothing and says why
    broken = tmp_path / "maps" / "notes.txt"
    broken.write_text("schema-007 = pelican_shop\n", encoding="utf-8")
    broken.chmod(0o600)
    _choose(monkeypatch, wizard, broken)
    assert wizard.state.earlier_map is None and page.earlier.path.text() == ""
    assert page.earlier.status.text().startswith(f"Not used: {broken} is not a redaction map (not JSON")

    _choose(monkeypatch, wizard, earlier)
    assert page.earlier.path.text() == str(earlier)
    assert page.earlier.clear.isEnabled()
    assert page.earlier.status.text() == "Its 3 names keep their pseudonyms; new names take the next numbers."
    assert wizard.state.redact == ("identifiers",) and page.redaction.classes() == ("identifiers",)  # the map's

    # the run: Review prepares the archive with the chosen map
    open_at(wizard, result, PageId.REVIEW)
    qtbot.waitUntil(lambda: wizard.review.ready, timeout=30_000)
    files = prepared_files(wizard)
    facts = json.loads(files["facts.json"])
    assert {"schema-007"} == {t["schema"] for t in facts["tables"]}
    assert "table-012" in {t["name"] for t in facts["tables"]}
    assert json.loads(files["manifest.json"])["redaction"]["pseudonyms_from"] == EARLIER_ARCHIVE
    for data in files.values():
        assert SCHEMA.encode() not in data and TABLE.encode() not in data and COLUMN.encode() not in data

    wizard.next()
    target = tmp_path / "out" / "second.tgz"
    target.parent.mkdir()
    wizard.save.path.setText(str(target))
    wizard.save.save_button.click()
    qtbot.waitUntil(lambda: wizard.state.archive is not None, timeout=30_000)
    assert read_archive(target) == files
    new_map = target.with_name("second.redaction-map.json")
    document = json.loads(new_map.read_text(encoding="utf-8"))
    identifiers = document["map"]["identifiers"]
    assert identifiers["schema-007"] == SCHEMA and identifiers["table-012"] == TABLE
    assert identifiers["schema-003"] == "gone_schema"  # not on this server: kept for the next run
    assert document["continues"] == EARLIER_ARCHIVE
    assert "the next run reuses it" in wizard.save.status.text()

    # the next run is offered the new map, which holds the earlier names too; Clear forgets it
    second = make_wizard()
    open_at(second, result, PageId.OPTIONS)
    options = second.options_page
    assert second.state.earlier_map is not None and second.state.earlier_map.path == new_map
    assert options.earlier.path.text() == str(new_map)
    assert second.state.redact == ("identifiers",)
    options.earlier.clear.click()
    assert second.state.earlier_map is None and options.earlier.path.text() == ""
    assert second.settings.redaction_map() == ""


def test_a_remembered_map_that_is_gone_says_so_on_options(qtbot, make_wizard: MakeWizard, mariadb: MariaDBServer,
                                                          tmp_path: Path) -> None:
    wizard = make_wizard()
    missing = tmp_path / "gone.redaction-map.json"
    wizard.settings.remember_redaction_map(str(missing))
    open_at(wizard, collected(mariadb), PageId.OPTIONS)
    page = wizard.options_page
    assert wizard.state.earlier_map is None and wizard.state.redact == ()
    assert page.earlier.path.text() == ""
    assert page.earlier.status.text() == (f"The remembered map cannot be used: {missing}: No such file or directory — "
                                          "give the ps_archive_<ts>.redaction-map.json an earlier run wrote next to "
                                          "its archive; choose it again or Clear.")
    page.earlier.clear.click()
    assert page.earlier.status.text() == "" and not page.earlier.clear.isEnabled()
    assert wizard.settings.redaction_map() == ""
