"""Golden comparison on the real-world schemas: the archive's figures must not change unless we mean them to.

One real CLI run (--sleep 0.2, the answers in tests/data/golden/answers.json) against a throwaway MariaDB loaded
with cacti, MediaWiki and phpMyAdmin (tests/realworld.py). From the archive, facts.json, the report
(ps_report_<ts>.md, stored as report.md), readiness.json, submission.json and freeform_questions.md are
normalised by tests/golden.py (timestamps, durations, status counters and their rates, the port, the server's
paths, the machine's name: each rule names one field and why) and compared with tests/data/golden/. A mismatch
prints a unified diff of the normalised files.

The golden files belong to one MariaDB build and one copy of the three schema files: inputs.json records both,
and a different server version or schema file fails first, with that said, instead of a long diff.

Regenerate (on the code whose output is right, e.g. before a refactor), then review the diff with git:

    PS_PRECHECKS_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden.py -q -p no:cacheprovider
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tarfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import golden, realworld, servers
from tests.helpers import run_cli, server_args

GOLDEN = Path(__file__).parent / "data" / "golden"
ANSWERS = GOLDEN / "answers.json"  # the CLI's --answers: a prefilled answer overridden, two unprefilled ones
INPUTS = GOLDEN / "inputs.json"
REGEN_ENV = "PS_PRECHECKS_REGEN_GOLDEN"
REGENERATE = os.environ.get(REGEN_ENV) == "1"
DIFF_LINES = 400  # a diff longer than this is cut, saying so


@dataclass
class Outputs:
    files: dict[str, str]  # golden.FILES -> normalised text
    hits: Counter[str]  # normalisation rule -> how often it applied
    inputs: dict[str, object]  # the MariaDB version and the schema files' SHA-256


def _inputs(server: servers.MariaDBServer) -> dict[str, object]:
    directory = realworld.fetch_schemas()
    version = str(server.admin("SELECT VERSION()")[0][0])
    return {
        "mariadb_version": version,
        "schema_sha256": {name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
                          for name in realworld.SCHEMA_FILES},
    }


def _archive_texts(archive: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or "/" in member.name:
                continue
            name = "report.md" if re.fullmatch(r"ps_report_[0-9_]+\.md", member.name) else member.name
            if name in golden.FILES:
                handle = tar.extractfile(member)
                assert handle is not None
                texts[name] = handle.read().decode("utf-8")
    return texts


def _settle_statistics(server: servers.MariaDBServer) -> None:
    """InnoDB recalculates a loaded table's statistics (its data and index sizes) in the background, soon after
    the load: ANALYZE every table now, so the collection never sees some tables before and some after."""
    tables = server.admin("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA IN "
                          f"({', '.join(['%s'] * len(realworld.DATABASES))})", realworld.DATABASES)
    names = ", ".join(f"`{schema}`.`{name}`" for schema, name in sorted(tables))
    server.admin(f"ANALYZE NO_WRITE_TO_BINLOG TABLE {names}")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    if not servers.mariadb_available():
        pytest.fail(servers.MARIADB_MISSING, pytrace=False)
    server = servers.start_mariadb(tmp_path_factory.mktemp("golden"))
    try:
        realworld.load_schemas(server)
        _settle_statistics(server)
        out = tmp_path_factory.mktemp("golden-out")
        # only the server's own option file (no ~/.my.cnf), and no saved draft answers read or written
        result = run_cli([*server_args(server), f"--defaults-file={server.client_defaults_file}", "--no-draft",
                          "--sleep=0.2", f"--answers={ANSWERS}", "--output", str(out)])
        assert result.returncode == 0, result.stderr
        raw = _archive_texts(Path(result.stdout.strip().splitlines()[-1]))
        machine = golden.Machine(server_dir=str(server.base_dir), socket_dir=str(Path(server.socket).parent))
        inputs = _inputs(server)
    finally:
        servers.discard(server)
    assert sorted(raw) == sorted(golden.FILES), f"the archive's files: {sorted(raw)}"
    files, hits = golden.normalise(raw, machine)
    if REGENERATE:
        golden.write_golden(GOLDEN, files)
        INPUTS.write_text(json.dumps(inputs, indent=2) + "\n", encoding="utf-8")
    return Outputs(files, hits, inputs)


def _same_inputs(outputs: Outputs) -> None:
    if REGENERATE:
        pytest.skip(f"{REGEN_ENV}=1: the golden files in {GOLDEN} were rewritten from this run; review them "
                    "with git diff")
    stored, here = _flat(json.loads(INPUTS.read_text(encoding="utf-8"))), _flat(outputs.inputs)
    changed = [f"{key}: {stored.get(key)} in inputs.json, {here.get(key)} here"
               for key in sorted(set(stored) | set(here)) if stored.get(key) != here.get(key)]
    if changed:
        pytest.fail(f"the golden files were made with other inputs ({'; '.join(changed)}) — regenerate them on the "
                    f"code before your change with {REGEN_ENV}=1, then compare", pytrace=False)


def _flat(inputs: dict[str, object], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in inputs.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


@pytest.mark.parametrize("name", golden.FILES)
def test_matches_golden(outputs: Outputs, name: str) -> None:
    _same_inputs(outputs)
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    actual = outputs.files[name]
    if actual == expected:
        return
    diff = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"golden/{name}",
                                     f"this run/{name}", lineterm="", n=2))
    shown = diff[:DIFF_LINES] + ([f"... {len(diff) - DIFF_LINES} more diff lines"] if len(diff) > DIFF_LINES else [])
    pytest.fail(f"{name} differs from tests/data/golden/{name} after normalising (tests/golden.py); if the change "
                f"is meant, regenerate with {REGEN_ENV}=1 and review the diff\n" + "\n".join(shown), pytrace=False)


def test_every_normalisation_rule_applies(outputs: Outputs) -> None:
    """A rule that matched nothing names a field that is gone or renamed: remove or fix it, so none hides anything.
    Runs when regenerating too."""
    unused = golden.unused_rules(outputs.hits)
    assert unused == [], f"normalisation rules in tests/golden.py that matched nothing in this run: {unused}"
