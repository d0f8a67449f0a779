"""Drafts: the user's questionnaire answers, saved per server so the next run (or the wizard) restores them.

A draft lives in ``platformdirs.user_data_dir("ps-prechecks") / "drafts" / <server key>.json``. The key is a
hash of where we connect (host:port or the socket) and the user: never the password, and the file name does
not show the host. A draft holds only answers typed by the user (no prefill, no facts) and is written
atomically: a temp file in the same directory, fsync, os.replace, then an fsync of the directory. A kill
at any moment leaves the last good draft or the new one, never a mix.

Secrets never reach a draft: the account's password (passed as ``secrets``) and URL passwords are
replaced by ``<redacted>`` before writing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from collectors.redact import REDACTED, has_url_password, scrub_text
from prechecks.questionnaire import Questionnaire, Value, load_questionnaire, validate_answers

APP_NAME = "ps-prechecks"
DRAFT_FORMAT_VERSION = 1


class DraftError(OSError):
    """A draft could not be written (the message names the file)."""


@dataclass(frozen=True)
class Draft:
    key: str
    path: Path
    answers: dict[str, Value]
    saved_at: str | None
    label: str


def drafts_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "drafts"


def server_key(*, host: str | None, port: int | None, socket: str | None, user: str | None) -> str:
    """A stable, opaque key for one server and account: sha256 of host:port (or the socket) and the user."""
    where = f"socket:{socket}" if socket and not host else f"tcp:{(host or 'localhost').lower()}:{port or 3306}"
    return hashlib.sha256(f"{where}|user:{user or ''}".encode()).hexdigest()[:32]


def server_label(*, host: str | None, port: int | None, socket: str | None, user: str | None) -> str:
    where = socket if socket and not host else f"{host or 'localhost'}:{port or 3306}"
    return f"{user or ''}@{where}"


def source_where(source: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """facts.json's ``source`` as the keyword arguments of server_key/server_label; None when it names no server."""
    if not isinstance(source, Mapping) or not (source.get("host") or source.get("socket")):
        return None
    return {"host": source.get("host"), "port": source.get("port"), "socket": source.get("socket"),
            "user": source.get("user")}


def draft_path(key: str, directory: Path | None = None) -> Path:
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise ValueError(f"not a draft key: {key!r}")
    return (directory or drafts_dir()) / f"{key}.json"


def _clean(value: Value, secrets: Sequence[str]) -> Value:
    if isinstance(value, str):
        text = scrub_text(value, secrets)
        return REDACTED if has_url_password(text) else text
    if isinstance(value, list):
        return [str(_clean(v, secrets)) for v in value]
    return value


def save_draft(key: str, answers: Mapping[str, Value], *, label: str = "", secrets: Sequence[str] = (),
               directory: Path | None = None) -> Path:
    """Write the draft atomically and return its path. ``secrets`` are scrubbed from every answer."""
    path = draft_path(key, directory)
    secrets = [s for s in secrets if s]
    document: dict[str, Any] = {
        "format_version": DRAFT_FORMAT_VERSION,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "server": scrub_text(label, secrets) if label else "",
        "answers": {qid: _clean(value, secrets) for qid, value in sorted(answers.items())},
    }
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DraftError(f"cannot save the draft {path}: {exc.strerror or exc}") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise DraftError(f"cannot save the draft {path}: {exc.strerror or exc}") from None
        raise
    _fsync_dir(path.parent)
    for stale in path.parent.glob(f".{path.stem}.*.tmp"):  # left by a save that was killed
        stale.unlink(missing_ok=True)
    return path


def _fsync_dir(directory: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return  # Windows: os.replace is enough
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def load_draft(key: str, *, questionnaire: Questionnaire | None = None, directory: Path | None = None) -> Draft | None:
    """The saved draft for ``key``, None when there is none or it is unreadable.

    Answers to questions the questionnaire no longer has, or that no longer fit their type, are dropped.
    """
    path = draft_path(key, directory)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("answers"), dict):
        return None
    answers = validate_answers(questionnaire or load_questionnaire(), document["answers"], strict=False)
    return Draft(key, path, answers, document.get("saved_at"), str(document.get("server", "")))


def delete_draft(key: str, *, directory: Path | None = None) -> bool:
    path = draft_path(key, directory)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def stale_temp_files(directory: Path | None = None) -> list[Path]:
    """Temp files a killed save left behind (they never replace a draft); safe to delete."""
    base = directory or drafts_dir()
    return sorted(base.glob(".*.tmp")) if base.is_dir() else []
