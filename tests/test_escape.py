"""prechecks.escape: one escaping function per destination for the names a server supplies."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from prechecks.cli import main
from prechecks.escape import (
    TerminalStream,
    markdown,
    markdown_prose,
    rich_text,
    sql_comment,
    sql_comment_name,
    sql_identifier,
    terminal,
    visible,
)

HOSTILE = [
    "ev`il\nDROP DATABASE victim;\n#",
    "cr\r\nx",
    "a*/b/*c--d#e",
    "back\\slash\\n",
    "\u202eevil\u2066x\u2069",
    "nul\x00bell\x07del\x7f",
    "[x](http://evil.example)",
    "plain_name",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_sql_comment_holds_no_line_break_nor_comment_end_and_reads_back(name: str) -> None:
    comment = sql_comment(sql_identifier(name))
    assert not any(c in comment for c in "\n\r\x00\u202e\u2066\u2069") and "*/" not in comment
    assert sql_comment_name(comment) == sql_identifier(name)


def test_sql_identifier_doubles_backticks() -> None:
    assert sql_identifier("a`b") == "`a``b`"


def test_visible_keeps_one_line_and_shows_controls() -> None:
    assert visible("t2\n## x\r\ty") == "t2\\n## x\\r\\ty"
    assert visible("a\tb", keep_tabs=True) == "a\tb"
    assert visible("\u202eevil\u2066") == "<U+202E>evil<U+2066>"
    assert visible("nul\x00\x7f\u2028") == "nul<U+0000><U+007F><U+2028>"
    assert visible("café, 日本") == "café, 日本"


def test_markdown_escapes_what_makes_links_html_and_headings() -> None:
    assert markdown("[x](http://evil.example)") == r"\[x\](http:\/\/evil.example)"
    assert markdown('<a href="x">') == r'\<a href="x"\>'
    assert markdown("## h `c` *e* | www.evil.example") == r"\#\# h \`c\` \*e\* \| www\.evil.example"
    assert markdown("order_items") == "order_items" and markdown("_tmp_") == r"\_tmp\_"
    assert markdown("a\\b\nc") == r"a\\b\\nc"


def test_markdown_prose_keeps_our_markup_and_breaks_links() -> None:
    assert markdown_prose("GRANT PROCESS ON *.* TO `u`@`h`") == "GRANT PROCESS ON *.* TO `u`@`h`"
    assert markdown_prose(r"C:\ProgramData") == r"C:\ProgramData"
    assert markdown_prose("in \\[x](https://evil.example) <b>") == r"in \\[x\](https:\/\/evil.example) \<b\>"
    assert markdown_prose("![i][ref] [r]: x") == r"![i\][ref] [r\]: x"  # no image, reference or definition
    assert markdown_prose("under [mysqld] in my.cnf") == "under [mysqld] in my.cnf"  # a bare bracket links nothing


def test_rich_text_escapes_html_after_showing_controls() -> None:
    assert rich_text('<a href="x">\n\u202e') == "&lt;a href=&quot;x&quot;&gt;\\n&lt;U+202E&gt;"


def test_the_cli_writes_no_control_sequence_a_name_carries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A table named with an escape sequence (retitle the terminal, clear the screen) and a carriage
    return, printed by --read-samples: the terminal gets them written out, never as controls."""
    samples = tmp_path / "samples"
    shutil.copytree(Path(__file__).parent / "data" / "samples" / "ps-prechecks-mariadb-10.11", samples)
    hostile = "shop.t\x1b]0;pwned\x07\x1b[2J\rok"
    sizes = samples / "table-sizes"
    sizes.write_text(sizes.read_text().replace("icinga.icinga_hoststatus", hostile, 1))
    assert main(["--read-samples", str(samples), "--no-draft"]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\r" not in out + err and "\x07" not in out + err
    assert "pwned" in out  # the name is there, written out
    # and every other line the CLI writes goes the same way (progress, warnings, a server's error text)
    stream = io.StringIO()
    print("error from the server: \x1b]0;owned\x07", file=TerminalStream(stream))
    assert stream.getvalue() == "error from the server: <U+001B>]0;owned<U+0007>\n"
    assert terminal("a\tb\nc\x1b[2J\u202e") == "a\tb\nc<U+001B>[2J<U+202E>"
