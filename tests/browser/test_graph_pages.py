"""Pictures of the graph in Chromium: a resource's neighbourhood on its page (its boxes link
to their pages), ``/explore`` (Cytoscape.js: every node of the release graph, filter by kind,
click or Enter opens a page, zoom), the class diagram on ``/ontology`` and ``/graph/release``
as a page. The ``page`` fixture fails on any CSP violation or script error; no request may
leave 127.0.0.1. Screenshots go to ``artifacts/screenshots/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import only_loopback
from playwright.sync_api import expect
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import KG, graph_iri

SPARQL = Path(__file__).resolve().parents[1] / "sparql"
WIDTHS = {"desktop": 1366, "phone": 390}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def dataset():
    return load_dataset()


@pytest.fixture(scope="module")
def engine(dataset) -> Engine:
    return Engine.from_dataset(dataset)


def release_count(engine: Engine) -> int:
    """How many of our resources the release graph names (tests/sparql/release-resources.rq)."""
    (row,) = list(engine.query((SPARQL / "release-resources.rq").read_text()))
    return int(str(row[0]))


def neighbours(engine: Engine, slug: str) -> set[str]:
    """Paths after /id/ of the resources one statement away from ``slug`` in the release."""
    rows = engine.query((SPARQL / "neighbours.rq").read_text(), {"entity": KG[slug]})
    return {str(row[1])[len(str(KG)) :] for row in rows}


@pytest.mark.parametrize("width_name", sorted(WIDTHS))
def test_the_neighbourhood_picture_links_navigate(page, server, shoot, engine, width_name):
    page.set_viewport_size({"width": WIDTHS[width_name], "height": 900})
    page.goto(server + "id/org/omb")
    links = page.locator("#picture svg a")
    expected = neighbours(engine, "org/omb") | {"org/omb"}
    hrefs = {links.nth(i).get_attribute("xlink:href") for i in range(links.count())}
    assert hrefs == {f"/id/{n}" for n in expected}
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width_name]
    page.locator("#picture").scroll_into_view_if_needed()
    shoot(page, f"{width_name}-neighbourhood-omb")
    target = sorted(expected - {"org/omb"})[0]
    page.locator(f'#picture svg a[*|href="/id/{target}"]').click()
    expect(page).to_have_url(server + f"id/{target}")
    # and from the keyboard: focus a box, press Enter
    page.go_back()
    page.locator(f'#picture svg a[*|href="/id/{target}"]').focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(server + f"id/{target}")
    only_loopback(page, server)


def open_explore(page, server: str, width: int = 1366) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(server + "explore")
    expect(page.locator("body")).to_have_attribute("data-state", "ready")


@pytest.mark.parametrize("width_name", sorted(WIDTHS))
def test_explore_draws_every_node_of_the_release_graph(page, server, shoot, engine, width_name):
    open_explore(page, server, WIDTHS[width_name])
    total = release_count(engine)
    assert total > 100  # the release names 134 of our resources
    expect(page.locator("body")).to_have_attribute("data-nodes", str(total))
    expect(page.locator("body")).to_have_attribute("data-visible", str(total))
    drawn = page.evaluate("document.getElementById('cy')._cyreg.cy.nodes().length")
    assert drawn == total
    assert page.locator("#cy canvas").count() >= 1
    expect(page.locator(".explore-fallback-picture")).to_be_hidden()  # script ran
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width_name]
    assert page.locator("style#__________cytoscape_stylesheet").count() == 0  # no inline style
    shoot(page, f"{width_name}-explore")
    only_loopback(page, server)


def test_explore_filters_by_kind(page, server, engine, dataset):
    open_explore(page, server)
    total = release_count(engine)
    release = dataset.graph(graph_iri("release"))
    orgs = {
        t
        for triple in release
        for t in (triple[0], triple[2])
        if isinstance(t, URIRef) and str(t).startswith(str(KG["org/"]))
    }
    page.get_by_label("organizations", exact=True).uncheck()
    expect(page.locator("body")).to_have_attribute("data-visible", str(total - len(orgs)))
    expect(page.locator("#explore-status")).to_contain_text(f"{total - len(orgs)} of {total}")
    page.get_by_role("button", name="no kind").click()
    expect(page.locator("body")).to_have_attribute("data-visible", "0")
    page.get_by_role("button", name="all kinds").click()
    expect(page.locator("body")).to_have_attribute("data-visible", str(total))


def test_explore_opens_a_page_by_click_and_by_keyboard(page, server):
    open_explore(page, server)
    zoom = page.evaluate("document.getElementById('cy')._cyreg.cy.zoom()")
    page.get_by_role("button", name="Zoom in").click()
    assert page.evaluate("document.getElementById('cy')._cyreg.cy.zoom()") > zoom
    page.get_by_role("button", name="Fit to screen").click()
    page.locator("#cy").scroll_into_view_if_needed()  # the box may pass the window's bottom
    position = page.evaluate(
        """() => { const cy = document.getElementById('cy')._cyreg.cy;
                   const omb = cy.$id('org/omb');
                   omb.style("z-index", 999);  // never under another node
                   cy.center(omb);
                   cy.resize();  // read the box's place again (cached till a scroll event)
                   const p = cy.$id('org/omb').renderedPosition(); return [p.x, p.y]; }"""
    )
    box = page.locator("#cy").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + position[0], box["y"] + position[1])
    expect(page).to_have_url(server + "id/org/omb")
    page.go_back()
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    page.locator("#cy").focus()
    page.keyboard.press("ArrowRight")
    status = page.locator("#explore-status")
    expect(status).to_contain_text("press Enter to open its page")
    first = page.evaluate(
        """() => document.getElementById('cy')._cyreg.cy.nodes(':selected').data('href')"""
    )
    page.keyboard.press("Enter")
    expect(page).to_have_url(server + first.lstrip("/"))
    only_loopback(page, server)


def test_explore_without_script_lists_every_node(browser, server, engine):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server + "explore")
        assert page.locator("#nodes a[href^='/id/']").count() == release_count(engine)
        expect(page.locator(".explore-fallback-picture a")).to_be_visible()
    finally:
        context.close()


def test_the_ontology_page_shows_its_class_diagram(page, server):
    page.goto(server + "ontology")
    diagram = page.locator("#class-diagram svg")
    expect(diagram).to_be_visible()
    link = page.locator('#class-diagram svg a[*|href="#RecommendationSet"]')
    expect(link).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#class-diagram").screenshot(path=str(SCREENSHOTS / "desktop-class-diagram.png"))
    link.click()
    expect(page).to_have_url(server + "ontology#RecommendationSet")
    expect(page.locator("section#RecommendationSet")).to_be_in_viewport()
    only_loopback(page, server)


def test_a_named_graph_is_a_page_for_browsers(page, server, shoot, dataset):
    response = page.goto(server + "graph/release")
    assert response is not None and response.headers["content-type"].startswith("text/html")
    title = dataset.graph(graph_iri("metadata")).value(graph_iri("release"), DCTERMS.title)
    assert isinstance(title, Literal)
    expect(page.locator("h1")).to_have_text(str(title))
    expect(page.locator("header.site")).to_be_visible()
    expect(page.locator("p.lead .triples")).to_have_text(
        f"{len(dataset.graph(graph_iri('release'))):,}"
    )
    shoot(page, "desktop-graph-release")
    page.locator("#subjects a[href^='/id/']").first.click()
    expect(page.locator("p.lead")).to_be_visible()
    only_loopback(page, server)


def test_explore_draws_the_same_picture_every_time(page, server):
    """The layout starts from fixed positions (no random start): two visits, one picture."""
    positions = []
    for _ in range(2):
        open_explore(page, server)
        positions.append(
            page.evaluate(
                """() => document.getElementById('cy')._cyreg.cy.nodes().map(
                     (n) => [n.id(), Math.round(n.position('x')), Math.round(n.position('y'))])"""
            )
        )
    assert len(positions[0]) > 100
    assert positions[0] == positions[1]
    only_loopback(page, server)
