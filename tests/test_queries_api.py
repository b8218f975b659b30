"""Named queries as an API: /queries lists them, /queries/<name>?param=value runs one."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from htmlpage import Page
from rdflib import Graph, URIRef

from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.namespaces import KG, OA
from dhs_ai_kg.resources import queries_dir

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FILES = sorted(queries_dir().glob("*.rq"))
MIJENTE = "kg:org/mijente"


def question(path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()


def query_text_of(link: str) -> str:
    parts = urlsplit(link)
    assert parts.path == "/sparql"
    return parse_qs(parts.query)["query"][0]


def test_the_listing_is_json_for_programs(client):
    response = client.get("/queries", headers={"Accept": "application/json"})
    assert response.mimetype == "application/json"
    listed = {q["name"]: q for q in response.get_json()["queries"]}
    assert list(listed) == [p.stem for p in FILES]
    for path in FILES:
        entry = listed[path.stem]
        assert entry["question"] == question(path)
        assert query_text_of(entry["queryPage"]) == path.read_text(encoding="utf-8")
    grounding = {p["name"]: p for p in listed["10-grounding"]["parameters"]}
    assert grounding["resource"]["required"] is True and grounding["resource"]["type"] == "iri"
    assert grounding["release"]["required"] is False


def test_the_listing_is_html_for_browsers(client):
    response = client.get("/queries", headers=BROWSER)
    html = Page(response.get_data(as_text=True))
    assert response.mimetype == "text/html"
    for path in FILES:
        section = html.by_id(path.stem)
        assert question(path) in section.text
        assert f"/queries/{path.stem}" in section.links
        opened = [link for link in section.links if link.startswith("http://localhost/sparql?")]
        assert [query_text_of(link) for link in opened] == [path.read_text(encoding="utf-8")]
    forms = {f.attrs["action"] for f in html.all("form")} - {"/search"}  # the header's
    assert forms == {f"/queries/{p.stem}" for p in FILES}


def expected_quotes(resource: URIRef) -> set[str]:
    provenance = load_dataset().graph(URIRef("https://w3id.org/dhs-ai-kg/graph/provenance"))
    return {
        str(exact)
        for annotation in provenance.subjects(OA.hasBody, resource)
        for target in provenance.objects(annotation, OA.hasTarget)
        for selector in provenance.objects(target, OA.hasSelector)
        for exact in provenance.objects(selector, OA.exact)
    }


def test_a_parameter_is_bound_and_the_query_runs(client):
    response = client.get(
        "/queries/10-grounding",
        query_string={"resource": MIJENTE},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    rows = response.get_json()["results"]["bindings"]
    assert {r["exact"]["value"] for r in rows} == expected_quotes(KG["org/mijente"])
    assert {r["resource"]["value"] for r in rows} == {str(KG["org/mijente"])}
    link = response.headers["Link"]
    assert 'rel="related"' in link and "open in the query page" in link
    text = query_text_of(link.split(">", 1)[0].lstrip("<"))
    assert text == (queries_dir() / "10-grounding.rq").read_text(encoding="utf-8")


def test_a_value_is_never_pasted_into_the_query(client):
    sneaky = "<urn:x> } UNION { ?resource ?p ?o"
    response = client.get("/queries/10-grounding", query_string={"resource": sneaky})
    assert response.status_code == 400
    assert "not an IRI" in response.get_data(as_text=True)
    other = client.get("/queries/10", query_string={"resource": str(KG["org/nobody"])})
    assert other.status_code == 200 and other.get_json()["results"]["bindings"] == []


RESULTS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


@pytest.mark.parametrize(("name", "media_type"), RESULTS.items())
def test_select_results_in_every_format_by_accept_and_by_format(client, name, media_type):
    by_accept = client.get("/queries/01-lead-organizations", headers={"Accept": media_type})
    by_name = client.get("/queries/01-lead-organizations", query_string={"format": name})
    assert (by_accept.status_code, by_accept.mimetype) == (200, media_type)
    assert (by_name.status_code, by_name.mimetype) == (200, media_type)
    assert by_accept.data == by_name.data
    if name == "csv":
        rows = list(csv.DictReader(io.StringIO(by_name.get_data(as_text=True))))
        assert len(rows) == len(json.loads(client.get("/queries/1").data)["results"]["bindings"])


GRAPHS = {
    "turtle": ("text/turtle", "turtle"),
    "ntriples": ("application/n-triples", "nt"),
    "jsonld": ("application/ld+json", "json-ld"),
    "xml": ("application/rdf+xml", "xml"),
}


@pytest.mark.parametrize(("name", "types"), GRAPHS.items())
def test_construct_results_in_every_graph_format(client, name, types):
    media_type, parser = types
    response = client.get(
        "/queries/14-describe-organization", query_string={"org": MIJENTE, "format": name}
    )
    assert (response.status_code, response.mimetype) == (200, media_type)
    graph = Graph().parse(data=response.data, format=parser)
    assert (KG["org/mijente"], None, None) in graph


@pytest.mark.parametrize(
    ("query_string", "message"),
    [
        ({}, "missing required parameter ?resource"),
        ({"resource": MIJENTE, "colour": "red"}, "unknown parameter ?colour"),
        ({"resource": "nobody"}, "not an IRI"),
    ],
)
def test_bad_parameters_are_a_400_with_the_binders_message(client, query_string, message):
    response = client.get("/queries/10-grounding", query_string=query_string)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_repeated_parameter_is_a_400(client):
    response = client.get("/queries/10-grounding?resource=kg:org/dhs&resource=kg:org/omb")
    assert response.status_code == 400
    assert "given 2 times" in response.get_data(as_text=True)


def test_an_unknown_format_is_a_400(client):
    response = client.get("/queries/1", query_string={"format": "yaml"})
    assert response.status_code == 400


def test_an_unknown_query_is_a_404_listing_the_names(client):
    response = client.get("/queries/99-nothing")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert all(path.stem in body for path in FILES)


def test_a_number_or_prefix_names_a_query(client):
    assert client.get("/queries/1").status_code == 200
    assert client.get("/queries/06-rec").status_code == 200


def test_a_browser_gets_the_results_as_a_table_with_local_links(client):
    response = client.get("/queries/10", query_string={"resource": MIJENTE}, headers=BROWSER)
    assert response.status_code == 200
    html = Page(response.get_data(as_text=True))
    table = html.all("table", "results")[0]
    assert "/id/org/mijente" in table.links
    cells = {e.text for e in html.all("span", "literal")}
    assert expected_quotes(KG["org/mijente"]) <= cells
    opened = html.all("a", "query-page")[0].attrs["href"]
    assert query_text_of(opened) == (queries_dir() / "10-grounding.rq").read_text("utf-8")
    downloads = [link for link in html.links if "format=" in link]
    assert {parse_qs(urlsplit(link).query)["format"][0] for link in downloads} == set(RESULTS)
    assert all(parse_qs(urlsplit(link).query)["resource"] == [MIJENTE] for link in downloads)
