"""Named queries: the ``.rq`` files of ``queries/`` as data, parsed and checked once at load.

Header convention (comment lines at the top of each file)::

    # Which organizations led the comments, with their descriptions?
    #
    # param ?release iri optional: the press release to ask about (default: every release)
    # param ?org iri required: the organization

- The first comment line is the question the query answers.
- ``# param ?name type required|optional: description`` declares a parameter, in order;
  ``type`` is one of ``iri``, ``string``, ``integer``, ``decimal``, ``date``, ``boolean``,
  ``term`` (any RDF term in Turtle syntax: ``<iri>``, ``kg:x``, ``"text"@en``,
  ``"5"^^xsd:integer``, ``42``; a bare ``http(s):``/``urn:`` IRI; other text a plain string).
  Other comment lines are free text. A line starting ``# param`` that does not follow the
  pattern is an error, not a comment.
- Parameters are passed as bindings (pyoxigraph substitutions), never by string formatting,
  so a SELECT must project every parameter (Oxigraph refuses to substitute a variable it does
  not project). Loading checks this: each query is parsed once, with every declared parameter
  bound, and a broken query or header raises :class:`NamedQueryError` naming the file.
- For other stores, :meth:`NamedQuery.bound_text` writes the values into the query's own
  ``VALUES ?name { UNDEF }`` line (one per parameter, inside the ``WHERE`` group): SPARQL
  every SPARQL 1.1 store runs, where a ``VALUES`` clause after the query is refused by some
  (Virtuoso 7 after a CONSTRUCT). ``UNDEF`` joins with anything, so the unbound text runs as is.

The name of a query is its file stem (``01-lead-organizations``); :func:`find` also accepts
its number (``1`` or ``01``) or a unique prefix of its name.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier
from rdflib.util import from_n3

from .engine import Engine, QueryError
from .namespaces import PREFIXES
from .resources import queries_dir

__all__ = [
    "PARAM_TYPES",
    "NamedQuery",
    "NamedQueryError",
    "Parameter",
    "convert",
    "find",
    "load_named_queries",
    "parse_named_query",
]

ParamType = TypingLiteral["iri", "string", "integer", "decimal", "date", "boolean", "term"]
PARAM_TYPES: tuple[str, ...] = ("iri", "string", "integer", "decimal", "date", "boolean", "term")

_PARAM = re.compile(
    r"^#\s*param\s+[?$](?P<name>\w+)\s+(?P<type>\w+)\s+(?P<need>required|optional)\s*:\s*"
    r"(?P<description>.*?)\s*$"
)


class NamedQueryError(ValueError):
    """A named query that cannot be loaded (header or query text), or a bad parameter."""


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a named query."""

    name: str
    type: ParamType
    required: bool
    description: str


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its name (file stem), question, declared parameters and text."""

    name: str
    path: Path
    question: str
    parameters: tuple[Parameter, ...]
    text: str
    _by_name: dict[str, Parameter] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {p.name: p for p in self.parameters})

    def describe(self) -> dict[str, object]:
        """The query as plain data (name, question, text, parameters), e.g. for JSON."""
        return {
            "name": self.name,
            "question": self.question,
            "text": self.text,
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type,
                    "required": p.required,
                    "description": p.description,
                }
                for p in self.parameters
            ],
        }

    def bind(self, raw: Mapping[str, str]) -> dict[str, Identifier]:
        """Typed bindings from string parameters (CLI/HTTP); unknown or missing ones fail."""
        values = {key.lstrip("?$"): value for key, value in raw.items()}
        unknown = sorted(set(values) - set(self._by_name))
        if unknown:
            known = ", ".join(f"?{p.name}" for p in self.parameters) or "none"
            raise NamedQueryError(
                f"{self.name}: unknown parameter {', '.join('?' + u for u in unknown)}; "
                f"it takes: {known}"
            )
        missing = [p.name for p in self.parameters if p.required and p.name not in values]
        if missing:
            raise NamedQueryError(
                f"{self.name}: missing required parameter "
                + ", ".join(f"?{m} ({self._by_name[m].description})" for m in missing)
            )
        bindings: dict[str, Identifier] = {}
        for name, value in values.items():
            param = self._by_name[name]
            try:
                bindings[name] = convert(value, param.type)
            except ValueError as exc:
                raise NamedQueryError(f"{self.name}: ?{name}: {exc}") from None
        return bindings

    def bound_text(self, raw: Mapping[str, str]) -> str:
        """The query text with ``raw`` parameters written into its ``VALUES ?name { UNDEF }``
        lines, for a store that takes no bindings (any SPARQL 1.1 store)."""
        text = self.text
        for name, term in self.bind(raw).items():
            line = re.compile(rf"^(\s*VALUES\s+[?$]{name}\s*\{{)\s*UNDEF\s*(\}})", re.MULTILINE)
            text, found = line.subn(rf"\g<1> {_escaped(term.n3())} \g<2>", text, count=1)
            if not found:
                raise NamedQueryError(
                    f"{self.name}: ?{name} cannot be bound in the text: it has no "
                    f"'VALUES ?{name} {{ UNDEF }}' line"
                )
        return text


def _escaped(text: str) -> str:
    """``text`` as a literal replacement for :func:`re.sub` (backslashes doubled)."""
    return text.replace("\\", "\\\\")


#: XSD lexical forms (ASCII digits only; no exponent, ``NaN`` or ``_``).
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: The most characters of a bad value an error message repeats.
_SHOWN = 80


def _shown(value: str) -> str:
    """``value`` quoted for an error message, control characters escaped, long ones cut."""
    cut = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
    return repr(cut)


def convert(value: str, kind: str) -> Identifier:
    """The RDF term for a string parameter of type ``kind`` (IRIs: full, <…> or prefixed)."""
    if kind == "string":
        return Literal(value)
    converter = _CONVERTERS.get(kind)
    if converter is None:
        raise ValueError(f"unknown parameter type {kind!r}; use one of: {', '.join(PARAM_TYPES)}")
    return converter(value.strip(), value)


def _integer(text: str, value: str) -> Identifier:
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"not an integer: {_shown(value)}")
    try:
        return Literal(int(text), datatype=XSD.integer)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise ValueError(f"not an integer this server takes: {_shown(value)}") from None


def _decimal(text: str, value: str) -> Identifier:
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"not a decimal (digits and one '.'): {_shown(value)}")
    return Literal(text, datatype=XSD.decimal)


def _date(text: str, value: str) -> Identifier:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {_shown(value)}") from None
    return Literal(text, datatype=XSD.date)


def _boolean(text: str, value: str) -> Identifier:
    lowered = text.lower()
    if lowered not in ("true", "false", "1", "0"):
        raise ValueError(f"not a boolean (true/false): {_shown(value)}")
    return Literal(lowered in ("true", "1"))


def _iri(text: str) -> URIRef:
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    elif ":" in text:
        prefix, local = text.split(":", 1)
        if prefix in PREFIXES:
            text = PREFIXES[prefix] + local
    try:
        ox.NamedNode(text)  # RFC 3987, as the engine checks it: never a 500 at bind time
    except ValueError as exc:
        known = ", ".join(sorted(PREFIXES))
        reason = repr(str(exc))[1:-1]
        raise ValueError(
            f"not an IRI: {_shown(text)}: {reason} "
            f"(give a full IRI, <IRI>, or prefix:name with one of {known})"
        ) from None
    return URIRef(text)


_TURTLE_PREFIX = re.compile(r"^([A-Za-z][\w.-]*)?:")
_TURTLE_NUMBER_OR_BOOLEAN = re.compile(r"[+-]?\d+(\.\d+)?|true|false")


def _term(text: str, value: str) -> Identifier:
    """A ``term`` parameter: an IRI or a literal, written as in Turtle (for a parameter that
    may be either, such as the object of a statement)."""
    if re.match(r"^(https?|urn):", text):
        return _iri(text)
    prefix = _TURTLE_PREFIX.match(text)
    turtle = text.startswith(("<", '"')) or (prefix is not None and (prefix[1] or "") in PREFIXES)
    if not turtle and not _TURTLE_NUMBER_OR_BOOLEAN.fullmatch(text):
        return Literal(value)
    if text.startswith("<") or (prefix is not None and not text.startswith('"')):
        return _iri(text)
    if _TURTLE_NUMBER_OR_BOOLEAN.fullmatch(text):
        return from_n3(text)  # type: ignore[return-value]
    literal = _TURTLE_LITERAL.fullmatch(text)
    if literal is None:
        raise ValueError(
            f'not an RDF term in Turtle syntax ("text", "text"@en, "text"^^type): {_shown(value)}'
        )
    lexical = from_n3(f'"{literal["lexical"]}"')
    datatype = _iri(literal["datatype"]) if literal["datatype"] else None
    return Literal(str(lexical), lang=literal["language"], datatype=datatype)


_TURTLE_LITERAL = re.compile(
    r'"(?P<lexical>(?:[^"\\]|\\.)*)"(?:@(?P<language>[A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^(?P<datatype>\S+))?'
)
#: Each typed parameter's converter: (stripped text, value as given) → term.
_CONVERTERS: dict[str, Callable[[str, str], Identifier]] = {
    "iri": lambda text, _value: _iri(text),
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "boolean": _boolean,
    "term": _term,
}


def _header(path: Path, text: str) -> tuple[str, tuple[Parameter, ...]]:
    comments: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.lstrip().startswith("#"):
            break
        comments.append(line.strip())
    if not comments or not comments[0].lstrip("#").strip():
        raise NamedQueryError(f"{path}: the first line must be a comment with the question")
    question = comments[0].lstrip("#").strip()
    params: list[Parameter] = []
    for line in comments[1:]:
        if not re.match(r"^#\s*param\b", line):
            continue
        found = _PARAM.match(line)
        if found is None:
            raise NamedQueryError(
                f"{path}: bad parameter line {line!r}; expected "
                "'# param ?name type required|optional: description'"
            )
        kind = found["type"]
        if kind not in PARAM_TYPES:
            raise NamedQueryError(
                f"{path}: ?{found['name']}: unknown type {kind!r}; use one of: "
                + ", ".join(PARAM_TYPES)
            )
        if any(p.name == found["name"] for p in params):
            raise NamedQueryError(f"{path}: parameter ?{found['name']} declared twice")
        params.append(
            Parameter(found["name"], kind, found["need"] == "required", found["description"])  # type: ignore[arg-type]
        )
    return question, tuple(params)


_SAMPLES: dict[str, Identifier] = {
    "iri": URIRef("urn:x-dhs-ai-kg:sample"),
    "string": Literal("sample"),
    "integer": Literal(1, datatype=XSD.integer),
    "decimal": Literal("1.0", datatype=XSD.decimal),
    "date": Literal("2000-01-01", datatype=XSD.date),
    "boolean": Literal(True),
    "term": URIRef("urn:x-dhs-ai-kg:sample"),
}


def parse_named_query(path: Path, engine: Engine | None = None) -> NamedQuery:
    """Read and check one ``.rq`` file: header, syntax, and that every parameter binds."""
    text = path.read_text(encoding="utf-8")
    question, params = _header(path, text)
    query = NamedQuery(path.stem, path, question, params, text)
    checker = engine or Engine(ox.Store())
    try:
        # Parsing happens here; an empty store makes evaluation (lazy anyway) free.
        checker.query(text, {p.name: _SAMPLES[p.type] for p in params})
    except QueryError as exc:
        raise NamedQueryError(f"{path}: {exc}") from exc
    return query


def load_named_queries(folder: Path | None = None) -> dict[str, NamedQuery]:
    """Every ``*.rq`` of ``folder`` (default: the packaged queries), by name, sorted."""
    root = folder if folder is not None else queries_dir()
    checker = Engine(ox.Store())
    return {p.stem: parse_named_query(p, checker) for p in sorted(root.glob("*.rq"))}


def find(queries: Mapping[str, NamedQuery], name: str) -> NamedQuery:
    """The query called ``name``: exact name, its number (``1``/``01``), or a unique prefix."""
    if name in queries:
        return queries[name]
    matches: list[str] = []
    if name.isascii() and name.isdigit():  # "²".isdigit() is True, but int("²") fails
        matches = [q for q in queries if (m := re.match(r"\d+", q)) and int(m[0]) == int(name)]
    if not matches:
        matches = [q for q in queries if q.startswith(name)]
    if len(matches) == 1:
        return queries[matches[0]]
    why = f"is ambiguous ({', '.join(matches)})" if matches else "is not a known query"
    known = ", ".join(sorted(queries)) or "(none)"
    raise LookupError(f"{name!r} {why}; the named queries are: {known}")
