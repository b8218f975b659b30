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
- other typed literals are (text, datatype).

Nothing else is set aside: no named query joins values (``GROUP_CONCAT``), so every column is
compared term by term.

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


def result_rows(body: bytes | str | dict[str, Any]) -> list[Row]:
    """SPARQL JSON results as rows in the answer's order (each its bound variables' terms)."""
    data = json.loads(body) if isinstance(body, bytes | str) else body
    return [
        frozenset((name, json_term(value)) for name, value in binding.items())
        for binding in data["results"]["bindings"]
    ]


def result_set(body: bytes | str | dict[str, Any]) -> Counter[Row]:
    """SPARQL JSON results as a multiset of rows (each row its bound variables' terms)."""
    return Counter(result_rows(body))


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
