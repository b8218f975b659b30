"""Validate the dataset against the SHACL shapes, and the shapes against SHACL-for-SHACL.

Choices (see CHANGELOG):

- The data graph is the union of all named graphs, as one :class:`rdflib.Graph`; shapes see
  every statement whatever graph holds it.
- The ontology is passed to pySHACL as ``ont_graph``: pySHACL copies its class and property
  axioms (``rdfs:subClassOf`` …) into the data graph, so ``sh:targetClass`` reaches
  instances of subclasses (SHACL's "SHACL instance" is ``rdf:type/rdfs:subClassOf*``). No RDFS
  inference is run on the data: a missing ``rdf:type`` stays missing instead of being inferred.
  The data graph pySHACL gets is our own union copy, so it works on it in place (``inplace``)
  instead of copying it once more (issue 10: that second copy cost as much time as the first
  and the memory of the whole data); the Oxigraph side is prepared from the union before.
- The ontology's own header and term style are shapes too (``ontology-shapes.ttl``), run by
  :func:`validate_ontology` on the ontology file alone; each result says which file or named
  graph it is about (``Violation.where``).
- ``advanced=True`` enables SHACL-AF (SPARQL-based targets, ``sh:rule``); plain SPARQL-based
  constraints (``sh:sparql``) are core SHACL and always run.
- SPARQL-based constraints of node shapes with plain targets (class, subjects of, objects of,
  node) run on Oxigraph, not on pySHACL's rdflib engine, over the same data (the union plus the
  ontology, as pySHACL sees it), with ``$this`` pre-bound to each focus node and the same
  result fields. rdflib evaluates the statement-grounding query's ``NOT EXISTS`` with a scan
  per row, so it grew faster than the data (bench/README.md, "Scale"); Oxigraph answers it in
  milliseconds. Any other ``sh:sparql`` stays with pySHACL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from pyshacl import validate as _pyshacl_validate
from pyshacl.entrypoints import meta_validate as _pyshacl_meta_validate
from rdflib import BNode, Dataset, Graph, Literal, Node, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, RDFS, SH, XSD

from .loading import bind_prefixes, parse_turtle, union_graph
from .namespaces import PREFIXES
from .resources import ontology_file, ontology_shapes_file, shapes_file

__all__ = [
    "ValidationOutcome",
    "Violation",
    "combine",
    "keys",
    "load_ontology",
    "load_ontology_shapes",
    "load_shapes",
    "short",
    "validate",
    "validate_ontology",
    "validate_shapes_graph",
]


#: The project prefixes, plus SHACL-for-SHACL's for the meta-validation report.
_SHORTENING = {**PREFIXES, "shsh": "http://www.w3.org/ns/shacl-shacl#"}


def short(node: Node | None) -> str:
    """A node as text, IRIs shortened with the project prefixes (``kg:org/mijente``)."""
    if node is None:
        return "-"
    if isinstance(node, URIRef):
        text = str(node)
        matches = [(p, ns) for p, ns in _SHORTENING.items() if text.startswith(ns)]
        best = max(matches, key=lambda item: len(item[1]), default=None)
        return f"{best[0]}:{text[len(best[1]) :]}" if best and text != best[1] else f"<{text}>"
    if isinstance(node, Literal):
        return node.n3()
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result (of any severity), as read from the report graph."""

    focus_node: Node
    result_path: Node | None
    message: str
    severity: URIRef
    source_constraint_component: URIRef | None
    source_shape: Node | None
    value: Node | None
    where: str = ""

    def key(self) -> tuple[str, str, str]:
        """The (focus node, path, constraint component) triple that identifies this result."""
        return (
            short(self.focus_node),
            short(self.result_path),
            short(self.source_constraint_component),
        )


@dataclass
class ValidationOutcome:
    """Whether the data conforms, each result, and the raw SHACL report graph."""

    conforms: bool
    results: list[Violation] = field(default_factory=list)
    report_graph: Graph = field(default_factory=Graph)

    def text(self) -> str:
        """A human report: one block per result (focus node, path, message)."""
        if self.conforms and not self.results:
            return "Conforms: the data satisfies every shape.\n"
        head = "Conforms" if self.conforms else "Does not conform"
        lines = [f"{head}: {len(self.results)} result(s)."]
        for number, result in enumerate(self.results, start=1):
            lines.append(
                f"{number}. [{short(result.severity)}] {short(result.focus_node)}"
                f" {short(result.result_path)}"
            )
            lines.append(f"   {result.message}")
            if result.where:
                lines.append(f"   in {result.where}")
            detail = f"   shape {short(result.source_shape)}"
            detail += f", constraint {short(result.source_constraint_component)}"
            if result.value is not None:
                detail += f", value {short(result.value)}"
            lines.append(detail)
        return "\n".join(lines) + "\n"

    def turtle(self) -> str:
        """The report graph in Turtle, with the project prefixes."""
        return bind_prefixes(self.report_graph).serialize(format="turtle")


def load_shapes(path: Path | None = None) -> Graph:
    """The shapes graph from ``path`` (default: the project's shapes file)."""
    target = path or shapes_file()
    if not target.is_file():
        raise FileNotFoundError(f"no shapes file at {target}")
    return parse_turtle(target)


def load_ontology_shapes(path: Path | None = None) -> Graph | None:
    """The ontology's style shapes from ``path`` (default: the project's), or None if absent."""
    target = path or ontology_shapes_file()
    return parse_turtle(target) if target.is_file() else None


def load_ontology(path: Path | None = None) -> Graph | None:
    """The ontology from ``path`` (default: the project's ontology), or None if it is absent."""
    target = path or ontology_file()
    return parse_turtle(target) if target.is_file() else None


def _messages(report: Graph, result: Node) -> str:
    messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
    return "; ".join(messages) if messages else "(no message)"


def _iri(node: Node | None) -> URIRef | None:
    return node if isinstance(node, URIRef) else None


def _where(data: Graph | Dataset, focus: Node) -> str:
    """The named graphs of ``data`` that describe ``focus`` (as subject), or '' for a graph."""
    if not isinstance(data, Dataset):
        return ""
    names = sorted(
        {short(g.identifier) for g in data.graphs() if (focus, None, None) in g}
        - {short(DATASET_DEFAULT_GRAPH_ID)}
    )
    return "graph " + ", ".join(names) if names else ""


def _results(report: Graph, data: Graph | Dataset | None = None) -> list[Violation]:
    found = []
    for result in set(report.subjects(RDF.type, SH.ValidationResult)):
        focus = report.value(result, SH.focusNode) or BNode()
        found.append(
            Violation(
                focus_node=focus,
                result_path=report.value(result, SH.resultPath),
                message=_messages(report, result),
                severity=_iri(report.value(result, SH.resultSeverity)) or SH.Violation,
                source_constraint_component=_iri(
                    report.value(result, SH.sourceConstraintComponent)
                ),
                source_shape=report.value(result, SH.sourceShape),
                value=report.value(result, SH.value),
                where=_where(data, focus) if data is not None else "",
            )
        )
    return sorted(found, key=lambda v: (*v.key(), v.message, short(v.value)))


def _outcome(
    conforms: bool, report: object, text: str, data: Graph | Dataset | None = None
) -> ValidationOutcome:
    if not isinstance(report, Graph):  # pySHACL returns an exception object on failure
        raise RuntimeError(f"SHACL validation failed: {text}")
    return ValidationOutcome(bool(conforms), _results(report, data), bind_prefixes(report))


def validate(
    data: Graph | Dataset,
    shapes: Graph | None = None,
    ontology: Graph | None = None,
) -> ValidationOutcome:
    """Validate the union of ``data``'s graphs against ``shapes`` (default: the project's).

    ``ontology`` defaults to the project's ontology when that file exists; its class hierarchy
    makes targets subclass-aware. SPARQL-based constraints run on Oxigraph (module docstring).
    """
    shapes_graph = shapes if shapes is not None else load_shapes()
    ont_graph = ontology if ontology is not None else load_ontology()
    union = union_graph(data)
    constraints = _oxigraph_constraints(shapes_graph)
    core_shapes = shapes_graph
    if constraints:
        core_shapes = Graph()
        for prefix, namespace in shapes_graph.namespaces():
            core_shapes.bind(prefix, namespace)
        moved = {(c.shape, c.node) for c in constraints}
        for triple in shapes_graph:
            if triple[1] != SH.sparql or (triple[0], triple[2]) not in moved:
                core_shapes.add(triple)
    # Before pySHACL adds the ontology's axioms to ``union`` (in place): Oxigraph sees the
    # union plus the whole ontology, as it did when pySHACL worked on a copy.
    prepared = _prepare_oxigraph(constraints, shapes_graph, union, ont_graph)
    conforms, report, text = _pyshacl_validate(
        union,
        shacl_graph=core_shapes,
        ont_graph=ont_graph,
        inference="none",
        advanced=True,
        allow_warnings=False,
        inplace=True,  # ``union`` is our own copy: no second one
    )
    if constraints and isinstance(report, Graph):
        found = _run_on_oxigraph(prepared, report)
        if found:
            conforms = False
            for node in list(report.subjects(RDF.type, SH.ValidationReport)):
                report.set((node, SH.conforms, Literal(False)))
    return _outcome(conforms, report, text, data)


@dataclass(frozen=True)
class _SparqlConstraint:
    """One ``sh:sparql`` SELECT constraint of a node shape, ready to run on Oxigraph."""

    shape: Node
    node: Node
    query: str
    messages: tuple[Literal, ...]
    severity: URIRef


_TARGET_KEYS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)


def _focus_nodes(shapes: Graph, shape: Node, data: Graph, ontology: Graph | None) -> set[Node]:
    """The focus nodes of ``shape``'s plain targets in ``data``; a class target reaches the
    instances of its subclasses (in ``data`` or ``ontology``), as SHACL's instance does."""
    found: set[Node] = set()
    for cls in shapes.objects(shape, SH.targetClass):
        classes = {cls}
        for graph in (data, ontology) if ontology is not None else (data,):
            classes |= {c for c in graph.transitive_subjects(RDFS.subClassOf, cls) if c}
        for sub in classes:
            found |= set(data.subjects(RDF.type, sub))
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        found |= set(data.subjects(prop, None))
    for prop in shapes.objects(shape, SH.targetObjectsOf):
        found |= set(data.objects(None, prop))
    found |= set(shapes.objects(shape, SH.targetNode))
    return found


def _prefix_lines(shapes: Graph, constraint: Node) -> str:
    lines = []
    for holder in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(holder, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines))) + "\n"


def _oxigraph_constraints(shapes: Graph) -> list[_SparqlConstraint]:
    """The SELECT constraints of node shapes whose targets are plain (class, subjects of,
    objects of, node); any other ``sh:sparql`` stays with pySHACL."""
    found = []
    for shape, node in shapes.subject_objects(SH.sparql):
        if (shape, RDF.type, SH.NodeShape) not in shapes or (shape, SH.path, None) in shapes:
            continue
        if (shape, RDF.type, RDFS.Class) in shapes or (shape, SH.target, None) in shapes:
            continue
        if not any((shape, key, None) in shapes for key in _TARGET_KEYS):
            continue
        if shapes.value(node, SH.deactivated) == Literal(True):
            continue
        select = shapes.value(node, SH.select)
        if select is None:
            continue
        severity = shapes.value(shape, SH.severity)
        found.append(
            _SparqlConstraint(
                shape=shape,
                node=node,
                query=_prefix_lines(shapes, node) + str(select),
                messages=tuple(  # as pySHACL: the shape's messages, then the constraint's
                    dict.fromkeys(
                        m
                        for holder in (shape, node)
                        for m in shapes.objects(holder, SH.message)
                        if isinstance(m, Literal)
                    )
                ),
                severity=severity if isinstance(severity, URIRef) else SH.Violation,
            )
        )
    return found


def _to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        datatype = term.datatype or XSD.string
        return ox.Literal(str(term), datatype=ox.NamedNode(str(datatype)))
    raise TypeError(f"not an RDF term: {term!r}")


def _from_ox(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"not an RDF term: {term!r}")


def _message(template: Literal, solution: ox.QuerySolution, names: list[str]) -> Literal:
    text = str(template)
    for name in names:
        value = solution[name]
        shown = "" if value is None else str(_from_ox(value))
        text = text.replace("{?" + name + "}", shown).replace("{$" + name + "}", shown)
    return Literal(text)  # pySHACL's messages with bound variables are plain literals


@dataclass(frozen=True)
class _Prepared:
    """An Oxigraph store of the data and, per constraint, its focus nodes in order."""

    store: ox.Store
    work: list[tuple[_SparqlConstraint, list[Node]]]


def _prepare_oxigraph(
    constraints: list[_SparqlConstraint], shapes: Graph, union: Graph, ontology: Graph | None
) -> _Prepared:
    """``union`` (plus ``ontology``) in an Oxigraph store, and each constraint's focus nodes."""
    store = ox.Store()
    if not constraints:
        return _Prepared(store, [])
    graphs = (union, ontology) if ontology is not None else (union,)
    converted: dict[Node, ox.NamedNode | ox.BlankNode | ox.Literal] = {}

    def term(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        found = converted.get(node)
        if found is None:
            found = converted[node] = _to_ox(node)
        return found

    store.bulk_extend(
        ox.Quad(term(s), term(p), term(o))  # type: ignore[arg-type]
        for graph in graphs
        for s, p, o in graph
    )
    work = [
        (
            constraint,
            sorted(
                _focus_nodes(shapes, constraint.shape, union, ontology),
                key=lambda node: node.n3(),
            ),
        )
        for constraint in constraints
    ]
    return _Prepared(store, work)


def _run_on_oxigraph(prepared: _Prepared, report: Graph) -> int:
    """Run the prepared constraints on Oxigraph, each focus node pre-bound to ``$this``,
    adding one ``sh:ValidationResult`` per solution to ``report``; return how many were added."""
    store = prepared.store
    report_node = report.value(None, RDF.type, SH.ValidationReport)
    added = 0
    for constraint, focus_nodes in prepared.work:
        for focus in focus_nodes:
            solutions = store.query(
                constraint.query, substitutions={ox.Variable("this"): _to_ox(focus)}
            )
            names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
            for solution in solutions:  # type: ignore[union-attr]
                added += 1
                result = BNode()
                if report_node is not None:
                    report.add((report_node, SH.result, result))
                report.add((result, RDF.type, SH.ValidationResult))
                report.add((result, SH.focusNode, focus))
                report.add((result, SH.resultSeverity, constraint.severity))
                report.add((result, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
                report.add((result, SH.sourceShape, constraint.shape))
                report.add((result, SH.sourceConstraint, constraint.node))
                path = solution["path"] if "path" in names else None
                if path is not None:
                    report.add((result, SH.resultPath, _from_ox(path)))
                value = solution["value"] if "value" in names else None
                report.add((result, SH.value, _from_ox(value) if value is not None else focus))
                for template in constraint.messages:
                    report.add((result, SH.resultMessage, _message(template, solution, names)))
    return added


def validate_ontology(
    ontology: Graph, shapes: Graph | None = None, where: str = ""
) -> ValidationOutcome:
    """Validate the ontology's own header and term style against ``shapes`` (default: the
    project's ``ontology-shapes.ttl``); each result says it is ``where`` (the file)."""
    shapes_graph = shapes if shapes is not None else load_ontology_shapes()
    if shapes_graph is None:
        raise FileNotFoundError(f"no ontology shapes file at {ontology_shapes_file()}")
    conforms, report, text = _pyshacl_validate(
        ontology, shacl_graph=shapes_graph, inference="none", advanced=True, allow_warnings=False
    )
    outcome = _outcome(conforms, report, text)
    outcome.results = [replace(r, where=where) for r in outcome.results]
    return outcome


def combine(*outcomes: ValidationOutcome) -> ValidationOutcome:
    """One outcome from several: conforms if all do; results and report graphs put together."""
    report = Graph()
    for outcome in outcomes:
        report += outcome.report_graph
    results = [r for outcome in outcomes for r in outcome.results]
    return ValidationOutcome(all(o.conforms for o in outcomes), results, bind_prefixes(report))


def validate_shapes_graph(shapes: Graph | None = None) -> ValidationOutcome:
    """Check a shapes graph against the W3C SHACL-for-SHACL shapes (pySHACL's meta-SHACL)."""
    shapes_graph = shapes if shapes is not None else load_shapes()
    conforms, report, text = _pyshacl_meta_validate(shapes_graph, inference="rdfs")
    return _outcome(conforms, report, text)


def keys(results: Iterable[Violation]) -> set[tuple[str, str, str]]:
    """The (focus node, path, constraint component) set of some results, for comparisons."""
    return {result.key() for result in results}
