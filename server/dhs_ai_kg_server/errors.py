"""The one error registry: the core's typed exceptions and HTTP errors to statuses and bodies."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import BadRequest, HTTPException, NotAcceptable

from dhs_ai_kg.engine import (
    OutboundRefused,
    QueryBindingError,
    QueryError,
    QueryRefused,
    QuerySyntaxError,
    QueryTooComplex,
    UpdateRefused,
)
from dhs_ai_kg.named_queries import NamedQueryError

log = logging.getLogger("dhs_ai_kg_server")

#: Status for each of the core's exceptions (first match in order wins).
STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (OutboundRefused, 400),
    (UpdateRefused, 403),
    (QuerySyntaxError, 400),
    (QueryBindingError, 400),
    (QueryTooComplex, 400),
    (NamedQueryError, 400),
    (QueryRefused, 403),
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


class TooManyRows(HTTPException):
    """422: the result has more rows than MAX_ROWS; never sent cut short."""

    code = 422

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the result has more than {limit} rows, the most this endpoint returns; "
            f"add LIMIT {limit} (and OFFSET to page through) to the query"
        )
        self.limit = limit

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return (type(self), (self.limit,))


class QueryTimeout(HTTPException):
    """503: the query ran past QUERY_TIMEOUT; its process was killed."""

    code = 503

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the query ran longer than {seconds:g} s, this endpoint's limit, and was stopped; "
            "simplify it (fewer joins, a LIMIT) and try again"
        )
        self.seconds = seconds

    def __reduce__(self) -> tuple[type, tuple[float]]:
        return (type(self), (self.seconds,))

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        """Plus ``Retry-After``."""
        return [*super().get_headers(*args, **kwargs), ("Retry-After", "1")]


class QueryCrashed(HTTPException):
    """500: the query process died (e.g. SIGSEGV) on this query; the server lives on."""

    code = 500

    def __init__(self, exitcode: int | None) -> None:
        super().__init__("the query engine crashed on this query; the crash was logged")
        self.exitcode = exitcode

    def __reduce__(self) -> tuple[type, tuple[int | None]]:
        return (type(self), (self.exitcode,))


def text_response(message: str, status: int) -> Response:
    """A plain-text error body (one line, newline-terminated)."""
    return Response(message.rstrip("\n") + "\n", status, content_type="text/plain; charset=utf-8")


def request_id() -> str:
    """This request's id (generated on first use), echoed in ``X-Request-Id``."""
    if "request_id" not in g:
        g.request_id = uuid.uuid4().hex[:16]
    return str(g.request_id)


def register(app: Flask) -> None:
    """Install the error handlers and the request-id header on ``app``."""
    for exc_type, status in STATUSES:
        app.register_error_handler(exc_type, _typed(status))
    app.register_error_handler(QueryError, _typed(400))
    app.register_error_handler(QueryCrashed, _crashed)
    app.register_error_handler(QueryTimeout, _timed_out)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)

    @app.after_request
    def _tag(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id()
        return response


def _typed(status: int):  # noqa: ANN202 (a Flask handler factory)
    def handle(exc: Exception) -> Response:
        return text_response(str(exc), status)

    return handle


def _http(exc: HTTPException) -> Response:
    response = text_response(f"{exc.code} {exc.name}: {exc.description}", exc.code or 500)
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
    return text_response(f"500 Internal Server Error: {exc.description} (request id {rid})", 500)


def _timed_out(exc: QueryTimeout) -> Response:
    log.warning(
        "query stopped after %g s on %s %s (request id %s)",
        exc.seconds,
        request.method,
        request.path,
        request_id(),
    )
    return _http(exc)


def _unexpected(exc: Exception) -> Response:
    rid = request_id()
    log.exception("unexpected error on %s %s (request id %s)", request.method, request.path, rid)
    return text_response(f"500 Internal Server Error (request id {rid})", 500)
