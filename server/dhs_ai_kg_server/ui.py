"""The query page (SPARQL editor and example queries) at ``/``; browsers also get it at
``/sparql`` (:func:`.web.query_page`)."""

from __future__ import annotations

from flask import Blueprint, Response

from .web import query_page

bp = Blueprint("ui", __name__)


@bp.get("/")
def index() -> Response:
    """The query page at the site's root."""
    return query_page()
