"""bench/scale.py at its tiniest size: it writes its report and plot, every named query is
measured in-process and over HTTP, and the parameterised ones are asked with values the
generated data holds (they answer rows)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from dhs_ai_kg.named_queries import load_named_queries

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "scale.py"


def test_scale_series_at_the_tiniest_size(tmp_path: Path):
    report, plot = tmp_path / "scale.md", tmp_path / "scale.svg"
    outputs = ["--output", str(report), "--plot", str(plot), "--cache", str(tmp_path / "cache")]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "600", "--repeat", "2", "--seed", "5", *outputs],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(report), str(plot)]
    assert ET.parse(plot).getroot().tag.endswith("svg")
    text = report.read_text(encoding="utf-8")
    assert "Command: `.venv/bin/python bench/scale.py --sizes 600 --repeat 2`" in text
    (row,) = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    names = set(load_named_queries())
    assert set(row["inprocess"]["queries"]) == names
    assert set(row["http"]["queries"]) == names
    # the HTTP series waited for the server's background work (query processes, precomputing)
    assert row["http"]["settled_s"] >= 0 and "then settled s" in text
    serve_log = (tmp_path / "cache").rglob("serve.log")
    assert any(b"precomputed current dumps" in p.read_bytes() for p in serve_log)
    assert row["validate"]["conforms"] and row["validate"]["quote_problems"] == 0
    for name in ("10-grounding", "14-describe-organization", "15-statement-source"):
        assert row["inprocess"]["queries"][name]["rows"] > 0, name
    # Synthetic releases are counted by the unparameterised queries too.
    assert row["inprocess"]["queries"]["01-lead-organizations"]["rows"] > 5
    for name in names:
        assert f"| {name} |" in text
