"""HTTP fuzzing with hypothesis, in process through the Flask test client: generated paths under
every route, query-string parameters, headers, bodies, methods and SPARQL queries.

Properties: no status of 500 or more (a 503 is allowed only as the query timeout, and only for
generated SPARQL); an error body never shows a stack trace or a path of the server's files; every
response with a body has a Content-Type; a generated SPARQL query is answered 200, 400, 406,
413, 422 or 503.

Budget: ``DHS_AI_KG_FUZZ_EXAMPLES`` examples per test (default 100: the module takes about 30 s);
a long run on demand::

    DHS_AI_KG_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest -q tests/test_fuzz_http.py

Each run writes the cases it ran and the statuses seen, per test, to
``artifacts/fuzz-summary.json`` (``artifacts/`` is not committed).
"""

from __future__ import annotations

import json
import os
import string
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhs_ai_kg.named_queries import load_named_queries

REPO_ROOT = Path(__file__).resolve().parents[1]
SUMMARY = REPO_ROOT / "artifacts" / "fuzz-summary.json"
EXAMPLES = int(os.environ.get("DHS_AI_KG_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the work tree; a failure prints its example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: What an error body must never hold: a trace, or where the server's files are.
LEAKS = ("Traceback", 'File "', "site-packages", str(REPO_ROOT), sys.prefix)
QUERY_STATUSES = {200, 400, 406, 413, 422, 503}

#: Statuses seen, per fuzz test, written to SUMMARY at the end of the module.
SEEN: dict[str, Counter[int]] = {}


@pytest.fixture(scope="module", name="app")
def pooled_app(make_app) -> Flask:
    """The packaged dataset, queries in the pool under a 5 s timeout, bodies up to 64 KiB."""
    return make_app(QUERY_ISOLATION="process", QUERY_TIMEOUT=5, MAX_CONTENT_LENGTH=64 * 1024)


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    """Record the cases run and statuses seen by this module's tests."""
    yield
    SUMMARY.parent.mkdir(exist_ok=True)
    report = {
        "examples_setting": EXAMPLES,
        "tests": {
            name: {
                "cases": sum(statuses.values()),
                "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "5xx": sum(v for k, v in statuses.items() if k >= 500),
            }
            for name, statuses in sorted(SEEN.items())
        },
    }
    SUMMARY.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def check(test: str, response, allowed: set[int] | None = None) -> None:
    """The fuzz properties for one ``response`` of ``test``; its status is recorded."""
    status = response.status_code
    SEEN.setdefault(test, Counter())[status] += 1
    body = response.get_data().decode("utf-8", errors="replace")  # the favicon is binary
    if allowed is not None:
        assert status in allowed, (status, body[:500])
    else:
        assert status < 500, (status, body[:500])
    if status == 503:
        assert "Retry-After" in response.headers and "ran longer than" in body, body[:500]
    if status >= 400:
        for leak in LEAKS:
            assert leak not in body, (leak, body[:500])
    if body or status not in (204, 304):
        assert response.headers.get("Content-Type"), (status, response.headers)


# --- strategies ----------------------------------------------------------------------------

PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
LATIN1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
#: Header values: printable ASCII, sometimes Latin-1 (what HTTP allows on the wire).
HEADER_TEXT = st.text(st.one_of(PRINTABLE, LATIN1), max_size=120)
TOKEN = st.text(string.ascii_letters + string.digits + "!#$&^_.+-*", min_size=1, max_size=12)
#: Uniform choices (``st.integers`` leans to its bounds, so a rare branch would not be rare).
RARELY = st.sampled_from([False] * 9 + [True])
SOMETIMES = st.sampled_from([False] * 3 + [True])

MEDIA_TYPES = [
    "text/html",
    "application/xhtml+xml",
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/trig",
    "application/n-quads",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
    "text/plain",
    "image/png",
    "*/*",
    "text/*",
    "application/*",
]
media_type = st.one_of(st.sampled_from(MEDIA_TYPES), st.builds("{}/{}".format, TOKEN, TOKEN))
q_value = st.one_of(
    st.floats(0, 1).map(lambda q: f"{q:.3f}"),
    st.sampled_from(["0", "1", "1.0", "0.000", "2", "-1", "abc", "", "0.5.5", "1e-3", "NaN"]),
)
accept_part = st.one_of(
    media_type,
    st.builds("{};q={}".format, media_type, q_value),
    st.builds("{};charset={};q={}".format, media_type, TOKEN, q_value),
    st.builds("{}; {}={}".format, media_type, TOKEN, TOKEN),
)
accept = st.one_of(
    st.lists(accept_part, max_size=6).map(", ".join),
    HEADER_TEXT,
)
content_type = st.one_of(
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/sparql-query",
            "application/sparql-update",
            "multipart/form-data; boundary=x",
            "text/plain",
            "",
        ]
    ).flatmap(
        lambda mt: st.one_of(
            st.just(mt),
            st.builds(
                "{}; charset={}".format,
                st.just(mt),
                st.sampled_from(["utf-8", "UTF8", "latin-1", "utf-16", "bogus", '"utf-8"', ""]),
            ),
        )
    ),
    media_type,
    HEADER_TEXT,
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "Accept": accept,
        "Content-Type": content_type,
        "If-None-Match": st.one_of(
            st.just("*"),
            st.builds('W/"{}"'.format, st.text(string.hexdigits, max_size=32)),
            HEADER_TEXT,
        ),
        "Authorization": st.one_of(
            st.builds("Bearer {}".format, HEADER_TEXT), st.builds("Basic {}".format, TOKEN)
        ),
        "Origin": st.one_of(st.builds("https://{}".format, TOKEN), st.just("null"), HEADER_TEXT),
        "Host": st.one_of(
            st.builds("{}:{}".format, TOKEN, st.integers(0, 99999)),
            st.sampled_from(["[::1]:80", "[::1", "a b", "", "example.org:", "ex%41mple.org"]),
            HEADER_TEXT,
        ),
        "Access-Control-Request-Method": TOKEN,
        "Accept-Encoding": HEADER_TEXT,
        "Range": HEADER_TEXT,
        "If-Modified-Since": HEADER_TEXT,
        "Cookie": HEADER_TEXT,
        "X-Forwarded-For": HEADER_TEXT,
    },
)

#: Mostly GET, sometimes another method or a made-up one (``st.sampled_from`` is uniform).
METHODS = [*["GET"] * 8, "HEAD", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE"]
method = st.sampled_from([*METHODS, "random"]).flatmap(
    lambda m: (
        st.text(string.ascii_letters + "-_", min_size=1, max_size=10)
        if m == "random"
        else st.just(m)
    )
)

#: One path segment: percent-escapes of any byte, unicode, dots, IRI punctuation, suffixes.
escape = st.integers(0, 255).map("%{:02X}".format)
raw_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="?#%"), max_size=20
).map(lambda t: quote(t, safe="/:@!$&'()*+,;=~"))
segment = st.lists(
    st.one_of(
        raw_text,
        escape,
        st.sampled_from(["..", ".", "mijente", "org", "release", ".ttl", ".html", ".%FF", "%"]),
        st.text(string.ascii_letters, min_size=200, max_size=3000),
    ),
    max_size=5,
).map("".join)


def route_prefixes(app: Flask) -> list[str]:
    """The fixed part of every route of ``app``, up to its first variable."""
    return sorted({rule.rule.split("<", 1)[0] for rule in app.url_map.iter_rules()})


def params_of(raw: st.SearchStrategy[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Query-string pairs: a name from the protocol or random, a value from ``raw``."""
    names = st.one_of(
        st.sampled_from(
            ["query", "default-graph-uri", "named-graph-uri", "format", "update", "resource"]
        ),
        TOKEN,
    )
    return st.lists(st.tuples(names, raw), max_size=4)


value = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "ASK {}",
            "SELECT * WHERE { ?s ?p ?o } LIMIT 2",
            "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2",
            "kg:org/mijente",
            "https://w3id.org/dhs-ai-kg/graph/release",
            "urn:a\x01b",
            "json",
            "csv",
            "turtle",
            "text/html",
            "application/sparql-results+json;q=0.1",
            "",
        ]
    ),
    st.text(max_size=5).map(lambda t: t * 2000),
)


def encode(pairs: list[tuple[str, str]], junk: str) -> str:
    """``pairs`` URL-encoded, then ``junk`` (raw escapes such as ``%FF``) appended."""
    return urlencode(pairs) + junk


junk = st.lists(st.one_of(escape, st.sampled_from(["&", "=", ";", "+", "&&", "=="])), max_size=4)


# --- paths, methods and headers ------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_fuzz_paths(app, client, data):
    prefix = data.draw(st.sampled_from(route_prefixes(app)), "prefix")
    path = prefix + data.draw(segment, "segment")
    if data.draw(st.booleans(), "sub"):
        path += "/" + data.draw(segment, "segment2")
    verb = data.draw(method, "method")
    sent = data.draw(headers, "headers")
    # Set PATH_INFO as a WSGI server does (the bytes, percent-decoded, as Latin-1): the test
    # client would read a path such as "//x" as a URL with a host.
    wsgi = {"PATH_INFO": unquote_to_bytes(path).decode("latin-1"), "REQUEST_URI": path}
    check("paths", client.open("/", method=verb, headers=sent, environ_overrides=wsgi))


#: A request that works, for every route (headers and bodies are fuzzed around it).
GOOD_PATHS = [
    "/",
    "/healthz",
    "/metrics",
    "/sparql",
    "/sparql?query=ASK%20%7B%7D",
    "/sparql?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%203",
    "/sparql?query=CONSTRUCT%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%203",
    "/id/",
    "/id/org/mijente",
    "/id/org/mijente.ttl",
    "/ontology",
    "/ontology.jsonld",
    "/graph/release",
    "/source/release.txt",
    "/.well-known/void",
    "/dataset",
    "/dumps/",
    "/dumps/dataset.trig",
    "/queries",
    "/queries/1",
    "/queries/10?resource=kg:org/mijente",
    "/static/does-not-exist.css",
]


@FUZZ
@given(path=st.sampled_from(GOOD_PATHS), verb=method, sent=headers)
def test_fuzz_headers_and_methods(client, path, verb, sent):
    check("headers", client.open(path, method=verb, headers=sent))


# --- parameters ----------------------------------------------------------------------------

NAMED = load_named_queries()
content_type_form = "application/x-www-form-urlencoded"


@FUZZ
@given(pairs=params_of(value), tail=junk.map("".join), verb=st.sampled_from(["GET", "POST"]))
def test_fuzz_sparql_parameters(client, pairs, tail, verb):
    query_string = encode(pairs, tail)
    if verb == "GET":
        response = client.get(f"/sparql?{query_string}")
    else:
        response = client.post("/sparql", data=query_string, content_type=content_type_form)
    check("sparql-parameters", response)


@st.composite
def named_query_request(draw: st.DrawFn) -> str:
    """``/queries/<name>?…``: each declared parameter perhaps given, maybe badly; extras."""
    query = draw(st.sampled_from(sorted(NAMED.values(), key=lambda q: q.name)))
    name = draw(st.sampled_from([query.name, query.name[:2], query.name[:2].lstrip("0")]))
    pairs = []
    for param in query.parameters:
        if draw(st.booleans()):
            good = {"iri": "kg:org/mijente", "string": "x", "integer": "1", "date": "2023-12-05"}
            pairs.append((param.name, draw(st.one_of(st.just(good.get(param.type, "1")), value))))
    if draw(SOMETIMES):  # an undeclared parameter: always a 400, so not too often
        pairs += draw(params_of(value))
    if draw(st.booleans()):
        pairs.append(("format", draw(st.one_of(st.sampled_from(["json", "csv", "html"]), value))))
    return f"/queries/{name}?" + encode(pairs, draw(junk.map("".join)))


@FUZZ
@given(url=named_query_request(), sent=headers)
def test_fuzz_named_query_parameters(client, url, sent):
    sent.pop("Content-Type", None)
    check("named-query-parameters", client.get(url, headers=sent))


# --- bodies --------------------------------------------------------------------------------

body = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.sampled_from([b"\xc3\x28", b"\xff\xfe", b"query=%FF", b"query=\xff", b"\x00" * 50]),
    params_of(value).map(lambda pairs: urlencode(pairs).encode()),
    st.sampled_from([b"ASK {}", b"SELECT * { ?s ?p ?o } LIMIT 1", b"LOAD <http://127.0.0.1:1/>"]),
    st.binary(min_size=65 * 1024, max_size=65 * 1024 + 10),  # over the app's MAX_CONTENT_LENGTH
)


@FUZZ
@given(
    path=st.sampled_from(
        [*["/sparql"] * 4, "/sparql?format=json", "/id/org/mijente", "/queries/1"]
    ),
    verb=st.sampled_from([*["POST"] * 6, "PUT", "PATCH", "GET"]),
    payload=body,
    sent=headers,
)
def test_fuzz_bodies(client, path, verb, payload, sent):
    check("bodies", client.open(path, method=verb, data=payload, headers=sent))


# --- SPARQL from a small grammar -----------------------------------------------------------

var = st.sampled_from(["?s", "?p", "?o", "?x", "$y", "?label", "?org", "?_1"])
iri = st.sampled_from(
    [
        "<https://w3id.org/dhs-ai-kg/id/org/mijente>",
        "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
        "<urn:x>",
        "<>",
        "<relative>",
        "<http://127.0.0.1:1/>",
        "<https://w3id.org/dhs-ai-kg/graph/release>",
    ]
)
prefixed = st.sampled_from(
    ["kg:org/mijente", "schema:name", "rdfs:label", "dak:leads", "org:memberOf", "nope:x", "a"]
)
literal = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(['"x"', '"x"@en', '"1"^^xsd:integer', "1.5e3", "true", '""', "'''a'''"]),
    st.text(max_size=10).map(lambda t: json.dumps(t, ensure_ascii=False)),
)
node = st.one_of(var, iri, prefixed, st.just("[]"), st.just("_:b"))
term = st.one_of(node, literal)
path_ = st.recursive(
    st.one_of(iri, prefixed, st.just("a")),
    lambda inner: st.one_of(
        st.builds("{}/{}".format, inner, inner),
        st.builds("{}|{}".format, inner, inner),
        st.builds("^{}".format, inner),
        st.builds("({})".format, inner),
        st.builds("{}{}".format, inner, st.sampled_from(["*", "+", "?"])),
        st.builds("!({})".format, inner),
    ),
    max_leaves=6,
)
expression = st.recursive(
    st.one_of(var, literal, iri),
    lambda inner: st.one_of(
        st.builds(
            "({} {} {})".format,
            inner,
            st.sampled_from(["=", "!=", "<", ">", "&&", "||", "+", "-", "*", "/"]),
            inner,
        ),
        st.builds("!{}".format, inner),
        st.builds(
            "{}({})".format,
            st.sampled_from(
                ["STR", "LANG", "BOUND", "isIRI", "STRLEN", "UCASE", "ABS", "DATATYPE", "NOPE"]
            ),
            inner,
        ),
        st.builds("REGEX({}, {})".format, inner, literal),
        st.builds("CONCAT({}, {})".format, inner, inner),
        st.builds("IF({}, {}, {})".format, inner, inner, inner),
    ),
    max_leaves=8,
)
triple = st.builds(
    "{} {} {} .".format, node, st.one_of(var, path_, st.just("a")), term
) | st.builds("{} {} {} ; {} {} .".format, node, path_, term, path_, term)
group = st.recursive(
    st.lists(triple, max_size=3).map(" ".join),
    lambda inner: st.one_of(
        st.builds("{{ {} }}".format, inner),
        st.builds("{} OPTIONAL {{ {} }}".format, inner, inner),
        st.builds("{{ {} }} UNION {{ {} }}".format, inner, inner),
        st.builds("{} MINUS {{ {} }}".format, inner, inner),
        st.builds("{} FILTER {}".format, inner, expression),
        st.builds("{} FILTER EXISTS {{ {} }}".format, inner, inner),
        st.builds("{} BIND({} AS {})".format, inner, expression, var),
        st.builds("GRAPH {} {{ {} }}".format, var, inner),
        st.builds("{} VALUES {} {{ {} }}".format, inner, var, literal),
        st.builds("{{ SELECT * WHERE {{ {} }} LIMIT 3 }}".format, inner),
    ),
    max_leaves=6,
)
PROLOGUE = st.lists(
    st.sampled_from(
        [
            "PREFIX kg: <https://w3id.org/dhs-ai-kg/id/>",
            "PREFIX schema: <http://schema.org/>",
            "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>",
            "BASE <http://example.org/>",
            "# a comment",
        ]
    ),
    max_size=4,
).map("\n".join)
modifiers = st.lists(
    st.sampled_from(
        ["ORDER BY ?s", "ORDER BY DESC(?o)", "GROUP BY ?s", "LIMIT 5", "OFFSET 2", "LIMIT 0"]
    ),
    max_size=3,
).map(" ".join)
form = st.one_of(
    st.builds("SELECT {} WHERE".format, st.sampled_from(["*", "?s", "DISTINCT ?s ?o", "?x ?y"])),
    st.just("SELECT (COUNT(*) AS ?n) WHERE"),
    st.just("ASK"),
    st.just("ASK WHERE"),
    st.just("CONSTRUCT { ?s ?p ?o } WHERE"),
    st.just("CONSTRUCT WHERE"),
    st.builds("DESCRIBE {}".format, st.one_of(iri, var)),
    st.builds("SELECT * FROM {} WHERE".format, iri),
    st.just("SELECT * FROM <https://w3id.org/dhs-ai-kg/graph/release> WHERE"),
    st.just("SELECT * FROM NAMED <https://w3id.org/dhs-ai-kg/graph/provenance> WHERE"),
)
#: Glitches a user makes: a dropped brace, a doubled keyword, a stray character.
mangle = st.sampled_from(["}", "{", ".", "WHERE", "SELECT", ")", "'", '"', "\\", "\x00", "é"])


@st.composite
def sparql_query(draw: st.DrawFn) -> str:
    """A syntactically plausible query, sometimes broken on purpose."""
    where = draw(group)
    if draw(RARELY):  # now and then, a graph it may not name or fetch
        where += f" {draw(st.sampled_from(['SERVICE', 'GRAPH']))} {draw(iri)} {{ {draw(group)} }}"
    text = f"{draw(PROLOGUE)}\n{draw(form)} {{ {where} }} {draw(modifiers)}"
    if draw(SOMETIMES):
        glitch = draw(mangle)
        at = draw(st.integers(0, len(text)))
        text = text[:at] + glitch + text[at:]
    return text


@FUZZ
@given(
    query=sparql_query(),
    how=st.sampled_from(["get", "form", "body"]),
    accept_=st.one_of(st.none(), st.sampled_from(MEDIA_TYPES[2:])),
)
def test_fuzz_sparql_queries(client, query, how, accept_):
    sent = {"Accept": accept_} if accept_ else {}
    if how == "get":
        response = client.get("/sparql", query_string={"query": query}, headers=sent)
    elif how == "form":
        response = client.post("/sparql", data={"query": query}, headers=sent)
    else:
        response = client.post(
            "/sparql",
            data=query.encode("utf-8"),
            content_type="application/sparql-query",
            headers=sent,
        )
    check("sparql-queries", response, QUERY_STATUSES)
