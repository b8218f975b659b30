"""The real server: ``dhs-ai-kg serve`` (gunicorn) in a subprocess on a free 127.0.0.1 port.

What the Flask test client cannot show: a timed-out query frees the one worker, which then
answers the next query; SIGTERM lets the request in flight finish and exits 0; metrics add
up across workers; the access log is JSON lines on stderr.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DIGITS = " ".join(str(i) for i in range(10))


def product(factors: int) -> str:
    """A query counting 10**factors rows of VALUES, whatever the data: 10**7 takes ~2 s."""
    values = " ".join(f"VALUES ?v{i} {{ {DIGITS} }}" for i in range(factors))
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ {values} }}"


RUNAWAY = product(10)  # tens of minutes; only a kill stops it
QUICK = "SELECT ?s WHERE { ?s a ?type } LIMIT 1"
SLOW = product(7)  # ~2 s of work, whatever the data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base: str
    stderr: list[str] = field(default_factory=list)

    def url(self, query: str) -> str:
        return f"{self.base}/sparql?" + urllib.parse.urlencode({"query": query})

    def get(self, url: str, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


def start(*flags: str) -> Served:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dhs_ai_kg_cli", "serve", "--port", str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    served = Served(process, f"http://127.0.0.1:{port}")

    def drain() -> None:
        assert process.stderr is not None
        with process.stderr:  # closed at EOF: an unclosed pipe is a ResourceWarning
            for line in process.stderr:
                served.stderr.append(line.decode("utf-8", "replace"))

    threading.Thread(target=drain, daemon=True).start()
    for _ in range(300):  # bounded: 30 s
        if process.poll() is not None:
            raise AssertionError("server exited early:\n" + "".join(served.stderr))
        try:
            if served.get(served.base + "/healthz", timeout=1)[0] == 200:
                return served
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not start:\n" + "".join(served.stderr))


def stop(served: Served) -> int:
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGTERM)
    try:
        return served.process.wait(30)
    except subprocess.TimeoutExpired:
        served.process.kill()
        return served.process.wait(5)


@pytest.fixture
def one_worker() -> Iterator[Served]:
    served = start("--workers", "1", "--timeout", "1")
    yield served
    stop(served)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return found


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    for child in children(pid):
        out.extend([child, *descendants(child)])
    return out


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_a_timed_out_query_frees_the_single_worker(one_worker: Served):
    status, _, _ = one_worker.get(one_worker.url(QUICK))
    assert status == 200
    (worker,) = children(one_worker.process.pid)
    (first_child,) = children(worker)  # the worker's query process

    status, headers, body = one_worker.get(one_worker.url(RUNAWAY))
    assert status == 503, body
    assert headers["Retry-After"] == "1" and b"longer than 1 s" in body
    assert not Path(f"/proc/{first_child}").exists()  # killed: the work really stopped

    status, _, body = one_worker.get(one_worker.url(QUICK), timeout=10)
    assert status == 200 and b"results" in body
    assert children(one_worker.process.pid) == [worker]  # the same worker answered
    assert children(worker) != [first_child]
    status, _, metrics = one_worker.get(one_worker.base + "/metrics")
    assert b"dhs_ai_kg_query_timeouts_total 1.0" in metrics


def test_sigterm_lets_the_request_in_flight_finish():
    served = start("--workers", "1", "--timeout", "60")
    try:
        assert served.get(served.url(QUICK))[0] == 200
        (worker,) = children(served.process.pid)
        (query_process,) = children(worker)
        before = cpu_ticks(query_process)
        result: dict[str, object] = {}

        def slow() -> None:
            result["answer"] = served.get(served.url(SLOW), timeout=60)

        thread = threading.Thread(target=slow)
        thread.start()
        for _ in range(200):  # bounded: until the query process is busy with it
            if cpu_ticks(query_process) > before + 5:
                break
            time.sleep(0.02)
        assert thread.is_alive(), "the slow query ended before SIGTERM could be sent"
        served.process.send_signal(signal.SIGTERM)
        thread.join(60)
        status, _, body = result["answer"]  # type: ignore[misc]
        assert status == 200 and b"10000000" in body
        assert served.process.wait(30) == 0
    finally:
        stop(served)
    assert not Path(f"/proc/{query_process}").exists()


def test_metrics_add_up_across_workers_and_access_log_is_json():
    served = start("--workers", "2")
    try:
        for _ in range(300):  # bounded: both workers booted
            if len(children(served.process.pid)) == 2:
                break
            time.sleep(0.1)
        sent = 0
        for _ in range(50):  # bounded: until both workers have answered some requests
            threads = [
                threading.Thread(target=served.get, args=(served.base + "/healthz",))
                for _ in range(4)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            sent += len(threads)
            time.sleep(0.2)  # let the drain thread read the log lines
            pids = {json.loads(ln)["pid"] for ln in served.stderr if ln.startswith("{")}
            if len(pids) == 2:
                break
        assert len(pids) == 2, "one worker answered everything"
        for _ in range(3):  # whichever worker answers the scrape, it counts every request
            _, _, text = served.get(served.base + "/metrics")
            line = next(
                ln
                for ln in text.decode().splitlines()
                if ln.startswith("dhs_ai_kg_http_requests_total{")
                and 'endpoint="/healthz"' in ln
                and 'status="200"' in ln
            )
            assert float(line.rsplit(" ", 1)[1]) >= sent
    finally:
        assert stop(served) == 0
    entries = [json.loads(ln) for ln in served.stderr if ln.startswith("{")]
    healthz = [e for e in entries if e["path"] == "/healthz"]
    assert len(healthz) >= sent
    assert {"time", "request_id", "method", "path", "status", "bytes", "duration_ms"} <= set(
        healthz[0]
    )


def test_serve_reads_the_update_token_from_the_environment_only():
    from dhs_ai_kg_cli import main

    assert main(["serve", "--update-token-env", "DHS_AI_KG_NO_SUCH_VAR"]) == 2
    os.environ["DHS_AI_KG_TEST_TOKEN"] = "t"
    try:
        assert main(["serve", "--update-token-env", "DHS_AI_KG_TEST_TOKEN", "--workers", "2"]) == 2
    finally:
        del os.environ["DHS_AI_KG_TEST_TOKEN"]
