"""What every response passes through: CORS, ETags, the row-cap header, metrics, access log.

- **CORS**: ``Access-Control-Allow-Origin: *`` (never with credentials) on every response;
  a preflight ``OPTIONS`` (with ``Access-Control-Request-Method``) is answered 204 here.
- **ETag**: the dataset is read-only, so a GET/HEAD 200 depends only on the dataset version
  (a hash of the loaded N-Quads, computed once), the request URL and the content type; the
  tag is weak (``W/``: e.g. blank-node labels may differ between equal answers).
  ``If-None-Match`` → 304. Not on ``/healthz`` and ``/metrics``, nor where a view set its own
  or marked the answer ``no-store`` (a federated query's: it depends on another server).
- **X-Result-Limit**: MAX_ROWS, on every response to a query (see execution.py).
- **Access log**: one JSON line per request on the ``dhs_ai_kg.access`` logger (time,
  request id, method, path, status, bytes, duration in ms, worker pid); ``serve`` writes it
  to stderr.
"""

from __future__ import annotations

import hashlib
import time

from flask import Flask, Response, current_app, g, request

from .access import log_access
from .errors import request_id
from .metrics import Metrics
from .state import KEY, state

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Content-Type, Accept, Authorization"
EXPOSE_HEADERS = "X-Request-Id, X-Result-Limit, ETag, Retry-After, Link, Content-Disposition"
NO_ETAG = frozenset({"/healthz", "/metrics"})


def metrics(app: Flask) -> Metrics:
    """The app's metrics."""
    found: Metrics = app.extensions[KEY].metrics
    return found


def install(app: Flask) -> None:
    """Install the hooks above and ``/metrics`` on ``app``."""
    app.before_request(_start)
    app.after_request(_observe)  # registered first, so it runs last: sees the final status
    app.after_request(_etag)
    app.after_request(_cors)
    app.after_request(_result_limit)

    @app.get("/metrics")
    def metrics_view() -> Response:
        body, content_type = metrics(current_app).exposition()
        return Response(body, 200, content_type=content_type)


def _start() -> Response | None:
    g.started = time.perf_counter()
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = "86400"
        return response
    return None


def _result_limit(response: Response) -> Response:
    limit = g.get("result_limit")
    if limit is not None:
        response.headers["X-Result-Limit"] = str(limit)
    return response


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response


def _etag(response: Response) -> Response:
    if (
        request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or request.path in NO_ETAG
        or "ETag" in response.headers
        or "no-store" in response.headers.get("Cache-Control", "")
        or response.is_streamed
    ):
        return response
    environ = request.environ  # raw: decoding a long query string costs more than the rest
    key = "\n".join(
        (
            state().version,
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            response.content_type or "",
        )
    )
    response.set_etag(hashlib.sha256(key.encode()).hexdigest()[:32], weak=True)
    response.make_conditional(request)  # → 304 on a matching If-None-Match; same object
    return response


def _observe(response: Response) -> Response:
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    rule = request.url_rule
    endpoint = rule.rule if rule is not None else "(unmatched)"
    metrics(current_app).observe(endpoint, request.method, response.status_code, seconds)
    size = response.calculate_content_length()
    query = request.environ.get("QUERY_STRING", "")  # as sent: no decoding, no re-encoding
    log_access(
        request_id(),
        request.method,
        request.path + (f"?{query}" if query else ""),
        response.status_code,
        size if size is not None else response.content_length or 0,
        seconds,
    )
    return response
