"""The server's option file, when the server runs on this machine.

"This machine" is decided from evidence that the server we talk to is a process here, never from the
address: 127.0.0.1 may be an SSH port-forward (or a tunnel of ours) to a server elsewhere, whose option
file is not this machine's /etc/my.cnf. Evidence (see :func:`local_evidence`): the socket we connected
to is the server's @@socket, or the server's @@pid_file names a live mysqld/mariadbd here that started
when the server says it did (Uptime) and runs in the server's @@datadir. Through SSH: never.

Only the raw text is collected here; the bundle removes every password-like value before anything
is written (collectors.redact), and the text never enters facts.json.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Mapping
from pathlib import Path

from collectors.base import Collector, Context, Skip
from collectors.connection import ConnectionSpec
from collectors.numbers import as_int

DEFAULT_SERVER_OPTION_FILES = ("/etc/my.cnf", "/etc/mysql/my.cnf", "/usr/etc/my.cnf", "/etc/mysql/mariadb.cnf")
MAX_CONFIG_BYTES = 1_000_000
START_TOLERANCE = 5.0  # seconds between the process's start and the server's (Uptime's whole seconds, btime)
SERVER_PROGRAMS = ("mysqld", "mariadbd")


def _pid_path(variables: Mapping[str, str]) -> Path | None:
    pid_file = variables.get("pid_file") or ""
    if not pid_file:
        return None
    path = Path(pid_file)
    return path if path.is_absolute() else Path(variables.get("datadir") or "/nonexistent") / path


def _process_cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _server_cmdline(variables: Mapping[str, str]) -> list[str] | None:
    """The server's command line from its pid file and /proc (call only once the server is known local)."""
    path = _pid_path(variables)
    try:
        pid = int(path.read_text(encoding="ascii").strip()) if path else 0
    except (OSError, ValueError):
        return None
    return _process_cmdline(pid) if pid > 0 else None


def _process_started(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), from /proc/<pid>/stat and /proc/stat's btime."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        boot = next(line for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
                    if line.startswith("btime "))
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, counted after "pid (comm)"
        return int(boot.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _same_path(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def local_evidence(spec: ConnectionSpec, variables: Mapping[str, str], server_started: float | None
                   ) -> tuple[bool, str]:
    """(local, why): whether the server is a process of this machine, with the evidence or its absence.
    ``server_started``: the server's start (epoch seconds) from its Uptime; None when unknown.

    Over TCP the pid file must name a live mysqld/mariadbd here that started when the server did, and the
    server's @@datadir must exist here and be the process's own (its cwd or --datadir) when that can be seen
    (another user's process hides its cwd; the start time then decides, to the second)."""
    if spec.ssh is not None:
        return False, "the server is reached through the SSH bastion, so its files are on another machine"
    socket = variables.get("socket") or ""
    if spec.socket and socket and _same_path(spec.socket, socket):
        return True, f"connected over its Unix socket {socket}"
    where = spec.socket or f"{spec.host or 'localhost'}:{spec.port}"
    elsewhere = f"no evidence that the server runs on this machine ({where} may be forwarded elsewhere)"
    path = _pid_path(variables)
    try:
        pid = int(path.read_text(encoding="ascii").strip()) if path else 0
    except (OSError, ValueError):
        pid = 0
    cmdline = _process_cmdline(pid) if pid > 0 else None
    if not cmdline or not os.path.basename(cmdline[0]).startswith(SERVER_PROGRAMS):
        return False, f"{elsewhere}: its pid file {variables.get('pid_file') or '(none)'} names no server process here"
    started = _process_started(pid)
    if server_started is None or started is None or abs(started - server_started) > START_TOLERANCE:
        return False, f"{elsewhere}: process {pid} of its pid file here did not start when the server did"
    datadir = variables.get("datadir") or ""
    seen = [arg.split("=", 1)[1] for arg in cmdline[1:] if arg.startswith("--datadir=")]
    try:
        seen.append(os.readlink(f"/proc/{pid}/cwd"))  # the server runs in its datadir
    except OSError:
        pass
    if not datadir or not os.path.isdir(datadir) or not all(_same_path(d, datadir) for d in seen):
        return False, f"{elsewhere}: process {pid} of its pid file here does not run in its datadir {datadir}"
    return True, f"process {pid} of its pid file runs here, in its datadir, and started when the server did"


def find_option_file(variables: dict[str, str]) -> tuple[Path | None, str]:
    """(path, how we know). None with the reason when the server's option file is not knowable."""
    cmdline = _server_cmdline(variables)
    if cmdline:
        for arg in cmdline[1:]:
            if arg == "--no-defaults":
                return None, "the server was started with --no-defaults: it reads no option file"
            if arg.startswith("--defaults-file="):
                return Path(arg.split("=", 1)[1]), "--defaults-file on the server's command line"
    for candidate in DEFAULT_SERVER_OPTION_FILES:
        if os.path.isfile(candidate):
            how = "the server's default location" + (" (process seen)" if cmdline else "")
            return Path(candidate), how
    return None, "no option file in the default locations (" + ", ".join(DEFAULT_SERVER_OPTION_FILES) + ")"


def read_option_tree(path: Path, seen: set[Path] | None = None) -> str:
    """The file with its !include / !includedir files appended, each under a header line."""
    seen = seen if seen is not None else set()
    path = path.resolve()
    if path in seen:
        return ""
    seen.add(path)
    text = path.read_text(encoding="utf-8", errors="replace")[:MAX_CONFIG_BYTES]
    parts = [f"# ==> {path} <==\n{text}" if seen and len(seen) > 1 else text]
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("!includedir"):
            directory = Path(" ".join(shlex.split(stripped)[1:]))
            if directory.is_dir():
                for child in sorted(directory.iterdir()):
                    if child.suffix in (".cnf", ".ini") and child.is_file():
                        parts.append(read_option_tree(child, seen))
        elif stripped.startswith("!include"):
            child = Path(" ".join(shlex.split(stripped)[1:]))
            if child.is_file():
                parts.append(read_option_tree(child, seen))
    return "\n".join(p for p in parts if p)


def _server_started(ctx: Context) -> float | None:
    """The server's start (epoch seconds) from the first status sample's Uptime."""
    try:
        uptime = as_int(ctx.facts["status"]["first"]["Uptime"])
        sampled = ctx.shared.status_first_at
    except (KeyError, TypeError, ValueError):
        return None
    if uptime is None or sampled is None:  # no Uptime, or the status collector did not run
        return None
    return time.time() - (time.monotonic() - sampled) - uptime


def collect_config_file(ctx: Context) -> None:
    variables = ctx.facts.get("variables", {})
    local, evidence = local_evidence(ctx.session.spec, variables, _server_started(ctx))
    if not local:
        raise Skip(f"{evidence}: its option file is not read (run ps-prechecks on the server's machine, over "
                   "its socket, to include it)")
    path, how = find_option_file(variables)
    if path is None:
        raise Skip(how)
    try:
        text = read_option_tree(path)
    except OSError as exc:
        raise Skip(f"cannot read {path}: {exc.strerror}") from None
    ctx.artifacts["mysql-config-file"] = text
    ctx.facts["config_file"] = {"path": str(path), "found_by": how, "local_evidence": evidence}


CONFIG_FILE = Collector(
    name="config_file",
    title="Server option file (local servers only, secrets removed)",
    reads=("the server's option file on this machine, with its !include files, once the server is shown to run "
           "here (its socket, or its pid file, start time and datadir)",),
    writes=("config_file",),
    samples=("mysql-config-file",),
    collect=collect_config_file,
    needs=("variables",),  # the option file and the server's datadir and pid file are found from them
    expected_seconds=0.02,
)
