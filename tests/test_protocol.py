"""The SPARQL 1.1 Protocol as data: every test of the W3C manifest, from our case table.

``tests/w3c/protocol-cases.json`` has one row per test of ``tests/w3c/manifest.ttl`` (the
vendored W3C manifest): the request, and the status, Content-Type and ASK boolean this endpoint
answers. One parametrized test runs the rows (id = the manifest's test name); another checks
that the table and the manifest agree, test by test. Known gaps are rows with ``xfail`` and
their reason. Below them: the service description and the protocol details the suite leaves out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from dhs_ai_kg.engine import GRAPH_FORMATS

W3C = Path(__file__).parent / "w3c"
MANIFEST = W3C / "manifest.ttl"
MANIFEST_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest.ttl"
CASES: dict[str, Any] = json.loads((W3C / "protocol-cases.json").read_text(encoding="utf-8"))
DATA = "http://kasei.us/2009/09/sparql/data/"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")


@pytest.fixture(scope="module", name="app")
def w3c_app(make_app, w3c_engine) -> Flask:
    """An app over the W3C protocol tests' dataset."""
    return make_app(w3c_engine)


# --- the manifest, read ----------------------------------------------------------------------


def manifest_requests() -> dict[str, dict[str, Any]]:
    """Each manifest test's first request: method, path, content type, body, graph data."""
    graph = Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST_IRI)
    manifest = URIRef(MANIFEST_IRI)
    entries = Collection(graph, graph.value(manifest, MF.entries))
    base = CASES["manifest_base"]
    found: dict[str, dict[str, Any]] = {}
    for test in entries:
        requests = Collection(graph, graph.value(graph.value(test, MF.action), HT.requests))
        first = requests[0]
        headers = graph.value(first, HT.headers)
        content_type = None
        if headers is not None:
            for header in Collection(graph, headers):
                if str(graph.value(header, HT.fieldName)).lower() == "content-type":
                    content_type = str(graph.value(header, HT.fieldValue))
        body = graph.value(first, HT.body)
        found[str(test)[len(base) :]] = {
            "method": str(graph.value(first, HT.methodName)),
            "path": str(graph.value(first, HT.absolutePath)),
            "content_type": content_type,
            "body": None if body is None else str(graph.value(body, CNT.chars)),
            "encoding": None if body is None else str(graph.value(body, CNT.characterEncoding)),
            "graphs": sorted(
                str(graph.value(data, RDFS.label)) for data in graph.objects(test, UT.graphData)
            ),
            "requests": len(requests),
        }
    return found


MANIFEST_REQUESTS = manifest_requests()


def test_every_manifest_test_has_one_row():
    names = [row["test"] for row in CASES["cases"]]
    assert len(names) == len(set(names)), "a test has two rows"
    assert set(names) == set(MANIFEST_REQUESTS)
    query_side = [n for n in MANIFEST_REQUESTS if n.startswith(("query_", "bad_query_"))]
    assert len(query_side) == 19  # what the vendored manifest holds (34 tests in all)
    assert all(row["side"] == "query" for row in CASES["cases"] if row["test"] in query_side)


@pytest.mark.parametrize("row", CASES["cases"], ids=lambda row: row["test"])
def test_row_is_the_manifest_request(row):
    """The table sends what the manifest sends (its /sparql/ path written /sparql)."""
    expected = MANIFEST_REQUESTS[row["test"]]
    assert row["method"] == expected["method"]
    assert row["path"] == expected["path"].replace("/sparql/", "/sparql", 1)
    assert row.get("content_type") == expected["content_type"]
    assert row.get("body") == expected["body"]
    assert row.get("body_encoding", "utf-8").upper() == (expected["encoding"] or "UTF-8")
    assert sorted(row["graphs"]) == expected["graphs"] or not expected["graphs"]


# --- the rows, run ---------------------------------------------------------------------------


def _params(row: dict[str, Any]) -> list[Any]:
    reason = row.get("xfail")
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return [pytest.param(row, id=row["test"], marks=marks)]


@pytest.mark.parametrize("row", [p for row in CASES["cases"] for p in _params(row)])
def test_w3c_protocol_case(client, row):
    headers = {"Content-Type": row["content_type"]} if "content_type" in row else {}
    body = row.get("body")
    data = None if body is None else body.encode(row.get("body_encoding", "utf-8"))
    response = client.open(row["path"], method=row["method"], data=data, headers=headers)
    expect = row["expect"]
    assert response.status_code == expect["status"], response.text
    if "content_type" in expect:
        assert response.headers["Content-Type"] == expect["content_type"]
    if "boolean" in expect:
        assert json.loads(response.text)["boolean"] is expect["boolean"]
    if response.status_code == 405:
        assert {"GET", "POST"} <= set(response.headers["Allow"].split(", "))
    if response.status_code >= 400:
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "Traceback" not in response.text


def test_protocol_dataset_replaces_the_query_dataset(client):
    """What query_multiple_dataset means: named-graph-uri (twice) overrides the query's FROM."""
    row = next(r for r in CASES["cases"] if r["test"] == "query_multiple_dataset")
    response = client.post(
        "/sparql",
        query_string=[
            ("named-graph-uri", f"{DATA}data1.rdf"),
            ("named-graph-uri", f"{DATA}data2.rdf"),
        ],
        data=row["body"].encode(),
        content_type="application/sparql-query",
    )
    assert response.status_code == 200, response.text
    assert json.loads(response.text)["boolean"] is True
    # the same query without the protocol dataset: FROM <data3> leaves no named graphs
    response = client.post(
        "/sparql", data=row["body"].encode(), content_type="application/sparql-query"
    )
    assert json.loads(response.text)["boolean"] is False


# --- details the suite leaves out ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "needle"),
    [
        ("get", {"query_string": {"query": "  "}}, 400, "missing query"),
        ("get", {"query_string": {"default-graph-uri": f"{DATA}data1.rdf"}}, 400, "missing query"),
        ("post", {"data": {"other": "x"}}, 400, "missing query"),
        ("post", {"data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400, "not both"),
        (
            "post",
            {"query_string": {"query": "ASK {}"}, "data": {"query": "ASK {}"}},
            400,
            "exactly one query",
        ),
        (
            "post",
            {
                "query_string": {"query": "ASK {}"},
                "data": b"ASK {}",
                "content_type": "application/sparql-query",
            },
            400,
            "no 'query' in the URL",
        ),
        (
            "post",
            {"data": b"ASK { \xff }", "content_type": "application/sparql-query"},
            400,
            "not valid UTF-8",
        ),
        (
            "post",
            {"data": b"ASK {}", "content_type": "application/sparql-query; charset=latin-1"},
            415,
            "UTF-8",
        ),
        (
            "post",
            {"data": b"", "content_type": "application/json"},
            415,
            "application/sparql-query",
        ),
        ("delete", {}, 405, "Method Not Allowed"),
        ("patch", {}, 405, "Method Not Allowed"),
    ],
)
def test_protocol_errors(client, method, kwargs, status, needle):
    response = getattr(client, method)("/sparql", **kwargs)
    assert response.status_code == status, response.text
    assert needle in response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_direct_post_accepts_an_explicit_utf8_charset(client):
    response = client.post(
        "/sparql", data=b"ASK {}", content_type="application/sparql-query; charset=UTF-8"
    )
    assert response.status_code == 200 and json.loads(response.text)["boolean"] is True


def test_head_is_get_without_a_body(client):
    response = client.head("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Content-Type"] == "application/sparql-results+json; charset=utf-8"


# --- the service description -----------------------------------------------------------------

SD_PARSERS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "xml": "xml"}


@pytest.mark.parametrize("name", list(GRAPH_FORMATS))
def test_service_description_in_each_format(client, name):
    fmt = GRAPH_FORMATS[name]
    response = client.get("/sparql", headers={"Accept": fmt.media_type})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == fmt.content_type
    assert "Accept" in response.vary
    graph = Graph().parse(data=response.data, format=SD_PARSERS[name])
    endpoint = URIRef("http://localhost/sparql")
    service = graph.value(predicate=SD.endpoint, object=endpoint)
    assert service is not None and (service, RDF.type, SD.Service) in graph


def test_service_description_says_what_the_endpoint_does(client):
    response = client.get("/sparql", query_string={"format": "ttl"})
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=response.data, format="turtle")
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert set(graph.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query}
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (service, SD.feature, SD.BasicFederatedQuery) not in graph
    formats = {str(f).rsplit("/", 1)[1] for f in graph.objects(service, SD.resultFormat)}
    assert formats == {
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
        "TriG",
        "N-Quads",
    }
    dataset = graph.value(service, SD.defaultDataset)
    default = graph.value(dataset, SD.defaultGraph)
    assert (default, RDF.type, VOID.Dataset) in graph
    assert (default, RDFS.seeAlso, URIRef("http://localhost/.well-known/void")) in graph
    assert graph.value(default, VOID.triples).toPython() == 4
    named = {
        graph.value(n, SD.name): graph.value(graph.value(n, SD.graph), VOID.triples).toPython()
        for n in graph.objects(dataset, SD.namedGraph)
    }
    assert named == {URIRef(f"{DATA}data{i}.rdf"): 1 for i in range(4)}


def test_service_description_follows_config(make_app, w3c_engine):
    app = make_app(w3c_engine, PUBLIC_BASE="https://kg.example/", SERVICE_ALLOWLIST=["x"])
    response = app.test_client().get("/sparql", headers={"Accept": "application/ld+json"})
    graph = Graph().parse(data=response.data, format="json-ld")
    service = graph.value(predicate=SD.endpoint, object=URIRef("https://kg.example/sparql"))
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in graph  # read-only
    assert (service, SD.feature, SD.BasicFederatedQuery) in graph


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER, "text/html"),
        ("text/html", "text/html"),
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("text/turtle, text/html;q=0.5", "text/turtle"),
        ("text/html;q=0.5, application/ld+json", "application/ld+json"),
        ("application/json", "application/ld+json"),
        ("application/rdf+xml, text/html", "application/rdf+xml"),
    ],
)
def test_service_description_or_query_page(client, accept, expected):
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == expected
    assert "Accept" in response.vary


def test_service_description_406_names_its_types(client):
    response = client.get("/sparql", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.text and "application/ld+json" in response.text


# --- updates: routed to execute_update -------------------------------------------------------

INSERT = f"INSERT DATA {{ GRAPH <{DATA}data0.rdf> {{ <{DATA}data0.rdf> <http://e/p> 1 }} }}"
ASK_INSERTED = f"ASK {{ <{DATA}data0.rdf> <http://e/p> 1 }}"


@pytest.mark.parametrize("form", ["direct", "form"])
def test_no_token_enables_update(form, make_app, w3c_engine):
    # Update was removed (decision 5): whatever the config or the Authorization header says.
    client = make_app(w3c_engine, UPDATE_TOKEN="s3cret").test_client()
    auth = {"Authorization": "Bearer s3cret"}
    if form == "direct":
        send = {"data": INSERT.encode(), "content_type": "application/sparql-update"}
    else:
        send = {"data": {"update": INSERT}}
    assert client.post("/sparql", **send).status_code == 403
    response = client.post("/sparql", headers=auth, **send)
    assert response.status_code == 403 and "read-only" in response.text
    response = client.get("/sparql", query_string={"query": ASK_INSERTED})
    assert json.loads(response.text)["boolean"] is False
