"""The query page in a real browser: examples run, IRIs open entity pages, URLs reproduce queries.

Debian's Chromium driven by Playwright against ``dhs-ai-kg serve`` (fixtures in conftest.py).
Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest
from helpers import column, editor_text, iris, only_loopback, query_of, values
from playwright.sync_api import expect

from dhs_ai_kg.named_queries import load_named_queries

RELEASE = Path(__file__).resolve().parents[2] / "data" / "source" / "release.txt"
#: The release: "The groups led by Just Futures Law, Mijente, MediaJustice, Surveillance
#: Resistance Lab, and Center on Race and Digital Justice"; the page lists them by name.
LEADS = [
    "Center on Race and Digital Justice",
    "Just Futures Law",
    "MediaJustice",
    "Mijente",
    "Surveillance Resistance Lab",
]
#: The page shows a name without its language tag when it is English (names are tagged @en).
LEAD_CELLS = LEADS
MIJENTE = "https://w3id.org/dhs-ai-kg/id/org/mijente"
RELEASE_IRI = "https://w3id.org/dhs-ai-kg/id/doc/press-release-2023-12-05"
QUERIES = load_named_queries(Path(__file__).resolve().parents[2] / "queries")


def test_leads_named_in_the_release():
    text = RELEASE.read_text(encoding="utf-8")
    assert all(name in text for name in LEADS)


def test_page_renders_with_editor_and_examples(page, server, shoot):
    page.goto(server + "query")
    expect(page.locator("h1")).to_have_text("Query the knowledge graph")
    expect(page.locator("#endpoint")).to_have_text(server + "sparql")
    expect(page.locator("#examples a.example")).to_have_count(len(QUERIES))
    # YASQE replaced the textarea: a CodeMirror editor with SPARQL highlighting.
    expect(page.locator("#editor .CodeMirror")).to_be_visible()
    page.locator("#examples a.example").first.click()
    expect(page.locator("#editor .CodeMirror .cm-keyword").first).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    shoot(page, "query-page")
    only_loopback(page, server)


def test_example_query_shows_the_lead_organizations(page, server, shoot):
    page.goto(server + "query")
    page.get_by_role("link", name="Which organizations led the comments").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^5 rows in \d+ ms\.$"))
    assert column(page, "name") == LEAD_CELLS
    # The page URL now holds the query that ran.
    shown = query_of(page.url)
    assert "org:role <https://w3id.org/dhs-ai-kg/id/role/lead>" in shown
    # A download link for each SPARQL results format, each answering that format.
    links = page.locator("#downloads a")
    expect(links).to_have_count(5)
    assert [links.nth(i).get_attribute("data-format") for i in range(5)] == [
        "json",
        "xml",
        "csv",
        "tsv",
        "spreadsheet",  # for spreadsheet software (test_spreadsheet.py)
    ]
    types = {
        "json": "application/sparql-results+json",
        "xml": "application/sparql-results+xml",
        "csv": "text/csv",
        "tsv": "text/tab-separated-values",
    }
    for name, media_type in types.items():
        url = page.locator(f'#downloads a[data-format="{name}"]').get_attribute("href")
        assert url.startswith(server + "sparql?query=")
        response = page.request.get(url)
        assert response.status == 200, name
        assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
        assert "Surveillance Resistance Lab" in response.text()
    shoot(page, "lead-organizations")
    only_loopback(page, server)


def test_iri_opens_the_entity_page_and_its_links_work(page, server, shoot):
    page.goto(server + "query")
    page.get_by_role("link", name="Which organizations led the comments").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^5 rows"))
    iri = page.locator(f'#results-table a.iri[data-iri="{MIJENTE}"]')
    expect(iri).to_have_text("Mijente")  # its label, from our data
    # beside it the prefixed name, compacted with the project's prefixes
    expect(iri.locator("xpath=following-sibling::small[@class='curie']")).to_have_text(
        "kg:org/mijente"
    )
    assert iri.get_attribute("href") == "/id/org/mijente"  # ours, mapped to this host
    with page.expect_navigation():
        iri.click()
    assert page.url == server + "id/org/mijente"
    expect(page.locator("h1")).to_contain_text("Mijente")
    shoot(page, "entity-mijente")
    # Follow a link from the entity page to another of our resources.
    here = page.url
    link = page.locator(
        f'main a[href^="/id/"]:not([href="/id/org/mijente"]), '
        f'main a[href^="{server}id/"]:not([href="{here}"])'
    ).first
    target = link.get_attribute("href")
    with page.expect_navigation() as navigation:
        link.click()
    assert navigation.value.status == 200
    assert page.url == urllib.parse.urljoin(here, target)
    expect(page.locator("h1")).not_to_be_empty()
    shoot(page, "entity-followed-link")
    only_loopback(page, server)


@pytest.mark.parametrize("path", ["", "sparql"], ids=["root", "sparql"])
def test_query_in_the_url_is_reproduced(page, server, shoot, path):
    """``/?query=`` (old links, sent on to ``/query``) and ``/sparql?query=`` opened in a
    browser."""
    query = (
        "PREFIX schema: <https://schema.org/>\n"
        "SELECT ?name WHERE { <" + MIJENTE + "> schema:name ?name }"
    )
    page.goto(server + path + "?" + urllib.parse.urlencode({"query": query}))
    expect(page.locator("#status")).to_have_text(re.compile(r"^1 row in"))
    assert values(page, "name") == ["Mijente"]  # one row: a card
    assert editor_text(page) == query
    shoot(page, f"query-from-url-{path or 'root'}")
    only_loopback(page, server)


def test_parameterised_example_binds_its_parameter(page, server):
    page.goto(server + "query")
    page.get_by_role("link", name="Which quotes of the release support a given resource?").click()
    expect(page.locator("#param-resource")).to_have_value(MIJENTE)
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ rows? in"))
    assert iris(page, "resource") == {MIJENTE}
    # The value is written into the query's own VALUES line, and the editor, the address bar
    # and the share link all hold that text: the portable bound query (NamedQuery.bound_text).
    bound = QUERIES["10-grounding"].bound_text({"resource": MIJENTE})
    assert f"VALUES ?resource {{ <{MIJENTE}> }}" in bound
    assert query_of(page.url) == bound
    assert editor_text(page) == bound
    assert query_of(page.locator("#share").get_attribute("href")) == bound
    only_loopback(page, server)


def test_construct_example_binds_inside_its_where_with_no_trailing_values(page, server):
    """Query 14 (a CONSTRUCT) with ?org and ?release filled in: both values stand in the WHERE
    group's VALUES lines and nothing follows the query, so Virtuoso (which refuses a VALUES
    clause after a CONSTRUCT) takes the text as the page shows it."""
    page.goto(server + "query")
    page.get_by_role("link", name="What does the graph say about one organization?").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ triples in"))
    page.locator("#param-org").fill("kg:org/mijente")  # a prefixed name: written in full
    page.locator("#param-release").fill(f"<{RELEASE_IRI}>")
    page.locator("#run").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ triples in"))
    shown = query_of(page.url)
    assert shown == editor_text(page)
    assert shown == QUERIES["14-describe-organization"].bound_text(
        {"org": MIJENTE, "release": RELEASE_IRI}
    )
    where = shown[shown.index("WHERE {") :]
    assert f"  VALUES ?org {{ <{MIJENTE}> }}\n" in where
    assert f"VALUES ?release {{ <{RELEASE_IRI}> }}\n" in where
    assert "UNDEF" not in shown
    assert shown.rstrip().endswith("}")
    assert "VALUES (" not in shown  # no trailing VALUES clause, as the page once appended
    expect(page.locator(f'.subject-group[data-subject="{MIJENTE}"]')).to_have_count(1)
    only_loopback(page, server)


def test_construct_example_shows_triples_and_graph_downloads(page, server):
    page.goto(server + "query")
    page.get_by_role("link", name="What does the graph say about one organization?").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ triples in"))
    expect(page.locator(f'.subject-group[data-subject="{MIJENTE}"]')).to_have_count(1)
    formats = page.locator("#downloads a").evaluate_all("links => links.map(a => a.dataset.format)")
    assert formats[:4] == ["turtle", "ntriples", "jsonld", "xml"]
    only_loopback(page, server)


def test_error_is_shown_not_thrown(page, server):
    page.goto(server + "?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p }"}))
    expect(page.locator("#status")).to_have_text(re.compile(r"^Error 400: "))
    expect(page.locator("body")).to_have_attribute("data-state", "error")
    only_loopback(page, server)


def test_sparql_url_serves_the_page_to_a_browser_and_links_reproduce(page, server, shoot):
    page.goto(server + "sparql")  # no query, a browser's Accept: the query page
    expect(page.locator("h1")).to_have_text("Query the knowledge graph")
    page.get_by_role("link", name="How many groups signed the comments").click()
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    first = page.locator("#results-table").inner_text()
    link = page.locator("#share").get_attribute("href")
    assert link.startswith("/query?query=")
    # The address bar holds the query.
    assert urllib.parse.urlsplit(page.url).path == "/query"
    assert query_of(page.url) == query_of(link)
    page.goto(urllib.parse.urljoin(server, link))  # a fresh load of the shared link
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    assert page.locator("#results-table").inner_text() == first
    shoot(page, "shared-link")
    only_loopback(page, server)


def test_ctrl_enter_runs_what_was_typed(page, server):
    page.goto(server + "query")
    page.locator("#editor .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.type("ASK { ?s a ?type }")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#ask-answer")).to_have_text("yes (true)")
    assert query_of(page.url) == "ASK { ?s a ?type }"
    only_loopback(page, server)


def test_named_query_page_opens_in_the_query_page(page, server):
    """The ``/queries/<name>`` page's "open in the query page" link lands here, run."""
    page.goto(server + "queries/01-lead-organizations")
    with page.expect_navigation():
        page.get_by_role("link", name="open in the query page").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^5 rows in"))
    assert column(page, "name") == LEAD_CELLS
    only_loopback(page, server)


@pytest.mark.parametrize(
    "name", sorted(n for n, q in QUERIES.items() if any(p.required for p in q.parameters))
)
def test_every_example_runs_with_the_values_the_page_fills_in(page, server, name):
    """An example whose required parameters the page fills from their descriptions' e.g.
    runs as shown (example 15's ?object is a term: an IRI or a literal in Turtle syntax)."""
    page.goto(server + "query?example=" + urllib.parse.quote(name))
    page.locator("#run").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ (rows?|triples?) in"))
    only_loopback(page, server)
