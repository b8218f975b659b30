"""The HTTP front: an asyncio (ASGI) layer that guards the WSGI app from slow and idle clients.

granian (Rust, hyper) owns the sockets and parses HTTP; an idle or slow connection costs a
socket and a little memory there, never a Python thread. This layer then, per request:

1. answers ``/healthz`` at once, on the event loop: a probe never waits behind queries;
2. admits the request or sheds it: at most ``threads`` run the app and ``queue`` wait for a
   thread; one more → 503 with ``Retry-After``, and so does one that waited longer than
   ``queue_timeout`` (nothing is queued without bound, in number or in time);
3. reads the body under a size cap (``max_body``, chunked bodies counted as they arrive, a
   declared ``Content-Length`` refused before reading) and a time cap (``body_timeout``):
   413 and 408, before any thread is taken;
4. runs the Flask app in a thread with a WSGI environ whose scheme, host and root path come
   from ``public_base`` when set (else from trusted proxy headers, when asked, else from
   the request), so every absolute URL the app writes is the public one.

Before 2, a GET whose whole response is kept (``response_cache`` bytes; see
response_cache.py) is replayed on the event loop: no admission, no thread, no app.

Header read timeouts are granian's (``HTTP1Settings.header_read_timeout``).
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .access import log_access, new_request_id
from .headers import COMMON, DATA_POLICY
from .response_cache import Entry, ResponseCache

log = logging.getLogger("dhs_ai_kg_server")
#: The endpoint label of answers replayed from the response cache, in the metrics.
CACHE_ENDPOINT = "(response cache)"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

HEALTH_PATH = "/healthz"
#: Headers every answer of this layer carries (the app adds its own to its answers): the
#: same security headers as the app's (headers.py), CORS, and no caching.
BASE_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"access-control-allow-origin", b"*"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", DATA_POLICY.encode()),
    *((k.lower().encode(), v.encode()) for k, v in COMMON.items()),
]


@dataclass(frozen=True)
class FrontConfig:
    """The front's limits; see the module docstring."""

    threads: int = 4
    queue: int = 32
    queue_timeout: float = 10.0
    max_body: int = 1024 * 1024
    body_timeout: float = 10.0
    retry_after: int = 1
    public_base: str | None = None
    trust_proxy: bool = False
    response_cache: int = 0


@dataclass
class FrontStats:
    """Counters the app's /metrics reads: requests shed, bodies refused, in flight now."""

    shed: int = 0
    body_too_large: int = 0
    body_timeouts: int = 0
    in_flight: int = 0


class Front:
    """An ASGI application that runs ``wsgi_app`` under the limits of ``config``."""

    def __init__(
        self,
        wsgi_app: WSGIApp,
        config: FrontConfig = FrontConfig(),
        observe: Callable[[str, str, int, float], None] | None = None,
    ) -> None:
        self.app = wsgi_app
        self.config = config
        self.observe = observe
        self.cache = ResponseCache(config.response_cache)
        self.stats = FrontStats()
        self.executor = ThreadPoolExecutor(config.threads, thread_name_prefix="dhs-ai-kg-http")
        self._public = urlsplit(config.public_base) if config.public_base else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            await _respond(send, 200, b"ok\n", head=scope["method"] == "HEAD")
            return
        started = time.perf_counter()
        key = (
            self.cache.key(scope, self._public is not None, self.config.trust_proxy)
            if self.cache.max_bytes
            else None
        )
        if key is not None and (entry := self.cache.get(key)) is not None:
            await self._replay(scope, send, entry, started)
            return
        stats = self.stats
        if stats.in_flight >= self.config.threads + self.config.queue:
            stats.shed += 1
            await _respond(
                send,
                503,
                b"the server is at capacity; retry shortly\n",
                [(b"retry-after", str(self.config.retry_after).encode())],
            )
            return
        stats.in_flight += 1
        try:
            body = await self._read_body(scope, receive, send)
            if body is None:
                return
            environ = self.environ(scope, body)
            loop = asyncio.get_running_loop()
            status, headers, chunks = await loop.run_in_executor(
                self.executor, self._run, environ, time.monotonic()
            )
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": chunks})
            if key is not None:
                self.cache.put(key, status, headers, chunks)
        finally:
            stats.in_flight -= 1

    async def _replay(self, scope: Scope, send: Send, entry: Entry, started: float) -> None:
        """Send a kept response with a fresh request id; log and count it like the app does."""
        request_id = new_request_id()
        headers = [*entry.headers, (b"x-request-id", request_id.encode())]
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})
        seconds = time.perf_counter() - started
        if self.observe is not None:
            self.observe(CACHE_ENDPOINT, "GET", entry.status, seconds)
        query = scope.get("query_string", b"").decode("latin-1")
        path = scope["path"] + (f"?{query}" if query else "")
        log_access(request_id, "GET", path, entry.status, len(entry.body), seconds)

    def _run(
        self, environ: dict[str, Any], queued: float
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Run the app for one request, unless it waited longer than ``queue_timeout``."""
        if time.monotonic() - queued > self.config.queue_timeout:
            self.stats.shed += 1
            body = b"the server is at capacity; retry shortly\n"
            return 503, [*BASE_HEADERS, (b"retry-after", b"1")], body
        return _call_wsgi(self.app, environ)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.executor.shutdown(wait=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The request body, or None after answering 413/408/400 (or the client left)."""
        limit = self.config.max_body
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _respond(send, 400, b"Content-Length is not a number\n")
                return None
            if int(declared) > limit:
                self.stats.body_too_large += 1
                await _respond(send, 413, _too_large(limit))
                return None
        if declared in (None, "0") and _header(scope, b"transfer-encoding") is None:
            return b""  # HTTP/1.1: no length and no chunks is no body; nothing to wait for
        parts: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.config.body_timeout):  # one deadline, no task
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        self.stats.body_too_large += 1
                        await _respond(send, 413, _too_large(limit))
                        return None
                    parts.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(parts)
        except TimeoutError:
            self.stats.body_timeouts += 1
            await _respond(send, 408, b"the request body did not arrive in time\n")
            return None

    def environ(self, scope: Scope, body: bytes) -> dict[str, Any]:
        """The WSGI environ for ``scope`` (PEP 3333), with the public scheme, host and root."""
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").upper().replace("-", "_")
            value = raw_value.decode("latin-1")
            key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + name
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        server = scope.get("server") or ("127.0.0.1", 80)
        client = scope.get("client") or ("", 0)
        scheme = scope.get("scheme", "http")
        root = scope.get("root_path", "")
        if self._public is not None:
            scheme = self._public.scheme
            headers["HTTP_HOST"] = self._public.netloc
            root = self._public.path.rstrip("/")
        elif self.config.trust_proxy:
            scheme = _first(headers.get("HTTP_X_FORWARDED_PROTO")) or scheme
            if host := _first(headers.get("HTTP_X_FORWARDED_HOST")):
                headers["HTTP_HOST"] = host
            root = (_first(headers.get("HTTP_X_FORWARDED_PREFIX")) or root).rstrip("/")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": root.encode("utf-8").decode("latin-1"),
            "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
            "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
            "REMOTE_ADDR": str(client[0]),
            "REMOTE_PORT": str(client[1]),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        headers.pop("CONTENT_LENGTH", None)
        headers.pop("HTTP_TRANSFER_ENCODING", None)  # the body is read whole: no chunks left
        environ.update(headers)
        return environ


def _first(value: str | None) -> str | None:
    return value.split(",")[0].strip() or None if value else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1").strip())
    return None


def _too_large(limit: int) -> bytes:
    return f"the request body is larger than {limit} bytes, the most this server reads\n".encode()


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
    *,
    head: bool = False,
) -> None:
    headers = [*BASE_HEADERS, *(extra or []), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def _call_wsgi(
    app: WSGIApp, environ: dict[str, Any]
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run ``app`` once; its status, headers and whole body (a bug → a bare 500, logged)."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started[:] = [status, headers]

    try:
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception:
        log.exception("the app failed outside its own error handling")
        return 500, list(BASE_HEADERS), b"internal error\n"
    status, headers = started
    return (
        int(status.split(" ", 1)[0]),
        [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        body,
    )
