"""bench/peers.py at its tiniest: ours, the Oxigraph server and a fake peer that answers fast
and wrongly, two named queries (a SELECT and a CONSTRUCT), one round of 1 s at one connection.

Checks the report has every column for every server, that each real server's answers are
judged right and the fake peer's wrong (shown as WRONG, never as a speed or a ratio), and that
the plot is written. No timing assertions: the figures are only checked to be there.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ("01-lead-organizations", "14-describe-organization")


def table(report: str, header_start: str) -> list[dict[str, str]]:
    """The rows of the Markdown table whose header line starts with ``header_start``."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    names = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(names, (c.strip() for c in line.strip("|").split("|")), strict=True)))
    return rows


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], str]:
    out = tmp_path_factory.mktemp("peers") / "benchmark.md"
    cmd = [sys.executable, str(ROOT / "bench" / "peers.py"), "--no-install", "--no-jena"]
    cmd += ["--servers", "ours,oxigraph", "--queries", "01,14", "--rounds", "1"]
    cmd += ["--duration", "1", "--query-duration", "1", "--connections", "1", "--warmup", "0"]
    cmd += ["--engine-iterations", "2", "--output", str(out)]
    cmd += ["--peer", f"fake={sys.executable} {ROOT / 'tests' / 'wrong_peer.py'} {{port}}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"report written to {out}" in done.stderr
    return done, out.read_text(encoding="utf-8")


def test_the_mix_table_has_every_column_for_every_server(run: tuple[object, str]) -> None:
    rows = table(run[1], "| server | conns |")
    assert {r["server"] for r in rows} == {"ours", "oxigraph", "fake", "**limit**"}
    for row in rows:
        if row["server"] in ("ours", "oxigraph"):
            assert float(row["req/s"].replace(",", "")) > 0
            assert float(row["p50 ms"]) > 0 and float(row["p99 ms"]) >= float(row["p50 ms"])
            assert row["errors"] == "0"
            assert int(row["peak RSS MB"]) > 0
    oxigraph = next(r for r in rows if r["server"] == "oxigraph")
    assert float(oxigraph["ours ÷ this"]) > 0


def test_a_wrong_answer_is_reported_as_wrong_not_as_fast(run: tuple[object, str]) -> None:
    report = run[1]
    fake = next(r for r in table(report, "| server | conns |") if r["server"] == "fake")
    assert fake["req/s"] == "WRONG" and fake["ours ÷ this"] == "—"
    per_query = table(report, "| query | conns | server |")
    assert {(r["query"], r["server"]) for r in per_query} == {
        (q, s) for q in QUERIES for s in ("ours", "oxigraph", "fake")
    }
    for row in per_query:
        if row["server"] == "fake":
            assert row["req/s"] == "WRONG" and row["ours ÷ this"] == "—"
        else:
            assert re.fullmatch(r"[\d,]+", row["req/s"]), row
            assert float(row["limit req/s"].replace(",", "")) > 0
    verdicts = table(report, "| query | rows |")
    assert [r["query"] for r in verdicts] == list(QUERIES)
    for row in verdicts:
        assert row["ours"] == "ok" and row["oxigraph"] == "ok"
        assert row["fake"].startswith("**WRONG**")


def test_the_report_gives_the_limit_machine_versions_and_plot(run: tuple[object, str]) -> None:
    report = run[1]
    limits = table(report, "| conns | engine ms")
    assert len(limits) == 1 and float(limits[0]["limit req/s"].replace(",", "")) > 0
    for word in ("cores", "RAM", "OS", "wrk", "Oxigraph server", "ours (dhs-ai-kg)"):
        assert word in report
    assert "bench/peers.py --no-install" in report
    svg = ET.parse(report_path(run).with_suffix(".svg")).getroot()
    assert svg.tag.endswith("svg")


def report_path(run: tuple[object, str]) -> Path:
    done = run[0]
    assert isinstance(done, subprocess.CompletedProcess)
    found = re.search(r"report written to (\S+),", done.stderr)
    assert found
    return Path(found.group(1))
