"""Page width and height of pages at one viewport width, in Debian's Chromium (issue 9 figures).

    .venv/bin/python bench/page_sizes.py 390 /id/doc/press-release-2023-12-05 /id/ /ontology

Serves the packaged dataset on a free 127.0.0.1 port (queries inline) for the run's length and
prints, per path, the document's scroll width and height in CSS px. Run from another checkout
(``PYTHONPATH=<checkout>/src:<checkout>/server``) for the "before" figures.
"""

from __future__ import annotations

import sys
import threading

from dhs_ai_kg_server.app import create_app
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server


def main(width: int, paths: list[str]) -> None:
    """Print ``path width height`` for each of ``paths`` at viewport ``width``."""
    server = make_server("127.0.0.1", 0, create_app({"QUERY_ISOLATION": "inline"}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": width, "height": 900})
            for path in paths:
                page.goto(f"http://127.0.0.1:{server.server_port}{path}")
                size = page.evaluate(
                    "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
                )
                print(path, *size)
            browser.close()
    finally:
        server.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
