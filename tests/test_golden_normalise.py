"""tests/golden.py's normaliser on the two things that made tests/test_golden.py flap, each reproduced on purpose
instead of waiting for the timing that shows it: Threads_cached 0 or 1 at the first status sample, and a CREATE
SCHEMA of the load slowed into the top 50 statement digests. Either way the normalised archive must be the same."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

from prechecks.derive import derive
from prechecks.readiness import evaluate
from prechecks.report import render_report
from tests import golden

SAMPLE = Path(__file__).parent / "data" / "samples" / "ps-prechecks-mariadb-10.11"
MACHINE = golden.Machine(server_dir="/nonexistent/server", socket_dir="/nonexistent/socket")


def _normalised(name: str, text: str) -> tuple[str, Counter[str]]:
    files, hits = golden.normalise({name: text}, MACHINE)
    return files[name], hits


def _status_lines(report: str) -> list[str]:
    return report.split("\n## Status Counters", 1)[1].split("\n## ", 1)[0].splitlines()


def test_threads_cached_normalises_the_same_whether_a_thread_was_parked_or_not() -> None:
    from prechecks.samples import read_samples

    idle = read_samples(SAMPLE)  # the capture: Threads_cached 0 (no line)
    parked = copy.deepcopy(idle)
    parked["status"]["first"]["Threads_cached"] = parked["status"]["second"]["Threads_cached"] = "1"
    reports = [render_report(derive(facts)) for facts in (idle, parked)]
    lines = [[line for line in _status_lines(r) if line.split()[:1] == ["Threads_cached"]] for r in reports]
    assert lines[0] == [] and len(lines[1]) == 1  # the report prints the gauge only when it is not 0
    (first, hits), (second, _) = (_normalised("report.md", r) for r in reports)
    assert first == second
    body = _status_lines(first)
    placeholder = "    Threads_cached <printed only when not 0 at the first sample>"
    assert body.count(placeholder) == 1
    # at its place in the server's order, between the counters the capture printed
    assert body[body.index(placeholder) - 1].startswith("    Sort_scan ")
    assert body[body.index(placeholder) + 1].startswith("    Threads_connected ")
    assert hits[golden._rule_id(golden.GAUGE_LINES[0])] == 1


def _digest(number: int, text: str, total: float, *, rows: int = 1) -> dict[str, Any]:
    return {"digest": f"{number:032x}", "digest_text": text, "schema": "cacti", "count": 1,
            "total_seconds": total, "avg_seconds": total, "max_seconds": total, "rows_sent": rows,
            "rows_examined": rows, "first_seen": "2026-12-06 23:00:00", "last_seen": "2026-12-06 23:00:01",
            "truncated": False}


def _workload_facts(slow_schema: str | None) -> dict[str, Any]:
    """The golden run's statements as collectors/workload.py reads them: the 50 with the most server time, then the
    ones outside those PlanetScale would reject or limit (the load's three CREATE SCHEMA, 0.2-2 ms each, while the
    50th statement takes 7-16 ms). `slow_schema`: that CREATE SCHEMA took 30 ms (a busy disk) and is in the top 50."""
    selects = [_digest(i, f"SELECT `c{i}` FROM `cacti`.`host` WHERE `id` = ?", 0.5 - i * 0.0098) for i in range(51)]
    creates = [_digest(100 + i, f"CREATE SCHEMA IF NOT EXISTS `{name}`", 0.002 - i / 2000)
               for i, name in enumerate(("cacti", "phpmyadmin", "wiki"))]
    if slow_schema is not None:
        slow = next(d for d in creates if d["digest_text"].endswith(f"`{slow_schema}`"))
        slow.update(total_seconds=0.03, avg_seconds=0.03, max_seconds=0.03)
    ranked = sorted(selects + creates, key=lambda d: -d["total_seconds"])
    top = ranked[:50]
    notable = [d for d in ranked[50:] if d["digest_text"].startswith("CREATE SCHEMA")]
    return {"workload": {"digests": top, "notable_digests": notable, "digests_status": "ok",
                         "transactions": {"open": 0, "oldest_seconds": None}},
            "processlist": {"groups": {"command": [{"value": "Query", "count": 1, "working": 1, "time_sum": 0,
                                                    "time_max": 0}]}}}


def test_a_create_schema_in_or_out_of_the_top_50_digests_normalises_the_same() -> None:
    usual, busy = (evaluate(_workload_facts(slow)) for slow in (None, "wiki"))
    assert len(_workload_facts(None)["workload"]["notable_digests"]) == 3
    assert len(_workload_facts("wiki")["workload"]["notable_digests"]) == 2
    details = {c["id"]: (c["detail"], b["detail"]) for c, b in zip(usual["checks"], busy["checks"], strict=True)
               if c["detail"] != b["detail"]}
    # the two rules over the statements say how many they looked at beyond the top 50, and nothing else moved
    assert sorted(details) == ["unsupported_statements", "workload_limits"]
    assert all("and 3 more PlanetScale would reject" in u and "and 2 more PlanetScale would reject" in b
               for u, b in details.values())
    (first, hits), (second, _) = (_normalised("readiness.json", json.dumps(r, indent=2) + "\n")
                                  for r in (usual, busy))
    assert first == second
    assert first.count("top statement digests and <n> more PlanetScale would reject or limit") == 2
    assert hits["readiness.json: checks[id=workload_limits].detail"] == 1
    assert hits["readiness.json: checks[id=unsupported_statements].detail"] == 1
