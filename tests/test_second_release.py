"""A second release loads beside the real one with no code change: the shapes and the
grounding checks hold for both, and a defect in the second is still caught."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import DCTERMS

from dhs_ai_kg.grounding import quote_problems, release_texts
from dhs_ai_kg.loading import load_dataset, union_graph
from dhs_ai_kg.namespaces import DAK, GRAPH, KG
from dhs_ai_kg.resources import resource_dir
from dhs_ai_kg.validation import validate

SECOND = Path(__file__).parent / "fixtures" / "second-release"
REAL = KG["doc/press-release-2023-12-05"]
FIXTURE = KG["doc/fixture-release-2031-03-03"]


@pytest.fixture
def both():
    return load_dataset([SECOND / "graphs"])


def _texts(union):
    return release_texts(union, [resource_dir("data") / "source", SECOND / "source"])


def test_both_releases_conform_to_the_shapes(both):
    outcome = validate(both)
    assert outcome.conforms, outcome.text()


def test_every_quote_of_both_releases_is_in_its_own_text(both):
    union = union_graph(both)
    texts = _texts(union)
    assert set(texts) == {REAL, FIXTURE}
    assert quote_problems(union, texts) == []


def test_a_quote_checked_against_the_wrong_release_is_caught(both):
    union = union_graph(both)
    texts = _texts(union)
    swapped = {REAL: texts[FIXTURE], FIXTURE: texts[REAL]}
    assert len(quote_problems(union, swapped)) > 30


def test_a_defect_in_the_second_release_is_caught(both):
    """The fixture's coalition counting fewer groups than it names must fail the shapes."""
    coalition = KG["org/fixture-coalition"]
    both.graph(GRAPH.release).set((coalition, DAK.memberCount, Literal(1)))
    outcome = validate(both)
    assert not outcome.conforms
    # Caught twice: the count is below the members named, and no quote states the count 1.
    assert {str(v.focus_node) for v in outcome.results} == {str(coalition), str(GRAPH.release)}
    assert (FIXTURE, DCTERMS.issued, None) in union_graph(both)
