"""Pictures of the graph (SVG via Graphviz's ``dot``): readable, complete, safe to serve."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import stores
from dhs_ai_kg_cli import main
from dhs_ai_kg_server.entity_page import VOCABULARY_LABELS
from dhs_ai_kg_server.headers import DATA_POLICY
from htmlpage import Page
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, OWL, RDF, RDFS, SKOS

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import KG, SCHEMA, graph_iri
from dhs_ai_kg.pictures import (
    KIND_COLOURS,
    KIND_TITLES,
    PictureError,
    UnknownEntity,
    entity_iri,
    entity_svg,
    graph_svg,
    load_picture,
    render_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
NEIGHBOURS = Path(__file__).parent / "sparql" / "neighbours.rq"
STATEMENTS = Path(__file__).parent / "sparql" / "picture-statements.rq"
ONTOLOGY_FILE = Path(__file__).resolve().parents[1] / "ontology" / "dhs-ai-kg.ttl"
XLINK = "{http://www.w3.org/1999/xlink}href"
#: The only links a picture may hold: a path to one of our pages, or a fragment of the page.
SAFE_LINK = re.compile(r"/id/[A-Za-z0-9._~%/-]+|#[A-Za-z][A-Za-z0-9_-]*")
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
        if tag in {"script", "foreignObject", "image", "use", "style", "iframe"}:
            found.append(f"<{tag}>")
        hrefs = [v for n, v in element.attrib.items() if n.rsplit("}", 1)[-1] == "href"]
        if tag == "a" and (len(hrefs) != 1 or not SAFE_LINK.fullmatch(hrefs[0])):
            found.append(f"<a> linking {hrefs}")
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if (
                local.startswith("on")
                or local in ("src", "style")
                or (local == "href" and tag != "a")
            ):
                found.append(f"{local}={value!r}")
            if "url(" in value:
                found.append(f"{local}={value!r}")
    without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", text)
    found += re.findall(r"\w+://\S+", without_namespaces)
    return found


@pytest.mark.parametrize("links", [False, True])
def test_pictures_carry_no_script_and_no_external_reference(data_engine, links):
    assert unsafe(graph_svg(data_engine, links=links)) == []
    for slug in SAMPLE:
        assert unsafe(entity_svg(data_engine, str(KG[slug]), links=links)) == []


@pytest.mark.parametrize(
    "bad",
    [
        b"<script>alert(1)</script>",
        b'<image xlink:href="https://evil.example/x.png"/>',
        b'<a xlink:href="https://evil.example/"><text>x</text></a>',
        b'<a href="javascript:alert(1)"><text>x</text></a>',
        b'<a xlink:href="//evil.example/id/x"><text>x</text></a>',
        b'<a xlink:href="/id/org/x" href="https://evil.example/"><text>x</text></a>',
        b'<g onclick="alert(1)"/>',
    ],
)
def test_the_safety_check_can_fail(bad):
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        + bad
        + b"</svg>"
    )
    assert unsafe(svg) != []


@pytest.mark.parametrize(
    "bad",
    [
        b'<a xlink:href="https://evil.example/"><text>kept</text></a>',
        b'<a xlink:href="javascript:alert(1)"><text>kept</text></a>',
        b'<a href="/id/x" xlink:href="/id/y"><text>kept</text></a>',
        b'<g style="fill:url(https://evil.example/x)" id="main"><text>kept</text></g>',
    ],
)
def test_the_cleaner_drops_unsafe_links_and_keeps_their_text(bad, monkeypatch):
    import graphviz

    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        + bad
        + b"</svg>"
    )
    monkeypatch.setattr(graphviz.Digraph, "pipe", lambda self, **kw: svg)
    cleaned = render_svg(graphviz.Digraph())
    assert unsafe(cleaned) == []
    assert "kept" in cleaned.decode()


def kind_of(name: str) -> str:
    """The kind of a node named by its path after /id/ (its first segment)."""
    return name.split("/")[0]


def node_fills(svg: ET.Element) -> dict[str, str]:
    """Node name → the fill of its box."""
    out = {}
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "node":
            title = g.find(f"{SVG}title")
            shape = next(e for e in g.iter() if e.tag in (f"{SVG}path", f"{SVG}polygon"))
            out[title.text or ""] = shape.get("fill", "")  # type: ignore[union-attr]
    return out


def test_nodes_are_coloured_by_kind_one_colour_each(whole, dataset):
    fills = node_fills(whole)
    kinds = {kind_of(name) for name in fills}
    assert kinds == {str(r)[len(str(KG)) :].split("/")[0] for r in release_resources(dataset)}
    for name, fill in fills.items():
        assert fill == KIND_COLOURS[kind_of(name)], name  # every kind present has its colour
    assert len({KIND_COLOURS[k] for k in kinds}) == len(kinds)  # no two kinds share one


def property_labels() -> dict[str, str]:
    """English rdfs:label of each term, from the ontology and the vocabularies' label file."""
    graph = Graph().parse(ONTOLOGY_FILE).parse(VOCABULARY_LABELS)
    return {
        str(term): str(label)
        for term, label in graph.subject_objects(RDFS.label)
        if isinstance(label, Literal) and label.language in (None, "en")
    }


def edge_labels(svg: ET.Element) -> Counter[str]:
    """How often each edge label occurs in ``svg``."""
    found: Counter[str] = Counter()
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "edge":
            found[" ".join(t.text or "" for t in g.iter(f"{SVG}text"))] += 1
    return found


def test_edges_are_named_by_property_label(client, data_engine):
    labels = property_labels()
    rows = list(data_engine.query(STATEMENTS.read_text()))
    assert rows  # the release links its resources
    expected = Counter(labels[str(prop)] for _, prop, _ in rows)  # KeyError: a property unlabelled
    svg = ET.fromstring(client.get("/pictures/graph.svg").data)
    assert edge_labels(svg) == expected


def links_of(svg: ET.Element) -> dict[str, str]:
    """Node name → the link of its box."""
    out = {}
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "node":
            title = g.find(f"{SVG}title")
            links = [a.get(XLINK) for a in g.iter(f"{SVG}a")]
            assert len(links) == 1, links
            out[title.text or ""] = links[0] or ""  # type: ignore[union-attr]
    return out


def test_every_node_links_to_its_page_and_every_page_is_there(client, dataset):
    svg = ET.fromstring(client.get("/pictures/graph.svg").data)
    links = links_of(svg)
    assert len(links) == len(release_resources(dataset))
    for name, link in links.items():
        assert link == f"/id/{name}"
        assert client.get(link, headers=BROWSER).status_code == 200, link


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


@pytest.mark.parametrize(
    "path", ["/pictures/graph.svg", "/pictures/id/org/omb.svg", "/pictures/ontology.svg"]
)
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


@pytest.mark.parametrize("slug", SAMPLE)
def test_a_resource_page_shows_its_picture_inline_linking_its_neighbours(client, data_engine, slug):
    text = client.get(f"/id/{slug}", headers=BROWSER).get_data(as_text=True)
    html = Page(text)
    section = html.by_id("picture")
    assert f"/pictures/id/{slug}.svg" in section.links
    start = text.index('<section id="picture">')
    inline = text[text.index("<svg ", start) : text.index("</svg>", start) + len("</svg>")]
    svg = ET.fromstring(inline)
    assert svg.get("role") == "group" and svg.get("aria-labelledby") == "picture-caption"
    assert unsafe(inline.encode()) == []
    neighbours = {
        str(row[1])[len(str(KG)) :]
        for row in data_engine.query(NEIGHBOURS.read_text(), {"entity": KG[slug]})
    }
    assert links_of(svg) == {n: f"/id/{n}" for n in neighbours | {slug}}
    legend = {li.attrs["data-kind"] for li in html.all("li") if "data-kind" in li.attrs}
    assert legend == {kind_of(n) for n in neighbours | {slug}}
    assert html.all("img") == []  # inline, so its links work


def test_a_resource_outside_the_picture_says_so(client):
    html = Page(client.get("/id/annotation/headline", headers=BROWSER).get_data(as_text=True))
    assert html.all("svg", "swatch") == []
    assert "Not in the release graph's picture" in html.by_id("picture").text


# --- the whole graph for /explore, the class diagram ------------------------------------------


def test_the_graph_json_holds_every_node_and_statement(client, data_engine, dataset):
    data = client.get("/pictures/graph.json").get_json()
    nodes_ = {n["data"]["id"]: n["data"] for n in data["elements"]["nodes"]}
    assert set(nodes_) == {str(r)[len(str(KG)) :] for r in release_resources(dataset)}
    for name, node in nodes_.items():
        assert node["href"] == f"/id/{name}"
        assert node["colour"] == KIND_COLOURS[kind_of(name)] and node["kind"] == kind_of(name)
        assert node["label"] == " ".join(label_of(dataset, KG[name]).split()) or node["label"]
    labels = property_labels()
    rows = list(data_engine.query(STATEMENTS.read_text()))
    edges = Counter(
        (e["data"]["source"], e["data"]["label"], e["data"]["target"])
        for e in data["elements"]["edges"]
    )
    assert edges == Counter(
        (str(s)[len(str(KG)) :], labels[str(p)], str(o)[len(str(KG)) :]) for s, p, o in rows
    )
    assert {item["kind"] for item in data["legend"]} == {kind_of(n) for n in nodes_}


def test_explore_lists_every_node_without_script(client, dataset):
    html = Page(client.get("/explore", headers=BROWSER).get_data(as_text=True))
    listed = {link for link in html.by_id("nodes").links if link.startswith("/id/")}
    assert listed == {f"/id/{str(r)[len(str(KG)) :]}" for r in release_resources(dataset)}
    assert "/pictures/graph.svg" in html.links
    scripts = [s.attrs.get("src", "").split("?")[0] for s in html.all("script")]
    assert "/static/vendor/cytoscape/cytoscape.min.js" in scripts


def ontology_terms() -> tuple[Graph, set[str], list[tuple[str, str, str]]]:
    """The ontology file, its classes' IRIs, and (domain, label, range) of each property with
    both a domain and a range, read with rdflib."""
    graph = Graph().parse(ONTOLOGY_FILE)
    classes = {str(c) for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    properties = []
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for prop in graph.subjects(RDF.type, kind):
            for domain in graph.objects(prop, RDFS.domain):
                for range_ in graph.objects(prop, RDFS.range):
                    label = graph.value(prop, RDFS.label)
                    properties.append((str(domain), str(label), str(range_)))
    return graph, classes, properties


def test_the_ontology_page_has_a_class_diagram(client):
    graph, classes, properties = ontology_terms()
    text = client.get("/ontology", headers=BROWSER).get_data(as_text=True)
    html = Page(text)
    figure = html.by_id("class-diagram")
    start = text.index('id="class-diagram"')
    svg = ET.fromstring(text[text.index("<svg ", start) : text.index("</svg>", start) + 6])
    assert unsafe(ET.tostring(svg)) == []
    ids = {e.attrs["id"] for e in html.elements if "id" in e.attrs}
    links = [a.get(XLINK) for a in svg.iter(f"{SVG}a")]
    assert sorted(links) == sorted(f"#{c.split('#', 1)[1]}" for c in classes)
    assert all(link[1:] in ids for link in links)  # each class has its section on the page
    subclass_edges = sum(1 for c in classes for _ in graph.objects(URIRef(c), RDFS.subClassOf))
    drawn = edge_labels(svg)
    assert drawn[""] == subclass_edges
    assert drawn - Counter({"": drawn[""]}) == Counter(label for _, label, _ in properties)
    assert "Class diagram" in figure.text
