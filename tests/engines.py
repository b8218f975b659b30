"""Engines over the test datasets, for conftest's fixtures and for tests that need a fresh one."""

from __future__ import annotations

from pathlib import Path

from rdflib import Dataset, URIRef

from dhs_ai_kg.engine import Engine, Limits
from dhs_ai_kg.loading import graph_files, parse_turtle
from dhs_ai_kg.namespaces import graph_iri

TESTS = Path(__file__).resolve().parent
ENGINE_GRAPHS = TESTS / "fixtures" / "engine" / "graphs"
W3C_DATA = TESTS / "w3c" / "data"
W3C_GRAPHS = "http://kasei.us/2009/09/sparql/data/"


def fixture_dataset() -> Dataset:
    """The dataset of ``tests/fixtures/engine/graphs``: one named graph per file."""
    dataset = Dataset()
    for path in graph_files(ENGINE_GRAPHS):
        parse_turtle(path, dataset.graph(graph_iri(path.stem)))
    return dataset


def fixture_engine(limits: Limits | None = None) -> Engine:
    """A fresh engine over :func:`fixture_dataset` (with ``limits``, if given)."""
    return Engine.from_dataset(fixture_dataset(), limits=limits)


def w3c_engine() -> Engine:
    """An engine over ``tests/w3c/data``: ``dataN.nt`` as the graph ``…/dataN.rdf``."""
    dataset = Dataset()
    for path in sorted(W3C_DATA.glob("*.nt")):
        dataset.graph(URIRef(f"{W3C_GRAPHS}{path.stem}.rdf")).parse(path, format="nt")
    return Engine.from_dataset(dataset)
