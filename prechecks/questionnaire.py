"""The technical questionnaire: the questions (resources/questionnaire.toml), answers and their outputs.

Qt-free; the CLI and the wizard both use it. Answers come in three layers, later ones winning:
the prefill (prechecks/prefill.py, from facts.json), the draft (prechecks/drafts.py) and the user's
answers (``--answers FILE`` or the wizard). A user's answer replaces a prefilled one, value and
provenance alike; a user's empty answer (``""`` or ``null``) clears it.

Outputs, one entry per question whether answered or not: ``freeform_questions.md`` (for people, readable
in an email) and ``submission.json`` (for machines).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeAlias

FORMAT_VERSION = 1
SUBMISSION_FORMAT_VERSION = 1
RESOURCE = "questionnaire.toml"
TYPES = ("text", "number", "choice", "multi-choice", "yes-no")
CONFIDENCES = ("measured", "estimate", "heuristic")
YES, NO = "yes", "no"
MAX_TEXT_CHARS = 10_000

Value: TypeAlias = str | int | float | list[str] | None
Confidence: TypeAlias = Literal["measured", "estimate", "heuristic"]


class QuestionnaireError(ValueError):
    """A bad questionnaire file, or a bad answer: the message is one line naming the culprit."""


@dataclass(frozen=True)
class Question:
    id: str
    section: str  # the section's id
    question: str
    help: str
    type: str
    required: bool
    choices: tuple[str, ...] = ()
    unit: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Questionnaire:
    format_version: int
    version: int
    title: str
    sections: tuple[Section, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)


@dataclass
class Answer:
    """One question's answer. ``source``: "prefill:<fact path>", "user" or None (unanswered)."""

    id: str
    section: str
    question: str
    value: Value = None
    source: str | None = None
    confidence: Confidence | None = None
    note: str = ""

    @property
    def answered(self) -> bool:
        return self.value is not None and self.value not in ("", [])

    @property
    def prefilled(self) -> bool:
        return self.answered and (self.source or "").startswith("prefill:")

    @property
    def fact_path(self) -> str | None:
        return self.source.split(":", 1)[1] if self.source and self.source.startswith("prefill:") else None


@dataclass
class Prefill:
    """What a prefill rule found for one question (see prechecks/prefill.py)."""

    value: Value
    fact_path: str
    confidence: Confidence
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- loading


def load_questionnaire(path: Path | None = None) -> Questionnaire:
    """The questionnaire from ``path``, or the one shipped in the ``resources`` package."""
    if path is None:
        return _bundled()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise QuestionnaireError(f"cannot read the questionnaire {path}: {exc.strerror or exc}") from None
    return parse_questionnaire(text, str(path))


@cache
def _bundled() -> Questionnaire:
    text = resources.files("resources").joinpath(RESOURCE).read_text(encoding="utf-8")
    return parse_questionnaire(text, f"resources/{RESOURCE}")


def parse_questionnaire(text: str, origin: str = "questionnaire") -> Questionnaire:
    """Parse and check a questionnaire; every problem is a one-line QuestionnaireError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError(f"{origin}: not valid TOML ({exc})") from None

    def bad(message: str) -> QuestionnaireError:
        return QuestionnaireError(f"{origin}: {message}")

    if data.get("format_version") != FORMAT_VERSION:
        raise bad(f"format_version must be {FORMAT_VERSION}, found {data.get('format_version')!r}")
    version = data.get("questionnaire_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad(f"questionnaire_version must be a positive integer, found {version!r}")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise bad("no [[sections]]")
    seen: set[str] = set()
    sections: list[Section] = []
    for index, raw in enumerate(raw_sections):
        if not isinstance(raw, dict):
            raise bad(f"section {index + 1} is not a table")
        sid = _text_field(raw, "id", f"section {index + 1}", bad)
        title = _text_field(raw, "title", f"section {sid}", bad)
        if sid in seen:
            raise bad(f"duplicate section id {sid!r}")
        seen.add(sid)
        raw_questions = raw.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            raise bad(f"section {sid} has no questions")
        questions = [_question(q, sid, seen, bad) for q in raw_questions]
        sections.append(Section(sid, title, str(raw.get("intro", "")), tuple(questions)))
    return Questionnaire(FORMAT_VERSION, version, str(data.get("title", "Questionnaire")), tuple(sections))


def _text_field(raw: Mapping[str, Any], key: str, where: str, bad: Any) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{where}: {key!r} is missing or not a non-empty string")
    return value


def _question(raw: Any, section: str, seen: set[str], bad: Any) -> Question:
    if not isinstance(raw, dict):
        raise bad(f"a question of section {section} is not a table")
    qid = _text_field(raw, "id", f"a question of section {section}", bad)
    if not qid.startswith(f"{section}.") or qid.count(".") != 1:
        raise bad(f"question id {qid!r} must be '{section}.<name>'")
    if qid in seen:
        raise bad(f"duplicate id {qid!r}")
    seen.add(qid)
    qtype = raw.get("type")
    if qtype not in TYPES:
        raise bad(f"question {qid}: type {qtype!r} is not one of {', '.join(TYPES)}")
    required = raw.get("required")
    if not isinstance(required, bool):
        raise bad(f"question {qid}: 'required' must be true or false")
    choices = raw.get("choices", [])
    if qtype in ("choice", "multi-choice"):
        if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
            raise bad(f"question {qid}: a {qtype} question needs a non-empty list of choices")
        if len(set(choices)) != len(choices):
            raise bad(f"question {qid}: duplicate choices")
    elif choices:
        raise bad(f"question {qid}: only choice and multi-choice questions have choices")
    unknown = set(raw) - {"id", "question", "help", "type", "required", "choices", "unit"}
    if unknown:
        raise bad(f"question {qid}: unknown key(s) {', '.join(sorted(unknown))}")
    return Question(
        id=qid, section=section, question=_text_field(raw, "question", f"question {qid}", bad),
        help=_text_field(raw, "help", f"question {qid}", bad), type=qtype, required=required,
        choices=tuple(choices), unit=str(raw.get("unit", "")),
    )


# --------------------------------------------------------------------------------------------- answers


def coerce_value(question: Question, value: Any) -> Value:
    """``value`` checked against the question's type and normalised; QuestionnaireError when it does not fit.

    ``None`` and ``""`` mean "no answer". yes-no takes true/false or yes/no; number takes a number or a
    numeric string; choice takes one of the choices; multi-choice a list of them (or one string).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    where = f"answer to {question.id} ({question.type})"
    if question.type == "text":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise QuestionnaireError(f"{where}: expected text, got {_kind(value)}")
        text = str(value).strip()
        if len(text) > MAX_TEXT_CHARS:
            raise QuestionnaireError(f"{where}: longer than {MAX_TEXT_CHARS} characters")
        return text
    if question.type == "number":
        number: int | float
        if isinstance(value, bool):
            raise QuestionnaireError(f"{where}: expected a number, got {_kind(value)}")
        if isinstance(value, int | float):
            number = value
        elif isinstance(value, str):
            try:
                number = float(value.strip().replace(",", "").replace("_", ""))
            except ValueError:
                raise QuestionnaireError(f"{where}: expected a number, got {value!r}") from None
        else:
            raise QuestionnaireError(f"{where}: expected a number, got {_kind(value)}")
        if not math.isfinite(number) or number < 0:
            raise QuestionnaireError(f"{where}: expected a number of zero or more, got {value!r}")
        return int(number) if float(number).is_integer() else number
    if question.type == "yes-no":
        if isinstance(value, bool):
            return YES if value else NO
        if isinstance(value, str) and value.strip().lower() in ("yes", "no", "y", "n", "true", "false"):
            return YES if value.strip().lower() in ("yes", "y", "true") else NO
        raise QuestionnaireError(f"{where}: expected yes or no, got {value!r}")
    if question.type == "choice":
        if isinstance(value, str):
            match = _choice(question, value)
            if match is not None:
                return match
        raise QuestionnaireError(f"{where}: {value!r} is not one of: {', '.join(question.choices)}")
    # multi-choice
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise QuestionnaireError(f"{where}: expected a list of choices, got {_kind(value)}")
    out: list[str] = []
    for item in items:
        match = _choice(question, item)
        if match is None:
            raise QuestionnaireError(f"{where}: {item!r} is not one of: {', '.join(question.choices)}")
        if match not in out:
            out.append(match)
    return out or None


def _choice(question: Question, value: str) -> str | None:
    wanted = value.strip().casefold()
    return next((c for c in question.choices if c.casefold() == wanted), None)


def _kind(value: Any) -> str:
    return {bool: "true/false", dict: "a table", list: "a list"}.get(type(value), type(value).__name__)


def flatten_answers(data: Mapping[str, Any]) -> dict[str, Any]:
    """{"architecture": {"roles": "x"}} -> {"architecture.roles": "x"}: TOML's tables and dotted keys."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for inner, inner_value in flatten_answers(value).items():
                out[f"{key}.{inner}"] = inner_value
        else:
            out[str(key)] = value
    return out


def validate_answers(questionnaire: Questionnaire, data: Mapping[str, Any], *, origin: str = "answers",
                     strict: bool = True) -> dict[str, Value]:
    """id -> checked value. Strict: an unknown id or a bad value raises; else they are dropped (drafts)."""
    out: dict[str, Value] = {}
    known = {q.id: q for q in questionnaire.questions}
    for qid, raw in flatten_answers(data).items():
        question = known.get(qid)
        if question is None:
            if strict:
                raise QuestionnaireError(f"{origin}: unknown question id {qid!r} (ps-prechecks --questionnaire "
                                         "lists them)")
            continue
        try:
            out[qid] = coerce_value(question, raw)
        except QuestionnaireError as exc:
            if strict:
                raise QuestionnaireError(f"{origin}: {exc}") from None
    return out


def load_answers_file(path: Path, questionnaire: Questionnaire | None = None) -> dict[str, Value]:
    """An answers file, JSON or TOML (by content: JSON first), id -> value, checked."""
    questionnaire = questionnaire or load_questionnaire()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise QuestionnaireError(f"cannot read the answers file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise QuestionnaireError(f"the answers file {path} is not UTF-8 text") from None
    data: Any
    try:
        data = json.loads(text)
    except json.JSONDecodeError as json_error:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as toml_error:
            kind = "JSON" if Path(path).suffix.lower() == ".json" else "TOML"
            error = json_error if kind == "JSON" else toml_error
            raise QuestionnaireError(f"the answers file {path} is neither JSON nor TOML ({kind}: {error})") from None
    if not isinstance(data, dict):
        raise QuestionnaireError(f"the answers file {path} must hold an object of question id -> answer")
    return validate_answers(questionnaire, data, origin=f"answers file {path}")


def merge_answers(
    questionnaire: Questionnaire,
    prefill: Mapping[str, Prefill] | None = None,
    draft: Mapping[str, Value] | None = None,
    user: Mapping[str, Value] | None = None,
) -> list[Answer]:
    """One Answer per question, in questionnaire order: prefill < draft < user answers."""
    answers: list[Answer] = []
    for q in questionnaire.questions:
        answer = Answer(q.id, q.section, q.question)
        found = (prefill or {}).get(q.id)
        if found is not None and found.value is not None:
            answer = replace(answer, value=found.value, source=f"prefill:{found.fact_path}",
                             confidence=found.confidence, note=found.note)
        for layer in (draft or {}, user or {}):
            if q.id in layer:
                value = layer[q.id]
                answer = replace(answer, value=value, source="user" if value is not None else None,
                                 confidence=None, note="")
        answers.append(answer)
    return answers


def missing_required(questionnaire: Questionnaire, answers: Iterable[Answer]) -> list[Question]:
    answered = {a.id for a in answers if a.answered}
    return [q for q in questionnaire.questions if q.required and q.id not in answered]


def prefilled_share(answers: Sequence[Answer]) -> float:
    """Share of questions (all of them, optional ones included) that carry a prefilled value."""
    return sum(1 for a in answers if a.prefilled) / len(answers) if answers else 0.0


# --------------------------------------------------------------------------------------------- outputs


def submission(answers: Sequence[Answer]) -> dict[str, Any]:
    """submission.json's document: one entry per question, answered or not."""
    return {
        "format_version": SUBMISSION_FORMAT_VERSION,
        "answers": [
            {"id": a.id, "section": a.section, "question": a.question,
             "value": a.value if a.answered else None,
             "source": a.source if a.answered else None,
             "confidence": a.confidence if a.answered else None}
            for a in answers
        ],
    }


def format_value(value: Value, unit: str = "") -> str:
    if value is None or value in ("", []):
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, float):
        text = f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = value
    return f"{text} {unit}".rstrip() if unit and not isinstance(value, str) else text


def render_markdown(questionnaire: Questionnaire, answers: Sequence[Answer], *, facts: Mapping[str, Any] | None = None,
                    attachments: Sequence[str] = ()) -> str:
    """freeform_questions.md: every section and question with its answer, readable as a plain-text email."""
    by_id = {a.id: a for a in answers}
    lines = [f"# {questionnaire.title}", ""]
    server = (facts or {}).get("server", {}) if isinstance((facts or {}).get("server"), dict) else {}
    if server.get("version"):
        lines.append(f"Server: {server.get('version')} ({server.get('flavor', 'unknown flavor')}, "
                     f"{server.get('platform', 'unknown platform')}).")
    answered = sum(1 for a in answers if a.answered)
    prefilled = sum(1 for a in answers if a.prefilled)
    lines += [
        f"Questionnaire version {questionnaire.version}. {answered} of {len(answers)} questions answered, "
        f"{prefilled} of them prefilled from facts.json or the attachments (marked \"prefilled from <source>\"; "
        "please check them). Machine-readable copy: submission.json.",
        "",
    ]
    missing = missing_required(questionnaire, answers)
    if missing:
        lines += [f"Required questions still unanswered: {len(missing)} ({', '.join(q.id for q in missing)}).", ""]
    for section in questionnaire.sections:
        lines += [f"## {section.title}", ""]
        if section.intro:
            lines += [section.intro, ""]
        for q in section.questions:
            answer = by_id.get(q.id) or Answer(q.id, q.section, q.question)
            optional = "" if q.required else " (optional)"
            lines.append(f"### {q.question}{optional}")
            lines.append("")
            lines.append(f"`{q.id}`")
            lines.append("")
            if answer.answered:
                text = format_value(answer.value, q.unit)
                lines.append(_quote(text))
                if answer.prefilled:
                    mark = f"(prefilled from {answer.fact_path}, {answer.confidence})"
                    lines += ["", f"_{mark}{': ' + answer.note if answer.note else ''}_"]
            else:
                lines.append("> _not answered_")
            lines.append("")
    if attachments:
        lines += ["## Attachments", ""]
        lines += [f"- attachments/{name}" for name in attachments]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines() or [""])


def render_question_list(questionnaire: Questionnaire) -> str:
    """What ``--questionnaire`` prints: every question with its id, type and help."""
    lines = [f"{questionnaire.title} (questionnaire version {questionnaire.version})", "",
             "Answer with --answers FILE: a JSON or TOML object of id -> value, for example",
             '  {"architecture.instance_count": 3, "security.tls": "yes", "security.compliance": ["SOC 2"]}',
             "Types: text; number; choice (one of the listed values); multi-choice (a list of them); "
             "yes-no (yes or no).", ""]
    for section in questionnaire.sections:
        lines += [f"[{section.title}]"]
        for q in section.questions:
            kind = q.type + (f": {' | '.join(q.choices)}" if q.choices else "") + (f" ({q.unit})" if q.unit else "")
            lines.append(f"  {q.id}  <{kind}>{'' if q.required else '  optional'}")
            lines.append(f"      {q.question}")
            lines.append(f"      {q.help}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def questionnaire_outputs(questionnaire: Questionnaire, answers: Sequence[Answer], *,
                          facts: Mapping[str, Any] | None = None, attachments: Sequence[str] = ()) -> dict[str, str]:
    """The two archive files: freeform_questions.md and submission.json."""
    return {
        "freeform_questions.md": render_markdown(questionnaire, answers, facts=facts, attachments=attachments),
        "submission.json": json.dumps(submission(answers), indent=2, ensure_ascii=False) + "\n",
    }
