"""Whole responses to repeated GETs, replayed by the front on the event loop (no thread, no app).

Sound for the same reason as the answer cache: the data never changes while the server runs,
so a GET's 200 depends only on what the key holds — the path and raw query string, ``Accept``,
``Accept-Encoding`` (static files are sent gzipped to clients that take it: assets.py), and
the public URL the app writes (the ``Host`` header, or the ``X-Forwarded-*`` ones when
they are trusted; neither when a public base is set). Kept out, conservatively: any request
with a body, a conditional header (``If-None-Match``/``If-Modified-Since``: the app answers
304), ``Authorization``, ``Cookie`` or ``Range``; any answer but a 200, one marked
``no-store``, one larger than ``max_entry``, and ``/metrics``. A replayed answer gets a fresh
``X-Request-Id``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

Header = tuple[bytes, bytes]

#: Requests with any of these headers always go to the app.
BYPASS = frozenset({b"if-none-match", b"if-modified-since", b"authorization", b"cookie", b"range"})
NEVER = frozenset({"/metrics"})
PER_REQUEST = frozenset({b"x-request-id", b"date", b"server"})


@dataclass(frozen=True)
class Entry:
    """A kept response: status, headers (per-request ones removed) and body."""

    status: int
    headers: tuple[Header, ...]
    body: bytes


class ResponseCache:
    """An LRU of whole responses within ``max_bytes`` (used from the event loop only)."""

    def __init__(self, max_bytes: int, max_entry: int = 256 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_entry
        self.size = 0
        self.hits = 0
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()

    def key(
        self, scope: MutableMapping[str, Any], public_base: bool, trust_proxy: bool
    ) -> Hashable | None:
        """The key of a cacheable request, or None."""
        if not self.max_bytes or scope["method"] != "GET" or scope["path"] in NEVER:
            return None
        accept = encoding = host = forwarded = b""
        for name, value in scope["headers"]:
            lowered = name.lower()
            if lowered in BYPASS or lowered in (b"content-length", b"transfer-encoding"):
                return None
            if lowered == b"accept":
                accept += value + b","
            elif lowered == b"accept-encoding":
                encoding += value + b","
            elif lowered == b"host":
                host = value
            elif lowered.startswith(b"x-forwarded-"):
                forwarded += lowered + b"=" + value + b";"
        return (
            scope["path"],
            scope.get("query_string", b""),
            accept,
            encoding,
            b"" if public_base else host,
            forwarded if trust_proxy and not public_base else b"",
        )

    def get(self, key: Hashable) -> Entry | None:
        """The kept response for ``key``, if any (now the most recently used)."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.hits += 1
        return entry

    def put(self, key: Hashable, status: int, headers: Iterable[Header], body: bytes) -> None:
        """Keep a 200 that may be kept, evicting the least recently used."""
        if status != 200 or len(body) > self.max_entry or key in self._entries:
            return
        kept = []
        for name, value in headers:
            if name == b"cache-control" and b"no-store" in value:
                return
            if name == b"set-cookie":
                return
            if name not in PER_REQUEST:
                kept.append((name, value))
        cost = len(body) + sum(len(n) + len(v) for n, v in kept) + 256
        if cost > self.max_bytes:
            return
        self._entries[key] = Entry(status, tuple(kept), body)
        self.size += cost
        while self.size > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self.size -= len(old.body) + sum(len(n) + len(v) for n, v in old.headers) + 256
