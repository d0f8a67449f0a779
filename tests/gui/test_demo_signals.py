"""`ps-prechecks-wizard --demo` ended by SIGTERM or SIGINT (a session logging out, Ctrl+C in its terminal, `kill`):
the wizard closes as its Cancel does, and its throwaway mariadbd stops and its ps-prechecks-demo-* folder goes,
whether the signal comes while the window is up or while the demo server is still being made.

The real program in a subprocess (offscreen), with its own TMPDIR and log folder to watch."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from prechecks import demo

pytestmark = pytest.mark.skipif(not demo.available(), reason="--demo needs mariadbd and mariadb-install-db")

WIZARD = Path(sys.executable).parent / "ps-prechecks-wizard"
WAIT = 90.0  # seconds: a loaded machine, and the demo server's install-db


def wait_for(condition: Callable[[], object], what: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the wizard exited ({proc.returncode}) before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {WAIT:.0f} s")
        time.sleep(0.05)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="psd-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def processes_using(folder: Path) -> list[str]:
    """The command lines of the running processes that name `folder` (a mariadbd's --datadir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(folder) in command:
                found.append(f"{entry.name}: {command}")
    return found


@pytest.mark.parametrize("moment", ["window", "starting"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_demo_server_and_removes_its_folder(tmp_path: Path, short_tmp: Path,
                                                               signum: signal.Signals, moment: str) -> None:
    tmp = short_tmp  # the demo's socket is in its folder there: a unix socket path has room for 107 bytes
    home, state = tmp_path / "demo-home", tmp_path / "demo-state"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DISPLAY", "WAYLAND"))}
    env |= {"QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(tmp), "HOME": str(home), "XDG_STATE_HOME": str(state),
            "XDG_CONFIG_HOME": str(tmp_path / "demo-config"), "XDG_DATA_HOME": str(tmp_path / "demo-data")}
    log = state / "ps-prechecks" / "log" / "wizard.log"
    proc = subprocess.Popen([str(WIZARD), "--demo"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for(lambda: list(tmp.glob("ps-prechecks-demo-*")), "demo folder", proc)
        (folder,) = tmp.glob("ps-prechecks-demo-*")
        if moment == "window":
            wait_for(lambda: log.is_file() and "wizard shown" in log.read_text(), "window", proc)
            assert processes_using(folder), "the demo server is not running"
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signum, err
    assert processes_using(folder) == []
    assert not folder.exists(), sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))[:20]
    text = log.read_text()
    assert f"{signal.Signals(signum).name}: closing the wizard" in text, err  # a logging error goes to stderr
    assert "Logging error" not in err, err
    if moment == "window":
        assert "wizard closed at page" in text  # done(): closed as Cancel closes it
        assert "demo server stopped and removed" in text
