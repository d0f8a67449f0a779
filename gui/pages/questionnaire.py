"""Page 6: the technical questionnaire, one wizard page per section.

The first section is the page at PageId.QUESTIONNAIRE; the others have ids from SECTION_IDS_FROM (after
Save: there is no room between 5 and 6) and are chained with nextId(), the last one to Attachments.

A field shows the user's answer (``state.answers``: only what the user typed) over the value prefilled
from the facts (prechecks.prefill), and says where a prefilled value came from. The answers are restored
from the draft for this server and account when the first section opens, and saved back to it 500 ms
after the last keystroke (off the GUI thread), when a section is left and when the window closes.

Required questions left open never block Next: a DBA may not know the application stack today and must
still be able to save the archive, whose freeform_questions.md lists every open question. A value that
does not fit its question (a number that is not one) blocks Next until it is fixed or cleared.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from gui.pages.base import Page, log, text_width, wrapped_label
from gui.qt import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QObject,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QTimer,
    QtWidgets,
    QVBoxLayout,
    QWidget,
    Signal,
)
from gui.state import PageId
from gui.worker import Task
from prechecks import drafts
from prechecks.prefill import prefill_servers
from prechecks.questionnaire import (
    Answer,
    Prefill,
    Question,
    Questionnaire,
    QuestionnaireError,
    Section,
    Value,
    coerce_value,
    format_value,
    load_questionnaire,
    merge_answers,
    missing_required,
)

SECTION_IDS_FROM = 100  # the second section's page id; the third is 101, ...
AUTOSAVE_DELAY_MS = 500
SHORT_TEXT_SECTIONS = ("contact",)  # name, company, role, email: one line each; other text answers get a box
RESERVED_MNEMONICS = frozenset("bnfu")  # the wizard's "< &Back", "&Next >", "&Finish" and "Abo&ut"
NOT_ANSWERED = "(not answered)"
CONFIDENCE_WORDS = {"measured": "measured", "estimate": "an estimate", "heuristic": "a hint: check it"}
NOTHING_COLLECTED = ("Nothing was collected in this session, so no answer is prefilled and no draft is kept: "
                     "run the checks first to have the answers saved for the server.")
NO_SERVER = "The collected facts name no server: your answers are kept for this session only (no draft)."


def with_mnemonic(text: str, taken: set[str]) -> str:
    """``text`` with an ``&`` before the first word initial not yet used on the page (none when all are)."""
    escaped = text.replace("&", "&&")
    for i, char in enumerate(escaped):
        initial = i == 0 or not escaped[i - 1].isalnum()
        if initial and char.isascii() and char.isalpha() and char.lower() not in taken | RESERVED_MNEMONICS:
            taken.add(char.lower())
            return f"{escaped[:i]}&{escaped[i:]}"
    return escaped


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class QuestionnaireSession(QObject):
    """What the section pages share: the questions, the prefill, the draft and its autosave."""

    changed = Signal()  # an answer changed: the side lists recount
    status_changed = Signal(str)  # one line about the draft

    def __init__(self, first: QuestionnairePage, drafts_dir: Path | None = None) -> None:
        super().__init__(first)
        self.first = first
        self.drafts_dir = drafts_dir  # None: the user data directory (prechecks.drafts.drafts_dir)
        self.questionnaire: Questionnaire = load_questionnaire()
        self.prefills: dict[str, Prefill] = {}  # question id -> what the facts say (prechecks.prefill)
        self.collected: dict[str, Answer] = {}  # the same as answers, with their provenance
        self.generation = 0  # bumped when the prefill or the restored answers change: pages reload their fields
        self.key: str | None = None
        self.label = ""
        self.status = ""
        self.status_tooltip = ""
        self._prepared = False
        self._prepared_for: tuple[Any, ...] | None = None  # the runs the prefill comes from (servers_key)
        self._restored: set[str] = set()  # draft keys already restored in this window
        self._saved: dict[str, Value] = {}  # what the draft file holds, as far as this window knows
        self._serial = 0
        self._saved_serial = 0
        self._saving: Task | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self._save_in_background)

    @property
    def answers(self) -> dict[str, Any]:
        return self.first.state.answers

    # -- the run's facts and the draft ------------------------------------------------------------------
    def prepare(self) -> None:
        """Prefill from the runs of the submission (every server's: prechecks.prefill.prefill_servers) and
        restore the current server's draft (once per server and window)."""
        state = self.first.state
        result, servers = state.result, state.servers_key()
        if self._prepared and servers == self._prepared_for:
            return
        self.flush()  # the previous server's answers go to its own draft first
        self._prepared, self._prepared_for = True, servers
        self.generation += 1
        previous_key = self.key
        facts = result.facts if result is not None else {}
        self.prefills = prefill_servers(state.named_facts(), self.questionnaire) if result is not None else {}
        self.collected = {a.id: a for a in merge_answers(self.questionnaire, self.prefills) if a.prefilled}
        if result is None:
            self.key, self.label = None, ""
            self._set_status(NOTHING_COLLECTED)
            return
        where = drafts.source_where(facts.get("source"))
        self.key = drafts.server_key(**where) if where else None
        self.label = drafts.server_label(**where) if where else ""
        self._saved = {}  # no draft yet, or one restored below
        if self.key is None:
            self._set_status(NO_SERVER)
            return
        if self.key not in self._restored:
            self._restored.add(self.key)
            self._restore(self.key)
        elif self.key != previous_key:
            self._set_status(f"Answers are saved as a draft for {self.label} as you type.")
        self._drop_answers_equal_to_collected()

    def _restore(self, key: str) -> None:
        draft = drafts.load_draft(key, questionnaire=self.questionnaire, directory=self.drafts_dir)  # unreadable: None
        if draft is None or not draft.answers:
            self._set_status(f"Answers are saved as a draft for {self.label} as you type.")
            return
        typed_here = dict(self.answers)  # typed in this window before this run: they stay
        self.answers.clear()
        self.answers.update({**draft.answers, **typed_here})
        self._saved = dict(draft.answers)
        saved_at = f" on {draft.saved_at}" if draft.saved_at else ""
        self._set_status(f"Restored {plural(len(draft.answers), 'answer', 'answers')} saved{saved_at} for "
                         f"{self.label}; changes are saved as you type.")
        log.info("questionnaire: restored %d answer(s) from the draft", len(draft.answers))

    def _drop_answers_equal_to_collected(self) -> None:
        """An answer equal to the collected value is the collected value: it keeps its provenance."""
        same = [qid for qid, value in self.answers.items()
                if qid in self.collected and value == self.collected[qid].value]
        for qid in same:
            del self.answers[qid]
        if same:
            self.answer_changed()

    # -- answers ---------------------------------------------------------------------------------------
    def set_answer(self, question: Question, value: Value) -> None:
        """Record what the user typed (already coerced): nothing when it is the collected value or empty."""
        collected = self.collected.get(question.id)
        if value == (collected.value if collected is not None else None):
            self.answers.pop(question.id, None)
        else:
            self.answers[question.id] = value  # None over a collected value: the user cleared it
        self.answer_changed()

    def use_collected(self, question: Question) -> None:
        self.answers.pop(question.id, None)
        self.answer_changed()

    def shown_value(self, question: Question) -> Value:
        if question.id in self.answers:
            value: Value = self.answers[question.id]
            return value
        collected = self.collected.get(question.id)
        return collected.value if collected is not None else None

    def merged(self) -> list[Answer]:
        """Every question's answer as the archive will have it (the draft is already in state.answers)."""
        return merge_answers(self.questionnaire, self.prefills, None, self.answers)

    def missing_required(self) -> list[Question]:
        return missing_required(self.questionnaire, self.merged())

    def answer_changed(self) -> None:
        self.changed.emit()
        if self.key is not None:
            self._timer.start()  # restarted by every keystroke: saves 500 ms after the last one

    # -- the draft on disk -----------------------------------------------------------------------------
    def _save_in_background(self) -> None:
        if self.key is None:
            return
        if self._saving is not None:  # one save at a time: try again once it is written
            self._timer.start()
            return
        answers = dict(self.answers)
        if answers == self._saved:
            return
        self._serial += 1
        serial, key, label, secrets = self._serial, self.key, self.label, tuple(self.first.state.secrets)
        directory = self.drafts_dir
        self._saving = self.first.tasks.run_in_background(
            lambda _task: drafts.save_draft(key, answers, label=label, secrets=secrets, directory=directory),
            success=lambda path: self._saved_to(serial, answers, path),
            failure=lambda exc: self._save_failed(serial, exc),
        )

    def _saved_to(self, serial: int, answers: dict[str, Value], path: Path) -> None:
        self._saving = None
        if serial > self._saved_serial:  # a flush may have written newer answers meanwhile
            self._saved_serial, self._saved = serial, answers
            self._set_status(f"Draft saved at {datetime.now():%H:%M:%S}; it is restored the next time you check "
                             f"{self.label}.", tooltip=str(path))

    def _save_failed(self, serial: int, exc: BaseException) -> None:
        self._saving = None
        if serial > self._saved_serial:
            self._report_failure(exc)

    def _report_failure(self, exc: BaseException) -> None:
        reason = str(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
        log.warning("questionnaire: %s", reason)
        self._set_status(f"The draft was not saved ({reason}); your answers stay in this window and go into "
                         "the archive.")

    def flush(self) -> None:
        """Save now what is not saved yet: leaving a section, or closing the window. Never raises."""
        self._timer.stop()
        if self._saving is not None:
            self._saving.wait()  # a small file: let it land first, so the newer answers win
        if self.key is None or dict(self.answers) == self._saved:
            return
        self._serial += 1
        answers = dict(self.answers)
        try:
            path = drafts.save_draft(self.key, answers, label=self.label, secrets=self.first.state.secrets,
                                     directory=self.drafts_dir)
        except OSError as exc:
            self._saved_serial = self._serial
            self._report_failure(exc)
            return
        self._saved_to(self._serial, answers, path)

    def _set_status(self, text: str, tooltip: str = "") -> None:
        self.status, self.status_tooltip = text, tooltip
        self.status_changed.emit(text)


class QuestionField:
    """One question's widgets: the label (mnemonic, buddy), the help, the input, where the value came from."""

    def __init__(self, question: Question, taken: set[str], edited: Callable[[QuestionField], None],
                 reset: Callable[[QuestionField], None]) -> None:
        self.question = question
        self.loading = False
        self.error = ""
        self.box = QWidget()
        layout = QVBoxLayout(self.box)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.setSpacing(3)
        mark = " *" if question.required else ""
        self.label = QLabel(with_mnemonic(question.question + mark, taken))
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        layout.addWidget(self.label)
        self.help = wrapped_label(question.help)
        layout.addWidget(self.help)

        name = question.question + (", required" if question.required else ", optional")
        self.line: QLineEdit | None = None
        self.box_edit: QPlainTextEdit | None = None
        self.combo: QComboBox | None = None
        self.checks: list[tuple[str, QCheckBox]] = []
        row = QHBoxLayout()
        if question.type == "text" and question.section not in SHORT_TEXT_SECTIONS:
            self.box_edit = QPlainTextEdit()
            self.box_edit.setTabChangesFocus(True)  # Tab leaves the box: keyboard users move on
            self.box_edit.setFixedHeight(self.box_edit.fontMetrics().lineSpacing() * 4 + 12)
            self.box_edit.textChanged.connect(lambda: self._edited(edited))
            self.input: QWidget = self.box_edit
        elif question.type in ("text", "number"):
            self.line = QLineEdit()
            self.line.textChanged.connect(lambda _text: self._edited(edited))
            if question.type == "number":
                self.line.setPlaceholderText("e.g. 1200" if question.unit else "e.g. 3")
                self.line.setMaximumWidth(text_width(self.line, 36))
            self.input = self.line
        elif question.type in ("choice", "yes-no"):
            self.combo = QComboBox()
            self.combo.addItem(NOT_ANSWERED, None)
            for choice in question.choices or ("yes", "no"):
                self.combo.addItem(choice, choice)
            self.combo.currentIndexChanged.connect(lambda _index: self._edited(edited))
            self.input = self.combo
        else:  # multi-choice: one check box per choice
            self.input = QWidget()
            grid = QGridLayout(self.input)
            grid.setContentsMargins(0, 0, 0, 0)
            for n, choice in enumerate(question.choices):
                check = QCheckBox(choice.replace("&", "&&"))
                check.setAccessibleName(f"{choice} ({question.question})")
                check.toggled.connect(lambda _on: self._edited(edited))
                grid.addWidget(check, n // 3, n % 3)
                self.checks.append((choice, check))
        self.input.setAccessibleName(name if not self.checks else question.question)
        self.input.setAccessibleDescription(question.help)
        self.input.setToolTip(question.help)
        if self.checks:  # the label's mnemonic focuses the first choice, without ticking it (as a button buddy would)
            self.input.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            self.input.setFocusProxy(self.checks[0][1])
        self.label.setBuddy(self.input)
        narrow = question.type in ("number", "choice", "yes-no")
        row.addWidget(self.input, 0 if narrow else 1)
        if question.unit:
            row.addWidget(QLabel(question.unit))
            self.input.setAccessibleName(f"{name} (in {question.unit})")
        if narrow:
            row.addStretch(1)
        layout.addLayout(row)

        note_row = QHBoxLayout()
        self.note = wrapped_label(selectable=True)
        self.note.setAccessibleName(f"Where the answer came from: {question.question}")
        note_font = self.note.font()
        note_font.setItalic(True)
        self.note.setFont(note_font)
        note_row.addWidget(self.note, 1)
        self.use_collected = QPushButton("Use collected value")
        self.use_collected.setAccessibleName(f"Use the collected value for: {question.question}")
        self.use_collected.clicked.connect(lambda: reset(self))
        note_row.addWidget(self.use_collected, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(note_row)

    def _edited(self, edited: Callable[[QuestionField], None]) -> None:
        if not self.loading:
            edited(self)

    def raw(self) -> Any:
        """What the widget holds, before coerce_value."""
        if self.box_edit is not None:
            return self.box_edit.toPlainText()
        if self.line is not None:
            return self.line.text()
        if self.combo is not None:
            return self.combo.currentData()
        return [choice for choice, check in self.checks if check.isChecked()]

    def show(self, value: Value) -> None:
        """Put ``value`` in the widget without counting it as an edit."""
        self.loading = True
        try:
            text = format_value(value) if not isinstance(value, int | float) else str(value)
            if self.box_edit is not None:
                self.box_edit.setPlainText(text)
            elif self.line is not None:
                self.line.setText(text)
            elif self.combo is not None:
                index = self.combo.findData(value) if isinstance(value, str) else 0
                self.combo.setCurrentIndex(max(index, 0))
            else:
                chosen = set(value) if isinstance(value, list) else set()
                for choice, check in self.checks:
                    check.setChecked(choice in chosen)
        finally:
            self.loading = False

    def describe(self, *, collected: Answer | None, answered_by_user: bool, value: Value) -> None:
        """The line under the input: an error, the provenance, an edit of it, or a required mark."""
        q = self.question
        show_reset = False
        if self.error:
            text = self.error
        elif collected is not None and answered_by_user:
            was = shorten(format_value(collected.value, q.unit), 120)
            what = "cleared" if value is None or value in ("", []) else "changed"
            text = f"You {what} the value collected from the server ({collected.fact_path}: {was})."
            show_reset = True
        elif collected is not None:
            words = CONFIDENCE_WORDS.get(str(collected.confidence), str(collected.confidence))
            text = f"From the server ({collected.fact_path}, {words})"
            text += f": {collected.note}." if collected.note else "."
        elif q.required and (value is None or value in ("", [])):
            text = "Required: not answered yet."
        else:
            text = ""
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self.use_collected.setVisible(show_reset)


class SectionPage(Page):
    """One section of the questionnaire: its questions, the sections' progress, the draft's state."""

    def __init__(self, session: QuestionnaireSession | None, section: Section, index: int, count: int,
                 next_id: int) -> None:
        super().__init__()
        self.section = section
        self.index = index  # 1-based
        self.count = count
        self._next_id = next_id
        self._shown_generation = -1
        self.setTitle(f"Questionnaire: {section.title}")
        intro = f" {section.intro}" if section.intro else ""
        self.setSubTitle(f"Section {index} of {count}.{intro} Questions marked * are required; you can answer "
                         "them later.")
        outer = QVBoxLayout(self)
        middle = QHBoxLayout()
        self.progress = QLabel()
        self.progress.setTextFormat(Qt.TextFormat.RichText)
        self.progress.setWordWrap(True)
        self.progress.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.progress.setFixedWidth(text_width(self.progress, 35))
        self.progress.setAccessibleName("Questionnaire sections and how many answers each has")
        middle.addWidget(self.progress)
        self.scroll_area = QtWidgets.QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from question to question; it scrolls along
        content = QWidget()
        questions = QVBoxLayout(content)
        taken: set[str] = set()
        self.fields = [QuestionField(q, taken, self._edited, self._use_collected) for q in section.questions]
        for field in self.fields:
            questions.addWidget(field.box)
        questions.addStretch(1)
        self.scroll_area.setWidget(content)
        middle.addWidget(self.scroll_area, 1)
        outer.addLayout(middle, 1)
        self.required_status = wrapped_label()
        self.required_status.setAccessibleName("Required questions still open")
        outer.addWidget(self.required_status)
        self.draft_status = wrapped_label(selectable=True)
        self.draft_status.setAccessibleName("Draft status")
        outer.addWidget(self.draft_status)
        self._session = session
        if session is not None:
            self.attach(session)

    def attach(self, session: QuestionnaireSession) -> None:
        self._session = session
        session.changed.connect(self._show_progress)
        session.status_changed.connect(self._show_draft_status)

    @property
    def session(self) -> QuestionnaireSession:
        assert self._session is not None
        return self._session

    def nextId(self) -> int:
        return self._next_id

    def initializePage(self) -> None:
        session = self.session
        if self._shown_generation != session.generation:
            self._shown_generation = session.generation
            for field in self.fields:
                field.error = ""
                field.show(session.shown_value(field.question))
            self.completeChanged.emit()
        for field in self.fields:
            self._describe(field)
        self._show_progress()
        self._show_draft_status(session.status)

    def isComplete(self) -> bool:  # only a value that does not fit its question holds the user here
        return not any(field.error for field in self.fields)

    def validatePage(self) -> bool:
        self.session.flush()
        return self.isComplete()

    def cleanupPage(self) -> None:  # Back: keep what was typed, on disk too
        self.session.flush()

    # -- editing -----------------------------------------------------------------------------------------
    def _edited(self, field: QuestionField) -> None:
        had_error = bool(field.error)
        try:
            value = coerce_value(field.question, field.raw())
        except QuestionnaireError as exc:
            field.error = self._error_text(field.question, exc)
        else:
            field.error = ""
            self.session.set_answer(field.question, value)
        self._describe(field)
        if had_error != bool(field.error):
            self.completeChanged.emit()

    @staticmethod
    def _error_text(question: Question, exc: QuestionnaireError) -> str:
        if question.type == "number":
            return "Not saved: type a number of zero or more, digits only (for example 1200), or clear the field."
        return f"Not saved: {str(exc).split(': ', 1)[-1]}."

    def _use_collected(self, field: QuestionField) -> None:
        self.session.use_collected(field.question)
        field.error = ""
        field.show(self.session.shown_value(field.question))
        self._describe(field)
        self.completeChanged.emit()
        field.input.setFocus()

    def _describe(self, field: QuestionField) -> None:
        session = self.session
        q = field.question
        field.describe(collected=session.collected.get(q.id), answered_by_user=q.id in session.answers,
                       value=session.shown_value(q))

    # -- what the page says around the questions ---------------------------------------------------------
    def _show_progress(self) -> None:
        if self._session is None:
            return
        merged = {a.id: a for a in self.session.merged()}
        lines = []
        for n, section in enumerate(self.session.questionnaire.sections, start=1):
            answered = sum(1 for q in section.questions if merged[q.id].answered)
            open_required = sum(1 for q in section.questions if q.required and not merged[q.id].answered)
            title = html.escape(f"{n}. {section.title}")
            title = f"<b>▸ {title}</b>" if n == self.index else title
            detail = f"{answered} of {len(section.questions)} answered"
            if open_required:
                detail += f", {open_required} required open"
            lines.append(f"{title}<br>&nbsp;&nbsp;{detail}")
        self.progress.setText("<p>" + "</p><p>".join(lines) + "</p>")
        mine = [q for q in self.section.questions if q.required and not merged[q.id].answered]
        if mine:
            verb = "needs" if len(mine) == 1 else "need"
            text = (f"{plural(len(mine), 'required question', 'required questions')} in this section still {verb} "
                    "an answer. You can go on and answer later: the archive lists every open question.")
        else:
            text = "Every required question in this section has an answer."
        if self.index == self.count:
            total = self.session.missing_required()
            if total:
                open_sections = {q.section for q in total}
                titles = ", ".join(s.title for s in self.session.questionnaire.sections if s.id in open_sections)
                what = plural(len(total), "required question is", "required questions are")
                text += f" In the whole questionnaire {what} still open ({titles})."
            else:
                text += " Every required question of the questionnaire has an answer."
        self.required_status.setText(text)

    def _show_draft_status(self, text: str) -> None:
        self.draft_status.setText(text)
        self.draft_status.setToolTip(self.session.status_tooltip)


class QuestionnairePage(SectionPage):
    """The first section; it owns the session and the pages of the other sections."""

    def __init__(self, drafts_dir: Path | None = None) -> None:
        questionnaire = load_questionnaire()
        sections = questionnaire.sections
        count = len(sections)

        def next_after(index: int) -> int:  # index: 1-based; the page after section `index`
            return SECTION_IDS_FROM + index - 1 if index < count else int(PageId.ATTACHMENTS)

        super().__init__(None, sections[0], 1, count, next_after(1))
        self.attach(QuestionnaireSession(self, drafts_dir))
        self.more_sections: dict[int, SectionPage] = {
            SECTION_IDS_FROM + n - 2: SectionPage(self.session, section, n, count, next_after(n))
            for n, section in enumerate(sections[1:], start=2)
        }

    def initializePage(self) -> None:
        self.session.prepare()
        super().initializePage()

    def missing_required(self) -> list[Question]:
        """The required questions still open (for Review and Save to show)."""
        return self.session.missing_required()

    def flush_draft(self) -> None:
        """The wizard is closing: write the answers of the last half second."""
        self.session.flush()
