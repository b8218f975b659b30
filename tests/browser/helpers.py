"""Checks shared by the browser tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse


def only_loopback(page, server: str) -> None:
    """Every request the page made went to the test server on 127.0.0.1."""
    assert page.requests, "the page made no request at all"
    origin = server.rstrip("/")
    strays = [url for url in page.requests if not url.startswith(origin + "/")]
    assert not strays, f"requests left 127.0.0.1: {strays}"


def query_of(url: str) -> str:
    """The ``query`` parameter of ``url``."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["query"][0]


def column(page, variable: str) -> list[str]:
    """The cells of the results table's column ``?variable``, top to bottom."""
    headers = page.locator("#results-table thead th").all_inner_texts()
    index = headers.index(f"?{variable}") + 1
    return page.locator(f"#results-table tbody tr td:nth-child({index})").all_inner_texts()


def editor_text(page) -> str:
    """What the query editor holds."""
    return str(page.evaluate("document.querySelector('#editor .CodeMirror').CodeMirror.getValue()"))


def values(page, variable: str) -> list[str]:
    """What the answer shows for ``?variable`` wherever it stands (table cell, one-row card or
    the line of values the same in every row): each value's main text (a label, a formatted
    number, a literal), top to bottom."""
    return list(
        page.locator(f'#table-wrap [data-var="{variable}"] .term').evaluate_all(
            "terms => terms.map(t => t.firstChild.textContent)"
        )
    )


def iris(page, variable: str) -> set[str]:
    """The IRIs the answer shows for ``?variable``, wherever it stands."""
    return set(
        page.locator(f'#table-wrap [data-var="{variable}"] [data-iri]').evaluate_all(
            "links => links.map(a => a.dataset.iri)"
        )
    )


def cli_answer(query: str) -> dict:
    """The SPARQL JSON answer ``dhs-ai-kg query -`` gives for ``query`` (the data, not the page)."""
    out = subprocess.run(
        [sys.executable, "-m", "dhs_ai_kg_cli", "query", "-", "--format", "json"],
        input=query,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    answer: dict = json.loads(out)
    return answer
