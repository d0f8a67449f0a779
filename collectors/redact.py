"""Remove secrets from option-file text and free text before they reach a report or a bundle.

:func:`redact_option_text` keeps the file's layout and comments and replaces only the values of
password-like options (also in commented-out lines, ``# password = x``) and of any option whose value
holds a URL with a password (``scheme://user:pw@host``). The whole rest of such a line goes, trailing
comment included. Elsewhere (comments, other lines) only the password inside a URL is replaced.
Paths such as ``ssl_key``/``ssl_cert`` are kept.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from collectors.optionfiles import strip_end_comment

REDACTED = "<redacted>"

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
URL_PASSWORD_PART = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s/@:]*:)[^\s@/]*@")
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
    # a secret found once is a secret everywhere in the file (a password equal to the user name); a short
    # or common one only where a password can be (default_storage_engine = InnoDB stays with password=InnoDB)
    return SecretScrubber(values)("".join(out)), redacted


def redact_free_text(body: str) -> str:
    """Any text with the password of every ``scheme://user:password@host`` replaced."""
    if "://" not in body:  # the pattern needs it; a 20 MB schema dump is scanned once instead of word by word
        return body
    return URL_PASSWORD_PART.sub(lambda m: m.group(1) + REDACTED + "@", body)


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


# A password this short, or that is a word, is not removed from every text by value: replacing each equal
# word would show it (with the password "InnoDB", ENGINE=<redacted>). It is removed where a password can be.
SAFE_SECRET_LENGTH = 8


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SERVER_WORDS = _words("""
innodb myisam aria memory archive csv blackhole federated merge rocksdb tokudb columnstore spider sequence
ndbcluster performance_schema information_schema mysql sys latin1 latin2 utf8 utf8mb3 utf8mb4 ascii binary
ucs2 utf16 utf32 cp1250 cp1251 cp1252 gbk big5 sjis euckr koi8r greek hebrew tis620 armscii8 swe7 macroman
localhost mariadb percona replica primary master slave password passwords database databases default
""")
# the words most often chosen as passwords (a dictionary of their own, in any case, a digit or ! at the end)
_COMMON_PASSWORDS = _words("""
password passw0rd welcome letmein sunshine dragon monkey qwerty qwertyuiop azerty abc123 iloveyou admin
administrator changeme secret trustno1 football baseball princess starwars whatever shadow master superman
batman michael jennifer computer internet freedom summer winter spring autumn hello login default
database mysql mariadb root toor test testing guest access backup changeit manager oracle postgres
""")
# where a password can be written: an option or connection-string key (password=, pwd:, "secret": ...,
# user= as the account's name can equal it), IDENTIFIED BY / AS, PASSWORD('...'), mysql -pSECRET, a URL's user:pw@
_SECRET_POSITION = (
    r"(?i:[\w.-]*(?:password|passwd|passphrase|pwd|pass|secret|token|auth|credential|private_key|access_key|user)"  # noqa: S105 - a pattern
    r"[\w.-]*[\"']?\s*[=:]\s*"
    r"|\bidentified\s+(?:with\s+\S+\s+)?(?:by|as)\s+(?:password\s+)?"
    r"|\bpassword\s*\(\s*"
    r"|(?<![\w-])-p"
    r"|://[^\s/@:]*:)"
)


def common_secret_reason(secret: str, words: Collection[str] = ()) -> str | None:
    """Why ``secret`` is unsafe to remove by value from every text, or None. ``words``: more words the
    server uses (its variable names), lower case."""
    lower = secret.lower()
    if lower in _SERVER_WORDS or lower in words:
        return "a word the server itself uses (an SQL keyword, an engine, a character set or a variable name)"
    if lower.rstrip("0123456789!") in _COMMON_PASSWORDS:
        return "a common word"
    if len(secret) < SAFE_SECRET_LENGTH:
        return f"shorter than {SAFE_SECRET_LENGTH} characters"
    return None


class SecretScrubber:
    """The run's secrets out of any text: a distinctive one wherever it appears, a common one
    (:func:`common_secret_reason`) only where a password can be written, as a whole word."""

    def __init__(self, secrets: Sequence[str], words: Collection[str] = ()) -> None:
        self.ordered = longest_first(secrets)
        self.reasons = {s: r for s in self.ordered if (r := common_secret_reason(s, words)) is not None}
        self._positional = {
            s: re.compile(rf"(?P<ctx>{_SECRET_POSITION})(?P<quote>['\"]?){re.escape(s)}(?![\w$])")
            for s in self.reasons
        }

    def __call__(self, text: str) -> str:
        for secret in self.ordered:
            if secret not in text:
                continue
            pattern = self._positional.get(secret)
            if pattern is None:
                text = text.replace(secret, REDACTED)
            else:
                text = pattern.sub(lambda m: m["ctx"] + m["quote"] + REDACTED, text)
        return text


def scrub_text(text: str, secrets: Sequence[str]) -> str:
    """``text`` with each non-empty secret replaced by ``<redacted>`` (longest first), every occurrence: for
    text that stays on this machine (logs, drafts); the archive uses :class:`SecretScrubber`."""
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
