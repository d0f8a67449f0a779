"""Redaction of everything that goes into the archive: always-on secret removal, optional pseudonyms.

Always, whatever the user asks for:

* ``secrets`` — the account's password (and any other given secret) wherever it appears, the values
  of secret-looking variables and option-file keys (:mod:`collectors.redact`'s rules), and the password
  part of connection strings (``scheme://user:pw@host``) in any text;
* ``query_literals`` — quoted literals in statement digests and in the bodies of views, routines,
  triggers and events of the DDL sample become ``'?'`` (the digests should already hold none: this
  is the last line). ``CREATE TABLE`` keeps its literals (defaults, enum values, comments): they are
  schema, not data.

On request (``--redact hostnames,ips,users,identifiers``, any subset), consistent pseudonyms, the same
in every file: ``host-001``, ``ip-001``, ``user-001``, and for identifiers ``schema-001``,
``table-001``, ``view-001``, ``routine-001``, ``trigger-001``, ``event-001``, ``column-001``,
``index-001`` (one pseudonym per distinct name; its kind is the first kind the name was seen as).
Loopback and wildcard values (``localhost``, ``127.0.0.0/8``, ``::1``, ``0.0.0.0``, ``::``, ``%``),
system schemas and the server's built-in accounts (``system user``, ``event_scheduler``,
``mariadb.sys``…) are kept: they say nothing about the user's network or data.

How: names are learnt from the structured facts (schemas, tables, objects, processlist groups,
replication, the connection) and from the DDL sample's SQL tokens, then

1. the facts are rewritten field by field, so the report, readiness.json and the samples, all rendered
   from the facts, say ``schema-001.table-002`` where they said ``shop.orders``;
2. SQL text (the DDL sample, digests, the manifest's statements) goes through a tokenizer that
   replaces quoted identifiers, known bare words, ``DEFINER=`` accounts and literals;
3. every file (and every file name) then goes through a text pass: IPv4/IPv6 addresses by pattern,
   and each learnt name as a whole word when it is distinctive (not a SQL keyword nor a word of the
   tool's own vocabulary, e.g. a column named ``status``: those are replaced only where they are
   known to be names, in steps 1 and 2).

The map pseudonym → original is returned to the caller (written next to the archive, never in it).
An earlier run's map (:func:`load_map`, ``--redaction-map``) seeds the pseudonyms: a name it holds keeps
its pseudonym, a new name gets the next free number of its prefix, and the new map holds both. The
classes asked for decide what is replaced; the earlier map decides only the names.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from collectors.base import SYSTEM_SCHEMAS
from collectors.redact import REDACTED, SecretScrubber, redact_free_text
from prechecks.escape import sql_comment, sql_comment_name, sql_identifier

CLASSES = ("hostnames", "ips", "users", "identifiers")
ALWAYS = ("secrets", "query_literals")
IDENTIFIER_KINDS = ("schema", "table", "view", "routine", "trigger", "event", "column", "index")
MAP_FORMAT_VERSION = 1

KEPT_HOSTS = frozenset({"", "localhost", "localhost.localdomain", "%", "NULL", "AUTO"})
BUILTIN_USERS = frozenset({
    "", "system user", "event_scheduler", "unauthenticated user", "mariadb.sys", "mysql.sys",
    "mysql.session", "mysql.infoschema", "PUBLIC", "NULL", "rdsadmin", "rdsrepladmin",
})



def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that are never replaced by the whole-word text pass (they are only replaced where they are
# known to be names): SQL keywords and function names, and words of the tool's own output.
_KEYWORDS = _words("""
accessible add after against algorithm all alter analyze and as asc ascii auto_increment avg before
begin between bigint binary bit blob bool boolean both btree by call cascade case cast change char
character charset check checksum collate collation column columns comment commit compact compressed
constraint contains continue convert count create cross current current_date current_time
current_timestamp current_user cursor data database databases date datetime day declare decimal default
definer delayed delete desc describe deterministic distinct div do double drop dynamic each else elseif
enable enum escape event events exists exit explain false fetch fields first fixed float for force foreign
from full fulltext function functions generated geometry global grant group handler hash having hour if
ignore in index indexes infile inner inout insert int integer interval into invoker is iterate join json
key keys kill last leading leave left length like limit linear lines load local localtime lock long
longblob longtext loop low_priority lower max mediumblob mediumint mediumtext merge min minute mod
modifies month name names natural new no not now null numeric of old on open optimize option or order out
outer over partition partitions point polygon precision primary procedure processlist purge range read
reads real redundant references regexp release rename repeat replace require resignal restrict return
returns revoke right rlike row row_format rows schema schemas second security select sensitive separator
serial set share show signal smallint spatial sql sql_mode start status stored straight_join sum table
tables temporary text then time timestamp tinyblob tinyint tinytext to trailing trigger triggers true
truncate type undefined union unique unlock unsigned until update upper usage use user using utc_date
utc_time utc_timestamp value values varbinary varchar varying view virtual warnings when where while
with write xor year zerofill innodb myisam aria memory archive csv latin1 utf8 utf8mb3 utf8mb4 ascii
""")
_VOCABULARY = _words("""
host hosts port socket tcp via ip ips file files path dir total state command sleep query db id ok yes
no none unknown version server mysql mariadb percona summary report readiness facts manifest samples
sample processlist replica replicas source primary standalone binlog binlogs config client mysqld
plugin plugins engine engines size sizes bytes time seconds user users account accounts password
schema schemas table tables view views routine routines trigger triggers event events column columns
index indexes key keys pass fail skipped blocker warning notice docs detail remediation objects
redacted redaction tool tools tls ssl questionnaire freeform submission attachments answers local
localhost root_password variables variable status counters uptime workload digest digests
""")

_WORD_CHARS = r"0-9A-Za-z_$\u0080-\uffff"
_WORD_RUN = re.compile(f"[{_WORD_CHARS}]+")
_IPV4 = re.compile(r"(?<![0-9A-Za-z_.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9A-Za-z_])(?!\.\d)")
_IPV6 = re.compile(r"(?<![0-9A-Za-z_:.])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{2,39}(?:%[0-9A-Za-z]+)?"
                   r"(?![0-9A-Za-z_:])")
_SQL_TOKEN = re.compile(
    r"(?P<comment>--[^\n]*|#[^\n]*|/\*.*?\*/)"
    r"|(?P<bq>`(?:[^`]|``)*`)"
    r"|(?P<str>'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\")"
    r"|(?P<word>[" + _WORD_CHARS + r"]+)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.S,
)
# the kind of a quoted name, from the keyword before it
_KIND_AFTER: dict[str, str] = {
    "table": "table", "references": "table", "into": "table", "from": "table", "join": "table",
    "update": "table", "view": "view", "procedure": "routine", "function": "routine", "call": "routine",
    "trigger": "trigger", "event": "event", "key": "index", "index": "index", "constraint": "index",
    "use": "schema", "database": "schema", "schema": "schema",
}
_HOST_VARIABLES = ("hostname", "report_host", "wsrep_node_name")
_HOST_LIST_VARIABLES = ("wsrep_cluster_address", "wsrep_node_address", "wsrep_node_incoming_address",
                        "wsrep_sst_receive_address")


def weak_secret_warning(reason: str) -> str:
    return (f"a password given to this run is {reason}: the archive hides it only where a password can be "
            "(password= values, IDENTIFIED BY, URLs, -p), not every equal word, so it could be guessed — "
            "give the migration account a long random password")


def secret_warnings(secrets: Sequence[str], facts: Mapping[str, Any]) -> list[str]:
    """The warnings the archive's redaction record will carry, for the report and the run's output."""
    redactor = Redactor(secrets=secrets)
    redactor.learn_vocabulary(facts)
    return redactor.warnings()


class UnknownRedactionClass(ValueError):
    pass


class RedactionMapError(ValueError):
    """An earlier map that cannot be used: one line with the cause and the remedy."""


# the prefixes each class hands out (a pseudonym of another shape in a map is refused: it could be an original)
PREFIXES: dict[str, tuple[str, ...]] = {"hostnames": ("host",), "ips": ("ip",), "users": ("user",),
                                        "identifiers": IDENTIFIER_KINDS}
_PSEUDONYM = re.compile(r"([a-z]+)-(\d{3,})")
MAP_MAX_BYTES = 64 * 1024 * 1024
_ARCHIVE_NAME = re.compile(r"ps_archive_[0-9_]+\.tgz")


@dataclass(frozen=True)
class EarlierMap:
    """An earlier run's redaction map, checked: class -> original -> pseudonym, and what to tell the user."""

    path: Path
    classes: tuple[str, ...]  # the classes the earlier archive replaced
    entries: dict[str, dict[str, str]]
    archive: str = ""  # the earlier archive's name when it is ps_archive_<ts>.tgz
    warnings: tuple[str, ...] = field(default=())
    mode: int = 0o600  # its permission bits (the warnings say when others can read it)

    def size(self) -> int:
        return sum(len(names) for names in self.entries.values())

    def dropped(self, classes: Sequence[str]) -> list[str]:
        """The classes the earlier archive replaced and ``classes`` do not: shown in clear now."""
        return [c for c in self.classes if c not in classes]

    def class_warnings(self, classes: Sequence[str]) -> list[str]:
        dropped = self.dropped(classes)
        if not dropped:
            return []
        return [f"the earlier map {self.path} replaced {', '.join(dropped)}, this run does not "
                f"(--redact={','.join(classes) or 'nothing'}): they appear in clear in this archive — add them to "
                "--redact if that is not what you meant"]


def load_map(path: Path | str, *, option: str = "--redaction-map ") -> EarlierMap:
    """Read and check the map an earlier run wrote next to its archive. Raises RedactionMapError.

    Never through a symbolic link (refused, naming its target: a link could point anywhere), only a regular
    file, and only the user's own (another user's file is refused: it could name originals as pseudonyms to
    leave them in clear, and it is not the user's to read). Group- or world-readable: a warning (the originals
    are already exposed; refusing would not hide them). A pseudonym must have its class's shape
    (``schema-001``…), else the file is refused: it is the originals that must never reach the archive.
    ``option`` starts each message (the wizard gives "").
    """
    path = Path(os.path.expanduser(str(path)))
    named = f"{option}{path}"
    remedy = "give the ps_archive_<ts>.redaction-map.json an earlier run wrote next to its archive"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if path.is_symlink():
            raise RedactionMapError(f"{named} is a symbolic link (to {os.path.realpath(path)}); a "
                                    "map is read only from the file itself — give that file's own path") from None
        raise RedactionMapError(f"{named}: {exc.strerror or exc} — {remedy}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RedactionMapError(f"{named} is not a regular file — {remedy}")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise RedactionMapError(f"{named} belongs to another user (uid {info.st_uid}); a map "
                                    "holds the real names — copy it to a file of your own (chmod 600) and give that")
        if info.st_size > MAP_MAX_BYTES:
            raise RedactionMapError(f"{named} is {info.st_size:,} bytes, not a redaction map — "
                                    f"{remedy}")
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            data = handle.read(MAP_MAX_BYTES + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    warnings = []
    if hasattr(os, "getuid") and info.st_mode & 0o077:
        warnings.append(f"the redaction map {path} can be read by other users (mode {stat.S_IMODE(info.st_mode):o}) "
                        f"and holds the real names — chmod 600 {path}")
    return replace(_parse_map(path, named, data, remedy, tuple(warnings)), mode=stat.S_IMODE(info.st_mode))


def _parse_map(path: Path, named: str, data: bytes, remedy: str, warnings: tuple[str, ...]) -> EarlierMap:
    def broken(why: str) -> RedactionMapError:
        return RedactionMapError(f"{named} is not a redaction map ({why}) — {remedy}")

    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise broken("not UTF-8 text") from None
    except ValueError as exc:
        raise broken(f"not JSON: {getattr(exc, 'msg', exc)} at line {getattr(exc, 'lineno', '?')}") from None
    if not isinstance(document, dict) or "map" not in document or "format_version" not in document:
        raise broken("no format_version and map")
    version = document["format_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise broken(f"format_version {version!r}")
    if version > MAP_FORMAT_VERSION:
        raise RedactionMapError(f"{named} was written by a newer ps-prechecks (map format {version}, this one "
                                f"reads {MAP_FORMAT_VERSION}) — upgrade ps-prechecks, or do without the earlier map "
                                "(new pseudonyms)")
    raw_classes = document.get("classes", [])
    if not isinstance(raw_classes, list) or not all(isinstance(c, str) and c in CLASSES for c in raw_classes):
        raise broken(f"classes {raw_classes!r}")
    mapping = document["map"]
    if not isinstance(mapping, dict):
        raise broken("map is not an object")
    entries: dict[str, dict[str, str]] = {}
    for cls, names in mapping.items():
        if cls not in CLASSES or not isinstance(names, dict):
            raise broken(f"unknown class {cls!r}" if cls not in CLASSES else f"{cls} is not an object")
        seen: dict[str, str] = {}
        for pseudonym, original in names.items():
            shape = _PSEUDONYM.fullmatch(pseudonym)
            if shape is None or shape.group(1) not in PREFIXES[cls]:
                raise broken(f"{pseudonym!r} is not a pseudonym of {cls}")
            if not isinstance(original, str) or not original:
                raise broken(f"{pseudonym} has no name")
            if original in seen:
                raise broken(f"{cls}: one name under two pseudonyms, {seen[original]} and {pseudonym}")
            seen[original] = pseudonym
        entries[cls] = seen
    archive = document.get("archive")
    return EarlierMap(path, tuple(c for c in CLASSES if c in raw_classes), entries,
                      archive if isinstance(archive, str) and _ARCHIVE_NAME.fullmatch(archive) else "", warnings)


def parse_classes(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"ips,users"`` (or a sequence) -> the classes in canonical order; ValueError names the valid ones."""
    items = value.split(",") if isinstance(value, str) else list(value)
    wanted = {item.strip().lower() for item in items if item.strip()}
    unknown = sorted(wanted - set(CLASSES))
    if unknown:
        raise UnknownRedactionClass(f"unknown redaction class {', '.join(unknown)}: "
                                    f"use any of {', '.join(CLASSES)} (comma-separated)")
    return tuple(c for c in CLASSES if c in wanted)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _kept_ip(value: str) -> bool:
    address = ipaddress.ip_address(value.split("%", 1)[0])
    return address.is_loopback or address.is_unspecified


class Redactor:
    """Learns names, hands out pseudonyms and applies every pass; one per archive."""

    def __init__(self, classes: Iterable[str] = (), secrets: Sequence[str] = (),
                 earlier: EarlierMap | None = None) -> None:
        self.classes = parse_classes(list(classes))
        self.earlier = earlier
        self.secrets = [s for s in secrets if s]
        self._scrub = SecretScrubber(self.secrets, _KEYWORDS)
        self._maps: dict[str, dict[str, str]] = {c: {} for c in CLASSES}  # class -> original -> pseudonym
        self._kinds: dict[str, str] = {}  # identifier original -> kind
        self._lower: dict[str, str] = {}  # identifier lower-case -> original (first seen)
        self._counters: dict[str, int] = {}  # prefix -> the highest number handed out (or in the earlier map)
        self._seed: dict[str, dict[str, str]] = {c: dict(earlier.entries.get(c, {})) for c in CLASSES} \
            if earlier is not None else {c: {} for c in CLASSES}
        for names in self._seed.values():
            for pseudonym in names.values():
                prefix, _, number = pseudonym.rpartition("-")
                self._counters[prefix] = max(self._counters.get(prefix, 0), int(number))
        self._vocabulary: set[str] = set(_VOCABULARY) | set(_KEYWORDS)
        self._word_re: re.Pattern[str] | None = None
        self._word_targets: dict[str, str] = {}
        self.literals_replaced = 0

    # ------------------------------------------------------------------ pseudonyms

    def _new(self, cls: str, prefix: str, original: str) -> str:
        mapping = self._maps[cls]
        if original not in mapping:
            if original in self._seed[cls]:  # named by the earlier map: the same pseudonym, whatever the kind now
                mapping[original] = self._seed[cls][original]
            else:
                self._counters[prefix] = self._counters.get(prefix, 0) + 1
                mapping[original] = f"{prefix}-{self._counters[prefix]:03d}"
            self._word_re = None
        return mapping[original]

    def on(self, cls: str) -> bool:
        return cls in self.classes

    def ident(self, name: str, kind: str = "column", *, learn: bool = True) -> str:
        """The pseudonym of an identifier (learnt on first sight when ``learn``), or the name itself."""
        if not self.on("identifiers") or not name or name.lower() in SYSTEM_SCHEMAS or name == "PRIMARY":
            return name
        if name in self._maps["identifiers"]:
            return self._maps["identifiers"][name]
        if not learn:
            original = self._lower.get(name.lower())
            return self._maps["identifiers"][original] if original is not None else name
        pseudonym = self._new("identifiers", kind, name)
        self._kinds[name] = pseudonym.rpartition("-")[0]  # an earlier map's name keeps the kind it had there
        self._lower.setdefault(name.lower(), name)
        return pseudonym

    def known_ident(self, name: str) -> bool:
        return name in self._maps["identifiers"] or name.lower() in self._lower

    def user(self, name: str) -> str:
        if not self.on("users") or name in BUILTIN_USERS:
            return name
        return self._new("users", "user", name)

    def host(self, value: str) -> str:
        """A host value: an IP goes to the ips class, a name to hostnames; loopback is kept."""
        if value is None or value in KEPT_HOSTS:
            return value
        bare, colon, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
        if colon and port.isdigit():
            return self.host(bare) + ":" + port
        if _is_ip(value):
            if not self.on("ips") or _kept_ip(value):
                return value
            return self._new("ips", "ip", value)
        if not self.on("hostnames"):
            return value
        return self._new("hostnames", "host", value)

    def account(self, value: str) -> str:
        """``user@host`` (as in CURRENT_USER())."""
        user, at, host = value.rpartition("@")
        if not at:
            return self.user(value)
        return f"{self.user(user)}@{self.host(host)}"

    def dotted(self, value: str, kinds: Sequence[str]) -> str:
        """``schema.table[.column]``: each part by position (``kinds``); extra dots stay in the last part."""
        if not self.on("identifiers") or not value:
            return value
        parts = value.split(".", len(kinds) - 1)
        if len(parts) < len(kinds):  # fewer parts than expected: the last ones
            kinds = kinds[len(kinds) - len(parts):]
        return ".".join(self.ident(p, k) for p, k in zip(parts, kinds, strict=True))

    # ------------------------------------------------------------------ the map and the record

    def mapping(self) -> dict[str, dict[str, str]]:
        """pseudonym -> original, per class applied, and every entry of the earlier map (a later run given
        this map keeps them all, including a class this run did not replace)."""
        out: dict[str, dict[str, str]] = {}
        for c in CLASSES:
            if c in self.classes or self._seed[c]:
                names = {**self._seed[c], **self._maps[c]} if c in self.classes else self._seed[c]
                out[c] = {p: o for o, p in sorted(names.items(), key=lambda item: _pseudonym_order(item[1]))}
        return out

    def counts(self) -> dict[str, int]:
        return {c: len(self._maps[c]) for c in self.classes}

    def identifier_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(IDENTIFIER_KINDS, 0)
        for kind in self._kinds.values():
            counts[kind] = counts.get(kind, 0) + 1
        return {k: v for k, v in counts.items() if v}

    def record(self) -> dict[str, Any]:
        """What the manifest says about redaction: classes and counts, never an original."""
        record: dict[str, Any] = {"always": list(ALWAYS), "classes": list(self.classes), "counts": self.counts()}
        if self.warnings():
            record["warnings"] = self.warnings()
        if self.on("identifiers"):
            record["identifier_kinds"] = self.identifier_counts()
        if self.earlier is not None:  # the same pseudonym means the same name as in that archive
            record["pseudonyms_from"] = self.earlier.archive or "an earlier map"
        return record

    def map_document(self, archive_name: str) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format_version": MAP_FORMAT_VERSION, "archive": archive_name, "classes": list(self.classes),
            "note": "pseudonym -> original; keep this file private, it is not part of the archive"}
        if self.earlier is not None:
            document["continues"] = self.earlier.archive or self.earlier.path.name
        document["map"] = self.mapping()
        return document

    # ------------------------------------------------------------------ learning

    def learn_vocabulary(self, facts: Mapping[str, Any]) -> None:
        """Names of variables, status counters, plugins and engines are the server's words, not the user's."""
        for key in ("variables",):
            self._vocabulary |= {str(k).lower() for k in _map(facts.get(key))}
        status = _map(facts.get("status"))
        for which in ("first", "second"):
            self._vocabulary |= {str(k).lower() for k in _map(status.get(which))}
        for plugin in _seq(facts.get("plugins")):
            self._vocabulary.add(str(_map(plugin).get("name", "")).lower())
        self._scrub = SecretScrubber(self.secrets, self._vocabulary)  # a variable's name is a common word too

    def warnings(self) -> list[str]:
        """One line per secret that cannot be removed safely by value (never the secret itself)."""
        return [weak_secret_warning(reason) for reason in dict.fromkeys(self._scrub.reasons.values())]

    def learn_facts(self, facts: Mapping[str, Any]) -> None:
        """Register every name the facts hold, schemas first (a name's kind is the first seen)."""
        if self.on("identifiers"):
            for name in _seq(facts.get("databases")):
                self.ident(str(name), "schema")
            for schema in _seq(facts.get("schemas")):
                self.ident(str(_map(schema).get("name", "")), "schema")
            for name in _map(facts.get("schema_types")):
                self.ident(str(name), "schema")
            for table in _seq(facts.get("tables")):
                table = _map(table)
                self.ident(str(table.get("schema", "")), "schema")
                self.ident(str(table.get("name", "")), "table")
            self._objects(json.loads(json.dumps(_map(facts.get("objects")), default=str)))
        if self.on("users"):
            source = _map(facts.get("source"))
            for key in ("user", "ssh_user"):  # ssh_user: the account on the SSH bastion
                if source.get(key):
                    self.user(str(source[key]))
            current = _map(facts.get("server")).get("current_user")
            if current:
                self.account(str(current))

    def learn_config(self, text: str | None) -> None:
        """The ``user =`` values of the option file."""
        if text is None or not self.on("users"):
            return
        for match in re.finditer(r"(?im)^\s*(?:loose[-_])?user\s*=\s*['\"]?([^'\"#\s]+)", text):
            self.user(match.group(1))

    def learn_sql(self, text: str | None) -> None:
        if text:
            self.sql(text, ddl=True)

    # ------------------------------------------------------------------ the structured pass

    def facts(self, facts: Mapping[str, Any], *, copy: bool = True) -> dict[str, Any]:
        """A redacted copy of the facts document (the input is not changed). ``copy=False``: the caller
        hands over a plain JSON document it owns (its own copy), which is rewritten in place."""
        out: dict[str, Any] = json.loads(json.dumps(facts, default=str)) if copy else dict(facts)
        self._always_facts(out)
        ident, dotted = self.ident, self.dotted
        if self.on("identifiers"):
            if isinstance(out.get("databases"), list):
                out["databases"] = [ident(str(d), "schema") for d in out["databases"]]
            for schema in _dicts(out.get("schemas")):
                schema["name"] = ident(str(schema.get("name", "")), "schema")
            for table in _dicts(out.get("tables")):
                table["schema"] = ident(str(table.get("schema", "")), "schema")
                table["name"] = ident(str(table.get("name", "")), "table")
                for key in ("primary_key", "float_primary_key"):
                    if isinstance(table.get(key), list):
                        table[key] = [ident(str(c), "column") for c in table[key]]
                if isinstance(table.get("unique_key"), str):
                    table["unique_key"] = ident(table["unique_key"], "index")
            if isinstance(out.get("schema_types"), dict):
                out["schema_types"] = {ident(str(k), "schema"): v for k, v in out["schema_types"].items()}
            self._objects(_map(out.get("objects")))
            technology_objects = _map(out.get("technology_objects"))
            for key, items in technology_objects.items():
                if isinstance(items, list):
                    technology_objects[key] = [dotted(str(i), ("schema", "table")) for i in items]  # type: ignore[index]
            for failed in _dicts(_map(out.get("inventory")).get("failed_schemas")):
                failed["name"] = ident(str(failed.get("name", "")), "schema")
            for group in _dicts(_map(_map(out.get("processlist")).get("groups")).get("db")):
                group["value"] = ident(str(group.get("value", "")), "schema") if group.get("value") != "NULL" \
                    else "NULL"
            workload = _map(out.get("workload"))
            for migration in _dicts(workload.get("migration_tables")):
                migration["table"] = dotted(str(migration.get("table", "")), ("schema", "table"))
            for digest in _dicts(workload.get("digests")) + _dicts(workload.get("notable_digests")):
                if isinstance(digest.get("schema"), str):
                    digest["schema"] = ident(digest["schema"], "schema")
        workload = _map(out.get("workload"))
        for digest in _dicts(workload.get("digests")) + _dicts(workload.get("notable_digests")):
            if isinstance(digest.get("digest_text"), str):
                # names are learnt only from the application's statements (a user schema as default):
                # this tool's own statements (no default schema) name the server's tables
                digest_schema = digest.get("schema")
                learn = isinstance(digest_schema, str) and bool(digest_schema) \
                    and digest_schema.lower() not in SYSTEM_SCHEMAS
                digest["digest_text"] = self.sql(digest["digest_text"], literals=True, learn=learn)
        self._hosts_and_users(out)
        return self._strings_in_place(out)  # type: ignore[no-any-return]

    def _always_facts(self, facts: dict[str, Any]) -> None:
        """Secret-looking variables and replica errors' literals are removed at the source (collectors.server,
        collectors.replication); this is the last line (facts read back from samples too)."""
        from collectors.replication import scrub_replica_error
        from collectors.server import redact_variables

        for source in _dicts(_map(facts.get("replication")).get("sources")):
            if isinstance(source.get("last_error"), str):
                source["last_error"] = scrub_replica_error(source["last_error"])

        variables = facts.get("variables")
        if isinstance(variables, dict):
            clean, redacted = redact_variables({str(k): str(v) for k, v in variables.items() if v is not None})
            for name in redacted:
                variables[name] = REDACTED
            if redacted:
                facts["variables_redacted"] = sorted({*(str(r) for r in _seq(facts.get("variables_redacted"))),
                                                      *redacted} - {n for n in clean if clean[n] != REDACTED})

    def _objects(self, objects: Mapping[str, Any]) -> None:
        d = self.dotted
        table2 = ("schema", "table")
        simple = {"views": ("schema", "view"), "events": ("schema", "event"),
                  "check_constraints": ("schema", "table", "index"),
                  "generated_columns": ("schema", "table", "column"),
                  "duplicate_enum_values": ("schema", "table", "column"), "broken_views": ("schema", "view")}
        for key, kinds in simple.items():
            if isinstance(objects.get(key), list):
                objects[key] = [d(str(v), kinds) for v in objects[key]]  # type: ignore[index]
        if isinstance(objects.get("user_defined_functions"), list):
            objects["user_defined_functions"] = [  # type: ignore[index]
                self.ident(str(v), "routine") for v in objects["user_defined_functions"]]
        if isinstance(objects.get("non_ascii_identifiers"), list):
            objects["non_ascii_identifiers"] = [  # type: ignore[index]
                d(str(v), ("schema", "table", "column")) if str(v).count(".") >= 2 else d(str(v), table2)
                for v in objects["non_ascii_identifiers"]]
        for item in _dicts(objects.get("routines")):
            item["name"] = d(str(item.get("name", "")), ("schema", "routine"))
        for item in _dicts(objects.get("triggers")):
            item["name"] = d(str(item.get("name", "")), ("schema", "trigger"))
            if isinstance(item.get("table"), str):
                item["table"] = d(item["table"], table2)
        for item in _dicts(objects.get("foreign_keys")):
            item["name"] = d(str(item.get("name", "")), ("schema", "table", "index"))
            for key in ("table", "references"):
                if isinstance(item.get(key), str):
                    item[key] = d(item[key], table2)
            for key in ("columns", "referenced_columns"):
                if isinstance(item.get(key), list):
                    item[key] = [self.ident(str(c), "column") for c in item[key]]
        for key in ("unsupported_charset_columns", "unsupported_charset_tables", "wide_tables"):
            kinds = ("schema", "table", "column") if key.endswith("columns") else table2
            for item in _dicts(objects.get(key)):
                item["name"] = d(str(item.get("name", "")), kinds)

    def _hosts_and_users(self, facts: dict[str, Any]) -> None:
        host, user = self.host, self.user
        source = facts.get("source")
        if isinstance(source, dict):
            for key in ("host", "ssh_host"):  # ssh_host: the SSH bastion
                if isinstance(source.get(key), str):
                    source[key] = host(source[key])
            for key in ("user", "ssh_user"):
                if isinstance(source.get(key), str):
                    source[key] = user(source[key])
        server = facts.get("server")
        if isinstance(server, dict):
            if isinstance(server.get("hostname"), str):
                server["hostname"] = host(server["hostname"])
            if isinstance(server.get("current_user"), str):
                server["current_user"] = self.account(server["current_user"])
        variables = facts.get("variables")
        if isinstance(variables, dict):
            for name in _HOST_VARIABLES:
                if isinstance(variables.get(name), str):
                    variables[name] = host(variables[name])
            for name in _HOST_LIST_VARIABLES:
                if isinstance(variables.get(name), str):
                    variables[name] = self._host_list(variables[name])
        groups = _map(_map(facts.get("processlist")).get("groups"))
        for group in _dicts(groups.get("host")):
            group["value"] = host(str(group.get("value", "")))
        for group in _dicts(groups.get("user")):
            group["value"] = user(str(group.get("value", "")))
        replication = _map(facts.get("replication"))
        for item in _dicts(replication.get("sources")):
            if isinstance(item.get("source_host"), str):
                item["source_host"] = host(item["source_host"])
        for item in _dicts(replication.get("replicas")):
            if isinstance(item.get("host"), str):
                item["host"] = host(item["host"])
        for item in _dicts(_map(facts.get("workload")).get("binlog_clients")):
            if isinstance(item.get("host"), str):
                item["host"] = host(item["host"])

    def _host_list(self, value: str) -> str:
        """``gcomm://a:4567,b`` -> each host through :meth:`host`."""
        scheme, sep, rest = value.rpartition("://")
        hosts = [self.host(h.strip()) if h.strip() else h for h in rest.split(",")]
        return f"{scheme}{sep}{','.join(hosts)}"

    def _strings_in_place(self, value: Any) -> Any:
        """Every string of a document this redactor owns (facts(): a JSON copy, or handed over) through the text
        pass, in the order a copy met them, rewritten in place: a copy was a second set of every dict and list
        of the facts, tens of MB on a server of thousands of schemas."""
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str):
                    value[key] = self.text(item)
                elif isinstance(item, (dict, list)):
                    self._strings_in_place(item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    value[index] = self.text(item)
                elif isinstance(item, (dict, list)):
                    self._strings_in_place(item)
        elif isinstance(value, str):
            return self.text(value)
        return value

    # ------------------------------------------------------------------ SQL

    def sql(self, text: str, *, ddl: bool = False, literals: bool = False, learn: bool = False) -> str:
        """SQL text with names replaced token by token.

        ``ddl``: unknown quoted names are learnt (their kind from the keyword before them), and the
        literals of every statement but ``CREATE TABLE`` become ``'?'``. ``literals``: every quoted
        literal becomes ``'?'`` (digests); ``learn``: unknown quoted names are learnt, except the
        upper-case or system-schema ones of the server's own tables (digests). Otherwise (our own
        statements) only known names change.
        """
        return "".join(self.sql_chunks(text, ddl=ddl, literals=literals, learn=learn))

    def sql_chunks(self, text: str, *, ddl: bool = False, literals: bool = False, learn: bool = False,
                   tokens: int = 65536) -> Iterator[str]:
        """sql(), its result given a piece at a time: a piece ends after ``tokens`` tokens or more, at the first
        ``;`` then whitespace starting with a newline (where Redactor.text_chunks may cut). The schema dump of a
        server with 100,000 tables is 9 million tokens, and held as one list of them it took 700 MB. The pass keeps
        only the state it needs from one statement to the next (the last two significant tokens, the last quoted
        name)."""
        out: list[str] = []
        previous: deque[str] = deque(("", ""), maxlen=2)  # the last two significant tokens, lower case; names "<name>"
        last_name = ""  # the last quoted name seen
        statement = ""  # "" | "create" | table | view | procedure | function | trigger | event
        definer = 0  # 1: the token is DEFINER='s user; 2: its host
        for match in _SQL_TOKEN.finditer(text):
            kind = match.lastgroup
            token = match.group()
            if kind == "space":
                out.append(token)
                if len(out) >= tokens and previous[-1] == ";" and out[-2] == ";" and token.startswith("\n"):
                    yield "".join(out)  # cut after a statement's ";" and the newline after it, as text_chunks needs
                    out.clear()
                continue
            if kind == "comment":
                out.append(self.text(self._backquoted_in(token)))
                continue
            last = previous[-1]
            lower = token.lower()
            if kind == "word":
                if lower == "create" and last in ("", ";"):
                    statement = "create"
                elif statement == "create" and lower in ("table", "view", "procedure", "function", "trigger",
                                                         "event"):
                    statement = lower
            if previous[0] == "definer" and last == "=" and not (kind == "word" and lower in _KEYWORDS):
                definer = 1
            elif definer == 1 and last == "@":
                definer = 2
            elif token != "@":  # noqa: S105 - a SQL token, not a password
                definer = 0
            if definer and kind in ("bq", "str", "word"):
                quote = token[0] if kind != "word" else ""
                inner = token[1:-1] if quote else token
                new = self.user(inner) if definer == 1 else self.host(inner)
                out.append(f"{quote}{new}{quote}")
                previous.append("<name>")
                continue
            if kind == "bq":
                inner = token[1:-1].replace("``", "`")
                system = last == "." and last_name.lower() in SYSTEM_SCHEMAS
                if not system and (ddl or (learn and not self.known_ident(inner) and not inner.isupper())):
                    new = self._learnt(inner, last, text, match.end())
                else:
                    new = self.ident(inner, learn=False)
                out.append("`" + new.replace("`", "``") + "`")
                last_name = inner
                previous.append("<name>")
            elif kind == "str":
                if literals or (ddl and statement != "table"):
                    out.append("'?'")
                    self.literals_replaced += 1
                else:
                    quote, inner = token[0], token[1:-1]
                    new = self.ident(inner, learn=False) if self.known_ident(inner) else self.text(inner)
                    out.append(quote + new + quote)
                previous.append("<literal>")
            elif kind == "word":
                if (lower not in _KEYWORDS and not token.isdigit() and self.on("identifiers")
                        and self.known_ident(token)
                        and (ddl or literals or learn or token in self._maps["identifiers"])):
                    out.append("`" + self.ident(token, learn=False) + "`")  # a pseudonym needs quoting
                    last_name = token
                else:
                    out.append(token)
                previous.append(lower)
            else:
                out.append(token)
                previous.append(token)
        if out:
            yield "".join(out)

    def _learnt(self, name: str, last: str, text: str, end: int) -> str:
        """A quoted name: known, or learnt with the kind its context says."""
        if self.known_ident(name) or not self.on("identifiers") or name.lower() in _KEYWORDS:
            return self.ident(name, learn=False)
        following = text[end:].lstrip()[:1]
        kind = _KIND_AFTER.get(last) or ("table" if last == "." else "schema" if following == "." else "column")
        return self.ident(name, kind)

    def _backquoted_in(self, comment: str) -> str:
        """A comment with each quoted name that is known replaced by its pseudonym; the DDL sample's own
        comments hold names escaped (prechecks.escape.sql_comment: a newline as \\n), read back here."""
        if not self.on("identifiers"):
            return comment

        def one(match: re.Match[str]) -> str:
            for name in (match.group(1).replace("``", "`"), sql_comment_name(match.group(1)).replace("``", "`")):
                if self.known_ident(name):
                    return sql_comment(sql_identifier(self.ident(name, learn=False)))
            return match.group()

        return re.sub(r"`((?:[^`]|``)*)`", one, comment)

    # ------------------------------------------------------------------ the text pass

    def _distinctive(self, original: str, cls: str) -> bool:
        if len(original) < (2 if cls == "hostnames" else 3) or original.lower() in self._vocabulary:
            return False
        return not original.isdigit()

    def _word_pattern(self) -> re.Pattern[str] | None:
        if self._word_re is None:
            targets: dict[str, str] = {}
            for cls in ("identifiers", "users", "hostnames"):  # later classes win a tie
                if not self.on(cls):
                    continue
                for original, pseudonym in self._maps[cls].items():
                    if self._distinctive(original, cls):
                        targets[original] = pseudonym
            self._word_targets = targets
            # A name made of word characters only is found as a whole run of them, looked up in targets: one
            # alternative per name made the pass try every name at every position (10,000 schemas' names: minutes
            # over facts.json). Names with other characters (a host's dots, a hyphen) stay alternatives, longest
            # first and before the run, which they always outgrow where both start, as before.
            others = sorted((t for t in targets if not _WORD_RUN.fullmatch(t)), key=len, reverse=True)
            alternatives = "".join(re.escape(t) + "|" for t in others)
            self._word_re = re.compile(f"(?<![{_WORD_CHARS}])(?:{alternatives}[{_WORD_CHARS}]+)(?![{_WORD_CHARS}])")
        return self._word_re if self._word_targets else None

    def text(self, text: str) -> str:
        """Free text: secrets always; then addresses by pattern and distinctive learnt names as words."""
        text = redact_free_text(self._scrub(text))
        if self.on("ips"):
            text = _IPV4.sub(lambda m: self._ip_match(m.group()), text)
            text = _IPV6.sub(lambda m: self._ip_match(m.group()), text)
        pattern = self._word_pattern()
        if pattern is not None:
            targets = self._word_targets
            text = pattern.sub(lambda m: targets.get(m.group(), m.group()), text)
        return text

    def text_chunks(self, chunks: Iterable[str]) -> Iterator[str]:
        """The text pass over a text given in pieces, each cut right after a newline that follows ``,`` ``{``
        ``[`` or ``;`` (facts.json's and the schema dump's pieces): no pattern of the pass can match across such
        a cut — a secret's place (``password = ...``) ends in ``=``, ``:``, ``(``, BY or AS before its spaces,
        an address or a URL holds no space — as long as no secret and no name it replaces holds a newline; when
        one does, the pieces are joined and the pass runs over the whole text."""
        if any("\n" in secret for secret in self.secrets) or (self._word_pattern() is not None and any(
                "\n" in target for target in self._word_targets)):
            yield self.text("".join(chunks))
            return
        for chunk in chunks:
            yield self.text(chunk)

    def _ip_match(self, value: str) -> str:
        if not _is_ip(value):
            return value
        return self.host(value)

    def path(self, path: str) -> str:
        """A file name inside the archive."""
        return "/".join(self.text(part) for part in path.split("/"))

    def config(self, text: str) -> str:
        """The (already secret-free) option file: the ``user =`` values, then the text pass."""
        if self.on("users"):
            text = re.sub(r"(?im)^(\s*(?:loose[-_])?user\s*=\s*['\"]?)([^'\"#\s]+)",
                          lambda m: m.group(1) + self.user(m.group(2)), text)
        return self.text(text)

    def json_text(self, document: Any, sql_keys: Iterable[str] = ()) -> Any:
        """A JSON-like document with every string through the text pass (keys named in ``sql_keys``
        through the SQL pass for our own statements first)."""
        keys = frozenset(sql_keys)

        def walk(value: Any, key: str | None) -> Any:
            if isinstance(value, dict):
                return {k: walk(v, k) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v, key) for v in value]
            if isinstance(value, str):
                return self.text(self.sql(value) if key in keys else value)
            return value

        return walk(document, None)


def _pseudonym_order(pseudonym: str) -> tuple[str, int]:
    prefix, _, number = pseudonym.rpartition("-")
    return prefix, int(number) if number.isdigit() else 0


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seq(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in _seq(value) if isinstance(v, dict)]


Transform = Callable[[str], str]
