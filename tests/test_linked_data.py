"""Our IRIs resolve on this server whatever its host: /id/…, /ontology, /graph/…, /source/…"""

from __future__ import annotations

import pytest
from dhs_ai_kg_server import create_app
from flask.testing import FlaskClient
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import ORG

from dhs_ai_kg.namespaces import BASE, DAK, GRAPH, KG, OA, ONTOLOGY
from dhs_ai_kg.resources import source_text_file

MIJENTE = KG["org/mijente"]
PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    return create_app().test_client()


def parsed(response) -> Graph:
    return Graph().parse(data=response.data, format=PARSERS[response.mimetype])


@pytest.mark.parametrize("accept", PARSERS)
def test_a_resource_dereferences_by_accept(client, accept):
    response = client.get("/id/org/mijente", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    assert response.headers["Vary"] == "Accept"
    graph = parsed(response)
    assert (MIJENTE, RDF.type, ORG.Organization) in graph
    assert (MIJENTE, DAK.leads, KG["campaign/notechforice"]) in graph


@pytest.mark.parametrize(
    ("suffix", "media_type"), zip([".ttl", ".nt", ".jsonld", ".rdf"], PARSERS, strict=True)
)
def test_a_suffix_chooses_the_format(client, suffix, media_type):
    response = client.get(f"/id/org/mijente{suffix}", headers={"Accept": "text/turtle"})
    assert (response.status_code, response.mimetype) == (200, media_type)
    assert (MIJENTE, None, None) in parsed(response)


def test_a_description_carries_incoming_links_and_its_grounding_quotes(client):
    graph = parsed(client.get("/id/org/mijente"))
    membership = KG["membership/coalition-omb-ai-comments/mijente"]
    assert (membership, ORG.member, MIJENTE) in graph
    quotes = {str(q) for q in graph.objects(None, OA.exact)}
    text = source_text_file().read_text(encoding="utf-8").replace("**", "")
    assert quotes and all(q in text for q in quotes)
    assert any(q.startswith("Mijente is a national organizing hub") for q in quotes)


def test_an_unknown_iri_is_a_helpful_404(client):
    response = client.get("/id/org/nobody")
    assert response.status_code == 404
    assert f"<{BASE}id/org/nobody>" in response.get_data(as_text=True)
    assert "/sparql" in response.get_data(as_text=True)


def test_no_acceptable_rdf_format_is_a_406_listing_them(client):
    response = client.get("/id/org/mijente", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


def test_the_ontology_resolves_and_holds_its_terms(client):
    response = client.get("/ontology", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    graph = parsed(response)
    assert (ONTOLOGY, None, None) in graph
    assert (DAK.RecommendationSet, None, None) in graph
    assert client.get("/ontology.ttl").mimetype == "text/turtle"


def test_a_named_graph_resolves(client):
    response = client.get("/graph/release.nt")
    assert response.status_code == 200
    graph = parsed(response)
    assert (KG["doc/press-release-2023-12-05"], DAK.releaseInstruction, None) in graph
    assert (None, OA.exact, None) not in graph  # quotes live in the provenance graph
    assert client.get("/graph/nope").status_code == 404
    assert str(GRAPH.release).endswith("/graph/release")


def test_the_release_text_resolves_verbatim(client):
    response = client.get("/source/release.txt")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.data == source_text_file().read_bytes()


@pytest.mark.parametrize("path", ["/source/..%2Fgraphs%2Frelease.ttl", "/source/nope.txt"])
def test_no_other_file_is_served(client, path):
    assert client.get(path).status_code == 404


def test_a_literal_is_kept_exactly(client):
    graph = parsed(client.get("/id/statistic/mixed-status-families"))
    stat = KG["statistic/mixed-status-families"]
    assert (stat, DAK.statedAs, Literal("16.2 million")) in graph
    assert graph.value(stat, URIRef("https://schema.org/value")).toPython() == 16_200_000
