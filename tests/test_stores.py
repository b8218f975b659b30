"""The test harness's third-party stores start, load our TriG dump the plain way and hold every
quad of it: the ground the agreement, push and federation tests stand on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
import stores

# Not `from conftest import REPO_ROOT`: in a whole-suite run `conftest` may be tests/browser/'s.
REPO_ROOT = Path(__file__).resolve().parents[1]
TRIG = REPO_ROOT / "data" / "dataset.trig"


def quads_per_graph(path: Path = TRIG, fmt: ox.RdfFormat = ox.RdfFormat.TRIG) -> dict[str, int]:
    """Quads per named graph of an RDF dataset file, counted by pyoxigraph's parser."""
    counts: dict[str, int] = {}
    for quad in ox.parse(path=str(path), format=fmt):
        assert isinstance(quad.graph_name, ox.NamedNode), "the dump has only named graphs"
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    return counts


def test_jena_reads_every_quad_of_the_dump(jena_classpath: str, tmp_path: Path) -> None:
    out = tmp_path / "dump.nq"
    out.write_text(stores.jena(jena_classpath, "riotcmd.riot", "--output=nquads", str(TRIG)))
    assert quads_per_graph(out, ox.RdfFormat.N_QUADS) == quads_per_graph()


def test_virtuoso_loads_every_quad_of_the_dump(
    virtuoso_factory: Callable[[], stores.Virtuoso],
) -> None:
    virtuoso = virtuoso_factory()
    virtuoso.load(TRIG)
    answer = virtuoso.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    got = {b["g"]["value"]: int(b["n"]["value"]) for b in answer["results"]["bindings"]}
    expected = quads_per_graph()
    assert {g: got.get(g) for g in expected} == expected


def test_a_file_virtuoso_cannot_parse_is_an_error(
    virtuoso_factory: Callable[[], stores.Virtuoso], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.nq"
    broken.write_text("<urn:a> <urn:b> .\n")
    with pytest.raises(RuntimeError, match=r"broken\.nq"):
        virtuoso_factory().load(broken)
