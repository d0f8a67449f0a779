"""Server profiles for the MySQL protocol-level stand-in (see ``tests/standin/mysql8.py``).

A profile is *data*: the result sets one server kind answers. ``percona-8.0.32`` comes from real
captures (``captures/percona-8.0.32/``); every other profile is derived from it in code and changes
only what the target server is known to change (version strings, variable names, the replication
statements it accepts or rejects with ER_PARSE_ERROR, hosting-platform markers).

None of this is a MySQL server: it cannot plan queries, it only answers these result sets.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

CAPTURES = Path(__file__).resolve().parent / "captures"
PERCONA_CAPTURE = CAPTURES / "percona-8.0.32"

#: A literal that sits inside a running query's text in every profile's processlist, so tests can
#: prove that no collector copies query text into facts, samples or the report.
SECRET_LITERAL = "secret-literal-4242"

STANDIN_USER = "root"
STANDIN_PASSWORD = "standin-pw"

Row = tuple[object, ...]


@dataclass(frozen=True)
class ResultSetData:
    """A result set: column names (as the real server names them) and rows."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...] = ()


@dataclass(frozen=True)
class ServerError:
    """An error the real server answers for a statement (errno and its exact message)."""

    errno: int
    message: str


Response = ResultSetData | ServerError


def syntax_error(near: str, product: str = "MySQL") -> ServerError:
    """ER_PARSE_ERROR (1064) worded as the server words it."""
    return ServerError(
        1064,
        "You have an error in your SQL syntax; check the manual that corresponds to your "
        f"{product} server version for the right syntax to use near '{near}' at line 1",
    )


@dataclass
class Profile:
    """Everything one stand-in server kind answers.

    ``responses`` is keyed by the normalised statement text (upper case, single spaces, no
    trailing ``;``, no ``FOR CHANNEL`` suffix, no ``()`` after a CALLed procedure name).
    ``info_schema`` is keyed by ``"information_schema.tables"``-style lower-case names; the
    stand-in answers SELECTs against those tables with sqlglot's executor.
    """

    name: str
    variables: dict[str, str]
    status: dict[str, str]
    status_second: dict[str, str]
    databases: list[str]
    grants: list[str]
    processlist: ResultSetData
    responses: dict[str, Response]
    info_schema: dict[str, ResultSetData]
    functions: dict[str, object] = field(default_factory=dict)
    auth_plugin: str = "caching_sha2_password"
    user: str = STANDIN_USER
    user_host: str = "%"
    password: str = STANDIN_PASSWORD

    @property
    def version(self) -> str:
        return self.variables["version"]

    @property
    def version_comment(self) -> str:
        return self.variables["version_comment"]


# --------------------------------------------------------------------------------------------
# capture readers


def _read(name: str) -> str:
    return (PERCONA_CAPTURE / name).read_text(encoding="utf-8")


def read_tab_pairs(text: str) -> dict[str, str]:
    """``name<TAB>value`` lines (pt-mysql-summary's internal lines have no tab and are skipped)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if "\t" in line:
            name, _, value = line.partition("\t")
            out[name] = value
    return out


def read_tab_rows(text: str) -> list[tuple[str, ...]]:
    return [tuple(line.split("\t")) for line in text.splitlines() if line]


def read_vertical(text: str) -> list[dict[str, str]]:
    r"""``\G`` output: ``*** N. row ***`` separators, then right-aligned ``name: value`` lines."""
    rows: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    last: str | None = None
    for line in text.splitlines():
        if re.match(r"^\*+ \d+\. row \*+$", line):
            current = {}
            rows.append(current)
            last = None
            continue
        if current is None:
            continue
        m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*): ?(.*)$", line)
        # SHOW ENGINE INNODB STATUS's Status is last and multi-line, with "Ibuf: size 1" lines in it
        if m and (last is None or m.group(1) not in current) and last != "Status":
            last = m.group(1)
            current[last] = m.group(2)
        elif last is not None:  # continuation of a multi-line value (SHOW ENGINE INNODB STATUS)
            current[last] += "\n" + line
    return rows


def _null(value: str) -> str | None:
    return None if value == "NULL" else value


def _num(value: str | None) -> object:
    if value is not None and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


# --------------------------------------------------------------------------------------------
# shared result-set shapes

REPLICA_STATUS_COLUMNS_80 = (
    "Replica_IO_State", "Source_Host", "Source_User", "Source_Port", "Connect_Retry",
    "Source_Log_File", "Read_Source_Log_Pos", "Relay_Log_File", "Relay_Log_Pos",
    "Relay_Source_Log_File", "Replica_IO_Running", "Replica_SQL_Running", "Replicate_Do_DB",
    "Replicate_Ignore_DB", "Replicate_Do_Table", "Replicate_Ignore_Table",
    "Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Last_Errno", "Last_Error",
    "Skip_Counter", "Exec_Source_Log_Pos", "Relay_Log_Space", "Until_Condition", "Until_Log_File",
    "Until_Log_Pos", "Source_SSL_Allowed", "Source_SSL_CA_File", "Source_SSL_CA_Path",
    "Source_SSL_Cert", "Source_SSL_Cipher", "Source_SSL_Key", "Seconds_Behind_Source",
    "Source_SSL_Verify_Server_Cert", "Last_IO_Errno", "Last_IO_Error", "Last_SQL_Errno",
    "Last_SQL_Error", "Replicate_Ignore_Server_Ids", "Source_Server_Id", "Source_UUID",
    "Source_Info_File", "SQL_Delay", "SQL_Remaining_Delay", "Replica_SQL_Running_State",
    "Source_Retry_Count", "Source_Bind", "Last_IO_Error_Timestamp", "Last_SQL_Error_Timestamp",
    "Source_SSL_Crl", "Source_SSL_Crlpath", "Retrieved_Gtid_Set", "Executed_Gtid_Set",
    "Auto_Position", "Replicate_Rewrite_DB", "Channel_Name", "Source_TLS_Version",
    "Source_public_key_path", "Get_Source_public_key", "Network_Namespace",
)  # fmt: skip


def old_replication_name(name: str) -> str:
    """MySQL 8.0.22+ column name -> the SHOW SLAVE STATUS name for the same column."""
    if name == "Get_Source_public_key":
        return "Get_master_public_key"
    return name.replace("Replica", "Slave").replace("Source", "Master")


SLAVE_STATUS_COLUMNS_80 = tuple(old_replication_name(c) for c in REPLICA_STATUS_COLUMNS_80)
# 5.7 has neither the public-key columns (8.0.4) nor Network_Namespace (8.0.22).
SLAVE_STATUS_COLUMNS_57 = SLAVE_STATUS_COLUMNS_80[:-3]

REPLICAS_COLUMNS = ("Server_Id", "Host", "Port", "Source_Id", "Replica_UUID")
SLAVE_HOSTS_COLUMNS = ("Server_id", "Host", "Port", "Master_id", "Slave_UUID")
MASTER_STATUS_COLUMNS = ("File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set")
BINARY_LOGS_COLUMNS_80 = ("Log_name", "File_size", "Encrypted")
BINARY_LOGS_COLUMNS_57 = ("Log_name", "File_size")
PROCESSLIST_COLUMNS = ("Id", "User", "Host", "db", "Command", "Time", "State", "Info")
PERCONA_PROCESSLIST_EXTRA = ("Time_ms", "Rows_sent", "Rows_examined")

RDS_CONFIGURATION = ResultSetData(
    ("name", "value", "description"),
    (
        (
            "binlog retention hours",
            None,
            "binlog retention hours specifies the duration in hours before binary logs are "
            "automatically deleted.",
        ),
        (
            "source delay",
            "0",
            "source delay specifies replication delay in seconds between current instance and "
            "its master.",
        ),
        (
            "target delay",
            "0",
            "target delay specifies replication delay in seconds between current instance and "
            "its future read-replica.",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# information_schema: column lists of MySQL 8.0 and a small sakila-like data set

IS_COLUMNS: dict[str, tuple[str, ...]] = {
    "tables": (
        "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "ENGINE", "VERSION",
        "ROW_FORMAT", "TABLE_ROWS", "AVG_ROW_LENGTH", "DATA_LENGTH", "MAX_DATA_LENGTH",
        "INDEX_LENGTH", "DATA_FREE", "AUTO_INCREMENT", "CREATE_TIME", "UPDATE_TIME", "CHECK_TIME",
        "TABLE_COLLATION", "CHECKSUM", "CREATE_OPTIONS", "TABLE_COMMENT",
    ),
    "schemata": (
        "CATALOG_NAME", "SCHEMA_NAME", "DEFAULT_CHARACTER_SET_NAME", "DEFAULT_COLLATION_NAME",
        "SQL_PATH", "DEFAULT_ENCRYPTION",
    ),
    "routines": (
        "SPECIFIC_NAME", "ROUTINE_CATALOG", "ROUTINE_SCHEMA", "ROUTINE_NAME", "ROUTINE_TYPE",
        "DATA_TYPE", "CHARACTER_MAXIMUM_LENGTH", "CHARACTER_OCTET_LENGTH", "NUMERIC_PRECISION",
        "NUMERIC_SCALE", "DATETIME_PRECISION", "CHARACTER_SET_NAME", "COLLATION_NAME",
        "DTD_IDENTIFIER", "ROUTINE_BODY", "ROUTINE_DEFINITION", "EXTERNAL_NAME",
        "EXTERNAL_LANGUAGE", "PARAMETER_STYLE", "IS_DETERMINISTIC", "SQL_DATA_ACCESS", "SQL_PATH",
        "SECURITY_TYPE", "CREATED", "LAST_ALTERED", "SQL_MODE", "ROUTINE_COMMENT", "DEFINER",
        "CHARACTER_SET_CLIENT", "COLLATION_CONNECTION", "DATABASE_COLLATION",
    ),
    "triggers": (
        "TRIGGER_CATALOG", "TRIGGER_SCHEMA", "TRIGGER_NAME", "EVENT_MANIPULATION",
        "EVENT_OBJECT_CATALOG", "EVENT_OBJECT_SCHEMA", "EVENT_OBJECT_TABLE", "ACTION_ORDER",
        "ACTION_CONDITION", "ACTION_STATEMENT", "ACTION_ORIENTATION", "ACTION_TIMING",
        "ACTION_REFERENCE_OLD_TABLE", "ACTION_REFERENCE_NEW_TABLE", "ACTION_REFERENCE_OLD_ROW",
        "ACTION_REFERENCE_NEW_ROW", "CREATED", "SQL_MODE", "DEFINER", "CHARACTER_SET_CLIENT",
        "COLLATION_CONNECTION", "DATABASE_COLLATION",
    ),
    "events": (
        "EVENT_CATALOG", "EVENT_SCHEMA", "EVENT_NAME", "DEFINER", "TIME_ZONE", "EVENT_BODY",
        "EVENT_DEFINITION", "EVENT_TYPE", "EXECUTE_AT", "INTERVAL_VALUE", "INTERVAL_FIELD",
        "SQL_MODE", "STARTS", "ENDS", "STATUS", "ON_COMPLETION", "CREATED", "LAST_ALTERED",
        "LAST_EXECUTED", "EVENT_COMMENT", "ORIGINATOR", "CHARACTER_SET_CLIENT",
        "COLLATION_CONNECTION", "DATABASE_COLLATION",
    ),
    "views": (
        "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "VIEW_DEFINITION", "CHECK_OPTION",
        "IS_UPDATABLE", "DEFINER", "SECURITY_TYPE", "CHARACTER_SET_CLIENT", "COLLATION_CONNECTION",
    ),
    "columns": (
        "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION",
        "COLUMN_DEFAULT", "IS_NULLABLE", "DATA_TYPE", "CHARACTER_MAXIMUM_LENGTH",
        "CHARACTER_OCTET_LENGTH", "NUMERIC_PRECISION", "NUMERIC_SCALE", "DATETIME_PRECISION",
        "CHARACTER_SET_NAME", "COLLATION_NAME", "COLUMN_TYPE", "COLUMN_KEY", "EXTRA", "PRIVILEGES",
        "COLUMN_COMMENT", "GENERATION_EXPRESSION", "SRS_ID",
    ),
    "statistics": (
        "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "NON_UNIQUE", "INDEX_SCHEMA", "INDEX_NAME",
        "SEQ_IN_INDEX", "COLUMN_NAME", "COLLATION", "CARDINALITY", "SUB_PART", "PACKED",
        "NULLABLE", "INDEX_TYPE", "COMMENT", "INDEX_COMMENT", "IS_VISIBLE", "EXPRESSION",
    ),
    "partitions": (
        "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "PARTITION_NAME", "SUBPARTITION_NAME",
        "PARTITION_ORDINAL_POSITION", "SUBPARTITION_ORDINAL_POSITION", "PARTITION_METHOD",
        "SUBPARTITION_METHOD", "PARTITION_EXPRESSION", "SUBPARTITION_EXPRESSION",
        "PARTITION_DESCRIPTION", "TABLE_ROWS", "AVG_ROW_LENGTH", "DATA_LENGTH", "MAX_DATA_LENGTH",
        "INDEX_LENGTH", "DATA_FREE", "CREATE_TIME", "UPDATE_TIME", "CHECK_TIME", "CHECKSUM",
        "PARTITION_COMMENT", "NODEGROUP", "TABLESPACE_NAME",
    ),
    "referential_constraints": (
        "CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "UNIQUE_CONSTRAINT_CATALOG",
        "UNIQUE_CONSTRAINT_SCHEMA", "UNIQUE_CONSTRAINT_NAME", "MATCH_OPTION", "UPDATE_RULE",
        "DELETE_RULE", "TABLE_NAME", "REFERENCED_TABLE_NAME",
    ),
    "table_constraints": (
        "CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "TABLE_SCHEMA", "TABLE_NAME",
        "CONSTRAINT_TYPE", "ENFORCED",
    ),
    "key_column_usage": (
        "CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "TABLE_CATALOG", "TABLE_SCHEMA",
        "TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION", "POSITION_IN_UNIQUE_CONSTRAINT",
        "REFERENCED_TABLE_SCHEMA", "REFERENCED_TABLE_NAME", "REFERENCED_COLUMN_NAME",
    ),
    "check_constraints": ("CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "CHECK_CLAUSE"),
    "collations": (
        "COLLATION_NAME", "CHARACTER_SET_NAME", "ID", "IS_DEFAULT", "IS_COMPILED", "SORTLEN", "PAD_ATTRIBUTE",
    ),
    "plugins": (
        "PLUGIN_NAME", "PLUGIN_VERSION", "PLUGIN_STATUS", "PLUGIN_TYPE", "PLUGIN_TYPE_VERSION",
        "PLUGIN_LIBRARY", "PLUGIN_LIBRARY_VERSION", "PLUGIN_AUTHOR", "PLUGIN_DESCRIPTION",
        "PLUGIN_LICENSE", "LOAD_OPTION",
    ),
    "engines": ("ENGINE", "SUPPORT", "COMMENT", "TRANSACTIONS", "XA", "SAVEPOINTS"),
}  # fmt: skip

SYSTEM_SCHEMAS = ("information_schema", "mysql", "performance_schema", "sys")

# (schema, name, type, engine, row_format, rows, data_length, index_length, create_options)
_TABLES: tuple[tuple[str, str, str, str | None, str | None, int | None, int | None, int | None, str], ...] = (
    ("mysql", "user", "BASE TABLE", "InnoDB", "Dynamic", 6, 16384, 0, "stats_persistent=0"),
    ("mysql", "db", "BASE TABLE", "InnoDB", "Dynamic", 2, 16384, 16384, "stats_persistent=0"),
    ("sys", "sys_config", "BASE TABLE", "InnoDB", "Dynamic", 6, 16384, 0, ""),
    ("sys", "host_summary", "VIEW", None, None, None, None, None, ""),
    ("performance_schema", "accounts", "BASE TABLE", "PERFORMANCE_SCHEMA", "Fixed", 128, 0, 0, ""),
    ("information_schema", "TABLES", "SYSTEM VIEW", None, None, None, None, None, ""),
    ("sakila", "actor", "BASE TABLE", "InnoDB", "Dynamic", 200, 16384, 16384, ""),
    ("sakila", "address", "BASE TABLE", "InnoDB", "Dynamic", 603, 98304, 16384, ""),
    ("sakila", "customer", "BASE TABLE", "InnoDB", "Dynamic", 599, 81920, 49152, ""),
    ("sakila", "film", "BASE TABLE", "InnoDB", "Dynamic", 1000, 196608, 81920, ""),
    ("sakila", "payment", "BASE TABLE", "InnoDB", "Dynamic", 16086, 1589248, 638976, ""),
    ("sakila", "rental", "BASE TABLE", "InnoDB", "Dynamic", 16419, 1589248, 1196032, ""),
    ("sakila", "actor_info", "VIEW", None, None, None, None, None, ""),
    ("sakila", "film_list", "VIEW", None, None, None, None, None, ""),
    ("test", "t1", "BASE TABLE", "InnoDB", "Dynamic", 3, 16384, 0, ""),
    ("test", "legacy_myisam", "BASE TABLE", "MyISAM", "Fixed", 10, 130, 1024, ""),
    ("test", "t_part", "BASE TABLE", "InnoDB", "Dynamic", 20, 32768, 0, "partitioned"),
)  # fmt: skip

_COLUMNS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    # schema, table, column, data_type, column_type, column_key, extra
    ("sakila", "actor", "actor_id", "smallint", "smallint unsigned", "PRI", "auto_increment"),
    ("sakila", "actor", "first_name", "varchar", "varchar(45)", "", ""),
    ("sakila", "actor", "last_name", "varchar", "varchar(45)", "MUL", ""),
    ("sakila", "actor", "last_update", "timestamp", "timestamp", "", "DEFAULT_GENERATED on update CURRENT_TIMESTAMP"),
    ("sakila", "customer", "customer_id", "smallint", "smallint unsigned", "PRI", "auto_increment"),
    ("sakila", "customer", "email", "varchar", "varchar(50)", "", ""),
    ("sakila", "customer", "address_id", "smallint", "smallint unsigned", "MUL", ""),
    ("sakila", "address", "address_id", "smallint", "smallint unsigned", "PRI", "auto_increment"),
    ("sakila", "address", "address", "varchar", "varchar(50)", "", ""),
    ("sakila", "film", "film_id", "smallint", "smallint unsigned", "PRI", "auto_increment"),
    ("sakila", "film", "title", "varchar", "varchar(128)", "MUL", ""),
    ("sakila", "rental", "rental_id", "int", "int", "PRI", "auto_increment"),
    ("sakila", "rental", "rental_date", "datetime", "datetime", "", ""),
    ("sakila", "payment", "payment_id", "smallint", "smallint unsigned", "PRI", "auto_increment"),
    ("sakila", "payment", "customer_id", "smallint", "smallint unsigned", "MUL", ""),
    ("sakila", "payment", "amount", "decimal", "decimal(5,2)", "", ""),
    ("test", "t1", "id", "int", "int", "PRI", ""),
    ("test", "t1", "payload", "json", "json", "", ""),
    ("test", "legacy_myisam", "a", "int", "int", "", ""),
    ("test", "legacy_myisam", "b", "varchar", "varchar(10)", "", ""),
    ("test", "t_part", "id", "int", "int", "PRI", ""),
    ("test", "t_part", "created", "date", "date", "PRI", ""),
)  # fmt: skip

_ENGINES: tuple[Row, ...] = (
    ("ndbcluster", "NO", "Clustered, fault-tolerant tables", None, None, None),
    ("MEMORY", "YES", "Hash based, stored in memory, useful for temporary tables", "NO", "NO", "NO"),
    ("InnoDB", "DEFAULT", "Supports transactions, row-level locking, and foreign keys", "YES", "YES", "YES"),
    ("PERFORMANCE_SCHEMA", "YES", "Performance Schema", "NO", "NO", "NO"),
    ("MyISAM", "YES", "MyISAM storage engine", "NO", "NO", "NO"),
    ("MRG_MYISAM", "YES", "Collection of identical MyISAM tables", "NO", "NO", "NO"),
    ("BLACKHOLE", "YES", "/dev/null storage engine (anything you write to it disappears)", "NO", "NO", "NO"),
    ("CSV", "YES", "CSV storage engine", "NO", "NO", "NO"),
    ("ARCHIVE", "YES", "Archive storage engine", "NO", "NO", "NO"),
)  # fmt: skip


_COLLATIONS: tuple[tuple[str, str, int, str], ...] = (
    ("utf8mb4_0900_ai_ci", "utf8mb4", 255, "Yes"),
    ("utf8mb4_general_ci", "utf8mb4", 45, ""),
    ("utf8mb3_general_ci", "utf8mb3", 33, "Yes"),
    ("latin1_swedish_ci", "latin1", 8, "Yes"),
    ("ascii_general_ci", "ascii", 11, "Yes"),
    ("binary", "binary", 63, "Yes"),
    ("ujis_japanese_ci", "ujis", 12, "Yes"),
    ("sjis_japanese_ci", "sjis", 13, "Yes"),
    ("cp1251_general_ci", "cp1251", 51, "Yes"),
)  # fmt: skip


def _rows(table: str, dicts: Iterable[Mapping[str, object]]) -> ResultSetData:
    cols = IS_COLUMNS[table]
    return ResultSetData(cols, tuple(tuple(d.get(c) for c in cols) for d in dicts))


def build_info_schema(databases: Iterable[str], plugins: Iterable[Row]) -> dict[str, ResultSetData]:
    """information_schema tables for the sakila-like data set, limited to ``databases``."""
    dbs = set(databases)
    created = "2023-07-11 11:21:02"
    tables = [t for t in _TABLES if t[0] in dbs]
    out: dict[str, ResultSetData] = {}
    out["tables"] = _rows(
        "tables",
        (
            {
                "TABLE_CATALOG": "def", "TABLE_SCHEMA": s, "TABLE_NAME": n, "TABLE_TYPE": ty,
                "ENGINE": eng, "VERSION": 10 if eng else None, "ROW_FORMAT": rf, "TABLE_ROWS": rows,
                "AVG_ROW_LENGTH": (dl // rows if rows and dl is not None else 0) if eng else None,
                "DATA_LENGTH": dl, "MAX_DATA_LENGTH": 0 if eng else None, "INDEX_LENGTH": il,
                "DATA_FREE": 0 if eng else None, "CREATE_TIME": created,
                "TABLE_COLLATION": "utf8mb4_0900_ai_ci" if eng else None,
                "CREATE_OPTIONS": co, "TABLE_COMMENT": "VIEW" if ty == "VIEW" else "",
            }
            for s, n, ty, eng, rf, rows, dl, il, co in tables
        ),
    )  # fmt: skip
    out["schemata"] = _rows(
        "schemata",
        (
            {
                "CATALOG_NAME": "def", "SCHEMA_NAME": d, "DEFAULT_CHARACTER_SET_NAME": "utf8mb4",
                "DEFAULT_COLLATION_NAME": "utf8mb4_0900_ai_ci", "DEFAULT_ENCRYPTION": "NO",
            }
            for d in sorted(dbs)
        ),
    )  # fmt: skip
    routines = [
        ("sakila", "film_in_stock", "PROCEDURE", ""),
        ("sakila", "film_not_in_stock", "PROCEDURE", ""),
        ("sakila", "rewards_report", "PROCEDURE", ""),
        ("sakila", "get_customer_balance", "FUNCTION", "decimal"),
        ("sakila", "inventory_held_by_customer", "FUNCTION", "int"),
        ("sys", "version_major", "FUNCTION", "tinyint"),
    ]
    out["routines"] = _rows(
        "routines",
        (
            {
                "SPECIFIC_NAME": n, "ROUTINE_CATALOG": "def", "ROUTINE_SCHEMA": s, "ROUTINE_NAME": n,
                "ROUTINE_TYPE": ty, "DATA_TYPE": dt, "ROUTINE_BODY": "SQL",
                "ROUTINE_DEFINITION": "BEGIN END", "PARAMETER_STYLE": "SQL", "IS_DETERMINISTIC": "NO",
                "SQL_DATA_ACCESS": "READS SQL DATA", "SECURITY_TYPE": "DEFINER", "CREATED": created,
                "LAST_ALTERED": created, "SQL_MODE": "", "ROUTINE_COMMENT": "",
                "DEFINER": "root@localhost" if s != "sys" else "mysql.sys@localhost",
                "CHARACTER_SET_CLIENT": "utf8mb4", "COLLATION_CONNECTION": "utf8mb4_0900_ai_ci",
                "DATABASE_COLLATION": "utf8mb4_0900_ai_ci",
            }
            for s, n, ty, dt in routines
            if s in dbs
        ),
    )  # fmt: skip
    triggers = [
        ("customer_create_date", "INSERT", "customer", "BEFORE"),
        ("ins_film", "INSERT", "film", "AFTER"),
        ("upd_film", "UPDATE", "film", "AFTER"),
        ("del_film", "DELETE", "film", "AFTER"),
        ("payment_date", "INSERT", "payment", "BEFORE"),
        ("rental_date", "INSERT", "rental", "BEFORE"),
    ]
    out["triggers"] = _rows(
        "triggers",
        (
            {
                "TRIGGER_CATALOG": "def", "TRIGGER_SCHEMA": "sakila", "TRIGGER_NAME": n,
                "EVENT_MANIPULATION": ev, "EVENT_OBJECT_CATALOG": "def",
                "EVENT_OBJECT_SCHEMA": "sakila", "EVENT_OBJECT_TABLE": t, "ACTION_ORDER": 1,
                "ACTION_STATEMENT": "SET NEW.last_update = NOW()", "ACTION_ORIENTATION": "ROW",
                "ACTION_TIMING": tm, "ACTION_REFERENCE_OLD_ROW": "OLD",
                "ACTION_REFERENCE_NEW_ROW": "NEW", "CREATED": created, "SQL_MODE": "",
                "DEFINER": "root@localhost", "CHARACTER_SET_CLIENT": "utf8mb4",
                "COLLATION_CONNECTION": "utf8mb4_0900_ai_ci", "DATABASE_COLLATION": "utf8mb4_0900_ai_ci",
            }
            for n, ev, t, tm in triggers
            if "sakila" in dbs
        ),
    )  # fmt: skip
    out["events"] = _rows(
        "events",
        (
            {
                "EVENT_CATALOG": "def", "EVENT_SCHEMA": "test", "EVENT_NAME": "ev_purge",
                "DEFINER": "root@localhost", "TIME_ZONE": "SYSTEM", "EVENT_BODY": "SQL",
                "EVENT_DEFINITION": "DELETE FROM test.t1 WHERE id < 0", "EVENT_TYPE": "RECURRING",
                "INTERVAL_VALUE": "1", "INTERVAL_FIELD": "DAY", "SQL_MODE": "", "STARTS": created,
                "STATUS": "ENABLED", "ON_COMPLETION": "NOT PRESERVE", "CREATED": created,
                "LAST_ALTERED": created, "EVENT_COMMENT": "", "ORIGINATOR": 1,
                "CHARACTER_SET_CLIENT": "utf8mb4", "COLLATION_CONNECTION": "utf8mb4_0900_ai_ci",
                "DATABASE_COLLATION": "utf8mb4_0900_ai_ci",
            }
            for _ in range(1 if "test" in dbs else 0)
        ),
    )  # fmt: skip
    out["views"] = _rows(
        "views",
        (
            {
                "TABLE_CATALOG": "def", "TABLE_SCHEMA": s, "TABLE_NAME": n,
                "VIEW_DEFINITION": "select 1", "CHECK_OPTION": "NONE", "IS_UPDATABLE": "NO",
                "DEFINER": "root@localhost", "SECURITY_TYPE": "DEFINER",
                "CHARACTER_SET_CLIENT": "utf8mb4", "COLLATION_CONNECTION": "utf8mb4_0900_ai_ci",
            }
            for s, n, ty, *_ in tables
            if ty == "VIEW"
        ),
    )  # fmt: skip
    pos: dict[tuple[str, str], int] = {}
    col_dicts = []
    for s, t, c, dt, ct, key, extra in _COLUMNS:
        if s not in dbs:
            continue
        pos[(s, t)] = pos.get((s, t), 0) + 1
        col_dicts.append(
            {
                "TABLE_CATALOG": "def", "TABLE_SCHEMA": s, "TABLE_NAME": t, "COLUMN_NAME": c,
                "ORDINAL_POSITION": pos[(s, t)], "IS_NULLABLE": "NO" if key == "PRI" else "YES",
                "DATA_TYPE": dt, "COLUMN_TYPE": ct, "COLUMN_KEY": key, "EXTRA": extra,
                "PRIVILEGES": "select,insert,update,references", "COLUMN_COMMENT": "",
                "GENERATION_EXPRESSION": "",
            }
        )  # fmt: skip
    out["columns"] = _rows("columns", col_dicts)
    indexes = [
        ("sakila", "actor", 0, "PRIMARY", 1, "actor_id", 200),
        ("sakila", "actor", 1, "idx_actor_last_name", 1, "last_name", 121),
        ("sakila", "customer", 0, "PRIMARY", 1, "customer_id", 599),
        ("sakila", "customer", 1, "idx_fk_address_id", 1, "address_id", 599),
        ("sakila", "payment", 0, "PRIMARY", 1, "payment_id", 16086),
        ("sakila", "payment", 1, "idx_fk_customer_id", 1, "customer_id", 599),
        ("test", "t1", 0, "PRIMARY", 1, "id", 3),
        ("test", "t_part", 0, "PRIMARY", 1, "id", 20),
        ("test", "t_part", 0, "PRIMARY", 2, "created", 20),
    ]
    out["statistics"] = _rows(
        "statistics",
        (
            {
                "TABLE_CATALOG": "def", "TABLE_SCHEMA": s, "TABLE_NAME": t, "NON_UNIQUE": nu,
                "INDEX_SCHEMA": s, "INDEX_NAME": i, "SEQ_IN_INDEX": seq, "COLUMN_NAME": c,
                "COLLATION": "A", "CARDINALITY": card, "NULLABLE": "", "INDEX_TYPE": "BTREE",
                "COMMENT": "", "INDEX_COMMENT": "", "IS_VISIBLE": "YES",
            }
            for s, t, nu, i, seq, c, card in indexes
            if s in dbs
        ),
    )  # fmt: skip
    part_dicts: list[dict[str, object]] = []
    for s, n, ty, _eng, _rf, rows, dl, il, co in tables:
        if ty == "VIEW" or s == "information_schema":
            continue
        if co == "partitioned":
            for i, (p, desc) in enumerate((("p2023", "738886"), ("pmax", "MAXVALUE")), start=1):
                part_dicts.append(
                    {
                        "TABLE_CATALOG": "def", "TABLE_SCHEMA": s, "TABLE_NAME": n,
                        "PARTITION_NAME": p, "PARTITION_ORDINAL_POSITION": i,
                        "PARTITION_METHOD": "RANGE", "PARTITION_EXPRESSION": "to_days(`created`)",
                        "PARTITION_DESCRIPTION": desc, "TABLE_ROWS": (rows or 0) // 2,
                        "DATA_LENGTH": (dl or 0) // 2, "INDEX_LENGTH": 0, "DATA_FREE": 0,
                        "PARTITION_COMMENT": "", "NODEGROUP": "default",
                    }
                )  # fmt: skip
        else:
            part_dicts.append(
                {
                    "TABLE_CATALOG": "def", "TABLE_SCHEMA": s, "TABLE_NAME": n, "TABLE_ROWS": rows,
                    "DATA_LENGTH": dl, "INDEX_LENGTH": il, "DATA_FREE": 0, "PARTITION_COMMENT": "",
                }
            )  # fmt: skip
    out["partitions"] = _rows("partitions", part_dicts)
    fks = [("fk_payment_customer", "payment", "customer"), ("fk_customer_address", "customer", "address")]
    out["referential_constraints"] = _rows(
        "referential_constraints",
        (
            {
                "CONSTRAINT_CATALOG": "def", "CONSTRAINT_SCHEMA": "sakila", "CONSTRAINT_NAME": n,
                "UNIQUE_CONSTRAINT_CATALOG": "def", "UNIQUE_CONSTRAINT_SCHEMA": "sakila",
                "UNIQUE_CONSTRAINT_NAME": "PRIMARY", "MATCH_OPTION": "NONE", "UPDATE_RULE": "CASCADE",
                "DELETE_RULE": "RESTRICT", "TABLE_NAME": t, "REFERENCED_TABLE_NAME": r,
            }
            for n, t, r in fks
            if "sakila" in dbs
        ),
    )  # fmt: skip
    constraints = [
        (s, t, "PRIMARY", "PRIMARY KEY") for s, t, _nu, i, seq, _c, _ in indexes if i == "PRIMARY" and seq == 1
    ]
    constraints += [("sakila", t, n, "FOREIGN KEY") for n, t, _ in fks]
    checks = [("sakila", "payment", "payment_chk_amount", "(`amount` >= 0)")]
    constraints += [(s, t, n, "CHECK") for s, t, n, _clause in checks]
    out["check_constraints"] = _rows(
        "check_constraints",
        (
            {"CONSTRAINT_CATALOG": "def", "CONSTRAINT_SCHEMA": s, "CONSTRAINT_NAME": n, "CHECK_CLAUSE": clause}
            for s, _t, n, clause in checks
            if s in dbs
        ),
    )  # fmt: skip
    fk_columns = {"fk_payment_customer": ("customer_id", "customer_id"),
                  "fk_customer_address": ("address_id", "address_id")}
    key_usage: list[tuple[str, str, str, str, int, str | None, str | None, str | None]] = [
        (s, t, "PRIMARY", c, seq, None, None, None) for s, t, _nu, i, seq, c, _ in indexes if i == "PRIMARY"
    ]
    key_usage += [("sakila", t, n, fk_columns[n][0], 1, "sakila", r, fk_columns[n][1]) for n, t, r in fks]
    out["key_column_usage"] = _rows(
        "key_column_usage",
        (
            {
                "CONSTRAINT_CATALOG": "def", "CONSTRAINT_SCHEMA": s, "CONSTRAINT_NAME": n, "TABLE_CATALOG": "def",
                "TABLE_SCHEMA": s, "TABLE_NAME": t, "COLUMN_NAME": c, "ORDINAL_POSITION": seq,
                "POSITION_IN_UNIQUE_CONSTRAINT": 1 if rs else None, "REFERENCED_TABLE_SCHEMA": rs,
                "REFERENCED_TABLE_NAME": rt, "REFERENCED_COLUMN_NAME": rc,
            }
            for s, t, n, c, seq, rs, rt, rc in key_usage
            if s in dbs
        ),
    )  # fmt: skip
    out["table_constraints"] = _rows(
        "table_constraints",
        (
            {
                "CONSTRAINT_CATALOG": "def", "CONSTRAINT_SCHEMA": s, "CONSTRAINT_NAME": n,
                "TABLE_SCHEMA": s, "TABLE_NAME": t, "CONSTRAINT_TYPE": ty, "ENFORCED": "YES",
            }
            for s, t, n, ty in constraints
            if s in dbs
        ),
    )  # fmt: skip
    out["plugins"] = _rows(
        "plugins",
        (
            {
                "PLUGIN_NAME": p[0], "PLUGIN_VERSION": "1.0", "PLUGIN_STATUS": p[1], "PLUGIN_TYPE": p[2],
                "PLUGIN_LIBRARY": p[3], "PLUGIN_AUTHOR": "Oracle Corporation", "PLUGIN_LICENSE": p[4],
                "LOAD_OPTION": "ON" if p[3] is None else "FORCE",
            }
            for p in plugins
        ),
    )  # fmt: skip
    out["engines"] = ResultSetData(IS_COLUMNS["engines"], _ENGINES)
    out["collations"] = _rows(
        "collations",
        (
            {"COLLATION_NAME": c, "CHARACTER_SET_NAME": cs, "ID": i, "IS_DEFAULT": d, "IS_COMPILED": "Yes",
             "SORTLEN": 1, "PAD_ATTRIBUTE": "NO PAD" if c.endswith("_0900_ai_ci") else "PAD SPACE"}
            for c, cs, i, d in _COLLATIONS
        ),
    )  # fmt: skip
    tables_out = {f"information_schema.{k}": v for k, v in out.items()}
    tables_out["information_schema.innodb_tablespaces"] = _innodb_tablespaces(t for t in tables if t[3] == "InnoDB")
    if "mysql" in dbs:
        tables_out.update(mysql_account_tables())
        # mysql.func: the user-defined functions (none loaded on the captured servers)
        tables_out["mysql.func"] = ResultSetData(("name", "ret", "dl", "type"))
    return tables_out


# --------------------------------------------------------------------------------------------
# mysql.user / mysql.role_edges: the accounts collector aggregates them in SQL (names never leave)

#: An account name that sits in every profile's mysql.user, so tests can prove no collector copies
#: account names into facts, samples or the report.
PLANTED_ACCOUNT = "planted_standin_acct"
MYSQL_USER_COLUMNS = (
    "Host", "User", "plugin", "authentication_string", "ssl_type", "password_expired", "account_locked",
)  # fmt: skip
_SHA2 = "$A$005$" + "x" * 63
_INTERNAL = "$A$005$THISISACOMBINATIONOFINVALIDSALTANDPASSWORDTHATMUSTNEVERBRBEUSED"
# (host, user, plugin, authentication_string, ssl_type, password_expired, account_locked)
MYSQL_USERS: tuple[Row, ...] = (
    ("%", "root", "caching_sha2_password", _SHA2, "", "N", "N"),
    ("localhost", "root", "caching_sha2_password", _SHA2, "", "N", "N"),
    ("localhost", "mysql.infoschema", "caching_sha2_password", _INTERNAL, "", "N", "Y"),
    ("localhost", "mysql.session", "caching_sha2_password", _INTERNAL, "", "N", "Y"),
    ("localhost", "mysql.sys", "caching_sha2_password", _INTERNAL, "", "N", "Y"),
    ("10.0.%", "app", "mysql_native_password", "*" + "A" * 40, "", "N", "N"),
    ("%", PLANTED_ACCOUNT, "mysql_native_password", "", "", "N", "N"),  # no password, wildcard host
    ("10.1.2.3", "reporting", "caching_sha2_password", _SHA2, "ANY", "N", "N"),  # REQUIRE SSL
    ("localhost", "backup", "auth_socket", "", "", "N", "N"),  # socket: no password by design
    ("%", "old_app", "mysql_native_password", "*" + "B" * 40, "", "N", "Y"),  # ACCOUNT LOCK
    ("%", "app_role", "caching_sha2_password", "", "", "Y", "Y"),  # CREATE ROLE (8.0+)
)  # fmt: skip
ROLE_EDGES_COLUMNS = ("FROM_HOST", "FROM_USER", "TO_HOST", "TO_USER", "WITH_ADMIN_OPTION")
#: what the accounts collector must make of MYSQL_USERS (and ROLE_EDGES on MySQL 8)
MYSQL_ACCOUNTS_EXPECTED = {
    "total": 10, "without_password": 1, "wildcard_host": 4, "locked": 4, "require_tls": 1, "internal": 3,
    "roles": 1, "plugins": {"caching_sha2_password": 6, "mysql_native_password": 3, "auth_socket": 1},
}  # fmt: skip


def mysql_account_tables(users: tuple[Row, ...] = MYSQL_USERS) -> dict[str, ResultSetData]:
    return {
        "mysql.user": ResultSetData(MYSQL_USER_COLUMNS, users),
        "mysql.role_edges": ResultSetData(ROLE_EDGES_COLUMNS, (
            ("%", "app_role", "10.0.%", "app", "N"),
            ("%", "app_role", "%", "root", "N"),  # one role granted twice is still one role
        )),
    }  # fmt: skip


def _innodb_tablespaces(tables: Iterable[tuple[object, ...]]) -> ResultSetData:
    """information_schema.INNODB_TABLESPACES (the columns the collectors read): one encrypted table."""
    rows: list[Row] = [(1, "mysql", "N"), (4294967294, "innodb_system", "N")]
    for i, t in enumerate(tables):
        rows.append((10 + i, f"{t[0]}/{t[1]}", "Y" if (t[0], t[1]) == ("sakila", "payment") else "N"))
    return ResultSetData(("SPACE", "NAME", "ENCRYPTION"), tuple(rows))


# --------------------------------------------------------------------------------------------
# Percona Server 8.0.32 (captured)


def _processlist(percona_columns: bool) -> ResultSetData:
    """The captured processlist plus one application query carrying SECRET_LITERAL."""
    rows: list[Row] = []
    for r in read_vertical(_read("mysql-processlist")):
        cols = PROCESSLIST_COLUMNS + PERCONA_PROCESSLIST_EXTRA
        rows.append(tuple(r[c] if c == "State" else _num(_null(r[c])) for c in cols))
    rows.insert(
        -1,
        (
            3301, "app", "10.0.0.7:51234", "sakila", "Query", 3, "executing",
            f"SELECT * FROM customer WHERE email = '{SECRET_LITERAL}' AND active = 1", 3012, 0, 5400,
        ),
    )  # fmt: skip
    if percona_columns:
        return ResultSetData(PROCESSLIST_COLUMNS + PERCONA_PROCESSLIST_EXTRA, tuple(rows))
    n = len(PROCESSLIST_COLUMNS)
    return ResultSetData(PROCESSLIST_COLUMNS, tuple(r[:n] for r in rows))


def _plugins() -> tuple[Row, ...]:
    return tuple(tuple(_null(v) for v in r) for r in read_tab_rows(_read("mysql-plugins")))


def _status_snapshots() -> tuple[dict[str, str], dict[str, str]]:
    first = read_tab_pairs(_read("mysql-status"))
    second = dict(first)
    for line in _read("mysql-status-defer").splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] in first:
            second[parts[0]] = parts[2]
    return first, second


def _grants_80(user: str, host: str) -> list[str]:
    who = f"`{user}`@`{host}`"
    return [
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, SHUTDOWN, PROCESS, FILE, REFERENCES, "
        "INDEX, ALTER, SHOW DATABASES, SUPER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, "
        "REPLICATION SLAVE, REPLICATION CLIENT, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, "
        f"CREATE USER, EVENT, TRIGGER, CREATE TABLESPACE, CREATE ROLE, DROP ROLE ON *.* TO {who} WITH GRANT OPTION",
        "GRANT APPLICATION_PASSWORD_ADMIN,AUDIT_ADMIN,BACKUP_ADMIN,BINLOG_ADMIN,BINLOG_ENCRYPTION_ADMIN,"
        "CONNECTION_ADMIN,ENCRYPTION_KEY_ADMIN,PERSIST_RO_VARIABLES_ADMIN,REPLICATION_SLAVE_ADMIN,"
        "ROLE_ADMIN,SERVICE_CONNECTION_ADMIN,SYSTEM_VARIABLES_ADMIN,XA_RECOVER_ADMIN "
        f"ON *.* TO {who} WITH GRANT OPTION",
        f"GRANT PROXY ON ``@`` TO {who} WITH GRANT OPTION",
    ]


def _binary_logs(encrypted_column: bool) -> ResultSetData:
    rows = read_tab_rows(_read("mysql-master-logs"))
    if encrypted_column:
        return ResultSetData(BINARY_LOGS_COLUMNS_80, tuple((r[0], int(r[1]), r[2]) for r in rows))
    return ResultSetData(BINARY_LOGS_COLUMNS_57, tuple((r[0], int(r[1])) for r in rows))


def _master_status(gtid_set: str = "") -> ResultSetData:
    f = _read("mysql-master-status").rstrip("\n").split("\t")
    return ResultSetData(MASTER_STATUS_COLUMNS, ((f[0], int(f[1]), f[2], f[3], gtid_set),))


def _replicas() -> tuple[Row, ...]:
    return tuple(
        (int(r["Server_id"]), r["Host"], int(r["Port"]), int(r["Master_id"]), r["Slave_UUID"])
        for r in read_vertical(_read("mysql-slave-hosts"))
    )


def _innodb_status() -> ResultSetData:
    r = read_vertical(_read("innodb-status"))[0]
    return ResultSetData(("Type", "Name", "Status"), ((r["Type"], r["Name"], r["Status"]),))


def _common_responses() -> dict[str, Response]:
    plugins = _plugins()
    return {
        "SHOW ENGINE INNODB STATUS": _innodb_status(),
        "SHOW PLUGINS": ResultSetData(("Name", "Status", "Type", "Library", "License"), plugins),
        "SHOW ENGINES": ResultSetData(
            ("Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"), _ENGINES
        ),
        "SHOW WARNINGS": ResultSetData(("Level", "Code", "Message")),
        "SHOW ERRORS": ResultSetData(("Level", "Code", "Message")),
        "CALL MYSQL.RDS_SHOW_CONFIGURATION": ServerError(
            1305, "PROCEDURE mysql.rds_show_configuration does not exist"
        ),
    }


def _percona() -> Profile:
    variables = read_tab_pairs(_read("mysql-variables"))
    first, second = _status_snapshots()
    databases = [line for line in _read("mysql-databases").splitlines() if line]
    replicas = _replicas()
    responses = _common_responses()
    responses.update(
        {
            "SHOW SLAVE STATUS": ResultSetData(SLAVE_STATUS_COLUMNS_80),
            "SHOW REPLICA STATUS": ResultSetData(REPLICA_STATUS_COLUMNS_80),
            "SHOW SLAVE HOSTS": ResultSetData(SLAVE_HOSTS_COLUMNS, replicas),
            "SHOW REPLICAS": ResultSetData(REPLICAS_COLUMNS, replicas),
            "SHOW MASTER STATUS": _master_status(),
            "SHOW BINARY LOG STATUS": syntax_error("LOG STATUS"),
            "SHOW BINARY LOGS": _binary_logs(True),
            "SHOW MASTER LOGS": _binary_logs(True),
        }
    )
    return Profile(
        name="percona-8.0.32",
        variables=variables,
        status=first,
        status_second=second,
        databases=databases,
        grants=_grants_80(STANDIN_USER, "%"),
        processlist=_processlist(percona_columns=True),
        responses=responses,
        info_schema=build_info_schema(databases, _plugins()),
        # the capture's default_authentication_plugin is mysql_native_password
        auth_plugin=variables.get("default_authentication_plugin", "caching_sha2_password"),
    )


# --------------------------------------------------------------------------------------------
# derived profiles

_PERCONA_ONLY_VARIABLES = re.compile(
    r"^(binlog_ddl_skip_rewrite|binlog_skip_flush_commands|binlog_space_limit|buffered_error_log_.*"
    r"|enforce_storage_engine|expand_fast_index_creation|have_backup_locks|have_backup_safe_binlog_info"
    r"|have_snapshot_cloning|innodb_cleaner_lsn_age_factor|innodb_compressed_columns_.*"
    r"|innodb_corrupt_table_action|innodb_empty_free_list_algorithm|innodb_encrypt_online_alter_logs"
    r"|innodb_parallel_dblwr_encrypt|innodb_parallel_doublewrite_path|innodb_print_lock_wait_timeout_info"
    r"|innodb_records_in_range|innodb_show_locks_held|innodb_sys_tablespace_encrypt"
    r"|innodb_temp_tablespace_encrypt|encrypt_tmp_files|jemalloc_.*|keyring_file_data|kill_idle_transaction"
    r"|log_query_errors|log_slow_filter|log_slow_rate_.*|log_slow_sp_statements|log_slow_verbosity"
    r"|max_slowlog_.*|proxy_protocol_networks|secure_log_path|slow_query_log_always_write_time"
    r"|slow_query_log_use_global_control|tf_sequence_table_max_upper_bound|thread_pool_.*"
    r"|thread_statistics|userstat|ft_query_extra_word_chars|innodb_ft_ignore_stopwords)$"
)

# Variables MySQL 8.4 removed, and the old-terminology aliases this profile leaves out.
_REMOVED_IN_84 = re.compile(
    r"^(expire_logs_days|have_query_cache|query_cache_.*|default_authentication_plugin"
    r"|master_info_repository|relay_log_info_repository|log_bin_use_v1_row_events"
    r"|transaction_write_set_extraction|binlog_transaction_dependency_tracking"
    r"|avoid_temporal_upgrade|show_old_temporals|old|new|have_openssl|have_ssl"
    r"|.*slave.*|.*master.*)$"
)

_REMOVED_IN_57 = re.compile(
    r"^(.*replica.*|.*source.*|binlog_expire_logs_.*|caching_sha2_password_.*|admin_.*|mysqlx_.*"
    r"|create_admin_listener_thread|innodb_redo_log_capacity|innodb_dedicated_server|activate_all_roles_on_login"
    r"|mandatory_roles|authentication_policy|cte_max_recursion_depth|binlog_row_metadata"
    r"|binlog_transaction_compression.*|binlog_transaction_dependency_history_size"
    r"|default_collation_for_utf8mb4|histogram_generation_max_mem_size|innodb_doublewrite_.*"
    r"|persisted_globals_load|persist_.*|regexp_.*|temptable_.*|internal_tmp_mem_storage_engine"
    r"|information_schema_stats_expiry|tls_ciphersuites|admin_tls_ciphersuites|sql_generate_invisible_primary_key"
    r"|sql_require_primary_key|show_gipk_in_create_table_and_information_schema|terminology_use_previous"
    r"|binlog_encryption|binlog_rotate_encryption_master_key_at_startup|default_table_encryption"
    r"|table_encryption_privilege_check|innodb_undo_log_encrypt|innodb_redo_log_encrypt|replication_.*"
    r"|connection_memory_.*|global_connection_memory_.*|partial_revokes|password_history"
    r"|password_reuse_interval|password_require_current|generated_random_password_length"
    r"|schema_definition_cache|tablespace_definition_cache|stored_program_definition_cache"
    r"|innodb_ddl_.*|innodb_log_writer_threads|innodb_log_spin_.*|innodb_log_wait_for_flush_spin_hwm"
    r"|innodb_fsync_threshold|innodb_idle_flush_pct|innodb_parallel_read_threads|innodb_segment_reserve_factor"
    r"|innodb_use_fdatasync|innodb_validate_tablespace_paths|innodb_extend_and_initialize"
    r"|innodb_print_ddl_logs|innodb_redo_log_archive_dirs|innodb_spin_wait_pause_multiplier"
    r"|innodb_buffer_pool_in_core_file|innodb_directories|innodb_temp_tablespaces_dir"
    r"|select_into_.*|protocol_compression_algorithms|print_identified_with_as_hex|skip_replica_start"
    r"|windowing_use_high_precision|xa_detach_on_prepare|log_error_suppression_list|log_error_services"
    r"|explain_format|set_operations_buffer_size|optimizer_max_subgraph_pairs|net_buffer_shrink_interval"
    r"|build_id|binlog_expire_logs_auto_purge|lock_order.*|authentication_.*)$"
)


def _filter(variables: Mapping[str, str], drop: re.Pattern[str]) -> dict[str, str]:
    return {k: v for k, v in variables.items() if not drop.match(k)}


def _sorted(variables: Mapping[str, str]) -> dict[str, str]:
    return dict(sorted(variables.items()))


def _community_80(base: Profile, version: str, name: str) -> Profile:
    p = copy.deepcopy(base)
    p.name = name
    v = _filter(p.variables, _PERCONA_ONLY_VARIABLES)
    v.update(
        {
            "version": version,
            "version_comment": "MySQL Community Server - GPL",
            "innodb_version": version,
            "version_compile_os": "Linux",
            "version_compile_machine": "x86_64",
            "basedir": "/usr/",
            "datadir": "/var/lib/mysql/",
            "socket": "/var/run/mysqld/mysqld.sock",
            "pid_file": "/var/run/mysqld/mysqld.pid",
            "plugin_dir": "/usr/lib/mysql/plugin/",
            "port": "3306",
            "hostname": "db-1",
            "default_authentication_plugin": "caching_sha2_password",
            "binlog_format": "ROW",
            "log_bin_basename": "/var/lib/mysql/binlog",
            "log_bin_index": "/var/lib/mysql/binlog.index",
            "relay_log_basename": "/var/lib/mysql/db-1-relay-bin",
        }
    )
    v.pop("version_suffix", None)
    p.variables = _sorted(v)
    p.processlist = _processlist(percona_columns=False)
    p.auth_plugin = "caching_sha2_password"
    p.databases = [d for d in p.databases if d != "percona_test"]
    p.info_schema = build_info_schema(p.databases, _plugins())
    return p


def _mysql_84(percona: Profile) -> Profile:
    p = _community_80(percona, "8.4.3", "mysql-8.4")
    v = _filter(p.variables, _REMOVED_IN_84)
    v.update(
        {
            "gtid_mode": "ON",
            "enforce_gtid_consistency": "ON",
            "log_replica_updates": "ON",
            "binlog_expire_logs_seconds": "2592000",
            "binlog_expire_logs_auto_purge": "ON",
            "authentication_policy": "*,,",
            "restrict_fk_on_non_standard_key": "ON",
            "innodb_redo_log_capacity": "104857600",
            "innodb_io_capacity": "10000",
            "innodb_change_buffering": "none",
            "gtid_executed": "9f0b3d1c-5b11-11ef-9d2e-0242ac120002:1-4211",
        }
    )
    p.variables = _sorted(v)
    gtid = p.variables["gtid_executed"]
    p.responses.update(
        {
            "SHOW SLAVE STATUS": syntax_error("SLAVE STATUS"),
            "SHOW SLAVE HOSTS": syntax_error("SLAVE HOSTS"),
            "SHOW MASTER STATUS": syntax_error("MASTER STATUS"),
            "SHOW REPLICA STATUS": ResultSetData(REPLICA_STATUS_COLUMNS_80),
            "SHOW BINARY LOG STATUS": ResultSetData(
                MASTER_STATUS_COLUMNS, ((*_master_status().rows[0][:4], gtid),)
            ),
        }
    )
    return p


def _mysql_80_replica(percona: Profile) -> Profile:
    p = _community_80(percona, "8.0.36", "mysql-8.0-replica")
    source_uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
    executed = f"{source_uuid}:1-1843"
    p.variables.update(
        {
            "hostname": "db-2",
            "server_id": "2",
            "read_only": "ON",
            "super_read_only": "ON",
            "gtid_mode": "ON",
            "enforce_gtid_consistency": "ON",
            "gtid_executed": executed,
            "relay_log": "db-2-relay-bin",
            "relay_log_basename": "/var/lib/mysql/db-2-relay-bin",
        }
    )
    new = {
        "Replica_IO_State": "Waiting for source to send event",
        "Source_Host": "db-1.internal",
        "Source_User": "repl",
        "Source_Port": 3306,
        "Connect_Retry": 60,
        "Source_Log_File": "binlog.000012",
        "Read_Source_Log_Pos": 3445236,
        "Relay_Log_File": "db-2-relay-bin.000004",
        "Relay_Log_Pos": 3445452,
        "Relay_Source_Log_File": "binlog.000012",
        "Replica_IO_Running": "Yes",
        "Replica_SQL_Running": "Yes",
        "Last_Errno": 0,
        "Skip_Counter": 0,
        "Exec_Source_Log_Pos": 3445236,
        "Relay_Log_Space": 3445873,
        "Until_Condition": "None",
        "Until_Log_Pos": 0,
        "Source_SSL_Allowed": "No",
        "Seconds_Behind_Source": 0,
        "Source_SSL_Verify_Server_Cert": "No",
        "Last_IO_Errno": 0,
        "Last_SQL_Errno": 0,
        "Source_Server_Id": 1,
        "Source_UUID": source_uuid,
        "Source_Info_File": "mysql.slave_master_info",
        "SQL_Delay": 0,
        "Replica_SQL_Running_State": "Replica has read all relay log; waiting for more updates",
        "Source_Retry_Count": 86400,
        "Retrieved_Gtid_Set": f"{source_uuid}:1-1843",
        "Executed_Gtid_Set": executed,
        "Auto_Position": 1,
        "Get_Source_public_key": 0,
    }
    row = tuple(new.get(c, "") if c != "SQL_Remaining_Delay" else None for c in REPLICA_STATUS_COLUMNS_80)
    # a replica with no replicas of its own: no Binlog Dump thread (the capture is the source's), but
    # its receiver and applier threads, as MySQL 8.0 lists them
    kept = tuple(r for r in p.processlist.rows if r[4] not in ("Binlog Dump", "Binlog Dump GTID"))
    p.processlist = ResultSetData(p.processlist.columns, (
        (31, "system user", "connecting host", None, "Connect", 108226, "Waiting for source to send event", None),
        (32, "system user", "", None, "Query", 0,
         "Replica has read all relay log; waiting for more updates", None),
        *kept,
    ))  # fmt: skip
    p.responses.update(
        {
            "SHOW REPLICA STATUS": ResultSetData(REPLICA_STATUS_COLUMNS_80, (row,)),
            "SHOW SLAVE STATUS": ResultSetData(SLAVE_STATUS_COLUMNS_80, (row,)),
            "SHOW REPLICAS": ResultSetData(REPLICAS_COLUMNS),
            "SHOW SLAVE HOSTS": ResultSetData(SLAVE_HOSTS_COLUMNS),
            "SHOW MASTER STATUS": _master_status(executed),
        }
    )
    return p


def _mysql_57(percona: Profile) -> Profile:
    p = _community_80(percona, "5.7.44-log", "mysql-5.7")
    v = _filter(p.variables, _REMOVED_IN_57)
    v.update(
        {
            "version": "5.7.44-log",
            "version_comment": "MySQL Community Server (GPL)",
            "innodb_version": "5.7.44",
            "expire_logs_days": "7",
            "have_query_cache": "YES",
            "query_cache_type": "OFF",
            "query_cache_size": "1048576",
            "query_cache_limit": "1048576",
            "query_cache_min_res_unit": "4096",
            "query_cache_wlock_invalidate": "OFF",
            "tx_isolation": "REPEATABLE-READ",
            "tx_read_only": "OFF",
            "innodb_large_prefix": "ON",
            "innodb_file_format": "Barracuda",
            "default_authentication_plugin": "mysql_native_password",
            "character_set_server": "latin1",
            "collation_server": "latin1_swedish_ci",
            "log_slave_updates": "OFF",
            "gtid_mode": "OFF",
            "binlog_format": "ROW",
        }
    )
    p.variables = _sorted(v)
    hosts = _replicas()
    p.responses.update(
        {
            "SHOW REPLICA STATUS": syntax_error("REPLICA STATUS"),
            "SHOW REPLICAS": syntax_error("REPLICAS"),
            "SHOW BINARY LOG STATUS": syntax_error("LOG STATUS"),
            "SHOW SLAVE STATUS": ResultSetData(SLAVE_STATUS_COLUMNS_57),
            "SHOW SLAVE HOSTS": ResultSetData(SLAVE_HOSTS_COLUMNS, hosts),
            "SHOW MASTER STATUS": _master_status(),
            "SHOW BINARY LOGS": _binary_logs(False),
            "SHOW MASTER LOGS": _binary_logs(False),
        }
    )
    p.grants = ["GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION"]
    p.auth_plugin = "mysql_native_password"
    # 5.7 has no roles and no INNODB_TABLESPACES; its mysql.user has the same columns we read
    del p.info_schema["mysql.role_edges"], p.info_schema["information_schema.innodb_tablespaces"]
    p.info_schema["mysql.user"] = ResultSetData(MYSQL_USER_COLUMNS, tuple(u for u in MYSQL_USERS if u[1] != "app_role"))
    return p


def _aurora_3(percona: Profile) -> Profile:
    p = _community_80(percona, "8.0.32", "aurora-mysql-3")
    p.variables.update(
        {
            "aurora_version": "3.05.2",
            "aurora_server_id": "db-cluster-1-instance-1",
            "aurora_binlog_replication_max_yield_seconds": "0",
            "aurora_load_from_s3_role": "",
            "aurora_select_into_s3_role": "",
            "version_comment": "Source distribution",
            "basedir": "/rdsdbbin/oscar-8.0.mysql_aurora.3.05.2/",
            "datadir": "/rdsdbdata/db/",
            "hostname": "ip-10-0-1-17",
            "tmpdir": "/rdsdbdata/tmp/",
            "socket": "/rdsdbdata/log/mysql-3306.sock",
            "log_error": "/rdsdbdata/log/error/mysql-error.log",
        }
    )
    p.variables = _sorted(p.variables)
    p.functions["AURORA_VERSION"] = "3.05.2"
    p.responses["CALL MYSQL.RDS_SHOW_CONFIGURATION"] = RDS_CONFIGURATION
    return p


def _rds_80(percona: Profile) -> Profile:
    p = _community_80(percona, "8.0.35", "rds-mysql-8.0")
    p.variables.update(
        {
            "version_comment": "Source distribution",
            "basedir": "/rdsdbbin/mysql-8.0.35.R2/",
            "datadir": "/rdsdbdata/db/",
            "hostname": "ip-10-0-2-33",
            "tmpdir": "/rdsdbdata/tmp",
            "socket": "/tmp/mysql.sock",
            "innodb_log_group_home_dir": "/rdsdbdata/log/innodb",
            "innodb_data_home_dir": "/rdsdbdata/db/innodb",
            "log_error": "/rdsdbdata/log/error/mysql-error.log",
            "slow_query_log_file": "/rdsdbdata/log/slowquery/mysql-slowquery.log",
            "general_log_file": "/rdsdbdata/log/general/mysql-general.log",
            "log_bin_basename": "/rdsdbdata/log/binlog/mysql-bin-changelog",
        }
    )
    p.responses["CALL MYSQL.RDS_SHOW_CONFIGURATION"] = RDS_CONFIGURATION
    p.grants = [
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, "
        "SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, REPLICATION CLIENT, "
        "CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER "
        "ON *.* TO `root`@`%` WITH GRANT OPTION",
        "GRANT BACKUP_ADMIN,FLUSH_OPTIMIZER_COSTS,FLUSH_STATUS,FLUSH_TABLES,FLUSH_USER_RESOURCES,"
        "ROLE_ADMIN,SESSION_VARIABLES_ADMIN,SET_USER_ID,SHOW_ROUTINE,XA_RECOVER_ADMIN ON *.* TO `root`@`%` "
        "WITH GRANT OPTION",
        "GRANT `rds_superuser_role`@`%` TO `root`@`%`",
    ]
    return p


def _cloudsql_80(percona: Profile) -> Profile:
    p = _community_80(percona, "8.0.31-google", "cloudsql-mysql-8.0")
    p.variables.update(
        {
            "version_comment": "(Google)",
            "innodb_version": "8.0.31",
            "basedir": "/usr/",
            "datadir": "/mysql/datadir/",
            "hostname": "a1b2c3d4e5f6",
            "socket": "/mysql/mysql.sock",
            "cloudsql_iam_authentication": "OFF",
            "cloudsql_allow_analyze_table": "OFF",
            "cloudsql_ignore_innodb_encryption": "OFF",
        }
    )
    p.variables = _sorted(p.variables)
    return p


def _azure_80(percona: Profile) -> Profile:
    p = _community_80(percona, "8.0.37", "azure-mysql-8.0")
    p.variables.update(
        {
            "version_comment": "Source distribution",
            "basedir": "/usr/",
            "datadir": "/app/work/data/",
            "hostname": "f1e2d3c4b5a6",
            "aad_auth_only": "OFF",
            "aad_auth_validate_oids_in_tenant": "ON",
            "redirect_enabled": "ON",
            "require_secure_transport": "ON",
        }
    )
    p.variables = _sorted(p.variables)
    return p


def _digitalocean_8(percona: Profile) -> Profile:
    p = _community_80(percona, "8.0.35", "digitalocean-mysql-8")
    p.variables.update(
        {
            "port": "25060",
            "sql_require_primary_key": "ON",
            "hostname": "db-mysql-nyc3-12345-do-user-678-0",
            "require_secure_transport": "ON",
            "default_authentication_plugin": "caching_sha2_password",
        }
    )
    p.databases = sorted({*p.databases, "defaultdb"})
    p.info_schema = build_info_schema(p.databases, _plugins())
    return p


def _tidb_75(percona: Profile) -> Profile:
    """TiDB 7.5 as the MySQL protocol shows it: a MySQL 8.0.11 version with -TiDB- in it.

    Only the identity changes; the statements the other collectors send are answered as MySQL 8
    would (real TiDB rejects some of them: SHOW ENGINE INNODB STATUS, SHOW SLAVE HOSTS...).
    """
    p = _community_80(percona, "8.0.11-TiDB-v7.5.1", "tidb-7.5")
    p.variables.update(
        {
            "version_comment": "TiDB Server (Apache License 2.0) Community Edition, MySQL 8.0 compatible",
            "port": "4000",
            "tidb_enable_clustered_index": "ON",
            "tidb_gc_life_time": "10m0s",
            "tidb_txn_mode": "pessimistic",
            "tidb_isolation_read_engines": "tikv,tiflash,tidb",
        }
    )
    p.variables = _sorted(p.variables)
    return p


def _vitess_19(percona: Profile) -> Profile:
    """vtgate (Vitess 19, as PlanetScale runs it): -Vitess in the version, Vitess's version_comment."""
    p = _community_80(percona, "8.0.34-Vitess", "vitess-19")
    p.variables.update(
        {
            "version_comment": "Version: 19.0.4 (Git revision 8f6ac8c6a2 branch 'heads/v19.0.4') built on "
            "Tue May 14 10:12:11 UTC 2024 by runner@fv-az1 using go1.22.3 linux/amd64",
        }
    )
    p.variables = _sorted(p.variables)
    return p


def _pxc_80(percona: Profile) -> Profile:
    """Percona XtraDB Cluster 8.0: Percona Server's variables plus wsrep_* and pxc_strict_mode."""
    p = copy.deepcopy(percona)
    p.name = "pxc-8.0"
    p.variables.update(
        {
            "version": "8.0.35-27.1",
            "version_comment": "Percona XtraDB Cluster (GPL), Release rel27, Revision 2f8eed8, WSREP version 26.1.4.3",
            "wsrep_on": "ON",
            "wsrep_provider": "/usr/lib/galera4/libgalera_smm.so",
            "wsrep_cluster_name": "pxc-cluster",
            "wsrep_cluster_address": "gcomm://10.0.0.11,10.0.0.12,10.0.0.13",
            "wsrep_node_address": "10.0.0.11",
            "wsrep_sst_method": "xtrabackup-v2",
            "pxc_strict_mode": "ENFORCING",
            "pxc_maint_mode": "DISABLED",
            "pxc_encrypt_cluster_traffic": "ON",
        }
    )
    p.variables = _sorted(p.variables)
    return p


def _mysql_wsrep_80(percona: Profile) -> Profile:
    """Codership's MySQL-wsrep 8.0: MySQL Community with the wsrep API and a Galera provider (no pxc_* variables).

    GTIDs are off, as on a cluster that never turned them on: the GTID rules must apply (and fail) here.
    """
    p = _community_80(percona, "8.0.35", "mysql-wsrep-8.0")
    p.variables.update(
        {
            "version_comment": "MySQL Community Server - GPL, wsrep_26.1.4.3",
            "wsrep_on": "ON",
            "wsrep_provider": "/usr/lib/galera/libgalera_smm.so",
            "wsrep_cluster_name": "wsrep-cluster",
            "wsrep_cluster_address": "gcomm://10.0.0.21,10.0.0.22,10.0.0.23",
            "wsrep_node_address": "10.0.0.21",
            "wsrep_sst_method": "rsync",
            "gtid_mode": "OFF",
            "enforce_gtid_consistency": "OFF",
        }
    )
    p.variables = _sorted(p.variables)
    return p


_BUILDERS: dict[str, Callable[[Profile], Profile]] = {
    "mysql-8.4": _mysql_84,
    "mysql-8.0-replica": _mysql_80_replica,
    "mysql-5.7": _mysql_57,
    "aurora-mysql-3": _aurora_3,
    "rds-mysql-8.0": _rds_80,
    "cloudsql-mysql-8.0": _cloudsql_80,
    "azure-mysql-8.0": _azure_80,
    "digitalocean-mysql-8": _digitalocean_8,
    "tidb-7.5": _tidb_75,
    "vitess-19": _vitess_19,
    "pxc-8.0": _pxc_80,
    "mysql-wsrep-8.0": _mysql_wsrep_80,
}

PROFILE_NAMES: tuple[str, ...] = ("percona-8.0.32", *_BUILDERS)


# --------------------------------------------------------------------------------------------
# performance_schema tables the workload collectors read (collectors/workload.py). Hand-made, in
# MySQL 8.4's column layout: the top digests (one carries a literal performance_schema would not
# leave, to prove the scrubbing; the NULL-digest row says the table is full) and the connection
# attributes of the processlist's sessions (one with a custom attribute holding SECRET_LITERAL).

DIGEST_COLUMNS = (
    "SCHEMA_NAME", "DIGEST", "DIGEST_TEXT", "COUNT_STAR", "SUM_TIMER_WAIT", "MIN_TIMER_WAIT",
    "AVG_TIMER_WAIT", "MAX_TIMER_WAIT", "SUM_LOCK_TIME", "SUM_ERRORS", "SUM_WARNINGS",
    "SUM_ROWS_AFFECTED", "SUM_ROWS_SENT", "SUM_ROWS_EXAMINED", "SUM_CREATED_TMP_DISK_TABLES",
    "SUM_CREATED_TMP_TABLES", "SUM_SELECT_FULL_JOIN", "SUM_SELECT_FULL_RANGE_JOIN", "SUM_SELECT_RANGE",
    "SUM_SELECT_RANGE_CHECK", "SUM_SELECT_SCAN", "SUM_SORT_MERGE_PASSES", "SUM_SORT_RANGE",
    "SUM_SORT_ROWS", "SUM_SORT_SCAN", "SUM_NO_INDEX_USED", "SUM_NO_GOOD_INDEX_USED", "SUM_CPU_TIME",
    "MAX_CONTROLLED_MEMORY", "MAX_TOTAL_MEMORY", "COUNT_SECONDARY", "FIRST_SEEN", "LAST_SEEN",
    "QUANTILE_95", "QUANTILE_99", "QUANTILE_999", "QUERY_SAMPLE_TEXT", "QUERY_SAMPLE_SEEN",
    "QUERY_SAMPLE_TIMER_WAIT",
)  # fmt: skip
CONNECT_ATTRS_COLUMNS = ("PROCESSLIST_ID", "ATTR_NAME", "ATTR_VALUE", "ORDINAL_POSITION")


def _digest(schema: str | None, digest: str | None, text: str | None, count: int, total_ps: int,
            rows: int, first: str, last: str, sample: str | None = None) -> Row:
    values: dict[str, object] = {
        "SCHEMA_NAME": schema, "DIGEST": digest, "DIGEST_TEXT": text, "COUNT_STAR": count,
        "SUM_TIMER_WAIT": total_ps, "AVG_TIMER_WAIT": total_ps // count, "MAX_TIMER_WAIT": total_ps // count,
        "SUM_ROWS_SENT": rows,
        "SUM_ROWS_EXAMINED": rows, "FIRST_SEEN": first, "LAST_SEEN": last, "QUERY_SAMPLE_TEXT": sample,
    }
    return tuple(values.get(c, 0 if c.startswith(("SUM_", "MIN_", "MAX_", "COUNT_", "QUANTILE_")) else None)
                 for c in DIGEST_COLUMNS)


def workload_tables() -> dict[str, ResultSetData]:
    digests = (
        _digest("sakila", "5d1a" * 16,
                "SELECT `c` . `customer_id` , `c` . `email` FROM `sakila` . `customer` `c` WHERE `c` . `email` = ?",
                4200, 12_500_000_000_000, 4200, "2024-11-01 09:00:00", "2024-11-03 17:30:00",
                f"SELECT c.customer_id, c.email FROM sakila.customer c WHERE c.email = '{SECRET_LITERAL}'"),
        _digest(None, None, None, 1234, 9_000_000_000_000, 0, "2024-11-02 08:00:00", "2024-11-03 17:30:00"),
        _digest("sakila", "7e2b" * 16, "UPDATE `rental` SET `return_date` = NOW ( ) WHERE `rental_id` = ?",
                900, 3_000_000_000_000, 900, "2024-11-01 09:00:00", "2024-11-03 17:29:00"),
        _digest("sakila", "9c3d" * 16, f"SELECT * FROM `film` WHERE `title` = '{SECRET_LITERAL}' ...",
                10, 1_000_000_000_000, 10, "2024-11-02 10:00:00", "2024-11-03 12:00:00"),
        _digest(None, "0f4e" * 16, "GRANT SELECT ON `sakila` . * TO `app` @`%` ",
                1, 500_000_000, 0, "2024-11-01 09:00:00", "2024-11-01 09:00:00"),
    )
    attrs: dict[int, dict[str, str]] = {
        14: {"_os": "Linux", "_client_name": "libmysql", "_pid": "1201", "_client_version": "8.4.3",
             "_platform": "x86_64", "program_name": "mysqld", "_client_role": "binary_log_listener",
             "_client_replication_channel_name": ""},
        2436: {"_os": "Linux", "_client_name": "libmysql", "_pid": "2212", "_client_version": "8.4.3"},
        3175: {"_client_name": "mysql-connector-java", "_client_version": "8.0.33", "_runtime_vendor": "Eclipse"},
        3301: {"_client_name": "mysql-connector-python", "_client_version": "9.1.0", "program_name": "billing-api",
               "api_token": SECRET_LITERAL},
    }
    rows = tuple(
        (pid, name, value, position)
        for pid, named in attrs.items()
        for position, (name, value) in enumerate(named.items())
    )
    return {
        "performance_schema.events_statements_summary_by_digest": ResultSetData(DIGEST_COLUMNS, digests),
        "performance_schema.session_connect_attrs": ResultSetData(CONNECT_ATTRS_COLUMNS, rows),
        "information_schema.innodb_trx": ResultSetData(("trx_id", "trx_started"), ()),  # none open
    }


@cache
def _base() -> Profile:
    return _percona()


def get_profile(name: str) -> Profile:
    """A fresh (deep-copied, so freely mutable) profile by name."""
    if name == "percona-8.0.32":
        profile = copy.deepcopy(_base())
    else:
        try:
            builder = _BUILDERS[name]
        except KeyError:
            raise KeyError(f"unknown stand-in profile {name!r}; known: {', '.join(PROFILE_NAMES)}") from None
        profile = builder(_base())
    for key, table in workload_tables().items():  # every profile: the builders rebuild info_schema
        profile.info_schema.setdefault(key, table)
    return profile
