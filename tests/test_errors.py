from __future__ import annotations

import json
import socket
import ssl
import string
import threading
import time
from collections.abc import Iterator
from typing import Any

import mysql.connector
import mysql.connector.errors as myerr
import pytest

from collectors.errors import (
    CAUSES,
    TEXTS,
    Cause,
    ConnectionProblem,
    build_problem,
    classify_connection_error,
    detail,
    scrub,
)
from tests.servers import make_tls_files

PASSWORD = "Hunter2-s3cret!"


def classify(exc: BaseException, **kw: Any) -> ConnectionProblem:
    kw.setdefault("target", "127.0.0.1:3306")
    kw.setdefault("user", "app")
    kw.setdefault("secrets", [PASSWORD])
    return classify_connection_error(exc, **kw)


def connect(**kw: Any) -> Any:
    options = {"user": "app", "password": PASSWORD, "connection_timeout": 3, **kw, "use_pure": True}
    return mysql.connector.connect(**options)


# --------------------------------------------------------------------------- constructed errors


def chained(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (myerr.InterfaceError(msg="Can't connect to MySQL server on 'h:1' (111)", errno=2003), "unreachable"),
        (myerr.InterfaceError(msg="Can't connect to local server through socket", errno=2002), "unreachable"),
        (ConnectionRefusedError(111, "Connection refused"), "unreachable"),
        (OSError(113, "No route to host"), "unreachable"),
        (myerr.InterfaceError(msg="Unknown MySQL server host 'x' (-2)", errno=2005), "unknown_host"),
        (
            chained(myerr.InterfaceError(msg="Can't connect (Errno -2)", errno=2003), socket.gaierror(-2, "x")),
            "unknown_host",
        ),
        (myerr.InterfaceError(msg="Can't connect to MySQL server (timed out)", errno=2003), "timed_out"),
        (myerr.ConnectionTimeoutError(msg="The Read Operation timed out", errno=3024), "timed_out"),
        (TimeoutError("timed out"), "timed_out"),
        (
            myerr.ProgrammingError(msg="Access denied for user 'app'@'h' (using password: YES)", errno=1045),
            "access_denied",
        ),
        (myerr.ProgrammingError(msg="Access denied for user 'app'@'localhost'", errno=1698), "access_denied"),
        (
            myerr.DatabaseError(msg="Host 'x' is not allowed to connect to this MariaDB server", errno=1130),
            "host_not_allowed",
        ),
        (
            myerr.DatabaseError(msg="Host 'x' is blocked because of many connection errors", errno=1129),
            "host_not_allowed",
        ),
        (
            myerr.DatabaseError(
                msg="Connections using insecure transport are prohibited while --require_secure_transport=ON.",
                errno=3159,
            ),
            "tls_required",
        ),
        (
            myerr.InterfaceError(
                msg="SSL connection error: SSL is required but the server doesn't support it", errno=2026
            ),
            "tls_required",
        ),
        (myerr.InterfaceError(msg="Authentication requires secure connection.", errno=2061), "tls_required"),
        (myerr.InterfaceError(msg="SSL connection error: unknown", errno=2026), "tls_failed"),
        (
            chained(
                myerr.InterfaceError(
                    msg="Lost connection to MySQL server, system error: certificate verify "
                    "failed: self-signed certificate in certificate chain (_ssl.c:1006)",
                    errno=2055,
                ),
                ssl.SSLCertVerificationError(1, "certificate verify failed"),
            ),
            "tls_failed",
        ),
        (
            ssl.SSLCertVerificationError(
                1,
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                "IP address mismatch, certificate is not valid for '10.0.0.1'.",
            ),
            "tls_failed",
        ),
        (myerr.OperationalError(msg="MySQL server has gone away", errno=2006), "server_gone"),
        (myerr.OperationalError(msg="Lost connection to MySQL server during query", errno=2013), "server_gone"),
        (
            myerr.OperationalError(msg="Lost connection to MySQL server at 'h', system error: 104", errno=2055),
            "server_gone",
        ),
        (myerr.DatabaseError(msg="Too many connections", errno=1040), "too_many_connections"),
        (
            myerr.DatabaseError(msg="User 'app' has exceeded the 'max_user_connections'", errno=1203),
            "too_many_connections",
        ),
        (myerr.ProgrammingError(msg="Unknown database 'shop'", errno=1049), "unknown_database"),
        (
            myerr.ProgrammingError(msg="Access denied for user 'app'@'%' to database 'shop'", errno=1044),
            "unknown_database",
        ),
        (myerr.InterfaceError(msg="Authentication plugin 'dialog' cannot be loaded", errno=2059), "auth_plugin"),
        (myerr.NotSupportedError(msg="Authentication plugin 'bogus' is not supported"), "auth_plugin"),
        (myerr.DatabaseError(msg="Something else entirely", errno=1234), "unknown"),
        (RuntimeError("boom"), "unknown"),
    ],
)
def test_errno_cases(exc, cause):
    problem = classify(exc)
    assert problem.cause == cause
    assert problem.cause in CAUSES
    line = problem.one_line()
    assert line.startswith("cannot connect to 127.0.0.1:3306: ")
    assert " — " in line
    assert "\n" not in line


def test_one_line_example():
    exc = myerr.ProgrammingError(msg="Access denied for user 'app'@'10.1.2.3' (using password: YES)", errno=1045)
    assert classify(exc).one_line() == (
        "cannot connect to 127.0.0.1:3306: access denied for user 'app' — check the user name and password, "
        "and that the account may connect from this host"
    )


def test_unknown_message_is_class_and_errno_only():
    exc = myerr.DatabaseError(msg=f"weird failure with {PASSWORD} and password=abc123", errno=1234)
    problem = classify(exc)
    assert problem.cause == "unknown"
    assert problem.message == "cannot connect to 127.0.0.1:3306: DatabaseError (errno 1234)"


def test_secrets_are_scrubbed_everywhere():
    exc = myerr.ProgrammingError(msg="Access denied", errno=1045)
    problem = classify_connection_error(
        exc, target=f"mysql://root:{PASSWORD}@db:3306", user=f"u pwd={PASSWORD}x", secrets=[PASSWORD]
    )
    text = problem.one_line() + problem.remedy + problem.message
    assert PASSWORD not in text
    assert "<redacted>" in text
    tls = classify(
        chained(
            myerr.InterfaceError(msg=f"certificate verify failed: bad {PASSWORD} (_ssl.c:1)", errno=2055),
            ssl.SSLCertVerificationError(1, "x"),
        )
    )
    assert tls.cause == "tls_failed"
    assert PASSWORD not in tls.one_line()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=abc def", "password=<redacted> def"),
        ("PWD: 'a b' tail", "PWD: <redacted> tail"),
        ("ssl-key-password = xyz", "ssl-key-password = <redacted>"),
        ("mysql://u:pw@host/db", "mysql://u:<redacted>@host/db"),
        ("nothing here", "nothing here"),
    ],
)
def test_scrub(text, expected):
    assert scrub(text) == expected


def test_access_denied_without_tls_mentions_tls():
    exc = myerr.ProgrammingError(msg="Access denied", errno=1045)
    assert "TLS" not in classify(exc).remedy
    assert "require_secure_transport" in classify(exc, tls_used=False).remedy


# --------------------------------------------------------------------------- real failures (loopback only)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_real_refused_port():
    port = free_port()
    with pytest.raises(mysql.connector.Error) as info:
        connect(host="127.0.0.1", port=port)
    problem = classify_connection_error(info.value, target=f"127.0.0.1:{port}", user="app", secrets=[PASSWORD])
    assert problem.cause == "unreachable"
    assert PASSWORD not in problem.one_line()


def test_real_unresolvable_host():
    with pytest.raises(mysql.connector.Error) as info:
        connect(host="no-such-host.invalid", port=3306)
    assert classify(info.value).cause == "unknown_host"


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A loopback port that completes the TCP handshake (kernel backlog) but never sends anything."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(0)
        yield int(s.getsockname()[1])


def test_real_silent_server_times_out(silent_listener):
    start = time.monotonic()
    with pytest.raises(mysql.connector.Error) as info:
        connect(host="127.0.0.1", port=silent_listener)
    elapsed = time.monotonic() - start
    assert elapsed < 10
    assert classify(info.value).cause == "timed_out"


@pytest.fixture
def closing_server() -> Iterator[int]:
    """Accepts and immediately closes: the client sees the connection lost before the handshake."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(5)
        s.settimeout(10)
        port = int(s.getsockname()[1])

        def serve() -> None:
            try:
                conn, _ = s.accept()
                conn.close()
            except OSError:
                pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield port
        thread.join(timeout=11)


def test_real_server_closes(closing_server):
    with pytest.raises(mysql.connector.Error) as info:
        connect(host="127.0.0.1", port=closing_server)
    assert classify(info.value).cause == "server_gone"


def test_real_mariadb_plain(mariadb_factory, tmp_path):
    server = mariadb_factory()
    server.create_user("app", "Right-pass-123")
    wrong = "Wr0ng-" + PASSWORD
    target = f"{server.host}:{server.port}"

    with pytest.raises(mysql.connector.Error) as info:
        connect(host=server.host, port=server.port, password=wrong)
    problem = classify_connection_error(info.value, target=target, user="app", secrets=[wrong])
    assert problem.cause == "access_denied"
    assert wrong not in problem.one_line()
    assert problem.one_line().startswith(f"cannot connect to {target}: access denied for user 'app' — ")

    with pytest.raises(mysql.connector.Error) as info:
        connect(host=server.host, port=server.port, password="Right-pass-123", database="no_such_db")
    assert info.value.errno == 1044  # MariaDB: an account without grants cannot tell "missing" from "denied"
    assert classify(info.value, database="no_such_db").cause == "unknown_database"

    with pytest.raises(mysql.connector.Error) as info:
        server.connect(database="no_such_db", connection_timeout=3)
    assert info.value.errno == 1049
    assert classify(info.value).cause == "unknown_database"

    # The client demands TLS but this server has none. Note: mysql.connector (pure) falls back to plain
    # text when given only ssl_ca or ssl_disabled=False; only ssl_verify_cert=True makes it refuse (2026).
    ca = make_tls_files(tmp_path / "tls").ca
    with pytest.raises(mysql.connector.Error) as info:
        connect(host=server.host, port=server.port, password="Right-pass-123", ssl_ca=str(ca), ssl_verify_cert=True)
    assert info.value.errno == 2026
    assert classify(info.value).cause == "tls_required", (info.value.errno, info.value.msg)


def test_real_mariadb_require_secure_transport(mariadb_factory, tmp_path):
    server = mariadb_factory(require_secure_transport=True)
    password = "Tls-only-pass-9"
    server.create_user("app", password)
    target = f"{server.host}:{server.port}"

    # MariaDB answers a non-TLS login on a require_secure_transport server with 1045, exactly like a
    # wrong password (MySQL says 3159); only the caller knows TLS was off.
    with pytest.raises(mysql.connector.Error) as info:
        connect(host=server.host, port=server.port, password=password, ssl_disabled=True)
    assert info.value.errno == 1045
    problem = classify_connection_error(info.value, target=target, user="app", secrets=[password], tls_used=False)
    assert problem.cause == "access_denied"
    assert "require_secure_transport" in problem.remedy
    assert password not in problem.one_line()

    # With TLS and the right CA it works: the refusal above was about TLS.
    assert server.tls is not None
    connect(host=server.host, port=server.port, password=password, ssl_ca=str(server.tls.ca)).close()

    # With a CA that did not sign the server's certificate: tls_failed.
    other_ca = make_tls_files(tmp_path / "other").ca
    with pytest.raises(mysql.connector.Error) as info:
        connect(host=server.host, port=server.port, password=password, ssl_ca=str(other_ca), ssl_verify_cert=True)
    problem = classify_connection_error(info.value, target=target, user="app", secrets=[password])
    assert problem.cause == "tls_failed", (info.value.errno, info.value.msg)
    assert password not in problem.one_line()


def test_a_common_password_is_scrubbed_where_a_password_is_written_only():
    text = "table t ENGINE=InnoDB failed; connect(password='InnoDB', user='ps') -pInnoDB mysql://ps:InnoDB@db1/"
    scrubbed = scrub(text, ["InnoDB"])
    assert "ENGINE=InnoDB" in scrubbed  # the engine's name does not give the password away
    assert scrubbed.count("InnoDB") == 1
    assert "'InnoDB'" not in scrubbed and "-pInnoDB" not in scrubbed and ":InnoDB@" not in scrubbed
    # a distinctive one still goes wherever it is
    assert scrub("x Zq8-vR2#mK9 y Zq8-vR2#mK9", ["Zq8-vR2#mK9"]) == "x <redacted> y <redacted>"


# --------------------------------------------------------------------------- the table of texts


# What classify_connection_error, collectors.connection and collectors.tunnel pass to build_problem.
FIELDS_CALLERS_FILL = {
    "target", "user", "database", "detail", "error", "mode", "plugin", "path", "reason",  # the server
    "where", "key_file", "passphrase_env", "seconds", "allowed", "methods", "offered",  # the SSH bastion
    "shown", "line", "name", "old_type", "accept_flag",  # its host key
}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_cause_has_its_texts_and_every_text_fills():
    assert set(TEXTS) == set(Cause)  # no cause without a text, no text for a cause that is not one
    assert set(CAUSES) == {  # the strings the GUI, the manifest and the tests match on stay as they were
        "unreachable", "timed_out", "unknown_host", "access_denied", "host_not_allowed", "tls_required",
        "tls_failed", "server_gone", "too_many_connections", "unknown_database", "auth_plugin", "unknown",
        "ssh_unknown_host", "ssh_unreachable", "ssh_timed_out", "ssh_not_ssh", "ssh_negotiation",
        "ssh_host_key_unknown", "ssh_host_key_changed", "ssh_auth_failed", "ssh_key_unreadable",
        "ssh_key_encrypted", "ssh_forwarding_refused", "ssh_target_refused", "ssh_dropped",
    }
    for cause, variants in TEXTS.items():
        assert variants, cause
        for variant, text in variants.items():
            where = f"{cause}/{variant}"
            assert text.headline.strip() and text.remedy.strip(), where
            for part in (text.headline, text.remedy, text.link):
                assert "\n" not in part and part == part.strip(), where
            assert not text.remedy.endswith("."), where  # a remedy follows " — " in one sentence
            names = _fields(text.headline) | _fields(text.remedy)
            assert names <= FIELDS_CALLERS_FILL, (where, names - FIELDS_CALLERS_FILL)  # a misspelt field never fills
            for detail_text in ("", detail("because")):
                fields = {n: detail_text if n == "detail" else f"<{n}>" for n in names}
                problem = build_problem(cause, variant, **fields)
                assert problem.cause is cause and problem.link == text.link
                line = problem.one_line()
                assert "{" not in line and "}" not in line, where
                assert "\n" not in line and " — " in line, where
                assert all(f"<{n}>" in line for n in names - {"detail"}), where
            if names:  # a field left out is an error, not a text with a hole in it
                with pytest.raises(KeyError):
                    build_problem(cause, variant)


def test_a_cause_is_its_old_string():
    problem = classify(myerr.ProgrammingError(msg="Access denied", errno=1045))
    assert problem.cause is Cause.ACCESS_DENIED
    cause: str = problem.cause
    assert cause == "access_denied" and f"{cause}" == "access_denied"
    assert json.dumps({"cause": problem.cause}) == '{"cause": "access_denied"}'
    assert problem.link == "README.md#privileges"
