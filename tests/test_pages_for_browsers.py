"""Every answer a browser can land on is a page with the site's header (issue 9): /dumps/, a
404, a 400, a named query without its required parameter (a form); programs keep their
formats, negotiated on Accept."""

from __future__ import annotations

import pytest
from htmlpage import Page

from dhs_ai_kg.named_queries import load_named_queries

#: What Chromium sends when a person follows a link.
CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
ORG = "14-describe-organization"

CASES = [
    # (path, Accept, status, media type)
    ("/dumps/", CHROMIUM, 200, "text/html"),
    ("/dumps/", "*/*", 200, "application/json"),
    ("/dumps/", "application/json", 200, "application/json"),
    ("/no/such/page", CHROMIUM, 404, "text/html"),
    ("/no/such/page", "*/*", 404, "text/plain"),
    ("/dumps/nope.ttl", CHROMIUM, 404, "text/html"),
    ("/queries/99-nope", CHROMIUM, 404, "text/html"),
    ("/queries/99-nope", "application/json", 404, "text/plain"),
    (f"/queries/{ORG}", CHROMIUM, 200, "text/html"),
    (f"/queries/{ORG}", "*/*", 400, "text/plain"),
    (f"/queries/{ORG}", "application/sparql-results+json", 400, "text/plain"),
    (f"/queries/{ORG}?org=not%20an%20iri", CHROMIUM, 400, "text/html"),
    (f"/queries/{ORG}?org=kg:org/mijente&org=kg:org/omb", CHROMIUM, 400, "text/html"),
    ("/queries/01-lead-organizations?nope=1", CHROMIUM, 400, "text/html"),
    ("/queries/01-lead-organizations?nope=1", "*/*", 400, "text/plain"),
]


@pytest.mark.parametrize("path,accept,status,media_type", CASES)
def test_browsers_get_pages_and_programs_their_formats(client, path, accept, status, media_type):
    response = client.get(path, headers={"Accept": accept})
    assert (response.status_code, response.mimetype) == (status, media_type)
    if media_type == "text/html":
        page = Page(response.get_data(as_text=True))
        header = [e for e in page.all("header") if "site" in e.attrs.get("class", "")]
        assert header and {"/query", "/id/", "/ontology"} <= set(header[0].links)
        assert "Accept" in response.headers.get("Vary", "")


def test_the_dumps_page_lists_each_dump_with_its_checksum(client):
    listing = client.get("/dumps/", headers={"Accept": "application/json"}).get_json()
    page = Page(client.get("/dumps/", headers={"Accept": CHROMIUM}).get_data(as_text=True))
    assert len(listing) > 10
    for dump in listing:
        assert dump["url"] in page.links and dump["sha256"] in page.text


def test_a_query_without_its_required_parameter_is_a_form_for_it(client):
    query = load_named_queries()[ORG]
    required = [p for p in query.parameters if p.required]
    assert required
    page = Page(client.get(f"/queries/{ORG}", headers={"Accept": CHROMIUM}).get_data(as_text=True))
    [form] = page.all("form", "parameters")
    assert form.attrs["action"] == f"/queries/{ORG}" and form.attrs["method"] == "get"
    inputs = {  # the form's fields (the header's search box is on every page)
        e.attrs["name"]: e.attrs
        for e in page.all("input")
        if e.attrs.get("id") != "header-search-q"
    }
    assert set(inputs) == {p.name for p in query.parameters}
    assert all("required" in inputs[p.name] for p in required)
    assert all(p.description in page.text for p in query.parameters)


def test_the_form_answers_once_filled_in(client):
    response = client.get(f"/queries/{ORG}?org=kg:org/mijente", headers={"Accept": CHROMIUM})
    assert response.status_code == 200
    assert "Mijente" in Page(response.get_data(as_text=True)).text


def test_a_bad_value_keeps_the_form_and_says_what_is_wrong(client):
    response = client.get(f"/queries/{ORG}?org=not%20an%20iri", headers={"Accept": CHROMIUM})
    page = Page(response.get_data(as_text=True))
    [error] = page.all("p", "error")
    assert "org" in error.text
    assert {e.attrs.get("value") for e in page.all("input")} >= {"not an iri"}


def test_the_form_s_empty_optional_fields_are_not_given(client):
    response = client.get(
        f"/queries/{ORG}?org=kg:org/mijente&release=", headers={"Accept": CHROMIUM}
    )
    assert response.status_code == 200
    assert "Mijente" in Page(response.get_data(as_text=True)).text
