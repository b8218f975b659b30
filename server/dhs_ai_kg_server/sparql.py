"""The SPARQL 1.1 Protocol at ``/sparql``: the query operation, updates (refused while read-only)
and the service description.

How a request is read (https://www.w3.org/TR/sparql11-protocol/):

- ``GET ?query=…``, ``POST`` ``application/x-www-form-urlencoded`` (``query=…`` in the body;
  ``default-graph-uri`` / ``named-graph-uri`` / ``format`` in the body or the URL) and
  ``POST`` ``application/sparql-query`` (the query is the UTF-8 body; the other parameters in
  the URL). The protocol dataset replaces the query's ``FROM`` / ``FROM NAMED``.
- Missing or blank query, or more than one ``query`` → 400; a body of another media type (or
  none) → 415, and so does a ``charset`` other than UTF-8; a body that is not UTF-8 → 400;
  other methods → 405 with ``Allow``.
- Updates (``update=`` in a form, or an ``application/sparql-update`` body) are refused with
  403: the dataset is read-only (the update is not even scanned). An update by GET → 400.
- ``GET /sparql`` with no query: the service description (Turtle, N-Triples, JSON-LD or
  RDF/XML by ``Accept`` or ``format=``); a client that prefers ``text/html`` gets the query page.
  So does a browser's ``GET /sparql?query=…`` without ``format=`` (its ``Accept`` puts
  ``text/html`` above every answer format): the page shows the query and runs it, so a link to
  the endpoint reproduces a query.
- Every query runs through :func:`execution.execute`, which negotiates the format
  (``format=`` over ``Accept``) and applies the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from dhs_ai_kg.engine import CONSTRUCT_FORMATS, GRAPH_FORMATS, RESULTS_FORMATS

from . import execution
from .derived import service_counts
from .negotiation import format_name, prefers_html
from .service_description import serialize, service_description
from .web import public_url, query_page

__all__ = ["Operation", "bp", "read_operation"]

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

#: The formats the service description is written in (``application/json`` → JSON-LD).
DESCRIPTION_FORMATS = GRAPH_FORMATS

#: Every format a query answer can take: a client that prefers HTML to all of them is a browser.
ANSWER_FORMATS = {
    **{f"results-{n}": f for n, f in RESULTS_FORMATS.items()},
    **{f"graph-{n}": f for n, f in CONSTRUCT_FORMATS.items()},
}


@dataclass(frozen=True)
class Operation:
    """One protocol request, read: a query, an update, or a request for the description."""

    kind: TypingLiteral["query", "update", "describe"]
    text: str = ""
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    format_name: str | None = None


def _one(values: list[str], name: str) -> str:
    if len(values) > 1:
        raise BadRequest(f"{len(values)} '{name}' parameters: send exactly one {name}")
    if not values or not values[0].strip():
        raise BadRequest(
            f"missing {name}: pass it as the '{name}' parameter or as the request body"
        )
    return values[0]


def _utf8_body(media_type: str) -> str:
    charset = request.mimetype_params.get("charset", "utf-8").strip().lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"a {media_type} body must be UTF-8, not {charset!r}")
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the {media_type} body is not valid UTF-8: {exc.reason}") from None


def _merged(*sources: MultiDict[str, str]) -> MultiDict[str, str]:
    merged: MultiDict[str, str] = MultiDict()
    for source in sources:
        for key, value in source.items(multi=True):
            merged.add(key, value)
    return merged


def read_operation() -> Operation:
    """The operation this request asks for; raise 400 or 415 where the protocol says so."""
    args = request.args
    if request.method in ("GET", "HEAD"):
        if "update" in args:
            raise BadRequest("SPARQL Update must be sent by POST, never by GET")
        if not any(k in args for k in ("query", "default-graph-uri", "named-graph-uri")):
            return Operation("describe", format_name=format_name(args.get("format")))
        return _query(args, args.getlist("query"))
    media_type = request.mimetype
    if media_type == FORM:
        params = _merged(request.form, args)
        queries, updates = params.getlist("query"), params.getlist("update")
        if queries and updates:
            raise BadRequest("send either 'query' or 'update', not both")
        if updates:
            return _update(params, _one(updates, "update"))
        return _query(params, queries)
    if media_type == SPARQL_QUERY:
        if "query" in args or "update" in args:
            raise BadRequest(f"a {SPARQL_QUERY} body is the query: no 'query' in the URL")
        return _query(args, [_utf8_body(SPARQL_QUERY)])
    if media_type == SPARQL_UPDATE:
        if "query" in args or "update" in args:
            raise BadRequest(f"a {SPARQL_UPDATE} body is the update: no 'update' in the URL")
        return _update(args, _one([_utf8_body(SPARQL_UPDATE)], "update"))
    raise UnsupportedMediaType(
        f"send the query as {FORM} (query=…), as {SPARQL_QUERY}, or an update as "
        f"{SPARQL_UPDATE}; not {media_type or 'a body without Content-Type'}"
    )


def _query(params: MultiDict[str, str], queries: list[str]) -> Operation:
    return Operation(
        "query",
        _one(queries, "query"),
        tuple(params.getlist("default-graph-uri")),
        tuple(params.getlist("named-graph-uri")),
        format_name(params.get("format")),
    )


def _update(params: MultiDict[str, str], text: str) -> Operation:
    return Operation(
        "update",
        text,
        tuple(params.getlist("using-graph-uri")),
        tuple(params.getlist("using-named-graph-uri")),
    )


def _query_page() -> Response:
    """The query page, varying on ``Accept`` (here it is one answer among others)."""
    page = query_page()
    page.vary.add("Accept")
    return page


def describe(wanted: str | None) -> Response:
    """The service description, or the query page for a client that prefers HTML."""
    accept = request.headers.get("Accept")
    if wanted is None and prefers_html(accept, DESCRIPTION_FORMATS):
        return _query_page()
    fmt = execution.pick_format(DESCRIPTION_FORMATS, accept, wanted)
    config = current_app.config
    graph = service_description(
        public_url("/sparql"),
        service_counts(),
        federated=bool(config.get("SERVICE_ALLOWLIST")),
    )
    response = Response(serialize(graph, fmt), 200, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _run_update(operation: Operation) -> Response:
    """Refuse an update: 403, the dataset is read-only."""
    raise execution.refuse_update()


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """Answer one protocol request: a query, an update, or the service description."""
    operation = read_operation()
    if operation.kind == "describe":
        return describe(operation.format_name)
    if operation.kind == "update":
        return _run_update(operation)
    accept = request.headers.get("Accept")
    if (
        request.method in ("GET", "HEAD")
        and operation.format_name is None
        and prefers_html(accept, ANSWER_FORMATS)
    ):
        return _query_page()
    answer = execution.execute(
        operation.text,
        accept=accept,
        format_name=operation.format_name,
        default_graphs=list(operation.default_graphs) or None,
        named_graphs=list(operation.named_graphs) or None,
    )
    response = Response(answer.body, 200, content_type=answer.format.content_type)
    response.vary.add("Accept")
    if execution.calls_out(operation.text):  # not replayed by the front, no ETag (edge.py)
        response.headers["Cache-Control"] = "no-store"
    return response
