"""bench/query_plans.py at its tiniest (the real release only, one run): every named query is
reported with the rows our engine gives it and equal answers before and after; a query changed
to answer otherwise makes it exit 1 and name the query."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from dhs_ai_kg.engine import Engine
from dhs_ai_kg.loading import load_store
from dhs_ai_kg.named_queries import load_named_queries

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "query_plans.py"
BINDINGS = ROOT / "bench" / "queries" / "peers-bindings.json"


def run(before: str, output: Path) -> subprocess.CompletedProcess[str]:
    """The tool on the real release, one run per query and case."""
    argv = [sys.executable, str(SCRIPT), "--before", before, "--repeat", "1"]
    argv += ["--output", str(output)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def table(report: str) -> dict[tuple[str, str], list[str]]:
    """The report's rows by (query, case): rows, before, after, same answer."""
    found = {}
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 6 and cells[1] in ("open", "release"):
            found[(cells[0], cells[1])] = cells[2:]
    return found


def test_every_named_query_is_reported_with_its_rows_and_equal_answers(tmp_path: Path) -> None:
    output = tmp_path / "out" / "plans.md"
    done = run("HEAD", output)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(output)]
    rows = table(output.read_text(encoding="utf-8"))

    # The real release's own values: every query bound with them answers (peers-bindings.json).
    values = {k: v for k, v in json.loads(BINDINGS.read_text()).items() if k != "_comment"}
    engine = Engine(load_store([], statistics=True))
    named = load_named_queries(ROOT / "queries")
    want = {}
    for name, query in named.items():
        raw = {p.name: values[p.name] for p in query.parameters if p.required}
        want[(name, "open")] = engine.query(query.text, query.bind(raw)).count()
        if any(p.name == "release" for p in query.parameters):
            raw["release"] = values["release"]
            want[(name, "release")] = engine.query(query.text, query.bind(raw)).count()
    assert set(rows) == set(want)
    assert {key: int(cells[0]) for key, cells in rows.items()} == want
    assert all(want[(name, "open")] > 0 for name in named), want
    # One release in the data: bound to it, a query answers as it does open.
    assert all(n == want[(name, "open")] for (name, case), n in want.items() if case == "release")
    assert {cells[3] for cells in rows.values()} == {"yes"}


def test_a_query_changed_to_answer_otherwise_fails_and_is_named(tmp_path: Path) -> None:
    before = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", before)
    path = before / "12-release-metadata.rq"
    text = path.read_text(encoding="utf-8")
    assert text.count("?release a dak:PressRelease .") == 1
    path.write_text(text.replace("?release a dak:PressRelease .", "?release a dak:Nothing ."))
    output = tmp_path / "plans.md"
    done = run(str(before), output)
    assert done.returncode == 1, done.stderr
    assert "DIFFERS: 12-release-metadata open" in done.stderr
    assert "DIFFERS: 12-release-metadata release" in done.stderr
    assert done.stderr.count("DIFFERS:") == 2
    rows = table(output.read_text(encoding="utf-8"))
    assert rows[("12-release-metadata", "open")][3] == "**NO**"
    assert [key for key, cells in rows.items() if cells[3] != "yes"] == [
        ("12-release-metadata", "open"),
        ("12-release-metadata", "release"),
    ]
