"""The format registry (dhs_ai_kg.formats): its entries are true to the W3C, rdflib and
pyoxigraph, every other format table is a view of it, and a new format is one entry."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from dhs_ai_kg_cli import EXPORT_FORMATS, QUERY_FORMATS
from dhs_ai_kg_server import derived, negotiation, service_description
from rdflib import Dataset, Graph, Literal, URIRef, plugin
from rdflib.namespace import RDFS
from rdflib.parser import Parser
from rdflib.query import ResultParser, ResultSerializer
from rdflib.serializer import Serializer

from dhs_ai_kg import engine, export
from dhs_ai_kg.formats import REGISTRY, Format, by_name, from_extension, from_media_type

HERE = Path(__file__).parent
RDF = [f for f in REGISTRY if f.kind == "graph"]
RESULTS = [f for f in REGISTRY if f.kind == "results"]
#: Where pyoxigraph 0.5 differs from the W3C list: it names JSON-LD
#: ``https://www.w3.org/ns/formats/data/JSON-LD``, an IRI the W3C page does not list.
OXIGRAPH_IRI_DIFFERS = {"http://www.w3.org/ns/formats/JSON-LD"}


def _w3c_iris() -> set[str]:
    lines = (HERE / "expected" / "w3c-formats.txt").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _id(fmt: Format) -> str:
    return f"{fmt.kind}-{fmt.name}"


@pytest.mark.parametrize("fmt", REGISTRY, ids=_id)
def test_each_format_agrees_with_the_w3c_and_pyoxigraph(fmt):
    assert fmt.iri in _w3c_iris()
    ox_format = fmt.oxigraph
    assert ox_format is not None
    if fmt.iri not in OXIGRAPH_IRI_DIFFERS:
        assert fmt.iri == ox_format.iri
    assert fmt.media_type == ox_format.media_type.split(";")[0]
    assert fmt.extension == "." + ox_format.file_extension
    if fmt.kind == "graph":
        assert fmt.datasets == ox_format.supports_datasets


def test_the_pyoxigraph_difference_is_still_there():
    """The known gap above is real: drop it from the list when pyoxigraph agrees."""
    jsonld = by_name("jsonld", "graph")
    assert jsonld is not None and jsonld.oxigraph is not None
    assert jsonld.oxigraph.iri != jsonld.iri


@pytest.mark.parametrize("fmt", RDF, ids=_id)
def test_each_rdf_format_round_trips_through_its_rdflib_names(fmt):
    triple = (URIRef("https://example.org/s"), RDFS.label, Literal("s", lang="en"))
    source: Graph | Dataset = Dataset() if fmt.datasets else Graph()
    target = source.graph(URIRef("https://example.org/g")) if fmt.datasets else source
    target.add(triple)
    plugin.get(fmt.rdflib_serializer, Serializer)
    plugin.get(fmt.rdflib_parser, Parser)
    text = source.serialize(format=fmt.rdflib_serializer)
    parsed = Dataset().parse(data=text, format=fmt.rdflib_parser)
    assert {(s, p, o) for s, p, o, _ in parsed.quads()} == {triple}


@pytest.mark.parametrize("fmt", RESULTS, ids=_id)
def test_each_results_format_names_rdflib_plugins_that_exist(fmt):
    plugin.get(fmt.rdflib_parser, ResultParser)
    if fmt.rdflib_serializer is not None:
        plugin.get(fmt.rdflib_serializer, ResultSerializer)


def test_names_aliases_and_media_types_pick_one_format():
    for kind in ("graph", "results"):
        names = [f.name for f in REGISTRY if f.kind == kind]
        assert len(names) == len(set(names)), kind
    aliases = [a for f in REGISTRY for a in f.aliases]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & {f.name for f in REGISTRY}
    canonical = [f.media_type for f in REGISTRY]
    assert len(canonical) == len(set(canonical))
    for fmt in REGISTRY:
        for spelling in fmt.names:
            assert by_name(spelling.upper(), fmt.kind) is fmt
        assert from_media_type(fmt.media_type + "; charset=utf-8") is fmt
        assert from_extension(fmt.extension.lstrip("."), fmt.kind) is fmt
    assert by_name("xml", "results").label == "SPARQL XML"
    assert by_name("xml", "graph").label == "RDF/XML"
    assert from_media_type("application/json", "graph").name == "jsonld"
    assert by_name("nope") is None and from_media_type("text/html") is None


def test_every_table_is_a_view_of_the_registry():
    assert list(export.FORMATS.values()) == sorted(RDF, key=lambda f: (not f.datasets, f.one_graph))
    assert list(engine.RESULTS_FORMATS.values()) == RESULTS
    assert list(engine.CONSTRUCT_FORMATS.values()) == RDF
    assert list(engine.GRAPH_FORMATS.values()) == [f for f in RDF if f.one_graph]
    assert set(derived.DATASET_FORMATS) == {f.name for f in RDF if f.datasets}
    assert set(derived.GRAPH_FORMATS) == {f.name for f in RDF if f.one_graph}
    assert {a: f.media_type for f in REGISTRY for a in f.aliases} == negotiation.FORMAT_ALIASES
    assert set(service_description.FORMAT_IRIS.values()) == {URIRef(f.iri) for f in REGISTRY}
    assert {n for f in REGISTRY for n in f.names} <= set(QUERY_FORMATS)
    assert {n for f in RDF for n in f.names} == set(EXPORT_FORMATS)


def test_a_new_format_is_one_entry_in_the_registry():
    """N3 added to the registry alone reaches export, the engine, the CLI, negotiation, the
    dumps and the service description (in a fresh interpreter, so no module is reloaded)."""
    probe = subprocess.run(
        [sys.executable, str(HERE / "new_format_probe.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(probe.stdout)
    assert "n3" in seen["export"] and "n3" in seen["construct"] and "n3" in seen["graph"]
    assert {"n3", "notation3"} <= set(seen["cli_query"]) & set(seen["cli_export"])
    assert seen["aliases"]["notation3"] == "text/n3"
    assert "g.n3" in seen["dumps"]
    assert "http://www.w3.org/ns/formats/N3" in seen["result_formats"]
    assert seen["answer"] == [200, "text/n3", 1]
    assert seen["by_alias"] == [200, "text/n3"]
    assert seen["exported"] == 1


@pytest.mark.parametrize("fmt", REGISTRY, ids=_id)
def test_each_format_pickles(fmt):
    """Answers carry their format from the query process to the worker, pickled."""
    again = pickle.loads(pickle.dumps(fmt))
    assert again == fmt and again.oxigraph == fmt.oxigraph
