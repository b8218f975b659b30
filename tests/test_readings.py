"""The readings of the release mended in issue 8: each ASK query of ``tests/readings/`` holds on
the data, queried as a dataset whose default graph is the union of the named graphs (the
sentence each rests on is quoted in its header)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset

from dhs_ai_kg.loading import load_dataset

READINGS = sorted((Path(__file__).parent / "readings").glob("*.rq"))


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    data = load_dataset()
    data.default_union = True
    return data


def test_there_are_readings() -> None:
    assert len(READINGS) >= 2


@pytest.mark.parametrize("query", READINGS, ids=lambda p: p.stem)
def test_reading_holds(query: Path, dataset: Dataset) -> None:
    text = query.read_text(encoding="utf-8")
    assert text.lstrip().startswith("#"), f"{query.name}: quote the release in a header comment"
    result = dataset.query(text)
    assert result.askAnswer is True, query.name
