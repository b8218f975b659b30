"""Every RDF dump we publish parses with the same count in six independent parsers: rdflib,
pyoxigraph, rapper (raptor2), serdi (serd), Jena riot and N3.js.

The files are the server's dumps (``build_dumps``: the dataset as TriG, N-Quads and JSON-LD, the
union as Turtle and N-Triples, each graph as Turtle, N-Triples, RDF/XML and JSON-LD). Expected
counts come from the data itself: pyoxigraph over ``data/graphs/*.ttl`` (a graph's triples, the
dataset's quads, the union's distinct triples). Each tool reads the formats it supports; Debian's
Jena 4.5 reads JSON-LD 1.0 only (``--syntax=JSON-LD-10``), which our dumps are (they use no 1.1
feature). A missing tool fails with its install line (``.ci/run`` installs them all).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
import stores
from dhs_ai_kg_server.derived import Dump, build_dumps
from rdflib import Dataset, Graph

from dhs_ai_kg.export import FORMATS
from dhs_ai_kg.loading import load_dataset
from dhs_ai_kg.resources import graphs_dir

JS = Path(__file__).parent / "js"

#: Per format (the registry's name): rapper's, serdi's, riot's and N3.js's name for it (None:
#: the tool does not read it).
SYNTAXES: dict[str, tuple[str | None, str | None, str, str | None]] = {
    "trig": ("trig", "trig", "TriG", "TriG"),
    "nquads": ("nquads", "nquads", "N-Quads", "N-Quads"),
    "jsonld": (None, None, "JSON-LD-10", None),
    "turtle": ("turtle", "turtle", "Turtle", "Turtle"),
    "ntriples": ("ntriples", "ntriples", "N-Triples", "N-Triples"),
    "xml": ("rdfxml", None, "RDF/XML", None),
}

#: The RDF dumps (the property graphs are read back in tests/test_property_graph.py).
DUMPS = {
    name: dump for name, dump in build_dumps(load_dataset()).items() if dump.format.name in FORMATS
}


def expected_counts() -> dict[str | None, int]:
    """Triples per graph, quads of the dataset (key None) and distinct triples of the union
    (key ``union``), read by pyoxigraph from the Turtle sources."""
    counts: dict[str | None, int] = {}
    union: set[ox.Triple] = set()
    for path in sorted(graphs_dir().glob("*.ttl")):
        triples = set(ox.parse(path=path, format=ox.RdfFormat.TURTLE))
        if triples:
            counts[path.stem] = len(triples)
            union |= {ox.Triple(t.subject, t.predicate, t.object) for t in triples}
    counts[None] = sum(counts.values())
    counts["union"] = len(union)
    return counts


EXPECTED = expected_counts()


def expected(dump: Dump) -> int:
    return EXPECTED["union" if dump.union else dump.graph]


def rdflib_count(path: Path, dump: Dump) -> int:
    target = Dataset() if dump.format.datasets and dump.graph is None else Graph()
    target.parse(path, format=dump.format.rdflib_parser)
    return len(list(target.quads())) if isinstance(target, Dataset) else len(target)


def oxigraph_count(path: Path, dump: Dump) -> int:
    return len(set(ox.parse(path=path, format=dump.format.oxigraph)))


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done


def rapper_count(path: Path, syntax: str) -> int:
    rapper = stores.require("rapper", "raptor2-utils")
    done = run([rapper, "--count", "--input", syntax, str(path)])
    found = re.search(r"returned (\d+) (triples|statements)", done.stderr)
    assert found, done.stderr
    return int(found.group(1))


def serdi_count(path: Path, syntax: str) -> int:
    serdi = stores.require("serdi", "serdi")
    done = run([serdi, "-i", syntax, "-o", "nquads", str(path)])
    return sum(1 for line in done.stdout.splitlines() if line.strip())


def riot_count(classpath: str, path: Path, syntax: str) -> int:
    done = run(
        ["java", "-cp", classpath, "riotcmd.riot", "--count", f"--syntax={syntax}", str(path)]
    )
    found = re.search(r"(Triples|Quads) = ([\d,]+)", done.stderr)  # --count writes to stderr
    assert found, done.stderr
    return int(found.group(2).replace(",", ""))


@pytest.fixture(scope="session")
def n3js() -> Path:
    """The N3.js count script, with ``tests/js/node_modules`` installed (``npm ci``)."""
    stores.require_n3js(JS)
    return JS / "count.js"


def n3js_count(script: Path, path: Path, syntax: str) -> int:
    done = run(["node", str(script), str(path), syntax])
    return int(done.stdout.strip())


def test_every_rdf_dump_is_tested():
    formats = {(d.graph is None, d.union, d.format.name) for d in DUMPS.values()}
    assert {f for _, _, f in formats} == set(SYNTAXES)
    assert EXPECTED[None] > 1000 and len(DUMPS) == 5 + 4 * (len(EXPECTED) - 2)


@pytest.mark.parametrize("filename", sorted(DUMPS))
def test_every_parser_reads_the_same_count(filename, tmp_path, jena_classpath, n3js):
    dump = DUMPS[filename]
    path = tmp_path / filename
    path.write_bytes(dump.body)
    rapper, serdi, riot, n3 = SYNTAXES[dump.format.name]
    counts = {
        "rdflib": rdflib_count(path, dump),
        "pyoxigraph": oxigraph_count(path, dump),
        "riot": riot_count(jena_classpath, path, riot),
    }
    if rapper:
        counts["rapper"] = rapper_count(path, rapper)
    if serdi:
        counts["serdi"] = serdi_count(path, serdi)
    if n3:
        counts["n3js"] = n3js_count(n3js, path, n3)
    assert counts == dict.fromkeys(counts, expected(dump))
