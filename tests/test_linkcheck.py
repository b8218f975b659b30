"""`dhs-ai-kg links check` against a local HTTP server on 127.0.0.1: never the internet (every
IRI is either the local server's or rewritten to it with ``base_url``)."""

from __future__ import annotations

import http.server
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dhs_ai_kg_cli import main
from rdflib import RDF, Graph, URIRef

from dhs_ai_kg.linkcheck import (
    BROKEN,
    OK,
    SKIPPED,
    Options,
    Progress,
    RateLimiter,
    check_links,
)

LINKS = Path(__file__).resolve().parents[1] / "data" / "graphs" / "links.ttl"


class Site:
    """A local server: /ok, /missing (404), /moved (301 → /ok), /nohead (HEAD 405, GET 200),
    /slow (answers after ``slow`` seconds); with ``base_url`` rewriting, the path's first
    segment is the IRI's host and is ignored. Records (time, method, path) per request."""

    def __init__(self, everything_ok: bool = False) -> None:
        self.requests: list[tuple[float, str, str]] = []
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                outer.requests.append((time.monotonic(), self.command, self.path))
                route = "/" + self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                if everything_ok:
                    route = "/ok"
                if route == "/slow":
                    outer.release.wait(5)
                    route = "/ok"
                if route == "/moved":
                    self.send_response(301)
                    self.send_header("Location", "/ok")
                elif route == "/nohead" and self.command == "HEAD":
                    self.send_response(405)
                elif route in ("/ok", "/nohead"):
                    self.send_response(200)
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def paths(self, method: str | None = None) -> list[str]:
        return [p for _, m, p in self.requests if method in (None, m)]


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_answering_iri_is_ok(site):
    report = check_links([f"{site.url}/ok"], Options(rate=100))
    [result] = report.results
    assert (result.outcome, result.status, result.method) == (OK, 200, "HEAD")
    assert not report.broken


def test_a_missing_page_is_broken_and_not_asked_twice(site):
    [result] = check_links([f"{site.url}/missing"], Options(rate=100)).results
    assert (result.outcome, result.status) == (BROKEN, 404)
    assert site.paths() == ["/missing"]  # HEAD only: a 404 is not a refused HEAD


def test_a_redirect_is_followed_and_reported(site):
    [result] = check_links([f"{site.url}/moved"], Options(rate=100)).results
    assert (result.outcome, result.status) == (OK, 200)
    assert result.redirects == ((301, f"{site.url}/ok"),)
    assert result.final == f"{site.url}/ok" and "redirected 301" in result.note
    assert site.paths() == ["/moved", "/ok"]


def test_a_refused_head_is_retried_with_get(site):
    [result] = check_links([f"{site.url}/nohead"], Options(rate=100)).results
    assert (result.outcome, result.status, result.method) == (OK, 200, "GET")
    assert "HEAD refused (405)" in result.note
    assert [(m, p) for _, m, p in site.requests] == [("HEAD", "/nohead"), ("GET", "/nohead")]


def test_a_slow_server_hits_the_timeout(site):
    [result] = check_links([f"{site.url}/slow"], Options(timeout=0.3, rate=100)).results
    assert result.outcome == BROKEN and "timed out" in result.note


def test_requests_to_one_host_keep_to_the_rate(site):
    rate = 5.0
    iris = [f"{site.url}/ok?n={n}" for n in range(5)]
    report = check_links(iris, Options(rate=rate))
    assert [r.outcome for r in report.results] == [OK] * 5
    times = [t for t, _, _ in site.requests]
    assert len(times) == 5
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.8 / rate  # never closer than the rate allows (a margin for clocks)


def test_the_rate_limiter_waits_per_host_only():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2.0, clock=lambda: now[0], sleep=sleep)
    limiter.wait("a.example")
    limiter.wait("b.example")  # another host: no wait
    assert slept == []
    limiter.wait("a.example")  # the same host: half a second after the first
    assert slept == [0.5]


def test_iris_are_taken_round_robin_across_hosts(site):
    seen: list[str] = []
    iris = ["https://a.example/1", "https://a.example/2", "https://b.example/1"]
    check_links(
        iris, Options(rate=100, base_url=site.url), lambda r, done, total: seen.append(r.iri)
    )
    assert seen == ["https://a.example/1", "https://b.example/1", "https://a.example/2"]
    assert site.paths() == ["/a.example/1", "/b.example/1", "/a.example/2"]


def test_offline_makes_no_request_and_says_so(site):
    report = check_links([f"{site.url}/ok", f"{site.url}/missing"], Options(offline=True))
    assert site.requests == []
    assert [r.outcome for r in report.results] == [SKIPPED, SKIPPED]
    assert "offline" in report.totals()


def test_no_network_is_skipped_with_the_reason_not_reported_broken():
    iris = [f"http://127.0.0.1:{closed_port()}/page" for _ in range(5)]
    report = check_links(iris, Options(rate=100, timeout=2))
    assert report.no_network and "connection refused" in report.no_network
    assert [r.outcome for r in report.results] == [SKIPPED] * len(set(iris))
    assert not report.broken


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise(site):
    class Stream:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return True

    terminal = Stream()
    check_links([f"{site.url}/ok", f"{site.url}/missing"], Options(rate=100), Progress(terminal))  # type: ignore[arg-type]
    assert terminal.text.count("\r[") == 2 and "2/2" in terminal.text
    plain = Stream()
    check_links([f"{site.url}/ok"], Options(rate=100), Progress(plain, terminal=False))  # type: ignore[arg-type]
    assert plain.text == f"1/1 ok 200 {site.url}/ok\n"


# --- the command -----------------------------------------------------------------------------


def external_iris() -> set[str]:
    """External IRIs of data/graphs/links.ttl, read from the file: subjects and objects,
    except classes and properties (objects of rdf:type and rdf:predicate) and the class a
    citation's rdf:type statement names."""
    graph = Graph().parse(LINKS, format="turtle")
    found: set[str] = set()
    for s, p, o in graph:
        for term in (s, o):
            if not isinstance(term, URIRef) or str(term).startswith("https://w3id.org/dhs-ai-kg/"):
                continue
            if term is o and (p in (RDF.type, RDF.predicate)):
                continue
            if term is o and p == RDF.object and (s, RDF.predicate, RDF.type) in graph:
                continue
            found.add(str(term))
    return found


def test_the_command_checks_every_external_iri_of_the_links_graph(capsys):
    ok = Site(everything_ok=True)
    try:
        code = main(["links", "check", "--rate", "1000", "--base-url", ok.url + "/"])
    finally:
        ok.close()
    out, err = capsys.readouterr()
    expected = external_iris()
    assert code == 0, err
    assert len(ok.requests) == len(expected)
    rows = {line.split()[3] for line in out.splitlines()[2:] if line.startswith("ok ")}
    assert rows == expected
    assert f"{len(expected)} IRIs" in out and "\r" not in err  # plain lines: not a terminal


def test_the_command_without_a_network_says_so_and_exits_2(capsys):
    refused = f"http://127.0.0.1:{closed_port()}/"  # every host refuses: no network
    code = main(["links", "check", "--rate", "1000", "--base-url", refused])
    out, err = capsys.readouterr()
    assert code == 2
    assert "nothing checked: no network" in err and "Traceback" not in err
    assert "skipped" in out


def test_the_command_reports_broken_links_with_exit_1(capsys, site):
    code = main(["links", "check", "--rate", "1000", "--base-url", site.url + "/"])
    out, _ = capsys.readouterr()
    assert code == 1  # the site answers 404 for every path of the links graph
    assert "broken" in out


def test_the_command_offline(capsys):
    code = main(["links", "check", "--offline"])
    out, err = capsys.readouterr()
    assert code == 0
    assert f"{len(external_iris())} skipped; offline: no request was made" in out
    assert "Traceback" not in err
