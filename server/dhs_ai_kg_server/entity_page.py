"""What an entity page says first and how it groups the rest: the lead sentence (worded by
``data/lead-sentences.json`` from the data), labels of classes and properties (the ontology's
and ``data/vocabulary-labels.ttl``), rows grouped by property, provenance rows apart."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from dhs_ai_kg.loading import parse_turtle
from dhs_ai_kg.resources import ontology_file

from .derived import Resource, ontology_graph
from .state import state
from .terms import TermView, curie, view

__all__ = [
    "LEAD_SENTENCES",
    "VOCABULARY_LABELS",
    "Clause",
    "Lead",
    "PropertyGroup",
    "embedded_jsonld",
    "group_rows",
    "index_groups",
    "lead_sentence",
    "lead_templates",
    "short",
    "term_labels",
]

DATA = Path(__file__).parent / "data"
LEAD_SENTENCES = DATA / "lead-sentences.json"
INDEX_GROUPS = DATA / "index-groups.json"
VOCABULARY_LABELS = DATA / "vocabulary-labels.ttl"
#: How many values a clause of the lead sentence names before "and N more".
CLAUSE_VALUES = 6


def lead_templates() -> dict[str, Any]:
    """The lead-sentence templates (``data/lead-sentences.json``), read once per app."""
    return state().cached(
        "lead-templates", lambda: json.loads(LEAD_SENTENCES.read_text(encoding="utf-8"))
    )


def term_labels() -> dict[str, str]:
    """English ``rdfs:label`` of each class and property: the ontology's, else the other
    vocabularies' as ``data/vocabulary-labels.ttl`` records them; built once per app."""

    def build() -> dict[str, str]:
        labels: dict[str, str] = {}
        graphs = [parse_turtle(VOCABULARY_LABELS)]
        if ontology_file(state().resources).is_file():  # a fixture may come without one
            graphs.append(ontology_graph())
        for graph in graphs:
            for term, label in graph.subject_objects(RDFS.label):
                if isinstance(label, Literal) and label.language in (None, "en"):
                    labels[str(term)] = str(label)
        return labels

    return state().cached("term-labels", build)


def short(iri: str) -> str:
    """How data files name ``iri``: ``kg:org/x`` for ours, a CURIE or the IRI for others."""
    return view(URIRef(iri)).text


def labelled(iri: str) -> TermView:
    """The view of a class or property IRI showing its label (its CURIE when it has none)."""
    label = term_labels().get(iri)
    return view(URIRef(iri), Literal(label) if label is not None else None)


@dataclass(frozen=True)
class Clause:
    """One clause of a lead sentence: ``it <phrase> <values>[ and <more> more]``."""

    phrase: str
    values: list[TermView]
    more: int = 0


@dataclass(frozen=True)
class Lead:
    """A page's lead sentence: ``<label> is <article> <cls>; <clauses>.``"""

    label: str
    article: str
    cls: TermView | None
    clauses: list[Clause]
    form: list[str | TermView] = field(default_factory=list)  # a class's own wording

    @property
    def text(self) -> str:
        """The sentence as plain text (tests and the page's meta description)."""
        head = (
            f"{self.label} is {self.article} {self.cls.text}"
            if self.cls
            else f"{self.label} has no class in the data"
        )
        parts = [head]
        if self.form:
            parts.append("".join(p if isinstance(p, str) else p.text for p in self.form))
        for clause in self.clauses:
            names = [v.text for v in clause.values]
            names += [f"{clause.more} more"] if clause.more else []
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"it {clause.phrase} {listed}")
        return "; ".join(parts) + "."


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _form(template: str, values: dict[str, TermView]) -> list[str | TermView]:
    """``template``'s text and ``{curie}`` placeholders, each replaced by that value."""
    pieces: list[str | TermView] = []
    for index, piece in enumerate(re.split(r"\{([^}]+)\}", template)):
        if index % 2 == 0:
            pieces.append(piece)
        else:
            pieces.append(values.get(piece, "(not stated)"))
    return [p for p in pieces if p != ""]


def lead_sentence(
    label: str,
    types: list[str],
    relations: Sequence[Sequence[Node | None]],
    statements: Sequence[tuple[TermView, TermView, object]] = (),
) -> Lead:
    """The lead sentence of a resource called ``label`` of classes ``types`` (IRIs), from the
    rows of ``resource-relations.rq`` and its own ``statements`` (property, value, …),
    worded by the templates."""
    templates = lead_templates()
    labels = term_labels()
    named = {short(t): t for t in types}
    cls_iri = next((named[c] for c in templates["classes"] if c in named), None)
    if cls_iri is None:
        cls_iri = next((t for t in types if t in labels), types[0] if types else None)
    cls = labelled(cls_iri) if cls_iri is not None else None
    order = list(templates["relations"])
    found: dict[str, list[TermView]] = {}
    for _, direction, prop, other_class, value, value_label in relations:
        if value is None or direction is None or prop is None:
            continue
        key = f"{direction} {short(str(prop))}"
        keys = ([f"{key} {short(str(other_class))}"] if other_class is not None else []) + [key]
        chosen = next((k for k in keys if k in templates["relations"]), None)
        if chosen is None:
            continue
        item = view(value, value_label)
        listed = found.setdefault(chosen, [])
        if item.value not in {v.value for v in listed} and item.value != label:
            listed.append(item)
    clauses = [
        Clause(
            templates["relations"][k],
            found[k][:CLAUSE_VALUES],
            max(0, len(found[k]) - CLAUSE_VALUES),
        )
        for k in sorted(found, key=order.index)
    ]
    form_template = templates["forms"].get(short(cls_iri)) if cls_iri else None
    if form_template is not None:
        by_property: dict[str, TermView] = {}
        for prop_view, value_view, _ in statements:
            key = curie(prop_view.value)
            if key not in by_property:
                predicate = key == "rdf:predicate"
                by_property[key] = labelled(value_view.value) if predicate else value_view
        form = _form(form_template, by_property)
        return Lead(label, _article(cls.text) if cls else "", cls, [], form)
    return Lead(label, _article(cls.text) if cls else "", cls, clauses)


def embedded_jsonld(
    graph: Graph, iri: str, context: dict[str, object] | None, context_url: str
) -> str:
    """What ``iri`` and its parts (``iri#…``) state in ``graph``, as JSON-LD compacted with
    ``context`` and pointing to it at ``context_url``; safe inside ``<script>`` (no ``<``,
    ``>``, ``&``)."""
    own = Graph()
    for subject, prop, value in graph:
        if str(subject) == iri or str(subject).startswith(iri + "#"):
            own.add((subject, prop, value))
    document = json.loads(own.serialize(format="json-ld", context=context, auto_compact=True))
    if context is not None:
        document["@context"] = context_url
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass
class PropertyGroup:
    """One property's row: its label (CURIE as secondary text) and each value with its mark."""

    prop: TermView
    curie: str
    values: list[tuple[TermView, dict[str, object] | None]] = field(default_factory=list)


def group_rows(
    rows: list[tuple[TermView, TermView, dict[str, object] | None]],
) -> tuple[list[PropertyGroup], list[PropertyGroup]]:
    """``rows`` of (property, value, source mark) as one group per property, in first-seen
    order: (the statements people read, the provenance ones the templates fold away)."""
    provenance = set(lead_templates()["provenance"])
    groups: dict[str, PropertyGroup] = {}
    for prop, value, mark in rows:
        if prop.value not in groups:
            groups[prop.value] = PropertyGroup(labelled(prop.value), curie(prop.value))
        groups[prop.value].values.append((value, mark))
    main = [g for g in groups.values() if g.curie not in provenance]
    folded = [g for g in groups.values() if g.curie in provenance]
    return main, folded


@dataclass
class IndexGroup:
    """A group of ``/id/``: its anchor, title and members as (resource, class views)."""

    id: str
    title: str
    members: list[tuple[Resource, list[TermView]]] = field(default_factory=list)


def index_groups(
    resources: Sequence[Resource],
) -> tuple[list[IndexGroup], list[IndexGroup], IndexGroup]:
    """``resources`` in the groups of ``data/index-groups.json``: (the reader groups, the
    provenance groups, the rest), each group's members sorted by label."""
    config = state().cached(
        "index-groups", lambda: json.loads(INDEX_GROUPS.read_text(encoding="utf-8"))
    )
    reader = [IndexGroup(g["id"], g["title"]) for g in config["reader"]]
    provenance = [IndexGroup(g["id"], g["title"]) for g in config["provenance"]]
    other = IndexGroup("other", "Other")
    rules = list(zip(config["reader"] + config["provenance"], reader + provenance, strict=True))
    for resource in resources:
        classes = {short(c) for c in resource.classes}
        target = next(
            (
                group
                for rule, group in rules
                if classes & set(rule["classes"])
                and resource.path.startswith(rule.get("under", ""))
            ),
            other,
        )
        views: dict[str, TermView] = {}  # org:, foaf: and schema:Organization read alike
        for cls in resource.classes:
            views.setdefault(labelled(cls).text, labelled(cls))
        target.members.append((resource, list(views.values())))
    for group in [*reader, *provenance, other]:
        group.members.sort(key=lambda m: ((m[0].label or m[0].path).lower(), m[0].path))
    return reader, provenance, other
