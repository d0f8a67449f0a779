"""The upload-ready tarball: built in memory, written next to its final name, checked, given its name.

Nothing partial survives an error or Ctrl-C: the partial archive is written in a private temp folder
(mkdtemp, 0700) next to the final name, created exclusively (O_EXCL, O_NOFOLLOW, 0600), removed with its
folder on every exit path, and the final name appears only through an atomic hard link (a rename where the
file system has none) on the same file system, never onto a name already taken. No predictable name in the
output folder: another user who can write there cannot pre-create the file we write (and so own the archive
or the redaction map).
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from collectors.redact import redact_option_text, scrub_ddl_literals
from prechecks import __version__
from prechecks.archive_files import ArchiveFiles
from prechecks.attachments import read_attachment
from prechecks.derive import Derived
from prechecks.html import text_nodes
from prechecks.redaction import EarlierMap, Redactor
from prechecks.slowlog import digest_files, redact_slow_log


@dataclass
class ArchiveInputs:
    """What goes into one server's archive besides its derived facts (prechecks.derive), before redaction."""

    timestamp: str
    # sample file name -> text as read: "mysqldump", "mysql-config-file" (the build removes the option file's
    # passwords, once, before anything renders it)
    samples: Mapping[str, str] = field(default_factory=dict)
    extra_files: Mapping[str, str] = field(default_factory=dict)  # top-level name -> text
    secrets: Sequence[str] = ()  # scrubbed from every file as a last line of defence
    notes: Sequence[str] = ()  # collection.notes of the archive's facts (the run's own facts are not changed)
    answers: Mapping[str, Any] | None = None  # the questionnaire: prefill, under the draft, under the answers
    draft: Mapping[str, Any] | None = None
    questionnaire: bool = True  # False: the caller writes one questionnaire for several servers (prechecks.multi)
    attachments: Mapping[str, Path] = field(default_factory=dict)  # safe name -> file, into attachments/
    top_tables: int = 20
    manifest_extra: Mapping[str, Any] = field(default_factory=dict)  # the run's record (collection.manifest_extra)


@dataclass(frozen=True)
class PreviewFile:
    """One file of the archive as it will be saved: final, redacted content."""

    path: str
    size: int
    text: str | None  # None for a binary file
    sha256: str


@dataclass
class PreparedBundle:
    """Every file of the archive (path -> bytes), the redaction map that goes next to it, and the timestamp
    that names both."""

    files: ArchiveFiles
    redactor: Redactor
    timestamp: str
    answers: list[Any] | None = None  # the questionnaire's merged answers (prechecks.prefill.build_answers), if built

    def preview(self) -> list[PreviewFile]:
        return [PreviewFile(path, self.files.size(path), _as_text(self.files[path]), self.files.sha256(path))
                for path in sorted(self.files)]


def _as_text(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def archive_name(timestamp: str) -> str:
    return f"ps_archive_{timestamp}.tgz"


def redaction_map_name(timestamp: str) -> str:
    """The pseudonym map, written next to the archive (never inside it) when a class was asked for: the name
    archive_path_map gives the archive's first-choice name."""
    return archive_path_map(Path(archive_name(timestamp))).name


def build_manifest(files: ArchiveFiles, facts: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest of every other file of the archive: path, size and SHA-256, plus the run's record."""
    collection = facts.get("collection", {})
    return {
        "format_version": 1,
        "tool": {"name": "ps-prechecks", "version": __version__},
        "created_at": collection.get("finished_at") or facts.get("collected_at"),
        "files": [{"path": path, "size": files.size(path), "sha256": files.sha256(path)} for path in sorted(files)],
        "collectors": collection.get("collectors", []),
        **extra,
    }


def build(derived: Derived, inputs: ArchiveInputs, redaction: Sequence[str] | Redactor = (), *,
          earlier_map: EarlierMap | None = None, consume: bool = False) -> PreparedBundle:
    """The archive of one server, every file path -> bytes, redacted and scrubbed: exactly what will be saved.

    The one build the CLI, the wizard's Review page and Save use: the option file's passwords are removed
    once, the names are redacted once, the report is rendered once (from the redacted facts) and the readiness
    document is the derived one, redacted with the same pseudonyms (never evaluated again). ``redaction``: the
    optional classes (prechecks.redaction.CLASSES), or a Redactor to share its pseudonyms with other servers
    (prechecks.multi); the secrets are always removed. ``earlier_map``: the pseudonyms an earlier run gave
    (prechecks.redaction.load_map) are given again (with classes; a given Redactor holds its own).
    ``consume``: the caller builds once and never reads ``derived.facts`` again (the CLI): the build rewrites
    them in place instead of a copy of its own (on a server of 10,000 schemas the copy was 90 MB).
    """
    from prechecks.report import render_report
    from prechecks.samples import render_samples

    redactor = redaction if isinstance(redaction, Redactor) else Redactor(redaction, secrets=inputs.secrets,
                                                                          earlier=earlier_map)
    facts = archive_facts(derived, inputs, consume=consume)  # the build's own, rewritten in place
    config_text = inputs.samples.get("mysql-config-file")
    if config_text is not None:  # the only place the option file's passwords are removed
        config_text, redacted = redact_option_text(config_text)
        facts.setdefault("config_file", {})["redacted"] = redacted
    questionnaire: dict[str, str] = {}
    answered: list[Any] | None = None
    if inputs.questionnaire:  # prefilled from the facts before redaction; the text pass below redacts it
        from prechecks.prefill import build_answers
        from prechecks.questionnaire import load_questionnaire, questionnaire_outputs

        form = load_questionnaire()
        answered = build_answers(facts, draft=inputs.draft, answers=inputs.answers, questionnaire=form,
                                 attachments=sorted(inputs.attachments))
        questionnaire = questionnaire_outputs(form, answered, facts=facts, attachments=sorted(inputs.attachments))
    schema_ddl = inputs.samples.get("mysqldump")
    # learn every name first (facts, option file, DDL), then rewrite the facts everything renders from
    redactor.learn_vocabulary(facts)
    redactor.learn_facts(facts)
    for name in _cloud_ids(facts, inputs):  # --redact hostnames: the bare instance and cluster ids, as the endpoint
        redactor.host(name)
    redactor.learn_config(config_text)
    if redactor.classes:  # names in the DDL get pseudonyms; without classes nothing is renamed
        redactor.learn_sql(schema_ddl)
    before = _statement_texts(facts)
    redact_slow_log(facts, redactor)  # SQL pass on the fingerprints before the facts' text pass
    facts = redactor.facts(facts, copy=False)
    after = _statement_texts(facts)
    # a statement the readiness names (digest text, slow log fingerprint) as the archive's facts now hold it
    statements = dict(zip(before, after, strict=True)) if len(before) == len(after) else {}
    readiness = redact_readiness(derived.readiness, redactor, statements)
    config_text = redactor.config(config_text) if config_text is not None else None
    texts: dict[str, str] = {}
    files = ArchiveFiles()
    samples = render_samples(facts, schema_ddl=None, config_text=config_text)
    for name, text in samples.items():
        texts[f"ps_samples_{inputs.timestamp}/{name}"] = text
    if schema_ddl is not None:  # tens of MB on a server of thousands of schemas: a piece at a time
        path = redactor.path(f"ps_samples_{inputs.timestamp}/mysqldump")
        files.add_chunks(path, _encoded(redactor.text_chunks(_ddl_pieces(schema_ddl, redactor))))
    report = render_report(Derived(facts, readiness), top_tables=inputs.top_tables, config_text=config_text)
    if "cloud.json" in inputs.extra_files:  # its section before the end (the text pass below redacts both)
        report = _with_cloud_section(report, inputs.extra_files["cloud.json"])
    texts[f"ps_report_{inputs.timestamp}.md"] = report
    files.add_chunks(redactor.path("facts.json"), _encoded(redactor.text_chunks(facts_pieces(facts))))
    texts["readiness.json"] = json.dumps(readiness, indent=2) + "\n"
    texts.update(digest_files(facts))  # slow-log-digest.md/.json: fingerprints only, never the log
    texts.update(questionnaire)
    texts.update(inputs.extra_files)
    texts.update(report_html_files(redactor.text(report), inputs.extra_files.get("history.json"), inputs.timestamp))
    # every file and file name through the text pass: the password (the writers do not know it) and
    # URL credentials always, addresses and learnt names when asked for
    # each text is let go once it is bytes
    for path in list(texts):
        text = texts.pop(path)
        files[redactor.path(path)] = (text_nodes(text, redactor.text) if path.endswith((".html", ".svg"))  # markup
                                      else redactor.text(text)).encode("utf-8", "backslashreplace")
        del text
    for name, source in sorted(inputs.attachments.items()):  # the user's own files, byte for byte
        files[redactor.path(f"attachments/{name}")] = read_attachment(name, source)  # only the name redacted
    extra = redactor.json_text(dict(inputs.manifest_extra), sql_keys=("sql",))
    manifest = build_manifest(files, facts, {**extra, "redaction": redactor.record()})
    files["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    return PreparedBundle(files, redactor, inputs.timestamp, answered)


_PIECE_CHARS = 1 << 20  # the size of a piece of facts.json or the schema dump made at a time
_JOIN_EVERY = 4096  # encoder pieces joined at a time


def facts_pieces(facts: Mapping[str, Any]) -> Iterator[str]:
    """facts.json's text (``json.dumps(facts, indent=2, sort_keys=True)`` and a newline, character for character)
    in pieces of about a MiB, each but the last cut right after a newline that follows ``,`` ``{`` or ``[`` (where
    Redactor.text_chunks may cut). Never the whole text at once: json.dumps with an indent joins a list of every
    piece the (pure Python) encoder yields, about five times the text's size (67 MB of text at 10,000 schemas);
    here the encoder's pieces are joined a few thousand at a time."""
    encoder = json.JSONEncoder(indent=2, sort_keys=True)
    small: list[str] = []
    blocks: list[str] = []
    length = 0
    for piece in encoder.iterencode(facts):
        small.append(piece)
        if len(small) < _JOIN_EVERY:
            continue
        blocks.append("".join(small))
        small.clear()
        length += len(blocks[-1])
        if length < _PIECE_CHARS:
            continue
        text = "".join(blocks)
        blocks.clear()
        cut = max(text.rfind(",\n"), text.rfind("{\n"), text.rfind("[\n"))
        if cut < 0:
            blocks.append(text)
            continue
        piece, rest = text[:cut + 2], text[cut + 2:]
        del text
        blocks.append(rest)
        length = len(rest)
        yield piece
        del piece
    small.append("\n")
    blocks.append("".join(small))
    yield "".join(blocks)


def facts_text(facts: Mapping[str, Any]) -> str:
    """facts.json's whole text (what facts_pieces gives, joined)."""
    return "".join(facts_pieces(facts))


def _ddl_pieces(ddl: str, redactor: Redactor) -> Iterator[str]:
    """The schema dump as it goes into the archive, in pieces of about a MiB cut after a ";" and its newline, so
    that no statement is cut: with redaction classes the tokenizer renames names and scrubs literals (one pass over
    the whole text, which keeps state from one statement to the next, given in pieces), without them the regex
    pass, piece by piece (the collector scrubbed view and routine bodies already: this is the second line of
    defence). Newline-terminated, as the sample file is."""
    if redactor.classes:
        pieces: Iterable[str] = redactor.sql_chunks(ddl, ddl=True)
    else:
        pieces = (scrub_ddl_literals(piece) for piece in _statement_pieces(ddl))
    last = ""
    for piece in pieces:
        if piece:
            last = piece
            yield piece
    if last and not last.endswith("\n"):
        yield "\n"


def _statement_pieces(ddl: str) -> Iterator[str]:
    start = 0
    while start < len(ddl):
        end = ddl.find(";\n", start + _PIECE_CHARS)
        if end < 0:
            yield ddl[start:]
            return
        yield ddl[start:end + 2]
        start = end + 2


def _encoded(texts: Iterable[str]) -> Iterator[bytes]:
    for text in texts:
        yield text.encode("utf-8", "backslashreplace")


def archive_facts(derived: Derived, inputs: ArchiveInputs, *, consume: bool = False) -> dict[str, Any]:
    """A JSON copy of the derived facts with what the archive adds to them (the run's own are not changed): the
    notes on a common password (``collection.notes``). What the questionnaire is prefilled from; build() redacts
    it. (A slow log file's digest is a source of derive(): prechecks.derive.derive(facts, slow_log_files=...).)
    ``consume``: no copy, the derived facts themselves made plain JSON (build(consume=True))."""
    facts: dict[str, Any] = json_in_place(derived.facts) if consume else json_copy(derived.facts)
    if inputs.notes:  # a common password: the report says what it means for redaction
        facts["collection"] = {**(facts.get("collection") or {}), "notes": list(inputs.notes)}
    return facts


_JSON_ATOMS = (str, int, float, bool, type(None))


def json_copy(value: Any) -> Any:
    """``json.loads(json.dumps(value, default=str))``, the same document, without its text and with the strings
    shared with ``value`` (they cannot change): every name of thousands of schemas was held twice more in the
    archive's copy of the facts. Anything but JSON's own types (a tuple, a Decimal, a key that is not a string)
    goes through the JSON round trip itself, as before."""
    kind = type(value)
    if kind in _JSON_ATOMS:
        return value
    if kind is dict:
        if all(type(key) is str for key in value):
            return {key: json_copy(item) for key, item in value.items()}
    elif kind is list:
        return [json_copy(item) for item in value]
    return json.loads(json.dumps(value, default=str))


def json_in_place(value: Any) -> Any:
    """What json_copy gives, made by rewriting ``value`` where it is not plain JSON already (a tuple, a Decimal, a
    key that is not a string: each replaced by its JSON round trip) and sharing everything else: for a document
    the caller hands over."""
    kind = type(value)
    if kind in _JSON_ATOMS:
        return value
    if kind is dict:
        if all(type(key) is str for key in value):
            for key, item in value.items():
                if type(item) not in _JSON_ATOMS:
                    plain = json_in_place(item)
                    if plain is not item:
                        value[key] = plain
            return value
    elif kind is list:
        for index, item in enumerate(value):
            if type(item) not in _JSON_ATOMS:
                plain = json_in_place(item)
                if plain is not item:
                    value[index] = plain
        return value
    return json.loads(json.dumps(value, default=str))


def _cloud_ids(facts: Mapping[str, Any], inputs: ArchiveInputs) -> list[str]:
    from prechecks.sizing import cloud_names

    names = cloud_names(facts.get("cloud") if isinstance(facts.get("cloud"), Mapping) else None)
    try:
        names += cloud_names(json.loads(inputs.extra_files.get("cloud.json") or "null"))
    except ValueError:
        pass
    return names


def report_html_files(report: str, history_text: str | None, timestamp: str) -> dict[str, str]:
    """report.html (the report with its charts inline, one file that opens offline) and charts/*.svg when the
    archive has history.json. ``report`` has had the text pass already: HTML escaping cannot hide a secret or
    a name from it; the build's text pass then runs over these files like every other."""
    from prechecks.html import report_document

    charts: dict[str, str] = {}
    if history_text is not None:
        from prechecks.charts import history_charts

        try:
            history = json.loads(history_text)
        except ValueError:
            history = None
        charts = history_charts(history) if isinstance(history, dict) else {}
    files = {f"charts/{name}": svg for name, svg in charts.items()}
    files["report.html"] = report_document(report, charts, title=f"ps-prechecks report {timestamp}")
    return files


def _with_cloud_section(report: str, cloud_text: str) -> str:
    from prechecks.report import render_cloud_section

    try:
        section = render_cloud_section(json.loads(cloud_text))
    except ValueError:
        section = "## Cloud\ncloud.json could not be read back"
    head, end, tail = report.rpartition("## The End")
    return f"{head}{section}\n\n{end}{tail}" if end else f"{report}\n{section}\n"


_OBJECT_KINDS = ("schema", "table", "column")
_BACKQUOTED = re.compile(r"`((?:[^`]|``)*)`")


def _statement_texts(facts: Mapping[str, Any]) -> list[str]:
    """Every statement text of the facts in a fixed order: the digests' text, the slow logs' fingerprints."""
    entries: list[Any] = []
    workload = facts.get("workload")
    if isinstance(workload, Mapping):
        for key in ("digests", "notable_digests"):
            entries += workload.get(key) or []
    slow_log = facts.get("slow_log")
    if isinstance(slow_log, Mapping):
        for source in ("table", "files"):
            fact = slow_log.get(source)
            entries += (fact.get("digests") or []) if isinstance(fact, Mapping) else []
    texts = []
    for entry in entries:
        if isinstance(entry, Mapping):
            text = entry.get("digest_text") if "digest_text" in entry else entry.get("fingerprint")
            texts.append(str(text or ""))
    return texts


def _renamed(pairs: Mapping[str, str], match: re.Match[str]) -> str:
    return pairs[match.group()]


def redact_readiness(readiness: Mapping[str, Any], redactor: Redactor,
                     statements: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The derived readiness document with the archive's pseudonyms (a copy; ``readiness`` is not changed).

    An object that is a statement (``statements``: its text in the facts -> as the archive's redacted facts
    hold it) becomes the redacted statement, with or without classes. With the identifiers class every other
    object is a name the facts hold (learnt by the redactor already): each part of a dotted name gets its
    pseudonym; in the detail and remediation, those objects and every backquoted name the facts hold are
    replaced. The file's text pass then removes the secrets, addresses, account names and distinctive names.
    """
    document: dict[str, Any] = json.loads(json.dumps(readiness, default=str))
    statements = statements or {}
    identifiers = redactor.on("identifiers")
    if not identifiers and not statements:
        return document
    for check in document.get("checks") or []:
        if not isinstance(check, dict):
            continue
        originals = [str(o) for o in check.get("objects") or []]
        renamed = [statements[o] if o in statements
                   else redactor.dotted(o, _OBJECT_KINDS[:min(len(_OBJECT_KINDS), o.count(".") + 1)]) if identifiers
                   else o for o in originals]
        check["objects"] = renamed
        pairs = {o: r for o, r in zip(originals, renamed, strict=True) if o != r}
        pattern = (re.compile("(?<![0-9A-Za-z_$.\u0080-\uffff])(?:"
                              + "|".join(re.escape(o) for o in sorted(pairs, key=len, reverse=True))
                              + ")(?![0-9A-Za-z_$\u0080-\uffff])") if pairs else None)
        for key in ("detail", "remediation"):
            text = check.get(key)
            if not isinstance(text, str):
                continue
            if pattern is not None:  # the objects first: a statement holds backquoted names of its own
                text = pattern.sub(partial(_renamed, pairs), text)
            if identifiers:
                text = _BACKQUOTED.sub(lambda m: "`" + redactor.ident(m.group(1).replace("``", "`"), learn=False)
                                       .replace("`", "``") + "`", text)
            check[key] = text
    return document


def archive_path_map(archive: Path) -> Path:
    """The redaction map that goes with the archive at ``archive``: its name with .redaction-map.json for .tgz
    (also for an archive whose name took a suffix, -2 and so on)."""
    return archive.with_name(archive.name.removesuffix(".tgz") + ".redaction-map.json")


_TAKEN_NAMES = 99  # suffixes -2 .. -99 tried after the timestamp's own name


def _candidate_names(timestamp: str) -> Iterator[str]:
    """ps_archive_<ts>.tgz, then ps_archive_<ts>-2.tgz, -3 ...: two runs that end in the same second into one
    folder (a script looping over servers) each keep their archive."""
    yield archive_name(timestamp)
    for n in range(2, _TAKEN_NAMES + 1):
        yield archive_name(f"{timestamp}-{n}")


def _link_new(source: Path, target: Path) -> bool:
    """Give ``source`` the name ``target`` only if that name is free (a hard link: atomic, never onto or through
    what is there, a symlink included); False when the name is taken. A file system without hard links (FAT, some
    network shares): the name is checked, then renamed onto — a symlink there is replaced, never followed."""
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        if os.path.lexists(target):
            return False
        os.replace(source, target)
        return True
    source.unlink()
    return True


def write_bundle(
    prepared: PreparedBundle,
    output_dir: Path,
    *,
    before_rename: Callable[[], None] | None = None,
) -> Path:
    """Write ps_archive_<ts>.tgz (the files of ``prepared``, built by build()) into output_dir atomically and
    return its path.

    The only things on disk before the final names appear are the partial archive (and map) in a private temp
    folder next to them, removed with it on every error and on Ctrl-C. The archive is 0600. With redaction
    classes the pseudonym map is written next to the archive (0600, archive_path_map()); it exists only if the
    archive does. Nothing already in the folder is replaced: when the name is taken (an archive written in the
    same second, or anything else there, a symlink included) the archive and its map take the next free suffix,
    ps_archive_<ts>-2.tgz and so on.
    """
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise FileNotFoundError(f"output directory {output_dir} does not exist — create it or pass --output DIR")
    first = archive_name(prepared.timestamp)
    files = prepared.files
    # the folder's random name cannot be guessed; the ".partial" end says what it is to whoever lists the folder
    private = Path(tempfile.mkdtemp(prefix=f".{first}.", suffix=".partial", dir=output_dir))
    partial = private / first
    map_partial = private / "redaction-map.json"
    named: list[Path] = []  # final names given so far (removed again if the archive does not get its own)
    try:
        with _create_private(partial) as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            directories = sorted({path.rsplit("/", 1)[0] for path in files if "/" in path})
            for directory in directories:
                tar.addfile(_member(directory, None))
            for member in sorted(files):
                with files.open(member) as data:
                    tar.addfile(_member(member, files.size(member)), data)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        _verify(partial, files)
        if before_rename is not None:
            before_rename()
        for name in _candidate_names(prepared.timestamp):
            final = output_dir / name
            if prepared.redactor.classes:  # the map first: it names its archive, and exists only if the archive does
                document = prepared.redactor.map_document(final.name)
                with _create_private(map_partial) as raw:
                    raw.write((json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
                    raw.flush()
                    os.fsync(raw.fileno())
                map_final = archive_path_map(final)
                if not _link_new(map_partial, map_final):
                    map_partial.unlink()
                    continue
                named.append(map_final)
            if _link_new(partial, final):
                return final
            for taken in named:
                taken.unlink(missing_ok=True)
            named.clear()
        raise FileExistsError(errno.EEXIST, f"{first} and its {_TAKEN_NAMES - 1} numbered names are all taken in "
                              f"{output_dir} — move the older archives away or choose another --output directory")
    except BaseException:
        for taken in named:
            taken.unlink(missing_ok=True)
        raise
    finally:  # after the renames it is empty; after an error it holds the partial files
        shutil.rmtree(private, ignore_errors=True)


def _create_private(path: Path) -> io.BufferedWriter:
    """A new file only we can read or write (0600): never one already there, never through a symlink."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):  # a umask cannot widen it, but say 0600 whatever the umask
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def _member(path: str, size: int | None) -> tarfile.TarInfo:
    """A tar entry with no local user names or ids, a fixed mode and the current time."""
    info = tarfile.TarInfo(path)
    info.mtime = int(time.time())
    if size is None:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size, info.mode = size, 0o644
    return info


def _verify(archive: Path, files: ArchiveFiles) -> None:
    """Re-read the archive and check every file against what was meant to be written (size and SHA-256)."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        if set(members) != set(files):
            raise OSError("archive check failed: the files in it are not the files written")
        for path in files:
            handle = tar.extractfile(members[path])
            if handle is None or members[path].size != files.size(path):
                raise OSError(f"archive check failed for {path}")
            digest = hashlib.sha256()
            while piece := handle.read(1 << 16):
                digest.update(piece)
            if digest.hexdigest() != files.sha256(path):
                raise OSError(f"archive check failed for {path}")
