"""How cost grows with the number of releases: one command, a series of sizes.

For each size (synthetic releases from ``datagen.py`` beside the real release, via ``--data``),
each measurement in a fresh process (peak RSS from ``wait4``):

- in-process: loading (rdflib parse of the graphs, then the Oxigraph store the server
  queries), and p50/p99 of every named query (``queries/*.rq``; required parameters bound to
  values of the generated data, optional ones left open: the whole-graph case);
- validation: ``validate`` (SHACL) and the quote check, as ``dhs-ai-kg validate --data``;
- over HTTP: ``dhs-ai-kg serve`` (with ``--data`` when the command takes it; without, the
  HTTP series measures the real release only and the report says so) on 127.0.0.1, start-up
  time to the first answer, then p50/p99 of every named query, answer caches off.

Writes ``bench/results/<date>-scale.md`` and ``docs/scale.svg`` and prints their paths.

Usage: ``.venv/bin/python bench/scale.py`` (default ``--sizes 1k,10k,100k``; add ``1m``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
CACHE = BENCH / ".cache"
TARGETS = {"load_s": 5.0, "query_p50_ms": 50.0, "startup_s": 10.0}


def log(text: str) -> None:
    """Progress on stderr."""
    print(text, file=sys.stderr, flush=True)


def parse_size(token: str) -> int:
    """``1k`` -> 1000, ``1m`` -> 1000000, ``500`` -> 500."""
    token = token.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(token[-1:], 1)
    return int(float(token.rstrip("km")) * factor)


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


# --- the values a parameterised query is asked with ----------------------------------------


def sample_values(seed: int) -> dict[str, str]:
    """Parameter values (as the CLI and HTTP take them) from synthetic release 1 of ``seed``."""
    sys.path.insert(0, str(BENCH))
    import datagen

    release = datagen.release(seed, 1)
    from dhs_ai_kg.namespaces import KG, SCHEMA

    org = KG[f"org/{release.tag}-lead-1"]
    name = release.release.value(org, SCHEMA.name)
    assert name is not None
    return {
        "resource": str(KG[f"org/{release.tag}-coalition"]),
        "org": str(org),
        "subject": str(org),
        "predicate": str(SCHEMA.name),
        "object": name.n3(),
    }


def required_values(query: object, values: dict[str, str]) -> dict[str, str]:
    """The values of the query's required parameters."""
    return {p.name: values[p.name] for p in query.parameters if p.required}  # type: ignore[attr-defined]


# --- workers, each run in a fresh process ---------------------------------------------------


def worker_inprocess(data: Path | None, repeat: int, seed: int, budget: float) -> dict:
    """Load as query, stats and serve do (pyoxigraph's bulk loader, :func:`load_store`, with
    the statistics graph query 13 reads), then time every named query."""
    from dhs_ai_kg.engine import Engine
    from dhs_ai_kg.loading import load_store
    from dhs_ai_kg.named_queries import load_named_queries

    start = time.perf_counter()
    store = load_store([data] if data else [], statistics=True)
    parsed = time.perf_counter()  # parsing and indexing are one pass in pyoxigraph
    engine = Engine(store)
    stored = time.perf_counter()
    quads = len(store)
    values = sample_values(seed)
    queries: dict[str, dict[str, float]] = {}
    for name, query in load_named_queries().items():
        bindings = query.bind(required_values(query, values))
        samples: list[float] = []
        rows = 0
        began = time.perf_counter()
        while len(samples) < repeat and (len(samples) < 3 or time.perf_counter() - began < budget):
            t = time.perf_counter()
            result = engine.query(query.text, bindings)
            rows = result.count()
            samples.append((time.perf_counter() - t) * 1000)
        queries[name] = {
            "p50_ms": statistics.median(samples),
            "p99_ms": percentile(samples, 99),
            "rows": rows,
            "n": len(samples),
        }
    return {
        "quads": quads,
        "parse_s": parsed - start,
        "store_s": stored - parsed,
        "load_s": stored - start,
        "queries": queries,
    }


def worker_validate(data: Path | None) -> dict:
    """Load, validate against the shapes, check the quotes: ``dhs-ai-kg validate``'s work."""
    from dhs_ai_kg.grounding import quote_problems, release_texts
    from dhs_ai_kg.loading import load_dataset
    from dhs_ai_kg.resources import resource_dir
    from dhs_ai_kg.validation import validate

    start = time.perf_counter()
    dataset = load_dataset([data] if data else [])
    gc.freeze()  # as `dhs-ai-kg validate` does once the data is loaded
    loaded = time.perf_counter()
    outcome = validate(dataset)
    gc.collect()  # as `dhs-ai-kg validate` does: SHACL's working copy freed before the quotes
    shacl = time.perf_counter()
    folders = [resource_dir("data") / "source"] + ([data.parent / "source"] if data else [])
    problems = quote_problems(dataset, release_texts(dataset, folders))
    quoted = time.perf_counter()
    return {
        "load_s": loaded - start,
        "shacl_s": shacl - loaded,
        "quotes_s": quoted - shacl,
        "conforms": outcome.conforms,
        "results": len(outcome.results),
        "quote_problems": len(problems),
    }


def run_measured(argv: list[str]) -> tuple[dict, float, float]:
    """Run a worker in a fresh process: its JSON answer, wall seconds and peak RSS (MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True)
    try:
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed with exit code {proc.returncode}")
    rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
    return json.loads(out), time.perf_counter() - start, rss_mb


# --- over HTTP -------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_takes_data() -> bool:
    """Whether ``dhs-ai-kg serve`` has ``--data`` on this branch."""
    help_text = subprocess.run(
        [sys.executable, "-m", "dhs_ai_kg_cli", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return "--data" in help_text


def _get(url: str, timeout: float = 120.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def http_series(data: Path | None, repeat: int, seed: int, log_file: Path) -> dict:
    """Start the server, time start-up to the first answer, then every named query."""
    from dhs_ai_kg.named_queries import load_named_queries

    port = free_port()
    argv = [sys.executable, "-m", "dhs_ai_kg_cli", "serve", "--port", str(port)]
    argv += ["--answer-cache", "0", "--response-cache", "0"]
    with_data = data is not None and serve_takes_data()
    if with_data:
        argv += ["--data", str(data)]
    base = f"http://127.0.0.1:{port}"
    first = f"{base}/queries/01-lead-organizations?format=json"
    with log_file.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=sink, stderr=sink, start_new_session=True)
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the server stopped (exit {proc.returncode}): {log_file}")
                try:
                    status, _ = _get(first, timeout=5)
                    if status == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            startup = time.perf_counter() - start
            settled = settle(base, log_file, proc)
            values = sample_values(seed)
            queries = {}
            for name, query in load_named_queries().items():
                params = {**required_values(query, values), "format": "json"}
                url = f"{base}/queries/{name}?{urllib.parse.urlencode(params)}"
                samples, status, rows = [], 0, 0
                for _ in range(repeat):
                    t = time.perf_counter()
                    status, body = _get(url)
                    samples.append((time.perf_counter() - t) * 1000)
                if status != 200:
                    raise RuntimeError(f"{url}: HTTP {status}")
                answer = json.loads(body)
                rows = len(answer["results"]["bindings"] if "results" in answer else answer)
                queries[name] = {
                    "p50_ms": statistics.median(samples),
                    "p99_ms": percentile(samples, 99),
                    "rows": rows,
                }
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return {"startup_s": startup, "settled_s": settled, "with_data": with_data, "queries": queries}


def settle(base: str, log_file: Path, proc: subprocess.Popen, limit: float = 600.0) -> float:
    """Wait until the server has finished its start-up work in the background (the last of
    ``derived.BUILDERS`` logged as precomputed, every query process live on ``/metrics``), so
    the queries are timed on a settled server, not beside that work; its seconds from now."""
    from dhs_ai_kg_server.derived import BUILDERS
    from dhs_ai_kg_server.state import DEFAULT_POOL_SIZE

    last = f"precomputed {BUILDERS[-1].__name__.replace('_', ' ')}"
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {proc.returncode}): {log_file}")
        if last in log_file.read_text(encoding="utf-8", errors="replace"):
            _, metrics = _get(f"{base}/metrics")
            live = re.search(rb"^dhs_ai_kg_query_processes ([0-9.]+)$", metrics, re.MULTILINE)
            if live and float(live.group(1)) >= DEFAULT_POOL_SIZE:
                return time.perf_counter() - began
        time.sleep(0.2)
    raise RuntimeError(f"the server did not settle in {limit:.0f} s: {log_file}")


# --- the report ------------------------------------------------------------------------------


def dataset_for(size: int, seed: int, cache: Path = CACHE) -> Path:
    """The graphs folder of ``size`` synthetic triples (generated once, kept in ``cache``)."""
    sys.path.insert(0, str(BENCH))
    import datagen

    out = cache / f"scale-{size}-seed{seed}"
    done = out / "complete"
    if not done.exists():
        log(f"generating {size} synthetic triples (seed {seed}) in {out}")
        datagen.write(out, size, seed)
        done.write_text("ok\n", encoding="utf-8")
    return out / "graphs"


def write_report(lines: list[str], name: str, output: Path | None = None) -> Path:
    """A bench tool's report lines written to ``output`` (default
    ``bench/results/<date>-<name>.md``); its path."""
    out = output or BENCH / "results" / f"{dt.date.today().isoformat()}-{name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _seconds(value: float | None) -> str:
    """``value`` as a table cell (— when not measured)."""
    return "—" if value is None else f"{value:.2f}"


def versions() -> str:
    """Versions of what is measured."""
    from importlib.metadata import version

    names = ("dhs-ai-kg", "rdflib", "pyoxigraph", "pyshacl", "flask", "granian")
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except Exception:
            found.append(f"{name} (absent)")
    return f"Python {platform.python_version()}; " + ", ".join(found)


def machine() -> str:
    """CPU, cores and memory of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except OSError:
        memory = "?"
    return f"{cpu}, {os.cpu_count()} cores, {memory} RAM, {platform.system()} {platform.release()}"


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(rows: list[dict], command: str, note: str) -> str:
    """The Markdown report."""
    lines = [
        f"# Scale series ({dt.date.today().isoformat()})",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}. {note}",
        "",
        f"Versions: {versions()}.",
        "",
        "Each row: the real release plus synthetic releases (`bench/datagen.py`) loaded with "
        "`--data`; each column measured in a fresh process. Load = pyoxigraph's bulk loader "
        "(`load_store`: what query, stats and serve do; parse and index are one pass, so "
        "'store' is the engine wrapper only); validate = SHACL + quote check after loading; "
        "RSS = peak resident memory of that process. Start-up = `dhs-ai-kg serve` launched to "
        "its first answer; settled = from then until its work in the background (the second "
        "query process, the precomputed counts, indexes and dumps) is done: the HTTP series "
        "below is timed after it.",
        "",
        "| quads | load s (parse + store) | load RSS MB | validate s (SHACL + quotes) "
        "| validate RSS MB | start-up s | then settled s | HTTP data |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        i, v, h = r["inprocess"], r["validate"], r["http"]
        lines.append(
            f"| {i['quads']:,} | {i['load_s']:.2f} ({i['parse_s']:.2f} + {i['store_s']:.2f}) "
            f"| {r['inprocess_rss']:.0f} | {v['shacl_s'] + v['quotes_s']:.2f} "
            f"({v['shacl_s']:.2f} + {v['quotes_s']:.2f}) | {r['validate_rss']:.0f} "
            f"| {h['startup_s']:.2f} | {_seconds(h.get('settled_s'))} "
            f"| {'with --data' if h['with_data'] else 'real only'} |"
        )
    names = sorted(rows[0]["inprocess"]["queries"])
    head = " | ".join(f"{r['inprocess']['quads']:,}" for r in rows)
    lines += [
        "",
        "Named queries, in-process p50 / p99 ms (rows), required parameters from the data:",
        "",
        f"| query | {head} |",
        "|---|" + "---:|" * len(rows),
    ]
    for name in names:
        cells = []
        for r in rows:
            q = r["inprocess"]["queries"][name]
            cells.append(f"{q['p50_ms']:.1f} / {q['p99_ms']:.1f} ({q['rows']})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Named queries over HTTP, p50 / p99 ms (rows), one connection, answer caches off:",
        "",
        f"| query | {head} |",
        "|---|" + "---:|" * len(rows),
    ]
    for name in names:
        cells = []
        for r in rows:
            q = r["http"]["queries"][name]
            cells.append(f"{q['p50_ms']:.1f} / {q['p99_ms']:.1f} ({q['rows']})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    big = rows[-1]
    worst = max(q["p50_ms"] for q in big["inprocess"]["queries"].values())
    lines += [
        "",
        f"Targets at 1M triples, checked on the largest size run ({big['inprocess']['quads']:,} "
        "quads):",
        "",
        f"- load ≤ {TARGETS['load_s']:.0f} s: {big['inprocess']['load_s']:.2f} s, "
        f"{_mark(big['inprocess']['load_s'] <= TARGETS['load_s'])}",
        f"- every named query p50 ≤ {TARGETS['query_p50_ms']:.0f} ms (in-process): slowest "
        f"{worst:.1f} ms, {_mark(worst <= TARGETS['query_p50_ms'])}",
        f"- start-up ≤ {TARGETS['startup_s']:.0f} s: {big['http']['startup_s']:.2f} s, "
        f"{_mark(big['http']['startup_s'] <= TARGETS['startup_s'])}"
        + ("" if big["http"]["with_data"] else " (real release only: serve has no --data here)"),
    ]
    if big["inprocess"]["quads"] < 900_000:
        lines.append("- (the largest size run is below 1M: the targets are not yet judged at 1M)")
    return "\n".join(lines + growth(rows)) + "\n"


def growth(rows: list[dict]) -> list[str]:
    """Growth exponents between the two largest sizes: k in time ~ size^k (1 is linear)."""
    if len(rows) < 2:
        return []
    a, b = rows[-2], rows[-1]
    ratio = b["inprocess"]["quads"] / a["inprocess"]["quads"]

    def k(before: float, after: float) -> str:
        if before <= 0 or after <= 0:
            return "-"
        value = math.log(after / before) / math.log(ratio)
        return f"{value:.2f}" + (" **superlinear**" if value > 1.2 else "")

    measures = [
        ("load", a["inprocess"]["load_s"], b["inprocess"]["load_s"]),
        ("load peak RSS", a["inprocess_rss"], b["inprocess_rss"]),
        (
            "validate (SHACL)",
            a["validate"]["shacl_s"],
            b["validate"]["shacl_s"],
        ),
        ("validate (quotes)", a["validate"]["quotes_s"], b["validate"]["quotes_s"]),
        ("validate peak RSS", a["validate_rss"], b["validate_rss"]),
    ]
    measures += [
        (f"query {name} p50", q["p50_ms"], b["inprocess"]["queries"][name]["p50_ms"])
        for name, q in sorted(a["inprocess"]["queries"].items())
    ]
    lines = [
        "",
        f"Growth from {a['inprocess']['quads']:,} to {b['inprocess']['quads']:,} quads "
        f"(x{ratio:.1f}): exponent k in cost ∝ size^k (1 linear; over 1.2 marked superlinear; "
        "noisy at small sizes):",
        "",
        "| measure | k |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {k(before, after)} |" for name, before, after in measures]
    return lines


def plot(rows: list[dict], path: Path) -> None:
    """Time against size, log-log: load, validate, start-up and the slowest query's p50."""
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "dhs-ai-kg"  # stable ids: reruns diff cleanly
    sizes = [r["inprocess"]["quads"] for r in rows]
    series = {
        "load (s)": [r["inprocess"]["load_s"] for r in rows],
        "validate (s)": [r["validate"]["shacl_s"] + r["validate"]["quotes_s"] for r in rows],
        "start-up (s)": [r["http"]["startup_s"] for r in rows],
        "slowest query p50 (s)": [
            max(q["p50_ms"] for q in r["inprocess"]["queries"].values()) / 1000 for r in rows
        ],
    }
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, values in series.items():
        ax.plot(sizes, values, marker="o", label=label)
    ax.axhline(TARGETS["load_s"], color="grey", linestyle="--", linewidth=0.8)
    ax.axhline(TARGETS["query_p50_ms"] / 1000, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("quads (real release + synthetic releases)")
    ax.set_ylabel("seconds")
    ax.set_title("How cost grows (dashed: 5 s load target; dotted: 50 ms query target)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Run the series (or, with ``--worker``, one measurement) and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="comma list, e.g. 1k,10k,100k,1m")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=20, help="samples per query (default 20)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per query at most")
    parser.add_argument("--output", type=Path, help="report (default bench/results/DATE-scale.md)")
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "scale.svg")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the data is kept")
    parser.add_argument("--note", default="", help="what the machine was doing meanwhile")
    parser.add_argument("--from-json", type=Path, help="rewrite the report from a run's .json")
    parser.add_argument("--worker", choices=("inprocess", "validate"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "inprocess":
        print(json.dumps(worker_inprocess(args.data, args.repeat, args.seed, args.budget)))
        return 0
    if args.worker == "validate":
        print(json.dumps(worker_validate(args.data)))
        return 0
    output = args.output or BENCH / "results" / f"{dt.date.today().isoformat()}-scale.md"
    if args.from_json:  # same numbers, report and plot written again (e.g. after a format change)
        old = args.from_json.with_suffix(".md").read_text(encoding="utf-8")
        command = old.split("Command: `", 1)[1].split("`", 1)[0]
        note = old.split("Machine: ", 1)[1].split("\n", 1)[0].split(". ", 1)[1]
        rows = json.loads(args.from_json.read_text(encoding="utf-8"))
        output.write_text(report(rows, command, note), encoding="utf-8")
        plot(rows, args.plot)
        print(output)
        print(args.plot)
        return 0
    me = [sys.executable, str(Path(__file__).resolve()), "--seed", str(args.seed)]
    rows = []
    for token in args.sizes.split(","):
        size = parse_size(token)
        data = dataset_for(size, args.seed, args.cache)
        log(f"{token}: in-process load and queries")
        extra = ["--data", str(data), "--repeat", str(args.repeat), "--budget", str(args.budget)]
        inproc, _, inproc_rss = run_measured([*me, "--worker", "inprocess", *extra])
        log(f"{token}: validation")
        valid, _, valid_rss = run_measured([*me, "--worker", "validate", "--data", str(data)])
        if not valid["conforms"] or valid["quote_problems"]:
            raise RuntimeError(f"{token}: the data does not validate: {valid}")
        log(f"{token}: over HTTP")
        http = http_series(data, args.repeat, args.seed, data.parent / "serve.log")
        rows.append(
            {
                "size": size,
                "inprocess": inproc,
                "inprocess_rss": inproc_rss,
                "validate": valid,
                "validate_rss": valid_rss,
                "http": http,
            }
        )
    shown = ["--sizes", args.sizes] + (["--repeat", str(args.repeat)] if args.repeat != 20 else [])
    command = " ".join([".venv/bin/python bench/scale.py", *shown])
    note = args.note or "Timings from a single run."
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report(rows, command, note), encoding="utf-8")
    (output.with_suffix(".json")).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    plot(rows, args.plot)
    print(output)
    print(args.plot)
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
