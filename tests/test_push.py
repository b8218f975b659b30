"""``dhs-ai-kg push``: one PUT per named graph to a Graph Store Protocol store.

Unit tests run against a recording HTTP store on 127.0.0.1 (it can demand Basic auth or
refuse with a status); the integration test pushes to a real Virtuoso 7 with Digest auth and
runs every named query there, with the embedded engine's answers (``test_portability``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stores
from dhs_ai_kg_cli import PUSH_MAX_BYTES, main
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from test_portability import CASES, Answer, Case, assert_agrees, embedded, virtuoso_answer

from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.push import PushRefused, PushTarget, push

__all__ = ["embedded"]  # the fixture, shared with test_portability

GRAPHS = "https://w3id.org/dhs-ai-kg/graph/"


@dataclass
class Store:
    """What the recording store does and what it got."""

    url: str = ""
    refuse: tuple[int, str] | None = None
    drop: int = 0
    digest: tuple[str, str] | None = None
    challenges: int = 0
    basic: tuple[str, str] | None = None
    puts: list[tuple[str, str, bytes, str | None]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)


@pytest.fixture
def store() -> Iterator[Store]:
    """A Graph Store Protocol store on 127.0.0.1 recording each PUT and POST (graph, type, body,
    auth; and the method)."""
    state = Store()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            if state.drop:  # close without reading the body: the client sees a reset
                state.drop -= 1
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            auth = self.headers.get("Authorization")
            if state.digest and not digest_valid(auth, self.command, self.path, state.digest):
                state.challenges += 1  # answered before the body is read, as Virtuoso does
                self.send_response(401)
                self.send_header(
                    "WWW-Authenticate", f'Digest realm="store", nonce="{NONCE}", qop="auth"'
                )
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                return
            if state.basic and auth != "Basic " + base64.b64encode(
                ":".join(state.basic).encode()
            ).decode("ascii"):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="store"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if state.refuse:
                status, message = state.refuse
                self.send_response(status)
                self.send_header("Content-Length", str(len(message.encode())))
                self.end_headers()
                self.wfile.write(message.encode())
                return
            graph = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["graph"][0]
            state.puts.append((graph, self.headers["Content-Type"], body, auth))
            state.methods.append(self.command)
            self.send_response(201 if self.command == "PUT" else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((stores.HOST, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://{stores.HOST}:{server.server_address[1]}/store"
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


NONCE = "0123456789abcdef"


def digest_valid(header: str | None, method: str, uri: str, login: tuple[str, str]) -> bool:
    """Whether ``header`` is a right RFC 7616 (MD5, qop=auth) answer to our challenge."""
    if not header or not header.startswith("Digest "):
        return False
    fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1, ha2 = md5(f"{login[0]}:store:{login[1]}"), md5(f"{method}:{uri}")
    want = md5(f"{ha1}:{NONCE}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}")
    return fields.get("username") == login[0] and fields.get("response") == want


def expected_counts() -> dict[str, int]:
    return {str(g.identifier): len(g) for g in load_dataset().graphs() if len(g)}


def test_one_put_per_named_graph_with_its_triples(store: Store) -> None:
    sent = push(load_dataset(), PushTarget(store.url))
    assert sent == expected_counts()
    assert [graph for graph, *_ in store.puts] == sorted(sent)
    assert {graph.removeprefix(GRAPHS) for graph in sent} == {
        "release",
        "provenance",
        "links",
        "metadata",
    }
    dataset = load_dataset()
    for graph, content_type, body, auth in store.puts:
        assert content_type == "application/n-triples"
        assert auth is None, "no credentials given, none sent"
        got = Graph().parse(data=body, format="nt")
        assert len(got) == sent[graph] == len(dataset.graph(graph))


def test_a_graph_over_the_request_limit_goes_as_a_put_then_posts(store: Store) -> None:
    dataset = load_dataset()
    sent = push(dataset, PushTarget(store.url, max_bytes=20_000))
    assert sent == expected_counts()
    for graph, count in sent.items():
        parts = [
            (m, body)
            for (g, _, body, _), m in zip(store.puts, store.methods, strict=True)
            if g == graph
        ]
        assert [m for m, _ in parts] == ["PUT"] + ["POST"] * (len(parts) - 1)
        assert all(len(body) <= 20_000 for _, body in parts)
        got = Graph()
        for _, body in parts:
            got.parse(data=body, format="nt")
        assert len(got) == count and set(got) == set(dataset.graph(graph))
    provenance = [g for g, *_ in store.puts if g == GRAPHS + "provenance"]
    assert len(provenance) > 1, "the provenance graph is over 20 kB in N-Triples"


def test_a_graph_with_blank_nodes_goes_whole(store: Store) -> None:
    data = Dataset()
    graph = data.graph(URIRef("urn:x-g"))
    for i in range(200):
        graph.add((URIRef(f"urn:x-s{i}"), URIRef("urn:x-p"), BNode()))
    assert push(data, PushTarget(store.url, max_bytes=500)) == {"urn:x-g": 200}
    assert store.methods == ["PUT"]


def test_cli_takes_the_request_limit(store: Store) -> None:
    assert PushTarget(store.url).max_bytes == PUSH_MAX_BYTES
    assert main(["push", "--endpoint", store.url, "--max-request-bytes", "20000"]) == 0
    assert "POST" in store.methods and all(len(body) <= 20_000 for _, _, body, _ in store.puts)
    assert main(["push", "--endpoint", store.url, "--max-request-bytes", "0"]) == 0
    assert store.methods[-4:] == ["PUT"] * 4


def test_a_dropped_request_is_tried_again(store: Store) -> None:
    data = Dataset()
    graph = data.graph(URIRef("urn:x-g"))
    for i in range(80_000):  # ~8 MB: more than the socket buffers hold
        graph.add((URIRef(f"urn:x-s{i}"), URIRef("urn:x-p"), Literal("x" * 60)))
    store.drop = 2
    assert push(data, PushTarget(store.url, max_bytes=0)) == {"urn:x-g": 80_000}
    assert store.methods == ["PUT"] and store.drop == 0
    store.drop = 3
    with pytest.raises(PushRefused, match="cannot reach"):
        push(data, PushTarget(store.url, max_bytes=0))


def test_digest_is_answered_up_front_after_the_first_challenge(store: Store) -> None:
    """Virtuoso answers an unauthenticated request with its challenge before reading the body
    and closes: a large body sent that way breaks the pipe. Only the first request (the
    smallest graph comes first here) may go unauthenticated."""
    store.digest = ("alice", "s3cret")
    sent = push(load_dataset(), PushTarget(store.url, "alice", "s3cret", max_bytes=20_000))
    assert sent == expected_counts()
    assert store.challenges == 1 and len(store.puts) > 4


def test_credentials_answer_a_basic_challenge(store: Store) -> None:
    store.basic = ("alice", "s3cret")
    sent = push(load_dataset(), PushTarget(store.url, "alice", "s3cret"))
    assert len(store.puts) == len(sent) == 4
    assert all(auth and auth.startswith("Basic ") for *_, auth in store.puts)


@pytest.mark.parametrize(
    ("status", "message"),
    [(401, "login first"), (403, "read-only store"), (500, "disk full")],
)
def test_a_refusal_names_the_status_and_the_store_message(
    store: Store, status: int, message: str
) -> None:
    store.refuse = (status, message)
    with pytest.raises(PushRefused, match=rf"refused graph <{GRAPHS}\w+>: {status} .*{message}"):
        push(load_dataset(), PushTarget(store.url))


def test_wrong_credentials_are_a_401(store: Store) -> None:
    store.basic = ("alice", "s3cret")
    with pytest.raises(PushRefused) as refused:
        push(load_dataset(), PushTarget(store.url, "alice", "wrong"))
    assert refused.value.status == 401 and store.puts == []


def test_cli_shows_progress_per_graph(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store.basic = ("alice", "s3cret")
    monkeypatch.setenv("DHS_AI_KG_PASSWORD", "s3cret")
    assert main(["push", "--endpoint", store.url, "--user", "alice"]) == 0
    err = capsys.readouterr().err.splitlines()
    counts = expected_counts()
    for graph, count in counts.items():
        line = re.escape(f"<{graph}>: {count} triples sent (201) in ")
        assert any(re.fullmatch(line + r"[0-9]+\.[0-9]{2} s", said) for said in err), err
    assert err[-1] == f"{sum(counts.values())} triples in 4 graphs sent to {store.url}"


def test_cli_refusal_exits_1_with_the_message(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    store.refuse = (403, "read-only store")
    assert main(["push", "--endpoint", store.url]) == 1
    err = capsys.readouterr().err
    assert "dhs-ai-kg push: error: the store refused graph" in err and "read-only store" in err
    assert "Traceback" not in err


def test_cli_unreachable_store_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["push", "--endpoint", f"http://{stores.HOST}:{stores.free_port()}/"]) == 1
    assert "cannot reach" in capsys.readouterr().err


def test_cli_usage_errors_exit_2(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["push"]) == 2
    monkeypatch.delenv("DHS_AI_KG_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["push", "--endpoint", store.url, "--user", "alice"]) == 2
    assert "set DHS_AI_KG_PASSWORD" in capsys.readouterr().err
    assert store.puts == []


@pytest.fixture(scope="module")
def pushed(virtuoso_factory: Callable[[], stores.Virtuoso]) -> stores.Virtuoso:
    """An empty Virtuoso 7 the dataset was pushed to (Digest auth, ``dba``/``dba``)."""
    server = virtuoso_factory()
    target = PushTarget(f"{server.url}/sparql-graph-crud-auth", "dba", "dba")
    sent = push(load_dataset(), target)
    assert sent == expected_counts()
    answer = server.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    stored = {b["g"]["value"]: int(b["n"]["value"]) for b in answer["results"]["bindings"]}
    assert {graph: stored.get(graph) for graph in sent} == sent
    return server


def test_a_graph_over_virtuosos_request_limit_lands_whole(
    virtuoso_factory: Callable[[], stores.Virtuoso],
) -> None:
    """Virtuoso 7 resets the connection on a request body of about 4 MB or more (measured:
    3.4 MB accepted, 5.1 MB reset); the default limit sends such a graph in parts."""
    server = virtuoso_factory()
    big = Dataset()
    graph = big.graph(URIRef("urn:x-big"))
    for i in range(60_000):
        graph.add((URIRef(f"urn:x-s{i}"), URIRef("urn:x-p"), Literal("x" * 60)))
    assert len(graph.serialize(format="nt", encoding="utf-8")) > 5_000_000
    target = PushTarget(f"{server.url}/sparql-graph-crud-auth", "dba", "dba")
    assert push(big, target) == {"urn:x-big": 60_000}
    answer = server.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:x-big> { ?s ?p ?o } }")
    assert int(answer["results"]["bindings"][0]["n"]["value"]) == 60_000


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_pushed_virtuoso_answers_as_the_embedded_engine(
    case: Case, pushed: stores.Virtuoso, embedded: dict[str, Answer]
) -> None:
    assert_agrees(virtuoso_answer(pushed, case), embedded[case.id])
