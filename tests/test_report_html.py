"""report.html (issue 17 item 4) opened in a real headless browser (Debian's chromium), in an empty network
namespace: it renders, the charts are drawn, the page asks for nothing (its Content-Security-Policy would block
and log any request: the console shows none) and a hostile name is text; the archive's text pass reaches it."""

from __future__ import annotations

import json
import math
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

from collectors.series import history_document
from prechecks.bundle import ArchiveInputs, build
from prechecks.charts import BUSIEST_COLOUR, history_charts
from prechecks.derive import derive
from prechecks.html import CSP, report_document
from tests.helpers import read_archive, server_args
from tests.servers import MariaDBFactory
from tests.test_cli import FAST, Sandbox, archive_of

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's; scripts/test installs it
TS = "2026_12_06_00_00_00"
START = 1795392000  # Monday 23 Nov 2026 00:00 UTC
HOSTILE_SCHEMA = "<script>alert(1)</script>"
HOSTILE_TABLE = '<img src=x onerror="alert(2)">'
FACTS: dict[str, Any] = {
    "format_version": 1,
    "source": {"host": "db7.corp.example", "port": 3306, "user": "app_writer", "via": "tcp"},
    "server": {"hostname": "db7.corp.example", "current_user": "app_writer@10.1.2.3", "version": "10.11.19-MariaDB"},
    "variables": {"hostname": "db7.corp.example", "version": "10.11.19-MariaDB", "log_bin": "ON",
                  "binlog_format": "ROW"},
    "databases": ["information_schema", "mysql", "shop", HOSTILE_SCHEMA],
    "schemas": [{"name": "shop", "tables": 1}, {"name": HOSTILE_SCHEMA, "tables": 1}],
    "tables": [{"schema": "shop", "name": "orders", "engine": "InnoDB", "primary_key": ["id"], "data_length": 10 << 20},
               {"schema": HOSTILE_SCHEMA, "name": HOSTILE_TABLE, "engine": "MyISAM", "primary_key": None,
                "unique_key": None, "data_length": 1 << 20}],
}


def history() -> dict[str, Any]:
    """Two weeks of 5-minute samples, Tuesdays at 14:00 UTC the busiest."""
    series: dict[str, list[list[float]]] = {"q": [], "c": [], "t": [], "cpu": []}
    for i in range(14 * 288):
        ts = START + i * 300
        hour, day = (ts // 3600) % 24, ((ts // 86400) + 3) % 7
        value = 100 + 50 * math.sin(hour / 24 * 2 * math.pi) + (1000 if (day, hour) == (1, 14) else 0)
        series["q"].append([ts, value])
        series["c"].append([ts, 40 + value / 10])
        series["t"].append([ts, 2 + value / 100])
        series["cpu"].append([ts, 10 + value / 20])
    return history_document("prometheus", START, START + 14 * 86400, 300, {
        "queries_per_second": ("per_second", series["q"]), "connections": ("count", series["c"]),
        "threads_running": ("count", series["t"]), "cpu_percent": ("percent", series["cpu"])})


def chromium(page: Path, tmp_path: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    """chromium headless on ``page`` in an empty network namespace (loopback only, nothing listening), with a
    profile of its own and the page's console on stderr."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [CHROMIUM, "--headless", "--no-sandbox", f"--user-data-dir={profile}", "--enable-logging=stderr",
               "--v=0", "--disable-gpu", "--no-first-run", *mode, page.as_uri()]
    return subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up; exec "$@"', "sh", *command],
                          capture_output=True, text=True, timeout=120, check=False)


def console(stderr: str) -> list[str]:
    """The page's console messages (chromium logs each as ...:CONSOLE:N] "message", source: ...), not those of
    chromium's own pages (source: chrome://…, e.g. its "Slow network is detected" on a loaded machine)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line and ", source: chrome://" not in line]


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """width, height and the rows (RGB or RGBA bytes) of an 8-bit, non-interlaced PNG (what chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(b for i, b in enumerate(line) if channels == 3 or i % 4 != 3))  # RGB only
        previous = bytes(line)
    return width, height, rows


def colour_count(rows: list[bytes], rgb: tuple[int, int, int] | None, tolerance: int = 24) -> int:
    """Pixels within ``tolerance`` of ``rgb`` on each channel (None: every pixel that is not white)."""
    count = 0
    for row in rows:
        for i in range(0, len(row), 3):
            r, g, b = row[i], row[i + 1], row[i + 2]
            if rgb is None:
                count += (r, g, b) != (255, 255, 255)
            else:
                count += abs(r - rgb[0]) <= tolerance and abs(g - rgb[1]) <= tolerance and abs(b - rgb[2]) <= tolerance
    return count


def test_report_html_renders_offline_with_its_charts_and_no_request(tmp_path: Path) -> None:
    inputs = ArchiveInputs(TS, extra_files={"history.json": json.dumps(history())}, secrets=["s3cret-pw-value"])
    files = build(derive(FACTS), inputs, ("hostnames",)).files
    assert sorted(n for n in files if n.startswith("charts/")) == [
        "charts/connections.svg", "charts/cpu_percent.svg", "charts/queries_per_second.svg",
        "charts/weekly_profile.svg"]
    html = files["report.html"].decode()
    assert "db7.corp.example" not in html and "db7" not in html  # the text pass reached it: a pseudonym
    assert re.search(r"\bhost-\d+", html)
    assert {path for path in json.loads(files["manifest.json"])["files"] for path in [path["path"]]} >= {
        "report.html", "charts/weekly_profile.svg"}
    page = tmp_path / "report.html"
    page.write_bytes(files["report.html"])

    dom = chromium(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console(dom.stderr) == []  # no blocked request, no error: the page asked for nothing
    # every chart is in the page as SVG, after the readiness and the workload summary
    figures = re.findall(r'<figure id="chart-([a-z_]+)"><svg ', dom.stdout)
    assert figures == ["queries_per_second", "connections", "cpu_percent", "weekly_profile"]
    assert dom.stdout.count("<svg ") == 4 and "<script" not in dom.stdout
    assert dom.stdout.index("import readiness") < dom.stdout.index("Workload over days")
    # hostile names are text: shown escaped, no element made of them
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.&lt;img src=x onerror=\"alert(2)\"&gt;" in dom.stdout
    assert re.search(r"<img\b", dom.stdout) is None

    shot = tmp_path / "report.png"
    drawn = chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000",
                     "--hide-scrollbars")
    assert drawn.returncode == 0 and shot.exists(), drawn.stderr[-2000:]
    assert console(drawn.stderr) == []
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    assert colour_count(rows, None) > 50_000  # text and tables, not a blank page


def test_names_that_are_markup_words_are_redacted_as_text_only(tmp_path: Path) -> None:
    """With --redact identifiers, a schema named ``content`` and tables named ``height`` and ``style`` become
    pseudonyms where they are text; the page's policy, stylesheet and the charts' geometry stay markup (the
    text pass over the whole file used to rename <meta content=...>, <style> and every height=)."""
    facts = {**FACTS, "databases": ["information_schema", "mysql", "content", "shop"],
             "schemas": [{"name": "content", "tables": 1}, {"name": "shop", "tables": 1}],
             "tables": [{"schema": "content", "name": "height", "engine": "MyISAM", "primary_key": None,
                         "unique_key": None},
                        {"schema": "shop", "name": "style", "engine": "MyISAM", "primary_key": ["id"]}]}
    inputs = ArchiveInputs(TS, extra_files={"history.json": json.dumps(history())})
    files = build(derive(facts), inputs, ("identifiers",)).files
    page = tmp_path / "report.html"
    page.write_bytes(files["report.html"])
    dom = chromium(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0 and console(dom.stderr) == [], dom.stderr[-2000:]
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in dom.stdout
    assert "<style>" in dom.stdout and dom.stdout.count("<svg ") == 4
    assert re.search(r"schema-\d+\.table-\d+", dom.stdout)  # content.height, as text
    assert "content.height" not in dom.stdout and "shop.style" not in dom.stdout
    for name in ("queries_per_second", "weekly_profile"):
        svg = files[f"charts/{name}.svg"].decode()
        assert re.search(r"\b(?:schema|table)-\d+=", svg) is None and ' height="' in svg


def test_the_console_check_sees_a_request_the_policy_blocks(tmp_path: Path) -> None:
    """The check above can fail: a page under the same policy that asks for an image and runs a script logs
    both as blocked."""
    page = tmp_path / "leaky.html"
    page.write_text(report_document("## Title\n  a | b\n", {}).replace(
        "</main>", '<img src="http://127.0.0.1:9/x.png"><script>console.log("ran")</script></main>'))
    assert CSP in page.read_text()
    result = chromium(page, tmp_path, "--dump-dom")
    messages = console(result.stderr)
    assert any("http://127.0.0.1:9/x.png" in m and "Content Security Policy" in m for m in messages), messages
    assert any("inline script" in m for m in messages) and not any('"ran"' in m for m in messages), messages


def test_the_charts_are_drawn(tmp_path: Path) -> None:
    """The charts as report.html holds them, at the top of a page: the browser draws the query rate's line and
    the weekly profile's two busiest bars (the hour and the day) in their colours."""
    page = tmp_path / "report.html"
    page.write_text(report_document("## Summary\n  a | b\n", history_charts(history())))
    shot = tmp_path / "charts.png"
    result = chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars")
    assert result.returncode == 0 and console(result.stderr) == [], result.stderr[-2000:]
    _, _, rows = png_pixels(shot.read_bytes())
    assert colour_count(rows, (0x1F, 0x6F, 0xB2)) > 300  # the lines (the series' first colour)
    red = tuple(int(BUSIEST_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    assert colour_count(rows, (red[0], red[1], red[2])) > 2000  # two bars: the busiest hour and day


def test_hostile_names_from_a_real_server_stay_text_in_the_browser(mariadb_factory: MariaDBFactory,
                                                                  tmp_path: Path) -> None:
    source = mariadb_factory()
    source._execute([f"CREATE DATABASE `{HOSTILE_SCHEMA}`",
                     f"CREATE TABLE `{HOSTILE_SCHEMA}`.`{HOSTILE_TABLE}` (a INT) ENGINE=MyISAM",
                     "CREATE DATABASE `[x](http://evil.example/s)`",
                     "CREATE TABLE `[x](http://evil.example/s)`.t (a INT)"])
    box = Sandbox(tmp_path / "run")
    result = box.run([*server_args(source), *FAST, "-o", str(box.out)], password=source.root_password)
    files = read_archive(archive_of(result))
    page = tmp_path / "report.html"
    page.write_bytes(files["report.html"])
    dom = chromium(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0 and console(dom.stderr) == [], dom.stderr[-2000:]
    assert "<script" not in dom.stdout and re.search(r"<img\b", dom.stdout) is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom.stdout  # the schema, as text
    links = re.findall(r'<a href="([^"]*)"', dom.stdout)
    assert links and all(link.startswith("https://planetscale.com/") for link in links), links


def write_screenshots(folder: Path) -> None:
    """The README's pictures of report.html: its top and its charts' section, from the wizard's made-up server
    (gui/sample.py) with two weeks of generated history as the archive holds it, taken by chromium as above."""
    import tempfile

    from collectors.connection import ConnectionSpec
    from gui.sample import CONNECTION, sample_result

    spec = ConnectionSpec(host=CONNECTION.host, port=CONNECTION.port, user=CONNECTION.user)
    inputs = ArchiveInputs(TS, extra_files={"history.json": json.dumps(history())})
    files = build(sample_result(spec).derived, inputs).files
    charts = {name.removeprefix("charts/"): data.decode() for name, data in files.items() if name.startswith("charts/")}
    pages = {"16-report-html.png": (files["report.html"].decode(), 1100),
             "17-report-html-charts.png": (report_document("", charts), 1640)}
    with tempfile.TemporaryDirectory() as scratch:
        for name, (text, height) in pages.items():
            page = Path(scratch) / "report.html"
            page.write_text(text)
            result = chromium(page, Path(scratch), f"--screenshot={(folder / name).resolve()}",
                              f"--window-size=1100,{height}", "--hide-scrollbars")
            if result.returncode != 0:
                raise SystemExit(result.stderr[-2000:])


if __name__ == "__main__":  # .venv/bin/python -m tests.test_report_html docs/screenshots
    import sys

    write_screenshots(Path(sys.argv[1]))
