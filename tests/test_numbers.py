from __future__ import annotations

import math
from decimal import Decimal

import pytest

from collectors.numbers import as_int, as_number


@pytest.mark.parametrize(
    ("value", "number", "integer"),
    [
        # the case: a fraction is a number, and no count (it was None, 0 or 12 depending on the parser)
        ("12.5", 12.5, None),
        ("12", 12, 12),
        (" 12\n", 12, 12),
        ("12.0", 12.0, 12),
        ("-3", -3, -3),
        ("+7", 7, 7),
        ("1e3", 1000.0, 1000),
        ("1.5E-3", 0.0015, None),
        (".5", 0.5, None),
        ("5.", 5.0, 5),
        ("18446744073709551615", 18446744073709551615, 18446744073709551615),  # a 64-bit counter, exactly
        (b"42", 42, 42),
        (bytearray(b"0.25"), 0.25, None),
        (12, 12, 12),
        (12.5, 12.5, None),
        (12.0, 12.0, 12),
        (Decimal("12"), 12, 12),
        (Decimal("12.00"), 12, 12),
        (Decimal("0.5"), 0.5, None),
        # not numbers
        (None, None, None),
        ("", None, None),
        ("   ", None, None),
        ("NULL", None, None),
        ("abc", None, None),
        ("12abc", None, None),
        ("12 MB", None, None),
        ("1,000", None, None),
        ("1_000", None, None),
        ("0x1F", None, None),
        ("١٢", None, None),  # Arabic-Indic digits: int() would take them, the server never sends them
        ("inf", None, None),
        ("-Infinity", None, None),
        ("nan", None, None),
        ("1e309", None, None),  # overflows to infinity
        ("9" * 5000, None, None),  # more digits than int() converts
        (float("inf"), None, None),
        (float("nan"), None, None),
        (Decimal("NaN"), None, None),
        (Decimal("Infinity"), None, None),
        (True, None, None),
        (False, None, None),
        (b"\xff12", None, None),
        ([12], None, None),
        ({"a": 1}, None, None),
    ],
)
def test_one_rule_for_numbers_and_counts(value, number, integer):
    got = as_number(value)
    assert got == number
    assert type(got) is type(number)  # a count stays int, a fraction is a float
    got_int = as_int(value)
    assert got_int == integer and type(got_int) is type(integer)
    assert as_int(value, 0) == (0 if integer is None else integer)


@pytest.mark.parametrize("value", [0, 1, -1, 2**63, 0.1, 1e-9, 1e300, 123.456, -0.0])
def test_what_a_number_prints_reads_back(value):
    for text in (str(value), repr(value), f"{value:e}"):
        got = as_number(text)
        assert got is not None and math.isclose(got, value, rel_tol=1e-6), text


def test_the_collector_reads_binlog_retention_by_the_same_rule():
    from collectors.replication import _expire_seconds

    # "inf" in expire_logs_days stopped the collector with OverflowError; it is no number, so unknown
    assert _expire_seconds({"expire_logs_days": "inf"}) is None
    # an unreadable binlog_expire_logs_seconds no longer hides a readable expire_logs_days
    assert _expire_seconds({"binlog_expire_logs_seconds": "abc", "expire_logs_days": "2"}) == 2 * 86400
    assert _expire_seconds({"binlog_expire_logs_seconds": "0", "expire_logs_days": "0.5"}) == 43200
    assert _expire_seconds({"binlog_expire_logs_seconds": "3600", "expire_logs_days": "7"}) == 3600
