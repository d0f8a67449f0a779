"""wizard.log names hosts and accounts: its folder is 0700 and every log file 0600 (issue 13, finding 9)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui.logs import LOGGER, log_dir, setup_logging
from tests.gui.conftest import wizard_log_handlers


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common 022: files 0644 and folders 0755 unless the code asks for less."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def wizard_log(usual_umask: None) -> Iterator[Path]:
    """The log set up as gui.app does (setup_logging() in the user log dir), its handler removed after."""
    with wizard_log_handlers():
        yield setup_logging()


def _handler(path: Path) -> logging.handlers.RotatingFileHandler:
    return next(h for h in logging.getLogger(LOGGER).handlers
                if isinstance(h, logging.handlers.RotatingFileHandler) and h.baseFilename == str(path))


def test_a_new_log_is_0600_in_a_0700_folder_and_stays_so_after_rotation(wizard_log: Path) -> None:
    assert wizard_log == log_dir() / "wizard.log"
    logger = logging.getLogger(LOGGER)
    logger.info("connecting to db7.corp.example:3306 as app_writer")
    assert _mode(wizard_log.parent) == 0o700
    assert _mode(wizard_log) == 0o600
    handler = _handler(wizard_log)
    handler.maxBytes = 200  # rotate on the next records
    for number in range(5):
        logger.info("record %d for db7.corp.example as app_writer, long enough to rotate the file", number)
    rotated = sorted(wizard_log.parent.glob("wizard.log.*"))
    assert rotated, "the log did not rotate"
    assert {p.name: _mode(p) for p in [wizard_log, *rotated]} == {p.name: 0o600 for p in [wizard_log, *rotated]}


def test_the_log_an_older_version_left_open_is_made_private(usual_umask: None) -> None:
    folder = log_dir()
    folder.mkdir(parents=True, mode=0o755)
    for name in ("wizard.log", "wizard.log.1"):
        (folder / name).write_text("2026-01-01 INFO ps_prechecks: connecting to db7.corp.example\n")
        os.chmod(folder / name, 0o644)
    logger = logging.getLogger(LOGGER)
    before = list(logger.handlers)
    try:
        path = setup_logging()
        logger.info("again")
    finally:
        for handler in [h for h in logger.handlers if h not in before]:
            logger.removeHandler(handler)
            handler.close()
    assert "again" in path.read_text()
    assert _mode(folder) == 0o700
    assert _mode(folder / "wizard.log") == 0o600
    assert _mode(folder / "wizard.log.1") == 0o600
