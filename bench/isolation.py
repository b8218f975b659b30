"""What running each query in a child process costs: ``execute`` inline vs in the query process.

Rerun: ``.venv/bin/python bench/isolation.py [--repeat N]``. The two modes alternate round
by round on the packaged dataset, so drift on a shared box hits both; the report (medians,
p90, the difference) goes to stdout and ``bench/results/<date>-isolation.md``.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from pathlib import Path

from dhs_ai_kg_server import create_app
from dhs_ai_kg_server.execution import execute
from dhs_ai_kg_server.state import State

QUERIES = {
    "ASK": ("ASK { ?s ?p ?o }", None),
    "SELECT 10 rows (JSON)": ("SELECT * WHERE { ?s ?p ?o } LIMIT 10", None),
    "SELECT 1,000 rows (JSON)": ("SELECT * WHERE { ?s ?p ?o } LIMIT 1000", None),
    "CONSTRUCT all (Turtle)": ("CONSTRUCT WHERE { ?s ?p ?o }", None),
}


def measure(repeat: int) -> dict[str, dict[str, list[float]]]:
    """Per query and mode, the milliseconds of each ``execute`` call."""
    inline = create_app({"QUERY_ISOLATION": "inline"})
    forked = create_app(
        {"QUERY_ISOLATION": "process"}, engine=inline.extensions["dhs_ai_kg"].engine
    )
    samples: dict[str, dict[str, list[float]]] = {q: {"inline": [], "process": []} for q in QUERIES}
    try:
        for round_ in range(repeat + 5):  # 5 warm-up rounds (the first forks the child)
            order = [("inline", inline), ("process", forked)]
            if round_ % 2:
                order.reverse()
            for mode, app in order:
                with app.test_request_context():
                    for name, (text, fmt) in QUERIES.items():
                        start = time.perf_counter()
                        execute(text, format_name=fmt)
                        elapsed = (time.perf_counter() - start) * 1000
                        if round_ >= 5:
                            samples[name][mode].append(elapsed)
    finally:
        state: State = forked.extensions["dhs_ai_kg"]
        state.close()
    return samples


def report(samples: dict[str, dict[str, list[float]]], repeat: int) -> str:
    """A Markdown table of medians and p90 per query and mode."""
    lines = [
        f"# Query process overhead ({datetime.date.today()}, {repeat} rounds, modes alternating)",
        "",
        "| query | inline median ms | process median ms | overhead median ms | "
        "inline p90 | process p90 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, modes in samples.items():
        med = {m: statistics.median(v) for m, v in modes.items()}
        p90 = {m: statistics.quantiles(v, n=10)[-1] for m, v in modes.items()}
        lines.append(
            f"| {name} | {med['inline']:.3f} | {med['process']:.3f} | "
            f"{med['process'] - med['inline']:.3f} | {p90['inline']:.3f} | {p90['process']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure, print and save the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    text = report(measure(args.repeat), args.repeat)
    print(text, end="")
    out = args.output or Path(__file__).parent / "results" / f"{datetime.date.today()}-isolation.md"
    out.write_text(text)


if __name__ == "__main__":
    main()
