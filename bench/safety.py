"""Safety probes for a public SPARQL endpoint: outbound fetches, interruption, deep nesting.

Every probe runs in its own subprocess with a hard time limit, so a crash (pyoxigraph's parser
overflows its stack on deeply nested queries) or a query that cannot be stopped never touches
the benchmark process. Outbound requests go only to a listener bound to 127.0.0.1 that this
module starts and stops; nothing else is contacted.

Usage: ``.venv/bin/python bench/safety.py`` (prints a Markdown section), or through
``bench/engines.py``.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ENGINES = ("rdflib", "oxrdflib", "pyoxigraph")
PROBE_TIMEOUT = 20.0  # seconds, per subprocess
# A 4-way cartesian product: on 300 triples, 8.1e9 rows to count.
HEAVY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?s ?h }"
NESTING = (
    ("groups", 500),
    ("groups", 1000),
    ("groups", 2000),
    ("groups", 3000),
    ("groups", 5000),
    ("parens", 20000),
    ("path", 20000),
)


# --------------------------------------------------------------------------- in the child


def make_store(engine: str, triples: int) -> Any:
    """A small store for ``engine`` with ``triples`` triples ``<s_i> <p> <o_i>``."""
    lines = "".join(f"<http://e/s{i}> <http://e/p> <http://e/o{i}> .\n" for i in range(triples))
    if engine == "pyoxigraph":
        import pyoxigraph as ox

        store = ox.Store()
        store.load(lines.encode(), format=ox.RdfFormat.N_TRIPLES)
        return store
    from rdflib import Graph

    graph = Graph(store="Oxigraph") if engine == "oxrdflib" else Graph()
    graph.parse(data=lines, format="nt")
    return graph


def run_query(store: Any, query: str) -> int:
    """Run a query to completion on any engine; the number of results."""
    return sum(1 for _ in store.query(query))


def run_update(store: Any, update: str) -> None:
    """Run a SPARQL update on any engine."""
    store.update(update)


def nested_query(kind: str, depth: int) -> str:
    """A valid query nested ``depth`` deep: groups ``{{…}}``, parentheses, or a path sequence."""
    if kind == "groups":
        return "SELECT * WHERE " + "{ " * depth + "?s ?p ?o " + "} " * depth
    if kind == "parens":
        return "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * depth + "?o" + ")" * depth + ") }"
    if kind == "path":
        return "SELECT * WHERE { ?s " + "/".join(["<http://e/p>"] * depth) + " ?o }"
    raise ValueError(kind)


def _outcome(action: Callable[[], Any]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        value = action()
        result: dict[str, Any] = {"outcome": "ok", "value": value}
    except BaseException as exc:  # the probe reports whatever the engine raised
        result = {"outcome": "error", "error": f"{type(exc).__name__}: {str(exc)[:160]}"}
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


class _Alarm(Exception):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise _Alarm


def child(probe: str, engine: str, arg: str) -> dict[str, Any]:
    """Run one probe in this (child) process and return what happened."""
    if probe == "query":  # SERVICE / FROM against the loopback listener
        store = make_store(engine, 3)
        return _outcome(lambda: run_query(store, arg))
    if probe == "update":  # LOAD from the loopback listener
        store = make_store(engine, 3)
        return _outcome(lambda: run_update(store, arg))
    if probe == "nest":
        kind, depth = arg.split(":")
        store = make_store(engine, 3)
        return _outcome(lambda: run_query(store, nested_query(kind, int(depth))))
    if probe == "alarm":  # does SIGALRM (or Ctrl-C) interrupt a running query?
        store = make_store(engine, 300)
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        out = _outcome(lambda: run_query(store, HEAVY_QUERY))
        out["interrupted"] = "_Alarm" in out.get("error", "")
        return out
    if probe == "gil":  # does a query release the GIL, so other threads can run meanwhile?
        # With a 10 s switch interval a thread holding the GIL starves the main thread: a busy
        # Python thread (the reference) or an engine that never releases it score about 0%.
        store = make_store(engine, 300)
        baseline = _spin_until(time.perf_counter() + 0.5)
        sys.setswitchinterval(10.0)
        scores = {}
        for name, target, args in (
            ("python", _spin_until, (time.perf_counter() + 1.5,)),
            ("query", run_query, (store, HEAVY_QUERY)),
        ):
            end = time.perf_counter() + 0.7
            threading.Thread(target=target, args=args, daemon=True).start()
            time.sleep(0.2)  # hand over the GIL to the new thread
            scores[name] = round(_spin_until(end) / baseline, 2)
            time.sleep(1.0)  # let the reference thread finish
        print(
            json.dumps(
                {
                    "outcome": "ok",
                    "other_thread_speed": scores["query"],
                    "next_to_python": scores["python"],
                }
            ),
            flush=True,
        )
        import os

        os._exit(0)  # the query thread cannot be stopped: leave without joining it
    raise ValueError(probe)


def _spin_until(end: float) -> int:
    count = 0
    while time.perf_counter() < end:
        count += 1
    return count


# --------------------------------------------------------------------------- in the parent


class _Listener(BaseHTTPRequestHandler):
    seen: list[str] = []  # noqa: RUF012 - shared by the handler instances of one server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        self.seen.append(f"{self.command} {self.path}")
        if self.path.endswith(".ttl"):
            body, ctype = b'<http://e/fetched> <http://e/p> "fetched" .\n', "text/turtle"
        else:
            body = b'{"head":{"vars":["s","p","o"]},"results":{"bindings":[]}}'
            ctype = "application/sparql-results+json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


def spawn(probe: str, engine: str, arg: str) -> dict[str, Any]:
    """Run one probe in a subprocess; a crash or an overrun is a result, not an error."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", probe, engine, arg]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return {"outcome": "timeout", "seconds": PROBE_TIMEOUT}
    elapsed = round(time.perf_counter() - start, 2)
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        return {"outcome": "crash", "signal": name, "seconds": elapsed}
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"outcome": "error", "error": f"rc {proc.returncode}: {proc.stderr[-300:]}"}


def describe(result: dict[str, Any]) -> str:
    """One table cell."""
    outcome = result["outcome"]
    if outcome == "ok":
        value = result.get("value")
        return "ok" + (f" ({value} rows)" if isinstance(value, int) else "")
    if outcome == "crash":
        return f"**process killed by {result['signal']}**"
    if outcome == "timeout":
        return f"no answer in {PROBE_TIMEOUT:.0f} s (killed)"
    return result.get("error", "error").replace("|", "\\|").replace("\n", " ")


def run_all() -> list[str]:
    """Run every probe; the Markdown section."""
    _Listener.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    lines = [
        "## Safety probes",
        "",
        f"Each probe is a subprocess with a {PROBE_TIMEOUT:.0f} s limit. Outbound requests go to "
        'a listener on 127.0.0.1 started for the run; "requests" counts what it received.',
        "",
        "| probe | " + " | ".join(ENGINES) + " |",
        "|---|" + "---|" * len(ENGINES),
    ]
    try:
        fetches = {
            "SERVICE <loopback> { ?s ?p ?o }": (
                "query",
                "SELECT * WHERE {{ SERVICE <{url}/service/{e}> {{ ?s ?p ?o }} }}",
            ),
            "SELECT … FROM <loopback.ttl>": (
                "query",
                "SELECT * FROM <{url}/from/{e}.ttl> WHERE {{ ?s ?p ?o }}",
            ),
            "update LOAD <loopback.ttl>": ("update", "LOAD <{url}/load/{e}.ttl>"),
        }
        for label, (probe, template) in fetches.items():
            cells = []
            for engine in ENGINES:
                before = len(_Listener.seen)
                result = spawn(probe, engine, template.format(url=base, e=engine))
                requests = _Listener.seen[before:]
                fetched = f"**fetched** ({', '.join(requests)})" if requests else "no request"
                cells.append(f"{fetched}; {describe(result)}")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        cells = []
        for engine in ENGINES:
            r = spawn("alarm", engine, "")
            if r["outcome"] == "error" and "_Alarm" in r.get("error", ""):
                cells.append(f"interrupted after {r['seconds']} s")
            else:
                cells.append(describe(r))
        lines.append(
            "| SIGALRM after 1 s during a long query (main thread) | " + " | ".join(cells) + " |"
        )
        cells = []
        for engine in ENGINES:
            r = spawn("gil", engine, "")
            speed = r.get("other_thread_speed")
            cells.append(
                f"{speed:.0%} (next to a busy Python thread: {r['next_to_python']:.0%})"
                if speed is not None
                else describe(r)
            )
        lines.append(
            "| speed of another Python thread while a long query runs, vs idle | "
            + " | ".join(cells)
            + " |"
        )
        for kind, depth in NESTING:
            cells = [describe(spawn("nest", e, f"{kind}:{depth}")) for e in ENGINES]
            lines.append(f"| {depth:,} nested {kind} | " + " | ".join(cells) + " |")
    finally:
        server.shutdown()
        server.server_close()
    lines.append("")
    return lines


def main() -> None:
    """Command line: the whole probe set, or one probe (``--child``, used internally)."""
    parser = argparse.ArgumentParser(description="SPARQL engine safety probes.")
    parser.add_argument(
        "--child", nargs=3, metavar=("PROBE", "ENGINE", "ARG"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        sys.setrecursionlimit(sys.getrecursionlimit())  # the default: what a server would have
        print(json.dumps(child(*args.child), default=str), flush=True)
        return
    print("\n".join(run_all()))


if __name__ == "__main__":
    main()
