"""Pictures of the graph as SVG (``dhs_ai_kg.pictures``): ``/pictures/graph.svg``, the whole
release graph, and ``/pictures/id/<kind>/<name>.svg``, one resource's neighbourhood (linked
from its page). Drawn once per app and kept (the data never changes); served as
``image/svg+xml`` under the data policy of :mod:`.headers` (nothing in it may load or run)."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from dhs_ai_kg.namespaces import BASE
from dhs_ai_kg.pictures import render_svg, to_dot

from .derived import picture as _picture
from .state import state
from .terms import iri_path

bp = Blueprint("pictures", __name__)

SVG_TYPE = "image/svg+xml; charset=utf-8"


def _svg(body: bytes) -> Response:
    return Response(body, 200, content_type=SVG_TYPE)


@bp.get("/pictures/graph.svg")
def graph() -> Response:
    """The whole release graph, clustered by kind."""
    return _svg(state().cached("picture-svg", lambda: render_svg(to_dot(_picture()))))


@bp.get("/pictures/id/<path:rest>.svg")
def entity(rest: str) -> Response:
    """The neighbourhood of ``BASE/id/<rest>``: 404 if the release graph does not hold it."""
    iri = f"{BASE}id/{iri_path(rest)}"
    picture = _picture()
    if iri not in picture.nodes:
        abort(404, f"<{iri}> is not in the release graph's picture; /pictures/graph.svg is all")
    key = f"picture-svg:{iri}"
    return _svg(state().cached(key, lambda: render_svg(to_dot(picture.neighbourhood(iri)))))
