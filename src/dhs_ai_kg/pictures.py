"""Pictures of the graph as SVG, drawn by Graphviz's ``dot``: the whole graph, or one
resource's neighbourhood.

What is drawn comes from ``sparql/picture-nodes.rq`` and ``sparql/picture-edges.rq`` over one
named graph (the release's by default): our resources as nodes, named by their label and
clustered by kind (the first path segment after ``/id/``: organizations, documents, topics…);
statements between two of them as edges labelled with the property's local name. Literals,
``rdf:type`` and ``skos:inScheme`` are left out, and so is the provenance graph (its
annotations would double the picture and say nothing about the release's content).

The SVG carries no script, no link and no reference to anything outside itself (Graphviz's
DOCTYPE names a DTD on the web: it is dropped), so it is safe to serve and to embed.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import CalledProcessError

import graphviz

from .engine import Engine
from .named_queries import parse_named_query
from .namespaces import BASE, KG, PREFIXES, graph_iri

__all__ = [
    "DEFAULT_GRAPH",
    "Edge",
    "Node",
    "Picture",
    "PictureError",
    "UnknownEntity",
    "entity_iri",
    "entity_svg",
    "graph_svg",
    "in_picture",
    "load_picture",
    "render_svg",
    "to_dot",
]

_SPARQL = Path(__file__).parent / "sparql"
_NODES = parse_named_query(_SPARQL / "picture-nodes.rq")
_EDGES = parse_named_query(_SPARQL / "picture-edges.rq")

#: The named graph drawn unless another is asked for (file stem under data/graphs/).
DEFAULT_GRAPH = "release"

#: Cluster titles for the kinds of our resources (path segments after /id/); others show the
#: segment with hyphens as spaces.
KIND_TITLES = {
    "activity": "activities",
    "agent": "agents",
    "ai-use": "AI uses",
    "aim": "aims",
    "assessment": "assessments",
    "campaign": "campaigns",
    "concern": "concerns",
    "disparity": "disparities",
    "doc": "documents",
    "mechanism": "mechanisms",
    "membership": "memberships",
    "org": "organizations",
    "org-kind": "kinds of organization",
    "person": "people",
    "place": "places",
    "plan": "plans and frameworks",
    "population": "populations",
    "recommendation": "recommendations",
    "recommendation-set": "sets of recommendations",
    "role": "roles",
    "scheme": "concept schemes",
    "stance": "stances",
    "standard": "standards",
    "statistic": "statistics",
    "technology": "technologies",
    "topic": "topics",
}

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
#: Elements that could run code, pull in content or restyle the page: never kept.
_UNSAFE_ELEMENTS = {"script", "foreignObject", "iframe", "image", "use", "style", "a"}
_WRAP = 26  # characters per label line


class PictureError(Exception):
    """A picture that cannot be drawn: Graphviz's ``dot`` missing or failing."""


class UnknownEntity(LookupError):
    """A resource the pictured graph does not hold."""


@dataclass(frozen=True)
class Node:
    """One resource in a picture: its IRI, kind (cluster) and label."""

    iri: str
    kind: str
    label: str

    @property
    def name(self) -> str:
        """Its node name in DOT (and ``<title>`` in the SVG): the path after ``/id/``."""
        return self.iri[len(str(KG)) :]


@dataclass(frozen=True)
class Edge:
    """One statement between two pictured resources."""

    subject: str
    property: str
    object: str


@dataclass
class Picture:
    """What one picture shows: nodes by IRI, edges, and the resource it centres on, if any."""

    graph: str
    nodes: dict[str, Node]
    edges: list[Edge] = field(default_factory=list)
    focus: str | None = None

    def kinds(self) -> list[str]:
        """The kinds present, sorted: one cluster each."""
        return sorted({n.kind for n in self.nodes.values()})

    def neighbourhood(self, iri: str) -> Picture:
        """``iri`` and the resources one statement away from it (either direction), with the
        statements that touch ``iri``.

        Raises:
            UnknownEntity: ``iri`` is not in this picture.
        """
        if iri not in self.nodes:
            raise UnknownEntity(f"<{iri}> is not in the {self.graph} graph's picture")
        edges = [e for e in self.edges if iri in (e.subject, e.object)]
        keep = {iri} | {e.subject for e in edges} | {e.object for e in edges}
        nodes = {i: n for i, n in self.nodes.items() if i in keep}
        return Picture(self.graph, nodes, edges, focus=iri)


def load_picture(engine: Engine, graph: str = DEFAULT_GRAPH) -> Picture:
    """The nodes and edges of ``graph`` (a named graph's file stem) as pictures draw them."""
    bound = {"graph": graph_iri(graph)}
    nodes: dict[str, Node] = {}
    for _, node, kind, label in engine.query(_NODES.text, bound):
        iri = str(node)
        slug = iri[len(str(KG)) :]
        nodes[iri] = Node(iri, str(kind) or slug, str(label) if label is not None else slug)
    edges = [Edge(str(s), str(p), str(o)) for _, s, p, o in engine.query(_EDGES.text, bound)]
    return Picture(graph, nodes, edges)


def entity_iri(text: str) -> str:
    """The IRI named by ``text``: a full IRI, a prefixed name (``kg:org/omb``), a local path
    (``/id/org/omb``) or a path under ``/id/`` (``org/omb``)."""
    text = text.strip().removeprefix("<").removesuffix(">")
    if text.startswith(("http://", "https://")):
        return text
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    if text.startswith("/"):
        return BASE + text.lstrip("/")
    return str(KG) + text


def _local_name(iri: str) -> str:
    """``http://…#focusArea`` → ``focusArea``: the compact edge label."""
    for sep in ("#", "/"):
        if sep in iri:
            iri = iri.rsplit(sep, 1)[1] or iri
    return iri


def _label(text: str) -> str:
    """A node label wrapped in lines of about :data:`_WRAP` characters, DOT-escaped (no
    backslash escapes, never read as an HTML-like label)."""
    lines = textwrap.wrap(" ".join(text.split()), _WRAP) or [text]
    label: str = graphviz.nohtml("\\n".join(graphviz.escape(line) for line in lines))
    return label


def to_dot(picture: Picture) -> graphviz.Digraph:
    """The DOT graph of ``picture``: a cluster per kind, labelled nodes and edges."""
    title = (
        f"neighbourhood of {picture.nodes[picture.focus].label}"
        if picture.focus
        else f"the {picture.graph} graph"
    )
    dot = graphviz.Digraph(
        name="dhs-ai-kg",
        graph_attr={
            "label": graphviz.escape(f"dhs-ai-kg: {title}"),
            "labelloc": "t",
            "fontname": "Helvetica",
            "fontsize": "16",
            "rankdir": "LR",
            "newrank": "true",
            "nodesep": "0.15",
            "ranksep": "0.6",
            "bgcolor": "white",
        },
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": "#f4f6fb",
            "color": "#5a6b8c",
            "fontname": "Helvetica",
            "fontsize": "10",
        },
        edge_attr={"fontname": "Helvetica", "fontsize": "8", "color": "#8a94a8"},
    )
    for index, kind in enumerate(picture.kinds()):
        with dot.subgraph(name=f"cluster_{index}") as cluster:
            title = KIND_TITLES.get(kind, kind.replace("-", " "))
            cluster.attr(
                label=graphviz.escape(title),
                style="rounded,filled",
                fillcolor="#fbfbf8",
                color="#c9c9bf",
                fontsize="12",
            )
            for node in sorted(picture.nodes.values(), key=lambda n: n.iri):
                if node.kind != kind:
                    continue
                extra = (
                    {"fillcolor": "#ffe9a8", "penwidth": "2"} if node.iri == picture.focus else {}
                )
                cluster.node(node.name, _label(node.label), **extra)
    for edge in picture.edges:
        dot.edge(
            picture.nodes[edge.subject].name,
            picture.nodes[edge.object].name,
            label=graphviz.escape(_local_name(edge.property)),
        )
    return dot


def _clean(element: ET.Element) -> None:
    """Drop, in place, what could run or fetch anything: unsafe elements, event handlers and
    any reference other than one inside the document (``#…``)."""
    for child in list(element):
        if child.tag.rsplit("}", 1)[-1] in _UNSAFE_ELEMENTS:
            element.remove(child)
        else:
            _clean(child)
    for name in list(element.attrib):
        local = name.rsplit("}", 1)[-1]
        value = element.attrib[name]
        if local.lower().startswith("on") or (local == "href" and not value.startswith("#")):
            del element.attrib[name]


def render_svg(dot: graphviz.Digraph) -> bytes:
    """``dot`` laid out by Graphviz as a standalone, self-contained SVG document.

    Raises:
        PictureError: ``dot`` is not installed or fails.
    """
    try:
        raw = dot.pipe(format="svg", engine="dot")
    except graphviz.ExecutableNotFound as exc:
        raise PictureError(
            "Graphviz's `dot` program was not found: install Graphviz "
            "(Debian: apt-get install graphviz)"
        ) from exc
    except CalledProcessError as exc:
        raise PictureError(f"Graphviz's `dot` failed: {exc.stderr or exc}") from exc
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", _XLINK)
    root = ET.fromstring(raw)  # our own dot's output; the DOCTYPE (a web DTD) goes here
    _clean(root)
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


def graph_svg(engine: Engine, graph: str = DEFAULT_GRAPH) -> bytes:
    """The whole of ``graph`` as SVG."""
    return render_svg(to_dot(load_picture(engine, graph)))


def entity_svg(engine: Engine, iri: str, graph: str = DEFAULT_GRAPH) -> bytes:
    """The neighbourhood of ``iri`` in ``graph`` as SVG.

    Raises:
        UnknownEntity: ``graph`` does not hold ``iri``. PictureError: see :func:`render_svg`.
    """
    return render_svg(to_dot(load_picture(engine, graph).neighbourhood(iri)))


def in_picture(engine: Engine, iri: str, graph: str = DEFAULT_GRAPH) -> bool:
    """Whether ``iri`` is drawn in the picture of ``graph`` (so it has a neighbourhood)."""
    return iri in load_picture(engine, graph).nodes
