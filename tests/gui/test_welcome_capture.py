"""Welcome: "Open an earlier capture…" skips Connection and Collect and lands on Findings with the capture's
verdicts; Review then builds the archive from it as from a live run. A capture that cannot be read says so on the
page, in one line, and the wizard stays where it is."""

from __future__ import annotations

import tarfile
from pathlib import Path

from gui.state import PageId
from gui.wizard import Wizard
from prechecks.derive import derive
from prechecks.readiness import verdict
from prechecks.samples import read_samples

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
MARIADB = SAMPLES / "ps-prechecks-mariadb-10.11"


def test_an_earlier_capture_goes_straight_to_findings(qtbot, wizard: Wizard, tmp_path: Path) -> None:
    tarball = tmp_path / "ps_archive_2026_11_26_07_46_57.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(MARIADB, arcname="ps_samples_2026_11_26_07_46_57")
    assert wizard.currentId() == PageId.WELCOME
    assert wizard.welcome.open_capture_button.text() == "Open an earlier &capture…"
    assert wizard.welcome.open_capture(tarball)
    assert wizard.currentId() == PageId.FINDINGS
    assert PageId.CONNECTION not in wizard.visitedIds() and PageId.COLLECT not in wizard.visitedIds()
    expected = derive(read_samples(MARIADB)).readiness
    assert wizard.state.readiness is not None
    assert [(c["id"], c["status"]) for c in wizard.state.readiness["checks"]] == [
        (c["id"], c["status"]) for c in expected["checks"]]
    assert wizard.findings.verdict.text() == verdict(expected) + "."
    assert "blocker" in wizard.findings.verdict.text()
    result = wizard.state.result
    assert result is not None and result.facts["source"]["path"] == tarball.name
    assert "CREATE TABLE" in result.artifacts["mysqldump"]  # the archive gets the dump, as from a live run
    # what Review shows and Save writes: the same build as a live run's, the capture's verdicts in it
    import json

    from gui.submission import prepare, snapshot

    prepared = prepare(snapshot(wizard.state))
    names = set(prepared.files)
    assert {"facts.json", "readiness.json", "submission.json", "manifest.json"} <= names
    assert any(n.endswith("/mysqldump") for n in names)
    assert json.loads(prepared.files["readiness.json"])["checks"] == expected["checks"]
    wizard.back()
    assert wizard.currentId() == PageId.WELCOME


def test_a_capture_that_cannot_be_read_says_why(qtbot, wizard: Wizard, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a capture\n")
    assert not wizard.welcome.open_capture(notes)
    assert wizard.currentId() == PageId.WELCOME and wizard.state.result is None
    said = wizard.welcome.capture_status.text()
    assert said.startswith(f"{tmp_path} is not a samples directory") and " — " in said and "\n" not in said
    wizard.next()
    assert wizard.currentId() == PageId.CONNECTION  # the live path is unchanged
