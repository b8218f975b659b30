"""Load the ontology, shapes and named-graph data files, failing with file, line and column.

Two paths, the same quads: :func:`load_store` parses straight into a pyoxigraph store (its
Turtle parser, bulk load: what ``query``, ``stats`` and ``serve`` use; at 1M triples it is
seconds where rdflib takes most of a minute), :func:`load_dataset` into an rdflib
:class:`~rdflib.Dataset` (for what needs rdflib: validation, exports, modelling).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph
from rdflib.plugins.parsers.notation3 import BadSyntax

from .namespaces import PREFIXES, graph_iri
from .resources import graphs_dir


@dataclass
class DataFileError(Exception):
    """A data file that cannot be parsed: where, and what the parser said."""

    path: Path
    line: int | None
    column: int | None
    reason: str

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.reason}"


def _error_from(path: Path, exc: Exception) -> DataFileError:
    if isinstance(exc, BadSyntax):
        text = exc._str.decode("utf-8", "replace") if isinstance(exc._str, bytes) else exc._str
        offset = exc._i
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return DataFileError(path, line, column, exc._why)
    return DataFileError(path, None, None, f"{type(exc).__name__}: {exc}")


def _ox_error(path: Path, exc: SyntaxError) -> DataFileError:
    """pyoxigraph's SyntaxError carries the start of the bad span as ``lineno``/``offset``."""
    reason = re.sub(
        r"^Parser error (at|between) line \d+ column \d+( and line \d+ column \d+)?: ", "", exc.msg
    )
    return DataFileError(path, exc.lineno, exc.offset, reason)


def parse_turtle(path: Path, graph: Graph | None = None) -> Graph:
    """Parse one Turtle file into ``graph`` (a new graph if none), or raise DataFileError."""
    target = graph if graph is not None else Graph()
    try:
        target.parse(path, format="turtle")
    except Exception as exc:  # the parsers raise many types; all mean "bad file"
        raise _error_from(path, exc) from exc
    return target


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes on ``graph`` (for readable serializations)."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph


def graph_files(folder: Path | None = None) -> list[Path]:
    """The Turtle files of a graphs folder, sorted; each file's stem names its graph."""
    return sorted((folder or graphs_dir()).glob("*.ttl"))


def load_dataset(extra_folders: Iterable[Path] = (), root: Path | None = None) -> Dataset:
    """The dataset: one named graph per file of ``data/graphs`` (and of each extra folder);
    ``root`` is the resources folder to read (default: the packaged one).

    Files with the same stem in several folders go into the same named graph, so a second
    release can be loaded beside the first without any code change.
    """
    dataset = Dataset()
    bind_prefixes(dataset)
    for folder in (graphs_dir(root), *extra_folders):
        for path in graph_files(folder):
            parse_turtle(path, dataset.graph(graph_iri(path.stem)))
    return dataset


def union_graph(data: Graph | Dataset) -> Graph:
    """One plain graph holding the triples of every graph of ``data`` (the default included)."""
    union = bind_prefixes(Graph())
    if isinstance(data, Dataset):
        for s, p, o, _ in data.quads((None, None, None, None)):
            union.add((s, p, o))
    else:
        for triple in data:
            union.add(triple)
    return union


#: Called after each data file is loaded: the file and the store's quad count so far.
Progress = Callable[[Path, int], None]


def data_files(extra_folders: Iterable[Path] = (), root: Path | None = None) -> list[Path]:
    """The data files :func:`load_store` and :func:`load_dataset` read, in order."""
    return [p for folder in (graphs_dir(root), *extra_folders) for p in graph_files(folder)]


def load_store(
    extra_folders: Iterable[Path] = (),
    root: Path | None = None,
    progress: Progress | None = None,
    *,
    statistics: bool = False,
) -> ox.Store:
    """The dataset of :func:`load_dataset` (same quads), parsed straight into an in-memory
    pyoxigraph store with its bulk loader; a file that does not parse raises DataFileError.

    Relative IRIs resolve against the file's URI, as rdflib resolves them; blank node labels
    are scoped to their file, as in rdflib. With ``statistics``, the class and property
    partitions are then counted once into the derived statistics graph
    (:func:`dhs_ai_kg.stats.add_statistics`: what named query 13 reads); an
    :class:`~dhs_ai_kg.engine.Engine` made from the store keeps it apart from the data.
    Off by default: a reader of the bare store would see that graph as data."""
    store = ox.Store()
    for path in data_files(extra_folders, root):
        try:
            store.bulk_load(
                path=path,
                format=ox.RdfFormat.TURTLE,
                base_iri=path.resolve().as_uri(),
                to_graph=ox.NamedNode(str(graph_iri(path.stem))),
            )
        except SyntaxError as exc:
            raise _ox_error(path, exc) from None
        except (OSError, ValueError) as exc:
            raise DataFileError(path, None, None, f"{type(exc).__name__}: {exc}") from exc
        if progress is not None:
            progress(path, len(store))
    if statistics:
        from .stats import add_statistics  # stats imports this module

        add_statistics(store)
    return store
