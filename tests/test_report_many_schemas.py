"""The report's Schema section on a server with a schema per tenant (issue 18): counts, the largest and the
odd ones, never a row per schema."""

from __future__ import annotations

from typing import Any

from prechecks.derive import derive
from prechecks.report import SCHEMA_ROWS, render_report
from tests.test_report import full_facts, section


def _tenant(n: int, tables: int = 10, engines: dict[str, int] | None = None, **counts: int) -> dict[str, Any]:
    return {"name": f"tenant_{n:05d}", "tables": tables, "views": 1, "routines": counts.get("routines", 0),
            "triggers": counts.get("triggers", 0), "events": counts.get("events", 0),
            "data_bytes": 16384 * tables + n, "index_bytes": 16384 * tables,
            "engines": engines if engines is not None else ({"InnoDB": tables} if tables else {})}


def _schema_section(schemas: list[dict[str, Any]]) -> list[str]:
    facts = full_facts()
    facts["schemas"] = schemas
    return section(render_report(derive(facts)), "Schema")


def test_thousands_of_schemas_are_summed_up_with_the_largest_and_the_odd_ones() -> None:
    schemas = [_tenant(n) for n in range(5000)]
    schemas[17] = _tenant(17, tables=0)
    schemas[4242] = _tenant(4242, tables=300, engines={"InnoDB": 290, "MyISAM": 10}, triggers=2)
    schemas[99] = _tenant(99, routines=3, events=1)
    lines = _schema_section(schemas)
    text = "\n".join(lines)
    assert len(lines) < 60  # not 5,000 rows
    assert "Schemas | 5000: 50280 tables, 5000 views, 3 routines, 2 triggers, 1 events" in text
    assert "Tables per schema | min 0, median 10, max 300" in text
    assert "Engines | InnoDB 50270, MyISAM 10" in text
    assert "Without a table | 1: tenant_00017" in text
    assert "Not only InnoDB | 1: tenant_04242" in text
    assert "With triggers | 1: tenant_04242" in text
    assert "With routines | 1: tenant_00099" in text and "With events | 1: tenant_00099" in text
    assert "Most tables | tenant_04242 (300), tenant_00000 (10)" in text
    rows = [line.split() for line in lines if line.startswith("    tenant_")]
    assert len(rows) == 20 and rows[0][0] == "tenant_04242"  # the largest first
    assert rows[1][0] == "tenant_04999"  # then by size (the data sizes differ by the tenant number here)


def test_a_few_schemas_keep_a_row_each() -> None:
    lines = _schema_section([_tenant(n) for n in range(SCHEMA_ROWS)])
    rows = [line.split() for line in lines if line.startswith("    tenant_")]
    assert [r[0] for r in rows] == [f"tenant_{n:05d}" for n in range(SCHEMA_ROWS)]
    assert not any("Tables per schema" in line for line in lines)
