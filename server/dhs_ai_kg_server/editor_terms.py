"""The terms the query editor completes: every class and property the data uses
(``queries/editor-terms.rq``) and every one the ontology defines, each as a prefixed name
with its label (the ontology's, else ``data/vocabulary-labels.ttl``), built once per app."""

from __future__ import annotations

import re

from rdflib import OWL, RDF, RDFS, URIRef

from dhs_ai_kg.namespaces import PREFIXES
from dhs_ai_kg.resources import ontology_file

from .derived import internal_query, ontology_graph
from .entity_page import term_labels
from .state import state

__all__ = ["editor_terms", "prefixed"]

TERMS = internal_query("editor-terms")
#: The ontology's kinds of term, and what the editor calls each.
ONTOLOGY_KINDS = {
    OWL.Class: "class",
    RDFS.Class: "class",
    OWL.ObjectProperty: "property",
    OWL.DatatypeProperty: "property",
    OWL.AnnotationProperty: "property",
    RDF.Property: "property",
}
_LOCAL = re.compile(r"[A-Za-z_][\w-]*")


def prefixed(iri: str) -> str | None:
    """``iri`` as a prefixed name with the project's prefixes (longest namespace), or None."""
    best = max(
        (
            p
            for p, ns in PREFIXES.items()
            if iri.startswith(ns) and _LOCAL.fullmatch(iri[len(ns) :])
        ),
        key=lambda p: len(PREFIXES[p]),
        default=None,
    )
    return None if best is None else f"{best}:{iri[len(PREFIXES[best]) :]}"


def editor_terms() -> list[dict[str, object]]:
    """Classes and properties to complete: name, IRI, label, kind and uses in the data; the
    data's most used first, then the ontology's unused ones by name."""

    def build() -> list[dict[str, object]]:
        found: dict[tuple[str, str], int] = {}
        for term, kind, uses in state().engine.query(TERMS.text):
            found[(str(term), str(kind))] = int(str(uses))
        if ontology_file(state().resources).is_file():  # a fixture may come without one
            graph = ontology_graph()
            for rdf_kind, kind_name in ONTOLOGY_KINDS.items():
                for subject in graph.subjects(RDF.type, rdf_kind):
                    if isinstance(subject, URIRef):
                        found.setdefault((str(subject), kind_name), 0)
        labels = term_labels()
        named = [(prefixed(iri), iri, kind, uses) for (iri, kind), uses in found.items()]
        ordered = sorted((-uses, name, iri, kind) for name, iri, kind, uses in named if name)
        return [
            {"name": name, "iri": iri, "label": labels.get(iri, ""), "kind": kind, "uses": -uses}
            for uses, name, iri, kind in ordered
        ]

    return state().cached("editor-terms", build)
