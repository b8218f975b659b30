"""Answers people can read, at a desktop (1366 px) and a phone (390 px) width.

Labels beside IRIs (from our own endpoint), numbers and dates written for people, columns the
same in every row folded into a line above the table, one-row answers as a card, sortable
headers, a filter box, paging, CONSTRUCT/DESCRIBE grouped by subject, an empty answer that says
why. Expected values come from the release text or from the data through the CLI.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest
from helpers import cli_answer, iris, only_loopback, values
from playwright.sync_api import expect

from dhs_ai_kg.named_queries import load_named_queries

ROOT = Path(__file__).resolve().parents[2]
RELEASE_TEXT = (ROOT / "data" / "source" / "release.txt").read_text(encoding="utf-8")
QUERIES = load_named_queries(ROOT / "queries")
MIJENTE = "https://w3id.org/dhs-ai-kg/id/org/mijente"
RELEASE = "https://w3id.org/dhs-ai-kg/id/doc/press-release-2023-12-05"
#: The range dash of "Showing 1 to 25 of ..." (U+2013).
DASH = "\N{EN DASH}"
WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}

#: How much of the answer's width can be seen without scrolling sideways (1 = all of it).
VISIBLE_SHARE = """() => {
  const wrap = document.getElementById('table-wrap');
  const scroller = wrap.querySelector('.table-scroll') || wrap;
  const table = wrap.querySelector('table');
  const width = Math.max(scroller.scrollWidth, table ? table.scrollWidth : 0);
  const box = scroller.getBoundingClientRect();
  const seen = Math.max(0, Math.min(box.right, innerWidth) - Math.max(box.left, 0));
  return width ? Math.min(1, Math.min(seen, scroller.clientWidth) / width) : 1;
}"""


@pytest.fixture(params=sorted(WIDTHS))
def sized(request, page):
    """The page at a desktop and at a phone width; its name for screenshots."""
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[request.param], strict=True)))
    return page, request.param


def run_example(page, server: str, name: str) -> None:
    """Open the query page with example ``name`` and wait for its answer."""
    page.goto(server + "?example=" + name)
    expect(page.locator("body")).to_have_attribute("data-state", "done")


def run_query(page, server: str, query: str) -> None:
    """Open the query page running ``query`` and wait for its answer."""
    page.goto(server + "?" + urllib.parse.urlencode({"query": query}))
    expect(page.locator("body")).to_have_attribute("data-state", "done")


def fits(page) -> None:
    """The whole answer is in view sideways, and the results area is no wider than the screen
    (the editor's own width is the phone-layout work's, not the answer's)."""
    assert page.evaluate(VISIBLE_SHARE) > 0.99  # within a pixel of rounding
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('#results *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert right <= page.viewport_size["width"] + 0.5


def test_labels_beside_iris_and_constant_columns_folded(sized, server, shoot):
    page, size = sized
    run_example(page, server, "01-lead-organizations")
    # ?release, ?comments and ?coalition are the same in all five rows: one line above.
    assert iris(page, "release") == {RELEASE}
    assert page.locator("#constants [data-var=release]").count() == 1
    headers = page.locator("#results-table thead th").all_inner_texts()
    assert "?release" not in headers and "?organization" in headers
    # The release's title (its headline in the source) stands for its IRI.
    (title,) = values(page, "release")
    assert title in RELEASE_TEXT and title.startswith("35+ Civil and Immigrant Rights")
    link = page.locator(f'#results-table a.iri[data-iri="{MIJENTE}"]')
    expect(link).to_have_text("Mijente")
    expect(link.locator("xpath=following-sibling::small")).to_have_text("kg:org/mijente")
    fits(page)
    shoot(page, f"answers-labels-{size}")
    only_loopback(page, server)


def test_numbers_and_dates_for_people(sized, server, shoot):
    page, size = sized
    run_example(page, server, "08-population-statistics")
    # "a substantial group of 46 million people": the data's 46000000 ^^xsd:integer.
    assert "46 million people" in RELEASE_TEXT
    assert "46,000,000" in values(page, "value")
    assert "46000000" not in page.locator("#table-wrap").inner_text()
    run_query(
        page,
        server,
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        f"SELECT ?issued WHERE {{ <{RELEASE}> dcterms:issued ?issued }}",
    )
    assert "FOR IMMEDIATE RELEASE\nDecember 5, 2023\n" in RELEASE_TEXT  # the release's dateline
    assert values(page, "issued") == ["December 5, 2023"]
    fits(page)
    shoot(page, f"answers-numbers-{size}")
    only_loopback(page, server)


def test_one_row_answer_is_a_card(sized, server, shoot):
    page, size = sized
    run_example(page, server, "03-submission")
    expect(page.locator("#status")).to_have_text(re.compile(r"^1 row in"))
    expect(page.locator("#answer-card")).to_be_visible()
    assert page.locator("#results-table").count() == 0
    head = page.locator("#answer-card dt").all_inner_texts()
    assert head == [f"?{v}" for v in cli_answer(QUERIES["03-submission"].text)["head"]["vars"]]
    fits(page)
    shoot(page, f"answers-card-{size}")
    only_loopback(page, server)


def test_headers_sort_and_the_filter_box_filters(sized, server):
    page, _ = sized
    run_example(page, server, "01-lead-organizations")
    names = values(page, "name")
    page.locator('#results-table th button[data-var="name"]').click()
    assert values(page, "name") == sorted(names, key=str.lower)
    expect(page.locator("#results-table th").nth(1)).to_have_attribute("aria-sort", "ascending")
    page.locator('#results-table th button[data-var="name"]').click()
    assert values(page, "name") == sorted(names, key=str.lower, reverse=True)
    page.locator("#results-filter").fill("chicanx")  # only Mijente's description says it
    assert [n for n in values(page, "name") if n in names] == ["Mijente"]
    expect(page.locator("#results-count")).to_have_text("1 row of 5 match.")
    page.locator("#results-filter").fill("no such words")
    expect(page.locator("#results-table tbody tr")).to_have_count(0)
    only_loopback(page, server)


def test_long_answers_are_paged(sized, server, shoot):
    page, size = sized
    run_example(page, server, "13-dataset-statistics")
    page.get_by_role("tab", name="Table").click()  # it opens as a bar chart (test_views.py)
    total = len(cli_answer(QUERIES["13-dataset-statistics"].text)["results"]["bindings"])
    assert total > 25
    expect(page.locator("#results-table tbody tr")).to_have_count(25)
    expect(page.locator("#results-count")).to_have_text(f"Showing 1{DASH}25 of {total:,} rows.")
    expect(page.locator("#page-prev")).to_be_disabled()
    page.locator("#page-next").click()
    expect(page.locator("#results-count")).to_have_text(
        f"Showing 26{DASH}{min(50, total)} of {total:,} rows."
    )
    fits(page)
    shoot(page, f"answers-paged-{size}")
    only_loopback(page, server)


def test_construct_answer_is_grouped_by_subject(sized, server, shoot):
    page, size = sized
    run_example(page, server, "14-describe-organization")
    page.get_by_role("tab", name="Table").click()  # it opens as a graph (test_views.py)
    groups = page.locator(".subject-group")
    # The organization described comes first, each of its properties once with all its values.
    expect(groups.first).to_have_attribute("data-subject", MIJENTE)
    first = groups.first
    properties = first.locator("dl.properties > dt [data-iri]").evaluate_all(
        "links => links.map(a => a.dataset.iri)"
    )
    assert len(properties) == len(set(properties))
    stances = cli_answer(
        "PREFIX dak: <https://w3id.org/dhs-ai-kg/ontology#>\n"
        f"SELECT ?s WHERE {{ <{MIJENTE}> dak:stance ?s }}"
    )["results"]["bindings"]
    assert len(stances) > 1
    stance = first.locator("dt", has=page.locator('[data-iri$="#stance"]'))
    values_of_stance = stance.locator("xpath=following-sibling::dd[1]//li")
    expect(values_of_stance).to_have_count(len(stances))
    fits(page)
    shoot(page, f"answers-grouped-{size}")
    only_loopback(page, server)


def test_empty_answer_says_why(sized, server, shoot):
    page, size = sized
    run_query(page, server, 'SELECT ?s WHERE { ?s ?p "no such value anywhere" }')
    expect(page.locator("#status")).to_have_text(re.compile(r"^0 rows in"))
    expect(page.locator("#empty-answer")).to_contain_text("No rows matched")
    expect(page.locator("#empty-answer")).to_contain_text("Check the parameters")
    shoot(page, f"answers-empty-{size}")
    only_loopback(page, server)
