"""Shared by the SHACL case tests: results as comparable keys, and which constraints of a shapes
graph the invalid cases make fail (coverage, per node shape and per constraint)."""

from __future__ import annotations

from rdflib import RDF, BNode, Graph, Node
from rdflib.namespace import SH

Key = tuple[str, str, str]
#: (shape, constraint component): one constraint of a shapes graph.
Constraint = tuple[Node, Node]

#: The constraint parameters our shapes use, each with the component it belongs to (SHACL 4).
COMPONENTS = {
    SH[name]: SH[f"{name[0].upper()}{name[1:]}ConstraintComponent"]
    for name in (
        "class",
        "datatype",
        "hasValue",
        "in",
        "lessThanOrEquals",
        "maxCount",
        "minCount",
        "minInclusive",
        "minLength",
        "node",
        "nodeKind",
        "not",
        "or",
        "pattern",
        "uniqueLang",
    )
} | {
    SH.sparql: SH.SPARQLConstraintComponent,
    SH.qualifiedMinCount: SH.QualifiedMinCountConstraintComponent,
}
#: Shape properties that are not constraint parameters of their own.
NOT_PARAMETERS = {
    SH.path,
    SH.message,
    SH.property,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.declare,
    SH.qualifiedValueShape,
    RDF.type,
}


def _path(graph: Graph, path: Node | None) -> str:
    """A path as text: an IRI as is, an inverse path as ^IRI, a one-or-more path as IRI+, no
    path as ''."""
    if path is None:
        return ""
    if isinstance(path, BNode):
        if (inverse := graph.value(path, SH.inversePath)) is not None:
            return f"^{inverse}"
        if (repeated := graph.value(path, SH.oneOrMorePath)) is not None:
            return f"{repeated}+"
        return "<complex path>"
    return str(path)


def result_keys(report: Graph) -> set[Key]:
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


def node_shapes(shapes: Graph) -> set[Node]:
    """Every node shape of the shapes graph."""
    return set(shapes.subjects(RDF.type, SH.NodeShape))


def constraints(shapes: Graph) -> set[Constraint]:
    """Every (shape, component) of the node shapes and their property shapes."""
    found = set()
    for shape in node_shapes(shapes) | set(shapes.objects(None, SH.property)):
        for parameter in set(shapes.predicates(shape, None)):
            if parameter in COMPONENTS:
                found.add((shape, COMPONENTS[parameter]))
            elif str(parameter).startswith(str(SH)) and parameter not in NOT_PARAMETERS:
                raise AssertionError(f"{parameter}: add its component to COMPONENTS")
    return found


def failed(report: Graph, shapes: Graph) -> set[Constraint]:
    """The constraints a report shows failing: each result's source shape and component, and,
    behind a failed sh:node, the node shape it names."""
    found = set()
    for result in report.objects(None, SH.result):
        shape = report.value(result, SH.sourceShape)
        component = report.value(result, SH.sourceConstraintComponent)
        assert shape is not None and component is not None
        found.add((shape, component))
        if component == SH.NodeConstraintComponent:
            found |= {
                (nested, SH.NodeConstraintComponent) for nested in shapes.objects(shape, SH.node)
            }
    return found


def owner(shapes: Graph, shape: Node) -> Node:
    """The node shape a shape belongs to: itself, or the node shape holding it as sh:property."""
    return shapes.value(None, SH.property, shape) or shape
