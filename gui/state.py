"""What the pages share: one object the wizard owns, so Back and Next keep every choice."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.connection import ConnectionSpec
from collectors.probe import Probe
from collectors.runner import RunResult
from prechecks.attachments import Attachments
from prechecks.collection import RunOptions

if TYPE_CHECKING:
    from prechecks.bundle import PreparedBundle
    from prechecks.redaction import EarlierMap
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
    CLOUD = 9  # optional, RDS/Aurora only: after Options or after Collect (Wizard.nextId routes to it)


@dataclass(frozen=True)
class CloudChoice:
    """The Cloud account step's choice (gui/pages/cloud.py): the provider, its fields (names such as a profile,
    region and instance id; never a credential) and the host the connection names."""

    provider: str
    fields: tuple[tuple[str, str], ...]
    host: str | None

    def get(self, name: str) -> str:
        return dict(self.fields).get(name, "")


@dataclass(frozen=True)
class PrometheusChoice:
    """Options: the history from Prometheus or PMM (gui/pages/options.py). The token given on the page (in memory
    only; "" reads PS_PRECHECKS_PROMETHEUS_TOKEN or the keychain as the CLI does) is never in a settings file."""

    url: str
    match: str = ""  # the picked instance's matcher (collectors.prometheus.parse_match form); "": the only one
    days: float = 14.0
    ca_file: str = ""
    token: str = field(default="", repr=False)


@dataclass(frozen=True)
class KeptServer:
    """A server collected earlier in this submission ("Add another server"): its run and what it needs in the
    archive. In memory only: the spec holds the password, which goes to the redactor and nowhere else."""

    name: str  # its folder in the archive (prechecks.multi.server_name)
    result: RunResult
    readiness: dict[str, Any]
    timestamp: str
    spec: ConnectionSpec | None
    result_for: tuple[Any, ...] | None
    slow_logs: tuple[SlowLogFile, ...] = ()  # read while it was the current server: its digest goes in its folder
    cloud: dict[str, Any] | None = None  # its cloud.json document (the Cloud account step), in its folder
    cloud_choice: CloudChoice | None = None
    history: str | None = None  # its history.json (Collect: Keep watching)

    @property
    def secrets(self) -> list[str]:
        return self.spec.secrets if self.spec is not None else []


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
    earlier_map: EarlierMap | None = None  # Options: an earlier run's map, its names keep their pseudonyms
    # slow query logs read on the Attachments page: only their digest goes into the archive
    slow_logs: list[SlowLogFile] = field(default_factory=list)
    prepared: PreparedBundle | None = None  # what Review showed; Save writes exactly these bytes
    prepared_for: tuple[Any, ...] | None = None
    # the servers collected before the current one in this submission (Findings: "Add another server")
    kept: list[KeptServer] = field(default_factory=list)
    current_label: str = ""  # the current server's folder name when the user chose one (Findings: Rename)
    history: str | None = None  # history.json's text from Collect's "Keep watching", once the watch stopped
    # the Cloud account step: what to read (None: skipped or not offered) and the document read for which run
    cloud: CloudChoice | None = None
    cloud_document: dict[str, Any] | None = None
    cloud_for: tuple[Any, ...] | None = None  # (choice, id(result)) the document was read for
    # Options: read the history from Prometheus or PMM during Collect (history then holds it); the credentials'
    # secrets it was read with (the token, from the page or the keychain), scrubbed from every file
    prometheus: PrometheusChoice | None = None
    prometheus_secrets: tuple[str, ...] = ()

    def current_cloud(self) -> dict[str, Any] | None:
        """cloud.json's document for the current run and choice; None when skipped or read for another."""
        if self.cloud is None or self.result is None or self.cloud_for != (self.cloud, id(self.result)):
            return None
        return self.cloud_document

    @property
    def secrets(self) -> list[str]:
        """The password and the SSH key's passphrase of the current connection and of every kept server."""
        own = self.spec.secrets if self.spec is not None else []
        return list(dict.fromkeys([*own, *self.kept_secrets, *self.prometheus_secrets]))

    @property
    def kept_secrets(self) -> list[str]:
        return list(dict.fromkeys(secret for server in self.kept for secret in server.secrets))

    def submission_key(self) -> tuple[Any, ...]:
        """Everything the archive's bytes depend on besides the run: a change invalidates `prepared`."""
        files = tuple((a.name, str(a.path), a.size) for a in self.attachments)
        kept = tuple((k.name, id(k.result), tuple(id(log) for log in k.slow_logs), id(k.history)) for k in self.kept)
        return (id(self.result), self.timestamp, json.dumps(self.answers, sort_keys=True, default=str),
                files, self.redact, tuple(id(log) for log in self.slow_logs), kept, self.current_label,
                id(self.earlier_map), id(self.current_cloud()), id(self.history))

    def servers_key(self) -> tuple[Any, ...]:
        """Which runs the submission holds: the questionnaire's prefill is made again when it changes."""
        return (id(self.result), *(id(k.result) for k in self.kept))

    # -- several servers in one submission ---------------------------------------------------------------
    def current_name(self) -> str:
        """The current server's folder name: derived from its connection, unique among the kept servers'."""
        from prechecks.multi import server_name

        if self.current_label:
            return self.current_label
        source = self.result.facts.get("source") if self.result is not None else None
        return server_name(source if isinstance(source, dict) else {}, (k.name for k in self.kept))

    def rename(self, old: str, new: str) -> str | None:
        """Give a server of this submission another folder name; the reason when it cannot be (None: done)."""
        from prechecks.multi import name_problem

        names = [k.name for k in self.kept] + ([self.current_name()] if self.result is not None else [])
        if old not in names:
            return f"no server named {old!r} in this archive"
        problem = name_problem(new, (n for n in names if n != old))
        if problem is not None:
            return problem
        if self.result is not None and old == self.current_name():
            self.current_label = new
        else:
            self.kept = [replace(k, name=new) if k.name == old else k for k in self.kept]
        return None

    def named_facts(self) -> list[tuple[str, dict[str, Any]]]:
        """(name, facts) of every server in the submission, the kept ones first (prechecks.prefill.prefill_servers)."""
        named = [(k.name, k.result.facts) for k in self.kept]
        if self.result is not None:
            named.append((self.current_name(), self.result.facts))
        return named

    def keep_current(self) -> KeptServer:
        """Keep the current server's collection in the submission and make room for the next server's run."""
        if self.result is None:
            raise ValueError("nothing was collected yet")
        spec = self.result_for[0] if self.result_for else self.spec
        kept = KeptServer(self.current_name(), self.result, dict(self.readiness or {}), self.timestamp,
                          spec if isinstance(spec, ConnectionSpec) else None, self.result_for, tuple(self.slow_logs),
                          self.current_cloud(), self.cloud if self.current_cloud() is not None else None,
                          history=self.history)
        self.kept.append(kept)
        self.history = None
        self.current_label = ""  # the next server's name comes from its own connection
        self.result = self.readiness = self.result_for = None
        self.probe = self.probed_spec = None  # Next on Connection tests the next server's connection first
        self.slow_logs = []
        self.cloud = self.cloud_document = self.cloud_for = None  # the next server's own step
        self.archive = self.prepared = self.prepared_for = None
        return kept

    def resume_last_kept(self) -> KeptServer:
        """Undo keep_current(): the last kept server is the current one again (no other server was collected)."""
        if self.result is not None:
            raise ValueError("another server was collected since")
        kept = self.kept.pop()
        self.result, self.readiness, self.timestamp = kept.result, dict(kept.readiness), kept.timestamp
        self.result_for, self.slow_logs = kept.result_for, list(kept.slow_logs)
        self.history = kept.history
        self.current_label = kept.name  # a name the user gave stays
        if kept.spec is not None:
            self.spec = kept.spec
        self.cloud, self.cloud_document = kept.cloud_choice, kept.cloud
        self.cloud_for = (kept.cloud_choice, id(self.result)) if kept.cloud is not None else None
        self.archive = self.prepared = self.prepared_for = None
        return kept

    def remove_kept(self, name: str) -> KeptServer | None:
        """Take a kept server out of the submission (its run, its secrets and its slow logs' digests)."""
        for index, kept in enumerate(self.kept):
            if kept.name == name:
                del self.kept[index]
                return kept
        return None

    def run_key(self) -> tuple[Any, ...]:
        o = self.options
        return (self.spec, o.sleep, tuple(o.databases or ()), o.schema_ddl)
