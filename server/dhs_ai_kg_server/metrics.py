"""Prometheus metrics: requests by endpoint and status, latency, errors, query timeouts.

Across gunicorn workers: :func:`dhs_ai_kg_server.gunicorn_app.run` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the app (and so ``prometheus_client``)
is loaded; each worker then writes its counts there and ``/metrics`` sums every worker's,
whichever worker answers. Without that variable (tests, a single process) the counts are
this process's. ``prometheus_client`` picks its mode when first imported, so it is imported
here lazily, inside :class:`Metrics`.
"""

from __future__ import annotations

import os
from typing import Any

#: Latency buckets (seconds): sub-millisecond lookups up to the query timeout.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """One app's metrics (a registry of its own, so several apps can share a process)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry()
        options: dict[str, Any] = {"registry": self.registry}
        self.requests = Counter(
            "dhs_ai_kg_http_requests",
            "HTTP requests answered, by endpoint (URL rule), method and status.",
            ["endpoint", "method", "status"],
            **options,
        )
        self.latency = Histogram(
            "dhs_ai_kg_http_request_duration_seconds",
            "Time to answer a request, by endpoint (URL rule).",
            ["endpoint"],
            buckets=BUCKETS,
            **options,
        )
        self.errors = Counter(
            "dhs_ai_kg_http_errors",
            "Responses with a 5xx status, by endpoint (URL rule) and status.",
            ["endpoint", "status"],
            **options,
        )
        self.timeouts = Counter(
            "dhs_ai_kg_query_timeouts",
            "Queries stopped at QUERY_TIMEOUT (their process killed).",
            **options,
        )
        self.crashes = Counter(
            "dhs_ai_kg_query_crashes",
            "Queries whose process died (e.g. SIGSEGV in the engine).",
            **options,
        )

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)
        if status >= 500:
            self.errors.labels(endpoint, str(status)).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The Prometheus text exposition (every worker's counts when multiprocess) and its
        content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        if not self.multiprocess:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        merged = CollectorRegistry()
        MultiProcessCollector(merged)
        return generate_latest(merged), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """Forget a dead worker's live gauges (its counters stay in the totals)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
