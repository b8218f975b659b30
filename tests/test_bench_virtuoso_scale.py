"""bench/virtuoso_scale.py at a tiny size: the push lands every triple of every graph in
Virtuoso (counts checked against the files, parsed here), every named query is answered there
as our engine answers it, the report is written, and nothing it started is left running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    assert row["counts"]["virtuoso"] == want
    assert row["counts"]["ours"] == want
    assert row["counts"]["sent"] == want
    assert {graph: g["status"] for graph, g in row["push"]["graphs"].items()} == dict.fromkeys(
        want, 201
    )

    named = load_named_queries(ROOT / "queries")
    parameterised = {f"{n} (real release)" for n, q in named.items() if q.parameters}
    assert set(row["verdicts"]) == set(named) | parameterised
    assert {name: v for name, v in row["verdicts"].items() if v} == {}
    assert set(row["queries"]) == set(row["verdicts"])
    # Bound to values the data holds, the lookups answer something; synthetic releases count.
    for name in ("10-grounding", "14-describe-organization", "15-statement-source"):
        assert row["queries"][name]["rows"] > 0, name
        assert row["queries"][f"{name} (real release)"]["rows"] > 0, name
    lead = row["queries"]["01-lead-organizations"]["rows"]
    assert lead > row["queries"]["01-lead-organizations (real release)"]["rows"] > 0
    assert all(q["errors"] == 0 and q["n"] == 2 for q in row["queries"].values())

    text = report.read_text(encoding="utf-8")
    assert "Command: `.venv/bin/python bench/virtuoso_scale.py --sizes 600 --repeat 2" in text
    assert "Counts **agree**" in text and "all the same as ours" in text
    assert processes_mentioning(str(temp)) == [] and list(temp.iterdir()) == []
