"""Security headers on every response the server gives: pages, data, errors, static files.

Every path of the README's IRIs table is asked for, as a browser and as a data client, plus
the errors (400, 404, 405, 406, 413, 500), a preflight, a redirect and a 304.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dhs_ai_kg_server.app import create_app

from dhs_ai_kg.named_queries import load_named_queries
from dhs_ai_kg.shared_queries import share_key

BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
TURTLE = {"Accept": "text/turtle"}
ASK = "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
QUERIES = load_named_queries(Path(__file__).resolve().parents[1] / "queries")
SHORT_LINK = "/q/" + share_key(QUERIES["01-lead-organizations"].text)  # a named query's

#: (method, path, request headers, expected status). One row per kind of answer.
CASES = [
    ("GET", "/", BROWSER, 200),
    ("GET", "/?query=SELECT%20*%20WHERE%20%7B%7D", BROWSER, 301),
    ("GET", "/query?query=SELECT%20*%20WHERE%20%7B%7D", BROWSER, 200),
    ("GET", "/search?q=omb", BROWSER, 200),
    ("GET", "/search?q=omb", {"Accept": "application/json"}, 200),
    ("GET", "/query/terms.json", {"Accept": "application/json"}, 200),
    ("GET", "/favicon.ico", BROWSER, 200),
    ("GET", "/spreadsheet.csv?query=SELECT%20%3Fs%20WHERE%20%7B%7D", BROWSER, 200),
    ("GET", "/sparql", BROWSER, 200),
    ("GET", "/sparql", TURTLE, 200),
    ("GET", ASK, {}, 200),
    ("GET", ASK + "&format=csv", {}, 200),
    ("GET", "/sparql?query=SELECT", {}, 400),
    ("GET", ASK, {"Accept": "image/png"}, 406),
    ("PUT", "/sparql", {}, 405),
    ("POST", "/sparql", {"Content-Type": "application/sparql-update"}, 400),
    ("OPTIONS", "/sparql", {"Access-Control-Request-Method": "POST", "Origin": "http://a"}, 204),
    ("GET", "/id/", BROWSER, 200),
    ("GET", "/id/org/mijente", BROWSER, 200),
    ("GET", "/id/org/mijente", TURTLE, 200),
    ("GET", "/id/org/mijente.jsonld", {}, 200),
    ("GET", "/id/org/no-such-thing", BROWSER, 404),
    ("GET", "/id/org/no-such-thing", TURTLE, 404),
    ("DELETE", "/id/org/mijente", {}, 405),
    ("GET", "/ontology", BROWSER, 200),
    ("GET", "/ontology", TURTLE, 200),
    ("GET", "/ontology.html", {}, 200),
    ("GET", "/ontology.ttl", {}, 200),
    ("GET", "/ontology/0.1.0", TURTLE, 200),
    ("GET", "/ontology/9.9.9", {}, 404),
    ("GET", "/graph/release", {}, 200),
    ("GET", "/graph/no-such-graph", {}, 404),
    ("GET", "/source/release.txt", {}, 200),
    ("GET", "/source/release", BROWSER, 200),
    ("GET", "/source/release", {}, 200),
    ("GET", "/context.jsonld", {}, 200),
    ("GET", "/.well-known/void", BROWSER, 200),
    ("GET", "/.well-known/void", TURTLE, 200),
    ("GET", "/.well-known/void.html", {}, 200),
    ("GET", "/.well-known/void.nt", {}, 200),
    ("GET", "/dataset", {}, 303),
    ("GET", "/dumps/", {}, 200),
    ("GET", "/dumps/dataset.trig", {}, 200),
    ("GET", "/queries", BROWSER, 200),
    ("GET", "/queries", {"Accept": "application/json"}, 200),
    ("GET", "/queries/01-lead-organizations", BROWSER, 200),
    ("GET", "/queries/01-lead-organizations", {}, 200),
    ("GET", "/queries/10-grounding", {}, 400),
    ("GET", "/queries/no-such-query", {}, 404),
    ("GET", "/pictures/graph.svg", {}, 200),
    ("GET", "/pictures/id/org/mijente.svg", {}, 200),
    ("GET", "/pictures/id/org/no-such-thing.svg", {}, 404),
    ("GET", "/pictures/ontology.svg", {}, 200),
    ("GET", "/pictures/graph.json", {}, 200),
    ("GET", "/explore", {}, 200),
    ("GET", SHORT_LINK, BROWSER, 200),
    ("GET", "/q/" + "a" * 20, BROWSER, 404),
    ("POST", "/q", {}, 403),  # not from our own pages (and no store by default)
    ("GET", "/healthz", {}, 200),
    ("POST", "/healthz", {}, 405),
    ("GET", "/metrics", {}, 200),
    ("GET", "/static/query.js", {}, 200),
    ("GET", "/static/query.css", {}, 200),
    ("GET", "/static/vendor/yasqe/yasqe.min.js", {}, 200),
    ("GET", "/static/vendor/README.md", {}, 200),
    ("GET", "/static/no-such-file.js", {}, 404),
    ("GET", "/no-such-path", {}, 404),
    ("GET", "/no-such-path", BROWSER, 404),
]


def check(response, html: bool | None = None) -> None:
    """The headers every response carries, and the CSP that fits its content type (``html``
    says which for a response without a body, such as a 304)."""
    h = response.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Cross-Origin-Opener-Policy"] == "same-origin"
    assert h["Access-Control-Allow-Origin"] == "*"  # the endpoint is for any origin
    csp = policy(h["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    if html if html is not None else response.mimetype == "text/html":
        assert csp["default-src"] == ["'none'"]
        assert csp["script-src"] == ["'self'"]  # no inline script, no eval, no other host
        assert csp["style-src"] == ["'self'"]
        assert csp["connect-src"] == ["'self'"]
        assert csp["form-action"] == ["'self'"]
        assert csp["object-src"] == ["'none'"]
    else:
        assert csp["default-src"] == ["'none'"]
        assert "script-src" not in csp and "connect-src" not in csp


def policy(value: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as ``{directive: [sources]}``."""
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives, f"{words[0]} given twice"
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize(
    ("method", "path", "request_headers", "status"),
    CASES,
    ids=[f"{m} {p} {h.get('Accept', '')[:10]}".strip() for m, p, h, _ in CASES],
)
def test_security_headers_on_every_response(client, method, path, request_headers, status):
    with client.open(path, method=method, headers=request_headers) as response:
        assert response.status_code == status
        check(response)


def test_security_headers_on_a_too_large_body(client):
    big = b"#" * (2 * 1024 * 1024)
    response = client.post("/sparql", data=big, content_type="application/sparql-query")
    assert response.status_code == 413
    check(response)


def test_security_headers_on_a_not_modified(client):
    first = client.get("/", headers=BROWSER)
    response = client.get("/", headers={**BROWSER, "If-None-Match": first.headers["ETag"]})
    assert response.status_code == 304
    check(response, html=True)  # the policy of the page the browser has cached


def test_security_headers_on_an_internal_error():
    app = create_app()

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("internal detail")

    response = app.test_client().get("/boom", headers=BROWSER)
    assert response.status_code == 500
    check(response)


def test_a_view_cannot_loosen_the_policy():
    """A view that sets its own weaker headers gets ours: one policy, set in one place."""
    app = create_app()

    @app.get("/loose")
    def loose():
        return "<p>x</p>", 200, {"X-Frame-Options": "ALLOWALL", "Content-Security-Policy": "x"}

    response = app.test_client().get("/loose")
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]
    assert len(response.headers.getlist("Content-Security-Policy")) == 1
    check(response)


def test_every_route_is_covered():
    """Each URL rule of the app is asked for by some case above (a new route needs a row)."""
    app = create_app()
    adapter = app.url_map.bind("localhost")
    asked = set()
    for method, path, _, _ in CASES:
        try:
            rule, _ = adapter.match(path.split("?")[0], method=method, return_rule=True)
        except Exception:  # 404/405/redirect: not a rule hit
            continue
        asked.add(rule.rule)
    missing = {r.rule for r in app.url_map.iter_rules()} - asked
    assert not missing, f"no case asks for {sorted(missing)}"
