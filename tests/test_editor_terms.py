"""What the query editor completes (``/query/terms.json``): every class and property of the
ontology and of the data, as prefixed names with their labels, counted against the data files."""

from __future__ import annotations

from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, URIRef

ROOT = Path(__file__).resolve().parents[1]
DAK = "https://w3id.org/dhs-ai-kg/ontology#"


def test_terms_name_every_ontology_term_with_its_label(client):
    body = client.get("/query/terms.json").get_json()
    by_iri = {t["iri"]: t for t in body["terms"]}
    ontology = Graph().parse(ROOT / "ontology" / "dhs-ai-kg.ttl")
    defined = {
        s
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in ontology.subjects(RDF.type, kind)
        if str(s).startswith(DAK)
    }
    assert len(defined) > 10
    for term in defined:
        entry = by_iri[str(term)]
        assert entry["name"] == "dak:" + str(term)[len(DAK) :]
        assert entry["label"] == str(ontology.value(term, RDFS.label))
    assert body["prefixes"]["dak"] == DAK


def test_uses_are_counted_over_the_data(client):
    data = Graph()
    for path in sorted((ROOT / "data" / "graphs").glob("*.ttl")):
        data.parse(path)
    terms = client.get("/query/terms.json").get_json()["terms"]
    uses = {(t["name"], t["kind"]): t["uses"] for t in terms}
    assert uses[("rdf:type", "property")] == len(set(data.triples((None, RDF.type, None))))
    assert uses[("dak:leads", "property")] == len(
        set(data.triples((None, data.namespace_manager.expand_curie("dak:leads"), None)))
    )
    assert all(t["label"] for t in terms), [t["name"] for t in terms if not t["label"]]


def test_terms_keep_their_labels_after_the_query_page_is_served(make_app):
    """The query page and the editor's terms read one table of labels (ontology and
    vocabulary), whichever is asked for first: org:Organization's label is the vocabulary's."""
    vocabulary = Graph().parse(
        ROOT / "server" / "dhs_ai_kg_server" / "data" / "vocabulary-labels.ttl"
    )
    organization = "http://www.w3.org/ns/org#Organization"
    expected = str(vocabulary.value(URIRef(organization), RDFS.label))
    client = make_app().test_client()
    assert client.get("/query", headers={"Accept": "text/html"}).status_code == 200
    terms = {t["iri"]: t for t in client.get("/query/terms.json").get_json()["terms"]}
    assert terms[organization]["label"] == expected
