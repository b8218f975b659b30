"""VoID statistics of the dataset, computed once for the CLI and the server alike.

:func:`void_description` runs ``sparql/void-*.rq`` (CONSTRUCT queries) over the data: the
hand-written metadata graph plus triples, entities, distinct subjects and objects, classes,
properties, class and property partitions, triples per named graph and a ``void:Linkset`` per
external dataset. :func:`compute_stats` reads ``dhs-ai-kg stats``'s numbers from that same
graph, so the command and ``/.well-known/void`` cannot disagree.

:func:`add_statistics` keeps the class and property partitions in a derived named graph of the
store (:data:`STATISTICS`, ``sparql/statistics-partitions.rq``), counted once at load:
named query 13 (``queries/13-dataset-statistics.rq``) reads them in milliseconds where the
live aggregate (``sparql/dataset-statistics-live.rq``) scans every quad, and
:func:`void_description` reuses them. The graph is not data: the
:class:`~dhs_ai_kg.engine.Engine` keeps it apart from the data store, so no count, dump or
query without a dataset clause sees it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from .engine import STATISTICS_GRAPH, Engine
from .loading import bind_prefixes
from .named_queries import NamedQuery, parse_named_query
from .namespaces import DATASET, GRAPH, VOID, graph_iri
from .resources import queries_dir
from .validation import short

__all__ = [
    "COUNTED_GRAPHS",
    "LIVE_STATISTICS",
    "STATISTICS",
    "STORED_STATISTICS",
    "VOID_QUERIES",
    "DatasetStats",
    "add_statistics",
    "compute_stats",
    "has_statistics",
    "peer_text",
    "void_description",
]

_SPARQL = Path(__file__).parent / "sparql"

#: The queries whose CONSTRUCTed triples make up the counted dataset description.
VOID_QUERIES: tuple[NamedQuery, ...] = tuple(
    parse_named_query(_SPARQL / f"void-{name}.rq")
    for name in ("metadata", "totals", "partitions", "subsets", "linksets")
)

#: The derived named graph holding the class and property partitions (not data).
STATISTICS = STATISTICS_GRAPH
#: The named graphs the partitions are counted over (queries/13's ``FROM NAMED``).
COUNTED_GRAPHS: tuple[URIRef, ...] = tuple(
    graph_iri(name) for name in ("release", "provenance", "links", "metadata")
)
#: Query 13's rows counted now (a scan of every quad) and read from the statistics graph.
LIVE_STATISTICS = parse_named_query(_SPARQL / "dataset-statistics-live.rq")
STORED_STATISTICS = parse_named_query(queries_dir() / "13-dataset-statistics.rq")
_PARTITIONS = parse_named_query(_SPARQL / "statistics-partitions.rq")
_STORED_PARTITIONS = parse_named_query(_SPARQL / "void-partitions-stored.rq")


def peer_text(name: str, text: str) -> str:
    """What a store without the statistics graph (a peer) is sent for the named query
    ``name`` (``text``): the live aggregate for query 13, ``text`` for every other."""
    return LIVE_STATISTICS.text if name == STORED_STATISTICS.name else text


def has_statistics(store: ox.Store) -> bool:
    """Whether ``store`` holds the statistics graph."""
    return store.contains_named_graph(ox.NamedNode(str(STATISTICS)))


def add_statistics(store: ox.Store) -> int:
    """Count the partitions of ``store``'s data once and keep them in the :data:`STATISTICS`
    graph (replacing any); the number of triples kept. Called by the loader after loading."""
    graph = ox.NamedNode(str(STATISTICS))
    if has_statistics(store):
        store.remove_graph(graph)
    found = store.query(_PARTITIONS.text)
    assert isinstance(found, ox.QueryTriples)
    triples = list(found)
    store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    return len(triples)


def _stored_partitions_apply(engine: Engine) -> bool:
    """Whether the statistics graph's partitions are VoID's: the engine holds it and no data
    graph lies outside the graphs it counted (VoID counts every data graph)."""
    counted = {str(g) for g in COUNTED_GRAPHS}
    return engine.statistics is not None and engine.graph_iris() <= counted


def void_description(engine: Engine) -> Graph:
    """The metadata graph plus every count of ``sparql/void-*.rq`` over ``engine``'s data; the
    partitions read from the statistics graph when it holds them (:func:`add_statistics`)."""
    graph = bind_prefixes(Graph())
    queries: Iterable[NamedQuery] = VOID_QUERIES
    if _stored_partitions_apply(engine):
        queries = [_STORED_PARTITIONS if q.name == "void-partitions" else q for q in VOID_QUERIES]
    for query in queries:
        for triple in engine.query(query.text):
            graph.add(triple)  # type: ignore[arg-type]
    return graph


@dataclass
class DatasetStats:
    """Counts in the spirit of VoID (``void:triples``, ``void:entities``, class/property parts)."""

    graphs: dict[str, int] = field(default_factory=dict)
    #: Links per external dataset (``void:Linkset``), by the host of the link targets.
    linksets: dict[str, int] = field(default_factory=dict)
    triples: int = 0
    distinct_subjects: int = 0
    entities: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    properties: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """The counts as plain JSON-ready data (IRIs in full)."""
        return asdict(self)

    def to_json(self) -> str:
        """The counts as indented JSON."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def table(self) -> str:
        """The counts as aligned plain-text tables, IRIs shortened with the project prefixes."""

        def block(title: str, rows: list[tuple[str, int]]) -> list[str]:
            width = max([len(title), *(len(label) for label, _ in rows)])
            lines = [f"{title:<{width}}  count", f"{'-' * width}  -----"]
            lines += [f"{label:<{width}}  {count:>5}" for label, count in rows]
            return [*lines, ""]

        summary = [
            ("triples (sum over graphs)", self.triples),
            ("distinct subjects", self.distinct_subjects),
            ("entities (kg: IRIs)", self.entities),
            ("classes", len(self.classes)),
            ("properties", len(self.properties)),
        ]
        lines = block("dataset", summary)
        lines += block("graph", sorted(self.graphs.items()))
        lines += block("links to", sorted(self.linksets.items()))
        lines += block("class", [(short(URIRef(c)), n) for c, n in self.classes.items()])
        lines += block("property", [(short(URIRef(p)), n) for p, n in self.properties.items()])
        return "\n".join(lines)


def _int(graph: Graph, subject: Node, predicate: URIRef) -> int:
    value = graph.value(subject, predicate)
    return int(value) if isinstance(value, Literal) else 0


def _partitions(graph: Graph, kind: str, key: URIRef, count: URIRef) -> dict[str, int]:
    """``{term IRI: count}`` of the class or property partitions, largest first."""
    parts = {
        str(graph.value(part, key)): _int(graph, part, count)
        for part in graph.objects(DATASET, VOID[kind])
    }
    return dict(sorted(parts.items(), key=lambda item: (-item[1], item[0])))


def compute_stats(data: Dataset | Engine) -> DatasetStats:
    """Count the data's triples per graph, subjects, entities, classes and properties."""
    void = void_description(data if isinstance(data, Engine) else Engine.from_dataset(data))
    subsets = set(void.objects(DATASET, VOID.subset))
    linksets = {s for s in subsets if (s, RDF.type, VOID.Linkset) in void}
    graphs = {
        str(g)[len(str(GRAPH)) :] if str(g).startswith(str(GRAPH)) else str(g): _int(
            void, g, VOID.triples
        )
        for g in subsets - linksets
    }
    targets = {
        urlsplit(str(void.value(s, VOID.objectsTarget))).hostname or "": _int(void, s, VOID.triples)
        for s in linksets
    }
    return DatasetStats(
        graphs={name: n for name, n in sorted(graphs.items()) if n},
        linksets=dict(sorted(targets.items())),
        triples=_int(void, DATASET, VOID.triples),
        distinct_subjects=_int(void, DATASET, VOID.distinctSubjects),
        entities=_int(void, DATASET, VOID.entities),
        classes=_partitions(void, "classPartition", VOID["class"], VOID.entities),
        properties=_partitions(void, "propertyPartition", VOID.property, VOID.triples),
    )
