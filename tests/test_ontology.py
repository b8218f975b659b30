"""The ontology: its header and term style checked by the SHACL shapes `dhs-ai-kg validate` runs
(ontology/ontology-shapes.ttl, each constraint with a failing case in shapes/ontology/), and the
typed namespace DAK in sync with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, Graph, URIRef
from rdflib.namespace import SH
from shapecases import constraints, failed, result_keys

from dhs_ai_kg.loading import load_dataset, parse_turtle
from dhs_ai_kg.namespaces import DAK
from dhs_ai_kg.resources import ontology_file
from dhs_ai_kg.validation import load_ontology_shapes, validate_ontology, validate_shapes_graph

NS = str(DAK._NS)
CASES = Path(__file__).parent / "shapes" / "ontology"
CASE_FILES = sorted(p for p in CASES.glob("*.ttl") if not p.name.endswith(".expected.ttl"))


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return parse_turtle(ontology_file())


@pytest.fixture(scope="module")
def shapes() -> Graph:
    graph = load_ontology_shapes()
    assert graph is not None, "no ontology/ontology-shapes.ttl"
    return graph


def _terms(ontology: Graph, *types: URIRef) -> set[URIRef]:
    return {s for t in types for s in ontology.subjects(RDF.type, t) if str(s).startswith(NS)}


def test_the_ontology_conforms_to_its_style_shapes(ontology, shapes):
    outcome = validate_ontology(ontology, shapes)
    assert outcome.conforms, outcome.text()


def test_the_style_shapes_conform_to_shacl_for_shacl(shapes):
    outcome = validate_shapes_graph(shapes)
    assert outcome.conforms, outcome.text()


def test_every_style_constraint_has_a_message(shapes):
    constrained = {s for s, _ in constraints(shapes)} | set(shapes.objects(None, SH.sparql))
    constrained -= {s for s in constrained if (s, SH.sparql, None) in shapes}
    assert sorted(n for n in constrained if shapes.value(n, SH.message) is None) == []


def test_there_are_valid_and_invalid_cases():
    names = [p.name for p in CASE_FILES]
    assert any(n.startswith("valid-") for n in names)
    assert any(n.startswith("invalid-") for n in names)
    assert all(n.startswith(("valid-", "invalid-")) for n in names)


@pytest.mark.parametrize("case", CASE_FILES, ids=lambda p: p.name)
def test_case(case: Path, shapes: Graph):
    outcome = validate_ontology(parse_turtle(case), shapes)
    if case.name.startswith("valid-"):
        assert outcome.conforms, outcome.text()
        return
    assert not outcome.conforms
    expected_file = case.with_name(case.stem + ".expected.ttl")
    assert expected_file.is_file(), f"{case.name} has no {expected_file.name}"
    expected = result_keys(parse_turtle(expected_file))
    assert expected, f"{case.name}: its .expected.ttl lists no result"
    assert result_keys(outcome.report_graph) == expected, outcome.text()


def test_every_style_constraint_has_an_invalid_case(shapes: Graph):
    failing = set()
    for case in CASE_FILES:
        if case.name.startswith("invalid-"):
            report = validate_ontology(parse_turtle(case), shapes).report_graph
            failing |= failed(report, shapes)
    assert sorted(constraints(shapes) - failing) == []


def test_typed_namespace_is_in_sync_with_the_ontology(ontology):
    declared = {
        str(t)[len(NS) :]
        for t in _terms(ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    }
    assert set(DAK.__annotations__) == declared


def test_unknown_term_fails_loudly():
    with pytest.raises(AttributeError):
        _ = DAK.NoSuchTerm


def test_data_uses_only_defined_terms(ontology):
    defined = _terms(ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    used = {
        term
        for quad in load_dataset().quads()
        for term in quad[:3]
        if isinstance(term, URIRef) and str(term).startswith(NS) and str(term) != NS
    }
    assert sorted(used - defined) == []
