"""A small SPARQL lexer that finds, before any parsing, what the engine must not be given.

Why: pyoxigraph 0.5.13 really sends HTTP for ``SERVICE`` (it POSTs the sub-query to the URL),
and dies with SIGSEGV, taking the whole process down, on long chains, nested or flat: nested
``{}`` or ``()``, but also ``!``, ``||``, ``&&``, ``+``, ``*``, ``UNION``, ``OPTIONAL``,
``MINUS``, ``BIND`` or ``FILTER`` repeated a few thousand times in one group; many triple
patterns or path steps keep its planner busy for seconds (thresholds measured by
``bench/crash_thresholds.py``, in ``bench/results/``). So the query text is scanned first, and
:func:`dhs_ai_kg.engine.check_query` refuses what the scan reports: refused keywords, nesting
depth, and a count of every operator and keyword kind (:attr:`Scan.counts`).

**Linear time.** Every quantifier of the token pattern is possessive (no backtracking), and an
alternative that scans far either consumes what it scanned or stops at a character no later
attempt scans past: an IRI candidate stops at the next ``<``; an unterminated short string runs
to the end of its line, an unterminated long one to the end of the text (Oxigraph fails there
too); a name takes its whole run of name characters and dots at once, split afterwards. So
``'a.' * 40000`` is scanned once, not once per ``a`` (it was quadratic: 30 s of CPU).

The lexer skips what cannot hold a keyword: strings (all four quote forms, with escapes),
IRIs (``<…>`` with the IRIREF character set and ``\\u`` escapes, so ``?a < ?b`` stays an
operator), comments, variables, blank-node labels, language tags and prefixed names
(``service:x`` or ``ex:load`` are names, not keywords). Bare words are compared
case-insensitively with the refused keywords. Where ``<`` is a less-than, ``?a<?b&&?c>?d``
looks like an IRI to a lexer, so operators *inside* an IRI token count too, beyond a small
allowance per IRI that ordinary IRIs stay under (the ``/`` and ``-`` of ``http://a-b/c``).

Oxigraph's parser does not require a word boundary after a keyword (measured:
``SERVICESILENT<url>{…}``, ``SERVICE:x{…}`` with ``PREFIX : <url>``, ``LOADSILENT<url>`` and
``LOAD:x`` all send the request), so ``SERVICE`` is refused wherever a bare word or a prefix
name *contains* it (a prefix called ``service:`` is refused too, a false positive accepted for
safety), and an update keyword wherever a bare word *starts* with it, or a prefix name does
where an operation starts (``LOAD:x``; ``load:`` elsewhere is an ordinary prefix). Anything it
does not recognize is taken one character at a time, so a malformed query can only yield
*more* keyword tokens (more refusals), never fewer; a span it wrongly took for an IRI cannot
hide ``SERVICE``, which must be followed by ``{`` (never inside an IRIREF). Oxigraph 0.5.13
does not apply ``\\uXXXX`` escapes outside strings and IRIs (measured: ``\\u0053ERVICE`` is a
syntax error), so neither does this lexer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

#: Keywords that make an outbound request from the engine (federated query).
OUTBOUND_KEYWORDS = frozenset({"SERVICE"})
#: Keywords that only SPARQL Update uses (``LOAD`` also fetches a URL).
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
#: Keywords whose occurrences are counted (see :attr:`Scan.counts`).
COUNTED_KEYWORDS = frozenset(
    {"UNION", "OPTIONAL", "MINUS", "BIND", "FILTER", "SELECT", "VALUES", "SERVICE"}
)
#: Operators whose occurrences are counted; ``.``, ``;``, ``,`` and ``[`` stand for triple
#: patterns, ``{`` for groups.
COUNTED_OPERATORS = frozenset(
    {"!", "||", "&&", "+", "-", "*", "/", "|", "^", "{", ".", ";", ",", "["}
)
#: Operators one IRI token may hold before they count (``http://a-b.org/x/y`` holds 4).
IRI_ALLOWANCE = 16

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS = _PN_CHARS_BASE + "_0-9\u00b7\u0300-\u036f\u203f-\u2040\\-"
_VARNAME = _PN_CHARS_BASE + "_0-9\u00b7\u0300-\u036f\u203f-\u2040"  # no "-": ?a-?b is a minus
_LOCAL = rf"(?:[{_PN_CHARS}.:]|%[0-9A-Fa-f]{{2}}|\\.)*+"
_EXPONENT = r"[eE][+-]?[0-9]++"
_Q3 = "'''"
_D3 = '"""'

_TOKEN = re.compile(
    rf"""
    (?P<ws>[\ \t\r\n]++)
  | (?P<comment>\#[^\n\r]*+)
  | (?P<string>
        {_Q3}(?:[^'\\]|\\.?|'(?!''))*+(?:{_Q3}|\Z)
      | {_D3}(?:[^"\\]|\\.?|"(?!""))*+(?:{_D3}|\Z)
      | '(?:[^'\\\n\r]|\\[^\n\r]?)*+'?
      | "(?:[^"\\\n\r]|\\[^\n\r]?)*+"?
    )
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*+>)
  | (?P<var>[?$][{_VARNAME}]++)
  | (?P<bnode>_:[{_PN_CHARS}.]*+)
  | (?P<langtag>@[A-Za-z]++(?:-[A-Za-z0-9]++)*+)
  | (?P<name>[{_PN_CHARS_BASE}_][{_PN_CHARS}.]*+(?::{_LOCAL})?|:{_LOCAL})
  | (?P<number>[0-9]++(?:\.[0-9]*+)?{_EXPONENT}|[0-9]*+\.[0-9]++(?:{_EXPONENT})?|[0-9]++)
  | (?P<punct>\^\^|\|\||&&|!=|<=|>=)
  | (?P<char>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_IRI_OPERATORS = re.compile(r"&&|!(?!=)|[-+*/]")

_OPEN = frozenset("{([")
_CLOSE = frozenset("})]")
_PATH_OPERATORS = frozenset("/|^")
_PATH_RESET = frozenset(".;,{}")


#: A target the scan could not read (a variable, a glued or odd form): never allowed.
UNREADABLE = ""


@dataclass(frozen=True)
class Scan:
    """What the lexer found: refused keywords (upper case), deepest nesting, longest path,
    and how often each counted operator and keyword occurs."""

    keywords: tuple[str, ...] = field(default=())
    depth: int = 0
    path_steps: int = 0
    #: Whether the query has a dataset clause (``FROM`` / ``FROM NAMED``).
    has_from: bool = False
    #: The IRI after each ``SERVICE`` (resolved; :data:`UNREADABLE` if the scan cannot tell).
    service_targets: tuple[str, ...] = field(default=())
    #: The IRI after each ``FROM`` / ``FROM NAMED`` (resolved, or :data:`UNREADABLE`).
    from_targets: tuple[str, ...] = field(default=())
    #: Occurrences of each :data:`COUNTED_OPERATORS` and :data:`COUNTED_KEYWORDS` member.
    counts: Mapping[str, int] = field(default_factory=dict, hash=False, compare=False)

    @property
    def outbound(self) -> tuple[str, ...]:
        """The keywords found that would make the engine send a request."""
        return tuple(k for k in self.keywords if k in OUTBOUND_KEYWORDS)

    @property
    def update(self) -> tuple[str, ...]:
        """The SPARQL Update keywords found."""
        return tuple(k for k in self.keywords if k in UPDATE_KEYWORDS)


def tokens(text: str) -> list[tuple[str, str]]:
    """The significant tokens of ``text`` as (kind, text), in linear time; kinds: ``string``,
    ``iri``, ``var``, ``bnode``, ``langtag``, ``word``, ``pname``, ``number``, ``punct``,
    ``char`` (whitespace and comments dropped, a run like ``a.b.`` split at its dots)."""
    return [(kind, value) for kind, value, _ in located_tokens(text)]


def located_tokens(text: str) -> list[tuple[str, str, int]]:
    """The tokens of :func:`tokens`, each with the offset in ``text`` where it starts."""
    found: list[tuple[str, str, int]] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "char"
        value = match.group()
        start = match.start()
        if kind in ("ws", "comment"):
            continue
        if kind == "name":
            _split_name(value, start, found)
        elif kind == "bnode" and value.endswith("."):
            label = value.rstrip(".")
            found.append((kind, label, start))
            found.extend(("char", ".", start + i) for i in range(len(label), len(value)))
        else:
            found.append((kind, value, start))
    return found


def _split_name(value: str, start: int, found: list[tuple[str, str, int]]) -> None:
    """Append a name run: a prefixed name (its trailing dots apart), or words between dots."""
    if ":" in value:
        name = value.rstrip(".")
        if name.endswith("\\"):  # ex:a\. : that dot is escaped
            name = value[: len(name) + 1]
        found.append(("pname", name, start))
        found.extend(("char", ".", start + i) for i in range(len(name), len(value)))
        return
    offset = start
    for index, word in enumerate(value.split(".")):
        if index:
            found.append(("char", ".", offset))
            offset += 1
        if word:
            found.append(("word", word, offset))
            offset += len(word)


def scan(text: str, prefixes: Mapping[str, str] | None = None) -> Scan:
    """Lex ``text`` once: refused keywords in order of appearance, max nesting, max path,
    counts, and the IRIs ``SERVICE`` and ``FROM`` name (prefixed names resolved with the
    query's ``PREFIX``/``BASE`` declarations, then ``prefixes``)."""
    keywords: list[str] = []
    counts: Counter[str] = Counter()
    depth = max_depth = 0
    steps = max_steps = 0
    has_from = False
    significant = tokens(text)
    for index, (kind, value) in enumerate(significant):
        if kind in ("word", "pname"):
            upper = value.upper() if kind == "word" else value.split(":", 1)[0].upper()
            found = {k for k in OUTBOUND_KEYWORDS if k in upper}  # glued: SERVICESILENT<…>
            if kind == "word" or _operation_starts(significant, index, depth):
                found |= {k for k in UPDATE_KEYWORDS if upper.startswith(k)}  # LOADSILENT<…>
            if kind == "word":
                has_from = has_from or upper == "FROM"
                if upper in COUNTED_KEYWORDS:
                    counts[upper] += 1
                counts["-"] += value.count("-")  # true-1: a word here, a minus to Oxigraph
            keywords.extend(sorted(found - set(keywords)))
        elif kind == "iri":
            for operator, number in Counter(_IRI_OPERATORS.findall(value)).items():
                counts[operator] += max(0, number - IRI_ALLOWANCE)
            max_depth = max(max_depth, depth + _paren_depth(value))
        elif kind in ("char", "punct"):
            if value in COUNTED_OPERATORS:
                counts[value] += 1
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
    return Scan(
        tuple(keywords),
        max_depth,
        max_steps,
        has_from or bool(froms),
        services,
        froms,
        {k: v for k, v in counts.items() if v},
    )


def _operation_starts(tokens: list[tuple[str, str]], index: int, depth: int) -> bool:
    """Whether ``tokens[index]`` can start an operation: at top level, first in the text, or
    after ``;`` or an IRI (the end of a prologue, glued or not: ``PREFIXp:<…>LOADp:x``). No
    query puts a prefixed name there, so ``load:x`` stays a name in queries."""
    if depth:
        return False
    return index == 0 or tokens[index - 1][0] == "iri" or tokens[index - 1] == ("char", ";")


def _paren_depth(iri: str) -> int:
    """The deepest ``(`` nesting inside an IRI token (``?a<((1))>0`` is no IRI to Oxigraph)."""
    depth = deepest = 0
    for char in iri:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(depth - 1, 0)
    return deepest


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


_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _resolve_iri(token: str, base: str | None) -> str:
    """The IRI of an IRIREF token: ``\\u`` escapes applied (Oxigraph does: measured, FROM
    ``<\\u0068ttp://…>`` reads the graph ``http://…``), then resolved against ``base``."""
    iri = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), token[1:-1])
    return urljoin(base, iri) if base else iri


def target_host(iri: str) -> str | None:
    """The host an IRI names (lower case), or None if it has none."""
    if not iri:
        return None
    try:
        return urlsplit(iri).hostname
    except ValueError:
        return None
