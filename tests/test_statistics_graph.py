"""The statistics graph: class and property partitions counted once at load (issue 10).

Its stored reading must give exactly the live aggregate's rows, and it must not count as data
in the VoID description or ``dhs-ai-kg stats``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.compare import to_isomorphic

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_store
from dhs_ai_kg.namespaces import DATASET, VOID, graph_iri
from dhs_ai_kg.stats import (
    LIVE_STATISTICS,
    STATISTICS,
    STORED_STATISTICS,
    compute_stats,
    has_statistics,
    void_description,
)

ROOT = Path(__file__).resolve().parent.parent


def _datagen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("datagen", ROOT / "bench" / "datagen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["datagen"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few synthetic releases (bench/datagen.py, about 3,000 triples, seed 7)."""
    return _datagen().write(tmp_path_factory.mktemp("synthetic"), 3000, seed=7)


def _rows(engine: Engine, text: str) -> list[tuple[object, ...]]:
    return list(engine.query(text))


@pytest.mark.parametrize("synthetic_data", [False, True], ids=["release", "datagen"])
def test_stored_statistics_are_the_live_aggregate(
    synthetic_data: bool, request: pytest.FixtureRequest
) -> None:
    folders = [request.getfixturevalue("synthetic")] if synthetic_data else []
    engine = Engine(load_store(folders, statistics=True))
    live = _rows(engine, LIVE_STATISTICS.text)
    stored = _rows(engine, STORED_STATISTICS.text)
    assert live, "the live aggregate answers something"
    assert stored == live  # same rows, same order (ORDER BY), same literals and datatypes
    # and the live aggregate is not changed by the statistics graph being there
    assert live == _rows(Engine(load_store(folders)), LIVE_STATISTICS.text)


def test_the_loader_adds_the_graph_only_when_asked() -> None:
    assert not has_statistics(load_store())
    store = load_store(statistics=True)
    assert has_statistics(store)
    assert _rows(Engine(load_store()), STORED_STATISTICS.text) == []  # nothing kept, no rows


@pytest.mark.parametrize("synthetic_data", [False, True], ids=["release", "datagen"])
def test_the_statistics_graph_is_not_counted_as_data(
    synthetic_data: bool, request: pytest.FixtureRequest
) -> None:
    folders = [request.getfixturevalue("synthetic")] if synthetic_data else []
    plain, kept = Engine(load_store(folders)), Engine(load_store(folders, statistics=True))
    assert to_isomorphic(void_description(kept)) == to_isomorphic(void_description(plain))
    assert compute_stats(kept) == compute_stats(plain)
    assert str(STATISTICS) not in compute_stats(kept).graphs
    assert "statistics" not in compute_stats(kept).graphs


def _tamper(store: ox.Store) -> tuple[URIRef, int]:
    """Set one kept class count to a number no count gives; the class and that number."""
    graph = ox.NamedNode(str(STATISTICS))
    quad = next(iter(store.quads_for_pattern(None, ox.NamedNode(VOID.entities), None, graph)))
    part = quad.subject
    cls = next(iter(store.quads_for_pattern(part, ox.NamedNode(VOID["class"]), None, graph)))
    store.remove(quad)
    store.add(
        ox.Quad(part, quad.predicate, ox.Literal("999999", datatype=quad.object.datatype), graph)
    )  # type: ignore[union-attr]
    assert isinstance(cls.object, ox.NamedNode)
    return URIRef(cls.object.value), 999999


def test_void_reads_the_kept_partitions_instead_of_counting_again() -> None:
    store = load_store(statistics=True)
    cls, number = _tamper(store)
    assert compute_stats(Engine(store)).classes[str(cls)] == number
    void = void_description(Engine(store))
    parts = [
        p for p in void.objects(DATASET, VOID.classPartition) if (p, VOID["class"], cls) in void
    ]
    assert [void.value(p, VOID.entities) for p in parts] == [Literal(number)]


def test_void_counts_live_when_a_data_graph_lies_outside_the_kept_counts() -> None:
    store = load_store(statistics=True)
    cls, number = _tamper(store)
    extra = ox.NamedNode(str(graph_iri("notes")))
    store.add(
        ox.Quad(
            ox.NamedNode(f"{DATASET}#note"), ox.NamedNode(str(VOID.triples)), ox.Literal("1"), extra
        )
    )
    assert compute_stats(Engine(store)).classes[str(cls)] != number
