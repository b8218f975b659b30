"""Sharing on the query page (issue 9), in Chromium against ``dhs-ai-kg serve``: the "Short
link" button gives a /q/ link that reopens the same query and answer; the code box's curl,
Python (requests, SPARQLWrapper) and JavaScript (fetch, run in node) snippets, run for real,
give the answer the page got; "Copy" puts the shown code on the clipboard; no request leaves
127.0.0.1; the shown states fit 390 px and axe finds nothing serious.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import running_server
from helpers import editor_text, only_loopback
from pages import axe_results, scroll_width, serious
from playwright.sync_api import expect
from rdflib import Graph
from rdflib.compare import isomorphic
from stores import free_port

from dhs_ai_kg.named_queries import load_named_queries

QUERIES = load_named_queries(Path(__file__).resolve().parents[2] / "queries")
MIJENTE = "https://w3id.org/dhs-ai-kg/id/org/mijente"
RELEASE = "https://w3id.org/dhs-ai-kg/id/doc/press-release-2023-12-05"
#: A query of the user's own (not a named one: it needs the store), with a quote, a backslash
#: escape and a non-ASCII character, which every snippet must carry through intact.
OWN_QUERY = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    '# the leads\' names — "quoted"\n'
    'SELECT ?name WHERE { ?org rdfs:label ?name FILTER(CONTAINS(?name, "Just\\u0020Futures")) }\n'
)
SNIPPETS = ("curl", "requests", "sparqlwrapper", "fetch")


@pytest.fixture(scope="module")
def share_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dhs-ai-kg serve --share-dir`` on a free loopback port; its base URL."""
    folder = tmp_path_factory.mktemp("share")
    port = free_port()
    command = [sys.executable, "-m", "dhs_ai_kg_cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--share-dir", str(folder / "store")]
    with running_server(command, port, folder / "server.log") as base:
        yield base


def open_query(page, server: str, text: str) -> dict:
    """Open the query page with ``text`` in its URL; the SPARQL answer the page received."""
    with page.expect_response(
        lambda r: r.url == server + "sparql" and r.request.method == "POST"
    ) as answer:
        page.goto(server + "query?" + urllib.parse.urlencode({"query": text}))
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    response = answer.value
    return {"type": response.headers["content-type"].split(";")[0], "body": response.text()}


def short_link(page) -> str:
    page.locator("#share-short").click()
    field = page.locator("#short-link-url")
    expect(field).to_be_visible()
    return str(field.input_value())


def test_short_link_reopens_the_same_query(page, share_server, shoot):
    first = open_query(page, share_server, OWN_QUERY)
    url = short_link(page)
    assert re.fullmatch(re.escape(share_server) + r"q/[a-z2-7]{20}", url), url
    expect(page.locator("#share-status")).to_contain_text("Short link ready")
    shoot(page, "share-short-link")
    table = page.locator("#table-wrap").inner_text()
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    assert editor_text(page) == OWN_QUERY
    assert page.url == url  # the short link stays in the address bar
    assert page.locator("#table-wrap").inner_text() == table
    assert "Just Futures Law" in table and first["type"] == "application/sparql-results+json"
    only_loopback(page, share_server)


def test_a_named_query_gets_a_short_link_with_sharing_off(page, server):
    """The default server keeps nothing: a named query still has its /q/ link; the user's own
    query gets the reason and the long link instead."""
    open_query(page, server, QUERIES["01-lead-organizations"].text)
    url = short_link(page)
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    assert editor_text(page) == QUERIES["01-lead-organizations"].text
    open_query(page, server, OWN_QUERY)
    page.locator("#share-short").click()
    expect(page.locator("#share-status")).to_contain_text("No short link")
    expect(page.locator("#share-status")).to_contain_text("--share-dir")
    expect(page.locator("#short-link")).to_be_hidden()
    only_loopback(page, server)


def snippet(page, language: str) -> str:
    page.locator("#code-lang").select_option(language)
    expect(page.locator("#code-text")).to_have_attribute("data-lang", language)
    return str(page.locator("#code-text").inner_text())


def run_snippet(language: str, code: str) -> str:
    """Run a snippet as its reader would: curl in sh, Python, JavaScript in node."""
    command = {
        "curl": ["sh", "-c", code],
        "requests": [sys.executable, "-c", code],
        "sparqlwrapper": [sys.executable, "-c", code],
        "fetch": ["node", "-e", code],
    }[language]
    tool = command[0]
    assert shutil.which(tool) or Path(tool).exists(), f"{tool} is missing (.ci/run installs it)"
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (language, done.stderr)
    return done.stdout


def bindings(answer: str) -> object:
    """A SPARQL JSON answer by meaning: its variables and its rows as a multiset."""
    found = json.loads(answer)
    if "boolean" in found:
        return found["boolean"]
    rows = sorted(json.dumps(row, sort_keys=True) for row in found["results"]["bindings"])
    return sorted(found["head"]["vars"]), rows


CASES = {
    "own-select": OWN_QUERY,
    "select": QUERIES["01-lead-organizations"].text,
    "ask": "ASK { ?s ?p ?o }",
    "construct": QUERIES["14-describe-organization"].bound_text(
        {"org": MIJENTE, "release": RELEASE}
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_snippet_gives_the_pages_answer(page, server, case):
    got = open_query(page, server, CASES[case])
    page.locator("#show-code").click()
    expect(page.locator("#code-box")).to_be_visible()
    for language in SNIPPETS:
        code = snippet(page, language)
        assert server + "sparql" in code
        out = run_snippet(language, code)
        if got["type"] == "application/sparql-results+json":
            assert bindings(out) == bindings(got["body"]), language
        else:  # CONSTRUCT: the page got N-Triples, the snippets ask for Turtle
            expected = Graph().parse(data=got["body"], format="nt")
            assert len(expected) > 0
            assert isomorphic(Graph().parse(data=out, format="turtle"), expected), language
    only_loopback(page, server)


def test_copy_puts_the_code_on_the_clipboard(browser, server, shoot):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.rstrip("/"))
    page = context.new_page()
    try:
        open_query(page, server, QUERIES["01-lead-organizations"].text)
        page.locator("#show-code").click()
        expect(page.locator("#show-code")).to_have_attribute("aria-expanded", "true")
        for language in SNIPPETS:
            shown = snippet(page, language)
            page.locator("#code-copy").click()
            expect(page.locator("#share-status")).to_have_text("Copied the code.")
            assert page.evaluate("navigator.clipboard.readText()") == shown
        shoot(page, "share-code-box")
        page.locator("#share-short").click()
        page.locator("#short-link-copy").click()
        expect(page.locator("#share-status")).to_have_text("Copied the link.")
        link = page.locator("#short-link-url").input_value()
        assert page.evaluate("navigator.clipboard.readText()") == link
    finally:
        context.close()


def test_code_follows_the_editor(page, server):
    """Edited text shows in the code at once; the short link made before is withdrawn."""
    open_query(page, server, QUERIES["01-lead-organizations"].text)
    page.locator("#show-code").click()
    short_link(page)
    page.locator("#editor .CodeMirror").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" # edited")
    expect(page.locator("#code-text")).to_contain_text("# edited")
    expect(page.locator("#short-link")).to_be_hidden()


@pytest.mark.parametrize("width", [390, 320])
def test_share_states_fit_a_phone_and_pass_axe(browser, share_server, width, shoot):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        open_query(page, share_server, OWN_QUERY)
        short_link(page)
        page.locator("#show-code").click()
        expect(page.locator("#code-box")).to_be_visible()
        assert scroll_width(page) <= width
        assert serious(axe_results(page)) == []
        shoot(page, f"phone-{width}-share")
    finally:
        context.close()
