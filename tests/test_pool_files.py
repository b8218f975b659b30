"""Query processes of a store loaded from data files load the same files themselves (no dump
of the store to wait for): the same quads as the server's store, on the release and on a
synthetic dataset; a process killed at the time limit comes back the same way; a broken file
fails them with its name."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench_modules import bench_module
from dhs_ai_kg_server import create_app
from dhs_ai_kg_server.state import State, launch_pool
from flask import Flask

from dhs_ai_kg.engine import CONSTRUCT_FORMATS, RESULTS_FORMATS, Engine
from dhs_ai_kg.execution import Choice, Job, QueryTimeout, run_job
from dhs_ai_kg.loading import load_store
from dhs_ai_kg.pool import DataFiles, QueryPool

BENCH = Path(__file__).resolve().parents[1] / "bench"
FIXTURES = Path(__file__).parent / "fixtures"
MALFORMED = FIXTURES / "cli" / "malformed" / "graphs"
#: Every quad of every named graph, one TSV line each (load_store fills named graphs only).
QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
#: Counts 10**10 rows of VALUES whatever the data: only a kill stops it.
DIGITS = " ".join(str(i) for i in range(10))
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { "
    + " ".join(f"VALUES ?v{i} {{ {DIGITS} }}" for i in range(10))
    + " }"
)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A graphs folder of about 3,000 synthetic triples (bench/datagen.py, seed 7)."""
    graphs: Path = bench_module("datagen").write(tmp_path_factory.mktemp("synthetic"), 3000, seed=7)  # type: ignore[attr-defined]
    return graphs


def _job(text: str = QUADS) -> Job:
    return Job(text, Choice(RESULTS_FORMATS["tsv"], CONSTRUCT_FORMATS["ntriples"]))


def _lines(body: bytes) -> list[bytes]:
    _header, *rows = body.splitlines()
    return sorted(rows)


@pytest.fixture
def started() -> Iterator[list[QueryPool]]:
    pools: list[QueryPool] = []
    yield pools
    for pool in pools:
        pool.close()


@pytest.mark.parametrize("extra", ["release only", "synthetic"])
def test_a_query_process_loads_the_same_quads_as_the_server(
    extra: str, synthetic: Path, started: list[QueryPool]
):
    folders = [synthetic] if extra == "synthetic" else []
    store = load_store(folders)
    pool = launch_pool(DataFiles.resolved(folders), {"QUERY_PROCESSES": 1})
    started.append(pool)
    mine = run_job(Engine(store), _job())
    theirs = pool.wait().run(_job())
    assert theirs.rows == mine.rows == len(store) > 2000
    assert _lines(theirs.body) == _lines(mine.body)
    if folders:  # the synthetic quads are there, not only the release's
        assert len(store) > len(load_store())


def _state(app: Flask) -> State:
    current: State = app.extensions["dhs_ai_kg"]
    return current


def test_a_server_loaded_from_files_hands_its_processes_the_files_not_a_dump(synthetic: Path):
    app = create_app({"QUERY_PROCESSES": 1, "DATA": [str(synthetic)]})
    current = _state(app)
    try:
        pool = current.pool()
        assert pool.setup.data == DataFiles.resolved([synthetic])
        assert current._spool is None  # no N-Quads dump written
        answer = pool.run(_job())
        assert answer.rows == len(current.engine.store)
    finally:
        current.close()


def test_a_process_launched_before_the_load_is_adopted_and_the_rest_follow(
    started: list[QueryPool],
):
    files = DataFiles.resolved()
    launched = launch_pool(files, {"QUERY_PROCESSES": 2}, count=1)  # as serve does
    started.append(launched)
    assert launched.pids == []  # launched, still loading: not handed out yet
    app = create_app({"QUERY_PROCESSES": 2}, engine=Engine(load_store()))
    current = _state(app)
    current.loaded_from(files, launched)
    try:
        assert current.pool() is launched
        assert len(launched.pids) >= 1
        assert launched.run(_job()).rows == len(current.engine.store)
        deadline = time.monotonic() + 120
        while len(launched.pids) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(launched.pids) == 2, "the second query process never joined"
        answers = [launched.run(_job()) for _ in range(4)]  # each process answers twice
        assert {(a.rows, tuple(_lines(a.body))) for a in answers} == {
            (answers[0].rows, tuple(_lines(answers[0].body)))
        }
    finally:
        current.close()


def test_a_process_killed_at_the_time_limit_reloads_the_files(started: list[QueryPool]):
    pool = launch_pool(DataFiles.resolved(), {"QUERY_PROCESSES": 1}).wait()
    started.append(pool)
    (first,) = pool.pids
    before = pool.run(_job())
    with pytest.raises(QueryTimeout):
        pool.run(_job(RUNAWAY), timeout=0.5)
    assert not Path(f"/proc/{first}").exists()
    deadline = time.monotonic() + 120
    while not pool.pids and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.pids and first not in pool.pids
    after = pool.run(_job())
    assert (after.rows, _lines(after.body)) == (before.rows, _lines(before.body))


def test_a_broken_data_file_fails_the_launched_processes_with_its_name(
    started: list[QueryPool],
):
    pool = launch_pool(DataFiles.resolved([MALFORMED]), {"QUERY_PROCESSES": 2})
    started.append(pool)
    with pytest.raises(RuntimeError, match=r"broken\.ttl"):
        pool.wait()
    assert pool.pids == []
