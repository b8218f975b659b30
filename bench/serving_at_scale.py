"""Is the server usable at scale? Start-up and every page type, at a series of data sizes.

For each size (synthetic releases from ``datagen.py`` beside the real release, via
``dhs-ai-kg serve --data``): start the server in its own process group, time start-up from
the command to the first answer (``/healthz``) and keep its start-up lines, then time each page
type (the front page, ``/id/``, an entity page, ``/.well-known/void``, the service description,
``/dumps/``, one dump per format, ``/search``, ``/ontology``, ``/graph/release``): the first
request (cold: whatever is built on first use) and the median of ``--repeat`` more (warm).
Caches in front of the app are off (``--response-cache 0``), so warm times are the app's.

Writes ``bench/results/<date>-serving-at-scale.md`` (``--output``) and prints its path.

Usage: ``.venv/bin/python bench/serving_at_scale.py --sizes 100k,1m``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402  (bench/scale.py: sizes, data cache, ports, machine facts)

RESULTS = REPO / "bench" / "results"


def log(text: str) -> None:
    """Progress on stderr."""
    print(text, file=sys.stderr, flush=True)


def get(url: str, accept: str = "*/*", timeout: float = 300.0) -> tuple[int, bytes, float]:
    """Status, body and seconds of one GET (``-1`` status: no answer within ``timeout``)."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read()
            return answer.status, body, time.perf_counter() - start
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), time.perf_counter() - start
    except (TimeoutError, OSError):
        return -1, b"", time.perf_counter() - start


PAGES: tuple[tuple[str, str, str], ...] = (
    ("front page", "/", "text/html"),
    ("resource index", "/id/", "text/html"),
    ("resource index, page 2", "/id/?page=2", "text/html"),
    ("VoID", "/.well-known/void", "text/turtle"),
    ("service description", "/sparql", "text/turtle"),
    ("dumps listing", "/dumps/", "application/json"),
    ("search", "/search?q=data&format=json", "application/json"),
    ("ontology", "/ontology", "text/turtle"),
    ("release graph", "/graph/release", "text/turtle"),
)


def pages(base: str) -> list[tuple[str, str, str]]:
    """The page types, with an entity page found by search and one dump per format."""
    found = list(PAGES)
    status, body, _ = get(f"{base}/search?q=data&format=json", "application/json")
    if status == 200 and json.loads(body)["results"]:
        href = json.loads(body)["results"][0]["href"]
        found.insert(2, ("entity page", urllib.parse.urlsplit(href).path, "text/html"))
    status, body, _ = get(f"{base}/dumps/", "application/json", timeout=600)
    if status == 200:
        seen: set[str] = set()
        for dump in json.loads(body):
            if dump["mediaType"] not in seen:
                seen.add(dump["mediaType"])
                found.append((f"dump {dump['filename']}", dump["url"], "*/*"))
    return found


def series(data: Path, repeat: int, startup_limit: float, log_file: Path) -> dict:
    """Start the server over ``data``, time start-up and each page type, stop it."""
    port = scale.free_port()
    argv = [sys.executable, "-m", "dhs_ai_kg_cli", "serve", "--port", str(port)]
    argv += ["--response-cache", "0", "--answer-cache", "0", "--data", str(data)]
    base = f"http://127.0.0.1:{port}"
    result: dict = {"startup_s": None, "first_query_s": None, "pages": {}, "startup_lines": []}
    with log_file.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=sink, stderr=sink, start_new_session=True)
        try:
            while time.perf_counter() - start < startup_limit:
                if proc.poll() is not None:
                    raise RuntimeError(f"the server stopped (exit {proc.returncode}): {log_file}")
                status, _, _ = get(f"{base}/healthz", timeout=5)
                if status == 200:
                    result["startup_s"] = time.perf_counter() - start
                    break
                time.sleep(0.05)
            else:
                log(f"  no answer within {startup_limit:.0f} s")
                return result
            log(f"  first answer after {result['startup_s']:.1f} s")
            first = f"{base}/queries/01-lead-organizations?format=json"
            while time.perf_counter() - start < startup_limit:  # needs the query processes
                if get(first, "application/json", timeout=startup_limit)[0] == 200:
                    result["first_query_s"] = time.perf_counter() - start
                    log(f"  first named query answered after {result['first_query_s']:.1f} s")
                    break
                time.sleep(0.05)
            for name, path, accept in pages(base):
                status, body, cold = get(base + path, accept)
                warm = []
                if status == 200:
                    warm = [get(base + path, accept)[2] for _ in range(repeat)]
                result["pages"][name] = {
                    "path": path,
                    "status": status,
                    "bytes": len(body),
                    "cold_s": cold,
                    "warm_s": statistics.median(warm) if warm else None,
                }
                log(f"  {name}: {status}, cold {cold:.2f} s")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    text = log_file.read_text(encoding="utf-8", errors="replace")
    result["startup_lines"] = [ln for ln in text.splitlines() if ln.startswith("start-up: ")]
    return result


def seconds(value: float | None) -> str:
    """Seconds as a table cell (milliseconds below one second)."""
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def report(runs: dict[str, dict], command: str, repeat: int, note: str = "") -> str:
    """The Markdown report of ``runs`` (by size label)."""
    sizes = list(runs)
    lines = [
        f"# Serving at scale ({dt.date.today().isoformat()})",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {scale.machine()}; load average at the end "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}. {note}".rstrip(),
        f"Software: {scale.versions()}.",
        "",
        "Start-up: seconds from the command to the first answer (`/healthz`), and to the "
        "first named query's answer (`/queries/01-lead-organizations`: the query processes "
        "loaded).",
        f"Pages: first request (cold) and median of {repeat} more (warm), caches in front off.",
        "",
        "| | " + " | ".join(f"{s} cold | {s} warm" for s in sizes) + " |",
        "|---|" + "---:|---:|" * len(sizes),
        "| start-up | " + " | ".join(f"{seconds(runs[s]['startup_s'])} | " for s in sizes) + " |",
        "| first named query | "
        + " | ".join(f"{seconds(runs[s].get('first_query_s'))} | " for s in sizes)
        + " |",
    ]
    names: list[str] = []
    for run in runs.values():
        names += [n for n in run["pages"] if n not in names]
    for name in names:
        cells = []
        for s in sizes:
            page = runs[s]["pages"].get(name)
            if page is None:
                cells += ["—", "—"]
            elif page["status"] != 200:
                cells += [f"HTTP {page['status']} ({seconds(page['cold_s'])})", "—"]
            else:
                cells += [seconds(page["cold_s"]), seconds(page["warm_s"])]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Response bytes:", "", "| | " + " | ".join(sizes) + " |"]
    lines += ["|---|" + "---:|" * len(sizes)]
    for name in names:
        sized = [runs[s]["pages"].get(name, {}).get("bytes") for s in sizes]
        lines.append(f"| {name} | " + " | ".join(f"{b:,}" if b else "—" for b in sized) + " |")
    for s in sizes:
        lines += ["", f"Start-up lines at {s}:", "", "```"]
        lines += runs[s]["startup_lines"] or ["(none: start-up did not finish)"]
        lines += ["```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the series and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m", help="comma list: 10k, 100k, 1m, …")
    parser.add_argument("--repeat", type=int, default=3, help="warm requests per page")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--startup-limit", type=float, default=600.0, help="seconds")
    parser.add_argument("--cache", type=Path, default=scale.CACHE, help="where data is kept")
    parser.add_argument("--output", type=Path, help="the report (default bench/results/…)")
    parser.add_argument("--note", default="", help="what the machine was doing meanwhile")
    args = parser.parse_args(argv)
    output = args.output or RESULTS / f"{dt.date.today().isoformat()}-serving-at-scale.md"
    runs: dict[str, dict] = {}
    logs = Path(tempfile.mkdtemp(prefix="dhs-ai-kg-serving-at-scale-"))
    try:
        for label in args.sizes.split(","):
            data = scale.dataset_for(scale.parse_size(label), args.seed, args.cache)
            log(f"{label}: serving {data}")
            runs[label] = series(data, args.repeat, args.startup_limit, logs / f"{label}.log")
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    command = "python bench/serving_at_scale.py " + " ".join(argv or sys.argv[1:])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report(runs, command.strip(), args.repeat, args.note), encoding="utf-8")
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
