"""More views than a table (issue 9): a graph for CONSTRUCT/DESCRIBE answers and SELECTs of
IRIs, a bar chart for counts, chosen automatically where they fit or by a ``#defaultView:``
comment, switchable by tabs; and a Stop button for a running query.

Which example gets which view is stated in :data:`EXPECTED_VIEWS` and checked twice: against
the data (the rule of views.js, written again here in Python over the CLI's answers) and
against what the page picks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from helpers import cli_answer, column, only_loopback
from playwright.sync_api import expect
from rdflib import RDFS, Graph, URIRef

from dhs_ai_kg.named_queries import load_named_queries

ROOT = Path(__file__).resolve().parents[2]
QUERIES = load_named_queries(ROOT / "queries")
ID = "https://w3id.org/dhs-ai-kg/id/"
MIJENTE = ID + "org/mijente"
DAK = "https://w3id.org/dhs-ai-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = re.compile(
    r"(integer|decimal|double|float|int|long|short|byte|nonNegativeInteger|nonPositiveInteger"
    r"|positiveInteger|negativeInteger|unsigned(Int|Long|Short|Byte))"
)
#: A query that runs until the server's time limit (a three-way cross join of every triple:
#: some 2,900 cubed rows to count), so Stop always finds it running.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

#: The view each example opens in, and why (the rule is views.js ``fit``):
#: - 11-external-links: graph. Its columns that vary, ?resource ?property ?target, are all
#:   IRIs: resource —property→ target, an edge named by the property.
#: - 13-dataset-statistics: bar chart. One numeric column (?count) beside ?kind and ?term.
#: - 14-describe-organization: graph. A CONSTRUCT: its answer is triples.
#: - every other example: table. Each mixes literals (names, quotes, dates) into its varying
#:   columns, or holds more than one number (02, 06), or answers in one row (03, 12).
EXPECTED_VIEWS = {name: "table" for name in QUERIES} | {
    "11-external-links": "graph",
    "13-dataset-statistics": "bar",
    "14-describe-organization": "graph",
}


def example_text(name: str) -> str:
    """The text the page runs for example ``name``: required parameters filled with the
    ``e.g. <…>`` IRI of their description, as the page fills them."""
    query = QUERIES[name]
    raw = {}
    for p in query.parameters:
        found = re.search(r"e\.g\.\s*<([^>]+)>", p.description)
        if p.required and found:
            raw[p.name] = f"<{found[1]}>"
    return query.bound_text(raw) if raw else query.text


def ntriples(query: str) -> list[str]:
    """The N-Triples lines the CLI gives for a CONSTRUCT ``query``."""
    out = subprocess.run(
        [sys.executable, "-m", "dhs_ai_kg_cli", "query", "-", "--format", "ntriples"],
        input=query,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if line.strip()]


def is_number(term: dict | None) -> bool:
    """Whether a SPARQL JSON term is a numeric literal."""
    if not term or term["type"] != "literal" or not term.get("datatype", "").startswith(XSD):
        return False
    return bool(NUMERIC.fullmatch(term["datatype"][len(XSD) :]))


def expected_view(answer: dict) -> str:
    """The view the rule picks for a SELECT answer (SPARQL JSON)."""
    rows = answer["results"]["bindings"]
    if len(rows) < 2:
        return "table"
    varying = [
        v for v in answer["head"]["vars"] if len({json.dumps(r.get(v)) for r in rows}) > 1
    ] or answer["head"]["vars"]
    iris = [
        v
        for v in varying
        if any(v in r for r in rows) and all(r[v]["type"] == "uri" for r in rows if v in r)
    ]
    numbers = [v for v in varying if all(is_number(r.get(v)) for r in rows)]
    if len(iris) == len(varying) and 2 <= len(iris) <= 3:
        return "graph"
    counts = len(numbers) == 1 and all(float(r[numbers[0]]["value"]) >= 0 for r in rows)
    if counts and 1 <= len(varying) - 1 <= 2:
        return "bar"
    return "table"


def run(page, server: str, query: str) -> None:
    """Open the query page running ``query`` and wait for its answer."""
    page.goto(server + "query?" + urllib.parse.urlencode({"query": query}))
    expect(page.locator("body")).to_have_attribute("data-state", "done")


def shown_view(page) -> str:
    return str(page.locator("#results").get_attribute("data-view"))


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_example_opens_in_the_view_that_fits_its_answer(page, server, name):
    text = example_text(name)
    if re.search(r"^CONSTRUCT\b", text, re.MULTILINE):
        from_data = "graph" if ntriples(text) else "table"
    else:
        from_data = expected_view(cli_answer(text))
    assert from_data == EXPECTED_VIEWS[name]
    run(page, server, text)  # the text, parameters filled: the page binds no ?object "term"
    assert shown_view(page) == EXPECTED_VIEWS[name]
    # The table is always a choice; the panel of the view shown is the only one visible.
    if EXPECTED_VIEWS[name] != "table":
        expect(page.get_by_role("tab", name="Table")).to_be_visible()
        expect(page.locator("#table-wrap")).to_be_hidden()
    only_loopback(page, server)


def test_tabs_switch_views_and_a_comment_forces_one(page, server, shoot):
    page.goto(server + "query?example=13-dataset-statistics")
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_text(["Table", "Graph", "Bar chart"])
    expect(page.get_by_role("tab", name="Bar chart")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#bar-chart")).to_be_visible()
    page.get_by_role("tab", name="Table").click()
    expect(page.locator("#results-table")).to_be_visible()
    expect(page.locator("#bar-view")).to_be_hidden()
    assert shown_view(page) == "table"
    # Arrow keys move along the tabs (the tablist pattern), and the view follows.
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Graph")).to_be_focused()
    expect(page.locator("#graph-canvas canvas").first).to_be_visible()
    assert shown_view(page) == "graph"
    page.keyboard.press("ArrowRight")
    assert shown_view(page) == "bar"
    # #defaultView (as on WDQS): the table for a CONSTRUCT, a graph for a table's SELECT.
    run(page, server, "#defaultView:Table\n" + example_text("14-describe-organization"))
    assert shown_view(page) == "table"
    expect(page.locator(f'.subject-group[data-subject="{MIJENTE}"]')).to_be_visible()
    run(page, server, "#defaultView:Graph\n" + QUERIES["01-lead-organizations"].text)
    assert shown_view(page) == "graph"
    expect(page.locator("#view-note")).to_contain_text("#defaultView comment asks for it")
    # A view that does not fit (no number to draw) is refused, saying so; the table shows.
    run(page, server, "#defaultView:BarChart\n" + QUERIES["12-release-metadata"].text)
    assert shown_view(page) == "table"
    expect(page.locator("#view-note")).to_contain_text("does not fit this answer")
    # An ASK answer is a yes or a no: no views, no tabs.
    run(page, server, "ASK { ?s ?p ?o }")
    expect(page.locator("#ask-answer")).to_be_visible()
    expect(page.locator("#view-tabs")).to_be_hidden()
    only_loopback(page, server)


@pytest.mark.parametrize("width", [1366, 390])
def test_graph_names_colours_and_links_nodes(browser, server, shoot, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.requests = requests
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    try:
        text = example_text("14-describe-organization")
        run(page, server, text)
        assert shown_view(page) == "graph"
        triples = ntriples(text)
        # Every kind of our resources in the answer (the /id/<kind>/ segment) is in the legend.
        kinds = {m[1] for m in re.finditer(r"<" + re.escape(ID) + r"([^/>]+)/", "\n".join(triples))}
        assert kinds and kinds <= set(page.locator("#graph-legend li").all_inner_texts())
        # Nodes carry our labels; edges the label of their property (from the ontology).
        ontology = Graph().parse(ROOT / "ontology" / "dhs-ai-kg.ttl")
        leads = str(ontology.value(URIRef(DAK + "leads"), RDFS.label))
        assert f"<{MIJENTE}> <{DAK}leads> " in "\n".join(triples)
        page.locator("#graph-text summary").click()
        mijente = page.locator(f'#graph-text a.node-link[data-iri="{MIJENTE}"]')
        expect(mijente).to_have_text("Mijente")
        edges = mijente.locator("xpath=following-sibling::ul/li").all_inner_texts()
        assert any(e.startswith(leads + " → ") for e in edges), edges
        # Each node of ours links to its page, and each such page exists.
        hrefs = set(
            page.locator("#graph-text a.node-link").evaluate_all("as => as.map(a => a.href)")
        )
        ours = {h for h in hrefs if h.startswith(server + "id/")}
        assert server + "id/org/mijente" in ours
        for href in sorted(ours):
            with urllib.request.urlopen(href, timeout=30) as response:
                assert response.status == 200, href
        screenshot_name = f"views-graph-{'desktop' if width > 600 else 'phone'}"
        shoot(page, screenshot_name)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # Keyboard: Tab to the picture, arrows to Mijente, Enter opens its page.
        page.locator("#graph-canvas").focus()
        page.keyboard.press("Home")
        for _ in range(int(page.locator("#graph-view").get_attribute("data-nodes") or 0)):
            if page.locator("#graph-focus").inner_text().startswith("Mijente ("):
                break
            page.keyboard.press("ArrowRight")
        expect(page.locator("#graph-focus")).to_contain_text("Enter opens its page")
        page.keyboard.press("Enter")
        page.wait_for_url(server + "id/org/mijente")
        # A click on the node in the picture opens the same page.
        run(page, server, text)
        page.locator("#graph-canvas").scroll_into_view_if_needed()
        spot = page.evaluate(
            """(iri) => {
              const box = document.getElementById('graph-canvas');
              const cy = box._cyreg.cy;
              const id = document.querySelector(`#graph-text a[data-iri="${iri}"]`)
                .closest('li').dataset.node;
              cy.getElementById(id).style('z-index', 999);  // drawn over any other node
              const p = cy.getElementById(id).renderedPosition();
              window.scrollBy(0, box.getBoundingClientRect().top + p.y - innerHeight / 2);
              cy.resize();  // Cytoscape reads its box's place again (cached till a scroll event)
              const r = box.getBoundingClientRect();  // the node now mid-window
              return {x: r.left + p.x, y: r.top + p.y};
            }""",
            MIJENTE,
        )
        page.mouse.click(spot["x"], spot["y"])
        page.wait_for_url(server + "id/org/mijente")
        only_loopback(page, server)
        assert not errors, errors
    finally:
        context.close()


def test_select_of_iris_is_a_graph_of_edges_named_by_property(page, server, shoot):
    page.goto(server + "query?example=11-external-links")
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    answer = cli_answer(example_text("11-external-links"))
    rows = answer["results"]["bindings"]
    edges = {(r["resource"]["value"], r["property"]["value"], r["target"]["value"]) for r in rows}
    expect(page.locator("#graph-view")).to_have_attribute("data-edges", str(len(edges)))
    nodes = {r["resource"]["value"] for r in rows} | {r["target"]["value"] for r in rows}
    expect(page.locator("#graph-view")).to_have_attribute("data-nodes", str(len(nodes)))
    shoot(page, "views-graph-select")
    only_loopback(page, server)


@pytest.mark.parametrize("width", [1366, 390])
def test_bar_values_are_the_tables_numbers(browser, server, shoot, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.requests = requests
    try:
        page.goto(server + "query?example=13-dataset-statistics")
        expect(page.locator("body")).to_have_attribute("data-state", "done")
        rows = cli_answer(QUERIES["13-dataset-statistics"].text)["results"]["bindings"]
        counts = [f"{int(r['count']['value']):,}" for r in rows]
        bars = page.locator("#bar-chart .bar-value").all_text_contents()
        assert bars == counts
        # The chart is an image with a title and a description holding every value as text.
        chart = page.locator("#bar-chart")
        expect(chart).to_have_attribute("role", "img")
        assert page.locator("#bar-title").text_content() == "?count by ?kind, ?term"
        description = page.locator("#bar-desc").text_content() or ""
        assert description.count(":") >= len(rows)
        name = f"views-bar-{'desktop' if width > 600 else 'phone'}"
        shoot(page, name)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_role("tab", name="Table").click()
        table = column(page, "count")
        assert table == bars[: len(table)] and len(table) == 25
        only_loopback(page, server)
    finally:
        context.close()


def test_stop_ends_a_running_query_and_the_page_and_server_go_on(page, server, shoot):
    page.goto(server + "query?" + urllib.parse.urlencode({"query": SLOW}))
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-state", "running")
    shoot(page, "views-running")
    stop.click()
    expect(page.locator("body")).to_have_attribute("data-state", "stopped")
    expect(page.locator("#status")).to_have_text(re.compile(r"^Stopped after \d+ ms"))
    expect(stop).to_be_hidden()
    expect(page.locator("#run")).to_be_focused()
    # The server answers at once, while the stopped query may still hold one of its processes.
    with urllib.request.urlopen(server + "healthz", timeout=30) as response:
        assert response.status == 200
    # The page is usable again: another query runs and its answer is shown.
    page.get_by_role("link", name="Which organizations led the comments").click()
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    led = len(cli_answer(QUERIES["01-lead-organizations"].text)["results"]["bindings"])
    expect(page.locator("#status")).to_have_text(re.compile(rf"^{led} rows in"))
    expect(stop).to_be_hidden()
    only_loopback(page, server)
