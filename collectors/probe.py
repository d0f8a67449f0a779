"""Test connection: connect, read the grants, run the privilege preflight, list the databases.

What the wizard's Test-connection button and database list run in the background; one short
read-only session, closed before it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mysql.connector import errors as mysql_errors

from collectors.base import SYSTEM_SCHEMAS
from collectors.connection import CancelToken, ConnectionSpec, ServerIdentity, open_session
from collectors.privileges import PreflightItem, account_literal, preflight, read_grants
from collectors.registry import collectors_for


@dataclass(frozen=True)
class Probe:
    identity: ServerIdentity
    account: str  # as a GRANT names it: 'user'@'host'
    preflight: list[PreflightItem] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)  # user schemas (system schemas left out)
    safety_notes: tuple[str, ...] = ()

    @property
    def blocking(self) -> list[PreflightItem]:
        """The parts that will be skipped (not just read less)."""
        return [item for item in self.preflight if not item.partial]


def probe(spec: ConnectionSpec, cancel: CancelToken | None = None) -> Probe:
    """Raises ConnectionFailed (with .problem) when the server cannot be reached or refuses us."""
    with open_session(spec, cancel) as session:
        grants = read_grants(session)
        items = preflight(grants, collectors_for(0.0), session.identity)
        try:
            rows = session.query("SHOW DATABASES").rows
            databases = [str(row[0]) for row in rows if str(row[0]).lower() not in SYSTEM_SCHEMAS]
        except mysql_errors.Error:
            databases = []
        return Probe(session.identity, account_literal(grants.account), items, databases,
                     tuple(session.safety_notes))
