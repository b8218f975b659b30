"""The Flask application factory: config injected, engine attached at creation.

The composition root of the server: the blueprints (:mod:`.sparql`, :mod:`.linked_data`,
:mod:`.ui`, :mod:`.void`, :mod:`.dumps`, :mod:`.queries_api`,
:mod:`.pictures`) are leaves that never import
one another; what they share lives in :mod:`.state`, :mod:`.web`, :mod:`.terms` and
:mod:`.derived` (tests/test_layers.py holds them to it).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, Response

from dhs_ai_kg.engine import Engine

from . import (
    assets,
    derived,
    dumps,
    edge,
    errors,
    headers,
    linked_data,
    pictures,
    queries_api,
    share,
    sparql,
    spreadsheet,
    ui,
    void,
    web,
)
from .state import default_engine, init_app, state

#: Defaults; any key can be overridden through ``create_app(config=...)``.
DEFAULTS: dict[str, object] = {
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes of request body; more → 413
    "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
    "JSON_SORT_KEYS": False,
    "QUERY_TIMEOUT": 10,  # seconds a query may run; more → the work is killed, 503
    "MAX_ROWS": 10000,  # most rows (or triples) in an answer; more → 422, never a cut body
    "SERVICE_ALLOWLIST": [],  # hosts SERVICE / FROM may name; empty: no outbound at all
    "MAX_ANSWER_BYTES": 16 * 1024 * 1024,  # most bytes in an answer; more → 422, never cut
    "RESOURCES": None,  # a folder of ontology/, data/, queries/; None: the packaged ones
    "DATA": [],  # extra folders of <graph>.ttl files served beside RESOURCES' (serve --data)
    "PUBLIC_BASE": None,  # base URL for links; None: derived from the request's host
    "QUERY_ISOLATION": "process",  # "process": the query pool; "inline": no time bound
    "QUERY_PROCESSES": 2,  # query processes in the pool
    "QUERY_MEMORY": 512 * 1024 * 1024,  # bytes of memory one query may use; more → 422
    "ANSWER_CACHE": 0,  # bytes of answers kept for repeated queries; 0: off (serve sets 64 MiB)
    "RDFLIB_DUMPS_MAX": 20000,  # most triples dumped as rdflib's canonical bytes; more: pyoxigraph
    "PROPERTY_GRAPH_MAX": 20000,  # most triples made into property-graph dumps; more: refused
    "ENTITY_LIST_LIMIT": 500,  # most incoming statements an entity page lists (then ?page=N)
    "PICTURE_NEIGHBOURS": 50,  # most neighbours a neighbourhood picture draws (release's: 12)
}

__all__ = ["DEFAULTS", "create_app", "default_engine", "warm"]


def create_app(config: Mapping[str, object] | None = None, engine: Engine | None = None) -> Flask:
    """A Flask app serving ``engine`` (default: the packaged dataset) at ``/sparql``."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(dict(config or {}))
    init_app(app, engine)
    errors.register(app)
    edge.install(app)
    headers.install(app)
    web.install(app)
    assets.install(app)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(linked_data.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(void.bp)
    app.register_blueprint(dumps.bp)
    app.register_blueprint(queries_api.bp)
    app.register_blueprint(pictures.bp)
    app.register_blueprint(spreadsheet.bp)
    share.install(app)  # /q: short links to queries

    @app.get("/healthz")
    def healthz() -> Response:  # the server's front answers it first; this is for tests/tools
        return Response("ok\n", 200, content_type="text/plain; charset=utf-8")

    return app


def warm(app: Flask) -> None:
    """Build everything derived from the data now (:data:`.derived.BUILDERS`: counts, indexes,
    dumps), by SPARQL on the store; ``serve`` does it in the background instead."""
    with app.app_context():
        state().warm(derived.BUILDERS)
