"""What the pages share: one object the wizard owns, so Back and Next keep every choice."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.connection import ConnectionSpec
from collectors.probe import Probe
from collectors.runner import RunResult
from prechecks.attachments import Attachments
from prechecks.collection import RunOptions

if TYPE_CHECKING:
    from prechecks.bundle import PreparedBundle
    from prechecks.slowlog import SlowLogFile


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
    # the submission (pages 6-8): the user's own answers (the prefill is recomputed from the facts and
    # the saved draft), their files, the optional redaction classes (prechecks.redaction.CLASSES)
    answers: dict[str, Any] = field(default_factory=dict)
    attachments: Attachments = field(default_factory=Attachments)
    redact: tuple[str, ...] = ()
    # slow query logs read on the Attachments page: only their digest goes into the archive
    slow_logs: list[SlowLogFile] = field(default_factory=list)
    prepared: PreparedBundle | None = None  # what Review showed; Save writes exactly these bytes
    prepared_for: tuple[Any, ...] | None = None

    @property
    def secrets(self) -> list[str]:
        return self.spec.secrets if self.spec is not None else []  # the password, the SSH key's passphrase

    def submission_key(self) -> tuple[Any, ...]:
        """Everything the archive's bytes depend on besides the run: a change invalidates `prepared`."""
        files = tuple((a.name, str(a.path), a.size) for a in self.attachments)
        return (id(self.result), self.timestamp, json.dumps(self.answers, sort_keys=True, default=str),
                files, self.redact, tuple(id(log) for log in self.slow_logs))

    def run_key(self) -> tuple[Any, ...]:
        o = self.options
        return (self.spec, o.sleep, tuple(o.databases or ()), o.schema_ddl)
