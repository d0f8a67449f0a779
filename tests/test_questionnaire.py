"""The questionnaire: the data file, answers and their checks, the merge order, the outputs, and the CLI.

The CLI runs against a real MariaDB (the session's ``mariadb``), with drafts in a private XDG_DATA_HOME.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from prechecks.prefill import ATTACHMENT_RULES
from prechecks.questionnaire import (
    TYPES,
    Prefill,
    QuestionnaireError,
    coerce_value,
    load_answers_file,
    load_questionnaire,
    merge_answers,
    missing_required,
    parse_questionnaire,
    questionnaire_outputs,
    render_markdown,
    submission,
    validate_answers,
)
from tests.helpers import REPO, read_archive, run_cli, server_args
from tests.servers import MariaDBServer

RESOURCE = REPO / "resources" / "questionnaire.toml"
SECTIONS = ("architecture", "tooling", "performance", "environments", "team", "security", "plan", "contact")

MINIMAL = """
format_version = 1
questionnaire_version = 1
[[sections]]
id = "a"
title = "A"
[[sections.questions]]
id = "a.one"
question = "One?"
help = "Example: 1."
type = "number"
required = true
"""


# --------------------------------------------------------------------------- the data file


def test_bundled_questionnaire_covers_every_section() -> None:
    q = load_questionnaire()
    raw = tomllib.loads(RESOURCE.read_text(encoding="utf-8"))
    assert raw["format_version"] == 1 and isinstance(raw["questionnaire_version"], int)
    assert tuple(s.id for s in q.sections) == SECTIONS
    ids = q.ids
    assert len(ids) == len(set(ids))
    for question in q.questions:
        assert question.type in TYPES
        assert question.id.startswith(question.section + ".")
        assert "Example" in question.help, question.id
        assert question.question.strip()
    assert {q.type for q in q.questions} == set(TYPES)  # every answer type is used
    # contact is optional, the rest mostly required
    assert not any(question.required for question in q.section("contact").questions)
    # the topics the issue lists, by id
    for qid in ("architecture.instance_count", "architecture.roles", "architecture.instance_size",
                "architecture.disk", "architecture.regions", "architecture.stack", "architecture.downstream",
                "performance.traffic_pattern", "performance.qps_average", "performance.qps_peak",
                "performance.cpu", "performance.memory", "performance.io", "environments.comparison",
                "environments.pipeline", "team.members", "team.outcome", "team.timeline", "team.capacity",
                "security.compliance", "security.tls", "security.encryption_at_rest",
                "security.private_connectivity", "security.sso", "plan.sharding", "plan.replicas",
                "plan.support", "plan.bill_attached", "contact.name", "contact.company", "contact.role",
                "contact.email", "architecture.server_version",
                # issue 15: the seed list's gaps
                "architecture.database_count", "architecture.data_growth", "tooling.monitoring",
                "tooling.backup", "tooling.proxy", "tooling.failover", "performance.slow_log_attached",
                "team.poc_criteria", "plan.recovery_objectives", "plan.target_region"):
        assert qid in ids, qid


def test_loaded_through_importlib_resources() -> None:
    from importlib import resources

    assert resources.files("resources").joinpath("questionnaire.toml").is_file()


@pytest.mark.parametrize(("text", "message"), [
    ("format_version = [", "not valid TOML"),
    (MINIMAL.replace("format_version = 1", "format_version = 2"), "format_version must be 1"),
    (MINIMAL.replace("questionnaire_version = 1", 'questionnaire_version = "x"'), "questionnaire_version"),
    (MINIMAL.replace('type = "number"', 'type = "essay"'), "type 'essay' is not one of"),
    (MINIMAL.replace('id = "a.one"', 'id = "b.one"'), "must be 'a.<name>'"),
    (MINIMAL.replace('type = "number"', 'type = "choice"'), "needs a non-empty list of choices"),
    (MINIMAL.replace("required = true", 'required = "yes"'), "'required' must be true or false"),
    (MINIMAL.replace('help = "Example: 1."', ""), "'help' is missing"),
    (MINIMAL + '[[sections.questions]]\nid = "a.one"\nquestion = "Again?"\nhelp = "Example: 2."\n'
     'type = "text"\nrequired = false\n', "duplicate id 'a.one'"),
    ('format_version = 1\nquestionnaire_version = 1\n', "no [[sections]]"),
])
def test_bad_questionnaire_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "q.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    assert message in str(caught.value) and str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_minimal_questionnaire_parses() -> None:
    q = parse_questionnaire(MINIMAL)
    assert q.ids == ("a.one",) and q.question("a.one").type == "number"


# --------------------------------------------------------------------------- answers


def test_coerce_values_by_type() -> None:
    q = load_questionnaire()
    assert coerce_value(q.question("architecture.instance_count"), "1,200") == 1200
    assert coerce_value(q.question("performance.qps_average"), 12.5) == 12.5
    assert coerce_value(q.question("performance.qps_average"), 12.0) == 12
    assert coerce_value(q.question("security.tls"), True) == "yes"
    assert coerce_value(q.question("security.tls"), "No") == "no"
    assert coerce_value(q.question("architecture.hosting"), "RDS") == "rds"
    assert coerce_value(q.question("security.compliance"), ["soc 2", "GDPR", "gdpr"]) == ["SOC 2", "GDPR"]
    assert coerce_value(q.question("security.compliance"), "none") == ["none"]
    assert coerce_value(q.question("team.members"), "  two DBAs ") == "two DBAs"
    assert coerce_value(q.question("team.members"), "") is None
    for qid, value, fragment in [
        ("architecture.instance_count", "lots", "expected a number"),
        ("architecture.instance_count", True, "expected a number"),
        ("architecture.instance_count", -1, "zero or more"),
        ("security.tls", "maybe", "expected yes or no"),
        ("architecture.hosting", "my basement", "is not one of"),
        ("security.compliance", ["SOC 2", "SOX"], "'SOX' is not one of"),
        ("team.members", {"a": 1}, "expected text"),
    ]:
        with pytest.raises(QuestionnaireError, match=re.escape(fragment)):
            coerce_value(q.question(qid), value)


def test_answers_files_json_and_toml(tmp_path: Path) -> None:
    as_json = tmp_path / "answers.json"
    as_json.write_text(json.dumps({"architecture.instance_count": 4, "security.compliance": ["PCI DSS"],
                                   "contact.name": "Alex"}), encoding="utf-8")
    as_toml = tmp_path / "answers.toml"
    as_toml.write_text('"contact.name" = "Alex"\n[architecture]\ninstance_count = 4\n'
                       '[security]\ncompliance = ["PCI DSS"]\n', encoding="utf-8")
    expected = {"architecture.instance_count": 4, "security.compliance": ["PCI DSS"], "contact.name": "Alex"}
    assert load_answers_file(as_json) == expected
    assert load_answers_file(as_toml) == expected


@pytest.mark.parametrize(("content", "fragment"), [
    ('{"architecture.nope": 1}', "unknown question id 'architecture.nope'"),
    ('{"architecture.instance_count": "many"}', "architecture.instance_count (number): expected a number"),
    ("[1, 2]", "must hold an object"),
    ("{not json nor = toml", "neither JSON nor TOML"),
])
def test_bad_answers_file(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "answers.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_answers_file(path)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_merge_order_prefill_draft_user() -> None:
    q = load_questionnaire()
    prefill = {"architecture.instance_count": Prefill(2, "replication.replica_count", "measured", "n"),
               "architecture.roles": Prefill("primary", "replication.role", "measured"),
               "security.tls": Prefill("no", "security.tls_in_use", "measured")}
    draft = {"architecture.roles": "primary and a reporting replica", "team.members": "3 devs"}
    user = {"team.members": "4 devs", "security.tls": None}
    answers = {a.id: a for a in merge_answers(q, prefill, draft, user)}
    assert len(answers) == len(q.questions)
    count = answers["architecture.instance_count"]
    assert (count.value, count.source, count.confidence, count.note) == (2, "prefill:replication.replica_count",
                                                                        "measured", "n")
    roles = answers["architecture.roles"]  # the draft replaces the prefill, provenance and all
    assert (roles.value, roles.source, roles.confidence) == ("primary and a reporting replica", "user", None)
    assert answers["team.members"].value == "4 devs"  # the user over the draft
    tls = answers["security.tls"]  # an empty user answer clears a prefill
    assert (tls.value, tls.source, tls.answered) == (None, None, False)
    assert answers["contact.name"].source is None


def test_missing_required() -> None:
    q = load_questionnaire()
    everything = {question.id: _example(question.type, question.choices) for question in q.questions}
    validated = validate_answers(q, everything)
    assert missing_required(q, merge_answers(q, user=validated)) == []
    del validated["team.timeline"]
    assert [m.id for m in missing_required(q, merge_answers(q, user=validated))] == ["team.timeline"]


def _example(kind: str, choices: tuple[str, ...]) -> Any:
    return {"text": "x", "number": 1, "choice": choices[0] if choices else None,
            "multi-choice": list(choices[:1]), "yes-no": "yes"}[kind]


def test_outputs_have_every_question() -> None:
    q = load_questionnaire()
    prefill = {"architecture.server_version": Prefill("MariaDB 10.11.6", "server.version", "measured", "flavor x")}
    answers = merge_answers(q, prefill, None, {"contact.email": "a@example.com", "security.compliance": ["GDPR"]})
    doc = submission(answers)
    assert doc["format_version"] == 1 and list(doc) == ["format_version", "answers"]
    assert [e["id"] for e in doc["answers"]] == list(q.ids)
    for entry in doc["answers"]:
        assert list(entry) == ["id", "section", "question", "value", "source", "confidence"]
    by_id = {e["id"]: e for e in doc["answers"]}
    assert by_id["architecture.server_version"]["source"] == "prefill:server.version"
    assert by_id["contact.email"] == {"id": "contact.email", "section": "contact", "question": "Email address",
                                      "value": "a@example.com", "source": "user", "confidence": None}
    assert by_id["team.timeline"]["value"] is None and by_id["team.timeline"]["source"] is None
    text = render_markdown(q, answers, facts={"server": {"version": "10.11.6-MariaDB", "flavor": "mariadb"}})
    for section in q.sections:
        assert f"## {section.title}" in text
    for question in q.questions:
        assert question.question in text and f"`{question.id}`" in text
    assert "> MariaDB 10.11.6" in text and "(prefilled from server.version, measured)" in text
    assert "> GDPR" in text and "_not answered_" in text
    files = questionnaire_outputs(q, answers)
    assert set(files) == {"freeform_questions.md", "submission.json"}
    assert json.loads(files["submission.json"]) == doc


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def data_home(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "xdg-data"
    home.mkdir()
    return {"XDG_DATA_HOME": str(home), "HOME": str(tmp_path)}


def _archive(result: Any) -> dict[str, bytes]:
    assert result.returncode == 0, result.stderr
    return read_archive(Path(result.stdout.strip().splitlines()[-1]))


def test_cli_every_archive_has_the_questionnaire(mariadb: MariaDBServer, tmp_path: Path,
                                                 data_home: dict[str, str]) -> None:
    result = run_cli([*server_args(mariadb), "--sleep=0.2", "-q", "--output", str(tmp_path)],
                     password=mariadb.root_password, env=data_home)
    files = _archive(result)
    q = load_questionnaire()
    doc = json.loads(files["submission.json"])
    assert [e["id"] for e in doc["answers"]] == list(q.ids)
    facts = json.loads(files["facts.json"])
    text = files["freeform_questions.md"].decode()
    assert facts["server"]["version"] in text  # the server version among the answers
    prefilled = [e for e in doc["answers"] if e["source"]]
    assert prefilled, "nothing prefilled"
    manifest = json.loads(files["manifest.json"])
    for entry in prefilled:
        assert entry["source"].startswith("prefill:")
        path = entry["source"].split(":", 1)[1]
        if path == "attachments":  # the archive's attachments (none here), as the manifest lists them
            assert entry["id"] in ATTACHMENT_RULES and entry["value"] == "no"
            assert not [f for f in manifest["files"] if f["path"].startswith("attachments/")]
        else:
            assert _resolve(facts, path), f"{entry['id']}: {path} is not in facts.json"
        assert f"(prefilled from {path}, {entry['confidence']})" in text
    assert {"freeform_questions.md", "submission.json"} <= {f["path"] for f in manifest["files"]}
    assert not list(Path(data_home["XDG_DATA_HOME"]).rglob("*.json"))  # no --answers: no draft written


def _resolve(facts: dict[str, Any], path: str) -> bool:
    node: Any = facts
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_cli_answers_override_prefill(mariadb: MariaDBServer, tmp_path: Path, data_home: dict[str, str]) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text('"contact.company" = "Example Corp"\n[architecture]\ninstance_count = 7\n'
                       'server_version = "MariaDB 10.11 on three hosts"\n[security]\ntls = true\n',
                       encoding="utf-8")
    result = run_cli([*server_args(mariadb), "--sleep=0.2", "-q", "--output", str(tmp_path), "--answers",
                      str(answers), "--no-draft"], password=mariadb.root_password, env=data_home)
    files = _archive(result)
    by_id = {e["id"]: e for e in json.loads(files["submission.json"])["answers"]}
    assert by_id["architecture.instance_count"] == {
        "id": "architecture.instance_count", "section": "architecture",
        "question": load_questionnaire().question("architecture.instance_count").question,
        "value": 7, "source": "user", "confidence": None}
    assert by_id["architecture.server_version"]["value"] == "MariaDB 10.11 on three hosts"
    assert by_id["security.tls"]["value"] == "yes" and by_id["security.tls"]["source"] == "user"
    assert by_id["contact.company"]["value"] == "Example Corp"
    assert by_id["architecture.roles"]["source"] == "prefill:replication.role"  # the rest stays prefilled
    text = files["freeform_questions.md"].decode()
    assert "> Example Corp" in text and "> 7" in text
    assert not list(Path(data_home["XDG_DATA_HOME"]).rglob("*.json"))  # --no-draft: nothing saved


@pytest.mark.parametrize(("content", "fragment"), [
    ('{"architecture.instances_typo": 3}', "unknown question id 'architecture.instances_typo'"),
    ('{"performance.qps_peak": "very high"}', "performance.qps_peak (number): expected a number"),
])
def test_cli_bad_answers_one_line_before_connecting(tmp_path: Path, data_home: dict[str, str], content: str,
                                                    fragment: str) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(content, encoding="utf-8")
    # nothing listens on port 1: the error must come before any connection attempt
    result = run_cli(["--host=127.0.0.1", "--port=1", "--user=x", "--answers", str(answers), "--output",
                      str(tmp_path)], env=data_home, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and fragment in lines[0] and lines[0].startswith("ps-prechecks: "), lines
    assert "connecting" not in result.stderr


def test_cli_questionnaire_lists_questions_without_connecting(data_home: dict[str, str]) -> None:
    result = run_cli(["--questionnaire", "--host=127.0.0.1", "--port=1"], env=data_home, timeout=30)
    assert result.returncode == 0 and result.stderr == ""
    q = load_questionnaire()
    for question in q.questions:
        assert question.id in result.stdout and question.help in result.stdout
        assert f"<{question.type}" in result.stdout
    assert "--answers FILE" in result.stdout
