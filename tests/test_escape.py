"""prechecks.escape: one escaping function per destination for the names a server supplies."""

from __future__ import annotations

import pytest

from prechecks.escape import markdown, markdown_prose, rich_text, sql_comment, sql_comment_name, sql_identifier, visible

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
