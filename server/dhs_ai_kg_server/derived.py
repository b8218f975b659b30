"""What the server derives from the data once and keeps on the :class:`~.state.State`: the
dumps, the VoID description's counted part, the service description's counts, the index of
our resources, the search's label index and the parsed ontology (the dataset is read-only, so
none of it goes stale).

:data:`BUILDERS` lists them all, built by SPARQL on the store (no rdflib copy of the data
for counts or indexes); ``serve`` builds them in the background once its port is open, and a
request that needs one first waits for it. Dumps of up to
``RDFLIB_DUMPS_MAX`` triples are rdflib's canonical bytes (:mod:`dhs_ai_kg.export`, from a copy
made for that and dropped); above it, pyoxigraph streams them to files in a temporary folder
removed at exit (:mod:`dhs_ai_kg.store_export`: same quads, not canonical bytes). The property
graphs are made only up to ``PROPERTY_GRAPH_MAX`` triples; above it they are not listed and a
request for one is refused (422) saying so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from rdflib import RDF, XSD, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.export import FORMATS, RdfFormat, export, graph_names
from dhs_ai_kg.formats import REGISTRY
from dhs_ai_kg.loading import bind_prefixes, parse_turtle
from dhs_ai_kg.named_queries import NamedQuery, parse_named_query
from dhs_ai_kg.namespaces import DATASET, GRAPH, VOID
from dhs_ai_kg.pictures import Picture, load_picture
from dhs_ai_kg.property_graph import FORMATS as PROPERTY_GRAPH_FORMATS
from dhs_ai_kg.property_graph import PropertyGraphFormat, property_graph, serialize
from dhs_ai_kg.resources import ontology_file
from dhs_ai_kg.stats import void_description
from dhs_ai_kg.store_export import count_triples, graph_triples, write_store

from .service_description import DatasetCounts
from .state import state
from .terms import local_path
from .web import public_url

__all__ = [
    "BUILDERS",
    "DATASET_FORMATS",
    "DATASET_STEM",
    "GRAPH_FORMATS",
    "SPDX",
    "UNION_FORMATS",
    "UNION_STEM",
    "Dump",
    "Resource",
    "build_dumps",
    "current_dumps",
    "hash_parts",
    "internal_query",
    "label_index",
    "ontology_graph",
    "our_resources",
    "picture",
    "picture_path",
    "property_graph_filenames",
    "property_graphs_allowed",
    "resource_candidates",
    "service_counts",
    "store_dumps",
    "triple_count",
    "void_counted",
    "void_graph",
]

QUERIES = Path(__file__).parent / "queries"


def internal_query(name: str) -> NamedQuery:
    """One of the server's own ``queries/<name>.rq``, parsed and checked."""
    return parse_named_query(QUERIES / f"{name}.rq")


# --- dumps -----------------------------------------------------------------------------------

#: Formats of the whole dataset (named graphs kept) and of each graph.
DATASET_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.datasets)
GRAPH_FORMATS: tuple[str, ...] = tuple(
    f.name for f in REGISTRY if f.kind == "graph" and f.one_graph
)
#: The file stem of the whole dataset's dumps.
DATASET_STEM = "dataset"
#: The union of every named graph as one graph (for tools without named graphs): its formats
#: and file stem (``/dumps/union.ttl``, ``/dumps/union.nt``; README recipes link them).
UNION_FORMATS: tuple[str, ...] = ("turtle", "ntriples")
UNION_STEM = "union"


@dataclass(frozen=True)
class Dump:
    """One dump file: its name, the graph it holds (None: the whole dataset), format, bytes."""

    filename: str
    graph: str | None
    format: RdfFormat | PropertyGraphFormat
    body: bytes | None  # None: in ``file``
    sha256: str
    #: The named graphs merged into one graph (``graph`` is then None).
    union: bool = False
    #: Where the bytes are, when not in ``body`` (dumps of large data).
    file: Path | None = None

    @property
    def holds(self) -> str:
        """What it holds, in words (the dataset description's title and the download page)."""
        if self.union:
            return "the union of all named graphs, merged into one graph"
        return "the whole dataset" if self.graph is None else f"the {self.graph} graph"

    @property
    def size(self) -> int:
        """Its length in bytes."""
        if self.body is not None:
            return len(self.body)
        return self.file.stat().st_size if self.file is not None else 0

    def chunks(self) -> bytes | Iterator[bytes]:
        """Its bytes: kept ones, or ``file`` read a MiB at a time (a response body)."""
        if self.body is not None or self.file is None:
            return self.body or b""
        return _read(self.file)

    @property
    def path(self) -> str:
        """Its local download path."""
        return f"/dumps/{self.filename}"

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` it is served with."""
        return self.format.content_type


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        yield from iter(lambda: stream.read(1 << 20), b"")


def _dump(dataset: Dataset, fmt: RdfFormat, graph: str | None) -> Dump:
    body = export(dataset, fmt.name, graph=graph).encode("utf-8")
    stem = graph if graph is not None else DATASET_STEM
    return Dump(f"{stem}{fmt.extension}", graph, fmt, body, hashlib.sha256(body).hexdigest())


def _union_dump(dataset: Dataset, fmt: RdfFormat) -> Dump:
    body = export(dataset, fmt.name, union=True).encode("utf-8")
    filename = f"{UNION_STEM}{fmt.extension}"
    return Dump(filename, None, fmt, body, hashlib.sha256(body).hexdigest(), union=True)


def build_dumps(dataset: Dataset, *, property_graphs: bool = True) -> dict[str, Dump]:
    """Every dump of ``dataset``, by file name: the dataset's, the union of its graphs, then
    each non-empty graph's, then (``property_graphs``) the property graphs."""
    dumps = [_dump(dataset, FORMATS[name], None) for name in DATASET_FORMATS]
    dumps += [_union_dump(dataset, FORMATS[name]) for name in UNION_FORMATS]
    for graph in graph_names(dataset):
        dumps += [_dump(dataset, FORMATS[name], graph) for name in GRAPH_FORMATS]
    if property_graphs:
        dumps += property_graph_dumps(dataset)
    return {d.filename: d for d in dumps}


def _file_dump(
    engine: Engine, folder: Path, fmt: RdfFormat, graph: str | None, *, union: bool = False
) -> Dump:
    stem = UNION_STEM if union else graph if graph is not None else DATASET_STEM
    path = folder / f"{stem}{fmt.extension}"
    write_store(engine.store, fmt, path, graph=graph, union=union, prefixes=engine.prefixes)
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return Dump(path.name, graph, fmt, None, digest.hexdigest(), union=union, file=path)


def store_dumps(engine: Engine, folder: Path) -> dict[str, Dump]:
    """The RDF dumps of :func:`build_dumps`, written by pyoxigraph from ``engine``'s store to
    files in ``folder`` (no rdflib copy; no property graphs)."""
    dumps = [_file_dump(engine, folder, FORMATS[name], None) for name in DATASET_FORMATS]
    dumps += [_file_dump(engine, folder, FORMATS[n], None, union=True) for n in UNION_FORMATS]
    for iri in graph_triples(engine.store):
        if iri.startswith(str(GRAPH)):
            graph = iri[len(str(GRAPH)) :]
            dumps += [_file_dump(engine, folder, FORMATS[name], graph) for name in GRAPH_FORMATS]
    return {d.filename: d for d in dumps}


def triple_count() -> int:
    """Quads in the store (what the size limits compare), counted once."""
    return state().cached("quads", lambda: len(state().engine.store))


def property_graph_filenames() -> list[str]:
    """The file names of the property-graph dumps (``dataset.graphml``, …), made or not."""
    return [f"{DATASET_STEM}{fmt.extension}" for fmt in PROPERTY_GRAPH_FORMATS.values()]


def property_graphs_allowed() -> bool:
    """Whether the data is small enough for property-graph dumps (``PROPERTY_GRAPH_MAX``)."""
    return triple_count() <= int(current_app.config["PROPERTY_GRAPH_MAX"])


def _build_current_dumps() -> dict[str, Dump]:
    engine: Engine = state().engine
    graphs = property_graphs_allowed()
    if triple_count() <= int(current_app.config["RDFLIB_DUMPS_MAX"]):
        return build_dumps(engine.to_rdflib(), property_graphs=graphs)  # copy dropped after
    dumps = store_dumps(engine, state().spool("dumps"))
    if graphs:
        dumps.update({d.filename: d for d in property_graph_dumps(engine.to_rdflib())})
    return dumps


def property_graph_dumps(dataset: Dataset) -> list[Dump]:
    """The whole dataset as each property graph (:mod:`dhs_ai_kg.property_graph`), every
    named graph and provenance included: ``dataset.graphml``, ``dataset.neo4j.zip``, …"""
    graph = property_graph(dataset)
    dumps = []
    for fmt in PROPERTY_GRAPH_FORMATS.values():
        body = serialize(graph, fmt.name)
        filename = f"{DATASET_STEM}{fmt.extension}"
        dumps.append(Dump(filename, None, fmt, body, hashlib.sha256(body).hexdigest()))
    return dumps


def current_dumps() -> dict[str, Dump]:
    """This app's dumps, serialized on first use and kept (the dataset is read-only)."""
    return state().cached("dumps", _build_current_dumps)


# --- the dataset description (VoID, DCAT) ----------------------------------------------------

SPDX = Namespace("http://spdx.org/rdf/terms#")
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"


def void_counted() -> Graph:
    """The counted part of the VoID description (``dhs_ai_kg.stats.void_description``)."""
    engine: Engine = state().engine
    return state().cached("void", lambda: void_description(engine))


def _distribution(graph: Graph, owner: URIRef, dump: Dump, merged: list[str]) -> None:
    dist = URIRef(f"{DATASET}#dump-{dump.filename}")
    url = URIRef(public_url(dump.path))
    graph.add((owner, DCAT.distribution, dist))
    graph.add((owner, VOID.dataDump, url))
    graph.add((dist, RDF.type, DCAT.Distribution))
    graph.add((dist, DCTERMS.title, Literal(f"{dump.holds} as {dump.format.label}", lang="en")))
    if dump.union:
        note = (
            f"Every named graph of the dataset ({', '.join(merged)}) merged into one graph, "
            "for tools without named graphs: the provenance annotations and the links are "
            "included, but which graph said what is lost (the dataset dumps keep it)."
        )
        graph.add((dist, DCTERMS.description, Literal(note, lang="en")))
    if isinstance(dump.format, PropertyGraphFormat) and not dump.format.registered:
        graph.add((dist, DCTERMS.format, Literal(dump.format.media_type)))  # not IANA's
    else:
        graph.add((dist, DCAT.mediaType, URIRef(IANA_MEDIA_TYPES + dump.format.media_type)))
    graph.add((dist, DCAT.byteSize, Literal(dump.size, datatype=XSD.nonNegativeInteger)))
    graph.add((dist, DCAT.downloadURL, url))
    graph.add((dist, DCAT.accessURL, url))
    checksum = URIRef(f"{DATASET}#checksum-{dump.filename}")
    graph.add((dist, SPDX.checksum, checksum))
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))


def void_graph() -> Graph:
    """The full description: the counted part, the endpoint, and every dump (URLs follow the
    host serving it, or ``PUBLIC_BASE``)."""
    graph = bind_prefixes(Graph())
    graph.bind("spdx", SPDX)
    for triple in void_counted():
        graph.add(triple)
    endpoint = URIRef(public_url("/sparql"))
    graph.add((DATASET, VOID.sparqlEndpoint, endpoint))
    service = URIRef(f"{DATASET}#sparql-service")
    graph.add((DATASET, DCAT.accessService, service))
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCAT.endpointURL, endpoint))
    graph.add((service, DCAT.servesDataset, DATASET))
    merged = sorted({d.graph for d in current_dumps().values() if d.graph is not None})
    for dump in current_dumps().values():
        owner = DATASET if dump.graph is None else URIRef(GRAPH[dump.graph])
        if dump.graph is not None:
            graph.add((owner, RDF.type, DCAT.Dataset))
        _distribution(graph, owner, dump, merged)
    return graph


# --- the service description's counts --------------------------------------------------------


def service_counts() -> DatasetCounts:
    """The triple counts the service description of ``/sparql`` states."""

    def build() -> DatasetCounts:
        store = state().engine.store
        named = tuple((URIRef(iri), n) for iri, n in graph_triples(store).items())
        return DatasetCounts(count_triples(store), named)

    return state().cached("service-description-counts", build)


# --- our resources ---------------------------------------------------------------------------

RESOURCES = internal_query("resources")


@dataclass(frozen=True)
class Resource:
    """One of our resources as listed on the index: IRI, classes and label."""

    iri: str
    classes: tuple[str, ...]
    label: str | None

    @property
    def path(self) -> str:
        """Its local path (``/id/…``)."""
        return local_path(self.iri) or self.iri


def _resources() -> list[Resource]:
    classes: dict[str, list[str]] = {}
    labels: dict[str, str | None] = {}
    for resource, cls, label in state().engine.query(RESOURCES.text):
        iri = str(resource)
        classes.setdefault(iri, [])
        if cls is not None:
            classes[iri].append(str(cls))
        if labels.get(iri) is None:
            labels[iri] = str(label) if label is not None else None
    return [Resource(i, tuple(c), labels.get(i)) for i, c in sorted(classes.items())]


def our_resources() -> list[Resource]:
    """Every resource under ``BASE/id/`` (from ``queries/resources.rq``)."""
    return state().cached("resources", _resources)


def resource_candidates() -> dict[str, str]:
    """Our resources' local paths and labels: what a 404 under ``/id/`` suggests."""
    return {r.path: r.label or r.path for r in our_resources()}


# --- the index of parts ----------------------------------------------------------------------

HASH_PARTS = internal_query("hash-parts")


def hash_parts() -> dict[str, tuple[str, ...]]:
    """The parts (hash IRIs, ``queries/hash-parts.rq``) of each of our resources that has any,
    read once: entity pages take them in without a scan per request."""

    def build() -> dict[str, tuple[str, ...]]:
        parts: dict[str, list[str]] = {}
        for (part,) in state().engine.query(HASH_PARTS.text):
            parts.setdefault(str(part).split("#", 1)[0], []).append(str(part))
        return {resource: tuple(found) for resource, found in parts.items()}

    return state().cached("hash-parts", build)


# --- the search's label index --------------------------------------------------------------

SEARCH_LABELS = internal_query("search-labels")


@dataclass(frozen=True)
class LabelIndex:
    """Every searchable label (``queries/search-labels.rq``), lower-cased once: ``/search``
    scans these strings in memory instead of running a query over the graph per request."""

    resources: tuple[str, ...]
    labels: tuple[str, ...]
    lowered: tuple[str, ...]

    def search(self, text: str, limit: int) -> list[tuple[str, str]]:
        """``(resource IRI, label)`` of the resources with a label containing ``text``
        (case-insensitive), ranked as ``queries/search.rq`` ranks them, at most ``limit``."""
        needle = text.lower()
        found: dict[str, tuple[str, bool, int]] = {}
        for resource, label, lowered in zip(self.resources, self.labels, self.lowered, strict=True):
            if needle not in lowered:
                continue
            starts = lowered.startswith(needle)
            best = found.get(resource)
            if best is None:
                found[resource] = (label, starts, len(label))
            else:
                found[resource] = (min(best[0], label), best[1] or starts, min(best[2], len(label)))
        ranked = sorted(
            found.items(),
            key=lambda item: (not item[1][1], item[1][2], item[1][0].lower(), item[0]),
        )
        return [(resource, label) for resource, (label, _, _) in ranked[:limit]]


def label_index() -> LabelIndex:
    """The search's label index, read once from the store."""

    def build() -> LabelIndex:
        rows = sorted((str(r), str(text)) for r, text in state().engine.query(SEARCH_LABELS.text))
        labels = tuple(text for _, text in rows)
        return LabelIndex(tuple(r for r, _ in rows), labels, tuple(t.lower() for t in labels))

    return state().cached("label-index", build)


# --- pictures --------------------------------------------------------------------------------


def picture() -> Picture:
    """What the release graph's picture shows (``dhs_ai_kg.pictures``), loaded once per app."""
    return state().cached("picture", lambda: load_picture(state().engine))


def picture_path(iri: str) -> str | None:
    """The local path of ``iri``'s neighbourhood picture, or None if it is not pictured."""
    node = picture().nodes.get(iri)
    return f"/pictures/id/{node.name}.svg" if node is not None else None


# --- the ontology ----------------------------------------------------------------------------


def ontology_graph() -> Graph:
    """The ontology document (of ``RESOURCES``) as an rdflib graph, parsed once per app."""
    path = ontology_file(state().resources)
    return state().cached("ontology", lambda: bind_prefixes(parse_turtle(path)))


#: What is derived from the data, in the order :func:`.app.warm` (and ``serve``, in the
#: background once the port is open) builds it; each is otherwise built on first use.
def dataset_version() -> str:
    """The dataset version ETags use (:attr:`.state.State.version`)."""
    return state().version


BUILDERS: tuple[Callable[[], object], ...] = (
    dataset_version,
    service_counts,
    hash_parts,
    label_index,
    void_counted,
    our_resources,
    current_dumps,
)
