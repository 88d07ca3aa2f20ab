"""Prometheus metrics: requests and latency by endpoint, match-run durations and the solver's gap and
time, and the match-run queue's length.

One process keeps its metrics in memory. Under gunicorn with several workers, set
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder shared by the web and ``flask worker`` processes of one
host: every process writes its samples there and a scrape adds them up (gunicorn.conf.py empties the
folder at start and marks workers that exit)."""
from __future__ import annotations

import os
from typing import Optional

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter("linkage_http_requests", "HTTP requests answered, by endpoint (never by URL), method and status",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("linkage_http_request_duration_seconds", "Time to answer a request, by endpoint and method",
                    ["endpoint", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
MATCH_RUNS = Histogram("linkage_match_run_duration_seconds",
                       "A match run from its start to its recorded outcome, by kind and outcome", ["kind", "status"],
                       buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600))
SOLVER_SECONDS = Histogram("linkage_solver_duration_seconds", "Time the optimizer searched, by kind of run",
                           ["kind"], buckets=(0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600))
SOLVER_GAP = Histogram("linkage_solver_gap_ratio",
                       "Relative gap between the best solution and the bound (0: proven optimal), by kind of run",
                       ["kind"], buckets=(0, 0.0001, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1))


def observe_request(endpoint: Optional[str], method: str, status: int, seconds: float) -> None:
    name = endpoint or "unmatched"  # no route: a 404 of an unknown URL
    REQUESTS.labels(name, method, str(status)).inc()
    LATENCY.labels(name, method).observe(seconds)


def gap(objective, bound) -> Optional[float]:
    """|objective − bound| / max(1, |objective|); None when the solver found no solution."""
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


def observe_match_run(kind: str, status: str, seconds: float, result: Optional[dict]) -> None:
    MATCH_RUNS.labels(kind, status).observe(seconds)
    if result is None:
        return
    if result.get("seconds") is not None:
        SOLVER_SECONDS.labels(kind).observe(result["seconds"])
    relative = gap(result.get("objective"), result.get("bound"))
    if relative is not None:
        SOLVER_GAP.labels(kind).observe(relative)


class QueueLength:
    """The match-run queue's length, read from Redis at each scrape."""

    def __init__(self, length: Optional[int]):
        self.length = length

    def collect(self):
        if self.length is not None:
            yield GaugeMetricFamily("linkage_match_queue_length", "Match runs waiting on the Redis queue",
                                    value=self.length)


def exposition(queue_length: Optional[int]) -> bytes:
    """The text a scrape reads: every process's samples in multiprocess mode, this one's otherwise."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    live = CollectorRegistry()
    live.register(QueueLength(queue_length))
    return generate_latest(registry) + generate_latest(live)
