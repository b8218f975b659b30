"""Named queries before and after a rewrite: p50 of each, and whether their answers are equal.

Loads the dataset once (the real release, plus ``--data DIR`` as ``dhs-ai-kg query --data``
does, pyoxigraph's bulk loader), then runs every named query of ``queries/`` and the same query
as it was at ``--before REF`` (git), interleaved, ``--repeat`` times each, in two cases:

- ``open``: required parameters bound (as ``bench/scale.py`` binds them: values of synthetic
  release 1; without ``--data``, the real release's values of
  ``bench/queries/peers-bindings.json``), optional ones left open: the whole-graph case;
- ``release``: ``?release`` bound as well, to synthetic release 1 (the real release without
  ``--data``).

The store holds the statistics graph, as ``dhs-ai-kg query`` loads it (query 13 reads it).

Answers are compared in full (SELECT rows as a multiset, CONSTRUCT triples as a set); a
difference is reported (``DIFFERS: <query> <case>`` on stderr) and makes the exit status 1.
``--before`` may also be a folder of ``.rq`` files (a test's changed copy of ``queries/``).
Writes ``bench/results/<date>-query-plans.md`` (``--output`` elsewhere) and prints its path.

Usage: ``.venv/bin/python bench/query_plans.py --data bench/.cache/scale-1000000-seed42/graphs``
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The real release's parameter values (every named query bound with them answers).
REAL_VALUES = REPO / "bench" / "queries" / "peers-bindings.json"
sys.path.insert(0, str(REPO / "bench"))

from scale import machine, required_values, sample_values, versions, write_report  # noqa: E402

from dhs_ai_kg.engine import Engine  # noqa: E402
from dhs_ai_kg.loading import load_store  # noqa: E402
from dhs_ai_kg.named_queries import NamedQuery, load_named_queries  # noqa: E402
from dhs_ai_kg.namespaces import KG  # noqa: E402


def queries_at(ref: str, folder: Path) -> dict[str, NamedQuery]:
    """The named queries as they were at git ``ref`` (written into ``folder``), or of the
    folder ``ref`` when it is one."""
    if Path(ref).is_dir():
        return load_named_queries(Path(ref))
    names = subprocess.run(
        ["git", "-C", str(REPO), "ls-tree", "--name-only", ref, "queries/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in names:
        if name.endswith(".rq"):
            text = subprocess.run(
                ["git", "-C", str(REPO), "show", f"{ref}:{name}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            (folder / Path(name).name).write_text(text, encoding="utf-8")
    return load_named_queries(folder)


def timed(engine: Engine, query: NamedQuery, raw: dict[str, str]) -> float:
    """Milliseconds to run ``query`` and count its rows (as ``bench/scale.py`` times it)."""
    bindings = query.bind(raw)
    start = time.perf_counter()
    engine.query(query.text, bindings).count()
    return (time.perf_counter() - start) * 1000


def answer(engine: Engine, query: NamedQuery, raw: dict[str, str]) -> object:
    """The answer of ``query``, order-free: SELECT rows as a multiset, triples as a set."""
    result = engine.query(query.text, query.bind(raw))
    rows = list(result)
    return frozenset(rows) if result.kind == "graph" else collections.Counter(rows)


def main(argv: list[str] | None = None) -> int:
    """Measure, compare, write the report; exit 1 if any answer differs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, help="graphs folder loaded beside the release")
    parser.add_argument(
        "--before", default="main", help="git ref (or folder) of the queries to compare"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per query and case")
    parser.add_argument("--seed", type=int, default=42, help="seed of the --data releases")
    parser.add_argument("--only", nargs="*", default=[], help="query names or prefixes")
    parser.add_argument("--output", type=Path, help="the report (default bench/results/…)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    store = load_store([args.data] if args.data else [], statistics=True)
    engine = Engine(store)
    loaded = time.perf_counter() - start
    print(f"loaded {len(store):,} quads in {loaded:.1f} s", file=sys.stderr)
    if args.data:
        values = sample_values(args.seed)
        release = str(KG[f"doc/synth-{args.seed}-000001-release"])
    else:
        real = json.loads(REAL_VALUES.read_text(encoding="utf-8"))
        values = {k: v for k, v in real.items() if k != "_comment"}
        release = values["release"]
    after = load_named_queries()
    lines = [
        f"# Named queries before ({args.before}) and after, p50 ms of {args.repeat} runs",
        "",
        f"Data: {len(store):,} quads ({args.data or 'the real release only'}); "
        f"?release in the `release` case: <{release}>.",
        f"Machine: {machine()}. Versions: {versions()}.",
        f"Command: `.venv/bin/python bench/query_plans.py {' '.join(argv or sys.argv[1:])}`",
        "",
        "| query | case | rows | before | after | same answer |",
        "|---|---|--:|--:|--:|---|",
    ]
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        before = queries_at(args.before, Path(tmp))
        for name, query in after.items():
            if args.only and not any(name.startswith(o) for o in args.only):
                continue
            old = before.get(name)
            open_ = required_values(query, values)
            cases = {"open": open_}
            if any(p.name == "release" for p in query.parameters):
                cases["release"] = {**open_, "release": release}
            for case, raw in cases.items():
                times: dict[str, list[float]] = {"before": [], "after": []}
                answers: dict[str, object] = {}
                for side, q in (("before", old), ("after", query)):
                    if q is not None:
                        answers[side] = answer(engine, q, raw)
                for _ in range(args.repeat):
                    for side, q in (("before", old), ("after", query)):
                        if q is not None:
                            times[side].append(timed(engine, q, raw))
                same = (
                    "—"
                    if old is None
                    else ("yes" if answers["before"] == answers["after"] else "**NO**")
                )
                if same == "**NO**":
                    differ += 1
                    print(f"DIFFERS: {name} {case}", file=sys.stderr)
                got = answers["after"]
                rows = sum(got.values()) if isinstance(got, collections.Counter) else len(got)  # type: ignore[arg-type]
                p50 = {k: f"{statistics.median(v):.1f}" if v else "—" for k, v in times.items()}
                line = f"| {name} | {case} | {rows} | {p50['before']} | {p50['after']} | {same} |"
                print(line, file=sys.stderr, flush=True)
                lines.append(line)
    print(write_report(lines, "query-plans", args.output))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
