"""A loopback TCP proxy in front of a server's port that a test controls: it can hold back the answer to
one statement (so the client is waiting on it) and cut every connection at a chosen moment.

    with Proxy(server.host, server.port) as proxy:
        proxy.stall_on(b"SHOW CREATE TABLE")   # the next such statement gets no answer
        ... point the client at 127.0.0.1:proxy.port ...
        proxy.stalled.wait(30)                 # the client has sent it and waits
        proxy.cut()                            # every connection closed, new ones refused

Statements are matched on the raw bytes the client sends (COM_QUERY carries the text as is), so the
client must not use TLS or compression through it. When the server side closes (the server died), the
proxy closes the client side too, stalled or not.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType


class _Pair:
    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.stalled = False
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class Proxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host = "127.0.0.1"
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[_Pair] = []
        self._threads: list[threading.Thread] = []
        self._pattern: bytes | None = None
        self.stalled = threading.Event()  # set when a statement matching stall_on() was sent
        self.latency = 0.0  # seconds added before each answer is passed on (a slow network)
        self.accepted = 0
        self._cut = threading.Event()
        self._start(self._accept, "proxy-accept")

    def _start(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # -- control ------------------------------------------------------------------------------------
    def stall_on(self, statement: bytes) -> None:
        """The first statement containing these bytes is forwarded; its answer is held back for good."""
        self.stalled.clear()
        self._pattern = statement

    def cut(self) -> None:
        """Close every connection (the client sees the server go away) and refuse new ones."""
        self._cut.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close() alone would not
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            pair.close()

    def cut_one(self, index: int) -> None:
        """Close the index-th connection accepted (0: the first); the others go on."""
        with self._lock:
            pair = self._pairs[index]
        pair.close()

    def close(self) -> None:
        self.cut()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(10)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for p in self._pairs if not p.closed.is_set())

    def wait_connections(self, count: int, timeout: float = 30) -> bool:
        """Wait until `count` connections are open (True), or the timeout (False)."""
        deadline = time.monotonic() + timeout
        while self.open_connections != count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    # -- the threads --------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._cut.is_set():
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.append(pair)
                self.accepted += 1
            if self._cut.is_set():
                pair.close()
                return
            self._start(self._client_to_server, "proxy-up", pair)
            self._start(self._server_to_client, "proxy-down", pair)

    def _client_to_server(self, pair: _Pair) -> None:
        tail = b""
        try:
            while True:
                data = pair.client.recv(65536)
                if not data:
                    break
                pattern = self._pattern
                if pattern is not None and pattern in tail + data:
                    self._pattern = None
                    pair.stalled = True
                    self.stalled.set()
                tail = data[-256:]
                pair.upstream.sendall(data)
        except OSError:
            pass
        pair.close()

    def _server_to_client(self, pair: _Pair) -> None:
        try:
            while True:
                data = pair.upstream.recv(65536)
                if not data:
                    break
                if pair.stalled:  # the answer to the stalled statement, and anything after it, is dropped
                    continue
                if self.latency:
                    time.sleep(self.latency)
                pair.client.sendall(data)
        except OSError:
            pass
        pair.close()
