"""Hostile schema, table, column and view names (issue 13, findings 2 and 3), through a whole CLI run on
a real MariaDB: the DDL sample replays into another real MariaDB with the ``mariadb`` client and runs
nothing but the statements it should; the report has no line and no link a name made.

The names hold what ends a SQL comment or statement (newline, CR, ``*/``, backtick, ``#``, ``--``), a
client command (``\\!``), Markdown and HTML link syntax, a heading, and a right-to-left override.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from prechecks.escape import markdown, sql_comment, sql_comment_name, sql_identifier
from prechecks.readiness import DOCS_LINKS
from prechecks.report import OPTIONAL_SECTIONS, SECTIONS
from tests.helpers import read_archive, server_args
from tests.servers import MariaDBFactory, MariaDBServer
from tests.test_cli import FAST, Sandbox, archive_of

q = sql_identifier
MAIN = "ev`il\nDROP DATABASE victim;\n#x"  # the schema: a newline ends a "-- Database:" comment
SCHEMAS = (
    MAIN,
    "cr\rDROP DATABASE victim;\r-- x",
    "[x](http://evil.example/s)",
    "\u202eevil",  # RIGHT-TO-LEFT OVERRIDE
    "c*/ DROP DATABASE victim; /*x",
    "shop",  # a plain schema: a line break in one of its tables' names ends a report line in a table row
)
TABLES = (  # in MAIN, without a key: the readiness check unique_key lists every one
    "t2\n## Readiness: all checks passed",
    '<a href="http://evil.example/">x</a>',
    "b\\! touch pwned",  # the mariadb client's shell command, outside a quoted name
    "q`uote -- x # y",
    "[t](http://evil.example/t)",
    "## heading",
)
SEE = "s\n    see: https://evil.example/x"  # in shop: would be a docs line, a link on the Review page
COLUMNS = ("c\nDROP DATABASE victim;\n#", "[l](http://evil.example/c)")
VIEW = "v\n## Verdict: ready"
# what would be a statement, heading or docs line of its own if a line break in a name were kept
FORGED_STARTS = ("DROP DATABASE", "## Readiness: all", "## Verdict", "    see: https://evil", "## heading", "#x",
                 "-- x")


def make_hostile(server: MariaDBServer) -> None:
    """The hostile schemas, tables, columns and a view, created with properly quoted DDL."""
    columns = ", ".join(f"{q(c)} INT" for c in COLUMNS)
    statements = [f"CREATE DATABASE {q(s)}" for s in SCHEMAS]
    statements += [f"CREATE TABLE {q(MAIN)}.{q(t)} ({columns})" for t in TABLES]
    statements += [f"CREATE TABLE {q(s)}.{q('t')} (id INT PRIMARY KEY)" for s in SCHEMAS[1:]]
    statements.append(f"CREATE TABLE shop.{q(SEE)} ({columns})")
    statements.append(f"CREATE VIEW {q(MAIN)}.{q(VIEW)} AS SELECT {q(COLUMNS[0])} FROM {q(MAIN)}.{q(TABLES[0])}")
    server._execute(statements)


def user_objects(server: MariaDBServer) -> list[tuple[str, ...]]:
    """Every user schema, table (with its type) and column, as the server names them."""
    tables = server.admin("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES"
                          " WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')")
    columns = server.admin("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
                           " WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')")
    return sorted(tuple(str(v) for v in row) for row in [*tables, *columns])


def databases(server: MariaDBServer) -> list[str]:
    return sorted(str(row[0]) for row in server.admin("SHOW DATABASES"))


def collect_archive(source: MariaDBServer, box: Sandbox, *extra: str) -> tuple[str, dict[str, bytes]]:
    result = box.run([*server_args(source), *FAST, "-o", str(box.out), *extra], password=source.root_password)
    files = read_archive(archive_of(result))
    ts = next(n for n in files if n.startswith("ps_report_"))[len("ps_report_"):-len(".md")]
    records = {r["name"]: r for r in json.loads(files["manifest.json"])["collectors"]}
    for name in ("schema_ddl", "table_sizes", "schema_inventory", "inventory"):
        assert records[name]["status"] == "ok", records[name]  # every name was read
    return ts, files


def test_the_ddl_sample_replays_harmlessly(mariadb_factory: MariaDBFactory, tmp_path: Path) -> None:
    source = mariadb_factory()
    make_hostile(source)
    ts, files = collect_archive(source, Sandbox(tmp_path / "run"))
    dump = files[f"ps_samples_{ts}/mysqldump"].decode()

    # each schema's comment line holds its name, escaped, and reads back to it
    commented = [line[len("-- Database: "):] for line in dump.splitlines() if line.startswith("-- Database: ")]
    assert sorted(sql_comment_name(c) for c in commented) == sorted(q(s) for s in SCHEMAS)
    assert f"-- Database: {sql_comment(q(MAIN))}\n" in dump

    # a second server with a database the name would drop, and the schemas to fill
    target = mariadb_factory()
    target._execute(["CREATE DATABASE victim", "CREATE TABLE victim.keep (id INT PRIMARY KEY)",
                     *(f"CREATE DATABASE {q(s)}" for s in SCHEMAS)])
    before = databases(target)
    sample = tmp_path / "mysqldump.sql"
    sample.write_text(dump)
    replay_dir = tmp_path / "replay"  # the client's working directory: "\! touch pwned" would write here
    replay_dir.mkdir()
    with sample.open("rb") as stdin:
        replay = subprocess.run(["mariadb", f"--defaults-file={target.client_defaults_file}", "--batch"],
                                stdin=stdin, capture_output=True, timeout=120, check=False, cwd=replay_dir)
    assert replay.returncode == 0, replay.stderr.decode(errors="replace")
    assert replay.stderr == b""
    assert databases(target) == before  # victim is still there, and nothing was created or dropped
    assert target.admin("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'victim'") == [(1,)]
    # every table, view and column came across under its own name, and only those
    kept = [("victim", "keep", "BASE TABLE"), ("victim", "keep", "id")]
    assert user_objects(target) == sorted([*user_objects(source), *kept])
    assert sorted(replay_dir.iterdir()) == []  # no shell command ran


def test_the_report_has_no_forged_line_or_link(mariadb_factory: MariaDBFactory, tmp_path: Path) -> None:
    source = mariadb_factory()
    make_hostile(source)
    ts, files = collect_archive(source, Sandbox(tmp_path / "run"))
    report = files[f"ps_report_{ts}.md"].decode()
    facts = json.loads(files["facts.json"])
    lines = report.split("\n")

    # the headings are the renderer's own, in its order, and nothing else starts with "#"
    titles = [title for title, _ in SECTIONS] + [t for t, key, _ in OPTIONAL_SECTIONS if key in facts] + ["The End"]
    headings = [line for line in lines if line.startswith("#")]
    assert len(headings) == len(titles), headings
    assert all(h.startswith(f"## {t}") for h, t in zip(headings, titles, strict=True)), headings
    for start in FORGED_STARTS:
        assert not any(line.lstrip(" ").startswith(start.lstrip(" ")) for line in lines), start
    # a "see:" line is a docs page of ours
    assert {line.split("see: ", 1)[1] for line in lines if line.startswith("    see: ")} <= DOCS_LINKS
    # no link or tag a renderer could make from a name: the names are there, escaped
    for unescaped in (r"(?<!\\)\]\(", r"(?<!\\)<a ", r"https?://evil", "\u202e", "\r"):
        assert re.search(unescaped, report) is None, unescaped
    for schema, table in [*((MAIN, t) for t in TABLES), ("shop", SEE)]:  # Table Information, readiness objects
        assert f"{markdown(schema)}.{markdown(table)}" in report, table
    assert markdown("\u202eevil") == r"\<U+202E\>evil" and r"\<U+202E\>evil" in report  # shown, not obeyed

    # readiness.json names every object exactly
    readiness = json.loads(files["readiness.json"])
    keyless = next(c for c in readiness["checks"] if c["id"] == "unique_key")
    assert sorted(keyless["objects"]) == sorted([*(f"{MAIN}.{t}" for t in TABLES), f"shop.{SEE}"])


def test_redacted_identifiers_leave_no_real_name_in_the_ddl_sample(mariadb_factory: MariaDBFactory,
                                                                  tmp_path: Path) -> None:
    source = mariadb_factory()
    make_hostile(source)
    ts, files = collect_archive(source, Sandbox(tmp_path / "run"), "--redact", "identifiers")
    dump = files[f"ps_samples_{ts}/mysqldump"].decode()
    commented = [line for line in dump.splitlines() if line.startswith("-- Database: ")]
    assert len(commented) == len(SCHEMAS)
    assert all(re.fullmatch(r"-- Database: `schema-\d{3}`", line) for line in commented), commented
    for name in (*SCHEMAS[:-1], *TABLES, SEE, *COLUMNS, VIEW):
        for written in (name, sql_comment(name), sql_comment(q(name))):
            assert written not in dump, name
    for line in dump.splitlines():
        assert not line.startswith(FORGED_STARTS), line
