"""Measure where pyoxigraph stops answering: the smallest count of each chain kind that
crashes it (SIGSEGV) or keeps it busy longer than a time limit.

Each attempt runs ``Store().query(text)`` (parse, plan, run, every row read) on an empty
store in a fresh subprocess, since a crash kills the process. The count is found by doubling
then bisection (to ``--precision``), so the run takes minutes, not hours. The guard's limits in
``dhs_ai_kg.engine.Limits`` are set well below what this reports.

    .venv/bin/python bench/crash_thresholds.py            # all kinds, ~10 min on 2 cores
    .venv/bin/python bench/crash_thresholds.py --kinds not,or --slow 5

The table goes to stdout and to ``bench/results/<date>-crash-thresholds.md``.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHILD = """
import sys
import pyoxigraph as ox
text = sys.stdin.read()
try:
    result = ox.Store().query(text)
    if not isinstance(result, bool):
        for _ in result:
            pass
except SyntaxError as exc:
    print("syntax error:", str(exc)[:200])
    sys.exit(3)
except Exception as exc:
    print(type(exc).__name__, str(exc)[:200])
    sys.exit(4)
"""

P = "<urn:p>"


def _group(body: str) -> str:
    return "SELECT * WHERE { " + body + " }"


def _filter(expr: str) -> str:
    return _group(f"FILTER({expr})")


#: kind -> (description, query for a count n).
KINDS: dict[str, tuple[str, Callable[[int], str]]] = {
    "braces": ("nested `{}` groups", lambda n: "SELECT * WHERE " + "{" * n + "}" * n),
    "parens": ("nested `()` in FILTER", lambda n: _filter("(" * n + "1" + ")" * n)),
    "brackets": (
        "nested `[]` blank nodes",
        lambda n: _group("?s " + f"{P} [ " * n + f"{P} 1" + " ]" * n),
    ),
    "not": ("`!` chain", lambda n: _filter("!" * n + "true")),
    "neg": ("unary `-` chain", lambda n: _filter("- " * n + "1")),
    "sub": ("binary `-` chain", lambda n: _filter(" - ".join(["1"] * (n + 1)) + " < 0")),
    "or": ("`||` chain", lambda n: _filter(" || ".join(["true"] * (n + 1)))),
    "and": ("`&&` chain", lambda n: _filter(" && ".join(["true"] * (n + 1)))),
    "plus": ("`+` chain", lambda n: _filter(" + ".join(["1"] * (n + 1)) + " > 0")),
    "times": ("`*` chain", lambda n: _filter(" * ".join(["1"] * (n + 1)) + " > 0")),
    "div": ("`/` (division) chain", lambda n: _filter(" / ".join(["1"] * (n + 1)) + " > 0")),
    "hidden": (
        "`+` chain in a less-than that looks like an IRI: `?a<1+1+…&&?b>0`",
        lambda n: _filter("?a<" + "+".join(["1"] * (n + 1)) + "&&?b>0"),
    ),
    "eq": ("`=` chain", lambda n: _filter(" = ".join(["1"] * (n + 1)))),
    "calls": ("nested function calls", lambda n: _filter("STR(" * n + "1" + ")" * n)),
    "union": ("`UNION` chain", lambda n: _group(" UNION ".join(["{}"] * (n + 1)))),
    "optional": ("`OPTIONAL {}` in one group", lambda n: _group("OPTIONAL {} " * n)),
    "minus": ("`MINUS {}` in one group", lambda n: _group("MINUS {} " * n)),
    "groups": ("`{}` groups in sequence (joins)", lambda n: _group("{} " * n)),
    "bind": (
        "`BIND` in one group",
        lambda n: _group(" ".join(f"BIND(1 AS ?v{i})" for i in range(n))),
    ),
    "filter": ("`FILTER` in one group", lambda n: _group("FILTER(true) " * n)),
    "values": (
        "`VALUES` rows",
        lambda n: _group("VALUES ?x { " + " ".join(str(i) for i in range(n)) + " }"),
    ),
    "seq": ("path sequence `/`", lambda n: _group(f"?s {'/'.join([P] * (n + 1))} ?o")),
    "alt": ("path alternative `|`", lambda n: _group(f"?s {'|'.join([P] * (n + 1))} ?o")),
    "inverse": (
        "path inverse `^` (in an alternative)",
        lambda n: _group(f"?s {'|'.join(['^' + P] * n)} ?o"),
    ),
    "triples": ("triple patterns `?s ?p ?o .`", lambda n: _group("?s ?p ?o . " * n)),
    "objects": (
        "object list `?s <p> 1, 1, …`",
        lambda n: _group(f"?s {P} " + ", ".join(["1"] * n)),
    ),
    "collection": (
        "collection items `?s <p> (1 1 …)`",
        lambda n: _group(f"?s {P} (" + " 1" * n + " )"),
    ),
    "subselect": (
        "nested sub-`SELECT`",
        lambda n: "SELECT * WHERE " + "{ SELECT * WHERE " * n + "{}" + " }" * n,
    ),
}


def attempt(text: str, slow: float) -> tuple[str, float]:
    """Run one query in a fresh process: ('ok'|'error'|'crash'|'slow', seconds)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD],
            input=text.encode(),
            capture_output=True,
            timeout=slow,
        )
    except subprocess.TimeoutExpired:
        return "slow", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if done.returncode < 0:
        return f"crash (signal {-done.returncode})", seconds
    if done.returncode == 0:
        return "ok", seconds
    return "error: " + done.stdout.decode(errors="replace").strip()[:80], seconds


def bad(status: str) -> bool:
    """Whether an outcome is what the guard must prevent."""
    return status.startswith(("crash", "slow"))


def threshold(
    kind: str, slow: float, start: int, ceiling: int, precision: float
) -> tuple[int | None, str, int, str, float]:
    """Smallest bad count (or None up to ``ceiling``), its outcome, the largest good count
    tried, its outcome and the largest good time."""
    make = KINDS[kind][1]
    good, good_status, good_time = 0, "", 0.0
    n = start
    status = ""
    while True:  # doubling
        status, seconds = attempt(make(n), slow)
        print(f"  {kind} {n}: {status} {seconds:.1f} s", file=sys.stderr, flush=True)
        if bad(status):
            break
        good, good_status, good_time = n, status, seconds
        if n >= ceiling:
            return None, "", good, good_status, good_time
        n = min(n * 2, ceiling)
    low, high, high_status = good, n, status
    while high - low > max(1, int(low * precision)):
        mid = (low + high) // 2
        status, seconds = attempt(make(mid), slow)
        print(f"  {kind} {mid}: {status} {seconds:.1f} s", file=sys.stderr, flush=True)
        if bad(status):
            high, high_status = mid, status
        else:
            low, good_status, good_time = mid, status, seconds
    return high, high_status, low, good_status, good_time


def main() -> int:
    """Measure every kind asked for and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma list of kinds")
    parser.add_argument("--slow", type=float, default=10.0, help="seconds that count as slow")
    parser.add_argument("--start", type=int, default=64)
    parser.add_argument("--ceiling", type=int, default=200_000)
    parser.add_argument("--precision", type=float, default=0.05)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    import pyoxigraph

    kinds = [k for k in args.kinds.split(",") if k]
    begun = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {
            k: pool.submit(threshold, k, args.slow, args.start, args.ceiling, args.precision)
            for k in kinds
        }
        found = {k: f.result() for k, f in futures.items()}
    stack = resource.getrlimit(resource.RLIMIT_STACK)[0]
    lines = [
        f"# pyoxigraph crash thresholds, {datetime.date.today()}",
        "",
        f"pyoxigraph {pyoxigraph.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}, stack limit {stack // 1024 if stack > 0 else 'unlimited'} KiB, "
        f"slow = over {args.slow:g} s, {args.jobs} attempts at a time, "
        f"run took {time.perf_counter() - begun:.0f} s. Command: "
        "`.venv/bin/python bench/crash_thresholds.py`.",
        "",
        "Each attempt: `Store().query(text)` on an empty store, every row read, in a fresh "
        "process. *Fails at* is the smallest count found (within "
        f"{args.precision:.0%}) that crashed or was slow; *largest fine* the biggest count "
        "that was not, with its outcome.",
        "",
        "| kind | query shape | fails at | how | largest fine | its outcome |",
        "|---|---|---:|---|---:|---|",
    ]
    for kind, (high, how, low, low_status, low_time) in found.items():
        shown = f"{high:,}" if high is not None else f"none ≤ {args.ceiling:,}"
        fine = f"{low_status} in {low_time:.1f} s" if low_status else ""
        lines.append(f"| {kind} | {KINDS[kind][0]} | {shown} | {how} | {low:,} | {fine} |")
    report = "\n".join(lines) + "\n"
    print(report)
    output = args.output or (
        Path(__file__).parent / "results" / f"{datetime.date.today()}-crash-thresholds.md"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
