"""Validation copies the data into rdflib once, however large it is (issue 10: pySHACL's own
copy of the union doubled the work and the memory), and still gets pySHACL's exact results on
valid and broken synthetic data."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bench_modules import bench_module
from pyshacl import validate as pyshacl_validate
from rdflib import Dataset, Graph, Namespace
from rdflib.plugins.stores.memory import Memory

from dhs_ai_kg.loading import load_dataset, union_graph
from dhs_ai_kg.namespaces import DAK, OA
from dhs_ai_kg.validation import _results, keys, load_ontology, load_shapes, validate

BENCH = Path(__file__).resolve().parents[1] / "bench"


datagen = bench_module("datagen")
SHAPE_FIXTURES = Path(__file__).parent / "shapes"
DAK_SHAPES = Namespace("https://w3id.org/dhs-ai-kg/shapes#")
Key = tuple[str, str, str]


def _synthetic(out: Path, triples: int) -> Dataset:
    datagen.write(out, triples, seed=7)
    return load_dataset([out / "graphs"])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return _synthetic(tmp_path_factory.mktemp("small"), 1000)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return _synthetic(tmp_path_factory.mktemp("large"), 8000)


@pytest.fixture
def added(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """A one-item list counting the triples added to any in-memory rdflib store."""
    count = [0]
    original = Memory.add

    def counting(self: Memory, *args: object, **kwargs: object) -> None:
        count[0] += 1
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Memory, "add", counting)
    yield count


def _copied_beyond_one_union(dataset: Dataset, added: list[int]) -> tuple[int, int]:
    """Triples added to rdflib while validating ``dataset``, beyond one copy of its union;
    and the most that may be added: the shapes (pySHACL's are copied without the SPARQL
    constraints Oxigraph runs), the ontology's axioms, and the report."""
    union_size = len(union_graph(dataset))
    shapes, ontology = load_shapes(), load_ontology()
    assert ontology is not None
    added[0] = 0
    outcome = validate(dataset, shapes, ontology)
    assert outcome.conforms, outcome.text()
    return added[0] - union_size, len(shapes) + len(ontology) + len(outcome.report_graph)


def test_the_data_is_copied_once_whatever_its_size(
    small: Dataset, large: Dataset, added: list[int]
):
    assert len(large) > 2 * len(small)
    extra_small, allowed = _copied_beyond_one_union(small, added)
    extra_large, _ = _copied_beyond_one_union(large, added)
    assert extra_small <= allowed
    assert extra_large == extra_small


def _both(dataset: Dataset) -> tuple[tuple[bool, set[Key]], tuple[bool, set[Key]]]:
    """Our verdict and pySHACL's own (every constraint on its engine) on the union, as keys;
    one parse of the shapes for both, so that blank-node paths compare equal."""
    shapes, ontology = load_shapes(), load_ontology()
    ours = validate(dataset, shapes, ontology)
    conforms, report, _ = pyshacl_validate(
        union_graph(dataset),
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
    )
    assert isinstance(report, Graph)
    return (ours.conforms, keys(ours.results)), (bool(conforms), keys(_results(report)))


def test_valid_synthetic_data_gets_pyshacls_results(small: Dataset):
    ours, alone = _both(small)
    assert ours == alone == (True, set())


def test_broken_synthetic_data_gets_pyshacls_results(tmp_path: Path):
    dataset = _synthetic(tmp_path, 1500)
    counts = sorted(dataset.quads((None, DAK.statedInPart, None, None)), key=str)
    bodies = sorted(dataset.quads((None, OA.hasBody, None, None)), key=str)
    for quad in (*counts[:2], *bodies[:5]):  # ungrounded counts and statements
        dataset.remove(quad)
    ours, alone = _both(dataset)
    assert not alone[0]
    assert {k[2] for k in alone[1]} >= {
        "sh:SPARQLConstraintComponent",
        "sh:MinCountConstraintComponent",
    }
    assert ours == alone


def _probe_validate(
    monkeypatch: pytest.MonkeyPatch, function: str, probe: Callable[[], int]
) -> list[int]:
    """What ``probe`` says each time ``dhs-ai-kg validate`` calls ``function`` (a dotted
    name), the collector unfrozen before and after."""
    import gc

    from dhs_ai_kg_cli import main

    seen: list[int] = []
    module, name = function.rsplit(".", 1)
    real = getattr(sys.modules[module], name)

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(probe())
        return real(*args, **kwargs)

    monkeypatch.setattr(function, spy)
    gc.unfreeze()
    try:
        assert main(["validate"]) == 0
    finally:
        gc.unfreeze()
    return seen


def test_validate_keeps_the_loaded_data_out_of_full_collections(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``dhs-ai-kg validate`` freezes the collector's view once the data is loaded (at 1M
    triples, full collections walking the rdflib heap cost 11-40 s of validation)."""
    import gc

    frozen = _probe_validate(monkeypatch, "dhs_ai_kg.validation.validate", gc.get_freeze_count)
    capsys.readouterr()
    assert frozen and frozen[0] > 0


def test_validate_frees_the_shacl_working_copy_before_the_quote_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``dhs-ai-kg validate`` collects pySHACL's working copy (cyclic garbage: the union plus
    the ontology) before the quote check, so no full collection inside the check frees it (at
    1M triples, 3.6M objects: the check took 0.4 s or 3 s by where that collection fell)."""
    import gc

    garbage = _probe_validate(monkeypatch, "dhs_ai_kg.grounding.release_texts", gc.collect)
    capsys.readouterr()
    assert garbage == [0]


def _stated_count_part_query() -> str:
    """The SPARQL of StatedCountPartShape's constraint in the shapes, with its prefixes."""
    from rdflib.namespace import SH

    shapes = load_shapes()
    select = shapes.value(shapes.value(DAK_SHAPES.StatedCountPartShape, SH.sparql), SH.select)
    assert select is not None
    return "PREFIX dak: <https://w3id.org/dhs-ai-kg/ontology#>\n" + str(select)


def _selected(query: str, data: Graph) -> set[str]:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(data.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    prefixes = {"oa": str(OA), "schema": "https://schema.org/"}
    return {str(row["this"]) for row in store.query(query, prefixes=prefixes)}


@pytest.mark.parametrize(
    "name",
    [
        "release",
        "synthetic",
        *sorted(
            p.name
            for p in SHAPE_FIXTURES.glob("invalid-*count*.ttl")
            if not p.name.endswith(".expected.ttl")
        ),
    ],
)
def test_the_nested_stated_count_constraint_selects_what_the_plain_one_did(
    name: str, small: Dataset
) -> None:
    """The shapes' nested-EXISTS form of the headline-count check (written so the focus node
    drives the join) flags exactly the counts the plain NOT EXISTS flagged."""
    if name == "release":
        data = union_graph(load_dataset())
    elif name == "synthetic":
        data = union_graph(small)
    else:
        data = Graph().parse(SHAPE_FIXTURES / name)
    plain = (Path(__file__).parent / "sparql" / "stated-count-part-plain.rq").read_text()
    nested = _selected(_stated_count_part_query(), data)
    assert nested == _selected(plain, data)
    if name.startswith("invalid-count-part-not-headline"):
        assert nested  # the fixture's headline count grounded only from the body is flagged
