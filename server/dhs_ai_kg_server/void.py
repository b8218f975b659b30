"""The dataset description, VoID and DCAT, at ``/.well-known/void`` (the dataset IRI
``/dataset`` redirects there).

Made from the graph: the hand-written metadata graph (title, licence, vocabularies, subsets),
plus the counts of ``dhs_ai_kg.stats.void_description`` — triples, entities, classes,
properties, class and property partitions, triples per named graph, a ``void:Linkset`` per
external dataset — plus the SPARQL endpoint and every dump of :mod:`.dumps` as a
``dcat:Distribution`` with media type, byte size and SHA-256 checksum. The counted part is
computed once per app; the URLs follow the host serving it (or ``PUBLIC_BASE``).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template
from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS
from rdflib.term import Node
from werkzeug.wrappers import Response as BaseResponse

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import bind_prefixes
from dhs_ai_kg.namespaces import DATASET, GRAPH, VOID
from dhs_ai_kg.stats import void_description

from .dumps import Dump, current_dumps
from .linked_data import (
    HTML,
    SUFFIXES,
    TermView,
    alternates,
    negotiate,
    public_url,
    view,
    with_alternates,
)
from .sparql import current_engine
from .state import state

bp = Blueprint("void", __name__)

SPDX = Namespace("http://spdx.org/rdf/terms#")
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

_RDFLIB_NAMES = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "xml": "xml"}
_KEY = "dhs_ai_kg.void"


def _distribution(graph: Graph, owner: URIRef, dump: Dump) -> None:
    dist = URIRef(f"{DATASET}#dump-{dump.filename}")
    url = URIRef(public_url(dump.path))
    what = "the whole dataset" if dump.graph is None else f"the {dump.graph} graph"
    graph.add((owner, DCAT.distribution, dist))
    graph.add((owner, VOID.dataDump, url))
    graph.add((dist, RDF.type, DCAT.Distribution))
    graph.add((dist, DCTERMS.title, Literal(f"{what} as {dump.format.label}", lang="en")))
    graph.add((dist, DCAT.mediaType, URIRef(IANA_MEDIA_TYPES + dump.format.media_type)))
    graph.add((dist, DCAT.byteSize, Literal(dump.size, datatype=XSD.nonNegativeInteger)))
    graph.add((dist, DCAT.downloadURL, url))
    graph.add((dist, DCAT.accessURL, url))
    checksum = BNode(f"checksum-{dump.filename}")
    graph.add((dist, SPDX.checksum, checksum))
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))


def counted(engine: Engine) -> Graph:
    """The counted part of the description, computed once per app (the data never changes)."""
    return state().cached(_KEY, lambda: void_description(engine))


def description(engine: Engine, dumps: dict[str, Dump]) -> Graph:
    """The full description: the counted part, the endpoint, and every dump."""
    graph = bind_prefixes(Graph())
    graph.bind("spdx", SPDX)
    for triple in counted(engine):
        graph.add(triple)
    endpoint = URIRef(public_url("/sparql"))
    graph.add((DATASET, VOID.sparqlEndpoint, endpoint))
    service = BNode("sparql-service")
    graph.add((DATASET, DCAT.accessService, service))
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCAT.endpointURL, endpoint))
    graph.add((service, DCAT.servesDataset, DATASET))
    for dump in dumps.values():
        owner = DATASET if dump.graph is None else URIRef(GRAPH[dump.graph])
        if dump.graph is not None:
            graph.add((owner, RDF.type, DCAT.Dataset))
        _distribution(graph, owner, dump)
    return graph


@bp.get("/.well-known/void")
@bp.get("/.well-known/void<any('.ttl','.nt','.jsonld','.rdf','.html'):suffix>")
def well_known_void(suffix: str = "") -> Response:
    """The dataset description as RDF (Turtle first) by ``Accept`` or suffix; HTML for browsers."""
    fmt = negotiate(SUFFIXES.get(suffix))
    graph = description(current_engine(), current_dumps())
    path = "/.well-known/void"
    if fmt is HTML:
        body = render_template(
            "void.html", alternates=alternates(path), **summary(graph, current_dumps())
        )
        return with_alternates(Response(body, 200, content_type="text/html; charset=utf-8"), path)
    data = graph.serialize(format=_RDFLIB_NAMES[fmt.name])
    return with_alternates(Response(data, 200, content_type=fmt.content_type), path)


def _int(graph: Graph, subject: Node, predicate: URIRef) -> int | None:
    value = graph.value(subject, predicate)
    return int(value) if isinstance(value, Literal) else None


def summary(graph: Graph, dumps: dict[str, Dump]) -> dict[str, object]:
    """What the HTML page of the description shows, read from the description graph."""
    totals = {
        name: _int(graph, DATASET, VOID[name])
        for name in ("triples", "entities", "distinctSubjects", "distinctObjects")
    }
    totals |= {name: _int(graph, DATASET, VOID[name]) for name in ("classes", "properties")}
    subsets = [
        {
            "graph": view(subset),
            "title": graph.value(subset, DCTERMS.title),
            "triples": _int(graph, subset, VOID.triples),
        }
        for subset in sorted(graph.objects(DATASET, VOID.subset), key=str)
        if (subset, RDF.type, VOID.Linkset) not in graph
    ]
    linksets = [
        {
            "target": view(graph.value(linkset, VOID.objectsTarget)),
            "triples": _int(graph, linkset, VOID.triples),
            "predicates": [
                view(p) for p in sorted(graph.objects(linkset, VOID.linkPredicate), key=str)
            ],
        }
        for linkset in sorted(graph.subjects(RDF.type, VOID.Linkset), key=str)
    ]

    def partitions(link: URIRef, key: URIRef, count: URIRef) -> list[tuple[TermView, int]]:
        rows = [
            (view(graph.value(part, key)), _int(graph, part, count) or 0)
            for part in graph.objects(DATASET, link)
        ]
        return sorted(rows, key=lambda row: (-row[1], row[0].text))

    return {
        "title": graph.value(DATASET, DCTERMS.title),
        "description": graph.value(DATASET, DCTERMS.description),
        "license": graph.value(DATASET, DCTERMS.license),
        "endpoint": graph.value(DATASET, VOID.sparqlEndpoint),
        "totals": totals,
        "subsets": subsets,
        "linksets": linksets,
        "classes": partitions(VOID.classPartition, VOID["class"], VOID.entities),
        "properties": partitions(VOID.propertyPartition, VOID.property, VOID.triples),
        "dumps": list(dumps.values()),
    }


@bp.get("/dataset")
def dataset() -> BaseResponse:
    """The dataset's IRI resolves to its description (303 See Other)."""
    return redirect("/.well-known/void", 303)
