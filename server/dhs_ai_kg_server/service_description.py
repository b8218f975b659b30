"""The SPARQL 1.1 Service Description of ``/sparql``: a Turtle template filled in with rdflib.

The template (``data/service-description.ttl``) holds the fixed shape with relative IRIs;
parsing it with the endpoint's URL as base puts the service where the client reached it. The
parts known only at run time are added here: a ``sd:resultFormat`` per format the endpoint
writes, a ``sd:namedGraph`` per graph of the dataset with its triple count, the default
graph's triple count, and the optional language and feature the app's config switches on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, XSD

from dhs_ai_kg.engine import CONSTRUCT_FORMATS, RESULTS_FORMATS, OutputFormat
from dhs_ai_kg.formats import REGISTRY
from dhs_ai_kg.loading import bind_prefixes

__all__ = ["FORMAT_IRIS", "TEMPLATE", "DatasetCounts", "count", "serialize", "service_description"]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
W3C_FORMATS = Namespace("http://www.w3.org/ns/formats/")

TEMPLATE = Path(__file__).parent / "data" / "service-description.ttl"

#: The W3C format IRI (https://www.w3.org/ns/formats/) of each answer format, by kind and name.
FORMAT_IRIS: dict[tuple[str, str], URIRef] = {(f.kind, f.name): URIRef(f.iri) for f in REGISTRY}


@dataclass(frozen=True)
class DatasetCounts:
    """Triples in the (union) default graph and in each named graph, by graph IRI."""

    default_triples: int
    named: tuple[tuple[URIRef, int], ...]


def count(dataset: Dataset) -> DatasetCounts:
    """The triple counts the service description states, read once from ``dataset``."""
    union: set[tuple[object, object, object]] = set()
    named: list[tuple[URIRef, int]] = []
    for graph in dataset.graphs():
        if graph.identifier == DATASET_DEFAULT_GRAPH_ID or not len(graph):
            continue
        union.update(graph)
        named.append((URIRef(str(graph.identifier)), len(graph)))
    return DatasetCounts(len(union), tuple(sorted(named)))


def _formats() -> Sequence[OutputFormat]:
    return [*RESULTS_FORMATS.values(), *CONSTRUCT_FORMATS.values()]


def service_description(
    endpoint: str,
    counts: DatasetCounts,
    *,
    federated: bool = False,
    formats: Sequence[OutputFormat] | None = None,
) -> Graph:
    """The description of the endpoint at ``endpoint`` (an absolute URL) as an rdflib graph."""
    graph = bind_prefixes(Graph())
    graph.parse(TEMPLATE, format="turtle", publicID=endpoint)
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("formats", W3C_FORMATS)
    service = URIRef(endpoint + "#service")
    for fmt in formats if formats is not None else _formats():
        iri = FORMAT_IRIS.get((fmt.kind, fmt.name))
        if iri is not None:
            graph.add((service, SD.resultFormat, iri))
    if federated:
        graph.add((service, SD.feature, SD.BasicFederatedQuery))
    default_graph = URIRef(endpoint + "#default-graph")
    graph.add((default_graph, VOID.triples, Literal(counts.default_triples, datatype=XSD.integer)))
    dataset = URIRef(endpoint + "#dataset")
    for name, triples in counts.named:
        local = str(name).rsplit("/", 1)[-1]
        named = URIRef(f"{endpoint}#named-graph-{local}")
        described = URIRef(f"{endpoint}#graph-{local}")
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, name))
        graph.add((named, SD.graph, described))
        graph.add((described, RDF.type, SD.Graph))
        graph.add((described, VOID.triples, Literal(triples, datatype=XSD.integer)))
    return graph


def serialize(graph: Graph, fmt: OutputFormat) -> bytes:
    """``graph`` as bytes in ``fmt`` (Turtle, N-Triples, JSON-LD or RDF/XML)."""
    if fmt.name == "jsonld":
        context = {p: str(ns) for p, ns in graph.namespaces() if p in _JSONLD_PREFIXES}
        return graph.serialize(format="json-ld", context=context, encoding="utf-8")
    return graph.serialize(format=fmt.rdflib_serializer or fmt.name, encoding="utf-8")


_JSONLD_PREFIXES = ("sd", "void", "rdfs", "dcterms", "formats")
