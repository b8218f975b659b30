"""Entity pages in Chromium at desktop (1366 px) and phone (390 px) widths: the lead sentence
shows first, provenance stays folded until asked for, the embedded JSON-LD parses, nothing
is wider than the screen, and no request leaves 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from helpers import only_loopback

PAGES = {
    "press-release": "id/doc/press-release-2023-12-05",
    "coalition": "id/org/coalition-omb-ai-comments",
    "comments": "id/doc/coalition-comments-omb-ai-guidance",
    "mijente": "id/org/mijente",
    "statement": "id/statement/0477f8191b2a",
    "annotation": "id/annotation/headline",
}
WIDTHS = {"desktop": 1366, "phone": 390}


@pytest.mark.parametrize("width_name", sorted(WIDTHS))
@pytest.mark.parametrize("name", sorted(PAGES))
def test_entity_page_reads_first_and_fits_the_screen(page, server, shoot, name, width_name):
    width = WIDTHS[width_name]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(server + PAGES[name])
    lead = page.locator("p.lead")
    assert lead.is_visible()
    box = lead.bounding_box()
    assert box is not None and box["y"] < 900, "the lead sentence is on the first screen"
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} is {overflow} px wide at {width} px"
    data = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    nodes = data.get("@graph", [data])  # a resource with parts (#target) is a @graph
    assert any(node["@id"].endswith(PAGES[name]) for node in nodes)
    provenance = page.locator("details.provenance")
    if provenance.count():
        assert not provenance.evaluate("d => d.open")
    shoot(page, f"entity-{name}-{width}")
    only_loopback(page, server)


def test_the_provenance_section_opens_on_request(page, server):
    page.goto(server + PAGES["press-release"])
    rows = page.locator("details.provenance tr.property")
    assert rows.count() > 0 and not rows.first.is_visible()
    page.locator("details.provenance summary").click()
    assert rows.first.is_visible()
    assert json.loads(page.locator("script[type='application/ld+json']").text_content())
    only_loopback(page, server)


@pytest.mark.parametrize("width_name", sorted(WIDTHS))
@pytest.mark.parametrize("name,path", [("index", "id/"), ("ontology", "ontology")])
def test_index_and_ontology_fit_the_screen(page, server, shoot, name, path, width_name):
    width = WIDTHS[width_name]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(server + path)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} is {overflow} px wide at {width} px"
    shoot(page, f"{name}-{width}")
    only_loopback(page, server)


def test_the_ontology_contents_stay_in_view_while_reading(page, server):
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    page.goto(server + "ontology#properties")
    toc = page.locator("nav.ontology-toc")
    box = toc.bounding_box()
    assert page.evaluate("window.scrollY") > 1000, "the page scrolled to the properties"
    assert box is not None and -1 <= box["y"] < 900, "the contents list is on screen"
    page.locator("nav.ontology-toc a[href='#Recommendation']").click()
    assert page.locator("#Recommendation").is_visible()
    only_loopback(page, server)


def test_the_index_keeps_provenance_folded(page, server):
    page.goto(server + "id/")
    statements = page.locator("#statements-list")
    assert not statements.evaluate("d => d.open")
    assert page.locator("#people a[href='/id/org/mijente']").is_visible()
    only_loopback(page, server)


LANDINGS = {
    "dumps": "dumps/",
    "not-found": "no/such/page",
    "query-form": "queries/14-describe-organization",
}


@pytest.mark.parametrize("width_name", sorted(WIDTHS))
@pytest.mark.parametrize("name", sorted(LANDINGS))
def test_pages_a_browser_lands_on_have_the_header_and_fit(page, server, shoot, name, width_name):
    width = WIDTHS[width_name]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(server + LANDINGS[name])
    assert page.locator("header.site a[href='/query']").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} is {overflow} px wide at {width} px"
    shoot(page, f"landing-{name}-{width}")
    only_loopback(page, server)


def test_the_query_form_answers_when_filled_in(page, server):
    page.goto(server + LANDINGS["query-form"])
    page.locator("#param-org").fill("kg:org/mijente")
    page.get_by_role("button", name="Answer").click()
    page.wait_for_url("**/queries/14-describe-organization?org=*")
    assert "Mijente" in page.locator("main").inner_text()
    only_loopback(page, server)
