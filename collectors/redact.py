"""Remove secrets from option-file text and free text before they reach a report or a bundle.

:func:`redact_option_text` keeps the file's layout and comments and replaces only the values of
password-like options (also in commented-out lines, ``# password = x``) and of any option whose value
holds a URL with a password (``scheme://user:pw@host``). The whole rest of such a line goes, trailing
comment included. Elsewhere (comments, other lines) only the password inside a URL is replaced.
Paths such as ``ssl_key``/``ssl_cert`` are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from collectors.optionfiles import strip_end_comment

REDACTED = "<redacted>"
MIN_SCRUB_LENGTH = 4

# Substrings of a normalised option name (lower case, "-" -> "_", "loose_" dropped) that mark a secret.
_SECRET_SUBSTRINGS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "credential",
    "private_key",
    "access_key",
    "auth_string",
    "filekey",
)
# Whole name components (split on "_" and ".") that mark a secret.
_SECRET_COMPONENTS = frozenset({"pass", "pwd", "pw", "token"})
_SECRET_EXACT = frozenset({"wsrep_sst_auth"})

# Server settings whose names look secret but hold numbers, flags or paths.
_NOT_SECRET_SUFFIXES = (
    "_path",
    "_file",
    "_dir",
    "_size",
    "_length",
    "_lifetime",
    "_interval",
    "_history",
    "_policy",
    "_rounds",
    "_rsa_keys",
    "_require_current",
)
_NOT_SECRET_PREFIXES = (
    "validate_password",
    "simple_password_check",
    "cracklib_password_check",
    "password_reuse_check",
)
_NOT_SECRET_EXACT = frozenset(
    {"old_passwords", "strict_password_validation", "disconnect_on_expired_password", "ssl_key", "ssl_cert"}
)

_URL_WITH_PASSWORD = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/@:]*:[^\s@/]*@")
_URL_PASSWORD_PART = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s/@:]*:)[^\s@/]*@")
_KEY_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def normalise_key(key: str) -> str:
    key = key.strip().lower().replace("-", "_")
    return key[len("loose_") :] if key.startswith("loose_") else key


def is_secret_key(key: str) -> bool:
    """Whether an option name (any spelling: ``loose-``, dashes, case) names a secret."""
    k = normalise_key(key)
    if k in _NOT_SECRET_EXACT or k.endswith(_NOT_SECRET_SUFFIXES) or k.startswith(_NOT_SECRET_PREFIXES):
        return False
    if k in _SECRET_EXACT or k.endswith("_key_id") or any(s in k for s in _SECRET_SUBSTRINGS):
        return True
    return any(part in _SECRET_COMPONENTS for part in re.split(r"[_.]", k))


def has_url_password(value: str) -> bool:
    return _URL_WITH_PASSWORD.search(value) is not None


def _split_line_end(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def redact_option_text(text: str) -> tuple[str, list[str]]:
    """``text`` with every password-like value replaced by ``<redacted>``, and the keys redacted
    (``"group.key"`` as written in the file; ``"key"`` before any group header)."""
    out: list[str] = []
    redacted: list[str] = []
    values: list[str] = []
    group = ""

    def note(key: str) -> None:
        name = f"{group}.{key}" if group else key
        if name not in redacted:
            redacted.append(name)

    for line in text.splitlines(keepends=True):
        body, ending = _split_line_end(line)
        stripped = body.strip()
        if stripped.startswith("["):
            end = stripped.find("]")
            if end > 0:
                group = stripped[1:end].strip()
            out.append(redact_free_text(body) + ending)
            continue
        comment = re.match(r"^(\s*[#;]+\s*)", body)
        prefix = comment.group(1) if comment else ""
        rest = body[len(prefix) :]
        key, sep, value = rest.partition("=")
        key_text = key.strip()
        is_option = bool(sep) and bool(_KEY_RE.match(key_text))
        if is_option and value.strip() and (is_secret_key(key_text) or has_url_password(strip_end_comment(value))):
            lead = value[: len(value) - len(value.lstrip())]
            out.append(f"{prefix}{key}={lead}{REDACTED}{ending}")
            note(key_text)
            values.append(strip_end_comment(value).strip().strip("'\""))
            continue
        out.append(redact_free_text(body) + ending)
    # a secret found once is a secret everywhere in the file (a password equal to the user name);
    # very short values are left alone, as replacing them would garble unrelated text
    return scrub_text("".join(out), [v for v in values if len(v) >= MIN_SCRUB_LENGTH]), redacted


def redact_free_text(body: str) -> str:
    """Any text with the password of every ``scheme://user:password@host`` replaced."""
    if "://" not in body:  # the pattern needs it; a 20 MB schema dump is scanned once instead of word by word
        return body
    return _URL_PASSWORD_PART.sub(lambda m: m.group(1) + REDACTED + "@", body)


# a quoted string in SQL (SHOW CREATE quotes names with backquotes, so these are all literals)
QUOTED_LITERAL = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"", re.S)


def scrub_literals(sql: str) -> str:
    """Every quoted literal of a statement becomes ``'?'`` (view and routine bodies may hold data)."""
    return QUOTED_LITERAL.sub("'?'", sql)


def scrub_ddl_literals(ddl: str) -> str:
    """A schema dump with the literals of every statement but CREATE TABLE turned into '?'.

    CREATE TABLE keeps its defaults, enum values and comments (schema, not data). Statements are
    split at ";<newline>", so a routine body is scrubbed piece by piece; cheap enough for 20,000 tables.
    """
    pieces = re.split(r"(;\n)", ddl)
    return "".join(p if p.lstrip().startswith("CREATE TABLE") else scrub_literals(p) for p in pieces)


def scrub_text(text: str, secrets: Sequence[str]) -> str:
    """``text`` with each non-empty secret replaced by ``<redacted>`` (longest first)."""
    return scrub_ordered(text, longest_first(secrets))


def longest_first(secrets: Sequence[str]) -> tuple[str, ...]:
    """The non-empty secrets, each once, longest first (a secret inside another is replaced after it)."""
    return tuple(sorted({s for s in secrets if s}, key=len, reverse=True))


def scrub_ordered(text: str, ordered: Sequence[str]) -> str:
    """scrub_text with the secrets already through longest_first (the redactor's hot path)."""
    for secret in ordered:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
