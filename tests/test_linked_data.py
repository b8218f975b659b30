"""Our IRIs resolve on this server whatever its host: /id/…, /ontology, /graph/…, /source/…"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from dhs_ai_kg_server import create_app
from htmlpage import Page
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, RDFS, SKOS

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_dataset, parse_turtle, union_graph
from dhs_ai_kg.namespaces import BASE, DAK, GRAPH, KG, OA, ONTOLOGY, SCHEMA
from dhs_ai_kg.resources import ontology_file, source_text_file

MIJENTE = KG["org/mijente"]
PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


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
    ("suffix", "media_type"), list(zip([".ttl", ".nt", ".jsonld", ".rdf"], PARSERS, strict=True))
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


# --- HTML pages, Link headers, the index, the 404 page, the ontology documentation ---------

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
VARIANTS = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
    ".html": "text/html",
}


def page(response) -> Page:
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


@pytest.fixture(scope="module")
def dataset():
    return load_dataset()


def test_a_browser_gets_an_html_page_with_statements_as_local_links(client):
    response = client.get("/id/org/mijente", headers=BROWSER)
    assert response.status_code == 200
    html = page(response)
    assert html.all("h1")[0].text.strip() == "Mijente"
    statements = html.by_id("statements")
    assert "/id/campaign/notechforice" in statements.links  # ours: the local page
    assert "http://www.w3.org/ns/org#Organization" in html.links  # external: links out
    assert not [link for link in html.links if link.startswith(BASE)]  # never off-server
    assert "/id/membership/coalition-omb-ai-comments/mijente" in html.by_id("incoming").links
    labels = [e for e in html.all("span", "literal") if e.text == "Mijente@en"]
    assert labels, "a language-tagged literal shows its language"


def test_a_literal_shows_its_datatype(client):
    html = page(client.get("/id/statistic/mixed-status-families", headers=BROWSER))
    typed = [e for e in html.all("span", "literal") if e.text.startswith("16200000")]
    assert typed and "^^xsd:integer" in typed[0].text


def test_the_page_quotes_the_sentences_that_ground_it_verbatim(client, dataset):
    provenance = dataset.graph(GRAPH.provenance)
    expected = {
        str(exact)
        for annotation in provenance.subjects(OA.hasBody, MIJENTE)
        for target in provenance.objects(annotation, OA.hasTarget)
        for selector in provenance.objects(target, OA.hasSelector)
        for exact in provenance.objects(selector, OA.exact)
    }
    html = page(client.get("/id/org/mijente", headers=BROWSER))
    marked = {e.text for e in html.all("mark")}
    assert expected and marked == expected
    text = source_text_file().read_text(encoding="utf-8").replace("**", "")
    assert all(quote in text for quote in marked)


def test_a_resource_without_links_says_so_plainly(client):
    linked = {s for s in parse_turtle(LINKS_FILE).subjects() if str(s).startswith(str(KG))}
    assert KG["topic/technology"] not in linked  # the premise, from the file
    html = page(client.get("/id/topic/technology", headers=BROWSER))
    assert "This resource has no links to other datasets." in html.by_id("links").text
    assert html.by_id("links").links == []


# Where a link points, by how its target begins (identifiers.md's datasets); written here
# apart from the server's query, so that the two are checked against each other.
DATASETS = {
    "http://www.wikidata.org/entity/": "Wikidata",
    "http://dbpedia.org/resource/": "DBpedia",
    "https://en.wikipedia.org/wiki/": "Wikipedia",
    "https://ror.org/": "ROR",
    "https://isni.org/isni/": "ISNI",
    "http://viaf.org/viaf/": "VIAF",
    "http://id.loc.gov/authorities/": "Library of Congress",
    "https://www.federalregister.gov/": "Federal Register",
    "https://www.regulations.gov/": "regulations.gov",
    "https://www.dhs.gov/ai/use-case-inventory": "DHS AI Use Case Inventory",
}
LINKING = {OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch, FOAF.isPrimaryTopicOf, RDFS.seeAlso}
IDENTIFIERS = {DCTERMS.identifier, SCHEMA.legislationIdentifier, DCTERMS.bibliographicCitation}
LINKS_FILE = Path(__file__).resolve().parents[1] / "data" / "graphs" / "links.ttl"


def expected_links() -> dict[str, set[tuple[str, str, str]]]:
    """Per resource path: (dataset, target, source) for each link in data/graphs/links.ttl."""
    graph = parse_turtle(LINKS_FILE)
    found: dict[str, set[tuple[str, str, str]]] = {}
    for s, p, o in graph:
        if not str(s).startswith(str(KG)) or (s, RDF.type, RDF.Statement) in graph:
            continue
        if p == FOAF.homepage:
            dataset = "official website"
        elif p in LINKING and isinstance(o, URIRef) and not str(o).startswith(BASE):
            known = (d for start, d in DATASETS.items() if str(o).startswith(start))
            dataset = next(known, urlsplit(str(o)).netloc)  # any other: its host
        elif p in IDENTIFIERS and isinstance(o, Literal):
            dataset = "identifiers"
        else:
            continue
        citation = next(
            c
            for c in graph.subjects(RDF.subject, s)
            if (c, RDF.predicate, p) in graph and (c, RDF.object, o) in graph
        )
        source = graph.value(citation, DCTERMS.source)
        found.setdefault(str(s)[len(BASE) - 1 :], set()).add((dataset, str(o), str(source)))
    return found


EXPECTED_LINKS = expected_links()


def test_every_kind_of_target_dataset_is_shown():
    shown = {d for links in EXPECTED_LINKS.values() for d, _, _ in links}
    assert shown >= {*DATASETS.values(), "official website", "identifiers"}


@pytest.mark.parametrize("path", sorted(EXPECTED_LINKS))
def test_a_page_lists_its_links_by_dataset_each_with_its_source(client, path):
    html = page(client.get(path, headers=BROWSER))
    groups = {dd.attrs["data-dataset"]: dd for dd in html.all("dd") if "data-dataset" in dd.attrs}
    expected = EXPECTED_LINKS[path]
    assert set(groups) == {d for d, _, _ in expected}
    items = html.all("li", "link")
    assert len(items) == len(expected)
    for dataset, target, source in expected:
        assert target in groups[dataset].links or target in groups[dataset].text
        assert any(
            (source == item.links[-1] if source.startswith("http") else source in item.text)
            and (target in item.links or target in item.text)
            for item in items
        ), (target, source)


def test_parts_are_shown_inside_their_statement_with_their_fragment_as_anchor(client):
    html = page(client.get("/id/annotation/headline", headers=BROWSER))
    nested = html.all("ul", "part")
    assert nested and any("35+ Civil and Immigrant Rights" in e.text for e in nested)
    assert "35+ Civil and Immigrant Rights" in html.by_id("selector").text
    assert "/id/annotation/headline#selector" in html.links


def test_a_part_resolves_to_its_resource_document_and_is_not_indexed(client):
    iri = URIRef(f"{BASE}id/annotation/headline#selector")
    graph = Graph().parse(data=client.get("/id/annotation/headline.ttl").text, format="turtle")
    assert (iri, OA.exact, None) in graph
    assert "#selector" not in client.get("/id/", headers=BROWSER).text


@pytest.mark.parametrize("accept", [BROWSER["Accept"], "text/turtle", "application/ld+json"])
def test_every_variant_lists_all_variants_in_link_headers(client, accept):
    response = client.get("/id/org/mijente", headers={"Accept": accept})
    assert response.status_code == 200
    link = response.headers["Link"]
    for suffix, media_type in VARIANTS.items():
        assert f'<http://localhost/id/org/mijente{suffix}>; rel="alternate"; ' in link
        assert f'type="{media_type}"' in link


def test_the_html_suffix_and_other_hosts(client):
    other = create_app().test_client()
    response = other.get("/id/org/mijente.html", base_url="http://kg.example:8080")
    html = page(response)
    assert "<http://kg.example:8080/id/org/mijente.ttl>" in response.headers["Link"]
    assert "/id/campaign/notechforice" in html.links  # root-relative: works at any host


def test_an_unknown_iri_gets_an_html_404_that_suggests_similar_ones(client):
    response = client.get("/id/org/mijnete", headers=BROWSER)
    assert response.status_code == 404
    html = page(response)
    assert f"{BASE}id/org/mijnete" in html.text
    assert "/id/org/mijente" in html.links
    assert "/id/" in html.links and "/sparql" in html.links


def test_an_unknown_iri_gets_a_text_404_with_suggestions_for_other_clients(client):
    response = client.get("/id/org/just-future-law", headers={"Accept": "text/turtle"})
    assert (response.status_code, response.mimetype) == (404, "text/plain")
    assert "/id/org/just-futures-law" in response.get_data(as_text=True)


def test_the_index_lists_every_resource_of_ours_by_class(client, dataset):
    ours = {
        str(s)[len(BASE) - 1 :]
        for s in union_graph(dataset).subjects()
        if isinstance(s, URIRef) and str(s).startswith(str(KG)) and "#" not in s
    }  # parts (hash IRIs) are described in their resource's document
    html = page(client.get("/id/", headers=BROWSER))
    assert ours and ours <= set(html.links)
    assert "/ontology#RecommendationSet" in html.links  # a class heading of ours


def test_the_ontology_documentation_has_an_anchor_per_term(client):
    response = client.get("/ontology", headers=BROWSER)
    assert response.status_code == 200
    html = page(response)
    ontology = parse_turtle(ontology_file())
    terms = {
        str(s).split("#", 1)[1]
        for s in ontology.subjects(RDF.type, None)
        if str(s).startswith(str(ONTOLOGY) + "#")
    }
    ids = {e.attrs["id"] for e in html.elements if "id" in e.attrs}
    assert len(terms) == len(DAK.__annotations__) and terms <= ids  # every term of DAK
    section = html.by_id("RecommendationSet")
    assert "recommendation set" in section.text
    assert str(ontology.value(DAK.RecommendationSet, SKOS.definition)) in section.text
    assert "http://www.w3.org/ns/prov#Collection" in section.links  # its super-class
    assert "#Recommendation" in html.by_id("recommendedAction").links  # its domain, in-page
    assert '<http://localhost/ontology.ttl>; rel="alternate"' in response.headers["Link"]


def test_a_type_of_ours_links_to_the_ontology_documentation(client):
    html = page(client.get("/id/recommendation-set/additional", headers=BROWSER))
    assert "/ontology#RecommendationSet" in html.all("p", "types")[0].links


def test_the_ontology_version_iri_resolves_to_the_same_document(client):
    html = client.get("/ontology/0.1.0", headers=BROWSER)
    assert html.status_code == 200 and html.mimetype == "text/html"
    turtle = client.get("/ontology/0.1.0.ttl")
    assert turtle.mimetype == "text/turtle"
    assert (ONTOLOGY, None, None) in Graph().parse(data=turtle.data, format="turtle")
    assert client.get("/ontology/9.9.9").status_code == 404


def test_a_quote_is_shown_in_its_context_and_links_out_are_listed():
    extra = Path(__file__).parent / "fixtures" / "linked-data"
    other = create_app(engine=Engine.from_dataset(load_dataset([extra]))).test_client()
    html = page(other.get("/id/org/mijente", headers=BROWSER))
    quotes = [q for q in html.all("blockquote", "quote") if "the quoted words" in q.text]
    assert len(quotes) == 1
    assert " ".join(quotes[0].text.split()).startswith(
        "Before the quote, the quoted words, after it."
    )
    assert "the quoted words" in {m.text for m in html.all("mark")}
    assert "http://www.wikidata.org/entity/Q000001" in html.by_id("links").links
    [item] = [i for i in html.all("li", "link") if "Q000001" in " ".join(i.links)]
    assert "no source cited" in item.text
