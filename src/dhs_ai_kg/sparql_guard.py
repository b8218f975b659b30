"""A small SPARQL lexer that finds, before any parsing, what the engine must not be given.

Why: pyoxigraph 0.5.13 really sends HTTP for ``SERVICE`` (it POSTs the sub-query to the
URL) and dies with SIGSEGV, taking the whole process down, on deeply nested queries (measured:
2,000 nested ``{}`` answer, 2,500 and 3,000 crash; 900 ``OPTIONAL`` groups or path steps keep
its planner busy for more than a minute). So the query text is scanned first, and
:mod:`dhs_ai_kg.engine` refuses what the scan reports.

The lexer skips what cannot hold a keyword: strings (all four quote forms, with escapes),
IRIs (``<…>`` with the IRIREF character set, so ``?a < ?b`` stays an operator), comments,
variables, blank-node labels, language tags and prefixed names (``service:x`` or ``ex:load``
are names, not keywords). Bare words are compared case-insensitively with the refused
keywords.

Oxigraph's parser does not require a word boundary after a keyword (measured:
``SERVICESILENT<url>{…}`` and ``SERVICE:x{…}`` with ``PREFIX : <url>`` both send the request),
so ``SERVICE`` is refused wherever a bare word or a prefix name *contains* it: a prefix called
``service:`` is refused too, a false positive accepted for safety. Update keywords need only
an exact word (the engine's query parser rejects updates anyway; the scan just gives the
clearer message). Anything it does not recognize is taken one character at a time, so a malformed
query can only yield *more* keyword tokens (more refusals), never fewer; a span it wrongly
took for an IRI cannot hide ``SERVICE``, which must be followed by ``{`` (never inside an
IRIREF). Oxigraph 0.5.13 does not apply ``\\uXXXX`` escapes outside strings (measured:
``\\u0053ERVICE`` is a syntax error), so neither does this lexer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

#: Keywords that make an outbound request from the engine (federated query).
OUTBOUND_KEYWORDS = frozenset({"SERVICE"})
#: Keywords that only SPARQL Update uses (``LOAD`` also fetches a URL).
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS = _PN_CHARS_BASE + "_0-9\u00b7\u0300-\u036f\u203f-\u2040\\-"

_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>
        '''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
      | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
      | '(?:[^'\\\n\r]|\\.)*'
      | "(?:[^"\\\n\r]|\\.)*"
    )
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][{_PN_CHARS}]+)
  | (?P<bnode>_:[{_PN_CHARS}.]*)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[{_PN_CHARS_BASE}][{_PN_CHARS}.]*)?:(?:[{_PN_CHARS}.:]|%[0-9A-Fa-f]{{2}}|\\.)*)
  | (?P<word>[{_PN_CHARS_BASE}_][{_PN_CHARS}]*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<punct>\^\^|\|\||&&|!=|<=|>=)
  | (?P<char>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_OPEN = frozenset("{([")
_CLOSE = frozenset("})]")
_PATH_OPERATORS = frozenset("/|^")
_PATH_RESET = frozenset(".;,{}")


#: A target the scan could not read (a variable, a glued or odd form): never allowed.
UNREADABLE = ""


@dataclass(frozen=True)
class Scan:
    """What the lexer found: refused keywords (upper case), deepest nesting, longest path."""

    keywords: tuple[str, ...] = field(default=())
    depth: int = 0
    path_steps: int = 0
    #: Whether the query has a dataset clause (``FROM`` / ``FROM NAMED``).
    has_from: bool = False
    #: The IRI after each ``SERVICE`` (resolved; :data:`UNREADABLE` if the scan cannot tell).
    service_targets: tuple[str, ...] = field(default=())
    #: The IRI after each ``FROM`` / ``FROM NAMED`` (resolved, or :data:`UNREADABLE`).
    from_targets: tuple[str, ...] = field(default=())

    @property
    def outbound(self) -> tuple[str, ...]:
        """The keywords found that would make the engine send a request."""
        return tuple(k for k in self.keywords if k in OUTBOUND_KEYWORDS)

    @property
    def update(self) -> tuple[str, ...]:
        """The SPARQL Update keywords found."""
        return tuple(k for k in self.keywords if k in UPDATE_KEYWORDS)


def scan(text: str, prefixes: Mapping[str, str] | None = None) -> Scan:
    """Lex ``text`` once: refused keywords in order of appearance, max nesting, max path,
    and the IRIs ``SERVICE`` and ``FROM`` name (prefixed names resolved with the query's
    ``PREFIX``/``BASE`` declarations, then ``prefixes``)."""
    keywords: list[str] = []
    significant: list[tuple[str, str]] = []
    depth = max_depth = 0
    steps = max_steps = 0
    has_from = False
    refused = UPDATE_KEYWORDS
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind not in ("ws", "comment"):
            significant.append((kind or "char", value))
        if kind in ("word", "pname"):
            upper = value.upper() if kind == "word" else value.split(":", 1)[0].upper()
            found = {k for k in OUTBOUND_KEYWORDS if k in upper}  # glued: SERVICESILENT<…>
            if kind == "word" and upper in refused:
                found.add(upper)
            has_from = has_from or (kind == "word" and upper == "FROM")
            keywords.extend(sorted(found - set(keywords)))
        elif kind == "char":
            if value in _OPEN:
                depth += 1
                max_depth = max(max_depth, depth)
            elif value in _CLOSE:
                depth = max(depth - 1, 0)
            if value in _PATH_OPERATORS:
                steps += 1
                max_steps = max(max_steps, steps)
            if value in _PATH_RESET:
                steps = 0
    services, froms = _targets(significant, dict(prefixes or {}))
    return Scan(tuple(keywords), max_depth, max_steps, has_from or bool(froms), services, froms)


def _targets(
    tokens: list[tuple[str, str]], prefixes: dict[str, str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The resolved IRIs after each SERVICE and FROM [NAMED] keyword of ``tokens``."""
    declared = dict(prefixes)
    base: str | None = None
    unclear = False  # a glued or odd PREFIX/BASE: our resolution might differ from Oxigraph's
    services: list[tuple[str, str] | None] = []
    froms: list[tuple[str, str] | None] = []
    for index, (kind, value) in enumerate(tokens):
        upper = value.upper()
        after = tokens[index + 1] if index + 1 < len(tokens) else ("char", "")
        head = upper.split(":", 1)[0] if kind == "pname" else upper
        if kind == "word" and upper == "BASE" and after[0] == "iri":
            base = _resolve_iri(after[1], base)
            continue
        if kind == "word" and upper == "PREFIX":
            third = tokens[index + 2] if index + 2 < len(tokens) else ("char", "")
            if after[0] == "pname" and after[1].endswith(":") and third[0] == "iri":
                declared[after[1][:-1]] = _resolve_iri(third[1], base)
            else:
                unclear = True
            continue
        if kind in ("word", "pname") and (head.startswith(("PREFIX", "BASE"))):
            unclear = True
        if kind == "pname" and head in ("SERVICE", "FROM"):  # glued: SERVICE:x, FROM:g
            glued = ("pname", value[len(head) :])
            (services if head == "SERVICE" else froms).append(glued)
            continue
        if kind in ("word", "pname") and "SERVICE" in head:
            rest = upper.replace("SERVICE", "", 1) if kind == "word" else "?"
            target = index + 1
            if rest == "" and after == ("word", after[1]) and after[1].upper() == "SILENT":
                target += 1
            elif rest not in ("", "SILENT"):
                services.append(None)
                continue
            services.append(tokens[target] if target < len(tokens) else None)
        elif kind in ("word", "pname") and head.startswith("FROM"):
            rest = upper[4:] if kind == "word" else "?"
            target = index + 1
            if rest == "" and after[0] == "word" and after[1].upper() == "NAMED":
                target += 1
            elif rest not in ("", "NAMED"):
                froms.append(None)
                continue
            froms.append(tokens[target] if target < len(tokens) else None)

    def resolve(token: tuple[str, str] | None) -> str:
        if token is None or unclear:
            return UNREADABLE
        kind, value = token
        if kind == "iri":
            return _resolve_iri(value, base)
        if kind == "pname":
            prefix, _, local = value.partition(":")
            if prefix in declared:
                return declared[prefix] + re.sub(r"\\(.)", r"\1", local)
        return UNREADABLE

    return tuple(resolve(t) for t in services), tuple(resolve(t) for t in froms)


def _resolve_iri(token: str, base: str | None) -> str:
    iri = token[1:-1]
    return urljoin(base, iri) if base else iri


def target_host(iri: str) -> str | None:
    """The host an IRI names (lower case), or None if it has none."""
    if not iri:
        return None
    try:
        return urlsplit(iri).hostname
    except ValueError:
        return None
