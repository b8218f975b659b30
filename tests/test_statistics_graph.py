"""The statistics graph: class and property partitions counted once at load (issue 10).

Its stored reading must give exactly the live aggregate's rows, and it must not count as data
in the VoID description or ``dhs-ai-kg stats``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from bench_modules import bench_module
from dhs_ai_kg_cli import main as cli_main
from dhs_ai_kg_server.state import KEY, dataset_version
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_isomorphic

from dhs_ai_kg.engine import Engine, QueryRefused
from dhs_ai_kg.formats import REGISTRY
from dhs_ai_kg.loading import load_store
from dhs_ai_kg.namespaces import DATASET, VOID, graph_iri
from dhs_ai_kg.stats import (
    LIVE_STATISTICS,
    STATISTICS,
    STORED_STATISTICS,
    compute_stats,
    has_statistics,
    peer_text,
    void_description,
)
from dhs_ai_kg.store_export import count_triples, graph_triples, write_store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few synthetic releases (bench/datagen.py, about 3,000 triples, seed 7)."""
    return bench_module("datagen").write(tmp_path_factory.mktemp("synthetic"), 3000, seed=7)


def _rows(engine: Engine, text: str) -> list[tuple[object, ...]]:
    return list(engine.query(text))


@pytest.mark.parametrize("synthetic_data", [False, True], ids=["release", "datagen"])
def test_stored_statistics_are_the_live_aggregate(
    synthetic_data: bool, request: pytest.FixtureRequest
) -> None:
    folders = [request.getfixturevalue("synthetic")] if synthetic_data else []
    engine = Engine(load_store(folders, statistics=True))
    live = _rows(engine, LIVE_STATISTICS.text)
    stored = _rows(engine, STORED_STATISTICS.text)
    assert live, "the live aggregate answers something"
    assert stored == live  # same rows, same order (ORDER BY), same literals and datatypes
    # and the live aggregate is not changed by the statistics graph being there
    assert live == _rows(Engine(load_store(folders)), LIVE_STATISTICS.text)


def test_the_loader_adds_the_graph_only_when_asked() -> None:
    assert not has_statistics(load_store())
    store = load_store(statistics=True)
    assert has_statistics(store)
    assert _rows(Engine(load_store()), STORED_STATISTICS.text) == []  # nothing kept, no rows


@pytest.mark.parametrize("synthetic_data", [False, True], ids=["release", "datagen"])
def test_the_statistics_graph_is_not_counted_as_data(
    synthetic_data: bool, request: pytest.FixtureRequest
) -> None:
    folders = [request.getfixturevalue("synthetic")] if synthetic_data else []
    plain, kept = Engine(load_store(folders)), Engine(load_store(folders, statistics=True))
    assert to_isomorphic(void_description(kept)) == to_isomorphic(void_description(plain))
    assert compute_stats(kept) == compute_stats(plain)
    assert str(STATISTICS) not in compute_stats(kept).graphs
    assert "statistics" not in compute_stats(kept).graphs


def _tamper(store: ox.Store) -> tuple[URIRef, int]:
    """Set one kept class count to a number no count gives; the class and that number."""
    graph = ox.NamedNode(str(STATISTICS))
    quad = next(iter(store.quads_for_pattern(None, ox.NamedNode(VOID.entities), None, graph)))
    part = quad.subject
    cls = next(iter(store.quads_for_pattern(part, ox.NamedNode(VOID["class"]), None, graph)))
    store.remove(quad)
    store.add(
        ox.Quad(part, quad.predicate, ox.Literal("999999", datatype=quad.object.datatype), graph)
    )  # type: ignore[union-attr]
    assert isinstance(cls.object, ox.NamedNode)
    return URIRef(cls.object.value), 999999


def test_void_reads_the_kept_partitions_instead_of_counting_again() -> None:
    store = load_store(statistics=True)
    cls, number = _tamper(store)
    engine = Engine(store)
    assert compute_stats(engine).classes[str(cls)] == number
    void = void_description(engine)
    parts = [
        p for p in void.objects(DATASET, VOID.classPartition) if (p, VOID["class"], cls) in void
    ]
    assert [void.value(p, VOID.entities) for p in parts] == [Literal(number)]


def test_void_counts_live_when_a_data_graph_lies_outside_the_kept_counts() -> None:
    store = load_store(statistics=True)
    cls, number = _tamper(store)
    extra = ox.NamedNode(str(graph_iri("notes")))
    store.add(
        ox.Quad(
            ox.NamedNode(f"{DATASET}#note"), ox.NamedNode(str(VOID.triples)), ox.Literal("1"), extra
        )
    )
    assert compute_stats(Engine(store)).classes[str(cls)] != number


# --- the graph is hidden wherever the data is seen ----------------------------------------


def _lines(data: bytes | None) -> list[bytes]:
    return sorted((data or b"").splitlines())


def _written(engine: Engine, tmp: Path, fmt: str, **where: Any) -> list[bytes]:
    tmp.mkdir(exist_ok=True)
    path = tmp / f"{fmt}-{'-'.join(map(str, where.values()))}"
    write_store(engine.store, REGISTRY_BY_NAME[fmt], path, **where)
    return _lines(path.read_bytes())


REGISTRY_BY_NAME = {f.name: f for f in REGISTRY}

#: Each way the data is seen, as a function of an engine (and a temporary folder).
SURFACES: dict[str, Callable[[Engine, Path], object]] = {
    "graph_iris": lambda e, _: e.graph_iris(),
    "to_rdflib": lambda e, _: _lines(e.to_rdflib().serialize(format="nquads").encode()),
    "store dump": lambda e, _: _lines(e.store.dump(format=ox.RdfFormat.N_QUADS)),
    "quads": lambda e, _: len(e.store),
    "graph_triples": lambda e, _: graph_triples(e.store),
    "count_triples": lambda e, _: count_triples(e.store),
    "dataset dump": lambda e, t: _written(e, t, "nquads"),
    "union dump": lambda e, t: _written(e, t, "ntriples", union=True),
    "graph dump": lambda e, t: _written(e, t, "ntriples", graph="release"),
    "dataset version": lambda e, _: dataset_version(e),
    "void": lambda e, _: to_isomorphic(void_description(e)),
    "stats": lambda e, _: compute_stats(e),
    "every triple": lambda e, _: sorted(map(str, e.query("SELECT * { ?s ?p ?o }"))),
    "every graph": lambda e, _: sorted(map(str, e.query("SELECT DISTINCT ?g { GRAPH ?g {} }"))),
    "every quad": lambda e, _: len(list(e.query("SELECT * { GRAPH ?g { ?s ?p ?o } }"))),
}


@pytest.fixture(scope="module")
def engines(synthetic: Path) -> tuple[Engine, Engine]:
    """The synthetic data loaded without and with the statistics graph."""
    return Engine(load_store([synthetic])), Engine(load_store([synthetic], statistics=True))


@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface_is_as_without_statistics(
    surface: str, engines: tuple[Engine, Engine], tmp_path: Path
) -> None:
    plain, kept = engines
    assert kept.statistics is not None and plain.statistics is None
    seen = SURFACES[surface](kept, tmp_path / "kept")
    assert seen == SURFACES[surface](plain, tmp_path / "plain")
    assert str(STATISTICS) not in str(seen) and "dataset#class-" not in str(seen)


def test_a_query_naming_the_graph_reads_it(engines: tuple[Engine, Engine]) -> None:
    _, kept = engines
    text = "SELECT (COUNT(*) AS ?n) FROM NAMED <{0}> {{ GRAPH <{0}> {{ ?s ?p ?o }} }}"
    (count,) = next(iter(kept.query(text.format(STATISTICS))))
    assert int(count) == len(kept.statistics or ()) > 0  # type: ignore[arg-type]
    default = kept.query("SELECT * {?s ?p ?o}", default_graphs=[STATISTICS])
    assert len(list(default)) == int(count)
    assert str(STATISTICS) in kept.dataset_iris() - kept.graph_iris()


def test_the_graph_is_not_joined_with_data_graphs(engines: tuple[Engine, Engine]) -> None:
    text = f"SELECT * FROM NAMED <{STATISTICS}> FROM NAMED <{graph_iri('release')}> {{}}"
    with pytest.raises(QueryRefused, match="on its own"):
        engines[1].query(text)


def test_an_engine_loaded_from_its_dump_keeps_and_hides_the_graph(
    engines: tuple[Engine, Engine], tmp_path: Path
) -> None:
    """What the query processes of the server get (State.pool writes Engine.dump)."""
    plain, kept = engines
    kept.dump(tmp_path / "data.nq")
    store = ox.Store()
    store.bulk_load(path=tmp_path / "data.nq", format=ox.RdfFormat.N_QUADS)
    copy = Engine(store)
    assert copy.graph_iris() == plain.graph_iris() and len(copy.store) == len(plain.store)
    assert _rows(copy, STORED_STATISTICS.text) == _rows(plain, LIVE_STATISTICS.text)


# --- the server and the CLI ----------------------------------------------------------------

SERVER_PATHS = ["/dumps/", "/dumps/release.nt", "/sparql", "/graph/release", "/graph/statistics"]


@pytest.mark.parametrize("path", SERVER_PATHS)
def test_the_server_serves_the_same_with_statistics(
    path: str, engines: tuple[Engine, Engine], make_app: Callable[..., Flask]
) -> None:
    plain, kept = (make_app(engine=e).test_client() for e in engines)
    headers = {"Accept": "application/n-triples" if path != "/dumps/" else "application/json"}
    seen, expected = kept.get(path, headers=headers), plain.get(path, headers=headers)
    assert (seen.status_code, seen.headers.get("ETag")) == (
        expected.status_code,
        expected.headers.get("ETag"),
    )
    assert _lines(seen.data) == _lines(expected.data)
    assert "dataset#class-" not in seen.text
    if path != "/graph/statistics":  # its 404 page says which graphs there are
        assert str(STATISTICS) not in seen.text


def test_void_is_the_same_with_statistics(
    engines: tuple[Engine, Engine], make_app: Callable[..., Flask]
) -> None:
    graphs = []
    for engine in engines:
        body = (
            make_app(engine=engine)
            .test_client()
            .get("/.well-known/void", headers={"Accept": "text/turtle"})
        )
        graphs.append(to_isomorphic(Graph().parse(data=body.text, format="turtle")))
    assert graphs[0] == graphs[1]


def _csv(client: FlaskClient, text: str) -> str:
    response = client.post("/sparql", data={"query": text}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize("synthetic_data", [False, True], ids=["release", "datagen"])
def test_named_query_13_is_the_live_aggregate_in_the_server(
    synthetic_data: bool, request: pytest.FixtureRequest, make_app: Callable[..., Flask]
) -> None:
    """Served as ``serve --data`` serves, its queries run in the query processes."""
    data = [str(request.getfixturevalue("synthetic"))] if synthetic_data else []
    app = make_app(DATA=data, QUERY_ISOLATION="process", QUERY_PROCESSES=1)
    try:
        client = app.test_client()
        named = client.get("/queries/13-dataset-statistics", headers={"Accept": "text/csv"})
        assert named.status_code == 200, named.text
        live = _csv(client, LIVE_STATISTICS.text)
        assert named.text == live and live.count("\n") > 20
        for hidden in ("SELECT * { ?s ?p ?o }", "SELECT DISTINCT ?g { GRAPH ?g {} }"):
            assert str(STATISTICS) not in _csv(client, hidden)
    finally:
        app.extensions[KEY].close()  # the query processes


@pytest.mark.parametrize("synthetic_data", [False, True], ids=["release", "datagen"])
def test_named_query_13_is_the_live_aggregate_in_the_cli(
    synthetic_data: bool, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data", str(request.getfixturevalue("synthetic"))] if synthetic_data else []
    answers = []
    for query in ("13", str(LIVE_STATISTICS.path)):
        assert cli_main(["query", query, *data, "--format", "csv"]) == 0
        answers.append(capsys.readouterr().out)
    assert answers[0] == answers[1] and answers[0].count("\n") > 20


@pytest.mark.parametrize("synthetic_data", [False, True], ids=["release", "datagen"])
def test_a_peer_is_sent_the_live_aggregate(
    synthetic_data: bool, request: pytest.FixtureRequest
) -> None:
    """bench/peers.py and bench/virtuoso_scale.py send :func:`peer_text` to stores without
    the statistics graph: there it gives named query 13's rows, as our engine gives them."""
    folders = [request.getfixturevalue("synthetic")] if synthetic_data else []
    peer, ours = Engine(load_store(folders)), Engine(load_store(folders, statistics=True))
    sent = peer_text(STORED_STATISTICS.name, STORED_STATISTICS.text)
    assert sent == LIVE_STATISTICS.text
    assert _rows(peer, sent) == _rows(ours, STORED_STATISTICS.text) != []
    assert _rows(peer, STORED_STATISTICS.text) == []  # why the peers need it
    assert peer_text("01-lead-organizations", "SELECT * {}") == "SELECT * {}"
