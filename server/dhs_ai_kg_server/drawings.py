"""The pictures pages show, drawn once per app from the data (:mod:`dhs_ai_kg.pictures`): a
resource's neighbourhood (inline on its page, nodes linking to their pages), the whole release
graph as Cytoscape.js elements (``/explore``) and the ontology's class diagram (``/ontology``).
Edges are named by property label (the ontology's and ``data/vocabulary-labels.ttl``)."""

from __future__ import annotations

import json
import re

import networkx as nx
from flask import current_app
from markupsafe import Markup
from rdflib import Dataset, URIRef

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.namespaces import ONTOLOGY
from dhs_ai_kg.pictures import (
    Picture,
    class_diagram,
    kind_colour,
    kind_title,
    property_label,
    render_svg,
    to_dot,
)

from .derived import ontology_graph
from .derived import picture as release_picture
from .entity_page import term_labels
from .state import state

__all__ = [
    "class_diagram_svg",
    "graph_elements",
    "graph_svg",
    "inline",
    "legend",
    "neighbourhood",
    "neighbourhood_svg",
]

_DECLARATION = re.compile(r"^<\?xml[^>]*\?>\s*")


def graph_svg() -> bytes:
    """The whole release graph as SVG, nodes linking to their pages."""
    return state().cached(
        "picture-svg", lambda: render_svg(to_dot(release_picture(), term_labels(), links=True))
    )


def neighbourhood(iri: str) -> Picture | None:
    """The neighbourhood of ``iri`` as drawn (at most ``PICTURE_NEIGHBOURS`` neighbours, the
    first in the picture's edge order), or None if the release graph's picture lacks it."""
    picture = release_picture()
    if iri not in picture.nodes:
        return None
    return picture.neighbourhood(iri, int(current_app.config["PICTURE_NEIGHBOURS"]))


def neighbourhood_svg(iri: str) -> bytes | None:
    """The neighbourhood of ``iri`` as SVG (see :func:`neighbourhood`), or None if the release
    graph's picture lacks it."""
    drawn = neighbourhood(iri)
    if drawn is None:
        return None
    return state().cached(
        f"picture-svg:{iri}", lambda: render_svg(to_dot(drawn, term_labels(), links=True))
    )


def inline(svg: bytes, labelled_by: str) -> Markup:
    """``svg`` (one of ours, already cleaned) as markup to put inside a page: no XML
    declaration, a group named by the element ``labelled_by``, scaled by the page's CSS."""
    text = _DECLARATION.sub("", svg.decode("utf-8"), count=1)
    text = text.replace("<svg ", f'<svg role="group" aria-labelledby="{labelled_by}" ', 1)
    return Markup(text)  # our own SVG, cleaned by dhs_ai_kg.pictures.render_svg


def legend(picture: Picture) -> list[dict[str, str]]:
    """The kinds ``picture`` shows, each with its name and colour, for a legend."""
    return [{"kind": k, "title": kind_title(k), "colour": kind_colour(k)} for k in picture.kinds()]


def graph_elements() -> bytes:
    """The release graph's picture as Cytoscape.js JSON (``networkx.cytoscape_data``): nodes
    with label, kind, colour and page; edges with their property's label."""

    def build() -> bytes:
        picture = release_picture()
        labels = term_labels()
        graph = nx.MultiDiGraph()
        for node in sorted(picture.nodes.values(), key=lambda n: n.iri):
            graph.add_node(
                node.name,
                label=node.label,
                kind=node.kind,
                kindTitle=kind_title(node.kind),
                colour=kind_colour(node.kind),
                href=f"/id/{node.name}",
            )
        for edge in picture.edges:
            graph.add_edge(
                picture.nodes[edge.subject].name,
                picture.nodes[edge.object].name,
                label=property_label(edge.property, labels),
                property=edge.property,
            )
        data = nx.cytoscape_data(graph, name="name")
        data["legend"] = legend(picture)
        return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")

    return state().cached("picture-elements", build)


def class_diagram_svg() -> bytes:
    """The ontology's class diagram as SVG, classes linking to their section (``#Name``)."""

    def build() -> bytes:
        dataset = Dataset()
        target = dataset.graph(URIRef(ONTOLOGY))
        for triple in ontology_graph():
            target.add(triple)
        return render_svg(class_diagram(Engine.from_dataset(dataset), f"{ONTOLOGY}#"))

    return state().cached("class-diagram-svg", build)
