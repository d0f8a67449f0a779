"""Drafts: per-server autosave of the user's answers, atomic on disk, never holding a secret.

platformdirs is pointed at tmp_path through XDG_DATA_HOME (Linux): nothing is written into the real home.
The kill -9 test runs a real child process that saves big drafts in a loop and kills it with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from prechecks import drafts
from prechecks.questionnaire import load_questionnaire
from tests.helpers import REPO, read_archive, run_cli, server_args
from tests.servers import MariaDBServer

PASSWORD = "Dr4ft-S3cret-pw!"


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return home


def _key(user: str = "app", port: int = 3306, host: str | None = "db1.internal", socket: str | None = None) -> str:
    return drafts.server_key(host=host, port=port, socket=socket, user=user)


def test_drafts_live_in_the_user_data_dir(data_home: Path) -> None:
    assert drafts.drafts_dir() == data_home / "ps-prechecks" / "drafts"
    path = drafts.save_draft(_key(), {"team.members": "two DBAs"})
    assert path.parent == data_home / "ps-prechecks" / "drafts"
    assert path.name == f"{_key()}.json"


def test_server_key() -> None:
    key = _key()
    assert key == _key() and len(key) == 32 and all(c in "0123456789abcdef" for c in key)
    assert len({key, _key(user="other"), _key(port=3307), _key(host="db2.internal"),
                _key(host=None, socket="/run/mysqld/mysqld.sock")}) == 5
    assert "db1" not in key and "app" not in key
    assert _key(host="DB1.internal") == key  # host names are case-insensitive
    with pytest.raises(ValueError, match="not a draft key"):
        drafts.draft_path("../../etc/passwd")


def test_round_trip_and_restore(data_home: Path) -> None:
    key = _key()
    assert drafts.load_draft(key) is None
    answers: dict[str, Any] = {"architecture.instance_count": 3, "security.compliance": ["SOC 2"],
                               "team.members": "two DBAs", "security.tls": None}
    drafts.save_draft(key, answers, label="app@db1.internal:3306")
    draft = drafts.load_draft(key)
    assert draft is not None and draft.answers == answers and draft.label == "app@db1.internal:3306"
    assert draft.saved_at
    assert drafts.load_draft(_key(user="other")) is None
    assert drafts.delete_draft(key) and drafts.load_draft(key) is None


def test_unknown_or_unfit_answers_are_dropped_on_load(data_home: Path) -> None:
    key = _key()
    path = drafts.save_draft(key, {"team.members": "x"})
    document = json.loads(path.read_text())
    document["answers"].update({"gone.question": 1, "architecture.instance_count": "many"})
    path.write_text(json.dumps(document))
    draft = drafts.load_draft(key)
    assert draft is not None and draft.answers == {"team.members": "x"}


def test_a_corrupt_draft_is_ignored(data_home: Path) -> None:
    path = drafts.save_draft(_key(), {"team.members": "x"})
    path.write_text('{"answers": {"team.mem')
    assert drafts.load_draft(_key()) is None


def test_no_secret_in_a_draft(data_home: Path) -> None:
    answers: dict[str, Any] = {"team.members": f"our DBA, password {PASSWORD}",
               "architecture.stack": "app connects with mysql://app:hunter2-url-secret@db1/app",
               "security.compliance": ["GDPR"]}
    path = drafts.save_draft(_key(), answers, label=f"app@db1:3306 {PASSWORD}", secrets=[PASSWORD])
    text = path.read_text()
    assert PASSWORD not in text and "hunter2-url-secret" not in text
    assert "<redacted>" in text and "GDPR" in text
    for stray in path.parent.iterdir():
        assert PASSWORD not in stray.read_text()


_WRITER = textwrap.dedent("""
    import sys
    from prechecks import drafts
    from prechecks.questionnaire import load_questionnaire

    key = sys.argv[1]
    texts = [q.id for q in load_questionnaire().questions if q.type == "text"]
    i = 0
    while True:
        i += 1
        answers = {qid: f"v{i}:" + "x" * 9000 for qid in texts}
        answers["architecture.instance_count"] = i
        drafts.save_draft(key, answers, label="loop")
        print(i, flush=True)
""")


def test_kill_9_during_save_never_corrupts_the_last_good_draft(data_home: Path, tmp_path: Path) -> None:
    """SIGKILL a process saving big drafts in a loop, at varying moments; the draft always loads, whole."""
    key = _key()
    text_ids = [q.id for q in load_questionnaire().questions if q.type == "text"]
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_DATA_HOME=str(data_home))
    interrupted_mid_write = 0
    for round_ in range(40):  # until a kill lands mid-write (a matter of timing: a busy machine needs more tries)
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, key], stdout=subprocess.PIPE, env=env, text=True)
        assert proc.stdout is not None
        saved = 0
        while saved < 3:  # let a few saves complete
            line = proc.stdout.readline()
            assert line, f"the writer died: exit {proc.wait()}"
            saved = int(line)
        time.sleep(0.001 * (round_ * 3 % 17))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        if drafts.stale_temp_files(data_home / "ps-prechecks" / "drafts"):
            interrupted_mid_write += 1
        draft = drafts.load_draft(key)
        assert draft is not None, "the draft did not survive kill -9"
        version = draft.answers["architecture.instance_count"]
        assert isinstance(version, int) and version >= saved  # the last good one, or the one being written
        for qid in text_ids:  # every answer from the same save: never a mix
            assert draft.answers[qid] == f"v{version}:" + "x" * 9000, qid
        if interrupted_mid_write >= 2:
            break
    # the kill landed between the temp file's creation and the rename at least once
    assert interrupted_mid_write >= 1
    drafts.save_draft(key, {"team.members": "after"})  # the next save sweeps the leftovers
    assert drafts.stale_temp_files() == []


# --------------------------------------------------------------------------- through the CLI


def test_cli_saves_restores_and_ignores_the_draft(mariadb: MariaDBServer, tmp_path: Path) -> None:
    home = tmp_path / "xdg-data"
    env = {"XDG_DATA_HOME": str(home), "HOME": str(tmp_path)}
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"team.members": f"3 DBAs (not {mariadb.root_password})",
                                   "architecture.instance_count": 9}))
    base = [*server_args(mariadb), "--sleep=0.2", "-q", "--output", str(tmp_path)]

    first = run_cli([*base, "--answers", str(answers)], password=mariadb.root_password, env=env)
    assert first.returncode == 0, first.stderr
    saved = list((home / "ps-prechecks" / "drafts").glob("*.json"))
    assert len(saved) == 1
    assert saved[0].stem == drafts.server_key(host=mariadb.host, port=mariadb.port, socket=None, user="root")
    assert mariadb.root_password not in saved[0].read_text()  # never the password, even typed into an answer

    # the next run without --answers restores the draft
    second = run_cli(base, password=mariadb.root_password, env=env)
    by_id = _answers(second)
    assert by_id["architecture.instance_count"] == {"value": 9, "source": "user"}
    assert by_id["team.members"]["value"] == "3 DBAs (not <redacted>)"
    # --answers wins over the draft, and is saved into it
    answers.write_text(json.dumps({"architecture.instance_count": 4}))
    third = run_cli([*base, "--answers", str(answers)], password=mariadb.root_password, env=env)
    assert _answers(third)["architecture.instance_count"]["value"] == 4
    assert _answers(third)["team.members"]["source"] == "user"  # still there from the draft
    draft = json.loads(saved[0].read_text())
    assert draft["answers"]["architecture.instance_count"] == 4
    # --no-draft: the prefill only
    fourth = run_cli([*base, "--no-draft"], password=mariadb.root_password, env=env)
    assert _answers(fourth)["architecture.instance_count"]["source"] == "prefill:replication.replica_count"
    assert _answers(fourth)["team.members"] == {"value": None, "source": None}
    for path in home.rglob("*"):
        if path.is_file():
            assert mariadb.root_password not in path.read_text()


def _answers(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    files = read_archive(Path(result.stdout.strip().splitlines()[-1]))
    return {e["id"]: {"value": e["value"], "source": e["source"]}
            for e in json.loads(files["submission.json"])["answers"]}
