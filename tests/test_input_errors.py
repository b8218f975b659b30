"""User input never makes a 5xx: every route answers bad paths, parameters and names with a
400 that says what is wrong or a 404 that says what is missing, never a stack trace."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox
import pytest
from dhs_ai_kg_server import create_app
from dhs_ai_kg_server.terms import iri_path
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from dhs_ai_kg.named_queries import NamedQueryError, convert, find, load_named_queries
from dhs_ai_kg.namespaces import BASE

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "engine"

#: Characters an IRI may not hold, raw and percent-encoded, and bytes that are not UTF-8.
ILLEGAL = [
    *(" ", "<", ">", '"', "{", "}", "|", "\\", "^", "`"),
    *("%20", "%3C", "%22", "%7B", "%5C", "%60", "%3F", "%23", "%25"),
    *("%00", "%01", "%09", "%0A", "%0D", "%1F", "%7F", "%C2%80"),
    *("%C3%28", "%FF", "%C0%AF", "%ED%A0%80", "%EF%BF%BE", "%EE%80%80", "%E2%80%8B"),
]
SUFFIXES = ["", ".ttl", ".html", ".%FF"]
ACCEPTS = ["text/html", "text/turtle", "*/*"]


def assert_clean_error(response, *statuses: int) -> str:
    """``response`` has one of ``statuses``, a Content-Type, and no trace of the server."""
    body = response.get_data(as_text=True)
    assert response.status_code in statuses, (response.status_code, body[:300])
    assert response.content_type
    assert "Traceback" not in body
    assert str(REPO_ROOT) not in body
    assert ".py" not in body
    return body


def route_urls(app: Flask, value: str) -> list[str]:
    """Every route of ``app`` with each of its variables replaced by ``value``."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments:
            continue
        url, depth = "", 0
        for char in rule.rule:  # "/id/<path:rest>" → "/id/" + value
            if char == "<":
                depth += 1
                if depth == 1:
                    url += value
            elif char == ">":
                depth -= 1
            elif depth == 0:
                url += char
        urls.append(url)
    return sorted(set(urls))


def test_every_variable_route_is_walked(app):
    urls = route_urls(app, "X")
    for expected in ("/id/X", "/graph/X", "/source/X", "/queries/X", "/dumps/X", "/ontology/X"):
        assert expected in urls


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("char", ILLEGAL)
def test_an_illegal_character_in_any_route_is_a_4xx(app, client, char, suffix):
    for url in [*route_urls(app, f"a{char}b{suffix}"), f"/id/org/a{char}b{suffix}"]:
        for accept in ACCEPTS:
            response = client.get(url, headers={"Accept": accept})
            assert_clean_error(response, 400, 404)


@pytest.mark.parametrize("length", [300, 5000, 70000])
def test_a_long_name_in_any_route_is_a_404(app, client, length):
    for url in route_urls(app, "a" * length):
        for accept in ACCEPTS:
            assert_clean_error(client.get(url, headers={"Accept": accept}), 404)


@given(st.text())
def test_any_decoded_path_maps_to_a_legal_iri(text):
    escaped = iri_path(text)
    assert ox.NamedNode(f"{BASE}id/{escaped}").value == f"{BASE}id/{escaped}"
    assert unquote(escaped) == text  # nothing lost: only escaped


@pytest.mark.parametrize(
    ("decoded", "escaped"),
    [
        ("org/mijente", "org/mijente"),
        ("a b", "a%20b"),
        ("50%", "50%25"),
        ("caf\u00e9", "caf\u00e9"),
        ("a\x00?#", "a%00%3F%23"),
        ("\ufffd", "%EF%BF%BD"),
        ("\ue000", "%EE%80%80"),
    ],
)
def test_only_characters_an_iri_path_may_not_hold_are_escaped(decoded, escaped):
    assert iri_path(decoded) == escaped


def test_a_space_in_a_resource_path_names_a_legal_iri_that_is_not_ours(client):
    body = assert_clean_error(client.get("/id/a%20b", headers={"Accept": "text/turtle"}), 404)
    assert f"<{BASE}id/a%20b>" in body


@pytest.mark.parametrize("url", ["/id/org/mijente.%FF", "/id/org/mijente%FF.ttl", "/id/%FF"])
def test_bytes_that_are_not_utf8_in_a_resource_path_are_a_404(client, url):
    assert_clean_error(client.get(url, headers={"Accept": "text/turtle"}), 404)


def test_a_path_with_a_control_character_is_a_404_shown_escaped(client):
    body = assert_clean_error(client.get("/id/a%00b", headers={"Accept": "text/html"}), 404)
    assert "\x00" not in body


@pytest.mark.parametrize("name", ["a" * 300, "a" * 5000, "..", "%2E%2E%2Frelease.txt", "a%00b"])
def test_a_bad_source_name_is_a_404(client, name):
    body = assert_clean_error(client.get(f"/source/{name}", headers={"Accept": "text/plain"}), 404)
    assert "\x00" not in body


@pytest.mark.parametrize("name", ["%C2%B2", "%D9%A3", "%EF%BC%91", "1%C2%B2", "x" * 5000])
def test_an_unknown_query_name_with_unicode_digits_is_a_404(client, name):
    body = assert_clean_error(client.get(f"/queries/{name}"), 404)
    assert "01-lead-organizations" in body


@pytest.mark.parametrize("name", ["\u00b2", "\u0663", "\uff11", "1\u00b2"])
def test_find_takes_only_ascii_numbers(name):
    with pytest.raises(LookupError, match="is not a known query"):
        find(load_named_queries(), name)


#: Values that are not IRIs, for every ``iri`` parameter (raw, before URL encoding).
BAD_IRIS = [
    "urn:a\x01b",
    "urn:a\x00b",
    "urn:a\x7fb",
    "urn:a b",
    "<urn:a b>",
    "http://x/\ufffd",
    "kg:a b",
    "kg:a\tb",
    "urn:\ue000",
    "http://[x/",
    "http://x:y/",
    "nope",
    "",
    "<>",
]


def _iri_parameters() -> list[tuple[str, str]]:
    return [
        (query.name, param.name)
        for query in load_named_queries().values()
        for param in query.parameters
        if param.type == "iri"
    ]


@pytest.mark.parametrize("value", BAD_IRIS)
@pytest.mark.parametrize(("query", "param"), _iri_parameters())
def test_a_bad_iri_parameter_is_a_400_naming_it(client, query, param, value):
    required = {
        "10-grounding": {"resource": "kg:org/mijente"},
        "14-describe-organization": {},
        "15-statement-source": {
            "subject": "kg:org/mijente",
            "predicate": "dak:leads",
            "object": "kg:campaign/notechforice",
        },
    }
    args = {**required.get(query, {}), param: value}
    if query == "14-describe-organization":
        args.setdefault("org", "kg:org/mijente")
    response = client.get(f"/queries/{query}", query_string=args)
    body = assert_clean_error(response, 400)
    assert f"?{param}" in body
    assert "not an IRI" in body


def test_the_issue_example_is_a_400(client):
    response = client.get("/queries/10?resource=urn:a%01b", headers={"Accept": "text/csv"})
    body = assert_clean_error(response, 400)
    assert "?resource: not an IRI" in body


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("integer", "9" * 5000),
        ("integer", "1.5"),
        ("integer", ""),
        ("decimal", "1e5"),
        ("decimal", "1e999999999"),
        ("decimal", "NaN"),
        ("decimal", "-Infinity"),
        ("decimal", "0x10"),
        ("decimal", "1_000"),
        ("decimal", "٣"),
        ("date", "20231205"),
        ("date", "2023-W49-2"),
        ("date", "2023-02-30"),
        ("date", "2023-12-05T00:00"),
        ("boolean", "yes"),
        ("iri", "urn:a\x01b"),
        ("iri", "http://x/\ufffd"),
    ],
)
def test_a_value_of_the_wrong_lexical_form_is_refused(kind, value):
    with pytest.raises(ValueError, match=f"(?i)not an? {kind[:3]}"):
        convert(value, kind)


@pytest.mark.parametrize(
    ("kind", "value", "term"),
    [
        ("decimal", "-.5", Literal("-.5", datatype=XSD.decimal)),
        ("decimal", "+12.", Literal("+12.", datatype=XSD.decimal)),
        ("date", " 2023-12-05 ", Literal("2023-12-05", datatype=XSD.date)),
        ("integer", "-0042", Literal(-42, datatype=XSD.integer)),
        ("string", "a\x00b", Literal("a\x00b")),
        ("iri", "urn:caf\u00e9", URIRef("urn:caf\u00e9")),
    ],
)
def test_values_of_the_right_lexical_form_are_taken(kind, value, term):
    assert convert(value, kind) == term


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"min": "1e3"}, r"\?min: not an integer"),
        ({"min": "1", "share": "1e3"}, r"\?share: not a decimal"),
        ({"min": "1", "since": "20011203"}, r"\?since: not a date"),
    ],
)
def test_typed_parameters_name_the_parameter(raw, message):
    query = load_named_queries(FIXTURES / "queries")["02-big"]
    with pytest.raises(NamedQueryError, match=message):
        query.bind(raw)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_allowed_service_that_is_down_is_a_502():
    client = create_app({"SERVICE_ALLOWLIST": ["127.0.0.1"]}).test_client()
    query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{closed_port()}/sparql> {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", query_string={"query": query})
    body = assert_clean_error(response, 502)
    assert "SERVICE" in body
