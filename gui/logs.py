"""The wizard's log file: platformdirs' user log dir, rotated, never a password.

Every record goes through `SecretFilter`, which replaces the passwords the wizard currently knows
(the one typed, the one read from an option file or the keychain) before any handler sees it.
"""

from __future__ import annotations

import logging
import logging.handlers
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


def setup_logging(directory: Path | None = None) -> Path:
    """Log to <user log dir>/wizard.log (1 MB, 3 old files kept); returns the file's path."""
    directory = directory or log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "wizard.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SECRETS)
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return path
