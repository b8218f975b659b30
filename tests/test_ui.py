"""The query page's HTML and assets, without a browser (tests/browser/ drives Chromium)."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from dhs_ai_kg_server import create_app
from dhs_ai_kg_server.web import EDITOR

from dhs_ai_kg.named_queries import load_named_queries

STATIC = Path(__file__).resolve().parents[1] / "server" / "dhs_ai_kg_server" / "static"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Assets(HTMLParser):
    """Collects the URLs a page loads (scripts, stylesheets, images) and links to."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.page_data = ""
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "script" and attr.get("src"):
            self.loads.append(attr["src"] or "")
        if tag == "link" and attr.get("rel") == "stylesheet":
            self.loads.append(attr.get("href") or "")
        if tag in ("img", "iframe", "source", "video", "audio") and attr.get("src"):
            self.loads.append(attr["src"] or "")
        if tag == "a" and attr.get("href"):
            self.links.append(attr["href"] or "")
        self._in_data = tag == "script" and attr.get("id") == "page-data"

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.page_data += data

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False


def parse(html: str) -> Assets:
    assets = Assets()
    assets.feed(html)
    return assets


def test_page_lists_every_example_with_its_question_and_parameters(client):
    response = client.get("/query")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    data = json.loads(parse(html).page_data)
    queries = load_named_queries()
    assert [e["name"] for e in data["examples"]] == list(queries)
    for example in data["examples"]:
        query = queries[example["name"]]
        assert example["question"] == query.question
        assert example["text"] == query.text
        assert [p["name"] for p in example["parameters"]] == [p.name for p in query.parameters]
        assert f'data-name="{query.name}"' in html
    # Parameters are shown on the page, e.g. 10-grounding's required ?resource.
    assert re.search(r"<code>\?resource</code>\s*<span class=\"type\">iri, required</span>", html)


def test_endpoint_is_an_absolute_url_from_the_request(client):
    html = client.get("/query", base_url="http://kg.example:8080").get_data(as_text=True)
    data = json.loads(parse(html).page_data)
    assert data["endpoint"] == "http://kg.example:8080/sparql"
    assert '<code id="endpoint">http://kg.example:8080/sparql</code>' in html
    assert data["iri_base"] == "https://w3id.org/dhs-ai-kg/"
    assert [f["name"] for f in data["formats"]["results"]] == ["json", "xml", "csv", "tsv"]


def test_public_base_sets_the_endpoint():
    app = create_app({"PUBLIC_BASE": "https://kg.example.org/"})
    html = app.test_client().get("/query").get_data(as_text=True)
    assert json.loads(parse(html).page_data)["endpoint"] == "https://kg.example.org/sparql"


def test_sparql_serves_the_page_to_browsers(client):
    response = client.get("/sparql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert "Query the knowledge graph" in response.get_data(as_text=True)


def test_query_and_example_parameters_preload_the_editor(client):
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 3 # <b>&"
    html = client.get("/query", query_string={"query": query}).get_data(as_text=True)
    assert "SELECT * WHERE { ?s ?p ?o } LIMIT 3 # &lt;b&gt;&amp;</textarea>" in html
    html = client.get("/query", query_string={"example": "01-lead-organizations"}).get_data(
        as_text=True
    )
    assert "org:role &lt;https://w3id.org/dhs-ai-kg/id/role/lead&gt;" in html
    # Without JavaScript the form still runs the query on the endpoint.
    assert re.search(r'<form id="query-form" action="http://localhost/sparql" method="get">', html)


def test_page_loads_only_local_assets(client):
    html = client.get("/query").get_data(as_text=True)
    assets = parse(html)
    assert assets.loads, "the page loads no script or stylesheet"
    for url in assets.loads:
        assert url.startswith("/static/"), url
    # No URL of another host anywhere in the markup outside the page data and the query text.
    markup = re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)
    markup = re.sub(r"<textarea.*?</textarea>", "", markup, flags=re.S)
    hosts = set(re.findall(r"(?:src|href|action)=\"(https?://[^/\"]+)", markup))
    assert hosts <= {"http://localhost"}, hosts


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("vendor/yasqe/yasqe.min.js", "text/javascript; charset=utf-8"),
        ("vendor/yasqe/yasqe.min.css", "text/css; charset=utf-8"),
        ("query.js", "text/javascript; charset=utf-8"),
        ("query.css", "text/css; charset=utf-8"),
    ],
)
def test_assets_are_served_with_their_content_types(client, path, content_type):
    response = client.get(f"/static/{path}")
    assert response.status_code == 200
    assert response.content_type == content_type
    assert response.data == (STATIC / path).read_bytes()
    response.close()


def test_vendored_editor_matches_its_readme():
    readme = (STATIC / "vendor" / "README.md").read_text(encoding="utf-8")
    assert f"`{EDITOR['name']}`" in readme
    assert f"| {EDITOR['version']} |" in readme
    for name in ("yasqe.min.js", "yasqe.min.css"):
        digest = hashlib.sha256((STATIC / "vendor" / "yasqe" / name).read_bytes()).hexdigest()
        assert f"{digest}  yasqe/{name}" in readme
    assert (STATIC / "vendor" / "yasqe" / "LICENSE").read_text().startswith("The MIT License")


def test_vendored_code_fetches_nothing_by_default():
    """The editor's only network calls are the query and prefix.cc/LOV lookups we turn off
    (the audit, and the browser check of it: tests/browser/test_vendor_audit.py)."""
    script = (STATIC / "query.js").read_text(encoding="utf-8")
    assert "prefixCcApi: null" in script
    assert "Yasqe.defaults.autocompleters = [];" in script  # a merged list would keep LOV on
    css = (STATIC / "vendor" / "yasqe" / "yasqe.min.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    assert "@import" not in css
