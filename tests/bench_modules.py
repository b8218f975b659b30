"""The bench scripts (``bench/*.py``) as modules, and what the tests of those tools check
with: processes left running, triples per graph read straight from the files."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox

from dhs_ai_kg.loading import data_files, graph_iri

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_module(name: str) -> ModuleType:
    """``bench/<name>.py`` imported once and kept in ``sys.modules`` as ``name`` (the bench
    scripts import one another by that name)."""
    path = BENCH / f"{name}.py"
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__file__", None) == str(path):
        return loaded
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes (this one excepted) that mention ``text`` or run in a
    folder whose path does (a server started with no path on its command line): what a bench
    tool left running."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and proc.name != str(os.getpid()):
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            try:
                cwd = os.readlink(proc / "cwd")
            except OSError:  # another user's process
                cwd = ""
            if text in cmdline or text in cwd:
                found.append(cmdline)
    return found


def triples_per_graph(graphs: Path) -> dict[str, int]:
    """Distinct triples per named graph of our release plus the folder ``graphs``, parsed from
    the files (not through the code a bench tool runs)."""
    found: dict[str, set[ox.Triple]] = {}
    for path in data_files([graphs]):
        triples = found.setdefault(str(graph_iri(path.stem)), set())
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            triples.add(quad.triple)
    return {graph: len(triples) for graph, triples in sorted(found.items())}
