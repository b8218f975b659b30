"""The SHACL shapes: the data conforms, each test case behaves as its name says, and the
shapes graph itself is well-formed SHACL with a message on every constraint."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph
from rdflib.namespace import SH
from shapecases import constraints, failed, node_shapes, owner, result_keys

from dhs_ai_kg.loading import load_dataset, parse_turtle
from dhs_ai_kg.namespaces import GRAPH
from dhs_ai_kg.validation import load_ontology, load_shapes, validate, validate_shapes_graph

CASES = Path(__file__).parent / "shapes"
CASE_FILES = sorted(p for p in CASES.glob("*.ttl") if not p.name.endswith(".expected.ttl"))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def test_there_are_valid_and_invalid_cases():
    names = [p.name for p in CASE_FILES]
    assert any(n.startswith("valid-") for n in names)
    assert sum(n.startswith("invalid-") for n in names) >= 5
    assert all(n.startswith(("valid-", "invalid-")) for n in names)


@pytest.mark.parametrize("case", CASE_FILES, ids=lambda p: p.name)
def test_case(case: Path, shapes: Graph):
    outcome = validate(parse_turtle(case), shapes)
    if case.name.startswith("valid-"):
        assert outcome.conforms, outcome.text()
        return
    assert not outcome.conforms
    expected = result_keys(parse_turtle(case.with_name(case.stem + ".expected.ttl")))
    assert expected, f"{case.name}: its .expected.ttl lists no result"
    assert result_keys(outcome.report_graph) == expected, outcome.text()


@pytest.fixture(scope="module")
def failing(shapes: Graph) -> set[tuple[object, object]]:
    """The constraints that some invalid case makes fail."""
    found = set()
    for case in CASE_FILES:
        if case.name.startswith("invalid-"):
            found |= failed(validate(parse_turtle(case), shapes).report_graph, shapes)
    return found


def test_every_node_shape_has_an_invalid_case(shapes: Graph, failing):
    """A node shape that no invalid case makes fail could be one that never fails."""
    failed_shapes = {owner(shapes, shape) for shape, _ in failing}
    assert sorted(node_shapes(shapes) - failed_shapes) == []


def test_every_constraint_has_an_invalid_case(shapes: Graph, failing):
    """Per constraint, as cube-link keeps one case each. Known gap: the constraints of a shape
    reached only through sh:node (QuoteTargetShape) report as that sh:node failing, so they are
    covered as a node shape (above), not one by one."""
    behind_node = set(shapes.objects(None, SH.node))
    missing = {
        (str(owner(shapes, s)), str(c).rsplit("#", 1)[-1])
        for s, c in constraints(shapes) - failing
        if owner(shapes, s) not in behind_node
    }
    assert sorted(missing) == []  # (node shape, constraint component) without a failing case


def test_every_invalid_case_has_its_expectations():
    for case in CASE_FILES:
        if case.name.startswith("invalid-"):
            assert case.with_name(case.stem + ".expected.ttl").is_file(), case.name


def test_the_data_conforms(shapes: Graph):
    outcome = validate(load_dataset(), shapes)
    assert outcome.conforms, outcome.text()


def test_the_shapes_graph_conforms_to_shacl_for_shacl(shapes: Graph):
    outcome = validate_shapes_graph(shapes)
    assert outcome.conforms, outcome.text()


def test_every_constraint_has_a_message(shapes: Graph):
    """Each property shape, SPARQL constraint and node shape with its own constraints."""
    constrained = set(shapes.objects(None, SH.property)) | set(shapes.objects(None, SH.sparql))
    constrained |= set(shapes.subjects(SH["or"], None))
    missing = [n for n in constrained if shapes.value(n, SH.message) is None]
    assert missing == []


def test_every_release_resource_is_targeted(shapes: Graph):
    """Each resource of the release graph is the focus of some shape, through one of its
    classes or a superclass of one."""
    ontology = load_ontology()
    assert ontology is not None
    targeted = set(shapes.objects(None, SH.targetClass))
    release = load_dataset().graph(GRAPH.release)
    untargeted = []
    for resource in set(release.subjects(RDF.type, None)):
        lineage = {
            ancestor
            for cls in release.objects(resource, RDF.type)
            for ancestor in ontology.transitive_objects(cls, RDFS.subClassOf)
        } | set(release.objects(resource, RDF.type))
        if not lineage & targeted:
            untargeted.append(resource)
    assert sorted(untargeted) == []
