"""Every page type and state of the site, for the tests that measure all of them.

Each :class:`PageState` names a page (its id is the screenshot's and the test's), the URL path
to open, and what to wait for before measuring. Add a route here and every reuse of
:data:`PAGES` covers it: layout at phone widths, axe-core, screenshots (test_usable.py).

:func:`axe_results` runs axe-core (``fixtures/axe-core/axe.min.js``, loaded into the page from
this repository by Playwright, never from a CDN) and :func:`scroll_width` measures how wide the
document is laid out.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import expect

from dhs_ai_kg.named_queries import load_named_queries
from dhs_ai_kg.shared_queries import share_key

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "fixtures" / "axe-core" / "axe.min.js"
#: axe-core 4.14.1 (npm, MPL-2.0), as published in its tarball; see fixtures/axe-core/README.md.
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
QUERIES = load_named_queries(ROOT / "queries")
MIJENTE = "https://w3id.org/dhs-ai-kg/id/org/mijente"
RELEASE = "https://w3id.org/dhs-ai-kg/id/doc/press-release-2023-12-05"
#: Widths a phone lays pages out at: a common phone, and WCAG 1.4.10's reflow width.
PHONE_WIDTHS = (390, 320)
DESKTOP = {"width": 1366, "height": 900}


@dataclass(frozen=True)
class PageState:
    """A page in one state: ``path`` (with its query string) and when it is ready."""

    name: str
    path: str
    ready: str = "html"  # "html": loaded; "query-ready"/"query-done"/"query-error": query page;
    # "explore-ready": /explore has drawn the graph
    status: int = 200


def _query(text: str) -> str:
    """The query page's path with ``text`` in its URL (the page runs it)."""
    return "query?" + urllib.parse.urlencode({"query": text})


PAGES: list[PageState] = [
    PageState("landing", ""),
    PageState("search", "search?q=surveillance"),
    PageState("query-empty", "query", "query-ready"),
    PageState("query-select", _query(QUERIES["01-lead-organizations"].text), "query-done"),
    PageState(
        "query-construct",
        _query(
            QUERIES["14-describe-organization"].bound_text({"org": MIJENTE, "release": RELEASE})
        ),
        "query-done",
    ),
    PageState("query-count", _query(QUERIES["13-dataset-statistics"].text), "query-done"),
    PageState("query-error", _query("SELECT * WHERE { ?s ?p }"), "query-error"),
    # Views (test_views.py): query-construct opens as a graph and query-count as a bar chart;
    # their tables, and a SELECT of IRIs drawn as a graph.
    PageState(
        "query-construct-table",
        _query(
            "#defaultView:Table\n"
            + QUERIES["14-describe-organization"].bound_text({"org": MIJENTE, "release": RELEASE})
        ),
        "query-done",
    ),
    PageState(
        "query-count-table",
        _query("#defaultView:Table\n" + QUERIES["13-dataset-statistics"].text),
        "query-done",
    ),
    PageState("query-graph-select", _query(QUERIES["11-external-links"].text), "query-done"),
    # Editor help (issue 9): a malformed query told in words, its line marked in the editor.
    PageState(
        "query-syntax-explained",
        _query("SELECT ?name WHERE {\n  ?org schma:name ?name .\n}"),
        "query-error",
    ),
    PageState("sparql-browser", "sparql", "query-ready"),
    PageState("entity-org", "id/org/mijente"),
    PageState("entity-release", "id/doc/press-release-2023-12-05"),
    PageState("entity-doc", "id/doc/executive-order-ai"),
    PageState("entity-recommendation", "id/recommendation/abandon-risk-assessment-framework"),
    PageState("entity-statistic", "id/statistic/immigrants-in-united-states"),
    PageState("entity-person", "id/person/president-biden"),
    PageState("entity-topic", "id/topic/ai-inventory"),
    PageState("entity-statement", "id/statement/001cb4386940"),
    PageState("entity-link", "id/link/057d1e4f1c42"),
    PageState("resource-index", "id/"),
    PageState("ontology", "ontology"),
    PageState("queries", "queries"),
    PageState("named-query", "queries/01-lead-organizations"),
    PageState("named-query-missing-parameter", "queries/10-grounding"),  # a form
    PageState("dumps", "dumps/"),
    PageState("void", ".well-known/void"),
    PageState("source-release", "source/release"),
    PageState("graph-release", "graph/release"),
    PageState("not-found", "id/org/no-such-organization", status=404),
    # Sharing (test_share_page.py): a named query's short link, an unknown one, the code box.
    PageState("short-link", "q/" + share_key(QUERIES["01-lead-organizations"].text), "query-done"),
    PageState("short-link-unknown", "q/" + "a" * 20, status=404),
    PageState("query-code", _query(QUERIES["01-lead-organizations"].text) + "#code", "query-done"),
    # pictures of the graph (issue 9): the whole graph drawn, a neighbourhood, named graphs
    PageState("explore", "explore", "explore-ready"),
    PageState("entity-agent", "id/agent/silicon-valley"),
    PageState("graph-provenance", "graph/provenance"),
]


def open_state(page, server: str, state: PageState) -> None:
    """Open ``state`` in ``page`` and wait until it is what the state names."""
    response = page.goto(server + state.path)
    assert response is not None and response.status == state.status, (state.name, response)
    body = page.locator("body")
    if state.ready == "query-ready":
        expect(body).to_have_attribute("data-ready", "1")
    elif state.ready == "query-done":
        expect(body).to_have_attribute("data-state", "done")
    elif state.ready == "query-error":
        expect(body).to_have_attribute("data-state", "error")
    elif state.ready == "explore-ready":
        expect(body).to_have_attribute("data-state", "ready")


def scroll_width(page) -> int:
    """How wide the document is laid out, in CSS px (wider than the viewport: it scrolls)."""
    return int(
        page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    )


def overflowing(page, width: int) -> list[str]:
    """The elements whose right edge passes ``width`` (tag#id.class), deepest first, at most 8."""
    found = page.evaluate(
        """(width) => {
          const out = [];
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 1 && r.width > 0) {
              let inside = false;
              for (let p = el.parentElement; p; p = p.parentElement) {
                const s = getComputedStyle(p);
                if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden')
                  { inside = true; break; }
              }
              if (!inside) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (el.className && typeof el.className === 'string'
                   ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                + ' ' + Math.round(r.right));
            }
          }
          return out.reverse().slice(0, 8);
        }""",
        width,
    )
    return [str(item) for item in found]


def axe_results(page) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256, "axe.min.js is not the pinned file"
    page.evaluate(source.decode("utf-8"))  # through the debugger: the page's CSP allows it
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))")
    return list(result["violations"])


def serious(violations: list[dict]) -> list[str]:
    """The serious and critical violations, as ``rule (impact): n nodes: first target``."""
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} nodes: {v['nodes'][0]['target']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def serious_count(violations: list[dict]) -> int:
    """How many elements violate a serious or critical rule."""
    return sum(len(v["nodes"]) for v in violations if v["impact"] in ("serious", "critical"))


def measure(server: str) -> None:
    """Print, per page state, its width at each phone width and its axe serious/critical count."""
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        print("page\t" + "\t".join(f"width@{w}" for w in PHONE_WIDTHS) + "\taxe serious+critical")
        for state in PAGES:
            widths = []
            for width in PHONE_WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 800})
                open_state(page, server, state)
                widths.append(str(scroll_width(page)))
                if width == PHONE_WIDTHS[0]:
                    found = axe_results(page)
                page.close()
            rules = ",".join(
                sorted({v["id"] for v in found if v["impact"] in ("serious", "critical")})
            )
            print(f"{state.name}\t" + "\t".join(widths) + f"\t{serious_count(found)} {rules}")
        browser.close()


# cd tests/browser && PYTHONPATH=.. python pages.py http://127.0.0.1:PORT/
if __name__ == "__main__":
    import sys

    measure(sys.argv[1])


def screenshot(page, name: str, tallest: int = 16000) -> Path:
    """Save ``artifacts/screenshots/<name>.png``: the whole page, or its top ``tallest`` px
    (Chromium cannot capture a taller page in one image: the release's Turtle is 100,000 px)."""
    folder = ROOT / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    if height <= tallest:
        page.screenshot(path=str(path), full_page=True)
    else:
        width = int(page.evaluate("document.documentElement.clientWidth"))
        clip = {"x": 0, "y": 0, "width": width, "height": tallest}
        page.screenshot(path=str(path), full_page=True, clip=clip)
    return path
