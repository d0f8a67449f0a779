"""Fixtures for the wizard tests: a wizard with private settings and the in-memory keyring."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from gui.logs import LOGGER, SECRETS
from gui.settings import Settings
from gui.state import PageId
from gui.wizard import Wizard
from tests.conftest import InMemoryKeyring
from tests.servers import MariaDBServer

MakeWizard = Callable[[], Wizard]


@pytest.fixture(autouse=True)
def private_home_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """platformdirs reads HOME and XDG_* on Linux: drafts, settings and the Save page's default folder
    (the documents folder, else the home) land in tmp_path, never in the real home."""
    base = tmp_path / "xdg"
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(base / name.removeprefix("XDG_").removesuffix("_HOME").lower()))
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(home / "Documents"))
    return base


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def make_wizard(qtbot, config_dir: Path, in_memory_keyring: InMemoryKeyring) -> Iterator[MakeWizard]:
    made: list[Wizard] = []

    def make() -> Wizard:
        wizard = Wizard(settings=Settings(config_dir))
        qtbot.addWidget(wizard)
        wizard.show()
        made.append(wizard)
        return wizard

    yield make
    for wizard in made:
        wizard.close()  # done(): every thread joined
        assert not wizard.tasks.running


@pytest.fixture
def wizard(make_wizard: MakeWizard) -> Wizard:
    return make_wizard()


def fill_connection(wizard: Wizard, server: MariaDBServer, user: str = "root", password: str | None = None) -> None:
    if wizard.currentId() == PageId.WELCOME:
        wizard.next()
    assert wizard.currentId() == PageId.CONNECTION
    page = wizard.connection
    page.via_tcp.setChecked(True)
    page.host_edit.setText(server.host)
    page.port.setValue(server.port)
    page.user.setText(user)
    page.password.setText(server.root_password if password is None else password)
    page.tls_mode.setCurrentIndex(page.tls_mode.findData("preferred"))


def run_to_questionnaire(qtbot, wizard: Wizard, server: MariaDBServer, sleep: int = 1) -> None:
    """Connect as root, collect with a short sampling interval, and go on to the questionnaire's first section."""
    run_to_findings(qtbot, wizard, server, sleep)
    wizard.next()
    assert wizard.currentId() == PageId.QUESTIONNAIRE


def to_options(qtbot, wizard: Wizard, server: MariaDBServer, host: str | None = None, sleep: int = 1) -> None:
    """Connect as root (from Welcome or Connection; to ``host`` instead of the server's own name when given) and
    stop on Options with a short sampling interval."""
    fill_connection(wizard, server)
    if host is not None:
        wizard.connection.host_edit.setText(host)
    wizard.next()  # tests the connection, then goes on by itself (root: nothing missing)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=20_000)
    wizard.options_page.sampling_interval.setValue(sleep)


def run_to_findings(qtbot, wizard: Wizard, server: MariaDBServer, sleep: int = 1) -> None:
    """Connect as root (from Welcome or Connection), collect with a short sampling interval, show Findings."""
    to_options(qtbot, wizard, server, sleep=sleep)
    wizard.next()
    qtbot.waitUntil(wizard.collect.isComplete, timeout=90_000)
    wizard.next()
    assert wizard.currentId() == PageId.FINDINGS


def save_through(qtbot, wizard: Wizard, target: Path, timeout: int = 60_000) -> None:
    """Next through every page to Save, then save the archive as ``target`` (its folder is made) and wait."""
    while wizard.currentId() != PageId.SAVE:
        before = wizard.currentId()
        wizard.next()
        assert wizard.currentId() != before, f"stuck at {PageId(before).name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    wizard.save.path.setText(str(target))
    wizard.save.save_button.click()
    qtbot.waitUntil(lambda: wizard.state.archive is not None, timeout=timeout)


def type_a_draft_answer(wizard: Wizard, text: str) -> None:
    """Type ``text`` as the stack answer on the questionnaire page and write the draft (a draft file exists)."""
    from gui.qt import QPlainTextEdit

    question = next(f for f in wizard.questionnaire.fields if f.question.id == "architecture.stack")
    assert isinstance(question.input, QPlainTextEdit)
    question.input.setPlainText(text)
    wizard.questionnaire.flush_draft()


@contextlib.contextmanager
def wizard_log_handlers(secrets: Iterable[str] = ()) -> Iterator[None]:
    """The log handlers the block adds to the wizard's logger (setup_logging, gui.app.run) removed and closed
    after it, and the secret filter's secrets (``secrets`` during the block) emptied."""
    logger = logging.getLogger(LOGGER)
    before = list(logger.handlers)
    SECRETS.secrets = set(secrets)
    try:
        yield
    finally:
        for handler in [h for h in logger.handlers if h not in before]:
            logger.removeHandler(handler)
            handler.close()
        SECRETS.secrets = set()
