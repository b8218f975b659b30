"""Pictures of the graph (``dhs_ai_kg.pictures``, drawn by :mod:`.drawings`):
``/pictures/graph.svg``, the whole release graph, ``/pictures/id/<kind>/<name>.svg``, one
resource's neighbourhood (also inline on its page), ``/pictures/ontology.svg``, the class
diagram (also on ``/ontology``), ``/pictures/graph.json``, the release graph
as Cytoscape.js elements, and ``/explore``, the interactive view of it. Drawn once per app and
kept (the data never changes); SVG and JSON are served under the data policy of
:mod:`.headers` (nothing in them may load or run)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from dhs_ai_kg.namespaces import BASE

from .derived import picture as release_picture
from .drawings import class_diagram_svg, graph_elements, graph_svg, legend, neighbourhood_svg
from .terms import iri_path

bp = Blueprint("pictures", __name__)

SVG_TYPE = "image/svg+xml; charset=utf-8"


def _svg(body: bytes) -> Response:
    return Response(body, 200, content_type=SVG_TYPE)


@bp.get("/pictures/graph.svg")
def graph() -> Response:
    """The whole release graph, clustered and coloured by kind."""
    return _svg(graph_svg())


@bp.get("/pictures/ontology.svg")
def ontology() -> Response:
    """The ontology's class diagram (also on ``/ontology``, classes linking to their section)."""
    return _svg(class_diagram_svg())


@bp.get("/pictures/graph.json")
def elements() -> Response:
    """The whole release graph as Cytoscape.js elements (what ``/explore`` draws)."""
    return Response(graph_elements(), 200, content_type="application/json")


@bp.get("/pictures/id/<path:rest>.svg")
def entity(rest: str) -> Response:
    """The neighbourhood of ``BASE/id/<rest>``: 404 if the release graph does not hold it."""
    iri = f"{BASE}id/{iri_path(rest)}"
    body = neighbourhood_svg(iri)
    if body is None:
        abort(404, f"<{iri}> is not in the release graph's picture; /pictures/graph.svg is all")
    return _svg(body)


@bp.get("/explore")
def explore() -> Response:
    """The release graph to explore: Cytoscape.js over ``/pictures/graph.json``; without
    script, the static picture and a list of every node by kind."""
    picture = release_picture()
    by_kind = [
        (
            entry,
            sorted(
                (n for n in picture.nodes.values() if n.kind == entry["kind"]),
                key=lambda n: n.label.lower(),
            ),
        )
        for entry in legend(picture)
    ]
    body = render_template(
        "explore.html",
        legend=legend(picture),
        by_kind=by_kind,
        nodes=len(picture.nodes),
        edges=len(picture.edges),
    )
    return Response(body, 200, content_type="text/html; charset=utf-8")
