"""The cache interface every layer implements, and the read-through used by the loaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from customer360.metrics import Metrics


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


class ReadThrough:
    """Answers what it can from the cache, asks the source once for the rest, and keeps the answers.

    Keys are `<namespace>:<key>`, the namespace naming the source operation, so our own writes can
    invalidate exactly the keys they change.
    """

    def __init__(self, cache: Cache, metrics: Metrics, ttl_seconds: float) -> None:
        self._cache = cache
        self._ttl = ttl_seconds
        self._hits = metrics.cache_requests.labels(cache.layer, "hit")
        self._misses = metrics.cache_requests.labels(cache.layer, "miss")
        self._enabled = cache.layer != "none"

    async def get_many(
        self,
        namespace: str,
        keys: Sequence[str],
        fetch: Callable[[list[str]], Awaitable[Mapping[str, Any]]],
        missing: Callable[[], Any],
    ) -> list[Any]:
        if not self._enabled:
            found = await fetch(list(keys))
            return [found.get(key, missing()) for key in keys]
        cached = await self._cache.get_many([f"{namespace}:{key}" for key in keys])
        answers = {key: cached[f"{namespace}:{key}"] for key in keys if f"{namespace}:{key}" in cached}
        self._hits.inc(len(answers))
        wanted = [key for key in keys if key not in answers]
        if wanted:
            self._misses.inc(len(wanted))
            found = await fetch(wanted)
            fresh = {key: found.get(key, missing()) for key in wanted}
            await self._cache.set_many({f"{namespace}:{key}": value for key, value in fresh.items()}, self._ttl)
            answers.update(fresh)
        return [answers[key] for key in keys]

    async def invalidate(self, namespace: str, keys: Sequence[str]) -> None:
        await self._cache.delete_many([f"{namespace}:{key}" for key in keys])
