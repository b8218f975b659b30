"""What ``dhs-ai-kg push`` costs by itself: wall time and peak RSS of a push into a store that
reads every request and keeps only its line count (a Graph Store Protocol sink on 127.0.0.1).

The push runs as a user runs it (``python -m dhs_ai_kg_cli push --data DIR``), in its own
process group (peak RSS from ``wait4``), killed on error, Ctrl-C or SIGTERM; the sink runs in
this process. Prints one JSON object (wall seconds, peak RSS in MB, triples received per
graph, requests) on stdout.

Usage: ``.venv/bin/python bench/push_memory.py --data bench/.cache/scale-1000000-seed42/graphs``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"


class Sink(ThreadingHTTPServer):
    """A Graph Store Protocol store that counts the N-Triples lines of each PUT/POST."""

    def __init__(self) -> None:
        super().__init__((HOST, 0), _Handler)
        self.lines: dict[str, int] = {}
        self.requests = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """The sink's Graph Store Protocol URL."""
        return f"http://{HOST}:{self.server_address[1]}/store"


class _Handler(BaseHTTPRequestHandler):
    server: Sink

    def do_PUT(self) -> None:
        left = int(self.headers.get("Content-Length", 0))
        count = 0
        while left:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
            count += chunk.count(b"\n")
        graph = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["graph"][0]
        with self.server.lock:
            self.server.lines[graph] = self.server.lines.get(graph, 0) + count
            self.server.requests += 1
        self.send_response(201 if self.command == "PUT" else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT

    def log_message(self, *args: object) -> None:
        pass


def measure(data: Path, max_bytes: int | None = None) -> dict[str, object]:
    """Push ``data`` (beside the release) to a sink: wall seconds, peak RSS, lines per graph."""
    sink = Sink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    argv = [sys.executable, "-m", "dhs_ai_kg_cli", "push", "--data", str(data)]
    argv += ["--endpoint", sink.url]
    if max_bytes is not None:
        argv += ["--max-request-bytes", str(max_bytes)]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:  # Ctrl-C or SIGTERM (see main): the push's group goes too
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        sink.shutdown()
        sink.server_close()
        thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "exit": proc.returncode,
        "wall_s": round(time.perf_counter() - start, 2),
        "rss_mb": round(usage.ru_maxrss / 1024),
        "requests": sink.requests,
        "triples": dict(sorted(sink.lines.items())),
    }


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C: unwind, so the push started is killed."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run one measured push and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of <graph>.ttl files")
    parser.add_argument("--max-request-bytes", type=int, default=None)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    result = measure(args.data, args.max_request_bytes)
    print(json.dumps(result, indent=1))
    return 0 if result["exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
