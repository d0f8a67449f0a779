"""Privilege preflight: read the account's grants and say which collectors will be skipped and why."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mysql.connector import errors as mysql_errors

from collectors.base import Collector, Requirement
from collectors.connection import ServerIdentity, Session

_GRANT_RE = re.compile(r"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<on>\S+)\s+TO\s+", re.IGNORECASE | re.DOTALL)
_ROLE_GRANT_RE = re.compile(r"^GRANT\s+[`'\"]?[\w-]+[`'\"]?(@\S+)?\s+TO\s+", re.IGNORECASE)


@dataclass
class Grants:
    """Privileges held on *.* and per schema, parsed from SHOW GRANTS."""

    account: str = ""
    global_privileges: set[str] = field(default_factory=set)
    schema_privileges: dict[str, set[str]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    has_roles: bool = False
    readable: bool = True

    def has(self, privilege: str, on: str = "*.*") -> bool:
        privilege = privilege.upper()
        if "ALL PRIVILEGES" in self.global_privileges or privilege in self.global_privileges:
            return True
        if on != "*.*":
            schema = _unquote(on.split(".", 1)[0])
            held = self.schema_privileges.get(schema, set())
            return "ALL PRIVILEGES" in held or privilege in held
        return False

    def satisfies(self, requirement: Requirement) -> bool:
        if not self.readable or self.has_roles:
            # cannot tell (MySQL 8 roles are not in SHOW GRANTS FOR CURRENT_USER()): try, and let
            # the statement say; a refusal still skips the collector with the server's reason
            return True
        names = (requirement.privilege, *requirement.alternatives)
        return any(self.has(name, requirement.on) for name in names)


def _unquote(name: str) -> str:
    return name.strip("`'\"").replace("``", "`")


def parse_grants(lines: Iterable[str]) -> Grants:
    grants = Grants()
    for line in lines:
        grants.lines.append(line)
        match = _GRANT_RE.match(line.strip())
        if not match:
            if _ROLE_GRANT_RE.match(line.strip()):
                grants.has_roles = True
            continue
        privs = {p.strip().upper() for p in re.split(r",(?![^(]*\))", match.group("privs"))}
        privs = {re.sub(r"\s*\(.*\)$", "", p) for p in privs}  # column-level lists
        if "ALL" in privs:
            privs.add("ALL PRIVILEGES")
        on = match.group("on")
        if on in ("*.*",):
            grants.global_privileges |= privs
        else:
            schema = _unquote(on.split(".", 1)[0])
            grants.schema_privileges.setdefault(schema, set()).update(privs)
    return grants


def read_grants(session: Session) -> Grants:
    try:
        result = session.query("SHOW GRANTS FOR CURRENT_USER()")
    except mysql_errors.Error:
        return Grants(readable=False)
    grants = parse_grants(str(row[0]) for row in result.rows)
    try:
        grants.account = str(session.scalar("SELECT CURRENT_USER()") or "")
    except mysql_errors.Error:
        grants.account = ""
    return grants


@dataclass(frozen=True)
class PreflightItem:
    collector: str
    title: str
    missing: tuple[Requirement, ...]
    partial: bool = False  # the collector runs, but reads less without these

    @property
    def reason(self) -> str:
        parts = [f"{r.privilege} on {r.on}" + (f" ({r.why})" if r.why else "") for r in self.missing]
        return ("reads less without " if self.partial else "needs ") + "; ".join(parts)

    def grant_statements(self, account: str) -> list[str]:
        return [r.grant(account) for r in self.missing]


def account_literal(account: str) -> str:
    """'user@host' as CURRENT_USER() prints it -> 'user'@'host' for a GRANT."""
    if "@" not in account:
        return "'user'@'host'"
    user, host = account.rsplit("@", 1)
    return f"'{user}'@'{host}'"


def preflight(grants: Grants, collectors: Sequence[Collector], server: ServerIdentity) -> list[PreflightItem]:
    """The collectors this account cannot run on this server, each with what is missing."""
    items = []
    for collector in collectors:
        missing = tuple(r for r in collector.requirements(server) if not grants.satisfies(r))
        if missing:
            items.append(PreflightItem(collector.name, collector.title, missing))
            continue
        lacking = tuple(r for r in collector.improves_with if not grants.satisfies(r))
        if lacking:
            items.append(PreflightItem(collector.name, collector.title, lacking, partial=True))
    return items
