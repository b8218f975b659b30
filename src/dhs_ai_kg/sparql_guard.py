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
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Scan:
    """What the lexer found: refused keywords (upper case), deepest nesting, longest path."""

    keywords: tuple[str, ...] = field(default=())
    depth: int = 0
    path_steps: int = 0
    #: Whether the query has a dataset clause (``FROM`` / ``FROM NAMED``).
    has_from: bool = False

    @property
    def outbound(self) -> tuple[str, ...]:
        """The keywords found that would make the engine send a request."""
        return tuple(k for k in self.keywords if k in OUTBOUND_KEYWORDS)

    @property
    def update(self) -> tuple[str, ...]:
        """The SPARQL Update keywords found."""
        return tuple(k for k in self.keywords if k in UPDATE_KEYWORDS)


def scan(text: str) -> Scan:
    """Lex ``text`` once: refused keywords in order of appearance, max nesting, max path."""
    keywords: list[str] = []
    depth = max_depth = 0
    steps = max_steps = 0
    has_from = False
    refused = UPDATE_KEYWORDS
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
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
    return Scan(tuple(keywords), max_depth, max_steps, has_from)
