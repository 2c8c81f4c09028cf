"""Every call into a back office goes through here: metrics, timeout, circuit breaker, demo faults.

Each adapter method a port declares is marked `@guarded`; the registry hands the adapter its
`SourceGuard` when it builds it. The decorator keeps the method's signature, so mypy checks every
adapter against its port and every caller against the adapter, and a test (tests/test_back_offices.py)
fails when a public coroutine method of a registered adapter is left unguarded.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from sqlalchemy.exc import SQLAlchemyError

from customer360 import tracing
from customer360.domain.systems import SourceSystem
from customer360.metrics import Metrics
from customer360.sources.errors import SourceRejected, SourceUnavailable

# A back office that fails this many calls in a row is left alone for the cool-off, so a
# dead system costs an instant error instead of a timeout per request.
BREAKER_THRESHOLD = 5
BREAKER_COOL_OFF_SECONDS = 15.0

R = TypeVar("R")
A = ParamSpec("A")


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


class Guard(Protocol):
    async def run(self, operation: str, call: Callable[[], Awaitable[R]], keys: int | None = None) -> R: ...


class Unguarded:
    """An adapter built outside the gateway (a test, a one-off script) calls straight through."""

    async def run(self, operation: str, call: Callable[[], Awaitable[R]], keys: int | None = None) -> R:
        return await call()


UNGUARDED: Guard = Unguarded()


class SourceGuard:
    """One back office's calls: counted, timed, cut off after the timeout, refused while its circuit is open."""

    def __init__(
        self,
        system: SourceSystem,
        *,
        metrics: Metrics,
        breakers: AsyncCircuitBreakerFactory,
        timeout_seconds: float,
        faults: DemoFaults | None = None,
    ) -> None:
        self.system = system
        self._metrics = metrics
        self._breakers = breakers
        self._timeout = timeout_seconds
        self._faults = faults

    async def run(self, operation: str, call: Callable[[], Awaitable[R]], keys: int | None = None) -> R:
        """`keys`: how many the call asks about (a batched read's), for its span."""
        if not tracing.active():
            return await self._run(operation, call)
        attributes: dict[str, str | int] = {"c360.source.system": self.system.value, "c360.source.operation": operation}
        if keys is not None:
            attributes["c360.source.keys"] = keys
        with tracing.span(f"{self.system.value} {operation}", attributes, kind=SpanKind.CLIENT):
            return await self._run(operation, call)

    async def _run(self, operation: str, call: Callable[[], Awaitable[R]]) -> R:
        source = self.system.value
        self._metrics.source_calls.labels(source, operation).inc()
        started = time.perf_counter()
        try:
            breaker = await self._breakers.get_breaker(source)
            async with breaker:
                async with asyncio.timeout(self._timeout):
                    if self._faults:
                        await self._faults.before_call(self.system)
                    return await call()
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
            self._metrics.source_call_seconds.labels(source, operation).observe(time.perf_counter() - started)

    def _count_error(self, operation: str, reason: str) -> None:
        self._metrics.source_errors.labels(self.system.value, operation, reason).inc()
        trace.get_current_span().set_attribute("c360.source.failure", reason)  # a no-op outside a span


class GuardedAdapter:
    """The base of every back-office adapter: its `@guarded` methods run through `guard`."""

    guard: Guard = UNGUARDED


G = TypeVar("G", bound=GuardedAdapter)
_GUARDED: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def guarded(
    method: Callable[Concatenate[G, A], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[G, A], Coroutine[Any, Any, R]]:
    """Run an adapter method through its guard; the method's name is the `operation` metric label."""
    operation = method.__name__

    async def call(self: G, /, *args: A.args, **kwargs: A.kwargs) -> R:
        # A batched read's keys come first (`Lookup` fetches): their number goes on the call's span.
        keys = len(args[0]) if args and isinstance(args[0], list | tuple | set | frozenset) else None
        return await self.guard.run(operation, lambda: method(self, *args, **kwargs), keys)

    functools.update_wrapper(call, method)  # its name and docstring; not `@wraps`, whose type loses the signature
    _GUARDED.add(call)
    return call


def is_guarded(method: object) -> bool:
    return method in _GUARDED


def circuit_breakers() -> AsyncCircuitBreakerFactory:
    # A refusal is the back office working correctly; only outages count towards opening the circuit.
    return AsyncCircuitBreakerFactory(
        default_threshold=BREAKER_THRESHOLD, default_ttl=BREAKER_COOL_OFF_SECONDS, exclude=[SourceRejected]
    )
