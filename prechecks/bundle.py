"""The upload-ready tarball: staged in a private temp dir, checked, then renamed into place.

Nothing partial survives an error or Ctrl-C: the staging dir and the partial archive are removed on
every exit path, and the final name appears only through an atomic rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def private_staging_dir(prefix: str = "ps-prechecks-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o700)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _write(path: Path, text: str, secrets: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(scrub_text(text, secrets) if secrets else text)


def build_manifest(root: Path, facts: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel == "manifest.json":
            continue
        files.append({"path": rel, "size": path.stat().st_size, "sha256": _sha256(path)})
    collection = facts.get("collection", {})
    return {
        "format_version": 1,
        "tool": {"name": "ps-prechecks", "version": __version__},
        "created_at": collection.get("finished_at") or facts.get("collected_at"),
        "files": files,
        "collectors": collection.get("collectors", []),
        **extra,
    }


def write_bundle(
    content: BundleContent,
    output_dir: Path,
    *,
    manifest_extra: Mapping[str, Any] | None = None,
    before_rename: Callable[[], None] | None = None,
) -> Path:
    """Write ps_archive_<ts>.tgz into output_dir atomically and return its path."""
    from prechecks.readiness import evaluate
    from prechecks.samples import write_samples

    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise FileNotFoundError(f"output directory {output_dir} does not exist — create it or pass --output DIR")
    final = output_dir / archive_name(content.timestamp)
    partial = output_dir / f".{final.name}.partial"
    secrets = [s for s in content.secrets if s]
    facts = json.loads(json.dumps(content.facts, default=str))
    try:
        with private_staging_dir() as root:
            samples_dir = root / f"ps_samples_{content.timestamp}"
            samples_dir.mkdir(mode=0o700)
            config_text = content.samples.get("mysql-config-file")
            if config_text is not None:
                config_text, redacted = redact_option_text(config_text)
                facts.setdefault("config_file", {})["redacted"] = redacted
            write_samples(facts, samples_dir, schema_ddl=content.samples.get("mysqldump"), config_text=config_text)
            for path in samples_dir.iterdir():  # the samples writer does not know our secrets
                if path.is_file() and secrets:
                    path.write_text(scrub_text(path.read_text(encoding="utf-8"), secrets), encoding="utf-8")
            _write(root / f"ps_report_{content.timestamp}.md", content.report, secrets)
            _write(root / "facts.json", json.dumps(facts, indent=2, sort_keys=True) + "\n", secrets)
            _write(root / "readiness.json", json.dumps(evaluate(facts), indent=2) + "\n", secrets)
            _write(root / "freeform_questions.md", FREEFORM_PLACEHOLDER, secrets)
            for name, text in content.extra_files.items():
                _write(root / name, text, secrets)
            manifest = build_manifest(root, facts, manifest_extra or {})
            _write(root / "manifest.json", json.dumps(manifest, indent=2) + "\n", secrets)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                for path in sorted(root.rglob("*")):
                    tar.add(path, arcname=path.relative_to(root).as_posix(), recursive=False,
                            filter=_normalise_member)
                raw.flush()
                os.fsync(raw.fileno())
            _verify(partial, manifest)
            if before_rename is not None:
                before_rename()
            os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


def _normalise_member(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # no local user names or ids in the archive
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() else 0o644
    return info


def _verify(archive: Path, manifest: Mapping[str, Any]) -> None:
    """Re-read the archive and check every file against the manifest before it gets its name."""
    with tarfile.open(archive, "r:gz") as tar:
        names = {m.name: m for m in tar.getmembers() if m.isfile()}
        for entry in manifest["files"]:
            member = names.get(entry["path"])
            if member is None or member.size != entry["size"]:
                raise OSError(f"archive check failed for {entry['path']}")
            handle = tar.extractfile(member)
            if handle is None or hashlib.sha256(handle.read()).hexdigest() != entry["sha256"]:
                raise OSError(f"archive check failed for {entry['path']}")
