"""The query page: SPARQL editor and example queries, at ``/`` and for browsers at ``/sparql``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from dhs_ai_kg.engine import FORMATS
from dhs_ai_kg.named_queries import NamedQuery
from dhs_ai_kg.namespaces import BASE, PREFIXES

from .state import state

bp = Blueprint("ui", __name__)

_QUERIES = "dhs_ai_kg.ui.named_queries"

#: The editor's package and version (see static/vendor/README.md).
EDITOR = {"name": "@zazuko/yasqe", "version": "4.6.2"}


def named_queries() -> dict[str, NamedQuery]:
    """The packaged named queries, loaded once per app."""
    queries: dict[str, NamedQuery] = state().queries
    return queries


def public_base() -> str:
    """The root URL links are built on: ``PUBLIC_BASE`` if configured, else the request's host."""
    base = current_app.config.get("PUBLIC_BASE") or request.url_root
    return str(base).rstrip("/") + "/"


def query_page() -> Response:
    """The query page; ``?query=`` (or ``?example=<name>``) is preloaded into the editor and run."""
    base = public_base()
    queries = named_queries()
    examples = [q.describe() for q in queries.values()]
    query = request.args.get("query", "")
    if not query and request.args.get("example") in queries:
        query = queries[request.args["example"]].text
    formats = {
        kind: [
            {"name": f.name, "label": f.label, "media_type": f.media_type} for f in table.values()
        ]
        for kind, table in FORMATS.items()
    }
    page = {
        "endpoint": base + "sparql",
        "base": base,
        "iri_base": BASE,
        "prefixes": dict(PREFIXES),
        "formats": formats,
        "examples": examples,
    }
    html = render_template(
        "query.html",
        page=page,
        examples=examples,
        endpoint=page["endpoint"],
        query=query,
        editor=EDITOR,
    )
    return Response(html, 200, content_type="text/html; charset=utf-8")


@bp.get("/")
def index() -> Response:
    """The query page at the site's root."""
    return query_page()
