"""Measure three ways of tying each release statement to the quote that states it (issue 8).

Representations, each built from the same assignments (``tools/statement-assignments.trig``:
one named graph per annotation holding the release statements its quote states) on top of the
dataset without any statement grounding:

  a  reification   RDF 1.1: an ``rdf:Statement`` node per statement in the provenance graph,
                   ``<annotation> oa:hasBody <statement/HASH>`` (the decided representation)
  b  graphs        nanopublication style: the statements an annotation states repeated in a
                   named graph ``<annotation#statements>``, ``<annotation> oa:hasBody`` it
  c  star          RDF-star (the W3C CG report, Jena 4.5): ``oa:hasBody << s p o >>``
  c12 triple term  RDF 1.2: ``oa:hasBody <<( s p o )>>`` (pyoxigraph 0.5)

For each: size (quads, N-Quads bytes), and in rdflib, pyoxigraph, Jena (Debian 4.5, ``arq``)
and Virtuoso 7 whether it loads, whether the "which sentence states <s p o>?" query returns the
right rows for every statement (one query with all of them in VALUES), and the median time of
the query for one statement (Mijente leads #NoTechForICE), repeated. Results: Markdown on stdout
and in ``results/<date>-grounding.md``.

Usage: ``.venv/bin/python bench/grounding.py [--repeat N]`` (needs Java + Debian's Jena jars
and virtuoso-opensource, as the tests do; about two minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import pyoxigraph as ox
from rdflib import RDF, Dataset, URIRef

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT / "tests"))

import stores  # noqa: E402  (the tests' Jena and Virtuoso helpers)

from dhs_ai_kg.grounding import STATEMENT_SPACE, statement_iri  # noqa: E402
from dhs_ai_kg.loading import load_dataset  # noqa: E402
from dhs_ai_kg.namespaces import GRAPH, KG, OA  # noqa: E402

ASSIGNMENTS = ROOT / "tools" / "statement-assignments.trig"
PROVENANCE = str(GRAPH.provenance)
PROBE = (KG["org/mijente"], URIRef("https://w3id.org/dhs-ai-kg/ontology#leads"))

#: The "which sentence states <s p o>" query of each representation (``$statements``: rows).
QUERIES = {
    rep: Template((BENCH / "queries" / "grounding" / f"{rep}.rq").read_text(encoding="utf-8"))
    for rep in ("a", "b", "c", "c12")
}
ENGINES = ("rdflib", "pyoxigraph", "Jena 4.5", "Virtuoso 7")
NAMES = {
    "a": "(a) RDF 1.1 reification",
    "b": "(b) named graph per annotation",
    "c": "(c) RDF-star `<< s p o >>`",
    "c12": "(c) RDF 1.2 `<<( s p o )>>`",
}


def query_text(rep: str, statements: list[tuple[URIRef, URIRef, object]]) -> str:
    """The "which sentence states <s p o>" query of ``rep`` for ``statements``."""
    rows = " ".join(f"({s.n3()} {p.n3()} {o.n3()})" for s, p, o in statements)  # type: ignore[attr-defined]
    return QUERIES[rep].substitute(statements=rows)


def base_dataset() -> Dataset:
    """The dataset with any statement grounding already in the data taken out."""
    data = load_dataset()
    provenance = data.graph(GRAPH.provenance)
    for node in list(provenance.subjects(RDF.type, RDF.Statement)):
        if str(node).startswith(STATEMENT_SPACE):
            provenance.remove((node, None, None))
            provenance.remove((None, None, node))
    return data


def assignments() -> dict[URIRef, list[tuple[URIRef, URIRef, object]]]:
    """Annotation -> the release statements its quote states."""
    data = Dataset()
    data.parse(ASSIGNMENTS, format="trig")
    return {
        g.identifier: sorted(g)  # type: ignore[misc]
        for g in data.graphs()
        if isinstance(g.identifier, URIRef) and len(g)
    }


def nquads(data: Dataset) -> list[str]:
    """The N-Quads lines of ``data`` (no default graph triples)."""
    text = data.serialize(format="nquads")
    return [line for line in text.splitlines() if line.strip()]


def represent(rep: str, base: list[str], assigned: dict) -> list[str]:
    """The N-Quads lines of the dataset with the statements grounded the ``rep`` way."""
    prov = f"<{PROVENANCE}>"
    lines = list(base)
    for annotation, triples in assigned.items():
        for s, p, o in triples:
            spo = f"{s.n3()} {p.n3()} {o.n3()}"
            if rep == "a":
                node = statement_iri((s, p, o)).n3()
                lines.append(f"{annotation.n3()} {OA.hasBody.n3()} {node} {prov} .")
                lines.append(f"{node} {RDF.type.n3()} {RDF.Statement.n3()} {prov} .")
                lines.append(f"{node} {RDF.subject.n3()} {s.n3()} {prov} .")
                lines.append(f"{node} {RDF.predicate.n3()} {p.n3()} {prov} .")
                lines.append(f"{node} {RDF.object.n3()} {o.n3()} {prov} .")
            elif rep == "b":
                graph = f"<{annotation}#statements>"
                lines.append(f"{spo} {graph} .")
                lines.append(f"{annotation.n3()} {OA.hasBody.n3()} {graph} {prov} .")
            elif rep == "c":
                lines.append(f"{annotation.n3()} {OA.hasBody.n3()} << {spo} >> {prov} .")
            else:
                lines.append(f"{annotation.n3()} {OA.hasBody.n3()} <<( {spo} )>> {prov} .")
    return sorted(set(lines))


@dataclass
class Cell:
    """One (representation, engine) measurement."""

    loads: str = "-"
    correct: str = "-"
    times: list[float] = field(default_factory=list)

    def median_ms(self) -> float | None:
        return statistics.median(self.times) * 1000 if self.times else None


def rows_of(result: object) -> int:
    return sum(1 for _ in result)  # type: ignore[attr-defined]


def run_rdflib(path: Path, full: str, probe: str, repeat: int) -> Cell:
    cell = Cell()
    data = Dataset()
    try:
        data.parse(path, format="nquads")
    except Exception as exc:
        cell.loads = f"no ({type(exc).__name__})"
        return cell
    cell.loads = "yes"
    try:
        cell.correct = str(rows_of(data.query(full)))
        for _ in range(repeat):
            start = time.perf_counter()
            rows_of(data.query(probe))
            cell.times.append(time.perf_counter() - start)
    except Exception as exc:
        cell.correct = f"query fails ({type(exc).__name__})"
    return cell


def run_oxigraph(path: Path, full: str, probe: str, repeat: int) -> Cell:
    cell = Cell()
    store = ox.Store()
    try:
        store.load(path=str(path), format=ox.RdfFormat.N_QUADS)
    except (SyntaxError, ValueError, OSError) as exc:
        cell.loads = f"no ({type(exc).__name__})"
        return cell
    cell.loads = "yes"
    try:
        cell.correct = str(rows_of(store.query(full)))
        for _ in range(repeat):
            start = time.perf_counter()
            rows_of(store.query(probe))
            cell.times.append(time.perf_counter() - start)
    except (SyntaxError, ValueError, OSError) as exc:
        cell.correct = f"query fails ({type(exc).__name__})"
    return cell


def run_jena(classpath: str, path: Path, full: str, probe: str, repeat: int) -> Cell:
    cell = Cell()
    check = subprocess.run(
        ["java", "-cp", classpath, "riotcmd.riot", "--validate", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check.returncode != 0 or "ERROR" in check.stderr:
        cell.loads = "no (" + (check.stderr.strip().splitlines() or ["?"])[0][-60:] + ")"
        return cell
    cell.loads = "yes"
    folder = path.parent
    (folder / "full.rq").write_text(full)
    (folder / "probe.rq").write_text(probe)
    done = subprocess.run(
        ["java", "-cp", classpath, "arq.sparql", "--data", str(path), "--query",
         str(folder / "full.rq"), "--results=tsv"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        cell.correct = "query fails (" + done.stderr.strip()[-60:] + ")"
        return cell
    cell.correct = str(len(done.stdout.strip().splitlines()) - 1)
    timed = subprocess.run(
        ["java", "-cp", classpath, "arq.sparql", "--data", str(path), "--query",
         str(folder / "probe.rq"), "--results=tsv", "--time", f"--repeat=5,{repeat}"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    times = [
        float(t) for t in re.findall(r"^Time: ([0-9.]+) sec", timed.stderr + timed.stdout, re.M)
    ]
    cell.times = times[-repeat:]  # Jena's own timing (ms resolution), after 5 warm-up runs
    return cell


def run_virtuoso(
    workdir: Path, path: Path, full: list[str], chunks: list[str], probe: str, repeat: int
) -> Cell:
    cell = Cell()
    server = stores.Virtuoso(workdir)
    try:
        try:
            server.load(path)
        except RuntimeError as exc:
            found = re.search(r"(SP\d+: .*)", str(exc))
            cell.loads = "no (" + (found[1].strip() if found else str(exc)[-60:]) + ")"
            return cell
        count = server.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        cell.loads = "yes (" + count["results"]["bindings"][0]["n"]["value"] + " quads)"
        try:
            # A GET URL with every statement is too long for Virtuoso, and a VALUES block of
            # many rows loses some of them there (seen: 209 of 230 rows, 20 statements a
            # request): the check runs one statement a request, as the named query does.
            cell.correct = str(
                sum(len(server.select(query)["results"]["bindings"]) for query in full)
            )
            chunked = sum(len(server.select(query)["results"]["bindings"]) for query in chunks)
            if chunked != int(cell.correct):
                cell.correct += f" ({chunked} with 20 statements per VALUES)"
            for _ in range(repeat):
                start = time.perf_counter()
                server.select(probe)
                cell.times.append(time.perf_counter() - start)
        except OSError as exc:
            cell.correct = f"query fails ({str(exc)[:60]})"
    finally:
        server.stop()
    return cell


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs of the probe query")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    base = nquads(base_dataset())
    assigned = assignments()
    statements = sorted({t for triples in assigned.values() for t in triples})
    expected = sum(len(t) for t in assigned.values())
    probe_statements = [t for t in statements if (t[0], t[1]) == PROBE]
    probe_rows = sum(1 for triples in assigned.values() for t in triples if t in probe_statements)
    print(
        f"{len(statements)} statements, {len(assigned)} annotations, {expected} pairs",
        file=sys.stderr,
    )

    results: dict[tuple[str, str], Cell] = {}
    sizes: dict[str, tuple[int, int, int]] = {}
    with tempfile.TemporaryDirectory(prefix="grounding-bench-") as tmp:
        workdir = Path(tmp)
        classpath = stores.jena_classpath(workdir)
        base_bytes = len(("\n".join(base) + "\n").encode())
        sizes["none"] = (len(base), base_bytes, len({line.rsplit(" ", 2)[-2] for line in base}))
        for rep in NAMES:
            lines = represent(rep, base, assigned)
            path = workdir / rep / f"dataset-{rep}.nq"
            path.parent.mkdir()
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            graphs = {line.rsplit(" ", 2)[-2] for line in lines}
            sizes[rep] = (len(lines), path.stat().st_size, len(graphs))
            full, probe = query_text(rep, statements), query_text(rep, probe_statements)
            chunks = [
                query_text(rep, statements[i : i + 20]) for i in range(0, len(statements), 20)
            ]
            vdir = workdir / rep / "virtuoso"
            for engine in ENGINES:
                print(f"{rep} {engine}", file=sys.stderr)
                if engine == "rdflib":
                    cell = run_rdflib(path, full, probe, args.repeat)
                elif engine == "pyoxigraph":
                    cell = run_oxigraph(path, full, probe, args.repeat)
                elif engine == "Jena 4.5":
                    cell = run_jena(classpath, path, full, probe, args.repeat)
                else:
                    each = [query_text(rep, [t]) for t in statements]
                    cell = run_virtuoso(vdir, path, each, chunks, probe, args.repeat)
                results[(rep, engine)] = cell

    engines = list(ENGINES)
    out = [f"# Statement grounding: three representations, {dt.date.today().isoformat()}", ""]
    out.append(
        f"`bench/grounding.py --repeat {args.repeat}` on the release data: "
        f"{len(statements)} grounded statements, {len(assigned)} annotations, "
        f"{expected} (statement, annotation) pairs. "
        f'"rows" is what the query with every statement in VALUES returned (right: {expected}); '
        f"the time is the median of {args.repeat} runs of the query for one statement "
        f"(Mijente leads #NoTechForICE, {probe_rows} row(s)): in-process for rdflib and "
        "pyoxigraph, Jena's own `--time` after 5 warm-up runs (1 ms resolution), an HTTP GET "
        "round trip for Virtuoso. Compare times inside an engine's column only."
    )
    out += [
        "",
        "## Size",
        "",
        "| representation | quads | N-Quads bytes | named graphs | quads vs none |",
        "|---|---:|---:|---:|---:|",
    ]
    none_quads = sizes["none"][0]
    quads, size, graphs = sizes["none"]
    out.append(f"| none (resource grounding only) | {quads:,} | {size:,} | {graphs} | 1.00 |")
    for rep, name in NAMES.items():
        quads, size, graphs = sizes[rep]
        out.append(f"| {name} | {quads:,} | {size:,} | {graphs} | {quads / none_quads:.2f} |")
    out += ["", "## Loads / rows / median ms", ""]
    out.append("| representation | " + " | ".join(engines) + " |")
    out.append("|---|" + "---|" * len(engines))
    for rep, name in NAMES.items():
        cells = []
        for engine in engines:
            cell = results[(rep, engine)]
            if not cell.loads.startswith("yes"):
                cells.append(f"load: {cell.loads}")
                continue
            ms = cell.median_ms()
            cells.append(
                f"loads; rows {cell.correct}" + (f"; {ms:.2f} ms" if ms is not None else "")
            )
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "## Time relative to (a), per engine", ""]
    out.append("| representation | " + " | ".join(engines) + " |")
    out.append("|---|" + "---:|" * len(engines))
    for rep, name in NAMES.items():
        cells = []
        for engine in engines:
            mine, ref = results[(rep, engine)].median_ms(), results[("a", engine)].median_ms()
            cells.append(f"{mine / ref:.2f}" if mine is not None and ref else "-")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    report = "\n".join(out) + "\n"
    print(report)
    target = (
        args.output or ROOT / "bench" / "results" / f"{dt.date.today().isoformat()}-grounding.md"
    )
    target.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
