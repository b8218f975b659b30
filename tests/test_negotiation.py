"""Negotiation at /sparql as a table: (method, Accept, format=, query form) → (status, type).

Every row is sent to the app; a 200 must carry the type with ``charset=utf-8`` and
``Vary: Accept``, an error a one-line ``text/plain; charset=utf-8`` body (a 406 naming the
available types). Then the pure functions: ``parse_accept``, ``choose``, ``format_name``,
``prefers_html``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dhs_ai_kg_server.negotiation import choose, format_name, parse_accept, prefers_html
from flask import Flask
from flask.testing import FlaskClient

from dhs_ai_kg.engine import CONSTRUCT_FORMATS, GRAPH_FORMATS, RESULTS_FORMATS

DATA = Path(__file__).parent / "w3c" / "data"
DOC = "http://kasei.us/2009/09/sparql/data/data1.rdf"

QUERIES = {
    "select": "SELECT ?s ?t WHERE { ?s a ?t }",
    "ask": "ASK { ?s ?p ?o }",
    "construct": "CONSTRUCT WHERE { ?s ?p ?o }",
    "describe": f"DESCRIBE <{DOC}>",
}

SRJ = "application/sparql-results+json"
SRX = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TTL = "text/turtle"
NT = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
TRIG = "application/trig"
NQ = "application/n-quads"

# (method, Accept, format=, query form) → (status, media type of the answer)
TABLE: list[tuple[str, str | None, str | None, str, int, str]] = [
    # SELECT: each results format, defaults and wildcards
    ("get", None, None, "select", 200, SRJ),
    ("get", "*/*", None, "select", 200, SRJ),
    ("get", "*", None, "select", 200, SRJ),
    ("form", SRX, None, "select", 200, SRX),
    ("direct", CSV, None, "select", 200, CSV),
    ("get", TSV, None, "select", 200, TSV),
    ("get", "application/json", None, "select", 200, SRJ),
    ("get", "application/xml", None, "select", 200, SRX),
    ("get", "text/*", None, "select", 200, CSV),
    ("get", "application/*", None, "select", 200, SRJ),
    ("get", "TEXT/CSV", None, "select", 200, CSV),
    ("get", "text/csv; charset=utf-8", None, "select", 200, CSV),
    # q-values and several types at once
    ("get", f"{CSV};q=0.5, {SRX}", None, "select", 200, SRX),
    ("get", f"{CSV};q=0.9, {TSV}", None, "select", 200, TSV),
    ("get", f"*/*;q=0.1, {CSV}", None, "select", 200, CSV),
    ("get", f"{SRJ};q=0.5, {CSV};q=0.5", None, "select", 200, SRJ),
    ("get", f"text/*;q=0.3, {TSV};q=0.2", None, "select", 200, CSV),
    ("form", f"text/html, {TSV};q=0.1", None, "select", 200, TSV),
    # a browser's GET (text/html above every answer type) gets the query page, running the query
    ("get", "text/html", None, "select", 200, "text/html"),
    (
        "get",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        None,
        "ask",
        200,
        "text/html",
    ),
    ("get", f"text/html, {SRJ}", None, "select", 200, SRJ),
    ("get", "text/html", "csv", "select", 200, CSV),
    # no match → 406
    ("form", "text/html", None, "select", 406, ""),
    ("get", f"{CSV};q=0", None, "select", 406, ""),
    ("get", TTL, None, "select", 406, ""),
    ("get", "image/*", None, "ask", 406, ""),
    # ASK
    ("get", None, None, "ask", 200, SRJ),
    ("direct", SRX, None, "ask", 200, SRX),
    ("get", CSV, None, "ask", 200, CSV),
    # CONSTRUCT / DESCRIBE: each graph format
    ("get", None, None, "construct", 200, TTL),
    ("get", "*/*", None, "construct", 200, TTL),
    ("form", NT, None, "construct", 200, NT),
    ("direct", JSONLD, None, "construct", 200, JSONLD),
    ("get", "application/json", None, "construct", 200, JSONLD),
    ("get", RDFXML, None, "construct", 200, RDFXML),
    ("get", TRIG, None, "construct", 200, TRIG),
    ("get", NQ, None, "construct", 200, NQ),
    ("get", "application/x-turtle", None, "describe", 200, TTL),
    ("get", f"{TTL};q=0.1, {NT};q=0.2", None, "construct", 200, NT),
    ("get", f"application/*;q=0.5, {TTL};q=0", None, "construct", 200, NT),
    ("get", "text/*", None, "describe", 200, TTL),
    ("get", SRJ, None, "construct", 406, ""),
    ("get", f"{TTL};q=0, {NT};q=0", None, "describe", 406, ""),
    # format= wins over Accept; names, aliases and media types
    ("get", CSV, "json", "select", 200, SRJ),
    ("get", None, "csv", "select", 200, CSV),
    ("get", None, "tsv", "select", 200, TSV),
    ("get", None, "xml", "select", 200, SRX),
    ("get", None, "srj", "ask", 200, SRJ),
    ("get", None, "text/csv", "select", 200, CSV),
    ("form", None, "csv", "select", 200, CSV),
    ("direct", None, "tsv", "select", 200, TSV),
    ("get", RDFXML, "turtle", "construct", 200, TTL),
    ("get", None, "ttl", "construct", 200, TTL),
    ("get", None, "nt", "construct", 200, NT),
    ("get", None, "ntriples", "describe", 200, NT),
    ("get", None, "jsonld", "construct", 200, JSONLD),
    ("get", None, "json", "construct", 200, JSONLD),
    ("get", None, "xml", "construct", 200, RDFXML),
    ("get", None, "rdfxml", "construct", 200, RDFXML),
    ("get", None, "trig", "construct", 200, TRIG),
    ("get", None, "nquads", "construct", 200, NQ),
    ("get", "text/html", "application/n-quads", "construct", 200, NQ),
    # format= that does not fit the query form → 400 listing the names
    ("get", None, "rdfxml", "select", 400, ""),
    ("get", None, "csv", "construct", 400, ""),
    ("get", None, "bogus", "ask", 400, ""),
]


@pytest.fixture(scope="module", name="app")
def w3c_app(make_app, w3c_engine) -> Flask:
    """An app over the W3C protocol tests' dataset."""
    return make_app(w3c_engine)


def send(client: FlaskClient, method: str, accept: str | None, fmt: str | None, query: str):
    headers = {"Accept": accept} if accept is not None else {}
    extra = {"format": fmt} if fmt is not None else {}
    if method == "get":
        return client.get("/sparql", query_string={"query": query, **extra}, headers=headers)
    if method == "form":
        return client.post("/sparql", data={"query": query, **extra}, headers=headers)
    return client.post(
        "/sparql",
        query_string=extra,
        data=query.encode(),
        content_type="application/sparql-query",
        headers=headers,
    )


def test_the_table_is_big_enough():
    assert len(TABLE) >= 30
    assert len(set(TABLE)) == len(TABLE)


@pytest.mark.parametrize(
    ("method", "accept", "fmt", "form", "status", "media_type"),
    TABLE,
    ids=[f"{m}-{a}-format={f}-{q}" for m, a, f, q, _, _ in TABLE],
)
def test_negotiation(client, method, accept, fmt, form, status, media_type):
    response = send(client, method, accept, fmt, QUERIES[form])
    assert response.status_code == status, response.text
    if status == 200:
        assert response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
        assert "Accept" in response.vary
        assert response.data
    else:
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.text.count("\n") == 1
    if status == 406:
        formats = CONSTRUCT_FORMATS if form in ("construct", "describe") else RESULTS_FORMATS
        for f in formats.values():
            assert f.media_type in response.text


# --- the functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, [("*/*", 1.0)]),
        ("", [("*/*", 1.0)]),
        (
            "text/csv;q=0.5, */*;q=0.5, text/*;q=0.5",
            [("text/csv", 0.5), ("text/*", 0.5), ("*/*", 0.5)],
        ),
        ("a/b;q=2, c/d;q=x", [("a/b", 1.0), ("c/d", 0.0)]),
        ("A/B ; Q=0.3 , c/d", [("c/d", 1.0), ("a/b", 0.3)]),
    ],
)
def test_parse_accept(header, expected):
    assert parse_accept(header) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("  ", None),
        ("JSON", "json"),
        ("ttl", TTL),
        ("rdfxml", RDFXML),
        ("text/csv; charset=utf-8", CSV),
        ("n-quads", NQ),
    ],
)
def test_format_name(value, expected):
    assert format_name(value) == expected


def test_choose_prefers_the_canonical_type_on_a_tie():
    assert (
        choose("application/json, application/sparql-results+json", RESULTS_FORMATS).name == "json"
    )
    assert choose("application/xml", RESULTS_FORMATS).name == "xml"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("text/html", True),
        ("text/*", False),  # Turtle is text/* too, and first in the table
        ("*/*", False),
        (None, False),
        ("text/turtle, text/html", False),
        ("text/turtle;q=0.5, text/html", True),
        ("text/html;q=0", False),
    ],
)
def test_prefers_html(accept, html):
    assert prefers_html(accept, GRAPH_FORMATS) is html
