"""pytest fixture for the MySQL protocol-level stand-in (register with ``pytest_plugins``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.standin.mysql8 import MySQLStandIn
from tests.standin.profiles import Profile

StandInFactory = Callable[[str | Profile], MySQLStandIn]


@pytest.fixture
def mysql_standin() -> Iterator[StandInFactory]:
    """Factory: ``mysql_standin("mysql-8.4")`` -> a started ``MySQLStandIn``, stopped after the test."""
    started: list[MySQLStandIn] = []

    def factory(profile: str | Profile) -> MySQLStandIn:
        standin = MySQLStandIn(profile).start()
        started.append(standin)
        return standin

    yield factory
    for standin in reversed(started):
        standin.stop()
