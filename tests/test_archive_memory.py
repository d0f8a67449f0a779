"""The archive of a server with thousands of schemas (issue 18): facts.json is written without the copies that
made the build's peak memory several times the size of the facts.

tracemalloc counts what Python allocates while one step runs; the bounds are multiples of the text's own size,
not seconds or megabytes of this machine.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from typing import Any

from prechecks.bundle import facts_text


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
