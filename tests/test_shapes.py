"""The SHACL shapes: the data conforms, each test case behaves as its name says, and the
shapes graph itself is well-formed SHACL with a message on every constraint."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, RDFS, BNode, Graph, Node
from rdflib.namespace import SH

from dhs_ai_kg.loading import load_dataset, parse_turtle
from dhs_ai_kg.namespaces import GRAPH
from dhs_ai_kg.validation import load_ontology, load_shapes, validate, validate_shapes_graph

CASES = Path(__file__).parent / "shapes"
CASE_FILES = sorted(p for p in CASES.glob("*.ttl") if not p.name.endswith(".expected.ttl"))

Key = tuple[str, str, str]


def _path(graph: Graph, path: Node | None) -> str:
    """A path as text: an IRI as is, an inverse path as ^IRI, no path as ''."""
    if path is None:
        return ""
    if isinstance(path, BNode):
        inverse = graph.value(path, SH.inversePath)
        return f"^{inverse}" if inverse is not None else "<complex path>"
    return str(path)


def _keys(report: Graph) -> set[Key]:
    """(focus node, path, constraint component) of each result; blank focus nodes as '[]'."""
    keys = set()
    for result in report.objects(None, SH.result):
        focus = report.value(result, SH.focusNode)
        keys.add(
            (
                "[]" if isinstance(focus, BNode) else str(focus),
                _path(report, report.value(result, SH.resultPath)),
                str(report.value(result, SH.sourceConstraintComponent)),
            )
        )
    return keys


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
    expected = _keys(parse_turtle(case.with_name(case.stem + ".expected.ttl")))
    assert expected, f"{case.name}: its .expected.ttl lists no result"
    assert _keys(outcome.report_graph) == expected, outcome.text()


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
