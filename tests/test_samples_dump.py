"""A mysqldump sample's DDL read into the inventory the live collectors fill (prechecks/dumpschema.py).

Each comparison runs the real thing on both sides: the same DDL is loaded into a throwaway MariaDB, our live
collectors read it from information_schema, and --read-samples reads it from the dump; the objects, the per-table
keys and the readiness verdicts must agree. The real-world capture (the bash script against MariaDB 10.11 with
cacti, icinga2-ido, MediaWiki, phpMyAdmin and bacula) is compared the same way: its own mysqldump sample, minus the
`mysql` schema, is what the live server is loaded with, so both sides see exactly the schemas the script saw.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from prechecks.collection import RunOptions, collect
from prechecks.derive import derive
from prechecks.dumpschema import parse_dump, statements
from prechecks.samples import read_samples
from tests.helpers import spec_for
from tests.servers import MariaDBServer

DATA = Path(__file__).parent / "data" / "samples"
MARIADB = DATA / "ps-prechecks-mariadb-10.11"
PT55 = DATA / "pt-temp002"

# What mysqldump writes (versioned comments, DELIMITER, a view's placeholder table, triggers in pieces), with
# what the real-world schemas lack: FKs with CASCADE both ways (a cycle), a partitioned table with subpartitions,
# MEMORY HASH keys, FULLTEXT, SPATIAL, MariaDB's JSON, a generated column, a nullable unique key, a prefix key,
# a named CHECK, a non-ASCII column, a sequence, a system-versioned table, a
# latin1 table with a utf16 column, strings holding ';', '--' and '*/'.
PLANTED = r"""/*M!999999\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB
/*!40101 SET NAMES utf8mb4 */;
CREATE DATABASE /*!32312 IF NOT EXISTS*/ `planted` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;
USE `planted`;
CREATE TABLE `parent` (
  `id` int(10) unsigned NOT NULL,
  `title` varchar(200) NOT NULL DEFAULT 'a;b -- c */ d',
  `body` text DEFAULT NULL,
  `doc` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`doc`)),
  `child_id` int(11) DEFAULT NULL,
  `total` int(11) GENERATED ALWAYS AS (`id` * 2) VIRTUAL,
  `kind` enum('a','b','c') DEFAULT NULL,
  `größe` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `child_id` (`child_id`),
  FULLTEXT KEY `ft_body` (`body`),
  CONSTRAINT `parent_child` FOREIGN KEY (`child_id`) REFERENCES `child` (`id`) ON DELETE CASCADE,
  CONSTRAINT `positive` CHECK (`id` > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='no FOREIGN KEY; here';
CREATE TABLE `child` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `parent_id` int(10) unsigned DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `parent_id` (`parent_id`),
  CONSTRAINT `child_parent` FOREIGN KEY (`parent_id`) REFERENCES `parent` (`id`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `nokey` (
  `a` int(11) DEFAULT NULL,
  `b` varchar(300) NOT NULL,
  `c` double NOT NULL,
  UNIQUE KEY `a` (`a`),
  UNIQUE KEY `b_prefix` (`b`(20))
) ENGINE=MyISAM DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
CREATE TABLE `floaty` (
  `f` double NOT NULL,
  `u` varchar(10) CHARACTER SET utf16 COLLATE utf16_general_ci DEFAULT NULL,
  PRIMARY KEY (`f`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
CREATE TABLE `cache` (
  `k` varchar(64) NOT NULL,
  `v` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`k`),
  KEY `v` (`v`) USING BTREE
) ENGINE=MEMORY DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
CREATE TABLE `places` (
  `id` int(11) NOT NULL,
  `pos` point NOT NULL,
  PRIMARY KEY (`id`),
  SPATIAL KEY `pos` (`pos`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
CREATE TABLE `events_log` (
  `id` int(11) NOT NULL,
  `at` date NOT NULL,
  PRIMARY KEY (`id`,`at`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci
/*!50100 PARTITION BY RANGE (year(`at`))
SUBPARTITION BY HASH (`id`)
SUBPARTITIONS 2
(PARTITION `p0` VALUES LESS THAN (2020) ENGINE = InnoDB,
 PARTITION `p1` VALUES LESS THAN MAXVALUE ENGINE = InnoDB) */;
CREATE TABLE `history` (
  `id` int(11) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci WITH SYSTEM VERSIONING;
CREATE SEQUENCE `seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 1 cache 1000 nocycle
 ENGINE=InnoDB;
SET @saved_cs_client     = @@character_set_client;
/*!50001 CREATE VIEW `parent_titles` AS SELECT
 1 AS `id`,
  1 AS `title` */;
SET character_set_client = @saved_cs_client;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `parent_ins` BEFORE INSERT ON `parent`
 FOR EACH ROW BEGIN
  SET NEW.title = CONCAT(NEW.title, ';'); -- a comment; with a semicolon
END */;;
DELIMITER ;
DELIMITER ;;
CREATE DEFINER=`root`@`localhost` PROCEDURE `touch`(IN x INT)
BEGIN
  UPDATE parent SET title = 'x;y' WHERE id = x;
END ;;
CREATE DEFINER=`root`@`localhost` FUNCTION `twice`(x INT) RETURNS int(11)
    DETERMINISTIC
RETURN x * 2 ;;
DELIMITER ;
/*!50001 DROP VIEW IF EXISTS `parent_titles`*/;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */
/*!50001 VIEW `parent_titles` AS select `parent`.`id` AS `id`,`parent`.`title` AS `title` from `parent` */;
"""


def _collect(server: MariaDBServer) -> dict[str, Any]:
    result = collect(spec_for(server), RunOptions(sleep=0.2))
    failed = [r for r in result.facts["collection"]["collectors"] if r["status"] == "failed"]
    assert not failed, failed
    return dict(result.derived.facts) | {"readiness": result.derived.readiness}


def _load(server: MariaDBServer, ddl: str, tmp_path: Path) -> None:
    path = tmp_path / "load.sql"
    path.write_text("SET FOREIGN_KEY_CHECKS=0;\n" + ddl, encoding="utf-8")
    server.load_sql_file(path)


def _samples_with_dump(tmp_path: Path, ddl: str) -> Path:
    """The real-world capture's folder with this mysqldump (its other files as they are)."""
    folder = tmp_path / "samples"
    shutil.copytree(MARIADB, folder)
    (folder / "mysqldump").write_text(ddl, encoding="utf-8")
    (folder / "table-sizes").unlink()  # sizes of the capture's tables, not these
    (folder / "mysql-databases").unlink()
    return folder


def _objects(facts: dict[str, Any], schemas: set[str]) -> dict[str, Any]:
    """facts.objects restricted to these schemas (the live server also holds the test's own)."""
    def mine(entry: Any) -> bool:
        name = entry["name"] if isinstance(entry, dict) else entry
        return str(name).split(".", 1)[0] in schemas

    return {key: [e for e in value if mine(e)] for key, value in facts["objects"].items()
            if key not in ("user_defined_functions", "broken_views", "events")}


def _tables(facts: dict[str, Any], schemas: set[str]) -> dict[tuple[str, str], dict[str, Any]]:
    keys = ("engine", "charset", "columns", "partition_method", "subpartition_method", "primary_key", "unique_key",
            "float_primary_key")
    return {(t["schema"], t["name"]): {k: t.get(k) for k in keys} for t in facts["tables"] if t["schema"] in schemas}


def test_statements_respect_quotes_comments_and_delimiters() -> None:
    found = list(statements(PLANTED))
    trigger = next(s for s in found if "TRIGGER `parent_ins`" in s)
    assert "CONCAT(NEW.title, ';')" in trigger and trigger.rstrip().endswith("END")
    procedure = next(s for s in found if "PROCEDURE `touch`" in s)
    assert "'x;y'" in procedure and procedure.endswith("END")
    parent = next(s for s in found if "TABLE `parent`" in s)
    assert "'a;b -- c */ d'" in parent and "no FOREIGN KEY; here" in parent
    assert any(s.startswith("CREATE ALGORITHM=UNDEFINED") and "VIEW `parent_titles` AS select" in " ".join(s.split())
               for s in found)


def test_the_dump_reads_as_the_live_inventory(mariadb_factory: Any, tmp_path: Path) -> None:
    server = mariadb_factory()
    _load(server, PLANTED, tmp_path)
    live = _collect(server)
    folder = _samples_with_dump(tmp_path, PLANTED)
    captured = read_samples(folder)
    dump = parse_dump(PLANTED)
    assert dump.unparsed == []
    assert _tables(captured, {"planted"}) == _tables(live, {"planted"})
    assert _objects(captured, {"planted"}) == _objects(live, {"planted"})
    assert captured["schema_types"]["planted"] == live["schema_types"]["planted"]
    assert captured["objects"]["views"] == ["planted.parent_titles"]  # the placeholder table is no table
    assert captured["objects"]["routines"] == [{"name": "planted.touch", "type": "PROCEDURE"},
                                               {"name": "planted.twice", "type": "FUNCTION"}]
    # every schema rule gives a verdict, the same as the live run's (what a dump cannot hold is skipped, named)
    ours = {c["id"]: c for c in derive(captured).readiness["checks"]}
    theirs = {c["id"]: c for c in live["readiness"]["checks"]}
    schema_rules = ("unique_key", "float_primary_key", "storage_engine", "charset", "non_ascii_identifiers",
                    "stored_routines", "triggers", "views", "foreign_keys", "partitioning", "column_count",
                    "duplicate_enum_values", "check_constraint_names", "foreign_key_cycles", "mariadb_features")
    for rule in schema_rules:
        assert (ours[rule]["status"], ours[rule]["objects"]) == (theirs[rule]["status"], theirs[rule]["objects"]), rule
    assert ours["unique_key"]["objects"] == ["planted.nokey"]
    assert ours["float_primary_key"]["objects"] == ["planted.floaty.f"]
    assert ours["charset"]["objects"] == ["planted.floaty.u"]
    assert ours["partitioning"]["status"] == "fail" and ours["foreign_key_cycles"]["status"] == "fail"
    for rule in ("events", "broken_views", "user_defined_functions"):
        assert ours[rule]["status"] == "skipped" and ours[rule]["detail"], rule
    technologies = {k: v["value"] for k, v in captured["technologies"].items()}
    assert technologies | {k: v["value"] for k, v in live["technologies"].items() if k in (
        "fulltext", "geospatial", "foreign_keys", "partitioning", "compression")} == technologies
    assert technologies["fulltext"] and technologies["geospatial"] and technologies["partitioning"]


def _user_part(ddl: str) -> str:
    """The dump without the `mysql` schema (a live server has its own)."""
    kept, skipping = [], False
    for chunk in re.split(r"(?m)^(?=USE `|CREATE DATABASE )", ddl):
        name = re.match(r"(?:USE |CREATE DATABASE (?:/\*!32312 IF NOT EXISTS\*/ )?)`([^`]*)`", chunk)
        if name is not None:
            skipping = name.group(1) == "mysql"
        if not skipping:
            kept.append(chunk)
    return "".join(kept)


def test_the_real_world_capture_lists_what_a_live_run_lists(mariadb_factory: Any, tmp_path: Path) -> None:
    ddl = (MARIADB / "mysqldump").read_text(encoding="utf-8")
    server = mariadb_factory()
    _load(server, _user_part(ddl), tmp_path)
    live = _collect(server)
    captured = derive(read_samples(MARIADB))
    schemas = {"bacula", "cacti", "icinga", "phpmyadmin", "phpmyadmin_cfg", "roundcube", "wiki"}
    assert sorted(s["name"] for s in live["schemas"]) == sorted(schemas)
    assert _tables(captured.facts, schemas) == _tables(live, schemas)
    assert _objects(captured.facts, schemas) == _objects(live, schemas)
    for schema in schemas:
        assert captured.facts["schema_types"].get(schema) == live["schema_types"].get(schema), schema
    ours = {c["id"]: c for c in captured.readiness["checks"]}
    theirs = {c["id"]: c for c in live["readiness"]["checks"]}
    capture_only_skips = {"events", "broken_views", "user_defined_functions", "reachability", "unsupported_statements"}
    server_facts = {"binlog_enabled", "binlog_format", "binlog_row_image", "binlog_retention", "sql_mode",
                    "mysql_version", "time_zone", "import_account", "workload_limits", "gtid_mode",
                    "enforce_gtid_consistency", "large_tables", "database_size"}  # the capture's server, not ours
    # the same objects named by every rule (the statements the live server ran to load the schemas are its own)
    for rule, check in ours.items():
        if rule != "unsupported_statements":
            assert check["objects"] == theirs[rule]["objects"], rule
    # the same verdict wherever the capture holds what the rule reads
    for rule, check in ours.items():
        if rule in capture_only_skips:
            assert check["status"] == "skipped", rule
        elif rule not in server_facts:
            assert check["status"] == theirs[rule]["status"], (rule, check["detail"], theirs[rule]["detail"])
    assert ours["unique_key"]["status"] == "fail" and len(ours["unique_key"]["objects"]) == 9
    assert ours["storage_engine"]["objects"] == theirs["storage_engine"]["objects"] != []
    assert ours["stored_routines"]["objects"] == ["cacti.NOAUTOCREATENEEDED"]


def _columns(header: str, rows: list[str]) -> dict[str, dict[str, str]]:
    """A pt table of right-aligned columns: row name -> header word -> the text that ends where the word ends."""
    words = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"\S+", header)]
    table = {}
    for row in rows:
        name = row.split()[0]
        name_end = len(row) - len(row.lstrip()) + len(name)
        cells = {}
        for index, (word, _start, end) in enumerate(words[1:], 1):
            begin = max(words[index - 1][2], name_end) if index == 1 else words[index - 1][2]
            cells[word] = row[begin:end].strip()
        table[name] = cells
    return table


def _pt_schema(source: Path) -> list[dict[str, dict[str, str]]]:
    """pt-mysql-summary --read-samples' Schema section: its four tables (counts, engines, index types, column
    types with the names read downwards)."""
    if shutil.which("pt-mysql-summary") is None:
        pytest.skip("pt-mysql-summary not installed")
    import subprocess

    out = subprocess.run(["pt-mysql-summary", "--read-samples", str(source)], capture_output=True, text=True,
                         timeout=120, check=False).stdout
    section = out.split("# Schema #", 1)[1].split("\n# ", 1)[0]
    blocks = [b for b in re.split(r"\n\s*\n", section) if b.strip() and "Database" in b]
    tables = []
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip()]
        at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Database"))
        header, rows = lines[at], lines[at + 1:]
        if "===" in header:  # the column types: names written downwards above the === marks
            marks = [(m.start(), m.end()) for m in re.finditer(r"=+", header)]
            names = ["".join(line[end - 1] if len(line) >= end else " " for line in lines[:at]).strip()
                     for _start, end in marks]
            starts = [len(header.split("=", 1)[0].rstrip())] + [end for _start, end in marks[:-1]]
            tables.append({row.split()[0]: {name: row[max(begin, len(row) - len(row.lstrip()) + len(row.split()[0]))
                                                      if i == 0 else begin:end].strip()
                                            for i, (name, begin, (_s, end)) in enumerate(zip(names, starts, marks,
                                                                                             strict=True))}
                           for row in rows})
            continue
        tables.append(_columns(header, rows))
    return tables


def test_schema_section_matches_pt_mysql_summary() -> None:
    """Figure by figure with pt's Schema section on the real-world capture, for the user schemas (pt also counts
    `mysql`). The differences, each asserted: pt finds routines by `03 CREATE.*03 FUNCTION`, which a mysqldump
    since 5.7 no longer writes (cacti's function is one); pt labels every key BTREE unless its line says
    otherwise, where information_schema says HASH for a MEMORY table's key."""
    counts, engines, index_types, column_types = _pt_schema(MARIADB)
    facts = read_samples(MARIADB)
    schemas = {s["name"]: s for s in facts["schemas"]}
    assert "mysql" in counts and "mysql" not in schemas
    compared = 0
    for name, schema in schemas.items():
        pt = counts[name]
        assert int(pt["Tables"] or 0) == schema["tables"], name
        assert int(pt["Views"] or 0) == schema["views"], name
        assert int(pt["Trigs"] or 0) == schema["triggers"], name
        pt_routines = int(pt["SPs"] or 0) + int(pt["Funcs"] or 0)
        assert pt_routines == schema["routines"] - (1 if name == "cacti" else 0), name  # NOAUTOCREATENEEDED
        assert {k: int(v) for k, v in engines[name].items() if v} == schema["engines"], name
        ours_index = facts["schema_types"][name]["index_types"]
        pt_index = {k: int(v) for k, v in index_types[name].items() if v}
        if "HASH" in ours_index:  # cacti's MEMORY tables
            assert sum(ours_index.values()) == sum(pt_index.values()) and pt_index["BTREE"] == (
                ours_index["BTREE"] + ours_index["HASH"]), name
        else:
            assert pt_index == ours_index, name
        assert {k: int(v) for k, v in column_types[name].items() if v} == facts["schema_types"][name][
            "column_types"], name
        compared += 1
    assert compared == 7
    # and the report prints those figures
    report_text = " ".join(_report_schema(MARIADB).split())
    assert "cacti 113 0 1 0 0 4M 0 InnoDB 105, MEMORY 8" in report_text
    assert "cacti 253 11" in report_text and "wiki 183 2" in report_text


def _report_schema(source: Path) -> str:
    from prechecks.report import render_report

    text = render_report(derive(read_samples(source)))
    return text.split("## Schema", 1)[1].split("\n## ", 1)[0]


PT_TECHNOLOGIES = {"Full Text Indexing": "fulltext", "Geospatial Types": "geospatial", "Foreign Keys": "foreign_keys",
                   "Partitioning": "partitioning", "InnoDB Compression": "compression", "SSL": "ssl",
                   "Explicit LOCK TABLES": "lock_tables", "XA Transactions": "xa",
                   "Prepared Statements": "prepared_statements"}


@pytest.mark.parametrize("source", [MARIADB, PT55], ids=lambda p: p.name)
def test_noteworthy_technologies_match_pt_mysql_summary(source: Path) -> None:
    """Figure by figure with `pt-mysql-summary --read-samples` on the same folder. pt greps the whole dump
    (the `mysql` schema and comments included); we count the parsed DDL of the user schemas. Where the two differ,
    the test shows pt's grep matched something that is not the technology."""
    if shutil.which("pt-mysql-summary") is None:
        pytest.skip("pt-mysql-summary not installed")
    import subprocess

    out = subprocess.run(["pt-mysql-summary", "--read-samples", str(source)], capture_output=True, text=True,
                         timeout=120, check=False).stdout
    section = out.split("# Noteworthy Technologies #", 1)[1].split("\n# ", 1)[0]
    pt = {name.strip(): value.strip() for name, value in (line.split("|", 1) for line in section.splitlines()
                                                          if "|" in line)}
    ours = read_samples(source)["technologies"]
    dump = (source / "mysqldump").read_text(encoding="utf-8")
    compared = 0
    for label, key in PT_TECHNOLOGIES.items():
        mine = "Yes" if ours[key]["value"] else "No"
        if pt[label] == mine:
            compared += 1
            continue
        # the two differences on the real-world capture, each pt's grep on a line that is not the technology
        assert source == MARIADB and label in ("Geospatial Types", "InnoDB Compression"), (label, pt[label], mine)
        if label == "InnoDB Compression":  # `ENGINE=InnoDB.*ROW_FORMAT` matches ROW_FORMAT=DYNAMIC
            assert re.search(r"ENGINE=InnoDB.*ROW_FORMAT=DYNAMIC", dump)
            assert not re.search(r"ROW_FORMAT=COMPRESSED|KEY_BLOCK_SIZE|PAGE_COMPRESSED", dump)
        else:  # `GEOMETRY|POINT|...` matches the mysql schema's geometry procedures and text, no spatial column
            assert re.search(r"GEOMETRY|POINT|LINESTRING|POLYGON", dump)
            assert all(t["data_type"] not in ("geometry", "point", "linestring", "polygon")
                       for t in _all_columns(dump))
    assert compared >= 7


def _all_columns(dump_text: str) -> list[dict[str, Any]]:
    return [c for table in parse_dump(dump_text).tables.values() for c in table.columns]


def test_a_schema_the_dump_left_out_is_never_judged_clean() -> None:
    """pt-temp002's mysql-databases lists `test`, its mysqldump does not hold it: what the dump cannot say about
    `test` is skipped (naming it), never passed."""
    facts = read_samples(PT55)
    assert facts["inventory"]["failed_schemas"] == [{"name": "test", "reason": "not in the mysqldump sample"}]
    checks = {c["id"]: c for c in derive(facts).readiness["checks"]}
    for rule in ("empty_schemas", "charset", "triggers", "views", "foreign_keys"):
        assert checks[rule]["status"] == "skipped", rule
        assert "test (not in the mysqldump sample)" in checks[rule]["detail"], rule
    assert checks["unique_key"]["status"] == "fail"  # what was read still fails
    assert checks["unique_key"]["objects"] == ["bluh.test", "meh.future`me"]
