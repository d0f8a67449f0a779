"""prechecks.facts: the typed definition of facts.json, what fills it (live runs, --read-samples, the MySQL-8
stand-in) conforms to it, its checker catches what does not, and docs/facts.md names the same keys."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, is_typeddict

import pytest

from collectors.connection import ConnectionSpec
from collectors.registry import ALL_COLLECTORS
from prechecks.collection import RunOptions, collect
from prechecks.derive import derive
from prechecks.facts import Facts, check_facts, field_types
from prechecks.samples import read_samples
from tests import servers
from tests.helpers import REPO, archive_json, read_archive, run_cli, server_args, spec_for
from tests.servers import MariaDBServer
from tests.standin.profiles import PROFILE_NAMES

SAMPLES = REPO / "tests" / "data" / "samples"
SAMPLE_DIRS = sorted(p for p in SAMPLES.iterdir() if p.is_dir())
FACTS_DOC = REPO / "docs" / "facts.md"
TOP_LEVEL = set(field_types(Facts))

# a few schemas with every kind of object the inventory lists
SCHEMA = (
    "CREATE DATABASE shop",
    "CREATE DATABASE `café`",
    "CREATE TABLE shop.customers (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL, doc JSON, pos POINT NOT NULL,"
    " body TEXT, FULLTEXT KEY (body), SPATIAL KEY (pos), UNIQUE KEY (email))",
    "CREATE TABLE shop.orders (id INT PRIMARY KEY, customer_id INT, qty INT, price DECIMAL(10,2),"
    " total DECIMAL(12,2) AS (qty * price) STORED, CONSTRAINT chk_qty CHECK (qty > 0),"
    " CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES shop.customers (id) ON DELETE CASCADE)",
    "CREATE TABLE shop.log (id INT NOT NULL, at DATE NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (YEAR(at))"
    " (PARTITION p0 VALUES LESS THAN (2020), PARTITION p1 VALUES LESS THAN MAXVALUE)",
    "CREATE TABLE shop.no_key (a INT, b FLOAT) ENGINE=MyISAM",
    "CREATE TABLE shop.float_key (price DOUBLE PRIMARY KEY) ROW_FORMAT=COMPRESSED",
    "CREATE TABLE shop.legacy (c VARCHAR(10)) CHARSET=ujis",
    "CREATE TABLE shop.schema_migrations (version VARCHAR(20) PRIMARY KEY)",
    "CREATE TABLE `café`.`tablé` (id INT PRIMARY KEY, `prix_é` INT)",
    "CREATE VIEW shop.v_orders AS SELECT id, qty FROM shop.orders",
    "CREATE PROCEDURE shop.p_refresh() SELECT 1",
    "CREATE FUNCTION shop.f_one() RETURNS INT DETERMINISTIC RETURN 1",
    "CREATE TRIGGER shop.trg_qty BEFORE INSERT ON shop.orders FOR EACH ROW SET NEW.qty = NEW.qty",
    "CREATE EVENT shop.ev_purge ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM shop.log",
    "INSERT INTO shop.customers VALUES (1, 'a@example.com', '{}', POINT(1, 1), 'hello')",
    "INSERT INTO shop.orders (id, customer_id, qty, price) VALUES (1, 1, 2, 3.5)",
    "SELECT id FROM shop.orders WHERE id = 1",
)


def json_copy(facts: dict[str, Any]) -> Any:
    """The document as facts.json holds it (the bundle writes it through json.dumps(default=str))."""
    return json.loads(json.dumps(facts, default=str))


def non_ok(facts: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in facts["collection"]["collectors"] if c["status"] != "ok"}


@pytest.fixture(scope="module")
def logged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MariaDBServer, Path]]:
    """A MariaDB with an option file (so config_file is read) writing its slow log to a file and a table."""
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    base = tmp_path_factory.mktemp("facts-schema")
    log = base / "slow.log"
    config = base / "my.cnf"
    config.write_text(f"[mysqld]\nslow_query_log = ON\nlong_query_time = 0\nslow_query_log_file = {log}\n"
                      "log_output = FILE,TABLE\n", encoding="utf-8")
    server = servers.start_mariadb(base / "server", defaults_file=config)
    try:
        for sql in SCHEMA:
            server.admin(sql)
        yield server, log
    finally:
        servers.stop_all([server])
        servers.discard(server)


# ---------------------------------------------------------------- (a) live runs on a real MariaDB


def test_live_archive_facts_conform(logged_server: tuple[MariaDBServer, Path], tmp_path: Path) -> None:
    server, log = logged_server
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli([*server_args(server), "--sleep=0.2", "--slow-log", str(log), f"--output={out}"],
                     password=server.root_password, env={"HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    facts = archive_json(read_archive(Path(result.stdout.strip().splitlines()[-1])), "facts.json")
    assert check_facts(facts) == []
    # every collector ran, so every section was checked: only RDS's configuration does not apply here (and no
    # --prometheus was given: history is checked by tests/test_prometheus.py)
    assert non_ok(facts) == {"rds_configuration": "skipped"}
    assert set(facts) == TOP_LEVEL - {"rds_configuration", "cloud", "history"}  # no cloud flag, no --prometheus
    # and the nested lists the definition types were not empty
    objects = facts["objects"]
    for key in ("views", "routines", "triggers", "events", "foreign_keys", "check_constraints", "generated_columns",
                "non_ascii_identifiers", "unsupported_charset_columns", "unsupported_charset_tables"):
        assert objects[key], key
    assert facts["technology_objects"]["partitioning"] == ["shop.log"]
    assert facts["workload"]["migration_tables"] and facts["workload"]["digests"]
    assert facts["slow_log"]["files"]["digests"] and facts["slow_log"]["table"]["digests"]
    assert facts["config_file"]["found_by"] and facts["binlog"]["files"]


def test_live_run_with_a_usage_only_account_conforms(logged_server: tuple[MariaDBServer, Path]) -> None:
    """Skipped collectors and what the account could not see (nulls, complete: false) conform too."""
    server, _log = logged_server
    server.admin("CREATE USER IF NOT EXISTS 'facts_usage'@'%' IDENTIFIED BY 'facts-usage-pw-1'")
    result = collect(spec_for(server, user="facts_usage", password="facts-usage-pw-1"), RunOptions(sleep=0.1))
    facts = json_copy(result.facts)
    assert check_facts(facts) == []
    assert len(non_ok(facts)) >= 5  # processlist, replication, accounts, innodb_status... did not run
    assert "accounts" not in facts and "innodb_status" not in facts


# ---------------------------------------------------------------- (b) --read-samples


@pytest.mark.parametrize("directory", SAMPLE_DIRS, ids=lambda p: p.name)
def test_read_samples_facts_conform(directory: Path) -> None:
    facts = json_copy(read_samples(directory))
    assert check_facts(facts) == []
    assert {"server", "variables", "status", "processlist", "binlog"} <= set(facts)
    derived = json_copy(derive(facts).facts)  # with the workload rates and their provenance, as --read-samples
    assert check_facts(derived) == []
    assert {"workload", "provenance"} <= set(derived)


def test_read_samples_with_two_files_conforms(tmp_path: Path) -> None:
    """Most files missing: the nulls --read-samples writes for what it could not read conform."""
    source = next(d for d in SAMPLE_DIRS if d.name.startswith("ps-prechecks"))
    for name in ("mysql-variables", "mysql-status"):
        shutil.copyfile(source / name, tmp_path / name)
    facts = json_copy(read_samples(tmp_path))
    assert check_facts(facts) == []
    assert facts["status"]["interval_seconds"] is None and facts["binlog"]["files"] is None


# ---------------------------------------------------------------- (c) the MySQL-8 stand-in


@pytest.mark.mysql8
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_standin_facts_conform(mysql_standin: Any, name: str) -> None:
    standin = mysql_standin(name)
    spec = ConnectionSpec(host=standin.host, port=standin.port, user=standin.user, password=standin.password)
    facts = json_copy(collect(spec, RunOptions(sleep=0.1)).facts)
    assert check_facts(facts) == []
    if name.startswith(("rds-", "aurora-")):
        assert "rds_configuration" in facts


# ---------------------------------------------------------------- (d) the checker itself

MINIMAL: dict[str, Any] = {
    "format_version": 1,
    "source": {"via": "tcp", "host": "127.0.0.1", "port": 3306, "socket": None, "user": "u", "tls_mode": "preferred"},
    "server": {"version": "10.11.6-MariaDB", "flavor": "mariadb", "port": 3306, "version_tuple": [10, 11, 6]},
    "variables": {"log_bin": "ON"},
    "tables": [{"schema": "app", "name": "t", "rows": 3, "data_bytes": None, "primary_key": ["id"]}],
    "workload": {"qps_sampled": 2.5, "qps_average_since_start": 2},
    "collection": {"collectors": [{"name": "variables", "status": "ok", "reason": "", "seconds": 0.01,
                                   "statements": 1}]},
}


def broken(change: Any) -> Any:
    document = copy.deepcopy(MINIMAL)
    change(document)
    return document


def test_a_conforming_document_has_no_findings() -> None:
    assert check_facts(MINIMAL) == []


def test_wrong_types_are_named_by_path() -> None:
    def port_as_text(d: Any) -> None:
        d["server"]["port"] = "3306"

    def rows_as_bool(d: Any) -> None:
        d["tables"][0]["rows"] = True

    def variable_as_number(d: Any) -> None:
        d["variables"]["max_connections"] = 151

    def version_part_as_text(d: Any) -> None:
        d["server"]["version_tuple"][2] = "6"

    assert check_facts(broken(port_as_text)) == ["facts.server.port: expected int or None, got str '3306'"]
    assert check_facts(broken(rows_as_bool)) == ["facts.tables[0].rows: expected int or None, got bool True"]
    assert check_facts(broken(variable_as_number)) == [
        "facts.variables.max_connections: expected str, got int 151"]
    assert check_facts(broken(version_part_as_text)) == [
        "facts.server.version_tuple[2]: expected int, got str '6'"]


def test_closed_value_sets_are_checked() -> None:
    def udp(d: Any) -> None:
        d["source"]["via"] = "udp"

    def status_unknown(d: Any) -> None:
        d["collection"]["collectors"][0]["status"] = "done"

    def version_two(d: Any) -> None:
        d["format_version"] = 2

    assert check_facts(broken(udp)) == [
        "facts.source.via: 'udp' is not one of 'tcp', 'socket', 'ssh', 'read-samples'"]
    assert check_facts(broken(status_unknown)) == [
        "facts.collection.collectors[0].status: 'done' is not one of 'ok', 'skipped', 'failed'"]
    assert check_facts(broken(version_two)) == ["facts.format_version: 2 is not one of 1"]


def test_unknown_keys_are_errors_at_closed_levels_only() -> None:
    def top_level(d: Any) -> None:
        d["surprise"] = {}

    def nested(d: Any) -> None:
        d["tables"][0]["comment"] = "x"

    for change, path, where in ((top_level, "facts.surprise", "Facts"), (nested, "facts.tables[0].comment", "Table")):
        (finding,) = check_facts(broken(change))
        assert finding.startswith(f"{path}: not a key of {where} (declare it in prechecks/facts.py")

    def free_keys(d: Any) -> None:  # a new server variable is not a new key of the definition
        d["variables"]["brand_new_variable"] = "ON"

    assert check_facts(broken(free_keys)) == []


def test_missing_required_keys_are_errors() -> None:
    def no_collection(d: Any) -> None:
        del d["collection"]

    def record_without_status(d: Any) -> None:
        del d["collection"]["collectors"][0]["status"]

    def table_without_name(d: Any) -> None:
        del d["tables"][0]["name"]

    assert check_facts(broken(no_collection)) == ["facts.collection: missing (required in Facts)"]
    assert check_facts(broken(record_without_status)) == [
        "facts.collection.collectors[0].status: missing (required in CollectorRecord)"]
    assert check_facts(broken(table_without_name)) == ["facts.tables[0].name: missing (required in Table)"]


def test_a_nested_mismatch_inside_an_optional_object_is_reported_where_it_is() -> None:
    def bad_current(d: Any) -> None:
        d["binlog"] = {"current": {"file": "b.000001", "position": "4", "gtid_executed": ""}}

    assert check_facts(broken(bad_current)) == ["facts.binlog.current.position: expected int, got str '4'"]
    assert check_facts([]) == ["facts: expected an object (Facts), got list []"]


# ---------------------------------------------------------------- (e) docs/facts.md and the definition


def _doc_names() -> list[str]:
    """Every backquoted name in the first column of docs/facts.md's key table."""
    names: list[str] = []
    in_table = False
    for line in FACTS_DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| key |"):
            in_table = True
            continue
        if in_table and not line.startswith("|"):
            break
        if in_table and not line.startswith("|---"):
            first = line.split("|")[1]
            names += re.findall(r"`([^`]+)`", first)
    return names


def _resolve(dotted: str) -> Any:
    """The declared type at a dotted path of Facts (through lists and optional values), or KeyError."""
    node: Any = Facts
    for part in dotted.split("."):
        while True:  # list[X] and X | None -> X: the structure the path goes on into
            args = [a for a in get_args(node) if a is not type(None)]
            if get_origin(node) is dict or len(args) != 1:
                break
            node = args[0]
        node = field_types(node)[part]
    return node


def _walk_definition() -> tuple[dict[str, set[str]], set[Any]]:
    """Every key name of every structure reachable from Facts (-> the structures that have it), and the leaf
    types the definition ends in."""
    fields: dict[str, set[str]] = {}
    leaves: set[Any] = set()
    seen: set[Any] = set()

    def walk(node: Any) -> None:
        if node in seen:
            return
        seen.add(node)
        if is_typeddict(node):
            for key, item in field_types(node).items():
                fields.setdefault(key, set()).add(node.__name__)
                walk(item)
        elif get_origin(node) is Literal:
            leaves.add(Literal)
        elif get_args(node):
            for arg in get_args(node):
                walk(arg)
        else:
            leaves.add(node)

    walk(Facts)
    return fields, leaves


def test_doc_table_names_every_top_level_key_and_no_other() -> None:
    names = _doc_names()
    assert len(names) > 30, names  # the table was found and read
    assert {n.split(".")[0] for n in names} == TOP_LEVEL


def test_every_dotted_key_of_the_doc_table_is_declared() -> None:
    for name in _doc_names():
        _resolve(name)  # KeyError names the key the definition lacks


def test_doc_mentions_every_declared_key() -> None:
    """Each key of the definition, at any depth, is written in docs/facts.md (in the table or a shape)."""
    doc = FACTS_DOC.read_text(encoding="utf-8")
    missing = {key: sorted(where) for key, where in _walk_definition()[0].items()
               if not re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", doc)}
    assert missing == {}


@pytest.mark.parametrize("collector", ALL_COLLECTORS, ids=lambda c: c.name)
def test_every_key_a_collector_writes_is_declared(collector: Any) -> None:
    for key in collector.writes:
        _resolve(key)


def test_the_definition_ends_in_types_the_checker_knows() -> None:
    """check_facts checks str, int, float, bool, None and Literal values (any other type raises TypeError)."""
    fields, leaves = _walk_definition()
    # Any: facts "cloud" holds a document of its own contract (docs/facts.md, cloud.json)
    assert leaves == {str, int, float, bool, type(None), Literal, Any}
    assert len(fields) > 150  # the walk went through the whole document
