"""A pool of query processes: each job runs where it can be killed and cannot eat the machine.

pyoxigraph cannot be interrupted from Python and can crash (SIGSEGV) or allocate gigabytes on
a small hostile query (decision 5), so :class:`QueryPool` runs :func:`dhs_ai_kg.execution.run_job`
— guard included — in separate processes:

- **Time**: the caller waits at most ``timeout`` seconds (for a free process and the answer);
  then the process is killed (SIGKILL: the work really stops) and replaced → QueryTimeout.
- **Memory**: each process limits its own address space (``RLIMIT_AS``) to what it had after
  loading the data plus ``memory_limit``; a query that needs more dies (Rust aborts on a
  failed allocation) or raises MemoryError → QueryOutOfMemory, and the process is replaced.
- **Nothing left behind**: processes are started fresh (``python -m dhs_ai_kg.pool``, not
  forked), so they inherit no listening socket and no descriptor but their own socket end;
  each asks the kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``, from a thread
  that lives as long as the pool, since the signal follows the creating thread), and exits
  at once if the parent is already gone.
- **Crashes** cost one request (QueryCrashed) and a replacement, never the server.

The data goes to each process once: the data files themselves (:class:`DataFiles`: the process
loads them with :func:`~dhs_ai_kg.loading.load_store`, as the server did, so it starts loading
at once instead of waiting for the server's store; what ``serve`` uses), or as N-Quads: bytes
over its socket, or the path of an N-Quads file the process bulk-loads itself (a store that
came from no files, as in tests).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import queue
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from .engine import Engine, Limits, QueryError
from .execution import (
    Answer,
    Job,
    PoolBusy,
    QueryCrashed,
    QueryOutOfMemory,
    QueryTimeout,
    run_job,
)

log = logging.getLogger("dhs_ai_kg.pool")

#: Exit code a query process uses after answering a MemoryError (it may be unusable).
EXIT_AFTER_MEMORY_ERROR = 3
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class DataFiles:
    """The data as :func:`~dhs_ai_kg.loading.load_store` reads it: the resources folder
    ``root`` (None: the packaged one) and the extra graph ``folders``."""

    folders: tuple[Path, ...] = ()
    root: Path | None = None

    @classmethod
    def resolved(cls, folders: Iterable[Path] = (), root: Path | None = None) -> DataFiles:
        """``folders`` and ``root`` as absolute paths, ``root`` None made the resources folder
        this process reads: a query process (other defaults, another folder) loads the same
        files."""
        from .resources import resource_dir

        base = root if root is not None else resource_dir("data").parent
        return cls(tuple(Path(f).resolve() for f in folders), Path(base).resolve())


@dataclass(frozen=True)
class Setup:
    """What every query process needs: the data (files to load, N-Quads bytes, or the path
    of an N-Quads file), prefixes and the guard's limits."""

    data: DataFiles | bytes | Path
    prefixes: Mapping[str, str]
    limits: Limits


class _Process:
    """One query process and the parent's end of its socket."""

    def __init__(self, popen: subprocess.Popen[bytes], conn: Connection) -> None:
        self.popen = popen
        self.conn = conn

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill(self) -> int | None:
        """Kill and reap the process; its exit code (negative: the signal)."""
        with contextlib.suppress(ProcessLookupError):
            self.popen.kill()
        self.conn.close()
        return self.popen.wait()


class QueryPool:
    """``size`` query processes answering :class:`~dhs_ai_kg.execution.Job`s (thread-safe)."""

    def __init__(
        self,
        setup: Setup,
        *,
        size: int = 2,
        memory_limit: int = 512 * 1024 * 1024,
        start_timeout: float = 120.0,
    ) -> None:
        self.setup = setup
        self.size = max(1, size)
        self.memory_limit = memory_limit
        self.start_timeout = start_timeout
        self._idle: queue.Queue[_Process] = queue.Queue()
        self._all: set[_Process] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._requests: queue.Queue[Future[_Process] | None] = queue.Queue()
        self._launched: list[_Process] = []
        self._waiting = threading.Lock()
        self._spawning = False
        self._loading: set[_Process] = set()  # launched by fill(), not yet ready
        self._spawner = threading.Thread(
            target=self._spawn_loop, name="dhs-ai-kg-pool-spawner", daemon=True
        )
        #: Counters for metrics: jobs killed for time, processes lost to memory or crashes.
        self.timeouts = 0
        self.out_of_memory = 0
        self.crashes = 0

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> QueryPool:
        """Start every process (in parallel) and wait until each has loaded the data."""
        return self.launch().wait()

    def launch(self, count: int | None = None) -> QueryPool:
        """Start ``count`` processes (default: all; in parallel) without waiting for them to
        load the data: they load while the caller goes on; :meth:`wait` waits for them,
        :meth:`fill` starts the rest."""
        with self._lock:
            if not self._spawning:
                self._spawning = True
                self._spawner.start()
        requests = [self._request() for _ in range(self.size if count is None else count)]
        # wait for the launches only (milliseconds), so the processes run before the caller
        # starts its own long work
        for future in requests:
            process = future.result(timeout=self.start_timeout)
            with self._lock:
                closed = self._closed
                if not closed:
                    self._launched.append(process)
            if closed:
                process.kill()
        return self

    def wait(self) -> QueryPool:
        """Wait until every launched process has loaded the data; if one fails, kill the
        others and raise."""
        with self._waiting:
            while True:
                with self._lock:
                    if not self._launched:
                        return self
                    process = self._launched[0]
                try:
                    ready = self._ready(process)
                except BaseException:
                    with self._lock:
                        rest, self._launched = self._launched, []
                    for other in rest:
                        other.kill()
                    raise
                with self._lock:
                    if process in self._launched:
                        self._launched.remove(process)
                self._release(ready)

    def fill(self) -> QueryPool:
        """Launch the processes missing from ``size`` (after a :meth:`launch` of fewer); each
        joins the pool once it has loaded the data, in the background."""
        with self._lock:
            missing = self.size - len(self._all) - len(self._launched) - len(self._loading)
        for _ in range(max(0, missing)):
            process = self._request().result(timeout=self.start_timeout)
            with self._lock:
                self._loading.add(process)
            threading.Thread(
                target=self._join, args=(process,), name="dhs-ai-kg-pool-fill", daemon=True
            ).start()
        return self

    def _join(self, process: _Process) -> None:
        """Wait for ``process`` (from :meth:`fill`) to load; if it fails, start another."""
        try:
            ready = self._ready(process)
        except Exception:
            if not self._closed:
                log.exception("a query process failed to start; starting another")
                self._refill()
            return
        finally:
            with self._lock:
                self._loading.discard(process)
        self._release(ready)

    def close(self) -> None:
        """Kill every process; later jobs fail with PoolBusy."""
        with self._lock:
            self._closed = True
            processes = [*self._all, *self._launched, *self._loading]
            self._all.clear()
            self._launched = []
            self._loading.clear()
        self._requests.put(None)
        for process in processes:
            process.kill()
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                break

    def __enter__(self) -> QueryPool:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def pids(self) -> list[int]:
        """The process ids of the live query processes."""
        with self._lock:
            return sorted(p.pid for p in self._all)

    # --- running jobs -------------------------------------------------------------------

    def run(self, job: Job, timeout: float | None = None) -> Answer:
        """Answer ``job`` in a query process within ``timeout`` seconds (waiting included).

        Raises the job's own QueryError, QueryTimeout, QueryOutOfMemory, QueryCrashed, or
        PoolBusy (no process free within the time).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        process = self._take(deadline, timeout)
        try:
            process.conn.send(job)
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0)
            if not process.conn.poll(remaining):
                self._replace(process)
                self.timeouts += 1
                raise QueryTimeout(timeout or 0)
            status, payload = process.conn.recv()
        except (EOFError, OSError):
            raise self._lost(process) from None
        if status == "ok":
            self._release(process)
            assert isinstance(payload, Answer)
            return payload
        if status == "oom":
            self._replace(process)
            self.out_of_memory += 1
            raise QueryOutOfMemory(self.memory_limit)
        self._release(process)
        if status == "error":
            assert isinstance(payload, Exception)
            raise payload
        raise RuntimeError(f"the query process failed:\n{payload}")

    def _take(self, deadline: float | None, timeout: float | None) -> _Process:
        """A live idle process; one found dead while idle is replaced, not handed out."""
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0)
            try:
                process = self._idle.get(timeout=remaining)
            except queue.Empty:
                raise PoolBusy(f"no query process became free within {timeout:g} s") from None
            if self._closed:
                process.kill()
                raise PoolBusy("the query processes are stopped")
            if process.popen.poll() is None:
                return process
            log.error(
                "query process %d died while idle (exit code %s)",
                process.pid,
                process.popen.returncode,
            )
            self.crashes += 1
            self._replace(process)

    def _lost(self, process: _Process) -> QueryError:
        """The error for a process that died while answering (it is replaced)."""
        code = self._replace(process)
        if code in (-signal.SIGABRT, -signal.SIGKILL, EXIT_AFTER_MEMORY_ERROR):
            # Rust aborts on a failed allocation; the kernel's OOM killer sends SIGKILL
            self.out_of_memory += 1
            return QueryOutOfMemory(self.memory_limit)
        self.crashes += 1
        log.error("query process %d died with exit code %s", process.pid, code)
        return QueryCrashed(code)

    # --- processes ----------------------------------------------------------------------

    def _release(self, process: _Process) -> None:
        with self._lock:
            closed = self._closed
        if closed:
            process.kill()
        else:
            self._idle.put(process)

    def _replace(self, process: _Process) -> int | None:
        """Kill ``process`` and start another in the background; the dead one's exit code."""
        with self._lock:
            self._all.discard(process)
            closed = self._closed
        code = process.kill()
        if not closed:
            threading.Thread(target=self._refill, name="dhs-ai-kg-pool-refill", daemon=True).start()
        return code

    def _refill(self) -> None:
        """Start one process to replace a lost one; retry every second until it works."""
        while not self._closed:
            try:
                self._release(self._ready(self._request().result(timeout=self.start_timeout)))
                return
            except Exception:
                log.exception("could not start a query process; retrying in 1 s")
                time.sleep(1)

    def _request(self) -> Future[_Process]:
        future: Future[_Process] = Future()
        self._requests.put(future)
        return future

    def _spawn_loop(self) -> None:
        """Start processes on request, always from this thread (see PR_SET_PDEATHSIG)."""
        while True:
            future = self._requests.get()
            if future is None:
                return
            try:
                future.set_result(self._spawn())
            except BaseException as exc:
                future.set_exception(exc)

    def _spawn(self) -> _Process:
        """Launch a process and send it the data (from the spawner thread only)."""
        ours, theirs = socket.socketpair()
        try:
            popen = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dhs_ai_kg.pool",
                    str(theirs.fileno()),
                    str(os.getpid()),
                    str(self.memory_limit),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                close_fds=True,
                env={**os.environ, "RUST_BACKTRACE": "0"},
            )
        finally:
            theirs.close()
        process = _Process(popen, Connection(ours.detach()))
        try:
            process.conn.send(self.setup)
        except BaseException:
            process.kill()
            raise
        return process

    def _ready(self, process: _Process) -> _Process:
        """Wait until ``process`` has loaded the data; then it counts as one of the pool."""
        try:
            if not process.conn.poll(self.start_timeout):
                raise RuntimeError("a query process did not get ready in time")
            status, _ = process.conn.recv()
            if status != "ready":
                raise RuntimeError(f"a query process failed to start: {status}")
        except BaseException:
            process.kill()
            raise
        with self._lock:
            if self._closed:
                process.kill()
                raise RuntimeError("the pool was closed")
            self._all.add(process)
        return process


# --- the query process ------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def address_space() -> int:
    """This process's virtual memory size in bytes (VmSize)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def load(data: DataFiles | bytes | Path) -> ox.Store:
    """The store a query process answers from: ``data`` loaded as :class:`Setup` says."""
    if isinstance(data, DataFiles):
        from .loading import load_store

        return load_store(data.folders, data.root, statistics=True)  # as serve loads
    store = ox.Store()
    if isinstance(data, Path):
        store.bulk_load(path=data, format=ox.RdfFormat.N_QUADS)
    elif data.strip():
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    return store


def serve(conn: Connection, memory_limit: int) -> None:
    """The query process's loop: load the data, bound the memory, answer jobs until EOF."""
    setup: Setup = conn.recv()
    try:
        store = load(setup.data)
    except Exception as exc:  # e.g. a data file that does not parse: the parent says so
        conn.send((f"{type(exc).__name__}: {exc}", None))
        return
    engine = Engine(store, prefixes=setup.prefixes, limits=setup.limits)
    graphs = engine.dataset_iris()
    del setup
    ceiling = address_space() + memory_limit
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", run_job(engine, job, graphs=graphs)))
        except QueryError as exc:
            conn.send(("error", exc))
        except MemoryError:
            conn.send(("oom", None))
            os._exit(EXIT_AFTER_MEMORY_ERROR)
        except Exception:  # a bug: the parent logs it and answers 500
            conn.send(("bug", traceback.format_exc()))


def main(argv: list[str]) -> None:
    """Entry point of a query process: ``python -m dhs_ai_kg.pool FD PARENT_PID MEMORY``."""
    fd, parent, memory_limit = (int(x) for x in argv)
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which kills us
    serve(Connection(fd), memory_limit)


if __name__ == "__main__":
    # run as the package's module, not __main__, so the classes the parent pickles (Setup,
    # DataFiles) are the ones serve() checks against
    from dhs_ai_kg.pool import main as _main

    _main(sys.argv[1:])
