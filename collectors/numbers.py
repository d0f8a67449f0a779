"""The one way this program reads a number: from the server (int, Decimal, text, bytes, NULL), from a
sample file (text) or from facts.json (int, float, text).

Two functions, one rule:

* :func:`as_number` for any quantity (a rate, seconds, a ratio, bytes): ``None`` when the value is not a
  finite number written in decimal: ``None``, ``""``, ``"abc"``, ``"12 MB"``, ``"1,000"``, ``"0x1F"``,
  ``"inf"``, ``"nan"``, a bool. Integers stay ``int`` (``"12"``, ``b"12"``, ``Decimal("12")`` -> 12), anything
  with a fraction or an exponent is a ``float`` (``"12.5"`` -> 12.5, ``"1e3"`` -> 1000.0). Spaces around
  the text are ignored.
* :func:`as_int` for a count, a size, a port, an id: :func:`as_number`'s value when it is a whole number
  (``"12"`` and ``"12.0"`` -> 12, ``"1e3"`` -> 1000); ``"12.5"`` is no count, so ``default`` (``None``
  unless given; the collectors give 0, a count the server did not send counting as none).

Nothing is truncated or guessed: ``"12.5"`` as a count is ``default``, never 12, and ``"12abc"`` is not 12.
(prechecks.fuzzy.awk_number is the exception on purpose: it reproduces awk's reading for pt-mysql-summary.)
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import overload

__all__ = ["as_int", "as_number"]

_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)


def as_number(value: object) -> int | float | None:
    """A finite number, or None (see the module's docstring for the rule)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | bytearray):
        try:
            value = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _INTEGER.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts (4300): a corrupt file, not a count
            return None
    if not _DECIMAL.fullmatch(text):
        return None
    number = float(text)  # "1e309" overflows to inf: no number we can use
    return number if math.isfinite(number) else None


@overload
def as_int(value: object) -> int | None: ...
@overload
def as_int(value: object, default: int) -> int: ...
def as_int(value: object, default: int | None = None) -> int | None:
    """A whole number, or ``default`` (see the module's docstring for the rule)."""
    number = as_number(value)
    if isinstance(number, int):
        return number
    if number is not None and number.is_integer():
        return int(number)
    return default
