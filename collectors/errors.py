"""Why a connection failed, as a stable cause code with a one-line remedy.

Modelled on the Datadog mysql check's connection errors: the driver's errno (and, for socket-level
failures, the underlying ``OSError``) maps to one of a few stable cause strings that the GUI, the CLI
and the manifest can rely on: the :class:`Cause` enum. What a DBA reads about each one, its headline,
its remedy and where the documentation explains more, is data in one table, :data:`TEXTS` (the model:
Datadog's ``DIAGNOSTIC_METADATA``); the code only picks a cause and fills the fields. Nothing here
includes a password: every text is scrubbed of the secrets passed in and of anything shaped like
``password=...``; the raw driver message is only used for the fixed pieces we pick out of it.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from collectors.redact import REDACTED, URL_PASSWORD_PART, SecretScrubber


class Cause(StrEnum):
    """Why a connection failed. The values are stable: the GUI, the CLI, the manifest and tests match on them."""

    UNREACHABLE = "unreachable"
    TIMED_OUT = "timed_out"
    UNKNOWN_HOST = "unknown_host"
    ACCESS_DENIED = "access_denied"
    HOST_NOT_ALLOWED = "host_not_allowed"
    TLS_REQUIRED = "tls_required"
    TLS_FAILED = "tls_failed"
    SERVER_GONE = "server_gone"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    UNKNOWN_DATABASE = "unknown_database"
    AUTH_PLUGIN = "auth_plugin"
    UNKNOWN = "unknown"
    # through an SSH bastion (collectors/tunnel.py): each stage of the tunnel fails with its own cause
    SSH_UNKNOWN_HOST = "ssh_unknown_host"  # the bastion's name does not resolve
    SSH_UNREACHABLE = "ssh_unreachable"  # refused, no route, or closed by the bastion
    SSH_TIMED_OUT = "ssh_timed_out"  # no answer (or no SSH greeting) within the connect timeout
    SSH_NOT_SSH = "ssh_not_ssh"  # something else listens on --ssh-port
    SSH_NEGOTIATION = "ssh_negotiation"  # no SSH algorithm in common
    SSH_HOST_KEY_UNKNOWN = "ssh_host_key_unknown"  # not in any known_hosts: confirm its fingerprint first
    SSH_HOST_KEY_CHANGED = "ssh_host_key_changed"  # differs from the recorded key (or is @revoked): always refused
    SSH_AUTH_FAILED = "ssh_auth_failed"  # no key, key refused, password-only or second factor
    SSH_KEY_UNREADABLE = "ssh_key_unreadable"  # missing file, not a private key, wrong passphrase
    SSH_KEY_ENCRYPTED = "ssh_key_encrypted"  # the key needs a passphrase and none was given
    SSH_FORWARDING_REFUSED = "ssh_forwarding_refused"  # the bastion forbids port forwarding (AllowTcpForwarding)
    SSH_TARGET_REFUSED = "ssh_target_refused"  # the bastion could not connect to the server's host and port
    SSH_DROPPED = "ssh_dropped"  # the SSH connection ended during the run


CAUSES: tuple[str, ...] = tuple(cause.value for cause in Cause)


class Text(NamedTuple):
    """What a DBA reads about one problem: ``str.format`` templates of the headline (the whole message) and
    of the one-line remedy, and the section of the documentation that explains more ("" when none does)."""

    headline: str
    remedy: str
    link: str = ""


# The headline's opening says which stage failed.
_SERVER = "cannot connect to {target}: "
_BASTION = "cannot reach the SSH bastion {where}: "
_THROUGH = "cannot connect through the SSH bastion {where}: "
_KEY = "cannot use the SSH key {key_file}: "
_FORWARD = "cannot connect to {target} through the SSH bastion {where}: "

_TLS_DOCS = "README.md#using-it"  # its TLS paragraph
_ACCOUNT_DOCS = "README.md#privileges"
_SSH_DOCS = "README.md#through-an-ssh-bastion"

_CHECK_CA = ("check --ssl-ca matches the server's certificate authority and that the host name is one the "
             "certificate names, or use --ssl-mode=REQUIRED to encrypt without verifying")
_CHECK_LOGIN = "check the user name and password, and that the account may connect from this host"
_FEWER_CONNECTIONS = "retry when the load is lower, or ask the DBA to raise max_connections / max_user_connections"
_NO_CLEAR_TEXT = ("the connection is not encrypted and the server asked for the password in clear text ({step}); "
                  "the password was not sent")
_NO_CLEAR_TEXT_REMEDY = "enable TLS on the server (ssl_cert/ssl_key), or use an account with mysql_native_password"
_GIVE_KEY_FILE = "give the private key file (OpenSSH or PEM format), not the .pub file"
_DO_IT_YOURSELF = ("or open the tunnel yourself (ssh -N -L 3307:HOST:PORT bastion) and connect to 127.0.0.1 "
                  "port 3307 without the --ssh options")

# Every problem this program reports about a connection, by cause and then by variant ("" when the cause has
# only one). A field named ``detail`` is "" or " (why)" (see :func:`detail`); the others are always filled.
TEXTS: Mapping[Cause, Mapping[str, Text]] = {
    Cause.UNREACHABLE: {
        "refused": Text(_SERVER + "nothing is listening there",
                        "check the host, port (or socket) and that the server is running and reachable from here"),
        "no_route": Text(_SERVER + "the server cannot be reached",
                         "check the host, port (or socket) and that the server is running and reachable from here"),
    },
    Cause.TIMED_OUT: {
        "": Text(_SERVER + "no answer within the connect timeout",
                 "check that the host and port are right and that no firewall drops the traffic; raise "
                 "--connect-timeout if the network is slow"),
    },
    Cause.UNKNOWN_HOST: {
        "": Text(_SERVER + "the host name does not resolve", "check the host name (and DNS), or connect by IP address"),
    },
    Cause.ACCESS_DENIED: {
        "": Text(_SERVER + "access denied for user '{user}'", _CHECK_LOGIN, _ACCOUNT_DOCS),
        # MariaDB answers a login without TLS to a require_secure_transport server as a wrong password
        "without_tls": Text(_SERVER + "access denied for user '{user}'",
                            _CHECK_LOGIN + "; if the server sets require_secure_transport (MariaDB reports that as "
                            "access denied too), connect with TLS", _ACCOUNT_DOCS),
    },
    Cause.HOST_NOT_ALLOWED: {
        "account": Text(_SERVER + "the server does not let user '{user}' connect from this host",
                        "ask the DBA for an account whose host part matches this machine (e.g. 'user'@'%')",
                        _ACCOUNT_DOCS),
        "blocked": Text(_SERVER + "this host is blocked after too many connection errors",
                        "ask the DBA to run FLUSH HOSTS (or raise max_connect_errors) on the server"),
    },
    Cause.TLS_REQUIRED: {
        "server_requires": Text(_SERVER + "the server accepts only TLS connections",
                                "connect with TLS: drop --ssl-mode=DISABLED (or use --ssl-mode=REQUIRED)", _TLS_DOCS),
        "server_lacks": Text(_SERVER + "TLS was required but the server does not offer it",
                             "enable TLS on the server, or connect with --ssl-mode=PREFERRED (or DISABLED)", _TLS_DOCS),
        # refused by this program before anything was sent (collectors.connection)
        "not_offered": Text(_SERVER + "--ssl-mode={mode} asked for an encrypted connection but the server did not "
                            "offer TLS; nothing was sent",
                            "enable TLS on the server (ssl_cert/ssl_key) or choose --ssl-mode=PREFERRED", _TLS_DOCS),
        "unix_socket": Text(_SERVER + "--ssl-mode={mode} asked for an encrypted connection but a Unix socket carries "
                            "no TLS; nothing was sent",
                            "connect by --host and --port to use TLS, or use --ssl-mode=PREFERRED (a socket never "
                            "leaves this machine)", _TLS_DOCS),
        "full_authentication": Text(
            _SERVER + _NO_CLEAR_TEXT.format(step="caching_sha2_password full authentication, as when the account is "
                                            "not in the server's cache"),
            "enable TLS on the server (ssl_cert/ssl_key); or log in once over TLS or the server's Unix socket (which "
            "fills its cache until the next restart or FLUSH PRIVILEGES) and run again; or use an account with "
            "mysql_native_password", _TLS_DOCS),
        "unhashed": Text(_SERVER + _NO_CLEAR_TEXT.format(step="{plugin}, which sends it without hashing"),
                         _NO_CLEAR_TEXT_REMEDY, _TLS_DOCS),
        "tls_only_plugin": Text(_SERVER + _NO_CLEAR_TEXT.format(step="{plugin}, which this client uses only over TLS"),
                                _NO_CLEAR_TEXT_REMEDY, _TLS_DOCS),
    },
    Cause.TLS_FAILED: {
        "certificate": Text(_SERVER + "the TLS handshake failed{detail}", _CHECK_CA, _TLS_DOCS),
        "handshake": Text(_SERVER + "the TLS handshake failed",
                          "check the --ssl-ca/--ssl-cert/--ssl-key files and the server's TLS settings", _TLS_DOCS),
        # refused by this program before connecting (collectors.connection)
        "no_ca_file": Text(_SERVER + "--ssl-mode={mode} checks the server's certificate against --ssl-ca, and none "
                           "was given",
                           "give --ssl-ca the CA file that signed the server's certificate (for a public CA, the "
                           "system's bundle, e.g. /etc/ssl/certs/ca-certificates.crt), or use --ssl-mode=REQUIRED to "
                           "encrypt without checking", _TLS_DOCS),
        "ca_file": Text(_SERVER + "the --ssl-ca file {path} cannot be used ({reason})",
                        "give --ssl-ca the PEM file of the CA that signed the server's certificate", _TLS_DOCS),
        "client_certificate": Text(_SERVER + "the client certificate {path} cannot be used ({reason})",
                                   "give --ssl-cert and --ssl-key as PEM files that belong together", _TLS_DOCS),
    },
    Cause.SERVER_GONE: {
        "": Text(_SERVER + "the server closed the connection",
                 "check that this is a MySQL/MariaDB port and the server is healthy (see its error log); a proxy or "
                 "firewall may be cutting the connection"),
    },
    Cause.TOO_MANY_CONNECTIONS: {
        "server": Text(_SERVER + "the server has no free connections", _FEWER_CONNECTIONS),
        "account": Text(_SERVER + "user '{user}' has reached its connection limit", _FEWER_CONNECTIONS),
    },
    Cause.UNKNOWN_DATABASE: {
        "": Text(_SERVER + "database does not exist or user '{user}' may not use it",
                 "check the --database name, or leave it out (the checks do not need one)", _ACCOUNT_DOCS),
        "named": Text(_SERVER + "database '{database}' does not exist or user '{user}' may not use it",
                      "check the --database name, or leave it out (the checks do not need one)", _ACCOUNT_DOCS),
    },
    Cause.AUTH_PLUGIN: {
        "": Text(_SERVER + "the authentication plugin of user '{user}' is not supported by this client",
                 "use an account with mysql_native_password or caching_sha2_password (MySQL) / ed25519 (MariaDB), "
                 "or upgrade ps-prechecks"),
    },
    Cause.UNKNOWN: {
        "": Text(_SERVER + "{error}", "see the log for details"),  # error: the exception's class and errno only
    },
    Cause.SSH_UNKNOWN_HOST: {
        "": Text(_BASTION + "the host name does not resolve",
                 "check --ssh-host (and DNS), or give its IP address; Host aliases of ~/.ssh/config are not read",
                 _SSH_DOCS),
    },
    Cause.SSH_UNREACHABLE: {
        "refused": Text(_BASTION + "nothing is listening there",
                        "check --ssh-host and --ssh-port (22 unless the bastion says otherwise) and that its sshd is "
                        "running", _SSH_DOCS),
        "no_route": Text(_BASTION + "it cannot be reached ({reason})",
                         "check --ssh-host and that this machine can reach it (VPN, firewall)", _SSH_DOCS),
        "closed_in_handshake": Text(_BASTION + "the bastion closed the connection during the SSH handshake",
                                    "check that this machine may connect to its sshd (AllowUsers, fail2ban, "
                                    "MaxStartups)", _SSH_DOCS),
        "closed_in_login": Text(_BASTION + "the bastion closed the connection while logging in",
                                "check that the bastion is up, and its sshd's log for why", _SSH_DOCS),
    },
    Cause.SSH_TIMED_OUT: {
        "connect": Text(_BASTION + "no answer within the connect timeout ({seconds} s)",
                        "check --ssh-host and --ssh-port and that no firewall drops the traffic; raise "
                        "--connect-timeout if the network is slow", _SSH_DOCS),
        "greeting": Text(_BASTION + "no SSH greeting within the connect timeout ({seconds} s)",
                         "check that --ssh-port is the bastion's SSH port (not the MySQL port); raise "
                         "--connect-timeout if the network is slow", _SSH_DOCS),
    },
    Cause.SSH_NOT_SSH: {
        "": Text(_BASTION + "it did not answer as an SSH server",
                 "check --ssh-port: it must be the bastion's sshd (usually 22), not the MySQL port", _SSH_DOCS),
    },
    Cause.SSH_NEGOTIATION: {
        "": Text(_BASTION + "no SSH algorithm in common with it",
                 "ask its administrator to enable a current key exchange and host key type, " + _DO_IT_YOURSELF,
                 _SSH_DOCS),
    },
    Cause.SSH_HOST_KEY_UNKNOWN: {
        "": Text(_THROUGH + "its host key is not known yet ({shown})",
                 "check that fingerprint with the bastion's administrator (ssh-keygen -lf on its host key), then run "
                 "again with {accept_flag}, or ssh to the bastion once to record it in ~/.ssh/known_hosts",
                 _SSH_DOCS),
    },
    Cause.SSH_HOST_KEY_CHANGED: {
        "revoked": Text(_THROUGH + "its host key ({shown}) is marked @revoked in {path} line {line}",
                        "ask the bastion's administrator for its current host key; do not connect until it is "
                        "replaced", _SSH_DOCS),
        "changed": Text(_THROUGH + "its host key has CHANGED (now {shown}; {path} line {line} holds another), so "
                        "someone may be intercepting the connection",
                        "if the bastion was rebuilt, check the new fingerprint with its administrator, remove the old "
                        "key with ssh-keygen -R '{name}' -f {path} and run again", _SSH_DOCS),
        "type_changed": Text(_THROUGH + "its host key has CHANGED type (now {shown}; {path} line {line} holds its "
                             "{old_type} key and the bastion no longer offers it), so someone may be intercepting the "
                             "connection",
                             "if the bastion's keys were replaced, check the new fingerprint with its administrator, "
                             "remove the old key with ssh-keygen -R '{name}' -f {path} and run again", _SSH_DOCS),
    },
    Cause.SSH_AUTH_FAILED: {
        "no_key": Text(_BASTION + "no SSH key to log in with (no --ssh-key, no SSH agent, no ~/.ssh/id_ed25519, "
                       "id_ecdsa or id_rsa)",
                       "give --ssh-key FILE, or add your key to the SSH agent (ssh-add)", _SSH_DOCS),
        "keys_not_accepted": Text(_BASTION + "it does not accept key logins for {user} (it allows: {allowed})",
                                  "ask for key access (ps-prechecks logs in with keys only), " + _DO_IT_YOURSELF,
                                  _SSH_DOCS),
        "second_factor": Text(_BASTION + "it asks {user} for a second factor ({methods}) after the key",
                              "use an account that logs in with a key alone, " + _DO_IT_YOURSELF, _SSH_DOCS),
        "refused": Text(_BASTION + "it refused {user} with {offered}",
                        "check --ssh-user and --ssh-key, and that the key's .pub line is in "
                        "~{user}/.ssh/authorized_keys on the bastion", _SSH_DOCS),
    },
    Cause.SSH_KEY_UNREADABLE: {
        "missing": Text(_KEY + "no such file", "check the --ssh-key path (the private key, not the .pub file)",
                        _SSH_DOCS),
        "unreadable": Text(_KEY + "cannot read it ({reason})",
                           "check the file's permissions for the user running ps-prechecks", _SSH_DOCS),
        "key_type": Text(_KEY + "its key type is not supported (DSA?)",
                         "use an Ed25519, ECDSA or RSA key (ssh-keygen -t ed25519)", _SSH_DOCS),
        "not_a_key": Text(_KEY + "not a private key ps-prechecks can read", _GIVE_KEY_FILE, _SSH_DOCS),
        "wrong_passphrase": Text(_KEY + "the passphrase is wrong", "check the passphrase (or {passphrase_env})",
                                 _SSH_DOCS),
    },
    Cause.SSH_KEY_ENCRYPTED: {
        "": Text(_KEY + "it is encrypted and no passphrase was given",
                 "run in a terminal to be asked for it, set {passphrase_env}, or add the key to your SSH agent "
                 "(ssh-add)", _SSH_DOCS),
    },
    Cause.SSH_FORWARDING_REFUSED: {
        "": Text("the SSH bastion {where} does not let {user} forward to {target}{detail}",
                 "ask its administrator for AllowTcpForwarding yes (and PermitOpen for that address) for this user",
                 _SSH_DOCS),
    },
    Cause.SSH_TARGET_REFUSED: {
        "refused": Text(_FORWARD + "the bastion could not connect to it{detail}",
                        "give --host and --port as the bastion sees the server (its private address, or 127.0.0.1 "
                        "when MySQL runs on the bastion), and check that the server listens there", _SSH_DOCS),
        "slow": Text(_FORWARD + "the bastion did not open the connection in time",
                     "check --host and --port as the bastion sees the server; raise --connect-timeout if it is slow",
                     _SSH_DOCS),
    },
    Cause.SSH_DROPPED: {
        "": Text("the SSH connection to the bastion {where} was closed",
                 "check that the bastion and its sshd are up and reachable from here, then run again", _SSH_DOCS),
    },
}


@dataclass(frozen=True)
class ConnectionProblem:
    cause: Cause
    message: str
    remedy: str
    link: str = ""  # the documentation's section on it, "" when none

    def one_line(self) -> str:
        return f"{self.message} — {self.remedy}" if self.remedy else self.message


def detail(reason: str) -> str:
    """The ``detail`` field of a template: " (reason)", or "" when there is no reason."""
    return f" ({reason})" if reason else ""


def build_problem(cause: Cause, variant: str = "", *, secrets: Sequence[str] = (),
                  **fields: object) -> ConnectionProblem:
    """The problem ``cause`` (``variant``) of :data:`TEXTS`, its templates filled from ``fields`` and scrubbed of
    ``secrets``. A field the templates name and ``fields`` lacks raises KeyError: no text goes out unfilled."""
    return _filled(cause, variant, fields, secrets)


def _filled(cause: Cause, variant: str, fields: Mapping[str, object], secrets: Sequence[str] = ()) -> ConnectionProblem:
    text = TEXTS[cause][variant]
    return ConnectionProblem(cause, scrub(text.headline.format_map(fields), secrets),
                             scrub(text.remedy.format_map(fields), secrets), text.link)


class Refusal(NamedTuple):
    """A problem found before the server's name is at hand (collectors.connection fills in the target)."""

    cause: Cause
    variant: str
    fields: Mapping[str, object]

    def problem(self, target: str) -> ConnectionProblem:
        return _filled(self.cause, self.variant, {**self.fields, "target": target})


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

_MODE_NAMES = {"required": "REQUIRED", "verify_ca": "VERIFY_CA", "verify_identity": "VERIFY_IDENTITY"}


def _mode(tls_mode: str) -> str:
    return _MODE_NAMES.get(tls_mode, tls_mode.upper())


def tls_not_offered(tls_mode: str, *, unix_socket: bool) -> Refusal:
    """--ssl-mode REQUIRED or stronger and the connection is not TLS: nothing was sent after the greeting."""
    return Refusal(Cause.TLS_REQUIRED, "unix_socket" if unix_socket else "not_offered", {"mode": _mode(tls_mode)})


def clear_text_refused(plugin: str) -> Refusal:
    """The server, over a connection without TLS, asked for the password itself rather than a hash of it."""
    if plugin == "caching_sha2_password":
        return Refusal(Cause.TLS_REQUIRED, "full_authentication", {})
    variant = "unhashed" if plugin in ("mysql_clear_password", "sha256_password") else "tls_only_plugin"
    return Refusal(Cause.TLS_REQUIRED, variant, {"plugin": plugin})


def no_ca_file(tls_mode: str) -> Refusal:
    return Refusal(Cause.TLS_FAILED, "no_ca_file", {"mode": _mode(tls_mode)})


def ca_file_unreadable(path: str, exc: OSError) -> Refusal:
    reason = "not a PEM certificate file" if isinstance(exc, ssl.SSLError) or not exc.strerror else exc.strerror
    return Refusal(Cause.TLS_FAILED, "ca_file", {"path": path, "reason": reason})


def client_cert_unusable(path: str, exc: OSError) -> Refusal:
    reason = ("not a PEM certificate and key that match" if isinstance(exc, ssl.SSLError) or not exc.strerror
              else exc.strerror)
    return Refusal(Cause.TLS_FAILED, "client_certificate", {"path": path, "reason": reason})


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

    def problem(cause: Cause, variant: str = "", **fields: object) -> ConnectionProblem:
        return build_problem(cause, variant, secrets=secrets, target=target, user=user, **fields)

    # Name resolution first: the driver wraps it in 2003 like a refused port.
    if any(isinstance(e, socket.gaierror) for e in chain) or code == 2005 or any(n in lowered for n in _DNS_NAMES):
        return problem(Cause.UNKNOWN_HOST)

    # TLS before "lost connection": a failed certificate check surfaces as 2055/2013 too.
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or any(n in lowered for n in _TLS_FAIL_NAMES):
        return problem(Cause.TLS_FAILED, "certificate", detail=detail(_tls_reason(texts)))

    if 3159 in codes or 2061 in codes or "insecure transport" in lowered or "requires secure connection" in lowered:
        return problem(Cause.TLS_REQUIRED, "server_requires")
    if 2026 in codes or any(isinstance(e, ssl.SSLError) for e in chain):
        if any(n in lowered for n in _TLS_ABSENT_NAMES):
            return problem(Cause.TLS_REQUIRED, "server_lacks")
        return problem(Cause.TLS_FAILED, "handshake")

    if (
        names & _TIMEOUT_CLASS_NAMES
        or any(isinstance(e, TimeoutError) for e in chain)
        or errno_mod.ETIMEDOUT in codes
        or "timed out" in lowered
    ):
        return problem(Cause.TIMED_OUT)

    if code in (1045, 1698):
        return problem(Cause.ACCESS_DENIED, "without_tls" if tls_used is False else "")
    if code == 1129:
        return problem(Cause.HOST_NOT_ALLOWED, "blocked")
    if code == 1130:
        return problem(Cause.HOST_NOT_ALLOWED, "account")
    if code in (1040, 1203, 1226):
        return problem(Cause.TOO_MANY_CONNECTIONS, "server" if code == 1040 else "account")
    if code in (1049, 1044):
        return problem(Cause.UNKNOWN_DATABASE, "named" if database else "", database=database)
    if (
        code in (2059, 1251, 2058)
        or "authentication plugin" in lowered
        or "auth_plugin" in lowered
        or "authentication protocol" in lowered
    ):
        return problem(Cause.AUTH_PLUGIN)
    if code in (2006, 2013, 2055):
        return problem(Cause.SERVER_GONE)
    if (
        code in (2002, 2003)
        or _REFUSED & set(codes)
        or _NO_ROUTE & set(codes)
        or any(isinstance(e, ConnectionRefusedError) for e in chain)
        or any(n in lowered for n in _REFUSED_NAMES)
    ):
        refused = errno_mod.ECONNREFUSED in codes or "refused" in lowered
        return problem(Cause.UNREACHABLE, "refused" if refused else "no_route")

    return problem(Cause.UNKNOWN, error=type(exc).__name__ + (f" (errno {code})" if code is not None else ""))
