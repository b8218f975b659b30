"""``serve --data DIR`` serves a user's releases beside ours (the pages and every query
process see them), stops on a broken file with its file and line, and says what start-up is
doing: a live line on a terminal, plain lines on a pipe, nothing with ``--quiet``."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph
from stores import free_port
from test_production import start, stop

from dhs_ai_kg.namespaces import KG

REPO_ROOT = Path(__file__).resolve().parents[1]
SECOND = REPO_ROOT / "tests" / "fixtures" / "second-release" / "graphs"
MALFORMED = REPO_ROOT / "tests" / "fixtures" / "cli" / "malformed" / "graphs"
FIXTURE = KG["doc/fixture-release-2031-03-03"]
PROCESSES = 3
SERVE = [sys.executable, "-m", "dhs_ai_kg_cli", "serve"]


def _facts_in_file() -> int:
    """Triples about the fixture release, read from the fixture files themselves."""
    graph = Graph()
    for path in SECOND.glob("*.ttl"):
        graph.parse(path, format="turtle")
    return len(set(graph.triples((FIXTURE, None, None))))


@pytest.fixture(scope="module")
def served():
    server = start("--data", str(SECOND), "--query-processes", str(PROCESSES))
    yield server
    stop(server)


def test_an_extra_folders_resource_has_its_page(served):
    status, headers, body = served.get(
        served.base + "/id/doc/fixture-release-2031-03-03", headers={"Accept": "text/html"}
    )
    assert status == 200, body[:300]
    assert "text/html" in headers["content-type"]
    assert b"2031" in body


def test_every_query_process_answers_over_the_extra_folder(served):
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ <{FIXTURE}> ?p ?o }}"
    expected = _facts_in_file()
    assert expected > 0
    # the pool hands out its idle processes in turn (a FIFO queue): 2 x PROCESSES
    # sequential queries reach every process twice, and each must know the extra release
    for _ in range(2 * PROCESSES):
        status, _, body = served.get(
            served.url(query), headers={"Accept": "application/sparql-results+json"}
        )
        assert status == 200, body[:300]
        rows = json.loads(body)["results"]["bindings"]
        assert int(rows[0]["n"]["value"]) == expected


def test_without_data_the_extra_release_is_not_served():
    server = start("--query-processes", "1")
    try:
        status, _, _ = server.get(server.base + "/id/doc/fixture-release-2031-03-03")
    finally:
        stop(server)
    assert status == 404


def test_a_broken_file_under_data_stops_start_up_with_file_and_line():
    port = free_port()
    done = subprocess.run(
        [*SERVE, "--port", str(port), "--data", str(MALFORMED)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert f"{MALFORMED / 'broken.ttl'}:4:" in done.stderr
    assert "Traceback" not in done.stderr


# --- start-up progress ---------------------------------------------------------------------


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


#: What the last background step of start-up says when done (derived.BUILDERS' last).
LAST_STEP = b"precomputed current dumps"


def _start_up_output(*flags: str, terminal: bool) -> str:
    """What ``serve`` writes on stderr until it is ready and has done its background steps
    (stderr a pty or a pipe); the server is stopped before returning."""
    port = free_port()
    argv = [*SERVE, "--port", str(port)]
    argv += ["--query-processes", "1", "--data", str(SECOND), *flags]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if terminal:
        leader, follower = pty.openpty()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=follower, env=env)
        os.close(follower)
        reader = leader
    else:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        assert process.stderr is not None
        reader = process.stderr.fileno()
    seen = b""

    def read(wait: float) -> bool:
        """Add what stderr has to ``seen`` (waiting up to ``wait`` s); whether it had any."""
        nonlocal seen
        if not select.select([reader], [], [], wait)[0]:
            return False
        try:
            chunk = os.read(reader, 65536)
        except OSError:  # a pty's end closes when the process exits
            return False
        seen += chunk
        return bool(chunk)

    try:
        deadline = time.monotonic() + 300
        while not _healthy(port):
            assert process.poll() is None, seen.decode("utf-8", "replace")
            assert time.monotonic() < deadline, seen.decode("utf-8", "replace")
            read(0.2)
        # the background steps (query processes, precomputing) go on after the port opens
        waiting = "--quiet" not in flags  # quiet: nothing to wait for
        while (
            waiting
            and LAST_STEP not in seen
            and time.monotonic() < deadline
            and process.poll() is None
        ):
            read(0.2)
        while read(0.5):  # the rest of what was written by then
            pass
    finally:
        process.terminate()
        process.wait(30)
        if terminal:
            os.close(leader)
        elif process.stderr is not None:
            process.stderr.close()
    return seen.decode("utf-8", "replace")


def test_start_up_on_a_terminal_redraws_one_status_line():
    out = _start_up_output(terminal=True)
    assert "\r\x1b[K" in out  # the line redrawn in place
    # a pty writes each newline as \r\n; a finished phase is the text after the last erase
    finished = [line.split("\x1b[K")[-1] for line in out.replace("\r", "").split("\n")]
    for phase in ("loaded 6 files", "query processes ready", "precomputed", "ready in"):
        assert any(line.startswith("start-up: " + phase) for line in finished), out


def test_start_up_on_a_pipe_writes_plain_lines():
    out = _start_up_output(terminal=False)
    assert "\x1b" not in out and "\r" not in out
    lines = [line for line in out.splitlines() if line.startswith("start-up: ")]
    said = "\n".join(lines)
    expected = len(list(REPO_ROOT.glob("data/graphs/*.ttl"))) + len(list(SECOND.glob("*.ttl")))
    assert f"loaded {expected} files" in said
    for phase in ("query processes ready", "precomputed", "ready in"):
        assert phase in said, out
    ready = next(i for i, line in enumerate(lines) if line.startswith("start-up: ready in"))
    assert "listening on http://127.0.0.1:" in lines[ready]
    after = lines[ready + 1 :]  # the port is open: the rest is done in the background
    assert any("query processes ready" in line for line in after), out
    assert any("(in the background)" in line for line in after), out


def test_start_up_with_quiet_says_nothing_of_its_progress():
    out = _start_up_output("--quiet", terminal=False)
    assert "start-up:" not in out
