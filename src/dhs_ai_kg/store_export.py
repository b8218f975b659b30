"""Write the store's data to files with pyoxigraph's own serializers: the exports of large data.

:mod:`.export` writes through rdflib for stable, canonical bytes (sorted lines, canonical blank
node labels, compacted JSON-LD): right for our release, but it needs an rdflib copy of the data
and takes minutes at 100k triples. These writers stream from the store instead, in its index
order: the same quads, not the same bytes (no canonical blank node labels, no sorting, JSON-LD
expanded with no context), so the server uses them only above a size (``RDFLIB_DUMPS_MAX``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from .formats import Format
from .namespaces import GRAPH

__all__ = ["OX_FORMATS", "count_triples", "graph_triples", "write_store"]

#: The pyoxigraph format of each export format's name (:data:`.export.FORMATS`).
OX_FORMATS: dict[str, ox.RdfFormat] = {
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
}

_WITH_PREFIXES = (ox.RdfFormat.TRIG, ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML)

_SPARQL = Path(__file__).parent / "sparql"
_UNION = (_SPARQL / "union-triples.rq").read_text(encoding="utf-8")
_PER_GRAPH = (_SPARQL / "count-graph-triples.rq").read_text(encoding="utf-8")
_DISTINCT = (_SPARQL / "count-union-triples.rq").read_text(encoding="utf-8")


def graph_triples(store: ox.Store) -> dict[str, int]:
    """Triples in each non-empty named graph of ``store``, by graph IRI (one query)."""
    rows = cast("ox.QuerySolutions", store.query(_PER_GRAPH))
    found: dict[str, int] = {}
    for row in rows:
        graph, number = row["g"], row["n"]
        if isinstance(graph, ox.NamedNode) and isinstance(number, ox.Literal):
            found[graph.value] = int(number.value)
    return dict(sorted(found.items()))


def count_triples(store: ox.Store) -> int:
    """Distinct triples in the union of the named graphs of ``store`` (one query)."""
    rows = cast("ox.QuerySolutions", store.query(_DISTINCT))
    for row in rows:
        number = row["n"]
        return int(number.value) if isinstance(number, ox.Literal) else 0
    return 0


def _union(store: ox.Store) -> Iterator[ox.Triple]:
    for row in cast("ox.QuerySolutions", store.query(_UNION)):
        yield ox.Triple(row["s"], row["p"], row["o"])


def write_store(
    store: ox.Store,
    fmt: Format,
    path: Path,
    *,
    graph: str | None = None,
    union: bool = False,
    prefixes: Mapping[str, str] | None = None,
) -> None:
    """Write ``store`` (whole; its named graph ``graph``, a file stem; or, ``union``, every
    named graph merged) to ``path`` as ``fmt``, streamed by pyoxigraph."""
    target = OX_FORMATS[fmt.name]
    chosen = dict(prefixes) if prefixes and target in _WITH_PREFIXES else None
    if graph is not None and fmt.one_graph:
        store.dump(path, target, from_graph=ox.NamedNode(f"{GRAPH}{graph}"), prefixes=chosen)
    elif graph is not None:
        quads = store.quads_for_pattern(None, None, None, ox.NamedNode(f"{GRAPH}{graph}"))
        ox.serialize(quads, path, target, prefixes=chosen)
    elif union:
        ox.serialize(_union(store), path, target, prefixes=chosen)
    else:
        store.dump(path, target, prefixes=chosen)
