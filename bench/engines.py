"""Compare SPARQL engines on the project's data and on synthetic data of the same shape.

Engines, all measured in the same run with the engine order rotated every round:
  rdflib            rdflib's engine, query text parsed on every call (``Graph.query(str)``)
  rdflib-prepared   rdflib's engine, ``prepareQuery`` once at start-up, then ``initBindings``
  oxrdflib          an rdflib ``Graph(store="Oxigraph")``, query text handed to Oxigraph
  pyoxigraph        ``pyoxigraph.Store.query`` with ``substitutions``

Workloads: load time and RSS growth (each sample in a fresh process), query latency for every
``queries/*.rq`` file, and a semantics check that every engine returns the same result set.
Then the safety probes of ``safety.py`` (each in a subprocess). Results: a Markdown report on
stdout and in ``results/<date>-engines.md``.

Usage: ``.venv/bin/python bench/engines.py [--repeat N] [--scale real,10k,100k]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import datagen
import pyoxigraph as ox
import safety
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
QUERIES_DIR = HERE / "queries"
RESULTS_DIR = HERE / "results"
CACHE_DIR = HERE / ".cache"
REAL_DATA_DIR = ROOT / "data" / "graphs"

ENGINES = ("rdflib", "rdflib-prepared", "oxrdflib", "pyoxigraph")
LOADERS = ("rdflib", "oxrdflib", "pyoxigraph")
REFERENCE = "pyoxigraph"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
PARAM_LINE = re.compile(r"^#\s*param:\s*(\w+)\s*=\s*<([^>]+)>\s*$", re.MULTILINE)

Term = tuple[str, ...] | None
Output = tuple[list[str] | None, list[Any]]  # (SELECT variables or None for a graph, rows)


# --------------------------------------------------------------------------- queries


@dataclass
class QuerySpec:
    """One ``.rq`` file: its text, its rdflib-prepared form and its parameters (IRIs only)."""

    name: str
    text: str
    params: dict[str, str]
    prepared: Query = field(init=False)
    rdflib_bindings: dict[str, URIRef] = field(init=False)
    ox_substitutions: dict[ox.Variable, ox.NamedNode] = field(init=False)

    def __post_init__(self) -> None:
        self.prepared = prepareQuery(self.text)
        self.rdflib_bindings = {k: URIRef(v) for k, v in self.params.items()}
        self.ox_substitutions = {ox.Variable(k): ox.NamedNode(v) for k, v in self.params.items()}


def load_queries(folder: Path = QUERIES_DIR) -> list[QuerySpec]:
    """Every ``*.rq`` of ``folder``, sorted; ``# param: var = <iri>`` header lines bind ``?var``."""
    specs = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        specs.append(QuerySpec(path.stem, text, dict(PARAM_LINE.findall(text))))
    return specs


# --------------------------------------------------------------------------- engines


def load(engine: str, files: Sequence[Path]) -> Any:
    """Parse Turtle ``files`` into the default graph of a new store for ``engine``."""
    if engine == "rdflib":
        graph = Graph()
        for path in files:
            graph.parse(path, format="turtle")
        return graph
    if engine == "oxrdflib":
        graph = Graph(store="Oxigraph")
        for path in files:
            graph.parse(path, format="ox-turtle")  # rdflib's own parser into it is 7-8x slower
        return graph
    if engine == "pyoxigraph":
        store = ox.Store()
        for path in files:
            store.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri())
        return store
    raise ValueError(engine)


def _rdflib_output(result: Any) -> Output:
    if result.type == "SELECT":
        return [str(v) for v in result.vars], list(result)
    return None, list(result)


def run_rdflib(graph: Graph, q: QuerySpec) -> Output:
    """rdflib, query text parsed on every call."""
    return _rdflib_output(graph.query(q.text, initBindings=q.rdflib_bindings))


def run_rdflib_prepared(graph: Graph, q: QuerySpec) -> Output:
    """rdflib, query prepared once (``QuerySpec.prepared``)."""
    return _rdflib_output(graph.query(q.prepared, initBindings=q.rdflib_bindings))


def run_oxrdflib(graph: Graph, q: QuerySpec) -> Output:
    """oxrdflib: a string query (a prepared one would silently run on rdflib's engine)."""
    return _rdflib_output(graph.query(q.text, initBindings=q.rdflib_bindings))


def run_pyoxigraph(store: ox.Store, q: QuerySpec) -> Output:
    """pyoxigraph ``Store.query`` with ``substitutions``."""
    result = store.query(q.text, substitutions=q.ox_substitutions)
    if isinstance(result, ox.QuerySolutions):
        return [v.value for v in result.variables], list(result)
    if isinstance(result, ox.QueryTriples):
        return None, list(result)
    return ["ask"], [[ox.Literal(str(bool(result)).lower())]]


RUNNERS: dict[str, Callable[[Any, QuerySpec], Output]] = {
    "rdflib": run_rdflib,
    "rdflib-prepared": run_rdflib_prepared,
    "oxrdflib": run_oxrdflib,
    "pyoxigraph": run_pyoxigraph,
}
STORE_OF = {
    "rdflib": "rdflib",
    "rdflib-prepared": "rdflib",
    "oxrdflib": "oxrdflib",
    "pyoxigraph": "pyoxigraph",
}


# --------------------------------------------------------------------------- semantics


def norm_term(term: Any) -> Term:
    """An engine-neutral form of an RDF term; every blank node is the same placeholder."""
    if term is None:
        return None
    if isinstance(term, URIRef | ox.NamedNode):
        return ("I", str(term) if isinstance(term, URIRef) else term.value)
    if isinstance(term, BNode | ox.BlankNode):
        return ("B",)
    if isinstance(term, Literal):
        lang = term.language.lower() if term.language else ""
        default = RDF_LANG_STRING if lang else XSD_STRING
        datatype = str(term.datatype) if term.datatype else default
        return ("L", str(term), datatype, lang)
    if isinstance(term, ox.Literal):
        return ("L", term.value, term.datatype.value, (term.language or "").lower())
    raise TypeError(f"unexpected term {term!r}")


def normalize(output: Output) -> Counter[Any]:
    """Results as a multiset: of sets of (variable, term) bindings, or of triples."""
    variables, rows = output
    if variables is None:
        return Counter(
            tuple(
                norm_term(x)
                for x in ((t.subject, t.predicate, t.object) if isinstance(t, ox.Triple) else t)
            )
            for t in rows
        )
    return Counter(
        frozenset(
            (v, norm_term(val)) for v, val in zip(variables, row, strict=True) if val is not None
        )
        for row in rows
    )


def describe_difference(expected: Counter[Any], got: Counter[Any], limit: int = 3) -> str:
    """A short human-readable difference of two result multisets."""
    missing = list((expected - got).elements())[:limit]
    extra = list((got - expected).elements())[:limit]
    return (
        f"{sum(got.values())} rows vs {sum(expected.values())}; "
        f"missing e.g. {missing}; unexpected e.g. {extra}"
    )


# --------------------------------------------------------------------------- statistics


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def p90(samples: Sequence[float]) -> float:
    """90th percentile (inclusive method; the single value when there is one sample)."""
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=10, method="inclusive")[8]


def rotated(items: Sequence[str], round_no: int) -> list[str]:
    """``items`` rotated by ``round_no``, so every engine takes every position in turn."""
    k = round_no % len(items)
    return [*items[k:], *items[:k]]


# --------------------------------------------------------------------------- workloads


@dataclass
class ScaleResult:
    """Everything measured on one dataset."""

    label: str
    files: list[Path]
    triples: dict[str, int] = field(default_factory=dict)
    load_s: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: dict[str, list[float]] = field(default_factory=dict)
    query_ms: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)


def child_load(engine: str, files: Sequence[Path]) -> None:
    """In a fresh process: load, then print load seconds, RSS growth and triple count as JSON."""
    warm_up = CACHE_DIR / "warm-up.ttl"  # imports the parser plugins before measuring
    warm_up.parent.mkdir(parents=True, exist_ok=True)
    warm_up.write_text("<http://e/s> <http://e/p> <http://e/o> .\n", encoding="utf-8")
    load(engine, [warm_up])
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    obj = load(engine, files)
    seconds = time.perf_counter() - start
    gc.collect()
    after = rss_bytes()
    print(json.dumps({"seconds": seconds, "rss_delta": after - before, "triples": len(obj)}))


def bench_load(res: ScaleResult, repeat: int) -> None:
    """Load ``res.files`` ``repeat`` times per engine, each in a new process, alternating."""
    for round_no in range(repeat):
        for engine in rotated(LOADERS, round_no):
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child-load",
                engine,
                *map(str, res.files),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
            if proc.returncode != 0:
                raise RuntimeError(f"{engine} load failed: {proc.stderr[-2000:]}")
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            res.load_s.setdefault(engine, []).append(out["seconds"])
            res.rss_mb.setdefault(engine, []).append(out["rss_delta"] / 2**20)
            res.triples[engine] = out["triples"]
            log(f"  load {engine}: {out['seconds']:.2f} s, +{out['rss_delta'] / 2**20:.0f} MB")
    if len(set(res.triples.values())) > 1:
        loud(res, f"load: engines disagree on the triple count: {res.triples}")


def bench_queries(res: ScaleResult, queries: list[QuerySpec], repeat: int, budget: float) -> None:
    """Time every query on every engine, engines rotated per round; check result sets agree."""
    stores = {engine: load(engine, res.files) for engine in LOADERS}
    # Warm-up round, also the semantics check (pyoxigraph is the reference).
    for q in queries:
        outputs = {e: normalize(RUNNERS[e](stores[STORE_OF[e]], q)) for e in ENGINES}
        reference = outputs[REFERENCE]
        res.rows[q.name] = sum(reference.values())
        for engine, got in outputs.items():
            if got != reference:
                loud(
                    res,
                    f"{q.name}: {engine} differs from {REFERENCE}: "
                    f"{describe_difference(reference, got)}",
                )
    spent: Counter[tuple[str, str]] = Counter()
    for round_no in range(repeat):
        gc.collect()
        for q in queries:
            for engine in rotated(ENGINES, round_no):
                key = (q.name, engine)
                samples = res.query_ms.setdefault(key, [])
                if len(samples) >= 3 and spent[key] > budget:
                    continue  # a slow cell stops early; its sample count is reported
                start = time.perf_counter()
                RUNNERS[engine](stores[STORE_OF[engine]], q)
                elapsed = time.perf_counter() - start
                spent[key] += elapsed
                samples.append(elapsed * 1000)
        log(f"  query round {round_no + 1}/{repeat} done")
    del stores
    gc.collect()


# --------------------------------------------------------------------------- report


def log(message: str) -> None:
    """Progress goes to stderr; the report goes to stdout."""
    print(message, file=sys.stderr, flush=True)


def loud(res: ScaleResult, message: str) -> None:
    """Record and shout a semantics mismatch."""
    res.mismatches.append(message)
    log(f"!!!!! SEMANTICS MISMATCH [{res.label}] {message}")


def fmt(value: float, digits: int = 2) -> str:
    """A number with adaptive precision: 3 significant-ish digits, thousands separated."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.{digits}f}"


def cell(samples: list[float], reference: list[float] | None) -> str:
    """``median / p90 (xratio)`` for a table cell."""
    if not samples:
        return "—"
    med = statistics.median(samples)
    ratio = ""
    if reference:
        ratio = f" (x{fmt(med / statistics.median(reference), 1)})"
    return f"{fmt(med, 3)} / {fmt(p90(samples), 3)}{ratio}"


def report_scale(res: ScaleResult, queries: list[QuerySpec]) -> list[str]:
    """The Markdown section of one dataset."""
    n = res.triples.get(REFERENCE, 0)
    lines = [f"## {res.label}: {n:,} triples", ""]
    lines += [
        f"Load: each sample a fresh process; {len(res.load_s.get(REFERENCE, []))} samples "
        "per engine. RSS Δ is the resident-memory growth from before parsing to after it "
        "(after a `gc.collect()`).",
        "",
        "| engine | load median s | load p90 s | x pyoxigraph | RSS Δ median MB | x pyoxigraph |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    ref_load = statistics.median(res.load_s[REFERENCE])
    ref_rss = statistics.median(res.rss_mb[REFERENCE])
    for engine in LOADERS:
        load_s, rss = res.load_s[engine], res.rss_mb[engine]
        lines.append(
            f"| {engine} | {fmt(statistics.median(load_s), 3)} | {fmt(p90(load_s), 3)} | "
            f"{fmt(statistics.median(load_s) / ref_load, 1)} | {fmt(statistics.median(rss), 1)} | "
            f"{fmt(statistics.median(rss) / max(ref_rss, 0.1), 1)} |"
        )
    samples = {len(v) for v in res.query_ms.values()}
    lines += [
        "",
        "Queries: milliseconds, `median / p90 (x pyoxigraph's median)`, results fully "
        f"materialised; {min(samples, default=0)}-{max(samples, default=0)} samples per cell.",
        "",
        "| query | rows | " + " | ".join(ENGINES) + " |",
        "|---|---:|" + "---:|" * len(ENGINES),
    ]
    for q in queries:
        ref = res.query_ms[(q.name, REFERENCE)]
        cells = [cell(res.query_ms[(q.name, e)], ref) for e in ENGINES]
        lines.append(f"| {q.name} | {res.rows[q.name]:,} | " + " | ".join(cells) + " |")
    lines.append("")
    if res.mismatches:
        lines.append("**SEMANTICS MISMATCHES:**")
        lines += [f"- {m}" for m in res.mismatches]
    else:
        lines.append(
            f"Semantics: all {len(ENGINES)} engines returned the same result set "
            f"(multiset of bindings, or of triples) for all {len(queries)} queries."
        )
    lines.append("")
    return lines


def header(argv: Sequence[str]) -> list[str]:
    """Title, command and environment of the run."""
    versions = ", ".join(f"{p} {version(p)}" for p in ("rdflib", "pyoxigraph", "oxrdflib"))
    return [
        f"# SPARQL engines benchmark, {dt.date.today().isoformat()}",
        "",
        f"- Command: `{' '.join(['.venv/bin/python bench/engines.py', *argv])}`",
        f"- Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {versions}",
        "- Engines alternate (order rotated every round); a shared, noisy box: compare only "
        "within this file.",
        "- `rdflib` parses the query text on every call; `rdflib-prepared` uses `prepareQuery` "
        'once and `initBindings`; `oxrdflib` is an rdflib `Graph(store="Oxigraph")` given the '
        "query text; `pyoxigraph` is `Store.query(text, substitutions=...)`.",
        "",
    ]


def parse_scale(token: str) -> int | None:
    """``real`` -> None; ``10k``/``1m``/``2500`` -> a triple count."""
    token = token.strip().lower()
    if token == "real":
        return None
    factor = {"k": 1_000, "m": 1_000_000}.get(token[-1], 1)
    return int(float(token.rstrip("km")) * factor)


def datasets(scales: list[str], seed: int) -> list[tuple[str, list[Path]]]:
    """(label, files) per requested scale; the real data is skipped when there is none."""
    out = []
    for token in scales:
        size = parse_scale(token)
        if size is None:
            files = sorted(REAL_DATA_DIR.glob("*.ttl"))
            if files:
                out.append(("Project data (data/graphs/*.ttl)", files))
            else:
                log(f"no {REAL_DATA_DIR}/*.ttl yet: the real-data scale is skipped")
            continue
        path = CACHE_DIR / f"synthetic-{size}-seed{seed}.ttl"
        if not path.exists():
            log(f"generating {path.name}")
            datagen.write_documents(path, size, seed)
        out.append((f"Synthetic {token} (seed {seed})", [path]))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 1 when engines disagree on any result."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description="Compare SPARQL engines (see bench/README.md).")
    parser.add_argument("--repeat", type=int, default=10, help="query rounds (default 10)")
    parser.add_argument(
        "--load-repeat",
        type=int,
        default=3,
        help="load samples per engine, each a fresh process (default 3)",
    )
    parser.add_argument(
        "--scale",
        default="real,10k,100k",
        help="comma-separated: real, 10k, 100k, 1m, ... (default real,10k,100k)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--budget",
        type=float,
        default=20.0,
        help="seconds per (query, engine) cell before it stops at >=3 samples",
    )
    parser.add_argument("--skip-safety", action="store_true", help="skip the safety probes")
    parser.add_argument(
        "--output", type=Path, default=RESULTS_DIR / f"{dt.date.today().isoformat()}-engines.md"
    )
    parser.add_argument("--child-load", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_load:
        child_load(args.child_load[0], [Path(p) for p in args.child_load[1:]])
        return 0

    started = time.perf_counter()
    queries = load_queries()
    lines = header(argv)
    mismatched = False
    for label, files in datasets(args.scale.split(","), args.seed):
        log(f"== {label}")
        res = ScaleResult(label, files)
        bench_load(res, args.load_repeat)
        bench_queries(res, queries, args.repeat, args.budget)
        lines += report_scale(res, queries)
        mismatched = mismatched or bool(res.mismatches)
    if not args.skip_safety:
        log("== safety probes")
        lines += safety.run_all()
    lines.append(f"_Total run time: {time.perf_counter() - started:.0f} s._")
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    log(f"written {args.output}")
    if mismatched:
        log("!!!!! engines disagree on some results: see the report")
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
