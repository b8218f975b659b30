"""Entity pages list the statements pointing to a resource by pages of ``ENTITY_LIST_LIMIT``
(issue 10: a hub that thousands of statements point to answers without listing them all):
at a small limit a hub of the real release shows exactly the limit, says the total, and its
pages together list every incoming statement once; ``?page`` malformed is 400, past the end
404; at the default limit no page of the real release is cut."""

from __future__ import annotations

import re

import pytest
from rdflib import URIRef

from dhs_ai_kg.loading import load_dataset, union_graph
from dhs_ai_kg.namespaces import BASE

LIMIT = 40
HUB = f"{BASE}id/doc/press-release-2023-12-05"


@pytest.fixture(scope="module")
def union():
    return union_graph(load_dataset())


@pytest.fixture(scope="module")
def small(make_app):
    return make_app(ENTITY_LIST_LIMIT=LIMIT).test_client()


def incoming_pairs(union, iri: str) -> set[tuple[str, str]]:
    """Every (subject, property) of a statement whose object is ``iri``, from the data."""
    return {(str(s), str(p)) for s, p in union.subject_predicates(URIRef(iri))}


def listed(html: str) -> list[str]:
    """The incoming rows a page shows: the ``li.value`` items of its incoming and provenance
    tables after the ``#incoming`` heading (each an <a href> of the subject)."""
    start = html.index('<section id="incoming">')
    end = html.index('<section id="links">')
    return re.findall(r'<li class="value"', html[start:end])


def test_a_hub_shows_the_limit_and_says_the_total(small, union):
    total = len(incoming_pairs(union, HUB))
    assert total > 2 * LIMIT  # a hub at this limit: three pages or more
    page = small.get("/id/doc/press-release-2023-12-05", headers={"Accept": "text/html"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert len(listed(text)) == LIMIT
    assert f'<span class="total">{total:,}</span>' in text
    assert 'rel="next" href="?page=2"' in text


def test_the_pages_together_list_every_incoming_statement_once(small, make_app, union):
    from dhs_ai_kg_server.linked_data import resource_page
    from dhs_ai_kg_server.state import state

    app = make_app(ENTITY_LIST_LIMIT=LIMIT)
    expected = incoming_pairs(union, HUB)
    seen: list[tuple[str, str]] = []
    with app.app_context():
        number = 1
        while True:
            found = resource_page(state().engine, HUB, number, LIMIT)
            assert found is not None
            rows = found["incoming"]
            if not rows:
                break
            assert len(rows) <= LIMIT
            seen += [(s.value, p.value) for s, p, _ in rows]
            number += 1
    assert number - 1 == -(-len(expected) // LIMIT)
    assert len(seen) == len(set(seen)) and set(seen) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.5", "", "²", "9" * 12])
def test_a_malformed_page_is_a_bad_request(small, raw):
    response = small.get(f"/id/doc/press-release-2023-12-05?page={raw}")
    assert response.status_code == 400


def test_a_page_past_the_end_is_not_found(small, union):
    last = -(-len(incoming_pairs(union, HUB)) // LIMIT)
    path = "/id/doc/press-release-2023-12-05"
    assert small.get(f"{path}?page={last}", headers={"Accept": "text/html"}).status_code == 200
    assert small.get(f"{path}?page={last + 1}", headers={"Accept": "text/html"}).status_code == 404
    assert small.get("/id/org/mijente?page=2", headers={"Accept": "text/html"}).status_code == 404


def test_no_page_of_the_real_release_is_cut_at_the_default(client, make_app, union):
    unbounded = make_app(ENTITY_LIST_LIMIT=10**6).test_client()
    resources = sorted(
        {str(t) for t in union.all_nodes() if str(t).startswith(f"{BASE}id/") and "#" not in t}
    )
    assert len(resources) > 400
    for iri in resources:
        path = "/id/" + iri.removeprefix(f"{BASE}id/")
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200, iri
        assert page.data == unbounded.get(path, headers={"Accept": "text/html"}).data, iri
        assert b'class="paging"' not in page.data
