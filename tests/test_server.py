"""The HTTP layer: /sparql each form and format, negotiation, errors, limits; a real server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from dhs_ai_kg_server import create_app
from dhs_ai_kg_server.negotiation import choose
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from stores import free_port

from dhs_ai_kg.engine import GRAPH_FORMATS, RESULTS_FORMATS, Engine
from dhs_ai_kg.loading import graph_files, parse_turtle
from dhs_ai_kg.namespaces import graph_iri

FIXTURES = Path(__file__).parent / "fixtures" / "engine"
SELECT = "SELECT ?org ?label WHERE { ?org rdfs:label ?label } ORDER BY ?label"
ASK = "ASK { ?s ?p ?o }"
CONSTRUCT = "CONSTRUCT WHERE { ?s rdfs:label ?l }"


@pytest.fixture(scope="module", name="app")
def small_body_app(make_app, engine) -> Flask:
    """The fixture data, request bodies capped at 4 KiB."""
    return make_app(engine, MAX_CONTENT_LENGTH=4096)


def send(client: FlaskClient, form: str, query: str, accept: str | None = None):
    headers = {"Accept": accept} if accept else {}
    if form == "get":
        return client.get("/sparql", query_string={"query": query}, headers=headers)
    if form == "form":
        return client.post("/sparql", data={"query": query}, headers=headers)
    return client.post(
        "/sparql", data=query.encode(), content_type="application/sparql-query", headers=headers
    )


FORMS = ["get", "form", "direct"]
RESULT_CASES = [(name, f.media_type) for name, f in RESULTS_FORMATS.items()]
GRAPH_CASES = [(name, f.media_type) for name, f in GRAPH_FORMATS.items()]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("name", "media_type"), RESULT_CASES)
def test_select_and_ask_in_each_form_and_format(client, form, name, media_type):
    for query, needle in ((SELECT, "Alpha"), (ASK, "true")):
        response = send(client, form, query, media_type)
        assert response.status_code == 200, response.text
        assert response.content_type == f"{media_type}; charset=utf-8"
        assert "Accept" in response.vary
        assert needle in response.text


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("name", "media_type"), GRAPH_CASES)
def test_construct_in_each_form_and_format(client, form, name, media_type):
    response = send(client, form, CONSTRUCT, media_type)
    assert response.status_code == 200, response.text
    assert response.content_type == f"{media_type}; charset=utf-8"
    parser = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "xml": "xml"}[name]
    assert len(Graph().parse(data=response.data, format=parser)) == 2


@pytest.mark.parametrize(
    ("accept", "kind", "expected"),
    [
        (None, "results", "application/sparql-results+json"),
        ("*/*", "results", "application/sparql-results+json"),
        ("*/*", "graph", "text/turtle"),
        ("text/*", "results", "text/csv"),
        (
            "text/csv;q=0.5, application/sparql-results+xml",
            "results",
            "application/sparql-results+xml",
        ),
        ("text/csv;q=0.9, text/tab-separated-values", "results", "text/tab-separated-values"),
        ("application/json", "results", "application/sparql-results+json"),
        ("application/json", "graph", "application/ld+json"),
        ("text/turtle;q=0.1, application/n-triples;q=0.2", "graph", "application/n-triples"),
        ("application/*;q=0.5, text/turtle;q=0", "graph", "application/n-triples"),
        ("text/html", "results", None),
        ("text/csv;q=0", "results", None),
        ("text/turtle", "results", None),
    ],
)
def test_negotiation_table(accept, kind, expected):
    formats = RESULTS_FORMATS if kind == "results" else GRAPH_FORMATS
    chosen = choose(accept, formats)
    assert (chosen.media_type if chosen else None) == expected


def test_no_acceptable_type_is_406_listing_types(client):
    response = send(client, "form", SELECT, "text/html")
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text and "text/csv" in response.text
    response = send(client, "get", CONSTRUCT, "application/sparql-results+json")
    assert response.status_code == 406 and "text/turtle" in response.text


def test_malformed_query_is_400_with_the_parser_message(client):
    response = send(client, "get", "SELECT ?x WHERE { ?x")
    assert response.status_code == 400
    assert response.content_type == "text/plain; charset=utf-8"
    assert "error at 1:" in response.text and "Traceback" not in response.text


@pytest.mark.parametrize(
    ("query", "status", "needle"),
    [
        ("INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }", 403, "read-only"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 400, "SERVICE"),
        ("SELECT * WHERE " + "{" * 500 + "}" * 500, 400, "nested"),
    ],
)
def test_refused_queries(client, query, status, needle):
    response = send(client, "form", query)
    assert response.status_code == status and needle in response.text


def test_blank_query_is_400(client):
    response = client.get("/sparql", query_string={"query": "  "})
    assert response.status_code == 400 and "missing query" in response.text


def test_no_query_is_the_service_description(client):
    response = client.get("/sparql")
    assert response.status_code == 200
    assert response.content_type == "text/turtle; charset=utf-8"
    assert "sd:Service" in response.text


def test_missing_query_in_form_post_is_400(client):
    assert client.post("/sparql", data={"other": "x"}).status_code == 400


def test_unsupported_body_type_is_415(client):
    response = client.post("/sparql", data="x", content_type="text/plain")
    assert response.status_code == 415


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405(client, method):
    response = getattr(client, method)("/sparql")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


@pytest.mark.parametrize("form", ["form", "direct"])
def test_body_over_the_limit_is_413(client, form):
    query = "ASK {} #" + "x" * 5000
    assert send(client, form, query).status_code == 413


def test_protocol_graph_parameters(client):
    query = "ASK { ?s owl:sameAs ?o }"
    links, release = str(graph_iri("links")), str(graph_iri("release"))
    response = client.get("/sparql", query_string={"query": query, "default-graph-uri": links})
    assert json.loads(response.text)["boolean"] is True
    response = client.get("/sparql", query_string={"query": query, "default-graph-uri": release})
    assert json.loads(response.text)["boolean"] is False


def test_unexpected_errors_are_500_with_request_id_and_logged(caplog, engine):
    class Broken(Engine):
        def query(self, *args, **kwargs):
            raise KeyError("internal detail")

    app = create_app({"QUERY_ISOLATION": "inline"}, engine=Broken(engine.store))
    response = app.test_client().get("/sparql", query_string={"query": ASK})
    assert response.status_code == 500
    rid = response.headers["X-Request-Id"]
    assert rid in response.text and "internal detail" not in response.text
    assert any(rid in r.getMessage() for r in caplog.records)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok\n"


def test_the_default_engine_loads_the_configured_resources(tmp_path):
    (tmp_path / "data" / "graphs").mkdir(parents=True)
    (tmp_path / "data" / "graphs" / "release.ttl").write_bytes(
        (FIXTURES / "graphs" / "release.ttl").read_bytes()
    )
    app = create_app({"RESOURCES": tmp_path, "QUERY_ISOLATION": "inline"})
    response = app.test_client().get("/sparql", query_string={"query": SELECT})
    assert "Alpha" in response.text


RESOURCE_TREE = Path(__file__).parent / "fixtures" / "cli"


def test_every_file_the_server_reads_comes_from_the_configured_resources():
    """RESOURCES (a folder of ontology/, data/, queries/) is read for the data, the named
    queries, the ontology document and /source/; nothing from the packaged resources."""
    app = create_app({"RESOURCES": RESOURCE_TREE, "QUERY_ISOLATION": "inline"})
    client = app.test_client()
    expected = Dataset()
    for path in graph_files(RESOURCE_TREE / "data" / "graphs"):
        parse_turtle(path, expected.graph(graph_iri(path.stem)))
    count = client.get(
        "/sparql",
        query_string={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "text/csv"},
    )
    assert count.text.splitlines()[1] == str(len(expected)), count.text
    listed = client.get("/queries", headers={"Accept": "application/json"}).get_json()
    assert [q["name"] for q in listed["queries"]] == sorted(
        p.stem for p in (RESOURCE_TREE / "queries").glob("*.rq")
    )
    source = client.get("/source/release.txt")
    assert source.data == (RESOURCE_TREE / "data" / "source" / "release.txt").read_bytes()
    ontology = Graph().parse(data=client.get("/ontology.ttl").text, format="turtle")
    assert isomorphic(ontology, parse_turtle(RESOURCE_TREE / "ontology" / "dhs-ai-kg.ttl"))


# --- the real server -------------------------------------------------------------------------


def test_the_server_serves_and_stops_on_sigterm(tmp_path):
    """Start ``run`` in a subprocess over fixture data, query it, SIGTERM it."""
    root = tmp_path / "resources"
    (root / "data" / "graphs").mkdir(parents=True)
    for path in graph_files(FIXTURES / "graphs"):
        (root / "data" / "graphs" / path.name).write_bytes(path.read_bytes())
    port = free_port()
    script = textwrap.dedent(
        f"""
        from dhs_ai_kg_server import Listen, run
        run(Listen(host="127.0.0.1", port={port}), app_config={{"RESOURCES": {str(root)!r}}})
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": SELECT})
        body = None
        for _ in range(300):  # wait for the bind (up to ~30 s on a loaded box)
            try:
                request = urllib.request.Request(url, headers={"Accept": "text/csv"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
                    body = response.read().decode()
                break
            except (ConnectionError, urllib.error.URLError):
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                time.sleep(0.1)
        assert body is not None and body.splitlines()[1].endswith(",Alpha")
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output.decode()
    assert b"Shutting down" in output


def test_warm_builds_everything_and_leaves_the_store_as_the_one_copy():
    from dhs_ai_kg_server.app import warm
    from dhs_ai_kg_server.state import State

    app = create_app({"QUERY_ISOLATION": "inline"})
    client = app.test_client()
    before = client.get("/dumps/dataset.nq").data
    warm(app)
    current: State = app.extensions["dhs_ai_kg"]
    # no rdflib copy of the data is kept: the store is the one copy
    kept = [*vars(current).values(), *current.derived.values()]
    assert not any(isinstance(v, Dataset) for v in kept) and not hasattr(current.engine, "dataset")
    # every view still answers, from what warm built
    assert client.get("/dumps/dataset.nq").data == before
    for path in ("/.well-known/void", "/sparql", "/id/", "/graph/release", "/id/org/mijente"):
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 200, path
