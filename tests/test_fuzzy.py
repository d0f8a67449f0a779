"""prechecks.fuzzy against pt-mysql-summary's own shell/awk functions.

Two layers: a pinned table of (input, output) pairs that always runs, and the same inputs (plus
whole status files) run through /usr/bin/pt-mysql-summary's functions, sourced in bash, when
Percona Toolkit is installed. The pinned values were produced that way (gawk 5.2, LC_ALL=C).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from prechecks.fuzzy import (
    awk_number,
    format_status_variables,
    fuzz,
    fuzzy_formula,
    fuzzy_pct,
    is_counter,
    secs_to_time,
    shorten,
)

PT = Path("/usr/bin/pt-mysql-summary")
SAMPLES = Path(__file__).parent / "data" / "samples"
needs_pt = pytest.mark.skipif(
    not PT.exists() or shutil.which("bash") is None or shutil.which("awk") is None,
    reason="Percona Toolkit's pt-mysql-summary is not installed",
)

# pt: fuzz VALUE
FUZZ = {
    "0": "0", "1": "1", "7.3": "7.3", "10": "10", "10.5": "10", "12.5": "10", "17.5": "20",
    "22.5": "20", "27.5": "30", "50": "50", "51": "50", "55": "60", "75": "80", "100": "100",
    "101": "100", "112.5": "100", "125": "125", "137.5": "150", "249": "250", "250": "250",
    "251": "250", "1499": "1500", "16337.5": "17500", "1411574285.7": "1500000000",
    "1099511627776": "1000000000000", "123456789012345": "125000000000000",
    "3e18": "3000000000000000000", "-7": "-7", "-250": "-250", "2.570": "2.570",
}
# pt: shorten VALUE 0, shorten VALUE 1, shorten VALUE 2
SHORTEN = {
    "0": ("0", "0.0", "0.00"), "1": ("1", "1.0", "1.00"), "512": ("512", "512.0", "512.00"),
    "1023": ("1023", "1023.0", "1023.00"), "1024": ("1k", "1.0k", "1.00k"),
    "1536": ("2k", "1.5k", "1.50k"), "1048575": ("1024k", "1024.0k", "1024.00k"),
    "1048576": ("1M", "1.0M", "1.00M"), "1572864": ("2M", "1.5M", "1.50M"),
    "16777216": ("16M", "16.0M", "16.00M"), "268435456": ("256M", "256.0M", "256.00M"),
    "311296": ("304k", "304.0k", "304.00k"), "11764736": ("11M", "11.2M", "11.22M"),
    "433440": ("423k", "423.3k", "423.28k"), "1073741823": ("1024M", "1024.0M", "1024.00M"),
    "1073741824": ("1G", "1.0G", "1.00G"), "1099511627776": ("1T", "1.0T", "1.00T"),
    "1125899906842624": ("1P", "1.0P", "1.00P"), "1152921504606846976": ("1P", "1.0P", "1.00P"),
    "-5": ("-5", "-5.0", "-5.00"), "2.5": ("2", "2.5", "2.50"),
}
# pt: fuzzy_pct ONE TWO
FUZZY_PCT = {
    ("17304", "1048576"): "1%", ("0", "0"): "0%", ("1", "3"): "35%", ("2", "3"): "70%",
    ("5", "0"): "0%", ("999", "1000"): "100%", ("123", "1000"): "10%", ("-5", "10"): "-50%",
}
# pt: secs_to_time SECONDS
SECS_TO_TIME = {
    "0": "0+00:00:00", "14": "0+00:00:14", "59": "0+00:00:59", "3600": "0+01:00:00",
    "86399": "0+23:59:59", "86400": "1+00:00:00", "90061": "1+01:01:01", "1234567": "14+06:56:07",
}


def run_pt(script: str, cwd: Path | None = None) -> str:
    """Run bash with pt-mysql-summary's functions sourced (its main() does not run when sourced)."""
    env = {**os.environ, "LC_ALL": "C"}
    done = subprocess.run(["bash", "-c", f"source {PT}\n{script}"], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=60, check=True)
    return done.stdout


@pytest.mark.parametrize(("value", "expected"), FUZZ.items())
def test_fuzz_pinned(value, expected):
    assert fuzz(value) == expected


@pytest.mark.parametrize(("value", "expected"), SHORTEN.items())
def test_shorten_pinned(value, expected):
    assert (shorten(value, 0), shorten(value, 1), shorten(value, 2)) == expected


@pytest.mark.parametrize(("pair", "expected"), FUZZY_PCT.items())
def test_fuzzy_pct_pinned(pair, expected):
    assert fuzzy_pct(*pair) == expected


@pytest.mark.parametrize(("value", "expected"), SECS_TO_TIME.items())
def test_secs_to_time_pinned(value, expected):
    assert secs_to_time(value) == expected


def test_report_sizes_of_the_original():
    # values the original ps-prechecks report printed for the MariaDB sample
    assert shorten(268435456, 0) == "256M"
    assert shorten(100663296, 0) == "96M"
    assert shorten(262144, 0) == "256k"
    assert shorten(299008, 0) == "292k"
    assert shorten(1048576, 1) == "1.0M"
    assert shorten(11764736, 0) == "11M"
    assert shorten(433440, 1) == "423.3k"


def test_awk_number_reads_leading_number():
    assert awk_number("12abc") == 12
    assert awk_number("  3.5e2x") == 350
    assert awk_number("") == 0
    assert awk_number("ON") == 0
    assert awk_number("-4") == -4


def test_fuzzy_formula_keeps_small_values():
    assert fuzzy_formula(9.5) == 9.5
    assert fuzzy_formula(-1000) == -1000


def test_noncounters_are_substring_matches():
    assert not is_counter("Threads_connected")
    assert not is_counter("Innodb_page_size")
    assert is_counter("Questions")
    assert is_counter("Opened_tables")  # "Open_tables" is not a substring of it


def _read_defer(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """mysql-status-defer as pt's awk sees it: fields split on blanks, $1 $2 $3."""
    first: dict[str, str] = {}
    second: dict[str, str] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 2:
            first[fields[0]] = fields[1]
            second[fields[0]] = fields[2] if len(fields) > 2 else ""
    return first, second


# ----------------------------------------------------------------- live comparison with pt


@needs_pt
def test_fuzz_shorten_pct_secs_match_pt_live():
    rng = random.Random(7)
    values = [*FUZZ, *(str(rng.randint(0, 10 ** rng.randint(1, 18))) for _ in range(120)),
              *(f"{rng.uniform(0, 10 ** rng.randint(1, 12)):.3f}" for _ in range(80))]
    script = "\n".join(f'echo "$(fuzz {v})"' for v in values)
    assert run_pt(script).splitlines() == [fuzz(v) for v in values]

    sizes = [*SHORTEN, *(str(rng.randint(0, 2 ** rng.randint(1, 62))) for _ in range(120))]
    script = "\n".join(f'echo "$(shorten {v} 0) $(shorten {v} 1) $(shorten {v} 2)"' for v in sizes)
    assert run_pt(script).splitlines() == [f"{shorten(v, 0)} {shorten(v, 1)} {shorten(v, 2)}" for v in sizes]

    pairs = [*FUZZY_PCT, *((str(rng.randint(0, 5000)), str(rng.randint(0, 5000))) for _ in range(80))]
    script = "\n".join(f"fuzzy_pct {a} {b}" for a, b in pairs)
    assert run_pt(script).splitlines() == [fuzzy_pct(a, b) for a, b in pairs]

    seconds = [*SECS_TO_TIME, *(str(rng.randint(0, 10 ** 9)) for _ in range(50))]
    script = "\n".join(f'echo "$(secs_to_time {s})"' for s in seconds)
    assert run_pt(script).splitlines() == [secs_to_time(s) for s in seconds]


@needs_pt
@pytest.mark.parametrize("sample", ["ps-prechecks-mariadb-10.11", "pt-temp002", "pt-temp_enc008"])
def test_format_status_variables_matches_pt_live(sample):
    path = SAMPLES / sample / "mysql-status-defer"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    expected = run_pt(f'format_status_variables "{path}" | grep -v "$(noncounters_pattern)"').splitlines()
    first, second = _read_defer(path)
    uptime, later = float(first["Uptime"]), float(second["Uptime"])
    ours = format_status_variables(first, second, uptime=uptime, interval=later - uptime)
    assert len(ours) > 20
    assert ours == expected


def test_format_status_variables_pinned_lines():
    # pt's output for the MariaDB sample (format_status_variables | grep -v noncounters), excerpt
    path = SAMPLES / "ps-prechecks-mariadb-10.11" / "mysql-status-defer"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    first, second = _read_defer(path)
    ours = format_status_variables(first, second, uptime=14, interval=1)
    assert ours[0] == "Variable                                Per day  Per second      1 secs"
    assert "Aria_pagecache_blocks_unused          100000000        1000          -4" in ours
    assert "Bytes_received                       1500000000       17500      200000" in ours
    assert "Com_insert                              4500000          50            " in ours
    assert "Innodb_ibuf_size                    100000000000000000 1250000000000            " in ours
    assert not any(line.startswith("Threads_connected") for line in ours)


def test_format_status_variables_skips_zero_and_non_numeric():
    first = {"Uptime": "100", "Questions": "0", "Ssl_version": "TLSv1.3", "Com_select": "8640"}
    second = {"Uptime": "110", "Questions": "50", "Ssl_version": "TLSv1.3", "Com_select": "8650"}
    lines = format_status_variables(first, second, uptime=100, interval=10)
    names = [line.split()[0] for line in lines[1:]]
    assert names == ["Uptime", "Com_select"]
    assert lines[2] == f"{'Com_select':<35} {'7000000':>11} {'90':>11} {'1':>11}"
