"""The upload-ready tarball: built in memory, written next to its final name, checked, renamed.

Nothing partial survives an error or Ctrl-C: the partial archive is written in a private temp folder
(mkdtemp, 0700) next to the final name, created exclusively (O_EXCL, O_NOFOLLOW, 0600), removed with its
folder on every exit path, and the final name appears only through an atomic rename on the same file
system. No predictable name in the output folder: another user who can write there cannot pre-create
the file we write (and so own the archive or the redaction map).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collectors.redact import redact_option_text, scrub_ddl_literals
from prechecks import __version__
from prechecks.attachments import read_attachment
from prechecks.redaction import EarlierMap, Redactor
from prechecks.slowlog import digest_files, redact_slow_log


@dataclass
class BundleContent:
    """Everything that goes into one archive, before redaction."""

    timestamp: str
    facts: dict[str, Any]
    report: str
    samples: Mapping[str, str]  # sample file name -> text
    extra_files: Mapping[str, str] = field(default_factory=dict)  # top-level name -> text
    secrets: Sequence[str] = ()  # scrubbed from every file as a last line of defence
    # freeform_questions.md and submission.json (prechecks.prefill.questionnaire_files); empty: prefill only
    questionnaire_files: Mapping[str, str] = field(default_factory=dict)
    attachments: Mapping[str, Path] = field(default_factory=dict)  # safe name -> file, into attachments/
    top_tables: int = 20  # for the report when it is re-rendered from redacted facts


@dataclass(frozen=True)
class PreviewFile:
    """One file of the archive as it will be saved: final, redacted content."""

    path: str
    size: int
    text: str | None  # None for a binary file
    sha256: str


@dataclass
class PreparedBundle:
    """Every file of the archive (path -> bytes) and the redaction map that goes next to it."""

    files: dict[str, bytes]
    redactor: Redactor

    def preview(self) -> list[PreviewFile]:
        return [PreviewFile(path, len(data), _as_text(data), hashlib.sha256(data).hexdigest())
                for path, data in sorted(self.files.items())]


def _as_text(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def archive_name(timestamp: str) -> str:
    return f"ps_archive_{timestamp}.tgz"


def redaction_map_name(timestamp: str) -> str:
    """The pseudonym map, written next to the archive (never inside it) when a class was asked for."""
    return f"ps_archive_{timestamp}.redaction-map.json"


def build_manifest(files: Mapping[str, bytes], facts: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest of every other file of the archive: path, size and SHA-256, plus the run's record."""
    collection = facts.get("collection", {})
    return {
        "format_version": 1,
        "tool": {"name": "ps-prechecks", "version": __version__},
        "created_at": collection.get("finished_at") or facts.get("collected_at"),
        "files": [{"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for path, data in sorted(files.items())],
        "collectors": collection.get("collectors", []),
        **extra,
    }


def bundle_files(
    content: BundleContent,
    *,
    manifest_extra: Mapping[str, Any] | None = None,
    redact: Sequence[str] = (),
    redactor: Redactor | None = None,
) -> dict[str, bytes]:
    """Every file of the archive, path -> bytes, redacted and scrubbed: exactly what will be saved.

    ``redact``: the optional classes (prechecks.redaction.CLASSES); the secrets are always removed.
    Pass a ``redactor`` to keep its pseudonym map (prepare_bundle does).
    """
    from prechecks.readiness import evaluate
    from prechecks.samples import render_samples

    redactor = redactor or Redactor(redact, secrets=content.secrets)
    facts = json.loads(json.dumps(content.facts, default=str))
    config_text = content.samples.get("mysql-config-file")
    if config_text is not None:
        config_text, redacted = redact_option_text(config_text)
        facts.setdefault("config_file", {})["redacted"] = redacted
    schema_ddl = content.samples.get("mysqldump")
    # learn every name first (facts, option file, DDL), then rewrite the facts everything renders from
    redactor.learn_vocabulary(facts)
    redactor.learn_facts(facts)
    redactor.learn_config(config_text)
    if redactor.classes:  # names in the DDL get pseudonyms; without classes nothing is renamed
        redactor.learn_sql(schema_ddl)
    redact_slow_log(facts, redactor)  # SQL pass on the fingerprints before the facts' text pass
    facts = redactor.facts(facts, copy=False)  # facts is this function's own JSON copy (above)
    if schema_ddl is not None:
        # with classes, the tokenizer renames and scrubs; without, a regex pass (the collector
        # scrubbed view and routine bodies already: this is the second line of defence)
        schema_ddl = redactor.sql(schema_ddl, ddl=True) if redactor.classes else scrub_ddl_literals(schema_ddl)
    config_text = redactor.config(config_text) if config_text is not None else None
    report = content.report
    if redactor.classes:  # the given report shows the original names: render it from the redacted facts
        from prechecks.report import render_report

        report = render_report(facts, top_tables=content.top_tables, config_text=config_text)
    if "cloud.json" in content.extra_files:  # its section before the end (the text pass below redacts both)
        report = _with_cloud_section(report, content.extra_files["cloud.json"])
    texts: dict[str, str] = {}
    samples = render_samples(facts, schema_ddl=schema_ddl, config_text=config_text)
    for name, text in samples.items():
        texts[f"ps_samples_{content.timestamp}/{name}"] = text
    texts[f"ps_report_{content.timestamp}.md"] = report
    texts["facts.json"] = json.dumps(facts, indent=2, sort_keys=True) + "\n"
    texts["readiness.json"] = json.dumps(evaluate(facts), indent=2) + "\n"
    texts.update(digest_files(facts))  # slow-log-digest.md/.json: fingerprints only, never the log
    texts.update(content.questionnaire_files or _questionnaire_files(facts, content))
    texts.update(content.extra_files)
    # every file and file name through the text pass: the password (the writers do not know it) and
    # URL credentials always, addresses and learnt names when asked for
    files = {redactor.path(path): redactor.text(text).encode("utf-8", "backslashreplace")
             for path, text in texts.items()}
    for name, source in sorted(content.attachments.items()):  # the user's own files, byte for byte
        files[redactor.path(f"attachments/{name}")] = read_attachment(name, source)  # only the name redacted
    extra = redactor.json_text(dict(manifest_extra or {}), sql_keys=("sql",))
    manifest = build_manifest(files, facts, {**extra, "redaction": redactor.record()})
    files["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    return files


def _with_cloud_section(report: str, cloud_text: str) -> str:
    from prechecks.report import render_cloud_section

    try:
        section = render_cloud_section(json.loads(cloud_text))
    except ValueError:
        section = "## Cloud (AWS)\ncloud.json could not be read back"
    head, end, tail = report.rpartition("## The End")
    return f"{head}{section}\n\n{end}{tail}" if end else f"{report}\n{section}\n"


def prepare_bundle(
    content: BundleContent, *, manifest_extra: Mapping[str, Any] | None = None, redact: Sequence[str] = (),
    earlier_map: EarlierMap | None = None,
) -> PreparedBundle:
    """The archive's files and the redaction map, in memory; write_bundle(prepared=...) saves exactly these.
    ``earlier_map``: the pseudonyms an earlier run gave (prechecks.redaction.load_map) are given again."""
    redactor = Redactor(redact, secrets=content.secrets, earlier=earlier_map)
    files = bundle_files(content, manifest_extra=manifest_extra, redactor=redactor)
    return PreparedBundle(files, redactor)


def preview(
    content: BundleContent, redact_classes: Sequence[str] = (), *, manifest_extra: Mapping[str, Any] | None = None
) -> list[PreviewFile]:
    """The archive's files with their final (redacted) content, before anything is written."""
    return prepare_bundle(content, manifest_extra=manifest_extra, redact=redact_classes).preview()


def _questionnaire_files(facts: Mapping[str, Any], content: BundleContent) -> dict[str, str]:
    """The questionnaire outputs from the prefill alone, so that every archive has them."""
    from prechecks.prefill import questionnaire_files

    return questionnaire_files(facts, attachments=sorted(content.attachments))


def write_bundle(
    content: BundleContent,
    output_dir: Path,
    *,
    manifest_extra: Mapping[str, Any] | None = None,
    before_rename: Callable[[], None] | None = None,
    redact: Sequence[str] = (),
    prepared: PreparedBundle | None = None,
    earlier_map: EarlierMap | None = None,
) -> Path:
    """Write ps_archive_<ts>.tgz into output_dir atomically and return its path.

    The files are built in memory (or taken from ``prepared``, e.g. what the preview showed); the
    only things on disk before the renames are the partial archive (and map) in a private temp folder
    next to the final names, removed with it on every error and on Ctrl-C. The archive is 0600. With
    redaction classes the pseudonym map is written next to the archive (0600, redaction_map_name()); it
    exists only if the archive does.
    """
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise FileNotFoundError(f"output directory {output_dir} does not exist — create it or pass --output DIR")
    final = output_dir / archive_name(content.timestamp)
    map_final = output_dir / redaction_map_name(content.timestamp)
    prepared = prepared or prepare_bundle(content, manifest_extra=manifest_extra, redact=redact,
                                          earlier_map=earlier_map)
    files = prepared.files
    map_written = False
    # the folder's random name cannot be guessed; the ".partial" end says what it is to whoever lists the folder
    private = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=output_dir))
    partial = private / final.name
    map_partial = private / map_final.name
    try:
        with _create_private(partial) as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            directories = sorted({path.rsplit("/", 1)[0] for path in files if "/" in path})
            for directory in directories:
                tar.addfile(_member(directory, None))
            for path, data in sorted(files.items()):
                tar.addfile(_member(path, len(data)), io.BytesIO(data))
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        _verify(partial, files)
        if prepared.redactor.classes:
            document = prepared.redactor.map_document(final.name)
            with _create_private(map_partial) as raw:
                raw.write((json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
                raw.flush()
                os.fsync(raw.fileno())
        if before_rename is not None:
            before_rename()
        # os.replace renames onto the final name: a symlink already there is replaced, never followed
        if prepared.redactor.classes:
            os.replace(map_partial, map_final)
            map_written = True
        os.replace(partial, final)
    except BaseException:
        if map_written:
            map_final.unlink(missing_ok=True)
        raise
    finally:  # after the renames it is empty; after an error it holds the partial files
        shutil.rmtree(private, ignore_errors=True)
    return final


def _create_private(path: Path) -> io.BufferedWriter:
    """A new file only we can read or write (0600): never one already there, never through a symlink."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):  # a umask cannot widen it, but say 0600 whatever the umask
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def _member(path: str, size: int | None) -> tarfile.TarInfo:
    """A tar entry with no local user names or ids, a fixed mode and the current time."""
    info = tarfile.TarInfo(path)
    info.mtime = int(time.time())
    if size is None:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size, info.mode = size, 0o644
    return info


def _verify(archive: Path, files: Mapping[str, bytes]) -> None:
    """Re-read the archive and check every file against what was meant to be written."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        if set(members) != set(files):
            raise OSError("archive check failed: the files in it are not the files written")
        for path, data in files.items():
            handle = tar.extractfile(members[path])
            if handle is None or handle.read() != data:
                raise OSError(f"archive check failed for {path}")
