"""collectors.connection.PlannedConverter gives exactly what the connector's own MySQLConverter gives,
value for value and type for type, on a real MariaDB: text in several character sets, binary strings,
SET and ENUM, JSON, numbers, dates and times, BIT, NULLs, bytes that are not valid in the declared
character set, and information_schema rows."""

from __future__ import annotations

from typing import Any

import mysql.connector
from mysql.connector.conversion import MySQLConverter

from collectors.connection import PlannedConverter, open_session
from tests.helpers import spec_for
from tests.servers import MariaDBServer

TABLE = """
CREATE TABLE conv_check.t (
  id INT PRIMARY KEY, tiny TINYINT, big BIGINT UNSIGNED, dec_col DECIMAL(20,6), fl FLOAT, dbl DOUBLE,
  vc VARCHAR(40), ch CHAR(5), latin VARCHAR(20) CHARACTER SET latin1, bin VARBINARY(20), fixed BINARY(4),
  txt TEXT, blb BLOB, st SET('a','b','c'), en ENUM('x','y'), js JSON, d DATE, dt DATETIME(3), ts TIMESTAMP NULL,
  tm TIME, yr YEAR, bits BIT(10), vc_bin VARCHAR(10) COLLATE utf8mb4_bin
)"""
ROWS = """
INSERT INTO conv_check.t VALUES
 (1, -5, 18446744073709551615, 12345.678901, 1.5, 2.25, 'plain', 'ab', 'caf\xe9', 0x00FF10, 0x61626364,
  'long text \u00e9\u6f22', 0xDEADBEEF, 'a,c', 'y', '{"k": [1, "v"]}', '2024-02-29', '2024-02-29 23:59:59.125',
  '2020-01-01 00:00:00', '-838:59:59', 2155, b'1010101010', 'Bin'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL),
 (3, 0, 0, 0, 0, 0, '', '', '', '', 0x00000000, '', '', '', 'x', 'null', '0000-00-00', '0000-00-00 00:00:00',
  NULL, '00:00:00', 0, b'0', '')"""
QUERIES = (
    "SELECT * FROM conv_check.t ORDER BY id",
    "SELECT CAST(0xFF AS CHAR CHARACTER SET utf8mb4), _binary'x', CONVERT('\u00e9' USING latin1), 1.5e3, NULL",
    "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME,"
    " NUMERIC_PRECISION, COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'conv_check'",
    "SHOW CREATE TABLE conv_check.t",
    "SHOW GLOBAL VARIABLES LIKE 'innodb%'",
)


def _rows(server: MariaDBServer, converter: type[MySQLConverter], sql: str, *before: str) -> list[tuple[Any, ...]]:
    kwargs = {**spec_for(server).as_kwargs(), "converter_class": converter}
    connection = mysql.connector.connect(**kwargs)
    try:
        cursor = connection.cursor()
        for statement in before:
            cursor.execute(statement)
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def test_planned_converter_matches_the_connectors_own(mariadb: MariaDBServer) -> None:
    with open_session(spec_for(mariadb)) as session:
        assert type(session._connection.converter) is PlannedConverter  # what every session uses
    setup = mysql.connector.connect(**spec_for(mariadb).as_kwargs())
    try:
        cursor = setup.cursor()
        cursor.execute("DROP DATABASE IF EXISTS conv_check")
        cursor.execute("CREATE DATABASE conv_check CHARACTER SET utf8mb4")
        cursor.execute(TABLE)
        cursor.execute("SET SESSION sql_mode = ''")  # the zero dates of row 3
        cursor.execute(ROWS)
    finally:
        setup.close()
    for sql in QUERIES:
        ours = _rows(mariadb, PlannedConverter, sql)
        theirs = _rows(mariadb, MySQLConverter, sql)
        assert ours, sql
        assert ours == theirs, sql
        assert [[type(v) for v in row] for row in ours] == [[type(v) for v in row] for row in theirs], sql
    converted = _rows(mariadb, PlannedConverter, QUERIES[0])
    assert converted[0][11] == "long text \u00e9\u6f22" and converted[0][13] == {"a", "c"}
    assert isinstance(converted[0][9], (bytes, bytearray)) and converted[1][1:] == (None,) * 22
    # results sent in latin1 to a utf8mb4 connection: bytes that do not decode come back as bytes, as the
    # connector's own converter returns them
    latin1 = ("SELECT 'caf\xe9' AS a, 'plain' AS b", "SET SESSION character_set_results = 'latin1'")
    ours = _rows(mariadb, PlannedConverter, *latin1)
    assert ours == _rows(mariadb, MySQLConverter, *latin1) and ours[0][0] == b"caf\xe9" and ours[0][1] == "plain"
