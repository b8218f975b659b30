"""The entity pages' queries before and after a rewrite: full answers compared, p50 of each.

Loads the dataset once (the real release, plus ``--data DIR`` as ``dhs-ai-kg serve --data``
does), then, for each query a ``/id/<resource>`` page runs (``ENTITY_QUERIES``) whose text
differs from git ``--before``:

- compares the full answers (rows as a multiset) of the old and new text, bound as the page
  binds them, for every resource of the real release and ``--sample`` synthetic ones (of the
  old text, only the rows the new one is meant to give: for ``resource-relations`` those
  lead sentences use, for ``resource-grounding`` those of the resource's own statements);
- times every entity-page query (p50 of ``--repeat`` runs after one warm-up) for the four
  pages of issue 10 (a synthetic release's coalition and lead organization, a
  recommendation, the real coalition), the old text beside the new where it changed, and
  marks any over ``SLOW_MS``.

Then times the pages of ``SERVED`` through ``dhs-ai-kg serve --data`` (response and answer
caches off; wall time of each request and its body's bytes, median of ``--repeat`` after a
warm-up); the server's process group is killed on exit, error, Ctrl-C or SIGTERM.

``--before`` may also be a folder of ``.rq`` files (a test's changed copy of the queries).
Writes ``bench/results/<date>-entity-pages.md`` (``--output`` elsewhere), prints its path;
exit 1 if an answer differs (``DIFFERS: <query> <resource>`` on stderr).

Usage: ``.venv/bin/python bench/entity_pages.py --data bench/.cache/scale-1000000-seed42/graphs``
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from rdflib import URIRef

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from scale import free_port, machine, versions, write_report  # noqa: E402

from dhs_ai_kg.engine import Engine  # noqa: E402
from dhs_ai_kg.loading import load_store  # noqa: E402
from dhs_ai_kg.namespaces import BASE, PREFIXES  # noqa: E402

QUERIES = Path("server/dhs_ai_kg_server/queries")
LEAD = Path("server/dhs_ai_kg_server/data/lead-sentences.json")
#: The queries ``linked_data.resource_page`` and ``describe`` run for one resource.
ENTITY_QUERIES = (
    "resource-summary",
    "resource-grounding",
    "resource-out",
    "resource-in",
    "resource-in-grounding",
    "annotation-source",
    "resource-quotes",
    "resource-relations",
    "resource-links",
    "describe",
)
#: A query slower than this (ms) on a page is marked.
SLOW_MS = 20.0


def our_resources(engine: Engine) -> list[str]:
    """Our resources, as the /id/ index lists them (its query, ``resources.rq``): the pages
    whose answers are compared."""
    listed = engine.query((REPO / QUERIES / "resources.rq").read_text(encoding="utf-8"))
    return sorted({str(row[0]) for row in listed})


def pages(seed: int, synthetic: bool) -> list[str]:
    """The four pages of issue 10 (only the real one without synthetic data)."""
    tag = f"synth-{seed}-000001"
    real = [f"{BASE}id/org/coalition-omb-ai-comments"]
    if not synthetic:
        return real
    return [
        f"{BASE}id/org/{tag}-coalition",
        f"{BASE}id/org/{tag}-lead-1",
        f"{BASE}id/recommendation/{tag}-item-1",
        *real,
    ]


#: The entity pages timed through ``dhs-ai-kg serve --data`` (issue 10: two hubs and an
#: ordinary page), each as HTML.
SERVED = ("/id/role/lead", "/id/status/draft", "/id/org/mijente")


def served(data: Path | None, repeat: int, paths: tuple[str, ...] = SERVED) -> list[dict]:
    """Each of ``paths`` through ``dhs-ai-kg serve`` (caches off) on 127.0.0.1: status, bytes
    and the median of ``repeat`` request times after one warm-up; the server's process group
    is killed after, even on error, Ctrl-C or SIGTERM."""
    port = free_port()
    argv = [sys.executable, "-m", "dhs_ai_kg_cli", "serve", "--port", str(port)]
    argv += ["--response-cache", "0", "--answer-cache", "0"]
    argv += ["--data", str(data)] if data else []
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    found: list[dict] = []
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer (exit {proc.poll()})")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        for path in paths:
            runs = [fetch(base + path) for _ in range(repeat + 1)]  # the first is the warm-up
            ms = statistics.median(r[1] for r in runs[1:])
            found.append({"path": path, "status": runs[-1][0], "ms": ms, "bytes": runs[-1][2]})
            print(f"{path}: {runs[-1][0]} {ms:.0f} ms {runs[-1][2]:,} B", file=sys.stderr)
    finally:
        stop_group(proc)
    return found


def fetch(url: str) -> tuple[int, float, int]:
    """GET ``url`` as HTML: status, milliseconds to the body's last byte, the body's bytes."""
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, (time.perf_counter() - start) * 1000, len(body)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM ``proc``'s process group, SIGKILL it after 20 s; already gone is fine."""
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C: unwind, so ``finally`` blocks stop what was started."""
    raise KeyboardInterrupt


def summarized_in() -> set[str]:
    """The properties lead sentences summarize as "in <property>" (lead-sentences.json)."""
    keys = json.loads((REPO / LEAD).read_text(encoding="utf-8"))["relations"]
    return {
        PREFIXES[k.split()[1].split(":")[0]] + k.split()[1].split(":")[1]
        for k in keys
        if k.split()[0] == "in"
    }


def old_text(ref: str, name: str) -> str | None:
    """The text of ``queries/<name>.rq`` at git ``ref``, or in the folder ``ref`` (None if
    it had none)."""
    if Path(ref).is_dir():
        path = Path(ref) / f"{name}.rq"
        return path.read_text(encoding="utf-8") if path.is_file() else None
    done = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{ref}:{QUERIES / name}.rq"],
        capture_output=True,
        text=True,
    )
    return done.stdout if done.returncode == 0 else None


def timed(engine: Engine, text: str, iri: str) -> float:
    """Milliseconds to run ``text`` for ``iri`` and read every row."""
    start = time.perf_counter()
    engine.query(text, {"resource": URIRef(iri)}).count()
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    """Compare, measure, write the report; exit 1 if any answer differs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, help="graphs folder loaded beside the release")
    parser.add_argument(
        "--before", default="main", help="git ref (or folder) of the queries to compare"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query and page")
    parser.add_argument("--sample", type=int, default=200, help="synthetic resources compared")
    parser.add_argument("--seed", type=int, default=42, help="seed of the --data releases")
    parser.add_argument("--output", type=Path, help="the report (default bench/results/…)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)

    start = time.perf_counter()
    engine = Engine(load_store([args.data] if args.data else []))
    print(f"loaded in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    new = {n: (REPO / QUERIES / f"{n}.rq").read_text(encoding="utf-8") for n in ENTITY_QUERIES}
    old = {n: old_text(args.before, n) for n in ENTITY_QUERIES}
    changed = [n for n in ENTITY_QUERIES if old[n] is not None and old[n] != new[n]]

    every = our_resources(engine)
    # the real release's: what the index lists without --data (synthetic statement nodes
    # carry no /synth-<seed>- in their IRIs)
    alone = set(our_resources(Engine(load_store([])))) if args.data else set(every)
    real = [r for r in every if r in alone]
    synthetic = [r for r in every if r not in alone]
    sample = random.Random(args.seed).sample(synthetic, min(args.sample, len(synthetic)))
    compared = real + sample
    lines = [
        f"# Entity-page queries before ({args.before}) and after",
        "",
        f"Data: {args.data or 'the real release only'}. Machine: {machine()}. "
        f"Versions: {versions()}.",
        f"Command: `.venv/bin/python bench/entity_pages.py {' '.join(argv or sys.argv[1:])}`",
        "",
        f"## Answers: {len(real)} resources of the real release and {len(sample)} synthetic",
        "",
        "| query | resources | rows | differ |",
        "|---|--:|--:|--:|",
    ]
    differ = 0
    used = summarized_in()
    for name in changed:
        rows = wrong = 0
        for iri in compared:
            bound = {"resource": URIRef(iri)}
            after = collections.Counter(engine.query(new[name], bound))
            before = collections.Counter(engine.query(old[name] or "", bound))
            if name == "resource-relations":  # now only the "in" rows lead sentences use
                before = collections.Counter(
                    {r: n for r, n in before.items() if str(r[1]) != "in" or str(r[2]) in used}
                )
            if name == "resource-grounding":  # now only its own statements' (the rest: paged)
                before = collections.Counter({r: n for r, n in before.items() if r[1] == r[0]})
            rows += sum(after.values())
            if after != before:
                wrong += 1
                print(f"DIFFERS: {name} <{iri}>", file=sys.stderr)
        differ += wrong
        lines.append(f"| {name} | {len(compared)} | {rows} | {wrong} |")
        print(lines[-1], file=sys.stderr)
    lines += [
        "",
        f"## p50 ms of {args.repeat} runs after one warm-up (before: only where changed; "
        f"** over {SLOW_MS:.0f} ms)",
        "",
        "| query | page | rows | before | after |",
        "|---|---|--:|--:|--:|",
    ]
    for name in ENTITY_QUERIES:
        for iri in pages(args.seed, args.data is not None):
            sides = {"after": new[name]}
            if name in changed:
                sides["before"] = old[name] or ""
            p50: dict[str, str] = {"before": "—"}
            for side, text in sides.items():
                timed(engine, text, iri)
                ms = statistics.median(timed(engine, text, iri) for _ in range(args.repeat))
                p50[side] = f"{ms:.1f}" + (" **" if ms > SLOW_MS else "")
            rows = engine.query(new[name], {"resource": URIRef(iri)}).count()
            page = iri.removeprefix(f"{BASE}id/")
            lines.append(f"| {name} | {page} | {rows} | {p50['before']} | {p50['after']} |")
            print(lines[-1], file=sys.stderr, flush=True)
    lines += [
        "",
        f"## Pages through `dhs-ai-kg serve` (caches off): median ms of {args.repeat} "
        "after one warm-up",
        "",
        "| page | status | ms | bytes |",
        "|---|--:|--:|--:|",
    ]
    for row in served(args.data, args.repeat):
        lines.append(f"| {row['path']} | {row['status']} | {row['ms']:.0f} | {row['bytes']:,} |")
    print(write_report(lines, "entity-pages", args.output))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
