"""Small helpers shared by the engine and CLI tests (no pytest fixtures here)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from collectors.connection import ConnectionSpec
from tests.servers import MariaDBServer

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "prechecks.cli"]


def spec_for(server: MariaDBServer, user: str = "root", password: str | None = None, **kw: Any) -> ConnectionSpec:
    return ConnectionSpec(
        host=server.host, port=server.port, user=user,
        password=server.root_password if password is None and user == "root" else password, **kw,
    )


def run_cli(args: list[str], *, password: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("MYSQL_PWD", None)
    if password is not None:
        full_env["MYSQL_PWD"] = password
    full_env["PYTHONPATH"] = str(REPO)
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=full_env, timeout=timeout,
                          check=False, cwd=REPO)


def server_args(server: MariaDBServer, user: str = "root") -> list[str]:
    return [f"--host={server.host}", f"--port={server.port}", f"--user={user}"]


def read_archive(path: Path) -> dict[str, bytes]:
    """Every regular file of a tarball: name -> bytes."""
    out: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                out[member.name] = handle.read()
    return out


def archive_json(files: dict[str, bytes], name: str) -> Any:
    return json.load(io.BytesIO(files[name]))
