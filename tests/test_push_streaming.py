"""``dhs-ai-kg push`` reads through pyoxigraph (issue 10: 2.2 GB peak RSS at 1M triples when it
went through rdflib): the same triples per graph as the rdflib dataset, in bounded requests,
and the command never parses the data with rdflib."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from dhs_ai_kg_cli import main
from rdflib import Graph, Literal
from test_push import Store, store

from dhs_ai_kg.loading import load_dataset, load_store
from dhs_ai_kg.push import PushTarget, push

__all__ = ["store"]  # the recording store fixture, shared with test_push


def received(store: Store) -> dict[str, Graph]:
    """The triples the recording store got, per graph (every PUT and POST parsed)."""
    graphs: dict[str, Graph] = {}
    for graph, _, body, _ in store.puts:
        graphs.setdefault(graph, Graph()).parse(data=body, format="nt")
    return graphs


@pytest.mark.parametrize("max_bytes", [0, 20_000, 1_000_000])
def test_a_store_push_sends_the_datasets_triples_per_graph(store: Store, max_bytes: int) -> None:
    dataset = load_dataset()
    expected = {str(g.identifier): set(g) for g in dataset.graphs() if len(g)}
    sent = push(load_store(), PushTarget(store.url, max_bytes=max_bytes))
    got = received(store)
    assert sent == {graph: len(triples) for graph, triples in expected.items()}
    assert {graph: set(triples) for graph, triples in got.items()} == expected
    assert all(len(body) <= max_bytes for *_, body, _ in store.puts) or max_bytes == 0
    if max_bytes == 0:
        assert store.methods == ["PUT"] * len(expected)


def test_a_store_graph_with_blank_nodes_goes_whole(store: Store) -> None:
    data = ox.Store()
    graph = ox.NamedNode("urn:x-g")
    for i in range(20_000):  # more than one serialized chunk
        data.add(
            ox.Quad(ox.NamedNode(f"urn:x-s{i}"), ox.NamedNode("urn:x-p"), ox.BlankNode(), graph)
        )
    assert push(data, PushTarget(store.url, max_bytes=500)) == {"urn:x-g": 20_000}
    assert store.methods == ["PUT"]
    got = received(store)["urn:x-g"]
    assert len(got) == 20_000 and len(set(got.objects())) == 20_000


def test_empty_and_default_graphs_are_not_sent(store: Store) -> None:
    data = ox.Store()
    data.add_graph(ox.NamedNode("urn:x-empty"))
    data.add(ox.Quad(ox.NamedNode("urn:x-s"), ox.NamedNode("urn:x-p"), ox.Literal("o")))
    data.add(
        ox.Quad(
            ox.NamedNode("urn:x-s"),
            ox.NamedNode("urn:x-p"),
            ox.Literal("é\n"),
            ox.NamedNode("urn:x-g"),
        )
    )
    assert push(data, PushTarget(store.url)) == {"urn:x-g": 1}
    assert [graph for graph, *_ in store.puts] == ["urn:x-g"]
    assert set(received(store)["urn:x-g"].objects()) == {Literal("é\n")}


def test_cli_push_never_parses_the_data_with_rdflib(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("push parsed data with rdflib")

    monkeypatch.setattr(Graph, "parse", refuse)
    assert main(["push", "--endpoint", store.url, "--max-request-bytes", "20000"]) == 0
    monkeypatch.undo()
    expected = {str(g.identifier): set(g) for g in load_dataset().graphs() if len(g)}
    assert {graph: set(triples) for graph, triples in received(store).items()} == expected
