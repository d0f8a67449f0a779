"""Redaction of the archive: always-on secrets and literals, optional pseudonyms, the map, the preview.

Real MariaDB servers: the schemas and accounts below are planted, then every file of the archive
(and every member name) is searched for them, byte for byte and case-sensitively.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from prechecks.bundle import ArchiveInputs, build, redaction_map_name, write_bundle
from prechecks.derive import Derived, derive
from prechecks.redaction import Redactor, parse_classes
from tests.helpers import read_archive, run_cli
from tests.servers import MariaDBServer

FAST = ["--sleep=0.3"]
SCHEMA = "zeta_shop"
TABLES = ("zeta_orders", "customer_ledger")
COLUMNS = ("order_ref", "customer_ref", "ledger_note", "shipped_qty")
OTHER_NAMES = ("idx_customer_ref", "v_big_orders", "p_refresh_ledger", "trg_ledger_audit", "ev_purge_ledger",
               "fk_zeta_customer")
IDENTIFIERS = (SCHEMA, *TABLES, *COLUMNS, *OTHER_NAMES)
PLANTED_USER = "planted_app_user"
PLANTED_LITERAL = "planted-literal-8cc1"
PLANTED_BODY_LITERAL = "planted-body-literal-77"
PLANTED_CNF_SECRET = "planted-cnf-secret-5d2"
PSEUDONYM = re.compile(rb"\b(?:host|ip|user|schema|table|view|routine|trigger|event|column|index)-\d{3}\b")


def _setup(server: MariaDBServer, tmp_path: Path) -> Path:
    """The planted schema, the planted account, and a --defaults-file holding the password."""
    statements = [
        f"CREATE DATABASE {SCHEMA}",
        f"CREATE TABLE {SCHEMA}.zeta_orders (order_ref INT PRIMARY KEY, customer_ref INT, shipped_qty INT,"
        " KEY idx_customer_ref (customer_ref))",
        f"CREATE TABLE {SCHEMA}.customer_ledger (ledger_note VARCHAR(40), customer_ref INT,"
        " CONSTRAINT fk_zeta_customer FOREIGN KEY (customer_ref) REFERENCES zeta_orders (order_ref))",
        f"CREATE VIEW {SCHEMA}.v_big_orders AS SELECT order_ref FROM {SCHEMA}.zeta_orders WHERE shipped_qty > 5"
        f" AND customer_ref <> 0",
        f"CREATE PROCEDURE {SCHEMA}.p_refresh_ledger() BEGIN SELECT ledger_note FROM customer_ledger"
        f" WHERE ledger_note = '{PLANTED_BODY_LITERAL}'; END",
        f"CREATE TRIGGER {SCHEMA}.trg_ledger_audit BEFORE INSERT ON {SCHEMA}.customer_ledger FOR EACH ROW"
        " SET NEW.ledger_note = UPPER(NEW.ledger_note)",
        f"CREATE EVENT {SCHEMA}.ev_purge_ledger ON SCHEDULE EVERY 1 DAY DO DELETE FROM {SCHEMA}.customer_ledger",
    ]
    for sql in statements:
        server.admin(sql)
    server.create_user(PLANTED_USER, "planted-user-pw-1", ["SELECT ON *.*"])
    defaults = tmp_path / "client.cnf"
    defaults.write_text(f"[client]\nuser = root\npassword = {server.root_password}\n", encoding="utf-8")
    defaults.chmod(0o600)
    return defaults


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MariaDBServer, Path]]:
    from tests import servers

    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    base = tmp_path_factory.mktemp("redaction")
    config = base / "my.cnf"
    config.write_text(f"[mysqld]\nmax_connections = 90\n\n[client]\nuser = {PLANTED_USER}\n"
                      f"password = {PLANTED_CNF_SECRET}\n", encoding="utf-8")
    server = servers.start_mariadb(base / "server", defaults_file=config)
    try:
        defaults = _setup(server, base)
        yield server, defaults
    finally:
        servers.stop_all([server])
        servers.discard(server)


class _BusyClient:
    """A session of the planted account running a statement with a literal during the collection."""

    def __init__(self, server: MariaDBServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()

    def _run(self) -> None:
        with self.server.connect(PLANTED_USER, "planted-user-pw-1") as conn, conn.cursor() as cur:
            self.ready.set()
            cur.execute(f"SELECT SLEEP(4), '{PLANTED_LITERAL}'")
            cur.fetchall()

    def __enter__(self) -> _BusyClient:
        self.thread.start()
        self.ready.wait(10)
        time.sleep(0.3)
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join(20)


def _run(server: MariaDBServer, defaults: Path, out: Path, *extra: str) -> tuple[Path, dict[str, bytes], str]:
    out.mkdir(parents=True, exist_ok=True)
    with _BusyClient(server):
        result = run_cli([f"--defaults-file={defaults}", f"--host={server.host}", f"--port={server.port}",
                          *FAST, f"--output={out}", "--no-draft", *extra])
    assert result.returncode == 0, result.stderr
    archive = Path(result.stdout.strip().splitlines()[-1])
    return archive, read_archive(archive), result.stderr


def _blob(files: Mapping[str, bytes]) -> bytes:
    return b"\n".join([*files.values(), *(name.encode() for name in files)])


def _always_clean(server: MariaDBServer, files: dict[str, bytes]) -> None:
    blob = _blob(files)
    for secret in (server.root_password, PLANTED_LITERAL, PLANTED_BODY_LITERAL, PLANTED_CNF_SECRET,
                   "planted-user-pw-1"):
        assert secret.encode() not in blob, secret


@pytest.mark.parametrize("redact", ["", "hostnames,ips", "users", "identifiers", "hostnames,ips,users,identifiers"])
def test_planted_secrets_never_reach_the_archive(planted, tmp_path: Path, redact: str) -> None:
    server, defaults = planted
    extra = [f"--redact={redact}"] if redact else []
    archive, files, stderr = _run(server, defaults, tmp_path / "out", *extra)
    _always_clean(server, files)
    manifest = json.loads(files["manifest.json"])
    assert manifest["redaction"]["classes"] == list(parse_classes(redact))
    assert "secrets" in manifest["redaction"]["always"] and "query_literals" in manifest["redaction"]["always"]
    map_path = archive.parent / redaction_map_name(archive.name[len("ps_archive_"):-len(".tgz")])
    assert map_path.exists() == bool(redact)
    if redact:
        assert f"redaction map (keep it private): {map_path}" in stderr
        assert (map_path.stat().st_mode & 0o777) == 0o600
    # every manifest checksum verifies
    import hashlib
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]


def test_identifiers_leave_no_name_and_the_map_decodes_them(planted, tmp_path: Path) -> None:
    server, defaults = planted
    archive, files, _ = _run(server, defaults, tmp_path / "out", "--redact=identifiers")
    blob = _blob(files)
    for name in IDENTIFIERS:
        assert name.encode() not in blob, name
    document = json.loads(archive.with_name(archive.name.replace(".tgz", ".redaction-map.json")).read_text())
    identifiers = document["map"]["identifiers"]
    assert set(IDENTIFIERS) <= set(identifiers.values())
    for pseudonym in set(PSEUDONYM.findall(blob)):
        assert pseudonym.decode() in identifiers, pseudonym
    manifest = json.loads(files["manifest.json"])
    assert manifest["redaction"]["counts"]["identifiers"] == len(identifiers)
    assert not any(name in json.dumps(manifest["redaction"]) for name in IDENTIFIERS)
    # the same pseudonyms in facts, readiness and the report; findings stay meaningful
    reverse = {v: k for k, v in identifiers.items()}
    ledger = f"{reverse[SCHEMA]}.{reverse['customer_ledger']}"
    readiness = json.loads(files["readiness.json"])
    unique = next(c for c in readiness["checks"] if c["id"] == "unique_key")
    assert unique["status"] == "fail" and unique["objects"] == [ledger]
    facts = json.loads(files["facts.json"])
    assert {f"{t['schema']}.{t['name']}" for t in facts["tables"]} == {
        ledger, f"{reverse[SCHEMA]}.{reverse['zeta_orders']}"}
    report = next(v for k, v in files.items() if k.startswith("ps_report_")).decode()
    assert ledger in report
    assert f"`{reverse[SCHEMA]}`.`{reverse['customer_ledger']}`" in unique["remediation"]
    ddl = next(v for k, v in files.items() if k.endswith("/mysqldump")).decode()
    assert f"CREATE TABLE `{reverse['zeta_orders']}`" in ddl
    assert f"`{reverse['order_ref']}` int(11) NOT NULL" in ddl
    assert "PRIMARY KEY" in ddl and "CREATE DEFINER" in ddl
    views = next(c for c in readiness["checks"] if c["id"] == "views")
    assert views["objects"] == [f"{reverse[SCHEMA]}.{reverse['v_big_orders']}"]


def test_users_hostnames_and_ips(planted, tmp_path: Path) -> None:
    server, defaults = planted
    archive, files, _ = _run(server, defaults, tmp_path / "out", "--redact=users,hostnames,ips")
    blob = _blob(files)
    document = json.loads(archive.with_name(archive.name.replace(".tgz", ".redaction-map.json")).read_text())
    users = document["map"]["users"]
    assert PLANTED_USER in users.values() and "root" in users.values()
    assert PLANTED_USER.encode() not in blob
    facts = json.loads(files["facts.json"])
    user_groups = {g["value"] for g in facts["processlist"]["groups"]["user"]}
    reverse_users = {v: k for k, v in users.items()}
    assert reverse_users[PLANTED_USER] in user_groups  # the planted session, pseudonymised
    assert facts["source"]["user"] == reverse_users["root"]
    assert facts["server"]["current_user"].startswith(reverse_users["root"] + "@")
    ddl = next(v for k, v in files.items() if k.endswith("/mysqldump")).decode()
    assert f"DEFINER=`{reverse_users['root']}`@`localhost`" in ddl  # loopback names are kept
    hostname = server.admin("SELECT @@hostname")[0][0]
    hosts = document["map"]["hostnames"]
    assert hostname in hosts.values()
    assert re.search(rb"(?<![0-9A-Za-z_])" + re.escape(hostname.encode()) + rb"(?![0-9A-Za-z_])", blob) is None
    assert facts["server"]["hostname"] == {v: k for k, v in hosts.items()}[hostname]
    assert facts["source"]["host"] == "127.0.0.1"  # loopback addresses are kept (documented)
    for pseudonym in set(PSEUDONYM.findall(blob)):
        cls = {"user": "users", "host": "hostnames", "ip": "ips"}[pseudonym.decode().split("-")[0]]
        assert pseudonym.decode() in document["map"][cls]


def _content(facts: dict[str, Any], ddl: str, config: str | None = None) -> tuple[Derived, ArchiveInputs]:
    samples = {"mysqldump": ddl}
    if config is not None:
        samples["mysql-config-file"] = config
    return derive(facts), ArchiveInputs("2026_01_01_00_00_00", samples=samples, secrets=["s3cret-pw-value"])


_FACTS: dict[str, Any] = {
    "format_version": 1,
    "source": {"host": "db7.corp.example", "port": 3306, "user": "app_writer", "via": "tcp"},
    "server": {"hostname": "db7", "current_user": "app_writer@10.1.2.3", "version": "10.11.19-MariaDB",
               "datadir": "/srv/db7/data/"},
    "variables": {"hostname": "db7", "report_host": "db7.corp.example", "bind_address": "10.1.2.3",
                  "version": "10.11.19-MariaDB", "wsrep_sst_auth": "sst:hunter22", "init_connect": "",
                  "wsrep_cluster_address": "gcomm://10.1.2.4:4567,fe80::1234:5678"},
    "databases": ["information_schema", "mysql", "shop_main"],
    "schemas": [{"name": "shop_main", "tables": 1}],
    "tables": [{"schema": "shop_main", "name": "orders_archive", "engine": "InnoDB", "primary_key": None,
                "unique_key": None}],
    "replication": {"sources": [{"source_host": "10.9.8.7", "last_error": "error connecting to db-src-1"}],
                    "replicas": [{"host": "db-replica-2", "port": 3306}]},
    "processlist": {"total": 2, "groups": {"user": [{"value": "app_writer", "count": 1}],
                                           "host": [{"value": "10.1.2.99", "count": 1}],
                                           "db": [{"value": "shop_main", "count": 1}]}},
    "workload": {"digests": [{"schema": "shop_main", "digest_text":
                              "SELECT * FROM `orders_archive` WHERE note = 'leaked-literal-1' AND id = ?"}]},
}
_DDL = ("CREATE TABLE `orders_archive` (\n  `archived_note` varchar(9) DEFAULT 'keep-default'\n)"
        " ENGINE=InnoDB;\n\nCREATE DEFINER=`app_writer`@`10.1.2.3` VIEW `shop_main`.`v_recent` AS select"
        " `shop_main`.`orders_archive`.`archived_note` AS `archived_note` from `shop_main`.`orders_archive`"
        " where `archived_note` = 'view-literal-9';\n")


def test_unit_all_classes_structured_and_text() -> None:
    content = _content(_FACTS, _DDL, "[client]\nuser = app_writer\npassword = cnf-pw-77\nhost = 10.1.2.3\n")
    prepared = build(*content, ("hostnames", "ips", "users", "identifiers"))
    blob = _blob(prepared.files)
    for original in ("db7", "corp.example", "10.1.2.3", "10.1.2.4", "10.9.8.7", "10.1.2.99", "fe80::1234:5678",
                     "db-replica-2", "app_writer", "shop_main", "orders_archive", "archived_note",
                     "v_recent", "hunter22", "cnf-pw-77", "leaked-literal-1", "view-literal-9", "s3cret-pw-value"):
        assert original.encode() not in blob, original
    assert b"10.11.19-MariaDB" in blob  # version numbers are not addresses
    # a host name known only from free text (an error message) cannot be recognised: documented
    assert b"error connecting to db-src-1" in blob
    assert b"keep-default" in blob  # CREATE TABLE keeps its literals
    mapping = prepared.redactor.mapping()
    assert mapping["ips"]["ip-001"] in {"10.1.2.3", "10.1.2.99", "10.9.8.7", "10.1.2.4"}
    facts = json.loads(prepared.files["facts.json"])
    assert facts["source"]["host"].startswith("host-")
    assert re.fullmatch(r"user-\d{3}@ip-\d{3}", facts["server"]["current_user"])
    assert facts["workload"]["digests"][0]["digest_text"].startswith("SELECT * FROM `table-")


def test_build_removes_the_option_files_passwords_and_renders_the_report_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """One build: the option file is redacted once and the report rendered once (before, the option file went
    through redact_option_text twice and, with a class, the report was rendered twice per archive)."""
    import collectors.redact
    import prechecks.bundle
    import prechecks.report

    calls: Counter[str] = Counter()

    def count(module: Any, name: str) -> None:
        original = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    count(collectors.redact, "redact_option_text")
    count(prechecks.bundle, "redact_option_text")
    count(prechecks.report, "render_report")
    prepared = build(*_content(_FACTS, _DDL, "[client]\npassword = cnf-pw-77\n"), ("identifiers",))
    assert calls == {"redact_option_text": 1, "render_report": 1}
    assert b"cnf-pw-77" not in _blob(prepared.files)
    assert json.loads(prepared.files["facts.json"])["config_file"]["redacted"] == ["client.password"]


def test_the_derived_readiness_is_redacted_not_evaluated_again() -> None:
    """readiness.json is the derived document (what the wizard's Findings shows) with the archive's pseudonyms:
    every object, and the names in the detail and the fix, even a short one the text pass leaves alone."""
    facts = {**_FACTS, "tables": [
        {"schema": "shop_main", "name": "a1", "engine": "InnoDB", "unique_key": None},
        {"schema": "shop_main", "name": "orders_archive", "engine": "InnoDB", "unique_key": None}]}
    derived = derive(facts)
    before = json.dumps(derived.readiness, sort_keys=True)
    inputs = ArchiveInputs("2026_01_01_00_00_00", secrets=["s3cret-pw-value"])
    prepared = build(derived, inputs, ("identifiers",))
    assert json.dumps(derived.readiness, sort_keys=True) == before  # the Findings page's copy is not changed
    readiness = json.loads(prepared.files["readiness.json"])
    tables = {(t["schema"], t["name"]) for t in json.loads(prepared.files["facts.json"])["tables"]}
    unique = next(c for c in readiness["checks"] if c["id"] == "unique_key")
    original = next(c for c in derived.readiness["checks"] if c["id"] == "unique_key")
    assert original["objects"] == ["shop_main.a1", "shop_main.orders_archive"]
    assert [tuple(o.split(".")) for o in unique["objects"]] == sorted(tables)  # the facts' pseudonyms, in order
    assert all(re.fullmatch(r"schema-\d{3}\.table-\d{3}", o) for o in unique["objects"])
    assert unique["status"] == original["status"] == "fail"
    for text in (unique["detail"], unique["remediation"]):
        assert re.search(r"\b(?:a1|shop_main|orders_archive)\b", text) is None, text
    schema, table = unique["objects"][0].split(".")
    assert f"`{schema}`.`{table}`" in unique["remediation"] and ", ".join(unique["objects"]) in unique["detail"]
    assert [c["id"] for c in readiness["checks"]] == [c["id"] for c in derived.readiness["checks"]]
    plain = build(derived, inputs)  # without classes: the derived document as it is
    assert json.loads(plain.files["readiness.json"]) == json.loads(json.dumps(derived.readiness))


def test_a_slow_log_files_statement_reaches_readiness_through_derive() -> None:
    """A slow log file read apart from the server is a source of derive(): the statements' readiness rule names
    its statement, and the archive's readiness.json names it as the archive's redacted facts.json holds it."""
    statement = "select json_table(`note`, ?) from `shop_main`.`orders_archive` where `archived_note` = ?"
    files = {"read": True, "fingerprints": 1,
             "digests": [{"fingerprint": statement, "count": 1, "total_seconds": 1.0, "max_seconds": 1.0}]}
    derived = derive(_FACTS, slow_log_files=files)
    check = next(c for c in derived.readiness["checks"] if c["id"] == "unsupported_statements")
    assert check["status"] == "fail" and check["objects"] == [statement]
    assert derive(_FACTS).readiness != derived.readiness  # without the file the rule had nothing to look at
    prepared = build(derived, ArchiveInputs("2026_01_01_00_00_00", secrets=["s3cret-pw-value"]), ("identifiers",))
    in_facts = json.loads(prepared.files["facts.json"])["slow_log"]["files"]["digests"][0]["fingerprint"]
    archived = next(c for c in json.loads(prepared.files["readiness.json"])["checks"]
                    if c["id"] == "unsupported_statements")
    assert archived["objects"] == [in_facts] and in_facts != statement
    assert in_facts in archived["detail"]
    for name in ("shop_main", "orders_archive", "archived_note"):
        assert name not in json.dumps(archived), name


def test_the_word_pass_replaces_what_one_alternative_per_name_replaced() -> None:
    """Learnt names are found in free text as whole runs of word characters looked up by name, and names with
    other characters (a host's dots, a hyphen, a space) as alternatives tried first: the same replacements as the
    single alternation of every name, longest first, that it replaces (a reference copy of it below), over
    texts made of the names, their parts and neighbours, next to every kind of separator."""
    import random

    from prechecks.redaction import _WORD_CHARS

    redactor = Redactor(("identifiers", "users", "hostnames"))
    for name in ("orders", "orders_archive", "tenant_00042", "tenant_000420", "my-table", "my", "ünïcode", "a$b",
                 "shop main", "db1", "db1.example.com", "example.com", "t00"):
        redactor.ident(name, "table")
    redactor.user("app_rw")
    redactor.host("db1.corp.example")
    assert redactor.text("") == ""  # learns the pattern
    targets = dict(redactor._word_targets)
    assert {"orders", "my-table", "db1.example.com", "app_rw", "db1.corp.example"} <= set(targets)
    alternatives = "|".join(re.escape(t) for t in sorted(targets, key=len, reverse=True))
    reference = re.compile(f"(?<![{_WORD_CHARS}])(?:{alternatives})(?![{_WORD_CHARS}])")
    pieces = [*targets, "order", "ordersx", "xorders", "tenant_0004", "my-", "-table", "db1.", ".com", "$", "_",
              "ü", "t00t00", "shop", "main", "corp", "example"]
    separators = ["", " ", ".", "-", "`", "'", '"', "\n", ",", "(", ")", "=", "$", "_", "ü", "\t", "/", ":"]
    rng = random.Random(1851)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(separators) for _ in range(rng.randint(1, 8)))
        assert redactor.text(text) == reference.sub(lambda m: targets[m.group()], text), text
    assert redactor.text("SELECT * FROM orders JOIN `my-table` ON db1.example.com") == (
        f"SELECT * FROM {targets['orders']} JOIN `{targets['my-table']}` ON {targets['db1.example.com']}")


def test_unit_always_on_without_classes() -> None:
    prepared = build(*_content(_FACTS, _DDL))
    blob = _blob(prepared.files)
    for secret in ("hunter22", "leaked-literal-1", "view-literal-9", "s3cret-pw-value"):
        assert secret.encode() not in blob, secret
    assert b"shop_main" in blob and b"10.1.2.3" in blob  # nothing else changes
    assert json.loads(prepared.files["manifest.json"])["redaction"] == {
        "always": ["secrets", "query_literals"], "classes": [], "counts": {}}


def test_preview_is_exactly_what_is_written(tmp_path: Path) -> None:
    content = _content(_FACTS, _DDL)
    classes = ("hostnames", "ips", "users", "identifiers")
    shown = build(*content, classes).preview()
    archive = write_bundle(build(*content, classes), tmp_path)
    written = read_archive(archive)
    assert [f.path for f in shown] == sorted(written)
    for item in shown:
        data = written[item.path]
        assert item.size == len(data)
        assert item.text is not None and item.text.encode() == data
    # a prepared bundle is saved byte for byte
    prepared = build(*content, classes)
    other = tmp_path / "other"
    other.mkdir()
    assert read_archive(write_bundle(prepared, other)) == prepared.files


def test_map_and_archive_appear_together(tmp_path: Path) -> None:
    content = _content(_FACTS, _DDL)

    def fail() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_bundle(build(*content, ("identifiers",)), tmp_path, before_rename=fail)
    assert os.listdir(tmp_path) == []
    archive = write_bundle(build(*content, ("identifiers",)), tmp_path)
    assert sorted(os.listdir(tmp_path)) == sorted([archive.name, redaction_map_name(content[1].timestamp)])
    without = tmp_path / "plain"
    without.mkdir()
    write_bundle(build(*content), without)
    assert os.listdir(without) == [archive.name]


def test_cli_rejects_unknown_classes(tmp_path: Path) -> None:
    result = run_cli(["--redact=ips,emails", f"--output={tmp_path}"])
    assert result.returncode == 2
    assert "emails" in result.stderr and "hostnames, ips, users, identifiers" in result.stderr


def test_addresses_and_versions() -> None:
    redactor = Redactor(["ips"])
    text = "v 10.11.19-MariaDB, 5.7.44.1x, at 10.0.0.5:3306, 127.0.0.1, ::1, 2001:db8::7, 09:41:39, 1.2.3.4."
    out = redactor.text(text)
    assert "10.11.19-MariaDB" in out and "127.0.0.1" in out and "::1" in out and "09:41:39" in out
    assert "10.0.0.5" not in out and "2001:db8::7" not in out and "1.2.3.4" not in out
    assert redactor.text(text) == out  # consistent


def test_planted_secrets_reach_no_draft_log_or_setting(planted, tmp_path: Path) -> None:
    """The same planted run with a draft saved: nothing under the user's data, state, config or cache
    dirs, nor stdout/stderr, holds a planted secret."""
    server, defaults = planted
    home = tmp_path / "home"
    dirs = {name: home / name for name in ("data", "state", "config", "cache")}
    for directory in dirs.values():
        directory.mkdir(parents=True)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"team.members": "two DBAs"}), encoding="utf-8")
    env = {"HOME": str(home), "XDG_DATA_HOME": str(dirs["data"]), "XDG_STATE_HOME": str(dirs["state"]),
           "XDG_CONFIG_HOME": str(dirs["config"]), "XDG_CACHE_HOME": str(dirs["cache"])}
    out = tmp_path / "out"
    out.mkdir()
    with _BusyClient(server):
        result = run_cli([f"--defaults-file={defaults}", f"--host={server.host}", f"--port={server.port}",
                          *FAST, f"--output={out}", f"--answers={answers}"], env=env)
    assert result.returncode == 0, result.stderr
    _always_clean(server, read_archive(Path(result.stdout.strip().splitlines()[-1])))
    written = [p for p in home.rglob("*") if p.is_file()]
    assert any("drafts" in p.parts for p in written), written  # a draft was saved
    blob = b"\n".join([result.stdout.encode(), result.stderr.encode(), *(p.read_bytes() for p in written)])
    for secret in (server.root_password, PLANTED_LITERAL, PLANTED_BODY_LITERAL, PLANTED_CNF_SECRET,
                   "planted-user-pw-1"):
        assert secret.encode() not in blob, secret


def test_a_password_that_is_a_server_word_is_hidden_where_it_is_a_password_only(tmp_path: Path) -> None:
    """Issue 13, finding 8: with the password InnoDB, replacing every equal word showed ENGINE=<redacted>.
    The account's password is InnoDB and the server's option file says so (password = InnoDB) next to
    default_storage_engine = InnoDB: the password's places are redacted, the engine stays, and the run warns."""
    from tests import servers

    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    config = tmp_path / "my.cnf"
    config.write_text("[mysqld]\ndefault_storage_engine = InnoDB\n\n[client]\nuser = weak_app\n"
                      "password = InnoDB\n", encoding="utf-8")
    server = servers.start_mariadb(tmp_path / "server", defaults_file=config)
    try:
        server.create_user("weak_app", "InnoDB", ["ALL PRIVILEGES ON *.*"])
        server.admin("CREATE DATABASE weak_shop")
        server.admin("CREATE TABLE weak_shop.orders (id INT PRIMARY KEY) ENGINE=InnoDB")
        out = tmp_path / "out"
        out.mkdir()
        result = run_cli([f"--host={server.host}", f"--port={server.port}", "--user=weak_app", *FAST,
                          f"--output={out}", "--no-draft"], password="InnoDB")
        servers_file = tmp_path / "servers.toml"
        servers_file.write_text(f'[[server]]\nname = "weak"\nhost = "{server.host}"\nport = {server.port}\n'
                                'user = "weak_app"\npassword_env = "WEAK_PW"\n', encoding="utf-8")
        # its own folder: two archives finished in the same second share a name, and the second replaced the first
        several_out = tmp_path / "out-servers"
        several_out.mkdir()
        several = run_cli(["--servers", str(servers_file), *FAST, f"--output={several_out}"],
                          env={"WEAK_PW": "InnoDB"})
    finally:
        servers.stop_all([server])
        servers.discard(server)
    assert result.returncode == 0, result.stderr
    files = read_archive(Path(result.stdout.strip().splitlines()[-1]))
    sample = {name.rsplit("/", 1)[-1]: data.decode() for name, data in files.items() if "ps_samples_" in name}
    assert "ENGINE=InnoDB" in sample["mysqldump"]  # it read ENGINE=<redacted>
    assert "default_storage_engine = InnoDB" in sample["mysql-config-file"]
    assert "password = <redacted>" in sample["mysql-config-file"]
    for name, data in files.items():  # never where it is a password
        assert re.search(rb"(?i)(?:password|-p)\s*[=:]?\s*['\"]?InnoDB", data) is None, name
    warning = ("ps-prechecks: warning: a password given to this run is a word the server itself uses (an SQL "
               "keyword, an engine, a character set or a variable name): the archive hides it only where a "
               "password can be")
    assert warning in result.stderr
    assert several.returncode == 0, several.stderr
    assert warning.replace("ps-prechecks: ", "ps-prechecks: server weak: ") in several.stderr
    manifest = json.loads(files["manifest.json"])
    assert [w.split(":")[0] for w in manifest["redaction"]["warnings"]] == [
        "a password given to this run is a word the server itself uses (an SQL keyword, an engine, a character "
        "set or a variable name)"]
    report = next(data.decode() for name, data in files.items() if name.startswith("ps_report_"))
    assert "a password given to this run is a word the server itself uses" in report.split("## Collection")[1]
