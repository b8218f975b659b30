"""The server stays usable on large data (issue 10): nothing builds an rdflib copy of the whole
store to count or index it, pages served from what was derived once run no query over the graph
per request, dumps above ``RDFLIB_DUMPS_MAX`` come from pyoxigraph (same quads), property
graphs above ``PROPERTY_GRAPH_MAX`` are refused saying why, and the search's label index
answers as ``search.rq`` does. Synthetic releases (bench/datagen.py) beside the real one, the
limits set low so a few thousand triples count as large."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from bench_modules import bench_module
from dhs_ai_kg_server import create_app, linked_data
from dhs_ai_kg_server.app import warm
from dhs_ai_kg_server.derived import internal_query
from dhs_ai_kg_server.state import State
from dhs_ai_kg_server.ui import search_results
from flask import Flask
from rdflib import Literal

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.namespaces import GRAPH

BENCH = Path(__file__).resolve().parents[1] / "bench"
SMALL_LIMITS = {"RDFLIB_DUMPS_MAX": 1000, "PROPERTY_GRAPH_MAX": 1000}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 4,000 synthetic triples (seed 11): the graphs folder ``--data`` takes."""
    out = tmp_path_factory.mktemp("synthetic")
    bench_module("datagen").write(out, 4000, seed=11)
    return out / "graphs"


@pytest.fixture
def large_app(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app over the real and synthetic data, the size limits below its size; any rdflib
    copy of the store fails the test."""

    def no_copy(self: Engine) -> object:
        raise AssertionError("an rdflib copy of the whole store was made")

    monkeypatch.setattr(Engine, "to_rdflib", no_copy)
    app = create_app({"QUERY_ISOLATION": "inline", "DATA": [str(synthetic)], **SMALL_LIMITS})
    yield app
    app.extensions["dhs_ai_kg"].close()


def _count_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query the engine runs from now on, recorded."""
    ran: list[str] = []
    original = Engine.query

    def query(self: Engine, text: str, *args: object, **kwargs: object):
        ran.append(text)
        return original(self, text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Engine, "query", query)
    return ran


PAGES = (
    ("/", "text/html"),
    ("/id/", "text/html"),
    ("/.well-known/void", "text/turtle"),
    ("/sparql", "text/turtle"),  # the service description
    ("/dumps/", "application/json"),
    ("/search?q=data&format=json", "application/json"),
    ("/graph/release", "text/turtle"),
)


def test_warm_up_on_large_data_makes_no_rdflib_copy(large_app: Flask):
    warm(large_app)  # to_rdflib raises: counts, indexes and dumps come from the store
    client = large_app.test_client()
    for path, accept in PAGES:
        assert client.get(path, headers={"Accept": accept}).status_code == 200, path


def test_pages_run_no_query_per_request_once_warm(
    large_app: Flask, monkeypatch: pytest.MonkeyPatch
):
    warm(large_app)
    client = large_app.test_client()
    for path, accept in PAGES:
        client.get(path, headers={"Accept": accept})  # the front page caches its facts
    ran = _count_queries(monkeypatch)
    rendered: list[object] = []
    monkeypatch.setattr(linked_data, "index_groups", lambda *a: rendered.append(a))
    for path, accept in PAGES:
        assert client.get(path, headers={"Accept": accept}).status_code == 200, path
        assert ran == [], f"{path} ran {len(ran)} queries over the graph"
    assert rendered == []  # the index of every resource was rendered once


def test_service_description_counts_are_the_stores(large_app: Flask):
    store: ox.Store = large_app.extensions["dhs_ai_kg"].engine.store
    body = large_app.test_client().get("/sparql", headers={"Accept": "text/turtle"}).data
    described = ox.Store()
    described.load(body, ox.RdfFormat.TURTLE, base_iri="http://localhost/sparql")
    counts = {
        str(row["name"].value): int(row["n"].value)
        for row in described.query(
            "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> "
            "PREFIX void: <http://rdfs.org/ns/void#> "
            "SELECT ?name ?n WHERE { ?g sd:name ?name ; sd:graph [ void:triples ?n ] }"
        )
    }
    for graph in store.named_graphs():
        expected = sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
        assert counts[graph.value] == expected, graph
    union = {(q.subject, q.predicate, q.object) for q in store if q.graph_name != ox.DefaultGraph()}
    assert f"void:triples {len(union)}" in body.decode()


def test_large_dumps_are_the_stores_quads_with_their_listed_size_and_checksum(large_app: Flask):
    current: State = large_app.extensions["dhs_ai_kg"]
    store = current.engine.store
    client = large_app.test_client()
    listing = client.get("/dumps/", headers={"Accept": "application/json"}).get_json()
    for entry in listing:
        response = client.get(entry["url"])
        assert response.status_code == 200, entry
        assert len(response.data) == entry["byteSize"], entry
        digest = hashlib.sha256(response.data).hexdigest()
        assert digest == entry["sha256"] == response.get_etag()[0], entry
    whole = ox.Store()
    whole.load(client.get("/dumps/dataset.nq").data, ox.RdfFormat.N_QUADS)
    assert set(whole) == set(store)
    release = ox.Store()
    release.load(client.get("/dumps/release.ttl").data, ox.RdfFormat.TURTLE)
    expected = store.quads_for_pattern(None, None, None, ox.NamedNode(f"{GRAPH}release"))
    assert {(q.subject, q.predicate, q.object) for q in release} == {
        (q.subject, q.predicate, q.object) for q in expected
    }
    union = ox.Store()
    union.load(client.get("/dumps/union.nt").data, ox.RdfFormat.N_TRIPLES)
    assert len(union) == len({(q.subject, q.predicate, q.object) for q in store})
    spool = next(iter(current._spools.values())).name
    assert Path(spool).is_dir()
    current.close()  # the files written go with the server
    assert not Path(spool).exists()


def test_property_graphs_above_the_limit_are_refused_saying_why(large_app: Flask):
    client = large_app.test_client()
    listing = client.get("/dumps/", headers={"Accept": "application/json"}).get_json()
    names = {entry["filename"] for entry in listing}
    for filename in ("dataset.graphml", "dataset.neo4j.zip"):
        assert filename not in names
        response = client.get(f"/dumps/{filename}")
        assert response.status_code == 422
        assert "PROPERTY_GRAPH_MAX" in response.text and "1,000" in response.text
    void = client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text
    assert "dataset.graphml" not in void and "dataset.nq" in void


@pytest.mark.parametrize("text", ["a", "coalition", "DATA", "ai", "org", "zzz-none", "é"])
def test_the_label_index_answers_as_search_rq(text: str, app: Flask):
    reference = internal_query("search")
    with app.test_request_context():
        engine = app.extensions["dhs_ai_kg"].engine
        expected = [
            (str(resource), str(label))
            for _, resource, label, _, _ in engine.query(reference.text, {"q": Literal(text)})
        ]
        found = [(r["iri"], r["label"]) for r in search_results(text)]
    assert found == expected
    if text == "coalition":
        assert expected  # the check compares real answers
    json.dumps(found)


def test_entity_pages_take_in_their_parts_without_scanning_every_subject(
    make_app, monkeypatch: pytest.MonkeyPatch
):
    from dhs_ai_kg_server.state import default_engine

    engine = default_engine()
    release = ox.NamedNode(f"{GRAPH}release")
    resource = next(  # a resource of the real data: give it a part (a hash IRI of it)
        q.subject.value
        for q in engine.store.quads_for_pattern(None, None, None, release)
        if isinstance(q.subject, ox.NamedNode) and "/id/org/" in q.subject.value
    )
    part, said = ox.NamedNode(resource + "#part"), ox.Literal("said by the part only")
    note = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
    engine.store.add(ox.Quad(part, note, said, release))
    app = make_app(engine)
    client = app.test_client()
    path = resource.split("w3id.org/dhs-ai-kg", 1)[1]
    warm(app)
    ran = _count_queries(monkeypatch)
    page = client.get(path, headers={"Accept": "text/html"})
    document = client.get(path, headers={"Accept": "application/n-triples"})
    assert page.status_code == document.status_code == 200
    assert said.value in page.text
    assert f"<{part.value}> <{note.value}> {said}" in document.text
    assert ran and not [q for q in ran if 'CONCAT(STR(?resource), "#")' in q]
