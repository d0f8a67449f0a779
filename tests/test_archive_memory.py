"""The archive of a server with thousands of schemas (issue 18): facts.json is written without the copies that
made the build's peak memory several times the size of the facts.

tracemalloc counts what Python allocates while one step runs; the bounds are multiples of the text's own size,
not seconds or megabytes of this machine.
"""

from __future__ import annotations

import datetime
import decimal
import json
import tracemalloc
from collections.abc import Callable
from typing import Any

from prechecks.bundle import facts_text, json_copy
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
