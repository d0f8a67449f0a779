"""prechecks.summary: the e-mail text about a saved archive, the redaction words, the upload link (no Qt)."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pytest

from prechecks.bundle import build, write_bundle
from prechecks.collection import RunOptions, archive_inputs, collect, timestamp_now
from prechecks.questionnaire import load_questionnaire
from prechecks.readiness import verdict
from prechecks.redaction import CLASSES
from prechecks.summary import REDACTION_CLASSES, ArchiveFile, email_text, send_ways, upload_url
from tests.helpers import REPO, read_archive, spec_for
from tests.servers import MariaDBServer


def test_every_redaction_class_has_its_words() -> None:
    assert list(REDACTION_CLASSES) == list(CLASSES)
    for words in REDACTION_CLASSES.values():
        assert words.label and words.description.endswith(".") and words.pseudonyms


# the sales page: the archive is uploaded at the end of the technical questionnaire form, or e-mailed to the rep
QUESTIONNAIRE_FORM = "https://docs.google.com/forms/d/e/1FAIpQLSdzmtLykP8hAAqOLfAaIDy1-B5_2XFXSa1-Q5RJgX8ZvOcIvA/viewform"


def test_upload_url_comes_from_resources() -> None:
    links = tomllib.loads((REPO / "resources" / "links.toml").read_text())
    assert upload_url() == links["upload_url"]
    assert upload_url() == QUESTIONNAIRE_FORM  # the form, not the contact page


def test_both_ways_named() -> None:
    assert send_ways() == ("upload it at the end of PlanetScale's technical questionnaire form "
                           f"({QUESTIONNAIRE_FORM}), or e-mail it to your PlanetScale solutions rep")


def test_archive_file_checksums_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.tgz"
    path.write_bytes(b"x" * 3_000_000)
    archive = ArchiveFile.of(path)
    assert archive == ArchiveFile("a.tgz", 3_000_000, hashlib.sha256(path.read_bytes()).hexdigest())


def test_email_text_on_a_real_run(mariadb: MariaDBServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # no draft from the real home
    result = collect(spec_for(mariadb), RunOptions(sleep=0.2))
    timestamp = timestamp_now()
    note = tmp_path / "topology notes.txt"
    note.write_text("primary and two replicas\n")
    inputs = archive_inputs(result, timestamp, secrets=[mariadb.root_password],
                            answers={"architecture.instance_count": 3}, attachments={"topology_notes.txt": note})
    path = write_bundle(build(result.derived, inputs, ("hostnames", "users")), tmp_path)
    files = read_archive(path)
    text = email_text(files, ArchiveFile.of(path))

    lines = text.splitlines()
    facts = json.loads(files["facts.json"])
    server = facts["server"]
    assert lines[0] == f"Subject: PlanetScale migration prechecks: MariaDB {server['version']}"
    assert f"Server: MariaDB {server['version']}" in text and f"platform: {server['platform']}" in text
    readiness = json.loads(files["readiness.json"])
    assert f"Readiness: {verdict(readiness)}." in lines
    questionnaire = load_questionnaire()
    answered = [a for a in json.loads(files["submission.json"])["answers"] if a["value"] not in (None, "", [])]
    total = len(questionnaire.questions)
    assert any(line.startswith(f"Questionnaire: {len(answered)} of {total} questions answered") for line in lines)
    missing = [q for q in questionnaire.questions if q.required and q.id not in {a["id"] for a in answered}]
    assert missing  # a fresh run leaves some required questions to the DBA
    for question in missing:
        assert f"  - {question.question} ({question.id})" in lines
    assert "architecture.instance_count" not in text  # answered by the user
    assert "Attachments: topology_notes.txt." in lines
    assert "host names (1 replaced, as host-001…)" in text and "account names (" in text
    assert f"Archive: {path.name}, " in text and f"({path.stat().st_size} bytes)" in text
    assert f"SHA-256: {hashlib.sha256(path.read_bytes()).hexdigest()}" in lines
    assert f"It holds {len(files)} files;" in text
    assert mariadb.root_password not in text
    # both ways: attached to this e-mail, or uploaded at the end of the form
    assert lines[4].startswith("Attached is the pre-migration prechecks archive of our database server")
    assert lines[5] == ("If it was too large to attach, it is uploaded instead at the end of PlanetScale's technical "
                        f"questionnaire form ({QUESTIONNAIRE_FORM}), under the name below.")


def test_email_text_without_the_usual_files() -> None:
    text = email_text({"facts.json": b"not json"}, ArchiveFile("x.tgz", 10, "0" * 64))
    assert "Server: MySQL-compatible server (version unknown), platform: unknown" in text
    assert "Readiness: not in the archive." in text and "Questionnaire: not in the archive." in text
    assert "Redaction: passwords, secret-looking settings and query literals removed; names and addresses left" in text
    assert "Attachments: none." in text
