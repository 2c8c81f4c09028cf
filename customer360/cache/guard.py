"""Every call into Redis goes through here: a tight timeout, one circuit breaker per process, and
the rule for trusting what Redis says again after an outage.

Why: a Redis that hangs (SIGSTOP, a full network buffer, a swapping host) accepts connections and
never answers. Every request makes several Redis calls (rate limits, the sign-in lookup, kept
answers, the source cache), so a 1-second socket timeout per call stalled the whole API. Here a call
gets `CALL_TIMEOUT_SECONDS`; after `BREAKER_THRESHOLD` failures in a row the circuit opens and every
call fails at once (microseconds, not a timeout) until a background PING, tried every
`BREAKER_COOL_OFF_SECONDS`, finds Redis back and closes it: no request pays for testing Redis.
Callers treat a failed call as "no cache": a read is a miss (the back offices answer), a write is
skipped, the rate limiter counts in-process.

What must not be lost is an invalidation: a `delete` that could not reach Redis leaves a kept answer
(or a customer's views generation) there that is now wrong, and Redis keeps it when it comes back.
`cache/redis.py` keeps such deletes in the process (tombstones) and sends them again before any
other call reaches Redis, and from a background task until they are through. So this process never
reads, from a Redis that is back, a key it failed to delete.

Several workers share one Redis, and another worker may hold a tombstone this one cannot see. That
worker sends its deletes at the latest `FLUSH_INTERVAL_SECONDS` after its probe closes its
circuit, i.e. within about `BREAKER_COOL_OFF_SECONDS + FLUSH_INTERVAL_SECONDS + CALL_TIMEOUT_SECONDS`
after Redis answers again. A worker whose breaker opened (it saw the outage) therefore distrusts
what it reads for `RECOVERY_GRACE_SECONDS` (longer than that) after its breaker closes: reads are
misses until every peer has had time to replay. Writes and deletes go through at once, so a value
kept meanwhile is fresh, and an answer kept under an old generation is made unreachable by the
peer's replayed delete.

What this does not cover, by design (docs/outages.md): a worker that made no Redis
call at all during the outage (so never opened its breaker) can, for at most the peer's replay
delay above, read a key a peer failed to delete; and a worker that dies holding tombstones loses
them, so a kept answer it failed to forget lives until its own TTL (`C360_CACHE_TTL_SECONDS`).
Deletes lost to a single failed call (Redis slow, not away) are replayed by the same worker on its
next call; peers do not distrust their reads for that, so a stalled loop does not turn the cache off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as redis
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import CLOSED, OPENED, OpenedState

from customer360.metrics import Metrics

log = logging.getLogger("customer360.cache.redis")

CALL_TIMEOUT_SECONDS = 0.15  # a healthy Redis answers in well under a millisecond
BREAKER_THRESHOLD = 3
BREAKER_COOL_OFF_SECONDS = 1.0
FLUSH_INTERVAL_SECONDS = 0.5  # how often unsent deletes are tried again in the background
# Longer than any peer needs to replay its unsent deletes once Redis answers (see above), with margin.
RECOVERY_GRACE_SECONDS = 3 * (BREAKER_COOL_OFF_SECONDS + FLUSH_INTERVAL_SECONDS + CALL_TIMEOUT_SECONDS)
CIRCUIT = "redis"

T = TypeVar("T")


class RedisAway(Exception):
    """Redis did not answer this call (timed out, refused, or the circuit is open)."""


class RedisGuard:
    """One per process, shared by the cache and the rate limiter: they see one Redis, so one breaker.

    While the circuit is open no request waits on Redis at all, not even to test it: a background
    probe (a PING every cool-off, through the breaker so it half-opens and closes it) does that, so a
    hung Redis adds a timeout to no request once the circuit has opened."""

    def __init__(
        self,
        metrics: Metrics | None = None,
        *,
        timeout_seconds: float = CALL_TIMEOUT_SECONDS,
        threshold: int = BREAKER_THRESHOLD,
        cool_off_seconds: float = BREAKER_COOL_OFF_SECONDS,
        grace_seconds: float = RECOVERY_GRACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._timeout = timeout_seconds
        self._cool_off = cool_off_seconds
        self._grace = grace_seconds
        self._clock = clock
        self._breakers = AsyncCircuitBreakerFactory(default_threshold=threshold, default_ttl=cool_off_seconds)
        self._breakers.add_listener(self._on_breaker_event)
        self.is_open = False  # opened or half-opened: only the probe talks to Redis
        self._opened_since_last_answer = False
        self._distrust_until = 0.0
        self._ping: Callable[[], Awaitable[Any]] | None = None
        self._prober: asyncio.Task[None] | None = None
        metrics = metrics or Metrics()
        self._open_gauge = metrics.redis_circuit_open
        self._errors = metrics.redis_errors

    def probe_with(self, ping: Callable[[], Awaitable[Any]]) -> None:
        """How the background probe asks Redis whether it is back (any client of that Redis will do)."""
        self._ping = ping

    async def call(self, work: Callable[[], Awaitable[T]]) -> T:
        """`work()`'s answer, or RedisAway within the timeout (at once while the circuit is open)."""
        if self.is_open and self._ping is not None:
            self._errors.labels("circuit_open").inc()
            raise RedisAway("circuit open")
        return await self._attempt(work)

    async def _attempt(self, work: Callable[[], Awaitable[T]]) -> T:
        try:
            breaker = await self._breakers.get_breaker(CIRCUIT)
            async with breaker, asyncio.timeout(self._timeout):
                answer = await work()
        except OpenedState:
            self._errors.labels("circuit_open").inc()
            raise RedisAway("circuit open") from None
        except TimeoutError:
            self._errors.labels("timeout").inc()
            raise RedisAway(f"no answer within {self._timeout:g} s") from None
        except (redis.RedisError, OSError) as error:
            self._errors.labels("error").inc()
            raise RedisAway(type(error).__name__) from None
        if self._opened_since_last_answer:
            # Back after an outage: peers may still hold deletes they could not send (module docstring).
            self._opened_since_last_answer = False
            self._distrust_until = self._clock() + self._grace
            log.warning("Redis answers again: reads ignored for %.1f s while other workers catch up", self._grace)
        return answer

    def reads_trusted(self) -> bool:
        """False while the circuit is open and during the grace after it closes."""
        return not self.is_open and self._clock() >= self._distrust_until

    def distrust_reads_for(self, seconds: float) -> None:
        self._distrust_until = max(self._distrust_until, self._clock() + seconds)

    async def close(self) -> None:
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober

    def _on_breaker_event(self, _name: str, event_type: str, event: Any) -> None:
        if event_type != "state_changed":
            return
        self.is_open = event.state != CLOSED
        self._open_gauge.set(1 if self.is_open else 0)
        if event.state == OPENED and not self._opened_since_last_answer:
            self._opened_since_last_answer = True
            log.warning("Redis is not answering: circuit open, serving without the cache and rate limits in-process")
        if self.is_open and self._ping is not None and (self._prober is None or self._prober.done()):
            self._prober = asyncio.get_running_loop().create_task(self._probe_until_answered())

    async def _probe_until_answered(self) -> None:
        ping = self._ping
        assert ping is not None
        while self.is_open:
            await asyncio.sleep(self._cool_off)
            with contextlib.suppress(RedisAway):
                await self._attempt(ping)
