"""bench/virtuoso_scale.py at a tiny size: the push lands every triple of every graph in
Virtuoso and in the Oxigraph server, in memory and on RocksDB (counts checked against the
files, parsed here), every named query is answered there as our engine answers it, the report
is written, and nothing it started is left running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import stores
from bench_modules import processes_mentioning, triples_per_graph

from dhs_ai_kg.named_queries import load_named_queries

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "virtuoso_scale.py"


def test_push_counts_and_answers_agree_at_a_tiny_size(tmp_path: Path) -> None:
    stores.require("virtuoso-t", "virtuoso-opensource")
    stores.require("isql-vt", "virtuoso-opensource")
    temp, cache, report = tmp_path / "tmp", tmp_path / "cache", tmp_path / "out" / "vs.md"
    temp.mkdir()
    argv = [sys.executable, str(SCRIPT), "--sizes", "600", "--repeat", "2", "--seed", "7"]
    argv += ["--cache", str(cache), "--output", str(report), "--buffers", "10000"]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "TMPDIR": str(temp)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [str(report)]
    (row,) = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))

    want = triples_per_graph(Path(row["data"]))
    assert len(want) == 4 and all(want.values())
    named = load_named_queries(ROOT / "queries")
    parameterised = {f"{n} (real release)" for n, q in named.items() if q.parameters}
    for store in ("virtuoso", "oxigraph", "oxigraph-rocksdb"):
        counts = row[store]["counts"]
        assert counts[store] == want, store
        assert counts["ours"] == want, store
        assert counts["sent"] == want, store
        statuses = {graph: g["status"] for graph, g in row[store]["push"]["graphs"].items()}
        assert set(statuses) == set(want) and set(statuses.values()) <= {201, 204}, store
        verdicts = row[store]["verdicts"]
        assert set(verdicts) == set(named) | parameterised, store
        assert {name: v for name, v in verdicts.items() if v} == {}, store
    assert set(row["queries"]) == set(row["virtuoso"]["verdicts"])
    # Bound to values the data holds, the lookups answer something; synthetic releases count.
    for name in ("10-grounding", "14-describe-organization", "15-statement-source"):
        assert row["queries"][name]["rows"] > 0, name
        assert row["queries"][f"{name} (real release)"]["rows"] > 0, name
    lead = row["queries"]["01-lead-organizations"]["rows"]
    assert lead > row["queries"]["01-lead-organizations (real release)"]["rows"] > 0
    for q in row["queries"].values():
        assert q["errors"] == 0
        assert q["virtuoso_errors"] == q["oxigraph_errors"] == q["oxigraph-rocksdb_errors"] == 0
        assert q["n"] == 2
        assert all(
            q[f"{who}_p50_ms"] > 0 for who in ("virtuoso", "oxigraph", "oxigraph-rocksdb", "ours")
        )

    text = report.read_text(encoding="utf-8")
    assert "Command: `.venv/bin/python bench/virtuoso_scale.py --sizes 600 --repeat 2" in text
    assert text.count("Counts **agree**") == 3 and "DIFFER" not in text
    assert (
        "answers: Virtuoso: all the same as ours; Oxigraph server: all the same as ours; "
        "Oxigraph server (RocksDB): all the same as ours" in text
    )
    assert processes_mentioning(str(temp)) == [] and list(temp.iterdir()) == []


def test_the_leftover_check_sees_a_server_with_no_path_on_its_command_line(
    tmp_path: Path,
) -> None:
    # The in-memory Oxigraph server's command line names no folder: only its working folder
    # ties it to the run, so the check above must look there too.
    sleeper = subprocess.Popen(["sleep", "60"], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 10  # until the child has run exec
        while (found := processes_mentioning(str(tmp_path))) != ["sleep 60 "]:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert found == ["sleep 60 "]
    finally:
        sleeper.kill()
        sleeper.wait()
    assert processes_mentioning(str(tmp_path)) == []
