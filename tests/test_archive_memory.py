"""The archive of a server with thousands of schemas (issue 18): facts.json is written without the copies that
made the build's peak memory several times the size of the facts.

tracemalloc counts what Python allocates while one step runs; the bounds are multiples of the text's own size,
not seconds or megabytes of this machine.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import tracemalloc
from collections.abc import Callable
from typing import Any

from collectors.redact import scrub_ddl_literals
from prechecks.archive_files import COMPRESS_AT, ArchiveFiles
from prechecks.bundle import _PIECE_CHARS, _ddl_pieces, facts_pieces, facts_text, json_copy
from prechecks.redaction import Redactor


def _tenant_facts(schemas: int) -> dict[str, Any]:
    """The shape of a schema-per-tenant server's facts: ten small tables a schema, each with its keys."""
    tables = [{"schema": f"tenant_{s:05d}", "name": f"t{t:02d}", "engine": "InnoDB", "charset": "utf8mb4",
               "columns": 4, "primary_key": ["id"], "unique_key": "PRIMARY", "float_primary_key": [],
               "partition_method": None, "subpartition_method": None, "rows": t * 3, "data_bytes": 16384}
              for s in range(schemas) for t in range(10)]
    types = {f"tenant_{s:05d}": {"column_types": {"bigint": 10, "datetime": 10, "varchar": 10}, "fulltext_indexes": 0,
                                 "index_types": {"BTREE": 21}, "json_columns": 3, "spatial_columns": 0}
             for s in range(schemas)}
    return {"tables": tables, "schema_types": types, "server": {"version": "10.11.6-MariaDB", "name": "ünïcode"}}


def _peak(step: Callable[[], str]) -> tuple[str, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        text = step()
        return text, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_facts_json_is_the_sorted_indented_document_and_costs_little_more_than_its_text() -> None:
    facts = _tenant_facts(300)
    text, peak = _peak(lambda: facts_text(facts))
    assert text == json.dumps(facts, indent=2, sort_keys=True) + "\n"
    assert len(text) > 1_000_000
    # json.dumps with an indent keeps every piece the encoder yields until the end: ~5x the text here
    assert peak < 3 * len(text), (peak, len(text))


def test_facts_json_is_made_a_piece_at_a_time_each_cut_where_the_text_pass_may_cut() -> None:
    """The build never holds facts.json's whole text: its pieces go through the text pass, are encoded and
    compressed one at a time. Each piece but the last ends right after a newline following , { or [."""
    facts = _tenant_facts(3000)
    whole = json.dumps(facts, indent=2, sort_keys=True) + "\n"
    pieces = list(facts_pieces(facts))
    assert "".join(pieces) == whole
    assert len(pieces) > 4 and all(piece.endswith((",\n", "{\n", "[\n")) for piece in pieces[:-1])

    def consume() -> str:
        longest = ""
        for piece in facts_pieces(facts):  # as build() takes them: each let go before the next
            longest = max(longest, piece[-10:])
        return longest

    _, peak = _peak(consume)
    assert len(whole) > 10 * _PIECE_CHARS
    # the piece being made, the one being cut and the consumer's last: a few pieces, whatever the whole
    assert peak < 4 * _PIECE_CHARS, (peak, len(whole))


def test_the_text_pass_in_pieces_is_the_text_pass_of_the_whole() -> None:
    """A secret, an address or a learnt name next to a cut is replaced as in the whole text; a secret that holds a
    newline (it could span a cut) makes the pass join the pieces."""
    secrets = ["s3cr3t-Passw0rd-42", "InnoDB"]  # a distinctive one; a common one, replaced where a password can be
    facts = _tenant_facts(1500)
    for i in range(0, len(facts["tables"]), 997):
        facts["tables"][i]["comment"] = "password = InnoDB; from 10.0.0.7 via mysql://app:s3cr3t-Passw0rd-42@db7"
    pieces = list(facts_pieces(facts))
    whole = "".join(pieces)
    for classes in ((), ("ips",)):
        redactor = Redactor(classes, secrets=secrets)
        expected = Redactor(classes, secrets=secrets).text(whole)
        assert "s3cr3t" not in expected and "password = <redacted>" in expected
        assert "".join(redactor.text_chunks(iter(pieces))) == expected
    pieces = ["a,\n", "b line one\n", "line two\n"]
    joined = list(Redactor((), secrets=["line one\nline two"]).text_chunks(iter(pieces)))
    assert joined == ["a,\nb <redacted>\n"]


def test_archive_files_hold_a_large_file_compressed_and_give_back_the_same_bytes() -> None:
    big = ("".join(f'{{"schema": "tenant_{n:05d}", "name": "t{n % 10:02d}"}},\n' for n in range(60_000))).encode()
    assert len(big) > COMPRESS_AT
    files = ArchiveFiles()
    files.add_chunks("facts.json", (big[i:i + 100_000] for i in range(0, len(big), 100_000)))
    files["small.txt"] = b"tiny\n"
    files["empty"] = b""
    assert files["facts.json"] == big and files["small.txt"] == b"tiny\n" and files["empty"] == b""
    assert files.size("facts.json") == len(big) and files.sha256("facts.json") == hashlib.sha256(big).hexdigest()
    assert len(files._entries["facts.json"].data) < len(big) / 5  # held compressed
    with files.open("facts.json") as reader:
        assert reader.read(7) == big[:7]
        assert reader.read() == big[7:]
    other = ArchiveFiles()
    other.adopt("server-a/facts.json", files, "facts.json")
    assert other["server-a/facts.json"] == big
    assert dict(files) == {"facts.json": big, "small.txt": b"tiny\n", "empty": b""}
    assert files.pop("small.txt") == b"tiny\n" and sorted(files) == ["empty", "facts.json"]


def test_the_schema_dump_in_pieces_is_scrubbed_as_the_whole() -> None:
    statements = []
    for n in range(40_000):
        statements.append(f"CREATE TABLE `t{n}` (`a` enum('x','y') DEFAULT 'x') ENGINE=InnoDB;\n")
        if n % 1000 == 0:
            statements.append(f"CREATE VIEW `v{n}` AS select 'secret literal {n}' AS `c`;\n")
    ddl = "".join(statements).rstrip("\n")  # the sample file gets its newline at the end
    pieces = list(_ddl_pieces(ddl, Redactor()))
    assert len(pieces) > 2
    assert "".join(pieces) == scrub_ddl_literals(ddl) + "\n"
    assert "secret literal" not in "".join(pieces) and "enum('x','y') DEFAULT 'x'" in pieces[0]


def test_the_renaming_pass_gives_the_schema_dump_in_pieces() -> None:
    """With redaction classes the schema dump goes through the tokenizer once, its result given in pieces cut
    after a statement's ";" and newline (where the text pass may cut): the same text as in one piece, the same
    names learnt, and the peak a fraction of what one piece holds (a list of every token: 700 MB at 100,000
    tables)."""
    statements = []
    for n in range(40_000):
        statements.append(f"CREATE TABLE `t{n % 50}` (`a` enum('x','y') DEFAULT 'x', `b` int COMMENT 'about "
                          f"t{n % 50}') ENGINE=InnoDB;\n")
        if n % 1000 == 0:
            statements.append(f"CREATE DEFINER=`app`@`db1.corp` VIEW `v{n % 7}` AS select 'secret literal {n}' AS "
                              "`c` from `mysql`.`user`;\n")
    ddl = "".join(statements)
    classes = ("identifiers", "users", "hostnames")
    whole_redactor, parts_redactor = Redactor(classes), Redactor(classes)
    (whole,) = whole_redactor.sql_chunks(ddl, ddl=True, tokens=10**9)
    parts = list(parts_redactor.sql_chunks(ddl, ddl=True))
    assert len(parts) > 10 and "".join(parts) == whole == Redactor(classes).sql(ddl, ddl=True)
    assert parts_redactor.mapping() == whole_redactor.mapping()
    assert all(p.endswith("\n") and p.rstrip().endswith(";") for p in parts[:-1])
    assert "secret literal" not in whole and "`t7`" not in whole and "db1.corp" not in whole
    assert "`mysql`.`user`" in whole  # the server's own tables keep their names

    def peak(tokens: int) -> int:
        redactor = Redactor(classes)
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _piece in redactor.sql_chunks(ddl, ddl=True, tokens=tokens):
                pass  # each piece let go, as the archive's writer does
            return tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()

    in_one, in_pieces = peak(10**9), peak(65536)
    assert in_pieces < in_one / 3, (in_pieces, in_one)


def test_the_text_pass_rewrites_the_archive_copy_of_the_facts_in_place() -> None:
    """build() hands Redactor.facts its own JSON copy (copy=False): every string goes through the text pass
    (a password is removed wherever it is) without a second set of every dict and list of the facts."""
    facts = _tenant_facts(300)
    facts["tables"][123]["comment"] = "loaded with s3cr3t-Passw0rd-42 by the import job"
    expected = Redactor((), secrets=["s3cr3t-Passw0rd-42"]).facts(facts)  # copy=True: the input is not changed
    assert "s3cr3t" not in json.dumps(expected) and "s3cr3t" in facts["tables"][123]["comment"]

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        owned = json.loads(json.dumps(facts))
        document_size = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        redacted = Redactor((), secrets=["s3cr3t-Passw0rd-42"]).facts(owned, copy=False)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert redacted == expected
    assert peak < 0.1 * document_size, (peak, document_size)


def test_the_archive_copy_of_the_facts_is_the_json_round_trip_sharing_the_strings() -> None:
    """archive_facts() copies the derived facts before the build rewrites them: the same document the JSON round
    trip gave (tuples as lists, a Decimal or a date as text, integer keys as text), its names not held again."""
    facts: dict[str, Any] = _tenant_facts(300)
    facts["odd"] = {"tuple": (1, "a"), "decimal": decimal.Decimal("1.50"), "at": datetime.date(2026, 1, 2),
                    "keys": {2: "two", True: "yes", None: "none"}, "nan": float("nan"), "big": 2**70,
                    "nested": [{"x": (None, 1.5)}], "flag": False}
    copied = json_copy(facts)
    assert json.dumps(copied, sort_keys=True) == json.dumps(json.loads(json.dumps(facts, default=str)), sort_keys=True)
    copied["tables"][0]["name"] = "changed"
    copied["odd"]["nested"][0]["x"][0] = "changed"
    assert facts["tables"][0]["name"] == "t00" and facts["odd"]["nested"][0]["x"] == (None, 1.5)

    def held_by(make: Callable[[], Any]) -> tuple[Any, int]:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            made = make()
            return made, tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()

    del facts["odd"]
    _round_trip, round_trip_size = held_by(lambda: json.loads(json.dumps(facts, default=str)))
    _copy, copy_size = held_by(lambda: json_copy(facts))
    assert copy_size < 0.75 * round_trip_size, (copy_size, round_trip_size)


def test_a_build_that_takes_the_facts_over_writes_the_same_archive() -> None:
    """build(consume=True) (the CLI: one build, the facts not read again) rewrites the derived facts in place instead
    of copying them, and writes exactly the files the copying build writes, with and without redaction."""
    from prechecks.bundle import ArchiveInputs, build
    from prechecks.derive import derive

    def facts() -> dict[str, Any]:
        made = _tenant_facts(40)
        made["source"] = {"host": "db7.corp.example", "port": 3306, "user": "app_writer", "via": "tcp"}
        made["databases"] = sorted({t["schema"] for t in made["tables"]})
        made["odd"] = {"tuple": (1, "a"), "decimal": decimal.Decimal("1.50"), "keys": {2: "two"}}
        return made

    inputs = ArchiveInputs("2026_01_01_00_00_00", samples={"mysqldump": "CREATE VIEW `v` AS select 'x' AS `c`;\n"},
                           secrets=["s3cr3t-Passw0rd-42"])
    for classes in ((), ("hostnames", "identifiers")):
        copied = build(derive(facts()), inputs, classes)
        derived = derive(facts())
        taken = build(derived, inputs, classes, consume=True)
        assert dict(taken.files) == dict(copied.files)
        assert taken.answers is not None and len(taken.answers) == len(copied.answers or [])
        assert derived.facts["odd"]["tuple"] == [1, "a"]  # taken over: made plain JSON in place


def test_the_schema_sample_is_joined_a_block_at_a_time_and_counts_its_bytes() -> None:
    from collectors.schema import _DDL_BLOCK, _Ddl

    ddl = _Ddl()
    statements = [f"\nCREATE TABLE `tëst_{n}` (`a` int) ENGINE=InnoDB;\n" for n in range(60_000)]
    for statement in statements:
        ddl.add(statement)
    assert len(ddl.blocks) >= 2 and all(len(block) >= _DDL_BLOCK for block in ddl.blocks)
    text = ddl.text("\n-- CUT: here\n")
    expected = "".join([ddl_header(), *statements, "\n-- CUT: here\n"])
    assert text == expected and ddl.utf8_bytes == len(expected.encode()) and not ddl.blocks


def ddl_header() -> str:
    from collectors.schema import _Ddl

    return _Ddl().parts[0]
