"""The query engine: bindings, graphs, result formats, typed errors and the safety guards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engines import fixture_dataset
from listener import Listener
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import RDFS, XSD

from dhs_ai_kg.engine import (
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    Engine,
    Limits,
    QueryBindingError,
    QueryError,
    QueryRefused,
    QuerySyntaxError,
    QueryTooComplex,
    from_ox,
    to_ox,
)
from dhs_ai_kg.export import FORMATS as EXPORT_FORMATS
from dhs_ai_kg.namespaces import KG, graph_iri
from dhs_ai_kg.sparql_guard import scan

FIXTURES = Path(__file__).parent / "fixtures" / "engine"
ALPHA, BETA = KG["org/alpha"], KG["org/beta"]


LABELS = "SELECT ?org ?label WHERE { ?org rdfs:label ?label }"


def test_copies_every_quad_and_gives_them_back_to_rdflib(engine: Engine):
    assert len(engine.store) == len(fixture_dataset())
    copy = engine.to_rdflib()
    assert isinstance(copy, Dataset) and len(copy) == len(fixture_dataset())
    assert {g.identifier for g in copy.graphs() if len(g)} == {
        g.identifier for g in fixture_dataset().graphs() if len(g)
    }
    assert not hasattr(engine, "dataset")  # the engine keeps one copy: the store


def test_default_graph_is_the_union_of_named_graphs(engine: Engine):
    result = engine.query("SELECT ?o WHERE { ?s owl:sameAs ?o . ?s rdfs:label ?l }")
    assert [row[0] for row in result] == [URIRef("http://www.wikidata.org/entity/Q1")]


def test_default_graphs_narrow_the_default_graph(engine: Engine):
    query = "ASK { ?s owl:sameAs ?o }"
    assert engine.query(query, default_graphs=[graph_iri("links")]).boolean is True
    assert engine.query(query, default_graphs=[graph_iri("release")]).boolean is False


def test_named_graphs_restrict_graph_patterns(engine: Engine):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert {r[0] for r in engine.query(query)} == {graph_iri("links"), graph_iri("release")}
    only = engine.query(query, named_graphs=[graph_iri("links")])
    assert {r[0] for r in only} == {graph_iri("links")}


def test_binding_restricts_and_stays_in_the_results(engine: Engine):
    result = engine.query(LABELS, {"org": ALPHA})
    assert result.variables == ["org", "label"]
    assert list(result) == [(ALPHA, Literal("Alpha"))]
    data = json.loads(result.serialize("json"))
    assert data["head"]["vars"] == ["org", "label"]
    assert data["results"]["bindings"][0]["org"] == {"type": "uri", "value": str(ALPHA)}


def test_binding_with_select_star_and_question_mark_names(engine: Engine):
    result = engine.query("SELECT * WHERE { ?org rdfs:label ?label }", {"?org": BETA})
    assert dict(zip(result.variables, next(iter(result)), strict=True)) == {
        "org": BETA,
        "label": Literal("Beta", lang="en"),
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Literal(12), [ALPHA]),
        (Literal("12", datatype=XSD.integer), [ALPHA]),
        (Literal(3), [BETA]),
        (Literal(4), []),
    ],
)
def test_typed_literal_bindings(engine: Engine, value: Literal, expected: list[URIRef]):
    query = "SELECT ?org ?n WHERE { ?org ex:members ?n }"
    engine_ex = Engine(engine.store, prefixes={"ex": "http://example.org/"})
    assert [row[0] for row in engine_ex.query(query, {"n": value})] == expected


def test_binding_in_ask_and_construct(engine: Engine):
    assert engine.query("ASK { ?org rdfs:label 'Alpha' }", {"org": ALPHA}).boolean is True
    assert engine.query("ASK { ?org rdfs:label 'Alpha' }", {"org": BETA}).boolean is False
    graph = engine.query("CONSTRUCT WHERE { ?org rdfs:label ?l }", {"org": BETA})
    assert list(graph) == [(BETA, RDFS.label, Literal("Beta", lang="en"))]


def test_binding_a_variable_the_select_does_not_project_is_a_typed_error(engine: Engine):
    with pytest.raises(QueryBindingError, match=r"\?org"):
        engine.query("SELECT ?label WHERE { ?org rdfs:label ?label }", {"org": ALPHA})


def test_binding_must_be_a_term(engine: Engine):
    with pytest.raises(TypeError):
        engine.query(LABELS, {"org": "not a term"})  # type: ignore[dict-item]


def test_terms_round_trip():
    for term in (ALPHA, BNode("b1"), Literal("x"), Literal("x", lang="fr"), Literal(1.5)):
        assert from_ox(to_ox(term)) == term


def test_rows_can_be_read_and_serialized_repeatedly(engine: Engine):
    result = engine.query(LABELS + " ORDER BY ?label")
    first = list(result)
    assert list(result) == first
    csv = result.serialize("csv").decode()
    assert csv.splitlines()[0] == "org,label" and len(csv.splitlines()) == 3
    assert list(result) == first


@pytest.mark.parametrize("fmt", list(RESULTS_FORMATS))
def test_select_and_ask_serialize_in_every_results_format(engine: Engine, fmt: str):
    assert "Alpha" in engine.query(LABELS).serialize(fmt).decode()
    assert "true" in engine.query("ASK { ?s ?p ?o }").serialize(fmt).decode()


@pytest.mark.parametrize("fmt", list(GRAPH_FORMATS))
def test_graph_serializes_in_every_graph_format_and_parses_back(engine: Engine, fmt: str):
    from rdflib import Graph

    result = engine.query("CONSTRUCT WHERE { ?s rdfs:label ?l }")
    data = result.serialize(fmt)
    parsed = Graph().parse(data=data, format=EXPORT_FORMATS[fmt].rdflib_parser)
    assert set(parsed) == set(result)


def test_wrong_format_for_the_kind(engine: Engine):
    with pytest.raises(ValueError, match="turtle"):
        engine.query(LABELS).serialize("turtle")


def test_format_tables_share_the_export_table():
    for name, fmt in GRAPH_FORMATS.items():
        assert (fmt.media_type, fmt.extension) == (
            EXPORT_FORMATS[name].media_type,
            EXPORT_FORMATS[name].extension,
        )
    assert RESULTS_FORMATS["json"].content_type == (
        "application/sparql-results+json; charset=utf-8"
    )


def test_syntax_error_carries_the_parser_message(engine: Engine):
    with pytest.raises(QuerySyntaxError) as caught:
        engine.query("SELECT ?x WHERE {\n  ?x ?y")
    assert str(caught.value).startswith("error at 2:")
    assert caught.value.line == 2 and caught.value.column is not None


@pytest.mark.parametrize(
    "query",
    [
        "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "CLEAR ALL",
        "SELECT * WHERE { ?s ?p ?o } ; drop all",
    ],
)
def test_updates_are_refused(engine: Engine, query: str):
    with pytest.raises(QueryRefused, match="read-only"):
        engine.query(query)


# --- the lexer ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
        "select * where { service silent <http://x/> { ?s ?p ?o } }",
        "SELECT*WHERE{SERVICE?x{?s ?p ?o}}",
        "SELECT * WHERE { SERVICESILENT<http://x/> { ?s ?p ?o } }",  # Oxigraph parses this
        "PREFIX : <http://x/> SELECT * WHERE { SERVICE:y { ?s ?p ?o } }",  # and this
        "SELECT * WHERE { ?s ?p 'a' . # comment\n SERVICE <http://x/> {} }",
    ],
)
def test_lexer_finds_service(query: str):
    assert scan(query).outbound == ("SERVICE",)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p 'SERVICE <http://x/> {}' }",
        'SELECT * WHERE { ?s ?p """multi\nline SERVICE""" }',
        "SELECT * WHERE { ?s ?p '''it''s SERVICE''' }",
        "SELECT * WHERE { ?s ?p 'esc\\' SERVICE' }",
        "SELECT * WHERE { ?s <http://x/SERVICE> ?o } # SERVICE <http://x/> {}",
        "SELECT ?service ?load WHERE { ?service ex:service ?load ; ex:insert ?o }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o < ?s && ?s > 2) }",
        "SELECT * WHERE { ?s ?p 'x'@en } ",
    ],
)
def test_lexer_skips_strings_iris_comments_and_names(query: str):
    assert scan(query).keywords == ()


def test_lexer_measures_depth_and_paths():
    assert scan("SELECT * WHERE { { ?s ?p ?o FILTER((1)) } }").depth == 4
    assert scan("SELECT * WHERE { ?s ex:a/ex:b/ex:c ?o . ?s ex:a|ex:b ?o }").path_steps == 2
    assert scan("SELECT * WHERE { ?s ?p '{{{{{' }").depth == 1


def test_the_listener_does_see_a_service_request_without_the_guard(listener: Listener):
    """Control: pyoxigraph itself really sends the request (so the next test means something)."""
    import pyoxigraph as ox

    result = ox.Store().query(f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}x> {{}} }}")
    list(result)  # type: ignore[arg-type]
    assert [method for method, _ in listener.requests] == ["POST"]


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}x> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <{url}x> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICESILENT<{url}x>{{}} }}",
        "PREFIX : <{url}> SELECT * WHERE {{ SERVICE:x {{}} }}",
        "LOAD <{url}data.ttl>",
    ],
)
def test_outbound_queries_are_refused_before_any_request(
    engine: Engine, listener: Listener, template: str
):
    with pytest.raises(QueryRefused):
        engine.query(template.format(url=listener.url))
    assert listener.requests == []


def test_from_and_from_named_fetch_nothing(engine: Engine, listener: Listener):
    assert list(engine.query(f"SELECT * FROM <{listener.url}g> WHERE {{ ?s ?p ?o }}")) == []
    named = f"SELECT * FROM NAMED <{listener.url}g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert list(engine.query(named)) == []
    assert listener.requests == []


def test_from_selects_a_graph_of_the_store(engine: Engine):
    query = f"SELECT ?o FROM <{graph_iri('links')}> WHERE {{ ?s ?p ?o }}"
    assert [r[0] for r in engine.query(query)] == [URIRef("http://www.wikidata.org/entity/Q1")]


def test_deep_nesting_is_refused_before_parsing(engine: Engine):
    # 3,000 nested groups crash pyoxigraph 0.5.13 with SIGSEGV: reaching the parser would
    # kill this test process.
    deep = "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000
    with pytest.raises(QueryTooComplex, match="3000 levels"):
        engine.query(deep)
    parens = "SELECT * WHERE { FILTER(" + "(" * 20000 + "1" + ")" * 20000 + ") }"
    with pytest.raises(QueryTooComplex):
        engine.query(parens)


def test_long_paths_are_refused(engine: Engine):
    path = "/".join(["rdfs:label"] * 1000)
    with pytest.raises(QueryTooComplex, match="path"):
        engine.query(f"SELECT * WHERE {{ ?s {path} ?o }}")


def test_limits_are_configurable():
    small = Engine(Engine.from_dataset(fixture_dataset()).store, limits=Limits(max_depth=2))
    assert small.query("ASK { ?s ?p ?o }").boolean is True
    with pytest.raises(QueryTooComplex):
        small.query("ASK { { { ?s ?p ?o } } }")


def test_every_error_is_a_query_error():
    for cls in (QuerySyntaxError, QueryRefused, QueryTooComplex, QueryBindingError):
        assert issubclass(cls, QueryError)
