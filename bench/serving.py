"""Serving benchmark: our endpoint against Virtuoso 7 and rdflib-endpoint, in one sitting.

Run from the repository root (see bench/README.md, "Serving"):

    .venv/bin/python bench/serving.py --duration 10 --rounds 3

It installs what is missing (as root: wrk and Virtuoso from apt, rdflib-endpoint and granian
into the venv), starts every server on 127.0.0.1 on free ports loaded with the project's data,
checks that each answers every query of the mix with the same number of rows as our engine,
then alternates wrk runs over the servers for ``--rounds`` rounds and reports medians and
ratios, the combined limit (in-process engine time plus the cost of a constant response on the
same HTTP stack) and the share of it we reach, and a slow-client check. Every server runs in
its own process group and is killed on exit, error or Ctrl-C. No request leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
LUA = BENCH / "wrk" / "mix.lua"
HOST = "127.0.0.1"
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "text/turtle"
DEFAULT_QUERIES = ",".join(f"{n:02d}" for n in range(1, 10))

DEFAULT_OURS_CMD = f"{VENV_BIN}/dhs-ai-kg serve --host {HOST} --port {{port}}"
#: Our own stack (granian embedded → our ASGI front → a thread → Flask): gives the limit.
DEFAULT_CONSTANT_CMD = f"{VENV_BIN}/python {BENCH}/constant_front.py --host {HOST} --port {{port}}"
#: For reference: granian's own WSGI mode with two worker processes and the same Flask app.
GRANIAN_WSGI_CONSTANT_CMD = (
    f"{VENV_BIN}/granian --interface wsgi --workers 2 --host {HOST} --port {{port}} "
    "constant_app:app"
)


#: Every server started and not yet stopped: main's ``finally`` stops them all.
RUNNING: list[Server] = []


def log(message: str) -> None:
    """Progress to stderr (the report goes to stdout); never raises, so that a closed stderr
    (the parent gone) cannot stop the cleanup that logs as it kills the servers."""
    with suppress(OSError, ValueError):
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- setup -----------------------------------------------------------------------------------


def ensure_tools(
    need_virtuoso: bool, need_rdflib_endpoint: bool, constant_cmds: Sequence[str]
) -> None:
    """Install wrk, Virtuoso, rdflib-endpoint and granian when missing (idempotent)."""
    apt = ["wrk"] if shutil.which("wrk") is None else []
    if need_virtuoso and (shutil.which("virtuoso-t") is None or shutil.which("isql-vt") is None):
        apt.append("virtuoso-opensource")
    if apt:
        if os.geteuid() != 0:
            sys.exit(f"missing {', '.join(apt)}: run `sudo apt-get install -y {' '.join(apt)}`")
        log(f"apt-get install -y {' '.join(apt)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", *apt], check=True, env=env, timeout=900)
    pip = []
    if need_rdflib_endpoint and (
        not (VENV_BIN / "rdflib-endpoint").exists() or not _importable("uvicorn")
    ):
        pip.append("rdflib-endpoint[cli]")
    if any("granian" in c for c in constant_cmds) and not (VENV_BIN / "granian").exists():
        pip.append("granian")
    if pip:
        log(f"pip install {' '.join(pip)}")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *pip], check=True)


def _importable(module: str) -> bool:
    return (
        subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode
        == 0
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --- servers ---------------------------------------------------------------------------------


@dataclass
class Server:
    """One server process (in its own process group) and how to send it the mix."""

    name: str
    port: int
    query_path: str  # "/sparql" or "/"
    extra_params: list[tuple[str, str]] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    logfile: Path | None = None

    def start(self, cmd: Sequence[str], cwd: Path, workdir: Path) -> None:
        """Start ``cmd`` in a new session; output to a log file in ``workdir``."""
        self.logfile = workdir / f"{self.name}.log"
        out = self.logfile.open("wb")
        log(f"start {self.name}: {shlex.join(cmd)}")
        # no Ctrl-C/SIGTERM between the start and the registration that lets us stop it
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            self.process = subprocess.Popen(
                list(cmd), cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
            RUNNING.append(self)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            out.close()

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://{HOST}:{self.port}{path}"

    def query_target(self, text: str) -> str:
        """The GET path that sends ``text`` (plus any dataset parameters)."""
        params = [("query", text), *self.extra_params]
        return f"{self.query_path}?{urllib.parse.urlencode(params)}"

    @property
    def pid(self) -> int:
        """The process id, also the process group id (``start_new_session``)."""
        assert self.process is not None
        return self.process.pid

    def tail(self) -> str:
        """The end of the server's log (for error messages)."""
        if self.logfile is None or not self.logfile.exists():
            return ""
        return self.logfile.read_text(errors="replace")[-2000:]


def stop_all(servers: Sequence[Server], grace: float = 5.0) -> None:
    """SIGTERM every server's process group at once, SIGKILL what is left after ``grace``
    seconds (Virtuoso and uvicorn take ~10 s to stop), and reap them."""
    for server in servers:
        log(f"stop {server.name}")
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for server in servers:
        assert server.process is not None
        with suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=max(0.0, deadline - time.monotonic()))
    for server in servers:  # the leader, or children that outlived it
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        assert server.process is not None
        server.process.wait(timeout=10)
        RUNNING.remove(server)


def http_get(url: str, accept: str = "*/*", timeout: float = 30.0) -> tuple[int, bytes, str]:
    """One GET: (status, body, content type); raises OSError on connection failure."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers={"Accept": accept, "Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type", "")
    finally:
        conn.close()


def wait_ready(server: Server, path: str, timeout: float, accept: str = "*/*") -> None:
    """Poll ``path`` until it answers 200, the process dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited ({server.process.returncode}):\n{server.tail()}"
            )
        with suppress(OSError, http.client.HTTPException):
            if http_get(server.url(path), accept, timeout=2)[0] == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{server.name} not ready after {timeout} s:\n{server.tail()}")


def start_ours(cmd_template: str, extra: str, workdir: Path, name: str = "ours") -> Server:
    """Our server, from ``--ours-cmd`` (``{port}`` replaced) plus ``--ours-args``."""
    server = Server(name, free_port(), "/sparql")
    cmd = shlex.split(cmd_template.format(port=server.port)) + shlex.split(extra)
    server.start(cmd, ROOT, workdir)
    wait_ready(server, "/healthz", 60)
    return server


def constant_label(cmd_template: str) -> str:
    """The report's name for a constant-response stack: ``constant (<program>)``."""
    return f"constant ({Path(shlex.split(cmd_template)[0]).name})"


def start_constant(cmd_template: str, workdir: Path) -> Server:
    """The constant-response app (``bench/constant_app.py``) under one ``--constant-cmd``."""
    server = Server(constant_label(cmd_template), free_port(), "/")
    server.start(shlex.split(cmd_template.format(port=server.port)), BENCH, workdir)
    wait_ready(server, "/", 60)
    return server


def start_rdflib_endpoint(trig: Path, workdir: Path) -> Server:
    """rdflib-endpoint (its CLI: an rdflib Dataset with the union default graph) at ``/``."""
    server = Server("rdflib-endpoint", free_port(), "/")
    cmd = [str(VENV_BIN / "rdflib-endpoint"), "serve", "--host", HOST, "--port", str(server.port)]
    server.start([*cmd, str(trig)], ROOT, workdir)
    wait_ready(server, "/?" + urllib.parse.urlencode({"query": "ASK {}"}), 120, SELECT_ACCEPT)
    return server


#: The Virtuoso configuration the tests use too (placeholders for str.format).
VIRTUOSO_INI = (ROOT / "tests" / "virtuoso.ini").read_text(encoding="utf-8")


def start_virtuoso(
    trig: Path, graphs: Sequence[str], workdir: Path, connections: int = 20
) -> Server:
    """Virtuoso 7 on loopback, loaded from N-Quads; queries carry the dataset by protocol.

    Its default graph is not the union of our named graphs, so every query is sent with one
    ``default-graph-uri`` and one ``named-graph-uri`` per graph of ours (SPARQL 1.1 Protocol):
    the same dataset our engine answers over, without touching the query text.
    """
    import pyoxigraph as ox

    folder = workdir / "virtuoso"
    db, data = folder / "db", folder / "data"
    db.mkdir(parents=True)
    data.mkdir()
    quads = ox.parse(path=str(trig), format=ox.RdfFormat.TRIG)
    ox.serialize(quads, output=str(data / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            db=db,
            data=data,
            host=HOST,
            sql_port=sql_port,
            http_port=http_port,
            connections=connections,
        )
    )
    params = [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
    server = Server("virtuoso", http_port, "/sparql", params)
    server.start(["virtuoso-t", "+foreground", "+configfile", str(ini)], folder, workdir)
    isql = ["isql-vt", f"{HOST}:{sql_port}", "dba", "dba"]
    deadline = time.monotonic() + 120
    while True:
        assert server.process is not None
        if server.process.poll() is not None:
            raise RuntimeError(f"virtuoso exited:\n{server.tail()}")
        probe = subprocess.run([*isql, "exec=select 1;"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"virtuoso's SQL port not ready:\n{server.tail()}")
        time.sleep(0.5)
    load = f"ld_dir('{data}', '*.nq', 'urn:x-default'); rdf_loader_run(); checkpoint;"
    subprocess.run([*isql, f"exec={load}"], check=True, capture_output=True, timeout=300)
    wait_ready(server, "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), 60, SELECT_ACCEPT)
    return server


# --- the mix ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MixQuery:
    """One query of the mix: its name, text, kind and our engine's row count."""

    name: str
    text: str
    kind: str  # select | ask | graph
    rows: int

    @property
    def accept(self) -> str:
        """The Accept header for this query's kind."""
        return GRAPH_ACCEPT if self.kind == "graph" else SELECT_ACCEPT


def load_mix(selection: str) -> list[MixQuery]:
    """The named queries of the mix: ``all`` (every query without a required parameter) or a
    comma list of numbers/names; each with its row count from our in-process engine."""
    from dhs_ai_kg.engine import Engine
    from dhs_ai_kg.loading import load_dataset
    from dhs_ai_kg.named_queries import load_named_queries

    queries = load_named_queries(ROOT / "queries")
    free = {n: q for n, q in queries.items() if not any(p.required for p in q.parameters)}
    if selection == "all":
        chosen = list(free.values())
    else:
        chosen = []
        for key in selection.split(","):
            matches = [q for n, q in queries.items() if n == key or n.split("-", 1)[0] == key]
            if len(matches) != 1:
                sys.exit(f"--queries: {key!r} names no single query")
            if matches[0].name not in free:
                sys.exit(f"--queries: {matches[0].name} has a required parameter")
            chosen.append(matches[0])
    engine = Engine.from_dataset(load_dataset())
    mix = []
    for q in chosen:
        result = engine.query(q.text)
        mix.append(MixQuery(q.name, q.text, result.kind, result.count()))
    return mix


def count_rows(body: bytes, content_type: str, kind: str) -> int:
    """Rows of a SPARQL JSON result (1 for ASK), or triples of a Turtle answer."""
    if kind == "graph":
        from rdflib import Graph

        return len(Graph().parse(data=body, format="turtle"))
    data = json.loads(body)
    return 1 if "boolean" in data else len(data["results"]["bindings"])


def verify(server: Server, mix: Sequence[MixQuery]) -> list[str]:
    """Problems with ``server``'s answers: a status other than 200 or another row count."""
    problems = []
    for q in mix:
        try:
            status, body, ctype = http_get(server.url(server.query_target(q.text)), q.accept)
        except OSError as exc:
            problems.append(f"{server.name} {q.name}: {exc}")
            continue
        if status != 200:
            problems.append(f"{server.name} {q.name}: HTTP {status} {body[:200]!r}")
            continue
        try:
            rows = count_rows(body, ctype, q.kind)
        except Exception as exc:  # any unparsable answer is a problem to report
            problems.append(f"{server.name} {q.name}: unparsable answer ({exc})")
            continue
        if rows != q.rows:
            problems.append(f"{server.name} {q.name}: {rows} rows, ours {q.rows}")
    return problems


# --- wrk -------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    """One wrk run's figures."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors + responses with status >= 400
    requests: int


def run_wrk(
    server: Server, lines: Sequence[tuple[str, str]], args: argparse.Namespace, duration: float
) -> WrkResult:
    """wrk against ``server`` cycling through ``lines`` of (Accept, path)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.writelines(f"{accept}\t{path}\n" for accept, path in lines)
        requests_file = f.name
    try:
        cmd = [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA),
            server.url("/"),
            "--",
            requests_file,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(requests_file)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {done.stdout}\n{done.stderr}")
    d = json.loads(line.removeprefix("WRK_JSON "))
    errors = d["connect"] + d["read"] + d["write"] + d["status"] + d["timeout"]
    return WrkResult(
        rps=d["requests"] / (d["duration_us"] / 1e6),
        p50_ms=d["p50_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        errors=errors,
        requests=d["requests"],
    )


# --- the engine alone ------------------------------------------------------------------------


def engine_seconds(mix: Sequence[MixQuery], iterations: int) -> dict[str, float]:
    """Median seconds per query (run + serialize to the format the mix asks for), in-process,
    interleaving the queries; ``iterations`` samples each."""
    from dhs_ai_kg.engine import Engine
    from dhs_ai_kg.loading import load_dataset

    engine = Engine.from_dataset(load_dataset())
    fmt = {q.name: ("turtle" if q.kind == "graph" else "json") for q in mix}
    samples: dict[str, list[float]] = {q.name: [] for q in mix}
    for q in mix:  # warm-up
        engine.query(q.text).serialize(fmt[q.name])
    for i in range(iterations):
        order = mix[i % len(mix) :] + mix[: i % len(mix)]
        for q in order:
            start = time.perf_counter()
            engine.query(q.text).serialize(fmt[q.name])
            samples[q.name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


# --- slow clients ----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``inf`` entries count as failures)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def probe(server: Server, path: str, accept: str, timeout: float) -> float:
    """Seconds for one complete GET on a fresh connection (``inf`` on timeout/error/non-200)."""
    start = time.perf_counter()
    try:
        status, _, _ = http_get(server.url(path), accept, timeout)
    except (OSError, http.client.HTTPException):
        return float("inf")
    return time.perf_counter() - start if status == 200 else float("inf")


@contextmanager
def slow_clients(server: Server, idle: int, slow: int) -> Iterator[dict[str, int]]:
    """``idle`` connections that send nothing and ``slow`` ones sending one header byte per
    second, held open for the duration of the block; yields counters of their fate."""
    stats = {"opened": 0, "closed_by_server": 0}
    socks: list[socket.socket] = []
    stop = threading.Event()
    payload = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4096
    try:
        for _ in range(idle + slow):
            s = socket.create_connection((HOST, server.port), timeout=5)
            socks.append(s)
            stats["opened"] += 1
        slow_socks = socks[idle:]

        def drip() -> None:
            alive = set(range(len(slow_socks)))
            for step in range(len(payload)):
                if stop.wait(1.0):
                    return
                for k in list(alive):
                    try:
                        slow_socks[k].send(payload[step : step + 1])
                    except OSError:
                        alive.discard(k)
                        stats["closed_by_server"] += 1

        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        yield stats
    finally:
        stop.set()
        for s in socks:
            s.close()


def slow_client_check(
    server: Server, mix: Sequence[MixQuery], args: argparse.Namespace
) -> dict[str, object]:
    """p50/p99 of /healthz and mix-query probes sent every 100 ms while slow clients hold
    connections; each probe on its own thread and connection, ``--probe-timeout`` bounded."""
    results: dict[str, list[float]] = {"healthz": [], "query": []}
    lock = threading.Lock()

    def send(kind: str, path: str, accept: str) -> None:
        seconds = probe(server, path, accept, args.probe_timeout)
        with lock:
            results[kind].append(seconds)

    with slow_clients(server, args.idle, args.slow) as fate:
        time.sleep(1.0)
        threads = []
        count = round(args.slow_duration / 0.1)
        start = time.monotonic()
        for i in range(count):
            q = mix[i % len(mix)]
            for kind, path, accept in (
                ("healthz", "/healthz", "*/*"),
                ("query", server.query_target(q.text), q.accept),
            ):
                t = threading.Thread(target=send, args=(kind, path, accept), daemon=True)
                t.start()
                threads.append(t)
            time.sleep(max(0.0, start + (i + 1) * 0.1 - time.monotonic()))
        for t in threads:
            t.join(timeout=args.probe_timeout + 5)
        closed = fate["closed_by_server"]
    out: dict[str, object] = {"closed_by_server": closed}
    for kind, values in results.items():
        within = sum(1 for v in values if v <= 0.1)
        out[kind] = {
            "sent": len(values),
            "answered": sum(1 for v in values if v != float("inf")),
            "within_100ms": within,
            "p50_ms": percentile(values, 50) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
        }
    return out


# --- report ----------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    """Milliseconds for the table (``timeout`` for inf)."""
    return "timeout" if value == float("inf") else f"{value:.1f}"


def build_report(
    args: argparse.Namespace,
    mix: Sequence[MixQuery],
    runs: dict[str, list[WrkResult]],
    engine: list[dict[str, float]],
    problems: list[str],
    slow: dict[str, object] | None,
    commands: dict[str, str],
    load: tuple[float, float],
) -> str:
    """The Markdown report."""
    med = {name: statistics.median(r.rps for r in rs) for name, rs in runs.items()}
    lines = [
        f"# Serving benchmark, {datetime.date.today().isoformat()}",
        "",
        f"`bench/serving.py {' '.join(sys.argv[1:])}` — {os.cpu_count()} cores, wrk "
        f"{args.threads} threads x {args.connections} connections x {args.duration:g} s, "
        f"{args.rounds} rounds alternating the servers; medians over the rounds. "
        f"Load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after: above ~1 other "
        "processes shared the cores, so compare only the ratios inside this report.",
        "",
        f"Mix ({len(mix)} queries, GET, cycled): "
        + ", ".join(f"{q.name} ({q.rows} rows)" for q in mix),
        "",
        "Commands: " + "; ".join(f"{k}: `{v}`" for k, v in commands.items()),
        "",
        "| target | median req/s | p50 ms | p99 ms | errors | ours ÷ this | req/s per round |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rs in runs.items():
        ratio = med["ours mix"] / med[name] if "ours mix" in med and med[name] else float("nan")
        lines.append(
            f"| {name} | {med[name]:,.0f} | {statistics.median(r.p50_ms for r in rs):.2f} | "
            f"{statistics.median(r.p99_ms for r in rs):.2f} | {sum(r.errors for r in rs)} | "
            f"{ratio:.2f} | {', '.join(f'{r.rps:,.0f}' for r in rs)} |"
        )
    per_query = {q.name: statistics.median(e[q.name] for e in engine) for q in mix}
    engine_s = statistics.mean(per_query.values())
    cores = os.cpu_count() or 1
    lines += ["", "## Engine alone (in-process, query + serialize, median per query)", ""]
    lines += [f"- {name}: {s * 1000:.3f} ms" for name, s in per_query.items()]
    lines.append(f"- mean over the mix: **{engine_s * 1000:.3f} ms** per request")
    constants = [c for c in med if c.startswith("constant (")]
    ours_labels = [label for label in ("ours mix", "ours-nocache mix") if label in med]
    if constants and ours_labels:
        const = med[constants[0]]
        limit = 1 / (engine_s / cores + 1 / const)
        lines += [
            "",
            "## Combined limit",
            "",
            f"limit = 1 / (engine_s / cores + 1 / constant_rps) = 1 / ({engine_s * 1000:.3f} ms"
            f" / {cores} + 1 / {const:,.0f}) = **{limit:,.0f} req/s**, with the {constants[0]}"
            " stack.",
            "",
        ]
        for label in ours_labels:
            share = med[label] / limit
            lines.append(
                f"- {label}: {med[label]:,.0f} req/s = **{share:.0%} of the limit** (target ≥ 60%)"
            )
        for other in constants[1:]:
            alt = 1 / (engine_s / cores + 1 / med[other])
            shares = ", ".join(f"{label} {med[label] / alt:.0%}" for label in ours_labels)
            lines.append(f"- with the {other} stack instead: limit {alt:,.0f} req/s; {shares}")
    lines += ["", "## Targets (issue 6)", ""]
    for label in ours_labels:
        if "virtuoso mix" in med:
            x = med[label] / med["virtuoso mix"]
            lines.append(
                f"- {label}, canned mix ≥ 5x Virtuoso: {x:.2f}x — {'met' if x >= 5 else 'NOT met'}"
            )
        p99 = statistics.median(r.p99_ms for r in runs[label])
        lines.append(
            f"- {label}, p99 ≤ 10 ms at {args.connections} connections: {p99:.2f} ms — "
            f"{'met' if p99 <= 10 else 'NOT met'}"
        )
    errs = {n: sum(r.errors for r in rs) for n, rs in runs.items() if sum(r.errors for r in rs)}
    lines.append(f"- errors (socket or status ≥ 400) under wrk: {errs or 'none'}")
    if slow is not None:
        lines += [
            "",
            f"## Slow clients: {args.idle} idle + {args.slow} slowloris connections to ours",
            "",
            f"A probe every 100 ms for {args.slow_duration:g} s, each on a new connection, "
            f"timeout {args.probe_timeout:g} s; the slow connections the server closed: "
            f"{slow['closed_by_server']}.",
            "",
            "| probe | sent | answered | within 100 ms | p50 ms | p99 ms |",
            "|---|---|---|---|---|---|",
        ]
        for kind in ("healthz", "query"):
            s = slow[kind]
            assert isinstance(s, dict)
            lines.append(
                f"| {kind} | {s['sent']} | {s['answered']} | {s['within_100ms']} | "
                f"{fmt_ms(s['p50_ms'])} | {fmt_ms(s['p99_ms'])} |"
            )
        ok = all(
            isinstance(s, dict) and s["within_100ms"] == s["sent"]
            for s in (slow["healthz"], slow["query"])
        )
        lines.append("")
        lines.append(f"Target (every probe answered within 100 ms): {'met' if ok else 'NOT met'}.")
    lines += ["", "## Answer check (row counts against our engine, before timing)", ""]
    lines += [f"- !!!!! {p}" for p in problems] or ["- every server answered every query alike"]
    if problems:
        lines.append(
            "- a server's figures include its answers to the queries listed (errors are fast): "
            "its throughput is not for the same work"
        )
    return "\n".join(lines) + "\n"


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--rounds", type=int, default=3, help="rounds over the servers (default 3)")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument(
        "--queries",
        default=DEFAULT_QUERIES,
        help="the mix: comma list of query numbers, or 'all' (every query without a required "
        f"parameter); default {DEFAULT_QUERIES}",
    )
    p.add_argument(
        "--servers",
        default="ours,ours-nocache,virtuoso,rdflib-endpoint",
        help="comma list of ours, ours-nocache (ours with --answer-cache 0), virtuoso, "
        "rdflib-endpoint",
    )
    p.add_argument("--ours-cmd", default=DEFAULT_OURS_CMD, help="'{port}' is replaced")
    p.add_argument("--ours-args", default="", help="extra arguments appended to --ours-cmd")
    p.add_argument(
        "--constant-cmd",
        action="append",
        help="serves bench/constant_app.py (cwd bench/) on '{port}'; repeatable, the first "
        f"gives the limit; '' to skip (default: {DEFAULT_CONSTANT_CMD}, then "
        f"{GRANIAN_WSGI_CONSTANT_CMD})",
    )
    p.add_argument("--engine-iterations", type=int, default=200)
    p.add_argument("--idle", type=int, default=100, help="idle connections (slow-client check)")
    p.add_argument("--slow", type=int, default=100, help="slowloris connections")
    p.add_argument("--slow-duration", type=float, default=10, help="seconds of probes; 0 skips")
    p.add_argument("--probe-timeout", type=float, default=5.0)
    p.add_argument("--no-install", action="store_true", help="never install anything")
    p.add_argument(
        "--verify-only", action="store_true", help="start the servers, check answers, stop"
    )
    p.add_argument(
        "--output", type=Path, help="report file (default bench/results/<date>-serving.md)"
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the whole sitting; 1 when ours answered differently or had errors under wrk (a
    peer's differences are warnings, listed in the report)."""
    args = parse_args(argv)
    constant_cmds = [
        c
        for c in (args.constant_cmd or [DEFAULT_CONSTANT_CMD, GRANIAN_WSGI_CONSTANT_CMD])
        if c.strip()
    ]
    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = set(wanted) - {"ours", "ours-nocache", "virtuoso", "rdflib-endpoint"}
    if unknown:
        sys.exit(f"--servers: unknown {', '.join(sorted(unknown))}")
    if not args.no_install:
        ensure_tools("virtuoso" in wanted, "rdflib-endpoint" in wanted, constant_cmds)
    trig = ROOT / "data" / "dataset.trig"
    mix = load_mix(args.queries)
    log("mix: " + ", ".join(f"{q.name} ({q.rows})" for q in mix))

    import pyoxigraph as ox

    graphs = sorted(
        {
            q.graph_name.value
            for q in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG)
            if isinstance(q.graph_name, ox.NamedNode)
        }
    )
    servers: dict[str, Server] = {}
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    workdir = Path(tempfile.mkdtemp(prefix="dhs-serving-"))
    try:
        starters: dict[str, Callable[[], Server]] = {
            "ours": lambda: start_ours(args.ours_cmd, args.ours_args, workdir),
            "ours-nocache": lambda: start_ours(
                args.ours_cmd,
                f"{args.ours_args} --answer-cache 0 --response-cache 0",
                workdir,
                "ours-nocache",
            ),
            "virtuoso": lambda: start_virtuoso(trig, graphs, workdir),
            "rdflib-endpoint": lambda: start_rdflib_endpoint(trig, workdir),
        }
        commands = {
            "ours": args.ours_cmd + (f" {args.ours_args}" if args.ours_args else ""),
            "ours-nocache": f"{args.ours_cmd} {args.ours_args} --answer-cache 0 "
            "--response-cache 0".strip(),
        }
        for name in wanted:
            servers[name] = starters[name]()
        for cmd in constant_cmds:
            constant = start_constant(cmd, workdir)
            servers[constant.name] = constant
            commands[constant.name] = cmd
        problems = []
        for name in wanted:
            problems += verify(servers[name], mix)
        for p in problems:
            log(f"!!!!! ANSWER MISMATCH {p}")
        if args.verify_only:
            return 1 if problems else 0
        load_before = os.getloadavg()

        targets: dict[str, tuple[Server, list[tuple[str, str]]]] = {}
        for name in wanted:
            s = servers[name]
            targets[f"{name} mix"] = (s, [(q.accept, s.query_target(q.text)) for q in mix])
        if "ours" in servers:
            targets["ours /healthz"] = (servers["ours"], [("*/*", "/healthz")])
        for name, server in servers.items():
            if name.startswith("constant ("):
                targets[name] = (server, [("*/*", "/")])
        for label, (server, lines) in targets.items():
            log(f"warm-up {label}")
            run_wrk(server, lines, args, 1)
        runs: dict[str, list[WrkResult]] = {label: [] for label in targets}
        engine: list[dict[str, float]] = []
        labels = list(targets)
        for r in range(args.rounds):
            order = labels[r % len(labels) :] + labels[: r % len(labels)]
            for label in order:
                server, lines = targets[label]
                result = run_wrk(server, lines, args, args.duration)
                runs[label].append(result)
                log(
                    f"round {r + 1} {label}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} "
                    f"ms, p99 {result.p99_ms:.2f} ms, errors {result.errors}"
                )
            engine.append(engine_seconds(mix, args.engine_iterations))
            log(f"round {r + 1} engine: {statistics.mean(engine[-1].values()) * 1000:.3f} ms/query")
        slow = None
        if "ours" in servers and args.slow_duration > 0:
            log(f"slow-client check: {args.idle} idle + {args.slow} slow connections")
            slow = slow_client_check(servers["ours"], mix, args)
        load = (load_before[0], os.getloadavg()[0])
        report = build_report(args, mix, runs, engine, problems, slow, commands, load)
    finally:
        stop_all(list(RUNNING))
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(workdir, ignore_errors=True)
    out = args.output or BENCH / "results" / f"{datetime.date.today().isoformat()}-serving.md"
    out.write_text(report)
    print(report)
    log(f"report written to {out}")
    ours_failed = any(p.startswith("ours ") for p in problems) or any(
        r.errors for label, rs in runs.items() if label.startswith("ours") for r in rs
    )
    return 1 if ours_failed else 0


if __name__ == "__main__":
    sys.exit(main())
