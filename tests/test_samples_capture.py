"""--read-samples on a damaged or packed capture: lines decoded one by one, a verdict never cleaner than the data
warrants, tarballs unpacked safely (nothing outside a private temporary folder, no links, size caps, the folder
removed on every way out), and the full archive a live run writes."""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

from prechecks import cli, samples
from prechecks.derive import derive
from prechecks.readiness import verdict
from prechecks.samples import SamplesError, open_capture, read_samples
from tests.helpers import read_archive

DATA = Path(__file__).parent / "data" / "samples"
MARIADB = DATA / "ps-prechecks-mariadb-10.11"
PT55 = DATA / "pt-temp002"
PT80 = DATA / "pt-temp_enc008"


@pytest.fixture
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where open_capture unpacks (tempfile's folder), empty: a test can see that nothing is left there."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def copy(source: Path, into: Path) -> Path:
    target = into / source.name
    shutil.copytree(source, target)
    return target


def checks(facts: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in derive(facts).readiness["checks"]}


def failing(facts: dict[str, Any]) -> set[str]:
    return {c["id"] for c in derive(facts).readiness["checks"] if c["status"] == "fail"}


# --------------------------------------------------------------------------- lines, bytes, line ends


def test_a_latin1_byte_costs_nothing(tmp_path: Path) -> None:
    """One non-UTF-8 byte used to drop the whole mysql-variables file: every server check skipped and the verdict
    lost its blockers. Read per line (UTF-8, else latin1), the verdict is the clean copy's."""
    d = copy(PT55, tmp_path)
    data = (d / "mysql-variables").read_bytes()
    assert b"\nhostname\thugmeir\n" in data
    (d / "mysql-variables").write_bytes(data.replace(b"\nhostname\thugmeir\n", b"\nhostname\thugm\xe9ir\n"))
    damaged, clean = read_samples(d), read_samples(PT55)
    assert damaged["variables"]["hostname"] == "hugméir"
    assert damaged["variables"]["version"] == clean["variables"]["version"]
    assert checks(damaged) == checks(clean)
    assert {"binlog_enabled", "binlog_format", "sql_mode", "mysql_version"} <= failing(damaged)
    assert verdict(derive(damaged).readiness) == verdict(derive(clean).readiness)
    assert "unreadable" not in damaged["source"]


def test_crlf_line_ends_read_as_the_original(tmp_path: Path) -> None:
    d = copy(MARIADB, tmp_path)
    for path in d.iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    crlf, clean = read_samples(d), read_samples(MARIADB)
    for key in ("variables", "status", "databases", "tables", "processlist", "binlog", "replication"):
        assert crlf[key] == clean[key], key
    assert [c["status"] for c in crlf["collection"]["collectors"]] == [
        c["status"] for c in clean["collection"]["collectors"]]
    assert derive(crlf).readiness["checks"] == derive(clean).readiness["checks"]


@pytest.mark.parametrize(("name", "damage", "said", "check"), [
    ("mysql-variables", lambda data: data[:200] + b"\0\0junk" + data[200:],
     "mysql-variables unreadable at line 10 (binary data)", "binlog_format"),
    ("mysql-variables", lambda data: data[: data.index(b"\n", len(data) // 2) + 4],
     "mysql-variables unreadable at line 192 (expected name<TAB>value)", "sql_mode"),
    ("mysql-status", lambda data: data[: data.index(b"\n", len(data) // 3) + 3],
     "mysql-status unreadable at line 147 (expected name<TAB>value)", None),  # no rule reads the status alone
])
def test_a_damaged_file_is_never_a_clean_verdict(tmp_path: Path, name: str, damage: Any, said: str,
                                                 check: str | None) -> None:
    d = copy(PT55, tmp_path)
    (d / name).write_bytes(damage((d / name).read_bytes()))
    facts = read_samples(d)
    readiness = derive(facts).readiness
    assert facts["source"]["unreadable"] == [said]
    assert readiness["unreadable"] == [said]
    line = verdict(readiness)
    assert said in line and "not judged" in line and "capture those files again" in line
    assert "Ready to import" not in line and "No blockers" not in line
    if check is not None:  # a check whose input is damaged says which file and line
        damaged = next(c for c in readiness["checks"] if c["id"] == check)
        assert damaged["status"] == "skipped" and said in damaged["detail"], damaged
    # what the damaged file would have failed is skipped, never passed
    clean = {c["id"]: c["status"] for c in derive(read_samples(PT55)).readiness["checks"]}
    for result in readiness["checks"]:
        if clean[result["id"]] == "fail":
            assert result["status"] in ("fail", "skipped"), result


def test_a_damaged_file_with_nothing_else_failing_says_not_judged() -> None:
    readiness = {"checks": [{"id": "a", "status": "pass", "severity": "blocker"},
                            {"id": "b", "status": "skipped", "severity": "blocker"}],
                 "unreadable": ["mysql-variables unreadable at line 3 (binary data)"]}
    assert verdict(readiness) == (
        "Not judged: part of the capture could not be read (1 skipped); not judged: mysql-variables unreadable at "
        "line 3 (binary data) — the checks that need them are skipped, capture those files again")
    del readiness["unreadable"]
    assert verdict(readiness).startswith("No blockers or warnings found, but not every check could run")


def test_header_values_from_pt_internal_lines() -> None:
    facts = read_samples(PT55)
    assert facts["server"]["current_user"] == "hugmeir@localhost"
    assert facts["server"]["local_time"] == "2012-03-23 21:05:32"
    assert facts["server"]["started_local"] == "2012-03-22 18:50"
    assert facts["config_file"]["path"] == "/etc/mysql/my.cnf"
    assert facts["source"]["tool"] == "pt-mysql-summary"
    assert facts["source"]["captured_at"] == "2012-03-23 21:05:32"
    assert facts["source"]["captured_time_zone"] == "ART"
    assert read_samples(MARIADB)["source"]["tool"] == "the ps-prechecks bash script"
    assert "pt-summary-internal-user" not in facts["variables"]


# --------------------------------------------------------------------------- tarballs


def _tarball(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _capture_members(prefix: str, source: Path = MARIADB) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    return [_file(f"{prefix}/{p.name}", p.read_bytes()) for p in sorted(source.iterdir())]


def test_a_tarball_reads_as_its_folder(tmp_path: Path, private_temp: Path) -> None:
    tarball = _tarball(tmp_path / "ps_archive_2026_11_26_07_46_57.tgz",
                       [_file("ps_report_2026_11_26_07_46_57.md", b"# report\n"),
                        *_capture_members("ps_samples_2026_11_26_07_46_57")])
    with open_capture(tarball) as folder:
        assert folder.parent.parent == private_temp and folder.name == "ps_samples_2026_11_26_07_46_57"
        packed = read_samples(folder)
    assert list(private_temp.iterdir()) == []
    plain = read_samples(MARIADB)
    for key in ("variables", "status", "databases", "tables", "processlist", "binlog"):
        assert packed[key] == plain[key]


@pytest.mark.parametrize("case", ["dot-dot", "absolute", "symlink", "hardlink", "device", "oversized", "two-folders",
                                  "no-samples", "not-a-tarball"])
def test_a_hostile_or_wrong_tarball_is_refused_in_one_line(tmp_path: Path, private_temp: Path,
                                                           monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    members = _capture_members("ps_samples_x")
    outside = tmp_path / "escaped"
    if case == "dot-dot":
        members.append(_file("ps_samples_x/../../escaped", b"owned\n"))
    elif case == "absolute":
        members.append(_file(str(outside), b"owned\n"))
    elif case in ("symlink", "hardlink"):
        info = tarfile.TarInfo("ps_samples_x/mysql-config-file-link")
        info.type = tarfile.SYMTYPE if case == "symlink" else tarfile.LNKTYPE
        info.linkname = "/etc/passwd" if case == "symlink" else "ps_samples_x/mysql-status"
        members.append((info, None))
    elif case == "device":
        info = tarfile.TarInfo("ps_samples_x/null")
        info.type = tarfile.CHRTYPE
        members.append((info, None))
    elif case == "oversized":
        monkeypatch.setattr(samples, "MEMBER_CAP", 50_000)  # mysqldump is 264,156 bytes
    elif case == "two-folders":
        members += _capture_members("other/ps_samples_y", PT55)
    elif case == "no-samples":
        members = [_file("notes.txt", b"hello\n")]
    tarball = tmp_path / "ps_archive_x.tgz"
    if case == "not-a-tarball":
        tarball.write_bytes(b"\x1f\x8b\x08junk" * 10)
    else:
        _tarball(tarball, members)
    with pytest.raises(SamplesError) as caught, open_capture(tarball):
        pytest.fail("opened")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{tarball}") and " — " in message
    expected = {"dot-dot": "points outside", "absolute": "points outside", "symlink": "is a link",
                "hardlink": "is a link", "device": "special file", "oversized": "more than the 50000",
                "two-folders": "holds 2 samples folders", "no-samples": "holds no samples folder",
                "not-a-tarball": "not a readable tar archive"}[case]
    assert expected in message
    assert not outside.exists() and not (tmp_path / "escaped").exists()
    assert list(private_temp.iterdir()) == []  # removed on the way out


def test_the_temporary_folder_goes_on_ctrl_c(tmp_path: Path, private_temp: Path) -> None:
    tarball = _tarball(tmp_path / "ps_archive_x.tgz", _capture_members("ps_samples_x"))
    with pytest.raises(KeyboardInterrupt), open_capture(tarball) as folder:
        assert (folder / "mysql-variables").is_file()
        raise KeyboardInterrupt
    assert list(private_temp.iterdir()) == []


def test_the_cli_removes_the_temporary_folder_when_interrupted(tmp_path: Path, private_temp: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    tarball = _tarball(tmp_path / "ps_archive_x.tgz", _capture_members("ps_samples_x"))
    seen: list[Path] = []

    def interrupted(folder: Path) -> dict[str, Any]:
        seen.append(folder)
        raise KeyboardInterrupt

    monkeypatch.setattr(samples, "read_samples", interrupted)
    assert cli.main(["--read-samples", str(tarball), "-o", str(tmp_path), "-q"]) == cli.EXIT_INTERRUPTED
    assert seen and not seen[0].exists() and list(private_temp.iterdir()) == []
    assert "interrupted — nothing was written" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ps_archive_x.tgz", "temp"]


# --------------------------------------------------------------------------- the full archive


@pytest.mark.parametrize("source", [MARIADB, PT55, PT80], ids=lambda p: p.name)
def test_read_samples_writes_the_archive_a_live_run_writes(tmp_path: Path, source: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert cli.main(["--read-samples", str(source), "--output", str(out)]) == cli.EXIT_OK
    stdout = capsys.readouterr().out
    archive = Path(stdout.splitlines()[-1])
    assert archive.parent == out and archive.name.startswith("ps_archive_") and archive.suffix == ".tgz"
    files = read_archive(archive)
    names = {name.split("/", 1)[0] if "/" in name else name for name in files}
    ts = archive.name[len("ps_archive_"):-len(".tgz")]
    assert {"facts.json", "readiness.json", "submission.json", "manifest.json", "freeform_questions.md",
            f"ps_report_{ts}.md", f"ps_samples_{ts}"} <= names
    report = files[f"ps_report_{ts}.md"].decode()
    assert stdout == report + str(archive) + "\n"
    assert "Source | an earlier capture, " + source.name in " ".join(report.split())
    assert "System time | (not a live run: an earlier capture, see Source)" in " ".join(report.split())
    facts = json.loads(files["facts.json"])
    assert facts["source"]["via"] == "read-samples" and facts["source"]["path"] == source.name
    expected = derive(read_samples(source)).readiness
    assert json.loads(files["readiness.json"])["checks"] == expected["checks"]
    answers = json.loads(files["submission.json"])["answers"]
    prefilled = [a for a in answers if a.get("source") and a.get("value") not in (None, "", [])]
    assert prefilled, "the questionnaire is prefilled from what the samples hold"
    by_source = {a["source"] for a in prefilled}
    assert any("variables" in s or "server" in s or "status" in s or "workload" in s for s in by_source), by_source
    # the secrets of pt's samples never reach the archive
    for name, data in files.items():
        assert b"Info: SELECT" not in data, name
    config = (source / "mysql-config-file").read_text(errors="replace")
    others = b"".join(p.read_bytes() for p in source.iterdir() if p.name != "mysql-config-file")
    for line in config.splitlines():
        if line.strip().lower().startswith("password") and "=" in line:
            secret = line.split("=", 1)[1].strip().encode()
            if secret in others:  # pt-temp_enc008's password is also its account's name (msandbox@%)
                assert f"password = {secret.decode()}".encode() not in b"".join(files.values())
                continue
            assert all(secret not in data for data in files.values())


def test_read_samples_of_our_own_archive_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    assert cli.main(["--read-samples", str(MARIADB), "-o", str(first)]) == cli.EXIT_OK
    archive = Path(capsys.readouterr().out.splitlines()[-1])
    assert cli.main(["--read-samples", str(archive), "-o", str(second)]) == cli.EXIT_OK
    again = Path(capsys.readouterr().out.splitlines()[-1])
    one, two = read_archive(archive), read_archive(again)
    a, b = json.loads(one["readiness.json"]), json.loads(two["readiness.json"])
    assert [(c["id"], c["status"]) for c in a["checks"]] == [(c["id"], c["status"]) for c in b["checks"]]
    facts = json.loads(two["facts.json"])
    assert facts["source"]["path"] == archive.name and facts["source"]["tool"] == "ps-prechecks"
    assert facts["variables"] == json.loads(one["facts.json"])["variables"]


def test_a_hostile_tarball_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               private_temp: Path) -> None:
    tarball = _tarball(tmp_path / "ps_archive_x.tgz",
                       [*_capture_members("ps_samples_x"), _file("../escaped", b"owned\n")])
    out = tmp_path / "out"
    out.mkdir()
    assert cli.main(["--read-samples", str(tarball), "-o", str(out)]) == cli.EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert captured.err.startswith(f"ps-prechecks: {tarball}: member '../escaped' points outside")
    assert list(out.iterdir()) == [] and not (tmp_path / "escaped").exists()
    assert list(private_temp.iterdir()) == []


# --------------------------------------------------------------------------- the report against pt's


def _pt(source: Path) -> str:
    import shutil as _shutil
    import subprocess

    if _shutil.which("pt-mysql-summary") is None:
        pytest.skip("pt-mysql-summary not installed")
    return subprocess.run(["pt-mysql-summary", "--read-samples", str(source)], capture_output=True, text=True,
                          timeout=120, check=False).stdout


def _report(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["--read-samples", str(source), "-o", str(tmp_path)]) == cli.EXIT_OK
    return capsys.readouterr().out


ISSUE_COUNTERS = ("Com_begin", "Com_lock_tables", "Com_unlock_tables", "Com_stmt_prepare", "Innodb_rows_deleted",
                  "Innodb_rows_inserted", "Innodb_rows_read", "Innodb_rows_updated", "Ssl_accepts")


@pytest.mark.parametrize("source", [PT55, PT80], ids=lambda p: p.name)
def test_status_counters_and_header_match_pt(source: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    pt, ours = _pt(source), _report(source, tmp_path, capsys)
    pt_counters = {line.split()[0]: line.split()[1:] for line in
                   pt.split("# Status Counters", 1)[1].split("\n# ", 1)[0].splitlines()[2:] if line.strip()}
    our_counters = {line.split()[0]: line.split()[1:] for line in
                    ours.split("## Status Counters", 1)[1].split("\n## ", 1)[0].splitlines()[2:] if line.strip()}
    common = set(pt_counters) & set(our_counters)
    assert {"Bytes_received", "Questions"} <= common
    for name in common:  # figure by figure
        assert our_counters[name] == pt_counters[name], name
    first = read_samples(source)["status"]["first"]
    for name in ISSUE_COUNTERS:  # the original's counters: shown whenever they moved
        if int(first.get(name, "0") or 0) > 0:
            assert name in our_counters, name
    # header values pt takes from its internal lines
    def value(text: str, label: str) -> str:
        match = re.search(rf"(?m)^\s*{label} \| (.*)$", text)
        assert match is not None, label
        return match.group(1).strip()

    for label in ("User", "Time", "Hostname", "Version", "Databases", "Datadir", "Processes"):
        assert value(ours, label) == value(pt, label), label
    assert value(ours, "Started").split(" (up ")[0] == value(pt, "Started").split(" (up ")[0]
