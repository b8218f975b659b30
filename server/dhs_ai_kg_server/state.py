"""The server's one state object, built once by :func:`init_app` (as the Flask tutorial's db.py).

It owns the pyoxigraph store (through the core's :class:`~dhs_ai_kg.engine.Engine`), the named
queries (parsed at start-up: a broken one stops start-up, not a request), the dataset version
that ETags use, the resources folder files are read from (``RESOURCES``), the metrics, the
query pool, and everything derived from the data (dumps, VoID, counts, pages) in
:attr:`State.derived`, computed once. Blueprints read it through
:func:`state`; nothing else lives in ``app.extensions``.
"""

from __future__ import annotations

import atexit
import hashlib
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from flask import Flask, current_app

from dhs_ai_kg.engine import Engine, Limits
from dhs_ai_kg.execution import AnswerCache
from dhs_ai_kg.loading import Progress
from dhs_ai_kg.named_queries import NamedQuery, load_named_queries
from dhs_ai_kg.namespaces import PREFIXES
from dhs_ai_kg.pool import DataFiles, QueryPool, Setup
from dhs_ai_kg.resources import queries_dir

from .metrics import Metrics

KEY = "dhs_ai_kg"
T = TypeVar("T")
DEFAULT_POOL_SIZE = 2
DEFAULT_QUERY_MEMORY = 512 * 1024 * 1024


@dataclass
class State:
    """Everything the app serves, loaded once."""

    engine: Engine
    queries: dict[str, NamedQuery]
    metrics: Metrics
    resources: Path | None = None  # ontology/, data/, queries/ (None: the packaged ones)
    pool_size: int = DEFAULT_POOL_SIZE
    query_memory: int = DEFAULT_QUERY_MEMORY
    answers: AnswerCache = field(default_factory=lambda: AnswerCache(0))
    derived: dict[str, Any] = field(default_factory=dict)
    #: The data files the store was loaded from (None: an engine given as such); the query
    #: processes load them too, instead of a dump of the store.
    files: DataFiles | None = None
    _pool: QueryPool | None = None
    _launched: QueryPool | None = None  # started before the store was loaded (serve)
    _spool: tempfile.TemporaryDirectory[str] | None = None
    _spools: dict[str, tempfile.TemporaryDirectory[str]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _building: dict[str, threading.Lock] = field(default_factory=dict)

    def pool(self) -> QueryPool:
        """The query pool, started on first use (a server starts it at start-up)."""
        with self._lock:
            if self._pool is None:
                self._pool = self._start_pool()
                atexit.register(self._pool.close)
                pool = self._pool
                self.metrics.watch(
                    {
                        "dhs_ai_kg_query_timeouts": (
                            "Queries stopped at QUERY_TIMEOUT (their process killed).",
                            lambda: pool.timeouts,
                        ),
                        "dhs_ai_kg_query_out_of_memory": (
                            "Queries stopped at QUERY_MEMORY (their process replaced).",
                            lambda: pool.out_of_memory,
                        ),
                        "dhs_ai_kg_query_crashes": (
                            "Queries whose process died (e.g. SIGSEGV in the engine).",
                            lambda: pool.crashes,
                        ),
                        "dhs_ai_kg_query_processes": (
                            "Live query processes.",
                            lambda: len(pool.pids),
                        ),
                    }
                )
            return self._pool

    def _start_pool(self) -> QueryPool:
        """The query processes, ready: loading the data files themselves when the store came
        from files (those launched early by :meth:`loaded_from`, if any), else an N-Quads
        dump of the store written now. (Either way each process labels blank nodes afresh:
        pyoxigraph's loader renames them; what we publish has none, decision "No blank
        nodes".)"""
        launched, self._launched = self._launched, None
        setup = pool_setup(self.files) if self.files is not None else None
        if setup is not None and (setup.prefixes, setup.limits) == (
            self.engine.prefixes,
            self.engine.limits,
        ):
            if launched is None or launched.setup != setup:
                if launched is not None:
                    launched.close()
                launched = QueryPool(setup, size=self.pool_size, memory_limit=self.query_memory)
                launched.launch()
            return launched.wait().fill()
        if launched is not None:
            launched.close()
        # one N-Quads file written now (not bytes kept in this process: 1M triples are
        # ~150 MB), so a replacement process started later loads exactly what the first did
        self._spool = tempfile.TemporaryDirectory(prefix="dhs-ai-kg-pool-")
        nquads = Path(self._spool.name) / "data.nq"
        self.engine.dump(nquads)  # the statistics graph too, hidden there again
        setup = Setup(nquads, self.engine.prefixes, self.engine.limits)
        return QueryPool(setup, size=self.pool_size, memory_limit=self.query_memory).start()

    def loaded_from(self, files: DataFiles, launched: QueryPool | None = None) -> None:
        """Say the store was loaded from ``files``; ``launched``: query processes already
        loading them (:func:`launch_pool`), adopted by :meth:`pool`."""
        with self._lock:
            self.files, self._launched = files, launched

    def close(self) -> None:
        """Stop the query pool, if it was started."""
        with self._lock:
            pool, self._pool = self._pool, None
            launched, self._launched = self._launched, None
            if launched is not None:
                launched.close()
            spools = [s for s in (self._spool, *self._spools.values()) if s is not None]
            self._spool, self._spools = None, {}
        if pool is not None:
            pool.close()
        for spool in spools:
            spool.cleanup()

    def spool(self, name: str) -> Path:
        """A temporary folder for files derived from the data (``name``: what they are),
        made on first use and removed by :meth:`close` (or at exit)."""
        with self._lock:
            if name not in self._spools:
                folder = tempfile.TemporaryDirectory(prefix=f"dhs-ai-kg-{name}-")
                atexit.register(folder.cleanup)
                self._spools[name] = folder
            return Path(self._spools[name].name)

    def warm(self, builders: Iterable[Callable[[], object]]) -> None:
        """Build the derived artifacts of ``builders`` now (call in an app context): by SPARQL
        on the store, which stays the one copy of the data in this process."""
        for build in builders:
            build()

    @property
    def version(self) -> str:
        """The dataset version ETags use (:func:`dataset_version`), computed on first use:
        ``serve`` does it in the background (at 1M triples it takes seconds)."""
        engine = self.engine
        return self.cached("version", lambda: dataset_version(engine))

    def cached(self, name: str, build: Callable[[], T]) -> T:
        """``derived[name]``, built by ``build`` the first time (the data never changes); a
        caller asking while another builds it waits for that build, not for every other."""
        with self._lock:
            if name in self.derived:
                value: T = self.derived[name]
                return value
            building = self._building.setdefault(name, threading.Lock())
        with building:
            with self._lock:
                if name in self.derived:
                    found: T = self.derived[name]
                    return found
            built = build()
            with self._lock:
                self.derived[name] = built
            return built


def dataset_version(engine: Engine) -> str:
    """A hash of the store's N-Quads (sorted lines): the ETag base."""
    dump = engine.store.dump(format=ox.RdfFormat.N_QUADS) or b""
    return hashlib.sha256(b"\n".join(sorted(dump.splitlines()))).hexdigest()[:32]


def files_version(paths: Iterable[Path]) -> str:
    """A hash of the data files (each one's name and bytes, in load order): the ETag base of
    a store loaded from exactly them, read in a fraction of a second at 1M triples where
    :func:`dataset_version` dumps and sorts the store (seconds, holding the interpreter)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
        with path.open("rb") as data:
            while chunk := data.read(1 << 20):
                digest.update(chunk)
    return "files-" + digest.hexdigest()[:26]


def default_engine(
    root: Path | None = None,
    folders: Iterable[Path] = (),
    progress: Progress | None = None,
) -> Engine:
    """An engine over the dataset of the resources folder ``root`` (default: the packaged one)
    and the extra graph ``folders`` (``serve --data``), loaded straight into pyoxigraph."""
    from dhs_ai_kg.loading import load_store

    return Engine(load_store(folders, root, progress, statistics=True))


def pool_setup(files: DataFiles) -> Setup:
    """What query processes need to load ``files`` as :func:`default_engine` does."""
    return Setup(files, dict(PREFIXES), Limits())


def launch_pool(
    files: DataFiles, config: Mapping[str, object], count: int | None = None
) -> QueryPool:
    """A pool (``QUERY_PROCESSES``, ``QUERY_MEMORY`` of ``config``) with ``count`` processes
    (default: all) loading ``files`` now, in parallel with the caller's own load (``serve``
    launches one: on 2 cores, three loads at once delay the first answer); the rest start
    when :meth:`State.pool` adopts it (see :meth:`State.loaded_from`)."""
    return QueryPool(
        pool_setup(files),
        size=int(str(config.get("QUERY_PROCESSES", DEFAULT_POOL_SIZE))),
        memory_limit=int(str(config.get("QUERY_MEMORY", DEFAULT_QUERY_MEMORY))),
    ).launch(count)


def data_folders(app: Flask) -> list[Path]:
    """The extra graph folders of ``app.config["DATA"]`` (``serve --data``)."""
    return [Path(folder) for folder in app.config.get("DATA") or ()]


def init_app(app: Flask, engine: Engine | None = None) -> State:
    """Load the data (``RESOURCES``' graphs and the ``DATA`` folders) and the named queries
    (``RESOURCES``; default: the packaged ones; ``engine``, if given, replaces the data) and
    attach the state to ``app``. The dataset version is the files' hash (:func:`files_version`)
    when the data is loaded here or ``DATASET_VERSION`` says it, else the store's."""
    from dhs_ai_kg.loading import data_files

    configured = app.config.get("RESOURCES")
    root = Path(configured) if configured is not None else None
    version = app.config.get("DATASET_VERSION")
    files = None
    if engine is None:
        version = files_version(data_files(data_folders(app), root))
        engine = default_engine(root, data_folders(app))
        files = DataFiles.resolved(data_folders(app), root)
    current = State(
        engine=engine,
        queries=load_named_queries(queries_dir(root)),
        metrics=Metrics(),
        resources=root,
        pool_size=int(app.config.get("QUERY_PROCESSES", DEFAULT_POOL_SIZE)),
        query_memory=int(app.config.get("QUERY_MEMORY", DEFAULT_QUERY_MEMORY)),
        answers=AnswerCache(int(app.config.get("ANSWER_CACHE", 0))),
        files=files,
    )
    answers = current.answers
    current.metrics.watch(
        {
            "dhs_ai_kg_answer_cache_hits": ("Answers served from the cache.", lambda: answers.hits),
            "dhs_ai_kg_answer_cache_misses": (
                "Queries run because no answer was cached.",
                lambda: answers.misses,
            ),
            "dhs_ai_kg_answer_cache_bytes": ("Bytes of answers cached.", lambda: answers.size),
        }
    )
    if version:  # the files' hash, known before loading (serve): no dump of the store
        current.derived["version"] = str(version)
    app.extensions[KEY] = current
    weakref.finalize(app, current.close)
    return current


def state() -> State:
    """The running app's state."""
    found: State = current_app.extensions[KEY]
    return found
