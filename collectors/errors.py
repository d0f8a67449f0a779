"""Why a connection failed, as a stable cause code with a one-line remedy.

Modelled on the Datadog mysql check's connection errors: the driver's errno (and, for socket-level
failures, the underlying ``OSError``) maps to one of a few stable cause strings that the GUI, the CLI
and the manifest can rely on. Nothing here includes a password: every text is scrubbed of the secrets
passed in and of anything shaped like ``password=...``; the raw driver message is only used for the
fixed pieces we pick out of it.

Observed with mysql-connector-python (pure) and MariaDB 10.11:

* refused port -> ``InterfaceError`` 2003 caused by ``ConnectionRefusedError``;
* unresolvable name -> ``InterfaceError`` 2003 caused by ``socket.gaierror`` (not 2005);
* a peer that never sends the handshake -> ``ConnectionTimeoutError`` errno 3024 (a *client* errno that
  collides with the server's ``ER_QUERY_TIMEOUT``), caused by ``ReadTimeoutError``;
* certificate problems -> ``InterfaceError`` 2055 caused by ``ssl.SSLCertVerificationError``;
* MariaDB with ``require_secure_transport=ON`` and a non-TLS client -> 1045 "Access denied ... (using
  password: YES)", indistinguishable from a wrong password (MySQL says 3159). Pass ``tls_used=False``
  and the access-denied remedy also names TLS.
"""

from __future__ import annotations

import errno as errno_mod
import re
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

from collectors.redact import REDACTED, URL_PASSWORD_PART, SecretScrubber

CAUSES: tuple[str, ...] = (
    "unreachable",
    "timed_out",
    "unknown_host",
    "access_denied",
    "host_not_allowed",
    "tls_required",
    "tls_failed",
    "server_gone",
    "too_many_connections",
    "unknown_database",
    "auth_plugin",
    "unknown",
    # through an SSH bastion (collectors/tunnel.py): each stage of the tunnel fails with its own cause
    "ssh_unknown_host",  # the bastion's name does not resolve
    "ssh_unreachable",  # refused, no route, or closed by the bastion
    "ssh_timed_out",  # no answer (or no SSH greeting) within the connect timeout
    "ssh_not_ssh",  # something else listens on --ssh-port
    "ssh_negotiation",  # no SSH algorithm in common
    "ssh_host_key_unknown",  # not in any known_hosts: confirm its fingerprint first
    "ssh_host_key_changed",  # differs from the recorded key (or is @revoked): always refused
    "ssh_auth_failed",  # no key, key refused, password-only or second factor
    "ssh_key_unreadable",  # missing file, not a private key, wrong passphrase
    "ssh_key_encrypted",  # the key needs a passphrase and none was given
    "ssh_forwarding_refused",  # the bastion forbids port forwarding (AllowTcpForwarding, PermitOpen)
    "ssh_target_refused",  # the bastion could not connect to the server's host and port
    "ssh_dropped",  # the SSH connection ended during the run
)



@dataclass(frozen=True)
class ConnectionProblem:
    cause: str
    message: str
    remedy: str

    def one_line(self) -> str:
        return f"{self.message} — {self.remedy}" if self.remedy else self.message


# --- scrubbing ---------------------------------------------------------------------------------------

_SECRET_ASSIGNMENT = re.compile(
    r"""(?ix)
    \b((?:[a-z_-]*password|passwd|pwd|pass|secret|token)\s*[=:]\s*)
    ("[^"]*"|'[^']*'|[^\s,;&)'"]+)
    """
)


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with each secret, each ``password=...``-like value and URL passwords replaced.

    A common or short secret (``InnoDB``) only where a password can be written, as the archive does:
    replaced everywhere, ``ENGINE=<redacted>`` would tell the reader what it was."""
    if any(secrets):
        text = SecretScrubber(secrets)(text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + REDACTED, text)
    return URL_PASSWORD_PART.sub(lambda m: m.group(1) + REDACTED + "@", text)


# --- refusals of the connection layer ----------------------------------------------------------------
# (cause, what, remedy): collectors.connection adds "cannot connect to <target>: " in front of what.

_MODE_NAMES = {"required": "REQUIRED", "verify_ca": "VERIFY_CA", "verify_identity": "VERIFY_IDENTITY"}


def tls_not_offered(tls_mode: str, *, unix_socket: bool) -> tuple[str, str, str]:
    """--ssl-mode REQUIRED or stronger and the connection is not TLS: nothing was sent after the greeting."""
    mode = _MODE_NAMES.get(tls_mode, tls_mode.upper())
    if unix_socket:
        return ("tls_required", f"--ssl-mode={mode} asked for an encrypted connection but a Unix socket carries "
                "no TLS; nothing was sent",
                "connect by --host and --port to use TLS, or use --ssl-mode=PREFERRED (a socket never leaves "
                "this machine)")
    return ("tls_required", f"--ssl-mode={mode} asked for an encrypted connection but the server did not offer "
            "TLS; nothing was sent",
            "enable TLS on the server (ssl_cert/ssl_key) or choose --ssl-mode=PREFERRED")


def clear_text_refused(plugin: str) -> tuple[str, str, str]:
    """The server, over a connection without TLS, asked for the password itself rather than a hash of it."""
    if plugin == "caching_sha2_password":
        step = "caching_sha2_password full authentication, as when the account is not in the server's cache"
        remedy = ("enable TLS on the server (ssl_cert/ssl_key); or log in once over TLS or the server's Unix "
                  "socket (which fills its cache until the next restart or FLUSH PRIVILEGES) and run again; "
                  "or use an account with mysql_native_password")
    else:
        step = f"{plugin}, which sends it without hashing" if plugin in (
            "mysql_clear_password", "sha256_password") else f"{plugin}, which this client uses only over TLS"
        remedy = "enable TLS on the server (ssl_cert/ssl_key), or use an account with mysql_native_password"
    return ("tls_required", f"the connection is not encrypted and the server asked for the password in clear text "
            f"({step}); the password was not sent", remedy)


def no_ca_file(tls_mode: str) -> tuple[str, str, str]:
    mode = _MODE_NAMES.get(tls_mode, tls_mode.upper())
    return ("tls_failed", f"--ssl-mode={mode} checks the server's certificate against --ssl-ca, and none was given",
            "give --ssl-ca the CA file that signed the server's certificate (for a public CA, the system's "
            "bundle, e.g. /etc/ssl/certs/ca-certificates.crt), or use --ssl-mode=REQUIRED to encrypt without "
            "checking")


def ca_file_unreadable(path: str, exc: OSError) -> tuple[str, str, str]:
    reason = "not a PEM certificate file" if isinstance(exc, ssl.SSLError) or not exc.strerror else exc.strerror
    return ("tls_failed", f"the --ssl-ca file {path} cannot be used ({reason})",
            "give --ssl-ca the PEM file of the CA that signed the server's certificate")


def client_cert_unusable(path: str, exc: OSError) -> tuple[str, str, str]:
    reason = ("not a PEM certificate and key that match" if isinstance(exc, ssl.SSLError) or not exc.strerror
              else exc.strerror)
    return ("tls_failed", f"the client certificate {path} cannot be used ({reason})",
            "give --ssl-cert and --ssl-key as PEM files that belong together")


# --- classification ----------------------------------------------------------------------------------

_REFUSED = {errno_mod.ECONNREFUSED, errno_mod.ECONNRESET, errno_mod.ECONNABORTED}
_NO_ROUTE = {errno_mod.EHOSTUNREACH, errno_mod.ENETUNREACH, errno_mod.EHOSTDOWN, errno_mod.ENETDOWN}
_REFUSED_NAMES = ("connection refused", "no route to host", "network is unreachable", "host is down")
_DNS_NAMES = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo failed",
    "unknown mysql server host",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "name resolution",
)
_TLS_FAIL_NAMES = (
    "certificate verify failed",
    "certificate_verify_failed",
    "hostname mismatch",
    "address mismatch",
    "certificate is not valid for",
    "unable to get local issuer",
    "certificate has expired",
    "wrong version number",
    "sslv3 alert",
    "tlsv1 alert",
    "unsupported protocol",
    "handshake failure",
)
_TLS_ABSENT_NAMES = (
    "doesn't support",
    "does not support",
    "not support ssl",
    "ssl is required",
    "ssl is not enabled",
)

# Client-side timeout classes in mysql.connector, matched by name so that this module imports no driver.
_TIMEOUT_CLASS_NAMES = {"ConnectionTimeoutError", "ReadTimeoutError", "WriteTimeoutError"}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 10:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _errno_of(exc: BaseException) -> int | None:
    value = getattr(exc, "errno", None)
    return value if isinstance(value, int) else None


def _text_of(exc: BaseException) -> str:
    msg = getattr(exc, "msg", None)
    if isinstance(msg, str) and msg:
        return msg
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _tls_reason(texts: str) -> str:
    """A short, fixed-vocabulary reason picked out of an OpenSSL message (never the raw message)."""
    m = re.search(r"certificate verify failed:\s*([a-zA-Z0-9 ,'.-]{3,120}?)\s*(?:\(_ssl|$|\))", texts)
    if m:
        return m.group(1).strip().rstrip(".")
    m = re.search(r"(?:hostname|ip address) mismatch[^\n(]{0,120}", texts, re.IGNORECASE)
    if m:
        return m.group(0).strip()
    return ""


def classify_connection_error(
    exc: BaseException,
    *,
    target: str,
    user: str,
    secrets: Sequence[str] = (),
    tls_used: bool | None = None,
    database: str | None = None,
) -> ConnectionProblem:
    """Map a connect-time exception to a stable :class:`ConnectionProblem`.

    ``target`` is what the user asked for ("host:port" or a socket path); ``user`` the account name.
    ``secrets`` (the password, at least) are scrubbed from every text. ``tls_used=False`` says the
    attempt was made without TLS, which makes the access-denied remedy mention require_secure_transport.
    """
    chain = _chain(exc)
    codes = [c for c in (_errno_of(e) for e in chain) if c is not None]
    texts = "\n".join(_text_of(e) for e in chain)
    lowered = texts.lower()
    names = {type(e).__name__ for e in chain}
    code = codes[0] if codes else None

    def problem(cause: str, what: str, remedy: str) -> ConnectionProblem:
        message = f"cannot connect to {target}: {what}"
        return ConnectionProblem(cause, scrub(message, secrets), scrub(remedy, secrets))

    who = f"user '{user}'"

    # Name resolution first: the driver wraps it in 2003 like a refused port.
    if any(isinstance(e, socket.gaierror) for e in chain) or code == 2005 or any(n in lowered for n in _DNS_NAMES):
        return problem(
            "unknown_host",
            "the host name does not resolve",
            "check the host name (and DNS), or connect by IP address",
        )

    # TLS before "lost connection": a failed certificate check surfaces as 2055/2013 too.
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or any(n in lowered for n in _TLS_FAIL_NAMES):
        reason = _tls_reason(texts)
        return problem(
            "tls_failed",
            "the TLS handshake failed" + (f" ({reason})" if reason else ""),
            "check --ssl-ca matches the server's certificate authority and that the host name is one the "
            "certificate names, or use --ssl-mode=REQUIRED to encrypt without verifying",
        )

    if 3159 in codes or 2061 in codes or "insecure transport" in lowered or "requires secure connection" in lowered:
        return problem(
            "tls_required",
            "the server accepts only TLS connections",
            "connect with TLS: drop --ssl-mode=DISABLED (or use --ssl-mode=REQUIRED)",
        )
    if 2026 in codes or any(isinstance(e, ssl.SSLError) for e in chain):
        if any(n in lowered for n in _TLS_ABSENT_NAMES):
            return problem(
                "tls_required",
                "TLS was required but the server does not offer it",
                "enable TLS on the server, or connect with --ssl-mode=PREFERRED (or DISABLED)",
            )
        return problem(
            "tls_failed",
            "the TLS handshake failed",
            "check the --ssl-ca/--ssl-cert/--ssl-key files and the server's TLS settings",
        )

    if (
        names & _TIMEOUT_CLASS_NAMES
        or any(isinstance(e, TimeoutError) for e in chain)
        or errno_mod.ETIMEDOUT in codes
        or "timed out" in lowered
    ):
        return problem(
            "timed_out",
            "no answer within the connect timeout",
            "check that the host and port are right and that no firewall drops the traffic; "
            "raise --connect-timeout if the network is slow",
        )

    if code in (1045, 1698):
        remedy = "check the user name and password, and that the account may connect from this host"
        if tls_used is False:
            remedy += (
                "; if the server sets require_secure_transport (MariaDB reports that as access denied too),"
                " connect with TLS"
            )
        return problem("access_denied", f"access denied for {who}", remedy)
    if code in (1130, 1129):
        if code == 1129:
            return problem(
                "host_not_allowed",
                "this host is blocked after too many connection errors",
                "ask the DBA to run FLUSH HOSTS (or raise max_connect_errors) on the server",
            )
        return problem(
            "host_not_allowed",
            f"the server does not let {who} connect from this host",
            "ask the DBA for an account whose host part matches this machine (e.g. 'user'@'%')",
        )
    if code in (1040, 1203, 1226):
        return problem(
            "too_many_connections",
            "the server has no free connections" if code == 1040 else f"{who} has reached its connection limit",
            "retry when the load is lower, or ask the DBA to raise max_connections / max_user_connections",
        )
    if code in (1049, 1044):
        db = f" '{database}'" if database else ""
        return problem(
            "unknown_database",
            f"database{db} does not exist or {who} may not use it",
            "check the --database name, or leave it out (the checks do not need one)",
        )
    if (
        code in (2059, 1251, 2058)
        or "authentication plugin" in lowered
        or "auth_plugin" in lowered
        or "authentication protocol" in lowered
    ):
        return problem(
            "auth_plugin",
            f"the authentication plugin of {who} is not supported by this client",
            "use an account with mysql_native_password or caching_sha2_password (MySQL) / ed25519 "
            "(MariaDB), or upgrade ps-prechecks",
        )
    if code in (2006, 2013, 2055):
        return problem(
            "server_gone",
            "the server closed the connection",
            "check that this is a MySQL/MariaDB port and the server is healthy (see its error log); "
            "a proxy or firewall may be cutting the connection",
        )
    if (
        code in (2002, 2003)
        or _REFUSED & set(codes)
        or _NO_ROUTE & set(codes)
        or any(isinstance(e, ConnectionRefusedError) for e in chain)
        or any(n in lowered for n in _REFUSED_NAMES)
    ):
        return problem(
            "unreachable",
            "nothing is listening there"
            if (errno_mod.ECONNREFUSED in codes or "refused" in lowered)
            else "the server cannot be reached",
            "check the host, port (or socket) and that the server is running and reachable from here",
        )

    label = type(exc).__name__ + (f" (errno {code})" if code is not None else "")
    return problem("unknown", label, "see the log for details")
