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
