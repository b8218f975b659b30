"""Our endpoint against its peers, in one run: same data, same queries, answers checked.

Run from the repository root (see bench/README.md, "Peers"):

    .venv/bin/python bench/peers.py

It installs what is missing (as root: wrk, Virtuoso, Jena from apt; rdflib-endpoint, the
Oxigraph server and matplotlib into the venv), starts on 127.0.0.1, each on a free port and in
its own process group, our server exactly as ``dhs-ai-kg serve`` runs it (plus the same with
its caches off), Virtuoso 7 bulk-loaded from ``data/dataset.trig``, rdflib-endpoint over that
file, an Oxigraph server loaded from it, and the constant-response app behind our HTTP stack.
Every named query (``queries/*.rq``, parameters bound in its text with the real values of
``bench/queries/peers-bindings.json``) is sent to every server, and each answer is compared
with our embedded engine's as a result set (or graph) before and after the load runs; Jena's
``arq`` (in-process, no server) answers them too, for correctness only. Then wrk drives each
server with the mix and with each query alone at every ``--connections`` count, for
``--rounds`` rounds alternating the servers, sampling the peak RSS of each server's process
tree. The report (medians, ratios ours ÷ peer, the combined limit) goes to ``docs/benchmark.md``
with a plot beside it (``docs/benchmark.svg``). Servers are killed on exit, error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT / "tests")]

import answers  # noqa: E402  (tests/answers.py: result sets made comparable across engines)
import serving  # noqa: E402  (servers, process groups, wrk plumbing)
from serving import HOST, RUNNING, Server, log  # noqa: E402

VENV_BIN = Path(sys.executable).parent
LUA = BENCH / "wrk" / "checked.lua"
TRIG = ROOT / "data" / "dataset.trig"
BINDINGS = BENCH / "queries" / "peers-bindings.json"
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"
PEERS = ("ours", "ours-nocache", "virtuoso", "rdflib-endpoint", "oxigraph")
CONSTANT = "constant (our stack)"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


# --- the queries and the right answers -------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One named query bound with real values, and our embedded engine's answer to it."""

    name: str
    text: str
    kind: str  # select | ask | graph
    ordered: bool
    want: object  # Counter of rows, bool, or an rdflib Graph
    want_order: tuple[answers.Row, ...]
    size: int
    #: The text a store without our statistics graph is sent (query 13: the live aggregate).
    peer_text: str = ""

    def text_for(self, server: str) -> str:
        """The text ``server`` is sent: ours the named query, a peer :attr:`peer_text`."""
        return self.text if server.startswith("ours") or not self.peer_text else self.peer_text

    @property
    def accept(self) -> str:
        """The Accept header every server gets for this query."""
        return GRAPH_ACCEPT if self.kind == "graph" else SELECT_ACCEPT


def load_queries(selection: str) -> list[Query]:
    """The named queries (``all`` or a comma list of numbers), bound with the values of
    ``peers-bindings.json``, each with our embedded engine's answer; exits when a value is
    not a term of the data or a bound query answers nothing."""
    from dhs_ai_kg.engine import Engine
    from dhs_ai_kg.loading import load_dataset
    from dhs_ai_kg.named_queries import load_named_queries
    from dhs_ai_kg.stats import peer_text

    values = {
        k: v for k, v in json.loads(BINDINGS.read_text("utf-8")).items() if not k.startswith("_")
    }
    import pyoxigraph as ox

    terms = {
        t.value
        for quad in ox.parse(path=str(TRIG), format=ox.RdfFormat.TRIG)
        for t in (quad.subject, quad.predicate, quad.object)
        if isinstance(t, ox.NamedNode)
    }
    for name, value in values.items():
        if value.strip("<>") not in terms:
            sys.exit(f"{BINDINGS.name}: ?{name} = {value} is no IRI of {TRIG.name}")
    named = load_named_queries(ROOT / "queries")
    if selection != "all":
        keys = [k.strip() for k in selection.split(",") if k.strip()]
        picked = {n: q for n, q in named.items() if n.split("-", 1)[0] in keys or n in keys}
        if len(picked) != len(keys):
            sys.exit(f"--queries: {selection!r} does not name {len(keys)} queries")
        named = picked
    engine = Engine.from_dataset(load_dataset())
    out = []
    for name, q in named.items():
        text = q.bound_text({p.name: values[p.name] for p in q.parameters})
        result = engine.query(text)
        body = result.serialize("ntriples" if result.kind == "graph" else "json")
        want, order = parse_answer(result.kind, body, "application/n-triples")
        size = len(want) if result.kind == "graph" else sum(want.values())  # type: ignore[attr-defined]
        if result.kind != "ask" and size == 0:
            sys.exit(f"{name}: no answer with the values of {BINDINGS.name}")
        ordered = re.search(r"^ORDER BY\b", text, re.MULTILINE) is not None
        peer = peer_text(name, text)
        out.append(Query(name, text, result.kind, ordered, want, order, size, peer))
    return out


def parse_answer(kind: str, body: bytes | str, content_type: str) -> tuple[object, tuple]:
    """An answer made comparable: (result set | boolean | graph, rows in the answer's order)."""
    if kind == "graph":
        from rdflib import Graph

        fmt = "turtle" if "turtle" in content_type else "nt"
        nt = Graph().parse(data=body, format=fmt).serialize(format="nt")
        return answers.graph_of(nt), ()
    data = json.loads(body)
    if kind == "ask":
        return bool(data["boolean"]), ()
    rows = answers.result_rows(data)
    return answers.Counter(rows), tuple(rows)


def judge(q: Query, status: int, body: bytes | str, content_type: str) -> str:
    """'' when the answer is the right one, else what is wrong with it."""
    if status != 200:
        return f"HTTP {status}: {bytes(body[:120]) if isinstance(body, bytes) else body[:120]!r}"
    try:
        got, order = parse_answer(q.kind, body, content_type)
    except Exception as exc:  # any answer we cannot read is a wrong answer
        return f"unreadable answer ({type(exc).__name__}: {str(exc)[:100]})"
    if q.kind == "graph":
        if not answers.same_graph(got, q.want):  # type: ignore[arg-type]
            return f"another graph ({len(got)} triples, ours {q.size})"  # type: ignore[arg-type]
        return ""
    if got != q.want:
        if q.kind == "ask":
            return f"{got}, ours {q.want}"
        return answers.difference(q.want, got, shown=1).replace("\n", "; ")  # type: ignore[arg-type]
    if q.ordered and order != q.want_order:
        return "the rows in another order (the query has a total ORDER BY)"
    return ""


def check_server(server: Server, queries: Sequence[Query]) -> dict[str, str]:
    """Each query's verdict on ``server`` ('' = the right answer)."""
    verdicts = {}
    for q in queries:
        try:
            status, body, ctype = serving.http_get(
                server.url(server.query_target(q.text_for(server.name))), q.accept, timeout=60
            )
        except OSError as exc:
            verdicts[q.name] = f"no answer ({exc})"
            continue
        verdicts[q.name] = judge(q, status, body, ctype)
    return verdicts


# --- Jena arq (in-process, correctness only) -------------------------------------------------


def jena_classpath(workdir: Path) -> str:
    """Debian's Jena jars on a classpath that starts (the Xerces fix of tests/stores.py)."""
    import stores  # tests/stores.py: the jar list and the location of the bundles to copy

    core = stores.JAVA_DIR / "jena-core.jar"
    fix = workdir / "jena-xerces-fix.jar"
    with zipfile.ZipFile(core) as source, zipfile.ZipFile(fix, "w") as out:
        for name in source.namelist():
            if name.startswith(stores._XERCES) and name.endswith(".properties"):
                out.writestr("xerces/" + name[len(stores._XERCES) :], source.read(name))
    jars = [fix, *(stores.JAVA_DIR / f"{n}.jar" for n in stores.JENA_JARS)]
    return os.pathsep.join(str(j) for j in jars)


def check_jena(queries: Sequence[Query], workdir: Path) -> dict[str, str]:
    """Each query's verdict on ``arq.sparql --data dataset.trig`` (one JVM per query)."""
    classpath = jena_classpath(workdir)

    def run(q: Query) -> str:
        path = workdir / f"{q.name}.rq"
        path.write_text(q.text_for("jena"), encoding="utf-8")
        fmt = "NT" if q.kind == "graph" else "json"
        cmd = ["java", "-cp", classpath, "arq.sparql", "--data", str(TRIG), "--query", str(path)]
        done = subprocess.run([*cmd, "--results", fmt], capture_output=True, timeout=300)
        if done.returncode != 0:
            return f"arq exited {done.returncode}: {done.stderr[-200:]!r}"
        return judge(q, 200, done.stdout, "application/n-triples")

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip((q.name for q in queries), pool.map(run, queries), strict=True))


# --- servers ---------------------------------------------------------------------------------


def start_oxigraph(workdir: Path) -> Server:
    """The Oxigraph server (PyPI ``oxigraph``), read-only over a store loaded from the TriG."""
    folder = workdir / "oxigraph"
    exe = str(VENV_BIN / "oxigraph")
    subprocess.run(
        [exe, "load", "--location", str(folder), "--file", str(TRIG)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    server = Server("oxigraph", serving.free_port(), "/query")
    bind = f"{HOST}:{server.port}"
    server.start([exe, "serve-read-only", "--location", str(folder), "--bind", bind], ROOT, workdir)
    serving.wait_ready(server, server.query_target("ASK {}"), 60, SELECT_ACCEPT)
    return server


def start_command(name: str, template: str, workdir: Path) -> Server:
    """Any other SPARQL server given as ``--peer NAME=CMD`` (``{port}`` replaced; queries at
    ``/sparql``)."""
    server = Server(name, serving.free_port(), "/sparql")
    server.start(shlex.split(template.format(port=server.port)), ROOT, workdir)
    serving.wait_ready(server, server.query_target("ASK {}"), 60, SELECT_ACCEPT)
    return server


def ensure_tools(wanted: Sequence[str], jena: bool) -> None:
    """Install what the run needs when missing: apt packages as root, pip packages into the
    venv (idempotent); exits with the command when not root."""
    apt = [] if shutil.which("wrk") else ["wrk"]
    if "virtuoso" in wanted and not (shutil.which("virtuoso-t") and shutil.which("isql-vt")):
        apt.append("virtuoso-opensource")
    if jena and not Path("/usr/share/java/jena-arq.jar").exists():
        apt.append("libapache-jena-java")
    if jena and not shutil.which("java"):
        apt.append("default-jre-headless")
    if apt:
        if os.geteuid() != 0:
            sys.exit(f"missing {', '.join(apt)}: run `sudo apt-get install -y {' '.join(apt)}`")
        log(f"apt-get install -y {' '.join(apt)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=900)
        subprocess.run(["apt-get", "install", "-y", "-q", *apt], check=True, env=env, timeout=900)
    pip = []
    if "rdflib-endpoint" in wanted and not (VENV_BIN / "rdflib-endpoint").exists():
        pip.append("rdflib-endpoint[cli]")
    if "oxigraph" in wanted and not (VENV_BIN / "oxigraph").exists():
        pip.append("oxigraph")
    if importlib.util.find_spec("matplotlib") is None:
        pip.append("matplotlib")
    if pip:
        log(f"pip install {' '.join(pip)}")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *pip], check=True)


# --- measuring -------------------------------------------------------------------------------


def tree_stats(pgid: int) -> tuple[int, float]:
    """(RSS bytes, CPU seconds) summed over the live processes of process group ``pgid``."""
    rss, cpu = 0, 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            rss += int(fields[21]) * PAGE
            cpu += (int(fields[11]) + int(fields[12])) / TICK
    return rss, cpu


class PeakSampler:
    """Samples a process group's RSS every ``interval`` s in a thread; ``peak`` is the most."""

    def __init__(self, pgid: int, interval: float = 0.1) -> None:
        self.pgid, self.interval, self.peak = pgid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, tree_stats(self.pgid)[0])
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    """One wrk run against one server."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors, timeouts and responses whose status is not 2xx
    requests: int
    peak_rss: int  # bytes, the server's process tree
    server_cpu: float  # CPU seconds of the server's process tree during the run
    wrk_cpu: float  # CPU seconds of wrk
    seconds: float
    settle: float = 0.0  # seconds the server kept busy after wrk stopped


def run_wrk(
    server: Server, lines: Sequence[tuple[str, str]], connections: int, threads: int, dur: float
) -> Run:
    """wrk against ``server`` cycling through ``lines`` of (Accept, path), with the server's
    peak RSS and CPU and wrk's CPU during the run."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.writelines(f"{accept}\t{path}\n" for accept, path in lines)
        requests_file = f.name
    cmd = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}"]
    cmd += [f"-d{max(1, round(dur))}s", "--timeout", "5s", "-s", str(LUA), server.url("/")]
    try:
        before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_before = tree_stats(server.pid)[1]
        start = time.monotonic()
        with PeakSampler(server.pid) as sampler:
            done = subprocess.run(
                [*cmd, "--", requests_file], capture_output=True, text=True, timeout=dur + 60
            )
        seconds = time.monotonic() - start
        cpu_after = tree_stats(server.pid)[1]
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        os.unlink(requests_file)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {done.stdout}\n{done.stderr}")
    d = json.loads(line.removeprefix("WRK_JSON "))
    return Run(
        rps=d["requests"] / (d["duration_us"] / 1e6),
        p50_ms=d["p50_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        errors=d["connect"] + d["read"] + d["write"] + d["timeout"] + d["non2xx"],
        requests=d["requests"],
        peak_rss=sampler.peak,
        server_cpu=cpu_after - cpu_before,
        wrk_cpu=(after_children.ru_utime + after_children.ru_stime)
        - (before_children.ru_utime + before_children.ru_stime),
        seconds=seconds,
    )


def settle(server: Server, most: float, quiet: float = 0.05) -> float:
    """Wait until ``server``'s process tree is idle (under ``quiet`` of a core over 0.25 s),
    at most ``most`` seconds; the seconds waited. A server that keeps computing answers wrk
    has stopped waiting for (rdflib-endpoint does) would otherwise steal the next run's CPU."""
    start = time.monotonic()
    before = tree_stats(server.pid)[1]
    while time.monotonic() - start < most:
        time.sleep(0.25)
        now = tree_stats(server.pid)[1]
        if now - before < quiet * 0.25:
            break
        before = now
    return time.monotonic() - start


def engine_seconds(queries: Sequence[Query], iterations: int) -> dict[str, float]:
    """Median in-process seconds per query (run + serialize to the format asked over HTTP),
    the queries interleaved and rotated; ``iterations`` samples each."""
    from dhs_ai_kg.engine import Engine
    from dhs_ai_kg.loading import load_dataset

    engine = Engine.from_dataset(load_dataset())
    fmt = {q.name: ("ntriples" if q.kind == "graph" else "json") for q in queries}
    samples: dict[str, list[float]] = {q.name: [] for q in queries}
    for q in queries:
        engine.query(q.text).serialize(fmt[q.name])
    for i in range(iterations):
        for q in [*queries[i % len(queries) :], *queries[: i % len(queries)]]:
            start = time.perf_counter()
            engine.query(q.text).serialize(fmt[q.name])
            samples[q.name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


# --- the machine and the versions ------------------------------------------------------------


def _out(cmd: Sequence[str]) -> str:
    try:
        done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout + done.stderr).strip()


def _dist(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _deb(package: str) -> str:
    return _out(["dpkg-query", "-W", "-f", "${Version}", package]) or "not installed"


def machine() -> dict[str, str]:
    """Cores, RAM, CPU, OS of this machine."""
    meminfo = Path("/proc/meminfo").read_text()
    kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    osr = Path("/etc/os-release").read_text() if Path("/etc/os-release").exists() else ""
    pretty = re.search(r'PRETTY_NAME="([^"]+)"', osr)
    return {
        "cores": str(os.cpu_count()),
        "RAM": f"{kb / 1024 / 1024:.1f} GiB",
        "CPU": model.group(1) if model else platform.processor(),
        "OS": f"{pretty.group(1) if pretty else platform.system()}, Linux {platform.release()}",
    }


def versions(wanted: Sequence[str], jena: bool) -> dict[str, str]:
    """The version of every program in the run."""
    commit = _out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    found = {
        "ours (dhs-ai-kg)": f"{_dist('dhs-ai-kg')} (commit {commit}); granian "
        f"{_dist('granian')}, Flask {_dist('flask')}, pyoxigraph {_dist('pyoxigraph')}",
        "wrk": _out(["wrk", "-v"]).splitlines()[0].split(" [")[0].removeprefix("wrk ")
        if shutil.which("wrk")
        else "",
        "Python": platform.python_version(),
    }
    if "virtuoso" in wanted:
        found["Virtuoso"] = "virtuoso-opensource " + _deb("virtuoso-opensource")
    if "rdflib-endpoint" in wanted:
        found["rdflib-endpoint"] = f"{_dist('rdflib-endpoint')} (rdflib {_dist('rdflib')})"
    if "oxigraph" in wanted:
        found["Oxigraph server"] = _out([str(VENV_BIN / "oxigraph"), "--version"])
    if jena:
        found["Jena arq"] = "libapache-jena-java " + _deb("libapache-jena-java")
        found["Java"] = _out(["java", "-version"]).splitlines()[0]
    return found


# --- the report ------------------------------------------------------------------------------

Key = tuple[str, str, int]  # (server, query name or "mix", connections)


def med(runs: Sequence[Run], attr: str) -> float:
    """The median of one figure over the rounds."""
    return statistics.median(getattr(r, attr) for r in runs)


def wrong_of(server: str, verdicts: dict[str, dict[str, dict[str, str]]]) -> dict[str, str]:
    """The queries ``server`` answered wrongly (before or after the load), with why."""
    out = {}
    for phase in ("before", "after"):
        for query, why in verdicts.get(phase, {}).get(server, {}).items():
            if why and query not in out:
                out[query] = f"{phase}: {why}"
    return out


def build_report(
    args: argparse.Namespace,
    queries: Sequence[Query],
    servers: Sequence[str],
    runs: dict[Key, list[Run]],
    engine: list[dict[str, float]],
    verdicts: dict[str, dict[str, dict[str, str]]],
    jena: dict[str, str] | None,
    info: dict[str, dict[str, str]],
    load: tuple[float, float],
    plot_name: str,
) -> str:
    """The Markdown report."""
    cores = os.cpu_count() or 1
    conns = args.conn_list
    wrong = {s: wrong_of(s, verdicts) for s in servers}
    per_query = {q.name: statistics.median(e[q.name] for e in engine) for q in queries}
    engine_s = statistics.mean(per_query.values())

    def limit(seconds: float, c: int) -> float:
        const = runs.get((CONSTANT, "mix", c))
        if not const:
            return float("nan")
        return 1 / (seconds / min(c, cores) + 1 / med(const, "rps"))

    def lat(rs: Sequence[Run]) -> str:
        """The p50 and p99 cells; dashes when no request completed in any round."""
        done = [r for r in rs if r.requests]
        if not done:
            return "— | —"
        return f"{med(done, 'p50_ms'):.2f} | {med(done, 'p99_ms'):.2f}"

    def rps_cell(server: str, query: str, c: int) -> str:
        rs = runs[(server, query, c)]
        bad = (
            wrong[server]
            if query == "mix"
            else {k: v for k, v in wrong[server].items() if k == query}
        )
        return "WRONG" if bad else f"{med(rs, 'rps'):,.0f}"

    def ratio(server: str, query: str, c: int) -> str:
        if server == "ours" or "ours" not in servers:
            return ""
        names = {query} if query != "mix" else {q.name for q in queries}
        if any(n in wrong["ours"] or n in wrong[server] for n in names):
            return "—"
        theirs = med(runs[(server, query, c)], "rps")
        return f"{med(runs[('ours', query, c)], 'rps') / theirs:.2f}" if theirs else "n/a"

    now = datetime.datetime.now().astimezone()
    lines = [
        "# Against the peers: one run, same data, same queries",
        "",
        f"Date: {now:%Y-%m-%d %H:%M %Z}. Command (from the repository root):",
        "",
        "```sh",
        f".venv/bin/python bench/peers.py {shlex.join(sys.argv[1:])}".rstrip(),
        "```",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in info["machine"].items()) + ". "
        f"Load average (1 min) {load[0]:.1f} before the load runs, {load[1]:.1f} after"
        + (f". {args.note}" if args.note else "."),
        "",
        "Versions: " + "; ".join(f"{k} {v}" for k, v in info["versions"].items()) + ".",
        "",
        f"wrk: {args.threads} threads (at most one per connection), {args.duration:g} s per mix "
        f"run and {args.query_duration:g} s per single-query run, at {', '.join(map(str, conns))}"
        f" connections; {args.rounds} rounds, each running every server in turn (the order "
        "rotated each round); figures are medians over the rounds. Errors: socket errors, "
        "timeouts (5 s) and every response whose status is not 2xx, summed over the rounds. "
        "Memory: the peak RSS of the server's whole process tree (its process group), sampled "
        "every 0.1 s during the runs. After each run the next waits until the server's "
        f"processes are idle (at most {args.settle:g} s; 'busy after' is the longest wait): "
        "a server that goes on computing answers nobody waits for any more would otherwise "
        "slow the next server's run. p50/p99 are over completed requests (— when none "
        "completed).",
        "",
        f"The queries: every named query of `queries/` ({len(queries)}), parameters written "
        "into the text with the values of `bench/queries/peers-bindings.json` (terms of the "
        "data); the same GET `?query=` text to every server, `Accept: "
        f"{SELECT_ACCEPT}` (`{GRAPH_ACCEPT}` for CONSTRUCT). Each answer is compared with our "
        "embedded engine's as a result set (a graph for CONSTRUCT, the row order too where the "
        "query has an `ORDER BY`), before and after the load runs; a server's figures for a "
        "query it answers wrongly are shown as WRONG, not as a speed.",
        "",
        "Servers: " + "; ".join(f"{k}: `{v}`" for k, v in info["commands"].items()) + ".",
        "",
        f"![requests/s and p99 by connections]({plot_name})",
        "",
        "## The mix (every query in turn)",
        "",
        "| server | conns | req/s | p50 ms | p99 ms | errors | peak RSS MB | ours ÷ this | "
        "busy after s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in conns:
        for s in servers:
            rs = runs[(s, "mix", c)]
            lines.append(
                f"| {s} | {c} | {rps_cell(s, 'mix', c)} | {lat(rs)} | "
                f"{sum(r.errors for r in rs)} | {max(r.peak_rss for r in rs) / 2**20:.0f} | "
                f"{ratio(s, 'mix', c)} | {max(r.settle for r in rs):.1f} |"
            )
        lim = limit(engine_s, c)
        lines.append(f"| **limit** | {c} | **{lim:,.0f}** | | | | | | |")
    lines += [
        "",
        "## The limit",
        "",
        "What a server with no cost of its own beyond our HTTP front could do here: "
        "`limit = 1 / (engine_s / min(conns, cores) + 1 / constant_rps)`, where `engine_s` is "
        "our embedded engine's in-process time for the query (run + serialize to the format "
        f"asked; median of {args.engine_iterations} samples per round, median over rounds) and "
        "`constant_rps` the req/s of a constant response behind our whole HTTP stack "
        "(`bench/constant_front.py`: granian → our ASGI front → a thread → Flask) at the same "
        "connections. The engine's work spreads over at most one core per connection. "
        "`ours` runs as in production, with its answer and response caches, which answer a "
        "repeated query from memory without running it: it can pass the limit. `ours-nocache` "
        "runs every query, so its share of the limit is the meaningful one.",
        "",
        "| conns | engine ms (mix mean) | constant req/s | limit req/s | ours | ours ÷ limit |"
        " ours-nocache ÷ limit |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in conns:
        const = runs.get((CONSTANT, "mix", c))
        lim = limit(engine_s, c)
        shares = [
            f"{med(runs[(s, 'mix', c)], 'rps') / lim:.0%}" if s in servers else ""
            for s in ("ours", "ours-nocache")
        ]
        ours_rps = f"{med(runs[('ours', 'mix', c)], 'rps'):,.0f}" if "ours" in servers else ""
        const_rps = f"{med(const, 'rps'):,.0f}" if const else ""
        lines.append(
            f"| {c} | {engine_s * 1000:.3f} | {const_rps} | {lim:,.0f} | {ours_rps} | "
            f"{shares[0]} | {shares[1]} |"
        )
    lines += [
        "",
        "Where the time goes, per request of the mix (medians over rounds): CPU of the server's "
        "process tree and of wrk, and how busy the machine's cores were in all "
        f"({cores} cores x run time):",
        "",
        "| server | conns | server CPU ms/req | wrk CPU ms/req | server + wrk CPU ÷ cores |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in [*servers, CONSTANT]:
        for c in conns:
            rs = runs.get((s, "mix", c))
            if not rs:
                continue
            srv = statistics.median(r.server_cpu / max(r.requests, 1) for r in rs) * 1000
            gen = statistics.median(r.wrk_cpu / max(r.requests, 1) for r in rs) * 1000
            busy = statistics.median((r.server_cpu + r.wrk_cpu) / (cores * r.seconds) for r in rs)
            lines.append(f"| {s} | {c} | {srv:.3f} | {gen:.3f} | {busy:.0%} |")
    lines += ["", "## Each query alone", ""]
    peers = [s for s in servers if s != "ours"]
    if "ours" in servers and peers:
        lines += [
            f"Ours ÷ peer, req/s, at {max(args.query_conn_list)} connections (— where an answer "
            "was wrong):",
            "",
            "| query | engine ms | " + " | ".join(peers) + " |",
            "|---|---:|" + "---:|" * len(peers),
        ]
        c = max(args.query_conn_list)
        for q in queries:
            cells = [ratio(s, q.name, c) for s in peers]
            lines.append(
                f"| {q.name} | {per_query[q.name] * 1000:.3f} | " + " | ".join(cells) + " |"
            )
        lines.append("")
    lines += [
        "| query | conns | server | req/s | p50 ms | p99 ms | errors | peak RSS MB | "
        "ours ÷ this | limit req/s |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for q in queries:
        for c in args.query_conn_list:
            lim = limit(per_query[q.name], c)
            for s in servers:
                rs = runs[(s, q.name, c)]
                lines.append(
                    f"| {q.name} | {c} | {s} | {rps_cell(s, q.name, c)} | {lat(rs)} | "
                    f"{sum(r.errors for r in rs)} | {max(r.peak_rss for r in rs) / 2**20:.0f} | "
                    f"{ratio(s, q.name, c)} | {lim:,.0f} |"
                )
    lines += ["", "## Answers", ""]
    checked = [*servers, *(["jena arq"] if jena is not None else [])]
    lines += [
        "Each server's answer to each query compared with our embedded engine's, before and "
        "after the load runs (Jena's `arq.sparql --data dataset.trig`, in-process, once): "
        "ok, or what differs.",
        "",
        "| query | rows | " + " | ".join(checked) + " |",
        "|---|---:|" + "---|" * len(checked),
    ]
    for q in queries:
        cells = []
        for s in servers:
            why = wrong[s].get(q.name, "")
            cells.append("ok" if not why else "**WRONG** " + why.replace("|", "\\|")[:160])
        if jena is not None:
            why = jena.get(q.name, "")
            cells.append("ok" if not why else "**WRONG** " + why.replace("|", "\\|")[:160])
        lines.append(f"| {q.name} | {q.size} | " + " | ".join(cells) + " |")
    lines += ["", "## Not in this run", ""]
    lines += [f"- {x}" for x in NOT_RUN]
    return "\n".join(lines) + "\n"


#: Peers looked for and why they are not in the run (checked on this machine).
NOT_RUN = (
    "Fuseki: Debian's `libapache-jena-java` ships Jena's jars without Fuseki (no "
    "`jena-fuseki*` jar), there is no Debian or npm package of it, and Maven is not reachable "
    "from here; Jena answers for correctness only, through `arq`.",
    "Oxigraph built from source (`cargo install oxigraph-cli`): crates.io is not reachable; the "
    "PyPI package `oxigraph` ships the same server, prebuilt, and is in the run.",
)


def plot(
    path: Path,
    servers: Sequence[str],
    conns: Sequence[int],
    runs: dict[Key, list[Run]],
    limits: dict[int, float],
    wrong: dict[str, dict[str, str]],
) -> None:
    """An SVG: the mix's req/s and p99 per server by connections, the limit as a line."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "dhs-ai-kg-peers"
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for s in servers:
        if wrong[s]:
            continue
        left.plot(conns, [med(runs[(s, "mix", c)], "rps") for c in conns], marker="o", label=s)
        right.plot(conns, [med(runs[(s, "mix", c)], "p99_ms") for c in conns], marker="o")
    if limits:
        left.plot(conns, [limits[c] for c in conns], "k--", label="limit")
    for ax, title in ((left, "mix: requests/s (median)"), (right, "mix: p99 latency, ms")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(list(conns), [str(c) for c in conns])
        ax.set_xlabel("connections")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="rounds over the servers (default 3)")
    p.add_argument("--duration", type=float, default=10, help="seconds per mix run (default 10)")
    p.add_argument(
        "--query-duration", type=float, default=2, help="seconds per single-query run (default 2)"
    )
    p.add_argument("--connections", default="1,8,32", help="comma list (default 1,8,32)")
    p.add_argument(
        "--query-connections",
        default="",
        help="connection counts at which each query also runs alone (default: all)",
    )
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--warmup", type=float, default=1, help="seconds of wrk per server first")
    p.add_argument("--queries", default="all", help="'all' (default) or a comma list: 01,14")
    p.add_argument("--servers", default=",".join(PEERS), help=f"comma list of {', '.join(PEERS)}")
    p.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="NAME=CMD",
        help="another SPARQL server: CMD ('{port}' replaced) serves queries at /sparql",
    )
    p.add_argument("--no-jena", action="store_true", help="skip Jena arq's answers")
    p.add_argument(
        "--settle",
        type=float,
        default=60,
        help="after each run, wait up to this many seconds for the server to go idle",
    )
    p.add_argument("--engine-iterations", type=int, default=100)
    p.add_argument("--note", default="", help="a sentence on the machine's state, for the report")
    p.add_argument("--no-install", action="store_true", help="never install anything")
    p.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmark.md")
    args = p.parse_args(argv)
    args.conn_list = [int(c) for c in args.connections.split(",") if c.strip()]
    qc = args.query_connections or args.connections
    args.query_conn_list = [int(c) for c in qc.split(",") if c.strip()]
    if not set(args.query_conn_list) <= set(args.conn_list):
        p.error("--query-connections must be among --connections")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """The whole run; 1 when ours answered a query wrongly or had errors under wrk."""
    args = parse_args(argv)
    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = set(wanted) - set(PEERS)
    if unknown:
        sys.exit(f"--servers: unknown {', '.join(sorted(unknown))}")
    extra = dict(p.split("=", 1) for p in args.peer)
    jena_on = not args.no_jena
    if not args.no_install:
        ensure_tools(wanted, jena_on)
    queries = load_queries(args.queries)
    log("queries: " + ", ".join(f"{q.name} ({q.size})" for q in queries))
    ours_cmd = f"{VENV_BIN}/dhs-ai-kg serve --host {HOST} --port {{port}}"
    const_cmd = serving.DEFAULT_CONSTANT_CMD
    commands = {
        "ours": ours_cmd,
        "ours-nocache": f"{ours_cmd} --answer-cache 0 --response-cache 0",
        "virtuoso": "virtuoso-t +foreground (tests/virtuoso.ini), bulk-loaded by ld_dir from "
        "dataset.trig as N-Quads",
        "rdflib-endpoint": f"{VENV_BIN}/rdflib-endpoint serve data/dataset.trig",
        "oxigraph": f"{VENV_BIN}/oxigraph load --file data/dataset.trig, then serve-read-only",
        CONSTANT: const_cmd,
    }
    commands = {k: v for k, v in commands.items() if k in wanted or k == CONSTANT}
    commands.update(extra)
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    workdir = Path(tempfile.mkdtemp(prefix="dhs-peers-"))
    started: dict[str, Server] = {}
    try:
        starters: dict[str, Callable[[], Server]] = {
            "ours": lambda: serving.start_ours(ours_cmd, "", workdir),
            "ours-nocache": lambda: serving.start_ours(
                ours_cmd, "--answer-cache 0 --response-cache 0", workdir, "ours-nocache"
            ),
            "virtuoso": lambda: serving.start_virtuoso(
                TRIG, [], workdir, connections=max(args.conn_list) + 8
            ),
            "rdflib-endpoint": lambda: serving.start_rdflib_endpoint(TRIG, workdir),
            "oxigraph": lambda: start_oxigraph(workdir),
        }
        for name in wanted:
            started[name] = starters[name]()
        for name, cmd in extra.items():
            started[name] = start_command(name, cmd, workdir)
        constant = serving.start_constant(const_cmd, workdir)
        servers = [*wanted, *extra]
        verdicts: dict[str, dict[str, dict[str, str]]] = {"before": {}, "after": {}}
        for name in servers:
            verdicts["before"][name] = check_server(started[name], queries)
            for query, why in verdicts["before"][name].items():
                if why:
                    log(f"!!!!! WRONG ANSWER {name} {query}: {why}")
        jena = check_jena(queries, workdir) if jena_on else None
        for query, why in (jena or {}).items():
            if why:
                log(f"!!!!! WRONG ANSWER jena arq {query}: {why}")

        targets = {name: started[name] for name in servers}
        targets[CONSTANT] = constant

        def lines_of(name: str, query: str) -> list[tuple[str, str]]:
            if name == CONSTANT:
                return [("*/*", "/")]
            s = targets[name]
            chosen = queries if query == "mix" else [q for q in queries if q.name == query]
            return [(q.accept, s.query_target(q.text_for(name))) for q in chosen]

        for name in targets if args.warmup > 0 else ():
            log(f"warm-up {name}")
            run_wrk(
                targets[name], lines_of(name, "mix"), max(args.conn_list), args.threads, args.warmup
            )
            settle(targets[name], args.settle)
        load_before = os.getloadavg()
        runs: dict[Key, list[Run]] = {}
        engine: list[dict[str, float]] = []
        names = list(targets)
        for r in range(args.rounds):
            for c in args.conn_list:
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    single = name != CONSTANT and c in args.query_conn_list
                    work = ["mix", *(q.name for q in queries if single)]
                    for query in work:
                        dur = args.duration if query == "mix" else args.query_duration
                        run = run_wrk(targets[name], lines_of(name, query), c, args.threads, dur)
                        runs.setdefault((name, query, c), []).append(run)
                        run.settle = settle(targets[name], args.settle)
                        if query == "mix":
                            log(
                                f"round {r + 1} c={c} {name}: {run.rps:,.0f} req/s, p50 "
                                f"{run.p50_ms:.2f} ms, p99 {run.p99_ms:.2f} ms, errors "
                                f"{run.errors}, peak RSS {run.peak_rss / 2**20:.0f} MB"
                            )
            engine.append(engine_seconds(queries, args.engine_iterations))
            log(f"round {r + 1} engine: {statistics.mean(engine[-1].values()) * 1000:.3f} ms")
        load = (load_before[0], os.getloadavg()[0])
        for name in servers:
            verdicts["after"][name] = check_server(started[name], queries)
            for query, why in verdicts["after"][name].items():
                if why:
                    log(f"!!!!! WRONG ANSWER after the load {name} {query}: {why}")
        info = {"machine": machine(), "versions": versions(wanted, jena_on), "commands": commands}
    finally:
        serving.stop_all(list(RUNNING))
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(workdir, ignore_errors=True)
    out: Path = args.output
    svg = out.with_suffix(".svg")
    report = build_report(
        args, queries, servers, runs, engine, verdicts, jena, info, load, svg.name
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    wrong = {s: wrong_of(s, verdicts) for s in servers}
    per_query = {q.name: statistics.median(e[q.name] for e in engine) for q in queries}
    engine_s = statistics.mean(per_query.values())
    cores = os.cpu_count() or 1
    limits = {
        c: 1 / (engine_s / min(c, cores) + 1 / med(runs[(CONSTANT, "mix", c)], "rps"))
        for c in args.conn_list
    }
    plot(svg, servers, args.conn_list, runs, limits, wrong)
    print(report)
    log(f"report written to {out}, plot to {svg}")
    ours_bad = any(wrong.get(s) for s in ("ours", "ours-nocache")) or any(
        r.errors for (s, _, _), rs in runs.items() if s.startswith("ours") for r in rs
    )
    return 1 if ours_bad else 0


if __name__ == "__main__":
    sys.exit(main())
