"""Page 5: PlanetScale import readiness: a one-line verdict, then the checks by severity.

Each check shows its detail, the affected objects, the remediation (copyable) and a docs link.

"Add another server…" keeps this server's run in the submission (gui.state.KeptServer) and goes back to
Connection for the next one; the archive then has one folder per server. The list of the servers kept
so far, each with its verdict, can drop one of them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from gui.pages.base import Page, copy_button, log, text_lines, two_column_tree, wrapped_label
from gui.qt import (
    QFont,
    QHBoxLayout,
    QInputDialog,
    QKeySequence,
    QLabel,
    QPushButton,
    QSplitter,
    Qt,
    QTextBrowser,
    QtGui,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from gui.state import PageId
from prechecks.escape import rich_text
from prechecks.multi import server_identity, server_verdict
from prechecks.readiness import DOCS_LINKS, verdict
from prechecks.summary import server_name as product_and_version

GROUPS = (
    ("blocker", "Blockers: must be fixed before importing"),
    ("warning", "Warnings: fix or accept before importing"),
    ("notice", "Notices: worth knowing"),
)
STATUS_WORDS = {"pass": "pass", "fail": "FAIL", "skipped": "skipped", "not_applicable": "n/a"}
ROLE = Qt.ItemDataRole.UserRole
NAME_ROLE = Qt.ItemDataRole.UserRole + 1  # every server's row: its folder name (Rename)
ADD_SERVER_HINT = ("Another server for this migration (a replica, another shard)? This server's results stay in "
                   "the archive; each server gets its own folder and the questionnaire covers them all.")


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

        # the servers of this submission: shown once a server was kept by "Add another server"
        self.servers_box = QWidget()
        servers_layout = QVBoxLayout(self.servers_box)
        servers_layout.setContentsMargins(0, 0, 0, 0)
        self.servers_label = QLabel()
        servers_layout.addWidget(self.servers_label)
        self.servers = two_column_tree(["Server (folder in the archive)", "PlanetScale import readiness"],
                                       "Servers in this archive")
        self.servers.setRootIsDecorated(False)
        self.servers.setMaximumHeight(text_lines(self.servers, 5))
        self.servers.currentItemChanged.connect(lambda _current, _previous: self._server_chosen())
        self.servers_label.setBuddy(self.servers)
        servers_layout.addWidget(self.servers)
        remove_row = QHBoxLayout()
        remove_row.addStretch(1)
        self.rename_server = QPushButton("R&ename…")
        self.rename_server.setAccessibleName("Rename the selected server's folder in the archive")
        self.rename_server.setToolTip("The folder of the selected server in the archive (say orders-primary)")
        self.rename_server.clicked.connect(self.rename_selected_server)
        remove_row.addWidget(self.rename_server)
        self.remove_server = QPushButton("Re&move from the archive")
        self.remove_server.setAccessibleName("Remove the selected server from the archive")
        self.remove_server.clicked.connect(self.remove_selected_server)
        remove_row.addWidget(self.remove_server)
        servers_layout.addLayout(remove_row)
        self.servers_box.setVisible(False)
        layout.addWidget(self.servers_box)
        QtGui.QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.servers, self.remove_selected_server,
                        context=Qt.ShortcutContext.WidgetShortcut)
        self.duplicate = wrapped_label(selectable=True)
        self.duplicate.setAccessibleName("Same server twice")
        self.duplicate.setVisible(False)
        layout.addWidget(self.duplicate)
        self.servers_status = wrapped_label()
        self.servers_status.setAccessibleName("Servers in this archive: what changed")
        layout.addWidget(self.servers_status)

        add_row = QHBoxLayout()
        self.add_server = QPushButton("&Add another server…")
        self.add_server.setAccessibleName("Add another server to this archive")
        self.add_server.setAccessibleDescription(ADD_SERVER_HINT)
        self.add_server.setToolTip(ADD_SERVER_HINT)
        self.add_server.clicked.connect(self.add_another_server)
        add_row.addWidget(self.add_server)
        add_row.addWidget(wrapped_label(ADD_SERVER_HINT), 1)
        layout.addLayout(add_row)

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if not self._split:  # once laid out: the checks' titles whole at the default size, the details wrap
            self._split = True
            total = sum(self.splitter.sizes())
            self.splitter.setSizes([total * 3 // 5, total - total * 3 // 5])

    def initializePage(self) -> None:
        self.servers_status.clear()
        self.show_readiness(self.state.readiness or {"checks": []})
        self.show_servers()
        self.add_server.setEnabled(self.state.result is not None)

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
                 f"<p>{rich_text(c.get('detail', ''))}</p>"]
        objects = [str(o) for o in c.get("objects", [])]
        if objects:
            shown = "".join(f"<li><code>{rich_text(o)}</code></li>" for o in objects[:50])
            more = f"<li>… and {len(objects) - 50} more</li>" if len(objects) > 50 else ""
            parts.append(f"<p><b>Affected objects ({len(objects)}):</b></p><ul>{shown}{more}</ul>")
        if c.get("remediation"):
            remediation = rich_text(c["remediation"])  # shown on one line per name; copied exactly
            parts.append("<p><b>What to do:</b></p>"
                         f'<p style="white-space: pre-wrap; font-family: monospace">{remediation}</p>')
        if c.get("docs") in DOCS_LINKS:  # a link only to a page of ours
            url = html.escape(str(c["docs"]))
            parts.append(f'<p>Documentation: <a href="{url}">{url}</a></p>')
        self.detail.setHtml("".join(parts))

    def remediation_text(self) -> str:
        return str(self._current.get("remediation", "")) if self._current else ""

    # -- several servers ---------------------------------------------------------------------------
    def show_servers(self) -> None:
        """The kept servers and the current one, each with its verdict; a warning when one is here twice."""
        state = self.state
        self.servers.clear()
        self.servers_box.setVisible(bool(state.kept))
        self.duplicate.setVisible(False)
        verdict_line = verdict(state.readiness or {"checks": []}) + "."
        if not state.kept:
            self.verdict.setText(verdict_line)
            return
        if state.result is not None:  # several servers: say whose verdict this is
            self.verdict.setText(f"{state.current_name()}: {verdict_line}")
        count = len(state.kept) + (state.result is not None)
        self.servers_label.setText(f"&Servers in this archive ({count}); Remove or Delete drops the selected one:")
        for kept in state.kept:
            item = QTreeWidgetItem([kept.name, server_verdict(kept.readiness)])
            item.setData(0, ROLE, kept.name)
            item.setData(0, NAME_ROLE, kept.name)
            where = kept.spec.target if kept.spec is not None else "?"
            logs = f"; with the digest of {len(kept.slow_logs)} slow log(s)" if kept.slow_logs else ""
            item.setToolTip(0, f"{kept.name}: {where}, {product_and_version(kept.result.facts)}{logs}")
            self.servers.addTopLevelItem(item)
        if state.result is not None:
            name = state.current_name()
            item = QTreeWidgetItem([f"{name} (shown above)", server_verdict(state.readiness or {})])
            item.setData(0, NAME_ROLE, name)
            item.setToolTip(0, f"{name}: {product_and_version(state.result.facts)}; the run shown above, which "
                               "Back and Run again replace")
            self.servers.addTopLevelItem(item)
            self._warn_if_duplicate(name)
        first = self.servers.topLevelItem(0)
        if first is not None:
            self.servers.setCurrentItem(first)
        self._server_chosen()

    def _warn_if_duplicate(self, name: str) -> None:
        state = self.state
        assert state.result is not None
        identity = server_identity(state.result.facts)
        same = [k.name for k in state.kept if identity is not None and server_identity(k.result.facts) == identity]
        if same:
            self.duplicate.setText(f"⚠ {name} is the server already in the archive as {', '.join(same)} (same "
                                   f"{identity}): it would be counted twice. Remove {same[0]}, or go back and "
                                   "connect to another server.")
            self.duplicate.setVisible(True)
            log.warning("findings: %s is the same server as %s", name, ", ".join(same))

    def _server_chosen(self) -> None:
        item = self.servers.currentItem()
        self.remove_server.setEnabled(item is not None and isinstance(item.data(0, ROLE), str))
        self.rename_server.setEnabled(item is not None and isinstance(item.data(0, NAME_ROLE), str))

    def rename_selected_server(self) -> None:
        """Another folder name for the selected server (checked as a --servers file's names are)."""
        item = self.servers.currentItem()
        old = item.data(0, NAME_ROLE) if item is not None else None
        if not isinstance(old, str):
            return
        new, accepted = QInputDialog.getText(self, "Name in the archive",
                                             f"Folder name for {old} (letters, digits, - _ .):", text=old)
        new = new.strip()
        if not accepted or not new or new == old:
            return
        problem = self.state.rename(old, new)
        if problem is not None:
            self.servers_status.setText(f"Not renamed: {problem}.")
            return
        log.info("findings: %s renamed %s", old, new)
        self.show_servers()
        self.servers_status.setText(f"{old} is now {new} in the archive.")

    def remove_selected_server(self) -> None:
        item = self.servers.currentItem()
        name = item.data(0, ROLE) if item is not None else None
        if not isinstance(name, str):  # the current server: Back and another connection replace it
            return
        removed = self.state.remove_kept(name)
        if removed is None:
            return
        log.info("findings: %s removed from the archive", name)
        self.show_servers()
        with_logs = " with its slow log digest" if removed.slow_logs else ""
        self.servers_status.setText(f"Removed {name}{with_logs} from the archive.")
        if not self.servers_box.isVisible():
            self.add_server.setFocus()

    def add_another_server(self) -> None:
        """Keep this server's run (in memory, password included, for the redactor only) and connect to the next."""
        state = self.state
        if state.result is None:
            return
        kept = state.keep_current()
        log.info("findings: %s kept; %d server(s) in the archive so far", kept.name, len(state.kept))
        if PageId.CONNECTION in self.host.visitedIds():
            self.host.go_back_to(PageId.CONNECTION)
        else:  # a wizard opened on a later page (screenshots, tests): Back cannot reach Connection
            self.host.setStartId(PageId.CONNECTION)
            self.host.restart()
