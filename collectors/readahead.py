"""Reads the next schema's information_schema rows on a second session while this one is processed.

On MariaDB and MySQL 5.7 the first information_schema read of a schema opens every table in it,
and the server spends most of a schema walk doing that. With a second read-only session, the runner
asks for schema i+1's reads while the collectors work through schema i, so the server opens the
next tables while this client parses and the first session sends SHOW CREATE: measured on
20 x 1,000 tables (benchmarks/big_server.py).

Which statements to send is learnt, not declared: every per-schema statement the collectors sent
through `schema_rows` for the previous schema (each takes the schema name as its only parameter).
A read-ahead statement that fails leaves nothing behind: the collector then sends it on its own
session, with the errors handled as before. The second session is opened like the first
(read-only, per-statement time limit); if it cannot be opened, the walk goes on without it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from collectors.connection import CancelToken, ConnectionLost, Session, StatementRecord

Rows = list[tuple[Any, ...]]
# the "schema" of a batch statement's key (collectors.schema reads many small schemas in one statement)
BATCH = "\0batch"


class ReadAhead:
    def __init__(self, open_session: Callable[[], Session], cancel: CancelToken,
                 log: Callable[[str], None] = lambda _message: None) -> None:
        self._open_session = open_session
        self._cancel = cancel
        self._log = log
        self._learnt: list[str] = []  # statements, in the order the collectors first sent them
        # (schema, statements) to read ahead for one schema, or (BATCH, key, sql, params): one statement for many
        self._jobs: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._lock = threading.Condition()
        self._pending: set[tuple[str, str]] = set()  # asked for, not yet answered
        self._results: dict[tuple[str, str], Rows] = {}
        self._recent: list[str] = []  # the last two schemas asked for
        self._inflight: tuple[str, str] | None = None  # being read now
        self._session: Session | None = None
        self._closed = False
        self._disabled = False
        self._thread = threading.Thread(target=self._work, name="ps-prechecks-readahead", daemon=True)
        self._thread.start()
        cancel.on_cancel(self._interrupt)

    # -- the walking thread -------------------------------------------------------------------------
    def learn(self, sql: str) -> None:
        if sql not in self._learnt:
            self._learnt.append(sql)

    def submit(self, key: str, sql: str, params: tuple[Any, ...]) -> bool:
        """Send one statement (a batch of schemas) on the second session in the background; take(BATCH, key)
        gives its rows. False: nothing sent (the read-ahead is off)."""
        if self._disabled or self._closed:
            return False
        with self._lock:
            self._pending.add((BATCH, key))
        self._jobs.put((BATCH, key, sql, params))
        return True

    def forget(self, sql: str) -> None:
        """Stop reading `sql` ahead (the walk reads it for many schemas at once now): what was asked for and not
        started is dropped, what was read or is being read is kept for take(). learn() takes it back."""
        if sql in self._learnt:
            self._learnt.remove(sql)
        with self._lock:
            self._pending = {k for k in self._pending if k[1] != sql or k in self._results or k == self._inflight}

    def holds(self, schema: str, sql: str) -> bool:
        """True when (schema, sql) was read ahead or is being read now: take() has it."""
        key = (schema, sql)
        with self._lock:
            return key in self._results or key == self._inflight

    def ahead(self, schema: str) -> bool:
        """Start reading `schema` (what was learnt so far) in the background; False: nothing to read."""
        if self._disabled or self._closed or not self._learnt:
            return False
        statements = list(self._learnt)
        with self._lock:
            # keep what was read for the schema being walked now; drop what earlier schemas left unused
            self._recent = [*self._recent[-1:], schema]
            self._results = {k: v for k, v in self._results.items() if k[0] in self._recent or k[0] == BATCH}
            self._pending = {k for k in self._pending if k[0] in self._recent or k[0] == BATCH}
            self._pending.update((schema, sql) for sql in statements)
        self._jobs.put((schema, statements))
        return True

    def take(self, schema: str, sql: str) -> Rows | None:
        """The rows read ahead for (schema, sql), waiting while they are on their way; None: send it
        yourself (also when the reader has not started on it: the two sessions share the work)."""
        key = (schema, sql)
        with self._lock:
            if key in self._pending and key not in self._results and key != self._inflight:
                self._pending.discard(key)  # not started yet: the caller sends it now, the reader skips it
                return None
            while key in self._pending and key not in self._results and not self._closed:
                self._lock.wait(0.2)
                if self._cancel.cancelled:
                    return None
            self._pending.discard(key)
            return self._results.pop(key, None)

    def close(self) -> list[StatementRecord]:
        """Stop, close the second session and return the statements it sent (for the run's record)."""
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._results.clear()
            self._lock.notify_all()
        self._jobs.put(None)
        session = self._session
        if session is not None:
            session.interrupt()  # a statement in flight ends now, not at its time limit
        self._thread.join(timeout=10)
        if session is not None:
            session.close()
            return list(session.statements)
        return []

    # -- the reading thread -------------------------------------------------------------------------
    def _interrupt(self) -> None:
        if self._session is not None:
            self._session.interrupt()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if job[0] == BATCH:
                self._batch(job[1], job[2], job[3])
                continue
            schema, statements = job
            # from the last statement back: the walk sends the first ones itself when it gets there
            # before the reader does, so the two sessions meet in the middle instead of one waiting
            # for the statement the other has in flight
            for sql in reversed(statements):
                with self._lock:
                    if (schema, sql) not in self._pending:  # taken over by the walk, or dropped
                        continue
                    self._inflight = (schema, sql)
                rows = self._read(schema, sql)
                with self._lock:
                    self._inflight = None
                    if rows is not None and (schema, sql) in self._pending:
                        self._results[(schema, sql)] = rows
                    else:
                        self._pending.discard((schema, sql))
                    self._lock.notify_all()

    def _batch(self, key: str, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            if (BATCH, key) not in self._pending:  # taken over by the walk
                return
            self._inflight = (BATCH, key)
        rows = self._read("", sql, params)
        with self._lock:
            self._inflight = None
            if rows is not None and (BATCH, key) in self._pending:
                self._results[(BATCH, key)] = rows
            else:
                self._pending.discard((BATCH, key))
            self._lock.notify_all()

    def _read(self, schema: str, sql: str, params: tuple[Any, ...] | None = None) -> Rows | None:
        if self._closed or self._disabled or self._cancel.cancelled:
            return None
        try:
            if self._session is None:
                self._session = self._open_session()
            return self._session.query(sql, params if params is not None else (schema,)).rows
        except ConnectionLost:  # gone or silent (asking whether it is alive would wait once more)
            self._disabled = True
            return None
        except Exception as exc:  # the collector sends it itself and handles what it gets
            if self._session is None:
                self._disabled = True
                self._log(f"schema read-ahead off: a second session could not be opened ({type(exc).__name__})")
            elif not self._session.is_alive():
                self._disabled = True
            return None
