"""Serialize the dataset, or one of its named graphs, in the usual RDF formats.

``FORMATS`` is the view of the format registry (:mod:`dhs_ai_kg.formats`) this module writes;
the server imports it too, so this module must stay free of Flask.

Whole dataset vs. one graph: a dataset (``graph=None``) needs a format that can carry named
graphs (TriG, N-Quads, JSON-LD). Asking for a triples-only format (Turtle, N-Triples, RDF/XML)
without a graph raises :class:`ExportError` naming the graphs, unless ``union=True``, which
merges every graph into one (and loses which graph said what).

Output is stable from run to run, for clean diffs of committed exports: blank nodes get
canonical labels (``rdflib.compare.to_canonical_graph``), TriG is built from each graph's
``longturtle`` body, N-Quads/N-Triples lines are sorted and JSON-LD arrays ordered. RDF/XML is
the exception: rdflib's serializer walks subjects in set order.
"""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Node, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from .formats import REGISTRY, Format, from_media_type, table
from .loading import bind_prefixes, load_dataset, union_graph
from .namespaces import GRAPH
from .resources import context_file, resource_dir

__all__ = [
    "FORMATS",
    "ExportError",
    "RdfFormat",
    "context_file",
    "dataset_trig_file",
    "export",
    "format_for_media_type",
    "graph_names",
    "jsonld_context",
    "write_dataset_trig",
]


#: The type of an export format (the server's dumps import this name).
RdfFormat = Format

#: Every export format, by name: the registry's RDF formats, dataset-only ones first (TriG is
#: the default). ``datasets`` says whether a format can hold named graphs.
FORMATS: dict[str, Format] = table(
    sorted((f for f in REGISTRY if f.kind == "graph"), key=lambda f: (not f.datasets, f.one_graph))
)


class ExportError(ValueError):
    """An export that cannot be done as asked (unknown format or graph, quads needed)."""


def format_for_media_type(media_type: str) -> RdfFormat | None:
    """The format served under ``media_type`` (parameters such as charset ignored), if any."""
    return from_media_type(media_type, "graph")


def graph_names(dataset: Dataset) -> list[str]:
    """The names (``release``, …) of the dataset's non-empty named graphs under our space."""
    names = []
    for context in dataset.graphs():
        iri = str(context.identifier)
        if iri.startswith(str(GRAPH)) and len(context) > 0:
            names.append(iri[len(str(GRAPH)) :])
    return sorted(names)


def _canonical(graph: Graph) -> Graph:
    """A copy of ``graph`` with blank nodes relabelled canonically (stable across runs)."""
    copy = bind_prefixes(Graph(identifier=graph.identifier))
    has_bnodes = any(isinstance(t, BNode) for triple in graph for t in triple)
    for triple in sorted(to_canonical_graph(graph) if has_bnodes else graph):
        copy.add(triple)  # sorted insertion: a fixed order for serializers that follow it
    return copy


def _graph(dataset: Dataset, name: str) -> Graph:
    if name not in graph_names(dataset):
        known = ", ".join(graph_names(dataset)) or "(none)"
        raise ExportError(f"no graph named {name!r}; the graphs are: {known}")
    return _canonical(dataset.graph(URIRef(GRAPH[name])))


def _only(dataset: Dataset, name: str) -> Dataset:
    """A dataset holding only the named graph ``name`` of ``dataset``."""
    result = Dataset()
    bind_prefixes(result)
    target = result.graph(URIRef(GRAPH[name]))
    for triple in _graph(dataset, name):
        target.add(triple)
    return result


def _graphs(dataset: Dataset) -> list[Graph]:
    """The dataset's non-empty graphs, sorted by name (default graph first), canonicalized.

    Blank nodes are relabelled graph by graph, which keeps a blank node shared by two graphs
    shared only if it is not relabelled: so shared blank nodes disable relabelling.
    """
    graphs = sorted(
        (g for g in dataset.graphs() if len(g)),
        key=lambda g: (g.identifier != DATASET_DEFAULT_GRAPH_ID, str(g.identifier)),
    )
    seen: dict[BNode, Node] = {}
    for graph in graphs:
        for node in {t for triple in graph for t in triple if isinstance(t, BNode)}:
            if seen.setdefault(node, graph.identifier) != graph.identifier:
                return [_copy(g) for g in graphs]
    return [_canonical(g) for g in graphs]


def _copy(graph: Graph) -> Graph:
    copy = bind_prefixes(Graph(identifier=graph.identifier))
    for triple in graph:
        copy.add(triple)
    return copy


def _canonical_dataset(dataset: Dataset) -> Dataset:
    result = Dataset()
    bind_prefixes(result)
    for graph in _graphs(dataset):
        target = (
            result.default_graph
            if graph.identifier == DATASET_DEFAULT_GRAPH_ID
            else result.graph(graph.identifier)
        )
        for triple in graph:
            target.add(triple)
    return result


def _trig(dataset: Dataset) -> str:
    """TriG made of each graph's canonical (``longturtle``) body: stable and readable."""
    prefixes: dict[str, None] = {}
    blocks = []
    for graph in _graphs(dataset):
        body: list[str] = []
        for line in graph.serialize(format="longturtle").splitlines():
            if line.startswith("PREFIX "):
                prefixes[line] = None
            elif body or line.strip():
                body.append(f"    {line}" if line.strip() else "")
        while body and not body[-1]:
            body.pop()
        default = graph.identifier == DATASET_DEFAULT_GRAPH_ID
        opening = "{" if default else f"{graph.identifier.n3()} {{"
        blocks.append(opening + "\n" + "\n".join(body) + "\n}\n")
    head = "\n".join(sorted(prefixes)) + "\n\n" if prefixes else ""
    return head + "\n".join(blocks)


def _union(dataset: Dataset) -> Graph:
    return _canonical(union_graph(dataset))


def _sorted_lines(text: str) -> str:
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return "\n".join(lines) + ("\n" if lines else "")


def _sorted_json(value: object, key: str = "") -> object:
    """JSON-LD with its arrays in a fixed order (``@list`` arrays keep theirs)."""
    if isinstance(value, dict):
        return {k: _sorted_json(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_sorted_json(v) for v in value]
        return items if key == "@list" else sorted(items, key=lambda v: json.dumps(v))
    return value


def jsonld_context(path: Path | None = None) -> dict[str, object]:
    """The JSON-LD context of ``ontology/context.jsonld`` (its ``@context`` object)."""
    document = json.loads((path or context_file()).read_text(encoding="utf-8"))
    context: dict[str, object] = document["@context"]
    return context


def _serialize(target: Graph | Dataset, fmt: Format) -> str:
    if isinstance(target, Dataset):
        if fmt.name == "trig":
            return _trig(target)
        target = _canonical_dataset(target)
    if fmt.name == "jsonld":
        text = target.serialize(format="json-ld", context=jsonld_context())
        return json.dumps(_sorted_json(json.loads(text)), indent=2, ensure_ascii=False) + "\n"
    if fmt.rdflib_serializer is None:
        raise ExportError(f"rdflib cannot write {fmt.label}")
    text = target.serialize(format=fmt.rdflib_serializer)
    if fmt.name in ("nquads", "ntriples"):
        return _sorted_lines(text)  # line-based formats: sorted for stable diffs
    return text


def export(
    dataset: Dataset,
    fmt: str = "trig",
    graph: str | None = None,
    *,
    union: bool = False,
) -> str:
    """The dataset (``graph=None``) or its graph ``graph`` (a file stem) serialized as ``fmt``.

    Raises:
        ExportError: unknown format or graph, or a triples-only format for the whole dataset
            without ``union=True``.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    rdf_format = FORMATS[fmt]
    if graph is not None and not rdf_format.one_graph:
        return _serialize(_only(dataset, graph), rdf_format)  # TriG, N-Quads: graph name kept
    if graph is not None:
        return _serialize(_graph(dataset, graph), rdf_format)
    if rdf_format.datasets:
        return _serialize(dataset, rdf_format)
    if union:
        return _serialize(_union(dataset), rdf_format)
    quad_formats = ", ".join(f.name for f in FORMATS.values() if f.datasets)
    raise ExportError(
        f"{rdf_format.label} holds one graph: pass a graph name "
        f"({', '.join(graph_names(dataset)) or 'none loaded'}), ask for their union (--union), "
        f"or use a dataset format ({quad_formats})"
    )


def dataset_trig_file() -> Path:
    """Where the committed TriG snapshot of the whole dataset lives: ``data/dataset.trig``."""
    return resource_dir("data") / "dataset.trig"


def write_dataset_trig(path: Path | None = None, dataset: Dataset | None = None) -> Path:
    """Write the whole dataset as TriG to ``path`` (default ``data/dataset.trig``)."""
    target = path or dataset_trig_file()
    text = export(dataset if dataset is not None else load_dataset(), "trig")
    target.write_text(text, encoding="utf-8")
    return target
