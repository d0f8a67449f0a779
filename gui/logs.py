"""The wizard's log file: platformdirs' user log dir, rotated, never a password.

It names hosts and accounts: the folder is 0700 and every log file 0600, like the drafts.

Every record goes through `SecretFilter`, which replaces the passwords the wizard currently knows
(the one typed, the one read from an option file or the keychain) before any handler sees it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

import platformdirs

from collectors.errors import scrub
from collectors.redact import scrub_text

LOGGER = "ps_prechecks"
MAX_BYTES = 1_000_000
BACKUPS = 3


class SecretFilter(logging.Filter):
    """Scrubs the known secrets (and anything shaped like password=...) from every record."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = sorted(self.secrets)
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = scrub(scrub_text(message, secrets), secrets)
        record.args = None
        return True


SECRETS = SecretFilter()


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("ps-prechecks", appauthor=False))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Opens (and, after a rotation, creates) the log file 0600, never through a symlink."""

    def _open(self):  # type: ignore[no-untyped-def]  # the base class leaves it untyped
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0),
                     0o600)
        try:
            if hasattr(os, "fchmod"):  # a file an older version left 0644
                os.fchmod(fd, 0o600)
            return open(fd, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise


def setup_logging(directory: Path | None = None) -> Path:
    """Log to <user log dir>/wizard.log (1 MB, 3 old files kept; folder 0700, files 0600); returns the file's path."""
    directory = directory or log_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)  # the folder an older version made 0755
    for old in directory.glob("wizard.log.*"):  # rotated files an older version left 0644
        if old.is_file() and not old.is_symlink():
            os.chmod(old, 0o600)
    path = directory / "wizard.log"
    handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SECRETS)
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return path
