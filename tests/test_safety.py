"""Safe by default: the outbound guard, updates, the row cap, timeouts, crashes, CORS, errors,
ETags, metrics and the access log — through the Flask test client."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import engines
import pyoxigraph as ox
import pytest
from dhs_ai_kg_server import create_app
from dhs_ai_kg_server.state import State
from flask import Flask
from flask.testing import FlaskClient
from listener import Listener
from rdflib import Graph
from rdflib.compare import isomorphic

from dhs_ai_kg.engine import Engine, Limits
from dhs_ai_kg.namespaces import graph_iri

FIXTURES = Path(__file__).parent / "fixtures" / "engine"
SELECT = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?label"
DIGITS = " ".join(str(i) for i in range(10))


def product(factors: int) -> str:
    """A query counting 10**factors rows of VALUES, whatever the data: 10**7 takes ~2 s."""
    values = " ".join(f"VALUES ?v{i} {{ {DIGITS} }}" for i in range(factors))
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ {values} }}"


#: Tens of minutes of work (10**10 rows); only a kill stops it.
RUNAWAY = product(10)


@pytest.fixture(scope="module")
def data_app(make_app: Callable[..., Flask], engine: Engine) -> Callable[..., Flask]:
    """Apps over the fixture data: ``data_app(**config)``, inline unless ``config`` says not."""
    return lambda **config: make_app(engine, **config)


@pytest.fixture(scope="module", name="app")
def fixture_data_app(data_app: Callable[..., Flask]) -> Flask:
    """The fixture data, queries run inline."""
    return data_app()


def get(client: FlaskClient, query: str, **params: str):
    return client.get("/sparql", query_string={"query": query, **params})


# --- no outbound requests -------------------------------------------------------------------


def test_service_is_400_and_sends_nothing(client: FlaskClient, listener: Listener):
    for query in (
        f"SELECT * WHERE {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}sparql> {{ ?s ?p ?o }} }}",
        f"PREFIX x: <{listener.url}> SELECT * WHERE {{ SERVICE x:sparql {{ ?s ?p ?o }} }}",
        f"BASE <{listener.url}> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
    ):
        response = get(client, query)
        assert response.status_code == 400, query
        assert "SERVICE" in response.text and "outbound" in response.text
    assert listener.requests == []


def test_dataset_iris_off_the_dataset_are_400_and_fetch_nothing(
    client: FlaskClient, listener: Listener
):
    remote = f"{listener.url}graph.ttl"
    for response in (
        get(client, f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }}"),
        get(client, f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
        get(client, "SELECT * WHERE { ?s ?p ?o }", **{"default-graph-uri": remote}),
        get(client, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": remote}),
    ):
        assert response.status_code == 400
        assert "not a graph of this dataset" in response.text and remote in response.text
    assert listener.requests == []


def test_our_graphs_may_be_named(client: FlaskClient):
    links = graph_iri("links")
    response = get(client, f"SELECT ?o FROM <{links}> WHERE {{ ?s ?p ?o }}")
    assert response.status_code == 200
    assert "wikidata.org/entity/Q1" in response.text
    response = get(client, "SELECT ?o WHERE { ?s ?p ?o }", **{"default-graph-uri": links})
    assert response.status_code == 200 and "Q1" in response.text


def test_an_allowlisted_host_is_really_called(listener: Listener, data_app):
    """Control for the tests above: the allowlist lets SERVICE through, and the listener
    then does see the request, so 'it received nothing' is a real observation."""
    client = data_app(SERVICE_ALLOWLIST=["127.0.0.1"]).test_client()
    response = get(client, f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}sparql> {{}} }}")
    assert response.status_code == 200
    # Two calls: a SELECT is run once to count its rows (row cap), once to serialize.
    assert listener.requests and {method for method, _ in listener.requests} == {"POST"}


def test_an_allowlisted_host_does_not_open_other_hosts(listener: Listener, data_app):
    client = data_app(SERVICE_ALLOWLIST=["example.org"]).test_client()
    response = get(client, f"SELECT * WHERE {{ SERVICE <{listener.url}sparql> {{}} }}")
    assert response.status_code == 400 and listener.url in response.text
    assert listener.requests == []


# --- updates ----------------------------------------------------------------------------------

INSERT = "INSERT DATA { GRAPH <https://example.org/g> { <urn:x:a> <urn:x:b> 'new' } }"


def test_updates_are_403_while_read_only(client: FlaskClient, listener: Listener):
    for data in ({"update": INSERT}, {"update": f"LOAD <{listener.url}data.ttl>"}):
        response = client.post("/sparql", data=data)
        assert response.status_code == 403 and "read-only" in response.text
    response = client.post(
        "/sparql", data=INSERT.encode(), content_type="application/sparql-update"
    )
    assert response.status_code == 403
    assert get(client, INSERT).status_code in (400, 403)  # an update is never a GET
    assert listener.requests == []


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <{url}data.ttl>",
        "LOADSILENT<{url}data.ttl>",
        "load silent <{url}data.ttl> into graph <urn:g>",
        "PREFIX : <{url}> LOAD :x",
        "# a comment\nLOAD\t<{url}data.ttl>",
        "INSERT DATA {{ <urn:x:a> <urn:x:p> 1 }} ; LOAD <{url}data.ttl>",
    ],
)
def test_updates_are_refused_in_every_spelling_with_any_token(
    listener: Listener, update: str, data_app
):
    # Update is gone (decision 5): no token enables it, and no spelling of LOAD fetches.
    client = data_app(UPDATE_TOKEN="s3cret").test_client()
    text = update.format(url=listener.url)
    for headers in ({}, {"Authorization": "Bearer s3cret"}):
        response = client.post("/sparql", data={"update": text}, headers=headers)
        assert response.status_code == 403 and "read-only" in response.text
        response = client.post(
            "/sparql", data=text.encode(), content_type="application/sparql-update", headers=headers
        )
        assert response.status_code == 403
    assert listener.requests == []


# --- limits ---------------------------------------------------------------------------------


def test_row_cap_refuses_instead_of_cutting(data_app):
    client = data_app(MAX_ROWS=2).test_client()
    response = get(client, "SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 422
    assert "more than 2 rows" in response.text and "LIMIT 2" in response.text
    assert response.headers["X-Result-Limit"] == "2"
    response = get(client, "CONSTRUCT WHERE { ?s ?p ?o }")
    assert response.status_code == 422
    response = get(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 2", format="csv")
    assert response.status_code == 200 and response.headers["X-Result-Limit"] == "2"
    assert len(response.text.strip().splitlines()) == 3  # header + the 2 rows asked for


def test_every_result_carries_the_limit(client: FlaskClient):
    for query in (SELECT, "ASK { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"):
        response = get(client, query)
        assert response.status_code == 200 and response.headers["X-Result-Limit"] == "10000"


def test_request_body_limit_is_413(data_app):
    client = data_app(MAX_CONTENT_LENGTH=1024).test_client()
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 2000
    response = client.post("/sparql", data=big.encode(), content_type="application/sparql-query")
    assert response.status_code == 413 and "Traceback" not in response.text
    assert client.post("/sparql", data={"query": big}).status_code == 413


def pool_of(app: Flask):
    current: State = app.extensions["dhs_ai_kg"]
    return current.pool()


def test_timeout_kills_the_query_process_and_the_next_query_runs(engine):
    app = create_app(
        {"QUERY_ISOLATION": "process", "QUERY_TIMEOUT": 0.5, "QUERY_PROCESSES": 1},
        engine=engine,
    )
    client = app.test_client()
    try:
        assert get(client, SELECT).status_code == 200
        (first,) = pool_of(app).pids
        response = get(client, RUNAWAY)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert "longer than 0.5 s" in response.text
        assert not Path(f"/proc/{first}").exists()  # killed and reaped, not left running
        # A replacement starts at once; wait for it to be ready (its start-up would otherwise
        # count against the next query's 0.5 s on a loaded machine), then use it.
        deadline = time.monotonic() + 120
        while not pool_of(app).pids and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool_of(app).pids, "the killed query process was never replaced"
        response = get(client, SELECT)
        assert response.status_code == 200 and "Alpha" in response.text
        assert first not in pool_of(app).pids
        metrics = client.get("/metrics").text
        assert "dhs_ai_kg_query_timeouts 1.0" in metrics
    finally:
        pool_of(app).close()


def test_an_engine_crash_costs_one_request(caplog: pytest.LogCaptureFixture):
    # Limits off, so 3,000 nested groups reach pyoxigraph, which dies with SIGSEGV (decision 2).
    engine = engines.fixture_engine(Limits(max_depth=10**6, max_path_steps=10**6))
    app = create_app({"QUERY_ISOLATION": "process", "QUERY_PROCESSES": 1}, engine=engine)
    client = app.test_client()
    deep = "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000
    try:
        with caplog.at_level(logging.ERROR, logger="dhs_ai_kg_server"):
            response = client.post(
                "/sparql", data=deep.encode(), content_type="application/sparql-query"
            )
        assert response.status_code == 500
        assert "crashed" in response.text and "Traceback" not in response.text
        rid = response.headers["X-Request-Id"]
        assert rid in response.text
        assert any(
            rid in r.getMessage() and "exit code -11" in r.getMessage() for r in caplog.records
        )
        assert get(client, SELECT).status_code == 200
        assert "dhs_ai_kg_query_crashes 1.0" in client.get("/metrics").text
    finally:
        pool_of(app).close()


def test_the_process_path_answers_like_the_inline_one(client: FlaskClient, engine):
    app = create_app({"QUERY_ISOLATION": "process", "QUERY_PROCESSES": 1}, engine=engine)
    try:
        other = app.test_client()
        inline = get(client, SELECT, format="text/csv")
        pooled = get(other, SELECT, format="text/csv")
        assert (pooled.status_code, pooled.data) == (inline.status_code, inline.data)
        construct = "CONSTRUCT WHERE { ?s ?p ?o }"
        inline, pooled = get(client, construct), get(other, construct)
        assert inline.status_code == pooled.status_code == 200
        assert isomorphic(
            Graph().parse(data=inline.data, format="turtle"),
            Graph().parse(data=pooled.data, format="turtle"),
        )
        assert get(other, "SELECT * WHERE { ?x").status_code == 400
        assert get(other, SELECT, format="nope").status_code == 400
    finally:
        pool_of(app).close()


# --- CORS, errors ---------------------------------------------------------------------------


def test_cors_on_every_response_without_credentials(client: FlaskClient):
    for response in (
        get(client, SELECT),
        get(client, "SELECT * WHERE { ?x"),
        client.get("/healthz"),
        client.get("/no/such/page"),
    ):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers
        exposed = response.headers["Access-Control-Expose-Headers"]
        assert "X-Result-Limit" in exposed and "X-Request-Id" in exposed


def test_preflight_is_answered(client: FlaskClient):
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert set(response.headers["Access-Control-Allow-Methods"].split(", ")) == {
        "GET",
        "POST",
        "OPTIONS",
    }
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert all(h in allowed for h in ("content-type", "accept", "authorization"))


def test_an_unexpected_error_is_500_logged_with_the_request_id(
    caplog: pytest.LogCaptureFixture, data_app
):
    app = data_app()

    @app.get("/boom")
    def boom() -> str:
        raise ZeroDivisionError("secret detail")

    with caplog.at_level(logging.ERROR, logger="dhs_ai_kg_server"):
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    rid = response.headers["X-Request-Id"]
    assert rid in response.text
    assert "Traceback" not in response.text and "secret detail" not in response.text
    logged = [r for r in caplog.records if rid in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the stack trace is in the log only


# --- ETag, metrics, access log --------------------------------------------------------------


def test_etag_and_304(client: FlaskClient):
    response = get(client, SELECT)
    etag = response.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get("/sparql", query_string={"query": SELECT}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert get(client, SELECT, format="csv").headers["ETag"] != etag  # other target
    csv = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "text/csv"})
    assert csv.headers["ETag"] not in (etag, None)  # other negotiated type
    assert "ETag" not in client.get("/healthz").headers
    assert "ETag" not in get(client, "SELECT * WHERE { ?x").headers


def test_etag_follows_the_dataset_version(data_app):
    client = data_app().test_client()
    before = get(client, SELECT).headers["ETag"]
    assert get(client, SELECT).headers["ETag"] == before
    other = engines.fixture_engine()  # a copy of its own: this test changes it
    other.store.add(ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:p"), ox.Literal("new")))
    changed = create_app({"QUERY_ISOLATION": "inline"}, engine=other).test_client()
    assert get(changed, SELECT).headers["ETag"] != before


def test_metrics_in_prometheus_text(client: FlaskClient):
    get(client, SELECT)
    get(client, "SELECT * WHERE { ?x")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.text
    assert 'dhs_ai_kg_http_requests_total{endpoint="/sparql",method="GET",status="200"}' in text
    assert 'status="400"' in text
    assert "dhs_ai_kg_http_request_duration_seconds_bucket{" in text
    assert "dhs_ai_kg_http_errors_total" in text
    from prometheus_client.parser import text_string_to_metric_families

    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"dhs_ai_kg_http_requests", "dhs_ai_kg_http_request_duration_seconds"} <= names


def test_access_log_is_one_json_line_per_request(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO, logger="dhs_ai_kg.access"):
        response = get(client, SELECT)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "dhs_ai_kg.access"]
    assert len(lines) == 1
    entry = lines[0]
    fields = {"time", "request_id", "method", "path", "status", "bytes", "duration_ms", "pid"}
    assert set(entry) == fields
    assert entry["request_id"] == response.headers["X-Request-Id"]
    assert (entry["method"], entry["status"], entry["bytes"]) == ("GET", 200, len(response.data))
    assert entry["path"].startswith("/sparql?query=")


def test_no_stray_query_processes_in_inline_mode(app: Flask):
    current: State = app.extensions["dhs_ai_kg"]
    assert current._pool is None  # never started: inline mode runs queries here


def test_repeated_queries_are_answered_from_the_cache(engine):
    app = create_app(
        {"QUERY_ISOLATION": "process", "QUERY_PROCESSES": 1, "ANSWER_CACHE": 1024 * 1024},
        engine=engine,
    )
    client = app.test_client()
    try:
        first = get(client, SELECT, format="csv")
        (pid,) = pool_of(app).pids
        pool_of(app).close()  # no query process left: only the cache can answer now
        again = get(client, SELECT, format="csv")
        assert (again.status_code, again.data) == (200, first.data)
        assert get(client, SELECT, format="tsv").status_code == 503  # not cached: needs the pool
        metrics = client.get("/metrics").text
        assert "dhs_ai_kg_answer_cache_hits 1.0" in metrics
        assert not Path(f"/proc/{pid}").exists()
    finally:
        pool_of(app).close()
