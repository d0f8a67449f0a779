"""Our schema inventory against pt-mysql-summary's Schema section and information_schema.

One real MariaDB holds the real-world schemas (cacti, MediaWiki as `wiki`, phpMyAdmin; see
tests/realworld.py) and `planted`, a small schema of ours with what those three lack (views,
procedures, functions, triggers, foreign keys, partitions, a system-versioned table, a sequence,
MEMORY HASH indexes, FULLTEXT, SPATIAL, JSON) and a table comment that mentions FOREIGN KEY,
FULLTEXT KEY and PARTITION BY without having any.

pt-mysql-summary --all-databases runs `mysqldump --no-data` and counts with awk over the DDL text
(format_overall_db_stats); we read information_schema (collectors/schema.py, collectors/inventory.py).
For every user database, each figure pt prints must equal ours, and ours must equal information_schema
counted here independently. Where pt counts differently, the exact difference is asserted with the
reason (which side is right, checked against information_schema).

Type spellings, ours -> pt's (pt takes the word after the column name up to a space, comma or
parenthesis, so `int(10) unsigned` -> `int`; information_schema's DATA_TYPE is that same word):
  - every column type is spelled the same, except `json`: MariaDB's JSON is LONGTEXT with an automatic
    CHECK (json_valid(col)); we count it as `json`, its DDL (and so pt) says `longtext`.
  - index types: ours are information_schema.STATISTICS.INDEX_TYPE (BTREE, HASH, FULLTEXT, SPATIAL,
    one per index); pt labels every DDL line containing `KEY` by the words on it (SPATIAL, FULLTEXT,
    USING RTREE, USING HASH, else BTREE): see pt_index_kind.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from prechecks.collection import RunOptions, collect
from tests import realworld, servers
from tests.helpers import spec_for
from tests.servers import MariaDBServer

PT = "pt-mysql-summary"
PT_MISSING = "pt-mysql-summary not found: apt-get install percona-toolkit (scripts/test installs it)"
PLANTED = "planted"
USER_DATABASES = (*realworld.DATABASES, PLANTED)
BASE_TYPES = "('BASE TABLE', 'SYSTEM VERSIONED')"
# ours -> pt's spelling of a column type (see the module docstring)
COLUMN_TYPE_TO_PT = {"json": "longtext"}
COMPARED: list[str] = []
DIFFERENCES: list[str] = []  # where pt disagrees with information_schema (and so with us)

PLANTED_SQL = """
CREATE TABLE parent (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  title VARCHAR(200) NOT NULL,
  body TEXT,
  doc JSON,
  FULLTEXT KEY ft_body (body)
) ENGINE=InnoDB COMMENT='no FOREIGN KEY, no FULLTEXT KEY and no PARTITION BY here';
CREATE TABLE child (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  parent_id INT UNSIGNED NOT NULL,
  amount DECIMAL(10,2) NOT NULL DEFAULT 0,
  CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE
) ENGINE=InnoDB;
CREATE TABLE place (id INT NOT NULL PRIMARY KEY, loc POINT NOT NULL, SPATIAL KEY sp_loc (loc)) ENGINE=InnoDB;
CREATE TABLE cache_implicit (k CHAR(32) NOT NULL, v VARCHAR(100), PRIMARY KEY (k), KEY kv (v)) ENGINE=MEMORY;
CREATE TABLE cache_explicit (k CHAR(32) NOT NULL, KEY kh (k) USING HASH, KEY kb (k) USING BTREE) ENGINE=MEMORY;
CREATE TABLE by_year (id BIGINT NOT NULL, created DATE NOT NULL, PRIMARY KEY (id, created)) ENGINE=InnoDB
  PARTITION BY RANGE (YEAR(created))
  (PARTITION p2023 VALUES LESS THAN (2024), PARTITION pmax VALUES LESS THAN MAXVALUE);
CREATE TABLE by_key (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB PARTITION BY KEY (id) PARTITIONS 2;
CREATE TABLE audit_versioned (id INT NOT NULL PRIMARY KEY, note VARCHAR(50)) ENGINE=InnoDB WITH SYSTEM VERSIONING;
CREATE TABLE legacy (id INT NOT NULL, blobby BLOB, UNIQUE KEY uk_blob (blobby)) ENGINE=MyISAM;
CREATE SEQUENCE seq_orders;
CREATE VIEW v_parent AS SELECT id, title FROM parent;
CREATE VIEW v_child_total AS SELECT parent_id, SUM(amount) AS total FROM child GROUP BY parent_id;
DELIMITER //
CREATE PROCEDURE p_touch(IN pid INT) BEGIN UPDATE parent SET title = title WHERE id = pid; END//
CREATE FUNCTION f_double(x INT) RETURNS INT DETERMINISTIC RETURN x * 2//
CREATE TRIGGER trg_child_bi BEFORE INSERT ON child FOR EACH ROW SET NEW.amount = GREATEST(NEW.amount, 0)//
CREATE EVENT ev_purge ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM child WHERE amount < 0//
DELIMITER ;
"""


def compared(name: str) -> None:
    if name not in COMPARED:
        COMPARED.append(name)


def differs(note: str) -> None:
    if note not in DIFFERENCES:
        DIFFERENCES.append(note)


@pytest.fixture(scope="module", autouse=True)
def _print_compared() -> Iterator[None]:
    yield
    print("\nCOMPARED with pt-mysql-summary's Schema section and information_schema:", ", ".join(COMPARED))
    print("pt-mysql-summary differs from information_schema (and us):\n  " + "\n  ".join(DIFFERENCES))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    if shutil.which(PT) is None:
        pytest.fail(PT_MISSING, pytrace=False)
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    base = tmp_path_factory.mktemp("schema-vs-pt")
    srv = servers.start_mariadb(base)
    try:
        realworld.load_schemas(srv)
        srv.admin(f"CREATE DATABASE `{PLANTED}`")
        sql = base / "planted.sql"
        sql.write_text(PLANTED_SQL)
        srv.load_sql_file(sql, PLANTED)
        yield srv
    finally:
        servers.discard(srv)


# --------------------------------------------------------------------------- pt's Schema section


@dataclass
class PtSchema:
    objects: dict[str, dict[str, int]]  # db -> {"Tables": n, "Views": n, "SPs", "Trigs", "Funcs", "FKs", "Partn"}
    engines: dict[str, dict[str, int]]  # db -> engine -> tables
    indexes: dict[str, dict[str, int]]  # db -> BTREE/HASH/FULLTEXT/SPATIAL/RTREE -> lines
    columns: dict[str, dict[str, int]]  # db -> type -> columns


def _cells(line: str, ends: dict[int, str]) -> tuple[str, dict[str, int]]:
    """A row of a right-aligned pt table: (database, column -> value); blank cells are 0."""
    tokens = list(re.finditer(r"\S+", line))
    db, values = tokens[0].group(), dict.fromkeys(ends.values(), 0)
    for token in tokens[1:]:
        assert token.end() in ends, f"misaligned pt cell {token.group()!r} in {line!r}"
        values[ends[token.end()]] = int(token.group())
    return db, values


def _table(block: list[str]) -> dict[str, dict[str, int]]:
    header = list(re.finditer(r"\S+", block[0]))
    assert header[0].group() == "Database", block[0]
    ends = {m.end(): m.group() for m in header[1:]}
    return dict(_cells(line, ends) for line in block[1:])


def _vertical_table(block: list[str]) -> dict[str, dict[str, int]]:
    """The column types table: type names written downwards above a `Database === ===` line."""
    at = next(i for i, line in enumerate(block) if line.split()[:2] == ["Database", "==="])
    ends = [m.end() for m in re.finditer(r"\S+", block[at])][1:]
    names = {end: "".join(line[end - 1] if len(line) >= end else " " for line in block[:at]).strip()
             for end in ends}
    assert all(names.values()) and len(set(names.values())) == len(names), names
    return dict(_cells(line, names) for line in block[at + 1:])


def parse_pt_schema(report: str) -> PtSchema:
    body: list[str] | None = None
    for line in report.splitlines():
        if re.match(r"^# .+ #+$", line):
            if body is not None:
                break
            if line.startswith("# Schema "):
                body = []
        elif body is not None:
            body.append(line)
    assert body is not None, "no Schema section in pt-mysql-summary's report"
    blocks: list[list[str]] = [[]]
    for line in body:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    assert len(blocks) == 4, blocks
    assert block_header(blocks[0]) == ["Database", "Tables", "Views", "SPs", "Trigs", "Funcs", "FKs", "Partn"]
    return PtSchema(objects=_table(blocks[0]), engines=_table(blocks[1]), indexes=_table(blocks[2]),
                    columns=_vertical_table(blocks[3]))


def block_header(block: list[str]) -> list[str]:
    return block[0].split()


def pt_index_kind(line: str) -> str | None:
    """format_overall_db_stats' label for one DDL line (None: no `KEY` on it, not counted)."""
    if "KEY" not in line:
        return None
    kind = "BTREE"
    for word, label in (("SPATIAL", "SPATIAL"), ("FULLTEXT", "FULLTEXT"), ("USING RTREE", "RTREE"),
                        ("USING HASH", "HASH")):
        if word in line:  # later tests win, as in pt's awk
            kind = label
    return kind


# --------------------------------------------------------------------------- information_schema


@dataclass
class Truth:
    """One database as information_schema (and SHOW CREATE TABLE, for what the DDL spells) says."""

    base_tables: int
    sequences: int
    views: int
    procedures: int
    functions: int
    triggers: int
    events: int
    foreign_keys: int
    partitioned: int
    partitioned_by_key: int  # their DDL line `PARTITION BY KEY` has KEY in it
    engines: dict[str, int]
    index_types: dict[str, int]  # one per index
    implicit_hash: int  # HASH indexes whose DDL does not say USING HASH (MEMORY's default)
    column_types: dict[str, int]  # DATA_TYPE, MariaDB's JSON counted as json
    raw_column_types: dict[str, int]  # DATA_TYPE as the server spells it (JSON is longtext)
    json_columns: int
    spatial_columns: int
    # table and column DDL lines (name, type, comment) where pt's text matching finds something
    comment_lines: list[str] = field(default_factory=list)


def _count(server: MariaDBServer, sql: str, db: str) -> int:
    return int(server.admin(sql, (db,))[0][0])


def _counter(server: MariaDBServer, sql: str, db: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in server.admin(sql, (db,))}


def information_schema(server: MariaDBServer, db: str) -> Truth:
    def tables_of(kind: str) -> int:
        return _count(server, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
                              f" AND TABLE_TYPE IN {kind}", db)

    routines = _counter(server, "SELECT ROUTINE_TYPE, COUNT(*) FROM information_schema.ROUTINES"
                                " WHERE ROUTINE_SCHEMA = %s GROUP BY ROUTINE_TYPE", db)
    index_types = _counter(server, (
        "SELECT s.INDEX_TYPE, COUNT(DISTINCT s.TABLE_NAME, s.INDEX_NAME) FROM information_schema.STATISTICS s"
        " JOIN information_schema.TABLES t USING (TABLE_SCHEMA, TABLE_NAME)"
        f" WHERE s.TABLE_SCHEMA = %s AND t.TABLE_TYPE IN {BASE_TYPES} GROUP BY s.INDEX_TYPE"), db)
    implicit_hash = 0
    for table, index in server.admin(
            "SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS"
            " WHERE TABLE_SCHEMA = %s AND INDEX_TYPE = 'HASH'", (db,)):
        ddl = str(server.admin(f"SHOW CREATE TABLE `{db}`.`{table}`")[0][1])
        spelled = "PRIMARY KEY" if index == "PRIMARY" else f"KEY `{index}`"
        line = next(line for line in ddl.splitlines() if spelled in line)
        implicit_hash += "USING HASH" not in line
    raw_columns = _counter(server, (
        "SELECT c.DATA_TYPE, COUNT(*) FROM information_schema.COLUMNS c"
        " JOIN information_schema.TABLES t USING (TABLE_SCHEMA, TABLE_NAME)"
        f" WHERE c.TABLE_SCHEMA = %s AND t.TABLE_TYPE IN {BASE_TYPES} GROUP BY c.DATA_TYPE"), db)
    json_columns = _count(server, (
        "SELECT COUNT(*) FROM information_schema.CHECK_CONSTRAINTS k JOIN information_schema.COLUMNS c"
        " ON c.TABLE_SCHEMA = k.CONSTRAINT_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.CONSTRAINT_NAME"
        " WHERE k.CONSTRAINT_SCHEMA = %s AND c.DATA_TYPE = 'longtext'"
        " AND k.CHECK_CLAUSE = CONCAT('json_valid(`', k.CONSTRAINT_NAME, '`)')"), db)
    column_types = Counter(raw_columns)
    column_types["longtext"] -= json_columns
    column_types["json"] += json_columns
    lines: list[str] = []
    for name, comment in server.admin("SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES"
                                      f" WHERE TABLE_SCHEMA = %s AND TABLE_TYPE IN {BASE_TYPES}", (db,)):
        lines += [f"CREATE TABLE `{name}` (", f") ENGINE=... COMMENT='{comment}'"]
    lines += [f"  `{name}` {ctype} COMMENT '{comment}'" for name, ctype, comment in server.admin(
        "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.COLUMN_COMMENT FROM information_schema.COLUMNS c"
        " JOIN information_schema.TABLES t USING (TABLE_SCHEMA, TABLE_NAME)"
        f" WHERE c.TABLE_SCHEMA = %s AND t.TABLE_TYPE IN {BASE_TYPES}", (db,))]
    return Truth(
        base_tables=tables_of(BASE_TYPES),
        sequences=tables_of("('SEQUENCE')"),
        views=tables_of("('VIEW')"),
        procedures=routines.get("PROCEDURE", 0),
        functions=routines.get("FUNCTION", 0),
        triggers=_count(server, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s", db),
        events=_count(server, "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s", db),
        foreign_keys=_count(server, "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS"
                                    " WHERE CONSTRAINT_SCHEMA = %s", db),
        partitioned=_count(server, "SELECT COUNT(DISTINCT TABLE_NAME) FROM information_schema.PARTITIONS"
                                   " WHERE TABLE_SCHEMA = %s AND PARTITION_NAME IS NOT NULL", db),
        partitioned_by_key=_count(server, "SELECT COUNT(DISTINCT TABLE_NAME) FROM information_schema.PARTITIONS"
                                          " WHERE TABLE_SCHEMA = %s AND PARTITION_METHOD LIKE '%%KEY'", db),
        engines=_counter(server, "SELECT ENGINE, COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
                                 f" AND TABLE_TYPE IN {BASE_TYPES} GROUP BY ENGINE", db),
        index_types=index_types,
        implicit_hash=implicit_hash,
        column_types={k: v for k, v in column_types.items() if v},
        raw_column_types=raw_columns,
        json_columns=json_columns,
        spatial_columns=_count(server, "SELECT COUNT(*) FROM information_schema.COLUMNS c"
                                       " JOIN information_schema.TABLES t USING (TABLE_SCHEMA, TABLE_NAME)"
                                       f" WHERE c.TABLE_SCHEMA = %s AND t.TABLE_TYPE IN {BASE_TYPES}"
                                       " AND c.DATA_TYPE IN ('geometry', 'point', 'linestring', 'polygon',"
                                       " 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection')", db),
        comment_lines=[line for line in lines if "KEY" in line or "PARTITION BY" in line],
    )


# --------------------------------------------------------------------------- the runs


@dataclass
class Runs:
    pt: PtSchema
    pt_databases: list[str]
    facts: dict[str, Any]
    truth: dict[str, Truth]


@pytest.fixture(scope="module")
def runs(server: MariaDBServer, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    samples = tmp_path_factory.mktemp("pt") / "samples"  # pt wants to create it
    pt = subprocess.run(
        [PT, "--sleep=1", "--all-databases", f"--save-samples={samples}", "--",
         f"--defaults-file={server.client_defaults_file}"],
        capture_output=True, text=True, timeout=300, check=False)
    assert pt.returncode == 0, pt.stderr
    result = collect(spec_for(server), RunOptions(sleep=1))  # the password goes in the spec, never argv
    failed = [r for r in result.facts["collection"]["collectors"] if r["status"] == "failed"]
    assert not failed, failed
    parsed = parse_pt_schema(pt.stdout)
    return Runs(pt=parsed, pt_databases=sorted(parsed.objects), facts=result.facts,
                truth={db: information_schema(server, db) for db in USER_DATABASES})


def _ours(runs: Runs, db: str) -> dict[str, Any]:
    facts = runs.facts
    schema = next(s for s in facts["schemas"] if s["name"] == db)
    objects = facts["objects"]
    tables = [t for t in facts["tables"] if t["schema"] == db]
    def in_db(dotted: str) -> bool:
        return dotted.split(".", 1)[0] == db

    return {
        "schema": schema,
        "tables": tables,
        "views": sum(in_db(v) for v in objects["views"]),
        "procedures": sum(in_db(r["name"]) and r["type"] == "PROCEDURE" for r in objects["routines"]),
        "functions": sum(in_db(r["name"]) and r["type"] == "FUNCTION" for r in objects["routines"]),
        "triggers": sum(in_db(t["name"]) for t in objects["triggers"]),
        "events": sum(in_db(e) for e in objects["events"]),
        "foreign_keys": sum(in_db(f["table"]) for f in objects["foreign_keys"]),
        "partitioned": sum(t["partition_method"] is not None for t in tables),
        "engines": dict(Counter(t["engine"] for t in tables)),
        "types": facts["schema_types"][db],
    }


# --------------------------------------------------------------------------- tests


def test_databases(runs: Runs) -> None:
    compared("user databases")
    # pt --all-databases dumps `mysql` too; information_schema, performance_schema and sys are not dumped
    assert [db for db in runs.pt_databases if db != "mysql"] == sorted(USER_DATABASES)
    assert sorted(s["name"] for s in runs.facts["schemas"]) == sorted(USER_DATABASES)
    assert not runs.facts["inventory"]["cut"] and not runs.facts["inventory"]["failed_schemas"]


@pytest.mark.parametrize("db", USER_DATABASES)
def test_object_counts(runs: Runs, db: str) -> None:
    truth, ours, pt = runs.truth[db], _ours(runs, db), runs.pt.objects[db]

    compared("Tables")  # base tables, system-versioned included; a SEQUENCE is not a table
    assert len(ours["tables"]) == truth.base_tables
    assert pt["Tables"] == len(ours["tables"])

    compared("Views")
    assert ours["views"] == ours["schema"]["views"] == truth.views
    assert pt["Views"] == ours["views"]

    compared("SPs")
    compared("Funcs")
    assert ours["procedures"] == truth.procedures and ours["functions"] == truth.functions
    assert ours["schema"]["routines"] == truth.procedures + truth.functions
    # pt is wrong: its awk wants MySQL's `/*!50003 CREATE*/ ... /*!50003 PROCEDURE`; mariadb-dump writes
    # `CREATE DEFINER=... PROCEDURE` with no version comments, so pt counts none (cacti has a FUNCTION)
    assert (pt["SPs"], pt["Funcs"]) == (0, 0)
    if truth.procedures or truth.functions:
        differs(f"{db}: SPs/Funcs pt 0/0, information_schema {truth.procedures}/{truth.functions}"
                " (pt expects MySQL's versioned-comment routine DDL; mariadb-dump writes plain CREATE DEFINER)")

    compared("Trigs")
    assert ours["triggers"] == ours["schema"]["triggers"] == truth.triggers
    assert pt["Trigs"] == ours["triggers"]

    compared("events (ours and information_schema only: pt has no column for them)")
    assert ours["events"] == ours["schema"]["events"] == truth.events

    compared("FKs")
    assert ours["foreign_keys"] == truth.foreign_keys
    # pt is wrong: it counts DDL lines containing `FOREIGN KEY`, comments included
    fk_comments = sum("FOREIGN KEY" in line for line in truth.comment_lines)
    assert pt["FKs"] == ours["foreign_keys"] + fk_comments
    if fk_comments:
        differs(f"{db}: FKs pt {pt['FKs']}, information_schema {truth.foreign_keys}"
                f" ({fk_comments} comment(s) saying FOREIGN KEY)")

    compared("Partn")
    assert ours["partitioned"] == truth.partitioned
    assert sorted(t for t in runs.facts["technology_objects"]["partitioning"] if t.startswith(f"{db}.")) == sorted(
        f"{db}.{t['name']}" for t in ours["tables"] if t["partition_method"] is not None)
    # pt is wrong: it counts DDL lines containing `PARTITION BY`, comments included
    partn_comments = sum("PARTITION BY" in line for line in truth.comment_lines)
    assert pt["Partn"] == ours["partitioned"] + partn_comments
    if partn_comments:
        differs(f"{db}: Partn pt {pt['Partn']}, information_schema {truth.partitioned}"
                f" ({partn_comments} comment(s) saying PARTITION BY)")


@pytest.mark.parametrize("db", USER_DATABASES)
def test_engines(runs: Runs, db: str) -> None:
    compared("tables per engine")
    truth, ours = runs.truth[db], _ours(runs, db)
    assert ours["engines"] == truth.engines
    # pt counts `) ENGINE=X` lines: one per CREATE TABLE (a sequence's DDL is one `CREATE SEQUENCE` line)
    pt = {engine: n for engine, n in runs.pt.engines[db].items() if n}
    assert pt == ours["engines"]


@pytest.mark.parametrize("db", USER_DATABASES)
def test_index_types(runs: Runs, db: str) -> None:
    compared("index types (BTREE/HASH/FULLTEXT/SPATIAL)")
    truth, ours = runs.truth[db], _ours(runs, db)
    assert ours["types"]["index_types"] == truth.index_types
    assert ours["types"]["fulltext_indexes"] == truth.index_types.get("FULLTEXT", 0)
    # pt labels every DDL line containing KEY by its words; from ours, the lines it sees:
    expected: Counter[str] = Counter(ours["types"]["index_types"])
    # pt is wrong: a MEMORY table's indexes are HASH by default (STATISTICS says HASH) but the DDL only
    # says USING HASH when it was written so; pt takes the rest for BTREE
    expected["HASH"] -= truth.implicit_hash
    expected["BTREE"] += truth.implicit_hash
    # pt is wrong: `CONSTRAINT ... FOREIGN KEY` is no index (InnoDB's own index for it has its own KEY line)
    expected["BTREE"] += ours["foreign_keys"]
    # pt is wrong: ` PARTITION BY KEY (...)` is no index
    expected["BTREE"] += truth.partitioned_by_key
    # pt is wrong: comments (and names) containing KEY are no index
    for line in truth.comment_lines:
        kind = pt_index_kind(line)
        if kind is not None:
            expected[kind] += 1
    pt = {kind: n for kind, n in runs.pt.indexes[db].items() if n}
    assert pt == {kind: n for kind, n in expected.items() if n}, (pt, dict(expected))
    if pt != ours["types"]["index_types"]:
        differs(f"{db}: index types pt {pt}, information_schema {truth.index_types}"
                f" ({truth.implicit_hash} MEMORY HASH indexes without USING HASH, {ours['foreign_keys']} FK lines,"
                f" {truth.partitioned_by_key} PARTITION BY KEY lines, comment lines"
                f" {[ln for ln in truth.comment_lines if 'KEY' in ln]})")


@pytest.mark.parametrize("db", USER_DATABASES)
def test_column_types(runs: Runs, db: str) -> None:
    compared("column types")
    truth, ours = runs.truth[db], _ours(runs, db)
    types = ours["types"]
    assert types["column_types"] == truth.column_types
    assert types["json_columns"] == truth.json_columns
    assert types["spatial_columns"] == truth.spatial_columns
    assert sum(t["columns"] for t in ours["tables"]) == sum(truth.column_types.values())
    # the same columns in pt's spelling: MariaDB's JSON is LONGTEXT in the DDL (pt right about the DDL,
    # we right that it is JSON: the automatic CHECK (json_valid(col)) says so)
    as_pt: Counter[str] = Counter()
    for name, n in types["column_types"].items():
        as_pt[COLUMN_TYPE_TO_PT.get(name, name)] += n
    assert dict(as_pt) == truth.raw_column_types
    pt = {name: n for name, n in runs.pt.columns[db].items() if n}
    assert pt == dict(as_pt), (pt, dict(as_pt))


def test_planted_quirks_seen(runs: Runs) -> None:
    """The planted schema does exercise each difference asserted above (a guard for the guards)."""
    compared("planted: every pt quirk exercised")
    truth = runs.truth[PLANTED]
    assert truth.sequences == 1 and truth.base_tables == 9 and truth.views == 2
    # a system-versioned table is a table to all three: information_schema's TABLE_TYPE 'SYSTEM VERSIONED',
    # our tables[], and pt (its DDL is a plain CREATE TABLE ... WITH SYSTEM VERSIONING)
    assert "audit_versioned" in {t["name"] for t in _ours(runs, PLANTED)["tables"]}
    assert (truth.procedures, truth.functions, truth.triggers, truth.events) == (1, 1, 1, 1)
    assert truth.foreign_keys == 1 and truth.partitioned == 2 and truth.partitioned_by_key == 1
    assert truth.implicit_hash == 2 and truth.index_types["HASH"] == 4  # legacy's long UNIQUE says USING HASH
    assert truth.json_columns == 1 and truth.spatial_columns == 1
    assert runs.pt.objects[PLANTED] == {"Tables": 9, "Views": 2, "SPs": 0, "Trigs": 1, "Funcs": 0, "FKs": 2,
                                        "Partn": 3}
    assert runs.truth["cacti"].functions == 1 and runs.pt.objects["cacti"]["Funcs"] == 0
    assert runs.truth["cacti"].implicit_hash > 0


def test_schemas_count_base_tables_only(runs: Runs) -> None:
    compared("schemas[].tables and schemas[].engines (base tables only, as docs/facts.md says)")
    for db in USER_DATABASES:
        truth, ours = runs.truth[db], _ours(runs, db)
        assert ours["schema"]["tables"] == truth.base_tables, (db, ours["schema"]["tables"], truth.base_tables)
        assert ours["schema"]["engines"] == truth.engines, (db, ours["schema"]["engines"], truth.engines)
