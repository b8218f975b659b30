"""VoID-style statistics of the dataset: triples per graph, subjects, entities, classes, properties.

The counts are SPARQL aggregates run by pyoxigraph over the named graphs (the store's default
graph is empty), so they mean exactly what the queries in ``sparql/stats-*.rq`` say.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, URIRef

from .engine import Engine
from .namespaces import GRAPH
from .validation import short

__all__ = ["DatasetStats", "compute_stats"]

_SPARQL = Path(__file__).parent / "sparql"


def _query(name: str) -> str:
    """The text of ``sparql/stats-<name>.rq`` (queries are data, shipped in the package)."""
    return (_SPARQL / f"stats-{name}.rq").read_text(encoding="utf-8")


_TRIPLES_PER_GRAPH = _query("triples-per-graph")
_TOTALS = _query("totals")
_DISTINCT_TRIPLES = _query("distinct-triples")
#: Entities: subjects with an IRI in our resource space (``void:uriSpace``).
_ENTITIES = _query("entities")
_CLASSES = _query("classes")
_PROPERTIES = _query("properties")


@dataclass
class DatasetStats:
    """Counts in the spirit of VoID (``void:triples``, ``void:entities``, class/property parts)."""

    graphs: dict[str, int] = field(default_factory=dict)
    triples: int = 0
    distinct_triples: int = 0
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
            ("distinct triples", self.distinct_triples),
            ("distinct subjects", self.distinct_subjects),
            ("entities (kg: IRIs)", self.entities),
            ("classes", len(self.classes)),
            ("properties", len(self.properties)),
        ]
        lines = block("dataset", summary)
        lines += block("graph", sorted(self.graphs.items()))
        lines += block("class", [(short(URIRef(c)), n) for c, n in self.classes.items()])
        lines += block("property", [(short(URIRef(p)), n) for p, n in self.properties.items()])
        return "\n".join(lines)


def _int(term: ox.Literal | None) -> int:
    return int(term.value) if term is not None else 0


def _select(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    return list(result)


def compute_stats(dataset: Dataset) -> DatasetStats:
    """Count the dataset's triples per graph, subjects, entities, classes and properties."""
    store = Engine.from_dataset(dataset).store
    stats = DatasetStats()
    for row in _select(store, _TRIPLES_PER_GRAPH):
        iri = row["g"].value
        name = iri[len(str(GRAPH)) :] if iri.startswith(str(GRAPH)) else iri
        stats.graphs[name] = _int(row["n"])
    totals = _select(store, _TOTALS)[0]
    stats.triples = _int(totals["quads"])
    stats.distinct_subjects = _int(totals["subjects"])
    stats.distinct_triples = _int(_select(store, _DISTINCT_TRIPLES)[0]["n"])
    stats.entities = _int(_select(store, _ENTITIES)[0]["n"])
    stats.classes = {row["class"].value: _int(row["n"]) for row in _select(store, _CLASSES)}
    stats.properties = {row["p"].value: _int(row["n"]) for row in _select(store, _PROPERTIES)}
    return stats
