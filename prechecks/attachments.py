"""Attachments: files the user adds to the submission (a diagram, a provider bill, a slow query log).

They go into the archive as ``attachments/<safe name>``, byte for byte, and are listed in the manifest like
every file. Names are sanitised (no directories, no path traversal, no hidden files, no duplicates) and
sizes are capped: 25 MB per file and 100 MB in all by default; beyond a cap, a one-line error names the
file and the cap.

A symlink is refused, naming its target: the archive must carry the file the user named, under that
file's own name, not whatever a link points to (now, or after it was added).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

MB = 1_000_000
MAX_FILE_BYTES = 25 * MB
MAX_TOTAL_BYTES = 100 * MB
MAX_NAME_CHARS = 100
ARCHIVE_DIR = "attachments"


class AttachmentError(ValueError):
    """An attachment that cannot be added: one line naming the file and why."""


@dataclass(frozen=True)
class Attachment:
    name: str  # the safe name inside attachments/
    path: Path  # where it is read from when the archive is written
    size: int

    @property
    def archive_path(self) -> str:
        return f"{ARCHIVE_DIR}/{self.name}"

    @property
    def size_text(self) -> str:
        return format_size(self.size)


def format_size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < MB:
        return f"{size / 1000:.1f} kB"
    return f"{size / MB:.1f} MB"


def sizes_apart(size: int, cap: int) -> tuple[str, str]:
    """Both sizes as format_size writes them, or in bytes when that would print them alike
    ("1.0 kB, over the cap of 1.0 kB")."""
    over, limit = format_size(size), format_size(cap)
    return (over, limit) if over != limit else (f"{size:,} bytes", f"{cap:,} bytes")


def safe_name(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A file name fit for attachments/: the base name, letters, digits, ``.-_`` only, unique in ``taken``."""
    base = PurePath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-") or "attachment"
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem:
        stem, suffix = base, ""
    suffix = suffix[:10]
    stem = stem[: MAX_NAME_CHARS - len(suffix) - 5]
    candidate = f"{stem}.{suffix}" if suffix else stem
    number = 2
    lowered = {t.lower() for t in taken}
    while candidate.lower() in lowered:
        candidate = f"{stem}-{number}.{suffix}" if suffix else f"{stem}-{number}"
        number += 1
    return candidate


class Attachments:
    """The list the user builds: add, remove, sizes, caps. Files are read only when the archive is written."""

    def __init__(self, *, max_file_bytes: int = MAX_FILE_BYTES, max_total_bytes: int = MAX_TOTAL_BYTES) -> None:
        self.max_file_bytes = max_file_bytes
        self.max_total_bytes = max_total_bytes
        self._items: list[Attachment] = []

    def __iter__(self) -> Iterator[Attachment]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    @property
    def total_bytes(self) -> int:
        return sum(a.size for a in self._items)

    def add(self, path: Path | str) -> Attachment:
        source = Path(path).expanduser()
        if source.is_symlink():
            target = os.path.realpath(source)
            raise AttachmentError(f"attachment {source} is a symbolic link to {target} — attach {target} itself "
                                  "if that is the file you mean")
        try:
            if not source.is_file():
                raise AttachmentError(f"attachment {source}: not a file")
            size = source.stat().st_size
            with source.open("rb"):
                pass  # readable now, not only when the archive is written
        except OSError as exc:
            raise AttachmentError(f"attachment {source}: cannot read it ({exc.strerror or exc})") from None
        if _is_redaction_map(source.name, source.read_bytes()[:_MAP_PEEK] if size else b""):
            raise AttachmentError(_MAP_REFUSED.format(source=source))
        if size > self.max_file_bytes:
            over, cap = sizes_apart(size, self.max_file_bytes)
            raise AttachmentError(f"attachment {source} is {over}, over the cap of {cap} per file")
        if self.total_bytes + size > self.max_total_bytes:
            over, cap = sizes_apart(self.total_bytes + size, self.max_total_bytes)
            raise AttachmentError(f"attachment {source} ({format_size(size)}) would bring the attachments to "
                                  f"{over}, over the cap of {cap} in all")
        attachment = Attachment(safe_name(source.name, {a.name for a in self._items}), source, size)
        self._items.append(attachment)
        return attachment

    def remove(self, name: str) -> Attachment:
        for index, attachment in enumerate(self._items):
            if attachment.name == name:
                return self._items.pop(index)
        raise KeyError(name)

    def clear(self) -> None:
        self._items.clear()

    def as_mapping(self) -> dict[str, Path]:
        """safe name -> source path: what ArchiveInputs.attachments takes."""
        return {a.name: a.path for a in self._items}


def read_attachment(name: str, path: Path, *, max_file_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes for the archive, checking again that it is still under the cap."""
    if safe_name(name) != name:
        raise AttachmentError(f"attachment name {name!r} is not a safe name")
    if Path(path).is_symlink():  # swapped for a link since it was added
        raise AttachmentError(f"attachment {path} is a symbolic link to {os.path.realpath(path)} now — "
                              "add the file itself again")
    try:  # O_NOFOLLOW: a link put there between the check and the open fails too
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)),
                       "rb") as handle:
            data = handle.read(max_file_bytes + 1)
    except OSError as exc:
        raise AttachmentError(f"attachment {path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > max_file_bytes:
        raise AttachmentError(f"attachment {path} grew over the cap of {format_size(max_file_bytes)} per file")
    if _is_redaction_map(Path(path).name, data[:_MAP_PEEK]):  # renamed, or swapped in since it was added
        raise AttachmentError(_MAP_REFUSED.format(source=path))
    return data


_MAP_PEEK = 4096
_MAP_REFUSED = ("attachment {source} is a redaction map: it holds the original names the archive replaced — keep it "
                "next to the archive, never send it")


def _is_redaction_map(name: str, head: bytes) -> bool:
    """A map written next to an archive (prechecks.redaction): by its name, or by its own note near its top."""
    return name.endswith(".redaction-map.json") or b"it is not part of the archive" in head
