"""What the pages share: one object the wizard owns, so Back and Next keep every choice."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collectors.connection import ConnectionSpec
from collectors.probe import Probe
from collectors.runner import RunResult
from prechecks.collection import RunOptions


class PageId(enum.IntEnum):
    WELCOME = 0
    CONNECTION = 1
    OPTIONS = 2
    COLLECT = 3
    FINDINGS = 4
    QUESTIONNAIRE = 5
    ATTACHMENTS = 6
    REVIEW = 7
    SAVE = 8


@dataclass
class WizardState:
    spec: ConnectionSpec | None = None  # holds the password in memory only
    probe: Probe | None = None  # the last successful Test connection
    probed_spec: ConnectionSpec | None = None
    options: RunOptions = field(default_factory=RunOptions)
    result: RunResult | None = None
    result_for: tuple[Any, ...] | None = None  # (spec, options) the result was collected with
    timestamp: str = ""
    readiness: dict[str, Any] | None = None
    archive: Path | None = None

    @property
    def secrets(self) -> list[str]:
        return [self.spec.password] if self.spec is not None and self.spec.password else []

    def run_key(self) -> tuple[Any, ...]:
        o = self.options
        return (self.spec, o.sleep, tuple(o.databases or ()), o.schema_ddl)
