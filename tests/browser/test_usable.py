"""Usable by everyone (issue 9): every page type and state of :data:`pages.PAGES` fits a phone
(390 px and WCAG's 320 px reflow width), has no serious or critical axe-core violation, opens
with a skip link; the query page can be used from the keyboard; pages print without chrome.

Screenshots of each state at desktop and phone size go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import hashlib

import pytest
from helpers import only_loopback
from pages import (
    AXE,
    AXE_SHA256,
    DESKTOP,
    PAGES,
    PHONE_WIDTHS,
    PageState,
    axe_results,
    open_state,
    overflowing,
    screenshot,
    scroll_width,
    serious,
)
from playwright.sync_api import expect


def test_axe_fixture_is_the_pinned_release():
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    licence = (AXE.parent / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("Mozilla Public License, version 2.0")
    assert "axe v4.14.1" in AXE.read_text(encoding="utf-8")[:200]


@pytest.mark.parametrize("state", PAGES, ids=[s.name for s in PAGES])
def test_page_fits_a_phone(browser, server, state: PageState):
    """No page is wider than the screen at 390 px or at 320 px (tables scroll in their box)."""
    for width in PHONE_WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            open_state(page, server, state)
            measured = scroll_width(page)
            assert measured <= width, (width, measured, overflowing(page, width))
            if width == PHONE_WIDTHS[0]:
                screenshot(page, f"phone-{state.name}")
        finally:
            context.close()


@pytest.mark.parametrize("state", PAGES, ids=[s.name for s in PAGES])
def test_axe_finds_nothing_serious(browser, server, state: PageState):
    """axe-core: 0 serious and 0 critical violations, at desktop and phone size."""
    for viewport in (DESKTOP, {"width": PHONE_WIDTHS[0], "height": 800}):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(15_000)
        requests: list[str] = []
        page.on("request", lambda request, seen=requests: seen.append(request.url))
        try:
            open_state(page, server, state)
            if viewport is DESKTOP:
                screenshot(page, f"desktop-{state.name}")
            assert serious(axe_results(page)) == [], viewport
            strays = [url for url in requests if not url.startswith(server)]
            assert not strays, f"requests left 127.0.0.1: {strays}"
        finally:
            context.close()


@pytest.mark.parametrize("state", PAGES, ids=lambda s: s.name)
def test_skip_link_is_the_first_tab_stop(page, server, state: PageState):
    open_state(page, server, state)
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to main content")
    expect(focused).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    only_loopback(page, server)


def _tab_through(page, stops: int = 300) -> list[str]:
    """Press Tab ``stops`` times at most; describe each focused element (id, or its closest
    landmark id) until focus comes back to the skip link. In the editor, Tab indents: press
    Esc first, as the page tells its users."""
    seen: list[str] = []
    for _ in range(stops):
        if page.evaluate("!!document.activeElement.closest('#editor')"):
            page.keyboard.press("Escape")
        page.keyboard.press("Tab")
        where = page.evaluate(
            """() => { const el = document.activeElement;
                 const near = el.closest('[id]');
                 return (el.id || '') + '|' + (near ? near.id : '') + '|' + el.className; }"""
        )
        if seen and where.startswith("|") and "skip-link" in where:
            break
        seen.append(where)
    return seen


def test_keyboard_reaches_run_button_and_results(page, server):
    """Tab through the query page with results: the editor does not trap the focus (Esc then
    Tab leaves it, as the page says), the run button and the results' links are reached."""
    state = next(s for s in PAGES if s.name == "query-select")
    open_state(page, server, state)
    expect(page.locator("#editor-help")).to_contain_text("Esc, then Tab")
    page.locator("#editor .CodeMirror").click()
    page.keyboard.press("Tab")  # inside the editor, Tab indents
    assert page.evaluate("!!document.activeElement.closest('#editor')")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the editor's scroll box, then out
    assert not page.evaluate("!!document.activeElement.closest('#editor')")
    page.keyboard.press("Escape")
    page.goto(page.url)  # a fresh start, focus at the top of the page
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    stops = _tab_through(page)
    assert any(stop.startswith("run|") for stop in stops), stops
    assert any("|table-wrap|" in stop or "|results-table|" in stop for stop in stops), stops
    assert any(stop.startswith("share|") for stop in stops), stops
    only_loopback(page, server)


def test_print_hides_the_chrome_and_shows_link_addresses(page, server):
    page.goto(server + "id/org/mijente")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('header.site')).display") == (
        "none"
    )
    link = page.locator('main a[href^="/id/"]').first
    after = page.evaluate("el => getComputedStyle(el, '::after').content", link.element_handle())
    assert link.get_attribute("href") in after
    only_loopback(page, server)


def test_favicon_is_ours_and_linked(page, server):
    page.goto(server + "id/org/mijente")
    icons = page.locator('link[rel="icon"]').evaluate_all("links => links.map(l => l.href)")
    assert server + "favicon.ico" in icons
    for url in icons:
        assert page.request.get(url).status == 200, url
