"""The dataset description, VoID and DCAT, at ``/.well-known/void`` (the dataset IRI
``/dataset`` redirects there).

Made from the graph: the hand-written metadata graph (title, licence, vocabularies, subsets),
plus the counts of ``dhs_ai_kg.stats.void_description`` — triples, entities, classes,
properties, class and property partitions, triples per named graph, a ``void:Linkset`` per
external dataset — plus the SPARQL endpoint and every dump of :mod:`.dumps` as a
``dcat:Distribution`` with media type, byte size and SHA-256 checksum; built by
:func:`.derived.void_graph` (the counted part once per app; the URLs follow the host serving it,
or ``PUBLIC_BASE``). This module serves it and makes its HTML page.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node
from werkzeug.wrappers import Response as BaseResponse

from dhs_ai_kg.namespaces import DATASET, VOID

from .derived import Dump, current_dumps, void_graph
from .terms import TermView, view
from .web import HTML, RDFLIB_NAMES, SUFFIXES, alternates, negotiate, with_alternates

bp = Blueprint("void", __name__)


@bp.get("/.well-known/void")
@bp.get("/.well-known/void<any('.ttl','.nt','.jsonld','.rdf','.html'):suffix>")
def well_known_void(suffix: str = "") -> Response:
    """The dataset description as RDF (Turtle first) by ``Accept`` or suffix; HTML for browsers."""
    fmt = negotiate(SUFFIXES.get(suffix))
    graph = void_graph()
    path = "/.well-known/void"
    if fmt is HTML:
        body = render_template(
            "void.html", alternates=alternates(path), **summary(graph, current_dumps())
        )
        return with_alternates(Response(body, 200, content_type="text/html; charset=utf-8"), path)
    data = graph.serialize(format=RDFLIB_NAMES[fmt.name])
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
