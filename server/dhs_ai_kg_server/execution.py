"""Run one user query safely: guard, engine, negotiation, row cap; everyone calls :func:`execute`.

The /sparql endpoint and /queries/<name> both answer through here, so the limits hold for
every query a client can send:

- **Outbound guard**: ``SERVICE`` runs only towards hosts on ``SERVICE_ALLOWLIST``;
  ``FROM``/``FROM NAMED`` and ``default-graph-uri``/``named-graph-uri`` must name a graph of
  the dataset (or an allowlisted host; pyoxigraph never fetches them either way) → 400.
- **Row cap**: a result with more than ``MAX_ROWS`` rows (SELECT) or triples (CONSTRUCT,
  DESCRIBE) is refused with 422 and a message suggesting LIMIT; never sent cut short.
- **Timeout** (``QUERY_ISOLATION = "process"``, the default): the query runs in a child process
  forked from the serving process (it shares the loaded store copy-on-write) and talks over a
  pipe. pyoxigraph cannot be interrupted from Python (decision 2), so on ``QUERY_TIMEOUT`` the
  child is killed — the work really stops — and a fresh one is forked for the next query: 503
  with ``Retry-After``. A child that dies (e.g. SIGSEGV on a query that slipped the guard)
  costs that one request a 500, logged with the request id, never the server.
  ``"inline"`` runs in this process with no timeout (tests, tools).
"""

from __future__ import annotations

import hmac
import logging
import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from typing import Literal as TypingLiteral

from flask import Flask, Response, current_app, g, has_request_context, request
from rdflib import URIRef
from rdflib.term import Identifier
from werkzeug.exceptions import BadRequest, HTTPException

from dhs_ai_kg.engine import (
    Engine,
    OutputFormat,
    QueryError,
    QueryResult,
    UpdateRefused,
    check_dataset,
    check_query,
)

from .errors import NoAcceptableFormat, QueryCrashed, QueryTimeout, TooManyRows, UnknownFormat
from .negotiation import choose

log = logging.getLogger("dhs_ai_kg_server")

AnswerKind = TypingLiteral["select", "ask", "graph"]
RUNNER_KEY = "dhs_ai_kg.query_runner"


@dataclass(frozen=True)
class Answer:
    """A serialized query answer: its kind, format, body and row count (None for ASK).

    Never cut: a result over the row cap is refused (TooManyRows) instead.
    """

    kind: AnswerKind
    format: OutputFormat
    body: bytes
    rows: int | None


@dataclass(frozen=True)
class Job:
    """One query to answer, as sent to the query process."""

    text: str
    accept: str | None
    format_name: str | None
    bindings: Mapping[str, Identifier] | None
    default_graphs: list[str] | None
    named_graphs: list[str] | None
    max_rows: int | None
    allow_hosts: tuple[str, ...]


def current_engine() -> Engine:
    """The engine attached to the running app by ``create_app``."""
    engine: Engine = current_app.extensions["dhs_ai_kg.engine"]
    return engine


def pick_format(
    formats: Mapping[str, OutputFormat], accept: str | None, format_name: str | None
) -> OutputFormat:
    """``format_name`` (a name or media type) if given, else the best match for ``accept``."""
    if format_name:
        wanted = format_name.strip().lower()
        for fmt in formats.values():
            if wanted == fmt.name or wanted in fmt.media_types:
                return fmt
        if wanted == "json" and "jsonld" in formats:
            return formats["jsonld"]
        raise UnknownFormat(wanted, list(formats))
    chosen = choose(accept, dict(formats))
    if chosen is None:
        raise NoAcceptableFormat([f.media_type for f in formats.values()])
    return chosen


def run_job(engine: Engine, job: Job) -> Answer:
    """Query, negotiate, check the row cap and serialize, in this process."""
    result: QueryResult = engine.query(
        job.text,
        job.bindings,
        default_graphs=[URIRef(x) for x in job.default_graphs] if job.default_graphs else None,
        named_graphs=[URIRef(x) for x in job.named_graphs] if job.named_graphs else None,
        allow_hosts=job.allow_hosts,
    )
    fmt = pick_format(result.formats, job.accept, job.format_name)
    rows: int | None = None
    if result.kind != "ask":
        rows = result.count(None if job.max_rows is None else job.max_rows + 1)
        if job.max_rows is not None and rows > job.max_rows:
            raise TooManyRows(job.max_rows)
    return Answer(result.kind, fmt, result.serialize(fmt), rows)


# --- the query process ----------------------------------------------------------------------


def _serve_jobs(engine: Engine, conn: Connection) -> None:
    """The query process's loop: answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which kills us
    for sig in (signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_DFL)  # not the inherited gunicorn worker handlers
    signal.set_wakeup_fd(-1)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        reply: tuple[str, Any]
        try:
            reply = ("ok", run_job(engine, job))
        except (QueryError, HTTPException) as exc:
            reply = ("raise", exc)
        except Exception:  # a bug: reported to the server, which logs it and answers 500
            reply = ("bug", traceback.format_exc())
        conn.send(reply)


class QueryProcess:
    """A persistent child process answering jobs for the process that forked it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.owner = os.getpid()
        self.lock = threading.Lock()
        self.process: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None

    def _start(self) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        ours, theirs = multiprocessing.Pipe()
        process = multiprocessing.get_context("fork").Process(
            target=_serve_jobs, args=(self.engine, theirs), daemon=True, name="dhs-ai-kg-query"
        )
        process.start()
        theirs.close()
        self.process, self.conn = process, ours
        return process, ours

    def stop(self) -> None:
        """Kill the child (if any); the next job forks a fresh one."""
        process, conn = self.process, self.conn
        self.process = self.conn = None
        if conn is not None:
            conn.close()
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join()

    @property
    def pid(self) -> int | None:
        """The child's process id, if one is running."""
        return self.process.pid if self.process is not None else None

    def run(self, job: Job, timeout: float | None) -> Answer:
        """Answer ``job`` in the child; kill it after ``timeout`` seconds (QueryTimeout)."""
        with self.lock:
            process, conn = (
                (self.process, self.conn)
                if self.process is not None and self.conn is not None and self.process.is_alive()
                else self._start()
            )
            try:
                conn.send(job)
                ready = conn.poll(timeout)
                reply = conn.recv() if ready else None
            except (EOFError, OSError):
                process.join(1)
                code = process.exitcode
                self.stop()
                raise QueryCrashed(code) from None
            if reply is None:
                self.stop()
                raise QueryTimeout(timeout or 0)
        status, payload = reply
        if status == "ok":
            answer: Answer = payload
            return answer
        if status == "raise":
            raise payload
        raise RuntimeError(f"the query process failed:\n{payload}")


def query_runner(app: Flask) -> QueryProcess:
    """This process's query process for ``app`` (a new one after a fork)."""
    runner: QueryProcess | None = app.extensions.get(RUNNER_KEY)
    if runner is None or runner.owner != os.getpid():
        runner = QueryProcess(app.extensions["dhs_ai_kg.engine"])
        app.extensions[RUNNER_KEY] = runner
    return runner


# --- the entry points -----------------------------------------------------------------------


def execute(
    text: str,
    *,
    accept: str | None = None,
    format_name: str | None = None,
    bindings: Mapping[str, Identifier] | None = None,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> Answer:
    """Answer one query under the app's limits (QUERY_TIMEOUT, MAX_ROWS, SERVICE_ALLOWLIST).

    Raises the core's QueryError subclasses, TooManyRows (422), QueryTimeout (503),
    QueryCrashed (500), NoAcceptableFormat (406) or UnknownFormat (400); errors.py maps them.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    engine = current_engine()
    max_rows = config.get("MAX_ROWS")
    allow_hosts = tuple(config.get("SERVICE_ALLOWLIST") or ())
    g.result_limit = max_rows
    found = check_query(text, engine.limits, allow_hosts=allow_hosts, prefixes=engine.prefixes)
    check_dataset(
        [*found.from_targets, *(default_graphs or ()), *(named_graphs or ())],
        engine.graph_iris(),
        allow_hosts,
    )
    job = Job(
        text,
        accept,
        format_name,
        dict(bindings) if bindings else None,
        list(default_graphs) if default_graphs else None,
        list(named_graphs) if named_graphs else None,
        int(max_rows) if max_rows is not None else None,
        allow_hosts,
    )
    if config.get("QUERY_ISOLATION", "process") == "inline":
        return run_job(engine, job)
    timeout = config.get("QUERY_TIMEOUT")
    try:
        return query_runner(app).run(job, float(timeout) if timeout else None)
    except QueryTimeout:
        app.extensions["dhs_ai_kg.metrics"].timeouts.inc()
        raise
    except QueryCrashed:
        app.extensions["dhs_ai_kg.metrics"].crashes.inc()
        raise


def bearer_token() -> str | None:
    """The token of this request's ``Authorization: Bearer <token>`` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def execute_update(
    text: str,
    token: str | None = None,
    *,
    using_graphs: list[str] | None = None,
    using_named_graphs: list[str] | None = None,
) -> Response:
    """Apply a SPARQL Update to the in-memory store if ``token`` (default: this request's
    bearer token) is the operator's UPDATE_TOKEN; 204 when done.

    Raises UpdateRefused (403) when UPDATE_TOKEN is unset or the token differs or ``LOAD``
    (it fetches a URL); the guard's errors (SERVICE off the allowlist: 400); BadRequest for
    ``using-graph-uri``/``using-named-graph-uri``, which this engine cannot apply.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    expected = app.config.get("UPDATE_TOKEN")
    if not expected:
        raise UpdateRefused("SPARQL Update is not allowed: the dataset is read-only")
    if token is None and has_request_context():
        token = bearer_token()
    if token is None or not hmac.compare_digest(token.encode(), str(expected).encode()):
        raise UpdateRefused(
            "SPARQL Update needs the operator's token: send Authorization: Bearer <token>"
        )
    if using_graphs or using_named_graphs:
        raise BadRequest(
            "using-graph-uri / using-named-graph-uri are not supported: write USING in the update"
        )
    engine = current_engine()
    allow_hosts = tuple(app.config.get("SERVICE_ALLOWLIST") or ())
    found = check_query(
        text, engine.limits, allow_hosts=allow_hosts, prefixes=engine.prefixes, update=True
    )
    if "LOAD" in found.update:
        raise UpdateRefused("LOAD is not allowed: it fetches a URL, and this server fetches none")
    engine.update(text)
    app.extensions["dhs_ai_kg.dataset_version"] = None  # recomputed: ETags change
    runner: QueryProcess | None = app.extensions.get(RUNNER_KEY)
    if runner is not None and runner.owner == os.getpid():
        runner.stop()  # its copy of the store predates the update
    return Response(status=204)
