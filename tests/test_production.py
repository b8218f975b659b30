"""The real server, attacked: ``dhs-ai-kg serve`` in a subprocess on a free 127.0.0.1 port.

Each test reproduces a finding of issue 6 against the running server (granian in front, the
query pool behind): what the Flask test client cannot show — slow and idle clients, a full
queue, a killed server's processes, memory, chunked bodies, shutdown, the public base URL.
Every loop here is bounded in count and time, and every server is stopped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from stores import free_port

DIGITS = " ".join(str(i) for i in range(10))


def product(factors: int) -> str:
    """A query counting 10**factors rows of VALUES, whatever the data: 10**7 takes ~2 s."""
    values = " ".join(f"VALUES ?v{i} {{ {DIGITS} }}" for i in range(factors))
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ {values} }}"


RUNAWAY = product(10)  # tens of minutes; only a kill stops it
QUICK = "SELECT ?s WHERE { ?s a ?type } LIMIT 1"
SLOW = product(7)  # ~2 s of work, whatever the data
#: 1 KB that doubles a string 40 times: terabytes if nothing stops it (finding 5).
DOUBLING = (
    "SELECT ?v40 WHERE { BIND('0123456789abcdef0123456789abcdef' AS ?v0) "
    + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(40))
    + " }"
)


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    stderr: list[str] = field(default_factory=list)
    drain: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, query: str) -> str:
        return f"{self.base}/sparql?" + urllib.parse.urlencode({"query": query})

    def get(
        self, url: str, timeout: float = 30, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, _lower(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, _lower(error.headers), error.read()

    def post(self, body: bytes, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            self.base + "/sparql",
            data=body,
            headers={"Content-Type": "application/sparql-query"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, _lower(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, _lower(error.headers), error.read()

    def raw(self, data: bytes, timeout: float = 10) -> bytes:
        """Send ``data`` on a new connection; everything the server answers until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            chunks = []
            while True:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
            return b"".join(chunks)


def _lower(headers: object) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}  # type: ignore[attr-defined]


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def start(*flags: str, port: int | None = None) -> Served:
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dhs_ai_kg_cli", "serve", "--port", str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    served = Served(process, port)

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            served.stderr.append(line.decode("utf-8", "replace"))

    served.drain = threading.Thread(target=drain, daemon=True)
    served.drain.start()
    for _ in range(600):  # bounded: 60 s
        if process.poll() is not None:
            stop(served)
            raise AssertionError("server exited early:\n" + "".join(served.stderr))
        try:
            if served.get(served.base + "/healthz", timeout=1)[0] == 200:
                return served
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    stop(served)
    raise AssertionError("server did not start:\n" + "".join(served.stderr))


def stop(served: Served) -> int:
    """SIGTERM the server (SIGKILL after 30 s); its exit code. Its stderr pipe is closed."""
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGTERM)
    try:
        code = served.process.wait(30)
    except subprocess.TimeoutExpired:
        served.process.kill()
        code = served.process.wait(5)
    if served.drain is not None:
        served.drain.join(10)
    if served.process.stderr is not None:
        served.process.stderr.close()
    return code


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Served]:
    """A server with the flags of the test's ``flags`` marker (default: the defaults)."""
    marker = request.node.get_closest_marker("flags")
    served = start(*(marker.args if marker else ()))
    yield served
    stop(served)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(p) for p in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return sorted(set(found))


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def probe(served: Served, url: str, timeout: float) -> int:
    """The status of one GET, or 0 if it was not answered within ``timeout`` seconds."""
    try:
        return served.get(url, timeout=timeout)[0]
    except OSError:
        return 0


# --- finding 1: one small POST must not stop the server ---------------------------------------


@pytest.mark.flags("--timeout", "3")
def test_a_guard_bomb_leaves_probes_and_queries_answered(server: Served):
    bomb = b"a." * 40000  # 80 KB: quadratic in the old lexer, which ran before any timeout
    with ThreadPoolExecutor(2) as pool:
        bombs = [pool.submit(server.post, bomb, 30) for _ in range(2)]
        time.sleep(0.2)
        probes = [probe(server, server.base + "/healthz", 1) for _ in range(10)]
        answers = [bomb.result()[0] for bomb in bombs]
    assert probes == [200] * 10
    assert all(status in (400, 503) for status in answers), answers
    assert server.get(server.url(QUICK), timeout=10)[0] == 200


# --- finding 2: idle and slow clients must not hold the server ------------------------------


@pytest.mark.flags("--header-timeout", "2")
def test_idle_and_slow_clients_do_not_stop_probes_or_queries(server: Served):
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(100)]
    slow = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(100)]
    try:
        for sock in slow:
            sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")
        statuses = []
        for i in range(20):  # 2 s of probes and queries, every 100 ms
            url = server.base + "/healthz" if i % 2 else server.url(QUICK)
            statuses.append(probe(server, url, 1))
            for sock in slow[i::20]:
                sock.sendall(b"X")  # one more header byte now and then: never finishing
            time.sleep(0.1)
        assert statuses == [200] * 20
        time.sleep(2.5)  # past the header timeout: the server has let them go
        for sock in [*idle[:5], *slow[:5]]:
            sock.settimeout(2)
            try:
                left = sock.recv(1024)
            except ConnectionResetError:
                left = b""
            assert left == b"" or left.startswith(b"HTTP/1.1 408"), left
    finally:
        for sock in idle + slow:
            sock.close()


@pytest.mark.flags("--body-timeout", "1")
def test_a_body_that_never_arrives_is_408_and_frees_nothing(server: Served):
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 100\r\n\r\nASK"
    )
    answers = []
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: server.raw(head, timeout=10), range(8)))
        assert probe(server, server.url(QUICK), 1) == 200
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers[:1]


# --- finding 3: a dead server leaves nothing behind ------------------------------------------


def test_a_killed_server_leaves_no_process_and_frees_the_port():
    served = start()
    try:
        assert served.get(served.url(QUICK))[0] == 200
        pool = children(served.process.pid)
        assert len(pool) == 2  # the query processes
        for pid in pool:  # they hold no listening socket: only their own socket end
            sockets = [
                link
                for link in Path(f"/proc/{pid}/fd").iterdir()
                if os.readlink(link).startswith("socket:")
            ]
            assert len(sockets) == 1
        served.process.kill()  # SIGKILL: no clean-up code runs
        served.process.wait(10)
        for _ in range(100):  # bounded: 5 s for the kernel to deliver PDEATHSIG
            if not any(alive(pid) for pid in pool):
                break
            time.sleep(0.05)
        assert not any(alive(pid) for pid in pool)
        again = start(port=served.port)  # the port is free at once
        assert again.get(again.url(QUICK))[0] == 200
        assert stop(again) == 0
    finally:
        stop(served)


def test_a_crashed_query_process_is_replaced(server: Served):
    assert server.get(server.url(QUICK))[0] == 200
    victim = children(server.process.pid)[0]
    os.kill(victim, signal.SIGSEGV)
    for _ in range(100):  # bounded: 10 s for a replacement
        pids = children(server.process.pid)
        if victim not in pids and len([p for p in pids if alive(p)]) == 2:
            break
        time.sleep(0.1)
    # distinct queries, so the answer cache cannot answer them: each needs a query process
    statuses = {server.get(server.url(f"{QUICK} OFFSET {i}"))[0] for i in range(6)}
    assert statuses == {200}  # a process found dead while idle is replaced, not handed a job
    assert victim not in children(server.process.pid)


# --- finding 4: the queue is bounded; probes never wait ---------------------------------------


@pytest.mark.flags("--threads", "1", "--queue", "2", "--timeout", "4", "--query-processes", "1")
def test_a_full_queue_sheds_with_503_and_probes_still_answer(server: Served):
    with ThreadPoolExecutor(8) as pool:
        slow = [pool.submit(server.get, server.url(SLOW), 30) for _ in range(8)]
        time.sleep(0.3)
        probes = [probe(server, server.base + "/healthz", 1) for _ in range(5)]
        results = [future.result() for future in slow]
    assert probes == [200] * 5
    shed = [headers for status, headers, _ in results if status == 503]
    assert len(shed) >= 5  # 1 running + 2 waiting: the rest turned away at once
    assert all(h.get("retry-after") == "1" for h in shed)
    _, _, metrics = server.get(server.base + "/metrics")
    assert b"dhs_ai_kg_http_shed " in metrics


# --- finding 5: memory and answer size are bounded ----------------------------------------------


@pytest.mark.flags("--query-memory", "256", "--timeout", "20")
def test_a_memory_bomb_is_422_and_the_server_lives(server: Served):
    status, _, body = server.get(server.url(DOUBLING))
    assert status == 422 and b"MiB of memory" in body
    for _ in range(100):  # bounded: the replacement process starts
        if len([p for p in children(server.process.pid) if alive(p)]) == 2:
            break
        time.sleep(0.1)
    assert server.get(server.url(QUICK))[0] == 200
    _, _, metrics = server.get(server.base + "/metrics")
    assert b"dhs_ai_kg_query_out_of_memory 1.0" in metrics


@pytest.mark.flags("--max-answer-bytes", "100000", "--max-rows", "1000000")
def test_an_answer_over_the_byte_cap_is_422_never_cut(server: Served):
    big = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c }"
    status, _, body = server.get(server.url(big) + "&format=csv")
    assert status == 422 and b"larger than 100000 bytes" in body
    status, _, body = server.get(
        f"{server.base}/sparql?"
        + urllib.parse.urlencode({"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "nt"})
    )
    assert status == 422


# --- finding 6: flat chains that crash the engine are refused --------------------------------


CHAINS = {
    "not": "ASK { FILTER(" + "!" * 10000 + "true) }",
    "or": "ASK { FILTER(" + " || ".join(["true"] * 10000) + ") }",
    "plus": "SELECT (" + " + ".join(["1"] * 10000) + " AS ?x) WHERE {}",
    "union": "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 20000) + " }",
    "optional": "SELECT * WHERE { " + " OPTIONAL { ?s ?p ?o }" * 10000 + " }",
    "minus": "SELECT * WHERE { ?s ?p ?o " + " MINUS { ?s ?p ?o }" * 10000 + " }",
    "bind": "SELECT * WHERE { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(10000)) + " }",
}


@pytest.fixture(scope="module")
def chain_server() -> Iterator[Served]:
    served = start("--timeout", "10")
    yield served
    stop(served)


@pytest.mark.parametrize("kind", sorted(CHAINS))
def test_flat_chains_are_refused_not_crashed(chain_server: Served, kind: str):
    status, _, body = chain_server.post(CHAINS[kind].encode())
    assert status == 400, body[:200]
    assert not any("died" in line for line in chain_server.stderr)


# --- finding 13: chunked bodies, metric labels, public URLs, shutdown ---------------------------


@pytest.mark.flags("--max-body", "1000")
def test_a_chunked_body_over_the_cap_is_413(server: Served):
    chunk = b"#" + b"x" * 499 + b"\n"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(6))
    request = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    )
    answer = server.raw(request)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    small = b"ASK {}"
    request = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(small), small)
    )
    assert server.raw(request).startswith(b"HTTP/1.1 200")


def test_random_methods_do_not_grow_the_metrics(server: Served):
    for i in range(50):
        server.raw(f"M{i:03d}XYZ /sparql HTTP/1.1\r\nHost: x\r\n\r\n".encode(), timeout=5)
    _, _, text = server.get(server.base + "/metrics")
    methods = {
        line.split('method="')[1].split('"')[0]
        for line in text.decode().splitlines()
        if line.startswith("dhs_ai_kg_http_requests_total{")
    }
    assert methods <= {"GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "other"}


@pytest.mark.flags("--public-base", "https://kg.example.org/graph-of-dhs/")
def test_every_absolute_url_uses_the_public_base(server: Served):
    evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    for path in ("/.well-known/void", "/sparql", "/id/org/mijente", "/"):
        headers = {**evil, "Accept": "text/turtle" if path != "/" else "text/html"}
        status, answer_headers, body = server.get(server.base + path, headers=headers)
        assert status == 200, path
        assert b"evil.example" not in body and b"127.0.0.1" not in body, path
        assert "evil.example" not in answer_headers.get("link", "")
    _, _, void = server.get(server.base + "/.well-known/void", headers={"Accept": "text/turtle"})
    assert b"https://kg.example.org/graph-of-dhs/sparql" in void


@pytest.mark.flags("--trust-proxy")
def test_trusted_proxy_headers_set_the_urls(server: Served):
    headers = {
        "Accept": "text/turtle",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "proxy.example",
        "X-Forwarded-Prefix": "/kg",
    }
    _, _, void = server.get(server.base + "/.well-known/void", headers=headers)
    assert b"https://proxy.example/kg/sparql" in void


def test_sigterm_finishes_the_request_in_flight_and_refuses_new_connections():
    served = start("--timeout", "60")
    try:
        result: dict[str, object] = {}

        def slow() -> None:
            result["answer"] = served.get(served.url(SLOW), timeout=60)

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the slow query ended before SIGTERM could be sent"
        served.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with pytest.raises(OSError):  # refused at once, not left hanging
            socket.create_connection(("127.0.0.1", served.port), timeout=2).close()
        thread.join(60)
        status, _, body = result["answer"]  # type: ignore[misc]
        assert status == 200 and b"10000000" in body
        assert served.process.wait(30) == 0
    finally:
        stop(served)


def test_access_log_is_json_lines(server: Served):
    server.get(server.url(QUICK))
    for _ in range(50):  # bounded: the drain thread reads the line
        entries = [json.loads(ln) for ln in server.stderr if ln.startswith("{")]
        if entries:
            break
        time.sleep(0.1)
    fields = {"time", "request_id", "method", "path", "status", "bytes", "duration_ms", "pid"}
    assert entries and set(entries[0]) == fields


# --- a short soak: mixed and hostile traffic, then nothing has leaked ----------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


SOAK_SECONDS = float(os.environ.get("DHS_AI_KG_SOAK_SECONDS", "10"))


def test_a_soak_of_mixed_and_hostile_traffic_leaks_nothing():
    """``DHS_AI_KG_SOAK_SECONDS`` (default 10) of 8 clients: the named queries, runaways,
    memory bombs, guard bombs, garbage and oversized bodies. No 500, the pool whole again,
    and the server's descriptors, threads and memory back where they were."""
    served = start("--timeout", "2", "--query-memory", "256", "--max-body", "100000")
    try:
        queries = sorted(Path(__file__).parents[1].glob("queries/0*.rq"))
        mix = [q.read_text() for q in queries]
        hostile = [RUNAWAY, DOUBLING, "a." * 40000, "SELECT * WHERE " + "{" * 3000, "}{)(*&"]
        with ThreadPoolExecutor(8) as warm:  # every named query once, 8 at a time: the
            statuses = list(warm.map(lambda t: served.post(t.encode())[0], mix * 2))
        assert statuses == [200] * len(mix) * 2  # front's threads all exist before counting
        pid = served.process.pid
        before = (open_fds(pid), len(list(Path(f"/proc/{pid}/task").iterdir())), rss_kib(pid))
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        deadline = time.monotonic() + SOAK_SECONDS

        def client(n: int) -> None:
            i = n
            while time.monotonic() < deadline:
                i += 1
                if i % 10 == 0:
                    status = served.post(hostile[(i // 10) % len(hostile)].encode(), 30)[0]
                elif i % 17 == 0:
                    status = served.post(b"#" * 200000, 30)[0]
                else:
                    status = served.post(mix[i % len(mix)].encode(), 30)[0]
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(client, range(8)))
        print(f"soak: {sum(statuses.values())} requests in {SOAK_SECONDS:g} s: {statuses}")
        assert set(statuses) <= {200, 400, 413, 422, 503}, statuses
        assert statuses.get(200, 0) > 0
        for _ in range(100):  # bounded: replacements of killed query processes start
            if len([p for p in children(pid) if alive(p)]) == 2:
                break
            time.sleep(0.1)
        assert len([p for p in children(pid) if alive(p)]) == 2
        time.sleep(1)  # a replacement's short-lived starter thread has returned
        after = (open_fds(pid), len(list(Path(f"/proc/{pid}/task").iterdir())), rss_kib(pid))
        assert after[0] <= before[0] + 8, (before, after)  # no descriptor leak
        assert after[1] <= before[1] + 4, (before, after)  # no thread leak
        assert after[2] <= before[2] + 100 * 1024, (before, after)  # memory flat (KiB)
    finally:
        assert stop(served) == 0


def test_more_idle_connections_than_the_backlog_do_not_block_new_clients(server: Served):
    # granian's default let 1,024 idle connections make every next client wait (measured)
    idle = []
    try:
        for _ in range(1500):
            idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        statuses = [probe(server, server.base + "/healthz", 1) for _ in range(5)]
        statuses += [probe(server, server.url(QUICK), 2) for _ in range(5)]
        assert statuses == [200] * 10
    finally:
        for sock in idle:
            sock.close()


def test_replayed_responses_are_logged_counted_and_fresh_ids(server: Served):
    url = server.url(QUICK) + "&format=csv"
    first = server.get(url)
    second = server.get(url)
    assert first[0] == second[0] == 200 and first[2] == second[2]
    assert first[1]["x-request-id"] != second[1]["x-request-id"]
    assert second[1]["x-content-type-options"] == "nosniff"  # the kept headers, all of them
    assert second[1]["etag"] == first[1]["etag"]
    _, _, metrics = server.get(server.base + "/metrics")
    assert b'endpoint="(response cache)"' in metrics
    assert b"dhs_ai_kg_response_cache_hits 1.0" in metrics
    for _ in range(50):  # bounded: the drain thread reads the lines
        ids = {json.loads(ln)["request_id"] for ln in server.stderr if ln.startswith("{")}
        if second[1]["x-request-id"] in ids:
            break
        time.sleep(0.1)
    assert second[1]["x-request-id"] in ids
    conditional = server.get(url, headers={"If-None-Match": first[1]["etag"]})
    assert conditional[0] == 304  # conditional requests go to the app
