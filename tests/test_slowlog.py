"""Slow query digests: the file parser (prechecks/slowlog.py), the fingerprints (collectors/slowlog.py), the
mysql.slow_log collector, and ``ps-prechecks --slow-log`` end to end against real MariaDB servers.

The promise under test: a slow log with planted literals yields a digest with fingerprints and none of
the literals, in any file of the archive.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from collectors.connection import open_session
from collectors.runner import Runner
from collectors.server import VARIABLES
from collectors.slowlog import MAX_FINGERPRINTS, Fingerprint, Fingerprinter, SlowLogDigest, SlowQuery, is_scrubbed
from collectors.slowlog_table import SLOW_LOG_TABLE, table_state
from prechecks.bundle import build
from prechecks.collection import RunOptions, archive_inputs, collect
from prechecks.derive import derive
from prechecks.report import render_report
from prechecks.slowlog import (
    DIGEST_JSON,
    DIGEST_MD,
    SlowLogError,
    check_slow_log,
    digest_files,
    files_fact,
    files_from,
    read_slow_log,
)
from tests.helpers import REPO, archive_json, read_archive, server_args, spec_for
from tests.servers import MariaDBFactory, MariaDBServer

PLANTED = ("planted-secret-4242", "987654321", "DEADBEEF", "planted-comment", "CAFEBABE", "424242.5")
ACCOUNT_BITS = ("app_user", "web1.internal", "10.0.0.5", "10.0.0.6")
_SCRIPT = Path(sys.executable).with_name("ps-prechecks")
CLI = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "prechecks.cli"]

# MySQL 8 entries, then the server restarted as MariaDB 10.11 (its banner in the middle of the file),
# multi-line statements, an administrator command, a statement that names an account, and a last entry
# cut short by a crash.
SAMPLE = textwrap.dedent("""\
    /usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:
    Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock
    Time                 Id Command    Argument
    # Time: 2024-05-01T10:00:00.123456Z
    # User@Host: app_user[app_user] @ web1.internal [10.0.0.5]  Id:    42
    # Query_time: 1.500000  Lock_time: 0.000100 Rows_sent: 1  Rows_examined: 100000
    use shop;
    SET timestamp=1714557600;
    SELECT * FROM orders WHERE customer_email = 'planted-secret-4242' AND id = 987654321;
    # Time: 2024-05-01T10:00:01.000000Z
    # User@Host: app_user[app_user] @ web1.internal [10.0.0.5]  Id:    42
    # Query_time: 0.500000  Lock_time: 0.000100 Rows_sent: 1  Rows_examined: 50000
    SET timestamp=1714557601;
    select *
      from orders
     where customer_email = 'it''s \\'quoted\\' planted-secret-4242' /* planted-comment */
       and id = 5;
    # Time: 2024-05-01T10:00:02.000000Z
    # User@Host: app_user[app_user] @ web1.internal [10.0.0.5]  Id:    42
    # Query_time: 0.000010  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0
    SET timestamp=1714557602;
    # administrator command: Quit;
    /usr/sbin/mariadbd, Version: 10.11.6-MariaDB-0+deb12u1-log (Debian 12). started with:
    Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock
    Time\t\t    Id Command\tArgument
    # Time: 240501 10:05:00
    # User@Host: app_user[app_user] @  [10.0.0.6]
    # Thread_id: 8  Schema: shop  QC_hit: No
    # Query_time: 2.000000  Lock_time: 0.000200  Rows_sent: 0  Rows_examined: 3
    # Rows_affected: 3  Bytes_sent: 50
    # Full_scan: No  Full_join: No  Tmp_table: No  Tmp_table_on_disk: No
    #
    # explain: id\tselect_type\ttable\ttype\tpossible_keys\tkey\tkey_len\tref\trows\tr_rows\tfiltered\tr_filtered\tExtra
    # explain: 1\tINSERT\torders\tALL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\t100.00\t100.00\tNULL
    #
    SET timestamp=1714557900;
    INSERT INTO orders (id, note, blob_col, price)
    VALUES (1, 'planted-secret-4242', x'DEADBEEF', 424242.5),
           (2, "b", 0xCAFEBABE, -1e3),
           (3, _utf8mb4'c', b'0101', 987654321);
    # User@Host: app_user[app_user] @  [10.0.0.6]
    # Thread_id: 8  Schema: shop  QC_hit: No
    # Query_time: 0.250000  Lock_time: 0.000200  Rows_sent: 2  Rows_examined: 2
    # Rows_affected: 0  Bytes_sent: 50
    SET timestamp=1714557901;
    SELECT id FROM orders WHERE id IN (1, 2, 3, 987654321);
    # User@Host: app_user[app_user] @  [10.0.0.6]
    # Thread_id: 8  Schema: shop  QC_hit: No
    # Query_time: 0.150000  Lock_time: 0.000200  Rows_sent: 2  Rows_examined: 2
    # Rows_affected: 0  Bytes_sent: 50
    SET timestamp=1714557902;
    SELECT id FROM orders WHERE id IN (7, 8);
    # User@Host: app_user[app_user] @  [10.0.0.6]
    # Thread_id: 9  Schema:   QC_hit: No
    # Query_time: 0.100000  Lock_time: 0.000200  Rows_sent: 0  Rows_examined: 0
    # Rows_affected: 0  Bytes_sent: 11
    SET timestamp=1714557903;
    SET PASSWORD FOR 'app_user'@'%' = PASSWORD('planted-secret-4242');
    # User@Host: app_user[app_user] @  [10.0.0.6]
    # Thread_id: 8  Schema: shop  QC_hit: No
    # Query_time: 9.000000  Lock_time: 0.000200  Rows_sent: 0  Rows_examined: 0
    SET timestamp=1714557904;
    SELECT id FROM orders WHERE note = 'planted-secret-42
    """)


def write_sample(folder: Path, text: str = SAMPLE, name: str = "mysql-slow.log") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_no_planted(text: str, where: str) -> None:
    for literal in PLANTED:
        assert literal.lower() not in text.lower(), f"{literal!r} in {where}"


def digests_by_text(fact: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["fingerprint"]: d for d in fact["digests"]}


# ---------------------------------------------------------------- the file format


def test_sample_of_both_formats(tmp_path: Path) -> None:
    parsed = read_slow_log(write_sample(tmp_path))
    fact = files_fact([parsed])
    assert parsed.entries == 7
    assert fact["statements"] == 7 and fact["unparsed"] == 0 and fact["fingerprints"] == 5
    assert fact["corrupt_entries"] == 1  # the last entry, cut in the middle of its statement
    by_text = digests_by_text(fact)
    select = by_text["SELECT * FROM `orders` WHERE `customer_email` = ? AND `id` = ?"]
    # the one-line MySQL statement and the multi-line lower-case one are the same fingerprint
    assert select["count"] == 2
    assert select["total_seconds"] == 2.0 and select["max_seconds"] == 1.5 and select["avg_seconds"] == 1.0
    assert select["rows_examined"] == 150000 and select["rows_sent"] == 2
    assert select["first_seen"] == "2024-05-01T10:00:00Z" and select["last_seen"] == "2024-05-01T10:00:01Z"
    assert select["schemas"] == ["shop"]
    assert select["id"] == select["id"].lower() and len(select["id"]) == 16
    insert = by_text["INSERT INTO `orders` (`id`, `note`, `blob_col`, `price`) VALUES (?, ?, ?, ?)"]
    assert insert["count"] == 1 and insert["schemas"] == ["shop"]
    # IN lists of any length collapse to one placeholder
    assert by_text["SELECT `id` FROM `orders` WHERE `id` IN (?)"]["count"] == 2
    assert by_text["administrator command: Quit"]["count"] == 1
    withheld = by_text["SET PASSWORD … (text withheld: it can name accounts)"]
    assert withheld["schemas"] == []  # MariaDB said Schema: (none); the earlier `use shop` does not apply
    # ranked by total time
    assert [d["total_seconds"] for d in fact["digests"]] == sorted((d["total_seconds"] for d in fact["digests"]),
                                                                  reverse=True)
    document = json.dumps(fact)
    assert_no_planted(document, "the facts")
    for bit in ACCOUNT_BITS:
        assert bit not in document
    for digest in fact["digests"]:
        assert is_scrubbed(digest["fingerprint"]), digest


def test_digest_files_and_report_section(tmp_path: Path) -> None:
    fact = files_fact([read_slow_log(write_sample(tmp_path))])
    facts = {"slow_log": {"files": fact, "table": {"status": "not read: log_output is FILE", "read": False}}}
    files = digest_files(facts)
    assert set(files) == {DIGEST_MD, DIGEST_JSON}
    document = json.loads(files[DIGEST_JSON])
    assert document["format_version"] == 1
    assert [s["source"] for s in document["sources"]] == ["files"]
    markdown = files[DIGEST_MD]
    assert "## Slow log files" in markdown and "`mysql-slow.log`" in markdown
    assert "SELECT * FROM `orders` WHERE `customer_email` = ? AND `id` = ?" in markdown
    report = render_report(derive(facts))
    section = report.split("## Slow query log digest\n", 1)[1].split("\n## ", 1)[0]
    assert "7 statements, 5 fingerprints, 0 unparsed, 1 truncated or corrupt entries skipped" in section
    assert "not read: log_output is FILE" in section
    assert f"{DIGEST_MD} and {DIGEST_JSON}" in section
    for text in (*files.values(), report):
        assert_no_planted(text, "the digest files and the report")
    # no slow_log key (older facts, --read-samples): no section, no files
    assert "Slow query log digest" not in render_report(derive({}))
    assert digest_files({}) == {}


def test_gzip_and_rotated_files_add_up(tmp_path: Path) -> None:
    plain = write_sample(tmp_path / "a")
    packed = tmp_path / "b" / "mysql-slow.log.1.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(SAMPLE.encode()))
    parsed = files_from([plain, packed])
    assert [p.entries for p in parsed] == [7, 7]
    fact = files_fact(parsed)
    assert fact["statements"] == 14 and fact["corrupt_entries"] == 2
    assert [f["name"] for f in fact["files"]] == ["mysql-slow.log", "mysql-slow.log.1.gz"]
    assert digests_by_text(fact)["administrator command: Quit"]["count"] == 2


def test_garbage_and_cut_entries_are_counted_and_skipped(tmp_path: Path) -> None:
    text = ("SELECT 'half of an entry the rotation cut' FROM t;\nmore of it\n"  # no header: orphan lines
            "# User@Host: a[a] @ localhost []\n# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\n"
            "SET timestamp=1714557599;\n"  # a header and then another entry: no statement
            "# Time: 2024-05-01T10:00:00Z\n# User@Host: a[a] @ localhost []\n"
            "# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\nSET timestamp=1714557600;\n"
            "SELECT 1;\n"
            "# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\nSET timestamp=1714557601;\n"
            "/*!40101 SET NAMES utf8 */;\n")  # nothing but a comment: no safe fingerprint
    parsed = read_slow_log(write_sample(tmp_path, text))
    fact = files_fact([parsed])
    assert fact["corrupt_entries"] == 2
    assert fact["statements"] == 2 and fact["unparsed"] == 1 and fact["fingerprints"] == 1
    assert "half of an entry" not in json.dumps(fact)


def test_not_a_slow_log_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SlowLogError, match=r"no such file — check the path"):
        check_slow_log(tmp_path / "missing.log")
    with pytest.raises(SlowLogError, match=r"is a directory — pass the log file itself"):
        check_slow_log(tmp_path)
    general = write_sample(tmp_path, "/usr/sbin/mariadbd, Version: 10.11.6-MariaDB (Debian 12). started with:\n"
                           "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument\n"
                           "240501 10:00:00\t    4 Connect\troot@localhost on  using Socket\n", "general.log")
    with pytest.raises(SlowLogError, match=r"does not look like a MySQL/MariaDB slow query log .*slow_query_log_file"):
        check_slow_log(general)
    xz = tmp_path / "slow.log.xz"
    xz.write_bytes(b"\xfd7zXZ\x00" + b"\x00" * 40)
    with pytest.raises(SlowLogError, match=r"xz-compressed — decompress it first \(unxz "):
        check_slow_log(xz)
    # an empty log, or one the server has just opened, is a slow log with no statement
    check_slow_log(write_sample(tmp_path, "", "empty.log"))
    banner_only = write_sample(tmp_path, SAMPLE.split("# Time:", 1)[0], "banner.log")
    assert files_fact([read_slow_log(banner_only)])["statements"] == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: permission denied cannot happen")
def test_permission_denied(tmp_path: Path) -> None:
    path = write_sample(tmp_path)
    path.chmod(0)
    with pytest.raises(SlowLogError, match=r"permission denied — run as a user who can read it"):
        check_slow_log(path)


# ---------------------------------------------------------------- fingerprints


LITERAL_FORMS = [
    "SELECT * FROM t WHERE a = 'planted-secret-4242'",
    "SELECT * FROM t WHERE a = 'it\\'s planted-secret-4242'",
    "SELECT * FROM t WHERE a = 'doubled '' planted-secret-4242'",
    'SELECT * FROM t WHERE a = "planted-secret-4242"',
    "SELECT * FROM t WHERE a = _utf8mb4'planted-secret-4242' COLLATE utf8mb4_bin",
    "SELECT * FROM t WHERE a = N'planted-secret-4242'",
    "SELECT * FROM t WHERE a = x'DEADBEEF' OR b = X'CAFEBABE'",
    "SELECT * FROM t WHERE a = 0xDEADBEEF",
    "SELECT * FROM t WHERE a = b'0101' + 987654321",
    "SELECT * FROM t WHERE a = 424242.5 OR b = -987654321 OR c = 9.87654321e8",
    "SELECT /* planted-comment */ * FROM t",
    "SELECT * FROM t -- planted-comment\nWHERE a = 1",
    "SELECT * FROM t # planted-comment\nWHERE a = 1",
    "SELECT * FROM t WHERE a IN (987654321, 'planted-secret-4242')",
    "INSERT INTO t VALUES (987654321, 'planted-secret-4242'), (1, 2)",
    "UPDATE t SET a = 'planted-secret-4242' WHERE b = 987654321 LIMIT 10",
    "CALL refresh_orders('planted-secret-4242', 987654321)",  # sqlglot keeps CALL as text: the regex pass
    "LOAD DATA INFILE '/tmp/planted-secret-4242.csv' INTO TABLE t",  # sqlglot cannot parse it
    "SELECT * FROM t WHERE a = 'never closed planted-secret-4242",
    "GRANT SELECT ON *.* TO 'planted-secret-4242'@'%' IDENTIFIED BY 'DEADBEEF'",
    "CREATE DEFINER=`planted-secret-4242`@`%` VIEW v AS SELECT 987654321",
]


@pytest.mark.parametrize("use_sqlglot", [True, False], ids=["sqlglot", "regex-only"])
@pytest.mark.parametrize("sql", LITERAL_FORMS)
def test_every_literal_form_is_removed(sql: str, use_sqlglot: bool) -> None:
    found = Fingerprinter(use_sqlglot=use_sqlglot)(sql)
    assert found is not None
    assert_no_planted(found.text, found.text)
    assert is_scrubbed(found.text)
    cut = Fingerprinter(use_sqlglot=use_sqlglot)(sql, truncated=True)  # a prefix of a long statement
    assert cut is not None
    assert_no_planted(cut.text, cut.text)


def test_fingerprints_normalise_case_layout_and_lists() -> None:
    fingerprinter = Fingerprinter()

    def fingerprint(sql: str) -> Fingerprint:
        found = fingerprinter(sql)
        assert found is not None, sql
        return found

    assert fingerprinter("/* only a comment */") is None
    assert fingerprint("select a,b from t where x in (1,2,3) and y = 'q'").text == \
        fingerprint("SELECT a, b\n  FROM t\n WHERE x IN (9) AND y = 'r';").text == \
        "SELECT `a`, `b` FROM `t` WHERE `x` IN (?) AND `y` = ?"
    assert fingerprint("SELECT @@version, @v").text == "SELECT @@version, @v"  # variables stay bare
    assert fingerprint("CALL p(1)").method == "fallback"


def test_fingerprint_cap_counts_the_rest_as_other() -> None:
    digest = SlowLogDigest(max_fingerprints=3)
    for table in range(10):
        for _ in range(2):
            digest.add(SlowQuery(f"SELECT * FROM t{table} WHERE id = {table}", query_time=1.0))
    fact = digest.as_fact()
    assert fact["fingerprints"] == 3 and len(fact["digests"]) == 3
    assert fact["statements"] == 20
    assert fact["other"] == {"statements": 14, "total_seconds": 14.0}
    assert sum(d["count"] for d in fact["digests"]) == 6
    assert MAX_FINGERPRINTS == 10_000


def test_a_50_mb_log_streams_in_bounded_memory(tmp_path: Path) -> None:
    """The parser runs in a child process whose peak memory is compared with a small log's."""
    big = tmp_path / "big.log"
    columns = ", ".join(f"col_{c}" for c in range(40))
    with big.open("w", encoding="utf-8") as out:
        entry = 0
        while out.tell() < 50_000_000:
            entry += 1
            ids = ",".join(str(entry * 7 + k) for k in range(30))
            out.write(f"# Time: 2024-05-01T10:00:00.000000Z\n# User@Host: app[app] @ web1 [10.0.0.5]  Id: {entry}\n"
                      f"# Query_time: 0.{entry % 1000:06d}  Lock_time: 0.000001 Rows_sent: 1  Rows_examined: {entry}\n"
                      f"SET timestamp={1714557600 + entry};\nSELECT {columns}\n  FROM shop.t_{entry % 400}\n"
                      f" WHERE note = 'planted-secret-{entry}'\n   AND id IN ({ids});\n")
    small = write_sample(tmp_path / "small")
    child = textwrap.dedent("""\
        import json, resource, sys
        from collectors.slowlog import SlowLogDigest
        from prechecks.slowlog import read_slow_log
        digest = SlowLogDigest(max_fingerprints=100)
        parsed = read_slow_log(sys.argv[1], digest=digest)
        fact = digest.as_fact()
        print(json.dumps({"peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "entries": parsed.entries,
                          "fact": fact}))
        """)

    def run(path: Path) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-c", child, str(path)], capture_output=True, text=True, check=True,
                              cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=240)
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    baseline, measured = run(small), run(big)
    assert measured["entries"] == entry
    fact = measured["fact"]
    assert fact["fingerprints"] == 100 and fact["statements"] == entry
    assert fact["other"]["statements"] > 0  # the fingerprints beyond the cap: counted, not kept
    assert fact["corrupt_entries"] == 0 and fact["unparsed"] == 0
    grown_mb = (measured["peak_kb"] - baseline["peak_kb"]) / 1024
    assert grown_mb < 40, f"parsing a 50 MB log took {grown_mb:.0f} MB more than a small one"
    assert_no_planted(json.dumps(fact), "the big log's digest")


# ---------------------------------------------------------------- real servers: the file


def _run_planted_statements(server: MariaDBServer) -> None:
    server.admin("CREATE DATABASE heron_shop")
    server.admin("CREATE TABLE heron_shop.heron_orders (id INT PRIMARY KEY, note VARCHAR(64), qty INT, "
                 "blob_col VARBINARY(8))")
    client = server.connect(database="heron_shop")
    cursor = client.cursor()
    try:
        cursor.execute("INSERT INTO heron_orders VALUES (1, 'planted-secret-4242', 987654321, x'DEADBEEF'), "
                       "(2, 'b', 3, 0xCAFEBABE), (3, 'c', 424242, NULL)")
        for _ in range(3):
            cursor.execute("SELECT /* planted-comment */ id FROM heron_orders "
                           "WHERE note = 'planted-secret-4242' AND qty IN (1, 2, 3)")
            cursor.fetchall()
        cursor.execute("SELECT id\nFROM heron_orders\nWHERE qty = 987654321 OR blob_col = x'DEADBEEF'")
        cursor.fetchall()
        cursor.execute("UPDATE heron_orders SET note = 'planted-secret-4242' WHERE qty > 424242.5")
    finally:
        cursor.close()
        client.close()


def _cli(args: list[str], tmp: Path, password: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MYSQL_PWD", "MYSQL_HOME")}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), PYTHONPATH=str(REPO), MYSQL_PWD=password, LC_ALL="C.UTF-8")
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=180, check=False, cwd=tmp)


def _archive(result: subprocess.CompletedProcess[str]) -> Path:
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _assert_archive_clean(files: Mapping[str, bytes]) -> None:
    for name, data in files.items():
        assert_no_planted(data.decode("utf-8", "replace"), name)
        assert "planted" not in name


@pytest.fixture
def logged_server(mariadb_factory: MariaDBFactory, tmp_path: Path) -> tuple[MariaDBServer, Path]:
    """A server that logs every statement to a slow log file and to mysql.slow_log, planted literals sent."""
    log = tmp_path / "logs" / "mariadb-slow.log"
    log.parent.mkdir()
    server = mariadb_factory(extra_options={"slow-query-log": "ON", "long-query-time": "0",
                                            "slow-query-log-file": str(log), "log-output": "FILE,TABLE"})
    _run_planted_statements(server)
    return server, log


def test_cli_slow_log_end_to_end(logged_server: tuple[MariaDBServer, Path], tmp_path: Path) -> None:
    server, log = logged_server
    assert "planted-secret-4242" in log.read_text()  # the log does hold them
    out = tmp_path / "out"
    out.mkdir()
    result = _cli([*server_args(server), "--sleep=0.2", "--slow-log", str(log), "-o", str(out)], tmp_path,
                  server.root_password)
    archive = _archive(result)
    assert "only this digest goes into the archive, not the log" in result.stderr
    files = read_archive(archive)
    assert DIGEST_MD in files and DIGEST_JSON in files
    assert not any(name.startswith("attachments/") for name in files)  # the log itself is not in it
    document = archive_json(files, DIGEST_JSON)
    by_source = {s["source"]: s for s in document["sources"]}
    assert set(by_source) == {"files", "table"}
    for source in by_source.values():
        by_text = digests_by_text(source)
        planted_select = ("SELECT `id` FROM `heron_orders` WHERE `note` = ? AND `qty` IN (?)")
        assert by_text[planted_select]["count"] == 3, sorted(by_text)
        assert by_text[planted_select]["schemas"] == ["heron_shop"]
        assert "INSERT INTO `heron_orders` VALUES (?, ?, ?, ?)" in by_text
        assert source["statements"] >= 6 and source["fingerprints"] >= 5
    assert by_source["files"]["files"][0]["name"] == "mariadb-slow.log"
    report = next(data.decode() for name, data in files.items() if name.startswith("ps_report_"))
    assert "## Slow query log digest" in report and "Slow log files" in report
    facts = archive_json(files, "facts.json")
    assert facts["slow_log"]["files"]["statements"] == by_source["files"]["statements"]
    answers = {a["id"]: a for a in archive_json(files, "submission.json")["answers"]}
    slow = answers["performance.slow_log_attached"]
    assert (slow["value"], slow["source"], slow["confidence"]) == ("yes", "prefill:slow_log.files", "measured")
    manifest = archive_json(files, "manifest.json")
    assert {DIGEST_MD, DIGEST_JSON} <= {f["path"] for f in manifest["files"]}
    _assert_archive_clean(files)


def test_cli_slow_log_with_identifiers_redacted(logged_server: tuple[MariaDBServer, Path], tmp_path: Path) -> None:
    server, log = logged_server
    out = tmp_path / "out"
    out.mkdir()
    result = _cli([*server_args(server), "--sleep=0.2", "--slow-log", str(log), "--redact", "identifiers",
                   "-o", str(out)], tmp_path, server.root_password)
    files = read_archive(_archive(result))
    _assert_archive_clean(files)
    for name, data in files.items():
        text = data.decode("utf-8", "replace")
        assert "heron_orders" not in text and "heron_shop" not in text, name
    document = archive_json(files, DIGEST_JSON)
    fingerprints = [d["fingerprint"] for s in document["sources"] for d in s["digests"]]
    assert any("`table-" in f for f in fingerprints), fingerprints


def test_cli_slow_log_errors_are_one_line_before_connecting(tmp_path: Path) -> None:
    not_a_log = write_sample(tmp_path, "just some notes\n", "notes.txt")
    for path, expected in ((tmp_path / "nope.log", "no such file — check the path"),
                           (not_a_log, "does not look like a MySQL/MariaDB slow query log")):
        # an unreachable port: the check happens before any connection is tried
        result = _cli(["--host=127.0.0.1", "--port=1", "--user=x", "--slow-log", str(path), "-o", str(tmp_path)],
                      tmp_path, "pw")
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], result.stderr
        assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- real servers: the table


def _run(server: MariaDBServer, user: str = "root", password: str | None = None) -> Any:
    with open_session(spec_for(server, user=user, password=password)) as session:
        return Runner(session, [VARIABLES, SLOW_LOG_TABLE], {"sleep": 0.0}).run()


def test_slow_log_table_digest_has_no_literal(mariadb_factory: MariaDBFactory) -> None:
    server = mariadb_factory(extra_options={"slow-query-log": "ON", "long-query-time": "0", "log-output": "TABLE"})
    _run_planted_statements(server)
    result = _run(server)
    record = next(r for r in result.results if r.name == "slow_log_table")
    assert record.status == "ok", record.reason
    table = result.facts["slow_log"]["table"]
    assert table["read"] and table["newest_first"] and table["rows_read"] >= 6
    by_text = digests_by_text(table)
    assert by_text["SELECT `id` FROM `heron_orders` WHERE `note` = ? AND `qty` IN (?)"]["count"] == 3
    assert "UPDATE `heron_orders` SET `note` = ? WHERE `qty` > ?" in by_text
    assert_no_planted(json.dumps(result.facts, default=str), "facts")
    # the whole archive built from these facts
    inputs = archive_inputs(result, "2024_05_01_10_00_00", secrets=[server.root_password])
    _assert_archive_clean(build(derive(result.facts), inputs).files)

    # an account without SELECT on mysql.slow_log: skipped, with the GRANT that fixes it
    server.create_user("no_slow", "No-slow-pw-7")
    limited = _run(server, "no_slow", "No-slow-pw-7")
    record = next(r for r in limited.results if r.name == "slow_log_table")
    assert record.status == "skipped"
    assert "needs SELECT on mysql.slow_log" in record.reason
    assert record.remedy == "GRANT SELECT ON mysql.slow_log TO 'no_slow'@'%';"

    # log_output=FILE: nothing read, and the facts say why
    server.admin("SET GLOBAL log_output = 'FILE'")
    result = _run(server)
    record = next(r for r in result.results if r.name == "slow_log_table")
    assert record.status == "ok" and "log_output is FILE" in record.reason
    assert result.facts["slow_log"]["table"] == {
        "status": "not read: log_output is FILE (the slow log goes to a file: pass it with --slow-log FILE)",
        "read": False}


def test_table_state() -> None:
    assert table_state("TABLE", "ON") is None
    assert table_state("FILE,TABLE", "1") is None
    assert "log_output is NONE" in (table_state("NONE", "ON") or "")
    assert "slow_query_log is OFF" in (table_state("TABLE", "OFF") or "")


def test_full_run_on_a_default_server_says_why_the_table_is_not_read(mariadb: MariaDBServer) -> None:
    result = collect(spec_for(mariadb), RunOptions(sleep=0.1))
    table = result.facts["slow_log"]["table"]
    assert table["read"] is False and table["status"].startswith("not read: ")
    report = render_report(derive(result.facts))
    assert "## Slow query log digest" in report and "mysql.slow_log table | not read: " in report
