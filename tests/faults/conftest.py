"""Fixtures of the fault suite: a sandbox per test and servers with planted secrets (tests/faults/helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.faults.helpers import Box, Planted, plant, server_option_file, token
from tests.servers import MariaDBFactory

PlantedFactory = Callable[..., Planted]


@pytest.fixture
def box(tmp_path: Path) -> Box:
    return Box(tmp_path / "box", tmp_path / "inputs")


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planted]:
    """One planted server for the faults that leave it as it was (it stays up; nothing is created on it)."""
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    base = tmp_path_factory.mktemp("faults-shared")
    config_secret = token("CnfSecret")
    server = servers.start_mariadb(base / "server", defaults_file=server_option_file(base / "etc", config_secret))
    planted = None
    try:
        planted = plant(server, base, config_secret)
        yield planted
    finally:
        if planted is not None:
            planted.stop()
        servers.discard(server)


@pytest.fixture
def planted_server(mariadb_factory: MariaDBFactory, tmp_path: Path) -> Iterator[PlantedFactory]:
    """``factory(grants=..., sleeper=..., **start_mariadb keywords) -> Planted`` on a server of its own."""
    made: list[Planted] = []

    def factory(*, grants: tuple[str, ...] = ("ALL PRIVILEGES ON *.*",), sleeper: bool = True,
                schemas: int = 4, **server_kwargs: Any) -> Planted:
        directory = tmp_path / f"planted-{len(made)}"
        config_secret = token("CnfSecret")
        server = mariadb_factory(defaults_file=server_option_file(directory, config_secret), **server_kwargs)
        planted = plant(server, directory, config_secret, grants=grants, sleeper=sleeper, schemas=schemas)
        made.append(planted)
        return planted

    yield factory
    for planted in made:
        planted.stop()
