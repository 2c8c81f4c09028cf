"""The cache interface every layer implements, and the read-through used by the loaders."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from opentelemetry.trace import Span

from customer360 import tracing
from customer360.cache.namespaces import NEVER_CACHED
from customer360.cache.views import AwayFallback, CustomerViews
from customer360.metrics import Metrics

# Where the last known good answer for `<namespace>:<key>` is kept, beside the fresh entry.
LAST_KNOWN = "last-known:"


class Cache(Protocol):
    layer: str

    async def get_many(self, keys: Sequence[str]) -> dict[str, Any]: ...

    async def set_many(self, items: Mapping[str, Any], ttl_seconds: float) -> None: ...

    async def delete_many(self, keys: Sequence[str]) -> None: ...

    async def close(self) -> None: ...


class NoCache:
    """`C360_CACHE=off`: every read goes to the back office."""

    layer = "none"

    async def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        return {}

    async def set_many(self, items: Mapping[str, Any], ttl_seconds: float) -> None:
        return None

    async def delete_many(self, keys: Sequence[str]) -> None:
        return None

    async def close(self) -> None:
        return None


@dataclass
class StaleReads:
    """One request's answers that came from a last known copy because their back office failed.

    Stale copies are served only to a request that carries one of these, so a stale answer is always
    reported (`extensions.stale`). A write turns `serving` off: it decides on live data or not at all.
    """

    serving: bool = True
    ages: dict[str, float] = field(default_factory=dict)  # namespace -> age of the oldest copy served

    def note(self, namespace: str, age_seconds: float) -> None:
        self.ages[namespace] = max(age_seconds, self.ages.get(namespace, 0.0))

    @property
    def oldest_seconds(self) -> float:
        return max(self.ages.values(), default=0.0)


@dataclass(frozen=True)
class Stale:
    """What a change made stale, as whoever made it declares it (a portal service's deliveries: `commands/
    unit.py`): cached answers by (namespace, key), the customers whose kept whole answers (cache/views.py)
    are now wrong, and, when who is who changed (a merge, an unmerge, an arrival), every kept sign-in."""

    keys: Sequence[tuple[str, str]] = ()
    customers: Sequence[str | None] = ()
    sign_ins: bool = False


@dataclass
class _ViewsDue:
    customers: set[str] = field(default_factory=set)
    open: bool = True


# Set around a resident's write request (`views_forgotten_at_end`): the customers whose kept answers it
# made stale, forgotten once when it ends rather than once per step (a delivery, then the request).
_VIEWS_DUE: ContextVar[_ViewsDue | None] = ContextVar("views_due", default=None)


@contextlib.contextmanager
def views_forgotten_at_end() -> Iterator[set[str]]:
    """Collects the customers whose kept answers the enclosed work makes stale; the caller forgets them
    (with `ReadThrough.forget`) once it is done. Anything still running after the block forgets at once."""
    due = _ViewsDue()
    token = _VIEWS_DUE.set(due)
    try:
        yield due.customers
    finally:
        due.open = False
        _VIEWS_DUE.reset(token)


class ReadThrough:
    """Answers what it can from the cache, asks the source once for the rest, and keeps the answers.

    Keys are `<namespace>:<key>`, the namespace naming the source operation, so our own writes can
    invalidate exactly the keys they change.

    Stale-if-error: each answer is also kept as a last known copy (with the time it was fetched) for
    `stale_seconds`. When the source fails with one of `unavailable` (down, timed out, circuit open),
    keys with a copy are answered from it and reported in the request's `StaleReads`; keys without
    one fail as before. The copy is an ordinary cache entry with its own TTL, so in Redis it is
    encrypted like every value and expires at the end of the stale window.

    Shared reads (`shared=True`): callers asking for the same keys of a namespace while a read of them is
    under way wait for that read instead of asking the source again, and the one that started it keeps
    the answers. Only for reads whose answer is the same for every principal (the fetch runs once, in
    the first caller's context: its request id, its trace); today the service catalogue. A caller cut
    short does not cancel the read; a read started after a `forget` of its keys never joins one begun
    before it.
    """

    def __init__(
        self,
        cache: Cache,
        metrics: Metrics,
        ttl_seconds: float,
        *,
        stale_seconds: float = 0.0,
        unavailable: tuple[type[Exception], ...] = (),
        clock: Callable[[], float] = time.time,  # wall clock: copies are shared by every machine via Redis
        views: bool = True,
        key_secret: bytes | None = None,  # for the views' keys (cache/views.py); shared by workers on one Redis
        views_away: AwayFallback | None = None,  # with Redis: kept answers while it is away (cache/views.py)
    ) -> None:
        self._cache = cache
        self._ttl = ttl_seconds
        self._enabled = cache.layer != "none"
        self._stale_seconds = stale_seconds if self._enabled and unavailable else 0.0
        self._unavailable = unavailable
        self._clock = clock
        self._hits = metrics.cache_requests.labels(cache.layer, "hit")
        self._misses = metrics.cache_requests.labels(cache.layer, "miss")
        self._stale = metrics.cache_requests.labels(cache.layer, "stale") if self._stale_seconds else None
        self.views = CustomerViews(cache, ttl_seconds if views else 0.0, key_secret, views_away)
        self._in_flight: dict[tuple[str, tuple[str, ...]], asyncio.Task[Mapping[str, Any]]] = {}

    async def forget(self, stale: Stale) -> None:
        """The one way anything cached is forgotten. Keys at once, with their last known copies (after our
        own write a copy is known to be wrong, not merely old), so a read later in the same request misses
        them. Customers' kept answers at once too, or once at the end of the write request this runs in."""
        if stale.keys:
            self._not_joined(stale.keys)
            keys = [f"{prefix}{namespace}:{key}" for namespace, key in stale.keys for prefix in ("", LAST_KNOWN)]
            await self._cache.delete_many(keys)
        if stale.sign_ins:
            await self.views.forget_sign_ins()
        customers = [customer_id for customer_id in stale.customers if customer_id]
        due = _VIEWS_DUE.get()
        if due is not None and due.open:
            due.customers.update(customers)
        elif customers:
            await self.views.forget(customers)

    async def get_many(
        self,
        namespace: str,
        keys: Sequence[str],
        fetch: Callable[[list[str]], Awaitable[Mapping[str, Any]]],
        missing: Callable[[], Any],
        stale: StaleReads | None = None,
        *,
        shared: bool = False,
    ) -> list[Any]:
        """The answer for each key; raises the source's error if any key has neither answer nor copy."""
        answers = await self.get_each(namespace, keys, fetch, missing, stale, shared=shared)
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        return answers

    async def get_each(
        self,
        namespace: str,
        keys: Sequence[str],
        fetch: Callable[[list[str]], Awaitable[Mapping[str, Any]]],
        missing: Callable[[], Any],
        stale: StaleReads | None = None,
        *,
        shared: bool = False,
    ) -> list[Any]:
        """The answer for each key, or for a key the source failed and no copy covers, the exception
        (a DataLoader fails those keys alone). `shared`: see the class's docstring (shared reads)."""
        if not tracing.active():
            return await self._get_each(namespace, keys, fetch, missing, stale, shared=shared)
        attributes: tracing.Attributes = {
            "c360.cache.namespace": namespace,
            "c360.cache.layer": self._cache.layer,
            "c360.keys": len(keys),
        }
        with tracing.span(f"read {namespace}", attributes) as span:
            answers = await self._get_each(namespace, keys, fetch, missing, stale, span, shared=shared)
            if span is not None:
                span.set_attribute("c360.cache.failed", sum(isinstance(answer, Exception) for answer in answers))
            return answers

    async def _get_each(
        self,
        namespace: str,
        keys: Sequence[str],
        fetch: Callable[[list[str]], Awaitable[Mapping[str, Any]]],
        missing: Callable[[], Any],
        stale: StaleReads | None,
        span: Span | None = None,
        *,
        shared: bool = False,
    ) -> list[Any]:
        if not self._enabled or namespace.startswith(NEVER_CACHED):
            if span is not None:
                span.set_attributes({"c360.cache.hits": 0, "c360.cache.misses": len(keys)})
            found, _ = await self._fetch(
                namespace, list(keys), fetch, shared and not namespace.startswith(NEVER_CACHED)
            )
            return [found.get(key, missing()) for key in keys]
        cached = await self._cache.get_many([f"{namespace}:{key}" for key in keys])
        answers = {key: cached[f"{namespace}:{key}"] for key in keys if f"{namespace}:{key}" in cached}
        self._hits.inc(len(answers))
        wanted = [key for key in keys if key not in answers]
        if span is not None:  # hits and misses of this read: the misses are what the back office is asked
            span.set_attributes({"c360.cache.hits": len(answers), "c360.cache.misses": len(wanted)})
        if not wanted:
            return [answers[key] for key in keys]
        try:
            found, started_it = await self._fetch(namespace, wanted, fetch, shared)
        except self._unavailable as error:
            copies = await self._last_known(namespace, wanted, stale)
            if span is not None:
                span.set_attribute("c360.cache.stale", len(copies))
            self._misses.inc(len(wanted) - len(copies))
            answers.update(copies)
            answers.update({key: error for key in wanted if key not in copies})
            return [answers[key] for key in keys]
        self._misses.inc(len(wanted))
        fresh = {key: found.get(key, missing()) for key in wanted}
        if started_it:  # a shared read's answers are kept once, by the caller that asked the source
            await self._keep(namespace, fresh)
        answers.update(fresh)
        return [answers[key] for key in keys]

    async def _fetch(
        self,
        namespace: str,
        keys: list[str],
        fetch: Callable[[list[str]], Awaitable[Mapping[str, Any]]],
        shared: bool,
    ) -> tuple[Mapping[str, Any], bool]:
        """The source's answers, and whether this caller asked the source (False: it joined a shared read)."""
        if not shared:
            return await fetch(keys), True
        flight = (namespace, tuple(keys))
        running = self._in_flight.get(flight)
        started_it = running is None
        if running is None:
            running = asyncio.ensure_future(fetch(keys))
            self._in_flight[flight] = running
            running.add_done_callback(functools.partial(self._landed, flight))
        # Shielded: a caller cut short (its request timed out) does not cancel the others' read.
        return await asyncio.shield(running), started_it

    def _landed(self, flight: tuple[str, tuple[str, ...]], task: asyncio.Task[Mapping[str, Any]]) -> None:
        if self._in_flight.get(flight) is task:
            del self._in_flight[flight]
        if not task.cancelled():
            task.exception()  # retrieved here too: every caller may have been cut short before it ended

    def _not_joined(self, keys: Sequence[tuple[str, str]]) -> None:
        """Reads of these keys under way are joined by no later read: they may have started before the
        change that made the keys stale."""
        stale = set(keys)
        for flight in [f for f in self._in_flight if any((f[0], key) in stale for key in f[1])]:
            del self._in_flight[flight]

    async def _keep(self, namespace: str, fresh: Mapping[str, Any]) -> None:
        keeping = [self._cache.set_many({f"{namespace}:{key}": value for key, value in fresh.items()}, self._ttl)]
        if self._stale_seconds:
            fetched_at = self._clock()
            copies = {f"{LAST_KNOWN}{namespace}:{key}": (fetched_at, value) for key, value in fresh.items()}
            keeping.append(self._cache.set_many(copies, self._stale_seconds))
        await asyncio.gather(*keeping)

    async def _last_known(self, namespace: str, keys: Sequence[str], stale: StaleReads | None) -> dict[str, Any]:
        if not self._stale_seconds or stale is None or not stale.serving:
            return {}
        copies = await self._cache.get_many([f"{LAST_KNOWN}{namespace}:{key}" for key in keys])
        now = self._clock()
        found = {}
        for key in keys:
            copy = copies.get(f"{LAST_KNOWN}{namespace}:{key}")
            if copy is None:
                continue
            fetched_at, found[key] = copy
            stale.note(namespace, max(now - fetched_at, 0.0))
        if found and self._stale is not None:
            self._stale.inc(len(found))
        return found
