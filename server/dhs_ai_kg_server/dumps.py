"""Dumps of the dataset at stable URLs: ``/dumps/dataset.{trig,nq,jsonld}``, the union of the
named graphs as one graph ``/dumps/union.{ttl,nt}``, ``/dumps/<graph>.{ttl,nt,jsonld,rdf}`` and
the property graphs (``dataset.graphml``, ``.gexf``, ``.neo4j.zip``, ``.node-link.json``,
``.cyjs``), made once per app (:func:`.derived.current_dumps`). Above ``PROPERTY_GRAPH_MAX``
triples the property graphs are not made: a request for one is refused (422) saying why.

Bytes come from :func:`dhs_ai_kg.export.export` (property graphs:
:mod:`dhs_ai_kg.property_graph`), stable from run to run (RDF/XML excepted; within one server
they are fixed). Each dump is served with its length, ``ETag`` = its SHA-256
and ``Content-Disposition: attachment``; the dataset description (:mod:`.void`) lists the same
bytes' size and checksum.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as BaseResponse

from dhs_ai_kg.engine import OutputFormat

from .derived import (
    current_dumps,
    property_graph_filenames,
    property_graphs_allowed,
    triple_count,
)
from .negotiation import prefers_html

bp = Blueprint("dumps", __name__)


#: What ``/dumps/`` is negotiated between: JSON for programs (first: ``*/*``), a page.
LISTING_JSON = OutputFormat("json", "results", ("application/json",), ".json", "JSON")


@bp.get("/dumps/")
def listing() -> Response:
    """The dumps as JSON (file name, graph or union, media type, size, SHA-256, URL), or as a
    page for browsers."""
    if prefers_html(request.headers.get("Accept"), {"json": LISTING_JSON}):
        body = render_template("dumps.html", dumps=list(current_dumps().values()))
        response = Response(body, 200, content_type="text/html; charset=utf-8")
        response.vary.add("Accept")
        return response
    response = jsonify(
        [
            {
                "filename": d.filename,
                "graph": d.graph,
                "union": d.union,
                "mediaType": d.format.media_type,
                "byteSize": d.size,
                "sha256": d.sha256,
                "url": d.path,
            }
            for d in current_dumps().values()
        ]
    )
    response.vary.add("Accept")
    return response


@bp.get("/dumps/<filename>")
def download(filename: str) -> BaseResponse:
    """One dump, as an attachment with its length and SHA-256 ETag."""
    dumps = current_dumps()
    dump = dumps.get(filename)
    if dump is None and filename in property_graph_filenames() and not property_graphs_allowed():
        limit = int(current_app.config["PROPERTY_GRAPH_MAX"])
        message = (
            f"{filename} is not made for this data: it holds {triple_count():,} triples, more "
            f"than the {limit:,} the property-graph dumps are made for (PROPERTY_GRAPH_MAX); "
            "the RDF dumps (dataset.nq, …) hold everything\n"
        )
        return Response(message, 422, content_type="text/plain; charset=utf-8")
    if dump is None:
        raise NotFound(f"no dump {filename!r}; the dumps are: {', '.join(dumps)}")
    response = Response(dump.chunks(), 200, content_type=dump.content_type)
    response.content_length = dump.size
    response.headers["Content-Disposition"] = f'attachment; filename="{dump.filename}"'
    response.set_etag(dump.sha256)
    return response.make_conditional(request)
