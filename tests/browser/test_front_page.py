"""The front page and the search box in Chromium, at desktop (1366 px) and phone (390 px) widths:
suggestions appear while typing and lead to their page, by mouse and by keyboard; nothing is
fetched from another host; the page is no wider than the screen."""

from __future__ import annotations

import re

import pytest
from helpers import only_loopback
from playwright.sync_api import expect

WIDTHS = {"desktop": 1366, "phone": 390}


def at(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})


@pytest.mark.parametrize("size", list(WIDTHS))
def test_front_page_says_what_this_is(page, server, shoot, size):
    at(page, WIDTHS[size])
    page.goto(server)
    expect(page.locator("h1")).to_contain_text("OMB")
    expect(page.locator("p.lead")).to_contain_text("Department of Homeland Security")
    expect(page.locator(".fact-group")).to_have_count(6)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTHS[size], f"the front page is {width} px wide"
    shoot(page, f"landing-{size}")
    only_loopback(page, server)


@pytest.mark.parametrize("size", list(WIDTHS))
def test_suggestions_appear_while_typing_and_lead_to_the_page(page, server, shoot, size):
    at(page, WIDTHS[size])
    page.goto(server)
    box = page.locator("#landing-search-q")
    box.click()
    page.keyboard.type("mijen", delay=40)
    options = page.locator("#landing-search-list [role=option]")
    expect(options.first).to_be_visible()
    expect(options.first).to_have_text("Mijente")
    expect(box).to_have_attribute("aria-expanded", "true")
    shoot(page, f"search-suggestions-{size}")
    with page.expect_navigation():
        options.first.locator("a").click()
    assert page.url == server + "id/org/mijente"
    expect(page.locator("h1")).to_contain_text("Mijente")
    only_loopback(page, server)


def test_the_header_search_is_keyboard_reachable(page, server):
    at(page, WIDTHS["desktop"])
    page.goto(server + "id/")
    for _ in range(30):  # Tab from the top of the page until the header's search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "header-search-q":
            break
    else:
        pytest.fail("Tab never reached the header's search box")
    page.keyboard.type("omb draft", delay=40)
    options = page.locator("#header-search-list [role=option]")
    # The list for the whole text (a slow box may still show the one for "omb" a moment).
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("OMB draft guidance on AI")
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box = page.locator("#header-search-q")
    expect(box).to_have_attribute("aria-activedescendant", "header-search-list-0")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == server + "id/doc/omb-draft-ai-guidance"
    # Escape closes the list; Enter without a chosen suggestion submits to the results page.
    page.locator("#header-search-q").fill("")
    page.locator("#header-search-q").type("guidance", delay=40)
    expect(page.locator("#header-search-list [role=option]").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#header-search-list")).to_be_hidden()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#search-summary")).to_contain_text("guidance")
    only_loopback(page, server)


def test_search_works_without_script(browser, server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(server)
        page.locator("#landing-search-q").fill("mediajustice")
        with page.expect_navigation():
            page.locator("#landing-search-q").press("Enter")
        assert "/search?q=mediajustice" in page.url
        expect(page.locator("ol.search-results a").first).to_have_text("MediaJustice")
        assert all(url.startswith(server) for url in requests), requests
    finally:
        context.close()


def test_editor_link_opens_an_example_that_runs(page, server, shoot):
    page.goto(server)
    with page.expect_navigation():
        page.get_by_role("link", name="Open the SPARQL editor").click()
    expect(page.locator("#editor .CodeMirror")).to_be_visible()
    text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert text.strip(), "the editor opened empty"
    page.locator("#run").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ rows? in"))
    shoot(page, "landing-editor-example")
    only_loopback(page, server)
