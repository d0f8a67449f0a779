"""What every readiness rule declares about itself: the documentation sentence it enforces.

A rule is traceable or it does not ship: ``docs`` is a planetscale.com page and ``quote`` the sentence
of that page the rule enforces, verbatim; a rule no page states is a caution of ours (``ours``), and
its ``quote`` says why we raise it. ``docs/readiness-rules.md`` is generated from these records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["blocker", "warning", "notice"]
Check = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class RuleSpec:
    """One readiness rule: its id (stable: readiness.json and the wizard use it), severity, source and check."""

    id: str
    severity: Severity
    docs: str  # the planetscale.com page that states the rule
    quote: str  # the sentence of that page the rule enforces (verbatim); for ``ours``, why we raise it
    passes_when: str  # what makes it pass, one sentence a DBA can act on
    check: Check  # facts -> one readiness.json check (id, title, severity, status, objects, detail, ...)
    ours: bool = False  # a caution of ours, not a documented requirement (then ``docs`` may be "")
    verified: bool = False  # the quote was checked verbatim against a stored copy of the page


# --------------------------------------------------------------- what every rule module reads the facts with


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def collector_records(facts: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    records = as_list(as_map(facts.get("collection")).get("collectors"))
    return {str(r.get("name")): r for r in records if isinstance(r, Mapping)}


def why_absent(facts: Mapping[str, Any], key: str, *collectors: str) -> str:
    """Why facts[key] is absent, from the collectors that write it (a rule is then skipped, never passed)."""
    records = collector_records(facts)
    for name in collectors:
        record = records.get(name)
        if record is not None and record.get("status") != "ok":
            reason = str(record.get("reason") or "")
            return f"the {name} collector was {record.get('status')}" + (f": {reason}" if reason else "")
    for name in collectors:
        if name in records:
            return f"the {name} collector ran but left no `{key}` in the facts"
    if "collection" not in facts:
        return f"the facts have no `{key}` and no collection record"
    return f"the {collectors[0]} collector did not run (no `{key}` in the facts)"


def inventory_gaps(facts: Mapping[str, Any]) -> list[str]:
    """What the inventory collector did not read (budget cut, failing schemas)."""
    inventory = as_map(facts.get("inventory"))
    gaps = []
    if inventory.get("cut"):
        gaps.append(f"the inventory stopped early ({inventory['cut']})")
    failed = [f for f in as_list(inventory.get("failed_schemas")) if isinstance(f, Mapping)]
    if failed:
        gaps.append("schemas not read: " + ", ".join(f"{f.get('name')} ({f.get('reason')})" for f in failed))
    return gaps
