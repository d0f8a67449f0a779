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


def loopback_only(monkeypatch: Any) -> list[Any]:
    """Refuse (and record) every IPv4/IPv6 connect beyond the loopback for the rest of the test: the cloud SDKs'
    credential chains probe metadata servers (169.254.169.254, metadata.google.internal) when not told otherwise.
    The returned list holds what was attempted; a fixture asserts it empty at teardown."""
    import socket

    real_connect = socket.socket.connect
    outside: list[Any] = []

    def guarded(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else ""
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not (host.startswith("127.") or host == "::1"):
            outside.append(address)
            raise OSError(f"test guard: connect to {address} refused (loopback only)")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return outside


CLOUD_ENV_PREFIXES = ("AWS_", "AZURE_", "GOOGLE_", "CLOUDSDK_")  # every cloud SDK's settings and credentials


def cloud_cli_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The environment of a ps-prechecks subprocess in a cloud test: this process's, less any cloud SDK setting and
    MYSQL_PWD, plus ``env``, with its own home and XDG folders under ``tmp_path`` (no draft, key or cache of the
    user's)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(CLOUD_ENV_PREFIXES) and k != "MYSQL_PWD"}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**base, **env, "HOME": str(home), "PYTHONPATH": str(REPO),
            "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_STATE_HOME": str(home / ".local/state"), "XDG_CACHE_HOME": str(home / ".cache")}
