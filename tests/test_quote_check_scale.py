"""The quote check reads a dataset in place and costs a fixed number of store lookups, however
many quotes it holds (issue 10: it grew faster than the data), and still finds every problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_modules import bench_module
from rdflib import Dataset, Graph, URIRef

from dhs_ai_kg.grounding import Quote, quote_problems, quotes, release_texts
from dhs_ai_kg.loading import load_dataset, union_graph
from dhs_ai_kg.namespaces import GRAPH, KG, OA
from dhs_ai_kg.resources import resource_dir

BENCH = Path(__file__).resolve().parents[1] / "bench"


datagen = bench_module("datagen")


def _folders(out: Path) -> list[Path]:
    return [resource_dir("data") / "source", out / "source"]


def _synthetic(out: Path, triples: int) -> tuple[Dataset, dict[URIRef, str]]:
    """The real release plus about ``triples`` synthetic ones, and every release's text."""
    datagen.write(out, triples, seed=7)
    dataset = load_dataset([out / "graphs"])
    return dataset, release_texts(union_graph(dataset), _folders(out))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, dict[URIRef, str]]:
    return _synthetic(tmp_path_factory.mktemp("small"), 1500)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, dict[URIRef, str]]:
    return _synthetic(tmp_path_factory.mktemp("large"), 6000)


def test_a_dataset_is_read_in_place_with_its_unions_quotes_and_texts(tmp_path: Path):
    dataset, texts = _synthetic(tmp_path, 3000)
    union = union_graph(dataset)
    assert KG["doc/press-release-2023-12-05"] in texts and len(texts) > 2
    assert release_texts(dataset, _folders(tmp_path)) == texts
    in_place = quotes(dataset)
    assert len(in_place) == len(set(union.subjects(OA.exact, None)))
    assert set(in_place) == set(quotes(union))


def _counting_lookups(data: Graph, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """A list that gets one entry per triple-pattern lookup on ``data``'s store."""
    calls: list[object] = []
    original = data.store.triples

    def triples(*args: object, **kwargs: object) -> object:
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(data.store, "triples", triples)
    return calls


@pytest.mark.parametrize("form", ["dataset", "union"])
def test_store_lookups_do_not_grow_with_the_number_of_quotes(form, small, large, monkeypatch):
    """Per-quote ``Graph.value`` lookups made the check grow faster than the data; it now reads
    each property once, whatever the number of quotes."""
    lookups, counts = [], []
    for dataset, texts in (small, large):
        data = dataset if form == "dataset" else union_graph(dataset)
        calls = _counting_lookups(data, monkeypatch)
        counts.append(len(quotes(data)))
        calls.clear()
        assert quote_problems(data, texts) == []
        lookups.append(len(calls))
        monkeypatch.undo()
    assert counts[0] > 50 and counts[1] > 2 * counts[0]
    assert lookups[0] == lookups[1]


def _quote_of(data: Graph, source: URIRef) -> Quote:
    return sorted((q for q in quotes(data) if q.source == source), key=lambda q: str(q.selector))[0]


def test_a_missing_a_doubled_and_an_unsourced_quote_are_each_reported(tmp_path: Path):
    dataset, texts = _synthetic(tmp_path, 3000)
    first, second, third = sorted(r for r in texts if "/synth-7-" in r)[:3]
    missing, doubled, unsourced = (_quote_of(dataset, r) for r in (first, second, third))
    needle = missing.prefix + missing.exact + missing.suffix
    texts[first] = texts[first].replace(needle, "")
    texts[second] += " " + doubled.prefix + doubled.exact + doubled.suffix
    provenance = dataset.graph(GRAPH.provenance)
    unknown = URIRef("https://example.org/no-such-release")
    (target,) = provenance.subjects(OA.hasSelector, unsourced.selector)
    provenance.set((target, OA.hasSource, unknown))
    problems = quote_problems(dataset, texts)
    assert sorted(problems) == sorted(
        [
            f"quote {missing.exact!r} is not in the text of {first}",
            f"quote {doubled.exact!r} stands 2 times in {second}: "
            "add oa:prefix/oa:suffix to make it unambiguous",
            f"quote {unsourced.exact!r}: no text known for source {unknown}",
        ]
    )
    assert sorted(quote_problems(union_graph(dataset), texts)) == sorted(problems)
