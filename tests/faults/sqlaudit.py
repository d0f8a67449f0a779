"""Is a statement one a read-only tool may send? A tokenizer-based classifier for the statement audit.

Allowed, and nothing else: SELECT (without FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE / INTO, without
lock, sleep, file or sequence functions, without := assignments), SHOW, SET of session variables (never
GLOBAL / PERSIST, PASSWORD, ROLE or a READ WRITE transaction), USE, transaction control (BEGIN, START
TRANSACTION without READ WRITE, COMMIT, ROLLBACK) and `CALL mysql.rds_show_configuration`.

The tokenizer knows MariaDB's lexical rules: quoted strings with backslash escapes and doubled quotes,
backquoted identifiers, `#`, `-- ` and `/* */` comments. An executable comment (`/*! */`, `/*M! */`) is
code to the server, so it is refused rather than skipped (sqlglot's tokenizer, for one, drops it), and
so is more than one statement, an unterminated string or comment, and anything this module cannot read.
"""

from __future__ import annotations

from dataclasses import dataclass

# general log command types a session of ours may show (COM_QUERY and friends); anything else is refused
ALLOWED_COMMANDS = frozenset({"Connect", "Quit", "Query", "Init DB", "Ping", "Set option"})
# functions that wait, take locks, touch files or advance sequences
FORBIDDEN_FUNCTIONS = frozenset({
    "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "SLEEP", "BENCHMARK", "LOAD_FILE", "NEXTVAL", "SETVAL",
    "MASTER_POS_WAIT", "SOURCE_POS_WAIT", "MASTER_GTID_WAIT", "WAIT_FOR_EXECUTED_GTID_SET",
    "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS", "SYS_EXEC", "SYS_EVAL",
})
SESSION_SCOPES = frozenset({"SESSION", "LOCAL"})
FORBIDDEN_SET_WORDS = frozenset({"GLOBAL", "PERSIST", "PERSIST_ONLY", "PASSWORD", "ROLE", "DEFAULT", "STATEMENT"})


class Unreadable(ValueError):
    """The text is not something the classifier can read with certainty (refused, never allowed)."""


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, ident, sysvar, uservar, op
    text: str  # words upper-cased; sysvars lower-cased

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text in words


def _skip_comment(sql: str, i: int) -> int:
    """Index after the comment starting at i (sql[i] is # or -, or sql[i:i+2] is /*)."""
    if sql.startswith("/*", i):
        if sql.startswith(("/*!", "/*M!"), i):
            raise Unreadable("an executable comment (/*! */) runs as code")
        end = sql.find("*/", i + 2)
        if end < 0:
            raise Unreadable("unterminated comment")
        return end + 2
    end = sql.find("\n", i)
    return len(sql) if end < 0 else end + 1


def _quoted(sql: str, i: int, quote: str) -> tuple[str, int]:
    """(content, index after) of the quoted text starting at i."""
    out: list[str] = []
    j = i + 1
    while j < len(sql):
        ch = sql[j]
        if ch == "\\" and quote != "`" and j + 1 < len(sql):
            out.append(sql[j + 1])
            j += 2
            continue
        if ch == quote:
            if sql.startswith(quote * 2, j):
                out.append(quote)
                j += 2
                continue
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise Unreadable(f"unterminated {quote}-quoted text")


def _word_end(sql: str, i: int) -> int:
    j = i
    while j < len(sql) and (sql[j].isalnum() or sql[j] in "_$" or ord(sql[j]) > 127):
        j += 1
    return j


def tokenize(sql: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(sql):
        ch = sql[i]
        if ch.isspace():
            i += 1
        elif ch == "#" or sql.startswith("/*", i) or (sql.startswith("--", i) and (i + 2 == len(sql) or
                                                                                 sql[i + 2].isspace())):
            i = _skip_comment(sql, i)
        elif ch in "'\"":
            text, i = _quoted(sql, i, ch)
            tokens.append(Token("string", text))
        elif ch == "`":
            text, i = _quoted(sql, i, ch)
            tokens.append(Token("ident", text))
        elif sql.startswith("@@", i):
            j = i + 2
            while j < len(sql) and (sql[j].isalnum() or sql[j] in "_$."):
                j += 1
            tokens.append(Token("sysvar", sql[i:j].lower()))
            i = j
        elif ch == "@":
            if i + 1 < len(sql) and sql[i + 1] in "'\"`":
                text, i = _quoted(sql, i + 1, sql[i + 1])
            else:
                j = _word_end(sql, i + 1)
                text, i = sql[i + 1:j], j
            tokens.append(Token("uservar", text))
        elif ch.isalnum() or ch in "_$" or ord(ch) > 127:
            j = _word_end(sql, i)
            tokens.append(Token("word", sql[i:j].upper()))
            i = j
        elif sql.startswith(":=", i):
            tokens.append(Token("op", ":="))
            i += 2
        else:
            tokens.append(Token("op", ch))
            i += 1
    return tokens


def why_not_read_only(sql: str) -> str | None:
    """None when `sql` is a statement a read-only session may send, else why not."""
    try:
        tokens = tokenize(sql)
    except Unreadable as exc:
        return str(exc)
    if not tokens:
        return "an empty statement"
    if any(t.kind == "op" and t.text == ";" for t in tokens):
        return "more than one statement"
    problem = _forbidden_anywhere(tokens)
    if problem:
        return problem
    opened = 0  # a query expression in parentheses, "(SELECT ...) UNION ALL (SELECT ...)" (the batched schema walk)
    while opened < len(tokens) and tokens[opened].kind == "op" and tokens[opened].text == "(":
        opened += 1
    if opened:
        return None if opened < len(tokens) and tokens[opened].is_word("SELECT") else \
            "a parenthesised statement that is not a SELECT"
    first = tokens[0]
    if first.kind != "word":
        return f"starts with {first.text!r}"
    verb = first.text
    if verb in ("SELECT", "SHOW"):
        return None
    if verb == "SET":
        return _set_problem(tokens[1:])
    if verb == "USE":
        return None if len(tokens) == 2 and tokens[1].kind in ("word", "ident") else "USE takes one database name"
    if verb in ("COMMIT", "ROLLBACK"):
        return None
    if verb == "BEGIN":  # BEGIN NOT ATOMIC ... END is a compound statement, not a transaction
        return None if all(t.is_word("WORK") for t in tokens[1:]) else "BEGIN starts a compound statement"
    if verb == "START":
        if len(tokens) < 2 or not tokens[1].is_word("TRANSACTION"):
            return "START other than START TRANSACTION"
        return "a READ WRITE transaction" if any(t.is_word("WRITE") for t in tokens) else None
    if verb == "CALL":
        names = [t.text.upper() if t.kind == "ident" else t.text for t in tokens[1:]]
        if names in (["MYSQL", ".", "RDS_SHOW_CONFIGURATION"], ["MYSQL", ".", "RDS_SHOW_CONFIGURATION", "(", ")"]):
            return None
        return "CALL of a procedure other than mysql.rds_show_configuration"
    return f"{verb} is not a read-only statement"


def _forbidden_anywhere(tokens: list[Token]) -> str | None:
    """Locking reads, INTO, waiting/locking/file functions, sequences and assignments, in any statement."""
    for i, token in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.kind == "op" and token.text == ":=":
            return "an assignment (:=)"
        if token.kind != "word":
            continue
        if token.text == "INTO":
            return "INTO (writes a file or variables)"
        if token.text == "FOR" and after is not None and after.is_word("UPDATE", "SHARE"):
            return f"a locking read (FOR {after.text})"
        if token.text == "LOCK" and after is not None and after.is_word("IN"):
            return "a locking read (LOCK IN SHARE MODE)"
        if token.text == "PROCEDURE" and i > 0 and not tokens[0].is_word("SHOW"):
            return "SELECT ... PROCEDURE"
        if token.text == "NEXT" and after is not None and after.is_word("VALUE"):
            return "NEXT VALUE FOR a sequence"
        if token.text in FORBIDDEN_FUNCTIONS and after is not None and after.kind == "op" and after.text == "(":
            return f"{token.text}() waits, locks, reads a file or advances a sequence"
    return None


def _set_problem(tokens: list[Token]) -> str | None:
    if not tokens:
        return "SET without an assignment"
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "op" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        if token.kind == "op" and token.text == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(token)
    for part in parts:
        if not part:
            return "SET with an empty assignment"
        head = part[0]
        if head.kind == "word" and head.text in FORBIDDEN_SET_WORDS:
            return f"SET {head.text} (not a session variable)"
        if head.kind == "word" and head.text in SESSION_SCOPES:
            part = part[1:]
            if not part:
                return "SET SESSION without an assignment"
            head = part[0]
        if head.kind == "sysvar":
            name = head.text[2:]
            scope = name.split(".", 1)[0] if "." in name else "session"
            if scope not in ("session", "local") or name in ("global", "persist", "persist_only"):
                return f"SET {head.text} (not a session variable)"
        elif head.kind == "word" and head.text in FORBIDDEN_SET_WORDS:
            return f"SET {head.text} (not a session variable)"
        elif head.is_word("TRANSACTION"):
            if any(t.is_word("WRITE") for t in part):
                return "SET TRANSACTION READ WRITE"
        elif head.kind not in ("word", "ident", "uservar"):
            return f"SET of {head.text!r}"
    return None


def why_not_allowed(command: str, argument: str) -> str | None:
    """For one general log row (command_type, argument): None if a read-only session may send it."""
    if command not in ALLOWED_COMMANDS:
        return f"the {command!r} command"
    if command == "Query":
        return why_not_read_only(argument)
    return None
