"""The SPARQL 1.1 Protocol query operation at ``/sparql`` (read-only)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from rdflib import URIRef
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from dhs_ai_kg.engine import Engine

from .errors import NoAcceptableFormat
from .negotiation import choose

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"


def current_engine() -> Engine:
    """The engine attached to the running app by ``create_app``."""
    engine: Engine = current_app.extensions["dhs_ai_kg.engine"]
    return engine


def _query_and_graphs() -> tuple[str, list[str], list[str]]:
    """The query text and dataset IRIs of this request (GET, form POST or direct POST)."""
    if request.method == "GET":
        params = request.args
        text = params.get("query")
    else:
        mimetype = request.mimetype
        if mimetype == FORM:
            params = request.form
            text = params.get("query")
        elif mimetype == SPARQL_QUERY:
            params = request.args
            text = request.get_data(as_text=True)
        else:
            raise UnsupportedMediaType(
                f"send the query as {FORM} (query=...) or as {SPARQL_QUERY}, "
                f"not {mimetype or 'no Content-Type'}"
            )
    if not text or not text.strip():
        raise BadRequest("missing query: pass it as the 'query' parameter or the request body")
    return text, params.getlist("default-graph-uri"), params.getlist("named-graph-uri")


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """Answer one SPARQL query, in the format the Accept header prefers."""
    text, default_graphs, named_graphs = _query_and_graphs()
    result = current_engine().query(
        text,
        default_graphs=[URIRef(g) for g in default_graphs] or None,
        named_graphs=[URIRef(g) for g in named_graphs] or None,
    )
    fmt = choose(request.headers.get("Accept"), result.formats)
    if fmt is None:
        raise NoAcceptableFormat([f.media_type for f in result.formats.values()])
    response = Response(result.serialize(fmt), 200, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response
