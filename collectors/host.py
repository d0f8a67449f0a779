"""The server's option file, when the server runs on this machine.

Only the raw text is collected here; the bundle removes every password-like value before anything
is written (collectors.redact), and the text never enters facts.json.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from collectors.base import Collector, Context, Skip

DEFAULT_SERVER_OPTION_FILES = ("/etc/my.cnf", "/etc/mysql/my.cnf", "/usr/etc/my.cnf", "/etc/mysql/mariadb.cnf")
LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1")
MAX_CONFIG_BYTES = 1_000_000


def _server_cmdline(pid_file: str) -> list[str] | None:
    """The server's command line from its pid file and /proc, when it is a process of this machine."""
    try:
        pid = int(Path(pid_file).read_text(encoding="ascii").strip())
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def find_option_file(variables: dict[str, str]) -> tuple[Path | None, str]:
    """(path, how we know). None with the reason when the server's option file is not knowable."""
    cmdline = _server_cmdline(variables.get("pid_file", ""))
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


def collect_config_file(ctx: Context) -> None:
    spec = ctx.session.spec
    host = (spec.host or "").lower()
    if host not in LOCAL_HOSTS and not spec.socket:
        raise Skip(f"the server runs on {spec.host}, not on this machine: its option file cannot be read here")
    variables = ctx.facts.get("variables", {})
    path, how = find_option_file(variables)
    if path is None:
        raise Skip(how)
    try:
        text = read_option_tree(path)
    except OSError as exc:
        raise Skip(f"cannot read {path}: {exc.strerror}") from None
    ctx.artifacts["mysql-config-file"] = text
    ctx.facts["config_file"] = {"path": str(path), "found_by": how}


CONFIG_FILE = Collector(
    name="config_file",
    title="Server option file (local servers only, secrets removed)",
    reads=("the server's option file on this machine, with its !include files",),
    writes=("config_file",),
    samples=("mysql-config-file",),
    collect=collect_config_file,
    expected_seconds=0.02,
)
