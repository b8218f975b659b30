"""A malformed SPARQL query explained in words a person understands, with line and column.

Oxigraph's message names the position where its parser stopped and the grammar rules it would
have taken there (``error at 1:31: expected one of Prefix not found, ['%'], …``): true, but
not something a person can act on, and the position is often past the real mistake. So the
query text is read again with the guard's lexer (:func:`.sparql_guard.located_tokens`) and
the first of these is told, in this order: a string or IRI never closed, a bracket never
closed or closing nothing, a bare word that is no SPARQL keyword (with the nearest one), a
prefix not declared (with the nearest declared one), a triple pattern run into the next
without ``.`` or ``;``. When none of them is found, the parser's own message is told with its
position, its list of expectations made readable. Lines and columns count from 1; a column
counts characters (Unicode code points).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from .sparql_guard import located_tokens

__all__ = ["KEYWORDS", "Explanation", "explain"]

#: Every bare word SPARQL knows (``sparql/keywords.txt``), upper case; ``a`` is apart.
KEYWORDS = frozenset(
    word.upper()
    for line in (Path(__file__).parent / "sparql" / "keywords.txt").read_text("utf-8").splitlines()
    if not line.startswith("#")
    for word in line.split()
)
#: Keywords a person may mistype, offered as "did you mean" (the query forms and clauses).
_SUGGESTED = sorted(KEYWORDS)

_OPENERS = {"(": ")", "{": "}", "[": "]"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
#: Tokens that are one RDF term in a triple pattern.
_TERM_KINDS = frozenset({"var", "iri", "pname", "string", "number", "bnode"})
_PATH_JOINERS = frozenset({"/", "|", "^", "^^"})
_POSITION = re.compile(r"error at (\d+):(\d+)")
_SCHEME_IRI = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*")


@dataclass(frozen=True)
class Explanation:
    """What is wrong with a query, in words; where (1-based line and column, and how many
    characters to mark there); ``kind`` names the rule that found it; ``parser`` is the
    parser's own message."""

    message: str
    line: int
    column: int
    length: int
    kind: str
    parser: str

    def as_dict(self) -> dict[str, object]:
        """The explanation as a JSON-ready mapping."""
        return asdict(self)


def explain(
    text: str, parser_message: str = "", prefixes: Mapping[str, str] | None = None
) -> Explanation:
    """Why ``text`` (a query the parser refused with ``parser_message``) is malformed, in
    words; ``prefixes`` are those the endpoint declares for every query."""
    where = _Where(text, parser_message)
    tokens = located_tokens(text)
    if not tokens:
        return where.at(0, 0, "empty", "The query is empty: write a query, or pick an example.")
    for rule in (_unclosed_string, _brackets, _unknown_word, _unknown_prefix, _run_on):
        found = rule(text, tokens, where, dict(prefixes or {}))
        if found is not None:
            return found
    return _parser_said(text, where)


class _Where:
    """Offsets in one text to lines and columns, and the parser's message to pass along."""

    def __init__(self, text: str, parser: str) -> None:
        self.text = text
        self.parser = parser

    def line_column(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def at(self, offset: int, length: int, kind: str, message: str) -> Explanation:
        line, column = self.line_column(offset)
        return Explanation(message, line, column, length, kind, self.parser)

    def line(self, offset: int) -> int:
        return self.line_column(offset)[0]


_Token = tuple[str, str, int]


def _unclosed_string(
    text: str, tokens: list[_Token], where: _Where, prefixes: dict[str, str]
) -> Explanation | None:
    """A string whose closing quote never comes (on its line, or in the text for ``'''``)."""
    for kind, value, start in tokens:
        if kind == "string" and not _closed(value):
            return where.at(
                start,
                len(value.splitlines()[0]),
                "unclosed-string",
                f"The string started on line {where.line(start)} is never closed: "
                f"end it with `{_quote(value)}`.",
            )
        if kind == "char" and value == "<":
            iri = _SCHEME_IRI.match(text, start)
            if iri and (iri.end() >= len(text) or text[iri.end()] != ">"):
                return where.at(
                    start,
                    iri.end() - start,
                    "unclosed-iri",
                    f"The IRI `{iri.group()}` on line {where.line(start)} is never closed: "
                    "end it with `>`.",
                )
    return None


def _quote(string: str) -> str:
    """The quote a string token opens with (one character or three)."""
    return string[:3] if string[:3] in (3 * '"', 3 * "'") else string[0]


def _closed(string: str) -> bool:
    """Whether a string token ends with its own (unescaped) quote."""
    quote = _quote(string)
    body = string[len(quote) :]
    if not body.endswith(quote):
        return False
    inner = body[: -len(quote)]
    return (len(inner) - len(inner.rstrip("\\"))) % 2 == 0


def _brackets(
    text: str, tokens: list[_Token], where: _Where, prefixes: dict[str, str]
) -> Explanation | None:
    """A ``(``, ``{`` or ``[`` never closed, or a closer that closes nothing."""
    stack: list[tuple[str, int]] = []
    for kind, value, start in tokens:
        if kind != "char":
            continue
        if value in _OPENERS:
            stack.append((value, start))
        elif value in _CLOSERS:
            opener = _CLOSERS[value]
            if stack and stack[-1][0] == opener:
                stack.pop()
            elif any(o == opener for o, _ in stack):
                return _never_closed(where, *stack[-1])  # the inner one was left open
            else:
                return where.at(
                    start,
                    1,
                    "unmatched-close",
                    f"`{value}` on line {where.line(start)} closes nothing: there is no "
                    f"`{opener}` open before it.",
                )
    if stack:
        return _never_closed(where, *stack[-1])
    return None


def _never_closed(where: _Where, opener: str, start: int) -> Explanation:
    return where.at(
        start,
        1,
        "unclosed-bracket",
        f"The `{opener}` opened on line {where.line(start)} is never closed: "
        f"add `{_OPENERS[opener]}`.",
    )


def _unknown_word(
    text: str, tokens: list[_Token], where: _Where, prefixes: dict[str, str]
) -> Explanation | None:
    """A bare word that is no SPARQL keyword (nor ``a``)."""
    for index, (kind, value, start) in enumerate(tokens):
        if kind != "word" or value == "a" or value.upper() in KEYWORDS:
            continue
        line = where.line(start)
        if index and tokens[index - 1][1].upper() == "PREFIX":
            return where.at(
                start,
                len(value),
                "prefix-colon",
                f"The prefix `{value}` declared on line {line} needs its colon: "
                f"`PREFIX {value}: <…>`.",
            )
        near = difflib.get_close_matches(value.upper(), _SUGGESTED, n=1, cutoff=0.8)
        hint = (
            f" (did you mean {near[0]}?)"
            if near
            else "; a name of a resource needs a prefix (`dak:leads`) or angle brackets "
            "(`<https://…>`)"
        )
        return where.at(
            start, len(value), "unknown-keyword", f"Unknown keyword `{value}` on line {line}{hint}."
        )
    return None


def _unknown_prefix(
    text: str, tokens: list[_Token], where: _Where, prefixes: dict[str, str]
) -> Explanation | None:
    """A prefixed name whose prefix neither the query nor the endpoint declares."""
    declared = dict(prefixes)
    for index, (kind, value, _) in enumerate(tokens):
        if kind == "word" and value.upper() == "PREFIX" and index + 1 < len(tokens):
            after = tokens[index + 1]
            if after[0] == "pname" and after[1].endswith(":"):
                declared[after[1][:-1]] = ""
    for index, (kind, value, start) in enumerate(tokens):
        if kind != "pname":
            continue
        before = tokens[index - 1][1].upper() if index else ""
        prefix = value.split(":", 1)[0]
        if before == "PREFIX" or prefix in declared:
            continue
        near = difflib.get_close_matches(prefix, sorted(declared), n=1, cutoff=0.6)
        hint = (
            f" (did you mean `{near[0]}:`?)"
            if near
            else f": declare it first, with `PREFIX {prefix}: <…>`"
        )
        return where.at(
            start,
            len(prefix) + 1,
            "unknown-prefix",
            f"The prefix `{prefix}:` on line {where.line(start)} is not declared{hint}.",
        )
    return None


def _run_on(
    text: str, tokens: list[_Token], where: _Where, prefixes: dict[str, str]
) -> Explanation | None:
    """A fourth term after subject, predicate and object (or a third after ``;``) with no
    ``.`` or ``;`` between: two triple patterns run together; or a triple cut short."""
    counter = _Triples(where)
    for kind, value, start in tokens:
        found = counter.feed(kind, value, start)
        if found is not None:
            return found
    return None


class _Triples:
    """Counts the terms of the triple pattern being read, group by group."""

    def __init__(self, where: _Where) -> None:
        self.where = where
        # Per open bracket: whether triples are counted inside, and the count outside it.
        self.stack: list[tuple[bool, int, int]] = []
        self.clause = ""  # the last keyword (VALUES opens no group of triples)
        self.terms, self.limit = -1, 3  # terms since the last separator (-1: not counting)
        self.joined = False  # the last token joins the next term to it (a path, ``^^``)
        self.first = 0  # where the triple being counted starts

    @property
    def counting(self) -> bool:
        return bool(self.stack) and self.stack[-1][0]

    def feed(self, kind: str, value: str, start: int) -> Explanation | None:
        """Take the next token; the explanation if it shows a run-on or short triple."""
        if kind == "char" and value in _OPENERS:
            self.open(value)
        elif kind == "char" and value in _CLOSERS:
            return self.close(value, start)
        elif not self.counting:
            if kind == "word":
                self.clause = value.upper()
        elif kind == "char" and value in ".;,":
            if self.short(value):
                return _incomplete(self.where, self.first if self.terms else start, value)
            self.terms, self.limit = 0, {".": 3, ";": 2, ",": 1}[value]
            self.joined = False
        elif kind in _TERM_KINDS or (kind == "word" and value.upper() in ("A", "TRUE", "FALSE")):
            return self.term(value, start)
        elif kind == "word":
            self.terms, self.clause = -1, value.upper()  # FILTER, BIND…: not a triple
        elif kind != "langtag":
            self.joined = value in _PATH_JOINERS
        return None

    def short(self, before: str) -> bool:
        """Whether the triple being read lacks a term where ``before`` ends it."""
        if before == "}":
            return 0 < self.terms < self.limit or (self.terms == 0 and self.limit == 1)
        return 0 < self.terms < self.limit or (self.terms == 0 and self.limit < 3)

    def open(self, value: str) -> None:
        if value == "{":
            self.stack.append((self.clause != "VALUES", self.terms, self.limit))
            self.terms, self.limit, self.clause = 0, 3, ""
        else:  # a collection, a blank node or an expression: one term, or none
            counted = self.counting and self.terms >= 0 and not self.joined
            self.stack.append((False, self.terms + counted, self.limit))
        self.joined = False

    def close(self, value: str, start: int) -> Explanation | None:
        if self.counting and value == "}" and not self.joined and self.short(value):
            return _incomplete(self.where, self.first if self.terms else start, value)
        if self.stack:
            _, self.terms, self.limit = self.stack.pop()
        if value == "}" or self.terms < 0:  # a group or an expression ended
            self.terms, self.limit = (0 if self.counting else -1), 3
        self.joined = False
        return None

    def term(self, value: str, start: int) -> Explanation | None:
        if self.terms < 0 or self.joined:
            self.joined = False
            return None
        if self.terms == self.limit:
            return self.where.at(
                start,
                len(value),
                "missing-separator",
                f"A `.` or `;` is probably missing before `{value}` on line "
                f"{self.where.line(start)}.",
            )
        self.first = start if self.terms == 0 else self.first
        self.terms += 1
        return None


def _incomplete(where: _Where, start: int, before: str) -> Explanation:
    return where.at(
        start,
        1,
        "incomplete-triple",
        f"The triple pattern on line {where.line(start)} is incomplete before `{before}`: "
        "it needs a subject, a predicate and an object (`?s ?p ?o`).",
    )


def _parser_said(text: str, where: _Where) -> Explanation:
    """The parser's own message, made readable, where it stopped."""
    found = _POSITION.search(where.parser)
    line, column = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
    expected = _readable_expectations(where.parser)
    said = f"; it expected {expected}" if expected else ""
    return Explanation(
        f"The query could not be read at line {line}, column {column}{said}.",
        line,
        column,
        1,
        "parser",
        where.parser,
    )


def _readable_expectations(message: str) -> str:
    """``expected one of ",", "}", OPTIONAL, [_]`` as ``one of `,` `}` OPTIONAL``."""
    _, _, listed = message.partition("expected ")
    if not listed:
        return ""
    items = re.findall(r'"((?:[^"\\]|\\.)+)"|\b([A-Z][A-Za-z_]+)\b', listed.split("\n")[0])
    words = []
    for quoted, word in items:
        if quoted and quoted not in ("{|", "~") and "\\" not in quoted:
            words.append(f"`{quoted}`")
        elif word and word.upper() in KEYWORDS:
            words.append(word.upper())
    words = list(dict.fromkeys(words))
    if not words:
        return ""
    return words[0] if len(words) == 1 else "one of " + " ".join(words)
