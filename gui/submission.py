"""The archive the wizard saves, built from its state: Review previews it, Save writes the same bytes.

Take a `snapshot()` on the GUI thread, then `prepare()` it in a worker: the worker never reads the
state the pages keep changing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.runner import RunResult
from gui.state import WizardState

if TYPE_CHECKING:
    from prechecks.bundle import PreparedBundle
    from prechecks.slowlog import SlowLogFile


@dataclass(frozen=True)
class Submission:
    """The inputs of one archive, copied from the wizard's state."""

    result: RunResult
    timestamp: str
    secrets: tuple[str, ...]
    answers: dict[str, Any]
    attachments: dict[str, Path]  # safe name -> file
    redact: tuple[str, ...]
    key: tuple[Any, ...]  # WizardState.submission_key() when taken
    slow_logs: tuple[SlowLogFile, ...] = ()  # parsed already; only their digest goes in


def snapshot(state: WizardState) -> Submission:
    if state.result is None:
        raise ValueError("nothing was collected yet")
    return Submission(state.result, state.timestamp, tuple(state.secrets), dict(state.answers),
                      state.attachments.as_mapping(), tuple(state.redact), state.submission_key(),
                      tuple(state.slow_logs))


def prepare(submission: Submission) -> PreparedBundle:
    """Every file exactly as it will be saved (redaction applied), in memory. Safe in a worker thread."""
    from prechecks.bundle import prepare_bundle
    from prechecks.collection import bundle_content, manifest_extra
    from prechecks.slowlog import files_fact

    s = submission
    # the Questionnaire page restored the saved draft into the answers: it is not read again here
    # (an answer set back to the collected value would come back from an older draft file)
    content = bundle_content(s.result, s.timestamp, secrets=list(s.secrets), answers=s.answers,
                             attachments=s.attachments,
                             slow_log_files=files_fact(s.slow_logs) if s.slow_logs else None)
    return prepare_bundle(content, manifest_extra=manifest_extra(s.result), redact=s.redact)


def save_archive(submission: Submission, target: Path, prepared: PreparedBundle | None = None) -> Path:
    """Write the bundle (``prepared``: the bytes Review showed) atomically, then give it the chosen name."""
    from prechecks.bundle import BundleContent, redaction_map_name, write_bundle

    prepared = prepared or prepare(submission)
    # write_bundle takes the bytes from `prepared`; the content only names the archive
    written = write_bundle(BundleContent(submission.timestamp, {}, "", {}), target.parent, prepared=prepared)
    if written != target:
        os.replace(written, target)
        written_map = written.parent / redaction_map_name(submission.timestamp)
        if written_map.exists():
            os.replace(written_map, target.with_name(target.name.removesuffix(".tgz") + ".redaction-map.json"))
    return target
