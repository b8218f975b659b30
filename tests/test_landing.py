"""The front page at ``/`` and the label search at ``/search``, without a browser
(tests/browser/test_landing.py drives Chromium).

Expected values are read from the data with rdflib (not from the server's own queries, which
run on pyoxigraph): the front page's paragraph is the dataset's description, each key fact a
resource of its kind, and a search finds exactly the labels that contain the text.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, SKOS

from dhs_ai_kg.loading import load_dataset, union_graph
from dhs_ai_kg.named_queries import load_named_queries
from dhs_ai_kg.namespaces import BASE

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
JSON = {"Accept": "application/json"}
DAK = Namespace(BASE + "ontology#")
SCHEMA = Namespace("https://schema.org/")
DATASET = URIRef(BASE + "dataset")
LEAD = URIRef(BASE + "id/role/lead")
LABELS = (RDFS.label, SKOS.prefLabel, SCHEMA.name)
#: The kinds of key fact the front page lists: the lead role, then classes.
KINDS = [LEAD, DAK.ExecutiveOrder, DAK.Guidance, DAK.AIUse, DAK.Recommendation, DAK.Statistic]


@pytest.fixture(scope="module")
def data() -> Graph:
    return union_graph(load_dataset())


class Page(HTMLParser):
    """The links of a page (href → text), by the ``data-kind`` section they stand in, its ids,
    forms and textarea."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.kinds: dict[str, dict[str, str]] = {}
        self.links: dict[str, str] = {}
        self.ids: set[str] = set()
        self.forms: list[dict[str, str | None]] = []
        self.textarea = ""
        self._kind: str | None = None
        self._href: str | None = None
        self._in_textarea = False
        self.html = html
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if attr.get("data-kind"):
            self._kind = attr["data-kind"]
            self.kinds[self._kind or ""] = {}
        if tag == "a":
            self._href = attr.get("href")
            self.links.setdefault(self._href or "", "")
        if tag == "form":
            self.forms.append(attr)
        if attr.get("id"):
            self.ids.add(attr["id"] or "")
        self._in_textarea = tag == "textarea"

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links[self._href] += data
            if self._kind is not None:
                self.kinds[self._kind][self._href] = self.kinds[self._kind].get(self._href, "")
                self.kinds[self._kind][self._href] += data
        if self._in_textarea:
            self.textarea += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None
        if tag == "section":
            self._kind = None
        if tag == "textarea":
            self._in_textarea = False


@pytest.fixture(scope="module")
def front(client) -> Page:
    response = client.get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    return Page(response.get_data(as_text=True))


def local(iri: URIRef) -> str:
    return "/" + str(iri)[len(BASE) :]


def label_of(data: Graph, resource: URIRef) -> set[str]:
    return {str(o) for p in LABELS for o in data.objects(resource, p)}


# --- the paragraph on the release --------------------------------------------------------------


def test_the_opening_paragraph_is_the_datasets_description(front, data):
    description = data.value(DATASET, DCTERMS.description)
    assert description is not None
    found = re.search(r'<p class="lead" id="about">(.*?)</p>', front.html, re.S)
    assert found is not None
    about = unescape(found[1]).strip()
    assert about == str(description)
    # What the issue found missing from "/": OMB, DHS, the number of groups, the date.
    for word in ("Office of Management and Budget", "Department of Homeland Security", "35"):
        assert word in about


def test_the_release_line_comes_from_the_release_resource(front, data):
    release = data.value(DATASET, DCTERMS.source)
    assert isinstance(release, URIRef)
    assert front.links[local(release)] == str(data.value(release, SCHEMA.headline))
    issued = str(data.value(release, DCTERMS.issued))
    assert f'<time datetime="{issued}">{issued}</time>' in front.html
    coalitions = {data.value(m, ORG.organization) for m in data.subjects(ORG.role, LEAD)}
    assert len(coalitions) == 1
    (coalition,) = coalitions
    count = data.value(coalition, DAK.memberCount)
    assert isinstance(coalition, URIRef) and count is not None
    assert local(coalition) in front.links
    assert f'<span class="member-count">{count}</span>' in front.html


# --- key facts -------------------------------------------------------------------------------


def members(data: Graph, kind: URIRef) -> set[URIRef]:
    if kind == LEAD:
        found = {data.value(m, ORG.member) for m in data.subjects(ORG.role, LEAD)}
    else:
        found = set(data.subjects(RDF.type, kind))
    return {r for r in found if isinstance(r, URIRef)}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: str(k).rsplit("/", 1)[-1].split("#")[-1])
def test_key_facts_are_every_resource_of_their_kind(front, data, kind):
    expected = members(data, kind)
    assert expected, f"the data holds no {kind}"
    shown = front.kinds[str(kind)]
    heading = local(kind)
    assert {href for href in shown if href != heading} == {local(r) for r in expected}
    for resource in expected:
        assert shown[local(resource)] in label_of(data, resource)


def test_the_five_leads_are_the_leads(front, data):
    assert len(members(data, LEAD)) == 5
    assert len([h for h in front.kinds[str(LEAD)] if h.startswith("/id/org/")]) == 5


def test_every_key_fact_links_to_a_page(client, front):
    hrefs = {href for shown in front.kinds.values() for href in shown}
    for href in hrefs:
        path = urlsplit(href).path
        assert client.get(path, headers={"Accept": BROWSER}).status_code == 200, href


# --- named queries and the editor ------------------------------------------------------------


def test_named_queries_are_listed_linking_to_their_pages(client, front):
    for query in load_named_queries().values():
        href = f"/queries/{query.name}"
        assert front.links.get(href) == query.question
    response = client.get("/queries/02-signatory-count-and-kinds", headers={"Accept": BROWSER})
    assert response.status_code == 200


def test_the_editor_link_opens_a_runnable_example(client, front):
    (editor,) = [h for h, text in front.links.items() if text == "Open the SPARQL editor"]
    assert urlsplit(editor).path == "/query"
    page = Page(client.get(editor, headers={"Accept": BROWSER}).get_data(as_text=True))
    assert page.textarea.strip(), "the editor opens empty"
    answer = client.post("/sparql", data={"query": page.textarea}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200
    assert len(answer.get_data(as_text=True).strip().splitlines()) > 1  # a header and rows


def test_the_query_page_opens_with_a_runnable_example(client):
    page = Page(client.get("/query", headers={"Accept": BROWSER}).get_data(as_text=True))
    queries = load_named_queries()
    first = next(q for q in queries.values() if not any(p.required for p in q.parameters))
    assert page.textarea == first.text
    answer = client.post("/sparql", data={"query": page.textarea}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200 and len(answer.get_data(as_text=True).splitlines()) > 1


@pytest.mark.parametrize(
    "query_string",
    ["query=SELECT+*+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D+LIMIT+1", "example=01-lead-organizations"],
)
def test_old_links_to_the_query_page_still_work(client, query_string):
    response = client.get("/?" + query_string, headers={"Accept": BROWSER})
    assert response.status_code == 301
    assert response.headers["Location"] == "/query?" + query_string
    page = client.get(response.headers["Location"], headers={"Accept": BROWSER})
    assert "Query the knowledge graph" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/", "/query", "/queries", "/id/", "/id/org/mijente", "/ontology", "/search?q=x"]
)
def test_every_page_has_the_search_box(client, path):
    page = Page(client.get(path, headers={"Accept": BROWSER}).get_data(as_text=True))
    searches = [f for f in page.forms if f.get("action") == "/search"]
    assert len(searches) == 1  # one box: the front and results pages' own replaces the header's
    assert searches[0].get("method") == "get"
    own = {"/": "landing-search-q", "/search?q=x": "page-search-q"}
    assert own.get(path, "header-search-q") in page.ids


# --- search ----------------------------------------------------------------------------------


def expected_matches(data: Graph, text: str) -> set[str]:
    """Our resources (annotations, statement nodes and link records aside) with an English or
    untagged label containing ``text``, ignoring case."""
    found: set[str] = set()
    for prop in LABELS:
        for subject, label in data.subject_objects(prop):
            iri = str(subject)
            if not isinstance(subject, URIRef) or not iri.startswith(BASE):
                continue
            if any(f"/id/{kind}/" in iri for kind in ("annotation", "statement", "link")):
                continue
            if isinstance(label, Literal) and label.language not in (None, "en"):
                continue
            if text.lower() in str(label).lower():
                found.add(iri)
    return found


def search(client, text: str) -> list[dict[str, str]]:
    response = client.get("/search", query_string={"q": text}, headers=JSON)
    assert response.status_code == 200
    assert response.content_type == "application/json"
    results: list[dict[str, str]] = response.get_json()["results"]
    return results


@pytest.mark.parametrize("text", ["mijente", "OMB", "million", "Just Futures", "ai in"])
def test_search_finds_exactly_the_matching_labels(client, data, text):
    expected = expected_matches(data, text)
    assert 0 < len(expected) < 20, "pick a text with a few matches"
    results = search(client, text)
    assert {r["iri"] for r in results} == expected
    for result in results:
        assert text.lower() in result["label"].lower()
        assert result["label"] in label_of(data, URIRef(result["iri"]))
        assert result["href"] == local(URIRef(result["iri"]))


def test_search_ignores_case(client):
    assert search(client, "MIJENTE") == search(client, "mijente") == search(client, "MiJeNtE")
    assert search(client, "mijente")[0]["href"] == "/id/org/mijente"  # the name itself first


def test_search_is_limited(client, data):
    assert len(expected_matches(data, "a")) > 20
    results = search(client, "a")
    assert len(results) == 20
    assert all(r["iri"] in expected_matches(data, "a") for r in results)


@pytest.mark.parametrize("text", ["", "   ", "x" * 5000])
def test_search_of_nothing_or_too_much_answers(client, text):
    results = search(client, text)
    assert results == [] if not text.strip() else len(results) <= 20


def quads(client) -> str:
    """The dataset's statistics as the endpoint's named query counts them."""
    response = client.get("/queries/13-dataset-statistics", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


HOSTILE = [
    '"',
    "\\",
    "'",
    '") } DELETE WHERE { ?s ?p ?o } #',
    '")) || true || CONTAINS("',
    "} UNION { ?resource ?p ?o } #",
    '" . ?resource ?p ?label } LIMIT 1000 #',
    ".*",
    "%",
    "<script>alert(1)</script>",
    "\x00",
    "\u202e",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_search_text_is_only_text(client, data, text):
    """``q`` is a literal bound into the query: quotes, braces and SPARQL never change what it
    asks, so only labels holding those very characters match (an apostrophe does)."""
    before = quads(client)
    expected = expected_matches(data, text)
    assert len(expected) < 20
    results = search(client, text)
    assert {r["iri"] for r in results} == expected
    assert all(text.lower() in r["label"].lower() for r in results)
    html = client.get("/search", query_string={"q": text}, headers={"Accept": BROWSER})
    assert html.status_code == 200
    body = html.get_data(as_text=True)
    assert "<script>alert" not in body
    assert f"{len(expected)} resource" in body
    assert quads(client) == before  # nothing was changed


def test_search_without_script_is_a_results_page(client, data):
    response = client.get(
        "/search", query_string={"q": "mediajustice"}, headers={"Accept": BROWSER}
    )
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    page = Page(response.get_data(as_text=True))
    expected = {local(URIRef(i)) for i in expected_matches(data, "mediajustice")}
    assert expected <= set(page.links)
    assert re.search(rf"{len(expected)} resources? with a label containing", page.html)


def test_search_format_parameter_picks_json(client):
    response = client.get("/search?q=omb&format=json", headers={"Accept": BROWSER})
    assert response.content_type == "application/json"
    assert response.get_json()["q"] == "omb"
