"""``/id/`` in pages (issue 10: at 1M triples it was one 20 MB page): ``INDEX_PAGE_SIZE``
resources a page, ``?page=N`` from 1, rel=prev/next links; the release fits on one page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from htmlpage import Page

from dhs_ai_kg.loading import load_dataset, union_graph
from dhs_ai_kg.namespaces import BASE, KG

BROWSER = {"Accept": "text/html"}
SIZE = 50


@pytest.fixture(scope="module")
def ours() -> list[str]:
    """The local paths of our resources, from the data."""
    union = union_graph(load_dataset())
    return sorted(
        {
            "/" + str(s)[len(BASE) :]
            for s in union.subjects()
            if str(s).startswith(str(KG)) and "#" not in str(s)
        }
    )


@pytest.fixture(scope="module")
def paged(make_app: Callable[..., Flask]) -> FlaskClient:
    """A client of an app showing ``SIZE`` resources a page."""
    return make_app(INDEX_PAGE_SIZE=SIZE).test_client()


def page_of(client: FlaskClient, query: str = "") -> Page:
    response = client.get("/id/" + query, headers=BROWSER)
    assert response.status_code == 200, query
    assert response.content_type == "text/html; charset=utf-8"
    return Page(response.get_data(as_text=True))


def members(page: Page) -> list[str]:
    """The resources a page lists (links to ``/id/…`` inside its member lists)."""
    return [
        link for ul in page.all("ul", "members") for link in ul.links if link.startswith("/id/")
    ]


def rel(page: Page, name: str) -> set[str]:
    """The targets of the page's ``<a rel=name>`` and ``<link rel=name>``."""
    return {e.attrs["href"] for e in page.elements if e.attrs.get("rel") == name}


def walk(client: FlaskClient) -> list[Page]:
    """Every page of the index, from the first by its rel=next links."""
    pages = [page_of(client)]
    while following := rel(pages[-1], "next"):
        [target] = following
        assert target == f"?page={len(pages) + 1}"
        pages.append(page_of(client, target))
        assert len(pages) < 1000
    return pages


def test_the_pages_together_list_every_resource_exactly_once(
    paged: FlaskClient, ours: list[str]
) -> None:
    pages = walk(paged)
    assert len(ours) > 4 * SIZE
    assert len(pages) == -(-len(ours) // SIZE)
    listed = [link for page in pages for link in members(page)]
    assert sorted(listed) == ours
    assert all(len(members(page)) == SIZE for page in pages[:-1])
    for number, page in enumerate(pages, start=1):
        assert f"{len(ours)} resources under" in page.text
        assert f"page {number} of {len(pages)}" in page.text
        assert rel(page, "prev") == ({f"?page={number - 1}"} if number > 1 else set())
        [current] = [e for e in page.elements if e.attrs.get("aria-current") == "page"][:1]
        assert current.tag == "li"


def test_each_groups_link_leads_to_the_page_where_it_is(paged: FlaskClient) -> None:
    pages = walk(paged)
    for number, page in enumerate(pages, start=1):
        [toc] = [e for e in page.elements if e.attrs.get("aria-label") == "Groups"]
        for href in toc.links:
            where, anchor = href.split("#", 1)
            target = pages[int(where.removeprefix("?page=")) - 1] if where else page
            if not where:
                assert target is pages[number - 1]
            assert target.by_id(anchor), href


def test_the_release_fits_on_one_page_without_a_pager(client: FlaskClient, ours: list[str]) -> None:
    page = page_of(client)
    assert sorted(members(page)) == ours
    assert not rel(page, "next") and not rel(page, "prev")
    assert not [e for e in page.elements if e.attrs.get("aria-label") == "Pages"]
    assert page_of(client, "?page=1").text == page.text


def test_a_page_past_the_end_is_404(paged: FlaskClient, client: FlaskClient) -> None:
    last = len(walk(paged))
    for app_client, page in ((paged, last + 1), (paged, 999_999_999), (client, 2)):
        response = app_client.get(f"/id/?page={page}", headers=BROWSER)
        assert response.status_code == 404, page


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "", "01", "2x", "1" * 30, "\uff11"])
def test_a_malformed_page_number_is_400(paged: FlaskClient, value: str) -> None:
    response = paged.get("/id/", query_string={"page": value}, headers=BROWSER)
    assert response.status_code == 400
    assert "page" in response.get_data(as_text=True)
