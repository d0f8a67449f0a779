"""pt-mysql-summary's number formatting, reproduced exactly.

Each function mirrors one shell/awk function of Percona Toolkit's pt-mysql-summary (the
report_formatting and report_mysql_info packages). awk does its arithmetic in C doubles and
prints with C printf, so Python floats and %-formatting give the same digits, including the
round-half-to-even of "%.0f".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

__all__ = [
    "NONCOUNTERS",
    "awk_number",
    "awk_print",
    "format_status_variables",
    "fuzz",
    "fuzzy_formula",
    "fuzzy_pct",
    "is_counter",
    "secs_to_time",
    "shorten",
]

# pt-mysql-summary: noncounters_pattern() — gauges that the Status Counters section leaves out.
NONCOUNTERS: tuple[str, ...] = (
    "Compression", "Delayed_insert_threads", "Innodb_buffer_pool_pages_data",
    "Innodb_buffer_pool_pages_dirty", "Innodb_buffer_pool_pages_free",
    "Innodb_buffer_pool_pages_latched", "Innodb_buffer_pool_pages_misc",
    "Innodb_buffer_pool_pages_total", "Innodb_data_pending_fsyncs",
    "Innodb_data_pending_reads", "Innodb_data_pending_writes",
    "Innodb_os_log_pending_fsyncs", "Innodb_os_log_pending_writes",
    "Innodb_page_size", "Innodb_row_lock_current_waits", "Innodb_row_lock_time_avg",
    "Innodb_row_lock_time_max", "Key_blocks_not_flushed", "Key_blocks_unused",
    "Key_blocks_used", "Last_query_cost", "Max_used_connections", "Ndb_cluster_node_id",
    "Ndb_config_from_host", "Ndb_config_from_port", "Ndb_number_of_data_nodes",
    "Not_flushed_delayed_rows", "Open_files", "Open_streams", "Open_tables",
    "Prepared_stmt_count", "Qcache_free_blocks", "Qcache_free_memory",
    "Qcache_queries_in_cache", "Qcache_total_blocks", "Rpl_status",
    "Slave_open_temp_tables", "Slave_running", "Ssl_cipher", "Ssl_cipher_list",
    "Ssl_ctx_verify_depth", "Ssl_ctx_verify_mode", "Ssl_default_timeout",
    "Ssl_session_cache_mode", "Ssl_session_cache_size", "Ssl_verify_depth",
    "Ssl_verify_mode", "Ssl_version", "Tc_log_max_pages_used", "Tc_log_page_size",
    "Threads_cached", "Threads_connected", "Threads_running",
    "Uptime_since_flush_status",
)

_UINT64_MAX = float(18446744073709551615)  # awk compares in doubles: this is 2**64


def awk_number(value: object) -> float:
    """awk's string-to-number conversion: the longest leading decimal number, else 0."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).lstrip(" \t\n")
    end = 0
    seen_digit = seen_dot = seen_exp = False
    for i, ch in enumerate(text):
        if ch.isdigit() and ch.isascii():
            seen_digit = True
            end = i + 1
        elif ch in "+-" and (i == 0 or text[i - 1] in "eE"):
            continue
        elif ch == "." and not seen_dot and not seen_exp:
            seen_dot = True
        elif ch in "eE" and seen_digit and not seen_exp:
            seen_exp = True
        else:
            break
    if not seen_digit:
        return 0.0
    candidate = text[:end]
    while candidate:
        try:
            return float(candidate)
        except ValueError:
            candidate = candidate[:-1]
    return 0.0


def awk_print(value: float) -> str:
    """How gawk's `print` shows a number: integral values in full, others with OFMT %.6g."""
    if math.isfinite(value) and value.is_integer():
        return str(int(value))
    return f"{value:.6g}"


def fuzzy_formula(value: float) -> float:
    """pt-mysql-summary: $fuzzy_formula (awk) — round to 1-2 significant 5/10/25 steps."""
    if value <= 10 or not math.isfinite(value):  # NaN or infinity (a corrupt sample) would never leave the loop
        return value
    factor = 1.0
    while True:
        if value <= 50 * factor:
            return float(f"{value / (5 * factor):.0f}") * 5 * factor
        if value <= 100 * factor:
            return float(f"{value / (10 * factor):.0f}") * 10 * factor
        if value <= 250 * factor:
            return float(f"{value / (25 * factor):.0f}") * 25 * factor
        factor *= 10


def fuzz(value: float | int | str) -> str:
    """pt-mysql-summary: fuzz() — fuzzy_formula on one number, printed as awk prints it."""
    number = awk_number(value)
    if isinstance(value, str) and number <= 10:
        return value  # awk never reassigned the -v variable: it prints the text it was given
    return awk_print(fuzzy_formula(number))


def fuzzy_pct(part: float | int | str, whole: float | int | str) -> str:
    """pt-mysql-summary: fuzzy_pct() — truncated percentage of part/whole, fuzzed, with '%'."""
    one, two = awk_number(part), awk_number(whole)
    pct = int(one / two * 100) if two > 0 else 0
    return f"{fuzz(pct)}%"


def shorten(num: float | int | str, precision: int = 1, divisor: int = 1024) -> str:
    """pt-mysql-summary: shorten() — bytes with a k/M/G/T/P suffix, `precision` decimals.

    pt's own default precision is 2, but every pt call site passes 0 or 1; we default to 1.
    """
    value = awk_number(num)
    if not math.isfinite(value):  # "1e309" in a corrupt sample: the loop below would never end
        return str(num)
    unit = (
        "P" if value >= 1125899906842624
        else "T" if value >= 1099511627776
        else "G" if value >= 1073741824
        else "M" if value >= 1048576
        else "k" if value >= 1024
        else ""
    )
    while value >= divisor:
        value /= divisor
    return f"{value:.{precision}f}{unit}"


def secs_to_time(seconds: float | int | str) -> str:
    """pt-mysql-summary: secs_to_time() — D+HH:MM:SS as awk's printf %d truncates it."""
    sec = awk_number(seconds)
    days = int(sec / 86400)
    hours = int(_awk_mod(sec, 86400) / 3600)
    minutes = int(_awk_mod(sec, 3600) / 60)
    secs = int(_awk_mod(sec, 60))
    return f"{days}+{hours:02d}:{minutes:02d}:{secs:02d}"


def _awk_mod(a: float, b: float) -> float:
    """awk's % is C fmod (sign of the dividend), not Python's floor modulo."""
    return math.fmod(a, b)


def is_counter(name: str) -> bool:
    """pt-mysql-summary: `grep -v "$(noncounters_pattern)"` — a substring match on the line."""
    return not any(gauge in name for gauge in NONCOUNTERS)


def format_status_variables(
    first: Mapping[str, object],
    second: Mapping[str, object],
    *,
    uptime: float,
    interval: float,
    names: Iterable[str] | None = None,
    skip_noncounters: bool = True,
) -> list[str]:
    """pt-mysql-summary: format_status_variables() piped through the noncounters filter.

    `first`/`second` are the two SHOW GLOBAL STATUS samples, `uptime` the first sample's
    Uptime (pt's utime1) and `interval` the seconds between the samples (pt's udiff, there the
    difference of the two Uptime values). `names` keeps only those variables (in the server's
    order); `skip_noncounters` applies pt's `grep -v "$(noncounters_pattern)"`.
    Returns the header line and one line per counter, without indentation.
    """
    wanted = None if names is None else set(names)
    udays = uptime / 86400
    header = f"{'Variable':<35} {'Per day':>11} {'Per second':>11} {_seconds_text(interval) + ' secs':>11}"
    lines = [header]
    for name, raw in first.items():
        if wanted is not None and name not in wanted:
            continue
        text = "" if raw is None else str(raw)
        if not text.isdigit() or not text.isascii():  # awk: $2 ~ /^[0-9]*$/ and $2 > 0
            continue
        value = float(text)
        if not 0 < value < _UINT64_MAX:
            continue
        perday = fuzzy_formula(value / udays) if udays > 0 else 0.0
        persec = fuzzy_formula(value / uptime) if uptime > 0 else 0.0
        later = awk_number(second.get(name, ""))
        nowsec = fuzzy_formula((later - value) / interval) if interval > 0 else 0.0
        cols = [float(int(perday)), float(int(persec)), float(int(nowsec))]
        if sum(cols) > 0 and (not skip_noncounters or is_counter(name)):
            shown = ["" if c == 0 else f"{c:.0f}" for c in cols]
            lines.append(f"{name:<35} {shown[0]:>11} {shown[1]:>11} {shown[2]:>11}")
    return lines


def _seconds_text(seconds: float) -> str:
    """An interval as awk would concatenate it: integral seconds without decimals."""
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:.2f}"
