"""An entity page's neighbourhood picture draws at most ``PICTURE_NEIGHBOURS`` neighbours
(issue 10: a hub of a 1M-triple graph drew thousands, 6 MB of SVG): at a small cap exactly
that many are drawn, the first in the picture's edge order, and the caption and the picture's
title say "N of M neighbours shown" with M counted from the data; at the default every
picture of the real release is byte-identical to an uncapped one."""

from __future__ import annotations

import collections
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import URIRef

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import BASE, KG

CAP = 5
HUB = f"{BASE}id/org/coalition-omb-ai-comments"
NEIGHBOURS = (Path(__file__).parent / "sparql" / "neighbours.rq").read_text(encoding="utf-8")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def neighbours() -> dict[str, set[str]]:
    """Each pictured resource's neighbours, asked of the data (``tests/sparql/neighbours.rq``)."""
    engine = Engine.from_dataset(load_dataset())
    found: dict[str, set[str]] = collections.defaultdict(set)
    for entity, neighbour in engine.query(NEIGHBOURS):
        if isinstance(entity, URIRef) and entity.startswith(f"{BASE}id/"):
            found[str(entity)].add(str(neighbour))
    return found


@pytest.fixture(scope="module")
def capped(make_app):
    return make_app(PICTURE_NEIGHBOURS=CAP).test_client()


def drawn(svg: bytes | str) -> list[str]:
    """The node names (paths after /id/) a picture draws: its ``<g class="node">`` titles."""
    root = ET.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    return [
        g.findtext(f"{SVG}title") or ""
        for g in root.iter(f"{SVG}g")
        if "node" in (g.get("class") or "").split()
    ]


def test_a_hub_draws_the_cap_and_says_the_total(capped, neighbours):
    total = len(neighbours[HUB])
    assert total > CAP
    name = HUB.removeprefix(str(KG))
    svg = capped.get(f"/pictures/id/{name}.svg")
    assert svg.status_code == 200
    nodes = drawn(svg.data)
    assert len(nodes) == CAP + 1 and name in nodes
    assert {str(KG) + n for n in nodes} - {HUB} <= neighbours[HUB]
    said = f"{CAP} of {total} neighbours shown"
    assert said in svg.get_data(as_text=True)
    page = capped.get(f"/id/{name}", headers={"Accept": "text/html"}).get_data(as_text=True)
    caption = re.search(r'<figcaption id="picture-caption">(.*?)</figcaption>', page, re.S)
    assert caption is not None and said in re.sub(r"<[^>]+>", "", caption.group(1))
    inline = page[page.index('<section id="picture">') : page.index("</figure>")]
    assert len(re.findall(r'<g id="[^"]*" class="node"|<g class="node"', inline)) == CAP + 1


def test_the_first_neighbours_in_edge_order_are_drawn(make_app):
    from dhs_ai_kg_server.derived import picture
    from dhs_ai_kg_server.drawings import neighbourhood

    with make_app(PICTURE_NEIGHBOURS=CAP).app_context():
        whole = picture()
        first = list(
            dict.fromkeys(
                e.object if e.subject == HUB else e.subject
                for e in whole.edges
                if HUB in (e.subject, e.object)
            )
        )[:CAP]
        cut = neighbourhood(HUB)
    assert cut is not None and set(cut.nodes) == {HUB, *first}
    assert all(HUB in (e.subject, e.object) for e in cut.edges)


def test_a_small_neighbourhood_is_not_cut(capped, neighbours):
    small = next(i for i, n in sorted(neighbours.items()) if 0 < len(n) <= CAP)
    name = small.removeprefix(str(KG))
    svg = capped.get(f"/pictures/id/{name}.svg")
    assert len(drawn(svg.data)) == len(neighbours[small]) + 1
    assert b"neighbours shown" not in svg.data


def test_the_release_pictures_are_unchanged_at_the_default(client, make_app, neighbours):
    uncapped = make_app(PICTURE_NEIGHBOURS=10**6).test_client()
    assert max(len(n) for n in neighbours.values()) >= 10  # the largest is drawn whole
    pictured = sorted(neighbours)
    assert len(pictured) > 100
    for iri in pictured:
        name = URIRef(iri).removeprefix(str(KG))
        path = f"/pictures/id/{name}.svg"
        assert client.get(path).data == uncapped.get(path).data, iri
        page = client.get(f"/id/{name}", headers={"Accept": "text/html"}).get_data(as_text=True)
        assert "neighbours shown" not in page, iri
