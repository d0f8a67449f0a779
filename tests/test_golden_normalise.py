"""tests/golden.py's normaliser on the two things that made tests/test_golden.py flap, each reproduced on purpose
instead of waiting for the timing that shows it: Threads_cached 0 or 1 at the first status sample, and a CREATE
SCHEMA of the load slowed into the top 50 statement digests. Either way the normalised archive must be the same."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

from prechecks.derive import derive
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
