"""report.html: the whole report in one file that opens offline in any browser, the charts drawn inline.

The report keeps pt-mysql-summary's fixed-width layout (``name | value`` lines, column blocks indented by four
spaces), which a Markdown renderer would run together into paragraphs and code blocks; :func:`report_body`
lays it out as tables and preformatted blocks instead (the wizard's Review page shows the report the same way).
Every value is HTML-escaped (a server's name stays text, prechecks.escape); the only links are our own docs
pages (prechecks.readiness.DOCS_LINKS). :func:`report_document` makes the page: an inline stylesheet, the
charts' SVG inline, no script, and a Content-Security-Policy that forbids loading anything at all, so a
browser that opens it makes no request.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

from prechecks.readiness import DOCS_LINKS

__all__ = ["CSP", "report_body", "report_document", "text_nodes"]

# nothing may be fetched: no script, font, frame, image or style from anywhere, the file's own styles only
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_PAIR = re.compile(r"^\s*(\S.*?)\s+\|\s?(.*)$")  # the report's right-aligned "name | value" lines
_NOTE = re.compile(r"^ {4}(fix|see): (.*)$")  # a readiness check's remedy and docs link, under its line
_CODE_SPAN = re.compile(r"(?<!\\)`([^`]*)`")
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # the report escapes names as Markdown: \[ is [
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>\s*")
CHARTS_TITLE = "Workload over days"
_MARKUP = re.compile(r"(<style\b[^>]*>.*?</style>|<!--.*?-->|<[^>]*>)", re.S | re.I)
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;color:#222;
background:#fff;line-height:1.35}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
h2{font-size:1.5em;margin:0.4em 0}
h3{font-size:1.15em;margin:1.6em 0 0.4em;padding-bottom:0.2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:0.92em}
td{padding:2px 8px;vertical-align:top}
td:first-child{text-align:right;color:#444;white-space:nowrap}
tr:nth-child(even){background:#f6f7f9}
code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:0.9em}
pre{background:#f6f7f9;padding:8px;overflow-x:auto}
b{color:#a01818}
figure{margin:12px 0}
figure svg{max-width:100%;height:auto}
"""


def _inline(text: str) -> str:
    """HTML-escaped text with its `code` spans as code and its Markdown escapes undone (a name reads as
    on the server); never a link or a tag."""
    parts = _CODE_SPAN.split(text.strip())
    return "".join(f"<code>{html.escape(part)}</code>" if index % 2
                   else html.escape(_MARKDOWN_ESCAPE.sub(r"\1", part)) for index, part in enumerate(parts))


def report_body(text: str) -> str:
    """The report laid out for reading: its ``name | value`` lines as tables, its column blocks as code
    (HTML that Qt's rich text and a browser both show)."""
    out: list[str] = []
    mode = ""  # "" | "table" | "code"

    def switch(to: str) -> None:
        nonlocal mode
        while mode == "code" and out and out[-1] == "\n":
            out.pop()
        out.append({"table": "</table>", "code": "</pre>"}.get(mode, ""))
        out.append({"table": '<table cellspacing="0" cellpadding="3">', "code": "<pre>"}.get(to, ""))
        mode = to

    for line in text.splitlines():
        pair, note = _PAIR.match(line), _NOTE.match(line)
        if line.startswith("#"):
            switch("")
            level = 2 if line.startswith("# ") else 3
            out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif mode == "table" and note:
            value = note.group(2)
            shown = (f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
                     if note.group(1) == "see" and value in DOCS_LINKS else _inline(value))
            out.append(f'<tr><td align="right" valign="top"><i>{note.group(1)}</i></td><td>{shown}</td></tr>')
        elif pair:
            if mode != "table":
                switch("table")
            name = html.escape(pair.group(1))
            name = f"<b>{name}</b>" if name.startswith("FAIL") else name
            out.append(f'<tr><td align="right" valign="top">{name}</td><td>{_inline(pair.group(2))}</td></tr>')
        elif line.startswith("    ") and line.strip():
            if mode != "code":
                switch("code")
            out.append(html.escape(line[4:]) + "\n")
        elif not line.strip():
            if mode == "table":
                switch("")
            elif mode == "code":
                out.append("\n")
        else:
            switch("")
            out.append(f"<p>{_inline(line)}</p>")
    switch("")
    return "".join(piece for piece in out if piece)


def _charts_section(charts: Mapping[str, str]) -> str:
    figures = "".join(f'<figure id="chart-{html.escape(name.removesuffix(".svg"))}">'
                      f"{_XML_DECLARATION.sub('', svg)}</figure>" for name, svg in charts.items())
    return f"<h3>{CHARTS_TITLE}</h3>{figures}"


def _sections(text: str) -> list[str]:
    """The report split before each ``## `` heading."""
    sections: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("## ") or not sections:
            sections.append("")
        sections[-1] += line
    return sections


def report_document(report: str, charts: Mapping[str, str] | None = None, *, title: str = "ps-prechecks report") -> str:
    """report.html: the Markdown report (prechecks.report) laid out, and the charts (file name -> SVG,
    prechecks.charts.history_charts) inline in a section of their own after the workload summary (before the
    end when the report has no summary). One file: inline styles, no script, nothing fetched (CSP)."""
    parts: list[str] = []
    pending = dict(charts or {})
    for section in _sections(report):
        heading = section.split("\n", 1)[0]
        if pending and heading.startswith("## The End"):
            parts.append(_charts_section(pending))
            pending = {}
        parts.append(report_body(section))
        if pending and heading.startswith("## Summary"):
            parts.append(_charts_section(pending))
            pending = {}
    if pending:
        parts.append(_charts_section(pending))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")


def text_nodes(markup: str, change: Callable[[str], str]) -> str:
    """``markup`` (report.html, a chart's SVG) with ``change`` applied to its text only, read unescaped and
    escaped again: tags, attributes, comments and stylesheets stay as they are. How the archive's text pass
    (prechecks.redaction) reaches a page: a schema named ``content`` or a table named ``height`` is a pseudonym
    where it is text, and the page's ``<meta content=...>`` and the charts' ``height=`` stay markup."""
    parts = _MARKUP.split(markup)
    return "".join(part if index % 2 else html.escape(change(html.unescape(part)), quote=False)
                   for index, part in enumerate(parts))
