"""Property graphs from the RDF dataset: GraphML, GEXF, Neo4j CSV, node-link and Cytoscape.js JSON.

The mapping (docs/property-graphs.md says it in full): every IRI (or blank node) that is the
subject of a triple, or the object of a triple whose object is not a literal, is a node, with
its IRI as id (a blank node gets ``_:`` and its canonical label, stable from run to run);
``rdf:type`` objects become the node's ``labels`` (compact names such as ``schema_Organization``);
literals become node properties keyed by the compact predicate (``rdfs_label``); every other
triple between two nodes is an edge labelled with its compact predicate, the full IRI kept as
``predicate``. :func:`property_graph` builds that as a :class:`networkx.MultiDiGraph`;
:func:`serialize` writes it with networkx's writers (the Neo4j files with :mod:`csv`).

These formats are not RDF, so they are not in :data:`dhs_ai_kg.formats.REGISTRY` (whose
formats the server negotiates); :data:`FORMATS` is their own small table.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from .namespaces import GRAPH, PREFIXES

__all__ = [
    "FORMATS",
    "NEO4J_ARRAY_DELIMITER",
    "NEO4J_FILES",
    "PROVENANCE_GRAPH",
    "PropertyGraphError",
    "PropertyGraphFormat",
    "compact",
    "format_for",
    "neo4j_files",
    "property_graph",
    "serialize",
    "write_neo4j_folder",
]


@dataclass(frozen=True)
class PropertyGraphFormat:
    """One property-graph format: name, label, media type, file extension, how it is served."""

    name: str
    label: str
    media_type: str
    #: The file extension, with its dot; a download is ``dataset`` + this.
    extension: str
    #: Whether the media type is registered with IANA (else DCAT gets it as ``dcterms:format``).
    registered: bool
    #: Bytes that are not UTF-8 text (the Neo4j zip).
    binary: bool = False

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value (text formats are UTF-8)."""
        return self.media_type if self.binary else f"{self.media_type}; charset=utf-8"


#: The property-graph formats by name (``export --format``), in the order tables list them.
FORMATS: dict[str, PropertyGraphFormat] = {
    f.name: f
    for f in (
        PropertyGraphFormat("graphml", "GraphML", "application/graphml+xml", ".graphml", False),
        PropertyGraphFormat("gexf", "GEXF", "application/gexf+xml", ".gexf", False),
        PropertyGraphFormat(
            "neo4j", "Neo4j import CSV (zip)", "application/zip", ".neo4j.zip", True, binary=True
        ),
        PropertyGraphFormat(
            "node-link", "networkx node-link JSON", "application/json", ".node-link.json", True
        ),
        PropertyGraphFormat("cytoscape", "Cytoscape.js JSON", "application/json", ".cyjs", True),
    )
}

#: The named graph ``provenance=False`` leaves out.
PROVENANCE_GRAPH = "provenance"
#: The files of the Neo4j export (a zip, or a folder): the two CSV files neo4j-admin imports,
#: and the packaged ``neo4j/`` folder (the LOAD CSV script and a README).
NEO4J_FILES = ("nodes.csv", "relationships.csv")
#: Neo4j's default array delimiter (``neo4j-admin database import --array-delimiter``).
NEO4J_ARRAY_DELIMITER = ";"
_NEO4J_DIR = Path(__file__).parent / "neo4j"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed time stamp: the same graph gives the same bytes
_IN_GRAPH = URIRef("urn:dhs-ai-kg:property-graph:in-graph")  # only while relabelling

#: Literal datatypes by the property type they give (Neo4j's type names).
_INTEGERS = {
    XSD.integer,
    XSD.long,
    XSD.int,
    XSD.short,
    XSD.byte,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.nonPositiveInteger,
    XSD.negativeInteger,
    XSD.unsignedLong,
    XSD.unsignedInt,
    XSD.unsignedShort,
    XSD.unsignedByte,
}
_DATATYPES: dict[URIRef, str] = {
    **dict.fromkeys(_INTEGERS, "long"),
    XSD.decimal: "double",
    XSD.double: "double",
    XSD.float: "double",
    XSD.boolean: "boolean",
    XSD.date: "date",
    XSD.dateTime: "datetime",
}
#: Predicates whose first value (by this order) is a node's display ``label``.
_LABELS = (
    "rdfs:label",
    "skos:prefLabel",
    "schema:name",
    "dcterms:title",
    "schema:headline",
    "oa:exact",
)


class PropertyGraphError(ValueError):
    """A property-graph export that cannot be done as asked (unknown format or graph)."""


def format_for(name: str | None = None, filename: str | None = None) -> PropertyGraphFormat | None:
    """The property-graph format called ``name``, else the one ``filename``'s extension names."""
    if name is not None:
        return FORMATS.get(name.strip().lower())
    if filename is None:
        return None
    lower = filename.lower()
    if lower.endswith(".zip"):
        return FORMATS["neo4j"]
    if lower.endswith(".json"):
        return FORMATS["node-link"]
    return next((f for f in FORMATS.values() if lower.endswith(f.extension)), None)


# --- the mapping -----------------------------------------------------------------------------

_NAMESPACES = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def compact(iri: str) -> str:
    """``prefix_local`` for an IRI under a project prefix (``schema_Organization``), else
    ``ns`` + 6 hex digits of its namespace's SHA-256 + ``_`` + its local name."""
    for prefix, namespace in _NAMESPACES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}_{iri[len(namespace) :]}"
    cut = max(iri.rfind("#"), iri.rfind("/")) + 1
    digest = hashlib.sha256(iri[:cut].encode("utf-8")).hexdigest()[:6]
    return f"ns{digest}_{iri[cut:] or 'x'}"


def _curie(iri: str) -> str:
    """A readable fallback display label: ``kg:org/omb`` or the IRI itself."""
    for prefix, namespace in _NAMESPACES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _selected(
    dataset: Dataset, graphs: Iterable[str] | None, provenance: bool
) -> list[tuple[str, Graph]]:
    """The named graphs to map, by name, sorted: ``graphs`` (default all), minus provenance."""
    available = {
        str(g.identifier)[len(str(GRAPH)) :]: g
        for g in dataset.graphs()
        if str(g.identifier).startswith(str(GRAPH)) and len(g)
    }
    wanted = sorted(set(graphs)) if graphs is not None else sorted(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        known = ", ".join(sorted(available)) or "(none)"
        raise PropertyGraphError(f"no graph named {unknown[0]!r}; the graphs are: {known}")
    chosen = [name for name in wanted if provenance or name != PROVENANCE_GRAPH]
    if not chosen:
        raise PropertyGraphError("no graph left to export (the provenance graph was left out)")
    return [(name, available[name]) for name in chosen]


def _canonical_triples(selected: list[tuple[str, Graph]]) -> Iterator[tuple[str, Node, Node, Node]]:
    """(graph name, s, p, o) with blank nodes relabelled canonically: each graph on its own
    (a blank node's id then does not depend on which other graphs are chosen), unless two
    graphs share a blank node, when they are relabelled together."""
    owners: dict[BNode, set[str]] = defaultdict(set)
    for name, graph in selected:
        for triple in graph:
            for term in triple:
                if isinstance(term, BNode):
                    owners[term].add(name)
    if any(len(names) > 1 for names in owners.values()):
        yield from _canonical_together(selected)
        return
    for name, graph in selected:
        for s, p, o in to_canonical_graph(graph) if owners else graph:
            yield name, s, p, o


def _canonical_together(
    selected: list[tuple[str, Graph]],
) -> Iterator[tuple[str, Node, Node, Node]]:
    """Relabel the graphs' blank nodes as one graph, each triple reified with its graph's name
    (so the canonical labels still say which graph held which triple)."""
    tagged = Graph()
    for name, graph in selected:
        for s, p, o in graph:
            statement = BNode()
            for role, term in ((RDF.subject, s), (RDF.predicate, p), (RDF.object, o)):
                tagged.add((statement, role, term))
            tagged.add((statement, _IN_GRAPH, Literal(name)))
    canonical = to_canonical_graph(tagged)
    for reified, _, tag in canonical.triples((None, _IN_GRAPH, None)):
        s2 = canonical.value(reified, RDF.subject)
        p2 = canonical.value(reified, RDF.predicate)
        o2 = canonical.value(reified, RDF.object)
        if s2 is not None and p2 is not None and o2 is not None:
            yield str(tag), s2, p2, o2


def _node_id(term: Node) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _kind(literal: Literal) -> str:
    """The property type a literal gives (Neo4j's names): long, double, boolean, date, …"""
    kind = _DATATYPES.get(literal.datatype) if literal.datatype is not None else None
    if kind in ("long", "double") and not isinstance(literal.value, int | float):
        return "string"  # ill-typed: kept as its text
    return kind or "string"


def _key_kind(kinds: set[str]) -> str:
    if len(kinds) == 1:
        return next(iter(kinds))
    return "double" if kinds <= {"long", "double"} else "string"


def _value(literal: Literal, kind: str, language_tags: bool) -> object:
    if kind == "long":
        return int(literal)
    if kind == "double":
        return float(literal)
    if kind == "boolean":
        return bool(literal.value)
    if language_tags and literal.language:
        return f"{literal}@{literal.language}"
    return str(literal)


def property_graph(
    dataset: Dataset,
    graphs: Iterable[str] | None = None,
    *,
    provenance: bool = True,
    language_tags: bool = False,
) -> nx.MultiDiGraph:
    """The named graphs ``graphs`` (default all; ``provenance=False`` leaves out the provenance
    graph) of ``dataset`` as a property graph: nodes by id, edges keyed by their stable id.

    Node attributes: ``label`` (display text), ``labels`` (compact ``rdf:type`` names, sorted),
    ``graphs`` (the named graphs it appears in), and one property per literal predicate: a
    value, or a sorted list where some node has several values for that predicate. Language
    tags are dropped unless ``language_tags`` (then ``text@en``). Edge attributes: ``id``,
    ``label`` (compact predicate), ``predicate`` (its IRI), ``graphs``.

    Raises:
        PropertyGraphError: an unknown graph name, or nothing left to export.
    """
    selected = _selected(dataset, graphs, provenance)
    labels: dict[str, set[str]] = defaultdict(set)
    in_graphs: dict[str, set[str]] = defaultdict(set)
    literals: dict[str, dict[str, set[Literal]]] = defaultdict(lambda: defaultdict(set))
    edges: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for name, s, p, o in _canonical_triples(selected):
        subject = _node_id(s)
        in_graphs[subject].add(name)
        if isinstance(o, Literal):
            literals[subject][str(p)].add(o)
        elif p == RDF.type and isinstance(o, URIRef):
            labels[subject].add(compact(str(o)))
        else:
            target = _node_id(o)
            in_graphs[target].add(name)
            edges[(subject, str(p), target)].add(name)

    kinds: dict[str, set[str]] = defaultdict(set)
    many: set[str] = set()
    for by_predicate in literals.values():
        for predicate, values in by_predicate.items():
            kinds[predicate] |= {_kind(v) for v in values}
            if len({_value(v, "string", language_tags) for v in values}) > 1:
                many.add(predicate)
    key_kinds = {p: _key_kind(k) for p, k in kinds.items()}

    result = nx.MultiDiGraph(name="dhs-ai-kg", graphs=[name for name, _ in selected])
    display = {PREFIXES[c.split(":")[0]] + c.split(":")[1]: i for i, c in enumerate(_LABELS)}
    for node in sorted(in_graphs):
        attributes: dict[str, object] = {
            "label": _display(node, literals.get(node, {}), display, labels.get(node, set())),
            "labels": sorted(labels.get(node, ())),
            "graphs": sorted(in_graphs[node]),
        }
        for predicate, values in sorted(literals.get(node, {}).items()):
            kind = key_kinds[predicate]
            typed = sorted({_value(v, kind, language_tags) for v in values}, key=str)
            attributes[compact(predicate)] = typed if predicate in many else typed[0]
        result.add_node(node, **attributes)
    for (subject, predicate, target), names in sorted(edges.items()):
        edge_id = _edge_id(subject, predicate, target)
        result.add_edge(
            subject,
            target,
            key=edge_id,
            id=edge_id,
            label=compact(predicate),
            predicate=predicate,
            graphs=sorted(names),
        )
    return result


def _display(
    node: str, values: dict[str, set[Literal]], order: dict[str, int], types: set[str]
) -> str:
    """The first label-like literal (``rdfs:label``, ``skos:prefLabel``, …), else a CURIE
    (a blank node: its first type, else its id)."""
    found = sorted((order[p], str(v)) for p, vs in values.items() if p in order for v in vs)
    if found:
        return found[0][1]
    if node.startswith("_:"):
        return min(types, default=node)
    return _curie(node)


def _edge_id(subject: str, predicate: str, target: str) -> str:
    """A stable edge id: ``e`` and 16 hex digits of the SHA-256 of the triple."""
    return "e" + hashlib.sha256(f"{subject} {predicate} {target}".encode()).hexdigest()[:16]


# --- writers ---------------------------------------------------------------------------------


def _flat(value: object) -> object:
    """A scalar for GraphML and GEXF (no list type): a list becomes its JSON text."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value


def _flattened(graph: nx.MultiDiGraph, *, labels_as: str = "json") -> nx.MultiDiGraph:
    """A copy whose attribute values are scalars; ``labels`` as ``:A:B`` (APOC's GraphML
    convention, so ``apoc.import.graphml`` reads them back as labels) when ``labels_as`` is
    ``apoc``."""
    flat = nx.MultiDiGraph(**{k: _flat(v) for k, v in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        attributes = {k: _flat(v) for k, v in data.items()}
        if labels_as == "apoc":
            attributes["labels"] = "".join(f":{label}" for label in data["labels"])
        flat.add_node(node, **attributes)
    for u, v, key, data in graph.edges(keys=True, data=True):
        flat.add_edge(u, v, key=key, **{k: _flat(v) for k, v in data.items() if k != "id"})
    return flat


def _graphml(graph: nx.MultiDiGraph) -> str:
    buffer = io.BytesIO()
    nx.write_graphml(_flattened(graph, labels_as="apoc"), buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


def _gexf(graph: nx.MultiDiGraph) -> str:
    flat = _flattened(graph)
    for u, v, key in flat.edges(keys=True):
        flat.edges[u, v, key]["id"] = key  # GEXF's edge id (networkx would number them)
    writer = nx.readwrite.gexf.GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(flat)
    meta = writer.xml.find("meta")
    if meta is not None:
        meta.attrib.pop("lastmodifieddate", None)  # today's date: the same graph, other bytes
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue().decode("utf-8")


def _node_link(graph: nx.MultiDiGraph) -> str:
    data = nx.node_link_data(graph, edges="edges")
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _cytoscape(graph: nx.MultiDiGraph) -> str:
    data = nx.cytoscape_data(graph, name="label")  # keeps data.value: networkx reads it back
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _neo4j_cell(value: object, kind: str) -> str:
    if isinstance(value, list):
        for item in value:
            if NEO4J_ARRAY_DELIMITER in str(item):
                raise PropertyGraphError(
                    f"an array value holds the array delimiter {NEO4J_ARRAY_DELIMITER!r}: {item!r}"
                )
        return NEO4J_ARRAY_DELIMITER.join(_neo4j_cell(item, kind) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def neo4j_files(graph: nx.MultiDiGraph) -> dict[str, bytes]:
    """The Neo4j export's files by name: ``nodes.csv`` and ``relationships.csv`` with the
    headers ``neo4j-admin database import`` reads (``iri:ID``, ``:LABEL``, ``name:type``,
    arrays split on ``;``; ``:START_ID``, ``:END_ID``, ``:TYPE``), and the packaged
    ``neo4j/`` files (the ``LOAD CSV`` script, a README). Every node also gets the label
    ``Resource`` (neosemantics' convention), which the script's uniqueness constraint uses.
    """
    kinds: dict[str, str] = {}
    for _, data in graph.nodes(data=True):
        for key, value in data.items():
            if key not in ("label", "labels", "graphs"):
                kinds[key] = _neo4j_kind(value)
    keys = sorted(kinds)
    header = ["iri:ID", ":LABEL", "label:string", "graphs:string[]"]
    header += [f"{key}:{kinds[key]}" for key in keys]
    nodes = [header]
    for node, data in graph.nodes(data=True):
        row = [node, NEO4J_ARRAY_DELIMITER.join(["Resource", *data["labels"]]), data["label"]]
        row.append(_neo4j_cell(data["graphs"], "string"))
        row += [_neo4j_cell(data[k], kinds[k]) if k in data else "" for k in keys]
        nodes.append(row)
    relationships = [[":START_ID", ":END_ID", ":TYPE", "id:string", "predicate:string"]]
    relationships[0].append("graphs:string[]")
    for u, v, data in graph.edges(data=True):
        cells = [u, v, data["label"], data["id"], data["predicate"]]
        relationships.append([*cells, _neo4j_cell(data["graphs"], "string")])
    files = {
        "nodes.csv": _csv(nodes).encode("utf-8"),
        "relationships.csv": _csv(relationships).encode("utf-8"),
    }
    for path in sorted(_NEO4J_DIR.iterdir()):
        if path.is_file():
            files[path.name] = path.read_bytes()
    return files


def _neo4j_kind(value: object) -> str:
    """Neo4j's column type for a property value: ``long``, ``double``, ``boolean``, ``string``
    (dates stay strings: ``date`` columns would be a Neo4j-only reading), ``[]`` for lists."""
    if isinstance(value, list):
        return _neo4j_kind(value[0]) + "[]" if value else "string[]"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    return "string"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, body)
    return buffer.getvalue()


def write_neo4j_folder(graph: nx.MultiDiGraph, folder: Path) -> list[Path]:
    """Write the Neo4j export's files into ``folder`` (made if missing); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in neo4j_files(graph).items():
        (folder / name).write_bytes(body)
        written.append(folder / name)
    return written


_WRITERS = {
    "graphml": _graphml,
    "gexf": _gexf,
    "node-link": _node_link,
    "cytoscape": _cytoscape,
}


def serialize(graph: nx.MultiDiGraph, fmt: str) -> bytes:
    """``graph`` (from :func:`property_graph`) written as ``fmt``; ``neo4j`` gives a zip.

    Raises:
        PropertyGraphError: an unknown format.
    """
    if fmt == "neo4j":
        return _zip(neo4j_files(graph))
    if fmt not in _WRITERS:
        raise PropertyGraphError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return _WRITERS[fmt](graph).encode("utf-8")
