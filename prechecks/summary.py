"""The words around a saved archive: what each redaction class does, the e-mail text, where the archive goes.

Qt-free. The e-mail summary is built from the archive's own files (facts.json, readiness.json,
submission.json, manifest.json), so it says what was saved, redacted as it was saved, and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from prechecks.attachments import ARCHIVE_DIR, format_size
from prechecks.escape import visible
from prechecks.prefill import FLAVOR_NAMES
from prechecks.questionnaire import Questionnaire, load_questionnaire
from prechecks.readiness import verdict

LINKS_RESOURCE = "links.toml"


@dataclass(frozen=True)
class RedactionClass:
    label: str  # what the checkbox says
    description: str  # one sentence: what is replaced, by what, and what is kept
    pseudonyms: str  # how the replaced names look, for the e-mail


REDACTION_CLASSES: dict[str, RedactionClass] = {
    "hostnames": RedactionClass(
        "Host names",
        "Server, replica and client host names become host-001, host-002…; localhost is kept.",
        "host-001"),
    "ips": RedactionClass(
        "IP addresses",
        "IPv4 and IPv6 addresses become ip-001, ip-002…; loopback and 0.0.0.0 are kept.",
        "ip-001"),
    "users": RedactionClass(
        "Account names",
        "MySQL account names (the connecting account, DEFINER=, processlist, the option file's user =) "
        "become user-001…; the server's built-in accounts are kept.",
        "user-001"),
    "identifiers": RedactionClass(
        "Schema and object names",
        "Schema, table, column, index, view, routine, trigger and event names become schema-001, "
        "table-001…, in the report, the samples and the schema DDL; system schemas are kept.",
        "schema-001, table-001"),
}
ALWAYS_REDACTED = ("Always removed, whatever you choose: the password, secret-looking settings and option-file "
                   "keys, credentials in connection strings, and the literals of query digests and routine bodies.")


@dataclass(frozen=True)
class ArchiveFile:
    """The saved archive as the recipient will check it."""

    name: str
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> ArchiveFile:
        digest = hashlib.sha256()
        size = 0
        with Path(path).open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        return cls(Path(path).name, size, digest.hexdigest())


def upload_url() -> str:
    """Where the archive is uploaded: the technical questionnaire form (resources/links.toml, ``upload_url``)."""
    text = resources.files("resources").joinpath(LINKS_RESOURCE).read_text(encoding="utf-8")
    url = tomllib.loads(text).get("upload_url")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError(f"resources/{LINKS_RESOURCE}: upload_url must be an https:// address")
    return url


def send_ways() -> str:
    """The two ways the archive reaches PlanetScale, in one line (the CLI's last words, the Save page's too)."""
    return (f"upload it at the end of PlanetScale's technical questionnaire form ({upload_url()}), or e-mail it to "
            "your PlanetScale solutions rep")


def _json(files: Mapping[str, bytes], name: str) -> dict[str, Any]:
    try:
        value = json.loads(files[name])
    except (KeyError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _section(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key)
    return value if isinstance(value, Mapping) else {}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def server_name(facts: Mapping[str, Any]) -> str:
    """``MariaDB 11.4.2`` from facts.json's server section."""
    server = _section(facts, "server")
    product = FLAVOR_NAMES.get(str(server.get("flavor") or ""), "MySQL-compatible server")
    return f"{product} {server.get('version') or '(version unknown)'}"


def server_line(facts: Mapping[str, Any]) -> str:
    server = _section(facts, "server")
    comment = f" ({server['version_comment']})" if server.get("version_comment") else ""
    return visible(f"{server_name(facts)}{comment}, platform: {server.get('platform') or 'unknown'}")


def readiness_lines(readiness: Mapping[str, Any]) -> list[str]:
    if not readiness.get("checks"):
        return ["Readiness: not in the archive."]
    checks = [c for c in readiness["checks"] if isinstance(c, Mapping)]
    lines = [f"Readiness: {verdict(readiness)}."]
    for severity, title in (("blocker", "Blockers (checks that failed)"), ("warning", "Warnings (checks that failed)")):
        failed = [str(c.get("title") or c.get("id")) for c in checks
                  if c.get("status") == "fail" and c.get("severity") == severity]
        if failed:
            lines.append(f"  {title}: {'; '.join(failed)}.")
    return lines


def servers_lines(servers: Sequence[Mapping[str, Any]]) -> list[str]:
    """An archive of several servers: one line each from the manifest's index (as servers.md has it)."""
    lines = [f"Servers: {len(servers)}, each in its own folder of the archive (servers.md says which is which):"]
    for entry in servers:
        if not entry.get("collected"):
            error = entry.get("error") or "no reason given"
            lines.append(visible(f"  - {entry.get('name')}: not collected ({error})."))
            continue
        product = FLAVOR_NAMES.get(str(entry.get("flavor") or ""), "MySQL-compatible server")
        lines.append(visible(f"  - {entry.get('name')}: {product} {entry.get('version') or '(version unknown)'}, "
                             f"platform: {entry.get('platform') or 'unknown'}; readiness: {entry.get('readiness')}."))
    return lines


def questionnaire_lines(submission: Mapping[str, Any], questionnaire: Questionnaire) -> list[str]:
    entries = [a for a in submission.get("answers", []) if isinstance(a, Mapping)]
    if not entries:
        return ["Questionnaire: not in the archive."]
    answered = {str(a.get("id")): a for a in entries if a.get("value") not in (None, "", [])}
    prefilled = sum(1 for a in answered.values() if str(a.get("source") or "").startswith("prefill:"))
    missing = [q for q in questionnaire.questions if q.required and q.id not in answered]
    lines = [f"Questionnaire: {len(answered)} of {len(entries)} questions answered "
             f"({prefilled} prefilled from the server); "
             + (f"{_plural(len(missing), 'required question')} still open:" if missing
                else "every required question answered.")]
    lines += [f"  - {q.question} ({q.id})" for q in missing]
    return lines


def redaction_lines(record: Mapping[str, Any]) -> list[str]:
    classes = [str(c) for c in record.get("classes", []) if str(c) in REDACTION_CLASSES]
    counts = _section(record, "counts")
    if not classes:
        return ["Redaction: passwords, secret-looking settings and query literals removed; "
                "names and addresses left as they are."]
    replaced = ", ".join(f"{REDACTION_CLASSES[c].label.lower()} ({counts.get(c, 0)} replaced, "
                         f"as {REDACTION_CLASSES[c].pseudonyms}…)" for c in classes)
    return ["Redaction: passwords, secret-looking settings and query literals removed; "
            f"replaced by pseudonyms: {replaced}. We keep the map from pseudonyms to real names."]


def email_text(files: Mapping[str, bytes], archive: ArchiveFile, *,
               questionnaire: Questionnaire | None = None) -> str:
    """A plain-text e-mail to PlanetScale about one saved archive (``files``: its members, path -> bytes)."""
    questionnaire = questionnaire or load_questionnaire()
    facts = _json(files, "facts.json")
    manifest = _json(files, "manifest.json")
    tool = _section(manifest, "tool")
    listed = [f for f in manifest.get("files", []) if isinstance(f, Mapping)]
    attachments: Sequence[str] = [str(f["path"]).removeprefix(f"{ARCHIVE_DIR}/") for f in listed
                                  if str(f.get("path", "")).startswith(f"{ARCHIVE_DIR}/")]
    servers = [s for s in manifest.get("servers", []) if isinstance(s, Mapping)]  # several: one folder each
    lines = [
        "Subject: PlanetScale migration prechecks: "
        + (f"{len(servers)} servers" if servers else server_name(facts)),
        "",
        "Hello,",
        "",
        f"Attached is the pre-migration prechecks archive of our database "
        f"{'servers' if servers else 'server'}, collected read-only with ps-prechecks "
        f"{tool.get('version', '')}".rstrip() + ".",
        "If it was too large to attach, it is uploaded instead at the end of PlanetScale's technical "
        f"questionnaire form ({upload_url()}), under the name below.",
        "",
        *(servers_lines(servers) if servers else
          [f"Server: {server_line(facts)}", *readiness_lines(_json(files, "readiness.json"))]),
        *questionnaire_lines(_json(files, "submission.json"), questionnaire),
        f"Attachments: {', '.join(attachments)}." if attachments else "Attachments: none.",
        *redaction_lines(_section(manifest, "redaction")),
        "",
        f"Archive: {archive.name}, {format_size(archive.size)} ({archive.size} bytes)",
        f"SHA-256: {archive.sha256}",
        f"It holds {_plural(len(listed) + 1, 'file')}; manifest.json lists each with its size and SHA-256.",
        "",
        "Regards,",
        "",
    ]
    return "\n".join(lines)
