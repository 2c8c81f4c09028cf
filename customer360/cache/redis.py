"""A Redis cache shared by every worker and machine.

Values are personal data, so they are encrypted and authenticated (Fernet: AES-128-CBC with an
HMAC-SHA256) before they leave the process, and always carry a TTL. The HMAC also means a value
we unpickle is one we wrote ourselves. Last known copies (stale-if-error, `cache/base.py`) are values
like any other: encrypted, and gone when their own TTL, the stale window, runs out.

Every call goes through the process's `RedisGuard` (`cache/guard.py`: tight timeout, circuit
breaker): a Redis that hangs or is down is a cache miss at once, never a stalled request. A delete
that does not reach Redis is kept here as a tombstone and sent again before any other call of this
cache reaches Redis (and by a background task until it is through), so a key we meant to forget is
never read back from a Redis that returns. `cache/guard.py` says how other workers are covered.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import pickle
import time
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as redis
from cryptography.fernet import Fernet, InvalidToken

from customer360.cache.guard import FLUSH_INTERVAL_SECONDS, RedisAway, RedisGuard

KEY_PREFIX = "c360:cache:"  # then the store's id (store/store_identity.py) and ":": keys name its rows
# Past this many unsent deletes, they are dropped and this process reads nothing from Redis until
# every key they named has expired there anyway (memory stays bounded, nothing stale is read).
MAX_TOMBSTONES = 200_000
DELETES_PER_CALL = 1_000  # each call well inside the guard's timeout

log = logging.getLogger("customer360.cache.redis")


class RedisCache:
    layer = "redis"

    def __init__(
        self,
        client: redis.Redis,
        encryption_key: bytes,
        guard: RedisGuard | None = None,
        *,
        store_id: str,
        longest_ttl_seconds: float = 86_400.0,
    ) -> None:
        self._client = client
        # Keys name the store's rows by names that repeat across stores (derived customer ids, views
        # generations): scoped to the store, a rebuilt store or another one on this Redis reads none of them.
        self._prefix = f"{KEY_PREFIX}{store_id}:"
        self._fernet = Fernet(encryption_key)
        self._own_guard = guard is None
        self._guard = guard or RedisGuard()
        self._guard.probe_with(client.ping)
        # A tombstone is needed only while Redis could still hold its key: for the longest TTL we set.
        self._longest_ttl = longest_ttl_seconds
        self._tombstones: dict[str, float] = {}  # Redis key -> when (monotonic) the delete was asked for
        self._sending = asyncio.Lock()
        self._resender: asyncio.Task[None] | None = None

    @classmethod
    def from_url(
        cls,
        url: str,
        encryption_key: bytes,
        guard: RedisGuard | None = None,
        *,
        store_id: str,
        longest_ttl_seconds: float = 86_400.0,
    ) -> RedisCache:
        # The guard's timeout bounds each call; these bound the socket underneath it as a second line.
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, encryption_key, guard, store_id=store_id, longest_ttl_seconds=longest_ttl_seconds)

    @property
    def unsent_deletes(self) -> int:
        return len(self._tombstones)

    async def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        if not keys or not self._guard.reads_trusted():
            return {}
        try:
            await self._send_tombstones()
            values = await self._guard.call(lambda: self._client.mget([self._prefix + key for key in keys]))
        except RedisAway:
            return {}  # a cache that is away is a cache miss, never a failed request
        if not self._guard.reads_trusted():
            return {}  # this very call found Redis back after an outage: peers may not have replayed yet
        found = {}
        for key, value in zip(keys, values, strict=True):
            if value is None:
                continue
            try:
                found[key] = pickle.loads(self._fernet.decrypt(value))  # authenticated: only our own writes decrypt
            except InvalidToken:
                continue
        return found

    async def set_many(self, items: Mapping[str, Any], ttl_seconds: float) -> None:
        if not items or self._guard.is_open:
            return  # (open: not even encrypted, a request pays nothing for a Redis that is away)
        milliseconds = max(int(ttl_seconds * 1000), 1)
        encrypted = {self._prefix + key: self._fernet.encrypt(pickle.dumps(value)) for key, value in items.items()}

        async def write() -> None:
            async with self._client.pipeline(transaction=False) as pipe:
                for key, value in encrypted.items():
                    pipe.set(key, value, px=milliseconds)
                await pipe.execute()

        with contextlib.suppress(RedisAway):
            await self._send_tombstones()  # a key deleted earlier must not be deleted after this write
            await self._guard.call(write)

    async def delete_many(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        now = time.monotonic()
        for key in keys:
            self._tombstones.pop(self._prefix + key, None)
            self._tombstones[self._prefix + key] = now  # re-inserted: the dict stays oldest first
        if len(self._tombstones) > MAX_TOMBSTONES:
            log.warning("too many deletes could not reach Redis: reading nothing from it until they expire there")
            self._tombstones.clear()
            self._guard.distrust_reads_for(self._longest_ttl)
            return
        try:
            await self._send_tombstones()
        except RedisAway:
            self._resend_in_background()

    async def close(self) -> None:
        if self._resender is not None:
            self._resender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._resender
        if self._own_guard:
            await self._guard.close()
        await self._client.aclose()

    async def _send_tombstones(self) -> None:
        """Delete every key still owed a delete (raises RedisAway if Redis does not take them)."""
        if not self._tombstones:
            return
        async with self._sending:
            self._forget_expired_tombstones()
            owed = dict(self._tombstones)
            if not owed:
                return
            keys = list(owed)
            for start in range(0, len(keys), DELETES_PER_CALL):
                batch = keys[start : start + DELETES_PER_CALL]
                await self._guard.call(functools.partial(self._client.delete, *batch))
                for key in batch:
                    if self._tombstones.get(key) == owed[key]:  # a newer delete of the same key is sent next time
                        del self._tombstones[key]

    def _forget_expired_tombstones(self) -> None:
        oldest_needed = time.monotonic() - self._longest_ttl
        while self._tombstones:
            key, asked_at = next(iter(self._tombstones.items()))
            if asked_at >= oldest_needed:
                break
            del self._tombstones[key]

    def _resend_in_background(self) -> None:
        if self._resender is None or self._resender.done():
            self._resender = asyncio.create_task(self._resend_until_sent())

    async def _resend_until_sent(self) -> None:
        """Tries the owed deletes every `FLUSH_INTERVAL_SECONDS`, so they reach Redis soon after it
        returns even if no request comes to this worker (peers' grace counts on it: `cache/guard.py`)."""
        while self._tombstones:
            await asyncio.sleep(FLUSH_INTERVAL_SECONDS)
            with contextlib.suppress(RedisAway):
                await self._send_tombstones()
        log.info("deletes owed to Redis are all through")
