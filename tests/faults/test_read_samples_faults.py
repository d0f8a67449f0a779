"""`--read-samples` given a corrupt or partial samples directory: the report of what could be read, naming
each file it could not use (exit 0), or one line of cause and remedy (exit 1); never a traceback or a
hang, never a secret from the samples (the option file's password, a query's literal) in the output.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from prechecks.samples import read_samples
from tests.faults.helpers import Box, assert_no_secrets, one_error_line, token
from tests.helpers import REPO

SAMPLES = REPO / "tests" / "data" / "samples"
OURS = SAMPLES / "ps-prechecks-mariadb-10.11"
PT = SAMPLES / "pt-temp002"

Corrupt = Callable[[Path], None]


def _write(path: Path, data: bytes) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.write_bytes(data)


def _binary(name: str) -> Corrupt:
    return lambda d: _write(d / name, os.urandom(4096))


def _truncated(name: str, fraction: float = 0.5) -> Corrupt:
    """Cut the file three bytes into a line (a copy or download that stopped half-way)."""
    def corrupt(d: Path) -> None:
        data = (d / name).read_bytes()
        cut = data.index(b"\n", int(len(data) * fraction)) + 4
        _write(d / name, data[:cut])
    return corrupt


def _cut_in_a_value(name: str) -> Corrupt:
    """Cut the file inside a number: what is left parses, as a wrong value (Uptime 86400 read as 8)."""
    def corrupt(d: Path) -> None:
        data = (d / name).read_bytes()
        half = len(data) // 2
        match = re.search(rb"\t(\d\d+)\n", data[half:])
        assert match is not None
        _write(d / name, data[:half + match.start(1) + 1])
    return corrupt


def _numbers(*names: str, value: str = "1e309") -> Corrupt:
    def corrupt(d: Path) -> None:
        for name in names:
            text = (d / name).read_text()
            (d / name).write_text(re.sub(r"(?m)(\t)\d+$", lambda m: m.group(1) + value, text))
    return corrupt


def _interval_inf_and_a_huge_counter(d: Path) -> None:
    with (d / "mysql-variables").open("a") as variables:
        variables.write("internal::status_interval_seconds inf\n")
    defer = (d / "mysql-status-defer").read_text()
    (d / "mysql-status-defer").write_text(re.sub(r"(?m)^(Bytes_received \d+) \d+$", r"\1 1e309", defer))


def _directory(name: str) -> Corrupt:
    def corrupt(d: Path) -> None:
        (d / name).unlink()
        (d / name).mkdir()
    return corrupt


def _symlink_loop(name: str) -> Corrupt:
    def corrupt(d: Path) -> None:
        (d / name).unlink()
        (d / name).symlink_to(d / name)
    return corrupt


def _fifo(name: str) -> Corrupt:
    def corrupt(d: Path) -> None:
        (d / name).unlink()
        os.mkfifo(d / name)
    return corrupt


def _every_other_file_removed(d: Path) -> None:
    for path in sorted(d.iterdir())[::2]:
        if path.name != "mysql-config-file":
            path.unlink()


def _all_empty(d: Path) -> None:
    for path in d.iterdir():
        if path.name != "mysql-config-file":
            path.write_bytes(b"")


# (id, samples, corruption, what the report must say about it: a file name it names as not used, or None)
CASES: list[tuple[str, Path, Corrupt, str | None]] = [
    ("variables-binary", OURS, _binary("mysql-variables"), "mysql-variables unreadable"),
    ("variables-not-utf8", OURS, lambda d: _write(d / "mysql-variables", b"version\t10.11\xff\xfe\n"),
     "10.11\xff\xfe"),  # read as latin1, not dropped
    ("status-truncated", OURS, _truncated("mysql-status"), "mysql-status unreadable"),
    ("status-cut-in-a-value", OURS, _cut_in_a_value("mysql-status"), "cut short, no newline at the end"),
    # said in facts.json only: see test_the_report_names_a_file_it_could_not_use_for_a_collector_that_ran
    ("status-defer-truncated", OURS, _truncated("mysql-status-defer", 0.3), None),
    ("table-sizes-truncated", OURS, _truncated("table-sizes"), "table-sizes unreadable"),
    ("databases-cut-in-a-name", OURS, _truncated("mysql-databases"), "mysql-databases unreadable"),
    ("processlist-truncated", OURS, _truncated("mysql-processlist"), "mysql-processlist unreadable"),
    ("processlist-nul", OURS, lambda d: _write(d / "mysql-processlist", b"\0" * 64 + b"\n"),
     "mysql-processlist unreadable"),
    ("numbers-overflow", OURS, _numbers("mysql-variables", "mysql-status", "mysql-status-defer"), None),
    ("numbers-inf", OURS, _numbers("mysql-variables", "mysql-status", value="inf"), None),
    ("interval-inf-and-a-huge-counter", OURS, _interval_inf_and_a_huge_counter, None),
    ("numbers-negative", OURS, _numbers("mysql-variables", "mysql-status", "table-sizes", value="-1"), None),
    ("variables-directory", OURS, _directory("mysql-variables"), "no mysql-variables file"),
    ("variables-symlink-loop", OURS, _symlink_loop("mysql-variables"), "no mysql-variables file"),
    ("status-fifo", OURS, _fifo("mysql-status"), "no mysql-status file"),
    ("variables-one-huge-line", OURS, lambda d: _write(d / "mysql-variables", b"x" * 5_000_000 + b"\n"),
     "mysql-variables unreadable"),
    ("variables-cut-in-its-first-line", OURS, lambda d: _write(d / "mysql-variables", b"auto_increment_incr"),
     "mysql-variables unreadable at line 1 ("),
    ("half-the-files", OURS, _every_other_file_removed, None),
    ("every-file-empty", OURS, _all_empty, "mysql-variables: the file is empty"),
    ("pt-processlist-cut-mid-row", PT, _truncated("mysql-processlist", 0.6), None),
    ("pt-variables-binary", PT, _binary("mysql-variables"), "mysql-variables unreadable"),
    ("pt-dump-binary", PT, _binary("mysqldump"), None),
]


def _copy_with_secrets(source: Path, into: Path, secret: str, literal: str) -> Path:
    """A copy of a samples directory with a password in its option file and, for pt's, a query literal."""
    shutil.copytree(source, into)
    with (into / "mysql-config-file").open("a") as cnf:
        cnf.write(f"\n[client]\npassword = {secret}\n")
    processlist = into / "mysql-processlist"
    text = processlist.read_text()
    if re.search(r"(?m)^ *Info: ", text):  # a raw SHOW FULL PROCESSLIST\G keeps the query text
        processlist.write_text(re.sub(r"(?m)^( *Info: ).*$", rf"\g<1>SELECT * FROM t WHERE a = '{literal}'", text,
                                      count=1))
        assert literal in processlist.read_text()
    return into


@pytest.mark.parametrize(("source", "corrupt", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_corrupt_samples_directory(box: Box, source: Path, corrupt: Corrupt, named: str | None) -> None:
    secret, literal = token("SampleCnfPw"), token("SampleLiteral")
    directory = _copy_with_secrets(source, box.inputs / "samples", secret, literal)
    corrupt(directory)
    for args in (["--read-samples", str(directory)], ["--read-samples", str(directory), "--md", "-o", str(box.out)]):
        result = box.run(args, timeout=60)  # a hang fails here
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and result.stderr == ""
        assert result.stdout.startswith("#") and "## " in result.stdout
        if named is not None:
            assert named in result.stdout, f"the report does not say {named!r}"
        assert_no_secrets([box.root], [secret, literal], {"stdout": result.stdout})
    written = sorted(p.name for p in box.out.iterdir())  # the archive, and with --md the report beside it
    assert len(written) == 2 and written[0].startswith("ps_archive_") and written[1].startswith("ps_report_")
    assert sorted(box.tmp.iterdir()) == []


@pytest.mark.parametrize("what", ["missing", "empty", "unknown-files-only", "a-file", "the-tarball"])
def test_not_a_samples_directory(box: Box, what: str) -> None:
    path = box.inputs / "given"
    if what == "empty":
        path.mkdir()
    elif what == "unknown-files-only":
        path.mkdir()
        (path / "notes.txt").write_text("not a sample\n")
    elif what == "a-file":
        path.write_text("version\t10.11\n")
    elif what == "the-tarball":
        path = box.inputs / "ps_archive_2026_01_02_03_04_05.tgz"
        path.write_bytes(b"\x1f\x8b" + os.urandom(100))
    result = box.run(["--read-samples", str(path)], timeout=60)
    line = one_error_line(result)
    assert line.startswith(f"ps-prechecks: {path}"), line
    assert "pass" in line.split(" — ", 1)[1] or "unpack" in line.split(" — ", 1)[1], line
    box.assert_clean()


def test_a_file_cut_inside_a_value_is_not_read_as_a_wrong_value(tmp_path: Path) -> None:
    directory = shutil.copytree(OURS, tmp_path / "samples")
    _cut_in_a_value("mysql-status")(directory)
    facts = read_samples(directory)
    record = next(r for r in facts["collection"]["collectors"] if r["name"] == "status")
    assert record["status"] == "skipped", record
    assert re.fullmatch(r"mysql-status unreadable at line \d+ \(cut short, no newline at the end\)", record["reason"])
    assert "status" not in facts and "workload" not in facts
    assert facts["variables"] and facts["tables"]  # the other files still load


def test_the_report_names_a_file_it_could_not_use_for_a_collector_that_ran(box: Box) -> None:
    directory = shutil.copytree(OURS, box.inputs / "samples")
    _truncated("mysql-status-defer", 0.3)(directory)
    facts = read_samples(directory)
    status = next(r for r in facts["collection"]["collectors"] if r["name"] == "status")
    assert status["status"] == "ok" and "mysql-status-defer unreadable" in status["reason"]  # the first sample
    result = box.run(["--read-samples", str(directory)], timeout=60)
    assert result.returncode == 0, result.stderr
    assert "mysql-status-defer unreadable" in result.stdout  # the sampled rates are gone without a word
