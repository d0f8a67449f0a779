"""The password never travels in clear text, and VERIFY_CA trusts --ssl-ca alone (issue 13, findings 1 and 4).

A fake server of a few lines of socket + struct on 127.0.0.1 offers no TLS and asks for the password in
clear text; it records every byte the client sends. Then a real MariaDB whose certificate is signed by
another CA than --ssl-ca, with the system's CA paths pointed at the CA that did sign it.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import mysql.connector
import pytest

from collectors.connection import TLS_MODES, ConnectionFailed, ConnectionSpec, open_session
from prechecks.cli import build_parser, build_spec
from tests.helpers import run_cli, spec_for
from tests.servers import MariaDBFactory, MariaDBServer, TLSFiles, make_tls_files

PASSWORD = "Canary-Clear-Text-7713"
NONCE = b"abcdefghijklmnopqrst"  # 20 bytes, as a real server's
# CLIENT_LONG_PASSWORD | PROTOCOL_41 | TRANSACTIONS | SECURE_CONNECTION | PLUGIN_AUTH; no CLIENT_SSL (0x0800)
CAPABILITIES = 0x1 | 0x200 | 0x2000 | 0x8000 | 0x80000


def _packet(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def _greeting(plugin: str) -> bytes:
    return (b"\x0a" + b"8.0.40-fake\x00" + struct.pack("<I", 7) + NONCE[:8] + b"\x00"
            + struct.pack("<H", CAPABILITIES & 0xFFFF) + b"\x2d" + struct.pack("<H", 2)
            + struct.pack("<H", CAPABILITIES >> 16) + bytes([21]) + b"\x00" * 10
            + NONCE[8:] + b"\x00" + plugin.encode() + b"\x00")


OK = b"\x00\x00\x00\x02\x00\x00\x00"
ACCESS_DENIED = b"\xff\x15\x04#28000Access denied"


class FakeServer:
    """One connection: a greeting without TLS, then `answer` (one packet or several) to the login and `after`
    to every later packet; every byte received is kept."""

    def __init__(self, plugin: str, answer: bytes | list[bytes], after: bytes = ACCESS_DENIED) -> None:
        self.plugin, self.after = plugin, after
        self.answer = answer if isinstance(answer, list) else [answer]
        self.received = bytearray()
        self.connected = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(60)  # a hang guard only: a client that never comes ends the thread
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:  # closed (or no client within the listener's limit): a test that expected one fails in close()
            return
        self.connected = True
        with conn:
            conn.sendall(_packet(0, _greeting(self.plugin)))
            answered = 0
            while chunk := conn.recv(65536):
                self.received += chunk
                if chunk.endswith(b"\x01\x00\x00\x00\x01"):  # COM_QUIT: the client closes
                    break
                if answered == 0:  # the login
                    conn.sendall(b"".join(_packet(2 + i, payload) for i, payload in enumerate(self.answer)))
                else:  # anything after it (by default refused: a client that sent the password is not left waiting)
                    conn.sendall(_packet(1, self.after))
                answered += 1

    def close(self) -> None:
        self.thread.join(90)
        self.listener.close()
        assert not self.thread.is_alive() and self.connected


FULL_AUTH = b"\x01\x04"  # caching_sha2_password: auth-more-data, "perform full authentication"
SWITCH_TO_CLEAR = b"\xfemysql_clear_password\x00"  # auth switch request


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def _try(server: FakeServer, mode: str, tls: TLSFiles) -> ConnectionFailed:
    spec = ConnectionSpec(host="127.0.0.1", port=server.port, user="app", password=PASSWORD, tls_mode=mode,
                          ssl_ca=str(tls.ca), connect_timeout=10)
    try:
        with pytest.raises(ConnectionFailed) as info:
            open_session(spec).close()
    finally:
        server.close()
    return info.value


@pytest.mark.parametrize("mode", TLS_MODES)
@pytest.mark.parametrize(("plugin", "answer"), [("caching_sha2_password", FULL_AUTH),
                                                ("mysql_native_password", SWITCH_TO_CLEAR)],
                         ids=["caching_sha2-full-auth", "switch-to-clear-password"])
def test_the_password_never_arrives_in_clear_text(mode: str, plugin: str, answer: bytes, tls: TLSFiles) -> None:
    server = FakeServer(plugin, answer)
    failed = _try(server, mode, tls)
    assert PASSWORD.encode() not in server.received
    line = failed.problem.one_line()
    assert PASSWORD not in line
    assert line.startswith(f"cannot connect to 127.0.0.1:{server.port}: ") and " — " in line and "\n" not in line
    assert failed.problem.cause == "tls_required", line
    if mode in ("required", "verify_ca", "verify_identity"):
        # nothing at all after the greeting: no login packet, not even the user name
        assert bytes(server.received) == b"", bytes(server.received)
        assert "did not offer TLS; nothing was sent" in line and f"--ssl-mode={mode.upper()}" in line
    else:
        # the login went out (a hash of the password) and the client stopped at the clear-text request
        assert b"app\x00" in server.received
        assert "asked for the password in clear text" in line and "the password was not sent" in line
        assert "enable TLS on the server" in line


@pytest.mark.parametrize("mode", ["disabled", "preferred"])
@pytest.mark.parametrize(("plugin", "answer"), [("caching_sha2_password", [b"\x01\x03", OK]),
                                                ("mysql_native_password", [OK])],
                         ids=["caching_sha2-fast-auth", "native"])
def test_a_hashed_login_still_connects_without_tls(mode: str, plugin: str, answer: list[bytes]) -> None:
    # a server without TLS that asks only for a hash of the password (with its nonce): allowed, as before
    server = FakeServer(plugin, answer, after=OK)
    spec = ConnectionSpec(host="127.0.0.1", port=server.port, user="app", password=PASSWORD, tls_mode=mode)
    try:
        with open_session(spec) as session:
            assert session.is_alive()
    finally:
        server.close()
    assert PASSWORD.encode() not in server.received
    login_hash_size = 32 if plugin == "caching_sha2_password" else 20
    assert b"app\x00" + bytes([login_hash_size]) in server.received


def test_required_over_a_unix_socket_sends_nothing(mariadb: MariaDBServer) -> None:
    # the connector does no TLS on a Unix socket: REQUIRED stops before the login instead of logging in
    # and then asking the server whether the session is encrypted
    spec = ConnectionSpec(socket=mariadb.socket, user="root", password=mariadb.root_password, tls_mode="required")
    with pytest.raises(ConnectionFailed) as info:
        open_session(spec).close()
    line = info.value.problem.one_line()
    assert info.value.problem.cause == "tls_required" and "a Unix socket carries no TLS; nothing was sent" in line
    assert "--host and --port" in line and mariadb.root_password not in line
    # PREFERRED over the same socket logs in (a local socket never leaves the machine)
    with open_session(replace(spec, tls_mode="preferred")) as session:
        assert session.scalar("SELECT 1") == 1


def test_a_verifying_mode_without_a_usable_ca_file_stops_before_connecting(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0)
    (tmp_path / "not-a-ca.pem").write_text("hello\n")
    with listener:
        port = int(listener.getsockname()[1])
        for mode in ("verify_ca", "verify_identity"):
            with pytest.raises(ConnectionFailed) as info:
                open_session(ConnectionSpec(host="127.0.0.1", port=port, user="app", password=PASSWORD,
                                            tls_mode=mode))
            assert info.value.problem.cause == "tls_failed"
            assert "--ssl-ca" in info.value.problem.message and "--ssl-mode=REQUIRED" in info.value.problem.remedy
        for ca, reason in ((tmp_path / "missing.pem", "No such file or directory"),
                           (tmp_path / "not-a-ca.pem", "not a PEM certificate file")):
            with pytest.raises(ConnectionFailed) as info:
                open_session(ConnectionSpec(host="127.0.0.1", port=port, user="app", password=PASSWORD,
                                            tls_mode="verify_ca", ssl_ca=str(ca)))
            assert info.value.problem.one_line() == (
                f"cannot connect to 127.0.0.1:{port}: the --ssl-ca file {ca} cannot be used ({reason}) — give "
                "--ssl-ca the PEM file of the CA that signed the server's certificate")
        with pytest.raises(BlockingIOError):  # nobody ever connected
            listener.accept()


@pytest.fixture
def system_store_trusts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[object]:
    """Point OpenSSL's default CA paths (what load_default_certs reads) at a given CA."""

    def trust(ca: Path) -> None:
        directory = tmp_path / "certs"
        directory.mkdir()
        (directory / "ca.pem").write_bytes(ca.read_bytes())
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        monkeypatch.setenv("SSL_CERT_DIR", str(directory))

    yield trust


def test_verify_ca_trusts_the_given_ca_only(mariadb_factory: MariaDBFactory, tmp_path: Path,
                                            system_store_trusts: object) -> None:
    server = mariadb_factory(tls=True)  # its certificate is signed by its own ("public") CA
    assert server.tls is not None
    public_ca = server.tls.ca
    private = make_tls_files(tmp_path / "private")
    system_store_trusts(public_ca)  # type: ignore[operator]

    # control: a context that also loads the system's store (the connector's own) accepts the server
    # with the private CA given, because the "system" trusts the public CA: the trap below is armed
    control = mysql.connector.connect(host=server.host, port=server.port, user="root", password=server.root_password,
                                      use_pure=True, ssl_ca=str(private.ca), ssl_verify_cert=True)
    control.close()

    for mode in ("verify_ca", "verify_identity"):
        with pytest.raises(ConnectionFailed) as info:
            open_session(spec_for(server, tls_mode=mode, ssl_ca=str(private.ca))).close()
        assert info.value.problem.cause == "tls_failed", info.value.problem.one_line()
        assert "TLS handshake failed" in info.value.problem.message

    # and with the CA that signed the certificate, both verifying modes connect, encrypted
    for mode in ("verify_ca", "verify_identity"):
        with open_session(spec_for(server, tls_mode=mode, ssl_ca=str(public_ca))) as session:
            assert session.query("SHOW SESSION STATUS LIKE 'Ssl_version'").pairs()["Ssl_version"].startswith("TLS")


def test_the_cli_says_why_and_what_to_do(tmp_path: Path) -> None:
    server = FakeServer("caching_sha2_password", FULL_AUTH)
    (tmp_path / "empty.cnf").write_text("")
    try:
        result = run_cli(["--host=127.0.0.1", f"--port={server.port}", "--user=app", "-q", "-o", str(tmp_path),
                          f"--defaults-file={tmp_path / 'empty.cnf'}"], password=PASSWORD)
    finally:
        server.close()
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"ps-prechecks: cannot connect to 127.0.0.1:{server.port}: the connection is not encrypted and the server "
        "asked for the password in clear text (caching_sha2_password full authentication, as when the account is "
        "not in the server's cache); the password was not sent — enable TLS on the server (ssl_cert/ssl_key); or "
        "log in once over TLS or the server's Unix socket (which fills its cache until the next restart or FLUSH "
        "PRIVILEGES) and run again; or use an account with mysql_native_password"]
    assert PASSWORD.encode() not in server.received


def _spec_from(argv: list[str], tmp_path: Path) -> ConnectionSpec:
    (tmp_path / "empty.cnf").write_text("")
    args = build_parser().parse_args(["--host=db1", f"--defaults-file={tmp_path / 'empty.cnf'}", *argv])
    return build_spec(args)


def test_ssl_ca_alone_means_verify_ca_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec_from(["--ssl-ca=/etc/ca.pem"], tmp_path)
    assert (spec.tls_mode, spec.ssl_ca) == ("verify_ca", "/etc/ca.pem")
    assert capsys.readouterr().err == ("ps-prechecks: --ssl-ca /etc/ca.pem without --ssl-mode: the server's "
                                       "certificate is checked against it (VERIFY_CA)\n")
    assert _spec_from(["--ssl-ca=/etc/ca.pem", "-q"], tmp_path).tls_mode == "verify_ca"
    assert capsys.readouterr().err == ""
    # with a mode that does not check the certificate, the CA file would be ignored: say it
    assert _spec_from(["--ssl-ca=/etc/ca.pem", "--ssl-mode=REQUIRED", "-q"], tmp_path).tls_mode == "required"
    assert capsys.readouterr().err == ("ps-prechecks: warning: --ssl-ca is not used with --ssl-mode=REQUIRED, which "
                                       "encrypts without checking the certificate; use --ssl-mode=VERIFY_CA to "
                                       "check it\n")
    assert _spec_from(["--ssl-ca=/etc/ca.pem", "--ssl-mode=VERIFY_IDENTITY"], tmp_path).tls_mode == "verify_identity"
    assert capsys.readouterr().err == ""
