"""bench/serving_at_scale.py at a tiny size: the server starts over synthetic data, every page
type answers 200 (one dump per format), and the report is written with the start-up lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_serving_at_scale_writes_its_report(tmp_path: Path):
    output = tmp_path / "report.md"
    argv = [sys.executable, str(BENCH / "serving_at_scale.py"), "--sizes", "1k", "--repeat", "1"]
    argv += ["--cache", str(tmp_path / "cache"), "--output", str(output)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(output)
    report = output.read_text(encoding="utf-8")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in report.splitlines()}
    for page in (
        "start-up",
        "front page",
        "entity page",
        "VoID",
        "service description",
        "dumps listing",
        "search",
        "dump dataset.nq",
        "dump union.ttl",
    ):
        assert page in rows, report
        assert "HTTP" not in rows[page] and "—" not in rows[page].split(" | ")[1], rows[page]
    assert "start-up: ready in" in report
