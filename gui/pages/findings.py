"""Page 5: PlanetScale import readiness: a one-line verdict, then the checks by severity.

Each check shows its detail, the affected objects, the remediation (copyable) and a docs link.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from gui.pages.base import Page, copy_button, two_column_tree, wrapped_label
from gui.qt import (
    QFont,
    QHBoxLayout,
    QSplitter,
    Qt,
    QTextBrowser,
    QtGui,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from prechecks.readiness import verdict

GROUPS = (
    ("blocker", "Blockers: must be fixed before importing"),
    ("warning", "Warnings: fix or accept before importing"),
    ("notice", "Notices: worth knowing"),
)
STATUS_WORDS = {"pass": "pass", "fail": "FAIL", "skipped": "skipped", "not_applicable": "n/a"}
ROLE = Qt.ItemDataRole.UserRole


class FindingsPage(Page):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Findings: PlanetScale import readiness")
        self.setSubTitle("Every check, grouped by severity; select one for what to do.")
        layout = QVBoxLayout(self)
        self.verdict = wrapped_label(selectable=True)
        self.verdict.setAccessibleName("Verdict")
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setWeight(QFont.Weight.Bold)
        self.verdict.setFont(font)
        layout.addWidget(self.verdict)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.tree = two_column_tree(["Check", "Result"], "Readiness checks")
        self.tree.currentItemChanged.connect(lambda current, _previous: self.show_check(current))
        splitter.addWidget(self.tree)
        right = QVBoxLayout()
        self.detail = QTextBrowser()
        self.detail.setOpenExternalLinks(True)
        self.detail.setAccessibleName("Check details")
        right.addWidget(self.detail, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.copy_remediation = copy_button(self.remediation_text, "Copy &remediation", "Copy remediation")
        buttons.addWidget(self.copy_remediation)
        right.addLayout(buttons)
        holder = QWidget()
        holder.setLayout(right)
        right.setContentsMargins(0, 0, 0, 0)
        splitter.addWidget(holder)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.splitter = splitter
        self._split = False
        layout.addWidget(splitter, 1)
        self._current: Mapping[str, Any] | None = None

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if not self._split:  # once laid out: the checks' titles whole at the default size, the details wrap
            self._split = True
            total = sum(self.splitter.sizes())
            self.splitter.setSizes([total * 3 // 5, total - total * 3 // 5])

    def initializePage(self) -> None:
        self.show_readiness(self.state.readiness or {"checks": []})

    def show_readiness(self, readiness: Mapping[str, Any]) -> None:
        checks = [c for c in readiness.get("checks", []) if isinstance(c, Mapping)]
        self.verdict.setText(verdict(readiness) + ".")
        self.tree.clear()
        first: QTreeWidgetItem | None = None
        failed = [c for c in checks if c.get("status") == "fail"]
        for severity, title in GROUPS:
            members = [c for c in failed if c.get("severity") == severity]
            if not members:
                continue
            group = QTreeWidgetItem([f"{title} ({len(members)})", ""])
            self.tree.addTopLevelItem(group)
            for check in members:
                item = self._item(check)
                group.addChild(item)
                first = first or item
            group.setExpanded(True)
        for status, title in (("skipped", "Could not check"), ("pass", "Passed"), ("not_applicable", "Not applicable")):
            members = [c for c in checks if c.get("status") == status]
            if not members:
                continue
            group = QTreeWidgetItem([f"{title} ({len(members)})", ""])
            self.tree.addTopLevelItem(group)
            for check in members:
                group.addChild(self._item(check))
            group.setExpanded(status == "skipped")
        if first is not None:
            self.tree.setCurrentItem(first)
        else:
            self.show_check(None)

    def _item(self, check: Mapping[str, Any]) -> QTreeWidgetItem:
        status = str(check.get("status", ""))
        word = STATUS_WORDS.get(status, status)
        title = str(check.get("title", check.get("id", "")))
        item = QTreeWidgetItem([title, word])
        item.setToolTip(0, title)
        item.setData(0, ROLE, dict(check))
        return item

    def show_check(self, item: QTreeWidgetItem | None) -> None:
        check = item.data(0, ROLE) if item is not None else None
        self._current = check if isinstance(check, Mapping) else None
        self.copy_remediation.setEnabled(bool(self._current and self._current.get("remediation")))
        if self._current is None:
            self.detail.setHtml("<p>Select a check to see its details.</p>")
            return
        c = self._current
        parts = [f"<h3>{html.escape(str(c.get('title', '')))}</h3>",
                 f"<p><b>{html.escape(str(c.get('severity', '')))}</b>, "
                 f"{html.escape(STATUS_WORDS.get(str(c.get('status')), str(c.get('status'))))}</p>",
                 f"<p>{html.escape(str(c.get('detail', '')))}</p>"]
        objects = [str(o) for o in c.get("objects", [])]
        if objects:
            shown = "".join(f"<li><code>{html.escape(o)}</code></li>" for o in objects[:50])
            more = f"<li>… and {len(objects) - 50} more</li>" if len(objects) > 50 else ""
            parts.append(f"<p><b>Affected objects ({len(objects)}):</b></p><ul>{shown}{more}</ul>")
        if c.get("remediation"):
            remediation = html.escape(str(c["remediation"]))
            parts.append("<p><b>What to do:</b></p>"
                         f'<p style="white-space: pre-wrap; font-family: monospace">{remediation}</p>')
        if c.get("docs"):
            url = html.escape(str(c["docs"]))
            parts.append(f'<p>Documentation: <a href="{url}">{url}</a></p>')
        self.detail.setHtml("".join(parts))

    def remediation_text(self) -> str:
        return str(self._current.get("remediation", "")) if self._current else ""
