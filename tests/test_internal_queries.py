"""The queries the code runs itself (statistics, entity pages, VoID) are data too: each file
says what it asks and parses; those with parameters declare them as named queries do."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from dhs_ai_kg.named_queries import parse_named_query

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = [ROOT / "src" / "dhs_ai_kg" / "sparql", ROOT / "server" / "dhs_ai_kg_server" / "queries"]
FILES = sorted(p for folder in FOLDERS for p in folder.glob("*.rq"))


def test_both_folders_hold_queries():
    for folder in FOLDERS:
        assert list(folder.glob("*.rq")), folder


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_query_file_says_what_it_asks_and_parses(path: Path):
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# ") and first.rstrip().endswith("?"), "first line: the question"
    if "# param " in text:
        parse_named_query(path)  # checks the header and parses with every parameter bound
    else:
        ox.Store().query(text)  # raises SyntaxError if malformed
