"""Faults before the first collector: nothing to reach, a wrong password, a server that wants TLS.

Each ends with exit 1 and one line of cause — remedy (or, where TLS is right, a complete archive);
never a partial archive or a temp file, never a planted secret in any output.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.faults.conftest import PlantedFactory
from tests.faults.helpers import FAST, Box, Planted, archive_of, assert_no_secrets, one_error_line, token
from tests.helpers import read_archive
from tests.servers import make_tls_files


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("where", ["non-routable", "closed-port"])
def test_unreachable_host_answers_within_10_s(box: Box, where: str) -> None:
    # 10.255.255.1 is never answered (dropped, or accepted by a sandbox's network and left silent);
    # a closed loopback port refuses at once
    host, port = ("10.255.255.1", 3306) if where == "non-routable" else ("127.0.0.1", _closed_port())
    password = token("UnreachablePw")
    started = time.monotonic()
    result = box.run([f"--host={host}", f"--port={port}", "--user=root", "--connect-timeout=3", "-o", str(box.out),
                      "--answers", str(box.answers)], password=password, timeout=60)
    took = time.monotonic() - started
    line = one_error_line(result)
    assert took < 10, f"took {took:.1f} s to give up"
    assert line.startswith(f"ps-prechecks: cannot connect to {host}:{port}: "), line
    assert "check" in line.split(" — ", 1)[1]
    box.assert_clean()
    assert_no_secrets([box.root], [password], {"stdout": result.stdout, "stderr": result.stderr})


def test_wrong_password_is_never_echoed(shared: Planted, box: Box) -> None:
    wrong = token("WrongPw")
    result = box.run([*shared.args(via_option_file=False), *FAST, "-o", str(box.out), "--answers", str(box.answers)],
                     password=wrong)
    line = one_error_line(result)
    assert f"access denied for user '{shared.user}'" in line and "check the user name and password" in line
    box.assert_clean()
    assert_no_secrets([box.root], [wrong, *shared.secrets], {"stdout": result.stdout, "stderr": result.stderr})


def test_tls_required_server_with_and_without_tls(planted_server: PlantedFactory, box: Box) -> None:
    planted = planted_server(require_secure_transport=True)
    server = planted.server
    assert server.tls is not None
    base = [*planted.args(), "-o", str(box.out), "--answers", str(box.answers)]
    outputs: dict[str, str] = {}

    # without TLS: MariaDB answers "access denied"; the remedy names require_secure_transport and TLS
    result = box.run([*base, "--ssl-mode=DISABLED"])
    line = one_error_line(result)
    assert "access denied" in line and "require_secure_transport" in line and "TLS" in line, line
    box.assert_clean()
    outputs["disabled"] = result.stdout + result.stderr

    # with a CA that did not sign the server's certificate: the handshake fails, said in one line
    other = make_tls_files(box.inputs / "other-ca")
    result = box.run([*base, "--ssl-mode=VERIFY_CA", f"--ssl-ca={other.ca}"])
    line = one_error_line(result)
    assert "TLS handshake failed" in line and "--ssl-ca" in line, line
    box.assert_clean()
    outputs["wrong-ca"] = result.stdout + result.stderr

    # with TLS: encrypted without verification (the default), then verified against the test CA
    verified = ["--ssl-mode=VERIFY_IDENTITY", f"--ssl-ca={server.tls.ca}"]
    for mode, extra in (("preferred", []), ("verify_identity", verified)):
        result = box.run([*base, *FAST, *extra])
        archive = archive_of(result, box)
        files = read_archive(archive)
        facts = json.loads(files["facts.json"])
        assert facts["source"]["tls_mode"] == mode
        assert facts["security"]["this_session_tls"], facts["security"]  # the session really was encrypted
        assert facts["security"]["require_secure_transport"] == "ON"
        box.assert_clean(archive)
        outputs[mode] = result.stdout + result.stderr
        assert_no_secrets([box.root], planted.secrets, outputs)
        archive.unlink()
    assert_no_secrets([box.root], planted.secrets, outputs)
