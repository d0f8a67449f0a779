"""Shared fixtures: real throwaway MariaDB servers (see tests/servers.py) and an in-memory keyring."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from typing import Any

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from tests import servers
from tests.servers import MariaDBFactory, MariaDBServer

pytest_plugins = ["tests.standin.fixtures"]  # the MySQL-8 protocol-level stand-in


def _require_mariadb() -> None:
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)


def pytest_unconfigure(config: pytest.Config) -> None:
    # Servers are stopped by their fixtures; this kills anything left and removes the template.
    servers.shutdown_all()


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    """One server for the whole session: binlog ROW, performance_schema ON, general log off.

    Shared: tests that change server state must undo it (or use ``mariadb_factory``).
    """
    _require_mariadb()
    server = servers.start_mariadb(tmp_path_factory.mktemp("mariadb"))
    yield server
    servers.discard(server)


@pytest.fixture
def mariadb_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBFactory]:
    """``factory(**start_mariadb keyword arguments) -> MariaDBServer``; all stopped after the test."""
    _require_mariadb()
    started: list[MariaDBServer] = []

    def factory(**kwargs: Any) -> MariaDBServer:
        server = servers.start_mariadb(tmp_path_factory.mktemp("mariadb-f"), **kwargs)
        started.append(server)
        return server

    yield factory
    servers.stop_all(started)
    for server in started:
        servers.discard(server)


@pytest.fixture(scope="session")
def replication_pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[MariaDBServer, MariaDBServer]]:
    """(primary, replica): GTID replication running. Shared by the session."""
    _require_mariadb()
    primary, replica = servers.start_replication_pair(tmp_path_factory.mktemp("replication"))
    yield primary, replica
    servers.stop_all([replica, primary])
    for server in (replica, primary):
        servers.discard(server)


class InMemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict: ``passwords[(service, username)]``."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(f"no password for {username!r} in {service!r}") from None


# KeyringBackend's metaclass registers every concrete subclass for keyring's own backend detection;
# take this one out so it is used only where the fixture installs it.
getattr(KeyringBackend, "_classes", set()).discard(InMemoryKeyring)


@pytest.fixture
def in_memory_keyring() -> Iterator[InMemoryKeyring]:
    """Install an InMemoryKeyring as keyring's backend for the test; restore the previous one after."""
    previous = keyring.get_keyring()
    backend = InMemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)

