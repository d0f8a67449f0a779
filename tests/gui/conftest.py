"""Fixtures for the wizard tests: a wizard with private settings and the in-memory keyring."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gui.settings import Settings
from gui.state import PageId
from gui.wizard import Wizard
from tests.conftest import InMemoryKeyring
from tests.servers import MariaDBServer

MakeWizard = Callable[[], Wizard]


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
