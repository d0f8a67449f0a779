"""``MySQLStandIn``: a MySQL-protocol server that answers captured result sets. It is NOT a MySQL.

MySQL 8.x cannot be installed where these tests run, so the MySQL-8-only code paths are exercised
against this protocol-level stand-in instead: a real MySQL wire-protocol server (mysql-mimic, on
127.0.0.1, a free port, its own asyncio loop in a background thread) whose answers come from a
``Profile`` (``tests/standin/profiles.py``): variables, two status snapshots, databases, grants,
processlist, replication/binlog statements (or the real server's ER_PARSE_ERROR for them) and
small information_schema tables that sqlglot's executor queries.

Every statement received is appended to ``.statements``; every error sent to ``.errors``; a
statement the stand-in does not know is answered with 1064 (real wording) and also listed in
``.unknown``. Nothing a client sends can stop the server thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any

import sqlglot
from mysql_mimic import ColumnType, IdentityProvider, MysqlServer, ResultColumn, ResultSet, User
from mysql_mimic.auth import AuthInfo, AuthPlugin, AuthState, Forbidden, Success
from mysql_mimic.charset import CharacterSet
from mysql_mimic.errors import MysqlError
from mysql_mimic.session import BaseSession
from mysql_mimic.utils import nonce as make_nonce
from mysql_mimic.variables import SYSTEM_VARIABLES, GlobalVariables, SessionVariables
from sqlglot import expressions as exp
from sqlglot.executor import execute
from sqlglot.executor.table import Table

from tests.standin.profiles import Profile, ResultSetData, ServerError, get_profile, syntax_error

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# authentication


def _access_denied(user: str) -> Forbidden:
    return Forbidden(f"Access denied for user '{user}'@'localhost' (using password: YES)")


def _nonce() -> bytes:
    return bytes(make_nonce(20))


class _NativePassword(AuthPlugin):  # type: ignore[misc]
    """mysql_native_password, checked against the profile's clear-text password."""

    name = "mysql_native_password"
    client_plugin_name = "mysql_native_password"

    async def auth(self, auth_info: AuthInfo | None = None) -> AuthState:
        if auth_info and auth_info.handshake_plugin_name == self.name and auth_info.handshake_auth_data:
            nonce = auth_info.handshake_auth_data.rstrip(b"\x00")
        else:
            nonce = _nonce()
            auth_info = yield nonce + b"\x00"
        password = auth_info.user.auth_string or ""
        expected = b""
        if password:
            h1 = hashlib.sha1(password.encode()).digest()
            h2 = hashlib.sha1(nonce + hashlib.sha1(h1).digest()).digest()
            expected = bytes(a ^ b for a, b in zip(h1, h2, strict=True))
        if auth_info.data == expected:
            yield Success(auth_info.user.name)
        else:
            yield _access_denied(auth_info.username)


class _CachingSha2Password(AuthPlugin):  # type: ignore[misc]
    """caching_sha2_password, fast path only (the "cache hit" scramble check).

    A real server answers a correct scramble with AuthMoreData(0x03) and then OK; mysql-mimic's
    auth loop always waits for a client reply after AuthMoreData, so the stand-in sends the OK
    directly (clients accept that). The full-authentication path (RSA/TLS) is not implemented.
    """

    name = "caching_sha2_password"
    client_plugin_name = "caching_sha2_password"

    async def auth(self, auth_info: AuthInfo | None = None) -> AuthState:
        if auth_info and auth_info.handshake_plugin_name == self.name and auth_info.handshake_auth_data:
            nonce = auth_info.handshake_auth_data.rstrip(b"\x00")
        else:
            nonce = _nonce()
            auth_info = yield nonce + b"\x00"
        password = auth_info.user.auth_string or ""
        expected = b""
        if password:
            h1 = hashlib.sha256(password.encode()).digest()
            h2 = hashlib.sha256(hashlib.sha256(h1).digest() + nonce).digest()
            expected = bytes(a ^ b for a, b in zip(h1, h2, strict=True))
        if auth_info.data == expected:
            yield Success(auth_info.user.name)
        else:
            yield _access_denied(auth_info.username)


class _Identities(IdentityProvider):  # type: ignore[misc]
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        native, sha2 = _NativePassword(), _CachingSha2Password()
        self._plugins: list[AuthPlugin] = (
            [native, sha2] if profile.auth_plugin == native.name else [sha2, native]
        )

    def get_plugins(self) -> Sequence[AuthPlugin]:
        return self._plugins

    async def get_user(self, username: str) -> User | None:
        # Unknown users get an unguessable password: they fail with 1045 like on a real server.
        known = username == self.profile.user
        return User(
            name=username,
            auth_string=self.profile.password if known else _nonce().hex(),
            auth_plugin=self.profile.auth_plugin,
        )


# --------------------------------------------------------------------------------------------
# result helpers


def _column_type(values: Sequence[object]) -> ColumnType:
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            return ColumnType.TINY
        if isinstance(v, int):
            return ColumnType.LONGLONG
        if isinstance(v, float):
            return ColumnType.DOUBLE
        if isinstance(v, datetime):
            return ColumnType.DATETIME
        if isinstance(v, date):
            return ColumnType.DATE
        return ColumnType.VAR_STRING
    return ColumnType.VAR_STRING


def result(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> ResultSet:
    rows = [tuple(r) for r in rows]
    cols = [ResultColumn(name=c, type=_column_type([r[i] for r in rows])) for i, c in enumerate(columns)]
    return ResultSet(rows=rows, columns=cols)


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        return text[1:-1]
    return text


class _Fail(Exception):
    def __init__(self, errno: int, message: str, unknown: bool = False) -> None:
        super().__init__(f"{errno}: {message}")
        self.errno = errno
        self.message = message
        self.unknown = unknown


def _split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside quotes and parentheses."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


_SELECT_END = re.compile(
    r"\b(FROM|WHERE|GROUP|HAVING|ORDER|LIMIT|INTO|FOR|UNION|WINDOW|LOCK)\b", re.IGNORECASE
)


def _select_list_texts(sql: str) -> list[str] | None:
    """The projection texts as the client typed them (MySQL names unaliased columns so)."""
    m = re.match(r"^\s*SELECT\s+(?:/\*.*?\*/\s*)?(?:DISTINCT\s+|SQL_NO_CACHE\s+)*", sql, re.I | re.S)
    if not m:
        return None
    rest = sql[m.end() :]
    depth, quote, end = 0, "", len(rest)
    i = 0
    while i < len(rest):
        ch = rest[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and (i == 0 or not (rest[i - 1].isalnum() or rest[i - 1] in "_.@")):
            kw = _SELECT_END.match(rest, i)
            if kw:
                end = i
                break
        i += 1
    return _split_top_level(rest[:end].strip())


# --------------------------------------------------------------------------------------------
# the session: one per client connection


_SESSION_ONLY_VARIABLES = {
    "timestamp", "insert_id", "last_insert_id", "identity", "rand_seed1", "rand_seed2",
    "pseudo_thread_id", "sql_log_bin", "transaction_read_only", "transaction_isolation",
    "tx_read_only", "tx_isolation", "autocommit", "names", "character_set_client",
    "character_set_results", "character_set_connection", "collation_connection",
}  # fmt: skip

_SYSTEM_SCHEMAS_FOR_TABLES = ("information_schema", "performance_schema")


@dataclass
class _Normalised:
    text: str  # whitespace collapsed, trailing ';' removed, original case
    upper: str


def _normalise(sql: str) -> _Normalised:
    text = re.sub(r"/\*(?!!).*?\*/", " ", sql, flags=re.S)
    text = re.sub(r"\s+", " ", text).strip().rstrip(";").strip()
    return _Normalised(text, text.upper())


class StandInSession(BaseSession):  # type: ignore[misc]
    def __init__(self, server: MySQLStandIn) -> None:
        self.server = server
        self.profile = server.profile
        schema = dict(SYSTEM_VARIABLES)
        for name in ("version", "version_comment"):
            type_, _default, dynamic = schema[name]
            schema[name] = (type_, self.profile.variables[name], dynamic)
        self.variables = SessionVariables(GlobalVariables(schema))
        self.username: str | None = None
        self.database: str | None = None
        self.session_values: dict[str, str] = {}
        self.user_variables: dict[str, str] = {}
        self.global_status_calls = 0
        self.connection_id = 0

    async def init(self, connection: Any) -> None:
        self.connection_id = int(getattr(connection, "connection_id", 0))

    async def use(self, database: str) -> None:
        if database not in self.profile.databases:
            raise MysqlError(f"Unknown database '{database}'", code=1049)
        self.database = database

    async def handle_query(self, sql: str, attrs: dict[str, str]) -> Any:
        self.server.statements.append(sql)
        try:
            return self._dispatch(sql)
        except _Fail as f:
            self.server.errors.append((sql, f.errno, f.message))
            if f.unknown:
                self.server.unknown.append(sql)
            raise MysqlError(f.message, code=f.errno) from None
        except MysqlError as e:
            self.server.errors.append((sql, int(e.code), e.msg))
            raise
        except Exception as e:  # never let the server thread die; answer like a confused server
            logger.exception("stand-in failed on %r", sql)
            self.server.errors.append((sql, 1105, repr(e)))
            self.server.unknown.append(sql)
            raise MysqlError(f"stand-in internal error: {e!r}", code=1105) from None

    # ---------------------------------------------------------------- dispatch

    def _dispatch(self, sql: str) -> Any:
        n = _normalise(sql)
        up = n.upper
        if not up:
            raise _Fail(1065, "Query was empty")
        first = up.split(" ", 1)[0]
        if first == "SET":
            return self._set(n.text[4:])
        if re.fullmatch(r"(START TRANSACTION( (READ ONLY|READ WRITE|WITH CONSISTENT SNAPSHOT)(, ?\w+( \w+)*)?)?|BEGIN( WORK)?|COMMIT( WORK)?|ROLLBACK( WORK)?)", up):  # noqa: E501
            return None
        if first == "USE":
            db = _unquote(n.text[4:])
            if db not in self.profile.databases:
                raise _Fail(1049, f"Unknown database '{db}'")
            self.database = db
            return None
        key = self._response_key(up)
        if key in self.profile.responses:
            return self._respond(self.profile.responses[key])
        if first == "SHOW":
            return self._show(n)
        if first == "CALL":
            proc = re.sub(r"\(.*$", "", n.text[5:]).strip().replace("`", "")
            raise _Fail(1305, f"PROCEDURE {proc} does not exist")
        if first in ("SELECT", "("):
            return self._select(n.text)
        if first in ("DESCRIBE", "DESC", "EXPLAIN"):
            raise _Fail(1146, f"Table '{n.text.split(' ', 1)[-1]}' doesn't exist")
        raise self._unknown(n.text)

    @staticmethod
    def _response_key(up: str) -> str:
        key = up.replace("`", "")
        key = re.sub(r" FOR CHANNEL .*$", "", key)
        if key.startswith("CALL "):
            key = re.sub(r"\s*\(\s*\)$", "", key)
        return key

    def _respond(self, response: ResultSetData | ServerError) -> ResultSet:
        if isinstance(response, ServerError):
            raise _Fail(response.errno, response.message)
        return result(response.columns, response.rows)

    def _unknown(self, text: str) -> _Fail:
        words = text.split(" ", 1)
        near = words[1] if len(words) > 1 else words[0]
        err = syntax_error(near[:80])
        return _Fail(err.errno, err.message, unknown=True)

    # ---------------------------------------------------------------- SET

    def _set(self, body: str) -> None:
        m = re.fullmatch(r"(?:(GLOBAL|SESSION|LOCAL)\s+)?TRANSACTION\s+(.*)", body, re.I)
        if m:
            if (m.group(1) or "").upper() == "GLOBAL":
                raise self._denied()
            chars = m.group(2).upper()
            if m.group(1):  # SESSION/LOCAL: lasting session characteristics
                if "READ ONLY" in chars:
                    self.session_values["transaction_read_only"] = "1"
                elif "READ WRITE" in chars:
                    self.session_values["transaction_read_only"] = "0"
                levels = "READ UNCOMMITTED|READ COMMITTED|REPEATABLE READ|SERIALIZABLE"
                lvl = re.search(f"ISOLATION LEVEL ({levels})", chars)
                if lvl:
                    self.session_values["transaction_isolation"] = lvl.group(1).replace(" ", "-")
            return None
        for item in _split_top_level(body):
            self._set_item(item)
        return None

    def _denied(self) -> _Fail:
        return _Fail(
            1227,
            "Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN "
            "privilege(s) for this operation",
        )

    def _set_item(self, item: str) -> None:
        m = re.fullmatch(r"NAMES\s+(\S+)(?:\s+COLLATE\s+(\S+))?", item, re.I)
        if m:
            self._set_charset(_unquote(m.group(1)), names=True)
            if m.group(2):
                self.session_values["collation_connection"] = _unquote(m.group(2))
            return
        m = re.fullmatch(r"(?:CHARACTER SET|CHARSET)\s+(\S+)", item, re.I)
        if m:
            self._set_charset(_unquote(m.group(1)), names=False)
            return
        m = re.fullmatch(r"@(?!@)(`[^`]+`|'[^']+'|[\w.$]+)\s*:?=\s*(.*)", item, re.S)
        if m:
            self.user_variables[_unquote(m.group(1)).lower()] = _unquote(m.group(2))
            return
        m = re.fullmatch(
            r"(?:(GLOBAL|SESSION|LOCAL|PERSIST|PERSIST_ONLY)\s+|@@(?:(GLOBAL|SESSION|LOCAL|PERSIST|PERSIST_ONLY)\.)?)?"
            r"`?(\w+)`?\s*:?=\s*(.*)",
            item,
            re.I | re.S,
        )
        if not m:
            raise self._unknown("SET " + item)
        scope = (m.group(1) or m.group(2) or "SESSION").upper()
        name = m.group(3).lower()
        value = _unquote(m.group(4))
        if name not in self.profile.variables and name not in _SESSION_ONLY_VARIABLES:
            raise _Fail(1193, f"Unknown system variable '{name}'")
        if scope not in ("SESSION", "LOCAL"):
            raise self._denied()
        if value.upper() in ("ON", "TRUE"):
            value = "1" if name in ("autocommit", "transaction_read_only", "sql_log_bin") else "ON"
        elif value.upper() in ("OFF", "FALSE"):
            value = "0" if name in ("autocommit", "transaction_read_only", "sql_log_bin") else "OFF"
        if value.upper() == "DEFAULT":
            self.session_values.pop(name, None)
        else:
            self.session_values[name] = value

    def _set_charset(self, name: str, names: bool) -> None:
        if name.upper() == "DEFAULT":
            name = "utf8mb4"
        try:
            charset = CharacterSet[name.lower()]
        except KeyError:
            raise _Fail(1115, f"Unknown character set: '{name}'") from None
        targets = ["character_set_client", "character_set_results"]
        targets.append("character_set_connection" if names else "")
        for t in filter(None, targets):
            self.variables.set(t, charset.name)
            self.session_values[t] = charset.name

    # ---------------------------------------------------------------- SHOW

    def _show(self, n: _Normalised) -> ResultSet:
        text = n.text
        m = re.fullmatch(
            r"SHOW (?:(GLOBAL|SESSION|LOCAL) )?(VARIABLES|STATUS)(?: (LIKE|WHERE) (.*))?", text, re.I
        )
        if m:
            scope = (m.group(1) or "SESSION").upper()
            if m.group(2).upper() == "VARIABLES":
                values = self.profile.variables
                if scope != "GLOBAL":
                    values = {**values, **{k: v for k, v in self.session_values.items() if k in values}}
            else:
                values = self._status(scope == "GLOBAL", filtered=m.group(3) is not None)
            return self._filtered_pairs(values, m.group(3), m.group(4))
        m = re.fullmatch(r"SHOW (?:DATABASES|SCHEMAS)(?: LIKE (.*))?", text, re.I)
        if m:
            dbs = self.profile.databases
            if m.group(1):
                rx = _like(_unquote(m.group(1)))
                dbs = [d for d in dbs if rx.match(d)]
            return result(["Database" if not m.group(1) else f"Database ({_unquote(m.group(1))})"], [(d,) for d in dbs])
        m = re.fullmatch(r"SHOW GRANTS(?: FOR (.*))?", text, re.I)
        if m:
            return self._grants(m.group(1))
        m = re.fullmatch(r"SHOW (FULL )?PROCESSLIST", text, re.I)
        if m:
            pl = self.profile.processlist
            rows = list(pl.rows)
            if not m.group(1):  # without FULL, Info is cut to 100 characters
                idx = pl.columns.index("Info")
                rows = [(*r[:idx], _cut(r[idx], 100), *r[idx + 1 :]) for r in rows]
            return result(pl.columns, rows)
        m = re.fullmatch(r"SHOW (FULL )?TABLES(?: (?:FROM|IN) (\S+))?(?: LIKE (.*))?", text, re.I)
        if m:
            db = _unquote(m.group(2)) if m.group(2) else self.database
            if not db:
                raise _Fail(1046, "No database selected")
            tables = self.profile.info_schema["information_schema.tables"]
            i_s, i_n, i_t = (tables.columns.index(c) for c in ("TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE"))
            rows = [r for r in tables.rows if r[i_s] == db]
            if m.group(3):
                rx = _like(_unquote(m.group(3)))
                rows = [r for r in rows if rx.match(str(r[i_n]))]
            name = f"Tables_in_{db}"
            if m.group(1):
                return result([name, "Table_type"], [(r[i_n], r[i_t]) for r in rows])
            return result([name], [(r[i_n],) for r in rows])
        m = re.fullmatch(r"SHOW CREATE (TABLE|VIEW|PROCEDURE|FUNCTION|TRIGGER|EVENT) (.+)", text, re.I)
        if m:
            return self._show_create(m.group(1).upper(), m.group(2))
        raise self._unknown(text)

    # ---------------------------------------------------------------- SHOW CREATE

    def _info_dicts(self, table: str) -> list[dict[str, object]]:
        data = self.profile.info_schema.get(f"information_schema.{table}")
        return [dict(zip(data.columns, row, strict=False)) for row in data.rows] if data else []

    def _show_create(self, kind: str, target: str) -> ResultSet:
        """SHOW CREATE <kind> [db.]name, in the real result layout; the text is synthesised from
        the profile's information_schema (the stand-in holds no captured DDL)."""
        parts = [_unquote(p) for p in _split_top_level(target.strip(), ".")]
        if len(parts) == 1:
            if not self.database:
                raise _Fail(1046, "No database selected")
            parts = [self.database, parts[0]]
        db, name = parts[0], parts[1]
        definer = "`root`@`localhost`"
        cs, coll = "utf8mb4", "utf8mb4_0900_ai_ci"
        if kind in ("TABLE", "VIEW"):
            found = [t for t in self._info_dicts("tables") if t["TABLE_SCHEMA"] == db and t["TABLE_NAME"] == name]
            if not found:
                raise _Fail(1146, f"Table '{db}.{name}' doesn't exist")
            table = found[0]
            if table["TABLE_TYPE"] == "VIEW":
                view = next((v for v in self._info_dicts("views")
                             if v["TABLE_SCHEMA"] == db and v["TABLE_NAME"] == name), {})
                ddl = (f"CREATE ALGORITHM=UNDEFINED DEFINER={definer} SQL SECURITY DEFINER VIEW `{name}` AS "
                       f"{view.get('VIEW_DEFINITION', 'select 1')}")
                return result(["View", "Create View", "character_set_client", "collation_connection"],
                              [(name, ddl, cs, coll)])
            if kind == "VIEW":
                raise _Fail(1347, f"'{db}.{name}' is not VIEW")
            return result(["Table", "Create Table"], [(name, self._create_table(db, name, table))])
        if kind in ("PROCEDURE", "FUNCTION"):
            routine = next((r for r in self._info_dicts("routines") if r["ROUTINE_SCHEMA"] == db
                            and r["ROUTINE_NAME"] == name and r["ROUTINE_TYPE"] == kind), None)
            if routine is None:
                raise _Fail(1305, f"{kind} {name} does not exist")
            returns = f" RETURNS {routine['DATA_TYPE']}" if kind == "FUNCTION" else ""
            ddl = (f"CREATE DEFINER={definer} {kind} `{name}`(){returns}\n    READS SQL DATA\n"
                   f"{routine['ROUTINE_DEFINITION']}")
            title = kind.capitalize()
            return result([title, "sql_mode", f"Create {title}", "character_set_client", "collation_connection",
                           "Database Collation"], [(name, "", ddl, cs, coll, coll)])
        if kind == "TRIGGER":
            trigger = next((t for t in self._info_dicts("triggers")
                            if t["TRIGGER_SCHEMA"] == db and t["TRIGGER_NAME"] == name), None)
            if trigger is None:
                raise _Fail(1360, "Trigger does not exist")
            ddl = (f"CREATE DEFINER={definer} TRIGGER `{name}` {trigger['ACTION_TIMING']} "
                   f"{trigger['EVENT_MANIPULATION']} ON `{trigger['EVENT_OBJECT_TABLE']}` FOR EACH ROW "
                   f"{trigger['ACTION_STATEMENT']}")
            return result(["Trigger", "sql_mode", "SQL Original Statement", "character_set_client",
                           "collation_connection", "Database Collation", "Created"],
                          [(name, "", ddl, cs, coll, coll, trigger["CREATED"])])
        event = next((e for e in self._info_dicts("events")
                      if e["EVENT_SCHEMA"] == db and e["EVENT_NAME"] == name), None)
        if event is None:
            raise _Fail(1539, f"Unknown event '{name}'")
        ddl = (f"CREATE DEFINER={definer} EVENT `{name}` ON SCHEDULE EVERY {event['INTERVAL_VALUE']} "
               f"{event['INTERVAL_FIELD']} STARTS '{event['STARTS']}' ON COMPLETION {event['ON_COMPLETION']} "
               f"ENABLE DO {event['EVENT_DEFINITION']}")
        return result(["Event", "sql_mode", "time_zone", "Create Event", "character_set_client",
                       "collation_connection", "Database Collation"],
                      [(name, "", event["TIME_ZONE"], ddl, cs, coll, coll)])

    def _create_table(self, db: str, name: str, table: dict[str, object]) -> str:
        columns = sorted((c for c in self._info_dicts("columns")
                          if c["TABLE_SCHEMA"] == db and c["TABLE_NAME"] == name),
                         key=lambda c: int(str(c["ORDINAL_POSITION"])))
        lines = []
        for c in columns:
            null = " NOT NULL" if c["IS_NULLABLE"] == "NO" else " DEFAULT NULL"
            extra = f" {c['EXTRA']}" if c["EXTRA"] == "auto_increment" else ""
            lines.append(f"  `{c['COLUMN_NAME']}` {c['COLUMN_TYPE']}{null}{extra}")
        primary = [str(c["COLUMN_NAME"]) for c in columns if c["COLUMN_KEY"] == "PRI"]
        if primary:
            lines.append("  PRIMARY KEY (" + ",".join(f"`{p}`" for p in primary) + ")")
        ddl = f"CREATE TABLE `{name}` (\n" + ",\n".join(lines) + "\n)"
        ddl += f" ENGINE={table['ENGINE']} DEFAULT CHARSET=utf8mb4 COLLATE={table['TABLE_COLLATION']}"
        parts = [p for p in self._info_dicts("partitions")
                 if p["TABLE_SCHEMA"] == db and p["TABLE_NAME"] == name and p["PARTITION_NAME"]]
        if parts:
            ddl += (f"\n/*!50100 PARTITION BY {parts[0]['PARTITION_METHOD']} ({parts[0]['PARTITION_EXPRESSION']})\n("
                    + ",\n ".join(f"PARTITION {p['PARTITION_NAME']} VALUES LESS THAN ({p['PARTITION_DESCRIPTION']})"
                                   f" ENGINE = {table['ENGINE']}" for p in parts) + ") */")
        return ddl

    def _status(self, is_global: bool, filtered: bool) -> dict[str, str]:
        """Snapshot 1 until one unfiltered SHOW GLOBAL STATUS has been answered, then snapshot 2."""
        if not is_global:
            return self.profile.status
        snapshot = self.profile.status if self.global_status_calls == 0 else self.profile.status_second
        if not filtered:
            self.global_status_calls += 1
        return snapshot

    def _filtered_pairs(self, values: dict[str, str], kind: str | None, arg: str | None) -> ResultSet:
        rows = sorted(values.items())
        if kind and kind.upper() == "LIKE" and arg is not None:
            rx = _like(_unquote(arg))
            rows = [r for r in rows if rx.match(r[0])]
        elif kind and arg is not None:  # WHERE <condition on Variable_name / Value>
            expr = sqlglot.parse_one(f"SELECT variable_name, value FROM t WHERE {arg}", read="mysql")
            table = Table(("variable_name", "value"), [(k, v) for k, v in rows])
            out = execute(expr, schema={"t": {"variable_name": "TEXT", "value": "TEXT"}}, tables={"t": table})
            rows = [(str(r[0]), str(r[1])) for r in out.rows]
        return result(["Variable_name", "Value"], rows)

    def _grants(self, who: str | None) -> ResultSet:
        me = f"{self.profile.user}@{self.profile.user_host}"
        if who:
            w = who.strip()
            if not re.fullmatch(r"CURRENT_USER(\s*\(\s*\))?", w, re.I):
                parts = [_unquote(p) for p in w.split("@", 1)]
                user, host = parts[0], parts[1] if len(parts) > 1 else "%"
                if (user, host) != (self.profile.user, self.profile.user_host):
                    raise _Fail(1141, f"There is no such grant defined for user '{user}' on host '{host}'")
        return result([f"Grants for {me}"], [(g,) for g in self.profile.grants])

    # ---------------------------------------------------------------- SELECT

    def _variable(self, name: str, kind: str) -> object:
        name = name.lower()
        kind = kind.upper()
        if kind != "GLOBAL" and name in self.session_values:
            return _selected(name, self.session_values[name])
        if name in self.profile.variables:
            return _selected(name, self.profile.variables[name])
        if name in _SESSION_ONLY_VARIABLES and kind != "GLOBAL":
            return {"transaction_read_only": 0, "autocommit": 1, "sql_log_bin": 1}.get(name)
        raise _Fail(1193, f"Unknown system variable '{name}'")

    def _function(self, name: str) -> tuple[bool, object]:
        now = datetime.now().replace(microsecond=0)
        user = self.username or self.profile.user
        table: dict[str, object] = {
            "VERSION": self.profile.version,
            "CURRENT_VERSION": self.profile.version,
            "CURRENT_USER": f"{user}@{self.profile.user_host}",
            "USER": f"{user}@localhost",
            "SESSION_USER": f"{user}@localhost",
            "SYSTEM_USER": f"{user}@localhost",
            "DATABASE": self.database,
            "SCHEMA": self.database,
            "CURRENT_SCHEMA": self.database,
            "CONNECTION_ID": self.connection_id,
            "NOW": now,
            "CURRENT_TIMESTAMP": now,
            "LOCALTIMESTAMP": now,
            "LOCALTIME": now,
            "SYSDATE": now,
            "UTC_TIMESTAMP": datetime.utcfromtimestamp(int(time.time())),
            "UNIX_TIMESTAMP": int(time.time()),
            "CURRENT_DATE": now.date(),
            "CURDATE": now.date(),
        }
        table.update({k.upper(): v for k, v in self.profile.functions.items()})
        if name in table:
            return True, table[name]
        return False, None

    def _substitute(self, node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.SessionParameter):
            return _literal(self._variable(node.name, node.text("kind") or "SESSION"))
        if isinstance(node, exp.Func) and not node.args.get("expressions") and not node.args.get("this"):
            name = node.name.upper() if isinstance(node, exp.Anonymous) else node.sql_name()
            known, value = self._function(name)
            if known:
                return _literal(value)
        if isinstance(node, exp.Anonymous) and not node.expressions:
            known, value = self._function(node.name.upper())
            if known:
                return _literal(value)
        if isinstance(node, exp.Column) and node.sql().upper() in ("CURRENT_USER", "CURRENT_TIMESTAMP", "CURRENT_DATE"):
            known, value = self._function(node.sql().upper())
            if known:
                return _literal(value)
        if isinstance(node, exp.Parameter):
            return _literal(self.user_variables.get(node.name.lower()))
        return node

    def _direct_value(self, node: exp.Expression) -> tuple[bool, object]:
        if isinstance(node, exp.SessionParameter):
            return True, self._variable(node.name, node.text("kind") or "SESSION")
        if isinstance(node, exp.Literal):
            if node.is_string:
                return True, node.name
            return True, _typed(node.name)
        if isinstance(node, exp.Null):
            return True, None
        if isinstance(node, exp.Func | exp.Column) and not list(node.iter_expressions()):
            name = node.name.upper() if isinstance(node, exp.Anonymous | exp.Column) else node.sql_name()
            return self._function(name)
        if isinstance(node, exp.Anonymous) and not node.expressions:
            return self._function(node.name.upper())
        return False, None

    def _select(self, sql: str) -> ResultSet:
        try:
            parsed = sqlglot.parse(sql, read="mysql")
        except sqlglot.errors.ParseError:
            raise self._unknown(_normalise(sql).text) from None
        if len(parsed) != 1 or not isinstance(parsed[0], exp.Select):
            raise self._unknown(_normalise(sql).text)
        select = parsed[0]
        texts = _select_list_texts(sql)
        if texts is not None and len(texts) != len(select.expressions):
            texts = None
        if not (select.args.get("from_") or select.args.get("from")):
            return self._select_no_from(select, texts)
        return self._select_info_schema(select, texts)

    def _names(self, select: exp.Select, texts: list[str] | None, canonical: dict[str, str]) -> list[str]:
        names: list[str] = []
        for i, proj in enumerate(select.expressions):
            if isinstance(proj, exp.Alias):
                names.append(proj.alias)
            elif isinstance(proj, exp.Column) and proj.name.lower() in canonical:
                names.append(canonical[proj.name.lower()])
            elif texts is not None:
                names.append(texts[i])
            else:
                names.append(proj.sql(dialect="mysql"))
        return names

    def _select_no_from(self, select: exp.Select, texts: list[str] | None) -> ResultSet:
        names = self._names(select, texts, {})
        values: list[object] = []
        for proj in select.expressions:
            node = proj.this if isinstance(proj, exp.Alias) else proj
            ok, value = self._direct_value(node)
            if not ok:
                break
            values.append(value)
        else:
            if select.args.get("limit") and select.args["limit"].expression.name == "0":
                return result(names, [])
            return result(names, [tuple(values)])
        # general expression: substitute variables/functions, let sqlglot evaluate it
        expr = select.copy().transform(self._substitute)
        try:
            out = execute(expr)
        except _Fail:
            raise
        except Exception:
            raise self._unknown(select.sql(dialect="mysql")) from None
        return result(names, out.rows)

    def _select_info_schema(self, select: exp.Select, texts: list[str] | None) -> ResultSet:
        tables = list(select.find_all(exp.Table))
        data: dict[str, ResultSetData] = {}
        for t in tables:
            db = (t.db or self.database or "").lower()
            key = f"{db}.{t.name.lower()}"
            source = self._info_table(key)
            if source is None:
                shown = f"{t.db or self.database}.{t.name}" if (t.db or self.database) else t.name
                if db in _SYSTEM_SCHEMAS_FOR_TABLES or db not in self.profile.databases:
                    raise _Fail(1146, f"Table '{shown}' doesn't exist", unknown=True)
                raise _Fail(1146, f"Table '{shown}' doesn't exist (the stand-in holds no table data)", unknown=True)
            data[key] = source
        schema: dict[str, dict[str, dict[str, str]]] = {}
        sg_tables: dict[str, dict[str, Table]] = {}
        canonical: dict[str, str] = {}
        for key, src in data.items():
            db, name = key.split(".", 1)
            cols = tuple(c.lower() for c in src.columns)
            schema.setdefault(db, {})[name] = dict.fromkeys(cols, "TEXT")
            sg_tables.setdefault(db, {})[name] = Table(cols, [tuple(r) for r in src.rows])
            canonical.update({c.lower(): c for c in src.columns})
        expr = select.copy().transform(self._substitute)
        if self.database and not any(t.db for t in tables):
            for t in expr.find_all(exp.Table):
                t.set("db", exp.to_identifier(self.database))
        names = self._names(select, texts, canonical)
        try:
            out = execute(expr, schema=schema, tables=sg_tables)
        except _Fail:
            raise
        except Exception as e:
            # sqlglot's executor could not run it: answer an empty result, but make it visible.
            logger.warning("stand-in: sqlglot could not execute %s: %r", select.sql(dialect="mysql"), e)
            self.server.unsupported.append(select.sql(dialect="mysql"))
            if any(isinstance(p, exp.Star) for p in select.expressions):
                names = [c for src in data.values() for c in src.columns]
            return result(names, [])
        if any(isinstance(p, exp.Star) for p in select.expressions):
            names = [canonical.get(c, c) for c in out.columns]
        return result(names, out.rows)

    def _info_table(self, key: str) -> ResultSetData | None:
        if key in self.profile.info_schema:
            return self.profile.info_schema[key]
        if key in ("information_schema.processlist", "performance_schema.processlist"):
            pl = self.profile.processlist
            return ResultSetData(tuple(c.upper() for c in pl.columns), pl.rows)
        if key in ("performance_schema.global_variables", "information_schema.global_variables"):
            return ResultSetData(("VARIABLE_NAME", "VARIABLE_VALUE"), tuple(self.profile.variables.items()))
        if key in ("performance_schema.session_variables",):
            merged = {**self.profile.variables, **self.session_values}
            return ResultSetData(("VARIABLE_NAME", "VARIABLE_VALUE"), tuple(merged.items()))
        if key == "performance_schema.global_status":
            snap = self.profile.status if self.global_status_calls == 0 else self.profile.status_second
            return ResultSetData(("VARIABLE_NAME", "VARIABLE_VALUE"), tuple(snap.items()))
        return None


def _cut(value: object, length: int) -> object:
    return value[:length] if isinstance(value, str) else value


def _typed(value: str) -> object:
    if re.fullmatch(r"-?\d+", value) and len(value) < 19:
        return int(value)
    return value


# ON/OFF variables that are enums, not booleans: SELECT @@x answers the word, not 1/0.
_ENUM_ON_OFF = {
    "gtid_mode", "enforce_gtid_consistency", "event_scheduler", "session_track_transaction_info",
    "ssl_fips_mode", "innodb_change_buffering", "binlog_row_value_options", "replica_type_conversions",
    "slave_type_conversions", "log_slow_verbosity", "explain_format",
}  # fmt: skip


def _selected(name: str, value: str) -> object:
    """What ``SELECT @@name`` answers: booleans as 1/0 (SHOW VARIABLES says ON/OFF), numbers as ints."""
    if name not in _ENUM_ON_OFF and value.upper() in ("ON", "OFF"):
        return 1 if value.upper() == "ON" else 0
    return _typed(value)


def _literal(value: object) -> exp.Expression:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, datetime):
        return exp.Literal.string(value.strftime("%Y-%m-%d %H:%M:%S"))
    return exp.Literal.string(str(value))


# --------------------------------------------------------------------------------------------
# the server


class MySQLStandIn:
    """A protocol-level stand-in for a MySQL server, answering a profile's captured result sets.

    ``with MySQLStandIn("mysql-8.4") as s: mysql.connector.connect(host=s.host, port=s.port,
    user=s.user, password=s.password, use_pure=True)``.
    """

    host = "127.0.0.1"

    def __init__(self, profile: str | Profile) -> None:
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.user = self.profile.user
        self.password = self.profile.password
        self.port = 0
        self.statements: list[str] = []
        self.errors: list[tuple[str, int, str]] = []
        self.unknown: list[str] = []
        self.unsupported: list[str] = []
        self.loop_errors: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: MysqlServer | None = None

    @property
    def name(self) -> str:
        return self.profile.name

    def __repr__(self) -> str:
        return f"<MySQLStandIn {self.profile.name} (not a MySQL) on {self.host}:{self.port}>"

    def start(self) -> MySQLStandIn:
        if self._loop is not None:
            return self
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._on_loop_error)
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=f"standin-{self.profile.name}", daemon=True)
        self._thread.start()
        self._server = MysqlServer(
            session_factory=lambda: StandInSession(self),
            identity_provider=_Identities(self.profile),
        )
        fut = asyncio.run_coroutine_threadsafe(self._server.start_server(host=self.host, port=0), loop)
        try:
            fut.result(timeout=10)
        except BaseException:
            self.stop()
            raise
        self.port = int(self._server.sockets()[0].getsockname()[1])
        return self

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.loop_errors.append(f"{context.get('message', '')} {context.get('exception')!r}".strip())

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        await asyncio.get_running_loop().shutdown_asyncgens()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None:
            return
        try:
            if loop.is_running():
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(timeout=10)
            loop.close()
            self._loop = None
            self._thread = None
            self._server = None

    def __enter__(self) -> MySQLStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``mysql.connector.connect``."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "use_pure": True,
        }
