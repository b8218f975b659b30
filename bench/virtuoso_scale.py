"""Beyond one machine: our releases pushed into Virtuoso 7 and the Oxigraph server at scale,
the named queries timed there.

Run from the repository root (see bench/README.md, "Virtuoso at scale"):

    .venv/bin/python bench/virtuoso_scale.py            # --sizes 100k,1m (default)

For each size: synthetic releases (``bench/datagen.py``, cached in ``bench/.cache/`` as
``bench/scale.py`` keeps them) beside our release; a throwaway Virtuoso 7 on 127.0.0.1 (free
ports, its own database in a temporary folder, its process group killed on exit, error, Ctrl-C
or SIGTERM, the folder removed); ``dhs-ai-kg push --data DIR`` into its Graph Store Protocol
endpoint, timed per graph; the same push into an in-memory Oxigraph server (PyPI ``oxigraph``,
``oxigraph serve`` with no ``--location``: the engine ours embeds, in Rust, with no Python or
process isolation in front) and one on RocksDB (``--location``: persisted); ``--stores``
picks among the three; each store's per-graph triple
counts checked against ours; then every
named query (``queries/*.rq``: required parameters bound to values of the generated data,
optional ones open; each parameterised query also bound with the real release's values of
``bench/queries/peers-bindings.json``) answered by each store and by our embedded engine
(pyoxigraph, loaded with ``--data`` as the CLI loads it), the answers compared as result sets,
then timed on all (p50/p99 of ``--repeat`` runs, the order rotating run by run). Writes
``bench/results/<date>-virtuoso-scale.md`` with a ``.json`` beside it and prints the report's
path. Exit code 1 when a count or an answer differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT / "tests")]

import peers  # noqa: E402  (answers made comparable, the machine, versions)
import scale  # noqa: E402  (the cached synthetic data, its parameter values, percentiles)
import serving  # noqa: E402  (servers in process groups, GET, readiness)
from serving import HOST, RUNNING, Server, log  # noqa: E402

BINDINGS = BENCH / "queries" / "peers-bindings.json"
GSP_PATH = "/sparql-graph-crud-auth"  # Digest auth; a fresh database's dba password is dba
USER = PASSWORD = "dba"
PUSH_LINE = re.compile(
    r"^<(?P<graph>[^>]+)>: (?P<n>\d+) triples sent \((?P<status>\d+)"
    r"(?:, (?P<requests>\d+) requests)?\) in (?P<s>[0-9.]+) s$"
)
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


# --- Virtuoso --------------------------------------------------------------------------------


def virtuoso_ini(db: Path, data: Path, sql_port: int, http_port: int, buffers: int) -> str:
    """``tests/virtuoso.ini`` for a bigger store: ``buffers`` 8 KB pages of cache, no row cap
    below our answers' sizes, no cut-off of slow queries (Virtuoso answers a partial result when
    ``MaxQueryExecutionTime`` runs out, which would be timed as an answer)."""
    text = serving.VIRTUOSO_INI.format(
        db=db, data=data, host=HOST, sql_port=sql_port, http_port=http_port, connections=10
    )
    for key, value in (
        ("NumberOfBuffers", buffers),
        ("MaxDirtyBuffers", buffers * 3 // 4),
        ("ResultSetMaxRows", 10_000_000),
        ("MaxQueryExecutionTime", 0),
    ):
        text, found = re.subn(rf"^({key}\s*=\s*)\d+", rf"\g<1>{value}", text, flags=re.MULTILINE)
        assert found == 1, key
    return text


def start_virtuoso(workdir: Path, buffers: int) -> Server:
    """An empty Virtuoso 7 on loopback in ``workdir``; ready for SQL and HTTP."""
    db, data = workdir / "db", workdir / "data"
    db.mkdir(parents=True)
    data.mkdir()
    sql_port, http_port = serving.free_port(), serving.free_port()
    ini = workdir / "virtuoso.ini"
    ini.write_text(virtuoso_ini(db, data, sql_port, http_port, buffers), encoding="utf-8")
    server = Server("virtuoso", http_port, "/sparql")
    server.start(["virtuoso-t", "+foreground", "+configfile", str(ini)], workdir, workdir)
    isql = ["isql-vt", f"{HOST}:{sql_port}", USER, PASSWORD, "exec=select 1;"]
    deadline = time.monotonic() + 120
    try:
        while subprocess.run(isql, capture_output=True, timeout=30).returncode != 0:
            assert server.process is not None
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"virtuoso did not start:\n{server.tail()}")
            time.sleep(0.3)
        ask = "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
        serving.wait_ready(server, ask, 60, peers.SELECT_ACCEPT)
    except BaseException:
        serving.stop_all([server])
        raise
    return server


def store_counts(server: Server, graphs: set[str]) -> dict[str, int]:
    """Triples per graph of ``graphs`` in ``server`` (0 for a graph it does not have)."""
    url = server.url(server.query_target(COUNTS))
    status, body, _ = serving.http_get(url, peers.SELECT_ACCEPT, timeout=600)
    if status != 200:
        raise RuntimeError(f"{server.name}'s count query: HTTP {status}: {body[:300]!r}")
    found = {b["g"]["value"]: int(b["n"]["value"]) for b in json.loads(body)["results"]["bindings"]}
    return {g: found.get(g, 0) for g in sorted(graphs)}


# --- Oxigraph ---------------------------------------------------------------------------------


def start_oxigraph(workdir: Path, on_disk: bool = False) -> Server:
    """An empty Oxigraph server on loopback, in memory or (``on_disk``) on RocksDB in
    ``workdir`` (read-write: its Graph Store Protocol endpoint ``/store`` takes the push);
    its process group is ours to stop."""
    exe = Path(sys.executable).parent / "oxigraph"
    if not exe.exists():
        sys.exit(f"{exe} is missing: `.venv/bin/pip install -e '.[bench]'`")
    server = Server("oxigraph-rocksdb" if on_disk else "oxigraph", serving.free_port(), "/query")
    argv = [str(exe), "serve", "--bind", f"{HOST}:{server.port}"]
    argv += ["--location", str(workdir / "db")] if on_disk else []
    server.start(argv, workdir, workdir)
    try:
        serving.wait_ready(server, server.query_target("ASK {}"), 60, peers.SELECT_ACCEPT)
    except BaseException:
        serving.stop_all([server])
        raise
    return server


#: Where each store takes the push, and whether it asks for the dba login.
STORES = {
    "virtuoso": (GSP_PATH, True),
    "oxigraph": ("/store", False),
    "oxigraph-rocksdb": ("/store", False),
}


# --- the push --------------------------------------------------------------------------------


def push(data: Path, endpoint: str, timeout: float, login: bool = True) -> dict:
    """``dhs-ai-kg push --data DATA`` as a user runs it (``login``: as dba): wall seconds, peak
    RSS, and per graph the triples sent and the seconds it said it took (serialize + PUT)."""
    argv = [sys.executable, "-m", "dhs_ai_kg_cli", "push", "--data", str(data)]
    argv += ["--endpoint", endpoint, "--timeout", str(timeout)]
    argv += ["--user", USER] if login else []
    env = {**os.environ, "DHS_AI_KG_PASSWORD": PASSWORD}
    graphs: dict[str, dict[str, float]] = {}
    said: list[str] = []
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            line = line.rstrip("\n")
            said.append(line)
            log(f"push: {line}")
            match = PUSH_LINE.match(line)
            if match:
                graphs[match["graph"]] = {
                    "sent": int(match["n"]),
                    "s": float(match["s"]),
                    "status": int(match["status"]),
                    "requests": int(match["requests"] or 1),
                    "at_s": time.perf_counter() - start,
                }
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"push exited {proc.returncode}:\n" + "\n".join(said[-10:]))
    first = min((g["at_s"] - g["s"] for g in graphs.values()), default=0.0)
    return {
        "wall_s": wall,
        "before_first_s": first,
        "rss_mb": usage.ru_maxrss / 1024,
        "graphs": graphs,
    }


# --- the queries -----------------------------------------------------------------------------


def variants(seed: int) -> list[tuple[str, str]]:
    """(label, query text) of every named query: required parameters from synthetic release 1
    of ``seed``, optional ones open; then each parameterised query with every parameter bound
    to the real release's values (``peers-bindings.json``)."""
    from dhs_ai_kg.named_queries import load_named_queries

    synthetic = scale.sample_values(seed)
    real = {k: v for k, v in json.loads(BINDINGS.read_text("utf-8")).items() if k[:1] != "_"}
    named = load_named_queries(ROOT / "queries")
    out = [(name, q.bound_text(scale.required_values(q, synthetic))) for name, q in named.items()]
    out += [
        (f"{name} (real release)", q.bound_text({p.name: real[p.name] for p in q.parameters}))
        for name, q in named.items()
        if q.parameters
    ]
    return out


def embedded_query(engine: object, label: str, text: str) -> tuple[peers.Query, str]:
    """Our engine's answer to ``text`` as a comparable :class:`peers.Query`, and the format
    its timing serializes to (the one Virtuoso is asked for)."""
    from dhs_ai_kg.stats import peer_text

    result = engine.query(text)  # type: ignore[attr-defined]
    fmt = "ntriples" if result.kind == "graph" else "json"
    want, order = peers.parse_answer(result.kind, result.serialize(fmt), "application/n-triples")
    size = (
        len(want)
        if result.kind == "graph"
        else (int(want) if result.kind == "ask" else sum(want.values()))
    )  # type: ignore[arg-type, attr-defined]
    ordered = re.search(r"^ORDER BY\b", text, re.MULTILINE) is not None
    peer = peer_text(label, text)  # Virtuoso has no statistics graph: query 13 counts live
    return peers.Query(label, text, result.kind, ordered, want, order, size, peer), fmt


def time_queries(
    servers: list[Server],
    engine: object,
    queries: list[tuple[peers.Query, str]],
    repeat: int,
    budget: float,
) -> dict[str, dict]:
    """Per query: each server's and the embedded engine's samples (ms), the order rotating
    run by run; a cell stops early after ``budget`` seconds once it has three samples."""
    out: dict[str, dict] = {}
    names = [s.name for s in servers] + ["ours"]
    for q, fmt in queries:
        urls = {s.name: s.url(s.query_target(q.text_for(s.name))) for s in servers}
        samples: dict[str, list[float]] = {name: [] for name in names}
        errors = dict.fromkeys(urls, 0)
        began = time.perf_counter()
        for round_ in range(repeat):
            if round_ >= 3 and time.perf_counter() - began > budget:
                break
            for who in names[round_ % len(names) :] + names[: round_ % len(names)]:
                t = time.perf_counter()
                if who == "ours":
                    engine.query(q.text).serialize(fmt)  # type: ignore[attr-defined]
                else:
                    status, _, _ = serving.http_get(urls[who], q.accept, timeout=600)
                    errors[who] += status != 200
                samples[who].append((time.perf_counter() - t) * 1000)
        done: dict = {"rows": q.size, "n": len(samples["ours"]), "errors": sum(errors.values())}
        for who in names:
            done[f"{who}_p50_ms"] = statistics.median(samples[who])
            done[f"{who}_p99_ms"] = scale.percentile(samples[who], 99)
        for who in urls:
            done[f"{who}_errors"] = errors[who]
        out[q.name] = done
        log(f"  {q.name}: " + ", ".join(f"{who} {done[f'{who}_p50_ms']:.1f}" for who in names))
    return out


# --- one size --------------------------------------------------------------------------------


def run_size(size: int, args: argparse.Namespace) -> dict:
    """Generate (or reuse), push, count, check and time at ``size`` synthetic triples."""
    from dhs_ai_kg.engine import Engine
    from dhs_ai_kg.loading import load_store

    data = scale.dataset_for(size, args.seed, args.cache)
    workdir = Path(tempfile.mkdtemp(prefix="virtuoso-scale-"))
    servers: list[Server] = []
    out: dict = {"size": size, "data": str(data)}
    try:
        for name in args.stores:
            log(f"{size}: start {name} in {workdir}")
            folder = workdir / name
            folder.mkdir()
            servers.append(
                start_virtuoso(folder, args.buffers)
                if name == "virtuoso"
                else start_oxigraph(folder, on_disk=name == "oxigraph-rocksdb")
            )
        log(f"{size}: load the embedded engine")
        t = time.perf_counter()
        engine = Engine(load_store([data], statistics=True))
        out["embedded_load_s"] = time.perf_counter() - t
        ours = {
            g.value: sum(1 for _ in engine.store.quads_for_pattern(None, None, None, g))
            for g in engine.store.named_graphs()
        }
        queries = [embedded_query(engine, label, text) for label, text in variants(args.seed)]
        for server in servers:
            path, login = STORES[server.name]
            endpoint = server.url(path)
            log(f"{size}: dhs-ai-kg push --data {data} --endpoint {endpoint}")
            pushed = push(data, endpoint, args.push_timeout, login)
            graphs = set(ours) | set(pushed["graphs"])
            stored = store_counts(server, graphs)
            sent = {g: int(pushed["graphs"].get(g, {}).get("sent", 0)) for g in sorted(graphs)}
            mine = {g: ours.get(g, 0) for g in sorted(graphs)}
            agree = stored == mine == sent
            log(f"{size}: {server.name}'s counts {'agree' if agree else 'DIFFER'}: {stored}")
            verdicts = peers.check_server(server, [q for q, _ in queries])
            for name, verdict in verdicts.items():
                if verdict:
                    log(f"!!!!! ANSWER MISMATCH {server.name} {name}: {verdict}")
            out[server.name] = {
                "push": pushed,
                "counts": {server.name: stored, "ours": mine, "sent": sent, "agree": agree},
                "verdicts": verdicts,
            }
        log(f"{size}: timing {len(queries)} queries")
        out["queries"] = time_queries(servers, engine, queries, args.repeat, args.budget)
    finally:
        serving.stop_all(servers)
        shutil.rmtree(workdir, ignore_errors=True)
    out["quads"] = sum(ours.values())
    return out


# --- the report ------------------------------------------------------------------------------


def short(graph: str) -> str:
    """``…/graph/release`` -> ``release``."""
    return graph.rstrip("/").rsplit("/", 1)[-1]


LABELS = {
    "virtuoso": "Virtuoso",
    "oxigraph": "Oxigraph server",
    "oxigraph-rocksdb": "Oxigraph server (RocksDB)",
    "ours": "ours (embedded)",
}


def report(rows: list[dict], command: str, note: str, loads: tuple[str, str]) -> str:
    """The Markdown report."""
    facts = peers.machine()
    stores = [s for s in STORES if any(s in r for r in rows)]
    versions = []
    if "virtuoso" in stores:
        versions.append(
            f"Virtuoso (Debian virtuoso-opensource {peers._deb('virtuoso-opensource')}, "
            "single server)"
        )
    if {"oxigraph", "oxigraph-rocksdb"} & set(stores):
        versions.append(f"Oxigraph server (PyPI oxigraph {peers._dist('oxigraph')})")
    lines = [
        f"# Virtuoso 7 and the Oxigraph server at scale: push and named queries "
        f"({dt.date.today().isoformat()})",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {facts['CPU']}, {facts['cores']} cores, {facts['RAM']} RAM, {facts['OS']}. "
        f"Load average before / after: {loads[0]} / {loads[1]}. {note}",
        "",
        f"Versions: {'; '.join(versions)}; dhs-ai-kg {peers._dist('dhs-ai-kg')}, "
        f"rdflib {peers._dist('rdflib')}, pyoxigraph {peers._dist('pyoxigraph')}, "
        f"Python {peers.platform.python_version()}.",
        "",
        "Per size: our release plus synthetic releases (`bench/datagen.py`) in the `--data` "
        "layout. Virtuoso: an empty Virtuoso 7 on 127.0.0.1 (`tests/virtuoso.ini` with more "
        "buffers, no row cap, no query time cut-off), pushed with `dhs-ai-kg push --data DIR "
        f"--endpoint http://127.0.0.1:PORT{GSP_PATH} --user dba` (Graph Store Protocol, "
        "N-Triples, Digest auth; a graph over 1 MB as a PUT then POSTs, as Virtuoso resets a "
        "body of ~4 MB). Oxigraph server: `oxigraph serve` with no `--location` (in memory: "
        "the engine we embed, in Rust, with nothing in front), pushed with `dhs-ai-kg push "
        "--data DIR --endpoint http://127.0.0.1:PORT/store`; Oxigraph server (RocksDB): the same "
        "with `--location DIR` (persisted, the store for data that outgrows memory). "
        "Push: wall time of the command (the pyoxigraph "
        "load of every file, then per graph serialize + PUT), peak RSS of the push process. "
        "Counts: triples per graph in each store (`COUNT(*)` per `GRAPH ?g`), in our embedded "
        "engine (pyoxigraph, `load_store` as the CLI loads `--data`) and as sent. Queries: the "
        "same text (parameters written into its `VALUES`, the query's own `FROM`s) to each "
        "store by GET (JSON results, N-Triples for DESCRIBE) and to the embedded engine "
        "in this process (query + serialization to the same format); answers compared as "
        "result sets (graphs by isomorphism, row order where the query has `ORDER BY`) before "
        "timing; p50/p99 ms, the order rotating run by run.",
    ]
    for r in rows:
        lines += ["", f"## {r['quads']:,} quads (synthetic target {r['size']:,} triples)", ""]
        lines.append(
            f"Embedded engine load (pyoxigraph bulk loader): {r['embedded_load_s']:.1f} s."
        )
        for store in stores:
            s = r[store]
            push_, counts = s["push"], s["counts"]
            lines += [
                "",
                f"**{LABELS[store]}.** Push: {push_['wall_s']:.1f} s wall, of which "
                f"{push_['before_first_s']:.1f} s before the first PUT (loading the files with "
                f"pyoxigraph); peak RSS {push_['rss_mb']:.0f} MB. "
                f"Counts {'**agree**' if counts['agree'] else '**DIFFER**'}.",
                "",
                f"| graph | sent | in {LABELS[store]} | in our engine | requests "
                "| serialize + send s | triples/s |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            for graph, stored in counts[store].items():
                g = push_["graphs"].get(graph, {"s": 0.0, "requests": 0})
                sent = counts["sent"][graph]
                rate = f"{sent / g['s']:,.0f}" if g["s"] > 0 else "-"
                lines.append(
                    f"| {short(graph)} | {sent:,} | {stored:,} | {counts['ours'][graph]:,} "
                    f"| {g['requests']} | {g['s']:.2f} | {rate} |"
                )
        wrong = {
            (store, name): v for store in stores for name, v in r[store]["verdicts"].items() if v
        }
        said = "; ".join(
            f"{LABELS[store]}: "
            + (
                "all the same as ours"
                if not any(k[0] == store for k in wrong)
                else f"**{sum(k[0] == store for k in wrong)} differ**"
            )
            for store in stores
        )
        who = [*stores, "ours"]
        lines += [
            "",
            f"Named queries ({len(r['queries'])}; answers: {said}), p50 / p99 ms:",
            "",
            "| query | rows | "
            + " | ".join(LABELS[w] for w in who)
            + " | "
            + " | ".join(f"{LABELS[s]} ÷ ours (p50)" for s in stores)
            + " | runs |",
            "|---|---:|" + "---:|" * (len(who) + len(stores)) + "---:|",
        ]
        for name, q in r["queries"].items():
            answer = "".join(
                f" WRONG ({LABELS[s]}): {wrong[s, name]}" for s in stores if (s, name) in wrong
            )
            cells = [f"{q[f'{w}_p50_ms']:.1f} / {q[f'{w}_p99_ms']:.1f}" for w in who]
            ratios = [
                f"{q[f'{s}_p50_ms'] / q['ours_p50_ms']:.2f}" if q["ours_p50_ms"] > 0 else "-"
                for s in stores
            ]
            errors = f", {q['errors']} errors" if q["errors"] else ""
            lines.append(
                f"| {name}{answer} | {q['rows']:,} | {' | '.join(cells)} | {' | '.join(ratios)} "
                f"| {q['n']}{errors} |"
            )
    lines += [
        "",
        "Not measured here: Virtuoso's bulk loader (`ld_dir` + `rdf_loader_run`) at these "
        "sizes, concurrency (one query at a time), Virtuoso's cluster edition (not available "
        "here), and any other scale-out store (`docs/scale-out.md`).",
    ]
    return "\n".join(lines) + "\n"


def load_average() -> str:
    """The 1/5/15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Run every size and write the report; 1 when a count or an answer differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m", help="comma list of synthetic triples")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=20, help="runs per query and engine")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per query at most")
    parser.add_argument("--buffers", type=int, default=200_000, help="Virtuoso's 8 KB buffers")
    parser.add_argument("--push-timeout", type=float, default=3600.0, help="seconds per PUT")
    parser.add_argument("--cache", type=Path, default=scale.CACHE, help="where the data is kept")
    parser.add_argument("--output", type=Path, help="default bench/results/DATE-virtuoso-scale.md")
    parser.add_argument("--note", default="The machine was shared with other jobs and noisy.")
    parser.add_argument(
        "--stores", default=",".join(STORES), help="comma list of: " + ", ".join(STORES)
    )
    args = parser.parse_args(argv)
    args.stores = [s for s in args.stores.split(",") if s]
    if not args.stores or set(args.stores) - set(STORES):
        parser.error(f"--stores takes a comma list of: {', '.join(STORES)}")
    for program in ("virtuoso-t", "isql-vt") if "virtuoso" in args.stores else ():
        if shutil.which(program) is None:
            sys.exit(f"{program} is missing: `apt-get install -y virtuoso-opensource`")
    output = args.output or BENCH / "results" / f"{dt.date.today().isoformat()}-virtuoso-scale.md"
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    before = load_average()
    try:
        rows = [run_size(scale.parse_size(token), args) for token in args.sizes.split(",")]
    finally:
        serving.stop_all(list(RUNNING))
        signal.signal(signal.SIGTERM, previous)
    shown = ["--sizes", args.sizes]
    shown += ["--repeat", str(args.repeat)] if args.repeat != 20 else []
    shown += ["--seed", str(args.seed)] if args.seed != 42 else []
    shown += ["--stores", ",".join(args.stores)] if args.stores != list(STORES) else []
    command = " ".join([".venv/bin/python bench/virtuoso_scale.py", *shown])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report(rows, command, args.note, (before, load_average())), encoding="utf-8")
    output.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print(output)
    bad = [
        r["size"]
        for r in rows
        for s in args.stores
        if not r[s]["counts"]["agree"] or any(r[s]["verdicts"].values())
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
