"""One escaping function per destination for names and values the server supplies.

A schema, table or column name is any string the server accepts: it may hold a newline, a backtick,
``#``, ``--``, ``*/``, Markdown or HTML syntax, or a right-to-left override. Wherever such a name is
written it goes through the function for that destination, so it stays one name and never becomes
a statement, a comment's end, a heading, a link or reversed text:

* :func:`sql_identifier` — a quoted identifier in SQL (backticks doubled);
* :func:`sql_comment` — inside a ``-- `` comment line of the DDL sample (no newline, no ``*/``);
  :func:`sql_comment_name` reads the name back from it (redaction uses it to find the pseudonym);
* :func:`visible` — plain text (a report line, a message): control characters, line breaks and
  bidi controls shown as ``\\n``, ``<U+202E>``…, so one name stays on one line and reads as stored;
* :func:`markdown` — inline Markdown text: :func:`visible`, then every Markdown metacharacter
  escaped and URLs broken so no renderer makes a link, an image, HTML or a heading out of it;
* :func:`markdown_prose` — our own Markdown sentences that may quote a name (a reason, a remedy,
  a readiness detail): :func:`visible`, and only what makes a link, an image or HTML is escaped,
  so ``GRANT PROCESS ON *.*`` and our `code` read as written;
* :func:`rich_text` — Qt rich text (HTML): :func:`visible`, then ``html.escape``.

JSON needs none of these: ``json.dumps`` escapes names itself, and readiness.json names objects exactly.
"""

from __future__ import annotations

import html
import re
from typing import TextIO

__all__ = ["markdown", "markdown_prose", "rich_text", "sql_comment", "sql_comment_name", "sql_identifier", "visible"]

# bidi embeddings/overrides (U+202A-U+202E), isolates (U+2066-U+2069), marks (U+200E, U+200F, U+061C)
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0, DEL, C1, the Unicode line/paragraph separators, bidi controls, the BOM
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff" + _BIDI + "]")
# what a Markdown renderer may read as syntax (CommonMark lets any ASCII punctuation be
# backslash-escaped); "_" only where it can open or close emphasis, so order_items stays readable
_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]<>!|~&#]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_URL_START = re.compile(r"(?i)(?<=www)\.|(?<=:)//")


def _shown(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    return f"<U+{ord(char):04X}>"


def visible(text: object, *, keep_tabs: bool = False) -> str:
    """``text`` on one line, as stored: each control character, line break and bidi control written
    out (``\\n``, ``\\r``, ``\\t``, ``<U+202E>``), everything else unchanged (tabs too with ``keep_tabs``)."""
    return _INVISIBLE.sub(lambda m: m.group() if keep_tabs and m.group() == "\t" else _shown(m.group()), str(text))


def markdown(text: object) -> str:
    """``text`` as inline Markdown that renders as that text and nothing more: no link, image,
    autolink, HTML, code span, emphasis or heading, and no line break."""
    escaped = _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(), visible(text))
    # "https://x" and "www.x" are autolinked by GitHub and Qt: "https\://" alone is still one
    return _URL_START.sub(lambda m: "\\" + m.group() if m.group() == "." else "\\/\\/", escaped)


# a backslash is an escape only before ASCII punctuation: doubled there, left alone in C:\\ProgramData
# a link needs "](" or "][" (or "]:" for a definition): a closing bracket before those is escaped, a bare
# [mysqld] in our own sentence stays as it reads
_LINK_SPECIAL = re.compile(r"\\(?=[!-/:-@\[-`{-~])|[<>]|\](?=[(\[:])")


def markdown_prose(text: object) -> str:
    """Our own sentence (which may quote a server's name) as inline Markdown: on one line, and no
    link, image, autolink or HTML can form in it; emphasis and `code` stay Markdown."""
    escaped = _LINK_SPECIAL.sub(lambda m: "\\" + m.group(), visible(text))
    return _URL_START.sub(lambda m: "\\" + m.group() if m.group() == "." else "\\/\\/", escaped)


def rich_text(text: object) -> str:
    """``text`` for a Qt rich-text (HTML) label or browser: visible, then HTML-escaped."""
    return html.escape(visible(text), quote=True)


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier: ``name`` in backticks, its own backticks doubled."""
    return "`" + name.replace("`", "``") + "`"


_COMMENT_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_COMMENT_SPECIAL = re.compile("[\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff" + _BIDI + "]|\\*/")


def sql_comment(text: str) -> str:
    """``text`` for the inside of a SQL comment line: backslashes doubled, control characters,
    line breaks and bidi controls as ``\\n``, ``\\r``, ``\\t``, ``\\u202e``, and ``*/`` as ``*\\/``,
    so the comment cannot end early in either comment style. :func:`sql_comment_name` undoes it."""

    def one(match: re.Match[str]) -> str:
        found = match.group()
        if found == "*/":
            return "*\\/"
        return _COMMENT_ESCAPES.get(found) or f"\\u{ord(found):04x}"

    return _COMMENT_SPECIAL.sub(one, text)


_COMMENT_UNESCAPE = re.compile(r"\\(u[0-9a-f]{4}|.)", re.S)
_COMMENT_CHARS = {"n": "\n", "r": "\r", "t": "\t"}


def sql_comment_name(text: str) -> str:
    """The text :func:`sql_comment` was given (``\\n`` back to a newline, and so on)."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) == 5:
            return chr(int(code[1:], 16))
        return _COMMENT_CHARS.get(code, code)

    return _COMMENT_UNESCAPE.sub(one, text)


_TERMINAL_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff" + _BIDI + "]")


def terminal(text: str) -> str:
    """``text`` for a terminal: line breaks and tabs kept, every other control character (an escape
    sequence's ESC, a carriage return that would overwrite the line) and bidi control written out."""
    return _TERMINAL_SPECIAL.sub(lambda m: _shown(m.group()), text)


class TerminalStream:
    """A text stream that writes through :func:`terminal`: the CLI's stdout and stderr while it runs,
    so a server's name cannot move the cursor, recolour or retitle the DBA's terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> object:  # isatty, fileno, encoding...: the real stream's
        return getattr(self.stream, name)
