"""Serve the app: granian (embedded, one process) in front, the query pool behind (decision 5).

Start-up launches the query processes, which load the data files themselves, then loads and
checks the same files (the packaged graphs and the ``DATA`` folders, straight into pyoxigraph)
beside them and parses the named queries *before* the port is opened: a broken data file
stops start-up with its file and line. Then, in the background, it waits for the query
processes and builds what is derived from the data (counts, indexes, dumps:
:data:`.derived.BUILDERS`), saying so; a request that needs one of them first waits for it,
the rest answer at once (at 1M triples that work takes tens of seconds; the port opens after
loading). It says what it is doing on stderr (:mod:`.startup`: a live status line on a
terminal, plain lines elsewhere, nothing if quiet). SIGTERM or SIGINT closes the listening
socket (new connections are refused), lets the requests in flight finish (up to
``grace`` seconds), stops the query processes and exits 0.

Logs go to stderr: one JSON line per request (``dhs_ai_kg.access``) and the server's own lines.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from flask import Flask
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server.embed import Server

from .front import Front, FrontConfig
from .startup import StartupReport
from .state import State, state

log = logging.getLogger("dhs_ai_kg_server")


@dataclass(frozen=True)
class Listen:
    """Where and how the server listens: address, port, header read timeout, backlog."""

    host: str = "127.0.0.1"
    port: int = 8000
    header_timeout: float = 5.0
    backlog: int = 1024
    #: Connections open at once (idle ones included); granian's default is the backlog, so
    #: 1,024 idle clients made the next ones wait (measured). Each costs a socket, not a thread.
    max_connections: int = 10000
    grace: float = 15.0


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("dhs_ai_kg.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO)
    access.propagate = False
    for name in ("dhs_ai_kg_server", "dhs_ai_kg.pool"):
        server_log = logging.getLogger(name)
        errors = logging.StreamHandler(sys.stderr)  # this run's stderr, not a former one
        errors.setFormatter(
            logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(message)s")
        )
        server_log.handlers[:] = [errors]
        server_log.setLevel(logging.INFO)


def _raise_open_files() -> int:
    """Raise this process's open-file limit to its hard limit: each client connection,
    idle ones included, holds a descriptor until the header timeout drops it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def run(
    listen: Listen | None = None,
    front: FrontConfig | None = None,
    app_config: Mapping[str, object] | None = None,
    *,
    quiet: bool = False,
) -> None:
    """Serve the packaged dataset (and ``DATA`` folders) until SIGTERM/SIGINT (see the module
    docstring); ``quiet``: no start-up progress on stderr."""
    listen = listen or Listen()
    report = StartupReport(sys.stderr, quiet=quiet)
    try:
        front_app, current = _start(listen, front or FrontConfig(), app_config, report)
    finally:
        report.close()
    try:
        serve(front_app, listen)
    finally:
        current.close()
        log.info("stopped")


def _start(
    listen: Listen,
    front: FrontConfig,
    app_config: Mapping[str, object] | None,
    report: StartupReport,
) -> tuple[Front, State]:
    """Everything before the port opens (see the module docstring), told to ``report``."""
    _log_to_stderr()
    log.info("open-file limit: %d", _raise_open_files())
    from dhs_ai_kg.loading import data_files
    from dhs_ai_kg.pool import DataFiles

    from .app import DEFAULTS, create_app
    from .state import default_engine, files_version, launch_pool

    config = dict(app_config or {})
    if front.public_base:
        config.setdefault("PUBLIC_BASE", front.public_base)
    root = Path(str(config["RESOURCES"])) if config.get("RESOURCES") else None
    folders = [Path(str(f)) for f in cast("list[str]", config.get("DATA") or [])]
    files = data_files(folders, root)
    report.phase("loading", f"{len(files)} data files")
    config.setdefault("DATASET_VERSION", files_version(files))  # not a dump of the store
    settings = {**DEFAULTS, **config}
    source = DataFiles.resolved(folders, root)
    # one query process loads the same files while this process does (no dump to wait for);
    # the others start once it is ready, so the first answer waits for two loads, not three
    process = settings["QUERY_ISOLATION"] == "process"
    launched = launch_pool(source, settings, count=1) if process else None
    try:
        engine = default_engine(root, folders, report.loaded)
        report.done(f"loaded {report.files} files, {report.triples:,} triples")
        app = create_app(config, engine)
    except BaseException:
        if launched is not None:
            launched.close()
        raise
    with app.app_context():
        current = state()
        current.loaded_from(source, launched)
        front_app = Front(app.wsgi_app, front, observe=current.metrics.observe)
        stats = front_app.stats
        cache = front_app.cache
        current.metrics.watch(
            {
                "dhs_ai_kg_http_shed": (
                    "Requests answered 503 because the admission queue was full.",
                    lambda: stats.shed,
                ),
                "dhs_ai_kg_http_body_too_large": (
                    "Requests refused 413 for their body size.",
                    lambda: stats.body_too_large,
                ),
                "dhs_ai_kg_http_body_timeouts": (
                    "Requests refused 408: the body did not arrive in time.",
                    lambda: stats.body_timeouts,
                ),
                "dhs_ai_kg_http_in_flight": (
                    "Requests admitted and not yet answered.",
                    lambda: stats.in_flight,
                ),
                "dhs_ai_kg_response_cache_hits": (
                    "GETs answered by the front from kept responses.",
                    lambda: cache.hits,
                ),
                "dhs_ai_kg_response_cache_bytes": (
                    "Bytes of responses kept by the front.",
                    lambda: cache.size,
                ),
            }
        )
    report.ready(f"listening on http://{listen.host}:{listen.port}/")
    threading.Thread(
        target=_background, args=(app, report), name="dhs-ai-kg-precompute", daemon=True
    ).start()
    return front_app, current


def _background(app: Flask, report: StartupReport) -> None:
    """After the port opens: start the query processes and build what is derived from the
    data (:data:`.derived.BUILDERS`), each step told to ``report``; a request needing one of
    them meanwhile waits for it (the rest of the server answers at once)."""
    from .derived import BUILDERS

    try:
        with app.app_context():
            current = state()
            if app.config.get("QUERY_ISOLATION", "process") == "process":
                report.phase("query processes", f"loading {current.pool_size} (in the background)")
                live = len(current.pool().pids)
                report.done(f"query processes ready: {live} of {current.pool_size}")
            for build in BUILDERS:
                name = build.__name__.replace("_", " ")
                report.phase("precomputing", f"{name} (in the background)")
                build()
                report.done(f"precomputed {name}")
    except Exception:  # a request needing it will build it again and answer 500 if it fails
        log.exception("precomputing in the background failed")


def serve(front_app: Front, listen: Listen) -> None:
    """Run granian (embedded, HTTP/1.1) with ``front_app`` until SIGTERM/SIGINT."""
    server = Server(
        front_app,
        address=listen.host,
        port=listen.port,
        interface=Interfaces.ASGI,
        http=HTTPModes.http1,
        websockets=False,
        backlog=listen.backlog,
        backpressure=listen.max_connections,
        http1_settings=HTTP1Settings(header_read_timeout=int(listen.header_timeout * 1000)),
        log_enabled=True,
        log_access=False,
    )
    server.workers_kill_timeout = int(listen.grace)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.signal_handler_interrupt)
        await server.serve()

    asyncio.run(main())
