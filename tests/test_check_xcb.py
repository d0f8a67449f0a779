"""scripts/check-xcb and scripts/run on a desktop that lacks some of the libraries Qt's xcb plugin loads: one line
naming the packages (not Qt's "Could not load the Qt platform plugin xcb"), or, as root, an apt-get install.

The machine's own libraries are what they are: an `ldconfig` on PATH answers `-p` with a list that lacks some,
and an `apt-get` on PATH records what it was asked. As root, the user's case runs as `nobody` (runuser)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO

ALL = (
    "libxcb.so.1", "libX11-xcb.so.1", "libX11.so.6", "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-image.so.0",
    "libxcb-keysyms.so.1", "libxcb-randr.so.0", "libxcb-render.so.0", "libxcb-render-util.so.0", "libxcb-shape.so.0",
    "libxcb-shm.so.0", "libxcb-sync.so.1", "libxcb-util.so.1", "libxcb-xfixes.so.0", "libxcb-xkb.so.1",
    "libxkbcommon-x11.so.0", "libEGL.so.1", "libGL.so.1", "libxkbcommon.so.0", "libfontconfig.so.1", "libdbus-1.so.3",
)
# what a minimal install and Ubuntu 22.04 lack (the report)
MISSING = ("libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0")
PACKAGES = "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"  # in the script's order
FONT = "" if any(Path("/usr/share/fonts").rglob("*.ttf")) else " fonts-dejavu-core"
AS_ROOT = os.geteuid() == 0
needs_runuser = pytest.mark.skipif(AS_ROOT and shutil.which("runuser") is None, reason="runuser is needed as root")


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def box() -> Iterator[Path]:
    """A folder `nobody` can read (pytest's tmp_path is private to root): a copy of the scripts, a bin/ with the
    stand-ins, and the apt-get log."""
    root = Path(tempfile.mkdtemp(prefix="check-xcb-"))
    try:
        root.chmod(0o755)
        (root / "scripts").mkdir()
        for name in ("run", "check-xcb"):
            shutil.copy(REPO / "scripts" / name, root / "scripts" / name)
        bin_dir = root / "bin"
        bin_dir.mkdir()
        _executable(bin_dir / "apt-get", f'#!/bin/sh\necho "apt-get $*" >> {root}/apt.log\n')
        # scripts/run's own steps: setup-env (nothing to do here) and the wizard (says it was started)
        _executable(root / "scripts" / "setup-env", "#!/bin/sh\nexit 0\n")
        (root / ".venv" / "bin").mkdir(parents=True)
        _executable(root / ".venv" / "bin" / "ps-prechecks-wizard", '#!/bin/sh\necho "wizard started: $*"\n')
        for path in root.rglob("*"):
            path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def ldconfig_without(root: Path, missing: tuple[str, ...]) -> None:
    lines = [f"{len(ALL) - len(missing)} libs found in cache `/etc/ld.so.cache'"]
    lines += [f"\t{name} (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/{name}" for name in ALL if name not in missing]
    listing = root / "ldconfig.txt"
    listing.write_text("\n".join(lines) + "\n")
    listing.chmod(0o644)
    _executable(root / "bin" / "ldconfig", f'#!/bin/sh\n[ "$1" = -p ] && exec cat {listing}\nexit 1\n')


def run(root: Path, command: list[str], *, as_user: bool, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {"PATH": f"{root / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(root), **env}
    prefix = ["runuser", "-u", "nobody", "--"] if as_user and AS_ROOT else []
    if prefix:
        prefix += ["env", *(f"{k}={v}" for k, v in full_env.items())]
    return subprocess.run([*prefix, *command], capture_output=True, text=True, env=full_env, timeout=60,
                          check=False, cwd=root)


@needs_runuser
def test_a_user_is_told_the_missing_packages_in_one_line(box: Path) -> None:
    ldconfig_without(box, MISSING)
    result = run(box, [str(box / "scripts" / "check-xcb")], as_user=True)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (f"scripts/run: the wizard's window needs {PACKAGES}{FONT}, not installed: run as root, "
                             f"or: sudo apt-get install {PACKAGES}{FONT}\n")
    assert not (box / "apt.log").exists()


@needs_runuser
def test_nothing_missing_is_silent(box: Path) -> None:
    ldconfig_without(box, ())
    result = run(box, [str(box / "scripts" / "check-xcb")], as_user=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.skipif(not AS_ROOT, reason="the install runs as root only")
def test_root_installs_them_with_apt_get(box: Path) -> None:
    ldconfig_without(box, MISSING)
    result = run(box, [str(box / "scripts" / "check-xcb")], as_user=False)
    assert result.returncode == 0, result.stderr
    assert (box / "apt.log").read_text().splitlines() == [
        "apt-get update -q", f"apt-get install -y -q --no-install-recommends {PACKAGES}{FONT}"]
    assert f"installing {PACKAGES}{FONT} with apt-get" in result.stderr


@needs_runuser
def test_scripts_run_stops_before_the_wizard_on_a_display_that_lacks_them(box: Path) -> None:
    ldconfig_without(box, MISSING)
    result = run(box, [str(box / "scripts" / "run"), "--demo"], as_user=True, DISPLAY=":0")
    assert result.returncode == 1
    assert "wizard started" not in result.stdout
    assert result.stderr.strip().splitlines() == [
        f"scripts/run: the wizard's window needs {PACKAGES}{FONT}, not installed: run as root, "
        f"or: sudo apt-get install {PACKAGES}{FONT}"]


@needs_runuser
@pytest.mark.parametrize(("env", "args"), [
    ({}, ["--demo"]),  # no X11 display: the wizard says so itself
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, []),  # no window on the display
    ({"DISPLAY": ":0"}, ["--self-test"]),  # offscreen, no window
], ids=["no-display", "qpa-override", "self-test"])
def test_scripts_run_checks_only_for_a_window_on_x11(box: Path, env: dict[str, str], args: list[str]) -> None:
    ldconfig_without(box, MISSING)
    result = run(box, [str(box / "scripts" / "run"), *args], as_user=True, **env)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"wizard started: {' '.join(args)}\n", "")


@needs_runuser
def test_scripts_run_opens_the_wizard_when_nothing_is_missing(box: Path) -> None:
    ldconfig_without(box, ())
    result = run(box, [str(box / "scripts" / "run"), "--demo"], as_user=True, DISPLAY=":0")
    assert (result.returncode, result.stdout, result.stderr) == (0, "wizard started: --demo\n", "")
