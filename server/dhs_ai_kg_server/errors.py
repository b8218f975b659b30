"""The one error registry: the core's typed exceptions and HTTP errors to statuses and bodies."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, NotAcceptable

from dhs_ai_kg.engine import (
    OutboundRefused,
    OutputFormat,
    QueryBindingError,
    QueryError,
    QueryRefused,
    QuerySyntaxError,
    QueryTooComplex,
    UpdateRefused,
)
from dhs_ai_kg.execution import (
    FormatUnavailable,
    LimitExceeded,
    PoolBusy,
    QueryCrashed,
    QueryTimeout,
    ServiceFailed,
)
from dhs_ai_kg.named_queries import NamedQueryError
from dhs_ai_kg.pictures import PictureError

from .access import new_request_id
from .negotiation import prefers_html, quality

log = logging.getLogger("dhs_ai_kg_server")

#: Status for each of the core's exceptions (first match in order wins).
STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (LimitExceeded, 422),  # rows, bytes, memory (QueryTimeout has its own handler: 503)
    (ServiceFailed, 502),
    (OutboundRefused, 400),
    (UpdateRefused, 403),
    (QuerySyntaxError, 400),
    (QueryBindingError, 400),
    (QueryTooComplex, 400),
    (NamedQueryError, 400),
    (QueryRefused, 403),
    (PictureError, 503),  # Graphviz missing or failing: the server lacks a tool
)


class NoAcceptableFormat(NotAcceptable):
    """406 listing the media types the answer is available in."""

    def __init__(self, media_types: list[str]) -> None:
        super().__init__("no acceptable media type; available: " + ", ".join(media_types))
        self.media_types = media_types

    def __reduce__(self) -> tuple[type, tuple[list[str]]]:
        return (type(self), (self.media_types,))


class UnknownFormat(BadRequest):
    """400: a ``format=`` value that is not one of this result's formats."""

    def __init__(self, name: str, names: list[str]) -> None:
        super().__init__(f"unknown format {name!r}; use one of: " + ", ".join(names))
        self.args_ = (name, names)

    def __reduce__(self) -> tuple[type, tuple[str, list[str]]]:
        return (type(self), self.args_)


def text_response(message: str, status: int) -> Response:
    """A plain-text error body (one line, newline-terminated)."""
    return Response(message.rstrip("\n") + "\n", status, content_type="text/plain; charset=utf-8")


def request_id() -> str:
    """This request's id (generated on first use), echoed in ``X-Request-Id``."""
    if "request_id" not in g:
        g.request_id = new_request_id()
    return str(g.request_id)


def register(app: Flask) -> None:
    """Install the error handlers and the request-id header on ``app``."""
    for exc_type, status in STATUSES:
        app.register_error_handler(exc_type, _typed(status))
    app.register_error_handler(QueryError, _typed(400))
    app.register_error_handler(QuerySyntaxError, _syntax)
    app.register_error_handler(QueryCrashed, _crashed)
    app.register_error_handler(QueryTimeout, _timed_out)
    app.register_error_handler(PoolBusy, _busy)
    app.register_error_handler(FormatUnavailable, _format_unavailable)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)

    @app.after_request
    def _tag(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id()
        return response


#: What an error is negotiated between: plain text for programs (``*/*``), a page for browsers.
PLAIN_TEXT = OutputFormat("text", "graph", ("text/plain",), ".txt", "Text")
#: The statuses a browser gets as a page (a 406 stays text: it lists the types we do serve),
#: with the page's title.
TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}


def page_or_text(message: str, status: int) -> Response:
    """An error: a page with the site's header for browsers (``Accept`` prefers HTML), else
    ``message`` as plain text."""
    if status not in TITLES or not prefers_html(request.headers.get("Accept"), {"t": PLAIN_TEXT}):
        return text_response(message, status)
    title = TITLES[status]
    body = render_template("error.html", status=status, title=title, message=message)
    response = Response(body, status, content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    return response


def _typed(status: int) -> Callable[[Exception], Response]:
    """A handler answering the exception's message with ``status``."""

    def handle(exc: Exception) -> Response:
        return page_or_text(str(exc), status)

    return handle


#: The media type of an RFC 9457 problem: a client that names it gets a malformed query's
#: explanation as JSON (the query page does), every other client the parser's message first.
PROBLEM_JSON = "application/problem+json"


def _syntax(exc: QuerySyntaxError) -> Response:
    """400 for a malformed query: the parser's message and the same in words, with line and
    column (:mod:`dhs_ai_kg.query_explain`); JSON problem details for a client asking for them."""
    said = exc.explanation
    if said is None:
        return page_or_text(exc.message, 400)
    q, specificity = quality(request.headers.get("Accept"), PROBLEM_JSON)
    if q > 0 and specificity == 0:
        response = jsonify(
            {
                "type": "about:blank",
                "title": "Malformed query",
                "status": 400,
                "detail": said.message,
                "parser": exc.message,
                "line": said.line,
                "column": said.column,
                "length": said.length,
                "kind": said.kind,
            }
        )
        response.status_code = 400
        response.content_type = PROBLEM_JSON
        response.vary.add("Accept")
        return response
    where = f"line {said.line}, column {said.column}"
    response = page_or_text(f"{exc.message}\n\nIn words ({where}): {said.message}", 400)
    response.vary.add("Accept")
    return response


def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = f"{exc.code} {exc.name}: {exc.description}"
    response = page_or_text(message, status)
    for key, value in exc.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def _crashed(exc: QueryCrashed) -> Response:
    rid = request_id()
    log.error(
        "query process died (exit code %s) on %s %s (request id %s)",
        exc.exitcode,
        request.method,
        request.path,
        rid,
    )
    return text_response(
        "500 Internal Server Error: the query engine crashed on this query; the crash was "
        f"logged (request id {rid})",
        500,
    )


def _retry_later(message: str) -> Response:
    response = text_response(message, 503)
    response.headers["Retry-After"] = "1"
    return response


def _timed_out(exc: QueryTimeout) -> Response:
    log.warning(
        "query stopped after %g s on %s %s (request id %s)",
        exc.seconds,
        request.method,
        request.path,
        request_id(),
    )
    return _retry_later(
        f"503 Service Unavailable: {exc}; simplify it (fewer joins, a LIMIT) and try again"
    )


def _format_unavailable(exc: FormatUnavailable) -> Response:
    """406 (no acceptable type) or 400 (an unknown ``format=``), as if raised here."""
    if exc.media_types is None:
        return _http(BadRequest(exc.message))
    return _http(NoAcceptableFormat(exc.media_types))


def _busy(exc: PoolBusy) -> Response:
    return _retry_later(f"503 Service Unavailable: {exc}")


def _unexpected(exc: Exception) -> Response:
    rid = request_id()
    log.exception("unexpected error on %s %s (request id %s)", request.method, request.path, rid)
    return text_response(f"500 Internal Server Error (request id {rid})", 500)
