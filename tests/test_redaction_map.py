"""--redaction-map: a second run names what the first run saw with the same pseudonyms (issue 14, item 5).

A real MariaDB server: two CLI runs, a schema created between them, the maps and the archives compared.
A map that cannot be used stops the run before it connects, in one line, exit 2.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from prechecks.redaction import MAP_FORMAT_VERSION, RedactionMapError, Redactor, load_map
from tests.helpers import read_archive, run_cli
from tests.servers import MariaDBServer

FAST = ["--sleep=0.3", "--no-draft"]
OLD_SCHEMA, OLD_TABLE = "otter_shop", "otter_orders"
# created between the runs; it sorts first, so without the map it would take the old schema's number
NEW_SCHEMA, NEW_TABLE = "aardvark_depot", "aardvark_bins"
CLASSES = "identifiers,hostnames,users"


def _defaults(server: MariaDBServer, tmp_path: Path) -> Path:
    defaults = tmp_path / "client.cnf"
    defaults.write_text(f"[client]\nuser = root\npassword = {server.root_password}\n", encoding="utf-8")
    defaults.chmod(0o600)
    return defaults


def _run(server: MariaDBServer, defaults: Path, out: Path, *extra: str) -> tuple[Path, dict[str, bytes], str]:
    out.mkdir(parents=True, exist_ok=True)
    result = run_cli([f"--defaults-file={defaults}", f"--host={server.host}", f"--port={server.port}", *FAST,
                      f"--output={out}", f"--redact={CLASSES}", *extra])
    assert result.returncode == 0, result.stderr
    archive = Path(result.stdout.strip().splitlines()[-1])
    return archive, read_archive(archive), result.stderr


def _map_of(archive: Path) -> Path:
    return archive.with_name(archive.name.removesuffix(".tgz") + ".redaction-map.json")


def _schemas(files: dict[str, bytes]) -> set[str]:
    return {table["schema"] for table in json.loads(files["facts.json"])["tables"]}


def test_second_run_gives_the_first_runs_names_the_same_pseudonyms(mariadb_factory, tmp_path: Path) -> None:
    server = mariadb_factory()
    server.admin(f"CREATE DATABASE {OLD_SCHEMA}")
    server.admin(f"CREATE TABLE {OLD_SCHEMA}.{OLD_TABLE} (order_ref INT PRIMARY KEY, otter_note VARCHAR(20))")
    defaults = _defaults(server, tmp_path)
    first, first_files, _ = _run(server, defaults, tmp_path / "one")
    first_map = json.loads(_map_of(first).read_text(encoding="utf-8"))
    old = {cls: {o: p for p, o in names.items()} for cls, names in first_map["map"].items()}
    assert _schemas(first_files) == {old["identifiers"][OLD_SCHEMA]}

    server.admin(f"CREATE DATABASE {NEW_SCHEMA}")
    server.admin(f"CREATE TABLE {NEW_SCHEMA}.{NEW_TABLE} (bin_ref INT PRIMARY KEY)")
    _map_of(first).chmod(0o644)  # readable by others: used, with a warning
    second, files, stderr = _run(server, defaults, tmp_path / "two", f"--redaction-map={_map_of(first)}")
    assert f"warning: the redaction map {_map_of(first)} can be read by other users (mode 644)" in stderr
    assert f"pseudonyms kept from {_map_of(first)}" in stderr
    second_map = json.loads(_map_of(second).read_text(encoding="utf-8"))
    new = {cls: {o: p for p, o in names.items()} for cls, names in second_map["map"].items()}

    # every name of the first map has the same pseudonym in the second (schemas, tables, columns, hosts, users)
    for cls, names in old.items():
        assert names.items() <= new[cls].items(), cls
    hostname = server.admin("SELECT @@hostname")[0][0]
    assert old["hostnames"][hostname] == new["hostnames"][hostname]
    assert old["users"]["root"] == new["users"]["root"]
    # the new names get the next free numbers of their kind
    old_numbers = {kind: max(int(p.rpartition("-")[2]) for p in first_map["map"]["identifiers"]
                             if p.startswith(kind + "-")) for kind in ("schema", "table")}
    assert new["identifiers"][NEW_SCHEMA] == f"schema-{old_numbers['schema'] + 1:03d}"
    assert new["identifiers"][NEW_TABLE] == f"table-{old_numbers['table'] + 1:03d}"
    # and the second archive says so in its files: the old schema under its old pseudonym, the new one under its own
    assert _schemas(files) == {old["identifiers"][OLD_SCHEMA], new["identifiers"][NEW_SCHEMA]}
    manifest = json.loads(files["manifest.json"])
    assert manifest["redaction"]["pseudonyms_from"] == first.name
    assert second_map["continues"] == first.name

    # the map is never in the archive: no member of its name, neither map's text, none of the names
    blob = b"\n".join([*files.values(), *(name.encode() for name in files)])
    assert not any("redaction-map" in name for name in files)
    assert b"keep this file private" not in blob
    for name in (OLD_SCHEMA, OLD_TABLE, NEW_SCHEMA, NEW_TABLE, "otter_note", "bin_ref", hostname):
        assert name.encode() not in blob, name
    assert (_map_of(second).stat().st_mode & 0o777) == 0o600


def _broken_maps(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Files that are not a usable map -> the words the one line must hold."""
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        return path

    good = {"format_version": MAP_FORMAT_VERSION, "archive": "ps_archive_2026_01_01_00_00_00.tgz",
            "classes": ["identifiers"], "map": {"identifiers": {"schema-001": OLD_SCHEMA}}}
    link = tmp_path / "link.json"
    link.symlink_to(write("target.json", json.dumps(good)))
    other = write("other-user.json", json.dumps(good))
    os.chown(other, 65534, 65534)
    return {
        "not JSON": (write("notes.txt", "schema-001 = otter_shop\n"), "is not a redaction map (not JSON"),
        "another document": (write("answers.json", '{"q1": "yes"}'), "is not a redaction map (no format_version"),
        "newer": (write("newer.json", json.dumps({**good, "format_version": MAP_FORMAT_VERSION + 1})),
                  f"was written by a newer ps-prechecks (map format {MAP_FORMAT_VERSION + 1}"),
        # a pseudonym that is not one (here the original itself) would leave the name in clear
        "original as pseudonym": (write("forged.json", json.dumps(
            {**good, "map": {"identifiers": {OLD_SCHEMA: OLD_SCHEMA}}})),
            f"is not a redaction map ('{OLD_SCHEMA}' is not a pseudonym of identifiers)"),
        "symlink": (link, f"is a symbolic link (to {tmp_path / 'target.json'})"),
        "another user's": (other, "belongs to another user (uid 65534)"),
        "missing": (tmp_path / "nowhere.json", "No such file or directory"),
        "a folder": (tmp_path, "is not a regular file"),
    }


@pytest.mark.parametrize("case", ["not JSON", "another document", "newer", "original as pseudonym", "symlink",
                                  "another user's", "missing", "a folder"])
def test_an_unusable_map_stops_before_connecting_in_one_line(tmp_path: Path, case: str) -> None:
    if case == "another user's" and os.getuid() != 0:
        pytest.skip("only root can give a file to another user")
    path, words = _broken_maps(tmp_path)[case]
    out = tmp_path / "out"
    out.mkdir()
    # nothing listens on port 9 of 127.0.0.1: a run that connected would fail with exit 1, not 2
    result = run_cli(["--host=127.0.0.1", "--port=9", "--user=nobody", *FAST, f"--output={out}",
                      "--redact=identifiers", f"--redaction-map={path}"])
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ps-prechecks: --redaction-map {path}"), result.stderr
    assert words in lines[0] and " — " in lines[0], lines[0]
    assert "connecting" not in result.stderr
    assert list(out.iterdir()) == []


def test_a_map_without_redact_is_refused_naming_the_maps_classes(tmp_path: Path) -> None:
    path = tmp_path / "earlier.redaction-map.json"
    path.write_text(json.dumps({"format_version": 1, "classes": ["hostnames", "identifiers"],
                                "map": {"hostnames": {"host-001": "db1.example"}}}), encoding="utf-8")
    path.chmod(0o600)
    result = run_cli(["--host=127.0.0.1", "--port=9", *FAST, f"--output={tmp_path}", f"--redaction-map={path}"])
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == ("ps-prechecks: --redaction-map replaces nothing without --redact — add "
                                     "--redact=hostnames,identifiers (the classes of that map) or leave out "
                                     "--redaction-map")


def _earlier(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    path.chmod(0o600)
    return path


def test_the_classes_asked_for_decide_what_is_replaced_the_map_only_the_names(tmp_path: Path) -> None:
    earlier = load_map(_earlier(tmp_path, {"format_version": 1, "classes": ["hostnames", "identifiers"], "map": {
        "hostnames": {"host-004": "db1.example"},
        "identifiers": {"schema-002": "otter_shop", "table-009": "otter_orders"}}}))
    redactor = Redactor(["identifiers"], earlier=earlier)
    assert earlier.class_warnings(redactor.classes) == [
        f"the earlier map {earlier.path} replaced hostnames, this run does not (--redact=identifiers): they appear in "
        "clear in this archive — add them to --redact if that is not what you meant"]
    # a hostname is not replaced (its class was not asked for), though the map names it
    assert redactor.host("db1.example") == "db1.example"
    assert redactor.ident("otter_shop", "schema") == "schema-002"
    # seen first as a column now: it keeps the pseudonym (and the kind) the earlier run gave it
    assert redactor.ident("otter_orders", "column") == "table-009"
    assert redactor.ident("heron_log", "table") == "table-010"
    assert redactor.ident("heron_day", "column") == "column-001"
    assert redactor.identifier_counts() == {"table": 2, "column": 1, "schema": 1}
    assert redactor.counts() == {"identifiers": 4}  # this archive's names only
    document = redactor.map_document("ps_archive_2026_02_02_00_00_00.tgz")
    assert document["classes"] == ["identifiers"]
    assert document["map"] == {  # the earlier entries kept, the hostnames too: a later run keeps them all
        "hostnames": {"host-004": "db1.example"},
        "identifiers": {"column-001": "heron_day", "schema-002": "otter_shop", "table-009": "otter_orders",
                        "table-010": "heron_log"}}
    assert json.loads(json.dumps(document)) == document


@pytest.mark.parametrize("document, words", [
    ({"format_version": 1, "classes": ["identifiers"], "map": {"identifiers": {"user-001": "otter_shop"}}},
     "'user-001' is not a pseudonym of identifiers"),
    ({"format_version": 1, "classes": ["identifiers"], "map": {"identifiers": {"schema-1": "otter_shop"}}},
     "'schema-1' is not a pseudonym of identifiers"),
    ({"format_version": 1, "classes": ["identifiers"],
      "map": {"identifiers": {"schema-001": "otter_shop", "schema-002": "otter_shop"}}},
     "one name under two pseudonyms, schema-001 and schema-002"),
    ({"format_version": 1, "classes": ["cities"], "map": {}}, "classes ['cities']"),
    ({"format_version": "1", "classes": [], "map": {}}, "format_version '1'"),
    ({"format_version": 1, "classes": [], "map": {"identifiers": {"schema-001": ""}}}, "schema-001 has no name"),
])
def test_a_map_that_could_leave_a_name_in_clear_is_refused(tmp_path: Path, document: dict[str, Any],
                                                           words: str) -> None:
    with pytest.raises(RedactionMapError, match=re.escape(words)):
        load_map(_earlier(tmp_path, document))


def test_servers_file_runs_take_the_earlier_names_too(mariadb_factory, tmp_path: Path) -> None:
    server = mariadb_factory()
    server.admin(f"CREATE DATABASE {OLD_SCHEMA}")
    server.admin(f"CREATE TABLE {OLD_SCHEMA}.{OLD_TABLE} (order_ref INT PRIMARY KEY)")
    servers = tmp_path / "servers.toml"
    servers.write_text(f'[[server]]\nname = "db1"\nhost = "{server.host}"\nport = {server.port}\nuser = "root"\n'
                       'password_env = "DB1_PW"\n', encoding="utf-8")
    servers.chmod(0o600)
    earlier = _earlier(tmp_path, {"format_version": 1, "classes": ["identifiers"],
                                  "map": {"identifiers": {"schema-005": OLD_SCHEMA, "table-002": OLD_TABLE}}})
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(["--servers", str(servers), "--sleep=0.1", f"--output={out}", "--redact=identifiers",
                      f"--redaction-map={earlier}"], env={"DB1_PW": server.root_password, "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    archive = Path(result.stdout.strip().splitlines()[-1])
    facts = json.loads(read_archive(archive)["db1/facts.json"])
    assert {(t["schema"], t["name"]) for t in facts["tables"]} == {("schema-005", "table-002")}
    document = json.loads(_map_of(archive).read_text(encoding="utf-8"))
    assert document["map"]["identifiers"]["schema-005"] == OLD_SCHEMA
