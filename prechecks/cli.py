"""ps-prechecks: collect a MySQL/MariaDB server's summary into an upload-ready tarball.

Accepts the original ps-prechecks / pt-mysql-summary options, before or after a `--`.
Progress goes to stderr; the last line of stdout is the tarball's path.
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from collectors.connection import TLS_MODES, CancelToken, ConnectionFailed, ConnectionSpec
from collectors.optionfiles import (
    OptionFileError,
    default_option_files,
    login_file_path,
    read_login_path,
    read_option_files,
)
from collectors.runner import ProgressEvent, RunAborted
from prechecks import __version__
from prechecks.escape import TerminalStream

if TYPE_CHECKING:  # loaded only with --ssh-host
    from collectors.tunnel import SshSpec
    from prechecks.redaction import EarlierMap

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_PARTIAL = 3  # --servers: the archive was written without the servers that could not be collected
DEFAULT_SOCKETS = ("/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock", "/tmp/mysql.sock")  # noqa: S108 - the client's own default

DESCRIPTION = """\
Summarise a MySQL or MariaDB server for a PlanetScale migration and write ps_archive_<ts>.tgz:
a Markdown report, the raw samples in ps-prechecks' layout, facts.json and a manifest.

Read-only: every session is set to READ ONLY with a per-statement time limit. Query text, option
file passwords and the password you give never reach the archive. Run it on a replica or a
non-production server first, and have backups, as with any tool you point at production.
"""

EPILOG = """\
examples:
  ps-prechecks --user=root --ask-pass
  ps-prechecks -- --user=root --host=db1.internal --port=3306
  ps-prechecks --defaults-file=~/.my.cnf --sleep=30 --output /tmp
  ps-prechecks --read-samples ./ps_samples_2026_11_26_07_46_57
  ps-prechecks --read-samples ./ps_archive_2026_11_26_07_46_57.tgz --output /tmp
  ps-prechecks --servers servers.toml --sleep=30
  ps-prechecks --ssh-host=bastion.example.com --ssh-key=~/.ssh/id_ed25519 --host=10.0.0.5 --user=admin --ask-pass

password sources, first found wins: --password, --ask-pass, MYSQL_PWD, --login-path / the option
files' [client] group (--defaults-file, else the usual my.cnf locations and ~/.my.cnf).
through SSH: the bastion's host key must be known (~/.ssh/known_hosts, or accepted once with
--ssh-accept-new-host-key after checking the fingerprint the first attempt prints); a changed key is
always refused. An encrypted --ssh-key's passphrase is asked on the terminal, or read from
PS_PRECHECKS_SSH_PASSPHRASE.
exit status: 0 archive written, 1 cannot connect or the run failed, 2 bad options, 3 archive written
without some of the --servers (each named with its cause), 130 interrupted.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ps-prechecks",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,  # -h means --host, as in the mysql client
    )
    conn = parser.add_argument_group("connection (as the mysql client)")
    conn.add_argument("--host", "-h", help="server host name or IP (default: localhost)")
    conn.add_argument("--port", "-P", type=int, help="TCP port (default 3306)")
    conn.add_argument("--user", "-u", help="account to connect as (default: your login name)")
    conn.add_argument("--password", "-p", nargs="?", const=None, default=argparse.SUPPRESS,
                      help="password; visible to other users in the process list, prefer --ask-pass. "
                      "-p alone asks for it")
    conn.add_argument("--ask-pass", action="store_true", help="prompt for the password (not echoed)")
    conn.add_argument("--socket", "-S", help="Unix socket file")
    conn.add_argument("--defaults-file", "-F", help="read connection options from this option file only")
    conn.add_argument("--login-path", help="read options from this login path of ~/.mylogin.cnf")
    conn.add_argument("--ssl-mode", type=_ssl_mode, default=None,
                      help="DISABLED, PREFERRED (default: TLS when the server offers it), REQUIRED (TLS, the "
                      "certificate not checked), VERIFY_CA (checked against --ssl-ca only, not the system's CAs) or "
                      "VERIFY_IDENTITY (VERIFY_CA and the host name). Under every mode the password is never sent "
                      "in clear text: a server without TLS that asks for it is refused")
    conn.add_argument("--ssl-ca", help="CA certificate file (PEM) for VERIFY_CA / VERIFY_IDENTITY; given without "
                      "--ssl-mode (here or in an option file) it means --ssl-mode=VERIFY_CA, as for the mysql client")
    conn.add_argument("--ssl-cert", help="client certificate file")
    conn.add_argument("--ssl-key", help="client private key file")
    conn.add_argument("--connect-timeout", type=float, default=10.0, help="seconds to wait for the server (10)")
    ssh = parser.add_argument_group(
        "SSH tunnel (when the server is reachable only through a bastion / jump host)",
        "  with --ssh-host, --host and --port name the server as the bastion sees it: its private\n"
        "  address, or 127.0.0.1 when MySQL runs on the bastion itself")
    ssh.add_argument("--ssh-host", metavar="HOST", help="the SSH bastion to connect through")
    ssh.add_argument("--ssh-port", metavar="PORT", type=int, default=22, help="its SSH port (22)")
    ssh.add_argument("--ssh-user", metavar="USER", help="the account on the bastion (default: your login name)")
    ssh.add_argument("--ssh-key", metavar="FILE",
                     help="private key to log in with (default: your SSH agent's keys, else ~/.ssh/id_ed25519, "
                     "id_ecdsa or id_rsa); an encrypted key's passphrase is asked on the terminal or read from "
                     "PS_PRECHECKS_SSH_PASSPHRASE")
    ssh.add_argument("--ssh-accept-new-host-key", action="store_true",
                     help="trust the bastion's host key if it is not known yet, and record it in ps-prechecks' "
                     "known_hosts: use it after checking the fingerprint that a run without it prints. A changed "
                     "host key is always refused. Not with --servers: there write ssh_accept_new_host_key = true "
                     "in the [[server]] whose bastion you checked")
    conn.add_argument("--servers", metavar="FILE",
                      help="several servers in one archive: a TOML file of [[server]] tables (name, host, port or "
                      "socket, user, password_env / keychain / password, ssl_mode, ssl_ca, ssh_host, ssh_port, "
                      "ssh_user, ssh_key, ssh_accept_new_host_key, aws_profile, aws_region, aws_db_instance, "
                      "aws_db_cluster, gcp_instance, gcp_credentials, azure_server, azure_subscription, "
                      "azure_resource_group, no_cloud, prometheus_match); see README. Each server gets its own folder; "
                      "one questionnaire covers them all")
    run = parser.add_argument_group("what to collect")
    run.add_argument("--sleep", type=float, default=10.0,
                     help="seconds between the two status samples (default 10); longer gives a better QPS picture")
    run.add_argument("--databases", help="comma-separated databases to inventory and dump the schema of")
    run.add_argument("--all-databases", action="store_true", help="every database (the default)")
    run.add_argument("--no-schema-ddl", action="store_true", help="do not collect SHOW CREATE statements")
    run.add_argument("--schema-ddl-budget", type=float, default=60.0,
                     help="seconds the schema DDL may take before it is cut, saying so (60)")
    run.add_argument("--statement-timeout", type=float, default=5.0,
                     help="per-statement limit in seconds, enforced by the server (5)")
    run.add_argument("--slow-log", metavar="FILE", action="append", default=[],
                     help="a MySQL/MariaDB slow query log (repeatable; .gz read as is): read after the run, only its "
                     "digest (fingerprints, literals replaced) goes into the archive as slow-log-digest.md/.json, "
                     "never the log itself (attach it with --attach if you want to send it)")
    out = parser.add_argument_group("output")
    out.add_argument("--output", "-o", default=".", help="directory for the archive (default: current directory)")
    out.add_argument("--save-samples", metavar="DIR", help="also keep the raw samples in DIR")
    out.add_argument("--read-samples", metavar="PATH",
                     help="do not connect: turn an earlier capture into the full archive in --output and print its "
                     "report — a samples folder (ours, the bash ps-prechecks' or pt-mysql-summary --save-samples') "
                     "or a ps_archive_<ts>.tgz / .tar.gz")
    out.add_argument("--md", action="store_true",
                     help="the report is Markdown (always; kept for ps-prechecks compatibility); with "
                     "--read-samples also write ps_report_<ts>.md into --output")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    out.add_argument("--redact", metavar="CLASSES", type=_redact_classes, default=(),
                     help="replace these by consistent pseudonyms in every file of the archive (comma-separated, "
                     "any of: hostnames, ips, users, identifiers); the map to the originals is written next to "
                     "the archive, never in it. Passwords, secrets and query literals are always removed")
    out.add_argument("--redaction-map", metavar="FILE",
                     help="with --redact: give the names an earlier map (ps_archive_<ts>.redaction-map.json) holds the "
                     "same pseudonyms again, new names the next free numbers; the new map holds both")
    quest = parser.add_argument_group("questionnaire and attachments")
    quest.add_argument("--questionnaire", action="store_true",
                       help="print the questionnaire's questions with their ids, types and help, and exit")
    quest.add_argument("--answers", metavar="FILE",
                       help="your answers: a JSON or TOML file of question id -> answer, over the prefilled ones")
    quest.add_argument("--no-draft", action="store_true",
                       help="neither restore nor save the saved answers (draft) for this server")
    quest.add_argument("--attach", metavar="FILE", action="append", default=[],
                       help="add a file to the archive under attachments/ (repeatable; 25 MB each, 100 MB in all)")
    aws = parser.add_argument_group(
        "Amazon RDS / Aurora (read-only AWS API: instance facts, 14 days of CloudWatch, last month's RDS bill)",
        "  used when one of these is given or --host is an RDS endpoint; credentials from the standard AWS\n"
        "  chain (profile, environment, SSO cache, instance role), never stored; written to cloud.json")
    aws.add_argument("--aws-profile", metavar="NAME", help="the AWS profile of ~/.aws/config to use")
    aws.add_argument("--aws-region", metavar="REGION", help="the region (default: from the endpoint or the profile)")
    aws.add_argument("--aws-db-instance", metavar="ID",
                     help="the RDS DB instance identifier (default: from the endpoint)")
    aws.add_argument("--aws-db-cluster", metavar="ID",
                     help="the Aurora DB cluster identifier (default: from the endpoint)")
    aws.add_argument("--no-cloud", action="store_true",
                     help="do not call AWS, Google or Azure, even for an RDS or Azure endpoint")
    aws.add_argument("--aws-policy", action="store_true",
                     help="print the minimal read-only IAM policy the cloud part needs, and exit")
    gcp = parser.add_argument_group(
        "Google Cloud SQL (read-only Google APIs: instance facts, 14 days of Cloud Monitoring)",
        "  used when one of these is given; credentials from Application Default Credentials (gcloud auth\n"
        "  application-default login) or --gcp-credentials, never stored; written to cloud.json")
    gcp.add_argument("--gcp-instance", metavar="PROJECT:REGION:INSTANCE",
                     help="the instance's connection name (the console's Connection name)")
    gcp.add_argument("--gcp-credentials", metavar="FILE",
                     help="a service account key (JSON) instead of Application Default Credentials")
    gcp.add_argument("--gcp-policy", action="store_true",
                     help="print the roles and permissions the Cloud SQL part needs, and exit")
    az = parser.add_argument_group(
        "Azure Database for MySQL flexible server (read-only Azure API: server facts, 14 days of Azure Monitor)",
        "  used when one of these is given or --host is NAME.mysql.database.azure.com; credentials from\n"
        "  azure-identity's default chain (environment, managed identity, az login), never stored; to cloud.json")
    az.add_argument("--azure-server", metavar="NAME", help="the flexible server's name (default: from the endpoint)")
    az.add_argument("--azure-subscription", metavar="ID",
                    help="its subscription id (default: AZURE_SUBSCRIPTION_ID)")
    az.add_argument("--azure-resource-group", metavar="NAME",
                    help="its resource group (default: found by listing the subscription's flexible servers)")
    az.add_argument("--azure-policy", action="store_true",
                    help="print a read-only custom role with the actions the Azure part needs, and exit")
    watch = parser.add_argument_group(
        "watch mode (a server with no history: days of load from SHOW GLOBAL STATUS, into history.json)",
        "  after the collection, stays connected and takes one SHOW GLOBAL STATUS per interval; each sample is\n"
        "  journalled (0600) in ps-prechecks-watch/ beside the archive, so a dropped connection reconnects and a\n"
        "  stopped run resumes. Ctrl-C ends the watch early and still writes the archive. The journal is removed\n"
        "  once the archive holds its samples (a journal given to --watch-resume is yours and is kept)")
    watch.add_argument("--watch", metavar="DURATION",
                       help="watch for this long after the collection: 90m, 24h, 7d (s, m, h, d; at most 31d)")
    watch.add_argument("--watch-interval", metavar="SECONDS", default="60",
                       help="seconds between two samples (60; at least 1; 5m also works)")
    watch.add_argument("--watch-resume", metavar="FILE",
                       help="go on with a stopped watch from its journal (the path the watch printed) until its "
                       "planned end, then write the archive; the journal must be of this server")
    prom = parser.add_argument_group(
        "history from Prometheus or PMM (days of load instead of --sleep seconds; written to history.json)",
        "  any store with Prometheus' /api/v1/query_range API: Prometheus, PMM, VictoriaMetrics, Thanos, Mimir.\n"
        "  Credentials never on the command line: PS_PRECHECKS_PROMETHEUS_TOKEN (a bearer token) or\n"
        "  PS_PRECHECKS_PROMETHEUS_BASIC_AUTH (user:password), else the system keychain entry\n"
        "  \"prometheus <URL>\" of the service ps-prechecks; never written to the archive")
    prom.add_argument("--prometheus", metavar="URL",
                      help="the store's base URL, e.g. http://prometheus:9090 or https://pmm-server/prometheus "
                      "(TLS verified)")
    prom.add_argument("--prometheus-match", metavar="MATCHER", type=_prometheus_match, default=None,
                      help="the labels of this server's mysqld_exporter series, e.g. '{instance=\"db1:9104\"}' or "
                      "'{service_name=\"db1-mysql\"}' (PMM); needed when the store has several MySQL instances")
    prom.add_argument("--prometheus-ca", metavar="FILE", help="CA certificate file (PEM) to verify the store's TLS "
                      "certificate with, instead of the system's CAs")
    prom.add_argument("--history-days", metavar="DAYS", type=_history_days, default=14.0,
                      help="days of history to read, ending now (14)")
    misc = parser.add_argument_group("other")
    misc.add_argument("--help", action="help", help="show this help and exit")
    misc.add_argument("--version", action="version", version=f"ps-prechecks {__version__}")
    return parser


def _ssl_mode(value: str) -> str:
    mode = value.strip().lower().replace("-", "_")
    if mode not in TLS_MODES:
        raise argparse.ArgumentTypeError(f"unknown --ssl-mode {value!r}: use DISABLED, PREFERRED, REQUIRED, "
                                         "VERIFY_CA or VERIFY_IDENTITY")
    return mode


def _prometheus_match(value: str) -> str:
    from collectors.prometheus import parse_match

    try:
        return parse_match(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _history_days(value: str) -> float:
    from collectors.prometheus import parse_days

    try:
        return parse_days(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _redact_classes(value: str) -> tuple[str, ...]:
    from prechecks.redaction import UnknownRedactionClass, parse_classes

    try:
        return parse_classes(value)
    except UnknownRedactionClass as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def normalise_argv(argv: Sequence[str]) -> list[str]:
    """ps-prechecks passes what follows `--` to mysql; we accept those options the same way."""
    return [arg for arg in argv if arg != "--"]


def _option_values(args: argparse.Namespace) -> dict[str, str]:
    """Connection options from the option files, the way the mysql client reads them."""
    values: dict[str, str] = {}
    if args.defaults_file:
        files = read_option_files([Path(os.path.expanduser(args.defaults_file))])
    else:
        files = read_option_files(default_option_files())
    for warning in files.warnings:  # e.g. a world-writable ~/.my.cnf: say why its password is not used
        print(f"ps-prechecks: warning: {warning}", file=sys.stderr)
    values.update(files)
    if args.login_path or not args.defaults_file:
        values.update(_login_path(args.login_path or "client"))
    return values


def _login_path(name: str) -> dict[str, str]:
    try:
        return read_login_path(name)
    except OptionFileError as exc:  # the reader's message names neither the file nor a fix
        raise OptionFileError(f"{exc} ({login_file_path()}) — recreate it with mysql_config_editor, "
                              "or use --defaults-file") from None


def build_spec(args: argparse.Namespace) -> ConnectionSpec:
    files = _option_values(args)
    password: str | None
    if hasattr(args, "password") and args.password is not None:
        password = args.password
        print("ps-prechecks: warning: a password on the command line is visible to other users; "
              "prefer --ask-pass or an option file", file=sys.stderr)
    elif args.ask_pass or (hasattr(args, "password") and args.password is None):
        try:
            password = getpass.getpass("Enter password: ")
        except EOFError:  # no terminal and nothing on stdin: one line, not a traceback
            print(file=sys.stderr)  # end the prompt's line
            raise ValueError("--ask-pass: no password was entered (end of input) — type it at the prompt, "
                             "pipe it on stdin, or use an option file") from None
    elif os.environ.get("MYSQL_PWD"):
        password = os.environ["MYSQL_PWD"]
    else:
        password = files.get("password")
    port_text = files.get("port")
    port = args.port or (int(port_text) if port_text and port_text.isdigit() else 3306)
    host = args.host or files.get("host")
    socket_path = args.socket or files.get("socket")
    ssh = _ssh_spec(args)
    if ssh is not None:  # the server as the bastion sees it: never a local socket
        host, socket_path = host or "127.0.0.1", None
    elif host in (None, "", "localhost"):
        # as the mysql client: localhost means the Unix socket when there is one
        socket_path = socket_path or next((p for p in DEFAULT_SOCKETS if os.path.exists(p)), None)
        host = None if socket_path else "127.0.0.1"
    else:
        socket_path = None
    tls_mode = args.ssl_mode or _ssl_mode(files.get("ssl_mode", "preferred"))
    ssl_ca = args.ssl_ca or files.get("ssl_ca")
    if ssl_ca and not args.ssl_mode and "ssl_mode" not in files:
        tls_mode = "verify_ca"  # as the mysql client: a CA file alone asks for its check
        if not getattr(args, "quiet", False):
            _progress_line(f"ps-prechecks: --ssl-ca {ssl_ca} without --ssl-mode: the server's certificate is checked "
                           "against it (VERIFY_CA)")
    elif ssl_ca and tls_mode in ("preferred", "required"):
        print(f"ps-prechecks: warning: --ssl-ca is not used with --ssl-mode={tls_mode.upper()}, which encrypts "
              "without checking the certificate; use --ssl-mode=VERIFY_CA to check it", file=sys.stderr)
    return ConnectionSpec(
        host=host,
        port=port,
        socket=socket_path,
        user=args.user or files.get("user"),
        password=password,
        tls_mode=tls_mode,
        ssl_ca=ssl_ca,
        ssl_cert=args.ssl_cert or files.get("ssl_cert"),
        ssl_key=args.ssl_key or files.get("ssl_key"),
        connect_timeout=args.connect_timeout,
        statement_timeout=args.statement_timeout,
        ssh=ssh,
    )


def _ssh_usage(args: argparse.Namespace) -> str | None:
    """What is wrong with the --ssh-* options, before anything connects."""
    if not args.ssh_host and (args.ssh_user or args.ssh_key or args.ssh_port != 22
                              or (args.ssh_accept_new_host_key and not args.servers)):  # --servers: refused there
        return "--ssh-port, --ssh-user, --ssh-key and --ssh-accept-new-host-key need --ssh-host"
    if args.ssh_host and args.socket:
        return ("--socket cannot be used with --ssh-host: give --host and --port as the bastion sees the server "
                "(127.0.0.1 when MySQL runs on the bastion)")
    if not 0 < args.ssh_port < 65536:
        return f"--ssh-port {args.ssh_port}: give a port number from 1 to 65535"
    return None


def _ssh_spec(args: argparse.Namespace) -> SshSpec | None:
    if not args.ssh_host:
        return None
    from collectors.tunnel import SshSpec

    key = os.path.expanduser(args.ssh_key) if args.ssh_key else None
    return with_ssh_passphrase(SshSpec(args.ssh_host, args.ssh_port, user=args.ssh_user, key_file=key,
                                       accept_new_host_key=args.ssh_accept_new_host_key))


def with_ssh_passphrase(ssh: SshSpec, asked: dict[str, str] | None = None) -> SshSpec:
    """The key's passphrase: PS_PRECHECKS_SSH_PASSPHRASE, else asked on the terminal when the key is encrypted and
    the SSH agent does not hold it (``asked`` remembers answers per key file); else none."""
    from collectors.tunnel import SSH_PASSPHRASE_ENV, agent_holds, key_is_encrypted

    if ssh.passphrase or os.environ.get(SSH_PASSPHRASE_ENV):
        return ssh.with_passphrase(ssh.passphrase or os.environ[SSH_PASSPHRASE_ENV])
    key = ssh.key_file
    if not key or not sys.stdin.isatty() or not key_is_encrypted(key) or (ssh.use_agent and agent_holds(key)):
        return ssh
    if asked is not None and key in asked:
        return ssh.with_passphrase(asked[key])
    try:
        passphrase = getpass.getpass(f"Enter passphrase for SSH key {key}: ")
    except EOFError:
        print(file=sys.stderr)
        raise ValueError(f"--ssh-key {key}: no passphrase was entered — type it at the prompt, or set "
                         f"{SSH_PASSPHRASE_ENV}") from None
    if asked is not None:
        asked[key] = passphrase
    return ssh.with_passphrase(passphrase or None)


class _StderrProgress:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, event: ProgressEvent) -> None:
        if self.quiet or event.kind == "started":
            return
        eta = f", about {event.eta_seconds:.0f} s left" if event.eta_seconds and event.kind != "log" else ""
        if event.kind == "log":
            line = f"         {event.collector}: {event.message}"
        else:
            word = {"finished": "ok", "skipped": "skipped", "failed": "FAILED"}[event.kind]
            reason = f" — {event.message}" if event.message else ""
            line = (f"[{event.index + 1:2d}/{event.total}] {event.title}: {word} ({event.seconds:.2f} s)"
                    f"{reason}{eta}")
        _progress_line(line)


def _progress_line(text: str) -> None:
    """One write per line: print() writes the newline apart, and a Ctrl-C between the two glued the
    "interrupted" line to the end of this one."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _fail(message: str, remedy: str = "") -> int:
    text = f"ps-prechecks: {message}" + (f" — {remedy}" if remedy else "")
    print(text, file=sys.stderr)
    return EXIT_FAILED


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_read_samples(args: argparse.Namespace) -> int:
    """--read-samples FOLDER or TARBALL: no connection; the capture goes through the live run's pipeline (derive,
    then prechecks.bundle.build and write_bundle) into the same archive. The report is printed (as the bash tool
    and pt-mysql-summary do), then the archive's path on the last line; --md also writes the report beside it."""
    from prechecks.bundle import ArchiveInputs, build, write_bundle
    from prechecks.collection import timestamp_now
    from prechecks.derive import derive
    from prechecks.samples import SamplesError, open_capture, read_config_text, read_samples, read_schema_ddl

    output = Path(args.output)
    if not output.is_dir():
        return _fail(f"output directory {output} does not exist", "create it or pass --output DIR")
    try:
        answers, attachments = _user_inputs(args)
        earlier = _earlier_map(args)
    except ValueError as exc:
        return _usage(str(exc))
    given = Path(args.read_samples)
    try:
        with open_capture(given) as folder:  # a tarball is unpacked into a private folder, removed on every exit
            raw = read_samples(folder)
            texts = {"mysqldump": read_schema_ddl(folder), "mysql-config-file": read_config_text(folder)}
    except SamplesError as exc:
        return _fail(str(exc))
    raw["source"] = {**raw["source"], "path": given.name or str(given)}  # not the temporary folder's
    derived = derive(raw)
    timestamp = timestamp_now()
    inputs = ArchiveInputs(timestamp=timestamp, samples={k: v for k, v in texts.items() if v is not None},
                           answers=answers, attachments=attachments,
                           manifest_extra={"read_samples": raw["source"]})
    try:
        prepared = build(derived, inputs, args.redact, earlier_map=earlier, consume=True)
        archive = write_bundle(prepared, output)
    except ValueError as exc:  # an attachment that changed or vanished since the start
        return _fail(str(exc))
    except OSError as exc:  # a read-only --output: one line, not a traceback
        return _fail(f"could not write the archive in {output}: {exc.strerror or exc}",
                     "free some space or choose another --output directory")
    args.archive_written = archive
    report = next(data for path, data in prepared.files.items() if path.startswith("ps_report_")).decode()
    print(report, end="" if report.endswith("\n") else "\n")
    if args.md:  # the bash tool's --md: the report as its own file too
        out = output / f"ps_report_{timestamp}.md"
        try:
            out.write_text(report, encoding="utf-8")
        except OSError as exc:
            return _fail(f"could not write {out}: {exc.strerror or exc}", "create it or pass --output DIR")
        print(out)
    if args.redact:
        from prechecks.bundle import archive_path_map

        print(f"redaction map (keep it private): {archive_path_map(archive)}", file=sys.stderr)
    print(archive)
    return EXIT_OK


def _usage(message: str) -> int:
    print(f"ps-prechecks: {message}", file=sys.stderr)
    return EXIT_USAGE


def _user_inputs(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Path]]:
    """The --answers file and the --attach files, checked before connecting. Raises ValueError."""
    from prechecks.attachments import Attachments
    from prechecks.questionnaire import load_answers_file

    answers: dict[str, Any] = load_answers_file(Path(args.answers)) if args.answers else {}
    attachments = Attachments()
    for name in args.attach:
        attachments.add(name)
    return answers, attachments.as_mapping()


def _earlier_map(args: argparse.Namespace) -> EarlierMap | None:
    """--redaction-map, read and checked (RedactionMapError, a ValueError); its warnings on stderr."""
    if not args.redaction_map:
        return None
    from prechecks.redaction import RedactionMapError, load_map

    earlier = load_map(args.redaction_map)
    if not args.redact:  # the map decides the names only: without a class the archive would keep every name
        raise RedactionMapError(f"--redaction-map replaces nothing without --redact — add --redact="
                                f"{','.join(earlier.classes) or 'identifiers'} (the classes of that map) or leave "
                                "out --redaction-map")
    for warning in [*earlier.warnings, *earlier.class_warnings(args.redact)]:
        print(f"ps-prechecks: warning: {warning}", file=sys.stderr)
    return earlier


def _check_slow_logs(paths: Sequence[str]) -> None:
    """Each --slow-log exists, is readable and looks like a slow log. Raises SlowLogError (a ValueError)."""
    if not paths:
        return
    from prechecks.slowlog import check_slow_log

    for path in paths:
        check_slow_log(path)


def _slow_log_digest(paths: Sequence[str], quiet: bool) -> dict[str, Any] | None:
    """The --slow-log files parsed into one digest (slow_log.files); None without any. A file that
    cannot be read to the end says so on stderr and in the digest; the run goes on."""
    if not paths:
        return None
    from prechecks.slowlog import describe, files_fact, files_from

    shown: dict[str, int] = {}

    def progress(name: str, done: int, size: int) -> None:  # a line per tenth of a big file
        tenth = done * 10 // size if size > 50_000_000 else 0
        if tenth > shown.get(name, 0) and tenth < 10:
            shown[name] = tenth
            print(f"         slow log {name}: {done / 1e6:,.0f} of {size / 1e6:,.0f} MB read", file=sys.stderr,
                  flush=True)

    if not quiet:
        print(f"reading {len(paths)} slow log file(s)…", file=sys.stderr, flush=True)
    parsed = files_from(paths, progress=None if quiet else progress)
    for item in parsed:
        if item.error:
            print(f"ps-prechecks: warning: slow log {item.path}: {item.error} — the digest has what was read",
                  file=sys.stderr)
        elif not quiet:
            print(f"slow log {describe(item)} — only this digest goes into the archive, not the log",
                  file=sys.stderr)
    return files_fact(parsed)


def _draft_answers(args: argparse.Namespace, spec: ConnectionSpec, answers: dict[str, Any]) -> dict[str, Any]:
    """The draft saved for this server and account, and --answers saved into it (unless --no-draft)."""
    from prechecks import drafts

    if args.no_draft:
        return {}
    where: dict[str, Any] = {"host": spec.host, "port": spec.port, "socket": spec.socket, "user": spec.effective_user}
    key = drafts.server_key(**where)
    draft = drafts.load_draft(key)
    restored = dict(draft.answers) if draft else {}
    if draft and restored and not args.quiet:
        print(f"ps-prechecks: restored {len(restored)} answer(s) saved on {draft.saved_at} ({draft.path}); "
              "--no-draft ignores them", file=sys.stderr)
    if answers:
        try:
            drafts.save_draft(key, {**restored, **answers}, label=drafts.server_label(**where),
                              secrets=[spec.password] if spec.password else [])
        except drafts.DraftError as exc:  # the run goes on: the answers are in the archive anyway
            print(f"ps-prechecks: warning: {exc}", file=sys.stderr)
    return restored


def _questionnaire_summary(merged: list[Any]) -> str:
    """What the archive's questionnaire holds (``merged``: its answers, PreparedBundle.answers)."""
    from prechecks.questionnaire import load_questionnaire, missing_required

    answered = [a for a in merged if a.answered]
    prefilled = sum(1 for a in answered if a.prefilled)
    missing = len(missing_required(load_questionnaire(), merged))
    return (f"questionnaire: {len(answered)} of {len(merged)} questions answered ({prefilled} prefilled from the "
            f"server, {len(answered) - prefilled} by you); {missing} required still open — see "
            "freeform_questions.md, answer with --answers FILE (ids: --questionnaire)")


def _say_where_it_goes() -> None:
    from prechecks.summary import send_ways

    print(f"send the archive: {send_ways()}", file=sys.stderr)


def run_collection(args: argparse.Namespace) -> int:
    from prechecks.collection import RunOptions, archive_inputs, collect, timestamp_now

    output = Path(args.output)
    if not output.is_dir():
        return _fail(f"output directory {output} does not exist", "create it or pass --output DIR")
    if args.save_samples and os.path.exists(args.save_samples) and not os.path.isdir(args.save_samples):
        # found before connecting, not after the archive is written
        return _fail(f"--save-samples {args.save_samples} is not a directory", "pass a directory (new or existing)")
    try:
        answers, attachments = _user_inputs(args)  # a bad answers file or attachment: before connecting
        _check_slow_logs(args.slow_log)  # missing, unreadable or not a slow log: before connecting
        earlier = _earlier_map(args)  # not a map, another user's, a newer format: before connecting
        watch = _watch_plan(args)  # a bad duration or journal: before connecting
    except ValueError as exc:
        return _usage(str(exc))
    ssh_problem = _ssh_usage(args)
    if ssh_problem:
        return _usage(ssh_problem)
    if args.servers:
        if watch is not None:
            return _usage("--watch watches one server: run ps-prechecks --watch for each server of the file")
        return run_servers(args, output, answers, attachments, earlier)
    if not args.prometheus and (args.prometheus_match is not None or args.prometheus_ca):
        return _usage("--prometheus-match and --prometheus-ca need --prometheus URL")
    if args.prometheus and watch is not None:
        return _usage("--prometheus reads the history the store already keeps and --watch measures it now: "
                      "give one of them")
    history: dict[str, Any] | None = None
    history_secrets: list[str] = []
    if args.prometheus:  # before connecting: a wrong URL, token or matcher is said at once
        from collectors.prometheus import PrometheusError

        try:
            history, history_secrets = _prometheus_history(args)
        except PrometheusError as exc:
            return _fail(str(exc))
    try:
        spec = build_spec(args)
    except (OptionFileError, ValueError) as exc:
        return _fail(str(exc))
    if watch is not None and watch.journal is not None:  # another server's journal: refused before collecting
        problem = _watch_server_problem(spec, watch.journal)
        if problem:
            return _fail(problem)
    draft = _draft_answers(args, spec, answers)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()] if args.databases else None
    options = RunOptions(sleep=args.sleep, databases=databases, schema_ddl=not args.no_schema_ddl,
                         schema_ddl_budget=args.schema_ddl_budget)
    cancel = CancelToken()
    timestamp = timestamp_now()
    progress = _StderrProgress(args.quiet)
    if not args.quiet:
        _progress_line(f"ps-prechecks {__version__}: connecting to {spec.target} as {spec.effective_user}")
    try:
        result = collect(spec, options, progress=progress, cancel=cancel)
    except ConnectionFailed as exc:
        return _fail(exc.problem.one_line())
    except RunAborted as exc:
        return _fail(str(exc), exc.remedy)
    secrets = [*spec.secrets, *history_secrets]
    from prechecks.bundle import build, write_bundle  # after the run: keeps the start-up short

    slow_log_files = _slow_log_digest(args.slow_log, args.quiet)  # the session is closed by now
    inputs = archive_inputs(result, timestamp, secrets=secrets, answers=answers, draft=draft,
                            attachments=attachments)
    import json

    cloud = _cloud_document(args, spec.host)
    hint = _cloud_hint(args, result.facts, cloud)
    if hint:
        print(f"ps-prechecks: {hint}", file=sys.stderr)
    if watch is not None:
        try:
            history = _watch_history(args, spec, watch, timestamp, output)
        except ConnectionFailed as exc:
            return _fail(f"the watch could not connect: {exc.problem.one_line()}", watch.kept_note())
        except ValueError as exc:  # a journal that cannot be written, another server after a reconnection
            return _fail(str(exc), watch.kept_note())
    history, cloud = sources(history, cloud)  # --prometheus or the watch, else the cloud's metrics: one history.json
    if cloud is not None:
        inputs = replace(inputs, extra_files={**inputs.extra_files, "cloud.json": _cloud_text(cloud)})
    if history is not None:
        inputs = replace(inputs, extra_files={**inputs.extra_files, "history.json": json.dumps(
            history, indent=1, sort_keys=True) + "\n"})
    derived = result.derived
    if slow_log_files is not None or history is not None or cloud is not None:  # sources of their own
        from prechecks.derive import derive

        derived = derive(result.facts, slow_log_files=slow_log_files, history=history, cloud=cloud)
    for note in inputs.notes:
        print(f"ps-prechecks: warning: {note}", file=sys.stderr)
    from prechecks.report import digest_footprint

    footprint = digest_footprint(derived.facts)  # before the build takes the facts over
    try:
        prepared = build(derived, inputs, args.redact, earlier_map=earlier, consume=True)  # takes the facts over
        archive = write_bundle(prepared, output)
    except ValueError as exc:  # an attachment that changed or vanished since the start
        return _fail(str(exc) + (f" ({watch.kept_note()})" if watch is not None else ""))
    except OSError as exc:
        return _fail(f"could not write the archive in {output}: {exc.strerror or exc}",
                     "free some space or choose another --output directory"
                     + (f" ({watch.kept_note()})" if watch is not None else ""))
    args.archive_written = archive  # an interrupt from here on must not claim nothing was written
    if watch is not None:
        watch.archived(args.quiet)
    if args.save_samples:
        from prechecks.samples import SamplesError

        try:
            _save_samples(archive, Path(args.save_samples), timestamp)
        except OSError as exc:  # the archive is fine: say so instead of a traceback
            return _fail(f"the archive is written ({archive}) but the samples could not be saved in "
                         f"{args.save_samples}: {exc.strerror or exc}", "choose another --save-samples directory")
        except SamplesError as exc:  # a symlink where a sample goes: its message has the remedy
            return _fail(f"the archive is written ({archive}) but the samples were not saved: {exc}")
    skipped = [r for r in result.results if r.status != "ok"]
    if not args.quiet:
        print(f"done: {len(result.results) - len(skipped)} collectors ok, {len(skipped)} skipped or failed "
              "(reasons in the report and manifest.json)", file=sys.stderr)
        print(_questionnaire_summary(prepared.answers or []), file=sys.stderr)
    if footprint:  # about the prospect's server, not this run: said even with --quiet
        print(f"ps-prechecks: note: {footprint}", file=sys.stderr)
    if args.redact:
        from prechecks.bundle import archive_path_map

        print(f"redaction map (keep it private): {archive_path_map(archive)}", file=sys.stderr)
        if earlier is not None:
            print(f"pseudonyms kept from {earlier.path}; next time give --redaction-map with the new map (it holds "
                  "both)", file=sys.stderr)
    if not args.quiet:
        _say_where_it_goes()
    print(archive)
    return EXIT_OK


def _prometheus_history(args: argparse.Namespace, match: str | None = None,
                        label: str = "") -> tuple[dict[str, Any], list[str]]:
    """history.json's document from --prometheus, and the credentials' secrets (scrubbed from every file).
    ``match``: a --servers entry's prometheus_match, over --prometheus-match."""
    from collectors.prometheus import PrometheusClient, PrometheusOptions, collect_history, credentials, one_line

    auth = credentials(args.prometheus)
    if not args.quiet:
        _progress_line(f"{label}reading {args.history_days:g} days of history from Prometheus"
                       + (f" (credentials from {auth.found_in})" if auth.header else ""))
    if auth.header and args.prometheus.lower().startswith("http://"):  # the token would cross the network in clear
        print(f"ps-prechecks: warning: {label}the Prometheus credentials ({auth.found_in}) go over plain http to "
              f"{args.prometheus}: use its https:// address where the store has one", file=sys.stderr)
    chosen = match if match is not None else args.prometheus_match or ""
    options = PrometheusOptions(args.prometheus, match=chosen, days=args.history_days, ca_file=args.prometheus_ca)
    client = PrometheusClient(args.prometheus, auth=auth, ca_file=args.prometheus_ca)
    document = collect_history(options, client=client)
    print(f"ps-prechecks: {label}{one_line(document)}", file=sys.stderr)
    return document, auth.secrets


CLOUD_HINTS = {  # server.platform -> (what it is, the flags that read its size and 14 days of load)
    "rds": ("Amazon RDS", "--aws-db-instance ID --aws-region REGION (and --aws-profile NAME)"),
    "aurora": ("Amazon Aurora", "--aws-db-cluster ID --aws-region REGION (and --aws-profile NAME)"),
    "cloudsql": ("Google Cloud SQL", "--gcp-instance PROJECT:REGION:INSTANCE (the console's Connection name)"),
    "azure": ("Azure Database for MySQL", "--azure-server NAME --azure-subscription ID"),
}


def _cloud_hint(args: argparse.Namespace, facts: Mapping[str, Any], cloud: Mapping[str, Any] | None) -> str:
    """One line when the server says it is a managed one but no cloud part ran (and --no-cloud was not given)."""
    server = facts.get("server")
    platform = server.get("platform") if isinstance(server, Mapping) else None
    if cloud is not None or args.no_cloud or args.quiet or platform not in CLOUD_HINTS:
        return ""
    name, flags = CLOUD_HINTS[platform]
    return (f"this server looks like {name}: {flags} adds the instance's size, storage and 14 days of load to the "
            "archive (read-only; --no-cloud silences this)")


def _cloud_document(args: argparse.Namespace, host: str | None, entry: Mapping[str, Any] | None = None,
                    label: str = "") -> dict[str, Any] | None:
    """The cloud part's document when one applies (a cloud flag, or an RDS / Azure endpoint), its metric points
    still in (collectors.cloudhistory.sources takes them out); its outcome in one line. ``entry``: a --servers
    entry's cloud keys, over the flags. Google, then Azure, then AWS."""
    from collectors import azure, gcp
    from collectors.aws import CloudOptions, wanted

    keys = ("aws_profile", "aws_region", "aws_db_instance", "aws_db_cluster", "gcp_instance", "gcp_credentials",
            "azure_server", "azure_subscription", "azure_resource_group", "no_cloud")
    given = {**{k: getattr(args, k, None) for k in keys}, **(entry or {})}
    no_cloud = bool(given["no_cloud"])
    google = gcp.GcpOptions(instance=given["gcp_instance"], credentials=given["gcp_credentials"])
    azure_options = azure.AzureOptions(server=given["azure_server"], subscription=given["azure_subscription"],
                                       resource_group=given["azure_resource_group"])
    options = CloudOptions(profile=given["aws_profile"], region=given["aws_region"],
                           db_instance=given["aws_db_instance"], db_cluster=given["aws_db_cluster"])
    document: dict[str, Any]
    if gcp.wanted(google, no_cloud=no_cloud):
        if not args.quiet:
            _progress_line(f"{label}reading the Cloud SQL instance from Google Cloud (read-only; --no-cloud to skip)")
        document = gcp.collect_cloud(google)
    elif azure.wanted(azure_options, host, no_cloud=no_cloud):
        if not args.quiet:
            _progress_line(f"{label}reading the flexible server from Azure (read-only; --no-cloud to skip)")
        document = azure.collect_cloud(azure_options, host)
    elif wanted(options, host, no_cloud=no_cloud):
        from collectors.aws import collect_cloud

        if not args.quiet:
            _progress_line(f"{label}reading the RDS/Aurora instance from AWS (read-only; --no-cloud to skip)")
        document = collect_cloud(options, host)
    else:
        return None
    from collectors.cloudcommon import one_line

    print(f"ps-prechecks: {label}{one_line(document)}", file=sys.stderr)
    return document


def _cloud_text(document: Mapping[str, Any]) -> str:
    import json

    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"


def sources(history: dict[str, Any] | None,
            cloud: dict[str, Any] | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """collectors.cloudhistory.sources, imported when used (no cloud part: not loaded)."""
    if history is None and cloud is None:
        return None, None
    from collectors.cloudhistory import sources as decide

    return decide(history, cloud)


def run_servers(args: argparse.Namespace, output: Path, answers: dict[str, Any], attachments: dict[str, Path],
                earlier: EarlierMap | None = None) -> int:
    """--servers FILE: each server in turn, one archive. A server that cannot be collected is named in
    servers.md and the manifest with its cause (exit 3); Ctrl-C ends everything with nothing written."""
    from prechecks.bundle import write_bundle
    from prechecks.collection import RunOptions, timestamp_now
    from prechecks.multi import collect_servers, prepare_servers_bundle
    from prechecks.servers import ServersFileError, load_servers

    if (args.host or args.socket or args.user or args.defaults_file or args.login_path or args.ask_pass
            or hasattr(args, "password")):
        return _usage("--servers names every server and its password itself: leave out --host, --socket, --user, "
                      "--password, --ask-pass, --defaults-file and --login-path")
    if args.ssh_host or args.ssh_user or args.ssh_key:
        return _usage("--servers names each server's SSH bastion itself: use ssh_host, ssh_port, ssh_user and ssh_key "
                      "in the file instead of --ssh-host, --ssh-user and --ssh-key")
    if args.ssh_accept_new_host_key:  # one flag would trust every bastion of the file at once, checked or not
        return _usage("--ssh-accept-new-host-key cannot be used with --servers: write ssh_accept_new_host_key = true "
                      "in the [[server]] whose bastion's fingerprint you checked")
    if args.slow_log:  # which server's log it is cannot be told from the file
        return _usage("--slow-log cannot be combined with --servers: run ps-prechecks for the server that wrote "
                      "the log, with --slow-log")
    defaults = ConnectionSpec(connect_timeout=args.connect_timeout, statement_timeout=args.statement_timeout,
                              tls_mode=args.ssl_mode or "preferred")
    try:
        entries = load_servers(Path(os.path.expanduser(args.servers)), defaults=defaults)
        asked: dict[str, str] = {}
        entries = [entry if entry.spec.ssh is None else replace(entry, spec=replace(entry.spec, ssh=with_ssh_passphrase(
            entry.spec.ssh, asked))) for entry in entries]
    except ServersFileError as exc:
        return _usage(str(exc))
    except ValueError as exc:
        return _fail(str(exc))
    histories: dict[str, dict[str, Any]] = {}
    history_secrets: list[str] = []
    if args.prometheus:  # each server's history before connecting to any: a wrong matcher is said at once
        from collectors.prometheus import PrometheusError

        for entry in entries:
            try:
                histories[entry.name], history_secrets = _prometheus_history(
                    args, entry.prometheus_match, f"server {entry.name}: ")
            except PrometheusError as exc:
                return _fail(f"server {entry.name}: {exc}")
    elif any(entry.prometheus_match is not None for entry in entries):
        return _usage("prometheus_match in the --servers file needs --prometheus URL")
    databases = [d.strip() for d in args.databases.split(",") if d.strip()] if args.databases else None
    options = RunOptions(sleep=args.sleep, databases=databases, schema_ddl=not args.no_schema_ddl,
                         schema_ddl_budget=args.schema_ddl_budget)
    timestamp = timestamp_now()

    def announce(entry: Any) -> None:
        if not args.quiet:
            print(f"ps-prechecks {__version__}: server {entry.name}: connecting to {entry.spec.target} as "
                  f"{entry.spec.effective_user}", file=sys.stderr, flush=True)

    try:
        parts = collect_servers(entries, options, timestamp, progress=_StderrProgress(args.quiet),
                                cancel=CancelToken(), announce=announce)
    except RunAborted as exc:
        return _fail(str(exc), exc.remedy)
    by_name = {entry.name: entry for entry in entries}
    for index, part in enumerate(parts):  # each server's own cloud.json and history.json, in its folder
        if part.inputs is None or part.name not in by_name:
            continue
        entry = by_name[part.name]
        found = _cloud_document(args, entry.spec.host, entry.cloud, f"server {part.name}: ")
        history, cloud = sources(histories.get(part.name), found)
        files = dict(part.inputs.extra_files)
        if cloud is not None:
            files["cloud.json"] = _cloud_text(cloud)
        if history is not None:
            import json

            files["history.json"] = json.dumps(history, indent=1, sort_keys=True) + "\n"
        if history is not None or cloud is not None:
            from prechecks.derive import derive

            derived = derive(part.derived.facts, history=history, cloud=cloud) if part.derived is not None else None
            parts[index] = replace(part, derived=derived, inputs=replace(part.inputs, extra_files=files))
    missing = [p for p in parts if p.derived is None]
    for part in missing:
        print(f"ps-prechecks: server {part.name} not collected: {part.error}"
              + (f" — {part.remedy}" if part.remedy else ""), file=sys.stderr)
    if len(missing) == len(parts):
        return _fail("no server could be collected; nothing was written", "fix the causes above and run again")
    for part in parts:  # a common password: redaction by value is unsafe (prechecks.redaction.secret_warnings)
        for note in (part.inputs.notes if part.inputs else []):
            print(f"ps-prechecks: server {part.name}: warning: {note}", file=sys.stderr)
    secrets = [secret for e in entries for secret in e.spec.secrets] + history_secrets
    try:
        prepared = prepare_servers_bundle(parts, timestamp, secrets=secrets, redact=args.redact, answers=answers,
                                          attachments=attachments, earlier_map=earlier)
        archive = write_bundle(prepared, output)
    except ValueError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"could not write the archive in {output}: {exc.strerror or exc}",
                     "free some space or choose another --output directory")
    args.archive_written = archive
    if not args.quiet:
        print(f"done: {len(parts) - len(missing)} of {len(parts)} servers collected, one folder each; "
              "servers.md says which is which", file=sys.stderr)
        _say_where_it_goes()
    print(archive)
    return EXIT_PARTIAL if missing else EXIT_OK


class _Watch:
    """--watch / --watch-resume, checked before connecting; ``journal`` is the one to resume (else None)."""

    def __init__(self, duration: float, interval: float, journal: Any) -> None:
        self.duration, self.interval, self.journal = duration, interval, journal
        self.path: Path | None = journal.path if journal is not None else None

    def kept_note(self) -> str:
        if self.path is None or not self.path.exists():
            return ""
        return f"the watch journal {self.path} keeps the samples: write the archive with --watch-resume {self.path}"

    def archived(self, quiet: bool) -> None:
        """The archive holds the samples: a journal this run made is removed; one the DBA named is kept."""
        if self.path is None:
            return
        if self.journal is not None:
            print(f"ps-prechecks: the watch journal {self.path} is kept (you named it); the archive holds its "
                  "samples, delete it when you no longer need it", file=sys.stderr)
            return
        try:
            self.path.unlink()
            self.path.parent.rmdir()  # only when no other journal is in it
        except OSError:
            pass
        if not quiet:
            print(f"ps-prechecks: the watch journal {self.path} was removed: the archive holds its samples "
                  "(history.json)", file=sys.stderr)


def _watch_plan(args: argparse.Namespace) -> _Watch | None:
    """The watch flags, strictly (WatchUsageError / JournalError: one line, exit 2)."""
    if not args.watch and not args.watch_resume:
        if args.watch_interval != "60":
            raise ValueError("--watch-interval needs --watch DURATION (or --watch-resume FILE)")
        return None
    from collectors.watch import parse_duration, parse_interval, read_journal

    if args.watch_resume:
        if args.watch or args.watch_interval != "60":
            raise ValueError("--watch-resume goes on with the journal's own duration and interval: leave out --watch "
                             "and --watch-interval")
        journal = read_journal(Path(os.path.expanduser(args.watch_resume)))
        return _Watch(float(journal.header["duration_seconds"]), journal.interval, journal)
    return _Watch(parse_duration(args.watch), parse_interval(args.watch_interval), None)


def _watch_server_problem(spec: ConnectionSpec, journal: Any) -> str | None:
    """Why this server is not the journal's (one line), None when it is. Connects once."""
    from collectors.watch import describe_server, identify, same_server

    try:
        identity = identify(spec)
    except ConnectionFailed as exc:
        return exc.problem.one_line()
    if same_server(identity, journal.header["server"]):
        return None
    return (f"--watch-resume {journal.path}: the journal is of {describe_server(journal.header['server'])}, but "
            f"{spec.target} is {describe_server(identity)} — connect to the server the watch was started on, or "
            "start a new watch with --watch")


def _watch_history(args: argparse.Namespace, spec: ConnectionSpec, watch: _Watch, timestamp: str,
                   output: Path) -> dict[str, Any]:
    """Watch (or go on watching) and return history.json's document. Ctrl-C ends the watch, not the run."""
    import math
    import time

    from collectors.watch import (
        Journal,
        JournalWriter,
        describe_seconds,
        history_from_journal,
        identify,
        journal_path,
        new_header,
        run_watch,
        summary_line,
    )

    journal = watch.journal
    if journal is None:
        header = new_header(spec, identify(spec), duration=watch.duration, interval=watch.interval, start=time.time())
        writer = JournalWriter.create(journal_path(output, timestamp), header)
        journal = Journal(writer.path, {"type": "watch", "format_version": 1, **header})
        watch.path = writer.path
    else:
        for note in journal.notes():
            print(f"ps-prechecks: watch: {note}", file=sys.stderr)
        writer = JournalWriter.resume(journal)
    every = max(1, math.ceil(60 / journal.interval))  # about a line a minute
    taken = [0]

    def on_sample(_sample: dict[str, Any]) -> None:
        taken[0] += 1
        if not args.quiet and taken[0] % every == 0:
            left = max(0.0, journal.until - time.time())
            _progress_line(f"         watch: {len(journal.samples)} samples, {describe_seconds(left)} left")

    try:
        left = journal.until - time.time()
        if left > 0:
            if not args.quiet:
                _progress_line(f"watching {spec.target}: one SHOW GLOBAL STATUS every {journal.interval:g} s for "
                               f"{describe_seconds(left)} (Ctrl-C stops it and writes the archive); journal: "
                               f"{journal.path} (--watch-resume {journal.path} goes on after a stop)")
            outcome = run_watch(spec, writer, journal, cancel=CancelToken(), on_sample=on_sample,
                                on_event=lambda text: print(f"ps-prechecks: watch: {text}", file=sys.stderr,
                                                            flush=True))
            if outcome.reason == "stopped":
                print(f"ps-prechecks: watch stopped after {outcome.samples_taken} samples: the archive is written "
                      "from what it has", file=sys.stderr, flush=True)
    finally:
        writer.close()
    document = history_from_journal(journal)
    if not args.quiet:
        _progress_line(f"watch: {summary_line(document)}")
    return document


def _save_samples(archive: Path, destination: Path, timestamp: str) -> None:
    """The archive's samples, as saved in it, into ``destination`` (0700 when made here, files 0600)."""
    import tarfile

    from prechecks.samples import save_sample_files

    prefix = f"ps_samples_{timestamp}/"
    files: dict[str, bytes] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.name.startswith(prefix) and member.isfile() else None
            if handle is not None:
                files[member.name[len(prefix):]] = handle.read()
    save_sample_files(destination, files)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    raw = list(sys.argv[1:] if argv is None else argv)
    args: Any = parser.parse_args(normalise_argv(raw))
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if hasattr(signal, "SIGTERM") else None
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalStream(sys.stdout), TerminalStream(sys.stderr)
    try:
        if args.questionnaire:  # no connection
            from prechecks.questionnaire import load_questionnaire, render_question_list

            print(render_question_list(load_questionnaire()), end="")
            return EXIT_OK
        if args.aws_policy:  # no connection, no AWS call
            from collectors.aws import missing_models, policy_json

            missing = missing_models()  # the policy is only as good as the calls the installed models allow
            if missing:
                return _fail(f"AWS service models missing from this installation: {', '.join(missing)}",
                             "reinstall ps-prechecks (the cloud part cannot run without them)")
            print(policy_json(), end="")
            return EXIT_OK
        if args.gcp_policy:  # no connection, no Google call
            from collectors.gcp import policy_text

            print(policy_text(), end="")
            return EXIT_OK
        if args.azure_policy:  # no connection, no Azure call
            from collectors.azure import policy_json as azure_policy_json

            print(azure_policy_json(), end="")
            return EXIT_OK
        if args.read_samples:
            return run_read_samples(args)
        return run_collection(args)
    except KeyboardInterrupt:
        written = getattr(args, "archive_written", None)
        what = f"the archive {written} is complete" if written else "nothing was written"
        print(f"ps-prechecks: interrupted — {what}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sys.stdout, sys.stderr = streams
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
