"""Pictures of the graph as SVG, drawn by Graphviz's ``dot``: the whole graph, or one
resource's neighbourhood.

What is drawn comes from ``sparql/picture-nodes.rq`` and ``sparql/picture-edges.rq`` over one
named graph (the release's by default): our resources as nodes, named by their label and
clustered by kind (the first path segment after ``/id/``: organizations, documents, topics…);
statements between two of them as edges labelled with the property's label (given by the
caller: the server reads the ontology's and ``vocabulary-labels.ttl``), else its local name;
nodes filled with their kind's colour (:data:`KIND_COLOURS`), and, when asked, each a link to
its page (a path under ``/id/``, nothing else). Literals,
``rdf:type`` and ``skos:inScheme`` are left out, and so is the provenance graph (its
annotations would double the picture and say nothing about the release's content).

The SVG carries no script, no style and no reference to anything outside itself (Graphviz's
DOCTYPE names a DTD on the web: it is dropped); its only links are relative paths to our pages
(``/id/…``), so it is safe to serve and to embed in a page.
"""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import CalledProcessError

import graphviz

from .engine import Engine
from .named_queries import parse_named_query
from .namespaces import BASE, KG, PREFIXES, graph_iri

__all__ = [
    "DEFAULT_GRAPH",
    "KIND_COLOURS",
    "Edge",
    "Node",
    "Picture",
    "PictureError",
    "UnknownEntity",
    "class_diagram",
    "entity_iri",
    "entity_svg",
    "graph_svg",
    "in_picture",
    "kind_colour",
    "kind_title",
    "load_picture",
    "property_label",
    "render_svg",
    "to_dot",
]

_SPARQL = Path(__file__).parent / "sparql"
_NODES = parse_named_query(_SPARQL / "picture-nodes.rq")
_EDGES = parse_named_query(_SPARQL / "picture-edges.rq")
_CLASSES = parse_named_query(_SPARQL / "diagram-classes.rq")
_PROPERTIES = parse_named_query(_SPARQL / "diagram-properties.rq")

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
    "group": "groups",
    "mechanism": "mechanisms",
    "membership": "memberships",
    "org": "organizations",
    "org-kind": "kinds of organization",
    "person": "people",
    "place": "places",
    "plan": "plans and frameworks",
    "population": "populations",
    "qualifier": "qualifiers",
    "recommendation": "recommendations",
    "recommendation-set": "sets of recommendations",
    "release-part": "parts of the release",
    "role": "roles",
    "scheme": "concept schemes",
    "stance": "stances",
    "standard": "standards",
    "statistic": "statistics",
    "status": "statuses",
    "technology": "technologies",
    "topic": "topics",
}

#: Fill colour of each kind's nodes (light, so black text on them reads at 4.5:1 or better);
#: kinds not listed get :data:`OTHER_COLOUR`. Neighbouring kinds in the list differ in hue.
KIND_COLOURS = {
    "activity": "#fde2c8",
    "agent": "#d7ecff",
    "ai-use": "#ffd6e7",
    "aim": "#e6f5c9",
    "assessment": "#f1dcff",
    "campaign": "#ffe4b5",
    "concern": "#ffcfcf",
    "disparity": "#f8d8c0",
    "doc": "#cfe8d8",
    "group": "#d0e0ff",
    "mechanism": "#dedede",
    "membership": "#e8e0cc",
    "org": "#c9ddff",
    "org-kind": "#d9e6f2",
    "person": "#ffd8a8",
    "place": "#d4f0f0",
    "plan": "#e2d9f3",
    "population": "#f5e1f0",
    "qualifier": "#ece4d4",
    "recommendation": "#fff3a6",
    "recommendation-set": "#f3eaa0",
    "release-part": "#dff0e8",
    "role": "#e0ecd4",
    "scheme": "#eeeeee",
    "stance": "#f6d6d6",
    "standard": "#d9f2e6",
    "statistic": "#c8f0ff",
    "status": "#f0e0e0",
    "technology": "#e4d4c8",
    "topic": "#e9f7d2",
}
OTHER_COLOUR = "#f4f6fb"
#: A link a picture may keep: a path to one of our pages, nothing that could leave the site.
_SAFE_LINK = re.compile(r"/id/[A-Za-z0-9._~%/-]+|#[A-Za-z][A-Za-z0-9_-]*")
#: Fill colours of the class diagram: the ontology's own classes, other vocabularies' classes
#: and datatypes.
_OWN_CLASS, _OTHER_CLASS, _DATATYPE = "#c9ddff", "#eeeeee", "#fff3a6"
_XSD = "http://www.w3.org/2001/XMLSchema#"

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
#: Elements that could run code, pull in content or restyle the page: never kept.
_UNSAFE_ELEMENTS = {"script", "foreignObject", "iframe", "image", "use", "style"}
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
    #: How many neighbours ``focus`` has in all, when only some are drawn (else None).
    neighbours: int | None = None
    _touching: dict[str, list[Edge]] | None = field(default=None, repr=False, compare=False)

    def kinds(self) -> list[str]:
        """The kinds present, sorted: one cluster each."""
        return sorted({n.kind for n in self.nodes.values()})

    def neighbourhood(self, iri: str, limit: int | None = None) -> Picture:
        """``iri`` and the resources one statement away from it (either direction), with the
        statements that touch ``iri``; with ``limit``, only the first ``limit`` neighbours in
        the edges' order (subject, property, object) and their statements, the total kept
        in ``neighbours``.

        Raises:
            UnknownEntity: ``iri`` is not in this picture.
        """
        if iri not in self.nodes:
            raise UnknownEntity(f"<{iri}> is not in the {self.graph} graph's picture")
        if self._touching is None:  # built once: a neighbourhood costs its own edges only
            touching: dict[str, list[Edge]] = {}
            for edge in self.edges:
                touching.setdefault(edge.subject, []).append(edge)
                if edge.object != edge.subject:
                    touching.setdefault(edge.object, []).append(edge)
            self._touching = touching
        edges = list(self._touching.get(iri, ()))
        order = list(dict.fromkeys(e.object if e.subject == iri else e.subject for e in edges))
        order = [n for n in order if n != iri]
        total = None
        if limit is not None and len(order) > limit:
            total, shown = len(order), set(order[:limit]) | {iri}
            edges = [e for e in edges if e.subject in shown and e.object in shown]
        keep = {iri} | {e.subject for e in edges} | {e.object for e in edges}
        nodes = {i: self.nodes[i] for i in sorted(keep) if i in self.nodes}
        return Picture(self.graph, nodes, edges, focus=iri, neighbours=total)


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


def kind_title(kind: str) -> str:
    """How a kind is named in clusters and legends: ``org`` → ``organizations``."""
    return KIND_TITLES.get(kind, kind.replace("-", " "))


def kind_colour(kind: str) -> str:
    """The fill colour of ``kind``'s nodes."""
    return KIND_COLOURS.get(kind, OTHER_COLOUR)


def property_label(iri: str, labels: Mapping[str, str] | None = None) -> str:
    """An edge's label: ``labels[iri]`` (the property's rdfs:label), else its local name."""
    return (labels or {}).get(iri) or _local_name(iri)


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


def to_dot(
    picture: Picture, labels: Mapping[str, str] | None = None, links: bool = False
) -> graphviz.Digraph:
    """The DOT graph of ``picture``: a cluster per kind, nodes filled by kind, edges named by
    ``labels`` (property IRI → label); with ``links``, each node links to ``/id/<name>``."""
    title = (
        f"neighbourhood of {picture.nodes[picture.focus].label}"
        if picture.focus
        else f"the {picture.graph} graph"
    )
    if picture.focus and picture.neighbours is not None:
        title += f" ({len(picture.nodes) - 1:,} of {picture.neighbours:,} neighbours shown)"
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
            title = kind_title(kind)
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
                extra = {"fillcolor": kind_colour(kind)}
                if node.iri == picture.focus:
                    extra.update(penwidth="3", color="#1a1a1a")
                if links:
                    extra.update(href=f"/id/{node.name}", tooltip=graphviz.escape(node.label))
                cluster.node(node.name, _label(node.label), **extra)
    for edge in picture.edges:
        dot.edge(
            picture.nodes[edge.subject].name,
            picture.nodes[edge.object].name,
            label=graphviz.escape(property_label(edge.property, labels)),
        )
    return dot


def _safe_link(element: ET.Element) -> bool:
    """Whether ``element`` is an ``<a>`` whose only reference is a path to one of our pages."""
    hrefs = [v for n, v in element.attrib.items() if n.rsplit("}", 1)[-1] == "href"]
    return len(hrefs) == 1 and _SAFE_LINK.fullmatch(hrefs[0]) is not None


def _compact(iri: str) -> str:
    """``http://xmlns.com/foaf/0.1/Group`` → ``foaf:Group`` (our prefixes), else the IRI."""
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda p: -len(p[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def class_diagram(engine: Engine, namespace: str) -> graphviz.Digraph:
    """The class diagram of the ontology ``engine`` holds: its classes (those in ``namespace``
    named by label and linked to ``#<fragment>``, others by CURIE), subclass edges (hollow
    arrows) and each property with a domain and a range as an edge from one to the other."""
    dot = graphviz.Digraph(
        name="ontology",
        graph_attr={
            "label": "dhs-ai-kg ontology: classes, subclasses and properties",
            "labelloc": "t",
            "fontname": "Helvetica",
            "fontsize": "16",
            "rankdir": "LR",
            "nodesep": "0.2",
            "ranksep": "0.9",
            "bgcolor": "white",
        },
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#5a6b8c"},
    )
    labels: dict[str, str] = {}
    parents: list[tuple[str, str]] = []
    for cls, label, superclass in engine.query(_CLASSES.text):
        labels.setdefault(str(cls), str(label) if label is not None else _compact(str(cls)))
        if superclass is not None:
            parents.append((str(cls), str(superclass)))
    properties = [
        (str(p), str(label) if label is not None else _local_name(str(p)), str(d), str(r))
        for p, label, d, r in engine.query(_PROPERTIES.text)
    ]

    def name(iri: str) -> str:  # a DOT node name: no ":" (DOT reads it as a port)
        return _compact(iri).replace(":", ".")

    drawn = set(labels) | {p for _, p in parents}
    drawn |= {d for _, _, d, _ in properties} | {r for _, _, _, r in properties}
    for iri in sorted(drawn):
        if iri.startswith(namespace) and iri in labels:
            fragment = iri[len(namespace) :].lstrip("#")
            dot.node(
                name(iri),
                graphviz.escape(labels[iri]),
                fillcolor=_OWN_CLASS,
                href=f"#{fragment}",
                tooltip=graphviz.escape(f"{labels[iri]} ({_compact(iri)})"),
            )
        elif iri.startswith(_XSD):
            dot.node(name(iri), graphviz.escape(_compact(iri)), fillcolor=_DATATYPE)
        else:
            dot.node(
                name(iri),
                graphviz.escape(_compact(iri)),
                fillcolor=_OTHER_CLASS,
                style="dashed,rounded,filled",
            )
    for child, parent in parents:
        dot.edge(name(child), name(parent), arrowhead="empty", style="dashed", color="#8a94a8")
    for _, named, domain, range_ in properties:
        dot.edge(name(domain), name(range_), label=graphviz.escape(named))
    return dot


def _clean(element: ET.Element) -> None:
    """Drop, in place, what could run, fetch or restyle anything: unsafe elements, links other
    than to our pages (their content kept), event handlers, ``style=``, ``id``s (the picture may
    sit inside a page that has its own) and any reference but a link's path."""
    for index, child in reversed(list(enumerate(element))):
        tag = child.tag.rsplit("}", 1)[-1]
        if tag in _UNSAFE_ELEMENTS:
            element.remove(child)
            continue
        _clean(child)
        if tag == "a" and not _safe_link(child):
            element.remove(child)
            for offset, grandchild in enumerate(child):
                element.insert(index + offset, grandchild)
    dropped = {"style", "id", "target", "src"}
    if element.tag.rsplit("}", 1)[-1] != "a":  # an <a> left here has a safe link
        dropped.add("href")
    for name in list(element.attrib):
        local = name.rsplit("}", 1)[-1].lower()
        if local.startswith("on") or local in dropped:
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


def graph_svg(
    engine: Engine,
    graph: str = DEFAULT_GRAPH,
    labels: Mapping[str, str] | None = None,
    links: bool = False,
) -> bytes:
    """The whole of ``graph`` as SVG (see :func:`to_dot` for ``labels`` and ``links``)."""
    return render_svg(to_dot(load_picture(engine, graph), labels, links))


def entity_svg(
    engine: Engine,
    iri: str,
    graph: str = DEFAULT_GRAPH,
    labels: Mapping[str, str] | None = None,
    links: bool = False,
) -> bytes:
    """The neighbourhood of ``iri`` in ``graph`` as SVG (see :func:`to_dot`).

    Raises:
        UnknownEntity: ``graph`` does not hold ``iri``. PictureError: see :func:`render_svg`.
    """
    return render_svg(to_dot(load_picture(engine, graph).neighbourhood(iri), labels, links))


def in_picture(engine: Engine, iri: str, graph: str = DEFAULT_GRAPH) -> bool:
    """Whether ``iri`` is drawn in the picture of ``graph`` (so it has a neighbourhood)."""
    return iri in load_picture(engine, graph).nodes
