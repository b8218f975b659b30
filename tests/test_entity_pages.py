"""Entity pages for people (issue 9): a lead sentence from the data on every page, property
labels instead of CURIEs, one row per property, provenance folded apart, relationships
summarized where people look, and the page's triples embedded as JSON-LD."""

from __future__ import annotations

import json

import pytest
from dhs_ai_kg_server.entity_page import VOCABULARY_LABELS, embedded_jsonld
from htmlpage import Page
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDFS

from dhs_ai_kg.loading import load_dataset, parse_turtle, union_graph
from dhs_ai_kg.namespaces import BASE, DAK, KG, OA, ONTOLOGY
from dhs_ai_kg.resources import context_file, ontology_file

BROWSER = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def union() -> Graph:
    return union_graph(load_dataset())


@pytest.fixture(scope="module")
def labels() -> dict[URIRef, str]:
    """Labels of classes and properties as the ontology and the vocabularies give them."""
    found: dict[URIRef, str] = {}
    for graph in (parse_turtle(VOCABULARY_LABELS), parse_turtle(ontology_file())):
        for term, label in graph.subject_objects(RDFS.label):
            found[term] = str(label)
    return found


def html(client, path: str) -> Page:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 200, path
    return Page(response.get_data(as_text=True))


def lead(page: Page) -> str:
    [paragraph] = page.all("p", "lead")
    return " ".join(paragraph.text.split())


def test_every_class_and_property_the_data_uses_has_a_label(union, labels):
    used = set(union.predicates()) | set(union.objects(None, RDF.type))
    assert used and not sorted(str(t) for t in used if t not in labels)


def test_every_resource_page_leads_with_its_label_and_a_class_label(client, union, labels):
    ours = sorted({s for s in union.subjects() if str(s).startswith(str(KG)) and "#" not in str(s)})
    assert len(ours) > 400
    for subject in ours:
        sentence = lead(html(client, "/" + str(subject)[len(BASE) :]))
        classes = {labels[c] for c in union.objects(subject, RDF.type)}
        assert any(f" is a {c}" in sentence or f" is an {c}" in sentence for c in classes), (
            subject,
            sentence,
        )


def test_the_coalition_page_says_who_led_it(client, union):
    coalition = KG["org/coalition-omb-ai-comments"]
    leads = {
        str(union.value(union.value(m, ORG.member), RDFS.label))
        for m in union.subjects(ORG.organization, coalition)
        if union.value(m, ORG.role) == KG["role/lead"]
    }
    sentence = lead(html(client, "/id/org/coalition-omb-ai-comments"))
    assert len(leads) == 5 and "it was led by" in sentence
    assert all(name in sentence for name in leads), sentence


def test_the_comments_page_says_what_it_recommends(client, union):
    comments = KG["doc/coalition-comments-omb-ai-guidance"]
    recommendations = {
        str(union.value(r, RDFS.label))
        for r in union.subjects(DCTERMS.isPartOf, comments)
        if (r, RDF.type, DAK.Recommendation) in union
    }
    sentence = lead(html(client, "/id/doc/coalition-comments-omb-ai-guidance"))
    assert len(recommendations) == 5 and "; it recommends " in sentence
    assert all(text in sentence for text in recommendations)


def test_mijente_leads_with_what_it_leads(client):
    sentence = lead(html(client, "/id/org/mijente"))
    assert sentence.startswith("Mijente is an organization; it led coalition of civil rights")
    assert "; it leads #NoTechForICE" in sentence


def test_a_statement_node_says_what_it_states(client, union, labels):
    nodes = sorted(union.subjects(RDF.type, RDF.Statement))
    assert len(nodes) > 200
    for node in nodes[::10]:  # every tenth, in a fixed order
        subject, predicate = union.value(node, RDF.subject), union.value(node, RDF.predicate)
        sentence = lead(html(client, "/" + str(node)[len(BASE) :]))
        assert "is a statement; it states that " in sentence, node
        named = union.value(subject, RDFS.label)
        assert str(named if named is not None else subject) in sentence, (node, sentence)
        assert labels[predicate] in sentence, (node, sentence)


def test_properties_show_their_labels_one_row_each_with_the_curie_aside(client, union, labels):
    page = html(client, "/id/org/mijente")
    statements = page.by_id("statements")
    mijente = KG["org/mijente"]
    own = {p for p in union.predicates(mijente) if p != PROV.wasDerivedFrom}  # folded apart
    start, end = (page.elements.index(e) for e in (statements, page.by_id("incoming")))
    rows = [e for e in page.elements[start:end] if e.tag == "tr"]
    assert sorted(r.attrs["data-property"] for r in rows) == sorted(str(p) for p in own)
    shown = {" ".join(e.text.split()) for e in page.all("span", "property-label")}
    assert labels[DAK.leads] in shown and labels[ORG.Organization] not in {"org:Organization"}
    assert "dak:leads" in {e.text for e in page.all("code", "curie")}
    values = page.all("li", "value")
    assert len(values) >= sum(1 for _ in union.predicate_objects(mijente))


def test_provenance_rows_are_folded_apart_on_the_press_release_page(client, union):
    page = html(client, "/id/doc/press-release-2023-12-05")
    release = KG["doc/press-release-2023-12-05"]
    pointing = sum(1 for _ in union.subjects(RDF.subject, release))
    assert pointing > 5
    [details] = page.all("details", "provenance")
    assert "open" not in details.attrs
    assert "rdf:subject" in details.text
    assert "rdf:subject" not in page.by_id("incoming").text
    assert "rdf:subject" not in page.by_id("statements").text


# --- embedded JSON-LD -----------------------------------------------------------------------


def embedded(page_text: str) -> dict:
    """The page's one ``<script type="application/ld+json">``, parsed."""
    page = Page(page_text)
    [script] = [e for e in page.all("script") if e.attrs.get("type") == "application/ld+json"]
    return json.loads(script.text)


@pytest.mark.parametrize(
    "path",
    [
        "/id/org/mijente",
        "/id/doc/press-release-2023-12-05",
        "/id/annotation/headline",
        "/id/statistic/mixed-status-families",
    ],
)
def test_the_embedded_jsonld_states_exactly_what_the_resource_states(client, union, path):
    document = embedded(client.get(path, headers=BROWSER).get_data(as_text=True))
    assert document["@context"] == "http://localhost/context.jsonld"
    document["@context"] = json.loads(context_file().read_text(encoding="utf-8"))["@context"]
    got = Graph().parse(data=json.dumps(document), format="json-ld")
    iri = BASE + path[1:]
    expected = Graph()
    for s, p, o in union:
        if str(s) == iri or str(s).startswith(iri + "#"):
            expected.add((s, p, o))
    assert len(expected) > 3
    assert isomorphic(got, expected), sorted(set(got) ^ set(expected))


def test_embedded_jsonld_cannot_close_its_script_element():
    graph = Graph()
    subject = URIRef(f"{BASE}id/x")
    graph.add((subject, RDFS.label, Literal("</script><script>alert(1)</script> & more")))
    text = embedded_jsonld(graph, str(subject), None, "/context.jsonld")
    assert not {"<", ">", "&"} & set(text)
    assert str(graph.value(subject, RDFS.label)) in json.dumps(json.loads(text), ensure_ascii=False)


# --- /id/ for readers -------------------------------------------------------------------------


def section_links(page: Page, element_id: str) -> set[str]:
    """The resource pages (``/id/…``) linked from the element ``element_id``."""
    return {link for link in page.by_id(element_id).links if link.startswith("/id/")}


def test_the_index_groups_resources_for_readers_with_provenance_apart(client, union):
    page = html(client, "/id/")
    ours = {
        "/" + str(s)[len(BASE) :]
        for s in union.subjects()
        if str(s).startswith(str(KG)) and "#" not in str(s)
    }
    groups = ["people", "documents", "recommendations", "statistics", "plans", "populations"]
    reader = {g: section_links(page, g) for g in [*groups, "concepts"]}
    provenance = section_links(page, "provenance")
    seen = [link for links in reader.values() for link in links] + sorted(provenance)
    assert sorted(seen) == sorted(ours)  # each resource once, none left over
    kinds = {"people": ORG.Organization, "documents": DAK.PressRelease}
    for group, cls in kinds.items():
        assert {"/" + str(s)[len(BASE) :] for s in union.subjects(RDF.type, cls)} <= reader[group]
    assert {
        "/" + str(s)[len(BASE) :]
        for cls in (RDF.Statement, OA.Annotation)
        for s in union.subjects(RDF.type, cls)
        if str(s).startswith(str(KG))
    } == provenance
    assert [e.tag for e in page.elements if e.attrs.get("id") == "statements-list"] == ["details"]


# --- /ontology ------------------------------------------------------------------------------


def test_each_class_says_where_it_is_domain_or_range_and_how_many_instances_it_has(client, union):
    page = html(client, "/ontology")
    ontology = parse_turtle(ontology_file())
    classes = sorted(
        s for s in ontology.subjects(RDF.type, OWL.Class) if str(s).startswith(ONTOLOGY + "#")
    )
    assert len(classes) > 10
    for cls in classes:
        section = page.by_id(str(cls).split("#", 1)[1])
        for relation, css in ((RDFS.domain, "in-domain-of"), (RDFS.range, "in-range-of")):
            expected = {"#" + str(p).split("#", 1)[1] for p in ontology.subjects(relation, cls)}
            shown = [e for e in _elements_of(page, section) if e.attrs.get("class") == css]
            assert set(shown[0].links if shown else []) == expected, (cls, relation)
        [count] = [e for e in _elements_of(page, section) if e.attrs.get("class") == "instances"]
        assert int(count.text) == len(set(union.subjects(RDF.type, cls))), cls


def _elements_of(page: Page, section) -> list:
    """The elements inside ``section`` (it is a <section>: up to the next one)."""
    start = next(i for i, e in enumerate(page.elements) if e is section)
    end = next(
        (i for i, e in enumerate(page.elements) if i > start and e.tag == "section"),
        len(page.elements),
    )
    return page.elements[start:end]
