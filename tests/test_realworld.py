"""The real CLI against a real MariaDB loaded with real-world schemas (cacti, MediaWiki, phpMyAdmin).

Every truth is computed here with our own SQL, independently of the collectors, and compared with
what the extracted archive says. The schemas come from Debian packages (tests/realworld.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prechecks.report import SECTIONS
from tests import realworld, servers
from tests.helpers import run_cli, server_args
from tests.servers import MariaDBServer

SYSTEM = ("mysql", "information_schema", "performance_schema", "sys")
NOT_SYSTEM = "NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')"
PLANTED_LITERAL = "planted-literal-9931"
PLANTED_COMMENT = "planted-comment-5517"
PLANTED_SECONDS = 8  # outlives the CLI's processlist read by a wide margin


@pytest.fixture(scope="module")
def realworld_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    """A MariaDB with cacti (in `cacti`), MediaWiki (in `wiki`) and phpMyAdmin's schema loaded."""
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    server = servers.start_mariadb(tmp_path_factory.mktemp("realworld"))
    try:
        realworld.load_schemas(server)
        yield server
    finally:
        servers.discard(server)


# --------------------------------------------------------------------------- one CLI run


@dataclass
class Run:
    archive: Path
    root: Path  # the extracted archive
    files: dict[str, bytes]  # relative path -> bytes, every regular file
    facts: dict[str, Any]
    manifest: dict[str, Any]
    report: str
    samples_dir: Path


class _PlantedQuery(threading.Thread):
    """Another client running a slow query whose text must never reach the archive."""

    def __init__(self, server: MariaDBServer, sql: str) -> None:
        super().__init__(daemon=True)
        self.server, self.sql = server, sql
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            conn = self.server.connect(database="cacti")
            try:
                with conn.cursor() as cur:
                    cur.execute(self.sql)
                    cur.fetchall()
            finally:
                conn.close()
        except BaseException as exc:  # reported by the fixture
            self.error = exc


def _wait_running(server: MariaDBServer, needles: list[str], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = [str(r[0]) for r in server.admin("SELECT INFO FROM information_schema.PROCESSLIST"
                                                " WHERE INFO IS NOT NULL")]
        if all(any(n in i for i in info) for n in needles):
            return
        time.sleep(0.05)
    raise AssertionError(f"planted queries not seen in the processlist: {needles}")


def _extract(archive: Path, dest: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(dest, filter="data")
    return {p.relative_to(dest).as_posix(): p.read_bytes() for p in sorted(dest.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def run(realworld_server: MariaDBServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    server = realworld_server
    planted = [
        _PlantedQuery(server, f"SELECT SLEEP({PLANTED_SECONDS}), '{PLANTED_LITERAL}'"),
        _PlantedQuery(server, f"SELECT /* {PLANTED_COMMENT} */ SLEEP({PLANTED_SECONDS})"),
    ]
    for thread in planted:
        thread.start()
    _wait_running(server, [PLANTED_LITERAL, PLANTED_COMMENT])
    out = tmp_path_factory.mktemp("realworld-out")
    result = run_cli([*server_args(server), "--sleep=1", "--output", str(out)], password=server.root_password)
    assert result.returncode == 0, result.stderr
    for thread in planted:  # the planted queries were still running when the CLI finished
        assert thread.is_alive(), "a planted query ended before the CLI did; raise PLANTED_SECONDS"
    archive = Path(result.stdout.strip().splitlines()[-1])
    root = tmp_path_factory.mktemp("realworld-extracted")
    files = _extract(archive, root)
    report_name = next(n for n in files if re.fullmatch(r"ps_report_[0-9_]+\.md", n))
    samples = next(p for p in root.iterdir() if p.is_dir() and p.name.startswith("ps_samples_"))
    for thread in planted:
        thread.join(PLANTED_SECONDS + 10)
        assert thread.error is None, thread.error
    return Run(archive=archive, root=root, files=files, facts=json.loads(files["facts.json"]),
               manifest=json.loads(files["manifest.json"]), report=files[report_name].decode(),
               samples_dir=samples)


# --------------------------------------------------------------------------- report parsing


def sections(report: str) -> dict[str, list[str]]:
    """'## Title' -> the lines under it (up to the next '## ')."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in report.splitlines():
        if line.startswith("## "):
            current = out.setdefault(line[3:], [])
        elif current is not None:
            current.append(line)
    return out


def section(report: str, prefix: str) -> tuple[str, list[str]]:
    found = [(title, body) for title, body in sections(report).items() if title.startswith(prefix)]
    assert len(found) == 1, f"section {prefix!r}: {[t for t, _ in found]}"
    return found[0]


def name_values(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        match = re.match(r"^\s*(.+?) \| (.*)$", line)
        if match:
            out[match.group(1).strip()] = match.group(2)
    return out


# --------------------------------------------------------------------------- the truth, by our own SQL


def one(server: MariaDBServer, sql: str) -> int:
    return int(server.admin(sql)[0][0])


def technologies_truth(server: MariaDBServer) -> dict[str, bool]:
    """What Noteworthy Technologies must say about the user schemas, asked differently from the collector."""
    spatial_columns = one(server, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA "
                          f"{NOT_SYSTEM} AND COLUMN_TYPE REGEXP '^(geometry|point|linestring|polygon|multipoint|"
                          "multilinestring|multipolygon|geometrycollection|geomcollection)'")
    spatial_indexes = one(server, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA "
                          f"{NOT_SYSTEM} AND INDEX_TYPE = 'SPATIAL'")
    return {
        "Full Text Indexing": one(server, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                                  f"TABLE_SCHEMA {NOT_SYSTEM} AND INDEX_TYPE = 'FULLTEXT'") > 0,
        "Geospatial Types": spatial_columns + spatial_indexes > 0,
        "Foreign Keys": one(server, "SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS WHERE "
                            f"TABLE_SCHEMA {NOT_SYSTEM} AND CONSTRAINT_TYPE = 'FOREIGN KEY'") > 0,
        "Partitioning": one(server, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                            f"TABLE_SCHEMA {NOT_SYSTEM} AND CREATE_OPTIONS LIKE '%partitioned%'") > 0,
        "InnoDB Compression": one(server, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                                  f"TABLE_SCHEMA {NOT_SYSTEM} AND TABLE_TYPE = 'BASE TABLE' AND "
                                  "(ROW_FORMAT = 'Compressed' OR CREATE_OPTIONS LIKE '%key_block_size%'"
                                  " OR CREATE_OPTIONS LIKE '%page_compressed%')") > 0,
    }


def test_realworld_schemas_are_loaded(realworld_server: MariaDBServer) -> None:
    counts = dict(realworld_server.admin(
        "SELECT TABLE_SCHEMA, COUNT(*) FROM information_schema.TABLES"
        f" WHERE TABLE_SCHEMA {NOT_SYSTEM} GROUP BY TABLE_SCHEMA"))
    assert set(counts) == set(realworld.DATABASES)
    assert all(int(n) > 10 for n in counts.values()), counts


def test_noteworthy_technologies_match_information_schema(realworld_server: MariaDBServer, run: Run) -> None:
    truth = technologies_truth(realworld_server)
    _, body = section(run.report, "Noteworthy Technologies")
    printed = name_values(body)
    for label, value in truth.items():
        assert printed[label] == ("Yes" if value else "No"), (label, printed[label], value)
    # the original ps-prechecks said Yes to both on these schemas: it grepped the DDL
    if not truth["InnoDB Compression"]:
        assert printed["InnoDB Compression"] == "No"
    if not truth["Geospatial Types"]:
        assert printed["Geospatial Types"] == "No"
    # facts.json agrees with the report
    technologies = run.facts["technologies"]
    keys = {"Full Text Indexing": "fulltext", "Geospatial Types": "geospatial", "Foreign Keys": "foreign_keys",
            "Partitioning": "partitioning", "InnoDB Compression": "compression"}
    assert {label: technologies[key]["value"] for label, key in keys.items()} == truth


def test_schemas_match_information_schema(realworld_server: MariaDBServer, run: Run) -> None:
    server = realworld_server
    expected: dict[str, dict[str, Any]] = {}
    for schema, table_type, engine, count in server.admin(
        "SELECT TABLE_SCHEMA, TABLE_TYPE, ENGINE, COUNT(*) FROM information_schema.TABLES"
        f" WHERE TABLE_SCHEMA {NOT_SYSTEM} GROUP BY TABLE_SCHEMA, TABLE_TYPE, ENGINE"
    ):
        entry = expected.setdefault(schema, {"tables": 0, "views": 0, "routines": 0, "triggers": 0,
                                             "events": 0, "engines": Counter()})
        if table_type == "VIEW":
            entry["views"] += int(count)
        else:
            entry["tables"] += int(count)
            entry["engines"][engine] += int(count)
    for key, sql in (
        ("routines", "SELECT ROUTINE_SCHEMA, COUNT(*) FROM information_schema.ROUTINES GROUP BY 1"),
        ("triggers", "SELECT TRIGGER_SCHEMA, COUNT(*) FROM information_schema.TRIGGERS GROUP BY 1"),
        ("events", "SELECT EVENT_SCHEMA, COUNT(*) FROM information_schema.EVENTS GROUP BY 1"),
    ):
        for schema, count in server.admin(sql):
            if schema in expected:
                expected[schema][key] = int(count)
    got = {s["name"]: s for s in run.facts["schemas"]}
    assert set(got) == set(expected) == set(realworld.DATABASES)
    for name, entry in expected.items():
        for key in ("tables", "views", "routines", "triggers", "events"):
            assert got[name][key] == entry[key], (name, key)
        assert got[name]["engines"] == dict(entry["engines"]), name
    # the real schemas do exercise more than one engine and a routine
    assert got["cacti"]["routines"] >= 1
    assert {"InnoDB", "MEMORY"} <= set(got["cacti"]["engines"])
    assert "MyISAM" in got["wiki"]["engines"]

    base_tables = {
        (str(s), str(n)): (str(e), str(r or ""), str(o or ""))
        for s, n, e, r, o in server.admin(
            "SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE, ROW_FORMAT, CREATE_OPTIONS FROM information_schema.TABLES"
            f" WHERE TABLE_SCHEMA {NOT_SYSTEM} AND TABLE_TYPE = 'BASE TABLE'")
    }
    tables = {(t["schema"], t["name"]): (t["engine"], t["row_format"], t["create_options"])
              for t in run.facts["tables"]}
    assert len(run.facts["tables"]) == len(tables)  # no duplicates
    assert tables == base_tables


def test_no_query_text_reaches_the_archive(realworld_server: MariaDBServer, run: Run) -> None:
    needles = [PLANTED_LITERAL.encode(), PLANTED_COMMENT.encode(), b"SLEEP(",
               realworld_server.root_password.encode()]
    for name, data in run.files.items():
        for needle in needles:
            assert needle not in data, f"{needle!r} found in {name}"
    # the planted sessions were seen, aggregated: two cacti sessions executing a query
    groups = run.facts["processlist"]["groups"]
    db = {g["value"]: g for g in groups["db"]}
    assert db["cacti"]["count"] >= 2
    assert db["cacti"]["working"] >= 2
    _, body = section(run.report, "Processlist")
    assert any(re.match(r"\s+cacti\s+2\s+2\s", line) for line in body), body


def test_manifest_lists_every_file_and_collector(run: Run) -> None:
    manifest = run.manifest
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(run.files) - {"manifest.json"}
    for path, entry in listed.items():
        data = run.files[path]
        assert entry["size"] == len(data), path
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path
    collectors = manifest["collectors"]
    assert collectors, "no collectors recorded"
    assert [c["name"] for c in collectors] == [c["name"] for c in run.facts["collection"]["collectors"]]
    for record in collectors:
        assert record["status"] in ("ok", "skipped", "failed"), record
        assert isinstance(record["reason"], str), record
        if record["status"] != "ok":
            assert record["reason"].strip(), record
    assert isinstance(manifest["statements"]["longest_seconds"], int | float)


def test_report_has_every_section_and_says_why_when_empty(run: Run) -> None:
    found = sections(run.report)
    titles = list(found)
    for fallback, _ in SECTIONS:
        assert any(t.startswith(fallback) for t in titles), f"missing section {fallback!r}"
    assert titles[-1] == "The End"
    for title, body in found.items():
        if title == "The End":
            continue
        content = [line for line in body if line.strip()]
        assert content, f"section {title!r} is empty"
        # a section that lost its data must say so with a reason, not print a bare dash or nothing
        for line in content:
            if "Not collected" in line:
                assert re.search(r"Not collected: \S.*\S", line), (title, line)
    # the one collector skipped here (the server reads no option file) is explained in both places
    skipped = {c["name"]: c["reason"] for c in run.manifest["collectors"] if c["status"] != "ok"}
    _, collection = section(run.report, "Collection")
    for name, reason in skipped.items():
        assert any(name in line and reason in line for line in collection), (name, collection)


# --------------------------------------------------------------------------- --read-samples


# Lines that legitimately differ when the report is re-rendered from the samples directory, which
# holds what pt-mysql-summary's layout holds and nothing more: no CURRENT_USER(), no NOW(), no
# connection source, no collected_at, no platform evidence.
READ_SAMPLES_DIFFERS = {"User", "Time", "Started", "Cloud Platform"}


def test_read_samples_renders_the_same_sections(run: Run) -> None:
    result = run_cli(["--read-samples", str(run.samples_dir)])
    assert result.returncode == 0, result.stderr
    again = result.stdout
    for prefix in ("Noteworthy Variables", "Processlist"):
        assert section(again, prefix) == section(run.report, prefix), prefix
    # Status Counters: the samples keep both SHOW GLOBAL STATUS samples and the measured interval
    # (an internal:: line of mysql-variables, as pt-mysql-summary keeps its own), so all is equal
    assert section(again, "Status Counters") == section(run.report, "Status Counters")
    # Report On Port: same title and lines, except those built from what samples do not keep
    title, body = section(run.report, "Report On Port")
    title2, body2 = section(again, "Report On Port")
    assert title2 == title
    original, rendered = name_values(body), name_values(body2)
    assert list(original) == list(rendered)
    differing = {k for k in original if original[k] != rendered[k]}
    assert differing <= READ_SAMPLES_DIFFERS, {k: (original[k], rendered[k]) for k in differing}
    # uptime survives (mysql-status holds Uptime): the "(up ...)" part of Started is equal
    up = [re.findall(r"\(up [^)]*\)", text) for text in (original["Started"], rendered["Started"])]
    assert up[0] and up[0] == up[1], up

