"""Federated queries, end to end: our real server (``dhs-ai-kg serve`` in a subprocess) joins
its graph with a real second SPARQL server on 127.0.0.1 standing in for Wikidata.

The stand-in is Virtuoso 7 loaded with ``tests/fixtures/wikidata/wikidata.ttl`` (made-up values
for exactly the Wikidata items our links graph names). Each example query of
``queries/federated/`` runs with its ``SERVICE <https://query.wikidata.org/sparql>`` pointed at
the stand-in, and its rows are compared with rows joined here in Python from ``links.ttl``,
``release.ttl`` and the fixture.

Virtuoso 7.2 never answers a POST with ``Content-Type: application/sparql-query``
(openlink/virtuoso-opensource#842; :func:`test_virtuoso_alone_never_answers_oxigraph` shows
it), and that is the only request pyoxigraph 0.5.13's SERVICE client sends (measured:
``POST``, ``application/sparql-query``, ``Accept: application/sparql-results+json,
application/sparql-results+xml``). So the stand-in is Virtuoso behind :class:`Relay`, a
loopback shim that rewrites that one request into the form POST Virtuoso answers and passes
the answer back unchanged. The relay also counts every TCP connection it accepts, which is how
"no outbound connection" is observed.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import stores
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.plugins.sparql import prepareQuery
from test_production import Served, start, stop

ROOT = Path(__file__).resolve().parents[1]
FEDERATED = sorted((ROOT / "queries" / "federated").glob("*.rq"))
FIXTURE = ROOT / "tests" / "fixtures" / "wikidata" / "wikidata.ttl"
WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
ORG = Namespace("http://www.w3.org/ns/org#")
MATCHES = (OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch)

Row = tuple[tuple[str, str], ...]


class Relay:
    """A loopback HTTP server forwarding SPARQL requests to Virtuoso as form POSTs.

    ``connections`` counts every TCP connection accepted; ``requests`` records
    (method, content type, query text) of each request.
    """

    def __init__(self, target: str) -> None:
        self.connections = 0
        self.requests: list[tuple[str, str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("application/x-www-form-urlencoded"):
                    query = urllib.parse.parse_qs(body).get("query", [""])[0]
                else:
                    query = body
                outer.requests.append(("POST", kind, query))
                self._forward(query)

            def do_GET(self) -> None:
                params = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                query = params.get("query", [""])[0]
                outer.requests.append(("GET", "", query))
                self._forward(query)

            def _forward(self, query: str) -> None:
                request = urllib.request.Request(
                    target,
                    data=urllib.parse.urlencode({"query": query}).encode(),
                    headers={"Accept": self.headers.get("Accept", "*/*")},
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        status, body = answer.status, answer.read()
                        kind = answer.headers["Content-Type"]
                except urllib.error.HTTPError as error:
                    status, kind, body = error.code, error.headers["Content-Type"], error.read()
                self.send_response(status)
                self.send_header("Content-Type", kind or "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[object, object]:
                accepted = super().get_request()
                outer.connections += 1
                return accepted

        self.server = Server((stores.HOST, 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{stores.HOST}:{self.port}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def virtuoso(virtuoso_factory: Callable[[], stores.Virtuoso]) -> stores.Virtuoso:
    """Virtuoso on 127.0.0.1 loaded with the Wikidata-shaped fixture."""
    server = virtuoso_factory()
    server.load(FIXTURE, graph="http://www.wikidata.org/")
    return server


@pytest.fixture(scope="module")
def relay(virtuoso: stores.Virtuoso) -> Iterator[Relay]:
    """The stand-in for Wikidata: the relay in front of the loaded Virtuoso."""
    shim = Relay(virtuoso.url + "/sparql")
    yield shim
    shim.close()


@pytest.fixture(scope="module")
def allowed(relay: Relay) -> Iterator[Served]:
    """Our server, with the stand-in (host and port) on its SERVICE allowlist."""
    served = start("--service-allow", f"{stores.HOST}:{relay.port}")
    yield served
    stop(served)


# --- expected rows, joined here from the files ------------------------------------------------


def parse(path: Path) -> Graph:
    graph = Graph()
    graph.parse(path, format="turtle")
    return graph


LINKS = parse(ROOT / "data" / "graphs" / "links.ttl")
RELEASE = parse(ROOT / "data" / "graphs" / "release.ttl")
WIKIDATA = parse(FIXTURE)


def wikidata_links(agencies_only: bool) -> list[tuple[URIRef, URIRef, URIRef]]:
    """(our resource, link property, Wikidata item) as links.ttl states them."""
    found = []
    for ours, prop, item in LINKS:
        if prop in MATCHES and str(item).startswith(str(WD)):
            if agencies_only and (ours, RDF.type, ORG.Organization) not in RELEASE:
                continue
            found.append((URIRef(ours), URIRef(prop), URIRef(item)))
    return found


def english(node: URIRef) -> list[Literal]:
    return [
        label
        for label in WIKIDATA.objects(node, RDFS.label)
        if isinstance(label, Literal) and label.language == "en"
    ]


def term(node: object) -> str:
    if isinstance(node, Literal):
        return f'"{node}"@{node.language}' if node.language else f'"{node}"'
    return f"<{node}>"


def labels_rows() -> list[Row]:
    rows = []
    for ours, prop, item in wikidata_links(agencies_only=False):
        for label in RELEASE.objects(ours, RDFS.label):
            for theirs in english(item):
                rows.append(
                    (
                        ("resource", term(ours)),
                        ("label", term(label)),
                        ("match", term(prop)),
                        ("item", term(item)),
                        ("wikidataLabel", term(theirs)),
                    )
                )
    return rows


def agency_rows(prop: URIRef, column: str) -> list[Row]:
    rows = []
    for ours, match, item in wikidata_links(agencies_only=True):
        for label in RELEASE.objects(ours, RDFS.label):
            for value in WIKIDATA.objects(item, prop):
                base = (
                    ("agency", term(ours)),
                    ("label", term(label)),
                    ("match", term(match)),
                    ("item", term(item)),
                    (column, term(value)),
                )
                names = english(URIRef(value)) or [None]
                for name in names:
                    rows.append(base + (((f"{column}Label", term(name)),) if name else ()))
    return rows


EXPECTED: dict[str, Callable[[], list[Row]]] = {
    "01-wikidata-labels": labels_rows,
    "02-wikidata-parent-organizations": lambda: agency_rows(WDT.P749, "parent"),
    "03-wikidata-headquarters": lambda: agency_rows(WDT.P159, "headquarters"),
}


def as_rows(answer: dict[str, object]) -> list[Row]:
    """SPARQL JSON results as rows of (variable, term), unbound variables left out."""
    rows = []
    for binding in answer["results"]["bindings"]:  # type: ignore[index]
        row = []
        for name, value in sorted(binding.items()):
            if value["type"] == "uri":
                row.append((name, f"<{value['value']}>"))
            else:
                lang = value.get("xml:lang")
                row.append((name, f'"{value["value"]}"' + (f"@{lang}" if lang else "")))
        rows.append(tuple(row))
    return rows


def pointed_at(path: Path, url: str) -> str:
    """The query of ``path`` with its Wikidata SERVICE IRI replaced by ``url``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(f"SERVICE <{WIKIDATA_SPARQL}>") == 1, path.name
    return text.replace(f"<{WIKIDATA_SPARQL}>", f"<{url}>")


def get_json(served: Served, query: str) -> tuple[int, dict[str, str], bytes]:
    return served.get(served.url(query), headers={"Accept": "application/sparql-results+json"})


# --- the files ----------------------------------------------------------------------------


def test_every_federated_query_has_expected_rows():
    assert FEDERATED, "queries/federated/ holds no .rq file"
    assert sorted(p.stem for p in FEDERATED) == sorted(EXPECTED)


@pytest.mark.parametrize("path", FEDERATED, ids=lambda p: p.stem)
def test_federated_query_says_what_it_asks_and_parses(path: Path):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("# ") and lines[0].endswith("?"), "first line: the question"
    assert lines[1] == "#", "second line: a bare #"
    assert "--service-allow query.wikidata.org" in text, "the header says how to enable it"
    prepareQuery(text)  # SPARQL 1.1 syntax, SERVICE included (rdflib's parser)


def test_fixture_describes_exactly_the_items_our_links_name():
    linked = {item for _, _, item in wikidata_links(agencies_only=False)}
    assert linked, "links.ttl names no Wikidata item"
    described = set(WIKIDATA.subjects())
    values = {v for p in (WDT.P749, WDT.P159) for v in WIKIDATA.objects(None, p)}
    assert linked <= described, linked - described
    assert described - linked <= values, "fixture items that are neither linked nor values"
    assert all(english(item) for item in linked), "every linked item needs an English label"


@pytest.mark.parametrize("path", FEDERATED, ids=lambda p: p.stem)
def test_service_values_list_the_items_our_links_name(path: Path):
    """The Q-ids written inside SERVICE are those links.ttl gives the query's resources."""
    listed = {WD[q] for q in re.findall(r"\bwd:(Q\d+)\b", path.read_text(encoding="utf-8"))}
    scope = wikidata_links(agencies_only=path.stem != "01-wikidata-labels")
    assert listed == {item for _, _, item in scope}


# --- through the real server --------------------------------------------------------------


@pytest.mark.parametrize("path", FEDERATED, ids=lambda p: p.stem)
def test_allowlisted_federated_query_returns_the_joined_rows(
    path: Path, allowed: Served, relay: Relay
):
    before = len(relay.requests)
    status, _, body = get_json(allowed, pointed_at(path, relay.url))
    assert status == 200, body[:500]
    expected = EXPECTED[path.stem]()
    assert expected, "the fixture and links give this query no rows to expect"
    assert Counter(as_rows(json.loads(body))) == Counter(tuple(sorted(r)) for r in expected)
    assert len(relay.requests) > before, "the stand-in was not asked"


def test_a_repeated_federated_get_asks_the_stand_in_again(allowed: Served, relay: Relay):
    """The answer depends on the remote store, so no cache may replay it."""
    url = allowed.url(pointed_at(FEDERATED[0], relay.url))
    counts = [len(relay.requests)]
    for _ in range(2):
        status, headers, body = allowed.get(url)
        assert status == 200, body[:500]
        assert "no-store" in headers.get("cache-control", ""), headers
        assert "etag" not in headers, "an ETag would let a client revalidate to a stale 304"
        counts.append(len(relay.requests))
    assert counts[2] - counts[1] == counts[1] - counts[0] > 0, counts


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    return stores.free_port()


@pytest.mark.parametrize(
    "allow",
    [
        pytest.param(lambda: [], id="no-allowlist"),
        pytest.param(lambda: ["query.wikidata.org"], id="wikidata-only"),
        pytest.param(lambda: [f"{stores.HOST}:{closed_port()}"], id="same-host-other-port"),
    ],
)
def test_off_the_allowlist_is_refused_with_no_connection(
    allow: Callable[[], list[str]], relay: Relay
):
    flags = [f for host in allow() for f in ("--service-allow", host)]
    served = start(*flags)
    try:
        before = relay.connections
        for path in FEDERATED:
            status, _, body = get_json(served, pointed_at(path, relay.url))
            text = body.decode("utf-8")
            assert status == 400, text[:500]
            assert "SERVICE" in text and "not allowed" in text, text
            assert "Traceback" not in text
            if flags:
                assert relay.url in text, "the refusal names the endpoint it will not call"
        assert relay.connections == before, "a refused SERVICE reached the stand-in"
    finally:
        stop(served)


def test_the_relay_counts_connections(relay: Relay):
    """Control for 'no connection': a request the relay gets is counted."""
    before = relay.connections
    with urllib.request.urlopen(relay.url + "?query=ASK%7B%7D", timeout=30) as answer:
        assert answer.status == 200
    assert relay.connections == before + 1


def test_an_allowlisted_stand_in_that_is_down_is_a_clear_502():
    port = closed_port()
    served = start("--service-allow", f"{stores.HOST}:{port}")
    try:
        url = f"http://{stores.HOST}:{port}/sparql"
        status, headers, body = get_json(served, pointed_at(FEDERATED[0], url))
        text = body.decode("utf-8")
        assert status == 502, text[:500]
        assert "SERVICE endpoint failed" in text, text
        assert "Traceback" not in text and ".py" not in text
        assert headers["content-type"].startswith(("text/plain", "application/json")), headers
    finally:
        stop(served)


def test_virtuoso_alone_never_answers_oxigraph(
    virtuoso_factory: Callable[[], stores.Virtuoso],
):
    """Why the relay exists: pointed at Virtuoso directly, the SERVICE call gets no answer
    (openlink/virtuoso-opensource#842), and our query timeout ends it with a 503."""
    virtuoso = virtuoso_factory()  # its own: the unanswered request keeps a thread of it busy
    try:
        host_port = urllib.parse.urlsplit(virtuoso.url).netloc
        served = start("--service-allow", host_port, "--timeout", "3")
        try:
            query = pointed_at(FEDERATED[0], virtuoso.url + "/sparql")
            status, headers, body = get_json(served, query)
            assert status == 503, body[:500]
            assert "Retry-After".lower() in headers
            assert b"Traceback" not in body
        finally:
            stop(served)
    finally:
        virtuoso.stop()


def test_named_queries_leave_the_federated_examples_out():
    from dhs_ai_kg.named_queries import load_named_queries

    names = load_named_queries(ROOT / "queries")
    assert names and not {p.stem for p in FEDERATED} & set(names)
