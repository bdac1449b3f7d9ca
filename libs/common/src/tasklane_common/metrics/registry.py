"""One service instance's metrics.

Each ``ServiceMetrics`` owns its own ``CollectorRegistry``: the embedded mode hosts four services
in one process and the tests build many apps per process, so the global default registry (one
metric name, registered once per process) cannot be used. Services add their domain metrics to
``registry``; gauges that reflect the database (a backlog, an age) register a *sampler*, run just
before each scrape, rather than a polling loop that would query whether anyone scrapes or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, generate_latest

from tasklane_common.logging import get_logger
from tasklane_common.metrics.messaging import MessagingMetrics

log = get_logger(__name__)

Sampler = Callable[[], Awaitable[None]]
# A scrape must answer even when the database does not: a sampler that takes longer keeps its
# gauges' previous values and counts a failure.
SAMPLE_TIMEOUT_S = 3.0


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.messaging = MessagingMetrics(self.registry, service)
        self._samplers: dict[str, Sampler] = {}
        self.sample_failures = Counter(
            "tasklane_metrics_sample_failures",
            "Scrape-time samplers (database-backed gauges) that failed or timed out.",
            ["service", "sampler"],
            registry=self.registry,
        )

    def sampler(self, name: str, sample: Sampler) -> None:
        """Run ``sample`` before each scrape (it sets gauges of ``registry``)."""
        self._samplers[name] = sample

    async def sample(self) -> None:
        async def one(name: str, sample: Sampler) -> None:
            try:
                async with asyncio.timeout(SAMPLE_TIMEOUT_S):
                    await sample()
            except Exception as exc:
                self.sample_failures.labels(self.service, name).inc()
                log.warning("metrics_sample_failed", sampler=name, error=type(exc).__name__)

        await asyncio.gather(*(one(name, s) for name, s in self._samplers.items()))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
