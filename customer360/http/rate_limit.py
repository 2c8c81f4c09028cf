"""Rate limits: per client address (before authentication, so bad-token floods count too) and per
signed-in principal (after it). Fixed windows of `C360_RATE_LIMIT_WINDOW_SECONDS`; past the limit the
answer is 429 with `Retry-After` (seconds until the window ends).

The counters live in Redis when `C360_REDIS_URL` is set (every worker and machine shares them: one
atomic INCR + PEXPIRE per hit), in this process otherwise. Redis calls go through the process's
`RedisGuard` (`cache/guard.py`: tight timeout, circuit breaker shared with the cache): while Redis is
away each worker counts in its own memory instead, so limits still hold (per worker) and a hung
Redis costs a request nothing once the circuit is open. A cache outage must not take the council's
portal down with it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis
from starlette.types import ASGIApp, Receive, Scope, Send

from customer360.auth.principal import Principal
from customer360.cache.guard import RedisAway, RedisGuard
from customer360.http.responses import refusal

# Paths that are never limited: probes and scrapes come often and from few addresses.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


class RateLimitStore(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: float) -> Verdict: ...

    async def close(self) -> None: ...


class MemoryRateLimits:
    """Fixed-window counters in this process (one worker); old windows are swept as they pass."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, limit: int, window_seconds: float) -> Verdict:
        now = self._clock()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= window_seconds:
            started, count = now, 0
        count += 1
        if len(self._windows) >= self._max_keys and key not in self._windows:
            self._sweep(now, window_seconds)
        self._windows[key] = (started, count)
        if count > limit:
            return Verdict(False, max(1, math.ceil(started + window_seconds - now)))
        return Verdict(True)

    def _sweep(self, now: float, window_seconds: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < window_seconds}

    async def close(self) -> None:
        self._windows.clear()


_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


class RedisRateLimits:
    """Fixed-window counters in Redis, shared by every gateway process."""

    def __init__(self, client: redis.Redis, guard: RedisGuard | None = None, prefix: str = "c360:rl:") -> None:
        self._client = client
        self._own_guard = guard is None
        self._guard = guard or RedisGuard()
        self._guard.probe_with(client.ping)
        self._prefix = prefix
        self._script = client.register_script(_HIT)
        self._while_away = MemoryRateLimits()

    @classmethod
    def from_url(cls, url: str, guard: RedisGuard | None = None) -> RedisRateLimits:
        return cls(redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5), guard)

    async def hit(self, key: str, limit: int, window_seconds: float) -> Verdict:
        try:
            count, ttl_ms = await self._guard.call(
                lambda: self._script(keys=[self._prefix + key], args=[int(window_seconds * 1000)])
            )
        except RedisAway:
            return await self._while_away.hit(key, limit, window_seconds)
        if int(count) > limit:
            return Verdict(False, max(1, math.ceil(int(ttl_ms) / 1000)))
        return Verdict(True)

    async def close(self) -> None:
        await self._while_away.close()
        if self._own_guard:
            await self._guard.close()
        await self._client.aclose()


def principal_key(principal: Principal) -> str | None:
    if principal.subject is None:
        return None
    return f"principal:{principal.kind.value}:{principal.subject}"


TOO_MANY = "too many requests: slow down"
RATE_LIMITED = "RATE_LIMITED"


async def too_many(verdict: Verdict, scope: Scope, receive: Receive, send: Send) -> None:
    response = refusal(429, TOO_MANY, RATE_LIMITED, headers={"Retry-After": str(verdict.retry_after)})
    await response(scope, receive, send)


class ClientRateLimit:
    """Per client address. Behind a proxy, run uvicorn with --proxy-headers/--forwarded-allow-ips so the
    address is the client's, not the proxy's."""

    def __init__(self, app: ASGIApp, *, limit: int, window_seconds: float) -> None:
        self._app = app
        self._limit = limit
        self._window = window_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._limit <= 0 or scope["path"] in UNLIMITED_PATHS:
            await self._app(scope, receive, send)
            return
        store: RateLimitStore | None = getattr(scope["app"].state.runtime, "rate_limits", None)
        client = scope.get("client")
        if store is not None:
            verdict = await store.hit(f"ip:{client[0] if client else 'unknown'}", self._limit, self._window)
            if not verdict.allowed:
                await too_many(verdict, scope, receive, send)
                return
        await self._app(scope, receive, send)


async def principal_allowed(store: RateLimitStore | None, principal: Principal, limit: int, window: float) -> Verdict:
    key = principal_key(principal)
    if store is None or key is None or limit <= 0:
        return Verdict(True)
    return await store.hit(key, limit, window)
