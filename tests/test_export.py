"""Export API details, and the committed data/dataset.trig kept in sync with data/graphs/."""

from __future__ import annotations

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from dhs_ai_kg.export import (
    FORMATS,
    ExportError,
    dataset_trig_file,
    export,
    format_for_media_type,
    graph_names,
    write_dataset_trig,
)
from dhs_ai_kg.loading import graph_files, load_dataset, parse_turtle
from dhs_ai_kg.namespaces import graph_iri

REGENERATE = "regenerate it with: dhs-ai-kg export --output data/dataset.trig"


def small_dataset() -> Dataset:
    dataset = Dataset()
    dataset.graph(graph_iri("a")).add((URIRef("urn:x:s"), URIRef("urn:x:p"), URIRef("urn:x:o")))
    dataset.graph(graph_iri("b")).add((URIRef("urn:x:s"), URIRef("urn:x:q"), URIRef("urn:x:o")))
    return dataset


def test_dataset_trig_is_in_sync_with_the_graph_files():
    """data/dataset.trig holds exactly the graphs of data/graphs/*.ttl, each isomorphic."""
    snapshot = dataset_trig_file()
    assert snapshot.is_file(), f"{snapshot} is missing; {REGENERATE}"
    committed = Dataset().parse(snapshot, format="trig")
    files = {path.stem: path for path in graph_files()}
    assert set(graph_names(committed)) == {n for n, p in files.items() if len(parse_turtle(p))}, (
        f"{snapshot.name} has other graphs than data/graphs/; {REGENERATE}"
    )
    for name, path in files.items():
        expected = parse_turtle(path)
        assert isomorphic(committed.graph(graph_iri(name)), expected), (
            f"graph {name!r} in {snapshot.name} differs from {path.name}; {REGENERATE}"
        )


def test_write_dataset_trig_round_trips(tmp_path):
    target = write_dataset_trig(tmp_path / "dataset.trig", small_dataset())
    parsed = Dataset().parse(target, format="trig")
    assert graph_names(parsed) == ["a", "b"]
    assert isomorphic(parsed.graph(graph_iri("a")), small_dataset().graph(graph_iri("a")))


def test_write_dataset_trig_is_deterministic(tmp_path):
    first = write_dataset_trig(tmp_path / "1.trig", load_dataset()).read_text()
    second = write_dataset_trig(tmp_path / "2.trig", load_dataset()).read_text()
    assert first == second


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "xml"])
def test_triples_formats_need_a_graph_or_the_union(fmt):
    with pytest.raises(ExportError, match="a, b"):
        export(small_dataset(), fmt)
    union = Graph().parse(
        data=export(small_dataset(), fmt, union=True),
        format=FORMATS[fmt].rdflib_parser,
    )
    assert len(union) == 2


def test_unknown_format():
    with pytest.raises(ExportError, match="trig, nquads"):
        export(small_dataset(), "yaml")


def test_nquads_lines_are_sorted():
    lines = export(small_dataset(), "nquads").splitlines()
    assert lines == sorted(lines) and len(lines) == 2


@pytest.mark.parametrize(
    ("media_type", "name"),
    [
        ("text/turtle", "turtle"),
        ("text/turtle; charset=utf-8", "turtle"),
        ("application/trig", "trig"),
        ("application/n-quads", "nquads"),
        ("application/ld+json", "jsonld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "ntriples"),
        ("text/html", None),
    ],
)
def test_format_for_media_type(media_type, name):
    found = format_for_media_type(media_type)
    assert (found.name if found else None) == name


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_one_graph_in_a_dataset_format_keeps_its_name(fmt):
    dataset = load_dataset()
    parsed = Dataset().parse(data=export(dataset, fmt, "metadata"), format=fmt)
    named = [g for g in parsed.graphs() if len(g)]
    assert [g.identifier for g in named] == [graph_iri("metadata")]
    assert len(named[0]) == len(dataset.graph(graph_iri("metadata")))
