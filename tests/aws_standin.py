"""AWS in tests: moto in server mode (real botocore over HTTP on 127.0.0.1) and a stand-in fault proxy.

``start_moto`` runs ``moto_server -H 127.0.0.1 -p PORT`` as a child process, like tests/servers.py runs
mariadbd. ``FaultProxy`` is a STAND-IN, not AWS: a tiny local HTTP server in front of moto that answers one
chosen API action with an error (AccessDenied, Throttling, ExpiredToken) in that protocol's own error
shape (query XML, EC2 XML, JSON, rpc-v2-cbor) and forwards everything else to moto unchanged. It counts
the calls it saw per action, so a test can tell that a throttled call was retried.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    def __init__(self, port: int, process: subprocess.Popen[bytes]) -> None:
        self.port = port
        self.process = process
        self.url = f"http://127.0.0.1:{port}"

    def reset(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("POST", "/moto-api/reset")
        connection.getresponse().read()
        connection.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_moto(log: Path) -> MotoServer:
    port = free_port()
    binary = Path(sys.executable).with_name("moto_server")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)], stdout=output,
                                   stderr=subprocess.STDOUT, env=env)
    for _ in range(300):  # ready when it answers (it loads its models first)
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return MotoServer(port, process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("moto_server did not start listening")


def _cbor_text(value: str) -> bytes:
    data = value.encode()
    if len(data) < 24:
        return bytes([0x60 + len(data)]) + data
    if len(data) < 256:
        return bytes([0x78, len(data)]) + data
    return bytes([0x79]) + len(data).to_bytes(2, "big") + data


def _cbor_map(items: dict[str, str]) -> bytes:
    out = bytes([0xA0 + len(items)])
    for key, value in items.items():
        out += _cbor_text(key) + _cbor_text(value)
    return out


def action_of(path: str, headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[-1].split("?", maxsplit=1)[0]
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return (form.get("Action") or [""])[0]


class FaultProxy:
    """STAND-IN: answers ``action`` with ``code`` (every time, or the first ``times`` calls), forwards the rest."""

    def __init__(self, upstream_port: int, action: str, code: str, times: int | None = None) -> None:
        self.upstream_port = upstream_port
        self.action = action
        self.code = code
        self.times = times
        self.seen: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

            def do_POST(self) -> None:
                proxy.handle(self)

            def do_GET(self) -> None:
                proxy.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        action = action_of(request.path, headers, body)
        self.seen[action] += 1
        if action == self.action and (self.times is None or self.seen[action] <= self.times):
            self._error(request, headers)
            return
        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        connection.request(request.command, request.path, body=body, headers=dict(request.headers.items()))
        answer = connection.getresponse()
        data = answer.read()
        request.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in {"transfer-encoding", "connection", "content-length", "server", "date"}:
                request.send_header(key, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
        connection.close()

    def _error(self, request: BaseHTTPRequestHandler, headers: dict[str, str]) -> None:
        message = f"stand-in: {self.code} for {self.action}"
        status = 403 if "Denied" in self.code or "Unauthorized" in self.code or "Expired" in self.code else 400
        if "x-amz-target" in headers:  # JSON protocol (Cost Explorer)
            data = json.dumps({"__type": self.code, "message": message}).encode()
            content_type = "application/x-amz-json-1.1"
        elif headers.get("smithy-protocol") == "rpc-v2-cbor":  # CloudWatch
            data = _cbor_map({"__type": self.code, "message": message})
            content_type = "application/cbor"
        elif "ec2" in headers.get("authorization", ""):  # EC2's own XML
            data = (f"<Response><Errors><Error><Code>{self.code}</Code><Message>{message}</Message></Error>"
                    "</Errors><RequestID>standin</RequestID></Response>").encode()
            content_type = "text/xml"
        else:  # query protocol (RDS, STS)
            data = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{self.code}</Code><Message>{message}"
                    "</Message></Error><RequestId>standin</RequestId></ErrorResponse>").encode()
            content_type = "text/xml"
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        if content_type == "application/cbor":
            request.send_header("smithy-protocol", "rpc-v2-cbor")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def moto_env(moto: MotoServer, tmp_path: Path, monkeypatch: Any, keys: dict[str, str]) -> dict[str, str]:
    """The AWS SDK pointed at ``moto`` for one test: every AWS_ variable of this process dropped, empty config and
    credentials files in ``tmp_path``, the instance-metadata probe off, ``keys`` (credentials, a region) set;
    moto's state reset. Returns what was set."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    config, credentials = tmp_path / "aws-config", tmp_path / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": str(config),
           "AWS_SHARED_CREDENTIALS_FILE": str(credentials), **keys}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    moto.reset()
    return env
