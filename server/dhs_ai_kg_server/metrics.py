"""Prometheus metrics: requests by endpoint and status, latency, errors, and the limits at work.

The server is one process (the HTTP front and the app; queries run in the pool's processes),
so the counts are this process's. Label values come from closed sets only — the URL rule (or
``(unmatched)``), one of :data:`METHODS` (anything else is ``other``) and the status — so a
client cannot grow the number of series. The pool's and the front's counters are read when
scraped (:meth:`Metrics.watch`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

#: Latency buckets (seconds): sub-millisecond lookups up to the query timeout.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: The methods counted by name; any other is counted as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"})


class _Watched(Collector):
    """Gauges read from callables at scrape time (pool and front counters)."""

    def __init__(self) -> None:
        self.sources: dict[str, tuple[str, Callable[[], float]]] = {}

    def collect(self) -> Iterator[Metric]:
        for name, (help_text, read) in sorted(self.sources.items()):
            family = GaugeMetricFamily(name, help_text)
            family.add_metric([], float(read()))
            yield family


class Metrics:
    """One app's metrics (a registry of its own, so several apps can share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "dhs_ai_kg_http_requests",
            "HTTP requests answered, by endpoint (URL rule), method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "dhs_ai_kg_http_request_duration_seconds",
            "Time to answer a request, by endpoint (URL rule).",
            ["endpoint"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "dhs_ai_kg_http_errors",
            "Responses with a 5xx status, by endpoint (URL rule) and status.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self._watched = _Watched()
        self.registry.register(self._watched)

    def watch(self, sources: Mapping[str, tuple[str, Callable[[], float]]]) -> None:
        """Expose each ``name: (help, read)`` as a gauge read when scraped."""
        self._watched.sources.update(sources)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        method = method if method in METHODS else "other"
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)
        if status >= 500:
            self.errors.labels(endpoint, str(status)).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
