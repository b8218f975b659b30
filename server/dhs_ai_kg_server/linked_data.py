"""Our IRIs resolve here, whatever host serves them: ``/id/…`` resources, ``/ontology``,
``/graph/<name>`` and ``/source/<file>``, as RDF chosen by ``Accept`` or a file suffix."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request
from rdflib import Graph, URIRef

from dhs_ai_kg.engine import GRAPH_FORMATS, OutputFormat
from dhs_ai_kg.export import ExportError, export, graph_names
from dhs_ai_kg.loading import bind_prefixes, parse_turtle
from dhs_ai_kg.named_queries import NamedQuery, parse_named_query
from dhs_ai_kg.namespaces import BASE
from dhs_ai_kg.resources import ontology_file, resource_dir

from .errors import NoAcceptableFormat
from .negotiation import choose
from .sparql import current_engine

bp = Blueprint("linked_data", __name__)

#: ``/id/org/mijente.ttl`` asks for Turtle whatever the Accept header says.
SUFFIXES: dict[str, OutputFormat] = {
    ".ttl": GRAPH_FORMATS["turtle"],
    ".nt": GRAPH_FORMATS["ntriples"],
    ".jsonld": GRAPH_FORMATS["jsonld"],
    ".rdf": GRAPH_FORMATS["xml"],
}

DESCRIBE: NamedQuery = parse_named_query(Path(__file__).parent / "queries" / "describe.rq")


def _split_suffix(path: str) -> tuple[str, OutputFormat | None]:
    for suffix, fmt in SUFFIXES.items():
        if path.endswith(suffix):
            return path[: -len(suffix)], fmt
    return path, None


def _negotiate(forced: OutputFormat | None) -> OutputFormat:
    fmt = forced or choose(request.headers.get("Accept"), GRAPH_FORMATS)
    if fmt is None:
        raise NoAcceptableFormat([f.media_type for f in GRAPH_FORMATS.values()])
    return fmt


def _rdf(body: bytes | str, fmt: OutputFormat) -> Response:
    response = Response(body, 200, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _not_found(iri: str) -> Response:
    return Response(
        f"404 Not Found: the graph says nothing about <{iri}>.\n"
        "Our resources live under /id/<kind>/<name> (e.g. /id/org/mijente); "
        "query them all at /sparql.\n",
        404,
        content_type="text/plain; charset=utf-8",
    )


@bp.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    """Everything the graph says about ``BASE/id/<rest>``, with its grounding quotes."""
    rest, forced = _split_suffix(rest)
    iri = f"{BASE}id/{rest}"
    fmt = _negotiate(forced)
    result = current_engine().query(DESCRIBE.text, {"resource": URIRef(iri)})
    if not any(True for _ in result):
        return _not_found(iri)
    return _rdf(result.serialize(fmt), fmt)


@bp.get("/ontology")
@bp.get("/ontology<any('.ttl','.nt','.jsonld','.rdf'):suffix>")
def ontology(suffix: str = "") -> Response:
    """The ontology document (its terms' hash IRIs resolve to it)."""
    fmt = _negotiate(SUFFIXES.get(suffix))
    graph: Graph = current_app.extensions.setdefault(
        "dhs_ai_kg.ontology", bind_prefixes(parse_turtle(ontology_file()))
    )
    rdflib_names = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "xml": "xml"}
    return _rdf(graph.serialize(format=rdflib_names[fmt.name]), fmt)


@bp.get("/graph/<name>")
def named_graph(name: str) -> Response:
    """One named graph, whole (``BASE/graph/<name>``)."""
    name, forced = _split_suffix(name)
    dataset = current_engine().dataset
    if name not in graph_names(dataset):
        return _not_found(f"{BASE}graph/{name}")
    fmt = _negotiate(forced)
    try:
        return _rdf(export(dataset, fmt.name, graph=name), fmt)
    except ExportError:  # a name graph_names listed always exports; keep the registry honest
        abort(404)


@bp.get("/source/<name>")
def source(name: str) -> Response:
    """A release's text as received (``BASE/source/<name>``), e.g. ``release.txt``."""
    folder = resource_dir("data") / "source"
    path = folder / name
    if path.parent != folder or not path.is_file():
        return _not_found(f"{BASE}source/{name}")
    return Response(path.read_bytes(), 200, content_type="text/plain; charset=utf-8")
