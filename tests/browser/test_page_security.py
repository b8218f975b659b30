"""The query page and the other HTML pages against hostile data and careless defaults.

- a result IRI that is not http(s) (``javascript:``) is text, never a link (issue 6, finding 10);
- every page works under the Content-Security-Policy, which also blocks a ``javascript:`` link
  that slipped through;
- what a user types stays in the editor as typed and never leaves 127.0.0.1 (finding 11);
- an example's parameters do not bind a query the user wrote instead (finding 12).

The ``page`` fixture fails a test on any CSP violation logged by the page (conftest.py).
"""

from __future__ import annotations

import re
import urllib.parse

import pytest
from helpers import cli_answer, editor_text, only_loopback, query_of, values
from playwright.sync_api import expect

JAVASCRIPT = "javascript:alert(document.domain)"
HOSTILE = {
    # The IRI as it is: a link would run it.
    "plain": f'SELECT ?x WHERE {{ BIND(IRI("{JAVASCRIPT}") AS ?x) }}',
    # Labelled with a harmless-looking CURIE through the query's own PREFIX.
    "curie": f"PREFIX kg2: <{JAVASCRIPT}//>\nSELECT ?x WHERE {{ BIND(kg2:org AS ?x) }}",
}
OWN_QUERY = "SELECT ?org ?name WHERE { ?org schema:name ?name }"


def run_in_page(page, server: str, query: str) -> None:
    """Open the query page with ``query`` in the URL and wait until it has run."""
    page.goto(server + "?" + urllib.parse.urlencode({"query": query}))
    expect(page.locator("body")).to_have_attribute("data-state", "done")


def replace_editor_text(page, text: str) -> None:
    """Select everything in the editor and type ``text`` over it, key by key."""
    page.locator("#editor .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_javascript_iri_is_text_not_a_link(page, server, shoot, kind):
    run_in_page(page, server, HOSTILE[kind])
    expect(page.locator("#status")).to_have_text(re.compile(r"^1 row in"))
    cell = page.locator("#table-wrap [data-var]").first  # one row: the answer card
    assert cell.locator("a").count() == 0, cell.inner_html()
    assert page.locator('#table-wrap [href^="javascript:" i]').count() == 0
    # The full IRI stays visible to whoever hovers or reads it.
    shown = cell.locator(".iri").get_attribute("title")
    assert shown == JAVASCRIPT + ("//org" if kind == "curie" else "")
    before = page.url
    cell.click()
    cell.dblclick()
    page.wait_for_timeout(300)  # give a script a moment to fire; the assertions do not time
    assert page.dialogs == []
    assert page.url == before
    shoot(page, f"javascript-iri-{kind}")
    only_loopback(page, server)


def test_the_csp_blocks_a_javascript_link_that_slipped_through(page, server):
    """Second line of defence: even a ``javascript:`` href put in the page does not run."""
    run_in_page(page, server, "ASK { ?s ?p ?o }")
    page.evaluate(
        """href => {
            const a = document.createElement("a");
            a.id = "planted"; a.href = href; a.textContent = "planted";
            document.querySelector("#results").appendChild(a);
        }""",
        JAVASCRIPT,
    )
    page.locator("#planted").click()
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert any("javascript:" in v or "inline" in v for v in page.csp_violations)
    page.csp_violations.clear()  # expected here; the fixture fails on any other
    only_loopback(page, server)


#: Every kind of HTML page the server renders, with a selector that shows it rendered whole.
PAGES = {
    "landing": ("", "p.lead"),
    "query": ("query", "#editor .CodeMirror"),
    "sparql": ("sparql", "#editor .CodeMirror"),
    "queries": ("queries", "section.named-query"),
    "named-query": ("queries/01-lead-organizations", "table.results"),
    "index": ("id/", "section h2"),
    "resource": ("id/org/mijente", "#statements table"),
    "ontology": ("ontology", "section.term"),
    "void": (".well-known/void", "#totals table"),
    "not-found": ("id/org/no-such-thing", "h1"),
    "search": ("search?q=omb", "ol.search-results"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_works_under_the_csp(page, server, shoot, name):
    path, selector = PAGES[name]
    response = page.goto(server + path)
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(selector).first).to_be_visible()
    # The site's stylesheet applied: the header is laid out by site.css, not the defaults.
    assert page.locator("header.site").evaluate("e => getComputedStyle(e).display") == "flex"
    if name in ("query", "sparql"):
        page.get_by_role("link", name="Which organizations led the comments").click()
        expect(page.locator("#status")).to_have_text(re.compile(r"^5 rows in"))
    shoot(page, f"csp-{name}")
    only_loopback(page, server)


def test_typed_prefixed_names_stay_as_typed_and_local(page, server):
    """Prefixed names typed in property and class position: nothing added, nothing sent out."""
    page.goto(server + "query")
    parts = [
        "SELECT ?org ?name WHERE { ?org schema:na",  # property position
        "me ?name . OPTIONAL { ?org a schema:Org",  # class position
        "anization } }",
    ]
    replace_editor_text(page, parts[0])
    page.keyboard.press("Control+Space")  # ask for completions too, as a user may
    page.keyboard.type(parts[1])
    page.keyboard.press("Control+Space")
    page.keyboard.type(parts[2])
    page.wait_for_timeout(1000)  # let any completer's request start; none may
    only_loopback(page, server)
    typed = "".join(parts)
    assert editor_text(page) == typed
    page.keyboard.press("Control+Enter")
    expected = len(cli_answer(typed)["results"]["bindings"])
    assert expected == 11
    expect(page.locator("#status")).to_have_text(re.compile(rf"^{expected} rows in"))
    assert query_of(page.url) == typed
    only_loopback(page, server)


def test_typed_prefix_declaration_stays_as_typed_and_local(page, server, shoot):
    page.goto(server + "query")
    parts = [
        "PREFIX sch",
        "ema: <https://schema.org/>\nSELECT ?name WHERE { ?x schema:name ?name . ?x a schema:Org",
        "anization }",
    ]
    replace_editor_text(page, parts[0])
    # The list offered after PREFIX is the project's prefixes (from the page), not prefix.cc's.
    hints = page.locator(".CodeMirror-hints li")
    expect(hints.first).to_be_visible()
    assert hints.all_inner_texts() == ["schema: <https://schema.org/>"]
    shoot(page, "typing-prefix")
    page.keyboard.type(parts[1])
    page.keyboard.press("Control+Space")
    page.keyboard.type(parts[2])
    page.wait_for_timeout(1000)
    only_loopback(page, server)
    typed = "".join(parts)
    assert editor_text(page) == typed
    page.keyboard.press("Control+Enter")
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ rows? in"))
    assert values(page, "name")  # https://schema.org/ is the data's namespace: rows come back
    # Nothing typed was kept in the browser either (YASQE's store.js: no persistence id).
    assert (
        page.evaluate("localStorage.length + sessionStorage.length + document.cookie.length") == 0
    )
    only_loopback(page, server)


def test_own_query_after_a_parameterised_example_is_not_bound(page, server, shoot):
    page.goto(server + "query")
    page.get_by_role("link", name="What does the graph say about one organization?").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ triples in"))
    expect(page.locator("#parameters")).to_be_visible()
    replace_editor_text(page, OWN_QUERY)
    expect(page.locator("#parameters")).to_be_hidden()
    page.locator("#run").click()
    expected = len(cli_answer(OWN_QUERY)["results"]["bindings"])
    assert expected == 11
    expect(page.locator("#status")).to_have_text(re.compile(rf"^{expected} rows in"))
    assert query_of(page.url) == OWN_QUERY  # no VALUES the user did not write
    shoot(page, "own-query-after-example")
    only_loopback(page, server)


def test_example_parameters_still_bind_the_unchanged_example(page, server):
    page.goto(server + "query")
    page.get_by_role("link", name="What does the graph say about one organization?").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ triples in"))
    shown = query_of(page.url)
    assert "VALUES ?org { <https://w3id.org/dhs-ai-kg/id/org/mijente> }" in shown
    assert editor_text(page) == shown  # bound where the user sees it, nothing hidden
    # Run again with another value: the example's own text is bound afresh (the first value
    # does not stay), and the page still counts the text as the unchanged example.
    page.locator("#param-org").fill("https://w3id.org/dhs-ai-kg/id/org/mediajustice")
    page.locator("#run").click()
    expect(page).to_have_url(re.compile("mediajustice"))
    again = query_of(page.url)
    assert "VALUES ?org { <https://w3id.org/dhs-ai-kg/id/org/mediajustice> }" in again
    assert "org/mijente> }" not in again and editor_text(page) == again
    expect(page.locator("#parameters")).to_be_visible()
    only_loopback(page, server)


@pytest.mark.parametrize(
    "value",
    [
        "https://example.org/a> } } SELECT * WHERE { ?s ?p ?o",  # would close the IRI
        "<https://example.org/a> ?s <https://example.org/b>",  # two terms in angle brackets
        "https://example.org/a b",  # a space
        "org/mijente",  # neither an absolute IRI nor a known prefix
    ],
)
def test_a_parameter_that_is_not_an_iri_is_refused_not_spliced(page, server, value):
    """A value is written into the query only as one RDF term: what is not an IRI is refused
    with a message, the editor keeps the example's text, and nothing is sent."""
    page.goto(server + "query")
    page.get_by_role("link", name="What does the graph say about one organization?").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ triples in"))
    before = editor_text(page)
    sent = len(page.requests)
    page.locator("#param-org").fill(value)
    page.locator("#run").click()
    expect(page.locator("#status")).to_have_text("?org: not a valid iri.")
    assert editor_text(page) == before
    assert len(page.requests) == sent
    only_loopback(page, server)
