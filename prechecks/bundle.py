"""The upload-ready tarball: built in memory, written next to its final name, checked, renamed.

Nothing partial survives an error or Ctrl-C: the partial archive is removed on every exit path, no
temp dir is used, and the final name appears only through an atomic rename.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collectors.redact import redact_option_text, scrub_text
from prechecks import __version__

FREEFORM_PLACEHOLDER = """# Questionnaire

The technical questionnaire is not part of this version of ps-prechecks yet.
Please answer PlanetScale's questionnaire separately and send it with this archive.
"""


@dataclass
class BundleContent:
    """Everything that goes into one archive, before redaction."""

    timestamp: str
    facts: dict[str, Any]
    report: str
    samples: Mapping[str, str]  # sample file name -> text
    extra_files: Mapping[str, str] = field(default_factory=dict)  # top-level name -> text
    secrets: Sequence[str] = ()  # scrubbed from every file as a last line of defence


def archive_name(timestamp: str) -> str:
    return f"ps_archive_{timestamp}.tgz"


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


def bundle_files(content: BundleContent, *, manifest_extra: Mapping[str, Any] | None = None) -> dict[str, bytes]:
    """Every file of the archive, path -> bytes, redacted and scrubbed: exactly what will be saved."""
    from prechecks.readiness import evaluate
    from prechecks.samples import render_samples

    secrets = [s for s in content.secrets if s]
    facts = json.loads(json.dumps(content.facts, default=str))
    config_text = content.samples.get("mysql-config-file")
    if config_text is not None:
        config_text, redacted = redact_option_text(config_text)
        facts.setdefault("config_file", {})["redacted"] = redacted
    texts: dict[str, str] = {}
    samples = render_samples(facts, schema_ddl=content.samples.get("mysqldump"), config_text=config_text)
    for name, text in samples.items():
        texts[f"ps_samples_{content.timestamp}/{name}"] = text
    texts[f"ps_report_{content.timestamp}.md"] = content.report
    texts["facts.json"] = json.dumps(facts, indent=2, sort_keys=True) + "\n"
    texts["readiness.json"] = json.dumps(evaluate(facts), indent=2) + "\n"
    texts["freeform_questions.md"] = FREEFORM_PLACEHOLDER
    texts.update(content.extra_files)
    # the writers do not know the password: scrub it from every file as a last line of defence
    files = {path: (scrub_text(text, secrets) if secrets else text).encode("utf-8", "backslashreplace")
             for path, text in texts.items()}
    manifest = build_manifest(files, facts, manifest_extra or {})
    files["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    return files


def write_bundle(
    content: BundleContent,
    output_dir: Path,
    *,
    manifest_extra: Mapping[str, Any] | None = None,
    before_rename: Callable[[], None] | None = None,
) -> Path:
    """Write ps_archive_<ts>.tgz into output_dir atomically and return its path.

    The files are built in memory; the only thing on disk before the rename is the partial
    archive next to the final name, removed on every error and on Ctrl-C.
    """
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise FileNotFoundError(f"output directory {output_dir} does not exist — create it or pass --output DIR")
    final = output_dir / archive_name(content.timestamp)
    partial = output_dir / f".{final.name}.partial"
    files = bundle_files(content, manifest_extra=manifest_extra)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            directories = sorted({path.rsplit("/", 1)[0] for path in files if "/" in path})
            for directory in directories:
                tar.addfile(_member(directory, None))
            for path, data in sorted(files.items()):
                tar.addfile(_member(path, len(data)), io.BytesIO(data))
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        _verify(partial, files)
        if before_rename is not None:
            before_rename()
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


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
