"""The dataset describes itself truthfully: every claim of the ``metadata`` graph is checked
against the data by a test named in ``tests/expected/metadata-claims.json``, and a claim with no
test fails ``test_every_claim_has_its_test``."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from rdflib import OWL, RDF, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS, XSD

from dhs_ai_kg.grounding import exempt_properties, ungrounded_statements
from dhs_ai_kg.loading import load_dataset, parse_turtle
from dhs_ai_kg.namespaces import DAK, DATASET, GRAPH, KG, OA, ORG, SCHEMA, VOID
from dhs_ai_kg.resources import ontology_file, resource_dir, source_text_file

TESTS = Path(__file__).parent
CLAIMS: dict[str, Any] = json.loads(
    (TESTS / "expected" / "metadata-claims.json").read_text(encoding="utf-8")
)
GRAPHS = ("release", "provenance", "links", "metadata")


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset()


def said(dataset: Dataset, subject: URIRef, predicate: URIRef = DCTERMS.description) -> str:
    return str(dataset.graph(GRAPH.metadata).value(subject, predicate))


def namespace(iri: URIRef) -> str:
    text = str(iri)
    return text[: max(text.rfind("#"), text.rfind("/")) + 1]


def test_every_claim_has_its_test(dataset: Dataset) -> None:
    metadata = dataset.graph(GRAPH.metadata)
    pairs = {f"{s.n3()} {p.n3(metadata.namespace_manager)}" for s, p, _ in metadata}
    assert sorted(pairs - set(CLAIMS["claims"])) == []
    assert sorted(set(CLAIMS["claims"]) - pairs) == []
    tests = {name for name in globals() if name.startswith("test_")}
    assert sorted(set(CLAIMS["claims"].values()) - tests) == []


def test_the_description_names_the_coalition_its_leads_and_what_it_did(dataset: Dataset) -> None:
    text = said(dataset, DATASET)
    release = dataset.graph(GRAPH.release)
    counts = {int(c) for c in release.objects(None, DAK.memberCount)}
    assert counts == {35} and "coalition of 35" in text
    members = {release.value(m, ORG.member) for m in release.subjects(ORG.role, KG["role/lead"])}
    leads = {str(release.value(member, SCHEMA.name)) for member in members}
    assert leads == set(CLAIMS["lead_organizations"])
    assert all(name in text for name in leads)
    comments = KG["doc/coalition-comments-omb-ai-guidance"]
    assert release.value(comments, DAK.submittedTo) == KG["org/omb"]
    assert "Office of Management and Budget" in text
    assert (release.value(comments, SCHEMA.about), DAK.informs, KG["ai-use/dhs"]) in release
    assert "Department of Homeland Security" in text
    title = said(dataset, DATASET, DCTERMS.title)
    assert "OMB" in title and "DHS" in title


def test_the_license_is_the_ontologys_and_the_readmes(dataset: Dataset) -> None:
    license_ = dataset.graph(GRAPH.metadata).value(DATASET, DCTERMS.license)
    ontology = parse_turtle(ontology_file())
    assert ontology.value(URIRef(str(DAK._NS).rstrip("#")), DCTERMS.license) == license_
    readme = (TESTS.parent / "README.md").read_text(encoding="utf-8")
    assert str(license_) in readme


def test_created_is_a_date_not_in_the_future(dataset: Dataset) -> None:
    created = dataset.graph(GRAPH.metadata).value(DATASET, DCTERMS.created)
    assert isinstance(created, Literal) and created.datatype == XSD.date
    assert created.toPython() <= datetime.date.today()


def test_the_source_is_the_release_and_its_text_is_shipped(dataset: Dataset) -> None:
    metadata = dataset.graph(GRAPH.metadata)
    release = metadata.value(DATASET, DCTERMS.source)
    assert release == metadata.value(DATASET, PROV.wasDerivedFrom)
    assert (release, RDF.type, DAK.PressRelease) in dataset.graph(GRAPH.release)
    text = dataset.graph(GRAPH.provenance).value(release, DCTERMS.source)
    assert text is not None and source_text_file().is_file()
    assert str(text).endswith("/" + source_text_file().name)


def test_every_resource_of_ours_is_in_the_uri_space(dataset: Dataset) -> None:
    space = str(dataset.graph(GRAPH.metadata).value(DATASET, VOID.uriSpace))
    assert space == str(KG)
    for name in ("release", "provenance"):
        subjects = {s for s in dataset.graph(GRAPH[name]).subjects() if isinstance(s, URIRef)}
        assert sorted(s for s in subjects if not str(s).startswith(space)) == []


def test_the_vocabularies_listed_are_those_used(dataset: Dataset) -> None:
    listed = {str(v) for v in dataset.graph(GRAPH.metadata).objects(DATASET, VOID.vocabulary)}
    used = set()
    for name in ("release", "provenance", "links"):
        for _, p, o in dataset.graph(GRAPH[name]):
            used.add(namespace(p))
            if p == RDF.type:
                used.add(namespace(o))
    used -= set(CLAIMS["core_vocabularies"])
    assert sorted(used - listed) == [] and sorted(listed - used) == []
    assert {str(OA), str(ORG), str(SCHEMA), str(PROV), str(SKOS), str(OWL)} <= listed


def test_it_conforms_to_the_ontology_it_names(dataset: Dataset) -> None:
    named = dataset.graph(GRAPH.metadata).value(DATASET, DCTERMS.conformsTo)
    ontology = parse_turtle(ontology_file())
    assert (named, RDF.type, OWL.Ontology) in ontology
    # The shapes and the vocabulary are checked by test_shapes.py and test_ontology.py.


def test_the_subsets_are_the_named_graphs(dataset: Dataset) -> None:
    metadata = dataset.graph(GRAPH.metadata)
    subsets = set(metadata.objects(DATASET, VOID.subset))
    assert subsets == {GRAPH[name] for name in GRAPHS}
    stored = {g.identifier for g in dataset.graphs() if len(g)}
    assert subsets <= stored
    assert all((s, RDF.type, VOID.Dataset) in metadata for s in subsets | {DATASET})
    assert all(len(dataset.graph(s)) > 0 for s in subsets)
    files = {p.stem for p in (resource_dir("data") / "graphs").glob("*.ttl")}
    assert files == set(GRAPHS)


def test_the_release_graph_holds_only_the_releases_statements(dataset: Dataset) -> None:
    release = dataset.graph(GRAPH.release)
    provenance = dataset.graph(GRAPH.provenance)
    schemes = set(release.subjects(RDF.type, SKOS.ConceptScheme))
    resources = {s for s in release.subjects() if isinstance(s, URIRef)} - schemes
    grounded = set(provenance.objects(None, OA.hasBody))
    assert sorted(resources - grounded) == []
    links = dataset.graph(GRAPH.links)
    assert sorted(t for t in release if t in links) == []


def test_every_release_statement_but_the_exempt_is_stated_by_a_quote(dataset: Dataset) -> None:
    """The release graph's exemption list is what the statement grounding rests on: every
    statement with another property is an rdf:Statement body of an annotation (issue 8)."""
    metadata = dataset.graph(GRAPH.metadata)
    exempt = exempt_properties(metadata)
    assert set(metadata.subjects(DAK.groundingExemptProperty, None)) == {GRAPH.release}
    release, provenance = dataset.graph(GRAPH.release), dataset.graph(GRAPH.provenance)
    assert all((None, p, None) in release for p in exempt)
    assert len([t for t in release if t[1] not in exempt]) >= 150
    assert ungrounded_statements(release, provenance, exempt) == []
    assert "Every statement is tied to the annotation whose quote states it" in said(
        dataset, GRAPH.release
    )
    assert "rdf:Statement" in said(dataset, GRAPH.provenance)


def test_the_provenance_graph_grounds_every_release_resource(dataset: Dataset) -> None:
    release = dataset.graph(GRAPH.release)
    provenance = dataset.graph(GRAPH.provenance)
    the_release = dataset.graph(GRAPH.metadata).value(DATASET, DCTERMS.source)
    schemes = set(release.subjects(RDF.type, SKOS.ConceptScheme))
    for resource in {s for s in release.subjects() if isinstance(s, URIRef)} - schemes:
        assert (None, OA.hasBody, resource) in provenance, resource
        if resource != the_release:
            assert (resource, PROV.wasDerivedFrom, the_release) in provenance, resource


def test_the_links_graph_cites_a_source_for_each_link_and_none_is_the_release(
    dataset: Dataset,
) -> None:
    links = dataset.graph(GRAPH.links)
    the_release = dataset.graph(GRAPH.metadata).value(DATASET, DCTERMS.source)
    citations = set(links.subjects(RDF.type, RDF.Statement))
    cited = {
        (links.value(c, RDF.subject), links.value(c, RDF.predicate), links.value(c, RDF.object))
        for c in citations
    }
    statements = {t for t in links if t[0] not in citations}
    assert sorted(statements - cited) == []
    sources = {links.value(c, DCTERMS.source) for c in citations}
    assert None not in sources and the_release not in sources
    assert str(source_text_file().name) not in {str(s).rsplit("/", 1)[-1] for s in sources}


def test_the_metadata_graph_describes_only_the_dataset(dataset: Dataset) -> None:
    metadata = dataset.graph(GRAPH.metadata)
    assert set(metadata.subjects()) == {DATASET} | {GRAPH[name] for name in GRAPHS}
