"""One archive for several servers (`--servers FILE`).

Layout: each server's report, samples, facts.json and readiness.json under a folder named after it
(`<name>/ps_report_<ts>.md`, `<name>/ps_samples_<ts>/…`, …); at the top one `servers.md` (which
server is which, and its verdict), one questionnaire (freeform_questions.md, submission.json) whose
prefill covers all servers (prechecks.prefill.prefill_servers), the attachments and one manifest.
One redactor serves every server, so a name gets the same pseudonym in every folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from prechecks.archive_files import ArchiveFiles
from prechecks.bundle import ArchiveInputs, PreparedBundle, build, build_manifest
from prechecks.derive import Derived
from prechecks.escape import markdown
from prechecks.redaction import EarlierMap, Redactor
from prechecks.servers import NAME_PATTERN


@dataclass
class ServerPart:
    """One server's share of the archive: its derived facts and inputs; ``error`` set when it could not be
    collected (then both are None)."""

    name: str
    derived: Derived | None
    inputs: ArchiveInputs | None
    error: str = ""  # one line: why this server is missing
    remedy: str = ""


def server_verdict(readiness: Mapping[str, Any]) -> str:
    """One server's readiness in servers.md (and the wizard's list of servers): blockers and warnings."""
    checks = readiness.get("checks", [])
    blockers = sum(1 for c in checks if c.get("severity") == "blocker" and c.get("status") == "fail")
    warnings = sum(1 for c in checks if c.get("severity") == "warning" and c.get("status") == "fail")
    if blockers:
        return f"{blockers} blocker(s), {warnings} warning(s)"
    return f"no blocker, {warnings} warning(s)"


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def name_problem(name: str, taken: Iterable[str] = ()) -> str | None:
    """Why ``name`` cannot be a server's folder (as a --servers file would refuse it), or None."""
    if not NAME_PATTERN.match(name):
        return (f"{name!r} cannot be a folder name: up to 63 letters, digits, '-', '_' or '.', starting with a "
                "letter or digit")
    if name.lower() in {t.lower() for t in taken}:
        return f"{name!r} is taken by another server of this archive (names are compared without case)"
    return None


def server_name(source: Mapping[str, Any], taken: Iterable[str] = ()) -> str:
    """A folder name for a server collected in the wizard, from how it was reached (facts' ``source``):
    the host, with ``-port`` when it is not 3306; the SSH bastion when the host is the bastion itself; the
    socket file's name. Valid as a --servers name (NAME_PATTERN), and unique among ``taken`` regardless of
    case (-2, -3, ... added), as load_servers requires. ``-port``, not ``:port``: a hyphen keeps the host a
    whole word for the redactor, and Windows allows no ``:`` in a file name."""
    host, socket, port = source.get("host"), source.get("socket"), source.get("port")
    if source.get("via") == "ssh" and (not host or str(host).lower() in LOOPBACK):
        host = source.get("ssh_host")
    if host:
        host = "localhost" if host == "::1" else host  # cleaned up, "::1" would be "1"
        base = str(host) + (f"-{port}" if port not in (None, 3306) else "")
    elif socket:
        base = str(socket).replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".sock")
    else:
        base = ""
    base = _NOT_IN_NAME.sub("-", base).strip("-._")[:63] or "server"
    if not NAME_PATTERN.match(base):
        base = "server"
    used = {name.lower() for name in taken}
    name, number = base, 1
    while name.lower() in used:
        number += 1
        suffix = f"-{number}"
        name = base[:63 - len(suffix)].rstrip("-._") + suffix
    return name


def server_identity(facts: Mapping[str, Any]) -> str | None:
    """What tells one server from another, whichever way it was reached: MySQL's server_uuid, else the
    host name, port and data directory the server reports; None when the facts hold neither."""
    uuid = (facts.get("variables") or {}).get("server_uuid")
    if uuid:
        return f"server_uuid {uuid}"
    server = facts.get("server") or {}
    if server.get("hostname") and server.get("datadir"):
        return f"host name {server['hostname']}, port {server.get('port')}, datadir {server['datadir']}"
    return None


def prepare_servers_bundle(
    parts: Sequence[ServerPart],
    timestamp: str,
    *,
    secrets: Sequence[str] = (),
    redact: Sequence[str] = (),
    answers: Mapping[str, Any] | None = None,
    draft: Mapping[str, Any] | None = None,
    attachments: Mapping[str, Path] | None = None,
    earlier_map: EarlierMap | None = None,
) -> PreparedBundle:
    """Every file of the archive in memory (write_bundle saves them); ``earlier_map``: the
    pseudonyms an earlier run gave are given again."""
    from prechecks.prefill import servers_questionnaire_files

    redactor = Redactor(redact, secrets=secrets, earlier=earlier_map)
    files = ArchiveFiles()
    collected: list[tuple[str, dict[str, Any]]] = []
    index: list[dict[str, Any]] = []
    manifests: dict[str, Any] = {}
    for part in parts:
        if part.derived is None or part.inputs is None:
            index.append({"name": part.name, "collected": False, "error": part.error, "remedy": part.remedy})
            continue
        inputs = replace(part.inputs, timestamp=timestamp, secrets=list(secrets), attachments={}, questionnaire=False)
        own = build(part.derived, inputs, redactor).files
        manifest = json.loads(own.pop("manifest.json"))
        facts = json.loads(own["facts.json"])
        readiness = json.loads(own["readiness.json"])
        collected.append((part.name, facts))
        folder = redactor.path(part.name)
        for path in own:
            files.adopt(f"{folder}/{path}", own, path)
        manifests[folder] = {k: v for k, v in manifest.items() if k not in ("files", "format_version", "tool")}
        server = facts.get("server", {})
        index.append({"name": folder, "collected": True, "version": server.get("version"),
                      "flavor": server.get("flavor"), "platform": server.get("platform"),
                      "readiness": server_verdict(readiness)})
    if not collected:
        raise ValueError("no server could be collected: nothing to write")
    texts = servers_questionnaire_files(collected, draft=draft, answers=answers,
                                        attachments=sorted(attachments or {}))
    texts["servers.md"] = _servers_markdown(index, timestamp)
    for path, text in texts.items():
        files[redactor.path(path)] = redactor.text(text).encode("utf-8", "backslashreplace")
    if attachments:
        from prechecks.attachments import read_attachment

        for name, source in sorted(attachments.items()):
            files[redactor.path(f"attachments/{name}")] = read_attachment(name, source)
    facts_for_manifest = {"collected_at": collected[0][1].get("collected_at")}
    manifest = build_manifest(files, facts_for_manifest, {"servers": index, "per_server": manifests,
                                                          "redaction": redactor.record()})
    files["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    return PreparedBundle(files, redactor, timestamp)


def _servers_markdown(index: list[dict[str, Any]], timestamp: str) -> str:
    lines = [f"# Servers in this submission ({timestamp})", "",
             "Each collected server has its own folder: report, samples, facts.json, readiness.json.",
             "The questionnaire (freeform_questions.md, submission.json) covers all of them.", "",
             "| server | version | flavor | platform | PlanetScale import readiness |",
             "|---|---|---|---|---|"]
    for entry in index:  # what the server reported, escaped: one table row each, no link, no HTML
        if entry["collected"]:
            lines.append(f"| {markdown(entry['name'])} | {markdown(entry.get('version') or '')} | "
                         f"{markdown(entry.get('flavor') or '')} | {markdown(entry.get('platform') or '')} | "
                         f"{markdown(entry['readiness'])} |")
        else:
            lines.append(f"| {markdown(entry['name'])} | not collected: {markdown(entry['error'])} | | | |")
    return "\n".join(lines) + "\n"


def collect_servers(entries: Sequence[Any], options: Any, timestamp: str, *, progress: Any = None,
                    cancel: Any = None, announce: Any = None) -> list[ServerPart]:
    """Collect each server of a --servers file in turn. A server that cannot be reached or is lost
    mid-run becomes a part with its one-line cause; Ctrl-C / cancel ends everything (RunAborted)."""
    from collectors.connection import ConnectionFailed
    from collectors.runner import RunAborted
    from prechecks.collection import archive_inputs, collect

    parts: list[ServerPart] = []
    for entry in entries:
        if announce is not None:
            announce(entry)
        try:
            result = collect(entry.spec, options, progress=progress, cancel=cancel)
        except ConnectionFailed as exc:
            problem = exc.problem
            parts.append(ServerPart(entry.name, None, None, problem.message, problem.remedy))
            continue
        except RunAborted as exc:
            if exc.cancelled:
                raise
            parts.append(ServerPart(entry.name, None, None, str(exc), exc.remedy))
            continue
        inputs = archive_inputs(result, timestamp, secrets=entry.spec.secrets, questionnaire=False)
        parts.append(ServerPart(entry.name, result.derived, inputs))
    return parts
