"""bench/entity_pages.py at a tiny size (the real release and 600 synthetic triples): a query
rewritten without changing its answers is compared on every resource and found equal, each
page query is timed with the rows our engine gives it, the served pages answer 200 and the
server is gone after; a rewrite that answers otherwise makes it exit 1 and name the query."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench_modules import bench_module, processes_mentioning
from rdflib import URIRef

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_store
from dhs_ai_kg.namespaces import BASE

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
QUERIES = ROOT / "server" / "dhs_ai_kg_server" / "queries"
SEED = 7


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 600 synthetic triples of seed 7: its graphs folder."""
    out = tmp_path_factory.mktemp("synthetic")
    bench_module("datagen").write(out, 600, seed=SEED)
    return out / "graphs"


def run(data: Path, before: Path, output: Path) -> subprocess.CompletedProcess[str]:
    """The tool over ``data`` against the queries in ``before``, at its smallest."""
    argv = [sys.executable, str(BENCH / "entity_pages.py"), "--data", str(data)]
    argv += ["--seed", str(SEED), "--before", str(before), "--repeat", "1", "--sample", "5"]
    argv += ["--output", str(output)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def tables(report: str) -> list[list[list[str]]]:
    """The report's tables, each a list of rows of cells (header and rule left out)."""
    found: list[list[list[str]]] = []
    lines = report.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            found.append([])
            for row in lines[i + 1 :]:
                if not row.startswith("|"):
                    break
                found[-1].append([c.strip() for c in row.strip("|").split("|")])
    return found


def test_an_equal_rewrite_is_compared_timed_and_served(data: Path, tmp_path: Path) -> None:
    tool = bench_module("entity_pages")
    before = tmp_path / "before"
    shutil.copytree(QUERIES, before)
    with (before / "resource-out.rq").open("a", encoding="utf-8") as changed:
        changed.write("# the text differs, the answers do not\n")
    output = tmp_path / "out" / "pages.md"
    done = run(data, before, output)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(output)]
    assert "DIFFERS" not in done.stderr
    answers, timings, served = tables(output.read_text(encoding="utf-8"))

    engine = Engine(load_store([data]))
    resources = set(tool.our_resources(engine))
    # The real release's resources are what the index lists without --data: the synthetic
    # releases' statement nodes carry no /synth-<seed>- in their IRIs.
    real = set(tool.our_resources(Engine(load_store([]))))
    assert real < resources and len(resources - real) > 5
    ((name, compared, rows, differ),) = answers
    assert (name, int(compared), differ) == ("resource-out", len(real) + 5, "0")
    assert int(rows) > 0

    pages = tool.pages(SEED, True)
    assert len(pages) == 4
    want = {}
    for query in tool.ENTITY_QUERIES:
        text = (QUERIES / f"{query}.rq").read_text(encoding="utf-8")
        for page in pages:
            bound = {"resource": URIRef(page)}
            want[(query, page.removeprefix(f"{BASE}id/"))] = engine.query(text, bound).count()
    assert {(q, p): int(n) for q, p, n, _, _ in timings} == want
    assert all(want[("resource-summary", p.removeprefix(f"{BASE}id/"))] > 0 for p in pages)
    assert {(q, b != "—") for q, _, _, b, _ in timings} == {
        (q, q == "resource-out") for q in tool.ENTITY_QUERIES
    }

    assert [row[0] for row in served] == list(tool.SERVED)
    assert all(row[1] == "200" and int(row[3].replace(",", "")) > 0 for row in served), served
    assert processes_mentioning(str(data)) == []


def test_a_rewrite_answering_otherwise_fails_and_is_named(data: Path, tmp_path: Path) -> None:
    before = tmp_path / "before"
    shutil.copytree(QUERIES, before)
    shutil.copy(QUERIES / "resource-in.rq", before / "resource-out.rq")
    output = tmp_path / "pages.md"
    done = run(data, before, output)
    assert done.returncode == 1, done.stderr
    assert "DIFFERS: resource-out <" in done.stderr
    assert {line.split()[1] for line in done.stderr.splitlines() if line.startswith("DIFFERS")} == {
        "resource-out"
    }
    answers = tables(output.read_text(encoding="utf-8"))[0]
    assert [row[0] for row in answers] == ["resource-out"] and int(answers[0][3]) > 0
    assert processes_mentioning(str(data)) == []


def test_sigterm_while_serving_stops_the_server(data: Path, tmp_path: Path) -> None:
    argv = [sys.executable, str(BENCH / "entity_pages.py"), "--data", str(data)]
    argv += ["--seed", str(SEED), "--before", str(QUERIES), "--repeat", "50", "--sample", "1"]
    argv += ["--output", str(tmp_path / "pages.md")]
    tool = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(" serve " in c for c in processes_mentioning(str(data))):
            assert tool.poll() is None and time.monotonic() < deadline, "no server started"
            time.sleep(0.1)
        tool.send_signal(signal.SIGTERM)
        assert tool.wait(timeout=30) != 0
    finally:
        tool.kill()
        tool.wait()
    assert processes_mentioning(str(data)) == []
    assert not (tmp_path / "pages.md").exists()
