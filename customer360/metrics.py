"""Prometheus metrics, one registry per app so tests and workers never share counters by accident."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, GCCollector, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.source_calls = Counter(
            "customer360_source_calls",
            "Calls into a back office (one per call, however many keys it carries)",
            ["source", "operation"],
            registry=self.registry,
        )
        self.source_call_seconds = Histogram(
            "customer360_source_call_seconds",
            "Time spent in a call into a back office",
            ["source", "operation"],
            registry=self.registry,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.source_errors = Counter(
            "customer360_source_errors",
            "Calls into a back office that failed (down, timed out, circuit open)",
            ["source", "operation", "reason"],
            registry=self.registry,
        )
        self.cache_requests = Counter(
            "customer360_cache_requests",
            "Cache look-ups by layer (memory, redis) and result (hit, miss, stale: a last known value served)",
            ["layer", "result"],
            registry=self.registry,
        )
        self.kept_answers = Counter(
            "customer360_kept_answers",
            "Residents' repeated reads sent as kept bytes before GraphQL (served) or passed on to it (missed)",
            ["result"],
            registry=self.registry,
        )
        self.redis_circuit_open = Gauge(
            "customer360_redis_circuit_open",
            "1 while this process's circuit breaker for Redis is open (cache and rate limits bypassed)",
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "customer360_redis_errors",
            "Redis calls that failed (timeout, error, circuit_open: refused at once by the open breaker)",
            ["reason"],
            registry=self.registry,
        )

        self.outbox_delivered = Counter(
            "customer360_outbox_delivered",
            "Writes delivered to a back office from the outbox (by this process: each replica relays its share)",
            ["destination"],
            registry=self.registry,
        )
        self.delivery_cases = Counter(
            "customer360_delivery_cases",
            "Cases opened for staff because a back office refused a delivery for good (by this process)",
            ["team", "destination"],
            registry=self.registry,
        )
        self.delivery_cases_open = Gauge(
            "customer360_delivery_cases_open",
            "Cases waiting for staff, per team (read from the store at each scrape: the same from every worker)",
            ["team"],
            registry=self.registry,
        )
        # python_gc_collections_total{generation}: a full (generation 2) collection pauses every request in
        # flight; with the heap frozen (customer360/heap.py) it walks only what requests left.
        GCCollector(registry=self.registry)
        Gauge(
            "customer360_gc_frozen_objects",
            "Objects start-up left that no collection walks again (gc.freeze: `customer360 serve` only)",
            registry=self.registry,
        ).set_function(gc.get_freeze_count)

    def show_open_cases(self, open_by_team: Mapping[str, int], teams: frozenset[str]) -> None:
        """Every team shows, with 0 when it has nothing open, so an alert can watch one series per team."""
        for team in teams:
            self.delivery_cases_open.labels(team=team).set(open_by_team.get(team, 0))

    def source_call_count(self, source: str, operation: str | None = None) -> float:
        """Calls so far into `source` (optionally one operation): what tests assert batching with."""
        total = 0.0
        for metric in self.source_calls.collect():
            for sample in metric.samples:
                if not sample.name.endswith("_total"):
                    continue
                if sample.labels["source"] == source and operation in (None, sample.labels["operation"]):
                    total += sample.value
        return total
