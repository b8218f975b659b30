"""Answer untrusted queries within bounds: a job, the steps that answer it, and typed errors.

:func:`run_job` is everything one query costs — the guard, parsing, evaluation, the row cap
and serialization — so running it in a :class:`dhs_ai_kg.pool.QueryPool` process puts all of
it under the pool's time and memory limits. Nothing here knows HTTP: the server maps the
errors below (and the engine's :class:`~dhs_ai_kg.engine.QueryError` family) to statuses.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

from rdflib import URIRef
from rdflib.term import Identifier

from .engine import Engine, OutputFormat, QueryError, check_dataset, check_query

AnswerKind = TypingLiteral["select", "ask", "graph"]


class LimitExceeded(QueryError):
    """A query that ran past one of the operator's bounds; its work was stopped."""


class QueryTimeout(LimitExceeded):
    """The query ran longer than ``seconds``; its process was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the query ran longer than {seconds:g} s and was stopped")
        self.seconds = seconds

    def __reduce__(self) -> tuple[type, tuple[float]]:
        return (type(self), (self.seconds,))


class QueryOutOfMemory(LimitExceeded):
    """The query needed more memory than one query may use; its process was stopped."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(
            f"the query needed more than {limit_bytes // (1024 * 1024)} MiB of memory, "
            "the most one query may use here"
        )
        self.limit_bytes = limit_bytes

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return (type(self), (self.limit_bytes,))


class TooManyRows(LimitExceeded):
    """The answer has more rows (or triples) than ``max_rows``; it is never sent cut short."""

    def __init__(self, max_rows: int) -> None:
        super().__init__(
            f"the answer has more than {max_rows} rows (or triples), the most this server "
            f"returns; add LIMIT {max_rows} (and ORDER BY + OFFSET to page through it)"
        )
        self.max_rows = max_rows

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return (type(self), (self.max_rows,))


class AnswerTooLarge(LimitExceeded):
    """The serialized answer is larger than ``max_bytes``; it is never sent cut short."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            f"the answer is larger than {max_bytes} bytes, the most this server returns; "
            "add a LIMIT or select fewer or shorter values"
        )
        self.max_bytes = max_bytes

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return (type(self), (self.max_bytes,))


class QueryCrashed(QueryError):
    """The process running the query died (a signal other than the pool's own kill)."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"the query process died (exit code {exitcode})")
        self.exitcode = exitcode

    def __reduce__(self) -> tuple[type, tuple[int | None]]:
        return (type(self), (self.exitcode,))


class ServiceFailed(QueryError):
    """An allowlisted ``SERVICE`` endpoint that failed (down, refused, bad answer)."""


class FormatUnavailable(QueryError):
    """The answer's kind has no format the client accepts (``media_types`` lists those it
    has), or ``format=`` named none of them (``media_types`` is None)."""

    def __init__(self, message: str, media_types: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.media_types = media_types

    def __reduce__(self) -> tuple[type, tuple[str, list[str] | None]]:
        return (type(self), (self.message, self.media_types))


class PoolBusy(QueryError):
    """No query process became free in time: the server is at capacity."""


@dataclass(frozen=True)
class Choice:
    """The format chosen for each kind of answer, or the error to raise for that kind.

    Negotiation happens before the query is parsed (the edge knows the request, not the
    query's form), so both are decided up front and :func:`run_job` takes the one it needs.
    """

    results: OutputFormat | FormatUnavailable
    graph: OutputFormat | FormatUnavailable


@dataclass(frozen=True)
class Job:
    """One query to answer, with everything it may use (picklable: sent to a process)."""

    text: str
    choice: Choice
    bindings: Mapping[str, Identifier] | None = None
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_rows: int | None = None
    max_bytes: int | None = None
    allow_hosts: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Answer:
    """A serialized answer: its kind, format, body, and rows (None for ASK). Never cut."""

    kind: AnswerKind
    format: OutputFormat
    body: bytes
    rows: int | None


class _Bounded(io.BytesIO):
    """A byte sink that raises AnswerTooLarge once more than ``limit`` bytes arrive."""

    def __init__(self, limit: int | None) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        written = super().write(data)
        if self.limit is not None and self.tell() > self.limit:
            raise AnswerTooLarge(self.limit)
        return written


def count_rows(fmt: OutputFormat, body: bytes) -> int:
    """How many solutions a serialized SELECT answer holds (exact for each results format)."""
    if fmt.name == "json":
        return len(json.loads(body)["results"]["bindings"])
    if fmt.name == "xml":
        return body.count(b"<result>")  # '<' in values is escaped, so each is a solution
    if fmt.name == "tsv":  # values are in Turtle syntax: newlines in literals are escaped
        return max(body.count(b"\n") - 1, 0)
    if fmt.name == "csv":  # quoted values may hold newlines: read it as CSV
        return max(sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1, 0)
    raise ValueError(f"cannot count rows in {fmt.name}")


def _chosen(result_kind: str, choice: Choice) -> OutputFormat:
    picked = choice.graph if result_kind == "graph" else choice.results
    if isinstance(picked, FormatUnavailable):
        raise picked
    return picked


def check_job(engine: Engine, job: Job, graphs: Collection[str] | None = None) -> None:
    """The guard: raise what :func:`dhs_ai_kg.engine.check_query` and ``check_dataset``
    raise for ``job`` (outbound targets off the allowlist, updates, too complex)."""
    found = check_query(
        job.text, engine.limits, allow_hosts=job.allow_hosts, prefixes=engine.prefixes
    )
    check_dataset(
        [*found.from_targets, *(job.default_graphs or ()), *(job.named_graphs or ())],
        engine.dataset_iris() if graphs is None else graphs,
        job.allow_hosts,
    )


def run_job(engine: Engine, job: Job, *, graphs: Collection[str] | None = None) -> Answer:
    """Guard, query, count and serialize ``job`` in this process (one evaluation).

    A SELECT is serialized once into a sink bounded by ``max_bytes`` and its rows counted
    in the bytes; a CONSTRUCT/DESCRIBE's triples are counted before they are serialized.
    """
    check_job(engine, job, graphs)
    try:
        return _evaluate(engine, job)
    except OSError as exc:  # pyoxigraph's HTTP client, for an allowlisted SERVICE
        raise ServiceFailed(f"a SERVICE endpoint failed: {exc}") from None


def _evaluate(engine: Engine, job: Job) -> Answer:
    result = engine.query(
        job.text,
        job.bindings,
        default_graphs=[URIRef(x) for x in job.default_graphs] if job.default_graphs else None,
        named_graphs=[URIRef(x) for x in job.named_graphs] if job.named_graphs else None,
        allow_hosts=job.allow_hosts,
    )
    fmt = _chosen(result.kind, job.choice)
    rows: int | None = None
    if result.kind == "graph":
        limit = None if job.max_rows is None else job.max_rows + 1
        rows = result.count(limit)
        if job.max_rows is not None and rows > job.max_rows:
            raise TooManyRows(job.max_rows)
    sink = _Bounded(job.max_bytes)
    result.serialize_to(sink, fmt)
    body = sink.getvalue()
    if result.kind == "select":
        rows = count_rows(fmt, body)
        if job.max_rows is not None and rows > job.max_rows:
            raise TooManyRows(job.max_rows)
    return Answer(result.kind, fmt, body, rows)


class AnswerCache:
    """Answers kept by job, least recently used first out, within ``max_bytes`` (thread-safe).

    Sound only because the data never changes while a server runs (there is no update):
    an answer depends on nothing but the job. Jobs that may call a ``SERVICE`` (an
    allowlist is set) are never cached, nor are failures, nor answers over ``max_entry``.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_entry: int = 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_entry
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(job: Job) -> Hashable | None:
        """The cache key of ``job``, or None if it must not be cached."""
        if job.allow_hosts:
            return None
        names = tuple(  # a refused kind is part of the key too: it is the same every time
            c.name if isinstance(c, OutputFormat) else f"refused: {c.message}"
            for c in (job.choice.results, job.choice.graph)
        )
        bindings = tuple(
            sorted((k, str(v), type(v).__name__) for k, v in (job.bindings or {}).items())
        )
        return (
            job.text,
            names,
            bindings,
            job.default_graphs,
            job.named_graphs,
            job.max_rows,
            job.max_bytes,
        )

    def get(self, key: Hashable) -> Answer | None:
        """The answer kept for ``key``, if any."""
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: Hashable, answer: Answer) -> None:
        """Keep ``answer`` (unless it is too large), evicting the least recently used."""
        cost = len(answer.body) + 256
        if cost > self.max_entry or cost > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = answer
            self.size += cost
            while self.size > self.max_bytes:
                _, old = self._entries.popitem(last=False)
                self.size -= len(old.body) + 256
