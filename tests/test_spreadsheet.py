"""The spreadsheet CSV download (``/spreadsheet.csv``, :mod:`dhs_ai_kg.spreadsheet`): read back
with Python's :mod:`csv` the way a spreadsheet would open it, and guarded against formulas."""

from __future__ import annotations

import csv
import io
import urllib.parse
from pathlib import Path

import pytest

from dhs_ai_kg.named_queries import load_named_queries
from dhs_ai_kg.spreadsheet import results_csv

ROOT = Path(__file__).resolve().parents[1]
QUERIES = load_named_queries(ROOT / "queries")
RELEASE_TEXT = (ROOT / "data" / "source" / "release.txt").read_text(encoding="utf-8")


def rows(body: bytes) -> list[list[str]]:
    """The CSV as a spreadsheet reads it: UTF-8 with its byte-order mark."""
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def download(client, query: str):
    return client.get("/spreadsheet.csv?" + urllib.parse.urlencode({"query": query}))


def test_lead_organizations_open_with_a_header_row(client):
    response = download(client, QUERIES["01-lead-organizations"].text)
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="results.csv"'
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    header, *data = rows(body)
    assert "name" in header
    names = [row[header.index("name")] for row in data]
    assert len(names) == 5
    assert all(name in RELEASE_TEXT for name in names)  # plain text: no @en, no quotes
    assert all(len(row) == len(header) for row in data)
    # Read without the BOM's encoding, the first header carries it (documented).
    assert next(csv.reader(io.StringIO(body.decode("utf-8"))))[0].startswith("\ufeff")


def test_formulas_are_guarded_and_numbers_kept(client):
    query = (
        'SELECT ?formula ?at ?text ?n ?unbound WHERE { BIND("=HYPERLINK(\\"x\\")" AS ?formula) '
        'BIND("@SUM(1)" AS ?at) BIND("Søren — “quoted”, with a comma" AS ?text) '
        "BIND(-5 AS ?n) }"
    )
    header, row = rows(download(client, query).get_data())
    assert header == ["formula", "at", "text", "n", "unbound"]
    assert row == ['\'=HYPERLINK("x")', "'@SUM(1)", "Søren — “quoted”, with a comma", "-5", ""]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+1", "@x", "\tx", "\rx"])
def test_every_trigger_is_guarded(value):
    results = {
        "head": {"vars": ["v"]},
        "results": {"bindings": [{"v": {"type": "literal", "value": value}}]},
    }
    assert rows(results_csv(results))[1] == ["'" + value]


def test_ask_and_construct_are_refused_in_words(client):
    for query in ("ASK { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"):
        response = download(client, query)
        assert response.status_code == 400
        assert b"SELECT" in response.get_data()
    assert download(client, "").status_code == 400
