"""The archive the wizard saves, built from its state: Review previews it, Save writes the same bytes.

Take a `snapshot()` on the GUI thread, then `prepare()` it in a worker: the worker never reads the
state the pages keep changing. With servers kept by "Add another server" the archive has one folder per
server (prechecks.multi.prepare_servers_bundle), as `ps-prechecks --servers` writes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.runner import RunResult
from gui.state import KeptServer, WizardState

if TYPE_CHECKING:
    from prechecks.bundle import ArchiveInputs, PreparedBundle
    from prechecks.derive import Derived
    from prechecks.redaction import EarlierMap
    from prechecks.slowlog import SlowLogFile


@dataclass(frozen=True)
class Submission:
    """The inputs of one archive, copied from the wizard's state."""

    result: RunResult  # its facts derived (prechecks.collection.collect)
    readiness: dict[str, Any]  # derived with them: the Findings page's document, redacted by the build
    timestamp: str
    secrets: tuple[str, ...]
    answers: dict[str, Any]
    attachments: dict[str, Path]  # safe name -> file
    redact: tuple[str, ...]
    key: tuple[Any, ...]  # WizardState.submission_key() when taken
    slow_logs: tuple[SlowLogFile, ...] = ()  # parsed already; only their digest goes in
    kept: tuple[KeptServer, ...] = ()  # the servers collected before this one: one folder each
    name: str = ""  # the current server's folder when there are kept servers
    earlier_map: EarlierMap | None = None  # its names keep their pseudonyms
    cloud: dict[str, Any] | None = None  # cloud.json's document (the Cloud account step); None: skipped
    history: str | None = None  # history.json's text (Collect: Keep watching, or Prometheus)


def snapshot(state: WizardState) -> Submission:
    if state.result is None:
        raise ValueError("nothing was collected yet")
    return Submission(state.result, dict(state.readiness or {}), state.timestamp, tuple(state.secrets),
                      dict(state.answers),
                      state.attachments.as_mapping(), tuple(state.redact), state.submission_key(),
                      tuple(state.slow_logs), tuple(state.kept), state.current_name() if state.kept else "",
                      state.earlier_map, state.current_cloud(), state.history)


def prepare(submission: Submission) -> PreparedBundle:
    """Every file exactly as it will be saved (redaction applied), in memory. Safe in a worker thread."""
    from prechecks.bundle import build
    from prechecks.collection import archive_inputs

    s = submission
    if s.kept:
        return _prepare_servers(s)
    # the Questionnaire page restored the saved draft into the answers: it is not read again here
    # (an answer set back to the collected value would come back from an older draft file)
    history, cloud = _sources(s.history, s.cloud)
    inputs = _with_history(_with_cloud(archive_inputs(s.result, s.timestamp, secrets=list(s.secrets),
                                                      answers=s.answers, attachments=s.attachments), cloud),
                           history)
    return build(_derived(s.result, s.readiness, s.slow_logs, cloud, history), inputs, s.redact,
                 earlier_map=s.earlier_map)


def _sources(history: str | None, cloud: dict[str, Any] | None) -> tuple[str | None, dict[str, Any] | None]:
    """history.json's text and cloud.json's document for one server, as the CLI decides them
    (collectors.cloudhistory.sources): the watch's or Prometheus' history, else the cloud metrics' points."""
    if cloud is None:
        return history, None
    import json

    from collectors.cloudhistory import sources

    found, cloud = sources(json.loads(history) if history is not None else None, cloud)
    if history is None and found is not None:
        history = json.dumps(found, indent=1, sort_keys=True) + "\n"
    return history, cloud


def _with_history(inputs: ArchiveInputs, history: str | None) -> ArchiveInputs:
    """The watch's samples (Collect: Keep watching) as history.json, as the CLI's --watch puts them."""
    return inputs if history is None else replace(inputs, extra_files={**inputs.extra_files, "history.json": history})


def _prepare_servers(s: Submission) -> PreparedBundle:
    """One folder per server, one questionnaire prefilled from all of them, one manifest. A slow log's
    digest goes into the folder of the server that was current when it was added."""
    from prechecks.collection import archive_inputs
    from prechecks.multi import ServerPart, prepare_servers_bundle

    servers = [(k.name, k.result, k.readiness, k.slow_logs, *_sources(k.history, k.cloud)[::-1]) for k in s.kept] + [
        (s.name, s.result, s.readiness, s.slow_logs, *_sources(s.history, s.cloud)[::-1])]
    parts = [ServerPart(name, _derived(result, readiness, logs, cloud, history),
                        _with_history(_with_cloud(archive_inputs(result, s.timestamp, secrets=list(s.secrets),
                                                                 questionnaire=False), cloud), history))
             for name, result, readiness, logs, cloud, history in servers]
    return prepare_servers_bundle(parts, s.timestamp, secrets=s.secrets, redact=s.redact, answers=s.answers,
                                  attachments=s.attachments, earlier_map=s.earlier_map)


def _with_cloud(inputs: ArchiveInputs, cloud: dict[str, Any] | None) -> ArchiveInputs:
    """cloud.json beside the facts, as ``ps-prechecks`` writes it (the build adds the report's Cloud section)."""
    if cloud is None:
        return inputs
    from dataclasses import replace

    from collectors.aws import document_text

    return replace(inputs, extra_files={**inputs.extra_files, "cloud.json": document_text(cloud)})


def _derived(result: RunResult, readiness: dict[str, Any], slow_logs: tuple[SlowLogFile, ...],
             cloud: dict[str, Any] | None = None, history: str | None = None) -> Derived:
    """The server's derived facts and readiness as the Findings page showed them; with slow log files added since
    (a source of their own, read by the statements' readiness rules), a cloud document or the watch's history
    (the sizing table's), derived again with them."""
    import json

    from prechecks.derive import Derived, derive
    from prechecks.slowlog import files_fact

    if not slow_logs and cloud is None and history is None:
        return Derived(result.facts, readiness)
    return derive(result.facts, slow_log_files=files_fact(slow_logs) if slow_logs else None, cloud=cloud,
                  history=json.loads(history) if history is not None else None)


def save_archive(submission: Submission, target: Path, prepared: PreparedBundle | None = None) -> Path:
    """Write the bundle (``prepared``: the bytes Review showed) atomically, then give it the chosen name."""
    from prechecks.bundle import archive_path_map, write_bundle

    prepared = prepared or prepare(submission)
    written = write_bundle(prepared, target.parent)
    if written != target:
        os.replace(written, target)
        written_map = archive_path_map(written)
        if written_map.exists():
            os.replace(written_map, archive_path_map(target))
    return target
