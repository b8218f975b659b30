"""``/graph/<name>``: an HTML page for browsers (what the graph holds, its dumps, a sample of
its subjects), RDF for RDF ``Accept`` headers, as before."""

from __future__ import annotations

import pytest
from dhs_ai_kg_server.derived import GRAPH_FORMATS
from htmlpage import Page
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from dhs_ai_kg.export import FORMATS
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import KG, ONTOLOGY, graph_iri

GRAPHS = ["release", "provenance", "links", "metadata"]


@pytest.fixture(scope="module")
def dataset():
    return load_dataset()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html", "text/html"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
        ("*/*", "text/turtle"),
        ("text/turtle;q=0.9, text/html;q=0.5", "text/turtle"),
    ],
)
def test_a_named_graph_is_negotiated(client, accept, expected):
    response = client.get("/graph/release", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == expected
    assert "Accept" in response.vary


def test_the_html_suffix_asks_for_the_page(client):
    assert client.get("/graph/release.html").mimetype == "text/html"


@pytest.mark.parametrize("name", GRAPHS)
def test_the_page_says_what_the_graph_holds(client, dataset, name):
    graph = dataset.graph(graph_iri(name))
    html = Page(
        client.get(f"/graph/{name}", headers={"Accept": "text/html"}).get_data(as_text=True)
    )
    metadata = dataset.graph(graph_iri("metadata"))
    title = metadata.value(graph_iri(name), DCTERMS.title)
    description = metadata.value(graph_iri(name), DCTERMS.description)
    assert isinstance(title, Literal) and isinstance(description, Literal)
    assert html.all("h1")[0].text == str(title)
    assert " ".join(str(description).split()) in html.text
    assert f"{len(graph):,} statements" in html.text
    classes = {str(c) for c in graph.objects(None, RDF.type)}
    table = html.by_id("classes")
    for cls in classes:
        counted = len(set(graph.subjects(RDF.type, URIRef(cls))))
        ours = "/ontology#" + cls.split("#")[-1] if cls.startswith(str(ONTOLOGY)) else cls
        assert ours in table.links, cls
        assert str(counted) in table.text
    assert len(html.all("tr")) - 1 == len(classes)


@pytest.mark.parametrize("name", GRAPHS)
def test_the_page_links_every_dump_and_subjects_that_resolve(client, dataset, name):
    html = Page(
        client.get(f"/graph/{name}", headers={"Accept": "text/html"}).get_data(as_text=True)
    )
    links = [x for x in html.by_id("downloads").links if x.startswith(f"/dumps/{name}.")]
    assert sorted(link.rsplit(".", 1)[1] for link in links) == sorted(
        FORMATS[f].extension.lstrip(".") for f in GRAPH_FORMATS
    )
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert len(Graph().parse(data=response.data, format=_format(link))) == len(
            dataset.graph(graph_iri(name))
        )
    subjects = {
        str(s) for s in dataset.graph(graph_iri(name)).subjects() if str(s).startswith(str(KG))
    }
    sample = html.by_id("subjects").links
    pages = [link for link in sample if link.startswith("/id/") and link != "/id/"]
    assert len(pages) == min(40, len(subjects))
    for link in pages:
        assert f"{KG}{link[len('/id/') :]}" in subjects
        assert client.get(link, headers={"Accept": "text/html"}).status_code == 200, link


def _format(link: str) -> str:
    return {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".rdf": "xml"}[
        link[link.rindex(".") :]
    ]
