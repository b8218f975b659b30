"""The JSON-LD context (``ontology/context.jsonld``): terms for every property and class of the
data, only prefixes that are used, coercions the data obeys; embedded in the JSON-LD exports,
which round-trip in rdflib and pyoxigraph with no network; served at ``/context.jsonld``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from dhs_ai_kg.export import export, graph_names, jsonld_context
from dhs_ai_kg.loading import load_dataset, parse_turtle, union_graph
from dhs_ai_kg.resources import context_file, ontology_file

KEYWORDS = {"@id", "@type", "@graph", "@value", "@language", "@list", "@set"}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset()


@pytest.fixture(scope="module")
def context() -> dict:
    return jsonld_context()


def prefixes(context: dict) -> dict[str, str]:
    return {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("/", "#"))}


def expand(context: dict, compact: str) -> str:
    prefix, _, local = compact.partition(":")
    return prefixes(context)[prefix] + local


def terms(context: dict) -> Iterator[tuple[str, str, dict]]:
    """(term, expanded IRI, definition) of every term that is not a prefix."""
    for key, value in context.items():
        if key in prefixes(context):
            continue
        definition = value if isinstance(value, dict) else {"@id": value}
        yield key, expand(context, definition["@id"]), definition


def test_every_property_and_class_of_the_data_has_a_term(dataset, context):
    union = union_graph(dataset)
    used = {p for p in union.predicates() if p != RDF.type} | set(union.objects(None, RDF.type))
    named = {iri for _, iri, _ in terms(context)}
    assert used and sorted(str(t) for t in used - {URIRef(i) for i in named}) == []


def test_every_term_of_the_ontology_has_a_term(context):
    ontology = parse_turtle(ontology_file())
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    ours = {str(t) for kind in kinds for t in ontology.subjects(RDF.type, kind)}
    assert len(ours) > 50
    assert sorted(ours - {iri for _, iri, _ in terms(context)}) == []


def test_coercions_follow_the_ontology_and_the_data_obeys_them(dataset, context):
    ontology = parse_turtle(ontology_file())
    union = union_graph(dataset)
    for term, iri, definition in terms(context):
        kind = ontology.value(URIRef(iri), RDF.type)
        if kind == OWL.ObjectProperty:
            assert definition.get("@type") == "@id", term
        rng = ontology.value(URIRef(iri), RDFS.range)
        if kind == OWL.DatatypeProperty and rng is not None:
            assert expand(context, definition["@type"]) == str(rng), term
        values = list(union.objects(None, URIRef(iri)))
        if definition.get("@type") == "@id":
            assert values and all(isinstance(v, URIRef) for v in values), term
        elif "@type" in definition:
            datatype = expand(context, definition["@type"])
            assert all(isinstance(v, Literal) and str(v.datatype) == datatype for v in values)
        elif "@language" in definition:
            language = definition["@language"]
            assert all(isinstance(v, Literal) and v.language == language for v in values), term


def test_every_prefix_of_the_context_is_used(dataset, context):
    mentioned = {
        value.partition(":")[0]
        for _, _, definition in terms(context)
        for value in (definition["@id"], definition.get("@type", ""))
        if ":" in value
    }
    iris = {str(t) for q in dataset.quads() for t in q[:3] if isinstance(t, URIRef)}
    for prefix, namespace in prefixes(context).items():
        assert prefix in mentioned or any(i.startswith(namespace) for i in iris), prefix


def test_terms_and_prefixes_name_one_iri_each(context):
    iris = [iri for _, iri, _ in terms(context)]
    assert len(iris) == len(set(iris))
    assert len(set(prefixes(context).values())) == len(prefixes(context))


def exports(dataset: Dataset) -> Iterator[tuple[str | None, str]]:
    yield None, export(dataset, "jsonld")
    for name in graph_names(dataset):
        yield name, export(dataset, "jsonld", name)


def node_keys(node: object) -> Iterator[str]:
    """Every key of the node objects under ``node``."""
    if isinstance(node, dict):
        yield from node
        for value in node.values():
            yield from node_keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from node_keys(item)


def test_the_json_ld_exports_embed_the_context_and_use_its_terms(dataset, context):
    names = {term for term, _, _ in terms(context)}
    for _, text in exports(dataset):
        document = json.loads(text)
        assert document["@context"] == context  # embedded: no fetch needed to read it
        keys = set(node_keys(document["@graph"]))
        assert keys and keys <= KEYWORDS | names, sorted(keys - KEYWORDS - names)


def test_the_json_ld_exports_round_trip_in_rdflib_and_pyoxigraph(dataset):
    for name, text in exports(dataset):
        if name is None:
            expected = {
                (s, p, o, str(g)) for s, p, o, g in dataset.quads() if len(dataset.graph(g))
            }
            parsed = Dataset().parse(data=text, format="json-ld")
            assert {(s, p, o, str(g)) for s, p, o, g in parsed.quads()} == expected
            store = ox.Store()
            store.load(text.encode(), ox.RdfFormat.JSON_LD)
            trig = ox.Store()
            trig.load(export(dataset, "nquads").encode(), ox.RdfFormat.N_QUADS)
            assert set(store) == set(trig)
        else:
            graph = Graph().parse(data=text, format="json-ld")
            original = dataset.graph(URIRef(f"https://w3id.org/dhs-ai-kg/graph/{name}"))
            assert isomorphic(graph, original), name
            triples = list(ox.parse(text.encode(), ox.RdfFormat.JSON_LD))
            assert len(set(triples)) == len(original), name


def test_the_context_is_served_for_reuse(client):
    response = client.get("/context.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.data == context_file().read_bytes()
    assert "@context" in json.loads(response.data)
