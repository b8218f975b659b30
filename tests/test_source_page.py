"""The release as a page (/source/release): every quote highlighted once and anchored, linking
what it grounds; overlapping quotes nest; the text and quotes are escaped data. And the entity
pages' source mark per statement row, on a fixture that grounds statements as decided
(tests/fixtures/source-page/README.md) and on the packaged data."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from dhs_ai_kg_server import create_app
from htmlpage import Element, Page
from rdflib import RDF, URIRef

from dhs_ai_kg.grounding import plain_text
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import BASE, DAK, GRAPH, OA
from dhs_ai_kg.passages import Span, nest
from dhs_ai_kg.resources import source_text_file

FIXTURE = Path(__file__).parent / "fixtures" / "source-page"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
KG = BASE + "id/"


def html(client, path: str) -> Page:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 200, path
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


def fragments(page: Page) -> dict[str, list[Element]]:
    """Each annotation's <mark> fragments, in document order."""
    found: dict[str, list[Element]] = defaultdict(list)
    for element in page.all("mark", "quote"):
        found[element.attrs["data-annotation"]].append(element)
    return found


def annotations(dataset) -> dict[str, tuple[str, set[URIRef]]]:
    """Each annotation of the provenance graph: its quote and bodies, from the data."""
    provenance = dataset.graph(GRAPH.provenance)
    found = {}
    for annotation in provenance.subjects(RDF.type, OA.Annotation):
        [target] = provenance.objects(annotation, OA.hasTarget)
        [selector] = provenance.objects(target, OA.hasSelector)
        exact = str(provenance.value(selector, OA.exact))
        found[str(annotation)] = (exact, set(provenance.objects(annotation, OA.hasBody)))
    return found


def slug(annotation: str) -> str:
    return "annotation-" + annotation.removeprefix(KG + "annotation/")


@pytest.fixture(scope="module")
def fixture_client():
    return create_app({"RESOURCES": FIXTURE, "QUERY_ISOLATION": "inline"}).test_client()


# --- the packaged release -----------------------------------------------------------------


@pytest.fixture(scope="module")
def release_page(client) -> Page:
    return html(client, "/source/release")


def test_every_annotation_of_the_release_has_one_anchor_and_its_marks_are_its_quote(
    release_page,
):
    expected = annotations(load_dataset())
    assert len(expected) > 30
    ids = [e.attrs["id"] for e in release_page.elements if "id" in e.attrs]
    marks = fragments(release_page)
    for annotation, (exact, _) in expected.items():
        anchor = slug(annotation)
        assert ids.count(anchor) == 1, anchor
        [anchored] = [e for e in release_page.elements if e.attrs.get("id") == anchor]
        assert anchored.tag == "mark"
        assert "".join(m.text for m in marks[anchor]) == exact
    assert set(marks) == {slug(a) for a in expected}


def test_every_quote_links_to_what_it_grounds(release_page):
    for annotation, (_, bodies) in annotations(load_dataset()).items():
        [note] = [
            e
            for e in release_page.elements
            if e.attrs.get("id") == "grounds-" + slug(annotation).removeprefix("annotation-")
        ]
        assert "#" + slug(annotation) in note.links  # back to the passage
        for body in bodies:
            assert "/" + str(body)[len(BASE) :] in note.links or any(
                link.endswith("#statement-" + str(body).rsplit("/", 1)[-1]) for link in note.links
            ), body


def test_the_release_page_shows_the_whole_text_bold_as_strong(release_page):
    raw = source_text_file().read_text(encoding="utf-8")
    article = " ".join(
        " ".join(e.text for e in release_page.all("p", "text")).split()
        + [" ".join(li.text.split()) for ul in release_page.all("ul", "text") for li in [ul]]
    )
    for paragraph in plain_text(raw).split("\n\n"):
        for line in paragraph.split("\n"):
            assert " ".join(line.removeprefix("- ").split()) in article, line
    strong = {e.text for e in release_page.all("strong")}
    assert "flawed" in strong and "abandon" in strong  # **flawed**, **abandon** in the file


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (BROWSER["Accept"], "text/html"),
        ("text/html", "text/html"),
        ("text/plain", "text/plain"),
        ("*/*", "text/plain"),
        (None, "text/plain"),
        ("text/html;q=0.5, text/plain", "text/plain"),
    ],
)
def test_the_release_is_negotiated_between_its_page_and_its_text(client, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/source/release", headers=headers)
    assert (response.status_code, response.mimetype) == (200, media_type)
    assert "Accept" in response.headers["Vary"]
    assert "</source/release.txt>" in response.headers["Link"]
    if media_type == "text/plain":
        assert response.data == source_text_file().read_bytes()


def test_no_acceptable_type_for_the_release_is_a_406(client):
    assert client.get("/source/release", headers={"Accept": "image/png"}).status_code == 406


def test_the_text_stays_plain_at_its_txt_name(client):
    response = client.get("/source/release.txt", headers=BROWSER)
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.data == source_text_file().read_bytes()


# --- the fixture: overlap, nesting, escaping ------------------------------------------------


def test_crossing_quotes_split_into_fragments_whose_text_is_each_quote(fixture_client):
    page = html(fixture_client, "/source/release")
    marks = fragments(page)
    leads = "Alpha Org leads the Beta Campaign"
    opposes = 'the Beta Campaign, which opposes <script>alert("x")</script> & other tools'
    assert "".join(m.text for m in marks["annotation-alpha-leads"]) == leads
    assert "".join(m.text for m in marks["annotation-beta-opposes"]) == opposes
    assert len(marks["annotation-beta-opposes"]) == 2  # cut where alpha-leads ends
    # nested: "Alpha Org" inside "Gamma Org supports Alpha Org."
    assert [m.text for m in marks["annotation-gamma-supports"]] == ["Gamma Org supports Alpha Org."]
    assert [m.text for m in marks["annotation-alpha-named"]] == ["Alpha Org"]
    source = fixture_client.get("/source/release", headers=BROWSER).get_data(as_text=True)
    inner = source.index('id="annotation-alpha-named"')
    assert source.index('id="annotation-gamma-supports"') < inner < source.index("</mark>.</mark>")
    anchors = [e.attrs["id"] for e in page.elements if e.attrs.get("id", "").startswith("annot")]
    assert sorted(anchors) == sorted(set(anchors)) and len(anchors) == 5


def test_the_text_and_quotes_are_escaped(fixture_client):
    response = fixture_client.get("/source/release", headers=BROWSER)
    body = response.get_data(as_text=True)
    assert "<script>" not in body and "alert(" in body
    assert "&lt;script&gt;" in body and "&amp; other tools" in body
    page = Page(body)
    # No script but the site's own files (the header's search), none with the page's text.
    assert all(
        e.attrs.get("src", "").startswith("/static/") and not e.text for e in page.all("script")
    )
    entity = fixture_client.get("/id/topic/script-tools", headers=BROWSER).get_data(as_text=True)
    assert "<script>" not in entity and "&lt;script&gt;" in entity


def test_a_statement_body_links_to_its_row_on_the_subjects_page(fixture_client):
    page = html(fixture_client, "/source/release")
    [note] = [e for e in page.elements if e.attrs.get("id") == "grounds-alpha-leads"]
    assert "/id/org/alpha#statement-a3048eb16040" in note.links
    assert "/id/org/alpha" in note.links and "/id/campaign/beta" in note.links
    row = html(fixture_client, "/id/org/alpha")
    assert [e.tag for e in row.elements if e.attrs.get("id") == "statement-a3048eb16040"] == ["li"]


def test_nesting_keeps_pieces_balanced_and_each_span_whole():
    text = "0123456789abcdef"
    spans = [Span(0, 10, "A"), Span(5, 15, "B"), Span(6, 8, "strong"), Span(2, 4, "C")]
    pieces = nest(text, 0, len(text), spans)
    stack: list[str] = []
    got: dict[str, str] = defaultdict(str)
    for piece in pieces:
        if piece.kind == "open":
            stack.append(piece.key)
        elif piece.kind == "close":
            assert stack.pop() == piece.key  # properly nested
        else:
            for key in stack:
                got[key] += piece.text
    assert not stack
    assert {k: got[k] for k in "ABC"} == {"A": text[0:10], "B": text[5:15], "C": text[2:4]}
    assert got["strong"] == "67"
    assert [p.key for p in pieces if p.kind == "open" and p.first] == ["A", "C", "B", "strong"]


# --- entity pages: a source mark per statement row ------------------------------------------


def test_each_grounded_row_reveals_its_quote_and_links_its_anchor(fixture_client):
    page = html(fixture_client, "/id/org/alpha")
    [row] = [e for e in page.elements if e.attrs.get("id") == "statement-a3048eb16040"]
    assert "Alpha Org leads the Beta Campaign" in row.text
    assert "/source/release#annotation-alpha-leads" in row.links
    revealed = [d for d in page.all("details", "source") if "leads the Beta" in d.text]
    assert len(revealed) == 1  # a <details> whose <summary> says "source"
    assert "source (1 quote)" in [" ".join(s.text.split()) for s in page.all("summary")]
    incoming = html(fixture_client, "/id/campaign/beta").by_id("incoming")
    assert "/source/release#annotation-alpha-leads" in incoming.links  # incoming rows too


def test_a_row_no_quote_states_says_so(fixture_client):
    page = html(fixture_client, "/id/org/alpha")
    statements = page.by_id("statements")
    assert statements.text.count("no quote states this") == 2  # its type and its label


def test_every_grounded_row_of_a_packaged_page_has_its_source_mark(client):
    """On the real data every release statement but the exempt housekeeping is grounded: each
    such row of a page has a source mark; only exempt rows say no quote states them."""
    dataset = load_dataset()
    release = dataset.graph(GRAPH.release)
    exempt = set(dataset.graph(GRAPH.metadata).objects(None, DAK.groundingExemptProperty))
    assert exempt, "the metadata graph lists the exempt properties"
    for path in ("org/mijente", "org/omb", "doc/omb-draft-ai-guidance"):
        subject = URIRef(KG + path)
        rows = list(release.predicate_objects(subject))
        grounded = [p for p, _ in rows if p not in exempt]
        statements = html(client, f"/id/{path}").by_id("statements").text
        assert grounded and statements.count("source (") == len(grounded), path
        assert statements.count("no quote states this") == len(rows) - len(grounded), path


def test_an_annotation_page_links_to_its_passage(fixture_client, client):
    page = html(fixture_client, "/id/annotation/alpha-named")
    assert "/source/release#annotation-alpha-named" in page.links
    assert "/source/release#annotation-headline" in html(client, "/id/annotation/headline").links
    quotes = html(client, "/id/org/mijente").by_id("grounding")
    assert any(link.startswith("/source/release#annotation-") for link in quotes.links)
