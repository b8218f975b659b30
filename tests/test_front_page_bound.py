"""The front page lists at most ``FRONT_PAGE_FACTS`` resources under each key-fact heading, with
the group's full count and a link to the paged index ``/id/`` for the rest (at 1M triples it
listed every one: 1.08 MB); the release's groups (at most 5) fit the default whole, which
tests/test_landing.py checks. Expected values are read from the data with rdflib."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from rdflib import Graph
from test_landing import BROWSER, KINDS, Page, local, members

from dhs_ai_kg.loading import load_dataset, union_graph

LIMIT = 2


@pytest.fixture(scope="module")
def data() -> Graph:
    return union_graph(load_dataset())


@pytest.fixture(scope="module")
def bounded(make_app: Callable[..., Flask]) -> str:
    app = make_app(FRONT_PAGE_FACTS=LIMIT)
    response = app.test_client().get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(html: str, kind: str) -> str:
    start = html.index(f'data-kind="{kind}"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: str(k).rsplit("/", 1)[-1])
def test_each_group_lists_at_most_the_limit_and_says_how_many_in_all(bounded, data, kind):
    expected = members(data, kind)
    section = _section(bounded, str(kind))
    shown = {h for h in Page(section).links if h not in (local(kind), "/id/")}
    assert len(shown) == min(len(expected), LIMIT)
    assert shown <= {local(r) for r in expected}
    assert f'<span class="count">({len(expected)})</span>' in section
    more = re.search(r"and (\d+) more in <a href=\"/id/\">", section)
    if len(expected) > LIMIT:
        assert more is not None and int(more.group(1)) == len(expected) - LIMIT
    else:
        assert more is None and "/id/" not in Page(section).links


def test_the_release_has_groups_over_the_limit(data):
    # the bound is exercised: some kinds have more members than LIMIT, some not more
    sizes = [len(members(data, kind)) for kind in KINDS]
    assert max(sizes) > LIMIT >= min(sizes)
