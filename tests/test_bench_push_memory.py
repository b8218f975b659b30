"""bench/push_memory.py at a tiny size (the real release and 600 synthetic triples): the sink
receives every triple of every graph the files hold, in one request per graph or, with a small
--max-request-bytes, in more; the push's peak RSS is measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bench_modules import bench_module, triples_per_graph

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 600 synthetic triples of seed 7: its graphs folder."""
    datagen = bench_module("datagen")
    out = tmp_path_factory.mktemp("synthetic")
    datagen.write(out, 600, seed=7)
    return out / "graphs"


@pytest.mark.parametrize("max_bytes", [None, 20_000])
def test_the_sink_gets_every_triple_and_the_rss_is_measured(
    data: Path, max_bytes: int | None
) -> None:
    argv = [sys.executable, str(BENCH / "push_memory.py"), "--data", str(data)]
    argv += [] if max_bytes is None else ["--max-request-bytes", str(max_bytes)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    want = triples_per_graph(data)
    assert len(want) == 4 and all(want.values())
    assert result["exit"] == 0
    assert result["triples"] == want
    if max_bytes is None:
        assert result["requests"] == len(want)
    else:  # the biggest graph's N-Triples are several times max_bytes
        assert result["requests"] > len(want) + 2
    assert result["rss_mb"] > 0 and result["wall_s"] > 0
