"""Hosting-platform settings that live outside SHOW VARIABLES.

Amazon RDS and Aurora keep the binary log retention in their own configuration table, read with
`CALL mysql.rds_show_configuration` (a read-only procedure RDS installs; its one result set has the
columns name, value, description). `binlog retention hours` NULL means RDS purges binary logs as
soon as it can. Only this collector sends the CALL, and only when `server.platform` is rds or aurora.
"""

from __future__ import annotations

from typing import Any

from mysql.connector import errors as mysql_errors

from collectors.base import Collector, Context, Skip
from collectors.connection import is_privilege_error, is_unsupported_error

RDS_PLATFORMS = ("rds", "aurora")
# ER_SP_DOES_NOT_EXIST: the procedure is not there (not really RDS, or a restricted account)
_NO_PROCEDURE = 1305


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return str(value)


def collect_rds_configuration(ctx: Context) -> None:
    platform = (ctx.facts.get("server") or {}).get("platform")
    if platform not in RDS_PLATFORMS:
        raise Skip(f"only on Amazon RDS and Aurora (this server's platform is {platform or 'unknown'})")
    try:
        result = ctx.query("CALL mysql.rds_show_configuration")
    except mysql_errors.Error as exc:
        if exc.errno == _NO_PROCEDURE or is_unsupported_error(exc):
            raise Skip(f"mysql.rds_show_configuration is not on this server (errno {exc.errno})") from None
        if is_privilege_error(exc):
            raise Skip(f"the account may not run mysql.rds_show_configuration (errno {exc.errno});"
                       " GRANT EXECUTE ON PROCEDURE mysql.rds_show_configuration TO 'user'@'host';") from None
        raise
    columns = [c.lower() for c in result.columns]
    name_at = columns.index("name") if "name" in columns else 0
    value_at = columns.index("value") if "value" in columns else 1
    config: dict[str, str | None] = {}
    for row in result.rows:
        name = _text(row[name_at])
        if name is not None:
            config[name] = _text(row[value_at]) if len(row) > value_at else None
    ctx.facts["rds_configuration"] = config


RDS_CONFIGURATION = Collector(
    name="rds_configuration",
    title="Amazon RDS / Aurora configuration (binlog retention hours)",
    reads=("CALL mysql.rds_show_configuration (RDS and Aurora only; a read-only procedure)",),
    writes=("rds_configuration",),
    collect=collect_rds_configuration,
    expected_seconds=0.05,
)

__all__ = ["RDS_CONFIGURATION", "RDS_PLATFORMS"]
