"""Every call into a back office goes through here: metrics, timeout, circuit breaker, demo faults.

Wrapping the adapter (rather than instrumenting each method) means a new port method is
counted, timed and protected without anyone remembering to.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from sqlalchemy.exc import SQLAlchemyError

from customer360.domain.systems import SourceSystem
from customer360.metrics import Metrics
from customer360.sources.errors import SourceRejected, SourceUnavailable

# A back office that fails this many calls in a row is left alone for the cool-off, so a
# dead system costs an instant error instead of a timeout per request.
BREAKER_THRESHOLD = 5
BREAKER_COOL_OFF_SECONDS = 15.0


@dataclass
class DemoFaults:
    """Injected by the demo council only: a delay before every call, and systems that refuse.

    Mutable on purpose: a fault drill (or a test) takes a back office down and brings it back
    while the gateway runs.
    """

    latency_seconds: float = 0.0
    down: set[str] = field(default_factory=set)  # SourceSystem values, or AGENCIES

    async def before_call(self, system: SourceSystem) -> None:
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)
        if system in self.down:
            raise SourceUnavailable(system, "refused (C360_DEMO_SOURCE_DOWN)")


class InstrumentedSource:
    """A proxy with the adapter's own methods; each coroutine method is wrapped in `_guarded`."""

    def __init__(
        self,
        inner: Any,
        system: SourceSystem,
        *,
        metrics: Metrics,
        breakers: AsyncCircuitBreakerFactory,
        timeout_seconds: float,
        faults: DemoFaults | None = None,
    ) -> None:
        self.inner = inner
        self.system = system
        self._metrics = metrics
        self._breakers = breakers
        self._timeout = timeout_seconds
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(attribute):
            return attribute
        guarded = self._guarded(name, attribute)
        setattr(self, name, guarded)  # built once per method, not per call
        return guarded

    def _guarded(self, operation: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        source = self.system.value
        calls = self._metrics.source_calls.labels(source, operation)
        seconds = self._metrics.source_call_seconds.labels(source, operation)

        async def call(*args: Any, **kwargs: Any) -> Any:
            calls.inc()
            started = time.perf_counter()
            try:
                breaker = await self._breakers.get_breaker(source)
                async with breaker:
                    async with asyncio.timeout(self._timeout):
                        if self._faults:
                            await self._faults.before_call(self.system)
                        return await method(*args, **kwargs)
            except SourceUnavailable as error:
                self._count_error(operation, "unavailable")
                raise error
            except SourceRejected:
                self._count_error(operation, "rejected")
                raise
            except OpenedState:
                self._count_error(operation, "circuit_open")
                raise SourceUnavailable(self.system, "circuit open after repeated failures") from None
            except TimeoutError:
                self._count_error(operation, "timeout")
                raise SourceUnavailable(self.system, f"no answer within {self._timeout:g} s") from None
            except (OSError, SQLAlchemyError, httpx.HTTPError) as error:
                self._count_error(operation, "error")
                raise SourceUnavailable(self.system, type(error).__name__) from error
            finally:
                seconds.observe(time.perf_counter() - started)

        return call

    def _count_error(self, operation: str, reason: str) -> None:
        self._metrics.source_errors.labels(self.system.value, operation, reason).inc()


def circuit_breakers() -> AsyncCircuitBreakerFactory:
    # A refusal is the back office working correctly; only outages count towards opening the circuit.
    return AsyncCircuitBreakerFactory(
        default_threshold=BREAKER_THRESHOLD, default_ttl=BREAKER_COOL_OFF_SECONDS, exclude=[SourceRejected]
    )
