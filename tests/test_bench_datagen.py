"""bench/datagen.py: synthetic releases that are deterministic, sized as asked, never reuse our
IRIs, pass the shapes and have every quote in their own text, loaded the way users load
releases (``--data DIR``, texts in ``source/`` beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_modules import bench_module
from dhs_ai_kg_cli import EXIT_NONCONFORMING, EXIT_OK, main
from rdflib import Graph, URIRef

from dhs_ai_kg.grounding import exempt_properties, quote_problems, release_texts
from dhs_ai_kg.loading import graph_files, load_dataset, union_graph
from dhs_ai_kg.namespaces import DAK, KG
from dhs_ai_kg.resources import resource_dir
from dhs_ai_kg.validation import validate

BENCH = Path(__file__).resolve().parents[1] / "bench"


datagen = bench_module("datagen")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 3,000 triples of seed 7: several releases."""
    out = tmp_path_factory.mktemp("synthetic")
    datagen.write(out, 3000, seed=7)
    return out


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _graph(out: Path) -> Graph:
    graph = Graph()
    for path in graph_files(out / "graphs"):
        graph.parse(path, format="turtle")
    return graph


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, synthetic: Path):
    datagen.write(tmp_path / "again", 3000, seed=7)
    datagen.write(tmp_path / "other", 3000, seed=8)
    assert _files(tmp_path / "again") == _files(synthetic)
    assert _files(tmp_path / "other") != _files(synthetic)


@pytest.mark.parametrize("triples", [1000, 2500, 6000])
def test_size_is_within_ten_percent_of_the_asked_count(tmp_path: Path, triples: int):
    datagen.write(tmp_path, triples, seed=42)
    assert abs(len(_graph(tmp_path)) - triples) <= triples / 10


def test_several_releases_each_with_its_own_text(synthetic: Path):
    graph = _graph(synthetic)
    releases = set(graph.subjects(predicate=None, object=DAK.PressRelease))
    assert len(releases) >= 3
    assert len(list((synthetic / "source").glob("*.txt"))) == len(releases)


def test_minted_iris_never_collide_with_the_real_release(synthetic: Path):
    ours = load_dataset()
    our_subjects = {s for s, _, _, _ in ours.quads((None, None, None, None))}
    graph = _graph(synthetic)
    shared = {
        datagen.ROLE_LEAD,
        datagen.PART_HEADLINE,
        datagen.PART_BODY,
        datagen.STATUS_DRAFT,
        datagen.QUALIFIER_ESTIMATED,
    }
    for s, _, o in graph:
        for term in (s, o):
            if isinstance(term, URIRef) and str(term).startswith(str(KG)):
                assert term in shared or "/synth-7-" in term or "/statement/" in term, term
    assert not (set(graph.subjects()) & our_subjects)


def test_exempt_properties_are_the_real_release_ones():
    assert exempt_properties(union_graph(load_dataset())) >= datagen.EXEMPT


def test_beside_the_real_release_it_passes_the_shapes(synthetic: Path):
    outcome = validate(load_dataset([synthetic / "graphs"]))
    assert outcome.conforms, outcome.text()


def test_every_quote_is_once_in_its_own_release_text(synthetic: Path):
    union = union_graph(load_dataset([synthetic / "graphs"]))
    texts = release_texts(union, [resource_dir("data") / "source", synthetic / "source"])
    assert set(union.subjects(predicate=None, object=DAK.PressRelease)) == set(texts)
    assert quote_problems(union, texts) == []


def test_validate_with_data_checks_the_synthetic_texts(synthetic: Path, tmp_path: Path, capsys):
    """The command finds the texts in source/ beside --data; a sentence taken out of one
    release's text makes it fail, naming the quote."""
    assert main(["validate", "--data", str(synthetic / "graphs")]) == EXIT_OK
    broken = tmp_path / "broken"
    datagen.write(broken, 3000, seed=7)
    text_file = sorted((broken / "source").glob("*.txt"))[0]
    text = text_file.read_text(encoding="utf-8")
    text_file.write_text(text.replace("FOR IMMEDIATE RELEASE", ""), encoding="utf-8")
    capsys.readouterr()
    assert main(["validate", "--data", str(broken / "graphs")]) == EXIT_NONCONFORMING
    assert "'FOR IMMEDIATE RELEASE' is not in the text" in capsys.readouterr().err


def test_an_ungrounded_synthetic_statement_fails_the_shapes(synthetic: Path):
    dataset = load_dataset([synthetic / "graphs"])
    coalition = KG["org/synth-7-000001-coalition"]
    release = next(g for g in dataset.graphs() if str(g.identifier).endswith("/release"))
    release.add((coalition, DAK.memberKind, KG["topic/synth-7-000001-item-1"]))
    outcome = validate(dataset)
    assert not outcome.conforms
    assert any("memberKind" in r.message for r in outcome.results), outcome.text()
