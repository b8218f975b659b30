"""Nothing we publish holds a blank node (docs/decisions.md, "No blank nodes"): every dump, every
resource document in every RDF format, the graphs, the ontology, the dataset and service
descriptions, and every CONSTRUCT answer of the named queries. Node ids are IRIs, so they are
the same in every export and every run."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from rdflib import BNode, URIRef

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.export import FORMATS, export, graph_names
from dhs_ai_kg.formats import from_media_type
from dhs_ai_kg.loading import load_dataset, union_graph
from dhs_ai_kg.named_queries import load_named_queries
from dhs_ai_kg.namespaces import KG

RDF_SUFFIXES = (".ttl", ".nt", ".jsonld", ".rdf")


def terms(body: bytes, media_type: str) -> Iterator[object]:
    """Every subject, predicate, object and graph name of an RDF document."""
    fmt = from_media_type(media_type, "graph")
    assert fmt is not None and fmt.oxigraph is not None, media_type
    for quad in ox.parse(body, fmt.oxigraph):
        yield from (quad.subject, quad.predicate, quad.object, quad.graph_name)


def blank_nodes(body: bytes, media_type: str) -> list[str]:
    return sorted({str(t) for t in terms(body, media_type) if isinstance(t, ox.BlankNode)})


@pytest.fixture(scope="module")
def dataset():
    return load_dataset()


@pytest.fixture(scope="module")
def resources(dataset) -> list[str]:
    """Our resource IRIs (not their parts, which resolve to their resource's document)."""
    subjects = {str(s) for s in union_graph(dataset).subjects() if isinstance(s, URIRef)}
    return sorted(s for s in subjects if s.startswith(str(KG)) and "#" not in s)


def published(client, resources: list[str]) -> Iterator[tuple[str, str]]:
    """(path, Accept) of every RDF document the server publishes."""
    rdf_types = {fmt.media_type for fmt in FORMATS.values()}
    for dump in client.get("/dumps/").get_json():
        if dump["mediaType"] in rdf_types:  # property graphs: see the test below
            yield dump["url"], "*/*"
    for name in ("release", "provenance", "links", "metadata"):
        yield from ((f"/graph/{name}{s}", "*/*") for s in RDF_SUFFIXES)
    yield from ((f"/ontology{s}", "*/*") for s in RDF_SUFFIXES)
    yield from ((f"/.well-known/void{s}", "*/*") for s in RDF_SUFFIXES)
    yield "/sparql", "text/turtle"
    for iri in resources:
        path = "/id/" + iri[len(str(KG)) :]
        yield from ((f"{path}{s}", "*/*") for s in RDF_SUFFIXES)


def test_no_published_document_holds_a_blank_node(client, resources):
    checked, found = 0, {}
    for path, accept in published(client, resources):
        response = client.get(path, headers={"Accept": accept})
        if response.status_code == 404 and path.startswith("/graph/"):
            continue  # an empty graph is not published
        assert response.status_code == 200, path
        checked += 1
        if blank := blank_nodes(response.data, response.mimetype):
            found[path] = blank[:3]
    assert checked > 4 * len(resources) > 400
    assert found == {}


def test_no_construct_answer_of_a_named_query_holds_a_blank_node(dataset, resources):
    engine = Engine.from_dataset(dataset)
    answered, found = 0, {}
    for query in load_named_queries().values():
        required = [p for p in query.parameters if p.required]
        assert all(p.type in ("iri", "term") for p in required), f"{query.name}: a value to try"
        for iri in resources if required else [""]:
            result = engine.query(query.text, query.bind({p.name: iri for p in required}))
            if result.kind != "graph":
                break
            triples = list(result)
            answered += bool(triples)
            blank = [t for t in triples if any(isinstance(x, BNode) for x in t)]
            if blank:
                found[f"{query.name} {iri}"] = blank[:3]
    assert answered > 0  # some named query is a CONSTRUCT with answers
    assert found == {}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_exports_are_the_same_from_run_to_run(fmt):
    first, second = load_dataset(), load_dataset()
    for graph in [None, *graph_names(first)]:
        if graph is None and not FORMATS[fmt].datasets:
            a, b = export(first, fmt, union=True), export(second, fmt, union=True)
        else:
            a, b = export(first, fmt, graph), export(second, fmt, graph)
        if fmt == "xml":  # rdflib writes RDF/XML subjects in set order: same nodes, then
            media = FORMATS[fmt].media_type
            a_nodes = {str(t) for t in terms(a.encode(), media) if isinstance(t, ox.NamedNode)}
            b_nodes = {str(t) for t in terms(b.encode(), media) if isinstance(t, ox.NamedNode)}
            assert a_nodes == b_nodes and not blank_nodes(a.encode(), media)
        else:
            assert a == b, (fmt, graph)


def test_no_property_graph_node_is_a_blank_node():
    # The property-graph dumps are made from the same dataset: every node id is an IRI.
    from dhs_ai_kg.property_graph import property_graph

    graph = property_graph(load_dataset())
    assert graph.number_of_nodes() > 0
    assert [n for n in graph.nodes if not str(n).startswith(("http://", "https://"))] == []
