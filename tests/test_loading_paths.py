"""The two loading paths give the same quads: :func:`load_store` (pyoxigraph's Turtle parser,
what ``query``, ``stats`` and ``serve`` use) and :func:`load_dataset` (rdflib, what
``validate`` and the exports use), for every data file and for ``bench/datagen.py`` output;
and a broken file stops both with its file and line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dhs_ai_kg_cli import main
from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic

from dhs_ai_kg import loading
from dhs_ai_kg.engine import from_ox
from dhs_ai_kg.loading import DataFileError, graph_files, load_dataset, load_store
from dhs_ai_kg.namespaces import graph_iri
from dhs_ai_kg.resources import graphs_dir

REPO_ROOT = Path(__file__).resolve().parents[1]
MALFORMED = REPO_ROOT / "tests" / "fixtures" / "cli" / "malformed" / "graphs"
SECOND = REPO_ROOT / "tests" / "fixtures" / "second-release" / "graphs"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command in-process: exit code, stdout, stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _graphs_from_store(folders: list[Path]) -> dict[URIRef, Graph]:
    """Each named graph of ``load_store(folders)`` as an rdflib graph."""
    graphs: dict[URIRef, Graph] = {}
    for quad in load_store(folders):
        name = URIRef(quad.graph_name.value)
        graphs.setdefault(name, Graph()).add(
            (from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object))
        )
    return graphs


def _graphs_from_rdflib(folders: list[Path]) -> dict[URIRef, Graph]:
    """Each non-empty named graph of ``load_dataset(folders)``."""
    dataset = load_dataset(folders)
    found: dict[URIRef, Graph] = {}
    for context in dataset.graphs():
        if len(context):
            copy = Graph()
            for triple in context:
                copy.add(triple)
            found[URIRef(context.identifier)] = copy
    return found


def _assert_same(folders: list[Path]) -> None:
    ours, theirs = _graphs_from_store(folders), _graphs_from_rdflib(folders)
    assert set(ours) == set(theirs)
    for name, graph in theirs.items():
        assert len(ours[name]) == len(graph), name
        if any(isinstance(t, BNode) for triple in graph for t in triple):
            assert isomorphic(ours[name], graph), name
        else:
            assert set(ours[name]) == set(graph), name


@pytest.mark.parametrize("path", graph_files(), ids=lambda p: f"data/graphs/{p.name}")
def test_each_data_file_loads_to_the_same_triples_both_ways(path):
    triples = {
        (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
        for q in load_store()
        if q.graph_name.value == str(graph_iri(path.stem))
    }
    assert triples and triples == set(Graph().parse(path, format="turtle"))


def test_the_whole_dataset_loads_to_the_same_quads_both_ways():
    _assert_same([])


def test_a_second_release_beside_ours_loads_the_same_both_ways():
    _assert_same([SECOND])


def test_datagen_output_loads_to_the_same_quads_both_ways(tmp_path):
    out = tmp_path / "synthetic"  # datagen writes OUT/graphs/*.ttl and OUT/source/*.txt
    subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "bench" / "datagen.py"),
            "--triples",
            "3000",
            "--seed",
            "1",
            "-o",
            str(out),
        ],
        check=True,
    )
    _assert_same([out / "graphs"])
    ours_alone = _graphs_from_store([])[graph_iri("release")]
    with_synthetic = _graphs_from_store([out / "graphs"])[graph_iri("release")]
    synthetic = Graph().parse(out / "graphs" / "release.ttl")
    assert len(synthetic) > 300
    assert len(with_synthetic) == len(ours_alone) + len(synthetic)  # joined ours, none shared


def test_a_broken_file_names_file_line_and_column_both_ways():
    with pytest.raises(DataFileError) as ox_error:
        load_store([MALFORMED])
    with pytest.raises(DataFileError) as rdflib_error:
        load_dataset([MALFORMED])
    broken = MALFORMED / "broken.ttl"
    assert (ox_error.value.path, ox_error.value.line) == (broken, 4)
    assert (rdflib_error.value.path, rdflib_error.value.line) == (broken, 4)
    assert str(ox_error.value).startswith(f"{broken}:4:")
    assert "Parser error" not in str(ox_error.value)  # the place is said once, in front


def test_progress_is_told_each_file_and_the_quads_so_far():
    seen: list[tuple[Path, int]] = []
    store = load_store([SECOND], progress=lambda path, quads: seen.append((path, quads)))
    assert [path for path, _ in seen] == [*graph_files(graphs_dir()), *graph_files(SECOND)]
    assert seen[-1][1] == len(store)
    assert [n for _, n in seen] == sorted(n for _, n in seen)


@pytest.mark.parametrize("command", [["query", "1"], ["stats"]])
def test_query_and_stats_do_not_parse_with_rdflib(capsys, monkeypatch, command):
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("loaded through rdflib")

    monkeypatch.setattr(loading, "load_dataset", refuse)
    monkeypatch.setattr(loading, "parse_turtle", refuse)
    code, out, err = run(capsys, *command, "--data", str(SECOND))
    assert (code, err) == (0, "")
    assert out


@pytest.mark.parametrize("command", [["query", "1"], ["stats"]])
def test_query_and_stats_stop_at_a_broken_file_with_file_and_line(capsys, command):
    code, out, err = run(capsys, *command, "--data", str(MALFORMED))
    assert code == 2 and out == ""
    assert f"{MALFORMED / 'broken.ttl'}:4:" in err
