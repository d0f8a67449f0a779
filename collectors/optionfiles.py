"""MySQL option files (my.cnf / my.ini) and the obfuscated login-path file, read as the client does.

Nothing here talks to a server. The parsing follows ``mysys/my_default`` (checked against
MariaDB's ``my_print_defaults``):

* ``[group]`` headers select a group; group names compare case-insensitively.
* ``key = value``, ``key=value`` and a bare ``key`` (value ``""``, meaning "on").
* Full-line comments start with ``#`` or ``;``. A ``#`` outside quotes ends the value
  (``user = a#b`` gives ``a``, as the client reads it); ``;`` is a comment only at the start of a line.
* Surrounding whitespace is dropped; one pair of matching outer quotes is removed; the escapes
  ``\\b \\t \\n \\r \\s \\\\ \\" \\'`` are decoded, any other backslash is kept as is.
* Option names: ``-`` and ``_`` are the same (stored with ``_``) and a ``loose_`` prefix is dropped.
* ``!include FILE`` and ``!includedir DIR`` (``*.cnf``, plus ``*.ini`` on Windows, sorted by name) are
  read where they appear. Relative paths are taken relative to the including file's directory.
* Later values win.

A file given explicitly that does not exist raises :class:`OptionFileError`; a garbled line, an
unreadable include or a world-writable file (which the client ignores) only adds a warning.
"""

from __future__ import annotations

import os
import stat
import struct
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

DEFAULT_GROUPS: tuple[str, ...] = ("client", "mysql", "client-server", "client-mariadb")

# The options the connection layer uses; every other option is kept as well.
CONNECTION_OPTIONS: tuple[str, ...] = (
    "host",
    "port",
    "socket",
    "user",
    "password",
    "ssl_mode",
    "ssl_ca",
    "ssl_cert",
    "ssl_key",
    "connect_timeout",
    "database",
)

_MAX_INCLUDE_DEPTH = 10
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "r": "\r", "s": " ", "\\": "\\", '"': '"', "'": "'"}


class OptionFileError(ValueError):
    """An option file named explicitly (e.g. ``--defaults-file``) cannot be read."""


class OptionValues(dict[str, str]):
    """Option name -> value, plus which file set each option and any non-fatal warnings."""

    def __init__(self) -> None:
        super().__init__()
        self.source: dict[str, Path] = {}
        self.warnings: list[str] = []
        self.files_read: list[Path] = []

    def set(self, key: str, value: str, source: Path) -> None:
        self[key] = value
        self.source[key] = source

    def update_from(self, other: OptionValues) -> None:
        for key, value in other.items():
            self.set(key, value, other.source.get(key, Path()))
        self.warnings.extend(other.warnings)
        self.files_read.extend(other.files_read)


def _is_windows(platform: str | None) -> bool:
    return (platform or sys.platform).startswith("win")


def default_option_files(
    *,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    platform: str | None = None,
) -> list[Path]:
    """The option files the mysql client reads by default, in its order, keeping only existing ones.

    ``env``, ``home`` and ``platform`` default to the running process's; they exist for tests.
    The login-path file (``.mylogin.cnf``) is not included: see :func:`login_file_path`.
    """
    environ = os.environ if env is None else env
    candidates: list[Path] = []
    if _is_windows(platform):
        windir = environ.get("WINDIR") or environ.get("SystemRoot")
        if windir:
            candidates += [Path(windir) / "my.ini", Path(windir) / "my.cnf"]
        candidates += [Path("C:\\my.ini"), Path("C:\\my.cnf")]
        if environ.get("MYSQL_HOME"):
            candidates += [Path(environ["MYSQL_HOME"]) / "my.ini", Path(environ["MYSQL_HOME"]) / "my.cnf"]
    else:
        candidates += [Path("/etc/my.cnf"), Path("/etc/mysql/my.cnf")]
        if environ.get("MYSQL_HOME"):
            candidates.append(Path(environ["MYSQL_HOME"]) / "my.cnf")
        user_home = home if home is not None else _home(environ)
        if user_home is not None:
            candidates.append(user_home / ".my.cnf")
    seen: set[Path] = set()
    found: list[Path] = []
    for path in candidates:
        if path in seen:
            continue
        seen.add(path)
        try:
            if path.is_file():
                found.append(path)
        except OSError:
            continue
    return found


def _home(environ: Mapping[str, str]) -> Path | None:
    if environ.get("HOME"):
        return Path(environ["HOME"])
    try:
        return Path.home()
    except (RuntimeError, KeyError):
        return None


def read_option_files(
    paths: Sequence[Path],
    groups: Sequence[str] = DEFAULT_GROUPS,
    *,
    platform: str | None = None,
) -> OptionValues:
    """Read ``paths`` in order and return the options of ``groups`` (later values win).

    Raises :class:`OptionFileError` if one of ``paths`` itself is missing or unreadable.
    """
    wanted = {g.lower() for g in groups}
    values = OptionValues()
    for given in paths:
        path = Path(given)
        try:
            text = _read_text(path)
        except FileNotFoundError:
            raise OptionFileError(
                f"cannot read option file {path}: No such file — check the --defaults-file path"
            ) from None
        except IsADirectoryError:
            raise OptionFileError(
                f"cannot read option file {path}: it is a directory — check the --defaults-file path"
            ) from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise OptionFileError(
                f"cannot read option file {path}: {reason} — check the --defaults-file path"
            ) from None
        if _world_writable(path, platform):
            values.warnings.append(f"{path}: world-writable option file ignored (as the mysql client does)")
            continue
        _parse_into(values, text, path, wanted, depth=0, platform=platform, stack=(path.resolve(),))
    return values


def parse_option_text(text: str, groups: Sequence[str] = DEFAULT_GROUPS, *, source: Path | None = None) -> OptionValues:
    """Parse option-file ``text`` (``!include`` lines are resolved relative to ``source``'s directory)."""
    values = OptionValues()
    src = source if source is not None else Path("<text>")
    _parse_into(values, text, src, {g.lower() for g in groups}, depth=0, platform=None, stack=())
    return values


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="surrogateescape")


def _world_writable(path: Path, platform: str | None) -> bool:
    if _is_windows(platform):
        return False
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and bool(mode & stat.S_IWOTH)


def normalise_key(key: str) -> str:
    """``loose-ssl-ca`` -> ``ssl_ca``: dashes become underscores and a ``loose_`` prefix is dropped."""
    key = key.strip().replace("-", "_")
    if key.lower().startswith("loose_"):
        key = key[len("loose_") :]
    return key


def strip_end_comment(value: str) -> str:
    """Cut ``value`` at the first ``#`` that is outside quotes (``remove_end_comment`` in mysys)."""
    quote = ""
    escape = False
    for i, ch in enumerate(value):
        if ch in "'\"" and not escape:
            if not quote:
                quote = ch
            elif quote == ch:
                quote = ""
        elif not quote and ch == "#":
            return value[:i]
        escape = bool(quote) and ch == "\\" and not escape
    return value


def _decode_value(raw: str) -> str:
    value = raw.strip()
    if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
        value = value[1:-1]
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _parse_into(
    values: OptionValues,
    text: str,
    path: Path,
    wanted: set[str],
    *,
    depth: int,
    platform: str | None,
    stack: tuple[Path, ...],
) -> None:
    values.files_read.append(path)
    in_group = False
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line[0] in "#;":
            continue
        if line[0] == "!":
            _directive(values, line, path, lineno, wanted, depth=depth, platform=platform, stack=stack)
            continue
        if line[0] == "[":
            end = line.find("]")
            if end < 0:
                values.warnings.append(f"{path}:{lineno}: group header without ']' skipped")
                in_group = False
                continue
            in_group = line[1:end].strip().lower() in wanted
            continue
        if not in_group:
            continue
        key, sep, raw_value = strip_end_comment(line).partition("=")
        key = normalise_key(key)
        if not key or any(c.isspace() for c in key):
            values.warnings.append(f"{path}:{lineno}: unreadable line skipped")
            continue
        values.set(key, _decode_value(raw_value) if sep else "", path)


def _directive(
    values: OptionValues,
    line: str,
    path: Path,
    lineno: int,
    wanted: set[str],
    *,
    depth: int,
    platform: str | None,
    stack: tuple[Path, ...],
) -> None:
    word, _, arg = line[1:].partition(" ")
    if not arg:
        word, _, arg = line[1:].partition("\t")
    word = word.strip().lower()
    arg = arg.strip()
    if word not in ("include", "includedir") or not arg:
        values.warnings.append(f"{path}:{lineno}: unknown directive skipped")
        return
    if depth + 1 >= _MAX_INCLUDE_DEPTH:
        values.warnings.append(f"{path}:{lineno}: includes nested too deeply, skipped")
        return
    target = Path(arg).expanduser()
    if not target.is_absolute():
        target = path.parent / target
    if word == "include":
        files = [target]
    else:
        suffixes = {".cnf", ".ini"} if _is_windows(platform) else {".cnf"}
        try:
            files = sorted(
                (p for p in target.iterdir() if p.suffix.lower() in suffixes and p.is_file()),
                key=lambda p: p.name,
            )
        except OSError as exc:
            values.warnings.append(f"{path}:{lineno}: cannot read directory {target}: {exc.strerror}")
            return
    for file in files:
        try:
            resolved = file.resolve()
            if resolved in stack:
                values.warnings.append(f"{path}:{lineno}: {file} includes itself, skipped")
                continue
            text = _read_text(file)
        except OSError as exc:
            values.warnings.append(f"{path}:{lineno}: cannot read {file}: {exc.strerror}")
            continue
        if _world_writable(file, platform):
            values.warnings.append(f"{file}: world-writable option file ignored (as the mysql client does)")
            continue
        _parse_into(values, text, file, wanted, depth=depth + 1, platform=platform, stack=(*stack, resolved))


# --- login-path file (.mylogin.cnf) ----------------------------------------------------------------

_LOGIN_KEY_LEN = 20
_LOGIN_HEADER_LEN = 4 + _LOGIN_KEY_LEN


def login_file_path(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path | None:
    """Where the client looks for the login-path file (``MYSQL_TEST_LOGIN_FILE`` overrides)."""
    environ = os.environ if env is None else env
    if environ.get("MYSQL_TEST_LOGIN_FILE"):
        return Path(environ["MYSQL_TEST_LOGIN_FILE"])
    if _is_windows(platform):
        appdata = environ.get("APPDATA")
        return Path(appdata) / "MySQL" / ".mylogin.cnf" if appdata else None
    home = _home(environ)
    return home / ".mylogin.cnf" if home is not None else None


def _login_cipher_key(raw_key: bytes) -> bytes:
    key = bytearray(16)
    for i, b in enumerate(raw_key):
        key[i % 16] ^= b
    return bytes(key)


def decrypt_login_file(data: bytes) -> str:
    """The plain text of a ``mysql_config_editor`` file. Raises :class:`OptionFileError` if garbled."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(data) < _LOGIN_HEADER_LEN:
        raise OptionFileError("login-path file is too short")
    key = _login_cipher_key(data[4:_LOGIN_HEADER_LEN])
    cipher = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305 - the file format is AES-128-ECB
    lines: list[str] = []
    pos = _LOGIN_HEADER_LEN
    while pos + 4 <= len(data):
        (length,) = struct.unpack_from("<i", data, pos)
        pos += 4
        if length <= 0 or length % 16 or pos + length > len(data):
            raise OptionFileError("login-path file is garbled (bad chunk length)")
        decryptor = cipher.decryptor()
        plain = decryptor.update(data[pos : pos + length]) + decryptor.finalize()
        pos += length
        pad = plain[-1]
        if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
            raise OptionFileError("login-path file is garbled (bad padding)")
        lines.append(plain[:-pad].decode("utf-8", errors="surrogateescape"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def encrypt_login_file(text: str, raw_key: bytes | None = None) -> bytes:
    """Encrypt ``text`` line by line as ``mysql_config_editor`` does (used by tests and tooling)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    raw = os.urandom(_LOGIN_KEY_LEN) if raw_key is None else raw_key
    if len(raw) != _LOGIN_KEY_LEN:
        raise ValueError("the login-file key is 20 bytes")
    cipher = Cipher(algorithms.AES(_login_cipher_key(raw)), modes.ECB())  # noqa: S305
    out = bytearray(b"\0\0\0\0" + raw)
    for line in text.splitlines(keepends=True):
        plain = line.encode("utf-8", errors="surrogateescape")
        pad = 16 - len(plain) % 16
        encryptor = cipher.encryptor()
        chunk = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
        out += struct.pack("<i", len(chunk)) + chunk
    return bytes(out)


def read_login_path(login_path: str = "client", path: Path | None = None) -> dict[str, str]:
    """The options of ``[login_path]`` merged over ``[client]`` from the login-path file.

    A missing file gives ``{}`` (the client ignores it too); a garbled one raises :class:`OptionFileError`.
    """
    file = path if path is not None else login_file_path()
    if file is None:
        return {}
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise OptionFileError(f"cannot read login-path file {file}: {exc.strerror}") from None
    text = decrypt_login_file(data)
    client = parse_option_text(text, ("client",), source=file)
    result = dict(client)
    if login_path.lower() != "client":
        result.update(parse_option_text(text, (login_path,), source=file))
    return result
