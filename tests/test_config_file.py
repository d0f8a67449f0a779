"""The server's option file: read only for a server on this machine, and never with its secrets."""

from __future__ import annotations

import json
from pathlib import Path

from prechecks.collection import RunOptions, collect
from tests.helpers import read_archive, run_cli, server_args, spec_for

PLANTED = ("planted-cnf-secret-1", "planted-included-secret-2", "planted-url-secret-3")


def _option_files(directory: Path) -> Path:
    included = directory / "conf.d"
    included.mkdir()
    (included / "client.cnf").write_text(
        f"[client]\nuser = app\npassword = {PLANTED[1]}\n", encoding="utf-8")
    main = directory / "my.cnf"
    main.write_text(
        "# the server's option file\n"
        "[mysqld]\n"
        "max_connections = 77\n"
        f"wsrep_sst_auth = sst:{PLANTED[0]}\n"
        f"# backup_url = mysql://backup:{PLANTED[2]}@db.internal/\n"
        f"!includedir {included}\n",
        encoding="utf-8",
    )
    return main


def test_local_server_option_file_is_collected_without_secrets(mariadb_factory, tmp_path: Path) -> None:
    config = _option_files(tmp_path)
    server = mariadb_factory(defaults_file=config)
    result = collect(spec_for(server), RunOptions(sleep=0.1))
    status = {r.name: r for r in result.results}["config_file"]
    assert status.status == "ok", status.reason
    assert result.facts["config_file"]["path"] == str(config)
    assert result.facts["config_file"]["found_by"] == "--defaults-file on the server's command line"
    assert "conf.d/client.cnf" in result.artifacts["mysql-config-file"]  # !includedir followed

    out = run_cli([*server_args(server), "--sleep=0.1", f"--output={tmp_path}"], password=server.root_password)
    assert out.returncode == 0, out.stderr
    files = read_archive(Path(out.stdout.strip().splitlines()[-1]))
    blob = b"".join(files.values())
    for secret in PLANTED:
        assert secret.encode() not in blob, secret
    assert server.root_password.encode() not in blob
    config_sample = next(v for k, v in files.items() if k.endswith("/mysql-config-file")).decode()
    assert "max_connections = 77" in config_sample
    assert "<redacted>" in config_sample
    facts = json.loads(files["facts.json"])
    assert "mysqld.wsrep_sst_auth" in facts["config_file"]["redacted"]
    assert "client.password" in facts["config_file"]["redacted"]
    # the server also shows wsrep_sst_auth as a variable: redacted at the source
    assert facts["variables"]["wsrep_sst_auth"] == "<redacted>"
    assert facts["variables_redacted"] == ["wsrep_sst_auth"]
    report = next(v for k, v in files.items() if k.startswith("ps_report_")).decode()
    assert f"Config File | {config}" in report


def test_remote_server_option_file_is_not_guessed(mariadb) -> None:
    """A server reached over a non-loopback address is not on this machine: say so, read nothing."""
    from dataclasses import replace

    import pytest

    from collectors.base import Context, Skip
    from collectors.connection import CancelToken, open_session
    from collectors.host import collect_config_file

    with open_session(spec_for(mariadb)) as session:
        session.spec = replace(session.spec, host="db.example.internal")
        ctx = Context(session, {"variables": {}}, {}, CancelToken())
        with pytest.raises(Skip, match="no evidence that the server runs on this machine"):
            collect_config_file(ctx)
        assert ctx.artifacts == {}


def test_variable_redaction_keeps_settings_and_hides_secrets() -> None:
    from collectors.server import redact_variables

    variables = {
        "wsrep_sst_auth": "sst:planted-1", "max_password_errors": "4294967295",
        "innodb_default_encryption_key_id": "1", "validate_password_policy": "MEDIUM",
        "report_password": "planted-2", "ssl_key": "/etc/mysql/server-key.pem",
        "log_backup_target": "s3://u:planted-3@bucket/x", "default_password_lifetime": "0",
        "wsrep_cluster_address": "gcomm://10.0.0.1,10.0.0.2",
        "server_audit_incl_users": "planted_user_4", "audit_log_exclude_accounts": "planted_user_5@%",
        "server_audit_events": "CONNECT,QUERY",
    }
    clean, redacted = redact_variables(variables)
    assert redacted == ["audit_log_exclude_accounts", "log_backup_target", "report_password",
                        "server_audit_incl_users", "wsrep_sst_auth"]
    assert clean["server_audit_events"] == "CONNECT,QUERY"
    assert "planted" not in repr(clean)
    assert clean["ssl_key"] == "/etc/mysql/server-key.pem"
    assert clean["wsrep_cluster_address"] == "gcomm://10.0.0.1,10.0.0.2"
    # the captured real servers' variables carry no secret and lose nothing
    for sample in ("pt-temp002", "pt-temp_enc008", "ps-prechecks-mariadb-10.11"):
        lines = (Path(__file__).parent / "data" / "samples" / sample / "mysql-variables").read_text().splitlines()
        captured = dict(line.split("\t", 1) for line in lines if "\t" in line)
        assert redact_variables(captured) == (captured, [])
