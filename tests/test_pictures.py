"""Pictures of the graph (SVG via Graphviz's ``dot``): readable, complete, safe to serve."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import stores
from dhs_ai_kg_cli import main
from dhs_ai_kg_server.headers import DATA_POLICY
from htmlpage import Page
from rdflib import Literal, URIRef
from rdflib.namespace import FOAF, RDFS, SKOS

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import KG, SCHEMA, graph_iri
from dhs_ai_kg.pictures import (
    KIND_TITLES,
    PictureError,
    UnknownEntity,
    entity_iri,
    entity_svg,
    graph_svg,
    load_picture,
)

SVG = "{http://www.w3.org/2000/svg}"
NEIGHBOURS = Path(__file__).parent / "sparql" / "neighbours.rq"
BROWSER = {"Accept": "text/html"}
SAMPLE = ["org/mijente", "org/dhs", "doc/omb-draft-ai-guidance", "scheme/topics"]


@pytest.fixture(scope="module")
def dataset():
    return load_dataset()


@pytest.fixture(scope="module")
def data_engine(dataset) -> Engine:
    return Engine.from_dataset(dataset)


@pytest.fixture(scope="module")
def whole(data_engine) -> ET.Element:
    return ET.fromstring(graph_svg(data_engine))


def release_resources(dataset) -> set[URIRef]:
    """Our resources named by a statement of the release graph (read with rdflib)."""
    release = dataset.graph(graph_iri("release"))
    return {
        t
        for triple in release
        for t in (triple[0], triple[2])
        if isinstance(t, URIRef) and str(t).startswith(str(KG))
    }


def label_of(dataset, iri: URIRef) -> str:
    """rdfs:label, else schema:name, skos:prefLabel, foaf:name (English or untagged, least)."""
    for prop in (RDFS.label, SCHEMA.name, SKOS.prefLabel, FOAF.name):
        found = [
            str(o)
            for _, _, o, _ in dataset.quads((iri, prop, None, None))
            if isinstance(o, Literal) and o.language in (None, "en")
        ]
        if found:
            return min(found)
    raise AssertionError(f"{iri} has no label")


def nodes(svg: ET.Element) -> dict[str, str]:
    """Node name (<title>) → its text, lines joined with spaces."""
    out = {}
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "node":
            title = g.find(f"{SVG}title")
            assert title is not None
            text = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
            out[title.text or ""] = " ".join(text.split())
    return out


@pytest.fixture(scope="module", autouse=True)
def dot() -> str:
    """Graphviz's ``dot``, installed from Debian when missing and we can (else every test fails)."""
    return stores.require("dot", "graphviz")


def test_one_cluster_per_kind(whole, dataset):
    kinds = {str(r)[len(str(KG)) :].split("/")[0] for r in release_resources(dataset)}
    clusters = [g for g in whole.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert len(clusters) == len(kinds)
    titles = {" ".join(t.text or "" for t in c.iter(f"{SVG}text")) for c in clusters}
    assert titles == {KIND_TITLES.get(k, k.replace("-", " ")) for k in kinds}


def test_every_resource_is_a_node_with_its_label(whole, dataset):
    expected = {
        str(r)[len(str(KG)) :]: " ".join(label_of(dataset, r).split())
        for r in release_resources(dataset)
    }
    assert nodes(whole) == expected


def test_literals_and_types_are_not_nodes(whole):
    assert all("/" in name for name in nodes(whole))  # only our resources' paths


@pytest.mark.parametrize("slug", SAMPLE)
def test_a_neighbourhood_holds_exactly_the_neighbours(data_engine, slug):
    iri = KG[slug]
    expected = {str(row[1]) for row in data_engine.query(NEIGHBOURS.read_text(), {"entity": iri})}
    svg = ET.fromstring(entity_svg(data_engine, str(iri)))
    assert set(nodes(svg)) == {slug} | {n[len(str(KG)) :] for n in expected}


def test_every_neighbourhood_holds_exactly_the_neighbours(data_engine, dataset):
    picture = load_picture(data_engine)
    query = NEIGHBOURS.read_text()
    for iri in release_resources(dataset):
        expected = {str(row[1]) for row in data_engine.query(query, {"entity": iri})}
        assert set(picture.neighbourhood(str(iri)).nodes) == {str(iri)} | expected, iri


def unsafe(svg_bytes: bytes) -> list[str]:
    """What in an SVG could run, load or link: a list of findings (empty: safe)."""
    text = svg_bytes.decode("utf-8")
    found = [m for m in ("<!DOCTYPE", "<!ENTITY", "<?xml-stylesheet") if m in text]
    root = ET.fromstring(svg_bytes)
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in {"script", "foreignObject", "a", "image", "use", "style", "iframe"}:
            found.append(f"<{tag}>")
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if local.startswith("on") or local in ("href", "src", "style"):
                found.append(f"{local}={value!r}")
            if "url(" in value:
                found.append(f"{local}={value!r}")
    without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", text)
    found += re.findall(r"\w+://\S+", without_namespaces)
    return found


def test_pictures_carry_no_script_and_no_external_reference(data_engine):
    assert unsafe(graph_svg(data_engine)) == []
    for slug in SAMPLE:
        assert unsafe(entity_svg(data_engine, str(KG[slug]))) == []


def test_the_safety_check_can_fail():
    bad = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<script>alert(1)</script><image xlink:href="https://evil.example/x.png"/></svg>'
    )
    assert len(unsafe(bad)) >= 3


def test_an_unknown_entity_is_a_clear_error(data_engine):
    with pytest.raises(UnknownEntity, match="org/nope"):
        entity_svg(data_engine, str(KG["org/nope"]))


def test_a_missing_dot_is_a_clear_error(data_engine, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PictureError, match="apt-get install graphviz"):
        graph_svg(data_engine)


@pytest.mark.parametrize(
    "text", ["kg:org/omb", "/id/org/omb", "org/omb", "<https://w3id.org/dhs-ai-kg/id/org/omb>"]
)
def test_an_entity_is_named_as_a_user_would(text):
    assert entity_iri(text) == str(KG["org/omb"])


# --- the command -----------------------------------------------------------------------------


def test_the_command_writes_the_whole_graph(capsys, dataset):
    assert main(["picture"]) == 0
    out, _ = capsys.readouterr()
    assert len(nodes(ET.fromstring(out.encode()))) == len(release_resources(dataset))


def test_the_command_writes_a_neighbourhood_to_a_file(capsys, tmp_path):
    target = tmp_path / "omb.svg"
    assert main(["picture", "--entity", "kg:org/omb", "--output", str(target)]) == 0
    assert "org/omb" in nodes(ET.fromstring(target.read_bytes()))


def test_the_command_refuses_an_unknown_entity_with_exit_2(capsys):
    assert main(["picture", "--entity", "kg:org/nope"]) == 2
    _, err = capsys.readouterr()
    assert "org/nope" in err and "not in the release graph" in err and "Traceback" not in err


# --- the server ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/pictures/graph.svg", "/pictures/id/org/omb.svg"])
def test_the_server_serves_pictures_as_svg_under_the_data_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == DATA_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert unsafe(response.data) == []


def test_an_unpictured_entity_is_404(client):
    response = client.get("/pictures/id/org/nope.svg")
    assert response.status_code == 404
    assert "not in the release graph's picture" in response.get_data(as_text=True)


def test_a_resource_page_shows_and_links_its_picture(client):
    html = Page(client.get("/id/org/omb", headers=BROWSER).get_data(as_text=True))
    section = html.by_id("picture")
    assert "/pictures/id/org/omb.svg" in section.links
    assert [i.attrs["src"] for i in html.all("img")] == ["/pictures/id/org/omb.svg"]
    assert client.get("/pictures/id/org/omb.svg").status_code == 200


def test_a_resource_outside_the_picture_says_so(client):
    html = Page(client.get("/id/annotation/headline", headers=BROWSER).get_data(as_text=True))
    assert html.all("img") == []
    assert "Not in the release graph's picture" in html.by_id("picture").text
