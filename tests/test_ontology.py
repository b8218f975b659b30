"""The ontology: a full header, every term labelled, defined, aligned, and in sync with DAK."""

from __future__ import annotations

import re

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef
from rdflib.namespace import DCTERMS

from dhs_ai_kg.loading import load_dataset, parse_turtle
from dhs_ai_kg.namespaces import DAK, ONTOLOGY, VANN
from dhs_ai_kg.resources import ontology_file

NS = str(DAK._NS)
HEADER = [
    DCTERMS.title,
    DCTERMS.description,
    DCTERMS.license,
    DCTERMS.creator,
    DCTERMS.created,
    DCTERMS.modified,
    OWL.versionIRI,
    OWL.versionInfo,
    VANN.preferredNamespacePrefix,
    VANN.preferredNamespaceUri,
]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return parse_turtle(ontology_file())


def _terms(ontology: Graph, *types: URIRef) -> set[URIRef]:
    return {s for t in types for s in ontology.subjects(RDF.type, t) if str(s).startswith(NS)}


@pytest.mark.parametrize("prop", HEADER, ids=lambda p: p.n3().split("/")[-1])
def test_header_has(ontology, prop):
    assert ontology.value(ONTOLOGY, prop) is not None


def test_preferred_namespace_matches_dak(ontology):
    assert str(ontology.value(ONTOLOGY, VANN.preferredNamespaceUri)) == NS
    assert str(ontology.value(ONTOLOGY, VANN.preferredNamespacePrefix)) == "dak"


def test_every_term_is_labelled_defined_and_defined_by(ontology):
    terms = _terms(ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    assert len(terms) > 40
    for term in terms:
        assert ontology.value(term, RDFS.label), term
        assert ontology.value(term, SKOS.definition), term
        assert ontology.value(term, RDFS.isDefinedBy) == ONTOLOGY, term


def test_naming_style(ontology):
    for cls in _terms(ontology, OWL.Class):
        assert re.fullmatch(r"[A-Z][A-Za-z]+", cls[len(NS) :]), cls
    for prop in _terms(ontology, OWL.ObjectProperty, OWL.DatatypeProperty):
        assert re.fullmatch(r"[a-z][A-Za-z]+", prop[len(NS) :]), prop


def test_every_class_refines_a_standard_class(ontology):
    """Following rdfs:subClassOf from any of our classes reaches a class outside our namespace."""
    for cls in _terms(ontology, OWL.Class):
        supers = set(ontology.transitive_objects(cls, RDFS.subClassOf)) - {cls}
        assert any(not str(s).startswith(NS) for s in supers), cls


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
