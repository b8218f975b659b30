"""Measure how readable the query page's answers are: one line per named example.

For each example at 1366 x 768 (and 390 x 844), after it ran: the visible share of the answer
(the part of its scrolling box inside the viewport over the width of what it holds: 1.0 means
nothing is off to the side), whether the results table's first column holds one value in every
row, and the page's width. Starts ``dhs-ai-kg serve`` on a free loopback port and Chromium.

Run: ``.venv/bin/python tools/measure_answers.py``
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from dhs_ai_kg.named_queries import load_named_queries  # noqa: E402

MEASURE = """() => {
  const wrap = document.getElementById('table-wrap');
  const scroller = wrap.querySelector('.table-scroll') || wrap;
  const table = wrap.querySelector('table');
  const width = Math.max(scroller.scrollWidth, table ? table.scrollWidth : 0);
  const box = scroller.getBoundingClientRect();
  const seen = Math.max(0, Math.min(box.right, innerWidth) - Math.max(box.left, 0));
  const share = width ? Math.min(1, Math.min(seen, scroller.clientWidth) / width) : 1;
  const cells = [...document.querySelectorAll('#results-table tbody tr')]
    .map(tr => tr.cells[0] ? tr.cells[0].textContent : '');
  const constant = cells.length > 1 && cells.every(c => c === cells[0]);
  const first = wrap.firstElementChild;
  return {share, constant, rows: cells.length, page: document.documentElement.scrollWidth,
          kind: first ? first.id || first.className || first.tagName : ''};
}"""


def main() -> None:
    """Print the figures of every example at 1366 and 390 px."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dhs_ai_kg_cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        names = sorted(load_named_queries(ROOT / "queries"))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for width, height in ((1366, 768), (390, 844)):
                page = browser.new_page(viewport={"width": width, "height": height})
                low = 0
                constant = 0
                for name in names:
                    page.goto(base + "?example=" + name)
                    page.wait_for_selector("#status.done, #status.error")
                    m = page.evaluate(MEASURE)
                    low += m["share"] < 1 / 3
                    constant += m["constant"]
                    print(
                        f"{width}px {name:28} share={m['share']:.2f} "
                        f"first-column-constant={m['constant']!s:5} rows={m['rows']:3} "
                        f"page={m['page']}px view={m['kind']}"
                    )
                print(
                    f"{width}px: {low} of {len(names)} under a third visible; "
                    f"{constant} with a constant first column\n"
                )
                page.close()
            browser.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
