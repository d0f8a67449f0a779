"""A server that says it is a managed one (here: Cloud SQL's version string) but was run without a cloud flag gets
one line naming the flag that reads its size and load; --no-cloud silences it; nothing cloud is contacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from prechecks import cli
from tests.servers import MariaDBFactory, MariaDBServer


def _run(server: MariaDBServer, tmp_path: Path, *extra: str) -> int:
    return cli.main(["--host", "127.0.0.1", "--port", str(server.port), "--user", "root",
                     f"--password={server.root_password}", "--sleep", "0.2", "--no-draft", "--no-schema-ddl",
                     "--output", str(tmp_path), *extra])


def test_a_cloud_sql_server_without_a_cloud_flag_is_told_the_flag(mariadb_factory: MariaDBFactory, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    server = mariadb_factory(extra_options={"version": "5.7.44-google-log"})
    code = _run(server, tmp_path)
    err = capsys.readouterr().err
    assert code == 0, err
    assert ("ps-prechecks: this server looks like Google Cloud SQL: --gcp-instance PROJECT:REGION:INSTANCE (the "
            "console's Connection name) adds the instance's size, storage and 14 days of load to the archive "
            "(read-only; --no-cloud silences this)") in err
    code = _run(server, tmp_path, "--no-cloud")
    err = capsys.readouterr().err
    assert code == 0 and "looks like" not in err


def test_a_self_managed_server_gets_no_hint(mariadb: MariaDBServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    code = _run(mariadb, tmp_path)
    err = capsys.readouterr().err
    assert code == 0 and "looks like" not in err
