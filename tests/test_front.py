"""The HTTP front (server/dhs_ai_kg_server/front.py) driven as an ASGI app, without a socket:
health before admission, shedding, body size and time caps, the public URL, app failures."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from typing import Any

import pytest
from dhs_ai_kg_server.front import Front, FrontConfig


def scope(path: str = "/sparql", method: str = "GET", headers=(), query: bytes = b"") -> dict:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": [(k.encode(), v.encode()) for k, v in headers],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5555),
        "scheme": "http",
        "root_path": "",
    }


class Recorder:
    """The WSGI app under the front: records environs; may block until released."""

    def __init__(self, block: bool = False) -> None:
        self.environs: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.block = block

    def __call__(self, environ: dict[str, Any], start_response) -> Iterable[bytes]:
        self.environs.append(environ)
        body = environ["wsgi.input"].read()
        if self.block:
            self.release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"app:", body]


async def call(front: Front, s: dict, chunks=(b"",), delay: float = 0) -> tuple[int, dict, bytes]:
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict] = []
    read = 0

    async def receive() -> dict:
        nonlocal read
        if delay:
            await asyncio.sleep(delay)
        if read < len(messages):
            read += 1
            return messages[read - 1]
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await front(s, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, body


def run(coro):
    return asyncio.run(coro)


def test_health_is_answered_without_the_app_even_when_it_is_full():
    app = Recorder(block=True)
    front = Front(app, FrontConfig(threads=1, queue=0))

    async def scenario():
        busy = asyncio.create_task(call(front, scope()))
        await asyncio.sleep(0.2)
        health = await call(front, scope("/healthz"))
        shed = await call(front, scope())
        app.release.set()
        return health, shed, await busy

    health, shed, busy = run(scenario())
    assert health[0] == 200 and health[2] == b"ok\n"
    assert shed[0] == 503 and shed[1]["retry-after"] == "1"
    assert busy[0] == 200
    assert len(app.environs) == 1  # neither the probe nor the shed request reached the app
    assert front.stats.shed == 1 and front.stats.in_flight == 0


def test_a_request_that_waited_too_long_for_a_thread_is_shed():
    app = Recorder(block=True)
    front = Front(app, FrontConfig(threads=1, queue=1, queue_timeout=0.2))

    async def scenario():
        first = asyncio.create_task(call(front, scope()))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(call(front, scope()))
        await asyncio.sleep(0.5)
        app.release.set()
        return await first, await second

    first, second = run(scenario())
    assert first[0] == 200 and second[0] == 503
    assert len(app.environs) == 1


def test_a_declared_length_over_the_cap_is_413_unread():
    app = Recorder()
    front = Front(app, FrontConfig(max_body=10))
    s = scope(method="POST", headers=[("content-length", "11")])
    status, _, body = run(call(front, s, chunks=(b"x" * 11,)))
    assert status == 413 and b"larger than 10 bytes" in body
    assert app.environs == []


def test_a_chunked_body_is_cut_off_at_the_cap():
    app = Recorder()
    front = Front(app, FrontConfig(max_body=10))
    chunked = [("transfer-encoding", "chunked")]
    status, _, _ = run(
        call(front, scope(method="POST", headers=chunked), chunks=(b"x" * 6, b"x" * 6, b"x"))
    )
    assert status == 413 and app.environs == []
    status, _, body = run(
        call(front, scope(method="POST", headers=chunked), chunks=(b"abc", b"def", b""))
    )
    assert status == 200 and body == b"app:abcdef"
    assert app.environs[0]["CONTENT_LENGTH"] == "6"
    assert "HTTP_TRANSFER_ENCODING" not in app.environs[0]


def test_a_body_that_does_not_arrive_in_time_is_408():
    app = Recorder()
    front = Front(app, FrontConfig(body_timeout=0.2))
    s = scope(method="POST", headers=[("content-length", "5")])
    status, _, _ = run(call(front, s, chunks=(b"a",), delay=0.5))
    assert status == 408 and app.environs == [] and front.stats.body_timeouts == 1


@pytest.mark.parametrize("value", ["abc", "-1", "1e3"])
def test_a_malformed_content_length_is_400(value):
    front = Front(Recorder(), FrontConfig())
    assert run(call(front, scope(method="POST", headers=[("content-length", value)])))[0] == 400


def test_the_public_base_overrides_host_and_proxy_headers():
    app = Recorder()
    front = Front(app, FrontConfig(public_base="https://kg.example.org/base/"))
    evil = [("host", "evil.example"), ("x-forwarded-host", "evil.example")]
    run(call(front, scope(headers=evil)))
    environ = app.environs[0]
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["HTTP_HOST"] == "kg.example.org"
    assert environ["SCRIPT_NAME"] == "/base" and environ["PATH_INFO"] == "/sparql"


def test_proxy_headers_count_only_when_trusted():
    headers = [
        ("host", "internal:8000"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "kg.example.org, other"),
        ("x-forwarded-prefix", "/kg/"),
    ]
    trusting, plain = Recorder(), Recorder()
    run(call(Front(trusting, FrontConfig(trust_proxy=True)), scope(headers=headers)))
    run(call(Front(plain, FrontConfig()), scope(headers=headers)))
    t, p = trusting.environs[0], plain.environs[0]
    assert (t["wsgi.url_scheme"], t["HTTP_HOST"], t["SCRIPT_NAME"]) == (
        "https",
        "kg.example.org",
        "/kg",
    )
    assert (p["wsgi.url_scheme"], p["HTTP_HOST"], p["SCRIPT_NAME"]) == ("http", "internal:8000", "")


def test_repeated_headers_are_joined_and_the_query_string_kept():
    app = Recorder()
    front = Front(app, FrontConfig())
    s = scope(headers=[("accept", "text/csv"), ("accept", "text/tsv")], query=b"query=ASK%7B%7D")
    run(call(front, s))
    assert app.environs[0]["HTTP_ACCEPT"] == "text/csv,text/tsv"
    assert app.environs[0]["QUERY_STRING"] == "query=ASK%7B%7D"


def test_an_app_that_fails_outside_its_handlers_is_a_bare_500():
    def broken(environ, start_response):
        raise RuntimeError("secret detail")

    status, _, body = run(call(Front(broken, FrontConfig()), scope()))
    assert status == 500 and b"secret" not in body and b"Traceback" not in body


def test_the_fronts_own_answers_carry_the_security_headers():
    front = Front(Recorder(), FrontConfig(threads=1, queue=0, max_body=1))
    health = run(call(front, scope("/healthz")))
    refused = run(call(front, scope(method="POST", headers=[("content-length", "5")])))
    for _, headers, _ in (health, refused):
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert headers["access-control-allow-origin"] == "*"


# --- the response cache ---------------------------------------------------------------------


class Counting(Recorder):
    """A WSGI app answering 200 (or ``status``) with its call count in the body."""

    def __init__(self, status: str = "200 OK", headers=()) -> None:
        super().__init__()
        self.status = status
        self.extra = list(headers)

    def __call__(self, environ, start_response):
        self.environs.append(environ)
        start_response(
            self.status,
            [("Content-Type", "text/plain"), ("X-Request-Id", "app"), *self.extra],
        )
        return [f"call {len(self.environs)}".encode()]


def cached_front(app, **config) -> Front:
    return Front(app, FrontConfig(response_cache=1024 * 1024, **config))


def test_a_repeated_get_is_replayed_without_the_app():
    app = Counting()
    seen = []
    front = Front(app, FrontConfig(response_cache=1024 * 1024), observe=lambda *a: seen.append(a))
    first = run(call(front, scope(query=b"query=x", headers=[("accept", "text/csv")])))
    again = run(call(front, scope(query=b"query=x", headers=[("accept", "text/csv")])))
    assert first[2] == again[2] == b"call 1" and len(app.environs) == 1
    assert again[1]["x-request-id"] not in ("app", first[1]["x-request-id"])  # a fresh id
    assert again[1]["content-type"] == "text/plain"
    assert front.cache.hits == 1 and seen == [("(response cache)", "GET", 200, seen[0][3])]


@pytest.mark.parametrize(
    "other",
    [
        {"query": b"query=y"},
        {"path": "/other"},
        {"headers": [("accept", "text/tsv")]},
        {"headers": [("accept", "text/csv"), ("host", "other.example")]},
    ],
)
def test_anything_in_the_key_that_differs_is_a_miss(other):
    app = Counting()
    front = cached_front(app)
    base = {"query": b"query=x", "headers": [("accept", "text/csv")]}
    run(call(front, scope(**base)))
    run(call(front, scope(**{**base, **other})))
    assert len(app.environs) == 2


def test_the_host_is_not_in_the_key_with_a_public_base():
    app = Counting()
    front = cached_front(app, public_base="https://kg.example.org/")
    run(call(front, scope(headers=[("host", "a.example")])))
    run(call(front, scope(headers=[("host", "b.example")])))
    assert len(app.environs) == 1


@pytest.mark.parametrize(
    "headers",
    [
        [("if-none-match", 'W/"x"')],
        [("authorization", "Bearer t")],
        [("cookie", "a=b")],
        [("range", "bytes=0-1")],
    ],
)
def test_conditional_or_credentialed_requests_always_reach_the_app(headers):
    app = Counting()
    front = cached_front(app)
    for _ in range(2):
        run(call(front, scope(headers=headers)))
    assert len(app.environs) == 2


@pytest.mark.parametrize(
    ("path", "method", "status", "headers"),
    [
        ("/sparql", "POST", "200 OK", ()),
        ("/sparql", "GET", "404 NOT FOUND", ()),
        ("/sparql", "GET", "200 OK", [("Cache-Control", "no-store")]),
        ("/metrics", "GET", "200 OK", ()),
    ],
)
def test_what_may_change_or_failed_is_never_kept(path, method, status, headers):
    app = Counting(status, headers)
    front = cached_front(app)
    for _ in range(2):
        run(call(front, scope(path, method)))
    assert len(app.environs) == 2


def test_the_cache_keeps_within_its_bytes():
    from dhs_ai_kg_server.response_cache import ResponseCache

    cache = ResponseCache(max_bytes=3000, max_entry=1000)
    for i in range(10):
        cache.put(("k", i), 200, [(b"content-type", b"text/plain")], b"x" * 900)
    assert cache.size <= 3000 and len(cache._entries) == 2
    assert cache.get(("k", 9)) is not None and cache.get(("k", 0)) is None
    cache.put(("big",), 200, [], b"x" * 1001)
    assert cache.get(("big",)) is None


def test_a_request_without_length_or_chunks_has_no_body_to_wait_for():
    app = Recorder()
    front = Front(app, FrontConfig(body_timeout=0.2))
    status, _, body = run(call(front, scope(), chunks=(b"ignored",), delay=1.0))
    assert status == 200 and body == b"app:" and front.stats.body_timeouts == 0
