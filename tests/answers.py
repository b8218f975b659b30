"""Answers of different SPARQL engines, made comparable: result sets and graphs.

Used by the agreement tests (``test_portability.py``, ``test_push.py``): the embedded engine,
Jena and Virtuoso answer the same named query, and the answers are compared as **result
sets** — multisets of rows, order and the engines' spelling of terms set aside:

- an IRI is itself; a blank node is just "a blank node" (labels are per answer);
- a numeric literal is its value within its kind (``5``, ``"5"^^xsd:integer``, ``"05"^^xsd:int``
  are one integer; decimals and doubles likewise), so ``xsd:int`` from one engine equals
  ``xsd:integer`` from another;
- a string is its text with its language tag (lower case); ``xsd:string`` and a plain literal
  are one; Virtuoso's ``typed-literal`` JSON is an ordinary literal;
- other typed literals are (text, datatype);
- a joined column (``multi``: column → separator, as the expected files declare them) is the
  set of its parts, and an empty one is unbound: SPARQL 1.1 gives ``GROUP_CONCAT`` no order,
  and over no values Oxigraph leaves it unbound where Jena and Virtuoso give ``""``.

Graphs (CONSTRUCT/DESCRIBE) are parsed from N-Triples with the same literal normalization and
compared by isomorphism (:func:`rdflib.compare.isomorphic`).
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {
    XSD + t
    for t in (
        *("integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger"),
        *("negativeInteger", "long", "int", "short", "byte"),
        *("unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"),
    )
}
NUMERIC_KINDS = {
    **{t: "integer" for t in INTEGER_TYPES},
    XSD + "decimal": "decimal",
    XSD + "double": "double",
    XSD + "float": "double",
}

Term = tuple[Any, ...]
Row = frozenset[tuple[str, Term]]


def _number(value: str, kind: str) -> Term:
    try:
        return (kind, Decimal(value.strip()).normalize())
    except InvalidOperation:
        return ("ill-typed", value, kind)


def literal_term(value: str, datatype: str | None, lang: str | None) -> Term:
    """A literal as a comparable tuple (see the module docstring)."""
    if lang:
        return ("string", value, lang.lower())
    if datatype is None or datatype == XSD + "string":
        return ("string", value, "")
    if datatype in NUMERIC_KINDS:
        return _number(value, NUMERIC_KINDS[datatype])
    return ("typed", value, datatype)


def json_term(term: dict[str, str]) -> Term:
    """One term of SPARQL 1.1 JSON results (Virtuoso's ``typed-literal`` included)."""
    kind = term["type"]
    if kind == "uri":
        return ("iri", term["value"])
    if kind == "bnode":
        return ("bnode",)
    return literal_term(term["value"], term.get("datatype"), term.get("xml:lang"))


def _joined(term: Term, separator: str) -> Term | None:
    if term[0] != "string":
        return term
    parts = frozenset(part for part in term[1].split(separator) if part)
    return ("set", parts) if parts else None


def result_set(
    body: bytes | str | dict[str, Any], multi: dict[str, str] | None = None
) -> Counter[Row]:
    """SPARQL JSON results as a multiset of rows (each row its bound variables' terms),
    ``multi`` columns as sets of their parts."""
    data = json.loads(body) if isinstance(body, bytes | str) else body
    rows: Counter[Row] = Counter()
    for binding in data["results"]["bindings"]:
        row = []
        for name, value in binding.items():
            term: Term | None = json_term(value)
            if multi and name in multi and term is not None:
                term = _joined(term, multi[name])
            if term is not None:
                row.append((name, term))
        rows[frozenset(row)] += 1
    return rows


def _normal(node: Node) -> Node:
    if isinstance(node, Literal):
        datatype = str(node.datatype) if node.datatype else None
        if datatype in NUMERIC_KINDS:
            kind, value = _number(str(node), NUMERIC_KINDS[datatype])[:2]
            canonical = XSD + ("integer" if kind == "integer" else kind)
            return Literal(str(value), datatype=URIRef(canonical), normalize=False)
        if datatype == XSD + "string":
            return Literal(str(node))
        if node.language:
            return Literal(str(node), lang=node.language.lower())
    return node


def graph_of(ntriples: bytes | str) -> Graph:
    """An N-Triples answer as a graph, literals normalized as :func:`literal_term` does."""
    parsed = Graph().parse(data=ntriples, format="nt")
    graph = Graph()
    for s, p, o in parsed:
        graph.add((s, p, _normal(o)))
    return graph


def same_graph(a: Graph, b: Graph) -> bool:
    """Whether two answers' graphs are isomorphic."""
    return isomorphic(a, b)


def difference(want: Counter[Row], got: Counter[Row], shown: int = 3) -> str:
    """What one result set has that the other lacks, for an assertion message."""
    missing, extra = want - got, got - want
    lines = [f"{sum(want.values())} rows wanted, {sum(got.values())} got"]
    for title, rows in (("missing", missing), ("unexpected", extra)):
        for row in list(rows)[:shown]:
            lines.append(f"{title}: {dict(sorted(row))}")
    return "\n".join(lines)
