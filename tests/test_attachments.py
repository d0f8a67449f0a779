"""Attachments: safe names, size caps with a clear error, and their place in the archive and the manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from prechecks.attachments import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    AttachmentError,
    Attachments,
    format_size,
    read_attachment,
    safe_name,
)
from prechecks.redaction import Redactor
from tests.helpers import read_archive, run_cli, server_args
from tests.servers import MariaDBServer


def _sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize(("name", "expected"), [
    ("bill.pdf", "bill.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\system.ini", "system.ini"),
    ("/abs/path/diagram.png", "diagram.png"),
    (".bashrc", "bashrc"),
    ("..", "attachment"),
    ("", "attachment"),
    ("my slow log (prod)?.log", "my_slow_log_prod_.log"),
    ("façade ñ.txt", "facade_n.txt"),
    ("a" * 300 + ".csv", "a" * 92 + ".csv"),  # at most 100 characters, room for "-<n>"
])
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name) == expected
    assert "/" not in safe_name(name) and not safe_name(name).startswith(".")


def test_no_duplicate_names(tmp_path: Path) -> None:
    one, two = tmp_path / "a", tmp_path / "b"
    one.mkdir()
    two.mkdir()
    (one / "bill.pdf").write_bytes(b"1")
    (two / "bill.pdf").write_bytes(b"2")
    (two / "BILL.pdf").write_bytes(b"3")
    box = Attachments()
    names = [box.add(one / "bill.pdf").name, box.add(two / "bill.pdf").name, box.add(two / "BILL.pdf").name]
    assert names == ["bill.pdf", "bill-2.pdf", "BILL-3.pdf"]
    assert box.as_mapping() == {"bill.pdf": one / "bill.pdf", "bill-2.pdf": two / "bill.pdf",
                                "BILL-3.pdf": two / "BILL.pdf"}
    assert box.remove("bill-2.pdf").path == two / "bill.pdf"
    assert [a.name for a in box] == ["bill.pdf", "BILL-3.pdf"] and box.total_bytes == 2
    with pytest.raises(KeyError):
        box.remove("bill-2.pdf")


def test_sizes_shown() -> None:
    assert format_size(512) == "512 B"
    assert format_size(1500) == "1.5 kB"
    assert format_size(25 * 10**6) == "25.0 MB"


def test_per_file_cap(tmp_path: Path) -> None:
    box = Attachments()
    fits = box.add(_sparse(tmp_path / "fits.log", MAX_FILE_BYTES))
    assert fits.size == MAX_FILE_BYTES and fits.size_text == "25.0 MB"
    big = _sparse(tmp_path / "slow.log", MAX_FILE_BYTES + 1)
    with pytest.raises(AttachmentError) as caught:
        box.add(big)
    message = str(caught.value)
    # one byte over: both would print as 25.0 MB, so the message gives bytes
    assert str(big) in message and "\n" not in message
    assert f"is {MAX_FILE_BYTES + 1:,} bytes, over the cap of {MAX_FILE_BYTES:,} bytes per file" in message
    assert len(box) == 1


def test_total_cap(tmp_path: Path) -> None:
    box = Attachments()
    for index in range(4):
        box.add(_sparse(tmp_path / f"part{index}.bin", MAX_FILE_BYTES))
    assert box.total_bytes == MAX_TOTAL_BYTES
    last = tmp_path / "one-more.txt"
    last.write_bytes(b"x")
    with pytest.raises(AttachmentError) as caught:
        box.add(last)
    assert str(last) in str(caught.value)
    assert f"to {MAX_TOTAL_BYTES + 1:,} bytes, over the cap of {MAX_TOTAL_BYTES:,} bytes in all" in str(caught.value)
    small = Attachments(max_file_bytes=10, max_total_bytes=15)
    small.add(_sparse(tmp_path / "ten", 10))
    with pytest.raises(AttachmentError, match="15 B in all"):
        small.add(_sparse(tmp_path / "six", 6))


def test_missing_or_unreadable(tmp_path: Path) -> None:
    box = Attachments()
    with pytest.raises(AttachmentError, match="not a file"):
        box.add(tmp_path / "nope.pdf")
    with pytest.raises(AttachmentError, match="not a file"):
        box.add(tmp_path)


def test_cli_attachments_in_archive_and_manifest(mariadb: MariaDBServer, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "x").mkdir(parents=True)
    diagram = src / "architecture diagram.png"
    diagram.write_bytes(bytes(range(256)) * 40)  # binary: kept byte for byte
    bill = src / "bill.pdf"
    bill.write_bytes(b"%PDF-1.4 invoice")
    same_name = src / "x" / "bill.pdf"
    same_name.write_bytes(b"%PDF-1.4 another")
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli([*server_args(mariadb), "--sleep=0.2", "-q", "--output", str(out), "--no-draft",
                      "--attach", str(diagram), "--attach", str(bill), "--attach", str(same_name)],
                     password=mariadb.root_password, env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert result.returncode == 0, result.stderr
    files = read_archive(Path(result.stdout.strip().splitlines()[-1]))
    assert files["attachments/architecture_diagram.png"] == diagram.read_bytes()
    assert files["attachments/bill.pdf"] == bill.read_bytes()
    assert files["attachments/bill-2.pdf"] == same_name.read_bytes()
    listed = {f["path"]: f for f in json.loads(files["manifest.json"])["files"]}
    for path in ("attachments/architecture_diagram.png", "attachments/bill.pdf", "attachments/bill-2.pdf"):
        assert listed[path]["sha256"] == hashlib.sha256(files[path]).hexdigest()
        assert listed[path]["size"] == len(files[path])
    assert "attachments/bill-2.pdf" in files["freeform_questions.md"].decode()
    answers = {a["id"]: a for a in json.loads(files["submission.json"])["answers"]}  # the bill, by its name
    bill_answer = answers["plan.bill_attached"]
    assert (bill_answer["value"], bill_answer["source"], bill_answer["confidence"]) == (
        "yes", "prefill:attachments", "heuristic")


def test_cli_attachment_over_the_cap_one_line_before_connecting(tmp_path: Path) -> None:
    big = _sparse(tmp_path / "huge.log", MAX_FILE_BYTES + 1)
    result = run_cli(["--host=127.0.0.1", "--port=1", "--user=x", "--attach", str(big), "--output", str(tmp_path)],
                     env={"XDG_DATA_HOME": str(tmp_path / "xdg")}, timeout=30)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and str(big) in lines[0] and "over the cap of 25,000,000 bytes per file" in lines[0], lines
    assert not list(tmp_path.glob("ps_archive_*"))


def test_a_redaction_map_is_never_attached(tmp_path: Path) -> None:
    """The map holds the originals of every pseudonym: attached, it would undo the redaction. Refused by its
    name, by its content under another name, and when one is swapped in after it was added."""
    redactor = Redactor(["identifiers"])
    redactor.ident("orders", "schema")
    document = json.dumps(redactor.map_document("ps_archive_2026_12_06_20_00_00.tgz"), indent=2)
    named = tmp_path / "ps_archive_2026_12_06_20_00_00.redaction-map.json"
    renamed = tmp_path / "names.json"
    for path in (named, renamed):
        path.write_text(document)
        with pytest.raises(AttachmentError, match="is a redaction map"):
            Attachments().add(path)
    notes = tmp_path / "notes.txt"
    notes.write_text("our schema notes")
    attachments = Attachments()
    attachment = attachments.add(notes)
    assert read_attachment(attachment.name, notes) == b"our schema notes"
    notes.write_text(document)  # swapped after it was added
    with pytest.raises(AttachmentError, match="is a redaction map"):
        read_attachment(attachment.name, notes)
